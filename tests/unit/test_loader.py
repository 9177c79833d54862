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


"""The loader and the router: extensions wired into nova's own router.

Extensions come from stevedore test managers holding descriptors already
loaded; the router is nova's, built for real.
"""

import fixtures
from nova.api.openstack.compute import create_backup as nova_create_backup
from nova.api.openstack.compute import routes
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel as uuids

from nova_createbackup_ext.api import create_backup
from nova_createbackup_ext.api import extension
from nova_createbackup_ext.api import extensions
from nova_createbackup_ext.api import loader
from nova_createbackup_ext.api import router
from tests.unit import base
from tests.unit import fakes

LOG_PREFIX = 'Loaded API extensions: '


def _servers_action(app, project_id=None):
    """The Resource that serves POST /servers/{id}/action on a router."""
    path = '/servers/%s/action' % uuids.server
    if project_id:
        path = '/%s%s' % (project_id, path)
    match = app.map.match(environ={'REQUEST_METHOD': 'POST',
                                   'PATH_INFO': path})
    return match['controller']


def _route_count(app):
    return len(app.map.matchlist)


class _RouterTestCase(base.RouterTestCase):

    def setUp(self):
        super().setUp()
        # Each test starts as a fresh nova-api process, which has logged
        # nothing yet.
        self.useFixture(fixtures.MockPatchObject(loader, '_last_logged',
                                                 None))

    def build(self, *descriptors):
        manager = fakes.make_manager(*descriptors)
        return router.APIRouterV21(
            descriptors=loader.load_extensions(manager))

    def loaded_lines(self):
        return [line for line in self.stdlog.logger.output.splitlines()
                if LOG_PREFIX in line]


class AttachTest(_RouterTestCase):

    def test_installed_extensions_are_found(self):
        # The package's own entry point, found by stevedore.
        descriptors = loader.load_extensions()
        self.assertEqual(['os-create-backup'],
                         [d.alias for d in descriptors])
        self.assertIsInstance(descriptors[0], extension.CreateBackup)

    def test_create_backup_replaces_novas(self):
        app = self.build(extension.CreateBackup())
        stock = routes.APIRouterV21()

        self.assertEqual(['servers:createBackup'], app.replaced_actions)
        ours = _servers_action(app).wsgi_actions['createBackup']
        self.assertIsInstance(ours.__self__,
                              create_backup.CreateBackupController)
        theirs = _servers_action(stock).wsgi_actions['createBackup']
        self.assertIsInstance(theirs.__self__,
                              nova_create_backup.CreateBackupController)

    def test_both_routes_of_the_action_are_served(self):
        # nova connects each route with and without a project id.
        app = self.build(extension.CreateBackup())
        for resource in (_servers_action(app),
                         _servers_action(app, fakes.PROJECT_ID)):
            self.assertIsInstance(
                resource.wsgi_actions['createBackup'].__self__,
                create_backup.CreateBackupController)

    def test_other_actions_and_routes_stay_novas(self):
        app = self.build(extension.CreateBackup())
        stock = routes.APIRouterV21()

        self.assertEqual(_route_count(stock), _route_count(app))
        ours = _servers_action(app).wsgi_actions
        theirs = _servers_action(stock).wsgi_actions
        self.assertEqual(sorted(theirs), sorted(ours))
        for action in sorted(set(theirs) - {'createBackup'}):
            self.assertIs(type(theirs[action].__self__),
                          type(ours[action].__self__), action)

    def test_tests_may_build_without_extensions(self):
        # Descriptors given explicitly (as tests give them) are not held
        # to REQUIRED_ACTIONS: none leaves nova's own action in place.
        app = self.build()
        self.assertEqual([], app.replaced_actions)
        self.assertEqual([], app.extensions)
        self.assertIsInstance(
            _servers_action(app).wsgi_actions['createBackup'].__self__,
            nova_create_backup.CreateBackupController)

    def test_new_action_is_dispatched(self):
        app = self.build(fakes.PingExtension())
        self.assertEqual([], app.replaced_actions)

        for project_id in (None, fakes.PROJECT_ID):
            req = fakes.action_request(uuids.server, {'pingBackup': 'hi'})
            if project_id:
                req.path_info = '/%s%s' % (project_id, req.path_info)
            resp = req.get_response(app)
            self.assertEqual(200, resp.status_int, resp.body)
            self.assertEqual(
                {'pong': {'server': uuids.server, 'echo': 'hi'}},
                jsonutils.loads(resp.body))

    def test_unknown_action_is_still_refused(self):
        app = self.build(fakes.PingExtension())
        resp = fakes.action_request(
            uuids.server, {'pingNothing': {}}).get_response(app)
        self.assertEqual(400, resp.status_int)

    def test_descriptors_are_sorted_by_alias(self):
        descriptors = loader.load_extensions(fakes.make_manager(
            fakes.PingExtension(), extension.CreateBackup()))
        self.assertEqual(['os-create-backup', 'os-ping-backup'],
                         [d.alias for d in descriptors])


class _Nameless(extensions.ExtensionDescriptor):
    name = 'Nameless'
    alias = 'os-nameless'
    version = '1.0'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            'servers', fakes.PingController())]


class _SameAlias(fakes.PingExtension):
    name = 'AnotherPing'


class LoadErrorTest(_RouterTestCase):

    def assertLoadError(self, func, *args, fragments=()):
        error = self.assertRaises(loader.ExtensionLoadError, func, *args)
        message = str(error)
        self.assertNotIn('\n', message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        # Nothing is logged as loaded when loading fails.
        self.assertEqual([], self.loaded_lines())
        return message

    def test_not_a_descriptor(self):
        manager = fakes.make_manager(fakes.PingController())
        self.assertLoadError(
            loader.load_extensions, manager,
            fragments=['PingController = tests.unit.fakes:PingController',
                       loader.NAMESPACE, 'not an ExtensionDescriptor'])

    def test_missing_name_alias_or_version(self):
        for attr in ('name', 'alias', 'version'):
            for bad in ('', None, 1.0):
                descriptor = _Nameless()
                setattr(descriptor, attr, bad)
                manager = fakes.make_manager(descriptor)
                self.assertLoadError(
                    loader.load_extensions, manager,
                    fragments=['tests.unit.test_loader:_Nameless',
                               'has no %s' % attr])

    def test_duplicate_alias(self):
        manager = fakes.make_manager(fakes.PingExtension(), _SameAlias())
        self.assertLoadError(
            loader.load_extensions, manager,
            fragments=['tests.unit.test_loader:_SameAlias', 'os-ping-backup',
                       'PingExtension'])

    def test_two_extensions_claim_one_action(self):
        self.assertLoadError(
            self.build, extension.CreateBackup(), fakes.RivalExtension(),
            fragments=['os-create-backup', 'os-rival-create-backup',
                       'createBackup', 'servers'])

    def test_unknown_collection(self):
        self.assertLoadError(
            self.build, fakes.UnknownCollectionExtension(),
            fragments=['os-unknown-collection', 'gadgets',
                       '/gadgets/{id}/action'])

    def test_controller_without_actions(self):
        self.assertLoadError(
            self.build, fakes.NoActionExtension(),
            fragments=['os-no-action', 'servers', '@wsgi.action'])


class LogOnceTest(_RouterTestCase):

    def test_two_routers_log_once(self):
        # nova-api builds its router for /v2 and again for /v2.1, through
        # the paste factory.
        v2 = router.APIRouterV21.factory({})
        v21 = router.APIRouterV21.factory({})

        self.assertIsNot(v2, v21)
        lines = self.loaded_lines()
        self.assertEqual(1, len(lines), lines)
        self.assertIn('os-create-backup 1.0', lines[0])
        self.assertIn('in-tree actions they replace: servers:createBackup',
                      lines[0])
        self.assertIn('collections they add: none', lines[0])
        self.assertIn('INFO', lines[0])

    def test_a_different_set_is_logged_again(self):
        self.build(extension.CreateBackup())
        self.build(extension.CreateBackup(), fakes.PingExtension())
        lines = self.loaded_lines()
        self.assertEqual(2, len(lines), lines)
        self.assertIn('os-create-backup 1.0, os-ping-backup 0.1', lines[1])

    def test_nothing_loaded(self):
        self.build()
        lines = self.loaded_lines()
        self.assertEqual(1, len(lines), lines)
        self.assertIn(LOG_PREFIX + 'none', lines[0])
