#!/usr/bin/env bash
# Runs the benchmarks: BenchmarkDotNet's micro-benchmarks, then the whole-system runner against a private
# PostgreSQL, and prints one table of results.
set -euo pipefail

usage() {
    cat <<EOF
Usage: ./bench.sh [--no-micro] [--only NAMES] [--update-docs]

Builds the solution in Release, starts PostgreSQL in a new folder under /tmp, runs the micro-benchmarks
(bench/TrainingService.MicroBenchmarks) and the whole-system runner (bench/TrainingService.SystemBenchmarks),
which starts the API and workers on free ports of 127.0.0.1, and prints one table. About 5 minutes on
2 cores once the solution is built. Stops every process it started on exit, also on Ctrl-C.

Results go to artifacts/bench: results.md, results.json, BenchmarkDotNet's reports in micro/ and the
hosts' logs in logs/. Exits 1 when a target was missed, and with another non-zero code when a step failed.

Options:
  --no-micro      skip the micro-benchmarks
  --only NAMES    run only these whole-system scenarios, comma-separated, of throughput, writes, sequential,
                  scale-out and load
  --update-docs   replace the results section of docs/benchmarks.md with this run's results.md
  -h, --help      print this help

The numbers are only as good as the machine is quiet: check the load with uptime first.
EOF
}

run_micro=true
update_docs=false
runner_arguments=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-micro) run_micro=false ;;
        --update-docs) update_docs=true ;;
        --only)
            [ $# -ge 2 ] || { echo "bench.sh: --only needs a list of scenarios" >&2; exit 2; }
            runner_arguments+=(--only "$2")
            shift
            ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo_root"

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results_dir=$repo_root/artifacts/bench
docs_file=$repo_root/docs/benchmarks.md
work_dir=
postgres_data_dir=
pid_file=

# Stops what the runner started and left running (their ids are in the pid file), then PostgreSQL, and
# removes the folder. A process is stopped only while its command line still names one of this checkout's
# hosts, because an id of a process that has exited may since have been given to another.
cleanup() {
    local status=$?
    local pid
    if [ -n "$pid_file" ] && [ -f "$pid_file" ]; then
        while read -r pid; do
            if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$repo_root/src/"; then
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done <"$pid_file"
    fi
    if [ -n "$postgres_data_dir" ]; then
        postgres_stop "$postgres_data_dir" || echo "bench.sh: failed to stop PostgreSQL in $postgres_data_dir" >&2
    fi
    if [ -n "$work_dir" ]; then
        rm -rf "$work_dir"
    fi
    dotnet build-server shutdown >/dev/null 2>&1 || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Replaces the lines between the two markers in docs/benchmarks.md with the results file.
update_docs_results() {
    python3 - "$docs_file" "$results_dir/results.md" <<'EOF'
import sys

docs_path, results_path = sys.argv[1], sys.argv[2]
start, end = "<!-- bench-results:start -->", "<!-- bench-results:end -->"
docs = open(docs_path, encoding="utf-8").read()
if start not in docs or end not in docs:
    sys.exit(f"bench.sh: {docs_path} has no {start} ... {end} section to replace")
results = open(results_path, encoding="utf-8").read().strip()
before, rest = docs.split(start, 1)
after = rest.split(end, 1)[1]
open(docs_path, "w", encoding="utf-8").write(f"{before}{start}\n{results}\n{end}{after}")
EOF
}

started=$SECONDS
echo "bench.sh: load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

bash scripts/prerequisites.sh

work_dir=$(mktemp -d /tmp/trainingservice-bench.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$work_dir"
fi
pid_file=$work_dir/pids
touch "$pid_file"
postgres_data_dir=$work_dir/postgres
postgres_start "$postgres_data_dir" >/dev/null
server_connection_string="Host=127.0.0.1;Port=$POSTGRES_PORT;Username=postgres;Database=postgres"

echo "bench.sh: building TrainingService.sln (Release)"
dotnet build TrainingService.sln -c Release -v quiet -nologo

rm -rf "$results_dir"
mkdir -p "$results_dir"

if [ "$run_micro" = true ]; then
    echo "bench.sh: running the micro-benchmarks; BenchmarkDotNet's log in $results_dir/micro.log"
    dotnet bench/TrainingService.MicroBenchmarks/bin/Release/net10.0/TrainingService.MicroBenchmarks.dll \
        --filter '*' --artifacts "$results_dir/micro" >"$results_dir/micro.log" 2>&1
    runner_arguments+=(--micro-results "$results_dir/micro/results")
fi

echo "bench.sh: running the whole-system benchmarks"
runner_status=0
dotnet bench/TrainingService.SystemBenchmarks/bin/Release/net10.0/TrainingService.SystemBenchmarks.dll \
    --postgres "$server_connection_string" --results "$results_dir" --pid-file "$pid_file" \
    "${runner_arguments[@]}" || runner_status=$?

if [ "$runner_status" -le 1 ] && [ "$update_docs" = true ]; then
    update_docs_results
    echo "bench.sh: wrote the results into $docs_file"
fi

echo "bench.sh: finished in $((SECONDS - started)) s; results in $results_dir"
exit "$runner_status"
