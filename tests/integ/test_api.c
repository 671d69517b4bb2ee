/* tests/integ/test_api.c - the REST API against a real `mreza serve`: writing a
 * bundle, reading it back with filters and cursor pagination, versions, counts,
 * export, whoami, organisations and users, and the error format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"

static struct hnode node;
static char admin_key[64], analyst_key[64], viewer_key[64], other_key[64];

static json_t *parse(const struct hresp *r)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    if (!v)
        fail_msg("response is not JSON (%s): %.300s", je.text, r->body);
    return v;
}

/* An indicator with a chosen uuid tail, created/modified and marking. */
static char *indicator(int n, const char *modified, const char *marking)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                 "\"id\":\"indicator--11111111-2222-4333-8444-%012d\","
                 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"%s\","
                 "\"name\":\"ioc %d\",\"pattern\":\"[ipv4-addr:value = '198.51.100.%d']\","
                 "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\""
                 "%s%s%s}",
                 n, modified, n, n % 250, marking ? ",\"object_marking_refs\":[\"" : "",
                 marking ? marking : "", marking ? "\"]" : "") < 0)
        abort();
    return s;
}

static char *bundle_of(char **objs, int n)
{
    size_t cap = 256;
    char *b;
    for (int i = 0; i < n; i++)
        cap += strlen(objs[i]) + 2;
    b = malloc(cap);
    strcpy(b, "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\",\"objects\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(b, ",");
        strcat(b, objs[i]);
    }
    strcat(b, "]}");
    return b;
}

static int setup(void **state)
{
    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_user(&node, "admin@rs-cert", "rs-cert", "node-admin", admin_key);
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", analyst_key);
    h_add_user(&node, "viewer@rs-cert", "rs-cert", "viewer", viewer_key);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", other_key);
    h_start(&node, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* the last test stopped the server (-1: not running); if a failed test left it
     * running, it must still exit cleanly (tests/run.sh counts a failed teardown) */
    return h_node_free(&node) > 0;
}

/* 30 GREEN indicators in one bundle, then paging them back 7 at a time. */
static void test_post_then_page_all(void **state)
{
    char *objs[30], *body;
    struct hresp r;
    json_t *v;
    int seen[30] = {0}, pages = 0, total = 0;
    char path[512], next[128] = "";

    (void)state;
    for (int i = 0; i < 30; i++)
        objs[i] = indicator(100 + i, "2024-01-01T00:00:00.000Z", GREEN);
    body = bundle_of(objs, 30);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, body, strlen(body), &r), 201);
    v = parse(&r);
    assert_int_equal(json_integer_value(json_object_get(v, "new_count")), 30);
    assert_int_equal(json_integer_value(json_object_get(v, "tlp_defaulted_count")), 0);
    json_decref(v);
    hresp_free(&r);
    /* posting the same bundle again is idempotent */
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, body, strlen(body), &r), 201);
    v = parse(&r);
    assert_int_equal(json_integer_value(json_object_get(v, "duplicate_count")), 30);
    assert_int_equal(json_integer_value(json_object_get(v, "new_count")), 0);
    json_decref(v);
    hresp_free(&r);
    do {
        json_t *arr, *o;
        size_t i;
        snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=7%s%s", next[0] ? "&next=" : "", next);
        assert_int_equal(h_http(&node, "GET", path, viewer_key, NULL, 0, &r), 200);
        v = parse(&r);
        arr = json_object_get(v, "objects");
        assert_true(json_array_size(arr) <= 7);
        json_array_foreach(arr, i, o) {
            int k = -1;
            sscanf(json_string_value(json_object_get(o, "id")) + strlen("indicator--11111111-2222-4333-8444-"), "%d", &k);
            assert_true(k >= 100 && k < 130);
            seen[k - 100]++;
            total++;
        }
        next[0] = '\0';
        if (json_is_true(json_object_get(v, "more")))
            snprintf(next, sizeof next, "%s", json_string_value(json_object_get(v, "next")));
        json_decref(v);
        hresp_free(&r);
        pages++;
    } while (next[0] && pages < 20);
    assert_int_equal(total, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(pages, 5);
    for (int i = 0; i < 30; i++)
        free(objs[i]);
    free(body);
}

static void test_versions_newest_by_default(void **state)
{
    char *v1 = indicator(7, "2024-01-01T00:00:00.000Z", GREEN);
    char *v2 = indicator(7, "2024-02-01T00:00:00.000Z", GREEN);
    const char *id = "/api/v1/objects/indicator--11111111-2222-4333-8444-000000000007";
    char path[256];
    struct hresp r;
    json_t *v;

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, v2, strlen(v2), &r), 201);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, v1, strlen(v1), &r), 201);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", id, other_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_string_equal(json_string_value(json_object_get(v, "modified")), "2024-02-01T00:00:00.000Z");
    assert_non_null(strstr(r.headers, "X-Mreza-TLP: TLP:GREEN"));
    json_decref(v);
    hresp_free(&r);
    snprintf(path, sizeof path, "%s?version=all", id);
    assert_int_equal(h_http(&node, "GET", path, other_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 2);
    json_decref(v);
    hresp_free(&r);
    /* the list shows only the newest version unless asked */
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?id=indicator--11111111-2222-4333-8444-000000000007", other_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":1"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?version=all&id=indicator--11111111-2222-4333-8444-000000000007", other_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":2"));
    hresp_free(&r);
    free(v1);
    free(v2);
}

static void test_filters(void **state)
{
    char *amber = indicator(300, "2024-01-01T00:00:00.000Z", AMBER);
    struct hresp r;
    char path[512], ident[64];
    json_t *v, *arr, *o;
    size_t i;

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, amber, strlen(amber), &r), 201);
    hresp_free(&r);
    /* tlp filter: only the amber one */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?tlp=amber", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    arr = json_object_get(v, "objects");
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "id")),
                        "indicator--11111111-2222-4333-8444-000000000300");
    json_decref(v);
    hresp_free(&r);
    /* the other organisation cannot see it */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?tlp=amber", other_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 0);
    json_decref(v);
    hresp_free(&r);
    /* type filter with two types; every object is of one of them */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?type=identity,incident&limit=1000", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    arr = json_object_get(v, "objects");
    /* the two organisations' identities, and those of rs-cert's three users (their
     * organisation's claims, TLP:AMBER+STRICT: docs/model.md R8) */
    assert_int_equal(json_array_size(arr), 5);
    json_array_foreach(arr, i, o)
        assert_string_equal(json_string_value(json_object_get(o, "type")), "identity");
    json_decref(v);
    hresp_free(&r);
    /* created_by is created_by_ref alone (docs/model.md R9: these carry none);
     * submitted_by is the owner */
    h_identity(&node, "org", "rs-cert", ident);
    snprintf(path, sizeof path, "/api/v1/count?type=indicator&created_by=%s", ident);
    assert_int_equal(h_http(&node, "GET", path, analyst_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
    snprintf(path, sizeof path, "/api/v1/count?type=indicator&submitted_by=%s", ident);
    assert_int_equal(h_http(&node, "GET", path, analyst_key, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
    /* added_after in the future: nothing */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?added_after=2999-01-01T00:00:00Z", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 0);
    assert_true(json_is_false(json_object_get(v, "more")));
    json_decref(v);
    hresp_free(&r);
    free(amber);
}

/* The number of objects GET path lists (with limit=10000), and whether id is among them. */
static size_t list_has(const char *path, const char *id, int *found)
{
    struct hresp r;
    json_t *v, *o;
    size_t i, n;

    assert_int_equal(h_http(&node, "GET", path, analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    n = json_array_size(json_object_get(v, "objects"));
    *found = 0;
    json_array_foreach(json_object_get(v, "objects"), i, o)
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
            *found = 1;
    json_decref(v);
    hresp_free(&r);
    return n;
}

/* ?tlp=amber+strict, as docs/api.md writes it: a query string decodes '+' as a space,
 * and this was a 400 ("tlp must be ..."). Every spelling of the level gives the same
 * list; the export and the count take the same parameter. */
static void test_tlp_amber_strict_spellings(void **state)
{
    static const char *const paths[] = {
        "/api/v1/objects?limit=10000&tlp=amber+strict",
        "/api/v1/objects?limit=10000&tlp=amber%2Bstrict",
        "/api/v1/objects?limit=10000&tlp=AMBER%20STRICT",
        "/api/v1/objects?limit=10000&tlp=TLP:AMBER%2BSTRICT",
    };
    const char *id = "indicator--11111111-2222-4333-8444-000000000301";
    char *obj = indicator(301, "2024-01-01T00:00:00.000Z", AMBER_STRICT);
    struct hresp r;
    size_t n0 = 0;
    int found;

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, obj, strlen(obj), &r), 201);
    hresp_free(&r);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        size_t n = list_has(paths[i], id, &found);
        assert_true(found);
        if (i == 0)
            n0 = n;
        assert_int_equal(n, n0);
    }
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?tlp=amber+strict", analyst_key, NULL, 0, &r), 200);
    {
        char want[64];
        snprintf(want, sizeof want, "{\"count\":%zu}", n0);
        assert_non_null(strstr(r.body, want));
    }
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/export?tlp=amber+strict", analyst_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, id));
    hresp_free(&r);
    /* nothing of another level slips in: the AMBER one of test_filters is not listed */
    list_has("/api/v1/objects?limit=10000&tlp=amber+strict", "indicator--11111111-2222-4333-8444-000000000300", &found);
    assert_false(found);
    free(obj);
}

static void expect_error(const char *method, const char *path, const char *key, long status,
                         const char *msg_part, const char *field)
{
    struct hresp r;
    json_t *v, *e;

    assert_int_equal(h_http(&node, method, path, key, NULL, 0, &r), status);
    v = parse(&r);
    e = json_object_get(v, "error");
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "status")), status);
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), msg_part));
    if (field)
        assert_string_equal(json_string_value(json_object_get(e, "field")), field);
    json_decref(v);
    hresp_free(&r);
}

static void test_query_errors(void **state)
{
    (void)state;
    expect_error("GET", "/api/v1/objects?limit=0", analyst_key, 400, "limit must be", "limit");
    expect_error("GET", "/api/v1/objects?limit=abc", analyst_key, 400, "limit must be", "limit");
    expect_error("GET", "/api/v1/objects?limit=10001", analyst_key, 400, "limit must be", "limit");
    expect_error("GET", "/api/v1/objects?tlp=purple", analyst_key, 400, "tlp must be", "tlp");
    expect_error("GET", "/api/v1/objects?tlp=amber++strict", analyst_key, 400, "tlp must be", "tlp");
    expect_error("GET", "/api/v1/count?tlp=amber-strict", analyst_key, 400, "tlp must be", "tlp");
    expect_error("GET", "/api/v1/objects?added_after=yesterday", analyst_key, 400, "added_after", "added_after");
    expect_error("GET", "/api/v1/objects?next=zzz", analyst_key, 400, "next", "next");
    expect_error("GET", "/api/v1/objects?version=first", analyst_key, 400, "version", "version");
    expect_error("GET", "/api/v1/objects/not-an-id", analyst_key, 400, "not a STIX identifier", "id");
    expect_error("GET", "/api/v1/objects/indicator--11111111-2222-4333-8444-999999999999", analyst_key, 404, "no object", NULL);
    expect_error("GET", "/api/v1/nothing", analyst_key, 404, "no such endpoint", NULL);
    expect_error("DELETE", "/api/v1/objects", analyst_key, 405, "not allowed", NULL);
    expect_error("GET", "/api/v1/objects", NULL, 401, "API key", NULL);
    expect_error("GET", "/api/v1/objects", "mz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "unknown API key", NULL);
    expect_error("GET", "/api/v1/whoami", "Basic Zm9vOmJhcg==", 401, "mreza key", NULL);
}

static void test_roles(void **state)
{
    const char *one = "{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"incident--0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5\","
                      "\"created\":\"2024-03-01T10:00:00.000Z\",\"modified\":\"2024-03-01T10:00:00.000Z\",\"name\":\"viewer try\"}";
    const char *org = "{\"name\":\"ba-cert\",\"country\":\"BA\",\"kind\":\"national-csirt\",\"full_name\":\"BA CERT (test)\"}";
    const char *user = "{\"name\":\"analyst@ba-cert\",\"org\":\"ba-cert\",\"role\":\"analyst\"}";
    struct hresp r;
    json_t *v;
    char key[64];

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", viewer_key, one, strlen(one), &r), 403);
    assert_non_null(strstr(r.body, "may write objects (you are viewer of rs-cert)"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/orgs", analyst_key, org, strlen(org), &r), 403);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/orgs", admin_key, org, strlen(org), &r), 201);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/orgs", admin_key, org, strlen(org), &r), 409);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/users", admin_key, user, strlen(user), &r), 201);
    v = parse(&r);
    snprintf(key, sizeof key, "%s", json_string_value(json_object_get(v, "api_key")));
    json_decref(v);
    hresp_free(&r);
    /* the new key works at once and says who it is */
    assert_int_equal(h_http(&node, "GET", "/api/v1/whoami", key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "user"), "name")), "analyst@ba-cert");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "org"), "country")), "BA");
    json_decref(v);
    hresp_free(&r);
    /* non-admins list only their organisation's users */
    assert_int_equal(h_http(&node, "GET", "/api/v1/users", key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "users")), 1);
    json_decref(v);
    hresp_free(&r);
    /* naming their own organisation is fine, another one is refused */
    assert_int_equal(h_http(&node, "GET", "/api/v1/users?org=ba-cert", key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "users")), 1);
    json_decref(v);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/users?org=rs-cert", key, NULL, 0, &r), 403);
    assert_non_null(strstr(r.body, "only a node admin may list users in another organisation"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/users", admin_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "users")), 5);
    json_decref(v);
    hresp_free(&r);
    /* a node admin may narrow the list to one organisation; an unknown one is a 404 */
    assert_int_equal(h_http(&node, "GET", "/api/v1/users?org=rs-cert", admin_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "users")), 3);
    json_decref(v);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/users?org=xx-none", admin_key, NULL, 0, &r), 404);
    hresp_free(&r);
    /* non-admins are refused before their body is even parsed (a malformed one too) */
    assert_int_equal(h_http(&node, "POST", "/api/v1/orgs", key, "{\"name\": [[[", 13, &r), 403);
    hresp_free(&r);
    assert_int_equal(h_http(&node, "POST", "/api/v1/users", key, "{\"name\": [[[", 13, &r), 403);
    hresp_free(&r);
    /* adding users is for admins only */
    assert_int_equal(h_http(&node, "POST", "/api/v1/users", key, user, strlen(user), &r), 403);
    assert_non_null(strstr(r.body, "only an admin may add users"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/orgs", key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "orgs")), 3);
    json_decref(v);
    hresp_free(&r);
}

static void test_export_bundle(void **state)
{
    struct hresp r;
    json_t *v, *arr, *o;
    size_t i;
    int markings = 0, indicators = 0;

    (void)state;
    assert_int_equal(h_http(&node, "GET", "/api/v1/export?type=indicator", other_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "bundle");
    arr = json_object_get(v, "objects");
    json_array_foreach(arr, i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        markings += !strcmp(t, "marking-definition");
        indicators += !strcmp(t, "indicator");
    }
    assert_int_equal(indicators, 31); /* 30 + the versioned one; the AMBER one is not theirs */
    assert_int_equal(markings, 1);    /* TLP:GREEN's definition travels with the bundle */
    json_decref(v);
    hresp_free(&r);
}

/* A bundle of n GREEN indicators (ids 500000+i); bad_at >= 0 puts an object with
 * `modified` before `created` there. */
static char *big_bundle(int n, int bad_at)
{
    char **objs = calloc((size_t)n, sizeof *objs), *b;
    for (int i = 0; i < n; i++)
        objs[i] = indicator(500000 + i, i == bad_at ? "2023-01-01T00:00:00.000Z" : "2024-01-01T00:00:00.000Z", GREEN);
    b = bundle_of(objs, n);
    for (int i = 0; i < n; i++)
        free(objs[i]);
    free(objs);
    return b;
}

/* Bundles over 1 MB are parsed on a second thread while the first one writes:
 * an invalid object anywhere (first batch, middle, the last partial batch) still
 * rejects the whole bundle and is named; a valid one is stored whole. */
static void test_large_bundles(void **state)
{
    const int n = 5000, bad[] = {0, 300, 2049, 4999};
    struct hresp r;
    json_t *v;
    char *body, want[64];
    long long before = h_db_count(&node, NULL);

    (void)state;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        body = big_bundle(n, bad[k]);
        assert_true(strlen(body) > (1u << 20));
        assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, body, strlen(body), &r), 400);
        v = parse(&r);
        snprintf(want, sizeof want, "/objects/%d/modified", bad[k]);
        assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "field")), want);
        json_decref(v);
        hresp_free(&r);
        free(body);
        assert_int_equal(h_db_count(&node, NULL), before);
    }
    body = big_bundle(n, -1);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, body, strlen(body), &r), 201);
    v = parse(&r);
    assert_int_equal(json_integer_value(json_object_get(v, "new_count")), n);
    assert_int_equal(json_array_size(json_object_get(v, "successes")), n);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(v, "successes"), n - 1), "id")),
                        "indicator--11111111-2222-4333-8444-000000504999");
    json_decref(v);
    hresp_free(&r);
    free(body);
    assert_int_equal(h_db_count(&node, NULL), before + n);
    assert_true(h_db_integrity_ok(&node));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_then_page_all),
        cmocka_unit_test(test_versions_newest_by_default),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_tlp_amber_strict_spellings),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_export_bundle),
        cmocka_unit_test(test_large_bundles),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
