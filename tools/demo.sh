#!/usr/bin/env bash
# The main job on the deployment that tools/stack.sh brought up: a
# server's nightly backups with rotation 2, taken through the openstack
# client and over HTTP at microversions 2.44 and 2.45, then what Glance
# holds. Exits non-zero when the outcome is not the expected one; see
# tools/stack/main_job.py for each check.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tools/stack/functions.sh"

[ -f "$CLOUDS_YAML" ] || die "no deployment in $STACK_DIR: run tools/stack.sh"
is_running nova-api || die "nova-api does not run: run tools/stack.sh"

export OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML
exec "$VENV/bin/python" "$TOP/tools/stack/main_job.py"
