/* tests/integ/test_peers.c - peers against a real `mreza serve` and the CLI (issue 11
 * work package 4, docs/federation.md sections 1, 4 and 8.2):
 *   - `mreza peer add` prints the peer's key once and refuses an http:// URL without
 *     --allow-http (exit 2, nothing stored); `peer secret NAME -` reads the key from
 *     standard input and nothing prints it again (peer show, peer list --json,
 *     GET /api/v1/peers); `peer key issue|list|revoke`, `peer bind|unbind`;
 *   - a peer's key works on /taxii2/ alone: its collections are the communities where
 *     an organisation bound to it is a member (not the national one) and mreza-direct; on /api/v1/ it
 *     is 403 with a JSON error that says why; a revoked peer key is 401 (TAXII error);
 *   - GET /api/v1/peers: node admins see every peer with its status fields and no
 *     secret; an analyst is 403;
 *   - `mreza check` counts the federation's tables.
 * Every test failed before the peers' work: no `peer` command, no peer keys (401),
 * no /api/v1/peers (404). */
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

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define IDENT_ME "identity--1f0c0000-0000-4000-8000-0000000000aa"
#define SECRET "mz_ThisIsTheKeyMeGaveAlDoNotPrintIt0000000000"

static struct hnode node;
static char key_staff[64], key_analyst[64];
static char key_peer[64], key_peer2[64], key_revoked[64];
static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

static long req(const char *method, const char *path, const char *key, const char *accept)
{
    char hdr[200];
    const char *headers[] = {hdr, NULL};

    drop();
    snprintf(hdr, sizeof hdr, "Accept: %s", accept);
    h_http_hdr(&node, method, path, key, headers, NULL, 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static void cli_ok(const char *const *argv, char **out)
{
    char *o = NULL, *err = NULL;
    int rc = h_cli_err(&node, &o, &err, argv);

    if (rc != 0)
        fail_msg("mreza %s %s: exit %d: %s", argv[0], argv[1], rc, err ? err : "");
    if (out)
        *out = o;
    else
        free(o);
    free(err);
}

/* The key a command printed on its last line ("mz_..."), into key (64 bytes). */
static void key_of(const char *out, char *key)
{
    const char *k = strstr(out, "\nmz_");

    assert_non_null(k);
    snprintf(key, 64, "%.46s", k + 1);
    assert_int_equal(strlen(key), 46);
}

/* Run the CLI with stdin from a file holding text. */
static int cli_stdin(const char *text, const char *const *argv, char **out)
{
    char path[512], cmd[2048];
    FILE *f;
    size_t used;

    snprintf(path, sizeof path, "%s/stdin.txt", node.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    /* sh -c 'exec mreza "$@" < file' with the arguments as they are */
    used = (size_t)snprintf(cmd, sizeof cmd, "exec \"%s\"", getenv("MREZA_BIN"));
    for (size_t i = 0; argv[i]; i++)
        used += (size_t)snprintf(cmd + used, sizeof cmd - used, " '%s'", argv[i]);
    snprintf(cmd + used, sizeof cmd - used, " --data '%s' < '%s'", node.dir, path);
    {
        const char *const sh[] = {"/bin/sh", "-c", cmd, NULL};
        return h_run(sh, out);
    }
}

/* 1 if the query finds a row of the store (the node's organisations' identity
 * objects are its objects: there is one at least), else 0. */
static long long db_has(const char *query)
{
    char where[512];

    snprintf(where, sizeof where, "seq = (SELECT min(seq) FROM objects) AND EXISTS(%s)", query);
    return h_db_count(&node, where);
}

static int setup(void **state)
{
    static const char *const regional[] = {"community", "add", "regional", "--kind", "regional", "--title",
                                           "Western Balkans CSIRTs", NULL};
    static const char *const add[] = {"peer", "add", "me", "--url", "https://me.example:8470/taxii2/api/",
                                      "--country", "ME", NULL};
    static const char *const bind[] = {"peer", "bind", "me", IDENT_ME, "--name", "me-cirt", NULL};
    static const char *const member[] = {"community", "member", "add", "regional", "me-cirt", "--read", NULL};
    static const char *const issue[] = {"peer", "key", "issue", "me", "--comment", "second", NULL};
    static const char *const list[] = {"peer", "key", "list", "me", NULL};
    char *out = NULL;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_user(&node, "staff@al-cert", "al-cert", "node-admin", key_staff);
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", key_analyst);
    cli_ok(regional, NULL);
    cli_ok(add, &out);
    assert_non_null(strstr(out, "shown once"));
    key_of(out, key_peer);
    free(out);
    cli_ok(bind, NULL);
    cli_ok(member, NULL);
    cli_ok(issue, &out);
    key_of(out, key_revoked);
    free(out);
    cli_ok(issue, &out);
    key_of(out, key_peer2);
    free(out);
    cli_ok(list, &out);
    assert_non_null(strstr(out, "second"));
    free(out);
    {
        /* revoke the second key (id 2: the first was issued with the peer) */
        static const char *const revoke[] = {"peer", "key", "revoke", "me", "2", NULL};
        cli_ok(revoke, NULL);
    }
    h_start(&node, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

static void test_add_refuses_plain_http(void **state)
{
    static const char *const add[] = {"peer", "add", "rs", "--url", "http://rs.example:8470/taxii2/api/", NULL};
    static const char *const bad_pin[] = {"peer", "add", "rs", "--url", "https://rs.example/taxii2/api/", "--pin",
                                          "sha256//nope", NULL};
    char *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(h_cli_err(&node, &out, &err, add), 2);
    assert_non_null(strstr(err, "--allow-http"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, bad_pin), 1);
    assert_non_null(strstr(err, "pin"));
    free(out);
    free(err);
    assert_int_equal(db_has("SELECT 1 FROM nodes WHERE name='rs'"), 0);
    assert_int_equal(db_has("SELECT 1 FROM nodes WHERE name='me'"), 1);
}

static void test_secret_is_never_printed(void **state)
{
    static const char *const secret[] = {"peer", "secret", "me", "-", NULL};
    static const char *const show[] = {"peer", "show", "me", NULL};
    static const char *const show_json[] = {"peer", "show", "me", "--json", NULL};
    static const char *const list_json[] = {"peer", "list", "--json", NULL};
    char *out = NULL;

    (void)state;
    if (cli_stdin(SECRET "\n", secret, &out) != 0)
        fail_msg("peer secret: %s", out);
    assert_non_null(strstr(out, "never shown"));
    assert_null(strstr(out, SECRET));
    free(out);
    cli_ok(show, &out);
    assert_non_null(strstr(out, "set (never shown)"));
    assert_null(strstr(out, SECRET));
    free(out);
    cli_ok(show_json, &out);
    assert_non_null(strstr(out, "\"secret_set\":true"));
    assert_null(strstr(out, SECRET));
    free(out);
    cli_ok(list_json, &out);
    assert_null(strstr(out, SECRET));
    free(out);
    assert_int_equal(req("GET", "/api/v1/peers", key_staff, "application/json"), 200);
    assert_null(strstr(last.body, SECRET));
    /* it is in the store, for the sync client */
    assert_int_equal(db_has("SELECT 1 FROM nodes WHERE out_secret='" SECRET "'"), 1);
}

static void test_peer_key_reads_taxii_only(void **state)
{
    json_t *colls;

    (void)state;
    assert_int_equal(req("GET", "/taxii2/api/collections/", key_peer, TAXII_TYPE), 200);
    colls = json_object_get(last_json, "collections");
    /* its communities, then mreza-direct (test_taxii_peers.c reads them) */
    assert_int_equal(json_array_size(colls), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(colls, 0), "alias")), "regional");
    assert_true(json_is_true(json_object_get(json_array_get(colls, 0), "can_read")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(colls, 1), "alias")), "mreza-direct");
    /* the national community is not the peer's: 404 as if there were none */
    assert_int_equal(req("GET", "/taxii2/api/collections/national/", key_peer, TAXII_TYPE), 404);
    assert_int_equal(req("GET", "/taxii2/api/collections/regional/", key_peer2, TAXII_TYPE), 200);
    /* the REST API is the members' */
    assert_int_equal(req("GET", "/api/v1/objects", key_peer, "application/json"), 403);
    assert_non_null(last_json);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(last_json, "error"), "message")),
                           "/taxii2/ only"));
    assert_int_equal(req("GET", "/api/v1/peers", key_peer, "application/json"), 403);
    assert_int_equal(req("GET", "/api/v1/whoami", key_peer, "application/json"), 403);
    /* a revoked peer key is nobody */
    assert_int_equal(req("GET", "/taxii2/api/collections/", key_revoked, TAXII_TYPE), 401);
    assert_non_null(strstr(last.body, "revoked"));
    assert_string_equal(json_string_value(json_object_get(last_json, "http_status")), "401");
}

static void test_peers_endpoint(void **state)
{
    json_t *p;

    (void)state;
    assert_int_equal(req("GET", "/api/v1/peers", key_analyst, "application/json"), 403);
    assert_int_equal(req("GET", "/api/v1/peers", NULL, "application/json"), 401);
    assert_int_equal(req("GET", "/api/v1/peers", key_staff, "application/json"), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "peers")), 1);
    p = json_array_get(json_object_get(last_json, "peers"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "me");
    assert_string_equal(json_string_value(json_object_get(p, "url")), "https://me.example:8470/taxii2/api/");
    assert_string_equal(json_string_value(json_object_get(p, "state")), "new");
    assert_string_equal(json_string_value(json_object_get(p, "direction")), "pull");
    assert_string_equal(json_string_value(json_object_get(p, "verify")), "system");
    assert_true(json_is_null(json_object_get(p, "last_success")));
    assert_true(json_is_null(json_object_get(p, "last_error")));
    assert_true(json_is_null(json_object_get(p, "lag_seconds")));
    assert_int_equal(json_integer_value(json_object_get(p, "consecutive_failures")), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "keys_active")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "orgs"), 0)), "me-cirt");
    assert_non_null(json_object_get(json_object_get(p, "refused"), "owner"));
}

static void test_bind_and_check(void **state)
{
    static const char *const bind_local[] = {"peer", "bind", "me", "al-cert", NULL};
    static const char *const check[] = {"check", NULL};
    char *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(h_cli_err(&node, &out, &err, bind_local), 1);
    assert_non_null(strstr(err, "has users on this node"));
    free(out);
    free(err);
    cli_ok(check, &out);
    assert_non_null(strstr(out, "ok\npeers 1 (keys 3, remote organisations 1)"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_refuses_plain_http),
        cmocka_unit_test(test_secret_is_never_printed),
        cmocka_unit_test(test_peer_key_reads_taxii_only),
        cmocka_unit_test(test_peers_endpoint),
        cmocka_unit_test(test_bind_and_check),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
