/* engine/engine_correlate.c - correlation: every live object a principal may read
 * (tlp_can_read; of an id that needs the object model's choice, the versions that are
 * the principal's units, docs/model.md R4) that carries an observable exactly, indicators through their
 * patterns' keys and observable objects through their values. The value is
 * normalised first; no parents, no ranges: correlation is about the same value. */
#include "engine/engine_int.h"

#include <string.h>

struct corr_ctx {
    struct engine *e;
    const struct principal *p;
    const char *value;
    enum obs_kind kind;
    engine_related_fn fn;
    void *ctx;
    size_t n;
    struct engine_unit_memo memo; /* units decided (R4) */
};

static int on_corr_hit(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t key_len)
{
    struct corr_ctx *c = vctx;
    const struct idx_obj *o = idx_obj_at(c->e->ix, num);
    struct tlp_meta meta;
    struct engine_related r;
    char id[300];

    (void)via;
    (void)key;
    (void)key_len;
    engine_obj_meta(c->e, num, &meta);
    if (!tlp_can_read(c->p, &meta))
        return 0;
    /* docs/model.md R4: per object; an id with several objects or versions read by
     * different readers reports only the reader's units (revoked or not) */
    if (engine_versions_cx(c->e, num) ? !engine_versions_unit(c->e, c->p, num, &c->memo) : (o->flags & IDX_F_DEAD) != 0)
        return 0;
    engine_versions_obj_id(c->e, num, id, sizeof id);
    r.id = id;
    r.value = c->value;
    r.kind = c->kind;
    r.tlp = o->tlp;
    r.owner_identity = engine_owner_identity(c->e, o->owner_org);
    c->n++;
    return c->fn(c->ctx, &r);
}

size_t engine_correlate_value(struct engine *e, const struct principal *p, int kind_hint,
                           const char *value, size_t len, engine_related_fn fn, void *ctx)
{
    char canon[OBS_MAX_LEN + 1];
    size_t clen;
    int k = kind_hint >= 0 ? kind_hint : obs_guess_kind(value, len);
    enum obs_kind real;
    struct corr_ctx c;

    if (k < 0)
        return 0;
    real = (enum obs_kind)k;
    if (obs_normalize((enum obs_kind)k, value, len, canon, sizeof canon, &clen, NULL, &real, NULL))
        return 0;
    c.e = e;
    c.p = p;
    c.value = canon;
    c.kind = real;
    c.fn = fn;
    c.ctx = ctx;
    c.n = 0;
    memset(&c.memo, 0, sizeof c.memo);
    engine_versions_memo_start(&c.memo);
    engine_read_lock(e);
    idx_lookup_exact(e->ix, real, canon, clen, on_corr_hit, &c);
    engine_read_unlock(e);
    return c.n;
}
