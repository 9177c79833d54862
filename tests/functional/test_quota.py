# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The check of Glance's quota before a backup, with Nova's services."""

from tests.functional import fixtures


class GlanceQuotaTest(fixtures.CreateBackupTestCase):
    """From 2.39 a backup over a Glance limit is refused before it exists."""

    def setUp(self):
        super().setUp()
        self.server = self.create_server()
        # The project's images: its server's backups and snapshots.
        self.glance.limits = {'image_count_total': 2,
                              'image_size_total': 1000}

    def _fill(self, count):
        for _ in range(count):
            resp = self.create_backup(self.server['id'], rotation=5)
            self.assertEqual(202, resp.status_code, resp.text)

    def test_at_limit_refused(self):
        self._fill(2)
        images = set(self.glance.images)

        for router, status in ((fixtures.OURS, 403), (fixtures.STOCK, 202)):
            api = self.client(microversion='2.45', router=router)
            resp = self.create_backup(self.server['id'], api=api)
            self.assertEqual(status, resp.status_code, resp.text)
            if router == fixtures.OURS:
                message = resp.json()['forbidden']['message']
                self.assertIn('image_count_total is 2', message)
                # Refused before Nova made an image record.
                self.assertEqual(images, set(self.glance.images))
                self.assertIsNone(self.task_state(self.server['id']))

    def test_below_limit_accepted(self):
        self._fill(1)
        resp = self.create_backup(self.server['id'], rotation=5)
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual(2, len(self.glance.backups(self.server['id'])))

    def test_not_checked_before_2_39(self):
        self._fill(2)
        requests = self.glance.usage_requests
        resp = self.create_backup(self.server['id'], rotation=5,
                                  api=self.client(microversion='2.38'))

        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual(requests, self.glance.usage_requests)

    def test_no_limits_asked_once(self):
        self.glance.limits = None
        self._fill(3)
        self.assertEqual(1, self.glance.usage_requests)
        self.assertEqual(3, len(self.glance.backups(self.server['id'])))


class OrderOfChecksTest(fixtures.CreateBackupTestCase):
    """Nova's checks of the server come before the Glance quota check.

    A server that cannot be backed up is answered as Nova answers it
    whatever Glance's quota or its usage API would say, and the usage
    API is not asked.
    """

    # The states, and Nova's answer to a backup of a server in each.
    STATES = {'shelved': 409, 'busy': 409, 'volume_backed': 400}

    def setUp(self):
        super().setUp()
        self.servers = {state: self.create_server(state)
                        for state in self.STATES}

    def assertNovasAnswers(self):
        requests = self.glance.usage_requests
        for microversion in ('2.39', 'latest'):
            for router in fixtures.ROUTERS:
                api = self.client(microversion=microversion, router=router)
                for state, status in sorted(self.STATES.items()):
                    server_id = self.servers[state]['id']
                    before = set(self.glance.images)
                    resp = self.create_backup(server_id, api=api)
                    self.assertEqual(status, resp.status_code, '%s %s at '
                                     '%s: %s' % (router, state,
                                                 microversion, resp.text))
                    self.assertEqual(before, set(self.glance.images))
        self.assertEqual(requests, self.glance.usage_requests)

    def test_glance_at_its_limit(self):
        self.glance.limits = {'image_count_total': 0}
        self.assertNovasAnswers()

    def test_usage_api_unreachable(self):
        self.flags(quota_check_failure='refuse', group='create_backup')
        self.glance.reachable = False
        self.assertNovasAnswers()
