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

"""Glance's image limits and createBackup, on the single-node deployment.

The deployment is the one tools/stack.sh builds: Glance enforces the
unified limits that Keystone holds for it, and nova-api serves
createBackup through the extension. It is found through
``${CREATEBACKUP_STATE:-~/.cache/nova-createbackup-ext}/stack/
deployment.json``; without that file every test is skipped.

The tests run in a project of their own, made for them and deleted with
everything in it afterwards, so that lowering its limits and quotas
touches nobody else: a member of it, a server booted without networks,
and the project limit on ``image_count_total`` that the tests move.
"""

import json
import os
import secrets
import time
import unittest
import uuid

from keystoneauth1 import adapter
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import yaml

STATE = os.environ.get(
    'CREATEBACKUP_STATE',
    os.path.expanduser('~/.cache/nova-createbackup-ext'))
DEPLOYMENT_FILE = os.path.join(STATE, 'stack', 'deployment.json')

# Up to 2.38 Nova counts the metadata against its own quota; from 2.39
# Glance's limits are asked first; from 2.45 the body has the image's id.
LEGACY_VERSION = '2.38'
IMAGE_ID_VERSION = '2.45'
BOOT_VERSION = '2.37'

TIMEOUT = 180
BACKUP_TYPE = 'daily'


def _deployment():
    """The deployment's description, or a skip saying why there is none."""
    try:
        with open(DEPLOYMENT_FILE) as f:
            deployment = json.load(f)
    except FileNotFoundError:
        raise unittest.SkipTest(
            f'no deployment configured: {DEPLOYMENT_FILE} does not exist '
            '(tools/stack.sh writes it)')
    with open(deployment['clouds_yaml']) as f:
        deployment['clouds'] = yaml.safe_load(f)['clouds']
    return deployment


class Cloud:
    """Sessions of one user of the deployment, an adapter per service."""

    def __init__(self, cloud):
        auth = v3.Password(**cloud['auth'])
        self.session = ks_session.Session(auth=auth)
        self.region = cloud.get('region_name')
        self.project_id = None

    def service(self, service_type, version=None):
        headers = {}
        if version:
            headers['OpenStack-API-Version'] = f'compute {version}'
        return adapter.Adapter(
            self.session, service_type=service_type, interface='public',
            region_name=self.region, raise_exc=False,
            additional_headers=headers)

    def compute(self, version=None):
        return self.service('compute', version)

    @property
    def image(self):
        return self.service('image')

    @property
    def identity(self):
        return self.service('identity')


def _ok(resp, *expected):
    if resp.status_code not in (expected or (200,)):
        raise AssertionError(
            f'{resp.request.method} {resp.url}: HTTP {resp.status_code}: '
            f'{resp.text[:500]}')
    return resp.json() if resp.content else None


def _wait(what, probe, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(2)


class TestGlanceQuota(unittest.TestCase):
    """createBackup against a project at and below its image limit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        deployment = _deployment()
        clouds = deployment['clouds']
        resources = deployment['resources']
        cls.admin = Cloud(clouds['admin'])
        cls.system = Cloud(clouds['system-admin'])
        try:
            cls.admin.session.get_token()
        except Exception as e:
            raise unittest.SkipTest(
                f'the deployment does not answer yet ({type(e).__name__}); '
                'tools/stack.sh is still building it or it is stopped')

        identity = cls.system.identity
        suffix = uuid.uuid4().hex[:8]
        project = _ok(identity.post('/projects', json={'project': {
            'name': f'cbext-quota-{suffix}', 'domain_id': 'default',
            'description': 'createBackup quota tests'}}), 201)['project']
        cls.project_id = project['id']
        cls.addClassCleanup(cls._delete_project)

        password = secrets.token_urlsafe(18)
        user = _ok(identity.post('/users', json={'user': {
            'name': f'cbext-quota-member-{suffix}', 'domain_id': 'default',
            'password': password,
            'default_project_id': cls.project_id}}), 201)['user']
        cls.addClassCleanup(
            identity.delete, '/users/%s' % user['id'])
        for role in ('member', 'reader'):
            found = _ok(identity.get('/roles', params={'name': role}))
            path = '/projects/%s/users/%s/roles/%s' % (
                cls.project_id, user['id'], found['roles'][0]['id'])
            _ok(identity.put(path), 204)

        auth = dict(clouds['admin']['auth'],
                    username=user['name'], password=password,
                    project_name=project['name'])
        cls.member = Cloud(dict(clouds['admin'], auth=auth))

        cls.limit_id = None
        registered = _ok(identity.get('/registered_limits', params={
            'resource_name': 'image_count_total'}))['registered_limits']
        if not registered:
            raise AssertionError(
                'Keystone has no registered limit image_count_total: the '
                'deployment does not run Glance with unified limits')
        cls.registered = registered[0]

        server = _ok(cls.member.compute(BOOT_VERSION).post(
            '/servers', json={'server': {
                'name': f'cbext-quota-{suffix}',
                'imageRef': resources['cbext-tiny'],
                'flavorRef': resources['cbext.tiny'],
                'networks': 'none'}}), 202)['server']
        cls.server_id = server['id']
        cls.addClassCleanup(cls._delete_server)
        cls._wait_idle()

    @classmethod
    def _server(cls):
        return _ok(cls.member.compute().get(
            '/servers/%s' % cls.server_id))['server']

    @classmethod
    def _wait_idle(cls):
        def idle():
            server = cls._server()
            if server['status'] == 'ERROR':
                raise AssertionError(
                    f"server {cls.server_id} failed: {server.get('fault')}")
            return (server['status'] == 'ACTIVE' and
                    server.get('OS-EXT-STS:task_state') is None)
        _wait(f'server {cls.server_id} to be active and idle', idle)

    @classmethod
    def _delete_server(cls):
        compute = cls.admin.compute()
        compute.delete('/servers/%s' % cls.server_id)
        _wait(f'server {cls.server_id} to be deleted',
              lambda: compute.get(
                  '/servers/%s' % cls.server_id).status_code == 404)

    @classmethod
    def _delete_project(cls):
        # Images outlive their project in Glance: delete them first.
        image = cls.admin.image
        for found in cls._images(cls.admin):
            image.delete('/v2/images/%s' % found)
        if cls.limit_id:
            cls.system.identity.delete('/limits/%s' % cls.limit_id)
        cls.admin.compute().delete('/os-quota-sets/%s' % cls.project_id)
        cls.system.identity.delete('/projects/%s' % cls.project_id)

    @classmethod
    def _images(cls, cloud=None):
        cloud = cloud or cls.member
        images = _ok(cloud.image.get('/v2/images', params={
            'owner': cls.project_id, 'limit': 1000}))['images']
        return {image['id'] for image in images}

    def _usage(self):
        usage = _ok(self.member.image.get('/v2/info/usage'))['usage']
        self.assertIn('image_count_total', usage,
                      'Glance answers no usage: it does not enforce '
                      'unified limits')
        return usage['image_count_total']

    def _set_image_limit(self, value):
        identity = self.system.identity
        if self.limit_id is None:
            limit = _ok(identity.post('/limits', json={'limits': [{
                'service_id': self.registered['service_id'],
                'region_id': self.registered.get('region_id'),
                'project_id': self.project_id,
                'resource_name': 'image_count_total',
                'resource_limit': value}]}), 201)['limits'][0]
            type(self).limit_id = limit['id']
        else:
            _ok(identity.patch('/limits/%s' % self.limit_id, json={
                'limit': {'resource_limit': value}}))
        self.assertEqual(value, self._usage()['limit'])

    def _backup(self, version, **entity):
        body = {'createBackup': dict(
            {'name': f'cbext-quota-{uuid.uuid4().hex[:6]}',
             'backup_type': BACKUP_TYPE, 'rotation': 5}, **entity)}
        return self.member.compute(version).post(
            '/servers/%s/action' % self.server_id, json=body)

    def _wait_image_active(self, image_id):
        def active():
            image = _ok(self.member.image.get('/v2/images/%s' % image_id))
            if image['status'] in ('killed', 'deleted'):
                raise AssertionError(f'image {image_id} is {image["status"]}')
            return image['status'] == 'active'
        _wait(f'image {image_id} to be active', active)
        self._wait_idle()

    def _assert_refused_untouched(self, resp, images_before, *words):
        self.assertEqual(403, resp.status_code, resp.text)
        message = resp.json()['forbidden']['message']
        for word in words:
            self.assertIn(word, message)
        self.assertEqual(images_before, self._images())
        server = self._server()
        self.assertEqual('ACTIVE', server['status'])
        self.assertIsNone(server.get('OS-EXT-STS:task_state'))
        return message

    def test_image_count_limit_at_2_45(self):
        used = self._usage()['usage']
        self._set_image_limit(used)
        before = self._images()

        resp = self._backup(IMAGE_ID_VERSION)
        self._assert_refused_untouched(
            resp, before, 'image_count_total', f'is {used}',
            f'usage is {used}')

        self._set_image_limit(used + 1)
        resp = self._backup(IMAGE_ID_VERSION)
        self.assertEqual(202, resp.status_code, resp.text)
        image_id = resp.json()['image_id']
        self.assertEqual(before | {image_id}, self._images())
        self._wait_image_active(image_id)
        self.assertEqual(used + 1, self._usage()['usage'])

    def test_glance_refusal_at_2_38(self):
        # Up to 2.38 nothing asks Glance first: Glance itself refuses the
        # image record, and the answer is a 403 saying so.
        used = self._usage()['usage']
        self._set_image_limit(used)
        before = self._images()

        resp = self._backup(LEGACY_VERSION)
        message = self._assert_refused_untouched(resp, before)
        self.assertIn("image service's quota", message)
        self.assertNotIn('Location', resp.headers)

    def test_nova_metadata_quota_at_2_38(self):
        used = self._usage()['usage']
        self._set_image_limit(used + 1)
        _ok(self.admin.compute().put(
            '/os-quota-sets/%s' % self.project_id,
            json={'quota_set': {'metadata_items': 1}}))
        self.addCleanup(self.admin.compute().delete,
                        '/os-quota-sets/%s' % self.project_id)
        metadata = {'first': '1', 'second': '2'}
        before = self._images()

        resp = self._backup(LEGACY_VERSION, metadata=metadata)
        self._assert_refused_untouched(
            resp, before, 'Image metadata limit exceeded')

        # From 2.39 the quota of metadata items is not Nova's to apply.
        resp = self._backup(IMAGE_ID_VERSION, metadata=metadata)
        self.assertEqual(202, resp.status_code, resp.text)
        self._wait_image_active(resp.json()['image_id'])
