/* tests/unit/util/test_uuid.c - unit tests of util/uuid.c.
 * Covers mz_uuid_valid() with a table of accepted UUIDs (versions 1-5, variants
 * 8/9/a/b, uppercase hex) and rejected ones (versions 0 and 6+, other variants, wrong
 * lengths, misplaced hyphens, non-hex characters), mz_uuid_v4(): its output is a
 * valid lowercase version-4 UUID and two calls differ, and mz_random_hex(): exactly
 * out_size - 1 lowercase hex digits and a NUL, nothing past them, at every size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "util/uuid.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[256], w_[256];                                                   \
        snprintf(g_, sizeof g_, "'%s' => %lld", (name), (long long)(got));       \
        snprintf(w_, sizeof w_, "'%s' => %lld", (name), (long long)(want));      \
        assert_string_equal(g_, w_);                                             \
    } while (0)

struct uuid_case {
    const char *s;
    int valid;
};

static const struct uuid_case cases[] = {
    /* versions 1-5 */
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", 1},
    {"000003e8-2363-21ef-b200-325096b39f47", 1},
    {"a3bb189e-8bf9-3888-9912-ace4e6543002", 1},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 1},
    {"5a3c5b4d-2e0f-5b8a-9c1d-0e2f3a4b5c6d", 1},
    /* variant 10xx: 8, 9, a, b (either case) */
    {"8e2e2d2b-17d4-4cbf-838f-98ee46b3cd3f", 1},
    {"8e2e2d2b-17d4-4cbf-a38f-98ee46b3cd3f", 1},
    {"8e2e2d2b-17d4-4cbf-b38f-98ee46b3cd3f", 1},
    {"8e2e2d2b-17d4-4cbf-B38f-98ee46b3cd3f", 1},
    {"8e2e2d2b-17d4-4cbf-A38f-98ee46b3cd3f", 1},
    /* uppercase hex (the OASIS infrastructure example has one) */
    {"81F12913-1372-4C96-85EC-E9034AC98ABA", 1},
    {"81f12913-1372-4c96-85ec-E9034ac98aba", 1},
    /* version 0 and 6+ */
    {"8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f", 0},
    {"017f22e2-79b0-7cc3-98c4-dc0c0c07398f", 0},
    {"8e2e2d2b-17d4-8cbf-938f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-fcbf-938f-98ee46b3cd3f", 0},
    {"00000000-0000-0000-0000-000000000000", 0}, /* nil */
    {"ffffffff-ffff-ffff-ffff-ffffffffffff", 0}, /* max */
    /* other variants: NCS 0xxx, Microsoft 110x, reserved 111x */
    {"8e2e2d2b-17d4-4cbf-038f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-d38f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-e38f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-f38f-98ee46b3cd3f", 0},
    /* lengths */
    {"", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f0", 0},
    {"8e2e2d2b17d44cbf938f98ee46b3cd3f", 0},     /* no hyphens */
    {"{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}", 0},
    {"urn:uuid:8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 0},
    /* hyphens in the wrong places, or something else there */
    {"8e2e2d2b1-7d4-4cbf-938f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d44-cbf-938f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf9-38f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-938f9-8ee46b3cd3f", 0},
    {"8e2e2d2b_17d4_4cbf_938f_98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd-f", 0},
    /* non-hex */
    {"8e2e2d2g-17d4-4cbf-938f-98ee46b3cd3f", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3z", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3 ", 0},
    {" 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", 0},
    {"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3\xc3", 0},
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_case_int(cases[i].s, mz_uuid_valid(cases[i].s, strlen(cases[i].s)),
                        cases[i].valid);
}

/* Only s[0..len) counts: a valid UUID followed by more bytes is valid with len 36,
 * and a prefix of a valid one is not. */
static void test_valid_uses_len(void **state)
{
    const char *s = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f-and-more";

    (void)state;
    assert_int_equal(mz_uuid_valid(s, 36), 1);
    assert_int_equal(mz_uuid_valid(s, 35), 0);
    assert_int_equal(mz_uuid_valid(s, 37), 0);
    assert_int_equal(mz_uuid_valid(s, 0), 0);
}

static int all_lower_hex_or_hyphen(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
            return 0;
    return 1;
}

static void test_v4_is_valid_v4(void **state)
{
    char a[MZ_UUID_STRLEN], b[MZ_UUID_STRLEN];

    (void)state;
    assert_true(sodium_init() >= 0);
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    mz_uuid_v4(a);
    mz_uuid_v4(b);
    assert_int_equal(strlen(a), MZ_UUID_STRLEN - 1);
    assert_int_equal(mz_uuid_valid(a, strlen(a)), 1);
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    assert_true(all_lower_hex_or_hyphen(a));
    assert_int_equal(mz_uuid_valid(b, strlen(b)), 1);
    assert_int_equal(b[14], '4');
    assert_string_not_equal(a, b);
}

/* Many draws: every one is a v4 UUID, and the version and variant nibbles are the
 * only fixed ones (each other position takes more than one value). */
static void test_v4_many(void **state)
{
    char u[MZ_UUID_STRLEN], first[MZ_UUID_STRLEN];
    int varies[36] = {0};

    (void)state;
    assert_true(sodium_init() >= 0);
    mz_uuid_v4(first);
    for (int n = 0; n < 200; n++) {
        mz_uuid_v4(u);
        assert_int_equal(mz_uuid_valid(u, strlen(u)), 1);
        assert_int_equal(u[14], '4');
        assert_non_null(strchr("89ab", u[19]));
        for (int i = 0; i < 36; i++)
            varies[i] |= u[i] != first[i];
    }
    assert_int_equal(varies[14], 0);
    assert_int_equal(varies[8] + varies[13] + varies[18] + varies[23], 0);
    assert_int_equal(varies[0] + varies[7] + varies[19] + varies[35], 4);
}

/* mz_random_hex at sizes around its 32-digit refill: size - 1 digits, a NUL, the
 * byte past the buffer untouched; a size of 0 writes nothing. */
static void test_random_hex_sizes(void **state)
{
    static const size_t sizes[] = {1, 2, 3, 17, 32, 33, 34, 65, 100};
    char h[102];

    (void)state;
    assert_int_equal(mz_random_init(), MZ_OK);
    memset(h, '#', sizeof h);
    mz_random_hex(h, 0);
    assert_int_equal(h[0], '#');
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        memset(h, '#', sizeof h);
        mz_random_hex(h, sizes[k]);
        assert_int_equal(strlen(h), sizes[k] - 1);
        assert_int_equal(strspn(h, "0123456789abcdef"), sizes[k] - 1);
        assert_int_equal(h[sizes[k]], '#');
    }
}

/* The digits after each refill are new ones (equal by chance: 2^-128), and two
 * request-id-sized draws differ. */
static void test_random_hex_differs(void **state)
{
    char h[100], a[17], b[17];

    (void)state;
    assert_int_equal(mz_random_init(), MZ_OK);
    mz_random_hex(h, sizeof h);
    assert_memory_not_equal(h, h + 32, 32);
    assert_memory_not_equal(h + 32, h + 64, 32);
    mz_random_hex(a, sizeof a);
    mz_random_hex(b, sizeof b);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_valid_uses_len),
        cmocka_unit_test(test_v4_is_valid_v4),
        cmocka_unit_test(test_v4_many),
        cmocka_unit_test(test_random_hex_sizes),
        cmocka_unit_test(test_random_hex_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
