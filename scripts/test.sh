#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole ctest suite twice: a Release build
# and an AddressSanitizer + UndefinedBehaviorSanitizer build; then every libFuzzer harness for a
# short time (SYMPHONY_FUZZ_SECONDS each, default 10; docs/fuzzing.md). Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
for variant in release asan; do
  echo "=== ${variant}: build"
  bash scripts/build.sh "$variant"
  echo "=== ${variant}: test"
  (cd "build/$variant" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
done
echo "=== fuzz: short runs"
bash scripts/fuzz.sh --seconds "${SYMPHONY_FUZZ_SECONDS:-10}"
