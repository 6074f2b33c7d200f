#!/usr/bin/env bash
# Configures and builds one variant: scripts/build.sh [release|asan|fuzz]. Output in
# build/<variant>. fuzz: clang with libFuzzer, ASan and UBSan, and only the harnesses of
# tests/fuzz (scripts/fuzz.sh runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
variant="${1:-release}"
shift || true
target=()
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DSYMPHONY_SANITIZE=ON -DSYMPHONY_BUILD_BENCH=OFF) ;;
  fuzz)
    flags=(-DCMAKE_BUILD_TYPE=Fuzz -DSYMPHONY_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++)
    target=(--target symphony-fuzzers)
    ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "build/$variant" -G Ninja "${flags[@]}" "${launcher[@]}" "$@" >/dev/null
cmake --build "build/$variant" -j "$(nproc)" "${target[@]}"
