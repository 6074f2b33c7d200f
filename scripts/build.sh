#!/usr/bin/env bash
# Configures and builds one variant: scripts/build.sh [release|asan]. Output in build/<variant>.
set -euo pipefail
cd "$(dirname "$0")/.."
variant="${1:-release}"
shift || true
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DSYMPHONY_SANITIZE=ON -DSYMPHONY_BUILD_BENCH=OFF) ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "build/$variant" -G Ninja "${flags[@]}" "${launcher[@]}" "$@" >/dev/null
cmake --build "build/$variant" -j "$(nproc)"
