#!/usr/bin/env bash
# Installs what is missing, builds a Release symphonyd and the symphony CLI (nothing else: no
# tests, no benchmarks) and starts the broker in the foreground on 127.0.0.1:7400 with the data
# directory ./data. Extra arguments go to symphonyd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh broker
bash scripts/build.sh broker
exec ./build/broker/bin/symphonyd --data-dir ./data "$@"
