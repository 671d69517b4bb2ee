/* tests/integ/test_taxii_positions.c - what an empty TAXII page whose work ran out
 * states of the rows it examined (docs/federation.md 10.3; docs/security.md, issue 11's
 * fourth attack, B4), against a real `mreza serve`.
 *
 * The third attack's fix (A1) made such a page state, in X-TAXII-Date-Added-First/Last,
 * the date_added of the last row it examined, so that a reader paging by added_after
 * moves on past rows it may not read. But the reader chose added_after to the
 * microsecond, and the row stated is always the api.page_work-th after it: moving
 * added_after across the stretch (a binary search, about 40 requests a row) gave the
 * date of every row of the stretch past its first api.page_work, and where each
 * begins. Now the position is stated only to a reader whose added_after is a position
 * of the query (a row it examines is there: an object it was served, a position this
 * node stated) or who gives none. Here, at api.page_work=4, peer me (a peer's key: its
 * prefilter lets every level but RED through, so rows it may not read spend the work)
 * pages from its own CLEAR past 12 AMBER+STRICT indicators of xk-cert: it is stated
 * the 4th (the accepted one, the chain from its object), and its search learns no
 * other date of theirs (on 09d0378 it learnt three, each checked against the store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"

static struct hnode node;
static char key_al[64], key_xk[64], key_peer[64];

/* RFC 3339 with microseconds <-> microseconds since the epoch. */
static long long us_of(const char *t)
{
    struct tm tm;
    char frac[8] = "000000";
    const char *dot = strchr(t, '.');

    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%S", &tm));
    if (dot)
        for (int i = 0; i < 6 && dot[1 + i] >= '0' && dot[1 + i] <= '9'; i++)
            frac[i] = dot[1 + i];
    return (long long)timegm(&tm) * 1000000LL + atoll(frac);
}

static void text_of(long long us, char *out, size_t cap)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;

    gmtime_r(&s, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1000000);
}

/* GET mreza-direct/objects after `after` as peer me: the X-TAXII-Date-Added-Last of an empty
 * page with more, in microseconds (0 when the page is not empty or states none). */
static long long stated(long long after)
{
    const char *headers[] = {"Accept: " TAXII_TYPE, NULL};
    char path[256], t[40];
    struct hresp r;
    long long v = 0;
    const char *h;

    text_of(after, t, sizeof t);
    snprintf(path, sizeof path, "/taxii2/api/collections/mreza-direct/objects/?added_after=%s", t);
    assert_int_equal(h_http_hdr(&node, "GET", path, key_peer, headers, NULL, 0, &r), 200);
    if (getenv("A4_DEBUG"))
        print_message("%s\n%s\n%.400s\n", path, r.headers, r.body ? r.body : "");
    h = strstr(r.headers, "X-TAXII-Date-Added-Last: ");
    if (h && r.body && !strstr(r.body, "indicator--")) { /* an empty page */
        char d[40];
        sscanf(h + strlen("X-TAXII-Date-Added-Last: "), "%39s", d);
        v = us_of(d);
        if (v == after) /* the added_after asked, said back: nothing learnt */
            v = 0;
    }
    hresp_free(&r);
    return v;
}

static void post(const char *key, const char *marking, int from, int n)
{
    char *b = malloc(1 << 16);
    size_t len;
    struct hresp r;
    long st;

    assert_non_null(b);
    len = (size_t)snprintf(b, 1 << 16, "{\"type\":\"bundle\",\"id\":\"bundle--4a4a0000-0000-4000-8000-0000000000%02d\","
                                       "\"objects\":[", from);
    for (int i = from; i < from + n; i++)
        len += (size_t)snprintf(b + len, (1 << 16) - len,
                                "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--4a4a0000-0000-"
                                "4000-8000-0000000000%02d\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":"
                                "\"2025-01-01T00:00:00.000Z\",\"name\":\"n%d\",\"pattern\":\"[domain-name:value = "
                                "'h%d.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
                                "\"object_marking_refs\":[\"%s\"]}",
                                i == from ? "" : ",", i, i, i, marking);
    len += (size_t)snprintf(b + len, (1 << 16) - len, "]}");
    st = h_http(&node, "POST", "/api/v1/objects", key, b, len, &r);
    if (st != 200 && st != 201)
        fail_msg("POST: %ld %.300s", st, r.body ? r.body : "");
    hresp_free(&r);
    free(b);
}

static void test_hidden_row_dates_not_searchable(void **state)
{
    const char *const sets[] = {"api.page_work=4", NULL};
    const char *headers[] = {"Accept: " TAXII_TYPE, NULL};
    struct hresp r;
    long long start, first, lo, hi, second, learnt[3];
    const char *h;
    char d[40];
    int n_learnt = 0;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", key_al);
    h_add_user(&node, "reporter@xk-cert", "xk-cert", "reporter", key_xk);
    {
        const char *const add[] = {"peer", "add", "me", "--url", "https://me.example:8470/taxii2/api/", NULL};
        char *out = NULL, *err = NULL;
        const char *k;
        assert_int_equal(h_cli_err(&node, &out, &err, add), 0);
        k = strstr(out, "\nmz_");
        assert_non_null(k);
        snprintf(key_peer, sizeof key_peer, "%.46s", k + 1);
        free(out);
        free(err);
    }
    h_start(&node, sets);
    /* the reader's own CLEAR: where it starts (its date, served to it) */
    post(key_al, CLEAR, 1, 1);
    assert_int_equal(h_http_hdr(&node, "GET", "/taxii2/api/collections/mreza-direct/objects/?match[id]=indicator--"
                                              "4a4a0000-0000-4000-8000-000000000001",
                                key_peer, headers, NULL, 0, &r),
                     200);
    h = strstr(r.headers, "X-TAXII-Date-Added-Last: ");
    assert_non_null(h);
    sscanf(h + strlen("X-TAXII-Date-Added-Last: "), "%39s", d);
    hresp_free(&r);
    start = us_of(d);
    /* xk-cert's 12 AMBER+STRICT: none of them al-cert's to read or to know of */
    post(key_xk, AMBER_STRICT, 10, 12);

    /* the accepted one: the 4th hidden row's date */
    first = stated(start);
    assert_true(first > start);
    learnt[n_learnt++] = first;
    /* search the added_after at which the stated row changes: that added_after is
     * the first hidden row's date, and what is stated there the 5th row's */
    lo = start;
    hi = first;
    while (hi - lo > 1) {
        long long mid = lo + (hi - lo) / 2;
        if (stated(mid) == first)
            lo = mid;
        else
            hi = mid;
    }
    second = stated(hi);
    if (second && second != first)
        learnt[n_learnt++] = second;
    if (hi != first && hi > start)
        learnt[n_learnt++] = hi; /* the first hidden row's own date */
    {
        int hidden = 0;
        for (int i = 0; i < n_learnt; i++) {
            char t[40], where[200];
            text_of(learnt[i], t, sizeof t);
            /* is it the date_added of one of xk-cert's hidden indicators? */
            snprintf(where, sizeof where,
                     "date_added = '%s' AND stix_id >= 'indicator--4a4a0000-0000-4000-8000-000000000010'", t);
            if (h_db_count(&node, where) == 1) {
                print_message("learnt a hidden row's date_added: %s\n", t);
                hidden++;
            }
        }
        /* the 4th, stated to a reader paging from its own object, is a hidden row's */
        assert_true(hidden >= 1);
        /* on 09d0378: three dates of xk-cert's hidden rows, where one is accepted */
        assert_int_equal(hidden, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hidden_row_dates_not_searchable),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    h_node_free(&node);
    return rc;
}
