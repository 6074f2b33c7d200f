#!/usr/bin/env bash
# Memory the broker spends on clients that never authenticate. A fresh broker per case:
#   huge: CONNECTIONS raw TCP connections each send one 12-byte HELLO header declaring a 16 MiB
#         body (the finding of issue 11) and nothing more;
#   max:  CONNECTIONS connections each send a HELLO header declaring the largest body allowed
#         before authentication (4 KiB) and stop there: the most an unauthenticated client can
#         make the broker hold.
# For each: (VmRSS 1 s after connecting - VmRSS before) / CONNECTIONS, how many of them the broker
# closed within 1 s and within HOLD s (the HELLO deadline), and VmHWM.
# usage: bench/preauth_memory.sh [CONNECTIONS] [HOLD_SECONDS] [symphonyd args...]
source "$(dirname "$0")/lib.sh"
CONNECTIONS="${1:-150}"
HOLD="${2:-12}"
shift 2 || shift $#
ensure_built
machine_info
work="$(mktemp -d)"
trap 'stop_broker 2>/dev/null; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"
status_kib() { awk -v k="$1:" '$1==k{print $2}' "/proc/$BROKER_PID/status"; }

for mode in huge max; do
  rm -rf "$work/data"
  start_broker "$work/data" --fsync never "$@"
  before="$(status_kib VmRSS)"
  python3 - "$PORT" "$CONNECTIONS" "$HOLD" "$BROKER_PID" "$work/result" "$mode" <<'PY'
import socket, struct, sys, time
port, n, hold, pid, out, mode = (int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]),
                                 sys.argv[4], sys.argv[5], sys.argv[6])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def closed_count(socks):
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            while True:
                if not s.recv(65536):  # the broker closed it (after its ERROR)
                    closed += 1
                    break
        except BlockingIOError:
            pass  # still open
        except ConnectionResetError:
            closed += 1
    return closed
length = (16 << 20) if mode == "huge" else 4096
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    # body_length, opcode HELLO (0x01), flags 0, reserved 0, request id 1; the body never comes
    s.sendall(struct.pack("<IBBHI", length, 0x01, 0, 0, 1))
    socks.append(s)
t0 = time.time()
time.sleep(1.0)
held = rss()
closed_1s = closed_count(socks)
time.sleep(max(0.0, hold - (time.time() - t0)))
closed_hold = closed_count(socks)
open(out, "w").write(f"{held} {closed_1s} {closed_hold}\n")  # closed_hold includes closed_1s
PY
  read -r held closed_1s closed_hold <"$work/result"
  hwm="$(status_kib VmHWM)"
  stop_broker
  per="$(awk -v a="$held" -v b="$before" -v n="$CONNECTIONS" 'BEGIN{printf "%.0f", (a-b)*1024/n}')"
  echo "$mode: $CONNECTIONS connections (symphonyd --fsync never $*): VmRSS before ${before} KiB," \
    "1 s after ${held} KiB, VmHWM ${hwm} KiB: ${per} bytes per connection; closed by the broker" \
    "within 1 s: ${closed_1s}, within ${HOLD} s: ${closed_hold}"
done
