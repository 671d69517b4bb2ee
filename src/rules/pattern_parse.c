/* rules/pattern_parse.c - the STIX 2.1 patterning language, text to tree (see
 * pattern.h): a hand-written recursive-descent parser, the checks and canonical forms
 * of its literals, and pattern_free(). Part of the pattern module (pattern_int.h):
 * pattern_plan.c and pattern_eval.c walk the tree built here.
 *
 * How it fits: rules/stix.c checks every indicator's pattern with pattern_parse();
 * rules/observe.c turns pattern_plan() terms into index keys; engine/engine_match.c
 * confirms CANDIDATE and SCAN indicators with pattern_eval().
 *
 * Hand-written because the input is untrusted and on the ingest path: the only
 * grammar-driven parsers for STIX patterns are ANTLR targets (Java, Python, Go), none
 * in Debian for C. Every limit is fixed before parsing starts:
 *   - the text is at most PATTERN_MAX_LEN bytes, valid UTF-8 without NUL bytes
 *     (obs/utf8.h, the check log lines and observables get too);
 *   - parentheses nest at most PATTERN_MAX_DEPTH deep (the parser recurses only there);
 *     chains of AND/OR/FOLLOWEDBY are n-ary nodes built in loops, so every walk over
 *     the tree (plan, eval) recurses at most a small multiple of PATTERN_MAX_DEPTH;
 *   - at most MAX_QUALS qualifiers per observation expression;
 *   - MATCHES: at most MAX_REGEX regular expressions per pattern, each checked by
 *     pattern_regex.c before PCRE2 compiles it, and PATTERN_REGEX_REPS parts that
 *     can match empty in all of a pattern's regexes together.
 * Memory grows with the input only (a few dozen bytes of tree per input byte). A
 * string literal that is an IPv4/IPv6 address or CIDR is read once, here, with
 * obs/ip.h (the reading the index uses). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/ascii.h"
#include "obs/ip.h"
#include "obs/obs.h"
#include "obs/utf8.h"
#include "rules/pattern_int.h"

#define MAX_QUALS 8          /* qualifiers on one observation expression */
#define MAX_REGEX 16         /* MATCHES tests in one pattern */
#define PATTERN_REGEX_REPS 256 /* parts that can match empty in all regexes of a pattern */
#define NAME_MAX_LEN 250     /* STIX type and property names (STIX 2.1 3.1) */
#define TS_MAX_LEN 64        /* longest t'...' text we try to parse */
#define SNIP_MAX 32          /* bytes of input quoted in an error message */
#define ARENA_CHUNK 4096

/* ---- small helpers ---- */

size_t pattern_char_len(const unsigned char *s, size_t n, size_t i)
{
    size_t k = utf8_len(s + i, n - i);
    return k ? k : 1;
}

/* Byte length of the pattern whitespace at s[i], or 0. The set is the grammar's WS
 * rule: ASCII space, tab, CR, LF, VT, FF and U+0085, U+00A0, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000. */
static size_t ws_len(const unsigned char *s, size_t n, size_t i)
{
    unsigned c = s[i];

    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c == 0xC2 && n - i >= 2 && (s[i + 1] == 0x85 || s[i + 1] == 0xA0))
        return 2;
    if (c == 0xE2 && n - i >= 3) {
        unsigned b1 = s[i + 1], b2 = s[i + 2];
        if (b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 ||
                           b2 == 0xAF))
            return 3;
        if (b1 == 0x81 && b2 == 0x9F)
            return 3;
    }
    if (c == 0xE3 && n - i >= 3 && s[i + 1] == 0x80 && s[i + 2] == 0x80)
        return 3;
    return 0;
}

/* ---- binary literals ---- */

static int b64_val(int c)
{
    if (ascii_is_upper(c))
        return c - 'A';
    if (ascii_is_lower(c))
        return c - 'a' + 26;
    if (ascii_is_digit(c))
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long pattern_b64_decode(const char *s, size_t n, unsigned char *out)
{
    size_t o = 0;

    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_val(s[i + k])) < 0) {
                return -1;
            }
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1)
            out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    return (long)o;
}

/* ---- the parser ---- */

struct parser {
    const char *s;          /* the text, not NUL-terminated */
    size_t len;
    size_t pos;             /* next byte to read */
    int depth;              /* open parentheses */
    size_t n_regex;
    uint64_t regex_reps;    /* repetitions counted in the regexes so far */
    char *scratch;          /* len + 1 bytes, for building paths */
    struct pattern *p;
    struct mz_error *err;
    enum mz_err rc;         /* MZ_OK until the first error */
};

static const char *const keywords[] = {
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET",
    "EXISTS", "IN", "WITHIN", "SECONDS", "REPEATS", "TIMES", "START", "STOP",
};

/* Record the first error: "pattern error at position N: <reason>". Returns -1. */
static int fail(struct parser *ps, enum mz_err code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *ps, enum mz_err code, size_t pos, const char *fmt, ...)
{
    char reason[200];
    va_list ap;

    if (ps->rc != MZ_OK)
        return -1;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    ps->rc = code;
    mz_error_set(ps->err, code, "", "pattern error at position %zu: %s", pos, reason);
    return -1;
}

static void *palloc(struct parser *ps, size_t n)
{
    void *m = mz_arena_alloc(&ps->p->arena, n);

    if (!m) {
        fail(ps, MZ_ENOMEM, ps->pos, "out of memory");
        return NULL;
    }
    memset(m, 0, n);
    return m;
}

static char *pstrdup(struct parser *ps, const char *s, size_t n)
{
    char *d = palloc(ps, n + 1);

    if (d)
        memcpy(d, s, n);
    return d;
}

static int peek(const struct parser *ps)
{
    return ps->pos < ps->len ? (unsigned char)ps->s[ps->pos] : -1;
}

static int peek_at(const struct parser *ps, size_t off)
{
    return ps->len - ps->pos > off ? (unsigned char)ps->s[ps->pos + off] : -1;
}

static void skip_ws(struct parser *ps)
{
    size_t k;

    while (ps->pos < ps->len &&
           (k = ws_len((const unsigned char *)ps->s, ps->len, ps->pos)) > 0)
        ps->pos += k;
}

static int is_word_char(int c)
{
    return ascii_is_alpha(c) || ascii_is_digit(c) || c == '_' || c == '-';
}

/* Length of the run of [A-Za-z0-9_-] at byte at. */
static size_t run_len(const struct parser *ps, size_t at)
{
    size_t i = at;

    while (i < ps->len && is_word_char((unsigned char)ps->s[i]))
        i++;
    return i - at;
}

/* Length of the word (a run starting with a letter or '_') at byte at, or 0. */
static size_t word_len(const struct parser *ps, size_t at)
{
    if (at >= ps->len || !(ascii_is_alpha((unsigned char)ps->s[at]) || ps->s[at] == '_'))
        return 0;
    return run_len(ps, at);
}

/* Copy up to SNIP_MAX bytes of s[at..at+n) into buf, cut at a character boundary,
 * with "..." when shortened. The text is valid UTF-8 (checked up front). */
static void snip(const struct parser *ps, size_t at, size_t n, char *buf, size_t cap)
{
    size_t k = n;

    if (k > SNIP_MAX) {
        k = SNIP_MAX;
        while (k > 0 && ((unsigned char)ps->s[at + k] & 0xC0) == 0x80)
            k--;
    }
    snprintf(buf, cap, "'%.*s'%s", (int)k, ps->s + at, k < n ? "..." : "");
}

/* The keyword that word s[0..n) spells in another case, or NULL. */
static const char *keyword_in_other_case(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
        const char *kw = keywords[k];
        size_t i;
        if (strlen(kw) != n || !memcmp(kw, s, n))
            continue;
        for (i = 0; i < n; i++) {
            int c = (unsigned char)s[i];
            if ((ascii_is_lower(c) ? c - 'a' + 'A' : c) != kw[i])
                break;
        }
        if (i == n)
            return kw;
    }
    return NULL;
}

/* Describe what the text holds at byte at, for "found ..." in messages. */
static void describe_at(const struct parser *ps, size_t at, char *buf, size_t cap)
{
    size_t n;
    const char *kw;
    char q[SNIP_MAX + 8];

    if (at >= ps->len) {
        snprintf(buf, cap, "the end of the pattern");
        return;
    }
    n = run_len(ps, at);
    if (n == 0)
        n = pattern_char_len((const unsigned char *)ps->s, ps->len, at);
    snip(ps, at, n, q, sizeof q);
    kw = keyword_in_other_case(ps->s + at, n);
    if (kw)
        snprintf(buf, cap, "%s (keywords are upper case: %s)", q, kw);
    else
        snprintf(buf, cap, "%s", q);
}

/* "expected X, found Y" at the current position (after whitespace). */
static int fail_expected(struct parser *ps, const char *what)
{
    char found[96];

    skip_ws(ps);
    describe_at(ps, ps->pos, found, sizeof found);
    return fail(ps, MZ_EINVAL, ps->pos, "expected %s, found %s", what, found);
}

/* 1 if the next word (after whitespace) is exactly kw; consumes nothing. */
static int is_kw(struct parser *ps, const char *kw)
{
    size_t n = strlen(kw);

    skip_ws(ps);
    return word_len(ps, ps->pos) == n && !memcmp(ps->s + ps->pos, kw, n);
}

static int eat_kw(struct parser *ps, const char *kw)
{
    if (!is_kw(ps, kw))
        return 0;
    ps->pos += strlen(kw);
    return 1;
}

/* Enter a parenthesis at byte at; fails past PATTERN_MAX_DEPTH. */
static int enter(struct parser *ps, size_t at)
{
    if (ps->depth >= PATTERN_MAX_DEPTH)
        return fail(ps, MZ_EINVAL, at, "nesting deeper than %d", PATTERN_MAX_DEPTH);
    ps->depth++;
    return 0;
}

/* ---- literals ---- */

/* A string literal starting at the quote at ps->pos; *out gets the unescaped text
 * (in the arena), *out_len its length. */
static int lex_string(struct parser *ps, const char **out, size_t *out_len)
{
    size_t q = ps->pos, i = q + 1, end, o = 0;
    char *d;

    for (;;) {
        if (i >= ps->len)
            return fail(ps, MZ_EINVAL, q, "unterminated string");
        if (ps->s[i] == '\'')
            break;
        if (ps->s[i] == '\\') {
            if (i + 1 >= ps->len)
                return fail(ps, MZ_EINVAL, q, "unterminated string");
            if (ps->s[i + 1] != '\'' && ps->s[i + 1] != '\\') {
                char what[SNIP_MAX + 8];
                snip(ps, i + 1, pattern_char_len((const unsigned char *)ps->s, ps->len, i + 1),
                     what, sizeof what);
                return fail(ps, MZ_EINVAL, i,
                            "invalid escape '\\' before %s in a string: only \\' and \\\\ "
                            "are allowed",
                            what);
            }
            i++;
        }
        i++;
    }
    end = i;
    d = palloc(ps, end - q);
    if (!d)
        return -1;
    for (i = q + 1; i < end; i++) {
        if (ps->s[i] == '\\')
            i++;
        d[o++] = ps->s[i];
    }
    d[o] = '\0';
    ps->pos = end + 1;
    *out = d;
    *out_len = o;
    return 0;
}

/* The inside of h'..', b'..' or t'..' starting at the prefix letter at ps->pos. */
static int lex_prefixed(struct parser *ps, const char **in, size_t *in_len)
{
    size_t start = ps->pos + 2, i = start;

    while (i < ps->len && ps->s[i] != '\'')
        i++;
    if (i >= ps->len)
        return fail(ps, MZ_EINVAL, ps->pos, "unterminated literal %c'...'", ps->s[ps->pos]);
    *in = ps->s + start;
    *in_len = i - start;
    ps->pos = i + 1;
    return 0;
}

/* A number: [+-]? digits, or [+-]? digits? '.' digits (the grammar has no exponent). */
static int lex_number(struct parser *ps, struct lit *l)
{
    size_t start = ps->pos, i = start, ds, nint;
    int is_float = 0;
    char *text;

    if (i < ps->len && (ps->s[i] == '+' || ps->s[i] == '-'))
        i++;
    ds = i;
    while (i < ps->len && ascii_is_digit(ps->s[i]))
        i++;
    nint = i - ds;
    if (i < ps->len && ps->s[i] == '.') {
        size_t fs = ++i;
        while (i < ps->len && ascii_is_digit(ps->s[i]))
            i++;
        if (i == fs)
            return fail(ps, MZ_EINVAL, start, "expected digits after '.' in a number");
        is_float = 1;
    } else if (nint == 0) {
        return fail(ps, MZ_EINVAL, start, "expected a number");
    } else if (nint > 1 && ps->s[ds] == '0') {
        return fail(ps, MZ_EINVAL, start, "a number may not start with 0");
    }
    text = pstrdup(ps, ps->s + start, i - start);
    if (!text)
        return -1;
    l->text = text;
    if (is_float) {
        l->kind = LIT_FLOAT;
        l->f = strtod(text, NULL);
        if (!isfinite(l->f))
            return fail(ps, MZ_EINVAL, start, "number out of range");
    } else {
        unsigned long long v = 0;
        int neg = ps->s[start] == '-';
        unsigned long long lim = neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX;
        for (size_t k = ds; k < i; k++) {
            unsigned d = (unsigned)(ps->s[k] - '0');
            if (v > (lim - d) / 10)
                return fail(ps, MZ_EINVAL, start, "integer out of range");
            v = v * 10 + d;
        }
        l->kind = LIT_INT;
        l->i = neg ? (v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v)
                   : (long long)v;
        l->f = (double)l->i;
    }
    ps->pos = i;
    return 0;
}

/* Any literal, after whitespace. */
static struct lit *parse_literal(struct parser *ps)
{
    struct lit *l;
    int c, c1;
    const char *in = NULL;
    size_t in_len = 0;

    skip_ws(ps);
    l = palloc(ps, sizeof *l);
    if (!l)
        return NULL;
    l->pos = ps->pos;
    c = peek(ps);
    c1 = peek_at(ps, 1);
    if (c == '\'') {
        if (lex_string(ps, &l->text, &in_len))
            return NULL;
        l->kind = LIT_STRING;
        ip_net_parse(l->text, in_len, &l->net); /* family stays 0 if it is none */
        return l;
    }
    if ((c == 'h' || c == 'b' || c == 't') && c1 == '\'') {
        unsigned char *bytes;
        long n;
        if (lex_prefixed(ps, &in, &in_len))
            return NULL;
        l->text = pstrdup(ps, in, in_len);
        if (!l->text)
            return NULL;
        if (c == 't') {
            l->kind = LIT_TIME;
            if (in_len > TS_MAX_LEN || mz_time_parse(l->text, &l->t))
                return fail(ps, MZ_EINVAL, l->pos,
                            "invalid timestamp in t'...': use YYYY-MM-DDTHH:MM:SS[.s]Z"),
                       NULL;
            return l;
        }
        bytes = palloc(ps, in_len + 1); /* enough for hex and base64 */
        if (!bytes)
            return NULL;
        if (c == 'h') {
            l->kind = LIT_HEX;
            n = ascii_hex_decode(in, in_len, bytes);
            if (n < 0)
                return fail(ps, MZ_EINVAL, l->pos,
                            "invalid hex literal h'...': use an even number of hex digits"),
                       NULL;
        } else {
            l->kind = LIT_BIN;
            n = pattern_b64_decode(in, in_len, bytes);
            if (n < 0)
                return fail(ps, MZ_EINVAL, l->pos,
                            "invalid base64 in b'...': use groups of 4 of A-Z a-z 0-9 + / "
                            "with '=' padding only at the end"),
                       NULL;
        }
        l->bytes = bytes;
        l->n_bytes = (size_t)n;
        return l;
    }
    if (ascii_is_digit(c) || c == '+' || c == '-' || c == '.')
        return lex_number(ps, l) ? NULL : l;
    if (word_len(ps, ps->pos) == 4 && !memcmp(ps->s + ps->pos, "true", 4)) {
        l->kind = LIT_BOOL;
        l->b = 1;
        l->text = "true";
        ps->pos += 4;
        return l;
    }
    if (word_len(ps, ps->pos) == 5 && !memcmp(ps->s + ps->pos, "false", 5)) {
        l->kind = LIT_BOOL;
        l->text = "false";
        ps->pos += 5;
        return l;
    }
    fail_expected(ps, "a literal ('string', number, true, false, h'..', b'..' or t'..')");
    return NULL;
}

/* ---- regular expressions (MATCHES): pattern_regex.c says what is refused ---- */

static int compile_regex(struct parser *ps, struct test *t, const struct lit *l)
{
    size_t n = strlen(l->text);
    uint64_t reps = 0;
    const char *why;
    char msg[200];

    if (ps->n_regex >= MAX_REGEX)
        return fail(ps, MZ_EINVAL, l->pos, "more than %d MATCHES tests in one pattern",
                    MAX_REGEX);
    if (n > REGEX_MAX_LEN)
        return fail(ps, MZ_EINVAL, l->pos, "regular expression longer than %d bytes",
                    REGEX_MAX_LEN);
    why = pattern_regex_refusal(l->text, n, &reps);
    if (why)
        return fail(ps, MZ_EINVAL, l->pos, "regular expression refused: %s", why);
    if (ps->regex_reps + reps > PATTERN_REGEX_REPS)
        return fail(ps, MZ_EINVAL, l->pos,
                    "regular expression refused: the MATCHES tests of one pattern have more "
                    "than %d parts that can match empty together",
                    PATTERN_REGEX_REPS);
    t->re = pattern_regex_compile(l->text, n, msg, sizeof msg);
    if (!t->re)
        return fail(ps, MZ_EINVAL, l->pos, "invalid regular expression (PCRE syntax): %s", msg);
    t->next_re = ps->p->regexes;
    ps->p->regexes = t;
    ps->n_regex++;
    ps->regex_reps += reps;
    return 0;
}

/* ---- object paths ---- */

/* STIX 2.1 3.1: [a-z][a-z0-9-]*[a-z0-9], 3 to 250 characters. */
static int valid_type_name(const char *s, size_t n)
{
    if (n < 3 || n > NAME_MAX_LEN || !ascii_is_lower(s[0]) || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!ascii_is_lower(s[i]) && !ascii_is_digit(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* Append s[0..n) to the path being built in ps->scratch (never longer than the text
 * it comes from, so it fits; checked anyway). */
static int path_put(struct parser *ps, size_t *o, const char *s, size_t n)
{
    if (n > ps->len - *o)
        return fail(ps, MZ_EINVAL, ps->pos, "object path too long");
    memcpy(ps->scratch + *o, s, n);
    *o += n;
    return 0;
}

/* A bare property name at ps->pos (first step: [a-z0-9_]) or dictionary key (later
 * steps: [A-Za-z0-9_]; a '-' needs quotes). */
static int path_bare(struct parser *ps, size_t *o, int first)
{
    size_t at = ps->pos, n = run_len(ps, at);
    char q[SNIP_MAX + 8];

    if (n == 0)
        return fail_expected(ps, first ? "a property name after ':'" : "a key after '.'");
    snip(ps, at, n, q, sizeof q);
    if (n > NAME_MAX_LEN)
        return fail(ps, MZ_EINVAL, at, "name %s longer than %d characters", q,
                    NAME_MAX_LEN);
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)ps->s[at + i];
        if (c == '-')
            return fail(ps, MZ_EINVAL, at,
                        "%s %s contains '-': write it quoted, as '%.*s'",
                        first ? "property name" : "key", q, (int)(n > SNIP_MAX ? SNIP_MAX : n),
                        ps->s + at);
        if (first && !ascii_is_lower(c) && !ascii_is_digit(c) && c != '_')
            return fail(ps, MZ_EINVAL, at,
                        "invalid property name %s: use lowercase a-z, 0-9 and '_'", q);
    }
    ps->pos += n;
    return path_put(ps, o, ps->s + at, n);
}

/* A quoted key at ps->pos. */
static int path_quoted(struct parser *ps, size_t *o)
{
    size_t at = ps->pos, n;
    const char *key;

    if (lex_string(ps, &key, &n))
        return -1;
    if (n == 0)
        return fail(ps, MZ_EINVAL, at, "empty key '' in an object path");
    return path_put(ps, o, key, n);
}

/* object-type ':' step ('.' key | '[' index ']')* ; whitespace may separate tokens. */
static int parse_path(struct parser *ps, const char **type_out, const char **path_out)
{
    size_t tpos, tn, o = 0;
    const char *type, *path;
    char q[SNIP_MAX + 8];

    skip_ws(ps);
    tpos = ps->pos;
    tn = run_len(ps, tpos);
    if (tn == 0)
        return fail_expected(ps, "an object path such as file:name");
    snip(ps, tpos, tn, q, sizeof q);
    if (!valid_type_name(ps->s + tpos, tn))
        return fail(ps, MZ_EINVAL, tpos,
                    "invalid object type %s: use 3 to 250 of lowercase a-z, 0-9 and '-', "
                    "starting with a letter",
                    q);
    ps->pos += tn;
    skip_ws(ps);
    if (peek(ps) != ':') {
        char what[SNIP_MAX + 40];
        snprintf(what, sizeof what, "':' after the object type %s", q);
        return fail_expected(ps, what);
    }
    ps->pos++;
    skip_ws(ps);
    if (peek(ps) == '\'' ? path_quoted(ps, &o) : path_bare(ps, &o, 1))
        return -1;
    for (;;) {
        size_t save = ps->pos;
        skip_ws(ps);
        if (peek(ps) == '.') {
            ps->pos++;
            skip_ws(ps);
            if (path_put(ps, &o, ".", 1) ||
                (peek(ps) == '\'' ? path_quoted(ps, &o) : path_bare(ps, &o, 0)))
                return -1;
        } else if (peek(ps) == '[') {
            size_t ipos;
            ps->pos++;
            skip_ws(ps);
            ipos = ps->pos;
            if (peek(ps) == '*') {
                ps->pos++;
                if (path_put(ps, &o, "[*]", 3))
                    return -1;
            } else if (ascii_is_digit(peek(ps))) {
                size_t n = 0;
                while (ascii_is_digit(peek_at(ps, n)))
                    n++;
                if ((n > 1 && ps->s[ipos] == '0') || n > 9)
                    return fail(ps, MZ_EINVAL, ipos,
                                "list index must be '*' or an integer from 0 to 999999999");
                if (path_put(ps, &o, "[", 1) || path_put(ps, &o, ps->s + ipos, n) ||
                    path_put(ps, &o, "]", 1))
                    return -1;
                ps->pos += n;
            } else {
                return fail(ps, MZ_EINVAL, ipos,
                            "list index must be '*' or a non-negative integer");
            }
            skip_ws(ps);
            if (peek(ps) != ']')
                return fail_expected(ps, "']' after the list index");
            ps->pos++;
        } else {
            ps->pos = save;
            break;
        }
    }
    type = pstrdup(ps, ps->s + tpos, tn);
    path = type ? pstrdup(ps, ps->scratch, o) : NULL;
    if (!path)
        return -1;
    *type_out = type;
    *path_out = path;
    return 0;
}

/* ---- comparison expressions ---- */

static struct cmp *parse_cmp_or(struct parser *ps);

static const char *op_name(enum test_op op)
{
    switch (op) {
    case OP_EQ: return "=";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_IN: return "IN";
    case OP_LIKE: return "LIKE";
    case OP_MATCHES: return "MATCHES";
    case OP_ISSUBSET: return "ISSUBSET";
    case OP_ISSUPERSET: return "ISSUPERSET";
    case OP_EXISTS: return "EXISTS";
    }
    return "?";
}

/* The operator after a path (and an optional NOT). */
static int parse_op(struct parser *ps, enum test_op *op_out)
{
    static const struct {
        const char *word;
        enum test_op op;
    } words[] = {
        {"IN", OP_IN},
        {"LIKE", OP_LIKE},
        {"MATCHES", OP_MATCHES},
        {"ISSUBSET", OP_ISSUBSET},
        {"ISSUPERSET", OP_ISSUPERSET},
    };
    size_t at, n;
    int c, c1;
    char q[SNIP_MAX + 8];
    const char *kw;

    skip_ws(ps);
    at = ps->pos;
    c = peek(ps);
    c1 = peek_at(ps, 1);
    switch (c) {
    case '=':
        *op_out = OP_EQ;
        ps->pos += c1 == '=' ? 2 : 1;
        return 0;
    case '!':
        if (c1 != '=')
            return fail(ps, MZ_EINVAL, at, "unknown operator '!': use != or NOT");
        *op_out = OP_NE;
        ps->pos += 2;
        return 0;
    case '<':
        *op_out = c1 == '=' ? OP_LE : c1 == '>' ? OP_NE : OP_LT;
        ps->pos += c1 == '=' || c1 == '>' ? 2 : 1;
        return 0;
    case '>':
        *op_out = c1 == '=' ? OP_GE : OP_GT;
        ps->pos += c1 == '=' ? 2 : 1;
        return 0;
    default:
        break;
    }
    n = word_len(ps, at);
    if (n == 0)
        return fail_expected(ps, "an operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, "
                                 "ISSUBSET, ISSUPERSET)");
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        if (strlen(words[k].word) == n && !memcmp(ps->s + at, words[k].word, n)) {
            *op_out = words[k].op;
            ps->pos += n;
            return 0;
        }
    }
    snip(ps, at, n, q, sizeof q);
    if (n == 6 && !memcmp(ps->s + at, "EXISTS", 6))
        return fail(ps, MZ_EINVAL, at, "EXISTS goes before the object path: EXISTS type:prop");
    if (n == 3 && !memcmp(ps->s + at, "NOT", 3))
        return fail(ps, MZ_EINVAL, at, "NOT given twice");
    kw = keyword_in_other_case(ps->s + at, n);
    if (kw)
        return fail(ps, MZ_EINVAL, at, "unknown operator %s (operators are upper case: %s)",
                    q, kw);
    return fail(ps, MZ_EINVAL, at, "unknown operator %s", q);
}

/* path [NOT] op literal, or [NOT] EXISTS path. */
/* Observables the index normalises: a literal of one (a domain, URL, e-mail address,
 * hash or wallet compared with =, != or IN) is kept in the canonical form the log
 * values it will be compared with come in, and a hash path under the name the matcher
 * gives it (hashes.SHA-256, not hashes.sha256), so that a pattern evaluated on
 * candidates says what the index says ('EVIL.example' is evil.example). Addresses are
 * left to the evaluator's CIDR reading; a literal that is no valid observable is left
 * as written (the write-time check refuses it where the index would look it up). A
 * domain compared with =, != or IN follows the index's parent rule in the evaluator
 * too (struct test's parent_domain; docs/matching.md). */
static int canon_test(struct parser *ps, struct test *t)
{
    int k = obs_kind_of_path(t->object_type, t->path);
    const char *type;

    if (k < 0)
        return 0;
    obs_path_of_kind((enum obs_kind)k, &type, &t->path); /* hashes.sha256 -> hashes.SHA-256 */
    if (k == OBS_IPV4 || k == OBS_IPV6 || (t->op != OP_EQ && t->op != OP_NE && t->op != OP_IN))
        return 0;
    t->parent_domain = k == OBS_DOMAIN;
    for (struct lit *l = t->lits; l; l = l->next) {
        char canon[OBS_MAX_LEN + 1], *copy;
        size_t n;
        enum obs_kind real = (enum obs_kind)k;
        if (l->kind != LIT_STRING ||
            obs_normalize((enum obs_kind)k, l->text, strlen(l->text), canon, sizeof canon, &n, NULL, &real, NULL) ||
            real != (enum obs_kind)k)
            continue;
        if (!(copy = palloc(ps, n + 1)))
            return -1;
        memcpy(copy, canon, n);
        l->text = copy;
    }
    return 0;
}

static struct cmp *parse_test(struct parser *ps)
{
    struct cmp *c = palloc(ps, sizeof *c);
    struct test *t = palloc(ps, sizeof *t);
    struct lit *l, **tail;
    size_t at;

    if (!c || !t)
        return NULL;
    skip_ws(ps);
    c->kind = CMP_TEST;
    c->pos = ps->pos;
    c->test = t;
    if (eat_kw(ps, "NOT")) {
        t->negated = 1;
        if (!is_kw(ps, "EXISTS"))
            return fail(ps, MZ_EINVAL, c->pos,
                        "NOT goes after the object path (type:prop NOT = ...); only NOT "
                        "EXISTS comes first"),
                   NULL;
    }
    if (eat_kw(ps, "EXISTS")) {
        t->op = OP_EXISTS;
        if (parse_path(ps, &t->object_type, &t->path))
            return NULL;
        c->type = t->object_type;
        return canon_test(ps, t) ? NULL : c;
    }
    if (parse_path(ps, &t->object_type, &t->path))
        return NULL;
    c->type = t->object_type;
    if (eat_kw(ps, "NOT"))
        t->negated = 1;
    if (parse_op(ps, &t->op))
        return NULL;
    skip_ws(ps);
    at = ps->pos;
    if (t->op == OP_IN) {
        if (peek(ps) != '(')
            return fail(ps, MZ_EINVAL, at, "IN needs a list in parentheses: IN ('a', 'b')"),
                   NULL;
        ps->pos++;
        skip_ws(ps);
        tail = &t->lits;
        if (peek(ps) == ')') {
            ps->pos++;
            return c;
        }
        for (;;) {
            l = parse_literal(ps);
            if (!l)
                return NULL;
            *tail = l;
            tail = &l->next;
            skip_ws(ps);
            if (peek(ps) == ')') {
                ps->pos++;
                return canon_test(ps, t) ? NULL : c;
            }
            if (peek(ps) != ',')
                return fail_expected(ps, "',' or ')' in the IN list"), NULL;
            ps->pos++;
        }
    }
    l = parse_literal(ps);
    if (!l)
        return NULL;
    t->lits = l;
    switch (t->op) {
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (l->kind == LIT_BOOL)
            return fail(ps, MZ_EINVAL, l->pos, "%s cannot compare with true or false",
                        op_name(t->op)),
                   NULL;
        break;
    case OP_LIKE:
    case OP_MATCHES:
    case OP_ISSUBSET:
    case OP_ISSUPERSET:
        if (l->kind != LIT_STRING)
            return fail(ps, MZ_EINVAL, l->pos, "%s needs a string literal '...'",
                        op_name(t->op)),
                   NULL;
        if (t->op == OP_MATCHES && compile_regex(ps, t, l))
            return NULL;
        if ((t->op == OP_ISSUBSET || t->op == OP_ISSUPERSET) && !l->net.family)
            return fail(ps, MZ_EINVAL, l->pos,
                        "%s needs an IPv4 or IPv6 address or CIDR such as "
                        "'198.51.100.0/24'",
                        op_name(t->op)),
                   NULL;
        break;
    default:
        break;
    }
    return canon_test(ps, t) ? NULL : c;
}

static struct cmp *parse_cmp_primary(struct parser *ps)
{
    struct cmp *inner;
    size_t at;

    skip_ws(ps);
    at = ps->pos;
    if (peek(ps) != '(')
        return parse_test(ps);
    if (enter(ps, at))
        return NULL;
    ps->pos++;
    inner = parse_cmp_or(ps);
    if (!inner)
        return NULL;
    skip_ws(ps);
    if (peek(ps) != ')')
        return fail_expected(ps, "')' or AND/OR"), NULL;
    ps->pos++;
    ps->depth--;
    inner->pos = at;
    return inner;
}

/* A chain of lower-level expressions joined by kw, as one n-ary node (or the single
 * expression itself). */
static struct cmp *parse_cmp_chain(struct parser *ps, enum cmp_kind kind, const char *kw,
                                   struct cmp *(*lower)(struct parser *))
{
    struct cmp *first, *node, *last;

    skip_ws(ps);
    first = lower(ps);
    if (!first || !is_kw(ps, kw))
        return first;
    node = palloc(ps, sizeof *node);
    if (!node)
        return NULL;
    node->kind = kind;
    node->pos = first->pos;
    node->kids = last = first;
    while (eat_kw(ps, kw)) {
        struct cmp *k = lower(ps);
        if (!k)
            return NULL;
        last->next = k;
        last = k;
    }
    return node;
}

static struct cmp *parse_cmp_and(struct parser *ps)
{
    struct cmp *node = parse_cmp_chain(ps, CMP_AND, "AND", parse_cmp_primary);

    if (!node || node->kind != CMP_AND)
        return node;
    /* STIX 2.1 9.5: every test in one observation expression starts from the same
     * object, unless joined by OR. */
    for (struct cmp *k = node->kids; k; k = k->next) {
        if (!k->type)
            return fail(ps, MZ_EINVAL, k->pos,
                        "object types differ inside one observation expression without "
                        "OR: this part mixes types under OR and is joined by AND"),
                   NULL;
        if (strcmp(k->type, node->kids->type) != 0)
            return fail(ps, MZ_EINVAL, k->pos,
                        "object types differ inside one observation expression without "
                        "OR: '%.40s' AND '%.40s'",
                        node->kids->type, k->type),
                   NULL;
    }
    node->type = node->kids->type;
    return node;
}

static struct cmp *parse_cmp_or(struct parser *ps)
{
    struct cmp *node = parse_cmp_chain(ps, CMP_OR, "OR", parse_cmp_and);

    if (!node || node->kind != CMP_OR)
        return node;
    node->type = node->kids->type;
    for (struct cmp *k = node->kids; k; k = k->next)
        if (!k->type || !node->type || strcmp(k->type, node->type) != 0)
            node->type = NULL;
    return node;
}

/* ---- observation expressions ---- */

static struct oex *parse_oex_fby(struct parser *ps);

/* WITHIN's number: a positive integer or float. */
static int parse_seconds(struct parser *ps, double *out)
{
    size_t at;
    int c;
    struct lit l;
    static const char why[] = "qualifier WITHIN needs a positive number of SECONDS";

    skip_ws(ps);
    at = ps->pos;
    c = peek(ps);
    memset(&l, 0, sizeof l);
    if (!(ascii_is_digit(c) || c == '+' || c == '.'))
        return fail(ps, MZ_EINVAL, at, "%s", why);
    if (lex_number(ps, &l))
        return -1;
    if (!(l.f > 0))
        return fail(ps, MZ_EINVAL, at, "%s", why);
    *out = l.f;
    return 0;
}

static int parse_qual(struct parser *ps, struct oex *node, size_t at)
{
    struct qual *q = palloc(ps, sizeof *q), **tail;

    if (!q)
        return -1;
    if (node->n_quals >= MAX_QUALS)
        return fail(ps, MZ_EINVAL, at,
                    "more than %d qualifiers on one observation expression", MAX_QUALS);
    if (eat_kw(ps, "WITHIN")) {
        q->kind = QUAL_WITHIN;
        if (parse_seconds(ps, &q->seconds))
            return -1;
        if (!eat_kw(ps, "SECONDS"))
            return fail_expected(ps, "SECONDS after the WITHIN number");
    } else if (eat_kw(ps, "REPEATS")) {
        size_t npos, n = 0;
        q->kind = QUAL_REPEATS;
        skip_ws(ps);
        npos = ps->pos;
        if (peek(ps) == '+')
            ps->pos++;
        while (n < 18 && ascii_is_digit(peek_at(ps, n))) /* 18 digits cannot overflow */
            q->times = q->times * 10 + (peek_at(ps, n++) - '0');
        if (n == 0 || q->times < 1 || (n > 1 && peek(ps) == '0') ||
            ascii_is_digit(peek_at(ps, n)) || peek_at(ps, n) == '.')
            return fail(ps, MZ_EINVAL, npos,
                        "qualifier REPEATS needs a whole number of TIMES, at least 1");
        ps->pos += n;
        if (!eat_kw(ps, "TIMES"))
            return fail_expected(ps, "TIMES after the REPEATS number");
    } else {
        struct lit *a, *b;
        eat_kw(ps, "START");
        q->kind = QUAL_STARTSTOP;
        a = parse_literal(ps);
        if (!a)
            return -1;
        if (a->kind != LIT_TIME)
            return fail(ps, MZ_EINVAL, a->pos, "qualifier START needs a timestamp t'...'");
        if (!eat_kw(ps, "STOP"))
            return fail_expected(ps, "STOP t'...' after START t'...'");
        b = parse_literal(ps);
        if (!b)
            return -1;
        if (b->kind != LIT_TIME)
            return fail(ps, MZ_EINVAL, b->pos, "qualifier STOP needs a timestamp t'...'");
        if (mz_time_cmp(&a->t, &b->t) >= 0)
            return fail(ps, MZ_EINVAL, at, "START must be earlier than STOP");
        q->start = a->t;
        q->stop = b->t;
    }
    for (tail = &node->quals; *tail; tail = &(*tail)->next)
        ;
    *tail = q;
    node->n_quals++;
    return 0;
}

/* '[' comparison ']' or '(' pattern ')', then qualifiers. */
static struct oex *parse_oex_primary(struct parser *ps)
{
    struct oex *node;
    size_t at;

    skip_ws(ps);
    at = ps->pos;
    if (peek(ps) == '[') {
        struct cmp *c;
        ps->pos++;
        c = parse_cmp_or(ps);
        if (!c)
            return NULL;
        skip_ws(ps);
        if (peek(ps) != ']')
            return fail_expected(ps, "']' or AND/OR"), NULL;
        ps->pos++;
        node = palloc(ps, sizeof *node);
        if (!node)
            return NULL;
        node->kind = OEX_LEAF;
        node->cmp = c;
    } else if (peek(ps) == '(') {
        if (enter(ps, at))
            return NULL;
        ps->pos++;
        node = parse_oex_fby(ps);
        if (!node)
            return NULL;
        skip_ws(ps);
        if (peek(ps) != ')')
            return fail_expected(ps, "')' or AND/OR/FOLLOWEDBY"), NULL;
        ps->pos++;
        ps->depth--;
    } else {
        return fail_expected(ps, "'[' or '(' to start an observation expression"), NULL;
    }
    for (;;) {
        skip_ws(ps);
        at = ps->pos;
        if (is_kw(ps, "STOP"))
            return fail(ps, MZ_EINVAL, at, "STOP without START"), NULL;
        if (!is_kw(ps, "WITHIN") && !is_kw(ps, "REPEATS") && !is_kw(ps, "START"))
            return node;
        if (parse_qual(ps, node, at))
            return NULL;
    }
}

static struct oex *parse_oex_chain(struct parser *ps, enum oex_kind kind, const char *kw,
                                   struct oex *(*lower)(struct parser *))
{
    struct oex *first = lower(ps), *node, *last;

    if (!first || !is_kw(ps, kw))
        return first;
    node = palloc(ps, sizeof *node);
    if (!node)
        return NULL;
    node->kind = kind;
    node->kids = last = first;
    while (eat_kw(ps, kw)) {
        struct oex *k = lower(ps);
        if (!k)
            return NULL;
        last->next = k;
        last = k;
    }
    return node;
}

static struct oex *parse_oex_and(struct parser *ps)
{
    return parse_oex_chain(ps, OEX_AND, "AND", parse_oex_primary);
}

static struct oex *parse_oex_or(struct parser *ps)
{
    return parse_oex_chain(ps, OEX_OR, "OR", parse_oex_and);
}

static struct oex *parse_oex_fby(struct parser *ps)
{
    return parse_oex_chain(ps, OEX_FOLLOWEDBY, "FOLLOWEDBY", parse_oex_or);
}

/* Reject invalid UTF-8 and NUL bytes before anything looks at the text. */
static int check_bytes(struct parser *ps)
{
    size_t at = utf8_span(ps->s, ps->len);

    if (at == ps->len)
        return 0;
    return fail(ps, MZ_EINVAL, at, ps->s[at] == 0 ? "NUL byte" : "invalid UTF-8");
}

enum mz_err pattern_parse(const char *text, size_t len, struct pattern **out,
                          struct mz_error *err)
{
    struct parser ps;
    struct pattern *p = NULL;
    struct oex *root;

    memset(&ps, 0, sizeof ps);
    ps.s = text;
    ps.len = len;
    ps.err = err;
    if (!out || (!text && len))
        return mz_error_set(err, MZ_EINVAL, "", "pattern error at position 0: no pattern");
    if (len > PATTERN_MAX_LEN) {
        fail(&ps, MZ_ETOOBIG, PATTERN_MAX_LEN, "pattern longer than %d bytes",
             PATTERN_MAX_LEN);
        goto out;
    }
    if (check_bytes(&ps))
        goto out;
    p = calloc(1, sizeof *p);
    ps.scratch = malloc(len + 1);
    if (!p || !ps.scratch) {
        fail(&ps, MZ_ENOMEM, 0, "out of memory");
        goto out;
    }
    mz_arena_init(&p->arena, ARENA_CHUNK);
    ps.p = p;
    root = parse_oex_fby(&ps);
    if (!root)
        goto out;
    skip_ws(&ps);
    if (ps.pos < ps.len) {
        if (peek(&ps) == ')')
            fail(&ps, MZ_EINVAL, ps.pos, "')' without a matching '('");
        else
            fail_expected(&ps, "AND, OR, FOLLOWEDBY or a qualifier between observation "
                               "expressions");
        goto out;
    }
    p->root = root;
out:
    free(ps.scratch);
    if (ps.rc != MZ_OK) {
        pattern_free(p);
        return ps.rc;
    }
    *out = p;
    return MZ_OK;
}

void pattern_free(struct pattern *p)
{
    if (!p)
        return;
    for (struct test *t = p->regexes; t; t = t->next_re)
        pcre2_code_free(t->re);
    mz_arena_free(&p->arena);
    free(p);
}
