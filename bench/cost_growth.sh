#!/usr/bin/env bash
# Cost growth: how throughput and broker memory change with queue depth, message size, number of
# queues and number of connections. Four sweeps; every run of every point gets a fresh Release
# symphonyd (BROKER_ARGS, default --fsync always, the broker's default) and a fresh data
# directory under $TMPDIR; RUNS runs per point, and one JSON object per point (medians over the
# runs) is appended to OUT. Then bench/plot_cost_growth.py draws PNG from OUT and prints a
# Markdown table. Producers always send DISPATCH frames of 100 messages, 8 in flight
# (--batch 100 --pipeline 8); consumers prefetch 1000 and ack in batches of 100.
#
#   depth        D = 1k .. 10M queued 100-byte messages, one queue. Per run: fill the queue
#                with D messages (produce; the fill runs under the same BROKER_ARGS, --fsync
#                always: in a quick test --fsync never filled only ~15% faster, and one broker
#                for the fill and the measurement avoids a restart and its recovery), wait 1 s,
#                then bytes_per_msg = (VmRSS with D queued - VmRSS of the empty broker) / D.
#                Then msgs_per_s, e2e throughput at that standing depth: an e2e run of
#                DEPTH_E2E_COUNT messages on the same queue with --max-live L = min(D, 10000).
#                The producer is the faster side, and --max-live keeps it at most L (plus its
#                800 in flight) ahead of the consumer's acks, so the depth stays between about D
#                and D + L, and the run ends with D queued again. Last, drain_msgs_per_s: a
#                consume run of min(D, DRAIN_MAX) of the queued messages (less the few the e2e
#                consumer took beyond its count, acking in batches of 100). p99_us is null: the
#                consumer gets the fill's messages first, and their latency is only their age.
#                rss_bytes is VmRSS with D queued. The fill and drain runs at D <= 10k last a
#                few ms, so their rates are rough; bytes_per_msg at 1k is within VmRSS noise
#                too. A point is skipped
#                (with a message) if MemAvailable is below D x (the last measured bytes per
#                message x 1.5, or 600) + 1 GiB; DEPTH_MAX (default 10M) drops larger points:
#                10M needs about 4 GB.
#   size         16 B .. 64 KiB payloads, e2e, 1 producer and 1 consumer; SIZE_BYTES / size
#                messages a run, kept within [SIZE_MIN_COUNT, SIZE_MAX_COUNT] (by default about
#                400 MB of payload, a few seconds). mb_per_s = msgs_per_s x size / 1e6.
#   queues       1 .. 10,000 queues (symphony-bench --queues N: messages round robin over them),
#                e2e, QUEUES_COUNT messages. One SUBSCRIBE may name at most 1024 queues
#                (kMaxSubscribeQueues in broker/server/consume_ops.cc), and every symphony-bench
#                consumer subscribes to all of its --queues, so above QUEUES_PER_PROCESS (1000)
#                queues the point runs ceil(N / 1000) symphony-bench processes at once, each with
#                1 producer, 1 consumer and its own N/procs queues (10,000 queues: 10 producers
#                and 10 consumers; the record's "procs" says so). Processes' msgs are added up
#                and divided by the slowest one's seconds; p99_us is the largest process p99.
#   connections  1 .. 1000 connections in all. 1: produce with 1 producer (e2e needs two
#                connections); N >= 2: e2e with N/2 producers and N/2 consumers on one queue,
#                CONN_COUNT messages; each producer keeps its own 800 messages in flight, so
#                the load offered grows with the producers. No --max-live by default
#                (CONN_MAX_LIVE=0): symphony-bench's producers wait for it by polling every
#                200 us, and 500 producer threads doing that (2.5M wakeups/s) starved the broker
#                of this 2-core machine: consumers got no WELCOME within 60 s, producers no
#                DISPATCH_RESULT, and a run of 1M messages did 207k in 300 s.
#                Each symphony-bench connection holds 4 descriptors (socket, epoll, eventfd,
#                timerfd) and one thread, so the descriptor limit is raised to the hard limit,
#                and the connections are spread over processes (each on its own queue) only if
#                one process would exceed it.
#
# Every record: sweep, x, runs, mode, count, msgs, msgs_per_s, p99_us, rss_bytes (broker VmRSS at
# the end of the run, after symphony-bench exited; depth: with D queued), rss_peak_bytes (broker
# VmHWM: its peak for the run), errors (summed over runs), procs, command; plus per sweep:
# depth: fill_msgs_per_s, drain_msgs_per_s, bytes_per_msg; size: mb_per_s; connections:
# producers, consumers. A run stops after MAX_SECONDS (default 120) even if its count is not
# reached; then msgs < count in the record.
#
# usage: bench/cost_growth.sh [OUT.jsonl] [PNG]
#   OUT default bench/results/cost_growth.jsonl, PNG default docs/cost_growth.png
# env:   RUNS (3), SWEEPS ("depth size queues connections"), QUICK (1: small counts and depths,
#        to check the script in a minute or two), BROKER_ARGS ("--fsync always"), MAX_SECONDS,
#        DEPTHS, DEPTH_MAX, DEPTH_E2E_COUNT, DRAIN_MAX, SIZES, SIZE_BYTES, SIZE_MIN_COUNT,
#        SIZE_MAX_COUNT, QUEUES, QUEUES_COUNT, QUEUES_PER_PROCESS, CONNECTIONS, CONN_COUNT,
#        CONN_MAX_LIVE, PLOT (0: no plot), BIN (the symphonyd/symphony-bench dir)
# The whole default run: bash bench/cost_growth.sh OUT.jsonl [PNG], about 10-15 minutes on the
# 2-core VM of docs/benchmarks.md (OUT is appended to: start from a new file).
source "$(dirname "$0")/lib.sh"
OUT="${1:-$ROOT/bench/results/cost_growth.jsonl}"
PNG="${2:-$ROOT/docs/cost_growth.png}"
RUNS="${RUNS:-3}"
QUICK="${QUICK:-0}"
SWEEPS="${SWEEPS:-depth size queues connections}"
read -r -a BROKER_ARGS <<<"${BROKER_ARGS:---fsync always}"
MAX_SECONDS="${MAX_SECONDS:-120}"
PLOT="${PLOT:-1}"
if [[ $QUICK == 1 ]]; then
  DEPTHS="${DEPTHS:-1000 10000 100000}"
  DEPTH_E2E_COUNT="${DEPTH_E2E_COUNT:-100000}"
  DRAIN_MAX="${DRAIN_MAX:-100000}"
  SIZE_BYTES="${SIZE_BYTES:-20000000}"
  SIZE_MIN_COUNT="${SIZE_MIN_COUNT:-1000}"
  SIZE_MAX_COUNT="${SIZE_MAX_COUNT:-100000}"
  QUEUES_COUNT="${QUEUES_COUNT:-100000}"
  CONN_COUNT="${CONN_COUNT:-100000}"
fi
DEPTHS="${DEPTHS:-1000 10000 100000 1000000 10000000}"
DEPTH_MAX="${DEPTH_MAX:-10000000}"
DEPTH_E2E_COUNT="${DEPTH_E2E_COUNT:-1000000}"
DRAIN_MAX="${DRAIN_MAX:-1000000}"
SIZES="${SIZES:-16 256 4096 65536}"
SIZE_BYTES="${SIZE_BYTES:-400000000}"
SIZE_MIN_COUNT="${SIZE_MIN_COUNT:-5000}"
SIZE_MAX_COUNT="${SIZE_MAX_COUNT:-1000000}"
QUEUES="${QUEUES:-1 10 100 1000 10000}"
QUEUES_COUNT="${QUEUES_COUNT:-1000000}"
QUEUES_PER_PROCESS="${QUEUES_PER_PROCESS:-1000}"
CONNECTIONS="${CONNECTIONS:-1 2 10 100 1000}"
CONN_COUNT="${CONN_COUNT:-1000000}"
CONN_MAX_LIVE="${CONN_MAX_LIVE:-0}"
COMMON=(--batch 100 --pipeline 8 --quiet --json --max-seconds "$MAX_SECONDS")
BROKER_PID=""

ensure_built
if [[ $PLOT != 0 ]]; then
  # before the sweeps, so a failed install does not come after an hour of measuring
  SYMPHONY_EXTRA_PACKAGES="python3-matplotlib" bash "$ROOT/scripts/install-deps.sh"
fi
ulimit -n "$(ulimit -Hn)"
mkdir -p "$(dirname "$OUT")"
touch "$OUT"
machine_info
echo "symphonyd ${BROKER_ARGS[*]}; $RUNS runs a point; records appended to $OUT"
work="$(mktemp -d)"
trap 'if [[ -n $BROKER_PID ]]; then stop_broker; fi; rm -rf "$work"' EXIT
: >"$work/commands"
: >"$work/table"
started=$SECONDS

rss_bytes() { awk '/^VmRSS:/{printf "%.0f\n", $2 * 1024}' "/proc/$BROKER_PID/status"; }
hwm_bytes() { awk '/^VmHWM:/{printf "%.0f\n", $2 * 1024}' "/proc/$BROKER_PID/status"; }
field() { sed -nE "s/.*\"$1\":(-?[0-9.eE+]+).*/\\1/p" <<<"$2"; }

fresh_broker() {
  rm -rf "$work/data" "$work/data.log"
  start_broker "$work/data" "${BROKER_ARGS[@]}"
}
end_broker() {
  stop_broker
  BROKER_PID=""  # so the exit trap cannot signal a reused pid
}

# Metrics of the runs of one point: put NAME VALUE, med NAME (median), sum NAME.
reset_metrics() { rm -f "$work"/m.*; }
put() { echo "$2" >>"$work/m.$1"; }
# (lib.sh's median, but sorting exponents too and printing an even count's mean in full)
med() {
  if [[ -s "$work/m.$1" ]]; then
    sort -g "$work/m.$1" | awk '{a[NR] = $1} END {
      if (NR % 2 == 1) print a[(NR + 1) / 2]
      else printf "%.10g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
  else
    echo null
  fi
}
sum() {
  if [[ -s "$work/m.$1" ]]; then awk '{s += $1} END {print s}' "$work/m.$1"; else echo 0; fi
}

# bench ARGS...: one symphony-bench run against the broker; its JSON line on stdout. A run with
# errors still prints its JSON (errors > 0) and exits 1: kept, and counted in "errors".
bench() {
  local out
  out="$("$BIN/symphony-bench" --server "127.0.0.1:$PORT" "$@")" ||
    echo "  symphony-bench exited non-zero ($*)" >&2
  [[ -n $out ]] || out='{"msgs":0,"msgs_per_s":0,"p99_us":0,"seconds":0,"errors":1}'
  echo "$out"
}

# bench_procs P ARGS...: P symphony-bench processes at once, each with ARGS and then the words of
# PROC_ARGS[k]; sets AGG_MSGS (sum), AGG_RATE (sum of msgs / slowest seconds), AGG_P99 (largest)
# and AGG_ERRORS (sum).
bench_procs() {
  local p="$1" k pids=() extra
  shift
  for ((k = 0; k < p; k++)); do
    read -r -a extra <<<"${PROC_ARGS[$k]}"
    bench "$@" "${extra[@]}" >"$work/proc.$k" &
    pids+=($!)
  done
  wait "${pids[@]}"
  AGG_MSGS=0 AGG_P99=0 AGG_ERRORS=0
  local slowest=0 line m s q e
  for ((k = 0; k < p; k++)); do
    line="$(cat "$work/proc.$k")"
    m="$(field msgs "$line")"
    s="$(field seconds "$line")"
    q="$(field p99_us "$line")"
    e="$(field errors "$line")"
    AGG_MSGS=$((AGG_MSGS + ${m:-0}))
    AGG_ERRORS=$((AGG_ERRORS + ${e:-1}))
    slowest="$(awk -v a="$slowest" -v b="${s:-0}" 'BEGIN{print (b > a) ? b : a}')"
    AGG_P99="$(awk -v a="$AGG_P99" -v b="${q:-0}" 'BEGIN{print (b > a) ? b : a}')"
  done
  AGG_RATE="$(awk -v m="$AGG_MSGS" -v s="$slowest" 'BEGIN{printf "%.1f\n", (s > 0) ? m / s : 0}')"
}

# record SWEEP X MODE COUNT PROCS COMMAND [KEY=METRIC...]: appends the point's record to OUT (and
# a row to the table): msgs_per_s, p99_us, rss_bytes, rss_peak_bytes, msgs from the medians of
# the metrics of those names, errors summed, then each KEY with the median of METRIC.
record() {
  local sweep="$1" x="$2" mode="$3" count="$4" procs="$5" command="$6" kv key
  shift 6
  local json
  json="{\"sweep\":\"$sweep\",\"x\":$x,\"runs\":$RUNS,\"mode\":\"$mode\",\"count\":$count"
  json+=",\"msgs\":$(med msgs),\"msgs_per_s\":$(med rate),\"p99_us\":$(med p99)"
  json+=",\"rss_bytes\":$(med rss),\"rss_peak_bytes\":$(med hwm),\"errors\":$(sum errors)"
  json+=",\"procs\":$procs"
  for kv in "$@"; do
    key="${kv%%=*}"
    json+=",\"$key\":$(med "${kv#*=}")"
  done
  json+=",\"command\":\"${command//\"/\\\"}\"}"
  echo "$json" >>"$OUT"
  echo "$sweep $x: $command" >>"$work/commands"
  local note=""
  case "$sweep" in
    depth) note="fill $(med fill | awk '{printf "%.0f", $1}') msg/s, drain $(med drain |
      awk '{printf "%.0f", $1}') msg/s, $(med bpm | awk '{printf "%.0f", $1}') B/queued msg" ;;
    size) note="$(med mbps | awk '{printf "%.1f", $1}') MB/s" ;;
  esac
  printf '%-12s %9s %-8s %9s %12.0f %10s %9.1f %9.1f %6s  %s\n' "$sweep" "$x" "$mode" \
    "$(med msgs)" "$(med rate)" "$(med p99)" "$(awk -v b="$(med rss)" 'BEGIN{print b / 1048576}')" \
    "$(awk -v b="$(med hwm)" 'BEGIN{print b / 1048576}')" "$(sum errors)" "$note" >>"$work/table"
  echo "  $json"
}

mem_available() { awk '/^MemAvailable:/{printf "%.0f\n", $2 * 1024}' /proc/meminfo; }

sweep_depth() {
  local est_bpm=600 d i before after line max_live drain left
  for d in $DEPTHS; do
    if ((d > DEPTH_MAX)); then
      echo "depth $d: skipped (DEPTH_MAX=$DEPTH_MAX)"
      continue
    fi
    local need avail
    need="$(awk -v d="$d" -v b="$est_bpm" 'BEGIN{printf "%.0f", d * b + 1073741824}')"
    avail="$(mem_available)"
    if ((avail < need)); then
      echo "depth $d: skipped, needs about $((need >> 20)) MiB, MemAvailable $((avail >> 20)) MiB"
      continue
    fi
    max_live=$((d < 10000 ? d : 10000))
    drain=$((d < DRAIN_MAX ? d : DRAIN_MAX))
    local fill_cmd=(--mode produce --count "$d" --size 100 "${COMMON[@]}")
    local e2e_cmd=(--mode e2e --count "$DEPTH_E2E_COUNT" --size 100 --max-live "$max_live"
      "${COMMON[@]}")
    local drain_cmd=(--mode consume --count "$drain" --size 100 "${COMMON[@]}")  # count: see below
    echo "depth $d:"
    reset_metrics
    for i in $(seq 1 "$RUNS"); do
      fresh_broker
      before="$(rss_bytes)"
      line="$(bench "${fill_cmd[@]}")"
      echo "  run $i fill:  $line"
      put fill "$(field msgs_per_s "$line")"
      put errors "$(field errors "$line")"
      sleep 1  # let the log writer settle its buffers
      after="$(rss_bytes)"
      put rss "$after"
      put bpm "$(awk -v a="$after" -v b="$before" -v n="$d" 'BEGIN{printf "%.1f\n", (a - b) / n}')"
      line="$(bench "${e2e_cmd[@]}")"
      echo "  run $i e2e:   $line"
      put rate "$(field msgs_per_s "$line")"
      put msgs "$(field msgs "$line")"
      put errors "$(field errors "$line")"
      # the e2e consumer acks in batches of 100 and may take a few more than its count from the
      # backlog: drain what is left, up to DRAIN_MAX
      left=$((d + DEPTH_E2E_COUNT - $(field msgs "$line")))
      drain=$((left < DRAIN_MAX ? left : DRAIN_MAX))
      drain_cmd=(--mode consume --count "$drain" --size 100 "${COMMON[@]}")
      line="$(bench "${drain_cmd[@]}")"
      echo "  run $i drain: $line"
      put drain "$(field msgs_per_s "$line")"
      put errors "$(field errors "$line")"
      put hwm "$(hwm_bytes)"
      end_broker
    done
    rm -f "$work/m.p99"  # null: the e2e latency at depth is the backlog's age
    record depth "$d" e2e "$DEPTH_E2E_COUNT" 1 \
      "fill: ${fill_cmd[*]}; at depth: ${e2e_cmd[*]}; drain: ${drain_cmd[*]}" \
      fill_msgs_per_s=fill drain_msgs_per_s=drain bytes_per_msg=bpm
    est_bpm="$(med bpm | awk '{b = $1 * 1.5; print (b > 600) ? b : 600}')"
  done
}

sweep_size() {
  local s i line count
  for s in $SIZES; do
    count=$((SIZE_BYTES / s))
    if ((count < SIZE_MIN_COUNT)); then count=$SIZE_MIN_COUNT; fi
    if ((count > SIZE_MAX_COUNT)); then count=$SIZE_MAX_COUNT; fi
    local cmd=(--mode e2e --count "$count" --size "$s" "${COMMON[@]}")
    echo "size $s:"
    reset_metrics
    for i in $(seq 1 "$RUNS"); do
      fresh_broker
      line="$(bench "${cmd[@]}")"
      echo "  run $i: $line"
      put rate "$(field msgs_per_s "$line")"
      put mbps "$(awk -v r="$(field msgs_per_s "$line")" -v s="$s" \
        'BEGIN{printf "%.2f\n", r * s / 1e6}')"
      put p99 "$(field p99_us "$line")"
      put msgs "$(field msgs "$line")"
      put errors "$(field errors "$line")"
      put rss "$(rss_bytes)"
      put hwm "$(hwm_bytes)"
      end_broker
    done
    record size "$s" e2e "$count" 1 "${cmd[*]}" mb_per_s=mbps
  done
}

sweep_queues() {
  local n i k procs
  for n in $QUEUES; do
    procs=$(((n + QUEUES_PER_PROCESS - 1) / QUEUES_PER_PROCESS))
    PROC_ARGS=()
    for ((k = 0; k < procs; k++)); do
      local q=$((n / procs + (k < n % procs ? 1 : 0)))
      local c=$((QUEUES_COUNT / procs + (k < QUEUES_COUNT % procs ? 1 : 0)))
      PROC_ARGS[k]="--queues $q --count $c"
      if ((procs > 1)); then PROC_ARGS[k]+=" --queue bench-p$k"; fi
    done
    local cmd=(--mode e2e --size 100 "${COMMON[@]}")
    local shown="${cmd[*]} --queues $n --count $QUEUES_COUNT"
    if ((procs > 1)); then
      shown="${cmd[*]}, in $procs processes at once, each with 1 producer, 1 consumer, its own"
      shown+=" --queue bench-pK --queues $((n / procs)) and --count $((QUEUES_COUNT / procs))"
    fi
    echo "queues $n:"
    reset_metrics
    runs_of_procs "$procs" "${cmd[@]}"
    record queues "$n" e2e "$QUEUES_COUNT" "$procs" "$shown"
  done
}

# runs_of_procs PROCS ARGS...: RUNS runs of bench_procs, each on a fresh broker, into the
# point's metrics
runs_of_procs() {
  local procs="$1" i
  shift
  for i in $(seq 1 "$RUNS"); do
    fresh_broker
    bench_procs "$procs" "$@"
    echo "  run $i: msgs $AGG_MSGS, $AGG_RATE msg/s, p99 $AGG_P99 us, errors $AGG_ERRORS" \
      "($(cat "$work"/proc.* | tr '\n' ' '))"
    put rate "$AGG_RATE"
    put p99 "$AGG_P99"
    put msgs "$AGG_MSGS"
    put errors "$AGG_ERRORS"
    put rss "$(rss_bytes)"
    put hwm "$(hwm_bytes)"
    end_broker
    rm -f "$work"/proc.*
  done
}

sweep_connections() {
  local n i k procs prod cons mode per_process
  # 4 descriptors per connection in symphony-bench, and some to spare
  per_process=$((($(ulimit -n) - 100) / 4))
  for n in $CONNECTIONS; do
    if ((n == 1)); then
      mode=produce prod=1 cons=0
    else
      mode=e2e prod=$((n / 2)) cons=$((n - n / 2))
    fi
    procs=$(((n + per_process - 1) / per_process))
    PROC_ARGS=()
    for ((k = 0; k < procs; k++)); do
      local p=$((prod / procs + (k < prod % procs ? 1 : 0)))
      local c=$((cons / procs + (k < cons % procs ? 1 : 0)))
      local m=$((CONN_COUNT / procs + (k < CONN_COUNT % procs ? 1 : 0)))
      if ((c < 1)); then c=1; fi  # produce mode opens no consumer connections
      PROC_ARGS[k]="--producers $p --consumers $c --count $m"
      if ((procs > 1)); then PROC_ARGS[k]+=" --queue bench-p$k"; fi
    done
    local cmd=(--mode "$mode" --size 100 "${COMMON[@]}")
    if ((CONN_MAX_LIVE > 0)); then cmd+=(--max-live "$CONN_MAX_LIVE"); fi
    local shown="${cmd[*]} --producers $prod --consumers $((cons > 0 ? cons : 1))"
    shown+=" --count $CONN_COUNT"
    if ((n == 1)); then shown+=" (produce: the one connection is the producer)"; fi
    if ((procs > 1)); then
      shown+=", spread over $procs processes at once (descriptor limit $(ulimit -n)),"
      shown+=" each on its own queue"
      echo "connections $n: more than $per_process connections in one process; $procs processes"
    fi
    echo "connections $n:"
    reset_metrics
    runs_of_procs "$procs" "${cmd[@]}"
    put prod "$prod"
    put cons "$cons"
    record connections "$n" "$mode" "$CONN_COUNT" "$procs" "$shown" producers=prod consumers=cons
  done
}

for s in $SWEEPS; do
  case "$s" in
    depth | size | queues | connections) "sweep_$s" ;;
    *) echo "unknown sweep $s (depth, size, queues, connections)" >&2; exit 2 ;;
  esac
done

echo
machine_info
echo "symphonyd ${BROKER_ARGS[*]}; medians of $RUNS runs; took $((SECONDS - started)) s"
echo "commands: symphony-bench --server 127.0.0.1:PORT plus"
cat "$work/commands"
echo
printf '%-12s %9s %-8s %9s %12s %10s %9s %9s %6s  %s\n' sweep x mode msgs msgs/s p99_us \
  "RSS MiB" "peak MiB" errors ""
cat "$work/table"
echo "(depth: RSS with the depth queued, msgs/s the e2e rate at that depth; others: RSS at the end)"

if [[ $PLOT != 0 ]]; then
  echo
  mkdir -p "$(dirname "$PNG")"
  # Debian's python3, whose matplotlib install-deps.sh installed (a python3 earlier on PATH, such as
  # a pyenv one, would not have it)
  py=/usr/bin/python3
  if [[ ! -x $py ]]; then py=python3; fi
  "$py" "$ROOT/bench/plot_cost_growth.py" "$OUT" "$PNG"
fi
