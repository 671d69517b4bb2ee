/* tests/integ/test_user_claims.c - users' identity ids and user names (issue 10, the
 * second re-attack's F8 and L2), against a real `mreza serve`:
 *   - F8: the node holds the claim of every user's identity id for the user's
 *     organisation (docs/model.md R8). The hospital posts a GREEN identity object
 *     under the id of analyst@me-cirt (the creator named by me-cirt's attested
 *     objects): it is the hospital's later object, served to the hospital alone;
 *     me-cirt is served its claim, hr-cert nothing (get, list, export), and the
 *     hospital's reply names nobody. The same for a user added while the node runs
 *     (API and CLI), and for a store from before the claims (the start-up step
 *     writes them); the user's organisation may not withdraw the claim. On the code
 *     before, the hospital's object was the id's first, served to everyone, me-cirt
 *     included;
 *   - L2: a user's name ends in '@' and its organisation's name, for an
 *     organisation's admin, a node admin and the console (`mreza user add`), so a
 *     409 "already exists" can only name one of the adding organisation's users. On
 *     the code before, me-cirt's admin learnt from a 409 that analyst@hr-cert
 *     exists, and added `boss@hr-cert` to me-cirt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define LOG_PATH_FMT "%s/serve.log"

static struct hnode node;
enum { K_ME, K_ME_ADMIN, K_HR, K_HOSP, K_NODE, N_KEYS };
static char keys[N_KEYS][64];
static char me_user_ident[64];
static struct hresp last;

static long req(const char *method, const char *path, const char *key, const char *body)
{
    hresp_free(&last);
    h_http(&node, method, path, key, body, body ? strlen(body) : 0, &last);
    return last.status;
}

static int setup(void **state)
{
    const char *const sets[] = {"campaign.min_countries=50", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "hr-cert", "HR", "national-csirt");
    h_add_org(&node, "al-hospital", "AL", "operator");
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, "admin@me-cirt", "me-cirt", "admin", keys[K_ME_ADMIN]);
    h_add_user(&node, "analyst@hr-cert", "hr-cert", "analyst", keys[K_HR]);
    h_add_user(&node, "reporter@al-hospital", "al-hospital", "reporter", keys[K_HOSP]);
    h_add_user(&node, "staff@hr-cert", "hr-cert", "node-admin", keys[K_NODE]);
    h_identity(&node, "user", "analyst@me-cirt", me_user_ident);
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hresp_free(&last);
    return h_node_free(&node) > 0;
}

/* The hospital posts a GREEN identity under ident, naming itself "name": accepted
 * (a refusal would tell the hospital that ident is a user's), and the reply names no
 * other organisation. */
static void squat(const char *ident, const char *name)
{
    char body[1024];

    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--8c0e4f7a-0000-4000-8000-000000000001\",\"objects\":["
             "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"%s\",\"identity_class\":\"individual\","
             "\"object_marking_refs\":[\"" GREEN "\"]}]}",
             ident, name);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    assert_null(strstr(last.body, "me-cirt"));
    assert_null(strstr(last.body, "skipped\":[{"));
}

/* What each reader is served of ident: the user's organisation its claim (named
 * user), hr-cert nothing, the hospital its own object (named name). */
static void served_as_claimed(const char *ident, const char *user, const char *name, int me_key)
{
    char path[200];

    snprintf(path, sizeof path, "/api/v1/objects/%s", ident);
    assert_int_equal(req("GET", path, keys[me_key], NULL), 200);
    assert_non_null(strstr(last.body, user));
    assert_null(strstr(last.body, name));
    assert_non_null(strstr(last.body, "\"identity_class\":\"individual\""));
    assert_int_equal(req("GET", path, keys[K_HR], NULL), 404);
    assert_int_equal(req("GET", path, keys[K_HOSP], NULL), 200);
    assert_non_null(strstr(last.body, name));
    /* list and export: the same choice */
    assert_int_equal(req("GET", "/api/v1/objects?type=identity", keys[K_HR], NULL), 200);
    assert_null(strstr(last.body, ident));
    assert_int_equal(req("GET", "/api/v1/export?type=identity", keys[K_HR], NULL), 200);
    assert_null(strstr(last.body, name));
    assert_int_equal(req("GET", "/api/v1/objects?type=identity", keys[me_key], NULL), 200);
    assert_non_null(strstr(last.body, ident));
    assert_null(strstr(last.body, name));
    assert_int_equal(req("GET", "/api/v1/export?type=identity", keys[me_key], NULL), 200);
    assert_null(strstr(last.body, name));
}

/* F8: the identity of analyst@me-cirt, the creator me-cirt's attested indicator
 * names, posted by the hospital. */
static void test_user_identity_claimed(void **state)
{
    char body[1024], path[200];

    (void)state;
    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--8c0e4f7a-0000-4000-8000-000000000002\",\"objects\":["
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8c0e4f7a-0000-4000-8000-00000000f801\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"created_by_ref\":"
             "\"%s\",\"pattern\":\"[domain-name:value = 'f8.example']\",\"pattern_type\":\"stix\",\"valid_from\":"
             "\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN "\"]}]}",
             me_user_ident);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    squat(me_user_ident, "Impostor of me-cirt");
    served_as_claimed(me_user_ident, "analyst@me-cirt", "Impostor of me-cirt", K_ME);
    /* whoever may list the user may neither post nor withdraw its identity */
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", me_user_ident);
    assert_int_equal(req("POST", path, keys[K_ME_ADMIN], "{}"), 400);
    assert_non_null(strstr(last.body, "maintained by the node"));
    assert_non_null(strstr(last.body, "\"field\":\"id\""));
    snprintf(path, sizeof path, "/api/v1/objects/%s", me_user_ident);
    assert_int_equal(req("GET", path, keys[K_ME], NULL), 200);
    assert_non_null(strstr(last.body, "analyst@me-cirt"));
}

/* F8 for users added while the node runs: by the organisation's admin (the API) and
 * at the console (`mreza user add`, the same svc call). */
static void test_new_users_claimed(void **state)
{
    char ident[64], key[64];
    const char *id;

    (void)state;
    assert_int_equal(req("POST", "/api/v1/users", keys[K_ME_ADMIN],
                         "{\"name\":\"late@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"),
                     201);
    id = strstr(last.body, "\"identity\":\"");
    assert_non_null(id);
    snprintf(ident, sizeof ident, "%.46s", id + 12);
    squat(ident, "Impostor of late");
    served_as_claimed(ident, "late@me-cirt", "Impostor of late", K_ME);

    h_add_user(&node, "console@me-cirt", "me-cirt", "viewer", key);
    h_identity(&node, "user", "console@me-cirt", ident);
    squat(ident, "Impostor of console");
    served_as_claimed(ident, "console@me-cirt", "Impostor of console", K_ME);
}

static void db_exec(const char *sql)
{
    char path[300];
    sqlite3 *db = NULL;
    char *msg = NULL;

    snprintf(path, sizeof path, "%s/mreza.db", node.dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

/* F8 for a store from before the claims: the node stopped, the claims deleted as if
 * they had never been written (and the index snapshot with them); at start-up the node writes them again, before it
 * answers anything. A claim written after the hospital's object (left as the id's
 * first) is logged: me-cirt is served its claim (its own object, R2.1), the others
 * the first object - the documented limit. */
static void test_existing_store_claimed(void **state)
{
    const char *const sets[] = {"campaign.min_countries=50", "log.level=info", NULL};
    char where[200], log_path[300], hr_ident[64];

    (void)state;
    h_identity(&node, "user", "analyst@hr-cert", hr_ident);
    assert_int_equal(h_stop(&node), 0);
    db_exec("DELETE FROM objects WHERE type = 'identity' AND stix_id IN (SELECT identity FROM users)"
            " AND owner_org = (SELECT org_id FROM users WHERE identity = objects.stix_id)");
    snprintf(log_path, sizeof log_path, "%s/index.snap", node.dir); /* the index of that store */
    unlink(log_path);
    snprintf(where, sizeof where, "stix_id = '%s'", hr_ident);
    assert_int_equal(h_db_count(&node, where), 0);
    snprintf(log_path, sizeof log_path, LOG_PATH_FMT, node.dir);
    h_start_logged(&node, sets, log_path);
    assert_int_equal(h_db_count(&node, where), 1);
    assert_int_equal(h_count_in_file(log_path, "event=user_identities_claimed claims=7"), 1);
    /* the hospital's three squatted ids were its objects before the claims came back */
    assert_int_equal(h_count_in_file(log_path, "event=user_identities_taken ids=3"), 1);
    squat(hr_ident, "Impostor of hr-cert");
    {
        char path[200];
        snprintf(path, sizeof path, "/api/v1/objects/%s", hr_ident);
        assert_int_equal(req("GET", path, keys[K_HR], NULL), 200);
        assert_non_null(strstr(last.body, "analyst@hr-cert"));
        assert_int_equal(req("GET", path, keys[K_ME], NULL), 404);
        snprintf(path, sizeof path, "/api/v1/objects/%s", me_user_ident);
        assert_int_equal(req("GET", path, keys[K_ME], NULL), 200);
        assert_non_null(strstr(last.body, "analyst@me-cirt"));
    }
}

/* L2: names end in '@' and the organisation's name. */
static void test_user_names_in_org(void **state)
{
    static const struct {
        int key;
        const char *body;
    } refused[] = {
        /* me-cirt's admin: another organisation's name, taken or not */
        {K_ME_ADMIN, "{\"name\":\"analyst@hr-cert\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        {K_ME_ADMIN, "{\"name\":\"boss@hr-cert\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        {K_ME_ADMIN, "{\"name\":\"plain\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        {K_ME_ADMIN, "{\"name\":\"@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        {K_ME_ADMIN, "{\"name\":\"a@b@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        {K_ME_ADMIN, "{\"name\":\"x@me-cirt.evil\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"},
        /* a node admin, adding to another organisation */
        {K_NODE, "{\"name\":\"x@me-cirt\",\"org\":\"hr-cert\",\"role\":\"viewer\"}"},
    };
    char *out = NULL, *errs = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(req("POST", "/api/v1/users", keys[refused[i].key], refused[i].body), 400);
        assert_non_null(strstr(last.body, "\"field\":\"/name\""));
        assert_non_null(strstr(last.body, "ends in '@"));
    }
    assert_int_equal(req("GET", "/api/v1/users?org=hr-cert", keys[K_NODE], NULL), 200);
    assert_null(strstr(last.body, "boss@hr-cert"));
    assert_null(strstr(last.body, "x@me-cirt"));
    /* a 409 names only one's own organisation's users */
    assert_int_equal(req("POST", "/api/v1/users", keys[K_ME_ADMIN],
                         "{\"name\":\"analyst@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"),
                     409);
    assert_int_equal(req("POST", "/api/v1/users", keys[K_NODE],
                         "{\"name\":\"y@hr-cert\",\"org\":\"hr-cert\",\"role\":\"viewer\"}"),
                     201);
    {
        const char *const argv[] = {"user", "add", "z@hr-cert", "--org", "me-cirt", "--role", "viewer", NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 1);
        assert_non_null(strstr(errs, "ends in '@me-cirt'"));
        free(out);
        free(errs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_identity_claimed),
        cmocka_unit_test(test_new_users_claimed),
        cmocka_unit_test(test_existing_store_claimed),
        cmocka_unit_test(test_user_names_in_org),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
