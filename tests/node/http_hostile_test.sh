#!/usr/bin/env bash
# Hostile clients against the HTTP read plane of a real custosd on 127.0.0.1
# (docs/http-api.md, "Turning it on": the limits): a thousand idle
# connections, a client that sends its request a byte at a time, malformed
# request lines and paths, an oversized body. Each is refused or timed out,
# the node's memory stays bounded, and a legitimate client is served once the
# hostile ones are gone. The clients are Python's standard library (sockets),
# tests/node/http_hostile.py.
# Usage: http_hostile_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
fed_init ipb "$IPB" ip-bureau
# One node: no witness to demand.
python3 - ipb/node.json <<'PY'
import json, sys
f = json.load(open("federation.json"))
f["witnessPolicy"] = {"cosigners": [], "quorum": 0}
json.dump(f, open("federation.json", "w"))
c = json.load(open(sys.argv[1]))
# The rate limit is per client address, and every client here is 127.0.0.1:
# off, so that what is tested is the connection cap and the timeouts.
c["http"].update(maxConnections=200, maxConnectionsPerClient=0, timeoutSeconds=3, maxBodyBytes=65536,
                 requestsPerSecond=0, threads=2)
json.dump(c, open(sys.argv[1], "w"))
PY
check "custosd ipb starts" fed_start ipb
PID=${FED_PID[ipb]}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
before=$(rss_kb)
expect 0 "hostile clients are refused or timed out, and a legitimate one is then served" -- \
  python3 "$TESTS_DIR/node/http_hostile.py" "127.0.0.1:${FED_HTTP_PORT[ipb]}" "$IPB"
cat out.txt
contains out.txt "idle: 200 held, 800 answered 503 too-many-connections" "the cap holds 200; the other 800 get 503 at once"
contains out.txt "idle: every held connection closed by the node" "idle connections are closed after timeoutSeconds"
contains out.txt "legitimate: 200 after the idle ones were closed" "a legitimate client is served afterwards"
contains out.txt "slow: closed by the node" "a request sent a byte at a time is cut off at timeoutSeconds"
contains out.txt "malformed: every request answered 4xx or closed" "malformed request lines and paths get 4xx"
contains out.txt "body: 413" "a body over maxBodyBytes gets 413"
after=$(rss_kb)
check "the node's memory grew by less than 64 MB ($before kB to $after kB)" [ $((after - before)) -lt 65536 ]
check "/healthz: ok after all that" [ "$(curl -s -o /dev/null -w '%{http_code}' "$(fed_http ipb)/healthz")" = 200 ]
fed_stop ipb TERM
check "ipb stopped cleanly" grep -q "stopped cleanly" ipb/node.log

# One client address may hold at most maxConnectionsPerClient of them.
python3 - ipb/node.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"]["maxConnectionsPerClient"] = 50
json.dump(c, open(sys.argv[1], "w"))
PY
check "ipb restarts with at most 50 connections per client address" fed_start ipb
expect 0 "100 idle connections from one address: 50 held, 50 refused" -- \
  python3 "$TESTS_DIR/node/http_hostile.py" "127.0.0.1:${FED_HTTP_PORT[ipb]}" "$IPB" --per-client 50
contains out.txt "idle: 50 held, 50 answered 503 too-many-connections-from-client" "  each refusal says why"
fed_stop ipb TERM
finish http_hostile
