#!/usr/bin/env bash
# Symphony against Redis Streams and beanstalkd, each under its durability settings, with the same
# symphony-bench shapes (--target picks the broker): produce and e2e, 1 producer and 1 consumer
# connection, 100-byte payloads, at most INFLIGHT (800) messages in flight per producer: for
# Symphony INFLIGHT/BATCH DISPATCH frames of BATCH (100) messages (--pipeline), for the peers
# INFLIGHT pipelined XADD or put commands. INFLIGHT=100 gives Symphony one batch at a time.
# Every run gets a fresh server and data directory under $TMPDIR (so that is the disk measured);
# RUNS runs per variant and mode, medians reported, then Symphony(always) over each peer.
#
#   symphony     symphonyd --fsync always | interval:10 | never
#   redis        appendonly yes, appendfsync always | everysec, RDB snapshots off (save "")
#   beanstalkd   -b DIR -f 0 (fsync every write) | -b DIR (its default: fsync at most every 50 ms)
#
# A run stops after MAX_SECONDS even if COUNT is not reached (beanstalkd -f 0 fsyncs each put, so
# it rarely finishes); its msgs/s is then over what it did, and the msgs column shows it.
#
# usage: bench/peers.sh [COUNT] [RUNS]
# env:   MAX_SECONDS (30), INFLIGHT (800), BATCH (100), SIZE (100), PRODUCERS (1), CONSUMERS (1), RATE (0: flat
#        out; > 0: open loop, msgs/s), MODES ("produce e2e"), BIN (the symphonyd/symphony-bench dir)
source "$(dirname "$0")/lib.sh"
COUNT="${1:-200000}"
RUNS="${2:-3}"
MAX_SECONDS="${MAX_SECONDS:-30}"
BATCH="${BATCH:-100}"
INFLIGHT="${INFLIGHT:-800}"
SYMPHONY_PIPELINE=$(((INFLIGHT + BATCH - 1) / BATCH))
SIZE="${SIZE:-100}"
PRODUCERS="${PRODUCERS:-1}"
CONSUMERS="${CONSUMERS:-1}"
RATE="${RATE:-0}"
MODES="${MODES:-produce e2e}"
BROKER_PID=""
PEER_PID=""

install_peers() {
  local missing=() p
  for p in redis-server beanstalkd; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nothing listens on now. The peers cannot report a port they picked themselves (redis
# --port 0 means "no TCP"), so start_peer retries if another process takes it first.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! listening "$p"; then
      echo "$p"
      return 0
    fi
  done
  echo "peers: no free port" >&2
  return 1
}

# start_peer KIND DIR ARGS...: starts redis-server or beanstalkd on 127.0.0.1 with its data in
# DIR; sets PEER_PID and PORT once it accepts connections.
start_peer() {
  local kind="$1" dir="$2"
  shift 2
  mkdir -p "$dir"
  for _ in 1 2 3; do
    PORT="$(free_port)"
    if [[ $kind == redis ]]; then
      redis-server --bind 127.0.0.1 --port "$PORT" --dir "$dir" --daemonize no --save "" \
        --appendonly yes "$@" --logfile "$dir.log" &
    else
      beanstalkd -l 127.0.0.1 -p "$PORT" -b "$dir" "$@" >>"$dir.log" 2>&1 &
    fi
    PEER_PID=$!
    for _ in $(seq 1 1000); do
      listening "$PORT" && return 0
      kill -0 "$PEER_PID" 2>/dev/null || break
      sleep 0.01
    done
    stop_peer
  done
  echo "peers: $kind did not start:"
  tail "$dir.log"
  exit 1
}

stop_peer() {
  [[ -n ${PEER_PID:-} ]] || return 0
  kill -TERM "$PEER_PID" 2>/dev/null || true
  wait "$PEER_PID" 2>/dev/null || true
  PEER_PID=""
}

# The variants, in table order: "name|target|server flags".
VARIANTS=(
  "symphony always|symphony|--fsync always"
  "symphony interval:10|symphony|--fsync interval:10"
  "symphony never|symphony|--fsync never"
  "redis always|redis|--appendfsync always"
  "redis everysec|redis|--appendfsync everysec"
  "beanstalkd -f 0|beanstalkd|-f 0"
  "beanstalkd default|beanstalkd|"
)

ensure_built
install_peers
machine_info
echo "redis: $(redis-server --version | cut -d' ' -f3), beanstalkd: $(beanstalkd -v | cut -d' ' -f2)"
work="$(mktemp -d)"
trap 'if [[ -n $BROKER_PID ]]; then stop_broker; fi; stop_peer; rm -rf "$work"' EXIT
cmd=(--count "$COUNT" --size "$SIZE" --producers "$PRODUCERS"
  --consumers "$CONSUMERS" --rate "$RATE" --max-seconds "$MAX_SECONDS" --quiet --json)
echo "command: symphony-bench --target T --server 127.0.0.1:PORT --mode M ${cmd[*]}" \
  "plus --batch $BATCH --pipeline $SYMPHONY_PIPELINE (symphony) or --batch $INFLIGHT (peers)"

declare -A RATE_MED P99_MED MSGS_MED
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" <<<"$2"; }

for variant in "${VARIANTS[@]}"; do
  IFS='|' read -r name target flags <<<"$variant"
  read -r -a server_args <<<"$flags"
  for mode in $MODES; do
    : >"$work/rates"
    : >"$work/p99s"
    : >"$work/msgs"
    for i in $(seq 1 "$RUNS"); do
      rm -rf "$work/data" "$work/data.log"
      if [[ $target == symphony ]]; then
        start_broker "$work/data" "${server_args[@]}"
      else
        start_peer "$target" "$work/data" "${server_args[@]}"
      fi
      # A run with errors still prints its JSON (errors > 0) and exits 1: keep it, and go on.
      if [[ $target == symphony ]]; then
        depth=(--batch "$BATCH" --pipeline "$SYMPHONY_PIPELINE")
      else
        depth=(--batch "$INFLIGHT")
      fi
      out="$("$BIN/symphony-bench" --target "$target" --server "127.0.0.1:$PORT" --mode "$mode" \
        "${cmd[@]}" "${depth[@]}")" || echo "$name $mode run $i: symphony-bench exited non-zero"
      if [[ $target == symphony ]]; then
        stop_broker
        BROKER_PID=""  # so the exit trap cannot signal a reused pid
      else
        stop_peer
      fi
      echo "$name $mode run $i: $out"
      [[ $out == *msgs_per_s* ]] || continue
      field msgs_per_s "$out" >>"$work/rates"
      field p99_us "$out" >>"$work/p99s"
      field msgs "$out" >>"$work/msgs"
    done
    key="$name|$mode"
    RATE_MED[$key]="$(median <"$work/rates")"
    P99_MED[$key]="$(median <"$work/p99s")"
    MSGS_MED[$key]="$(median <"$work/msgs")"
  done
done

echo
echo "medians of $RUNS runs (COUNT=$COUNT, max ${MAX_SECONDS}s a run; p99 in microseconds)"
printf '%-22s %-8s %12s %10s %10s\n' variant mode msgs/s p99_us msgs
for variant in "${VARIANTS[@]}"; do
  name="${variant%%|*}"
  for mode in $MODES; do
    key="$name|$mode"
    printf '%-22s %-8s %12.0f %10.0f %10.0f\n' "$name" "$mode" "${RATE_MED[$key]:-0}" \
      "${P99_MED[$key]:-0}" "${MSGS_MED[$key]:-0}"
  done
done

echo
echo "Symphony(always) / peer: msgs/s ratio (higher: Symphony faster), p99 ratio (lower: Symphony"
echo "faster)"
printf '%-36s %-8s %10s %10s\n' ratio mode msgs/s p99
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3g", a / b; else print "n/a" }'; }
for peer in "redis always|redis(always)" "redis everysec|redis(everysec)" \
  "beanstalkd -f 0|beanstalkd(-f 0)"; do
  for mode in $MODES; do
    s="symphony always|$mode"
    p="${peer%%|*}|$mode"
    printf '%-36s %-8s %10s %10s\n' "symphony(always)/${peer#*|}" "$mode" \
      "$(ratio "${RATE_MED[$s]:-0}" "${RATE_MED[$p]:-0}")x" \
      "$(ratio "${P99_MED[$s]:-0}" "${P99_MED[$p]:-0}")x"
  done
done
