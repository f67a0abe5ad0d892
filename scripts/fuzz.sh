#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, docs/fuzzing.md) with clang, with
# ASan and UBSan, into build-fuzz/; seeds each target's corpus from examples/
# and tests/fixtures/; runs each target for SECONDS and prints how many
# inputs each executed. Not part of scripts/test.sh.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 10)
#   TARGET   entry statement submission bundle note json private config
#            listing rpc_answer (default: all)
# Corpora grow in build-fuzz/corpus/<target>/; an input that crashes a target
# is written to build-fuzz/findings/<target>/ and the script exits 1.
# CLANG (default clang-14) names the compiler.
set -euo pipefail

cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(entry statement submission bundle note json private config listing rpc_answer)
clang=${CLANG:-clang-14}
dir=build-fuzz

# Line tables only: a finding's stack still names file and line.
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_COMPILER="$clang" -DCMAKE_CXX_COMPILER="${clang/clang/clang++}" \
  -DCUSTOS_FUZZ=ON -DCUSTOS_BUILD_TESTS=OFF -DCUSTOS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$dir" --target fuzzers --parallel "$(nproc)"

"$dir/tests/fuzz/custos_fuzz_seeds" "$dir/corpus" examples tests/fixtures

status=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t" "$dir/findings/$t"
  log="$dir/findings/$t.log"
  echo "fuzz_$t: ${seconds}s"
  if "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$dir/findings/$t/" "$dir/corpus/$t" >"$log" 2>&1; then
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
