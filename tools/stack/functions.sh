#!/usr/bin/env bash
# Settings and helpers of the single-node deployment, sourced by
# tools/stack.sh, tools/unstack.sh, tools/demo.sh and tools/stack/ctl.sh.
#
# Everything the deployment makes lives under $STACK_DIR: the virtual
# environment, configuration, logs, pid files, data and clouds.yaml.
#
# Settings (environment variables, with their defaults):
#   CREATEBACKUP_STATE        $HOME/.cache/nova-createbackup-ext
#   CREATEBACKUP_PORT_OFFSET  0: added to every service's usual port, so a
#                             second deployment can run next to a first
#   CREATEBACKUP_DB_PREFIX    cbext: prefix of the database names and the
#                             RabbitMQ virtual host
#   CREATEBACKUP_PYTHON       python3: the interpreter of the venv
#   CREATEBACKUP_DB_USER      root (MariaDB, via 127.0.0.1:3306)
#   CREATEBACKUP_DB_PASSWORD  empty
#   CREATEBACKUP_RABBIT_USER  guest
#   CREATEBACKUP_RABBIT_PASSWORD guest

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
STATE=${CREATEBACKUP_STATE:-$HOME/.cache/nova-createbackup-ext}
# The tools each script runs (run-tempest.sh, ctl.sh) find the same
# deployment.
export CREATEBACKUP_STATE=$STATE
export CREATEBACKUP_PORT_OFFSET=${CREATEBACKUP_PORT_OFFSET:-0}
export CREATEBACKUP_DB_PREFIX=${CREATEBACKUP_DB_PREFIX:-cbext}
STACK_DIR=$STATE/stack
VENV=$STACK_DIR/venv
ETC=$STACK_DIR/etc
LOGS=$STACK_DIR/logs
PIDS=$STACK_DIR/pids
RUN=$STACK_DIR/run
DATA=$STACK_DIR/data
STAMPS=$STACK_DIR/stamps
CLOUDS_YAML=$STACK_DIR/clouds.yaml

HOST_IP=127.0.0.1
PORT_OFFSET=${CREATEBACKUP_PORT_OFFSET:-0}
KEYSTONE_PORT=$((5000 + PORT_OFFSET))
GLANCE_PORT=$((9292 + PORT_OFFSET))
PLACEMENT_PORT=$((8778 + PORT_OFFSET))
NEUTRON_PORT=$((9696 + PORT_OFFSET))
NOVA_PORT=$((8774 + PORT_OFFSET))

DB_PREFIX=${CREATEBACKUP_DB_PREFIX:-cbext}
DB_USER=${CREATEBACKUP_DB_USER:-root}
DB_PASSWORD=${CREATEBACKUP_DB_PASSWORD:-}
DB_HOST=127.0.0.1
DB_PORT=3306
RABBIT_USER=${CREATEBACKUP_RABBIT_USER:-guest}
RABBIT_PASSWORD=${CREATEBACKUP_RABBIT_PASSWORD:-guest}
RABBIT_VHOST=$DB_PREFIX

KEYSTONE_URL=http://$HOST_IP:$KEYSTONE_PORT/v3
REGION=RegionOne

# The services of the deployment, in the order they start.
SERVICES="keystone glance placement neutron nova-api nova-conductor"
SERVICES="$SERVICES nova-scheduler nova-compute"

say() {
    echo "[stack $(date -u +%H:%M:%S)] $*"
}

die() {
    echo "[stack] ERROR: $*" >&2
    exit 1
}

# The password of the admin and service users, made once per deployment.
stack_password() {
    local file=$STACK_DIR/password
    if [ ! -s "$file" ]; then
        mkdir -p "$STACK_DIR"
        (umask 077 && python3 -c \
            'import secrets; print(secrets.token_urlsafe(18))' >"$file")
    fi
    cat "$file"
}

db_url() {
    local name=$1
    local auth=$DB_USER
    if [ -n "$DB_PASSWORD" ]; then
        auth="$DB_USER:$DB_PASSWORD"
    fi
    printf 'mysql+pymysql://%s@%s:%s/%s_%s?charset=utf8\n' \
        "$auth" "$DB_HOST" "$DB_PORT" "$DB_PREFIX" "$name"
}

transport_url() {
    echo "rabbit://$RABBIT_USER:$RABBIT_PASSWORD@$HOST_IP:5672/$RABBIT_VHOST"
}

mysql_cmd() {
    local args=(-h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER")
    if [ -n "$DB_PASSWORD" ]; then
        args+=("-p$DB_PASSWORD")
    fi
    mysql "${args[@]}" "$@"
}

pid_of() {
    local name=$1
    local file=$PIDS/$name.pid
    local pid
    [ -s "$file" ] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

is_running() {
    pid_of "$1" >/dev/null
}

# Wait until a URL answers at all (any HTTP status).
wait_for_url() {
    local url=$1
    local name=$2
    local timeout=${3:-120}
    local deadline
    deadline=$((SECONDS + timeout))
    while [ $SECONDS -lt $deadline ]; do
        if curl -s -o /dev/null --max-time 5 "$url"; then
            return 0
        fi
        if ! is_running "$name"; then
            tail -n 30 "$LOGS/$name.log" >&2 || true
            die "$name exited while starting; its log: $LOGS/$name.log"
        fi
        sleep 1
    done
    tail -n 30 "$LOGS/$name.log" >&2 || true
    die "$name did not answer on $url within ${timeout}s"
}

# Start a command as a service of the deployment, in a session of its
# own, unless it already runs; its pid goes to $PIDS/<name>.pid.
# Arguments after the name: the working directory, then the command.
start_process() {
    local name=$1
    local dir=$2
    shift 2
    if is_running "$name"; then
        say "$name already runs (pid $(pid_of "$name"))"
        return 0
    fi
    mkdir -p "$PIDS" "$LOGS"
    (
        cd "$dir"
        exec setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null
    ) &
    echo $! >"$PIDS/$name.pid"
    say "started $name (pid $!), log $LOGS/$name.log"
}

# Stop a service by the pid it was started with, and its session.
stop_process() {
    local name=$1
    local pid
    local i
    if ! pid=$(pid_of "$name"); then
        rm -f "$PIDS/$name.pid"
        return 0
    fi
    # setsid made the service the leader of its own process group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop on TERM; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" || true
    fi
    # Reap workers a master left behind in the group.
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PIDS/$name.pid"
    say "stopped $name (pid $pid)"
}

# The URL each WSGI service answers on, for wait_for_url.
service_url() {
    case $1 in
        keystone) echo "$KEYSTONE_URL" ;;
        glance) echo "http://$HOST_IP:$GLANCE_PORT" ;;
        placement) echo "http://$HOST_IP:$PLACEMENT_PORT" ;;
        neutron) echo "http://$HOST_IP:$NEUTRON_PORT" ;;
        nova-api) echo "http://$HOST_IP:$NOVA_PORT" ;;
        *) return 1 ;;
    esac
}

# Start one service of the deployment as configured by tools/stack.sh.
# The WSGI services run under gunicorn, which takes no flags (Keystone
# and Nova parse sys.argv): each reads gunicorn.conf.py from its working
# directory, and finds its configuration through the environment.
start_service() {
    local name=$1
    local nova_confs=(--config-file "$ETC/nova/nova.conf"
        --config-file "$ETC/nova/nova-api-db.conf")
    local gunicorn=(start_process "$name" "$RUN/$name" env)
    case $name in
        keystone)
            "${gunicorn[@]}" "OS_KEYSTONE_CONFIG_DIR=$ETC/keystone" \
                "$VENV/bin/gunicorn" ;;
        glance)
            "${gunicorn[@]}" "OS_GLANCE_CONFIG_DIR=$ETC/glance" \
                "$VENV/bin/gunicorn" ;;
        placement)
            "${gunicorn[@]}" "OS_PLACEMENT_CONFIG_DIR=$ETC/placement" \
                "$VENV/bin/gunicorn" ;;
        neutron)
            "${gunicorn[@]}" "OS_NEUTRON_CONFIG_DIR=$ETC/neutron" \
                "OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini" \
                "$VENV/bin/gunicorn" ;;
        nova-api)
            # Under a WSGI server nova-api reads its paste pipeline from
            # the first of its config files.
            "${gunicorn[@]}" "OS_NOVA_CONFIG_DIR=$ETC/nova" \
                "OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-api-db.conf" \
                "$VENV/bin/gunicorn" ;;
        nova-conductor | nova-scheduler)
            start_process "$name" "$STACK_DIR" "$VENV/bin/$name" \
                "${nova_confs[@]}" ;;
        nova-compute)
            # nova-compute must not see [api_database], and loads the
            # fake virt driver through the package's launcher.
            start_process "$name" "$STACK_DIR" "$VENV/bin/python" -m \
                nova_createbackup_ext.testing.fake_compute \
                --config-file "$ETC/nova/nova.conf" \
                --config-file "$ETC/nova/nova-compute.conf" ;;
        *)
            die "no such service: $name (one of: $SERVICES)" ;;
    esac
}
