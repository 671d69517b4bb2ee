/* tests/unit/domain/test_svc_cursor.c - sealing and opening page tokens
 * (domain/svc_cursor.h), against a real SQLite store for the page key:
 *   - the key is made once per store and read back the same; two stores have two keys;
 *   - a token opens to its position for the reader and query it was sealed for, also
 *     when only the page size or the previous position differ;
 *   - every token has the same length whatever the position, and two tokens of one
 *     position differ (a fresh nonce): a token shows nothing of the position;
 *   - refused, with field "next" and the position untouched: every single-digit
 *     change of a token, a token of another key (another node), of another reader
 *     (user, organisation, role, the unauthenticated reader, the console), and of
 *     another query (each filter changed, NULL vs ""), and the clear-text tokens of
 *     before ("p1f3"). */
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

#include "domain/svc_cursor.h"
#include "store/store.h"
#include "util/uuid.h"

struct fx {
    char dir[64], dir2[64];
    struct store *st, *st2;
};

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        char path[512];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mz_error err;

    assert_non_null(f);
    assert_int_equal(mz_random_init(), MZ_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-cursor-XXXXXX");
    snprintf(f->dir2, sizeof f->dir2, "/tmp/mreza-cursor-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_non_null(mkdtemp(f->dir2));
    assert_int_equal(store_open(f->dir, NULL, &f->st, &err), MZ_OK);
    assert_int_equal(store_open(f->dir2, NULL, &f->st2, &err), MZ_OK);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    store_close(f->st);
    store_close(f->st2);
    rm_dir(f->dir);
    rm_dir(f->dir2);
    free(f);
    return 0;
}

static const char *const types2[] = {"indicator", "sighting"};
static const char *const types2_swapped[] = {"sighting", "indicator"};
static const char *const types1[] = {"indicator"};

static struct store_query base_query(void)
{
    struct store_query q;

    memset(&q, 0, sizeof q);
    q.types = types2;
    q.n_types = 2;
    q.tlp = -1;
    q.created_by = "identity--11111111-2222-4333-8444-555555555555";
    q.added_after = "2024-01-01T00:00:00.000000Z";
    q.limit = 10;
    return q;
}

static struct principal base_reader(void)
{
    struct principal p;

    memset(&p, 0, sizeof p);
    p.role = ROLE_REPORTER;
    p.user.id = 7;
    p.user.org_id = 3;
    p.org.id = 3;
    return p;
}

static void test_key_once_per_store(void **state)
{
    struct fx *f = *state;
    unsigned char k1[SVC_CURSOR_KEY_LEN], k2[SVC_CURSOR_KEY_LEN], other[SVC_CURSOR_KEY_LEN];
    struct mz_error err;
    char stored[128];

    assert_int_equal(store_meta_get(f->st, "page_key", stored, sizeof stored, &err), MZ_ENOTFOUND);
    assert_int_equal(svc_cursor_key(f->st, k1, &err), MZ_OK);
    assert_int_equal(store_meta_get(f->st, "page_key", stored, sizeof stored, &err), MZ_OK);
    assert_int_equal(strlen(stored), 2 * SVC_CURSOR_KEY_LEN);
    assert_int_equal(svc_cursor_key(f->st, k2, &err), MZ_OK);
    assert_memory_equal(k1, k2, sizeof k1);
    assert_int_equal(svc_cursor_key(f->st2, other, &err), MZ_OK);
    assert_memory_not_equal(k1, other, sizeof k1);
    /* adding a key that exists keeps the first one */
    assert_int_equal(store_meta_add(f->st, "page_key", "00", stored, sizeof stored, &err), MZ_OK);
    assert_int_equal(strlen(stored), 2 * SVC_CURSOR_KEY_LEN);
    assert_int_equal(svc_cursor_key(f->st, k2, &err), MZ_OK);
    assert_memory_equal(k1, k2, sizeof k1);
}

static void test_round_trip_same_length(void **state)
{
    static const int64_t positions[] = {0, 1, 2, 255, 256, 65537, INT64_C(1) << 40, INT64_MAX};
    struct fx *f = *state;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct store_query q = base_query();
    struct principal p = base_reader();
    struct mz_error err;

    assert_int_equal(svc_cursor_key(f->st, key, &err), MZ_OK);
    for (size_t i = 0; i < sizeof positions / sizeof *positions; i++) {
        char a[CURSOR_STRLEN], b[CURSOR_STRLEN];
        int64_t seq = -1;
        struct store_query q2 = q;
        svc_cursor_seal(key, &p, &q, positions[i], a);
        svc_cursor_seal(key, &p, &q, positions[i], b);
        assert_int_equal(strlen(a), CURSOR_STRLEN - 1);
        assert_string_not_equal(a, b); /* fresh nonce */
        assert_int_equal(svc_cursor_open(key, &p, &q, a, &seq, &err), MZ_OK);
        assert_int_equal(seq, positions[i]);
        /* the page size and the position of the page asked for are not bound */
        q2.limit = 1000;
        q2.after_seq = 99;
        q2.order = STORE_ORDER_NEWEST;
        seq = -1;
        assert_int_equal(svc_cursor_open(key, &p, &q2, b, &seq, &err), MZ_OK);
        assert_int_equal(seq, positions[i]);
    }
}

static void expect_refused(const unsigned char *key, const struct principal *p, const struct store_query *q,
                           const char *tok, const char *what)
{
    struct mz_error err;
    int64_t seq = 424242;
    enum mz_err rc = svc_cursor_open(key, p, q, tok, &seq, &err);

    if (rc != MZ_EINVAL)
        fail_msg("%s: accepted (%d)", what, (int)rc);
    assert_string_equal(err.field, "next");
    assert_non_null(strstr(err.msg, "not a page token"));
    assert_int_equal(seq, 424242);
}

static void test_tampered_refused(void **state)
{
    struct fx *f = *state;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct store_query q = base_query();
    struct principal p = base_reader();
    struct mz_error err;
    char tok[CURSOR_STRLEN];

    assert_int_equal(svc_cursor_key(f->st, key, &err), MZ_OK);
    svc_cursor_seal(key, &p, &q, 12345, tok);
    for (size_t i = 0; tok[i]; i++) {
        char bad[CURSOR_STRLEN];
        memcpy(bad, tok, sizeof bad);
        bad[i] = bad[i] == '0' ? '1' : '0';
        expect_refused(key, &p, &q, bad, bad);
    }
    expect_refused(key, &p, &q, "p3039", "the clear-text token of before");
    expect_refused(key, &p, &q, "", "empty");
}

static void test_other_node_refused(void **state)
{
    struct fx *f = *state;
    unsigned char key[SVC_CURSOR_KEY_LEN], other[SVC_CURSOR_KEY_LEN];
    struct store_query q = base_query();
    struct principal p = base_reader();
    struct mz_error err;
    char tok[CURSOR_STRLEN];

    assert_int_equal(svc_cursor_key(f->st, key, &err), MZ_OK);
    assert_int_equal(svc_cursor_key(f->st2, other, &err), MZ_OK);
    svc_cursor_seal(other, &p, &q, 5, tok);
    expect_refused(key, &p, &q, tok, "another node's token");
}

static void test_other_reader_refused(void **state)
{
    struct fx *f = *state;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct store_query q = base_query();
    struct principal p = base_reader(), o;
    struct mz_error err;
    char tok[CURSOR_STRLEN];

    assert_int_equal(svc_cursor_key(f->st, key, &err), MZ_OK);
    svc_cursor_seal(key, &p, &q, 5, tok);
    o = p;
    o.user.id = 8;
    expect_refused(key, &o, &q, tok, "another user");
    o = p;
    o.org.id = 4;
    o.user.org_id = 4;
    expect_refused(key, &o, &q, tok, "another organisation");
    o = p;
    o.role = ROLE_ANALYST;
    expect_refused(key, &o, &q, tok, "another role");
    memset(&o, 0, sizeof o);
    expect_refused(key, &o, &q, tok, "the unauthenticated reader");
    principal_console(&o);
    expect_refused(key, &o, &q, tok, "the console");
}

static void test_other_query_refused(void **state)
{
    struct fx *f = *state;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct store_query q = base_query(), o;
    struct principal p = base_reader();
    struct mz_error err;
    char tok[CURSOR_STRLEN];

    assert_int_equal(svc_cursor_key(f->st, key, &err), MZ_OK);
    svc_cursor_seal(key, &p, &q, 5, tok);
    o = q;
    o.types = types1;
    o.n_types = 1;
    expect_refused(key, &p, &o, tok, "one type fewer");
    o = q;
    o.types = types2_swapped;
    expect_refused(key, &p, &o, tok, "types in another order");
    o = q;
    o.types = NULL;
    o.n_types = 0;
    expect_refused(key, &p, &o, tok, "no type filter");
    o = q;
    o.id = "indicator--11111111-2222-4333-8444-555555555555";
    expect_refused(key, &p, &o, tok, "an id");
    o = q;
    o.created_by = NULL;
    expect_refused(key, &p, &o, tok, "no created_by");
    o = q;
    o.created_by = "identity--11111111-2222-4333-8444-555555555556";
    expect_refused(key, &p, &o, tok, "another created_by");
    o = q;
    o.tlp = 1;
    expect_refused(key, &p, &o, tok, "a tlp");
    o = q;
    o.added_after = "2024-01-01T00:00:00.000001Z";
    expect_refused(key, &p, &o, tok, "another added_after");
    o = q;
    o.added_after = NULL;
    expect_refused(key, &p, &o, tok, "no added_after");
    o = q;
    o.all_versions = 1;
    expect_refused(key, &p, &o, tok, "version=all");
    /* NULL and "" are two filters */
    o = q;
    o.id = "";
    svc_cursor_seal(key, &p, &o, 5, tok);
    expect_refused(key, &p, &q, tok, "id \"\" against no id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_once_per_store),
        cmocka_unit_test(test_round_trip_same_length),
        cmocka_unit_test(test_tampered_refused),
        cmocka_unit_test(test_other_node_refused),
        cmocka_unit_test(test_other_reader_refused),
        cmocka_unit_test(test_other_query_refused),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
