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

"""Backups that are refused, and what is left after a refusal."""

import json

import testtools

from tempest.common import compute
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from nova_createbackup_ext.tempest_plugin.tests.api import base

CONF = config.CONF

# The image properties that Nova writes on a backup; a request's metadata
# may not set them.
NOVA_PROPERTIES = (
    'backup_type',
    'base_image_ref',
    'image_type',
    'instance_owner',
    'instance_uuid',
    'user_id',
)

# Attributes of a Glance image that metadata would otherwise set, since
# Nova sends it to Glance beside them: who owns and sees the backup,
# whether it can be deleted, what it is and where its data is.
GLANCE_ATTRIBUTES = (
    'container_format',
    'disk_format',
    'id',
    'locations',
    'min_disk',
    'min_ram',
    'name',
    'os_hidden',
    'owner',
    'protected',
    'status',
    'visibility',
)


class CreateBackupNegativeTest(base.BaseCreateBackupTest):
    """Refusals of createBackup, each leaving the server as it was."""

    credentials = ['primary', 'project_reader', 'alt']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.alt_servers_client = cls.os_alt.servers_client

    def _entity(self, **changes):
        entity = {
            'name': data_utils.rand_name(
                prefix=CONF.resource_name_prefix, name='cbext-refused'),
            'backup_type': self.backup_type,
            'rotation': 1,
        }
        entity.update(changes)
        return entity

    def assert_nothing_made(self):
        """The server has no backup and no task in progress."""
        images = self.image_client.list_images(
            params={'instance_uuid': self.server_id})['images']
        self.assertEqual([], [image['id'] for image in images])
        server = self.servers_client.show_server(self.server_id)['server']
        self.assertIsNone(server['OS-EXT-STS:task_state'])

    def assert_bad_request(self, body):
        """Send a createBackup body; expect 400 and nothing made.

        :returns: the message of the answer
        """
        try:
            self.servers_client.action(self.server_id, 'createBackup',
                                       body=body)
        except lib_exc.BadRequest as exc:
            message = exc.resp_body['message']
        else:
            self.fail('createBackup with the body %s was accepted'
                      % json.dumps(body))
        self.assert_nothing_made()
        return message

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('882abd92-c0e4-4667-a24d-fe102b1ea0fc')
    def test_create_backup_missing_field(self):
        """Each of name, backup_type and rotation is required."""
        for field in ('name', 'backup_type', 'rotation'):
            entity = self._entity()
            del entity[field]
            message = self.assert_bad_request({'createBackup': entity})
            self.assertIn(field, message)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9863972b-2ea4-4323-bef5-5b191f4866e2')
    def test_create_backup_invalid_rotation(self):
        """Rotation is a non-negative integer (or a string of digits)."""
        for rotation in (-1, 1.5, 'two', '', None, [1]):
            self.assert_bad_request(
                {'createBackup': self._entity(rotation=rotation)})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('950fabd1-93b8-459a-b62d-0492fa07f13d')
    def test_create_backup_invalid_name(self):
        """The name is 1 to 255 characters with no space at its ends."""
        for name in ('', 'x' * 256, ' leading', 'trailing ', None, 1):
            self.assert_bad_request({'createBackup': self._entity(name=name)})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('904b43f4-8b9b-4f67-ac7b-f15605f40b9d')
    def test_create_backup_invalid_backup_type(self):
        """The backup type is a string of at most 255 characters.

        Nova accepts a longer one and fails when Glance refuses it as
        an image property; the extension refuses it first.
        """
        for backup_type in ('x' * 256, None, 7, {'type': 'daily'}):
            self.assert_bad_request(
                {'createBackup': self._entity(backup_type=backup_type)})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c2b61950-85bc-4e35-b827-c93543f13162')
    def test_create_backup_invalid_metadata(self):
        """Metadata maps keys of up to 255 characters to strings."""
        for metadata in ('text', ['key', 'value'], {'key': 1},
                         {'key': 'v' * 256}, {'k' * 256: 'value'},
                         {'key/with/slashes': 'value'}, {'': 'value'}):
            self.assert_bad_request(
                {'createBackup': self._entity(metadata=metadata)})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('a06275c1-0280-4e9a-8c7e-d2813c7fdc85')
    def test_create_backup_malformed_body(self):
        """The action's value is an object with only the known fields."""
        for entity in ('backup', None, [], {},
                       self._entity(extra='field')):
            self.assert_bad_request({'createBackup': entity})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('bf54fd06-1b20-484e-bcce-207023265d9b')
    def test_create_backup_reserved_metadata(self):
        """Metadata may not set the properties that Nova writes.

        * For each reserved key, alone and next to an accepted key, the
          answer is 400 and its message names the key.
        * Nothing is made: no image, no task on the server.
        """
        for key in NOVA_PROPERTIES:
            for metadata in ({key: 'forged'},
                             {'cbext-note': 'fine', key: 'forged'}):
                message = self.assert_bad_request(
                    {'createBackup': self._entity(metadata=metadata)})
                self.assertIn(key, message)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('348d9c90-b853-4f6d-85b1-801ac5b729b4')
    def test_create_backup_glance_attribute_metadata(self):
        """Metadata may not set the attributes of the backup's image.

        * For each attribute, such as ``visibility`` or ``owner``, the
          answer is 400 and its message names the key.
        * Nothing is made: no image, no task on the server.
        """
        for key in GLANCE_ATTRIBUTES:
            message = self.assert_bad_request(
                {'createBackup': self._entity(metadata={key: 'forged'})})
            self.assertIn(key, message)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('920fd005-ade9-4677-817f-0a7d59bc027b')
    def test_create_backup_missing_server(self):
        """A server that does not exist is answered with 404."""
        self.assertRaises(lib_exc.NotFound,
                          self.servers_client.create_backup,
                          data_utils.rand_uuid(), **self._entity())

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('2e20c10c-14c5-4997-ab4a-1a0f6e76b747')
    @testtools.skipUnless(CONF.compute_feature_enabled.shelve,
                          'Shelve is not available.')
    def test_create_backup_shelved_server(self):
        """A server that is shelved and offloaded is answered with 409.

        * Boot another server, shelve it and wait for it to be offloaded.
        * Its createBackup is refused with 409, naming the server's state.
        * The server has no backup.
        """
        server = self.create_test_server(wait_until='ACTIVE')
        # Shelving makes a snapshot image of the server, deleted here.
        self.addCleanup(self.delete_images_of, server['id'])
        compute.shelve_server(self.servers_client, server['id'],
                              force_shelve_offload=True)

        exc = self.assertRaises(lib_exc.Conflict,
                                self.servers_client.create_backup,
                                server['id'], **self._entity())
        self.assertIn('shelved_offloaded', exc.resp_body['message'])
        backups = self.image_client.list_images(params={
            'instance_uuid': server['id'], 'image_type': 'backup'})
        self.assertEqual([], backups['images'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('30e029f7-ddfb-4505-9dfa-acfcf00ff742')
    def test_create_backup_other_project(self):
        """A member of another project is told the server does not exist.

        The answer is 404, not 403, so that a server's existence is not
        disclosed outside its project.
        """
        self.assertRaises(lib_exc.NotFound,
                          self.alt_servers_client.create_backup,
                          self.server_id, **self._entity())
        self.assert_nothing_made()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('6f68f41a-8562-4370-b4d9-f643623cec6c')
    def test_create_backup_reader_forbidden(self):
        """A reader of the server's project may see it but not back it up.

        * The project reader can show the server.
        * Its createBackup is refused with 403 by the policy rule.
        * Nothing is made: no image, no task on the server.
        """
        reader = self.project_reader_servers_client
        server = reader.show_server(self.server_id)['server']
        self.assertEqual(self.server_id, server['id'])

        exc = self.assertRaises(lib_exc.Forbidden, reader.create_backup,
                                self.server_id, **self._entity())
        self.assertIn('os_compute_api:os-create-backup',
                      exc.resp_body['message'])
        self.assert_nothing_made()
