/* tests/unit/util/test_buf.c - unit tests of util/buf.c (the capped byte buffer).
 * Covers: the cap (appending up to the limit works, one byte more is MZ_ETOOBIG and
 * leaves the content and length unchanged, for append/puts/putc/printf/reserve, and
 * sizes that would overflow); the latched first error; NUL termination; reset; mz_buf_json_str() on a table of
 * inputs (quotes, backslashes, control characters, UTF-8), cross-checked by parsing
 * the output back with jansson; mz_buf_steal() and mz_buf_free(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/buf.h"

static void test_append_within_limit(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 8);
    assert_int_equal(b.len, 0);
    assert_int_equal(mz_buf_append(&b, "abc", 3), MZ_OK);
    assert_int_equal(mz_buf_puts(&b, "de"), MZ_OK);
    assert_int_equal(mz_buf_putc(&b, 'f'), MZ_OK);
    assert_int_equal(mz_buf_printf(&b, "%d", 78), MZ_OK);
    assert_int_equal(b.len, 8); /* exactly the limit */
    assert_memory_equal(b.data, "abcdef78", 9); /* NUL-terminated */
    assert_int_equal(mz_buf_append(&b, "", 0), MZ_OK);
    assert_int_equal(b.len, 8);
    mz_buf_free(&b);
}

/* One byte over the cap: MZ_ETOOBIG, and the buffer is exactly as it was. Each call
 * on a buffer of its own, since the first failure is latched (test_latch). */
static void refuse_one(enum mz_err (*over)(struct mz_buf *b))
{
    struct mz_buf b;

    mz_buf_init(&b, 8);
    assert_int_equal(mz_buf_puts(&b, "12345"), MZ_OK);
    assert_int_equal(over(&b), MZ_ETOOBIG);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(mz_buf_status(&b), MZ_ETOOBIG);
    mz_buf_free(&b);
}

static enum mz_err over_append(struct mz_buf *b) { return mz_buf_append(b, "6789", 4); }
static enum mz_err over_puts(struct mz_buf *b) { return mz_buf_puts(b, "abcd"); }
static enum mz_err over_printf(struct mz_buf *b) { return mz_buf_printf(b, "%s", "wxyz"); }
static enum mz_err over_reserve(struct mz_buf *b) { return mz_buf_reserve(b, 4); }

static void test_cap_refuses_and_keeps_content(void **state)
{
    struct mz_buf b;

    (void)state;
    refuse_one(over_append);
    refuse_one(over_puts);
    refuse_one(over_printf);
    refuse_one(over_reserve);
    /* mz_buf_json_str may leave part of the string behind; the latch says so */
    mz_buf_init(&b, 8);
    assert_int_equal(mz_buf_puts(&b, "12345"), MZ_OK);
    assert_int_equal(mz_buf_json_str(&b, "ab"), MZ_ETOOBIG);
    assert_int_equal(mz_buf_status(&b), MZ_ETOOBIG);
    mz_buf_free(&b);

    /* exactly up to the cap is fine; the next byte is not */
    mz_buf_init(&b, 8);
    assert_int_equal(mz_buf_puts(&b, "12345"), MZ_OK);
    assert_int_equal(mz_buf_reserve(&b, 3), MZ_OK);
    assert_int_equal(mz_buf_append(&b, "678", 3), MZ_OK);
    assert_int_equal(mz_buf_status(&b), MZ_OK);
    assert_int_equal(mz_buf_putc(&b, '9'), MZ_ETOOBIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    mz_buf_free(&b);
}

/* The first failure is latched: an append that would fit after it is refused with the
 * same error (a reply that lost a piece must not go on as if whole), mz_buf_status()
 * reports it, and mz_buf_reset() clears it. */
static void test_latch(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 8);
    assert_int_equal(mz_buf_status(&b), MZ_OK);
    assert_int_equal(mz_buf_puts(&b, "{\"a\":"), MZ_OK);
    assert_int_equal(mz_buf_puts(&b, "\"too long\""), MZ_ETOOBIG);
    assert_int_equal(mz_buf_putc(&b, '}'), MZ_ETOOBIG);
    assert_int_equal(mz_buf_append(&b, "1", 1), MZ_ETOOBIG);
    assert_int_equal(mz_buf_printf(&b, "%d", 1), MZ_ETOOBIG);
    assert_int_equal(mz_buf_json_str(&b, ""), MZ_ETOOBIG);
    assert_int_equal(mz_buf_reserve(&b, 1), MZ_ETOOBIG);
    assert_int_equal(mz_buf_status(&b), MZ_ETOOBIG);
    assert_string_equal(b.data, "{\"a\":");
    mz_buf_reset(&b);
    assert_int_equal(mz_buf_status(&b), MZ_OK);
    assert_int_equal(mz_buf_puts(&b, "ok"), MZ_OK);
    assert_string_equal(b.data, "ok");
    mz_buf_free(&b);
    /* init starts clean even on a struct that held a latched error */
    b.err = MZ_ENOMEM;
    mz_buf_init(&b, 8);
    assert_int_equal(mz_buf_status(&b), MZ_OK);
    mz_buf_free(&b);
}

/* Sizes near SIZE_MAX must not wrap around the check. */
static void test_cap_overflowing_sizes(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 16);
    assert_int_equal(mz_buf_puts(&b, "abc"), MZ_OK);
    assert_int_equal(mz_buf_reserve(&b, SIZE_MAX), MZ_ETOOBIG);
    assert_int_equal(mz_buf_reserve(&b, SIZE_MAX - 1), MZ_ETOOBIG);
    assert_int_equal(mz_buf_append(&b, "x", SIZE_MAX), MZ_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    mz_buf_free(&b);

    /* even with no practical limit */
    mz_buf_init(&b, SIZE_MAX);
    assert_int_equal(mz_buf_puts(&b, "abc"), MZ_OK);
    assert_int_equal(mz_buf_reserve(&b, SIZE_MAX - 1), MZ_ETOOBIG);
    assert_int_equal(b.len, 3);
    mz_buf_free(&b);
}

static void test_zero_limit(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 0);
    assert_int_equal(mz_buf_printf(&b, "%s", ""), MZ_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(mz_buf_putc(&b, 'a'), MZ_ETOOBIG);
    assert_int_equal(b.len, 0);
    mz_buf_free(&b);
}

/* Growth past the first allocation keeps earlier bytes. */
static void test_grows(void **state)
{
    struct mz_buf b;
    char want[5001];

    (void)state;
    mz_buf_init(&b, 5000);
    for (int i = 0; i < 5000; i++) {
        want[i] = (char)('a' + i % 26);
        assert_int_equal(mz_buf_putc(&b, want[i]), MZ_OK);
    }
    want[5000] = '\0';
    assert_int_equal(b.len, 5000);
    assert_true(b.cap > b.len);
    assert_memory_equal(b.data, want, 5001);
    assert_int_equal(mz_buf_putc(&b, 'z'), MZ_ETOOBIG);
    mz_buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    struct mz_buf b;
    size_t cap;

    (void)state;
    mz_buf_init(&b, 64);
    assert_int_equal(mz_buf_puts(&b, "hello"), MZ_OK);
    cap = b.cap;
    mz_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    assert_int_equal(mz_buf_puts(&b, "again"), MZ_OK);
    assert_string_equal(b.data, "again");
    mz_buf_free(&b);
}

struct json_case {
    const char *in;
    const char *out;
};

static const struct json_case json_cases[] = {
    {"", "\"\""},
    {"abc", "\"abc\""},
    {"say \"hi\"", "\"say \\\"hi\\\"\""},
    {"C:\\temp\\", "\"C:\\\\temp\\\\\""},
    {"\\\"", "\"\\\\\\\"\""},
    {"a\nb", "\"a\\u000ab\""},
    {"\t\r", "\"\\u0009\\u000d\""},
    {"\x01", "\"\\u0001\""},
    {"\x1f", "\"\\u001f\""},
    {" ", "\" \""},
    {"\x7f", "\"\x7f\""},
    {"/", "\"/\""},
    {"mreža – ćčžšđ", "\"mreža – ćčžšđ\""},
    {"</script>", "\"</script>\""},
};

static void test_json_str_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        struct mz_buf b;
        json_t *v;
        mz_buf_init(&b, 1024);
        assert_int_equal(mz_buf_json_str(&b, json_cases[i].in), MZ_OK);
        assert_string_equal(b.data, json_cases[i].out);
        assert_int_equal(b.len, strlen(json_cases[i].out));
        /* what jansson reads back is the input */
        v = json_loads(b.data, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        assert_string_equal(json_string_value(v), json_cases[i].in);
        json_decref(v);
        mz_buf_free(&b);
    }
}

/* Every control character comes back from jansson unchanged. */
static void test_json_str_all_control_chars(void **state)
{
    struct mz_buf b;
    char in[33];
    json_t *v;

    (void)state;
    for (int c = 1; c < 32; c++)
        in[c - 1] = (char)c;
    in[31] = '"';
    in[32] = '\0';
    mz_buf_init(&b, 1024);
    assert_int_equal(mz_buf_json_str(&b, in), MZ_OK);
    v = json_loads(b.data, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(v), in);
    json_decref(v);
    mz_buf_free(&b);
}

static void test_json_str_appends(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 64);
    assert_int_equal(mz_buf_puts(&b, "{\"k\":"), MZ_OK);
    assert_int_equal(mz_buf_json_str(&b, "v\""), MZ_OK);
    assert_int_equal(mz_buf_putc(&b, '}'), MZ_OK);
    assert_string_equal(b.data, "{\"k\":\"v\\\"\"}");
    mz_buf_free(&b);
}

/* The escaped form counts against the cap: "a\"b" needs 6 bytes, not 3. */
static void test_json_str_cap(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_init(&b, 6);
    assert_int_equal(mz_buf_json_str(&b, "a\"b"), MZ_OK);
    assert_string_equal(b.data, "\"a\\\"b\"");
    mz_buf_free(&b);
    mz_buf_init(&b, 5);
    assert_int_equal(mz_buf_json_str(&b, "a\"b"), MZ_ETOOBIG);
    mz_buf_free(&b);
    mz_buf_init(&b, 7);
    assert_int_equal(mz_buf_json_str(&b, "\n"), MZ_ETOOBIG); /* "\u000a" is 8 */
    mz_buf_free(&b);
}

static void test_steal(void **state)
{
    struct mz_buf b;
    size_t len = 0;
    char *p;

    (void)state;
    mz_buf_init(&b, 64);
    assert_int_equal(mz_buf_puts(&b, "stolen bytes"), MZ_OK);
    p = mz_buf_steal(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 12);
    assert_string_equal(p, "stolen bytes");
    /* b is empty and usable again, under the same limit */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(mz_buf_puts(&b, "more"), MZ_OK);
    assert_string_equal(b.data, "more");
    assert_string_equal(p, "stolen bytes");
    assert_int_equal(mz_buf_append(&b, "0123456789012345678901234567890123456789012345678901234567890", 61), MZ_ETOOBIG);
    free(p);
    mz_buf_free(&b);
}

/* Stealing an empty buffer gives an empty string, not NULL. */
static void test_steal_empty(void **state)
{
    struct mz_buf b;
    size_t len = 99;
    char *p;

    (void)state;
    mz_buf_init(&b, 64);
    p = mz_buf_steal(&b, &len);
    assert_non_null(p);
    assert_string_equal(p, "");
    assert_int_equal(len, 0);
    free(p);
    p = mz_buf_steal(&b, NULL);
    assert_non_null(p);
    free(p);
    mz_buf_free(&b);
}

static void test_free_twice_and_null(void **state)
{
    struct mz_buf b;

    (void)state;
    mz_buf_free(NULL);
    mz_buf_init(&b, 64);
    mz_buf_free(&b); /* never allocated */
    assert_int_equal(mz_buf_puts(&b, "x"), MZ_OK);
    mz_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    mz_buf_free(&b); /* twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_within_limit),
        cmocka_unit_test(test_cap_refuses_and_keeps_content),
        cmocka_unit_test(test_latch),
        cmocka_unit_test(test_cap_overflowing_sizes),
        cmocka_unit_test(test_zero_limit),
        cmocka_unit_test(test_grows),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_json_str_table),
        cmocka_unit_test(test_json_str_all_control_chars),
        cmocka_unit_test(test_json_str_appends),
        cmocka_unit_test(test_json_str_cap),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_steal_empty),
        cmocka_unit_test(test_free_twice_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
