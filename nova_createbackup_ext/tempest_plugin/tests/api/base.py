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

"""The base class of the createBackup API tests."""

from tempest.api.compute import base
from tempest.common import waiters
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

CONF = config.CONF


class BaseCreateBackupTest(base.BaseV2ComputeTest):
    """One server of the primary project, and helpers to back it up.

    Every image whose ``instance_uuid`` property names the server is
    deleted when the class is done, so a backup that a test did not
    expect to be made is not left behind either.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.nova_createbackup_ext:
            raise cls.skipException(
                'nova-createbackup-ext is not enabled in '
                '[service_available] nova_createbackup_ext')
        if not CONF.service_available.glance:
            raise cls.skipException('Glance is not available')
        if not CONF.compute_feature_enabled.snapshot:
            raise cls.skipException(
                'Snapshots are not available, so neither are backups')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.image_client = cls.os_primary.image_client_v2
        cls.project_reader_servers_client = (
            cls.os_project_reader.servers_client)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.backup_type = CONF.nova_createbackup_ext.backup_type
        cls.backup_type_alt = CONF.nova_createbackup_ext.backup_type_alt
        server = cls.create_test_server(wait_until='ACTIVE')
        cls.server_id = server['id']
        # Registered after the server, so run before it is deleted.
        cls.addClassResourceCleanup(cls.delete_images_of, cls.server_id)

    @classmethod
    def delete_images_of(cls, server_id):
        """Delete every image made from a server, and wait until gone."""
        images = cls.image_client.list_images(
            params={'instance_uuid': server_id})['images']
        for image in images:
            test_utils.call_and_ignore_notfound_exc(
                cls.image_client.delete_image, image['id'])
        for image in images:
            cls.image_client.wait_for_resource_deletion(image['id'])

    def create_backup(self, rotation, backup_type=None, name=None,
                      **kwargs):
        """Back up the class's server once it is ready for an action.

        :param rotation: how many backups of the type to keep
        :param backup_type: the backup type; the configured one if unset
        :param name: the backup's name; a random one if unset
        :param kwargs: more of the request, such as ``metadata``
        :returns: the client's answer, the backup's name and its image id
            (None before microversion 2.45 with rotation 0, when Nova
            sends no Location)
        """
        name = name or data_utils.rand_name(
            prefix=CONF.resource_name_prefix, name='cbext-backup')
        waiters.wait_for_server_status(self.servers_client, self.server_id,
                                       'ACTIVE')
        resp = self.servers_client.create_backup(
            self.server_id, name=name,
            backup_type=backup_type or self.backup_type,
            rotation=rotation, **kwargs)
        if not self.is_requested_microversion_compatible('2.44'):
            image_id = resp['image_id']
        elif 'location' in resp.response:
            image_id = data_utils.parse_image_id(resp.response['location'])
        else:
            image_id = None
        if image_id:
            self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                            self.image_client.delete_image, image_id)
        return resp, name, image_id

    def wait_for_backup(self, image_id):
        """Wait for a backup's image to be active and the server ready."""
        waiters.wait_for_image_status(self.image_client, image_id, 'active')
        waiters.wait_for_server_status(self.servers_client, self.server_id,
                                       'ACTIVE')
        return self.image_client.show_image(image_id)

    def list_backups(self, backup_type=None):
        """The server's backups of a type, oldest first, in any status."""
        params = {
            'image_type': 'backup',
            'backup_type': backup_type or self.backup_type,
            'instance_uuid': self.server_id,
            'sort_key': 'created_at',
            'sort_dir': 'asc',
        }
        return self.image_client.list_images(params=params)['images']

    def wait_for_backup_count(self, count, backup_type=None):
        """Wait until the server has this many backups of a type."""
        def _has_count():
            return len(self.list_backups(backup_type)) == count

        if not test_utils.call_until_true(_has_count,
                                          self.image_client.build_timeout,
                                          self.image_client.build_interval):
            names = [image['name'] for image in self.list_backups(
                backup_type)]
            raise lib_exc.TimeoutException(
                'Server %s still has backups %s of type %s rather than %d '
                'of them' % (self.server_id, names,
                             backup_type or self.backup_type, count))

    def assert_backup_properties(self, image, backup_type=None):
        """Check the properties that Nova writes on a backup's image."""
        self.assertEqual('backup', image.get('image_type'))
        self.assertEqual(backup_type or self.backup_type,
                         image.get('backup_type'))
        self.assertEqual(self.server_id, image.get('instance_uuid'))
        self.assertEqual(self.os_primary.credentials.user_id,
                         image.get('user_id'))
        self.assertEqual(self.os_primary.credentials.project_id,
                         image['owner'])
        self.assertEqual(self.image_ref, image.get('base_image_ref'))
