/* fmt/cursor.c - see cursor.h. Format: "p" followed by 1-16 lowercase hex digits. */
#include "fmt/cursor.h"

#include <stdio.h>
#include <string.h>

#include "obs/ascii.h"

void cursor_encode(int64_t seq, char *out)
{
    snprintf(out, CURSOR_STRLEN, "p%llx", (unsigned long long)seq);
}

int cursor_decode(const char *s, int64_t *seq_out)
{
    uint64_t v = 0;
    size_t n;

    if (s[0] != 'p')
        return -1;
    n = strlen(s + 1);
    if (n < 1 || n > 16)
        return -1;
    for (const char *p = s + 1; *p; p++) {
        int d = ascii_hex_val((unsigned char)*p);
        if (d < 0 || ascii_is_upper((unsigned char)*p)) /* lowercase only: one spelling */
            return -1;
        v = v * 16 + (uint64_t)d;
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *seq_out = (int64_t)v;
    return 0;
}
