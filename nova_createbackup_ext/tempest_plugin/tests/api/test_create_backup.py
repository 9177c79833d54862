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

"""Backups that are accepted: the answer, the image and the rotation."""

import time

from oslo_utils import uuidutils
from tempest.lib import decorators

from nova_createbackup_ext.tempest_plugin.tests.api import base


class CreateBackupV21Test(base.BaseCreateBackupTest):
    """createBackup from 2.1 to 2.44: the image's URL in Location."""

    min_microversion = '2.1'
    max_microversion = '2.44'

    @decorators.idempotent_id('8c8ce88b-817c-43f8-918f-b787fa966951')
    def test_create_backup_location(self):
        """An accepted backup is answered with its image's URL.

        * Back up the server with rotation 1 and a metadata item.
        * The answer is 202 with no body and a Location naming an image.
        * The image becomes active, with the properties Nova writes on
          a backup and the request's metadata.
        """
        resp, name, image_id = self.create_backup(
            1, metadata={'cbext-purpose': 'location test'})

        self.assertEqual(202, resp.response.status)
        self.assertEqual({}, dict(resp))
        location = resp.response.get('location')
        self.assertIsNotNone(location, 'No Location header in the answer')
        self.assertIn('/images/', location)
        self.assertTrue(uuidutils.is_uuid_like(image_id), location)

        image = self.wait_for_backup(image_id)
        self.assertEqual(name, image['name'])
        self.assert_backup_properties(image)
        self.assertEqual('location test', image.get('cbext-purpose'))

    @decorators.idempotent_id('c7d5fad7-da3e-4539-a972-2ba7cd404020')
    def test_create_backup_rotation_zero(self):
        """Rotation 0 is accepted, answered without Location, keeps none.

        * Back up the server with rotation 0.
        * The answer is 202 with no Location header, as Nova answers.
        * Once the server is ready again, it has no backup of the type:
          the rotation deletes even the backup just made.
        """
        resp, _, image_id = self.create_backup(0)

        self.assertEqual(202, resp.response.status)
        self.assertNotIn('location', resp.response)
        self.assertIsNone(image_id)

        self.wait_for_backup_count(0)


class CreateBackupV245Test(base.BaseCreateBackupTest):
    """createBackup from 2.45 on: the image's id in the body."""

    min_microversion = '2.45'
    max_microversion = 'latest'

    @decorators.idempotent_id('44f7b261-062d-4748-b75a-37581eae982b')
    def test_create_backup_image_id(self):
        """An accepted backup is answered with its image's id.

        * Back up the server with rotation 1.
        * The answer is 202 with only ``image_id`` in the body (the
          client checks the body against the 2.45 schema) and no
          Location header.
        * The image becomes active with the properties of a backup.
        """
        resp, name, image_id = self.create_backup(1)

        self.assertEqual(202, resp.response.status)
        self.assertEqual(['image_id'], list(resp))
        self.assertNotIn('location', resp.response)

        image = self.wait_for_backup(image_id)
        self.assertEqual(name, image['name'])
        self.assert_backup_properties(image)

    @decorators.idempotent_id('2db709a8-6ed2-4e38-937c-9e47dcc05c7c')
    def test_create_backup_rotation_keeps_newest(self):
        """Rotation keeps the newest backups of the type and no others.

        * Back up the server once with the alternative type.
        * Back it up three times with rotation 2, waiting for each
          image to be active and the server to be ready.
        * The first of the three is deleted; the other two are the
          server's backups of the type, oldest first, active.
        * The backup of the alternative type is still there.
        """
        _, _, alt_id = self.create_backup(
            1, backup_type=self.backup_type_alt)
        self.wait_for_backup(alt_id)

        names, image_ids = [], []
        for _ in range(3):
            if image_ids:
                # NOTE(cbext): Glance keeps created_at to the second and
                # Nova's rotation orders backups by it, so two backups
                # made within one second have no defined order.
                time.sleep(1)
            _, name, image_id = self.create_backup(2)
            self.wait_for_backup(image_id)
            names.append(name)
            image_ids.append(image_id)

        self.image_client.wait_for_resource_deletion(image_ids[0])
        backups = self.list_backups()
        self.assertEqual(names[1:], [image['name'] for image in backups])
        self.assertEqual(image_ids[1:], [image['id'] for image in backups])
        self.assertEqual(['active', 'active'],
                         [image['status'] for image in backups])

        alt_backups = self.list_backups(self.backup_type_alt)
        self.assertEqual([alt_id], [image['id'] for image in alt_backups])
