/* tests/integ/test_fed_push.c - push and withdrawals between nodes (issue 11,
 * docs/federation.md 10.4):
 *   - push to a taxii peer (tests/taxii/taxii_server.py over TLS, recording what is
 *     POSTed): 20 CLEAR/GREEN objects, one AMBER addressed to the peer's organisation,
 *     and AMBER addressed to this node's organisation alone and RED beside them; at
 *     sync.page_size 7 the peer receives, in pages of at most 7, exactly the 21 its
 *     principal may read (and this node's organisation's identity), each once
 *     (`--push-collection ID=national`: its GREEN; `ID=mreza-direct`: CLEAR and the
 *     AMBER); `peer show` counts pushed 22; a second run POSTs nothing;
 *   - a peer that answers 500 to the second page: the run fails (http_5xx) with the
 *     first page's 7 pushed and its bookmark; the next run pushes the other 15, none
 *     twice, nothing lost;
 *   - two mreza nodes: this node pulls a CLEAR indicator and one addressed to its
 *     organisation from b, b's owner withdraws both (and one this node never
 *     received), this node pulls again: the tombstones arrive from the owner's home
 *     node and are applied, the indicators are 404 here for their former readers; the
 *     tombstone of the version never received is stored and applies to nothing.
 * No sleeps: the server fails a POST on its stdin's word. Every test failed before
 * push and tombstone receipt: nothing was POSTed (no --push-collection: exit 2), and
 * the tombstones were refused (`x-mreza-` types are the node's own), the indicators
 * still 200 here. */
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
#include "harness_fed.h"

#define SERVER "tests/taxii/taxii_server.py"
#define COLL "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
#define FEED1 "identity--feed0000-0000-4000-8000-000000000001"
#define FEED2 "identity--feed0000-0000-4000-8000-000000000002"
#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN_ID "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED_ID "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct h_tls T;
static struct hnode node;
static struct h_py feed1, feed2;
static char key_al[64], ident_al[80];

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

static void start(struct h_py *p)
{
    const char *args[] = {"--mode", "compliant", "--generate", "1", "--cert", tls_file("node", "pem"), "--key",
                          tls_file("node", "key"), NULL};

    h_py_start(p, SERVER, args);
}

static void cli_ok(struct hnode *n, const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(n, &out, &err, argv);

    if (rc)
        fail_msg("%s %s: exit %d: %s", argv[0], argv[1], rc, err ? err : "");
    free(out);
    free(err);
}

/* A push-only taxii peer name at p: national (its GREEN) and the direct view (CLEAR,
 * AMBER addressed to the peer) pushed to its collection; ident (the organisation
 * NAME-feed0000 here) owns what it sends. */
static void add_push_peer(const char *name, const struct h_py *p, const char *ident)
{
    char url[128], coll[128], direct[128];
    const char *argv[] = {"peer", "add", name, "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                          "--org", ident, "--direction", "push", "--push-collection", coll, "--push-collection",
                          direct, NULL};

    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", p->port);
    snprintf(coll, sizeof coll, "%s=national", COLL);
    snprintf(direct, sizeof direct, "%s=mreza-direct", COLL);
    cli_ok(&node, argv);
}

/* `mreza sync PEER` at page size 7, no retry; stdout into *out (free it). */
static int sync_one(struct hnode *n, const char *peer, char **out)
{
    const char *argv[] = {"sync", "--set", "sync.page_size=7", "--set", "sync.request_timeout=5", "--set",
                          "sync.retries=0", peer, NULL};
    char *err = NULL;
    int rc = h_cli_err(n, out, &err, argv);

    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "sync: %d\n%s%s", rc, *out ? *out : "", err ? err : "");
    free(err);
    return rc;
}

static json_t *peer_json(struct hnode *n, const char *name)
{
    const char *argv[] = {"peer", "show", name, "--json", NULL};
    char *out = NULL;
    json_t *j;

    assert_int_equal(h_cli(n, &out, argv), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    free(out);
    return j;
}

/* Post one indicator on n as key (audience: a quoted identity list, or NULL). */
static void post_on(struct hnode *n, const char *key, const char *id, const char *marking, const char *audience)
{
    struct hresp r;
    char body[1500];

    memset(&r, 0, sizeof r);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"push\",\"pattern\":\"[domain-name:value = "
             "'push.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s%s%s}",
             id, marking, audience ? ",\"x_mreza_recipient_refs\":[" : "", audience ? audience : "", audience ? "]" : "");
    if (h_http(n, "POST", "/api/v1/objects", key, body, strlen(body), &r) != 201)
        fail_msg("post %s: %ld %s", id, r.status, r.body ? r.body : "");
    hresp_free(&r);
}

#define PID(n) "indicator--7e000000-0000-4000-8000-0000000001%02d", (n)

static void pid(char *out, int n)
{
    snprintf(out, 64, PID(n));
}

/* The objects posted to p (each id, in order) into out (static). */
static const char *posted_ids(struct h_py *p)
{
    static char line[8192];

    h_py_cmd(p, "posted_ids");
    assert_true(h_py_wait(p, "posted_ids", 5000, line, sizeof line));
    return line;
}

static int count_in(const char *s, const char *needle)
{
    int n = 0;

    for (const char *q = s; (q = strstr(q, needle)) != NULL; q += strlen(needle))
        n++;
    return n;
}

/* The objects: 0..19 CLEAR (even) or GREEN (odd); 20 AMBER to FEED1 and FEED2; 21
 * AMBER to al-cert alone; 22 RED. */
static void post_objects(void)
{
    char id[64], quoted[200];

    for (int i = 0; i < 20; i++) {
        pid(id, i);
        post_on(&node, key_al, id, i % 2 ? GREEN_ID : CLEAR_ID, NULL);
    }
    pid(id, 20);
    post_on(&node, key_al, id, AMBER_ID, "\"" FEED1 "\",\"" FEED2 "\"");
    pid(id, 21);
    snprintf(quoted, sizeof quoted, "\"%s\"", ident_al);
    post_on(&node, key_al, id, AMBER_ID, quoted);
    pid(id, 22);
    post_on(&node, key_al, id, RED_ID, NULL);
}

/* What p received: 0..20 each once, never 21 or 22; al-cert's identity once. */
static void received_exactly(struct h_py *p)
{
    const char *ids = posted_ids(p);

    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", ids);
    char id[64];

    for (int i = 0; i < 23; i++) {
        pid(id, i);
        if (count_in(ids, id) != (i <= 20 ? 1 : 0))
            fail_msg("%s posted %d times: %s", id, count_in(ids, id), ids);
    }
    /* and al-cert's identity (CLEAR: every reader's), nothing else */
    if (count_in(ids, "indicator--7e") != 21 || count_in(ids, ident_al) != 1 || count_in(ids, "--") != 22)
        fail_msg("posted: %s", ids);
}

static int setup(void **state)
{
    const char *member1[] = {"community", "member", "add", "national", "feed1-feed0000", "--read", NULL};
    const char *member2[] = {"community", "member", "add", "national", "feed2-feed0000", "--read", NULL};

    (void)state;
    h_tls_ca(&T);
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", key_al);
    h_identity(&node, "org", "al-cert", ident_al);
    start(&feed1);
    start(&feed2);
    add_push_peer("feed1", &feed1, FEED1);
    add_push_peer("feed2", &feed2, FEED2);
    cli_ok(&node, member1);
    cli_ok(&node, member2);
    h_start(&node, NULL);
    post_objects();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_py_stop(&feed1);
    h_py_stop(&feed2);
    h_node_free(&node);
    h_tls_free(&T);
    return 0;
}

/* Pages of 7 of what the peer may read, each once; a second run POSTs nothing. */
static void test_push_pages_to_taxii_peer(void **state)
{
    char *out = NULL, line[256];
    json_t *j;

    (void)state;
    assert_int_equal(sync_one(&node, "feed1", &out), 0);
    assert_non_null(strstr(out, "pushed=22 push_refused=0 push_pages="));
    free(out);
    /* pages of at most 7 (a view's page may hold fewer: rows a reader may not read
     * are left out of it), 22 objects in all */
    for (int sum = 0, pages = 0; sum < 22; pages++) {
        long n;
        assert_true(pages < 6);
        assert_true(h_py_wait(&feed1, "posted ", 5000, line, sizeof line));
        n = strtol(line + 7, NULL, 10);
        assert_true(n >= 1 && n <= 7);
        sum += (int)n;
        assert_true(sum <= 22);
    }
    received_exactly(&feed1);
    j = peer_json(&node, "feed1");
    assert_int_equal(json_integer_value(json_object_get(j, "pushed")), 22);
    assert_int_equal(json_integer_value(json_object_get(j, "push_refused")), 0);
    json_decref(j);
    /* again: nothing new, nothing POSTed */
    assert_int_equal(sync_one(&node, "feed1", &out), 0);
    assert_null(strstr(out, "push_pages=1"));
    assert_non_null(strstr(out, "pushed=0 "));
    free(out);
    received_exactly(&feed1);
}

/* 500 on the second page: 7 pushed and kept; the rerun pushes the other 15. */
static void test_push_500_then_recover(void **state)
{
    char *out = NULL;
    json_t *j;

    (void)state;
    h_py_cmd(&feed2, "post_fail 2");
    assert_int_equal(sync_one(&node, "feed2", &out), 1);
    assert_non_null(strstr(out, "http_5xx"));
    assert_non_null(strstr(out, "pushed=7 "));
    free(out);
    assert_true(h_py_wait(&feed2, "post_failed ", 5000, NULL, 0));
    j = peer_json(&node, "feed2");
    assert_int_equal(json_integer_value(json_object_get(j, "pushed")), 7);
    json_decref(j);
    assert_int_equal(count_in(posted_ids(&feed2), "--"), 7);
    assert_int_equal(sync_one(&node, "feed2", &out), 0);
    assert_non_null(strstr(out, "pushed=15 "));
    free(out);
    received_exactly(&feed2);
    j = peer_json(&node, "feed2");
    assert_int_equal(json_integer_value(json_object_get(j, "pushed")), 22);
    json_decref(j);
}

#define TWO(n) "indicator--7e000000-0000-4000-8000-0000000002" #n

static long get_object(struct hnode *n, const char *key, const char *id)
{
    struct hresp r;
    char path[200];
    long st;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    st = h_http(n, "GET", path, key, NULL, 0, &r);
    hresp_free(&r);
    return st;
}

static void withdraw_on(struct hnode *n, const char *key, const char *id)
{
    struct hresp r;
    char path[200];
    const char *body = "{\"versions\":\"all\"}";

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    if (h_http(n, "POST", path, key, body, strlen(body), &r) != 200)
        fail_msg("withdraw %s: %ld %s", id, r.status, r.body ? r.body : "");
    hresp_free(&r);
}

/* Two mreza nodes: a (this test's) pulls b's mreza-direct; b's owner withdraws; a
 * pulls again: the indicators are 404 on a for their former readers. */
static void test_withdrawal_travels(void **state)
{
    struct hnode a, b;
    char key_b[64], key_a[64], ident_a[80], ident_me[80], quoted[100], url[128], keyfile[320], *out = NULL,
        *err = NULL, *k;
    const char *add_on_b[] = {"peer", "add", "nodea", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_on_b[] = {"peer", "bind", "nodea", ident_a, "--name", "al-cert", NULL};
    const char *add[] = {"peer", "add", "nodeb", "--url", url, "--ca-file", tls_file("ca", "pem"), "--org", ident_me,
                         NULL};
    const char *secret[] = {"peer", "secret", "nodeb", keyfile, NULL};
    FILE *f;

    (void)state;
    h_node_init(&a);
    h_add_org(&a, "al-cert", "AL", "national-csirt");
    h_add_user(&a, "analyst@al-cert", "al-cert", "analyst", key_a);
    h_identity(&a, "org", "al-cert", ident_a);
    h_node_init(&b);
    h_add_org(&b, "me-cirt", "ME", "national-csirt");
    h_add_user(&b, "analyst@me-cirt", "me-cirt", "analyst", key_b);
    h_identity(&b, "org", "me-cirt", ident_me);
    assert_int_equal(h_cli_err(&b, &out, &err, add_on_b), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    snprintf(keyfile, sizeof keyfile, "%s/key-for-b", a.dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
    cli_ok(&b, bind_on_b);
    h_start_tls(&b, &T, "node", NULL, NULL);
    snprintf(quoted, sizeof quoted, "\"%s\"", ident_a);
    post_on(&b, key_b, TWO(01), CLEAR_ID, NULL);
    post_on(&b, key_b, TWO(02), AMBER_ID, quoted);
    post_on(&b, key_b, TWO(03), CLEAR_ID, NULL);
    post_on(&b, key_b, TWO(04), CLEAR_ID, NULL);
    /* 04: withdrawn before a ever pulls it: only its tombstone travels */
    withdraw_on(&b, key_b, TWO(04));

    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", b.port);
    cli_ok(&a, add);
    cli_ok(&a, secret);
    h_start(&a, NULL);
    assert_int_equal(sync_one(&a, "nodeb", &out), 0);
    free(out);
    assert_int_equal(get_object(&a, key_a, TWO(01)), 200);
    assert_int_equal(get_object(&a, key_a, TWO(02)), 200);
    assert_int_equal(get_object(&a, key_a, TWO(03)), 200);
    assert_int_equal(get_object(&a, key_a, TWO(04)), 404);
    /* the tombstone of 04: stored, applied to nothing */
    assert_int_equal(h_db_count(&a, "stix_id LIKE 'x-mreza-withdrawal--%'"), 1);
    assert_int_equal(h_db_count(&a, "stix_id = '" TWO(04) "'"), 0);

    withdraw_on(&b, key_b, TWO(01));
    withdraw_on(&b, key_b, TWO(02));
    assert_int_equal(sync_one(&a, "nodeb", &out), 0);
    free(out);
    assert_int_equal(h_db_count(&a, "stix_id LIKE 'x-mreza-withdrawal--%'"), 3);
    assert_int_equal(get_object(&a, key_a, TWO(01)), 404);
    assert_int_equal(get_object(&a, key_a, TWO(02)), 404);
    assert_int_equal(get_object(&a, key_a, TWO(03)), 200);
    /* again: nothing new */
    assert_int_equal(sync_one(&a, "nodeb", &out), 0);
    assert_non_null(strstr(out, " ok             new=0 "));
    free(out);
    assert_int_equal(get_object(&a, key_a, TWO(01)), 404);
    assert_true(h_db_integrity_ok(&a));
    assert_int_equal(h_node_free(&a), 0);
    assert_int_equal(h_node_free(&b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pages_to_taxii_peer),
        cmocka_unit_test(test_push_500_then_recover),
        cmocka_unit_test(test_withdrawal_travels),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
