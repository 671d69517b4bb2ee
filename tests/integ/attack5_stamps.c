/* tests/integ/attack5_stamps.c - the fifth hostile review (issue 11's fixes,
 * re-attacked at 755a60f): the peers' stamps of the third attack's A10 fix
 * (store_peer_stamp_addressed, svc_peer.c restamp). NOT in the suite; FAILS on
 * 755a60f. Build and run:
 *   make -s -j2 SANITIZE=1 build/san/mreza build/san/tests/integ/attack5_stamps
 *   BUILD=build/san sh tests/run.sh build/san/tests/integ/attack5_stamps
 *   - C6 test_attack_rebind_restamps: an AMBER version addressed to FEED2; `peer bind
 *     sink FEED2`, `peer unbind`, `peer bind` again, three times: each bind stamps
 *     every AMBER version ever addressed to FEED2 again (a full scan of objects, then
 *     one grants row per version, none ever removed), so mreza-direct lists the one
 *     version at 1 + 3 positions, every peer (not only FEED2's) reads each again, and
 *     the same happens at every `peer bind --from the directory` of an organisation
 *     bound already (svc_directory_bind hands a profile: svc_peer_bind_in does not
 *     stop at "bound already"). A version needs one peers' stamp per act that made it
 *     readable to a peer, not one per binding. */
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


static void test_attack_rebind_restamps(void **state)
{
    struct hnode n;
    struct h_py sink;
    char key[64], id[64], pkey[128];
    const char *bind[] = {"peer", "bind", "sink", FEED2, "--name", "feed2", NULL};
    const char *unbind[] = {"peer", "unbind", "sink", "feed2", NULL};
    int listed;

    (void)state;
    (void)push_run; /* helpers shared with test_fed_domain.c */
    (void)posted_ids;
    (void)get_object;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    start_sink(&sink);
    add_push_peer(&n, "sink", &sink);
    h_start(&n, NULL);
    aid(id, 85);
    post_on(&n, key, id, AMBER_ID, "\"" FEED2 "\"", "to feed2", 0);
    for (int i = 0; i < 3; i++) {
        if (i)
            cli_ok(&n, unbind);
        cli_ok(&n, bind);
    }
    peer_key(&n, "sink", pkey, sizeof pkey);
    listed = direct_count(&n, pkey, "limit=1000", id);
    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "listed %d times\n", listed);
    assert_int_equal(h_node_free(&n), 0);
    h_py_stop(&sink);
    /* at its first grant, and at most once more for the act that made it readable */
    assert_true(listed <= 2);
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
        cmocka_unit_test(test_attack_rebind_restamps),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
