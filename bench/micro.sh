#!/usr/bin/env bash
# The Google Benchmark micro suite (bench/micro/): codec, ready heap, core cycle, log records,
# cron. Three repetitions, aggregates only; extra arguments go to symphony-micro, e.g.
#   bench/micro.sh --benchmark_filter=CoreCycle
# BIN=DIR runs the symphony-micro of another build (lib.sh).
source "$(dirname "$0")/lib.sh"
if [[ ! -x "$BIN/symphony-micro" ]]; then
  ensure_built
  # a Release tree configured before the suite existed gets just this target
  if [[ ! -x "$BIN/symphony-micro" ]]; then
    cmake --build "$ROOT/build/release" --target symphony-micro >&2
  fi
fi
if [[ ! -x "$BIN/symphony-micro" ]]; then
  echo "no symphony-micro in $BIN (is SYMPHONY_BUILD_BENCH off?)" >&2
  exit 1
fi
machine_info
"$BIN/symphony-micro" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@"
