#!/usr/bin/env bash
# End-to-end tests of the `custos` command line contract (docs/cli.md):
# real binary, real LevelDB, temporary directories. Usage:
#   cli_test.sh CUSTOS_BINARY EXAMPLES_DIR [GOVERIFY_BINARY]
# With GOVERIFY_BINARY, also checks our checkpoints and proofs with Go's
# golang.org/x/mod/sumdb/note and sumdb/tlog; exits 77 (skipped) if it is
# asked for and missing.
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
EXAMPLES=$2
GOVERIFY=${3:-}
if [ -n "$GOVERIFY" ] && [ ! -x "$GOVERIFY" ]; then
  echo "SKIPPED: goverify was not built (needs golang-go and golang-golang-x-mod-dev)"
  exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"


ORIGIN=suzhou-ipb.example/custos

# --- keys
expect 0 "key generate prints a verifier key" -- "$CUSTOS" key generate --name "$ORIGIN" --out node.key
NODE_VKEY=$(cat out.txt)
[[ "$NODE_VKEY" =~ ^suzhou-ipb\.example/custos\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$ ]] && ok "verifier key has name+keyid+base64 form" || bad "verifier key form: $NODE_VKEY"
[ "$(stat -c %a node.key)" = 600 ] && ok "key file written with mode 0600" || bad "key file mode $(stat -c %a node.key)"
expect 0 "key show prints the same verifier key" -- "$CUSTOS" key show --key node.key
[ "$(cat out.txt)" = "$NODE_VKEY" ] && ok "key show matches key generate" || bad "key show differs"
expect 2 "key generate refuses to overwrite" -- "$CUSTOS" key generate --name x --out node.key
expect 0 "admin key" -- "$CUSTOS" key generate --name admin.li --out admin.key --json
ADMIN_VKEY=$(json_field out.txt "['verifierKey']")
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
cp officer.key loose.key && chmod 644 loose.key
expect 2 "a key file readable by others is refused" -- "$CUSTOS" key show --key loose.key
contains err.txt "chmod 600" "the refusal says how to fix the mode"
expect 2 "bad usage exits 2" -- "$CUSTOS" key generate --name only-name
expect 0 "--help exits 0" -- "$CUSTOS" submit --help
contains out.txt "--batch" "submit --help documents --batch"

# --- one command tree: the help is whole without --node, and a command is
# told which source it needs. No node is listening here (CUSTOS_NODE unset).
OFFLINE=(env -u CUSTOS_NODE -u CUSTOS_KEY -u CUSTOS_NODE_VKEY "$CUSTOS")
expect 0 "custos --help exits 0" -- "${OFFLINE[@]}" --help
for command in key log submit checkpoint entry prove verify node case audit listing evidence; do
  grep -qE "^  $command  " out.txt && ok "custos --help lists $command" || bad "custos --help does not list $command"
done
contains out.txt "--node-vkey" "custos --help documents the node options"
expect 0 "case trail --help without --node exits 0" -- "${OFFLINE[@]}" case trail --help
contains out.txt "CASE-ID" "case trail --help documents CASE-ID"
contains out.txt "--trust" "case trail --help documents --trust"
contains out.txt "--node HOST:PORT" "case trail --help says how to name the node"
expect 0 "node --help lists its commands" -- "${OFFLINE[@]}" node --help
contains out.txt "backup" "node --help lists node backup"
expect 0 "listing check --help without --node" -- "${OFFLINE[@]}" listing check --help
contains out.txt "--kind" "listing check --help documents --kind"
expect 2 "node status without a node is bad usage" -- "${OFFLINE[@]}" node status
contains err.txt "custos: invalid argument: --node: " "the error names --node"
expect 2 "case trail without a node is bad usage" -- "${OFFLINE[@]}" case trail SZIPB-2024-0017
contains err.txt "custos: invalid argument: --node: " "the error names --node"
expect 2 "checkpoint with --data and --node is refused" -- "${OFFLINE[@]}" checkpoint --data d --node 127.0.0.1:1
contains err.txt "custos: invalid argument: --data: give --data (offline) or --node, not both" "the error says to give one"
expect 2 "checkpoint with neither --data nor --node is refused" -- "${OFFLINE[@]}" checkpoint
contains err.txt "custos: invalid argument: --data" "the error names --data"
expect 2 "an offline command refuses --node" -- "${OFFLINE[@]}" --node 127.0.0.1:1 key show --key node.key
contains err.txt "custos: invalid argument: --node: \`key show\` runs offline; leave out --node" "the error says it runs offline"
expect 2 "an option only a node takes is refused with --data" -- "${OFFLINE[@]}" checkpoint --data d --origin x
contains err.txt "custos: invalid argument: --origin: " "the error names --origin"

# --- log init
expect 2 "init refuses a node key whose name is not the origin" -- "$CUSTOS" log init --data bad --origin other.example/log --node-key node.key --admin "$ADMIN_VKEY"
expect 2 "init refuses a malformed admin key" -- "$CUSTOS" log init --data bad2 --origin "$ORIGIN" --node-key node.key --admin "not-a-key"
expect 0 "log init" -- "$CUSTOS" log init --data d --origin "$ORIGIN" --node-key node.key --admin "$ADMIN_VKEY"
expect 2 "log init refuses an existing log" -- "$CUSTOS" log init --data d --origin "$ORIGIN" --node-key node.key --admin "$ADMIN_VKEY"
expect 0 "checkpoint" -- "$CUSTOS" checkpoint --data d
[ "$(sed -n 1p out.txt)" = "$ORIGIN" ] && [ "$(sed -n 2p out.txt)" = 1 ] && ok "genesis checkpoint: origin, size 1" || bad "genesis checkpoint: $(cat out.txt)"

# --- submit
expect 2 "an officer without a grant is refused" -- "$CUSTOS" submit --data d --key officer.key --statement "$EXAMPLES/evidence-registered.json"
contains err.txt "not known to this log" "the refusal names the reason"
expect 0 "admin grants the officer" -- "$CUSTOS" submit --data d --key admin.key --statement "$EXAMPLES/key-grant.json"
[[ "$(cat out.txt)" =~ ^1\ [A-Za-z0-9+/]{43}=$ ]] && ok "submit prints '<index> <base64 leaf hash>'" || bad "submit output: $(cat out.txt)"
# The examples in the walkthrough order of examples/README.md, each reference
# to an earlier entry given that entry's real leaf hash (the files carry
# placeholders); the rules (docs/rules.md) refuse any other order.
declare -A LEAF_HEX=()
# with_refs FILE: FILE with the leafHash of each reference to this log's entry
# N set to LEAF_HEX[N], and the statement's origin set to this log's.
with_refs() {
  python3 - "$1" "$ORIGIN" "$(for i in "${!LEAF_HEX[@]}"; do printf '%s=%s ' "$i" "${LEAF_HEX[$i]}"; done)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
leaves = dict(kv.split("=") for kv in sys.argv[3].split())
s["origin"] = sys.argv[2]
for b in s["body"].values():
    for v in b.values():
        if isinstance(v, dict) and v.get("origin") == sys.argv[2] and str(v.get("index")) in leaves:
            v["leafHash"] = leaves[str(v["index"])]
print(json.dumps(s, ensure_ascii=False))
PY
}
for name in case-opened evidence-registered custody-transferred custody-received evidence-examined case-referred \
  clue-shared case-decided evidence-disposed case-closed subject-listed subject-delisted; do
  with_refs "$EXAMPLES/$name.json" >"$name.json"
  expect 0 "submit $name.json" -- "$CUSTOS" submit --data d --key officer.key --statement "$name.json"
  read -r idx leaf <out.txt
  LEAF_HEX[$idx]=$(printf '%s' "$leaf" | base64 -d | od -An -v -tx1 | tr -d ' \n')
done
# A referral is answered by the agency it names, in its own log: the bureau
# cannot answer its own referral to the police (examples/referral-answered.json
# is for the police's log).
with_refs "$EXAMPLES/referral-answered.json" >referral-answered.json
expect 2 "the referring agency may not answer its own referral" -- "$CUSTOS" submit --data d --key officer.key --statement referral-answered.json
contains err.txt "only that agency may answer it" "the refusal names the rule"
expect 2 "evidence is not examined after it was returned" -- "$CUSTOS" submit --data d --key officer.key --statement "$EXAMPLES/evidence-examined.json"
contains err.txt "body.evidenceExamined.evidenceId: evidence SZIPB-2024-0017-E01 was released, returned or destroyed" "the refusal names the field and the reason"
expect 2 "the officer may not revoke keys" -- "$CUSTOS" submit --data d --key officer.key --statement "$EXAMPLES/key-revoke.json"
contains err.txt 'does not hold the role "admin"' "the refusal names the missing role"
cp d/ledger/CURRENT /dev/null
SIZE_BEFORE=$("$CUSTOS" checkpoint --data d | sed -n 2p)

# batch: all or nothing
# A second case (the first one is closed), its evidence and a clue.
python3 - "$EXAMPLES" <<'PY' >good.jsonl
import json, sys, os
for name in ["case-opened.json", "evidence-registered.json", "clue-shared.json"]:
    s = json.load(open(os.path.join(sys.argv[1], name)))
    b = next(iter(s["body"].values()))
    b["caseId"] = "SZIPB-2024-0018"
    if "evidenceId" in b:
        b["evidenceId"] = "SZIPB-2024-0018-E01"
    print(json.dumps(s, ensure_ascii=False))
PY
{ sed -n 1,2p good.jsonl; echo '{"origin": "suzhou-ipb.example/custos", "body": {"noSuchKind": {}}}'; } >bad.jsonl
expect 2 "a batch with an unknown statement kind is refused" -- "$CUSTOS" submit --data d --key officer.key --batch bad.jsonl
contains err.txt "bad.jsonl:3" "the refusal names the line"
[ "$("$CUSTOS" checkpoint --data d | sed -n 2p)" = "$SIZE_BEFORE" ] && ok "the refused batch appended nothing" || bad "log grew after a refused batch"
printf '{"origin": ' >trunc.json
expect 2 "malformed JSON is refused" -- "$CUSTOS" submit --data d --key officer.key --statement trunc.json
python3 - "$EXAMPLES" <<'PY' >badid.json
import json, sys, os
s = json.load(open(os.path.join(sys.argv[1], "case-opened.json")))
s["body"]["caseOpened"]["parties"][0]["id"] = "91320583MA1WR6T300"
print(json.dumps(s, ensure_ascii=False))
PY
expect 2 "an invalid unified social credit code is refused" -- "$CUSTOS" submit --data d --key officer.key --statement badid.json
contains err.txt "parties[0].id" "the refusal names the field"
expect 0 "a good batch" -- "$CUSTOS" submit --data d --key officer.key --batch good.jsonl
[ "$(wc -l <out.txt)" = 3 ] && ok "one receipt line per batch entry" || bad "batch receipts: $(cat out.txt)"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s["body"]["caseClosed"]["caseId"]="SZIPB-2024-0018"; print(json.dumps(s, ensure_ascii=False))' \
  "$EXAMPLES/case-closed.json" >case-closed-0018.json
expect 0 "submit --json" -- "$CUSTOS" submit --data d --key officer.key --statement case-closed-0018.json --json
LAST=$(json_field out.txt "['appended'][0]['index']")

# --- entries, proofs, offline verification
expect 0 "checkpoint --json" -- "$CUSTOS" checkpoint --data d --json
SIZE=$(json_field out.txt "['size']")
[ "$SIZE" = $((LAST + 1)) ] && ok "size is the last index + 1" || bad "size $SIZE, last $LAST"
"$CUSTOS" checkpoint --data d >cp.txt
expect 0 "entry --json" -- "$CUSTOS" entry --data d --index 2 --json
json_field out.txt "['submission']['statement']['body']" >/dev/null 2>&1 && ok "entry JSON holds the decoded statement" || bad "entry JSON"
expect 2 "entry past the end" -- "$CUSTOS" entry --data d --index 999999
expect 2 "entry with a non-numeric index" -- "$CUSTOS" entry --data d --index abc
"$CUSTOS" entry --data d --index 2 >e2.bin
"$CUSTOS" entry --data d --index 3 >e3.bin
expect 0 "prove inclusion" -- "$CUSTOS" prove inclusion --data d --index 2
cp out.txt p2.tlog-proof
[ "$(head -1 p2.tlog-proof)" = "c2sp.org/tlog-proof@v1" ] && ok "tlog-proof header" || bad "tlog-proof header"
expect 0 "verify a good proof offline" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof p2.tlog-proof --entry e2.bin
[ "$(cat out.txt)" = OK ] && ok "verify prints OK" || bad "verify printed $(cat out.txt)"
expect 1 "verify refuses another entry" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof p2.tlog-proof --entry e3.bin
expect 1 "verify refuses another log's key" -- "$CUSTOS" verify --vkey "$ADMIN_VKEY" --proof p2.tlog-proof --entry e2.bin
python3 - <<'PY'
import base64
lines = open("p2.tlog-proof").read().split("\n")
h = bytearray(base64.b64decode(lines[2])); h[0] ^= 1
lines[2] = base64.b64encode(bytes(h)).decode()
open("tampered.tlog-proof", "w").write("\n".join(lines))
PY
expect 1 "verify refuses a tampered proof hash" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof tampered.tlog-proof --entry e2.bin
sed 's/^\([0-9][0-9]*\)$/9\1/' p2.tlog-proof >tampered-size.tlog-proof
expect 1 "verify refuses a changed checkpoint" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof tampered-size.tlog-proof --entry e2.bin
head -c 40 p2.tlog-proof >trunc.tlog-proof
expect 2 "verify refuses a truncated proof file" -- "$CUSTOS" verify --vkey "$NODE_VKEY" --proof trunc.tlog-proof --entry e2.bin
expect 0 "prove inclusion at an older checkpointed size" -- "$CUSTOS" prove inclusion --data d --index 1 --size 2
expect 2 "prove at a size with no checkpoint" -- "$CUSTOS" prove inclusion --data d --index 1 --size 99999
expect 0 "prove consistency" -- "$CUSTOS" prove consistency --data d --old 3
cp out.txt cons.txt
expect 0 "log verify" -- "$CUSTOS" log verify --data d
contains out.txt "OK" "log verify prints OK"
expect 0 "log verify --json" -- "$CUSTOS" log verify --data d --json
[ "$(json_field out.txt "['ok']")" = True ] && ok "log verify --json says ok" || bad "log verify json"

# --- Go's verifiers accept our formats unchanged
if [ -z "$GOVERIFY" ]; then
  echo "skip - Go's checks of our checkpoints and proofs: goverify was not built (needs golang-go)"
else
  expect 0 "Go note.Open accepts our checkpoint" -- "$GOVERIFY" note "$NODE_VKEY" cp.txt
  expect 0 "Go tlog.CheckRecord accepts our inclusion proof" -- "$GOVERIFY" inclusion "$NODE_VKEY" p2.tlog-proof e2.bin
  expect 1 "Go rejects the tampered proof" -- "$GOVERIFY" inclusion "$NODE_VKEY" tampered.tlog-proof e2.bin
  "$CUSTOS" prove inclusion --data d --index 3 --size 4 >p3.tlog-proof
  sed '1,/^$/d' p3.tlog-proof >cp4.txt
  "$CUSTOS" prove consistency --data d --old 4 >cons4.txt
  expect 0 "Go tlog.CheckTree accepts our consistency proof" -- "$GOVERIFY" consistency "$NODE_VKEY" cp4.txt cp.txt cons4.txt
  for i in $(seq 0 $((SIZE - 1))); do
    "$CUSTOS" prove inclusion --data d --index "$i" >pi.tlog-proof && "$CUSTOS" entry --data d --index "$i" >ei.bin
    "$GOVERIFY" inclusion "$NODE_VKEY" pi.tlog-proof ei.bin >/dev/null || bad "Go rejects the proof of entry $i"
  done
  ok "Go accepts the inclusion proof of every entry"
fi

finish cli_test
