#!/usr/bin/env bash
# What the operations features cost: confirmed-dispatch and end-to-end throughput over plain TCP,
# with an auth token, and over TLS (same command, a fresh broker per run, RUNS runs each, median);
# then the time of one GET /metrics and one GET /status with QUEUES queues in use.
# usage: bench/operations_overhead.sh [COUNT] [RUNS] [QUEUES]
source "$(dirname "$0")/lib.sh"
COUNT="${1:-500000}"
RUNS="${2:-3}"
QUEUES="${3:-1000}"
SYMPHONY_EXTRA_PACKAGES="openssl curl" bash "$ROOT/scripts/install-deps.sh"
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT

# a throwaway CA and a certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj '/CN=bench CA' -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile <(printf 'subjectAltName=IP:127.0.0.1') \
  -out "$work/server.pem" 2>/dev/null

declare -A broker_args client_args
broker_args[plain]=""
client_args[plain]=""
broker_args[token]="--auth-token bench-secret"
client_args[token]="--token bench-secret"
broker_args[tls]="--tls-cert $work/server.pem --tls-key $work/server.key"
client_args[tls]="--tls-ca $work/ca.pem"

for mode in produce e2e; do
  cmd=(--mode "$mode" --count "$COUNT" --size 100 --batch 100 --pipeline 8 --quiet --json)
  echo "command: symphony-bench --server 127.0.0.1:PORT ${cmd[*]} [--token T | --tls-ca CA]"
  for variant in plain token tls; do
    : >"$work/rates"
    for i in $(seq 1 "$RUNS"); do
      rm -rf "$work/data"
      # shellcheck disable=SC2086
      start_broker "$work/data" ${broker_args[$variant]}
      # shellcheck disable=SC2086
      out="$("$BIN/symphony-bench" --server "127.0.0.1:$PORT" "${cmd[@]}" ${client_args[$variant]})"
      stop_broker
      echo "$mode $variant run $i: $out"
      msgs_per_s <<<"$out" >>"$work/rates"
    done
    echo "$mode $variant median: $(median <"$work/rates" | xargs printf '%.0f') msgs/s"
  done
done

# scrape cost: QUEUES queues with a few messages each, then 20 GETs of each endpoint
rm -rf "$work/data"
portfile="$work/admin.port"
start_broker "$work/data" --admin-port-file "$portfile"
for _ in $(seq 1 100); do [[ -s "$portfile" ]] && break; sleep 0.05; done
ADMIN="127.0.0.1:$(cat "$portfile")"
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode produce --count $((QUEUES * 10)) \
  --queues "$QUEUES" --quiet --json >/dev/null
for path in /metrics /status; do
  : >"$work/times"
  bytes=0
  for _ in $(seq 1 20); do
    read -r t b < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://$ADMIN$path")
    echo "$t" >>"$work/times"
    bytes="$b"
  done
  echo "GET $path with $QUEUES queues: median $(median <"$work/times" | awk '{printf "%.1f", $1*1000}') ms, $bytes bytes"
done
stop_broker
