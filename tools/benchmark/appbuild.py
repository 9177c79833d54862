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

"""The build of nova-api's WSGI app at start, stock (A) and extension (B).

Each build runs in a fresh interpreter, as at nova-api's start: the
process imports what ``nova.wsgi.osapi_compute`` imports and parses an
empty configuration (untimed), then paste loads ``osapi_compute`` from
an ``api-paste.ini`` (timed). That load imports the router's module and
every controller, and builds the two routers, ``/v2`` and ``/v2.1``; for
B it also imports the extension and finds its entry points. A's file is
the ``api-paste.ini`` that Nova ships; B's is the same file with the
extension's factory in ``[app:osapi_compute_app_v21]``. Builds of A and
B alternate in pairs.

Run by ``run.py``; standalone::

    python tools/benchmark/appbuild.py --output part.json --workdir DIR
"""

import argparse
import json
import os
import subprocess
import sys
import time

import stats

APP_SECTION = 'app:osapi_compute_app_v21'
EXTENSION_FACTORY = 'nova_createbackup_ext.api.router:APIRouterV21.factory'


def nova_paste_ini(prefix=sys.prefix):
    """The api-paste.ini that Nova installs beside its interpreter."""
    return os.path.join(prefix, 'etc', 'nova', 'api-paste.ini')


def with_factory(text, factory, section=APP_SECTION):
    """An api-paste.ini's text with another app factory in ``section``.

    :raises ValueError: if the section has no ``paste.app_factory``
    """
    out = []
    current = None
    replaced = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            current = stripped[1:-1]
        elif (current == section and '=' in stripped and
              stripped.split('=', 1)[0].strip() == 'paste.app_factory'):
            line = 'paste.app_factory = %s' % factory
            replaced = True
        out.append(line)
    if not replaced:
        raise ValueError('no paste.app_factory in [%s]' % section)
    return '\n'.join(out) + '\n'


def write_paste_pair(source, directory):
    """Write A's and B's api-paste.ini to ``directory``.

    :returns: ``{'A': path, 'B': path}``
    """
    with open(source) as f:
        text = f.read()
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for who, content in (('A', text),
                         ('B', with_factory(text, EXTENSION_FACTORY))):
        paths[who] = os.path.join(directory, 'api-paste-%s.ini' % who)
        with open(paths[who], 'w') as f:
            f.write(content)
    return paths


def _build_forked(paste_ini):
    """Build the app in a fork of this process.

    :returns: the wall-clock and the CPU seconds of the build
    """
    from paste import deploy

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        code = 0
        try:
            start = time.perf_counter(), time.process_time()
            deploy.loadapp('config:%s' % paste_ini, name='osapi_compute')
            message = json.dumps([time.perf_counter() - start[0],
                                  time.process_time() - start[1]])
        except BaseException as e:
            message = 'error: %s: %s' % (type(e).__name__, e)
            code = 1
        os.write(writer, message.encode())
        os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as f:
        message = f.read()
    os.waitpid(pid, 0)
    if message.startswith('error'):
        raise RuntimeError('building the app from %s failed: %s' % (
            paste_ini, message))
    return json.loads(message)


def _builds(paths, order, nova_conf):
    # What nova.wsgi.osapi_compute imports and does before it builds the
    # app, once; each build is then made in a fork of this state, so
    # that each imports the router, the controllers and the extension
    # anew, as at nova-api's start.
    from nova import monkey_patch
    monkey_patch.patch(backend='threading')
    from nova.api.openstack import wsgi_app  # noqa: F401
    from nova import config

    # Nova's RPC clients are made as the controllers are, on the fake
    # transport of nova_conf, which connects to nothing.
    config.parse_args(['nova-api-os-compute'],
                      default_config_files=[nova_conf], configure_db=False)
    for module in ('nova.api.openstack.compute.routes',
                   'nova_createbackup_ext.api.router'):
        if module in sys.modules:
            raise RuntimeError('%s is imported before the build' % module)
    # Untimed: the first ever scan of entry points writes stevedore's
    # cache, and files come into the page cache.
    _build_forked(paths['B'])
    samples = {'wall': {'A': [], 'B': []}, 'cpu': {'A': [], 'B': []}}
    for who in order:
        wall, cpu = _build_forked(paths[who])
        samples['wall'][who].append(wall)
        samples['cpu'][who].append(cpu)
    return samples


def run(count, workdir, source=None, python=sys.executable):
    """Build each app ``count`` times, as at start, alternating.

    The builds run in a process of their own, forked from it each time.
    """
    source = source or nova_paste_ini()
    paths = write_paste_pair(source, workdir)
    nova_conf = os.path.join(workdir, 'nova.conf')
    with open(nova_conf, 'w') as f:
        f.write('[DEFAULT]\ntransport_url = fake:/\n')
    proc = subprocess.run(
        [python, os.path.abspath(__file__), '--fork-builds',
         json.dumps({'paths': paths, 'nova_conf': nova_conf,
                     'order': stats.alternate(count)})],
        capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError('the app builds failed:\n%s' %
                           proc.stderr[-3000:])
    samples = json.loads(proc.stdout.strip().splitlines()[-1])
    result = {'paste_ini': paths}
    for clock in ('wall', 'cpu'):
        a, b = samples[clock]['A'], samples[clock]['B']
        result[clock] = stats.compare(a, b)
        result[clock]['B-A'] = stats.difference_ms(a, b)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--fork-builds', help=argparse.SUPPRESS)
    parser.add_argument('--output', help='where to write the results')
    parser.add_argument('--workdir', default='.',
                        help="where to write A's and B's api-paste.ini")
    parser.add_argument('--builds', type=int, default=10,
                        help='builds of each app')
    settings = parser.parse_args(argv)
    if settings.fork_builds:
        job = json.loads(settings.fork_builds)
        print(json.dumps(_builds(job['paths'], job['order'],
                                 job['nova_conf'])))
        return
    if not settings.output:
        parser.error('--output is required')
    result = run(settings.builds, settings.workdir)
    with open(settings.output, 'w') as f:
        json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
