# shellcheck shell=bash
# A federation of custosd nodes on 127.0.0.1, all in one folder: shared by the
# walkthrough (scripts/demo.sh) and the integration tests
# (tests/node/federation_test.sh). Source it, then set:
#   CUSTOS, CUSTOSD   the two binaries
#   FED_DIR           the folder (one sub-folder per node)
#
#   fed_init NAME ORIGIN KIND [NAME ORIGIN KIND ...]
#       per node: NAME/node.key, NAME/admin.key, NAME/data (custos log init,
#       the admin key as genesis admin), NAME/node.json on a free port, with
#       the HTTP read plane on another (docs/http-api.md); then
#       one FED_DIR/federation.json listing every node, with every other node
#       as cosigner and a quorum of 2.
#   fed_start NAME          start custosd, wait until it listens
#   fed_stop NAME [SIGNAL]  stop it (TERM by default) and wait for it to exit
#   fed_stop_all            SIGKILL every node still running (for traps)
#   fed_cleanup             fed_stop_all, then removes FED_DIR unless KEEP_WORK
#                           is set (for `trap fed_cleanup EXIT` in tests)
#   fed_cli NAME ARGS...    custos --node <its address> --node-vkey <its key>
#                           --key NAME/admin.key ARGS... (override with FED_KEY=file)
#   fed_status NAME         its status as JSON on stdout
#   fed_json NAME EXPR      evaluates a Python expression over the status `s`
#                           (e.g. "s['logs'][0]['size']") and prints it
#   fed_wait SECONDS CMD... runs CMD every 0.2 s until it succeeds; 1 on timeout
#   fed_statement FILE ORIGIN [PYTHON]
#                           prints the JSON statement in FILE for ORIGIN's log,
#                           changed by PYTHON over `b` (its body) and `s` (all of it)
#   fed_origin NAME, fed_vkey NAME, fed_addr NAME
#   fed_http NAME           its HTTP read plane's base URL, http://127.0.0.1:PORT
#   fed_read_token NAME FILE
#                           adds the read token in FILE (the JSON of `custos key
#                           token --json`) to NAME's http.readTokens; before
#                           fed_start, as the node reads its config at start

# shellcheck source=python.sh
source "$(dirname "${BASH_SOURCE[0]}")/python.sh"

declare -gA FED_ORIGIN=() FED_PID=() FED_PORT=() FED_HTTP_PORT=() FED_KIND=()
# Optional agency names for the federation file ("name": {"zh", "en"}), set
# before fed_init: FED_NAME_ZH[ipb]=苏州市知识产权局 FED_NAME_EN[ipb]="Suzhou IP Bureau".
declare -gA FED_NAME_ZH=() FED_NAME_EN=()
declare -ga FED_NAMES=()

fed_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

fed_origin() { printf '%s' "${FED_ORIGIN[$1]}"; }
fed_addr() { printf '127.0.0.1:%s' "${FED_PORT[$1]}"; }
fed_http() { printf 'http://127.0.0.1:%s' "${FED_HTTP_PORT[$1]}"; }
fed_vkey() { "$CUSTOS" key show --key "$FED_DIR/$1/node.key"; }

fed_init() {
  local -a names=()
  while (($# >= 3)); do
    FED_ORIGIN[$1]=$2
    FED_KIND[$1]=$3
    names+=("$1")
    shift 3
  done
  local -a ports
  read -r -a ports <<<"$(fed_free_ports $((2 * ${#names[@]})))"
  local i name
  for i in "${!names[@]}"; do
    name=${names[$i]}
    FED_NAMES+=("$name")
    FED_PORT[$name]=${ports[$((2 * i))]}
    FED_HTTP_PORT[$name]=${ports[$((2 * i + 1))]}
    mkdir -p "$FED_DIR/$name"
    "$CUSTOS" key generate --name "${FED_ORIGIN[$name]}" --out "$FED_DIR/$name/node.key" >/dev/null
    "$CUSTOS" key generate --name "admin.$name" --out "$FED_DIR/$name/admin.key" >/dev/null
    "$CUSTOS" log init --data "$FED_DIR/$name/data" --origin "${FED_ORIGIN[$name]}" \
      --node-key "$FED_DIR/$name/node.key" --admin "$("$CUSTOS" key show --key "$FED_DIR/$name/admin.key")" >/dev/null
    cat >"$FED_DIR/$name/node.json" <<JSON
{"dataDir": "data", "nodeKeyFile": "node.key", "listen": "127.0.0.1:${FED_PORT[$name]}",
 "federationFile": "../federation.json", "logLevel": "${FED_LOG_LEVEL:-info}",
 "http": {"listen": "127.0.0.1:${FED_HTTP_PORT[$name]}"}}
JSON
  done
  {
    printf '{\n  "peers": [\n'
    local sep=""
    for name in "${FED_NAMES[@]}"; do
      printf '%s    {"origin": "%s", "verifierKey": "%s", "address": "%s", "agencyKind": "%s"' \
        "$sep" "${FED_ORIGIN[$name]}" "$(fed_vkey "$name")" "$(fed_addr "$name")" "${FED_KIND[$name]}"
      if [[ -n "${FED_NAME_ZH[$name]:-}${FED_NAME_EN[$name]:-}" ]]; then
        printf ',\n     "name": {"zh": "%s", "en": "%s"}' "${FED_NAME_ZH[$name]:-}" "${FED_NAME_EN[$name]:-}"
      fi
      printf '}'
      sep=$',\n'
    done
    printf '\n  ],\n  "witnessPolicy": {"cosigners": ['
    sep=""
    for name in "${FED_NAMES[@]}"; do
      printf '%s"%s"' "$sep" "${FED_ORIGIN[$name]}"
      sep=", "
    done
    printf '], "quorum": 2}\n}\n'
  } >"$FED_DIR/federation.json"
}

fed_start() {
  local name=$1 dir=$FED_DIR/$1
  rm -f "$dir/addr"
  (cd "$dir" && exec "$CUSTOSD" --config node.json --address-file addr 2>>node.log) &
  FED_PID[$name]=$!
  local _
  for _ in $(seq 100); do
    [[ -s $dir/addr ]] && return 0
    kill -0 "${FED_PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "custosd $name did not start: $(tail -5 "$dir/node.log")" >&2
  return 1
}

fed_stop() {
  local name=$1 signal=${2:-TERM} pid=${FED_PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  FED_PID[$name]=
}

fed_stop_all() {
  local name
  for name in "${!FED_PID[@]}"; do
    [[ -n ${FED_PID[$name]} ]] && kill -KILL "${FED_PID[$name]}" 2>/dev/null
  done
  wait 2>/dev/null || true
}

fed_cleanup() {
  fed_stop_all
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $FED_DIR"; else rm -rf "$FED_DIR"; fi
}

fed_cli() {
  local name=$1
  shift
  "$CUSTOS" --node "$(fed_addr "$name")" --node-vkey "$(fed_vkey "$name")" --key "${FED_KEY:-$FED_DIR/$name/admin.key}" "$@"
}

fed_status() { fed_cli "$1" node status --json; }

fed_json() {
  local json
  json=$(fed_status "$1") || return 1
  python3 -c 'import json, sys; s = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$json" "$2"
}

fed_wait() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

fed_read_token() {
  python3 - "$FED_DIR/$1/node.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
c["http"].setdefault("readTokens", []).append({"name": t["name"], "sha256": t["sha256"]})
json.dump(c, open(sys.argv[1], "w"))
PY
}

fed_statement() {
  python3 - "$1" "$2" "${3:-}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
b = next(iter(s["body"].values()))
exec(sys.argv[3])
print(json.dumps(s, ensure_ascii=False, indent=1))
PY
}
