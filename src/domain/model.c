/* domain/model.c - see model.h. The functions follow the oracle of
 * tests/integ/test_model_matrix.c rule by rule (served_objs, pick), which is
 * written again there from docs/model.md, not taken from here. */
#include "domain/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/tlp.h"
#include "util/log.h"

#define MAX_OBJ 64

void model_free(struct model_id *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].audience);
        free(m->v[i].wd_keep);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

struct load_ctx {
    struct model_id *m;
    int failed;
};

static int load_row(void *vctx, const struct store_version *sv)
{
    struct load_ctx *c = vctx;
    struct model_id *m = c->m;
    struct model_ver *v;

    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 8;
        struct model_ver *nv = realloc(m->v, ncap * sizeof *nv);
        if (!nv) {
            c->failed = 1;
            return 1;
        }
        m->v = nv;
        m->cap = ncap;
    }
    v = &m->v[m->n];
    memset(v, 0, sizeof *v);
    v->seq = sv->seq;
    v->owner_org = sv->owner_org;
    v->owner_user = sv->owner_user;
    v->submitter = sv->submitter;
    snprintf(v->vkey, sizeof v->vkey, "%s", sv->vkey ? sv->vkey : "");
    snprintf(v->version, sizeof v->version, "%s", sv->version ? sv->version : "");
    snprintf(v->date_added, sizeof v->date_added, "%s", sv->date_added ? sv->date_added : "");
    v->tlp = sv->tlp;
    v->tlp_defaulted = sv->tlp_defaulted;
    v->tlp_inherited = sv->tlp_inherited;
    v->revoked = sv->revoked;
    v->attested = sv->attested;
    v->cx = sv->cx;
    v->audience = dup_or_null(sv->audience);
    v->wd_keep = dup_or_null(sv->wd_keep);
    if ((sv->audience && !v->audience) || (sv->wd_keep && !v->wd_keep)) {
        free(v->audience);
        free(v->wd_keep);
        c->failed = 1;
        return 1;
    }
    /* objects are numbered in the order of their first version's arrival */
    v->obj = -1;
    for (size_t i = 0; i < m->n && v->obj < 0; i++)
        if (m->v[i].owner_org == v->owner_org && m->v[i].owner_user == v->owner_user)
            v->obj = m->v[i].obj;
    if (v->obj < 0)
        v->obj = m->n_obj++;
    m->cx |= v->cx;
    m->n++;
    return 0;
}

enum mz_err model_load(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err)
{
    struct load_ctx c = {m, 0};
    enum mz_err rc;

    model_free(m);
    m->sco = stix_id_is_sco(stix_id);
    rc = store_id_versions(st, stix_id, load_row, &c, err);
    if (!rc && c.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (rc)
        model_free(m);
    return rc;
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

static int entitled_to(const struct principal *p, const struct model_ver *v)
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

static void load_ranks(struct store *st, struct model_id *m)
{
    if (m->ranked)
        return;
    for (int k = 0; k < m->n_obj && k < MAX_OBJ; k++) {
        const struct model_ver *f = first_of(m, k);
        struct store_org o;
        m->ranks[k] = 3;
        if (f && f->owner_org == 0)
            m->ranks[k] = 0;
        else if (f && store_org_by_id(st, f->owner_org, &o, NULL) == MZ_OK)
            m->ranks[k] = model_rank_of_kind(o.kind);
    }
    m->ranked = 1;
}

uint64_t model_served(struct store *st, const struct principal *p, struct model_id *m)
{
    uint64_t own = 0, readable = 0, entitled = 0;
    int order[MAX_OBJ], n = 0, n_obj = m->n_obj < MAX_OBJ ? m->n_obj : MAX_OBJ;
    int claimed = m->n > 0 && m->v[0].attested;

    for (size_t i = 0; i < m->n; i++) {
        int k = m->v[i].obj;
        if (k >= MAX_OBJ)
            continue;
        if (model_may_read(p, &m->v[i]))
            readable |= 1ull << k;
        if (entitled_to(p, &m->v[i]))
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
        if (n_obj > 1)
            load_ranks(st, m);
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
        if (v->obj >= MAX_OBJ || !(objs >> v->obj & 1u) || !model_may_read(p, v))
            continue;
        if (best < 0 || model_newer(m, v, &m->v[best]))
            best = (long)i;
        if (v->revoked && (best_revoked < 0 || model_newer(m, v, &m->v[best_revoked])))
            best_revoked = (long)i;
    }
    return best_revoked >= 0 ? best_revoked : best; /* R3.2: a revoked version wins */
}
