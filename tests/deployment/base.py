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

"""What the tests against a deployment share: finding it, clients, waits.

``DeploymentTestCase`` skips every test when no deployment is configured
or its compute API does not answer. Its helpers act as the demo
project's member unless told otherwise.
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import testtools

COMPUTE = {'service_type': 'compute', 'interface': 'public'}
IMAGE = {'service_type': 'image', 'interface': 'public'}

# How long a server or an image may take to reach the state a test waits
# for, in seconds; a loaded CI machine needs more than a quiet laptop.
TIMEOUT = int(os.environ.get('CREATEBACKUP_DEPLOYMENT_TIMEOUT', '180'))


def deployment_file():
    """Return the path of deployment.json, or None when there is none."""
    path = os.environ.get('CREATEBACKUP_DEPLOYMENT')
    if not path:
        state = os.environ.get('CREATEBACKUP_STATE') or os.path.join(
            os.path.expanduser('~'), '.cache', 'nova-createbackup-ext')
        path = os.path.join(state, 'stack', 'deployment.json')
    return path if os.path.isfile(path) else None


class DeploymentTestCase(testtools.TestCase):
    """A test against the running single-node deployment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = deployment_file()
        if path is None:
            raise cls.skipException(
                'no deployment: run tools/stack.sh, or set '
                'CREATEBACKUP_DEPLOYMENT to its deployment.json')
        with open(path) as f:
            cls.deployment = json.load(f)
        try:
            from openstack import config as os_config
        except ImportError:
            raise cls.skipException(
                'openstacksdk is missing: run with the deployment venv')
        cls._config = os_config.OpenStackConfig(
            config_files=[cls.deployment['clouds_yaml']])
        cls.resources = cls.deployment['resources']
        # A deployment that is configured but stopped is skipped too; one
        # that runs but answers wrongly fails the tests.
        try:
            urllib.request.urlopen(cls.deployment['compute_url'], timeout=10)
        except urllib.error.HTTPError:
            pass
        except OSError as exc:
            raise cls.skipException(
                'the deployment in %s does not run: %s' % (path, exc))
        cls.member = cls.session('member')

    @classmethod
    def session(cls, cloud):
        """A keystoneauth session of a cloud in clouds.yaml."""
        return cls._config.get_one(cloud=cloud).get_session()

    # Services

    def ctl(self, action, service):
        """Stop or start one service of the deployment; wait for it."""
        env = dict(os.environ, **self.deployment['env'])
        subprocess.run(['bash', self.deployment['ctl'], action, service],
                       check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)

    def stop_service(self, service):
        """Stop a service, and start it again when the test ends."""
        self.addCleanup(self.ctl, 'start', service)
        self.ctl('stop', service)

    # Servers and backups

    def wait_for(self, what, probe, timeout=TIMEOUT):
        """Call probe until it returns something true; return that."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail('timed out after %ss waiting for %s' % (
                    timeout, what))
            time.sleep(1)

    def get_server(self, server_id, sess=None):
        resp = (sess or self.member).get(
            '/servers/%s' % server_id, endpoint_filter=COMPUTE,
            raise_exc=False)
        if resp.status_code == 404:
            return None
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['server']

    def wait_idle(self, server_id):
        """Wait for the server to be ACTIVE with no task; return it."""
        def idle():
            server = self.get_server(server_id)
            self.assertNotEqual('ERROR', server['status'])
            if (server['status'] == 'ACTIVE' and
                    server['OS-EXT-STS:task_state'] is None):
                return server
            return None
        return self.wait_for('server %s to be idle' % server_id, idle)

    def create_server(self, sess=None):
        """Boot a server with no network; delete it when the test ends."""
        sess = sess or self.member
        resp = sess.post('/servers', endpoint_filter=COMPUTE, json={
            'server': {
                'name': 'cbext-%s' % self.id().rsplit('.', 1)[-1],
                'imageRef': self.resources['cbext-tiny'],
                'flavorRef': self.resources['cbext.tiny'],
                'networks': 'none'}},
            headers={'OpenStack-API-Version': 'compute 2.37'})
        server_id = resp.json()['server']['id']
        self.addCleanup(self.delete_server, server_id, sess)
        self.wait_idle(server_id)
        return server_id

    def delete_server(self, server_id, sess):
        for image in self.backups_of(server_id, sess):
            sess.delete('/v2/images/%s' % image['id'],
                        endpoint_filter=IMAGE, raise_exc=False)
        sess.delete('/servers/%s' % server_id, endpoint_filter=COMPUTE,
                    raise_exc=False)
        self.wait_for('server %s to go' % server_id,
                      lambda: self.get_server(server_id, sess) is None)

    def backups_of(self, server_id, sess=None):
        """The server's images in Glance, oldest first."""
        resp = (sess or self.member).get(
            '/v2/images', endpoint_filter=IMAGE,
            params={'instance_uuid': server_id, 'sort': 'created_at:asc'})
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['images']

    def create_backup(self, server_id, microversion='2.45', sess=None,
                      **body):
        """Send createBackup; return the response, whatever it is."""
        backup = {'name': 'nightly', 'backup_type': 'daily', 'rotation': 2}
        backup.update(body)
        return (sess or self.member).post(
            '/servers/%s/action' % server_id, endpoint_filter=COMPUTE,
            json={'createBackup': backup}, raise_exc=False,
            headers={'OpenStack-API-Version': 'compute %s' % microversion})

    def wait_image_active(self, image_id, sess=None):
        def active():
            resp = (sess or self.member).get(
                '/v2/images/%s' % image_id, endpoint_filter=IMAGE,
                raise_exc=False)
            self.assertEqual(200, resp.status_code, resp.text)
            return resp.json()['status'] == 'active'
        self.wait_for('image %s to be active' % image_id, active)
