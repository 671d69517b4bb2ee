/* tests/unit/fmt/test_cursor.c - unit tests of fmt/cursor.c (the `next` token).
 * Covers: cursor_encode/cursor_decode round trips (0, 1, small, large, INT64_MAX)
 * with tokens that fit CURSOR_STRLEN; a table of accepted tokens with their
 * positions; a table of rejected tokens ("", "p", wrong prefix, non-hex, uppercase
 * hex, 17 hex digits, values above INT64_MAX, blanks), where the output is left
 * untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt/cursor.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[256], w_[256];                                                   \
        snprintf(g_, sizeof g_, "'%s' => %lld", (name), (long long)(got));       \
        snprintf(w_, sizeof w_, "'%s' => %lld", (name), (long long)(want));      \
        assert_string_equal(g_, w_);                                             \
    } while (0)

static const int64_t positions[] = {
    0, 1, 9, 10, 15, 16, 255, 256, 4096, 123456789, INT64_C(1) << 32, (INT64_C(1) << 32) - 1,
    INT64_C(1) << 62, INT64_MAX - 1, INT64_MAX,
};

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        char tok[CURSOR_STRLEN + 8];
        int64_t back = -1;
        memset(tok, 'x', sizeof tok);
        cursor_encode(positions[i], tok);
        assert_true(memchr(tok, '\0', CURSOR_STRLEN) != NULL);
        assert_case_int(tok, cursor_decode(tok, &back), 0);
        assert_case_int(tok, back, positions[i]);
    }
}

/* Different positions give different tokens. */
static void test_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++)
        for (size_t j = i + 1; j < sizeof positions / sizeof positions[0]; j++) {
            char a[CURSOR_STRLEN], b[CURSOR_STRLEN];
            cursor_encode(positions[i], a);
            cursor_encode(positions[j], b);
            assert_string_not_equal(a, b);
        }
}

struct ok_case {
    const char *tok;
    int64_t seq;
};

static const struct ok_case ok_cases[] = {
    {"p0", 0},
    {"p1", 1},
    {"pa", 10},
    {"pff", 255},
    {"p100", 256},
    {"p00000000000000ff", 255}, /* 16 digits */
    {"p7fffffffffffffff", INT64_MAX},
};

static void test_decode_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        int64_t seq = -1;
        assert_case_int(ok_cases[i].tok, cursor_decode(ok_cases[i].tok, &seq), 0);
        assert_case_int(ok_cases[i].tok, seq, ok_cases[i].seq);
    }
}

static const char *const bad_tokens[] = {
    "",
    "p",
    "x12",
    "P12",
    "12",
    "pXYZ",
    "pxyz",
    "pg",
    "p12g",
    "pFF",                 /* uppercase hex */
    "pAbc",
    "p7FFFFFFFFFFFFFFF",
    "p00000000000000000",  /* 17 digits */
    "p10000000000000000",
    "p8000000000000000",   /* INT64_MAX + 1 */
    "pffffffffffffffff",
    "p-1",
    "p+1",
    "p 1",
    "p1 ",
    " p1",
    "p0x1",
    "pp1",
    "p1\n",
};

static void test_decode_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_tokens / sizeof bad_tokens[0]; i++) {
        int64_t seq = 424242;
        assert_case_int(bad_tokens[i], cursor_decode(bad_tokens[i], &seq), -1);
        assert_case_int(bad_tokens[i], seq, 424242);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_decode_accepts),
        cmocka_unit_test(test_decode_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
