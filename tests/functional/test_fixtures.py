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

"""The corrections the functional fixtures make to Nova's, checked."""

import io

import glanceclient.exc as glance_exc
from nova import context as nova_context
from nova import exception
import nova.policy
from nova import test
from oslo_config import cfg

from tests.functional import fixtures

CONF = cfg.CONF


class GlanceFixtureTest(test.NoDBTestCase):
    """The fake Glance lists, orders and refuses as Glance does."""

    def setUp(self):
        super().setUp()
        self.glance = self.useFixture(fixtures.GlanceFixture(self))
        self.context = nova_context.RequestContext('user', 'project')

    def _create(self, **properties):
        return self.glance.create(
            self.context, {'name': 'image', 'properties': properties})

    def test_created_in_order_and_queued(self):
        images = [self._create() for _ in range(3)]

        times = [image['created_at'] for image in images]
        self.assertEqual(sorted(set(times)), times)
        self.assertEqual({'queued'}, {image['status'] for image in images})

    def test_upload_makes_active(self):
        image = self._create()
        self.glance.update(self.context, image['id'], {},
                           data=io.BytesIO(b'disk'))

        shown = self.glance.show(self.context, image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual(4, shown['size'])
        self.assertEqual(b'disk', self.glance.data(image['id']))

    def test_filters_and_sort(self):
        old = self._create(image_type='backup', backup_type='daily')
        self._create(image_type='backup', backup_type='weekly')
        self._create(image_type='snapshot')
        new = self._create(image_type='backup', backup_type='daily')

        filters = {'property-image_type': 'backup',
                   'property-backup_type': 'daily'}
        listed = self.glance.detail(self.context, filters=filters,
                                    sort_key='created_at', sort_dir='desc')
        self.assertEqual([new['id'], old['id']],
                         [image['id'] for image in listed])
        listed = self.glance.detail(self.context, filters=filters,
                                    sort_dir='asc')
        self.assertEqual([old['id'], new['id']],
                         [image['id'] for image in listed])
        self.assertEqual([], self.glance.detail(
            self.context, filters={'property-image_type': 'other'}))
        self.assertEqual(
            [new['id']],
            [image['id'] for image in self.glance.detail(
                self.context, filters=filters, limit=1)])
        self.assertEqual(
            [old['id']],
            [image['id'] for image in self.glance.detail(
                self.context, filters=filters, marker=new['id'])])

    def test_property_quota(self):
        self.glance.property_quota = 2
        self.assertRaises(glance_exc.HTTPOverLimit, self._create,
                          a='1', b='2', c='3')
        self._create(a='1', b='2')

    def test_long_property_name(self):
        # Nova's image API turns Glance's 400 into Invalid.
        self.assertRaises(exception.Invalid, self._create, **{'k' * 256: 'v'})

    def test_refusals(self):
        self.glance.refuse_next_create(glance_exc.HTTPBadRequest('no'))
        self.assertRaises(exception.Invalid, self._create)
        self.glance.refuse_next_create(glance_exc.HTTPForbidden('no'))
        self.assertRaises(exception.Forbidden, self._create)
        self._create()

    def test_unreachable(self):
        image = self._create()
        self.glance.reachable = False
        self.assertRaises(exception.GlanceConnectionFailed, self._create)
        self.assertRaises(exception.GlanceConnectionFailed,
                          self.glance.show, self.context, image['id'])
        self.assertRaises(exception.GlanceConnectionFailed,
                          self.glance.detail, self.context)

    def test_instance_owner_is_not_stored(self):
        image = self._create(instance_owner='other', purpose='x')
        self.assertEqual({'purpose': 'x', 'owner': 'project'},
                         image['properties'])


class DeploymentTest(fixtures.CreateBackupTestCase):
    """The deployment is configured as the tests rely on."""

    def test_paste_config_is_ours(self):
        self.assertEqual(fixtures.PASTE_CONFIG,
                         CONF.wsgi.api_paste_config)

    def test_endpoints(self):
        for router in fixtures.ROUTERS:
            api = self.router(router)
            for endpoint, version in (('v2', 'v2.0'), ('v2.1', 'v2.1')):
                resp = fixtures.Client(
                    api.base_url(endpoint),
                    fixtures.PERSONAS['project_member']).api_request('')
                self.assertEqual(200, resp.status_code, resp.text)
                self.assertEqual(version, resp.json()['version']['id'])

    def test_shipped_policy_enforced(self):
        self.assertTrue(CONF.oslo_policy.enforce_new_defaults)
        # Nova's fake policy lets anyone back up a server; the shipped
        # default does not, through either router.
        server = self.create_server()
        for router in fixtures.ROUTERS:
            resp = self.create_backup(
                server['id'], api=self.client('project_reader',
                                              router=router))
            self.assertEqual(403, resp.status_code, router)
        self.assertIn('os_compute_api:os-create-backup',
                      nova.policy.get_rules())

    def test_personas_reach_nova_as_themselves(self):
        # The project reader may read the server; no role may not, and
        # another project's member does not see it.
        server = self.create_server()
        expected = {'project_reader': 200, 'project_no_role': 403,
                    'other_project_member': 404, 'project_admin': 200}
        for persona, status in expected.items():
            resp = self.client(persona).api_request(
                '/servers/%s' % server['id'])
            self.assertEqual(status, resp.status_code, persona)

    def test_snapshot_uploads(self):
        server = self.create_server()
        image_id = self.api.post_server_action(
            server['id'], {'createImage': {'name': 'snap'}})['image_id']

        # A snapshot, unlike a backup, is taken after the API answers.
        self.wait_for_image_status(image_id, 'active')
        self.assertEqual(fixtures.UploadingFakeDriver.payload,
                         self.glance.data(image_id))
