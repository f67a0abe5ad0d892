#!/usr/bin/env bash
# End-to-end test of custos_forge (tests/tools/forge.cc): for each kind of bad
# entry, make a log with the `custos` command line, forge the entry into it,
# and check that the log still looks healthy from outside (it opens, its new
# checkpoint is signed by the node key and covers the entry) while
# `custos log verify` exits 1 naming the forged entry and the failed check.
# Real binaries, real LevelDB, a temporary directory; no network. Usage:
#   forge_test.sh CUSTOS_BINARY FORGE_BINARY EXAMPLES_DIR
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
FORGE=$2
EXAMPLES=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

# checkpoint_size DIR: the size line of the log's latest checkpoint.
checkpoint_size() { "$CUSTOS" checkpoint --data "$1" | sed -n 2p; }

ORIGIN=suzhou-ipb.example/custos
STATEMENT=$EXAMPLES/case-closed.json  # needs the "case" role

# --- keys: the node, an admin, an officer with the examples' roles, a key
# granted only "listing" (no role for case statements), one never granted.
expect 0 "node key" -- "$CUSTOS" key generate --name "$ORIGIN" --out node.key
NODE_VKEY=$(cat out.txt)
expect 0 "admin key" -- "$CUSTOS" key generate --name admin.li --out admin.key --json
ADMIN_VKEY=$(jq -r .verifierKey out.txt)
expect 0 "officer key" -- "$CUSTOS" key generate --name officer.zhang --out officer.key --json
jq --arg k "$(jq -r .publicKey out.txt)" '.body.keyGrant.key = $k' "$EXAMPLES/key-grant.json" >grant-officer.json
expect 0 "lister key" -- "$CUSTOS" key generate --name lister.wang --out lister.key --json
jq --arg k "$(jq -r .publicKey out.txt)" '.body.keyGrant.key = $k | .body.keyGrant.roles = ["listing"]' \
  "$EXAMPLES/key-grant.json" >grant-lister.json
expect 0 "stranger key" -- "$CUSTOS" key generate --name stranger.zhao --out stranger.key

# make_log DIR: genesis, the two grants, two good statements by the officer.
make_log() {
  local d=$1
  expect 0 "$d: log init" -- "$CUSTOS" log init --data "$d" --origin "$ORIGIN" --node-key node.key --admin "$ADMIN_VKEY"
  expect 0 "$d: grant the officer" -- "$CUSTOS" submit --data "$d" --key admin.key --statement grant-officer.json
  expect 0 "$d: grant the lister" -- "$CUSTOS" submit --data "$d" --key admin.key --statement grant-lister.json
  expect 0 "$d: submit case-opened" -- "$CUSTOS" submit --data "$d" --key officer.key --statement "$EXAMPLES/case-opened.json"
  expect 0 "$d: submit evidence-registered" -- "$CUSTOS" submit --data "$d" --key officer.key \
    --statement "$EXAMPLES/evidence-registered.json"
  expect 0 "$d: the honest log verifies" -- "$CUSTOS" log verify --data "$d"
}

# forge_case DIR KIND AUTHOR_KEY TEXT...: forges a KIND entry signed by
# AUTHOR_KEY into a new log DIR; `custos log verify` must fail naming the
# entry and every TEXT.
forge_case() {
  local d=$1 kind=$2 author=$3 want
  shift 3
  make_log "$d"
  local size
  size=$(checkpoint_size "$d")
  expect 0 "$d: forge a $kind entry" -- "$FORGE" bad-entry --data "$d" --node-key node.key --kind "$kind" \
    --key "$author" --statement "$STATEMENT"
  [ "$(cat out.txt)" = "$size" ] && ok "$d: prints the forged index $size" || bad "$d: printed '$(cat out.txt)', want $size"
  [ "$(checkpoint_size "$d")" = $((size + 1)) ] && ok "$d: the checkpoint shows the new size" ||
    bad "$d: checkpoint size $(checkpoint_size "$d"), want $((size + 1))"

  # The node vouches for the entry: its note verifies and its root covers it.
  "$CUSTOS" entry --data "$d" --index "$size" >forged.bin
  "$CUSTOS" prove inclusion --data "$d" --index "$size" >forged.tlog-proof
  expect 0 "$d: the new checkpoint proves the forged entry" -- \
    "$CUSTOS" verify --vkey "$NODE_VKEY" --proof forged.tlog-proof --entry forged.bin

  expect 1 "$d: log verify refuses the log" -- "$CUSTOS" log verify --data "$d"
  contains err.txt "entry $size: " "$d: log verify names the forged entry"
  for want in "$@"; do contains err.txt "$want" "$d: log verify names the check ($want)"; done
  expect 1 "$d: log verify --json refuses the log" -- "$CUSTOS" log verify --data "$d" --json
  [ "$(jq -r .ok out.txt)" = false ] && ok "$d: --json says not ok" || bad "$d: --json: $(cat out.txt)"
  contains out.txt "entry $size: " "$d: --json reason names the forged entry"
}

forge_case sig bad-signature officer.key "signature: does not verify"
forge_case chain broken-chain officer.key "prevHash does not match the previous entry's leaf hash"
forge_case stranger unauthorized stranger.key "is not known to this log"
forge_case lister unauthorized lister.key 'does not hold the role "case"'

# --- bad usage: exit 2, the log unchanged
make_log u
SIZE=$(checkpoint_size u)
expect 2 "no subcommand" -- "$FORGE"
expect 2 "an unknown kind" -- "$FORGE" bad-entry --data u --node-key node.key --kind bad-mood --key officer.key \
  --statement "$STATEMENT"
expect 2 "a missing option" -- "$FORGE" bad-entry --data u --node-key node.key --kind broken-chain --key officer.key
expect 2 "not a data directory" -- "$FORGE" bad-entry --data nowhere --node-key node.key --kind broken-chain \
  --key officer.key --statement "$STATEMENT"
contains err.txt "--data" "the refusal names --data"
expect 2 "a node key that is not the log's" -- "$FORGE" bad-entry --data u --node-key admin.key --kind broken-chain \
  --key officer.key --statement "$STATEMENT"
contains err.txt "--node-key" "the refusal names --node-key"
printf '{"origin": ' >trunc.json
expect 2 "a malformed statement" -- "$FORGE" bad-entry --data u --node-key node.key --kind broken-chain \
  --key officer.key --statement trunc.json
[ "$(checkpoint_size u)" = "$SIZE" ] && ok "refused usage leaves the log unchanged" || bad "the log grew"
expect 0 "the log still verifies" -- "$CUSTOS" log verify --data u
expect 0 "--help exits 0" -- "$FORGE" bad-entry --help
contains out.txt "broken-chain" "--help lists the kinds"

finish forge_test
