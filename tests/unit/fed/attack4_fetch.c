/* tests/unit/fed/attack4_fetch.c - the fourth hostile review of issue 11
 * (docs/security.md, "Issue 11: rosters, the directory, mutual TLS and the fetcher,
 * attacked"), finding B6: a reproduction, not part of the suite (tests/run.sh and
 * tests-build take test_*.c only); it FAILS on main at 10a578c. Build and run:
 *   make -s -j2 SANITIZE=1 build/san/tests/unit/fed/attack4_fetch
 *   BUILD=build/san sh tests/run.sh build/san/tests/unit/fed/attack4_fetch
 *
 * B6: sync.max_page_bytes bounds a page's bytes, not the memory its reading takes.
 * fed_guard_facts (fed_guard.c:279) parses the whole body into a jansson tree, and a
 * peer's page may hold any JSON beside `objects` (here {"more":false,"objects":[],
 * "x":[0,0,...]}, 8 MiB): each 2-byte element costs a json_t and an array slot,
 * about 20 bytes of tree per byte of page (measured: 8 MiB -> 160 MiB, -O2 without
 * sanitizers). At the default sync.max_page_bytes (64 MiB) one page is ~1.3 GB; since
 * perf3 a run holds page N's tree while the fetch thread parses N+1 (and page N-1 may
 * still be being freed), and the scheduler runs sync.workers (2) peers at once: a
 * hostile peer (or two) takes mreza serve to several GB. The test measures the
 * resident memory the facts of one 8 MiB page hold and asserts it stays within 4x
 * the page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/fed.h"

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
    fclose(f);
    return res * 4096;
}

static void test_attack_page_tree_unbounded(void **state)
{
    struct fed_opts opts;
    struct fed_resp r;
    struct fed_facts f;
    struct mz_error err;
    size_t cap = (size_t)8 << 20, len;
    char *body = malloc(cap + 64);
    long before, held;

    (void)state;
    assert_non_null(body);
    fed_opts_defaults(&opts, NULL);
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
    snprintf(r.content_type, sizeof r.content_type, "application/taxii+json;version=2.1");
    r.body = body;
    r.len = len;
    assert_true(len <= (size_t)opts.max_page_bytes); /* within sync.max_page_bytes */
    before = rss_bytes();
    assert_int_equal(fed_guard_facts(&r, &opts, &f, &err), FED_OK);
    assert_true(f.envelope_ok); /* a page the guard passes: no objects, no more */
    held = rss_bytes() - before;
    print_message("a page of %zu bytes holds %ld bytes of tree (x%.1f)\n", len, held, (double)held / (double)len);
    fed_facts_clear(&f);
    free(body);
    /* FAILS on 10a578c: about 20x (more with the sanitizers) */
    assert_true(held <= 4 * (long)len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attack_page_tree_unbounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
