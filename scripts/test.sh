#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole ctest suite twice: a Release build
# (gcc) and an AddressSanitizer + UndefinedBehaviorSanitizer build (clang); runs the TypeScript
# package's tests (typescript/, against the Release symphonyd); then runs every libFuzzer
# harness of the sanitizer build for SYMPHONY_FUZZ_SECONDS (default 10) each
# (docs/fuzzing.md). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
for variant in release asan; do
  echo "=== ${variant}: build"
  bash scripts/build.sh "$variant"
  echo "=== ${variant}: test"
  (cd "build/$variant" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
done
echo "=== typescript: test"
(cd typescript && npm ci --no-audit --no-fund && SYMPHONYD="$PWD/../build/release/bin/symphonyd" npm test)
echo "=== fuzz"
bash scripts/fuzz.sh --no-build --seconds "${SYMPHONY_FUZZ_SECONDS:-10}"
