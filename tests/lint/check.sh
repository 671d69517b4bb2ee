#!/bin/sh
# tests/lint/check.sh - the lint's own test (run by `make lint`): scripts/lint.sh over
# tests/lint/src, a small tree with one of each problem it must report (bad.c, ok.c,
# unknown/, main.c) and things it must not (clean.c: banned names in comments and string
# literals, lookalike names, headers of its own folder), must print exactly
# tests/lint/expected.txt and exit 1. A lint that passes everything fails here.
set -u
cd "$(dirname "$0")/../.." || exit 2
got=$(sh scripts/lint.sh tests/lint)
rc=$?
if [ "$rc" -ne 1 ] || [ "$got" != "$(cat tests/lint/expected.txt)" ]; then
    echo "lint: self-test failed (exit status $rc, want 1); diff tests/lint/expected.txt got:" >&2
    printf '%s\n' "$got" | diff tests/lint/expected.txt - >&2
    exit 1
fi
