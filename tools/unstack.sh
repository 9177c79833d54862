#!/usr/bin/env bash
# Stop the single-node deployment that tools/stack.sh started.
#
# Only the processes whose pids tools/stack.sh recorded are stopped, in
# the reverse order of their start. MariaDB and RabbitMQ, which the
# machine may share with others, keep running; so do the databases, the
# configuration and the images, which the next tools/stack.sh reuses.
#
#   tools/unstack.sh          stop the services
#   tools/unstack.sh --purge  also drop the databases and the RabbitMQ
#                             virtual host and remove the state directory
#                             but for its venv
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tools/stack/functions.sh"

reversed=$(echo "$SERVICES" | tr ' ' '\n' | tac)
for name in $reversed; do
    stop_process "$name"
done

if [ "${1:-}" = --purge ]; then
    for name in keystone glance placement neutron nova_api nova_cell0 \
            nova_cell1; do
        mysql_cmd -e "DROP DATABASE IF EXISTS ${DB_PREFIX}_$name"
    done
    vhosts=$(rabbitmqctl -q list_vhosts 2>/dev/null || true)
    if echo "$vhosts" | grep -qx "$RABBIT_VHOST"; then
        rabbitmqctl -q delete_vhost "$RABBIT_VHOST"
    fi
    for dir in "$ETC" "$LOGS" "$PIDS" "$RUN" "$DATA" "$STAMPS" \
            "$STACK_DIR/tempest"; do
        rm -rf "$dir"
    done
    rm -f "$CLOUDS_YAML" "$STACK_DIR"/*.json "$STACK_DIR/password" \
        "$STACK_DIR/tempest-workspaces.yaml"
    say "purged the deployment; the venv stays in $VENV"
fi
