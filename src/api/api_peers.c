/* api/api_peers.c - GET /api/v1/peers (issue 11 work package 4, docs/api.md "Peers",
 * docs/federation.md section 4): every peer of the node with its configuration and
 * sync status, for node admins (AUTHZ_PEER_LIST, asked by route.c on the headers and
 * again by svc_peer_list). No secret is ever part of it: the key this node presents
 * to a peer shows only as "secret_set". One svc_peer_list call; the JSON of each
 * peer is svc_peer_json's, the same `mreza peer list --json` prints. */
#include <string.h>

#include "api/api.h"
#include "domain/svc.h"

struct peers_reply {
    struct mz_buf b;
    size_t n;
};

static int peer_row(void *ctx, const struct svc_peer_view *v)
{
    struct peers_reply *p = ctx;

    if (p->n++)
        mz_buf_putc(&p->b, ',');
    svc_peer_json(&p->b, v);
    return mz_buf_status(&p->b) != MZ_OK;
}

enum MHD_Result api_peers_list(struct api_req *r)
{
    struct peers_reply p;
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    memset(&p, 0, sizeof p);
    mz_error_clear(&err);
    mz_buf_init(&p.b, api_reply_limit(r));
    mz_buf_puts(&p.b, "{\"peers\":[");
    st = node_store_acquire(r->node);
    rc = svc_peer_list(st, &r->who, peer_row, &p, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&p.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&p.b, "]}\n");
    return api_reply(r, 200, &p.b, "application/json");
}
