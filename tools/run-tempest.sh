#!/usr/bin/env bash
# Run tempest against the single-node deployment of tools/stack.sh: the
# createBackup tests of this project's tempest plugin, and tempest's own
# createBackup tests, which must pass against the extension unchanged.
#
#   tools/run-tempest.sh            write the workspace and run the tests
#   tools/run-tempest.sh --config   only write the workspace's tempest.conf
#
# The deployment must be up: this script neither starts nor stops it.
# The workspace is $STATE/stack/tempest; its etc/tempest.conf is written
# again on every run, from the deployment's clouds.yaml, and the tests'
# log is its logs/tempest.log.
#
# Settings (environment variables, with their defaults):
#   CREATEBACKUP_STATE               $HOME/.cache/nova-createbackup-ext
#   CREATEBACKUP_TEMPEST_VENV        $STATE/stack/venv: has tempest, this
#                                    package and openstackclient
#   CREATEBACKUP_TEMPEST_CONCURRENCY 2: test classes run at the same time
#   CREATEBACKUP_TEMPEST_IMAGE       cbext-tiny, and
#   CREATEBACKUP_TEMPEST_IMAGE_ALT   cbext-tiny-alt: public images
#   CREATEBACKUP_TEMPEST_FLAVOR      cbext.tiny, and
#   CREATEBACKUP_TEMPEST_FLAVOR_ALT  cbext.tiny.alt: flavors, by name
#
# It exits non-zero when a test fails, and also when a selected test is
# skipped or none ran: on this deployment every one of them must run.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
STATE=${CREATEBACKUP_STATE:-$HOME/.cache/nova-createbackup-ext}
STACK_DIR=$STATE/stack
CLOUDS_YAML=$STACK_DIR/clouds.yaml
VENV=${CREATEBACKUP_TEMPEST_VENV:-$STACK_DIR/venv}
WORKSPACE=$STACK_DIR/tempest
TEMPEST_CONF=$WORKSPACE/etc/tempest.conf
CONCURRENCY=${CREATEBACKUP_TEMPEST_CONCURRENCY:-2}

# The tests: the whole plugin, and tempest's two createBackup tests (one
# at the lowest microversion, with Location, one at 2.47, with image_id).
ACTIONS='^tempest\.api\.compute\.servers\.test_server_actions'
TESTS=(
    '^nova_createbackup_ext\.tempest_plugin\.tests\.'
    "$ACTIONS\.ServerActionsTestOtherB\.test_create_backup\["
    "$ACTIONS\.ServersAaction247Test\.test_create_backup\["
)

say() {
    echo "[tempest $(date -u +%H:%M:%S)] $*"
}

die() {
    echo "[tempest] ERROR: $*" >&2
    exit 1
}

check_stack() {
    [ -x "$VENV/bin/tempest" ] || die "no tempest in $VENV; is the" \
        "deployment built? (tools/stack.sh)"
    [ -s "$CLOUDS_YAML" ] || die "no $CLOUDS_YAML; is the deployment" \
        "up? (tools/stack.sh)"
    if ! OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML "$VENV/bin/openstack" \
            --os-cloud admin token issue -f value -c id >/dev/null; then
        die "Keystone refuses the admin cloud of $CLOUDS_YAML; is the" \
            "deployment up? (tools/stack.sh)"
    fi
}

make_workspace() {
    if [ -f "$WORKSPACE/.stestr.conf" ]; then
        return 0
    fi
    say "making the tempest workspace $WORKSPACE"
    # The workspace registry stays with the deployment, not in $HOME.
    "$VENV/bin/tempest" init --name nova-createbackup-ext \
        --workspace-path "$STACK_DIR/tempest-workspaces.yaml" "$WORKSPACE"
}

# tempest.conf for this deployment: Keystone and the admin credentials
# from clouds.yaml, the images and flavors by name, and what a fake
# virt driver on one node can do.
write_tempest_conf() {
    say "writing $TEMPEST_CONF"
    OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML "$VENV/bin/python" - \
        "$TEMPEST_CONF" "$WORKSPACE" \
        "${CREATEBACKUP_TEMPEST_IMAGE:-cbext-tiny}" \
        "${CREATEBACKUP_TEMPEST_IMAGE_ALT:-cbext-tiny-alt}" \
        "${CREATEBACKUP_TEMPEST_FLAVOR:-cbext.tiny}" \
        "${CREATEBACKUP_TEMPEST_FLAVOR_ALT:-cbext.tiny.alt}" <<'EOF'
import configparser
import os
import sys

import openstack

conf_path, workspace, image, image_alt, flavor, flavor_alt = sys.argv[1:]
cloud = openstack.connect(cloud='admin')
auth = cloud.config.auth
auth_url = auth['auth_url'].rstrip('/')
if not auth_url.endswith('/v3'):
    auth_url += '/v3'


def image_id(name):
    found = cloud.image.find_image(name, ignore_missing=False)
    if found.visibility != 'public' or found.status != 'active':
        sys.exit('image %s is %s and %s, not public and active'
                 % (name, found.visibility, found.status))
    return found.id


def flavor_id(name):
    return cloud.compute.find_flavor(name, ignore_missing=False).id


conf = configparser.ConfigParser(interpolation=None)
conf.optionxform = str
conf.read_dict({
    'DEFAULT': {
        'log_dir': os.path.join(workspace, 'logs'),
        'log_file': 'tempest.log',
        'use_stderr': 'False',
    },
    'oslo_concurrency': {
        'lock_path': os.path.join(workspace, 'tempest_lock'),
    },
    'auth': {
        'use_dynamic_credentials': 'True',
        'create_isolated_networks': 'False',
        'admin_username': auth['username'],
        'admin_password': auth['password'],
        'admin_project_name': auth['project_name'],
        'admin_domain_name': auth.get('user_domain_name', 'Default'),
    },
    'identity': {
        'auth_version': 'v3',
        'uri_v3': auth_url,
        'region': cloud.config.region_name or 'RegionOne',
        'v3_endpoint_type': 'public',
    },
    'identity-feature-enabled': {
        'api_v2': 'False',
        'api_v2_admin': 'False',
    },
    'compute': {
        'image_ref': image_id(image),
        'image_ref_alt': image_id(image_alt),
        'flavor_ref': flavor_id(flavor),
        'flavor_ref_alt': flavor_id(flavor_alt),
        'max_microversion': 'latest',
        'min_compute_nodes': '1',
        'build_timeout': '120',
    },
    # Nova's fake driver on a single node: snapshots (so backups) work;
    # nothing that needs a second host, a port or a volume is there.
    'compute-feature-enabled': {
        'snapshot': 'True',
        'resize': 'False',
        'cold_migration': 'False',
        'live_migration': 'False',
        'block_migration_for_live_migration': 'False',
        'interface_attach': 'False',
        'attach_encrypted_volume': 'False',
        'vnc_console': 'False',
        'spice_console': 'False',
        'serial_console': 'False',
        'console_output': 'True',
    },
    'image': {
        'build_timeout': '120',
    },
    'image-feature-enabled': {
        'api_v2': 'True',
    },
    'validation': {
        'run_validation': 'False',
    },
    'service_available': {
        'nova': 'True',
        'glance': 'True',
        'neutron': 'True',
        'cinder': 'False',
        'swift': 'False',
        'horizon': 'False',
    },
    # Nova enforces scope and the new policy defaults, so readers are
    # readers.
    'enforce_scope': {
        'nova': 'True',
    },
})
fd = os.open(conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, 'w') as f:
    conf.write(f)
EOF
    # The plugin's own options, as DevStack's test-config phase sets them.
    source "$TOP/devstack/lib/nova-createbackup-ext"
    createbackup_configure_tempest "$TEMPEST_CONF"
}

# tempest's ServersAaction247Test.test_create_backup does not delete the
# backup it makes, and the project it made it in is gone once the test
# class is done. Such backups, of projects that no longer exist, are
# deleted here so that runs do not pile them up.
delete_orphan_backups() {
    OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML "$VENV/bin/python" - <<'EOF'
import openstack

cloud = openstack.connect(cloud='admin')
projects = {project.id for project in cloud.identity.projects()}
for image in cloud.image.images():
    image_type = (image.properties or {}).get('image_type')
    if image_type == 'backup' and image.owner not in projects:
        print('deleting backup %s (%s) of the deleted project %s'
              % (image.id, image.name, image.owner))
        cloud.image.delete_image(image, ignore_missing=True)
EOF
}

# "name pid" of each service of the deployment, from its pid files.
service_pids() {
    local file
    for file in "$STACK_DIR"/pids/*.pid; do
        [ -f "$file" ] || continue
        echo "$(basename "$file" .pid) $(cat "$file")"
    done
}

run_tests() {
    local include=$WORKSPACE/include-list.txt
    local log=$WORKSPACE/logs/run.log
    local rc=0
    local skipped passed pids_before restarted
    printf '%s\n' "${TESTS[@]}" >"$include"
    pids_before=$(service_pids)
    say "running tempest (concurrency $CONCURRENCY); output in $log"
    cd "$WORKSPACE"
    "$VENV/bin/tempest" run --config-file "$TEMPEST_CONF" \
        --include-list "$include" --concurrency "$CONCURRENCY" \
        >"$log" 2>&1 || rc=$?
    delete_orphan_backups 2>>"$log" ||
        say "could not delete orphaned backups; see $log"
    restarted=$(comm -13 <(echo "$pids_before" | sort) \
        <(service_pids | sort) | cut -d' ' -f1 | tr '\n' ' ')
    if [ -n "$restarted" ]; then
        say "WARNING: restarted during the run: $restarted(the" \
            "failures may come from that)"
    fi
    # One line per test, then the totals.
    grep -E '^\{[0-9]+\} .* \.\.\. (ok|FAILED|SKIPPED)' "$log" || true
    sed -n '/^Totals$/,/^Sum of execute time/p' "$log"
    if [ $rc -ne 0 ]; then
        # The first 200 lines of the failures' details.
        awk '/^=+$/ { details = 1 } details && n++ < 200' "$log"
        die "tempest failed (exit $rc); full output in $log, tempest's" \
            "log in $WORKSPACE/logs/tempest.log"
    fi
    skipped=$(sed -n 's/^ - Skipped: \([0-9]*\)$/\1/p' "$log")
    passed=$(sed -n 's/^ - Passed: \([0-9]*\)$/\1/p' "$log")
    if [ "${skipped:-0}" -ne 0 ]; then
        die "$skipped of the selected tests were skipped; all must run"
    fi
    if [ "${passed:-0}" -eq 0 ]; then
        die "no test ran; see $log"
    fi
    say "passed: $passed tests; ${SECONDS}s in all"
}

check_stack
make_workspace
write_tempest_conf
if [ "${1:-}" != --config ]; then
    run_tests
fi
