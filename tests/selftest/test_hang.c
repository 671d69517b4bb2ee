/* tests/selftest/test_hang.c - the runner's self-test (tests/selftest/run.sh): the
 * second of three tests never returns, so the runner's timeout (MREZA_TEST_TIMEOUT)
 * ends the binary: all three tests count as failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

static void test_before(void **state)
{
    (void)state;
    assert_int_equal(1, 1);
}

static void test_hangs(void **state)
{
    (void)state;
    for (;;)
        pause(); /* until the runner's SIGTERM */
}

static void test_never_runs(void **state)
{
    (void)state;
    assert_int_equal(2, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before),
        cmocka_unit_test(test_hangs),
        cmocka_unit_test(test_never_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
