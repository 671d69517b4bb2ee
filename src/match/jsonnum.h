/* match/jsonnum.h - the JSON scalars that are no string (RFC 8259 numbers, true,
 * false, null), for the two JSON scanners of the matcher: logfmt_json.c's walker and flat
 * scanner, and jscan.c's first-stage scanner. Header-only and inline: both call it
 * per value on every log line. */
#ifndef MZ_JSONNUM_H
#define MZ_JSONNUM_H

#include <string.h>

static inline int jsonnum_digit(unsigned char c)
{
    return (unsigned)(c - '0') <= 9;
}

/* A JSON number at p, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: the end of it, or
 * NULL if it is not one. */
static inline const unsigned char *json_number(const unsigned char *p, const unsigned char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p == end || !jsonnum_digit(*p))
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && jsonnum_digit(*p))
            p++;
    if (p < end && *p == '.') {
        p++;
        if (p == end || !jsonnum_digit(*p))
            return NULL;
        while (p < end && jsonnum_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !jsonnum_digit(*p))
            return NULL;
        while (p < end && jsonnum_digit(*p))
            p++;
    }
    return p;
}

/* A value that is no string or container at p < end (true, false, null, a number):
 * the end of it, or NULL. */
static inline const unsigned char *json_scalar(const unsigned char *p, const unsigned char *end)
{
    size_t lit;

    if (*p != 't' && *p != 'f' && *p != 'n')
        return json_number(p, end);
    lit = *p == 'f' ? 5 : 4;
    if ((size_t)(end - p) < lit || memcmp(p, *p == 't' ? "true" : *p == 'f' ? "false" : "null", lit) != 0)
        return NULL;
    return p + lit;
}

#endif
