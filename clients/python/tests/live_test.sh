#!/usr/bin/env bash
# The Python verifier (clients/python, docs/verify-python.md) against real
# custosd processes on 127.0.0.1: a federation of two nodes (ipb, psb; each
# the other's witness, quorum 1), ipb's log with two listings of a company
# and one of a person. Over HTTP it fetches ipb's checkpoint (an older one
# and the latest), an entry answer, a consistency answer, and listing
# answers (listed, not listed, a person; from ipb and from psb's replica),
# runs `python3 -m custos_verify` on each and checks the verdicts, checks
# that `custos listing verify` agrees on the same answers, and that tampered
# copies are refused with exit 1 and the field named.
# Usage: live_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
# CUSTOS_PYTHON: the interpreter (default /usr/bin/python3, which has Debian's
# python3-nacl). CAPTURE_DIR=DIR also copies the answers into DIR (the unit
# tests' fixtures, clients/python/tests/data); KEEP_WORK=1 keeps the folder.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PYDIR=$(cd "$HERE/.." && pwd)
# shellcheck source=../../../tests/node/federation_setup.sh
source "$HERE/../../../tests/node/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
COMPANY=91320583MA1WR6T306
OTHER=91350100M000100Y43
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau
# Two nodes: a log has one other witness, so the policy asks for 1 cosignature.
python3 - <<'PY'
import json
f = json.load(open("federation.json"))
f["witnessPolicy"]["quorum"] = 1
json.dump(f, open("federation.json", "w"), indent=1)
PY
"$CUSTOS" key token --name py-verifier --json >token.json
TOKEN=$(json_field token.json "['token']")
fed_read_token ipb token.json
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
for n in ipb psb; do check "custosd $n starts" fed_start $n; done

# verify ARGS...: the verifier under test, with Debian's python3 (PyNaCl) and the package on the path.
PY=${CUSTOS_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
printf '#!/usr/bin/env bash\nPYTHONPATH=%q exec %q -m custos_verify "$@"\n' "$PYDIR" "$PY" >verify
chmod +x verify
check "PyNaCl is importable (apt-get install python3-nacl)" "$PY" -c 'import nacl.signing'

# statement FILE [PYTHON]: the example for ipb's log, edited by PYTHON over `s`, as one JSON line.
statement() {
  python3 - "$EXAMPLES/$1.json" "$IPB" "${2:-pass}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
exec(sys.argv[3])
print(json.dumps(s, ensure_ascii=False))
PY
}
statement key-grant >grant.jsonl
granted() { fed_cli ipb submit --batch grant.jsonl >/dev/null; }
check "the officer is granted on ipb" granted
IPB_TLOG="$(fed_http ipb)/tlog/$IPB"
# cosigned_at SIZE: ipb serves a checkpoint of SIZE with psb's cosignature.
cosigned_at() { curl -sf "$IPB_TLOG/checkpoint" >cp.now && sed -n 2p cp.now | grep -qx "$1" && grep -q "^— $PSB " cp.now; }
eventually 30 "ipb's checkpoint at size 2 carries psb's cosignature" cosigned_at 2
cp cp.now checkpoint-old.txt

statement subject-listed >listings.jsonl
statement subject-listed "s['body']['subjectListed']['decisionNumber'] = '苏知信列字〔2024〕第6号'" >>listings.jsonl
expect 0 "the officer lists the company twice" -- "$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" \
  --key officer.key submit --batch listings.jsonl
person_listed "$EXAMPLES"
python3 - person-listed.json "$IPB" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["origin"] = sys.argv[2]; json.dump(s, open(sys.argv[1], "w"), ensure_ascii=False)
PY
printf '{"residentId": "320583198503152620", "name": "王秀兰"}\n' >person.json
expect 0 "the officer lists a person (--private)" -- "$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" \
  --key officer.key submit --statement person-listed.json --private person.json --json
PERSON_INDEX=$(json_field out.txt "['appended'][0]['index']")
eventually 30 "ipb's checkpoint at size 5 carries psb's cosignature" cosigned_at 5
cp cp.now checkpoint.txt
psb_holds() { [ "$(fed_json psb "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]")" = 5 ]; }
eventually 30 "psb's replica holds ipb's 5 entries" psb_holds

# get NAME URL [CURL ARGS...]: the body in NAME; ok if 200.
get() {
  local name=$1 url=$2
  shift 2
  [ "$(curl -s -o "$name" -w '%{http_code}' "$@" "$url")" = 200 ]
}
AUTH=(-H "Authorization: Bearer $TOKEN")
check "GET the entry answer of entry 2" get entry.json "$(fed_http ipb)/v1/logs/$IPB/entries/2" "${AUTH[@]}"
check "GET the entry answer of entry 1 (the grant)" get entry-grant.json "$(fed_http ipb)/v1/logs/$IPB/entries/1" "${AUTH[@]}"
check "GET the entry answer of the person's listing" get entry-person.json \
  "$(fed_http ipb)/v1/logs/$IPB/entries/$PERSON_INDEX" "${AUTH[@]}"
check "an entry answer needs the read token" [ "$(curl -s -o /dev/null -w '%{http_code}' "$(fed_http ipb)/v1/logs/$IPB/entries/2")" = 401 ]
check "GET the consistency answer from size 2" get consistency.json "$(fed_http ipb)/v1/logs/$IPB/consistency?old=2" "${AUTH[@]}"
check "GET the listing answer of the company" get listing-listed.json "$(fed_http ipb)/v1/listings/org/$COMPANY"
check "GET the listing answer of another company" get listing-not-listed.json "$(fed_http ipb)/v1/listings/org/$OTHER"
fed_cli ipb entry --index "$PERSON_INDEX" --json >person-entry.json
DIGEST=$(json_field person-entry.json "['submission']['statement']['body']['subjectListed']['privateDigest']")
check "GET the listing answer of the person" get listing-person.json "$(fed_http ipb)/v1/listings/person/$DIGEST"
# psb's answer holds its replica of ipb's log, with psb's own cosignature on it.
replica_answers() { get listing-psb.json "$(fed_http psb)/v1/listings/org/$COMPANY" && "$PWD/verify" listing --trust federation.json listing-psb.json; }
eventually 30 "psb's answer for the company verifies (its replica of ipb's log)" replica_answers

# ------------------------------------------------------------------ verdicts
expect 0 "checkpoint: verified" -- ./verify checkpoint --trust federation.json checkpoint.txt
contains out.txt "OK: checkpoint of $IPB at size 5 verified: signed by its origin, cosigned by $PSB" "the verdict names the cosigner"
expect 0 "checkpoint from stdin, --json" -- sh -c './verify checkpoint --trust federation.json --json - <checkpoint.txt'
check "--json: verified, size 5" [ "$(json_field out.txt "['verified']") $(json_field out.txt "['size']")" = "True 5" ]
expect 0 "entry: verified" -- ./verify entry --trust federation.json --origin "$IPB" --index 2 entry.json
contains out.txt "OK: entry 2 of $IPB (subjectListed" "the verdict names the entry and its kind"
expect 0 "entry: the grant verifies" -- ./verify entry --trust federation.json entry-grant.json
contains out.txt "OK: entry 1 of $IPB (keyGrant" "the grant is a keyGrant"
expect 0 "entry: the person's listing verifies" -- ./verify entry --trust federation.json entry-person.json
expect 0 "consistency: verified" -- ./verify consistency --trust federation.json --old-checkpoint checkpoint-old.txt consistency.json
contains out.txt "at size 5 extends its checkpoint at size 2" "the verdict names both sizes"
expect 0 "listing, listed: verified" -- ./verify listing --trust federation.json --id "${COMPANY,,}" listing-listed.json
contains out.txt "OK: $COMPANY (org) is listed" "the verdict says listed"
contains out.txt "$IPB listed (entry 2, publication ends 2029-05-31T15:59:00Z, entry 3" "both listings are shown"
expect 0 "listing, not listed: verified, with a part for every log" -- \
  ./verify listing --trust federation.json --all-logs listing-not-listed.json
contains out.txt "OK: $OTHER (org) is not listed" "the verdict says not listed"
expect 0 "listing of a person: verified" -- ./verify listing --trust federation.json --kind person --id "$DIGEST" listing-person.json
contains out.txt "OK: $DIGEST (person) is listed" "the person is listed"
expect 0 "listing judged after the publication end" -- ./verify listing --trust federation.json --at 2029-06-01T00:00:00Z listing-listed.json
contains out.txt "is not listed at 2029-06-01T00:00:00Z" "the lapsed listings count as not listed"
contains out.txt "publication ended" "the listings are shown as lapsed"

# custos listing verify reads the canonical "answer" of the same JSON: the same verdict.
"$PY" -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["answer"]))' \
  listing-listed.json >listed.bin
expect 0 "custos listing verify accepts the same answer" -- "$CUSTOS" listing verify listed.bin --trust federation.json --json
check "custos agrees: listed" [ "$(json_field out.txt "['listed']")" = True ]

# ------------------------------------------------------------------ tampered copies
# tamper IN OUT PYTHON: OUT is the JSON of IN changed by PYTHON over `a`.
tamper() {
  "$PY" - "$1" "$2" "$3" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(a, open(sys.argv[2], "w"), ensure_ascii=False)
PY
}
# refused FILE TEXT WHAT COMMAND...: the verifier exits 1 on FILE, printing TEXT.
refused() {
  local file=$1 text=$2 what=$3
  shift 3
  expect 1 "$what is refused" -- ./verify "$@" "$file"
  contains out.txt "$text" "$what: the reason names it"
  check "$what: no traceback" [ ! -s err.txt ]
}
"$PY" - <<'PY'
import base64
lines = open("checkpoint.txt").read().split("\n")
root = bytearray(base64.b64decode(lines[2])); root[0] ^= 1
lines[2] = base64.b64encode(bytes(root)).decode()
open("cp-root.txt", "w").write("\n".join(lines))
PY
refused cp-root.txt "FAILED: checkpoint of $IPB: the origin's signature: note: invalid signature" \
  "a checkpoint with a flipped root byte" checkpoint --trust federation.json
grep -v "^— $PSB " checkpoint.txt >cp-nocosig.txt
refused cp-nocosig.txt "FAILED: witness policy: 1 of 1 cosignatures are required" \
  "a checkpoint without its cosignature" checkpoint --trust federation.json
"$CUSTOS" key generate --name "$IPB" --out impostor.key >/dev/null
python3 - "$("$CUSTOS" key show --key impostor.key)" <<'PY'
import json, sys
f = json.load(open("federation.json"))
f["peers"][0]["verifierKey"] = sys.argv[1]
json.dump(f, open("wrong-key.json", "w"))
PY
refused checkpoint.txt "FAILED: checkpoint of $IPB: the origin's signature: note: no signature by key" \
  "a trust file with another key for ipb" checkpoint --trust wrong-key.json
refused listing-listed.json "FAILED: logs[0].checkpoint: checkpoint of $IPB: the origin's signature" \
  "a listing answer against another key for ipb" listing --trust wrong-key.json
tamper listing-listed.json flipped.json 'a["listed"] = False; a["logs"][0]["listed"] = False'
refused flipped.json "FAILED: logs[0].listed: the answer says false" "a listing answer with its verdict flipped" \
  listing --trust federation.json
tamper listing-listed.json dropped.json 'a["logs"][0]["listings"].pop()'
refused dropped.json "FAILED: logs[0].mapProof: map proof: the proof shows the subject listed with value" \
  "a listing answer that leaves a listing out" listing --trust federation.json
tamper listing-listed.json ends.json 'a["logs"][0]["listings"][0]["publicationEnds"] += 86400000'
refused ends.json "FAILED: logs[0].listings[0].publicationEnds: the answer says 1875023940000, the entry it proves says 1874937540000" \
  "a listing answer with a later publication end" listing --trust federation.json
tamper listing-listed.json proof.json 'a["logs"][0]["listings"][1]["inclusionProof"].pop()'
refused proof.json "FAILED: logs[0].listings[1].inclusionProof: listing at entry 3: inclusion proof: inclusion proof has" \
  "a listing answer with a truncated inclusion proof" listing --trust federation.json
tamper entry.json entry-index.json 'a["index"] = 3'
refused entry-index.json "FAILED: inclusionProof: the entry's bytes are not leaf 3" "an entry answer for another index" \
  entry --trust federation.json
curl -s "$(fed_http ipb)/v1/listings/org/${COMPANY%?}7" >invalid-id.json
refused invalid-id.json "FAILED: answer: the node refused the query (400 invalid-id): id: \"${COMPANY%?}7\" has a bad check" \
  "a problem detail instead of an answer" listing --trust federation.json
head -c 200 listing-listed.json >truncated.json
refused truncated.json "FAILED: answer: not valid JSON" "a truncated listing answer" listing --trust federation.json
expect 2 "a missing trust file is a usage error" -- ./verify listing --trust nowhere.json listing-listed.json
contains err.txt "custos_verify: --trust: cannot read nowhere.json" "the usage error names --trust"
expect 2 "an unknown subcommand is a usage error" -- ./verify robot --trust federation.json

if [ -n "${CAPTURE_DIR:-}" ]; then
  mkdir -p "$CAPTURE_DIR"
  cp federation.json "$CAPTURE_DIR/trust.json"
  cp checkpoint.txt checkpoint-old.txt entry.json entry-grant.json entry-person.json consistency.json listing-listed.json listing-not-listed.json \
    listing-person.json listing-psb.json "$CAPTURE_DIR/"
  echo "captured the answers into $CAPTURE_DIR"
fi
finish python_verify_live
