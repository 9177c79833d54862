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

"""Where the supported Nova releases differ, and how the extension copes.

The same tests run on every supported release (tox's ``nova32``,
``nova33`` and ``nova34`` environments); each names the release whose
difference it checks.
"""

from nova.api.openstack import api_version_request
from oslo_serialization import jsonutils

from tests.functional import fixtures
from tests import release

# The release of nova under test.
NOVA_RELEASE = release.NOVA_RELEASE

#: The newest microversion of each supported release.
NEWEST_MICROVERSION = {32: '2.100', 33: '2.103', 34: '2.104'}


class MicroversionTest(fixtures.CreateBackupTestCase):
    """createBackup up to the newest microversion of the running Nova."""

    def test_release_is_supported(self):
        self.assertIn(NOVA_RELEASE, NEWEST_MICROVERSION)

    def test_newest_microversion(self):
        newest = NEWEST_MICROVERSION.get(NOVA_RELEASE)
        if newest is None:
            self.skipTest('Nova %d is not a supported release' % NOVA_RELEASE)
        self.assertEqual(
            newest, api_version_request.max_api_version().get_string())
        server = self.create_server()

        resp = self.create_backup(
            server['id'], api=self.client(microversion=newest))

        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual(['image_id'], list(resp.json()))

    def test_past_the_newest_microversion(self):
        # Nova's middleware refuses it before any router sees it.
        newest = api_version_request.max_api_version()
        beyond = '%d.%d' % (newest.ver_major, newest.ver_minor + 1)
        server = self.create_server()

        resp = self.create_backup(
            server['id'], api=self.client(microversion=beyond))

        self.assertEqual(406, resp.status_code, resp.text)
        self.assertEqual([], self.glance.backups(server['id']))


class VolumesBootTest(fixtures.CreateBackupTestCase):
    """createBackup through ``/os-volumes_boot/{id}/action``.

    Up to Nova 32 that route is a clone of ``/servers/{id}/action`` with
    every server action, Nova's createBackup among them; the extension
    replaces the action there too, so that the clone cannot be used to
    get around its checks. From Nova 33 on the route serves no
    createBackup at all.
    """

    def _post(self, router):
        self.server = self.create_server()
        # Metadata the extension refuses and Nova's controller takes.
        body = self.backup_body(metadata={'instance_uuid': 'forged'})
        api = self.client(microversion='2.1', router=router)
        return api.api_request(
            '/os-volumes_boot/%s/action' % self.server['id'],
            method='POST', body=jsonutils.dumps(body))

    def test_ours(self):
        resp = self._post(fixtures.OURS)

        self.assertEqual(400, resp.status_code, resp.text)
        message = resp.json()['badRequest']['message']
        if NOVA_RELEASE <= 32:
            # The extension's own refusal, as on /servers.
            self.assertIn('instance_uuid', message)
        else:
            self.assertIn('no such action', message)
        self.assertEqual([], self.glance.backups(self.server['id']))

    def test_stock_on_nova_32_takes_the_clone(self):
        if NOVA_RELEASE > 32:
            self.skipTest('from Nova 33 on, /os-volumes_boot serves no '
                          'createBackup')

        resp = self._post(fixtures.STOCK)

        self.assertEqual(202, resp.status_code, resp.text)
        # Nova's controller let the metadata rewrite whose backup it is.
        self.assertEqual([], self.glance.backups(self.server['id']))
        self.assertEqual(1, len(self.glance.backups('forged')))
