#!/usr/bin/env bash
# Personal data end to end (docs/personal-data.md), real custosd
# processes on 127.0.0.1:
#   - the bureau lists a person with `custos submit --private`: the entry
#     holds only the digest, the payload is kept beside the log;
#   - the police node's replica fetches the payload over the authenticated
#     RPC and keeps it; an officer with the listing role sees it with
#     `custos entry --json`, a key without it is refused it;
#   - a listing refused for a missing or non-binding payload leaves the log
#     unchanged;
#   - the bureau delists: both nodes delete the payload, `entry --json` says
#     "redacted" on both, no file of either LevelDB directory holds the name
#     or the id number any more, and `custos log verify` passes on both;
#   - a third node that starts only after the delisting replicates the log
#     without the payload and without stalling.
# Usage: personal_data_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
# KEEP_WORK=1 keeps the folder (every node's node.log) for a post-mortem.
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"
FED_LOG_LEVEL=debug

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
NAME=王秀兰
ID=320583198503152620
PRO=suzhou-procuratorate.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate
install -m 600 "$EXAMPLES/keys/officer.key" officer.key

# A listing of a person for the bureau's log: no name, no id, no digest yet.
person_listed "$EXAMPLES"
printf '{"residentId": "%s", "name": "%s"}\n' "$ID" "$NAME" >person.json
printf '{"residentId": "320583198503152621", "name": "%s"}\n' "$NAME" >bad-id.json

# holds NAME PEER: NAME's replica of PEER's log is as large as PEER's own log.
own_size() { fed_json "$1" "s['logs'][0]['size']"; }
replica_size() { fed_json "$1" "[l['size'] for l in s['logs'] if l['origin'] == '$2'][0]"; }
holds() { [ "$(replica_size "$1" "$(fed_origin "$2")")" = "$(own_size "$2")" ]; }
# entry_private NAME ORIGIN INDEX [KEY]: the "private" member of `entry --json`,
# as JSON, asked with KEY (default: the officer's).
entry_private() {
  FED_KEY=${4:-officer.key} fed_cli "$1" entry --origin "$2" --index "$3" --json |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("private"), ensure_ascii=False))'
}
private_state() { entry_private "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
# files_with DIR TEXT: how many files of DIR hold TEXT.
files_with() { grep -rlaF -- "$2" "$1" | wc -l; }

for n in ipb psb; do check "custosd $n starts" fed_start $n; done
# The officer's command line against ipb (an array: `expect` runs it under timeout).
OFFICER=("$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key officer.key)
python3 - "$EXAMPLES/key-grant.json" "$IPB" >grant.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["origin"] = sys.argv[2]; print(json.dumps(s, ensure_ascii=False))
PY
grant() { fed_cli ipb submit --statement grant.json >/dev/null; }
check "the officer is granted on ipb" grant

# ------------------------------------------------------------------ refused
size0=$(own_size ipb)
expect 2 "a listing of a person with neither digest nor --private is refused" -- "${OFFICER[@]}" submit --statement person-listed.json
contains err.txt "private: a listing of a person needs its private payload" "the refusal says the payload is missing"
expect 2 "a listing of a person with a digest but no --private is refused" -- "${OFFICER[@]}" submit --statement person-listed-digest.json
contains err.txt "private: a listing of a person needs its private payload" "the refusal says the payload is missing"
expect 2 "a payload that does not hash to the statement's digest is refused" -- "${OFFICER[@]}" submit --statement person-listed-digest.json --private person.json
contains err.txt "body.subjectListed.privateDigest: is not SHA-256(salt || payload)" "the refusal names the digest"
expect 2 "a payload with a bad id number is refused" -- "${OFFICER[@]}" submit --statement person-listed.json --private bad-id.json
contains err.txt "private.payload.id" "the refusal names the id field"
check "the log is unchanged by the refusals" [ "$(own_size ipb)" = "$size0" ]

# ------------------------------------------------------------------ listed
expect 0 "the bureau lists a person with --private" -- "${OFFICER[@]}" submit --statement person-listed.json --private person.json --json
listing=$(json_field out.txt "['appended'][0]['index']")
leaf=$(json_field out.txt "['appended'][0]['leafHash']")
fed_cli ipb entry --index "$listing" >listing.bin
check "the entry names neither the person nor the id number" [ "$(grep -caF -e "$NAME" -e "$ID" listing.bin)" = 0 ]
check "the bureau shows the payload to its officer" [ "$(private_state ipb "$IPB" "$listing")" = held ]
entry_private ipb "$IPB" "$listing" >shown.json
contains shown.json "$NAME" "entry --json shows the name"
contains shown.json "$ID" "entry --json shows the id number"
check "a key without the listing role is refused the payload" \
  [ "$(private_state ipb "$IPB" "$listing" ipb/admin.key)" = withheld ]
eventually 60 "psb's replica holds ipb's log" holds psb ipb
wait_held() { [ "$(private_state psb "$IPB" "$listing" ipb/node.key)" = held ]; }
eventually 30 "psb's replica holds the payload (asked with ipb's peer key)" wait_held
check "psb's LevelDB files hold the name before the delisting" [ "$(files_with psb/data/ledger "$NAME")" -gt 0 ]
check "ipb's LevelDB files hold the name before the delisting" [ "$(files_with ipb/data/ledger "$NAME")" -gt 0 ]

# ------------------------------------------------------------------ delisted
python3 - "$EXAMPLES/subject-delisted.json" "$listing" "$leaf" >delist.json <<'PY'
import base64, json, sys
s = json.load(open(sys.argv[1]))
ref = s["body"]["subjectDelisted"]["listing"]
ref["index"] = int(sys.argv[2]); ref["leafHash"] = base64.b64decode(sys.argv[3]).hex()
print(json.dumps(s, ensure_ascii=False))
PY
expect 0 "the bureau delists the person" -- "${OFFICER[@]}" submit --statement delist.json
check "the bureau's entry now shows the payload redacted" [ "$(private_state ipb "$IPB" "$listing")" = redacted ]
eventually 60 "psb's replica holds the delisting" holds psb ipb
redacted_on_psb() { [ "$(private_state psb "$IPB" "$listing" ipb/node.key)" = redacted ]; }
eventually 30 "psb's replica shows the payload redacted" redacted_on_psb

# ------------------------------------------------------------------ late follower
# pro starts only now: it replicates the listing after the bureau deleted the
# payload, gets an empty answer for it, stores nothing, and is not stalled.
check "custosd pro starts after the delisting" fed_start pro
eventually 60 "pro's replica catches up with ipb's log (not stalled by the deleted payload)" holds pro ipb
redacted_on_pro() { [ "$(private_state pro "$IPB" "$listing" ipb/node.key)" = redacted ]; }
check "pro shows the listing redacted" redacted_on_pro

for n in ipb psb pro; do fed_stop $n; done
for n in ipb psb pro; do
  check "no file of $n's LevelDB holds the name" [ "$(files_with $n/data/ledger "$NAME")" = 0 ]
  check "no file of $n's LevelDB holds the id number" [ "$(files_with $n/data/ledger "$ID")" = 0 ]
done
expect 0 "custos log verify passes on ipb" -- "$CUSTOS" log verify --data ipb/data
contains out.txt "OK:" "ipb verifies"
expect 0 "custos log verify passes on psb (its own log)" -- "$CUSTOS" log verify --data psb/data
expect 0 "custos log verify passes on pro (its own log)" -- "$CUSTOS" log verify --data pro/data
expect 0 "custos entry --json offline shows the listing redacted" -- "$CUSTOS" entry --data ipb/data --index "$listing" --json
contains out.txt '"redacted"' "the offline entry says redacted"

finish personal_data_test
