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

"""Make the single-node deployment's Keystone records and cloud resources.

Run by tools/stack.sh with the deployment's venv. Every step looks for
what it makes first, so a second run changes nothing::

    bootstrap.py identity   users, projects, roles, catalog, registered
                            limits; writes clouds.yaml; prints the ids
                            the configuration needs, as JSON
    bootstrap.py resources  the public image and flavors the main job
                            and tempest use; prints their ids, as JSON
"""

import argparse
import json
import os
import sys

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

# Users of the services, in the project "service".
SERVICE_USERS = ('glance', 'placement', 'neutron', 'nova')

# (type, name, key of its port in --ports, URL path after host:port) of
# each catalog entry.
CATALOG = (
    ('image', 'glance', 'GLANCE_PORT', ''),
    ('placement', 'placement', 'PLACEMENT_PORT', ''),
    ('network', 'neutron', 'NEUTRON_PORT', ''),
    ('compute', 'nova', 'NOVA_PORT', '/v2.1'),
)

# Glance's unified limits, registered in Keystone with defaults generous
# enough never to be met by the tests that do not lower them. Sizes are
# in MiB.
GLANCE_LIMITS = {
    'image_size_total': 100000,
    'image_stage_total': 100000,
    'image_count_total': 10000,
    'image_count_uploading': 1000,
}

FLAVORS = (
    # name, vcpus, ram MiB, disk GiB
    ('cbext.tiny', 1, 128, 1),
    ('cbext.tiny.alt', 1, 192, 1),
)
IMAGES = ('cbext-tiny', 'cbext-tiny-alt')
# The data of the public images: anything small does for a fake driver.
IMAGE_DATA = b'nova-createbackup-ext test image\n' * 64


class Keystone:
    """A few idempotent calls to Keystone's v3 API."""

    def __init__(self, sess):
        self.sess = sess

    def _get(self, path, key, **query):
        resp = self.sess.get(path, endpoint_filter=_IDENTITY, params=query)
        return resp.json()[key]

    def _post(self, path, key, body):
        resp = self.sess.post(path, endpoint_filter=_IDENTITY,
                              json={key: body})
        return resp.json()[key]

    def ensure(self, collection, key, match, body):
        """Return the first item matching the query, made if missing."""
        found = self._get('/' + collection, collection, **match)
        if found:
            return found[0]
        return self._post('/' + collection, key, body)

    def project(self, name):
        return self.ensure('projects', 'project',
                           {'name': name, 'domain_id': 'default'},
                           {'name': name, 'domain_id': 'default'})

    def role(self, name):
        return self.ensure('roles', 'role', {'name': name}, {'name': name})

    def user(self, name, password, project):
        user = self.ensure(
            'users', 'user', {'name': name, 'domain_id': 'default'},
            {'name': name, 'domain_id': 'default', 'password': password,
             'default_project_id': project['id']})
        # The password file is the truth: a reused user gets it again.
        self.sess.patch('/users/%s' % user['id'], endpoint_filter=_IDENTITY,
                        json={'user': {'password': password}})
        return user

    def grant(self, user, role, project=None):
        if project is None:
            path = '/system/users/%s/roles/%s' % (user['id'], role['id'])
        else:
            path = '/projects/%s/users/%s/roles/%s' % (
                project['id'], user['id'], role['id'])
        self.sess.put(path, endpoint_filter=_IDENTITY)

    def service(self, type_, name):
        return self.ensure('services', 'service', {'type': type_},
                           {'type': type_, 'name': name})

    def endpoint(self, service, interface, url, region):
        return self.ensure(
            'endpoints', 'endpoint',
            {'service_id': service['id'], 'interface': interface},
            {'service_id': service['id'], 'interface': interface,
             'url': url, 'region_id': region})

    def registered_limit(self, service, resource, default, region):
        query = {'service_id': service['id'], 'resource_name': resource,
                 'region_id': region}
        found = self._get('/registered_limits', 'registered_limits',
                          **query)
        if found:
            return found[0]
        body = dict(query, default_limit=default)
        resp = self.sess.post('/registered_limits',
                              endpoint_filter=_IDENTITY,
                              json={'registered_limits': [body]})
        return resp.json()['registered_limits'][0]


_IDENTITY = {'service_type': 'identity', 'interface': 'public'}


def _session(args, **scope):
    auth = v3.Password(auth_url=args.auth_url, username='admin',
                       password=args.password, user_domain_id='default',
                       **scope)
    return ks_session.Session(auth=auth)


def identity(args):
    """Make users, projects, roles, the catalog and Glance's limits."""
    ks = Keystone(_session(args, system_scope='all'))
    host = 'http://%s' % args.host
    ports = json.loads(args.ports)

    service_project = ks.project('service')
    demo = ks.project('demo')
    admin_role = ks.role('admin')
    member = ks.role('member')
    reader = ks.role('reader')
    service_role = ks.role('service')

    users = {}
    for name in SERVICE_USERS:
        users[name] = ks.user(name, args.password, service_project)
        ks.grant(users[name], admin_role, service_project)
        ks.grant(users[name], service_role, service_project)
    # Glance reads its limits from Keystone with a system-scoped token.
    ks.grant(users['glance'], reader)

    demo_member = ks.user('demo-member', args.password, demo)
    ks.grant(demo_member, member, demo)
    demo_reader = ks.user('demo-reader', args.password, demo)
    ks.grant(demo_reader, reader, demo)

    ids = {'demo_project_id': demo['id']}
    for type_, name, port, path in CATALOG:
        service = ks.service(type_, name)
        url = '%s:%s%s' % (host, ports[port], path)
        for interface in ('public', 'internal'):
            endpoint = ks.endpoint(service, interface, url, args.region)
            if interface == 'public':
                ids['%s_endpoint_id' % name] = endpoint['id']
        if name == 'glance':
            for resource, default in GLANCE_LIMITS.items():
                ks.registered_limit(service, resource, default, args.region)
    _write_clouds(args)
    json.dump(ids, sys.stdout)
    print()


def _write_clouds(args):
    def cloud(username, project, **extra):
        auth = {'auth_url': args.auth_url, 'username': username,
                'password': args.password, 'user_domain_name': 'Default'}
        if project:
            auth.update(project_name=project,
                        project_domain_name='Default')
        auth.update(extra)
        return {'auth': auth, 'region_name': args.region,
                'identity_api_version': 3, 'interface': 'public'}

    clouds = {'clouds': {
        'admin': cloud('admin', 'admin'),
        'system-admin': cloud('admin', None, system_scope='all'),
        'member': cloud('demo-member', 'demo'),
        'reader': cloud('demo-reader', 'demo'),
    }}
    # clouds.yaml is YAML, and JSON is YAML: no extra dependency.
    fd = os.open(args.clouds_yaml, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(clouds, f, indent=2)
        f.write('\n')


def resources(args):
    """Make the public images and flavors; print their ids."""
    sess = _session(args, project_name='admin',
                    project_domain_id='default')
    image = {'service_type': 'image', 'interface': 'public'}
    compute = {'service_type': 'compute', 'interface': 'public'}
    ids = {}
    for name in IMAGES:
        found = sess.get('/v2/images', endpoint_filter=image,
                         params={'name': name}).json()['images']
        found = [i for i in found if i['status'] == 'active']
        if found:
            ids[name] = found[0]['id']
            continue
        made = sess.post('/v2/images', endpoint_filter=image, json={
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'}).json()
        sess.put('/v2/images/%s/file' % made['id'], endpoint_filter=image,
                 data=IMAGE_DATA,
                 headers={'Content-Type': 'application/octet-stream'})
        ids[name] = made['id']

    flavors = sess.get('/flavors', endpoint_filter=compute).json()
    by_name = {f['name']: f['id'] for f in flavors['flavors']}
    for name, vcpus, ram, disk in FLAVORS:
        if name not in by_name:
            made = sess.post('/flavors', endpoint_filter=compute, json={
                'flavor': {'name': name, 'vcpus': vcpus, 'ram': ram,
                           'disk': disk}}).json()
            by_name[name] = made['flavor']['id']
        ids[name] = by_name[name]
    json.dump(ids, sys.stdout)
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('step', choices=['identity', 'resources'])
    parser.add_argument('--auth-url', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--region', default='RegionOne')
    parser.add_argument('--ports', default='{}',
                        help='JSON: the port of each service')
    parser.add_argument('--clouds-yaml')
    args = parser.parse_args()
    # The password comes through the environment, not the command line.
    args.password = os.environ['CREATEBACKUP_PASSWORD']
    {'identity': identity, 'resources': resources}[args.step](args)


if __name__ == '__main__':
    main()
