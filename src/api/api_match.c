/* api/api_match.c - POST /api/v1/match (values, or log lines in any `mreza match`
 * format), GET /api/v1/correlations,
 * GET /api/v1/objects/{id}/correlations and GET /api/v1/index: JSON in, calls on the
 * indicator engine (engine/engine.h), JSON out. TLP filtering happens below. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "engine/obsline.h"
#include "rules/observe.h"
#include "domain/svc.h"
#include "engine/engine.h"
#include "rules/tlp.h"
#include "match/logfmt.h"

#define MATCH_MAX_ITEMS 100000
#define RESPONSE_LIMIT ((size_t)1 << 30)

static const char *const via_names[] = {"exact", "parent", "range"};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct match_out {
    struct mz_buf *b;
    size_t item;
    size_t n;
};

static int put_hit(void *ctx, const struct engine_hit *h)
{
    struct match_out *o = ctx;
    struct mz_buf *b = o->b;

    mz_buf_printf(b, "%s{\"item\":%zu,\"field\":", o->n++ ? "," : "", o->item);
    mz_buf_json_str(b, h->field ? h->field : "value");
    mz_buf_puts(b, ",\"value\":");
    mz_buf_json_str(b, h->value);
    mz_buf_printf(b, ",\"kind\":\"%s\",\"via\":\"%s\",\"indicator\":\"%s\",\"matched\":",
                  obs_kind_name(h->kind), via_names[h->via], h->indicator);
    mz_buf_json_str(b, h->matched);
    mz_buf_putc(b, '}');
    return 0;
}

/* One item of "values": a string, or {"value": "...", "kind": "domain"}. */
static enum mz_err item_value(json_t *it, size_t i, struct engine_value *v, struct mz_error *err)
{
    char field[64];
    json_t *val = json_is_object(it) ? json_object_get(it, "value") : it;
    const char *kind = json_string_value(json_object_get(it, "kind"));

    snprintf(field, sizeof field, "/values/%zu", i);
    if (!json_is_string(val))
        return mz_error_set(err, MZ_EINVAL, field, "each value must be a string or {\"value\": \"…\", \"kind\": \"…\"}");
    v->field = "value";
    v->value = json_string_value(val);
    v->len = json_string_length(val);
    v->kind_hint = -1;
    if (kind && (v->kind_hint = obs_kind_parse(kind)) < 0)
        return mz_error_set(err, MZ_EINVAL, field, "unknown kind '%.32s' (ipv4, ipv6, domain, url, email, md5, sha1, sha256, sha512, wallet)", kind);
    return MZ_OK;
}

/* {"lines": [...], "format": "auto|json|eve|zeek|csv|text", "fields": [...]}: each line
 * is one observation, scanned like `mreza match` does. */
static enum mz_err match_lines(json_t *body, json_t *lines, struct engine_matcher *m, int64_t now,
                               struct match_out *out, size_t counts[LOGFMT_N_SKIP],
                               struct mz_error *err)
{
    const char *fmt = json_string_value(json_object_get(body, "format"));
    json_t *fields = json_object_get(body, "fields"), *it;
    const char *names[32];
    struct logfmt_opts opts = {LOGFMT_AUTO, NULL, 0};
    struct logfmt *lf = NULL;
    struct obsline *lv;
    enum mz_err rc;
    size_t i;

    if (fmt && (int)(opts.kind = (enum logfmt_kind)logfmt_kind_parse(fmt)) < 0)
        return mz_error_set(err, MZ_EINVAL, "/format", "format must be auto, json, eve, zeek, csv or text");
    if (fields && (!json_is_array(fields) || json_array_size(fields) > 32))
        return mz_error_set(err, MZ_EINVAL, "/fields", "fields must be a list of at most 32 field paths");
    json_array_foreach(fields, i, it) {
        if (!json_is_string(it))
            return mz_error_set(err, MZ_EINVAL, "/fields", "fields must be strings");
        names[i] = json_string_value(it);
    }
    if (json_array_size(fields)) {
        opts.fields = names;
        opts.n_fields = json_array_size(fields);
    }
    lv = malloc(sizeof *lv);
    if (!lv || obsline_init(lv, (2u << 20) + 64)) {
        free(lv);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    rc = logfmt_new(&opts, &lf, err);
    json_array_foreach(lines, i, it) {
        enum logfmt_skip skip;
        if (rc)
            break;
        if (!json_is_string(it)) {
            char field[48];
            snprintf(field, sizeof field, "/lines/%zu", i);
            rc = mz_error_set(err, MZ_EINVAL, field, "each line must be a string");
            break;
        }
        obsline_reset(lv);
        skip = logfmt_line(lf, json_string_value(it), json_string_length(it), obsline_add, lv);
        counts[skip]++;
        out->item = i;
        if (skip == LOGFMT_OK && lv->n)
            engine_match_observation(m, lv->vals, lv->n, now, put_hit, out);
    }
    logfmt_free(lf);
    obsline_free(lv);
    free(lv);
    return rc;
}

enum MHD_Result api_match_post(struct api_req *r)
{
    struct mz_error err;
    json_error_t je;
    json_t *body, *values, *lines;
    struct mz_buf b;
    struct match_out out;
    struct engine_matcher *m = NULL;
    int as_lines = 0;
    size_t i, n_values;
    int64_t now = now_us();
    json_t *it;

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
    if (engine_matcher_new(r->node->index, &r->who, &m, &err)) {
        json_decref(body);
        return api_reply_error(r, &err);
    }
    mz_buf_init(&b, RESPONSE_LIMIT);
    mz_buf_puts(&b, "{\"matches\":[");
    out.b = &b;
    out.n = 0;
    if (as_lines) {
        size_t counts[LOGFMT_N_SKIP] = {0};
        if (match_lines(body, lines, m, now, &out, counts, &err)) {
            mz_buf_free(&b);
            json_decref(body);
            engine_matcher_free(m);
            return api_reply_error(r, &err);
        }
        mz_buf_printf(&b, "],\"checked\":%zu,\"matched\":%zu,\"skipped\":{", n_values, out.n);
        for (int k = 1; k < LOGFMT_N_SKIP; k++)
            mz_buf_printf(&b, "%s\"%s\":%zu", k > 1 ? "," : "", logfmt_skip_name((enum logfmt_skip)k), counts[k]);
        mz_buf_puts(&b, "}}\n");
        engine_matcher_free(m);
        json_decref(body);
        return api_reply(r, 200, &b, "application/json");
    }
    json_array_foreach(values, i, it) {
        struct engine_value v;
        if (item_value(it, i, &v, &err)) {
            mz_buf_free(&b);
            json_decref(body);
            engine_matcher_free(m);
            return api_reply_error(r, &err);
        }
        out.item = i;
        engine_match_observation(m, &v, 1, now, put_hit, &out);
    }
    mz_buf_printf(&b, "],\"checked\":%zu,\"matched\":%zu}\n", n_values, out.n);
    engine_matcher_free(m);
    json_decref(body);
    return api_reply(r, 200, &b, "application/json");
}

struct related_out {
    struct mz_buf *b;
    const char *exclude;
    size_t n;
};

static int put_related(void *ctx, const struct engine_related *rel)
{
    struct related_out *o = ctx;

    if (o->exclude && !strcmp(rel->id, o->exclude))
        return 0;
    mz_buf_printf(o->b, "%s{\"id\":\"%s\",\"tlp\":\"%s\"}", o->n++ ? "," : "", rel->id,
                  tlp_name((enum tlp_level)rel->tlp));
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
    mz_buf_init(&b, RESPONSE_LIMIT);
    mz_buf_puts(&b, "{\"value\":");
    mz_buf_json_str(&b, canon);
    mz_buf_printf(&b, ",\"kind\":\"%s\",\"objects\":[", obs_kind_name(real));
    out.b = &b;
    out.exclude = NULL;
    out.n = 0;
    engine_correlate_value(r->node->index, &r->who, (int)real, canon, clen, put_related, &out);
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
    engine_correlate_value(c->r->node->index, &c->r->who, (int)k, canon, len, put_related, &out);
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
    mz_buf_init(&f.body, RESPONSE_LIMIT);
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
    mz_buf_init(&b, RESPONSE_LIMIT);
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
    struct engine_stats s;
    struct mz_buf b;

    /* the index holds objects of every TLP: its counts would tell a member how much
     * others share that it may not see */
    if (!role_can_admin(r->who.role))
        return api_fail(r, MZ_EFORBIDDEN, "",
                        "the index statistics are for the node's admins: they count objects of every TLP");
    engine_stats(r->node->index, &s);
    mz_buf_init(&b, 4096);
    mz_buf_printf(&b,
                  "{\"objects\":%u,\"keys\":%u,\"postings\":%u,\"bytes\":%zu,"
                  "\"candidate_patterns\":%zu,\"scan_patterns\":%zu,\"generation\":%llu}\n",
                  s.idx.n_objs, s.idx.n_entries, s.idx.n_posts, s.idx.bytes, s.n_candidate,
                  s.n_scan, (unsigned long long)s.generation);
    return api_reply(r, 200, &b, "application/json");
}
