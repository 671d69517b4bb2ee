/* tests/unit/fed/test_fed_guard.c - unit tests of fed/fed_guard.c: the checks that
 * stop a misbehaving peer (docs/federation.md 10.5). Each test feeds a sequence of
 * responses (status, headers, body, as fed_http would return them) through
 * fed_guard_facts and fed_guard_check (and fed_guard_progress), and asserts the
 * verdict of each: one test per row of 10.5, with the pages that must pass and the
 * one that must stop, at the boundary (e.g. sync.max_empty_pages empty pages pass,
 * one more fails). Also: the status table, the media-type parser, the timestamp
 * normaliser, the progress rule (the limit doubled up to 4 x page_size, then
 * no_progress) and the run limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/fed.h"

static struct fed_opts opts;

/* Small limits, so that each boundary is a few pages away. */
static int setup(void **state)
{
    (void)state;
    fed_opts_defaults(&opts, NULL);
    opts.page_size = 10;
    opts.max_stale_pages = 5;
    opts.max_empty_pages = 3;
    opts.max_pages_per_run = 20;
    opts.max_objects_per_run = 1000;
    opts.max_run_ms = 60000;
    opts.max_next_len = 16;
    opts.max_depth = 8;
    return 0;
}

/* A page of objects [from, from+n) as a TAXII envelope. next NULL: none. */
static char *envelope(int from, int n, int more, const char *next)
{
    size_t cap = 200 + (size_t)n * 160 + (next ? strlen(next) : 0);
    char *b = malloc(cap);
    size_t len = 0;

    assert_non_null(b);
    len += (size_t)snprintf(b + len, cap - len, "{\"more\":%s,", more ? "true" : "false");
    if (next)
        len += (size_t)snprintf(b + len, cap - len, "\"next\":\"%s\",", next);
    len += (size_t)snprintf(b + len, cap - len, "\"objects\":[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(b + len, cap - len,
                                "%s{\"type\":\"indicator\",\"id\":\"indicator--00000000-0000-4000-8000-%012d\","
                                "\"modified\":\"2026-01-01T00:00:00.000Z\"}",
                                i ? "," : "", from + i);
    snprintf(b + len, cap - len, "]}");
    return b;
}

/* A response as fed_http would fill it; body is taken (freed with the response). */
static void resp(struct fed_resp *r, long status, const char *ctype, char *body, const char *first,
                 const char *last)
{
    memset(r, 0, sizeof *r);
    r->status = status;
    r->retry_after_s = -1;
    snprintf(r->content_type, sizeof r->content_type, "%s", ctype);
    if (first) {
        r->has_date_first = 1;
        snprintf(r->date_first, sizeof r->date_first, "%s", first);
    }
    if (last) {
        r->has_date_last = 1;
        snprintf(r->date_last, sizeof r->date_last, "%s", last);
    }
    r->body = body;
    r->len = body ? strlen(body) : 0;
}

static const char TAXII[] = "application/taxii+json;version=2.1";
static const char T1[] = "2026-01-01T00:00:01.000000Z";
static const char T2[] = "2026-01-01T00:00:02.000000Z";

/* One response through facts and check; returns the verdict. */
static enum fed_code judge(struct fed_guard *g, const struct fed_ask *ask, struct fed_resp *r)
{
    struct fed_facts f;
    struct mz_error err;
    enum fed_code code;

    assert_int_equal(fed_guard_facts(r, &opts, &f, &err), FED_OK);
    mz_error_clear(&err);
    code = fed_guard_check(g, ask, &f, &err);
    if (code != FED_OK)
        assert_true(err.msg[0] != '\0'); /* every refusal says why */
    fed_facts_clear(&f);
    fed_resp_free(r);
    return code;
}

/* A page of n objects from `from`, with dates and a next, judged. */
static enum fed_code page(struct fed_guard *g, const struct fed_ask *ask, int from, int n, int more,
                          const char *next)
{
    struct fed_resp r;

    resp(&r, 200, TAXII, envelope(from, n, more, next), n ? T1 : NULL, n ? T2 : NULL);
    return judge(g, ask, &r);
}

static struct fed_ask ask_next(long limit)
{
    struct fed_ask a = {limit, 1, "", 0};
    return a;
}

static void test_compliant_walk_passes(void **state)
{
    struct fed_guard g;
    struct fed_ask a = {10, 0, "", 0};
    struct mz_error err;

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(fed_guard_limit(&g), 10);
    assert_int_equal(page(&g, &a, 0, 10, 1, "n1"), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 10, &err), FED_OK);
    a = ask_next(10);
    assert_int_equal(page(&g, &a, 10, 10, 1, "n2"), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 10, &err), FED_OK);
    assert_int_equal(page(&g, &a, 20, 3, 0, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 3, &err), FED_OK);
    assert_int_equal(g.pages, 3);
    assert_int_equal(g.objects, 23);
    assert_int_equal(fed_guard_limit(&g), 10);
    fed_guard_free(&g);
}

/* The same next on every page is a server with one cursor per query (medallion):
 * pages that go on are taken; the same page again is refused (as repeated_page). */
static void test_same_next_every_page(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10);

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 10, 1, "A"), FED_OK);
    assert_int_equal(page(&g, &a, 10, 10, 1, "A"), FED_OK);
    assert_int_equal(page(&g, &a, 20, 10, 1, "A"), FED_OK);
    assert_int_equal(page(&g, &a, 20, 10, 1, "A"), FED_REPEATED_PAGE);
    fed_guard_free(&g);
}

static void test_repeated_page(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10), by_date = {10, 0, "", 0};
    char next[16];

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 10, 1, "A"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 10, 1, "B"), FED_REPEATED_PAGE);
    fed_guard_free(&g);

    /* one page, then 7 others: still remembered; 8 others: forgotten (the last 8) */
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 10, 1, "P0"), FED_OK);
    for (int i = 1; i <= 7; i++) {
        snprintf(next, sizeof next, "P%d", i);
        assert_int_equal(page(&g, &a, i * 100, 10, 1, next), FED_OK);
    }
    assert_int_equal(page(&g, &a, 0, 10, 1, "again"), FED_REPEATED_PAGE);
    assert_int_equal(page(&g, &a, 800, 10, 1, "P8"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 10, 1, "again2"), FED_OK);
    fed_guard_free(&g);

    /* asked again by added_after, the same page passes: the progress rule's */
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &by_date, 0, 10, 1, NULL), FED_OK);
    assert_int_equal(page(&g, &by_date, 0, 10, 1, NULL), FED_OK);
    fed_guard_free(&g);
}

/* An empty page with more, stated at date (both headers), judged. */
static enum fed_code empty_at(struct fed_guard *g, const struct fed_ask *ask, const char *next, const char *date)
{
    struct fed_resp r;

    resp(&r, 200, TAXII, envelope(0, 0, 1, next), date, date);
    return judge(g, ask, &r);
}

/* Third attack A1: empty pages whose X-TAXII-Date-Added-Last moves on (a mreza
 * server's page whose work ran out on rows this reader may not read) are progress,
 * bounded by the run's caps; empty pages that stay where they were, or go back, are
 * empty pages. */
static void test_empty_pages_that_move_on(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10), by_date = {10, 0, "2026-01-01T00:00:05.000000Z", 0};
    char date[FED_TIME_LEN], next[16];

    (void)state;
    fed_guard_init(&g, &opts);
    for (int i = 1; i <= 10; i++) { /* far more than sync.max_empty_pages (3) */
        snprintf(date, sizeof date, "2026-01-01T00:00:%02d.000000Z", i);
        snprintf(next, sizeof next, "m%d", i);
        assert_int_equal(empty_at(&g, &a, next, date), FED_OK);
    }
    /* the same position again, or an earlier one: no progress, counted */
    assert_int_equal(empty_at(&g, &a, "s1", "2026-01-01T00:00:10.000000Z"), FED_OK);
    assert_int_equal(empty_at(&g, &a, "s2", "2026-01-01T00:00:03.000000Z"), FED_OK);
    assert_int_equal(empty_at(&g, &a, "s3", "1970-01-01T00:00:00.000000Z"), FED_OK);
    assert_int_equal(empty_at(&g, &a, "s4", "2026-01-01T00:00:09.000000Z"), FED_EMPTY_PAGES);
    fed_guard_free(&g);

    /* the run's page cap still ends pages that move on for ever */
    fed_guard_init(&g, &opts);
    for (int i = 1; i <= 20; i++) {
        snprintf(date, sizeof date, "2026-01-01T00:01:%02d.000000Z", i);
        assert_int_equal(empty_at(&g, &a, "x", date), FED_OK);
    }
    assert_int_equal(empty_at(&g, &a, "x", "2026-01-01T00:02:00.000000Z"), FED_RUN_LIMIT);
    fed_guard_free(&g);

    /* the first page of a subscription: the added_after asked is where it stands (an
     * empty page there, the echo of an old server, is no progress) */
    fed_guard_init(&g, &opts);
    for (int i = 0; i < 3; i++)
        assert_int_equal(empty_at(&g, &by_date, NULL, by_date.added_after), FED_OK);
    assert_int_equal(empty_at(&g, &by_date, NULL, by_date.added_after), FED_EMPTY_PAGES);
    fed_guard_free(&g);
}

static void test_empty_pages(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10);
    struct mz_error err;

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e1"), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e2"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e3"), FED_OK);
    assert_int_equal(fed_guard_limit(&g), 10); /* empty pages are not the progress rule's */
    assert_int_equal(page(&g, &a, 0, 0, 1, "e4"), FED_EMPTY_PAGES);
    fed_guard_free(&g);

    /* a page with objects resets the count; an empty last page (more false) is fine */
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e1"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e2"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e3"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 5, 1, "x"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e4"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e5"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 1, "e6"), FED_OK);
    assert_int_equal(page(&g, &a, 0, 0, 0, NULL), FED_OK);
    fed_guard_free(&g);
}

static void test_run_limits(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10);
    struct fed_opts saved = opts;
    char next[16];

    (void)state;
    /* pages: max_pages_per_run pass, one more is run_limit */
    opts.max_pages_per_run = 5;
    fed_guard_init(&g, &opts);
    for (int i = 0; i < 5; i++) {
        snprintf(next, sizeof next, "p%d", i);
        assert_int_equal(page(&g, &a, i * 10, 10, 1, next), FED_OK);
    }
    assert_int_equal(page(&g, &a, 50, 10, 1, "p5"), FED_RUN_LIMIT);
    fed_guard_free(&g);
    opts = saved;

    /* objects: 100 pass, the page that would take the run past them does not */
    opts.max_objects_per_run = 100;
    fed_guard_init(&g, &opts);
    for (int i = 0; i < 10; i++) {
        snprintf(next, sizeof next, "o%d", i);
        assert_int_equal(page(&g, &a, i * 10, 10, 1, next), FED_OK);
    }
    assert_int_equal(page(&g, &a, 100, 1, 1, "o10"), FED_RUN_LIMIT);
    fed_guard_free(&g);
    opts = saved;

    /* time: the run's elapsed milliseconds as the caller's clock says */
    fed_guard_init(&g, &opts);
    a.run_ms = 60000;
    assert_int_equal(page(&g, &a, 0, 10, 1, "t0"), FED_OK);
    a.run_ms = 60001;
    assert_int_equal(page(&g, &a, 10, 10, 1, "t1"), FED_RUN_LIMIT);
    fed_guard_free(&g);
}

static void test_over_limit(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(5);

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 5, 1, "a"), FED_OK);
    assert_int_equal(page(&g, &a, 5, 6, 1, "b"), FED_OVER_LIMIT);
    fed_guard_free(&g);
}

static void test_content_type(void **state)
{
    static const struct {
        const char *ctype;
        const char *encoding;
        enum fed_code want;
    } rows[] = {
        {"application/taxii+json;version=2.1", "", FED_OK},
        {"application/taxii+json", "", FED_OK},
        {"Application/TAXII+JSON ; Version=\"2.1\"", "", FED_OK},
        {"application/taxii+json;charset=utf-8;version=2.1", "", FED_OK},
        {"application/taxii+json;version=2.1", "identity", FED_OK},
        {"application/taxii+json;version=2.0", "", FED_CONTENT_TYPE},
        {"application/json", "", FED_CONTENT_TYPE},
        {"text/html; charset=utf-8", "", FED_CONTENT_TYPE},
        {"application/taxii+jsonx", "", FED_CONTENT_TYPE},
        {"", "", FED_CONTENT_TYPE},
        {"application/taxii+json;version=2.1", "gzip", FED_CONTENT_TYPE},
        {"application/taxii+json;version=2.1", "br", FED_CONTENT_TYPE},
    };
    struct fed_ask a = ask_next(10);

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct fed_guard g;
        struct fed_resp r;

        fed_guard_init(&g, &opts);
        resp(&r, 200, rows[i].ctype, envelope(0, 2, 0, NULL), T1, T2);
        snprintf(r.content_encoding, sizeof r.content_encoding, "%s", rows[i].encoding);
        if (judge(&g, &a, &r) != rows[i].want)
            fail_msg("row %zu (%s, %s): not %s", i, rows[i].ctype, rows[i].encoding, fed_code_name(rows[i].want));
        fed_guard_free(&g);
    }
}

static void test_bad_json(void **state)
{
    static const char *const bodies[] = {
        "",
        "{\"more\": tru",
        "<html><body>Bad gateway</body></html>",
        "[1,2,3]",
        "\"objects\"",
        "{\"objects\":{}}",
        "{\"objects\":[1]}",
        "{\"objects\":[],\"more\":\"yes\"}",
        "{\"objects\":[],\"next\":5}",
        "{\"more\":false,\"more\":true}",
        "{\"objects\":[{\"a\":[[[[[[1]]]]]]}]}", /* 9 deep: over max_depth 8 */
    };
    struct fed_ask a = ask_next(10);

    (void)state;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct fed_guard g;
        struct fed_resp r;
        char *b = strdup(bodies[i]);

        assert_non_null(b);
        fed_guard_init(&g, &opts);
        resp(&r, 200, TAXII, b, NULL, NULL);
        if (judge(&g, &a, &r) != FED_BAD_JSON)
            fail_msg("body %zu (%s) not bad_json", i, bodies[i]);
        fed_guard_free(&g);
    }
    /* more objects than http.max_objects (whatever the limit asked) */
    {
        struct fed_guard g;
        struct fed_resp r;
        struct fed_ask big = ask_next(1000);

        opts.max_objects = 3;
        fed_guard_init(&g, &opts);
        resp(&r, 200, TAXII, envelope(0, 3, 0, NULL), T1, T2);
        assert_int_equal(judge(&g, &big, &r), FED_OK);
        resp(&r, 200, TAXII, envelope(0, 4, 0, NULL), T1, T2);
        assert_int_equal(judge(&g, &big, &r), FED_BAD_JSON);
        fed_guard_free(&g);
        opts.max_objects = 1000000;
    }
    /* the control: at max_depth exactly, and an envelope without objects, pass */
    {
        struct fed_guard g;
        struct fed_resp r;
        char *b = strdup("{\"objects\":[{\"a\":[[[[[1]]]]]}]}"); /* 8 deep */

        fed_guard_init(&g, &opts);
        resp(&r, 200, TAXII, b, T1, T1);
        assert_int_equal(judge(&g, &a, &r), FED_OK);
        b = strdup("{}");
        resp(&r, 200, TAXII, b, NULL, NULL);
        assert_int_equal(judge(&g, &a, &r), FED_OK);
        fed_guard_free(&g);
    }
}

/* Fourth attack, B6: sync.max_page_bytes bounded a page's bytes, not the tree that
 * parsing it takes (a value per two bytes: ~20x the bytes in jansson, more with the
 * sanitizers). A page weighing more values than sync.max_page_values is never
 * parsed, and ends the run too_large; an 8 MiB page of `0,` at the default is one, and
 * the memory its facts hold stays within 4x its bytes (it failed on 10a578c: x35.6).
 * A page of ordinary objects at the same setting passes, at the boundary exactly. */
static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
    fclose(f);
    return res * 4096;
}

static void test_page_values_bound_the_tree(void **state)
{
    struct fed_opts def;
    struct fed_resp r;
    struct fed_facts f;
    struct fed_guard g;
    struct fed_ask a = ask_next(10);
    struct mz_error err;
    size_t cap = (size_t)8 << 20, len;
    char *body = malloc(cap + 64);
    long before, held;

    (void)state;
    assert_non_null(body);
    fed_opts_defaults(&def, NULL);
    assert_true(def.max_page_values > 0); /* the default bounds it */
    len = (size_t)snprintf(body, cap, "{\"more\":false,\"objects\":[],\"x\":[");
    while (len < cap - 4) {
        body[len++] = '0';
        body[len++] = ',';
    }
    body[len++] = '0';
    body[len++] = ']';
    body[len++] = '}';
    body[len] = '\0';
    memset(&r, 0, sizeof r);
    r.status = 200;
    r.retry_after_s = -1;
    snprintf(r.content_type, sizeof r.content_type, "%s", TAXII);
    r.body = body;
    r.len = len;
    assert_true(len <= def.max_page_bytes); /* within sync.max_page_bytes */
    before = rss_bytes();
    assert_int_equal(fed_guard_facts(&r, &def, &f, &err), FED_OK);
    held = rss_bytes() - before;
    print_message("a page of %zu bytes holds %ld bytes of tree\n", len, held);
    assert_true(held <= 4 * (long)len);
    assert_null(f.env);
    fed_guard_init(&g, &def);
    mz_error_clear(&err);
    assert_int_equal(fed_guard_check(&g, &a, &f, &err), FED_TOO_LARGE);
    assert_non_null(strstr(err.msg, "sync.max_page_values"));
    fed_guard_free(&g);
    fed_facts_clear(&f);
    free(body);

    /* ordinary objects: {"more":false,"objects":[ three indicators ]} weighs
     * 4 ({) + 4 (more: key, colon, comma) + 4 (objects: key, colon, [) + 3 x 15 (each
     * indicator: { 4, 3 keys, 3 colons, 3 strings, 2 commas) + 2 commas = 58 */
    {
        long saved = opts.max_page_values;
        opts.max_page_values = 58;
        fed_guard_init(&g, &opts);
        resp(&r, 200, TAXII, envelope(0, 3, 0, NULL), T1, T2);
        assert_int_equal(judge(&g, &a, &r), FED_OK);
        fed_guard_free(&g);
        opts.max_page_values = 57;
        fed_guard_init(&g, &opts);
        resp(&r, 200, TAXII, envelope(0, 3, 0, NULL), T1, T2);
        assert_int_equal(judge(&g, &a, &r), FED_TOO_LARGE);
        fed_guard_free(&g);
        opts.max_page_values = saved;
    }
}

static void test_bad_header(void **state)
{
    struct fed_ask a = ask_next(10), after = {10, 0, "2026-01-01T00:00:01.500000Z", 0};
    struct fed_guard g;
    struct fed_resp r;

    (void)state;
    fed_guard_init(&g, &opts);
    /* objects without the headers */
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), NULL, T2);
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T1, NULL);
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    /* malformed */
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), "yesterday", T2);
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T1, "2026-01-01 00:00:02Z");
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T1, "2026-01-01T00:00:02+01:00");
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    /* cut by fed_http (longer than it keeps) */
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T1, T2);
    r.hdr_cut = 1;
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    /* first after last */
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T2, T1);
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    /* first earlier than the added_after asked; the control: later passes */
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), T1, T2);
    assert_int_equal(judge(&g, &after, &r), FED_BAD_HEADER);
    resp(&r, 200, TAXII, envelope(0, 2, 0, NULL), "2026-01-01T00:00:01.6Z", T2);
    assert_int_equal(judge(&g, &after, &r), FED_OK);
    /* an empty page needs no dates; a malformed one present is still refused */
    resp(&r, 200, TAXII, envelope(0, 0, 0, NULL), NULL, NULL);
    assert_int_equal(judge(&g, &a, &r), FED_OK);
    resp(&r, 200, TAXII, envelope(0, 0, 0, NULL), "soon", NULL);
    assert_int_equal(judge(&g, &a, &r), FED_BAD_HEADER);
    /* next: max_next_len (16) bytes pass, 17 do not */
    assert_int_equal(page(&g, &a, 10, 2, 1, "0123456789abcdef"), FED_OK);
    assert_int_equal(page(&g, &a, 20, 2, 1, "0123456789abcdefg"), FED_BAD_HEADER);
    fed_guard_free(&g);
}

static void test_status(void **state)
{
    static const struct {
        long status;
        enum fed_code want;
    } rows[] = {
        {200, FED_OK},          {500, FED_HTTP_5XX}, {502, FED_HTTP_5XX}, {503, FED_HTTP_5XX},
        {504, FED_HTTP_5XX},    {429, FED_HTTP_429}, {401, FED_AUTH},     {403, FED_FORBIDDEN},
        {404, FED_NOT_FOUND},   {406, FED_HTTP_4XX}, {415, FED_HTTP_4XX}, {422, FED_HTTP_4XX},
        {400, FED_HTTP_4XX},    {301, FED_REDIRECT}, {302, FED_REDIRECT}, {307, FED_REDIRECT},
        {308, FED_REDIRECT},    {204, FED_HTTP_STATUS}, {100, FED_HTTP_STATUS}, {0, FED_HTTP_STATUS},
    };
    struct fed_ask a = ask_next(10);
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct fed_guard g;
        struct fed_resp r;

        assert_int_equal(fed_guard_status(rows[i].status, 200, &err), rows[i].want);
        fed_guard_init(&g, &opts);
        resp(&r, rows[i].status, TAXII, envelope(0, 1, 0, NULL), T1, T1);
        if (judge(&g, &a, &r) != rows[i].want)
            fail_msg("status %ld not %s", rows[i].status, fed_code_name(rows[i].want));
        fed_guard_free(&g);
    }
    assert_int_equal(fed_guard_status(202, 202, &err), FED_OK);
    assert_int_equal(fed_guard_status(200, 202, &err), FED_HTTP_STATUS);
}

/* Nothing new, asked by added_after (a tie larger than a page): the limit doubles
 * to 4 x page_size, and at that cap the next stale page ends the run. */
static void test_progress_ties(void **state)
{
    struct fed_guard g;
    struct fed_ask a = {10, 0, "", 0};
    struct mz_error err;

    (void)state;
    fed_guard_init(&g, &opts);
    assert_int_equal(page(&g, &a, 0, 10, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 10, &err), FED_OK);
    assert_int_equal(page(&g, &a, 0, 10, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_OK);
    assert_int_equal(fed_guard_limit(&g), 20);
    a.limit = 20;
    assert_int_equal(page(&g, &a, 0, 20, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 10, &err), FED_OK); /* progress: the limit stays */
    assert_int_equal(fed_guard_limit(&g), 20);
    assert_int_equal(page(&g, &a, 0, 20, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_OK);
    assert_int_equal(fed_guard_limit(&g), 40);
    a.limit = 40;
    assert_int_equal(page(&g, &a, 0, 40, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 20, &err), FED_OK);
    assert_int_equal(page(&g, &a, 0, 40, 1, NULL), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_NO_PROGRESS);
    assert_int_equal(fed_guard_limit(&g), 40);
    fed_guard_free(&g);

    /* the cap is 4 x page_size even from an odd page size */
    opts.page_size = 3;
    fed_guard_init(&g, &opts);
    a.limit = 3;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(page(&g, &a, 0, 3, 1, NULL), FED_OK);
        assert_int_equal(fed_guard_progress(&g, &a, 0, &err), i < 2 ? FED_OK : FED_NO_PROGRESS);
    }
    assert_int_equal(fed_guard_limit(&g), 12);
    fed_guard_free(&g);
    opts.page_size = 10;
}

/* Nothing new on pages reached by next (each page other objects, all held already):
 * max_stale_pages such pages pass, one more is no_progress; new objects reset it. */
static void test_progress_stale(void **state)
{
    struct fed_guard g;
    struct fed_ask a = ask_next(10);
    struct mz_error err;
    char next[16];
    int k = 0;

    (void)state;
    fed_guard_init(&g, &opts);
    for (int i = 0; i < 5; i++, k++) {
        snprintf(next, sizeof next, "s%d", k);
        a.limit = fed_guard_limit(&g);
        assert_int_equal(page(&g, &a, k * 10, 10, 1, next), FED_OK);
        assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_OK);
    }
    assert_int_equal(fed_guard_limit(&g), 40);
    snprintf(next, sizeof next, "s%d", k);
    assert_int_equal(page(&g, &a, k++ * 10, 10, 1, next), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 1, &err), FED_OK);
    for (int i = 0; i < 5; i++, k++) {
        snprintf(next, sizeof next, "s%d", k);
        assert_int_equal(page(&g, &a, k * 10, 10, 1, next), FED_OK);
        assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_OK);
    }
    snprintf(next, sizeof next, "s%d", k);
    assert_int_equal(page(&g, &a, k * 10, 10, 1, next), FED_OK);
    assert_int_equal(fed_guard_progress(&g, &a, 0, &err), FED_NO_PROGRESS);
    fed_guard_free(&g);
}

static void test_time_norm(void **state)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: refused */
    } rows[] = {
        {"2026-12-07T19:28:15Z", "2026-12-07T19:28:15.000000Z"},
        {"2026-12-07T19:28:15.1Z", "2026-12-07T19:28:15.100000Z"},
        {"2026-12-07T19:28:15.123456Z", "2026-12-07T19:28:15.123456Z"},
        {"2026-12-07T19:28:15.123456789Z", "2026-12-07T19:28:15.123456Z"},
        {"2026-12-07t19:28:15.5z", "2026-12-07T19:28:15.500000Z"},
        {"2026-12-07T19:28:15.1234567890Z", NULL},
        {"2026-12-07T19:28:15.Z", NULL},
        {"2026-12-07T19:28:15", NULL},
        {"2026-12-07T19:28:15+00:00", NULL},
        {"2026-13-07T19:28:15Z", NULL},
        {"2026-12-07T24:28:15Z", NULL},
        {"2026-12-07T19:28:15ZZ", NULL},
        {"", NULL},
        {"yesterday", NULL},
    };
    char out[FED_TIME_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = fed_time_norm(rows[i].in, strlen(rows[i].in), out);

        if (rows[i].out) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, rows[i].out);
        } else if (rc != -1) {
            fail_msg("'%s' accepted as %s", rows[i].in, out);
        }
    }
}

static void test_time_minus_1us(void **state)
{
    char out[FED_TIME_LEN];

    (void)state;
    assert_int_equal(fed_time_minus_1us("2026-12-07T19:28:15.123456Z", out), 0);
    assert_string_equal(out, "2026-12-07T19:28:15.123455Z");
    assert_int_equal(fed_time_minus_1us("2027-01-01T00:00:00.000000Z", out), 0);
    assert_string_equal(out, "2026-12-31T23:59:59.999999Z");
    assert_int_equal(fed_time_minus_1us("2024-03-01T00:00:00.000000Z", out), 0);
    assert_string_equal(out, "2024-02-29T23:59:59.999999Z");
    assert_int_equal(fed_time_minus_1us("2024-03-01T00:00:00Z", out), -1); /* not normalised */
    assert_int_equal(fed_time_minus_1us("never", out), -1);
}

static void test_code_names(void **state)
{
    (void)state;
    assert_string_equal(fed_code_name(FED_TLS), "tls");
    assert_string_equal(fed_code_name(FED_TOO_LARGE), "too_large");
    assert_string_equal(fed_code_name(FED_REPEATED_PAGE), "repeated_page");
    assert_string_equal(fed_code_name(FED_NO_PROGRESS), "no_progress");
    for (int c = FED_OK; c <= FED_NOMEM; c++)
        assert_string_not_equal(fed_code_name((enum fed_code)c), "unknown");
    assert_true(fed_code_retryable(FED_HTTP_5XX));
    assert_true(fed_code_retryable(FED_TIMEOUT));
    assert_false(fed_code_retryable(FED_TLS));
    assert_false(fed_code_retryable(FED_TOO_LARGE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compliant_walk_passes),
        cmocka_unit_test(test_same_next_every_page),
        cmocka_unit_test(test_repeated_page),
        cmocka_unit_test(test_empty_pages),
        cmocka_unit_test(test_empty_pages_that_move_on),
        cmocka_unit_test(test_run_limits),
        cmocka_unit_test(test_over_limit),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_page_values_bound_the_tree),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_progress_ties),
        cmocka_unit_test(test_progress_stale),
        cmocka_unit_test(test_time_norm),
        cmocka_unit_test(test_time_minus_1us),
        cmocka_unit_test(test_code_names),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
