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
under the shipped defaults and under an operator's override. The
metadata the controller refuses (every reserved key, however spelt, and
at 2.0 values that are no short strings) is covered here in full, as it
is cheap to send; the rest of the API's behaviour is the functional
suite's.
"""

import fixtures
from glanceclient import exc as glance_exc
from glanceclient.v2 import image_schema
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
import requests
import testtools

from nova_createbackup_ext.api import create_backup
from nova_createbackup_ext.api import extension
from nova_createbackup_ext.api import router
from tests import release
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
        """POST the action; at version '2.0', to the /v2 endpoint."""
        app = self.app
        if version == '2.0':
            app = openstack_api.LegacyV2CompatibleWrapper(self.app)
            version = None
        req = fakes.action_request(uuids.server, body, version=version,
                                   ctxt=ctxt or self.context)
        return req.get_response(app)

    def post_metadata(self, metadata, version='2.45'):
        entity = dict(BODY['createBackup'], metadata=metadata)
        return self.post({'createBackup': entity}, version=version)

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


def _plain_property(field):
    # A field that Glance's schema lists as a property of no particular
    # form, rather than as an attribute of the image (is_base false).
    constraints = {key: value for key, value in field.items()
                   if key not in ('description', 'is_base')}
    return field.get('is_base') is False and constraints == {
        'type': 'string'}


# Up to Nova 32, the /v2 endpoint's lenient validation still refuses
# metadata keys that the key pattern does not match; from Nova 33 on it
# lets them through unchecked, values included, and the controller's own
# checks are what refuse them.
NOVA_RELEASE = release.NOVA_RELEASE
LEGACY_SKIPS_METADATA = NOVA_RELEASE >= 33


class ReservedMetadataTest(_CreateBackupTestCase):
    """Metadata keys that Nova or Glance keep for themselves: 400."""

    def assertReservedRefused(self, key, version='2.45'):
        resp = self.post_metadata({key: 'forged'}, version=version)
        where = '%r at %s' % (key, version)
        self.assertEqual(400, resp.status_int, where)
        message = jsonutils.loads(resp.body)['badRequest']['message']
        self.assertIn('Metadata may not set %s:' % key, message, where)
        self.assertNothingLeft()

    def test_glance_image_schema_is_reserved(self):
        # The image schema as python-glanceclient ships it: an attribute
        # of the image, or a property of a given form (an image id), set
        # by metadata would change the image or be refused by Glance.
        fields = image_schema._BASE_SCHEMA['properties']
        attributes = {name for name, field in fields.items()
                      if field.get('is_base', True)}
        formed = {name for name, field in fields.items()
                  if not _plain_property(field)}
        self.assertLessEqual({'id', 'owner', 'visibility'}, attributes)
        self.assertEqual(set(), attributes - create_backup.GLANCE_ATTRIBUTES)
        self.assertEqual(
            set(), formed - create_backup.RESERVED_METADATA_KEYS)

    def test_every_reserved_key_is_refused(self):
        keys = sorted(create_backup.RESERVED_METADATA_KEYS)
        self.assertLessEqual(
            create_backup.NOVA_PROPERTIES | create_backup.NOVA_GLANCE_KEYS |
            create_backup.GLANCE_ATTRIBUTES, set(keys))
        for version in ('2.0', '2.1', '2.45'):
            for key in keys:
                self.assertReservedRefused(key, version)

    def test_case_and_surrounding_spaces_ignored(self):
        for key in ('Instance_UUID ', ' image_type', 'BACKUP_TYPE',
                    'Visibility', '  owner  ', 'Kernel_Id', 'Location '):
            self.assertReservedRefused(key)
        # From Nova 33 the /v2 endpoint lets through keys that the key
        # pattern does not match, such as one padded with a tab.
        if LEGACY_SKIPS_METADATA:
            self.assertReservedRefused('\tuser_id', version='2.0')
        else:
            resp = self.post_metadata({'\tuser_id': 'forged'},
                                      version='2.0')
            self.assertRefused(resp, 400, '\\tuser_id')
            self.assertNothingLeft()

    def test_every_offending_key_is_named(self):
        resp = self.post_metadata({'purpose': 'audit', 'User_Id': 'x',
                                   'mappings': '[]'})

        message = self.assertRefused(resp, 400, 'User_Id', 'mappings')
        self.assertNotIn('purpose', message)
        self.assertNothingLeft()

    def test_other_keys_accepted(self):
        # Only whole keys are reserved, not keys that contain one.
        metadata = {'instance_uuid_of_origin': 'x', 'my image_type': 'x',
                    'location_hint': 'x'}
        resp = self.post_metadata(metadata)

        self.assertEqual(202, resp.status_int, resp.body)
        [image] = self.new_images().values()
        for key in metadata:
            self.assertEqual('x', image['properties'][key])


class LegacyMetadataValuesTest(_CreateBackupTestCase):
    """At 2.0, metadata values that are not short strings: 400."""

    # Keys that the metadata key pattern does not match: at 2.0 Nova's
    # schema checks neither them nor their values.
    BAD_VALUES = {'a/b': None, 'c/d': 1, 'e/f': {'g': 'h'}, 'i/j': ['k'],
                  'l/m': True, 'n/o': 'v' * 256}

    def test_refused(self):
        # Up to Nova 32, Nova's schema refuses these keys itself.
        fragments = ()
        if LEGACY_SKIPS_METADATA:
            fragments = ('at most 255 characters',)
        for key, value in sorted(self.BAD_VALUES.items()):
            resp = self.post_metadata({key: value}, version='2.0')

            self.assertRefused(resp, 400, key, *fragments)
            self.assertNothingLeft()

    @testtools.skipUnless(LEGACY_SKIPS_METADATA,
                          'up to Nova 32 the /v2 schema refuses the keys')
    def test_all_named(self):
        resp = self.post_metadata(self.BAD_VALUES, version='2.0')

        message = self.assertRefused(resp, 400)
        named = message.rsplit(' for ', 1)[1].rstrip('.').split(', ')
        self.assertEqual(sorted(self.BAD_VALUES), named)
        self.assertNothingLeft()

    @testtools.skipUnless(LEGACY_SKIPS_METADATA,
                          'up to Nova 32 the /v2 schema refuses the key')
    def test_string_of_255_accepted(self):
        # Up to 2.38 the metadata counts against Nova's quota, in its
        # database.
        self.useFixture(fixtures.MockPatch('nova.quota.QUOTAS.limit_check'))
        resp = self.post_metadata({'a/b': 'v' * 255}, version='2.0')

        self.assertEqual(202, resp.status_int, resp.body)
        [image] = self.new_images().values()
        self.assertEqual('v' * 255, image['properties']['a/b'])


def _glance_answer(status):
    """The error glanceclient raises for a Glance answer of a status."""
    response = requests.Response()
    response.status_code = status
    response.headers['Content-Type'] = 'text/plain'
    response._content = b'refused by the image service'
    return glance_exc.from_response(response, response.content)


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

    def test_not_found(self):
        # nova's image API turns Glance's 404 on create into NotFound.
        self.glance_fails(exception.NotFound('404 Not Found'))
        resp = self.post()

        self.assertRefused(resp, 503, 'HTTP 404', 'Try again later')
        self.assertNothingLeft()

    def test_server_error(self):
        self.glance_fails(glance_exc.HTTPInternalServerError('boom'))
        resp = self.post()

        self.assertRefused(resp, 503, 'HTTP 500', 'Try again later')
        self.assertNothingLeft()

    def test_answers_by_status(self):
        # Errors that Nova's image API passes on untranslated. glanceclient
        # has a class for 405, 409, 501 and 502; any other status (429 and
        # 504 among them) comes as its base HTTPException, whose code is
        # 'N/A', so that the status itself is not known.
        cases = {405: 400, 409: 409, 501: 503, 502: 503, 406: 503,
                 418: 503, 429: 503, 504: 503}
        errors = []

        def refuse(*args, **kwargs):
            raise errors.pop()

        self.glance_fails(refuse)
        for status, expected in sorted(cases.items()):
            error = _glance_answer(status)
            errors.append(error)
            resp = self.post()

            self.assertEqual(expected, resp.status_int,
                             '%s (%s, code %r): %s' % (
                                 status, type(error).__name__, error.code,
                                 resp.body))
            message = self.assertRefused(resp, expected)
            self.assertIn('image service', message)
            self.assertNothingLeft()
        for status in (406, 418, 429, 504):
            self.assertEqual('N/A', _glance_answer(status).code)


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
