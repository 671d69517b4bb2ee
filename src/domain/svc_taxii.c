/* domain/svc_taxii.c - the TAXII 2.1 server's read side (svc_taxii.h; docs/federation.md
 * 8.1-8.3): which collections a principal sees, and TAXII's filters turned into one
 * svc_query run by svc_list, so that a collection shows exactly what REST's list shows
 * the same reader (the store's prefilter, then tlp_can_read on every row, then the
 * model's choice). The filters are checked here, not in the HTTP layer, so that every
 * front end (a later console, the sync client's tests) refuses the same things. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/campaign.h"
#include "domain/svc_taxii.h"
#include "rules/stix.h"
#include "util/uuid.h"
#include "util/version.h"

/* the views' collection ids, made once per store (svc_collections) */
#define META_VIEW_ALL "taxii_view_all"
#define META_VIEW_INDICATORS "taxii_view_indicators"
#define META_VIEW_DIRECT "taxii_view_direct"

static enum mz_err view_id(struct store *st, const char *key, char *out, size_t cap, struct mz_error *err)
{
    char fresh[MZ_UUID_STRLEN];
    enum mz_err rc = store_meta_get(st, key, out, cap, NULL);

    if (rc != MZ_ENOTFOUND)
        return rc ? mz_error_set(err, rc, "", "cannot read the views' ids") : MZ_OK;
    mz_uuid_v4(fresh);
    return store_meta_add(st, key, fresh, out, cap, err);
}

static enum mz_err view(struct store *st, enum svc_view v, struct svc_collection *c, struct mz_error *err)
{
    int all = v == SVC_VIEW_ALL;

    memset(c, 0, sizeof *c);
    c->view = v;
    c->can_read = 1;
    if (v == SVC_VIEW_DIRECT) {
        /* a peer's: every level but GREEN, and the directory (docs/federation.md 8.1) */
        snprintf(c->alias, sizeof c->alias, "%s", SVC_TAXII_VIEW_DIRECT);
        snprintf(c->title, sizeof c->title, "What this node sends your node directly");
        snprintf(c->description, sizeof c->description, "%s",
                 "Every version posted here that your node may read and that is not TLP:GREEN (CLEAR, AMBER "
                 "to your organisations, AMBER+STRICT to them alone), and the identities of this node's "
                 "organisations; GREEN travels by the communities' collections");
        return view_id(st, META_VIEW_DIRECT, c->id, sizeof c->id, err);
    }
    snprintf(c->alias, sizeof c->alias, "%s", all ? SVC_TAXII_VIEW_ALL : SVC_TAXII_VIEW_INDICATORS);
    snprintf(c->title, sizeof c->title, "%s",
             all ? "Everything you may read on this node" : "The indicators you may read on this node");
    snprintf(c->description, sizeof c->description, "%s",
             all ? "Every object this node serves you, in every community, once"
                 : "The objects of type indicator of the all view: what a SIEM or an IDS polls");
    return view_id(st, all ? META_VIEW_ALL : META_VIEW_INDICATORS, c->id, sizeof c->id, err);
}

struct coll_walk {
    svc_collection_fn fn;
    void *ctx;
    int can_post;
    int stopped;
};

static int community_row(void *ctx, const struct store_community *k, const struct store_membership *mine)
{
    struct coll_walk *w = ctx;
    struct svc_collection c;

    /* a node admin lists every community; a collection is only its organisation's */
    if (!mine->can_read && !mine->can_write)
        return 0;
    memset(&c, 0, sizeof c);
    c.view = SVC_VIEW_COMMUNITY;
    snprintf(c.id, sizeof c.id, "%s", k->uuid);
    snprintf(c.alias, sizeof c.alias, "%s", k->name);
    snprintf(c.title, sizeof c.title, "%s", k->title[0] ? k->title : k->name);
    snprintf(c.description, sizeof c.description, "%s", k->description);
    c.can_read = mine->can_read;
    c.can_write = mine->can_write && w->can_post;
    w->stopped = w->fn(w->ctx, &c);
    return w->stopped;
}

enum mz_err svc_collections(struct store *st, const struct principal *p, svc_collection_fn fn, void *ctx,
                            struct mz_error *err)
{
    /* a peer writes (pushes) where one of its organisations is a write-member */
    struct coll_walk w = {fn, ctx, p->role == ROLE_PEER || authz_allows(p, AUTHZ_OBJECT_WRITE), 0};
    struct svc_collection c;
    enum mz_err rc = MZ_OK;

    if (p->role != ROLE_NONE)
        rc = svc_community_list(st, p, community_row, &w, err);
    /* a peer sees the communities one of its organisations is a member of (svc_community_list)
     * and mreza-direct, never the members' views (docs/federation.md 8.1) */
    if (p->role == ROLE_PEER) {
        if (!rc && !w.stopped && !(rc = view(st, SVC_VIEW_DIRECT, &c, err)))
            fn(ctx, &c);
        return rc;
    }
    if (!rc && !w.stopped && p->role != ROLE_NONE && !(rc = view(st, SVC_VIEW_ALL, &c, err)))
        w.stopped = fn(ctx, &c);
    if (!rc && !w.stopped && !(rc = view(st, SVC_VIEW_INDICATORS, &c, err)))
        fn(ctx, &c);
    return rc;
}

struct find {
    const char *want;
    struct svc_collection *out;
    int found;
};

static int find_row(void *ctx, const struct svc_collection *c)
{
    struct find *f = ctx;

    if (strcmp(f->want, c->id) != 0 && strcmp(f->want, c->alias) != 0)
        return 0;
    *f->out = *c;
    f->found = 1;
    return 1;
}

enum mz_err svc_collection_get(struct store *st, const struct principal *p, const char *id,
                               struct svc_collection *out, struct mz_error *err)
{
    struct find f = {id, out, 0};
    enum mz_err rc = svc_collections(st, p, find_row, &f, err);

    if (!rc && !f.found)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no collection '%.64s' (GET /taxii2/api/collections/ lists yours)",
                          id);
    return rc;
}

enum mz_err svc_taxii_node(struct store *st, struct svc_taxii_node *out, struct mz_error *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    if (store_meta_get(st, "node_name", out->name, sizeof out->name, NULL))
        out->name[0] = '\0';
    if (store_meta_get(st, "node_country", out->country, sizeof out->country, NULL))
        out->country[0] = '\0';
    if (campaign_node_identity_peek(st, out->identity, sizeof out->identity, NULL))
        out->identity[0] = '\0';
    snprintf(out->version, sizeof out->version, "%s", MZ_VERSION);
    return MZ_OK;
}

/* ---- filters ---- */

/* Room for the lists of one request's filters. */
struct taxii_args {
    char id_buf[SVC_MAX_IDS * 80];
    const char *ids[SVC_MAX_IDS];
    char type_buf[4096];
    const char *types[SVC_MAX_TYPES];
    struct mz_time versions[SVC_MAX_IDS];
};

/* Split the comma list s into buf (cap bytes) and v (at most max items, each
 * non-empty); *n_out items. MZ_EINVAL naming field otherwise. */
static enum mz_err split(const char *s, const char *field, char *buf, size_t cap, const char **v, size_t max,
                         size_t *n_out, struct mz_error *err)
{
    size_t len = strlen(s), n = 0;
    char *p = buf;

    if (len >= cap)
        return mz_error_set(err, MZ_EINVAL, field, "%s is longer than %zu bytes", field, cap - 1);
    memcpy(buf, s, len + 1);
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return mz_error_set(err, MZ_EINVAL, field, "%s is a comma-separated list of values, none of them empty",
                                field);
        if (n == max)
            return mz_error_set(err, MZ_EINVAL, field, "%s names at most %zu values", field, max);
        v[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    *n_out = n;
    return MZ_OK;
}

/* match[version]: "all" alone, or any of "first", "last" and exact timestamps. */
static enum mz_err parse_versions(const char *s, struct svc_query *q, struct taxii_args *a, struct mz_error *err)
{
    static const char field[] = "match[version]";
    char buf[4096];
    const char *v[SVC_MAX_IDS];
    size_t n = 0;
    int all = 0;
    enum mz_err rc = split(s, field, buf, sizeof buf, v, SVC_MAX_IDS, &n, err);

    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int *kw = !strcmp(v[i], "all") ? &all : !strcmp(v[i], "first") ? &q->sel_first
                                            : !strcmp(v[i], "last")  ? &q->sel_last
                                                                     : NULL;
        if (kw && *kw)
            return mz_error_set(err, MZ_EINVAL, field, "match[version] names '%s' twice", v[i]);
        if (kw)
            *kw = 1;
        else if (mz_time_parse(v[i], &a->versions[q->n_versions++]))
            return mz_error_set(err, MZ_EINVAL, field,
                                "match[version] values are last, first, all or timestamps such as "
                                "2024-05-01T12:00:00.000Z; '%.40s' is none",
                                v[i]);
    }
    if (all && n > 1)
        return mz_error_set(err, MZ_EINVAL, field, "match[version]=all cannot be combined with other values");
    q->version_sel = all ? SVC_VERSION_ALL : SVC_VERSION_LIST;
    if (!all && q->sel_last && !q->sel_first && !q->n_versions)
        q->version_sel = SVC_VERSION_LAST;
    q->versions = a->versions;
    return MZ_OK;
}

/* match[spec_version]: "N.N" values; every object served here is STIX 2.1. */
static enum mz_err parse_spec(const char *s, struct svc_query *q, struct mz_error *err)
{
    static const char field[] = "match[spec_version]";
    char buf[1024];
    const char *v[SVC_MAX_IDS];
    size_t n = 0;
    int has21 = 0;
    enum mz_err rc = split(s, field, buf, sizeof buf, v, SVC_MAX_IDS, &n, err);

    for (size_t i = 0; !rc && i < n; i++) {
        const char *d = strchr(v[i], '.');
        if (!d || d == v[i] || !d[1] || strspn(v[i], "0123456789") != (size_t)(d - v[i]) ||
            strspn(d + 1, "0123456789") != strlen(d + 1))
            return mz_error_set(err, MZ_EINVAL, field, "match[spec_version] values look like 2.1; '%.40s' does not",
                                v[i]);
        has21 |= !strcmp(v[i], "2.1");
    }
    if (!rc && !has21)
        q->nothing = 1;
    return rc;
}

static enum mz_err parse_limit(const struct svc_taxii_filters *f, long *out, struct mz_error *err)
{
    char *end;
    long v;

    *out = f->page_default;
    if (!f->limit)
        return MZ_OK;
    v = strtol(f->limit, &end, 10);
    if (!*f->limit || *end || v < 1 || f->limit[0] == '+' || f->limit[0] == ' ')
        return mz_error_set(err, MZ_EINVAL, "limit", "limit must be a whole number of at least 1");
    *out = v > f->page_max ? f->page_max : v; /* the server may lower it (TAXII 2.1 3.4) */
    return MZ_OK;
}

/* f into q, for reading collection c. */
static enum mz_err to_query(const struct svc_collection *c, const struct svc_taxii_filters *f,
                            enum svc_taxii_read_kind kind, struct svc_query *q, struct taxii_args *a,
                            struct mz_error *err)
{
    enum mz_err rc = parse_limit(f, &q->limit, err);

    q->work = f->page_work;
    q->tlp = -1;
    q->view = c->view;
    q->community = c->view == SVC_VIEW_COMMUNITY ? c->alias : NULL;
    q->added_after = f->added_after;
    if (f->added_after && !strchr("Zz", f->added_after[strlen(f->added_after) ? strlen(f->added_after) - 1 : 0]))
        return mz_error_set(err, MZ_EINVAL, "added_after",
                            "added_after must be an RFC 3339 UTC timestamp ending in Z, such as "
                            "2024-05-01T12:00:00.000000Z");
    q->next = f->next;
    if (!rc && f->match_id && kind != SVC_TAXII_OBJECT && kind != SVC_TAXII_VERSIONS) {
        rc = split(f->match_id, "match[id]", a->id_buf, sizeof a->id_buf, a->ids, SVC_MAX_IDS, &q->n_ids, err);
        for (size_t i = 0; !rc && i < q->n_ids; i++)
            if (!stix_id_valid(a->ids[i], NULL))
                rc = mz_error_set(err, MZ_EINVAL, "match[id]", "'%.80s' is not a STIX identifier", a->ids[i]);
        q->ids = a->ids;
    }
    if (!rc && f->match_type && kind != SVC_TAXII_VERSIONS) {
        rc = split(f->match_type, "match[type]", a->type_buf, sizeof a->type_buf, a->types, SVC_MAX_TYPES,
                   &q->n_types, err);
        q->types = a->types;
    }
    if (!rc && f->match_version && kind != SVC_TAXII_VERSIONS)
        rc = parse_versions(f->match_version, q, a, err);
    if (kind == SVC_TAXII_VERSIONS)
        q->version_sel = SVC_VERSION_ALL;
    if (!rc && f->match_spec_version)
        rc = parse_spec(f->match_spec_version, q, err);
    if (!rc && c->view == SVC_VIEW_INDICATORS) {
        /* the indicators view: match[type] within indicator */
        static const char *const ind[] = {"indicator"};
        size_t i;
        for (i = 0; i < q->n_types && strcmp(q->types[i], "indicator"); i++)
            ;
        if (q->n_types && i == q->n_types)
            q->nothing = 1;
        q->types = ind;
        q->n_types = 1;
    }
    return rc;
}

/* ---- reads ---- */

struct read_ctx {
    svc_row_fn fn;
    void *ctx;
    struct svc_taxii_page *page;
    /* SVC_TAXII_VERSIONS: the page's versions, sorted before they are handed on */
    struct ver {
        struct mz_time t;
        char version[STIX_VKEY_LEN + 8];
        char date_added[MZ_TIME_STRLEN];
    } *v;
    size_t n_v, cap_v;
    int oom;
};

static int read_row(void *vctx, const struct store_row *row)
{
    struct read_ctx *c = vctx;
    struct svc_taxii_page *pg = c->page;

    if (!pg->n)
        snprintf(pg->first, sizeof pg->first, "%s", row->date_added);
    snprintf(pg->last, sizeof pg->last, "%s", row->date_added);
    pg->n++;
    if (!c->v && c->cap_v == 0)
        return c->fn(c->ctx, row);
    if (c->n_v == c->cap_v) {
        size_t cap = c->cap_v * 2;
        struct ver *nv = realloc(c->v, cap * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            return 1;
        }
        c->v = nv;
        c->cap_v = cap;
    }
    {
        struct ver *v = &c->v[c->n_v++];
        memset(v, 0, sizeof *v);
        snprintf(v->version, sizeof v->version, "%s", row->version && row->version[0] ? row->version : row->date_added);
        snprintf(v->date_added, sizeof v->date_added, "%s", row->date_added);
        if (mz_time_parse(v->version, &v->t))
            v->t.sec = v->t.nsec = 0;
    }
    return 0;
}

static int ver_cmp(const void *a, const void *b)
{
    return mz_time_cmp(&((const struct ver *)a)->t, &((const struct ver *)b)->t);
}

static int exists_row(void *ctx, const struct store_row *row)
{
    (void)row;
    *(int *)ctx = 1;
    return 1;
}

/* Does p read any version of object_id in collection q (q's view and community)? */
static enum mz_err object_visible(struct store *st, const struct principal *p, const struct svc_query *q,
                                  const char *object_id, int *out, struct mz_error *err)
{
    struct svc_query e;
    char next[CURSOR_STRLEN];

    memset(&e, 0, sizeof e);
    e.tlp = -1;
    e.view = q->view;
    e.community = q->community;
    e.types = q->view == SVC_VIEW_INDICATORS ? q->types : NULL;
    e.n_types = q->view == SVC_VIEW_INDICATORS ? q->n_types : 0;
    e.ids = &object_id;
    e.n_ids = 1;
    e.version_sel = SVC_VERSION_ALL;
    *out = 0;
    return svc_list(st, p, &e, exists_row, out, next, err);
}

/* x_mreza_meta's facts for peer p (docs/federation.md 8.2, "Peers"): the UUIDs of the
 * communities it hosts a member of, by bit. */
static int meta_comm(void *ctx, const struct store_community *k)
{
    struct svc_taxii_page *pg = ctx;

    if (k->bit >= 0 && k->bit < STORE_COMM_MAX && (pg->meta_comm & ((uint64_t)1 << k->bit)))
        snprintf(pg->comm_uuid[k->bit], sizeof pg->comm_uuid[0], "%s", k->uuid);
    return 0;
}

static enum mz_err peer_meta(struct store *st, const struct principal *p, struct svc_taxii_page *page,
                             struct mz_error *err)
{
    page->with_meta = 1;
    page->meta_comm = p->comm_read | p->comm_write;
    return store_community_list(st, meta_comm, page, err);
}

int svc_taxii_meta_communities(const struct svc_taxii_page *page, uint64_t comm, const char **out, size_t cap)
{
    size_t n = 0;

    comm &= page->meta_comm;
    for (int b = 0; b < STORE_COMM_MAX && n < cap; b++)
        if ((comm & ((uint64_t)1 << b)) && page->comm_uuid[b][0])
            out[n++] = page->comm_uuid[b];
    return (int)n;
}

/* Fourth attack, B4: is the query's added_after a position of this query (a row it
 * examines is at that position exactly), or absent? An empty page whose work ran out
 * states where it stopped only then: a reader that chose added_after to the
 * microsecond (a binary search, moving it across rows it may not read) learns
 * nothing, and a reader paging from the origin, from an object it was served or from
 * a position this node stated (the sync client, by its bookmark) goes on as before
 * (A1): the positions it learns are those of one row in api.page_work along the chain
 * from there. One more read of at most two rows, as this query runs, from 1 us
 * before. */
static int from_position(struct store *st, const struct principal *p, const struct svc_query *q)
{
    struct svc_query e = *q;
    struct mz_time t, at;
    struct mz_error err;
    char before[MZ_TIME_STRLEN], first[MZ_TIME_STRLEN] = "", next[CURSOR_STRLEN];

    if (!q->added_after)
        return 1;
    if (mz_time_parse(q->added_after, &t))
        return 0;
    at = t;
    t.nsec -= 1000;
    if (t.nsec < 0) {
        t.sec--;
        t.nsec += 1000000000;
    }
    mz_time_format_us(&t, before);
    e.added_after = before;
    e.next = NULL;
    e.limit = 1;
    e.work = 1;
    e.examined = first;
    mz_error_clear(&err);
    if (svc_list(st, p, &e, NULL, NULL, next, &err) || !first[0] || mz_time_parse(first, &t))
        return 0;
    return mz_time_cmp(&t, &at) == 0;
}

enum mz_err svc_taxii_read(struct store *st, const struct principal *p, const char *coll, const char *object_id,
                           enum svc_taxii_read_kind kind, const struct svc_taxii_filters *f, svc_row_fn fn,
                           void *ctx, struct svc_taxii_page *page, struct mz_error *err)
{
    struct svc_collection c;
    struct svc_query q;
    struct taxii_args *a = calloc(1, sizeof *a);
    struct read_ctx rc_ = {fn, ctx, page, NULL, 0, 0, 0};
    char examined[MZ_TIME_STRLEN] = "";
    int visible = 1;
    enum mz_err rc = a ? MZ_OK : mz_error_set(err, MZ_ENOMEM, "", "out of memory");

    memset(page, 0, sizeof *page);
    memset(&q, 0, sizeof q);
    if (!rc)
        rc = svc_collection_get(st, p, coll, &c, err);
    if (!rc && !c.can_read)
        rc = mz_error_set(err, MZ_EFORBIDDEN, "",
                          "your organisation may write to collection '%s' but not read it", c.alias);
    if (!rc)
        rc = to_query(&c, f, kind, &q, a, err);
    if (!rc && object_id) {
        if (!stix_id_valid(object_id, NULL))
            rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object '%.80s' in collection '%s'", object_id, c.alias);
        q.ids = &object_id;
        q.n_ids = 1;
    }
    if (!rc && object_id)
        rc = object_visible(st, p, &q, object_id, &visible, err);
    if (!rc && !visible)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object '%.80s' in collection '%s'", object_id, c.alias);
    if (!rc && p->role == ROLE_PEER && (kind == SVC_TAXII_OBJECTS || kind == SVC_TAXII_OBJECT))
        rc = peer_meta(st, p, page, err);
    if (!rc && kind == SVC_TAXII_VERSIONS) {
        rc_.cap_v = 16;
        if (!(rc_.v = malloc(rc_.cap_v * sizeof *rc_.v)))
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    q.examined = examined;
    if (!rc)
        rc = svc_list(st, p, &q, read_row, &rc_, page->next, err);
    if (!rc && rc_.oom)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc && kind == SVC_TAXII_VERSIONS) {
        /* oldest version first (TAXII 2.1 5.9) */
        qsort(rc_.v, rc_.n_v, sizeof *rc_.v, ver_cmp);
        for (size_t i = 0; i < rc_.n_v; i++) {
            struct store_row r;
            memset(&r, 0, sizeof r);
            r.stix_id = object_id;
            r.version = rc_.v[i].version;
            r.date_added = rc_.v[i].date_added;
            if (fn(ctx, &r))
                break;
        }
    }
    if (!rc && !page->n && page->next[0] && examined[0] && from_position(st, p, &q)) {
        /* an empty page whose work ran out (more: rows this reader may not read filled
         * it): both headers are the date_added of the last row examined, where next
         * stands, so that a reader paging by added_after moves on past them
         * (docs/federation.md 10.3, third attack A1); only to a reader paging from
         * a position (from_position: fourth attack B4) */
        snprintf(page->first, sizeof page->first, "%s", examined);
        memcpy(page->last, page->first, sizeof page->last);
    } else if (!rc && !page->n) {
        /* an empty page: both headers are added_after, or the epoch */
        struct mz_time t = {0, 0};
        if (q.added_after && mz_time_parse(q.added_after, &t))
            t.sec = t.nsec = 0;
        mz_time_format_us(&t, page->first);
        memcpy(page->last, page->first, sizeof page->last);
    }
    free(rc_.v);
    free(a);
    return rc;
}
