#!/usr/bin/env bash
# Disk use under churn: COUNT messages (default 5,000,000) dispatched and acked end to end with
# at most MAX_LIVE (default 100,000) unacked at any moment; the data directory's size is sampled
# every 0.5 s and its maximum reported. The log must track the live set, not the history.
# usage: bench/compaction_disk.sh [COUNT] [MAX_LIVE]
source "$(dirname "$0")/lib.sh"
COUNT="${1:-5000000}"
MAX_LIVE="${2:-100000}"
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; kill "$SAMPLER" 2>/dev/null; rm -rf "$work"' EXIT
start_broker "$work/data"
( while true; do du -sb "$work/data" 2>/dev/null | cut -f1; sleep 0.5; done ) >"$work/sizes" &
SAMPLER=$!
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode e2e --count "$COUNT" --max-live "$MAX_LIVE" \
  --size 100 --batch 100 --pipeline 8 --prefetch 2000 --quiet --json --max-seconds 1200
kill "$SAMPLER"
final="$(du -sb "$work/data" | cut -f1)"
stop_broker
max="$(sort -n "$work/sizes" | tail -1)"
echo "samples: $(wc -l <"$work/sizes"), max data dir: $((max / 1024 / 1024)) MiB, at the end: $((final / 1024 / 1024)) MiB"
grep -c "compaction" "$work/data.log" >/dev/null || true
