#!/bin/sh
# scripts/lint.sh - cheap checks of the layering and of banned calls (`make lint`).
# Fails when libmicrohttpd is used outside src/api, SQLite/libpq outside src/store,
# or when a banned C function appears in src/.
set -u
cd "$(dirname "$0")/.."
bad=0
leak() { # header, allowed dir
    hits=$(grep -rlE "#include[[:space:]]*[<\"]$1" src | grep -v "^src/$2/")
    if [ -n "$hits" ]; then echo "lint: $1 used outside src/$2/:"; echo "$hits"; bad=1; fi
}
leak 'microhttpd\.h' api
leak 'sqlite3\.h' store
leak 'libpq-fe\.h' store
banned=$(grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(' src | grep -v 'snprintf\|vsnprintf')
if [ -n "$banned" ]; then echo "lint: banned calls:"; echo "$banned"; bad=1; fi
sqlfmt=$(grep -rnE '(printf|snprintf)\(.*(SELECT|INSERT|UPDATE|DELETE).*%s' src)
if [ -n "$sqlfmt" ]; then echo "lint: SQL built with %s:"; echo "$sqlfmt"; bad=1; fi
[ $bad -eq 0 ] && echo "lint: ok"
exit $bad
