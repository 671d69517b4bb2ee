/* api/api_taxii.c - the TAXII 2.1 server's first endpoints (issue 11 work package 3,
 * docs/federation.md section 8): discovery (GET /taxii2/), the one API root (GET
 * /taxii2/api/), and the collections (GET /taxii2/api/collections/ and
 * .../collections/{id}/): the communities the caller's organisation is a member of,
 * with can_read / can_write from its membership (can_write also needs a role that may
 * write objects). route.c admits these routes on their headers (a key, TAXII's Accept
 * rule: 406 otherwise); api_error.c writes their errors as TAXII error objects. Each
 * handler is at most one svc_* call (svc_community_list). Not yet: the views (all,
 * indicators, mreza-direct), objects, manifest, status, Basic auth, peers. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/authz.h"
#include "domain/svc.h"

enum MHD_Result api_taxii_discovery(struct api_req *r)
{
    struct mz_buf b;

    mz_buf_init(&b, 4096);
    mz_buf_puts(&b, "{\"title\":\"mreza TAXII 2.1\",\"description\":\"The sharing node of the national CSIRTs "
                    "of the Western Balkans\",\"default\":\"/taxii2/api/\",\"api_roots\":[\"/taxii2/api/\"]}\n");
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_api_root(struct api_req *r)
{
    struct mz_buf b;

    mz_buf_init(&b, 4096);
    mz_buf_printf(&b, "{\"title\":\"mreza\",\"versions\":[\"%s\"],\"max_content_length\":%zu}\n", API_TAXII_TYPE,
                  r->node->conf.http_max_body);
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}

struct coll_ctx {
    struct mz_buf b;
    const char *want; /* one collection by id or alias, or NULL: all */
    int can_post;     /* the caller's role may write objects */
    size_t n;
};

static void put_collection(struct coll_ctx *c, const struct store_community *k, const struct store_membership *mine)
{
    struct mz_buf *b = &c->b;

    /* uuids and names were validated or made by the node */
    mz_buf_printf(b, "{\"id\":\"%s\",\"title\":", k->uuid);
    mz_buf_json_str(b, k->title[0] ? k->title : k->name);
    mz_buf_puts(b, ",\"description\":");
    mz_buf_json_str(b, k->description);
    mz_buf_printf(b, ",\"alias\":\"%s\",\"can_read\":%s,\"can_write\":%s,"
                     "\"media_types\":[\"application/stix+json;version=2.1\"]}",
                  k->name, mine->can_read ? "true" : "false", mine->can_write && c->can_post ? "true" : "false");
}

static int collection_row(void *ctx, const struct store_community *k, const struct store_membership *mine)
{
    struct coll_ctx *c = ctx;

    /* a node admin lists every community; a collection is only its organisation's */
    if (!mine->can_read && !mine->can_write)
        return 0;
    if (c->want) {
        if (!c->want[0] || (strcmp(c->want, k->uuid) != 0 && strcmp(c->want, k->name) != 0))
            return 0;
        put_collection(c, k, mine);
        c->n++;
        c->want = ""; /* found: no other matches (names and uuids are unique) */
        return 0;
    }
    mz_buf_puts(&c->b, c->n++ ? "," : "{\"collections\":[");
    put_collection(c, k, mine);
    return 0;
}

static enum MHD_Result collections(struct api_req *r, const char *want)
{
    struct coll_ctx c;
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    memset(&c, 0, sizeof c);
    mz_error_clear(&err);
    mz_buf_init(&c.b, api_reply_limit(r));
    c.want = want;
    c.can_post = authz_allows(&r->who, AUTHZ_OBJECT_WRITE);
    st = node_store_acquire(r->node);
    rc = svc_community_list(st, &r->who, collection_row, &c, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&c.b);
        return api_reply_error(r, &err);
    }
    if (want && !c.n) {
        mz_buf_free(&c.b);
        return api_fail(r, MZ_ENOTFOUND, "", "no collection '%.64s' (GET /taxii2/api/collections/ lists yours)",
                        want);
    }
    if (!want)
        mz_buf_puts(&c.b, c.n ? "]}" : "{}");
    mz_buf_putc(&c.b, '\n');
    return api_reply(r, 200, &c.b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_collections(struct api_req *r)
{
    return collections(r, NULL);
}

enum MHD_Result api_taxii_collection(struct api_req *r)
{
    char id[128];

    if (api_seg(r, 0, id, sizeof id))
        return api_fail(r, MZ_ENOTFOUND, "", "no such collection (the id is too long)");
    return collections(r, id);
}
