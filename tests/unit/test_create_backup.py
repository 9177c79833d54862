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


"""The createBackup controller where nova's compute API meets its services.

These cases need a service to fail at a given moment: Glance refusing or
failing the image record, another action taking the server between
nova's state check and its save, the cast to the compute service
failing. nova's real ``compute.API.backup`` runs; what it would ask of
the database and the message bus is answered in memory (the server's
row, its block devices, the instance action, the cast), and Glance is
nova's in-memory GlanceFixture. The answers are read through the real
router, and the outcome is asserted on Glance's images and the server's
stored task state. A few accepted backups show that the rig lets a
backup through, and the policy cases show the controller's own check
under the shipped defaults and under an operator's override; the rest of
the API's behaviour is the functional suite's.
"""

import fixtures
from glanceclient import exc as glance_exc
from nova.api import openstack as openstack_api
from nova.compute import task_states
from nova.compute import vm_states
from nova import exception
from nova import objects
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.unit import fake_instance
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel as uuids
from oslo_utils import timeutils
from oslo_utils import uuidutils

from nova_createbackup_ext.api import extension
from nova_createbackup_ext.api import router
from tests.unit import fakes

BODY = {'createBackup': {'name': 'nightly', 'backup_type': 'daily',
                         'rotation': 2}}


class _ServerRecord:
    """The database row of one server, as Instance.save() updates it."""

    def __init__(self, task_state=None):
        self.task_state = task_state
        self.deleted = False

    def save(self, instance, expected_task_state=None, **kwargs):
        if self.deleted:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        if expected_task_state is not None:
            expected = expected_task_state
            if not isinstance(expected, (list, tuple, set)):
                expected = [expected]
            if self.task_state not in expected:
                raise exception.UnexpectedTaskStateError(
                    instance_uuid=instance.uuid, expected=expected,
                    actual=self.task_state)
        if 'task_state' in instance.obj_what_changed():
            self.task_state = instance.task_state
        instance.obj_reset_changes()


class _CreateBackupTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.flags(enforce_new_defaults=True, group='oslo_policy')
        self.use_policy()
        # The Glance quota check before the backup is tested on its own.
        self.flags(glance_quota_precheck=False, group='create_backup')
        self.glance = self.useFixture(nova_fixtures.GlanceFixture(self))
        self.images_before = set(self.glance.images)

        self.context = fakes.context()
        self.instance = fake_instance.fake_instance_obj(
            self.context, uuid=uuids.server, project_id=fakes.PROJECT_ID,
            vm_state=vm_states.ACTIVE, task_state=None,
            launched_at=timeutils.utcnow(),
            image_ref=self.glance.image1['id'])
        # What nova copies from the server's image into its snapshots.
        self.instance.system_metadata = {'image_os_distro': 'debian'}
        self.instance.obj_reset_changes()
        self.record = _ServerRecord()
        self.casts = []

        self.stub_out('nova.compute.api.API.get',
                      lambda api, context, id, **kwargs: self.instance)
        self.stub_out('nova.objects.Instance.save',
                      lambda instance, **kwargs: self.record.save(
                          instance, **kwargs))
        self.stub_out(
            'nova.objects.BlockDeviceMappingList.get_by_instance_uuid',
            lambda *args, **kwargs: objects.BlockDeviceMappingList(
                objects=[]))
        self.stub_out('nova.compute.api.API._record_action_start',
                      lambda api, context, instance, action: None)
        self.stub_out('nova.compute.rpcapi.ComputeAPI.backup_instance',
                      self._cast)

        self.app = router.APIRouterV21(
            descriptors=[extension.CreateBackup()])

    def use_policy(self):
        self.useFixture(nova_fixtures.RealPolicyFixture())

    def _cast(self, rpcapi, context, instance, image_id, backup_type,
              rotation):
        self.casts.append((instance.uuid, image_id, backup_type, rotation))

    def post(self, body=BODY, version='2.45', ctxt=None):
        req = fakes.action_request(uuids.server, body, version=version,
                                   ctxt=ctxt or self.context)
        return req.get_response(self.app)

    def new_images(self):
        return {image_id: self.glance.images[image_id]
                for image_id in set(self.glance.images) - self.images_before}

    def glance_fails(self, error):
        self.useFixture(fixtures.MockPatchObject(
            self.glance, 'create', side_effect=error))

    def assertRefused(self, resp, status, *fragments):
        self.assertEqual(status, resp.status_int, resp.body)
        fault = jsonutils.loads(resp.body)
        message = next(iter(fault.values()))['message']
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def assertNothingLeft(self, task_state=None):
        self.assertEqual({}, self.new_images())
        self.assertEqual(task_state, self.record.task_state)
        self.assertEqual([], self.casts)


class AcceptedTest(_CreateBackupTestCase):
    """The rig itself: a backup that goes through."""

    def test_from_2_45(self):
        resp = self.post()

        self.assertEqual(202, resp.status_int, resp.body)
        image_id = jsonutils.loads(resp.body)['image_id']
        self.assertTrue(uuidutils.is_uuid_like(image_id))
        self.assertNotIn('Location', resp.headers)
        image = self.new_images()[image_id]
        self.assertEqual('nightly', image['name'])
        self.assertEqual({'image_type': 'backup', 'backup_type': 'daily',
                          'instance_uuid': uuids.server},
                         {key: image['properties'][key] for key in (
                             'image_type', 'backup_type', 'instance_uuid')})
        self.assertEqual(task_states.IMAGE_BACKUP, self.record.task_state)
        self.assertEqual([(uuids.server, image_id, 'daily', 2)], self.casts)

    def test_up_to_2_44(self):
        resp = self.post(version='2.44')

        self.assertEqual(202, resp.status_int, resp.body)
        self.assertEqual(b'', resp.body)
        [image_id] = self.new_images()
        self.assertTrue(resp.headers['Location'].endswith(
            '/images/%s' % image_id), resp.headers['Location'])

    def test_legacy_v2(self):
        # The /v2 endpoint: spaces around the name are accepted and
        # stripped, unknown keys are dropped, and the answer is 2.1's.
        app = openstack_api.LegacyV2CompatibleWrapper(self.app)
        body = {'createBackup': dict(BODY['createBackup'],
                                     name='  nightly  ', image_ref='x')}
        resp = fakes.action_request(uuids.server, body,
                                    version=None).get_response(app)

        self.assertEqual(202, resp.status_int, resp.body)
        [(image_id, image)] = self.new_images().items()
        self.assertEqual('nightly', image['name'])
        self.assertTrue(resp.headers['Location'].endswith(image_id))


class GlanceRefusesTest(_CreateBackupTestCase):
    """Glance refusing or failing the image record: 4xx/503, not 500."""

    def test_unreachable(self):
        self.glance_fails(exception.GlanceConnectionFailed(
            server='127.0.0.1:9292', reason='connection refused'))
        resp = self.post()

        message = self.assertRefused(resp, 503, 'cannot be reached')
        self.assertNotIn('127.0.0.1', message)
        self.assertNothingLeft()

    def test_over_its_quota(self):
        self.glance_fails(glance_exc.HTTPOverLimit(
            'Attribute property quota exceeded'))
        resp = self.post()

        self.assertRefused(resp, 403, 'quota',
                           'Attribute property quota exceeded')
        self.assertNothingLeft()

    def test_bad_property(self):
        # nova's image API turns Glance's 400 into exception.Invalid.
        self.glance_fails(exception.Invalid(
            'Provided object does not match schema'))
        resp = self.post()

        self.assertRefused(resp, 400, 'image service refused',
                           'Provided object does not match schema')
        self.assertNothingLeft()

    def test_server_error(self):
        self.glance_fails(glance_exc.HTTPInternalServerError('boom'))
        resp = self.post()

        self.assertRefused(resp, 503, 'HTTP 500', 'Try again later')
        self.assertNothingLeft()


class RaceTest(_CreateBackupTestCase):
    """Another action takes the server after nova's state check."""

    def test_lost_race_is_409_and_its_image_goes(self):
        # The server was loaded with no task state; by the time nova saves
        # it, another request has set one.
        self.record.task_state = task_states.REBOOTING
        resp = self.post()

        self.assertRefused(resp, 409, uuids.server, 'at the same time')
        # The other action's task state is left to it.
        self.assertNothingLeft(task_state=task_states.REBOOTING)

    def test_server_deleted_meanwhile(self):
        self.record.deleted = True
        resp = self.post()

        self.assertRefused(resp, 404, uuids.server)
        self.assertEqual({}, self.new_images())
        self.assertEqual([], self.casts)


class UnexpectedErrorTest(_CreateBackupTestCase):

    def test_image_goes_and_task_state_is_reset(self):
        def cast_fails(*args, **kwargs):
            raise RuntimeError('the message bus is gone')

        self.stub_out('nova.compute.rpcapi.ComputeAPI.backup_instance',
                      cast_fails)
        resp = self.post()

        self.assertEqual(500, resp.status_int, resp.body)
        self.assertNotIn(b'message bus', resp.body)
        self.assertNothingLeft()

    def test_image_goes_when_the_task_state_cannot_be_reset(self):
        def cast_fails(*args, **kwargs):
            # Something else changed the server meanwhile: the reset
            # must not overwrite it.
            self.record.task_state = task_states.DELETING
            raise RuntimeError('the message bus is gone')

        self.stub_out('nova.compute.rpcapi.ComputeAPI.backup_instance',
                      cast_fails)
        resp = self.post()

        self.assertEqual(500, resp.status_int, resp.body)
        self.assertNothingLeft(task_state=task_states.DELETING)


class PolicyTest(_CreateBackupTestCase):
    """The controller's check, under the shipped defaults."""

    def test_reader_is_refused(self):
        resp = self.post(ctxt=fakes.context(roles=['reader']))

        self.assertRefused(resp, 403, 'os_compute_api:os-create-backup')
        self.assertNothingLeft()


class OperatorPolicyTest(_CreateBackupTestCase):
    """An override of nova's rule name decides for the extension."""

    def use_policy(self):
        self.useFixture(fakes.PolicyFile({
            'os_compute_api:os-create-backup': 'rule:project_reader_api'}))

    def test_reader_may_back_up(self):
        resp = self.post(ctxt=fakes.context(roles=['reader']))

        self.assertEqual(202, resp.status_int, resp.body)
        self.assertEqual(1, len(self.new_images()))

    def test_other_role_still_refused(self):
        resp = self.post(ctxt=fakes.context(roles=['foo']))

        self.assertRefused(resp, 403, 'os_compute_api:os-create-backup')
        self.assertNothingLeft()
