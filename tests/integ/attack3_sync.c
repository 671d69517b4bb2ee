/* tests/integ/attack3_sync.c - a hostile review's reproductions of OPEN findings in
 * push, pull bookmarks and the scheduler (docs/security.md, "Issue 11: push, join and
 * the scheduler, attacked"). Each test FAILS on main at 4c5b783; none is in the
 * suite (tests/run.sh and tests-build take tests/integ/test_*.c only). Build and run
 * one by hand:
 *   make -s -j2 SANITIZE=1 build/san/mreza build/san/tests/integ/attack3_sync
 *   BUILD=build/san sh tests/run.sh build/san/tests/integ/attack3_sync
 * When a finding is fixed, move its test into the suite's file (test_fed_push.c,
 * test_fed_client.c, test_fed_join.c) and delete it here. A1-A4, A6, A7 were fixed
 * and moved (tests/integ/test_fed_stall.c).
 *
 *   A5 test_attack_resumed_run_second_page_400: a run that resumes from a bookmark
 *      follows next without added_after; b binds its token to the query: 400.
 *   A8 test_attack_tombstones_bypass_caps: a peer's tombstone versions are not capped.
 *   A9 test_attack_full_withdrawal_never_travels: "x_mreza_keep_refs": [] is refused.
 *   A10 test_attack_pass_on_never_travels: an AMBER passed on to a peer's organisation
 *      after the push went past it is never pushed (mreza-direct: first grant).
 *   A11 test_attack_removed_home_id_reused: a removed home's id goes to the next peer.
 *   A12 test_attack_both_without_pull_never_pushes: direction both, no pull: no push.
 *   A13 test_attack_post_skips_objects_per_id_cap: a POSTed copy is not capped (R6.5).
 */
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
#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

static struct h_tls T;

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
        fail_msg("%s %s: exit %d: %s", argv[0], argv[1], rc, err ? err : "");
    free(out);
    free(err);
}

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

/* Post one indicator on n as key; desc_len bytes of description (0: none); name. */
static void post_on(struct hnode *n, const char *key, const char *id, const char *marking, const char *audience,
                    const char *name, size_t desc_len)
{
    struct hresp r;
    char *desc = calloc(1, desc_len + 1), *body = malloc(desc_len + 2000);

    assert_non_null(desc);
    assert_non_null(body);
    memset(desc, 'd', desc_len);
    memset(&r, 0, sizeof r);
    snprintf(body, desc_len + 2000,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"%s\",\"pattern\":\"[domain-name:value = "
             "'push.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s%s%s%s%s%s}",
             id, name, marking, audience ? ",\"x_mreza_recipient_refs\":[" : "", audience ? audience : "",
             audience ? "]" : "", desc_len ? ",\"description\":\"" : "", desc, desc_len ? "\"" : "");
    if (h_http(n, "POST", "/api/v1/objects", key, body, strlen(body), &r) != 201)
        fail_msg("post %s: %ld %s", id, r.status, r.body ? r.body : "");
    hresp_free(&r);
    free(desc);
    free(body);
}

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

#define AID(n) "indicator--a3000000-0000-4000-8000-0000000001%02d", (n)

static void aid(char *out, int n)
{
    snprintf(out, 64, AID(n));
}

/* ---- A1, A5, A6: pulling from a mreza peer ---- */

struct two {
    struct hnode a, b;
    char key_a[64], key_b[64], key_b_admin[64], ident_a[80], ident_me[80];
};

/* a pulls b's mreza-direct (b started with b_sets); b's reporter posts. */
static void two_nodes(struct two *t, const char *const *b_sets)
{
    char url[128], keyfile[320], *out = NULL, *err = NULL, *k;
    const char *add_on_b[] = {"peer", "add", "nodea", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_on_b[] = {"peer", "bind", "nodea", t->ident_a, "--name", "al-cert", NULL};
    const char *add[] = {"peer", "add", "nodeb", "--url", url, "--ca-file", tls_file("ca", "pem"), "--org",
                         t->ident_me, NULL};
    const char *secret[] = {"peer", "secret", "nodeb", keyfile, NULL};
    FILE *f;

    h_node_init(&t->a);
    h_add_org(&t->a, "al-cert", "AL", "national-csirt");
    h_add_user(&t->a, "analyst@al-cert", "al-cert", "analyst", t->key_a);
    h_identity(&t->a, "org", "al-cert", t->ident_a);
    h_node_init(&t->b);
    h_add_org(&t->b, "me-cirt", "ME", "national-csirt");
    h_add_user(&t->b, "reporter@me-cirt", "me-cirt", "reporter", t->key_b);
    h_add_user(&t->b, "admin@me-cirt", "me-cirt", "admin", t->key_b_admin);
    h_identity(&t->b, "org", "me-cirt", t->ident_me);
    assert_int_equal(h_cli_err(&t->b, &out, &err, add_on_b), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    snprintf(keyfile, sizeof keyfile, "%s/key-for-b", t->a.dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
    cli_ok(&t->b, bind_on_b);
    h_start_tls(&t->b, &T, "node", b_sets, NULL);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", t->b.port);
    cli_ok(&t->a, add);
    cli_ok(&t->a, secret);
    h_start(&t->a, NULL);
}

static void two_free(struct two *t)
{
    assert_int_equal(h_node_free(&t->a), 0);
    assert_int_equal(h_node_free(&t->b), 0);
}



/* Held (kept as a check): withdraw, restore, withdraw again on b, a pulling after
 * each and after all three at once: every run ok, a follows b each time. */
static long wd_on(struct hnode *n, const char *key, const char *id, const char *body)
{
    struct hresp r;
    char path[200];
    long st;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    st = h_http(n, "POST", path, key, body, strlen(body), &r);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "withdraw %ld: %.200s\n", st, r.body ? r.body : "");
    hresp_free(&r);
    return st;
}

static void test_held_withdraw_restore_cycles(void **state)
{
    struct two t;
    char id[64], id2[64], *out = NULL;
    const char *wd = "{\"versions\":\"all\"}", *rs = "{\"versions\":\"all\",\"restore\":true}";
    long got[6];
    int rc[4];

    (void)state;
    two_nodes(&t, NULL);
    aid(id, 97);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "cycled", 0);
    aid(id2, 98);
    post_on(&t.b, t.key_b, id2, CLEAR_ID, NULL, "cycled before a pulls", 0);
    rc[0] = sync_one(&t.a, "nodeb", &out);
    free(out);
    got[0] = get_object(&t.a, t.key_a, id);
    wd_on(&t.b, t.key_b, id, wd);
    rc[1] = sync_one(&t.a, "nodeb", &out);
    free(out);
    got[1] = get_object(&t.a, t.key_a, id);
    wd_on(&t.b, t.key_b_admin, id, rs);
    rc[2] = sync_one(&t.a, "nodeb", &out);
    free(out);
    got[2] = get_object(&t.a, t.key_a, id);
    wd_on(&t.b, t.key_b, id, wd);
    /* id2: withdrawn, restored, withdrawn, restored before a's next pull */
    wd_on(&t.b, t.key_b, id2, wd);
    wd_on(&t.b, t.key_b_admin, id2, rs);
    wd_on(&t.b, t.key_b, id2, wd);
    wd_on(&t.b, t.key_b_admin, id2, rs);
    rc[3] = sync_one(&t.a, "nodeb", &out);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s", out ? out : "");
    free(out);
    got[3] = get_object(&t.a, t.key_a, id);
    got[4] = get_object(&t.a, t.key_a, id2);
    two_free(&t);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rc[i], 0);
    assert_int_equal(got[0], 200);
    assert_int_equal(got[1], 404);
    assert_int_equal(got[2], 200);
    assert_int_equal(got[3], 404);
    assert_int_equal(got[4], 200);
}


/* ---- push to a taxii peer: the node and its sink ---- */






/* ---- A8: tombstones from a peer bypass ingest's caps ---- */

#define IDENT_ME "identity--3e000000-0000-4000-8000-000000000001"
#define TOMB "x-mreza-withdrawal--a8000000-0000-4000-8000-000000000001"
#define IND8 "indicator--a8000000-0000-4000-8000-000000000002"



/* A13: R6.5's cap on objects of one id (sync.max_objects_per_id, "for what peers
 * send") is applied to pulled pages (fed_pull.c sets it) but not to pages a peer
 * POSTs: api_taxii_write.c's bundle_limits leave max_objects_per_id 0, and
 * svc_sync_receive_items takes them as they are. With the cap at 1, a local copy of
 * an SCO and a peer's POSTed copy are both stored. */
#define SCO13 "domain-name--eee95806-77e8-5b39-acb2-4b55a8330108"


static int setup(void **state)
{
    (void)state;
    h_tls_ca(&T);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_tls_free(&T);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_withdraw_restore_cycles),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
