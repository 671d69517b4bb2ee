/* domain/svc_sync_push.c - the domain side of push (issue 11, docs/federation.md
 * 10.4; the calls in svc_sync.h): which collections a peer is pushed, the next page
 * of each, and the push bookmark once the peer has the page.
 *
 * A push page is exactly what the peer would pull: svc_taxii_read (domain/
 * svc_taxii.c) as the peer's own principal (svc_node_principal: its organisations'
 * identities, the communities where it hosts a member), so the same svc_list query,
 * the same TLP decision (tlp_can_read) and the same rule that a peer reads only
 * versions posted here (via = 0: nothing received is sent on). Nothing here talks to
 * the network (fed/fed_push.c POSTs the page) and the page is read only: the
 * bookmark moves in svc_sync_push_done, after the peer's 202 with status complete,
 * so a run stopped between the two sends the page again (the peer answers
 * duplicates). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/svc_int.h"
#include "domain/svc_sync.h"
#include "domain/svc_taxii.h"
#include "fmt/taxii.h"
#include "util/timefmt.h"

struct push_fill {
    struct svc_sync_push_plan *pl;
    uint64_t read; /* a mreza peer: the communities where it hosts a read-member */
    int taxii;
};

static struct svc_sync_push_sub *push_add(struct svc_sync_push_plan *pl, const char *key)
{
    struct svc_sync_push_sub *s;
    size_t n = strlen(key), k = strlen(SVC_SYNC_DIRECT_KEY);

    if (pl->n >= SVC_SYNC_MAX_SUBS)
        return NULL;
    s = &pl->subs[pl->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->key, sizeof s->key, "%s", key);
    if (n > k && !strcmp(key + n - k, SVC_SYNC_DIRECT_KEY)) {
        snprintf(s->remote, sizeof s->remote, "%.*s", (int)(n - k), key);
        snprintf(s->local, sizeof s->local, "%s", SVC_SYNC_DIRECT);
    } else {
        snprintf(s->remote, sizeof s->remote, "%s", key);
    }
    return s;
}

/* A taxii peer: its push bookmark rows (`peer set --push-collection`), the local
 * community's UUID filled in below. */
struct push_row {
    char remote[64];
    int64_t community;
    char after[40];
};
struct push_rows {
    struct push_row r[SVC_SYNC_MAX_SUBS];
    size_t n;
};

static int push_bookmark(void *ctx, const struct store_bookmark *b)
{
    struct push_rows *rows = ctx;

    if (strcmp(b->direction, "push") || rows->n >= SVC_SYNC_MAX_SUBS)
        return 0;
    snprintf(rows->r[rows->n].remote, sizeof rows->r[0].remote, "%s", b->collection);
    snprintf(rows->r[rows->n].after, sizeof rows->r[0].after, "%s", b->added_after);
    rows->r[rows->n++].community = b->community;
    return 0;
}

struct uuid_of {
    const struct push_rows *rows;
    struct svc_sync_push_plan *pl;
    uint64_t read;
    int taxii;
};

/* A taxii peer's push of its direct view (community 0 in the bookmark). */
static void push_direct(struct uuid_of *u)
{
    struct svc_sync_push_sub *s;

    for (size_t i = 0; i < u->rows->n; i++)
        if (u->rows->r[i].community == 0 && (s = push_add(u->pl, u->rows->r[i].remote)) != NULL) {
            if (strcmp(s->local, SVC_SYNC_DIRECT)) {
                u->pl->n--; /* no community and not the direct view: nothing to push */
                continue;
            }
            snprintf(s->after, sizeof s->after, "%s", u->rows->r[i].after);
        }
}

static int push_community(void *ctx, const struct store_community *c)
{
    struct uuid_of *u = ctx;
    struct svc_sync_push_sub *s;

    if (u->taxii) {
        for (size_t i = 0; i < u->rows->n; i++)
            if (u->rows->r[i].community == c->id && (s = push_add(u->pl, u->rows->r[i].remote)) != NULL) {
                snprintf(s->local, sizeof s->local, "%s", c->uuid);
                snprintf(s->after, sizeof s->after, "%s", u->rows->r[i].after);
            }
        return 0;
    }
    if (c->bit == STORE_COMM_NATIONAL_BIT || !(u->read & ((uint64_t)1 << c->bit)))
        return 0;
    if ((s = push_add(u->pl, c->uuid)) != NULL)
        snprintf(s->local, sizeof s->local, "%s", c->uuid);
    return 0;
}

/* The push plan of peer id, inside the caller's read transaction (a paused peer's
 * too when even_paused: what it would be pushed once resumed). */
static enum mz_err plan_in(struct store *st, int64_t id, int even_paused, struct svc_sync_push_plan *out,
                           struct mz_error *err)
{
    struct store_node *n = calloc(1, sizeof *n);
    struct push_rows *rows = calloc(1, sizeof *rows);
    struct store_bookmark *b = calloc(1, sizeof *b);
    struct uuid_of u;
    uint64_t wr = 0;
    enum mz_err rc = MZ_OK;

    memset(out, 0, sizeof *out);
    memset(&u, 0, sizeof u);
    if (!n || !rows || !b) {
        free(n);
        free(rows);
        free(b);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    rc = store_node_by_id(st, id, n, err);
    if (!rc && id <= 0)
        rc = mz_error_set(err, MZ_EINVAL, "", "this node pushes to its peers, not to itself");
    u.rows = rows;
    u.pl = out;
    u.taxii = !rc && !strcmp(n->kind, "taxii");
    out->mreza = !rc && !u.taxii;
    if (!rc && (!n->paused || even_paused) && strcmp(n->direction, "pull")) {
        if (u.taxii)
            rc = store_bookmarks(st, id, push_bookmark, rows, err);
        else
            rc = store_node_comm(st, id, &u.read, &wr, err);
        if (!rc)
            rc = store_community_list(st, push_community, &u, err);
        if (!rc && u.taxii)
            push_direct(&u);
    }
    /* a mreza peer's bookmarks: where each community's push stands */
    for (size_t i = 0; !rc && out->mreza && i < out->n; i++) {
        enum mz_err brc = store_bookmark_get(st, id, out->subs[i].key, "push", b, err);
        if (brc == MZ_OK)
            snprintf(out->subs[i].after, sizeof out->subs[i].after, "%s", b->added_after);
        else if (brc != MZ_ENOTFOUND)
            rc = brc;
    }
    free(n);
    free(rows);
    free(b);
    return rc;
}

enum mz_err svc_sync_push_plan(struct store *st, const struct principal *p, int64_t id, struct svc_sync_push_plan *out,
                               struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    memset(out, 0, sizeof *out);
    if (!rc)
        rc = store_begin_read(st, err);
    if (rc)
        return rc;
    rc = plan_in(st, id, 0, out, err);
    store_rollback(st);
    return rc;
}

struct push_page {
    struct taxii_list w;
    struct mz_buf meta;
    const struct svc_taxii_page *info;
    int with_meta;
    char *too_big_id; /* the id of the last row, or NULL: at limit 1, one that did not fit (B7) */
};

static int push_row(void *ctx, const struct store_row *row)
{
    struct push_page *pg = ctx;
    enum mz_err rc = taxii_list_object(&pg->w, row->body, row->body_len);

    if (!rc && pg->with_meta && pg->info->with_meta) {
        const char *comms[STORE_COMM_MAX];
        struct taxii_meta m = {row->stix_id, row->version, row->submitted_by, row->date_added, comms, 0};
        m.n_communities = (size_t)svc_taxii_meta_communities(pg->info, row->comm, comms, STORE_COMM_MAX);
        rc = taxii_list_meta(&pg->w, &pg->meta, &m);
    }
    if (pg->too_big_id) /* the last row's: at limit 1, the one that did not fit */
        snprintf(pg->too_big_id, SVC_SYNC_ID_LEN, "%s", row->stix_id ? row->stix_id : "?");
    return rc != MZ_OK;
}

/* svc_sync_push_page without its authorisation (the callers ask theirs). */
static enum mz_err page_read(struct store *st, int64_t id, const struct svc_sync_push_sub *sub, long limit,
                             int with_meta, struct mz_buf *env, size_t *n, char last[40], int *more,
                             char *too_big_id, struct mz_error *err)
{
    struct svc_taxii_filters f;
    struct svc_taxii_page *info = calloc(1, sizeof *info);
    struct store_node *node = calloc(1, sizeof *node);
    struct principal peer;
    struct push_page pg;
    char lim[24];
    enum mz_err rc = MZ_OK, full = MZ_OK;

    *n = 0;
    *more = 0;
    memset(&peer, 0, sizeof peer);
    memset(&pg, 0, sizeof pg);
    if (!rc && (!info || !node))
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc && limit <= 0)
        rc = mz_error_set(err, MZ_EINVAL, "limit", "a push page holds at least one object");
    if (!rc)
        rc = store_node_by_id(st, id, node, err);
    if (!rc && id <= 0)
        rc = mz_error_set(err, MZ_EINVAL, "", "this node pushes to its peers, not to itself");
    if (!rc)
        rc = svc_node_principal(st, id, node->name, &peer, err);
    if (rc) {
        svc_principal_release(&peer);
        free(info);
        free(node);
        return rc;
    }
    memset(&f, 0, sizeof f);
    snprintf(lim, sizeof lim, "%ld", limit);
    f.added_after = sub->after[0] ? sub->after : NULL;
    f.limit = lim;
    f.page_default = f.page_max = limit;
    f.page_work = sub->page_work; /* api.page_work, as the peer's own GET (A7) */
    pg.info = info;
    pg.with_meta = with_meta;
    pg.too_big_id = too_big_id;
    if (too_big_id)
        too_big_id[0] = '\0';
    mz_buf_init(&pg.meta, env->limit ? env->limit : (size_t)64 << 20);
    taxii_list_begin(&pg.w, env, TAXII_ENVELOPE);
    rc = svc_taxii_read(st, &peer, sub->local, NULL, SVC_TAXII_OBJECTS, &f, push_row, &pg, info, err);
    if (!rc)
        rc = taxii_list_end(&pg.w, 0, NULL);
    if (rc == MZ_ETOOBIG || (!rc && mz_buf_status(env)))
        full = mz_buf_status(env) ? mz_buf_status(env) : MZ_ETOOBIG;
    if (full == MZ_ETOOBIG && limit == 1 && info->n == 1) {
        /* one object alone larger than a push page may be (http.max_body): where it
         * stands, so that the caller passes it (fourth attack B7) */
        snprintf(last, 40, "%s", info->last);
        *more = 1;
        rc = mz_error_set(err, MZ_ETOOBIG, "", "object %.100s alone is larger than a push page (http.max_body)",
                          too_big_id && too_big_id[0] ? too_big_id : "?");
    } else if (full) {
        rc = mz_error_set(err, full, "", "a push page does not fit in memory (sync.page_size)");
    }
    if (!rc) {
        *n = info->n;
        *more = info->next[0] != '\0';
        if (info->n || *more) /* an empty page with more: where its work stopped (A7) */
            snprintf(last, 40, "%s", info->last);
    }
    mz_buf_free(&pg.meta);
    svc_principal_release(&peer);
    free(info);
    free(node);
    return rc;
}

enum mz_err svc_sync_push_page(struct store *st, const struct principal *p, int64_t id,
                               const struct svc_sync_push_sub *sub, long limit, int with_meta, struct mz_buf *env,
                               size_t *n, char last[40], int *more, char *too_big_id, struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    *n = 0;
    *more = 0;
    return rc ? rc : page_read(st, id, sub, limit, with_meta, env, n, last, more, too_big_id, err);
}

enum mz_err svc_sync_push_lag(struct store *st, int64_t id, int64_t now, int64_t *lag_out, struct mz_error *err)
{
    struct svc_sync_push_plan *pl = calloc(1, sizeof *pl);
    int64_t oldest = 0;
    enum mz_err rc = pl ? plan_in(st, id, 1, pl, err) : mz_error_set(err, MZ_ENOMEM, "", "out of memory");

    for (size_t i = 0; !rc && i < pl->n; i++) {
        struct mz_buf env;
        struct mz_time t;
        char last[40] = "";
        size_t n = 0;
        int more = 0;

        /* the first version after the push bookmark is the oldest not yet pushed */
        mz_buf_init(&env, (size_t)64 << 20);
        rc = page_read(st, id, &pl->subs[i], 1, 0, &env, &n, last, &more, NULL, err);
        mz_buf_free(&env);
        if (rc == MZ_ENOTFOUND) { /* a collection the peer does not see: nothing for it there */
            mz_error_clear(err);
            rc = MZ_OK;
            continue;
        }
        if (!rc && n && !mz_time_parse(last, &t) && (!oldest || t.sec < oldest))
            oldest = t.sec;
    }
    free(pl);
    if (!rc)
        *lag_out = oldest && now > oldest ? now - oldest : 0;
    return rc;
}

enum mz_err svc_sync_push_done(struct store *st, const struct principal *p, int64_t id,
                               const struct svc_sync_push_sub *sub, const char *last, long pushed, long refused,
                               struct mz_error *err)
{
    struct store_bookmark *b = calloc(1, sizeof *b);
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (!rc && !b)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc)
        rc = store_begin(st, err);
    if (rc) {
        free(b);
        return rc;
    }
    rc = store_bookmark_get(st, id, sub->key, "push", b, err);
    if (rc == MZ_ENOTFOUND) {
        memset(b, 0, sizeof *b);
        b->node = id;
        snprintf(b->collection, sizeof b->collection, "%s", sub->key);
        snprintf(b->direction, sizeof b->direction, "push");
        rc = MZ_OK;
    }
    if (!rc) {
        if (last && *last)
            snprintf(b->added_after, sizeof b->added_after, "%s", last);
        b->objects += pushed;
        b->refused_invalid += refused;
        struct mz_time now;
        char stamp[MZ_TIME_STRLEN];
        mz_time_now(&now);
        mz_time_format_us(&now, stamp);
        snprintf(b->last_page_at, sizeof b->last_page_at, "%.19sZ", stamp);
        rc = store_bookmark_put(st, b, err);
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    free(b);
    return rc;
}
