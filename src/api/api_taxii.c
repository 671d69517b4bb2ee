/* api/api_taxii.c - the TAXII 2.1 server's discovery, API root and collections
 * (issue 11 work package 3, docs/federation.md section 8): GET /taxii2/, GET
 * /taxii2/api/, GET /taxii2/api/collections/ and .../collections/{id}/. Which
 * collections a caller sees (its organisation's communities, the views all and
 * indicators; an unauthenticated reader with api.public_read the indicators view
 * alone) is domain/svc_taxii.c's; the objects of a collection are api_taxii_objects.c's.
 * route.c admits these routes on their headers (a key, or none with api.public_read;
 * TAXII's Accept rule: 406 otherwise); api_error.c writes their errors as TAXII error
 * objects. Each handler is at most one svc_* call. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/svc_taxii.h"

/* taxii.public_url without its trailing slashes (len into *n). */
static const char *public_url(const struct api_req *r, size_t *n)
{
    const char *u = r->node->conf.taxii_public_url;

    *n = strlen(u);
    while (*n && u[*n - 1] == '/')
        (*n)--;
    return u;
}

enum MHD_Result api_taxii_discovery(struct api_req *r)
{
    struct mz_buf b;
    char root[MZ_CONF_STR_LEN + 16];
    size_t n;
    const char *u = public_url(r, &n);

    snprintf(root, sizeof root, "%.*s/taxii2/api/", (int)n, u);
    mz_buf_init(&b, 4096);
    mz_buf_puts(&b, "{\"title\":\"mreza TAXII 2.1\",\"description\":\"The sharing node of the national CSIRTs "
                    "of the Western Balkans\",\"default\":");
    mz_buf_json_str(&b, root);
    mz_buf_puts(&b, ",\"api_roots\":[");
    mz_buf_json_str(&b, root);
    mz_buf_puts(&b, "]}\n");
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_api_root(struct api_req *r)
{
    struct svc_taxii_node nd;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    st = node_store_acquire(r->node);
    rc = svc_taxii_node(st, &nd, &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 4096);
    mz_buf_printf(&b, "{\"title\":\"mreza\",\"versions\":[\"%s\"],\"max_content_length\":%zu,\"x_mreza_node\":{",
                  API_TAXII_TYPE, r->node->conf.http_max_body);
    mz_buf_puts(&b, "\"version\":");
    mz_buf_json_str(&b, nd.version);
    if (nd.name[0]) {
        mz_buf_puts(&b, ",\"name\":");
        mz_buf_json_str(&b, nd.name);
    }
    if (nd.identity[0]) {
        mz_buf_puts(&b, ",\"identity\":");
        mz_buf_json_str(&b, nd.identity);
    }
    if (nd.country[0]) {
        mz_buf_puts(&b, ",\"country\":");
        mz_buf_json_str(&b, nd.country);
    }
    mz_buf_puts(&b, "}}\n");
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}

static void put_collection(struct mz_buf *b, const struct svc_collection *c)
{
    mz_buf_puts(b, "{\"id\":");
    mz_buf_json_str(b, c->id);
    mz_buf_puts(b, ",\"title\":");
    mz_buf_json_str(b, c->title);
    mz_buf_puts(b, ",\"description\":");
    mz_buf_json_str(b, c->description);
    mz_buf_puts(b, ",\"alias\":");
    mz_buf_json_str(b, c->alias);
    mz_buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"application/stix+json;version=2.1\"]}",
                  c->can_read ? "true" : "false", c->can_write ? "true" : "false");
}

struct coll_ctx {
    struct mz_buf b;
    size_t n;
};

static int collection_row(void *ctx, const struct svc_collection *k)
{
    struct coll_ctx *c = ctx;

    mz_buf_puts(&c->b, c->n++ ? "," : "{\"collections\":[");
    put_collection(&c->b, k);
    return 0;
}

enum MHD_Result api_taxii_collections(struct api_req *r)
{
    struct coll_ctx c;
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    memset(&c, 0, sizeof c);
    mz_error_clear(&err);
    mz_buf_init(&c.b, api_reply_limit(r));
    st = node_store_acquire(r->node);
    rc = svc_collections(st, &r->who, collection_row, &c, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&c.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&c.b, c.n ? "]}\n" : "{}\n");
    return api_reply(r, 200, &c.b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_collection(struct api_req *r)
{
    struct svc_collection c;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    enum mz_err rc;
    char id[128];

    if (api_seg(r, 0, id, sizeof id))
        return api_fail(r, MZ_ENOTFOUND, "", "no such collection (the id is too long)");
    mz_error_clear(&err);
    st = node_store_acquire(r->node);
    rc = svc_collection_get(st, &r->who, id, &c, &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 8192);
    put_collection(&b, &c);
    mz_buf_putc(&b, '\n');
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}
