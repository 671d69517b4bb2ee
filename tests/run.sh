#!/bin/sh
# tests/run.sh - run the cmocka test binaries and print one closing line
# "N passed, N failed". Usage: BUILD=build/san sh tests/run.sh all|unit|integ
# Each binary's own cmocka summary is parsed; a binary that crashes or exits
# nonzero without a summary counts as one failure.
set -u
BUILD=${BUILD:-build}
WHAT=${1:-all}
export MREZA_BIN="$PWD/$BUILD/mreza"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
bins=""
case "$WHAT" in
  unit)  bins=$(find "$BUILD/tests/unit" -type f -name 'test_*' ! -name '*.[od]' 2>/dev/null | sort) ;;
  integ) bins=$(find "$BUILD/tests/integ" -type f -name 'test_*' ! -name '*.[od]' 2>/dev/null | sort) ;;
  fuzz)  bins=$(find "$BUILD/fuzz" -type f -name 'replay_*' ! -name '*.[od]' 2>/dev/null | sort) ;;
  all)   bins=$(find "$BUILD/tests/unit" "$BUILD/tests/integ" "$BUILD/fuzz" -type f \( -name 'test_*' -o -name 'replay_*' \) ! -name '*.[od]' 2>/dev/null | sort) ;;
esac
log=$(mktemp)
for b in $bins; do
  echo "== $b"
  "$b" >"$log" 2>&1
  rc=$?
  cat "$log"
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! $b exited with status $rc"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
