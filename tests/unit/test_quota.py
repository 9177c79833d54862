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

"""The Glance quota pre-check and the operator's limits on a backup.

Glance is a small HTTP server of the test's own on 127.0.0.1, reached
through Nova's own Glance client, so the endpoint choice, the caller's
token, the retries and the timeouts are those nova-api uses. The
controller runs with a compute API double that only records the backups
it is asked for: a refused request must leave it with none.
"""

import http
import http.server
import json
import socket
import threading

import fixtures
from nova.api.openstack import api_version_request
from nova import context as nova_context
from nova import exception
from nova.image import glance as nova_glance
from nova import test
from nova.tests.fixtures import policy as policy_fixture
from nova.tests.unit.api.openstack import fakes
from nova.tests.unit import fake_instance
import webob

from nova_createbackup_ext.api import create_backup
from nova_createbackup_ext import quota

PROJECT = '6f70656e-7374-6163-6b20-70726f6a6563'
SERVER = '0d8b1b6e-3c1e-4c7a-9d0c-4b3d7a1b2c3d'
IMAGE = '5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d'
USAGE_PATH = '/v2/info/usage'


def _usage(**entries):
    """A usage answer of Glance: name=(limit, usage) for each entry."""
    return {'usage': {name: {'limit': limit, 'usage': used}
                      for name, (limit, used) in entries.items()}}


# Glance 33's answer when it enforces no limits (use_keystone_limits off).
NO_LIMITS = {'usage': {}}


class FakeGlance:
    """Glance's usage API on 127.0.0.1, answering as it is told.

    Every request is recorded with its path and token. An answer is a
    status and a body: a dict is sent as JSON, bytes as they are.
    """

    def __init__(self, test_case, prefix=''):
        self.prefix = prefix
        self.requests = []
        self.status = 200
        self.body = NO_LIMITS
        self.content_type = 'application/json'
        self.delay = 0
        self._released = threading.Event()

        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append(
                    (self.path, self.headers.get('X-Auth-Token')))
                if fake.delay:
                    fake._released.wait(fake.delay)
                if self.path != fake.prefix + USAGE_PATH:
                    self._error(404)
                elif isinstance(fake.body, bytes):
                    self._answer(fake.status, fake.body, fake.content_type)
                elif fake.status >= 400:
                    self._error(fake.status)
                else:
                    self._answer(fake.status, json.dumps(fake.body).encode(),
                                 'application/json')

            def _error(self, status):
                # As Glance's API answers an error: a plain text page.
                reason = http.HTTPStatus(status).phrase
                self._answer(status, f'{status} {reason}\n\n'.encode(),
                             'text/plain; charset=UTF-8')

            def _answer(self, status, payload, content_type):
                self.send_response(status)
                self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting (the timeout case).
                    pass

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever,
                                  daemon=True)
        thread.start()
        test_case.addCleanup(thread.join, 5)
        test_case.addCleanup(self._server.server_close)
        test_case.addCleanup(self._server.shutdown)
        test_case.addCleanup(self._released.set)
        self.url = 'http://127.0.0.1:%d%s' % (
            self._server.server_address[1], prefix)

    @property
    def usage_requests(self):
        return [r for r in self.requests
                if r[0] == self.prefix + USAGE_PATH]

    def answer(self, body, status=200, content_type='application/json'):
        self.status = status
        self.body = body
        self.content_type = content_type


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _context(roles=('member', 'reader'), token='member-token',
             catalog=None):
    return nova_context.RequestContext(
        user_id='a-user', project_id=PROJECT, roles=list(roles),
        is_admin='admin' in roles, auth_token=token,
        service_catalog=catalog)


class GlanceTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        # The shipped policy defaults, not nova's permissive test policy.
        self.policy = self.useFixture(policy_fixture.RealPolicyFixture())
        self.glance = FakeGlance(self)
        self.flags(api_servers=[self.glance.url], num_retries=0,
                   group='glance')
        self.addCleanup(quota.reset)
        quota.reset()
        # NOTE(cbext): Nova 32 keeps its Glance session, and with it the
        # [glance] timeout, in nova.image.glance._SESSION for the life of
        # the process; Nova 33 moved it to nova.service_auth, which nova's
        # TestCase resets for every test.
        if hasattr(nova_glance, '_SESSION'):
            self.useFixture(fixtures.MonkeyPatch(
                'nova.image.glance._SESSION', None))


class TestCheck(GlanceTestCase):
    """quota.check against each answer of Glance."""

    def assertRefused(self, name, limit, used, context=None):
        e = self.assertRaises(quota.LimitExceeded, quota.check,
                              context or _context())
        self.assertEqual((name, limit, used), (e.name, e.limit, e.usage))
        for part in (name, str(limit), str(used)):
            self.assertIn(part, e.message)

    def test_under_every_limit(self):
        self.glance.answer(_usage(image_count_total=(10, 9),
                                  image_count_uploading=(2, 1),
                                  image_size_total=(1000, 999),
                                  image_stage_total=(0, 0)))
        quota.check(_context())
        self.assertEqual([(USAGE_PATH, 'member-token')],
                         self.glance.requests)

    def test_count_total_at_limit(self):
        self.glance.answer(_usage(image_count_total=(4, 4),
                                  image_size_total=(1000, 10)))
        self.assertRefused('image_count_total', 4, 4)

    def test_count_total_over_limit(self):
        self.glance.answer(_usage(image_count_total=(4, 6)))
        self.assertRefused('image_count_total', 4, 6)

    def test_count_uploading_at_limit(self):
        self.glance.answer(_usage(image_count_total=(10, 3),
                                  image_count_uploading=(1, 1)))
        self.assertRefused('image_count_uploading', 1, 1)

    def test_size_total_at_limit(self):
        self.glance.answer(_usage(image_count_total=(10, 3),
                                  image_size_total=(2048, 2048)))
        self.assertRefused('image_size_total', 2048, 2048)

    def test_zero_limit(self):
        # A resource without a registered limit is limited to zero by
        # Glance, and it refuses every image.
        self.glance.answer(_usage(image_count_total=(0, 0)))
        self.assertRefused('image_count_total', 0, 0)

    def test_stage_total_is_not_a_backups_limit(self):
        self.glance.answer(_usage(image_count_total=(10, 3),
                                  image_stage_total=(0, 5)))
        quota.check(_context())

    def test_negative_limit_is_no_limit(self):
        self.glance.answer(_usage(image_count_total=(-1, 500),
                                  image_size_total=(-1, 10 ** 6)))
        quota.check(_context())

    def test_enforced_limits_are_asked_every_time(self):
        self.glance.answer(_usage(image_count_total=(3, 2)))
        quota.check(_context())
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertRefused('image_count_total', 3, 3)
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_no_limits_asked_once(self):
        self.glance.answer(NO_LIMITS)
        for _ in range(3):
            quota.check(_context())
        self.assertEqual(1, len(self.glance.usage_requests))

        # Remembered until a restart, even if Glance changes its answer.
        self.glance.answer(_usage(image_count_total=(1, 1)))
        quota.check(_context())
        self.assertEqual(1, len(self.glance.usage_requests))

    def test_no_limits_remembered_per_endpoint(self):
        other = FakeGlance(self)
        other.answer(_usage(image_count_total=(1, 1)))
        self.glance.answer(NO_LIMITS)
        quota.check(_context())

        self.flags(api_servers=[other.url], group='glance')
        self.assertRefused('image_count_total', 1, 1)
        self.assertRefused('image_count_total', 1, 1)
        self.assertEqual(2, len(other.usage_requests))
        self.assertEqual(1, len(self.glance.usage_requests))

    def test_not_found_is_not_remembered(self):
        # Every supported Glance serves the usage API: a 404 (from a proxy
        # in front of it, say) is a failure to answer, asked again on the
        # next backup, not a Glance without limits.
        self.glance.answer({'error': 'not found'}, status=404)
        self.assertRaises(quota.UsageUnavailable, quota.check, _context())
        self.glance.answer(_usage(image_count_total=(1, 1)))
        self.assertRefused('image_count_total', 1, 1)
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_caller_token_sent(self):
        self.glance.answer(_usage(image_count_total=(3, 0)))
        quota.check(_context(token='token-of-caller'))
        self.assertEqual([(USAGE_PATH, 'token-of-caller')],
                         self.glance.requests)

    def test_endpoint_from_the_catalog(self):
        # Without [glance] api_servers, Nova's endpoint is the catalog's,
        # with any version suffix removed.
        image = FakeGlance(self, prefix='/image')
        image.answer(_usage(image_count_total=(2, 2)))
        self.flags(api_servers=None, group='glance')
        catalog = [{'type': 'image', 'name': 'glance', 'endpoints': [
            {'region': 'RegionOne', 'publicURL': image.url + '/v2',
             'internalURL': image.url + '/v2'}]}]
        self.assertRefused('image_count_total', 2, 2,
                           context=_context(catalog=catalog))
        self.assertEqual(['/image' + USAGE_PATH],
                         [path for path, _ in image.requests])
        self.assertEqual([], self.glance.requests)

    def test_no_image_endpoint(self):
        self.flags(api_servers=None, group='glance')
        self.assertRaises(quota.UsageUnavailable, quota.check,
                          _context(catalog=[]))

    def _assert_unavailable(self):
        e = self.assertRaises(quota.UsageUnavailable, quota.check,
                              _context())
        self.assertNotIn('member-token', str(e))
        return e

    def test_server_errors(self):
        for status in (500, 502, 503, 504):
            self.glance.answer({'error': 'broken'}, status=status)
            self._assert_unavailable()
        # Failures are not remembered: each backup asks again.
        self.assertEqual(4, len(self.glance.usage_requests))

    def test_client_errors(self):
        for status in (400, 401, 403):
            self.glance.answer({'error': 'refused'}, status=status)
            e = self._assert_unavailable()
            self.assertIn(str(status), e.reason)

    def test_error_answer_of_a_proxy(self):
        # An error body that glanceclient cannot read still counts as an
        # error answer.
        self.glance.answer(b'{"error": "bad gateway"}', status=502)
        self._assert_unavailable()
        self.glance.answer(b'<html>bad gateway</html>', status=502,
                           content_type='text/html')
        self._assert_unavailable()

    def test_malformed_answers(self):
        answers = [
            b'<html>not json</html>',
            json.dumps({'something': 'else'}).encode(),
            json.dumps({'usage': ['image_count_total']}).encode(),
            json.dumps(
                {'usage': {'image_count_total': {'limit': '5',
                                                 'usage': 1}}}).encode(),
            json.dumps(
                {'usage': {'image_count_total': {'limit': 5}}}).encode(),
        ]
        for body in answers:
            self.glance.answer(body)
            self._assert_unavailable()
        self.assertEqual(len(answers), len(self.glance.usage_requests))

    def test_unreachable(self):
        self.flags(api_servers=['http://127.0.0.1:%d' % _closed_port()],
                   group='glance')
        self._assert_unavailable()

    def test_unreachable_retried_as_nova_does(self):
        self.glance.answer({'error': 'unavailable'}, status=503)
        self.flags(num_retries=1, group='glance')
        self.useFixture(fixtures.MockPatch('time.sleep'))
        self._assert_unavailable()
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_timeout(self):
        self.glance.answer(_usage(image_count_total=(5, 0)))
        self.glance.delay = 5
        self.flags(timeout=1, group='glance')
        self._assert_unavailable()


class FakeImageAPI:
    """The image API of a compute API, down to the records it makes."""

    def __init__(self):
        self.created = []

    def create(self, context, image_meta):
        self.created.append(image_meta['name'])
        return {'id': IMAGE, 'name': image_meta['name']}


class FakeComputeAPI:
    """The compute API of a controller, down to the backups it is asked."""

    def __init__(self, instance):
        self.instance = instance
        self.image_api = FakeImageAPI()
        self.backups = []

    def get(self, context, instance_id, **kwargs):
        if instance_id != self.instance.uuid:
            raise exception.InstanceNotFound(instance_id=instance_id)
        return self.instance

    def backup(self, context, instance, name, backup_type, rotation,
               extra_properties=None):
        # As Nova's: the server is checked, the image record made, then the
        # backup is cast to the compute service.
        image = self.image_api.create(context, {'name': name})
        self.backups.append((name, backup_type, rotation))
        return image


class ControllerTestCase(GlanceTestCase):

    def setUp(self):
        super().setUp()
        self.controller = create_backup.CreateBackupController()
        instance = fake_instance.fake_instance_obj(
            _context(), uuid=SERVER, project_id=PROJECT,
            vm_state='active', task_state=None)
        self.compute_api = FakeComputeAPI(instance)
        self.controller.compute_api = self.compute_api

    def _backup(self, version='2.45', context=None, **entity):
        req = fakes.HTTPRequest.blank(
            '/servers/%s/action' % SERVER, version=version)
        req.environ['nova.context'] = context or _context()
        body = {'createBackup': {'name': 'nightly', 'backup_type': 'daily',
                                 'rotation': 1, **entity}}
        return self.controller._create_backup(req, SERVER, body=body)

    def _admin(self):
        return _context(roles=('admin', 'member', 'reader'),
                        token='admin-token')


class TestControllerQuota(ControllerTestCase):
    """The pre-check as the createBackup action answers it."""

    def test_at_limit_refused(self):
        self.glance.answer(_usage(image_count_total=(3, 3)))
        e = self.assertRaises(webob.exc.HTTPForbidden, self._backup)
        self.assertIn('image_count_total', e.explanation)
        self.assertIn('is 3', e.explanation)
        self.assertEqual([], self.compute_api.backups)
        self.assertEqual(1, len(self.glance.usage_requests))

    def test_under_limit_accepted(self):
        self.glance.answer(_usage(image_count_total=(3, 2)))
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertEqual([('nightly', 'daily', 1)], self.compute_api.backups)

    def test_checked_from_2_39(self):
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertRaises(webob.exc.HTTPForbidden, self._backup,
                          version='2.39')
        self.assertEqual([], self.compute_api.backups)

    def test_not_checked_before_2_39(self):
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.useFixture(fixtures.MockPatch(
            'nova.quota.QUOTAS.limit_check'))
        for version in ('2.1', '2.38'):
            resp = self._backup(version=version)
            self.assertEqual(202, resp.status_int)
        self.assertEqual(2, len(self.compute_api.backups))
        self.assertEqual([], self.glance.requests)

    def test_nova_metadata_quota_before_2_39(self):
        # Up to 2.38 Nova's own limit on metadata items applies.
        def limit_check(context, **values):
            if values.get('metadata_items', 0) > 1:
                raise exception.OverQuota(overs=['metadata_items'])

        self.useFixture(fixtures.MockPatch(
            'nova.quota.QUOTAS.limit_check', side_effect=limit_check))
        self.assertRaises(webob.exc.HTTPForbidden, self._backup,
                          version='2.38', metadata={'a': '1', 'b': '2'})
        self.assertEqual([], self.compute_api.backups)

        self.glance.answer(_usage(image_count_total=(3, 0)))
        self._backup(version='2.39', metadata={'a': '1', 'b': '2'})
        self.assertEqual(1, len(self.compute_api.backups))

    def test_precheck_off(self):
        self.flags(glance_quota_precheck=False, group='create_backup')
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertEqual([], self.glance.requests)

    def test_admin_skips_precheck(self):
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertEqual({'image_id': IMAGE},
                         self._backup(context=self._admin()))
        self.assertEqual([], self.glance.requests)

    def test_skip_precheck_refused_to_member(self):
        # The member is checked and refused where the admin is not.
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertRaises(webob.exc.HTTPForbidden, self._backup)
        self.assertEqual([], self.compute_api.backups)

    def test_skip_precheck_granted_by_policy(self):
        self.policy.set_rules({
            'nova_createbackup_ext:skip_quota_precheck': 'role:member'},
            overwrite=False)
        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertEqual([], self.glance.requests)

    def test_no_limits_asked_once(self):
        self.glance.answer(NO_LIMITS)
        for _ in range(3):
            self._backup()
        self.assertEqual(3, len(self.compute_api.backups))
        self.assertEqual(1, len(self.glance.usage_requests))

    def _unreachable(self):
        self.flags(api_servers=['http://127.0.0.1:%d' % _closed_port()],
                   group='glance')

    def test_unreachable_refused(self):
        self._unreachable()
        self.flags(quota_check_failure='refuse', group='create_backup')
        e = self.assertRaises(webob.exc.HTTPServiceUnavailable,
                              self._backup)
        self.assertIn('no backup was made', e.explanation)
        self.assertEqual([], self.compute_api.backups)

    def test_unreachable_proceeds(self):
        self._unreachable()
        self.flags(quota_check_failure='proceed', group='create_backup')
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertEqual(1, len(self.compute_api.backups))

    def test_server_error_refused_then_asked_again(self):
        self.glance.answer({'error': 'broken'}, status=500)
        self.assertRaises(webob.exc.HTTPServiceUnavailable, self._backup)
        self.glance.answer(_usage(image_count_total=(3, 1)))
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_failure_logged_without_token(self):
        self.flags(quota_check_failure='proceed', group='create_backup')
        self.glance.answer({'error': 'broken'}, status=500)
        self._backup()
        log = self.stdlog.logger.output
        self.assertIn('goes ahead unchecked', log)
        self.assertIn(self.glance.url, log)
        self.assertNotIn('member-token', log)

    def test_server_error_proceeds(self):
        self.flags(quota_check_failure='proceed', group='create_backup')
        self.glance.answer({'error': 'broken'}, status=500)
        self.assertEqual({'image_id': IMAGE}, self._backup())

    def test_default_is_refuse(self):
        self.glance.answer({'error': 'broken'}, status=502)
        self.assertRaises(webob.exc.HTTPServiceUnavailable, self._backup)

    def test_not_found_refused(self):
        # A 404 is a failure to answer, not a Glance without limits: the
        # next backup asks again, and is refused over the limit.
        self.flags(quota_check_failure='refuse', group='create_backup')
        self.glance.answer({'error': 'not found'}, status=404)
        e = self.assertRaises(webob.exc.HTTPServiceUnavailable,
                              self._backup)
        self.assertIn('no backup was made', e.explanation)
        self.assertEqual([], self.compute_api.backups)

        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertRaises(webob.exc.HTTPForbidden, self._backup)
        self.assertEqual([], self.compute_api.backups)
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_not_found_proceeds(self):
        self.flags(quota_check_failure='proceed', group='create_backup')
        self.glance.answer({'error': 'not found'}, status=404)
        self.assertEqual({'image_id': IMAGE}, self._backup())
        self.assertIn('goes ahead unchecked', self.stdlog.logger.output)

        self.glance.answer(_usage(image_count_total=(3, 3)))
        self.assertRaises(webob.exc.HTTPForbidden, self._backup)
        self.assertEqual(1, len(self.compute_api.backups))
        self.assertEqual(2, len(self.glance.usage_requests))

    def test_member_of_other_project_refused_before_glance(self):
        other = nova_context.RequestContext(
            user_id='b-user', project_id='another-project',
            roles=['member', 'reader'], auth_token='other-token')
        self.glance.answer(_usage(image_count_total=(3, 0)))
        self.assertRaises(exception.PolicyNotAuthorized, self._backup,
                          context=other)
        self.assertEqual([], self.glance.requests)
        self.assertEqual([], self.compute_api.backups)


class TestOperatorLimits(ControllerTestCase):
    """[create_backup] allowed_backup_types and max_rotation."""

    def setUp(self):
        super().setUp()
        self.glance.answer(NO_LIMITS)

    def test_any_backup_type_by_default(self):
        self._backup(backup_type='Any type, as Nova')
        self.assertEqual(1, len(self.compute_api.backups))

    def test_backup_type_not_allowed(self):
        self.flags(allowed_backup_types=['daily', 'weekly'],
                   group='create_backup')
        for context in (_context(), self._admin()):
            e = self.assertRaises(webob.exc.HTTPBadRequest, self._backup,
                                  backup_type='monthly', context=context)
            self.assertIn('monthly', e.explanation)
            self.assertIn('daily, weekly', e.explanation)
            self.assertNotIn('allowed_backup_types', e.explanation)
        # Exact and case-sensitive.
        self.assertRaises(webob.exc.HTTPBadRequest, self._backup,
                          backup_type='Daily')
        self.assertEqual([], self.compute_api.backups)

    def test_backup_type_allowed(self):
        self.flags(allowed_backup_types=['daily', 'weekly'],
                   group='create_backup')
        self._backup(backup_type='weekly')
        self.assertEqual([('nightly', 'weekly', 1)],
                         self.compute_api.backups)

    def test_any_rotation_by_default(self):
        self._backup(rotation=10 ** 6)
        self.assertEqual([('nightly', 'daily', 10 ** 6)],
                         self.compute_api.backups)

    def test_rotation_over_limit_refused_to_member(self):
        self.flags(max_rotation=2, group='create_backup')
        e = self.assertRaises(webob.exc.HTTPBadRequest, self._backup,
                              rotation=3)
        self.assertIn('Rotation 3', e.explanation)
        self.assertIn('at most 2', e.explanation)
        self.assertNotIn('max_rotation', e.explanation)
        self.assertEqual([], self.compute_api.backups)

    def test_rotation_at_limit_accepted(self):
        self.flags(max_rotation=2, group='create_backup')
        self._backup(rotation=2)
        self._backup(rotation=0)
        self.assertEqual([2, 0], [r for _, _, r in self.compute_api.backups])

    def test_rotation_over_limit_allowed_to_admin(self):
        self.flags(max_rotation=2, group='create_backup')
        self.assertEqual({'image_id': IMAGE},
                         self._backup(rotation=30, context=self._admin()))
        self.assertEqual([('nightly', 'daily', 30)],
                         self.compute_api.backups)

    def test_rotation_over_limit_by_policy(self):
        self.flags(max_rotation=2, group='create_backup')
        self.policy.set_rules({
            'nova_createbackup_ext:exceed_max_rotation': '!'},
            overwrite=False)
        self.assertRaises(webob.exc.HTTPBadRequest, self._backup,
                          rotation=3, context=self._admin())
        self.assertEqual([], self.compute_api.backups)

    def test_rotation_checked_at_every_version(self):
        self.flags(max_rotation=2, group='create_backup')
        self.useFixture(fixtures.MockPatch(
            'nova.quota.QUOTAS.limit_check'))
        for version in ('2.1', '2.38', '2.45',
                        api_version_request.max_api_version().get_string()):
            self.assertRaises(webob.exc.HTTPBadRequest, self._backup,
                              version=version, rotation=3)
        self.assertEqual([], self.compute_api.backups)
