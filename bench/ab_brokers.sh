#!/usr/bin/env bash
# Before/after: the same shapes against two symphonyd builds, runs interleaved (A, B, A, B, ...)
# so that the machine's noise falls on both alike, driven by one symphony-bench (this tree's).
# Shapes, 100-byte messages, 1 producer and 1 consumer: produce and e2e under --fsync=always, e2e
# under --fsync=never. Prints every run and the medians, and B/A.
# usage: bench/ab_brokers.sh A_BIN_DIR B_BIN_DIR [COUNT] [RUNS]
source "$(dirname "$0")/lib.sh"
A="$(cd "$1" && pwd)"
B="$(cd "$2" && pwd)"
COUNT="${3:-1000000}"
RUNS="${4:-3}"
ensure_built
BENCH="$BIN/symphony-bench"
machine_info
echo "A: $A/symphonyd"
echo "B: $B/symphonyd"
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
shapes=("produce always" "e2e always" "e2e never")
for shape in "${shapes[@]}"; do
  read -r mode policy <<<"$shape"
  cmd=(--mode "$mode" --count "$COUNT" --size 100 --batch 100 --pipeline 8 --quiet --json)
  echo "$mode, --fsync=$policy: symphony-bench --server 127.0.0.1:PORT ${cmd[*]}"
  : >"$work/A"
  : >"$work/B"
  for i in $(seq 1 "$RUNS"); do
    for side in A B; do
      rm -rf "$work/data"
      BIN="${!side}" start_broker "$work/data" --fsync "$policy"
      out="$("$BENCH" --server "127.0.0.1:$PORT" "${cmd[@]}")"
      stop_broker
      echo "  $side run $i: $out"
      msgs_per_s <<<"$out" >>"$work/$side"
    done
  done
  a="$(median <"$work/A")"
  b="$(median <"$work/B")"
  printf '  median msgs/s: A %.0f, B %.0f, B/A %.2f\n' "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN{print b/a}')"
done
