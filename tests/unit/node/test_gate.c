/* tests/unit/node/test_gate.c - unit tests of node/gate.c's counts (the watchdog is
 * tested through the server: tests/integ/test_http_limits.c).
 * Covers: counts per key against the limit each take gives, at the boundary (up to
 * the limit, one more refused and nothing added), n larger than the limit, keys
 * counted apart, a count given back whole and in part (an entry with nothing left
 * is gone, so taking again starts from zero), giving back more than held; the bytes
 * of bodies against max_bytes, with the same boundaries; claims (several counts and a
 * budget taken all or none; the budget's reserve for claimants holding nothing). */
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

/* Three counts of a client and a budget of 4 keeping 1: a client holding nothing
 * may take the budget whole; one holding something only up to 3; a refusal names the
 * count and takes nothing. */
static void test_claim(void **state)
{
    struct gate *g = *state;
    struct gate_claim a[] = {{"addr a", 1}, {"user a", 1}, {"org A", 2}, {"all", 4}};
    struct gate_claim a2[] = {{"addr a2", 1}, {"user a2", 1}, {"org A", 2}, {"all", 4}};
    struct gate_claim a3[] = {{"addr a3", 1}, {"user a3", 1}, {"org A", 2}, {"all", 4}};
    struct gate_claim b[] = {{"addr b", 1}, {"user b", 1}, {"org B", 2}, {"all", 4}};
    struct gate_claim b2[] = {{"addr b2", 1}, {"user b2", 1}, {"org B", 2}, {"all", 4}};
    struct gate_claim c[] = {{"addr c", 1}, {"user c", 1}, {"org C", 2}, {"all", 4}};
    struct gate_claim d[] = {{"addr d", 5000}, {NULL, 600}};

    assert_int_equal(gate_claim_take(g, a, 4, 1, 1), -1);
    assert_int_equal(gate_claim_take(g, a, 4, 1, 1), 0);   /* the address's share */
    assert_int_equal(gate_claim_take(g, a2, 4, 1, 1), -1);
    assert_int_equal(gate_claim_take(g, a3, 4, 1, 1), 2);  /* the organisation's */
    assert_int_equal(gate_count(g, "addr a3"), 0);         /* nothing taken */
    assert_int_equal(gate_claim_take(g, b, 4, 1, 1), -1);  /* 3 of 4 */
    assert_int_equal(gate_claim_take(g, b2, 4, 1, 1), 3);  /* org B holds: the last is kept */
    assert_int_equal(gate_claim_take(g, c, 4, 1, 1), -1);  /* org C holds none: 4 of 4 */
    assert_int_equal(gate_count(g, "all"), 4);
    gate_claim_give(g, c, 4, 1);
    gate_claim_give(g, b, 4, 1);
    gate_claim_give(g, a2, 4, 1);
    gate_claim_give(g, a, 4, 1);
    assert_int_equal(gate_count(g, "all"), 0);
    assert_int_equal(gate_count(g, "org A"), 0);
    /* the bytes of bodies as the budget, at most max_bytes (1000) */
    assert_int_equal(gate_claim_take(g, d, 2, 601, 0), 1);  /* 600 at most here */
    d[1].max = 5000;
    assert_int_equal(gate_claim_take(g, d, 2, 1001, 0), 1); /* max_bytes */
    assert_int_equal(gate_count(g, "addr d"), 0);
    assert_int_equal(gate_claim_take(g, d, 2, 1000, 0), -1);
    assert_int_equal(gate_bytes_held(g), 1000);
    gate_claim_give(g, d, 2, 1000);
    assert_int_equal(gate_bytes_held(g), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_count_take, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_count_give, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_bytes, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_claim, gate_setup, gate_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
