#!/usr/bin/env bash
# Sets everything up and runs every test under AddressSanitizer +
# UndefinedBehaviorSanitizer (one clang build, scripts/build.sh san, that also
# holds the fuzz targets), then each libFuzzer target for 3 s
# (CUSTOS_FUZZ_SECONDS). With --release it also builds the release tree (GCC,
# scripts/build.sh) and runs every test there first. This is what CI runs
# (.ci/run, without --release); docs/testing.md has the timings.
#
# Usage: scripts/test.sh [--release]
# Exit status: 0 when every stage passes, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."

release=false
case "${1:-}" in
  "") ;;
  --release) release=true ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "test.sh: unknown option $1 (want --release)" >&2; exit 2 ;;
esac

now() { date +%s; }
declare -A took result

# stage NAME COMMAND...: runs one stage, records its time and outcome, and
# never stops the script, so that the summary always says what happened.
stage() {
  local name=$1 start rc=0
  shift
  echo
  echo "==> $name"
  start=$(now)
  "$@" || rc=$?
  took[$name]=$(( $(now) - start ))
  if [[ $rc -eq 0 ]]; then result[$name]=ok; else result[$name]="FAILED (exit $rc)"; fi
  return $rc
}

# run_ctest DIR: runs every test of the build in DIR, keeping ctest's output in
# DIR/ctest.log for the counts. A build with no tests registered is a failure,
# not a silent pass.
# shellcheck disable=SC2317  # called through stage
run_ctest() {
  local dir=$1
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)" --no-tests=error 2>&1 | tee ctest.log)
}

# count DIR NAME: adds the counts from DIR/ctest.log ("N% tests passed, F tests
# failed out of T") to the totals and to NAME's line of the summary.
passed_total=0
failed_total=0
declare -A counts
count() {
  local line total failed
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1/ctest.log" 2>/dev/null | tail -n1)
  [[ -n "$line" ]] || return 0
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  passed_total=$((passed_total + total - failed))
  failed_total=$((failed_total + failed))
  counts[$2]="$((total - failed)) passed, $failed failed"
}

stages=()
failed=0

stages+=(install-deps)
stage install-deps bash scripts/install-deps.sh || failed=1

if [[ $failed -eq 0 ]]; then
  if $release; then
    stages+=("build release")
    if stage "build release" bash scripts/build.sh release; then
      stages+=("test release")
      rm -f build/ctest.log
      stage "test release" run_ctest build || failed=1
      count build "test release"
    else
      failed=1
    fi
  fi

  stages+=("build san")
  if stage "build san" bash scripts/build.sh san; then
    stages+=("test san")
    # LeakSanitizer is on by default; the command line turns it off for itself (cli/main.cc).
    export ASAN_OPTIONS=abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    rm -f build-san/ctest.log
    stage "test san" run_ctest build-san || failed=1
    count build-san "test san"

    # Every decoder of outside bytes under libFuzzer, briefly, from the same
    # build (docs/fuzzing.md; the long runs are made outside CI).
    stages+=("fuzz")
    stage fuzz bash scripts/fuzz.sh "${CUSTOS_FUZZ_SECONDS:-3}" || failed=1
  else
    failed=1
  fi
fi

echo
echo "==> summary"
for s in "${stages[@]}"; do
  printf '  %-14s %-18s %5ss  %s\n' "$s" "${result[$s]:-skipped}" "${took[$s]:-0}" "${counts[$s]:-}"
done
if [[ $failed -eq 0 ]]; then
  echo "test.sh: all passed"
else
  echo "test.sh: FAILED"
fi
# Last, the totals of the test runs, as one plain line.
echo "tests: $passed_total passed, $failed_total failed"
exit "$failed"
