#!/usr/bin/env bash
# A three-node scenario, end to end, on real custosd processes on
# 127.0.0.1: a city IP bureau (ipb), the public security bureau (psb) and the
# procuratorate (pro), which follows both and answers every query.
#
#   case 1  ipb opens it, registers evidence, sends the evidence to psb and
#           refers the case to psb (crime suspected); psb receives custody and
#           answers; ipb decides and closes.
#   case 2  flagged as a suspected crime (referred to the procuratorate, not to
#           the police), decided with a fine and closed: never referred to
#           public security. The company is listed for it (the listing lapses
#           and is never delisted) — an earlier listing was delisted.
#   case 3  referred to psb with evidence and a short answer deadline; psb never
#           answers nor receives the evidence.
#
# Then, from pro: the case trail of case 1 (every entry of both logs, in
# order) and each finding of the referral audit, with the answers' proofs and
# checkpoints checked by the command line. Deadlines are short and the audit's
# --at is a day ahead, so nothing sleeps.
#
# Other queries add their checks in the marked places below.
# Usage: scenario_test.sh CUSTOSD CUSTOS EXAMPLES_DIR   (KEEP_WORK=1 keeps the folder)
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
C1=SZIPB-2024-0017
C2=SZIPB-2024-0021
C3=SZIPB-2024-0033
DAY=86400000
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
# The client's own witness policy for most checks: one cosignature, met as
# soon as the serving node cosigned; the federation's quorum of 2 is checked
# below once a cosigning round has gone by.
python3 - <<'PY'
import json
f = json.load(open("federation.json"))
f["witnessPolicy"]["quorum"] = 1
json.dump(f, open("trust-1.json", "w"), indent=1)
PY

# stmt EXAMPLE ORIGIN [PYTHON] > FILE: the example for ORIGIN's log, changed by PYTHON over `b` (its body).
stmt() { fed_statement "$EXAMPLES/$1.json" "$2" "${3:-}"; }
# put NAME EXAMPLE [PYTHON]: the officer submits the changed example to NAME's
# log; sets AT_INDEX and AT_LEAF (hex) of the appended entry.
put() {
  local name=$1 example=$2 code=${3:-}
  stmt "$example" "$(fed_origin "$name")" "$code" >stmt.json || return 1
  FED_KEY=officer.key fed_cli "$name" submit --statement stmt.json --json >put.json 2>put.err || {
    echo "refused: $(cat put.err)" >&2
    return 1
  }
  read -r AT_INDEX AT_LEAF < <(python3 -c '
import base64, json, sys
a = json.load(open("put.json"))["appended"][0]
print(a["index"], base64.b64decode(a["leafHash"]).hex())')
  [ -n "$AT_LEAF" ]
}
# ref NAME: a LogRef (as Python) to the entry `put` last appended to NAME's log.
ref() { printf '{"origin": "%s", "index": %s, "leafHash": "%s"}' "$(fed_origin "$1")" "$AT_INDEX" "$AT_LEAF"; }
grant() {
  stmt key-grant "$(fed_origin "$1")" >"grant-$1.json"
  fed_cli "$1" submit --statement "grant-$1.json" >/dev/null
}
size_of() { fed_json "$1" "[l['size'] for l in s['logs'] if l['origin'] == '$2'][0]"; }
# holds NAME PEER: NAME's replica of PEER's log is as large as PEER's own log.
holds() { [ "$(size_of "$1" "$(fed_origin "$2")")" = "$(size_of "$2" "$(fed_origin "$2")")" ]; }
now_ms() { date +%s%3N; }

# ------------------------------------------------------------------ the federation
# pro answers HTTP queries to one read token (docs/http-api.md).
"$CUSTOS" key token --name prosecutor --json >token.json
TOKEN=$(json_field token.json "['token']")
fed_read_token pro token.json
for n in ipb psb pro; do check "custosd $n starts" fed_start $n; done
check "officer granted on ipb" grant ipb
check "officer granted on psb" grant psb

# ------------------------------------------------------------------ case 1: referred, received, answered, decided
declare -A E=()  # what each step appended: "origin index"
step() {  # step KEY NAME EXAMPLE [PYTHON]: put, and remember where
  local key=$1
  shift
  if put "$@"; then
    E[$key]="$(fed_origin "$1") $AT_INDEX"
    ok "$key appended to $1's log at $AT_INDEX"
  else
    bad "$key appended to $1's log"
  fi
}
step c1-opened ipb case-opened
step c1-registered ipb evidence-registered
step c1-sent ipb custody-transferred "b['toHolder'] = '苏州市公安局经侦支队'; b['toOrigin'] = '$PSB'"
SENT1=$(ref ipb)
step c1-referred ipb case-referred "b['answerBy'] = $(now_ms) + $DAY"
REFERRAL1=$(ref ipb)
check "psb holds ipb's log" fed_wait 60 holds psb ipb
step c1-received psb custody-received "b['transfer'] = $SENT1; b['holder'] = '苏州市公安局经侦支队'"
step c1-answered psb referral-answered "b['referral'] = $REFERRAL1"
step c1-decided ipb case-decided
step c1-closed ipb case-closed

# ------------------------------------------------------------------ case 2: suspected crime, fined, never referred to police
step c2-opened ipb case-opened "b['caseId'] = '$C2'"
step c2-flagged ipb case-referred "b.update(caseId='$C2', toOrigin='$PRO', evidenceIds=[], answerBy=0)"
step c2-decided ipb case-decided "b['caseId'] = '$C2'; b['fineYuan'] = 50000"
step c2-closed ipb case-closed "b['caseId'] = '$C2'"
step c2-listed-before ipb subject-listed "b.update(caseRef='$C2', listedFrom=$(now_ms) - $DAY, publicationEnds=$(now_ms) + $DAY)"
step c2-delisted ipb subject-delisted "b['listing'] = $(ref ipb)"
START=$(now_ms)
step c2-listed ipb subject-listed "b.update(caseRef='$C2', listedFrom=$START - $DAY, publicationEnds=$START + 4000)"

# ------------------------------------------------------------------ case 3: referral never answered, evidence never received
step c3-opened ipb case-opened "b['caseId'] = '$C3'"
step c3-registered ipb evidence-registered "b.update(caseId='$C3', evidenceId='$C3-E01'); b['digests'][0]['value'] = '00' * 32"
step c3-sent ipb custody-transferred "b.update(evidenceId='$C3-E01', toHolder='苏州市公安局经侦支队', toOrigin='$PSB')"
# A minute ahead: the referral is refused if its deadline has passed when it is
# logged (docs/rules.md), which 2 s did not leave room for under ASan.
DUE3=$(($(now_ms) + 60000))
step c3-referred ipb case-referred "b.update(caseId='$C3', evidenceIds=['$C3-E01'], answerBy=$DUE3)"
AT=$((START + DAY))

# ------------------------------------------------------------------ the procuratorate holds both logs
check "pro holds ipb's log" fed_wait 60 holds pro ipb
check "pro holds psb's log" fed_wait 60 holds pro psb
# ./pro-cli ARGS...: the command line against pro, as one program (`expect` runs it under timeout).
printf '#!/bin/sh\nexec %q --node %q --node-vkey %q --key %q "$@"\n' "$CUSTOS" "$(fed_addr pro)" "$(fed_vkey pro)" \
  "$FED_DIR/pro/admin.key" >pro-cli
chmod +x pro-cli
trail_trusted() { ./pro-cli case trail "$C1" --trust trust-1.json --json >/dev/null 2>&1; }
check "pro's replicas are cosigned (the trail checks with --trust)" fed_wait 60 trail_trusted

# ------------------------------------------------------------------ case trail
expect 0 "case trail of case 1 from pro, checked with --trust" -- ./pro-cli case trail "$C1" --trust trust-1.json --json
cp out.txt trail.json
want_trail() {
  local k
  for k in c1-opened c1-registered c1-sent c1-referred c1-received c1-answered c1-decided c1-closed; do echo "${E[$k]}"; done
}
got_trail() { python3 -c 'import json; [print(e["origin"], e["index"]) for e in json.load(open("trail.json"))["entries"]]'; }
check "the trail is case 1's eight entries of both logs, in order" diff <(want_trail) <(got_trail)
check "the trail names each entry's kind" [ "$(python3 -c 'import json; print(" ".join(e["kind"] for e in json.load(open("trail.json"))["entries"]))')" = \
  "case-opened evidence-registered custody-transferred case-referred custody-received referral-answered case-decided case-closed" ]
check "the trail is in logTime order" python3 -c '
import json; t = [e["logTime"] for e in json.load(open("trail.json"))["entries"]]; assert t == sorted(t), t'
check "the trail names the checkpoints of the three logs it searched" \
  [ "$(json_field trail.json "['logs'].__len__()")" = 3 ]
expect 0 "case trail as text" -- ./pro-cli case trail "$C1"
contains out.txt "case $C1: 8 entries in 3 logs" "the text trail counts the entries and logs"
contains out.txt "#${E[c1-received]#* }  custody-received" "the text trail lists psb's receipt"
contains out.txt "checkpoint $IPB size" "the text trail names ipb's checkpoint"
expect 0 "an unknown case has an empty trail" -- ./pro-cli case trail NO-SUCH-CASE --json
check "… with no entries" [ "$(json_field out.txt "['entries'].__len__()")" = 0 ]
# A replica keeps the other witnesses' cosignatures as the origin serves them
# (docs/replication.md), so the federation's own quorum of 2 is met once a
# cosigning round has gone by; a quorum of 3 never is (an origin does not
# cosign its own log).
eventually 30 "with the federation's quorum of 2, the trail checks once the other witnesses' cosignatures are kept" \
  ./pro-cli case trail "$C1" --trust federation.json
python3 - <<'PY'
import json
f = json.load(open("federation.json"))
f["witnessPolicy"]["quorum"] = 3
json.dump(f, open("trust-3.json", "w"), indent=1)
PY
expect 1 "with a quorum of 3, no checkpoint of the trail meets the policy" -- \
  ./pro-cli case trail "$C1" --trust trust-3.json
contains err.txt "the witness policy needs 3" "… and the error names the quorum"
python3 - "$IPB" "$("$CUSTOS" key generate --name "$IPB" --out impostor.key >/dev/null && "$CUSTOS" key show --key impostor.key)" <<'PY'
import json, sys
f = json.load(open("trust-1.json"))
for p in f["peers"]:
    if p["origin"] == sys.argv[1]:
        p["verifierKey"] = sys.argv[2]
json.dump(f, open("trust-impostor.json", "w"), indent=1)
PY
expect 1 "a trust file with another key for ipb: its checkpoint fails the check" -- \
  ./pro-cli case trail "$C1" --trust trust-impostor.json
contains err.txt "checkpoint of $IPB: the origin's signature" "… and the error names the log and the signature"
expect 1 "the audit is checked the same way" -- ./pro-cli audit referrals --at "$AT" --trust trust-impostor.json
expect 2 "a trust file that does not parse is bad input" -- ./pro-cli case trail "$C1" --trust stmt.json
expect 2 "case trail without --node says to give one" -- "$CUSTOS" case trail "$C1"

# ------------------------------------------------------------------ referral audit
expect 0 "referral audit from pro a day later, checked with --trust" -- \
  ./pro-cli audit referrals --at "$AT" --format json --trust trust-1.json
cp out.txt audit.json
# finding KIND CASE KEY...: exactly one finding of KIND about CASE, resting on exactly these entries.
finding() {
  local kind=$1 case=$2
  shift 2
  local want="" k
  for k in "$@"; do want+="${E[$k]};"; done
  python3 - "$kind" "$case" "$want" <<'PY'
import json, sys
kind, case, want = sys.argv[1], sys.argv[2], sys.argv[3]
found = [f for f in json.load(open("audit.json"))["findings"] if f["kind"] == kind and f["caseId"] == case]
assert len(found) == 1, found
got = "".join("%s %d;" % (e["origin"], e["index"]) for e in found[0]["entries"])
assert got == want, (got, want)
PY
}
check "audit: case 3's referral is unanswered past its deadline" finding referral-unanswered "$C3" c3-referred
check "audit: case 2 was a suspected crime fined and closed with no referral to police" \
  finding suspected-crime-not-referred "$C2" c2-flagged c2-decided c2-closed
check "audit: case 3's evidence never arrived at psb" finding evidence-not-received "$C3" c3-sent c3-referred
check "audit: case 2's listing passed its publication end, never delisted" finding listing-lapsed-not-delisted "$C2" c2-listed
check "audit: nothing else (case 1 and the delisted listing are in order)" [ "$(json_field audit.json "['findings'].__len__()")" = 4 ]
check "audit: only ipb's log is audited (the one bureau)" [ "$(json_field audit.json "['audited'].__len__()")" = 1 ]
check "audit: ipb's log is audited up to its checkpoint" [ "$(json_field audit.json "['audited'][0]['origin']")" = "$IPB" ]
check "audit: every entry of ipb's log was scanned" [ "$(json_field audit.json "['entriesScanned']")" = "$(size_of ipb "$IPB")" ]
expect 0 "referral audit as CSV" -- ./pro-cli audit referrals --at "$AT" --format csv
check "CSV: a header row and one row per finding" [ "$(wc -l <out.txt)" = 5 ]
check "CSV: the header" [ "$(head -1 out.txt)" = "kind,origin,case_id,subject,deadline,detail,entries" ]
contains out.txt "referral-unanswered,$IPB,$C3,$PSB,$DUE3," "CSV: the unanswered referral's row, with its deadline"
expect 0 "referral audit as text" -- ./pro-cli audit referrals --at "$AT"
contains out.txt "4 findings" "text: counts the findings"
contains out.txt "rests on $IPB #${E[c3-referred]#* } case-referred" "text: names the entries a finding rests on"
expect 0 "referral audit before the deadlines" -- ./pro-cli audit referrals --at "$((START + 1000))" --json
check "… finds no unanswered referral and no lapsed listing yet" \
  [ "$(python3 -c 'import json; print(sorted(f["kind"] for f in json.load(open("out.txt"))["findings"]))')" = \
    "['evidence-not-received', 'suspected-crime-not-referred']" ]
expect 0 "--at takes a UTC time" -- ./pro-cli audit referrals --at 2030-01-01T00:00:00Z --json
check "… as that time" [ "$(json_field out.txt "['at']")" = 1893456000000 ]
expect 2 "--format must be text, json or csv" -- ./pro-cli audit referrals --format xml
contains err.txt "--format" "… and the error names the option"
expect 2 "--at must be a time" -- ./pro-cli audit referrals --at yesterday
contains err.txt "--at" "… and the error names the option"

# ------------------------------------------------------------------ the same over HTTP
# pro_get FILE PATH: GET PATH from pro's HTTP read plane with the read token; prints the status.
pro_get() { curl -s -H "Authorization: Bearer $TOKEN" -o "$1" -w '%{http_code}' "$(fed_http pro)$2"; }
# same_entries A B: the two answers cite the same entries (origin, index, leaf hash), in order.
same_entries() {
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
def cited(answer):
    if "findings" not in answer:
        return [(e["origin"], e["index"], e["leafHash"], e["kind"]) for e in answer["entries"]]
    # HTTP's findings give positions in the answer's entries; the CLI's the entries.
    pool = answer.get("entries")
    return [(f["kind"], [(e["origin"], e["index"], e["leafHash"])
                         for e in ([pool[i] for i in f["entries"]] if pool is not None else f["entries"])])
            for f in answer["findings"]]
assert cited(a) == cited(b), (cited(a), cited(b))
PY
}
check "GET /v1/cases/<case 1> from pro: 200" [ "$(pro_get http-trail.json "/v1/cases/$C1")" = 200 ]
check "  the same eight entries as the CLI's checked trail, with leaf hashes and kinds" same_entries http-trail.json trail.json
check "  each with its inclusion proof and canonical bytes" python3 -c '
import json; e = json.load(open("http-trail.json"))["entries"]; assert all(x["entry"] and "inclusionProof" in x for x in e)'
check "  and the checkpoints of the three logs searched" [ "$(json_field http-trail.json "['logs'].__len__()")" = 3 ]
check "GET /v1/cases/… without a token: 401" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$(fed_http pro)/v1/cases/$C1")" = 401 ]
check "GET /v1/audit/referrals?at=…: 200" [ "$(pro_get http-audit.json "/v1/audit/referrals?at=$AT")" = 200 ]
check "  the same four findings on the same entries as the CLI's checked audit" same_entries http-audit.json audit.json
check "  ipb's log audited, every entry scanned" \
  [ "$(json_field http-audit.json "['audited'][0]['origin'] + ' ' + str(json.load(open('http-audit.json'))['entriesScanned'])")" = \
    "$IPB $(size_of ipb "$IPB")" ]
./pro-cli audit referrals --at "$AT" --format csv >cli-audit.csv
check "GET /v1/audit/referrals?at=…&format=csv: 200" \
  [ "$(pro_get http-audit.csv "/v1/audit/referrals?at=$AT&format=csv")" = 200 ]
check "  byte for byte the CSV of custos audit referrals --format csv" cmp http-audit.csv cli-audit.csv
check "  ?at= takes a UTC time" [ "$(pro_get utc.json "/v1/audit/referrals?at=2030-01-01T00:00:00Z")" = 200 ]
check "  … as that time" [ "$(json_field utc.json "['at']")" = 1893456000000 ]
check "  ?at=yesterday: 400" [ "$(pro_get bad-at.json "/v1/audit/referrals?at=yesterday")" = 400 ]
contains bad-at.json '"at: \"yesterday\" is neither' "  … naming the parameter"
check "the trail and the audit have every field docs/openapi.yaml requires" \
  openapi_fields "/v1/cases/{caseId}=http-trail.json" "/v1/audit/referrals=http-audit.json" "problem=bad-at.json"

# ------------------------------------------------------------------ listing check
# Case 2's company: its first listing was delisted, its second lapsed at
# START + 4 s (a listing lapses by itself at its publication end).
COMPANY=$(python3 -c 'import json; print(json.load(open("'"$EXAMPLES"'/subject-listed.json"))["body"]["subjectListed"]["subjectId"])')
lapsed() { [ "$(now_ms)" -gt $((START + 4000)) ]; }
fed_wait 10 lapsed
expect 0 "listing check of case 2's company from pro, checked with --trust" -- \
  ./pro-cli listing check "$COMPANY" --origin "$IPB" --trust trust-1.json --json
check "… not listed: one listing delisted, the other past its publication end" \
  [ "$(json_field out.txt "['logs'][0]['listed']")" = False ]
check "… and the lapsed listing is shown, with its entry" \
  [ "$(json_field out.txt "['logs'][0]['listings'][0]['index']")" = "${E[c2-listed]#* }" ]
check "… marked lapsed" [ "$(json_field out.txt "['logs'][0]['listings'][0]['lapsed']")" = True ]

# ------------------------------------------------------------------ evidence bundle
# Case 1's evidence went to psb and arrived; case 3's was sent and never did.
C1_DIGEST=$(python3 -c 'import json; print(json.load(open("'"$EXAMPLES"'/evidence-registered.json"))["body"]["evidenceRegistered"]["digests"][0]["value"])')
expect 0 "pro bundles case 1's evidence by its digest, checked before it is written" -- \
  ./pro-cli evidence bundle --digest "$C1_DIGEST" --out c1.bundle --trust trust-1.json
expect 0 "the bundle verifies offline" -- "$CUSTOS" verify --bundle c1.bundle --trust trust-1.json
contains out.txt "custodyReceived" "… its chain holds psb's receipt"
contains out.txt "now: held by 苏州市公安局经侦支队 in $PSB" "… and says the police hold it"
expect 0 "pro bundles case 3's evidence" -- \
  ./pro-cli evidence bundle --digest "$(printf '00%.0s' $(seq 32))" --out c3.bundle --trust trust-1.json
expect 0 "… which verifies offline" -- "$CUSTOS" verify --bundle c3.bundle --trust trust-1.json
contains out.txt "in transit from $IPB" "… and says it is still in transit, as the audit found"

finish scenario_test
