#!/usr/bin/env bash
# Confirmed-dispatch throughput under each --fsync policy, same command for each: a fresh broker
# per run, RUNS runs per policy (default 3), median reported.
# usage: bench/fsync_policies.sh [COUNT] [RUNS]
source "$(dirname "$0")/lib.sh"
COUNT="${1:-1000000}"
RUNS="${2:-3}"
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
cmd=(--mode produce --count "$COUNT" --size 100 --batch 100 --pipeline 8 --quiet --json)
echo "command: symphony-bench --server 127.0.0.1:PORT ${cmd[*]}"
for policy in always interval:10 never; do
  : >"$work/rates"
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$work/data"
    start_broker "$work/data" --fsync "$policy"
    out="$("$BIN/symphony-bench" --server "127.0.0.1:$PORT" "${cmd[@]}")"
    stop_broker
    echo "fsync=$policy run $i: $out"
    msgs_per_s <<<"$out" >>"$work/rates"
  done
  echo "fsync=$policy median: $(median <"$work/rates" | xargs printf '%.0f') confirmed dispatches/s"
done
