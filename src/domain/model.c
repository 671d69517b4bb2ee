/* domain/model.c - see model.h. */
#include "domain/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "rules/principal.h"

void model_free(struct model_id *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].audience);
        free(m->v[i].shared_to);
        free(m->v[i].wd_keep);
        free(m->v[i].created_by);
    }
    free(m->v);
    free(m->o);
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
    v->comm = sv->comm;
    v->by_reporter = sv->submitter_role && authz_reporter_class(role_parse(sv->submitter_role));
    v->audience = dup_or_null(sv->audience);
    v->shared_to = dup_or_null(sv->shared_to);
    v->wd_keep = dup_or_null(sv->wd_keep);
    v->created_by = dup_or_null(sv->created_by);
    if ((sv->audience && !v->audience) || (sv->shared_to && !v->shared_to) || (sv->wd_keep && !v->wd_keep) ||
        (sv->created_by && !v->created_by) || model_number(m, v)) {
        /* (model_number: objects numbered in the order of their first version) */
        free(v->audience);
        free(v->shared_to);
        free(v->wd_keep);
        free(v->created_by);
        c->failed = 1;
        return 1;
    }
    m->n++;
    return 0;
}

enum mz_err model_load(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err)
{
    struct load_ctx c = {m, 0};
    enum mz_err rc;

    model_free(m);
    m->sco = stix_id_is_sco(stix_id);
    m->sco_fixed = m->sco && stix_id_uuid_version(stix_id) == 5; /* R2.4, R8 */
    rc = store_id_versions(st, stix_id, load_row, &c, err);
    if (!rc && c.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (rc)
        model_free(m);
    return rc;
}

enum mz_err model_load_more(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err)
{
    struct load_ctx c = {m, 0};
    size_t before = m->n;
    enum mz_err rc =
        store_id_versions_after(st, stix_id, m->n ? m->v[m->n - 1].seq : INT64_MIN, m->cx, load_row, &c, err);

    if (!rc && c.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (rc)
        model_free(m);
    else if (m->n != before)
        m->ranked = 0; /* a new object has no rank yet */
    return rc;
}

/* The owners' ranks: one look-up per organisation (an id's objects may be many, its
 * organisations are few). */
static void load_ranks(struct store *st, struct model_id *m)
{
    if (m->ranked)
        return;
    for (int k = 0; k < m->n_obj; k++) {
        struct model_obj *o = &m->o[k];
        struct store_org org;
        int j;
        for (j = 0; j < k && m->o[j].owner_org != o->owner_org; j++)
            ;
        if (j < k)
            o->rank = m->o[j].rank;
        else if (o->owner_org == 0)
            o->rank = 0;
        else if (store_org_by_id(st, o->owner_org, &org, NULL) == MZ_OK)
            o->rank = model_rank_of(org.rank, org.kind);
        else
            o->rank = 3;
    }
    m->ranked = 1;
}

void model_served_st(struct store *st, const struct principal *p, struct model_id *m, struct model_objs *out)
{
    if (m->n_obj > 1)
        load_ranks(st, m);
    model_served(p, m, out);
}
