/* tests/selftest/test_pass.c - the runner's self-test (tests/selftest/run.sh): a
 * binary whose two tests pass, so that the self-test also sees the runner say yes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_adds(void **state)
{
    (void)state;
    assert_int_equal(2 + 2, 4);
}

static void test_compares(void **state)
{
    (void)state;
    assert_true(strcmp("a", "b") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adds),
        cmocka_unit_test(test_compares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
