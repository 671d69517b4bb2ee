#!/bin/sh
# tests/run.sh - run the cmocka test binaries and end with one true line:
#   N passed, N failed, N skipped
# Usage: BUILD=build/san sh tests/run.sh [all|unit|integ|fuzz|selftest | BINARY...]
# Exits 0 only when nothing failed, nothing was skipped and something passed.
#
# Which binaries: those whose source exists, as the Makefile lists them:
# tests/unit/*/test_*.c, tests/integ/test_*.c and fuzz/fuzz_*.c (as replay_*) under
# $BUILD ("all" is the three; "selftest" is tests/selftest/, the runner's own
# deliberately broken binaries, never part of "all"). A binary left behind by a
# deleted test is not run (it is named as stale); one whose source exists but that
# was not built counts as a failure. Paths given instead of a set are run as they are.
#
# Each binary runs under `timeout` ($MREZA_TEST_TIMEOUT seconds, default 300; KILL
# 10 s after TERM) with its output streamed as it comes (cmocka flushes each line)
# and parsed when it ends (docs/testing.md):
#   - "[==========] Running N test(s)." says how many tests the binary has;
#   - a test that ran passed ([ OK ]), failed ([ FAILED ], or [ ERROR ] when its own
#     setup or teardown failed) or was skipped ([ SKIPPED ]);
#   - a failed group setup fails the group's tests (none ran); a failed group
#     teardown is one more failure (Debian's cmocka 1.1.5 exits 0 when it fails);
#   - a binary that did not end cleanly counts ALL its tests as failed, whatever
#     they printed before: killed by a signal (abort, LeakSanitizer and ASan with
#     abort_on_error=1), timed out, stopped before its summary, a sanitizer report
#     anywhere in its output (its own or a child's, e.g. the server's), or a nonzero
#     exit status with no failed test to explain it. Without a header (it never
#     started) it counts as one failure.
# Prints "== BINARY" before each binary, "-- BINARY: N passed, ..." after it, and a
# line starting "!! " for everything counted as a failure that cmocka did not print.
# $MREZA_BIN (the server and CLI the integration tests run) defaults to $BUILD/mreza.
# Needs coreutils (timeout, date +%N) and a POSIX sh (dash).
set -u
BUILD=${BUILD:-build}
TIMEOUT=${MREZA_TEST_TIMEOUT:-300}
case $TIMEOUT in
'' | *[!0-9]*) echo "tests/run.sh: MREZA_TEST_TIMEOUT is a number of seconds, not '$TIMEOUT'" >&2 && exit 2 ;;
esac
export MREZA_BIN="${MREZA_BIN:-$PWD/$BUILD/mreza}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_TEST_ABORT # the parse reads cmocka's standard output

passed=0
failed=0
skipped=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The binary of each source that exists ($BUILD/<source without .c>).
built_from() {
    for s in "$@"; do
        if [ -f "$s" ]; then echo "$BUILD/${s%.c}"; fi
    done
}

# The binaries of one set, from the sources that exist (the Makefile's lists).
list() {
    case $1 in
    unit) built_from tests/unit/*/test_*.c ;;
    integ) built_from tests/integ/test_*.c ;;
    fuzz) built_from fuzz/fuzz_*.c | sed 's|/fuzz/fuzz_\([^/]*\)$|/fuzz/replay_\1|' ;;
    selftest) built_from tests/selftest/test_*.c ;;
    *) echo "tests/run.sh: unknown set '$1' (all, unit, integ, fuzz, selftest or paths)" >&2 && return 1 ;;
    esac
}

# Name the built test binaries of deleted tests (not run).
stale() {
    for b in $(find "$BUILD/tests" "$BUILD/fuzz" -type f \( -name 'test_*' -o -name 'replay_*' \) \
        ! -name '*.[od]' 2>/dev/null | sort); do
        case $b in
        "$BUILD"/fuzz/replay_*) s=fuzz/fuzz_${b#"$BUILD"/fuzz/replay_}.c ;;
        *) s=${b#"$BUILD"/}.c ;;
        esac
        [ -f "$s" ] || echo "-- stale, not run: $b (no $s)"
    done
}

# What cmocka printed: declared passed failed skipped groups finished gsetup
# gteardown sanitizer-reports, then the test that was running when it ended.
parse() {
    awk '
    /^\[==========\] Running [0-9]+ test\(s\)\./ { declared += $3; groups++; cur = ""; next }
    /^\[==========\] [0-9]+ test\(s\) run\./ { finished++; cur = ""; next }
    /^\[ RUN      \] / { cur = substr($0, 14); next }
    /^\[       OK \] / { if (cur != "") passed++; cur = ""; next }
    /^\[  FAILED  \] GROUP SETUP/ { gsetup++; next }
    /^\[  FAILED  \] GROUP TEARDOWN/ { gteardown++; next }
    /^\[  FAILED  \] / { if (cur != "") failed++; cur = ""; next }
    /^\[  SKIPPED \] / { if (cur != "") skipped++; cur = ""; next }
    /^\[  ERROR   \] --- / { next }
    /^\[  ERROR   \] / { if (cur != "") failed++; cur = ""; next }
    /^==[0-9]+==ERROR: [A-Za-z]*Sanitizer/ || /^SUMMARY: [A-Za-z]*Sanitizer/ || /: runtime error: / { san++ }
    END { print declared + 0, passed + 0, failed + 0, skipped + 0, groups + 0, finished + 0,
                gsetup + 0, gteardown + 0, san + 0, cur }
    ' "$1"
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# Why a binary that ended with status $1 did not end cleanly ("" if it did).
broken() {
    rc=$1
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((ms / 1000)) -ge "$TIMEOUT" ]; }; then
        echo "timed out after $TIMEOUT s"
    elif [ "$rc" -ge 128 ]; then
        echo "killed by SIG$(kill -l "$((rc - 128))" 2>/dev/null || echo "$((rc - 128))")"
    elif [ "$groups" -eq 0 ]; then
        echo "printed no cmocka header (status $rc)"
    elif [ "$finished" -lt "$groups" ]; then
        echo "stopped before its summary (status $rc)"
    elif [ "$san" -gt 0 ]; then
        echo "has a sanitizer report in its output (status $rc)"
    elif [ "$rc" -ne 0 ] && [ $((failed_b + gsetup + gteardown)) -eq 0 ]; then
        echo "exited with status $rc and no failed test"
    fi
}

run_one() {
    b=$1
    echo "== $b"
    if [ ! -x "$b" ]; then
        echo "!! $b: not built (make tests-build): counted as 1 failed"
        failed=$((failed + 1))
        return
    fi
    t0=$(now_ms)
    { timeout -k 10 "$TIMEOUT" "$b" </dev/null 2>&1; echo $? >"$tmp/rc"; } | tee "$tmp/log"
    ms=$(($(now_ms) - t0))
    rc=$(cat "$tmp/rc")
    read -r declared passed_b failed_b skipped_b groups finished gsetup gteardown san cur <<EOF
$(parse "$tmp/log")
EOF
    why=$(broken "$rc")
    if [ -n "$why" ]; then
        n=$declared
        [ "$n" -gt 0 ] || n=1
        echo "!! $b: $why${cur:+, during $cur}: its $n tests count as failed"
        passed_b=0
        failed_b=$n
        skipped_b=0
    else
        missing=$((declared - passed_b - failed_b - skipped_b))
        [ "$gsetup" -eq 0 ] || echo "!! $b: a group setup failed: its tests did not run"
        [ "$gteardown" -eq 0 ] || echo "!! $b: $gteardown group teardown(s) failed: counted as failed"
        [ "$missing" -le 0 ] || [ "$gsetup" -gt 0 ] || echo "!! $b: $missing tests did not report: counted as failed"
        [ "$missing" -gt 0 ] || missing=0
        failed_b=$((failed_b + missing + gteardown))
    fi
    echo "-- $b: $passed_b passed, $failed_b failed, $skipped_b skipped ($((ms / 1000)).$((ms % 1000 / 100)) s)"
    passed=$((passed + passed_b))
    failed=$((failed + failed_b))
    skipped=$((skipped + skipped_b))
}

case ${1:-all} in
*/*) bins=$* ;;
all) bins="$(list unit) $(list integ) $(list fuzz)" ;;
*) bins=$(list "$1") || exit 2 ;;
esac
case ${1:-all} in */*) ;; *) stale ;; esac
for b in $bins; do
    run_one "$b"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] && [ "$passed" -gt 0 ]
