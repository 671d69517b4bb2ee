/* tests/integ/test_paging.c - page tokens (`next`) against a real `mreza serve`.
 * The security review's reproduction: the token was the global insert counter in
 * clear ("p" + hex), so a reporter who posted one object, waited, posted another
 * and paged through its own objects one at a time learnt exactly how many objects
 * it could not see had been stored between the two. Now:
 *   - the reporter's tokens have one length whatever lies between its objects, never
 *     show the position, and differ each time the same page is asked for;
 *   - a token altered in any digit, the clear-text form of before, a token of
 *     another user (of the same organisation too) and a token used with another
 *     filter are refused with a 400 that names `next`;
 *   - paging still walks every visible object once (another organisation's 40,
 *     10 a page), with the page size changed between pages, and a token also
 *     counts what is left (`/count?next=`). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TOKEN_LEN 98 /* fmt/cursor.h: 49 bytes in hex */
#define N_HIDDEN 40

static struct hnode node;
static char reporter_key[64], colleague_key[64], other_key[64];

static json_t *parse(const struct hresp *r)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    if (!v)
        fail_msg("response is not JSON (%s): %.300s", je.text, r->body);
    return v;
}

static void id_of(int n, char *out, size_t cap)
{
    snprintf(out, cap, "indicator--22222222-3333-4444-8555-%012d", n);
}

static void post_indicator(const char *key, int n)
{
    char id[80], body[1024];
    struct hresp r;

    id_of(n, id, sizeof id);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
             "\"name\":\"ioc %d\",\"pattern\":\"[ipv4-addr:value = '198.51.100.%d']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"" AMBER "\"]}",
             id, n, n % 250);
    assert_int_equal(h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), &r), 201);
    hresp_free(&r);
}

/* One page: the ids listed into ids (n_out of them) and the token into next ("" when
 * there is no more). Fails unless the status is 200. */
static void page(const char *key, const char *path, char ids[][80], size_t *n_out, char *next, size_t next_cap)
{
    struct hresp r;
    json_t *v, *o;
    size_t i;

    if (h_http(&node, "GET", path, key, NULL, 0, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    v = parse(&r);
    *n_out = 0;
    json_array_foreach(json_object_get(v, "objects"), i, o)
        snprintf(ids[(*n_out)++], 80, "%s", json_string_value(json_object_get(o, "id")));
    snprintf(next, next_cap, "%s", json_is_string(json_object_get(v, "next")) ? json_string_value(json_object_get(v, "next")) : "");
    assert_int_equal(json_is_true(json_object_get(v, "more")), next[0] != '\0');
    json_decref(v);
    hresp_free(&r);
}

/* GET path must be a 400 whose JSON error names `next`. */
static void expect_bad_token(const char *key, const char *path)
{
    struct hresp r;
    json_t *v, *e;

    if (h_http(&node, "GET", path, key, NULL, 0, &r) != 400)
        fail_msg("GET %s: %ld, not 400: %.200s", path, r.status, r.body);
    v = parse(&r);
    e = json_object_get(v, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 400);
    assert_string_equal(json_string_value(json_object_get(e, "field")), "next");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "not a page token"));
    json_decref(v);
    hresp_free(&r);
}

static int setup(void **state)
{
    (void)state;
    h_node_init(&node);
    h_add_org(&node, "me-bank", "ME", "operator");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_user(&node, "reporter@me-bank", "me-bank", "reporter", reporter_key);
    h_add_user(&node, "reporter2@me-bank", "me-bank", "reporter", colleague_key);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", other_key);
    h_start(&node, NULL);
    /* the reporter's first object, then N_HIDDEN it may not see, then two more */
    post_indicator(reporter_key, 1);
    for (int i = 0; i < N_HIDDEN; i++)
        post_indicator(other_key, 100 + i);
    post_indicator(reporter_key, 2);
    post_indicator(reporter_key, 3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

static void test_tokens_reveal_nothing(void **state)
{
    char ids[4][80], t1[256], t2[256], t1_again[256], t_last[256], path[512], want[80];
    size_t n;

    (void)state;
    page(reporter_key, "/api/v1/objects?type=indicator&limit=1", ids, &n, t1, sizeof t1);
    assert_int_equal(n, 1);
    id_of(1, want, sizeof want);
    assert_string_equal(ids[0], want);
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=1&next=%s", t1);
    page(reporter_key, path, ids, &n, t2, sizeof t2);
    assert_int_equal(n, 1);
    id_of(2, want, sizeof want);
    assert_string_equal(ids[0], want);
    /* N_HIDDEN objects between the two positions and none between the next two: the
     * tokens look alike (one length, hex digits only, not the clear-text "p" form) */
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=1&next=%s", t2);
    page(reporter_key, path, ids, &n, t_last, sizeof t_last);
    assert_int_equal(n, 1);
    id_of(3, want, sizeof want);
    assert_string_equal(ids[0], want);
    assert_string_equal(t_last, ""); /* the last page */
    assert_int_equal(strlen(t1), TOKEN_LEN);
    assert_int_equal(strlen(t2), TOKEN_LEN);
    assert_int_equal(strspn(t1, "0123456789abcdef"), TOKEN_LEN);
    assert_int_equal(strspn(t2, "0123456789abcdef"), TOKEN_LEN);
    /* the same page asked for again: another token for the same position */
    page(reporter_key, "/api/v1/objects?type=indicator&limit=1", ids, &n, t1_again, sizeof t1_again);
    assert_string_not_equal(t1, t1_again);
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=1&next=%s", t1_again);
    page(reporter_key, path, ids, &n, t2, sizeof t2);
    id_of(2, want, sizeof want);
    assert_string_equal(ids[0], want);
}

static void test_tampered_and_foreign_tokens_refused(void **state)
{
    char ids[4][80], tok[256], bad[256], path[512];
    size_t n;

    (void)state;
    page(reporter_key, "/api/v1/objects?type=indicator&limit=1", ids, &n, tok, sizeof tok);
    assert_int_equal(strlen(tok), TOKEN_LEN);
    /* each digit changed in turn */
    for (size_t i = 0; i < TOKEN_LEN; i++) {
        snprintf(bad, sizeof bad, "%s", tok);
        bad[i] = bad[i] == 'f' ? '0' : (char)(bad[i] == '9' ? 'a' : bad[i] + 1);
        snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=1&next=%s", bad);
        expect_bad_token(reporter_key, path);
    }
    /* the clear-text form of before: a position of the reporter's choice */
    expect_bad_token(reporter_key, "/api/v1/objects?type=indicator&limit=1&next=p1");
    expect_bad_token(reporter_key, "/api/v1/count?type=indicator&next=p1");
    /* handed to a colleague of the same organisation, or to another organisation */
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=1&next=%s", tok);
    expect_bad_token(colleague_key, path);
    expect_bad_token(other_key, path);
    /* replayed on another filter (the page size may change) */
    snprintf(path, sizeof path, "/api/v1/objects?limit=1&next=%s", tok);
    expect_bad_token(reporter_key, path);
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&tlp=amber&limit=1&next=%s", tok);
    expect_bad_token(reporter_key, path);
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&version=all&limit=1&next=%s", tok);
    expect_bad_token(reporter_key, path);
    snprintf(path, sizeof path, "/api/v1/objects?type=indicator&limit=5&next=%s", tok);
    page(reporter_key, path, ids, &n, bad, sizeof bad);
    assert_int_equal(n, 2);
    /* the server is still fine */
    assert_true(h_healthy(&node));
}

static void test_paging_walks_everything_once(void **state)
{
    char ids[64][80], tok[256], path[512];
    int seen[N_HIDDEN] = {0};
    size_t n, total = 0;
    int pages = 0;
    struct hresp r;
    long long left;

    (void)state;
    tok[0] = '\0';
    do {
        /* the page size changes between pages: it is not part of the query */
        snprintf(path, sizeof path, "/api/v1/objects?type=indicator&tlp=amber&limit=%d%s%s",
                 pages % 2 ? 7 : 10, tok[0] ? "&next=" : "", tok);
        page(other_key, path, ids, &n, tok, sizeof tok);
        for (size_t i = 0; i < n; i++) {
            int k = (int)strtol(ids[i] + strlen(ids[i]) - 12, NULL, 10) - 100;
            assert_true(k >= 0 && k < N_HIDDEN);
            assert_int_equal(seen[k], 0);
            seen[k] = 1;
        }
        total += n;
        pages++;
        if (pages == 2) {
            /* what is left, counted from this position */
            snprintf(path, sizeof path, "/api/v1/count?type=indicator&tlp=amber&next=%s", tok);
            assert_int_equal(h_http(&node, "GET", path, other_key, NULL, 0, &r), 200);
            left = strtoll(strchr(r.body, ':') + 1, NULL, 10);
            assert_int_equal(left, N_HIDDEN - 17);
            hresp_free(&r);
        }
    } while (tok[0] && pages < 20);
    assert_int_equal(total, N_HIDDEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_reveal_nothing),
        cmocka_unit_test(test_tampered_and_foreign_tokens_refused),
        cmocka_unit_test(test_paging_walks_everything_once),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
