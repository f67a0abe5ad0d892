#!/usr/bin/env bash
# The HTTP read plane of real custosd processes (docs/http-api.md): ipb's log
# of 600+ entries and psb's replica of it, read as C2SP tlog-tiles by an
# independent client (tests/interop/goverify, Go's x/mod tlog: every entry's
# inclusion proved from tiles alone) and with curl: content types, caching,
# problem details for what is not there or malformed, the logs list, health,
# readiness, metrics, the status page in headless Chromium, the header limit,
# HTTPS on the listener and the per-client rate limit.
# Usage: http_test.sh CUSTOSD CUSTOS EXAMPLES_DIR GOVERIFY
set -uo pipefail
source "$(dirname "$0")/federation_setup.sh" "$1" "$2" "$3"
GOVERIFY=$4

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau
install -m 600 "$EXAMPLES/keys/officer.key" officer.key
# psb witnesses a log outside the federation (node/tlog_witness.h), which the
# Go client below plays, with a key of its own.
check "goverify is built (golang-go, golang-golang-x-mod-dev)" [ -x "$GOVERIFY" ]
OUTSIDE=outside.example/log
read -r OUTSIDE_SKEY OUTSIDE_VKEY <<<"$("$GOVERIFY" gen-key "$OUTSIDE")"
python3 - psb/node.json "$OUTSIDE" "$OUTSIDE_VKEY" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["tlogWitness"] = {"logs": [{"origin": sys.argv[2], "verifierKey": sys.argv[3]}]}
json.dump(c, open(sys.argv[1], "w"))
PY
# ipb also publishes its tiles as files (node/tile_publisher.h), for nginx
# below, and takes one read token (custos key token).
"$CUSTOS" key token --name monitor-a --json >token.json
TOKEN=$(json_field token.json "['token']")
fed_read_token ipb token.json
python3 - ipb/node.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["publish"] = {"directory": "published", "intervalMilliseconds": 100}
json.dump(c, open(sys.argv[1], "w"))
PY
# ipb asks two witnesses outside the federation to cosign (node/witness_asker.h),
# both C2SP tlog-witnesses written from the spec in Go: an honest one, and one
# that claims a size of ipb's log ipb never reached.
read -r W1_SEED W1_VKEY <<<"$("$GOVERIFY" gen-witness witness.example/w1)"
read -r W2_SEED W2_VKEY <<<"$("$GOVERIFY" gen-witness liar.example/w2)"
read -r W3_SEED W3_VKEY <<<"$("$GOVERIFY" gen-witness tls.example/w3)"
# The third speaks HTTPS, with a certificate for 127.0.0.1 that ipb is told to trust (caFile).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout w3.key -out ipb/w3.crt 2>openssl.err
"$GOVERIFY" witness-server w1.addr witness.example/w1 "$W1_SEED" "$(fed_vkey ipb)" 2>w1.log &
W1_PID=$!
WITNESS_CLAIM=999999 "$GOVERIFY" witness-server w2.addr liar.example/w2 "$W2_SEED" "$(fed_vkey ipb)" 2>w2.log &
W2_PID=$!
WITNESS_TLS_CERT=ipb/w3.crt WITNESS_TLS_KEY=w3.key \
  "$GOVERIFY" witness-server w3.addr tls.example/w3 "$W3_SEED" "$(fed_vkey ipb)" 2>w3.log &
W3_PID=$!
witnesses_up() { [ -s w1.addr ] && [ -s w2.addr ] && [ -s w3.addr ]; }
eventually 10 "three Go tlog-witnesses listen" witnesses_up
python3 - ipb/node.json "$(cat w1.addr)" "$W1_VKEY" "$(cat w2.addr)" "$W2_VKEY" "$(cat w3.addr)" "$W3_VKEY" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["outsideWitnesses"] = [{"url": sys.argv[2], "verifierKey": sys.argv[3]},
                         {"url": sys.argv[4] + "/", "verifierKey": sys.argv[5]},
                         {"url": sys.argv[6], "verifierKey": sys.argv[7], "caFile": "w3.crt"}]
json.dump(c, open(sys.argv[1], "w"))
PY
for n in ipb psb; do check "custosd $n starts" fed_start $n; done

# example FILE COUNT: COUNT copies of an example statement for ipb's log, as JSON lines.
example() {
  python3 - "$EXAMPLES/$1.json" "$IPB" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
print("\n".join([json.dumps(s, ensure_ascii=False)] * int(sys.argv[3])))
PY
}
example key-grant 1 >grant.jsonl
granted() { fed_cli ipb submit --batch grant.jsonl >/dev/null; }
check "officer granted on ipb" granted
example case-opened 600 >cases.jsonl
FED_KEY=officer.key fed_cli ipb submit --batch cases.jsonl >/dev/null
size=$(fed_json ipb "s['logs'][0]['size']")
check "ipb's log has $size entries: two full tiles, a partial one, a level-1 tile" [ "$size" -gt 512 ]
holds() { [ "$(fed_json psb "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]")" = "$size" ]; }
eventually 60 "psb's replica holds ipb's $size entries" holds

IPB_URL="$(fed_http ipb)/tlog/$IPB/"
VKEY=$(fed_vkey ipb)
expect 0 "Go's tlog proves every entry of ipb's log from ipb's tiles" -- "$GOVERIFY" tiles "$IPB_URL" "$VKEY"
contains err.txt "$size entries proved from tiles" "all $size entries"
# psb's replica can lag ipb's last note by a batch: the replica's own checkpoint is checked.
expect 0 "the same from psb's replica of ipb's log" -- "$GOVERIFY" tiles "$(fed_http psb)/tlog/$IPB/" "$VKEY"
expect 1 "another key does not verify ipb's checkpoint" -- "$GOVERIFY" tiles "$IPB_URL" "$(fed_vkey psb)"

# nginx (the Debian package) serves ipb's published directory; the same Go
# client proves every entry from it, without touching the node.
NGINX_PORT=$(fed_free_ports 1)
mkdir -p nginx/tmp
cat >nginx/nginx.conf <<CONF
daemon off;
master_process off;
pid $PWD/nginx/nginx.pid;
error_log $PWD/nginx/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $PWD/nginx/tmp; proxy_temp_path $PWD/nginx/tmp; fastcgi_temp_path $PWD/nginx/tmp;
  uwsgi_temp_path $PWD/nginx/tmp; scgi_temp_path $PWD/nginx/tmp;
  types {}
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $PWD/ipb/published;
    location ~ /checkpoint\$ { default_type "text/plain; charset=utf-8"; add_header Cache-Control "public, max-age=5"; }
    location ~ /tile/ { default_type application/octet-stream; add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
CONF
nginx -p "$PWD/nginx" -c "$PWD/nginx/nginx.conf" &
NGINX_PID=$!
trap 'kill $NGINX_PID $W1_PID $W2_PID $W3_PID 2>/dev/null; fed_cleanup' EXIT
published() { [ "$(sed -n 2p "ipb/published/$IPB/checkpoint" 2>/dev/null)" = "$size" ]; }
eventually 30 "ipb publishes its checkpoint of size $size as a file" published
nginx_up() { curl -sf "http://127.0.0.1:$NGINX_PORT/$IPB/checkpoint" >/dev/null; }
eventually 10 "nginx serves the published directory" nginx_up
expect 0 "Go's tlog proves every entry from nginx's files alone" -- \
  "$GOVERIFY" tiles "http://127.0.0.1:$NGINX_PORT/$IPB/" "$VKEY"
contains err.txt "$size entries proved from tiles" "all $size entries"
check "no file is left half written" [ -z "$(find ipb/published -name '*.tmp')" ]
kill $NGINX_PID 2>/dev/null

# curl_to NAME URL [CURL ARGS...]: body in NAME.body, headers in NAME.head; prints the status.
curl_to() {
  local name=$1 url=$2
  shift 2
  curl -s -o "$name.body" -D "$name.head" -w '%{http_code}' "$@" "$url"
}
header() { grep -i "^$2:" "$1.head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
check "the checkpoint: 200" [ "$(curl_to cp "${IPB_URL}checkpoint")" = 200 ]
check "the checkpoint is text/plain; charset=utf-8" [ "$(header cp Content-Type)" = "text/plain; charset=utf-8" ]
check "the checkpoint is cached a few seconds at most" [ "$(header cp Cache-Control)" = "public, max-age=5" ]
cosigned() { curl -s "${IPB_URL}checkpoint" | grep -q "^— $PSB "; }
eventually 30 "the checkpoint carries psb's cosignature" cosigned
check "a full tile: 200" [ "$(curl_to t0 "${IPB_URL}tile/0/000")" = 200 ]
check "a full tile is 256 hashes" [ "$(stat -c %s t0.body)" = 8192 ]
check "a full tile is immutable" [ "$(header t0 Cache-Control)" = "public, max-age=31536000, immutable" ]
check "a partial entry bundle: 200" [ "$(curl_to eb "${IPB_URL}tile/entries/002.p/$((size - 512))")" = 200 ]
check "HEAD gives the headers and no body" [ "$(curl_to head "${IPB_URL}tile/0/000" -I)" = 200 ]
check "HEAD says the length" [ "$(header head Content-Length)" = 8192 ]
check "a tile past the tree: 404" [ "$(curl_to past "${IPB_URL}tile/0/009")" = 404 ]
check "the 404 is a problem detail" [ "$(header past Content-Type)" = "application/problem+json" ]
check "  with a stable code" [ "$(json_field past.body "['code']")" = not-found ]
check "a malformed tile path: 400" [ "$(curl_to bad "${IPB_URL}tile/0/1234")" = 400 ]
contains bad.body "three digits" "the 400 says what is wrong"
check "a log the node does not hold: 404" [ "$(curl_to unknown "$(fed_http ipb)/tlog/nobody.example/log/checkpoint")" = 404 ]
check "  code unknown-log" [ "$(json_field unknown.body "['code']")" = unknown-log ]
check "POST: 405" [ "$(curl_to post "${IPB_URL}checkpoint" -X POST -d x)" = 405 ]
check "  Allow: GET, HEAD" [ "$(header post Allow)" = "GET, HEAD" ]
check "/v1/logs: 200" [ "$(curl_to logs "$(fed_http psb)/v1/logs")" = 200 ]
check "/v1/logs lists psb's own log first, then its replica of ipb" \
  [ "$(python3 -c "import json; j=json.load(open('logs.body')); print([(l['origin'], l['role']) for l in j['logs']])")" = \
    "[('$PSB', 'own'), ('$IPB', 'replica')]" ]
check "/healthz: ok" [ "$(curl_to health "$(fed_http ipb)/healthz")" = 200 ]
check "a 20 KB header: 431" [ "$(curl_to big "${IPB_URL}checkpoint" -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)")" = 431 ]
check "ipb still serves after the refusals" [ "$(curl_to again "${IPB_URL}checkpoint")" = 200 ]

# Listing checks over HTTP, as a credit platform's web service makes them.
COMPANY=91320583MA1WR6T306
example subject-listed 1 >listed.jsonl
listed() { FED_KEY=officer.key fed_cli ipb submit --batch listed.jsonl >/dev/null; }
check "the example listing is appended to ipb's log" listed
lower=$(printf '%s' "$COMPANY" | tr 'A-Z' 'a-z')
check "GET /v1/listings/org/<code in lower case>: 200" [ "$(curl_to lst "$(fed_http ipb)/v1/listings/org/$lower")" = 200 ]
check "  application/json, not cached" [ "$(header lst Content-Type) $(header lst Cache-Control)" = "application/json no-store" ]
python3 - lst.body "$COMPANY" "$IPB" >lst.check <<'PY'
import base64, json, sys
j = json.load(open(sys.argv[1]))
assert j["id"] == sys.argv[2] and j["kind"] == "org" and j["listed"] is True, (j["id"], j["listed"])
log = [l for l in j["logs"] if l["origin"] == sys.argv[3]][0]
l = log["listings"][0]
assert l["subjectName"] and l["legalBasis"] and l["listedFrom"] > 0 and l["publicationEnds"] > l["listedFrom"], l
assert log["checkpoint"].startswith(sys.argv[3] + "\n"), log["checkpoint"][:40]
assert len(base64.b64decode(log["mapProof"]["key"])) == 32 and log["mapProof"]["value"] is not None
assert all(len(base64.b64decode(h)) == 32 for h in l["inclusionProof"])
open("answer.bin", "wb").write(base64.b64decode(j["answer"]))
print(l["subjectName"])
PY
check "  Python finds it listed under the canonical code, with its fields and proofs" [ -s lst.check ]
# ipb's answer is checked offline against a policy its two-node federation can meet.
python3 - <<'PY'
import json
fed = json.load(open("federation.json"))
fed["witnessPolicy"]["quorum"] = 1
json.dump(fed, open("quorum-1.json", "w"))
PY
verified() {
  curl -s "$(fed_http ipb)/v1/listings/org/$COMPANY" |
    python3 -c 'import base64,json,sys; open("answer.bin","wb").write(base64.b64decode(json.load(sys.stdin)["answer"]))' &&
    "$CUSTOS" listing verify answer.bin --trust quorum-1.json --json >verify.json
}
eventually 30 "the answer's bytes verify with custos listing verify" verified
check "  and say listed" [ "$(json_field verify.json "['listed']")" = True ]

check "an invalid code: 400" [ "$(curl_to inv "$(fed_http ipb)/v1/listings/org/${COMPANY%?}7")" = 400 ]
check "  code invalid-id" [ "$(json_field inv.body "['code']")" = invalid-id ]
contains inv.body "bad check character (want 6)" "  with the reason"
check "the answers have every field docs/openapi.yaml requires" \
  openapi_fields "/v1/listings/{kind}/{id}=lst.body" "/v1/logs=logs.body" "problem=inv.body"
check "an unknown kind: 400 invalid-kind" [ "$(curl_to kind "$(fed_http ipb)/v1/listings/robot/$COMPANY")" = 400 ]
printf '{"ids": ["%s", "%s", "91350100M000100Y43"]}' "$COMPANY" "${COMPANY%?}7" >batch.json
check "POST a batch of 3: 200" [ "$(curl_to batch "$(fed_http ipb)/v1/listings/org" -X POST --data-binary @batch.json)" = 200 ]
check "  one result per id: listed, a problem, not listed" \
  [ "$(python3 -c "import json; r=json.load(open('batch.body'))['results']; print(r[0]['listed'], r[1]['problem']['code'], r[2]['listed'])")" = \
    "True invalid-id False" ]
python3 -c 'import json; print(json.dumps({"ids": ["91350100M000100Y43"] * 1001}))' >big.json
check "a batch of 1001 ids: 400" [ "$(curl_to big "$(fed_http ipb)/v1/listings/org" -X POST --data-binary @big.json)" = 400 ]
check "a body that is not {\"ids\": [...]}: 400" [ "$(curl_to junk "$(fed_http ipb)/v1/listings/org" -X POST -d '[1]')" = 400 ]

# An evidence bundle over HTTP, checked offline as a court would.
example evidence-registered 1 >evidence.jsonl
registered() { FED_KEY=officer.key fed_cli ipb submit --batch evidence.jsonl >/dev/null; }
check "the example evidence is registered in ipb's log" registered
DIGEST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["body"]["evidenceRegistered"]["digests"][0]["value"])' \
  "$EXAMPLES/evidence-registered.json")
check "the bundle without a token: 401" [ "$(curl_to ev0 "$(fed_http ipb)/v1/evidence/sha256/$DIGEST")" = 401 ]
bundle_verifies() {
  curl -sf -H "Authorization: Bearer $TOKEN" -o video.bundle "$(fed_http ipb)/v1/evidence/sha256/$DIGEST" &&
    "$CUSTOS" verify --bundle video.bundle --trust quorum-1.json >bundle.txt
}
eventually 30 "GET /v1/evidence/sha256/<digest>: the bundle verifies with custos verify --bundle" bundle_verifies
contains bundle.txt "OK" "  custos says OK"
check "an unknown digest: 404" \
  [ "$(curl_to ev1 "$(fed_http ipb)/v1/evidence/sha256/$(printf '%064d' 0)" -H "Authorization: Bearer $TOKEN")" = 404 ]
check "a digest that is not 64 hex digits: 400" \
  [ "$(curl_to ev2 "$(fed_http ipb)/v1/evidence/sha256/abc" -H "Authorization: Bearer $TOKEN")" = 400 ]

# Queries that need a read token: status, entries with proofs, consistency, metrics.
check "/v1/status without a token: 401" [ "$(curl_to st0 "$(fed_http ipb)/v1/status")" = 401 ]
check "  WWW-Authenticate: Bearer" [ "$(header st0 WWW-Authenticate)" = 'Bearer realm="custos"' ]
check "  code unauthorized" [ "$(json_field st0.body "['code']")" = unauthorized ]
check "/v1/status with another token: 401" \
  [ "$(curl_to st1 "$(fed_http ipb)/v1/status" -H "Authorization: Bearer 00$TOKEN")" = 401 ]
check "/v1/status with the token: 200" [ "$(curl_to st "$(fed_http ipb)/v1/status" -H "Authorization: Bearer $TOKEN")" = 200 ]
check "  names ipb's own log" [ "$(json_field st.body "['logs'][0]['origin']")" = "$IPB" ]
check "psb, with no tokens configured, refuses: 401" [ "$(curl_to st2 "$(fed_http psb)/v1/status" -H "Authorization: Bearer $TOKEN")" = 401 ]
check "an entry with its inclusion proof: 200" \
  [ "$(curl_to ent "$(fed_http ipb)/v1/logs/$IPB/entries/300" -H "Authorization: Bearer $TOKEN")" = 200 ]
# Python's standard library checks the RFC 9162 inclusion proof against the checkpoint's root.
inclusion_verifies() {
  python3 - ent.body <<'PY'
import base64, hashlib, json, sys
j = json.load(open(sys.argv[1]))
entry = base64.b64decode(j["entry"])
h = hashlib.sha256(b"\x00" + entry).digest()
assert base64.b64encode(h).decode() == j["leafHash"]
index, size = j["index"], j["treeSize"]
fn, sn = index, size - 1
for p in (base64.b64decode(x) for x in j["inclusionProof"]):
    assert sn != 0
    if fn % 2 == 1 or fn == sn:
        h = hashlib.sha256(b"\x01" + p + h).digest()
        if fn % 2 == 0:
            while fn % 2 == 0 and fn != 0:
                fn >>= 1; sn >>= 1
    else:
        h = hashlib.sha256(b"\x01" + h + p).digest()
    fn >>= 1; sn >>= 1
assert sn == 0
lines = j["checkpoint"].split("\n")
assert int(lines[1]) == size and base64.b64decode(lines[2]) == h, "root mismatch"
assert j["decoded"]["index"] == str(index) or j["decoded"]["index"] == index
PY
}
check "  Python verifies the inclusion proof against the checkpoint's root" inclusion_verifies
check "an entry past the tree: 404" \
  [ "$(curl_to ent2 "$(fed_http ipb)/v1/logs/$IPB/entries/99999" -H "Authorization: Bearer $TOKEN")" = 404 ]
check "a consistency proof from 100: 200" \
  [ "$(curl_to con "$(fed_http ipb)/v1/logs/$IPB/consistency?old=100" -H "Authorization: Bearer $TOKEN")" = 200 ]
check "  has hashes" [ "$(json_field con.body "['consistencyProof'].__len__()")" -gt 0 ]
check "/metrics with the token: 200" [ "$(curl_to met "$(fed_http ipb)/metrics" -H "Authorization: Bearer $TOKEN")" = 200 ]
contains met.body "custos_log_entries{origin=\"$IPB\",role=\"own\"}" "  the log's size"
contains met.body 'custos_http_responses_total{code="401"}' "  responses by status, the 401s among them"
check "these answers have every field docs/openapi.yaml requires" openapi_fields "/v1/status=st.body" \
  "/v1/logs/{origin}/entries/{index}=ent.body" "/v1/logs/{origin}/consistency=con.body" "problem=st0.body"

# The operator's view: readiness, what the event loop reports in /metrics,
# and the status page as a browser renders it (headless Chromium).
check "/readyz: ready" [ "$(curl_to ready "$(fed_http ipb)/readyz")" = 200 ]
# metric FILE NAME{LABELS}: the value of one sample.
metric() { awk -v name="$2" '$1 == name { print $2; exit }' "$1"; }
check "  the append latency histogram counts every batch" \
  [ "$(metric met.body 'custos_append_batch_seconds_count')" -gt 0 ]
check "  entries appended since start: at least the $size above" \
  [ "$(metric met.body 'custos_appended_entries_total')" -ge "$size" ]
check "  psb's cosignatures of ipb's checkpoints, received" \
  [ "$(metric met.body 'custos_cosignatures_received_total')" -gt 0 ]
check "  psb connected, its replica's lag and last contact" \
  [ "$(metric met.body "custos_peer_connected{origin=\"$PSB\"}") $(grep -c "custos_replica_lag_entries{origin=\"$PSB\"}\|custos_peer_last_contact_seconds{origin=\"$PSB\"}" met.body)" = "1 2" ]
contains met.body '# TYPE custos_leveldb_compaction_seconds_total counter' "  LevelDB's compaction figures"
contains met.body 'custos_overload_refusals_total{what="submissions"} 0' "  refusals for overload, none yet"
chrome() { chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$PWD/chromium" "$@" 2>>chromium.err; }
# page_rows FILE: the rendered page's language, its alarm box, and one line per log and per peer.
page_rows() {
  python3 - "$1" <<'PY'
import html.parser, sys
class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.out = []; self.row = None; self.alarms = None; self.lang = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html": self.lang = a.get("lang")
        if tag == "section" and a.get("id") == "alarms": self.alarms = a.get("class")
        if tag == "tr" and a.get("class") in ("log", "peer"): self.row = [a["class"]]
    def handle_endtag(self, tag):
        if tag == "tr" and self.row: self.out.append(" | ".join(self.row)); self.row = None
    def handle_data(self, data):
        if self.row is not None and data.strip(): self.row.append(data.strip())
p = Rows(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.lang, p.alarms)
print("\n".join(p.out))
PY
}
now_size=$(fed_json ipb "s['logs'][0]['size']")
holds_now() { [ "$(fed_json psb "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]")" = "$now_size" ]; }
eventually 30 "psb's replica holds ipb's $now_size entries" holds_now
check "Chromium renders psb's status page" chrome --dump-dom "$(fed_http psb)/" >page.html
page_rows page.html >page.txt
check "  in Chinese, with no alarm" [ "$(head -1 page.txt)" = "zh-CN calm" ]
contains page.html "Custos 节点状态" "  titled in Chinese"
contains page.txt "log | $PSB | 本节点日志 |" "  psb's own log"
contains page.txt "log | $IPB | 副本 | $now_size | 规模 $now_size" "  its replica of ipb, at ipb's size"
contains page.txt "peer | $IPB | 知识产权局 |" "  ipb as a peer, an IP bureau"
contains page.txt "已连接 | $now_size | $now_size | 0 |" "  connected, nothing to catch up"
contains page.html "UTC+08:00" "  times in Beijing time, the zone shown"
check "  no script, and nothing from outside the node" python3 -c '
import re, sys; h = open("page.html", encoding="utf-8").read()
assert "<script" not in h and not re.search(r"(src|href)=\"(https?:)?//", h), "outside reference"'
check "Chromium renders it in English with ?lang=en" chrome --dump-dom "$(fed_http psb)/?lang=en" >page-en.html
page_rows page-en.html >page-en.txt
check "  in English" [ "$(head -1 page-en.txt)" = "en calm" ]
contains page-en.txt "peer | $IPB | IP bureau |" "  ipb as an IP bureau"
check "a screenshot of it" chrome --screenshot="$PWD/status.png" --window-size=1280,900 "$(fed_http psb)/"
check "  is a PNG of 1280x900" python3 -c '
import struct; b = open("status.png", "rb").read(24); assert b[:8] == b"\x89PNG\r\n\x1a\n", b[:8]
assert struct.unpack(">II", b[16:24]) == (1280, 900), struct.unpack(">II", b[16:24])'
# CUSTOS_DOCS_PICTURES=1 keeps it as docs/status-page.png.
[ -z "${CUSTOS_DOCS_PICTURES:-}" ] || cp status.png "$REPO/docs/status-page.png"
check "?lang=fr: 400" [ "$(curl_to fr "$(fed_http psb)/?lang=fr")" = 400 ]

# The other direction of tlog-witness: ipb asked the outside witnesses.
outside_cosigned() { curl -s "${IPB_URL}checkpoint" >cp-outside.txt && grep -q "^— witness.example/w1 " cp-outside.txt; }
eventually 30 "ipb's checkpoint carries the outside witness's cosignature" outside_cosigned
expect 0 "  which Go verifies with the witness's key (x/mod note, cosignature/v1)" -- \
  "$GOVERIFY" cosignature "$W1_VKEY" cp-outside.txt
tls_cosigned() { curl -s "${IPB_URL}checkpoint" >cp-tls.txt && grep -q "^— tls.example/w3 " cp-tls.txt; }
eventually 30 "  and the HTTPS witness's, asked over TLS with the CA file ipb was given" tls_cosigned
expect 0 "  which Go verifies too" -- "$GOVERIFY" cosignature "$W3_VKEY" cp-tls.txt
# After its first 200 (old 0) every 200 verified a consistency proof from the size it held (tlog.CheckTree).
check "  cosigned more than once: consistency proofs from the size it held verified" \
  [ "$(grep -c '^witness-server: 200 — witness.example/w1' w1.log)" -ge 2 ]
check "  and never answered anything but 200 or 409" \
  [ -z "$(grep '^witness-server: ' w1.log | grep -v '^witness-server: 200 \|^witness-server: 409 ')" ]
check "the witness that claims size 999999: an alarm on ipb's status page" \
  grep -q "liar.example/w2.*holds size 999999 of this log" <(curl -s "$(fed_http ipb)/?lang=en")
check "  and in ipb's metrics" [ "$(curl -s -H "Authorization: Bearer $TOKEN" "$(fed_http ipb)/metrics" |
  awk '$1 == "custos_equivocation_alarms" {print $2}')" = 1 ]
check "  asked once, then no more" [ "$(grep -c '^witness-server: 409 999999' w2.log)" = 1 ]

# C2SP tlog-witness: a client written from the spec (Go) drives psb's
# /add-checkpoint through every answer the spec prescribes.
PSB_WITNESS=$("$CUSTOS" key show --witness --key psb/node.key)
expect 0 "a tlog-witness client drives psb: 200, 409, 422, 403, 404, 400 as the spec says" -- \
  "$GOVERIFY" witness-client "$(fed_http psb)" "$OUTSIDE" "$OUTSIDE_SKEY" "$PSB_WITNESS"
contains err.txt "ok old 5 with a consistency proof to 8: 200" "  a consistent checkpoint is cosigned"
contains err.txt "ok a damaged consistency proof: 422" "  a damaged proof is refused"
check "psb keeps what it cosigned in its data directory" grep -q "$OUTSIDE" psb/data/tlog-witness.json
fed_stop psb
check "psb restarts" fed_start psb
expect 0 "after a restart psb still holds size 13 (409, text/x.tlog.size)" -- \
  "$GOVERIFY" witness-client "$(fed_http psb)" "$OUTSIDE" "$OUTSIDE_SKEY" "$PSB_WITNESS" 13
check "ipb witnesses no outside log: 404" [ "$(curl_to nw "$(fed_http ipb)/add-checkpoint" -X POST -d x)" = 404 ]

# Who may read changes without a restart (SIGHUP): monitor-a's token is
# replaced by monitor-b's, and a reader's key may use the CLI's node commands
# over RPC, read-only (config "readers").
"$CUSTOS" key token --name monitor-b --json >token-b.json
TOKEN_B=$(json_field token-b.json "['token']")
"$CUSTOS" key generate --name reader.credit-platform --out reader.key >/dev/null
READER=("$CUSTOS" --node "$(fed_addr ipb)" --node-vkey "$(fed_vkey ipb)" --key reader.key)
expect 2 "before: the reader's key may not connect" -- "${READER[@]}" node status
python3 - ipb/node.json token-b.json "$("$CUSTOS" key show --key reader.key)" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
c["http"]["readTokens"] = [{"name": t["name"], "sha256": t["sha256"]}]
c["readers"] = [sys.argv[3]]
json.dump(c, open(sys.argv[1], "w"))
PY
kill -HUP "${FED_PID[ipb]}"
reloaded() { grep -q "SIGHUP: reloaded" ipb/node.log; }
eventually 10 "SIGHUP: ipb reloads who may read" reloaded
check "  monitor-a's token: 401 now" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$(fed_http ipb)/v1/status")" = 401 ]
check "  monitor-b's token: 200" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_B" "$(fed_http ipb)/v1/status")" = 200 ]
expect 0 "  the reader's key: custos node status over RPC" -- "${READER[@]}" node status --json
expect 0 "  custos case trail" -- "${READER[@]}" case trail SZIPB-2024-0017 --json
check "    with every entry about the case" [ "$(json_field out.txt "['entries'].__len__()")" -ge 600 ]
example case-opened 1 >one.jsonl
expect 2 "  and never a write: submit is refused (unauthorized)" -- "${READER[@]}" submit --batch one.jsonl
contains err.txt "not a key of log" "    naming why"
python3 - ipb/node.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["readers"] = []
c["http"]["readTokens"] = "not a list"
json.dump(c, open(sys.argv[1], "w"))
PY
kill -HUP "${FED_PID[ipb]}"
refused_reload() { grep -q "SIGHUP: .* not reloaded, nothing changed" ipb/node.log; }
eventually 10 "a config that no longer parses changes nothing" refused_reload
check "  monitor-b's token still reads" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_B" "$(fed_http ipb)/v1/status")" = 200 ]

# HTTPS on the listener itself (http.tls), and a tight rate limit: 1 request
# a second, bursts of 3. The certificate is for 127.0.0.1, made here with openssl.
fed_stop ipb
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout ipb/http.key -out ipb/http.crt 2>openssl.err
python3 - ipb/node.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"].update(requestsPerSecond=1, burst=3, tls={"certificate": "http.crt", "key": "missing.key"}, readTokens=[])
json.dump(c, open(sys.argv[1], "w"))
PY
expect 3 "a TLS key file that is not there fails --check-config (exit 3, a file not read)" -- \
  "$CUSTOSD" --config ipb/node.json --check-config
contains err.txt "http.tls.key ipb/missing.key: cannot be read: No such file" "  naming http.tls.key and why"
python3 - ipb/node.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"]["tls"]["key"] = "http.key"
json.dump(c, open(sys.argv[1], "w"))
PY
check "ipb restarts with HTTPS and a rate limit" fed_start ipb
asks_from_held() { grep -q "outside witness witness.example/w1 .* holds size [1-9][0-9]*; asking from there" ipb/node.log; }
eventually 15 "  after the restart ipb learns the size the outside witness holds (409) and goes on from it" asks_from_held
HTTPS_URL="https://${IPB_URL#http://}"
check "HTTPS with the node's certificate: 200" \
  [ "$(curl -s --cacert ipb/http.crt -o tls.body -w '%{http_code}' "${HTTPS_URL}checkpoint")" = 200 ]
check "  the checkpoint" [ "$(head -1 tls.body)" = "$IPB" ]
check "  TLS 1.2 or 1.3 only: TLS 1.1 is refused" \
  [ "$(curl -s --cacert ipb/http.crt --tls-max 1.1 -o /dev/null -w '%{http_code}' "${HTTPS_URL}checkpoint")" = 000 ]
check "  a client that does not trust the certificate gets nothing" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "${HTTPS_URL}checkpoint")" = 000 ]
check "  plain HTTP to it gets no answer" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "${IPB_URL}checkpoint")" = 000 ]
sleep 3  # the refused attempts above took tokens from the bucket
# Five requests on one connection from one curl, well within a second.
tls_curl() { curl -s --cacert ipb/http.crt "$@"; }
codes=$(tls_curl -w '%{http_code} ' -o /dev/null "${HTTPS_URL}checkpoint" -o /dev/null "${HTTPS_URL}checkpoint" \
  -o /dev/null "${HTTPS_URL}checkpoint" -o /dev/null "${HTTPS_URL}checkpoint" -o /dev/null "${HTTPS_URL}checkpoint")
check "the burst passes, then 429 ($codes)" [ "$codes" = "200 200 200 429 429 " ]
curl_to rl "${HTTPS_URL}checkpoint" --cacert ipb/http.crt >/dev/null
check "  with Retry-After" [ "$(header rl Retry-After)" = 1 ]
check "  code rate-limited" [ "$(json_field rl.body "['code']")" = rate-limited ]
sleep 1.2
check "a second later the client may ask again" [ "$(curl_to rl2 "${HTTPS_URL}checkpoint" --cacert ipb/http.crt)" = 200 ]

fed_stop ipb TERM
check "ipb stopped cleanly with the HTTP plane running" grep -q "stopped cleanly" ipb/node.log
finish http_end_to_end
