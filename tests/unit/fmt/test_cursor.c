/* tests/unit/fmt/test_cursor.c - unit tests of fmt/cursor.c (the layout of the
 * `next` token; domain/svc_cursor.c seals it, tests/unit/domain/test_svc_cursor.c).
 * Covers: cursor_pack_seq/cursor_unpack_seq round trips (0, 1, small, large,
 * INT64_MAX) and a refused plaintext above INT64_MAX; cursor_encode/cursor_decode
 * round trips of raw tokens, every token the same length (CURSOR_STRLEN - 1); a table
 * of refused texts: "", the old clear-text tokens ("p1f3"), one digit short or long,
 * uppercase hex, non-hex, blanks, another version byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt/cursor.h"

static const int64_t positions[] = {
    0, 1, 9, 10, 15, 16, 255, 256, 4096, 123456789, INT64_C(1) << 32, (INT64_C(1) << 32) - 1,
    INT64_C(1) << 62, INT64_MAX - 1, INT64_MAX,
};

static void test_pack_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        unsigned char b[CURSOR_PLAIN_LEN];
        int64_t back = -1;
        cursor_pack_seq(positions[i], b);
        assert_int_equal(cursor_unpack_seq(b, &back), 0);
        assert_int_equal(back, positions[i]);
    }
}

static void test_pack_is_big_endian(void **state)
{
    static const unsigned char want[CURSOR_PLAIN_LEN] = {0, 0, 0, 1, 2, 3, 4, 5};
    unsigned char b[CURSOR_PLAIN_LEN];

    (void)state;
    cursor_pack_seq(INT64_C(0x0102030405), b);
    assert_memory_equal(b, want, sizeof want);
}

static void test_unpack_refuses_above_int64_max(void **state)
{
    static const unsigned char big[CURSOR_PLAIN_LEN] = {0x80, 0, 0, 0, 0, 0, 0, 0};
    int64_t seq = 424242;

    (void)state;
    assert_int_equal(cursor_unpack_seq(big, &seq), -1);
    assert_int_equal(seq, 424242);
}

/* Raw tokens made from a pattern of byte values. */
static void raw_of(unsigned seed, unsigned char raw[CURSOR_RAW_LEN])
{
    raw[0] = CURSOR_VERSION;
    for (size_t i = 1; i < CURSOR_RAW_LEN; i++)
        raw[i] = (unsigned char)(seed * 31u + i * 17u);
}

static void test_text_round_trip(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 64; seed++) {
        unsigned char raw[CURSOR_RAW_LEN], back[CURSOR_RAW_LEN];
        char tok[CURSOR_STRLEN + 8];
        memset(tok, 'x', sizeof tok);
        raw_of(seed, raw);
        cursor_encode(raw, tok);
        assert_int_equal(strlen(tok), CURSOR_STRLEN - 1);
        for (size_t i = 0; tok[i]; i++)
            assert_non_null(strchr("0123456789abcdef", tok[i]));
        assert_int_equal(cursor_decode(tok, back), 0);
        assert_memory_equal(raw, back, CURSOR_RAW_LEN);
    }
}

static void test_decode_refuses(void **state)
{
    unsigned char raw[CURSOR_RAW_LEN], out[CURSOR_RAW_LEN];
    char good[CURSOR_STRLEN], bad[CURSOR_STRLEN + 8];
    static const char *const texts[] = {"", "p", "p0", "p1f3", "p7fffffffffffffff", "01", "zz"};

    (void)state;
    raw_of(7, raw);
    cursor_encode(raw, good);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_int_equal(cursor_decode(texts[i], out), -1);
    /* one digit short, one digit more */
    snprintf(bad, sizeof bad, "%.*s", (int)strlen(good) - 1, good);
    assert_int_equal(cursor_decode(bad, out), -1);
    snprintf(bad, sizeof bad, "%s0", good);
    assert_int_equal(cursor_decode(bad, out), -1);
    /* uppercase, a non-hex byte, a blank, anywhere */
    for (size_t pos = 0; pos < strlen(good); pos += 7) {
        static const char subst[] = {'A', 'F', 'g', ' ', '\n', '+'};
        for (size_t k = 0; k < sizeof subst; k++) {
            snprintf(bad, sizeof bad, "%s", good);
            bad[pos] = subst[k];
            assert_int_equal(cursor_decode(bad, out), -1);
        }
    }
    /* another version */
    raw[0] = CURSOR_VERSION + 1;
    cursor_encode(raw, bad);
    assert_int_equal(cursor_decode(bad, out), -1);
    raw[0] = 0;
    cursor_encode(raw, bad);
    assert_int_equal(cursor_decode(bad, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_round_trip),
        cmocka_unit_test(test_pack_is_big_endian),
        cmocka_unit_test(test_unpack_refuses_above_int64_max),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_decode_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
