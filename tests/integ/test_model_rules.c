/* tests/integ/test_model_rules.c - the object model's smaller rules (docs/model.md)
 * against a real `mreza serve` and the real CLI, beside the matrix
 * (test_model_matrix.c: author=self and narrow_revocation=true as scenarios):
 *   - R2.2, R2.5: source ranks set at the console (`mreza org set NAME --rank N|kind`)
 *     order the later copies of an open id at once, for the running node, for readers
 *     who may not read its first copy; whoever may read the first copy is served it
 *     whatever the ranks; GET /api/v1/orgs and `org list` show the ranks; bad ranks
 *     are refused before anything runs;
 *   - R9 and R3.4 on the command line: `mreza import --author-self` claims ids, and
 *     `--narrow-revocation` lets a narrow revocation in;
 *   - the API's parameters author=self and narrow_revocation=true|false, others refused;
 *   - R6.5: ingest.max_versions, set at the server, refuses the version beyond it;
 *     ingest.max_versions_per_org_id (5 here) refuses an organisation's version of an
 *     id beyond it, its users' and withdrawn ones counted together, in one bundle as
 *     across bundles, and tells no count (the third re-attack's N1); its reporters'
 *     versions count against their own allowance, so that they cannot keep its
 *     analysts and admin from revoking its object (the fourth re-attack's R3);
 *   - R8: an SCO under a UUIDv5 id must carry the id its content gives (STIX 2.1
 *     section 2.9): ids computed by the OASIS stix2 library and MISP's v4 SCO ids are
 *     stored, the STIX specification's example ids (in MISP's mapping documentation)
 *     and the hostile-user review's domain-name (good.example's id, evil.example's
 *     value) refused whole, naming the id and the id the content gives;
 *   - R9: `created_by_ref` may not change between versions of one object (400 at
 *     /objects/N/created_by_ref), decided on the versions the poster may read (R5): a
 *     colleague who may read none of them is not refused for a hidden one.
 * Each fails on the code before (no `org set`, no such options, every version
 * stored, every SCO id taken as posted, any creator accepted in a new version). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct hnode node;
enum { K_AL, K_AL2, K_ME, K_BANK, K_POLICE, K_BA, K_BA_ADMIN, K_BA_REP, K_BA_REP2, N_KEYS };
static char keys[N_KEYS][64];
static struct hresp last;

static long req(const char *method, const char *path, const char *key, const char *body)
{
    hresp_free(&last);
    h_http(&node, method, path, key, body, body ? strlen(body) : 0, &last);
    return last.status;
}

/* An indicator of id, `modified` 2025-01-<day>, named name, with marking (and revoked). */
static void body_of(char *out, size_t cap, const char *id, int day, const char *name, const char *marking,
                    int revoked)
{
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-%02dT00:00:00.000Z\",\"name\":\"%s\",\"pattern\":\"[domain-name:value = "
             "'%s.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\"%s,"
             "\"object_marking_refs\":[\"%s\"]}",
             id, day, name, name, revoked ? ",\"revoked\":true" : "", marking);
}

static long post(int k, const char *query, const char *id, int day, const char *name, const char *marking,
                 int revoked)
{
    char body[1000], path[200];

    body_of(body, sizeof body, id, day, name, marking, revoked);
    snprintf(path, sizeof path, "/api/v1/objects%s", query);
    return req("POST", path, keys[k], body);
}

/* Whose copy (by its name) k is served of id. */
static const char *served_name(int k, const char *id)
{
    char path[200];

    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    assert_int_equal(req("GET", path, keys[k], NULL), 200);
    return strstr(last.body, "\"name\":\"") + 8;
}

static int cli(const char *const *argv, char **out, char **errs)
{
    return h_cli_err(&node, out, errs, argv);
}

static int setup(void **state)
{
    const char *const sets[] = {"ingest.max_versions=3", "ingest.max_versions_per_org_id=5", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "me-bank", "ME", "operator");
    h_add_org(&node, "rs-police", "RS", "police");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst2@al-cert", "al-cert", "analyst", keys[K_AL2]);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, "analyst@me-bank", "me-bank", "analyst", keys[K_BANK]);
    h_add_user(&node, "analyst@rs-police", "rs-police", "analyst", keys[K_POLICE]);
    h_add_org(&node, "ba-cert", "BA", "national-csirt");
    h_add_user(&node, "analyst@ba-cert", "ba-cert", "analyst", keys[K_BA]);
    h_add_user(&node, "admin@ba-cert", "ba-cert", "admin", keys[K_BA_ADMIN]);
    h_add_user(&node, "reporter@ba-cert", "ba-cert", "reporter", keys[K_BA_REP]);
    h_add_user(&node, "reporter2@ba-cert", "ba-cert", "reporter", keys[K_BA_REP2]);
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hresp_free(&last);
    return h_node_free(&node) > 0;
}

/* R2.2, R2.5: the id's first copy comes first for everyone who may read it; the
 * operator's ranks order the later copies of an open id (a name-based id) for those
 * who may not, for the running node at once. On the code before the re-attack, a
 * later copy of a higher-ranked organisation came first for everyone. */
static void test_ranks(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-5000-8000-000000000001";
    const char *first = "indicator--0b1c2d3e-0000-5000-8000-000000000007";
    char *out = NULL, *errs = NULL;

    (void)state;
    /* the operator's copy first, readable: it is al-cert's, whatever the ranks */
    assert_int_equal(post(K_BANK, "", first, 2, "bank", GREEN, 0), 201);
    assert_int_equal(post(K_ME, "", first, 3, "csirt", GREEN, 0), 201);
    assert_int_equal(strncmp(served_name(K_AL, first), "bank\"", 5), 0);
    /* the operator's first copy is RED: al-cert is served the later copies by rank */
    assert_int_equal(post(K_BANK, "", id, 2, "bank", RED, 0), 201);
    assert_int_equal(post(K_POLICE, "", id, 3, "police", GREEN, 0), 201);
    assert_int_equal(post(K_ME, "", id, 4, "csirt", GREEN, 0), 201);
    /* by kind: the national CSIRT (1) before the police (3), though it came later */
    assert_int_equal(strncmp(served_name(K_AL, id), "csirt\"", 6), 0);
    {
        const char *const argv[] = {"org", "set", "me-cirt", "--rank", "5", NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        assert_non_null(strstr(out, "organisation me-cirt: rank 5"));
        free(out);
        free(errs);
    }
    assert_int_equal(strncmp(served_name(K_AL, id), "police\"", 7), 0);
    assert_int_equal(strncmp(served_name(K_AL, first), "bank\"", 5), 0);
    assert_int_equal(req("GET", "/api/v1/orgs", keys[K_AL], NULL), 200);
    assert_non_null(strstr(last.body, "\"name\":\"me-cirt\""));
    assert_non_null(strstr(strstr(last.body, "\"name\":\"me-cirt\""), "\"rank\":5}"));
    {
        const char *const argv[] = {"org", "list", NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        assert_non_null(strstr(out, "rank 5 (set)"));
        assert_non_null(strstr(out, "rank 3 "));
        free(out);
        free(errs);
    }
    /* each owner keeps its own copy whatever the ranks */
    assert_int_equal(strncmp(served_name(K_ME, id), "csirt\"", 6), 0);
    {
        const char *const argv[] = {"org", "set", "me-cirt", "--rank", "kind", NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        assert_non_null(strstr(out, "rank 1 (by its kind)"));
        free(out);
        free(errs);
    }
    assert_int_equal(strncmp(served_name(K_AL, id), "csirt\"", 6), 0);
    assert_int_equal(strncmp(served_name(K_AL, first), "bank\"", 5), 0);
    /* refused before anything runs (2), or by the node (1) */
    {
        const char *const argv[] = {"org", "set", "me-cirt", "--rank", "0", NULL};
        assert_int_equal(cli(argv, &out, &errs), 2);
        free(out);
        free(errs);
    }
    {
        const char *const argv[] = {"org", "set", "me-cirt", "--rank", "10", NULL};
        assert_int_equal(cli(argv, &out, &errs), 2);
        free(out);
        free(errs);
    }
    {
        const char *const argv[] = {"org", "set", "me-cirt", NULL};
        assert_int_equal(cli(argv, &out, &errs), 2);
        free(out);
        free(errs);
    }
    {
        const char *const argv[] = {"org", "set", "nobody", "--rank", "2", NULL};
        assert_int_equal(cli(argv, &out, &errs), 1);
        free(out);
        free(errs);
    }
}

/* R9 on the command line: --author-self claims the ids of what carries no creator, so
 * a CSIRT's later copy is its own later object, not everyone's; R3.4: a narrow
 * revocation needs --narrow-revocation. */
static void test_import_options(void **state)
{
    const char *claimed = "indicator--0b1c2d3e-0000-4000-8000-000000000002";
    const char *plain = "indicator--0b1c2d3e-0000-4000-8000-000000000003";
    const char *narrow = "indicator--0b1c2d3e-0000-4000-8000-000000000004";
    char path[300], body[1000], *out = NULL, *errs = NULL;
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/in.json", node.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    body_of(body, sizeof body, claimed, 2, "bank", GREEN, 0);
    fprintf(f, "%s", body);
    fclose(f);
    {
        const char *const argv[] = {"import", "--user", "analyst@me-bank", "--author-self", path, NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        free(out);
        free(errs);
    }
    f = fopen(path, "w");
    assert_non_null(f);
    body_of(body, sizeof body, plain, 2, "bank", GREEN, 0);
    fprintf(f, "%s", body);
    fclose(f);
    {
        const char *const argv[] = {"import", "--user", "analyst@me-bank", path, NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        free(out);
        free(errs);
    }
    assert_int_equal(post(K_ME, "", claimed, 3, "csirt", GREEN, 0), 201);
    assert_int_equal(post(K_ME, "", plain, 3, "csirt", GREEN, 0), 201);
    /* the claim is everyone's but the CSIRT's; so is the open id's first copy (the
     * CSIRT's later copy, ranked higher, is the CSIRT's own) */
    assert_int_equal(strncmp(served_name(K_AL, claimed), "bank\"", 5), 0);
    assert_int_equal(strncmp(served_name(K_ME, claimed), "csirt\"", 6), 0);
    assert_int_equal(strncmp(served_name(K_AL, plain), "bank\"", 5), 0);
    assert_int_equal(strncmp(served_name(K_ME, plain), "csirt\"", 6), 0);
    /* a narrow revocation */
    f = fopen(path, "w");
    assert_non_null(f);
    body_of(body, sizeof body, narrow, 2, "v1", GREEN, 0);
    fprintf(f, "%s", body);
    fclose(f);
    {
        const char *const argv[] = {"import", "--user", "analyst@me-bank", path, NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        free(out);
        free(errs);
    }
    f = fopen(path, "w");
    assert_non_null(f);
    body_of(body, sizeof body, narrow, 3, "v2", RED, 1);
    fprintf(f, "%s", body);
    fclose(f);
    {
        const char *const argv[] = {"import", "--user", "analyst@me-bank", path, NULL};
        assert_int_equal(cli(argv, &out, &errs), 1);
        assert_non_null(strstr(errs, "narrow_revocation"));
        free(out);
        free(errs);
    }
    {
        const char *const argv[] = {"import", "--user", "analyst@me-bank", "--narrow-revocation", path, NULL};
        assert_int_equal(cli(argv, &out, &errs), 0);
        free(out);
        free(errs);
    }
    /* the GREEN readers keep v1 */
    assert_int_equal(strncmp(served_name(K_AL, narrow), "v1\"", 3), 0);
}

/* The API's parameters of a write. */
static void test_api_parameters(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000005";

    (void)state;
    assert_int_equal(post(K_AL, "?author=me-cirt", id, 2, "x", GREEN, 0), 400);
    assert_non_null(strstr(last.body, "\"field\":\"author\""));
    assert_int_equal(post(K_AL, "?narrow_revocation=yes", id, 2, "x", GREEN, 0), 400);
    assert_non_null(strstr(last.body, "\"field\":\"narrow_revocation\""));
    assert_int_equal(post(K_AL, "?author=self&narrow_revocation=false", id, 2, "x", GREEN, 0), 201);
    /* narrow_revocation=false: refused as without it */
    assert_int_equal(post(K_AL, "?narrow_revocation=false", id, 3, "x", RED, 1), 409);
    assert_non_null(strstr(last.body, "narrow_revocation=true"));
    assert_int_equal(post(K_AL, "?narrow_revocation=true", id, 3, "x", RED, 1), 201);
    assert_non_null(strstr(last.body, "narrower than an earlier version"));
}

/* R6.5: the node's ingest.max_versions (3 here). */
static void test_max_versions(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000006";

    (void)state;
    assert_int_equal(post(K_AL, "", id, 2, "a", GREEN, 0), 201);
    assert_int_equal(post(K_AL, "", id, 3, "a", GREEN, 0), 201);
    assert_int_equal(post(K_AL, "", id, 4, "a", GREEN, 0), 201);
    assert_int_equal(post(K_AL, "", id, 5, "a", GREEN, 0), 409);
    assert_non_null(strstr(last.body, "ingest.max_versions"));
    assert_non_null(strstr(last.body, "\"field\":\"/modified\""));
    assert_int_equal(post(K_AL, "", id, 4, "a", GREEN, 0), 201); /* a duplicate still is */
    assert_non_null(strstr(last.body, "\"duplicate\":true"));
}

/* R6.5: versions the poster withdrew from everyone, itself included, still count
 * (the hostile-user re-attack, F4: on the code before, the cap counted only the
 * versions the poster may read, and withdrawing them made room for as many more). */
static void test_max_versions_withdrawn(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000016";
    char path[200];

    (void)state;
    for (int day = 2; day <= 4; day++)
        assert_int_equal(post(K_AL, "", id, day, "w", GREEN, 0), 201);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    assert_int_equal(req("POST", path, keys[K_AL], "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    assert_int_equal(post(K_AL, "", id, 5, "w", GREEN, 0), 409);
    assert_non_null(strstr(last.body, "ingest.max_versions"));
    /* a colleague who submitted none and may read none is not refused for them (R5) */
    assert_int_equal(post(K_AL2, "", id, 6, "w", GREEN, 0), 201);
}

/* A bundle of versions of id by k, `modified` 2025-01-<day> for day in [from, to]. */
static long post_days(int k, const char *id, int from, int to)
{
    char body[8000], one[1000];
    size_t len;

    len = (size_t)snprintf(body, sizeof body,
                           "{\"type\":\"bundle\",\"id\":\"bundle--6f1d0c7e-1b1e-4c55-9d0e-0a1b2c3d4e60\",\"objects\":[");
    for (int day = from; day <= to; day++) {
        body_of(one, sizeof one, id, day, "o", GREEN, 0);
        len += (size_t)snprintf(body + len, sizeof body - len, "%s%s", day > from ? "," : "", one);
    }
    snprintf(body + len, sizeof body - len, "]}");
    return req("POST", "/api/v1/objects", keys[k], body);
}

/* R6.5: an organisation's rows of one id are capped, withdrawn versions and its users'
 * personal objects counted together (ingest.max_versions_per_org_id, 5 here). The
 * third re-attack's N1: on the code before, each user of an organisation posted
 * ingest.max_versions versions, withdrew them from everyone and left room for the
 * next, so that one id grew to tens of thousands of rows. */
static void test_max_versions_per_org_id(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000026";
    char path[200];

    (void)state;
    assert_int_equal(post_days(K_AL, id, 2, 4), 201);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    assert_int_equal(req("POST", path, keys[K_AL], "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    /* a colleague who may read none of them starts its personal object: its third
     * version would be al-cert's sixth row of the id, refused in the bundle that
     * brings it (the rows a bundle adds count as it goes), and nothing of it stored */
    assert_int_equal(post_days(K_AL2, id, 5, 7), 409);
    assert_non_null(strstr(last.body, "ingest.max_versions_per_org_id"));
    assert_non_null(strstr(last.body, "\"field\":\"/objects/2/modified\""));
    assert_int_equal(post_days(K_AL2, id, 5, 6), 201);
    assert_int_equal(post(K_AL2, "", id, 7, "o", GREEN, 0), 409);
    assert_non_null(strstr(last.body, "ingest.max_versions_per_org_id"));
    /* no count: the rows include versions the poster may not read (R5) */
    assert_null(strstr(last.body, "5 versions"));
    assert_null(strstr(last.body, " 5 "));
    assert_non_null(strstr(last.body, "as many versions from organisation al-cert"));
    /* a re-post of a stored version is still a duplicate; another organisation's
     * versions of the id are its own count */
    assert_int_equal(post(K_AL2, "", id, 6, "o", GREEN, 0), 201);
    assert_non_null(strstr(last.body, "\"duplicate\":true"));
    assert_int_equal(post_days(K_ME, id, 2, 4), 201);
}

/* R6.5: an organisation's reporters' versions of an id count against their own
 * allowance of ingest.max_versions_per_org_id (5 here), its analysts' and admins'
 * against another. The fourth re-attack's R3 (a): on the code before, two reporters
 * filled the id's one allowance and the organisation's analysts and admin could no
 * longer revoke or correct its object, a RED one the reporters may not read included
 * (409), and withdrawing the reporters' versions made no room. */
static void test_max_versions_per_org_id_classes(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000036";
    char path[200];

    (void)state;
    assert_int_equal(post(K_BA, "", id, 2, "staff", RED, 0), 201);
    for (int day = 3; day <= 5; day++)
        assert_int_equal(post(K_BA_REP, "", id, day, "rep", GREEN, 0), 201);
    assert_int_equal(post(K_BA_REP2, "", id, 6, "rep2", GREEN, 0), 201);
    /* ba-cert holds 5 rows of the id: its analyst still revokes its RED object */
    assert_int_equal(post(K_BA, "", id, 7, "staff", RED, 1), 201);
    assert_null(strstr(last.body, "\"duplicate\":true"));
    /* the reporters' fifth is theirs; their sixth is refused, withdrawn or not */
    assert_int_equal(post(K_BA_REP2, "", id, 8, "rep2", GREEN, 0), 201);
    assert_int_equal(post(K_BA_REP2, "", id, 9, "rep2", GREEN, 0), 409);
    assert_non_null(strstr(last.body, "ingest.max_versions_per_org_id"));
    assert_non_null(strstr(last.body, "(by its reporters)"));
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    assert_int_equal(req("POST", path, keys[K_BA_REP2], "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    assert_int_equal(post(K_BA_REP2, "", id, 9, "rep2", GREEN, 0), 409);
    /* with the reporters' allowance full, the admin still corrects the object */
    assert_int_equal(post(K_BA_ADMIN, "", id, 10, "staff", RED, 1), 201);
    assert_null(strstr(last.body, "\"duplicate\":true"));
    /* and the reporters are still refused */
    assert_int_equal(post(K_BA_REP2, "", id, 11, "rep2", GREEN, 0), 409);
    assert_non_null(strstr(last.body, "(by its reporters)"));
}

/* A file of tests/data/sco/ posted by k; the status. */
static long post_file(int k, const char *name)
{
    char path[200], *b;
    size_t len;
    long status;

    snprintf(path, sizeof path, "tests/data/sco/%s", name);
    b = h_read_file(path, &len);
    assert_non_null(b);
    status = req("POST", "/api/v1/objects", keys[k], b);
    free(b);
    return status;
}

/* R8: computable SCO ids must be computed right. */
static void test_sco_ids(void **state)
{
    const char *good_id = "domain-name--5a9c819c-8522-5fab-b94a-e0223af81251"; /* uuid5 of good.example */
    char body[400];
    long long before;

    (void)state;
    /* ids computed by other tools: stored, and served under them */
    assert_int_equal(post_file(K_AL, "stix2-deterministic-ids.json"), 201);
    assert_non_null(strstr(last.body, "\"new_count\":5"));
    assert_int_equal(req("GET", "/api/v1/objects/ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4", keys[K_AL], NULL),
                     200);
    assert_non_null(strstr(last.body, "\"198.51.100.3\""));
    /* MISP's export: SCOs under its attributes' v4 uuids are fine */
    assert_int_equal(post_file(K_ME, "misp-objects-collection.json"), 201);
    assert_non_null(strstr(last.body, "\"new_count\":18"));
    /* the specification's example ids: the bundle is refused whole, naming the first
     * SCO whose id its value contradicts and the id the value gives */
    before = h_db_count(&node, "1");
    assert_int_equal(post_file(K_BANK, "misp-external-domain-ip.json"), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/objects/1/id\""));
    assert_non_null(strstr(last.body, "does not match the content"));
    assert_non_null(strstr(last.body, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7; post it under that id"));
    assert_int_equal(h_db_count(&node, "1"), before);
    /* the review's: good.example's id carrying evil.example, after the real one */
    snprintf(body, sizeof body,
             "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"good.example\","
             "\"object_marking_refs\":[\"" GREEN "\"]}", good_id);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    snprintf(body, sizeof body,
             "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"evil.example\","
             "\"object_marking_refs\":[\"" GREEN "\"]}", good_id);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_BANK], body), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/id\""));
    assert_non_null(strstr(last.body, "domain-name--69228563-c8d2-54ae-aeca-5f4134cb59aa"));
    assert_int_equal(h_db_count(&node, "stix_id = 'domain-name--5a9c819c-8522-5fab-b94a-e0223af81251'"), 1);
    assert_int_equal(req("GET", "/api/v1/objects/domain-name--5a9c819c-8522-5fab-b94a-e0223af81251", keys[K_AL], NULL),
                     200);
    assert_non_null(strstr(last.body, "good.example"));
}

/* A bundle of one indicator of id, `modified` 2025-02-<day>, with marking and the
 * creator given (NULL: none). */
static long post_creator(int k, const char *id, int day, const char *marking, const char *creator)
{
    char body[1200], cr[120] = "";

    if (creator)
        snprintf(cr, sizeof cr, "\"created_by_ref\":\"%s\",", creator);
    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--6f1d0c7e-1b1e-4c55-9d0e-0a1b2c3d4e5f\",\"objects\":[{\"type\":"
             "\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",%s\"created\":\"2025-02-01T00:00:00.000Z\","
             "\"modified\":\"2025-02-%02dT00:00:00.000Z\",\"pattern\":\"[domain-name:value = 'creator.example']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-02-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}]}",
             id, cr, day, marking);
    return req("POST", "/api/v1/objects", keys[k], body);
}

/* R9: one object, one creator (STIX 2.1 section 3.6). */
static void test_created_by_constant(void **state)
{
    const char *id = "indicator--0b1c2d3e-0000-4000-8000-000000000007";
    const char *hidden = "indicator--0b1c2d3e-0000-4000-8000-000000000008";
    const char *mitre = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";
    char own[64], own_upper[64];

    (void)state;
    h_identity(&node, "org", "al-cert", own);
    snprintf(own_upper, sizeof own_upper, "identity--%s", own + 10);
    for (char *c = own_upper + 10; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    assert_int_equal(post_creator(K_AL, id, 2, GREEN, own), 201);
    /* another creator, or none, in a later or an earlier version: refused */
    assert_int_equal(post_creator(K_AL, id, 3, GREEN, mitre), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/objects/0/created_by_ref\""));
    assert_non_null(strstr(last.body, "may not change between versions"));
    assert_non_null(strstr(last.body, own));
    assert_int_equal(post_creator(K_AL2, id, 3, GREEN, NULL), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/objects/0/created_by_ref\""));
    assert_int_equal(post_creator(K_AL, id, 1, GREEN, mitre), 400);
    assert_int_equal(h_db_count(&node, "stix_id = 'indicator--0b1c2d3e-0000-4000-8000-000000000007'"), 1);
    /* the same creator spelt in upper case: refused for its spelling (docs/model.md
     * R8); as written, a new version */
    assert_int_equal(post_creator(K_AL2, id, 3, GREEN, own_upper), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/objects/0/created_by_ref\""));
    assert_non_null(strstr(last.body, "written in lowercase"));
    assert_int_equal(post_creator(K_AL2, id, 3, GREEN, own), 201);
    assert_non_null(strstr(last.body, "\"new_count\":1"));
    /* R5: a RED version the colleague may not read does not decide for it; its post
     * goes to its own personal object (R1.3), as without the RED one */
    assert_int_equal(post_creator(K_AL, hidden, 2, RED, mitre), 201);
    assert_int_equal(post_creator(K_AL2, hidden, 3, GREEN, own), 201);
    assert_non_null(strstr(last.body, "\"new_count\":1"));
    /* ... and once it may read a version, that one does */
    assert_int_equal(post_creator(K_AL2, hidden, 4, GREEN, mitre), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/objects/0/created_by_ref\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_import_options),
        cmocka_unit_test(test_api_parameters),
        cmocka_unit_test(test_max_versions),
        cmocka_unit_test(test_max_versions_withdrawn),
        cmocka_unit_test(test_max_versions_per_org_id),
        cmocka_unit_test(test_max_versions_per_org_id_classes),
        cmocka_unit_test(test_sco_ids),
        cmocka_unit_test(test_created_by_constant),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
