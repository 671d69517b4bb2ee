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

/* A5: a run that resumes from a bookmark follows next without added_after; b
 * binds its token to the query's added_after: 400 on the second page. */
static void test_attack_resumed_run_second_page_400(void **state)
{
    struct two t;
    char id[64], *out = NULL;
    int rc;

    (void)state;
    two_nodes(&t, NULL);
    aid(id, 60);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "first", 0);
    assert_int_equal(sync_one(&t.a, "nodeb", &out), 0); /* the bookmark is set */
    free(out);
    out = NULL;
    /* two pages of new CLEAR at sync.page_size 7 */
    for (int i = 1; i <= 10; i++) {
        aid(id, 60 + i);
        post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "second", 0);
    }
    rc = sync_one(&t.a, "nodeb", &out);
    long got = get_object(&t.a, t.key_a, id);
    two_free(&t);
    char said[512];
    snprintf(said, sizeof said, "%s", out ? out : "");
    free(out);
    if (rc)
        fail_msg("the resumed run failed: %s", said);
    assert_int_equal(got, 200);
}

/* A9: a withdrawal where the owner gives up the version too (owner_keeps false,
 * nobody named) writes a tombstone with "x_mreza_keep_refs": [], which STIX 2.1
 * forbids: the peer refuses it (invalid), so the withdrawal never reaches a, and
 * a's readers keep reading the version. */
static void test_attack_full_withdrawal_never_travels(void **state)
{
    struct two t;
    struct hresp r;
    char id[64], path[200], *out = NULL;
    const char *body = "{\"versions\":\"all\",\"owner_keeps\":false}";
    long before, after, wd;

    (void)state;
    two_nodes(&t, NULL);
    aid(id, 90);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "retract me", 0);
    assert_int_equal(sync_one(&t.a, "nodeb", &out), 0);
    free(out);
    out = NULL;
    before = get_object(&t.a, t.key_a, id);
    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    wd = h_http(&t.b, "POST", path, t.key_b, body, strlen(body), &r);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "withdraw %ld: %.300s\n", wd, r.body ? r.body : "");
    hresp_free(&r);
    sync_one(&t.a, "nodeb", &out);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s", out ? out : "");
    free(out);
    after = get_object(&t.a, t.key_a, id);
    two_free(&t);
    assert_int_equal(before, 200);
    assert_int_equal(wd, 200);
    /* withdrawn on its home node: 404 on a too (on 4c5b783: still 200, the
     * tombstone refused as invalid, `refused=1`) */
    assert_int_equal(after, 404);
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

/* A11: a peer's id is given again after `peer remove` when nothing but a joined
 * community names it: store_node_add's new id is past nodes, orgs.node, received and
 * peer_keys, not communities.home_node. a joins regional from h (no organisation of
 * h bound here, nothing received yet), removes h, adds evil: evil gets h's id and is
 * now regional's home here (homed_at: its organisations' GREEN stated into regional
 * is admitted on its word, and regional is pulled from it). */
static void test_attack_removed_home_id_reused(void **state)
{
    struct hnode a, h;
    char key_h[64], ident_a[80], url[128], keyfile[320], *out = NULL, *err = NULL, *k, sql[300];
    const char *comm_on_h[] = {"community", "add", "regional", "--kind", "regional", "--title", "WB", NULL};
    const char *add_on_h[] = {"peer", "add", "nodea", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_on_h[] = {"peer", "bind", "nodea", ident_a, "--name", "a-cirt", NULL};
    const char *mem_on_h[] = {"community", "member", "add", "regional", "a-cirt", "--read", "--write", NULL};
    const char *add_on_a[] = {"peer", "add", "home", "--url", url, "--ca-file", tls_file("ca", "pem"), NULL};
    const char *secret_on_a[] = {"peer", "secret", "home", keyfile, NULL};
    const char *join[] = {"community", "join", "regional", "--peer", "home", NULL};
    const char *remove[] = {"peer", "remove", "home", NULL};
    const char *add_evil[] = {"peer", "add", "evil", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *q_home[] = {"sqlite3", sql, "SELECT home_node FROM communities WHERE name='regional'", NULL};
    const char *q_evil[] = {"sqlite3", sql, "SELECT id FROM nodes WHERE name='evil'", NULL};
    char *home_id = NULL, *evil_id = NULL;
    FILE *f;

    (void)state;
    h_node_init(&a);
    h_node_init(&h);
    h_add_org(&a, "a-cirt", "AL", "national-csirt");
    h_identity(&a, "org", "a-cirt", ident_a);
    h_add_org(&h, "h-cirt", "ME", "national-csirt");
    h_add_user(&h, "analyst@h-cirt", "h-cirt", "analyst", key_h);
    cli_ok(&h, comm_on_h);
    assert_int_equal(h_cli_err(&h, &out, &err, add_on_h), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    snprintf(keyfile, sizeof keyfile, "%s/key-for-h", a.dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
    cli_ok(&h, bind_on_h);
    cli_ok(&h, mem_on_h);
    h_start_tls(&h, &T, "node", NULL, NULL);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", h.port);
    cli_ok(&a, add_on_a);
    cli_ok(&a, secret_on_a);
    cli_ok(&a, join);
    cli_ok(&a, remove);
    cli_ok(&a, add_evil);
    snprintf(sql, sizeof sql, "%s/mreza.db", a.dir);
    h_run(q_home, &home_id);
    h_run(q_evil, &evil_id);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "regional's home_node %s, evil's id %s", home_id ? home_id : "?", evil_id ? evil_id : "?");
    int same = home_id && evil_id && atoi(home_id) > 0 && atoi(home_id) == atoi(evil_id);
    free(home_id);
    free(evil_id);
    assert_int_equal(h_node_free(&a), 0);
    assert_int_equal(h_node_free(&h), 0);
    /* evil is not regional's home (on 4c5b783: it is: h's id was given to it) */
    assert_false(same);
}

/* ---- push to a taxii peer: the node and its sink ---- */

static void start_sink(struct h_py *p)
{
    const char *args[] = {"--mode", "compliant", "--generate", "1", "--cert", tls_file("node", "pem"), "--key",
                          tls_file("node", "key"), NULL};

    h_py_start(p, SERVER, args);
}

/* A push-only taxii peer NAME at p, the direct view (CLEAR; AMBER addressed to FEED1)
 * pushed to its collection. */
static void add_push_peer(struct hnode *n, const char *name, const struct h_py *p)
{
    char url[128], direct[128];
    const char *argv[] = {"peer", "add", name, "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                          "--org", FEED1, "--direction", "push", "--push-collection", direct, NULL};

    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", p->port);
    snprintf(direct, sizeof direct, "%s=mreza-direct", COLL);
    cli_ok(n, argv);
}

static const char *posted_ids(struct h_py *p)
{
    static char line[16384];

    h_py_cmd(p, "posted_ids");
    assert_true(h_py_wait(p, "posted_ids", 5000, line, sizeof line));
    return line;
}

/* A10: an AMBER version passed on (owner's share "to") to the organisation of a peer
 * after the peer's bookmark went past it never travels: mreza-direct serves a
 * version at its first grant ("no re-share moves it"), so neither the peer's pull
 * nor this node's push ever reaches it again. */
static void test_attack_pass_on_never_travels(void **state)
{
    struct hnode n;
    struct h_py sink;
    struct hresp r;
    char key[64], id[64], cid[64], path[200], *out = NULL;
    const char *member[] = {"community", "member", "add", "national", "sink-feed0000", "--read", NULL};
    const char *body = "{\"to\":[\"" FEED1 "\"]}";
    long st;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    start_sink(&sink);
    add_push_peer(&n, "sink", &sink);
    cli_ok(&n, member);
    h_start(&n, NULL);
    aid(id, 95);
    post_on(&n, key, id, AMBER_ID, NULL, "al-cert's own for now", 0);
    aid(cid, 96);
    post_on(&n, key, cid, CLEAR_ID, NULL, "later, for all", 0);
    assert_int_equal(sync_one(&n, "sink", &out), 0); /* the push bookmark is past the AMBER */
    free(out);
    out = NULL;
    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/share", id);
    st = h_http(&n, "POST", path, key, body, strlen(body), &r);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "share %ld: %.300s\n", st, r.body ? r.body : "");
    hresp_free(&r);
    assert_int_equal(sync_one(&n, "sink", &out), 0);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s", out ? out : "");
    free(out);
    const char *ids = posted_ids(&sink);
    int clear_there = strstr(ids, cid) != NULL, amber_there = strstr(ids, id) != NULL;
    assert_int_equal(h_node_free(&n), 0);
    h_py_stop(&sink);
    assert_int_equal(st, 200);
    assert_true(clear_there);
    /* the peer's organisation may read it now: it is pushed (on 4c5b783: never) */
    assert_true(amber_there);
}

/* A12: a taxii peer with direction both and push collections but no pull
 * collection is accepted by `peer add`, and every run ends `config` ("no collection
 * to pull") before its push: nothing is ever pushed. */
static void test_attack_both_without_pull_never_pushes(void **state)
{
    struct hnode n;
    struct h_py sink;
    char key[64], id[64], url[128], direct[128], *out = NULL, *err = NULL;
    const char *argv[] = {"peer", "add", "sink", "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                          "--org", FEED1, "--direction", "both", "--push-collection", direct, NULL};
    int added, rc;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "reporter@al-cert", "al-cert", "reporter", key);
    start_sink(&sink);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", sink.port);
    snprintf(direct, sizeof direct, "%s=mreza-direct", COLL);
    added = h_cli_err(&n, &out, &err, argv);
    free(out);
    free(err);
    out = NULL;
    h_start(&n, NULL);
    aid(id, 99);
    post_on(&n, key, id, CLEAR_ID, NULL, "both", 0);
    rc = sync_one(&n, "sink", &out);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "peer add: %d; sync %d: %s", added, rc, out ? out : "");
    free(out);
    int there = strstr(posted_ids(&sink), id) != NULL;
    assert_int_equal(h_node_free(&n), 0);
    h_py_stop(&sink);
    /* either peer add refuses it, or the push happens */
    if (added == 0 && !there)
        fail_msg("peer add took direction both with no pull collection (exit 0), and the sync (exit %d) pushed "
                 "nothing", rc);
}

/* ---- A8: tombstones from a peer bypass ingest's caps ---- */

#define IDENT_ME "identity--3e000000-0000-4000-8000-000000000001"
#define TOMB "x-mreza-withdrawal--a8000000-0000-4000-8000-000000000001"
#define IND8 "indicator--a8000000-0000-4000-8000-000000000002"

/* A peer's POST of one envelope (objects: a JSON list's inside; metas likewise). */
static long peer_post(struct hnode *n, const char *key, const char *objs, const char *metas)
{
    struct hresp r;
    size_t cap = strlen(objs) + strlen(metas) + 100;
    char *body = malloc(cap);
    long st;

    assert_non_null(body);
    snprintf(body, cap, "{\"objects\":[%s],\"x_mreza_meta\":[%s]}", objs, metas);
    memset(&r, 0, sizeof r);
    const char *const hdr[] = {"Content-Type: application/taxii+json;version=2.1",
                               "Accept: application/taxii+json;version=2.1", NULL};
    st = h_http_hdr(n, "POST", "/taxii2/api/collections/regional/objects/", key, hdr, body, strlen(body), &r);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "peer post %ld: %.400s\n", st, r.body ? r.body : "");
    hresp_free(&r);
    free(body);
    return st;
}

/* 20 versions of one id, each its own POST: an indicator's are capped at
 * ingest.max_versions (3); a tombstone's all stored (store_put_object, not
 * svc_ingest: no max_versions, sync.max_objects_per_id, ingest.max_objects_per_org). */
static void test_attack_tombstones_bypass_caps(void **state)
{
    struct hnode n;
    char key[64], out_key[128], *out = NULL;
    const char *regional[] = {"community", "add", "regional", "--title", "Regional", NULL};
    const char *add_me[] = {"peer", "add", "me", "--url", "https://me.example:8470/taxii2/api/", NULL};
    const char *bind_me[] = {"peer", "bind", "me", IDENT_ME, "--name", "me-cirt", NULL};
    const char *mem_me[] = {"community", "member", "add", "regional", "me-cirt", "--read", "--write", NULL};
    const char *const sets[] = {"ingest.max_versions=3", "ingest.max_objects_per_org=10", NULL};
    char *k;
    long long tombs, inds;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    cli_ok(&n, regional);
    assert_int_equal(h_cli(&n, &out, add_me), 0);
    k = strstr(out, "mz_");
    assert_non_null(k);
    snprintf(out_key, sizeof out_key, "%.*s", (int)strcspn(k, " \n"), k);
    free(out);
    cli_ok(&n, bind_me);
    cli_ok(&n, mem_me);
    h_start(&n, sets);
    for (int i = 0; i < 20; i++) {
        char obj[2400], meta[600], ver[40];
        snprintf(ver, sizeof ver, "2025-01-01T00:00:%02d.000Z", i);
        snprintf(obj, sizeof obj,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" IND8 "\",\"created\":\"2025-01-01T00:00:"
                 "00.000Z\",\"modified\":\"%s\",\"pattern\":\"[domain-name:value = 'a8.example']\",\"pattern_type\":"
                 "\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" CLEAR_ID "\"]}",
                 ver);
        snprintf(meta, sizeof meta,
                 "{\"id\":\"" IND8 "\",\"version\":\"%s\",\"owner\":\"" IDENT_ME "\",\"communities\":[],"
                 "\"date_added\":\"2025-02-01T00:00:00.000000Z\"}",
                 ver);
        assert_int_equal(peer_post(&n, out_key, obj, meta), 202);
        snprintf(obj, sizeof obj,
                 "{\"type\":\"x-mreza-withdrawal\",\"spec_version\":\"2.1\",\"id\":\"" TOMB "\",\"created\":\"2025-01-"
                 "01T00:00:00.000Z\",\"modified\":\"%s\",\"created_by_ref\":\"" IDENT_ME "\",\"object_ref\":\"" IND8
                 "\",\"version\":\"2025-01-01T00:00:00.000Z\",\"x_mreza_keep_refs\":[\"" IDENT_ME "\"],\"object_marking_refs\":[\""
                 CLEAR_ID "\"],\"x_mreza_pad\":\"%0900d\"}",
                 ver, 0);
        snprintf(meta, sizeof meta,
                 "{\"id\":\"" TOMB "\",\"version\":\"%s\",\"owner\":\"" IDENT_ME "\",\"communities\":[],"
                 "\"date_added\":\"2025-02-01T00:00:00.000000Z\"}",
                 ver);
        assert_int_equal(peer_post(&n, out_key, obj, meta), 202);
    }
    inds = h_db_count(&n, "stix_id = '" IND8 "'");
    tombs = h_db_count(&n, "stix_id = '" TOMB "'");
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "indicator versions %lld, tombstone versions %lld\n", inds, tombs);
    assert_int_equal(h_node_free(&n), 0);
    assert_true(inds <= 3);
    /* the tombstone's versions are capped as any object's (on 4c5b783: 20) */
    if (tombs > 3)
        fail_msg("a peer stored %lld versions of one tombstone (ingest.max_versions=3, max_objects_per_org=10; "
                 "the indicator: %lld)", tombs, inds);
}

/* A13: R6.5's cap on objects of one id (sync.max_objects_per_id, "for what peers
 * send") is applied to pulled pages (fed_pull.c sets it) but not to pages a peer
 * POSTs: api_taxii_write.c's bundle_limits leave max_objects_per_id 0, and
 * svc_sync_receive_items takes them as they are. With the cap at 1, a local copy of
 * an SCO and a peer's POSTed copy are both stored. */
#define SCO13 "domain-name--eee95806-77e8-5b39-acb2-4b55a8330108"

static void test_attack_post_skips_objects_per_id_cap(void **state)
{
    struct hnode n;
    struct hresp r;
    char key[64], out_key[128], *out = NULL, *k;
    const char *regional[] = {"community", "add", "regional", "--title", "Regional", NULL};
    const char *add_me[] = {"peer", "add", "me", "--url", "https://me.example:8470/taxii2/api/", NULL};
    const char *bind_me[] = {"peer", "bind", "me", IDENT_ME, "--name", "me-cirt", NULL};
    const char *mem_me[] = {"community", "member", "add", "regional", "me-cirt", "--read", "--write", NULL};
    const char *const sets[] = {"sync.max_objects_per_id=1", NULL};
    const char *sco = "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"" SCO13 "\",\"value\":\"a13.example\","
                      "\"object_marking_refs\":[\"" CLEAR_ID "\"]}";
    const char *meta = "{\"id\":\"" SCO13 "\",\"version\":\"\",\"owner\":\"" IDENT_ME "\",\"communities\":[],"
                       "\"date_added\":\"2025-02-01T00:00:00.000000Z\"}";
    long long copies;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    cli_ok(&n, regional);
    assert_int_equal(h_cli(&n, &out, add_me), 0);
    k = strstr(out, "mz_");
    assert_non_null(k);
    snprintf(out_key, sizeof out_key, "%.*s", (int)strcspn(k, " \n"), k);
    free(out);
    cli_ok(&n, bind_me);
    cli_ok(&n, mem_me);
    h_start(&n, sets);
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&n, "POST", "/api/v1/objects", key, sco, strlen(sco), &r), 201);
    hresp_free(&r);
    peer_post(&n, out_key, sco, meta);
    copies = h_db_count(&n, "stix_id = '" SCO13 "'");
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "copies of the SCO: %lld\n", copies);
    assert_int_equal(h_node_free(&n), 0);
    /* the peer's copy is capped as a pulled one would be (on 4c5b783: 2) */
    assert_int_equal(copies, 1);
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
        cmocka_unit_test(test_attack_resumed_run_second_page_400),
        cmocka_unit_test(test_attack_full_withdrawal_never_travels),
        cmocka_unit_test(test_held_withdraw_restore_cycles),
        cmocka_unit_test(test_attack_removed_home_id_reused),
        cmocka_unit_test(test_attack_pass_on_never_travels),
        cmocka_unit_test(test_attack_both_without_pull_never_pushes),
        cmocka_unit_test(test_attack_tombstones_bypass_caps),
        cmocka_unit_test(test_attack_post_skips_objects_per_id_cap),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
