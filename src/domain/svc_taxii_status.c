/* domain/svc_taxii_status.c - the TAXII 2.1 server's writes (issue 11 work package 3,
 * docs/federation.md 8.2): POST of an envelope into a community's collection, the
 * status resource it answers with (kept in the store's taxii_status table for its
 * poster, taxii.status_keep seconds), and DELETE of an object.
 *
 * How it fits: api/api_taxii_write.c calls one function here per request. The POST
 * is svc_ingest's per-object mode (svc_ingest.c: one transaction, a savepoint per
 * object, every rule of docs/model.md applied as on REST) into the one community
 * the collection is; DELETE is svc_withdraw (R7.5: every version, no `to`, the owner
 * keeps none). What a collection is for the caller - visible, can_read, can_write -
 * is decided here from its organisation's membership and role, as the collections'
 * list shows it (api_taxii.c). The status resource's JSON is written here: it is
 * stored as written and served as stored.
 *
 * Ownership: every string is borrowed for the call; the status goes into the
 * caller's buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "obs/utf8.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define COLLECTION_NAME_MAX 128

/* The collection p names, as p's organisation holds it. */
struct coll_find {
    const char *want;
    int found;
    struct store_community k;
    int can_read, can_write; /* the membership's directions */
};

static int coll_row(void *ctx, const struct store_community *k, const struct store_membership *mine)
{
    struct coll_find *f = ctx;

    /* a node admin lists every community; a collection is only a member's */
    if (!mine->can_read && !mine->can_write)
        return 0;
    if (strcmp(f->want, k->uuid) != 0 && strcmp(f->want, k->name) != 0)
        return 0;
    f->found = 1;
    f->k = *k;
    f->can_read = mine->can_read;
    f->can_write = mine->can_write;
    return 1;
}

static enum mz_err find_collection(struct store *st, const struct principal *p, const char *want,
                                   struct coll_find *f, struct mz_error *err)
{
    enum mz_err rc;

    memset(f, 0, sizeof *f);
    f->want = want;
    if (!want || !*want || strlen(want) > COLLECTION_NAME_MAX)
        return mz_error_set(err, MZ_ENOTFOUND, "", "no such collection (GET /taxii2/api/collections/ lists yours)");
    rc = svc_community_list(st, p, coll_row, f, err);
    if (!rc && !f->found)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no collection '%.64s' (GET /taxii2/api/collections/ lists yours)",
                          want);
    return rc;
}

/* ---- the status resource ---- */

/* Replace each byte of s that starts no well-formed UTF-8 sequence with '?': a
 * message cut at a fixed size (struct mz_error) may end inside a character, and the
 * status is JSON its poster's parser must read. */
static void clean_utf8(char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            s[i++] = '?';
            continue;
        }
        i += k;
    }
}

/* Append one status-details entry {id, version[, message]}. */
static void put_detail(struct mz_buf *b, int first, const char *id, const char *version, const char *message)
{
    mz_buf_puts(b, first ? "{\"id\":" : ",{\"id\":");
    mz_buf_json_str(b, id);
    mz_buf_puts(b, ",\"version\":");
    mz_buf_json_str(b, version);
    if (message && *message) {
        mz_buf_puts(b, ",\"message\":");
        mz_buf_json_str(b, message);
    }
    mz_buf_putc(b, '}');
}

/* What a stored or duplicate item's poster is told beside "success". */
static void success_message(const struct svc_ingest_result *res, size_t i, char *out, size_t cap)
{
    const struct svc_put_item *it = &res->items[i];

    out[0] = '\0';
    if (it->duplicate)
        snprintf(out, cap, "duplicate: this version is already stored");
    else if (it->warn_copy)
        snprintf(out, cap, "stored as your organisation's own copy; %s holds another object of this id",
                 svc_item_reason(res, i));
    else if (it->warn_narrow)
        snprintf(out, cap, "stored; its marking is narrower than an earlier version's, whose readers keep that one");
}

/* Is item i a failure as TAXII counts it (refused, or skipped by R1.1/R6.5)? */
static int is_failure(const struct svc_ingest_result *res, size_t i)
{
    return res->items[i].failed || res->items[i].skipped;
}

static void write_status(struct mz_buf *b, const char *id, const char *requested,
                         const struct svc_ingest_result *res, long max_details)
{
    size_t n_fail = res->n_failed + res->n_skipped, shown = 0, details_from;
    char msg[1200]; /* a reason is at most 1023 bytes (svc_ingest.c) */

    mz_buf_printf(b,
                  "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\",\"total_count\":%zu,"
                  "\"success_count\":%zu,\"failure_count\":%zu,\"pending_count\":0",
                  id, requested, res->n_total, res->n_total - n_fail, n_fail);
    /* the lists together stop at SVC_TAXII_DETAILS_BYTES, so a status (kept 48 h)
     * is small whatever its reasons say: the counts tell the rest */
    details_from = b->len;
    for (int pass = 0; pass < 2; pass++) {
        int any = 0;
        shown = 0;
        for (size_t i = 0; i < res->n_items && (long)shown < max_details &&
                           b->len - details_from < SVC_TAXII_DETAILS_BYTES;
             i++) {
            if (is_failure(res, i) != pass)
                continue;
            if (!any)
                mz_buf_puts(b, pass ? ",\"failures\":[" : ",\"successes\":[");
            if (!pass)
                success_message(res, i, msg, sizeof msg);
            else if (res->items[i].failed)
                snprintf(msg, sizeof msg, "%s", svc_item_reason(res, i));
            else /* R1.1 (another's object) or R6.5 (objects of one id): not stored */
                snprintf(msg, sizeof msg, "skipped: %s", svc_item_reason(res, i));
            clean_utf8(msg);
            put_detail(b, !any, svc_item_id(res, i), svc_item_version(res, i), msg);
            any = 1;
            shown++;
        }
        if (any)
            mz_buf_putc(b, ']');
    }
    mz_buf_puts(b, "}\n");
}

/* Keep the status for its poster: expired rows go first (the next POST deletes
 * them, docs/federation.md 8.2). */
static enum mz_err keep_status(struct store *st, const struct principal *p, const char *id, const char *requested,
                               int64_t now, const struct svc_taxii_post_in *in, const struct mz_buf *b,
                               struct mz_error *err)
{
    struct store_taxii_status row;
    int64_t n_expired = 0, n_dropped = 0;
    enum mz_err rc = store_begin(st, err);

    if (rc)
        return rc;
    row.id = id;
    row.user_id = p->role == ROLE_PEER ? 0 : p->user.id;
    row.node = p->role == ROLE_PEER ? p->peer : 0;
    row.request_timestamp = requested;
    row.expires = now + in->keep;
    row.body = b->data;
    row.body_len = b->len;
    rc = store_taxii_status_expire(st, now, &n_expired, err);
    if (!rc)
        rc = store_taxii_status_put(st, &row, err);
    /* the poster's oldest beyond its rows and bytes go (TAXII 2.1 lets a server
     * expire a status before its time: GET of one is then 404), so that no writer
     * fills the disk with statuses (the fifth re-attack's F1) */
    if (!rc)
        rc = store_taxii_status_trim(st, row.user_id, row.node, in->max_rows > 0 ? in->max_rows : 1,
                                     in->max_bytes > 0 ? in->max_bytes : 1, &n_dropped, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && n_expired)
        MZ_LOG(MZ_LOG_DEBUG, "event=taxii_status_expired rows=%lld", (long long)n_expired);
    if (!rc && n_dropped)
        MZ_LOG(MZ_LOG_INFO, "event=taxii_status_dropped rows=%lld user=%lld node=%lld", (long long)n_dropped,
               (long long)row.user_id, (long long)row.node);
    return rc;
}

/* ---- a peer's push (docs/federation.md 8.2, 10.4) ---- */

/* The details of a peer's page as svc_sync_receive_items tells them: each list at
 * most max entries and SVC_TAXII_DETAILS_BYTES together (the counts tell the rest). */
struct peer_items {
    struct mz_buf ok, bad;
    long max, n_ok_shown, n_bad_shown;
    size_t n_ok, n_bad;
};

static void peer_item(void *ctx, const char *id, const char *version, int duplicate, const char *refusal)
{
    struct peer_items *pi = ctx;
    struct mz_buf *b = refusal ? &pi->bad : &pi->ok;
    long *shown = refusal ? &pi->n_bad_shown : &pi->n_ok_shown;
    char msg[1500];

    if (refusal)
        pi->n_bad++;
    else
        pi->n_ok++;
    if (*shown >= pi->max || pi->ok.len + pi->bad.len >= SVC_TAXII_DETAILS_BYTES)
        return;
    snprintf(msg, sizeof msg, "%s", refusal ? refusal : duplicate ? "duplicate: this version is already stored" : "");
    clean_utf8(msg);
    put_detail(b, *shown == 0, id ? id : "", version ? version : "", msg);
    (*shown)++;
}

/* POST by peer p: the page goes to svc_sync_receive_items (admission as for a pulled
 * page: docs/federation.md 7), in the collection's community, if one of p's
 * organisations is a write-member of it; the status is keyed by p's node. */
static enum mz_err peer_post(struct store *st, const struct principal *p, const struct svc_taxii_post_in *in,
                             const char *requested, const struct mz_time *t, struct mz_buf *out,
                             struct mz_error *err)
{
    struct peer_items pi;
    struct svc_sync_out res;
    struct coll_find f;
    char id[40];
    enum mz_err rc = find_collection(st, p, in->collection, &f, err);

    if (rc)
        return rc;
    if (!f.can_write)
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "your node may not push to collection '%s' (can_write is false): none of its "
                            "organisations is a write-member of this community",
                            f.k.name);
    memset(&pi, 0, sizeof pi);
    pi.max = in->max_details > 0 ? in->max_details : 1;
    mz_buf_init(&pi.ok, SVC_TAXII_DETAILS_BYTES + 4096);
    mz_buf_init(&pi.bad, SVC_TAXII_DETAILS_BYTES + 4096);
    rc = svc_sync_receive_items(st, p, f.k.uuid, in->body, in->body_len, in->lim, peer_item, &pi, &res, err);
    if (!rc) {
        MZ_LOG(MZ_LOG_INFO,
               "event=taxii_peer_post node=%lld collection=%s objects=%ld stored=%ld duplicates=%ld refused=%zu",
               (long long)p->peer, f.k.name, res.objects, res.stored, res.duplicates, pi.n_bad);
        mz_uuid_v4(id);
        mz_buf_printf(out,
                      "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\",\"total_count\":%ld,"
                      "\"success_count\":%zu,\"failure_count\":%zu,\"pending_count\":0",
                      id, requested, res.objects, pi.n_ok, pi.n_bad);
        if (pi.n_bad_shown) {
            mz_buf_puts(out, ",\"failures\":[");
            mz_buf_append(out, pi.bad.data, pi.bad.len);
            mz_buf_putc(out, ']');
        }
        if (pi.n_ok_shown) {
            mz_buf_puts(out, ",\"successes\":[");
            mz_buf_append(out, pi.ok.data, pi.ok.len);
            mz_buf_putc(out, ']');
        }
        mz_buf_puts(out, "}\n");
        if (mz_buf_status(out))
            rc = mz_error_set(err, mz_buf_status(out), "", "the write succeeded but its status is too large to send");
    }
    mz_buf_free(&pi.ok);
    mz_buf_free(&pi.bad);
    if (!rc) {
        struct mz_error kerr;
        mz_error_clear(&kerr);
        if (keep_status(st, p, id, requested, t->sec, in, out, &kerr))
            MZ_LOG(MZ_LOG_WARN, "event=taxii_status_not_kept status=%s error=\"%s\"", id, kerr.msg);
    }
    return rc;
}

enum mz_err svc_taxii_post(struct store *st, const struct principal *p, const struct svc_taxii_post_in *in,
                           struct mz_buf *out, struct mz_error *err)
{
    struct svc_ingest_result res;
    struct bundle_limits lim = *in->lim;
    struct coll_find f;
    struct mz_time t;
    char requested[MZ_TIME_STRLEN], id[40];
    enum mz_err rc;

    mz_time_now(&t);
    mz_time_format_us(&t, requested);
    if (p->role == ROLE_PEER)
        return peer_post(st, p, in, requested, &t, out, err);
    rc = find_collection(st, p, in->collection, &f, err);
    if (rc)
        return rc;
    if (!f.can_write || !authz_allows(p, AUTHZ_OBJECT_WRITE))
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "you may not add objects to collection '%s' (can_write is false): %s", f.k.name,
                            f.can_write ? "your role writes no objects"
                                        : "your organisation is no write-member of this community");
    lim.communities = f.k.name;
    lim.max_details = in->max_details > 0 ? in->max_details : 1; /* items kept: the status shows no more */
    rc = svc_ingest_flags(st, p, in->body, in->body_len, &lim, SVC_INGEST_PER_OBJECT | SVC_INGEST_TAXII_ENVELOPE,
                          &res, err);
    if (rc)
        return rc;
    MZ_LOG(MZ_LOG_INFO, "event=taxii_post collection=%s objects=%zu new=%zu duplicates=%zu failed=%zu", f.k.name,
           res.n_total, res.n_new, res.n_duplicate, res.n_failed + res.n_skipped);
    mz_uuid_v4(id);
    write_status(out, id, requested, &res, in->max_details);
    svc_ingest_result_free(&res);
    if (mz_buf_status(out))
        return mz_error_set(err, mz_buf_status(out), "", "the write succeeded but its status is too large to send");
    /* the objects are committed: a status that cannot be kept is logged, and the
     * reply still tells the poster what became of them */
    {
        struct mz_error kerr;
        mz_error_clear(&kerr);
        if (keep_status(st, p, id, requested, t.sec, in, out, &kerr))
            MZ_LOG(MZ_LOG_WARN, "event=taxii_status_not_kept status=%s error=\"%s\"", id, kerr.msg);
    }
    return MZ_OK;
}

enum mz_err svc_taxii_status_get(struct store *st, const struct principal *p, const char *id, struct mz_buf *out,
                                 struct mz_error *err)
{
    struct mz_time t;
    char *body = NULL;
    size_t len = 0;
    enum mz_err rc;

    if (!id || !mz_uuid_valid(id, strlen(id)))
        return mz_error_set(err, MZ_ENOTFOUND, "", "no such status (a status id is a UUID)");
    mz_time_now(&t);
    rc = store_taxii_status_get(st, id, p->role == ROLE_PEER ? 0 : p->user.id, p->role == ROLE_PEER ? p->peer : 0,
                                t.sec, &body, &len, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "",
                            "no status %s of yours (a status is kept for taxii.status_keep seconds after its POST)",
                            id);
    if (rc)
        return rc;
    mz_buf_append(out, body, len);
    free(body);
    return mz_buf_status(out) ? mz_error_set(err, mz_buf_status(out), "", "the status is too large to send") : MZ_OK;
}

enum mz_err svc_taxii_delete(struct store *st, const struct principal *p, const char *collection, const char *id,
                             const char *versions, struct mz_error *err)
{
    struct svc_withdraw_in in;
    struct svc_withdraw_result res;
    struct coll_find f;
    const char *vs[SVC_WITHDRAW_MAX_VERSIONS];
    struct mz_time vt;
    char vbuf[8192];
    int can_write;
    enum mz_err rc;

    if (p->role == ROLE_PEER)
        return mz_error_set(err, MZ_EFORBIDDEN, "", "peers withdraw through tombstones, not DELETE");
    rc = find_collection(st, p, collection, &f, err);
    if (rc)
        return rc;
    can_write = f.can_write && authz_allows(p, AUTHZ_OBJECT_WRITE);
    if (!f.can_read && !can_write)
        return mz_error_set(err, MZ_ENOTFOUND, "", "no collection '%.64s' (GET /taxii2/api/collections/ lists yours)",
                            collection);
    if (!f.can_read || !can_write)
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "deleting from collection '%s' needs can_read and can_write, and %s is false", f.k.name,
                            f.can_read ? "can_write" : "can_read");
    memset(&in, 0, sizeof in);
    in.id = id;
    in.owner_gives_up = 1; /* R7.5: 404 afterwards for everyone, the owner too */
    /* TAXII 2.1 section 5.7: the object is deleted from this collection; one with
     * no version in it is as absent (404), whatever other collections hold */
    in.comm = (uint64_t)1 << f.k.bit;
    if (versions) {
        size_t n = 0, len = strlen(versions);
        if (len >= sizeof vbuf)
            return mz_error_set(err, MZ_EINVAL, "match[version]", "match[version] is too long");
        memcpy(vbuf, versions, len + 1);
        for (char *tok = vbuf; tok;) {
            char *comma = strchr(tok, ',');
            if (comma)
                *comma = '\0';
            if (!strcmp(tok, "all")) {
                n = 0; /* every version, as without match[version] */
                break;
            }
            if (!strcmp(tok, "first") || !strcmp(tok, "last") || !*tok)
                return mz_error_set(err, MZ_EINVAL, "match[version]",
                                    "DELETE takes match[version] as `all` or the versions' `modified` values "
                                    "(comma-separated), not '%.16s'",
                                    tok);
            if (strlen(tok) > 40 || mz_time_parse(tok, &vt))
                return mz_error_set(err, MZ_EINVAL, "match[version]",
                                    "match[version] takes `all` or versions' `modified` values (RFC 3339, e.g. "
                                    "2025-01-01T00:00:00.000Z), comma-separated; '%.40s' is neither",
                                    tok);
            if (n == SVC_WITHDRAW_MAX_VERSIONS)
                return mz_error_set(err, MZ_EINVAL, "match[version]", "match[version] names more than %d versions",
                                    SVC_WITHDRAW_MAX_VERSIONS);
            vs[n++] = tok;
            tok = comma ? comma + 1 : NULL;
        }
        if (n) {
            in.versions = vs;
            in.n_versions = n;
        }
    }
    rc = svc_withdraw(st, p, &in, &res, err);
    if (rc == MZ_EINVAL && !strncmp(err->field, "/versions/", 10)) {
        /* a version that does not exist, or that p may not read: TAXII's 404 */
        char msg[MZ_ERR_MSG_LEN];
        memcpy(msg, err->msg, sizeof msg);
        return mz_error_set(err, MZ_ENOTFOUND, "match[version]", "%s", msg);
    }
    if (!rc)
        svc_withdraw_result_free(&res);
    return rc;
}
