#!/usr/bin/env bash
# The main job: a federation of four custosd nodes on 127.0.0.1 — a city IP
# bureau, a public security bureau, a procuratorate and a court — each with
# fresh keys and its own log. It plays a short case (evidence registered, case
# opened, referral to the police, the police accept it, a dishonesty listing),
# shows every node holding verified copies of the others' logs and cosigning
# their checkpoints, kills one node, keeps writing, restarts it and shows it
# catching up, and says what to look at along the way. Every node also serves
# HTTP: the demo prints each node's addresses and status page, and shows the
# public listing check, the referral audit and the metrics with curl.
#
# Usage: scripts/demo.sh [--serve]
#   (no option)  installs what is missing, builds, runs the walkthrough in a
#                fresh temp folder (printed, and left to look at), then stops
#                the nodes
#   --serve      after the walkthrough, keeps every node running and prints
#                their status pages, the read token and curl commands to try;
#                Ctrl-C (or SIGTERM) then stops every node
#   -h, --help   prints this
# Environment:
#   CUSTOS_DEMO_NO_BUILD=1   skip install and build
#   BUILD_DIR=DIR            binaries from DIR (no build)
#   CUSTOS_DEMO_REMOVE=1     remove the folder after a success
#   CUSTOS_DEMO_CATCHUP=N    N entries written while the court is down
#                            (default 20000)
# The single-log walkthrough, offline, is scripts/demo-log.sh.
# Exit status: 0 when every step did what it should (with --serve: and the
# nodes stopped on Ctrl-C), 1 otherwise, 2 for an unknown option. The nodes
# are stopped at the end, whatever happens.
set -Eeuo pipefail

serve=
for arg in "$@"; do
  case $arg in
    --serve) serve=1 ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$arg' (scripts/demo.sh --help)" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=lib/demo.sh
source "$repo/scripts/lib/demo.sh"
# shellcheck source=lib/federation.sh
source "$repo/scripts/lib/federation.sh"

build_dir=${BUILD_DIR:-$repo/build}
if [[ -z "${BUILD_DIR:-}" && -z "${CUSTOS_DEMO_NO_BUILD:-}" ]]; then
  step "install what is missing, build (release)"
  bash scripts/install-deps.sh
  bash scripts/build.sh release
fi
[[ -x $build_dir/cli/custos && -x $build_dir/node/custosd ]] || fail "no custos / custosd binaries in $build_dir"
PATH=$build_dir/cli:$build_dir/node:$PATH
CUSTOS=custos
CUSTOSD=custosd

work=$(mktemp -d -t custos-federation.XXXXXX)
FED_DIR=$work
trap fed_stop_all EXIT
cd "$work"

IPB=suzhou-ipb.example/custos
PSB=suzhou-psb.example/custos
PRO=suzhou-procuratorate.example/custos
CRT=suzhou-court.example/custos
NODES=(ipb psb pro crt)
CASE=SZIPB-2024-0017

# as NAME ARGS...: the custos command line against node NAME, shown as typed.
as() {
  local name=$1
  shift
  show "$CUSTOS" --node "$(fed_addr "$name")" --node-vkey "$(fed_vkey "$name")" --key "${KEY:-$name/admin.key}" "$@"
}
# statement EXAMPLE ORIGIN [PYTHON]: the example for ORIGIN's log, changed by PYTHON over `b` (its body).
statement() { fed_statement "$repo/examples/$1.json" "$2" "${3:-}"; }
# status_line NAME: one line per peer of NAME: held / known entries.
peers_of() {
  fed_json "$1" "'\\n'.join('   %-38s %-13s held %5d of %5d%s' % (p['origin'], 'connected' if p['connected'] else 'DISCONNECTED', p['heldSize'], p['knownSize'], '' if not p['lastError'] else '  (' + p['lastError'][:60] + ')') for p in s['peers'])"
}
cosignatures() { fed_json "$1" "s['logs'][0]['cosignatures']"; }
all_converged() {
  local a b
  for a in "$@"; do
    for b in "$@"; do
      [[ $a == "$b" ]] && continue
      [[ "$(fed_json "$a" "[l['size'] for l in s['logs'] if l['origin'] == '$(fed_origin "$b")'][0]")" == \
        "$(fed_json "$b" "s['logs'][0]['size']")" ]] || return 1
    done
  done
}
cosigned_by() { [[ "$(cosignatures "$1")" -ge "$2" ]]; }
# typed LINE: prints LINE as a person types it ($TOKEN and pipes as they are), then runs it.
typed() { last_cmd=$1; printf '%s$ %s%s\n' "$G" "$1" "$N" >&2; eval "$1"; }
# bearer: the curl option that sends the read token, as a person types it (typed expands it).
# shellcheck disable=SC2016
bearer='-H "Authorization: Bearer $TOKEN"'
# listing_extract FILE: the verdict and each log's part of an HTTP listing answer, one line each.
listing_extract() {
  python3 - "$1" <<'PY'
import json, sys, time
a = json.load(open(sys.argv[1]))
day = lambda ms: time.strftime("%Y-%m-%d", time.gmtime(ms / 1000 + 8 * 3600))  # Beijing
print("   %s %s: %s" % (a["kind"], a["id"], "listed" if a["listed"] else "not listed"))
for log in a["logs"]:
    found = ["entry %d, %s, listed from %s" % (l["index"], l["subjectName"], day(l["listedFrom"])) for l in log["listings"]]
    print("     %-37s %s" % (log["origin"], "; ".join(found) or "not listed"))
PY
}
# serve_until_stopped: where to look and what to try, then waits for Ctrl-C or SIGTERM.
serve_until_stopped() {
  local n stop=
  printf '   %-5s %-32s %s\n' node "status page" "in English"
  for n in "${NODES[@]}"; do printf '   %-5s %-32s %s\n' "$n" "$(fed_http "$n")/" "$(fed_http "$n")/?lang=en"; done
  echo "   export TOKEN=$TOKEN   # the read token (also in $work/token.json)"
  say "To try, public:"
  printf '   curl -s %s\n' "$(fed_http crt)/readyz" "$(fed_http crt)/v1/logs" \
    "$(fed_http crt)/v1/listings/org/91320583MA1WR6T306" "$(fed_http ipb)/tlog/$IPB/checkpoint"
  say "With the read token:"
  printf "   curl -s $bearer %s\n" "$(fed_http pro)/v1/cases/$CASE" \
    "'$(fed_http pro)/v1/audit/referrals?format=csv'" "$(fed_http ipb)/metrics"
  trap 'stop=1' INT TERM
  printf '\n%sThe nodes keep running; Ctrl-C stops them.%s\n' "$B" "$N"
  until [[ -n $stop ]]; do
    sleep 1 &
    wait $! || true  # a signal ends the wait at once
  done
  trap - INT TERM
}

step "a fresh folder, four agencies"
echo "   $work"
say "Each agency runs one node (custosd) with its own log. Each node has an" \
  "Ed25519 node key named after its log's origin, and an admin key that may" \
  "grant roles to officers. The federation file lists every node: its origin," \
  "its verifier key, its address and its kind of agency, and the witness" \
  "policy: which nodes' cosignatures a checkpoint needs, and how many."
FED_NAME_ZH=([ipb]=苏州市知识产权局 [psb]=苏州市公安局 [pro]=苏州市人民检察院 [crt]=苏州市中级人民法院)
FED_NAME_EN=([ipb]="Suzhou Intellectual Property Bureau" [psb]="Suzhou Public Security Bureau"
  [pro]="Suzhou People's Procuratorate" [crt]="Suzhou Intermediate People's Court")
fed_init ipb "$IPB" ip-bureau psb "$PSB" public-security-bureau \
  pro "$PRO" procuratorate crt "$CRT" court
show cat "$work/federation.json"
say "Look at: every node trusts exactly these four keys. A connection from any" \
  "other key is refused during the TLS handshake."
say "Each node also answers HTTP (docs/http-api.md): its logs as tlog tiles," \
  "listing checks and a status page for anyone; status, metrics, case trails" \
  "and audits only with a read token. The demo makes one token and puts its" \
  "SHA-256 in every node's http.readTokens."
show_to token.json "$CUSTOS" key token --name demo-reader --json
for n in "${NODES[@]}"; do fed_read_token "$n" token.json; done
TOKEN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' token.json)
echo "   export TOKEN=$TOKEN   # the read token, for the curl commands below"

tsa=$build_dir/tests/tools/custos_test_tsa
if [[ -x $tsa ]]; then
  step "a time-stamping authority (RFC 3161)"
  say "A court wants the time of a record attested by someone other than the" \
    "agencies. In production the national time service's TSA signs RFC 3161" \
    "tokens; here a test TSA on 127.0.0.1 stands in (custos_test_tsa, built on" \
    "OpenSSL's TS_RESP_CTX). The federation file lists its certificate under" \
    "timestampAuthorities; each node asks it for a token on its latest checkpoint" \
    "at most every 0.5 s, and the token rides on the checkpoint as one more" \
    "signed-note line (docs/timestamps.md)."
  "$tsa" --cert-out "$work/tsa.pem" --port-file "$work/tsa.port" --name "Demo TSA (for the national time service)" &
  TSA_PID=$!
  trap 'kill $TSA_PID 2>/dev/null; fed_stop_all' EXIT
  fed_wait 10 test -s "$work/tsa.port" || fail "the test TSA did not start"
  python3 - "$work" "$(cat "$work/tsa.port")" "${NODES[@]}" <<'PY'
import json, sys
work, port, nodes = sys.argv[1], sys.argv[2], sys.argv[3:]
fed = json.load(open(f"{work}/federation.json"))
fed["timestampAuthorities"] = [{"name": "tsa.demo.example", "certificate": open(f"{work}/tsa.pem").read()}]
json.dump(fed, open(f"{work}/federation.json", "w"), ensure_ascii=False, indent=1)
for n in nodes:
    c = json.load(open(f"{work}/{n}/node.json"))
    c["timestamping"] = {"url": f"http://127.0.0.1:{port}/", "tsa": "tsa.demo.example", "intervalMilliseconds": 500}
    json.dump(c, open(f"{work}/{n}/node.json", "w"))
PY
  printf '   the TSA listens on 127.0.0.1:%s; its certificate is in %s\n' "$(cat "$work/tsa.port")" "$work/tsa.pem"
fi

step "start the four nodes"
for n in "${NODES[@]}"; do
  printf '%s$ (cd %s && custosd --config node.json --address-file addr &)%s\n' "$G" "$n" "$N" >&2
  fed_start "$n" || fail "custosd $n did not start (see $work/$n/node.log)"
done
fed_wait 30 all_converged "${NODES[@]}" || fail "the nodes did not connect"
printf '   %-5s %-17s %-17s %s\n' node RPC HTTP "status page"
for n in "${NODES[@]}"; do
  url=$(fed_http "$n")
  printf '   %-5s %-17s %-17s %s\n' "$n" "$(fed_addr "$n")" "${url#http://}" "$url/"
done
as ipb node status
say "Look at: the bureau's own log (size 1: its genesis entry) and a replica of" \
  "each peer's log, verified entry by entry; each peer is connected, and the" \
  "bureau holds as many of its entries as the peer announced. The custos" \
  "command line talks to a node's RPC address; a browser opens its status page" \
  "(in Chinese; add ?lang=en for English) while the demo runs, or after it" \
  "with scripts/demo.sh --serve."

step "officers get their roles"
say "An admin of each log grants an officer key the roles it needs. The bureau's" \
  "officer is the example key in examples/keys; the police officer gets a fresh key."
install -m 600 "$repo/examples/keys/officer.key" ipb/officer.key
"$CUSTOS" key generate --name officer.wangqiang --out psb/officer.key >/dev/null
psb_officer=$("$CUSTOS" key show --key psb/officer.key --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["publicKey"])')
statement key-grant "$IPB" >grant-ipb.json
statement key-grant "$PSB" "b['key'] = '$psb_officer'; b['holder'] = '王强'; b['post'] = '经侦民警'; b['roles'] = ['evidence', 'case']" >grant-psb.json
as ipb submit --statement grant-ipb.json
as psb submit --statement grant-psb.json
say "Look at: each line is '<index> <leaf hash>'; the node answered once a" \
  "signed checkpoint covered the entry."

step "the case, at the bureau"
say "Evidence is registered (a video and a photo by SHA-256), the case is opened," \
  "and it is referred to the public security bureau because a crime is suspected."
head -c 300000 /dev/urandom >scene-video.mp4  # stands for the on-site video
video_sha=$(sha256sum scene-video.mp4 | cut -d' ' -f1)
statement evidence-registered "$IPB" "b['digests'][0]['value'] = '$video_sha'; b['digests'][0]['size'] = 300000" >evidence.json
statement case-opened "$IPB" >case.json
statement case-referred "$IPB" "b['toOrigin'] = '$PSB'" >referral.json
for f in evidence case referral; do
  KEY=ipb/officer.key as ipb submit --statement "$f.json" | tee "$f.receipt"
done
read -r ref_index ref_leaf <referral.receipt
ref_hex=$(printf '%s' "$ref_leaf" | base64 -d | od -An -v -tx1 | tr -d ' \n')

step "the police accept the referral, in their own log"
say "The answer names the referral by (origin, index, leaf hash): entry" \
  "$ref_index of the bureau's log. Only a log that holds that very entry can" \
  "point at it, and anyone holding both logs can check the pointer: the" \
  "police node accepts the answer once its replica of the bureau's log holds it."
police_hold_referral() {
  [[ "$(fed_json psb "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]")" -gt "$ref_index" ]]
}
fed_wait 60 police_hold_referral || fail "the police node did not replicate the referral"
statement referral-answered "$PSB" "b['referral'] = {'origin': '$IPB', 'index': $ref_index, 'leafHash': '$ref_hex'}; b['answer'] = 'accepted'; b['reason'] = '经审查，涉嫌假冒专利罪，决定立案侦查。'" >answer.json
KEY=psb/officer.key as psb submit --statement answer.json | tee answer.receipt

step "a dishonesty listing"
statement subject-listed "$IPB" >listing.json
KEY=ipb/officer.key as ipb submit --statement listing.json | tee listing.receipt
say "The company (unified social credit code 91320583MA1WR6T306) is on the" \
  "dishonesty list; a credit platform can now be shown that entry with a proof."

step "every node holds every log, and cosigns what it checked"
fed_wait 60 all_converged "${NODES[@]}" || fail "the nodes did not converge"
for n in ipb psb; do fed_wait 30 cosigned_by "$n" 3 || fail "$n's checkpoint did not gather three cosignatures"; done
for n in "${NODES[@]}"; do
  echo "   node $(fed_origin "$n"), own log size $(fed_json "$n" "s['logs'][0]['size']"), its peers:"
  peers_of "$n"
done
as ipb checkpoint
say "Look at: the bureau's checkpoint (origin, size, root) signed by the bureau" \
  "and, below, cosigned by the three other nodes. Each cosignature says: 'I" \
  "verified every entry up to this size, and this tree extends every tree of" \
  "this log I saw before.' It is a C2SP cosignature/v1 line, as Go's" \
  "sumdb/note and other transparency-log witnesses read them."
[[ "$(cosignatures ipb)" -ge 2 ]] || fail "the bureau's checkpoint has fewer cosignatures than the policy's quorum (2)"

step "a court checks the referral against its own copy"
as crt prove inclusion --origin "$IPB" --index "$ref_index" >referral.tlog-proof
cat referral.tlog-proof
as crt entry --origin "$IPB" --index "$ref_index" >referral.entry
show "$CUSTOS" verify --vkey "$(fed_vkey ipb)" --proof referral.tlog-proof --entry referral.entry
say "Look at: the court served the bureau's entry and its proof from its own" \
  "replica, and 'custos verify' checked them offline against the bureau's key:" \
  "a copy held by another agency proves exactly what the original would."

step "a court checks a video file against its custody record, offline"
say "The court's node builds an evidence bundle for the file's SHA-256 from the" \
  "logs it holds: the registration entry, every custody entry since, their" \
  "inclusion proofs and the cosigned checkpoints they are proved against."
bundle_made() { as crt evidence bundle --file scene-video.mp4 --out video.bundle --trust federation.json >/dev/null 2>&1; }
# With the TSA running, wait until every checkpoint in the bundle carries its token too.
stamped() {
  "$CUSTOS" verify --bundle video.bundle --trust federation.json --json 2>/dev/null | python3 -c '
import json, sys; a = json.load(sys.stdin)["account"]; sys.exit(0 if all(c["timestamps"] for c in a["checkpoints"]) else 1)'
}
bundle_stamped() { bundle_made && { [[ -z ${TSA_PID:-} ]] || stamped; }; }
fed_wait 30 bundle_stamped || fed_wait 30 bundle_made ||
  as crt evidence bundle --file scene-video.mp4 --out video.bundle --trust federation.json ||
  fail "the court could not make a bundle that meets the federation's witness policy"
show "$CUSTOS" verify --bundle video.bundle --file scene-video.mp4 --trust federation.json \
  --report "$work/video-report.pdf"
say "Look at: with no network, 'custos verify' hashed the file, found it is the" \
  "video the bureau registered, checked the officer's signature and authority," \
  "the custody chain, each proof, and that the checkpoint carries the witness" \
  "policy's quorum of cosignatures. A changed file, entry, proof or signature" \
  "each fails with its own reason (docs/evidence-bundle.md)."
[[ -s "$work/video-report.pdf" ]] || fail "no verification report was written"
printf '\n   %sthe court files this report (存证核验报告, PDF):%s %s\n' "$B" "$N" "$work/video-report.pdf"
say "It says the same in a form a judge reads: Chinese, Beijing time, the" \
  "agencies by name, the registration, every custody step with its officer" \
  "and leaf hash, each checkpoint's cosigners and when they cosigned, the" \
  "time the TSA attests for each checkpoint, what" \
  "was checked, the commands that check it again, and a QR code of the" \
  "bundle's SHA-256 (docs/evidence-report.md). --lang en writes it in English."

step "a credit platform asks: is this company on the dishonesty list?"
as crt listing check 91320583MA1WR6T306 --trust federation.json
as crt listing check 91440300708461136T --trust federation.json
show_to listing-answer.json curl -fsS "$(fed_http crt)/v1/listings/org/91320583MA1WR6T306"
listing_extract listing-answer.json
say "Look at: 'listed' for the company the bureau listed, 'not listed' for" \
  "another: both come with a proof against the listings-map root that every" \
  "checkpoint carries (docs/listings-map.md), checked by the command line" \
  "before it printed. Every follower recomputes that root from the entries." \
  "The same check over HTTP needs no key and no token, as a published list" \
  "needs none: its JSON carries the checkpoint and both proofs for the credit" \
  "platform's own service to check (docs/http-api.md, 'Listing checks')."

step "a prosecutor audits the referrals and follows the case across logs"
as pro case trail "$CASE" --trust federation.json
as pro audit referrals --trust federation.json
say "Look at: the trail holds the bureau's and the police's entries about the" \
  "case, in order, each proved against its log's cosigned checkpoint. The audit" \
  "runs over the procuratorate's own verified replicas of every bureau log: the" \
  "referral was answered, so it is not listed as unanswered; but it said the" \
  "video goes along with it, and no custody transfer to the police was ever" \
  "recorded, so that is a finding, with the entry it rests on (docs/audit.md)."
say "The same audit from the procuratorate's HTTP listener, as CSV for a" \
  "spreadsheet, and its metrics: both need the read token."
typed "curl -fsS $bearer '$(fed_http pro)/v1/audit/referrals?format=csv'"
typed "curl -fsS $bearer $(fed_http pro)/metrics | grep ^custos_log_entries"

step "the court's node goes down; the bureau keeps writing"
fed_stop crt KILL
echo "   (custosd crt killed with SIGKILL)"
python3 - "$repo/examples/evidence-examined.json" "$IPB" "${CUSTOS_DEMO_CATCHUP:-20000}" >more.jsonl <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["origin"] = sys.argv[2]
line = json.dumps(s, ensure_ascii=False)
print("\n".join([line] * int(sys.argv[3])))
PY
KEY=ipb/officer.key as ipb submit --batch more.jsonl >more.receipts
echo "   $(wc -l <more.receipts) more entries appended; the last: $(tail -n1 more.receipts)"
court_down() { [[ "$(fed_json ipb "[p['connected'] for p in s['peers'] if p['origin'] == '$CRT'][0]")" == False ]]; }
fed_wait 10 court_down || true
as ipb node status
say "Look at: the court is reported disconnected, and the bureau's new" \
  "checkpoint carries two cosignatures (police and procuratorate): still the" \
  "witness policy's quorum, so the bureau's records stay provable while one" \
  "witness is down."

step "the court comes back and catches up"
fed_start crt || fail "custosd crt did not restart"
target=$(fed_json ipb "s['logs'][0]['size']")
shown=
for _ in $(seq 300); do
  held=$(fed_json crt "[l['size'] for l in s['logs'] if l['origin'] == '$IPB'][0]" 2>/dev/null || echo 0)
  [[ $held != "$shown" ]] && printf '   the court holds %s of the bureau'"'"'s %s entries\n' "$held" "$target"
  shown=$held
  [[ $held == "$target" ]] && break
  sleep 0.1
done
[[ $held == "$target" ]] || fail "the court did not catch up (holds $held of $target)"
fed_wait 30 cosigned_by ipb 3 || fail "the bureau's new checkpoint did not gather three cosignatures"
as crt node status
say "Look at: the court resumed where its replica stopped (nothing is fetched" \
  "twice), verified every new entry, and cosigned the bureau's new checkpoint."

if [[ -n $serve ]]; then
  step "the federation keeps running (--serve)"
  serve_until_stopped
fi

step "stop the federation"
for n in "${NODES[@]}"; do fed_stop "$n" TERM; done
[[ -z ${TSA_PID:-} ]] || kill "$TSA_PID" 2>/dev/null
grep -h "stopped cleanly" ./*/node.log | sed 's/^/   /'
trap - ERR EXIT
printf '\n%sdemo: all steps passed.%s The nodes'"'"' folders and logs (*/node.log) are in %s\n' "$B" "$N" "$work"
say "To look further: every node's data is in <name>/data, its log in" \
  "<name>/node.log; scripts/demo-log.sh walks through one log offline."
[[ -z "${CUSTOS_DEMO_REMOVE:-}" ]] || rm -rf "$work"
