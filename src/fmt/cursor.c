/* fmt/cursor.c - see cursor.h: the byte layout of a page token and its text form
 * (lowercase hex, read with the tree's one hex parser, obs/ascii.h). */
#include "fmt/cursor.h"

#include <string.h>

#include "obs/ascii.h"

void cursor_pack_seq(int64_t seq, unsigned char out[CURSOR_PLAIN_LEN])
{
    uint64_t v = (uint64_t)seq;

    for (int i = CURSOR_PLAIN_LEN - 1; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)(v & 0xff);
}

int cursor_unpack_seq(const unsigned char in[CURSOR_PLAIN_LEN], int64_t *seq_out)
{
    uint64_t v = 0;

    for (int i = 0; i < CURSOR_PLAIN_LEN; i++)
        v = v << 8 | in[i];
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *seq_out = (int64_t)v;
    return 0;
}

void cursor_encode(const unsigned char raw[CURSOR_RAW_LEN], char *out)
{
    for (size_t i = 0; i < CURSOR_RAW_LEN; i++) {
        out[2 * i] = ascii_hex_lc[raw[i] >> 4];
        out[2 * i + 1] = ascii_hex_lc[raw[i] & 15];
    }
    out[2 * CURSOR_RAW_LEN] = '\0';
}

int cursor_decode(const char *s, unsigned char raw_out[CURSOR_RAW_LEN])
{
    size_t n = strnlen(s, 2 * CURSOR_RAW_LEN + 1);

    if (n != 2 * CURSOR_RAW_LEN)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (ascii_is_upper((unsigned char)s[i])) /* lowercase only: one spelling */
            return -1;
    if (ascii_hex_decode(s, n, raw_out) != CURSOR_RAW_LEN || raw_out[0] != CURSOR_VERSION)
        return -1;
    return 0;
}
