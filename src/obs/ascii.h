/* obs/ascii.h - byte classes of the observable vocabulary: which bytes are digits,
 * letters, hex digits, domain-label characters, controls; the value of a hex digit;
 * and ASCII_TABLE(), which builds a 256-entry byte table at compile time from one
 * predicate, so that no module types a byte table by hand.
 *
 * How it fits: every parser below index, match and rules (obs/ip.c, name.c, url.c,
 * ...), the log scanners (match/logfmt*.c), the pattern parser (rules/pattern*.c) and
 * the prefilter (engine/prefilter.c) classify bytes with these and nothing else, so
 * that "is this a label character" has one answer everywhere. Each module's byte
 * table is ASCII_TABLE() over a predicate written with the ASCII_IS_* macros below;
 * the unit tests check every entry of every table against <ctype.h> in the C locale
 * (tests/unit/obs/test_ascii.c and the tests of each table's module).
 *
 * Hand-written because <ctype.h> depends on the locale (isalpha(0xE9) is true in
 * Latin-1 locales) and is a function call per byte on the matcher's hot path; these
 * are branch-free compares the compiler folds into its tables. */
#ifndef MZ_OBS_ASCII_H
#define MZ_OBS_ASCII_H

#include <stddef.h>

/* Predicates on a byte value c in 0..255, usable in constant expressions (byte
 * tables) and at run time (through the inline functions below). */
#define ASCII_IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define ASCII_IS_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define ASCII_IS_LOWER(c) ((c) >= 'a' && (c) <= 'z')
#define ASCII_IS_ALPHA(c) (ASCII_IS_UPPER(c) || ASCII_IS_LOWER(c))
#define ASCII_IS_ALNUM(c) (ASCII_IS_ALPHA(c) || ASCII_IS_DIGIT(c))
#define ASCII_IS_HEX(c) (ASCII_IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
/* a domain label character: letters, digits, '-' and '_' (service labels such as
 * _dmarc; obs/name.c) */
#define ASCII_IS_LABEL(c) (ASCII_IS_ALNUM(c) || (c) == '-' || (c) == '_')
/* C0 controls and DEL; space is not one */
#define ASCII_IS_CTL(c) ((c) < 0x20 || (c) == 0x7F)
#define ASCII_IS_HIGH(c) ((c) >= 0x80) /* not ASCII: part of a UTF-8 sequence, or junk */
#define ASCII_TO_LOWER(c) (ASCII_IS_UPPER(c) ? (c) + ('a' - 'A') : (c))

/* ASCII_TABLE(F) is the 256 initialisers F(0), F(1), ..., F(255): a byte table is
 *     static const unsigned char t[256] = {ASCII_TABLE(MY_CLASS)};
 * with MY_CLASS(c) a constant expression of c built from the predicates above. */
#define ASCII_T4_(F, c) F(c), F((c) + 1), F((c) + 2), F((c) + 3)
#define ASCII_T16_(F, c) ASCII_T4_(F, c), ASCII_T4_(F, (c) + 4), ASCII_T4_(F, (c) + 8), ASCII_T4_(F, (c) + 12)
#define ASCII_T64_(F, c) \
    ASCII_T16_(F, c), ASCII_T16_(F, (c) + 16), ASCII_T16_(F, (c) + 32), ASCII_T16_(F, (c) + 48)
#define ASCII_TABLE(F) ASCII_T64_(F, 0), ASCII_T64_(F, 64), ASCII_T64_(F, 128), ASCII_T64_(F, 192)

/* Lower- and upper-case hex digits, indexed by value (0-15). */
extern const char ascii_hex_lc[17];
extern const char ascii_hex_uc[17];

static inline int ascii_is_digit(int c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline int ascii_is_lower(int c)
{
    return (unsigned)(c - 'a') < 26u;
}

static inline int ascii_is_upper(int c)
{
    return (unsigned)(c - 'A') < 26u;
}

static inline int ascii_is_alpha(int c)
{
    return ascii_is_lower(c) || ascii_is_upper(c);
}

static inline int ascii_is_alnum(int c)
{
    return ascii_is_alpha(c) || ascii_is_digit(c);
}

static inline int ascii_to_lower(int c)
{
    return ascii_is_upper(c) ? c + ('a' - 'A') : c;
}

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
static inline int ascii_hex_val(int c)
{
    if (ascii_is_digit(c))
        return c - '0';
    if ((unsigned)((c | 0x20) - 'a') < 6u)
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* Decode the hex digits s[0..n) (n even, either case) into out, which holds n / 2
 * bytes. Returns n / 2, or -1 (out partly written) if n is odd or a byte is no hex
 * digit. */
long ascii_hex_decode(const char *s, size_t n, unsigned char *out);

#endif
