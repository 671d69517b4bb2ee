/* tests/unit/obs/test_ascii.c - unit tests of obs/ascii.h (the byte classes of the
 * observable vocabulary) and of the byte tables obs/ builds with ASCII_TABLE().
 * Every predicate and every entry of every table is checked, for all 256 byte values,
 * against a plain statement of the class written here as ordinary code over <ctype.h>
 * in the C locale (which the test never changes) and explicit character lists, so a
 * wrong entry, a wrong predicate or a table built from the wrong predicate fails.
 * Also: ascii_hex_val() and ascii_hex_decode() as tables of accepted and refused input,
 * and a table made by ASCII_TABLE() has each byte at its own index. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "obs/ascii.h"
#include "obs/obs_int.h"

/* ---- plain statements of each class ---- */

static int plain_label(int c)
{
    return c < 128 && (isalnum(c) || c == '-' || c == '_');
}

static int plain_ctl(int c)
{
    return c < 128 && iscntrl(c); /* 0x00-0x1F and 0x7F in the C locale */
}

static unsigned plain_guess_class(int c)
{
    unsigned k = 0;

    if (c < 128 && isdigit(c))
        k |= OBS_CL_DIGIT;
    if (c < 128 && isxdigit(c))
        k |= OBS_CL_HEX;
    if (c < 128 && isalpha(c))
        k |= OBS_CL_ALPHA;
    if (plain_label(c) || c == '.')
        k |= OBS_CL_DOM;
    if ((c < 128 && isxdigit(c)) || (c != 0 && strchr(":./", c)))
        k |= OBS_CL_V6;
    if ((c < 128 && isdigit(c)) || (c != 0 && strchr("./", c)))
        k |= OBS_CL_V4;
    if (plain_ctl(c) || c == ' ')
        k |= OBS_CL_CTL;
    if (c >= 128)
        k |= OBS_CL_HIGH;
    return k;
}

/* ---- predicates ---- */

static void test_predicates(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int asc = c < 128;

        if (ascii_is_digit(c) != (asc && isdigit(c)) || ASCII_IS_DIGIT(c) != (asc && isdigit(c)))
            fail_msg("byte 0x%02x: digit", c);
        if (ascii_is_lower(c) != (asc && islower(c)) || ASCII_IS_LOWER(c) != (asc && islower(c)))
            fail_msg("byte 0x%02x: lower", c);
        if (ascii_is_upper(c) != (asc && isupper(c)) || ASCII_IS_UPPER(c) != (asc && isupper(c)))
            fail_msg("byte 0x%02x: upper", c);
        if (ascii_is_alpha(c) != (asc && isalpha(c)) || ASCII_IS_ALPHA(c) != (asc && isalpha(c)))
            fail_msg("byte 0x%02x: alpha", c);
        if (ascii_is_alnum(c) != (asc && isalnum(c)) || ASCII_IS_ALNUM(c) != (asc && isalnum(c)))
            fail_msg("byte 0x%02x: alnum", c);
        if (ASCII_IS_HEX(c) != (asc && isxdigit(c)))
            fail_msg("byte 0x%02x: hex", c);
        if (ASCII_IS_LABEL(c) != plain_label(c))
            fail_msg("byte 0x%02x: label", c);
        if (ASCII_IS_CTL(c) != plain_ctl(c))
            fail_msg("byte 0x%02x: control", c);
        if (ASCII_IS_HIGH(c) != !asc)
            fail_msg("byte 0x%02x: high", c);
        if (ascii_to_lower(c) != (asc ? tolower(c) : c) || ASCII_TO_LOWER(c) != (asc ? tolower(c) : c))
            fail_msg("byte 0x%02x: lower case", c);
    }
    /* what a signed char or EOF hands over is no class member */
    for (int c = -200; c < 0; c++)
        if (ascii_is_digit(c) || ascii_is_alpha(c) || ascii_hex_val(c) != -1 || ascii_to_lower(c) != c)
            fail_msg("%d is in a class", c);
}

/* ---- hex ---- */

static void test_hex(void **state)
{
    static const struct {
        const char *in;
        long rc;
        const char *want; /* decoded bytes, as a string */
    } cases[] = {
        {"", 0, ""},
        {"41", 1, "A"},
        {"4a4B", 2, "JK"},
        {"00ff", 2, "\x00\xff"},
        {"7e7E7f", 3, "~~\x7f"},
        {"4", -1, ""},
        {"4g", -1, ""},
        {"g4", -1, ""},
        {"4 ", -1, ""},
        {"0x41", -1, ""},
        {"414", -1, ""},
    };

    (void)state;
    for (int c = 0; c < 256; c++) {
        int want = c < 128 && isxdigit(c) ? (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10) : -1;

        if (ascii_hex_val(c) != want)
            fail_msg("byte 0x%02x: hex value %d, want %d", c, ascii_hex_val(c), want);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char out[8];
        long rc = ascii_hex_decode(cases[i].in, strlen(cases[i].in), out);

        if (rc != cases[i].rc)
            fail_msg("'%s': %ld, want %ld", cases[i].in, rc, cases[i].rc);
        if (rc > 0)
            assert_memory_equal(out, cases[i].want, (size_t)rc);
    }
    assert_string_equal(ascii_hex_lc, "0123456789abcdef");
    assert_string_equal(ascii_hex_uc, "0123456789ABCDEF");
}

/* ---- tables ---- */

#define IDENT(c) (c)
static const unsigned char ident[256] = {ASCII_TABLE(IDENT)};

static void test_table_macro(void **state)
{
    (void)state;
    assert_int_equal(sizeof ident, 256);
    for (int c = 0; c < 256; c++)
        assert_int_equal(ident[c], c);
}

/* name.c: the lowercase form of a label byte, or 0. */
static void test_label_map(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        unsigned want = plain_label(c) ? (unsigned)tolower(c) : 0;

        if (name_label_map[c] != want)
            fail_msg("name_label_map[0x%02x] = 0x%02x, want 0x%02x", c, name_label_map[c], want);
    }
}

/* obs.c: the classes obs_guess_kind() ANDs over a value. */
static void test_guess_class(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        if (obs_guess_class[c] != plain_guess_class(c))
            fail_msg("obs_guess_class[0x%02x] = 0x%02x, want 0x%02x", c, obs_guess_class[c],
                     plain_guess_class(c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_table_macro),
        cmocka_unit_test(test_label_map),
        cmocka_unit_test(test_guess_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
