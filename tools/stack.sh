#!/usr/bin/env bash
# Bring up a single-node OpenStack with the createBackup extension.
#
#   tools/stack.sh           install what is missing, configure, start
#                            every service that does not run yet
#   tools/unstack.sh         stop what this started, by pid
#   tools/demo.sh            the main job: backups with rotation
#
# Keystone (fernet), Glance (file store, unified limits), Placement,
# Neutron (ML2, no agents), nova-api under gunicorn with api-paste.ini
# pointing at the extension's router, nova-conductor, nova-scheduler and
# nova-compute with a fake virt driver that uploads snapshot data; MariaDB
# and RabbitMQ as the machine runs them (installed and started only when
# absent). Everything binds 127.0.0.1 and lives in one state directory
# (see tools/stack/functions.sh for the settings). Running it again
# reuses what exists.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tools/stack/functions.sh"
source "$TOP/devstack/lib/nova-createbackup-ext"

CONSTRAINTS=$TOP/tools/constraints/nova-34.txt
PACKAGES=(
    nova==34.0.0
    keystone==30.0.0
    glance==33.0.0
    openstack-placement==16.0.0
    neutron==29.0.0
    tempest==47.0.0
    python-openstackclient
    gunicorn
    PyMySQL
    pyroute2
    stestr
)
# NOTE(cbext): neutron imports pyroute2 on Linux (its migrations too) but
# its wheel does not declare it; it is pinned in the constraints.
START=$SECONDS

# MariaDB and RabbitMQ: installed from Debian packages and started only
# when they do not answer already.
ensure_system() {
    local missing=()
    command -v mysql >/dev/null || missing+=(mariadb-client)
    [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
    command -v curl >/dev/null || missing+=(curl)
    python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
    if ! mysql_cmd -e 'select 1' >/dev/null 2>&1; then
        say "starting MariaDB"
        mkdir -p /run/mysqld
        chown mysql: /run/mysqld 2>/dev/null || true
        start-stop-daemon --start --oknodo --background \
            --exec /usr/sbin/mariadbd
        local i
        for i in $(seq 1 60); do
            mysql_cmd -e 'select 1' >/dev/null 2>&1 && break
            sleep 1
        done
        mysql_cmd -e 'select 1' >/dev/null || die "MariaDB does not answer"
    fi
    if ! (echo >/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
        say "starting RabbitMQ"
        rabbitmq-server -detached
        local i
        for i in $(seq 1 90); do
            (echo >/dev/tcp/127.0.0.1/5672) 2>/dev/null && break
            sleep 1
        done
        (echo >/dev/tcp/127.0.0.1/5672) 2>/dev/null ||
            die "RabbitMQ does not answer on 127.0.0.1:5672"
    fi
    if ! rabbitmqctl -q list_vhosts | grep -qx "$RABBIT_VHOST"; then
        rabbitmqctl -q add_vhost "$RABBIT_VHOST"
    fi
    rabbitmqctl -q set_permissions -p "$RABBIT_VHOST" "$RABBIT_USER" \
        '.*' '.*' '.*' >/dev/null
}

# The venv, from PyPI with the constraints of nova 34; a second run
# only reinstalls when the package list or the constraints changed.
ensure_venv() {
    local want
    want=$( (cat "$CONSTRAINTS"; echo "${PACKAGES[*]}") | sha256sum)
    local have=
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMPS/venv" ]; then
        have=$(cat "$STAMPS/venv")
    fi
    if [ "$have" = "$want" ]; then
        say "venv up to date: $VENV"
    else
        say "installing the services into $VENV"
        ${CREATEBACKUP_PYTHON:-python3} -m venv "$VENV"
        "$VENV/bin/pip" install -q -U pip
        "$VENV/bin/pip" install -q -c "$CONSTRAINTS" "${PACKAGES[@]}"
        mkdir -p "$STAMPS"
        echo "$want" >"$STAMPS/venv"
    fi
    # The package itself, editable: a restart of nova-api picks up a
    # change in the checkout. Installed again when its metadata (entry
    # points, requirements) changed or the checkout moved.
    want=$( (echo "$TOP"; cat "$TOP/setup.cfg" "$TOP/requirements.txt") |
        sha256sum)
    have=$(cat "$STAMPS/package" 2>/dev/null || true)
    if [ "$have" != "$want" ]; then
        say "installing nova-createbackup-ext from $TOP"
        quiet "$VENV/bin/pip" install -c "$CONSTRAINTS" -e "$TOP"
        echo "$want" >"$STAMPS/package"
    fi
}

ensure_databases() {
    local name
    for name in keystone glance placement neutron nova_api nova_cell0 \
            nova_cell1; do
        mysql_cmd -e "CREATE DATABASE IF NOT EXISTS ${DB_PREFIX}_$name
            CHARACTER SET utf8mb4"
    done
}

# Run a step with its output in $LOGS/setup.log, shown when it fails.
quiet() {
    if ! "$@" >>"$LOGS/setup.log" 2>&1; then
        tail -n 40 "$LOGS/setup.log" >&2
        die "failed: $*; the whole output is in $LOGS/setup.log"
    fi
}

# Run a step once per deployment; its stamp records that it was done.
once() {
    local stamp=$STAMPS/$1
    shift
    [ -f "$stamp" ] && return 0
    quiet "$@"
    mkdir -p "$STAMPS"
    touch "$stamp"
}

# Start a service unless it runs with the configuration files given;
# one that runs with an older configuration is restarted.
start_configured() {
    local name=$1
    shift
    local want have
    want=$(cat "$@" | sha256sum)
    have=$(cat "$STAMPS/$name.conf" 2>/dev/null || true)
    if [ "$have" != "$want" ] && is_running "$name"; then
        say "the configuration of $name changed: restarting it"
        stop_process "$name"
    fi
    start_service "$name"
    echo "$want" >"$STAMPS/$name.conf"
}

# A gunicorn config for one WSGI service. Keystone and Nova parse
# sys.argv, so gunicorn takes no flags: it reads gunicorn.conf.py from
# the service's working directory.
gunicorn_conf() {
    local name=$1 app=$2 port=$3 threads=${4:-4}
    mkdir -p "$RUN/$name"
    cat >"$RUN/$name/gunicorn.conf.py" <<EOF
# Made by tools/stack.sh.
wsgi_app = '$app'
bind = '$HOST_IP:$port'
workers = 1
worker_class = 'gthread'
threads = $threads
timeout = 300
graceful_timeout = 10
# Clients (keystoneauth sessions, Nova's own) keep connections open for
# reuse; closing them after gunicorn's default 2 idle seconds makes a
# client that sends just then see the connection reset.
keepalive = 75
accesslog = '$LOGS/$name-access.log'
# gunicorn 26 gives every master one control socket in the home
# directory by default; the services here need none, and several
# masters must not share one.
control_socket_disable = True
EOF
}

# The [keystone_authtoken]-style section of a service user, as ini text.
auth_section() {
    local section=$1 user=$2
    cat <<EOF
[$section]
auth_type = password
auth_url = $KEYSTONE_URL
username = $user
password = $PASSWORD
user_domain_name = Default
project_name = service
project_domain_name = Default
region_name = $REGION
EOF
}

authtoken_section() {
    auth_section keystone_authtoken "$1"
    cat <<EOF
www_authenticate_uri = http://$HOST_IP:$KEYSTONE_PORT
service_token_roles_required = True
EOF
}

# Configuration files are written afresh on every run, so a run always
# leaves the configuration this script describes; the shared configure
# steps (devstack/lib/nova-createbackup-ext) then edit them as they edit
# DevStack's. A running service reads a change when it is restarted
# (tools/stack/ctl.sh stop|start SERVICE).
write_conf() {
    local file=$1
    mkdir -p "$(dirname "$file")"
    {
        echo "# Made by tools/stack.sh; a second run writes it again."
        cat
    } >"$file"
}

setup_keystone() {
    local conf=$ETC/keystone/keystone.conf
    write_conf "$conf" <<EOF
[database]
connection = $(db_url keystone)

[token]
provider = fernet

[fernet_tokens]
key_repository = $DATA/keystone/fernet-keys

[fernet_receipts]
key_repository = $DATA/keystone/fernet-keys

[credential]
key_repository = $DATA/keystone/credential-keys

[identity]
# NOTE(cbext): a test deployment's passwords need no strong hashing,
# and each token issued hashes one: the fewest rounds bcrypt allows.
password_hash_rounds = 4
EOF
    local manage=("$VENV/bin/keystone-manage" --config-file "$conf")
    mkdir -p "$DATA/keystone"
    once keystone-db "${manage[@]}" db_sync
    if [ ! -d "$DATA/keystone/fernet-keys" ]; then
        quiet "${manage[@]}" fernet_setup --keystone-user "$(id -un)" \
            --keystone-group "$(id -gn)"
        quiet "${manage[@]}" credential_setup --keystone-user "$(id -un)" \
            --keystone-group "$(id -gn)"
    fi
    gunicorn_conf keystone keystone.wsgi.api:application "$KEYSTONE_PORT"
    start_configured keystone "$conf" "$RUN/keystone/gunicorn.conf.py"
    wait_for_url "$KEYSTONE_URL" keystone
    once keystone-bootstrap "${manage[@]}" bootstrap \
        --bootstrap-password "$PASSWORD" \
        --bootstrap-admin-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-internal-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-public-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-region-id "$REGION"
    if [ -s "$STACK_DIR/identity.json" ] && [ -s "$CLOUDS_YAML" ]; then
        say "Keystone records made by an earlier run: reused"
        return 0
    fi
    say "Keystone records, catalog and Glance's registered limits"
    local ports
    ports=$(printf '{"GLANCE_PORT": %s, "PLACEMENT_PORT": %s,
        "NEUTRON_PORT": %s, "NOVA_PORT": %s}' "$GLANCE_PORT" \
        "$PLACEMENT_PORT" "$NEUTRON_PORT" "$NOVA_PORT")
    CREATEBACKUP_PASSWORD=$PASSWORD "$VENV/bin/python" \
        "$TOP/tools/stack/bootstrap.py" identity \
        --auth-url "$KEYSTONE_URL" --host "$HOST_IP" --region "$REGION" \
        --ports "$ports" --clouds-yaml "$CLOUDS_YAML" \
        >"$STACK_DIR/identity.json.new"
    mv "$STACK_DIR/identity.json.new" "$STACK_DIR/identity.json"
}

json_field() {
    "$VENV/bin/python" -c \
        'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$1" "$2"
}

setup_glance() {
    local conf=$ETC/glance/glance-api.conf
    write_conf "$conf" <<EOF
[DEFAULT]
enabled_backends = fs:file
worker_self_reference_url = http://$HOST_IP:$GLANCE_PORT

[database]
connection = $(db_url glance)

[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = $DATA/glance/images

[os_glance_staging_store]
filesystem_store_datadir = $DATA/glance/staging

[os_glance_tasks_store]
filesystem_store_datadir = $DATA/glance/tasks

[oslo_concurrency]
lock_path = $DATA/glance/locks

$(authtoken_section glance)
EOF
    createbackup_configure_glance_limits "$conf" "$KEYSTONE_URL" \
        "$(json_field "$STACK_DIR/identity.json" glance_endpoint_id)" \
        "$PASSWORD" glance
    cp "$VENV/etc/glance/glance-api-paste.ini" "$ETC/glance/"
    mkdir -p "$DATA/glance/images" "$DATA/glance/staging" \
        "$DATA/glance/tasks"
    once glance-db "$VENV/bin/glance-manage" --config-file "$conf" db_sync
    gunicorn_conf glance glance.wsgi.api:application "$GLANCE_PORT"
    start_configured glance "$conf" "$RUN/glance/gunicorn.conf.py"
}

setup_placement() {
    local conf=$ETC/placement/placement.conf
    write_conf "$conf" <<EOF
[placement_database]
connection = $(db_url placement)

[api]
auth_strategy = keystone

$(authtoken_section placement)
EOF
    once placement-db "$VENV/bin/placement-manage" --config-file "$conf" \
        db sync
    gunicorn_conf placement placement.wsgi.api:application "$PLACEMENT_PORT"
    start_configured placement "$conf" "$RUN/placement/gunicorn.conf.py"
}

# A real neutron-server: ML2 with no mechanism drivers and no agents.
# Servers booted with "networks: none" have no ports, and what Nova asks
# Neutron for them (their ports, security groups, extensions) the API
# process answers alone.
# NOTE(cbext): neutron 29's get_ports names Port.port_forwardings, an
# attribute SQLAlchemy adds only when it configures the mappers, on the
# first query. When the first request a fresh neutron-api answers is a
# port listing (Nova's, for a server's security groups), it fails with
# 500. The gunicorn hook below configures the mappers as the worker
# starts, before any request.
setup_neutron() {
    local conf=$ETC/neutron/neutron.conf
    local ml2=$ETC/neutron/ml2_conf.ini
    write_conf "$conf" <<EOF
[DEFAULT]
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = $(transport_url)
api_paste_config = $ETC/neutron/api-paste.ini
state_path = $DATA/neutron
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False

[database]
connection = $(db_url neutron)

[oslo_concurrency]
lock_path = $DATA/neutron/locks

$(authtoken_section neutron)

$(auth_section nova nova)
EOF
    write_conf "$ml2" <<EOF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *
EOF
    cp "$VENV/etc/neutron/api-paste.ini" "$ETC/neutron/"
    mkdir -p "$DATA/neutron"
    once neutron-db "$VENV/bin/neutron-db-manage" --config-file "$conf" \
        --config-file "$ml2" upgrade heads
    gunicorn_conf neutron neutron.wsgi.api:application "$NEUTRON_PORT"
    cat >>"$RUN/neutron/gunicorn.conf.py" <<EOF


def post_worker_init(worker):
    from sqlalchemy import orm
    orm.configure_mappers()
EOF
    start_configured neutron "$conf" "$ml2" "$RUN/neutron/gunicorn.conf.py"
}

# nova.conf is what every Nova service reads; nova-api-db.conf adds the
# API database for all but nova-compute, which must not have it.
setup_nova_conf() {
    local conf=$ETC/nova/nova.conf
    write_conf "$conf" <<EOF
[DEFAULT]
transport_url = $(transport_url)
host = $DB_PREFIX-node
my_ip = $HOST_IP
state_path = $DATA/nova
instances_path = $DATA/nova/instances
# Stopping a service (tools/unstack.sh, the fault tests) waits for this
# long at most.
graceful_shutdown_timeout = 5

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = $ETC/nova/api-paste.ini

[database]
connection = $(db_url nova_cell1)

[oslo_concurrency]
lock_path = $DATA/nova/locks

[conductor]
workers = 1

[scheduler]
workers = 1

[vnc]
enabled = False

[glance]
region_name = $REGION

$(authtoken_section nova)

$(auth_section placement nova)

$(auth_section neutron nova)

$(auth_section service_user nova)
send_service_user_token = True
EOF
    createbackup_configure_nova "$conf"
    write_conf "$ETC/nova/nova-api-db.conf" <<EOF
[api_database]
connection = $(db_url nova_api)
EOF
    write_conf "$ETC/nova/nova-compute.conf" <<EOF
[DEFAULT]
# Loaded through nova_createbackup_ext.testing.fake_compute.
compute_driver = createbackup_fake.PayloadFakeDriver
EOF
    # The extension's router serves the compute API.
    cp "$VENV/etc/nova/api-paste.ini" "$ETC/nova/api-paste.ini"
    createbackup_configure_paste "$ETC/nova/api-paste.ini"
    mkdir -p "$DATA/nova/instances" "$DATA/nova/locks"
}

nova_manage() {
    "$VENV/bin/nova-manage" --config-file "$ETC/nova/nova.conf" \
        --config-file "$ETC/nova/nova-api-db.conf" "$@"
}

setup_nova_db() {
    nova_manage api_db sync
    nova_manage cell_v2 map_cell0 \
        --database_connection "$(db_url nova_cell0)"
    if ! nova_manage cell_v2 list_cells | grep -q ' cell1 '; then
        # Made once: a second create_cell would make a second cell1.
        nova_manage cell_v2 create_cell --name cell1
    fi
    nova_manage db sync
}

start_nova() {
    gunicorn_conf nova-api nova.wsgi.osapi_compute:application "$NOVA_PORT"
    local nova=$ETC/nova
    start_configured nova-api "$nova/nova.conf" "$nova/nova-api-db.conf" \
        "$nova/api-paste.ini" "$RUN/nova-api/gunicorn.conf.py"
    start_configured nova-conductor "$nova/nova.conf" \
        "$nova/nova-api-db.conf"
    start_configured nova-scheduler "$nova/nova.conf" \
        "$nova/nova-api-db.conf"
    start_configured nova-compute "$nova/nova.conf" \
        "$nova/nova-compute.conf"
}

discover_host() {
    local i
    for i in $(seq 1 90); do
        if nova_manage cell_v2 list_hosts 2>>"$LOGS/setup.log" |
                grep -q " $DB_PREFIX-node "; then
            return 0
        fi
        nova_manage cell_v2 discover_hosts >>"$LOGS/setup.log" 2>&1 || true
        if ! is_running nova-compute; then
            tail -n 30 "$LOGS/nova-compute.log" >&2
            die "nova-compute exited; its log: $LOGS/nova-compute.log"
        fi
        sleep 2
    done
    die "the compute host was not discovered; see $LOGS/nova-compute.log"
}

# tempest.conf for the deployment, written by tools/run-tempest.sh,
# which adds the plugin's options with the same configure step as
# DevStack's test-config phase.
setup_tempest() {
    if [ -x "$TOP/tools/run-tempest.sh" ]; then
        quiet "$TOP/tools/run-tempest.sh" --config
    fi
}

# What tests against the deployment read to find it.
write_deployment_file() {
    cat >"$STACK_DIR/deployment.json" <<EOF
{
  "clouds_yaml": "$CLOUDS_YAML",
  "ctl": "$TOP/tools/stack/ctl.sh",
  "state": "$STATE",
  "compute_url": "http://$HOST_IP:$NOVA_PORT/v2.1",
  "image_url": "http://$HOST_IP:$GLANCE_PORT",
  "logs": "$LOGS",
  "tempest_dir": "$STACK_DIR/tempest",
  "env": {
    "CREATEBACKUP_STATE": "$STATE",
    "CREATEBACKUP_PORT_OFFSET": "$PORT_OFFSET",
    "CREATEBACKUP_DB_PREFIX": "$DB_PREFIX"
  },
  "resources": $(cat "$STACK_DIR/resources.json")
}
EOF
}

main() {
    mkdir -p "$STACK_DIR" "$ETC" "$LOGS" "$PIDS" "$RUN" "$DATA" "$STAMPS"
    PASSWORD=$(stack_password)
    ensure_system
    ensure_venv
    ensure_databases
    say "Keystone"
    setup_keystone
    say "Glance, Placement, Neutron"
    setup_glance
    setup_placement
    setup_neutron
    say "Nova"
    setup_nova_conf
    once nova-db setup_nova_db
    say "waiting for the services to answer"
    wait_for_url "http://$HOST_IP:$GLANCE_PORT" glance
    wait_for_url "http://$HOST_IP:$PLACEMENT_PORT" placement
    wait_for_url "http://$HOST_IP:$NEUTRON_PORT" neutron
    start_nova
    wait_for_url "http://$HOST_IP:$NOVA_PORT" nova-api
    say "mapping the compute host to cell1"
    discover_host
    say "the public images and flavors"
    CREATEBACKUP_PASSWORD=$PASSWORD "$VENV/bin/python" \
        "$TOP/tools/stack/bootstrap.py" resources \
        --auth-url "$KEYSTONE_URL" --region "$REGION" \
        >"$STACK_DIR/resources.json"
    setup_tempest
    write_deployment_file
    say "up in $((SECONDS - START))s"
    cat <<EOF

The deployment runs. Logs: $LOGS
Configuration: $ETC   tempest: $STACK_DIR/tempest
Clouds: admin, system-admin, member and reader (project demo):

    export OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML
    export OS_CLOUD=member

The main job:  $TOP/tools/demo.sh
Stop it:       $TOP/tools/unstack.sh
EOF
}

# On one line, so that bash has read all it runs before running it: an
# edit of this file while it runs changes nothing.
main "$@"; exit
