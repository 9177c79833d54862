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

"""Benchmark Nova's stock router (A) against the extension's factory (B).

One run measures, alternating A and B request by request, in pairs, so that
the machine's noise falls on both, and reports medians, p90, p99 and
the B/A ratio of medians with its spread:

1. in process, through Nova's functional stack (``inprocess.py``):
   createBackup, ``GET /servers/detail`` and ``GET /flavors``, with an
   A/A control; the build of the WSGI app and of the router in a warm
   process. The part is split over a few fresh processes, and each
   ratio is also given per process;
2. the build of the WSGI app as at nova-api's start, each in a fresh
   process (``appbuild.py``);
3. on the single-node deployment of ``tools/stack.sh``, when there is one
   (``deployment.py``): two nova-api apps of this run side by side, the
   same routes, and the burst of one createBackup per server at once.

It prints a table and writes ``results.json`` (every sample included)
and ``latency.png`` to the output directory, and the logs of the two
apps to its ``deployment/``. Targets are reported, not asserted: see
``report.py``.

Usage, from the checkout, with a Python that has Nova, its test tree,
wsgi-intercept and matplotlib (``tox -e benchmark`` makes one)::

    tools/benchmark.sh [--inprocess-only] [--long] [--output-dir DIR]

The default run makes at least 200 requests of each router per route in
process and 100 per route on the deployment; ``--long`` makes more. On a
machine of two busy cores the in-process part and the app builds take
about five minutes, the deployment part about twelve more: each
createBackup there waits for Glance, and Glance for Keystone.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import appbuild
import deployment
import report
import stats

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

# (default, --long) of each count.
COUNTS = {
    'requests': (200, 1000),
    'builds': (20, 60),
    'cold_builds': (10, 30),
    'deployment_requests': (100, 300),
    'processes': (3, 5),
}


def _progress(message):
    print('[benchmark %s] %s' % (time.strftime('%H:%M:%S'), message),
          file=sys.stderr, flush=True)


def _meta():
    def command(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True,
                                  cwd=TOP, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    try:
        from importlib import metadata
        nova_version = metadata.version('nova')
    except Exception:
        nova_version = None
    return {
        'started': datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec='seconds'),
        'python': platform.python_version(),
        'nova': nova_version,
        'commit': command('git', 'rev-parse', 'HEAD'),
        'cpus': os.cpu_count(),
        'load_average_at_start': os.getloadavg(),
    }


def _inprocess_once(settings, workdir, index, requests, builds):
    output = os.path.join(workdir, 'inprocess-%d.json' % index)
    args = [sys.executable, os.path.join(HERE, 'inprocess.py'),
            '--output', output, '--requests', str(requests),
            '--builds', str(builds)]
    if settings.profile and index == 0:
        args += ['--profile', str(settings.profile), '--profile-prefix',
                 os.path.join(settings.output_dir, 'inprocess')]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [TOP] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep)
                 if p])
    # Each process its own hash seed, as each nova-api has.
    env.pop('PYTHONHASHSEED', None)
    # Nova's test fixtures log to memory unless told otherwise.
    for name in ('OS_DEBUG', 'OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE',
                 'OS_LOG_CAPTURE'):
        env.pop(name, None)
    log_path = os.path.join(workdir, 'inprocess-%d.log' % index)
    with open(log_path, 'w') as log:
        proc = subprocess.run(args, cwd=TOP, env=env, stdout=log,
                              stderr=subprocess.STDOUT, timeout=3600,
                              check=False)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-4000:]
        raise RuntimeError('the in-process part failed (its log: %s):\n%s'
                           % (log_path, tail))
    with open(output) as f:
        return json.load(f)


def _inprocess(settings, workdir):
    """The in-process part, split over fresh processes, merged.

    NOTE(cbext): within one process, two apps doing the very same work
    can differ by 10-25% over the whole run, one way in one process and
    the other way in the next (see inprocess.py); over several
    processes that is spread rather than a bias, and the per-process
    ratios show it.
    """
    count = settings.processes
    parts = []
    for index in range(count):
        _progress('in process: process %d of %d' % (index + 1, count))
        parts.append(_inprocess_once(
            settings, workdir, index, -(-settings.requests // count),
            -(-settings.builds // count)))
    merged = stats.merge(parts)
    merged['processes'] = count
    # Only the first process profiles.
    merged['profile'] = parts[0].get('profile')
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--output-dir',
                        default=os.path.join(TOP, 'benchmark-results'),
                        help='where results.json and latency.png go '
                             '(default: %(default)s)')
    parser.add_argument('--long', action='store_true',
                        help='more requests and builds: %s' % ', '.join(
                            '%s %d' % (k, v[1]) for k, v in COUNTS.items()))
    parser.add_argument('--inprocess-only', action='store_true',
                        help='skip the deployment part')
    parser.add_argument('--requests', type=int,
                        help='in-process requests of each router per route')
    parser.add_argument('--processes', type=int,
                        help='processes the in-process part is split over')
    parser.add_argument('--builds', type=int,
                        help='warm builds of each app and router')
    parser.add_argument('--cold-builds', type=int,
                        help='builds of each app as at start')
    parser.add_argument('--deployment-requests', type=int,
                        help='deployment requests of each app per route')
    parser.add_argument('--servers', type=int, default=50,
                        help='servers on the deployment, and the burst '
                             '(default: %(default)s)')
    parser.add_argument('--versions', nargs='+',
                        help='createBackup microversions on the '
                             'deployment (default: latest; with --long: '
                             '2.38 latest)')
    parser.add_argument('--stack-dir', default=deployment.STACK_DIR,
                        help='the deployment (default: %(default)s)')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='in-process createBackup of each router to '
                             'profile with cProfile, to tell where B '
                             'spends time that A does not (0: none)')
    settings = parser.parse_args(argv)
    for name, (default, long_count) in COUNTS.items():
        if getattr(settings, name) is None:
            setattr(settings, name, long_count if settings.long else default)
    if settings.versions is None:
        settings.versions = ['2.38', 'latest'] if settings.long else [
            'latest']
    os.makedirs(settings.output_dir, exist_ok=True)

    started = time.monotonic()
    results = {'meta': _meta(), 'settings': {
        k: v for k, v in vars(settings).items()}}
    with tempfile.TemporaryDirectory(prefix='cbext-benchmark-') as workdir:
        _progress('in process (%d requests of each router per route)' %
                  settings.requests)
        results['inprocess'] = _inprocess(settings, workdir)
        _progress('app builds as at start (%d of each)' %
                  settings.cold_builds)
        results['app_build_cold'] = appbuild.run(
            settings.cold_builds, os.path.join(workdir, 'appbuild'))
        if settings.inprocess_only:
            results['deployment'] = {'skipped': 'not asked for '
                                                '(--inprocess-only)'}
        else:
            _progress('the deployment (%d requests of each app per route)'
                      % settings.deployment_requests)
            results['deployment'] = deployment.run(argparse.Namespace(
                stack_dir=settings.stack_dir,
                workdir=os.path.join(settings.output_dir, 'deployment'),
                requests=settings.deployment_requests,
                servers=settings.servers, versions=settings.versions,
                settle=False, wait=60, timeout=3600))
            if 'skipped' in results['deployment']:
                _progress('deployment part skipped: %s' %
                          results['deployment']['skipped'])
    results['meta']['load_average_at_end'] = os.getloadavg()
    results['meta']['duration_s'] = time.monotonic() - started

    json_path = os.path.join(settings.output_dir, 'results.json')
    with open(json_path, 'w') as f:
        json.dump(results, f, indent=1)
    png_path = report.figure(results,
                             os.path.join(settings.output_dir, 'latency.png'))
    print('\n'.join(report.table(results)))
    print('\nresults: %s\nfigure:  %s\n%d s; load average %.1f at start, '
          '%.1f at end, %d CPUs' % (
              json_path, png_path, results['meta']['duration_s'],
              results['meta']['load_average_at_start'][0],
              results['meta']['load_average_at_end'][0],
              results['meta']['cpus']))


if __name__ == '__main__':
    main()
