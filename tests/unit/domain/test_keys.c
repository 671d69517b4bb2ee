/* tests/unit/domain/test_keys.c - API keys and accounts in the domain (svc_keys.c)
 * against a real SQLite store (no mocks), acting as the console and as members:
 *   - the texts of an expiry and of a rotation's grace: tables of accepted and
 *     refused inputs, boundaries included;
 *   - a key's comment: UTF-8 without control characters (C0, DEL, C1), at most 200
 *     bytes;
 *   - authentication refuses a revoked key, an expired key and a disabled user's key
 *     with a message that says only that (never whose key it is), an unknown key as
 *     unknown, and accepts again an expired key given a later expiry and a user
 *     enabled again; a revoked key stays revoked;
 *   - issuing refuses an expiry not in the future and a disabled user;
 *   - rotation: the old key revoked at once or after the grace, the new key with the
 *     old key's comment and lifetime, a key rotated twice or a revoked one refused;
 *   - an organisation's admin does not learn which users another organisation has:
 *     the answer is the one for a name that does not exist;
 *   - a store of schema version 3 (tests/data/store/schema-v3.sql, before keys had
 *     records) opens, its keys still authenticate, and they are listed with an id,
 *     no prefix, an unknown creation time and no expiry (and their use recorded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/svc.h"
#include "store/store.h"
#include "util/timefmt.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400

struct fx {
    char dir[64];
    struct store *st;
    struct principal console;
    char key[SVC_KEY_LEN]; /* analyst@me-cirt's first key */
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

static void add_org(struct fx *f, const char *name, const char *cc)
{
    struct svc_org_new in = {name, NULL, cc, NULL, "national-csirt", NULL};
    struct mz_error err;

    assert_int_equal(svc_org_add(f->st, &f->console, &in, NULL, &err), MZ_OK);
}

static void add_user(struct fx *f, const char *name, const char *org, const char *role, char *key)
{
    struct svc_user_new in = {org, name, role, NULL, 0};
    char k[SVC_KEY_LEN];
    struct mz_error err;

    assert_int_equal(svc_user_add(f->st, &f->console, &in, NULL, key ? key : k, &err), MZ_OK);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-keys-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, NULL, &f->st, &err) != MZ_OK) {
        free(f);
        return -1;
    }
    principal_console(&f->console);
    add_org(f, "me-cirt", "ME");
    add_org(f, "rs-cert", "RS");
    add_user(f, "analyst@me-cirt", "me-cirt", "analyst", f->key);
    add_user(f, "admin@me-cirt", "me-cirt", "admin", NULL);
    add_user(f, "analyst@rs-cert", "rs-cert", "analyst", NULL);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

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

/* ---- texts ---- */

static void test_expiry_texts(void **state)
{
    static const struct {
        const char *text;
        int64_t want; /* -1: refused */
    } cases[] = {
        {"never", 0},
        {"1s", NOW + 1},
        {"30m", NOW + 1800},
        {"12h", NOW + 12 * 3600},
        {"90d", NOW + 90 * DAY},
        {"2w", NOW + 14 * DAY},
        {"0d", NOW},
        {"9999999s", NOW + 9999999},
        {"2026-12-31", 1798675200},
        {"2026-12-31T12:00:00Z", 1798718400},
        {"2026-12-31T12:00:00.999Z", 1798718400},
        {"2020-01-01", 1577836800}, /* past times are texts like any other */
        {"1970-01-01T00:00:01Z", 1},
        {"9999-12-31T23:59:59Z", 253402300799},
        {"10000000s", -1}, /* eight digits */
        {"1970-01-01", -1}, /* would be 0: "never" */
        {"", -1},
        {"d", -1},
        {"5", -1},
        {"5y", -1},
        {"-5d", -1},
        {"5 d", -1},
        {"5dd", -1},
        {"Never", -1},
        {"tomorrow", -1},
        {"2026-02-30", -1},
        {"2026-12-31T12:00:00", -1},   /* no zone */
        {"2026-12-31T12:00:00+01:00", -1},
        {"2026-12-31 12:00:00Z", -1},
        {"31.12.2026", -1},
    };
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -7;
        enum mz_err rc;
        mz_error_clear(&err);
        rc = svc_key_when(cases[i].text, NOW, &got, &err);
        if (cases[i].want < 0) {
            if (rc != MZ_EINVAL || strcmp(err.field, "/expires"))
                fail_msg("'%s' accepted (%lld)", cases[i].text, (long long)got);
            assert_int_equal(got, -7); /* not written on failure */
        } else if (rc != MZ_OK || got != cases[i].want) {
            fail_msg("'%s': rc %d, %lld, want %lld (%s)", cases[i].text, rc, (long long)got,
                     (long long)cases[i].want, err.msg);
        }
    }
}

static void test_grace_texts(void **state)
{
    static const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        {NULL, 0}, {"0", 0}, {"0s", 0}, {"30m", 1800}, {"1h", 3600}, {"7d", 7 * DAY}, {"1w", 7 * DAY},
        {"604800s", 7 * DAY}, {"604801s", -1}, {"8d", -1}, {"2w", -1}, {"", -1}, {"1", -1}, {"soon", -1},
        {"-1h", -1}, {"never", -1},
    };
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -7;
        enum mz_err rc = svc_key_grace(cases[i].text, &got, &err);
        if (cases[i].want < 0 ? rc != MZ_EINVAL || strcmp(err.field, "/grace") : rc != MZ_OK || got != cases[i].want)
            fail_msg("grace '%s': rc %d, %lld", cases[i].text ? cases[i].text : "(null)", rc, (long long)got);
    }
}

static void test_comments(void **state)
{
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        {"laptop of Zana", 1},
        {"ključ za CI – Skopje", 1},
        {"", 1},
        {"tab\there", 0},
        {"new\nline", 0},
        {"bell\a", 0},
        {"del\x7f", 0},
        {"c1 \xc2\x85 next line", 0},
        {"c1 \xc2\x9b csi", 0},
        {"nbsp \xc2\xa0 ok", 1},
        {"bad \xc3\x28 utf-8", 0},
        {"overlong \xc0\xaf", 0},
    };
    struct fx *f = *state;
    struct svc_key_view v;
    struct mz_error err;
    char key[SVC_KEY_LEN], long_ok[SVC_KEY_COMMENT_MAX + 1], too_long[SVC_KEY_COMMENT_MAX + 2];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct svc_key_opts o = {cases[i].text, NULL, NULL};
        enum mz_err rc = svc_key_issue(f->st, &f->console, "analyst@me-cirt", &o, &v, key, &err);
        if (cases[i].ok ? rc != MZ_OK : rc != MZ_EINVAL || strcmp(err.field, "/comment"))
            fail_msg("comment %zu ('%s'): rc %d (%s)", i, cases[i].text, rc, err.msg);
        if (cases[i].ok)
            assert_string_equal(v.comment, cases[i].text);
    }
    memset(long_ok, 'x', sizeof long_ok - 1);
    long_ok[sizeof long_ok - 1] = '\0';
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    {
        struct svc_key_opts ok = {long_ok, NULL, NULL}, no = {too_long, NULL, NULL};
        assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", &ok, &v, key, &err), MZ_OK);
        assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", &no, &v, key, &err), MZ_EINVAL);
        assert_non_null(strstr(err.msg, "at most 200 bytes"));
    }
}

/* ---- authentication ---- */

static void expect_refused(struct fx *f, const char *key, const char *msg)
{
    struct principal p;
    struct mz_error err;

    mz_error_clear(&err);
    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_EAUTH);
    assert_string_equal(err.msg, msg);
    assert_int_equal(p.role, ROLE_NONE);
    assert_string_equal(p.user.name, "");
}

static void expect_accepted(struct fx *f, const char *key, const char *user)
{
    struct principal p;
    struct mz_error err;

    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_OK);
    assert_string_equal(p.user.name, user);
    assert_true(p.key_id > 0);
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    struct svc_key_opts past = {NULL, "2020-01-01", NULL}, never = {NULL, "never", NULL};
    struct svc_key_view v;
    struct mz_error err;
    char k2[SVC_KEY_LEN], unknown[SVC_KEY_LEN];

    expect_accepted(f, f->key, "analyst@me-cirt");
    assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", NULL, &v, k2, &err), MZ_OK);
    expect_accepted(f, k2, "analyst@me-cirt");

    /* expired: refused; a later expiry makes it work again */
    assert_int_equal(svc_key_change(f->st, &f->console, "analyst@me-cirt", v.id, &past, &v, &err), MZ_OK);
    assert_string_equal(v.status, "expired");
    expect_refused(f, k2, "this API key has expired");
    expect_accepted(f, f->key, "analyst@me-cirt"); /* the user's other key is untouched */
    assert_int_equal(svc_key_change(f->st, &f->console, "analyst@me-cirt", v.id, &never, &v, &err), MZ_OK);
    assert_string_equal(v.status, "active");
    expect_accepted(f, k2, "analyst@me-cirt");

    /* revoked: refused, and for good */
    assert_int_equal(svc_key_revoke(f->st, &f->console, "analyst@me-cirt", v.id, &v, &err), MZ_OK);
    assert_string_equal(v.status, "revoked");
    expect_refused(f, k2, "this API key has been revoked");
    assert_int_equal(svc_key_change(f->st, &f->console, "analyst@me-cirt", v.id, &never, &v, &err), MZ_ECONFLICT);
    expect_refused(f, k2, "this API key has been revoked");
    /* revoking again is no error and changes nothing */
    assert_int_equal(svc_key_revoke(f->st, &f->console, "analyst@me-cirt", v.id, &v, &err), MZ_OK);

    /* a disabled user's keys: refused until it is enabled */
    assert_int_equal(svc_user_set_disabled(f->st, &f->console, "analyst@me-cirt", 1, NULL, &err), MZ_OK);
    expect_refused(f, f->key, "the account of this API key is disabled");
    assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", NULL, &v, k2, &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "is disabled"));
    {
        struct principal p;
        assert_int_equal(svc_principal_of_user(f->st, "analyst@me-cirt", &p, &err), MZ_EFORBIDDEN);
    }
    assert_int_equal(svc_user_set_disabled(f->st, &f->console, "analyst@me-cirt", 0, NULL, &err), MZ_OK);
    expect_accepted(f, f->key, "analyst@me-cirt");

    /* an unknown key, and what is no key at all */
    memcpy(unknown, f->key, sizeof unknown);
    unknown[10] = unknown[10] == 'A' ? 'B' : 'A';
    expect_refused(f, unknown, "unknown API key");
    expect_refused(f, "mz_short", "the API key is not a mreza key (expected 'Authorization: Bearer mz_…')");

    /* an expiry not in the future is refused when a key is issued */
    assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", &past, &v, k2, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/expires");
    assert_non_null(strstr(err.msg, "not in the future"));
}

struct seen {
    struct svc_key_view v[8];
    int n;
};

static int collect(void *ctx, const struct svc_key_view *k)
{
    struct seen *s = ctx;

    if (s->n < 8)
        s->v[s->n++] = *k;
    return 0;
}

static void test_rotation(void **state)
{
    struct fx *f = *state;
    struct svc_key_opts ninety = {"ci runner", "90d", NULL}, grace = {NULL, NULL, "1h"};
    struct svc_key_view a, b, c, old;
    struct seen s = {.n = 0};
    struct mz_error err;
    char ka[SVC_KEY_LEN], kb[SVC_KEY_LEN], kc[SVC_KEY_LEN];
    struct mz_time now;

    mz_time_now(&now);
    assert_int_equal(svc_key_issue(f->st, &f->console, "analyst@me-cirt", &ninety, &a, ka, &err), MZ_OK);
    /* at once: the old key is refused, the new one has its comment and lifetime */
    assert_int_equal(svc_key_rotate(f->st, &f->console, "analyst@me-cirt", a.id, NULL, &b, &old, kb, &err), MZ_OK);
    assert_string_equal(old.status, "revoked");
    assert_int_equal(old.replaced_by, b.id);
    assert_string_equal(b.comment, "ci runner");
    assert_string_equal(b.status, "active");
    {
        struct mz_time exp;
        char t[32];
        snprintf(t, sizeof t, "%s", b.expires);
        assert_int_equal(mz_time_parse(t, &exp), 0);
        assert_true(exp.sec >= now.sec + 90 * DAY && exp.sec <= now.sec + 90 * DAY + 60);
    }
    expect_refused(f, ka, "this API key has been revoked");
    expect_accepted(f, kb, "analyst@me-cirt");
    /* a revoked key is not rotated, nor one already rotated */
    assert_int_equal(svc_key_rotate(f->st, &f->console, "analyst@me-cirt", a.id, NULL, &c, &old, kc, &err),
                     MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "is revoked"));

    /* with a grace: both keys work until it ends */
    assert_int_equal(svc_key_rotate(f->st, &f->console, "analyst@me-cirt", b.id, &grace, &c, &old, kc, &err), MZ_OK);
    assert_string_equal(old.status, "active");
    assert_true(old.revoked[0] != '\0'); /* the end of its grace */
    assert_int_equal(old.replaced_by, c.id);
    expect_accepted(f, kb, "analyst@me-cirt");
    expect_accepted(f, kc, "analyst@me-cirt");
    assert_int_equal(svc_key_rotate(f->st, &f->console, "analyst@me-cirt", b.id, NULL, &a, &old, ka, &err),
                     MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "already rotated (to key"));
    /* revoking it ends the grace at once */
    assert_int_equal(svc_key_revoke(f->st, &f->console, "analyst@me-cirt", b.id, &old, &err), MZ_OK);
    expect_refused(f, kb, "this API key has been revoked");

    /* the listing holds every key, and never a key itself */
    assert_int_equal(svc_key_list(f->st, &f->console, "analyst@me-cirt", collect, &s, &err), MZ_OK);
    assert_int_equal(s.n, 4);
    for (int i = 0; i < s.n; i++) {
        assert_int_equal(strlen(s.v[i].prefix), 9);
        assert_int_equal(strncmp(s.v[i].prefix, "mz_", 3), 0);
        assert_null(strstr(s.v[i].comment, "mz_"));
    }
    assert_int_equal(strncmp(s.v[1].prefix, ka, 9), 0);
}

/* What an organisation's admin learns of another organisation's user: as much as of
 * a name that does not exist. Of its own colleagues: why not. */
static void test_other_organisations_users_are_not_found(void **state)
{
    struct fx *f = *state;
    struct principal admin;
    struct svc_key_view v;
    struct mz_error e1, e2;
    char key[SVC_KEY_LEN];

    assert_int_equal(svc_principal_of_user(f->st, "admin@me-cirt", &admin, &e1), MZ_OK);
    assert_int_equal(svc_key_issue(f->st, &admin, "analyst@rs-cert", NULL, &v, key, &e1), MZ_ENOTFOUND);
    assert_int_equal(svc_key_issue(f->st, &admin, "nobody@rs-cert", NULL, &v, key, &e2), MZ_ENOTFOUND);
    assert_string_equal(e1.msg, "no user named 'analyst@rs-cert'");
    assert_string_equal(e2.msg, "no user named 'nobody@rs-cert'");
    assert_int_equal(svc_key_revoke(f->st, &admin, "analyst@rs-cert", 1, &v, &e1), MZ_ENOTFOUND);
    assert_int_equal(svc_user_set_disabled(f->st, &admin, "analyst@rs-cert", 1, NULL, &e1), MZ_ENOTFOUND);
    /* its own organisation's: done */
    assert_int_equal(svc_key_issue(f->st, &admin, "analyst@me-cirt", NULL, &v, key, &e1), MZ_OK);
    /* its own account: refused, saying why */
    assert_int_equal(svc_user_set_disabled(f->st, &admin, "admin@me-cirt", 1, NULL, &e1), MZ_EFORBIDDEN);
    assert_non_null(strstr(e1.msg, "your own account"));
}

/* ---- a store made before keys had records ---- */

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

/* "x'…'" of the BLAKE2b hash of key, as mreža stored keys at schema version 3. */
static void hash_literal(const char *key, char *out, size_t cap)
{
    unsigned char h[32];
    char hex[65];

    crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, cap, "x'%s'", hex);
}

static void test_version_3_store_keys_still_work(void **state)
{
    static const char k_old[] = "mz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    static const char k_admin[] = "mz_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    struct fx *f = *state;
    char dir[96], path[128], sql[1024], h1[80], h2[80], *schema;
    struct seen s = {.n = 0};
    struct store *st = NULL;
    struct principal p;
    struct svc_key_view v;
    struct mz_error err;
    sqlite3 *db = NULL;

    snprintf(dir, sizeof dir, "%s/v3", f->dir);
    snprintf(path, sizeof path, "%s/mreza.db", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    schema = read_data("tests/data/store/schema-v3.sql");
    hash_literal(k_old, h1, sizeof h1);
    hash_literal(k_admin, h2, sizeof h2);
    snprintf(sql, sizeof sql,
             "INSERT INTO orgs VALUES(1,'al-cert','AL-CERT','identity--a0000000-0000-4000-8000-000000000001','AL','',"
             "'national-csirt');"
             "INSERT INTO users VALUES(10,'zana@al-cert',1,'analyst','identity--a0000000-0000-4000-8000-000000000010');"
             "INSERT INTO users VALUES(20,'besa@al-cert',1,'admin','identity--a0000000-0000-4000-8000-000000000020');"
             "INSERT INTO api_keys VALUES(%s,10);INSERT INTO api_keys VALUES(%s,20);",
             h1, h2);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(schema);

    assert_int_equal(store_open(dir, NULL, &st, &err), MZ_OK);
    assert_int_equal(svc_authenticate(st, k_old, &p, &err), MZ_OK);
    assert_string_equal(p.user.name, "zana@al-cert");
    assert_string_equal(p.org.name, "al-cert");
    assert_int_equal(p.role, ROLE_ANALYST);
    assert_true(p.key_id > 0);
    /* listed with an id, and what was never recorded as unknown */
    assert_int_equal(svc_key_list(st, &p, "zana@al-cert", collect, &s, &err), MZ_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].id, p.key_id);
    assert_string_equal(s.v[0].prefix, "");
    assert_string_equal(s.v[0].created, "");
    assert_string_equal(s.v[0].expires, "");
    assert_string_equal(s.v[0].status, "active");
    /* ... and its use is recorded from now on */
    assert_true(s.v[0].last_used[0] != '\0');
    assert_int_equal(svc_key_current(st, &p, &v, &err), MZ_OK);
    assert_int_equal(v.id, p.key_id);
    /* the old admin key works too, and an old key can be revoked like any */
    assert_int_equal(svc_authenticate(st, k_admin, &p, &err), MZ_OK);
    assert_string_equal(p.user.name, "besa@al-cert");
    assert_int_equal(svc_key_revoke(st, &p, "besa@al-cert", p.key_id, &v, &err), MZ_OK);
    assert_int_equal(svc_authenticate(st, k_admin, &p, &err), MZ_EAUTH);
    assert_string_equal(err.msg, "this API key has been revoked");
    store_close(st);
    remove_dir(dir);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_texts),
        cmocka_unit_test(test_grace_texts),
        T(test_comments),
        T(test_refusals),
        T(test_rotation),
        T(test_other_organisations_users_are_not_found),
        T(test_version_3_store_keys_still_work),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
