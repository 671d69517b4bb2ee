/* rules/pattern_eval.c - a parsed pattern against one observation (pattern_eval(),
 * see pattern.h): STIX 2.1 9.6 comparisons (strings by code points, numbers, booleans,
 * timestamps, h'..'/b'..' against _hex/_bin values, LIKE, MATCHES through PCRE2
 * within the scratch's limits (pattern_regex.c), every value a test looks at, every
 * further literal of an IN set and every character LIKE compares charged to the
 * scratch's budget (pattern.h),
 * '=' and ISSUBSET/ISSUPERSET on addresses and CIDRs by address arithmetic) under
 * AND/OR, and pattern_is_temporal(). Part of the pattern module (pattern_int.h); the
 * index confirms CANDIDATE and SCAN indicators with it (engine/engine_match.c).
 *
 * Addresses are read with obs/ip.h, as the index reads them, so "10.0.0.1" in a log
 * lies in '10.0.0.0/8' for the evaluator exactly when the index says so.
 *
 * Hand-written: evaluation is a walk over mreža's own tree; the comparisons are STIX's
 * rules, which no library implements for C. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "obs/ascii.h"
#include "obs/ip.h"
#include "rules/pattern_int.h"

/* ---- evaluation ---- */

/* 1 if the value path v is the pattern path p, where "[*]" in p matches any "[n]".
 * With prefix_ok, v may go on below p (for EXISTS). */
static int path_match(const char *p, const char *v, int prefix_ok)
{
    while (*p) {
        if (p[0] == '[' && p[1] == '*' && p[2] == ']') {
            const char *e = v + 1;
            if (v[0] != '[')
                return 0;
            if (*e == '*')
                e++;
            else
                while (ascii_is_digit(*e))
                    e++;
            if (e == v + 1 || *e != ']')
                return 0;
            p += 3;
            v = e + 1;
            continue;
        }
        if (*p != *v)
            return 0;
        p++;
        v++;
    }
    return *v == '\0' || (prefix_ok && (*v == '.' || *v == '['));
}

static int sign_of(double d)
{
    return (d > 0) - (d < 0);
}

/* The value read as a number: [+-]? digits? ('.' digits)? ([eE] [+-]? digits)?,
 * with at least one digit before the exponent. */
static int value_number(const char *v, int *is_int, long long *iv, double *dv)
{
    const char *s = v;
    int digits = 0, integral = 1;
    char *end;

    if (*s == '+' || *s == '-')
        s++;
    for (; ascii_is_digit(*s); s++)
        digits++;
    if (*s == '.') {
        integral = 0;
        for (s++; ascii_is_digit(*s); s++)
            digits++;
    }
    if (!digits)
        return -1;
    if (*s == 'e' || *s == 'E') {
        integral = 0;
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!ascii_is_digit(*s))
            return -1;
        while (ascii_is_digit(*s))
            s++;
    }
    if (*s)
        return -1;
    errno = 0;
    *dv = strtod(v, &end);
    if (!isfinite(*dv))
        return -1;
    *is_int = 0;
    if (integral) {
        errno = 0;
        *iv = strtoll(v, &end, 10);
        *is_int = errno == 0;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Compare a _hex/_bin value with a binary literal: memcmp order, then length.
 * Returns -1/0/1, or 2 when v is not binary. */
static int cmp_binary(const struct lit *l, const char *v, const char *path)
{
    unsigned char stackbuf[256], *buf = stackbuf;
    size_t n = strlen(v), cap = n + 1, m; /* enough for hex and base64 */
    long got;
    int as_hex = ends_with(path, "_hex") || (!ends_with(path, "_bin") && l->kind == LIT_HEX);
    int r;

    if (cap > sizeof stackbuf) {
        buf = malloc(cap);
        if (!buf)
            return 2;
    }
    got = as_hex ? ascii_hex_decode(v, n, buf) : pattern_b64_decode(v, n, buf);
    if (got < 0) {
        r = 2;
        goto out;
    }
    m = (size_t)got < l->n_bytes ? (size_t)got : l->n_bytes;
    r = m ? memcmp(buf, l->bytes, m) : 0;
    r = r ? (r > 0) - (r < 0) : ((size_t)got > l->n_bytes) - ((size_t)got < l->n_bytes);
out:
    if (buf != stackbuf)
        free(buf);
    return r;
}

/* Order of value v against literal l (v - l): -1, 0, 1, or 2 when they cannot be
 * compared (STIX 2.1 9.6: the comparison is then false). */
static int cmp_value(const struct lit *l, const char *v, const char *path)
{
    int is_int, r;
    long long iv;
    double dv;
    struct mz_time t;

    switch (l->kind) {
    case LIT_STRING:
        r = strcmp(v, l->text);
        return (r > 0) - (r < 0);
    case LIT_INT:
    case LIT_FLOAT:
        if (value_number(v, &is_int, &iv, &dv))
            return 2;
        if (is_int && l->kind == LIT_INT)
            return (iv > l->i) - (iv < l->i);
        return sign_of(dv - l->f);
    case LIT_BOOL:
        if (!strcmp(v, "true"))
            return l->b ? 0 : 1;
        if (!strcmp(v, "false"))
            return l->b ? -1 : 0;
        return 2;
    case LIT_TIME:
        if (mz_time_parse(v, &t))
            return 2;
        return mz_time_cmp(&t, &l->t);
    case LIT_HEX:
    case LIT_BIN:
        return cmp_binary(l, v, path);
    }
    return 2;
}

/* Equality of v with l, as '=' and IN use it: 1, 0, or -1 when not comparable. A
 * string literal that is an address compares by address when v is one too; with a
 * "/nn" prefix it is a range and v must lie inside it. */
static int eq_value(const struct lit *l, const char *v, const char *path)
{
    int r;

    if (l->kind == LIT_STRING && l->net.family) {
        struct ip_net vn;
        if (ip_net_parse(v, strlen(v), &vn) == IP_OK) {
            if (l->net.has_prefix)
                return ip_net_within(&vn, &l->net);
            return vn.family == l->net.family && vn.prefix == (vn.family == 4 ? 32 : 128) &&
                   !memcmp(vn.addr, l->net.addr, 16);
        }
    }
    r = cmp_value(l, v, path);
    return r == 2 ? -1 : r == 0;
}

/* Equality of a domain value with a domain literal under the index's parent rule:
 * the value is the literal or lies below it ("a.evil.example" and "evil.example" meet
 * 'evil.example'; "xevil.example" does not). Both are canonical (lowercase, no
 * trailing dot): the parser canonicalised the literal, the engine the value. */
static int eq_domain(const struct lit *l, const char *v, const char *path)
{
    size_t n, k;

    if (l->kind != LIT_STRING)
        return eq_value(l, v, path);
    n = strlen(v);
    k = strlen(l->text);
    if (n == k)
        return memcmp(v, l->text, n) == 0;
    return k && n > k && v[n - k - 1] == '.' && memcmp(v + n - k, l->text, k) == 0;
}

/* SQL LIKE: '%' any run of characters, '_' exactly one; no escape character. Greedy
 * with backtracking to the last '%' only, so O(len(p) * len(v)) steps, each charged
 * to s's budget (pattern_charge): 1, 0, or -1 when the budget ran out first. */
static int like_match(const char *pat, const char *val, struct pattern_scratch *s)
{
    const unsigned char *p = (const unsigned char *)pat, *t = (const unsigned char *)val;
    size_t pn = strlen(pat), tn = strlen(val);
    size_t pi = 0, ti = 0, star_p = 0, star_t = 0;
    uint64_t steps = 0, room = s ? pattern_scratch_budget_left(s) : PATTERN_NO_BUDGET;
    int star = 0, out, miss = 0;

    while (ti < tn && !miss) {
        if (steps == room)
            return pattern_charge(s, steps + 1); /* the budget ran out: -1 */
        steps++;
        if (pi < pn && p[pi] == '%') {
            star = 1;
            star_p = ++pi;
            star_t = ti;
        } else if (pi < pn && p[pi] == '_') {
            ti += pattern_char_len(t, tn, ti);
            pi++;
        } else if (pi < pn && p[pi] == t[ti]) {
            pi++;
            ti++;
        } else if (star) {
            star_t += pattern_char_len(t, tn, star_t);
            ti = star_t;
            pi = star_p;
        } else {
            miss = 1;
        }
    }
    while (!miss && pi < pn && p[pi] == '%')
        pi++;
    out = !miss && pi == pn;
    pattern_charge(s, steps);
    return out;
}

/* The test's operator on one value, before NOT: 1, 0, or -1 when not comparable. */
static int test_value(const struct test *t, struct pattern_scratch *s, const char *v, const char *path)
{
    const struct lit *l = t->lits;
    struct ip_net vn;
    int r, any = -1;

    switch (t->op) {
    case OP_EQ:
        return t->parent_domain ? eq_domain(l, v, path) : eq_value(l, v, path);
    case OP_NE:
        r = t->parent_domain ? eq_domain(l, v, path) : eq_value(l, v, path);
        return r < 0 ? r : !r;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        r = cmp_value(l, v, path);
        if (r == 2)
            return -1;
        return t->op == OP_LT ? r < 0 : t->op == OP_LE ? r <= 0 : t->op == OP_GT ? r > 0
                                                                                   : r >= 0;
    case OP_IN:
        if (!l)
            return 0; /* IN (): never a member */
        for (; l; l = l->next) {
            if (l != t->lits && pattern_charge(s, 1))
                return -1; /* the budget ran out: cut short (one literal is the value's step) */
            r = t->parent_domain ? eq_domain(l, v, path) : eq_value(l, v, path);
            if (r == 1)
                return 1;
            if (r == 0)
                any = 0;
        }
        return any;
    case OP_LIKE:
        return like_match(l->text, v, s);
    case OP_MATCHES:
        /* a value cut short by a limit (-1) is no match, negated or not */
        return s ? pattern_regex_match(t->re, s, v, strlen(v)) : -1;
    case OP_ISSUBSET:
        if (ip_net_parse(v, strlen(v), &vn) != IP_OK)
            return -1;
        return ip_net_within(&vn, &l->net);
    case OP_ISSUPERSET:
        if (ip_net_parse(v, strlen(v), &vn) != IP_OK)
            return -1;
        return ip_net_within(&l->net, &vn);
    case OP_EXISTS:
        return 1;
    }
    return -1;
}

/* NOT EXISTS is true of an object of the type without the path (STIX 2.1 9.5: a
 * comparison about a type the observation has no object of is false, negated or not),
 * so an observation without such an object at all never satisfies it. */
static int eval_test(const struct test *t, struct pattern_scratch *s, const struct pattern_value *values, size_t n)
{
    int seen = 0, type_seen = 0;

    for (size_t i = 0; i < n; i++) {
        const struct pattern_value *pv = &values[i];
        int r;
        if (pattern_charge(s, 1))
            return 0; /* the budget ran out: no match, negated or not */
        if (!pv->object_type || !pv->path || !pv->value || strcmp(pv->object_type, t->object_type) != 0)
            continue;
        type_seen = 1;
        if (!path_match(t->path, pv->path, t->op == OP_EXISTS))
            continue;
        if (t->op == OP_EXISTS) {
            seen = 1;
            break;
        }
        r = test_value(t, s, pv->value, pv->path);
        if (r >= 0 && (r ^ t->negated))
            return 1;
    }
    return t->op == OP_EXISTS ? type_seen && (seen ^ t->negated) : 0;
}

static int eval_cmp(const struct cmp *c, struct pattern_scratch *s, const struct pattern_value *values, size_t n)
{
    switch (c->kind) {
    case CMP_TEST:
        return eval_test(c->test, s, values, n);
    case CMP_AND:
        for (const struct cmp *k = c->kids; k; k = k->next)
            if (!eval_cmp(k, s, values, n))
                return 0;
        return 1;
    case CMP_OR:
        for (const struct cmp *k = c->kids; k; k = k->next)
            if (eval_cmp(k, s, values, n))
                return 1;
        return 0;
    }
    return 0;
}

/* 0 (no), 1 (yes) or 2 (yes, but only the part one observation can decide). */
static int eval_oex(const struct oex *o, struct pattern_scratch *s, const struct pattern_value *values, size_t n)
{
    int best = 0;

    if (o->kind == OEX_LEAF) {
        best = eval_cmp(o->cmp, s, values, n);
    } else {
        for (const struct oex *k = o->kids; k && best != 1; k = k->next) {
            int r = eval_oex(k, s, values, n);
            if (r && (best == 0 || r == 1))
                best = r;
        }
        if (best && o->kind != OEX_OR)
            best = 2;
    }
    if (best && o->n_quals)
        best = 2;
    return best;
}

int pattern_eval(const struct pattern *p, struct pattern_scratch *s, const struct pattern_value *values,
                 size_t n, int *partial_out)
{
    struct pattern_scratch *own = NULL;
    int r = 0;

    if (p && p->regexes && !s && pattern_scratch_new(NULL, &own, NULL) == MZ_OK)
        s = own; /* without one, every MATCHES test is no match */
    if (p && p->root && (values || n == 0))
        r = eval_oex(p->root, s, values, n);
    pattern_scratch_free(own);
    if (partial_out)
        *partial_out = r == 2;
    return r != 0;
}

static int oex_temporal(const struct oex *o)
{
    if (o->n_quals || o->kind == OEX_AND || o->kind == OEX_FOLLOWEDBY)
        return 1;
    for (const struct oex *k = o->kids; k; k = k->next)
        if (oex_temporal(k))
            return 1;
    return 0;
}

int pattern_is_temporal(const struct pattern *p)
{
    return p && p->root && oex_temporal(p->root);
}
