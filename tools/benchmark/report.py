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

"""The table and the figure of a benchmark run's results.

Targets are reported against, never asserted:

* createBackup: the B/A ratio of medians at most :data:`BACKUP_TARGET`;
* routes the extension does not touch: 1.00 within noise, that is the
  ratio's 95% interval holds 1.00, or the ratio is within
  :data:`NOISE` of it;

in process on the app's own time (wall-clock and CPU) when it is
called directly, on the deployment on the client's round trip; other
rows are reported beside them;
* the app build: B's median at most :data:`BUILD_TARGET_MS` above A's.
"""

import numpy

BACKUP_TARGET = 1.02
NOISE = 0.02
BUILD_TARGET_MS = 50.0

_HEADER = ('%-11s %-27s %7s %8s %8s %8s %8s %8s %8s  %-29s %s' % (
    'part', 'measurement', 'n A/B', 'A p50', 'A p90', 'A p99', 'B p50',
    'B p90', 'B p99', 'B/A p50 [95% CI] {spread}', 'target'))

_NOTES = (
    'Times in ms. B/A: ratio of medians; [95% CI]: bootstrap over pairs;',
    '{spread}: lowest-highest over the in-process processes, else the IQR',
    'over blocks of 20 pairs. Targets are on the rows that name one; the',
    'rows marked (beside) are other views of the same requests.',
)


def _ms(value):
    return '%8.1f' % value if value is not None else '%8s' % '-'


def _ratio_verdict(ratio, untouched):
    if ratio.get('ratio') is None:
        return 'no data'
    value = ratio['ratio']
    low, high = ratio['ci95']
    if untouched:
        met = low <= 1.0 <= high or abs(value - 1.0) <= NOISE
        return '1.00+-noise: %s' % ('met' if met else 'MISSED')
    return '<=%.2f: %s' % (BACKUP_TARGET,
                           'met' if value <= BACKUP_TARGET else 'MISSED')


def _ratio_text(ratio):
    if ratio.get('ratio') is None:
        return '-'
    text = '%.3f [%.3f-%.3f]' % (ratio['ratio'], ratio['ci95'][0],
                                 ratio['ci95'][1])
    per_process = [r for r in ratio.get('per_process', []) if r]
    if len(per_process) > 1:
        text += ' {%.3f-%.3f}' % (min(per_process), max(per_process))
    elif 'block_iqr' in ratio:
        text += ' {%.3f-%.3f}' % tuple(ratio['block_iqr'])
    return text


def _row(part, name, compared, untouched, target=True):
    a, b = compared['A'], compared['B']
    verdict = (_ratio_verdict(compared['B/A'], untouched) if target
               else '(beside)')
    return '%-11s %-27s %7s %s %s %s %s %s %s  %-29s %s' % (
        part, name, '%d/%d' % (a.get('count', 0), b.get('count', 0)),
        _ms(a.get('median_ms')), _ms(a.get('p90_ms')), _ms(a.get('p99_ms')),
        _ms(b.get('median_ms')), _ms(b.get('p90_ms')), _ms(b.get('p99_ms')),
        _ratio_text(compared['B/A']), verdict)


def _build_row(part, name, compared):
    a, b = compared['A'], compared['B']
    diff = compared['B-A']
    verdict = 'B-A %+.1f ms [%+.1f, %+.1f]; <%d ms: %s' % (
        diff['difference_ms'], diff['ci95_ms'][0], diff['ci95_ms'][1],
        BUILD_TARGET_MS, 'met' if diff['difference_ms'] < BUILD_TARGET_MS
        else 'MISSED')
    return '%-11s %-27s %7s %s %s %s %s %s %s  %-29s %s' % (
        part, name, '%d/%d' % (a['count'], b['count']),
        _ms(a['median_ms']), _ms(a['p90_ms']), _ms(a['p99_ms']),
        _ms(b['median_ms']), _ms(b['p90_ms']), _ms(b['p99_ms']),
        '%.3f' % (b['median_ms'] / a['median_ms']), verdict)


def table(results):
    """The report as lines of text."""
    lines = list(_NOTES) + ['', _HEADER, '-' * len(_HEADER)]
    inproc = results.get('inprocess')
    if inproc:
        for send, part in (('direct', 'in-process'),
                           ('intercept', 'intercept'),
                           ('control', 'A/A')):
            for key, name, untouched in (
                    ('create_backup', 'createBackup (latest)', False),
                    ('servers_detail', 'GET /servers/detail', True),
                    ('flavors', 'GET /flavors', True)):
                measured = inproc.get(send, {}).get(key)
                if not measured:
                    continue
                target = send == 'direct'
                lines.append(_row(part, name, measured['wall'], untouched,
                                  target))
                part = ''
                lines.append(_row('', '  same, CPU time', measured['cpu'],
                                  untouched, target))
                if 'round_trip' in measured:
                    lines.append(_row('', '  same, client round trip',
                                      measured['round_trip'], untouched,
                                      False))
    cold = results.get('app_build_cold')
    if cold:
        lines.append(_build_row('app build', 'paste app, at start',
                                cold['wall']))
        lines.append(_build_row('', '  same, CPU time', cold['cpu']))
    if inproc:
        warm = inproc['app_build_warm']
        lines.append(_build_row('', 'paste app, warm process',
                                warm['paste_app']['wall']))
        lines.append(_build_row('', 'router class, warm',
                                warm['router']['wall']))
        profiles = inproc.get('profile')
        if isinstance(profiles, list):
            profiles = profiles[0]
        if profiles:
            lines.append(
                'profile     createBackup handler, per request under '
                'cProfile (%d each; indicative only: the profiler follows '
                'green threads poorly): A %.2f ms, B %.2f ms, of which '
                "Nova's compute API backup() A %.2f, B %.2f; the rest "
                '(server, policy, checks, answer): A %.2f, B %.2f, '
                'B-A %+.2f ms' % (
                    profiles['A']['requests'], profiles['A']['handler_ms'],
                    profiles['B']['handler_ms'],
                    profiles['A']['compute_backup_ms'],
                    profiles['B']['compute_backup_ms'],
                    profiles['A']['controller_own_ms'],
                    profiles['B']['controller_own_ms'],
                    profiles['B-A_own_ms']))
    deployment = results.get('deployment') or {}
    if 'skipped' in deployment:
        lines.append('%-11s skipped: %s' % ('deployment',
                                            deployment['skipped']))
    elif deployment:
        for key in sorted(k for k in deployment
                          if k.startswith('create_backup@')):
            name = 'createBackup (%s)' % key.split('@', 1)[1]
            lines.append(_row('deployment', name, deployment[key], False))
        for key, name in (('servers_detail', 'GET /servers/detail'),
                          ('flavors', 'GET /flavors')):
            lines.append(_row('deployment', name, deployment[key], True))
        lines.append('')
        lines.extend(_burst_lines(deployment))
    return lines


def _burst_lines(deployment):
    lines = []
    for who, burst in sorted(deployment.get('burst', {}).items()):
        latency = burst['latency']
        lines.append(
            'burst %s: %d createBackup at once: %s; errors (not 202/409): '
            '%d; p50 %s ms, p99 %s ms; all answered in %.1f s' % (
                who, sum(burst['statuses'].values()),
                ', '.join('%s x%d' % item for item in
                          sorted(burst['statuses'].items())),
                burst['errors'], _ms(latency.get('median_ms')).strip(),
                _ms(latency.get('p99_ms')).strip(), burst['wall_s']))
    glance = deployment.get('glance_after')
    if glance:
        held = '; '.join(
            '%s: %s' % (backup_type, ', '.join(
                '%d server(s) with %s' % (servers, count)
                for count, servers in sorted(counts.items())))
            for backup_type, counts in sorted(glance['per_server'].items()))
        lines.append(
            'Glance after: %d images (%s), %d not of a server; backups '
            'per server by type: %s' % (
                glance['images'], ', '.join(
                    '%s %d' % item for item in
                    sorted(glance['statuses'].items())),
                glance['not_of_a_server'], held))
    return lines


def figure(results, path):
    """Draw the latency distributions of A and B to a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot
    from matplotlib import ticker

    panels = []
    inproc = (results.get('inprocess') or {}).get('direct', {})
    for key, name in (('create_backup', 'createBackup'),
                      ('servers_detail', 'GET /servers/detail'),
                      ('flavors', 'GET /flavors')):
        if key in inproc:
            panels.append(('in process: %s' % name,
                           inproc[key]['wall']['samples_s']))
    deployment = results.get('deployment') or {}
    for key in sorted(deployment):
        value = deployment[key]
        if isinstance(value, dict) and 'samples_s' in value:
            name = key.replace('create_backup@', 'createBackup ').replace(
                'servers_detail', 'GET /servers/detail').replace(
                'flavors', 'GET /flavors')
            panels.append(('deployment: %s' % name, value['samples_s']))
    bursts = deployment.get('burst') or {}
    if bursts:
        panels.append(('deployment: burst, all at once',
                       {who: burst['samples_s']
                        for who, burst in bursts.items()}))
    cold = results.get('app_build_cold')
    if cold:
        panels.append(('app build at start (wall)',
                       cold['wall']['samples_s']))
    if not panels:
        return None

    columns = 2
    rows = (len(panels) + 1) // columns
    fig, axes = pyplot.subplots(rows, columns, figsize=(12, 3.2 * rows),
                                squeeze=False)
    labels = {'A': "A: Nova's router", 'B': "B: the extension's"}
    colors = {'A': 'tab:blue', 'B': 'tab:orange'}
    for ax, (title, samples) in zip(axes.flat, panels):
        values = {who: numpy.asarray(samples.get(who, []), float) * 1000
                  for who in 'AB'}
        present = [v for v in values.values() if v.size]
        if not present:
            ax.set_visible(False)
            continue
        everything = numpy.concatenate(present)
        low, high = everything.min(), everything.max()
        if high > 4 * low > 0:
            bins = numpy.geomspace(low, high, 40)
            ax.set_xscale('log')
            ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        else:
            bins = 40
        for who in 'AB':
            if not values[who].size:
                continue
            ax.hist(values[who], bins=bins, histtype='step', linewidth=1.5,
                    color=colors[who], label='%s (n=%d)' % (
                        labels[who], values[who].size))
            ax.axvline(numpy.median(values[who]), color=colors[who],
                       linestyle='--', linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel('ms (dashed: median)')
        ax.set_ylabel('requests')
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle('createBackup extension: latency of A and B')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return path
