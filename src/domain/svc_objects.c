/* domain/svc_objects.c - reading STIX objects under TLP (writing is svc_ingest.c).
 * Reads ask the store with the reader's grants (tlp_visibility) and then check
 * every row again with tlp_can_read, so that no row reaches a reader unless the one
 * TLP function says so. Under the id of a standard marking definition (rules/tlp.h)
 * only the standard's text is ever served, whatever a row holds (a copy stored
 * before copies were checked may say anything). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/cursor.h"
#include "rules/stix.h"
#include "domain/svc.h"
#include "domain/svc_cursor.h"
#include "rules/tlp.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid.h"

/* q as the store runs it for p: filters checked and normalised, and the position of
 * q->next, which must be a token sealed for p and this query (svc_cursor.h). The
 * page key is read only when a token is given; *key_read says whether it was. */
static enum mz_err to_store_query(struct store *st, const struct principal *p, const struct svc_query *q,
                                  struct store_query *sq, char *added_after,
                                  unsigned char key[SVC_CURSOR_KEY_LEN], int *key_read, struct mz_error *err)
{
    enum mz_err rc;

    *key_read = 0;
    memset(sq, 0, sizeof *sq);
    sq->types = q->types;
    sq->n_types = q->n_types;
    sq->id = q->id;
    sq->created_by = q->created_by;
    sq->node_only = q->node_only;
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
    if (!q->next)
        return MZ_OK;
    rc = svc_cursor_key(st, key, err);
    if (rc)
        return rc;
    *key_read = 1;
    return svc_cursor_open(key, p, sq, q->next, &sq->after_seq, err);
}

/* The row as it is served: rows under a standard marking definition's id carry the
 * standard's text (in *tmp, which must outlive the use of the result). */
static const struct store_row *served(const struct store_row *row, struct store_row *tmp)
{
    int i;

    if (strcmp(row->type, "marking-definition") != 0 || (i = tlp_standard_index(row->stix_id)) < 0)
        return row;
    *tmp = *row;
    tmp->stix_id = tlp_standard_id(i);
    tmp->body = tlp_standard_json(i);
    tmp->body_len = strlen(tmp->body);
    return tmp;
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
    struct store_row tmp;

    c->last_seq = row->seq;
    if (!tlp_can_read(c->p, &m)) {
        /* The store's prefilter and tlp_can_read disagree: a bug. Withhold the row. */
        MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
        return 0;
    }
    if (c->fn(c->ctx, served(row, &tmp))) {
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
    unsigned char key[SVC_CURSOR_KEY_LEN];
    int more = 0, key_read = 0;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    if (!rc) {
        tlp_visibility(p, &vis);
        rc = store_list(st, &vis, &sq, list_row, &c, &more, err);
    }
    next_out[0] = '\0';
    if (!rc && (more || c.stopped) && !key_read)
        rc = svc_cursor_key(st, key, err);
    if (!rc && (more || c.stopped))
        svc_cursor_seal(key, p, &sq, c.last_seq, next_out);
    svc_cursor_forget(key);
    return rc;
}

enum mz_err svc_count(struct store *st, const struct principal *p, const struct svc_query *q,
                      int64_t *count_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    unsigned char key[SVC_CURSOR_KEY_LEN];
    int key_read;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    svc_cursor_forget(key);
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
    struct store_row tmp;

    if (!tlp_can_read(c->p, &m)) {
        MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
        return 0;
    }
    c->n++;
    return c->fn(c->ctx, served(row, &tmp));
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
    unsigned present; /* bit per standard marking definition exported (tlp_standard_index;
                         those of TLP 2.0 are numbered as the levels) */
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
    int i = strcmp(row->type, "marking-definition") ? -1 : tlp_standard_index(row->stix_id);

    /* rows reach here as served(): under a standard id, the standard's text, written
     * once however many members stored a copy */
    if (i >= 0 && (c->present & (1u << i)))
        return 0;
    if (export_emit(c, row->body, row->body_len))
        return 1;
    if (!row->tlp_defaulted)
        c->used |= 1u << row->tlp;
    if (i >= 0)
        c->present |= 1u << i;
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

enum mz_err svc_query_types(struct svc_query *q, struct svc_types *t, const char *list, struct mz_error *err)
{
    size_t len = strlen(list), n = 0;
    char *p, *save = NULL;

    if (len >= sizeof t->buf)
        return mz_error_set(err, MZ_EINVAL, "type", "the type filter is longer than %zu bytes", sizeof t->buf - 1);
    memcpy(t->buf, list, len + 1);
    for (p = strtok_r(t->buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == SVC_MAX_TYPES)
            return mz_error_set(err, MZ_EINVAL, "type", "at most %d types may be asked for at once", SVC_MAX_TYPES);
        t->v[n++] = p;
    }
    if (!n)
        return mz_error_set(err, MZ_EINVAL, "type", "the type filter must name at least one STIX type");
    q->types = t->v;
    q->n_types = n;
    return MZ_OK;
}
