#!/usr/bin/env bash
# Dispatch -> delivery latency at a steady arrival rate (open loop: measured from each message's
# intended send time, so a stall shows up instead of slowing the sender). A fresh broker per run,
# RUNS runs, medians of p50/p99/p99.9 reported.
# usage: bench/steady_latency.sh [RATE] [SECONDS] [RUNS] [symphonyd args...]
source "$(dirname "$0")/lib.sh"
RATE="${1:-10000}"
SECONDS_PER_RUN="${2:-20}"
RUNS="${3:-3}"
shift 3 || shift $#
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
count=$((RATE * SECONDS_PER_RUN))
# batch 10: at 10k msg/s a producer sends a DISPATCH every millisecond
cmd=(--mode e2e --rate "$RATE" --count "$count" --size 100 --batch 10 --pipeline 64 --quiet --json)
echo "command: symphony-bench --server 127.0.0.1:PORT ${cmd[*]} (symphonyd $*)"
: >"$work/p50"
: >"$work/p99"
: >"$work/p999"
for i in $(seq 1 "$RUNS"); do
  rm -rf "$work/data"
  start_broker "$work/data" "$@"
  out="$("$BIN/symphony-bench" --server "127.0.0.1:$PORT" "${cmd[@]}")"
  stop_broker
  echo "run $i: $out"
  sed -E 's/.*"p50_us":([0-9]+).*/\1/' <<<"$out" >>"$work/p50"
  sed -E 's/.*"p99_us":([0-9]+).*/\1/' <<<"$out" >>"$work/p99"
  sed -E 's/.*"p999_us":([0-9]+).*/\1/' <<<"$out" >>"$work/p999"
done
echo "median at $RATE msg/s: p50 $(median <"$work/p50") us, p99 $(median <"$work/p99") us, p99.9 $(median <"$work/p999") us"
