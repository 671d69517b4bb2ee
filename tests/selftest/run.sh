#!/bin/sh
# tests/selftest/run.sh - the self-test of the test runner (tests/run.sh): a
# deliberately broken build must fail the run, with a true count. `make SANITIZE=1
# selftest` builds and runs it; scripts/test.sh runs it before the suite.
# Usage: BUILD=build/san sh tests/selftest/run.sh (after make SANITIZE=1 selftest-build)
#
# Three runs of tests/run.sh, each checked for its closing line, its exit status
# and the lines that explain it:
#   1. a binary whose tests pass (test_pass): the runner says yes (exit 0);
#   2. the set "selftest", tests/selftest/test_*.c, with a 3 s timeout: code under
#      test that leaks (LeakSanitizer at exit), a SIGSEGV that cmocka catches, an
#      abort mid-run, a failed test setup and group teardown, a test that hangs, a
#      skipped test; and a stale binary with no source (test_gone), which must not
#      be run. Every binary's own "-- " line and the closing line are compared with
#      what they must be;
#   3. a real integration test (test_bad_input) against a real `mreza serve` whose
#      /healthz handler leaks ($BUILD/selftest/mreza, built with -DMZ_SELFTEST_LEAK):
#      its last test, h_test_servers_exit_cleanly, must fail, and so must the run.
# Prints "selftest: ok" or what differed, and exits nonzero on any difference.
set -u
BUILD=${BUILD:-build/san}
S=$BUILD/tests/selftest
out=$(mktemp -d) || exit 2
trap 'rm -rf "$out" "$S/test_gone"' EXIT
bad=0
checks=0

# check WHAT OK: count a check; report it when OK (a command's status) is nonzero.
check() {
    checks=$((checks + 1))
    if [ "$2" -ne 0 ]; then
        echo "selftest: FAILED: $1"
        bad=1
    fi
}

# has FILE LINE: FILE has exactly this line.
has() {
    grep -qxF -- "$2" "$1"
    check "$(basename "$1") has the line '$2'" $?
}

# lacks FILE TEXT: FILE has no line containing TEXT.
lacks() {
    ! grep -qF -- "$2" "$1"
    check "$(basename "$1") has no line with '$2'" $?
}

# verdict NAME COUNTS WHY: in $f, tests/run.sh's line for test_NAME gives COUNTS.
verdict() {
    grep -qF -- "-- $S/test_$1: $2 (" "$f"
    check "test_$1: $2 ($3)" $?
}

# said TEXT: $f has a line that starts with TEXT.
said() {
    grep -qF -- "$1" "$f"
    check "the runner says '$1'" $?
}

# status NAME RC WANT: WANT is "0" or "nonzero".
status() {
    if [ "$3" = 0 ]; then [ "$2" -eq 0 ]; else [ "$2" -ne 0 ]; fi
    check "$1: the runner exits $3 (it exited $2)" $?
}

for t in pass leak segv abort teardown hang skip; do
    if [ ! -x "$S/test_$t" ]; then
        echo "selftest: $S/test_$t is not built: make SANITIZE=1 selftest-build" >&2
        exit 2
    fi
done
[ -x "$BUILD/selftest/mreza" ] && [ -x "$BUILD/tests/integ/test_bad_input" ] || {
    echo "selftest: $BUILD/selftest/mreza or the integration tests are not built: make SANITIZE=1 selftest-build" >&2
    exit 2
}

# 1. all tests pass
BUILD=$BUILD sh tests/run.sh "$S/test_pass" >"$out/pass" 2>&1
status pass $? 0
has "$out/pass" "2 passed, 0 failed, 0 skipped"

# 2. the broken binaries, and a stale one
cp "$S/test_pass" "$S/test_gone"
MREZA_TEST_TIMEOUT=3 BUILD=$BUILD sh tests/run.sh selftest >"$out/broken" 2>&1
status broken $? nonzero
f=$out/broken
verdict pass "2 passed, 0 failed, 0 skipped" "all pass"
verdict leak "0 passed, 2 failed, 0 skipped" "LeakSanitizer at exit: both tests fail"
said "!! $S/test_leak: killed by SIGABRT: "
verdict segv "2 passed, 1 failed, 0 skipped" "a SIGSEGV cmocka catches fails one test"
verdict abort "0 passed, 3 failed, 0 skipped" "an abort mid-run fails all three tests"
said "!! $S/test_abort: killed by SIGABRT, during test_aborts: "
verdict teardown "2 passed, 2 failed, 0 skipped" "a failed test setup and group teardown are failures"
said "!! $S/test_teardown: 1 group teardown(s) failed"
verdict hang "0 passed, 3 failed, 0 skipped" "a timeout fails all three tests"
said "!! $S/test_hang: timed out after 3 s, during test_hangs: "
verdict skip "1 passed, 0 failed, 1 skipped" "a skipped test is shown"
lacks "$f" "== $S/test_gone"
has "$f" "-- stale, not run: $S/test_gone (no tests/selftest/test_gone.c)"
has "$f" "7 passed, 11 failed, 1 skipped"

# 3. a real integration test against a server that leaks
MREZA_BIN=$PWD/$BUILD/selftest/mreza BUILD=$BUILD sh tests/run.sh "$BUILD/tests/integ/test_bad_input" \
    >"$out/serve" 2>&1
status serve $? nonzero
f=$out/serve
has "$f" "[  FAILED  ] h_test_servers_exit_cleanly"
grep -q "ERROR: LeakSanitizer: detected memory leaks" "$f"
check "serve: the server's leak report is in the output" $?
grep -Eq "^0 passed, [1-9][0-9]* failed, 0 skipped$" "$f"
check "serve: no test of the binary counts as passed" $?

if [ "$bad" -ne 0 ]; then
    for r in pass broken serve; do
        echo "---- tests/run.sh output ($r):"
        grep -v '^    #' "$out/$r"
    done
    echo "selftest: the test runner is broken ($checks checks)"
    exit 1
fi
echo "selftest: ok ($checks checks: the runner fails a broken build and counts it truly)"
