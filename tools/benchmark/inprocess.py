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

"""A and B through Nova's in-process functional stack.

One deployment of Nova's conductor, scheduler and compute service (the
functional tests' :class:`tests.functional.fixtures.CreateBackupTestCase`)
serves its compute API twice, from the fixture's ``api-paste.ini``:
through Nova's stock router (A) and through the extension's factory (B).
Requests of A and B alternate in pairs, and measured are:

* ``POST /servers/{id}/action`` with ``createBackup``, at the newest
  microversion, each to a server without a task state: the servers are
  taken in turn and the backup of the previous request is waited for,
  outside the timed part, so that only the API request is timed and no
  compute work runs beside it;
* ``GET /servers/detail`` and ``GET /flavors``, which the extension does
  not touch;
* the build of the WSGI app from the paste file (both endpoints, so two
  routers, as nova-api builds them) and of the router class alone,
  repeated in this warm process.

Each request is timed from the call of the paste app to the last byte
of its answer, on the wall clock and in CPU time, sent two ways:

* ``direct``: the paste app is called with the request the functional
  tests' client sends (its headers, its persona, its microversion);
* ``intercept``: the client sends it through requests and wsgi-intercept,
  which also gives the client's round trip.

An A/A control, Nova's router against a second copy of itself called
the same way, shows the spread of a ratio where there is nothing to
find.

NOTE(cbext): in one process, two apps that do the very same work (the
same SQL statements, the same calls, the same answer) can differ by
10-25% over a whole run, one way in one process and the other way in
the next, more often through wsgi-intercept than called directly. The
order within pairs is random, and the garbage collector is run and its
objects frozen before each measurement, so neither is the cause; what
is, is not known. ``run.py`` therefore splits the run over several
processes and reports the ratio in each. The direct figures are the
ones compared against the targets; the other ones are reported beside.

Run by ``run.py``; standalone::

    PYTHONPATH=. python tools/benchmark/inprocess.py --output part.json

from the checkout, with nova's test tree and wsgi-intercept installed.
"""

import argparse
import collections
import cProfile
import gc
import json
import pstats
import sys
import time
import unittest

from nova.api.openstack.compute import routes
from nova.api import wsgi
from oslo_serialization import jsonutils
import webob

from nova_createbackup_ext.api import router
import stats
from tests.functional import fixtures

# Waiting for a server to be idle: how often and for how long.
POLL_S = 0.005
IDLE_TIMEOUT_S = 30


def _progress(message):
    print('[benchmark %s] %s' % (time.strftime('%H:%M:%S'), message),
          file=sys.stderr, flush=True)


def _clocks():
    return time.perf_counter(), time.process_time()


def _since(start):
    """Wall-clock and CPU seconds since :func:`_clocks` gave ``start``."""
    now = _clocks()
    return now[0] - start[0], now[1] - start[1]


class _TimedApp:
    """A WSGI app, timed from the call to its last byte of response."""

    def __init__(self, app):
        self.app = app
        self.last = None

    def __call__(self, environ, start_response):
        start = _clocks()
        body = self.app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, 'close'):
                body.close()
        self.last = _since(start)
        return chunks


class _Samples:
    """Durations of A and B on each clock, and the statuses answered."""

    def __init__(self, clocks):
        self.clocks = {clock: {'A': [], 'B': []} for clock in clocks}
        self.statuses = {'A': collections.Counter(),
                         'B': collections.Counter()}

    def add(self, who, status, durations, ok=None):
        """Count the status; keep the durations if it is ``ok``.

        :param durations: seconds by clock
        """
        if status is not None:
            self.statuses[who][status] += 1
        if status == ok:
            for clock, duration in durations.items():
                self.clocks[clock][who].append(duration)

    def result(self, difference=False):
        result = {'statuses': {who: {str(status): n for status, n in
                                     counter.items()}
                               for who, counter in self.statuses.items()}}
        for clock, samples in self.clocks.items():
            result[clock] = stats.compare(samples['A'], samples['B'])
            if difference:
                result[clock]['B-A'] = stats.difference_ms(samples['A'],
                                                           samples['B'])
        return result


class InProcessBenchmark(fixtures.CreateBackupTestCase):
    """The in-process deployment, with the measurements as its one test.

    Casts are asynchronous, as in a deployment: createBackup is answered
    when the compute service is told, not when the backup is done.
    """

    CAST_AS_CALL = False
    #: Set by :func:`run`: the parsed command line.
    settings = None
    #: Filled by the test.
    results = None

    def test_benchmark(self):
        settings = self.settings
        results = type(self).results
        self.clients = {
            'A': self.client('project_member', router=fixtures.STOCK),
            'B': self.client('project_member', router=fixtures.OURS),
        }
        self.apps = {}
        for who, name in (('A', fixtures.STOCK), ('B', fixtures.OURS)):
            api = self.router(name)
            self.apps[who] = _TimedApp(api.app)
            # wsgi-intercept asks the fixture for its app on each request.
            api.app = self.apps[who]
        _progress('in process: %d servers' % settings.servers)
        self.servers = [self.create_server()['id']
                        for _ in range(settings.servers)]
        routes_measured = (('servers_detail', '/servers/detail'),
                           ('flavors', '/flavors'))

        results['direct'] = {
            'create_backup': self._create_backups(settings.requests,
                                                  self._direct)}
        for name, path in routes_measured:
            results['direct'][name] = self._gets(path, settings.requests,
                                                 self._direct)

        half = max(settings.requests // 2, 1)
        results['intercept'] = {
            'create_backup': self._create_backups(half, self._intercept)}
        for name, path in routes_measured:
            results['intercept'][name] = self._gets(path, half,
                                                    self._intercept)

        # A/A: Nova's router against a second copy of itself shows what
        # the measurement tells apart when there is nothing to tell.
        ours = self.apps['B']
        self.apps['B'] = _TimedApp(
            wsgi.Loader().load_app('osapi_compute_stock'))
        results['control'] = {}
        for name, path in routes_measured:
            results['control'][name] = self._gets(path, half, self._direct)
        self.apps['B'] = ours

        results['app_build_warm'] = self._builds(settings.builds)
        if settings.profile:
            results['profile'] = self._profile(settings.profile)

    @staticmethod
    def _settle_memory():
        # What exists now is left out of the garbage collector's later
        # passes, so that a full pass costs little, whichever request it
        # falls on.
        gc.collect()
        gc.freeze()

    # Servers

    def _wait_idle(self, server_id):
        deadline = time.monotonic() + IDLE_TIMEOUT_S
        while self.task_state(server_id) is not None:
            if time.monotonic() > deadline:
                self.fail('server %s still has a task state' % server_id)
            time.sleep(POLL_S)

    # Requests: the two ways of sending one

    def _intercept(self, who, method, path, body=None):
        """Send through the client and wsgi-intercept."""
        app = self.apps[who]
        app.last = None
        client = self.clients[who]
        start = time.perf_counter()
        if body is None:
            resp = client.api_request(path, method=method,
                                      check_response_status=None)
        else:
            resp = client.api_request(path, method=method,
                                      body=jsonutils.dumps(body),
                                      check_response_status=None)
        round_trip = time.perf_counter() - start
        if app.last is None:
            raise AssertionError('the request did not reach app %s' % who)
        wall, cpu = app.last
        return resp.status_code, {'wall': wall, 'cpu': cpu,
                                  'round_trip': round_trip}

    def _direct(self, who, method, path, body=None):
        """Call the paste app with the request the client would send."""
        persona = fixtures.PERSONAS['project_member']
        headers = {
            'Accept': 'application/json',
            'X-Auth-Token': 'token-of-%s' % persona.user_id,
            'X-User-Id': persona.user_id,
            'X-Project-Id': persona.project_id,
            'X-Roles': ','.join(persona.roles),
            'OpenStack-API-Version': 'compute %s' % self.microversion,
            'X-OpenStack-Nova-API-Version': self.microversion,
        }
        req = webob.Request.blank('/v2.1' + path, method=method,
                                  headers=headers)
        req.host = 'cbext-direct:80'
        # The client sends this content type with every request.
        req.content_type = 'application/json'
        if body is not None:
            req.body = jsonutils.dump_as_bytes(body)
        app = self.apps[who]
        resp = req.get_response(app)
        wall, cpu = app.last
        return resp.status_int, {'wall': wall, 'cpu': cpu}

    # Measurements

    def _backup(self, send, who, index):
        server_id = self.servers[index % len(self.servers)]
        self._wait_idle(server_id)
        body = self.backup_body(name='benchmark-%d' % index, rotation=1)
        answer = send(who, 'POST', '/servers/%s/action' % server_id, body)
        # The backup is done before the next request is timed.
        self._wait_idle(server_id)
        return answer

    def _create_backups(self, count, send):
        _progress('in process: createBackup, %d each (%s)' % (
            count, send.__name__.strip('_')))
        for index in range(4):
            for who in 'AB':
                self._backup(send, who, index)
        self._settle_memory()
        samples = None
        for index, who in enumerate(stats.alternate(count)):
            status, durations = self._backup(send, who, index)
            samples = samples or _Samples(durations)
            samples.add(who, status, durations, ok=202)
        result = samples.result()
        result['backups_held'] = len(self.glance.backups())
        return result

    def _gets(self, path, count, send):
        _progress('in process: GET %s, %d each (%s)' % (
            path, count, send.__name__.strip('_')))
        for who in 'ABAB':
            send(who, 'GET', path)
        self._settle_memory()
        samples = None
        for who in stats.alternate(count):
            status, durations = send(who, 'GET', path)
            samples = samples or _Samples(durations)
            samples.add(who, status, durations, ok=200)
        return samples.result()

    # Start-up

    def _builds(self, count):
        _progress('in process: app and router builds, %d each' % count)
        loader = wsgi.Loader()
        apps = {'A': lambda: loader.load_app('osapi_compute_stock'),
                'B': lambda: loader.load_app('osapi_compute')}
        routers = {'A': routes.APIRouterV21, 'B': router.APIRouterV21}
        result = {}
        for name, build in (('paste_app', apps), ('router', routers)):
            build['A']()
            build['B']()
            self._settle_memory()
            samples = _Samples(('wall', 'cpu'))
            for who in stats.alternate(count):
                start = _clocks()
                build[who]()
                wall, cpu = _since(start)
                samples.add(who, 'built', {'wall': wall, 'cpu': cpu},
                            ok='built')
            result[name] = samples.result(difference=True)
        return result

    # Profiles

    def _profile(self, count):
        """Profile ``count`` direct createBackup requests of each router."""
        _progress('in process: profiling %d createBackup each' % count)
        profiles = {}
        for who in 'AB':
            profile = cProfile.Profile()
            for index in range(count):
                server_id = self.servers[index % len(self.servers)]
                self._wait_idle(server_id)
                body = self.backup_body(name='profile-%d' % index,
                                        rotation=1)
                profile.enable()
                self._direct(who, 'POST', '/servers/%s/action' % server_id,
                             body)
                profile.disable()
                self._wait_idle(server_id)
            path = '%s.%s.prof' % (self.settings.profile_prefix, who)
            profile.dump_stats(path)
            profiles[who] = _controller_times(pstats.Stats(profile), who,
                                              count)
            profiles[who]['file'] = path
        profiles['B-A_own_ms'] = (profiles['B']['controller_own_ms'] -
                                  profiles['A']['controller_own_ms'])
        return profiles


# The createBackup handlers of A and B, and Nova's compute API call that
# both make, as (file name ending, function) in a profile.
HANDLERS = {
    'A': ('nova/api/openstack/compute/create_backup.py', '_create_backup'),
    'B': ('nova_createbackup_ext/api/create_backup.py', '_create_backup'),
}
COMPUTE_BACKUP = ('nova/compute/api.py', 'backup')


def _cumulative(profile, where):
    ending, function = where
    total = 0.0
    for (filename, _, name), row in profile.stats.items():
        if name == function and filename.endswith(ending):
            total += row[3]
    return total


def _controller_times(profile, who, count):
    """Per request: the handler, Nova's backup call, and the rest, in ms.

    The rest is what the handler does besides the compute API's backup
    (loading the server, policy, checks, the response): where the
    extension adds work, if it adds any. Times are the profiler's, so
    larger than without it, for A and B alike.
    """
    handler = _cumulative(profile, HANDLERS[who]) / count * 1000
    backup = _cumulative(profile, COMPUTE_BACKUP) / count * 1000
    return {'requests': count, 'handler_ms': handler,
            'compute_backup_ms': backup,
            'controller_own_ms': handler - backup,
            'total_ms': profile.total_tt / count * 1000}


def run(settings):
    """Run the measurements; returns their results, or raises."""
    InProcessBenchmark.settings = settings
    InProcessBenchmark.results = {}
    case = InProcessBenchmark('test_benchmark')
    outcome = unittest.TestResult()
    case.run(outcome)
    problems = outcome.errors + outcome.failures
    if problems:
        raise RuntimeError('the in-process benchmark failed:\n%s' %
                           '\n'.join(text for _, text in problems))
    if outcome.skipped:
        raise RuntimeError('the in-process benchmark was skipped: %s' %
                           outcome.skipped[0][1])
    return InProcessBenchmark.results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', required=True,
                        help='where to write the results (JSON)')
    parser.add_argument('--requests', type=int, default=200,
                        help='requests of each router, for each route')
    parser.add_argument('--servers', type=int, default=4,
                        help='servers the backups are taken in turn of')
    parser.add_argument('--builds', type=int, default=10,
                        help='builds of each app and router')
    parser.add_argument('--profile', type=int, default=0,
                        help='createBackup requests of each router to '
                             'profile with cProfile (0: none)')
    parser.add_argument('--profile-prefix', default='inprocess',
                        help='path prefix of the .prof files')
    settings = parser.parse_args(argv)
    results = run(settings)
    with open(settings.output, 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
