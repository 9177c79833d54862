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

"""createBackup while a service of the deployment is down.

Each test stops one service, checks what the API answers and what is
left behind, then starts the service again (also when the test fails)
and checks that backups work again.
"""

from tests.deployment import base


class GlanceDownTest(base.DeploymentTestCase):
    """Glance cannot be reached when createBackup arrives."""

    def test_backup_refused_with_503_and_nothing_left(self):
        server_id = self.create_server()
        self.stop_service('glance')

        # Every microversion range: from 2.39 the quota pre-check is the
        # first to find Glance gone, below it Nova's image record is.
        for microversion in ('2.1', '2.38', '2.45'):
            resp = self.create_backup(server_id, microversion)
            self.assertEqual(503, resp.status_code,
                             '%s: %s' % (microversion, resp.text))
            message = resp.json()['serviceUnavailable']['message']
            self.assertIn('image service', message)
            self.assertIn('no backup was made', message)

        # The server is left as it was: no task, not in error.
        server = self.get_server(server_id)
        self.assertEqual('ACTIVE', server['status'])
        self.assertIsNone(server['OS-EXT-STS:task_state'])

        self.ctl('start', 'glance')
        self.assertEqual([], self.backups_of(server_id),
                         'a refused backup left an image behind')

        # With Glance back, the next backup is taken.
        resp = self.create_backup(server_id, '2.45')
        self.assertEqual(202, resp.status_code, resp.text)
        image_id = resp.json()['image_id']
        self.wait_image_active(image_id)
        self.wait_idle(server_id)
        self.assertEqual([image_id],
                         [i['id'] for i in self.backups_of(server_id)])


class ComputeDownTest(base.DeploymentTestCase):
    """nova-compute is down when createBackup arrives.

    What happens, as asserted here: the API still answers and accepts
    the backup (202), since nova-api neither knows nor checks whether
    the server's compute service runs. Glance has the backup's image
    record, ``queued``; the server stays in task_state ``image_backup``,
    so a second backup is refused with 409 meanwhile; the request waits
    in the compute service's message queue. Once nova-compute is back
    it takes the queued backup: the image becomes ``active`` and the
    task state clears. Nothing is lost, but nothing tells the user why
    the backup waits; a compute service that never comes back leaves
    the server in ``image_backup`` until an administrator resets it.
    """

    def test_backup_waits_for_compute_and_completes(self):
        server_id = self.create_server()
        self.stop_service('nova-compute')

        # The API still answers.
        self.assertEqual('ACTIVE', self.get_server(server_id)['status'])
        resp = self.member.get('/servers/detail',
                               endpoint_filter=base.COMPUTE)
        self.assertEqual(200, resp.status_code, resp.text)

        resp = self.create_backup(server_id, '2.45')
        self.assertEqual(202, resp.status_code, resp.text)
        image_id = resp.json()['image_id']

        server = self.get_server(server_id)
        self.assertEqual('image_backup', server['OS-EXT-STS:task_state'])
        images = self.backups_of(server_id)
        self.assertEqual([(image_id, 'queued')],
                         [(i['id'], i['status']) for i in images])
        resp = self.create_backup(server_id, '2.45')
        self.assertEqual(409, resp.status_code, resp.text)

        self.ctl('start', 'nova-compute')
        self.wait_image_active(image_id)
        self.wait_idle(server_id)
        self.assertEqual([image_id],
                         [i['id'] for i in self.backups_of(server_id)])
