#!/usr/bin/env bash
# Evidence bundles end to end (docs/evidence-bundle.md) with real custosd
# processes on 127.0.0.1: the bureau registers a video and sends it to the
# police, who receive it; `custos evidence bundle` fetches the bundle from the
# bureau's node and checks it before writing; `custos verify --bundle` checks
# it offline against the federation file and the file itself; a different
# file, a tampered bundle and a stricter witness policy are each refused with
# their reason (exit 1); bad usage exits 2; a bundle made before later
# checkpoints still verifies. Both nodes get RFC 3161 tokens for their
# checkpoints from a time-stamping authority on loopback (custos_test_tsa,
# docs/timestamps.md); bundles carry them and verifiers check them.
# Usage: bundle_test.sh CUSTOSD CUSTOS EXAMPLES_DIR (TSA=custos_test_tsa in the environment)
# KEEP_WORK=1 keeps the folder (every node's node.log) for a post-mortem.
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
# Every node also signs its checkpoints with SM2 (docs/sm2.md): an SM2 key
# each, sm2KeyFile in its config, sm2Key in the federation file.
for n in ipb psb pro; do
  "$CUSTOS" key sm2 --name "$(fed_origin $n)" --out "$FED_DIR/$n/sm2.pem" >"$FED_DIR/$n/sm2.vkey" || exit 1
done
"$CUSTOS" key sm2 --name "$IPB" --out other-sm2.pem >other-sm2.vkey || exit 1
"$CUSTOS" key sm2 --name "$PSB" --out other-psb-sm2.pem >other-psb-sm2.vkey || exit 1
python3 - "$FED_DIR" <<'PY'
import json, sys
d = sys.argv[1]
for n in ("ipb", "psb", "pro"):
    c = json.load(open(f"{d}/{n}/node.json")); c["sm2KeyFile"] = "sm2.pem"
    json.dump(c, open(f"{d}/{n}/node.json", "w"))
fed = json.load(open(f"{d}/federation.json"))
for p, n in zip(fed["peers"], ("ipb", "psb", "pro")):
    p["sm2Key"] = open(f"{d}/{n}/sm2.vkey").read().strip()
json.dump(fed, open(f"{d}/federation.json", "w"), ensure_ascii=False, indent=1)
fed["requireSm2"] = True
json.dump(fed, open("sm2-trust.json", "w"), ensure_ascii=False, indent=1)
fed["peers"][0]["sm2Key"] = open("other-sm2.vkey").read().strip()
json.dump(fed, open("wrong-sm2-trust.json", "w"), ensure_ascii=False, indent=1)
# The police's SM2 key replaced: the police's SM2 cosignatures no longer count.
fed["peers"][0]["sm2Key"] = open(f"{d}/ipb/sm2.vkey").read().strip()
fed["peers"][1]["sm2Key"] = open("other-psb-sm2.vkey").read().strip()
json.dump(fed, open("wrong-psb-sm2-trust.json", "w"), ensure_ascii=False, indent=1)
PY
# A time-stamping authority on loopback, and another whose certificate a
# wrong trust file names instead. Every node asks the first for a token on its
# latest checkpoint (at most every 0.3 s); the federation file lists it.
"$TSA" --cert-out tsa.pem --port-file tsa.port --name "Custos test TSA" & TSA_PID=$!
"$TSA" --cert-out other-tsa.pem --port-file other-tsa.port --name "Another TSA" & OTHER_TSA_PID=$!
trap 'kill $TSA_PID $OTHER_TSA_PID 2>/dev/null; fed_cleanup' EXIT
fed_wait 10 test -s tsa.port && fed_wait 10 test -s other-tsa.port || { echo "the test TSA did not start"; exit 1; }
python3 - "$FED_DIR" "$(cat tsa.port)" <<'PY'
import json, sys
d, port = sys.argv[1], sys.argv[2]
for n in ("ipb", "psb", "pro"):
    c = json.load(open(f"{d}/{n}/node.json"))
    c["timestamping"] = {"url": f"http://127.0.0.1:{port}/", "tsa": "tsa.example", "intervalMilliseconds": 300}
    json.dump(c, open(f"{d}/{n}/node.json", "w"))
fed = json.load(open(f"{d}/federation.json"))
fed["timestampAuthorities"] = [{"name": "tsa.example", "certificate": open("tsa.pem").read()}]
json.dump(fed, open(f"{d}/federation.json", "w"), ensure_ascii=False, indent=1)
fed["timestampAuthorities"][0]["certificate"] = open("other-tsa.pem").read()
json.dump(fed, open("wrong-tsa-trust.json", "w"), ensure_ascii=False, indent=1)
for name in ("sm2-trust.json", "wrong-sm2-trust.json"):
    t = json.load(open(name)); t["timestampAuthorities"] = [{"name": "tsa.example", "certificate": open("tsa.pem").read()}]
    json.dump(t, open(name, "w"), ensure_ascii=False, indent=1)
PY
# The court trusts the federation file: 2 cosignatures of the three nodes on
# every checkpoint. A log's origin cannot cosign it, so 3 cannot be met.
cp federation.json trust.json
sed 's/"quorum": 2/"quorum": 3/' federation.json >strict.json

# statement KIND ORIGIN JSON-BODY: one statement for ORIGIN's log.
statement() { printf '{"origin": "%s", "body": {"%s": %s}}\n' "$2" "$1" "$3"; }
grant() {
  python3 - "$EXAMPLES/key-grant.json" "$(fed_origin "$1")" >"grant-$1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["origin"] = sys.argv[2]; print(json.dumps(s, ensure_ascii=False))
PY
  fed_cli "$1" submit --statement "grant-$1.json" >/dev/null
}
# The options that reach each node (for `expect`, which runs a program, not a function).
mapfile -t AT_IPB < <(printf '%s\n' --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key "$FED_DIR/ipb/admin.key")
mapfile -t AT_PSB < <(printf '%s\n' --node "$(fed_addr psb)" --node-vkey "$(fed_vkey psb)" --key officer.key)
mapfile -t OFFICER_AT_IPB < <(printf '%s\n' --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key officer.key)
# receipt_ref JSON ORIGIN: a LogRef (hex leaf hash) to the first appended entry.
receipt_ref() {
  python3 -c 'import json,sys,base64; a=json.load(open(sys.argv[1]))["appended"][0]
print(json.dumps({"origin": sys.argv[2], "index": a["index"], "leafHash": base64.b64decode(a["leafHash"]).hex()}))' "$1" "$2"
}
own_size() { fed_json "$1" "s['logs'][0]['size']"; }
log_field() { fed_json "$1" "[l['$3'] for l in s['logs'] if l['origin'] == '$2'][0]"; }
holds() { [ "$(log_field "$1" "$(fed_origin "$2")" size)" = "$(own_size "$2")" ]; }

for n in ipb psb pro; do check "custosd $n starts" fed_start $n; done
check "officer granted on ipb" grant ipb
check "officer granted on psb" grant psb

python3 -c 'import random; r = random.Random(4); open("video.mp4","wb").write(bytes(r.getrandbits(8) for _ in range(300000)))'
DIGEST=$(sha256sum video.mp4 | cut -d' ' -f1)
SM3=$(openssl dgst -sm3 -r video.mp4 | cut -d' ' -f1)
statement evidenceRegistered "$IPB" '{"evidenceId": "E1", "caseId": "SZIPB-2024-0017",
  "digests": [{"algorithm": "sha256", "value": "'"$DIGEST"'", "size": 300000, "mediaType": "video/mp4"},
              {"algorithm": "sm3", "value": "'"$SM3"'", "size": 300000, "mediaType": "video/mp4"}],
  "method": "audioVideoRecord", "place": "昆山市 仓库", "officers": [{"name": "张明", "badge": "32050021017"}],
  "holder": "证据室"}' >register.json
statement evidenceExamined "$IPB" '{"evidenceId": "E1", "examiner": "王晓燕", "findings": "as registered", "digestsMatch": true}' >examine.json
statement custodyTransferred "$IPB" '{"evidenceId": "E1", "fromHolder": "证据室", "toHolder": "刑警大队",
  "toOrigin": "'"$PSB"'", "reason": "移送公安", "sealNumber": "SEAL-7"}' >transfer.json
expect 0 "the bureau registers the video" -- "$CUSTOS" "${OFFICER_AT_IPB[@]}" submit --json --statement register.json
expect 0 "the bureau examines it" -- "$CUSTOS" "${OFFICER_AT_IPB[@]}" submit --json --statement examine.json
expect 0 "the bureau sends it to the police" -- "$CUSTOS" "${OFFICER_AT_IPB[@]}" submit --json --statement transfer.json
cp out.txt transfer-receipt.json
eventually 60 "the police hold the bureau's log" holds psb ipb
statement custodyReceived "$PSB" '{"evidenceId": "E1", "transfer": '"$(receipt_ref transfer-receipt.json "$IPB")"',
  "holder": "刑警大队", "sealIntact": true, "note": "封条完好"}' >receive.json
expect 0 "the police receive it, referencing the bureau's transfer" -- "$CUSTOS" "${AT_PSB[@]}" submit --json --statement receive.json
eventually 60 "the bureau holds the police's log" holds ipb psb

# The bundle is written only once it verifies: once the bureau has cosigned
# the police's checkpoint holding the receipt.
bundle_ok() { fed_cli ipb evidence bundle --file video.mp4 --out video.bundle --trust trust.json >bundle-out.txt 2>&1; }
eventually 60 "custos evidence bundle fetches a bundle that verifies and writes it" bundle_ok
contains bundle-out.txt "4 custody steps, held by 刑警大队 in $PSB" "it says what it wrote"

expect 0 "custos verify --bundle --file verifies offline" -- "$CUSTOS" verify --bundle video.bundle --file video.mp4 --trust trust.json
contains out.txt "OK: the file is the evidence registered" "the account says the file is the registered one"
contains out.txt "custodyReceived" "the account lists the police's receipt"
contains out.txt "now: held by 刑警大队 in $PSB" "the account says who holds it now"
contains out.txt "cosigned by" "the account names the checkpoints' cosigners"
expect 0 "--json" -- "$CUSTOS" verify --bundle video.bundle --file video.mp4 --trust trust.json --json
check "the JSON lists the 4 steps, registration first" \
  [ "$(json_field out.txt "['account']['steps'][0]['kind'], len(json.load(open('out.txt'))['account']['steps'])")" = "evidenceRegistered 4" ]

# cosigners_of ORIGIN: the sorted cosigners of ORIGIN's checkpoint in the JSON account.
cosigners_of() { python3 -c 'import json,sys; a=json.load(open("out.txt"))["account"]
print(" ".join(sorted([c for c in a["checkpoints"] if c["origin"] == sys.argv[1]][0]["cosigners"])))' "$1"; }
check "the police's checkpoint, held by the bureau, carries the bureau's and the procuratorate's cosignatures" \
  [ "$(cosigners_of "$PSB")" = "$IPB $PRO" ]
check "the bureau's checkpoint carries the police's and the procuratorate's" [ "$(cosigners_of "$IPB")" = "$PRO $PSB" ]
expect 0 "a bundle by the file's SM3 digest (hashed through OpenSSL)" -- \
  "$CUSTOS" "${AT_IPB[@]}" evidence bundle --file video.mp4 --algorithm sm3 --out sm3.bundle --trust trust.json
expect 0 "it verifies with the file, hashed by the bundle's algorithm" -- \
  "$CUSTOS" verify --bundle sm3.bundle --file video.mp4 --trust trust.json
contains out.txt "sm3 $SM3" "the account shows the SM3 digest"
head -c 300000 /dev/zero >other.mp4
expect 1 "another file is refused" -- "$CUSTOS" verify --bundle video.bundle --file other.mp4 --trust trust.json
contains out.txt "FAILED (file-digest)" "the reason is the file's digest"
python3 - <<'PY'
b = open("video.bundle", "rb").read()
at = b.index("证据室".encode())
open("tampered.bundle", "wb").write(b[:at] + "证物室".encode() + b[at + 9:])
PY
expect 1 "a bundle with a changed entry is refused" -- "$CUSTOS" verify --bundle tampered.bundle --trust trust.json
contains out.txt "FAILED (entry)" "the reason is the entry"
expect 1 "a policy of 3 cosignatures is not met" -- "$CUSTOS" verify --bundle video.bundle --trust strict.json --json
check "the JSON names the witness policy" [ "$(json_field out.txt "['reason']")" = "witness-policy" ]
contains out.txt "needs 3 of" "the message names the quorum"

expect 2 "verify --bundle without --trust is bad usage" -- "$CUSTOS" verify --bundle video.bundle
expect 2 "a missing bundle file is bad input" -- "$CUSTOS" verify --bundle nothing.bundle --trust trust.json
expect 2 "a file that is not a bundle is bad input" -- "$CUSTOS" verify --bundle video.mp4 --trust trust.json
expect 2 "a digest that is not hex is bad input" -- "$CUSTOS" "${AT_IPB[@]}" evidence bundle --digest xyz --out x.bundle --trust trust.json
contains err.txt "--digest" "the error names --digest"
expect 2 "an unknown digest is not found" -- "$CUSTOS" "${AT_IPB[@]}" evidence bundle --digest "$(printf '%064d' 0)" --out x.bundle --trust trust.json
contains err.txt "no evidence registered" "the error says no evidence is registered with it"
check "nothing was written for it" [ ! -e x.bundle ]

# Later entries and checkpoints do not spoil the bundle made before them.
statement evidenceExamined "$PSB" '{"evidenceId": "E1", "examiner": "刑侦技术科", "findings": "intact", "digestsMatch": true}' >examine-psb.json
expect 0 "the police examine it" -- "$CUSTOS" "${AT_PSB[@]}" submit --json --statement examine-psb.json
eventually 60 "the bureau holds the police's new entry" holds ipb psb
expect 0 "the earlier bundle still verifies" -- "$CUSTOS" verify --bundle video.bundle --file video.mp4 --trust trust.json
bundle4() { fed_cli ipb evidence bundle --digest "$DIGEST" --out video4.bundle --trust trust.json >bundle-out.txt 2>&1; }
eventually 60 "a new bundle carries the examination" bundle4
contains bundle-out.txt "5 custody steps" "the new bundle has 5 steps"
expect 0 "custos verify --bundle proves the bundle complete" -- "$CUSTOS" verify --bundle video4.bundle --trust trust.json
contains out.txt "complete: in each log, these are all the custody entries about E1 up to its checkpoint" \
  "the account says nothing about the evidence was left out"

# A long run of examinations: shown as its first, a count and its last; every one checked.
for _ in $(seq 12); do cat examine-psb.json; echo; done >examinations.jsonl
expect 0 "the police examine it twelve more times" -- "$CUSTOS" "${AT_PSB[@]}" submit --json --batch examinations.jsonl
eventually 60 "the bureau holds the police's examinations" holds ipb psb
bundle17() { fed_cli ipb evidence bundle --digest "$DIGEST" --out video17.bundle --trust trust.json >bundle-out.txt 2>&1; }
eventually 60 "a bundle of 17 steps" bundle17
expect 0 "it verifies" -- "$CUSTOS" verify --bundle video17.bundle --trust trust.json
contains out.txt "6–16. 11 more evidenceExamined steps in $PSB" "the run of thirteen examinations is summarised"
contains out.txt "  17. " "the last examination is shown"
expect 0 "--json lists every step" -- "$CUSTOS" verify --bundle video17.bundle --trust trust.json --json
check "--json: 17 steps, complete" python3 -c 'import json; a = json.load(open("out.txt"))["account"]; assert len(a["steps"]) == 17 and a["complete"] is True and a["keysProved"] >= 2'
check "--json: the registration's fields apart, a state code, leaf hashes, the author's name and post apart" python3 -c '
import json; a = json.load(open("out.txt"))["account"]; r = a["registration"]
assert r["method"] == "audioVideoRecord" and r["place"] == "昆山市 仓库", r
assert r["officers"] == [{"name": "张明", "badge": "32050021017"}], r["officers"]
assert [d["algorithm"] for d in r["digests"]] == ["sha256", "sm3"] and r["digests"][0]["size"] == 300000, r["digests"]
assert a["stateCode"] == "held" and a["holder"] == "刑警大队" and a["holderOrigin"].startswith("suzhou-psb"), a
s = a["steps"][0]; assert len(s["leafHash"]) == 64 and s["authorHolder"] and s["authorPost"], s'


# 国密: the checkpoints carry an SM2 line beside the Ed25519 one.
expect 0 "the bureau's checkpoint" -- "$CUSTOS" "${AT_IPB[@]}" checkpoint
cp out.txt ipb.note
check "it carries two signature lines by the bureau (Ed25519 and SM2)" [ "$(grep -c "^— $IPB " ipb.note)" = 2 ]
# The openssl command line checks the SM2 line on its own: the text up to the
# blank line, the signature after the 4-byte key id, the public key as PEM.
python3 - ipb.note "$(cut -d+ -f2 "$FED_DIR/ipb/sm2.vkey")" <<'PY'
import base64, sys
note = open(sys.argv[1], encoding="utf-8").read()
text, sigs = note[: note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2 :]
open("note.txt", "w", encoding="utf-8", newline="").write(text)
for line in sigs.splitlines():
    raw = base64.b64decode(line.split(" ")[2])
    if raw[:4].hex() == sys.argv[2]:
        open("note.sig", "wb").write(raw[4:])
PY
"$CUSTOS" key sm2-show --key "$FED_DIR/ipb/sm2.pem" --pem >ipb-sm2.pem
expect 0 "openssl verifies the SM2 line (SM3, id 1234567812345678)" -- \
  openssl pkeyutl -verify -pubin -inkey ipb-sm2.pem -rawin -in note.txt -sigfile note.sig -digest sm3 -pkeyopt distid:1234567812345678
expect 0 "a verifier that demands SM2 accepts the bundle (the police's checkpoint kept its SM2 line on the bureau's replica)" -- \
  "$CUSTOS" verify --bundle video4.bundle --trust sm2-trust.json
expect 1 "a verifier with another SM2 key for the bureau refuses it" -- "$CUSTOS" verify --bundle video4.bundle --trust wrong-sm2-trust.json
contains out.txt "the origin's SM2 signature: note: no SM2 signature by $IPB+" "it says which SM2 signature is missing"
if [ -n "${GOVERIFY:-}" ] && [ -x "${GOVERIFY:-}" ]; then
  expect 0 "Go's note package still verifies the Ed25519 line (the SM2 line is a key it does not know)" -- \
    "$GOVERIFY" note "$(fed_vkey ipb)" ipb.note
fi
# 国密 cosignatures: each witness adds an SM2 cosignature beside its
# cosignature/v1 line; openssl checks the police's on the bureau's checkpoint.
curl -fsS "$(fed_http ipb)/tlog/$IPB/checkpoint" >cosigned.note
python3 - cosigned.note "$FED_DIR/psb/sm2.vkey" "$PSB" <<'PY'
import base64, hashlib, sys
note = open(sys.argv[1], encoding="utf-8").read()
material = base64.b64decode(open(sys.argv[2]).read().strip().split("+", 2)[2])
pub, name = material[len(b"\xffsm2"):], sys.argv[3]
key_id = hashlib.sha256(name.encode() + b"\n" + b"\xffsm2-cosignature/v1" + pub).digest()[:4]
text = note[: note.rindex("\n\n") + 1]
for line in note[note.rindex("\n\n") + 2 :].splitlines():
    who, b64 = line.split(" ")[1], line.split(" ")[2]
    raw = base64.b64decode(b64)
    if who == name and raw[:4] == key_id:
        ts = int.from_bytes(raw[4:12], "big")
        open("cosig.msg", "w", encoding="utf-8", newline="").write(f"cosignature/v1\ntime {ts}\n" + text)
        open("cosig.sig", "wb").write(raw[12:])
PY
check "the police's cosignature of the bureau's checkpoint has an SM2 line beside it" test -s cosig.sig
"$CUSTOS" key sm2-show --key "$FED_DIR/psb/sm2.pem" --pem >psb-sm2.pem
expect 0 "openssl verifies the SM2 cosignature (the cosignature/v1 message, SM3, id 1234567812345678)" -- \
  openssl pkeyutl -verify -pubin -inkey psb-sm2.pem -rawin -in cosig.msg -sigfile cosig.sig -digest sm3 -pkeyopt distid:1234567812345678
expect 1 "a verifier demanding SM2, with another SM2 key for the police, does not count the police's cosignatures" -- \
  "$CUSTOS" verify --bundle video4.bundle --trust wrong-psb-sm2-trust.json
contains out.txt "without the SM2 cosignature the trust file requires" "it says why the quorum is short"

# Trusted time (RFC 3161): each node's latest checkpoint gets a token from the
# TSA; the bureau keeps the police's token with its replica, so a bundle made
# at the bureau carries a token for both logs' checkpoints.
stamped_bundle() {
  fed_cli ipb evidence bundle --digest "$DIGEST" --out stamped.bundle --trust trust.json >/dev/null 2>&1 &&
    "$CUSTOS" verify --bundle stamped.bundle --trust trust.json --json >stamped.json 2>/dev/null &&
    python3 -c 'import json; a = json.load(open("stamped.json"))["account"]
assert len(a["checkpoints"]) == 2 and all(c["timestamps"] for c in a["checkpoints"])'
}
eventually 60 "a bundle whose checkpoints both carry the TSA's token" stamped_bundle
check "--json names the TSA and a time within the last minute" python3 -c '
import json, time; a = json.load(open("stamped.json"))["account"]
for c in a["checkpoints"]:
    t = c["timestamps"][0]; assert t["tsa"] == "tsa.example" and "Custos test TSA" in t["subject"], t
    assert abs(t["time"] / 1000 - time.time()) < 120, t'
expect 0 "the text account says who attested the time" -- "$CUSTOS" verify --bundle stamped.bundle --trust trust.json
contains out.txt "time-stamped by tsa.example (RFC 3161)" "the account names the TSA"
# A trust file that names another certificate for the TSA: the line is by a
# key it does not know, so it attests nothing (a line that claims the
# trusted TSA's key but fails is refused: tests/trust/bundle_test.cc).
expect 0 "under a trust file with another TSA certificate the bundle verifies" -- \
  "$CUSTOS" verify --bundle stamped.bundle --trust wrong-tsa-trust.json --json
check "... and attests no time" python3 -c 'import json; a = json.load(open("out.txt"))["account"]
assert not any(c["timestamps"] for c in a["checkpoints"])'
expect 0 "the report shows the attested time" -- \
  "$CUSTOS" verify --bundle stamped.bundle --trust trust.json --report stamped.pdf
pdftotext stamped.pdf - 2>/dev/null | tr -d '\n' >stamped.txt
contains stamped.txt "由时间戳服务机构 tsa.example" "the report says which TSA attested the checkpoint's time"
# Go's note package ignores the token's line (a key it does not know).
curl -fsS "$(fed_http ipb)/tlog/$IPB/checkpoint" >stamped.note
check "the served checkpoint carries the token's line" grep -q "^— tsa.example " stamped.note
if [ -n "${GOVERIFY:-}" ] && [ -x "${GOVERIFY:-}" ]; then
  expect 0 "Go's note package verifies the checkpoint with the token's line on it" -- \
    "$GOVERIFY" note "$(fed_vkey ipb)" stamped.note
fi

finish bundle_end_to_end
