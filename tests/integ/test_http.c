/* tests/integ/test_http.c - what every route shares, against a real `mreza serve`:
 * 405 with an Allow header, 406 when the client accepts nothing the route answers
 * with, 415 for a body that is not JSON (and nothing stored), replies larger than
 * http.max_reply refused with a JSON error instead of being cut short, and exports,
 * which are streamed instead: larger than http.max_reply and whole, or, when they
 * cannot be finished, an incomplete transfer and never a bundle that looks whole.
 * The server runs with http.max_reply at its smallest (4 KiB) so that a page of
 * stored objects outgrows it. */
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
#define N_OBJECTS 40

static struct hnode node;
static char analyst_key[64];
static char log_path[300];

static json_t *parse(const struct hresp *r)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    if (!v)
        fail_msg("response is not JSON (%s): %.300s", je.text, r->body);
    return v;
}

/* The error's status and message; fails unless the body is the JSON error format. */
static void assert_error(const struct hresp *r, long status, const char *msg_part)
{
    json_t *v = parse(r), *e = json_object_get(v, "error");

    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "status")), status);
    if (!strstr(json_string_value(json_object_get(e, "message")), msg_part))
        fail_msg("message %s lacks '%s'", json_string_value(json_object_get(e, "message")), msg_part);
    json_decref(v);
}

/* A bundle of n GREEN indicators, about 400 bytes each. */
static char *bundle(int first, int n)
{
    size_t cap = 256 + (size_t)n * 512, used;
    char *b = malloc(cap);

    assert_non_null(b);
    used = (size_t)snprintf(b, cap, "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\",\"objects\":[");
    for (int i = first; i < first + n; i++)
        used += (size_t)snprintf(b + used, cap - used,
                                 "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                                 "\"id\":\"indicator--11111111-2222-4333-8444-%012d\","
                                 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                                 "\"name\":\"padding padding padding padding padding %d\","
                                 "\"pattern\":\"[ipv4-addr:value = '198.51.100.%d']\","
                                 "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\","
                                 "\"object_marking_refs\":[\"" GREEN "\"]}",
                                 i > first ? "," : "", i, i, i % 250);
    snprintf(b + used, cap - used, "]}");
    return b;
}

static int setup(void **state)
{
    const char *const sets[] = {"http.max_reply=4096", "log.level=info", NULL};
    struct hresp r;
    char *b;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", analyst_key);
    snprintf(log_path, sizeof log_path, "%s/serve.log", node.dir);
    h_start_logged(&node, sets, log_path);
    b = bundle(1, N_OBJECTS);
    if (h_http(&node, "POST", "/api/v1/objects", analyst_key, b, strlen(b), &r) != 201) {
        free(b);
        return -1;
    }
    hresp_free(&r);
    free(b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

static void test_method_not_allowed(void **state)
{
    struct hresp r;

    (void)state;
    assert_int_equal(h_http(&node, "DELETE", "/api/v1/objects", analyst_key, NULL, 0, &r), 405);
    assert_error(&r, 405, "allowed: GET, POST");
    assert_non_null(strstr(r.headers, "Allow: GET, POST"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "PUT", "/api/v1/count", analyst_key, NULL, 0, &r), 405);
    assert_non_null(strstr(r.headers, "Allow: GET\r\n"));
    hresp_free(&r);
    /* an unknown path stays a 404, without Allow */
    assert_int_equal(h_http(&node, "DELETE", "/api/v1/nothing", analyst_key, NULL, 0, &r), 404);
    assert_null(strstr(r.headers, "Allow:"));
    hresp_free(&r);
}

struct accept_case {
    const char *path;
    const char *accept; /* the header line */
    long status;
};

static const struct accept_case accept_cases[] = {
    {"/api/v1/count", "Accept: text/html", 406},
    {"/api/v1/count", "Accept: application/xml, text/csv", 406},
    {"/api/v1/count", "Accept: application/json;q=0", 406},
    {"/api/v1/count", "Accept: application/json; q=0.000", 406},
    {"/api/v1/count", "Accept: application/stix+json", 406},
    {"/api/v1/count", "Accept: application/json", 200},
    {"/api/v1/count", "Accept: APPLICATION/JSON", 200},
    {"/api/v1/count", "Accept: text/html, application/json;q=0.5", 200},
    {"/api/v1/count", "Accept: application/*;q=0.1", 200},
    {"/api/v1/count", "Accept: */*", 200},
    {"/api/v1/count", "Accept:", 200}, /* no Accept header at all */
    {"/api/v1/export", "Accept: application/stix+json;version=2.1", 200},
    {"/api/v1/export", "Accept: application/json", 200},
    {"/api/v1/export", "Accept: text/plain", 406},
};

static void test_not_acceptable(void **state)
{
    struct hresp r;

    (void)state;
    for (size_t i = 0; i < sizeof accept_cases / sizeof accept_cases[0]; i++) {
        const struct accept_case *c = &accept_cases[i];
        const char *const hdr[] = {c->accept, NULL};
        long st = h_http_hdr(&node, "GET", strcmp(c->path, "/api/v1/export") ? c->path : "/api/v1/export?type=identity",
                             analyst_key, hdr, NULL, 0, &r);
        if (st != c->status)
            fail_msg("%s with '%s': %ld, want %ld: %.200s", c->path, c->accept, st, c->status, r.body);
        if (st == 406)
            assert_error(&r, 406, "Accept header");
        hresp_free(&r);
    }
}

struct type_case {
    const char *content_type;
    long status;
};

static const struct type_case type_cases[] = {
    {"Content-Type: text/csv", 415},
    {"Content-Type: multipart/form-data; boundary=x", 415},
    {"Content-Type: application/xml", 415},
    {"Content-Type: application/jsonx", 415},
    {"Content-Type: application/json; charset=utf-8", 201},
    {"Content-Type: application/stix+json;version=2.1", 201},
    {"Content-Type: application/x-www-form-urlencoded", 201}, /* what curl -d sends */
};

static void test_unsupported_media_type(void **state)
{
    struct hresp r;
    long long before = h_db_count(&node, NULL);
    long long stored = 0;

    (void)state;
    for (size_t i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++) {
        const struct type_case *c = &type_cases[i];
        const char *const hdr[] = {c->content_type, NULL};
        char *b = bundle(1000 + (int)i, 1);
        long st = h_http_hdr(&node, "POST", "/api/v1/objects", analyst_key, hdr, b, strlen(b), &r);
        if (st != c->status)
            fail_msg("'%s': %ld, want %ld: %.200s", c->content_type, st, c->status, r.body);
        if (st == 415)
            assert_error(&r, 415, "Content-Type: application/json");
        else
            stored++;
        hresp_free(&r);
        free(b);
        assert_int_equal(h_db_count(&node, NULL), before + stored);
    }
}

/* A note whose stored JSON is exactly len bytes (len >= 300). */
static char *note_of_len(int n, size_t len)
{
    char head[512], *b;
    int hl = snprintf(head, sizeof head,
                      "{\"type\":\"note\",\"spec_version\":\"2.1\",\"id\":\"note--21111111-2222-4333-8444-%012d\","
                      "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                      "\"object_refs\":[\"indicator--11111111-2222-4333-8444-000000000001\"],"
                      "\"object_marking_refs\":[\"" GREEN "\"],\"content\":\"",
                      n);
    size_t pad = len - (size_t)hl - 2;

    b = malloc(len + 1);
    assert_non_null(b);
    memcpy(b, head, (size_t)hl);
    memset(b + hl, 'x', pad);
    memcpy(b + hl + pad, "\"}", 3);
    assert_int_equal(strlen(b), len);
    return b;
}

/* Every size of one object around the limit: the page {"objects":[OBJ],"more":false}
 * is whole (200, valid JSON) or a 413, never a 200 with an error inside (a page whose
 * rows fit and whose closing did not once went out as {"error":{"status":200...}}). */
static void test_reply_edge_sizes(void **state)
{
    struct hresp r;
    char path[128];

    (void)state;
    for (size_t len = 4050; len <= 4100; len++) {
        int n = (int)len;
        char *o = note_of_len(n, len);
        json_t *v;
        long st;
        assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, o, len, &r), 201);
        hresp_free(&r);
        free(o);
        snprintf(path, sizeof path, "/api/v1/objects?id=note--21111111-2222-4333-8444-%012d", n);
        st = h_http(&node, "GET", path, analyst_key, NULL, 0, &r);
        if (st == 413) {
            assert_error(&r, 413, "http.max_reply");
        } else {
            if (st != 200)
                fail_msg("%zu bytes: status %ld: %.200s", len, st, r.body);
            v = parse(&r);
            if (json_object_get(v, "error") || json_array_size(json_object_get(v, "objects")) != 1)
                fail_msg("%zu bytes: a 200 that is not the page: %.200s", len, r.body);
            json_decref(v);
        }
        hresp_free(&r);
    }
}

/* A reply that outgrows http.max_reply is a JSON error, never a 200 cut short. */
static void test_reply_over_limit(void **state)
{
    const char *const paths[] = {"/api/v1/objects?limit=100", "/api/v1/objects?type=indicator&limit=40"};
    struct hresp r;
    json_t *v;

    (void)state;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        long st = h_http(&node, "GET", paths[i], analyst_key, NULL, 0, &r);
        if (st != 413)
            fail_msg("%s: %ld, want 413: %.200s", paths[i], st, r.body);
        assert_error(&r, 413, "http.max_reply");
        hresp_free(&r);
    }
    /* a page that fits is whole JSON */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?limit=2", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 2);
    assert_true(json_is_true(json_object_get(v, "more")));
    json_decref(v);
    hresp_free(&r);
}

/* An export is streamed: larger than http.max_reply (where it was a 413 before), with
 * every object visible (as many as /api/v1/count says) and the marking definition
 * they use, valid JSON. */
static void test_export_streams(void **state)
{
    struct hresp r;
    json_t *v, *objs, *o;
    size_t i, n_markings = 0;
    long long count;

    (void)state;
    assert_int_equal(h_http(&node, "GET", "/api/v1/count", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    count = json_integer_value(json_object_get(v, "count"));
    json_decref(v);
    hresp_free(&r);
    assert_true(count >= N_OBJECTS);
    assert_int_equal(h_http(&node, "GET", "/api/v1/export", analyst_key, NULL, 0, &r), 200);
    assert_true(r.len > 4096);
    assert_non_null(strstr(r.headers, "Transfer-Encoding: chunked"));
    assert_non_null(strstr(r.headers, "Content-Type: application/stix+json;version=2.1"));
    v = parse(&r);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "bundle");
    objs = json_object_get(v, "objects");
    json_array_foreach(objs, i, o) {
        if (!strcmp(json_string_value(json_object_get(o, "type")), "marking-definition"))
            n_markings++;
    }
    /* TLP:GREEN, which every object posted here uses, and TLP:AMBER+STRICT, the
     * marking of the analyst's identity (rs-cert's claim of it, docs/model.md R8) */
    assert_int_equal(n_markings, 2);
    assert_int_equal(json_array_size(objs), (size_t)count + n_markings);
    json_decref(v);
    hresp_free(&r);
}

/* An export that cannot be finished once it has started (here: an object larger than
 * http.max_reply, the most one piece may hold, stored after test_reply_edge_sizes)
 * ends with the connection closed before the last chunk: the client sees an
 * incomplete transfer, not a bundle that looks whole. The node goes on serving. */
static void test_export_fails_midstream(void **state)
{
    struct hresp r;
    json_error_t je;
    json_t *v;

    (void)state;
    assert_int_equal(h_http(&node, "GET", "/api/v1/export", analyst_key, NULL, 0, &r), 0); /* transfer failed */
    assert_true(r.len > 4096); /* it had started: pieces were sent */
    assert_memory_equal(r.body, "{\"type\":\"bundle\"", 16);
    v = json_loads(r.body, 0, &je);
    assert_null(v);
    hresp_free(&r);
    assert_true(h_healthy(&node));
    /* what fits is still exported */
    assert_int_equal(h_http(&node, "GET", "/api/v1/export?type=indicator", analyst_key, NULL, 0, &r), 200);
    v = parse(&r);
    json_decref(v);
    hresp_free(&r);
}

/* Escapes of control characters stay escaped: a %00 does not cut the path short (the
 * users list once answered /api/v1/users%00/x) and a %0A cannot start a forged line
 * of the node's log; nor can spaces or '=' forge a field of the request's own line.
 * Stops the server, to read its log whole. */
static void test_path_escapes(void **state)
{
    const char *const paths[] = {"/api/v1/users%00/x", "/api/v1/nothing%0Ats=1%20lvl=info%20user=admin@rs-cert",
                                 "/api/v1/count%0d%0a", "/api/v1/objects?type=note%00indicator"};
    struct hresp r;
    char *log;
    size_t len;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        long st = h_http(&node, "GET", paths[i], analyst_key, NULL, 0, &r);
        if (st != 404)
            fail_msg("%s: %ld, want 404: %.200s", paths[i], st, r.body);
        assert_error(&r, 404, "no such endpoint");
        hresp_free(&r);
    }
    /* a parameter with a NUL is not cut short to "note" (notes exist): it names no type */
    assert_int_equal(h_http(&node, "GET", paths[3], analyst_key, NULL, 0, &r), 200);
    {
        json_t *v = parse(&r);
        assert_int_equal(json_array_size(json_object_get(v, "objects")), 0);
        json_decref(v);
    }
    hresp_free(&r);
    assert_int_equal(h_stop(&node), 0);
    log = h_read_file(log_path, &len);
    assert_non_null(log);
    assert_non_null(strstr(log, "path=/api/v1/nothing%250Ats%3D1%20lvl%3Dinfo%20user%3Dadmin@rs-cert "));
    assert_null(strstr(log, "\nts=1"));
    assert_null(strstr(log, " user=admin@rs-cert"));
    assert_null(strstr(log, "path=/api/v1/users "));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_not_acceptable),
        cmocka_unit_test(test_unsupported_media_type),
        cmocka_unit_test(test_reply_over_limit),
        cmocka_unit_test(test_export_streams),
        cmocka_unit_test(test_reply_edge_sizes),
        cmocka_unit_test(test_export_fails_midstream),
        cmocka_unit_test(test_path_escapes), /* stops the server */
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
