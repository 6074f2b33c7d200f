#!/usr/bin/env bash
# Installs the Debian 12 packages Symphony needs, compilers included, and only those that are
# missing, so a second run is a fast no-op. Run as root (or with sudo).
#   scripts/install-deps.sh          everything: build, test, fuzz, benchmark (scripts/test.sh)
#   scripts/install-deps.sh broker   only what building and running the broker needs
#                                    (scripts/start.sh)
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ make cmake ninja-build pkg-config ccache
  # libraries (see docs/architecture.md, "Dependencies")
  libboost-dev librocksdb-dev libsimdjson-dev libspdlog-dev libfmt-dev
  libcli11-dev libtomlplusplus-dev libhowardhinnant-date-dev tzdata
  libssl-dev libxxhash-dev nlohmann-json3-dev
)
if [[ "${1:-all}" != broker ]]; then
  PACKAGES+=(
    clang-format
    # the sanitizer build and fuzzing: clang with libFuzzer's runtime, llvm's symbolizer
    clang libclang-rt-14-dev llvm-14
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev chromium
    # the TypeScript package's TLS tests make their certificate with the openssl command
    openssl
  )
fi
if [[ -n "${SYMPHONY_EXTRA_PACKAGES:-}" ]]; then
  read -r -a extra <<<"${SYMPHONY_EXTRA_PACKAGES}"
  PACKAGES+=("${extra[@]}")
fi

# Node.js and npm for the TypeScript package (typescript/): Debian's, unless a node and an npm
# are already there (a machine with NodeSource's nodejs, which bundles npm, cannot take Debian's
# npm package next to it).
if [[ "${1:-all}" != broker ]] && ! { command -v node && command -v npm; } >/dev/null; then
  PACKAGES+=(nodejs npm)
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
