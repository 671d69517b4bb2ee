/* rules/observe.c - see observe.h. */
#include "rules/observe.h"

#include <stdio.h>
#include <string.h>

struct term_ctx {
    observe_fn fn;
    void *ctx;
    int unindexable; /* a term whose path the index does not know */
    int stopped;
};

static int emit(observe_fn fn, void *ctx, enum obs_kind k, const char *value, size_t len,
                int *stopped)
{
    char canon[OBS_MAX_LEN + 1];
    size_t clen;
    enum obs_kind real = k;

    if (*stopped || obs_normalize(k, value, len, canon, sizeof canon, &clen, NULL, &real, NULL))
        return 0; /* a value that is no valid observable can never match: skip it */
    if (fn && fn(ctx, real, canon, clen))
        *stopped = 1;
    return 1;
}

static int on_term(void *vctx, const struct pattern_term *t)
{
    struct term_ctx *c = vctx;
    int k = obs_kind_of_path(t->object_type, t->path);

    if (k < 0) {
        c->unindexable = 1;
        return 0;
    }
    emit(c->fn, c->ctx, (enum obs_kind)k, t->value, strlen(t->value), &c->stopped);
    return c->stopped;
}

struct check_ctx {
    size_t pos;
    struct mz_error *err;
    int bad;
};

static int check_term(void *vctx, const struct pattern_term *t)
{
    struct check_ctx *c = vctx;
    int k = obs_kind_of_path(t->object_type, t->path);
    char canon[OBS_MAX_LEN + 1];
    size_t clen;
    enum obs_kind real;

    if (k < 0)
        return 0; /* not looked up in the index: the evaluator decides */
    real = (enum obs_kind)k;
    if (obs_normalize((enum obs_kind)k, t->value, strlen(t->value), canon, sizeof canon, &clen, NULL, &real,
                      c->err) == 0)
        return 0;
    c->pos = t->pos;
    c->bad = 1;
    return 1;
}

int observe_pattern_check(const struct pattern *p, size_t *pos, struct mz_error *err)
{
    struct check_ctx c = {0, err, 0};

    pattern_plan(p, check_term, &c);
    if (c.bad)
        *pos = c.pos;
    return c.bad ? -1 : 0;
}

void observe_pattern_values(const struct pattern *p, observe_fn fn, void *ctx)
{
    struct term_ctx c = {fn, ctx, 0, 0};
    pattern_plan(p, on_term, &c);
}

enum observe_plan observe_pattern_plan(const struct pattern *p)
{
    struct term_ctx c = {NULL, NULL, 0, 0};
    enum pattern_plan_kind plan = pattern_plan(p, on_term, &c);

    if (plan == PLAN_SCAN || c.unindexable)
        return OBSERVE_SCAN;
    return plan == PLAN_EXACT ? OBSERVE_EXACT : OBSERVE_CANDIDATE;
}

static enum observe_plan observe_indicator(json_t *obj, observe_fn fn, void *ctx,
                                           struct pattern **pattern_out)
{
    const char *text = json_string_value(json_object_get(obj, "pattern"));
    const char *ptype = json_string_value(json_object_get(obj, "pattern_type"));
    struct term_ctx c = {fn, ctx, 0, 0};
    struct pattern *p = NULL;
    enum observe_plan res;

    if (!text || !ptype || strcmp(ptype, "stix") != 0)
        return OBSERVE_NONE;
    if (pattern_parse(text, strlen(text), &p, NULL))
        return OBSERVE_NONE;
    res = observe_pattern_plan(p);
    if (res != OBSERVE_SCAN)
        pattern_plan(p, on_term, &c);
    if (pattern_out && (res == OBSERVE_CANDIDATE || res == OBSERVE_SCAN))
        *pattern_out = p;
    else
        pattern_free(p);
    return res;
}

enum observe_plan observe_object(json_t *obj, observe_fn fn, void *ctx,
                                 struct pattern **pattern_out)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    int stopped = 0, n = 0;

    if (pattern_out)
        *pattern_out = NULL;
    if (!type)
        return OBSERVE_NONE;
    if (!strcmp(type, "indicator"))
        return observe_indicator(obj, fn, ctx, pattern_out);
    if (!strcmp(type, "file")) {
        /* hashes by algorithm name, as a pattern path would name them */
        json_t *hashes = json_object_get(obj, "hashes"), *v;
        const char *alg;
        json_object_foreach(hashes, alg, v) {
            char path[80];
            int k;
            snprintf(path, sizeof path, "hashes.%.60s", alg);
            k = obs_kind_of_path("file", path);
            if (k >= 0 && json_is_string(v))
                n += emit(fn, ctx, (enum obs_kind)k, json_string_value(v), json_string_length(v), &stopped);
        }
        return n ? OBSERVE_VALUES : OBSERVE_NONE;
    }
    {
        /* ipv4-addr, ipv6-addr, domain-name, url, email-addr, cryptocurrency-wallet */
        int k = obs_kind_of_path(type, "value");
        json_t *v = json_object_get(obj, "value");
        if (k >= 0 && json_is_string(v))
            n += emit(fn, ctx, (enum obs_kind)k, json_string_value(v), json_string_length(v), &stopped);
        return n ? OBSERVE_VALUES : OBSERVE_NONE;
    }
}

const char *observe_plan_name(enum observe_plan p)
{
    static const char *const names[] = {"none", "values", "exact", "candidate", "scan"};
    return names[p];
}
