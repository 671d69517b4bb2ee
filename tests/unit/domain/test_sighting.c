/* tests/unit/domain/test_sighting.c - the sighting use case (domain/svc_sighting.h)
 * with structured records, against a real SQLite store:
 *   - svc_sighted_list: hits added in any order merge into one record per indicator
 *     (counts added, the earliest first and the latest last time kept);
 *   - svc_sighting_check: who may report (a user whose role may write; not an
 *     organisation as a whole, not a viewer), as a table;
 *   - svc_report_sightings: one sighting per record, stored as the reporter, with
 *     its count, times, marking (AMBER of the organisation, or RED, and anything else
 *     taken as RED) and recipients (the sharing organisation for AMBER, the sharing
 *     person for RED; nobody extra when that is the reporter's own, and nobody
 *     extra for the hits of a scan pattern, which tell their author nothing, nor
 *     for wide hits: a short range, a public suffix as parent);
 *   - wide and narrow hits of one indicator merge into two records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_sighting.h"
#include "rules/tlp.h"
#include "store/store.h"

#define T0 1767225600000000LL /* 2026-01-01T00:00:00Z in microseconds */

static void test_list_merges_per_indicator(void **state)
{
    static const struct {
        const char *id;
        int64_t first, last;
    } adds[] = {
        {"indicator--b", T0 + 5, T0 + 9},
        {"indicator--a", T0 + 3, T0 + 4},
        {"indicator--b", T0 + 1, T0 + 2},
        {"indicator--b", T0 + 6, T0 + 7},
        {"indicator--c", T0, T0},
        {"indicator--a", T0 + 2, T0 + 8},
    };
    struct svc_sighted_list l;

    (void)state;
    svc_sighted_list_init(&l);
    for (size_t i = 0; i < sizeof adds / sizeof *adds; i++)
    {
        struct svc_sighted rec = {adds[i].id, 7, 9, TLP_AMBER, 0, adds[i].first, adds[i].last, 0, 0};
        assert_int_equal(svc_sighted_list_add(&l, &rec), MZ_OK);
    }
    svc_sighted_list_merge(&l);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].indicator, "indicator--a");
    assert_int_equal(l.v[0].count, 2);
    assert_int_equal(l.v[0].first_us, T0 + 2);
    assert_int_equal(l.v[0].last_us, T0 + 8);
    assert_string_equal(l.v[1].indicator, "indicator--b");
    assert_int_equal(l.v[1].count, 3);
    assert_int_equal(l.v[1].first_us, T0 + 1);
    assert_int_equal(l.v[1].last_us, T0 + 9);
    assert_string_equal(l.v[2].indicator, "indicator--c");
    assert_int_equal(l.v[2].count, 1);
    assert_int_equal(l.v[2].owner_org, 7);
    assert_int_equal(l.v[2].submitter, 9);
    /* merging twice changes nothing */
    svc_sighted_list_merge(&l);
    assert_int_equal(l.n, 3);
    svc_sighted_list_free(&l);
    svc_sighted_list_free(&l); /* safe on a freed list */
}

/* Hits of one indicator through a wide key and through a narrow one stay two records
 * (one addressed to the owner, one not), in whichever order they come. */
static void test_list_keeps_wide_apart(void **state)
{
    static const struct {
        int64_t first;
        int wide;
    } adds[] = {{T0 + 1, 0}, {T0 + 2, 1}, {T0 + 3, 1}, {T0 + 4, 0}, {T0 + 5, 0}};
    struct svc_sighted_list l;

    (void)state;
    svc_sighted_list_init(&l);
    for (size_t i = 0; i < sizeof adds / sizeof *adds; i++) {
        struct svc_sighted rec = {"indicator--a", 7, 9, TLP_AMBER, 0, adds[i].first, adds[i].first, 0, adds[i].wide};
        assert_int_equal(svc_sighted_list_add(&l, &rec), MZ_OK);
    }
    svc_sighted_list_merge(&l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].wide, 0);
    assert_int_equal(l.v[0].count, 3);
    assert_int_equal(l.v[0].first_us, T0 + 1);
    assert_int_equal(l.v[0].last_us, T0 + 5);
    assert_int_equal(l.v[1].wide, 1);
    assert_int_equal(l.v[1].count, 2);
    svc_sighted_list_free(&l);
}

static void test_who_may_report(void **state)
{
    static const struct {
        int64_t user;
        enum role role;
        enum mz_err want;
    } cases[] = {
        {5, ROLE_ANALYST, MZ_OK},
        {5, ROLE_ADMIN, MZ_OK},
        {5, ROLE_REPORTER, MZ_OK},
        {5, ROLE_VIEWER, MZ_EFORBIDDEN},
        {0, ROLE_ANALYST, MZ_EINVAL}, /* an organisation as a whole (--as ORG) */
        {0, ROLE_REPORTER, MZ_EINVAL},
        {0, ROLE_NONE, MZ_EINVAL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct principal p;
        struct mz_error err;
        memset(&p, 0, sizeof p);
        p.user.id = cases[i].user;
        p.role = cases[i].role;
        mz_error_clear(&err);
        if (svc_sighting_check(&p, &err) != cases[i].want)
            fail_msg("case %zu: %s", i, err.msg);
        if (cases[i].want != MZ_OK)
            assert_true(err.msg[0] != '\0');
    }
}

/* ---- reporting into a real store ---- */

struct fx {
    char dir[64];
    struct store *st;
    struct principal me, al;     /* analysts of me-cirt and al-cert */
    char al_org_identity[64], al_user_identity[64];
};

static void principal_of(struct store *st, const char *user, struct principal *p)
{
    struct mz_error err;

    /* with its organisation's communities, as every principal is made (issue 11) */
    assert_int_equal(svc_principal_of_user(st, user, p, &err), MZ_OK);
}

static int fx_setup(void **state)
{
    static const char *const orgs[][2] = {{"me-cirt", "ME"}, {"al-cert", "AL"}};
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;
    struct principal console;

    principal_console(&console);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-sighting-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, NULL, &f->st, &err), MZ_OK);
    for (int i = 0; i < 2; i++) {
        struct svc_org_new o = {orgs[i][0], NULL, orgs[i][1], NULL, "national-csirt", NULL};
        struct store_org org;
        struct store_user u;
        char user[64], key[SVC_KEY_LEN];
        struct svc_user_new un = {orgs[i][0], user, "analyst", NULL, 0};
        snprintf(user, sizeof user, "analyst@%s", orgs[i][0]);
        assert_int_equal(svc_org_add(f->st, &console, &o, &org, &err), MZ_OK);
        assert_int_equal(svc_user_add(f->st, &console, &un, &u, key, &err), MZ_OK);
    }
    principal_of(f->st, "analyst@me-cirt", &f->me);
    principal_of(f->st, "analyst@al-cert", &f->al);
    snprintf(f->al_org_identity, sizeof f->al_org_identity, "%s", f->al.org.identity);
    snprintf(f->al_user_identity, sizeof f->al_user_identity, "%s", f->al.user.identity);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;

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

/* The stored sighting of indicator (parsed; caller decrefs), or NULL. */
struct find {
    const char *of;
    json_t *found;
};

static int find_sighting(void *ctx, const struct store_row *row)
{
    struct find *fd = ctx;
    json_error_t je;
    json_t *o = json_loadb(row->body, row->body_len, 0, &je);

    if (o && !strcmp(json_string_value(json_object_get(o, "sighting_of_ref")), fd->of)) {
        fd->found = o;
        return 1;
    }
    json_decref(o);
    return 0;
}

static json_t *stored_sighting(struct store *st, const char *of)
{
    static const char *const types[] = {"sighting"};
    struct store_query q;
    struct store_vis all;
    struct mz_error err;
    struct find fd = {of, NULL};

    memset(&q, 0, sizeof q);
    q.types = types;
    q.n_types = 1;
    q.tlp = -1;
    tlp_visibility_internal(&all);
    assert_int_equal(store_list(st, &all, &q, find_sighting, &fd, NULL, &err), MZ_OK);
    return fd.found;
}

static const char *recipient(json_t *s)
{
    return json_string_value(json_array_get(json_object_get(s, "x_mreza_recipient_refs"), 0));
}

static void test_report_structured_records(void **state)
{
    struct fx *f = *state;
    const struct svc_sighted list[] = {
        /* AMBER: me-cirt's, addressed also to al-cert, which shared it */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000001", f->al.org.id, f->al.user.id, TLP_AMBER, 3, T0,
         T0 + 1500000, 0, 0},
        /* RED: to the person who shared it */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000002", f->al.org.id, f->al.user.id, TLP_RED, 1, T0, T0, 0, 0},
        /* an unknown level is RED */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000003", f->al.org.id, f->al.user.id, TLP_GREEN, 2, T0, T0, 0, 0},
        /* the reporter's own organisation's indicator: no one else to address */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000004", f->me.org.id, f->me.user.id, TLP_AMBER, 1, T0, T0, 0, 0},
        /* a scan pattern's hits (a pattern evaluated on every value): its author is
         * told nothing, AMBER or RED */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000005", f->al.org.id, f->al.user.id, TLP_AMBER, 9, T0, T0, 1, 0},
        {"indicator--0a0a0a0a-0000-4000-8000-000000000006", f->al.org.id, f->al.user.id, TLP_RED, 9, T0, T0, 1, 0},
        /* a wide hit's (a short range, a public suffix as parent): the same */
        {"indicator--0a0a0a0a-0000-4000-8000-000000000007", f->al.org.id, f->al.user.id, TLP_AMBER, 2, T0, T0, 0, 1},
        {"indicator--0a0a0a0a-0000-4000-8000-000000000008", f->al.org.id, f->al.user.id, TLP_RED, 2, T0, T0, 0, 1},
    };
    struct mz_error err;
    size_t n = 0;
    json_t *s;

    assert_int_equal(svc_report_sightings(f->st, &f->me, list, 8, &n, &err), MZ_OK);
    assert_int_equal(n, 8);
    for (int i = 4; i < 8; i++) {
        s = stored_sighting(f->st, list[i].indicator);
        assert_non_null(s);
        assert_null(json_object_get(s, "x_mreza_recipient_refs"));
        assert_string_equal(json_string_value(json_array_get(json_object_get(s, "object_marking_refs"), 0)),
                            tlp_marking_id(i % 2 == 0 ? TLP_AMBER : TLP_RED));
        json_decref(s);
    }

    s = stored_sighting(f->st, list[0].indicator);
    assert_non_null(s);
    assert_int_equal(json_integer_value(json_object_get(s, "count")), 3);
    assert_string_equal(json_string_value(json_object_get(s, "first_seen")), "2026-01-01T00:00:00.000000Z");
    assert_string_equal(json_string_value(json_object_get(s, "last_seen")), "2026-01-01T00:00:01.500000Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "object_marking_refs"), 0)),
                        tlp_marking_id(TLP_AMBER));
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "where_sighted_refs"), 0)),
                        f->me.org.identity);
    assert_string_equal(json_string_value(json_object_get(s, "created_by_ref")), f->me.org.identity);
    assert_string_equal(recipient(s), f->al_org_identity);
    json_decref(s);

    s = stored_sighting(f->st, list[1].indicator);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "object_marking_refs"), 0)),
                        tlp_marking_id(TLP_RED));
    assert_string_equal(recipient(s), f->al_user_identity);
    json_decref(s);

    s = stored_sighting(f->st, list[2].indicator);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "object_marking_refs"), 0)),
                        tlp_marking_id(TLP_RED));
    assert_int_equal(json_integer_value(json_object_get(s, "count")), 2);
    json_decref(s);

    s = stored_sighting(f->st, list[3].indicator);
    assert_non_null(s);
    assert_null(json_object_get(s, "x_mreza_recipient_refs"));
    json_decref(s);

    /* nothing to report is no error; an organisation as a whole may not report */
    assert_int_equal(svc_report_sightings(f->st, &f->me, list, 0, &n, &err), MZ_OK);
    assert_int_equal(n, 0);
    {
        struct principal org = f->me;
        memset(&org.user, 0, sizeof org.user);
        assert_int_equal(svc_report_sightings(f->st, &org, list, 1, &n, &err), MZ_EINVAL);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_merges_per_indicator),
        cmocka_unit_test(test_list_keeps_wide_apart),
        cmocka_unit_test(test_who_may_report),
        cmocka_unit_test_setup_teardown(test_report_structured_records, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
