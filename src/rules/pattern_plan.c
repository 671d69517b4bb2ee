/* rules/pattern_plan.c - how the index can serve a parsed pattern (pattern_plan(),
 * see pattern.h): PLAN_EXACT, PLAN_CANDIDATE or PLAN_SCAN, and the '=', IN and
 * ISSUBSET terms whose values become index keys (rules/observe.c maps them to
 * observable kinds). Part of the pattern module (pattern_int.h); walks the tree that
 * pattern_parse.c builds, in time linear in its size.
 *
 * Hand-written: the plan is mreža's own notion (which disjuncts bring a term the
 * index can look up); no library knows it. */
#include <string.h>

#include "rules/pattern_int.h"

/* ---- planning ---- */

struct plan_info {
    int necessary; /* every satisfying observation holds a value matching a term */
    int exact;     /* ... and holding such a value is enough */
    int rank;      /* 0 when every term looks like an indexed observable */
};

struct plan_ctx {
    pattern_term_fn fn;
    void *ctx;
};

/* An '=' (literal string), IN (all strings) or ISSUBSET test without NOT. */
static int test_indexable(const struct test *t)
{
    if (t->negated)
        return 0;
    switch (t->op) {
    case OP_EQ:
        return t->lits->kind == LIT_STRING;
    case OP_IN:
        for (const struct lit *l = t->lits; l; l = l->next)
            if (l->kind != LIT_STRING)
                return 0;
        return 1;
    case OP_ISSUBSET:
        return 1;
    default:
        return 0;
    }
}

/* Preference among conjuncts only (the caller decides what it indexes): a "value"
 * path (also below a reference, as dst_ref.value) or a file hash is what an IOC index
 * usually holds. */
static int test_rank(const struct test *t)
{
    size_t n = strlen(t->path);

    if (!strcmp(t->path, "value") || (n > 6 && !strcmp(t->path + n - 6, ".value")))
        return 0;
    if (!strcmp(t->object_type, "file") && !strncmp(t->path, "hashes.", 7))
        return 0;
    return 1;
}

static const struct cmp *and_pick(const struct cmp *c, struct plan_info *info_out);

static void cmp_info(const struct cmp *c, struct plan_info *out)
{
    struct plan_info k;

    switch (c->kind) {
    case CMP_TEST:
        out->necessary = out->exact = test_indexable(c->test);
        out->rank = out->necessary ? test_rank(c->test) : 1;
        return;
    case CMP_OR:
        out->necessary = out->exact = 1;
        out->rank = 0;
        for (const struct cmp *kid = c->kids; kid; kid = kid->next) {
            cmp_info(kid, &k);
            out->necessary &= k.necessary;
            out->exact &= k.exact;
            out->rank = k.rank > out->rank ? k.rank : out->rank;
        }
        return;
    case CMP_AND:
        out->necessary = and_pick(c, &k) != NULL;
        out->exact = 0;
        out->rank = k.rank;
        return;
    }
}

/* The conjunct of AND node c whose terms are reported: the first with the best rank
 * among those that have necessary terms; NULL if none has. Each conjunct is looked at
 * once, so planning stays linear in the size of each nesting level. *info_out gets
 * the pick's rank (1 when there is none). */
static const struct cmp *and_pick(const struct cmp *c, struct plan_info *info_out)
{
    const struct cmp *best = NULL;

    info_out->rank = 1;
    for (const struct cmp *kid = c->kids; kid; kid = kid->next) {
        struct plan_info k;
        cmp_info(kid, &k);
        if (k.necessary && (!best || k.rank < info_out->rank)) {
            best = kid;
            info_out->rank = k.rank;
        }
    }
    return best;
}

static int emit_term(struct plan_ctx *pc, const struct test *t, enum pattern_op op,
                     const struct lit *l)
{
    struct pattern_term term;

    if (!pc->fn)
        return 0;
    term.object_type = t->object_type;
    term.path = t->path;
    term.op = op;
    term.value = l->text;
    term.pos = l->pos;
    return pc->fn(pc->ctx, &term);
}

/* Report the necessary terms of c; nonzero when fn asked to stop. */
static int cmp_emit(const struct cmp *c, struct plan_ctx *pc)
{
    const struct test *t = c->test;

    switch (c->kind) {
    case CMP_TEST:
        if (t->op == OP_ISSUBSET)
            return emit_term(pc, t, PATTERN_OP_SUBSET, t->lits);
        for (const struct lit *l = t->lits; l; l = l->next) {
            enum pattern_op op =
                l->net.family && l->net.has_prefix ? PATTERN_OP_SUBSET : PATTERN_OP_EQ;
            if (emit_term(pc, t, op, l))
                return 1;
        }
        return 0;
    case CMP_OR:
        for (const struct cmp *kid = c->kids; kid; kid = kid->next)
            if (cmp_emit(kid, pc))
                return 1;
        return 0;
    case CMP_AND: {
        struct plan_info k;
        const struct cmp *pick = and_pick(c, &k);
        return pick ? cmp_emit(pick, pc) : 0;
    }
    }
    return 0;
}

/* For AND and FOLLOWEDBY between observation expressions, each operand is treated as
 * a disjunct: pattern_eval() accepts (partially) an observation matching any one of
 * them, so each must bring its own terms. */
static void oex_info(const struct oex *o, struct plan_info *out)
{
    struct plan_info k;

    if (o->kind == OEX_LEAF) {
        cmp_info(o->cmp, out);
        out->exact &= o->n_quals == 0;
        return;
    }
    out->necessary = 1;
    out->exact = o->kind == OEX_OR && o->n_quals == 0;
    out->rank = 0;
    for (const struct oex *kid = o->kids; kid; kid = kid->next) {
        oex_info(kid, &k);
        out->necessary &= k.necessary;
        out->exact &= k.exact;
    }
}

static int oex_emit(const struct oex *o, struct plan_ctx *pc)
{
    if (o->kind == OEX_LEAF)
        return cmp_emit(o->cmp, pc);
    for (const struct oex *kid = o->kids; kid; kid = kid->next)
        if (oex_emit(kid, pc))
            return 1;
    return 0;
}

enum pattern_plan_kind pattern_plan(const struct pattern *p, pattern_term_fn fn, void *ctx)
{
    struct plan_info info;
    struct plan_ctx pc = {fn, ctx};

    if (!p || !p->root)
        return PLAN_SCAN;
    oex_info(p->root, &info);
    if (!info.necessary)
        return PLAN_SCAN;
    oex_emit(p->root, &pc);
    return info.exact ? PLAN_EXACT : PLAN_CANDIDATE;
}
