#!/usr/bin/env bash
# A damaged node store, refused and then repaired from a peer
# (docs/operations.md), with real custosd processes on 127.0.0.1: the bureau's
# last batch is acknowledged and cosigned by both peers; the bureau is killed
# and the newest LevelDB write-ahead log of its store is cut short, which
# LevelDB by itself would take for a clean end and so roll the log back.
# `custos log verify` and custosd refuse the store (exit non-zero, saying
# which size the node signed); `custos log repair` mends it from the police's
# replica; the log verifies at the acknowledged size, the node restarts,
# appends, and both peers cosign on without any equivocation alarm.
# Usage: repair_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau pro "$PRO" procuratorate
install -m 600 "$EXAMPLES/keys/officer.key" officer.key

# statements FILE ORIGIN COUNT: COUNT copies of an example for ORIGIN's log, as JSON lines.
statements() {
  python3 - "$EXAMPLES/$1.json" "$2" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
print("\n".join([json.dumps(s, ensure_ascii=False)] * int(sys.argv[3])))
PY
}
submit() {
  statements case-opened "$IPB" "$1" >batch.jsonl
  FED_KEY=officer.key fed_cli ipb submit --batch batch.jsonl >/dev/null
}
own_size() { fed_json "$1" "s['logs'][0]['size']"; }
log_field() { fed_json "$1" "[l['$3'] for l in s['logs'] if l['origin'] == '$2'][0]"; }
holds() { [ "$(log_field "$1" "$IPB" size)" = "$2" ]; }
cosigned() { [ "$(fed_json ipb "s['logs'][0]['cosignatures']")" -ge 2 ]; }
no_alarm() { [ "$(fed_json "$1" "len(s['alarms'])")" = 0 ]; }

for n in ipb psb pro; do check "custosd $n starts" fed_start $n; done
statements key-grant "$IPB" 1 >grant.jsonl
check "officer granted on ipb" fed_cli ipb submit --batch grant.jsonl
check "3 entries appended to ipb" submit 3
check "1 more entry appended to ipb (the batch to lose)" submit 1
size=$(own_size ipb)
for n in psb pro; do eventually 30 "$n holds ipb's $size entries" holds $n "$size"; done
eventually 30 "ipb's checkpoint of size $size is cosigned by both peers" cosigned

expect 0 "log backup copies the running node's store" -- "$CUSTOS" log backup --data ipb/data --out backup --json
check "the backup holds the acknowledged size" [ "$(json_field out.txt "['size']")" = "$size" ]
expect 0 "the backup verifies" -- "$CUSTOS" log verify --data backup
expect 2 "log backup refuses an existing directory" -- "$CUSTOS" log backup --data ipb/data --out backup
expect 0 "log verify checks the running node's store" -- "$CUSTOS" log verify --data ipb/data

# The same checks asked of the running node over RPC, with its admin key.
as_ipb=("$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key ipb/admin.key)
expect 0 "node verify: ipb verifies a copy of its store and replicas" -- "${as_ipb[@]}" node verify --json
check "node verify checked ipb's own log at the acknowledged size" \
  [ "$(json_field out.txt "['logs'][0]['role']")/$(json_field out.txt "['logs'][0]['size']")" = "own/$size" ]
check "node verify checked both replicas ipb holds" [ "$(json_field out.txt "['logs'][2]['role']")" = replica ]
check "node verify left no scratch copy" [ ! -e ipb/data/backups/.verify-scratch ]
expect 0 "node backup: ipb writes a verified backup" -- "${as_ipb[@]}" node backup --out nightly --json
check "the node's backup is in its backupDirectory" [ -f ipb/data/backups/nightly/custos.json ]
expect 0 "the node's backup verifies offline" -- "$CUSTOS" log verify --data ipb/data/backups/nightly --json
check "the node's backup holds the acknowledged size" [ "$(json_field out.txt "['size']")" = "$size" ]
expect 2 "node backup refuses a name that is taken" -- "${as_ipb[@]}" node backup --out nightly
contains err.txt "exists" "node backup says the name is taken"
expect 2 "node backup refuses a path for a name" -- "${as_ipb[@]}" node backup --out ../escape
check "node backup wrote nothing outside its directory" [ ! -e ipb/data/escape ]
expect 2 "node verify refuses an officer's key" -- \
  "$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key officer.key node verify
contains err.txt "not an admin key" "node verify says why the officer is refused"

fed_stop ipb KILL
wal=$(ls -S ipb/data/ledger/*.log | head -1)
check "ipb's newest write-ahead log holds the last batch" [ -s "$wal" ]
truncate -s $(($(stat -c %s "$wal") / 2)) "$wal"

expect 1 "log verify refuses the damaged store" -- "$CUSTOS" log verify --data ipb/data
contains err.txt "signed a checkpoint of size $size" "log verify says which size the node signed"
contains err.txt "custos log repair" "log verify says what to do"
refused_start() { ! fed_start ipb 2>/dev/null; }
check "custosd refuses to start on the damaged store" refused_start
contains ipb/node.log "signed a checkpoint of size $size" "custosd's log says why"

expect 0 "log repair mends the store from psb's replica" -- \
  "$CUSTOS" log repair --data ipb/data --from "$(fed_addr psb)" --from-vkey "$(fed_vkey psb)" --json
check "the repair re-applied the lost entries" [ "$(json_field out.txt "['reapplied']")" -ge 1 ]
expect 0 "log verify passes after the repair" -- "$CUSTOS" log verify --data ipb/data --json
check "the repaired log has the acknowledged size" [ "$(json_field out.txt "['size']")" = "$size" ]

check "ipb restarts on the repaired store" fed_start ipb
check "ipb appends after the repair" submit 1
next=$((size + 1))
for n in psb pro; do eventually 30 "$n replicates ipb's entry $size" holds $n "$next"; done
eventually 30 "both peers cosign ipb's checkpoint of size $next" cosigned
for n in psb pro; do check "$n raised no equivocation alarm" no_alarm $n; done
expect 0 "log verify checks psb's own log and its replicas while psb runs" -- \
  "$CUSTOS" log verify --data psb/data --federation federation.json --json
replica_size() {
  python3 -c 'import json, sys; j = json.load(open("out.txt"))
print({r["origin"]: r["size"] for r in j["replicas"]}.get(sys.argv[1], "none"))' "$1"
}
check "psb verified its replica of ipb at size $next" [ "$(replica_size "$IPB")" = "$next" ]
check "psb verified its replica of pro" [ "$(replica_size "$PRO")" != none ]

finish repair_end_to_end
