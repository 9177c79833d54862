#!/usr/bin/env bash
# Stop, start or show one service of the running single-node deployment;
# the fault tests use it.
#
#   tools/stack/ctl.sh stop SERVICE
#   tools/stack/ctl.sh start SERVICE   and wait until it answers
#   tools/stack/ctl.sh status          each service and its pid
#   tools/stack/ctl.sh memory          resident memory of each service
#                                      (its whole process group), of
#                                      MariaDB and RabbitMQ, and in all
#
# SERVICE is one of: keystone glance placement neutron nova-api
# nova-conductor nova-scheduler nova-compute.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
source "$TOP/tools/stack/functions.sh"

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case ${1:-} in
    stop)
        [ -n "${2:-}" ] || usage
        stop_process "$2"
        ;;
    start)
        [ -n "${2:-}" ] || usage
        start_service "$2"
        if url=$(service_url "$2"); then
            wait_for_url "$url" "$2"
        fi
        ;;
    status)
        for name in $SERVICES; do
            if pid=$(pid_of "$name"); then
                echo "$name running $pid"
            else
                echo "$name stopped"
            fi
        done
        ;;
    memory)
        total=0
        for name in $SERVICES; do
            pid=$(pid_of "$name") || continue
            kib=$(ps -o rss= -g "$pid" | awk '{s += $1} END {print s + 0}')
            printf '%-15s %7d MiB\n' "$name" $((kib / 1024))
            total=$((total + kib))
        done
        printf '%-15s %7d MiB\n' "services" $((total / 1024))
        for proc in mariadbd beam.smp; do
            kib=$(ps -o rss= -C "$proc" | awk '{s += $1} END {print s + 0}')
            printf '%-15s %7d MiB\n' "$proc" $((kib / 1024))
            total=$((total + kib))
        done
        printf '%-15s %7d MiB\n' "in all" $((total / 1024))
        ;;
    *)
        usage
        ;;
esac
