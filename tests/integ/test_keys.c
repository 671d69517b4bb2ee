/* tests/integ/test_keys.c - API keys and accounts against the real `mreza serve`,
 * changed both through the API and through the CLI while the server runs:
 *   - a key list (API and CLI) shows ids, first characters, times and comments,
 *     never a key; whoami says which key is in use; last use is recorded;
 *   - a revoked key, an expired key (its expiry set to a fixed past time: no sleep,
 *     no clock hook) and a disabled user's keys are refused from the next request
 *     on, 401 with a message that says only that, while the user's other keys and
 *     other users go on working; a later expiry or enabling the user again brings
 *     them back, a revocation never; a CLI command run as a disabled user is refused;
 *   - rotation: the old key refused at once, or working until the grace ends - to
 *     read and write, never to manage accounts: the hostile-user re-attack's old key
 *     revoked its successor, locking its user out (an admin's could also have issued
 *     itself a key outliving the grace); it may only revoke itself;
 *   - a member lists and revokes its own keys only, and issues none (a stolen key
 *     must not mint its own successor); another organisation's users are not found;
 *   - the admin decision: an organisation's admin manages its own organisation's
 *     users and keys only (no users in other organisations, no node admins, not its
 *     own account, no organisations, not the index's figures); a node admin manages
 *     everyone's - and each of its acts in another organisation leaves a log line
 *     (the audit hook) - but reads no more than TLP allows it;
 *   - bad requests: unknown members, bad expiry, grace, comment and key id are 400
 *     with the field, a wrong method 405 with Allow, and the node stays healthy. */
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

#define AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

static struct hnode node;
static char log_path[300];

enum {
    NODE_ADMIN,  /* na@rs-cert, node-admin */
    ADMIN,       /* admin@me-cirt, admin of me-cirt */
    ANALYST,     /* analyst@me-cirt */
    VIEWER,      /* viewer@me-cirt */
    OPS,         /* ops@me-cirt, a node admin who is a member of me-cirt */
    RS_ANALYST,  /* analyst@rs-cert */
    N_USERS
};
static const char *const names[N_USERS] = {"na@rs-cert", "admin@me-cirt", "analyst@me-cirt", "viewer@me-cirt",
                                           "ops@me-cirt", "analyst@rs-cert"};
static const char *const roles[N_USERS] = {"node-admin", "admin", "analyst", "viewer", "node-admin", "analyst"};
static char keys[N_USERS][64];

static int setup(void **state)
{
    const char *const sets[] = {"log.level=info", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    for (int i = 0; i < N_USERS; i++)
        h_add_user(&node, names[i], strchr(names[i], '@') + 1, roles[i], keys[i]);
    snprintf(log_path, sizeof log_path, "%s/serve.log", node.dir);
    h_start_logged(&node, sets, log_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return h_node_free(&node) > 0;
}

/* ---- helpers ---- */

static json_t *parse(struct hresp *r)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);

    if (!v)
        fail_msg("reply is not JSON (%s): %s", je.text, r->body);
    return v;
}

/* method path as key, expecting status; returns the parsed reply (caller decrefs). */
static json_t *call(const char *method, const char *path, const char *key, const char *body, long status)
{
    struct hresp r;
    json_t *v;
    long got = h_http(&node, method, path, key, body, body ? strlen(body) : 0, &r);

    if (got != status)
        fail_msg("%s %s: %ld, want %ld: %s", method, path, got, status, r.body);
    v = parse(&r);
    hresp_free(&r);
    return v;
}

static void expect(const char *method, const char *path, const char *key, const char *body, long status,
                   const char *msg)
{
    json_t *v = call(method, path, key, body, status);
    const char *m = json_string_value(json_object_get(json_object_get(v, "error"), "message"));

    if (msg && (!m || !strstr(m, msg)))
        fail_msg("%s %s: message '%s' lacks '%s'", method, path, m ? m : "(none)", msg);
    json_decref(v);
}

/* GET /api/v1/whoami answers 200 for key, or 401 with exactly msg. */
static void works(const char *key)
{
    json_decref(call("GET", "/api/v1/whoami", key, NULL, 200));
}

static void refused(const char *key, const char *msg)
{
    json_t *v = call("GET", "/api/v1/whoami", key, NULL, 401);

    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "message")), msg);
    json_decref(v);
    /* on every route, public ones too */
    json_decref(call("GET", "/api/v1/objects", key, NULL, 401));
}

/* Issue a key for user as key `as` through the API; the new key into out (64 bytes);
 * returns its id. */
static long long issue(int as, const char *user, const char *body, char *out)
{
    char path[128];
    json_t *v;
    long long id;

    snprintf(path, sizeof path, "/api/v1/users/%s/keys", user);
    v = call("POST", path, keys[as], body, 201);
    snprintf(out, 64, "%s", json_string_value(json_object_get(v, "api_key")));
    id = json_integer_value(json_object_get(json_object_get(v, "key"), "id"));
    assert_int_equal(strncmp(out, "mz_", 3), 0);
    assert_true(id > 0);
    json_decref(v);
    return id;
}

static long long key_id_of(const char *key)
{
    json_t *v = call("GET", "/api/v1/whoami", key, NULL, 200);
    long long id = json_integer_value(json_object_get(json_object_get(v, "key"), "id"));

    json_decref(v);
    assert_true(id > 0);
    return id;
}

/* The key of that id in a GET …/keys reply (borrowed from v), or NULL. */
static json_t *key_in(json_t *v, long long id)
{
    size_t i;
    json_t *k;

    json_array_foreach(json_object_get(v, "keys"), i, k) if (json_integer_value(json_object_get(k, "id")) == id) return k;
    return NULL;
}

static int cli(const char *const *argv, char **out)
{
    char *err = NULL;
    int rc = h_cli_err(&node, out, &err, argv);

    free(err);
    return rc;
}

/* ---- tests ---- */

static void test_list_shows_no_secret(void **state)
{
    char path[128], *out = NULL;
    const char *const list[] = {"user", "key", names[ANALYST], "--list", NULL};
    json_t *v, *k;
    long long id = key_id_of(keys[ANALYST]);
    char *text;

    (void)state;
    snprintf(path, sizeof path, "/api/v1/users/%s/keys", names[ANALYST]);
    v = call("GET", path, keys[ANALYST], NULL, 200);
    text = json_dumps(v, 0);
    assert_null(strstr(text, keys[ANALYST]));
    assert_null(strstr(text, keys[ANALYST] + 9)); /* nor its tail */
    assert_null(strstr(text, "hash"));
    k = key_in(v, id);
    assert_non_null(k);
    assert_int_equal(strlen(json_string_value(json_object_get(k, "prefix"))), 9);
    assert_int_equal(strncmp(json_string_value(json_object_get(k, "prefix")), keys[ANALYST], 9), 0);
    assert_string_equal(json_string_value(json_object_get(k, "status")), "active");
    assert_true(json_is_string(json_object_get(k, "created")));
    assert_true(json_is_null(json_object_get(k, "expires")));
    assert_true(json_is_null(json_object_get(k, "revoked")));
    /* it was used just now (whoami above) */
    assert_true(json_is_string(json_object_get(k, "last_used")));
    free(text);
    json_decref(v);
    /* the console's listing neither */
    assert_int_equal(cli(list, &out), 0);
    assert_null(strstr(out, keys[ANALYST]));
    assert_null(strstr(out, keys[ANALYST] + 9));
    assert_non_null(strstr(out, "STATUS"));
    {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "%.9s", keys[ANALYST]);
        assert_non_null(strstr(out, prefix));
    }
    free(out);
}

static void test_revoked_key_is_refused_at_once(void **state)
{
    char k1[64], k2[64], path[160], *out = NULL;
    long long id1, id2;
    json_t *v;

    (void)state;
    id1 = issue(ADMIN, names[ANALYST], "{\"comment\":\"laptop\"}", k1);
    id2 = issue(ADMIN, names[ANALYST], NULL, k2);
    works(k1);
    works(k2);
    /* through the API */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld", names[ANALYST], id1);
    v = call("DELETE", path, keys[ADMIN], NULL, 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "key"), "status")), "revoked");
    json_decref(v);
    refused(k1, "this API key has been revoked");
    works(k2);
    works(keys[ANALYST]);
    /* through the CLI, while the server runs */
    {
        char id[32];
        const char *const revoke[] = {"user", "key", names[ANALYST], "--revoke", id, NULL};
        snprintf(id, sizeof id, "%lld", id2);
        assert_int_equal(cli(revoke, &out), 0);
        assert_non_null(strstr(out, "revoked key"));
        free(out);
    }
    refused(k2, "this API key has been revoked");
    works(keys[ANALYST]);
    /* a revoked key stays revoked: no later expiry brings it back */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld", names[ANALYST], id1);
    expect("PATCH", path, keys[ADMIN], "{\"expires\":null}", 409, "revoked, for good");
    refused(k1, "this API key has been revoked");
}

static void test_expired_key_is_refused(void **state)
{
    char k1[64], path[160], id[32], *out = NULL;
    const char *const past[] = {"user", "key", names[ANALYST], "--update", id, "--expires", "2020-01-01", NULL};
    const char *const issue_past[] = {"user", "key", names[ANALYST], "--expires", "2020-01-01T00:00:00Z", NULL};
    long long id1;
    json_t *v;

    (void)state;
    id1 = issue(ADMIN, names[ANALYST], "{\"expires\":\"30d\"}", k1);
    works(k1);
    /* expired through the API: a fixed time in the past */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld", names[ANALYST], id1);
    v = call("PATCH", path, keys[ADMIN], "{\"expires\":\"2020-01-01T00:00:00Z\"}", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "key"), "status")), "expired");
    json_decref(v);
    refused(k1, "this API key has expired");
    works(keys[ANALYST]);
    /* a later expiry brings it back */
    json_decref(call("PATCH", path, keys[ADMIN], "{\"expires\":\"2d\"}", 200));
    works(k1);
    /* expired through the CLI, while the server runs */
    snprintf(id, sizeof id, "%lld", id1);
    assert_int_equal(cli(past, &out), 0);
    assert_non_null(strstr(out, "expired"));
    free(out);
    refused(k1, "this API key has expired");
    /* a key is never issued already expired */
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"expires\":\"2020-01-01\"}", 400,
           "not in the future");
    assert_int_equal(cli(issue_past, &out), 1);
    free(out);
}

static void test_disabled_user_is_refused(void **state)
{
    char k1[64], *out = NULL;
    const char *const disable[] = {"user", "disable", names[VIEWER], NULL};
    const char *const enable[] = {"user", "enable", names[VIEWER], NULL};
    json_t *v;

    (void)state;
    issue(ADMIN, names[VIEWER], NULL, k1);
    works(k1);
    /* through the API, by its organisation's admin */
    v = call("POST", "/api/v1/users/viewer@me-cirt/disable", keys[ADMIN], NULL, 200);
    assert_true(json_is_true(json_object_get(json_object_get(v, "user"), "disabled")));
    json_decref(v);
    refused(keys[VIEWER], "the account of this API key is disabled");
    refused(k1, "the account of this API key is disabled");
    works(keys[ANALYST]);
    /* listed as disabled; no key is issued to it meanwhile */
    v = call("GET", "/api/v1/users", keys[ADMIN], NULL, 200);
    {
        size_t i;
        json_t *u;
        int seen = 0;
        json_array_foreach(json_object_get(v, "users"), i, u) {
            if (!strcmp(json_string_value(json_object_get(u, "name")), names[VIEWER])) {
                assert_true(json_is_true(json_object_get(u, "disabled")));
                seen = 1;
            }
        }
        assert_true(seen);
    }
    json_decref(v);
    expect("POST", "/api/v1/users/viewer@me-cirt/keys", keys[ADMIN], NULL, 409, "is disabled");
    /* enabled again: both keys work */
    json_decref(call("POST", "/api/v1/users/viewer@me-cirt/enable", keys[ADMIN], NULL, 200));
    works(keys[VIEWER]);
    works(k1);
    /* through the CLI, while the server runs */
    assert_int_equal(cli(disable, &out), 0);
    free(out);
    refused(keys[VIEWER], "the account of this API key is disabled");
    {
        /* nor does a command act as it */
        const char *const as_it[] = {"export", "--as-user", names[VIEWER], NULL};
        char *err = NULL;
        assert_int_equal(h_cli_err(&node, &out, &err, as_it), 1);
        assert_non_null(strstr(err, "is disabled"));
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
    assert_int_equal(cli(enable, &out), 0);
    free(out);
    works(keys[VIEWER]);
    /* nobody disables its own account */
    expect("POST", "/api/v1/users/admin@me-cirt/disable", keys[ADMIN], NULL, 403, "your own account");
    expect("POST", "/api/v1/users/na@rs-cert/disable", keys[NODE_ADMIN], NULL, 403, "your own account");
    works(keys[ADMIN]);
}

static void test_rotation(void **state)
{
    char k1[64], k2[64], k3[64], path[160];
    long long id1, id2;
    json_t *v, *list;

    (void)state;
    id1 = issue(ADMIN, names[ANALYST], "{\"comment\":\"ci\"}", k1);
    /* at once */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld/rotate", names[ANALYST], id1);
    v = call("POST", path, keys[ADMIN], NULL, 201);
    snprintf(k2, sizeof k2, "%s", json_string_value(json_object_get(v, "api_key")));
    id2 = json_integer_value(json_object_get(json_object_get(v, "key"), "id"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "key"), "comment")), "ci");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "replaces"), "status")), "revoked");
    json_decref(v);
    refused(k1, "this API key has been revoked");
    works(k2);
    /* with a grace: the old key works on until it ends */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld/rotate", names[ANALYST], id2);
    v = call("POST", path, keys[ADMIN], "{\"grace\":\"1h\"}", 201);
    snprintf(k3, sizeof k3, "%s", json_string_value(json_object_get(v, "api_key")));
    json_decref(v);
    works(k2);
    works(k3);
    snprintf(path, sizeof path, "/api/v1/users/%s/keys", names[ANALYST]);
    list = call("GET", path, keys[ANALYST], NULL, 200);
    assert_string_equal(json_string_value(json_object_get(key_in(list, id2), "status")), "active");
    assert_true(json_is_string(json_object_get(key_in(list, id2), "revoked"))); /* the end of its grace */
    assert_true(json_is_integer(json_object_get(key_in(list, id2), "replaced_by")));
    json_decref(list);
    /* rotated once only */
    snprintf(path, sizeof path, "/api/v1/users/%s/keys/%lld/rotate", names[ANALYST], id2);
    expect("POST", path, keys[ADMIN], NULL, 409, "already rotated");
    expect("POST", path, keys[ADMIN], "{\"grace\":\"8d\"}", 400, "grace must be");
}

/* path of key id of user, with suffix ("" or "/rotate"), into out (160 bytes). */
static void key_path(char *out, const char *user, long long id, const char *suffix)
{
    snprintf(out, 160, "/api/v1/users/%s/keys/%lld%s", user, id, suffix);
}

/* Rotate key id of user as key `as` with a grace of 7 days; the new key into out. */
static long long rotate_with_grace(const char *as, const char *user, long long id, char *out)
{
    char path[160];
    json_t *v;
    long long nid;

    key_path(path, user, id, "/rotate");
    v = call("POST", path, as, "{\"grace\":\"7d\"}", 201);
    snprintf(out, 64, "%s", json_string_value(json_object_get(v, "api_key")));
    nid = json_integer_value(json_object_get(json_object_get(v, "key"), "id"));
    json_decref(v);
    return nid;
}

static void test_grace_key_manages_no_accounts(void **state)
{
    const char *ind = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7c3e1d2a-0000-4000-8000-"
                      "000000000001\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                      "\"pattern\":\"[domain-name:value = 'grace.example']\",\"pattern_type\":\"stix\","
                      "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" AMBER "\"]}";
    const char *add = "{\"name\":\"grace@me-cirt\",\"org\":\"me-cirt\",\"role\":\"analyst\"}";
    char k1[64], k2[64], a1[64], a2[64], path[160];
    long long id1, id2, aid1, aid2;

    (void)state;
    /* an analyst's key rotated with a grace: the old key reads and writes on */
    id1 = issue(ADMIN, names[ANALYST], NULL, k1);
    id2 = rotate_with_grace(keys[ADMIN], names[ANALYST], id1, k2);
    works(k1);
    json_decref(call("POST", "/api/v1/objects", k1, ind, 201));
    /* but never revokes its successor, which keeps working */
    key_path(path, names[ANALYST], id2, "");
    expect("DELETE", path, k1, NULL, 403, "was rotated");
    works(k2);
    /* an admin's key in its grace: no key for itself or anyone, no rotation, no longer
     * life, no disabling, no users */
    aid1 = issue(NODE_ADMIN, names[ADMIN], NULL, a1);
    aid2 = rotate_with_grace(keys[NODE_ADMIN], names[ADMIN], aid1, a2);
    expect("POST", "/api/v1/users/admin@me-cirt/keys", a1, NULL, 403, "was rotated");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", a1, NULL, 403, "was rotated");
    key_path(path, names[ADMIN], aid2, "/rotate");
    expect("POST", path, a1, NULL, 403, "was rotated");
    key_path(path, names[ADMIN], aid1, "");
    expect("PATCH", path, a1, "{\"expires\":\"never\"}", 403, "was rotated");
    key_path(path, names[ADMIN], aid2, "");
    expect("DELETE", path, a1, NULL, 403, "was rotated");
    expect("POST", "/api/v1/users/viewer@me-cirt/disable", a1, NULL, 403, "was rotated");
    expect("POST", "/api/v1/users", a1, add, 403, "was rotated");
    works(keys[VIEWER]);
    json_decref(call("GET", "/api/v1/users/admin@me-cirt/keys", a1, NULL, 200)); /* listing is harmless */
    /* the new key manages as the admin does: it ends the old one's grace */
    key_path(path, names[ADMIN], aid1, "");
    json_decref(call("DELETE", path, a2, NULL, 200));
    refused(a1, "this API key has been revoked");
    works(a2);
    /* and an old key may end its own grace */
    key_path(path, names[ANALYST], id1, "");
    json_decref(call("DELETE", path, k1, NULL, 200));
    refused(k1, "this API key has been revoked");
    works(k2);
}

static void test_members_manage_only_their_own_keys(void **state)
{
    char k1[64], path[160];
    long long mine = key_id_of(keys[ANALYST]), viewers, other;

    (void)state;
    viewers = key_id_of(keys[VIEWER]);
    other = key_id_of(keys[RS_ANALYST]);
    /* a colleague's keys: neither listed nor revoked */
    expect("GET", "/api/v1/users/viewer@me-cirt/keys", keys[ANALYST], NULL, 403, "of your own account only");
    snprintf(path, sizeof path, "/api/v1/users/viewer@me-cirt/keys/%lld", viewers);
    expect("DELETE", path, keys[ANALYST], NULL, 403, "of your own account only");
    /* another organisation's user: not found, as a name that does not exist */
    snprintf(path, sizeof path, "/api/v1/users/analyst@rs-cert/keys/%lld", other);
    expect("DELETE", path, keys[ANALYST], NULL, 404, "no user named 'analyst@rs-cert'");
    expect("GET", "/api/v1/users/analyst@rs-cert/keys", keys[ANALYST], NULL, 404, "no user named");
    expect("GET", "/api/v1/users/nobody@rs-cert/keys", keys[ANALYST], NULL, 404, "no user named");
    /* someone else's key id under one's own name is no key of one's own */
    snprintf(path, sizeof path, "/api/v1/users/analyst@me-cirt/keys/%lld", viewers);
    expect("DELETE", path, keys[ANALYST], NULL, 404, "has no key");
    works(keys[VIEWER]);
    works(keys[RS_ANALYST]);
    /* no key of its own is minted either: a stolen key must not make its successor */
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ANALYST], NULL, 403, "only an admin may issue API keys");
    snprintf(path, sizeof path, "/api/v1/users/analyst@me-cirt/keys/%lld/rotate", mine);
    expect("POST", path, keys[ANALYST], NULL, 403, "only an admin");
    snprintf(path, sizeof path, "/api/v1/users/analyst@me-cirt/keys/%lld", mine);
    expect("PATCH", path, keys[ANALYST], "{\"expires\":\"never\"}", 403, "only an admin");
    /* but it revokes its own key */
    issue(ADMIN, names[ANALYST], NULL, k1);
    snprintf(path, sizeof path, "/api/v1/users/analyst@me-cirt/keys/%lld", key_id_of(k1));
    json_decref(call("DELETE", path, k1, NULL, 200));
    refused(k1, "this API key has been revoked");
    works(keys[ANALYST]);
}

static void test_organisation_admin_stays_in_its_organisation(void **state)
{
    const char *in_other = "{\"name\":\"new@rs-cert\",\"org\":\"rs-cert\",\"role\":\"analyst\"}";
    const char *make_na = "{\"name\":\"boss@me-cirt\",\"org\":\"me-cirt\",\"role\":\"node-admin\"}";
    const char *own = "{\"name\":\"new@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}";
    const char *org = "{\"name\":\"xx-cert\",\"country\":\"XK\"}";
    char path[160];
    json_t *v;

    (void)state;
    /* users of its own organisation: yes */
    v = call("POST", "/api/v1/users", keys[ADMIN], own, 201);
    works(json_string_value(json_object_get(v, "api_key")));
    json_decref(v);
    /* in another organisation, or a node admin: no, and nothing is added */
    expect("POST", "/api/v1/users", keys[ADMIN], in_other, 403, "only a node admin may add users in another organisation");
    expect("POST", "/api/v1/users", keys[ADMIN], make_na, 403, "only a node admin may grant the node-admin role");
    expect("GET", "/api/v1/users?org=rs-cert", keys[NODE_ADMIN], NULL, 200, NULL);
    {
        char *out = NULL;
        const char *const list[] = {"user", "list", NULL};
        assert_int_equal(cli(list, &out), 0);
        assert_null(strstr(out, "new@rs-cert"));
        assert_null(strstr(out, "boss@me-cirt"));
        free(out);
    }
    /* another organisation's users: not even found */
    expect("GET", "/api/v1/users/analyst@rs-cert/keys", keys[ADMIN], NULL, 404, "no user named");
    expect("POST", "/api/v1/users/analyst@rs-cert/keys", keys[ADMIN], NULL, 404, "no user named");
    expect("POST", "/api/v1/users/analyst@rs-cert/disable", keys[ADMIN], NULL, 404, "no user named");
    expect("GET", "/api/v1/users?org=rs-cert", keys[ADMIN], NULL, 403, "only a node admin");
    v = call("GET", "/api/v1/users", keys[ADMIN], NULL, 200);
    {
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(v, "users"), i, u)
            assert_non_null(strstr(json_string_value(json_object_get(u, "name")), "@me-cirt"));
    }
    json_decref(v);
    /* a node admin of its own organisation: out of its reach (no key for it, no disabling it) */
    expect("POST", "/api/v1/users/ops@me-cirt/keys", keys[ADMIN], NULL, 403, "act on a node admin's account");
    expect("POST", "/api/v1/users/ops@me-cirt/disable", keys[ADMIN], NULL, 403, "act on a node admin's account");
    snprintf(path, sizeof path, "/api/v1/users/ops@me-cirt/keys/%lld", key_id_of(keys[OPS]));
    expect("DELETE", path, keys[ADMIN], NULL, 403, "act on a node admin's account");
    works(keys[OPS]);
    /* node-wide actions */
    expect("POST", "/api/v1/orgs", keys[ADMIN], org, 403, "only a node admin may add organisations");
    expect("GET", "/api/v1/index", keys[ADMIN], NULL, 403, "only a node admin");
}

/* The node admin keeps the node-wide power: it manages every organisation's users and
 * keys - each act in another organisation logged by the audit hook - yet reads no
 * more than TLP allows it. */
static void test_node_admin_manages_everyone(void **state)
{
    const char *amber = "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                        "\"id\":\"indicator--5e5e5e5e-0000-4000-8000-000000000001\","
                        "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                        "\"pattern\":\"[domain-name:value = 'amber.example']\",\"pattern_type\":\"stix\","
                        "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" AMBER "\"]}";
    const char *user = "{\"name\":\"helper@me-cirt\",\"org\":\"me-cirt\",\"role\":\"analyst\"}";
    char k1[64], *log;
    size_t len;
    json_t *v;

    (void)state;
    json_decref(call("POST", "/api/v1/objects", keys[ANALYST], amber, 201));
    /* no TLP bypass for its own key */
    expect("GET", "/api/v1/objects/indicator--5e5e5e5e-0000-4000-8000-000000000001", keys[NODE_ADMIN], NULL, 404,
           NULL);
    /* users and keys of another organisation */
    v = call("POST", "/api/v1/users", keys[NODE_ADMIN], user, 201);
    json_decref(v);
    issue(NODE_ADMIN, names[ANALYST], NULL, k1);
    works(k1);
    json_decref(call("GET", "/api/v1/users/analyst@me-cirt/keys", keys[NODE_ADMIN], NULL, 200));
    json_decref(call("POST", "/api/v1/users/ops@me-cirt/disable", keys[NODE_ADMIN], NULL, 200));
    refused(keys[OPS], "the account of this API key is disabled");
    json_decref(call("POST", "/api/v1/users/ops@me-cirt/enable", keys[NODE_ADMIN], NULL, 200));
    works(keys[OPS]);
    /* the audit hook logged its acts in me-cirt as crossing organisations */
    log = h_read_file(log_path, &len);
    assert_non_null(strstr(log, "event=account action=user-add actor=na@rs-cert actor_org=rs-cert user=helper@me-cirt"));
    assert_non_null(strstr(log, "action=key-issue actor=na@rs-cert actor_org=rs-cert user=analyst@me-cirt"));
    assert_non_null(strstr(log, "action=user-disable actor=na@rs-cert actor_org=rs-cert user=ops@me-cirt"));
    {
        const char *p = strstr(log, "action=user-add actor=na@rs-cert");
        const char *eol = strchr(p, '\n');
        const char *x = strstr(p, "cross_org=1");
        assert_true(x && x < eol);
        /* an admin's act in its own organisation is not crossing */
        p = strstr(log, "action=user-add actor=admin@me-cirt");
        assert_non_null(p);
        eol = strchr(p, '\n');
        x = strstr(p, "cross_org=0");
        assert_true(x && x < eol);
    }
    /* and never a key in the log */
    assert_null(strstr(log, k1));
    assert_null(strstr(log, keys[ANALYST]));
    free(log);
}

static void test_bad_requests(void **state)
{
    char path[160];
    long long mine = key_id_of(keys[ANALYST]);
    struct hresp r;

    (void)state;
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"expire\":\"1d\"}", 400,
           "unknown member 'expire'");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"expires\":\"tomorrow\"}", 400,
           "expires must be a time");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"expires\":5}", 400, "must be a string");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"comment\":\"a\\u0007b\"}", 400,
           "control characters");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"grace\":\"1h\"}", 400, "unknown member");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "[1]", 400, "expected a JSON object");
    expect("POST", "/api/v1/users/analyst@me-cirt/keys", keys[ADMIN], "{\"comment\":", 400, "malformed JSON");
    expect("POST", "/api/v1/users/analyst@me-cirt/disable", keys[ADMIN], "{\"why\":\"x\"}", 400, "unknown member");
    expect("DELETE", "/api/v1/users/analyst@me-cirt/keys/abc", keys[ADMIN], NULL, 400, "a key id is a whole number");
    expect("DELETE", "/api/v1/users/analyst@me-cirt/keys/-1", keys[ADMIN], NULL, 400, "a key id is a whole number");
    expect("DELETE", "/api/v1/users/analyst@me-cirt/keys/99999999999999999999", keys[ADMIN], NULL, 400,
           "a key id is a whole number");
    expect("DELETE", "/api/v1/users/analyst@me-cirt/keys/999999", keys[ADMIN], NULL, 404, "has no key 999999");
    snprintf(path, sizeof path, "/api/v1/users/analyst@me-cirt/keys/%lld", mine);
    expect("PATCH", path, keys[ADMIN], "{}", 400, "nothing to change");
    expect("GET", "/api/v1/users/analyst@me-cirt/keys", NULL, NULL, 401, "needs an API key");
    {
        char longname[400];
        memset(longname, 'a', sizeof longname);
        snprintf(longname, sizeof longname, "/api/v1/users/%0300d/keys", 1);
        expect("GET", longname, keys[ADMIN], NULL, 404, "no user named");
    }
    assert_int_equal(h_http(&node, "PUT", path, keys[ADMIN], "{}", 2, &r), 405);
    assert_non_null(strstr(r.headers, "Allow: PATCH, DELETE"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/users/analyst@me-cirt/disable", keys[ADMIN], NULL, 0, &r), 405);
    assert_non_null(strstr(r.headers, "Allow: POST"));
    hresp_free(&r);
    assert_true(h_healthy(&node));
    assert_true(h_db_integrity_ok(&node));
    works(keys[ANALYST]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_shows_no_secret),
        cmocka_unit_test(test_revoked_key_is_refused_at_once),
        cmocka_unit_test(test_expired_key_is_refused),
        cmocka_unit_test(test_disabled_user_is_refused),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_grace_key_manages_no_accounts),
        cmocka_unit_test(test_members_manage_only_their_own_keys),
        cmocka_unit_test(test_organisation_admin_stays_in_its_organisation),
        cmocka_unit_test(test_node_admin_manages_everyone),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
