/* tests/integ/test_regex_budget.c - what one organisation's patterns may cost the
 * others, through a real node and the CLI. The hostile-user review found that one
 * organisation's GREEN scan patterns slowed every reader's matching: 64 patterns of
 * 16 MATCHES tests each, every test within match.regex_steps, made about 1G steps per
 * value, and 100 values took 84 s of another organisation's POST /api/v1/match; and
 * PCRE2 counts match.regex_steps afresh at every start position of a value, so even
 * one test could cost its limit as many times as the value has characters. Now all
 * the patterns of one organisation share a budget of steps per value
 * (match.regex_budget) and one per request (match.regex_request_budget); when it runs
 * out, the rest of that organisation's patterns are no match there, and nobody
 * else's are touched. Checked by what is matched and counted, never by time:
 *   - per value (a node with match.regex_budget=200000): al-cert's expensive
 *     candidate and scan patterns ("(a|aa)+[xy]", within the per-position limit at
 *     every position) spend its budget on each value, so its cheap pattern that
 *     would match matches nothing; me-cirt's scan and candidate patterns, MATCHES
 *     included, match every value; the reply says "regex_limited" (one test cut per
 *     value) and "budget_spent" naming al-cert, and the node logs
 *     event=match_budget naming it; the same for "lines";
 *   - the same through `mreza match --set match.regex_budget=200000`, whose summary
 *     names al-cert;
 *   - per submitting user (the fourth re-attack, R1): the budgets are per submitting
 *     user, and per organisation only as a backstop worth several users
 *     (match.regex_org_budget), so reporter@al-cert's RED scan pattern addressed to
 *     analyst@mk-cirt, indexed after analyst@al-cert's expensive ones, is still
 *     evaluated on a value on which they spend their budget, and mk-cirt's match
 *     reports it (before, al-cert's one budget was spent and it was left out);
 *   - per request (another node, match.regex_request_budget=1000): al-cert's patterns
 *     (a LIKE that tries 10 characters at each of 24 positions, and a cheap one that
 *     matches) match the first values of a request and not the last, me-cirt's every
 *     value; the next request starts afresh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define ID(tail) "indicator--8d8d8d8d-0000-4000-8000-" tail

/* 22 letters: "(a|aa)+[xy]" takes 150 049 steps at the first position alone */
#define VALUE "aaaaaaaaaaaaaaaaaaaaaa.example"
#define VICTIM "aaaaaaaaaaaaaaaaaaaaaa.victim.example" /* al-cert's expensive ones spend on it too */

static struct hnode vnode, rnode; /* the per-value and the per-request node */
static char v_al[64], v_me[64], v_mk[64], v_admin[64];
static char r_al[64], r_me[64], r_mk[64], r_admin[64];
static char v_al_ident[64], r_al_ident[64], v_log[400];
static char v_al2[64], v_mk_user[64];

/* marking: GREEN unless given; extra: more members, "" for none */
static void post_marked(struct hnode *n, const char *key, const char *id, const char *pattern, const char *plan,
                        const char *marking, const char *extra)
{
    char body[1024], want[64];
    struct hresp r;

    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
             "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s}",
             id, pattern, marking, extra);
    if (h_http(n, "POST", "/api/v1/objects", key, body, strlen(body), &r) != 201)
        fail_msg("POST %s: %ld %s", pattern, r.status, r.body);
    snprintf(want, sizeof want, "\"match\":\"%s\"", plan);
    if (!strstr(r.body, want))
        fail_msg("POST %s: not %s: %s", pattern, plan, r.body);
    hresp_free(&r);
}

static void post_indicator(struct hnode *n, const char *key, const char *id, const char *pattern, const char *plan)
{
    post_marked(n, key, id, pattern, plan, GREEN, "");
}

static void add_community(struct hnode *n, char *al, char *me, char *mk, char *admin)
{
    h_add_org(n, "al-cert", "AL", "national-csirt");
    h_add_org(n, "me-cirt", "ME", "national-csirt");
    h_add_org(n, "mk-cirt", "MK", "national-csirt");
    h_add_user(n, "analyst@al-cert", "al-cert", "analyst", al);
    h_add_user(n, "analyst@me-cirt", "me-cirt", "analyst", me);
    h_add_user(n, "analyst@mk-cirt", "mk-cirt", "analyst", mk);
    h_add_user(n, "admin@mk-cirt", "mk-cirt", "node-admin", admin);
}

static int setup(void **state)
{
    const char *const v_sets[] = {"match.regex_budget=200000", NULL};
    const char *const r_sets[] = {"match.regex_request_budget=1000", NULL};
    char extra[200];

    (void)state;
    /* per value: al-cert's expensive candidate and scan patterns come first (the
     * engine evaluates candidates on a value's lookups, then scan patterns in the
     * order they were indexed), then its cheap one that matches every value */
    h_node_init(&vnode);
    add_community(&vnode, v_al, v_me, v_mk, v_admin);
    h_add_user(&vnode, "reporter@al-cert", "al-cert", "reporter", v_al2);
    h_identity(&vnode, "org", "al-cert", v_al_ident);
    h_identity(&vnode, "user", "analyst@mk-cirt", v_mk_user);
    snprintf(v_log, sizeof v_log, "%s/server.log", vnode.dir);
    h_start_logged(&vnode, v_sets, v_log);
    post_indicator(&vnode, v_al, ID("000000000001"),
                   "[domain-name:value = 'example' AND domain-name:value MATCHES '(a|aa)+[xy]']", "candidate");
    post_indicator(&vnode, v_al, ID("000000000002"),
                   "[domain-name:value MATCHES '(a|aa)+[xy]' OR domain-name:value MATCHES '(aa|a)+[xy]']", "scan");
    post_indicator(&vnode, v_al, ID("000000000003"), "[domain-name:value MATCHES '^a+\\\\\\\\.']", "scan");
    post_indicator(&vnode, v_me, ID("000000000004"), "[domain-name:value MATCHES '^a+\\\\\\\\.example$']", "scan");
    post_indicator(&vnode, v_me, ID("000000000005"),
                   "[domain-name:value = 'example' AND domain-name:value MATCHES 'a\\\\\\\\.ex']", "candidate");
    /* R1: a colleague's RED scan pattern for analyst@mk-cirt, after al-cert's
     * expensive ones in the scan order */
    snprintf(extra, sizeof extra, ",\"x_mreza_recipient_refs\":[\"%s\"]", v_mk_user);
    post_marked(&vnode, v_al2, ID("000000000006"), "[domain-name:value LIKE '%.victim.example']", "scan", RED, extra);
    h_wait_indexed(&vnode, v_admin);
    /* per request */
    h_node_init(&rnode);
    add_community(&rnode, r_al, r_me, r_mk, r_admin);
    h_identity(&rnode, "org", "al-cert", r_al_ident);
    h_start(&rnode, r_sets);
    post_indicator(&rnode, r_al, ID("000000000011"), "[domain-name:value LIKE '%aaaaaaaaab']", "scan");
    post_indicator(&rnode, r_al, ID("000000000012"), "[domain-name:value LIKE 'a%']", "scan");
    post_indicator(&rnode, r_me, ID("000000000013"), "[domain-name:value LIKE 'a%']", "scan");
    h_wait_indexed(&rnode, r_admin);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&vnode);
    h_node_free(&rnode);
    return 0;
}

/* POST /api/v1/match of n copies of VALUE as values (lines: as JSON log lines). */
static void match_n(struct hnode *n, const char *key, int k, int lines, struct hresp *r)
{
    char body[8192];
    size_t o = 0;

    o += (size_t)snprintf(body + o, sizeof body - o, lines ? "{\"format\":\"json\",\"lines\":[" : "{\"values\":[");
    for (int i = 0; i < k; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, lines ? "%s\"{\\\"q\\\":\\\"%s\\\"}\"" : "%s\"%s\"",
                              i ? "," : "", VALUE);
    o += (size_t)snprintf(body + o, sizeof body - o, "]}");
    assert_true(o < sizeof body);
    assert_int_equal(h_http(n, "POST", "/api/v1/match", key, body, o, r), 200);
}

static void test_value_budget_api(void **state)
{
    char want[200], *log;
    struct hresp r;
    size_t len;

    (void)state;
    for (int lines = 0; lines < 2; lines++) {
        match_n(&vnode, v_mk, 3, lines, &r);
        /* me-cirt's patterns, MATCHES included, match every value */
        assert_int_equal(h_count(r.body, ID("000000000004")), 3);
        assert_int_equal(h_count(r.body, ID("000000000005")), 3);
        /* al-cert's spent their budget on each value before its cheap one */
        assert_int_equal(h_count(r.body, ID("000000000001")), 0);
        assert_int_equal(h_count(r.body, ID("000000000002")), 0);
        assert_int_equal(h_count(r.body, ID("000000000003")), 0);
        assert_non_null(strstr(r.body, "\"regex_limited\":3,"));
        snprintf(want, sizeof want, "\"budget_spent\":[{\"submitted_by\":\"%s\",\"values\":3}]", v_al_ident);
        if (!strstr(r.body, want))
            fail_msg("reply: %s", r.body);
        hresp_free(&r);
    }
    /* al-cert's own analyst is held to the same budget */
    match_n(&vnode, v_al, 1, 0, &r);
    assert_int_equal(h_count(r.body, ID("000000000003")), 0);
    assert_int_equal(h_count(r.body, ID("000000000004")), 1);
    hresp_free(&r);
    log = h_read_file(v_log, &len);
    snprintf(want, sizeof want, "event=match_budget use=values values=3 owners=%s:3 user=analyst@mk-cirt", v_al_ident);
    assert_non_null(strstr(log, want));
    snprintf(want, sizeof want, "event=match_budget use=lines values=3 owners=%s:3 user=analyst@mk-cirt", v_al_ident);
    assert_non_null(strstr(log, want));
    free(log);
    assert_true(h_healthy(&vnode));
}

static void test_value_budget_cli(void **state)
{
    char path[400], want[200], *out = NULL, *err = NULL;
    const char *const argv[] = {"match", "--as-user", "analyst@mk-cirt", "--format", "json",
                                "--set", "match.regex_budget=200000", path, NULL};
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/dns.jsonl", vnode.dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"q\":\"" VALUE "\"}\n{\"q\":\"" VALUE "\"}\n", f);
    fclose(f);
    assert_int_equal(h_cli_err(&vnode, &out, &err, argv), 0);
    assert_int_equal(h_count(out, ID("000000000004")), 2);
    assert_int_equal(h_count(out, ID("000000000005")), 2);
    assert_int_equal(h_count(out, ID("000000000003")), 0);
    snprintf(want, sizeof want,
             "ran out of budget on 2 values and the rest were taken as no match there"
             " (match.regex_budget, match.hit_budget): %s on 2",
             v_al_ident);
    if (!strstr(err, want))
        fail_msg("summary: %s", err);
    free(out);
    free(err);
}

/* R1: analyst@al-cert's expensive patterns spend its own budget on VICTIM, not its
 * colleague's: reporter@al-cert's RED pattern for mk-cirt (which the analyst may not
 * read) is reported to mk-cirt. */
static void test_colleague_budget(void **state)
{
    const char *body = "{\"values\":[\"" VICTIM "\"]}";
    char want[200];
    struct hresp r;

    (void)state;
    assert_int_equal(h_http(&vnode, "GET", "/api/v1/objects/" ID("000000000006"), v_al, NULL, 0, &r), 404);
    hresp_free(&r);
    assert_int_equal(h_http(&vnode, "POST", "/api/v1/match", v_mk, body, strlen(body), &r), 200);
    if (h_count(r.body, ID("000000000006")) != 1)
        fail_msg("reporter@al-cert's RED pattern not reported: %s", r.body);
    /* the analyst's own did run out, and al-cert is named for it */
    snprintf(want, sizeof want, "\"budget_spent\":[{\"submitted_by\":\"%s\",\"values\":1}]", v_al_ident);
    if (!strstr(r.body, want))
        fail_msg("reply: %s", r.body);
    hresp_free(&r);
}

static void test_request_budget(void **state)
{
    struct hresp r;
    char want[200];
    int al;

    (void)state;
    match_n(&rnode, r_mk, 12, 0, &r);
    /* me-cirt's pattern matches every value; al-cert's the first ones only */
    assert_int_equal(h_count(r.body, ID("000000000013")), 12);
    al = h_count(r.body, ID("000000000012"));
    if (al < 1 || al > 6)
        fail_msg("al-cert's cheap pattern matched %d of 12 values: %s", al, r.body);
    snprintf(want, sizeof want, "\"budget_spent\":[{\"submitted_by\":\"%s\",\"values\":%d}]", r_al_ident, 12 - al);
    if (!strstr(r.body, want))
        fail_msg("reply: %s", r.body);
    hresp_free(&r);
    /* the next request starts afresh */
    match_n(&rnode, r_mk, 1, 0, &r);
    assert_int_equal(h_count(r.body, ID("000000000012")), 1);
    assert_non_null(strstr(r.body, "\"budget_spent\":[]"));
    hresp_free(&r);
    assert_true(h_healthy(&rnode));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_budget_api),
        cmocka_unit_test(test_value_budget_cli),
        cmocka_unit_test(test_colleague_budget),
        cmocka_unit_test(test_request_budget),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
