/* tests/unit/domain/attack5_text.c - the fifth hostile review (issue 11's fixes,
 * re-attacked at 755a60f): B2's one text check (utf8_text_ok) is applied where text
 * arrives from a peer (directory, roster, community title) but not where this node's
 * own organisation profile is written. NOT in the suite; FAILS on 755a60f. Build, run:
 *   make -s -j2 SANITIZE=1 build/san/tests/unit/domain/attack5_text
 *   BUILD=build/san sh tests/run.sh build/san/tests/unit/domain/attack5_text
 *   - C5 test_attack_org_profile_text: svc_org_add (POST /api/v1/orgs, a node admin's
 *     key, or `org add`) and svc_org_set_profile (`org set --full-name/--sector`) take
 *     a full name and a sector holding ESC sequences, BEL, C1, bidi overrides and
 *     bytes that are no UTF-8: `mreza org list` prints them raw to the operator's
 *     terminal, and the organisation's directory identity carrying them is refused by
 *     every peer that applies B2's check (its profile never travels). */
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

static void test_attack_org_profile_text(void **state)
{
    char dir[64];
    struct store *st = NULL;
    struct principal console;
    struct store_org o;
    struct mz_error err;
    struct svc_org_new esc = {"evil-org", "Evil\x1b[2J\x1b]0;pwn\x07", "AL", NULL, "other", NULL};
    struct svc_org_new ok = {"good-org", NULL, "AL", NULL, "other", NULL};
    struct svc_org_new bidi = {NULL, "abc\xe2\x80\xae" "fed", NULL, "\xff\xfe", NULL, NULL};
    enum mz_err add_rc, set_rc;

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mreza-a5text-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, NULL, &st, &err), MZ_OK);
    principal_console(&console);
    mz_error_clear(&err);
    add_rc = svc_org_add(st, &console, &esc, &o, &err);
    assert_int_equal(svc_org_add(st, &console, &ok, &o, &err), MZ_OK);
    mz_error_clear(&err);
    set_rc = svc_org_set_profile(st, &console, "good-org", &bidi, &o, &err);
    store_close(st);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
    /* text a person is shown: refused as the directory's and the roster's is */
    assert_int_equal(add_rc, MZ_EINVAL);
    assert_int_equal(set_rc, MZ_EINVAL);
}

static int group_setup(void **state)
{
    (void)state;
    return svc_init() == MZ_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attack_org_profile_text),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
