/* tests/unit/fmt/test_bundle.c - unit tests of fmt/bundle.c (bundle_split).
 * Covers: a bundle of N objects calls back N times, in order, with indices 0..N-1,
 * the parsed object, and raw spans that are byte-exact substrings of the input (with
 * whitespace everywhere and strings holding escaped quotes, backslashes and
 * brackets); a single object calls back once with the whole input; a bundle without
 * objects or with an empty list calls back zero times; rejected bodies (truncated,
 * trailing garbage, not an object, bad bundle id, malformed JSON anywhere, invalid
 * UTF-8) with their codes and fields; the depth limit at its boundary and against
 * 100000 nested brackets (an error naming the depth limit, no crash); max_objects at
 * its boundary (MZ_ETOOBIG beyond it); and a failing callback, which stops the split
 * and gets its err->field prefixed with "/objects/<i>"; bundle_split_envelope (TAXII
 * POST): envelopes read, bundles, single objects, lists and other JSON refused as
 * MZ_EUNPROCESSABLE with their fields, unreadable JSON as MZ_EINVAL, max_objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fmt/bundle.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[1024], w_[1024];                                                 \
        snprintf(g_, sizeof g_, "%.900s => %lld", (name), (long long)(got));     \
        snprintf(w_, sizeof w_, "%.900s => %lld", (name), (long long)(want));    \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define assert_case_str(name, got, want)                                         \
    do {                                                                         \
        char g_[1024], w_[1024];                                                 \
        snprintf(g_, sizeof g_, "%.600s => '%s'", (name), (got));               \
        snprintf(w_, sizeof w_, "%.600s => '%s'", (name), (want));              \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define assert_case_has(name, hay, needle)                                       \
    do {                                                                         \
        char g_[1024];                                                           \
        snprintf(g_, sizeof g_, "%.600s => '%s'", (name), (hay));               \
        assert_non_null(strstr(g_, (needle)));                                   \
    } while (0)

#define MAX_SEEN 16

/* What the callback saw. */
struct seen {
    const char *buf;     /* the input, to check spans lie inside it */
    size_t len;
    size_t n_calls;
    size_t offset[MAX_SEEN]; /* raw - buf */
    size_t raw_len[MAX_SEEN];
    size_t index[MAX_SEEN];
    char id[MAX_SEEN][80];   /* the parsed object's "id" */
    long fail_at;            /* index at which to fail, or -1 */
    enum mz_err fail_code;
};

static enum mz_err record(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                          size_t index, struct mz_error *err)
{
    struct seen *s = ctx;
    size_t n = s->n_calls++;

    assert_true(n < MAX_SEEN);
    assert_true(raw >= s->buf && raw + raw_len <= s->buf + s->len);
    assert_true(json_is_object(obj));
    s->offset[n] = (size_t)(raw - s->buf);
    s->raw_len[n] = raw_len;
    s->index[n] = index;
    snprintf(s->id[n], sizeof s->id[n], "%s",
             json_string_value(json_object_get(obj, "id")) ? json_string_value(json_object_get(obj, "id")) : "");
    if ((long)index == s->fail_at)
        return mz_error_set(err, s->fail_code, "/id", "callback refused object %zu", index);
    return MZ_OK;
}

static const struct bundle_limits LIM = {64, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};

static enum mz_err split(const char *buf, size_t len, const struct bundle_limits *lim,
                         struct seen *s, int *is_bundle, struct mz_error *err)
{
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->len = len;
    s->fail_at = -1;
    mz_error_clear(err);
    return bundle_split(buf, len, lim, record, s, is_bundle, err);
}

#define BID "\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\""
#define ID1 "indicator--33fe3b22-0201-47cf-85d0-97c02164528d"
#define ID2 "malware--16f4f3f9-1b68-4abb-bb66-7639d49f1e30"
#define ID3 "x-acme--16f4f3f9-1b68-4abb-bb66-7639d49f1e30"

/* Objects whose strings hold everything the scanner must step over. */
#define O1 "{\"type\":\"indicator\",\"id\":\"" ID1 "\",\"name\":\"say \\\"hi\\\" ]}\"}"
#define O2                                                                                 \
    "{ \"id\" : \"" ID2 "\" ,\n\t\"type\" : \"malware\",\r\n"                                            \
    "  \"description\": \"C:\\\\temp\\\\\", \"x\": [ { \"a\" : [ 1, 2.5e3, -0, true, false, null ] } ],\n"  \
    "  \"y\": \"\\\\\\\"[{\", \"z\": \"}\" }"
#define O3 "{\"type\":\"x-acme\",\"id\":\"" ID3 "\",\"note\":\"\\u00e9\\\\\",\"k\":{}}"

static void check_three(const char *body, const struct seen *s)
{
    const char *objs[3] = {O1, O2, O3};
    const char *ids[3] = {ID1, ID2, ID3};

    assert_int_equal(s->n_calls, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s->index[i], i);
        assert_int_equal(s->raw_len[i], strlen(objs[i]));
        assert_memory_equal(body + s->offset[i], objs[i], strlen(objs[i]));
        assert_string_equal(s->id[i], ids[i]);
    }
}

static void test_bundle_spans_exact(void **state)
{
    static const char body[] =
        "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":[" O1 "," O2 "," O3 "]}";
    struct seen s;
    struct mz_error err;
    int is_bundle = -1;

    (void)state;
    assert_int_equal(split(body, strlen(body), &LIM, &s, &is_bundle, &err), MZ_OK);
    assert_int_equal(is_bundle, 1);
    check_three(body, &s);
}

static void test_bundle_whitespace_everywhere(void **state)
{
    static const char body[] =
        " \r\n\t{ \n\"objects\"\t:\r\n[ \n" O1 " \t,\n\n" O2 "\r\n,\t" O3 "\n\n]\t,\n"
        " \"type\" :\t\"bundle\" , \"id\"\n:\n" BID "\r\n}\n\t ";
    struct seen s;
    struct mz_error err;
    int is_bundle = -1;

    (void)state;
    assert_int_equal(split(body, strlen(body), &LIM, &s, &is_bundle, &err), MZ_OK);
    assert_int_equal(is_bundle, 1);
    check_three(body, &s);
}

/* Other bundle members (spec_version of STIX 2.0 bundles, custom ones) are ignored. */
static void test_bundle_other_members(void **state)
{
    static const char body[] =
        "{\"type\":\"bundle\",\"spec_version\":\"2.0\",\"x_note\":{\"objects\":[1,2]},"
        "\"id\":" BID ",\"objects\":[" O3 "],\"x_after\":[\"]\"]}";
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(body, strlen(body), &LIM, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 1);
    assert_int_equal(s.raw_len[0], strlen(O3));
    assert_memory_equal(body + s.offset[0], O3, strlen(O3));
}

/* Member names are read as JSON reads them: an escaped "objects" is the objects list
 * (before, it was taken for another member and its objects were never stored while
 * the reply said "complete"), an escaped "type" the type. */
static void test_bundle_escaped_member_names(void **state)
{
    static const char body[] = "{\"t\\u0079pe\":\"bundle\",\"\\u0069d\":" BID ",\"obj\\u0065cts\":[" O1 "," O3 "]}";
    struct seen s;
    struct mz_error err;
    int is_bundle = 0;

    (void)state;
    assert_int_equal(split(body, strlen(body), &LIM, &s, &is_bundle, &err), MZ_OK);
    assert_int_equal(is_bundle, 1);
    assert_int_equal(s.n_calls, 2);
    assert_string_equal(s.id[0], ID1);
    assert_string_equal(s.id[1], ID3);
}

/* The input does not have to be NUL-terminated: only buf[0..len) is read. */
static void test_bundle_not_nul_terminated(void **state)
{
    static const char text[] = "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":[" O1 "]}";
    size_t n = strlen(text);
    char *buf = malloc(n);
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_non_null(buf);
    memcpy(buf, text, n);
    assert_int_equal(split(buf, n, &LIM, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 1);
    assert_memory_equal(buf + s.offset[0], O1, strlen(O1));
    free(buf);
}

static void test_single_object(void **state)
{
    struct seen s;
    struct mz_error err;
    int is_bundle = -1;

    (void)state;
    assert_int_equal(split(O2, strlen(O2), &LIM, &s, &is_bundle, &err), MZ_OK);
    assert_int_equal(is_bundle, 0);
    assert_int_equal(s.n_calls, 1);
    assert_int_equal(s.index[0], 0);
    assert_int_equal(s.offset[0], 0);
    assert_int_equal(s.raw_len[0], strlen(O2));
    assert_string_equal(s.id[0], ID2);
}

static void test_bundle_without_objects(void **state)
{
    static const char *const bodies[] = {
        "{\"type\":\"bundle\",\"id\":" BID "}",
        "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":[]}",
        "{ \"objects\" : [ \n ] , \"id\" : " BID ", \"type\" : \"bundle\" }",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct seen s;
        struct mz_error err;
        int is_bundle = -1;
        assert_case_int(bodies[i], split(bodies[i], strlen(bodies[i]), &LIM, &s, &is_bundle, &err), MZ_OK);
        assert_case_int(bodies[i], s.n_calls, 0);
        assert_case_int(bodies[i], is_bundle, 1);
    }
}

/* ---- rejected bodies ---- */

struct bad_case {
    const char *name;
    const char *body;
    enum mz_err code;
    const char *field;
    const char *msg; /* substring of err.msg, or "" */
};

#define B_HEAD "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":["

static const struct bad_case bad_cases[] = {
    /* not an object at all */
    {"empty body", "", MZ_EINVAL, "", "JSON object"},
    {"only blanks", " \n\t ", MZ_EINVAL, "", "JSON object"},
    {"an array", "[" O1 "]", MZ_EINVAL, "", "JSON object"},
    {"a string", "\"bundle\"", MZ_EINVAL, "", "JSON object"},
    {"null", "null", MZ_EINVAL, "", "JSON object"},
    /* truncated */
    {"truncated inside a key", "{\"typ", MZ_EINVAL, "", ""},
    {"truncated after {", "{", MZ_EINVAL, "", ""},
    {"truncated inside a string", B_HEAD "{\"type\":\"indicator\",\"id\":\"indic", MZ_EINVAL, "", ""},
    {"truncated inside an object", B_HEAD "{\"type\":\"indicator\",", MZ_EINVAL, "", ""},
    {"truncated after an object", B_HEAD O1, MZ_EINVAL, "", ""},
    {"truncated after a comma", B_HEAD O1 ",", MZ_EINVAL, "", ""},
    {"truncated after the list", B_HEAD O1 "]", MZ_EINVAL, "", ""},
    {"truncated single object", "{\"type\":\"indicator\",\"id\":\"" ID1 "\"", MZ_EINVAL, "", ""},
    {"truncated after a colon", "{\"type\":", MZ_EINVAL, "", ""},
    /* trailing garbage */
    {"garbage after a bundle", B_HEAD O1 "]}x", MZ_EINVAL, "", "after the end"},
    {"second bundle", B_HEAD O1 "]}" B_HEAD "]}", MZ_EINVAL, "", "after the end"},
    {"garbage after an object", "{\"type\":\"indicator\"} }", MZ_EINVAL, "", "after the end"},
    {"two objects", O1 O3, MZ_EINVAL, "", "after the end"},
    /* type and id */
    {"no type", "{\"id\":" BID ",\"objects\":[]}", MZ_EINVAL, "/type", "`type`"},
    {"bundle without id", "{\"type\":\"bundle\",\"objects\":[" O1 "]}", MZ_EINVAL, "/id", "`id`"},
    {"bundle id not a UUID", "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[]}", MZ_EINVAL, "/id", "bundle--"},
    {"bundle id of another type", "{\"type\":\"bundle\",\"id\":\"" ID1 "\",\"objects\":[]}", MZ_EINVAL, "/id", "bundle--"},
    {"bundle id a number", "{\"type\":\"bundle\",\"id\":5,\"objects\":[]}", MZ_EINVAL, "/id", "bundle--"},
    /* objects */
    {"objects an object", "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":{}}", MZ_EINVAL, "/objects", "list"},
    {"objects a string", "{\"type\":\"bundle\",\"id\":" BID ",\"objects\":\"[]\"}", MZ_EINVAL, "/objects", "list"},
    {"trailing comma in objects", B_HEAD O1 ",]}", MZ_EINVAL, "/objects/1", ""},
    {"missing comma in objects", B_HEAD O1 " " O3 "]}", MZ_EINVAL, "/objects", ""},
    {"objects closed by }", B_HEAD O1 "}}", MZ_EINVAL, "/objects", ""},
    {"a number in objects", B_HEAD "1]}", MZ_EINVAL, "/objects/0", ""},
    {"malformed object", B_HEAD "{\"type\":\"x-a\",}]}", MZ_EINVAL, "/objects/0", "malformed JSON"},
    {"malformed second object", B_HEAD O1 ",{\"type\" \"x-a\"}]}", MZ_EINVAL, "/objects/1", "malformed JSON"},
    {"bad escape in an object", B_HEAD O1 ",{\"type\":\"x-\\qa\"}]}", MZ_EINVAL, "/objects/1", "malformed JSON"},
    {"mismatched brackets in an object", B_HEAD "{\"type\":\"x-a\",\"l\":[1}]]}", MZ_EINVAL, "/objects/0", ""},
    {"invalid UTF-8 in an object", B_HEAD O1 ",{\"type\":\"x-a\",\"name\":\"\xff\xfe\"}]}", MZ_EINVAL, "/objects/1", ""},
    {"overlong UTF-8 in an object", B_HEAD "{\"type\":\"x-a\",\"name\":\"\xc0\xaf\"}]}", MZ_EINVAL, "/objects/0", ""},
    {"lone surrogate escape in an object", B_HEAD "{\"type\":\"x-a\",\"name\":\"\\ud800\"}]}", MZ_EINVAL, "/objects/0", ""},
    /* a member named twice, also when one of the names is escaped: a reader that
     * kept the last would see another bundle than the one stored */
    {"objects twice", B_HEAD O1 "],\"objects\":[" O3 "]}", MZ_EINVAL, "", "`objects` is given twice"},
    {"objects twice, escaped", B_HEAD O1 "],\"obj\\u0065cts\":[" O3 "]}", MZ_EINVAL, "", "`objects` is given twice"},
    {"type twice", "{\"type\":\"bundle\",\"id\":" BID ",\"t\\u0079pe\":\"indicator\",\"objects\":[]}", MZ_EINVAL, "",
     "`type` is given twice"},
    {"id twice", "{\"type\":\"bundle\",\"id\":" BID ",\"id\":" BID ",\"objects\":[]}", MZ_EINVAL, "", "`id` is given twice"},
    {"another member twice", B_HEAD "],\"x_a\":1,\"x_a\":1}", MZ_EINVAL, "", "`x_a` is given twice"},
    {"a single object's member twice", "{\"type\":\"x-a\",\"n\":1,\"\\u006e\":2}", MZ_EINVAL, "", "`n` is given twice"},
    /* malformed top level */
    {"key not a string", "{type:\"bundle\"}", MZ_EINVAL, "", "property name"},
    {"missing colon", "{\"type\" \"bundle\"}", MZ_EINVAL, "", "':'"},
    {"missing comma", "{\"type\":\"bundle\" \"id\":" BID "}", MZ_EINVAL, "", "','"},
    {"invalid UTF-8 in a single object", "{\"type\":\"x-a\",\"name\":\"\xff\"}", MZ_EINVAL, "", ""},
    {"malformed single object", "{\"type\":\"x-a\",\"n\":tru}", MZ_EINVAL, "", ""},
};

static void test_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const char *body = bad_cases[i].body;
        struct seen s;
        struct mz_error err;
        assert_case_int(bad_cases[i].name, split(body, strlen(body), &LIM, &s, NULL, &err),
                        bad_cases[i].code);
        assert_case_int(bad_cases[i].name, err.code, bad_cases[i].code);
        assert_case_str(bad_cases[i].name, err.field, bad_cases[i].field);
        assert_case_has(bad_cases[i].name, err.msg, bad_cases[i].msg);
        assert_case_int(bad_cases[i].name, strlen(err.msg) > 0, 1);
    }
}

/* A NUL byte inside len is data, and here it is garbage after the bundle. */
static void test_rejects_nul_after_bundle(void **state)
{
    static const char body[] = B_HEAD "]}"; /* sizeof includes the NUL */
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(body, sizeof body, &LIM, &s, NULL, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "after the end"));
    assert_int_equal(split(body, sizeof body - 1, &LIM, &s, NULL, &err), MZ_OK);
}

/* The scanner only steps over the bundle's own members; bundle.h leaves all real JSON
 * validation to jansson, so a bundle that is not JSON must be refused even where the
 * broken part is outside the objects list. */
static const struct bad_case bad_wrapper_cases[] = {
    {"mismatched brackets in a bundle member", "{\"type\":\"bundle\",\"id\":" BID ",\"x_l\":[1,2},\"objects\":[" O1 "]}", MZ_EINVAL, "", ""},
    {"empty value of a bundle member", "{\"type\":\"bundle\",\"id\":" BID ",\"x_l\":,\"objects\":[" O1 "]}", MZ_EINVAL, "", ""},
    {"bad literal in a bundle member", "{\"type\":\"bundle\",\"id\":" BID ",\"x_l\":tru,\"objects\":[" O1 "]}", MZ_EINVAL, "", ""},
    {"invalid UTF-8 in a bundle member", "{\"type\":\"bundle\",\"id\":" BID ",\"x_l\":\"\xff\",\"objects\":[" O1 "]}", MZ_EINVAL, "", ""},
};

static void test_rejects_malformed_bundle_members(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_wrapper_cases / sizeof bad_wrapper_cases[0]; i++) {
        const char *body = bad_wrapper_cases[i].body;
        struct seen s;
        struct mz_error err;
        assert_case_int(bad_wrapper_cases[i].name, split(body, strlen(body), &LIM, &s, NULL, &err),
                        MZ_EINVAL);
    }
}

/* ---- depth ---- */

/* prefix + n '[' + n ']' + suffix, in a heap buffer (length in *len_out). */
static char *nested(const char *prefix, size_t n, const char *suffix, size_t *len_out)
{
    size_t lp = strlen(prefix), ls = strlen(suffix), len = lp + 2 * n + ls;
    char *b = malloc(len + 1);

    assert_non_null(b);
    memcpy(b, prefix, lp);
    memset(b + lp, '[', n);
    memset(b + lp + n, ']', n);
    memcpy(b + lp + 2 * n, suffix, ls + 1);
    *len_out = len;
    return b;
}

static void test_depth_100000_in_bundle(void **state)
{
    size_t len;
    char *b = nested(B_HEAD "{\"type\":\"x-a\",\"deep\":", 100000, "}]}", &len);
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(b, len, &LIM, &s, NULL, &err), MZ_EINVAL);
    assert_int_equal(s.n_calls, 0);
    assert_non_null(strstr(err.msg, "max_depth"));
    assert_non_null(strstr(err.msg, "64"));
    free(b);
}

static void test_depth_100000_unbalanced(void **state)
{
    size_t len;
    char *b = nested(B_HEAD, 100000, "", &len);
    struct seen s;
    struct mz_error err;

    (void)state;
    b[len - 100000] = '\0'; /* keep only the '[' */
    len -= 100000;
    assert_int_equal(split(b, len, &LIM, &s, NULL, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "max_depth"));
    free(b);
}

static void test_depth_100000_single_object(void **state)
{
    size_t len;
    char *b = nested("{\"type\":\"x-a\",\"deep\":", 100000, "}", &len);
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(b, len, &LIM, &s, NULL, &err), MZ_EINVAL);
    assert_int_equal(s.n_calls, 0);
    assert_non_null(strstr(err.msg, "max_depth"));
    free(b);
}

/* The outermost container is depth 1: in a bundle, an object is at depth 3 and a
 * list inside it at 4. */
static void test_depth_boundary(void **state)
{
    static const struct bundle_limits lim4 = {4, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0}, lim3 = {3, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0},
                                      lim2 = {2, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0}, lim1 = {1, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    static const char bundle4[] = B_HEAD "{\"type\":\"x-a\",\"l\":[1]}]}";
    static const char bundle5[] = B_HEAD "{\"type\":\"x-a\",\"l\":[[1]]}]}";
    static const char single2[] = "{\"type\":\"x-a\",\"l\":[1]}";
    static const char single3[] = "{\"type\":\"x-a\",\"l\":{\"m\":[1]}}";
    /* brackets inside strings do not count */
    static const char strings[] = B_HEAD "{\"type\":\"x-a\",\"s\":\"[[[[{{{{\\\"[[[[\"}]}";
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(bundle4, strlen(bundle4), &lim4, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 1);
    assert_int_equal(split(bundle4, strlen(bundle4), &lim3, &s, NULL, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "max_depth"));
    assert_int_equal(split(bundle5, strlen(bundle5), &lim4, &s, NULL, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "max_depth"));
    assert_int_equal(split(single2, strlen(single2), &lim2, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 1);
    assert_int_equal(split(single2, strlen(single2), &lim1, &s, NULL, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "max_depth"));
    assert_int_equal(split(single3, strlen(single3), &lim2, &s, NULL, &err), MZ_EINVAL);
    assert_int_equal(split(single3, strlen(single3), &lim3, &s, NULL, &err), MZ_OK);
    assert_int_equal(split(strings, strlen(strings), &lim3, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 1);
    assert_int_equal(s.raw_len[0], strlen(strings) - strlen(B_HEAD) - 2);
}

/* ---- object count ---- */

static void test_max_objects(void **state)
{
    static const struct bundle_limits lim2 = {64, 2, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    static const char two[] = B_HEAD O1 "," O3 "]}";
    static const char three[] = B_HEAD O1 "," O3 "," O1 "]}";
    struct seen s;
    struct mz_error err;

    (void)state;
    assert_int_equal(split(two, strlen(two), &lim2, &s, NULL, &err), MZ_OK);
    assert_int_equal(s.n_calls, 2);
    assert_int_equal(split(three, strlen(three), &lim2, &s, NULL, &err), MZ_ETOOBIG);
    assert_int_equal(err.code, MZ_ETOOBIG);
    assert_string_equal(err.field, "/objects");
    assert_non_null(strstr(err.msg, "max_objects"));
    assert_true(s.n_calls <= 2);
}

/* ---- callback failures ---- */

static void test_callback_failure_stops_and_prefixes(void **state)
{
    static const char body[] = B_HEAD O1 "," O2 "," O3 "," O1 "]}";
    struct seen s;
    struct mz_error err;

    (void)state;
    memset(&s, 0, sizeof s);
    s.buf = body;
    s.len = strlen(body);
    s.fail_at = 2;
    s.fail_code = MZ_ECONFLICT;
    mz_error_clear(&err);
    assert_int_equal(bundle_split(body, strlen(body), &LIM, record, &s, NULL, &err), MZ_ECONFLICT);
    assert_int_equal(s.n_calls, 3); /* 0, 1 and the failing 2; not 3 */
    assert_int_equal(err.code, MZ_ECONFLICT);
    assert_string_equal(err.field, "/objects/2/id");
    assert_string_equal(err.msg, "callback refused object 2");
}

static void test_callback_failure_first_object(void **state)
{
    static const char body[] = B_HEAD O1 "," O2 "]}";
    struct seen s;
    struct mz_error err;

    (void)state;
    memset(&s, 0, sizeof s);
    s.buf = body;
    s.len = strlen(body);
    s.fail_at = 0;
    s.fail_code = MZ_EINVAL;
    mz_error_clear(&err);
    assert_int_equal(bundle_split(body, strlen(body), &LIM, record, &s, NULL, &err), MZ_EINVAL);
    assert_int_equal(s.n_calls, 1);
    assert_string_equal(err.field, "/objects/0/id");
}

/* A single object is not in a list, so its error field is not prefixed. */
static void test_callback_failure_single_object(void **state)
{
    struct seen s;
    struct mz_error err;

    (void)state;
    memset(&s, 0, sizeof s);
    s.buf = O1;
    s.len = strlen(O1);
    s.fail_at = 0;
    s.fail_code = MZ_EFORBIDDEN;
    mz_error_clear(&err);
    assert_int_equal(bundle_split(O1, strlen(O1), &LIM, record, &s, NULL, &err), MZ_EFORBIDDEN);
    assert_int_equal(s.n_calls, 1);
    assert_string_equal(err.field, "/id");
}

/* bundle_split_envelope: TAXII's envelope is read, everything else that is JSON is
 * MZ_EUNPROCESSABLE (a bundle and a single object included), JSON that is not is
 * MZ_EINVAL, the limits hold. */
static void test_envelope(void **state)
{
    static const struct {
        const char *body;
        enum mz_err rc;
        size_t n;
        const char *field;
    } cases[] = {
        {"{\"objects\":[" O1 "," O3 "]}", MZ_OK, 2, ""},
        {" {\"more\":false,\"objects\":[" O1 "],\"next\":\"x\"} ", MZ_OK, 1, ""},
        {"{\"objects\":[]}", MZ_OK, 0, ""},
        {"{\"type\":\"bundle\",\"id\":" BID ",\"objects\":[" O1 "]}", MZ_EUNPROCESSABLE, 0, "/type"},
        {O1, MZ_EUNPROCESSABLE, 0, "/type"},
        {"{}", MZ_EUNPROCESSABLE, 0, "/objects"},
        {"{\"more\":true}", MZ_EUNPROCESSABLE, 0, "/objects"},
        {"{\"objects\":{}}", MZ_EUNPROCESSABLE, 0, "/objects"},
        {"{\"objects\":\"[]\"}", MZ_EUNPROCESSABLE, 0, "/objects"},
        {"[" O1 "]", MZ_EUNPROCESSABLE, 0, ""},
        {" 5 ", MZ_EUNPROCESSABLE, 0, ""},
        {"\"objects\"", MZ_EUNPROCESSABLE, 0, ""},
        {"", MZ_EINVAL, 0, ""},
        {"[", MZ_EINVAL, 0, ""},
        {"{\"objects\":[" O1, MZ_EINVAL, 0, ""},
        {"{\"objects\":[],\"objects\":[" O1 "]}", MZ_EINVAL, 0, ""},
        {"{\"objects\":[]} x", MZ_EINVAL, 0, ""},
        /* an item that is no object never reaches the callback (fuzz_bundle's trap) */
        {"{\"objects\":[[1]]}", MZ_EINVAL, 0, "/objects/0"},
        {"{\"objects\":[" O1 ",\"x\"]}", MZ_EINVAL, 1, "/objects/1"},
        {"{\"objects\":[" O1 ",5]}", MZ_EINVAL, 1, "/objects/1"},
    };
    struct bundle_limits one = LIM;
    struct seen sn;
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum mz_err rc;
        memset(&sn, 0, sizeof sn);
        sn.buf = cases[i].body;
        sn.len = strlen(cases[i].body);
        sn.fail_at = -1;
        mz_error_clear(&err);
        rc = bundle_split_envelope(cases[i].body, sn.len, &LIM, record, &sn, &err);
        assert_case_int(cases[i].body, rc, cases[i].rc);
        assert_case_int(cases[i].body, sn.n_calls, cases[i].n);
        if (rc)
            assert_case_str(cases[i].body, err.field, cases[i].field);
    }
    /* http.max_objects holds for envelopes too */
    one.max_objects = 1;
    memset(&sn, 0, sizeof sn);
    sn.buf = "{\"objects\":[" O1 "," O3 "]}";
    sn.len = strlen(sn.buf);
    sn.fail_at = -1;
    assert_int_equal(bundle_split_envelope(sn.buf, sn.len, &one, record, &sn, &err), MZ_ETOOBIG);
    /* a bundle is no envelope, and an envelope no bundle: bundle_split refuses it */
    assert_int_equal(split("{\"objects\":[" O1 "]}", strlen("{\"objects\":[" O1 "]}"), &LIM, &sn, NULL, &err),
                     MZ_EINVAL);
}

/* bundle_envelope_spans: the spans of the `objects` jansson reads - its name read as
 * JSON reads it (escapes), the other members stepped over (x_mreza_meta, more,
 * next), spacing kept - and no spans for what is no envelope. */
static void test_envelope_spans(void **state)
{
    static const char page[] = "{\"more\":true,\"next\":\"a]}\\\"\",\"x_mreza_meta\":[{\"id\":\"x\"},{\"objects\":[1]}],"
                               "\"obj\\u0065cts\":[ {\"id\":\"a\",\"v\":[\"]\"]} , {\"id\":\"b\"}]}";
    struct bundle_span *sp = NULL;
    struct mz_error err;
    size_t n = 0;
    json_t *env = json_loads(page, JSON_REJECT_DUPLICATES, NULL);
    const char *bundle = "{\"type\":\"bundle\",\"objects\":[]}", *twice = "{\"objects\":[{}],\"obj\\u0065cts\":[{}]}";

    (void)state;
    assert_non_null(env); /* jansson reads it: the spans are of its objects */
    assert_int_equal(json_array_size(json_object_get(env, "objects")), 2);
    json_decref(env);
    assert_int_equal(bundle_envelope_spans(page, strlen(page), 64, &sp, &n, &err), MZ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(sp[0].len, strlen("{\"id\":\"a\",\"v\":[\"]\"]}"));
    assert_memory_equal(page + sp[0].off, "{\"id\":\"a\",\"v\":[\"]\"]}", sp[0].len);
    assert_memory_equal(page + sp[1].off, "{\"id\":\"b\"}", sp[1].len);
    free(sp);
    sp = NULL;
    /* a bundle, or objects given twice: none */
    assert_int_not_equal(bundle_envelope_spans(bundle, strlen(bundle), 64, &sp, &n, &err), MZ_OK);
    assert_int_not_equal(bundle_envelope_spans(twice, strlen(twice), 64, &sp, &n, &err), MZ_OK);
    assert_null(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_spans_exact),
        cmocka_unit_test(test_bundle_whitespace_everywhere),
        cmocka_unit_test(test_bundle_other_members),
        cmocka_unit_test(test_bundle_escaped_member_names),
        cmocka_unit_test(test_bundle_not_nul_terminated),
        cmocka_unit_test(test_single_object),
        cmocka_unit_test(test_bundle_without_objects),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_rejects_nul_after_bundle),
        cmocka_unit_test(test_rejects_malformed_bundle_members),
        cmocka_unit_test(test_depth_100000_in_bundle),
        cmocka_unit_test(test_depth_100000_unbalanced),
        cmocka_unit_test(test_depth_100000_single_object),
        cmocka_unit_test(test_depth_boundary),
        cmocka_unit_test(test_max_objects),
        cmocka_unit_test(test_callback_failure_stops_and_prefixes),
        cmocka_unit_test(test_callback_failure_first_object),
        cmocka_unit_test(test_callback_failure_single_object),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_envelope_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
