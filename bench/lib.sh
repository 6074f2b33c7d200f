# Shared helpers of the bench scripts: start and stop a Release symphonyd on a free port.
# Source it; it sets BIN (the Release binaries) and, after start_broker, BROKER_PID and PORT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/build/release/bin}"  # an already-set BIN wins, for a build elsewhere

ensure_built() {
  if [[ ! -x "$BIN/symphonyd" || ! -x "$BIN/symphony-bench" ]]; then
    bash "$ROOT/scripts/install-deps.sh"
    bash "$ROOT/scripts/build.sh" release >/dev/null
  fi
}

# start_broker DATA_DIR [symphonyd args...]
start_broker() {
  local dir="$1"; shift
  local portfile
  portfile="$(mktemp)"
  rm -f "$portfile"
  "$BIN/symphonyd" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --port-file "$portfile" --data-dir "$dir" \
    --log-level info "$@" >>"$dir.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 6000); do
    [[ -s "$portfile" ]] && break
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then echo "symphonyd failed:"; tail "$dir.log"; exit 1; fi
    sleep 0.01
  done
  PORT="$(cat "$portfile")"
  rm -f "$portfile"
}

stop_broker() {
  kill -TERM "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
}

machine_info() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
}

# the msgs_per_s of one symphony-bench --json line on stdin
msgs_per_s() { sed -E 's/.*"msgs_per_s":([0-9.]+).*/\1/'; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
