/* tests/selftest/test_skip.c - the runner's self-test (tests/selftest/run.sh): one
 * test passes and one is skipped. The runner shows 1 skipped, and a run with a
 * skipped test does not exit 0: a check that did not run is not a pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static void test_passes(void **state)
{
    (void)state;
    assert_int_equal(1, 1);
}

static void test_skipped(void **state)
{
    (void)state;
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),
        cmocka_unit_test(test_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
