/* rules/pattern_regex.c - what a MATCHES regular expression may be before glibc's
 * regcomp() compiles it (pattern_regex_refusal(), called by the parser). Part of the
 * pattern module (pattern_int.h).
 *
 * MATCHES takes POSIX extended regular expressions, compiled with <regex.h> at parse
 * time. The limits, each for a reason found in glibc: at most REGEX_MAX_LEN bytes,
 * groups nested at most REGEX_MAX_GROUPS deep, no back-references, no loop (*, +,
 * {m,n}) over a part that can match the empty string, at most two repetition
 * operators in a row, at most REGEX_MAX_WEIGHT characters and REGEX_MAX_REPS parts
 * that can match empty once {m,n} bounds are expanded (pattern_regex_refusal() says
 * what counts; the parser adds PATTERN_REGEX_REPS for all of a pattern's regexes
 * together), and at most REGEX_MAX_WIDE copies of '.' or of negated bracket
 * expressions ([^...]), which match nearly any character, made by {m,n} counts (a
 * bare '.', as in an unescaped domain, or [^/]+ count for nothing). Why:
 * glibc's regcomp() recurses per group (a few thousand nested groups overflow the
 * stack), duplicates the tree for every {m,n} copy, and its compile time grows
 * roughly with the cube of the nullable parts inside a repeated part
 * ("(a?a?...a?)+" with 500 of them takes 0.6 s, "((a?){1,150})+" 1.9 s) and
 * exponentially with loops over parts that match empty; and glibc's matcher builds
 * (and keeps) a state for every set of positions it can be in, which after a loop
 * such as ".*" and N counted copies of '.' is up to 2^N states: ".*[a-m].{30}X" took
 * 90 s and 534 MB on 300 URLs of 150 bytes, and grew with every value. (Counted
 * copies of a narrower class, such as [a-z]{30}, can do the same on values made of
 * that class; they are common in real indicators (^[a-z0-9-]{1,63}\.) and are not
 * refused: a linear-time matcher is the cure.)
 *
 * Hand-written: a one-pass scan of the expression's syntax with saturating budgets;
 * no library says how costly an expression is for glibc before compiling it. */
#include <string.h>

#include "obs/ascii.h"
#include "rules/pattern_int.h"

#define REGEX_MAX_GROUPS 16  /* nesting of '(' inside one regular expression */
#define REGEX_MAX_WEIGHT REGEX_MAX_LEN /* characters once {m,n} repetitions are expanded */
#define REGEX_MAX_REPS 128   /* parts that can match empty, {m,n} expanded, in one regex */
#define REGEX_EMPTY_COST 4   /* what an anchor or empty alternative counts for */
#define REGEX_MAX_WIDE 16    /* copies of '.' and of [^...] made by {m,n} counts */

/* Where the bracket expression opened at re[i] ends (its ']'), or n - 1. */
static size_t bracket_end(const char *re, size_t n, size_t i)
{
    size_t j = i + 1;

    if (j < n && re[j] == '^')
        j++;
    if (j < n && re[j] == ']')
        j++;
    while (j < n && re[j] != ']') {
        if (re[j] == '[' && j + 1 < n && (re[j + 1] == ':' || re[j + 1] == '.' ||
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

/* A bound {m}, {m,}, {,n} or {m,n} at re[i]: *lo_out gets m, *k_out how many copies
 * it may expand to (m + 1 for {m,}), *open_out whether it has no upper end, *end_out
 * the index of '}'. Returns 0, or -1 if it is no bound (then glibc reads '{' as a
 * literal or refuses it). */
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
    if (j >= n || re[j] != '}' || (!has_m && !has_hi))
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
    uint64_t wide;  /* '.' and negated bracket expressions, {m,n} expanded */
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

/* Why regcomp() must not see re (n bytes), or NULL if it may; *reps_out gets the
 * expression's count for the per-pattern budget. See the file comment for the reasons.
 * The rule that matters most: a looping operator (*, +, {m,n} with n >= 2, {m,}) must
 * not repeat a part that can match the empty string, as in (a*)* or (^){2,}: glibc's
 * epsilon closures grow exponentially with such loops (((((^){2,}){1,8})|\b)* runs for
 * minutes). '?' may follow anything, so PCRE-style .*? still compiles (as (.*)?).
 * The budget counts parts that can match empty: '?', '*' and {0,n} one each; empty
 * alternatives and groups, anchors and word boundaries REGEX_EMPTY_COST each; '+'
 * counts its operand again, characters included (glibc compiles X+ as X X*); {m,n}
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
                copies = 1; /* glibc compiles X+ as X X* */
                add = sat_add(r, 1, REGEX_MAX_REPS);
            } else {
                add = 1;
            }
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
            n_rep = 0;
            switch (c) {
            case '\\':
                if (i + 1 < n && re[i + 1] >= '1' && re[i + 1] <= '9')
                    return "back-references such as \\1 are not supported";
                if (i + 1 < n && strchr("bB<>`'", re[i + 1])) {
                    it.reps = REGEX_EMPTY_COST; /* zero-width */
                    it.nullable = 1;
                }
                i++;
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
                if (i + 1 < n && re[i + 1] == '?')
                    return "(?...) is PCRE syntax; MATCHES takes POSIX extended regular "
                           "expressions";
                if (level == REGEX_MAX_GROUPS)
                    return "groups nested more than 16 deep";
                re_level_init(&lv[++level]);
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
                    break; /* an unmatched ')': regcomp() decides */
                re_end_alt(&lv[level]);
                it = lv[level].sum;
                it.nullable = lv[level].group_null;
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
                   "after a loop such as .* the matcher's work can grow exponentially with them; "
                   "use + or * or a smaller count";
        if (lv[level].sum.reps > REGEX_MAX_REPS)
            return "too many parts that can match empty, such as x? x* {0,n} (limit 128 "
                   "once {m,n} is expanded)";
    }
    /* unclosed groups: regcomp() refuses them, but count them honestly first */
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
