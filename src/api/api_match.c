/* api/api_match.c - POST /api/v1/match (values, or log lines in any `mreza match`
 * format), GET /api/v1/correlations, GET /api/v1/objects/{id}/correlations and
 * GET /api/v1/index: JSON in, calls on the match use cases (domain/svc_match.h), JSON
 * out. A hit is written by svc_match_hit_json(), as `mreza match` prints it; TLP
 * filtering and the admins-only rule of the index's figures are decided below. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/svc.h"
#include "domain/svc_match.h"
#include "rules/observe.h"
#include "rules/tlp.h"

#define MATCH_MAX_ITEMS 100000

struct match_out {
    struct mz_buf *b;
    size_t n;
};

static int put_hit(void *ctx, const struct svc_match_hit *h)
{
    struct match_out *o = ctx;

    if (o->n++)
        mz_buf_putc(o->b, ',');
    svc_match_hit_json(o->b, h);
    return 0;
}

/* One item of "values": a string, or {"value": "...", "kind": "domain"}. */
static enum mz_err item_value(json_t *it, size_t i, struct svc_match_value *v, struct mz_error *err)
{
    char field[64];
    json_t *val = json_is_object(it) ? json_object_get(it, "value") : it;
    const char *kind = json_string_value(json_object_get(it, "kind"));

    snprintf(field, sizeof field, "/values/%zu", i);
    if (!json_is_string(val))
        return mz_error_set(err, MZ_EINVAL, field, "each value must be a string or {\"value\": \"…\", \"kind\": \"…\"}");
    v->value = json_string_value(val);
    v->len = json_string_length(val);
    v->kind = -1;
    if (kind && (v->kind = obs_kind_parse(kind)) < 0)
        return mz_error_set(err, MZ_EINVAL, field, "unknown kind '%.32s' (ipv4, ipv6, domain, url, email, md5, sha1, sha256, sha512, wallet)", kind);
    return MZ_OK;
}

/* {"lines": [...], "format": "auto|json|eve|zeek|csv|text", "fields": [...]}: each line
 * is one observation, read as `mreza match` reads a log. */
static enum mz_err match_lines(struct api_req *r, json_t *body, json_t *lines, struct match_out *out,
                               struct svc_match_totals *t, struct mz_error *err)
{
    const char *fmt = json_string_value(json_object_get(body, "format"));
    json_t *fields = json_object_get(body, "fields"), *it;
    const char *names[SVC_MATCH_MAX_FIELDS];
    struct svc_match_opts o;
    struct svc_match_line *ls;
    enum mz_err rc;
    size_t i;

    memset(&o, 0, sizeof o);
    if (fmt && (o.format = svc_match_format(fmt)) < 0)
        return mz_error_set(err, MZ_EINVAL, "/format", "format must be auto, json, eve, zeek, csv or text");
    if (fields && (!json_is_array(fields) || json_array_size(fields) > SVC_MATCH_MAX_FIELDS))
        return mz_error_set(err, MZ_EINVAL, "/fields", "fields must be a list of at most %d field paths",
                            SVC_MATCH_MAX_FIELDS);
    json_array_foreach(fields, i, it) {
        if (!json_is_string(it))
            return mz_error_set(err, MZ_EINVAL, "/fields", "fields must be strings");
        names[i] = json_string_value(it);
    }
    o.fields = names;
    o.n_fields = json_array_size(fields);
    ls = calloc(json_array_size(lines) + 1, sizeof *ls);
    if (!ls)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = MZ_OK;
    json_array_foreach(lines, i, it) {
        if (!json_is_string(it)) {
            char field[48];
            snprintf(field, sizeof field, "/lines/%zu", i);
            rc = mz_error_set(err, MZ_EINVAL, field, "each line must be a string");
            break;
        }
        ls[i].p = json_string_value(it);
        ls[i].len = json_string_length(it);
    }
    if (!rc)
        rc = svc_match_lines(r->node->index, &r->who, ls, json_array_size(lines), &o, put_hit, out, t, err);
    free(ls);
    return rc;
}

/* {"values": [...]}: each value is an observation of its own. */
static enum mz_err match_values(struct api_req *r, json_t *values, struct match_out *out,
                                struct svc_match_totals *t, struct mz_error *err)
{
    struct svc_match_value *vs = calloc(json_array_size(values) + 1, sizeof *vs);
    enum mz_err rc = MZ_OK;
    json_t *it;
    size_t i;

    if (!vs)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    json_array_foreach(values, i, it) {
        rc = item_value(it, i, &vs[i], err);
        if (rc)
            break;
    }
    if (!rc)
        rc = svc_match_values(r->node->index, &r->who, vs, json_array_size(values), put_hit, out, t, err);
    free(vs);
    return rc;
}

enum MHD_Result api_match_post(struct api_req *r)
{
    struct mz_error err;
    json_error_t je;
    json_t *body, *values, *lines;
    struct mz_buf b;
    struct match_out out;
    struct svc_match_totals t;
    enum mz_err rc;
    int as_lines = 0;
    size_t n_values;

    mz_error_clear(&err);
    body = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!body)
        return api_fail(r, MZ_EINVAL, "", "malformed JSON at byte %d: %s", je.position, je.text);
    values = json_object_get(body, "values");
    lines = json_object_get(body, "lines");
    if (json_is_array(lines) && !values) {
        values = lines;
        as_lines = 1;
    }
    n_values = json_array_size(values);
    if (!json_is_array(values) || n_values == 0) {
        json_decref(body);
        return api_fail(r, MZ_EINVAL, "/values", "send {\"values\": [\"198.51.100.7\", \"evil.example\", …]} or {\"lines\": [\"log line\", …], \"format\": \"text\"}");
    }
    if (n_values > MATCH_MAX_ITEMS) {
        json_decref(body);
        return api_fail(r, MZ_ETOOBIG, "/values", "at most %d values per request", MATCH_MAX_ITEMS);
    }
    mz_buf_init(&b, api_reply_limit(r));
    mz_buf_puts(&b, "{\"matches\":[");
    out.b = &b;
    out.n = 0;
    memset(&t, 0, sizeof t);
    rc = as_lines ? match_lines(r, body, lines, &out, &t, &err) : match_values(r, values, &out, &t, &err);
    json_decref(body);
    if (rc) {
        mz_buf_free(&b);
        return api_reply_error(r, &err);
    }
    mz_buf_printf(&b, "],\"checked\":%zu,\"matched\":%zu", n_values, out.n);
    if (as_lines) {
        mz_buf_puts(&b, ",\"skipped\":{");
        for (int k = 1; k < SVC_MATCH_N_SKIP; k++)
            mz_buf_printf(&b, "%s\"%s\":%llu", k > 1 ? "," : "", svc_match_skip_name(k),
                          (unsigned long long)t.skipped[k]);
        mz_buf_putc(&b, '}');
    }
    /* only indicators the caller may see are evaluated: these count nothing else, and
     * name only organisations whose indicators it may see */
    mz_buf_printf(&b, ",\"regex_limited\":%llu,\"budget_spent\":[", (unsigned long long)t.regex_limited);
    for (size_t k = 0; k < t.n_budget_owners; k++) {
        mz_buf_puts(&b, k ? ",{\"submitted_by\":" : "{\"submitted_by\":");
        mz_buf_json_str(&b, t.budget_owners[k].submitted_by);
        mz_buf_printf(&b, ",\"values\":%llu}", (unsigned long long)t.budget_owners[k].values);
    }
    mz_buf_puts(&b, "]}\n");
    return api_reply(r, 200, &b, "application/json");
}

struct related_out {
    struct mz_buf *b;
    const char *exclude;
    size_t n;
};

static int put_related(void *ctx, const struct svc_related *rel)
{
    struct related_out *o = ctx;

    if (o->exclude && !strcmp(rel->id, o->exclude))
        return 0;
    mz_buf_printf(o->b, "%s{\"id\":\"%s\",\"tlp\":\"%s\"", o->n++ ? "," : "", rel->id,
                  tlp_name((enum tlp_level)rel->tlp));
    if (rel->submitted_by && rel->submitted_by[0])
        mz_buf_printf(o->b, ",\"submitted_by\":\"%s\"", rel->submitted_by); /* an identity id: no quotes */
    mz_buf_putc(o->b, '}');
    return 0;
}

enum MHD_Result api_correlations_get(struct api_req *r)
{
    const char *value = api_arg(r, "value"), *kind = api_arg(r, "kind");
    char canon[OBS_MAX_LEN + 1];
    struct related_out out;
    struct mz_buf b;
    size_t clen;
    int k = -1;
    enum obs_kind real;

    if (!value || !*value)
        return api_fail(r, MZ_EINVAL, "value", "give the observable: /api/v1/correlations?value=evil.example[&kind=domain]");
    if (kind && (k = obs_kind_parse(kind)) < 0)
        return api_fail(r, MZ_EINVAL, "kind", "unknown kind '%.32s'", kind);
    if (k < 0)
        k = obs_guess_kind(value, strlen(value));
    if (k < 0)
        return api_fail(r, MZ_EINVAL, "value", "cannot tell what kind of observable '%.80s' is; add &kind=…", value);
    real = (enum obs_kind)k;
    if (obs_normalize(real, value, strlen(value), canon, sizeof canon, &clen, NULL, &real, NULL))
        return api_fail(r, MZ_EINVAL, "value", "'%.80s' is not a valid %s", value, obs_kind_name((enum obs_kind)k));
    mz_buf_init(&b, api_reply_limit(r));
    mz_buf_puts(&b, "{\"value\":");
    mz_buf_json_str(&b, canon);
    mz_buf_printf(&b, ",\"kind\":\"%s\",\"objects\":[", obs_kind_name(real));
    out.b = &b;
    out.exclude = NULL;
    out.n = 0;
    svc_correlate(r->node->index, &r->who, real, canon, clen, put_related, &out);
    mz_buf_printf(&b, "],\"count\":%zu}\n", out.n);
    return api_reply(r, 200, &b, "application/json");
}

struct obj_corr {
    struct api_req *r;
    struct mz_buf *b;
    const char *self;
    size_t n_values;
};

static int per_value(void *ctx, enum obs_kind k, const char *canon, size_t len)
{
    struct obj_corr *c = ctx;
    struct related_out out = {c->b, c->self, 0};

    mz_buf_puts(c->b, c->n_values++ ? ",{\"value\":" : "{\"value\":");
    mz_buf_json_str(c->b, canon);
    mz_buf_printf(c->b, ",\"kind\":\"%s\",\"objects\":[", obs_kind_name(k));
    svc_correlate(c->r->node->index, &c->r->who, k, canon, len, put_related, &out);
    mz_buf_puts(c->b, "]}");
    return 0;
}

struct fetched {
    struct mz_buf body;
};

static int keep_body(void *ctx, const struct store_row *row)
{
    struct fetched *f = ctx;
    mz_buf_append(&f->body, row->body, row->body_len);
    return 1;
}

/* GET /api/v1/objects/{id}/correlations: id is r->route_arg without the suffix. */
enum MHD_Result api_object_correlations(struct api_req *r, const char *id)
{
    struct mz_error err;
    struct fetched f;
    struct mz_buf b;
    struct obj_corr c;
    struct store *st;
    json_error_t je;
    json_t *obj;
    enum mz_err rc;

    mz_error_clear(&err);
    mz_buf_init(&f.body, api_reply_limit(r));
    st = node_store_acquire(r->node);
    rc = svc_get(st, &r->who, id, 0, keep_body, &f, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&f.body);
        return api_reply_error(r, &err);
    }
    obj = json_loadb(f.body.data, f.body.len, 0, &je);
    mz_buf_free(&f.body);
    if (!obj)
        return api_fail(r, MZ_EIO, "", "the stored object could not be read");
    mz_buf_init(&b, api_reply_limit(r));
    mz_buf_puts(&b, "{\"id\":");
    mz_buf_json_str(&b, id);
    mz_buf_puts(&b, ",\"correlations\":[");
    c.r = r;
    c.b = &b;
    c.self = id;
    c.n_values = 0;
    observe_object(obj, per_value, &c, NULL);
    mz_buf_puts(&b, "]}\n");
    json_decref(obj);
    return api_reply(r, 200, &b, "application/json");
}

enum MHD_Result api_index_stats(struct api_req *r)
{
    struct svc_index_stats s;
    struct mz_error err;
    struct mz_buf b;

    mz_error_clear(&err);
    if (svc_index_stats(r->node->index, &r->who, &s, &err))
        return api_reply_error(r, &err);
    mz_buf_init(&b, 4096);
    mz_buf_printf(&b,
                  "{\"objects\":%u,\"keys\":%u,\"postings\":%u,\"bytes\":%zu,"
                  "\"candidate_patterns\":%zu,\"scan_patterns\":%zu,\"generation\":%llu}\n",
                  s.objects, s.keys, s.postings, s.bytes, s.candidate_patterns, s.scan_patterns,
                  (unsigned long long)s.generation);
    return api_reply(r, 200, &b, "application/json");
}
