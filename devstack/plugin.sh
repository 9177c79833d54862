#!/bin/bash
#
# DevStack plugin of nova-createbackup-ext: installs the package into
# Nova's environment and serves createBackup from it. The configuration
# steps themselves are in lib/nova-createbackup-ext, which the project's
# single-node deployment (tools/stack.sh) runs too.

CREATEBACKUP_PLUGIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$CREATEBACKUP_PLUGIN_DIR/lib/nova-createbackup-ext"

function install_createbackup {
    # Into the environment Nova runs from, as DevStack installs Nova.
    setup_develop "$CREATEBACKUP_DIR"
}

function configure_createbackup {
    createbackup_configure_paste "$NOVA_API_PASTE_INI"
    createbackup_configure_nova "$NOVA_CONF"
}

function configure_createbackup_tempest {
    if [[ "$CREATEBACKUP_TEMPEST" == "True" ]]; then
        createbackup_configure_tempest "$TEMPEST_CONFIG"
    fi
}

function unconfigure_createbackup {
    # Give the compute API back to Nova's own router; nova.conf's
    # [create_backup] is left, as Nova ignores a group it does not know.
    if [[ -n "${NOVA_API_PASTE_INI:-}" ]]; then
        createbackup_unconfigure_paste "$NOVA_API_PASTE_INI"
    fi
}

if is_service_enabled n-api; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing nova-createbackup-ext"
        install_createbackup
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring nova-api for nova-createbackup-ext"
        configure_createbackup
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            echo_summary "Configuring tempest for nova-createbackup-ext"
            configure_createbackup_tempest
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        unconfigure_createbackup
    fi

    if [[ "$1" == "clean" ]]; then
        unconfigure_createbackup
        pip_uninstall nova-createbackup-ext
    fi
fi
