#!/usr/bin/env bash
# Bounded before authentication (docs/node.md, "Connection limits"): one
# custosd on 127.0.0.1 is sent 3,000 TCP connections that never complete a TLS
# handshake (every other one sends the start of a ClientHello and stalls),
# all held open together for a few seconds. Meanwhile the node's memory stays
# under a stated bound and a legitimate client is served within a second;
# afterwards the node serves as before. The flood is bounded in count (3,000
# connections, to 127.0.0.1 only) and in time (held 6 s, then closed).
# Usage: flood_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

CONNECTIONS=3000
HOLD_SECONDS=6
# The bound: the node's peak resident memory while the flood is held, over its
# resident memory before it. A stalled handshake that holds a TLS session
# costs ~55 KB; unbounded, 3,000 of them cost 160 MB.
MAX_GROWTH_KB=$((32 * 1024))

fed_init ipb suzhou-ipb.example/custos ip-bureau psb suzhou-psb.example/custos public-security-bureau
check "custosd ipb starts" fed_start ipb
PID=${FED_PID[ipb]}
VKEY=$(fed_vkey ipb)
served() { "$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$VKEY" --key ipb/admin.key checkpoint >/dev/null 2>&1; }
# seconds CMD...: runs CMD and prints how long it took.
seconds() {
  local start=$EPOCHREALTIME
  "$@"
  python3 -c "print(f'{$EPOCHREALTIME - $start:.3f}')"
}
check "the node serves before the flood" served
# The client's own start-up (slow under a sanitizer) is not the node's delay:
# the time a call takes during the flood is compared with one before it.
quiet=$(seconds served)
# kB of the node's resident memory now (VmRSS) or at its peak so far (VmHWM).
memory() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$PID/status"; }
before=$(memory VmRSS)

cat >flood.py <<'PY'
import socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
# A TLS record header and a ClientHello header that announce 200 bytes, then nothing.
partial = bytes.fromhex("16030100c8" "010000c4" "0303") + bytes(16)
held = []
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        if i % 2:
            s.sendall(partial)
    except OSError:
        s.close()
        continue
    held.append(s)
print("holding", len(held), flush=True)
time.sleep(hold)
for s in held:
    s.close()
print("closed", flush=True)
PY
python3 flood.py "${FED_PORT[ipb]}" "$CONNECTIONS" "$HOLD_SECONDS" >flood.out 2>&1 &
FLOOD=$!
holding() { grep -q holding flood.out; }
eventually 60 "the flood's connections are open" holding
sleep 1.5  # older than a fresh handshake, as stalled ones are
check "a legitimate client is served during the flood" served
elapsed=$(seconds served)
check "… within a second more than without the flood (${elapsed} s; ${quiet} s without)" \
  python3 -c "import sys; sys.exit(0 if $elapsed - $quiet < 1.0 else 1)"
peak=$(memory VmHWM)
wait "$FLOOD"
contains flood.out "closed" "the flood ends by itself"
growth=$((peak - before))
check "the node's memory grew by ${growth} kB at most, under ${MAX_GROWTH_KB} kB" [ "$growth" -le "$MAX_GROWTH_KB" ]
check "the node serves after the flood" served
check "the node is still running" kill -0 "$PID"

finish flood_end_to_end
