#!/usr/bin/env bash
# Installs what Restora needs (as ./restora does), then runs every test in Release.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/common.sh"
restora_ensure_native_libs
restora_ensure_test_tools
restora_ensure_cli_built
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$RESTORA_ROOT"
log="$(mktemp)"
dotnet test Restora.slnx -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One closing line over all test projects, in the form CI reads.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
# Restora as a package: pack it into a folder feed and run the sample program against it (about a minute). Its
# result counts as one more test, so the closing line below stays the last line CI reads.
if "$RESTORA_ROOT/scripts/pack-and-run-sample.sh"; then passed=$((passed + 1)); else
  echo "tests: the packed sample failed (scripts/pack-and-run-sample.sh)"; failed=$((failed + 1)); status=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" = 0 ] && [ "$passed" -gt 0 ] || exit 1
