#!/usr/bin/env bash
# `custos listing check` against real custosd processes (docs/listings-map.md):
# three nodes; a company is not listed, then listed in ipb's log, then
# delisted, each answer checked by the command line against the federation
# file (origin signature, a quorum of 2 cosignatures, map proof, inclusion
# proofs), asked of the origin and of a node that holds a replica. A trust
# file with another key for the origin, or a policy the checkpoint cannot
# meet, makes the check fail with its reason (exit 1).
# Usage: listing_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
COMPANY=91320583MA1WR6T306
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
for n in ipb psb pro; do check "custosd $n starts" fed_start $n; done
# NAME-cli ARGS...: fed_cli NAME as a command (`expect` runs commands, not functions).
for n in ipb psb pro; do
  printf '#!/usr/bin/env bash\nexec %q --node %q --node-vkey %q --key "${FED_KEY:-%q}" "$@"\n' \
    "$CUSTOS" "$(fed_addr $n)" "$(fed_vkey $n)" "$FED_DIR/$n/admin.key" >"$n-cli"
  chmod +x "$n-cli"
done

# example FILE [PYTHON]: the example statement for ipb's log, edited by PYTHON (over `s`), as one JSON line.
example() {
  python3 - "$EXAMPLES/$1.json" "$IPB" "${2:-pass}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
exec(sys.argv[3])
print(json.dumps(s, ensure_ascii=False))
PY
}
example key-grant >grant.jsonl
fed_cli ipb submit --batch grant.jsonl >/dev/null
# verdict NAME [ARGS...]: the overall verdict of a verified listing check asked of NAME.
verdict() {
  fed_cli "$1" listing check "$COMPANY" --trust federation.json --json "${@:2}" |
    python3 -c 'import json,sys; print("listed" if json.load(sys.stdin)["listed"] else "not listed")'
}
is() { [ "$(verdict "$1")" = "$2" ]; }

eventually 30 "not listed: ipb's answer verifies (2 cosignatures) and says so" is ipb "not listed"
expect 0 "the text form names every log" -- ./ipb-cli listing check "$COMPANY" --trust federation.json
contains out.txt "$COMPANY (org): not listed" "the overall verdict is printed"
contains out.txt "$PSB: not listed" "the verdict per log is printed"

example subject-listed >listed.jsonl
FED_KEY=officer.key fed_cli ipb submit --batch listed.jsonl >receipt.txt
read -r index leaf <receipt.txt
check "the listing is appended (entry $index)" [ -n "$leaf" ]
eventually 30 "listed: ipb's verified answer says so" is ipb listed
eventually 30 "listed: pro answers for its replica of ipb's log, verified the same way" is pro listed
expect 0 "listing check --json" -- ./pro-cli listing check "$COMPANY" --trust federation.json --json --origin "$IPB"
check "the JSON names the listing entry and its publication end" \
  [ "$(json_field out.txt "['logs'][0]['listings'][0]['index']")" = "$index" ]
check "the JSON shows the 2 cosignatures checked" [ "$(json_field out.txt "['logs'][0]['cosignatures']")" -ge 2 ]
expect 0 "--save keeps the verified answer" -- \
  ./ipb-cli listing check "$COMPANY" --trust federation.json --origin "$IPB" --save listed-answer.bin
check "the kept answer is a Cap'n Proto message" [ -s listed-answer.bin ]
expect 0 "capnp renders the kept answer as text" -- \
  capnp decode --flat --short "$REPO/schema/listing.capnp" ListingAnswer <listed-answer.bin
contains out.txt "$COMPANY" "the text names the subject"
expect 2 "--save keeps one answer, not a --batch" -- \
  ./ipb-cli listing check --batch /dev/null --trust federation.json --save x.bin

# A query names the subject as GB 32100 allows it to be typed: lower case and
# surrounding white space name the same company; a code that names nobody is
# refused with the reason (exit 2), never answered "not listed".
lower=$(printf '%s' "$COMPANY" | tr 'A-Z' 'a-z')
expect 0 "a lower-case code is checked" -- ./ipb-cli listing check "$lower" --trust federation.json --origin "$IPB"
contains out.txt "$COMPANY (org): listed" "the lower-case code names the listed company"
expect 0 "a code with surrounding white space is checked" -- ./ipb-cli listing check " $COMPANY " --trust federation.json --json
check "the white space is trimmed and the company found listed" \
  [ "$(json_field out.txt "['id']") $(json_field out.txt "['listed']")" = "$COMPANY True" ]
expect 2 "a code with a wrong check character is refused" -- \
  ./ipb-cli listing check "${COMPANY%?}7" --trust federation.json
contains err.txt "bad check character (want 6)" "the refusal says why"
check "nothing is printed about the subject" [ ! -s out.txt ]
printf '%s\n%s\n' "${COMPANY%?}7" "$lower" >mixed.txt
expect 2 "--batch refuses the invalid id and checks the others" -- \
  ./ipb-cli listing check --batch mixed.txt --trust federation.json --json
check "--batch: the invalid id has an error, the other its verdict" \
  [ "$(json_field out.txt "[0]['error'][:16]") $(json_field out.txt "[1]['listed']")" = "invalid argument True" ]

hex=$(python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex())' "$leaf")
example subject-delisted "s['body']['subjectDelisted']['listing'].update(index=$index, leafHash='$hex')" >delisted.jsonl
officer_submits() { FED_KEY=officer.key fed_cli ipb submit --batch "$1" >/dev/null; }
check "the delisting is appended" officer_submits delisted.jsonl
eventually 30 "delisted: ipb's verified answer says not listed" is ipb "not listed"
eventually 30 "delisted: psb's replica says not listed" is psb "not listed"

# The answer kept while listed still verifies offline, as what the node said
# then; judged after its publication end, the listing has lapsed.
expect 0 "listing verify checks a kept answer offline" -- \
  "$CUSTOS" listing verify listed-answer.bin --trust federation.json --json
check "the kept answer says listed" [ "$(json_field out.txt "['listed']")" = True ]
expect 0 "listing verify --at after the publication end" -- \
  "$CUSTOS" listing verify listed-answer.bin --trust federation.json --at 2029-06-01T00:00:00Z
contains out.txt "$COMPANY (org): not listed" "the lapsed listing counts as not listed"
contains out.txt "publication ended" "the listing is shown as lapsed"
head -c 100 listed-answer.bin >truncated.bin
expect 2 "a truncated answer is refused" -- "$CUSTOS" listing verify truncated.bin --trust federation.json
contains err.txt "truncated.bin: listing answer" "the refusal names the file"

printf '%s\n91350100M000100Y43\n' "$COMPANY" >ids.txt
expect 0 "--batch checks every id of the file" -- ./ipb-cli listing check --batch ids.txt --trust federation.json --json
check "--batch prints one result per id" [ "$(json_field out.txt "[1]['id']")" = 91350100M000100Y43 ]

# A trust file naming another key for ipb: nothing it signed verifies.
"$CUSTOS" key generate --name "$IPB" --out impostor.key >/dev/null
python3 - "$("$CUSTOS" key show --key impostor.key)" <<'PY'
import json, sys
fed = json.load(open("federation.json"))
fed["peers"][0]["verifierKey"] = sys.argv[1]
json.dump(fed, open("wrong-key.json", "w"))
fed = json.load(open("federation.json"))
fed["witnessPolicy"]["quorum"] = 3
json.dump(fed, open("quorum-3.json", "w"))
PY
expect 1 "another key for the origin fails the check" -- ./ipb-cli listing check "$COMPANY" --trust wrong-key.json --origin "$IPB"
contains err.txt "checkpoint of $IPB: the origin's signature" "the reason names the log's checkpoint and the signature"
expect 1 "a kept answer does not verify against another key either" -- \
  "$CUSTOS" listing verify listed-answer.bin --trust wrong-key.json
expect 1 "a policy of 3 cosigners fails on ipb's log (it has 2 peers to cosign)" -- \
  ./ipb-cli listing check "$COMPANY" --trust quorum-3.json --origin "$IPB"
contains err.txt "witness policy: 3 of 2" "the reason names the witness policy"
expect 2 "--kind must be org or person" -- ./ipb-cli listing check "$COMPANY" --kind robot --trust federation.json
expect 2 "--trust is required" -- ./ipb-cli listing check "$COMPANY"
expect 2 "a person is named by a 64-hex privateDigest" -- ./ipb-cli listing check 11010519491231002X --kind person --trust federation.json
expect 0 "--help teaches" -- "$CUSTOS" listing check --help
contains out.txt "witness policy" "--help explains what is checked"

finish listing_end_to_end
