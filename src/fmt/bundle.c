/* fmt/bundle.c - see bundle.h. */
#include "fmt/bundle.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/stix.h"

struct scan {
    const char *p, *end;
    long max_depth;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Step over a string starting at s->p ('"'). Returns 0, or -1 if it is unterminated. */
static int skip_string(struct scan *s)
{
    const char *p = s->p + 1;

    while (p < s->end) {
        const char *q = memchr(p, '"', (size_t)(s->end - p));
        const char *b;
        size_t n_bs = 0;
        if (!q)
            return -1;
        for (b = q; b > p && b[-1] == '\\'; b--)
            n_bs++;
        if (n_bs % 2 == 0) {
            s->p = q + 1;
            return 0;
        }
        p = q + 1;
    }
    return -1;
}

/* Step over one JSON value at s->p, whatever it is, checking only nesting depth
 * (depth counts the container the value sits in). Returns 0; -1 if truncated or
 * unbalanced; -2 if nested deeper than s->max_depth. */
static int skip_value(struct scan *s, long depth)
{
    long d = 0;

    if (s->p >= s->end)
        return -1;
    if (*s->p == '"')
        return skip_string(s);
    if (*s->p != '{' && *s->p != '[') {
        while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
            s->p++;
        return 0;
    }
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            if (skip_string(s))
                return -1;
            continue;
        }
        if (c == '{' || c == '[') {
            if (++d + depth > s->max_depth)
                return -2;
        } else if (c == '}' || c == ']') {
            if (--d == 0) {
                s->p++;
                return 0;
            }
        }
        s->p++;
    }
    return -1;
}

static enum mz_err scan_error(int rc, const struct scan *s, const char *buf, long max_depth,
                              struct mz_error *err)
{
    if (rc == -2)
        return mz_error_set(err, MZ_EINVAL, "", "JSON is nested deeper than %ld levels (http.max_depth)", max_depth);
    return mz_error_set(err, MZ_EINVAL, "", "malformed JSON: the body ends early or brackets do not match (byte %zu)",
                        (size_t)(s->p - buf));
}

static enum mz_err parse_span(const char *p, size_t n, size_t flags, json_t **out,
                              const char *whole, struct mz_error *err)
{
    json_error_t je;
    json_t *v = json_loadb(p, n, flags | JSON_REJECT_DUPLICATES, &je);

    if (!v)
        return mz_error_set(err, MZ_EINVAL, "", "malformed JSON at byte %zu: %s",
                            (size_t)(p - whole) + (size_t)je.position, je.text);
    *out = v;
    return MZ_OK;
}

struct top {
    const char *type_p, *id_p, *objects_p; /* value spans of the bundle keys we use */
    size_t type_n, id_n, objects_n;
};

/* Walk the top-level object, recording the spans of "type", "id" and "objects" and
 * checking the rest with jansson. Member names are compared as JSON reads them
 * (escapes decoded), and a name given twice is refused: a reader that kept the last
 * "objects" (or one spelt "obj\u0065cts") would see another bundle than the one
 * stored, whose first list was silently dropped while the reply said "complete". */
static enum mz_err scan_members(struct scan *s, const char *buf, struct top *t, json_t *seen, int read_whole,
                                struct mz_error *err)
{
    enum mz_err rc;
    int r;

    for (;;) {
        const char *kp, *vp, *name;
        size_t kn;
        json_t *key;
        int is_objects;
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"')
            return mz_error_set(err, MZ_EINVAL, "", "malformed JSON at byte %zu: expected a property name", (size_t)(s->p - buf));
        kp = s->p;
        if (skip_string(s))
            return scan_error(-1, s, buf, s->max_depth, err);
        kn = (size_t)(s->p - kp);
        rc = parse_span(kp, kn, JSON_DECODE_ANY, &key, buf, err);
        if (rc)
            return rc;
        name = json_string_value(key);
        if (!name || json_object_get(seen, name)) {
            rc = mz_error_set(err, MZ_EINVAL, "", "the member `%.60s` is given twice in the top-level object (byte %zu)",
                              name ? name : "?", (size_t)(kp - buf));
            json_decref(key);
            return rc;
        }
        json_object_set_new(seen, name, json_null());
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':') {
            json_decref(key);
            return mz_error_set(err, MZ_EINVAL, "", "malformed JSON at byte %zu: expected ':'", (size_t)(s->p - buf));
        }
        s->p++;
        skip_ws(s);
        vp = s->p;
        r = skip_value(s, 1);
        if (r) {
            json_decref(key);
            return scan_error(r, s, buf, s->max_depth, err);
        }
        is_objects = !strcmp(name, "objects");
        if (!strcmp(name, "type")) {
            t->type_p = vp;
            t->type_n = (size_t)(s->p - vp);
        } else if (!strcmp(name, "id")) {
            t->id_p = vp;
            t->id_n = (size_t)(s->p - vp);
        } else if (is_objects) {
            t->objects_p = vp;
            t->objects_n = (size_t)(s->p - vp);
        }
        json_decref(key);
        if (!is_objects && !read_whole) {
            /* Every other member is checked by jansson here; the objects array's
             * elements are, one by one, in split_objects(). */
            json_t *val;
            rc = parse_span(vp, (size_t)(s->p - vp), JSON_DECODE_ANY, &val, buf, err);
            if (rc)
                return rc;
            json_decref(val);
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return MZ_OK;
        }
        return mz_error_set(err, MZ_EINVAL, "", "malformed JSON at byte %zu: expected ',' or '}'", (size_t)(s->p - buf));
    }
}

/* read_whole: jansson has read the whole body already (bundle_envelope_spans): the
 * members' values are stepped over, not read again. */
static enum mz_err scan_top(struct scan *s, const char *buf, struct top *t, int read_whole, struct mz_error *err)
{
    json_t *seen;
    enum mz_err rc;

    skip_ws(s);
    if (s->p >= s->end || *s->p != '{')
        return mz_error_set(err, MZ_EINVAL, "", "expected a JSON object (a STIX bundle or a STIX object)");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return MZ_OK;
    }
    seen = json_object(); /* the member names met so far */
    if (!seen)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = scan_members(s, buf, t, seen, read_whole, err);
    json_decref(seen);
    return rc;
}

/* Called for each object's byte span (not yet parsed). */
typedef enum mz_err (*span_fn)(void *ctx, const char *raw, size_t raw_len, size_t index,
                               struct mz_error *err);

static enum mz_err split_objects(const char *buf, const struct top *t,
                                 const struct bundle_limits *lim, span_fn fn, void *ctx,
                                 struct mz_error *err)
{
    struct scan s = {t->objects_p, t->objects_p + t->objects_n, lim->max_depth};
    size_t index = 0;
    enum mz_err rc;

    if (*s.p != '[')
        return mz_error_set(err, MZ_EINVAL, "/objects", "`objects` must be a list of STIX objects");
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == ']')
        return MZ_OK;
    for (;;) {
        const char *op;
        char prefix[48];
        int r;
        skip_ws(&s);
        op = s.p;
        if ((long)index >= lim->max_objects)
            return mz_error_set(err, MZ_ETOOBIG, "/objects",
                                "the bundle has more than %ld objects (http.max_objects); split it", lim->max_objects);
        if (s.p >= s.end || *s.p != '{') { /* what fn gets is one object's span, always */
            snprintf(prefix, sizeof prefix, "/objects/%zu", index);
            return mz_error_set(err, MZ_EINVAL, prefix, "item %zu of `objects` is not a JSON object: each item "
                                "must be one STIX object", index);
        }
        r = skip_value(&s, 2);
        if (r)
            return scan_error(r, &s, buf, lim->max_depth, err);
        rc = fn(ctx, op, (size_t)(s.p - op), index, err);
        if (rc) {
            snprintf(prefix, sizeof prefix, "/objects/%zu", index);
            mz_error_prefix_field(err, prefix);
            return rc;
        }
        index++;
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            continue;
        }
        if (s.p < s.end && *s.p == ']')
            return MZ_OK;
        return mz_error_set(err, MZ_EINVAL, "/objects", "malformed JSON at byte %zu: expected ',' or ']'", (size_t)(s.p - buf));
    }
}

static int span_is(const char *p, size_t n, const char *quoted)
{
    return n == strlen(quoted) && memcmp(p, quoted, n) == 0;
}

/* Is buf[0..len) well-formed JSON of another kind than an object (a list, a string,
 * a number)? Asked only of a body refused as no object, to tell 422 from 400. */
static int not_an_object(const char *buf, size_t len)
{
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY, NULL);
    int r = v && !json_is_object(v);

    json_decref(v);
    return r;
}

/* A TAXII envelope's objects (walk() has read the top-level object into t). What is
 * JSON but no envelope is MZ_EUNPROCESSABLE: 422 (docs/federation.md 8.2). */
static enum mz_err envelope(const char *buf, const struct top *t, const struct bundle_limits *lim, span_fn fn,
                            void *ctx, int *is_bundle_out, struct mz_error *err)
{
    if (t->type_p)
        return mz_error_set(err, MZ_EUNPROCESSABLE, "/type",
                            "the body has a `type`: it is a STIX %s, not a TAXII envelope; send the objects as "
                            "{\"objects\":[...]}",
                            span_is(t->type_p, t->type_n, "\"bundle\"") ? "bundle" : "object");
    if (!t->objects_p)
        return mz_error_set(err, MZ_EUNPROCESSABLE, "/objects",
                            "the body is not a TAXII envelope: it has no `objects` list; send {\"objects\":[...]}");
    if (*t->objects_p != '[')
        return mz_error_set(err, MZ_EUNPROCESSABLE, "/objects",
                            "the envelope's `objects` must be a list of STIX objects");
    if (is_bundle_out)
        *is_bundle_out = 1;
    return split_objects(buf, t, lim, fn, ctx, err);
}

/* Check the envelope and hand each object's span to fn: the work shared by
 * bundle_split() and bundle_spans(). */
static enum mz_err walk(const char *buf, size_t len, const struct bundle_limits *lim, int taxii, span_fn fn,
                        void *ctx, int *is_bundle_out, struct mz_error *err)
{
    struct scan s = {buf, buf + len, lim->max_depth};
    struct top t = {0};
    enum mz_err rc = scan_top(&s, buf, &t, taxii == 2, err);
    json_t *v = NULL;

    if (rc == MZ_EINVAL && taxii && not_an_object(buf, len))
        return mz_error_set(err, MZ_EUNPROCESSABLE, "",
                            "the body is JSON but not a TAXII envelope: send a JSON object {\"objects\":[...]} "
                            "(Content-Type: application/taxii+json;version=2.1)");
    if (rc)
        return rc;
    skip_ws(&s);
    if (s.p != s.end)
        return mz_error_set(err, MZ_EINVAL, "", "malformed JSON: unexpected data after the end at byte %zu", (size_t)(s.p - buf));
    if (taxii)
        return envelope(buf, &t, lim, fn, ctx, is_bundle_out, err);
    if (!t.type_p)
        return mz_error_set(err, MZ_EINVAL, "/type", "required property `type` is missing");
    if (!span_is(t.type_p, t.type_n, "\"bundle\"")) {
        /* One object. */
        if (is_bundle_out)
            *is_bundle_out = 0;
        return fn(ctx, buf, len, 0, err);
    }
    if (is_bundle_out)
        *is_bundle_out = 1;
    if (!t.id_p)
        return mz_error_set(err, MZ_EINVAL, "/id", "required property `id` of the bundle is missing");
    rc = parse_span(t.id_p, t.id_n, JSON_DECODE_ANY, &v, buf, err);
    if (rc)
        return rc;
    if (!json_is_string(v) || !stix_id_valid(json_string_value(v), "bundle"))
        rc = mz_error_set(err, MZ_EINVAL, "/id", "the bundle's `id` must be 'bundle--' followed by an RFC 4122 UUID");
    json_decref(v);
    if (rc || !t.objects_p)
        return rc;
    return split_objects(buf, &t, lim, fn, ctx, err);
}

enum mz_err bundle_parse_object(const char *buf, const struct bundle_span *span, json_t **out,
                                struct mz_error *err)
{
    return parse_span(buf + span->off, span->len, 0, out, buf, err);
}

struct split_ctx {
    const char *buf;
    bundle_object_fn fn;
    void *ctx;
};

static enum mz_err parse_and_call(void *vctx, const char *raw, size_t raw_len, size_t index,
                                  struct mz_error *err)
{
    struct split_ctx *c = vctx;
    struct bundle_span span = {(size_t)(raw - c->buf), raw_len};
    json_t *obj;
    enum mz_err rc = bundle_parse_object(c->buf, &span, &obj, err);

    if (rc)
        return rc;
    rc = c->fn(c->ctx, obj, raw, raw_len, index, err);
    json_decref(obj);
    return rc;
}

enum mz_err bundle_split(const char *buf, size_t len, const struct bundle_limits *lim,
                         bundle_object_fn fn, void *ctx, int *is_bundle_out,
                         struct mz_error *err)
{
    struct split_ctx c = {buf, fn, ctx};
    return walk(buf, len, lim, 0, parse_and_call, &c, is_bundle_out, err);
}

enum mz_err bundle_split_envelope(const char *buf, size_t len, const struct bundle_limits *lim,
                                  bundle_object_fn fn, void *ctx, struct mz_error *err)
{
    struct split_ctx c = {buf, fn, ctx};
    return walk(buf, len, lim, 1, parse_and_call, &c, NULL, err);
}

struct spans_ctx {
    const char *buf;
    struct bundle_span *spans;
    size_t n, cap;
};

static enum mz_err keep_span(void *vctx, const char *raw, size_t raw_len, size_t index,
                             struct mz_error *err)
{
    struct spans_ctx *c = vctx;

    (void)index;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 1024;
        struct bundle_span *p = realloc(c->spans, ncap * sizeof *p);
        if (!p)
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        c->spans = p;
        c->cap = ncap;
    }
    c->spans[c->n].off = (size_t)(raw - c->buf);
    c->spans[c->n].len = raw_len;
    c->n++;
    return MZ_OK;
}

enum mz_err bundle_spans(const char *buf, size_t len, const struct bundle_limits *lim,
                         struct bundle_span **spans_out, size_t *n_out, int *is_bundle_out,
                         struct mz_error *err)
{
    struct spans_ctx c = {buf, NULL, 0, 0};
    enum mz_err rc = walk(buf, len, lim, 0, keep_span, &c, is_bundle_out, err);

    if (rc) {
        free(c.spans);
        return rc;
    }
    *spans_out = c.spans;
    *n_out = c.n;
    return MZ_OK;
}

enum mz_err bundle_envelope_spans(const char *buf, size_t len, long max_depth, struct bundle_span **spans_out,
                                  size_t *n_out, struct mz_error *err)
{
    struct bundle_limits lim;
    struct spans_ctx c = {buf, NULL, 0, 0};
    enum mz_err rc;

    memset(&lim, 0, sizeof lim);
    lim.max_depth = max_depth;
    lim.max_objects = LONG_MAX;
    rc = walk(buf, len, &lim, 2, keep_span, &c, NULL, err);
    if (rc) {
        free(c.spans);
        return rc;
    }
    *spans_out = c.spans;
    *n_out = c.n;
    return MZ_OK;
}
