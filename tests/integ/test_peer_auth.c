/* tests/integ/test_peer_auth.c - how a peer proves who it is when it calls this node
 * (issue 11: "a peer may require mutual TLS from the nodes it accepts"; peer keys'
 * rotation; docs/federation.md 9.1, docs/security.md): node s serves TLS with
 * tls.client_ca (the harness's test CA) and knows peer nc; node c knows s as a mreza
 * peer.
 *   - mutual TLS: with `peer set nc --require-client-cert`, nc's key gets 401 (a TAXII
 *     error object saying what to do) with no certificate, with one of another CA and
 *     with an expired one, 200 with one of the test CA; a user's key needs none; with
 *     `--client-pin` the certificate's key must have that pin (node's: 401, node2's:
 *     200); `--no-require-client-cert` lifts it all; `peer show --json` says so;
 *   - end to end: c's `mreza sync ns` ends with `auth` without a client certificate
 *     and pulls s's CLEAR indicator with `peer set ns --client-cert/--client-key`;
 *   - rotation: `peer key rotate nc` prints a new key; the old ones (two) get 401 at
 *     once, the new one 200 (and c syncs with it); with `--grace 1h` the old key keeps
 *     working beside the new one, listed with its revocation time; the rotation is
 *     logged; a grace over 7 days is refused and changes nothing.
 * Every case failed before: a peer's require_client_cert was shown but never asked
 * for, there was no --client-pin, and `peer key rotate` was unknown (exit 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define IND "indicator--a1100000-0000-4000-8000-000000000001"
#define PATH "/taxii2/api/collections/"

static struct h_tls T;
static struct hnode s, c;
static char key_analyst[64], key_nc[64], ident_s[80], keyfile[320];

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

static void cli_ok(struct hnode *n, const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(n, &out, &err, argv);

    if (rc)
        fail_msg("%s %s: exit %d: %s%s", argv[0], argv[1], rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
}

/* The key a CLI command printed (the line starting "mz_") into key (64 bytes). */
static void key_of(const char *out, char *key)
{
    const char *k = strstr(out, "\nmz_");

    assert_non_null(k);
    snprintf(key, 64, "%.*s", (int)strcspn(k + 1, "\r\n"), k + 1);
}

static void pin_of(const char *path, char *out)
{
    const char *b = getenv("MREZA_BIN");
    const char *const argv[] = {b ? b : "build/mreza", "tls", "pin", path, NULL};
    char *text = NULL;

    assert_int_equal(h_run(argv, &text), 0);
    assert_true(sscanf(text, "%127s", out) == 1);
    free(text);
}

/* GET the collections on s as key, presenting cert (NULL: none); the status, the
 * body into body (may be NULL, 600 bytes). */
static long get_as(const char *key, const char *cert, char *body)
{
    struct hresp r;
    long st;

    memset(&r, 0, sizeof r);
    s.cert[0] = s.key[0] = '\0';
    if (cert) {
        snprintf(s.cert, sizeof s.cert, "%s", tls_file(cert, "pem"));
        snprintf(s.key, sizeof s.key, "%s", tls_file(cert, "key"));
    }
    st = h_http(&s, "GET", PATH, key, NULL, 0, &r);
    if (body)
        snprintf(body, 600, "%s", r.body ? r.body : "");
    hresp_free(&r);
    s.cert[0] = s.key[0] = '\0';
    return st;
}

/* `mreza sync ns` on c: its exit status; stdout into out (600 bytes). */
static int sync_c(char *out)
{
    const char *argv[] = {"sync", "--set", "sync.retries=0", "--set", "sync.request_timeout=10", "ns", NULL};
    char *o = NULL, *e = NULL;
    int rc = h_cli_err(&c, &o, &e, argv);

    snprintf(out, 600, "%s%s", o ? o : "", e ? e : "");
    free(o);
    free(e);
    return rc;
}

static int setup(void **state)
{
    char ca_set[400], url[128], *out = NULL;
    const char *sets[] = {ca_set, NULL};
    const char *add_nc[] = {"peer", "add", "nc", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    struct hresp r;
    char body[1200];
    FILE *f;

    (void)state;
    h_tls_ca(&T);
    h_node_init(&s);
    h_node_init(&c);
    h_add_org(&s, "s-cert", "AL", "national-csirt");
    h_add_user(&s, "analyst@s-cert", "s-cert", "analyst", key_analyst);
    h_identity(&s, "org", "s-cert", ident_s);
    h_add_org(&c, "c-cert", "ME", "national-csirt");
    assert_int_equal(h_cli(&s, &out, add_nc), 0);
    key_of(out, key_nc);
    free(out);
    snprintf(ca_set, sizeof ca_set, "tls.client_ca=%s", tls_file("ca", "pem"));
    h_start_tls(&s, &T, "node", sets, NULL);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" IND "\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"pattern\":\"[domain-name:value = 'mtls.example']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" CLEAR_ID
             "\"]}");
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&s, "POST", "/api/v1/objects", key_analyst, body, strlen(body), &r), 201);
    hresp_free(&r);

    /* c: s as a mreza peer, verified by the test CA, with the key s issued for nc */
    snprintf(keyfile, sizeof keyfile, "%s/key-from-s", c.dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", key_nc);
    fclose(f);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", s.port);
    {
        const char *add[] = {"peer", "add", "ns", "--url", url, "--ca-file", tls_file("ca", "pem"), "--org", ident_s,
                             "--secret-file", keyfile, NULL};
        cli_ok(&c, add);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&s);
    h_node_free(&c);
    h_tls_free(&T);
    return 0;
}

static void test_mtls_required(void **state)
{
    const char *req[] = {"peer", "set", "nc", "--require-client-cert", NULL};
    const char *show[] = {"peer", "show", "nc", "--json", NULL};
    char body[600], *out = NULL;
    json_t *j, *e;

    (void)state;
    /* before: the key alone will do */
    assert_int_equal(get_as(key_nc, NULL, NULL), 200);
    cli_ok(&s, req);
    assert_int_equal(h_cli(&s, &out, show), 0);
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "require_client_cert")));
    assert_true(json_is_null(json_object_get(j, "client_pin")));
    json_decref(j);

    assert_int_equal(get_as(key_nc, NULL, body), 401);
    assert_non_null(strstr(body, "peer nc must present its client certificate"));
    e = json_loads(body, 0, NULL); /* a TAXII error object */
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "http_status")), "401");
    assert_true(json_is_string(json_object_get(e, "title")));
    json_decref(e);
    assert_int_equal(get_as(key_nc, "wrong", body), 401);
    assert_non_null(strstr(body, "is not trusted here"));
    assert_int_equal(get_as(key_nc, "expired", body), 401);
    assert_non_null(strstr(body, "is not trusted here"));
    assert_int_equal(get_as(key_nc, "node2", NULL), 200);
    assert_int_equal(get_as(key_nc, "node", NULL), 200);
    /* a user needs no certificate */
    assert_int_equal(get_as(key_analyst, NULL, NULL), 200);
}

static void test_mtls_pin(void **state)
{
    char pin_node[128], pin_node2[128], body[600], *out = NULL, *err = NULL;
    const char *set_pin[] = {"peer", "set", "nc", "--client-pin", pin_node, NULL};
    const char *set_pin2[] = {"peer", "set", "nc", "--client-pin", pin_node2, NULL};
    const char *bad_pin[] = {"peer", "set", "nc", "--client-pin", "sha256//short", NULL};
    const char *both[] = {"peer", "set", "nc", "--no-require-client-cert", "--client-pin", pin_node2, NULL};
    const char *show[] = {"peer", "show", "nc", "--json", NULL};
    json_t *j;

    (void)state;
    pin_of(tls_file("node", "pem"), pin_node);
    pin_of(tls_file("node2", "pem"), pin_node2);
    cli_ok(&s, set_pin);
    assert_int_equal(get_as(key_nc, "node2", body), 401);
    assert_non_null(strstr(body, "does not match the pin set for it"));
    assert_int_equal(get_as(key_nc, "node", NULL), 200);
    cli_ok(&s, set_pin2);
    assert_int_equal(get_as(key_nc, "node", body), 401);
    assert_int_equal(get_as(key_nc, "node2", NULL), 200);
    assert_int_equal(get_as(key_nc, NULL, NULL), 401);
    assert_int_equal(h_cli(&s, &out, show), 0);
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "client_pin")), pin_node2);
    json_decref(j);
    /* refused settings change nothing */
    assert_int_equal(h_cli_err(&s, &out, &err, bad_pin), 1);
    assert_non_null(strstr(err, "client pin"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&s, &out, &err, both), 1);
    free(out);
    free(err);
    assert_int_equal(get_as(key_nc, "node2", NULL), 200);
    assert_int_equal(get_as(key_nc, "node", NULL), 401);
}

/* c's sync of s: refused without a client certificate, complete with node2's. */
static void test_sync_with_client_cert(void **state)
{
    const char *cert[] = {"peer", "set", "ns", "--client-cert", tls_file("node2", "pem"), "--client-key",
                          tls_file("node2", "key"), NULL};
    char out[600];

    (void)state;
    assert_int_equal(sync_c(out), 1);
    assert_non_null(strstr(out, " auth "));
    assert_int_equal(h_db_count(&c, "stix_id='" IND "'"), 0);
    cli_ok(&c, cert);
    if (sync_c(out) != 0)
        fail_msg("sync with a client certificate: %s", out);
    assert_non_null(strstr(out, " ok "));
    assert_int_equal(h_db_count(&c, "stix_id='" IND "' AND via=(SELECT id FROM nodes WHERE name='ns')"), 1);
}

static void test_mtls_lifted(void **state)
{
    const char *off[] = {"peer", "set", "nc", "--no-require-client-cert", NULL};
    const char *show[] = {"peer", "show", "nc", "--json", NULL};
    char *out = NULL;
    json_t *j;

    (void)state;
    cli_ok(&s, off);
    assert_int_equal(get_as(key_nc, NULL, NULL), 200);
    assert_int_equal(get_as(key_nc, "wrong", NULL), 200); /* not asked: not judged */
    assert_int_equal(h_cli(&s, &out, show), 0);
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    assert_true(json_is_false(json_object_get(j, "require_client_cert")));
    assert_true(json_is_null(json_object_get(j, "client_pin")));
    json_decref(j);
}

/* Rotation: every working key of the peer replaced at once by the new one. */
static void test_rotate(void **state)
{
    const char *issue[] = {"peer", "key", "issue", "nc", "--comment", "second", NULL};
    const char *rotate[] = {"peer", "key", "rotate", "nc", NULL};
    const char *list[] = {"peer", "key", "list", "nc", NULL};
    const char *secret[] = {"peer", "secret", "ns", keyfile, NULL};
    char second[64], fresh[64], out_sync[600], *out = NULL, *err = NULL;
    FILE *f;

    (void)state;
    assert_int_equal(h_cli(&s, &out, issue), 0);
    key_of(out, second);
    free(out);
    assert_int_equal(get_as(second, NULL, NULL), 200);
    assert_int_equal(h_cli_err(&s, &out, &err, rotate), 0);
    key_of(out, fresh);
    assert_non_null(strstr(out, "its 2 old keys are revoked now"));
    assert_non_null(strstr(err, "event=peer_key action=rotate peer=nc"));
    assert_non_null(strstr(err, "replaced=2 grace=0"));
    free(out);
    free(err);
    assert_int_equal(get_as(key_nc, NULL, NULL), 401);
    assert_int_equal(get_as(second, NULL, NULL), 401);
    assert_int_equal(get_as(fresh, NULL, NULL), 200);
    assert_int_equal(h_cli(&s, &out, list), 0);
    assert_int_equal(h_count(out, " revoked "), 2);
    assert_int_equal(h_count(out, " active "), 1);
    free(out);
    /* c with the old key: auth; with the new one: ok */
    assert_int_equal(sync_c(out_sync), 1);
    assert_non_null(strstr(out_sync, " auth "));
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", fresh);
    fclose(f);
    cli_ok(&c, secret);
    if (sync_c(out_sync) != 0)
        fail_msg("sync with the rotated key: %s", out_sync);
    snprintf(key_nc, sizeof key_nc, "%s", fresh);
}

/* With a grace period the old key works beside the new one until it ends. */
static void test_rotate_grace(void **state)
{
    const char *rotate[] = {"peer", "key", "rotate", "nc", "--grace", "1h", NULL};
    const char *too_long[] = {"peer", "key", "rotate", "nc", "--grace", "8d", NULL};
    const char *grace_on_issue[] = {"peer", "key", "issue", "nc", "--grace", "1h", NULL};
    const char *list[] = {"peer", "key", "list", "nc", NULL};
    char fresh[64], *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(h_cli_err(&s, &out, &err, too_long), 1);
    assert_non_null(strstr(err, "grace"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&s, &out, &err, grace_on_issue), 2);
    free(out);
    free(err);
    assert_int_equal(h_cli(&s, &out, list), 0);
    assert_int_equal(h_count(out, " active "), 1);
    free(out);
    assert_int_equal(h_cli_err(&s, &out, &err, rotate), 0);
    key_of(out, fresh);
    assert_non_null(strstr(out, "its 1 old key works for 1h more"));
    assert_non_null(strstr(err, "replaced=1 grace=3600"));
    free(out);
    free(err);
    assert_int_equal(get_as(key_nc, NULL, NULL), 200);
    assert_int_equal(get_as(fresh, NULL, NULL), 200);
    assert_int_equal(h_cli(&s, &out, list), 0);
    assert_int_equal(h_count(out, " active "), 2); /* the old one until its revocation time */
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtls_required),
        cmocka_unit_test(test_mtls_pin),
        cmocka_unit_test(test_sync_with_client_cert),
        cmocka_unit_test(test_mtls_lifted),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_rotate_grace),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
