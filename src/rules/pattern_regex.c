/* rules/pattern_regex.c - MATCHES: what a regular expression may be before PCRE2
 * compiles it (pattern_regex_refusal(), called by the parser), compiling it
 * (pattern_regex_compile()), and matching one value within fixed limits and a budget
 * (pattern_regex_match(), with a struct pattern_scratch). Part of the pattern module
 * (pattern_int.h).
 *
 * STIX 2.1 9.6.2 says MATCHES takes PCRE syntax: expressions are compiled with PCRE2
 * (Debian's libpcre2-8) in UTF mode, with PCRE2_MATCH_INVALID_UTF (a log value need
 * not be valid UTF-8) and without automatic captures (nothing reads them).
 *
 * What bounds the cost, per value, whatever the expression: PCRE2's match, depth and
 * heap limits (struct pattern_limits; the node's settings match.regex_steps and
 * match.regex_heap), and the scratch's budget. PCRE2 counts its match limit afresh
 * at every start position it tries, so that on its own a value of n bytes could take
 * n times the limit ("(a|aa)+[xy]" on 138 letters took as long as 138 values of 22).
 * So every expression is compiled with a callout before it ("(?C)"), which PCRE2
 * calls at the start of each attempt: pattern_regex_match() charges each attempt the
 * limit it runs under to the budget, and runs an attempt that needs more again alone,
 * under a larger limit, so that what is charged is never less than the work done
 * (pattern.h says what a step is). A value whose evaluation reaches a limit of one
 * attempt or the budget is "no match" for MATCHES and NOT MATCHES alike, and is
 * counted in the scratch, which the engine adds up and the match use cases report and
 * log. Until PCRE2, MATCHES ran on glibc's regexec(),
 * whose matcher builds (and keeps) a state for every set of positions it can be in:
 * after a loop such as ".*", N counted copies of '.' make up to 2^N states
 * (".*[a-m].{30}X" took 90 s and 534 MB on 300 URLs of 150 bytes), and counted copies
 * of a narrower class ([a-z]{30}) did the same on values made of that class; a
 * backtracking matcher has other bad cases ("^(a|aa)+$" on "aaa...ab"), which the
 * limits cut short.
 *
 * The write-time guard stays in front, refusing what no indicator needs and what
 * would make compiling or matching costly for everybody: at most REGEX_MAX_LEN bytes,
 * groups nested at most REGEX_MAX_GROUPS deep, no back-references, subroutine calls,
 * recursion, conditions, callouts or (*VERB)s, no loop (*, +, {m,n}) over a part that
 * can match the empty string, at most two repetition operators in a row (a lazy '?'
 * or possessive '+' after one is part of it), at most REGEX_MAX_WEIGHT characters and
 * REGEX_MAX_REPS parts that can match empty once {m,n} bounds are expanded
 * (pattern_regex_refusal() says what counts; the parser adds PATTERN_REGEX_REPS for
 * all of a pattern's regexes together), and at most REGEX_MAX_WIDE copies of '.', of
 * negated classes ([^...], \D, \W, \S, \N...), which match nearly any character,
 * made by {m,n} counts (a bare '.', as in an unescaped domain, or [^/]+ count for
 * nothing).
 *
 * Hand-written: a one-pass scan of the expression's syntax with saturating budgets;
 * no library says how costly an expression is before compiling it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/ascii.h"
#include "rules/pattern_int.h"

#define REGEX_MAX_GROUPS 16  /* nesting of '(' inside one regular expression */
#define REGEX_MAX_WEIGHT REGEX_MAX_LEN /* characters once {m,n} repetitions are expanded */
#define REGEX_MAX_REPS 128   /* parts that can match empty, {m,n} expanded, in one regex */
#define REGEX_EMPTY_COST 4   /* what an anchor or empty alternative counts for */
#define REGEX_MAX_WIDE 16    /* copies of '.' and of [^...] made by {m,n} counts */

/* ---- the write-time guard ---- */

/* Where the bracket expression opened at re[i] ends (its ']'), or n - 1. A '\' escapes
 * the next byte ([\]] is one class); [:alpha:]-style names are skipped whole. */
static size_t bracket_end(const char *re, size_t n, size_t i)
{
    size_t j = i + 1;

    if (j < n && re[j] == '^')
        j++;
    if (j < n && re[j] == ']')
        j++;
    while (j < n && re[j] != ']') {
        if (re[j] == '\\') {
            j += 2;
        } else if (re[j] == '[' && j + 1 < n && (re[j + 1] == ':' || re[j + 1] == '.' ||
                                                 re[j + 1] == '=')) {
            char d = re[j + 1];
            j += 2;
            while (j + 1 < n && !(re[j] == d && re[j + 1] == ']'))
                j++;
            j += 2;
        } else {
            j++;
        }
    }
    return j < n ? j : n - 1;
}

/* A bound {m}, {m,} or {m,n} at re[i]: *lo_out gets m, *k_out how many copies it may
 * expand to (m + 1 for {m,}), *open_out whether it has no upper end, *end_out the
 * index of '}'. Returns 0, or -1 if it is no bound: PCRE2 (10.42) reads such a '{',
 * {,n} included, as a literal. */
static int bound_at(const char *re, size_t n, size_t i, uint64_t *lo_out, uint64_t *k_out,
                    int *open_out, size_t *end_out)
{
    uint64_t m = 0, hi = 0;
    int has_m = 0, has_comma = 0, has_hi = 0;
    size_t j = i + 1;

    for (; j < n && ascii_is_digit(re[j]); j++, has_m = 1)
        m = m < 100000 ? m * 10 + (uint64_t)(re[j] - '0') : m;
    if (j < n && re[j] == ',') {
        has_comma = 1;
        for (j++; j < n && ascii_is_digit(re[j]); j++, has_hi = 1)
            hi = hi < 100000 ? hi * 10 + (uint64_t)(re[j] - '0') : hi;
    }
    if (j >= n || re[j] != '}' || !has_m)
        return -1;
    if (has_hi)
        *k_out = hi > m ? hi : m;
    else
        *k_out = has_comma ? m + 1 : m;
    *lo_out = m < *k_out ? m : *k_out;
    *open_out = has_comma && !has_hi;
    *end_out = j;
    return 0;
}

/* Saturating arithmetic for the regex budgets: anything above cap stays at cap + 1. */
static uint64_t sat_add(uint64_t a, uint64_t b, uint64_t cap)
{
    uint64_t s = a + b;
    return s > cap + 1 ? cap + 1 : s;
}

static uint64_t sat_mul(uint64_t a, uint64_t b, uint64_t cap)
{
    if (a && b > (cap + 1) / a + 1)
        return cap + 1;
    return a * b > cap + 1 ? cap + 1 : a * b;
}

/* A piece of a regex: one atom, a group, or either with repetition operators. */
struct re_item {
    uint64_t atoms; /* characters and bracket expressions, {m,n} expanded */
    uint64_t reps;  /* parts that can match empty, {m,n} expanded (see below) */
    uint64_t wide;  /* '.' and negated classes, {m,n} expanded */
    uint64_t cwide; /* of those, the ones inside a {m,n} count (.{30}: 30; . or [^/]+: 0) */
    int nullable;   /* can match the empty string */
};

/* A group (or the whole expression) while it is read. */
struct re_level {
    struct re_item sum;  /* everything read at this level */
    int group_null;      /* an earlier alternative can match empty */
    int alt_null;        /* the current alternative can match empty so far */
    int alt_null_before; /* ... without its last item */
    int alt_items;       /* items in the current alternative */
    int assertion;       /* a lookahead or lookbehind: matches no characters */
};

static void re_level_init(struct re_level *l)
{
    memset(l, 0, sizeof *l);
    l->alt_null = l->alt_null_before = 1;
}

static void re_append(struct re_level *l, const struct re_item *it)
{
    l->sum.atoms = sat_add(l->sum.atoms, it->atoms, REGEX_MAX_WEIGHT);
    l->sum.reps = sat_add(l->sum.reps, it->reps, REGEX_MAX_REPS);
    l->sum.wide = sat_add(l->sum.wide, it->wide, REGEX_MAX_WEIGHT);
    l->sum.cwide = sat_add(l->sum.cwide, it->cwide, REGEX_MAX_WEIGHT);
    l->alt_null_before = l->alt_null;
    l->alt_null = l->alt_null && it->nullable;
    l->alt_items++;
}

/* An empty alternative or group costs like an anchor. */
static void re_end_alt(struct re_level *l)
{
    if (l->alt_items == 0)
        l->sum.reps = sat_add(l->sum.reps, REGEX_EMPTY_COST, REGEX_MAX_REPS);
    l->group_null = l->group_null || l->alt_null;
}

/* Where the {...} after \x, \o, \p, \P or \N at re[i] ends, or i if there is none. */
static size_t braced_end(const char *re, size_t n, size_t i)
{
    size_t j = i + 1;

    if (j >= n || re[j] != '{')
        return i;
    while (j < n && re[j] != '}')
        j++;
    return j < n ? j : n - 1;
}

/* The escape at re[i] ('\'): fills *it, moves *i to its last byte. Returns why it is
 * refused, or NULL. */
static const char *read_escape(const char *re, size_t n, size_t *i, struct re_item *it)
{
    size_t j = *i + 1;
    int c = j < n ? (unsigned char)re[j] : 0;

    if (c >= '1' && c <= '9')
        return "back-references such as \\1 are not supported";
    if (c == 'g' || c == 'k')
        return "back-references and subroutine calls (\\g, \\k) are not supported";
    if (c && strchr("bBAzZG<>`'", c)) {
        it->reps = REGEX_EMPTY_COST; /* zero-width */
        it->nullable = 1;
    } else if (c && strchr("DWSHVNRX", c)) {
        it->wide = 1; /* nearly any character */
    } else if (c == 'Q') {
        /* \Q...\E: a literal run */
        size_t k = j + 1;
        while (k < n && !(re[k] == '\\' && k + 1 < n && re[k + 1] == 'E'))
            k++;
        it->atoms = k - (j + 1) ? k - (j + 1) : 1;
        *i = k < n ? k + 1 : n - 1;
        return NULL;
    } else if (c == 'x' || c == 'o' || c == 'p' || c == 'P' || c == 'N') {
        size_t e = braced_end(re, n, j);
        if (e != j) {
            *i = e;
            return NULL;
        }
        if ((c == 'p' || c == 'P') && j + 1 < n)
            j++; /* \pL */
    } else if (c == 'c' && j + 1 < n) {
        j++; /* \cX */
    }
    *i = j < n ? j : n - 1;
    return NULL;
}

/* What "(?" at re[i] opens. Returns 1 for a group (*i at its last byte before the
 * contents; *assertion_out set for lookarounds), 0 for an option setting or a
 * comment that is no item (*i at its ')'), or -1 with *why_out. */
static int read_paren_query(const char *re, size_t n, size_t *i, int *assertion_out, const char **why_out)
{
    size_t j = *i + 2;
    int c = j < n ? (unsigned char)re[j] : 0;

    *assertion_out = 0;
    if (c == '#') { /* (?#comment) */
        while (j < n && re[j] != ')')
            j++;
        *i = j < n ? j : n - 1;
        return 0;
    }
    if (c == ':' || c == '|' || c == '>') {
        *i = j;
        return 1;
    }
    if (c == '=' || c == '!') {
        *assertion_out = 1;
        *i = j;
        return 1;
    }
    if (c == '<' && j + 1 < n && (re[j + 1] == '=' || re[j + 1] == '!')) {
        *assertion_out = 1;
        *i = j + 1;
        return 1;
    }
    if (c == '<' || c == '\'' || (c == 'P' && j + 1 < n && re[j + 1] == '<')) {
        char close = c == '\'' ? '\'' : '>';
        while (j < n && re[j] != close)
            j++;
        *i = j < n ? j : n - 1;
        return 1; /* a named group */
    }
    if (c == 'P' || c == '&' || c == 'R' || c == '+' || ascii_is_digit(c) ||
        (c == '-' && j + 1 < n && ascii_is_digit(re[j + 1]))) {
        *why_out = "back-references, subroutine calls and recursion ((?P=..), (?&..), (?R), "
                   "(?1)) are not supported";
        return -1;
    }
    if (c == 'C') {
        *why_out = "callouts (?C) are not supported";
        return -1;
    }
    if (c == '(') {
        *why_out = "conditional groups (?(...)...) are not supported";
        return -1;
    }
    /* options: (?i) (?-i) (?i:...) (?^) */
    while (j < n && (ascii_is_alpha(re[j]) || re[j] == '-' || re[j] == '^'))
        j++;
    if (j < n && re[j] == ')') {
        *i = j;
        return 0;
    }
    if (j < n && re[j] == ':') {
        *i = j;
        return 1;
    }
    *why_out = "unknown (?...) construct";
    return -1;
}

/* Why PCRE2 must not compile re (n bytes), or NULL if it may; *reps_out gets the
 * expression's count for the per-pattern budget. See the file comment for the reasons.
 * The rule that matters most: a looping operator (*, +, {m,n} with n >= 2, {m,}) must
 * not repeat a part that can match the empty string, as in (a*)* or (^){2,}. A '?'
 * or '+' right after a repetition operator makes it lazy or possessive (.*?, a++) and
 * is no operator of its own. The budget counts parts that can match empty: '?', '*'
 * and {0,n} one each; empty alternatives and groups, anchors and word boundaries
 * REGEX_EMPTY_COST each; '+' counts its operand again, characters included; {m,n}
 * counts its operand once per copy, plus n - m optional copies when the operand has
 * parts that can match empty. [a-z]{1,63} costs nothing, ^...$ 8. */
const char *pattern_regex_refusal(const char *re, size_t n, uint64_t *reps_out)
{
    struct re_level lv[REGEX_MAX_GROUPS + 1];
    struct re_item last; /* what a repetition operator would repeat */
    int has_last = 0, level = 0, n_rep = 0;

    memset(&last, 0, sizeof last);
    re_level_init(&lv[0]);
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)re[i], open = 0;
        uint64_t k = 0, lo = 0;
        size_t end = i;
        struct re_item it = {1, 0, 0, 0, 0}; /* a plain atom unless said otherwise */

        if (c == '*' || c == '+' || c == '?' ||
            (c == '{' && !bound_at(re, n, i, &lo, &k, &open, &end))) {
            struct re_level *l = &lv[level];
            uint64_t r = last.reps, add, copies = 0;
            int loop = c == '*' || c == '+' || (c == '{' && (open || k >= 2));
            if (!has_last)
                return "a repetition operator has nothing to repeat";
            if (++n_rep > 2)
                return "more than two repetition operators in a row";
            if (loop && last.nullable)
                return "a repeated part can match the empty string, as in (a*)*, (x?)+ or "
                       "(^){2,}: make the repeated part need at least one character";
            if (c == '{') {
                copies = k > 1 ? k - 1 : 0;
                add = sat_mul(r, copies, REGEX_MAX_REPS);
                if (r)
                    add = sat_add(add, k - lo, REGEX_MAX_REPS); /* optional copies */
                if (lo == 0)
                    add = sat_add(add, 1, REGEX_MAX_REPS);
                i = end;
            } else if (c == '+') {
                copies = 1; /* X+ counts as X X* */
                add = sat_add(r, 1, REGEX_MAX_REPS);
            } else {
                add = 1;
            }
            if (i + 1 < n && (re[i + 1] == '?' || re[i + 1] == '+'))
                i++; /* lazy or possessive: part of this operator */
            l->sum.atoms = sat_add(l->sum.atoms, sat_mul(last.atoms, copies, REGEX_MAX_WEIGHT),
                                   REGEX_MAX_WEIGHT);
            l->sum.wide = sat_add(l->sum.wide, sat_mul(last.wide, copies, REGEX_MAX_WEIGHT), REGEX_MAX_WEIGHT);
            last.wide = sat_mul(last.wide, copies + 1, REGEX_MAX_WEIGHT);
            if (c == '{' && last.wide > 1) {
                /* every wide copy the count makes (the item's own ones were counted
                 * already if it held a count) */
                l->sum.cwide = sat_add(l->sum.cwide, last.wide - last.cwide, REGEX_MAX_WEIGHT);
                last.cwide = last.wide;
            }
            l->sum.reps = sat_add(l->sum.reps, add, REGEX_MAX_REPS);
            last.atoms = sat_mul(last.atoms, copies + 1, REGEX_MAX_WEIGHT);
            last.reps = sat_add(r, add, REGEX_MAX_REPS);
            last.nullable = c == '?' || c == '*' || (c == '{' && lo == 0) || last.nullable;
            l->alt_null = l->alt_null_before && last.nullable;
        } else {
            const char *why = NULL;
            int assertion = 0, r;
            n_rep = 0;
            switch (c) {
            case '\\':
                why = read_escape(re, n, &i, &it);
                if (why)
                    return why;
                break;
            case '[':
                it.wide = i + 1 < n && re[i + 1] == '^'; /* [^...]: nearly any character */
                i = bracket_end(re, n, i);
                break;
            case '.':
                it.wide = 1;
                break;
            case '^':
            case '$':
                it.reps = REGEX_EMPTY_COST; /* zero-width */
                it.nullable = 1;
                break;
            case '(':
                if (i + 1 < n && re[i + 1] == '*')
                    return "(*...) verbs and settings are not supported";
                if (i + 1 < n && re[i + 1] == '?') {
                    r = read_paren_query(re, n, &i, &assertion, &why);
                    if (r < 0)
                        return why;
                    if (r == 0)
                        continue; /* an option setting or a comment: no item */
                }
                if (level == REGEX_MAX_GROUPS)
                    return "groups nested more than 16 deep";
                re_level_init(&lv[++level]);
                lv[level].assertion = assertion;
                has_last = 0;
                continue;
            case '|':
                re_end_alt(&lv[level]);
                lv[level].alt_null = lv[level].alt_null_before = 1;
                lv[level].alt_items = 0;
                has_last = 0;
                continue;
            case ')':
                if (level == 0)
                    break; /* an unmatched ')': PCRE2 decides */
                re_end_alt(&lv[level]);
                it = lv[level].sum;
                it.nullable = lv[level].group_null || lv[level].assertion;
                level--;
                break;
            default:
                break;
            }
            re_append(&lv[level], &it);
            last = it;
            has_last = 1;
        }
        if (lv[level].sum.atoms > REGEX_MAX_WEIGHT)
            return "too large once its repetitions are expanded (limit 1024 characters)";
        if (lv[level].sum.cwide > REGEX_MAX_WIDE)
            return "more than 16 copies of '.' or of [^...] made by {m,n} counts (as in .{20}): "
                   "use + or * or a smaller count";
        if (lv[level].sum.reps > REGEX_MAX_REPS)
            return "too many parts that can match empty, such as x? x* {0,n} (limit 128 "
                   "once {m,n} is expanded)";
    }
    /* unclosed groups: PCRE2 refuses them, but count them honestly first */
    for (; level > 0; level--)
        re_append(&lv[level - 1], &lv[level].sum);
    if (lv[0].alt_items == 0 && n > 0)
        re_end_alt(&lv[0]); /* a trailing '|' */
    if (lv[0].sum.reps > REGEX_MAX_REPS)
        return "too many parts that can match empty, such as x? x* {0,n} (limit 128 once "
               "{m,n} is expanded)";
    *reps_out = lv[0].sum.reps;
    return NULL;
}

/* ---- compiling and matching ---- */

/* The text PCRE2 compiles for re (n bytes, which compiled as it is): "(?C)" first, a
 * callout at the start of every attempt (pattern_regex_match() charges each), and
 * every \G as \A. \G holds where the search began, which is the start of the value
 * for MATCHES, but pattern_regex_match() resumes the search at later positions; \A
 * holds at the start of the value only, as \G did. The copy is the caller's (free). */
static char *attempt_text(const char *re, size_t n)
{
    char *t = malloc(n + 5);

    if (!t)
        return NULL;
    memcpy(t, "(?C)", 4);
    memcpy(t + 4, re, n);
    t[n + 4] = '\0';
    for (size_t i = 4; i < n + 4; i++) {
        if (t[i] != '\\' || i + 1 >= n + 4)
            continue;
        if (t[i + 1] == 'Q') {
            /* a literal run: to \E or to the end */
            for (i += 2; i + 1 < n + 4 && !(t[i] == '\\' && t[i + 1] == 'E'); i++)
                ;
        } else if (t[i + 1] == 'G') {
            t[i + 1] = 'A';
        }
        i++;
    }
    return t;
}

pcre2_code *pattern_regex_compile(const char *re, size_t n, char *msg, size_t msg_cap)
{
    const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NO_AUTO_CAPTURE | PCRE2_NEVER_BACKSLASH_C;
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *out = pcre2_compile((PCRE2_SPTR)re, n, opts, &code, &off, NULL);
    char *t;

    if (!out) {
        PCRE2_UCHAR text[160];
        if (pcre2_get_error_message(code, text, sizeof text) < 0)
            snprintf((char *)text, sizeof text, "error %d", code);
        snprintf(msg, msg_cap, "%s (at offset %zu of the expression)", (const char *)text, (size_t)off);
        return NULL;
    }
    /* compiled as written, for the message; run with the callout */
    pcre2_code_free(out);
    t = attempt_text(re, n);
    out = t ? pcre2_compile((PCRE2_SPTR)t, n + 4, opts, &code, &off, NULL) : NULL;
    free(t);
    if (!out)
        snprintf(msg, msg_cap, "out of memory");
    return out;
}

/* Why the callout stopped a call of PCRE2. */
enum {
    RUN_ON,   /* it did not */
    RUN_NEXT, /* the one attempt the call was for ended: run.at is the next */
    RUN_BROKE /* the budget cannot hold another attempt at the call's limit */
};

/* Called by PCRE2 at the "(?C)" before every expression, so at the start of each
 * attempt (PCRE2_CALLOUT_STARTMATCH; positions its start-of-match optimisations rule
 * out are never tried, and cost nothing): charges the attempt the call's limit, the
 * most it can take, or stops the call. */
static int on_attempt(pcre2_callout_block *cb, void *ctx)
{
    struct regex_run *r = ctx;

    if (!(cb->callout_flags & PCRE2_CALLOUT_STARTMATCH))
        return 0;
    r->at = cb->start_match;
    if (r->one && r->n_starts) {
        r->stop = RUN_NEXT;
        return PCRE2_ERROR_CALLOUT;
    }
    if (r->lim > r->room - r->charged) {
        r->stop = RUN_BROKE;
        return PCRE2_ERROR_CALLOUT;
    }
    r->charged += r->lim;
    r->n_starts++;
    return 0;
}

enum mz_err pattern_scratch_new(const struct pattern_limits *lim, struct pattern_scratch **out,
                                struct mz_error *err)
{
    struct pattern_scratch *s = calloc(1, sizeof *s);
    uint32_t steps = lim ? lim->steps : PATTERN_REGEX_STEPS;
    uint32_t heap = lim ? lim->heap_kib : PATTERN_REGEX_HEAP_KIB;

    if (s) {
        s->md = pcre2_match_data_create(1, NULL);
        s->mctx = pcre2_match_context_create(NULL);
    }
    if (!s || !s->md || !s->mctx) {
        pattern_scratch_free(s);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    s->steps = steps ? steps : 1;
    s->left = PATTERN_NO_BUDGET;
    pcre2_set_depth_limit(s->mctx, s->steps);
    pcre2_set_heap_limit(s->mctx, heap);
    pcre2_set_callout(s->mctx, on_attempt, &s->run);
    *out = s;
    return MZ_OK;
}

void pattern_scratch_free(struct pattern_scratch *s)
{
    if (!s)
        return;
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    free(s);
}

uint64_t pattern_scratch_limited(const struct pattern_scratch *s)
{
    return s ? s->n_limited : 0;
}

void pattern_scratch_budget(struct pattern_scratch *s, uint64_t steps)
{
    s->left = steps;
    s->spent = 0;
}

uint64_t pattern_scratch_budget_left(const struct pattern_scratch *s)
{
    return s->left;
}

int pattern_scratch_budget_spent(const struct pattern_scratch *s)
{
    return s->spent;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The search for re in v[0..len), as PCRE2 runs it, but with every attempt charged
 * and limited on its own: one call of PCRE2 goes over the attempts under a limit of
 * PATTERN_REGEX_PROBE steps each, the callout charging each; an attempt that reaches
 * it is run again alone from its position (start offset: ^ and \A still mean the
 * start of the value, lookbehinds still see what lies before) under four times the
 * limit, and again, up to s->steps, and the search goes on after it from the probe
 * again. So an attempt is charged less than 16/3 times its work, or the probe, and no
 * call runs an attempt the budget cannot pay for in full. Every call also pays for
 * reading the value from where it starts. Returns 1, 0, or -1 (cut short: counted
 * once). */
int pattern_regex_match(const pcre2_code *re, struct pattern_scratch *s, const char *v, size_t len)
{
    struct regex_run *r = &s->run;
    const uint64_t probe = min_u64(PATTERN_REGEX_PROBE, s->steps);
    size_t off = 0;
    int rc, one = 0, out = -1, broke = 0;

    r->room = s->left;
    r->charged = 0;
    r->lim = probe;
    for (;;) {
        uint64_t call = 1 + (len - off) / 64, next;
        if (call > r->room - r->charged) {
            broke = 1;
            break;
        }
        r->charged += call;
        r->lim = min_u64(r->lim, r->room - r->charged);
        if (!r->lim) {
            broke = 1;
            break;
        }
        r->n_starts = 0;
        r->one = one;
        r->stop = RUN_ON;
        pcre2_set_match_limit(s->mctx, (uint32_t)r->lim);
        rc = pcre2_match(re, (PCRE2_SPTR)v, len, off, 0, s->md, s->mctx);
        if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
            out = rc >= 0;
            break;
        }
        if (rc == PCRE2_ERROR_CALLOUT && r->stop == RUN_NEXT) {
            off = r->at; /* the attempt run alone is over: on from the probe */
            r->lim = probe;
            one = 0;
            continue;
        }
        if (rc == PCRE2_ERROR_CALLOUT && r->stop == RUN_BROKE) {
            broke = 1;
            break;
        }
        if (rc != PCRE2_ERROR_MATCHLIMIT || r->lim >= s->steps)
            break; /* the limits of one attempt (steps, depth, heap), or no memory */
        /* the attempt at r->at needs more than r->lim: alone, under more */
        next = min_u64(r->lim * 4, s->steps);
        if (next > r->room - r->charged) {
            broke = 1;
            break;
        }
        r->lim = next;
        off = r->at;
        one = 1;
    }
    if (s->left != PATTERN_NO_BUDGET)
        s->left -= r->charged;
    if (broke)
        pattern_charge(s, s->left + 1); /* spent: the test under way is cut, counted once */
    else if (out < 0)
        s->n_limited++;
    return out;
}
