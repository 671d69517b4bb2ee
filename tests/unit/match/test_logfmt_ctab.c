/* tests/unit/match/test_logfmt_ctab.c - the byte table of the log scanners,
 * logfmt_ctab[] (match/logfmt.c, built with CTAB() from the obs/ascii.h predicates).
 * Every one of the 256 entries is checked against a plain statement of each class,
 * written here as ordinary code over <ctype.h> in the C locale and explicit character
 * lists; and the label class is checked to be exactly the bytes obs/name.c accepts in
 * a domain label (name_label_map[]), so the text scanner's domains and the index's
 * never disagree about a character. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "match/logfmt_int.h"
#include "obs/obs_int.h"

static int in(const char *set, int c)
{
    return c != 0 && strchr(set, c) != NULL;
}

static unsigned plain_class(int c)
{
    unsigned k = 0;
    int asc = c < 128;

    if (asc && isdigit(c))
        k |= C_DIGIT;
    if (asc && isxdigit(c))
        k |= C_HEX;
    if (asc && isalpha(c))
        k |= C_ALPHA;
    if (asc && (isalnum(c) || in("-_", c)))
        k |= C_WORD;
    if (asc && (isalnum(c) || in("._%+-", c)))
        k |= C_LOCAL;
    if (asc && (iscntrl(c) || in(" \"'<>`", c)))
        k |= C_URLEND;
    if (asc && (isalnum(c) || c == ':'))
        k |= C_START;
    if (asc && (isxdigit(c) || in(":.", c)))
        k |= C_V6;
    return k;
}

static void test_every_entry(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        if (logfmt_ctab[c] != plain_class(c))
            fail_msg("logfmt_ctab[0x%02x] = 0x%02x, want 0x%02x", c, logfmt_ctab[c], plain_class(c));
    /* the CT() macro reads a (signed) char as its byte */
    assert_int_equal(CT((char)0xE9), logfmt_ctab[0xE9]);
    assert_int_equal(CT('a'), logfmt_ctab['a']);
}

static void test_labels_are_the_index_labels(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        if (!(logfmt_ctab[c] & C_WORD) != !name_label_map[c])
            fail_msg("byte 0x%02x: a label character to one and not to the other", c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry),
        cmocka_unit_test(test_labels_are_the_index_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
