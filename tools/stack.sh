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
        rabbitmqctl wait --timeout 60 /var/lib/rabbitmq/mnesia/*.pid \
            >/dev/null 2>&1 || sleep 10
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
accesslog = '$LOGS/$name-access.log'
EOF
}

auth_section() {
    local file=$1 section=$2 user=$3
    iniset "$file" "$section" auth_type password
    iniset "$file" "$section" auth_url "$KEYSTONE_URL"
    iniset "$file" "$section" username "$user"
    iniset "$file" "$section" password "$PASSWORD"
    iniset "$file" "$section" user_domain_name Default
    iniset "$file" "$section" project_name service
    iniset "$file" "$section" project_domain_name Default
    iniset "$file" "$section" region_name "$REGION"
}

authtoken_section() {
    local file=$1 user=$2
    auth_section "$file" keystone_authtoken "$user"
    iniset "$file" keystone_authtoken www_authenticate_uri \
        "http://$HOST_IP:$KEYSTONE_PORT"
    iniset "$file" keystone_authtoken service_token_roles_required True
}

# Files are written afresh from nothing on every run, so a run always
# leaves the configuration this script describes.
fresh_conf() {
    local file=$1
    mkdir -p "$(dirname "$file")"
    echo "# Made by tools/stack.sh; a second run writes it again." >"$file"
}

setup_keystone() {
    local conf=$ETC/keystone/keystone.conf
    fresh_conf "$conf"
    iniset "$conf" database connection "$(db_url keystone)"
    iniset "$conf" token provider fernet
    iniset "$conf" fernet_tokens key_repository "$DATA/keystone/fernet-keys"
    iniset "$conf" fernet_receipts key_repository \
        "$DATA/keystone/fernet-keys"
    iniset "$conf" credential key_repository \
        "$DATA/keystone/credential-keys"
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
    start_service keystone
    wait_for_url "$KEYSTONE_URL" keystone
    once keystone-bootstrap "${manage[@]}" bootstrap \
        --bootstrap-password "$PASSWORD" \
        --bootstrap-admin-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-internal-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-public-url "http://$HOST_IP:$KEYSTONE_PORT/v3" \
        --bootstrap-region-id "$REGION"
    say "Keystone records, catalog and Glance's registered limits"
    local ports
    ports=$(printf '{"GLANCE_PORT": %s, "PLACEMENT_PORT": %s,
        "NEUTRON_PORT": %s, "NOVA_PORT": %s}' "$GLANCE_PORT" \
        "$PLACEMENT_PORT" "$NEUTRON_PORT" "$NOVA_PORT")
    CREATEBACKUP_PASSWORD=$PASSWORD "$VENV/bin/python" \
        "$TOP/tools/stack/bootstrap.py" identity \
        --auth-url "$KEYSTONE_URL" --host "$HOST_IP" --region "$REGION" \
        --ports "$ports" --clouds-yaml "$CLOUDS_YAML" \
        >"$STACK_DIR/identity.json"
}

json_field() {
    "$VENV/bin/python" -c \
        'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$1" "$2"
}

setup_glance() {
    local conf=$ETC/glance/glance-api.conf
    fresh_conf "$conf"
    iniset "$conf" DEFAULT enabled_backends fs:file
    iniset "$conf" DEFAULT worker_self_reference_url \
        "http://$HOST_IP:$GLANCE_PORT"
    iniset "$conf" database connection "$(db_url glance)"
    iniset "$conf" paste_deploy flavor keystone
    iniset "$conf" paste_deploy config_file "$ETC/glance/glance-api-paste.ini"
    iniset "$conf" glance_store default_backend fs
    iniset "$conf" fs filesystem_store_datadir "$DATA/glance/images"
    iniset "$conf" os_glance_staging_store filesystem_store_datadir \
        "$DATA/glance/staging"
    iniset "$conf" os_glance_tasks_store filesystem_store_datadir \
        "$DATA/glance/tasks"
    iniset "$conf" oslo_concurrency lock_path "$DATA/glance/locks"
    authtoken_section "$conf" glance
    createbackup_configure_glance_limits "$conf" "$KEYSTONE_URL" \
        "$(json_field "$STACK_DIR/identity.json" glance_endpoint_id)" \
        "$PASSWORD" glance
    cp "$VENV/etc/glance/glance-api-paste.ini" "$ETC/glance/"
    mkdir -p "$DATA/glance/images" "$DATA/glance/staging" \
        "$DATA/glance/tasks"
    once glance-db "$VENV/bin/glance-manage" --config-file "$conf" db_sync
    gunicorn_conf glance glance.wsgi.api:application "$GLANCE_PORT"
    start_service glance
}

setup_placement() {
    local conf=$ETC/placement/placement.conf
    fresh_conf "$conf"
    iniset "$conf" placement_database connection "$(db_url placement)"
    iniset "$conf" api auth_strategy keystone
    authtoken_section "$conf" placement
    once placement-db "$VENV/bin/placement-manage" --config-file "$conf" \
        db sync
    gunicorn_conf placement placement.wsgi.api:application "$PLACEMENT_PORT"
    start_service placement
}

# A real neutron-server: ML2 with no mechanism drivers and no agents.
# Servers booted with "networks: none" have no ports, and what Nova asks
# Neutron for them (their ports, security groups, extensions) the API
# process answers alone.
setup_neutron() {
    local conf=$ETC/neutron/neutron.conf
    local ml2=$ETC/neutron/ml2_conf.ini
    fresh_conf "$conf"
    iniset "$conf" DEFAULT core_plugin ml2
    iniset "$conf" DEFAULT service_plugins ""
    iniset "$conf" DEFAULT auth_strategy keystone
    iniset "$conf" DEFAULT transport_url "$(transport_url)"
    iniset "$conf" DEFAULT api_paste_config "$ETC/neutron/api-paste.ini"
    iniset "$conf" DEFAULT state_path "$DATA/neutron"
    iniset "$conf" DEFAULT notify_nova_on_port_status_changes False
    iniset "$conf" DEFAULT notify_nova_on_port_data_changes False
    iniset "$conf" database connection "$(db_url neutron)"
    iniset "$conf" oslo_concurrency lock_path "$DATA/neutron/locks"
    authtoken_section "$conf" neutron
    auth_section "$conf" nova nova
    fresh_conf "$ml2"
    iniset "$ml2" ml2 type_drivers flat
    iniset "$ml2" ml2 tenant_network_types ""
    iniset "$ml2" ml2 mechanism_drivers ""
    iniset "$ml2" ml2 extension_drivers port_security
    iniset "$ml2" ml2_type_flat flat_networks "*"
    cp "$VENV/etc/neutron/api-paste.ini" "$ETC/neutron/"
    mkdir -p "$DATA/neutron"
    once neutron-db "$VENV/bin/neutron-db-manage" --config-file "$conf" \
        --config-file "$ml2" upgrade heads
    gunicorn_conf neutron neutron.wsgi.api:application "$NEUTRON_PORT"
    start_service neutron
}

# nova.conf is what every Nova service reads; nova-api-db.conf adds the
# API database for all but nova-compute, which must not have it.
setup_nova_conf() {
    local conf=$ETC/nova/nova.conf
    local apidb=$ETC/nova/nova-api-db.conf
    local compute=$ETC/nova/nova-compute.conf
    fresh_conf "$conf"
    iniset "$conf" DEFAULT transport_url "$(transport_url)"
    iniset "$conf" DEFAULT host "$DB_PREFIX-node"
    iniset "$conf" DEFAULT my_ip "$HOST_IP"
    iniset "$conf" DEFAULT state_path "$DATA/nova"
    iniset "$conf" DEFAULT instances_path "$DATA/nova/instances"
    iniset "$conf" api auth_strategy keystone
    iniset "$conf" wsgi api_paste_config "$ETC/nova/api-paste.ini"
    iniset "$conf" database connection "$(db_url nova_cell1)"
    iniset "$conf" oslo_concurrency lock_path "$DATA/nova/locks"
    iniset "$conf" conductor workers 1
    iniset "$conf" scheduler workers 1
    iniset "$conf" vnc enabled False
    iniset "$conf" glance region_name "$REGION"
    authtoken_section "$conf" nova
    auth_section "$conf" placement nova
    auth_section "$conf" neutron nova
    auth_section "$conf" service_user nova
    iniset "$conf" service_user send_service_user_token True
    createbackup_configure_nova "$conf"
    fresh_conf "$apidb"
    iniset "$apidb" api_database connection "$(db_url nova_api)"
    fresh_conf "$compute"
    iniset "$compute" DEFAULT compute_driver \
        createbackup_fake.PayloadFakeDriver
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
    local name
    for name in nova-api nova-conductor nova-scheduler nova-compute; do
        start_service "$name"
    done
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

# tempest.conf for the deployment, with the plugin's own options added
# by the same configure step as DevStack's test-config phase.
setup_tempest() {
    local dir=$STACK_DIR/tempest
    local conf=$dir/etc/tempest.conf
    local res=$STACK_DIR/resources.json
    if [ ! -d "$dir/etc" ]; then
        "$VENV/bin/tempest" init "$dir" >/dev/null
    fi
    fresh_conf "$conf"
    iniset "$conf" DEFAULT log_dir "$dir/logs"
    iniset "$conf" oslo_concurrency lock_path "$dir/locks"
    iniset "$conf" auth admin_username admin
    iniset "$conf" auth admin_password "$PASSWORD"
    iniset "$conf" auth admin_project_name admin
    iniset "$conf" auth admin_domain_name Default
    iniset "$conf" auth use_dynamic_credentials True
    iniset "$conf" auth create_isolated_networks False
    iniset "$conf" identity uri_v3 "$KEYSTONE_URL"
    iniset "$conf" identity auth_version v3
    iniset "$conf" identity region "$REGION"
    iniset "$conf" identity-feature-enabled api_v2 False
    iniset "$conf" compute image_ref "$(json_field "$res" cbext-tiny)"
    iniset "$conf" compute image_ref_alt \
        "$(json_field "$res" cbext-tiny-alt)"
    iniset "$conf" compute flavor_ref "$(json_field "$res" cbext.tiny)"
    iniset "$conf" compute flavor_ref_alt \
        "$(json_field "$res" cbext.tiny.alt)"
    iniset "$conf" compute build_timeout 120
    iniset "$conf" validation run_validation False
    iniset "$conf" service_available glance True
    iniset "$conf" service_available nova True
    iniset "$conf" service_available neutron True
    iniset "$conf" service_available cinder False
    iniset "$conf" service_available swift False
    createbackup_configure_tempest "$conf"
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
    wait_for_url "http://$HOST_IP:$GLANCE_PORT" glance
    wait_for_url "http://$HOST_IP:$PLACEMENT_PORT" placement
    wait_for_url "http://$HOST_IP:$NEUTRON_PORT" neutron
    start_nova
    wait_for_url "http://$HOST_IP:$NOVA_PORT" nova-api
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

main "$@"
