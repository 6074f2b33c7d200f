#!/usr/bin/env bash
# A perf profile of symphonyd while it confirms produce traffic: perf record -g on the broker's
# pid for the whole symphony-bench run, then the top symbols. Extra arguments go to symphonyd.
# usage: bench/profile_produce.sh [COUNT] [symphonyd args...]   (default: 2000000, --fsync always)
source "$(dirname "$0")/lib.sh"
COUNT="${1:-2000000}"
shift || true
(($# > 0)) || set -- --fsync always
SYMPHONY_EXTRA_PACKAGES="linux-perf" bash "$ROOT/scripts/install-deps.sh"
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
start_broker "$work/data" "$@"
perf record -F 999 -g -p "$BROKER_PID" -o "$work/perf.data" 2>/dev/null &
perf_pid=$!
sleep 0.5
cmd=(--mode produce --count "$COUNT" --size 100 --batch 100 --pipeline 8 --quiet --json)
echo "command: symphony-bench --server 127.0.0.1:PORT ${cmd[*]} (symphonyd $*)"
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" "${cmd[@]}"
kill -INT "$perf_pid"
wait "$perf_pid" || true
stop_broker
perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
  grep -v '^#' | grep '%' | head -"${TOP:-25}" | cut -c1-100
