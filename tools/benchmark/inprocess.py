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
serves its compute API twice through wsgi-intercept: through Nova's
stock router (A) and through the extension's factory (B). Requests of
A and B alternate, ABBA, and measured are:

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

Run by ``run.py``; standalone::

    PYTHONPATH=. python tools/benchmark/inprocess.py --output part.json

from the checkout, with nova's test tree and wsgi-intercept installed.
"""

import argparse
import collections
import cProfile
import json
import pstats
import sys
import time
import unittest

from nova.api.openstack.compute import routes
from nova.api import wsgi

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


class _Samples:
    """Durations of A and B on both clocks, and the statuses answered."""

    def __init__(self):
        self.clocks = {'wall': {'A': [], 'B': []}, 'cpu': {'A': [], 'B': []}}
        self.statuses = {'A': collections.Counter(),
                         'B': collections.Counter()}

    def add(self, who, status, elapsed, ok=None):
        """Count the status; keep the durations if it is ``ok``."""
        if status is not None:
            self.statuses[who][status] += 1
        if status == ok:
            self.clocks['wall'][who].append(elapsed[0])
            self.clocks['cpu'][who].append(elapsed[1])

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
        _progress('in process: %d servers' % settings.servers)
        self.servers = [self.create_server()['id']
                        for _ in range(settings.servers)]

        results['create_backup'] = self._create_backups(settings.requests)
        for name, path in (('servers_detail', '/servers/detail'),
                           ('flavors', '/flavors')):
            results[name] = self._gets(path, settings.requests)
        results['app_build_warm'] = self._builds(settings.builds)
        if settings.profile:
            results['profile'] = self._profile(settings.profile)

    # Servers

    def _wait_idle(self, server_id):
        deadline = time.monotonic() + IDLE_TIMEOUT_S
        while self.task_state(server_id) is not None:
            if time.monotonic() > deadline:
                self.fail('server %s still has a task state' % server_id)
            time.sleep(POLL_S)

    # Requests

    def _backup(self, who, index):
        server_id = self.servers[index % len(self.servers)]
        self._wait_idle(server_id)
        body = self.backup_body(name='benchmark-%d' % index, rotation=1)
        start = _clocks()
        resp = self.clients[who].post_action(server_id, body)
        elapsed = _since(start)
        # The backup is done before the next request is timed.
        self._wait_idle(server_id)
        return resp.status_code, elapsed

    def _create_backups(self, count):
        _progress('in process: createBackup, %d each' % count)
        for index in range(4):
            for who in 'AB':
                self._backup(who, index)
        samples = _Samples()
        for index, who in enumerate(stats.alternate(count)):
            status, elapsed = self._backup(who, index)
            samples.add(who, status, elapsed, ok=202)
        result = samples.result()
        result['backups_held'] = len(self.glance.backups())
        return result

    def _get(self, who, path):
        start = _clocks()
        resp = self.clients[who].api_request(path, check_response_status=None)
        return resp.status_code, _since(start)

    def _gets(self, path, count):
        _progress('in process: GET %s, %d each' % (path, count))
        for who in 'ABAB':
            self._get(who, path)
        samples = _Samples()
        for who in stats.alternate(count):
            status, elapsed = self._get(who, path)
            samples.add(who, status, elapsed, ok=200)
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
            samples = _Samples()
            for who in stats.alternate(count):
                start = _clocks()
                build[who]()
                samples.add(who, None, _since(start))
            result[name] = samples.result(difference=True)
        return result

    # Profiles

    def _profile(self, count):
        """Profile ``count`` createBackup requests of each router."""
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
                self.clients[who].post_action(server_id, body)
                profile.disable()
            self._wait_idle(self.servers[(count - 1) % len(self.servers)])
            path = '%s.%s.prof' % (self.settings.profile_prefix, who)
            profile.dump_stats(path)
            profiles[who] = {
                'file': path,
                'total_s': pstats.Stats(profile).total_tt / count,
            }
        return profiles


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
