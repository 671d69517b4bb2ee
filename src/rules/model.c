/* rules/model.c - see model.h. The functions follow the oracle of
 * tests/integ/test_model_matrix.c rule by rule (served_objs, pick, units), which is
 * written again there from docs/model.md, not taken from here. */
#include "rules/model.h"

#include <string.h>
#include <strings.h>

#include "rules/tlp.h"

void model_number(struct model_id *m, struct model_ver *v)
{
    v->obj = -1;
    for (struct model_ver *w = m->v; w < v && v->obj < 0; w++)
        if (w->owner_org == v->owner_org && w->owner_user == v->owner_user)
            v->obj = w->obj;
    if (v->obj < 0)
        v->obj = m->n_obj++;
    m->cx |= v->cx;
}

static int names(const char *list, const char *ident)
{
    size_t n;

    if (!list || !ident || !*ident)
        return 0;
    n = strlen(ident);
    for (const char *p = list; (p = strcasestr(p, ident)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

int model_may_read(const struct principal *p, const struct model_ver *v)
{
    struct tlp_meta meta = {v->tlp, v->owner_org, v->submitter, v->audience};

    if (!tlp_can_read(p, &meta))
        return 0;
    if (!v->wd_keep)
        return 1;
    /* R7.3: withdrawal only narrows, to the identities it names (the owner
     * organisation's among them unless it gave it up) */
    if (p->role == ROLE_NONE)
        return 0;
    return names(v->wd_keep, p->org.identity) || names(v->wd_keep, p->user.identity);
}

int model_entitled(const struct principal *p, const struct model_ver *v)
{
    struct tlp_meta meta = {v->tlp, v->owner_org, v->submitter, v->audience};

    return tlp_can_read(p, &meta);
}

int model_newer(const struct model_id *m, const struct model_ver *a, const struct model_ver *b)
{
    int c = m->sco ? 0 : strcmp(a->vkey, b->vkey);

    return c ? c > 0 : a->seq > b->seq;
}

static const struct model_ver *first_of(const struct model_id *m, int k)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].obj == k)
            return &m->v[i];
    return NULL;
}

int model_owns(const struct principal *p, const struct model_id *m, int k)
{
    const struct model_ver *f = first_of(m, k);

    if (!f || p->role == ROLE_NONE || p->org.id <= 0 || f->owner_org != p->org.id)
        return 0;
    return f->owner_user == 0 || f->owner_user == p->user.id;
}

int model_rank_of_kind(const char *kind)
{
    if (!strcmp(kind, "national-csirt") || !strcmp(kind, "government-csirt"))
        return 1;
    if (!strcmp(kind, "sector-csirt"))
        return 2;
    return 3;
}

int model_rank_of(int rank, const char *kind)
{
    return rank >= 0 ? rank : model_rank_of_kind(kind);
}

uint64_t model_served(const struct principal *p, const struct model_id *m)
{
    uint64_t own = 0, readable = 0, entitled = 0;
    int order[MODEL_MAX_OBJ], n = 0, n_obj = m->n_obj < MODEL_MAX_OBJ ? m->n_obj : MODEL_MAX_OBJ;
    int claimed = m->n > 0 && m->v[0].attested;

    for (size_t i = 0; i < m->n; i++) {
        int k = m->v[i].obj;
        if (k >= MODEL_MAX_OBJ)
            continue;
        if (model_may_read(p, &m->v[i]))
            readable |= 1ull << k;
        if (model_entitled(p, &m->v[i]))
            entitled |= 1ull << k;
    }
    /* R2.1: own first, its organisation's object and its personal object as one */
    for (int k = 0; k < n_obj; k++)
        if (model_owns(p, m, k) && (readable >> k & 1u))
            own |= 1ull << k;
    if (own)
        return own;
    for (int k = 0; k < n_obj; k++)
        if (model_owns(p, m, k) && (entitled >> k & 1u) && !m->sco)
            return 0; /* R2.4: its own object was withdrawn from it */
    /* R2.2, R2.3: the candidates in precedence order */
    for (int k = 0; k < n_obj; k++) {
        int at = n;
        const struct model_ver *f = first_of(m, k);
        if (model_owns(p, m, k))
            continue;
        if (claimed && k != 0 && !(p->org.id > 0 && f->owner_org == p->org.id))
            continue; /* a later object of a claimed id: its owner's organisation only */
        /* the claim first, then source rank, then claim order (k) */
        while (at > 0) {
            int j = order[at - 1];
            int before = claimed && k == 0 ? 1 : claimed && j == 0 ? 0 : m->ranks[k] < m->ranks[j];
            if (!before)
                break;
            order[at] = j;
            at--;
        }
        order[at] = k;
        n++;
    }
    /* R2.4: the first candidate, with no fall-through past one it was entitled to
     * (SCOs alone fall through: their content is fixed by the id) */
    for (int x = 0; x < n; x++) {
        if (readable >> order[x] & 1u)
            return 1ull << order[x];
        if ((entitled >> order[x] & 1u) && !m->sco)
            return 0;
    }
    return 0;
}

long model_pick(const struct principal *p, const struct model_id *m, uint64_t objs)
{
    long best = -1, best_revoked = -1;

    for (size_t i = 0; i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        if (v->obj >= MODEL_MAX_OBJ || !(objs >> v->obj & 1u) || !model_may_read(p, v))
            continue;
        if (best < 0 || model_newer(m, v, &m->v[best]))
            best = (long)i;
        if (v->revoked && (best_revoked < 0 || model_newer(m, v, &m->v[best_revoked])))
            best_revoked = (long)i;
    }
    return best_revoked >= 0 ? best_revoked : best; /* R3.2: a revoked version wins */
}

size_t model_units(const struct principal *p, const struct model_id *m, long *out)
{
    uint64_t own = 0, cand = 0;
    size_t n = 0;
    int claimed = m->n > 0 && m->v[0].attested;
    int n_obj = m->n_obj < MODEL_MAX_OBJ ? m->n_obj : MODEL_MAX_OBJ;

    for (int k = 0; k < n_obj; k++) {
        const struct model_ver *f = first_of(m, k);
        if (model_owns(p, m, k))
            own |= 1ull << k;
        else if (!claimed || k == 0 || (p->org.id > 0 && f->owner_org == p->org.id))
            cand |= 1ull << k;
    }
    for (int k = 0; k < n_obj; k++) {
        long v;
        if (!(cand >> k & 1u))
            continue;
        v = model_pick(p, m, 1ull << k);
        if (v >= 0)
            out[n++] = v;
    }
    if (own) {
        long v = model_pick(p, m, own);
        if (v >= 0)
            out[n++] = v;
    }
    return n;
}
