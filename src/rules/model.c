/* rules/model.c - see model.h. The functions follow the oracle of
 * tests/integ/test_model_matrix.c rule by rule (served_objs, pick; units, which the
 * engine applies hit by hit with model_owns, model_candidate and the picker), which
 * is written again there from docs/model.md, not taken from here. */
#include "rules/model.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/tlp.h"

int model_number(struct model_id *m, struct model_ver *v)
{
    int k;

    /* an id's objects are few beside its versions (one per organisation, and one
     * personal object per user of it): a search from the newest object */
    for (k = m->n_obj; k > 0; k--)
        if (m->o[k - 1].owner_org == v->owner_org && m->o[k - 1].owner_user == v->owner_user)
            break;
    if (k > 0) {
        v->obj = k - 1;
        m->o[v->obj].gone &= model_withdrawn_from_all(v);
    } else {
        if (m->n_obj == m->cap_obj) {
            int ncap = m->cap_obj ? (m->cap_obj < INT_MAX / 2 ? m->cap_obj * 2 : INT_MAX) : 4;
            if (m->n_obj == INT_MAX)
                return -1;
            struct model_obj *no = realloc(m->o, (size_t)ncap * sizeof *no);
            if (!no)
                return -1;
            m->o = no;
            m->cap_obj = ncap;
        }
        m->o[m->n_obj].owner_org = v->owner_org;
        m->o[m->n_obj].owner_user = v->owner_user;
        m->o[m->n_obj].first = (size_t)(v - m->v);
        m->o[m->n_obj].rank = 3;
        m->o[m->n_obj].gone = model_withdrawn_from_all(v);
        v->obj = m->n_obj++;
    }
    m->cx |= v->cx;
    return 0;
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

void model_meta(const struct model_ver *v, struct tlp_meta *out)
{
    memset(out, 0, sizeof *out);
    out->tlp = v->tlp;
    out->owner_org = v->owner_org;
    out->submitter = v->submitter;
    out->audience = v->audience;
    out->comm = v->comm;
    out->shared_to = v->shared_to;
}

int model_may_read(const struct principal *p, const struct model_ver *v)
{
    struct tlp_meta meta;

    model_meta(v, &meta);
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

int model_withdrawn_from_all(const struct model_ver *v)
{
    return v->wd_keep && !v->wd_keep[strspn(v->wd_keep, " ")];
}

int model_entitled(const struct principal *p, const struct model_ver *v)
{
    struct tlp_meta meta;

    model_meta(v, &meta);
    return tlp_can_read(p, &meta);
}

int model_newer(int sco, const struct model_ver *a, const struct model_ver *b)
{
    int c = sco ? 0 : strcmp(a->vkey, b->vkey);

    return c ? c > 0 : a->seq > b->seq;
}

int model_owns(const struct principal *p, int64_t owner_org, int64_t owner_user)
{
    if (p->role == ROLE_NONE || p->org.id <= 0 || owner_org != p->org.id)
        return 0;
    return owner_user == 0 || owner_user == p->user.id;
}

int model_candidate(const struct principal *p, int claimed, int is_first, int64_t owner_org)
{
    return !claimed || is_first || (p->org.id > 0 && owner_org == p->org.id);
}

void model_community_reader(struct principal *p, uint64_t k)
{
    memset(p, 0, sizeof *p);
    p->role = ROLE_ANALYST; /* organisation 0 and user 0: nobody's own objects */
    p->comm_read = k;
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

int model_objs_has(const struct model_objs *objs, int k)
{
    for (int i = 0; i < objs->n; i++)
        if (objs->k[i] == k)
            return 1;
    return 0;
}

/* R2.2: does object a come before object b among the candidates? The id's first
 * object (the claim, or the first copy of an open id) before every later one; the
 * later ones by their owners' source rank, then in claim order. */
static int precedes(const struct model_id *m, int a, int b)
{
    if ((a == 0) != (b == 0))
        return a == 0;
    if (m->o[a].rank != m->o[b].rank)
        return m->o[a].rank < m->o[b].rank;
    return a < b;
}

void model_served(const struct principal *p, const struct model_id *m, struct model_objs *out)
{
    int claimed = m->n > 0 && m->v[0].attested, own_entitled = 0, best_readable = 0;
    int best = -1;
    struct model_objs own = {0, {0, 0}};

    out->n = 0;
    /* R2.1: own first, its organisation's object and its personal object as one */
    for (size_t i = 0; i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        if (!model_owns(p, v->owner_org, v->owner_user))
            continue;
        if (model_may_read(p, v) && !model_objs_has(&own, v->obj))
            own.k[own.n++] = v->obj;
        /* an object withdrawn from everyone counts for nobody (R2.4) */
        own_entitled |= model_entitled(p, v) && !m->o[v->obj].gone;
    }
    if (own.n) {
        *out = own;
        return;
    }
    if (own_entitled && !m->sco_fixed)
        return; /* R2.4: its own object was withdrawn from it */
    /* R2.2-2.4: the first candidate in precedence order that p may read or was
     * entitled to; served if p may read it - no fall-through past one it was
     * entitled to (UUIDv5 SCO ids alone fall through: R8 fixes their content by the
     * id; a UUIDv4 SCO id may carry any content, so it does not), unless its owner
     * withdrew all of it from everyone: then it counts for nobody, as if it had never
     * been posted, and only its place as the id's first object stays (the id stays
     * claimed or open, R2.6; a claim's later objects stay their owners', R2.3) */
    for (size_t i = 0; i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        int r;
        if (model_owns(p, v->owner_org, v->owner_user) ||
            !model_candidate(p, claimed, v->obj == 0, v->owner_org))
            continue;
        r = model_may_read(p, v);
        if (!r && (m->sco_fixed || m->o[v->obj].gone || !model_entitled(p, v)))
            continue;
        if (best < 0 || precedes(m, v->obj, best)) {
            best = v->obj;
            best_readable = r;
        } else if (v->obj == best) {
            best_readable |= r;
        }
    }
    if (best >= 0 && best_readable) {
        out->n = 1;
        out->k[0] = best;
    }
}

void model_picker_init(struct model_picker *k, const struct principal *p, int sco)
{
    k->p = p;
    k->sco = sco;
    k->best = k->best_revoked = -1;
}

void model_picker_add(struct model_picker *k, const struct model_ver *v)
{
    if (!model_may_read(k->p, v))
        return;
    if (k->best < 0 || model_newer(k->sco, v, &k->b)) {
        k->b = *v;
        k->b.audience = k->b.shared_to = k->b.wd_keep = k->b.created_by = NULL;
        k->best = v->seq;
    }
    if (v->revoked && (k->best_revoked < 0 || model_newer(k->sco, v, &k->br))) {
        k->br = *v;
        k->br.audience = k->br.shared_to = k->br.wd_keep = k->br.created_by = NULL;
        k->best_revoked = v->seq;
    }
}

int64_t model_picker_seq(const struct model_picker *k)
{
    return k->best_revoked >= 0 ? k->best_revoked : k->best; /* R3.2: a revoked version wins */
}

long model_pick(const struct principal *p, const struct model_id *m, const struct model_objs *objs)
{
    struct model_picker k;
    int64_t seq;

    model_picker_init(&k, p, m->sco);
    for (size_t i = 0; i < m->n; i++)
        if (model_objs_has(objs, m->v[i].obj))
            model_picker_add(&k, &m->v[i]);
    seq = model_picker_seq(&k);
    for (size_t i = 0; seq >= 0 && i < m->n; i++)
        if (m->v[i].seq == seq)
            return (long)i;
    return -1;
}
