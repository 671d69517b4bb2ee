/* tests/unit/node/test_gate.c - unit tests of node/gate.c's counts (the watchdog is
 * tested through the server: tests/integ/test_http_limits.c).
 * Covers: counts per key against the limit each take gives, at the boundary (up to
 * the limit, one more refused and nothing added), n larger than the limit, keys
 * counted apart, a count given back whole and in part (an entry with nothing left
 * is gone, so taking again starts from zero), giving back more than held; the bytes
 * of bodies against max_bytes, with the same boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "node/gate.h"

static int gate_setup(void **state)
{
    struct gate_limits lim = {1000};
    struct gate *g = NULL;
    struct mz_error err;

    if (gate_new(&lim, &g, &err) != MZ_OK)
        return -1;
    *state = g;
    return 0;
}

static int gate_teardown(void **state)
{
    gate_free(*state);
    return 0;
}

struct take_case {
    const char *key;
    size_t n, max;
    int ok;         /* gate_count_take's answer */
    size_t after;   /* key's count after it */
};

/* One sequence of takes on a fresh gate, each seeing the ones before. */
static void test_count_take(void **state)
{
    static const struct take_case cases[] = {
        {"body 192.0.2.7", 300, 500, 1, 300},
        {"body 192.0.2.7", 200, 500, 1, 500},  /* exactly the limit */
        {"body 192.0.2.7", 1, 500, 0, 500},    /* one more: nothing added */
        {"body 192.0.2.7", 1, 501, 1, 501},    /* each take gives its own limit */
        {"body user 12", 500, 500, 1, 500},    /* another key counts apart */
        {"body user 13", 501, 500, 0, 0},      /* n over the limit by itself */
        {"body user 13", 0, 0, 1, 0},          /* nothing, within nothing */
        {"export 2001:db8:1:2::/64", 1, 1, 1, 1},
        {"export 2001:db8:1:2::/64", 1, 1, 0, 1},
        {"body user 14", (size_t)-1, (size_t)-1, 1, (size_t)-1},
        {"body user 14", 1, (size_t)-1, 0, (size_t)-1}, /* no wrap-around */
    };
    struct gate *g = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct take_case *c = &cases[i];
        int ok = gate_count_take(g, c->key, c->n, c->max);
        if (ok != c->ok || gate_count(g, c->key) != c->after)
            fail_msg("case %zu (%s, %zu of %zu): %d with %zu, want %d with %zu", i, c->key, c->n, c->max, ok,
                     gate_count(g, c->key), c->ok, c->after);
    }
    gate_count_give(g, "body user 14", (size_t)-1);
    assert_int_equal(gate_count(g, "body user 14"), 0);
}

static void test_count_give(void **state)
{
    struct gate *g = *state;

    assert_int_equal(gate_count_take(g, "k", 10, 10), 1);
    gate_count_give(g, "k", 4);
    assert_int_equal(gate_count(g, "k"), 6);
    assert_int_equal(gate_count_take(g, "k", 4, 10), 1);
    assert_int_equal(gate_count_take(g, "k", 1, 10), 0);
    gate_count_give(g, "k", 25); /* more than held: down to nothing, never below */
    assert_int_equal(gate_count(g, "k"), 0);
    gate_count_give(g, "k", 1);  /* nothing held: nothing happens */
    gate_count_give(g, "never", 1);
    assert_int_equal(gate_count(g, "never"), 0);
    assert_int_equal(gate_count_take(g, "k", 10, 10), 1);
    gate_count_give(g, "k", 10);
}

static void test_bytes(void **state)
{
    struct gate *g = *state;

    assert_int_equal(gate_bytes_take(g, 600), 1);
    assert_int_equal(gate_bytes_take(g, 401), 0);
    assert_int_equal(gate_bytes_held(g), 600);
    assert_int_equal(gate_bytes_take(g, 400), 1);
    assert_int_equal(gate_bytes_take(g, 1), 0);
    gate_bytes_give(g, 1000);
    assert_int_equal(gate_bytes_take(g, 1001), 0);
    assert_int_equal(gate_bytes_held(g), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_count_take, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_count_give, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_bytes, gate_setup, gate_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
