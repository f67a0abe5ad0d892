#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz, docs/fuzzing.md), built with ASan and
# UBSan in the sanitizer build (scripts/build.sh san, build-san/, which also
# holds the tests): seeds each target's corpus from examples/ and
# tests/fixtures/, runs each target for SECONDS, as many at once as there are
# cores, and prints how many inputs each executed.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 10)
#   TARGET   entry statement submission bundle note json private config
#            listing rpc_answer timestamp (default: all)
# Corpora grow in build-san/corpus/<target>/; an input that crashes a target
# is written to build-san/findings/<target>/ and the script exits 1.
set -euo pipefail

cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(entry statement submission bundle note json private config listing rpc_answer timestamp)
dir=build-san

bash scripts/build.sh san fuzzers

"$dir/tests/fuzz/custos_fuzz_seeds" "$dir/corpus" examples tests/fixtures

# fuzz_one TARGET: runs one target; its exit status is the target's.
fuzz_one() {
  local t=$1
  mkdir -p "$dir/corpus/$t" "$dir/findings/$t"
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$dir/findings/$t/" "$dir/corpus/$t" >"$dir/findings/$t.log" 2>&1
}

echo "fuzzing ${#targets[@]} target(s) for ${seconds}s each, $(nproc) at a time"
declare -A pid_of
running=0
for t in "${targets[@]}"; do
  if [[ $running -ge $(nproc) ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  pid_of[$t]=$!
  running=$((running + 1))
done

status=0
summary=()
for t in "${targets[@]}"; do
  log="$dir/findings/$t.log"
  if wait "${pid_of[$t]}"; then
    result=ok
  else
    result="CRASH (see $log and $dir/findings/$t/)"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  summary+=("$(printf '%-12s %12s executions  %s' "$t" "${runs:-?}" "$result")")
done

echo
printf '%s\n' "${summary[@]}"
exit $status
