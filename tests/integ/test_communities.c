/* tests/integ/test_communities.c - communities (issue 11, docs/federation.md section
 * 2) against a real `mreza serve` and the real CLI:
 *   - membership and its directions: al-cert and me-cirt read and write the regional
 *     community, xk-cert only reads it (and only writes to the national one), the
 *     operator al-bank is in the national community alone; GREEN is read through a
 *     community the reader's organisation reads, whatever its role: the reporter reads
 *     its national community's GREEN but not the regional one's;
 *   - where a post goes: the national community by default, `community=` names one
 *     or more (one grant each), 403 (field "community") when the poster's
 *     organisation is no write-member, 400 for an unknown or empty name, nothing
 *     stored either way; `mreza import --community`;
 *   - the `community=` filter of list, count and export, 400 for a community the
 *     reader is not in;
 *   - GET /api/v1/communities: a member's own communities with its directions, a node
 *     admin's every one with its members, nobody 401;
 *   - `mreza community` at the console: add (one regional community per node, names
 *     of TAXII views refused), member add/remove, list, members;
 *   - re-sharing (POST /api/v1/objects/{id}/share, mreza share), each cell of
 *     docs/federation.md section 2's table and each refusal: an analyst lifts the
 *     operator's GREEN report into the regional community (a share record, a grant,
 *     never a new version; the same share again changes nothing), a recipient passes
 *     AMBER on to its client (a read-member of the national community) and nobody
 *     else, AMBER+STRICT and RED by their owner only; the engine learns of each
 *     (match hits for the new readers on the node);
 *   - `mreza match` run as the reporter matches the national GREEN, not the regional;
 *     run as a reader of the regional community, what was shared into it (from the
 *     snapshot the node wrote before the share was read back);
 *   - a store made by the schema before communities (version 11: made here by taking
 *     a store back, and checked equal to tests/data/store/schema-v11.sql) migrates:
 *     its objects land in the national community with a grant each, its reporter
 *     reads the national GREEN.
 * Every test failed on the code before communities (no community parameter: the
 * regional GREEN was everyone's; no endpoint: 404; no command: exit 2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <poll.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

static struct hnode node;
enum { K_AL, K_ME, K_BANK, K_XK, K_STAFF, K_VIEW, K_BANK_ADMIN, K_HOSP, N_KEYS };
static const char *const user_names[N_KEYS] = {"analyst@al-cert", "analyst@me-cirt", "reporter@al-bank",
                                               "analyst@xk-cert", "staff@al-cert", "viewer@al-cert",
                                               "admin@al-bank",   "reporter@al-hosp"};
static char bank_ident[64], hosp_ident[64], me_user_ident[64];
static char log_path[300]; /* the server's log (stderr) */
static char keys[N_KEYS][64];

static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

static long req_on(struct hnode *n, const char *method, const char *path, const char *key, const char *body)
{
    drop();
    h_http(n, method, path, key, body, body ? strlen(body) : 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static long req(const char *method, const char *path, const char *key, const char *body)
{
    return req_on(&node, method, path, key, body);
}

static const char *error_field(void)
{
    return json_string_value(json_object_get(json_object_get(last_json, "error"), "field"));
}

static const char *error_message(void)
{
    const char *m = json_string_value(json_object_get(json_object_get(last_json, "error"), "message"));
    return m ? m : "";
}

#define ID(n) "indicator--c0111111-0000-4000-8000-0000000000" #n

static void indicator(char *out, size_t cap, const char *id, const char *marking, const char *value)
{
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"c\",\"pattern\":\"[domain-name:value = '%s']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}",
             id, value, marking);
}

/* Post an indicator of id as k into communities (NULL: no parameter). */
static long post_in(struct hnode *n, const char *key, const char *communities, const char *id, const char *marking,
                    const char *value)
{
    char body[1200], path[200];

    indicator(body, sizeof body, id, marking, value);
    snprintf(path, sizeof path, "/api/v1/objects%s%s", communities ? "?community=" : "", communities ? communities : "");
    return req_on(n, "POST", path, key, body);
}

static long get(int k, const char *id)
{
    char path[160];

    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    return req("GET", path, k >= 0 ? keys[k] : NULL, NULL);
}

static void cli_ok(const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(&node, &out, &err, argv);

    if (rc != 0)
        fail_msg("mreza %s %s: exit %d: %s", argv[0], argv[1], rc, err ? err : "");
    free(out);
    free(err);
}

static int setup(void **state)
{
    static const char *const cmds[][9] = {
        {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
        {"community", "member", "add", "regional", "al-cert", NULL},
        {"community", "member", "add", "regional", "me-cirt", "--read", "--write", NULL},
        {"community", "member", "add", "regional", "xk-cert", "--read", NULL},
        {"community", "member", "add", "national", "xk-cert", "--write", NULL},
    };

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "al-bank", "AL", "operator");
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_user(&node, user_names[K_AL], "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, user_names[K_ME], "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, user_names[K_BANK], "al-bank", "reporter", keys[K_BANK]);
    h_add_user(&node, user_names[K_XK], "xk-cert", "analyst", keys[K_XK]);
    h_add_user(&node, user_names[K_STAFF], "al-cert", "node-admin", keys[K_STAFF]);
    h_add_user(&node, user_names[K_VIEW], "al-cert", "viewer", keys[K_VIEW]);
    h_add_org(&node, "al-hosp", "AL", "operator");
    h_add_user(&node, user_names[K_BANK_ADMIN], "al-bank", "admin", keys[K_BANK_ADMIN]);
    h_add_user(&node, user_names[K_HOSP], "al-hosp", "reporter", keys[K_HOSP]);
    h_identity(&node, "org", "al-bank", bank_ident);
    h_identity(&node, "org", "al-hosp", hosp_ident);
    h_identity(&node, "user", "analyst@me-cirt", me_user_ident);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        cli_ok(cmds[i]);
    snprintf(log_path, sizeof log_path, "%s/serve.log", node.dir);
    {
        const char *const sets[] = {"log.level=info", NULL}; /* every request's line */
        h_start_logged(&node, sets, log_path);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

/* ---- where a post goes, and who reads it ---- */

static void test_default_is_national(void **state)
{
    (void)state;
    assert_int_equal(post_in(&node, keys[K_AL], NULL, ID(01), GREEN, "national.example"), 201);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "' AND comm = 1"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "'"), 1);
    /* every member of the national community reads it: the operator's reporter too */
    assert_int_equal(get(K_BANK, ID(01)), 200);
    assert_int_equal(get(K_ME, ID(01)), 200);
    assert_int_equal(get(K_VIEW, ID(01)), 200);
    /* xk-cert writes to the national community and reads none of it */
    assert_int_equal(get(K_XK, ID(01)), 404);
    assert_int_equal(get(-1, ID(01)), 401);
}

static void test_regional(void **state)
{
    (void)state;
    assert_int_equal(post_in(&node, keys[K_AL], "regional", ID(02), GREEN, "regional.example"), 201);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(02) "' AND comm = 2"), 1);
    assert_int_equal(get(K_ME, ID(02)), 200);
    assert_int_equal(get(K_XK, ID(02)), 200); /* a read-member */
    assert_int_equal(get(K_AL, ID(02)), 200);
    /* the reporter reads no community but the national one */
    assert_int_equal(get(K_BANK, ID(02)), 404);
    assert_int_equal(req("GET", "/api/v1/count?id=" ID(02), keys[K_BANK], NULL), 200);
    assert_non_null(strstr(last.body, "\"count\":0"));
    /* AMBER is never widened by a community: me-cirt reads al-cert's AMBER in no way */
    assert_int_equal(post_in(&node, keys[K_AL], "regional", ID(03), AMBER, "amber-regional.example"), 201);
    assert_int_equal(get(K_ME, ID(03)), 404);
    assert_int_equal(get(K_AL, ID(03)), 200);
}

static void test_both(void **state)
{
    (void)state;
    assert_int_equal(post_in(&node, keys[K_ME], "national,regional", ID(04), GREEN, "both.example"), 201);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(04) "' AND comm = 3"), 1);
    assert_int_equal(get(K_BANK, ID(04)), 200);
    assert_int_equal(get(K_XK, ID(04)), 200);
    /* a grant in each community, both with the version's date_added: the national
     * one is the version's row, the regional one a row of grants */
    {
        char path[300];
        sqlite3 *db = NULL;
        sqlite3_stmt *s = NULL;
        snprintf(path, sizeof path, "%s/mreza.db", node.dir);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT count(*), sum(g.community = (SELECT id FROM communities WHERE"
                                            " name = 'regional')), sum(g.added = unixepoch(substr(o.date_added, 1, 19))"
                                            " * 1000000 + CAST(substr(o.date_added, 21, 6) AS INTEGER))"
                                            " FROM grants g JOIN objects o ON o.seq = g.seq WHERE o.stix_id = ?1",
                                            -1, &s, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(s, 1, ID(04), -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(s, 0), 1);
        assert_int_equal(sqlite3_column_int(s, 1), 1);
        assert_int_equal(sqlite3_column_int(s, 2), 1);
        sqlite3_finalize(s);
        sqlite3_close(db);
    }
}

/* The poster's organisation must write to every community named: 403 naming the
 * parameter; an unknown name or an empty list 400; nothing is stored. */
static void test_refusals(void **state)
{
    long long before;

    (void)state;
    before = h_db_count(&node, NULL);
    /* the operator is no member of the regional community */
    assert_int_equal(post_in(&node, keys[K_BANK], "regional", ID(10), GREEN, "refused.example"), 403);
    assert_string_equal(error_field(), "community");
    assert_non_null(strstr(error_message(), "regional"));
    /* xk-cert reads it but may not write to it */
    assert_int_equal(post_in(&node, keys[K_XK], "regional", ID(10), GREEN, "refused.example"), 403);
    assert_string_equal(error_field(), "community");
    /* one community of two refused: nothing of the bundle is stored */
    assert_int_equal(post_in(&node, keys[K_BANK], "national,regional", ID(10), GREEN, "refused.example"), 403);
    assert_int_equal(post_in(&node, keys[K_AL], "nowhere", ID(10), GREEN, "refused.example"), 400);
    assert_string_equal(error_field(), "community");
    assert_non_null(strstr(error_message(), "nowhere"));
    assert_int_equal(post_in(&node, keys[K_AL], ",", ID(10), GREEN, "refused.example"), 400);
    assert_int_equal(post_in(&node, keys[K_AL], "regional,", ID(10), GREEN, "refused.example"), 400);
    /* a viewer writes nothing, wherever */
    assert_int_equal(post_in(&node, keys[K_VIEW], "regional", ID(10), GREEN, "refused.example"), 403);
    assert_int_equal(h_db_count(&node, NULL), before);
    assert_true(h_healthy(&node));
    /* the same writers where they may: the reporter into national, xk-cert too */
    assert_int_equal(post_in(&node, keys[K_BANK], NULL, ID(11), GREEN, "bank.example"), 201);
    assert_int_equal(post_in(&node, keys[K_XK], "national", ID(12), GREEN, "xk.example"), 201);
    /* xk-cert reads its own GREEN (the owner), and the national members read it */
    assert_int_equal(get(K_XK, ID(12)), 200);
    assert_int_equal(get(K_BANK, ID(12)), 200);
}

/* ---- the community filter ---- */

static int list_has(const char *id)
{
    return last.body && strstr(last.body, id) != NULL;
}

static void test_filter(void **state)
{
    (void)state;
    assert_int_equal(req("GET", "/api/v1/objects?type=indicator&community=regional", keys[K_AL], NULL), 200);
    assert_true(list_has(ID(02)) && list_has(ID(03)) && list_has(ID(04)));
    assert_false(list_has(ID(01)) || list_has(ID(11)));
    assert_int_equal(req("GET", "/api/v1/count?type=indicator&community=regional", keys[K_AL], NULL), 200);
    assert_non_null(strstr(last.body, "\"count\":3"));
    assert_int_equal(req("GET", "/api/v1/export?type=indicator&community=regional", keys[K_ME], NULL), 200);
    assert_true(list_has(ID(02)) && list_has(ID(04)));
    assert_false(list_has(ID(01)) || list_has(ID(03))); /* AMBER of al-cert: not me-cirt's */
    assert_int_equal(req("GET", "/api/v1/objects?type=indicator&community=national", keys[K_BANK], NULL), 200);
    assert_true(list_has(ID(01)) && list_has(ID(04)) && list_has(ID(11)));
    assert_false(list_has(ID(02)));
    /* a community the reader is not in: as if there were none */
    assert_int_equal(req("GET", "/api/v1/objects?community=regional", keys[K_BANK], NULL), 400);
    assert_string_equal(error_field(), "community");
    assert_int_equal(req("GET", "/api/v1/count?community=nowhere", keys[K_AL], NULL), 400);
    /* a node admin may name any */
    assert_int_equal(req("GET", "/api/v1/count?type=indicator&community=regional", keys[K_STAFF], NULL), 200);
    /* pages of a filtered list */
    assert_int_equal(req("GET", "/api/v1/objects?type=indicator&community=regional&limit=1", keys[K_AL], NULL), 200);
    {
        char path[600];
        const char *next = json_string_value(json_object_get(last_json, "next"));
        assert_non_null(next);
        snprintf(path, sizeof path, "/api/v1/objects?type=indicator&community=regional&limit=10&next=%s", next);
        assert_int_equal(req("GET", path, keys[K_AL], NULL), 200);
        assert_int_equal(json_array_size(json_object_get(last_json, "objects")), 2);
        /* the token belongs to its filter */
        assert_int_equal(req("GET", "/api/v1/objects?type=indicator&community=regional&limit=1", keys[K_AL], NULL),
                         200);
        next = json_string_value(json_object_get(last_json, "next"));
        assert_non_null(next);
        snprintf(path, sizeof path, "/api/v1/objects?type=indicator&community=national&limit=10&next=%s", next);
        assert_int_equal(req("GET", path, keys[K_AL], NULL), 400);
        assert_string_equal(error_field(), "next");
    }
}

/* ---- GET /api/v1/communities ---- */

static json_t *community_named(const char *name)
{
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(last_json, "communities"), i, c) {
        if (!strcmp(json_string_value(json_object_get(c, "name")), name))
            return c;
    }
    return NULL;
}

static void test_communities_endpoint(void **state)
{
    json_t *c;

    (void)state;
    assert_int_equal(req("GET", "/api/v1/communities", keys[K_BANK], NULL), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "communities")), 1);
    c = community_named("national");
    assert_non_null(c);
    assert_true(json_is_true(json_object_get(c, "can_read")) && json_is_true(json_object_get(c, "can_write")));
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "national");
    assert_int_equal(strlen(json_string_value(json_object_get(c, "id"))), 36);
    assert_null(json_object_get(c, "members"));
    assert_int_equal(req("GET", "/api/v1/communities", keys[K_XK], NULL), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "communities")), 2);
    c = community_named("regional");
    assert_true(json_is_true(json_object_get(c, "can_read")) && json_is_false(json_object_get(c, "can_write")));
    assert_string_equal(json_string_value(json_object_get(c, "title")), "Western Balkans CSIRTs");
    c = community_named("national");
    assert_true(json_is_false(json_object_get(c, "can_read")) && json_is_true(json_object_get(c, "can_write")));
    /* a node admin: every community, with its members */
    assert_int_equal(req("GET", "/api/v1/communities", keys[K_STAFF], NULL), 200);
    c = community_named("regional");
    assert_non_null(c);
    assert_int_equal(json_array_size(json_object_get(c, "members")), 3);
    assert_int_equal(json_array_size(json_object_get(community_named("national"), "members")), 5);
    assert_int_equal(req("GET", "/api/v1/communities", NULL, NULL), 401);
}

/* ---- the console ---- */

static void test_console(void **state)
{
    char *out = NULL, *err = NULL;
    const char *const second_regional[] = {"community", "add", "second", "--kind", "regional", "--title", "x", NULL};
    const char *const view_name[] = {"community", "add", "indicators", "--title", "x", NULL};
    const char *const banks[] = {"community", "add", "wb-banks", "--title", "Banks of the region", NULL};
    const char *const join[] = {"community", "member", "add", "wb-banks", "al-bank", "--write", NULL};
    const char *const leave[] = {"community", "member", "remove", "wb-banks", "al-bank", NULL};
    const char *const leave_again[] = {"community", "member", "remove", "wb-banks", "al-bank", NULL};
    const char *const members[] = {"community", "members", "regional", NULL};
    const char *const list[] = {"community", "list", NULL};
    const char *const bad_verb[] = {"community", "member", "join", "wb-banks", "al-bank", NULL};
    const char *const no_org[] = {"community", "member", "add", "wb-banks", "nobody", NULL};

    (void)state;
    assert_int_equal(h_cli_err(&node, &out, &err, second_regional), 1);
    assert_non_null(strstr(err, "regional community already"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, view_name), 1);
    assert_non_null(strstr(err, "TAXII view"));
    free(out);
    free(err);
    cli_ok(banks);
    cli_ok(join);
    /* a write-member: posts into it, reads nothing of it but its own */
    assert_int_equal(post_in(&node, keys[K_BANK], "wb-banks", ID(20), GREEN, "banks.example"), 201);
    assert_int_equal(get(K_BANK, ID(20)), 200);
    assert_int_equal(get(K_AL, ID(20)), 404);
    cli_ok(leave);
    assert_int_equal(h_cli_err(&node, &out, &err, leave_again), 1);
    assert_non_null(strstr(err, "no member"));
    free(out);
    free(err);
    assert_int_equal(post_in(&node, keys[K_BANK], "wb-banks", ID(21), GREEN, "banks.example"), 403);
    assert_int_equal(h_cli(&node, &out, members), 0);
    assert_non_null(strstr(out, "xk-cert"));
    assert_non_null(strstr(out, "read "));
    assert_non_null(strstr(out, "read+write"));
    free(out);
    assert_int_equal(h_cli(&node, &out, list), 0);
    assert_non_null(strstr(out, "wb-banks"));
    assert_non_null(strstr(out, "Banks of the region"));
    free(out);
    assert_int_equal(h_cli_err(&node, &out, &err, bad_verb), 2);
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, no_org), 1);
    assert_non_null(strstr(err, "nobody"));
    free(out);
    free(err);
}

/* `mreza import --community` shares a file into the communities named. */
static void test_import(void **state)
{
    char path[300], body[1200], *out = NULL, *err = NULL;
    const char *const imp[] = {"import", path, "--user", "analyst@me-cirt", "--community", "regional", NULL};
    const char *const refused[] = {"import", path, "--user", "reporter@al-bank", "--community", "regional", NULL};
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/import.json", node.dir);
    indicator(body, sizeof body, ID(30), GREEN, "imported.example");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    assert_int_equal(h_cli_err(&node, &out, &err, refused), 1);
    assert_non_null(strstr(err, "regional"));
    free(out);
    free(err);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(30) "'"), 0);
    cli_ok(imp);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(30) "' AND comm = 2"), 1);
    assert_int_equal(get(K_XK, ID(30)), 200);
    assert_int_equal(get(K_BANK, ID(30)), 404);
}

/* ---- re-sharing ---- */

/* Does POST /api/v1/match of value as k hit indicator id? */
static int hits(int k, const char *value, const char *id)
{
    char body[256];

    snprintf(body, sizeof body, "{\"values\":[\"%s\"]}", value);
    assert_int_equal(req("POST", "/api/v1/match", keys[k], body), 200);
    return strstr(last.body, id) != NULL;
}

/* The same until it hits: the index learns of a share at its next refresh (about a
 * second); bounded. */
static int hits_soon(int k, const char *value, const char *id)
{
    for (int i = 0; i < 400; i++) {
        struct pollfd none;
        if (hits(k, value, id))
            return 1;
        poll(&none, 0, 25);
    }
    return 0;
}

static long share(int k, const char *id, const char *body)
{
    char path[200];

    snprintf(path, sizeof path, "/api/v1/objects/%s/share", id);
    return req("POST", path, k >= 0 ? keys[k] : NULL, body);
}

static void test_share_green(void **state)
{
    long long shares;

    (void)state;
    /* the operator's GREEN report: national */
    assert_int_equal(post_in(&node, keys[K_BANK], NULL, ID(50), GREEN, "bank-report.example"), 201);
    h_wait_indexed(&node, keys[K_STAFF]);
    assert_int_equal(get(K_XK, ID(50)), 404);
    assert_false(hits(K_XK, "bank-report.example", ID(50)));
    /* a reporter shares only its own organisation's objects; its own only where its
     * organisation writes */
    assert_int_equal(share(K_BANK, ID(01), "{\"community\":\"national\"}"), 403);
    assert_int_equal(share(K_BANK, ID(50), "{\"community\":\"regional\"}"), 403);
    assert_string_equal(error_field(), "community");
    /* a viewer shares nothing */
    assert_int_equal(share(K_VIEW, ID(50), "{\"community\":\"regional\"}"), 403);
    /* the analyst of the national CSIRT lifts it into the regional community */
    /* (the node's own records, user 0, put its directory into its regional community) */
    shares = h_db_count(&node, "seq IN (SELECT seq FROM shares WHERE by_user != 0)");
    assert_int_equal(shares, 0);
    assert_int_equal(share(K_AL, ID(50), "{\"community\":\"regional\"}"), 200);
    assert_true(json_is_true(json_object_get(last_json, "changed")));
    assert_string_equal(json_string_value(json_object_get(last_json, "community")), "regional");
    assert_true(json_integer_value(json_object_get(last_json, "record")) > 0);
    assert_string_equal(json_string_value(json_object_get(last_json, "by")), "analyst@al-cert");
    assert_int_equal(get(K_XK, ID(50)), 200);
    assert_int_equal(get(K_BANK, ID(50)), 200);
    /* a record and a grant, not a version */
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(50) "'"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(50) "' AND comm = 3 AND cx = 1"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(50) "' AND seq IN (SELECT seq FROM shares WHERE community = "
                                       "(SELECT id FROM communities WHERE name = 'regional'))"),
                     1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(50) "' AND seq IN (SELECT g.seq FROM grants g JOIN shares s"
                                       " ON s.id = g.share)"),
                     1);
    /* the same share again changes nothing */
    assert_int_equal(share(K_AL, ID(50), "{\"community\":\"regional\"}"), 200);
    assert_true(json_is_false(json_object_get(last_json, "changed")));
    assert_int_equal(h_db_count(&node, "seq IN (SELECT seq FROM shares WHERE by_user != 0)"), 1);
    /* the engine learns of it: the new reader matches it */
    assert_true(hits_soon(K_XK, "bank-report.example", ID(50)));
    /* a reader of the regional community that writes to the national one may share a
     * regional GREEN there (it reads the version and writes to the community) */
    assert_int_equal(get(K_BANK, ID(02)), 404);
    assert_int_equal(share(K_XK, ID(02), "{\"community\":\"national\"}"), 200);
    assert_int_equal(get(K_BANK, ID(02)), 200);
}

static void test_share_refusals(void **state)
{
    (void)state;
    /* the form */
    assert_int_equal(share(K_AL, ID(01), "{\"community\":\"regional\",\"to\":[\"al-bank\"]}"), 400);
    assert_int_equal(share(K_AL, ID(01), "{}"), 400);
    assert_int_equal(share(K_AL, ID(01), "{\"community\":\"national,regional\"}"), 400);
    assert_int_equal(share(K_AL, ID(01), "{\"colour\":\"green\"}"), 400);
    assert_int_equal(share(K_AL, ID(01), "{\"to\":\"al-bank\"}"), 400);
    assert_int_equal(share(-1, ID(01), "{\"community\":\"regional\"}"), 401);
    /* GREEN is not passed on; AMBER is not shared into a community */
    assert_int_equal(share(K_AL, ID(01), "{\"to\":[\"al-bank\"]}"), 400);
    assert_string_equal(error_field(), "to");
    assert_int_equal(share(K_AL, ID(03), "{\"community\":\"national\"}"), 400);
    assert_string_equal(error_field(), "community");
    /* an id the sharer may not read answers as one that does not exist */
    assert_int_equal(share(K_ME, ID(03), "{\"to\":[\"al-bank\"]}"), 404);
    {
        char hidden[512];
        snprintf(hidden, sizeof hidden, "%s", error_message());
        assert_int_equal(share(K_ME, ID(99), "{\"to\":[\"al-bank\"]}"), 404);
        assert_int_equal(strlen(error_message()), strlen(hidden));
    }
    /* a version that does not exist, or that the sharer may not read: the same 400 */
    assert_int_equal(post_in(&node, keys[K_AL], NULL, ID(56), GREEN, "versioned.example"), 201);
    assert_int_equal(share(K_AL, ID(56), "{\"community\":\"regional\",\"version\":\"2030-01-01T00:00:00.000Z\"}"),
                     400);
    assert_string_equal(error_field(), "version");
    assert_int_equal(share(K_AL, ID(56), "{\"community\":\"regional\",\"version\":\"2025-01-01T00:00:00.000Z\"}"),
                     200);
    /* a version the sharer may not read; a community it does not write to; one that
     * does not exist */
    assert_int_equal(share(K_XK, ID(01), "{\"community\":\"regional\"}"), 404); /* xk reads no national GREEN */
    assert_int_equal(share(K_ME, ID(56), "{\"community\":\"wb-banks\"}"), 403);
    assert_string_equal(error_field(), "community");
    assert_int_equal(share(K_AL, ID(12), "{\"community\":\"nowhere\"}"), 400);
    /* a withdrawn version */
    assert_int_equal(post_in(&node, keys[K_AL], NULL, ID(55), GREEN, "withdrawn.example"), 201);
    assert_int_equal(req("POST", "/api/v1/objects/" ID(55) "/withdraw", keys[K_AL], "{\"versions\":\"all\"}"), 200);
    assert_int_equal(share(K_AL, ID(55), "{\"community\":\"regional\"}"), 409);
    assert_true(h_healthy(&node));
}

static void test_pass_on(void **state)
{
    char body[1200], to_hosp[128], to_xk[128], to_me[128];

    (void)state;
    snprintf(to_hosp, sizeof to_hosp, "{\"to\":[\"%s\"]}", hosp_ident);
    snprintf(to_xk, sizeof to_xk, "{\"to\":[\"xk-cert\"]}");
    snprintf(to_me, sizeof to_me, "{\"to\":[\"me-cirt\"]}");
    /* AMBER of al-cert addressed to al-bank */
    indicator(body, sizeof body, ID(60), AMBER, "amber-bank.example");
    snprintf(body + strlen(body) - 1, sizeof body - strlen(body) + 1, ",\"x_mreza_recipient_refs\":[\"%s\"]}",
             bank_ident);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_AL], body), 201);
    h_wait_indexed(&node, keys[K_STAFF]);
    assert_int_equal(get(K_BANK, ID(60)), 200);
    assert_int_equal(get(K_HOSP, ID(60)), 404);
    assert_false(hits(K_HOSP, "amber-bank.example", ID(60)));
    /* the recipient's reporter shares only its own organisation's objects */
    assert_int_equal(share(K_BANK, ID(60), to_hosp), 403);
    /* its admin passes it on to its client, by identity */
    assert_int_equal(share(K_BANK_ADMIN, ID(60), to_hosp), 200);
    assert_true(json_is_true(json_object_get(last_json, "changed")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(last_json, "to"), 0)), hosp_ident);
    assert_int_equal(get(K_HOSP, ID(60)), 200);
    assert_int_equal(get(K_ME, ID(60)), 404); /* nobody else */
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(60) "'"), 1);
    assert_true(hits_soon(K_HOSP, "amber-bank.example", ID(60)));
    /* again: nothing changes */
    assert_int_equal(share(K_BANK_ADMIN, ID(60), "{\"to\":[\"al-hosp\"]}"), 200);
    assert_true(json_is_false(json_object_get(last_json, "changed")));
    /* not its client: xk-cert reads nothing of the national community */
    assert_int_equal(share(K_BANK_ADMIN, ID(60), to_xk), 403);
    assert_string_equal(error_field(), "to");
    /* the client passes it on no further; the owner passes it on to anyone */
    assert_int_equal(share(K_HOSP, ID(60), to_me), 403);
    assert_int_equal(share(K_AL, ID(60), to_me), 200);
    assert_int_equal(get(K_ME, ID(60)), 200);
    /* an unknown organisation */
    assert_int_equal(share(K_AL, ID(60), "{\"to\":[\"nobody\"]}"), 400);
    assert_string_equal(error_field(), "to");
}

static void test_pass_on_strict_and_red(void **state)
{
    char body[1200], to[160];

    (void)state;
    snprintf(to, sizeof to, "{\"to\":[\"al-hosp\"]}");
    /* AMBER+STRICT to al-bank: by its owner only */
    indicator(body, sizeof body, ID(61), "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "strict.example");
    snprintf(body + strlen(body) - 1, sizeof body - strlen(body) + 1, ",\"x_mreza_recipient_refs\":[\"%s\"]}",
             bank_ident);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_AL], body), 201);
    assert_int_equal(share(K_BANK_ADMIN, ID(61), to), 403);
    assert_non_null(strstr(error_message(), "owner only"));
    assert_int_equal(get(K_HOSP, ID(61)), 404);
    assert_int_equal(share(K_AL, ID(61), to), 200);
    assert_int_equal(get(K_HOSP, ID(61)), 200);
    /* RED goes to people: an organisation is refused, a user is not */
    indicator(body, sizeof body, ID(62), "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red.example");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_AL], body), 201);
    assert_int_equal(share(K_AL, ID(62), "{\"to\":[\"me-cirt\"]}"), 400);
    assert_int_equal(get(K_ME, ID(62)), 404);
    snprintf(to, sizeof to, "{\"to\":[\"%s\"]}", me_user_ident);
    assert_int_equal(share(K_AL, ID(62), to), 200);
    assert_int_equal(get(K_ME, ID(62)), 200);
    /* a RED version is passed on by nobody else */
    assert_int_equal(share(K_ME, ID(62), "{\"to\":[\"analyst@xk-cert\"]}"), 403);
}

/* mreza share: the same act at the console, as a user. */
static void test_share_cli(void **state)
{
    char *out = NULL, *err = NULL;
    const char *const green[] = {"share", ID(11), "--user", "analyst@me-cirt", "--community", "regional", NULL};
    const char *const both[] = {"share", ID(11), "--user", "analyst@me-cirt", "--community", "regional", "--to",
                                "al-bank", NULL};
    const char *const refused[] = {"share", ID(11), "--user", "reporter@al-hosp", "--community", "national", NULL};

    (void)state;
    assert_int_equal(get(K_XK, ID(11)), 404);
    assert_int_equal(h_cli(&node, &out, green), 0);
    assert_non_null(strstr(out, "into regional"));
    free(out);
    assert_int_equal(get(K_XK, ID(11)), 200);
    assert_int_equal(h_cli_err(&node, &out, &err, both), 2);
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, refused), 1);
    assert_non_null(strstr(err, "reporter"));
    free(out);
    free(err);
}

/* Every row the store's SQL prefilter handed a read of the tests above passed
 * tlp_can_read too (svc_objects.c logs event=tlp_prefilter_mismatch and withholds a
 * row otherwise): the grants tlp_visibility gives the store with communities and
 * shared_to, and the decision, agree on the real server. */
static void test_prefilter_agreed(void **state)
{
    (void)state;
    assert_true(h_count_in_file(log_path, "event=share ") >= 5); /* the log is the server's, and live */
    assert_true(h_count_in_file(log_path, "path=/api/v1/objects") > 50);
    assert_int_equal(h_count_in_file(log_path, "tlp_prefilter_mismatch"), 0);
}

/* `mreza match` as the reporter uses its national community's GREEN, not the
 * regional one's. */
static void test_match_as_reporter(void **state)
{
    char log[300], *out = NULL;
    const char *const argv[] = {"match", "--as-user", "reporter@al-bank", "--format", "text", log, NULL};
    FILE *f;

    (void)state;
    assert_int_equal(h_stop(&node), 0);
    snprintf(log, sizeof log, "%s/seen.log", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    fputs("national.example imported.example both.example\n", f);
    fclose(f);
    assert_int_equal(h_cli(&node, &out, argv), 0);
    assert_non_null(strstr(out, ID(01)));   /* national */
    assert_non_null(strstr(out, ID(04)));   /* national and regional */
    assert_null(strstr(out, ID(30)));       /* regional only */
    free(out);
    /* xk-cert: the regional GREEN, and the operator's report shared into it after the
     * node wrote its index snapshot's version of it; not the national GREEN */
    {
        const char *const xk[] = {"match", "--as-user", "analyst@xk-cert", "--format", "text", log, NULL};
        f = fopen(log, "w");
        assert_non_null(f);
        fputs("national.example regional.example bank-report.example\n", f);
        fclose(f);
        assert_int_equal(h_cli(&node, &out, xk), 0);
        assert_non_null(strstr(out, ID(02)));
        assert_non_null(strstr(out, ID(50)));
        assert_null(strstr(out, ID(01)));
        free(out);
    }
    h_start(&node, NULL);
}

/* ---- the migration of a store made before communities ---- */

static void sql_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
}

/* The (type, name, table, sql) rows of sqlite_master of db, one text. */
static char *schema_of(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);

    assert_non_null(out);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name", -1,
                                        &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW)
        for (int c = 0; c < 4; c++) {
            const char *t = (const char *)sqlite3_column_text(s, c);
            len += (size_t)snprintf(out + len, cap - len, "%s|", t ? t : "");
            assert_true(len < cap);
        }
    sqlite3_finalize(s);
    return out;
}

static void test_migration_of_a_version_11_store(void **state)
{
    struct hnode old;
    char key_c[64], key_r[64], path[300], *fixture, *want, *got;
    sqlite3 *db = NULL, *mem = NULL;

    (void)state;
    h_node_init(&old);
    h_add_org(&old, "al-cert", "AL", "national-csirt");
    h_add_org(&old, "al-bank", "AL", "operator");
    h_add_user(&old, "analyst@al-cert", "al-cert", "analyst", key_c);
    h_add_user(&old, "reporter@al-bank", "al-bank", "reporter", key_r);
    h_start(&old, NULL);
    assert_int_equal(post_in(&old, key_c, NULL, ID(40), GREEN, "old.example"), 201);
    assert_int_equal(post_in(&old, key_c, NULL, ID(41), CLEAR, "old2.example"), 201);
    assert_int_equal(h_stop(&old), 0);
    /* back to the schema before communities (migrations 14, 13 and 12 undone) */
    snprintf(path, sizeof path, "%s/mreza.db", old.dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sql_exec(db, "DROP TABLE received; DROP TABLE bookmarks; DROP TABLE peer_keys; DROP TABLE nodes;"
                 "ALTER TABLE objects DROP COLUMN via; ALTER TABLE orgs DROP COLUMN node;"
                 "DELETE FROM schema_version WHERE version = 14;");
    sql_exec(db, "DROP TABLE taxii_status; DELETE FROM schema_version WHERE version = 13;");
    sql_exec(db, "DROP TABLE grants; DROP TABLE shares; DROP TABLE memberships; DROP TABLE communities;"
                 "ALTER TABLE objects DROP COLUMN shared_to; ALTER TABLE objects DROP COLUMN comm;"
                 "DELETE FROM schema_version WHERE version >= 12;");
    /* ... which is exactly the schema of version 11 */
    fixture = h_read_file("tests/data/store/schema-v11.sql", NULL);
    assert_int_equal(sqlite3_open(":memory:", &mem), SQLITE_OK);
    sql_exec(mem, fixture);
    want = schema_of(mem);
    got = schema_of(db);
    assert_string_equal(got, want);
    free(fixture);
    free(want);
    free(got);
    sqlite3_close(mem);
    sqlite3_close(db);
    /* started again: migrated into the national community */
    h_start(&old, NULL);
    assert_int_equal(h_db_count(&old, "comm = 1"), h_db_count(&old, NULL));
    /* posted into the national community, they need no grants row (their own is it) */
    assert_int_equal(h_db_count(&old, "seq IN (SELECT seq FROM grants)"), 0);
    assert_int_equal(req_on(&old, "GET", "/api/v1/objects/" ID(40), key_r, NULL), 200);
    assert_int_equal(req_on(&old, "GET", "/api/v1/communities", key_r, NULL), 200);
    assert_non_null(strstr(last.body, "\"name\":\"national\""));
    assert_non_null(strstr(last.body, "\"can_read\":true,\"can_write\":true"));
    assert_int_equal(h_node_free(&old), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_national),
        cmocka_unit_test(test_regional),
        cmocka_unit_test(test_both),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_communities_endpoint),
        cmocka_unit_test(test_console),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_share_green),
        cmocka_unit_test(test_share_refusals),
        cmocka_unit_test(test_pass_on),
        cmocka_unit_test(test_pass_on_strict_and_red),
        cmocka_unit_test(test_share_cli),
        cmocka_unit_test(test_prefilter_agreed),
        cmocka_unit_test(test_match_as_reporter),
        cmocka_unit_test(test_migration_of_a_version_11_store),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
