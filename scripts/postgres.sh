#!/usr/bin/env bash
# Runs a private PostgreSQL 15 cluster for tests and demos, listening on 127.0.0.1 only.
#
# Usage:
#   scripts/postgres.sh start DATA_DIR
#       Starts the cluster in DATA_DIR, running initdb first when the folder is empty or missing, and prints its port.
#   scripts/postgres.sh stop DATA_DIR
#       Stops the cluster. Does nothing when it is not running.
#   scripts/postgres.sh port DATA_DIR
#       Prints the port of the running cluster.
#   scripts/postgres.sh connection-string DATA_DIR DB
#       Creates database DB when it is missing and prints an Npgsql connection string for it.
#   scripts/postgres.sh default-data-dir REPO_ROOT
#       Prints the data folder that run.sh keeps between runs.
# Or source this file and call the postgres_* functions. postgres_start also exports POSTGRES_PORT.
#
# PostgreSQL refuses to run as root, so a root caller runs the server as the postgres user, and any other
# caller runs it as itself. That user must be able to search every folder above DATA_DIR, which rules out
# folders under /root. test.sh therefore uses a folder made by mktemp -d under /tmp and owned by postgres,
# and postgres_default_data_dir chooses run.sh's folder.
#
# Clients connect over TCP as user postgres with trust authentication. Unix sockets are turned off
# (unix_socket_directories is empty), so nothing depends on /var/run/postgresql or on the length of
# DATA_DIR's path, which a socket path would limit to about 100 bytes.

POSTGRES_BIN_DIR=/usr/lib/postgresql/15/bin
POSTGRES_START_TIMEOUT_SECONDS=60

# Runs a command as the user that owns the cluster: postgres when the caller is root, else the caller.
postgres_run_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_ensure_installed() {
    [ -x "$POSTGRES_BIN_DIR/initdb" ] && return 0

    # shellcheck source=scripts/prerequisites.sh
    source "$(dirname "${BASH_SOURCE[0]}")/prerequisites.sh" || return 1
    ensure_apt_packages postgresql-15 || return 1
    if [ ! -x "$POSTGRES_BIN_DIR/initdb" ]; then
        echo "postgres: $POSTGRES_BIN_DIR/initdb is still missing after installing postgresql-15" >&2
        return 1
    fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on. Another process may take it before the server
# binds it, so postgres_start retries with a new port when the start fails.
postgres_pick_free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
    fi

    local port attempt
    for attempt in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        # A refused connection means that nothing listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "postgres: found no free port on 127.0.0.1 after $attempt tries" >&2
    return 1
}

# Creates DATA_DIR owned by the cluster's user and runs initdb there, unless it already contains a cluster.
postgres_init() {
    local data_dir=$1 parent locale

    if [ -f "$data_dir/PG_VERSION" ]; then
        return 0
    fi
    if [ -d "$data_dir" ] && [ -n "$(ls -A "$data_dir")" ]; then
        echo "postgres: $data_dir is neither empty nor a PostgreSQL cluster; remove it or choose another folder" >&2
        return 1
    fi

    parent=$(dirname "$data_dir")
    mkdir -p "$parent" || return 1
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$parent"; then
        echo "postgres: user postgres cannot reach $parent; put the data folder under a folder it can search, such as one made by mktemp -d under /tmp and owned by postgres" >&2
        return 1
    fi
    mkdir -p "$data_dir" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$data_dir" || return 1
    fi
    chmod 700 "$data_dir" || return 1

    # C.UTF-8 sorts by code point like C but also classifies non-ASCII characters.
    # Debian 12's glibc has it built in. grep reads all input, so pipefail sees no SIGPIPE.
    locale=C
    if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then
        locale=C.UTF-8
    fi

    echo "postgres: initialising a cluster in $data_dir" >&2
    if ! postgres_run_as_owner "$POSTGRES_BIN_DIR/initdb" -D "$data_dir" --auth=trust -U postgres \
        --encoding=UTF8 --locale="$locale" --no-instructions >"$parent/initdb.log" 2>&1; then
        cat "$parent/initdb.log" >&2
        echo "postgres: initdb failed in $data_dir" >&2
        return 1
    fi
    rm -f "$parent/initdb.log"
}

postgres_is_running() {
    local data_dir=$1
    [ -f "$data_dir/PG_VERSION" ] || return 1
    postgres_run_as_owner "$POSTGRES_BIN_DIR/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

# Prints the port of the running cluster in DATA_DIR, read from postmaster.pid, whose fourth line is the port.
postgres_port() {
    local data_dir=$1 port
    if ! postgres_is_running "$data_dir"; then
        echo "postgres: no server is running in $data_dir" >&2
        return 1
    fi
    port=$(sed -n 4p "$data_dir/postmaster.pid")
    if ! [[ "$port" =~ ^[0-9]+$ ]]; then
        echo "postgres: found no port in $data_dir/postmaster.pid" >&2
        return 1
    fi
    echo "$port"
}

postgres_wait_until_accepting() {
    local port=$1 second
    for second in $(seq 1 "$POSTGRES_START_TIMEOUT_SECONDS"); do
        if "$POSTGRES_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
            return 0
        fi
        sleep 1
    done
    echo "postgres: the server on port $port did not accept connections within $second seconds" >&2
    return 1
}

# Starts the cluster in DATA_DIR on a free port, initialising it first when the folder is empty or missing.
# A server already running there is kept. Prints the port and exports it as POSTGRES_PORT.
postgres_start() {
    local data_dir=${1:?usage: postgres_start DATA_DIR} port attempt log_file
    postgres_ensure_installed || return 1
    data_dir=$(realpath -m "$data_dir")

    if postgres_is_running "$data_dir"; then
        port=$(postgres_port "$data_dir") || return 1
        echo "postgres: a server is already running in $data_dir on port $port" >&2
    else
        postgres_init "$data_dir" || return 1
        log_file=$data_dir/server.log

        for attempt in 1 2 3; do
            port=$(postgres_pick_free_port) || return 1
            if postgres_run_as_owner "$POSTGRES_BIN_DIR/pg_ctl" -D "$data_dir" -l "$log_file" \
                -w -t "$POSTGRES_START_TIMEOUT_SECONDS" \
                -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" \
                start >/dev/null; then
                break
            fi
            echo "postgres: start on port $port failed (attempt $attempt of 3); the end of $log_file:" >&2
            tail -n 20 "$log_file" >&2
            port=
        done
        [ -n "$port" ] || return 1
        echo "postgres: started in $data_dir on 127.0.0.1:$port; log in $log_file" >&2
    fi

    postgres_wait_until_accepting "$port" || return 1
    export POSTGRES_PORT=$port
    echo "$port"
}

# Stops the cluster in DATA_DIR with a fast shutdown, which rolls back open transactions and disconnects clients.
postgres_stop() {
    local data_dir=${1:?usage: postgres_stop DATA_DIR}
    postgres_is_running "$data_dir" || return 0
    postgres_run_as_owner "$POSTGRES_BIN_DIR/pg_ctl" -D "$data_dir" -m fast -w -t 60 stop >/dev/null || return 1
    echo "postgres: stopped the server in $data_dir" >&2
}

# Creates database DB in the running cluster when it is missing and prints an Npgsql connection string for it.
postgres_connection_string() {
    local data_dir=${1:?usage: postgres_connection_string DATA_DIR DB} database=${2:?usage: postgres_connection_string DATA_DIR DB}
    local port exists
    if ! [[ "$database" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
        echo "postgres: invalid database name '$database'; use letters, digits and underscores" >&2
        return 1
    fi
    port=$(postgres_port "$data_dir") || return 1

    exists=$("$POSTGRES_BIN_DIR/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAq \
        -c "SELECT 1 FROM pg_database WHERE datname = '$database'") || return 1
    if [ "$exists" != 1 ]; then
        "$POSTGRES_BIN_DIR/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database" || return 1
        echo "postgres: created database $database" >&2
    fi
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$database"
}

# Prints the data folder that run.sh keeps between runs: REPO_ROOT/.data/postgres when the postgres user
# can search REPO_ROOT (or the caller is not root), else /tmp/trainingservice-HASH/postgres with HASH taken
# from REPO_ROOT's path, so each checkout keeps its own cluster. A folder under /tmp may be emptied at reboot.
postgres_default_data_dir() {
    local repo_root=${1:?usage: postgres_default_data_dir REPO_ROOT} hash
    repo_root=$(realpath "$repo_root") || return 1

    if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$repo_root"; then
        mkdir -p "$repo_root/.data" || return 1
        echo "$repo_root/.data/postgres"
        return 0
    fi

    hash=$(printf '%s' "$repo_root" | sha256sum | cut -c1-12)
    mkdir -p "/tmp/trainingservice-$hash" || return 1
    chown postgres:postgres "/tmp/trainingservice-$hash" || return 1
    chmod 700 "/tmp/trainingservice-$hash" || return 1
    echo "/tmp/trainingservice-$hash/postgres"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    usage="usage: $0 start DATA_DIR | stop DATA_DIR | port DATA_DIR | connection-string DATA_DIR DB | default-data-dir REPO_ROOT"
    command=${1:-}
    [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
    case "$command" in
        start) postgres_start "$2" ;;
        stop) postgres_stop "$2" ;;
        port) postgres_port "$2" ;;
        connection-string) [ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }; postgres_connection_string "$2" "$3" ;;
        default-data-dir) postgres_default_data_dir "$2" ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
fi
