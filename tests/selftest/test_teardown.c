/* tests/selftest/test_teardown.c - the runner's self-test (tests/selftest/run.sh):
 * the group teardown fails (as the integration tests' "server exited cleanly" check
 * did, which Debian's cmocka 1.1.5 answers with exit status 0), and one test's own
 * setup fails ("[  ERROR   ] name", no "[  FAILED  ]"). The runner must count
 * 2 passed, 2 failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static int setup_fails(void **state)
{
    (void)state;
    return -1;
}

static int teardown_fails(void **state)
{
    (void)state;
    return -1;
}

static void test_passes(void **state)
{
    (void)state;
    assert_int_equal(1, 1);
}

static void test_never_set_up(void **state)
{
    (void)state;
    assert_int_equal(2, 2);
}

static void test_passes_too(void **state)
{
    (void)state;
    assert_int_equal(3, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),
        cmocka_unit_test_setup(test_never_set_up, setup_fails),
        cmocka_unit_test(test_passes_too),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_fails);
}
