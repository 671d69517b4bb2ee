#!/bin/sh
# scripts/lint.sh - the checks of `make lint`, over every .c and .h file of src/:
#   1. layering: each #include "folder/x.h" must follow an edge of the layer table in
#      scripts/layers.txt (dependencies point down), and each #include <x.h> must be a
#      C11 standard header or one the table allows in that folder;
#   2. banned calls: sprintf vsprintf strcpy strcat strtok atoi atol gets sscanf
#      (curl's list), and SQL built by a printf-like call with %s in its format.
# Comments and string literals are taken out before calls are matched, so the word
# "gets (" in a comment is not a call. One line per problem:
#   lint: src/api/x.c:12: includes engine/svc_index.h (api may not depend on engine)
# and exit status 1 if there is any. tests/, fuzz/ and bench/ are not checked.
# Usage: sh scripts/lint.sh [ROOT]  (ROOT holds the src/ to check; default: this tree.
# tests/lint/check.sh runs it on a tree of known faults.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$here/..}
table=$here/layers.txt
cd "$root" || exit 2
[ -d src ] || { echo "lint: no src/ in $root" >&2; exit 2; }
[ -r "$table" ] || { echo "lint: cannot read $table" >&2; exit 2; }

files=$(find src -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)
[ -n "$files" ] || { echo "lint: no source files in $root/src" >&2; exit 2; }

# shellcheck disable=SC2086
out=$(awk -v table="$table" '
function problem(file, line, msg) {
    printf "lint: %s:%d: %s\n", file, line, msg
}

# The table: "KEY...: VALUES # comment". Keys in <> are headers, else one layer.
function read_table(    line, n, c, keys, vals, k, v, nk, nv, i, j, name, r) {
    while ((r = (getline line < table)) > 0) {
        n++
        sub(/#.*/, "", line)
        if (line ~ /^[ \t]*$/)
            continue
        c = index(line, ":")
        if (!c) {
            problem("scripts/layers.txt", n, "no \":\" on this line")
            continue
        }
        keys = substr(line, 1, c - 1)
        vals = substr(line, c + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", keys)
        gsub(/^[ \t]+|[ \t]+$/, "", vals)
        nk = split(keys, k, /[ \t]+/)
        nv = split(vals, v, /[ \t]+/)
        if (keys ~ /^</) {
            for (i = 1; i <= nk; i++) {
                if (k[i] !~ /^<[^<>]+>$/) {
                    problem("scripts/layers.txt", n, "not a <header>: " k[i])
                    continue
                }
                name = substr(k[i], 2, length(k[i]) - 2)
                if (name ~ /\/\*$/)
                    hpfx[substr(name, 1, length(name) - 1)] = " " vals " "
                else
                    hdr[name] = " " vals " "
            }
            continue
        }
        if (nk != 1) {
            problem("scripts/layers.txt", n, "one layer per line: " keys)
            continue
        }
        if (keys in layer) {
            problem("scripts/layers.txt", n, keys " has two lines")
            continue
        }
        allow[keys] = " " keys " "
        for (j = 1; j <= nv; j++) {
            if (v[j] == "-")
                continue
            if (!(v[j] in layer))
                problem("scripts/layers.txt", n, keys " names " v[j] \
                        ", which is not a layer above it (dependencies point down)")
            allow[keys] = allow[keys] v[j] " "
        }
        layer[keys] = n
    }
    if (r < 0) {
        print "lint: cannot read " table > "/dev/stderr"
        exit 2
    }
    close(table)
}

BEGIN {
    SQ = "\047"
    n = split("assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h " \
              "limits.h locale.h math.h setjmp.h signal.h stdalign.h stdarg.h " \
              "stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h " \
              "string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h", a, " ")
    for (i = 1; i <= n; i++)
        c11[a[i]] = 1
    instead["sprintf"] = "snprintf or mz_buf_printf"
    instead["vsprintf"] = "vsnprintf"
    instead["strcpy"] = "memcpy of a known length, or mz_buf"
    instead["strcat"] = "memcpy of a known length, or mz_buf"
    instead["strtok"] = "a (p, len) parser"
    instead["atoi"] = "strtol with an end pointer and a range check"
    instead["atol"] = "strtol with an end pointer and a range check"
    instead["gets"] = "fgets"
    instead["sscanf"] = "strtol/strtoull with an end pointer, or a (p, len) parser"
    BANNED = "(^|[^A-Za-z0-9_])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets|sscanf)[ \t]*[(]"
    PRINTF = "[A-Za-z0-9_]*printf[ \t]*[(]"
    SQL = "(^|[^A-Za-z_])(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|FROM|WHERE|VALUES)([^A-Za-z_]|$)"
    PCT_S = "%[-+ #0]*([0-9]+|[*])?([.]([0-9]+|[*]))?s"
    read_table()
}

# Strip comments and literals from one line: sets code (the line with each comment
# replaced by a blank and each literal by an empty pair of its quotes) and, for the
# string literals, ns, sbody[1..ns] and spos[1..ns] (where its pair is in code).
# A block comment may span lines (in_comment); a string ends at its line.
function strip(line,    rest, tok, q, body, c) {
    code = ""
    ns = 0
    rest = line
    while (rest != "") {
        if (in_comment) {
            c = index(rest, "*/")
            if (!c)
                return
            rest = substr(rest, c + 2)
            in_comment = 0
            code = code " "
            continue
        }
        if (!match(rest, "/[*]|//|\"|" SQ)) {
            code = code rest
            return
        }
        code = code substr(rest, 1, RSTART - 1)
        tok = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        if (tok == "//")
            return
        if (tok == "/*") {
            in_comment = 1
            continue
        }
        q = tok
        body = ""
        while (match(rest, q == "\"" ? "[\"\\\\]" : "[" SQ "\\\\]")) {
            body = body substr(rest, 1, RSTART - 1)
            if (substr(rest, RSTART, 1) == q) {
                rest = substr(rest, RSTART + 1)
                q = ""
                break
            }
            body = body substr(rest, RSTART, 2)
            rest = substr(rest, RSTART + 2)
        }
        if (q != "") { # not closed on this line
            body = body rest
            rest = ""
        }
        if (tok == "\"") {
            sbody[++ns] = body
            spos[ns] = length(code) + 1
        }
        code = code tok tok
    }
}

function check_include(file, fnr, folder, code,    h, dep, allowed, p, d, t) {
    if (match(code, /^[ \t]*#[ \t]*include[ \t]*</)) {
        h = substr(code, RSTART + RLENGTH)
        sub(/>.*/, "", h)
        allowed = ""
        if (h in hdr)
            allowed = hdr[h]
        else
            for (p in hpfx)
                if (index(h, p) == 1)
                    allowed = hpfx[p]
        if (allowed == "") {
            if (!(h in c11))
                problem(file, fnr, "includes <" h ">, which scripts/layers.txt does not list" \
                        " (add it to the table with a reason)")
        } else if (allowed != " * " && !index(allowed, " " folder " ")) {
            t = allowed
            gsub(/^ +| +$/, "", t)
            problem(file, fnr, "includes <" h "> (only " t " may include it, not " folder ")")
        }
        return
    }
    if (code !~ /^[ \t]*#[ \t]*include[ \t]*""/ || ns < 1)
        return
    h = sbody[1]
    if (h !~ /\//) {
        d = file
        sub(/[^\/]*$/, "", d)
        if ((getline t < (d h)) >= 0) {
            close(d h)
            return # a header of its own folder
        }
        problem(file, fnr, "includes \"" h "\", which is not in " d \
                " (headers of src/ are written \"folder/name.h\")")
        return
    }
    dep = h
    sub(/\/.*/, "", dep)
    if (dep == folder)
        return
    if (!(dep in layer))
        problem(file, fnr, "includes " h " (src/" dep " is not a layer of scripts/layers.txt)")
    else if (!index(allow[folder], " " dep " "))
        problem(file, fnr, "includes " h " (" folder " may not depend on " dep ")")
}

# SQL put together by a printf-like call: the call starting at code_of[i] from
# column col, its string literals up to the closing parenthesis, with an SQL
# keyword and a %s among them.
function check_sql(file, i, col,    depth, j, k, s, c, text, end) {
    depth = 0
    text = ""
    for (j = i; j <= nlines; j++) {
        s = (j == i) ? col : 1
        end = 0
        for (k = s; k <= length(code_of[j]); k++) {
            c = substr(code_of[j], k, 1)
            if (c == "(")
                depth++
            else if (c == ")" && --depth == 0) {
                end = k
                break
            }
        }
        for (k = 1; k <= nstr[j]; k++)
            if (str_pos[j, k] >= s && (!end || str_pos[j, k] < end))
                text = text str_body[j, k]
        if (end || j - i > 40)
            break
    }
    if (text ~ SQL && text ~ PCT_S)
        problem(file, i, "builds SQL with %s in a printf format (bind a parameter instead)")
}

function end_file(    i, rest, col) {
    for (i = 1; i <= nlines; i++) {
        rest = code_of[i]
        col = 0
        while (match(rest, PRINTF)) {
            col += RSTART + RLENGTH - 1
            check_sql(cur, i, col)
            rest = substr(rest, RSTART + RLENGTH)
        }
    }
    for (i = 1; i <= nlines; i++)
        delete code_of[i]
    nlines = 0
}

FNR == 1 {
    if (cur != "")
        end_file()
    cur = FILENAME
    in_comment = 0
    n = split(FILENAME, part, "/")
    folder = part[2]
    if (!(folder in layer))
        problem(FILENAME, 1, (n == 2 ? FILENAME : "src/" folder) \
                " has no line in scripts/layers.txt (add it to the table with its place)")
}

{
    strip($0)
    nlines = FNR
    code_of[FNR] = code
    nstr[FNR] = ns
    for (k = 1; k <= ns; k++) {
        str_body[FNR, k] = sbody[k]
        str_pos[FNR, k] = spos[k]
    }
    if (code ~ /^[ \t]*#[ \t]*include/ && folder in layer)
        check_include(FILENAME, FNR, folder, code)
    rest = code
    while (match(rest, BANNED)) {
        call = substr(rest, RSTART, RLENGTH)
        sub(/^[^A-Za-z]/, "", call)
        sub(/[ \t]*[(]$/, "", call)
        problem(FILENAME, FNR, "calls " call " (banned: use " instead[call] ")")
        rest = substr(rest, RSTART + RLENGTH)
    }
}

END {
    if (cur != "")
        end_file()
}
' $files)
rc=$?
[ $rc -eq 2 ] && exit 2
if [ -n "$out" ]; then
    printf '%s\n' "$out" | LC_ALL=C sort -t: -k2,2 -k3,3n
    echo "lint: $(printf '%s\n' "$out" | wc -l | tr -d ' ') problems (tables: scripts/layers.txt)"
    exit 1
fi
echo "lint: ok"
