/* tests/selftest/test_leak.c - the runner's self-test (tests/selftest/run.sh): the
 * code under test leaks, its tests pass, and LeakSanitizer reports at exit (the
 * binary aborts with ASAN_OPTIONS=abort_on_error=1). The runner must count both
 * tests as failed. Built only with SANITIZE=1; never part of `tests/run.sh all`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static char *volatile forgotten; /* volatile: the allocation cannot be optimised away */

/* The code under test: a copy of s that the caller frees, and one it forgets. */
static char *copy(const char *s)
{
    forgotten = strdup(s);
    forgotten = NULL;
    return strdup(s);
}

static void test_copy(void **state)
{
    char *c = copy("evil.example");

    (void)state;
    assert_string_equal(c, "evil.example");
    free(c);
}

static void test_copy_empty(void **state)
{
    char *c = copy("");

    (void)state;
    assert_string_equal(c, "");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_copy_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
