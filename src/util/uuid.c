/* util/uuid.c - see uuid.h. */
#include "util/uuid.h"

#include <sodium.h>
#include <stdio.h>

enum mz_err mz_random_init(void)
{
    return sodium_init() < 0 ? MZ_EIO : MZ_OK;
}

void mz_random_hex(char *out, size_t out_size)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[16];
    size_t i;

    if (out_size == 0)
        return;
    for (i = 0; i + 1 < out_size; i++) {
        if (i % (2 * sizeof b) == 0)
            randombytes_buf(b, sizeof b);
        out[i] = digits[(b[i / 2 % sizeof b] >> (i % 2 ? 0 : 4)) & 0x0f];
    }
    out[i] = '\0';
}

static void format_uuid(const unsigned char *b, char *out)
{
    snprintf(out, MZ_UUID_STRLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
}

void mz_uuid_v4(char *out)
{
    unsigned char b[16];

    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    format_uuid(b, out);
}

void mz_uuid_keyed(const char *key, size_t key_len, const char *name, size_t name_len, char *out)
{
    unsigned char b[16];

    if (key_len > MZ_UUID_KEY_MAX)
        key_len = MZ_UUID_KEY_MAX;
    crypto_generichash(b, sizeof b, (const unsigned char *)name, name_len, (const unsigned char *)key, key_len);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    format_uuid(b, out);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int mz_uuid_valid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!is_hex(s[i])) {
            return 0;
        }
    }
    if (s[14] < '1' || s[14] > '5')
        return 0;
    return s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b' || s[19] == 'A' ||
           s[19] == 'B';
}
