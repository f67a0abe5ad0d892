#!/usr/bin/env bash
# Builds the benchmark in Release and runs it: the ledger's append, verify,
# proof, reopen and disk figures on this machine, each beside the machine's
# own limit (raw libsodium Ed25519 verifications per second on all cores)
# measured in the same run, with the targets of issue 2 and PASS/MISS.
#
# Usage: scripts/bench.sh [custos_bench options]
#   --entries N     size of the big log (default 1000000; env CUSTOS_BENCH_ENTRIES)
#   --batch B       submissions per Append while building it (default 1000)
#   --json FILE     also write the figures as JSON
#   --help          all options
# A full run takes a few minutes and needs ~1.5 GB under $TMPDIR (or /tmp);
# `scripts/bench.sh --entries 100000` is a quick one. The build goes to
# build-release/ (build/ is reused when it is configured as Release), or to
# $CUSTOS_BENCH_BUILD_DIR if set. Extra CMake options can be passed in
# CUSTOS_CMAKE_ARGS. The per-entry steps (raw verify vs CheckSubmission, entry
# building, leaf hash) are in <build>/tests/bench/custos_microbench (Google
# Benchmark), built alongside.
# Each rate is printed with the CPU it cost per entry and the cores other
# processes used meanwhile: on a busy machine the rates drop, the CPU figures
# do not, and the run prints a WARNING.
set -euo pipefail

cd "$(dirname "$0")/.."

build_type_of() {
  sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$1/CMakeCache.txt" 2>/dev/null
}

# shellcheck disable=SC2206  # CUSTOS_CMAKE_ARGS is split on purpose
extra=(${CUSTOS_CMAKE_ARGS:-})
dir=build-release
if [[ -n "${CUSTOS_BENCH_BUILD_DIR:-}" ]]; then
  dir=$CUSTOS_BENCH_BUILD_DIR
elif [[ "$(build_type_of build)" == "Release" ]]; then
  dir=build
else
  # Our own directory: the test suite is not needed to measure.
  extra=(-DCUSTOS_BUILD_TESTS=OFF "${extra[@]}")
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUSTOS_SANITIZE=OFF \
  -DCUSTOS_BUILD_BENCHMARKS=ON "${extra[@]}" >/dev/null
cmake --build "$dir" --parallel "$(nproc)" --target custos_bench custos_microbench

# The figures are only as good as the machine is quiet: say how busy it is.
echo "bench.sh: load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec "$dir/tests/bench/custos_bench" "$@"
