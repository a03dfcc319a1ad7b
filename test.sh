#!/usr/bin/env bash
# Builds the solution and runs every test against a private PostgreSQL, then the static deployment checks.
#
# Usage: ./test.sh
#
# Installs missing Debian packages (scripts/prerequisites.sh), starts PostgreSQL in a new folder under /tmp,
# passes its connection string to the tests as TRAINING_TEST_POSTGRES, and stops it and removes the folder
# on exit. TRX results go to artifacts/test-results. Exits non-zero when any step fails, after running the
# steps that do not depend on it.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo_root"

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results_dir=$repo_root/artifacts/test-results
work_dir=
postgres_data_dir=

cleanup() {
    local status=$?
    if [ -n "$postgres_data_dir" ]; then
        postgres_stop "$postgres_data_dir" || echo "test.sh: failed to stop PostgreSQL in $postgres_data_dir" >&2
    fi
    if [ -n "$work_dir" ]; then
        rm -rf "$work_dir"
    fi
    # The compiler and MSBuild server processes outlive the build, so they are shut down with the run.
    dotnet build-server shutdown >/dev/null 2>&1 || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints "N passed, N failed, N skipped" summed over the TRX files in $results_dir, or a note when the files
# cannot be trusted. The TRX logger names each file by the second it was written, so two test projects
# that finish in the same second write one file. dotnet test then reports more files than remain.
print_test_summary() {
    local test_status=$1 console_log=$2 reported_files trx_files
    reported_files=$(grep -c 'Results File: .*\.trx$' "$console_log" || true)
    trx_files=$(find "$results_dir" -maxdepth 1 -name '*.trx' | wc -l)
    if [ "$reported_files" -ne "$trx_files" ] || grep -q 'Overwriting results file' "$console_log"; then
        echo "test.sh: no test summary, because dotnet test reported $reported_files TRX files and $trx_files remain in $results_dir"
        return 0
    fi

    python3 - "$results_dir" "$test_status" <<'EOF'
import glob
import sys
import xml.etree.ElementTree as ElementTree

results_dir, test_status = sys.argv[1], int(sys.argv[2])
namespace = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
# The ResultSummary counters leave skipped tests out, so this counts the outcome of each test result.
failed_outcomes = {"Failed", "Error", "Timeout", "Aborted"}
passed = failed = skipped = 0
for path in sorted(glob.glob(f"{results_dir}/*.trx")):
    for result in ElementTree.parse(path).getroot().iter(f"{namespace}UnitTestResult"):
        outcome = result.get("outcome")
        if outcome == "Passed":
            passed += 1
        elif outcome in failed_outcomes:
            failed += 1
        elif outcome == "NotExecuted":
            skipped += 1

if test_status != 0 and failed == 0:
    print("test.sh: dotnet test failed, but its results list no failed test. A test host may have crashed, so see the output above.")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
EOF
}

failures=()

bash scripts/prerequisites.sh

work_dir=$(mktemp -d /tmp/trainingservice-test.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$work_dir"
fi
postgres_data_dir=$work_dir/postgres
postgres_start "$postgres_data_dir" >/dev/null
export TRAINING_TEST_POSTGRES="Host=127.0.0.1;Port=$POSTGRES_PORT;Username=postgres;Database=postgres"
echo "test.sh: TRAINING_TEST_POSTGRES=$TRAINING_TEST_POSTGRES"

echo "test.sh: building TrainingService.sln (Release)"
if dotnet build TrainingService.sln -c Release; then
    rm -rf "$results_dir"
    mkdir -p "$results_dir"
    console_log=$work_dir/dotnet-test.log
    echo "test.sh: running the tests; TRX results in $results_dir"

    # The blame collector stops the test host when one test runs for more than 15 minutes and names that
    # test, so a hung test fails the run instead of using up CI's time.
    test_status=0
    dotnet test TrainingService.sln -c Release --no-build \
        --logger "console;verbosity=normal" --logger trx --results-directory "$results_dir" \
        --blame-hang-timeout 15m --blame-hang-dump-type none 2>&1 | tee "$console_log" || test_status=$?
    if [ "$test_status" -ne 0 ]; then
        failures+=("dotnet test (exit code $test_status)")
    fi
else
    failures+=("dotnet build")
fi

echo "test.sh: running the static deployment checks"
if ! bash tests/static/check-deploy.sh; then
    failures+=("tests/static/check-deploy.sh")
fi

# Stopped here rather than by the EXIT trap, so that the test summary is the last line printed.
postgres_stop "$postgres_data_dir" || failures+=("stopping PostgreSQL")
postgres_data_dir=

if [ "${#failures[@]}" -gt 0 ]; then
    echo "test.sh: failed: ${failures[*]}"
fi
if [ -n "${console_log:-}" ] && [ -f "$console_log" ]; then
    print_test_summary "$test_status" "$console_log"
fi
[ "${#failures[@]}" -eq 0 ]
