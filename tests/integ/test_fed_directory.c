/* tests/integ/test_fed_directory.c - the node directory across borders (issue 11,
 * docs/federation.md sections 1, 3, 6.4 and 7): two real mreža nodes over TLS, a (the
 * peer, `mreza serve`) and b (the console that reads a's directory and syncs from it).
 *   - `peer orgs nodea` lists a's organisations live (its mreza-direct identities) with
 *     their name, country, kind, sector and binding here: not bound, bound to this
 *     peer, bound to another peer (a conflict), an organisation of b (a conflict);
 *   - `peer bind nodea ID` without --name takes the directory's name, country, kind
 *     and sector (the home handle as handle); `--all-from-directory` binds nothing
 *     while a conflict exists (and lists it), then every organisation not bound;
 *   - a sync brings the bound organisations' identities (stored with via = nodea, read
 *     by b's members as GREEN of its national community) and, after `org set
 *     --full-name` at a, the new name: b's remote organisation takes it (its handle
 *     stays);
 *   - refused and counted (`refused.owner`): the identity of an organisation bound to
 *     no peer here, one that is an organisation of b (homed here), and the identity
 *     and an indicator of one bound to another peer; nothing of them is stored;
 *     binding from a's directory an organisation of b or one bound to another peer is
 *     refused; b's analyst still cannot post an identity object under a bound
 *     remote organisation's id (ingest: the node maintains it).
 *   - the node's directory goes into its regional community: identities written before
 *     `community add --kind regional` (shared into it by the node) and after, served
 *     in the community's TAXII collection.
 *   - `peer orgs` of a peer that is unreachable or misbehaves (tests/taxii/taxii_server.py
 *     standing for a mreza node: an HTML page, endless empty pages, objects without
 *     x_mreza_meta, no mreza-direct view) ends with exit 1 and the fed code named.
 * Every test failed before this work: `peer orgs` and `org set --full-name` were
 * unknown (exit 2), `peer bind` wanted --name, and a peer's identity objects were
 * refused as `community` and never stored; the directory was in national only. */
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
#define OTHER_IND "indicator--7e000000-0000-4000-8000-0000000000d1"

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

/* Run a CLI command on n: its exit status; stdout into *out and stderr into *err when
 * given (free them), else freed. */
static int cli(struct hnode *n, const char **argv, char **out, char **err)
{
    char *o = NULL, *e = NULL;
    int rc = h_cli_err(n, &o, &e, argv);

    if (getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "%s %s: %d\n%s%s", argv[0], argv[1] ? argv[1] : "", rc, o ? o : "", e ? e : "");
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

/* Add organisation name on n (full name, sector, identity may be NULL). */
static void org_add(struct hnode *n, const char *name, const char *full, const char *kind, const char *sector,
                    const char *identity)
{
    const char *argv[16] = {"org", "add", name, "--country", "AL", "--kind", kind};
    int k = 7;

    if (full) {
        argv[k++] = "--full-name";
        argv[k++] = full;
    }
    if (sector) {
        argv[k++] = "--sector";
        argv[k++] = sector;
    }
    if (identity) {
        argv[k++] = "--identity";
        argv[k++] = identity;
    }
    argv[k] = NULL;
    assert_int_equal(cli(n, argv, NULL, NULL), 0);
}

/* a issues b's peer key (peer add nodeb), which b stores for peer nodea at a's URL. */
static void peer_up(struct hnode *a, struct hnode *b)
{
    const char *add_on_a[] = {"peer", "add", "nodeb", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    char url[128], keyfile[320], *out = NULL, *k;
    const char *add_on_b[] = {"peer", "add", "nodea", "--url", url, "--ca-file", tls_file("ca", "pem"), NULL};
    const char *secret[] = {"peer", "secret", "nodea", keyfile, NULL};
    FILE *f;

    assert_int_equal(cli(a, add_on_a, &out, NULL), 0);
    k = strstr(out, "\nmz_");
    assert_non_null(k);
    snprintf(keyfile, sizeof keyfile, "%s/key-for-a", b->dir);
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s", k + 1);
    fclose(f);
    free(out);
    h_start_tls(a, &T, "node", NULL, NULL);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/taxii2/api/", a->port);
    assert_int_equal(cli(b, add_on_b, NULL, NULL), 0);
    assert_int_equal(cli(b, secret, NULL, NULL), 0);
}

/* `peer orgs nodea --json` on b, parsed: its "orgs" entry of identity id (borrowed
 * from *doc, which the caller json_decrefs). */
static json_t *orgs_json(struct hnode *b, json_t **doc)
{
    const char *argv[] = {"peer", "orgs", "nodea", "--json", NULL};
    char *out = NULL;

    assert_int_equal(cli(b, argv, &out, NULL), 0);
    *doc = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(*doc);
    return json_object_get(*doc, "orgs");
}

static json_t *entry(json_t *orgs, const char *id)
{
    size_t i;
    json_t *e;

    json_array_foreach(orgs, i, e) if (!strcmp(json_string_value(json_object_get(e, "identity")), id)) return e;
    fail_msg("no entry %s", id);
    return NULL;
}

static const char *str(json_t *e, const char *key)
{
    const char *s = json_string_value(json_object_get(e, key));
    return s ? s : "(null)";
}

/* The line of `org list` on n naming org (static), "" if none. */
static const char *org_line(struct hnode *n, const char *org)
{
    static char line[600];
    const char *argv[] = {"org", "list", NULL};
    char *out = NULL, *p;
    size_t len = strlen(org);

    line[0] = '\0';
    assert_int_equal(cli(n, argv, &out, NULL), 0);
    for (p = out; p && *p;) {
        char *e = strchr(p, '\n');
        if (!strncmp(p, org, len) && p[len] == ' ')
            snprintf(line, sizeof line, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
        p = e ? e + 1 : NULL;
    }
    free(out);
    return line;
}

static int sync_a(struct hnode *b, char **out)
{
    const char *argv[] = {"sync", "nodea", "--set", "sync.retries=0", NULL};

    return cli(b, argv, out, NULL);
}

static long long refused_owner(struct hnode *b)
{
    const char *argv[] = {"peer", "show", "nodea", "--json", NULL};
    char *out = NULL;
    json_t *j;
    long long v;

    assert_int_equal(cli(b, argv, &out, NULL), 0);
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    v = json_integer_value(json_object_get(json_object_get(j, "refused"), "owner"));
    json_decref(j);
    return v;
}

static void test_orgs_bind_and_updates(void **state)
{
    struct hnode a, b;
    char id_cirt[80], id_police[80], id_bank[80], key_b[64], path[160], body[1024], *out = NULL, *err = NULL;
    const char *add_c[] = {"peer", "add", "nodec", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_c[] = {"peer", "bind", "nodec", id_bank, "--name", "c-bank", NULL};
    const char *unbind_c[] = {"peer", "unbind", "nodec", "c-bank", NULL};
    const char *bind_all[] = {"peer", "bind", "nodea", "--all-from-directory", NULL};
    const char *bind_one[] = {"peer", "bind", "nodea", id_cirt, NULL};
    const char *rename[] = {"org", "set", "a-cirt", "--full-name", "AL-CIRT Renamed", NULL};
    json_t *doc, *orgs, *e;
    struct hresp r;

    (void)state;
    h_node_init(&a);
    h_node_init(&b);
    org_add(&a, "a-cirt", "AL-CIRT National", "national-csirt", NULL, NULL);
    org_add(&a, "a-police", "AL Cyber Police", "police", NULL, NULL);
    org_add(&a, "a-bank", "AL Bank", "operator", "banking", NULL);
    h_identity(&a, "org", "a-cirt", id_cirt);
    h_identity(&a, "org", "a-police", id_police);
    h_identity(&a, "org", "a-bank", id_bank);
    h_add_org(&b, "b-cirt", "ME", "national-csirt");
    h_add_user(&b, "analyst@b-cirt", "b-cirt", "analyst", key_b);
    peer_up(&a, &b);
    /* a-bank is bound to another peer here */
    assert_int_equal(cli(&b, add_c, NULL, NULL), 0);
    assert_int_equal(cli(&b, bind_c, NULL, NULL), 0);

    /* the directory, live, with each binding */
    orgs = orgs_json(&b, &doc);
    assert_int_equal(json_array_size(orgs), 3);
    e = entry(orgs, id_cirt);
    assert_string_equal(str(e, "name"), "AL-CIRT National");
    assert_string_equal(str(e, "handle"), "a-cirt");
    assert_string_equal(str(e, "country"), "AL");
    assert_string_equal(str(e, "kind"), "national-csirt");
    assert_string_equal(str(e, "binding"), "not_bound");
    e = entry(orgs, id_bank);
    assert_string_equal(str(e, "sector"), "banking");
    assert_string_equal(str(e, "kind"), "operator");
    assert_string_equal(str(e, "binding"), "bound_other");
    assert_string_equal(str(e, "bound_peer"), "nodec");
    assert_string_equal(str(entry(orgs, id_police), "binding"), "not_bound");
    json_decref(doc);
    {
        const char *argv[] = {"peer", "orgs", "nodea", NULL};
        assert_int_equal(cli(&b, argv, &out, NULL), 0);
        assert_non_null(strstr(out, "bound to nodec (conflict)"));
        assert_int_equal(h_count(out, "not bound"), 2);
        free(out);
    }

    /* all from the directory: refused whole while a conflict exists */
    assert_int_equal(cli(&b, bind_all, &out, &err), 1);
    assert_non_null(strstr(err, "bound to peer nodec"));
    assert_non_null(strstr(err, "nothing was bound"));
    free(out);
    free(err);
    assert_string_equal(org_line(&b, "a-cirt"), "");
    assert_string_equal(org_line(&b, "a-police"), "");

    /* one from the directory: its name, country, kind; its home handle */
    assert_int_equal(cli(&b, bind_one, &out, NULL), 0);
    assert_non_null(strstr(out, "bound a-cirt"));
    free(out);
    assert_non_null(strstr(org_line(&b, "a-cirt"), "AL national-csirt"));
    assert_non_null(strstr(org_line(&b, "a-cirt"), "AL-CIRT National"));
    /* again: bound already, its profile taken again */
    assert_int_equal(cli(&b, bind_one, &out, NULL), 0);
    free(out);

    /* the conflict gone, every one not bound yet */
    assert_int_equal(cli(&b, unbind_c, NULL, NULL), 0);
    assert_int_equal(cli(&b, bind_all, &out, NULL), 0);
    assert_non_null(strstr(out, "bound 2 organisations"));
    free(out);
    assert_non_null(strstr(org_line(&b, "a-police"), "AL police"));
    assert_non_null(strstr(org_line(&b, "c-bank"), "AL operator         banking"));
    orgs = orgs_json(&b, &doc);
    for (size_t i = 0; i < json_array_size(orgs); i++)
        assert_string_equal(str(json_array_get(orgs, i), "binding"), "bound");
    json_decref(doc);

    /* a sync brings the three identities, stored as received from nodea */
    assert_int_equal(sync_a(&b, &out), 0);
    free(out);
    assert_int_equal(h_db_count(&b, "type='identity' AND via=(SELECT id FROM nodes WHERE name='nodea')"), 3);
    assert_int_equal(h_db_count(&b, "type='identity' AND seq IN (SELECT seq FROM received)"), 3);
    assert_int_equal(refused_owner(&b), 0);
    /* read here as GREEN of the national community */
    snprintf(path, sizeof path, "/api/v1/objects/%s", id_cirt);
    h_start(&b, NULL);
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&b, "GET", path, key_b, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "AL-CIRT National"));
    hresp_free(&r);
    /* b's members still cannot post an identity under a bound organisation's id */
    snprintf(body, sizeof body,
             "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"forged\",\"identity_class\":\"organization\"}",
             id_cirt);
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&b, "POST", "/api/v1/objects", key_b, body, strlen(body), &r), 400);
    if (!strstr(r.body, "the node writes the identities of its members"))
        fail_msg("%s", r.body);
    hresp_free(&r);
    assert_int_equal(h_stop(&b), 0);

    /* renamed at its home: the new version arrives, the name follows, the handle stays */
    assert_int_equal(cli(&a, rename, &out, NULL), 0);
    assert_non_null(strstr(out, "AL-CIRT Renamed"));
    free(out);
    assert_int_equal(sync_a(&b, &out), 0);
    assert_non_null(strstr(out, "new=1 "));
    free(out);
    assert_non_null(strstr(org_line(&b, "a-cirt"), "AL-CIRT Renamed"));
    assert_int_equal(h_db_count(&b, "type='identity' AND via=(SELECT id FROM nodes WHERE name='nodea')"), 4);
    /* again: nothing new */
    assert_int_equal(sync_a(&b, &out), 0);
    assert_non_null(strstr(out, "new=0 "));
    free(out);
    assert_true(h_db_integrity_ok(&b));
    h_node_free(&b); /* not running: stopped, or never started */
    assert_int_equal(h_node_free(&a), 0);
}

static void test_refusals(void **state)
{
    struct hnode a, b;
    char id_cirt[80], id_free[80], id_local[80], id_other[80], key_other[64], body[1024], *out = NULL, *err = NULL;
    const char *bind_one[] = {"peer", "bind", "nodea", id_cirt, NULL};
    const char *add_c[] = {"peer", "add", "nodec", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *bind_c[] = {"peer", "bind", "nodec", id_other, "--name", "c-other", NULL};
    const char *bind_other[] = {"peer", "bind", "nodea", id_other, NULL};
    struct hresp r;
    const char *bind_local[] = {"peer", "bind", "nodea", id_local, NULL};
    const char *bind_all[] = {"peer", "bind", "nodea", "--all-from-directory", NULL};
    json_t *doc, *orgs;

    (void)state;
    h_node_init(&a);
    h_node_init(&b);
    h_add_org(&b, "b-cirt", "ME", "national-csirt");
    h_identity(&b, "org", "b-cirt", id_local);
    org_add(&a, "a-cirt", NULL, "national-csirt", NULL, NULL);
    org_add(&a, "a-free", NULL, "operator", NULL, NULL);
    org_add(&a, "a-dup", "claims b-cirt", "national-csirt", NULL, id_local); /* b's organisation's identity */
    h_identity(&a, "org", "a-cirt", id_cirt);
    h_identity(&a, "org", "a-free", id_free);
    org_add(&a, "a-other", NULL, "operator", NULL, NULL);
    h_identity(&a, "org", "a-other", id_other);
    h_add_user(&a, "analyst@a-other", "a-other", "analyst", key_other);
    peer_up(&a, &b);
    /* a-other is bound to another peer here; it posts a CLEAR indicator at a */
    assert_int_equal(cli(&b, add_c, NULL, NULL), 0);
    assert_int_equal(cli(&b, bind_c, NULL, NULL), 0);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"other\",\"pattern\":\"[domain-name:value = "
             "'other.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]}",
             OTHER_IND);
    memset(&r, 0, sizeof r);
    assert_int_equal(h_http(&a, "POST", "/api/v1/objects", key_other, body, strlen(body), &r), 201);
    hresp_free(&r);

    orgs = orgs_json(&b, &doc);
    assert_int_equal(json_array_size(orgs), 4);
    assert_string_equal(str(entry(orgs, id_local), "binding"), "local");
    assert_string_equal(str(entry(orgs, id_local), "org"), "b-cirt");
    assert_string_equal(str(entry(orgs, id_free), "binding"), "not_bound");
    json_decref(doc);
    /* a peer claiming an organisation of this node is refused, alone or with all */
    assert_int_equal(cli(&b, bind_local, &out, &err), 1);
    assert_non_null(strstr(err, "is organisation b-cirt of this node"));
    free(out);
    free(err);
    assert_int_equal(cli(&b, bind_all, &out, &err), 1);
    free(out);
    free(err);
    assert_non_null(strstr(org_line(&b, "b-cirt"), "ME national-csirt"));
    /* a peer claiming an organisation bound to another peer is refused */
    assert_int_equal(cli(&b, bind_other, &out, &err), 1);
    assert_non_null(strstr(err, "is bound to peer nodec"));
    free(out);
    free(err);
    assert_int_equal(cli(&b, bind_one, NULL, NULL), 0);

    /* a sync: a-cirt's identity stored; a-free's (bound to no peer), a-dup's (homed
     * here), a-other's and its indicator (bound to nodec) refused as owner, not stored */
    assert_int_equal(sync_a(&b, &out), 0);
    free(out);
    assert_int_equal(refused_owner(&b), 4);
    assert_int_equal(h_db_count(&b, "stix_id='" OTHER_IND "'"), 0);
    assert_int_equal(h_db_count(&b, "type='identity' AND via=(SELECT id FROM nodes WHERE name='nodea')"), 1);
    {
        char where[200];
        snprintf(where, sizeof where, "stix_id='%s'", id_free);
        assert_int_equal(h_db_count(&b, where), 0);
        snprintf(where, sizeof where, "stix_id='%s' AND via != 0", id_local);
        assert_int_equal(h_db_count(&b, where), 0);
    }
    assert_non_null(strstr(org_line(&b, "b-cirt"), "ME national-csirt"));
    assert_true(h_db_integrity_ok(&b));
    h_node_free(&b); /* not running: stopped, or never started */
    assert_int_equal(h_node_free(&a), 0);
}

/* The identities of the node's directory in its regional community: those written
 * before the community was made (shared into it by the node) and after (posted into
 * it), served in its TAXII collection to a member. */
static void test_regional_directory(void **state)
{
    struct hnode a;
    char id_cirt[80], id_bank[80], key[64], uuid[40], path[200], where[300], *out = NULL, *p;
    const char *add[] = {"community", "add", "regional", "--kind", "regional", "--title", "WB CSIRTs", NULL};
    const char *mem[] = {"community", "member", "add", "regional", "a-cirt", NULL};
    struct hresp r;

    (void)state;
    h_node_init(&a);
    org_add(&a, "a-cirt", NULL, "national-csirt", NULL, NULL);
    h_add_user(&a, "analyst@a-cirt", "a-cirt", "analyst", key);
    h_identity(&a, "org", "a-cirt", id_cirt);
    assert_int_equal(cli(&a, add, &out, NULL), 0);
    p = strstr(out, "collection ");
    assert_non_null(p);
    snprintf(uuid, sizeof uuid, "%.36s", p + 11);
    free(out);
    assert_int_equal(cli(&a, mem, NULL, NULL), 0);
    org_add(&a, "a-bank", NULL, "operator", "banking", NULL);
    h_identity(&a, "org", "a-bank", id_bank);
    snprintf(where, sizeof where,
             "type='identity' AND stix_id IN ('%s','%s') AND (comm & (1 << (SELECT bit FROM communities WHERE "
             "name='regional'))) != 0",
             id_cirt, id_bank);
    assert_int_equal(h_db_count(&a, where), 2);
    h_start(&a, NULL);
    snprintf(path, sizeof path, "/taxii2/api/collections/%s/objects/?match%%5Btype%%5D=identity", uuid);
    memset(&r, 0, sizeof r);
    {
        const char *hdr[] = {"Accept: application/taxii+json;version=2.1", NULL};
        assert_int_equal(h_http_hdr(&a, "GET", path, key, hdr, NULL, 0, &r), 200);
    }
    assert_non_null(strstr(r.body, id_cirt));
    assert_non_null(strstr(r.body, id_bank));
    hresp_free(&r);
    assert_int_equal(h_node_free(&a), 0);
}

/* `peer orgs` of a peer that cannot be reached or misbehaves: exit 1, the fed code
 * named, nothing bound. */
static void test_hostile_peers(void **state)
{
    struct hnode b;
    struct h_py direct, plain;
    char url_d[128], url_p[128], cert[300], key[300], ca[300], *out = NULL, *err = NULL;
    const char *args_d[] = {"--mode", "html_error", "--generate", "3", "--alias", "mreza-direct", "--cert",
                            h_tls_file(&T, "node", "pem", cert), "--key", h_tls_file(&T, "node", "key", key), NULL};
    const char *args_p[] = {"--mode", "compliant", "--generate", "3", "--cert", cert, "--key", key, NULL};
    const char *add_gone[] = {"peer", "add", "gone", "--url", "https://127.0.0.1:1/taxii2/api/", NULL};
    const char *add_d[] = {"peer", "add", "odd", "--url", url_d, "--ca-file", h_tls_file(&T, "ca", "pem", ca), NULL};
    const char *add_p[] = {"peer", "add", "plain", "--url", url_p, "--ca-file", ca, NULL};
    const char *add_t[] = {"peer", "add", "feed", "--kind", "taxii", "--url", url_p, "--ca-file",
                           ca, "--org", "identity--feed0000-0000-4000-8000-000000000001", NULL};
    const char *orgs_gone[] = {"peer", "orgs", "gone", "--set", "sync.retries=0", NULL};
    const char *orgs_d[] = {"peer", "orgs", "odd", "--set", "sync.retries=0", NULL};
    const char *bind_d[] = {"peer", "bind", "odd", "--all-from-directory", "--set", "sync.retries=0", NULL};
    const char *orgs_p[] = {"peer", "orgs", "plain", "--set", "sync.retries=0", NULL};
    const char *orgs_t[] = {"peer", "orgs", "feed", NULL};
    const char *orgs_none[] = {"peer", "orgs", "nobody", NULL};
    const char *bind_none[] = {"peer", "bind", "odd", NULL};

    (void)state;
    h_node_init(&b);
    h_add_org(&b, "b-cirt", "ME", "national-csirt");
    h_py_start(&direct, SERVER, args_d);
    h_py_start(&plain, SERVER, args_p);
    snprintf(url_d, sizeof url_d, "https://127.0.0.1:%u/api1/", direct.port);
    snprintf(url_p, sizeof url_p, "https://127.0.0.1:%u/api1/", plain.port);
    assert_int_equal(cli(&b, add_gone, NULL, NULL), 0);
    assert_int_equal(cli(&b, add_d, NULL, NULL), 0);
    assert_int_equal(cli(&b, add_p, NULL, NULL), 0);
    assert_int_equal(cli(&b, add_t, NULL, NULL), 0);

    assert_int_equal(cli(&b, orgs_gone, &out, &err), 1);
    assert_non_null(strstr(err, "peer gone: network: "));
    free(out);
    free(err);
    /* an HTML page where the identities should be */
    assert_int_equal(cli(&b, orgs_d, &out, &err), 1);
    assert_non_null(strstr(err, "peer odd: content_type: "));
    free(out);
    free(err);
    assert_int_equal(cli(&b, bind_d, &out, &err), 1);
    assert_non_null(strstr(err, "peer odd: content_type: "));
    free(out);
    free(err);
    /* pages with no end and nothing in them */
    h_py_cmd(&direct, "mode empty_more");
    assert_true(h_py_wait(&direct, "mode", 5000, NULL, 0));
    assert_int_equal(cli(&b, orgs_d, &out, &err), 1);
    assert_non_null(strstr(err, "peer odd: empty_pages: "));
    free(out);
    free(err);
    /* objects without their owners: no mreza node */
    h_py_cmd(&direct, "mode compliant");
    assert_true(h_py_wait(&direct, "mode", 5000, NULL, 0));
    assert_int_equal(cli(&b, orgs_d, &out, &err), 1);
    assert_non_null(strstr(err, "peer odd: bad_json: "));
    free(out);
    free(err);
    /* no mreza-direct view: the key is no peer key there */
    assert_int_equal(cli(&b, orgs_p, &out, &err), 1);
    assert_non_null(strstr(err, "peer plain: not_found: "));
    assert_non_null(strstr(err, "lists no mreza-direct view"));
    free(out);
    free(err);
    /* a taxii peer publishes no directory; an unknown peer; bind without an organisation */
    assert_int_equal(cli(&b, orgs_t, &out, &err), 1);
    assert_non_null(strstr(err, "only a mreza node publishes a directory"));
    free(out);
    free(err);
    assert_int_equal(cli(&b, orgs_none, &out, &err), 1);
    assert_non_null(strstr(err, "nobody"));
    free(out);
    free(err);
    assert_int_equal(cli(&b, bind_none, &out, &err), 2);
    free(out);
    free(err);
    assert_int_equal(h_db_count(&b, NULL) >= 0, 1);
    assert_string_equal(org_line(&b, "odd"), "");
    h_py_stop(&direct);
    h_py_stop(&plain);
    h_node_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orgs_bind_and_updates),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_regional_directory),
        cmocka_unit_test(test_hostile_peers),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
