#!/usr/bin/env bash
# Configures (CMake + Ninja) and builds Custos.
#
# Usage: scripts/build.sh [release|asan]
#   release (default)  into build/       RelWithDebInfo, tests and benchmarks
#   asan               into build-asan/  ASan + UBSan (-DCUSTOS_SANITIZE=ON),
#                                        -O0 -g1, tests, no benchmarks
# Parallelism is the number of cores (nproc). Extra CMake options can be passed
# in CUSTOS_CMAKE_ARGS.
set -euo pipefail

cd "$(dirname "$0")/.."

flavour=${1:-release}
case "$flavour" in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUSTOS_SANITIZE=OFF)
    ;;
  asan)
    dir=build-asan
    # Line tables only (-g1): a sanitizer report still names file and line,
    # and full debug info took ~40% of a translation unit's compile CPU
    # (docs/testing.md).
    args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-g1 -DCMAKE_CXX_FLAGS_DEBUG=-g1
          -DCUSTOS_SANITIZE=ON -DCUSTOS_BUILD_BENCHMARKS=OFF)
    ;;
  -h|--help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "build.sh: unknown flavour '$flavour' (want release or asan)" >&2
    exit 2
    ;;
esac

# shellcheck disable=SC2206  # CUSTOS_CMAKE_ARGS is split on purpose
extra=(${CUSTOS_CMAKE_ARGS:-})
jobs=$(nproc)

cmake -S . -B "$dir" -G Ninja "${args[@]}" "${extra[@]}" >/dev/null
cmake --build "$dir" --parallel "$jobs"
