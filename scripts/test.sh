#!/bin/sh
# scripts/test.sh - set up a fresh Debian 12 machine and run every test.
# Installs the build/test dependencies, builds mreza with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings are errors), runs the unit tests and the
# integration tests against a real `mreza serve` on 127.0.0.1, and ends with the
# line "N passed, N failed". Exits nonzero on any failure. CI (.ci/run) runs this.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -s -j"$(nproc)" SANITIZE=1 WERROR=1 tests-build
BUILD=build/san sh tests/run.sh all
