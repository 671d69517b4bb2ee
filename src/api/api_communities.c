/* api/api_communities.c - GET /api/v1/communities (issue 11, docs/api.md
 * "Communities"): the communities the caller's organisation is a member of, with its
 * directions and since when; for node admins every community with its members. One
 * svc_community_list call; the members of each (node admins) one
 * svc_community_members call. Communities are made and their members changed at the
 * console (mreza community). */
#include <string.h>

#include "api/api.h"
#include "domain/authz.h"
#include "domain/svc.h"

struct listing {
    struct mz_buf b;
    size_t n, n_members;
    struct store *st;
    const struct principal *who;
    int with_members;
    enum mz_err rc;
    struct mz_error err;
};

static int member_row(void *ctx, const struct store_membership *m)
{
    struct listing *l = ctx;

    /* handles and identities were validated when made: ASCII without quotes */
    mz_buf_printf(&l->b, "%s{\"org\":\"%s\",\"identity\":\"%s\",\"can_read\":%s,\"can_write\":%s,\"since\":\"%s\"}",
                  l->n_members++ ? "," : "", m->org_name, m->org_identity, m->can_read ? "true" : "false",
                  m->can_write ? "true" : "false", m->since);
    return 0;
}

static int community_row(void *ctx, const struct store_community *c, const struct store_membership *mine)
{
    struct listing *l = ctx;
    struct mz_buf *b = &l->b;

    if (l->n++)
        mz_buf_putc(b, ',');
    /* names and uuids were validated or made by the node */
    mz_buf_printf(b, "{\"name\":\"%s\",\"id\":\"%s\",\"kind\":\"%s\",\"title\":", c->name, c->uuid, c->kind);
    mz_buf_json_str(b, c->title);
    mz_buf_puts(b, ",\"description\":");
    mz_buf_json_str(b, c->description);
    mz_buf_printf(b, ",\"home\":\"%s\",\"created\":\"%s\",\"can_read\":%s,\"can_write\":%s,\"since\":",
                  c->home_node ? "peer" : "this node", c->created, mine->can_read ? "true" : "false",
                  mine->can_write ? "true" : "false");
    if (mine->since)
        mz_buf_printf(b, "\"%s\"", mine->since);
    else
        mz_buf_puts(b, "null");
    if (l->with_members) {
        mz_buf_puts(b, ",\"members\":[");
        l->n_members = 0;
        l->rc = svc_community_members(l->st, l->who, c->name, member_row, l, &l->err);
        mz_buf_putc(b, ']');
    }
    mz_buf_putc(b, '}');
    return l->rc != MZ_OK;
}

enum MHD_Result api_communities_list(struct api_req *r)
{
    struct listing l;
    struct mz_error err;
    enum mz_err rc;

    memset(&l, 0, sizeof l);
    mz_error_clear(&err);
    mz_buf_init(&l.b, api_reply_limit(r));
    mz_buf_puts(&l.b, "{\"communities\":[");
    l.who = &r->who;
    l.with_members = authz_allows(&r->who, AUTHZ_COMMUNITY_LIST_ALL);
    l.st = node_store_acquire(r->node);
    rc = svc_community_list(l.st, &r->who, community_row, &l, &err);
    node_store_release(r->node, l.st);
    if (!rc && l.rc) {
        rc = l.rc;
        err = l.err;
    }
    if (rc) {
        mz_buf_free(&l.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&l.b, "]}\n");
    return api_reply(r, 200, &l.b, "application/json");
}
