#!/bin/sh
# scripts/test.sh - set up a fresh Debian 12 machine and run every test. CI (.ci/run)
# runs this. Installs the build/test dependencies, runs `make lint` (the layer table
# and banned calls), then builds four configurations, warnings as errors, each in
# its own BUILD dir, with the tests, corpus replays and benchmarks:
#   build/gcc-rel    gcc, -O3 + LTO (the release build)          unit tests
#   build/clang-rel  clang, -O3 + ThinLTO                          unit tests
#   build/clang-san  clang, AddressSanitizer + UBSan               unit tests
#   build/gcc-san    gcc, AddressSanitizer + UBSan                 unit, integration
#                    (a real `mreza serve` on 127.0.0.1) and fuzz-corpus tests
# Ends with the line "N passed, N failed" of that last, full run. Exits nonzero on
# the first failed build or test, and at the end if `make lint` failed (the builds
# and tests still run, so that a layering problem does not hide their results).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
lint=0
make -s lint || lint=1
jobs=$(nproc)

build() { # name, make arguments
    name=$1
    shift
    echo "== build build/$name"
    make -s -j"$jobs" WERROR=1 BUILD="build/$name" "$@" tests-build bench-build
}

build gcc-rel CC=gcc
build clang-rel CC=clang
build clang-san CC=clang SANITIZE=1
build gcc-san CC=gcc SANITIZE=1
for name in gcc-rel clang-rel clang-san; do
    echo "== unit tests of build/$name"
    BUILD="build/$name" sh tests/run.sh unit
done
echo "== every test of build/gcc-san"
BUILD=build/gcc-san sh tests/run.sh all
if [ "$lint" -ne 0 ]; then
    echo "scripts/test.sh: failed: make lint found problems (listed at the top)" >&2
    exit 1
fi
