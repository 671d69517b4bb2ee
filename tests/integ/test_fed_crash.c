/* tests/integ/test_fed_crash.c - kill -9 mid-sync, made deterministic (issue 11:
 * "resumable: kill -9 mid-sync, restart, and no object is lost or duplicated";
 * docs/federation.md 10.3, 11.5 step 8). Node a (a real `mreza serve` over TLS) holds
 * N_OBJ CLEAR indicators of its organisation; b and c pull a's mreza-direct through
 * tests/taxii/taxii_server.py in relay mode, which forwards every request to a and,
 * told `stall_after K`, holds the K+1-th objects GET and says `stalled K`:
 *   - `mreza sync` on b (a child process) is kill -9'd while stalled: b's store holds
 *     exactly the indicators of pages 1..K (as a's TAXII endpoint pages them for b's
 *     key), none of page K+1, and the bookmark is page K's X-TAXII-Date-Added-Last;
 *     the relay is released and `mreza sync` run again: every indicator once (one
 *     version, one received row each), `duplicates` 0, as many as a holds;
 *   - the same with c's `mreza serve` (its scheduler: sync.interval 1) kill -9'd while
 *     stalled, then restarted: its next run catches up, exactly once;
 *   - push: b pushes its own 30 CLEAR indicators to the test server (a taxii peer) at
 *     page size 7; told `stall_post_after 2`, the server holds the third POST before
 *     keeping it; the pushing `mreza sync` is kill -9'd there; the server has pages 1-2
 *     (14 objects), the held POST is dropped; the rerun pushes the rest: every object
 *     received exactly once, nothing lost.
 * No sleeps: each cut is the relay's (or server's) `stalled` event; the restarted serve
 * is awaited by its log line. The tests failed before the relay mode (taxii_server.py
 * had no --relay: the relay did not start). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "harness_fed.h"

#define SERVER "tests/taxii/taxii_server.py"
#define COLL "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define FEED "identity--feed0000-0000-4000-8000-0000000000c1"
#define N_OBJ 2000
#define PAGE 400
#define MAX_PAGES 16

static struct h_tls T;
static struct hnode a, b, c;
static struct h_py relay;
static char key_a[64], key_b[64], ident_a[80];
static char keyfile_b[320], keyfile_c[320];

/* a's mreza-direct as b's key pages it: the indicator ids of each page and the
 * page's X-TAXII-Date-Added-Last. */
static struct {
    int n_pages;
    int n_ind[MAX_PAGES];
    char last[MAX_PAGES][40];
    char (*ids)[80]; /* N_OBJ + MAX_PAGES rows, page after page */
    int first[MAX_PAGES];
} W;

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

/* The one text result of sql on n's store, into out. */
static void db_text(struct hnode *n, const char *sql, char *out, size_t len)
{
    char path[300];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    snprintf(path, sizeof path, "%s/mreza.db", n->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(out, len, "%s", sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static long long db_int(struct hnode *n, const char *sql)
{
    char t[64];

    db_text(n, sql, t, sizeof t);
    return strtoll(t, NULL, 10);
}

/* `peer add NAME` on a; the key it prints (for NAME's `peer secret a`) into path. */
static void issue_key(const char *name, const char *path)
{
    const char *add[] = {"peer", "add", name, "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    char *out = NULL, *err = NULL, *k;
    FILE *f;

    if (h_cli_err(&a, &out, &err, add) != 0)
        fail_msg("peer add %s: %s%s", name, out ? out : "", err ? err : "");
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
}

/* On n: peer a, reached through the relay (verified by the test CA), a's organisation
 * bound to it, with the key a issued for n. */
static void add_peer_a(struct hnode *n, const char *keyfile)
{
    char url[128];
    const char *add[] = {"peer", "add", "na", "--url", url, "--ca-file", tls_file("ca", "pem"), "--org", ident_a, NULL};
    const char *secret[] = {"peer", "secret", "na", keyfile, NULL};

    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", relay.port);
    cli_ok(n, add);
    cli_ok(n, secret);
}

static char *read_key(const char *path, char *out)
{
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    assert_non_null(fgets(out, 64, f));
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return out;
}

/* The value of header name in r's headers ("" if absent), into out. */
static void header(const struct hresp *r, const char *name, char *out, size_t len)
{
    const char *h = strcasestr(r->headers, name);

    out[0] = '\0';
    if (!h)
        return;
    h += strlen(name);
    while (*h == ':' || *h == ' ')
        h++;
    snprintf(out, len, "%.*s", (int)strcspn(h, "\r\n"), h);
}

/* Walk a's mreza-direct as the key a issued for b, PAGE at a time, as the client asks. */
static void walk_a(void)
{
    const char *hdr[] = {"Accept: application/taxii+json;version=2.1", NULL};
    char path[512], next[256] = "", key[64];
    int k = 0;

    read_key(keyfile_b, key);
    W.ids = calloc(N_OBJ + MAX_PAGES, sizeof *W.ids);
    assert_non_null(W.ids);
    for (;;) {
        struct hresp r;
        json_t *env, *objs, *o;
        size_t i;

        assert_true(W.n_pages < MAX_PAGES);
        memset(&r, 0, sizeof r);
        snprintf(path, sizeof path, "/taxii2/api/collections/mreza-direct/objects/?match%%5Bversion%%5D=all&limit=%d%s%s",
                 PAGE, next[0] ? "&next=" : "", next);
        if (h_http_hdr(&a, "GET", path, key, hdr, NULL, 0, &r) != 200)
            fail_msg("walk: %ld %s", r.status, r.body ? r.body : "");
        env = json_loads(r.body, 0, NULL);
        assert_non_null(env);
        objs = json_object_get(env, "objects");
        W.first[W.n_pages] = k;
        json_array_foreach(objs, i, o)
        {
            if (strcmp(json_string_value(json_object_get(o, "type")), "indicator") != 0)
                continue;
            assert_true(k < N_OBJ + MAX_PAGES);
            snprintf(W.ids[k++], sizeof W.ids[0], "%s", json_string_value(json_object_get(o, "id")));
            W.n_ind[W.n_pages]++;
        }
        header(&r, "X-TAXII-Date-Added-Last", W.last[W.n_pages], sizeof W.last[0]);
        W.n_pages++;
        if (!json_is_true(json_object_get(env, "more"))) {
            json_decref(env);
            hresp_free(&r);
            break;
        }
        snprintf(next, sizeof next, "%s", json_string_value(json_object_get(env, "next")));
        json_decref(env);
        hresp_free(&r);
    }
    assert_int_equal(k, N_OBJ);
    assert_true(W.n_pages >= 4);
}

/* Indicators of pages [from, to) (0-based) held by n, one row each. */
static long long held(struct hnode *n, int from, int to)
{
    long long in = 0;

    for (int p = from; p < to; p++)
        for (int i = W.first[p]; i < W.first[p] + W.n_ind[p]; i++) {
            char where[200];

            snprintf(where, sizeof where, "stix_id='%s'", W.ids[i]);
            in += h_db_count(n, where);
        }
    return in;
}

static long long ind_pages(int k)
{
    long long s = 0;

    for (int p = 0; p < k; p++)
        s += W.n_ind[p];
    return s;
}

/* n holds exactly pages 1..k of a's indicators, and its bookmark is page k's. */
static void holds_pages(struct hnode *n, int k)
{
    char bm[64];

    assert_int_equal(held(n, 0, k), ind_pages(k));
    assert_int_equal(held(n, k, k + 1), 0);
    assert_int_equal(h_db_count(n, "stix_id LIKE 'indicator--c0000000-%'"), ind_pages(k));
    assert_int_equal(db_int(n, "SELECT count(*) FROM received WHERE node=(SELECT id FROM nodes WHERE name='na')"),
                     ind_pages(k));
    db_text(n,
            "SELECT added_after FROM bookmarks WHERE node=(SELECT id FROM nodes WHERE name='na') AND direction='pull' "
            "AND added_after<>''",
            bm, sizeof bm);
    assert_string_equal(bm, W.last[k - 1]);
    assert_true(h_db_integrity_ok(n));
}

/* n holds every indicator of a exactly once, each with one received row, and counted
 * no duplicate. */
static void holds_all_once(struct hnode *n)
{
    const char *show[] = {"peer", "show", "na", "--json", NULL};
    char *out = NULL;
    json_t *j;

    assert_int_equal(held(n, 0, W.n_pages), N_OBJ);
    assert_int_equal(h_db_count(n, "stix_id LIKE 'indicator--c0000000-%'"), N_OBJ);
    assert_int_equal(db_int(n, "SELECT count(DISTINCT stix_id) FROM objects WHERE stix_id LIKE 'indicator--c0000000-%'"),
                     N_OBJ);
    assert_int_equal(db_int(n, "SELECT count(*) FROM received WHERE node=(SELECT id FROM nodes WHERE name='na')"), N_OBJ);
    assert_int_equal(db_int(n, "SELECT count(*) FROM objects o JOIN received r ON r.seq=o.seq WHERE o.stix_id LIKE "
                               "'indicator--c0000000-%'"),
                     N_OBJ);
    assert_int_equal(h_db_count(&a, "stix_id LIKE 'indicator--c0000000-%'"), N_OBJ);
    assert_int_equal(h_cli(n, &out, show), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "duplicates")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "received")), N_OBJ);
    json_decref(j);
    free(out);
    assert_true(h_db_integrity_ok(n));
}

static void post_bundle(struct hnode *n, const char *key, const char *fmt_id, int count)
{
    size_t cap = (size_t)count * 520 + 200, len = 0;
    char *body = malloc(cap);
    struct hresp r;

    assert_non_null(body);
    len += (size_t)snprintf(body + len, cap - len,
                            "{\"type\":\"bundle\",\"id\":\"bundle--c0000000-0000-4000-8000-000000000001\",\"objects\":[");
    for (int i = 0; i < count; i++) {
        char id[80];

        snprintf(id, sizeof id, fmt_id, i);
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                                "\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"pattern\":"
                                "\"[ipv4-addr:value = '10.9.%d.%d']\",\"pattern_type\":\"stix\",\"valid_from\":"
                                "\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" CLEAR_ID "\"]}",
                                i ? "," : "", id, (i >> 8) & 255, i & 255);
    }
    len += (size_t)snprintf(body + len, cap - len, "]}");
    memset(&r, 0, sizeof r);
    if (h_http(n, "POST", "/api/v1/objects", key, body, len, &r) != 201)
        fail_msg("post bundle: %ld %s", r.status, r.body ? r.body : "");
    hresp_free(&r);
    free(body);
}

static int setup(void **state)
{
    char relay_url[64];
    const char *args[] = {"--relay", relay_url, "--upstream-ca", NULL, "--cert", NULL, "--key", NULL, NULL};

    (void)state;
    h_tls_ca(&T);
    h_node_init(&a);
    h_node_init(&b);
    h_node_init(&c);
    h_add_org(&a, "a-cert", "AL", "national-csirt");
    h_add_user(&a, "analyst@a-cert", "a-cert", "analyst", key_a);
    h_identity(&a, "org", "a-cert", ident_a);
    h_add_org(&b, "b-cert", "ME", "national-csirt");
    h_add_user(&b, "analyst@b-cert", "b-cert", "analyst", key_b);
    h_add_org(&c, "c-cert", "RS", "national-csirt");
    snprintf(keyfile_b, sizeof keyfile_b, "%s/key-from-a", b.dir);
    snprintf(keyfile_c, sizeof keyfile_c, "%s/key-from-a", c.dir);
    issue_key("nb", keyfile_b);
    issue_key("nc", keyfile_c);
    h_start_tls(&a, &T, "node", NULL, NULL);
    post_bundle(&a, key_a, "indicator--c0000000-0000-4000-8000-%012d", N_OBJ);

    snprintf(relay_url, sizeof relay_url, "https://127.0.0.1:%u", a.port);
    args[3] = tls_file("ca", "pem");
    args[5] = tls_file("node", "pem");
    args[7] = tls_file("node", "key");
    h_py_start(&relay, SERVER, args);
    add_peer_a(&b, keyfile_b);
    add_peer_a(&c, keyfile_c);
    walk_a();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_py_stop(&relay);
    h_node_free(&a);
    h_node_free(&b);
    h_node_free(&c);
    h_tls_free(&T);
    free(W.ids);
    return 0;
}

static const char *const SYNC_SETS[] = {"--set", "sync.page_size=400", "--set", "sync.request_timeout=120", "--set",
                                        "sync.retries=0", "--set", "log.level=info", NULL};

/* The relay says `stalled K` when the (K+1)-th page is asked; the client asks it while
 * page K is still being applied (fed_pull.c's fetch thread works one page ahead), so
 * the cut is taken once page K's `event=sync_page` line, written after its COMMIT,
 * is in the log: the run then waits for the held page with pages 1..K committed. */
static void wait_pages_committed(const char *log, int k)
{
    if (!h_wait_log(log, "event=sync_page", k, 120000))
        fail_msg("page %d was not committed (log: %s)", k, log);
}

/* `mreza sync a` on b, kill -9'd while the relay holds page 3: pages 1-2 and their
 * bookmark are there, nothing of page 3; the rerun completes the set exactly once. */
static void test_sync_killed_mid_run(void **state)
{
    const char *bg[] = {"sync", SYNC_SETS[0], SYNC_SETS[1], SYNC_SETS[2], SYNC_SETS[3], SYNC_SETS[4], SYNC_SETS[5],
                        SYNC_SETS[6], SYNC_SETS[7], "na", NULL};
    char log[300], *out = NULL, *err = NULL;
    pid_t pid;

    (void)state;
    snprintf(log, sizeof log, "%s/sync.log", b.dir);
    h_py_cmd(&relay, "stall_after 2");
    pid = h_cli_bg(&b, bg, log);
    if (!h_py_wait(&relay, "stalled 2", 120000, NULL, 0))
        fail_msg("the relay did not stall (sync log: %s)", log);
    wait_pages_committed(log, 2);
    assert_int_equal(h_bg_kill9(pid), 128 + 9);
    holds_pages(&b, 2);

    h_py_cmd(&relay, "release");
    if (h_cli_err(&b, &out, &err, bg) != 0)
        fail_msg("sync after the kill: %s%s", out ? out : "", err ? err : "");
    assert_non_null(strstr(out, " ok "));
    free(out);
    free(err);
    holds_all_once(&b);
}

/* c's `mreza serve` (scheduler on) kill -9'd while its run is held at page 4, then
 * restarted: the pages before are kept, the restarted scheduler catches up once. */
static void test_serve_killed_mid_run(void **state)
{
    const char *sets[] = {"log.level=info", "sync.interval=1", "sync.page_size=400", "sync.request_timeout=120",
                          "sync.retries=0", NULL};
    char log[300];

    (void)state;
    h_py_cmd(&relay, "stall_after 3");
    snprintf(log, sizeof log, "%s/serve1.log", c.dir);
    h_start_logged(&c, sets, log);
    if (!h_py_wait(&relay, "stalled 3", 120000, NULL, 0))
        fail_msg("the relay did not stall (serve log: %s)", log);
    wait_pages_committed(log, 3);
    h_kill9(&c);
    holds_pages(&c, 3);

    h_py_cmd(&relay, "release");
    snprintf(log, sizeof log, "%s/serve2.log", c.dir);
    h_start_logged(&c, sets, log);
    assert_true(h_wait_log(log, "event=sync peer=na code=ok", 1, 120000));
    holds_all_once(&c);
    assert_int_equal(h_stop(&c), 0);
}

/* b pushes its own 30 CLEAR indicators (and its organisation's identity) to a taxii
 * peer 7 at a time; kill -9 while the server holds the third POST (not kept); the rerun
 * pushes the rest: every object received once. */
static void test_push_killed_mid_run(void **state)
{
    struct h_py feed;
    const char *args[] = {"--mode", "compliant", "--generate", "1", "--cert", tls_file("node", "pem"), "--key",
                          tls_file("node", "key"), NULL};
    char url[128], direct[128], line[8192], log[300], *out = NULL, *err = NULL;
    const char *add[] = {"peer", "add", "feed", "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                         "--org", FEED, "--direction", "push", "--push-collection", direct, NULL};
    const char *bg[] = {"sync", "--set", "sync.page_size=7", "--set", "sync.request_timeout=120", "--set",
                        "sync.retries=0", "feed", NULL};
    const char *show[] = {"peer", "show", "feed", "--json", NULL};
    const char *sets[] = {"sync.interval=0", NULL};
    int total = 0;
    json_t *j;
    pid_t pid;

    (void)state;
    h_start(&b, sets);
    post_bundle(&b, key_b, "indicator--c1000000-0000-4000-8000-%012d", 30);
    assert_int_equal(h_stop(&b), 0);
    h_py_start(&feed, SERVER, args);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", feed.port);
    snprintf(direct, sizeof direct, "%s=mreza-direct", COLL);
    cli_ok(&b, add);

    h_py_cmd(&feed, "stall_post_after 2");
    snprintf(log, sizeof log, "%s/push.log", b.dir);
    pid = h_cli_bg(&b, bg, log);
    if (!h_py_wait(&feed, "stalled_post 2", 120000, NULL, 0))
        fail_msg("the server did not stall (push log: %s)", log);
    assert_int_equal(h_bg_kill9(pid), 128 + 9);
    h_py_cmd(&feed, "posted_ids");
    assert_true(h_py_wait(&feed, "posted_ids", 5000, line, sizeof line));
    assert_int_equal(h_count(line, "--"), 14);
    h_py_cmd(&feed, "release");

    assert_int_equal(h_cli_err(&b, &out, &err, bg), 0);
    free(out);
    free(err);
    h_py_cmd(&feed, "posted_ids");
    assert_true(h_py_wait(&feed, "posted_ids", 5000, line, sizeof line));
    for (int i = 0; i < 30; i++) {
        char id[80];

        snprintf(id, sizeof id, "indicator--c1000000-0000-4000-8000-%012d", i);
        assert_int_equal(h_count(line, id), 1);
    }
    total = h_count(line, "--");
    assert_int_equal(total, 31); /* and b-cert's identity, once */
    assert_int_equal(h_count(line, "identity--"), 1);
    assert_int_equal(h_cli(&b, &out, show), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "pushed")), total);
    json_decref(j);
    free(out);
    h_py_stop(&feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_killed_mid_run),
        cmocka_unit_test(test_serve_killed_mid_run),
        cmocka_unit_test(test_push_killed_mid_run),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
