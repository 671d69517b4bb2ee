/* tests/selftest/test_abort.c - the runner's self-test (tests/selftest/run.sh): the
 * second of three tests aborts (SIGABRT, as an ASan report or a failed assert() does),
 * which ends the process: the runner must count all three tests as failed, the one
 * that passed before included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

static void test_before(void **state)
{
    (void)state;
    assert_int_equal(1, 1);
}

static void test_aborts(void **state)
{
    (void)state;
    abort();
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
        cmocka_unit_test(test_aborts),
        cmocka_unit_test(test_never_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
