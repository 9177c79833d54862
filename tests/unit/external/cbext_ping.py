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


"""A test-only API extension, shipped by a distribution of its own.

The unit tests install it into a temporary directory with an entry point
in the ``nova_createbackup_ext.api_extensions`` namespace, to show that
the loader serves any extension, not only the package's own. It adds a
``pingBackup`` action to servers and an ``os-pings`` collection.
"""

from nova.api.openstack import wsgi

from nova_createbackup_ext.api import extensions


class PingBackupController(wsgi.Controller):
    """The pingBackup action of the servers collection."""

    @wsgi.action('pingBackup')
    def _ping_backup(self, req, id, body):
        """Answer with the server's id and the body's payload."""
        return {'pong': {'server': id, 'echo': body['pingBackup']}}


class PingsController(wsgi.Controller):
    """The os-pings collection."""

    def index(self, req):
        """List the pings."""
        return {'pings': [{'id': 'first'}]}

    def show(self, req, id):
        """Show one ping."""
        return {'ping': {'id': id}}

    @wsgi.action('ring')
    def _ring(self, req, id, body):
        """Ring a ping."""
        return {'rang': id}


class PingBackup(extensions.ExtensionDescriptor):
    """Ping servers and list pings."""

    name = 'PingBackup'
    alias = 'os-ping-backup'
    version = '0.1'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            'servers', PingBackupController())]

    def get_resources(self):
        return [extensions.ResourceExtension(
            'os-pings', PingsController(),
            collection_methods={'GET': 'index'},
            member_methods={'GET': 'show'})]


class Exploding(extensions.ExtensionDescriptor):
    """A descriptor that fails when it is made."""

    name = 'Exploding'
    alias = 'os-exploding'
    version = '0.1'

    def __init__(self):
        super().__init__()
        raise RuntimeError('the descriptor cannot be made')


def not_a_descriptor():
    """An entry point that loads something else than a descriptor."""
    return {'alias': 'os-not-a-descriptor'}
