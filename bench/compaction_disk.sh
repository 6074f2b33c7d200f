#!/usr/bin/env bash
# Disk use under churn: COUNT messages (default 5,000,000) dispatched and acked end to end while
# the live set stays close to LIVE (default 100,000): 90 % of it is parked first in a queue no
# one consumes, the rest is the most the churn may leave unacked. Every compaction therefore has
# to rewrite ~LIVE envelopes. The data directory's size is sampled every 0.5 s and its maximum
# reported: the log must track the live set, not the history.
# usage: bench/compaction_disk.sh [COUNT] [LIVE]
source "$(dirname "$0")/lib.sh"
COUNT="${1:-5000000}"
LIVE="${2:-100000}"
RESIDENT=$((LIVE * 9 / 10))
MAX_LIVE=$((LIVE - RESIDENT))
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; kill "$SAMPLER" 2>/dev/null; rm -rf "$work"' EXIT
start_broker "$work/data"
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode produce --queue resident \
  --count "$RESIDENT" --size 100 --quiet --json
( while true; do du -sb "$work/data" 2>/dev/null | cut -f1; sleep 0.5; done ) >"$work/sizes" &
SAMPLER=$!
"$BIN/symphony-bench" --server "127.0.0.1:$PORT" --mode e2e --count "$COUNT" --max-live "$MAX_LIVE" \
  --size 100 --batch 100 --pipeline 8 --prefetch 2000 --quiet --json --max-seconds 1200
kill "$SAMPLER"
final="$(du -sb "$work/data" | cut -f1)"
max="$(sort -n "$work/sizes" | tail -1)"
echo "samples: $(wc -l <"$work/sizes"), max data dir: $((max / 1024 / 1024)) MiB, at the end: $((final / 1024 / 1024)) MiB"
"$BIN/symphony" --server "127.0.0.1:$PORT" stats
stop_broker
