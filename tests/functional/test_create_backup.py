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

"""createBackup through the extension's router, with Nova's services."""

import re

from oslo_utils import uuidutils

from tests.functional import fixtures

UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


class ResponseTest(fixtures.CreateBackupTestCase):
    """What a successful createBackup answers, at each microversion."""

    def setUp(self):
        super().setUp()
        self.server = self.create_server()

    def _assert_backup_made(self, image_id, name='nightly',
                            backup_type='daily'):
        image = self.glance.show(None, image_id)
        self.assertEqual(name, image['name'])
        self.assertEqual('active', image['status'])
        self.assertEqual(fixtures.UploadingFakeDriver.payload,
                         self.glance.data(image_id))
        props = image['properties']
        self.assertEqual('backup', props['image_type'])
        self.assertEqual(backup_type, props['backup_type'])
        self.assertEqual(self.server['id'], props['instance_uuid'])
        self.assertEqual(self.api.persona.user_id, props['user_id'])
        self.assertIsNone(self.task_state(self.server['id']))

    def test_image_id_in_body_from_2_45(self):
        for microversion in ('2.45', 'latest'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api)

            self.assertEqual(202, resp.status_code, resp.text)
            self.assertNotIn('Location', resp.headers)
            body = resp.json()
            self.assertEqual(['image_id'], list(body))
            self._assert_backup_made(body['image_id'])

    def test_location_up_to_2_44(self):
        for microversion, endpoint in (('2.0', 'v2'), ('2.1', 'v2.1'),
                                       ('2.44', 'v2.1')):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api,
                                      rotation=3)

            self.assertEqual(202, resp.status_code, resp.text)
            self.assertEqual(b'', resp.content)
            location = resp.headers['Location']
            match = re.fullmatch(
                'http://%s(?::80)?/%s/images/(%s)' % (
                    re.escape(self.router().host), re.escape(endpoint),
                    UUID),
                location)
            self.assertIsNotNone(match, location)
            self._assert_backup_made(match.group(1))

    def test_no_location_at_rotation_zero(self):
        for microversion in ('2.0', '2.1', '2.44'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api,
                                      rotation=0)

            self.assertEqual(202, resp.status_code, resp.text)
            self.assertNotIn('Location', resp.headers)
            self.assertEqual(b'', resp.content)

    def test_image_id_at_rotation_zero_from_2_45(self):
        # Rotation 0 keeps no backup of the type, not even the new one,
        # but the answer still names the image that was made.
        resp = self.create_backup(self.server['id'], rotation=0)

        self.assertEqual(202, resp.status_code, resp.text)
        self.assertTrue(uuidutils.is_uuid_like(resp.json()['image_id']))
        self.assertEqual([], self.glance.backups(self.server['id']))

    def test_name_stripped_at_2_0_only(self):
        v2 = self.client(microversion='2.0')
        resp = self.create_backup(self.server['id'], api=v2,
                                  name='  padded name  ')

        self.assertEqual(202, resp.status_code, resp.text)
        image_id = resp.headers['Location'].rsplit('/', 1)[1]
        self.assertEqual('padded name',
                         self.glance.show(None, image_id)['name'])

        for microversion in ('2.1', 'latest'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api,
                                      name='  padded name  ')
            self.assertEqual(400, resp.status_code, resp.text)

    def test_metadata_becomes_image_properties(self):
        resp = self.create_backup(self.server['id'],
                                  metadata={'purpose': 'audit'})

        self.assertEqual(202, resp.status_code, resp.text)
        image = self.glance.show(None, resp.json()['image_id'])
        self.assertEqual('audit', image['properties']['purpose'])


class MetadataQuotaTest(fixtures.CreateBackupTestCase):
    """Nova counts metadata against its quota up to 2.38, not from 2.39."""

    def setUp(self):
        super().setUp()
        self.flags(metadata_items=2, group='quota')
        self.server = self.create_server()

    def test_quota_up_to_2_38(self):
        metadata = {'a': '1', 'b': '2', 'c': '3'}
        for microversion in ('2.0', '2.1', '2.38'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api,
                                      metadata=metadata)

            self.assertEqual(403, resp.status_code, resp.text)
            self.assertIn('metadata limit exceeded',
                          resp.json()['forbidden']['message'])
        self.assertEqual([], self.glance.backups(self.server['id']))

    def test_within_quota_up_to_2_38(self):
        api = self.client(microversion='2.38')
        resp = self.create_backup(self.server['id'], api=api,
                                  metadata={'a': '1', 'b': '2'})

        self.assertEqual(202, resp.status_code, resp.text)

    def test_no_quota_from_2_39(self):
        metadata = {'a': '1', 'b': '2', 'c': '3'}
        for microversion in ('2.39', '2.45', 'latest'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(self.server['id'], api=api,
                                      metadata=metadata, rotation=5)

            self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual(3, len(self.glance.backups(self.server['id'])))


class RequestErrorTest(fixtures.CreateBackupTestCase):
    """Bodies, servers and callers that createBackup refuses."""

    BAD_ENTITIES = [
        {'backup_type': 'daily', 'rotation': 1},
        {'name': 'nightly', 'rotation': 1},
        {'name': 'nightly', 'backup_type': 'daily'},
        {'name': '', 'backup_type': 'daily', 'rotation': 1},
        {'name': 'n' * 256, 'backup_type': 'daily', 'rotation': 1},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': -1},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 'two'},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1.5},
        {'name': 'nightly', 'backup_type': 7, 'rotation': 1},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1,
         'metadata': 'x'},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1,
         'metadata': {'k': 1}},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1,
         'metadata': {'k' * 256: 'v'}},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1,
         'metadata': {'k': 'v' * 256}},
        {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1,
         'extra': True},
    ]

    def setUp(self):
        super().setUp()
        self.server = self.create_server()

    def test_bad_bodies(self):
        for entity in self.BAD_ENTITIES:
            resp = self.api.post_action(self.server['id'],
                                        {'createBackup': entity})
            self.assertEqual(400, resp.status_code, entity)
            self.assertIn('badRequest', resp.json())
        for body in ({'createBackup': None}, {'createBackup': []}):
            resp = self.api.post_action(self.server['id'], body)
            self.assertEqual(400, resp.status_code, body)
        resp = self.api.post_action(self.server['id'], None,
                                    raw_body='{"createBackup": ')
        self.assertEqual(400, resp.status_code)
        self.assertEqual([], self.glance.backups(self.server['id']))
        self.assertIsNone(self.task_state(self.server['id']))

    def test_backup_type_at_most_255_characters(self):
        resp = self.create_backup(self.server['id'], backup_type='d' * 256)
        self.assertEqual(400, resp.status_code, resp.text)

        resp = self.create_backup(self.server['id'], backup_type='d' * 255)
        self.assertEqual(202, resp.status_code, resp.text)

    def test_missing_server(self):
        missing = uuidutils.generate_uuid()
        for microversion in ('2.0', '2.1', 'latest'):
            api = self.client(microversion=microversion)
            resp = self.create_backup(missing, api=api)
            self.assertEqual(404, resp.status_code, resp.text)
            self.assertIn('itemNotFound', resp.json())

    def test_reader_refused(self):
        for persona in ('project_reader', 'project_no_role'):
            resp = self.create_backup(self.server['id'],
                                      api=self.client(persona))
            self.assertEqual(403, resp.status_code, persona)
            self.assertIn('os_compute_api:os-create-backup',
                          resp.json()['forbidden']['message'])
        self.assertEqual([], self.glance.backups(self.server['id']))

    def test_other_project_cannot_see_the_server(self):
        # As Nova does: the server of another project is not found, so its
        # existence is not disclosed.
        for persona in ('other_project_member', 'other_project_reader'):
            resp = self.create_backup(self.server['id'],
                                      api=self.client(persona))
            self.assertEqual(404, resp.status_code, persona)
        self.assertEqual([], self.glance.backups(self.server['id']))

    def test_admins(self):
        for persona in ('project_admin', 'other_project_admin'):
            resp = self.create_backup(self.server['id'],
                                      api=self.client(persona), rotation=5)
            self.assertEqual(202, resp.status_code, persona)
            image = self.glance.show(None, resp.json()['image_id'])
            self.assertEqual(self.server['id'],
                             image['properties']['instance_uuid'])

    def test_system_scope_refused(self):
        # The rule is for project-scoped tokens only.
        resp = self.create_backup(self.server['id'],
                                  api=self.client('system_admin'))
        self.assertEqual(403, resp.status_code, resp.text)
        self.assertEqual([], self.glance.backups(self.server['id']))


class ServerStateTest(fixtures.CreateBackupTestCase):
    """The server states in which a backup is accepted or refused."""

    def _backup(self, state):
        server = self.create_server(state)
        vm_state = self.vm_state(server['id'])
        resp = self.create_backup(server['id'], rotation=5)
        return server, vm_state, resp

    def _assert_accepted(self, state):
        server, vm_state, resp = self._backup(state)
        self.assertEqual(202, resp.status_code, resp.text)
        image = self.glance.show(None, resp.json()['image_id'])
        self.assertEqual('active', image['status'])
        self.assertIsNone(self.task_state(server['id']))
        self.assertEqual(vm_state, self.vm_state(server['id']))

    def test_stopped(self):
        self._assert_accepted('stopped')

    def test_paused(self):
        self._assert_accepted('paused')

    def test_suspended(self):
        self._assert_accepted('suspended')

    def test_locked(self):
        # Nova lets a locked server be backed up: a lock protects against
        # changing or deleting the server, and a backup does neither.
        self._assert_accepted('locked')

    def test_shelved(self):
        server, _, resp = self._backup('shelved')
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertIn('shelved_offloaded',
                      resp.json()['conflictingRequest']['message'])
        self.assertEqual([], self.glance.backups(server['id']))

    def test_busy(self):
        server, _, resp = self._backup('busy')
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertIn('task_state rebooting',
                      resp.json()['conflictingRequest']['message'])
        self.assertEqual('rebooting', self.task_state(server['id']))
        self.assertEqual([], self.glance.backups(server['id']))

    def test_volume_backed(self):
        server, _, resp = self._backup('volume_backed')
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('volume-backed',
                      resp.json()['badRequest']['message'])
        self.assertIsNone(self.task_state(server['id']))
        self.assertEqual([], self.glance.backups(server['id']))


class RotationTest(fixtures.CreateBackupTestCase):
    """Rotation keeps the newest backups of one server and type only."""

    def _ids(self, server_id, backup_type=None):
        return [image['id']
                for image in self.glance.backups(server_id, backup_type)]

    def test_newest_kept(self):
        server = self.create_server()
        other = self.create_server()

        def backup(server_id, backup_type, rotation):
            resp = self.create_backup(server_id, backup_type=backup_type,
                                      rotation=rotation)
            self.assertEqual(202, resp.status_code, resp.text)
            return resp.json()['image_id']

        weekly = backup(server['id'], 'weekly', 5)
        others = [backup(other['id'], 'daily', 5) for _ in range(2)]
        snapshot = self.api.post_server_action(
            server['id'], {'createImage': {'name': 'snap'}})['image_id']
        # The snapshot is taken after the API answers: let it finish.
        self._wait_for_server_parameter(
            server, {'OS-EXT-STS:task_state': None})
        self.wait_for_image_status(snapshot, 'active')

        daily = [backup(server['id'], 'daily', 3) for _ in range(5)]
        self.assertEqual(daily[-3:], self._ids(server['id'], 'daily'))

        # A smaller rotation trims the same type further.
        newest = backup(server['id'], 'daily', 2)
        self.assertEqual([daily[-1], newest],
                         self._ids(server['id'], 'daily'))

        # Nothing else was touched.
        self.assertEqual([weekly], self._ids(server['id'], 'weekly'))
        self.assertEqual(others, self._ids(other['id']))
        self.assertEqual('snapshot', self.glance.show(None, snapshot)[
            'properties']['image_type'])
        for image in self.glance.backups():
            self.assertEqual('active', image['status'])
