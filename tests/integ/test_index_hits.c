/* tests/integ/test_index_hits.c - what one organisation's indicators that the index
 * answers (exact values, parent domains, CIDR ranges) may reveal to it and cost the
 * others, through a real node and the CLI. The second re-attack of issue 10 found:
 *   F5: catch-all indicators the index answers - ISSUBSET '0.0.0.0/0', a
 *       domain-name 'com' met as the parent of every .com name - collected a
 *       sighting of every organisation's `mreza match --report` runs (sightings are
 *       addressed to the indicator's owner). Now a hit through a range shorter than
 *       match.report_min_prefix4/6 (/16, /32) or a parent that is a public suffix
 *       (libpsl's list, or a single label) is still shown to the analyst and kept as
 *       its organisation's sighting, addressed to no one else; a narrow range, a
 *       registrable parent and an exact hit are told to their owner as before;
 *   F6: index hits had no budget per owner: 20 000 CLEAR 'com' indicators of one
 *       organisation made another's match of 2 000 values take 24 s. Now an
 *       organisation's indicators are reported at most match.hit_budget times per
 *       value and match.hit_request_budget times per request; past that, its further
 *       postings are passed over, the reply's budget_spent names it (as for the
 *       regex budgets) and nobody else's hits are touched. Forced with small limits
 *       (3 per value, 10 per request), never by time.
 * The third re-attack found:
 *   N2: the wide hits got around. A parent above a public suffix is not one
 *       ("amazonaws.com" for my-bucket.s3.amazonaws.com, s3.amazonaws.com being a
 *       suffix), nor were the special-use names ("home.arpa"); and 65 536 /16s, each
 *       narrow, take in every address. Now a parent shorter than the value's
 *       registrable domain, or a special-use name, is wide; and an organisation's
 *       live ranges are judged together: when they take in more than
 *       match.report_max_space4 addresses (512 here, three /23s) or
 *       match.report_max_space6 /64s (default one /48: two /48s), all its range hits
 *       are wide;
 *   N3: the hit budget was the organisation's, so a colleague's 32 indicators under
 *       a more specific key spent it and hid the others' (a RED one it may not read
 *       among them). Now hit budgets are per submitting user, with a larger one for
 *       the organisation's members together (match.hit_org_budget).
 * The fourth re-attack found:
 *   R6: an IPv6 range that embeds IPv4 addresses was judged by its IPv6 width:
 *       NAT64 64:ff9b::/96 takes in every IPv4 address, yet was narrow. Now a range
 *       in NAT64 (64:ff9b::/96, 64:ff9b:1::/48), IPv4-compatible ::/96, Teredo
 *       2001::/32 or 6to4 2002::/16 is judged by the IPv4 range it takes in: the /96,
 *       ::/96, 2001::/32 and 2002::/16 are wide; 64:ff9b::c000:200/120 (a /24) is
 *       not. */
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
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define ID(tail) "indicator--5e5e5e5e-0000-4000-8000-" tail

static struct hnode node;
static char hosp_key[64], me_key[64], al_key[64], mk_key[64], spam_key[64], admin_key[64], hosp2_key[64];
static char spam_ident[64], mk_user_ident[64];

/* POST one indicator of pattern, marked marking, with extra members (or ""). */
static void post_marked(const char *key, const char *id, const char *pattern, const char *marking,
                        const char *extra)
{
    char body[1024];
    struct hresp r;

    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
             "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s}",
             id, pattern, marking, extra);
    if (h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), &r) != 201)
        fail_msg("POST %s: %ld %s", pattern, r.status, r.body);
    if (!strstr(r.body, "\"match\":\"exact\""))
        fail_msg("POST %s: not an exact plan: %s", pattern, r.body);
    hresp_free(&r);
}

static void post_indicator(const char *key, const char *id, const char *pattern)
{
    post_marked(key, id, pattern, CLEAR, "");
}

static int setup(void **state)
{
    const char *const sets[] = {"match.hit_budget=3", "match.hit_request_budget=10", NULL};
    char id[64], extra[200];

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-hospital", "AL", "operator");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "mk-cirt", "MK", "national-csirt");
    h_add_org(&node, "mk-power", "MK", "operator");
    h_add_user(&node, "reporter@al-hospital", "al-hospital", "reporter", hosp_key);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", me_key);
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", al_key);
    h_add_user(&node, "analyst@mk-cirt", "mk-cirt", "analyst", mk_key);
    h_add_user(&node, "reporter@mk-power", "mk-power", "reporter", spam_key);
    h_add_user(&node, "reporter2@al-hospital", "al-hospital", "reporter", hosp2_key);
    h_add_user(&node, "admin@mk-cirt", "mk-cirt", "node-admin", admin_key);
    h_identity(&node, "org", "mk-power", spam_ident);
    h_identity(&node, "user", "analyst@mk-cirt", mk_user_ident);
    h_start(&node, sets);
    /* F5: the hospital's catch-alls, and narrow ones as controls */
    post_indicator(hosp_key, ID("000000000001"), "[ipv4-addr:value ISSUBSET '0.0.0.0/0']");
    post_indicator(hosp_key, ID("000000000002"), "[domain-name:value = 'com']");
    post_indicator(hosp_key, ID("000000000003"), "[domain-name:value = 'github.io']");
    post_indicator(hosp_key, ID("000000000004"), "[ipv4-addr:value ISSUBSET '198.50.0.0/15']");
    post_indicator(hosp_key, ID("000000000005"), "[ipv6-addr:value ISSUBSET '2001:db8::/47']");
    post_indicator(hosp_key, ID("000000000011"), "[ipv4-addr:value ISSUBSET '198.51.0.0/16']");
    post_indicator(hosp_key, ID("000000000012"), "[domain-name:value = 'me-cirt-internal.com']");
    post_indicator(hosp_key, ID("000000000013"), "[ipv6-addr:value ISSUBSET '2001:db8::/48']");
    post_indicator(hosp_key, ID("000000000014"), "[ipv4-addr:value = '192.0.2.44']");
    /* F6: eight 'com' indicators of mk-power, one of al-cert's */
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, ID("0000000001%02d"), i);
        post_indicator(spam_key, id, "[domain-name:value = 'com']");
    }
    post_indicator(al_key, ID("000000000200"), "[domain-name:value = 'evil-corp.com']");
    /* N2: parents above the registrable domain, a special-use name; a control */
    post_indicator(hosp_key, ID("000000000021"), "[domain-name:value = 'amazonaws.com']");
    post_indicator(hosp_key, ID("000000000022"), "[domain-name:value = 'home.arpa']");
    post_indicator(hosp_key, ID("000000000023"), "[domain-name:value = 'evil-bucket.s3.amazonaws.com']");
    /* N2: mk-power's three /23s and two /48s, al-cert's one /23 */
    post_indicator(spam_key, ID("000000000031"), "[ipv4-addr:value ISSUBSET '100.64.0.0/23']");
    post_indicator(spam_key, ID("000000000032"), "[ipv4-addr:value ISSUBSET '100.64.2.0/23']");
    post_indicator(spam_key, ID("000000000033"), "[ipv4-addr:value ISSUBSET '100.64.4.0/23']");
    post_indicator(al_key, ID("000000000034"), "[ipv4-addr:value ISSUBSET '100.65.0.0/23']");
    post_indicator(spam_key, ID("000000000035"), "[ipv6-addr:value ISSUBSET '2001:db8:100::/48']");
    post_indicator(spam_key, ID("000000000036"), "[ipv6-addr:value ISSUBSET '2001:db8:101::/48']");
    /* N3: one member's RED indicator for analyst@mk-cirt, four of a colleague's
     * (who may not read it) under a narrower key */
    snprintf(extra, sizeof extra, ",\"x_mreza_recipient_refs\":[\"%s\"]", mk_user_ident);
    post_marked(hosp_key, ID("000000000041"), "[domain-name:value = 'victim.example']", RED, extra);
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, ID("0000000000%02d"), 42 + i);
        post_indicator(hosp2_key, id, "[domain-name:value = 'a.victim.example']");
    }
    /* R6: mk-cirt's ranges that embed IPv4, four wide and a narrow control */
    post_indicator(mk_key, ID("000000000051"), "[ipv6-addr:value ISSUBSET '64:ff9b::/96']");
    post_indicator(mk_key, ID("000000000052"), "[ipv6-addr:value ISSUBSET '2002::/16']");
    post_indicator(mk_key, ID("000000000053"), "[ipv6-addr:value ISSUBSET '2001::/32']");
    post_indicator(mk_key, ID("000000000054"), "[ipv6-addr:value ISSUBSET '::/96']");
    post_indicator(mk_key, ID("000000000055"), "[ipv6-addr:value ISSUBSET '64:ff9b::c000:200/120']");
    h_wait_indexed(&node, admin_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

/* The sightings the holder of key may list: how many are of indicator id. */
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

/* F5: every hit is the analyst's to see and its organisation's to keep; the owner of
 * a wide one hears of none. */
static void test_wide_sightings_stay_home(void **state)
{
    char log[400], *out = NULL;
    const char *const report[] = {"match", "--as-user", "analyst@me-cirt", "--format", "text", "--report",
                                  log, NULL};
    static const char *const wide[] = {ID("000000000001"), ID("000000000002"), ID("000000000003"),
                                       ID("000000000004"), ID("000000000005")};
    static const char *const narrow[] = {ID("000000000011"), ID("000000000012"), ID("000000000013"),
                                         ID("000000000014")};
    FILE *f;

    (void)state;
    snprintf(log, sizeof log, "%s/me.log", node.dir);
    f = fopen(log, "wb");
    assert_non_null(f);
    fputs("10.1.2.3 GET http://intranet.me-cirt-internal.com/x\n"
          "192.0.2.44 login ok\n"
          "198.51.100.7 sync me-cirt.github.io\n"
          "2001:db8::1 ping\n",
          f);
    fclose(f);
    assert_int_equal(h_cli(&node, &out, report), 0);
    for (size_t i = 0; i < 5; i++)
        if (!strstr(out, wide[i]))
            fail_msg("the analyst does not see the hit of %s: %s", wide[i], out);
    for (size_t i = 0; i < 4; i++)
        if (!strstr(out, narrow[i]))
            fail_msg("the analyst does not see the hit of %s: %s", narrow[i], out);
    free(out);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(sightings_of(me_key, wide[i]), 1);
        if (sightings_of(hosp_key, wide[i]))
            fail_msg("the hospital reads me-cirt's sighting of its catch-all %s", wide[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sightings_of(me_key, narrow[i]), 1);
        if (sightings_of(hosp_key, narrow[i]) != 1)
            fail_msg("the hospital is not told of me-cirt's sighting of %s", narrow[i]);
    }
    /* nobody else reads them */
    assert_int_equal(sightings_of(mk_key, ID("000000000001")), 0);
    assert_int_equal(sightings_of(mk_key, ID("000000000012")), 0);
}

/* POST /api/v1/match of n values "v<i>.evil-corp.com" as mk-cirt. */
static void match_n(int n, struct hresp *r)
{
    char body[4096];
    size_t o = 0;

    o += (size_t)snprintf(body + o, sizeof body - o, "{\"values\":[");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s\"v%d.evil-corp.com\"", i ? "," : "", i);
    o += (size_t)snprintf(body + o, sizeof body - o, "]}");
    assert_true(o < sizeof body);
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", mk_key, body, o, r), 200);
}

/* mk-power's hits (its eight 'com' indicators) in a reply. */
static int spam_hits(const char *body)
{
    char id[64];
    int n = 0;

    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, ID("0000000001%02d"), i);
        n += h_count(body, id);
    }
    return n;
}

/* F6, per value: mk-power's eight are reported three times a value, al-cert's one
 * on every value, and the reply names mk-power. */
static void test_hit_budget_per_value(void **state)
{
    char want[200];
    struct hresp r;

    (void)state;
    match_n(2, &r);
    assert_int_equal(h_count(r.body, ID("000000000200")), 2);
    assert_int_equal(spam_hits(r.body), 6);
    snprintf(want, sizeof want, "\"budget_spent\":[{\"submitted_by\":\"%s\",\"values\":2}]", spam_ident);
    if (!strstr(r.body, want))
        fail_msg("reply: %s", r.body);
    hresp_free(&r);
}

/* F6, per request: 3 + 3 + 3 + 1 of mk-power's hits in five values, then none; every
 * value counted as spent; the next request starts afresh. */
static void test_hit_budget_per_request(void **state)
{
    char want[200];
    struct hresp r;

    (void)state;
    match_n(5, &r);
    assert_int_equal(h_count(r.body, ID("000000000200")), 5);
    assert_int_equal(spam_hits(r.body), 10);
    snprintf(want, sizeof want, "\"budget_spent\":[{\"submitted_by\":\"%s\",\"values\":5}]", spam_ident);
    if (!strstr(r.body, want))
        fail_msg("reply: %s", r.body);
    hresp_free(&r);
    match_n(1, &r);
    assert_int_equal(spam_hits(r.body), 3);
    hresp_free(&r);
    assert_true(h_healthy(&node));
}

/* F6 through `mreza match`: the per-value budget holds for the CLI (no request
 * budget there), and its summary names the organisation. */
static void test_hit_budget_cli(void **state)
{
    char path[400], want[200], *out = NULL, *err = NULL;
    const char *const argv[] = {"match", "--as-user", "analyst@mk-cirt", "--format", "text",
                                "--set", "match.hit_budget=2", path, NULL};
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/mk.log", node.dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 6; i++)
        fprintf(f, "GET http://v%d.evil-corp.com/\n", i);
    fclose(f);
    assert_int_equal(h_cli_err(&node, &out, &err, argv), 0);
    assert_int_equal(h_count(out, ID("000000000200")), 6);
    assert_int_equal(spam_hits(out), 12);
    snprintf(want, sizeof want, "(match.regex_budget, match.hit_budget): %s on 6", spam_ident);
    if (!strstr(err, want))
        fail_msg("summary: %s", err);
    free(out);
    free(err);
}

/* `mreza match --report` of the lines in text as analyst@me-cirt, with extra --set
 * settings (NULL-terminated, at most two). */
static void report_lines(const char *name, const char *text, const char *const *sets)
{
    char log[400], *out = NULL;
    const char *argv[16] = {"match", "--as-user", "analyst@me-cirt", "--format", "text", "--report"};
    size_t n = 6;
    FILE *f;

    snprintf(log, sizeof log, "%s/%s", node.dir, name);
    f = fopen(log, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    for (size_t i = 0; sets && sets[i] && i < 2; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i];
    }
    argv[n++] = log;
    argv[n] = NULL;
    assert_int_equal(h_cli(&node, &out, argv), 0);
    free(out);
}

/* N2: a parent shorter than the value's registrable domain (amazonaws.com above
 * the suffix s3.amazonaws.com), a special-use name (home.arpa): their owner hears of
 * none; the registrable parent evil-bucket.s3.amazonaws.com is told as before. */
static void test_wide_parents(void **state)
{
    (void)state;
    report_lines("parents.log",
                 "GET http://my-bucket.s3.amazonaws.com/x\n"
                 "mdns printer.home.arpa\n"
                 "GET http://cdn.evil-bucket.s3.amazonaws.com/y\n",
                 NULL);
    assert_true(sightings_of(me_key, ID("000000000021")) >= 1);
    assert_true(sightings_of(me_key, ID("000000000022")) >= 1);
    assert_true(sightings_of(me_key, ID("000000000023")) >= 1);
    if (sightings_of(hosp_key, ID("000000000021")))
        fail_msg("the hospital reads me-cirt's sighting of its 'amazonaws.com'");
    if (sightings_of(hosp_key, ID("000000000022")))
        fail_msg("the hospital reads me-cirt's sighting of its 'home.arpa'");
    if (sightings_of(hosp_key, ID("000000000023")) < 1)
        fail_msg("the hospital is not told of me-cirt's sighting of evil-bucket.s3.amazonaws.com");
}

/* N2: mk-power's three /23s take in 1 536 addresses, over 512: none of their hits
 * is told to it; al-cert's one /23 (512, not over) is. Its two IPv6 /48s are over
 * the default one /48 of /64s. */
static void test_range_space(void **state)
{
    static const char *const sets[] = {"match.report_max_space4=512", NULL};
    static const char *const over[] = {ID("000000000031"), ID("000000000032"), ID("000000000033"),
                                       ID("000000000035")};

    (void)state;
    report_lines("ranges.log",
                 "100.64.0.5 a\n100.64.3.7 b\n100.64.5.9 c\n100.65.0.1 d\n2001:db8:100::1 e\n", sets);
    for (size_t i = 0; i < 4; i++) {
        assert_true(sightings_of(me_key, over[i]) >= 1);
        if (sightings_of(spam_key, over[i]))
            fail_msg("mk-power reads me-cirt's sighting of its range %s", over[i]);
    }
    assert_true(sightings_of(me_key, ID("000000000034")) >= 1);
    if (sightings_of(al_key, ID("000000000034")) < 1)
        fail_msg("al-cert is not told of me-cirt's sighting of its one /23");
}

/* R6: me-cirt's NAT64, 6to4, Teredo and IPv4-compatible log lines: mk-cirt hears of
 * none of its ranges that take in all of IPv4, and of its NAT64 /24 as before. */
static void test_embedded_v4_ranges(void **state)
{
    static const char *const wide[] = {ID("000000000051"), ID("000000000052"), ID("000000000053"),
                                       ID("000000000054")};

    (void)state;
    report_lines("nat64.log",
                 "64:ff9b::c000:201 nat64\n2002:c000:201::1 6to4\n2001:0:4136:e378:8000:63bf:3fff:fdd2 teredo\n"
                 "::c000:201 compat\n",
                 NULL);
    for (size_t i = 0; i < 4; i++) {
        if (sightings_of(me_key, wide[i]) < 1)
            fail_msg("me-cirt keeps no sighting of %s", wide[i]);
        if (sightings_of(mk_key, wide[i]))
            fail_msg("mk-cirt reads me-cirt's sighting of its range %s", wide[i]);
    }
    assert_true(sightings_of(me_key, ID("000000000055")) >= 1);
    if (sightings_of(mk_key, ID("000000000055")) < 1)
        fail_msg("mk-cirt is not told of me-cirt's sighting of its NAT64 /24");
}

/* N3: reporter2@al-hospital's four indicators for a.victim.example spend its own
 * budget (3), not its colleague's: the hospital's RED victim.example, addressed to
 * analyst@mk-cirt (reporter2 may not read it), is still reported to its reader. */
static void test_hit_budget_colleague(void **state)
{
    static const char body[] = "{\"values\":[\"a.victim.example\"]}";
    char id[64];
    struct hresp r;
    int n = 0;

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", mk_key, body, strlen(body), &r), 200);
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, ID("0000000000%02d"), 42 + i);
        n += h_count(r.body, id);
    }
    assert_int_equal(n, 3);
    if (h_count(r.body, ID("000000000041")) != 1)
        fail_msg("a colleague's indicators hid the hospital's victim.example: %s", r.body);
    hresp_free(&r);
    /* and reporter2 may not read what it could hide before */
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects/" ID("000000000041"), hosp2_key, NULL, 0, &r), 404);
    hresp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_sightings_stay_home),
        cmocka_unit_test(test_hit_budget_per_value),
        cmocka_unit_test(test_hit_budget_per_request),
        cmocka_unit_test(test_hit_budget_cli),
        cmocka_unit_test(test_wide_parents),
        cmocka_unit_test(test_range_space),
        cmocka_unit_test(test_hit_budget_colleague),
        cmocka_unit_test(test_embedded_v4_ranges),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
