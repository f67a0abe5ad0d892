#!/usr/bin/env bash
# One byte changed in a stored entry or in an evidence bundle:
# `custos log verify`, `custos entry --json` and `custos verify --bundle`
# exit 1 with a sentence naming the record and the field, never abort
# (exit 134) on an exception from the decoder; and JSON of the wrong shape
# given with `submit --private` is refused (exit 2), not an abort. Real binaries, real LevelDB,
# a temporary directory; the bundle is the committed fixture
# tests/fixtures/custody.bundle (see tests/ledger/bundle_test.cc). Usage:
#   damaged_input_test.sh CUSTOS_BINARY FORGE_BINARY EXAMPLES_DIR FIXTURES_DIR
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
FORGE=$2
EXAMPLES=$3
FIXTURES=$4
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

# offset_after FILE TEXT: the offset of the NUL that ends TEXT in FILE.
offset_after() {
  python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); t = sys.argv[2].encode() + b"\0"; i = d.find(t); print(i + len(t) - 1 if i >= 0 else -1)' "$1" "$2"
}
# replace_byte FILE OFFSET CHAR: writes CHAR over the byte at OFFSET.
replace_byte() { printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# no_internal_text FILE DESCRIPTION: the message is ours, not Cap'n Proto's.
no_internal_text() {
  if grep -qE "expected |boundsCheck|kj::|capnp" "$1"; then bad "$2: $(head -c 300 "$1")"; else ok "$2"; fi
}

# --- a stored entry: the NUL ending a text of entry 2's statement becomes 'x'
ORIGIN=suzhou-ipb.example/custos
expect 0 "node key" -- "$CUSTOS" key generate --name "$ORIGIN" --out node.key
expect 0 "admin key" -- "$CUSTOS" key generate --name admin.li --out admin.key --json
ADMIN_VKEY=$(json_field out.txt "['verifierKey']")
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
expect 0 "log init" -- "$CUSTOS" log init --data d --origin "$ORIGIN" --node-key node.key --admin "$ADMIN_VKEY"
expect 0 "the admin grants the officer (entry 1)" -- "$CUSTOS" submit --data d --key admin.key --statement "$EXAMPLES/key-grant.json"
expect 0 "evidence registered (entry 2)" -- "$CUSTOS" submit --data d --key officer.key --statement "$EXAMPLES/evidence-registered.json"
expect 0 "evidence examined (entry 3)" -- "$CUSTOS" submit --data d --key officer.key --statement "$EXAMPLES/evidence-examined.json"
expect 0 "the log verifies" -- "$CUSTOS" log verify --data d

# --- JSON given by a user: a listing of a person whose fields have the wrong type
python3 - "$EXAMPLES/subject-listed.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
l = s["body"]["subjectListed"]
del l["subjectId"], l["subjectName"]
l["subjectKind"] = 5
json.dump(s, open("kind-number.json", "w"), ensure_ascii=False)
l["subjectKind"] = "residentId"
l["privateDigest"] = 5
json.dump(s, open("digest-number.json", "w"), ensure_ascii=False)
PY
printf '{"body": {"caseClosed": {"caseId": "SZIPB-2024-0017", "reason": "\xff"}}}' >not-utf8.json
expect 2 "a statement whose text is not UTF-8 is refused" -- "$CUSTOS" submit --data d --key officer.key --statement not-utf8.json
contains err.txt "body.caseClosed.reason: text is not valid UTF-8" "the refusal names the field"
printf '{"residentId": "320583198503152620", "name": "王某"}\n' >person.json
expect 2 "--private with a subjectKind that is a number is refused" -- "$CUSTOS" submit --data d --key officer.key --statement kind-number.json --private person.json
contains err.txt "body.subjectListed.subjectKind must be \"residentId\"" "the refusal names the field"
expect 2 "--private with a privateDigest that is a number is refused" -- "$CUSTOS" submit --data d --key officer.key --statement digest-number.json --private person.json
contains err.txt "body.subjectListed.privateDigest: must be a hex string" "the refusal names the field"
expect 0 "entry 2 as bytes" -- "$CUSTOS" entry --data d --index 2
cp out.txt entry2.bin
PLACE=$(json_field "$EXAMPLES/evidence-registered.json" "['body']['evidenceRegistered']['place']")
AT=$(offset_after entry2.bin "$PLACE")
check "the place's NUL is in entry 2 (byte $AT)" [ "$AT" -gt 0 ]
expect 0 "damage entry 2: the place loses its NUL" -- "$FORGE" damage-entry --data d --index 2 --offset "$AT" --xor 120

expect 1 "log verify exits 1 on the damaged entry" -- "$CUSTOS" log verify --data d
contains err.txt "entry 2" "log verify names the entry"
contains err.txt "body.evidenceRegistered.place: text without its NUL terminator" "log verify names the field and what is wrong"
no_internal_text err.txt "log verify says it in a sentence"
expect 1 "entry --json exits 1 on the damaged entry" -- "$CUSTOS" entry --data d --index 2 --json
contains err.txt "custos: verification failed: entry 2 statement: body.evidenceRegistered.place: text without its NUL terminator" \
  "entry --json names the entry, the field and what is wrong"
no_internal_text err.txt "entry --json says it in a sentence"
expect 0 "entry --json still shows the undamaged entry 3" -- "$CUSTOS" entry --data d --index 3 --json

# --- a bundle
printf 'the video of the raid' >video.mp4
cp "$FIXTURES/custody.bundle" good.bundle
cp "$FIXTURES/custody-trust.json" trust.json
expect 0 "the fixture bundle verifies with its file" -- "$CUSTOS" verify --bundle good.bundle --file video.mp4 --trust trust.json

# The NUL ending an examination's findings, inside an entry inside the bundle.
cp good.bundle findings.bundle
AT=$(offset_after findings.bundle "as registered")
check "the findings' NUL is in the bundle (byte $AT)" [ "$AT" -gt 0 ]
replace_byte findings.bundle "$AT" x
expect 1 "verify --bundle exits 1 on a text without its NUL in an entry" -- "$CUSTOS" verify --bundle findings.bundle --file video.mp4 --trust trust.json
contains out.txt "FAILED (entry): custody step 2 of suzhou-ipb.example/custos: entry 3:" "the refusal names the step and the entry"
contains out.txt "body.evidenceExamined.findings: text without its NUL terminator" "the refusal names the field"
no_internal_text out.txt "verify --bundle says it in a sentence"

# The padding after the bundle's version and algorithm: no reader sees it,
# so a bundle with it set would verify as the same bundle if it were let through.
cp good.bundle padding.bundle
replace_byte padding.bundle 15 x
expect 2 "verify --bundle refuses a padding byte set" -- "$CUSTOS" verify --bundle padding.bundle --file video.mp4 --trust trust.json
contains err.txt "data byte 7 has bits set outside the fields this build knows" "the refusal says where"

# Not a bundle at all: a sentence, not Cap'n Proto's internal text.
python3 -c 'import sys; sys.stdout.buffer.write(b"\xa5" * 64)' >not.bundle
expect 2 "verify --bundle refuses a file that is not a bundle" -- "$CUSTOS" verify --bundle not.bundle --trust trust.json
contains err.txt "not an evidence bundle: the file is binary data" "the refusal says it is not a bundle"
no_internal_text err.txt "the refusal is a sentence"
# Bytes that start like a Cap'n Proto message but lead outside it.
python3 -c 'import sys; sys.stdout.buffer.write(b"\0\0\0\0\x05\0\x09\0" + b"\xa5" * 56)' >pointers.bundle
expect 2 "verify --bundle refuses a message whose pointers lead outside it" -- "$CUSTOS" verify --bundle pointers.bundle --trust trust.json
contains err.txt "not a well-formed EvidenceBundle: a pointer leads outside the message" "the refusal says how it is damaged"
no_internal_text err.txt "that refusal is a sentence too"
# Files handed over by mistake: each named for what it is.
printf '%%PDF-1.7\n%%\xe2\xe3\n' >report.pdf
printf '# Notes\nnot a bundle\n' >notes.md
for f in report.pdf:"a PDF document" notes.md:"text" trust.json:"JSON text"; do
  expect 2 "verify --bundle refuses ${f%%:*}" -- "$CUSTOS" verify --bundle "${f%%:*}" --trust trust.json
  contains err.txt "not an evidence bundle: the file is ${f#*:} (a bundle is the binary file" "it says the file is ${f#*:}"
done
# The files swapped: the bundle given as the trust file; a trust root version given as one.
expect 2 "--trust refuses a bundle" -- "$CUSTOS" verify --bundle good.bundle --trust good.bundle
contains err.txt "--trust good.bundle: not JSON: the file is binary data" "it says the trust file is binary"
printf '{"peers": [\n  {"origin": }\n]}\n' >broken.json
expect 2 "--trust refuses broken JSON" -- "$CUSTOS" verify --bundle good.bundle --trust broken.json
contains err.txt "--trust broken.json: not valid JSON (line 2, column 14)" "it says where the JSON breaks"
printf 'custos-trust-root/v1\n{}\n\n\xe2\x80\x94 a.example/x AAAA\n' >v1.note
expect 2 "--trust refuses a trust root version" -- "$CUSTOS" verify --bundle good.bundle --trust v1.note
contains err.txt "a version of the signed trust root, not a federation file" "it says what to do with it"

finish damaged_input
