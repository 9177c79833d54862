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

"""Figures of paired A/B samples: percentiles and the B/A ratio.

A and B are measured in pairs, one request of each, so that a slow
moment of the machine falls on both; which of the two comes first in a
pair is drawn at random (with a fixed seed), so that nothing periodic in
the machine or the services lines up with one of them. The ratio
of medians is given with two measures of its spread: a 95% bootstrap
interval that resamples whole pairs, and the interquartile range of the
ratio computed over consecutive blocks of pairs.
"""

import numpy

BOOTSTRAP_ROUNDS = 2000
BLOCK_PAIRS = 20
# A fixed seed: the same samples always give the same interval.
SEED = 20261204


def alternate(count, seed=SEED):
    """The order of ``count`` pairs, each ``A B`` or ``B A`` at random.

    :returns: a list of ``'A'``/``'B'`` of length ``2 * count``
    """
    rng = numpy.random.default_rng(seed)
    order = []
    for first in rng.integers(0, 2, size=count):
        order.extend('AB' if first == 0 else 'BA')
    return order


def summary(samples):
    """Median, p90, p99, mean, min and max of samples in seconds, in ms."""
    values = numpy.asarray(samples, dtype=float) * 1000.0
    if values.size == 0:
        return {'count': 0}
    return {
        'count': int(values.size),
        'median_ms': float(numpy.median(values)),
        'p90_ms': float(numpy.percentile(values, 90)),
        'p99_ms': float(numpy.percentile(values, 99)),
        'mean_ms': float(values.mean()),
        'min_ms': float(values.min()),
        'max_ms': float(values.max()),
    }


def ratio(a_samples, b_samples):
    """B/A ratio of medians of paired samples, with its spread.

    :param a_samples: A's durations, the i-th paired with B's i-th
    :param b_samples: B's durations
    :returns: ``ratio``, ``ci95`` (bootstrap over pairs), ``block_iqr``
        (25th and 75th percentile of the ratio over blocks of
        :data:`BLOCK_PAIRS` pairs) and ``blocks``
    """
    a = numpy.asarray(a_samples, dtype=float)
    b = numpy.asarray(b_samples, dtype=float)
    pairs = min(a.size, b.size)
    if pairs == 0:
        return {'ratio': None}
    a, b = a[:pairs], b[:pairs]
    rng = numpy.random.default_rng(SEED)
    picks = rng.integers(0, pairs, size=(BOOTSTRAP_ROUNDS, pairs))
    boot = numpy.median(b[picks], axis=1) / numpy.median(a[picks], axis=1)
    blocks = [float(numpy.median(b[i:i + BLOCK_PAIRS]) /
                    numpy.median(a[i:i + BLOCK_PAIRS]))
              for i in range(0, pairs - BLOCK_PAIRS + 1, BLOCK_PAIRS)]
    result = {
        'ratio': float(numpy.median(b) / numpy.median(a)),
        'ci95': [float(numpy.percentile(boot, 2.5)),
                 float(numpy.percentile(boot, 97.5))],
        'blocks': len(blocks),
    }
    if blocks:
        result['block_iqr'] = [float(numpy.percentile(blocks, 25)),
                               float(numpy.percentile(blocks, 75))]
    return result


def compare(a_samples, b_samples):
    """Summaries of A and B and their ratio, as the report holds them."""
    return {'A': summary(a_samples), 'B': summary(b_samples),
            'B/A': ratio(a_samples, b_samples),
            'samples_s': {'A': list(a_samples), 'B': list(b_samples)}}


def difference_ms(a_samples, b_samples):
    """B minus A of the medians, in ms, with a bootstrap 95% interval.

    The samples need not be paired (each is a separate build).
    """
    a = numpy.asarray(a_samples, dtype=float) * 1000.0
    b = numpy.asarray(b_samples, dtype=float) * 1000.0
    if a.size == 0 or b.size == 0:
        return {'difference_ms': None}
    rng = numpy.random.default_rng(SEED)
    boot = (numpy.median(b[rng.integers(0, b.size, (BOOTSTRAP_ROUNDS,
                                                    b.size))], axis=1) -
            numpy.median(a[rng.integers(0, a.size, (BOOTSTRAP_ROUNDS,
                                                    a.size))], axis=1))
    return {'difference_ms': float(numpy.median(b) - numpy.median(a)),
            'ci95_ms': [float(numpy.percentile(boot, 2.5)),
                        float(numpy.percentile(boot, 97.5))]}


def _merge_statuses(nodes):
    merged = {}
    for node in nodes:
        for who, counts in node.items():
            for status, count in counts.items():
                merged.setdefault(who, {}).setdefault(status, 0)
                merged[who][status] += count
    return merged


def merge(parts):
    """The results of several processes' runs as one run's.

    Samples are pooled, figures computed again over them; each ratio and
    difference also lists its value in each process, ``per_process``.
    """
    first = parts[0]
    if isinstance(first, dict) and 'samples_s' in first:
        a = [x for part in parts for x in part['samples_s']['A']]
        b = [x for part in parts for x in part['samples_s']['B']]
        merged = compare(a, b)
        merged['B/A']['per_process'] = [part['B/A']['ratio']
                                        for part in parts]
        if 'B-A' in first:
            merged['B-A'] = difference_ms(a, b)
            merged['B-A']['per_process'] = [
                part['B-A']['difference_ms'] for part in parts]
        return merged
    if isinstance(first, dict):
        merged = {}
        for key in first:
            values = [part[key] for part in parts if key in part]
            if key == 'statuses':
                merged[key] = _merge_statuses(values)
            else:
                merged[key] = merge(values)
        return merged
    return parts
