#!/usr/bin/env bash
# custosd end to end (docs/node.md): a real node on 127.0.0.1 (port chosen by
# the OS), the custos command line against it with --node, offline checks of
# what it returns, refusals at the TLS layer, hostile input, and a clean stop
# and restart. Usage:
#   custosd_test.sh CUSTOSD_BINARY CUSTOS_BINARY EXAMPLES_DIR
# Every process started here is killed on exit, whatever happens.
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOSD=$(realpath "$1")
CUSTOS=$(realpath "$2")
EXAMPLES=$(cd "$3" && pwd)
WORK=$(mktemp -d)
NODE_PID=
cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -KILL "$NODE_PID" 2>/dev/null
    wait "$NODE_PID" 2>/dev/null
  fi
  # KEEP_WORK=1 keeps the directory (node.log, the data) for a post-mortem.
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
cd "$WORK"
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"


# start_node: starts custosd in the background, waits (at most 10 s) until it
# listens, and sets NODE_PID and ADDR.
start_node() {
  rm -f addr
  "$CUSTOSD" --config node.json --address-file addr 2>>node.log &
  NODE_PID=$!
  for _ in $(seq 100); do
    [ -s addr ] && break
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -s addr ]; then ADDR=$(cat addr); ok "custosd listens on $ADDR"; else bad "custosd did not start: $(tail -5 node.log)"; exit 1; fi
}
# stop_node SIGNAL: stops custosd and checks that it exits 0 within 10 s.
stop_node() {
  kill "-$1" "$NODE_PID"
  for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$NODE_PID" 2>/dev/null; then bad "custosd did not stop on SIG$1"; return; fi
  wait "$NODE_PID"
  local rc=$?
  NODE_PID=
  [ "$rc" -eq 0 ] && ok "SIG$1 stops custosd cleanly (exit 0)" || bad "custosd exited $rc on SIG$1"
}

ORIGIN=suzhou-ipb.example/custos

# --- a log, keys and config
"$CUSTOS" key generate --name "$ORIGIN" --out node.key >/dev/null
NODE_VKEY=$("$CUSTOS" key show --key node.key)
"$CUSTOS" key generate --name admin.li --out admin.key >/dev/null
"$CUSTOS" key generate --name stranger --out stranger.key >/dev/null
"$CUSTOS" key generate --name suzhou-psb.example/custos --out peer.key >/dev/null
PEER_VKEY=$("$CUSTOS" key show --key peer.key)
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
"$CUSTOS" log init --data data --origin "$ORIGIN" --node-key node.key --admin "$("$CUSTOS" key show --key admin.key)" >/dev/null
cat >federation.json <<EOF
{
  "peers": [
    {"origin": "$ORIGIN", "verifierKey": "$NODE_VKEY", "address": "127.0.0.1:1", "agencyKind": "ip-bureau"},
    {"origin": "suzhou-psb.example/custos", "verifierKey": "$PEER_VKEY", "address": "127.0.0.1:2",
     "agencyKind": "public-security-bureau"}
  ],
  "witnessPolicy": {"cosigners": ["suzhou-psb.example/custos"], "quorum": 1}
}
EOF
cat >node.json <<EOF
{"dataDir": "data", "listen": "127.0.0.1:0", "federationFile": "federation.json", "logLevel": "debug"}
EOF

# --- config checks
expect 0 "custosd --help" -- "$CUSTOSD" --help
contains out.txt "--check-config" "--help lists --check-config"
expect 0 "--check-config accepts a good config" -- "$CUSTOSD" --config node.json --check-config
contains out.txt "origin: $ORIGIN" "--check-config names the origin"
echo '{"dataDir": "data", "listen": "127.0.0.1", "federationFile": "federation.json"}' >bad1.json
expect 2 "a bad listen address is refused" -- "$CUSTOSD" --config bad1.json --check-config
contains err.txt "listen: \"127.0.0.1\" is not HOST:PORT" "the error names the field"
echo '{"dataDir": "data", "listen": "127.0.0.1:0", "federationFile": "federation.json", "logLevel": "chatty"}' >bad2.json
expect 2 "a bad log level is refused" -- "$CUSTOSD" --config bad2.json --check-config
contains err.txt "logLevel" "the error names logLevel"
sed 's/"quorum": 1/"quorum": 3/' federation.json >bad-fed.json
echo '{"dataDir": "data", "listen": "127.0.0.1:0", "federationFile": "bad-fed.json"}' >bad3.json
expect 2 "a witness quorum above the cosigners is refused" -- "$CUSTOSD" --config bad3.json --check-config
contains err.txt "witnessPolicy.quorum" "the error names witnessPolicy.quorum"
echo '{"dataDir": "nowhere", "listen": "127.0.0.1:0", "federationFile": "federation.json"}' >bad4.json
expect 2 "a data directory without a log is refused" -- "$CUSTOSD" --config bad4.json --check-config
contains err.txt "dataDir" "the error names dataDir"

# --- start, and the command line against it
start_node
NODE=(--node "$ADDR" --node-vkey "$NODE_VKEY")
expect 0 "node status" -- "$CUSTOS" "${NODE[@]}" --key admin.key node status
contains out.txt "log $ORIGIN own size 1" "status shows the own log and its size"
contains out.txt "peer suzhou-psb.example/custos public-security-bureau 127.0.0.1:2 disconnected" "status lists the peer"
expect 0 "node status --json" -- "$CUSTOS" "${NODE[@]}" --key admin.key node status --json
[ "$(json_field out.txt "['logs'][0]['size']")" = 1 ] && ok "status --json: size" || bad "status --json: $(cat out.txt)"

expect 2 "a key the log does not know is refused" -- "$CUSTOS" "${NODE[@]}" --key stranger.key checkpoint
contains err.txt "refused the key" "the refusal says the node refused our key"
contains err.txt "TLS handshake failed: the peer refused us" "the refusal happened at the TLS layer"
expect 2 "pinning another node key is refused" -- "$CUSTOS" --node "$ADDR" --node-vkey "$PEER_VKEY" --key admin.key checkpoint
contains err.txt "--node-vkey" "the refusal names --node-vkey"
contains err.txt "is not allowed" "the client refused the node's key at the TLS layer"

expect 0 "the admin grants the officer through the node" -- "$CUSTOS" "${NODE[@]}" --key admin.key submit --statement "$EXAMPLES/key-grant.json"
[[ "$(cat out.txt)" =~ ^1\ [A-Za-z0-9+/]{43}=$ ]] && ok "submit prints '<index> <base64 leaf hash>'" || bad "submit output: $(cat out.txt)"
expect 2 "a federation peer may read but not submit" -- "$CUSTOS" "${NODE[@]}" --key peer.key submit --statement "$EXAMPLES/case-opened.json"
contains err.txt "federation peers and readers may read, not submit" "the refusal says why"

for kind in evidence-registered case-opened case-referred; do
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))" "$EXAMPLES/$kind.json" >>batch.jsonl
done
expect 0 "submit --batch through the node" -- "$CUSTOS" "${NODE[@]}" --key officer.key submit --batch batch.jsonl
[ "$(wc -l <out.txt)" = 3 ] && [ "$(head -c 2 out.txt)" = "2 " ] && ok "three receipts, from index 2" || bad "batch receipts: $(cat out.txt)"
expect 0 "submit --json includes the receipt's proof" -- "$CUSTOS" "${NODE[@]}" --key officer.key submit --json --statement "$EXAMPLES/case-closed.json"
python3 -c "import json,sys; sys.stdout.write(json.load(open('out.txt'))['appended'][0]['proof'])" >receipt.proof
contains receipt.proof "c2sp.org/tlog-proof@v1" "the receipt is a tlog-proof"
"$CUSTOS" "${NODE[@]}" --key officer.key entry --index 5 >receipt.entry
expect 0 "the receipt verifies offline" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof receipt.proof --entry receipt.entry

expect 0 "checkpoint through the node" -- "$CUSTOS" "${NODE[@]}" --key officer.key checkpoint
[ "$(sed -n 1p out.txt)" = "$ORIGIN" ] && [ "$(sed -n 2p out.txt)" = 6 ] && ok "checkpoint: origin, size 6" || bad "checkpoint: $(cat out.txt)"
cp out.txt checkpoint.before
expect 0 "entry --index 3 through the node" -- "$CUSTOS" "${NODE[@]}" --key officer.key entry --index 3
cp out.txt entry3.bin
expect 0 "entry --json" -- "$CUSTOS" "${NODE[@]}" --key officer.key entry --index 3 --json
contains out.txt '"caseOpened"' "entry 3 is the case opened"
expect 2 "entry past the end" -- "$CUSTOS" "${NODE[@]}" --key officer.key entry --index 99
expect 0 "prove inclusion through the node" -- "$CUSTOS" "${NODE[@]}" --key officer.key prove inclusion --index 3
cp out.txt entry3.proof
expect 0 "the proof verifies offline with custos verify" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof entry3.proof --entry entry3.bin
contains out.txt "OK" "custos verify says OK"
expect 1 "the proof does not verify another entry" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof entry3.proof --entry receipt.entry
expect 0 "prove consistency through the node" -- "$CUSTOS" "${NODE[@]}" --key officer.key prove consistency --old 2
[ "$(wc -l <out.txt)" -ge 1 ] && ok "consistency proof has hashes" || bad "consistency: $(cat out.txt)"
expect 0 "environment variables stand for the options" -- env CUSTOS_NODE="$ADDR" CUSTOS_KEY=officer.key CUSTOS_NODE_VKEY="$NODE_VKEY" "$CUSTOS" checkpoint
cmp -s out.txt checkpoint.before && ok "same checkpoint through the environment" || bad "env checkpoint: $(cat out.txt)"
expect 2 "--data and --node together are refused" -- "$CUSTOS" "${NODE[@]}" --key officer.key checkpoint --data data

# --- hostile input: the node answers it with an error and stays up
HOST=${ADDR%:*}
PORT=${ADDR##*:}
if exec 3<>"/dev/tcp/$HOST/$PORT"; then
  # The node may hang up before all of it is sent: no SIGPIPE for the script.
  (trap '' PIPE; printf 'GET / HTTP/1.1\r\nHost: custos\r\n\r\n%0500d' 0 >&3) 2>/dev/null
  timeout 10 cat <&3 >/dev/null
  exec 3<&-
  ok "a raw socket sending garbage is hung up on"
else
  bad "could not open a raw socket to $ADDR"
fi
python3 -c "
import json, sys
line = json.dumps(json.load(open(sys.argv[1])))
open('big.jsonl', 'w').write((line + '\n') * 4097)" "$EXAMPLES/case-closed.json"
expect 2 "a submit call of 4097 items is refused" -- "$CUSTOS" "${NODE[@]}" --key officer.key submit --batch big.jsonl --per-call 5000
contains err.txt "submissions: 4097 items, over the limit of 4096 per call" "the error names the limit"
expect 0 "the node still answers" -- "$CUSTOS" "${NODE[@]}" --key officer.key node status
contains out.txt "own size 6" "nothing of the refused call was appended"
contains node.log "[$ORIGIN]" "every log line names the node's origin"

# A revoked key is refused on its next connection.
printf '{"origin": "%s", "body": {"keyRevoke": {"key": "%s", "reason": "device lost"}}}\n' "$ORIGIN" \
  2289e2ac94b4ae603249716db691931571a2c8093619203fa996e4b203fd2427 >revoke-officer.json
expect 0 "the admin revokes the officer" -- "$CUSTOS" "${NODE[@]}" --key admin.key submit --statement revoke-officer.json
expect 2 "the revoked officer is refused at the TLS layer" -- "$CUSTOS" "${NODE[@]}" --key officer.key checkpoint
contains err.txt "the peer refused us" "the refusal comes from the TLS handshake"

# --- stop and restart with the same log
"$CUSTOS" "${NODE[@]}" --key admin.key checkpoint >checkpoint.before
stop_node TERM
contains node.log "stopped cleanly" "the node says it stopped cleanly"
expect 0 "the log verifies offline after the stop" -- "$CUSTOS" log verify --data data
expect 0 "--data runs offline even with CUSTOS_NODE set" -- env CUSTOS_NODE=127.0.0.1:1 "$CUSTOS" checkpoint --data data
cmp -s out.txt checkpoint.before && ok "the offline checkpoint is the node's last" || bad "offline checkpoint: $(cat out.txt)"
start_node
NODE=(--node "$ADDR" --node-vkey "$NODE_VKEY")
expect 0 "checkpoint after the restart" -- "$CUSTOS" "${NODE[@]}" --key admin.key checkpoint
cmp -s out.txt checkpoint.before && ok "the restarted node serves the same log" || bad "after restart: $(cat out.txt)"
expect 0 "the restarted node appends" -- "$CUSTOS" "${NODE[@]}" --key admin.key submit --statement "$EXAMPLES/key-grant.json"
contains out.txt "7 " "the next index follows the old ones"
stop_node INT

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "--- the end of node.log:"; tail -20 node.log; exit 1; }
