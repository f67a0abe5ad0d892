#!/usr/bin/env bash
# custosd's configuration end to end (docs/node.md), on two real custosd
# processes on 127.0.0.1 whose logs replicate each other:
#   - `--check-config` runs the checks start-up runs: a federation file with
#     another key for a peer whose log the node holds a replica of is refused
#     by both, naming the replica;
#   - a relative nodeKeyFile in the data directory's custos.json is a file of
#     that directory, wherever custosd is started from;
#   - an unknown option is reported like every other error.
# Usage: config_test.sh CUSTOSD CUSTOS EXAMPLES_DIR
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$@"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau
for n in ipb psb; do check "custosd $n starts" fed_start $n; done
replica_size() { fed_json psb "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]"; }
holds_ipb() { [ "$(replica_size)" -ge 1 ]; }
eventually 30 "psb holds a replica of ipb's log" holds_ipb
fed_stop psb TERM
PSB_DIR=$FED_DIR/psb

# --- a federation file with another key for a peer whose replica psb holds
"$CUSTOS" key generate --name "$IPB" --out impostor.key >/dev/null
python3 - "$("$CUSTOS" key show --key impostor.key)" "$IPB" <<'PY'
import json, sys
fed = json.load(open("federation.json"))
for peer in fed["peers"]:
    if peer["origin"] == sys.argv[2]:
        peer["verifierKey"] = sys.argv[1]
json.dump(fed, open("wrong-key.json", "w"))
PY
sed 's|"../federation.json"|"../wrong-key.json"|' "$PSB_DIR/node.json" >"$PSB_DIR/wrong-key.json"
expect 2 "custosd does not start with another key for a peer it holds a replica of" -- \
  env -C "$PSB_DIR" "$CUSTOSD" --config wrong-key.json
contains err.txt "replica of $IPB" "start-up names the replica"
expect 2 "--check-config refuses the same file" -- env -C "$PSB_DIR" "$CUSTOSD" --config wrong-key.json --check-config
contains err.txt "replica of $IPB" "--check-config names the replica, as start-up does"
check "--check-config prints no OK" [ ! -s out.txt ]
expect 0 "--check-config accepts the right file" -- env -C "$PSB_DIR" "$CUSTOSD" --config node.json --check-config
contains out.txt "config OK" "--check-config says OK"

# --- a relative nodeKeyFile in custos.json
mkdir -p "$PSB_DIR/data/keys"
install -m 600 "$PSB_DIR/node.key" "$PSB_DIR/data/keys/node.key"
python3 - "$PSB_DIR/data/custos.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["nodeKeyFile"] = "keys/node.key"
json.dump(j, open(sys.argv[1], "w"))
PY
# The node's config names no key file: the one custos.json names is used.
sed 's|"nodeKeyFile": "node.key", ||' "$PSB_DIR/node.json" >"$PSB_DIR/no-key.json"
expect 0 "custos.json's relative nodeKeyFile is found from another directory" -- \
  "$CUSTOSD" --config "$PSB_DIR/no-key.json" --check-config
expect 0 "and from the config's" -- env -C "$PSB_DIR" "$CUSTOSD" --config no-key.json --check-config

# --- options
expect 2 "an unknown option is refused" -- "$CUSTOSD" --config "$PSB_DIR/node.json" --check-confg
contains err.txt "custosd: invalid argument: " "it is reported as every other error is"
contains err.txt "--check-confg" "the report names the option"
check "the report is one line" [ "$(wc -l <err.txt)" = 1 ]
expect 2 "a mistyped --config is refused" -- "$CUSTOSD" --confg "$PSB_DIR/node.json"
contains err.txt "unknown option --confg" "the report names the mistyped option, not the missing --config"

finish config_end_to_end
