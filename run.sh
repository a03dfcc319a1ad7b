#!/usr/bin/env bash
# Builds TrainingService, starts PostgreSQL, the API and a worker on this machine, and trains
# examples/mnist-mlp.json through the trainctl CLI.
set -euo pipefail

usage() {
    cat <<EOF
Usage: ./run.sh [--exit-after-demo]

Builds the solution in Release, applies the database migrations, starts the API and one worker,
submits examples/mnist-mlp.json with trainctl and streams its progress until the job ends.
Then keeps the API and the worker serving until Ctrl-C.

Options:
  --exit-after-demo   stop everything after the job ends and exit with trainctl's exit code
                      (0 only when the job succeeded)
  -h, --help          print this help

Environment:
  TRAINING_CONNECTION_STRING  Npgsql connection string of an existing database; when unset, run.sh starts
                              a private PostgreSQL whose data stays in .data/postgres between runs (or in a
                              folder under /tmp when the postgres user cannot reach this checkout)
  TRAINING_GRPC_PORT          TCP port of the API's gRPC endpoint on 127.0.0.1 (default 5080)
  TRAINING_API_KEY            API key for trainctl; when unset, run.sh creates one
  TRAINING_HTTP_PORT          TCP port of the API's HTTP/1.1 endpoint on 127.0.0.1, serving /healthz and
                              the Hangfire dashboard (default 5081)

Logs go to .run/api.log, .run/worker.log and .run/migrate.log.
EOF
}

exit_after_demo=false
while [ $# -gt 0 ]; do
    case "$1" in
        --exit-after-demo) exit_after_demo=true ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo_root"

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

grpc_port=${TRAINING_GRPC_PORT:-5080}
http_port=${TRAINING_HTTP_PORT:-5081}
grpc_url=http://127.0.0.1:$grpc_port
http_url=http://127.0.0.1:$http_port
api_dll=src/Api/bin/Release/net10.0/TrainingService.Api.dll
worker_dll=src/Worker/bin/Release/net10.0/TrainingService.Worker.dll
cli_dll=src/Cli/bin/Release/net10.0/trainctl.dll
log_dir=$repo_root/.run
health_timeout_seconds=60
# On SIGTERM the .NET host gives its hosted services, the Hangfire server among them, up to 30 seconds to
# stop (HostOptions.ShutdownTimeout's default since .NET 6), so this waits a little longer before SIGKILL.
stop_timeout_seconds=40

api_pid=
worker_pid=
postgres_data_dir=

# Sends SIGTERM, which the .NET host handles as a graceful shutdown, and SIGKILL after the timeout.
stop_process() {
    local name=$1 pid=$2 second
    kill -0 "$pid" 2>/dev/null || return 0
    echo "run.sh: stopping the $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for second in $(seq 1 "$stop_timeout_seconds"); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 1
    done
    echo "run.sh: the $name did not stop within $stop_timeout_seconds seconds; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    # A second Ctrl-C would leave the processes running, so it is ignored. Each stop has a timeout instead.
    trap '' INT TERM
    trap - EXIT
    # The worker stops first, so it can hand its job back to Hangfire while PostgreSQL still runs.
    if [ -n "$worker_pid" ]; then stop_process worker "$worker_pid"; fi
    if [ -n "$api_pid" ]; then stop_process API "$api_pid"; fi
    if [ -n "$postgres_data_dir" ]; then
        postgres_stop "$postgres_data_dir" || echo "run.sh: failed to stop PostgreSQL in $postgres_data_dir" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Fails when PORT is not a TCP port number or something already listens on it at 127.0.0.1.
require_free_port() {
    local port=$1 variable=$2
    if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
        echo "run.sh: $variable='$port' is not a TCP port; use a number from 1 to 65535" >&2
        exit 2
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "run.sh: port $port on 127.0.0.1 is already in use; stop what listens there or set $variable to another port" >&2
        exit 1
    fi
}

# Polls /healthz until it returns a success status, and fails early when the API process has exited.
wait_for_api() {
    local second
    for second in $(seq 1 "$health_timeout_seconds"); do
        if curl -fsS --max-time 2 -o /dev/null "$http_url/healthz" 2>/dev/null; then
            echo "run.sh: the API is ready after $second s"
            return 0
        fi
        if ! kill -0 "$api_pid" 2>/dev/null; then
            echo "run.sh: the API exited before it was ready; the end of $log_dir/api.log:" >&2
            tail -n 40 "$log_dir/api.log" >&2
            exit 1
        fi
        sleep 1
    done
    echo "run.sh: timed out after $health_timeout_seconds s waiting for a success status from $http_url/healthz; the end of $log_dir/api.log:" >&2
    tail -n 40 "$log_dir/api.log" >&2
    exit 1
}

demo_job=examples/mnist-mlp.json
if [ ! -f "$demo_job" ]; then
    echo "run.sh: $repo_root/$demo_job is missing" >&2
    exit 1
fi
require_free_port "$grpc_port" TRAINING_GRPC_PORT
require_free_port "$http_port" TRAINING_HTTP_PORT

bash scripts/prerequisites.sh

if [ -n "${TRAINING_CONNECTION_STRING:-}" ]; then
    connection_string=$TRAINING_CONNECTION_STRING
    echo "run.sh: using the database in TRAINING_CONNECTION_STRING"
else
    postgres_data_dir=$(postgres_default_data_dir "$repo_root")
    postgres_start "$postgres_data_dir" >/dev/null
    connection_string=$(postgres_connection_string "$postgres_data_dir" training)
    echo "run.sh: PostgreSQL data in $postgres_data_dir; connection string $connection_string"
fi

echo "run.sh: building TrainingService.sln (Release)"
dotnet build TrainingService.sln -c Release

mkdir -p "$log_dir"
echo "run.sh: logs in $log_dir (api.log, worker.log, migrate.log)"

echo "run.sh: applying migrations"
if ! ConnectionStrings__Training=$connection_string dotnet "$api_dll" --migrate >"$log_dir/migrate.log" 2>&1; then
    echo "run.sh: applying migrations failed; the end of $log_dir/migrate.log:" >&2
    tail -n 40 "$log_dir/migrate.log" >&2
    exit 1
fi

# Every call needs an API key. The demo makes an admin key, which may also open the Hangfire dashboard, and
# keeps it in .run/api-key for later runs while the database still has it, so earlier jobs stay visible.
key_file=$log_dir/api-key
if [ -z "${TRAINING_API_KEY:-}" ]; then
    if [ -s "$key_file" ] && ConnectionStrings__Training=$connection_string dotnet "$api_dll" keys list 2>>"$log_dir/migrate.log" \
        | grep -F "$(cut -c1-12 "$key_file")" | grep -q ' active$'; then
        TRAINING_API_KEY=$(cat "$key_file")
        echo "run.sh: using the API key in $key_file; trainctl reads it from TRAINING_API_KEY"
    else
        TRAINING_API_KEY=$(ConnectionStrings__Training=$connection_string dotnet "$api_dll" keys create run-sh-demo --admin 2>>"$log_dir/migrate.log")
        (umask 077 && printf '%s\n' "$TRAINING_API_KEY" >"$key_file")
        echo "run.sh: created an API key, kept in $key_file; trainctl reads it from TRAINING_API_KEY"
    fi
fi
export TRAINING_API_KEY

ConnectionStrings__Training=$connection_string TRAINING_GRPC_URL=$grpc_url TRAINING_HTTP_URL=$http_url \
    dotnet "$api_dll" >"$log_dir/api.log" 2>&1 &
api_pid=$!
echo "run.sh: started the API (pid $api_pid)"

# glibc gives each thread that allocates its own malloc arena; two arenas keep the worker's resident memory
# from creeping up job after job (see docs/benchmarks.md).
MALLOC_ARENA_MAX=2 ConnectionStrings__Training=$connection_string dotnet "$worker_dll" >"$log_dir/worker.log" 2>&1 &
worker_pid=$!
echo "run.sh: started a worker (pid $worker_pid)"

wait_for_api

echo "run.sh: submitting $demo_job"
cli_status=0
dotnet "$cli_dll" --server "$grpc_url" submit "$demo_job" --watch || cli_status=$?
if [ "$cli_status" -eq 0 ]; then
    echo "run.sh: the job succeeded"
else
    echo "run.sh: trainctl exited with code $cli_status; see $log_dir/worker.log and $log_dir/api.log" >&2
fi

if [ "$exit_after_demo" = true ]; then
    exit "$cli_status"
fi

cat <<EOF

TrainingService is running:
  gRPC API           $grpc_url   (dotnet $cli_dll --server $grpc_url --help)
  health             $http_url/healthz
  Hangfire dashboard $http_url/hangfire?api_key=\$TRAINING_API_KEY
  API key            TRAINING_API_KEY=$TRAINING_API_KEY
  logs               $log_dir
press Ctrl-C to stop
EOF

# Returns when either process exits; Ctrl-C ends the wait through the INT trap.
wait_status=0
wait -n "$api_pid" "$worker_pid" || wait_status=$?
if ! kill -0 "$api_pid" 2>/dev/null; then
    echo "run.sh: the API exited with code $wait_status; the end of $log_dir/api.log:" >&2
    tail -n 20 "$log_dir/api.log" >&2
else
    echo "run.sh: the worker exited with code $wait_status; the end of $log_dir/worker.log:" >&2
    tail -n 20 "$log_dir/worker.log" >&2
fi
exit 1
