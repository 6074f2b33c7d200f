#!/usr/bin/env bash
# Resident memory per queued message: a fresh broker, COUNT 100-byte messages dispatched and left
# in the queue, then (VmRSS after - VmRSS before) / COUNT. Then per idle connection: CONNECTIONS
# connections opened (HELLO done) and held, (VmRSS held - VmRSS before) / CONNECTIONS. RUNS runs
# each, medians reported. Extra arguments go to the queued-message symphony-bench run (for
# example --queues 1000).
# usage: bench/memory.sh [COUNT] [RUNS] [CONNECTIONS (0: skip)] [symphony-bench args...]
source "$(dirname "$0")/lib.sh"
COUNT="${1:-1000000}"
RUNS="${2:-3}"
CONNECTIONS="${3:-10000}"
shift 3 || shift $#
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$BROKER_PID/status"; }

# the log's fsync policy does not change what the broker holds in memory; never is quickest
cmd=(--mode produce --count "$COUNT" --size 100 --batch 100 --pipeline 8 --quiet --json "$@")
echo "command: symphony-bench --server 127.0.0.1:PORT ${cmd[*]} (broker --fsync never)"
: >"$work/per_msg"
for i in $(seq 1 "$RUNS"); do
  rm -rf "$work/data"
  start_broker "$work/data" --fsync never
  before="$(rss_kib)"
  "$BIN/symphony-bench" --server "127.0.0.1:$PORT" "${cmd[@]}" >/dev/null
  sleep 1  # let the log writer settle its buffers
  after="$(rss_kib)"
  stop_broker
  per="$(awk -v a="$after" -v b="$before" -v n="$COUNT" 'BEGIN{printf "%.0f", (a-b)*1024/n}')"
  echo "run $i: VmRSS before ${before} KiB, after ${after} KiB: ${per} bytes per queued message"
  echo "$per" >>"$work/per_msg"
done
echo "median: $(median <"$work/per_msg") bytes per queued 100-byte message ($COUNT queued)"

((CONNECTIONS > 0)) || exit 0
# the broker holds one descriptor per connection; each client in symphony-bench holds four (its
# socket and its own io_context's epoll, eventfd and timerfd), so the connections are spread over
# processes of at most PER_PROCESS each
ulimit -n "$(ulimit -Hn)"
PER_PROCESS=$(($(ulimit -n) / 4 - 100))
echo "command: symphony-bench --server 127.0.0.1:PORT --mode idle --connections N --max-seconds 600" \
  "in processes of at most $PER_PROCESS connections, $CONNECTIONS in all"
: >"$work/per_conn"
for i in $(seq 1 "$RUNS"); do
  rm -rf "$work/data" "$work"/idle.*
  start_broker "$work/data"
  before="$(rss_kib)"
  pids=()
  left="$CONNECTIONS"
  k=0
  while ((left > 0)); do
    n=$((left < PER_PROCESS ? left : PER_PROCESS))
    "$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode idle --connections "$n" \
      --max-seconds 600 --quiet >"$work/idle.$k" &
    pids+=($!)
    left=$((left - n))
    k=$((k + 1))
  done
  # each prints its line once all its connections are up
  for _ in $(seq 1 1200); do
    up=0
    for ((j = 0; j < k; j++)); do [[ -s "$work/idle.$j" ]] && up=$((up + 1)); done
    ((up == k)) && break
    sleep 0.1
  done
  sleep 1
  held="$(rss_kib)"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  stop_broker
  if ((up != k)); then echo "run $i: only $up of $k bench processes got all their connections"; exit 1; fi
  per="$(awk -v a="$held" -v b="$before" -v n="$CONNECTIONS" 'BEGIN{printf "%.0f", (a-b)*1024/n}')"
  echo "run $i: $(cat "$work"/idle.* | tr '\n' ' ')"
  echo "run $i: VmRSS before ${before} KiB, held ${held} KiB: ${per} bytes per connection"
  echo "$per" >>"$work/per_conn"
done
echo "median: $(median <"$work/per_conn") bytes per idle connection ($CONNECTIONS held)"
