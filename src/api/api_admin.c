/* api/api_admin.c - /healthz, /api/v1/whoami, /api/v1/orgs and /api/v1/users, and
 * the small JSON bodies of the admin endpoints (api_json_body). A user's keys and
 * account state are api_keys.c's. */
#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "domain/authz.h"
#include "domain/svc.h"
#include "rules/model.h"

#ifdef MZ_SELFTEST_LEAK
/* Only in the test runner's self-test (`make selftest`, which builds this file alone
 * with -DMZ_SELFTEST_LEAK into build/san/selftest/mreza): each /healthz leaks 64
 * bytes, LeakSanitizer reports them when the server exits, and the integration tests
 * run against that server must fail. Never defined in a real build. */
#include <stdlib.h>
static void *volatile selftest_leak;
#endif

enum MHD_Result api_healthz(struct api_req *r)
{
    struct mz_buf b;

#ifdef MZ_SELFTEST_LEAK
    selftest_leak = malloc(64);
    selftest_leak = NULL;
#endif
    mz_buf_init(&b, 64);
    mz_buf_puts(&b, "{\"status\":\"ok\"}\n");
    return api_reply(r, 200, &b, "application/json");
}

static void put_org(struct mz_buf *b, const struct store_org *o)
{
    mz_buf_puts(b, "{\"name\":");
    mz_buf_json_str(b, o->name);
    mz_buf_puts(b, ",\"full_name\":");
    mz_buf_json_str(b, o->full_name);
    mz_buf_printf(b, ",\"identity\":\"%s\",\"country\":\"%s\",\"sector\":", o->identity, o->country);
    mz_buf_json_str(b, o->sector);
    mz_buf_printf(b, ",\"kind\":\"%s\",\"rank\":%d}", o->kind, model_rank_of(o->rank, o->kind));
}

void api_put_user(struct mz_buf *b, const struct store_user *u, const char *org_name)
{
    mz_buf_puts(b, "{\"name\":");
    mz_buf_json_str(b, u->name);
    mz_buf_printf(b, ",\"role\":\"%s\",\"identity\":\"%s\",\"disabled\":%s", u->role, u->identity,
                  u->disabled ? "true" : "false");
    if (org_name) {
        mz_buf_puts(b, ",\"org\":");
        mz_buf_json_str(b, org_name);
    }
    mz_buf_putc(b, '}');
}

enum MHD_Result api_whoami(struct api_req *r)
{
    struct svc_key_view k;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    st = node_store_acquire(r->node);
    rc = svc_key_current(st, &r->who, &k, &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"user\":");
    api_put_user(&b, &r->who.user, NULL);
    mz_buf_puts(&b, ",\"org\":");
    put_org(&b, &r->who.org);
    mz_buf_puts(&b, ",\"key\":");
    api_put_key(&b, &k);
    mz_buf_puts(&b, "}\n");
    return api_reply(r, 200, &b, "application/json");
}

struct listing {
    struct mz_buf b;
    size_t n;
};

static int org_row(void *ctx, const struct store_org *o)
{
    struct listing *l = ctx;

    if (l->n++)
        mz_buf_putc(&l->b, ',');
    put_org(&l->b, o);
    return 0;
}

enum MHD_Result api_orgs_list(struct api_req *r)
{
    struct listing l = {{0}, 0};
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    mz_buf_init(&l.b, api_reply_limit(r));
    mz_buf_puts(&l.b, "{\"orgs\":[");
    st = node_store_acquire(r->node);
    rc = svc_org_list(st, &r->who, org_row, &l, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&l.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&l.b, "]}\n");
    return api_reply(r, 200, &l.b, "application/json");
}

static int user_row(void *ctx, const struct store_user *u)
{
    struct listing *l = ctx;

    if (l->n++)
        mz_buf_putc(&l->b, ',');
    api_put_user(&l->b, u, NULL);
    return 0;
}

enum MHD_Result api_users_list(struct api_req *r)
{
    struct listing l = {{0}, 0};
    struct mz_error err;
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    mz_buf_init(&l.b, api_reply_limit(r));
    mz_buf_puts(&l.b, "{\"users\":[");
    st = node_store_acquire(r->node);
    rc = svc_user_list(st, &r->who, api_arg(r, "org"), user_row, &l, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&l.b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&l.b, "]}\n");
    return api_reply(r, 200, &l.b, "application/json");
}

/* 1 if name is one of allowed. */
static int member_allowed(const char *name, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(name, *allowed))
            return 1;
    return 0;
}

enum mz_err api_json_body(struct api_req *r, int empty_ok, const char *const *allowed, json_t **out,
                          struct mz_error *err)
{
    json_error_t je;
    const char *name;
    json_t *v, *member;

    if (empty_ok && r->body.len == 0) {
        v = json_object();
        if (!v)
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        *out = v;
        return MZ_OK;
    }
    v = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return mz_error_set(err, MZ_EINVAL, "", "malformed JSON at byte %d: %s", je.position, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return mz_error_set(err, MZ_EINVAL, "", "expected a JSON object");
    }
    json_object_foreach(v, name, member) {
        if (!member_allowed(name, allowed)) {
            mz_error_set(err, MZ_EINVAL, "", "unknown member '%.64s' (this endpoint reads only those in docs/api.md)",
                         name);
            json_decref(v);
            return MZ_EINVAL;
        }
    }
    *out = v;
    return MZ_OK;
}

enum mz_err api_json_str(json_t *o, const char *key, int required, const char **out, struct mz_error *err)
{
    json_t *v = json_object_get(o, key);
    char field[64];

    snprintf(field, sizeof field, "/%s", key);
    *out = NULL;
    if (!v && required)
        return mz_error_set(err, MZ_EINVAL, field, "`%s` is required", key);
    if (v && !json_is_string(v))
        return mz_error_set(err, MZ_EINVAL, field, "`%s` must be a string", key);
    *out = v ? json_string_value(v) : NULL;
    return MZ_OK;
}

static const char *const org_members[] = {"name", "country", "full_name", "sector", "kind", NULL};
static const char *const user_members[] = {"name", "org", "role", NULL};

enum MHD_Result api_orgs_post(struct api_req *r)
{
    struct svc_org_new in = {0};
    struct store_org org;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    json_t *body = NULL;
    enum mz_err rc;

    mz_error_clear(&err);
    /* refused before the body is parsed: no one else makes the node parse it */
    rc = authz_check(&r->who, AUTHZ_ORG_ADD, &err);
    if (!rc)
        rc = api_json_body(r, 0, org_members, &body, &err);
    if (!rc)
        rc = api_json_str(body, "name", 1, &in.name, &err);
    if (!rc)
        rc = api_json_str(body, "country", 1, &in.country, &err);
    if (!rc)
        rc = api_json_str(body, "full_name", 0, &in.full_name, &err);
    if (!rc)
        rc = api_json_str(body, "sector", 0, &in.sector, &err);
    if (!rc)
        rc = api_json_str(body, "kind", 0, &in.kind, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        rc = svc_org_add(st, &r->who, &in, &org, &err);
        node_store_release(r->node, st);
    }
    json_decref(body);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"org\":");
    put_org(&b, &org);
    mz_buf_puts(&b, "}\n");
    return api_reply(r, 201, &b, "application/json");
}

enum MHD_Result api_users_post(struct api_req *r)
{
    const char *name = NULL, *org = NULL, *role = NULL;
    struct store_user u;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    json_t *body = NULL;
    char key[SVC_KEY_LEN];
    enum mz_err rc;

    mz_error_clear(&err);
    rc = authz_check(&r->who, AUTHZ_USER_ADD, &err); /* before the body is parsed */
    if (!rc)
        rc = api_json_body(r, 0, user_members, &body, &err);
    if (!rc)
        rc = api_json_str(body, "name", 1, &name, &err);
    if (!rc)
        rc = api_json_str(body, "org", 1, &org, &err);
    if (!rc)
        rc = api_json_str(body, "role", 1, &role, &err);
    if (!rc) {
        st = node_store_acquire(r->node);
        struct svc_user_new in = {org, name, role, NULL, r->node->conf.accounts_max_users_per_org};
        rc = svc_user_add(st, &r->who, &in, &u, key, &err);
        node_store_release(r->node, st);
    }
    if (rc) {
        json_decref(body);
        return api_reply_error(r, &err);
    }
    mz_buf_init(&b, 1 << 16);
    mz_buf_puts(&b, "{\"user\":");
    api_put_user(&b, &u, org);
    mz_buf_printf(&b, ",\"api_key\":\"%s\",\"note\":\"the key is shown only once; store it now\"}\n", key);
    json_decref(body);
    return api_reply(r, 201, &b, "application/json");
}
