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

"""A and B as two nova-api apps beside the single-node deployment.

The deployment is the one ``tools/stack.sh`` builds, found in
``${CREATEBACKUP_STATE:-~/.cache/nova-createbackup-ext}/stack``; it is
only used, never started or stopped here. Beside its own nova-api, two
more are started under gunicorn from the deployment's venv, each on a
free loopback port, with the deployment's nova.conf (same databases,
same message bus) and each its own ``api-paste.ini``: A the deployment's
file with Nova's factory, B the deployment's file as it is, with the
extension's. Both have the worker settings of the deployment's nova-api.

In a project made for the run (a member user, quotas for its servers):

* servers are booted through the deployment's nova-api;
* ``GET /servers/detail``, ``GET /flavors`` and createBackup, at each
  microversion asked for, alternate between A and B in pairs; each backup
  is of a server without a task state, the servers taken in turn;
* the burst: each server gets one createBackup at once, all sent by
  as many threads released together, through B, then again through A;
* what Glance holds afterwards is counted.

Then both apps are stopped by their pids, and the servers, the images,
the user and the project are deleted. Every URL is checked to be on
127.0.0.1 before it is used; every wait and loop has a bound.

Run by ``run.py``; standalone::

    python tools/benchmark/deployment.py --output part.json --workdir DIR
"""

import argparse
import collections
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

from keystoneauth1 import adapter
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
import yaml

import appbuild
import stats

STATE = os.environ.get(
    'CREATEBACKUP_STATE',
    os.path.expanduser('~/.cache/nova-createbackup-ext'))
STACK_DIR = os.path.join(STATE, 'stack')
NOVA_FACTORY = 'nova.api.openstack.compute:APIRouterV21.factory'
HOST = '127.0.0.1'

BOOT_VERSION = '2.37'
REQUEST_TIMEOUT_S = 120
APP_START_TIMEOUT_S = 180
SERVER_TIMEOUT_S = 600
POLL_S = 0.5
BACKUP_TYPE = 'benchmark'
BURST_BACKUP_TYPE = 'burst'


class Skip(Exception):
    """There is no deployment to measure; the message says why."""


def _progress(message):
    print('[benchmark %s] %s' % (time.strftime('%H:%M:%S'), message),
          file=sys.stderr, flush=True)


def _check_local(url):
    host = urllib.parse.urlsplit(url).hostname
    if host != HOST:
        raise RuntimeError('refusing to send requests to %s: only %s is '
                           'measured' % (url, HOST))
    return url


def _ok(resp, *expected):
    if resp.status_code not in (expected or (200,)):
        raise RuntimeError('%s %s: HTTP %s: %s' % (
            resp.request.method, resp.url, resp.status_code,
            resp.text[:500]))
    return resp.json() if resp.content else None


def _wait(what, probe, timeout, interval=POLL_S):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError('timed out after %ds waiting for %s' % (
                timeout, what))
        time.sleep(interval)


def _free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Deployment:
    """The files of the single-node deployment that the run reads."""

    def __init__(self, stack_dir=STACK_DIR):
        self.stack_dir = stack_dir
        info = os.path.join(stack_dir, 'deployment.json')
        if not os.path.exists(info):
            raise Skip('no single-node deployment: %s does not exist '
                       '(tools/stack.sh writes it)' % info)
        with open(info) as f:
            self.info = json.load(f)
        self.venv = os.path.join(stack_dir, 'venv')
        self.etc = os.path.join(stack_dir, 'etc', 'nova')
        self.gunicorn = os.path.join(self.venv, 'bin', 'gunicorn')
        needed = [self.info['clouds_yaml'], self.gunicorn] + [
            os.path.join(self.etc, name) for name in
            ('nova.conf', 'nova-api-db.conf', 'api-paste.ini')]
        for path in needed:
            if not os.path.exists(path):
                raise Skip('the deployment in %s is incomplete: no %s' % (
                    stack_dir, path))
        with open(self.info['clouds_yaml']) as f:
            self.clouds = yaml.safe_load(f)['clouds']
        self.resources = self.info['resources']

    def threads(self):
        """The gthread threads of the deployment's nova-api (default 4)."""
        path = os.path.join(self.stack_dir, 'run', 'nova-api',
                            'gunicorn.conf.py')
        try:
            with open(path) as f:
                for line in f:
                    name, _, value = line.partition('=')
                    if name.strip() == 'threads':
                        return int(value.strip())
        except (OSError, ValueError):
            pass
        return 4


class Cloud:
    """A keystoneauth session of one user, and its service endpoints."""

    def __init__(self, cloud):
        _check_local(cloud['auth']['auth_url'])
        self.session = ks_session.Session(auth=v3.Password(**cloud['auth']))
        self.region = cloud.get('region_name')

    def service(self, service_type, version=None, endpoint=None):
        headers = {}
        if version:
            headers['OpenStack-API-Version'] = 'compute %s' % version
        found = adapter.Adapter(
            self.session, service_type=service_type, interface='public',
            region_name=self.region, raise_exc=False,
            endpoint_override=endpoint, additional_headers=headers)
        _check_local(found.get_endpoint())
        return found

    def token(self):
        return self.session.get_token()


class App:
    """One nova-api under gunicorn, started and stopped by this run."""

    def __init__(self, name, deployment, paste_text, workdir):
        self.name = name
        self.dir = os.path.join(workdir, 'nova-api-%s' % name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = _free_port()
        self.url = 'http://%s:%d' % (HOST, self.port)
        self.deployment = deployment
        self.proc = None
        self.paste_ini = os.path.join(self.dir, 'api-paste.ini')
        with open(self.paste_ini, 'w') as f:
            f.write(paste_text)
        # Keystone's and Nova's WSGI apps parse sys.argv: gunicorn takes
        # its settings from this file in its working directory.
        with open(os.path.join(self.dir, 'gunicorn.conf.py'), 'w') as f:
            f.write('# Made by tools/benchmark/deployment.py.\n'
                    "wsgi_app = 'nova.wsgi.osapi_compute:application'\n"
                    "bind = '%s:%d'\n"
                    'workers = 1\n'
                    "worker_class = 'gthread'\n"
                    'threads = %d\n'
                    'timeout = 300\n'
                    'graceful_timeout = 10\n'
                    # Not the control socket every gunicorn of this
                    # user shares by default.
                    'control_socket_disable = True\n'
                    "errorlog = '-'\n" % (HOST, self.port,
                                          deployment.threads()))

    def start(self):
        etc = self.deployment.etc
        env = dict(os.environ,
                   OS_NOVA_CONFIG_DIR=etc,
                   OS_NOVA_CONFIG_FILES=';'.join([
                       self.paste_ini, os.path.join(etc, 'nova.conf'),
                       os.path.join(etc, 'nova-api-db.conf')]))
        with open(os.path.join(self.dir, 'nova-api.log'), 'ab') as log:
            self.proc = subprocess.Popen(
                [self.deployment.gunicorn], cwd=self.dir, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        _progress('started nova-api %s (pid %d) on %s' % (
            self.name, self.proc.pid, self.url))

    def wait_ready(self):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    'nova-api %s exited with %s; its log: %s' % (
                        self.name, self.proc.returncode,
                        os.path.join(self.dir, 'nova-api.log')))
            try:
                return requests.get(self.url + '/v2.1/',
                                    timeout=5).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                # gunicorn's worker loads nova-api before it answers.
                return False
        _wait('nova-api %s to answer' % self.name, ready,
              APP_START_TIMEOUT_S)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        # gunicorn's master stops its worker on TERM.
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            # It leads the session it was started in: what is left of
            # it is this run's alone.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        _progress('stopped nova-api %s (pid %d)' % (
            self.name, self.proc.pid))

    def compute_url(self):
        return self.url + '/v2.1'


class Client:
    """Plain HTTP requests with a token, for the timed part."""

    def __init__(self, base_url, token, pool=64):
        self.base_url = _check_local(base_url)
        self.http = requests.Session()
        http_adapter = requests.adapters.HTTPAdapter(pool_connections=2,
                                                     pool_maxsize=pool)
        self.http.mount('http://', http_adapter)
        self.http.headers.update({'X-Auth-Token': token,
                                  'Accept': 'application/json'})

    def request(self, method, path, version=None, body=None):
        headers = {}
        if version:
            headers['OpenStack-API-Version'] = 'compute %s' % version
        start = time.perf_counter()
        resp = self.http.request(method, self.base_url + path,
                                 headers=headers, json=body,
                                 timeout=REQUEST_TIMEOUT_S)
        return resp, time.perf_counter() - start


class Run:
    """The project, servers and apps of one run, and the measurements."""

    def __init__(self, deployment, settings):
        self.deployment = deployment
        self.settings = settings
        self.suffix = uuid.uuid4().hex[:8]
        self.apps = {}
        self.project_id = None
        self.user_id = None
        self.server_ids = []
        self.results = {}

    # Setting up

    def connect(self, wait):
        clouds = self.deployment.clouds
        self.admin = Cloud(clouds['admin'])
        self.system = Cloud(clouds['system-admin'])

        def answers():
            try:
                self.admin.token()
                return True
            except Exception as e:
                self.last_error = e
                return False
        try:
            _wait('Keystone to issue a token', answers, wait, 5)
        except RuntimeError:
            raise Skip('the deployment in %s does not answer (%s: %s); it '
                       'is being built or is stopped' % (
                           self.deployment.stack_dir,
                           type(self.last_error).__name__, self.last_error))

    def make_project(self):
        identity = self.system.service('identity')
        project = _ok(identity.post('/projects', json={'project': {
            'name': 'cbext-benchmark-%s' % self.suffix,
            'domain_id': 'default',
            'description': 'createBackup benchmark'}}), 201)['project']
        self.project_id = project['id']
        password = secrets.token_urlsafe(18)
        user = _ok(identity.post('/users', json={'user': {
            'name': 'cbext-benchmark-member-%s' % self.suffix,
            'domain_id': 'default', 'password': password,
            'default_project_id': self.project_id}}), 201)['user']
        self.user_id = user['id']
        for role in ('member', 'reader'):
            found = _ok(identity.get('/roles', params={'name': role}))
            _ok(identity.put('/projects/%s/users/%s/roles/%s' % (
                self.project_id, user['id'], found['roles'][0]['id'])), 204)
        count = self.settings.servers + 2
        _ok(self.admin.service('compute').put(
            '/os-quota-sets/%s' % self.project_id,
            json={'quota_set': {'instances': count, 'cores': count,
                                'ram': count * 512}}))
        admin = self.deployment.clouds['admin']
        auth = dict(admin['auth'], username=user['name'],
                    password=password, project_name=project['name'])
        self.member = Cloud(dict(admin, auth=auth))
        _progress('project %s, user %s' % (project['name'], user['name']))

    def boot(self):
        count = self.settings.servers
        compute = self.member.service('compute', BOOT_VERSION)
        _progress('booting %d servers' % count)
        _ok(compute.post('/servers', json={'server': {
            'name': 'cbext-benchmark-%s' % self.suffix,
            'imageRef': self.deployment.resources['cbext-tiny'],
            'flavorRef': self.deployment.resources['cbext.tiny'],
            'networks': 'none', 'min_count': count,
            'max_count': count}}), 202)

        def booted():
            servers = self._servers()
            errors = [s['id'] for s in servers if s['status'] == 'ERROR']
            if errors:
                raise RuntimeError('servers failed to boot: %s' % errors)
            self.server_ids = sorted(s['id'] for s in servers)
            return len(servers) == count and all(self._idle(s)
                                                 for s in servers)
        _wait('%d servers to be active' % count, booted, SERVER_TIMEOUT_S,
              2)

    def _servers(self):
        compute = self.admin.service('compute')
        return _ok(compute.get('/servers/detail', params={
            'all_tenants': 1, 'project_id': self.project_id,
            'limit': 1000}))['servers']

    @staticmethod
    def _idle(server):
        return (server['status'] == 'ACTIVE' and
                server.get('OS-EXT-STS:task_state') is None)

    def wait_idle(self, server_id):
        compute = self.admin.service('compute')
        _wait('server %s to be idle' % server_id,
              lambda: self._idle(_ok(compute.get(
                  '/servers/%s' % server_id))['server']),
              SERVER_TIMEOUT_S, 0.2)

    def wait_all_idle(self):
        _wait('the servers to be idle',
              lambda: all(self._idle(s) for s in self._servers()),
              SERVER_TIMEOUT_S, 1)

    def start_apps(self):
        with open(os.path.join(self.deployment.etc, 'api-paste.ini')) as f:
            text = f.read()
        texts = {
            'A': appbuild.with_factory(text, NOVA_FACTORY),
            'B': appbuild.with_factory(text, appbuild.EXTENSION_FACTORY),
        }
        for who in 'AB':
            self.apps[who] = App(who, self.deployment, texts[who],
                                 self.settings.workdir)
            self.apps[who].start()
        for app in self.apps.values():
            app.wait_ready()
        token = self.member.token()
        self.clients = {who: Client(app.compute_url(), token)
                        for who, app in self.apps.items()}

    # Measuring

    def measure_gets(self, path, count):
        _progress('deployment: GET %s, %d each' % (path, count))
        for who in 'ABAB':
            self.clients[who].request('GET', path)
        samples = {'A': [], 'B': []}
        statuses = {'A': collections.Counter(), 'B': collections.Counter()}
        for who in stats.alternate(count):
            resp, elapsed = self.clients[who].request('GET', path)
            statuses[who][resp.status_code] += 1
            if resp.status_code == 200:
                samples[who].append(elapsed)
        return self._result(samples, statuses)

    @staticmethod
    def _result(samples, statuses):
        result = stats.compare(samples['A'], samples['B'])
        result['statuses'] = {who: {str(k): v for k, v in c.items()}
                              for who, c in statuses.items()}
        return result

    def _backup_body(self, index, backup_type=BACKUP_TYPE, rotation=1):
        return {'createBackup': {'name': 'cbext-benchmark-%d' % index,
                                 'backup_type': backup_type,
                                 'rotation': rotation}}

    def measure_backups(self, count, version):
        _progress('deployment: createBackup at %s, %d each' % (version,
                                                               count))
        samples = {'A': [], 'B': []}
        statuses = {'A': collections.Counter(), 'B': collections.Counter()}
        order = ['A', 'B'] + stats.alternate(count)
        servers = self.server_ids
        for index, who in enumerate(order):
            server_id = servers[index % len(servers)]
            self.wait_idle(server_id)
            resp, elapsed = self.clients[who].request(
                'POST', '/servers/%s/action' % server_id, version,
                self._backup_body(index))
            if index < 2:
                continue
            statuses[who][resp.status_code] += 1
            if resp.status_code == 202:
                samples[who].append(elapsed)
            else:
                _progress('createBackup through %s: HTTP %s: %s' % (
                    who, resp.status_code, resp.text[:300]))
            if self.settings.settle:
                self.wait_idle(server_id)
        return self._result(samples, statuses)

    def burst(self, who, version):
        """One createBackup of every server at once, through ``who``."""
        servers = self.server_ids
        _progress('deployment: burst of %d createBackup through %s' % (
            len(servers), who))
        self.wait_all_idle()
        client = self.clients[who]
        gate = threading.Barrier(len(servers))
        answers = [None] * len(servers)

        def send(index, server_id):
            body = self._backup_body(index, BURST_BACKUP_TYPE, rotation=2)
            try:
                gate.wait(60)
                resp, elapsed = client.request(
                    'POST', '/servers/%s/action' % server_id, version, body)
                answers[index] = (resp.status_code, elapsed,
                                  resp.text[:300])
            except Exception as e:
                answers[index] = ('error', None, '%s: %s' % (
                    type(e).__name__, e))

        threads = [threading.Thread(target=send, args=(i, server_id),
                                    daemon=True)
                   for i, server_id in enumerate(servers)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S + 60)
        wall = time.perf_counter() - start
        statuses = collections.Counter(
            str(a[0]) if a else 'no answer' for a in answers)
        latencies = [a[1] for a in answers if a and a[0] == 202]
        errors = [a[2] for a in answers
                  if not a or a[0] not in (202, 409)]
        result = {'statuses': dict(statuses),
                  'errors': len(errors), 'error_samples': errors[:5],
                  'conflicts': statuses.get('409', 0),
                  'wall_s': wall, 'latency': stats.summary(latencies),
                  'samples_s': latencies}
        self.wait_all_idle()
        return result

    def images(self):
        """What Glance holds of the project's servers' backups."""
        glance = self.admin.service('image')
        images = []
        url = '/v2/images?owner=%s&limit=200' % self.project_id
        for _ in range(100):
            page = _ok(glance.get(url))
            images.extend(page['images'])
            if 'next' not in page:
                break
            url = page['next']
        servers = set(self.server_ids)
        per_type = collections.defaultdict(collections.Counter)
        statuses = collections.Counter()
        foreign = 0
        for image in images:
            statuses[image['status']] += 1
            if image.get('instance_uuid') not in servers:
                foreign += 1
                continue
            per_type[image.get('backup_type')][image['instance_uuid']] += 1
        return {
            'images': len(images),
            'statuses': dict(statuses),
            'not_of_a_server': foreign,
            'per_server': {
                str(backup_type): dict(collections.Counter(
                    counter.get(s, 0) for s in servers))
                for backup_type, counter in per_type.items()},
            'image_ids': [image['id'] for image in images],
        }

    # Cleaning up

    def _delete_servers(self):
        """Delete the run's servers; returns those that are left."""
        # Through this run's own nova-api while it runs, so that a
        # restart of the deployment's does not leave servers behind.
        endpoints = [app.compute_url() for app in self.apps.values()
                     if app.proc is not None and app.proc.poll() is None]
        endpoints.append(None)
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        left = None
        while time.monotonic() < deadline:
            for endpoint in endpoints:
                compute = self.admin.service('compute', endpoint=endpoint)
                try:
                    left = [s['id'] for s in _ok(compute.get(
                        '/servers/detail', params={
                            'all_tenants': 1, 'project_id': self.project_id,
                            'limit': 1000}))['servers']]
                    for server_id in left:
                        compute.delete('/servers/%s' % server_id)
                except Exception as e:
                    _progress('deleting the servers: %s; trying again' % e)
                    continue
                if not left:
                    return []
                break
            time.sleep(2)
        return left

    def cleanup(self):
        left = None
        if self.project_id is not None:
            left = self._delete_servers()
        for app in self.apps.values():
            try:
                app.stop()
            except Exception as e:
                _progress('could not stop nova-api %s: %s' % (app.name, e))
        if self.project_id is None:
            return
        glance = self.admin.service('image')
        try:
            images = self.images()['image_ids']
            for image_id in images:
                glance.delete('/v2/images/%s' % image_id)
            _progress('deleted %d images' % len(images))
        except Exception as e:
            _progress('could not delete the images: %s' % e)
        if left is None or left:
            # NOTE(cbext): the project stays, so that its servers can be
            # found by it and deleted.
            _progress('servers of project %s are left, and so is the '
                      'project: %s' % (self.project_id, left))
            return
        _progress('deleted the servers')
        self.admin.service('compute').delete(
            '/os-quota-sets/%s' % self.project_id)
        identity = self.system.service('identity')
        if self.user_id:
            identity.delete('/users/%s' % self.user_id)
        identity.delete('/projects/%s' % self.project_id)
        _progress('deleted the project and its user')


def run(settings):
    """Measure; returns the results, or ``{'skipped': reason}``."""
    try:
        deployment = Deployment(settings.stack_dir)
    except Skip as e:
        return {'skipped': str(e)}
    bench = Run(deployment, settings)
    try:
        bench.connect(settings.wait)
    except Skip as e:
        return {'skipped': str(e)}
    deadline = time.monotonic() + settings.timeout

    def check_time():
        if time.monotonic() > deadline:
            raise RuntimeError('the deployment part took more than %ds' %
                               settings.timeout)

    results = bench.results
    results['stack_dir'] = deployment.stack_dir
    results['threads'] = deployment.threads()
    try:
        bench.make_project()
        bench.start_apps()
        bench.boot()
        results['servers'] = len(bench.server_ids)
        for name, path in (('servers_detail', '/servers/detail'),
                           ('flavors', '/flavors')):
            results[name] = bench.measure_gets(path, settings.requests)
            check_time()
        for version in settings.versions:
            results['create_backup@%s' % version] = bench.measure_backups(
                settings.requests, version)
            check_time()
        results['burst'] = {}
        for who in 'BA':
            results['burst'][who] = bench.burst(who, settings.versions[-1])
            check_time()
        results['glance_after'] = bench.images()
        results['glance_after'].pop('image_ids')
    finally:
        bench.cleanup()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', required=True,
                        help='where to write the results (JSON)')
    parser.add_argument('--workdir', required=True,
                        help='where the two apps keep their files')
    parser.add_argument('--stack-dir', default=STACK_DIR,
                        help='the deployment (default: %(default)s)')
    parser.add_argument('--requests', type=int, default=100,
                        help='requests of each app, for each route')
    parser.add_argument('--servers', type=int, default=50,
                        help='servers to boot; also the size of the burst')
    parser.add_argument('--versions', nargs='+', default=['2.38', 'latest'],
                        help='microversions of the createBackup requests')
    parser.add_argument('--settle', action='store_true',
                        help='wait for each backup to finish before the '
                             'next request')
    parser.add_argument('--wait', type=int, default=60,
                        help='seconds to wait for the deployment to answer')
    parser.add_argument('--timeout', type=int, default=1200,
                        help='seconds the measurements may take at most')
    settings = parser.parse_args(argv)
    results = run(settings)
    with open(settings.output, 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
