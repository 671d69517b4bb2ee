/* tests/unit/domain/test_date_added.c - `date_added` grows strictly in commit order,
 * on every write path, against a real SQLite store opened twice (two connections, as
 * the node's pool has). A poller that asks for `added_after` the newest date_added it
 * saw (TAXII, federation) must never miss a row committed after it asked:
 *   - the race the review found, forced with the store's test hook: a campaign
 *     grouping is being recorded (campaign_record) while an analyst's bundle is
 *     committed on another connection; the hook holds the grouping's writer before
 *     it takes the write lock until the bundle has committed. The grouping, committed
 *     second, must carry the later date_added (it was stamped before the lock, so
 *     it came out earlier than an already committed row);
 *   - a clock behind the newest date_added (a row stamped in 2999): the next write
 *     is stamped after it, not at the clock's time;
 *   - one bundle of 50 objects: 50 different date_added, in seq order (no ties);
 *   - an organisation's identity object (written by svc_org_add) too; and a store
 *     written before, whose identity objects were stamped with milliseconds
 *     ("...00.123Z", which sorts after "...00.123456Z" as text), gets six digits
 *     when it is opened (schema migration 4).
 * Each test ends by checking, over the whole store, that date_added increases
 * strictly with seq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "domain/campaign.h"
#include "domain/svc.h"
#include "engine/engine.h"
#include "rules/tlp.h"
#include "store/store.h"
#include "util/timefmt.h"
#include "util/uuid.h"

struct fx {
    char dir[64];
    struct store *a, *b; /* two connections to one store */
    struct principal analyst;
};

static void principal_of(struct store *st, const char *user, struct principal *p)
{
    struct mz_error err;

    /* with its organisation's communities, as every principal is made (issue 11) */
    assert_int_equal(svc_principal_of_user(st, user, p, &err), MZ_OK);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;
    struct principal console;
    struct svc_org_new o = {"me-cirt", NULL, "ME", NULL, "national-csirt", NULL};
    struct svc_user_new un = {"me-cirt", "analyst@me-cirt", "analyst", NULL, 0};
    struct store_org org;
    struct store_user u;
    char key[SVC_KEY_LEN];

    assert_non_null(f);
    assert_int_equal(mz_random_init(), MZ_OK);
    principal_console(&console);
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-added-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, NULL, &f->a, &err), MZ_OK);
    assert_int_equal(store_open(f->dir, NULL, &f->b, &err), MZ_OK);
    assert_int_equal(svc_org_add(f->b, &console, &o, &org, &err), MZ_OK);
    assert_int_equal(svc_user_add(f->b, &console, &un, &u, key, &err), MZ_OK);
    principal_of(f->b, "analyst@me-cirt", &f->analyst);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;

    store_close(f->a);
    store_close(f->b);
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

/* ---- reading back ---- */

#define MAX_ROWS 256

struct rows {
    size_t n;
    int64_t seq[MAX_ROWS];
    char stix_id[MAX_ROWS][80];
    char date_added[MAX_ROWS][40];
};

static int row_cb(void *ctx, const struct store_row *r)
{
    struct rows *rs = ctx;

    assert_true(rs->n < MAX_ROWS);
    rs->seq[rs->n] = r->seq;
    snprintf(rs->stix_id[rs->n], sizeof rs->stix_id[0], "%s", r->stix_id);
    snprintf(rs->date_added[rs->n], sizeof rs->date_added[0], "%s", r->date_added);
    rs->n++;
    return 0;
}

/* Every row of the store in seq order. */
static void all_rows(struct store *st, struct rows *rs)
{
    struct store_query q;
    struct store_vis vis;
    struct mz_error err;

    memset(rs, 0, sizeof *rs);
    memset(&q, 0, sizeof q);
    q.tlp = -1;
    q.all_versions = 1;
    q.order = STORE_ORDER_ADDED;
    tlp_visibility_internal(&vis);
    assert_int_equal(store_list(st, &vis, &q, row_cb, rs, NULL, &err), MZ_OK);
}

/* date_added strictly increasing with seq over the whole store, each of the
 * microsecond form (27 characters), which sorts as text. */
static void assert_strictly_increasing(struct store *st)
{
    struct rows rs;

    all_rows(st, &rs);
    assert_true(rs.n > 0);
    for (size_t i = 0; i < rs.n; i++) {
        assert_int_equal(strlen(rs.date_added[i]), MZ_TIME_STRLEN - 1);
        if (i && strcmp(rs.date_added[i - 1], rs.date_added[i]) >= 0)
            fail_msg("seq %lld (%s) date_added %s is not after seq %lld (%s) %s", (long long)rs.seq[i],
                     rs.stix_id[i], rs.date_added[i], (long long)rs.seq[i - 1], rs.stix_id[i - 1],
                     rs.date_added[i - 1]);
    }
}

/* The date_added of stix_id's newest row. */
static void date_of(struct store *st, const char *stix_id, char *out)
{
    struct rows rs;

    all_rows(st, &rs);
    out[0] = '\0';
    for (size_t i = 0; i < rs.n; i++)
        if (!strcmp(rs.stix_id[i], stix_id))
            strcpy(out, rs.date_added[i]);
    assert_true(out[0] != '\0');
}

static char *indicator_json(const char *id)
{
    char *s = NULL;

    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                 "\"pattern\":\"[domain-name:value = 'a.example']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2024-01-01T00:00:00Z\","
                 "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]}",
                 id) < 0)
        abort();
    return s;
}

static void ingest(struct fx *f, struct store *st, const char *body)
{
    struct bundle_limits lim = {64, 1000, 900, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct svc_ingest_result res;
    struct mz_error err;

    if (svc_ingest(st, &f->analyst, body, strlen(body), &lim, &res, &err) != MZ_OK)
        fail_msg("ingest: %s (%s)", err.msg, err.field);
    svc_ingest_result_free(&res);
}

/* ---- the race, forced ---- */

struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int arrived, go;
};

/* The grouping's writer stops here (before it asks for the write lock) until the
 * test lets it go. */
static void hold_before_begin(void *ctx, enum store_hook_point point)
{
    struct gate *g = ctx;

    if (point != STORE_HOOK_BEFORE_BEGIN)
        return;
    pthread_mutex_lock(&g->mu);
    g->arrived = 1;
    pthread_cond_broadcast(&g->cond);
    while (!g->go)
        pthread_cond_wait(&g->cond, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

struct recorder {
    struct store *st;
    struct engine_campaign *c;
    enum mz_err rc;
    struct mz_error err;
};

static void *record_campaign(void *arg)
{
    struct recorder *r = arg;

    r->rc = campaign_record(r->st, r->c, &r->err);
    return NULL;
}

static void test_campaign_committed_second_is_added_later(void **state)
{
    struct fx *f = *state;
    static const char *refs[] = {"indicator--11111111-2222-4333-8444-000000000001",
                                 "indicator--11111111-2222-4333-8444-000000000002"};
    struct engine_campaign c;
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    struct recorder r;
    pthread_t t;
    char *body = indicator_json("indicator--11111111-2222-4333-8444-000000000101");
    char grouping_added[40], indicator_added[40];

    memset(&c, 0, sizeof c);
    c.kind = OBS_DOMAIN;
    snprintf(c.value, sizeof c.value, "a.example");
    /* any grouping id will do (the node's are made under its key: engine_campaign_id) */
    snprintf(c.id, sizeof c.id, "grouping--5c5c5c5c-0000-5000-8000-0000000000a1");
    c.refs = refs;
    c.n_refs = 2;
    snprintf(c.countries[0], sizeof c.countries[0], "AL");
    snprintf(c.countries[1], sizeof c.countries[1], "ME");
    c.n_countries = 2;
    c.first_seen = INT64_C(1704067200000000);
    c.last_seen = c.first_seen + 1000000;
    r.st = f->a;
    r.c = &c;
    r.rc = MZ_EIO;
    store_set_hook(f->a, hold_before_begin, &g);
    assert_int_equal(pthread_create(&t, NULL, record_campaign, &r), 0);
    pthread_mutex_lock(&g.mu);
    while (!g.arrived)
        pthread_cond_wait(&g.cond, &g.mu);
    pthread_mutex_unlock(&g.mu);
    /* the grouping's writer waits before the lock: the analyst's bundle commits first */
    ingest(f, f->b, body);
    pthread_mutex_lock(&g.mu);
    g.go = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(pthread_join(t, NULL), 0);
    store_set_hook(f->a, NULL, NULL);
    if (r.rc != MZ_OK)
        fail_msg("campaign_record: %s", r.err.msg);
    date_of(f->b, c.id, grouping_added);
    date_of(f->b, "indicator--11111111-2222-4333-8444-000000000101", indicator_added);
    if (strcmp(grouping_added, indicator_added) <= 0)
        fail_msg("the grouping committed second has date_added %s, not after the indicator's %s",
                 grouping_added, indicator_added);
    assert_strictly_increasing(f->b);
    free(body);
}

/* ---- a clock behind the store ---- */

static void test_clock_behind_newest_row(void **state)
{
    struct fx *f = *state;
    struct store_write_ctx ctx = {f->analyst.org.id, f->analyst.user.id, "2999-01-01T00:00:00.000000Z", 0};
    struct store_object_in in;
    enum store_put_result res;
    struct mz_error err;
    char *body = indicator_json("indicator--11111111-2222-4333-8444-000000000202");
    char added[40];

    memset(&in, 0, sizeof in);
    in.stix_id = "indicator--11111111-2222-4333-8444-000000000201";
    in.type = "indicator";
    in.version = "2024-01-01T00:00:00.000Z";
    in.version_key = in.version;
    in.created_by = f->analyst.org.identity;
    in.tlp = TLP_GREEN;
    in.match_plan = -1;
    in.body = "{}";
    in.body_len = 2;
    assert_int_equal(store_begin(f->a, &err), MZ_OK);
    assert_int_equal(store_put_object(f->a, &ctx, &in, &res, &err), MZ_OK);
    assert_int_equal(store_commit(f->a, &err), MZ_OK);
    /* now a write at the clock's time, on the other connection */
    ingest(f, f->b, body);
    date_of(f->b, "indicator--11111111-2222-4333-8444-000000000202", added);
    assert_string_equal(added, "2999-01-01T00:00:00.000001Z");
    assert_strictly_increasing(f->b);
    free(body);
}

/* ---- no ties inside one bundle ---- */

static void test_bundle_rows_all_differ(void **state)
{
    struct fx *f = *state;
    char *objs[50], *b;
    size_t cap = 256, n_before;
    struct rows before;

    all_rows(f->b, &before);
    n_before = before.n;
    for (int i = 0; i < 50; i++) {
        char id[80];
        snprintf(id, sizeof id, "indicator--11111111-2222-4333-8444-%012d", 300 + i);
        objs[i] = indicator_json(id);
        cap += strlen(objs[i]) + 1;
    }
    b = malloc(cap);
    assert_non_null(b);
    strcpy(b, "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\",\"objects\":[");
    for (int i = 0; i < 50; i++) {
        if (i)
            strcat(b, ",");
        strcat(b, objs[i]);
        free(objs[i]);
    }
    strcat(b, "]}");
    ingest(f, f->a, b);
    all_rows(f->b, &before);
    assert_int_equal(before.n, n_before + 50);
    assert_strictly_increasing(f->b);
    free(b);
}

/* ---- the identity object an organisation gets ---- */

static void test_identity_objects_too(void **state)
{
    struct fx *f = *state;
    struct principal console;
    struct svc_org_new o = {"al-cert", NULL, "AL", NULL, "national-csirt", NULL};
    struct store_org org;
    struct mz_error err;

    principal_console(&console);
    assert_int_equal(svc_org_add(f->a, &console, &o, &org, &err), MZ_OK);
    assert_strictly_increasing(f->b);
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The text of a file under tests/data (the tests run from the top of the tree);
 * caller frees. */
static char *read_data(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    size_t n;

    assert_non_null(fp);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 16) - 1, fp);
    fclose(fp);
    assert_true(n > 0 && n < (1 << 16) - 1);
    return buf;
}

static void test_millisecond_stamps_migrated(void **state)
{
    static const char *const files[] = {"mreza.db", "mreza.db-wal", "mreza.db-shm"};
    struct fx *f = *state;
    char path[128], added[40], rows[1024], *schema;
    const char *ident = f->analyst.org.identity;
    struct mz_error err;

    store_close(f->a);
    store_close(f->b);
    /* a store of before this change (schema version 3, tests/data/store/): the
     * organisation's identity stamped with milliseconds */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/mreza.db", f->dir);
    schema = read_data("tests/data/store/schema-v3.sql");
    exec_sql(path, schema);
    free(schema);
    snprintf(rows, sizeof rows,
             "INSERT INTO orgs VALUES(1,'me-cirt','me-cirt','%s','ME','','national-csirt');"
             "INSERT INTO objects(stix_id,type,version,vkey,date_added,created_by,owner_org,submitter,tlp,"
             "tlp_defaulted,revoked,latest,body) VALUES('%s','identity','2024-01-01T00:00:00.123Z',"
             "'2024-01-01T00:00:00.123000Z','2024-01-01T00:00:00.123Z','%s',1,0,1,0,0,1,'{}');",
             ident, ident, ident);
    exec_sql(path, rows);
    assert_int_equal(store_open(f->dir, NULL, &f->a, &err), MZ_OK);
    assert_int_equal(store_open(f->dir, NULL, &f->b, &err), MZ_OK);
    date_of(f->a, f->analyst.org.identity, added);
    assert_string_equal(added, "2024-01-01T00:00:00.123000Z");
    assert_strictly_increasing(f->a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_campaign_committed_second_is_added_later, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_clock_behind_newest_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_rows_all_differ, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_identity_objects_too, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_millisecond_stamps_migrated, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
