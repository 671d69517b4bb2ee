/* domain/svc_objects.c - reading STIX objects under TLP (writing is svc_ingest.c).
 * Reads ask the store with the reader's grants (tlp_visibility) and then check
 * every row again with tlp_can_read, so that no row reaches a reader unless the one
 * TLP function says so. Every path serves a reader at most one object per id, the
 * newest version it may read of it (docs/model.md R2-R4): the store hands each id's
 * latest row, and every row of the few ids it marks `cx` (several objects, versions
 * read by different readers, revoked or withdrawn versions), for which model.c makes
 * the choice; filters were applied by the store to the rows, so they apply to the
 * version chosen, never dig out another. Under the id of a standard marking definition (rules/tlp.h)
 * only the standard's text is ever served, whatever a row holds (a copy stored
 * before copies were checked may say anything). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/cursor.h"
#include "rules/stix.h"
#include "domain/model.h"
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
    if (q->submitted_by) {
        /* R9: the owner; an identity that is no organisation's owns nothing here */
        int64_t org = 0, user = 0;
        struct mz_error e;
        if (!stix_id_valid(q->submitted_by, "identity"))
            return mz_error_set(err, MZ_EINVAL, "submitted_by", "submitted_by must be an identity id");
        rc = store_identity_owner(st, q->submitted_by, &org, &user, &e);
        if (rc && rc != MZ_ENOTFOUND) {
            *err = e;
            return rc;
        }
        sq->by_owner = 1;
        sq->owner_org = rc == MZ_OK && user == 0 ? org : -1;
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

/* The model's choice for the ids of one read, kept for the ids seen last: rows of
 * one id come one after another (get) or scattered (lists), and each id is decided
 * once per read. */
#define CHOICE_SLOTS 8
struct choice {
    char id[STORE_IDENT_LEN * 4];
    uint64_t objs;    /* the objects served (R2) */
    int64_t pick;     /* the seq of the version served (R3), or -1 */
    int64_t *readable; /* objs' versions p may read (version=all), heap */
    size_t n_readable;
};

struct chooser {
    struct store *st;
    const struct principal *p;
    struct choice slot[CHOICE_SLOTS];
    int next;
    struct model_id m;
    enum mz_err rc;
    struct mz_error err;
};

static void chooser_free(struct chooser *c)
{
    for (int i = 0; i < CHOICE_SLOTS; i++)
        free(c->slot[i].readable);
    model_free(&c->m);
}

static const struct choice *choose(struct chooser *c, const char *id)
{
    struct choice *ch;
    long v;

    for (int i = 0; i < CHOICE_SLOTS; i++)
        if (c->slot[i].id[0] && !strcmp(c->slot[i].id, id))
            return &c->slot[i];
    ch = &c->slot[c->next];
    c->next = (c->next + 1) % CHOICE_SLOTS;
    free(ch->readable);
    memset(ch, 0, sizeof *ch);
    c->rc = model_load(c->st, id, &c->m, &c->err);
    if (c->rc)
        return NULL;
    snprintf(ch->id, sizeof ch->id, "%s", id);
    ch->objs = model_served_st(c->st, c->p, &c->m);
    v = model_pick(c->p, &c->m, ch->objs);
    ch->pick = v < 0 ? -1 : c->m.v[v].seq;
    ch->readable = calloc(c->m.n ? c->m.n : 1, sizeof *ch->readable);
    if (!ch->readable) {
        c->rc = mz_error_set(&c->err, MZ_ENOMEM, "", "out of memory");
        ch->id[0] = '\0';
        return NULL;
    }
    for (size_t i = 0; i < c->m.n; i++)
        if (c->m.v[i].obj < 64 && (ch->objs >> c->m.v[i].obj & 1u) && model_may_read(c->p, &c->m.v[i]))
            ch->readable[ch->n_readable++] = c->m.v[i].seq;
    return ch;
}

/* Is row what p is served (all: one of the versions of what p is served)? Rows of
 * ids not marked cx are their id's one object's latest version (or, with all, one
 * of its versions), read by the same readers as every other version of it. */
static int is_served(struct chooser *c, const struct store_row *row, int all)
{
    const struct choice *ch;

    if (!row->cx)
        return 1;
    ch = choose(c, row->stix_id);
    if (!ch)
        return -1;
    if (!all)
        return ch->pick == row->seq;
    for (size_t i = 0; i < ch->n_readable; i++)
        if (ch->readable[i] == row->seq)
            return 1;
    return 0;
}

struct list_ctx {
    const struct principal *p;
    svc_row_fn fn;
    void *ctx;
    int64_t last_seq;
    int stopped;
    int all;
    int64_t n;          /* rows served (counts) */
    struct chooser ch;
};

static int list_row(void *vctx, const struct store_row *row)
{
    struct list_ctx *c = vctx;
    struct tlp_meta m = {row->tlp, row->owner_org, row->submitter, row->audience};
    struct store_row tmp;
    int s;

    c->last_seq = row->seq;
    if (!tlp_can_read(c->p, &m)) {
        /* The store's prefilter and tlp_can_read disagree: a bug. Withhold the row. */
        MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
        return 0;
    }
    s = is_served(&c->ch, row, c->all);
    if (s < 0)
        return 1; /* c->ch.rc says why */
    if (!s)
        return 0;
    c->n++;
    if (c->fn && c->fn(c->ctx, served(row, &tmp))) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

static void list_init(struct list_ctx *c, struct store *st, const struct principal *p, svc_row_fn fn, void *ctx,
                      int all)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->fn = fn;
    c->ctx = ctx;
    c->all = all;
    c->ch.st = st;
    c->ch.p = p;
    mz_error_clear(&c->ch.err);
}

enum mz_err svc_list(struct store *st, const struct principal *p, const struct svc_query *q,
                     svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    struct list_ctx c;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    int more = 0, key_read = 0;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    list_init(&c, st, p, fn, ctx, q->all_versions);
    if (!rc) {
        tlp_visibility(p, &vis);
        rc = store_list(st, &vis, &sq, list_row, &c, &more, err);
    }
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
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
    struct list_ctx c;
    int key_read;
    int64_t plain = 0;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    svc_cursor_forget(key);
    if (rc)
        return rc;
    sq.limit = 0;
    tlp_visibility(p, &vis);
    /* R4: the size of the list - the plain ids counted by the store, the ids that need
     * the choice walked */
    sq.cx = STORE_CX_PLAIN;
    rc = store_count(st, &vis, &sq, &plain, err);
    if (rc)
        return rc;
    list_init(&c, st, p, NULL, NULL, q->all_versions);
    sq.cx = STORE_CX_CHOICE;
    rc = store_list(st, &vis, &sq, list_row, &c, NULL, err);
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
    if (!rc)
        *count_out = plain + c.n;
    return rc;
}

enum mz_err svc_get(struct store *st, const struct principal *p, const char *id,
                    int all_versions, svc_row_fn fn, void *ctx, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    struct list_ctx c;
    enum mz_err rc;

    if (!stix_id_valid(id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)", id);
    memset(&sq, 0, sizeof sq);
    sq.id = id;
    sq.tlp = -1;
    sq.all_versions = all_versions;
    sq.order = STORE_ORDER_ADDED;
    list_init(&c, st, p, fn, ctx, all_versions);
    tlp_visibility(p, &vis);
    rc = store_list(st, &vis, &sq, list_row, &c, NULL, err);
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
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
