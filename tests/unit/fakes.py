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


"""Extensions, controllers and requests shared by the unit tests."""

import importlib.metadata
import os

import fixtures
from nova.api.openstack import wsgi
from nova import context as nova_context
from nova.tests import fixtures as nova_fixtures
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel as uuids
from stevedore import extension as stevedore_extension
import webob
import yaml

from nova_createbackup_ext.api import extensions
from nova_createbackup_ext.api import loader

PROJECT_ID = uuids.fake_project


class PingController(wsgi.Controller):
    """Answers a pingBackup action with what it was sent."""

    @wsgi.action('pingBackup')
    def _ping_backup(self, req, id, body):
        return {'pong': {'server': id, 'echo': body['pingBackup']}}


class RivalCreateBackupController(wsgi.Controller):
    """A second controller that serves createBackup."""

    @wsgi.action('createBackup')
    def _create_backup(self, req, id, body):
        return {'rival': id}


class NoActionController(wsgi.Controller):
    """A controller without a single action."""

    def index(self, req):
        return {}


class PingExtension(extensions.ExtensionDescriptor):
    name = 'PingBackup'
    alias = 'os-ping-backup'
    version = '0.1'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension('servers', PingController())]


class RivalExtension(extensions.ExtensionDescriptor):
    name = 'RivalCreateBackup'
    alias = 'os-rival-create-backup'
    version = '2.0'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            'servers', RivalCreateBackupController())]


class UnknownCollectionExtension(extensions.ExtensionDescriptor):
    name = 'Unknown'
    alias = 'os-unknown-collection'
    version = '1.0'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension('gadgets', PingController())]


class NoActionExtension(extensions.ExtensionDescriptor):
    name = 'NoAction'
    alias = 'os-no-action'
    version = '1.0'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            'servers', NoActionController())]


def make_manager(*objects):
    """A stevedore manager holding the given loaded objects.

    Each is given an entry point of the extension namespace named after
    its alias (or its type, for an object without one).
    """
    loaded = []
    for obj in objects:
        name = getattr(obj, 'alias', None) or type(obj).__name__
        value = '%s:%s' % (type(obj).__module__, type(obj).__name__)
        entry_point = importlib.metadata.EntryPoint(
            name=name, value=value, group=loader.NAMESPACE)
        loaded.append(stevedore_extension.Extension(
            name, entry_point, type(obj), obj))
    return stevedore_extension.ExtensionManager.make_test_instance(
        loaded, namespace=loader.NAMESPACE)


def context(roles=('member', 'reader'), project_id=PROJECT_ID):
    return nova_context.RequestContext(
        user_id=uuids.fake_user, project_id=project_id, roles=list(roles))


def action_request(server_id, body, version='2.1', ctxt=None):
    """A POST /servers/{id}/action request as nova's router receives it.

    :param version: the microversion asked for, or None to ask for none
    """
    req = webob.Request.blank(
        '/servers/%s/action' % server_id, method='POST',
        content_type='application/json', body=jsonutils.dump_as_bytes(body))
    if version:
        req.headers['OpenStack-API-Version'] = 'compute %s' % version
    req.environ['nova.context'] = ctxt or context()
    return req


class PolicyFile(nova_fixtures.RealPolicyFixture):
    """The shipped defaults, with an operator's policy.yaml on top.

    :param rules: ``{rule name: check string}`` for the file
    """

    def __init__(self, rules):
        super().__init__()
        self.rules = rules

    def _prepare_policy(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.policy_file = os.path.join(directory, 'policy.yaml')
        with open(self.policy_file, 'w') as f:
            yaml.safe_dump(self.rules, f)
