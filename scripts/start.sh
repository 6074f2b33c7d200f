#!/usr/bin/env bash
# Installs what is missing, builds a Release symphonyd and starts it in the foreground on
# 127.0.0.1:7400 with the data directory ./data. Extra arguments go to symphonyd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
exec ./build/release/bin/symphonyd --data-dir ./data "$@"
