#!/usr/bin/env bash
# The signed trust root from the command line (docs/trust-root.md): three
# agencies draft and sign versions that add a member, rotate a key and remove
# one; `custos trust verify` checks the chain from one pinned key or version
# and writes the federation file; Go's golang.org/x/mod/sumdb/note opens the
# same versions; a short quorum, an altered text, a missing version and files
# that are not versions are refused with one sentence. Usage:
#   trust_test.sh CUSTOS_BINARY [GOVERIFY_BINARY]
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
GOVERIFY=${2:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

origin() { echo "$1.example/custos"; }
for a in ipb psb court; do
  "$CUSTOS" key generate --name "$(origin $a)" --out $a.key >$a.vkey || exit 1
done
"$CUSTOS" key generate --name "$(origin psb)" --out psb2.key >psb2.vkey || exit 1

# federation FILE CHANGE_QUORUM PEER...: PEER is agency:keyfile-stem:port:kind.
federation() {
  local file=$1 quorum=$2
  shift 2
  python3 - "$file" "$quorum" "$@" <<'PY'
import json, sys
out, quorum, peers = sys.argv[1], int(sys.argv[2]), []
names = {"ipb": "苏州市知识产权局", "psb": "苏州市公安局", "court": "苏州市中级人民法院"}
for spec in sys.argv[3:]:
    agency, stem, port, kind = spec.split(":")
    peers.append({"origin": agency + ".example/custos", "verifierKey": open(stem + ".vkey").read().strip(),
                  "address": "127.0.0.1:" + port, "agencyKind": kind, "name": {"zh": names[agency], "en": agency}})
json.dump({"changeQuorum": quorum, "peers": peers,
           "witnessPolicy": {"cosigners": ["ipb.example/custos"], "quorum": 1}},
          open(out, "w"), ensure_ascii=False, indent=1)
PY
}
IPB=ipb:ipb:7300:ip-bureau
PSB=psb:psb:7301:public-security-bureau
PSB2=psb:psb2:7301:public-security-bureau
COURT=court:court:7302:court
PIN=$(cat ipb.vkey)

# --- version 1: ipb and psb, both sign
federation f1.json 2 $IPB $PSB
expect 0 "version 1 drafted" -- "$CUSTOS" trust draft --from f1.json --federation jiangsu-patent --out v1.note
contains out.txt "drafted version 1 of jiangsu-patent" "the draft says what it is"
expect 2 "an unsigned draft is not a version yet" -- "$CUSTOS" trust verify --pin-key "$PIN" v1.note
contains err.txt "v1.note: a draft nobody has signed yet (members sign it with custos trust sign)" "the refusal says what to do"
expect 0 "ipb signs version 1" -- "$CUSTOS" trust sign --key ipb.key v1.note
expect 1 "one signature of changeQuorum 2 is refused" -- "$CUSTOS" trust verify --pin-key "$PIN" v1.note
contains err.txt "version 1: signed by 1 of version 1's members (ipb.example/custos); its changeQuorum is 2" \
  "the refusal names the version, the signers and the quorum"
expect 0 "psb signs version 1" -- "$CUSTOS" trust sign --key psb.key v1.note
expect 0 "version 1 verifies from ipb's key" -- "$CUSTOS" trust verify --pin-key "$PIN" --out federation.json v1.note
contains out.txt "signed by 2 of its 2 members" "the account counts the signers"
check "the federation file written is version 1's JSON, names in Chinese kept" \
  python3 -c 'import json; f = json.load(open("federation.json")); assert f["version"] == 1 and f["peers"][0]["name"]["zh"] == "苏州市知识产权局"'

# --- version 2: the court joins
federation f2.json 2 $IPB $PSB $COURT
expect 0 "version 2 drafted after version 1" -- "$CUSTOS" trust draft --from f2.json --previous v1.note --out v2.note
for a in ipb court; do "$CUSTOS" trust sign --key $a.key v2.note >/dev/null || bad "sign v2 as $a"; done
expect 1 "version 2 with one of version 1's members is refused" -- "$CUSTOS" trust verify --pin-key "$PIN" v1.note v2.note
contains err.txt "version 2: signed by 1 of version 1's members" "the refusal names version 1's quorum"
expect 0 "psb signs version 2" -- "$CUSTOS" trust sign --key psb.key v2.note
# --- version 3: psb's key rotated; the old key signs for version 2, the new for version 3
federation f3.json 2 $IPB $PSB2 $COURT
expect 0 "version 3 drafted" -- "$CUSTOS" trust draft --from f3.json --previous v2.note --out v3.note
for k in ipb psb psb2; do "$CUSTOS" trust sign --key $k.key v3.note >/dev/null || bad "sign v3 with $k"; done
# --- version 4: the court leaves
federation f4.json 2 $IPB $PSB2
expect 0 "version 4 drafted" -- "$CUSTOS" trust draft --from f4.json --previous v3.note --out v4.note
for k in ipb psb2; do "$CUSTOS" trust sign --key $k.key v4.note >/dev/null || bad "sign v4 with $k"; done

expect 0 "the chain verifies from ipb's key, files in any order" -- \
  "$CUSTOS" trust verify --pin-key "$PIN" --out federation.json v4.note v2.note v1.note v3.note
contains out.txt "versions 1 to 4 verified from the pinned key of ipb.example/custos" "the account names the pin"
contains out.txt "changes: added court.example/custos (court)" "version 2 adds the court"
contains out.txt "changes: new key for psb.example/custos" "version 3 rotates psb's key"
contains out.txt "changes: removed court.example/custos" "version 4 removes the court"
check "the federation file is version 4's, with psb's new key" \
  python3 -c "import json; f = json.load(open('federation.json')); assert f['version'] == 4 and f['peers'][1]['verifierKey'] == open('psb2.vkey').read().strip()"
expect 0 "--json gives each version's signers and changes" -- "$CUSTOS" trust verify --pin-key "$PIN" --json v1.note v2.note v3.note v4.note
check "JSON: version 3 signed by the previous version's ipb and psb" \
  [ "$(json_field out.txt "['versions'][2]['signedByPrevious']")" = "['ipb.example/custos', 'psb.example/custos']" ]
V3=$(json_field out.txt "['versions'][2]['sha256']")
expect 0 "a chain from a pinned version (version 3's SHA-256)" -- "$CUSTOS" trust verify --pin-version "$V3" v3.note v4.note
expect 1 "a pinned version that is not the first" -- "$CUSTOS" trust verify --pin-version "$V3" v2.note v3.note
contains err.txt "version 2: its SHA-256 is" "the refusal names the pin"
expect 1 "a missing version is refused" -- "$CUSTOS" trust verify --pin-key "$PIN" v1.note v3.note
contains err.txt "version 3: follows version 1 in the chain" "the refusal names the gap"
expect 1 "the court's key cannot vouch for version 1" -- "$CUSTOS" trust verify --pin-key "$(cat court.vkey)" v1.note
contains err.txt "the pinned key of court.example/custos is not a member's key" "the refusal names the pinned key"

# --- an altered version
sed 's/127.0.0.1:7302/127.0.0.1:7309/' v2.note >v2-altered.note
expect 1 "an address changed after signing is refused" -- "$CUSTOS" trust verify --pin-key "$PIN" v1.note v2-altered.note
contains err.txt "version 2: the signature of ipb.example/custos does not verify" "the refusal names the signature"

# --- not versions: one sentence each, exit 2
printf 'hello\n' >text.txt
expect 2 "a text file" -- "$CUSTOS" trust verify --pin-key "$PIN" text.txt
contains err.txt "text.txt: not a trust root version (its first line must be \"custos-trust-root/v1\")" "one sentence"
head -c 700 /dev/urandom >random.bin
expect 2 "random bytes" -- "$CUSTOS" trust verify --pin-key "$PIN" random.bin
contains err.txt "random.bin: not a trust root version" "one sentence for bytes"
expect 2 "two pins" -- "$CUSTOS" trust verify --pin-key "$PIN" --pin-version "$V3" v1.note
contains err.txt "pin exactly one" "the usage error says what to give"
expect 2 "a draft without a name or a previous version" -- "$CUSTOS" trust draft --from f1.json --out x.note
expect 2 "a --from that is not JSON" -- "$CUSTOS" trust draft --from text.txt --federation j --out x.note

# --- Go's note package opens the same versions with the members' keys
if [ -n "$GOVERIFY" ] && [ -x "$GOVERIFY" ]; then
  expect 0 "Go's note.Open verifies version 3's signatures" -- \
    "$GOVERIFY" signers v3.note "$(cat ipb.vkey)" "$(cat psb2.vkey)" "$(cat court.vkey)"
  check "Go names ipb and psb's new key (the old key's line is unknown to it and ignored)" \
    [ "$(grep -v '^OK$' out.txt | sort | tr '\n' ' ')" = "ipb.example/custos psb.example/custos " ]
  expect 1 "Go's note.Open refuses the altered version" -- "$GOVERIFY" signers v2-altered.note "$(cat ipb.vkey)"
else
  echo "skip - goverify not built: Go's check of the signed versions not run"
fi

finish trust_test
