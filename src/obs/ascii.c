/* obs/ascii.c - the out-of-line parts of obs/ascii.h: the hex digit strings and hex
 * decoding (pattern literals h'...', _hex property values). Everything else there is
 * an inline function or a macro. Hand-written: a dozen lines, and the locale-free
 * byte classes are the point (see ascii.h). */
#include "obs/ascii.h"

const char ascii_hex_lc[17] = "0123456789abcdef";
const char ascii_hex_uc[17] = "0123456789ABCDEF";

long ascii_hex_decode(const char *s, size_t n, unsigned char *out)
{
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int h = ascii_hex_val((unsigned char)s[i]), l = ascii_hex_val((unsigned char)s[i + 1]);

        if (h < 0 || l < 0)
            return -1;
        out[i / 2] = (unsigned char)(h << 4 | l);
    }
    return (long)(n / 2);
}
