/* domain/model.c - see model.h. */
#include "domain/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_free(struct model_id *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].audience);
        free(m->v[i].wd_keep);
        free(m->v[i].created_by);
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
    v->created_by = dup_or_null(sv->created_by);
    if ((sv->audience && !v->audience) || (sv->wd_keep && !v->wd_keep) || (sv->created_by && !v->created_by)) {
        free(v->audience);
        free(v->wd_keep);
        free(v->created_by);
        c->failed = 1;
        return 1;
    }
    model_number(m, v); /* objects numbered in the order of their first version */
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

static void load_ranks(struct store *st, struct model_id *m)
{
    if (m->ranked)
        return;
    for (int k = 0; k < m->n_obj && k < MODEL_MAX_OBJ; k++) {
        const struct model_ver *f = NULL;
        for (size_t i = 0; i < m->n && !f; i++)
            if (m->v[i].obj == k)
                f = &m->v[i];
        struct store_org o;
        m->ranks[k] = 3;
        if (f && f->owner_org == 0)
            m->ranks[k] = 0;
        else if (f && store_org_by_id(st, f->owner_org, &o, NULL) == MZ_OK)
            m->ranks[k] = model_rank_of(o.rank, o.kind);
    }
    m->ranked = 1;
}

uint64_t model_served_st(struct store *st, const struct principal *p, struct model_id *m)
{
    if (m->n_obj > 1)
        load_ranks(st, m);
    return model_served(p, m);
}
