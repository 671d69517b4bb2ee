/* tests/selftest/test_segv.c - the runner's self-test (tests/selftest/run.sh): the
 * second of three tests writes through a wild pointer (SIGSEGV). cmocka 1.1.5 catches
 * the signal, fails that test and runs the next: 2 passed, 1 failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static void test_before(void **state)
{
    (void)state;
    assert_int_equal(1, 1);
}

static void test_wild_write(void **state)
{
    volatile uintptr_t addr = 16; /* volatile: neither the compiler nor UBSan sees it */

    (void)state;
    *(volatile int *)addr = 1;
    assert_true(0); /* not reached */
}

static void test_after(void **state)
{
    (void)state;
    assert_int_equal(2, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before),
        cmocka_unit_test(test_wild_write),
        cmocka_unit_test(test_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
