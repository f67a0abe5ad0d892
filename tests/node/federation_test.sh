#!/usr/bin/env bash
# A federation of real custosd processes on 127.0.0.1 (docs/replication.md):
#   - three nodes converge on identical replicas and cosigned checkpoints; a
#     fourth joins late and catches up;
#   - a follower killed (SIGKILL) during a catch-up resumes without loss or
#     duplication;
#   - a node that serves a forked history (a second log made with its key) is
#     caught by every honest node, which keeps the proof and stops cosigning;
#   - a node that serves entries failing a check (bad signature, broken chain,
#     unauthorised key; made with the test-only custos_forge) is not
#     replicated past the bad entry, and the reason is reported.
# Usage: federation_test.sh CUSTOSD CUSTOS CUSTOS_FORGE EXAMPLES_DIR
# KEEP_WORK=1 keeps the folder (every node's node.log) for a post-mortem.
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOSD=$(realpath "$1")
CUSTOS=$(realpath "$2")
FORGE=$(realpath "$3")
EXAMPLES=$(cd "$4" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FED_DIR=$(mktemp -d)
FED_LOG_LEVEL=debug
# shellcheck source=../../scripts/lib/federation.sh
source "$REPO/scripts/lib/federation.sh"
trap fed_cleanup EXIT
cd "$FED_DIR"
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
CRT=suzhou-court.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate crt "$CRT" court
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
NAMES=(ipb psb pro crt)

# statements FILE ORIGIN COUNT: COUNT copies of an example for ORIGIN's log, as JSON lines.
statements() {
  python3 - "$EXAMPLES/$1.json" "$2" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
line = json.dumps(s, ensure_ascii=False)
print("\n".join([line] * int(sys.argv[3])))
PY
}
# grant NAME: the example officer key gets its roles on NAME's log.
grant() {
  statements key-grant "$(fed_origin "$1")" 1 >"grant-$1.jsonl"
  fed_cli "$1" submit --batch "grant-$1.jsonl" >/dev/null
}
# submit NAME COUNT: COUNT case-opened statements by the officer to NAME's log.
submit() {
  statements case-opened "$(fed_origin "$1")" "$2" >"batch-$1.jsonl"
  FED_KEY=officer.key fed_cli "$1" submit --batch "batch-$1.jsonl" >/dev/null
}
own_size() { fed_json "$1" "s['logs'][0]['size']"; }
# log_field NAME ORIGIN FIELD: a field of the status entry of log ORIGIN on node NAME.
log_field() { fed_json "$1" "[l['$3'] for l in s['logs'] if l['origin'] == '$2'][0]"; }
# holds NAME PEER: NAME's replica of PEER's log is as large as PEER's own log.
holds() { [ "$(log_field "$1" "$(fed_origin "$2")" size)" = "$(own_size "$2")" ]; }
# cosigned NAME N: NAME's own checkpoint carries at least N cosignatures.
cosigned() { [ "$(fed_json "$1" "s['logs'][0]['cosignatures']")" -ge "$2" ]; }
# root NAME ORIGIN: the root of the checkpoint NAME serves for ORIGIN.
root() { fed_cli "$1" checkpoint --origin "$2" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["size"], j["root"])'; }
# all_hold NAME...: every listed node holds every other listed node's log in full.
all_hold() {
  local a b
  for a in "$@"; do for b in "$@"; do [ "$a" = "$b" ] || holds "$a" "$b" || return 1; done; done
}
alarm_has() { fed_json "$1" "s['alarms']" | grep -qF -- "$2"; }
peer_error_has() { fed_json "$1" "[p['lastError'] for p in s['peers'] if p['origin'] == '$2'][0]" | grep -qF -- "$3"; }

# ------------------------------------------------------------------ converge
for n in ipb psb pro; do check "custosd $n starts" fed_start $n; done
check "officer granted on ipb" grant ipb
check "officer granted on psb" grant psb
check "50 statements submitted to ipb" submit ipb 50
check "20 statements submitted to psb" submit psb 20
eventually 60 "ipb, psb and pro hold each other's logs in full" all_hold ipb psb pro
for n in ipb psb pro; do eventually 30 "$n's own checkpoint carries the other two's cosignatures" cosigned $n 2; done
want=$(root ipb "$IPB")
for n in psb pro; do check "$n's replica of ipb has ipb's size and root ($want)" [ "$(root $n "$IPB")" = "$want" ]; done
want=$(root psb "$PSB")
for n in ipb pro; do check "$n's replica of psb has psb's size and root" [ "$(root $n "$PSB")" = "$want" ]; done
for i in 0 17 50; do
  fed_cli ipb entry --index $i >"ipb-$i.bin"
  fed_cli pro entry --origin "$IPB" --index $i >"pro-$i.bin"
  check "entry $i of ipb is byte for byte the same on pro" cmp -s "ipb-$i.bin" "pro-$i.bin"
done
fed_cli pro checkpoint --origin "$IPB" >pro-ipb.note
check "pro serves ipb's checkpoint with its own cosignature" grep -q "^— $PRO " pro-ipb.note
fed_cli ipb checkpoint >ipb.note
check "ipb serves its checkpoint with psb's cosignature" grep -q "^— $PSB " ipb.note
check "ipb serves its checkpoint with pro's cosignature" grep -q "^— $PRO " ipb.note

# ------------------------------------------------------------------ late joiner
check "custosd crt starts late" fed_start crt
eventually 60 "crt catches up with ipb, psb and pro" all_hold ipb psb pro crt
eventually 30 "ipb's checkpoint gains crt's cosignature" cosigned ipb 3
check "crt's replica of ipb has ipb's root" [ "$(root crt "$IPB")" = "$(root ipb "$IPB")" ]

# ------------------------------------------------------------------ killed during catch-up
fed_stop crt TERM
check "4000 more statements submitted to ipb while crt is down" submit ipb 4000
big=$(own_size ipb)
held_before=$(log_field ipb "$IPB" size)
check "crt restarts" fed_start crt
# Kill it as soon as its replica of ipb has moved but is not complete.
moving() {
  local h
  h=$(log_field crt "$IPB" size) || return 1
  [ "$h" -gt 51 ] && [ "$h" -lt "$big" ]
}
if fed_wait 60 moving; then
  partial=$(log_field crt "$IPB" size)
  fed_stop crt KILL
  ok "crt killed with SIGKILL mid catch-up, at $partial of $big entries"
else
  bad "crt was never seen mid catch-up (held $(log_field crt "$IPB" size 2>/dev/null) of $big; held before $held_before)"
  fed_stop crt KILL
fi
check "crt restarts after the kill" fed_start crt
eventually 120 "crt completes the catch-up" holds crt ipb
check "crt's replica of ipb has ipb's size and root after the kill (no loss, no duplicate)" \
  [ "$(root crt "$IPB")" = "$(root ipb "$IPB")" ]
check "crt's status shows no alarm" [ "$(fed_json crt "len(s['alarms'])")" = 0 ]

# ------------------------------------------------------------------ origin down: fetched via a peer
# crt misses 100 of ipb's entries, then ipb goes down: crt gets them from the
# replica psb or pro holds, checked against ipb's own signature.
fed_stop crt TERM
check "100 more statements submitted to ipb while crt is down" submit ipb 100
want=$(root ipb "$IPB")
for n in psb pro; do eventually 30 "$n holds ipb's new entries" holds $n ipb; done
ipb_size=$(own_size ipb)
fed_stop ipb TERM
check "crt restarts while ipb is down" fed_start crt
crt_holds_ipb() { [ "$(log_field crt "$IPB" size)" = "$ipb_size" ]; }
eventually 60 "crt catches up with ipb through a peer's replica" crt_holds_ipb
check "crt's replica of ipb has ipb's root ($want)" [ "$(root crt "$IPB")" = "$want" ]
eventually 15 "crt's status says where the entries came from" peer_error_has crt "$IPB" "fetched via"
check "ipb restarts" fed_start ipb
eventually 30 "ipb's checkpoint gains crt's cosignature once it is back" cosigned ipb 3

# ------------------------------------------------------------------ forked history
# pro's key makes a second log (its own genesis, other entries); pro then
# serves it. The fork (1 entry) is smaller than what the others hold of pro
# (7), so they must compare it with their replica's tree at size 1.
check "officer granted on pro" grant pro
check "5 statements submitted to pro" submit pro 5
for n in ipb psb crt; do eventually 30 "$n holds pro's 7 entries" holds $n pro; done
fed_stop pro TERM
mv pro/data pro/data.honest
"$CUSTOS" log init --data pro/data --origin "$PRO" --node-key pro/node.key \
  --admin "$("$CUSTOS" key show --key pro/admin.key)" >/dev/null
check "pro restarts serving a forked history" fed_start pro
for n in ipb psb crt; do
  eventually 30 "$n detects pro's equivocation" alarm_has $n "equivocation: $PRO signed two inconsistent checkpoints"
done
for n in ipb psb crt; do
  check "$n names the equivocation in its peer status" peer_error_has $n "$PRO" "equivocation"
done
sleep 3  # more rounds of push and pull: still nobody may cosign the fork
check "nobody cosigns pro's forked checkpoint" [ "$(fed_json pro "s['logs'][0]['cosignatures']")" = 0 ]
check "ipb still serves pro's honest history" [ "$(log_field ipb "$PRO" size)" = 7 ]
fed_stop ipb TERM
check "ipb restarts" fed_start ipb
check "ipb keeps the proof across a restart" alarm_has ipb "equivocation: $PRO"
fed_stop pro TERM

# ------------------------------------------------------------------ entries that fail a check
# psb's log gets one forged entry (with a checkpoint psb's key signed over it).
fed_stop psb TERM
cp -a psb/data psb/data.clean
held_psb=$(log_field ipb "$PSB" size)
for kind in bad-signature broken-chain unauthorized; do
  rm -rf psb/data && cp -a psb/data.clean psb/data
  statements case-opened "$PSB" 1 >bad.json
  key=officer.key
  [ "$kind" = unauthorized ] && { "$CUSTOS" key generate --name stranger --out stranger.key >/dev/null 2>&1 || true; key=stranger.key; }
  index=$("$FORGE" bad-entry --data psb/data --node-key psb/node.key --kind "$kind" --key "$key" --statement bad.json 2>forge.err)
  check "custos_forge makes a $kind entry at $held_psb" [ "$index" = "$held_psb" ]
  fed_start psb || bad "psb restarts with the $kind entry"
  case $kind in
    bad-signature) reason="signature" ;;
    broken-chain) reason="prevHash" ;;
    unauthorized) reason="is not known to this log" ;;
  esac
  for n in ipb crt; do
    eventually 30 "$n refuses psb's $kind entry and says why ($reason)" peer_error_has $n "$PSB" "$reason"
    check "$n raises the alarm for psb's $kind entry" alarm_has $n "replication of $PSB stopped at size $held_psb"
    check "$n did not replicate psb past the $kind entry" [ "$(log_field $n "$PSB" size)" = "$held_psb" ]
  done
  fed_stop psb TERM
done

finish federation_test
