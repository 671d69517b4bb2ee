/* tests/unit/obs/test_utf8.c - unit tests of obs/utf8.c, the one UTF-8 check of
 * observables, patterns and log lines.
 * utf8_len() is compared with a plain decoder written here from RFC 3629 (decode the
 * code point, then refuse overlong forms, surrogates and anything above U+10FFFF) on
 * every 1- and 2-byte input, every 3-byte input that starts with a 3-byte lead, and
 * every 4-byte input of each 4-byte lead with the last byte varied, plus a table of
 * named edge cases; and on every cut-short sequence. utf8_span() is compared with a
 * byte-at-a-time walk of the same decoder on strings that put a NUL, a stray
 * continuation byte, an overlong form or a cut sequence at every offset of a 70-byte
 * line (so the 16- and 8-byte fast paths meet each of them at each alignment). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "obs/utf8.h"

/* RFC 3629, read plainly. */
static size_t plain_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    uint32_t cp, min;

    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        need = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        need = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        need = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

static size_t plain_span(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t k;

        if (s[i] == 0)
            return i;
        k = plain_len((const unsigned char *)s + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

static void check_len(const unsigned char *s, size_t n)
{
    size_t got = utf8_len(s, n), want = plain_len(s, n);

    if (got != want)
        fail_msg("%zu bytes %02x %02x %02x %02x: utf8_len %zu, want %zu", n, s[0], n > 1 ? s[1] : 0,
                 n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, got, want);
}

static void test_len_edges(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        size_t want;
    } cases[] = {
        {"a", 1, 1},
        {"\x00", 1, 1},
        {"\x7f", 1, 1},
        {"\x80", 1, 0},             /* stray continuation */
        {"\xc0\x80", 2, 0},         /* overlong NUL */
        {"\xc1\xbf", 2, 0},         /* overlong */
        {"\xc2\x80", 2, 2},         /* U+0080 */
        {"\xdf\xbf", 2, 2},         /* U+07FF */
        {"\xc3\xa9", 2, 2},         /* é */
        {"\xc3", 1, 0},             /* cut short */
        {"\xc3\x41", 2, 0},         /* no continuation */
        {"\xe0\x9f\xbf", 3, 0},     /* overlong */
        {"\xe0\xa0\x80", 3, 3},     /* U+0800 */
        {"\xed\x9f\xbf", 3, 3},     /* U+D7FF */
        {"\xed\xa0\x80", 3, 0},     /* U+D800, a surrogate */
        {"\xed\xbf\xbf", 3, 0},     /* U+DFFF */
        {"\xee\x80\x80", 3, 3},     /* U+E000 */
        {"\xef\xbf\xbf", 3, 3},     /* U+FFFF */
        {"\xe2\x82", 2, 0},         /* cut short */
        {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong */
        {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
        {"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xf8\x88\x80\x80", 4, 0},
        {"\xff", 1, 0},
        {"\xf0\x9f\x98", 3, 0},     /* cut short */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = utf8_len((const unsigned char *)cases[i].s, cases[i].n);

        if (got != cases[i].want)
            fail_msg("case %zu: %zu, want %zu", i, got, cases[i].want);
        check_len((const unsigned char *)cases[i].s, cases[i].n);
    }
}

static void test_len_exhaustive(void **state)
{
    unsigned char s[4];

    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        check_len(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            check_len(s, 2);
            if (a >= 0xE0 && a < 0xF0)
                for (unsigned c = 0; c < 256; c++) {
                    s[2] = (unsigned char)c;
                    check_len(s, 3);
                }
            if (a >= 0xF0 && a < 0xF8)
                for (unsigned c = 0x7F; c < 0xC1; c++)
                    for (unsigned d = 0x7F; d < 0xC1; d += 0x3F) {
                        s[2] = (unsigned char)c;
                        s[3] = (unsigned char)d;
                        check_len(s, 4);
                        check_len(s, 3);
                    }
        }
    }
}

static void test_span(void **state)
{
    static const char *const bad[] = {"\x00", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
    static const char good[] = "plain ascii and \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 then more ascii text!!";
    char s[128];

    (void)state;
    assert_int_equal(utf8_span("", 0), 0);
    assert_int_equal(utf8_span(good, sizeof good - 1), sizeof good - 1);
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        size_t bl = b == 0 ? 1 : strlen(bad[b]);

        for (size_t at = 0; at < 70; at++) {
            size_t n = 70 + bl;

            memset(s, 'x', sizeof s);
            memcpy(s + at, bad[b], bl);
            if (utf8_span(s, n) != plain_span(s, n))
                fail_msg("bad %zu at %zu: %zu, want %zu", b, at, utf8_span(s, n), plain_span(s, n));
            if (utf8_span(s, n) != at)
                fail_msg("bad %zu at %zu: %zu", b, at, utf8_span(s, n));
            /* the same, cut right after the bad bytes: the tail path */
            if (utf8_span(s, at + bl) != plain_span(s, at + bl))
                fail_msg("bad %zu at %zu, cut: %zu", b, at, utf8_span(s, at + bl));
        }
    }
    /* a valid multi-byte character at every offset, and cut at every length */
    for (size_t at = 0; at < 40; at++) {
        memset(s, 'y', sizeof s);
        memcpy(s + at, "\xf0\x9f\x98\x80", 4);
        assert_int_equal(utf8_span(s, 60), 60);
        for (size_t n = 0; n <= at + 4; n++)
            assert_int_equal(utf8_span(s, n), plain_span(s, n));
    }
}

/* utf8_text_ok: text a person may be shown (docs/security.md B2) - no C0, DEL, C1,
 * bidirectional embeddings, overrides or isolates; everything else well-formed is. */
static void test_text_ok(void **state)
{
    static const char *const ok[] = {"", "al-cert", "Crna Gora", "\xc2\xa0nbsp", "\xc3\xa9t\xc3\xa9",
                                     "\xd0\xa6\xd0\x93", "\xe2\x80\xa9?",  "\xe2\x80\xaf", "\xe2\x81\xa5",
                                     "\xe2\x81\xaa", "\xf0\x9f\x98\x80"};
    static const char *const bad[] = {"a\tb", "a\nb", "\x1b[2J", "del\x7f", "\xc2\x80", "\xc2\x9b" "2J",
                                      "\xc2\x9f", "\xe2\x80\xaa", "\xe2\x80\xae" "abc", "\xe2\x81\xa6",
                                      "x\xe2\x81\xa9", "\xff", "\xc2"};

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!utf8_text_ok(ok[i], strlen(ok[i])))
            fail_msg("refused: ok[%zu]", i);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (utf8_text_ok(bad[i], strlen(bad[i])))
            fail_msg("taken: bad[%zu]", i);
    assert_false(utf8_text_ok("a\0b", 3)); /* a NUL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_len_edges),
        cmocka_unit_test(test_len_exhaustive),
        cmocka_unit_test(test_span),
        cmocka_unit_test(test_text_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
