/* domain/svc_objects.c - writing and reading STIX objects under TLP.
 * Reads ask the store with the reader's grants (tlp_visibility) and then check
 * every row again with tlp_can_read, so that no row reaches a reader unless the one
 * TLP function says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/cursor.h"
#include "domain/stix.h"
#include "domain/svc.h"
#include "domain/tlp.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid.h"

void svc_ingest_result_free(struct svc_ingest_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].id);
        free(r->items[i].version);
    }
    free(r->items);
    memset(r, 0, sizeof *r);
}

struct ingest_ctx {
    struct store *st;
    const struct principal *p;
    struct store_write_ctx wctx;
    struct svc_ingest_result *res;
};

static enum mz_err record(struct svc_ingest_result *res, const struct stix_info *info,
                          int tlp, int defaulted, int duplicate)
{
    struct svc_put_item *it;

    if (res->n_items == res->cap) {
        size_t ncap = res->cap ? res->cap * 2 : 64;
        struct svc_put_item *n = realloc(res->items, ncap * sizeof *n);
        if (!n)
            return MZ_ENOMEM;
        res->items = n;
        res->cap = ncap;
    }
    it = &res->items[res->n_items];
    it->id = strdup(info->id);
    it->version = strdup(info->version);
    if (!it->id || !it->version) {
        free(it->id);
        free(it->version);
        return MZ_ENOMEM;
    }
    it->tlp = tlp;
    it->tlp_defaulted = defaulted;
    it->duplicate = duplicate;
    res->n_items++;
    res->n_new += !duplicate;
    res->n_duplicate += duplicate;
    res->n_defaulted += defaulted;
    return MZ_OK;
}

static enum mz_err ingest_one(void *vctx, json_t *obj, const char *raw, size_t raw_len,
                              size_t index, struct mz_error *err)
{
    struct ingest_ctx *c = vctx;
    struct stix_info info;
    struct store_object_in in;
    enum store_put_result put;
    enum mz_err rc;

    (void)index;
    rc = stix_validate(obj, &info, err);
    if (rc)
        goto out;
    in.stix_id = info.id;
    in.type = info.type;
    in.version = info.version;
    in.version_key = info.version_key;
    in.created_by = info.created_by_ref ? info.created_by_ref : c->p->org.identity;
    in.tlp = info.tlp >= 0 ? info.tlp : TLP_DEFAULT;
    in.tlp_defaulted = info.tlp < 0;
    in.revoked = info.revoked;
    in.audience = info.audience;
    in.body = raw;
    in.body_len = raw_len;
    rc = store_put_object(c->st, &c->wctx, &in, &put, err);
    if (!rc)
        rc = record(c->res, &info, in.tlp, in.tlp_defaulted, put == STORE_PUT_DUPLICATE);
    if (rc == MZ_ENOMEM)
        mz_error_set(err, rc, "", "out of memory");
out:
    stix_info_clear(&info);
    return rc;
}

enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err)
{
    struct ingest_ctx c;
    struct mz_time now;
    char date_added[MZ_TIME_STRLEN];
    enum mz_err rc;

    memset(res, 0, sizeof *res);
    if (!role_can_write(p->role))
        return mz_error_set(err, MZ_EFORBIDDEN, "", "the %s role may not write objects", role_name(p->role));
    rc = store_begin(st, err);
    if (rc)
        return rc;
    /* Stamped after the write lock is held, so date_added grows with seq. */
    mz_time_now(&now);
    mz_time_format_us(&now, date_added);
    c.st = st;
    c.p = p;
    c.wctx.owner_org = p->org.id;
    c.wctx.submitter = p->user.id;
    c.wctx.date_added = date_added;
    c.res = res;
    rc = bundle_split(buf, len, lim, ingest_one, &c, &res->was_bundle, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        svc_ingest_result_free(res);
    return rc;
}

static enum mz_err to_store_query(const struct svc_query *q, struct store_query *sq,
                                  char *added_after, struct mz_error *err)
{
    memset(sq, 0, sizeof *sq);
    sq->types = q->types;
    sq->n_types = q->n_types;
    sq->id = q->id;
    sq->created_by = q->created_by;
    sq->tlp = q->tlp;
    sq->all_versions = q->all_versions;
    sq->limit = q->limit;
    sq->order = STORE_ORDER_ADDED;
    if (q->tlp < -1 || q->tlp >= TLP_N_LEVELS)
        return mz_error_set(err, MZ_EINVAL, "tlp", "tlp must be clear, green, amber, amber+strict or red");
    if (q->added_after) {
        struct mz_time t;
        if (mz_time_parse(q->added_after, &t))
            return mz_error_set(err, MZ_EINVAL, "added_after", "added_after must be an RFC 3339 UTC timestamp such as 2024-05-01T12:00:00Z");
        mz_time_format_us(&t, added_after);
        sq->added_after = added_after;
    }
    if (q->next && cursor_decode(q->next, &sq->after_seq))
        return mz_error_set(err, MZ_EINVAL, "next", "next is not a page token this node issued");
    return MZ_OK;
}

struct list_ctx {
    const struct principal *p;
    svc_row_fn fn;
    void *ctx;
    int64_t last_seq;
    int stopped;
};

static int list_row(void *vctx, const struct store_row *row)
{
    struct list_ctx *c = vctx;
    struct tlp_meta m = {row->tlp, row->owner_org, row->submitter, row->audience};

    c->last_seq = row->seq;
    if (!tlp_can_read(c->p, &m)) {
        /* The store's prefilter and tlp_can_read disagree: a bug. Withhold the row. */
        MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
        return 0;
    }
    if (c->fn(c->ctx, row)) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

enum mz_err svc_list(struct store *st, const struct principal *p, const struct svc_query *q,
                     svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    struct list_ctx c = {p, fn, ctx, 0, 0};
    int more = 0;
    enum mz_err rc = to_store_query(q, &sq, added_after, err);

    if (rc)
        return rc;
    tlp_visibility(p, &vis);
    rc = store_list(st, &vis, &sq, list_row, &c, &more, err);
    if (rc)
        return rc;
    next_out[0] = '\0';
    if (more || c.stopped)
        cursor_encode(c.last_seq, next_out);
    return MZ_OK;
}

enum mz_err svc_count(struct store *st, const struct principal *p, const struct svc_query *q,
                      int64_t *count_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    enum mz_err rc = to_store_query(q, &sq, added_after, err);

    if (rc)
        return rc;
    sq.limit = 0;
    tlp_visibility(p, &vis);
    return store_count(st, &vis, &sq, count_out, err);
}

struct get_ctx {
    const struct principal *p;
    svc_row_fn fn;
    void *ctx;
    int n;
};

static int get_row(void *vctx, const struct store_row *row)
{
    struct get_ctx *c = vctx;
    struct tlp_meta m = {row->tlp, row->owner_org, row->submitter, row->audience};

    if (!tlp_can_read(c->p, &m)) {
        MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
        return 0;
    }
    c->n++;
    return c->fn(c->ctx, row);
}

enum mz_err svc_get(struct store *st, const struct principal *p, const char *id,
                    int all_versions, svc_row_fn fn, void *ctx, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    struct get_ctx c = {p, fn, ctx, 0};
    enum mz_err rc;

    if (!stix_id_valid(id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)", id);
    memset(&sq, 0, sizeof sq);
    sq.id = id;
    sq.tlp = -1;
    sq.all_versions = 1;
    sq.order = all_versions ? STORE_ORDER_ADDED : STORE_ORDER_NEWEST;
    sq.limit = all_versions ? 0 : 1;
    tlp_visibility(p, &vis);
    rc = store_list(st, &vis, &sq, get_row, &c, NULL, err);
    if (!rc && c.n == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object with id '%.80s' is visible to you", id);
    return rc;
}

struct export_ctx {
    svc_write_fn write;
    void *ctx;
    size_t n;
    unsigned used;    /* bit per TLP level whose marking an exported object uses */
    unsigned present; /* bit per TLP level whose marking definition was exported */
    int failed;
};

/* Write one object, opening the "objects" list before the first (STIX forbids an
 * empty list, so a bundle with nothing visible has no "objects" at all). */
static int export_emit(struct export_ctx *c, const char *data, size_t len)
{
    const char *sep = c->n ? ",\n" : ",\"objects\":[\n";

    if (c->write(c->ctx, sep, strlen(sep)) || c->write(c->ctx, data, len)) {
        c->failed = 1;
        return 1;
    }
    c->n++;
    return 0;
}

static int export_row(void *vctx, const struct store_row *row)
{
    struct export_ctx *c = vctx;

    if (export_emit(c, row->body, row->body_len))
        return 1;
    if (!row->tlp_defaulted)
        c->used |= 1u << row->tlp;
    if (!strcmp(row->type, "marking-definition") && tlp_from_marking_id(row->stix_id) >= 0)
        c->present |= 1u << tlp_from_marking_id(row->stix_id);
    return 0;
}

enum mz_err svc_export(struct store *st, const struct principal *p, const struct svc_query *q,
                       svc_write_fn write, void *ctx, size_t *n_objects_out,
                       struct mz_error *err)
{
    struct svc_query all = *q;
    struct export_ctx c = {write, ctx, 0, 0, 0, 0};
    char uuid[MZ_UUID_STRLEN], head[96], next[CURSOR_STRLEN];
    enum mz_err rc;

    all.limit = 0;
    all.next = NULL;
    mz_uuid_v4(uuid);
    snprintf(head, sizeof head, "{\"type\":\"bundle\",\"id\":\"bundle--%s\"", uuid);
    if (write(ctx, head, strlen(head)))
        return mz_error_set(err, MZ_EIO, "", "export: write failed");
    rc = svc_list(st, p, &all, export_row, &c, next, err);
    /* The TLP 2.0 marking definitions the objects use travel with them. */
    for (int l = 0; !rc && !c.failed && l < TLP_N_LEVELS; l++) {
        const char *m = tlp_marking_json((enum tlp_level)l);
        if ((c.used & (1u << l)) && !(c.present & (1u << l)))
            export_emit(&c, m, strlen(m));
    }
    if (!rc && (c.failed || write(ctx, c.n ? "\n]}\n" : "}\n", c.n ? 4 : 2)))
        rc = mz_error_set(err, MZ_EIO, "", "export: write failed");
    if (!rc && n_objects_out)
        *n_objects_out = c.n;
    return rc;
}
