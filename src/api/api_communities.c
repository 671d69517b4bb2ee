/* api/api_communities.c - communities over REST (issue 11, docs/api.md
 * "Communities"): GET /api/v1/communities, the communities the caller's organisation
 * is a member of, with its directions and since when (for node admins every
 * community with its members: one svc_community_list call, and one
 * svc_community_members call per community); and POST /api/v1/objects/{id}/share,
 * re-sharing a version (one svc_share call: domain/svc_share.c decides who may).
 * Communities are made and their members changed at the console (mreza community). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/authz.h"
#include "domain/svc.h"
#include "rules/tlp.h"

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
                  c->home_node > 0 ? "peer" : c->home_node < 0 ? "left" : "this node", c->created, mine->can_read ? "true" : "false",
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

/* ---- POST /api/v1/objects/{id}/share (docs/model.md R11.3) ---- */

static const char *const share_members[] = {"community", "to", "version", NULL};

static enum mz_err share_body(json_t *body, struct svc_share_in *in, const char **to, struct mz_error *err)
{
    json_t *a = json_object_get(body, "to"), *it;
    enum mz_err rc = api_json_str(body, "community", 0, &in->community, err);
    size_t i;

    if (!rc)
        rc = api_json_str(body, "version", 0, &in->version, err);
    if (rc || !a)
        return rc;
    if (!json_is_array(a))
        return mz_error_set(err, MZ_EINVAL, "/to", "`to` must be a list of organisations (or, for TLP:RED, users)");
    if (json_array_size(a) > SVC_SHARE_MAX_TO)
        return mz_error_set(err, MZ_EINVAL, "/to", "`to` may name at most %d", SVC_SHARE_MAX_TO);
    json_array_foreach(a, i, it) {
        if (!json_is_string(it)) {
            char field[32];
            snprintf(field, sizeof field, "/to/%zu", i);
            return mz_error_set(err, MZ_EINVAL, field, "each of `to` must be a string");
        }
        to[i] = json_string_value(it);
    }
    in->to = to;
    in->n_to = json_array_size(a);
    return MZ_OK;
}

/* Identities of a space-separated list as a JSON array. */
static void put_idents(struct mz_buf *b, const char *list)
{
    int first = 1;

    mz_buf_putc(b, '[');
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len) {
            /* identity ids were validated (ASCII, no quotes) */
            mz_buf_printf(b, "%s\"%.*s\"", first ? "" : ",", (int)len, p);
            first = 0;
        }
        p += len;
        p += strspn(p, " ");
    }
    mz_buf_putc(b, ']');
}

enum MHD_Result api_object_share(struct api_req *r)
{
    const char *to[SVC_SHARE_MAX_TO];
    struct svc_share_in in;
    struct svc_share_result res;
    struct mz_error err;
    char id[300];
    struct mz_buf b;
    struct store *st;
    json_t *body = NULL;
    enum mz_err rc;

    mz_error_clear(&err);
    memset(&in, 0, sizeof in);
    if (api_seg(r, 0, id, sizeof id))
        return api_fail(r, MZ_EINVAL, "id", "the object id is too long");
    in.id = id;
    rc = api_json_body(r, 0, share_members, &body, &err);
    if (!rc)
        rc = share_body(body, &in, to, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_share(st, &r->who, &in, &res, &err);
        node_store_release(r->node, st);
    }
    json_decref(body);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 8192);
    /* ids, versions, names and identities were validated or made by the node */
    mz_buf_printf(&b, "{\"id\":\"%s\",\"version\":\"%s\",\"tlp\":\"%s\",\"changed\":%s", id, res.version,
                  tlp_name((enum tlp_level)res.tlp), res.changed ? "true" : "false");
    if (res.community[0])
        mz_buf_printf(&b, ",\"community\":\"%s\"", res.community);
    else {
        mz_buf_puts(&b, ",\"to\":");
        put_idents(&b, res.recipients);
    }
    if (res.changed)
        mz_buf_printf(&b, ",\"record\":%lld,\"at\":\"%s\"", (long long)res.record, res.at);
    mz_buf_puts(&b, ",\"by\":");
    mz_buf_json_str(&b, r->who.user.name);
    mz_buf_puts(&b, "}\n");
    return api_reply(r, 200, &b, "application/json");
}
