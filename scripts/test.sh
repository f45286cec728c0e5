#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite; ends with one line "tests: N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" --test || exit 1
# The samples assert their own results (exit code 1 when they disagree with a dense reference or a hand computation).
samples_failed=0
for sample in "$root"/samples/*/; do
  if ! dotnet run -c Release --no-build --project "$sample" >/dev/null 2>&1; then
    echo "sample $(basename "$sample") failed: dotnet run -c Release --project samples/$(basename "$sample")" >&2
    samples_failed=$((samples_failed + 1))
  fi
done
log="$(mktemp)"
dotnet test "$root/Basin.slnx" -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E "^(Passed|Failed)!" "$log" | tail -n 1)
aborted=$(grep -c "Test Run Aborted" "$log")
rm -f "$log"
if [ "$aborted" -gt 0 ]; then
  echo "tests: the test host crashed (Test Run Aborted); counts below are partial" >&2
  status=1
fi
if [ -z "$summary" ]; then
  echo "tests: no test summary found (the test run did not complete)" >&2
  exit 1
fi
num() { printf '%s' "$summary" | sed -E "s/.*$1: +([0-9]+).*/\1/"; }
[ "$samples_failed" -eq 0 ] || status=1
echo "tests: $(num Passed) passed, $(num Failed) failed, $(num Skipped) skipped"
exit "$status"
