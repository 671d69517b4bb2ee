/* tests/integ/test_crash.c - an acknowledged write survives kill -9.
 * A thread posts bundles back to back over HTTP while the main thread kills the
 * server with SIGKILL after a few acknowledgements, mid-way through the next
 * bundle. After a restart: every object of every acknowledged bundle is there, no
 * bundle is partly there, the integrity check passes and the node answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N_BUNDLES 40
#define PER_BUNDLE 4000 /* about 1.6 MB: large enough for the two-thread ingest */

static struct hnode node;
static char key[64];
static atomic_int acked;     /* bundles acknowledged with 201 */
static atomic_int attempted; /* bundles whose POST was started */

static char *make_bundle(int b)
{
    size_t cap = (size_t)PER_BUNDLE * 400 + 256, n = 0;
    char *s = malloc(cap);

    n += (size_t)snprintf(s, cap, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-%012x\",\"objects\":[", b);
    for (int i = 0; i < PER_BUNDLE; i++)
        n += (size_t)snprintf(s + n, cap - n,
                              "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                              "\"id\":\"indicator--00000000-0000-4000-8000-%04x%08x\","
                              "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                              "\"pattern\":\"[ipv4-addr:value = '10.%d.%d.%d']\",\"pattern_type\":\"stix\","
                              "\"valid_from\":\"2024-01-01T00:00:00Z\","
                              "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]}",
                              i ? "," : "", b, i, b, i / 256, i % 256);
    snprintf(s + n, cap - n, "]}");
    return s;
}

static void *poster(void *arg)
{
    (void)arg;
    for (int b = 0; b < N_BUNDLES; b++) {
        char *body = make_bundle(b);
        struct hresp r;
        long st;
        atomic_store(&attempted, b + 1);
        st = h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), &r);
        hresp_free(&r);
        free(body);
        if (st != 201)
            break;
        atomic_store(&acked, b + 1);
    }
    return NULL;
}

static void test_kill9_during_bulk_import(void **state)
{
    pthread_t t;
    int n_acked, n_attempted;
    long long present_total = 0;
    char where[128], path[128];
    struct hresp r;

    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", key);
    h_start(&node, NULL);
    pthread_create(&t, NULL, poster, NULL);
    for (int i = 0; i < 6000 && atomic_load(&acked) < 3; i++) {
        struct pollfd none;
        poll(&none, 0, 5);
    }
    assert_true(atomic_load(&acked) >= 3);
    h_kill9(&node);
    pthread_join(t, NULL);
    n_acked = atomic_load(&acked);
    n_attempted = atomic_load(&attempted);
    print_message("acknowledged %d bundles, attempted %d\n", n_acked, n_attempted);
    assert_true(n_attempted > n_acked); /* one was in flight when the node died */

    h_start(&node, NULL);
    assert_true(h_db_integrity_ok(&node));
    for (int b = 0; b < n_attempted; b++) {
        long long n;
        snprintf(where, sizeof where, "stix_id >= 'indicator--00000000-0000-4000-8000-%04x' AND stix_id < 'indicator--00000000-0000-4000-8000-%04x'", b, b + 1);
        n = h_db_count(&node, where);
        if (b < n_acked)
            assert_int_equal(n, PER_BUNDLE);         /* acknowledged: all there */
        else
            assert_true(n == 0 || n == PER_BUNDLE);  /* never partly */
        present_total += n;
    }
    /* and the restarted node serves them */
    snprintf(path, sizeof path, "/api/v1/count?type=indicator");
    assert_int_equal(h_http(&node, "GET", path, key, NULL, 0, &r), 200);
    snprintf(where, sizeof where, "\"count\":%lld}", present_total);
    assert_non_null(strstr(r.body, where));
    hresp_free(&r);
    assert_int_equal(h_node_free(&node), 0);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_during_bulk_import),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
