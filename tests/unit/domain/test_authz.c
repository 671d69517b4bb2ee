/* tests/unit/domain/test_authz.c - unit tests of domain/authz.c (who may do what).
 * Covers: the whole role x action matrix against a table written out here by hand
 * (so that a change of the rules in authz.c must change this table too); the actions
 * done to a user or an organisation's users, for every role and every kind of target
 * (itself, a colleague, a colleague who is a node admin, another organisation's user,
 * its own organisation, another, every organisation) - the admin decision: an
 * organisation's admin acts in its own organisation only and never on a node admin,
 * nobody disables itself, every member lists and revokes its own keys only; the
 * console manages the node but writes no objects; nobody may do anything; refusals
 * are MZ_EAUTH for nobody and MZ_EFORBIDDEN with a message that says who may and why
 * not this target; a node-wide action ignores the target; an action outside the table
 * is refused. A key in a rotation's grace period (principal.key_rotated_to) reads,
 * writes and lists as its role allows, and manages no accounts (a second hand-written
 * table), with a message that says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/authz.h"

#define N_COLS 7
#define COL_NODE_ADMIN 5
#define COL_CONSOLE 6
#define MY_ORG 7
#define OTHER_ORG 8
#define MY_USER 100

/* Columns: nobody, admin, analyst, reporter, viewer, node-admin, console. */
static const char *const col_names[N_COLS] = {"nobody", "admin", "analyst", "reporter", "viewer", "node-admin",
                                              "console"};

/* May the role do the action at all (authz_allows)? */
static const struct {
    enum authz_action act;
    int allowed[N_COLS];
} matrix[] = {
    {AUTHZ_ORG_ADD, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_ORG_LIST, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_USER_ADD, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_LIST, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_USER_DISABLE, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_ISSUE, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_LIST, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_KEY_REVOKE, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_KEY_CHANGE, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_OBJECT_WRITE, {0, 1, 1, 1, 0, 1, 0}},
    {AUTHZ_SIGHTING_REPORT, {0, 1, 1, 1, 0, 1, 0}},
    {AUTHZ_INDEX_STATS, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_STORE_CHECK, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_OBJECT_WITHDRAW, {0, 1, 1, 1, 0, 1, 0}},
    {AUTHZ_OBJECT_RESTORE, {0, 1, 0, 0, 0, 1, 0}},
    {AUTHZ_ORG_RANK, {0, 0, 0, 0, 0, 0, 1}},
    {AUTHZ_COMMUNITY_MANAGE, {0, 0, 0, 0, 0, 0, 1}},
    {AUTHZ_COMMUNITY_LIST_ALL, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_OBJECT_SHARE, {0, 1, 1, 1, 0, 1, 0}},
    {AUTHZ_PEER_MANAGE, {0, 0, 0, 0, 0, 0, 1}},
    {AUTHZ_PEER_LIST, {0, 0, 0, 0, 0, 1, 1}},
};

enum target_kind {
    T_SELF,        /* the principal's own account */
    T_SAME,        /* an analyst of its organisation (for USER_ADD: a new one) */
    T_SAME_NA,     /* a node admin of its organisation (for USER_ADD: making one) */
    T_OTHER,       /* an analyst of another organisation */
    T_ORG_OWN,     /* its organisation's users as a whole */
    T_ORG_OTHER,   /* another organisation's users */
    T_ALL          /* every organisation's users */
};

static const char *const target_names[] = {"itself", "a colleague", "a colleague node admin",
                                           "another organisation's user", "its organisation",
                                           "another organisation", "every organisation"};

/* May the role do the action to that target (authz_allows_on)? */
static const struct {
    enum authz_action act;
    enum target_kind target;
    int allowed[N_COLS];
} targeted[] = {
    {AUTHZ_USER_ADD, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_ADD, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_ADD, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_LIST, T_ORG_OWN, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_USER_LIST, T_ORG_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_LIST, T_ALL, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_DISABLE, T_SELF, {0, 0, 0, 0, 0, 0, 1}},
    {AUTHZ_USER_DISABLE, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_DISABLE, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_USER_DISABLE, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_ISSUE, T_SELF, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_ISSUE, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_ISSUE, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_ISSUE, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_LIST, T_SELF, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_KEY_LIST, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_LIST, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_LIST, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_REVOKE, T_SELF, {0, 1, 1, 1, 1, 1, 1}},
    {AUTHZ_KEY_REVOKE, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_REVOKE, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_REVOKE, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_CHANGE, T_SELF, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_CHANGE, T_SAME, {0, 1, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_CHANGE, T_SAME_NA, {0, 0, 0, 0, 0, 1, 1}},
    {AUTHZ_KEY_CHANGE, T_OTHER, {0, 0, 0, 0, 0, 1, 1}},
};

static void principal_of(int col, struct principal *p)
{
    if (col == COL_CONSOLE) {
        principal_console(p);
        return;
    }
    memset(p, 0, sizeof *p);
    p->role = (enum role)col; /* ROLE_NONE .. ROLE_VIEWER, ROLE_NODE_ADMIN */
    if (col) {
        strcpy(p->org.name, "rs-cert");
        strcpy(p->user.name, "someone@rs-cert");
        p->org.id = MY_ORG;
        p->user.id = MY_USER;
    }
}

static struct authz_target target_of(enum target_kind k, const struct principal *p)
{
    switch (k) {
    case T_SELF:
        return (struct authz_target){p->org.id, p->user.id, p->role};
    case T_SAME:
        return (struct authz_target){MY_ORG, MY_USER + 1, ROLE_ANALYST};
    case T_SAME_NA:
        return (struct authz_target){MY_ORG, MY_USER + 2, ROLE_NODE_ADMIN};
    case T_OTHER:
        return (struct authz_target){OTHER_ORG, MY_USER + 3, ROLE_ANALYST};
    case T_ORG_OWN:
        return (struct authz_target){MY_ORG, 0, ROLE_NONE};
    case T_ORG_OTHER:
        return (struct authz_target){OTHER_ORG, 0, ROLE_NONE};
    default:
        return (struct authz_target){0, 0, ROLE_NONE};
    }
}

/* A new user has no id yet: the USER_ADD rows' targets name only organisation and role. */
static struct authz_target target_for(enum authz_action act, enum target_kind k, const struct principal *p)
{
    struct authz_target t = target_of(k, p);

    if (act == AUTHZ_USER_ADD)
        t.user_id = 0;
    return t;
}

static void test_matrix(void **state)
{
    struct principal p;
    struct mz_error err;

    (void)state;
    assert_int_equal(sizeof matrix / sizeof matrix[0], AUTHZ_N_ACTIONS);
    for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
        assert_int_equal(matrix[i].act, (enum authz_action)i);
        for (int col = 0; col < N_COLS; col++) {
            enum mz_err rc;
            principal_of(col, &p);
            mz_error_clear(&err);
            rc = authz_check(&p, matrix[i].act, &err);
            if (authz_allows(&p, matrix[i].act) != matrix[i].allowed[col])
                fail_msg("action %d, %s: allows %d, want %d", (int)matrix[i].act, col_names[col],
                         authz_allows(&p, matrix[i].act), matrix[i].allowed[col]);
            if (matrix[i].allowed[col]) {
                assert_int_equal(rc, MZ_OK);
                continue;
            }
            assert_int_equal(rc, col == 0 ? MZ_EAUTH : MZ_EFORBIDDEN);
            assert_non_null(strstr(err.msg, "only "));
            if (col >= 1 && col <= COL_NODE_ADMIN) /* says who the caller is */
                assert_non_null(strstr(err.msg, "of rs-cert"));
        }
    }
}

static void test_targeted_matrix(void **state)
{
    struct principal p;
    struct authz_target t;
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof targeted / sizeof targeted[0]; i++) {
        for (int col = 0; col < N_COLS; col++) {
            enum mz_err rc;
            int got;
            principal_of(col, &p);
            t = target_for(targeted[i].act, targeted[i].target, &p);
            mz_error_clear(&err);
            got = authz_allows_on(&p, targeted[i].act, &t);
            rc = authz_check_on(&p, targeted[i].act, &t, &err);
            if (got != targeted[i].allowed[col])
                fail_msg("action %d on %s, %s: allows %d, want %d", (int)targeted[i].act,
                         target_names[targeted[i].target], col_names[col], got, targeted[i].allowed[col]);
            assert_int_equal(rc, got ? MZ_OK : col == 0 ? MZ_EAUTH : MZ_EFORBIDDEN);
            if (!got)
                assert_true(err.msg[0] != '\0');
            /* what may be done to some target, may be done at all */
            if (got)
                assert_true(authz_allows(&p, targeted[i].act));
        }
    }
}

/* Every targeted action and target kind of the matrix above is there: a new action
 * with a scope must get rows. */
static void test_targeted_rows_cover_the_scoped_actions(void **state)
{
    static const enum authz_action scoped[] = {AUTHZ_USER_DISABLE, AUTHZ_KEY_ISSUE, AUTHZ_KEY_LIST,
                                               AUTHZ_KEY_REVOKE, AUTHZ_KEY_CHANGE};
    (void)state;
    for (size_t a = 0; a < sizeof scoped / sizeof scoped[0]; a++)
        for (enum target_kind k = T_SELF; k <= T_OTHER; k++) {
            size_t i = 0;
            while (i < sizeof targeted / sizeof targeted[0] &&
                   !(targeted[i].act == scoped[a] && targeted[i].target == k))
                i++;
            if (i == sizeof targeted / sizeof targeted[0])
                fail_msg("no row for action %d on %s", (int)scoped[a], target_names[k]);
        }
}

/* Actions without a target answer the same whatever target is given. */
static void test_node_wide_actions_ignore_the_target(void **state)
{
    static const enum authz_action node_wide[] = {AUTHZ_ORG_ADD, AUTHZ_ORG_LIST, AUTHZ_OBJECT_WRITE,
                                                  AUTHZ_SIGHTING_REPORT, AUTHZ_INDEX_STATS, AUTHZ_STORE_CHECK,
                                                  AUTHZ_OBJECT_WITHDRAW, AUTHZ_OBJECT_RESTORE, AUTHZ_ORG_RANK,
                                                  AUTHZ_COMMUNITY_MANAGE, AUTHZ_COMMUNITY_LIST_ALL,
                                                  AUTHZ_OBJECT_SHARE};
    struct principal p;

    (void)state;
    for (size_t a = 0; a < sizeof node_wide / sizeof node_wide[0]; a++)
        for (int col = 0; col < N_COLS; col++)
            for (enum target_kind k = T_SELF; k <= T_ALL; k++) {
                struct authz_target t;
                principal_of(col, &p);
                t = target_of(k, &p);
                assert_int_equal(authz_allows_on(&p, node_wide[a], &t), authz_allows(&p, node_wide[a]));
            }
}

static void expect_refusal(int col, enum authz_action act, enum target_kind k, const char *msg)
{
    struct principal p;
    struct authz_target t;
    struct mz_error err;

    principal_of(col, &p);
    t = target_for(act, k, &p);
    mz_error_clear(&err);
    assert_int_equal(authz_check_on(&p, act, &t, &err), MZ_EFORBIDDEN);
    assert_string_equal(err.msg, msg);
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
    principal_of(ROLE_ADMIN, &p);
    assert_int_equal(authz_check(&p, AUTHZ_ORG_ADD, &err), MZ_EFORBIDDEN);
    assert_string_equal(err.msg, "only a node admin may add organisations (you are admin of rs-cert)");
    principal_of(COL_CONSOLE, &p);
    assert_int_equal(authz_check(&p, AUTHZ_OBJECT_WRITE, &err), MZ_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "act as a user"));

    expect_refusal(ROLE_ADMIN, AUTHZ_USER_ADD, T_OTHER,
                   "only a node admin may add users in another organisation (you are admin of rs-cert)");
    expect_refusal(ROLE_ADMIN, AUTHZ_USER_ADD, T_SAME_NA,
                   "only a node admin may grant the node-admin role or act on a node admin's account (you are "
                   "admin of rs-cert)");
    expect_refusal(ROLE_ADMIN, AUTHZ_KEY_ISSUE, T_SAME_NA,
                   "only a node admin may grant the node-admin role or act on a node admin's account (you are "
                   "admin of rs-cert)");
    expect_refusal(ROLE_ADMIN, AUTHZ_USER_DISABLE, T_SELF,
                   "you may not act on your own account this way (disable or enable users); ask another admin "
                   "(you are admin of rs-cert)");
    expect_refusal(COL_NODE_ADMIN, AUTHZ_USER_DISABLE, T_SELF,
                   "you may not act on your own account this way (disable or enable users); ask another admin "
                   "(you are node-admin of rs-cert)");
    expect_refusal(ROLE_ANALYST, AUTHZ_KEY_REVOKE, T_SAME,
                   "you may revoke API keys of your own account only (you are analyst of rs-cert)");
    expect_refusal(ROLE_VIEWER, AUTHZ_USER_LIST, T_ORG_OTHER,
                   "only a node admin may list users in another organisation (you are viewer of rs-cert)");
}

/* May a rotated key in its grace period do the action (its role allowing)? Listing,
 * reading and writing objects yes; managing organisations, users and keys no. */
static const int grace_ok[AUTHZ_N_ACTIONS] = {
    [AUTHZ_ORG_ADD] = 0,         [AUTHZ_ORG_LIST] = 1,        [AUTHZ_USER_ADD] = 0,
    [AUTHZ_USER_LIST] = 1,       [AUTHZ_USER_DISABLE] = 0,    [AUTHZ_KEY_ISSUE] = 0,
    [AUTHZ_KEY_LIST] = 1,        [AUTHZ_KEY_REVOKE] = 0,      [AUTHZ_KEY_CHANGE] = 0,
    [AUTHZ_OBJECT_WRITE] = 1,    [AUTHZ_SIGHTING_REPORT] = 1, [AUTHZ_INDEX_STATS] = 1,
    [AUTHZ_STORE_CHECK] = 1,     [AUTHZ_OBJECT_WITHDRAW] = 1, [AUTHZ_OBJECT_RESTORE] = 1,
    [AUTHZ_ORG_RANK] = 0,        [AUTHZ_COMMUNITY_MANAGE] = 0, [AUTHZ_COMMUNITY_LIST_ALL] = 1,
    [AUTHZ_OBJECT_SHARE] = 1,    [AUTHZ_PEER_MANAGE] = 0,     [AUTHZ_PEER_LIST] = 1,
};

static void test_grace_key(void **state)
{
    struct principal p;
    struct mz_error err;

    (void)state;
    for (int col = 1; col <= COL_NODE_ADMIN; col++) {
        for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
            enum authz_action act = matrix[i].act;
            struct authz_target self;
            int want = matrix[i].allowed[col] && grace_ok[act];
            principal_of(col, &p);
            p.key_rotated_to = 42;
            self = target_of(T_SELF, &p);
            if (authz_allows(&p, act) != want)
                fail_msg("action %d, %s in grace: allows %d, want %d", (int)act, col_names[col], !want, want);
            if (!grace_ok[act] && authz_allows_on(&p, act, &self))
                fail_msg("action %d, %s in grace: allowed on itself", (int)act, col_names[col]);
            mz_error_clear(&err);
            if (matrix[i].allowed[col] && !grace_ok[act]) {
                assert_int_equal(authz_check(&p, act, &err), MZ_EFORBIDDEN);
                assert_non_null(strstr(err.msg, "this API key was rotated"));
                assert_non_null(strstr(err.msg, "use the key that replaced it"));
            }
        }
    }
    /* the console has no key */
    principal_of(COL_CONSOLE, &p);
    assert_true(authz_allows(&p, AUTHZ_KEY_ISSUE));
}

static void test_outside_table(void **state)
{
    struct principal p;
    struct authz_target t = {MY_ORG, 0, ROLE_NONE};
    struct mz_error err;

    (void)state;
    principal_of(COL_CONSOLE, &p);
    assert_false(authz_allows(&p, AUTHZ_N_ACTIONS));
    assert_false(authz_allows(&p, (enum authz_action)-1));
    assert_false(authz_allows_on(&p, AUTHZ_N_ACTIONS, &t));
    assert_int_equal(authz_check(&p, AUTHZ_N_ACTIONS, &err), MZ_EFORBIDDEN);
    assert_int_equal(authz_check_on(&p, AUTHZ_N_ACTIONS, &t, &err), MZ_EFORBIDDEN);
    assert_false(authz_allows(NULL, AUTHZ_ORG_LIST));
    assert_false(authz_allows_on(NULL, AUTHZ_KEY_LIST, &t));
    principal_of(COL_NODE_ADMIN, &p);
    assert_false(authz_allows_on(&p, AUTHZ_KEY_LIST, NULL));
    assert_int_equal(authz_check_on(&p, AUTHZ_KEY_LIST, NULL, &err), MZ_EFORBIDDEN);
    /* a role value outside the enum is nobody's */
    principal_of(ROLE_ADMIN, &p);
    p.role = (enum role)99;
    assert_false(authz_allows(&p, AUTHZ_ORG_LIST));
    assert_false(authz_allows_on(&p, AUTHZ_USER_LIST, &t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_targeted_matrix),
        cmocka_unit_test(test_targeted_rows_cover_the_scoped_actions),
        cmocka_unit_test(test_node_wide_actions_ignore_the_target),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_grace_key),
        cmocka_unit_test(test_outside_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
