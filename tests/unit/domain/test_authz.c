/* tests/unit/domain/test_authz.c - unit tests of domain/authz.c (who may do what).
 * Covers: the whole role x action matrix against a table written out here by hand
 * (so that a change of the rules in authz.c must change this table too); the console
 * manages the node but writes no objects; nobody may do anything; refusals are
 * MZ_EAUTH for nobody and MZ_EFORBIDDEN with a message that says who may; an action
 * outside the table is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/authz.h"

/* Columns: nobody, admin, analyst, reporter, viewer, console. */
static const struct {
    enum authz_action act;
    int allowed[6];
} matrix[] = {
    {AUTHZ_ORG_ADD, {0, 1, 0, 0, 0, 1}},
    {AUTHZ_ORG_LIST, {0, 1, 1, 1, 1, 1}},
    {AUTHZ_USER_ADD, {0, 1, 0, 0, 0, 1}},
    {AUTHZ_USER_LIST_ANY, {0, 1, 0, 0, 0, 1}},
    {AUTHZ_USER_LIST_OWN, {0, 1, 1, 1, 1, 1}},
    {AUTHZ_KEY_ISSUE, {0, 1, 0, 0, 0, 1}},
    {AUTHZ_OBJECT_WRITE, {0, 1, 1, 1, 0, 0}},
    {AUTHZ_SIGHTING_REPORT, {0, 1, 1, 1, 0, 0}},
    {AUTHZ_INDEX_STATS, {0, 1, 0, 0, 0, 1}},
    {AUTHZ_STORE_CHECK, {0, 1, 0, 0, 0, 1}},
};

static void principal_of(int col, struct principal *p)
{
    if (col == 5) {
        principal_console(p);
        return;
    }
    memset(p, 0, sizeof *p);
    p->role = (enum role)col; /* ROLE_NONE .. ROLE_VIEWER */
    if (col) {
        strcpy(p->org.name, "rs-cert");
        strcpy(p->user.name, "someone@rs-cert");
        p->org.id = 7;
    }
}

static void test_matrix(void **state)
{
    struct principal p;
    struct mz_error err;

    (void)state;
    assert_int_equal(sizeof matrix / sizeof matrix[0], AUTHZ_N_ACTIONS);
    for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
        for (int col = 0; col < 6; col++) {
            enum mz_err rc;
            principal_of(col, &p);
            mz_error_clear(&err);
            rc = authz_check(&p, matrix[i].act, &err);
            if (authz_allows(&p, matrix[i].act) != matrix[i].allowed[col])
                fail_msg("action %d, column %d: allows %d, want %d", (int)matrix[i].act, col,
                         authz_allows(&p, matrix[i].act), matrix[i].allowed[col]);
            if (matrix[i].allowed[col]) {
                assert_int_equal(rc, MZ_OK);
                continue;
            }
            assert_int_equal(rc, col == 0 ? MZ_EAUTH : MZ_EFORBIDDEN);
            assert_non_null(strstr(err.msg, "only "));
            if (col >= 1 && col <= 4) /* says who the caller is */
                assert_non_null(strstr(err.msg, "of rs-cert"));
        }
    }
}

static void test_messages(void **state)
{
    struct principal p;
    struct mz_error err;

    (void)state;
    principal_of(ROLE_VIEWER, &p);
    assert_int_equal(authz_check(&p, AUTHZ_OBJECT_WRITE, &err), MZ_EFORBIDDEN);
    assert_string_equal(err.msg, "only an admin, analyst or reporter may write objects (you are viewer of rs-cert)");
    principal_of(ROLE_ANALYST, &p);
    assert_int_equal(authz_check(&p, AUTHZ_USER_ADD, &err), MZ_EFORBIDDEN);
    assert_string_equal(err.msg, "only an admin may add users (you are analyst of rs-cert)");
    principal_of(5, &p);
    assert_int_equal(authz_check(&p, AUTHZ_OBJECT_WRITE, &err), MZ_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "act as a user"));
}

static void test_outside_table(void **state)
{
    struct principal p;
    struct mz_error err;

    (void)state;
    principal_of(5, &p);
    assert_false(authz_allows(&p, AUTHZ_N_ACTIONS));
    assert_false(authz_allows(&p, (enum authz_action)-1));
    assert_int_equal(authz_check(&p, AUTHZ_N_ACTIONS, &err), MZ_EFORBIDDEN);
    assert_false(authz_allows(NULL, AUTHZ_ORG_LIST));
    /* a role value outside the enum is nobody's */
    principal_of(ROLE_ADMIN, &p);
    p.role = (enum role)99;
    assert_false(authz_allows(&p, AUTHZ_ORG_LIST));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_outside_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
