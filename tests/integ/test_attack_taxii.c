/* tests/integ/test_attack_taxii.c - the issue 11 attack round (branch i11-attack):
 * findings on the TAXII 2.1 writes (api_taxii_write.c, svc_taxii_status.c) against a
 * real `mreza serve`. Each test here FAILS on the code it was written against; it
 * demonstrates one finding of the attack report, for the lead to decide on:
 *   - test_status_rows_bounded_per_user (F1): every POST keeps a status row for
 *     taxii.status_keep (48 h), with nothing bounding one user's rows or bytes: a
 *     reporter posting {"objects":[{},...]} (3 bytes an object, ~100 bytes of status
 *     an object) fills the disk. Asserted: after 150 POSTs of one user, fewer than
 *     150 rows are kept for it (any per-user cap, oldest-first or a 429, passes);
 *   - test_delete_scoped_to_collection (F3): DELETE .../collections/national/objects/X/
 *     withdraws X though X was posted into regional alone (TAXII 2.1 5.7: the object
 *     is deleted from *this* collection; an object not in it is 404);
 *   - test_delete_malformed_version_is_400 (F6): match[version]=garbage is answered
 *     404 "not found" (svc_taxii_delete turns every /versions/ EINVAL into 404,
 *     malformed ones included), where a malformed parameter is a 400. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define ID(n) "indicator--7a200000-0000-4000-8000-0000000000" #n

static struct hnode node;
enum { K_AL, K_REP, N_KEYS };
static char keys[N_KEYS][64];
static struct hresp last;

static long taxii(const char *method, const char *path, int k, const char *body)
{
    const char *headers[] = {"Accept: " TAXII_TYPE, "Content-Type: " TAXII_TYPE, NULL};

    hresp_free(&last);
    h_http_hdr(&node, method, path, keys[k], headers, body, body ? strlen(body) : 0, &last);
    return last.status;
}

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

static void envelope1(char *out, size_t cap, const char *id, const char *value)
{
    snprintf(out, cap,
             "{\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
             "\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"t\",\"pattern\":"
             "\"[domain-name:value = '%s']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"" GREEN "\"]}]}",
             id, value);
}

static int setup(void **state)
{
    static const char *const cmds[][9] = {
        {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
        {"community", "member", "add", "regional", "al-cert", NULL},
    };
    const char *const sets[] = {"http.max_body=1000000", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "al-hospital", "AL", "operator");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "reporter@al-hospital", "al-hospital", "reporter", keys[K_REP]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = h_cli_err(&node, &out, &err, cmds[i]);
        if (rc != 0)
            fail_msg("mreza %s %s: exit %d: %s", cmds[i][0], cmds[i][1], rc, err ? err : "");
        free(out);
        free(err);
    }
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hresp_free(&last);
    return h_node_free(&node) > 0;
}

static void test_status_rows_bounded_per_user(void **state)
{
    char body[3100];
    long long rows, bytes;
    int refused = 0;

    (void)state;
    /* 1000 objects of 2 bytes: a 3 kB body, ~100 kB of status kept 48 h */
    strcpy(body, "{\"objects\":[");
    for (int i = 0; i < 1000; i++)
        strcat(body, i ? ",{}" : "{}");
    strcat(body, "]}");
    for (int i = 0; i < 150; i++) {
        long st = taxii("POST", "/taxii2/api/collections/national/objects/", K_REP, body);
        if (st == 429 || st == 503) {
            refused++;
            continue;
        }
        assert_int_equal(st, 202);
    }
    rows = q("SELECT count(*) FROM taxii_status WHERE user_id = (SELECT id FROM users WHERE name = "
             "'reporter@al-hospital')");
    bytes = q("SELECT sum(length(body)) FROM taxii_status");
    print_message("status rows of one reporter: %lld (%lld bytes; %d POSTs refused)\n", rows, bytes, refused);
    assert_true(rows < 150);
}

static void test_delete_scoped_to_collection(void **state)
{
    char body[1400];

    (void)state;
    envelope1(body, sizeof body, ID(01), "scoped.example");
    assert_int_equal(taxii("POST", "/taxii2/api/collections/regional/objects/", K_AL, body), 202);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "' AND comm = 2 AND wd_keep IS NULL"), 1);
    /* not in national: DELETE from national is 404, and the object stays */
    assert_int_equal(taxii("DELETE", "/taxii2/api/collections/national/objects/" ID(01) "/", K_AL, NULL), 404);
    assert_int_equal(h_db_count(&node, "stix_id = '" ID(01) "' AND wd_keep IS NULL"), 1);
}

static void test_delete_malformed_version_is_400(void **state)
{
    char body[1400];

    (void)state;
    envelope1(body, sizeof body, ID(02), "malformed.example");
    assert_int_equal(taxii("POST", "/taxii2/api/collections/national/objects/", K_AL, body), 202);
    assert_int_equal(
        taxii("DELETE", "/taxii2/api/collections/national/objects/" ID(02) "/?match[version]=garbage", K_AL, NULL),
        400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_rows_bounded_per_user),
        cmocka_unit_test(test_delete_scoped_to_collection),
        cmocka_unit_test(test_delete_malformed_version_is_400),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
