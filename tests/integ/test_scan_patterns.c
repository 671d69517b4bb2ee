/* tests/integ/test_scan_patterns.c - scan patterns (indicators evaluated on every
 * value: no =, IN or ISSUBSET term the index can look up) cost and reveal nothing to
 * the organisations that may not see them, through a real node and the CLI. The
 * review found: one invisible scan pattern switched `mreza match`'s prefilter off for
 * everyone, and a catch-all CLEAR one (MATCHES '\.') collected a sighting of every
 * organisation's `match --report` runs. Now:
 *   - the prefilter is decided per principal: an AMBER scan pattern of al-cert turns
 *     it off for al-cert's analyst only; me-cirt's run keeps it (and finds the same
 *     hits as without it);
 *   - a sighting of a scan pattern's hit stays with the reporter's organisation: the
 *     catch-all's author sees none of me-cirt's sightings of it, while the sighting of
 *     its exact indicator is addressed to it as before;
 *   - a submitter keeps at most 64 live scan indicators in its organisation: the
 *     65th is refused (409, the whole bundle), a new version of one costs nothing, a
 *     revoked one frees its place, and another organisation is not affected;
 *   - counted among the poster's own versions only (a re-attack found that the 409
 *     counted a colleague's RED scan indicators addressed to someone else, so that
 *     it told of versions the poster may not read, docs/model.md R5): a colleague's
 *     64 hidden ones change nothing of the poster's replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define ID(tail) "indicator--7c7c7c7c-0000-4000-8000-" tail

static struct hnode node;
static char al_key[64], me_key[64], mk_key[64], rs_key[64], rs_red_key[64];

static char *indicator_json(const char *id, const char *modified, const char *pattern, const char *marking,
                            const char *extra)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"%s\","
                 "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
                 "\"object_marking_refs\":[\"%s\"]%s}",
                 id, modified, pattern, marking, extra ? extra : "") < 0)
        abort();
    return s;
}

static long post(const char *key, const char *body, struct hresp *r)
{
    return h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), r);
}

static void post_ok(const char *key, const char *id, const char *pattern, const char *marking)
{
    char *b = indicator_json(id, "2025-01-01T00:00:00.000Z", pattern, marking, NULL);
    struct hresp r;

    if (post(key, b, &r) != 201)
        fail_msg("POST %s: %ld %s", pattern, r.status, r.body);
    hresp_free(&r);
    free(b);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "mk-cirt", "MK", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", al_key);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", me_key);
    h_add_user(&node, "analyst@mk-cirt", "mk-cirt", "analyst", mk_key);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", rs_key);
    h_add_user(&node, "colleague@rs-cert", "rs-cert", "analyst", rs_red_key);
    h_start(&node, NULL);
    post_ok(al_key, ID("000000000001"), "[domain-name:value = 'evil.example']", GREEN);
    post_ok(al_key, ID("000000000002"), "[domain-name:value LIKE '%.scan.example']", AMBER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

static void test_prefilter_per_principal(void **state)
{
    char log[400], *out = NULL, *err = NULL, *out_nopf = NULL;
    const char *const as_me[] = {"match", "--as-user", "analyst@me-cirt", "--format", "json", log, NULL};
    const char *const as_me_nopf[] = {"match", "--as-user", "analyst@me-cirt", "--format", "json",
                                      "--no-prefilter", log, NULL};
    const char *const as_al[] = {"match", "--as-user", "analyst@al-cert", "--format", "json", log, NULL};

    (void)state;
    snprintf(log, sizeof log, "%s/dns.jsonl", node.dir);
    write_file(log, "{\"q\":\"a.evil.example\"}\n{\"q\":\"benign.example\"}\n{\"q\":\"x.scan.example\"}\n");
    /* me-cirt may not see al-cert's AMBER scan pattern: its run keeps the prefilter */
    assert_int_equal(h_cli_err(&node, &out, &err, as_me), 0);
    if (!strstr(err, "; prefilter: 1 lines matched in full"))
        fail_msg("me-cirt's summary: %s", err);
    assert_int_equal(h_count(out, "\"line\":1,"), 1);
    assert_int_equal(h_count(out, "\"line\":3,"), 0);
    free(err);
    err = NULL;
    assert_int_equal(h_cli_err(&node, &out_nopf, &err, as_me_nopf), 0);
    assert_string_equal(out, out_nopf); /* the same hits as without it */
    free(out);
    free(out_nopf);
    free(err);
    out = err = NULL;
    /* al-cert sees its own: off for its run, and its scan pattern reports */
    assert_int_equal(h_cli_err(&node, &out, &err, as_al), 0);
    if (!strstr(err, "; prefilter off (a pattern is evaluated on every value)"))
        fail_msg("al-cert's summary: %s", err);
    assert_int_equal(h_count(out, "\"line\":1,"), 1);
    assert_int_equal(h_count(out, "\"line\":3,\"field\":\"q\",\"value\":\"x.scan.example\""), 1);
    free(out);
    free(err);
}

/* The sightings p may list: how many are of indicator id. */
static int sightings_of(const char *key, const char *id)
{
    struct hresp r;
    json_t *v, *o;
    size_t i;
    int n = 0;

    assert_int_equal(h_http(&node, "GET", "/api/v1/objects?type=sighting&limit=1000", key, NULL, 0, &r), 200);
    v = json_loads(r.body, 0, NULL);
    assert_non_null(v);
    json_array_foreach(json_object_get(v, "objects"), i, o)
        n += !strcmp(json_string_value(json_object_get(o, "sighting_of_ref")), id);
    json_decref(v);
    hresp_free(&r);
    return n;
}

static void test_scan_sightings_tell_author_nothing(void **state)
{
    char log[400], *out = NULL;
    const char *const report[] = {"match", "--as-user", "analyst@me-cirt", "--format", "json", "--report",
                                  log, NULL};

    (void)state;
    post_ok(al_key, ID("000000000003"), "[domain-name:value MATCHES '\\\\\\\\.']", CLEAR);
    snprintf(log, sizeof log, "%s/mine.jsonl", node.dir);
    write_file(log, "{\"q\":\"a.evil.example\"}\n{\"q\":\"intranet.me-cirt.example\"}\n");
    assert_int_equal(h_cli(&node, &out, report), 0);
    assert_int_equal(h_count(out, ID("000000000003")), 2); /* the catch-all met both lines */
    free(out);
    /* me-cirt has a sighting of each */
    assert_int_equal(sightings_of(me_key, ID("000000000001")), 1);
    assert_int_equal(sightings_of(me_key, ID("000000000003")), 1);
    /* the author of the exact indicator is told; of the catch-all, nothing */
    assert_int_equal(sightings_of(al_key, ID("000000000001")), 1);
    assert_int_equal(sightings_of(al_key, ID("000000000003")), 0);
    /* nor anyone else */
    assert_int_equal(sightings_of(mk_key, ID("000000000003")), 0);
}

/* n scan indicators, ids and patterns numbered from `from` in the id group `group`
 * (four hex digits), marked marking. */
static char *scan_bundle_in(const char *group, int from, int n, const char *marking, const char *revoked_extra)
{
    size_t cap = 256 + (size_t)n * 600;
    char *b = malloc(cap);

    assert_non_null(b);
    strcpy(b, "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\",\"objects\":[");
    for (int i = 0; i < n; i++) {
        char id[80], pattern[120], *o;
        snprintf(id, sizeof id, "indicator--7c7c7c7c-%s-4000-8000-%012d", group, from + i);
        snprintf(pattern, sizeof pattern, "[domain-name:value LIKE '%%.q%d.example']", from + i);
        o = indicator_json(id, "2025-01-01T00:00:00.000Z", pattern, marking, revoked_extra);
        if (i)
            strcat(b, ",");
        strcat(b, o);
        free(o);
    }
    strcat(b, "]}");
    return b;
}

static char *scan_bundle(int from, int n, const char *revoked_extra)
{
    return scan_bundle_in("1111", from, n, GREEN, revoked_extra);
}

static void test_scan_quota(void **state)
{
    char *b;
    struct hresp r;
    long long before;

    (void)state;
    /* 65 in one bundle: refused, nothing stored */
    before = h_db_count(&node, NULL);
    b = scan_bundle(0, 65, NULL);
    assert_int_equal(post(mk_key, b, &r), 409);
    assert_non_null(strstr(r.body, "you already have 64 live indicators evaluated on every value"));
    assert_non_null(strstr(r.body, "\"field\":\"/objects/64/pattern\""));
    hresp_free(&r);
    free(b);
    assert_int_equal(h_db_count(&node, NULL), before);
    /* 64: fine; one more: refused */
    b = scan_bundle(0, 64, NULL);
    assert_int_equal(post(mk_key, b, &r), 201);
    hresp_free(&r);
    free(b);
    b = scan_bundle(64, 1, NULL);
    assert_int_equal(post(mk_key, b, &r), 409);
    hresp_free(&r);
    free(b);
    /* a new version of one of the 64 is no 65th */
    {
        char *v2 = indicator_json("indicator--7c7c7c7c-1111-4000-8000-000000000000", "2025-02-01T00:00:00.000Z",
                                  "[domain-name:value LIKE '%.q0b.example']", GREEN, NULL);
        assert_int_equal(post(mk_key, v2, &r), 201);
        hresp_free(&r);
        free(v2);
    }
    /* an exact indicator is no scan indicator */
    post_ok(mk_key, ID("000000000010"), "[domain-name:value = 'q.example']", GREEN);
    /* revoking one frees its place */
    {
        char *rev = indicator_json("indicator--7c7c7c7c-1111-4000-8000-000000000001", "2025-03-01T00:00:00.000Z",
                                   "[domain-name:value LIKE '%.q1.example']", GREEN, ",\"revoked\":true");
        assert_int_equal(post(mk_key, rev, &r), 201);
        hresp_free(&r);
        free(rev);
    }
    b = scan_bundle(64, 1, NULL);
    assert_int_equal(post(mk_key, b, &r), 201);
    hresp_free(&r);
    free(b);
    /* another organisation is not affected */
    post_ok(me_key, ID("000000000011"), "[domain-name:value LIKE '%.me.example']", GREEN);
    assert_true(h_healthy(&node));
}

/* The reply to a write is the reply it would get if the versions the poster may not
 * read did not exist (docs/model.md R5): a colleague's 64 RED scan indicators (RED
 * with no recipient: only the colleague reads them) change nothing of the poster's
 * replies. On main the poster's first scan indicator was refused with 409, which told
 * it of the colleague's hidden ones. */
static void test_scan_quota_per_submitter(void **state)
{
    char *b;
    struct hresp r;

    (void)state;
    b = scan_bundle_in("2222", 0, 64, RED, NULL);
    assert_int_equal(post(rs_red_key, b, &r), 201);
    hresp_free(&r);
    free(b);
    /* the poster reads none of them */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects/indicator--7c7c7c7c-2222-4000-8000-000000000000", rs_key,
                            NULL, 0, &r),
                     404);
    hresp_free(&r);
    /* its own 64: as in a world without the colleague's; the 65th: 409, as there */
    b = scan_bundle_in("3333", 0, 64, GREEN, NULL);
    if (post(rs_key, b, &r) != 201)
        fail_msg("the poster's own 64: %ld %s", r.status, r.body);
    hresp_free(&r);
    free(b);
    b = scan_bundle_in("3333", 64, 1, GREEN, NULL);
    assert_int_equal(post(rs_key, b, &r), 409);
    assert_non_null(strstr(r.body, "you already have 64 live indicators evaluated on every value"));
    hresp_free(&r);
    free(b);
    /* and the colleague's 65th is refused on its own count alike */
    b = scan_bundle_in("2222", 64, 1, RED, NULL);
    assert_int_equal(post(rs_red_key, b, &r), 409);
    hresp_free(&r);
    free(b);
    assert_true(h_healthy(&node));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefilter_per_principal),
        cmocka_unit_test(test_scan_sightings_tell_author_nothing),
        cmocka_unit_test(test_scan_quota),
        cmocka_unit_test(test_scan_quota_per_submitter),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
