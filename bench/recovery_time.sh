#!/usr/bin/env bash
# Recovery time of a broker holding N live 100-byte messages (default 1,000,000): fill it, stop
# it, then restart it RUNS times (default 3) and read how long each recovery took from its log.
# usage: bench/recovery_time.sh [N] [RUNS]
source "$(dirname "$0")/lib.sh"
N="${1:-1000000}"
RUNS="${2:-3}"
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
start_broker "$work/data"
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode produce --count "$N" --size 100 \
  --batch 500 --pipeline 8 --quiet --json
stop_broker
echo "data dir: $(du -sh "$work/data" | cut -f1)"
for i in $(seq 1 "$RUNS"); do
  : >"$work/data.log"
  start_broker "$work/data"
  line="$(grep -m1 'recovered' "$work/data.log")"
  rss_kb="$(awk '/VmRSS/{print $2}' "/proc/$BROKER_PID/status")"
  stop_broker
  ms="$(sed -E 's/.* in ([0-9]+) ms.*/\1/' <<<"$line")"
  echo "run $i: ${line#*] } | RSS after recovery $((rss_kb / 1024)) MiB"
  echo "$ms" >>"$work/times"
done
echo "median recovery time: $(median <"$work/times") ms for $N live messages"
