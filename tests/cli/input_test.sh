#!/usr/bin/env bash
# What the `custos` command line does with input as people type it and with
# input that cannot be right (docs/cli.md): identifiers in their typed forms,
# private payload files, data directories that contradict themselves, unknown
# options. Offline: real binary, real LevelDB, a temporary directory.
# Usage: input_test.sh CUSTOS_BINARY EXAMPLES_DIR
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
EXAMPLES=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

ORIGIN=suzhou-ipb.example/custos
"$CUSTOS" key generate --name "$ORIGIN" --out node.key >/dev/null
ADMIN_VKEY=$("$CUSTOS" key generate --name admin.li --out admin.key)
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
"$CUSTOS" log init --data d --origin "$ORIGIN" --node-key node.key --admin "$ADMIN_VKEY" >/dev/null
check "the officer is granted" "$CUSTOS" submit --data d --key admin.key --statement "$EXAMPLES/key-grant.json"

# A listing of a person: no subject id or name, the digest filled from --private.
person_listed "$EXAMPLES"
# (An array: `expect` runs commands, not functions.)
SUBMIT_PERSON=("$CUSTOS" submit --data d --key officer.key --statement person-listed.json --json --private)

# --- identifiers as typed
printf '{"residentId": " 11010519491231002x ", "name": "李秀英"}\n' >lower-x.json
expect 0 "--private: a resident id typed with a lower-case x is accepted" -- "${SUBMIT_PERSON[@]}" lower-x.json
index=$(json_field out.txt "['appended'][0]['index']")
expect 0 "the listing's entry is shown with its payload" -- "$CUSTOS" entry --data d --index "$index" --json
check "the payload holds the id in GB 11643's spelling" \
  [ "$(json_field out.txt "['private']['residentId']")" = 11010519491231002X ]

# --- identifiers that cannot name anyone
printf '{"residentId": "110105209901010020", "name": "李秀英"}\n' >unborn.json
expect 2 "--private: a resident id born in 2099 is refused" -- "${SUBMIT_PERSON[@]}" unborn.json
contains err.txt "private.payload.id: \"110105209901010020\" has a birth date (2099-01-01) after" \
  "the refusal names the field and the birth date"

# --- private payload files
printf '{"residentId": "11010519491231002X", "name": "李秀英", "nmae": "李秀英"}\n' >typo.json
expect 2 "--private: an unknown field is refused" -- "${SUBMIT_PERSON[@]}" typo.json
contains err.txt '--private: "nmae": unknown field (known: residentId, name, salt)' "the refusal names the field"
expect 2 "a listing of a person without --private is refused" -- \
  "$CUSTOS" submit --data d --key officer.key --statement person-listed.json
contains err.txt "private: a listing of a person needs its private payload" "the refusal is the documented one"
before=$("$CUSTOS" checkpoint --data d --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
check "nothing was appended" [ "$before" = $((index + 1)) ]

# --- a data directory's custos.json
# edit_info PYTHON: runs PYTHON over `j`, the JSON of d/custos.json, and writes it back.
edit_info() {
  python3 - "$1" <<'PY'
import json, sys
j = json.load(open("d/custos.json"))
exec(sys.argv[1])
json.dump(j, open("d/custos.json", "w"))
PY
}
mkdir -p d/keys && install -m 600 node.key d/keys/node.key
edit_info 'j["nodeKeyFile"] = "keys/node.key"'
mkdir -p elsewhere
expect 0 "a relative nodeKeyFile is found in the data directory" -- \
  env -C elsewhere "$CUSTOS" submit --data ../d --key ../admin.key --statement "$EXAMPLES/key-revoke.json"
edit_info 'j["origin"] = "other.example/custos"'
expect 1 "log verify fails when custos.json names another origin than the log's" -- "$CUSTOS" log verify --data d
contains err.txt '"other.example/custos"' "the failure names custos.json's origin"
contains err.txt "\"$ORIGIN\"" "the failure names the log's origin"

# --- options
# one_error FILE: FILE is one line in the form every error takes.
one_error() { [ "$(wc -l <"$1")" = 1 ] && grep -q '^custos: invalid argument: ' "$1"; }
expect 2 "an unknown option is refused" -- "$CUSTOS" log verify --data d --frobnicate
contains err.txt "--frobnicate" "the report names the option"
check "it is one line, 'custos: invalid argument: …'" one_error err.txt
expect 2 "a missing option is refused" -- "$CUSTOS" log verify
check "it is one line, 'custos: invalid argument: …'" one_error err.txt
expect 2 "a mistyped option is refused" -- "$CUSTOS" log verify --dat d
contains err.txt "unknown option --dat" "the report names the mistyped option, not the missing one it causes"
expect 2 "against a node too, before connecting" -- "$CUSTOS" --node 127.0.0.1:1 checkpoint --frobnicate
check "it is one line, 'custos: invalid argument: …'" one_error err.txt
expect 0 "--help still prints the help" -- "$CUSTOS" log verify --help
contains out.txt "--data" "the help lists the options"

finish cli_input
