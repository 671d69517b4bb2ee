/* tests/integ/test_fed_join.c - spanning communities and the scheduler (issue 11,
 * docs/federation.md decision 9, sections 1, 2 and 10.6):
 *   - `node set|show`: the name and country the API root's x_mreza_node reports, the
 *     node's identity;
 *   - two mreza nodes: node a hosts 'regional' with a-cirt and b-cirt (bound to peer
 *     nodeb there) as members; node b joins it from a (`community join regional
 *     --peer nodea`: refused while b has no node identity set for nodea, naming
 *     the one a's API root says - docs/security.md B5 -, then after `peer set nodea
 *     --identity` the same UUID, home nodea); an analyst of a-cirt posts a GREEN
 *     indicator into regional and one into a's national; b's `mreza sync nodea`
 *     brings the regional one only; b-cirt's analyst reads it on b, b-bank's
 *     reporter (no member of regional) gets 404. On b, the members of the joined
 *     community are a's roster's, applied by the join (b-cirt and a-cirt, both
 *     read+write), and b's operator changes none of them; then `community leave
 *     regional` on b (security.md C2): b-cirt's analyst gets 404, the object stays,
 *     and `peer remove nodea`, refused while b was joined, succeeds;
 *   - the scheduler: `mreza serve` with sync.interval=1 runs a taxii peer by itself
 *     (GET /api/v1/peers shows last_success and next_run, polled with a bound), and a
 *     serve stopped while its run is stalled mid-sync exits at once and cleanly.
 * No sleeps: polls are bounded, waits are for the test server's event lines. Every
 * test failed before this work: `node`, `community join` were unknown commands (exit
 * 2) and serve synced nothing. */
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
#define GREEN_ID "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define REGIONAL_IND "indicator--7e000000-0000-4000-8000-0000000000a1"
#define NATIONAL_IND "indicator--7e000000-0000-4000-8000-0000000000a2"

static struct h_tls T;

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
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

/* Run a CLI command on n; its exit status; stdout and stderr freed. */
static int cli(struct hnode *n, const char **argv)
{
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(n, &out, &err, argv);

    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s %s: %d\n%s%s", argv[0], argv[1] ? argv[1] : "", rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
    return rc;
}

static void test_node_set_show(void **state)
{
    struct hnode n;
    const char *show[] = {"node", "show", NULL};
    const char *set[] = {"node", "set", "--name", "al", "--country", "AL", NULL};
    const char *bad[] = {"node", "set", "--country", "al", NULL};
    char *out = NULL, *err = NULL, ident[80], key[64];
    struct hresp r;
    json_t *j;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "analyst@al-cert", "al-cert", "analyst", key);
    assert_int_equal(h_cli_err(&n, &out, &err, show), 0);
    assert_non_null(strstr(out, "identity  identity--"));
    snprintf(ident, sizeof ident, "%.46s", strstr(out, "identity--"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&n, &out, &err, set), 0);
    assert_non_null(strstr(out, "name      al\ncountry   AL\n"));
    assert_non_null(strstr(out, ident)); /* the same identity */
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&n, &out, &err, bad), 1);
    assert_non_null(strstr(err, "two capital letters"));
    free(out);
    free(err);
    h_start(&n, NULL);
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&n, "GET", "/taxii2/api/", key, NULL, 0, &r), 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "x_mreza_node"), "name")), "al");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "x_mreza_node"), "country")), "AL");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "x_mreza_node"), "identity")), ident);
    json_decref(j);
    hresp_free(&r);
    assert_int_equal(h_node_free(&n), 0);
}

/* Post one GREEN indicator on node n as key into community (NULL: the default). */
static void post_green(struct hnode *n, const char *key, const char *id, const char *community)
{
    struct hresp r;
    char body[1500], path[128];

    memset(&r, 0, sizeof r);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"join\",\"pattern\":\"[domain-name:value = "
             "'join.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]}",
             id, GREEN_ID);
    snprintf(path, sizeof path, "/api/v1/objects%s%s", community ? "?community=" : "", community ? community : "");
    if (h_http(n, "POST", path, key, body, strlen(body), &r) != 201)
        fail_msg("post %s: %ld %s", id, r.status, r.body ? r.body : "");
    hresp_free(&r);
}

/* The key printed on its own line by `peer add` (into out). */
static void peer_add_key(struct hnode *n, const char **argv, const char *keyfile)
{
    char *out = NULL, *err = NULL, *k;
    FILE *f;

    assert_int_equal(h_cli_err(n, &out, &err, argv), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    free(err);
}

static void test_join_regional(void **state)
{
    struct hnode a, b;
    char key_a_analyst[64], key_b_analyst[64], key_b_bank[64], ident_a[80], ident_b[80], url[128], keyfile[320],
        path[128];
    const char *add_on_a[] = {"peer", "add", "nodeb", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_on_a[] = {"peer", "bind", "nodeb", ident_b, "--name", "b-cirt", NULL};
    const char *comm_on_a[] = {"community", "add", "regional", "--kind", "regional", "--title", "WB CSIRTs", NULL};
    const char *mem_a_on_a[] = {"community", "member", "add", "regional", "a-cirt", NULL};
    const char *mem_b_on_a[] = {"community", "member", "add", "regional", "b-cirt", NULL};
    const char *add_on_b[] = {"peer", "add", "nodea", "--url", url, "--ca-file", tls_file("ca", "pem"), NULL};
    const char *secret_on_b[] = {"peer", "secret", "nodea", keyfile, NULL};
    const char *bind_on_b[] = {"peer", "bind", "nodea", ident_a, "--name", "a-cirt", NULL};
    const char *join_unknown[] = {"community", "join", "wb-banks", "--peer", "nodea", NULL};
    const char *join[] = {"community", "join", "regional", "--peer", "nodea", NULL};
    char node_a[80];
    const char *node_show[] = {"node", "show", NULL};
    const char *ident_on_b[] = {"peer", "set", "nodea", "--identity", node_a, NULL};
    const char *mem_b_on_b[] = {"community", "member", "add", "regional", "b-cirt", "--read", NULL};
    const char *mem_a_on_b[] = {"community", "member", "add", "regional", "a-cirt", NULL};
    const char *sync[] = {"sync", "nodea", NULL};
    char *out = NULL, *err = NULL;
    struct hresp r;

    (void)state;
    h_node_init(&a);
    h_node_init(&b);
    h_add_org(&a, "a-cirt", "AL", "national-csirt");
    h_add_user(&a, "analyst@a-cirt", "a-cirt", "analyst", key_a_analyst);
    h_identity(&a, "org", "a-cirt", ident_a);
    h_add_org(&b, "b-cirt", "ME", "national-csirt");
    h_add_org(&b, "b-bank", "ME", "operator");
    h_add_user(&b, "analyst@b-cirt", "b-cirt", "analyst", key_b_analyst);
    h_add_user(&b, "ops@b-bank", "b-bank", "reporter", key_b_bank);
    h_identity(&b, "org", "b-cirt", ident_b);

    /* a: b is a peer, b-cirt bound to it; regional homed here with both CSIRTs */
    snprintf(keyfile, sizeof keyfile, "%s/key-for-a", b.dir);
    peer_add_key(&a, add_on_a, keyfile);
    assert_int_equal(cli(&a, bind_on_a), 0);
    assert_int_equal(cli(&a, comm_on_a), 0);
    assert_int_equal(cli(&a, mem_a_on_a), 0);
    assert_int_equal(cli(&a, mem_b_on_a), 0);
    h_start_tls(&a, &T, "node", NULL, NULL);
    post_green(&a, key_a_analyst, REGIONAL_IND, "regional");
    post_green(&a, key_a_analyst, NATIONAL_IND, NULL);

    /* b: a is a mreza peer, a-cirt bound to it; b joins regional from a */
    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", a.port);
    assert_int_equal(cli(&b, add_on_b), 0);
    assert_int_equal(cli(&b, secret_on_b), 0);
    assert_int_equal(cli(&b, bind_on_b), 0);
    assert_int_equal(h_cli_err(&b, &out, &err, join_unknown), 1); /* a lists no such collection for b */
    assert_non_null(strstr(err, "wb-banks"));
    free(out);
    free(err);
    /* a's node identity is the operator's word (docs/security.md B5): without it the
     * join is refused, naming what a's API root says */
    assert_int_equal(h_cli_err(&a, &out, &err, node_show), 0);
    assert_non_null(strstr(out, "identity  identity--"));
    snprintf(node_a, sizeof node_a, "%.46s", strstr(out, "identity--"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&b, &out, &err, join), 1);
    assert_non_null(strstr(err, "no node identity set here"));
    assert_non_null(strstr(err, node_a));
    free(out);
    free(err);
    assert_int_equal(cli(&b, ident_on_b), 0);
    assert_int_equal(h_cli_err(&b, &out, &err, join), 0);
    assert_non_null(strstr(out, "joined regional (regional, home: nodea"));
    assert_non_null(strstr(out, "a-cirt                       read+write"));
    assert_non_null(strstr(out, "b-cirt                       read+write"));
    free(out);
    free(err);
    /* the same UUID as a's */
    {
        const char *list[] = {"community", "list", NULL};
        char uuid[40], *line;
        assert_int_equal(h_cli_err(&a, &out, &err, list), 0);
        line = strstr(out, "regional ");
        assert_non_null(line);
        line = strstr(line, " regional ") ? strstr(line, " regional ") + 10 : line;
        while (*line == ' ')
            line++;
        snprintf(uuid, sizeof uuid, "%.36s", line);
        free(out);
        free(err);
        assert_int_equal(h_cli_err(&b, &out, &err, list), 0);
        assert_non_null(strstr(out, uuid));
        free(out);
        free(err);
    }
    /* a's members are a's to decide: none is added here, not even b's own */
    assert_int_equal(h_cli_err(&b, &out, &err, mem_a_on_b), 1);
    assert_non_null(strstr(err, "homed at peer nodea, which decides its members"));
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&b, &out, &err, mem_b_on_b), 1);
    free(out);
    free(err);
    /* nor is its home removed here while it is joined (the third attack's A11) */
    {
        const char *remove[] = {"peer", "remove", "nodea", NULL};
        assert_int_equal(h_cli_err(&b, &out, &err, remove), 1);
        assert_non_null(strstr(err, "peer nodea is the home of community regional, joined here"));
        free(out);
        free(err);
    }

    assert_int_equal(h_cli_err(&b, &out, &err, sync), 0);
    assert_non_null(strstr(out, " ok "));
    free(out);
    free(err);
    assert_int_equal(h_db_count(&b, "stix_id='" REGIONAL_IND "' AND via=(SELECT id FROM nodes WHERE name='nodea') AND "
                                    "tlp=1"),
                     1);
    assert_int_equal(h_db_count(&b, "stix_id='" NATIONAL_IND "'"), 0);

    /* b-cirt's analyst reads it on b; b-bank's reporter does not (404) */
    h_start(&b, NULL);
    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s", REGIONAL_IND);
    assert_int_equal(h_http(&b, "GET", path, key_b_analyst, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, REGIONAL_IND));
    hresp_free(&r);
    assert_int_equal(h_http(&b, "GET", path, key_b_bank, NULL, 0, &r), 404);
    hresp_free(&r);
    /* b leaves regional (security.md C2): b-cirt reads it no more (the object stays),
     * and its home may then be removed */
    {
        const char *leave[] = {"community", "leave", "regional", NULL};
        const char *remove[] = {"peer", "remove", "nodea", NULL};
        assert_int_equal(h_cli_err(&b, &out, &err, leave), 0);
        assert_non_null(strstr(out, "left regional"));
        free(out);
        free(err);
        assert_int_equal(h_http(&b, "GET", path, key_b_analyst, NULL, 0, &r), 404);
        hresp_free(&r);
        assert_int_equal(h_db_count(&b, "stix_id='" REGIONAL_IND "'"), 1);
        assert_int_equal(h_cli_err(&b, &out, &err, remove), 0);
        free(out);
        free(err);
    }
    assert_true(h_db_integrity_ok(&b));
    assert_int_equal(h_node_free(&b), 0);
    assert_int_equal(h_node_free(&a), 0);
}

/* The peer's entry in GET /api/v1/peers (json_decref it), or NULL. */
static json_t *peer_entry(struct hnode *n, const char *key, const char *name)
{
    struct hresp r;
    json_t *j, *p, *found = NULL;
    size_t i;

    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(n, "GET", "/api/v1/peers", key, NULL, 0, &r), 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    json_array_foreach(json_object_get(j, "peers"), i, p)
        if (!strcmp(json_string_value(json_object_get(p, "name")), name))
            found = json_incref(p);
    json_decref(j);
    hresp_free(&r);
    return found;
}

static void add_taxii_peer(struct hnode *n, const char *name, const struct h_py *p, const char *ident)
{
    char url[128], coll[128];
    const char *argv[] = {"peer", "add", name, "--url", url, "--kind", "taxii", "--ca-file", tls_file("ca", "pem"),
                          "--org", ident, "--collection", coll, "--unmarked", "green", NULL};

    snprintf(url, sizeof url, "https://127.0.0.1:%u/api1/", p->port);
    snprintf(coll, sizeof coll, "%s=national", COLL);
    assert_int_equal(cli(n, argv), 0);
}

static void start_py(struct h_py *p, int n)
{
    char count[16];
    const char *args[] = {"--mode", "compliant", "--generate", count, "--cert", tls_file("node", "pem"), "--key",
                          tls_file("node", "key"), NULL};

    snprintf(count, sizeof count, "%d", n);
    h_py_start(p, SERVER, args);
}

/* serve with sync.interval=1 runs the peer by itself: last_success and next_run
 * appear in GET /api/v1/peers (polled, at most 30 s, each poll after waiting for the
 * server's next event line or 200 ms); then a second peer stalls mid-run and serve,
 * stopped, exits at once and cleanly, the pages before the stall kept. */
static void test_scheduler(void **state)
{
    struct hnode n;
    struct h_py good, slow;
    char key_staff[64];
    const char *sets[] = {"sync.interval=1", "sync.page_size=7", NULL};
    json_t *p = NULL;
    int polls;

    (void)state;
    h_node_init(&n);
    h_add_org(&n, "al-cert", "AL", "national-csirt");
    h_add_user(&n, "staff@al-cert", "al-cert", "node-admin", key_staff);
    start_py(&good, 30);
    start_py(&slow, 30);
    add_taxii_peer(&n, "feed", &good, "identity--feed0000-0000-4000-8000-000000000011");
    h_py_cmd(&slow, "stall_after 1");
    add_taxii_peer(&n, "slow", &slow, "identity--feed0000-0000-4000-8000-000000000012");
    h_start(&n, sets);
    for (polls = 0; polls < 150; polls++) {
        p = peer_entry(&n, key_staff, "feed");
        assert_non_null(p);
        if (json_is_string(json_object_get(p, "last_success")) && json_is_string(json_object_get(p, "next_run")))
            break;
        json_decref(p);
        p = NULL;
        h_py_wait(&good, "request", 200, NULL, 0); /* a bounded wait: the next request, or 200 ms */
    }
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "ok");
    json_decref(p);
    assert_int_equal(h_db_count(&n, "via=(SELECT id FROM nodes WHERE name='feed')"), 30);
    /* the slow peer's run is stalled on its second page: stop serve now */
    assert_true(h_py_wait(&slow, "stalled", 30000, NULL, 0));
    assert_int_equal(h_stop(&n), 0);
    assert_int_equal(h_db_count(&n, "via=(SELECT id FROM nodes WHERE name='slow')"), 7);
    assert_true(h_db_integrity_ok(&n));
    {
        const char *show[] = {"peer", "show", "feed", NULL};
        char *out = NULL, *err = NULL;
        assert_int_equal(h_cli_err(&n, &out, &err, show), 0);
        assert_non_null(strstr(out, "next run      20")); /* a time, recorded by serve */
        free(out);
        free(err);
    }
    h_py_cmd(&slow, "release");
    h_py_stop(&slow);
    h_py_stop(&good);
    h_node_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_set_show),
        cmocka_unit_test(test_join_regional),
        cmocka_unit_test(test_scheduler),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
