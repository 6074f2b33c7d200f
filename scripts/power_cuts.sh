#!/usr/bin/env bash
# Simulated power cuts under load, many of them (tests/crash/power_cut_test.cc; CI runs 20):
#   scripts/power_cuts.sh [CUTS] [SEED]     default 200 cuts under --fsync=always (a fifth of
#                                           that under interval:50, a tenth under never)
# Prints each policy's line: cuts, unsynced bytes dropped, confirmed work, and what was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
cuts="${1:-200}"
[[ -n "${2:-}" ]] && export SYMPHONY_POWER_CUT_SEED="$2"
bash scripts/build.sh release >/dev/null
log=$(mktemp "${TMPDIR:-/tmp}/power-cuts.XXXXXX.log")
status=0
SYMPHONY_POWER_CUTS="$cuts" build/release/bin/power_cut_test --gtest_filter='PowerCut.*' \
  >"$log" 2>&1 || status=$?
grep -E '^power cuts|OK \]|FAILED|Failure|exception|lost|undone|did not start|exited' "$log" |
  head -60
echo "full output: $log"
exit "$status"
