#!/usr/bin/env bash
# The verification report (存证核验报告, docs/evidence-report.md), read as a
# court clerk would: the fixture bundle verified with --report into PDF and
# HTML, in Chinese and English; the PDF's text read back with pdftotext
# (agency names from the trust file, Beijing time, the registration's fields,
# every step's leaf hash, the cosignature times, the re-check commands), its
# first page rendered with pdftoppm, its QR code read with zbarimg; a damaged
# bundle gets a report that says NOT verified; bad flags get one sentence.
# --extract writes the bundle's checkpoints and each step's entry and
# tlog-proof, and Go's sumdb/note and tlog check every command its CHECK.txt
# lists (with goverify, when given).
# Usage: report_test.sh CUSTOS_BINARY FIXTURES_DIR [GOVERIFY_BINARY]
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUSTOS=$1
FIXTURES=$2
GOVERIFY=${3:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"

cp "$FIXTURES/custody.bundle" custody.bundle
# The fixture's trust file with the agencies' names, as a trust root gives them.
python3 - "$FIXTURES/custody-trust.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
names = {"suzhou-ipb.example/custos": ("苏州市知识产权局", "Suzhou IP Bureau"),
         "suzhou-psb.example/custos": ("苏州市公安局", "Suzhou Public Security Bureau")}
for p in f["peers"]:
    zh, en = names[p["origin"]]
    p["name"] = {"zh": zh, "en": en}
json.dump(f, open("trust.json", "w"), ensure_ascii=False, indent=1)
PY

# The account the report must agree with.
expect 0 "the bundle verifies (--json)" -- "$CUSTOS" verify --bundle custody.bundle --trust trust.json --json
cp out.txt account.json
BUNDLE_SHA=$(sha256sum custody.bundle | cut -d' ' -f1)

expect 0 "a Chinese PDF report is written beside the verdict" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report report.pdf
contains err.txt "report written: report.pdf" "the path of the report is printed"
contains out.txt "OK: the bundle verifies" "the verdict is printed as without --report"
pdftotext -layout report.pdf report.txt 2>/dev/null
# pdftotext -layout keeps each line's words; for matching across wrapped lines
# read it once more without layout, with the line breaks removed.
pdftotext report.pdf - 2>/dev/null | tr -d '\n' >report.flat
contains report.txt "存证核验报告" "the title"
contains report.flat "核验结论：通过" "the conclusion"
contains report.txt "苏州市知识产权局（suzhou-ipb.example/custos）" "agencies by the trust file's names"
contains report.txt "苏州市公安局（suzhou-psb.example/custos）" "both agencies"
contains report.txt "北京时间 (UTC+8)" "times are Beijing time, the zone shown"
contains report.txt "2024-07-03 17:46:41 北京时间" "the registration's time in Beijing time (09:46:41Z)"
contains report.txt "现场录音录像" "the registration's method in Chinese"
contains report.txt "张明（执法证号" "an officer with a badge number"
contains report.txt "昆山市 仓库" "the place"
contains report.txt "证据登记（evidenceRegistered）" "the step kinds"
contains report.flat "由 证据室 移交给 检验科" "what happened, in Chinese (a transfer)"
contains report.flat "封条完好" "a receipt's seal, in Chinese"
contains report.txt "$BUNDLE_SHA" "the bundle's SHA-256"
contains report.flat "sha256sum custody.bundle" "the re-check commands"
contains report.flat "custos verify --bundle custody.bundle --trust trust.json --json" "the verify command"
contains report.flat "x/mod/sumdb/note" "Go's tools are named"
contains report.txt "副署" "the cosignatures"
# Every step's leaf hash and every cosignature time the account gives.
python3 - <<'PY' >expected.txt
import json, datetime
a = json.load(open("account.json"))["account"]
for s in a["steps"]:
    print(s["leafHash"])
for c in a["checkpoints"]:
    for t in c["cosignedAt"]:
        bj = datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=8)))
        print(bj.strftime("%Y-%m-%d %H:%M:%S") + " 北京时间")
PY
missing=0
while read -r want; do grep -qF -- "$want" report.txt || { missing=$((missing + 1)); echo "  not in the report: $want"; }; done <expected.txt
if [ "$missing" -eq 0 ] && [ "$(wc -l <expected.txt)" -ge 9 ]; then ok "every leaf hash and cosignature time is in the report"
else bad "$missing of $(wc -l <expected.txt) leaf hashes / cosignature times missing"; fi

# The page as a person sees it, and its QR code as a phone reads it.
pdftoppm -r 100 -png -f 1 -l 1 report.pdf page
check "pdftoppm renders page 1" test -s page-1.png
pages=$(pdfinfo report.pdf | awk '/^Pages:/ {print $2}')
check "the report has pages ($pages)" test "${pages:-0}" -ge 2
pdftoppm -r 150 -png -f "$pages" -l "$pages" report.pdf last
qr=$(zbarimg --quiet --raw last-*.png 2>/dev/null)
if [ "$qr" = "sha256:$BUNDLE_SHA" ]; then ok "the QR code reads the bundle's SHA-256"; else bad "QR code reads '$qr', want sha256:$BUNDLE_SHA"; fi

expect 0 "an English PDF report" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report report-en.pdf --lang en
pdftotext -layout report-en.pdf report-en.txt 2>/dev/null
contains report-en.txt "Evidence Verification Report" "the English title"
contains report-en.txt "Conclusion: verified" "the English conclusion"
contains report-en.txt "Suzhou IP Bureau (suzhou-ipb.example/custos)" "the agencies' English names"
contains report-en.txt "Beijing time (UTC+8)" "Beijing time in English"
contains report-en.txt "audio and video record (现场录音录像)" "the method in English, with the Chinese term"

expect 0 "an HTML report" -- "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report report.html
contains report.html '<html lang="zh-CN">' "the HTML is Chinese"
contains report.html "核验结论：通过" "the HTML gives the conclusion"
contains report.html "<svg" "the HTML carries its QR code inline"
contains report.html "$BUNDLE_SHA" "the HTML names the bundle's SHA-256"

# One byte of a signature changed: still a report, and it says why it fails.
python3 - <<'PY'
b = bytearray(open("custody.bundle", "rb").read())
i = b.find(b"\xe2\x80\x94")  # the checkpoint's signature line starts with U+2014
b[i + 80] ^= 0x01            # a byte inside its base64
open("damaged.bundle", "wb").write(bytes(b))
PY
expect 1 "a damaged bundle fails, and a report is still written" -- \
  "$CUSTOS" verify --bundle damaged.bundle --trust trust.json --report damaged.pdf
pdftotext damaged.pdf - 2>/dev/null | tr -d '\n' >damaged.flat
contains damaged.flat "核验结论：未通过" "the report of a damaged bundle says it is not verified"

expect 2 "a report that is neither .pdf nor .html is refused" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report report.docx
contains err.txt "name the report FILE.pdf or FILE.html" "the sentence names the fix"
check "nothing is written for a refused name" test ! -e report.docx
expect 2 "an unknown language is refused" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report r.pdf --lang fr
contains err.txt "--lang: \"fr\" is not a report language" "the sentence names the flag"
expect 3 "an unwritable report path is an I/O error (exit 3)" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --report /nonexistent/dir/r.pdf
contains err.txt "--report: cannot write /nonexistent/dir/r.pdf" "the sentence names the path"

# The parts a standard verifier checks without custos.
expect 0 "--extract writes the bundle's parts" -- \
  "$CUSTOS" verify --bundle custody.bundle --trust trust.json --extract parts
contains err.txt "parts written: parts (CHECK.txt says how to check them)" "it says where and how"
check "a note and a key per log, an entry and a tlog-proof per step" \
  test "$(ls parts/log-*.note | wc -l) $(ls parts/log-*.vkey | wc -l) $(ls parts/step-*.entry | wc -l) $(ls parts/step-*.tlog-proof | wc -l)" = "2 2 7 7"
contains report.flat "--extract parts" "the report gives the command that splits the bundle"
if [ -n "$GOVERIFY" ] && [ -x "$GOVERIFY" ]; then
  run_check_txt() {
    local n=0 fails=0 line
    while read -r line; do
      case $line in goverify*) n=$((n + 1)); (cd parts && eval "\"$GOVERIFY\" ${line#goverify }") >/dev/null 2>&1 || fails=$((fails + 1)) ;; esac
    done <parts/CHECK.txt
    echo "$n $fails"
  }
  check "Go's sumdb/note and tlog check every command CHECK.txt lists (2 notes, 7 inclusions)" test "$(run_check_txt)" = "9 0"
  python3 -c 'p = "parts/step-3.entry"; b = bytearray(open(p, "rb").read()); b[-1] ^= 1; open(p, "wb").write(bytes(b))'
  check "... and refuse a step whose entry changed" test "$(run_check_txt)" = "9 1"
fi

finish report_test
