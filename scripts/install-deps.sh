#!/usr/bin/env bash
# Installs every Debian 12 package Symphony needs to build, test and run, compilers included.
# Installs only what is missing, so a second run is a fast no-op. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ make cmake ninja-build pkg-config ccache clang-format
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer's runtime, and llvm's symbolizer for reports
  clang libclang-rt-14-dev llvm-14
  # libraries (see docs/architecture.md, "Dependencies")
  libboost-dev librocksdb-dev libsimdjson-dev libspdlog-dev libfmt-dev
  libcli11-dev libtomlplusplus-dev libhowardhinnant-date-dev tzdata
  libssl-dev libxxhash-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev chromium
)
if [[ -n "${SYMPHONY_EXTRA_PACKAGES:-}" ]]; then
  read -r -a extra <<<"${SYMPHONY_EXTRA_PACKAGES}"
  PACKAGES+=("${extra[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
