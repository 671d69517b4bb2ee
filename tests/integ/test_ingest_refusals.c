/* tests/integ/test_ingest_refusals.c - a bundle refused at its last object by a check
 * that needs no store read (R6.1's skew, the node's own types), on one thread and
 * through the validation workers: the 400 names the object and the field, nothing of
 * the bundle is stored, and the same bundle without that object is. And the storage
 * quota of an organisation (ingest.max_objects_per_org), counted under the write
 * lock before the commit. Against a real `mreza serve`. (Such a bundle holds the
 * write lock while it is read, as a valid one of the same size does: docs/security.md,
 * the second re-attack's L4.) */
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

#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

static struct hnode node;
static char analyst_key[64];

#define QUOTA 2000 /* ingest.max_objects_per_org */

static int setup(void **state)
{
    const char *const sets[] = {"ingest.max_objects_per_org=2000", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", analyst_key);
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

/* A bundle of n notes of about pad bytes each, numbered from base; the last is
 * replaced by last (a whole object's JSON) when it is not NULL. The caller frees it. */
static char *bundle_from(int base, int n, size_t pad, const char *last, size_t *len_out)
{
    size_t cap = (size_t)n * (pad + 512) + 1024, len = 0;
    char *b = malloc(cap), *fill = malloc(pad + 1);

    assert_non_null(b);
    assert_non_null(fill);
    memset(fill, 'x', pad);
    fill[pad] = '\0';
    len += (size_t)snprintf(b, cap, "{\"type\":\"bundle\",\"id\":\"bundle--5b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\","
                                    "\"objects\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            b[len++] = ',';
        if (i == n - 1 && last)
            len += (size_t)snprintf(b + len, cap - len, "%s", last);
        else
            len += (size_t)snprintf(b + len, cap - len,
                                    "{\"type\":\"note\",\"spec_version\":\"2.1\",\"id\":\"note--41111111-2222-4333-"
                                    "8444-%012d\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
                                    "\"2024-01-01T00:00:00.000Z\",\"object_refs\":[\"indicator--11111111-2222-4333-"
                                    "8444-000000000001\"],\"object_marking_refs\":[\"" CLEAR "\"],\"content\":\"%s\"}",
                                    base + i, fill);
        assert_true(len < cap);
    }
    len += (size_t)snprintf(b + len, cap - len, "]}");
    free(fill);
    *len_out = len;
    return b;
}

static char *bundle_of(int n, size_t pad, const char *last, size_t *len_out)
{
    return bundle_from(0, n, pad, last, len_out);
}

/* The reply is 400 naming field, with a message containing part. */
static void assert_refused(const struct hresp *r, const char *field, const char *part)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je), *e = json_object_get(v, "error");
    const char *f = json_string_value(json_object_get(e, "field"));
    const char *msg = json_string_value(json_object_get(e, "message"));

    if (r->status != 400 || !f || strcmp(f, field) || !msg || !strstr(msg, part))
        fail_msg("want 400 %s '%s', got %ld: %.400s", field, part, r->status, r->body);
    json_decref(v);
}

struct doomed_case {
    const char *what;
    int n;          /* objects */
    size_t pad;     /* bytes of each note's content: n * pad >= 1 MiB takes the workers */
    const char *last;
    const char *field;
    const char *msg;
};

#define FUTURE_NOTE                                                                                         \
    "{\"type\":\"note\",\"spec_version\":\"2.1\",\"id\":\"note--51111111-2222-4333-8444-000000000001\","    \
    "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2999-01-01T00:00:00.000Z\",\"object_refs\":[" \
    "\"indicator--11111111-2222-4333-8444-000000000001\"],\"object_marking_refs\":[\"" CLEAR "\"],"          \
    "\"content\":\"later\"}"
#define NODE_TYPE                                                                                            \
    "{\"type\":\"x-mreza-withdrawal\",\"spec_version\":\"2.1\",\"id\":\"x-mreza-withdrawal--51111111-2222-" \
    "4333-8444-000000000002\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"                       \
    "\"2024-01-01T00:00:00.000Z\"}"

/* Bundles refused at their last object (a version dated in 2999; an x-mreza- type)
 * get their 400 naming that object's field, on one thread and through the validation
 * workers (which make these checks beside the STIX validation); nothing is stored.
 * The same bundle without its last object is stored. */
static void test_refused_at_last_object(void **state)
{
    static const struct doomed_case cases[] = {
        {"a small bundle, its last version in the future", 4, 100, FUTURE_NOTE, "/objects/3/modified",
         "ingest.max_future_skew"},
        {"a small bundle, its last object of the node's own type", 4, 100, NODE_TYPE, "/objects/3/type",
         "`x-mreza-` types are the node's own"},
        {"a large bundle, its last version in the future", 600, 3000, FUTURE_NOTE, "/objects/599/modified",
         "ingest.max_future_skew"},
        {"a large bundle, its last object of the node's own type", 600, 3000, NODE_TYPE, "/objects/599/type",
         "`x-mreza-` types are the node's own"},
    };
    long long before = h_db_count(&node, NULL);
    struct hresp r;
    size_t len;
    char *b;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct doomed_case *c = &cases[i];
        b = bundle_of(c->n, c->pad, c->last, &len);
        h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r);
        print_message("%s\n", c->what);
        assert_refused(&r, c->field, c->msg);
        hresp_free(&r);
        free(b);
    }
    assert_int_equal(h_db_count(&node, NULL), before);
    b = bundle_of(599, 3000, NULL, &len);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r), 201);
    hresp_free(&r);
    free(b);
    assert_int_equal(h_db_count(&node, NULL), before + 599);
    assert_true(h_db_integrity_ok(&node));
}

/* ingest.max_objects_per_org = 2000: a bundle that would take rs-cert past 2000
 * stored versions is refused whole with 413 naming the quota, and nothing of it is
 * stored; one that takes it to 2000 exactly is stored; then one more object is
 * refused, while posting a version already stored (a duplicate, no new row) still
 * passes. Before, there was no quota (the node does not know the setting). */
static void test_org_quota(void **state)
{
    const char *owned = "owner_org = (SELECT id FROM orgs WHERE name = 'rs-cert')";
    long long have = h_db_count(&node, owned);
    int room = QUOTA - (int)have;
    struct hresp r;
    size_t len;
    char *b;

    (void)state;
    assert_true(room > 2);
    b = bundle_from(10000, room + 1, 50, NULL, &len);
    h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r);
    if (r.status != 413 || !strstr(r.body, "past its quota of 2000 stored versions (ingest.max_objects_per_org)"))
        fail_msg("past the quota: %ld %.300s", r.status, r.body);
    hresp_free(&r);
    free(b);
    assert_int_equal(h_db_count(&node, owned), have);
    b = bundle_from(10000, room, 50, NULL, &len);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r), 201);
    hresp_free(&r);
    assert_int_equal(h_db_count(&node, owned), QUOTA);
    /* the same again: every object a duplicate, nothing added */
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r), 201);
    hresp_free(&r);
    free(b);
    b = bundle_from(20000, 1, 50, NULL, &len);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", analyst_key, b, len, &r), 413);
    hresp_free(&r);
    free(b);
    assert_int_equal(h_db_count(&node, owned), QUOTA);
    assert_true(h_db_integrity_ok(&node));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_at_last_object),
        cmocka_unit_test(test_org_quota), /* after it: counts what it stored */
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
