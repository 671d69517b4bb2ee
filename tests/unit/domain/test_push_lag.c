/* tests/unit/domain/test_push_lag.c - a push peer's lag (docs/federation.md section
 * 4: "push: age of the oldest local version the peer may receive that is not yet
 * pushed (0 when none)"; svc_sync_push_lag, svc_peer_get) against a real SQLite
 * store. me-cirt's analyst posts three CLEAR indicators and then an AMBER one
 * addressed to me-cirt alone; a taxii peer `feed` is pushed the direct view:
 *   - before any push, at a clock 100 s after the first indicator's date_added, the
 *     lag is 100; once the first is pushed (its bookmark moved), it is the second's
 *     age; once all three are, 0, though the AMBER version is not pushed (the peer
 *     may not receive it: the same TLP decision as the push);
 *   - a paused peer's lag is what it would be pushed when resumed;
 *   - the view: a push peer's lag_seconds is its push lag and push_lag_seconds is in
 *     its JSON; a pull peer's push_lag_seconds is -1 (null).
 * It failed before the push lag was built: svc_sync_push_lag did not exist, and a
 * push peer's lag_seconds was the time since its last success. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

struct fx {
    char dir[64];
    struct store *st;
    struct principal console, analyst;
    char ident[STORE_IDENT_LEN];
    int64_t feed, puller;
};

static void ingest(struct fx *f, int i, const char *marking, const char *recipient)
{
    struct bundle_limits lim = {64, 1000, 900, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct svc_ingest_result res;
    struct mz_error err;
    char body[1200];

    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1a900000-0000-4000-8000-%012d\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"pattern\":"
             "\"[ipv4-addr:value = '10.0.0.%d']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s%s%s}",
             i, i, marking, recipient ? ",\"x_mreza_recipient_refs\":[\"" : "", recipient ? recipient : "",
             recipient ? "\"]" : "");
    if (svc_ingest(f->st, &f->analyst, body, strlen(body), &lim, &res, &err) != MZ_OK)
        fail_msg("ingest: %s (%s)", err.msg, err.field);
    svc_ingest_result_free(&res);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;
    struct svc_org_new o = {"me-cirt", NULL, "ME", NULL, "national-csirt", NULL};
    struct svc_user_new un = {"me-cirt", "analyst@me-cirt", "analyst", NULL, 0};
    const char *orgs[] = {"identity--feed0000-0000-4000-8000-0000000001a9"};
    const char *push[] = {"feed-coll=mreza-direct"};
    struct svc_peer_new in;
    struct store_org org;
    struct store_user u;
    struct store_node n;
    char key[SVC_KEY_LEN];

    assert_non_null(f);
    assert_int_equal(mz_random_init(), MZ_OK);
    assert_int_equal(svc_init(), MZ_OK);
    principal_console(&f->console);
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-pushlag-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, NULL, &f->st, &err), MZ_OK);
    assert_int_equal(svc_org_add(f->st, &f->console, &o, &org, &err), MZ_OK);
    snprintf(f->ident, sizeof f->ident, "%s", org.identity);
    assert_int_equal(svc_user_add(f->st, &f->console, &un, &u, key, &err), MZ_OK);
    assert_int_equal(svc_principal_of_user(f->st, "analyst@me-cirt", &f->analyst, &err), MZ_OK);

    memset(&in, 0, sizeof in);
    in.allow_http = in.paused = -1;
    in.interval = -1;
    in.name = "feed";
    in.url = "https://feed.example/api1/";
    in.kind = "taxii";
    in.direction = "push";
    in.orgs = orgs;
    in.n_orgs = 1;
    in.push_collections = push;
    in.n_push_collections = 1;
    if (svc_peer_add(f->st, &f->console, &in, NULL, key, &err))
        fail_msg("peer add feed: %s", err.msg);
    assert_int_equal(store_node_by_name(f->st, "feed", &n, &err), MZ_OK);
    f->feed = n.id;
    memset(&in, 0, sizeof in);
    in.allow_http = in.paused = -1;
    in.interval = -1;
    in.name = "puller";
    in.url = "https://puller.example/taxii2/api/";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_OK);
    assert_int_equal(store_node_by_name(f->st, "puller", &n, &err), MZ_OK);
    f->puller = n.id;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;

    svc_principal_release(&f->analyst);
    store_close(f->st);
    while (d && (de = readdir(d)) != NULL) {
        char path[512];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t lag_at(struct fx *f, int64_t id, int64_t now)
{
    struct mz_error err;
    int64_t lag = -7;

    assert_int_equal(store_begin_read(f->st, &err), MZ_OK);
    store_allow_nested(f->st, 1);
    if (svc_sync_push_lag(f->st, id, now, &lag, &err))
        fail_msg("push lag: %s", err.msg);
    store_rollback(f->st);
    store_allow_nested(f->st, 0);
    return lag;
}

/* The push subscription of feed, and the date_added of the k-th object it would be
 * pushed from its bookmark (k = 1..), as seconds into *sec. */
static size_t kth(struct fx *f, struct svc_sync_push_sub *sub, long k, char last[40], int64_t *sec)
{
    struct svc_sync_push_plan *pl = calloc(1, sizeof *pl);
    struct mz_error err;
    struct mz_buf env;
    struct mz_time t;
    size_t n = 0;
    int more = 0;

    assert_non_null(pl);
    assert_int_equal(svc_sync_push_plan(f->st, &f->console, f->feed, pl, &err), MZ_OK);
    assert_int_equal(pl->n, 1);
    *sub = pl->subs[0];
    free(pl);
    mz_buf_init(&env, (size_t)1 << 20);
    assert_int_equal(svc_sync_push_page(f->st, &f->console, f->feed, sub, k, 0, &env, &n, last, &more, NULL, &err), MZ_OK);
    mz_buf_free(&env);
    assert_true(n >= 1 && n <= (size_t)k);
    assert_int_equal(mz_time_parse(last, &t), 0);
    *sec = t.sec;
    return n;
}

static void test_push_lag(void **state)
{
    struct fx *f = *state;
    struct svc_sync_push_sub sub;
    struct svc_peer_view *v = calloc(1, sizeof *v);
    struct svc_peer_new in;
    struct mz_error err;
    struct mz_buf b;
    char last[40];
    int64_t t1, t2, t3;

    assert_non_null(v);
    /* me-cirt's identity waits already (the direct view carries it) */
    assert_true(lag_at(f, f->feed, 2000000000) > 0);
    ingest(f, 1, CLEAR_ID, NULL);
    ingest(f, 2, CLEAR_ID, NULL);
    ingest(f, 3, CLEAR_ID, NULL);
    kth(f, &sub, 1, last, &t1);
    kth(f, &sub, 2, last, &t2);
    kth(f, &sub, 3, last, &t3);
    ingest(f, 4, AMBER_ID, f->ident); /* not for the peer */
    assert_int_equal(lag_at(f, f->feed, t1 + 100), 100);
    assert_int_equal(lag_at(f, f->feed, t1 - 5), 0); /* a clock behind: never negative */

    /* the first pushed: the second is the oldest not yet */
    kth(f, &sub, 1, last, &t1);
    assert_int_equal(svc_sync_push_done(f->st, &f->console, f->feed, &sub, last, 1, 0, &err), MZ_OK);
    assert_int_equal(lag_at(f, f->feed, t1 + 100), t1 + 100 - t2);

    /* paused: what it would be pushed once resumed */
    memset(&in, 0, sizeof in);
    in.allow_http = -1;
    in.interval = -1;
    in.paused = 1;
    assert_int_equal(svc_peer_set(f->st, &f->console, "feed", &in, NULL, &err), MZ_OK);
    assert_int_equal(lag_at(f, f->feed, t1 + 100), t1 + 100 - t2);
    in.paused = 0;
    assert_int_equal(svc_peer_set(f->st, &f->console, "feed", &in, NULL, &err), MZ_OK);

    /* the view: a push peer's lag is its push lag */
    assert_int_equal(svc_peer_get(f->st, &f->console, "feed", v, &err), MZ_OK);
    assert_true(v->push_lag_seconds >= 0);
    assert_int_equal(v->lag_seconds, v->push_lag_seconds);
    mz_buf_init(&b, (size_t)1 << 20);
    svc_peer_json(&b, v);
    mz_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"push_lag_seconds\":"));
    assert_null(strstr(b.data, "\"push_lag_seconds\":null"));
    mz_buf_free(&b);

    /* all pushed (the indicators, and me-cirt's identity, first): 0, the AMBER
     * version is none of the peer's */
    assert_int_equal(kth(f, &sub, 100, last, &t3), 3);
    assert_int_equal(svc_sync_push_done(f->st, &f->console, f->feed, &sub, last, 3, 0, &err), MZ_OK);
    assert_int_equal(lag_at(f, f->feed, t3 + 100), 0);

    /* a pull peer has no push lag */
    assert_int_equal(lag_at(f, f->puller, t3 + 100), 0);
    assert_int_equal(svc_peer_get(f->st, &f->console, "puller", v, &err), MZ_OK);
    assert_int_equal(v->push_lag_seconds, -1);
    mz_buf_init(&b, (size_t)1 << 20);
    svc_peer_json(&b, v);
    mz_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"push_lag_seconds\":null"));
    mz_buf_free(&b);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_lag, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
