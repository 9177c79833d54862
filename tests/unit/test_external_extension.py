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


"""An extension from another distribution, loaded by the real loader.

Each test installs a distribution of its own into a temporary directory
on ``sys.path`` (see :mod:`tests.unit.distribution`); stevedore and
``importlib.metadata`` find it as they find any installed package.
Nothing about entry points is patched.
"""

import importlib.metadata

import fixtures
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel as uuids
import webob

from nova_createbackup_ext.api import create_backup
from nova_createbackup_ext.api import loader
from nova_createbackup_ext.api import router
from tests.unit import base
from tests.unit import distribution
from tests.unit import fakes


def _ping_distribution(**entry_points):
    return distribution.Distribution(
        'cbext-ping', {loader.NAMESPACE: entry_points}, copy=['cbext_ping'])


def _get(app, path, ctxt=None):
    req = webob.Request.blank(path)
    req.headers['OpenStack-API-Version'] = 'compute 2.1'
    req.environ['nova.context'] = ctxt or fakes.context()
    return req.get_response(app)


class _ExternalTestCase(base.RouterTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(loader, '_last_logged',
                                                 None))


class ExternalExtensionTest(_ExternalTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(_ping_distribution(
            **{'os-ping-backup': 'cbext_ping:PingBackup'}))
        # As nova-api builds it from api-paste.ini.
        self.app = router.APIRouterV21.factory({})

    def test_both_extensions_are_loaded(self):
        self.assertEqual(['os-create-backup', 'os-ping-backup'],
                         [d.alias for d in self.app.extensions])
        self.assertEqual(['servers:createBackup'],
                         self.app.replaced_actions)
        self.assertEqual('cbext_ping',
                         type(self.app.extensions[1]).__module__)

    def test_new_server_action_is_dispatched(self):
        for prefix in ('', '/' + fakes.PROJECT_ID):
            req = fakes.action_request(uuids.server,
                                       {'pingBackup': {'n': 1}})
            req.path_info = prefix + req.path_info
            resp = req.get_response(self.app)
            self.assertEqual(200, resp.status_int, resp.body)
            self.assertEqual(
                {'pong': {'server': uuids.server, 'echo': {'n': 1}}},
                jsonutils.loads(resp.body))

    def test_create_backup_is_still_the_packages(self):
        resource = self.app.map.match(environ={
            'REQUEST_METHOD': 'POST',
            'PATH_INFO': '/servers/%s/action' % uuids.server})['controller']
        self.assertIsInstance(
            resource.wsgi_actions['createBackup'].__self__,
            create_backup.CreateBackupController)
        self.assertEqual('PingBackupController', type(
            resource.wsgi_actions['pingBackup'].__self__).__name__)

    def test_new_collection_is_served(self):
        for prefix in ('', '/' + fakes.PROJECT_ID):
            resp = _get(self.app, prefix + '/os-pings')
            self.assertEqual(200, resp.status_int, resp.body)
            self.assertEqual({'pings': [{'id': 'first'}]},
                             jsonutils.loads(resp.body))

            resp = _get(self.app, prefix + '/os-pings/second')
            self.assertEqual(200, resp.status_int, resp.body)
            self.assertEqual({'ping': {'id': 'second'}},
                             jsonutils.loads(resp.body))

    def test_new_collection_has_its_actions(self):
        req = fakes.action_request('second', {'ring': {}})
        req.path_info = '/os-pings/second/action'
        resp = req.get_response(self.app)
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual({'rang': 'second'}, jsonutils.loads(resp.body))

    def test_only_declared_methods_are_routed(self):
        req = webob.Request.blank('/os-pings', method='DELETE')
        req.environ['nova.context'] = fakes.context()
        self.assertEqual(404, req.get_response(self.app).status_int)

    def test_log_line_names_both(self):
        router.APIRouterV21.factory({})
        lines = [line for line in self.stdlog.logger.output.splitlines()
                 if 'Loaded API extensions' in line]
        self.assertEqual(1, len(lines), lines)
        self.assertIn('os-create-backup 1.0, os-ping-backup 0.1', lines[0])
        self.assertIn('collections they add: os-pings', lines[0])


class IsolationTest(_ExternalTestCase):

    def _found(self, **kwargs):
        dist = distribution.Distribution(
            'cbext-ping',
            {loader.NAMESPACE: {'os-ping-backup': 'cbext_ping:PingBackup'}},
            copy=['cbext_ping'], **kwargs)
        with dist:
            found = [d.alias for d in loader.load_extensions()]
        return found, [d.alias for d in loader.load_extensions()]

    def test_gone_with_its_fixture(self):
        during, after = self._found()
        self.assertEqual(['os-create-backup', 'os-ping-backup'], during)
        self.assertEqual(['os-create-backup'], after)

    def test_an_entry_point_found_twice_is_loaded_once(self):
        # As when a second distribution publishes the same entry point:
        # stevedore drops the copy.
        value = 'nova_createbackup_ext.api.extension:CreateBackup'
        dist = distribution.Distribution(
            'nova-createbackup-ext-copy',
            {loader.NAMESPACE: {'os-create-backup': value}},
            stevedore_cache=True)
        with dist:
            published = importlib.metadata.entry_points(
                group=loader.NAMESPACE)
            found = loader.load_extensions()
        self.assertEqual(2, len(published))
        self.assertEqual(['os-create-backup'], [d.alias for d in found])

    def test_found_through_stevedores_own_cache(self):
        during, after = self._found(stevedore_cache=True)
        self.assertEqual(['os-create-backup', 'os-ping-backup'], during)
        self.assertEqual(['os-create-backup'], after)


class BrokenExtensionTest(_ExternalTestCase):
    """An entry point that cannot be loaded stops the router."""

    def assertStops(self, entry_point, value, *fragments, **modules):
        self.useFixture(distribution.Distribution(
            'cbext-broken', {loader.NAMESPACE: {entry_point: value}},
            modules=modules, copy=['cbext_ping']))
        error = self.assertRaises(loader.ExtensionLoadError,
                                  router.APIRouterV21.factory, {})
        message = str(error)
        self.assertNotIn('\n', message)
        self.assertIn('%s = %s (namespace %s)' % (
            entry_point, value, loader.NAMESPACE), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        lines = [line for line in self.stdlog.logger.output.splitlines()
                 if 'Loaded API extensions' in line]
        self.assertEqual([], lines)

    def test_import_failure(self):
        self.assertStops(
            'os-broken', 'cbext_broken:Broken',
            "ModuleNotFoundError: No module named 'cbext_missing_dependency'",
            cbext_broken='import cbext_missing_dependency  # noqa\n')

    def test_missing_module(self):
        self.assertStops('os-nowhere', 'cbext_nowhere:Nowhere',
                         'ModuleNotFoundError')

    def test_missing_attribute(self):
        self.assertStops('os-missing', 'cbext_ping:NoSuchDescriptor',
                         'AttributeError', 'NoSuchDescriptor')

    def test_descriptor_that_fails(self):
        self.assertStops('os-exploding', 'cbext_ping:Exploding',
                         'RuntimeError: the descriptor cannot be made')

    def test_not_a_descriptor(self):
        self.assertStops('os-not-a-descriptor', 'cbext_ping:not_a_descriptor',
                         'is not an ExtensionDescriptor')


class RequiredActionTest(_ExternalTestCase):
    """Installed extensions that leave createBackup to nova stop the router.

    The extensions are looked up in a namespace of their own, which only
    the distribution the test installs publishes to, so that the
    package's own entry point is not found.
    """

    NAMESPACE = 'nova_createbackup_ext.tests.isolated_api_extensions'

    def assertRefused(self, **entry_points):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_createbackup_ext.api.loader.NAMESPACE', self.NAMESPACE))
        self.useFixture(distribution.Distribution(
            'cbext-isolated', {self.NAMESPACE: entry_points},
            copy=['cbext_ping']))
        found = [d.alias for d in loader.load_extensions()]
        self.assertEqual(sorted(entry_points), found)

        error = self.assertRaises(loader.ExtensionLoadError,
                                  router.APIRouterV21.factory, {})
        message = str(error)
        self.assertNotIn('\n', message)
        self.assertIn('servers:createBackup', message)
        self.assertIn(self.NAMESPACE, message)
        self.assertEqual(('servers:createBackup',), router.REQUIRED_ACTIONS)

    def test_none_installed(self):
        self.assertRefused()

    def test_only_other_extensions_installed(self):
        self.assertRefused(**{'os-ping-backup': 'cbext_ping:PingBackup'})

    def test_built_when_createbackup_is_installed(self):
        # The same namespace, with the package's extension published.
        self.useFixture(fixtures.MonkeyPatch(
            'nova_createbackup_ext.api.loader.NAMESPACE', self.NAMESPACE))
        value = 'nova_createbackup_ext.api.extension:CreateBackup'
        self.useFixture(distribution.Distribution(
            'cbext-isolated', {self.NAMESPACE: {'os-create-backup': value}}))
        app = router.APIRouterV21.factory({})
        self.assertEqual(['servers:createBackup'], app.replaced_actions)
