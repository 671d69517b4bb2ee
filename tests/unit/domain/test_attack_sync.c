/* tests/unit/domain/test_attack_sync.c - the issue 11 attack round (branch i11-attack):
 * what a hostile peer's page does through svc_sync_apply_page. Each test here FAILS
 * on the code it was written against: it shows a finding of the attack report, for
 * the lead to decide on (the fixture is test_sync_apply.c's: al-cert hosted here,
 * peer me speaks for me-cirt, which writes the regional community and is a member of
 * no national community).
 *
 * - test_unmarked_inherits_green_into_national: v1 GREEN stated for regional is
 *   admitted into regional alone; v2 of the same object with no marking and
 *   x_mreza_recipient_refs naming al-cert is admitted as the default AMBER+STRICT
 *   (its audience is all hosted here), and then svc_ingest's R3.3 makes it inherit
 *   v1's GREEN, shared into the national community (the community admission never
 *   saw GREEN, and me-cirt writes no national community). It must stay out of
 *   national (refused, or GREEN in regional alone).
 * - test_echo_of_local_object_stalls_page: a page holding a byte-identical copy of a
 *   local organisation's CLEAR object (created_by_ref al-cert) stated as owned by
 *   me-cirt: svc_ingest answers it as a duplicate of al-cert's version (R1.1), then
 *   apply_one looks for me-cirt's version to compare (same_content), finds none and
 *   returns -1 without an error: V_FAIL, the whole page fails with MZ_EIO and an
 *   empty message, and is fetched again forever (the subscription is stuck). A
 *   TAXII peer that re-serves objects it got from here does this without malice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "rules/tlp.h"
#include "store/store.h"

#define IDENT_ME "identity--1f0c0000-0000-4000-8000-0000000000aa"
#define IDENT_RS "identity--2f0c0000-0000-4000-8000-0000000000bb"
#define IDENT_ELSE "identity--3f0c0000-0000-4000-8000-0000000000cc"

struct fx {
    char dir[64];
    struct store *st;
    struct principal console;
    char al_ident[STORE_IDENT_LEN];
    char regional[40], energy[40];
    int64_t me, rs;
    struct bundle_limits lim;
};

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int peer(struct fx *f, const char *name, const char *ident, const char *org, int64_t *id)
{
    struct svc_peer_new in;
    struct store_node n;
    char url[128], key[SVC_KEY_LEN];
    struct mz_error err;

    memset(&in, 0, sizeof in);
    snprintf(url, sizeof url, "https://%s.example/taxii2/api/", name);
    in.name = name;
    in.url = url;
    in.allow_http = in.paused = -1;
    in.interval = -1;
    if (svc_peer_add(f->st, &f->console, &in, NULL, key, &err) ||
        svc_peer_bind(f->st, &f->console, name, ident, org, NULL, &err) || store_node_by_name(f->st, name, &n, &err))
        return -1;
    *id = n.id;
    return 0;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct svc_org_new org = {"al-cert", NULL, "AL", NULL, "national-csirt", NULL};
    struct svc_community_new reg = {"regional", "Western Balkans CSIRTs", NULL, "regional"};
    struct svc_community_new en = {"energy", "Energy", NULL, NULL};
    struct store_community c;
    struct store_org o;
    struct mz_error err;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-sync-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, NULL, &f->st, &err) != MZ_OK)
        return -1;
    principal_console(&f->console);
    if (svc_org_add(f->st, &f->console, &org, &o, &err) || svc_community_add(f->st, &f->console, &reg, &c, &err))
        return -1;
    snprintf(f->al_ident, sizeof f->al_ident, "%s", o.identity);
    snprintf(f->regional, sizeof f->regional, "%s", c.uuid);
    if (svc_community_add(f->st, &f->console, &en, &c, &err))
        return -1;
    snprintf(f->energy, sizeof f->energy, "%s", c.uuid);
    if (peer(f, "me", IDENT_ME, "me-cirt", &f->me) || peer(f, "rs", IDENT_RS, "rs-cert", &f->rs))
        return -1;
    /* regional: al-cert reads it here, me-cirt and rs-cert write to it; energy:
     * me-cirt writes, nobody here reads */
    if (svc_community_member_set(f->st, &f->console, "regional", "al-cert", 1, 1, &err) ||
        svc_community_member_set(f->st, &f->console, "regional", "me-cirt", 1, 1, &err) ||
        svc_community_member_set(f->st, &f->console, "regional", "rs-cert", 1, 1, &err) ||
        svc_community_member_set(f->st, &f->console, "energy", "me-cirt", 1, 1, &err))
        return -1;
    f->lim = (struct bundle_limits){64, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    store_set_hook(f->st, NULL, NULL);
    store_close(f->st);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return svc_init() == MZ_OK ? 0 : -1;
}

/* One indicator n of owner at tlp (recipient NULL: none) with name, and its meta
 * entry (communities: a UUID or NULL), appended to objs and metas. */
static void add(char *objs, char *metas, size_t cap, int n, const char *owner, int tlp, const char *recipient,
                const char *comm, const char *name)
{
    char o[1024], m[512];

    snprintf(o, sizeof o,
             "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5e000000-0000-4000-8000-0000000000%02d\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-02T00:00:00.000Z\",\"name\":\"%s\","
             "\"created_by_ref\":\"%s\",\"pattern\":\"[domain-name:value = 'n%d.example']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]%s%s%s}",
             objs[0] ? "," : "", n, name, owner, n, tlp_marking_id((enum tlp_level)tlp),
             recipient ? ",\"x_mreza_recipient_refs\":[\"" : "", recipient ? recipient : "", recipient ? "\"]" : "");
    snprintf(m, sizeof m,
             "%s{\"id\":\"indicator--5e000000-0000-4000-8000-0000000000%02d\",\"version\":\"2025-01-02T00:00:00.000Z\","
             "\"owner\":\"%s\",\"communities\":[%s%s%s],\"date_added\":\"2025-02-01T00:00:00.0000%02dZ\"}",
             metas[0] ? "," : "", n, owner, comm ? "\"" : "", comm ? comm : "", comm ? "\"" : "", n);
    strncat(objs, o, cap - strlen(objs) - 1);
    strncat(metas, m, cap - strlen(metas) - 1);
}

static char *envelope(const char *objs, const char *metas)
{
    size_t cap = strlen(objs) + strlen(metas) + 128;
    char *e = malloc(cap);

    assert_non_null(e);
    snprintf(e, cap, "{\"more\":false,\"objects\":[%s],\"x_mreza_meta\":[%s]}", objs, metas);
    return e;
}

static enum mz_err apply(struct fx *f, int64_t node, const char *env, struct svc_sync_out *out, struct mz_error *err)
{
    struct svc_sync_sub sub = {node, "mreza-direct", "pull", &f->lim};
    struct svc_sync_page page = {env, strlen(env), "2025-02-01T00:00:00.000009Z", NULL};

    return svc_sync_apply_page(f->st, &sub, &page, out, err);
}

/* One count from the store, through a connection of its own. */
static long long q(struct fx *f, const char *sql)
{
    char path[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;

    snprintf(path, sizeof path, "%s/mreza.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* (test_sync_apply.c's first page, unused here) */
static __attribute__((unused)) char *mixed_page(struct fx *f)
{
    static char objs[16384], metas[8192];

    objs[0] = metas[0] = '\0';
    add(objs, metas, sizeof objs, 1, IDENT_ME, TLP_GREEN, NULL, f->regional, "green");
    add(objs, metas, sizeof objs, 2, IDENT_ME, TLP_AMBER, f->al_ident, NULL, "amber to al-cert");
    add(objs, metas, sizeof objs, 3, IDENT_RS, TLP_GREEN, NULL, f->regional, "rs's, from me");
    add(objs, metas, sizeof objs, 4, IDENT_ME, TLP_RED, f->al_ident, NULL, "red");
    add(objs, metas, sizeof objs, 5, IDENT_ME, TLP_AMBER, IDENT_ELSE, NULL, "amber to someone else");
    add(objs, metas, sizeof objs, 6, IDENT_ME, TLP_GREEN, NULL, f->energy, "green where nobody here reads");
    add(objs, metas, sizeof objs, 7, IDENT_ME, TLP_GREEN, NULL, "00000000-0000-4000-8000-000000000000",
        "green of a community not hosted here");
    return envelope(objs, metas);
}

/* indicator 5e..99 of me-cirt at version mod; marking NULL: none */
static char *one(const char *mod, const char *marking, const char *recipient, const char *comm)
{
    static char objs[2048], metas[1024];

    snprintf(objs, sizeof objs,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5e000000-0000-4000-8000-000000000099\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"name\":\"x\","
             "\"created_by_ref\":\"%s\",\"pattern\":\"[domain-name:value = 'n99.example']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\"%s%s%s%s%s%s}",
             mod, IDENT_ME, marking ? ",\"object_marking_refs\":[\"" : "", marking ? marking : "", marking ? "\"]" : "",
             recipient ? ",\"x_mreza_recipient_refs\":[\"" : "", recipient ? recipient : "", recipient ? "\"]" : "");
    snprintf(metas, sizeof metas,
             "{\"id\":\"indicator--5e000000-0000-4000-8000-000000000099\",\"version\":\"%s\",\"owner\":\"%s\","
             "\"communities\":[%s%s%s],\"date_added\":\"2025-02-01T00:00:00.000001Z\"}",
             mod, IDENT_ME, comm ? "\"" : "", comm ? comm : "", comm ? "\"" : "");
    return envelope(objs, metas);
}

static void test_unmarked_inherits_green_into_national(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct mz_error err;
    char *env;

    env = one("2025-01-02T00:00:00.000Z", tlp_marking_id(TLP_GREEN), NULL, f->regional);
    assert_int_equal(apply(f, f->me, env, &out, &err), MZ_OK);
    assert_int_equal(out.stored, 1);
    free(env);
    assert_int_equal(q(f, "SELECT comm FROM objects WHERE stix_id = 'indicator--5e000000-0000-4000-8000-000000000099'"
                          " AND version = '2025-01-02T00:00:00.000Z'"),
                     2); /* regional alone */
    env = one("2025-01-03T00:00:00.000Z", NULL, f->al_ident, NULL);
    assert_int_equal(apply(f, f->me, env, &out, &err), MZ_OK);
    free(env);
    fprintf(stderr, "v2: tlp %lld inherited %lld comm %lld\n",
            q(f, "SELECT tlp FROM objects WHERE version = '2025-01-03T00:00:00.000Z'"),
            q(f, "SELECT tlp_inherited FROM objects WHERE version = '2025-01-03T00:00:00.000Z'"),
            q(f, "SELECT comm FROM objects WHERE version = '2025-01-03T00:00:00.000Z'"));
    /* whatever became of v2, no GREEN version of me-cirt's is in the national community (bit 0) */
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE stix_id = 'indicator--5e000000-0000-4000-8000-000000000099'"
                          " AND tlp = 1 AND (comm & 1) != 0"),
                     0);
}

static void test_echo_of_local_object_stalls_page(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct svc_ingest_result res;
    struct principal al;
    struct mz_error err;
    char obj[1024], meta[512], *env;

    snprintf(obj, sizeof obj,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5e000000-0000-4000-8000-000000000077\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-02T00:00:00.000Z\",\"name\":\"al\","
             "\"created_by_ref\":\"%s\",\"pattern\":\"[domain-name:value = 'al.example']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]}",
             f->al_ident, tlp_marking_id(TLP_CLEAR));
    assert_int_equal(svc_principal_of_org(f->st, "al-cert", &al, &err), MZ_OK);
    assert_int_equal(svc_ingest(f->st, &al, obj, strlen(obj), &f->lim, &res, &err), MZ_OK);
    assert_int_equal(res.n_new, 1);
    svc_ingest_result_free(&res);
    snprintf(meta, sizeof meta,
             "{\"id\":\"indicator--5e000000-0000-4000-8000-000000000077\",\"version\":\"2025-01-02T00:00:00.000Z\","
             "\"owner\":\"%s\",\"communities\":[],\"date_added\":\"2025-02-01T00:00:00.000001Z\"}",
             IDENT_ME);
    env = envelope(obj, meta);
    {
        enum mz_err rc = apply(f, f->me, env, &out, &err);
        free(env);
        if (rc)
            fprintf(stderr, "the page failed: %s (code %d) '%s'\n", mz_err_name(rc), (int)rc, err.msg);
        /* refused (another's object) or a duplicate: either way the page goes through */
        assert_int_equal(rc, MZ_OK);
    }
    assert_int_equal(out.stored, 0);
    assert_int_equal(q(f, "SELECT count(*) FROM bookmarks"), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_unmarked_inherits_green_into_national),
        T(test_echo_of_local_object_stalls_page),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
