#!/usr/bin/env bash
# custosd's configuration end to end (docs/node.md), on two real custosd
# processes on 127.0.0.1 whose logs replicate each other:
#   - a relative nodeKeyFile in the data directory's custos.json is a file of
#     that directory, wherever custosd is started from.
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

finish config_end_to_end
