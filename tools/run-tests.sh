#!/usr/bin/env bash
# Run the project's tests, as CI does.
#
#   tools/run-tests.sh            everything: lint, the unit and in-process
#                                 functional suites on each supported Nova
#                                 release, then the tests against a
#                                 single-node deployment
#   tools/run-tests.sh inprocess  all but the deployment
#
# tox is installed into a virtual environment of its own when it is not on
# PATH; nothing else is needed beforehand.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
STATE=${CREATEBACKUP_STATE:-$HOME/.cache/nova-createbackup-ext}
WHAT=${1:-all}

ensure_tox() {
    if command -v tox >/dev/null 2>&1; then
        TOX=tox
        return
    fi
    if [ ! -x "$STATE/tox/bin/tox" ]; then
        python3 -m venv "$STATE/tox"
        "$STATE/tox/bin/pip" install -q 'tox>=4.6.0'
    fi
    TOX=$STATE/tox/bin/tox
}

cd "$TOP"
ensure_tox
# The unit suite runs both sample generators on each release, so the
# genconfig and genpolicy environments need not run here too.
"$TOX" -e pep8,nova34,nova33,nova32

if [ "$WHAT" = all ]; then
    "$TOP/tools/run-deployment-tests.sh"
fi
