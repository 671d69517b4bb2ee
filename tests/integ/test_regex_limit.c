/* tests/integ/test_regex_limit.c - MATCHES within limits, through a real node and
 * the CLI. glibc's matcher, which MATCHES ran on, built exponentially many states for
 * expressions such as ".*a[a-z]{30}X" on values of letters (which the write-time
 * guard lets through); now PCRE2 runs them with a step and a heap limit per value
 * (match.regex_steps, match.regex_heap), and a value that reaches one is no match,
 * counted and logged:
 *   - `mreza match` with a small step limit: the letter value stops at the limit, the
 *     summary says how many values did, and a true match is still found; with the
 *     defaults the same value is decided and nothing is reported as limited;
 *   - POST /api/v1/match "lines" on a node with the default limits (and a large
 *     budget, match.regex_budget): a backtracking bad case
 *     ("^(a|aa)+\.example$" on "aaa...ab.example") stops at the limit, the reply says
 *     "regex_limited":2 (its MATCHES and NOT MATCHES indicators) and the node logs
 *     event=regex_limit; a value it matches is found;
 *   - a limited value matches NOT MATCHES neither. */
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

static struct hnode node;
static char analyst_key[64], admin_key[64], log_path[400];

static void post_indicator(const char *tail, const char *pattern)
{
    char body[1024];
    struct hresp r;

    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--6b6b6b6b-0000-4000-8000-%s\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
             "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"" GREEN "\"]}",
             tail, pattern);
    if (h_http(&node, "POST", "/api/v1/objects", analyst_key, body, strlen(body), &r) != 201)
        fail_msg("POST %s: %ld %s", pattern, r.status, r.body);
    assert_non_null(strstr(r.body, "\"match\":\"scan\""));
    hresp_free(&r);
}

static int setup(void **state)
{
    const char *const budget[] = {"match.regex_budget=100000000", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", analyst_key);
    h_add_user(&node, "admin@al-cert", "al-cert", "node-admin", admin_key);
    snprintf(log_path, sizeof log_path, "%s/server.log", node.dir);
    /* a budget per value large enough that the limits of one start position, not
     * the budget of al-cert's patterns, decide (test_regex_budget.c tests that) */
    h_start_logged(&node, budget, log_path);
    post_indicator("000000000001", "[url:value MATCHES '.*a[a-z]{30}X']");
    post_indicator("000000000002", "[domain-name:value MATCHES '^(a|aa)+\\\\\\\\.example$']");
    post_indicator("000000000003", "[domain-name:value NOT MATCHES '^(a|aa)+\\\\\\\\.example$']");
    h_wait_indexed(&node, admin_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

static void write_log(const char *path)
{
    FILE *f = fopen(path, "wb");
    char miss[200], hit[200];

    assert_non_null(f);
    memset(miss, 'a', 150);
    miss[150] = '\0';
    memset(hit, 'a', 40);
    hit[40] = '\0';
    /* line 1: letters after an X, no match; line 2: 40 letters then X, a match */
    fprintf(f, "{\"url\":\"http://x.example/X%s\"}\n{\"url\":\"http://x.example/%sX\"}\n", miss, hit);
    fclose(f);
}

static void test_cli_small_limit(void **state)
{
    char log[400], *out = NULL, *err = NULL;
    const char *const small[] = {"match", "--as-user", "analyst@al-cert", "--format", "json",
                                 "--set", "match.regex_steps=100", log, NULL};
    const char *const defaults[] = {"match", "--as-user", "analyst@al-cert", "--format", "json", log, NULL};

    (void)state;
    snprintf(log, sizeof log, "%s/proxy.jsonl", node.dir);
    write_log(log);
    assert_int_equal(h_cli_err(&node, &out, &err, small), 0);
    assert_int_equal(h_count(out, "\"indicator\":\"indicator--6b6b6b6b-0000-4000-8000-000000000001\""), 1);
    assert_int_equal(h_count(out, "\"line\":2,"), 1);
    assert_int_equal(h_count(out, "\"line\":1,"), 0);
    if (!strstr(err, ", 1 MATCHES evaluations stopped at the regex limits"))
        fail_msg("summary: %s", err);
    free(out);
    free(err);
    out = err = NULL;
    assert_int_equal(h_cli_err(&node, &out, &err, defaults), 0);
    assert_int_equal(h_count(out, "\"line\":2,"), 1);
    assert_int_equal(h_count(out, "\"line\":1,"), 0);
    assert_null(strstr(err, "regex limits"));
    free(out);
    free(err);
}

static void test_api_lines_default_limits(void **state)
{
    char body[1024], bad[200], *log;
    struct hresp r;
    size_t len;

    (void)state;
    memset(bad, 'a', 60);
    memcpy(bad + 60, "b.example", 10);
    snprintf(body, sizeof body,
             "{\"format\":\"json\",\"lines\":[\"{\\\"q\\\":\\\"%s\\\"}\",\"{\\\"q\\\":\\\"aaaaaaaa.example\\\"}\"]}", bad);
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", analyst_key, body, strlen(body), &r), 200);
    /* line 0 stops at the limit: neither MATCHES nor NOT MATCHES; line 1 matches */
    if (!strstr(r.body, "\"regex_limited\":2"))
        fail_msg("reply: %s", r.body);
    assert_int_equal(h_count(r.body, "\"item\":0,"), 0);
    assert_int_equal(h_count(r.body, "\"item\":1,"), 1);
    assert_int_equal(h_count(r.body, "indicator--6b6b6b6b-0000-4000-8000-000000000002"), 1);
    assert_int_equal(h_count(r.body, "indicator--6b6b6b6b-0000-4000-8000-000000000003"), 0);
    hresp_free(&r);
    log = h_read_file(log_path, &len);
    assert_non_null(strstr(log, "event=regex_limit use=lines evaluations=2 user=analyst@al-cert"));
    free(log);
    assert_true(h_healthy(&node));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_small_limit),
        cmocka_unit_test(test_api_lines_default_limits),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
