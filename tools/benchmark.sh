#!/usr/bin/env bash
# Benchmark Nova's stock router (A) against the extension's factory (B):
# in process, the app build, and the single-node deployment of
# tools/stack.sh when it runs (skipped with a line saying so otherwise).
#
#   tools/benchmark.sh                  the default run
#   tools/benchmark.sh --long           more requests and builds
#   tools/benchmark.sh --inprocess-only without the deployment
#   tools/benchmark.sh --help           every option
#
# It prints a table and writes results.json and latency.png to
# benchmark-results/ in the checkout (--output-dir DIR elsewhere).
#
# Settings (environment variables, with their defaults):
#   CREATEBACKUP_BENCHMARK_PYTHON  python3: an interpreter with nova, its
#                                  test tree, wsgi-intercept, matplotlib
#                                  and this package (tox -e benchmark
#                                  makes one and runs this script)
#   CREATEBACKUP_STATE             $HOME/.cache/nova-createbackup-ext:
#                                  where tools/stack.sh keeps the
#                                  deployment
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${CREATEBACKUP_BENCHMARK_PYTHON:-python3}

cd "$TOP"
exec "$PYTHON" "$TOP/tools/benchmark/run.py" "$@"
