/* tests/integ/test_sighting_tlp.c - the sightings `mreza match --report` stores must
 * reach no one who may not see the indicator they name. al-cert shares four
 * indicators: community GREEN, AMBER addressed to the organisation me-cirt, AMBER
 * addressed to one person of me-cirt, RED addressed to that person. That person
 * matches a log naming all four, with --report. Then, for every user of both
 * organisations (analysts and a reporter), every sighting the user can list must name
 * an indicator the user can read; and the source (the indicator's submitter) and the
 * person who matched see the sightings they should. */
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
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct hnode node;

#define N_USERS 5
static const char *const users[N_USERS] = {"analyst@al-cert", "analyst2@al-cert", "analyst@me-cirt",
                                           "analyst2@me-cirt", "reporter@me-cirt"};
static char keys[N_USERS][64];

static void post_indicator(const char *tail, const char *value, const char *marking, const char *recipient)
{
    char body[1200], extra[200] = "";
    struct hresp r;

    if (recipient)
        snprintf(extra, sizeof extra, ",\"x_mreza_recipient_refs\":[\"%s\"]", recipient);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7c7c7c7c-0000-4000-8000-%s\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
             "\"pattern\":\"[domain-name:value = '%s']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]%s}",
             tail, value, marking, extra);
    if (h_http(&node, "POST", "/api/v1/objects", keys[0], body, strlen(body), &r) != 201)
        fail_msg("POST answered %ld: %s", r.status, r.body);
    hresp_free(&r);
}

static int setup(void **state)
{
    char me_org[64], me_person[64];

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    for (int i = 0; i < N_USERS; i++)
        h_add_user(&node, users[i], strchr(users[i], '@') + 1, strncmp(users[i], "reporter", 8) ? "analyst" : "reporter",
                   keys[i]);
    h_identity(&node, "org", "me-cirt", me_org);
    h_identity(&node, "user", "analyst@me-cirt", me_person);
    h_start(&node, NULL);
    post_indicator("000000000001", "green.example", GREEN, NULL);
    post_indicator("000000000002", "amber-org.example", AMBER, me_org);
    post_indicator("000000000003", "amber-person.example", AMBER, me_person);
    post_indicator("000000000004", "red-person.example", RED, me_person);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* the last test stopped the server (-1: not running); if a failed test left it
     * running, it must still exit cleanly (tests/run.sh counts a failed teardown) */
    return h_node_free(&node) > 0;
}

/* The sightings user u can list; each must name an indicator u can read. */
static size_t check_user(int u, char seen[][80], size_t cap)
{
    struct hresp r;
    json_error_t je;
    json_t *v, *objs;
    size_t n = 0;

    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?type=sighting", keys[u], NULL, 0, &r), 200);
    v = json_loads(r.body, 0, &je);
    hresp_free(&r);
    assert_non_null(v);
    objs = json_object_get(v, "objects");
    for (size_t i = 0; i < json_array_size(objs); i++) {
        const char *ref = json_string_value(json_object_get(json_array_get(objs, i), "sighting_of_ref"));
        char path[200];
        long st;
        assert_non_null(ref);
        snprintf(path, sizeof path, "/api/v1/objects/%s", ref);
        st = h_http(&node, "GET", path, keys[u], NULL, 0, &r);
        hresp_free(&r);
        if (st != 200)
            fail_msg("%s sees a sighting of %s, which it may not read (%ld)", users[u], ref, st);
        if (n < cap)
            snprintf(seen[n], sizeof seen[n], "%s", ref);
        n++;
    }
    json_decref(v);
    return n;
}

static int saw(char seen[][80], size_t n, const char *tail)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(seen[i], tail))
            return 1;
    return 0;
}

static void test_sightings_reach_only_readers(void **state)
{
    char log[400], *out = NULL, seen[16][80];
    const char *const argv[] = {"match", "--as-user", "analyst@me-cirt", "--format", "text", "--report", log, NULL};
    FILE *f;
    size_t n;

    (void)state;
    assert_int_equal(h_stop(&node), 0);
    snprintf(log, sizeof log, "%s/seen.log", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    fputs("green.example amber-org.example\namber-person.example red-person.example\n", f);
    fclose(f);
    assert_int_equal(h_cli(&node, &out, argv), 0);
    assert_non_null(strstr(out, "red-person.example")); /* the matcher may see all four */
    assert_non_null(strstr(out, "amber-person.example"));
    free(out);
    h_start(&node, NULL);
    /* no one sees a sighting of an indicator it may not read */
    for (int u = 0; u < N_USERS; u++)
        check_user(u, seen, 16);
    /* the person who matched sees all four; the submitter learns of all four */
    n = check_user(2, seen, 16);
    assert_int_equal(n, 4);
    n = check_user(0, seen, 16);
    assert_int_equal(n, 4);
    assert_true(saw(seen, n, "000000000004"));
    /* the rest of me-cirt, its reporter too: the GREEN (every member of me-cirt reads
     * it through the national community, so its sighting is AMBER of me-cirt: issue
     * 11) and the org-addressed AMBER, never the person-addressed ones */
    n = check_user(3, seen, 16);
    assert_false(saw(seen, n, "000000000003") || saw(seen, n, "000000000004"));
    assert_true(saw(seen, n, "000000000002"));
    assert_true(saw(seen, n, "000000000001"));
    n = check_user(4, seen, 16);
    assert_false(saw(seen, n, "000000000003") || saw(seen, n, "000000000004"));
    assert_true(saw(seen, n, "000000000002"));
    assert_true(saw(seen, n, "000000000001"));
    /* al-cert's other analyst: never the RED one */
    n = check_user(1, seen, 16);
    assert_false(saw(seen, n, "000000000004"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sightings_reach_only_readers),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
