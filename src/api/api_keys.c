/* api/api_keys.c - a user's API keys and account state:
 *   GET    /api/v1/users/{name}/keys                list (never the keys themselves)
 *   POST   /api/v1/users/{name}/keys                issue {"comment","expires"}
 *   PATCH  /api/v1/users/{name}/keys/{id}           change {"comment","expires"}
 *   DELETE /api/v1/users/{name}/keys/{id}           revoke
 *   POST   /api/v1/users/{name}/keys/{id}/rotate    rotate {"comment","expires","grace"}
 *   POST   /api/v1/users/{name}/disable|enable
 * Each handler translates the request into one svc_ call (domain/svc.h, svc_keys.c),
 * which decides who may (domain/authz.c) and what the texts mean. */
#include <string.h>

#include "api/api.h"
#include "domain/authz.h"
#include "domain/svc.h"

static void put_text_or_null(struct mz_buf *b, const char *name, const char *v)
{
    mz_buf_printf(b, ",\"%s\":", name);
    if (*v)
        mz_buf_json_str(b, v);
    else
        mz_buf_puts(b, "null");
}

void api_put_key(struct mz_buf *b, const struct svc_key_view *k)
{
    mz_buf_printf(b, "{\"id\":%lld,\"user\":", (long long)k->id);
    mz_buf_json_str(b, k->user);
    put_text_or_null(b, "prefix", k->prefix);
    mz_buf_puts(b, ",\"comment\":");
    mz_buf_json_str(b, k->comment);
    put_text_or_null(b, "created", k->created);
    put_text_or_null(b, "expires", k->expires);
    put_text_or_null(b, "last_used", k->last_used);
    put_text_or_null(b, "revoked", k->revoked);
    if (k->replaced_by)
        mz_buf_printf(b, ",\"replaced_by\":%lld", (long long)k->replaced_by);
    else
        mz_buf_puts(b, ",\"replaced_by\":null");
    mz_buf_printf(b, ",\"status\":\"%s\"}", k->status);
}

/* The {name} of the path into name (STORE_NAME_LEN bytes); a name too long to be one
 * is a user that does not exist. */
static enum mz_err user_of_path(struct api_req *r, char *name, struct mz_error *err)
{
    if (api_seg(r, 0, name, STORE_NAME_LEN))
        return mz_error_set(err, MZ_ENOTFOUND, "", "no user named '%.64s'", r->route_seg[0]);
    return MZ_OK;
}

/* The {id} of the path: a key id is a whole number. */
static enum mz_err key_of_path(struct api_req *r, int64_t *id_out, struct mz_error *err)
{
    const char *s = r->route_seg[1];
    size_t n = r->route_seg_len[1];
    int64_t v = 0;

    if (n == 0 || n > 18 || strspn(s, "0123456789") < n)
        return mz_error_set(err, MZ_EINVAL, "id", "a key id is a whole number (GET /api/v1/users/NAME/keys lists them)");
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *id_out = v;
    return MZ_OK;
}

/* The members of the bodies that issue, change and rotate keys. expires may be null
 * (never) where a key's expiry is changed. */
static enum mz_err read_opts(json_t *body, struct svc_key_opts *o, struct mz_error *err)
{
    json_t *exp = json_object_get(body, "expires");
    enum mz_err rc = api_json_str(body, "comment", 0, &o->comment, err);

    if (!rc && json_is_null(exp))
        o->expires = "never";
    else if (!rc)
        rc = api_json_str(body, "expires", 0, &o->expires, err);
    if (!rc)
        rc = api_json_str(body, "grace", 0, &o->grace, err);
    return rc;
}

struct key_listing {
    struct mz_buf b;
    size_t n;
};

static int key_row(void *ctx, const struct svc_key_view *k)
{
    struct key_listing *l = ctx;

    if (l->n++)
        mz_buf_putc(&l->b, ',');
    api_put_key(&l->b, k);
    return 0;
}

enum MHD_Result api_user_keys_list(struct api_req *r)
{
    struct key_listing l = {{0}, 0};
    char name[STORE_NAME_LEN];
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = user_of_path(r, name, &err);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&l.b, api_reply_limit(r));
    mz_buf_puts(&l.b, "{\"user\":");
    mz_buf_json_str(&l.b, name);
    mz_buf_puts(&l.b, ",\"keys\":[");
    st = node_store_acquire(r->node);
    rc = svc_key_list(st, &r->who, name, key_row, &l, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&l.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&l.b, "]}\n");
    return api_reply(r, 200, &l.b, "application/json");
}

/* 201 {"key":…,[ "replaces":…,] "api_key":"mz_…","note":…}: the key is shown once. */
static enum MHD_Result reply_new_key(struct api_req *r, const struct svc_key_view *k, const struct svc_key_view *old,
                                     const char *key)
{
    struct mz_buf b;

    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"key\":");
    api_put_key(&b, k);
    if (old) {
        mz_buf_puts(&b, ",\"replaces\":");
        api_put_key(&b, old);
    }
    mz_buf_printf(&b, ",\"api_key\":\"%s\",\"note\":\"the key is shown only once; store it now\"}\n", key);
    return api_reply(r, 201, &b, "application/json");
}

static enum MHD_Result reply_key(struct api_req *r, const struct svc_key_view *k)
{
    struct mz_buf b;

    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"key\":");
    api_put_key(&b, k);
    mz_buf_puts(&b, "}\n");
    return api_reply(r, 200, &b, "application/json");
}

static const char *const issue_members[] = {"comment", "expires", NULL};
static const char *const rotate_members[] = {"comment", "expires", "grace", NULL};
static const char *const no_members[] = {NULL};

enum MHD_Result api_user_keys_post(struct api_req *r)
{
    struct svc_key_opts o = {0};
    struct svc_key_view k;
    char name[STORE_NAME_LEN], key[SVC_KEY_LEN];
    struct mz_error err;
    struct store *st;
    json_t *body = NULL;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = authz_check(&r->who, AUTHZ_KEY_ISSUE, &err); /* before the body is parsed */
    if (!rc)
        rc = user_of_path(r, name, &err);
    if (!rc)
        rc = api_json_body(r, 1, issue_members, &body, &err);
    if (!rc)
        rc = read_opts(body, &o, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_key_issue(st, &r->who, name, &o, &k, key, &err);
        node_store_release(r->node, st);
    }
    json_decref(body);
    return rc ? api_reply_error(r, &err) : reply_new_key(r, &k, NULL, key);
}

enum MHD_Result api_user_key_patch(struct api_req *r)
{
    struct svc_key_opts o = {0};
    struct svc_key_view k;
    char name[STORE_NAME_LEN];
    struct mz_error err;
    struct store *st;
    json_t *body = NULL;
    int64_t id = 0;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = authz_check(&r->who, AUTHZ_KEY_CHANGE, &err);
    if (!rc)
        rc = user_of_path(r, name, &err);
    if (!rc)
        rc = key_of_path(r, &id, &err);
    if (!rc)
        rc = api_json_body(r, 0, issue_members, &body, &err);
    if (!rc)
        rc = read_opts(body, &o, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_key_change(st, &r->who, name, id, &o, &k, &err);
        node_store_release(r->node, st);
    }
    json_decref(body);
    return rc ? api_reply_error(r, &err) : reply_key(r, &k);
}

enum MHD_Result api_user_key_delete(struct api_req *r)
{
    struct svc_key_view k;
    char name[STORE_NAME_LEN];
    struct mz_error err;
    struct store *st;
    int64_t id = 0;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = user_of_path(r, name, &err);
    if (!rc)
        rc = key_of_path(r, &id, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_key_revoke(st, &r->who, name, id, &k, &err);
        node_store_release(r->node, st);
    }
    return rc ? api_reply_error(r, &err) : reply_key(r, &k);
}

enum MHD_Result api_user_key_rotate(struct api_req *r)
{
    struct svc_key_opts o = {0};
    struct svc_key_view k, old;
    char name[STORE_NAME_LEN], key[SVC_KEY_LEN];
    struct mz_error err;
    struct store *st;
    json_t *body = NULL;
    int64_t id = 0;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = authz_check(&r->who, AUTHZ_KEY_ISSUE, &err);
    if (!rc)
        rc = user_of_path(r, name, &err);
    if (!rc)
        rc = key_of_path(r, &id, &err);
    if (!rc)
        rc = api_json_body(r, 1, rotate_members, &body, &err);
    if (!rc)
        rc = read_opts(body, &o, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_key_rotate(st, &r->who, name, id, &o, &k, &old, key, &err);
        node_store_release(r->node, st);
    }
    json_decref(body);
    return rc ? api_reply_error(r, &err) : reply_new_key(r, &k, &old, key);
}

static enum MHD_Result set_disabled(struct api_req *r, int disabled)
{
    char name[STORE_NAME_LEN];
    struct store_user u;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    json_t *body = NULL;
    enum mz_err rc;

    mz_error_clear(&err);
    rc = authz_check(&r->who, AUTHZ_USER_DISABLE, &err);
    if (!rc)
        rc = user_of_path(r, name, &err);
    if (!rc)
        rc = api_json_body(r, 1, no_members, &body, &err);
    json_decref(body);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_user_set_disabled(st, &r->who, name, disabled, &u, &err);
        node_store_release(r->node, st);
    }
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"user\":");
    api_put_user(&b, &u, NULL);
    mz_buf_puts(&b, "}\n");
    return api_reply(r, 200, &b, "application/json");
}

enum MHD_Result api_user_disable(struct api_req *r)
{
    return set_disabled(r, 1);
}

enum MHD_Result api_user_enable(struct api_req *r)
{
    return set_disabled(r, 0);
}
