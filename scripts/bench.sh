#!/usr/bin/env bash
# Builds the benchmarks in Release and runs them, each figure beside the
# machine's own limit (raw libsodium Ed25519 verifications per second on all
# cores) measured in the same run, with the targets (docs/performance.md) and
# PASS/MISS:
#
#  1. custos_bench: the ledger's append, verify, proof, reopen and disk figures;
#  2. custos_rpc_bench: a real custosd on 127.0.0.1 — submit throughput over
#     RPC with 1, 8 and 64 officer clients, per-entry latency (p50, p99), p99
#     at half the best rate on a fixed schedule, and a second node's catch-up
#     of a 200,000-entry log (reported as not measured while the follower
#     makes no progress);
#  3. custos_map_bench: the listings map at 1,000,000 subjects —
#     update cost per listing, proof generation and verification — beside the
#     raw SHA-256 rate (its own Google Benchmark output; --subjects N);
#  4. custos_listing_bench: listing checks with proof per second and p99 (the
#     node's answer built, the client's verification; then the node's side
#     alone) and the map's cost per listing on the append path, beside the
#     raw SHA-256 ceiling
#     (CUSTOS_LISTING_SUBJECTS, default 1000000).
#  5. custos_bundle_bench: evidence bundle verification time for a 20-step
#     custody chain, beside its signature checks at the raw rate.
#  6. custos_http_bench: a real custosd's HTTP read plane over loopback —
#     listing checks, the checkpoint and full tiles: requests/s, p50, p99 —
#     beside the same answers computed in-process (the node's routes without
#     sockets or HTTP) in the same run
#     (CUSTOS_HTTP_SUBJECTS listed companies, default 10000).
#
# Usage: scripts/bench.sh [custos_bench options] [-- custos_rpc_bench options]
#   custos_bench:
#   --entries N     size of the big log (default 1000000; env CUSTOS_BENCH_ENTRIES)
#   --batch B       submissions per Append while building it (default 1000)
#   --json FILE     also write the figures as JSON
#   --help          all options
#   custos_rpc_bench (after --):
#   --entries N     entries per submit run (default 100000)
#   --per-call P    submissions per submit call (default 64)
#   --no-catchup    skip the catch-up of a second node
#   --catchup-entries N   size of the log to catch up with (default 200000)
#   --json FILE     also write its figures as JSON
#   --help          all options
# CUSTOS_BENCH_ONLY=ledger, =rpc, =map, =listing, =bundle or =http runs only that one;
# CUSTOS_MAP_SUBJECTS and CUSTOS_LISTING_SUBJECTS set the map's size (default 1000000).
# A full run takes a few minutes and needs ~1.5 GB under $TMPDIR (or /tmp) and
# ~1.2 GB of memory (custos_bench signs its 1,000,000 statements first);
# `scripts/bench.sh --entries 100000 -- --entries 20000 --no-catchup` is a
# quick one. The build goes to build-release/ (build/ is reused when it is
# configured as Release), or to $CUSTOS_BENCH_BUILD_DIR if set. Extra CMake options can be passed in
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
cmake --build "$dir" --parallel "$(nproc)" --target custos_bench custos_microbench custos_rpc_bench custos_map_bench \
  custos_listing_bench custos_bundle_bench custos_http_bench custosd

ledger_args=()
rpc_args=()
while [[ $# -gt 0 ]]; do
  if [[ "$1" == "--" ]]; then
    shift
    rpc_args=("$@")
    break
  fi
  ledger_args+=("$1")
  shift
done

# The figures are only as good as the machine is quiet: say how busy it is.
only=${CUSTOS_BENCH_ONLY:-}
if [[ -z "$only" || "$only" == "ledger" ]]; then
  echo "bench.sh: load average before custos_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_bench" "${ledger_args[@]}"
fi
if [[ -z "$only" || "$only" == "rpc" ]]; then
  [[ "$only" == "rpc" ]] || echo
  echo "bench.sh: load average before custos_rpc_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_rpc_bench" "${rpc_args[@]}"
fi
if [[ -z "$only" || "$only" == "map" ]]; then
  [[ "$only" == "map" ]] || echo
  echo "bench.sh: load average before custos_map_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_map_bench" --subjects "${CUSTOS_MAP_SUBJECTS:-1000000}"
fi
if [[ -z "$only" || "$only" == "listing" ]]; then
  [[ "$only" == "listing" ]] || echo
  echo "bench.sh: load average before custos_listing_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_listing_bench" --subjects "${CUSTOS_LISTING_SUBJECTS:-1000000}"
fi
if [[ -z "$only" || "$only" == "bundle" ]]; then
  [[ "$only" == "bundle" ]] || echo
  echo "bench.sh: load average before custos_bundle_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_bundle_bench"
fi
if [[ -z "$only" || "$only" == "http" ]]; then
  [[ "$only" == "http" ]] || echo
  echo "bench.sh: load average before custos_http_bench: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$dir/tests/bench/custos_http_bench" --subjects "${CUSTOS_HTTP_SUBJECTS:-10000}"
fi
