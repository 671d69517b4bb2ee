/* api/api_withdraw.c - POST /api/v1/objects/{id}/withdraw and
 * GET /api/v1/objects/{id}/withdrawals: the owner takes back versions shared too
 * widely (docs/model.md R7), and reads the records of what it took back. JSON in,
 * one svc_withdraw / svc_withdrawals call (domain/svc_withdraw.c decides who may and
 * which versions), JSON out. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/svc.h"
#include "rules/tlp.h"

static const char *const withdraw_members[] = {"versions", "to", "owner_keeps", "reason", "restore", NULL};

/* A list of strings (member key of body) into out (room for max), or a refusal. */
static enum mz_err string_list(json_t *body, const char *key, const char **out, size_t max, size_t *n_out,
                               struct mz_error *err)
{
    json_t *a = json_object_get(body, key), *it;
    char field[48];
    size_t i;

    *n_out = 0;
    if (!a)
        return MZ_OK;
    snprintf(field, sizeof field, "/%s", key);
    if (!json_is_array(a))
        return mz_error_set(err, MZ_EINVAL, field, "`%s` must be a list of strings", key);
    if (json_array_size(a) > max)
        return mz_error_set(err, MZ_EINVAL, field, "`%s` may name at most %zu", key, max);
    json_array_foreach(a, i, it) {
        if (!json_is_string(it)) {
            snprintf(field, sizeof field, "/%s/%zu", key, i);
            return mz_error_set(err, MZ_EINVAL, field, "each of `%s` must be a string", key);
        }
        out[i] = json_string_value(it);
    }
    *n_out = json_array_size(a);
    return MZ_OK;
}

static enum mz_err read_body(json_t *body, struct svc_withdraw_in *in, const char **versions, const char **to,
                             struct mz_error *err)
{
    json_t *v = json_object_get(body, "versions"), *keeps = json_object_get(body, "owner_keeps"),
           *restore = json_object_get(body, "restore");
    enum mz_err rc = MZ_OK;

    if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "all"))) {
        in->versions = NULL;
    } else if (json_is_array(v)) {
        rc = string_list(body, "versions", versions, SVC_WITHDRAW_MAX_VERSIONS, &in->n_versions, err);
        in->versions = versions;
    } else {
        rc = mz_error_set(err, MZ_EINVAL, "/versions", "`versions` is \"all\" or a list of versions (their `modified`)");
    }
    if (!rc)
        rc = string_list(body, "to", to, SVC_WITHDRAW_MAX_TO, &in->n_to, err);
    in->to = to;
    if (!rc && keeps && !json_is_boolean(keeps))
        rc = mz_error_set(err, MZ_EINVAL, "/owner_keeps", "`owner_keeps` is true or false");
    in->owner_gives_up = json_is_false(keeps);
    if (!rc && restore && !json_is_boolean(restore))
        rc = mz_error_set(err, MZ_EINVAL, "/restore", "`restore` is true or false");
    in->restore = json_is_true(restore);
    if (!rc)
        rc = api_json_str(body, "reason", 0, &in->reason, err);
    return rc;
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
        while (*p == ' ')
            p++;
    }
    mz_buf_putc(b, ']');
}

enum MHD_Result api_object_withdraw(struct api_req *r)
{
    struct svc_withdraw_in in;
    struct svc_withdraw_result res;
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
    rc = api_json_body(r, 1, withdraw_members, &body, &err);
    {
        const char **vs = calloc(SVC_WITHDRAW_MAX_VERSIONS, sizeof *vs), **ts = calloc(SVC_WITHDRAW_MAX_TO, sizeof *ts);
        if (!rc && (!vs || !ts))
            rc = mz_error_set(&err, MZ_ENOMEM, "", "out of memory");
        if (!rc)
            rc = read_body(body, &in, vs, ts, &err);
        if (!rc) {
            st = node_store_acquire(r->node);
            rc = svc_withdraw(st, &r->who, &in, &res, &err);
            node_store_release(r->node, st);
        }
        free(vs);
        free(ts);
    }
    json_decref(body);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 4096 + res.n * (512 + (size_t)(SVC_WITHDRAW_MAX_TO + 1) * (STORE_IDENT_LEN + 4)));
    mz_buf_printf(&b, "{\"id\":\"%s\",\"%s\":[", id, in.restore ? "restored" : "withdrawn");
    for (size_t i = 0; i < res.n; i++) {
        const struct svc_withdrawn *it = &res.items[i];
        mz_buf_printf(&b, "%s{\"version\":\"%s\",\"tlp\":\"%s\",\"tombstone\":\"%s\"", i ? "," : "", it->version,
                      tlp_name((enum tlp_level)it->tlp), it->tombstone);
        if (it->keep) {
            mz_buf_puts(&b, ",\"keep\":");
            put_idents(&b, it->keep);
        }
        if (it->at[0])
            mz_buf_printf(&b, ",\"at\":\"%s\"", it->at);
        else
            mz_buf_puts(&b, ",\"unchanged\":true");
        mz_buf_putc(&b, '}');
    }
    mz_buf_printf(&b, "],\"by\":");
    mz_buf_json_str(&b, r->who.user.name);
    mz_buf_puts(&b, "}\n");
    svc_withdraw_result_free(&res);
    return api_reply(r, 200, &b, "application/json");
}

struct records_out {
    struct mz_buf *b;
    size_t n;
};

static int put_record(void *ctx, const struct svc_withdrawal_view *w)
{
    struct records_out *o = ctx;
    struct mz_buf *b = o->b;

    mz_buf_printf(b, "%s{\"version\":\"%s\",\"tlp\":\"%s\",\"tombstone\":\"%s\",\"withdrawn\":%s", o->n++ ? "," : "",
                  w->version, tlp_name((enum tlp_level)w->tlp), w->tombstone, w->keep ? "true" : "false");
    if (w->keep) {
        mz_buf_puts(b, ",\"keep\":");
        put_idents(b, w->keep);
    }
    mz_buf_puts(b, ",\"by\":");
    mz_buf_json_str(b, w->by);
    mz_buf_printf(b, ",\"at\":\"%s\"", w->at);
    if (w->reason) {
        mz_buf_puts(b, ",\"reason\":");
        mz_buf_json_str(b, w->reason);
    }
    mz_buf_putc(b, '}');
    return 0;
}

enum MHD_Result api_object_withdrawals(struct api_req *r, const char *id)
{
    struct mz_error err;
    struct mz_buf b;
    struct records_out o = {&b, 0};
    struct store *st;
    enum mz_err rc;

    mz_error_clear(&err);
    mz_buf_init(&b, api_reply_limit(r));
    mz_buf_printf(&b, "{\"id\":");
    mz_buf_json_str(&b, id);
    mz_buf_puts(&b, ",\"withdrawals\":[");
    st = node_store_acquire(r->node);
    rc = svc_withdrawals(st, &r->who, id, put_record, &o, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&b);
        return api_reply_error(r, &err);
    }
    mz_buf_puts(&b, "]}\n");
    return api_reply(r, 200, &b, "application/json");
}
