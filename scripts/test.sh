#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole ctest suite twice: a Release build
# and an AddressSanitizer + UndefinedBehaviorSanitizer build. Exits non-zero on any failure.
# (The fuzz harnesses, scripts/fuzz.sh, are not in it yet: see docs/fuzzing.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
for variant in release asan; do
  echo "=== ${variant}: build"
  bash scripts/build.sh "$variant"
  echo "=== ${variant}: test"
  (cd "build/$variant" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
done
