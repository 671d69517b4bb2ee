/* tests/integ/test_fed_client.c - `mreza sync` pulling from another TAXII server (issue
 * 11 work package 5, docs/federation.md 10.2, 10.3, 10.5): tests/taxii/taxii_server.py
 * over TLS (the harness's test CA: the peer is verified by --ca-file) as a 'taxii'
 * peer whose collection feeds this node's national community, its objects owned by
 * the peer's default organisation, stored GREEN (--unmarked green).
 *   - paging: 30 objects at sync.page_size 7 arrive in 5 pages, each once, each with
 *     its provenance row (objects.via, received);
 *   - a second run fetches from the bookmark (added_after minus 1 us, the ties rule of
 *     a taxii peer): the last object comes again and is counted a duplicate, nothing
 *     is stored twice;
 *   - resume: a server that stalls after 2 pages (sync.request_timeout 1 s, no retry)
 *     ends the run with `timeout` after 14 objects, committed with their bookmark; the
 *     next run goes on from the kept next token: the other 16, none twice; last_error
 *     is cleared by the success;
 *   - hostile peers (repeat_next, html_error, hang) end their own run with their code
 *     (peer show --json's last_error, consecutive_failures) while a compliant peer in
 *     the same `mreza sync` completes; exit 1 names the failure, exit 0 when all
 *     succeed, 2 for an unknown peer; a peer whose lock is held elsewhere is skipped
 *     (busy) while the others run;
 *   - a taxii peer without --collection fails its run (config) until `peer set
 *     --collection`; without --unmarked its objects are stored AMBER+STRICT;
 *   - a mreza peer whose API root does not name its bound --identity: `identity`,
 *     before any page;
 *   - two mreza nodes: b (a real `mreza serve` over TLS) as a mreza peer: `auth`
 *     without the key b issued, then its mreza-direct pulled with x_mreza_meta: the
 *     AMBER addressed to this node's organisation and the CLEAR, owned by b's
 *     organisation bound here, with provenance; AMBER to b alone and RED never; a
 *     second run adds nothing.
 * No sleeps: the server is steered on its stdin; timeouts are forced by its hang and
 * stall modes with a 1 s request timeout. Every test failed before the sync client:
 * there was no `mreza sync` (exit 2, unknown command). */
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
#include "util/lockfile.h"

#define SERVER "tests/taxii/taxii_server.py"
#define COLL "365fed99-08fa-fdcd-a1b3-fb247eb41d01"

static struct h_tls T;
static struct hnode node;
static struct h_py good, good2, bad, ties;

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

static void start(struct h_py *p, const char *mode, int n)
{
    char count[16];
    const char *args[] = {"--mode", mode, "--generate", count, "--cert", tls_file("node", "pem"), "--key",
                          tls_file("node", "key"), NULL};

    snprintf(count, sizeof count, "%d", n);
    h_py_start(p, SERVER, args);
}

/* Add taxii peer name at p, its collection into national, owned by identity ident. */
static void add_peer(const char *name, const struct h_py *p, const char *ident)
{
    char url[128], coll[128];
    char *out = NULL, *err = NULL;
    const char *argv[] = {"peer", "add", name, "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                          "--org", ident, "--collection", coll, "--unmarked", "green", NULL};

    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", p->port);
    snprintf(coll, sizeof coll, "%s=national", COLL);
    if (h_cli_err(&node, &out, &err, argv) != 0)
        fail_msg("peer add %s: %s%s", name, out ? out : "", err ? err : "");
    free(out);
    free(err);
}

/* `mreza sync` with argv's peers (NULL-terminated, may be empty) at page size 7, a
 * request timeout of 1 s and no retry; stdout into *out (free it). */
static int sync_run(const char *const *peers, char **out)
{
    const char *argv[16] = {"sync", "--set", "sync.page_size=7", "--set", "sync.request_timeout=1", "--set",
                            "sync.retries=0"};
    char *err = NULL;
    int k = 7, rc;

    for (int i = 0; peers && peers[i] && k < 15; i++)
        argv[k++] = peers[i];
    argv[k] = NULL;
    rc = h_cli_err(&node, out, &err, argv);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "sync: %d\n%s%s", rc, *out ? *out : "", err ? err : "");
    free(err);
    return rc;
}

/* The line of peer name in a sync's output (static). */
static const char *line_of(const char *out, const char *name)
{
    static char line[512];
    const char *p = out;
    size_t n = strlen(name);

    line[0] = '\0';
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!strncmp(p, name, n) && p[n] == ' ') {
            snprintf(line, sizeof line, "%.*s", (int)len, p);
            break;
        }
        p = e ? e + 1 : NULL;
    }
    return line;
}

/* `peer show NAME --json`, parsed (json_decref it). */
static json_t *peer_json(const char *name)
{
    const char *argv[] = {"peer", "show", name, "--json", NULL};
    char *out = NULL;
    json_t *j;

    assert_int_equal(h_cli(&node, &out, argv), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    free(out);
    return j;
}

static const char *err_code(json_t *peer)
{
    return json_string_value(json_object_get(json_object_get(peer, "last_error"), "code"));
}

static long long count_via(const char *peer)
{
    char where[256];

    snprintf(where, sizeof where, "via=(SELECT id FROM nodes WHERE name='%s')", peer);
    return h_db_count(&node, where);
}

static long long count_received(const char *peer)
{
    char where[256];

    snprintf(where, sizeof where, "seq IN (SELECT seq FROM received WHERE node=(SELECT id FROM nodes WHERE name='%s'))",
             peer);
    return h_db_count(&node, where);
}

static int setup(void **state)
{
    (void)state;
    h_tls_ca(&T);
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    start(&good, "compliant", 30);
    start(&good2, "compliant", 30);
    start(&bad, "repeat_next", 30);
    add_peer("feed", &good, "identity--feed0000-0000-4000-8000-000000000001");
    add_peer("feed2", &good2, "identity--feed0000-0000-4000-8000-000000000002");
    add_peer("bad", &bad, "identity--feed0000-0000-4000-8000-000000000003");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_py_stop(&good);
    h_py_stop(&good2);
    h_py_stop(&bad);
    h_node_free(&node);
    h_tls_free(&T);
    return 0;
}

/* 30 objects, page size 7: 5 pages, each object once with its provenance, GREEN as
 * the peer was set (--unmarked green), owned by the peer's default organisation;
 * then a second run: only the last object again, a duplicate. */
static void test_pull_pages_then_bookmark(void **state)
{
    const char *const peers[] = {"feed", NULL};
    char *out = NULL;
    json_t *j;

    (void)state;
    assert_int_equal(sync_run(peers, &out), 0);
    assert_non_null(strstr(line_of(out, "feed"), " ok "));
    assert_non_null(strstr(line_of(out, "feed"), "new=30 duplicate=0 refused=0 pages=5 "));
    free(out);
    assert_int_equal(count_via("feed"), 30);
    assert_int_equal(count_received("feed"), 30);
    assert_int_equal(h_db_count(&node, "stix_id LIKE 'indicator--a0000000-%' AND tlp=1 AND owner_org=(SELECT "
                                       "default_org FROM nodes WHERE name='feed')"),
                     30);
    j = peer_json("feed");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "ok");
    assert_true(json_is_string(json_object_get(j, "last_success")));
    assert_true(json_is_null(json_object_get(j, "last_error")));
    assert_int_equal(json_integer_value(json_object_get(j, "received")), 30);
    json_decref(j);

    /* again: asked from the bookmark (a microsecond before the last date_added: the
     * ties rule), the last object is fetched again and counted a duplicate */
    assert_int_equal(sync_run(peers, &out), 0);
    assert_non_null(strstr(line_of(out, "feed"), "new=0 duplicate=1 refused=0 pages=1 "));
    free(out);
    assert_int_equal(count_via("feed"), 30);
    assert_int_equal(count_received("feed"), 30);
    assert_true(h_db_integrity_ok(&node));
}

/* A run cut after 2 pages keeps them (and their bookmark); the next goes on. */
static void test_resume_after_stall(void **state)
{
    const char *const peers[] = {"feed2", NULL};
    char *out = NULL;
    json_t *j;

    (void)state;
    h_py_cmd(&good2, "stall_after 2");
    assert_int_equal(sync_run(peers, &out), 1);
    assert_non_null(strstr(line_of(out, "feed2"), " timeout "));
    assert_non_null(strstr(line_of(out, "feed2"), "new=14 duplicate=0 refused=0 pages=2 "));
    free(out);
    assert_true(h_py_wait(&good2, "stalled", 5000, NULL, 0));
    assert_int_equal(count_via("feed2"), 14);
    j = peer_json("feed2");
    assert_string_equal(err_code(j), "timeout");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "failing");
    assert_int_equal(json_integer_value(json_object_get(j, "consecutive_failures")), 1);
    assert_true(json_is_null(json_object_get(j, "last_success")));
    json_decref(j);

    h_py_cmd(&good2, "release");
    assert_int_equal(sync_run(peers, &out), 0);
    /* the new run goes on from the bookmark's added_after (less 1 µs: the ties rule),
     * not from the cut run's next, which a server with one cursor per query has moved
     * past the page never committed (docs/federation.md 11.6): the last object of page
     * 2 is read again, a duplicate */
    assert_non_null(strstr(line_of(out, "feed2"), "new=16 duplicate=1 refused=0 "));
    free(out);
    assert_int_equal(count_via("feed2"), 30);
    assert_int_equal(count_received("feed2"), 30);
    j = peer_json("feed2");
    assert_true(json_is_null(json_object_get(j, "last_error")));
    assert_int_equal(json_integer_value(json_object_get(j, "consecutive_failures")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "ok");
    json_decref(j);
}

/* `mreza sync peer` at page size page, no retry, a request timeout of 5 s; exit
 * code, stdout into *out and stderr into *err (free both). */
static int sync_page_size(const char *peer, int page, char **out, char **err)
{
    char ps[32];
    const char *argv[] = {"sync", "--set", ps, "--set", "sync.request_timeout=5", "--set", "sync.retries=0", peer, NULL};
    int rc;

    snprintf(ps, sizeof ps, "sync.page_size=%d", page);
    rc = h_cli_err(&node, out, err, argv);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "sync: %d\n%s%s", rc, *out ? *out : "", *err ? *err : "");
    return rc;
}

/* The fetch thread (docs/performance.md, Sync): page N+1 is asked before page N is
 * applied, as if page N brings something new. A server with every object at one
 * date_added and no next token (mode ties) makes pages that bring nothing new, so
 * the guard raises its limit and the page asked beforehand with the old one is
 * dropped and asked again: at page size 7 (a limit of at most 28) its 30 objects
 * cannot all be read, and the run ends with no_progress after 28, the page asked
 * beforehand cancelled and freed (the sanitizers' build checks the leak); at page
 * size 10 (up to 40) the next run reads the rest, each object once with its
 * provenance. Each page applied is one event=sync_page line on stderr, with its
 * counts and times. Failed before: there were no such lines. */
static void test_ties_reasked_and_page_lines(void **state)
{
    char *out = NULL, *err = NULL;
    const char *l;

    (void)state;
    start(&ties, "ties", 30);
    add_peer("ties", &ties, "identity--feed0000-0000-4000-8000-000000000009");
    assert_int_equal(sync_page_size("ties", 7, &out, &err), 1);
    l = line_of(out, "ties");
    assert_non_null(strstr(l, " no_progress "));
    assert_non_null(strstr(l, "new=28 "));
    assert_int_equal(count_via("ties"), 28);
    assert_int_equal(count_received("ties"), 28);
    /* the lines: peer, collection, counts, the fetch thread's and the apply's times */
    assert_non_null(strstr(err, "event=sync_page peer=ties collection=" COLL " objects=7 new=7 duplicate=0 refused=0 fetch_ms="));
    assert_non_null(strstr(err, " objects=7 new=0 duplicate=7 refused=0 "));
    assert_non_null(strstr(err, " objects=28 new=14 duplicate=14 refused=0 "));
    assert_non_null(strstr(err, " fetch_cpu_ms="));
    assert_non_null(strstr(err, " wait_ms="));
    assert_non_null(strstr(err, " apply_ms="));
    assert_non_null(strstr(err, " apply_cpu_ms="));
    free(out);
    free(err);
    out = err = NULL;

    assert_int_equal(sync_page_size("ties", 10, &out, &err), 0);
    l = line_of(out, "ties");
    assert_non_null(strstr(l, " ok "));
    assert_non_null(strstr(l, "new=2 "));
    assert_int_equal(count_via("ties"), 30);
    assert_int_equal(count_received("ties"), 30);
    /* limits 10 and 20 bring nothing new, 40 the last 2 */
    assert_int_equal(h_count(err, "event=sync_page peer=ties "), 3);
    assert_non_null(strstr(err, " objects=30 new=2 duplicate=28 refused=0 "));
    free(out);
    free(err);
    assert_int_equal(h_py_stop(&ties), 0);
}

/* One hostile peer ends its own run with its code; the compliant one in the same
 * `mreza sync` completes. */
static void hostile(const char *mode, const char *code, long failures)
{
    const char *const peers[] = {"bad", "feed", NULL};
    char *out = NULL, cmd[64];
    json_t *j;

    snprintf(cmd, sizeof cmd, "mode %s", mode);
    h_py_cmd(&bad, cmd);
    assert_true(h_py_wait(&bad, "mode", 5000, NULL, 0));
    assert_int_equal(sync_run(peers, &out), 1);
    assert_non_null(strstr(line_of(out, "bad"), code));
    assert_non_null(strstr(line_of(out, "feed"), " ok "));
    free(out);
    j = peer_json("bad");
    assert_string_equal(err_code(j), code);
    assert_int_equal(json_integer_value(json_object_get(j, "consecutive_failures")), failures);
    json_decref(j);
    j = peer_json("feed");
    assert_true(json_is_null(json_object_get(j, "last_error")));
    json_decref(j);
}

static void test_hostile_peers(void **state)
{
    const char *const unknown[] = {"nosuchpeer", NULL};
    char *out = NULL;

    (void)state;
    hostile("repeat_page", "repeated_page", 1);
    hostile("html_error", "content_type", 2);
    hostile("hang", "timeout", 3);
    assert_int_equal(h_db_count(&node, "stix_id LIKE 'indicator--a0000000-%' AND via=(SELECT id FROM nodes WHERE "
                                       "name='feed')"),
                     30);
    /* all peers, the bad one compliant again: exit 0 */
    h_py_cmd(&bad, "mode compliant");
    assert_true(h_py_wait(&bad, "mode", 5000, NULL, 0));
    assert_int_equal(sync_run(NULL, &out), 0);
    assert_non_null(strstr(line_of(out, "bad"), " ok "));
    free(out);
    assert_int_equal(count_received("bad"), 30);
    assert_int_equal(sync_run(unknown, &out), 2);
    free(out);
    /* a peer whose lock is held (a sync running elsewhere) is skipped: busy, its
     * status untouched; the others run */
    {
        const char *const both[] = {"bad", "feed", NULL};
        struct mz_lock lock = {-1};
        struct mz_error lerr;
        char path[512];
        long holder = 0;
        json_t *j;

        snprintf(path, sizeof path, "%s/sync/bad.lock", node.dir);
        assert_int_equal(mz_lock_try(path, &lock, &holder, &lerr), MZ_OK);
        assert_int_equal(sync_run(both, &out), 1);
        assert_non_null(strstr(line_of(out, "bad"), " busy "));
        assert_non_null(strstr(line_of(out, "feed"), " ok "));
        free(out);
        j = peer_json("bad");
        assert_true(json_is_null(json_object_get(j, "last_error")));
        json_decref(j);
        mz_lock_release(&lock);
        assert_int_equal(sync_run(both, &out), 0);
        free(out);
    }
    assert_true(h_db_integrity_ok(&node));
}

/* A taxii peer without a collection has nothing to pull (config); `peer set
 * --collection` adds one; without --unmarked its unmarked objects are stored
 * AMBER+STRICT of its default organisation (read by nobody here). */
static void test_unmarked_default_and_set_collection(void **state)
{
    const char *const peers[] = {"plain", NULL};
    const char *add[] = {"peer", "add", "plain", "--url", NULL, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                         "--org", "identity--feed0000-0000-4000-8000-000000000004", NULL};
    const char *set[] = {"peer", "set", "plain", "--collection", COLL "=national", NULL};
    const char *bad_set[] = {"peer", "set", "plain", "--collection", COLL "=nosuchcommunity", NULL};
    char url[128], *out = NULL, *err = NULL;
    json_t *j, *sub;

    (void)state;
    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", good.port);
    add[4] = url;
    assert_int_equal(h_cli_err(&node, &out, &err, add), 0);
    free(out);
    free(err);
    assert_int_equal(sync_run(peers, &out), 1);
    assert_non_null(strstr(line_of(out, "plain"), " config "));
    free(out);
    assert_int_not_equal(h_cli_err(&node, &out, &err, bad_set), 0);
    assert_non_null(strstr(err, "nosuchcommunity"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, set), 0);
    free(out);
    free(err);
    assert_int_equal(sync_run(peers, &out), 0);
    assert_non_null(strstr(line_of(out, "plain"), "new=30 duplicate=0 refused=0 pages=5 "));
    free(out);
    assert_int_equal(h_db_count(&node, "via=(SELECT id FROM nodes WHERE name='plain') AND tlp=3 AND tlp_defaulted=1"),
                     30);
    j = peer_json("plain");
    assert_string_equal(json_string_value(json_object_get(j, "unmarked")), "default");
    sub = json_array_get(json_object_get(j, "subscriptions"), 0);
    assert_string_equal(json_string_value(json_object_get(sub, "community")), "national");
    assert_string_equal(json_string_value(json_object_get(sub, "collection")), COLL);
    assert_int_equal(json_integer_value(json_object_get(sub, "objects")), 30);
    json_decref(j);
}

/* A mreza peer whose API root does not name the identity bound to it (here: a server
 * that names no node) is refused before any page: code identity. */
static void test_mreza_peer_identity(void **state)
{
    const char *const peers[] = {"impostor", NULL};
    const char *add[] = {"peer", "add", "impostor", "--url", NULL, "--ca-file", tls_file("ca", "pem"), "--identity",
                         "identity--0dde0000-0000-4000-8000-00000000000a", NULL};
    const char *taxii_ident[] = {"peer", "set", "plain", "--identity", "identity--0dde0000-0000-4000-8000-00000000000b",
                                 NULL};
    char url[128], *out = NULL, *err = NULL;
    json_t *j;

    (void)state;
    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", good.port);
    add[4] = url;
    assert_int_equal(h_cli_err(&node, &out, &err, add), 0);
    free(out);
    free(err);
    assert_int_not_equal(h_cli_err(&node, &out, &err, taxii_ident), 0);
    assert_non_null(strstr(err, "mreza peer"));
    free(out);
    free(err);
    assert_int_equal(sync_run(peers, &out), 1);
    assert_non_null(strstr(line_of(out, "impostor"), " identity "));
    assert_non_null(strstr(line_of(out, "impostor"), "pages=0 "));
    free(out);
    j = peer_json("impostor");
    assert_string_equal(err_code(j), "identity");
    assert_string_equal(json_string_value(json_object_get(j, "identity")), "identity--0dde0000-0000-4000-8000-00000000000a");
    json_decref(j);
    assert_int_equal(count_received("impostor"), 0);
}

#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define RED_ID "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define TWO(n) "indicator--7e000000-0000-4000-8000-0000000000" #n

/* Post one indicator on node b as key (audience: a quoted identity list, or NULL). */
static void post_on(struct hnode *b, const char *key, const char *id, const char *marking, const char *audience)
{
    struct hresp r;
    char body[1500];

    memset(&r, 0, sizeof r);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"two\",\"pattern\":\"[domain-name:value = "
             "'two.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s%s%s}",
             id, marking, audience ? ",\"x_mreza_recipient_refs\":[" : "", audience ? audience : "", audience ? "]" : "");
    if (h_http(b, "POST", "/api/v1/objects", key, body, strlen(body), &r) != 201)
        fail_msg("post %s: %ld %s", id, r.status, r.body ? r.body : "");
    hresp_free(&r);
}

/* Two mreza nodes: b (me-cirt's) knows this node as peer nodea, al-cert bound to it,
 * and issued the key this node presents there; this node knows b as mreza peer
 * nodeb, me-cirt bound to it. Without the key the run ends with `auth` (401 on b's
 * API root); with it, this node pulls b's mreza-direct over TLS (x_mreza_meta
 * stating the owner): the AMBER addressed to al-cert and the CLEAR arrive, owned by
 * me-cirt, with their provenance; AMBER addressed to b alone and RED never leave b.
 * A second run adds nothing. (GREEN in a community travels by the community's
 * collection, which needs `community join`: not built.) */
static void test_two_mreza_nodes(void **state)
{
    struct hnode b;
    const char *const peers[] = {"nodeb", NULL};
    char key_analyst[64], ident_al[80], ident_me[80], quoted[100], url[128], keyfile[320], *out = NULL, *err = NULL,
        *k;
    const char *add_on_b[] = {"peer", "add", "nodea", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_on_b[] = {"peer", "bind", "nodea", ident_al, "--name", "al-cert", NULL};
    const char *add[] = {"peer", "add", "nodeb", "--url", url, "--ca-file", tls_file("ca", "pem"), "--org", ident_me,
                         NULL};
    const char *secret[] = {"peer", "secret", "nodeb", keyfile, NULL};
    json_t *j;
    FILE *f;

    (void)state;
    h_identity(&node, "org", "al-cert", ident_al);
    h_node_init(&b);
    h_add_org(&b, "me-cirt", "ME", "national-csirt");
    h_add_user(&b, "analyst@me-cirt", "me-cirt", "analyst", key_analyst);
    h_identity(&b, "org", "me-cirt", ident_me);
    assert_int_equal(h_cli_err(&b, &out, &err, add_on_b), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    snprintf(keyfile, sizeof keyfile, "%s/key-for-b", node.dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&b, &out, &err, bind_on_b), 0);
    free(out);
    free(err);
    h_start_tls(&b, &T, "node", NULL, NULL);
    snprintf(quoted, sizeof quoted, "\"%s\"", ident_al);
    post_on(&b, key_analyst, TWO(01), AMBER_ID, quoted);
    post_on(&b, key_analyst, TWO(02), CLEAR_ID, NULL);
    snprintf(quoted, sizeof quoted, "\"%s\"", ident_me);
    post_on(&b, key_analyst, TWO(03), AMBER_ID, quoted);
    post_on(&b, key_analyst, TWO(04), RED_ID, NULL);

    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", b.port);
    assert_int_equal(h_cli_err(&node, &out, &err, add), 0);
    free(out);
    free(err);
    assert_int_equal(sync_run(peers, &out), 1);
    assert_non_null(strstr(line_of(out, "nodeb"), " auth "));
    free(out);
    assert_int_equal(h_cli_err(&node, &out, &err, secret), 0);
    free(out);
    free(err);
    assert_int_equal(sync_run(peers, &out), 0);
    assert_non_null(strstr(line_of(out, "nodeb"), " ok "));
    free(out);
    assert_int_equal(h_db_count(&node, "stix_id IN ('" TWO(01) "','" TWO(02) "') AND via=(SELECT id FROM nodes WHERE "
                                       "name='nodeb') AND owner_org=(SELECT id FROM orgs WHERE node=(SELECT id FROM nodes WHERE "
                                       "name='nodeb'))"),
                     2);
    assert_int_equal(count_received("nodeb"), count_via("nodeb"));
    assert_int_equal(h_db_count(&node, "stix_id IN ('" TWO(03) "','" TWO(04) "')"), 0);
    j = peer_json("nodeb");
    assert_true(json_is_null(json_object_get(j, "last_error")));
    assert_true(json_is_string(json_object_get(j, "last_success")));
    json_decref(j);
    /* again: nothing new */
    assert_int_equal(sync_run(peers, &out), 0);
    assert_non_null(strstr(line_of(out, "nodeb"), " ok             new=0 "));
    free(out);
    assert_int_equal(h_db_count(&node, "stix_id IN ('" TWO(01) "','" TWO(02) "')"), 2);
    assert_true(h_db_integrity_ok(&node));
    assert_int_equal(h_node_free(&b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pull_pages_then_bookmark),
        cmocka_unit_test(test_resume_after_stall),
        cmocka_unit_test(test_hostile_peers),
        cmocka_unit_test(test_unmarked_default_and_set_collection),
        cmocka_unit_test(test_mreza_peer_identity),
        cmocka_unit_test(test_two_mreza_nodes),
        cmocka_unit_test(test_ties_reasked_and_page_lines),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
