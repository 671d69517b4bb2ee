/* tests/integ/test_tlp_matrix.c - every reader x every marking x every read path.
 * One organisation's analyst posts objects under each TLP 2.0 marking (and with
 * recipient lists); an operator's reporter posts two of its own. The expected
 * visibility is written below as a table; each reader then reads each object by
 * GET, list, count and export over HTTP, and each organisation by `mreza export
 * --as ORG`, and every answer must match the table. The node runs with
 * api.public_read on, so the unauthenticated reader is part of the matrix.
 * One column is RED written otherwise: a GREEN object whose description is
 * granular-marked RED (the most restrictive marking anywhere in an object applies
 * to all of it). (TLP:RED's id in upper case is refused since docs/model.md R8 asks
 * for ids in lowercase: test_provenance.c.)
 *
 * Communities (issue 11, docs/federation.md section 6.3): al-cert and me-cirt (A, B)
 * are read+write members of the national and the regional community, me-bank (C, an
 * operator) of the national one only, and xk-cert (E) reads the regional community
 * and only writes to the national one. GREEN is read through a community the
 * reader's organisation reads: the national GREEN by A, B and C (the reporter's
 * column, 0 before communities) but not E, the regional GREEN by A, B and E but not
 * C; CLEAR in a community by anyone. Re-sharing (docs/model.md R11.3): C's GREEN
 * report shared by A's analyst into the regional community reaches E; AMBER of A
 * addressed to C, passed on by C's admin to its client D (me-hosp, an operator of the
 * national community), reaches D and nobody else; AMBER+STRICT addressed to C is not
 * passed on by C (refused), so D never reads it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define M_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define M_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define M_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define M_ASTRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define M_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define GRANULAR_RED ",\"description\":\"the victim's name\",\"granular_markings\":[{\"selectors\":[\"description\"],\"marking_ref\":\"" M_RED "\"}]"

enum { R_ANON, R_ADMIN_A, R_ANALYST_A, R_VIEWER_A, R_ANALYST_B, R_ANALYST2_B, R_REPORTER_C, R_ANALYST_E,
       R_REPORTER_D, N_READERS };
enum { O_CLEAR, O_GREEN, O_AMBER, O_ASTRICT, O_RED, O_UNMARKED, O_AMBER_TO_B, O_RED_TO_ANALYST_B,
       O_AMBER_TO_C, O_C_AMBER, O_C_GREEN, O_GREEN_GRAN_RED, O_GREEN_REG, O_GREEN_BOTH, O_CLEAR_REG,
       O_AMBER_REG, O_C_GREEN_SHARED, O_AMBER_TO_C_PASSED, O_ASTRICT_TO_C_KEPT, N_OBJECTS };

static const char *const reader_names[N_READERS] = {
    "anonymous", "admin@al-cert", "analyst@al-cert", "viewer@al-cert", "analyst@me-cirt",
    "analyst2@me-cirt", "reporter@me-bank", "analyst@xk-cert", "reporter@me-hosp"};

/* Who may read what: rows are readers, columns objects (order of the enum above).
 * Gr/Gb/Cr/Ar: GREEN in regional, GREEN in national and regional, CLEAR in regional,
 * AMBER (of A) in regional: a community never widens AMBER. Cs/Ap/Sk: C's national
 * GREEN shared into regional by A, AMBER to C passed on to D, AMBER+STRICT to C kept
 * (its pass-on refused). */
static const int visible[N_READERS][N_OBJECTS] = {
    /*                 CLR GRN AMB AS  RED UNM A>B R>aB A>C CAM CGR GgR Gr Gb Cr Ar Cs Ap Sk */
    [R_ANON]       = {1,  0,  0,  0,  0,  0,  0,  0,   0,  0,  0,  0,  0, 0, 1, 0, 0, 0, 0},
    [R_ADMIN_A]    = {1,  1,  1,  1,  0,  1,  1,  0,   1,  0,  1,  0,  1, 1, 1, 1, 1, 1, 1},
    [R_ANALYST_A]  = {1,  1,  1,  1,  1,  1,  1,  1,   1,  0,  1,  1,  1, 1, 1, 1, 1, 1, 1},
    [R_VIEWER_A]   = {1,  1,  1,  1,  0,  1,  1,  0,   1,  0,  1,  0,  1, 1, 1, 1, 1, 1, 1},
    [R_ANALYST_B]  = {1,  1,  0,  0,  0,  0,  1,  1,   0,  0,  1,  0,  1, 1, 1, 0, 1, 0, 0},
    [R_ANALYST2_B] = {1,  1,  0,  0,  0,  0,  1,  0,   0,  0,  1,  0,  1, 1, 1, 0, 1, 0, 0},
    /* the reporter reads its national community's GREEN (issue 11; before: GRN and
     * CGR of others 0), not the regional one's */
    [R_REPORTER_C] = {1,  1,  0,  0,  0,  0,  0,  0,   1,  1,  1,  0,  0, 1, 1, 0, 1, 1, 1},
    /* a reader of the regional community that only writes to the national one: C's
     * GREEN once A shared it there */
    [R_ANALYST_E]  = {1,  0,  0,  0,  0,  0,  0,  0,   0,  0,  0,  0,  1, 1, 1, 0, 1, 0, 0},
    /* C's client: the AMBER C passed on to it, not the AMBER+STRICT */
    [R_REPORTER_D] = {1,  1,  0,  0,  0,  0,  0,  0,   0,  0,  1,  0,  0, 1, 1, 0, 1, 1, 0},
};

/* `mreza export --as ORG`: an organisation as a whole, no individual (no RED). */
#define N_ORGS 5
static const char *const org_names[N_ORGS] = {"al-cert", "me-cirt", "me-bank", "xk-cert", "me-hosp"};
static const int org_visible[N_ORGS][N_OBJECTS] = {
    /*        CLR GRN AMB AS  RED UNM A>B R>aB A>C CAM CGR GgR Gr Gb Cr Ar Cs Ap Sk */
    /*A*/    {1,  1,  1,  1,  0,  1,  1,  0,   1,  0,  1,  0,  1, 1, 1, 1, 1, 1, 1},
    /*B*/    {1,  1,  0,  0,  0,  0,  1,  0,   0,  0,  1,  0,  1, 1, 1, 0, 1, 0, 0},
    /*C*/    {1,  1,  0,  0,  0,  0,  0,  0,   1,  1,  1,  0,  0, 1, 1, 0, 1, 1, 1}, /* an operator: as its reporters */
    /*E*/    {1,  0,  0,  0,  0,  0,  0,  0,   0,  0,  0,  0,  1, 1, 1, 0, 1, 0, 0},
    /*D*/    {1,  1,  0,  0,  0,  0,  0,  0,   0,  0,  1,  0,  0, 1, 1, 0, 1, 1, 0},
};

static char admin_c_key[64]; /* admin@me-bank: passes on what is addressed to me-bank */

static struct hnode node;
static char keys[N_READERS][64];
static char ids[N_OBJECTS][80];

/* Post object o as key into communities (NULL: the default), with its marking, a
 * recipient and more properties (each may be NULL); returns the write reply (free
 * it). */
static char *post_incident_in(const char *key, const char *communities, int o, const char *marking,
                              const char *recipient, const char *extra)
{
    char body[2048], *reply;
    struct hresp r;

    snprintf(ids[o], sizeof ids[o], "incident--7e1b0a3c-5d6f-4a8b-9c0d-%012d", o);
    snprintf(body, sizeof body,
             "{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2024-05-01T10:00:00.000Z\",\"modified\":\"2024-05-01T10:00:00.000Z\","
             "\"name\":\"matrix object %d\"%s%s%s%s%s%s%s}",
             ids[o], o, marking ? ",\"object_marking_refs\":[\"" : "", marking ? marking : "",
             marking ? "\"]" : "", recipient ? ",\"x_mreza_recipient_refs\":[\"" : "",
             recipient ? recipient : "", recipient ? "\"]" : "", extra ? extra : "");
    {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/objects%s%s", communities ? "?community=" : "",
                 communities ? communities : "");
        assert_int_equal(h_http(&node, "POST", path, key, body, strlen(body), &r), 201);
    }
    reply = strdup(r.body);
    hresp_free(&r);
    return reply;
}

static char *post_incident_extra(const char *key, int o, const char *marking, const char *recipient,
                                 const char *extra)
{
    return post_incident_in(key, NULL, o, marking, recipient, extra);
}

static void post_incident(const char *key, int o, const char *marking, const char *recipient)
{
    free(post_incident_extra(key, o, marking, recipient, NULL));
}

static char *granular_reply; /* the write reply of O_GREEN_GRAN_RED */

/* Re-share object o as key (POST /api/v1/objects/{id}/share), expecting status. */
static void share(const char *key, int o, const char *body, long status)
{
    char path[200];
    struct hresp r;

    snprintf(path, sizeof path, "/api/v1/objects/%s/share", ids[o]);
    if (h_http(&node, "POST", path, key, body, strlen(body), &r) != status)
        fail_msg("share of object %d: %ld %s", o, r.status, r.body);
    hresp_free(&r);
}

static int setup(void **state)
{
    const char *const sets[] = {"api.public_read=true", NULL};
    char org_b[64], org_c[64], user_b[64];

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "me-bank", "ME", "operator");
    h_add_user(&node, reader_names[R_ADMIN_A], "al-cert", "admin", keys[R_ADMIN_A]);
    h_add_user(&node, reader_names[R_ANALYST_A], "al-cert", "analyst", keys[R_ANALYST_A]);
    h_add_user(&node, reader_names[R_VIEWER_A], "al-cert", "viewer", keys[R_VIEWER_A]);
    h_add_user(&node, reader_names[R_ANALYST_B], "me-cirt", "analyst", keys[R_ANALYST_B]);
    h_add_user(&node, reader_names[R_ANALYST2_B], "me-cirt", "analyst", keys[R_ANALYST2_B]);
    h_add_user(&node, reader_names[R_REPORTER_C], "me-bank", "reporter", keys[R_REPORTER_C]);
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_user(&node, reader_names[R_ANALYST_E], "xk-cert", "analyst", keys[R_ANALYST_E]);
    h_add_org(&node, "me-hosp", "ME", "operator");
    h_add_user(&node, reader_names[R_REPORTER_D], "me-hosp", "reporter", keys[R_REPORTER_D]);
    h_add_user(&node, "admin@me-bank", "me-bank", "admin", admin_c_key);
    {
        static const char *const cmds[][9] = {
            {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
            {"community", "member", "add", "regional", "al-cert", NULL},
            {"community", "member", "add", "regional", "me-cirt", NULL},
            {"community", "member", "add", "regional", "xk-cert", "--read", NULL},
            {"community", "member", "add", "national", "xk-cert", "--write", NULL},
        };
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            assert_int_equal(h_cli(&node, NULL, cmds[i]), 0);
    }
    h_identity(&node, "org", "me-cirt", org_b);
    h_identity(&node, "org", "me-bank", org_c);
    h_identity(&node, "user", "analyst@me-cirt", user_b);
    h_start(&node, sets);
    post_incident(keys[R_ANALYST_A], O_CLEAR, M_CLEAR, NULL);
    post_incident(keys[R_ANALYST_A], O_GREEN, M_GREEN, NULL);
    post_incident(keys[R_ANALYST_A], O_AMBER, M_AMBER, NULL);
    post_incident(keys[R_ANALYST_A], O_ASTRICT, M_ASTRICT, NULL);
    post_incident(keys[R_ANALYST_A], O_RED, M_RED, NULL);
    post_incident(keys[R_ANALYST_A], O_UNMARKED, NULL, NULL);
    post_incident(keys[R_ANALYST_A], O_AMBER_TO_B, M_AMBER, org_b);
    post_incident(keys[R_ANALYST_A], O_RED_TO_ANALYST_B, M_RED, user_b);
    post_incident(keys[R_ANALYST_A], O_AMBER_TO_C, M_ASTRICT, org_c);
    post_incident(keys[R_REPORTER_C], O_C_AMBER, M_AMBER, NULL);
    post_incident(keys[R_REPORTER_C], O_C_GREEN, M_GREEN, NULL);
    granular_reply = post_incident_extra(keys[R_ANALYST_A], O_GREEN_GRAN_RED, M_GREEN, NULL, GRANULAR_RED);
    free(post_incident_in(keys[R_ANALYST_A], "regional", O_GREEN_REG, M_GREEN, NULL, NULL));
    free(post_incident_in(keys[R_ANALYST_A], "national,regional", O_GREEN_BOTH, M_GREEN, NULL, NULL));
    free(post_incident_in(keys[R_ANALYST_A], "regional", O_CLEAR_REG, M_CLEAR, NULL, NULL));
    free(post_incident_in(keys[R_ANALYST_A], "regional", O_AMBER_REG, M_AMBER, NULL, NULL));
    /* re-sharing */
    post_incident(keys[R_REPORTER_C], O_C_GREEN_SHARED, M_GREEN, NULL);
    post_incident(keys[R_ANALYST_A], O_AMBER_TO_C_PASSED, M_AMBER, org_c);
    post_incident(keys[R_ANALYST_A], O_ASTRICT_TO_C_KEPT, M_ASTRICT, org_c);
    share(keys[R_ANALYST_A], O_C_GREEN_SHARED, "{\"community\":\"regional\"}", 200);
    share(admin_c_key, O_AMBER_TO_C_PASSED, "{\"to\":[\"me-hosp\"]}", 200);
    share(admin_c_key, O_ASTRICT_TO_C_KEPT, "{\"to\":[\"me-hosp\"]}", 403);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(granular_reply);
    /* the last test stopped the server (-1: not running); if a failed test left it
     * running, it must still exit cleanly (tests/run.sh counts a failed teardown) */
    return h_node_free(&node) > 0;
}

static const char *key_of(int reader)
{
    return reader == R_ANON ? NULL : keys[reader];
}

static void test_get(void **state)
{
    char path[1024];
    struct hresp r;

    (void)state;
    for (int u = 0; u < N_READERS; u++)
        for (int o = 0; o < N_OBJECTS; o++) {
            snprintf(path, sizeof path, "/api/v1/objects/%s", ids[o]);
            h_http(&node, "GET", path, key_of(u), NULL, 0, &r);
            if (r.status != (visible[u][o] ? 200 : 404))
                fail_msg("GET: %s reading object %d got %ld", reader_names[u], o, r.status);
            hresp_free(&r);
        }
}

static void test_list(void **state)
{
    struct hresp r;

    (void)state;
    for (int u = 0; u < N_READERS; u++) {
        assert_int_equal(h_http(&node, "GET", "/api/v1/objects?type=incident&limit=1000", key_of(u), NULL, 0, &r), 200);
        for (int o = 0; o < N_OBJECTS; o++)
            if ((strstr(r.body, ids[o]) != NULL) != visible[u][o])
                fail_msg("list: %s and object %d", reader_names[u], o);
        hresp_free(&r);
    }
}

static void test_count(void **state)
{
    char path[1024], want[32];
    struct hresp r;

    (void)state;
    for (int u = 0; u < N_READERS; u++) {
        int total = 0;
        for (int o = 0; o < N_OBJECTS; o++) {
            snprintf(path, sizeof path, "/api/v1/count?id=%s", ids[o]);
            assert_int_equal(h_http(&node, "GET", path, key_of(u), NULL, 0, &r), 200);
            snprintf(want, sizeof want, "\"count\":%d}", visible[u][o]);
            if (!strstr(r.body, want))
                fail_msg("count: %s and object %d: %s", reader_names[u], o, r.body);
            hresp_free(&r);
            total += visible[u][o];
        }
        assert_int_equal(h_http(&node, "GET", "/api/v1/count?type=incident", key_of(u), NULL, 0, &r), 200);
        snprintf(want, sizeof want, "\"count\":%d}", total);
        if (!strstr(r.body, want))
            fail_msg("count of all: %s got %s, want %d", reader_names[u], r.body, total);
        hresp_free(&r);
    }
}

static void test_export_http(void **state)
{
    struct hresp r;

    (void)state;
    for (int u = 0; u < N_READERS; u++) {
        assert_int_equal(h_http(&node, "GET", "/api/v1/export?type=incident", key_of(u), NULL, 0, &r), 200);
        for (int o = 0; o < N_OBJECTS; o++)
            if ((strstr(r.body, ids[o]) != NULL) != visible[u][o])
                fail_msg("export: %s and object %d", reader_names[u], o);
        hresp_free(&r);
    }
}

static void test_export_cli(void **state)
{
    (void)state;
    for (int g = 0; g < N_ORGS; g++) {
        const char *const argv[] = {"export", "--as", org_names[g], "--type", "incident", NULL};
        char *out = NULL;
        assert_int_equal(h_cli(&node, &out, argv), 0);
        for (int o = 0; o < N_OBJECTS; o++)
            if ((strstr(out, ids[o]) != NULL) != org_visible[g][o])
                fail_msg("cli export: %s and object %d", org_names[g], o);
        free(out);
    }
}

/* The API says when it applied the safe default. */
static void test_unmarked_is_reported(void **state)
{
    char path[1024];
    struct hresp r;

    (void)state;
    snprintf(path, sizeof path, "/api/v1/objects/%s", ids[O_UNMARKED]);
    assert_int_equal(h_http(&node, "GET", path, keys[R_ANALYST_A], NULL, 0, &r), 200);
    assert_non_null(strstr(r.headers, "X-Mreza-TLP: TLP:AMBER+STRICT; defaulted"));
    hresp_free(&r);
}

/* The write says that a granular marking made the whole object RED: a count, a
 * warning naming the object, and the item's tlp. */
static void test_granular_is_reported(void **state)
{
    char path[1024], want[256];
    struct hresp r;

    (void)state;
    assert_non_null(strstr(granular_reply, "\"tlp_raised_count\":1"));
    assert_non_null(strstr(granular_reply, "\"tlp_defaulted_count\":0"));
    snprintf(want, sizeof want, "\"%s: a granular marking is TLP:RED, so the whole object is handled as TLP:RED",
             ids[O_GREEN_GRAN_RED]);
    assert_non_null(strstr(granular_reply, want));
    assert_non_null(strstr(granular_reply, "\"tlp\":\"red\",\"tlp_defaulted\":false,\"tlp_raised\":true"));
    snprintf(path, sizeof path, "/api/v1/objects/%s", ids[O_GREEN_GRAN_RED]);
    assert_int_equal(h_http(&node, "GET", path, keys[R_ANALYST_A], NULL, 0, &r), 200);
    assert_non_null(strstr(r.headers, "X-Mreza-TLP: TLP:RED"));
    hresp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_export_http),
        cmocka_unit_test(test_export_cli),
        cmocka_unit_test(test_unmarked_is_reported),
        cmocka_unit_test(test_granular_is_reported),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
