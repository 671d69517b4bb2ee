#!/bin/sh
# scripts/test.sh - set up a fresh Debian 12 machine and run every test. CI (.ci/run)
# runs this; see docs/testing.md. It installs the build/test dependencies, runs
# `make lint` (the layer table of scripts/layers.txt and the banned calls), then
# builds four configurations, warnings as errors, each in its own BUILD dir, with the
# tests, corpus replays and benchmarks:
#   build/gcc-rel    gcc, -O3 + LTO (the release build)          unit tests
#   build/clang-rel  clang, -O3 + ThinLTO                          unit tests
#   build/clang-san  clang, AddressSanitizer + UBSan               unit tests
#   build/gcc-san    gcc, AddressSanitizer + UBSan                 the runner's self-test,
#                    then every test: unit, integration (a real `mreza serve` on
#                    127.0.0.1) and fuzz-corpus replays
# The self-test (tests/selftest/run.sh) makes sure a deliberately broken build (a
# leak, crashes, a failed group teardown, a hang, a skipped test, a server whose
# handler leaks) fails tests/run.sh with a true count; if it does not, the suite's
# verdict could not be trusted and nothing else runs. Ends with the line
# "N passed, N failed, N skipped" of the full run. Exits nonzero on the first failed
# build or test (a skipped test is a failure of the run), and at the end if
# `make lint` failed (the builds and tests still run, so that a layering problem does
# not hide their results). MREZA_TEST_TIMEOUT (seconds, default 300) bounds each
# test binary.
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
make -s -j"$jobs" WERROR=1 BUILD=build/gcc-san CC=gcc SANITIZE=1 selftest-build
for name in gcc-rel clang-rel clang-san; do
    echo "== unit tests of build/$name"
    BUILD="build/$name" sh tests/run.sh unit
done
echo "== the test runner's self-test (build/gcc-san)"
BUILD=build/gcc-san sh tests/selftest/run.sh
echo "== every test of build/gcc-san"
BUILD=build/gcc-san sh tests/run.sh all
if [ "$lint" -ne 0 ]; then
    echo "scripts/test.sh: failed: make lint found problems (listed at the top)" >&2
    exit 1
fi
