#!/usr/bin/env bash
# Installs the Debian packages that building and running TrainingService need, when any is missing.
#
# Usage: scripts/prerequisites.sh
#   or source it and call ensure_apt_packages PACKAGE...
#
# The build runs build/torchsharp-compat/patch-torchsharp.sh on TorchSharp's native wrapper, which needs
# g++, patchelf and binutils (objdump). postgresql-15 provides the server that test.sh and run.sh start,
# and run.sh polls the API's health endpoint with curl. The telemetry test runs Debian's prometheus as a
# plain process. Prints nothing when every package is present.

# Prints the packages among the arguments that dpkg does not list as installed.
missing_apt_packages() {
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep '^install ok installed$' >/dev/null; then
            echo "$package"
        fi
    done
}

# Installs each named package that is missing. Runs apt-get update first, once, only when one is missing.
ensure_apt_packages() {
    local missing
    missing=$(missing_apt_packages "$@")
    [ -n "$missing" ] || return 0

    # shellcheck disable=SC2086 # one package name per line, so word splitting yields the names
    set -- $missing
    if [ "$(id -u)" -ne 0 ]; then
        echo "prerequisites: missing packages: $*; install them as root with: apt-get install -y $*" >&2
        return 1
    fi

    # Debian's postgresql-15 creates and starts a cluster on port 5432 unless createcluster.conf disables it.
    # The scripts start their own clusters, so a default one would only be a stray server.
    if [[ " $* " == *" postgresql-15 "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi

    # Debian's prometheus starts a system service on port 9090 when installed. The test runs its own
    # Prometheus, so a policy-rc.d that denies every start is put in place for the install unless one exists.
    local temporary_policy=
    if [[ " $* " == *" prometheus "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        temporary_policy=/usr/sbin/policy-rc.d
    fi

    echo "prerequisites: installing $*" >&2
    local log status=0
    log=$(mktemp)
    if [ -z "${PREREQUISITES_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 || status=$?
        PREREQUISITES_APT_UPDATED=1
    fi
    if [ "$status" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$log" 2>&1 || status=$?
    fi
    if [ -n "$temporary_policy" ]; then
        rm -f "$temporary_policy"
    fi
    # Where systemd runs, the unit would start at the next boot, so it is stopped and disabled.
    if [[ " $* " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl disable --now prometheus.service >>"$log" 2>&1 || true
    fi
    if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        echo "prerequisites: apt-get failed with exit code $status while installing $*" >&2
    fi
    rm -f "$log"
    return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ensure_apt_packages g++ patchelf binutils postgresql-15 curl prometheus
fi
