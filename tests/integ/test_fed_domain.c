/* tests/integ/test_fed_domain.c - the third hostile review's domain findings, fixed
 * (docs/security.md, "Issue 11: push, join and the scheduler, attacked"; each test
 * failed on main at 7f4e2de):
 *   - A10 test_pass_on_travels: an AMBER version passed on (the owner's share "to") to
 *     the organisation of a taxii peer after this node's push went past it is pushed
 *     at the next run: the pass-on gives it a new position in mreza-direct (a peers'
 *     stamp, store_peer_stamp), where the peer's added_after finds it, once; the
 *     peer's GET of mreza-direct lists it at both positions, and by id once;
 *   - A10 test_binding_travels: an AMBER version addressed to an identity that a peer
 *     is bound to (`peer bind`) only after the push went past it is pushed at the
 *     next run; the AMBER addressed to nobody of the peer's stays here;
 *   - A9 test_full_withdrawal_travels: b withdraws a CLEAR indicator a pulled, and
 *     keeps no version of it (owner_keeps false, nobody named): the tombstone names
 *     nobody (no "x_mreza_keep_refs": [], which STIX 2.1 forbids and a refused as
 *     invalid), a applies it: 404 there too;
 *   - the fifth attack's C1 test_withdrawal_travels_at_quota: a withdrawal of a
 *     version a holds is not refused by the owner's quota on a
 *     (ingest.max_objects_per_org, full); C4 test_withdraw_cycles_travel: withdraw,
 *     restore, withdraw at ingest.max_versions=2 all travel, a holding one row of the
 *     tombstone id;
 *   - A8 test_peer_tombstones_capped: a peer POSTs 20 versions of one indicator and
 *     20 of one tombstone (ingest.max_versions=3): at most 3 of the indicator stored,
 *     the tombstone's newest alone;
 *   - A13 test_peer_post_objects_per_id_capped: a peer's POSTed copy of an SCO held
 *     here already is capped by sync.max_objects_per_id (1) as a pulled one is.
 * The push tests run against tests/taxii/taxii_server.py (TLS), which records what is
 * POSTed; the last against two mreza nodes. No sleeps. */
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

/* one more setting for `mreza sync` (which reads its own, not serve's): a cap under test */
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

/* a pulls b's mreza-direct (b started with b_sets, a with a_sets); b's reporter posts. */
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

/* A key for peer NAME to present here (`peer key issue`), into key. */
static void peer_key(struct hnode *n, const char *name, char *key, size_t cap)
{
    const char *argv[] = {"peer", "key", "issue", name, NULL};
    char *out = NULL, *k;

    assert_int_equal(h_cli(n, &out, argv), 0);
    k = strstr(out, "mz_");
    assert_non_null(k);
    snprintf(key, cap, "%.*s", (int)strcspn(k, " \n"), k);
    free(out);
}

/* How many objects of id peer key reads in mreza-direct (query: the filters). */
static int direct_count(struct hnode *n, const char *key, const char *query, const char *id)
{
    const char *const hdr[] = {"Accept: application/taxii+json;version=2.1", NULL};
    char path[400];
    struct hresp r;
    int c;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/taxii2/api/collections/mreza-direct/objects/?%s", query);
    json_t *j, *o;
    size_t i;

    assert_int_equal(h_http_hdr(n, "GET", path, key, hdr, NULL, 0, &r), 200);
    j = json_loads(r.body ? r.body : "", 0, NULL);
    assert_non_null(j);
    c = 0;
    json_array_foreach(json_object_get(j, "objects"), i, o)
        c += !strcmp(json_string_value(json_object_get(o, "id")) ?: "", id);
    json_decref(j);
    hresp_free(&r);
    return c;
}

static const char *posted_ids(struct h_py *p)
{
    static char line[16384];

    h_py_cmd(p, "posted_ids");
    assert_true(h_py_wait(p, "posted_ids", 5000, line, sizeof line));
    return line;
}


/* One push run of sink on n (exit 0 asserted). */
static void push_run(struct hnode *n)
{
    char *out = NULL;

    assert_int_equal(sync_one(n, "sink", &out), 0);
    free(out);
}

/* A10: an AMBER version of al-cert's, then a CLEAR; a push (its bookmark past both);
 * the owner passes the AMBER on to the sink's organisation (a national read-member
 * here): the next push sends it (on 7f4e2de: never - mreza-direct served it at its
 * first grant alone). */
static void test_pass_on_travels(void **state)
{
    struct hnode n;
    struct h_py sink;
    struct hresp r;
    char key[64], id[64], cid[64], path[200];
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
    push_run(&n); /* the push bookmark is past the AMBER */
    int amber_before = strstr(posted_ids(&sink), id) != NULL;
    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/share", id);
    st = h_http(&n, "POST", path, key, body, strlen(body), &r);
    hresp_free(&r);
    push_run(&n);
    const char *ids = posted_ids(&sink);
    int clear_there = strstr(ids, cid) != NULL, amber_there = strstr(ids, id) != NULL;
    /* once: the third run has nothing new */
    push_run(&n);
    int amber_twice = h_count(posted_ids(&sink), id) > 1;
    /* the peer's own GET: asked by id, each version once; listed, at its first grant
     * and at its peers' stamp */
    char pkey[128], q[200];
    peer_key(&n, "sink", pkey, sizeof pkey);
    snprintf(q, sizeof q, "match[id]=%s", id);
    int by_id = direct_count(&n, pkey, q, id), listed = direct_count(&n, pkey, "limit=1000", id);
    assert_int_equal(h_node_free(&n), 0);
    h_py_stop(&sink);
    assert_int_equal(st, 200);
    assert_false(amber_before);
    assert_true(clear_there);
    assert_true(amber_there);
    assert_false(amber_twice);
    assert_int_equal(by_id, 1);
    assert_int_equal(listed, 2);
}

/* A10, a binding: an AMBER version addressed to FEED2, an identity no peer speaks for
 * yet, and one addressed to al-cert alone; a push goes past both; `peer bind sink
 * FEED2` makes the first readable by the sink: the next push sends it, and not the
 * other (on 7f4e2de: neither). */
static void test_binding_travels(void **state)
{
    struct hnode n;
    struct h_py sink;
    char key[64], id[64], own[64], cid[64];
    const char *bind[] = {"peer", "bind", "sink", FEED2, "--name", "feed2", NULL};

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    start_sink(&sink);
    add_push_peer(&n, "sink", &sink);
    h_start(&n, NULL);
    aid(id, 85);
    post_on(&n, key, id, AMBER_ID, "\"" FEED2 "\"", "to feed2, who is nobody's yet", 0);
    aid(own, 86);
    post_on(&n, key, own, AMBER_ID, NULL, "al-cert's own", 0);
    aid(cid, 87);
    post_on(&n, key, cid, CLEAR_ID, NULL, "for all", 0);
    push_run(&n);
    int before = strstr(posted_ids(&sink), id) != NULL;
    cli_ok(&n, bind);
    push_run(&n);
    const char *ids = posted_ids(&sink);
    int there = strstr(ids, id) != NULL, own_there = strstr(ids, own) != NULL, clear_there = strstr(ids, cid) != NULL;
    assert_int_equal(h_node_free(&n), 0);
    h_py_stop(&sink);
    assert_false(before);
    assert_true(clear_there);
    assert_true(there);
    assert_false(own_there);
}

/* A9: a withdrawal nobody keeps reaches the peer that pulled the version (on 7f4e2de:
 * its tombstone held "x_mreza_keep_refs": [], refused as invalid, and a's readers
 * kept reading the version). */
static void test_full_withdrawal_travels(void **state)
{
    struct two t;
    struct hresp r;
    char id[64], path[200], *out = NULL;
    const char *body = "{\"versions\":\"all\",\"owner_keeps\":false}";
    long before, after, wd;
    int rc;

    (void)state;
    two_nodes(&t, NULL, NULL);
    aid(id, 90);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "retract me", 0);
    assert_int_equal(sync_one(&t.a, "nodeb", &out), 0);
    free(out);
    out = NULL;
    before = get_object(&t.a, t.key_a, id);
    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    wd = h_http(&t.b, "POST", path, t.key_b, body, strlen(body), &r);
    hresp_free(&r);
    rc = sync_one(&t.a, "nodeb", &out);
    int refused = out && strstr(out, "refused=1") != NULL;
    free(out);
    after = get_object(&t.a, t.key_a, id);
    two_free(&t);
    assert_int_equal(before, 200);
    assert_int_equal(wd, 200);
    assert_int_equal(rc, 0);
    assert_false(refused);
    assert_int_equal(after, 404);
}

/* ---- the fifth attack's C1 and C4: withdrawals that did not travel ---- */

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

static void pull(struct two *t)
{
    char *out = NULL;

    assert_int_equal(sync_one(&t->a, "nodeb", &out), 0);
    free(out);
}

/* C1: a at ingest.max_objects_per_org=2 holds two of me-cirt's four; b withdraws the
 * first (owner_keeps false): the tombstone names a version held on a, so the quota
 * does not refuse it (on 223e945: refused cap, a kept serving it). */
static void test_withdrawal_travels_at_quota(void **state)
{
    struct two t;
    const char *const a_sets[] = {"ingest.max_objects_per_org=2", NULL};
    char id[64], other[64];
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
    pull(&t);
    before = get_object(&t.a, t.key_a, id);
    assert_int_equal(withdraw(&t.b, t.key_b, id, "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    pull(&t);
    after = get_object(&t.a, t.key_a, id);
    two_free(&t);
    sync_set = "sync.retries=0";
    assert_int_equal(before, 200);
    /* the owner withdrew it: a's readers do not read it any more */
    assert_int_equal(after, 404);
}

/* C4: a at ingest.max_versions=2 (standing for the default 1000); b withdraws,
 * restores and withdraws the same CLEAR (a pulling after each): each a new version of
 * one tombstone id, never refused, a holding the newest alone (on 223e945 the third
 * was refused cap and a kept serving what b withdrew). */
static void test_withdraw_cycles_travel(void **state)
{
    struct two t;
    const char *const a_sets[] = {"ingest.max_versions=2", NULL};
    const char *wd = "{\"versions\":\"all\"}", *rs = "{\"versions\":\"all\",\"restore\":true}";
    char id[64];
    long before, restored, after;
    long long tombs;

    (void)state;
    sync_set = a_sets[0];
    two_nodes(&t, NULL, a_sets);
    aid(id, 20);
    post_on(&t.b, t.key_b, id, CLEAR_ID, NULL, "cycled", 0);
    pull(&t);
    before = get_object(&t.a, t.key_a, id);
    assert_int_equal(withdraw(&t.b, t.key_b_admin, id, wd), 200);
    pull(&t);
    assert_int_equal(withdraw(&t.b, t.key_b_admin, id, rs), 200);
    pull(&t);
    restored = get_object(&t.a, t.key_a, id);
    assert_int_equal(withdraw(&t.b, t.key_b_admin, id, wd), 200);
    pull(&t);
    after = get_object(&t.a, t.key_a, id);
    tombs = h_db_count(&t.a, "type = 'x-mreza-withdrawal'");
    two_free(&t);
    sync_set = "sync.retries=0";
    assert_int_equal(before, 200);
    assert_int_equal(restored, 200);
    assert_int_equal(after, 404);
    assert_int_equal(tombs, 1);
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
 * ingest.max_versions (3); a tombstone's were all stored on 7f4e2de (store_put_object,
 * not svc_ingest); now its id holds one row, the newest (the fifth attack's C4: no
 * cap refuses a newer version, the older are dropped). */
static void test_peer_tombstones_capped(void **state)
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
    /* the tombstone's id holds its newest version alone (on 7f4e2de: 20) */
    if (tombs != 1)
        fail_msg("a peer's tombstone is held in %lld versions (ingest.max_versions=3, max_objects_per_org=10; "
                 "the indicator: %lld)", tombs, inds);
}

/* A13: R6.5's cap on objects of one id (sync.max_objects_per_id, "for what peers
 * send") is applied to pulled pages (fed_pull.c sets it) but not to pages a peer
 * POSTs: api_taxii_write.c's bundle_limits leave max_objects_per_id 0, and
 * svc_sync_receive_items takes them as they are. With the cap at 1, a local copy of
 * an SCO and a peer's POSTed copy are both stored. */
#define SCO13 "domain-name--eee95806-77e8-5b39-acb2-4b55a8330108"

static void test_peer_post_objects_per_id_capped(void **state)
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
    /* the peer's copy is capped as a pulled one would be (on 7f4e2de: 2) */
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
        cmocka_unit_test(test_pass_on_travels),
        cmocka_unit_test(test_binding_travels),
        cmocka_unit_test(test_full_withdrawal_travels),
        cmocka_unit_test(test_withdrawal_travels_at_quota),
        cmocka_unit_test(test_withdraw_cycles_travel),
        cmocka_unit_test(test_peer_tombstones_capped),
        cmocka_unit_test(test_peer_post_objects_per_id_capped),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
