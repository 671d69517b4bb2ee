/* tests/integ/test_page_work.c - a page's work is bounded (api.page_work), against a
 * real `mreza serve` (issue 11, second attack on the TAXII read side, F3).
 * The reproduction: one bundle of ids whose versions are interleaved (consecutive
 * objects of different ids) made every row of a TAXII read with match[version]
 * (and, once the ids were `cx`, every row of the default read, TAXII's and REST's)
 * load all the versions of its id again: a cache of 8 recent ids missed on every
 * row, and one read cost limit x versions-per-id (53 s for 10 ids x 1000 versions).
 * Now the choices are kept by id for the page, and a page ends once it has done
 * api.page_work of work (rows read plus versions weighed), with more and a next
 * token. No timing here: the budget is set small (40) and the test asserts that
 *   - the page ends early (more:true while far fewer than limit were served), which
 *     it did not before (every row read in one page, more:false);
 *   - paging on by next still yields exactly the full set: every object once, no
 *     duplicate, no gap, and for match[version]=first each id's first version;
 *   - the same for REST's default list over ids made `cx` by another
 *     organisation's copy. */
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

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define N_IDS 4
#define N_VERSIONS 10
#define WORK "40"

static struct hnode node;
static char key_a[64], key_b[64];

static json_t *get(const char *path, const char *key)
{
    const char *headers[] = {strncmp(path, "/taxii2/", 8) ? "Accept: application/json" : "Accept: " TAXII_TYPE, NULL};
    struct hresp r;
    json_t *v;

    if (h_http_hdr(&node, "GET", path, key, headers, NULL, 0, &r) != 200)
        fail_msg("GET %s: %ld %.300s", path, r.status, r.body ? r.body : "");
    v = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    assert_non_null(v);
    return v;
}

static void id_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "indicator--5a9e0000-0000-4000-8000-0000000000%02d", i);
}

static void version_of(int v, char *out, size_t cap)
{
    snprintf(out, cap, "2025-01-01T00:00:%02d.000Z", v);
}

/* A bundle being written. */
struct hbuf_ {
    char *s;
    size_t len, cap;
};

/* One indicator version (id i, version v, name name), appended to b. */
static void object(struct hbuf_ *b, int i, int v, const char *name)
{
    char id[80], ver[40];

    id_of(i, id, sizeof id);
    version_of(v, ver, sizeof ver);
    b->len += (size_t)snprintf(b->s + b->len, b->cap - b->len,
                               "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                               "\"2025-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"name\":\"%s\","
                               "\"pattern\":\"[domain-name:value = 'w%d.example']\",\"pattern_type\":\"stix\","
                               "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN "\"]}",
                               b->s[b->len - 1] == '[' ? "" : ",", id, ver, name, i);
    assert_true(b->len < b->cap);
}

static void post(const char *key, struct hbuf_ *b)
{
    struct hresp r;
    long st;

    b->len += (size_t)snprintf(b->s + b->len, b->cap - b->len, "]}");
    st = h_http(&node, "POST", "/api/v1/objects", key, b->s, b->len, &r);
    if (st != 200 && st != 201)
        fail_msg("POST: %ld %.300s", st, r.body ? r.body : "");
    hresp_free(&r);
}

static void bundle_start(struct hbuf_ *b, const char *uuid)
{
    b->cap = 1 << 20;
    b->s = malloc(b->cap);
    assert_non_null(b->s);
    b->len = (size_t)snprintf(b->s, b->cap, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
}

static int setup(void **state)
{
    const char *const sets[] = {"api.page_work=" WORK, NULL};
    struct hbuf_ b;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "me-bank", "ME", "operator");
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", key_a);
    h_add_user(&node, "analyst@me-bank", "me-bank", "analyst", key_b);
    h_start(&node, sets);
    /* N_IDS ids x N_VERSIONS versions, interleaved: v1 of each id, then v2 of each... */
    bundle_start(&b, "5a9e0000-0000-4000-8000-000000000001");
    for (int v = 1; v <= N_VERSIONS; v++)
        for (int i = 0; i < N_IDS; i++)
            object(&b, i, v, "a");
    post(key_a, &b);
    free(b.s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&node);
    return 0;
}

/* Page through path (which ends in a query; next is added) as key: every object (or
 * manifest record) into seen[] as "id version", counting pages. list: "objects" or
 * "data". Asserts the first page ends early. */
static size_t walk(const char *path, const char *key, const char *list, int taxii, char seen[][128], size_t cap,
                   int *pages)
{
    char url[600], next[400] = "";
    size_t n = 0;

    *pages = 0;
    for (;;) {
        json_t *v, *o, *more;
        size_t i;

        snprintf(url, sizeof url, "%s%s%s", path, next[0] ? "&next=" : "", next);
        v = get(url, key);
        (*pages)++;
        json_array_foreach(json_object_get(v, list), i, o)
        {
            const char *ver = json_string_value(json_object_get(o, "version"));
            if (!ver)
                ver = json_string_value(json_object_get(o, "modified"));
            assert_true(n < cap);
            snprintf(seen[n++], 128, "%s %s", json_string_value(json_object_get(o, "id")), ver ? ver : "");
        }
        more = json_object_get(v, "more");
        if (*pages == 1) {
            /* the work ran out long before the page was full */
            if (!json_is_true(more) && !json_is_string(json_object_get(v, "next")))
                fail_msg("%s: the first page (%zu of limit 100) says no more: the page's work is not bounded", path,
                         n);
        }
        if (taxii ? !json_is_true(more) : !json_is_string(json_object_get(v, "next"))) {
            json_decref(v);
            break;
        }
        snprintf(next, sizeof next, "%s", json_string_value(json_object_get(v, "next")));
        json_decref(v);
        assert_true(*pages < 1000);
    }
    return n;
}

/* seen holds each of N_IDS ids once, each at version v (0: any). */
static void exactly_each_id(char seen[][128], size_t n, int v)
{
    assert_int_equal(n, N_IDS);
    for (int i = 0; i < N_IDS; i++) {
        char id[80], ver[40], want[128];
        int found = 0;
        id_of(i, id, sizeof id);
        version_of(v, ver, sizeof ver);
        snprintf(want, sizeof want, "%s %s", id, ver);
        for (size_t k = 0; k < n; k++)
            if (v ? !strcmp(seen[k], want) : !strncmp(seen[k], id, strlen(id)))
                found++;
        if (found != 1)
            fail_msg("%s: %d times, not once", v ? want : id, found);
    }
}

static void test_match_version_first_is_bounded(void **state)
{
    char seen[64][128];
    int pages = 0;
    size_t n;

    (void)state;
    n = walk("/taxii2/api/collections/all/manifest/?limit=100&match[type]=indicator&match[version]=first", key_a, "objects", 1, seen, 64,
             &pages);
    exactly_each_id(seen, n, 1);
    assert_true(pages > 1);
    /* the objects' own endpoint alike, with versions named exactly */
    n = walk("/taxii2/api/collections/all/objects/?limit=100&match[type]=indicator&match[version]=2025-01-01T00:00:07.000Z", key_a,
             "objects", 1, seen, 64, &pages);
    exactly_each_id(seen, n, 7);
    assert_true(h_healthy(&node));
}

static void test_cx_default_read_is_bounded(void **state)
{
    char seen[64][128];
    int pages = 0;
    size_t n;
    struct hbuf_ b;

    (void)state;
    /* another organisation's copy of each id makes every id cx */
    bundle_start(&b, "5a9e0000-0000-4000-8000-000000000002");
    for (int i = 0; i < N_IDS; i++)
        object(&b, i, N_VERSIONS + 1, "b");
    post(key_b, &b);
    free(b.s);
    assert_true(h_db_count(&node, "cx = 1 AND stix_id LIKE 'indicator--5a9e%'") > 0);
    /* me-cirt is served its own object of each id, its newest version */
    n = walk("/api/v1/objects?type=indicator&limit=100", key_a, "objects", 0, seen, 64, &pages);
    exactly_each_id(seen, n, N_VERSIONS);
    assert_true(pages > 1);
    n = walk("/taxii2/api/collections/all/objects/?limit=100&match[type]=indicator", key_a, "objects", 1, seen, 64, &pages);
    exactly_each_id(seen, n, N_VERSIONS);
    assert_true(pages > 1);
    assert_true(h_healthy(&node));
}

/* The choices are kept by id for the page: 10 ids x 2 versions interleaved (more ids
 * than the 8 recent ones kept before) cost 20 rows + 20 versions = the budget (40),
 * so the page holds all 10 and says no more; a cache that missed on every row of the
 * second pass would spend the budget half way (more:true, fewer than 10). */
static void test_choices_kept_by_id(void **state)
{
    char path[4096], id[80];
    size_t len;
    struct hbuf_ b;
    json_t *v;

    (void)state;
    bundle_start(&b, "5a9e0000-0000-4000-8000-000000000003");
    for (int ver = 1; ver <= 2; ver++)
        for (int i = 10; i < 20; i++)
            object(&b, i, ver, "c");
    post(key_a, &b);
    free(b.s);
    len = (size_t)snprintf(path, sizeof path, "/taxii2/api/collections/all/manifest/?limit=100&match[version]=first&match[id]=");
    for (int i = 10; i < 20; i++) {
        id_of(i, id, sizeof id);
        len += (size_t)snprintf(path + len, sizeof path - len, "%s%s", i > 10 ? "," : "", id);
    }
    v = get(path, key_a);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 10);
    assert_false(json_is_true(json_object_get(v, "more")));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_version_first_is_bounded),
        cmocka_unit_test(test_cx_default_read_is_bounded),
        cmocka_unit_test(test_choices_kept_by_id),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
