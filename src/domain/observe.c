/* domain/observe.c - see observe.h. */
#include "domain/observe.h"

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

static const struct {
    const char *type;
    enum obs_kind kind;
} value_types[] = {
    {"ipv4-addr", OBS_IPV4},
    {"ipv6-addr", OBS_IPV6},
    {"domain-name", OBS_DOMAIN},
    {"url", OBS_URL},
    {"email-addr", OBS_EMAIL},
    {"cryptocurrency-wallet", OBS_WALLET},
    {"x-cryptocurrency-wallet", OBS_WALLET},
};

static const struct {
    const char *name;
    enum obs_kind kind;
} hash_names[] = {
    {"MD5", OBS_MD5}, {"SHA-1", OBS_SHA1}, {"SHA-256", OBS_SHA256}, {"SHA-512", OBS_SHA512},
};

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
    for (size_t i = 0; i < sizeof value_types / sizeof value_types[0]; i++)
        if (!strcmp(type, value_types[i].type)) {
            json_t *v = json_object_get(obj, "value");
            if (json_is_string(v))
                n += emit(fn, ctx, value_types[i].kind, json_string_value(v),
                          json_string_length(v), &stopped);
            return n ? OBSERVE_VALUES : OBSERVE_NONE;
        }
    if (!strcmp(type, "file")) {
        json_t *hashes = json_object_get(obj, "hashes");
        for (size_t i = 0; i < sizeof hash_names / sizeof hash_names[0]; i++) {
            json_t *v = json_object_get(hashes, hash_names[i].name);
            if (json_is_string(v))
                n += emit(fn, ctx, hash_names[i].kind, json_string_value(v), json_string_length(v),
                          &stopped);
        }
        return n ? OBSERVE_VALUES : OBSERVE_NONE;
    }
    return OBSERVE_NONE;
}

const char *observe_plan_name(enum observe_plan p)
{
    static const char *const names[] = {"none", "values", "exact", "candidate", "scan"};
    return names[p];
}
