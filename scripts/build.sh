#!/usr/bin/env bash
# Configures (CMake + Ninja) and builds Custos.
#
# Usage: scripts/build.sh [release|san] [TARGET...]   (default: every target)
#   release (default)  into build/      GCC, RelWithDebInfo: the programs, tests
#                                       and benchmarks
#   san                into build-san/  clang-14, -O1 with line tables, ASan +
#                                       UBSan, libFuzzer coverage: the tests and
#                                       the fuzz targets (tests/fuzz) in one
#                                       build, linked with lld; no benchmarks
# Parallelism is the number of cores (nproc). Extra CMake options can be passed
# in CUSTOS_CMAKE_ARGS; CLANG names the clang (default clang-14).
set -euo pipefail

cd "$(dirname "$0")/.."

flavour=${1:-release}
shift || true
targets=("$@")
case "$flavour" in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUSTOS_SANITIZE=OFF)
    ;;
  san)
    dir=build-san
    clang=${CLANG:-clang-14}
    # One build serves both the sanitizer run of every test and the fuzzers:
    # every library is compiled once, with ASan, UBSan and libFuzzer's coverage
    # (-DCUSTOS_FUZZ=ON); the fuzz targets add libFuzzer's main. -O1: the
    # tests run several times faster than at -O0 under the sanitizers; line
    # tables only: reports still name file and line (docs/testing.md).
    # -no-pie: a position-independent sanitizer binary spent ~40% of its
    # start-up applying 870,000 relative relocations, and the tests start the
    # command line thousands of times (145 -> 86 ms for `custos --help`).
    flags="-O1 -gline-tables-only"
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
          "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags"
          -DCMAKE_C_COMPILER="$clang" -DCMAKE_CXX_COMPILER="${clang/clang/clang++}"
          "-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -no-pie"
          -DCUSTOS_SANITIZE=ON -DCUSTOS_FUZZ=ON -DCUSTOS_BUILD_BENCHMARKS=OFF)
    ;;
  asan)
    echo "build.sh: the GCC ASan build is gone; 'san' builds the tests under ASan + UBSan with clang" >&2
    exit 2
    ;;
  -h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "build.sh: unknown flavour '$flavour' (want release or san)" >&2
    exit 2
    ;;
esac

# shellcheck disable=SC2206  # CUSTOS_CMAKE_ARGS is split on purpose
extra=(${CUSTOS_CMAKE_ARGS:-})
jobs=$(nproc)

cmake -S . -B "$dir" -G Ninja "${args[@]}" "${extra[@]}" >/dev/null
if [[ ${#targets[@]} -gt 0 ]]; then
  cmake --build "$dir" --parallel "$jobs" --target "${targets[@]}"
else
  cmake --build "$dir" --parallel "$jobs"
fi
