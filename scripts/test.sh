#!/bin/sh
# scripts/test.sh - set up a fresh Debian 12 machine and run every test.
# Installs the build/test dependencies, builds mreza with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings are errors), then:
#   1. the test runner's self-test (tests/selftest/run.sh): a deliberately broken
#      build (a leak, crashes, a failed group teardown, a hang, a skipped test, a
#      server whose handler leaks) must fail tests/run.sh with a true count; if it
#      does not, the suite's verdict could not be trusted and nothing else runs;
#   2. the unit tests, the integration tests against a real `mreza serve` on
#      127.0.0.1 and the fuzz corpus replays (tests/run.sh all), which end with the
#      line "N passed, N failed, N skipped".
# Exits nonzero on any failure or skipped test. CI (.ci/run) runs this; see
# docs/testing.md. MREZA_TEST_TIMEOUT (seconds, default 300) bounds each binary.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -s -j"$(nproc)" SANITIZE=1 WERROR=1 tests-build selftest-build
BUILD=build/san sh tests/selftest/run.sh
BUILD=build/san sh tests/run.sh all
