/* tests/integ/attack5_withdraw.c - the fifth hostile review (issue 11's fixes,
 * re-attacked at 755a60f): withdrawals that never travel because of the caps the
 * third attack's A8 fix (svc_sync.c tombstone_room) put on a peer's tombstones.
 * NOT in the suite (tests/run.sh and tests-build take test_*.c only); each test FAILS
 * on 755a60f. Build and run:
 *   make -s -j2 SANITIZE=1 build/san/mreza build/san/tests/integ/attack5_withdraw
 *   BUILD=build/san sh tests/run.sh build/san/tests/integ/attack5_withdraw
 *   - C1 test_attack_quota_blocks_withdrawal: a is started with
 *     ingest.max_objects_per_org=2; b's reporter of me-cirt posts the CLEAR it will
 *     later retract, then three more; a pulls (the first and what fits stored, the rest
 *     refused cap: me-cirt is at its quota on a). b withdraws the first (owner_keeps
 *     false). a pulls: the tombstone is refused as cap (the owner's quota is full), so
 *     a's readers still read the withdrawn version: a withdrawal, which frees room,
 *     is counted as a new row. Anyone who posts as me-cirt on b (its reporter) fills
 *     the quota and so blocks the organisation's retractions on every peer;
 *   - C4 test_attack_cycles_freeze_withdrawal: a at ingest.max_versions=2 (standing
 *     for the default 1000); b withdraws and restores the same CLEAR (a pulling after
 *     each), then withdraws it for good: a's copy of the tombstone id is at 2
 *     versions, the last withdrawal is refused cap, and a serves the version b
 *     withdrew (with 3, the lost change is the second restore instead). Each
 *     withdraw/restore writes a new version of one tombstone id per version
 *     (svc_withdraw.c tomb_of), so the cap counts state changes, not objects. */
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

/* the cap under test, for `mreza sync` (which reads its settings, not serve's) */
static const char *sync_set = "sync.retries=0";

static int sync_one(struct hnode *n, const char *peer, char **out)
{
    const char *argv[] = {"sync", "--set", "sync.page_size=7", "--set", "sync.request_timeout=5", "--set",
                          "sync.retries=0", "--set", sync_set, peer, NULL};
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
static void two_nodes(struct two *t, const char *const *b_sets, const char *const *a_sets)
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
    h_start(&t->a, a_sets);
}

static void two_free(struct two *t)
{
    assert_int_equal(h_node_free(&t->a), 0);
    assert_int_equal(h_node_free(&t->b), 0);
}


static long withdraw(struct hnode *n, const char *key, const char *id, const char *body)
{
    struct hresp r;
    char path[200];
    long st;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    st = h_http(n, "POST", path, key, body, strlen(body), &r);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "withdraw %ld: %.300s\n", st, r.body ? r.body : "");
    hresp_free(&r);
    return st;
}

static void pull(struct two *t, char **out)
{
    *out = NULL;
    assert_int_equal(sync_one(&t->a, "nodeb", out), 0);
}

static void test_attack_quota_blocks_withdrawal(void **state)
{
    struct two t;
    const char *const a_sets[] = {"ingest.max_objects_per_org=2", NULL};
    char id[64], other[64], *out = NULL;
    long before, after;

    (void)state;
    sync_set = a_sets[0];
    two_nodes(&t, NULL, a_sets);
    aid(id, 10);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "to be retracted", 0);
    for (int i = 11; i < 14; i++) {
        aid(other, i);
        post_on(&t.b, t.key_b, other, CLEAR_ID, NULL, "filler", 0);
    }
    pull(&t, &out);
    free(out);
    before = get_object(&t.a, t.key_a, id);
    assert_int_equal(withdraw(&t.b, t.key_b, id, "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    pull(&t, &out);
    after = get_object(&t.a, t.key_a, id);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "second pull: %s\n", out ? out : "");
    free(out);
    two_free(&t);
    assert_int_equal(before, 200);
    /* the owner withdrew it: a's readers must not read it any more */
    assert_int_equal(after, 404);
}

static void test_attack_cycles_freeze_withdrawal(void **state)
{
    struct two t;
    const char *const a_sets[] = {"ingest.max_versions=2", NULL};
    const char *wd = "{\"versions\":\"all\"}", *rs = "{\"versions\":\"all\",\"restore\":true}";
    char id[64], *out = NULL;
    long before, after;

    (void)state;
    sync_set = a_sets[0];
    two_nodes(&t, NULL, a_sets);
    aid(id, 20);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "cycled", 0);
    pull(&t, &out);
    free(out);
    before = get_object(&t.a, t.key_a, id);
    for (int i = 0; i < 1; i++) {
        assert_int_equal(withdraw(&t.b, t.key_b_admin, id, wd), 200);
        pull(&t, &out);
        free(out);
        assert_int_equal(withdraw(&t.b, t.key_b_admin, id, rs), 200);
        pull(&t, &out);
        free(out);
    }
    assert_int_equal(get_object(&t.a, t.key_a, id), 200);
    assert_int_equal(withdraw(&t.b, t.key_b_admin, id, wd), 200);
    pull(&t, &out);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "last pull: %s\n", out ? out : "");
    free(out);
    after = get_object(&t.a, t.key_a, id);
    two_free(&t);
    assert_int_equal(before, 200);
    assert_int_equal(after, 404);
}

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
        cmocka_unit_test(test_attack_quota_blocks_withdrawal),
        cmocka_unit_test(test_attack_cycles_freeze_withdrawal),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
