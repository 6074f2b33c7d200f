#!/usr/bin/env bash
# Configures and builds one variant: scripts/build.sh [release|asan|broker] [cmake options...].
# Output in build/<variant>.
#   release  everything, optimized (scripts/test.sh)
#   asan     clang with AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage
#            instrumentation at -O1 (as OSS-Fuzz builds), so the same build runs the test suite
#            and the harnesses of tests/fuzz (scripts/fuzz.sh)
#   broker   Release symphonyd and the CLIs (symphony, symphony-wal) only: no tests or
#            benchmarks to compile before the broker can start (scripts/start.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
variant="${1:-release}"
shift || true
targets=()
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  broker)
    flags=(-DCMAKE_BUILD_TYPE=Release -DSYMPHONY_BUILD_TESTS=OFF -DSYMPHONY_BUILD_BENCH=OFF)
    targets=(--target symphonyd symphony symphony-wal)
    ;;
  asan)
    # Debug keeps assert() on; -O1 and line tables only compile faster and run the tests and
    # the fuzzers faster than -O0 with full debug information.
    flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++
      "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" -DSYMPHONY_SANITIZE=ON
      -DSYMPHONY_BUILD_BENCH=OFF)
    ;;
  *) echo "usage: scripts/build.sh [release|asan|broker] [cmake options...]" >&2; exit 2 ;;
esac
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so a clone in another directory (CI's clean clone) finds
  # what this machine already compiled.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
cmake -S . -B "build/$variant" -G Ninja "${flags[@]}" "${launcher[@]}" "$@" >/dev/null
cmake --build "build/$variant" -j "$(nproc)" "${targets[@]}"
