/* tests/integ/test_taxii_objects.c - the read side of the TAXII 2.1 server's
 * collections (issue 11 work package 3, docs/federation.md 8.1-8.2) against a real
 * `mreza serve`:
 *   - each reader (an analyst of a CSIRT in national and regional, an operator's
 *     reporter, an analyst of an organisation in national alone, an analyst whose
 *     organisation only writes to national) walks each collection it sees (national,
 *     regional, all, indicators) page by page, by `next` and by
 *     added_after=X-TAXII-Date-Added-Last: no id twice, and the set is exactly what
 *     REST's /api/v1/objects shows the same reader (community=K, type=indicator);
 *     the manifest lists the same ids;
 *   - a collection pages in its grants' order: a version shared into a community later
 *     comes after what the collection served before (added_after its last stamp), in
 *     regional (grants rows alone) and national (its posts' own rows merged with its
 *     grants rows); a view in the reader's effective grants' order: a GREEN version
 *     comes at its re-share into a community the reader reads when it was posted into
 *     none of them, else at its post (once);
 *   - filters: match[id], match[type], match[version] (last, first, all, exact,
 *     combinations), match[spec_version], limit (lowered to taxii.page_max), unknown
 *     match[...] ignored; refused with a TAXII error naming the parameter: a parameter
 *     twice, 'all' with another value, a keyword twice, bad timestamps, limit 0, a
 *     foreign, altered or reused next;
 *   - one object (its served version) and its versions, oldest first; an object the
 *     reader may not read, or one of another collection, is the 404 of a missing one;
 *     a collection one may only write is 403, one of another's community 404;
 *   - X-TAXII-Date-Added-First/-Last on objects and manifest pages (microseconds, Z),
 *     both added_after on an empty page;
 *   - api.public_read: an unauthenticated reader gets discovery (api_roots absolute
 *     from taxii.public_url), the indicators view alone and its TLP:CLEAR objects (as
 *     REST's public read); the API root's x_mreza_node.
 * Every test failed before api_taxii_objects.c (no such routes: 404). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define ID(n) "indicator--7a000000-0000-4000-8000-0000000000" #n
#define MAL "malware--7a000000-0000-4000-8000-000000000001"
#define COLL "/taxii2/api/collections/"

static struct hnode node;
enum { K_AL, K_XK, K_BANK, K_ME, N_KEYS };
static char keys[N_KEYS][64];
static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

static long req_on(struct hnode *n, const char *method, const char *path, const char *key, const char *body,
                   const char *accept)
{
    char acc[160];
    const char *headers[] = {acc, "Content-Type: application/json", NULL};

    drop();
    snprintf(acc, sizeof acc, "Accept: %s", accept);
    h_http_hdr(n, method, path, key, headers, body, body ? strlen(body) : 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static long taxii(const char *path, const char *key)
{
    return req_on(&node, "GET", path, key, NULL, TAXII_TYPE);
}

static long rest(const char *method, const char *path, const char *key, const char *body)
{
    return req_on(&node, method, path, key, body, "application/json");
}

/* The value of response header name in the last reply ("" when absent). */
static const char *header(const char *name, char *out, size_t cap)
{
    const char *p = last.headers;
    size_t n = strlen(name);

    out[0] = '\0';
    while (p && *p) {
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            size_t len;
            while (*v == ' ')
                v++;
            len = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)len, v);
            return out;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return out;
}

/* The reply is a TAXII error object of status naming field (NULL: none asked). */
static void assert_taxii_error(long status, const char *field)
{
    char want[8];

    assert_non_null(last_json);
    snprintf(want, sizeof want, "%ld", status);
    if (!json_string_value(json_object_get(last_json, "http_status")))
        fail_msg("not a TAXII error: %s", last.body);
    assert_string_equal(json_string_value(json_object_get(last_json, "http_status")), want);
    if (field) {
        const char *f = json_string_value(json_object_get(json_object_get(last_json, "details"), "field"));
        if (!f || strcmp(f, field))
            fail_msg("field %s, want %s: %s", f ? f : "(none)", field, last.body);
    }
}

static void indicator(char *out, size_t cap, const char *id, const char *marking, const char *modified)
{
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"%s\",\"name\":\"t\",\"pattern\":\"[domain-name:value = 'x%.12s.example']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}",
             id, modified, id + strlen(id) - 12, marking);
}

static void post(int k, const char *community, const char *id, const char *marking, const char *modified)
{
    char body[1200], path[200];

    indicator(body, sizeof body, id, marking, modified);
    snprintf(path, sizeof path, "/api/v1/objects%s%s", community ? "?community=" : "", community ? community : "");
    if (rest("POST", path, keys[k], body) != 201 && last.status != 200)
        fail_msg("post %s: %ld %s", id, last.status, last.body);
}

/* ---- id sets ---- */

#define SET_MAX 256
struct idset {
    char id[SET_MAX][80];
    size_t n;
};

static int has(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->id[i], id))
            return 1;
    return 0;
}

static void add_unique(struct idset *s, const char *id)
{
    if (has(s, id))
        fail_msg("id %s served twice", id);
    assert_true(s->n < SET_MAX);
    snprintf(s->id[s->n++], sizeof s->id[0], "%s", id);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void assert_sets_equal(struct idset *a, struct idset *b, const char *what)
{
    qsort(a->id, a->n, sizeof a->id[0], cmp_id);
    qsort(b->id, b->n, sizeof b->id[0], cmp_id);
    for (size_t i = 0; i < a->n || i < b->n; i++)
        if (i >= a->n || i >= b->n || strcmp(a->id[i], b->id[i]))
            fail_msg("%s: TAXII served %zu ids, REST %zu; first difference at %zu: %s vs %s", what, a->n, b->n, i,
                     i < a->n ? a->id[i] : "-", i < b->n ? b->id[i] : "-");
}

/* What REST's list shows key (query: its filter). */
static void rest_set(const char *query, const char *key, struct idset *out)
{
    char path[300];
    json_t *o;
    size_t i;

    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "/api/v1/objects?limit=10000%s", query);
    assert_int_equal(rest("GET", path, key, NULL), 200);
    assert_true(json_is_false(json_object_get(last_json, "more")));
    json_array_foreach(json_object_get(last_json, "objects"), i, o)
        add_unique(out, json_string_value(json_object_get(o, "id")));
}

/* Walk collection coll's what ("objects" or "manifest") as key, limit per page, by
 * next (by_added 0) or by added_after = the last page's X-TAXII-Date-Added-Last. */
static void walk(const char *coll, const char *what, const char *key, int limit, int by_added, struct idset *out)
{
    char path[600], cursor[300] = "", hdr[64];
    int pages = 0;

    memset(out, 0, sizeof *out);
    for (;;) {
        json_t *objs, *o;
        size_t i;
        if (!cursor[0])
            snprintf(path, sizeof path, COLL "%s/%s/?limit=%d", coll, what, limit);
        else
            snprintf(path, sizeof path, COLL "%s/%s/?limit=%d&%s=%s", coll, what, limit,
                     by_added ? "added_after" : "next", cursor);
        if (taxii(path, key) != 200)
            fail_msg("GET %s: %ld %s", path, last.status, last.body);
        assert_true(++pages < 200);
        objs = json_object_get(last_json, "objects");
        assert_true(json_array_size(objs) <= (size_t)limit);
        json_array_foreach(objs, i, o)
            add_unique(out, json_string_value(json_object_get(o, "id")));
        if (by_added) {
            if (!json_array_size(objs))
                break;
            snprintf(cursor, sizeof cursor, "%s", header("X-TAXII-Date-Added-Last", hdr, sizeof hdr));
            assert_int_equal(strlen(cursor), 27);
        } else {
            if (!json_is_true(json_object_get(last_json, "more")))
                break;
            snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(last_json, "next")));
        }
    }
}

/* Every way of walking coll as key gives REST's set for query. */
static void assert_collection_is_rest(const char *coll, int k, const char *query)
{
    struct idset t, r;
    char what[200];

    rest_set(query, keys[k], &r);
    assert_true(r.n > 0);
    for (int by_added = 0; by_added < 2; by_added++)
        for (int m = 0; m < 2; m++) {
            walk(coll, m ? "manifest" : "objects", keys[k], 2, by_added, &t);
            snprintf(what, sizeof what, "%s %s by %s as reader %d", coll, m ? "manifest" : "objects",
                     by_added ? "added_after" : "next", k);
            assert_sets_equal(&t, &r, what);
        }
}

static int setup(void **state)
{
    static const char *const cmds[][9] = {
        {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
        {"community", "member", "add", "regional", "al-cert", NULL},
        {"community", "member", "add", "regional", "xk-cert", NULL},
        {"community", "member", "add", "national", "xk-cert", "--write", NULL},
    };
    static const char *const markings[] = {CLEAR, GREEN, AMBER};
    char id[80];

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_org(&node, "al-bank", "AL", "operator");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst@xk-cert", "xk-cert", "analyst", keys[K_XK]);
    h_add_user(&node, "reporter@al-bank", "al-bank", "reporter", keys[K_BANK]);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = h_cli_err(&node, &out, &err, cmds[i]);
        if (rc != 0)
            fail_msg("mreza %s %s: exit %d: %s", cmds[i][0], cmds[i][1], rc, err ? err : "");
        free(out);
        free(err);
    }
    {
        const char *const sets[] = {"taxii.page_max=50", NULL};
        h_start(&node, sets);
    }
    /* national: al-cert's CLEAR, GREEN, AMBER indicators, one of three versions, and a
     * CLEAR malware; the bank's GREEN and AMBER; me-cirt's GREEN; xk-cert's AMBER */
    for (int i = 0; i < 9; i++) {
        snprintf(id, sizeof id, "indicator--7a000000-0000-4000-8000-0000000000%02d", i + 1);
        post(K_AL, NULL, id, markings[i % 3], "2025-01-01T00:00:00.000Z");
    }
    post(K_AL, NULL, ID(13), GREEN, "2025-01-01T00:00:00.000Z");
    post(K_AL, NULL, ID(13), GREEN, "2025-02-01T00:00:00.000Z");
    post(K_AL, NULL, ID(13), GREEN, "2025-03-01T00:00:00.000Z");
    if (rest("POST", "/api/v1/objects", keys[K_AL],
             "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"" MAL "\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"m\",\"is_family\":false,"
             "\"object_marking_refs\":[\"" CLEAR "\"]}") != 201)
        fail_msg("malware: %ld %s", last.status, last.body);
    post(K_BANK, NULL, ID(20), GREEN, "2025-01-01T00:00:00.000Z");
    post(K_BANK, NULL, ID(21), AMBER, "2025-01-01T00:00:00.000Z");
    post(K_ME, NULL, ID(50), GREEN, "2025-01-01T00:00:00.000Z");
    post(K_XK, NULL, ID(30), AMBER, "2025-01-01T00:00:00.000Z");
    /* regional alone */
    post(K_AL, "regional", ID(40), GREEN, "2025-01-01T00:00:00.000Z");
    post(K_AL, "regional", ID(41), AMBER, "2025-01-01T00:00:00.000Z");
    post(K_XK, "regional", ID(42), GREEN, "2025-01-01T00:00:00.000Z");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

static void test_walks_equal_rest(void **state)
{
    (void)state;
    assert_collection_is_rest("national", K_AL, "&community=national");
    assert_collection_is_rest("national", K_BANK, "&community=national");
    assert_collection_is_rest("national", K_ME, "&community=national");
    assert_collection_is_rest("regional", K_AL, "&community=regional");
    assert_collection_is_rest("regional", K_XK, "&community=regional");
    for (int k = 0; k < N_KEYS; k++) {
        assert_collection_is_rest("all", k, "");
        assert_collection_is_rest("indicators", k, "&type=indicator");
    }
}

static void test_hidden_collections(void **state)
{
    char body[4096];

    (void)state;
    /* another's community: the 404 of one that does not exist, on every endpoint */
    assert_int_equal(taxii(COLL "regional/objects/", keys[K_ME]), 404);
    assert_taxii_error(404, NULL);
    snprintf(body, sizeof body, "%s", last.body);
    assert_int_equal(taxii(COLL "nonesuch/objects/", keys[K_ME]), 404);
    assert_non_null(strstr(body, "GET /taxii2/api/collections/ lists yours"));
    assert_int_equal(taxii(COLL "regional/manifest/", keys[K_BANK]), 404);
    assert_int_equal(taxii(COLL "regional/objects/" ID(40) "/", keys[K_BANK]), 404);
    assert_int_equal(taxii(COLL "regional/objects/" ID(40) "/versions/", keys[K_BANK]), 404);
    /* a collection one may write and not read: 403 */
    assert_int_equal(taxii(COLL "national/objects/", keys[K_XK]), 403);
    assert_taxii_error(403, NULL);
    assert_int_equal(taxii(COLL "national/manifest/", keys[K_XK]), 403);
}

static void test_object_and_versions(void **state)
{
    json_t *v;

    (void)state;
    assert_int_equal(taxii(COLL "national/objects/" ID(13) "/", keys[K_BANK]), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "objects")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0),
                                                          "modified")),
                        "2025-03-01T00:00:00.000Z");
    assert_int_equal(taxii(COLL "national/objects/" ID(13) "/versions/", keys[K_BANK]), 200);
    v = json_object_get(last_json, "versions");
    assert_int_equal(json_array_size(v), 3);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "2025-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(json_array_get(v, 2)), "2025-03-01T00:00:00.000Z");
    assert_true(json_is_false(json_object_get(last_json, "more")));
    {
        char a[64], b[64];
        /* the versions' page carries the headers too: the oldest and newest grant */
        assert_int_equal(strlen(header("X-TAXII-Date-Added-First", a, sizeof a)), 27);
        assert_true(strcmp(a, header("X-TAXII-Date-Added-Last", b, sizeof b)) < 0);
    }
    /* filters on one object: nothing left is {} (the object is there) */
    assert_int_equal(taxii(COLL "national/objects/" ID(13) "/?match[version]=2024-01-01T00:00:00Z", keys[K_BANK]),
                     200);
    assert_string_equal(last.body, "{}\n");
    /* AMBER of another organisation: as an id never stored; one of another collection too */
    assert_int_equal(taxii(COLL "national/objects/" ID(21) "/", keys[K_ME]), 404);
    assert_taxii_error(404, NULL);
    assert_int_equal(taxii(COLL "national/objects/indicator--7a000000-0000-4000-8000-000000000099/", keys[K_ME]), 404);
    assert_int_equal(taxii(COLL "national/objects/" ID(40) "/", keys[K_AL]), 404);
    assert_int_equal(taxii(COLL "regional/objects/" ID(40) "/", keys[K_AL]), 200);
    assert_int_equal(taxii(COLL "national/objects/" ID(21) "/versions/", keys[K_ME]), 404);
    assert_int_equal(taxii(COLL "national/objects/not-an-id/", keys[K_ME]), 404);
    /* the indicators view holds no malware */
    assert_int_equal(taxii(COLL "indicators/objects/" MAL "/", keys[K_AL]), 404);
    assert_int_equal(taxii(COLL "all/objects/" MAL "/", keys[K_AL]), 200);
}

/* n objects of the last envelope, the first's modified into mod (may be NULL). */
static size_t n_objects(void)
{
    return json_array_size(json_object_get(last_json, "objects"));
}

static const char *first_modified(void)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0), "modified"));
}

static void test_filters(void **state)
{
    static const struct {
        const char *query;
        const char *field;
    } bad[] = {
        {"limit=0", "limit"},
        {"limit=-1", "limit"},
        {"limit=abc", "limit"},
        {"limit=", "limit"},
        {"limit=1&limit=2", "limit"},
        {"added_after=yesterday", "added_after"},
        {"added_after=2025-01-01T00:00:00%2B01:00", "added_after"},
        {"added_after=2025-01-01T00:00:00Z&added_after=2025-01-01T00:00:00Z", "added_after"},
        {"next=zzz", "next"},
        {"match[id]=not-an-id", "match[id]"},
        {"match[id]=" ID(01) ",", "match[id]"},
        {"match[id]=" ID(01) "&match[id]=" ID(02), "match[id]"},
        {"match[type]=", "match[type]"},
        {"match[type]=indicator,,malware", "match[type]"},
        {"match[version]=all,first", "match[version]"},
        {"match[version]=last,last", "match[version]"},
        {"match[version]=first,first", "match[version]"},
        {"match[version]=newest", "match[version]"},
        {"match[version]=2025-13-01T00:00:00Z", "match[version]"},
        {"match[version]=last&match[version]=first", "match[version]"},
        {"match[spec_version]=2", "match[spec_version]"},
        {"match[spec_version]=two.one", "match[spec_version]"},
    };
    char path[400];
    char many[64 * 50 + 100];
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, COLL "national/objects/?%s", bad[i].query);
        if (taxii(path, keys[K_AL]) != 400)
            fail_msg("%s: %ld, want 400: %s", bad[i].query, last.status, last.body);
        assert_taxii_error(400, bad[i].field);
        snprintf(path, sizeof path, COLL "all/manifest/?%s", bad[i].query);
        if (taxii(path, keys[K_AL]) != 400)
            fail_msg("manifest %s: %ld, want 400", bad[i].query, last.status);
    }
    /* hostile sizes and bytes: refused, naming the parameter, and the node stays up */
    {
        static char big[6000];
        /* (the harness's URLs stop at 4 KiB: a value over match[type]'s 4 KiB is
         * refused the same way, by domain/svc_taxii.c's split) */
        size_t n = (size_t)snprintf(big, sizeof big, COLL "all/objects/?match[type]=");
        for (int i = 0; i < 65; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%st%d", i ? "," : "", i);
        assert_int_equal(taxii(big, keys[K_AL]), 400);
        assert_taxii_error(400, "match[type]");
        n = (size_t)snprintf(big, sizeof big, COLL "all/objects/?match[version]=");
        for (int i = 0; i < 65; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s2025-01-01T00:00:%02dZ", i ? "," : "", i % 60);
        assert_int_equal(taxii(big, keys[K_AL]), 400);
        assert_taxii_error(400, "match[version]");
    }
    assert_int_equal(taxii(COLL "all/objects/?match[type]=%00indicator", keys[K_AL]), 200);
    assert_int_equal(taxii(COLL "all/objects/indicator--%00/", keys[K_AL]), 404);
    assert_true(h_healthy(&node));
    /* 65 ids are too many */
    len = (size_t)snprintf(many, sizeof many, COLL "all/objects/?match[id]=");
    for (int i = 0; i < 65; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "%sindicator--7a000000-0000-4000-8000-0000000001%02d",
                                i ? "," : "", i);
    assert_int_equal(taxii(many, keys[K_AL]), 400);
    assert_taxii_error(400, "match[id]");

    /* match[id], match[type] (ORed lists; any type name) */
    assert_int_equal(taxii(COLL "all/objects/?match[id]=" ID(01) "," ID(02) "," MAL, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 3);
    assert_int_equal(taxii(COLL "all/objects/?match[type]=malware", keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    assert_int_equal(taxii(COLL "all/objects/?match[type]=no-such-type", keys[K_AL]), 200);
    assert_string_equal(last.body, "{}\n");
    assert_int_equal(taxii(COLL "indicators/objects/?match[type]=malware", keys[K_AL]), 200);
    assert_string_equal(last.body, "{}\n");
    /* match[version] */
    snprintf(path, sizeof path, COLL "national/objects/?match[id]=%s", ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    assert_string_equal(first_modified(), "2025-03-01T00:00:00.000Z");
    snprintf(path, sizeof path, COLL "national/objects/?match[id]=%s&match[version]=all", ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 3);
    snprintf(path, sizeof path, COLL "national/objects/?match[id]=%s&match[version]=first", ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    assert_string_equal(first_modified(), "2025-01-01T00:00:00.000Z");
    snprintf(path, sizeof path, COLL "national/objects/?match[id]=%s&match[version]=first,last", ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 2);
    snprintf(path, sizeof path, COLL "national/objects/?match[id]=%s&match[version]=2025-02-01T00:00:00Z", ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    assert_string_equal(first_modified(), "2025-02-01T00:00:00.000Z");
    snprintf(path, sizeof path,
             COLL "national/manifest/?match[id]=%s&match[version]=2025-02-01T00:00:00Z,2025-01-01T00:00:00.000Z",
             ID(13));
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_int_equal(n_objects(), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0),
                                                          "media_type")),
                        "application/stix+json;version=2.1");
    /* match[spec_version]: everything here is 2.1 */
    assert_int_equal(taxii(COLL "all/objects/?match[spec_version]=2.0", keys[K_AL]), 200);
    assert_string_equal(last.body, "{}\n");
    assert_int_equal(taxii(COLL "all/objects/?match[spec_version]=2.0,2.1&match[type]=malware", keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    /* unknown match[...] fields are ignored */
    assert_int_equal(taxii(COLL "all/objects/?match[type]=malware&match[color]=blue", keys[K_AL]), 200);
    assert_int_equal(n_objects(), 1);
    /* a limit above taxii.page_max (50) is lowered, not refused */
    assert_int_equal(taxii(COLL "all/objects/?limit=100000", keys[K_AL]), 200);
    assert_true(n_objects() > 0 && n_objects() <= 50);
}

static void test_next_refused(void **state)
{
    char next[300], path[600];

    (void)state;
    assert_int_equal(taxii(COLL "national/objects/?limit=1", keys[K_AL]), 200);
    assert_true(json_is_true(json_object_get(last_json, "more")));
    snprintf(next, sizeof next, "%s", json_string_value(json_object_get(last_json, "next")));
    /* the same query goes on (the page size may change) */
    snprintf(path, sizeof path, COLL "national/objects/?limit=2&next=%s", next);
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    /* another collection, other filters, another reader, REST: 400 next */
    snprintf(path, sizeof path, COLL "all/objects/?limit=1&next=%s", next);
    assert_int_equal(taxii(path, keys[K_AL]), 400);
    assert_taxii_error(400, "next");
    snprintf(path, sizeof path, COLL "national/manifest/?limit=1&next=%s&match[type]=indicator", next);
    assert_int_equal(taxii(path, keys[K_AL]), 400);
    assert_taxii_error(400, "next");
    snprintf(path, sizeof path, COLL "national/objects/?limit=1&next=%s&match[version]=all", next);
    assert_int_equal(taxii(path, keys[K_AL]), 400);
    snprintf(path, sizeof path, COLL "national/objects/?limit=1&next=%s", next);
    assert_int_equal(taxii(path, keys[K_BANK]), 400);
    assert_taxii_error(400, "next");
    snprintf(path, sizeof path, "/api/v1/objects?limit=1&community=national&next=%s", next);
    assert_int_equal(rest("GET", path, keys[K_AL], NULL), 400);
    /* and REST's token is no view's: the all view lists what REST lists, yet its
     * tokens are its own */
    assert_int_equal(rest("GET", "/api/v1/objects?limit=1", keys[K_AL], NULL), 200);
    snprintf(path, sizeof path, COLL "all/objects/?limit=1&next=%s",
             json_string_value(json_object_get(last_json, "next")));
    assert_int_equal(taxii(path, keys[K_AL]), 400);
    assert_taxii_error(400, "next");
    /* altered: one hex digit changed */
    next[10] = next[10] == 'a' ? 'b' : 'a';
    snprintf(path, sizeof path, COLL "national/objects/?limit=1&next=%s", next);
    assert_int_equal(taxii(path, keys[K_AL]), 400);
    assert_taxii_error(400, "next");
}

static void test_headers(void **state)
{
    char first[64], lastb[64], path[300];
    json_t *objs;

    (void)state;
    assert_int_equal(taxii(COLL "national/manifest/?limit=3", keys[K_AL]), 200);
    objs = json_object_get(last_json, "objects");
    assert_int_equal(json_array_size(objs), 3);
    header("X-TAXII-Date-Added-First", first, sizeof first);
    header("X-TAXII-Date-Added-Last", lastb, sizeof lastb);
    assert_int_equal(strlen(first), 27); /* 2026-12-07T19:28:15.123456Z */
    assert_int_equal(first[26], 'Z');
    assert_string_equal(first, json_string_value(json_object_get(json_array_get(objs, 0), "date_added")));
    assert_string_equal(lastb, json_string_value(json_object_get(json_array_get(objs, 2), "date_added")));
    assert_true(strcmp(first, lastb) < 0);
    /* objects pages carry them too */
    assert_int_equal(taxii(COLL "all/objects/?limit=1", keys[K_AL]), 200);
    assert_int_equal(strlen(header("X-TAXII-Date-Added-Last", lastb, sizeof lastb)), 27);
    /* the manifest also answers a client that accepts STIX (8.2); objects do not */
    assert_int_equal(req_on(&node, "GET", COLL "national/manifest/?limit=1", keys[K_AL], NULL,
                            "application/stix+json;version=2.1"),
                     200);
    assert_non_null(strstr(last.headers, TAXII_TYPE));
    assert_int_equal(req_on(&node, "GET", COLL "national/objects/?limit=1", keys[K_AL], NULL,
                            "application/stix+json;version=2.1"),
                     406);
    assert_int_equal(req_on(&node, "GET", COLL "national/manifest/?limit=1", keys[K_AL], NULL,
                            "application/stix+json;version=2.0"),
                     406);
    /* an empty page: both are added_after */
    snprintf(path, sizeof path, COLL "national/objects/?added_after=2999-01-01T00:00:00Z");
    assert_int_equal(taxii(path, keys[K_AL]), 200);
    assert_string_equal(last.body, "{}\n");
    assert_string_equal(header("X-TAXII-Date-Added-First", first, sizeof first), "2999-01-01T00:00:00.000000Z");
    assert_string_equal(header("X-TAXII-Date-Added-Last", lastb, sizeof lastb), "2999-01-01T00:00:00.000000Z");
}

/* The stamp of the newest grant of coll as key sees it. */
static void newest(const char *coll, int k, char *out, size_t cap)
{
    char path[200];

    snprintf(path, sizeof path, COLL "%s/manifest/?limit=50", coll);
    assert_int_equal(taxii(path, keys[k]), 200);
    assert_false(json_is_true(json_object_get(last_json, "more")));
    header("X-TAXII-Date-Added-Last", out, cap);
}

/* The ids of coll's manifest after stamp as reader k, in order, joined by spaces. */
static const char *ids_after(const char *coll, int k, const char *stamp, char *out, size_t cap)
{
    char path[300];
    json_t *o;
    size_t i, len = 0;

    snprintf(path, sizeof path, COLL "%s/manifest/?added_after=%s", coll, stamp);
    assert_int_equal(taxii(path, keys[k]), 200);
    out[0] = '\0';
    json_array_foreach(json_object_get(last_json, "objects"), i, o)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "",
                                json_string_value(json_object_get(o, "id")));
    return out;
}

static void test_grants_order(void **state)
{
    char was[64], path[300], stamp[64], xk_all[64], al_all[64], bank_all[64], ids[600];

    (void)state;
    /* regional: al-cert shares its national GREEN ID(02) into it; a poller of regional
     * gets it after what it read before */
    newest("regional", K_XK, was, sizeof was);
    newest("all", K_XK, xk_all, sizeof xk_all);
    newest("all", K_AL, al_all, sizeof al_all);
    assert_int_equal(rest("POST", "/api/v1/objects/" ID(02) "/share", keys[K_AL], "{\"community\":\"regional\"}"), 200);
    /* the views (8.1): xk-cert reads regional and not national, so the share is its
     * effective grant of ID(02): its all view serves it now, after what it read; al-cert
     * read ID(02) in national at its post: its view does not serve it again */
    assert_string_equal(ids_after("all", K_XK, xk_all, ids, sizeof ids), ID(02));
    assert_string_equal(ids_after("indicators", K_XK, xk_all, ids, sizeof ids), ID(02));
    assert_string_equal(ids_after("all", K_AL, al_all, ids, sizeof ids), "");
    newest("all", K_BANK, bank_all, sizeof bank_all);
    snprintf(path, sizeof path, COLL "regional/manifest/?added_after=%s", was);
    assert_int_equal(taxii(path, keys[K_XK]), 200);
    assert_int_equal(n_objects(), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0), "id")),
                        ID(02));
    snprintf(stamp, sizeof stamp, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0), "date_added")));
    assert_true(strcmp(stamp, was) > 0);
    /* national: al-cert shares its regional GREEN ID(40) into it, merged with the posts */
    newest("national", K_BANK, was, sizeof was);
    assert_int_equal(rest("POST", "/api/v1/objects/" ID(40) "/share", keys[K_AL], "{\"community\":\"national\"}"),
                     200);
    post(K_BANK, NULL, ID(22), GREEN, "2025-01-01T00:00:00.000Z");
    snprintf(path, sizeof path, COLL "national/objects/?added_after=%s", was);
    assert_int_equal(taxii(path, keys[K_BANK]), 200);
    assert_int_equal(n_objects(), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0), "id")),
                        ID(40));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 1), "id")),
                        ID(22));
    /* the bank reads national alone: ID(40), posted into regional, comes into its
     * views at the share */
    assert_string_equal(ids_after("all", K_BANK, bank_all, ids, sizeof ids), ID(40) " " ID(22));
    /* and the walks still equal REST's lists */
    for (int k = 0; k < N_KEYS; k++) {
        assert_collection_is_rest("all", k, "");
        assert_collection_is_rest("indicators", k, "&type=indicator");
    }
    assert_collection_is_rest("regional", K_XK, "&community=regional");
    assert_collection_is_rest("national", K_BANK, "&community=national");
    assert_collection_is_rest("national", K_ME, "&community=national");
}

static void test_public_read(void **state)
{
    struct hnode pub;
    char key[64], body[1200];
    json_t *c;
    const char *const sets[] = {"api.public_read=true", "taxii.public_url=https://taxii.example.org/", NULL};
    const char *const no_accept[] = {"Accept: " TAXII_TYPE, NULL};

    (void)state;
    h_node_init(&pub);
    h_add_org(&pub, "al-cert", "AL", "national-csirt");
    h_add_user(&pub, "analyst@al-cert", "al-cert", "analyst", key);
    h_start(&pub, sets);
    indicator(body, sizeof body, ID(01), CLEAR, "2025-01-01T00:00:00.000Z");
    assert_int_equal(req_on(&pub, "POST", "/api/v1/objects", key, body, "application/json"), 201);
    indicator(body, sizeof body, ID(02), GREEN, "2025-01-01T00:00:00.000Z");
    assert_int_equal(req_on(&pub, "POST", "/api/v1/objects", key, body, "application/json"), 201);

    drop();
    assert_int_equal(h_http_hdr(&pub, "GET", "/taxii2/", NULL, no_accept, NULL, 0, &last), 200);
    last_json = json_loads(last.body, 0, NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(last_json, "api_roots"), 0)),
                        "https://taxii.example.org/taxii2/api/");
    assert_int_equal(req_on(&pub, "GET", "/taxii2/api/", NULL, NULL, TAXII_TYPE), 200);
    assert_non_null(json_string_value(json_object_get(json_object_get(last_json, "x_mreza_node"), "version")));
    assert_int_equal(req_on(&pub, "GET", COLL, NULL, NULL, TAXII_TYPE), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "collections")), 1);
    c = json_array_get(json_object_get(last_json, "collections"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "alias")), "indicators");
    assert_int_equal(req_on(&pub, "GET", COLL "indicators/objects/", NULL, NULL, TAXII_TYPE), 200);
    assert_int_equal(n_objects(), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0), "id")),
                        ID(01));
    assert_int_equal(req_on(&pub, "GET", COLL "national/objects/", NULL, NULL, TAXII_TYPE), 404);
    assert_int_equal(req_on(&pub, "GET", COLL "all/objects/", NULL, NULL, TAXII_TYPE), 404);
    /* the member sees both */
    assert_int_equal(req_on(&pub, "GET", COLL "indicators/objects/", key, NULL, TAXII_TYPE), 200);
    assert_int_equal(n_objects(), 2);
    drop();
    assert_int_equal(h_node_free(&pub), 0);
}

static void test_api_root_node(void **state)
{
    json_t *nd;

    (void)state;
    assert_int_equal(taxii("/taxii2/api/", keys[K_BANK]), 200);
    nd = json_object_get(last_json, "x_mreza_node");
    assert_non_null(json_string_value(json_object_get(nd, "version")));
    /* without public_read, discovery needs a key */
    assert_int_equal(taxii("/taxii2/", NULL), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walks_equal_rest),
        cmocka_unit_test(test_hidden_collections),
        cmocka_unit_test(test_object_and_versions),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_next_refused),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_grants_order),
        cmocka_unit_test(test_api_root_node),
        cmocka_unit_test(test_public_read),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
