/* tests/unit/domain/test_caps.c - docs/model.md R6.5's caps in the ingest use case
 * (svc_ingest, domain/svc_ingest.c), against a real SQLite store:
 *   - versions per object (bundle_limits.max_versions, ingest.max_versions): the
 *     version beyond the cap is refused (409, "post a new object"), counted among the
 *     versions the poster may read, so that a colleague's hidden RED version changes
 *     nothing in what the poster is told (R5); a duplicate of a stored version is
 *     still a duplicate;
 *   - objects per id (max_objects_per_id, sync.max_objects_per_id): applied to what a
 *     peer sends (issue 11's sync sets it), a new object beyond the cap is skipped,
 *     the rest of the bundle stored; members' writes (0: no cap) never are, so that
 *     nobody keeps another organisation from its own copy.
 *   - per-object mode's result (TAXII POST, the fifth re-attack's F5): the items of
 *     at most max_details successes and as many failures are kept, the counts exact.
 * Each fails on the code before the caps (everything was stored; every item kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "domain/svc.h"
#include "store/store.h"
#include "util/uuid.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

enum { P_AL, P_AL2, P_ME, P_RS, N_P };

struct fx {
    char dir[64];
    struct store *st;
    struct principal p[N_P];
};

static void principal_of(struct store *st, const char *user, struct principal *p)
{
    struct mz_error err;

    /* with its organisation's communities, as every principal is made (issue 11) */
    assert_int_equal(svc_principal_of_user(st, user, p, &err), MZ_OK);
}

static void add(struct fx *f, const char *org, const char *country, const char *user)
{
    struct principal console;
    struct svc_org_new o = {org, NULL, country, NULL, "national-csirt", NULL};
    struct svc_user_new un = {org, user, "analyst", NULL, 0};
    struct store_org so;
    struct store_user u;
    struct mz_error err;
    char key[SVC_KEY_LEN];

    principal_console(&console);
    if (svc_org_add(f->st, &console, &o, &so, &err) != MZ_OK && err.code != MZ_ECONFLICT)
        fail_msg("org add: %s", err.msg);
    assert_int_equal(svc_user_add(f->st, &console, &un, &u, key, &err), MZ_OK);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;

    assert_non_null(f);
    assert_int_equal(mz_random_init(), MZ_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-caps-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, NULL, &f->st, &err), MZ_OK);
    add(f, "al-cert", "AL", "analyst@al-cert");
    add(f, "al-cert", "AL", "analyst2@al-cert");
    add(f, "me-cirt", "ME", "analyst@me-cirt");
    add(f, "rs-cert", "RS", "analyst@rs-cert");
    principal_of(f->st, "analyst@al-cert", &f->p[P_AL]);
    principal_of(f->st, "analyst2@al-cert", &f->p[P_AL2]);
    principal_of(f->st, "analyst@me-cirt", &f->p[P_ME]);
    principal_of(f->st, "analyst@rs-cert", &f->p[P_RS]);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return 1;
    free(f);
    return 0;
}

/* An indicator of id (its UUID's last digits n) with `modified` 2025-01-<day>. */
static void body_of(char *out, size_t cap, int n, int day, const char *marking)
{
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--c0ffee00-0000-4000-8000-0000000000%02d\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-%02dT00:00:00.000Z\",\"name\":\"c\","
             "\"pattern\":\"[domain-name:value = 'c%d.example']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}",
             n, day, n, marking);
}

/* Post as principal k under lim: the status, and whether the object was skipped. */
static enum mz_err post(struct fx *f, int k, const struct bundle_limits *lim, int n, int day, const char *marking,
                        int *skipped, struct mz_error *err)
{
    struct svc_ingest_result res;
    char body[800];
    enum mz_err rc;

    body_of(body, sizeof body, n, day, marking);
    rc = svc_ingest(f->st, &f->p[k], body, strlen(body), lim, &res, err);
    if (skipped)
        *skipped = !rc && res.n_skipped == 1;
    if (!rc)
        svc_ingest_result_free(&res);
    return rc;
}

static void test_versions_per_object(void **state)
{
    struct fx *f = *state;
    struct bundle_limits lim = {64, 1000, -1, 3, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct mz_error err;

    assert_int_equal(post(f, P_AL, &lim, 1, 2, GREEN, NULL, &err), MZ_OK);
    assert_int_equal(post(f, P_AL, &lim, 1, 3, GREEN, NULL, &err), MZ_OK);
    /* a colleague's RED version joins the object; analyst@al-cert may not read it */
    assert_int_equal(post(f, P_AL2, &lim, 1, 4, RED, NULL, &err), MZ_OK);
    /* two versions it may read: one more */
    assert_int_equal(post(f, P_AL, &lim, 1, 5, GREEN, NULL, &err), MZ_OK);
    /* three: no more, the same answer whatever is hidden */
    assert_int_equal(post(f, P_AL, &lim, 1, 6, GREEN, NULL, &err), MZ_ECONFLICT);
    assert_string_equal(err.field, "/modified");
    assert_non_null(strstr(err.msg, "ingest.max_versions"));
    assert_non_null(strstr(err.msg, "post a new object"));
    assert_non_null(strstr(err.msg, "3 versions"));
    /* a stored version again is still a duplicate */
    assert_int_equal(post(f, P_AL, &lim, 1, 5, GREEN, NULL, &err), MZ_OK);
    /* the colleague reads all four: refused too */
    assert_int_equal(post(f, P_AL2, &lim, 1, 7, GREEN, NULL, &err), MZ_ECONFLICT);
    /* no cap: stored */
    lim.max_versions = 0;
    assert_int_equal(post(f, P_AL, &lim, 1, 6, GREEN, NULL, &err), MZ_OK);
}

static void test_objects_per_id(void **state)
{
    struct fx *f = *state;
    struct bundle_limits members = {64, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0}, peers = {64, 1000, -1, 0, 2, 0, 0, 0, 0, NULL, 0, 0};
    struct mz_error err;
    int skipped = 0;

    /* three organisations' copies of one open id, as members post them: all stored */
    assert_int_equal(post(f, P_AL, &members, 2, 2, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
    assert_int_equal(post(f, P_ME, &members, 2, 2, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
    assert_int_equal(post(f, P_RS, &members, 2, 2, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
    /* as a peer sends them, capped at two objects of the id: the third is skipped */
    assert_int_equal(post(f, P_AL, &peers, 3, 2, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
    assert_int_equal(post(f, P_ME, &peers, 3, 2, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
    assert_int_equal(post(f, P_RS, &peers, 3, 2, GREEN, &skipped, &err), MZ_OK);
    assert_true(skipped);
    /* a new version of an object it holds is no new object */
    assert_int_equal(post(f, P_ME, &peers, 3, 3, GREEN, &skipped, &err), MZ_OK);
    assert_false(skipped);
}

/* The fifth re-attack's F5: per-object mode (TAXII POST) keeps the items of at most
 * max_details successes and as many failures, whatever the envelope's size; the
 * counts stay exact (a million {} kept a million reasons: +470 MB). */
static void test_per_object_details_capped(void **state)
{
    struct fx *f = *state;
    struct bundle_limits lim = {64, 100000, -1, 0, 0, 0, 0, 0, 0, NULL, 3, 0};
    struct svc_ingest_result res;
    struct mz_error err;
    size_t cap = 1 << 20, used;
    char *body = malloc(cap);
    size_t fails = 0, oks = 0;

    assert_non_null(body);
    used = (size_t)snprintf(body, cap, "{\"objects\":[");
    for (int i = 0; i < 5000; i++)
        used += (size_t)snprintf(body + used, cap - used, "%s{}", i ? "," : "");
    for (int n = 50; n < 56; n++) {
        used += (size_t)snprintf(body + used, cap - used, ",");
        body_of(body + used, cap - used, n, 2, GREEN);
        used += strlen(body + used);
    }
    snprintf(body + used, cap - used, "]}");
    assert_int_equal(svc_ingest_flags(f->st, &f->p[P_AL], body, strlen(body), &lim,
                                      SVC_INGEST_PER_OBJECT | SVC_INGEST_TAXII_ENVELOPE, &res, &err),
                     MZ_OK);
    free(body);
    /* exact counts */
    assert_int_equal(res.n_total, 5006);
    assert_int_equal(res.n_failed, 5000);
    assert_int_equal(res.n_new, 6);
    /* at most the cap of each kind kept */
    assert_true(res.n_items <= 6);
    for (size_t i = 0; i < res.n_items; i++) {
        if (res.items[i].failed)
            fails++;
        else
            oks++;
    }
    assert_int_equal(fails, 3);
    assert_int_equal(oks, 3);
    svc_ingest_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_per_object),
        cmocka_unit_test(test_objects_per_id),
        cmocka_unit_test(test_per_object_details_capped),
    };

    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
