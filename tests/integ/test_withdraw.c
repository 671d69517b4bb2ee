/* tests/integ/test_withdraw.c - withdrawal (docs/model.md R7) against a real
 * `mreza serve` and the real CLI, beside the model's matrix (test_model_matrix.c,
 * which holds the reads after a withdrawal to the oracle):
 *   - who may, and the refusals: nobody 401, a viewer 403 on the headers, another
 *     organisation 404 (not its object), an unknown id the same 404, a version that
 *     does not exist and one hidden from the requester the same 400, a reporter only
 *     what it submitted, TLP:RED only its submitter, malformed bodies 400;
 *   - the tombstone: one per version, with its marking, read by those who could read
 *     the version and by nobody else, naming who keeps it and never the reason; the
 *     record (who, when, why) read by the owner organisation alone;
 *   - withdrawal only narrows; the same withdrawal again changes nothing; restore by
 *     an admin only (a reporter's key used to withdraw everything costs nothing for
 *     good), a new tombstone version saying so;
 *   - the engine: a withdrawn version stops matching and correlating for those who
 *     no longer read it, an older version retired by it comes back, on the node and in
 *     `mreza match` from the snapshot;
 *   - added_after: a poller sees the tombstone;
 *   - the CLI: mreza withdraw, --show, --restore;
 *   - ids the node maintains (R8: an organisation's identity, a TLP marking
 *     definition) are refused 400, to the organisation's analyst and admin alike;
 *   - every tombstone the node wrote (kept, passed on, given up by everyone,
 *     restored) passes the node's own STIX validation (the third attack's A9: a
 *     full withdrawal wrote "x_mreza_keep_refs": [], which STIX 2.1 forbids, so
 *     peers refused it and strict TAXII clients choked on its page).
 * Each failed on the code before withdrawal existed (no endpoint: 405; no command). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "rules/stix.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct hnode node;
enum { K_AL_ADMIN, K_AL, K_AL2, K_AL_REP, K_AL_VIEW, K_ME, K_RS, K_NODE, N_KEYS };
static char keys[N_KEYS][64];
static char al_org[64], me_org[64], rs_org[64], al_user[64];

static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

static long req(const char *method, const char *path, const char *key, const char *body)
{
    drop();
    h_http(&node, method, path, key, body, body ? strlen(body) : 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

#define ID(n) "indicator--5e1d0a11-0000-4000-8000-0000000000" #n

/* Post an indicator of id with `modified` 2025-01-<day>, a marking (NULL: none) and
 * recipients (an identity, or NULL), observing value. */
static long post(int k, const char *id, int day, const char *marking, const char *to, const char *value)
{
    char body[1400], extra[400] = "";
    size_t n = 0;

    if (marking)
        n += (size_t)snprintf(extra + n, sizeof extra - n, ",\"object_marking_refs\":[\"%s\"]", marking);
    if (to)
        snprintf(extra + n, sizeof extra - n, ",\"x_mreza_recipient_refs\":[\"%s\"]", to);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-%02dT00:00:00.000Z\",\"name\":\"w\",\"pattern\":\"[domain-name:value = '%s']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\"%s}",
             id, day, value, extra);
    return req("POST", "/api/v1/objects", keys[k], body);
}

static long withdraw(int k, const char *id, const char *body)
{
    char path[160];

    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    return req("POST", path, k >= 0 ? keys[k] : NULL, body);
}

static long get(int k, const char *id)
{
    char path[160];

    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    return req("GET", path, k >= 0 ? keys[k] : NULL, NULL);
}

static const char *error_message(void)
{
    return json_string_value(json_object_get(json_object_get(last_json, "error"), "message"));
}

static const char *error_field(void)
{
    return json_string_value(json_object_get(json_object_get(last_json, "error"), "field"));
}

/* Does POST /api/v1/match of value as k hit indicator id? */
static int hits(int k, const char *value, const char *id)
{
    char body[256];

    snprintf(body, sizeof body, "{\"values\":[\"%s\"]}", value);
    assert_int_equal(req("POST", "/api/v1/match", keys[k], body), 200);
    return strstr(last.body, id) != NULL;
}

static int correlates(int k, const char *value, const char *id)
{
    char path[200];

    snprintf(path, sizeof path, "/api/v1/correlations?value=%s", value);
    assert_int_equal(req("GET", path, keys[k], NULL), 200);
    return strstr(last.body, id) != NULL;
}

/* The tombstones k reads that name id, as a parsed list (borrowed from last_json). */
static json_t *tombstones(int k, const char *id)
{
    static json_t *found;
    json_t *o;
    size_t i;

    json_decref(found);
    found = json_array();
    assert_int_equal(req("GET", "/api/v1/objects?type=x-mreza-withdrawal&version=all&limit=1000", k >= 0 ? keys[k] : NULL,
                         NULL),
                     200);
    json_array_foreach(json_object_get(last_json, "objects"), i, o)
        if (!strcmp(json_string_value(json_object_get(o, "object_ref")), id))
            json_array_append(found, o);
    return found;
}

static int setup(void **state)
{
    const char *const sets[] = {"api.public_read=true", "campaign.min_countries=50", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "admin@al-cert", "al-cert", "admin", keys[K_AL_ADMIN]);
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst2@al-cert", "al-cert", "analyst", keys[K_AL2]);
    h_add_user(&node, "reporter@al-cert", "al-cert", "reporter", keys[K_AL_REP]);
    h_add_user(&node, "viewer@al-cert", "al-cert", "viewer", keys[K_AL_VIEW]);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", keys[K_RS]);
    h_add_user(&node, "node-admin@rs-cert", "rs-cert", "node-admin", keys[K_NODE]);
    h_identity(&node, "org", "al-cert", al_org);
    h_identity(&node, "org", "me-cirt", me_org);
    h_identity(&node, "org", "rs-cert", rs_org);
    h_identity(&node, "user", "analyst@al-cert", al_user);
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

/* R7.1, R7.2 and the API's refusals. */
static void test_refusals(void **state)
{
    char body[300], unknown_msg[400], hidden_msg[400];

    (void)state;
    assert_int_equal(post(K_AL, ID(01), 2, GREEN, NULL, "r1.example"), 201);
    assert_int_equal(post(K_AL, ID(01), 3, GREEN, NULL, "r1.example"), 201);
    /* a colleague's RED version joins the organisation's object; analyst@al-cert may
     * not read it */
    assert_int_equal(post(K_AL2, ID(01), 4, RED, NULL, "r1.example"), 201);
    /* nobody, a viewer: refused on the headers */
    assert_int_equal(withdraw(-1, ID(01), "{}"), 401);
    assert_int_equal(withdraw(K_AL_VIEW, ID(01), "{}"), 403);
    /* another organisation reads it, but it is not its object: as unknown */
    assert_int_equal(withdraw(K_ME, ID(01), "{}"), 404);
    assert_int_equal(withdraw(K_AL, ID(99), "{}"), 404);
    /* a version that does not exist, and one hidden from the requester: one answer */
    assert_int_equal(withdraw(K_AL, ID(01), "{\"versions\":[\"2025-01-09T00:00:00.000Z\"]}"), 400);
    assert_string_equal(error_field(), "/versions/0");
    snprintf(unknown_msg, sizeof unknown_msg, "%s", error_message());
    assert_int_equal(withdraw(K_AL, ID(01), "{\"versions\":[\"2025-01-04T00:00:00.000Z\"]}"), 400);
    assert_string_equal(error_field(), "/versions/0");
    snprintf(hidden_msg, sizeof hidden_msg, "%s", error_message());
    assert_non_null(strstr(unknown_msg, "2025-01-09"));
    *strstr(unknown_msg, "2025-01-09") = '\0';
    *strstr(hidden_msg, "2025-01-04") = '\0';
    assert_string_equal(unknown_msg, hidden_msg);
    /* a reporter withdraws only what it submitted */
    assert_int_equal(withdraw(K_AL_REP, ID(01), "{\"versions\":[\"2025-01-02T00:00:00.000Z\"]}"), 403);
    assert_non_null(strstr(error_message(), "reporter"));
    /* TLP:RED only by its submitter, even when addressed to the requester */
    assert_int_equal(post(K_AL2, ID(02), 2, RED, al_user, "r2.example"), 201);
    assert_int_equal(get(K_AL, ID(02)), 200);
    assert_int_equal(withdraw(K_AL, ID(02), "{}"), 403);
    assert_non_null(strstr(error_message(), "TLP:RED"));
    /* malformed requests */
    assert_int_equal(withdraw(K_AL, ID(01), "{\"versions\":5}"), 400);
    assert_string_equal(error_field(), "/versions");
    assert_int_equal(withdraw(K_AL, ID(01), "{\"versions\":[]}"), 400);
    assert_int_equal(withdraw(K_AL, ID(01), "{\"versions\":[\"yesterday\"]}"), 400);
    assert_string_equal(error_field(), "/versions/0");
    assert_int_equal(withdraw(K_AL, ID(01), "{\"to\":[\"me-cirt\"]}"), 400);
    assert_string_equal(error_field(), "/to/0");
    assert_int_equal(withdraw(K_AL, ID(01), "{\"reason\":\"a\\nb\"}"), 400);
    assert_int_equal(withdraw(K_AL, ID(01), "{\"version\":\"all\"}"), 400);
    assert_int_equal(withdraw(K_AL, ID(01), "{\"owner_keeps\":\"no\"}"), 400);
    assert_int_equal(withdraw(K_AL, ID(01), "{\"restore\":true,\"to\":[\"identity--0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3\"]}"),
                     403); /* an analyst restores nothing (before the body's form) */
    snprintf(body, sizeof body, "{\"versions\":\"all\"}");
    assert_int_equal(withdraw(K_AL, "x-mreza-withdrawal--5e1d0a11-0000-4000-8000-000000000001", body), 400);
    /* nothing was withdrawn by any of these */
    assert_int_equal(h_db_count(&node, "wd_tomb IS NOT NULL"), 0);
    assert_int_equal(get(K_RS, ID(01)), 200);
}

/* R8 (re-attack L3): an organisation's own identity object, written by the node from
 * its directory, is refused with 400 to its analyst and its admin (API and CLI), and
 * stays served to everyone; so is a TLP marking definition. Failed before: the
 * analyst's withdrawal succeeded and the identity was 404 to every other reader. */
static void test_reserved_ids(void **state)
{
    char *out = NULL, *errs = NULL;

    (void)state;
    assert_int_equal(get(K_RS, al_org), 200);
    assert_int_equal(withdraw(K_AL, al_org, "{\"versions\":\"all\",\"owner_keeps\":false}"), 400);
    assert_string_equal(error_field(), "id");
    assert_non_null(strstr(error_message(), "maintained by the node"));
    assert_int_equal(withdraw(K_AL_ADMIN, al_org, "{}"), 400);
    assert_non_null(strstr(error_message(), "identity of a member organisation"));
    assert_int_equal(withdraw(K_AL, GREEN, "{}"), 400);
    assert_non_null(strstr(error_message(), "TLP:GREEN"));
    {
        const char *const argv[] = {"withdraw", al_org, "--user", "analyst@al-cert", NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 1);
    }
    assert_non_null(strstr(errs, "maintained by the node"));
    free(out);
    free(errs);
    assert_int_equal(get(K_RS, al_org), 200);
    assert_int_equal(get(K_ME, al_org), 200);
    assert_int_equal(get(K_AL, al_org), 200);
}

/* R7.3, R7.4: the version is read only by the owner and `to`; its tombstone by every
 * reader of the version, never with the reason; the record by the owner alone. */
static void test_tombstone_and_record(void **state)
{
    char body[300], path[200], tomb[96];
    json_t *ts, *t, *keep;

    (void)state;
    assert_int_equal(post(K_AL, ID(10), 2, GREEN, NULL, "t10.example"), 201);
    assert_int_equal(get(K_RS, ID(10)), 200);
    snprintf(body, sizeof body, "{\"versions\":\"all\",\"to\":[\"%s\"],\"reason\":\"sent to the wrong list\"}", me_org);
    assert_int_equal(withdraw(K_AL, ID(10), body), 200);
    t = json_array_get(json_object_get(last_json, "withdrawn"), 0);
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "version")), "2025-01-02T00:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(t, "tlp")), "green");
    snprintf(tomb, sizeof tomb, "%s", json_string_value(json_object_get(t, "tombstone")));
    assert_int_equal(strncmp(tomb, "x-mreza-withdrawal--", 20), 0);
    assert_int_equal(json_array_size(json_object_get(t, "keep")), 2);
    assert_string_equal(json_string_value(json_object_get(last_json, "by")), "analyst@al-cert");
    /* who reads it now */
    assert_int_equal(get(K_RS, ID(10)), 404);
    assert_int_equal(get(K_ME, ID(10)), 200);
    assert_int_equal(get(K_AL_VIEW, ID(10)), 200);
    assert_int_equal(get(K_AL_REP, ID(10)), 200);
    /* the tombstone: every reader of the version, under its marking */
    ts = tombstones(K_RS, ID(10));
    assert_int_equal(json_array_size(ts), 1);
    t = json_array_get(ts, 0);
    assert_string_equal(json_string_value(json_object_get(t, "id")), tomb);
    assert_string_equal(json_string_value(json_object_get(t, "version")), "2025-01-02T00:00:00.000Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "object_marking_refs"), 0)), GREEN);
    keep = json_object_get(t, "x_mreza_keep_refs");
    assert_int_equal(json_array_size(keep), 2);
    assert_string_equal(json_string_value(json_array_get(keep, 0)), al_org);
    assert_string_equal(json_string_value(json_array_get(keep, 1)), me_org);
    assert_null(strstr(last.body, "wrong list"));
    assert_int_equal(json_array_size(tombstones(-1, ID(10))), 0); /* GREEN: not the public */
    assert_int_equal(get(K_RS, tomb), 200);
    assert_non_null(strstr(last.headers, "X-Mreza-TLP: TLP:GREEN\r\n"));
    /* no member posts a tombstone */
    snprintf(body, sizeof body,
             "{\"type\":\"x-mreza-withdrawal\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00Z\","
             "\"modified\":\"2025-01-05T00:00:00Z\",\"object_ref\":\"%s\"}",
             tomb, ID(10));
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_AL], body), 400);
    /* the record: the owner organisation alone, with the reason */
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdrawals", ID(10));
    assert_int_equal(req("GET", path, keys[K_AL_VIEW], NULL), 200);
    t = json_array_get(json_object_get(last_json, "withdrawals"), 0);
    assert_string_equal(json_string_value(json_object_get(t, "reason")), "sent to the wrong list");
    assert_string_equal(json_string_value(json_object_get(t, "by")), "analyst@al-cert");
    assert_true(json_is_true(json_object_get(t, "withdrawn")));
    assert_int_equal(req("GET", path, keys[K_ME], NULL), 404);
    assert_int_equal(req("GET", path, keys[K_RS], NULL), 404);
    assert_int_equal(req("GET", path, NULL, NULL), 401);
}

/* R7.3: withdrawal only narrows; the same withdrawal again changes nothing. */
static void test_only_narrows(void **state)
{
    char body[300];
    json_t *ts, *keep;

    (void)state;
    assert_int_equal(post(K_AL, ID(20), 2, GREEN, NULL, "n20.example"), 201);
    snprintf(body, sizeof body, "{\"to\":[\"%s\"]}", me_org);
    assert_int_equal(withdraw(K_AL, ID(20), body), 200);
    assert_int_equal(get(K_ME, ID(20)), 200);
    /* again, naming rs-cert instead: me-cirt loses it, rs-cert does not gain it */
    snprintf(body, sizeof body, "{\"to\":[\"%s\"]}", rs_org);
    assert_int_equal(withdraw(K_AL, ID(20), body), 200);
    assert_int_equal(get(K_ME, ID(20)), 404);
    assert_int_equal(get(K_RS, ID(20)), 404);
    assert_int_equal(get(K_AL, ID(20)), 200);
    ts = tombstones(K_AL, ID(20));
    assert_int_equal(json_array_size(ts), 2); /* two versions of one tombstone */
    assert_string_equal(json_string_value(json_object_get(json_array_get(ts, 0), "id")),
                        json_string_value(json_object_get(json_array_get(ts, 1), "id")));
    keep = json_object_get(json_array_get(ts, 1), "x_mreza_keep_refs");
    assert_int_equal(json_array_size(keep), 1);
    assert_string_equal(json_string_value(json_array_get(keep, 0)), al_org);
    /* the same again: unchanged, no tombstone version */
    assert_int_equal(withdraw(K_AL, ID(20), "{}"), 200);
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(last_json, "withdrawn"), 0), "unchanged")));
    assert_int_equal(json_array_size(tombstones(K_AL, ID(20))), 2);
    /* the tombstone's readers: the version's (me-cirt still learns of it) */
    assert_int_equal(json_array_size(tombstones(K_ME, ID(20))), 2);
}

/* R7.5: a reporter (or a stolen reporter key) withdraws what it submitted from
 * everyone, its organisation too; only an admin restores it, and the tombstone says
 * so. */
static void test_restore(void **state)
{
    json_t *ts, *last_t;

    (void)state;
    assert_int_equal(post(K_AL_REP, ID(30), 2, GREEN, NULL, "s30.example"), 201);
    assert_int_equal(withdraw(K_AL_REP, ID(30), "{\"owner_keeps\":false,\"reason\":\"oops\"}"), 200);
    assert_int_equal(get(K_AL_REP, ID(30)), 404);
    assert_int_equal(get(K_AL_ADMIN, ID(30)), 404);
    assert_int_equal(get(K_RS, ID(30)), 404);
    /* nobody may withdraw it further: nobody reads it */
    assert_int_equal(withdraw(K_AL_REP, ID(30), "{}"), 404);
    /* restore: not a reporter's, nor an analyst's */
    assert_int_equal(withdraw(K_AL_REP, ID(30), "{\"restore\":true}"), 403);
    assert_int_equal(withdraw(K_AL, ID(30), "{\"restore\":true}"), 403);
    assert_int_equal(withdraw(K_ME, ID(30), "{\"restore\":true}"), 403); /* an analyst anyway */
    assert_int_equal(withdraw(K_AL_ADMIN, ID(30), "{\"restore\":true}"), 200);
    assert_non_null(json_object_get(last_json, "restored"));
    assert_int_equal(get(K_RS, ID(30)), 200);
    assert_int_equal(get(K_AL_REP, ID(30)), 200);
    ts = tombstones(K_RS, ID(30));
    assert_int_equal(json_array_size(ts), 2);
    last_t = json_array_get(ts, 1);
    assert_true(json_is_true(json_object_get(last_t, "x_mreza_restored")));
    assert_null(json_object_get(last_t, "x_mreza_keep_refs"));
    /* nothing left to restore */
    assert_int_equal(withdraw(K_AL_ADMIN, ID(30), "{\"restore\":true}"), 400);
}

/* The engine: a withdrawn version stops matching and correlating for whoever no
 * longer reads it, and the older version it had retired comes back for them; the
 * owner keeps matching its newest. The same in `mreza match`, from the snapshot. */
static void test_engine(void **state)
{
    char *out = NULL, *errs = NULL, logpath[300];
    FILE *f;

    (void)state;
    assert_int_equal(post(K_AL, ID(40), 2, GREEN, NULL, "e40a.example"), 201);
    assert_int_equal(post(K_AL, ID(40), 3, GREEN, NULL, "e40b.example"), 201);
    assert_int_equal(post(K_AL, ID(41), 2, GREEN, NULL, "e41.example"), 201);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_true(hits(K_RS, "e40b.example", ID(40)));
    assert_false(hits(K_RS, "e40a.example", ID(40))); /* retired by the newer */
    assert_true(hits(K_RS, "e41.example", ID(41)));
    assert_true(correlates(K_RS, "e41.example", ID(41)));
    assert_int_equal(withdraw(K_AL, ID(40), "{\"versions\":[\"2025-01-03T00:00:00.000Z\"]}"), 200);
    assert_int_equal(withdraw(K_AL, ID(41), "{}"), 200);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_false(hits(K_RS, "e40b.example", ID(40)));
    assert_true(hits(K_RS, "e40a.example", ID(40))); /* served again: v1 */
    assert_true(correlates(K_RS, "e40a.example", ID(40)));
    assert_false(correlates(K_RS, "e40b.example", ID(40)));
    assert_false(hits(K_RS, "e41.example", ID(41)));
    assert_false(correlates(K_RS, "e41.example", ID(41)));
    assert_true(hits(K_AL, "e40b.example", ID(40)));
    assert_false(hits(K_AL, "e40a.example", ID(40)));
    assert_true(hits(K_AL2, "e41.example", ID(41)));
    /* mreza match maps the snapshot the node writes at shutdown */
    drop();
    assert_int_equal(h_stop(&node), 0);
    snprintf(logpath, sizeof logpath, "%s/w.log", node.dir);
    f = fopen(logpath, "w");
    assert_non_null(f);
    fputs("e40a.example\ne40b.example\ne41.example\n", f);
    fclose(f);
    {
        const char *const argv[] = {"match", "--as", "rs-cert", logpath, NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 0);
    }
    assert_non_null(strstr(errs, "index snapshot"));
    assert_non_null(strstr(out, "\"value\":\"e40a.example\""));
    assert_null(strstr(out, "\"value\":\"e40b.example\""));
    assert_null(strstr(out, "\"value\":\"e41.example\""));
    free(out);
    free(errs);
    {
        const char *const argv[] = {"match", "--as", "al-cert", logpath, NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 0);
    }
    assert_null(strstr(out, "\"value\":\"e40a.example\""));
    assert_non_null(strstr(out, "\"value\":\"e40b.example\""));
    assert_non_null(strstr(out, "\"value\":\"e41.example\""));
    free(out);
    free(errs);
    h_start(&node, (const char *const[]){"api.public_read=true", "campaign.min_countries=50", NULL});
}

/* R6.4: an added_after poller learns of a withdrawal from the tombstone, stamped when
 * it was written. */
static void test_added_after(void **state)
{
    char path[300], since[40];
    struct timespec now;
    struct tm tm;

    (void)state;
    assert_int_equal(post(K_AL, ID(50), 2, GREEN, NULL, "a50.example"), 201);
    assert_int_equal(post(K_AL, ID(50), 3, GREEN, NULL, "a50.example"), 201);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(since + strlen(since), sizeof since - strlen(since), ".%06ldZ", now.tv_nsec / 1000);
    assert_int_equal(withdraw(K_AL, ID(50), "{\"versions\":[\"2025-01-03T00:00:00.000Z\"]}"), 200);
    snprintf(path, sizeof path, "/api/v1/objects?added_after=%s", since);
    assert_int_equal(req("GET", path, keys[K_RS], NULL), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "objects")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "objects"), 0),
                                                          "object_ref")),
                        ID(50));
    /* the version it falls back to is served (GET), with the date_added it had */
    assert_int_equal(get(K_RS, ID(50)), 200);
    assert_non_null(strstr(last.body, "2025-01-02T00:00:00.000Z"));
}

/* The CLI: withdraw, --show, --restore, and its refusals. */
static void test_cli(void **state)
{
    char *out = NULL, *errs = NULL;

    (void)state;
    assert_int_equal(post(K_AL, ID(60), 2, GREEN, NULL, "c60.example"), 201);
    assert_int_equal(post(K_AL, ID(60), 3, GREEN, NULL, "c60.example"), 201);
    {
        const char *const argv[] = {"withdraw", ID(60), "--user", "analyst@al-cert", "--version",
                                    "2025-01-03T00:00:00.000Z", "--to", me_org, "--reason", "wrong list", NULL};
        assert_int_equal(h_cli(&node, &out, argv), 0);
    }
    assert_non_null(strstr(out, "withdrew version 2025-01-03T00:00:00.000Z of " ID(60) " (TLP:GREEN): kept by "));
    assert_non_null(strstr(out, me_org));
    free(out);
    assert_int_equal(get(K_RS, ID(60)), 200);
    assert_non_null(strstr(last.body, "2025-01-02T00:00:00.000Z"));
    {
        const char *const argv[] = {"withdraw", ID(60), "--user", "viewer@al-cert", "--show", NULL};
        assert_int_equal(h_cli(&node, &out, argv), 0);
    }
    assert_non_null(strstr(out, "2025-01-03T00:00:00.000Z x-mreza-withdrawal--"));
    assert_non_null(strstr(out, "withdrawn by analyst@al-cert"));
    assert_non_null(strstr(out, "reason: wrong list"));
    free(out);
    {
        const char *const argv[] = {"withdraw", ID(60), "--user", "analyst@al-cert", "--version",
                                    "2025-01-07T00:00:00.000Z", NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 1);
    }
    assert_non_null(strstr(errs, "no version 2025-01-07T00:00:00.000Z"));
    free(out);
    free(errs);
    {
        const char *const argv[] = {"withdraw", ID(60), "--user", "analyst@al-cert", "--restore", "--show", NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 2);
    }
    free(out);
    free(errs);
    {
        const char *const argv[] = {"withdraw", ID(60), "--user", "admin@al-cert", "--restore", NULL};
        assert_int_equal(h_cli(&node, &out, argv), 0);
    }
    assert_non_null(strstr(out, "restored version 2025-01-03T00:00:00.000Z"));
    free(out);
    assert_int_equal(get(K_RS, ID(60)), 200);
    assert_non_null(strstr(last.body, "2025-01-03T00:00:00.000Z"));
}

/* A9: every tombstone the node wrote - after the tests above (a withdrawal kept by
 * the owner, one to another organisation, the reporter's withdrawal from everyone
 * and its restore, the CLI's) and a full withdrawal of an AMBER version here - is a
 * valid STIX object by the node's own rules (rules/stix.c: what a receiving peer
 * asks of it); a withdrawal nobody keeps names nobody: no list at all. */
static void test_every_tombstone_valid(void **state)
{
    char path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int n = 0, bad = 0, nobody = 0;

    (void)state;
    assert_int_equal(post(K_AL, ID(70), 2, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", me_org,
                          "t70.example"),
                     201);
    assert_int_equal(withdraw(K_AL, ID(70), "{\"versions\":\"all\",\"owner_keeps\":false}"), 200);
    assert_int_equal(get(K_ME, ID(70)), 404);
    snprintf(path, sizeof path, "%s/mreza.db", node.dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT body FROM objects WHERE type = 'x-mreza-withdrawal'", -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(s, 0);
        json_t *o = body ? json_loads(body, 0, NULL) : NULL;
        struct stix_info info;
        struct mz_error err;
        memset(&info, 0, sizeof info);
        memset(&err, 0, sizeof err);
        n++;
        if (!o || stix_validate(o, &info, &err) != MZ_OK) {
            bad++;
            fprintf(stderr, "invalid tombstone (%s: %s): %.300s\n", err.field, err.msg, body ? body : "");
        }
        if (o && !json_object_get(o, "x_mreza_keep_refs") && !json_object_get(o, "x_mreza_restored"))
            nobody++;
        stix_info_clear(&info);
        json_decref(o);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_true(n >= 8);
    assert_true(nobody >= 2); /* test_restore's, and ID(70)'s */
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tombstone_and_record),
        cmocka_unit_test(test_only_narrows),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_engine),
        cmocka_unit_test(test_added_after),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_reserved_ids),
        cmocka_unit_test(test_every_tombstone_valid),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
