/* api/api_objects.c - /api/v1/objects, /api/v1/objects/{id}, /api/v1/count and
 * /api/v1/export: query parameters in, svc_* calls, JSON out. Objects are served
 * as the exact bytes received; only the envelope is written here. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/campaign.h"
#include "fmt/cursor.h"
#include "rules/observe.h"
#include "domain/svc.h"
#include "rules/tlp.h"
#include "util/log.h"


struct query_args {
    struct svc_query q;
    struct svc_types types;
    int meta; /* meta=true: the reply says who submitted each object, and more (R9) */
};

/* meta=true|false (default false): a list reply's "meta". It costs the reply about
 * half its size again, so a client asks for it. */
static enum mz_err parse_meta(struct api_req *r, int *out, struct mz_error *err)
{
    const char *v = api_arg(r, "meta");

    if (v && strcmp(v, "true") && strcmp(v, "false"))
        return mz_error_set(err, MZ_EINVAL, "meta", "meta is true or false");
    *out = v && !strcmp(v, "true");
    return MZ_OK;
}

static enum mz_err parse_limit(struct api_req *r, const char *s, long *out, struct mz_error *err)
{
    long max = r->node->conf.api_page_max;
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end || v < 1 || v > max)
        return mz_error_set(err, MZ_EINVAL, "limit", "limit must be an integer from 1 to %ld", max);
    *out = v;
    return MZ_OK;
}

/* Filters shared by list, count and export. */
static enum mz_err parse_query(struct api_req *r, struct query_args *a, struct mz_error *err)
{
    const char *v;
    enum mz_err rc = MZ_OK;

    memset(a, 0, sizeof *a);
    a->q.tlp = -1;
    a->q.limit = r->node->conf.api_page_default;
    a->q.work = r->node->conf.api_page_work;
    if ((v = api_arg(r, "type")))
        rc = svc_query_types(&a->q, &a->types, v, err);
    if (!rc && (v = api_arg(r, "tlp")) && (a->q.tlp = tlp_parse(v)) < 0)
        rc = mz_error_set(err, MZ_EINVAL, "tlp", "tlp must be clear, green, amber, amber+strict or red");
    if (!rc && (v = api_arg(r, "limit")))
        rc = parse_limit(r, v, &a->q.limit, err);
    if (!rc && (v = api_arg(r, "version"))) {
        if (!strcmp(v, "all"))
            a->q.all_versions = 1;
        else if (strcmp(v, "last") != 0)
            rc = mz_error_set(err, MZ_EINVAL, "version", "version must be 'last' or 'all'");
    }
    a->q.id = api_arg(r, "id");
    a->q.created_by = api_arg(r, "created_by");
    a->q.submitted_by = api_arg(r, "submitted_by");
    a->q.added_after = api_arg(r, "added_after");
    a->q.next = api_arg(r, "next");
    a->q.community = api_arg(r, "community");
    if (!rc)
        rc = parse_meta(r, &a->meta, err);
    return rc;
}

struct page {
    struct mz_buf out;
    struct mz_buf meta; /* "meta": one entry per object, in the same order (R9) */
    int with_meta;
    size_t n;
    int failed;
};

/* What the reply says of each object beside its body, which stays as received
 * (docs/model.md R9): {"id","version","submitted_by","tlp","tlp_defaulted","date_added"}. */
static enum mz_err put_meta(struct mz_buf *b, const struct store_row *row, int first)
{
    /* ids, versions, identities and date_added were validated or made by the node:
     * ASCII without quotes */
    mz_buf_printf(b, "%s{\"id\":\"%s\",\"version\":\"%s\",\"submitted_by\":\"%s\",\"tlp\":\"%s\","
                     "\"tlp_defaulted\":%s",
                  first ? "" : ",", row->stix_id, row->version, row->submitted_by ? row->submitted_by : "",
                  tlp_name((enum tlp_level)row->tlp), row->tlp_defaulted ? "true" : "false");
    if (row->tlp_inherited)
        mz_buf_puts(b, ",\"tlp_inherited\":true");
    return mz_buf_printf(b, ",\"date_added\":\"%s\"}", row->date_added);
}

static int page_row(void *ctx, const struct store_row *row)
{
    struct page *pg = ctx;

    if ((pg->n && mz_buf_putc(&pg->out, ',')) || mz_buf_append(&pg->out, row->body, row->body_len) ||
        (pg->with_meta && put_meta(&pg->meta, row, pg->n == 0))) {
        pg->failed = 1;
        return 1;
    }
    pg->n++;
    return 0;
}

typedef enum mz_err (*lister_fn)(struct store *st, const struct principal *p, const struct svc_query *q,
                                 svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err);

static enum MHD_Result reply_list(struct api_req *r, struct query_args *a, const char *id_for_get,
                                  lister_fn list);

/* Run a list query and answer {"objects":[…],"more":bool,"next":"…"}. */
static enum MHD_Result reply_page(struct api_req *r, struct query_args *a, const char *id_for_get)
{
    return reply_list(r, a, id_for_get, svc_list);
}

static enum MHD_Result reply_list(struct api_req *r, struct query_args *a, const char *id_for_get,
                                  lister_fn list)
{
    struct mz_error err;
    struct page pg = {{0}, {0}, a->meta, 0, 0};
    char next[CURSOR_STRLEN];
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    mz_buf_init(&pg.out, api_reply_limit(r));
    mz_buf_init(&pg.meta, api_reply_limit(r));
    mz_buf_puts(&pg.out, "{\"objects\":[");
    st = node_store_acquire(r->node);
    if (id_for_get) {
        rc = svc_get(st, &r->who, id_for_get, 1, page_row, &pg, &err);
        next[0] = '\0';
    } else {
        rc = list(st, &r->who, &a->q, page_row, &pg, next, &err);
    }
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&pg.out);
        mz_buf_free(&pg.meta);
        return api_reply_error(r, &err);
    }
    /* A row or the closing that did not fit is latched in pg.out: api_reply then
     * answers 413 (http.max_reply) instead of a reply cut short. */
    mz_buf_putc(&pg.out, ']');
    if (pg.with_meta) {
        mz_buf_puts(&pg.out, ",\"meta\":[");
        if (mz_buf_status(&pg.meta))
            mz_buf_reserve(&pg.out, pg.out.limit + 1); /* latched: the same 413 */
        else if (pg.meta.len)
            mz_buf_append(&pg.out, pg.meta.data, pg.meta.len);
        mz_buf_putc(&pg.out, ']');
    }
    mz_buf_free(&pg.meta);
    mz_buf_printf(&pg.out, ",\"more\":%s", next[0] ? "true" : "false");
    if (next[0])
        mz_buf_printf(&pg.out, ",\"next\":\"%s\"", next);
    mz_buf_puts(&pg.out, "}\n");
    return api_reply(r, 200, &pg.out, "application/json");
}

enum MHD_Result api_objects_list(struct api_req *r)
{
    struct query_args a;
    struct mz_error err;

    mz_error_clear(&err);
    if (parse_query(r, &a, &err))
        return api_reply_error(r, &err);
    return reply_page(r, &a, NULL);
}

struct one {
    struct mz_buf out;
    int tlp, defaulted, inherited;
    char submitted_by[STORE_IDENT_LEN + STORE_NAME_LEN + 8];
};

static int one_row(void *ctx, const struct store_row *row)
{
    struct one *o = ctx;

    o->tlp = row->tlp;
    o->defaulted = row->tlp_defaulted;
    o->inherited = row->tlp_inherited;
    /* "identity--… (me-cirt)"; handles are [a-z0-9.-], identities validated: a header's
     * value as they are */
    if (row->submitted_by && row->submitted_by[0])
        snprintf(o->submitted_by, sizeof o->submitted_by, "%s (%s)", row->submitted_by, row->submitted_by_name);
    else
        snprintf(o->submitted_by, sizeof o->submitted_by, "%s", row->submitted_by_name ? row->submitted_by_name : "");
    mz_buf_append(&o->out, row->body, row->body_len);
    return 1;
}

enum MHD_Result api_object_get(struct api_req *r)
{
    struct mz_error err;
    struct one o;
    struct store *st;
    const char *version = api_arg(r, "version");
    enum mz_err rc;

    mz_error_clear(&err);
    {
        /* /api/v1/objects/{id}/correlations, /api/v1/objects/{id}/withdrawals */
        const char *slash = strchr(r->route_arg, '/');
        if (slash) {
            char id[300];
            int corr = !strcmp(slash, "/correlations"), wd = !strcmp(slash, "/withdrawals");
            if ((!corr && !wd) || (size_t)(slash - r->route_arg) >= sizeof id)
                return api_fail(r, MZ_ENOTFOUND, "", "no such endpoint: %s (see docs/api.md)", r->path);
            memcpy(id, r->route_arg, (size_t)(slash - r->route_arg));
            id[slash - r->route_arg] = '\0';
            return corr ? api_object_correlations(r, id) : api_object_withdrawals(r, id);
        }
    }
    if (version && !strcmp(version, "all")) {
        struct query_args a;
        memset(&a, 0, sizeof a);
        if (parse_meta(r, &a.meta, &err))
            return api_reply_error(r, &err);
        return reply_page(r, &a, r->route_arg);
    }
    if (version && strcmp(version, "last") != 0)
        return api_fail(r, MZ_EINVAL, "version", "version must be 'last' or 'all'");
    mz_buf_init(&o.out, api_reply_limit(r));
    o.submitted_by[0] = '\0';
    st = node_store_acquire(r->node);
    rc = svc_get(st, &r->who, r->route_arg, 0, one_row, &o, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&o.out);
        return api_reply_error(r, &err);
    }
    mz_buf_putc(&o.out, '\n');
    /* The TLP decision travels in headers, since the body is the object as received. */
    snprintf(r->tlp_header, sizeof r->tlp_header, "%s%s", tlp_label((enum tlp_level)o.tlp),
             o.defaulted ? "; defaulted" : o.inherited ? "; inherited" : "");
    snprintf(r->submitted_by_header, sizeof r->submitted_by_header, "%s", o.submitted_by);
    return api_reply(r, 200, &o.out, "application/json");
}

/* GET /api/v1/campaigns: the regional-campaign groupings the node recorded. */
enum MHD_Result api_campaigns_list(struct api_req *r)
{
    struct query_args a;
    struct mz_error err;

    mz_error_clear(&err);
    if (parse_query(r, &a, &err))
        return api_reply_error(r, &err);
    return reply_list(r, &a, NULL, campaign_list);
}

enum MHD_Result api_objects_count(struct api_req *r)
{
    struct query_args a;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    int64_t n = 0;
    enum mz_err rc;

    mz_error_clear(&err);
    if (parse_query(r, &a, &err))
        return api_reply_error(r, &err);
    st = node_store_acquire(r->node);
    rc = svc_count(st, &r->who, &a.q, &n, &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 256);
    mz_buf_printf(&b, "{\"count\":%lld}\n", (long long)n);
    return api_reply(r, 200, &b, "application/json");
}

/* An export is streamed: libmicrohttpd asks for the bundle a piece at a time, and
 * the domain's cursor (svc_export_next) reads each piece from the store, so no
 * export is ever whole in memory. A piece holds whole objects, at most
 * http.max_reply bytes (about 256 KiB, or less when http.max_reply is smaller).
 *
 * The store connection: an export reads from one snapshot (a read transaction),
 * which it must keep until its last piece is sent, however slowly the client reads.
 * So it does not borrow a connection of the pool (a few slow exports would stall
 * every other request) but one of the node's export connections, of which there are
 * http.max_exports: when all are taken the export is refused at once (503), never
 * queued. One client may have only http.max_exports_per_client of them, counted for
 * its address and for its user, and its organisation http.max_exports_per_org
 * (http_client.c's shares; 429), so that one slow reader cannot hold them all, and
 * http.exports_reserve of them are kept for clients that have none under way (503); and an export must be sent within
 * http.export_timeout of its start, or the connection is shut down (http_client.c's
 * deadline), which ends the snapshot that was keeping SQLite's write-ahead log from
 * being checkpointed. A failure once the reply has started (the status line is gone),
 * and the deadline, close the connection without the chunked encoding's last chunk,
 * so the client sees an incomplete transfer, never a bundle that looks whole. */
#define EXPORT_PIECE (256u << 10)

struct export_stream {
    struct api_stream base;
    struct node *node;
    struct store *st;       /* an export connection, held until the stream is freed */
    struct http_share share; /* the client's count of exports, held as long */
    struct svc_export *x;
    struct mz_buf piece;    /* the piece being sent */
    size_t off;             /* how much of it is sent */
    size_t target;
    int done;               /* the last piece has been read */
    char req_id[17];
};

/* Give back what the export holds: its snapshot, its export connection and the
 * client's share. Done when the last piece has been read, before libmicrohttpd
 * sends the chunked encoding's last chunk, so a client that starts its next export
 * as soon as it has this one whole is never refused for a share it no longer
 * holds; and again (a no-op then) when the stream is freed. */
static void export_finish(struct export_stream *s)
{
    if (s->x)
        svc_export_close(s->x);
    s->x = NULL;
    if (s->st)
        node_export_release(s->node, s->st);
    s->st = NULL;
    http_client_share_give(&s->share, s->share.held);
}

static long export_read(struct api_stream *bs, char *buf, size_t max)
{
    struct export_stream *s = (struct export_stream *)(void *)bs;
    struct mz_error err;
    size_t n;

    while (s->off == s->piece.len) {
        char msg[MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];
        if (s->done) {
            export_finish(s);
            return API_STREAM_END;
        }
        mz_buf_reset(&s->piece);
        s->off = 0;
        mz_error_clear(&err);
        if (svc_export_next(s->x, &s->piece, s->target, &s->done, &err)) {
            MZ_LOG(MZ_LOG_WARN, "event=export_failed req=%s objects=%zu msg=\"%s\"", s->req_id,
                   svc_export_count(s->x), mz_log_quote(err.msg, msg, sizeof msg));
            return API_STREAM_ERROR;
        }
    }
    n = s->piece.len - s->off < max ? s->piece.len - s->off : max;
    memcpy(buf, s->piece.data + s->off, n);
    s->off += n;
    return (long)n;
}

static void export_free(struct api_stream *bs)
{
    struct export_stream *s = (struct export_stream *)(void *)bs;

    export_finish(s);
    mz_buf_free(&s->piece);
    free(s);
}

/* Take one of the client's exports (http.max_exports_per_client), then an export
 * connection (http.max_exports) for s: MZ_OK, or the refusal in err (429, 503) with
 * nothing held. */
static enum mz_err export_admit(struct api_req *r, struct export_stream *s, struct mz_error *err)
{
    const struct mz_conf *c = &r->node->conf;
    long max = c->http_max_exports_per_client;
    /* every unauthenticated client together: a share of its own, 1 by default, so that
     * unauthenticated requests and one key do not hold two organisations' worth */
    long org_max = r->who.role == ROLE_NONE ? c->http_max_exports_public : c->http_max_exports_per_org;
    enum http_share_rc over;
    char user[MZ_LOG_ESC_LEN(STORE_NAME_LEN)], org[MZ_LOG_ESC_LEN(STORE_NAME_LEN)];

    http_client_share_init(&s->share, r, "export", (size_t)max, (size_t)org_max, "export all",
                           (size_t)c->http_max_exports, (size_t)c->http_exports_reserve);
    over = http_client_share_take(&s->share, 1);
    if (over == HTTP_SHARE_ADDR)
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many exports under way from %s: one client may have %ld at once "
                            "(http.max_exports_per_client); retry when one has finished",
                            r->client_id, max);
    if (over == HTTP_SHARE_USER)
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many exports under way by %s: one user may have %ld at once "
                            "(http.max_exports_per_client); retry when one has finished",
                            mz_log_esc(r->who.user.name, user, sizeof user), max);
    if (over == HTTP_SHARE_ORG && r->who.role == ROLE_NONE)
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many exports under way by unauthenticated clients: together they may have %ld "
                            "at once (http.max_exports_public); retry when one has finished, or authenticate",
                            org_max);
    if (over == HTTP_SHARE_ORG)
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many exports under way by organisation %s: one organisation may have %ld at once "
                            "(http.max_exports_per_org); retry when one has finished",
                            mz_log_esc(r->who.org.name, org, sizeof org), c->http_max_exports_per_org);
    if (over == HTTP_SHARE_OK)
        s->st = node_export_acquire(r->node);
    if (!s->st) {
        http_client_share_give(&s->share, 1);
        return mz_error_set(err, MZ_EBUSY, "",
                            "too many exports at once (http.max_exports = %ld, of which http.exports_reserve = %ld "
                            "only for clients with none under way), retry; or page through /api/v1/objects",
                            c->http_max_exports, c->http_exports_reserve);
    }
    return MZ_OK;
}

enum MHD_Result api_export(struct api_req *r)
{
    struct query_args a;
    struct mz_error err;
    struct export_stream *s;
    enum mz_err rc;
    enum MHD_Result ret;

    mz_error_clear(&err);
    if (parse_query(r, &a, &err))
        return api_reply_error(r, &err);
    {
        const char *w = api_arg(r, "with_submitted_by");
        if (w && strcmp(w, "true") && strcmp(w, "false"))
            return api_fail(r, MZ_EINVAL, "with_submitted_by", "with_submitted_by is true or false");
        a.q.with_submitted_by = w && !strcmp(w, "true");
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return api_fail(r, MZ_ENOMEM, "", "out of memory; retry");
    s->base.read = export_read;
    s->base.free = export_free;
    s->node = r->node;
    s->target = api_reply_limit(r) < EXPORT_PIECE ? api_reply_limit(r) : EXPORT_PIECE;
    memcpy(s->req_id, r->req_id, sizeof s->req_id);
    mz_buf_init(&s->piece, api_reply_limit(r));
    if (export_admit(r, s, &err)) {
        mz_buf_free(&s->piece);
        free(s);
        return api_reply_error(r, &err);
    }
    rc = svc_export_open(s->st, &r->who, &a.q, &s->x, &err);
    /* the first piece before the status line: an error there is still a JSON reply */
    if (!rc)
        rc = svc_export_next(s->x, &s->piece, s->target, &s->done, &err);
    if (rc) {
        if (s->x)
            svc_export_close(s->x);
        node_export_release(r->node, s->st);
        http_client_share_give(&s->share, s->share.held);
        mz_buf_free(&s->piece);
        free(s);
        return api_reply_error(r, &err);
    }
    ret = api_reply_stream(r, 200, &s->base, "application/stix+json;version=2.1");
    if (ret == MHD_YES)
        http_client_deadline(r, HTTP_DEADLINE_EXPORT); /* from now: http.export_timeout */
    return ret;
}

/* The warnings of a write: objects handled as the default marking, each object a
 * granular marking made stricter as a whole, and what docs/model.md has the poster
 * told (R3.4: a narrower version; R1.4: an own copy in place of another owner's). */
static enum mz_err write_warnings(struct mz_buf *b, const struct svc_ingest_result *res)
{
    enum mz_err rc = MZ_OK;
    int first = 1, any = res->n_defaulted || res->n_raised;

    for (size_t i = 0; !any && i < res->n_items; i++)
        any = res->items[i].warn_narrow || res->items[i].warn_copy;
    if (!any)
        return MZ_OK;
    rc = mz_buf_puts(b, ",\"warnings\":[");
    if (!rc && res->n_defaulted) {
        rc = mz_buf_printf(b, "\"%zu object(s) carried no TLP marking and are handled as "
                              "TLP:AMBER+STRICT of your organisation (mark them to share wider)\"",
                           res->n_defaulted);
        first = 0;
    }
    for (size_t i = 0; !rc && i < res->n_items; i++) {
        const struct svc_put_item *it = &res->items[i];
        const char *label = tlp_label((enum tlp_level)it->tlp);
        /* ids were validated (ASCII, no quotes) */
        if (it->tlp_raised && !it->skipped) {
            rc = mz_buf_printf(b, "%s\"%s: a granular marking is %s, so the whole object is handled as %s "
                                  "(parts of an object are never served apart)\"",
                               first ? "" : ",", svc_item_id(res, i), label, label);
            first = 0;
        }
        if (!rc && it->warn_narrow) {
            rc = mz_buf_printf(b, "%s\"%s: this version is narrower than an earlier version: readers of earlier "
                                  "versions keep being served them; withdraw them if they were shared too widely\"",
                               first ? "" : ",", svc_item_id(res, i));
            first = 0;
        }
        if (!rc && it->warn_copy) {
            char w[512];
            snprintf(w, sizeof w, "%s: your organisation now reads its own copy of it in place of %.128s's and "
                                  "will not see %.128s's later versions",
                     svc_item_id(res, i), svc_item_reason(res, i), svc_item_reason(res, i));
            rc = first ? MZ_OK : mz_buf_putc(b, ',');
            rc = rc ? rc : mz_buf_json_str(b, w);
            first = 0;
        }
    }
    return rc ? rc : mz_buf_putc(b, ']');
}

/* The objects not stored because they are another owner's (docs/model.md R1.1). */
static enum mz_err write_skipped(struct mz_buf *b, const struct svc_ingest_result *res)
{
    enum mz_err rc = MZ_OK;
    int first = 1;

    if (!res->n_skipped)
        return MZ_OK;
    rc = mz_buf_puts(b, ",\"skipped\":[");
    for (size_t i = 0; !rc && i < res->n_items; i++) {
        if (!res->items[i].skipped)
            continue;
        rc = mz_buf_printf(b, "%s{\"id\":\"%s\",\"version\":\"%s\",\"reason\":", first ? "" : ",",
                           svc_item_id(res, i), svc_item_version(res, i));
        rc = rc ? rc : mz_buf_json_str(b, svc_item_reason(res, i));
        rc = rc ? rc : mz_buf_putc(b, '}');
        first = 0;
    }
    return rc ? rc : mz_buf_putc(b, ']');
}

static enum mz_err write_result(struct mz_buf *b, const struct svc_ingest_result *res)
{
    size_t n_ok = res->n_items - res->n_skipped;
    int first = 1;
    enum mz_err rc = mz_buf_printf(b,
                                   "{\"status\":\"complete\",\"total_count\":%zu,\"success_count\":%zu,"
                                   "\"new_count\":%zu,\"duplicate_count\":%zu,\"skipped_count\":%zu,"
                                   "\"tlp_defaulted_count\":%zu,\"tlp_inherited_count\":%zu,"
                                   "\"tlp_raised_count\":%zu,\"failure_count\":0",
                                   res->n_items, n_ok, res->n_new, res->n_duplicate, res->n_skipped,
                                   res->n_defaulted, res->n_inherited, res->n_raised);
    if (!rc)
        rc = write_warnings(b, res);
    if (!rc)
        rc = write_skipped(b, res);
    if (!rc)
        rc = mz_buf_puts(b, ",\"successes\":[");
    /* ids and versions were validated (ASCII, no quotes), so they are copied as is;
     * plain appends, since this runs once per object of a bundle */
    for (size_t i = 0; !rc && i < res->n_items; i++) {
        const struct svc_put_item *it = &res->items[i];
        if (it->skipped)
            continue;
        rc = mz_buf_puts(b, first ? "{\"id\":\"" : ",{\"id\":\"");
        first = 0;
        rc = rc ? rc : mz_buf_puts(b, svc_item_id(res, i));
        rc = rc ? rc : mz_buf_puts(b, "\",\"version\":\"");
        rc = rc ? rc : mz_buf_puts(b, svc_item_version(res, i));
        rc = rc ? rc : mz_buf_puts(b, "\",\"tlp\":\"");
        rc = rc ? rc : mz_buf_puts(b, tlp_name((enum tlp_level)it->tlp));
        rc = rc ? rc : mz_buf_puts(b, it->tlp_defaulted ? "\",\"tlp_defaulted\":true" : "\",\"tlp_defaulted\":false");
        if (!rc && it->tlp_inherited)
            rc = mz_buf_puts(b, ",\"tlp_inherited\":true");
        rc = rc ? rc : mz_buf_puts(b, it->tlp_raised ? ",\"tlp_raised\":true" : ",\"tlp_raised\":false");
        rc = rc ? rc : mz_buf_puts(b, it->duplicate ? ",\"duplicate\":true" : ",\"duplicate\":false");
        if (!rc && it->match_plan >= 0) {
            /* how the indicator engine will match it (docs/api.md) */
            rc = mz_buf_puts(b, ",\"match\":\"");
            rc = rc ? rc : mz_buf_puts(b, observe_plan_name((enum observe_plan)it->match_plan));
            rc = rc ? rc : mz_buf_putc(b, '"');
        }
        rc = rc ? rc : mz_buf_putc(b, '}');
    }
    if (!rc)
        rc = mz_buf_puts(b, "]}\n");
    return rc;
}

enum MHD_Result api_objects_post(struct api_req *r)
{
    struct svc_ingest_result res;
    struct bundle_limits lim = {r->node->conf.http_max_depth, r->node->conf.http_max_objects,
                                 r->node->conf.ingest_max_future_skew, r->node->conf.ingest_max_versions, 0, 0, 0,
                                 r->node->conf.ingest_max_objects_per_org,
                                 r->node->conf.ingest_max_versions_per_org_id, NULL, 0, 0};
    const char *author = api_arg(r, "author"), *narrow = api_arg(r, "narrow_revocation");
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    /* docs/model.md R9 and R3.4: what the poster asks of this write */
    if (author && strcmp(author, "self"))
        return api_fail(r, MZ_EINVAL, "author", "author may only be 'self': the objects without created_by_ref are "
                                                "your organisation's own");
    if (narrow && strcmp(narrow, "true") && strcmp(narrow, "false"))
        return api_fail(r, MZ_EINVAL, "narrow_revocation", "narrow_revocation is true or false");
    lim.author_self = author != NULL;
    lim.communities = api_arg(r, "community"); /* issue 11: NULL is the national community */
    lim.narrow_revocation = narrow && !strcmp(narrow, "true");
    if (r->body.len == 0)
        return api_fail(r, MZ_EINVAL, "", "the request body is empty; send a STIX 2.1 bundle or object");
    st = node_store_acquire(r->node);
    rc = svc_ingest(st, &r->who, r->body.data, r->body.len, &lim, &res, &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    /* The report of a write that is already durable is not held to http.max_reply: a
     * client must learn that its write succeeded. Each item's line is bounded (ids and
     * versions were validated), so the input's own limits bound the report. */
    mz_buf_init(&b, 4096 + res.n_items * 1024);
    rc = write_result(&b, &res);
    svc_ingest_result_free(&res);
    if (rc) {
        mz_buf_free(&b);
        return api_fail(r, rc, "", "the write succeeded but its report is too large to send");
    }
    return api_reply(r, 201, &b, "application/json");
}
