/* obs/utf8.c - UTF-8 well-formedness (see utf8.h). Patterns check their whole text
 * with utf8_span() before parsing, the Zeek and CSV scanners every line, the JSON
 * scanner each string's non-ASCII bytes with utf8_len(), and the URL and domain
 * normalisers their non-ASCII parts.
 *
 * Hand-written: it is on the matcher's path for every non-JSON log line, where a
 * mostly-ASCII line must cost a few vector compares; iconv() and mbrtowc() depend on
 * the locale and are a call per character. */
#include "obs/utf8.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

size_t utf8_span(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
#if defined(__SSE2__)
        if (n - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));

            /* a byte >= 0x80 or a NUL byte sets a sign bit */
            if (!_mm_movemask_epi8(_mm_or_si128(x, _mm_cmpeq_epi8(x, _mm_setzero_si128())))) {
                i += 16;
                continue;
            }
        }
#endif
        if (n - i >= 8) {
            uint64_t x;

            memcpy(&x, p + i, 8);
            /* (x - ONES) & ~x has the high bit of each zero byte set */
            if (!((((x - ONES) & ~x) | x) & HIGHS)) {
                i += 8;
                continue;
            }
        }
        if (p[i] == 0)
            return i;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        {
            size_t k = utf8_len(p + i, n - i);

            if (!k)
                return i;
            i += k;
        }
    }
    return n;
}

int utf8_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    if (utf8_span(s, n) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0; /* C0, DEL */
        if (p[i] == 0xc2 && p[i + 1] < 0xa0)
            return 0; /* C1: U+0080-U+009F is C2 80-9F (well-formed: i + 1 < n) */
        if (p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
                             (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
            return 0; /* U+202A-U+202E (E2 80 AA-AE), U+2066-U+2069 (E2 81 A6-A9) */
    }
    return 1;
}
