#!/usr/bin/env bash
# Builds the sanitizer variant (build/asan: clang, ASan, UBSan, libFuzzer's coverage) and runs
# every harness of tests/fuzz from a temporary copy of its committed corpus (docs/fuzzing.md).
#
#   scripts/fuzz.sh                      every harness for 10 s (what CI runs)
#   scripts/fuzz.sh --seconds 600        every harness for 10 minutes
#   scripts/fuzz.sh --runs 5000000       every harness for 5 M executions
#   scripts/fuzz.sh --only config,admin_http --seconds 60
#   scripts/fuzz.sh --seconds 600 --merge   ...and minimize what was found into the corpus
#
# Options: --seconds N | --runs N, --jobs N (harnesses at once; default 2), --only a,b,
# --merge (the only way this script writes to the repository: new inputs that add coverage go
# into tests/fuzz/corpus/<harness>/), --no-build, --keep (keep the work directory).
# Prints the executions of each harness and the total; exits non-zero on any crash, sanitizer
# report, timeout or out-of-memory, and names the reproducer it left.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=10
runs=""
jobs=2
only=""
merge=0
build=1
keep=0
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; runs=""; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# harness:max_len (bytes). Each input is a frame, a record run, a file or a request: a few KiB
# reach every layout; longer ones only slow the search down.
harnesses=(
  frame_decoder:8192 handshake:1024 dispatch:4096 consume:4096 settle:4096 stats:4096
  control:1024 observe:1024 queue_admin:4096 dead_letter:4096 schedule:4096
  message_body:4096 time_text:128 wal_record:8192 wal_replay:8192 config:8192
  admin_request:4096 admin_http:8192
)
if [[ -n "$only" ]]; then
  selected=()
  for h in "${harnesses[@]}"; do
    [[ ",$only," == *",${h%%:*},"* ]] && selected+=("$h")
  done
  harnesses=("${selected[@]}")
  ((${#harnesses[@]})) || { echo "fuzz.sh: --only matched no harness" >&2; exit 2; }
fi

if ((build)); then
  echo "=== fuzz: build (build/asan)"
  bash scripts/build.sh asan
fi
bin="$root/build/asan/bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/symphony-fuzz.XXXXXX")
if ((!keep)); then
  trap 'status=$?; if ((status == 0)); then rm -rf "$work"; fi' EXIT
fi
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs"

symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
[[ -x "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
# abort (not exit) on a sanitizer report, so libFuzzer writes the input that caused it
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:${UBSAN_OPTIONS:-}"

budget="-max_total_time=$seconds"
[[ -n "$runs" ]] && budget="-runs=$runs"
echo "=== fuzz: ${#harnesses[@]} harnesses, $jobs at a time, each ${runs:+$runs runs}${runs:-$seconds s}"
echo "    work directory: $work"

run_one() {
  local name=${1%%:*} max_len=${1##*:}
  local corpus="$work/corpus/$name" log="$work/logs/$name.log"
  mkdir -p "$corpus"
  if [[ -d "$root/tests/fuzz/corpus/$name" ]]; then cp -r "$root/tests/fuzz/corpus/$name/." "$corpus/"; fi
  local dict=()
  [[ -f "$root/tests/fuzz/$name.dict" ]] && dict=("-dict=$root/tests/fuzz/$name.dict")
  local start=$SECONDS status=0
  # -timeout: seconds per input; -rss_limit_mb/-malloc_limit_mb: an input of a few KiB that
  # needs more is an unbounded allocation, reported as a crash
  "$bin/${name}_fuzzer" "$budget" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" \
    "${dict[@]}" "$corpus" >"$log" 2>&1 || status=$?
  echo "$status $((SECONDS - start))" >"$work/logs/$name.status"
}
export -f run_one
export work root bin budget

printf '%s\n' "${harnesses[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}

failed=0
total=0
printf '\n%-14s %14s %10s %8s %s\n' harness executions exec/s seconds result
for h in "${harnesses[@]}"; do
  name=${h%%:*}
  log="$work/logs/$name.log"
  read -r status took <"$work/logs/$name.status"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  total=$((total + execs))
  result=ok
  if ((status != 0)) || grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: |property violated|ERROR: libFuzzer' "$log"; then
    result="FAILED (exit $status)"
    failed=1
  fi
  rate=0
  ((took > 0)) && rate=$((execs / took))
  printf '%-14s %14s %10s %8s %s\n' "$name" "$execs" "$rate" "$took" "$result"
done
printf '%-14s %14s\n' total "$total"

if ((failed)); then
  echo
  echo "=== fuzz: FAILED. Logs: $work/logs; reproducers:"
  for f in "$work"/artifacts/*; do
    [[ -e "$f" ]] || continue
    name=$(basename "$f"); name=${name%%-crash-*}; name=${name%%-timeout-*}; name=${name%%-oom-*}
    name=${name%%-leak-*}; name=${name%%-slow-unit-*}
    echo "  $f"
    echo "    reproduce: build/asan/bin/${name}_fuzzer $f"
  done
  for h in "${harnesses[@]}"; do
    name=${h%%:*}
    read -r status _ <"$work/logs/$name.status"
    if ((status != 0)); then
      echo "--- $name (last lines of $work/logs/$name.log)"
      grep -E 'ERROR|runtime error|property violated|SUMMARY|Test unit written' "$work/logs/$name.log" | head -8
    fi
  done
  exit 1
fi

if ((merge)); then
  echo "=== fuzz: merging new inputs into tests/fuzz/corpus"
  for h in "${harnesses[@]}"; do
    name=${h%%:*}
    mkdir -p "$root/tests/fuzz/corpus/$name"
    before=$(find "$root/tests/fuzz/corpus/$name" -type f | wc -l)
    "$bin/${name}_fuzzer" -merge=1 -max_len="${h##*:}" "$root/tests/fuzz/corpus/$name" \
      "$work/corpus/$name" >"$work/logs/$name.merge.log" 2>&1
    after=$(find "$root/tests/fuzz/corpus/$name" -type f | wc -l)
    echo "  $name: $before -> $after inputs"
  done
fi
echo "=== fuzz: ok, $total executions, 0 crashes, 0 sanitizer reports, 0 timeouts"
