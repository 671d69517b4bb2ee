/* tests/integ/test_taxii_write.c - the TAXII 2.1 server's writes (issue 11 work
 * package 3, docs/federation.md 8.2) against a real `mreza serve`:
 *   - POST .../collections/{id}/objects/: the body must be application/taxii+json with
 *     no version or version=2.1 (application/stix+json, application/json, version=2.0
 *     and none at all are 415, TAXII error objects); it must be an envelope (a STIX
 *     bundle, one object, a list, {} or `objects` not a list are 422; broken JSON is
 *     400);
 *   - a mixed envelope: good objects stored into the collection's community (read
 *     through REST by its members, not by others), an invalid one, a version in
 *     conflict and one naming another organisation as creator (R1.1) listed in
 *     `failures` with their messages, a duplicate counted as a success; 202 with the
 *     status resource, whose counts are exact and whose lists are capped by
 *     taxii.status_max_details; the status read back with GET .../status/{id}/;
 *   - who may post: a reporter into a community its organisation only reads: 403;
 *     into one it is not in: 404 (as a collection that does not exist); a viewer 403;
 *   - the status of another user, an unknown or malformed id: 404; with
 *     taxii.status_keep=0 the status is expired at once (404) and deleted by the next
 *     POST;
 *   - DELETE .../objects/{object-id}/: a table of cases (200 with an empty body; 404
 *     collection not visible, unknown object, unknown match[version]; 403 can_read or
 *     can_write false, a reporter withdrawing a colleague's version); afterwards the
 *     object is 404 for its former readers through REST, the owner included;
 *   - no takeover (docs/model.md R1, R5, R7): another organisation's TAXII POST of
 *     the same ids (AMBER and RED objects of al-cert) and its DELETE leave al-cert's
 *     versions as they are for al-cert's readers.
 *   - the fifth re-attack (docs/security.md, issue 11): one poster's statuses are
 *     capped in rows (taxii.status_max_per_user, its oldest dropped, another user's
 *     kept) and bytes (taxii.status_max_bytes_per_user; a status's detail lists stop
 *     at 32 KiB); DELETE from a collection the object is not in is 404 as an unknown
 *     object; a malformed match[version] is 400 naming match[version].
 * Every test failed before api_taxii_write.c (no routes: 404 or 405 for each call);
 * the re-attack's failed on the code before their fixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

#define ID(n) "indicator--7a100000-0000-4000-8000-0000000000" #n
#define REGIONAL "/taxii2/api/collections/regional/objects/"
#define NATIONAL "/taxii2/api/collections/national/objects/"

static struct hnode node;
enum { K_AL, K_AL2, K_AL_REP, K_XK, K_BANK, K_VIEW, N_KEYS };
static char keys[N_KEYS][64];
static char bank_ident[64];
static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

/* A request with TAXII's Accept and the Content-Type ct (NULL: none at all). */
static long taxii_ct(const char *method, const char *path, int k, const char *ct, const char *body)
{
    char ct_hdr[200];
    const char *headers[] = {"Accept: " TAXII_TYPE, ct_hdr, NULL};

    drop();
    snprintf(ct_hdr, sizeof ct_hdr, "Content-Type:%s%s", ct ? " " : "", ct ? ct : "");
    h_http_hdr(&node, method, path, k >= 0 ? keys[k] : NULL, headers, body, body ? strlen(body) : 0, &last);
    last_json = last.body && last.len ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static long post(const char *path, int k, const char *body)
{
    return taxii_ct("POST", path, k, TAXII_TYPE, body);
}

static long rest_get(int k, const char *id)
{
    char path[200];

    drop();
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    h_http(&node, "GET", path, keys[k], NULL, 0, &last);
    last_json = last.body && last.len ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

/* The reply is a TAXII error object of status. */
static void assert_taxii_error(long status)
{
    char want[8];

    if (!strstr(last.headers, "Content-Type: " TAXII_TYPE) && !strstr(last.headers, "content-type: " TAXII_TYPE))
        fail_msg("no TAXII Content-Type in:\n%s", last.headers);
    if (!last_json)
        fail_msg("no JSON in the reply (%ld): %s", last.status, last.body ? last.body : "");
    snprintf(want, sizeof want, "%ld", status);
    assert_string_equal(json_string_value(json_object_get(last_json, "http_status")), want);
    assert_non_null(json_string_value(json_object_get(last_json, "description")));
    assert_null(json_object_get(last_json, "error"));
}

static long long jint(const char *key)
{
    return json_integer_value(json_object_get(last_json, key));
}

static void indicator(char *out, size_t cap, const char *id, const char *modified, const char *marking,
                      const char *value, const char *created_by)
{
    char by[120] = "";

    if (created_by)
        snprintf(by, sizeof by, "\"created_by_ref\":\"%s\",", created_by);
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",%s\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"%s\",\"name\":\"t\",\"pattern\":\"[domain-name:value = '%s']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}",
             id, by, modified, value, marking);
}

/* An envelope of one indicator. */
static void envelope1(char *out, size_t cap, const char *id, const char *modified, const char *marking,
                      const char *value)
{
    char o[1200];

    indicator(o, sizeof o, id, modified, marking, value, NULL);
    snprintf(out, cap, "{\"objects\":[%s]}", o);
}

/* The id of the status entry i of list (successes / failures). */
static const char *entry(const char *list, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(last_json, list), i), key));
}

static int list_has(const char *list, const char *id, const char *needle)
{
    json_t *a = json_object_get(last_json, list), *e;
    size_t i;

    json_array_foreach(a, i, e) {
        const char *m = json_string_value(json_object_get(e, "message"));
        if (!strcmp(json_string_value(json_object_get(e, "id")), id) && (!needle || (m && strstr(m, needle))))
            return 1;
    }
    return 0;
}

/* How many taxii_status rows have id (the store read from the outside). */
static long long status_rows(const char *id)
{
    char path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long n = -1;

    snprintf(path, sizeof path, "%s/mreza.db", node.dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM taxii_status WHERE id=?1", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* One number from the store, read from the outside (-1: none). */
static long long q(const char *sql)
{
    char path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long n = -1;

    snprintf(path, sizeof path, "%s/mreza.db", node.dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* (Re)start the server with taxii.status_keep=keep and extra settings (NULL: none). */
static void start_with(const char *keep, const char *extra1, const char *extra2)
{
    char k[64];
    const char *sets[6] = {"http.max_body=1000000", "taxii.status_max_details=2", k, NULL, NULL, NULL};
    int n = 3;

    snprintf(k, sizeof k, "taxii.status_keep=%s", keep);
    if (extra1)
        sets[n++] = extra1;
    if (extra2)
        sets[n++] = extra2;
    h_start(&node, (const char *const *)sets);
}

static void start(const char *keep)
{
    start_with(keep, NULL, NULL);
}

static int setup(void **state)
{
    static const char *const cmds[][9] = {
        {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
        {"community", "member", "add", "regional", "al-cert", NULL},
        {"community", "member", "add", "regional", "xk-cert", "--read", NULL},
        {"community", "add", "banks", "--title", "Banks", NULL},
        {"community", "member", "add", "banks", "al-bank", "--read", NULL},
        {"community", "member", "add", "national", "xk-cert", "--write", NULL},
    };

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_org(&node, "al-bank", "AL", "operator");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst2@al-cert", "al-cert", "analyst", keys[K_AL2]);
    h_add_user(&node, "reporter@al-cert", "al-cert", "reporter", keys[K_AL_REP]);
    h_add_user(&node, "analyst@xk-cert", "xk-cert", "analyst", keys[K_XK]);
    h_add_user(&node, "reporter@al-bank", "al-bank", "reporter", keys[K_BANK]);
    h_add_user(&node, "viewer@al-cert", "al-cert", "viewer", keys[K_VIEW]);
    h_identity(&node, "org", "al-bank", bank_ident);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = h_cli_err(&node, &out, &err, cmds[i]);
        if (rc != 0)
            fail_msg("mreza %s %s: exit %d: %s", cmds[i][0], cmds[i][1], rc, err ? err : "");
        free(out);
        free(err);
    }
    start("172800");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

static void test_media_types(void **state)
{
    static const char *const refused[] = {"application/stix+json;version=2.1", "application/json",
                                          "application/taxii+json;version=2.0", "application/x-www-form-urlencoded",
                                          NULL};
    char body[1400];

    (void)state;
    envelope1(body, sizeof body, ID(01), "2025-01-01T00:00:00.000Z", GREEN, "media.example");
    for (int i = 0; i <= 4; i++) {
        assert_int_equal(taxii_ct("POST", REGIONAL, K_AL, refused[i], body), 415);
        assert_taxii_error(415);
    }
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "'"), 0);
    assert_int_equal(taxii_ct("POST", REGIONAL, K_AL, "application/taxii+json", body), 202);
    assert_int_equal(taxii_ct("POST", REGIONAL, K_AL, "application/taxii+json; version=2.1", body), 202);
    assert_int_equal(jint("success_count"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "'"), 1);
}

static void test_not_envelope(void **state)
{
    char obj[1200], body[1400];

    (void)state;
    indicator(obj, sizeof obj, ID(02), "2025-01-01T00:00:00.000Z", GREEN, "env.example", NULL);
    assert_int_equal(post(REGIONAL, K_AL, obj), 422); /* one STIX object */
    assert_taxii_error(422);
    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--7a100000-0000-4000-8000-000000000001\",\"objects\":[%s]}", obj);
    assert_int_equal(post(REGIONAL, K_AL, body), 422); /* a STIX bundle */
    assert_taxii_error(422);
    assert_string_equal(json_string_value(json_object_get(json_object_get(last_json, "details"), "field")), "/type");
    snprintf(body, sizeof body, "[%s]", obj);
    assert_int_equal(post(REGIONAL, K_AL, body), 422); /* a list */
    assert_taxii_error(422);
    assert_int_equal(post(REGIONAL, K_AL, "{}"), 422);
    assert_int_equal(post(REGIONAL, K_AL, "{\"more\":false}"), 422);
    assert_int_equal(post(REGIONAL, K_AL, "{\"objects\":5}"), 422);
    assert_int_equal(post(REGIONAL, K_AL, "\"objects\""), 422);
    assert_int_equal(post(REGIONAL, K_AL, "{\"objects\":[{\"type\""), 400); /* not JSON */
    assert_taxii_error(400);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(02) "'"), 0);
    /* an empty envelope is a write of nothing */
    assert_int_equal(post(REGIONAL, K_AL, "{\"objects\":[]}"), 202);
    assert_int_equal(jint("total_count"), 0);
}

static void test_mixed(void **state)
{
    char good1[1200], good2[1200], bad[600], conflict[1200], other[1200], body[8000], status_id[64];
    json_t *saved;

    (void)state;
    indicator(good1, sizeof good1, ID(03), "2025-01-01T00:00:00.000Z", GREEN, "good1.example", NULL);
    indicator(good2, sizeof good2, ID(04), "2025-01-01T00:00:00.000Z", GREEN, "good2.example", NULL);
    snprintf(bad, sizeof bad,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" ID(05) "\",\"created\":"
             "\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\"}"); /* no pattern */
    indicator(conflict, sizeof conflict, ID(03), "2025-01-01T00:00:00.000Z", GREEN, "other.example", NULL);
    indicator(other, sizeof other, ID(06), "2025-01-01T00:00:00.000Z", GREEN, "bank.example", bank_ident);
    snprintf(body, sizeof body, "{\"objects\":[%s,%s,%s,%s,%s,%s]}", good1, bad, good2, conflict, good1, other);
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_non_null(last_json);
    assert_string_equal(json_string_value(json_object_get(last_json, "status")), "complete");
    assert_non_null(json_string_value(json_object_get(last_json, "request_timestamp")));
    assert_int_equal(jint("total_count"), 6);
    assert_int_equal(jint("success_count"), 3); /* good1, good2, good1 again (a duplicate) */
    assert_int_equal(jint("failure_count"), 3); /* no pattern, the conflict, another's creator */
    assert_int_equal(jint("pending_count"), 0);
    /* the lists are capped at taxii.status_max_details (2); the counts are not */
    assert_int_equal(json_array_size(json_object_get(last_json, "successes")), 2);
    assert_int_equal(json_array_size(json_object_get(last_json, "failures")), 2);
    assert_string_equal(entry("successes", 0, "id"), ID(03));
    assert_string_equal(entry("successes", 1, "id"), ID(04));
    assert_string_equal(entry("failures", 0, "id"), ID(05));
    assert_non_null(strstr(entry("failures", 0, "message"), "pattern"));
    assert_string_equal(entry("failures", 1, "id"), ID(03));
    assert_non_null(strstr(entry("failures", 1, "message"), "already stored with other content"));
    snprintf(status_id, sizeof status_id, "%s", json_string_value(json_object_get(last_json, "id")));
    saved = json_incref(last_json);
    /* what was stored, and where: the regional community (bit 1) */
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(03) "' AND comm = 2"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(03) "'"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(04) "' AND comm = 2"), 1);
    assert_int_equal(h_db_count(&node, "stix_id IN ('" ID(05) "','" ID(06) "')"), 0);
    assert_int_equal(rest_get(K_XK, ID(03)), 200); /* a read-member of regional */
    assert_non_null(strstr(last.body, "good1.example"));
    assert_int_equal(rest_get(K_XK, ID(04)), 200);
    assert_int_equal(rest_get(K_BANK, ID(03)), 404); /* not in regional */
    /* the status, read back */
    {
        char path[200];
        snprintf(path, sizeof path, "/taxii2/api/status/%s/", status_id);
        assert_int_equal(taxii_ct("GET", path, K_AL, NULL, NULL), 200);
        assert_true(json_equal(last_json, saved));
    }
    json_decref(saved);
    /* with room for every entry: the third failure is R1.1's skip */
    h_stop(&node);
    {
        const char *const sets[] = {"http.max_body=1000000", NULL};
        h_start(&node, sets);
    }
    indicator(other, sizeof other, ID(07), "2025-01-01T00:00:00.000Z", GREEN, "bank.example", bank_ident);
    snprintf(body, sizeof body, "{\"objects\":[%s,%s,%s]}", good1, other, good2);
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_int_equal(jint("success_count"), 2);
    assert_int_equal(jint("failure_count"), 1);
    assert_true(list_has("successes", ID(03), "duplicate"));
    assert_true(list_has("successes", ID(04), "duplicate"));
    assert_true(list_has("failures", ID(07), "al-bank"));
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(07) "'"), 0);
    h_stop(&node);
    start("172800");
}

/* A refusal that comes after the object's row was written (the scan-pattern quota of
 * a submitter, counted after the write): that object alone is undone, the objects
 * before and after it are kept. */
static void test_failure_after_write(void **state)
{
    size_t cap = 70 * 700, len = 0;
    char *body = malloc(cap), o[1200], id[80], value[40];

    (void)state;
    assert_non_null(body);
    len += (size_t)snprintf(body + len, cap - len, "{\"objects\":[");
    for (int i = 0; i < 66; i++) {
        snprintf(id, sizeof id, "indicator--7a100000-0000-4000-8000-%012d", 100 + i);
        snprintf(value, sizeof value, "%%.q%d.example", i);
        /* LIKE: evaluated on every value (match plan scan) */
        snprintf(o, sizeof o,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                 "\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"t\","
                 "\"pattern\":\"[domain-name:value LIKE '%s']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN "\"]}",
                 id, value);
        len += (size_t)snprintf(body + len, cap - len, "%s%s", i ? "," : "", o);
    }
    snprintf(body + len, cap - len, "]}");
    assert_int_equal(post(REGIONAL, K_AL2, body), 202);
    free(body);
    assert_int_equal(jint("total_count"), 66);
    assert_int_equal(jint("success_count"), 64);
    assert_int_equal(jint("failure_count"), 2);
    assert_string_equal(entry("failures", 0, "id"), "indicator--7a100000-0000-4000-8000-000000000164");
    assert_non_null(strstr(entry("failures", 0, "message"), "evaluated on every value"));
    assert_int_equal(h_db_count(&node, "stix_id LIKE 'indicator--7a100000-0000-4000-8000-0000000001%'"), 64);
    assert_int_equal(h_db_count(&node, "stix_id = 'indicator--7a100000-0000-4000-8000-000000000164'"), 0);
    assert_int_equal(h_db_count(&node, "stix_id = 'indicator--7a100000-0000-4000-8000-000000000163'"), 1);
    assert_true(h_db_integrity_ok(&node));
}

static void test_who_may_post(void **state)
{
    char body[1400];

    (void)state;
    envelope1(body, sizeof body, ID(10), "2025-01-01T00:00:00.000Z", GREEN, "who.example");
    assert_int_equal(post("/taxii2/api/collections/banks/objects/", K_BANK, body), 403); /* reads it only */
    assert_taxii_error(403);
    assert_int_equal(post(REGIONAL, K_BANK, body), 404); /* not a member */
    assert_taxii_error(404);
    assert_int_equal(post("/taxii2/api/collections/no-such/objects/", K_BANK, body), 404);
    assert_int_equal(post(REGIONAL, K_XK, body), 403); /* a read-member */
    assert_int_equal(post(REGIONAL, K_VIEW, body), 403); /* a viewer writes nothing */
    assert_taxii_error(403);
    assert_int_equal(post(REGIONAL, -1, body), 401);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(10) "'"), 0);
    /* the reporter writes into the national community, its own */
    assert_int_equal(post(NATIONAL, K_BANK, body), 202);
    assert_int_equal(jint("success_count"), 1);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(10) "' AND comm = 1"), 1);
}

static void test_status_of_another(void **state)
{
    char body[1400], path[200], id[64];

    (void)state;
    envelope1(body, sizeof body, ID(11), "2025-01-01T00:00:00.000Z", GREEN, "status.example");
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(last_json, "id")));
    snprintf(path, sizeof path, "/taxii2/api/status/%s/", id);
    assert_int_equal(taxii_ct("GET", path, K_AL, NULL, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(last_json, "id")), id);
    assert_int_equal(taxii_ct("GET", path, K_AL2, NULL, NULL), 404); /* a colleague */
    assert_taxii_error(404);
    assert_int_equal(taxii_ct("GET", path, K_XK, NULL, NULL), 404);
    assert_int_equal(taxii_ct("GET", "/taxii2/api/status/7a100000-0000-4000-8000-000000000000/", K_AL, NULL, NULL),
                     404);
    assert_int_equal(taxii_ct("GET", "/taxii2/api/status/not-a-uuid/", K_AL, NULL, NULL), 404);
    assert_int_equal(taxii_ct("GET", path, -1, NULL, NULL), 401);
}

static void test_status_expiry(void **state)
{
    char body[1400], path[200], first[64];

    (void)state;
    h_stop(&node);
    start("0"); /* a status is expired as soon as it is written */
    envelope1(body, sizeof body, ID(12), "2025-01-01T00:00:00.000Z", GREEN, "expiry.example");
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_int_equal(jint("success_count"), 1);
    snprintf(first, sizeof first, "%s", json_string_value(json_object_get(last_json, "id")));
    assert_int_equal(status_rows(first), 1);
    snprintf(path, sizeof path, "/taxii2/api/status/%s/", first);
    assert_int_equal(taxii_ct("GET", path, K_AL, NULL, NULL), 404);
    /* the next POST deletes it */
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_int_equal(jint("success_count"), 1); /* a duplicate */
    assert_int_equal(status_rows(first), 0);
    h_stop(&node);
    start("172800");
    assert_int_equal(taxii_ct("GET", path, K_AL, NULL, NULL), 404);
}

struct delete_case {
    int k;
    const char *collection;
    const char *id;
    const char *query;
    long status;
};

static void test_delete(void **state)
{
    char body[8000], a[1200], b1[1200], b2[1200], path[400];
    static const struct delete_case cases[] = {
        {K_BANK, "regional", ID(20), "", 404},    /* no member: can_read and can_write false */
        {K_AL, "no-such", ID(20), "", 404},       /* no such collection */
        {K_XK, "regional", ID(20), "", 403},      /* can_write false */
        {K_XK, "national", ID(20), "", 403},      /* can_read false (a write-only member) */
        {K_VIEW, "regional", ID(20), "", 403},    /* a viewer: can_write false */
        {K_AL, "regional", ID(29), "", 404},      /* no such object */
        {K_AL_REP, "regional", ID(20), "", 403},  /* R7.2: a reporter withdraws only its own */
        {K_AL, "regional", ID(21), "?match[version]=2025-03-01T00:00:00.000Z", 404}, /* no such version */
        {K_AL, "regional", ID(21), "?match[version]=last", 400},
        {K_AL, "regional", ID(20), "", 200},
        {K_AL, "regional", ID(20), "", 404},      /* withdrawn from everyone, the owner too */
        {K_AL, "regional", ID(21), "?match[version]=2025-02-01T00:00:00.000Z", 200},
        {-1, "regional", ID(21), "", 401},
    };

    (void)state;
    indicator(a, sizeof a, ID(20), "2025-01-01T00:00:00.000Z", GREEN, "del20.example", NULL);
    indicator(b1, sizeof b1, ID(21), "2025-01-01T00:00:00.000Z", GREEN, "del21.example", NULL);
    indicator(b2, sizeof b2, ID(21), "2025-02-01T00:00:00.000Z", GREEN, "del21b.example", NULL);
    snprintf(body, sizeof body, "{\"objects\":[%s,%s,%s]}", a, b1, b2);
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_int_equal(jint("success_count"), 3);
    assert_int_equal(rest_get(K_XK, ID(20)), 200);
    assert_int_equal(rest_get(K_AL, ID(20)), 200);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct delete_case *c = &cases[i];
        long got;
        snprintf(path, sizeof path, "/taxii2/api/collections/%s/objects/%s/%s", c->collection, c->id, c->query);
        got = taxii_ct("DELETE", path, c->k, NULL, NULL);
        if (got != c->status)
            fail_msg("case %zu: DELETE %s: %ld, not %ld: %s", i, path, got, c->status, last.body ? last.body : "");
        if (got == 200)
            assert_int_equal(last.len, 0);
        else
            assert_taxii_error(got);
    }
    /* ID(20) is gone for its former readers, the owner included */
    assert_int_equal(rest_get(K_XK, ID(20)), 404);
    assert_int_equal(rest_get(K_AL, ID(20)), 404);
    assert_int_equal(rest_get(K_AL2, ID(20)), 404);
    /* of ID(21), only its newer version was withdrawn: the older is served again */
    assert_int_equal(rest_get(K_XK, ID(21)), 200);
    assert_non_null(strstr(last.body, "del21.example"));
    assert_null(strstr(last.body, "del21b.example"));
    /* the rows stay (withdrawal is not deletion) */
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(20) "'"), 1);
}

static void test_no_takeover(void **state)
{
    char body[8000], a[1200], r[1200], path[300];

    (void)state;
    /* al-cert's AMBER and RED objects in the national community (REST) */
    indicator(a, sizeof a, ID(30), "2025-01-01T00:00:00.000Z", AMBER, "amber.example", NULL);
    indicator(r, sizeof r, ID(31), "2025-01-01T00:00:00.000Z", RED, "red.example", NULL);
    drop();
    h_http(&node, "POST", "/api/v1/objects", keys[K_AL], a, strlen(a), &last);
    assert_int_equal(last.status, 201);
    drop();
    h_http(&node, "POST", "/api/v1/objects", keys[K_AL], r, strlen(r), &last);
    assert_int_equal(last.status, 201);
    /* al-bank posts the same ids, same and later versions, GREEN, through TAXII */
    {
        char a1[1200], a2[1200], r1[1200], r2[1200];
        indicator(a1, sizeof a1, ID(30), "2025-01-01T00:00:00.000Z", GREEN, "takeover.example", NULL);
        indicator(a2, sizeof a2, ID(30), "2025-06-01T00:00:00.000Z", GREEN, "takeover.example", NULL);
        indicator(r1, sizeof r1, ID(31), "2025-01-01T00:00:00.000Z", GREEN, "takeover.example", NULL);
        indicator(r2, sizeof r2, ID(31), "2025-06-01T00:00:00.000Z", GREEN, "takeover.example", NULL);
        snprintf(body, sizeof body, "{\"objects\":[%s,%s,%s,%s]}", a1, a2, r1, r2);
    }
    assert_int_equal(post(NATIONAL, K_BANK, body), 202);
    assert_int_equal(jint("total_count"), 4);
    /* stored as al-bank's own objects (it reads no version of al-cert's) */
    assert_int_equal(jint("success_count"), 4);
    assert_int_equal(h_db_count(&node, "stix_id IN ('" ID(30) "','" ID(31) "') AND owner_org = "
                                       "(SELECT id FROM orgs WHERE name = 'al-bank')"),
                     4);
    /* and withdraws the ids through TAXII: what it withdraws is its own copies */
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, NATIONAL "%s/", i ? ID(31) : ID(30));
        assert_int_equal(taxii_ct("DELETE", path, K_BANK, NULL, NULL), 200);
    }
    assert_int_equal(h_db_count(&node, "stix_id IN ('" ID(30) "','" ID(31) "') AND owner_org = "
                                       "(SELECT id FROM orgs WHERE name = 'al-bank') AND wd_keep IS NOT NULL"),
                     4);
    assert_int_equal(h_db_count(&node, "stix_id IN ('" ID(30) "','" ID(31) "') AND owner_org = "
                                       "(SELECT id FROM orgs WHERE name = 'al-cert') AND wd_keep IS NULL"),
                     2);
    /* al-cert's readers read al-cert's versions, as before */
    assert_int_equal(rest_get(K_AL, ID(30)), 200);
    assert_non_null(strstr(last.body, "amber.example"));
    assert_int_equal(rest_get(K_AL2, ID(30)), 200);
    assert_non_null(strstr(last.body, "amber.example"));
    assert_int_equal(rest_get(K_AL, ID(31)), 200);
    assert_non_null(strstr(last.body, "red.example"));
    /* al-cert's DELETE withdraws al-cert's object alone */
    snprintf(path, sizeof path, NATIONAL "%s/", ID(30));
    assert_int_equal(taxii_ct("DELETE", path, K_AL2, NULL, NULL), 200);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(30) "' AND owner_org = "
                                       "(SELECT id FROM orgs WHERE name = 'al-cert') AND wd_keep IS NOT NULL"),
                     1);
    assert_int_equal(rest_get(K_AL, ID(30)), 404);
    assert_int_equal(rest_get(K_AL, ID(31)), 200);
}

/* The fifth re-attack's F1: every POST keeps a status for 48 h; one poster's are
 * capped (taxii.status_max_per_user), its oldest dropped, nobody else's touched. */
#define ROWS_OF(user) "SELECT count(*) FROM taxii_status WHERE user_id = (SELECT id FROM users WHERE name = '" user "')"

static void test_status_rows_capped_per_poster(void **state)
{
    char body[3100], path[200], first[64], newest[64];
    long long other;

    (void)state;
    h_stop(&node);
    start_with("172800", "taxii.status_max_per_user=5", NULL);
    strcpy(body, "{\"objects\":[");
    for (int i = 0; i < 1000; i++)
        strcat(body, i ? ",{}" : "{}");
    strcat(body, "]}");
    /* another user's statuses */
    assert_int_equal(post(REGIONAL, K_AL2, "{\"objects\":[]}"), 202);
    assert_int_equal(post(REGIONAL, K_AL2, "{\"objects\":[{}]}"), 202);
    other = q(ROWS_OF("analyst2@al-cert"));
    assert_true(other >= 2);
    first[0] = '\0';
    for (int i = 0; i < 8; i++) {
        assert_int_equal(post(REGIONAL, K_AL_REP, i % 2 ? "{\"objects\":[]}" : body), 202);
        if (!first[0])
            snprintf(first, sizeof first, "%s", json_string_value(json_object_get(last_json, "id")));
        snprintf(newest, sizeof newest, "%s", json_string_value(json_object_get(last_json, "id")));
    }
    /* the newest five of the reporter's are kept, its first is gone (404) */
    assert_int_equal(q(ROWS_OF("reporter@al-cert")), 5);
    assert_int_equal(q(ROWS_OF("analyst2@al-cert")), other);
    snprintf(path, sizeof path, "/taxii2/api/status/%s/", first);
    assert_int_equal(taxii_ct("GET", path, K_AL_REP, NULL, NULL), 404);
    snprintf(path, sizeof path, "/taxii2/api/status/%s/", newest);
    assert_int_equal(taxii_ct("GET", path, K_AL_REP, NULL, NULL), 200);
    h_stop(&node);
    start("172800");
}

/* F1's bytes: a status's detail lists stop at 32 KiB (1000 refusals took ~100 kB), and
 * one poster's statuses at taxii.status_max_bytes_per_user. */
static void test_status_bytes_capped(void **state)
{
    char body[3100];

    (void)state;
    h_stop(&node);
    start_with("172800", "taxii.status_max_bytes_per_user=65536", "taxii.status_max_details=1000");
    strcpy(body, "{\"objects\":[");
    for (int i = 0; i < 1000; i++)
        strcat(body, i ? ",{}" : "{}");
    strcat(body, "]}");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(post(REGIONAL, K_AL2, body), 202);
        assert_int_equal(jint("failure_count"), 1000); /* the counts stay exact */
        assert_true(last.len < 32768 + 4096);
    }
    assert_true(q("SELECT max(length(body)) FROM taxii_status") < 32768 + 4096);
    assert_true(q("SELECT sum(length(body)) FROM taxii_status WHERE user_id = (SELECT id FROM users WHERE name = "
                  "'analyst2@al-cert')") <= 65536);
    h_stop(&node);
    start("172800");
}

/* F4: DELETE from a collection the object is not in is 404, with the text of an
 * unknown object, and withdraws nothing (TAXII 2.1 section 5.7). */
static void test_delete_scoped_to_collection(void **state)
{
    char body[1400], missing[300];

    (void)state;
    envelope1(body, sizeof body, ID(40), "2025-01-01T00:00:00.000Z", GREEN, "scoped.example");
    assert_int_equal(post(REGIONAL, K_AL, body), 202);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(40) "' AND comm = 2 AND wd_keep IS NULL"), 1);
    assert_int_equal(taxii_ct("DELETE", "/taxii2/api/collections/national/objects/" ID(49) "/", K_AL, NULL, NULL),
                     404);
    snprintf(missing, sizeof missing, "%s", json_string_value(json_object_get(last_json, "description")));
    assert_int_equal(taxii_ct("DELETE", "/taxii2/api/collections/national/objects/" ID(40) "/", K_AL, NULL, NULL),
                     404);
    assert_taxii_error(404);
    {
        /* the same words as an unknown id's, the id aside */
        const char *d = json_string_value(json_object_get(last_json, "description"));
        assert_non_null(d);
        assert_int_equal(strlen(d), strlen(missing));
        assert_int_equal(strncmp(d, missing, (size_t)(strstr(missing, "indicator--") - missing)), 0);
    }
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(40) "' AND wd_keep IS NULL"), 1);
    /* from its own collection it goes */
    assert_int_equal(taxii_ct("DELETE", "/taxii2/api/collections/regional/objects/" ID(40) "/", K_AL, NULL, NULL),
                     200);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(40) "' AND wd_keep IS NULL"), 0);
}

/* F6: a malformed match[version] is a 400 naming the parameter, not a 404. */
static void test_delete_malformed_version_is_400(void **state)
{
    char body[1400];

    (void)state;
    envelope1(body, sizeof body, ID(41), "2025-01-01T00:00:00.000Z", GREEN, "malformed.example");
    assert_int_equal(post(NATIONAL, K_AL, body), 202);
    assert_int_equal(taxii_ct("DELETE", "/taxii2/api/collections/national/objects/" ID(41) "/?match[version]=garbage",
                              K_AL, NULL, NULL),
                     400);
    assert_taxii_error(400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(last_json, "details"), "field")),
                        "match[version]");
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(41) "' AND wd_keep IS NULL"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_not_envelope),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_failure_after_write),
        cmocka_unit_test(test_who_may_post),
        cmocka_unit_test(test_status_of_another),
        cmocka_unit_test(test_status_expiry),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_no_takeover),
        cmocka_unit_test(test_status_rows_capped_per_poster),
        cmocka_unit_test(test_status_bytes_capped),
        cmocka_unit_test(test_delete_scoped_to_collection),
        cmocka_unit_test(test_delete_malformed_version_is_400),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
