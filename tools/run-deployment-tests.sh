#!/usr/bin/env bash
# The tests against a single-node deployment, as CI runs them:
#
#   1. tools/stack.sh brings the deployment up (or reuses a running one);
#   2. tools/demo.sh, the main job: rotated backups, the reader refused;
#   3. tools/run-tempest.sh: the plugin's and tempest's own createBackup
#      tests;
#   4. the tests in tests/deployment/ (faults, Glance quota) and the
#      DevStack plugin's phases;
#   5. tools/unstack.sh-like: the services this run started are stopped,
#      those that were running before are left running.
#
# Every step runs even when an earlier one failed, so one run shows all
# that is wrong; the exit status is non-zero when any step failed.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tools/stack/functions.sh"

failed=()
before=()
for name in $SERVICES; do
    if is_running "$name"; then
        before+=("$name")
    fi
done

stop_started() {
    local name
    for name in $(echo "$SERVICES" | tr ' ' '\n' | tac); do
        if [[ " ${before[*]} " != *" $name "* ]]; then
            stop_process "$name"
        fi
    done
}
trap stop_started EXIT

step() {
    local what=$1
    shift
    local start=$SECONDS
    echo "=== $what"
    if "$@"; then
        echo "=== $what: ok ($((SECONDS - start))s)"
    else
        echo "=== $what: FAILED ($((SECONDS - start))s)"
        failed+=("$what")
    fi
}

deployment_tests() {
    cd "$TOP" &&
        "$VENV/bin/stestr" --test-path=./tests/deployment --top-dir=./ \
            run --serial
}

main() {
    step "bring-up (tools/stack.sh)" "$TOP/tools/stack.sh"
    if [ ${#failed[@]} -ne 0 ]; then
        echo "the deployment did not come up; logs in $LOGS" >&2
        exit 1
    fi
    step "main job (tools/demo.sh)" "$TOP/tools/demo.sh"
    if [ -x "$TOP/tools/run-tempest.sh" ]; then
        step "tempest (tools/run-tempest.sh)" "$TOP/tools/run-tempest.sh"
    else
        echo "=== tempest: tools/run-tempest.sh is missing"
        failed+=("tempest")
    fi
    step "deployment tests (tests/deployment)" deployment_tests

    if [ ${#failed[@]} -ne 0 ]; then
        echo "failed: ${failed[*]}; logs in $LOGS" >&2
        exit 1
    fi
    echo "all deployment tests passed in ${SECONDS}s"
}

# On one line: bash has read all it runs before running it.
main "$@"; exit
