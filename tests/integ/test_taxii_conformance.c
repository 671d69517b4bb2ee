/* tests/integ/test_taxii_conformance.c - runs tests/taxii/conformance_client.py, a
 * TAXII 2.1 client's checks written from the specification (python3 standard library
 * only), against a real `mreza serve`: this file starts the node, posts the objects
 * the checks need (indicators enough for several pages, a malware, an indicator of
 * three versions), writes the fixture (the URL, a key, the national collection's id,
 * the object of three versions) and asserts that the client exits 0 after running
 * all of its checks (their count, so that none is silently dropped). Failed before
 * the TAXII read side (no objects endpoints). */
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

#define CONFORMANCE_CHECKS 20 /* the def test_* of conformance_client.py */
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define VERSIONED "indicator--5c000000-0000-4000-8000-000000000099"

static struct hnode node;
static char key[64];

static int setup(void **state)
{
    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", key);
    h_start(&node, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return h_node_free(&node) > 0;
}

static void post(const char *body)
{
    struct hresp r;

    h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), &r);
    if (r.status != 201)
        fail_msg("post: %ld %s", r.status, r.body);
    hresp_free(&r);
}

static void indicator(const char *id, const char *modified)
{
    char body[1000];

    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"%s\",\"name\":\"c\",\"pattern\":\"[domain-name:value = 'c%.4s.example']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN
             "\"]}",
             id, modified, id + strlen(id) - 4);
    post(body);
}

/* The id of the national collection. */
static void national_id(char *out, size_t cap)
{
    const char *const headers[] = {"Accept: application/taxii+json;version=2.1", NULL};
    struct hresp r;
    json_t *j, *c;
    size_t i;

    out[0] = '\0';
    h_http_hdr(&node, "GET", "/taxii2/api/collections/", key, headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    json_array_foreach(json_object_get(j, "collections"), i, c) {
        if (!strcmp(json_string_value(json_object_get(c, "alias")), "national"))
            snprintf(out, cap, "%s", json_string_value(json_object_get(c, "id")));
    }
    json_decref(j);
    hresp_free(&r);
    assert_int_equal(strlen(out), 36);
}

static void test_conformance_client(void **state)
{
    char id[64], coll[64], fixture[400], want[64], *out = NULL;
    const char *argv[] = {"/usr/bin/python3", "tests/taxii/conformance_client.py", fixture, NULL};
    FILE *f;
    int rc;

    (void)state;
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "indicator--5c000000-0000-4000-8000-0000000000%02d", i);
        indicator(id, "2025-01-01T00:00:00.000Z");
    }
    indicator(VERSIONED, "2025-01-01T00:00:00.000Z");
    indicator(VERSIONED, "2025-02-01T00:00:00.000Z");
    indicator(VERSIONED, "2025-03-01T00:00:00.000Z");
    post("{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--5c000000-0000-4000-8000-000000000001\","
         "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"m\","
         "\"is_family\":false,\"object_marking_refs\":[\"" GREEN "\"]}");
    national_id(coll, sizeof coll);
    snprintf(fixture, sizeof fixture, "%s/conformance.json", node.dir);
    f = fopen(fixture, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"base\":\"%s\",\"key\":\"%s\",\"collection\":\"%s\",\"object_id\":\"" VERSIONED "\","
            "\"n_versions\":3,\"type\":\"malware\"}\n",
            node.url, key, coll);
    assert_int_equal(fclose(f), 0);
    rc = h_run(argv, &out);
    snprintf(want, sizeof want, "Ran %d tests", CONFORMANCE_CHECKS);
    if (rc != 0 || !strstr(out, want) || !strstr(out, "\nOK"))
        fail_msg("conformance_client.py: exit %d, want 0 and '%s':\n%s", rc, want, out ? out : "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_client),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
