# shellcheck shell=bash
# What the shell tests share (tests/cli, tests/node, tests/tools): counting
# results and checking commands, output and JSON. Source it from the test's
# working folder; end the test with `finish NAME`.
# shellcheck source=../scripts/lib/python.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/python.sh"
passed=0
failed=0

# Each line ends with the seconds since the test began, to show where its time goes.
ok() { passed=$((passed + 1)); echo "ok   - $1  [${SECONDS}s]"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1  [${SECONDS}s]"; }
# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND (at most 60 s) with its
# output in out.txt and err.txt, and checks its exit code.
expect() {
  local want=$1 what=$2
  shift 3
  timeout 60 "$@" >out.txt 2>err.txt
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$what"; else bad "$what (exit $got, want $want): $(head -c 400 err.txt)"; fi
}
# contains FILE TEXT DESCRIPTION
contains() { if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $(head -c 600 "$1")"; fi; }
# json_field FILE PYTHON-SUBSCRIPT, e.g. json_field out.txt "['logs'][0]['size']"
json_field() { python3 -c "import json,sys; print(json.load(open('$1'))$2)"; }
# check DESCRIPTION CMD...: ok if CMD succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
# eventually SECONDS DESCRIPTION CMD...: ok once CMD succeeds, bad after
# SECONDS (needs fed_wait: source scripts/lib/federation.sh too).
eventually() {
  local seconds=$1 what=$2
  shift 2
  if fed_wait "$seconds" "$@"; then ok "$what"; else bad "$what (not within ${seconds}s)"; fi
}
# finish NAME: prints the tally and exits 0 only if nothing failed.
finish() {
  echo "${1:-test}: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
# person_listed EXAMPLES_DIR: writes person-listed.json, the example listing
# made a listing of a person (no subject id, no name, no digest: --private
# fills it), and person-listed-digest.json, the same with a digest that binds
# no payload.
person_listed() {
  python3 - "$1/subject-listed.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
l = s["body"]["subjectListed"]
l["subjectKind"] = "residentId"
del l["subjectId"], l["subjectName"]
json.dump(s, open("person-listed.json", "w"), ensure_ascii=False)
l["privateDigest"] = "ab" * 32
json.dump(s, open("person-listed-digest.json", "w"), ensure_ascii=False)
PY
}
