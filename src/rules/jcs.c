/* rules/jcs.c - see jcs.h. RFC 8785 section 3.2: literals as they are; strings
 * escaped only where JSON must (3.2.2.2); numbers as ECMAScript's Number::toString
 * writes them (3.2.2.3); object members sorted by their names as arrays of UTF-16
 * code units (3.2.3), recursively. jansson has checked that every string is UTF-8. */
#include "rules/jcs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jcs_out {
    jcs_sink_fn sink;
    void *ctx;
    int stopped;
};

static void put(struct jcs_out *o, const char *s, size_t n)
{
    if (!o->stopped && n && o->sink(o->ctx, s, n))
        o->stopped = 1;
}

/* ---- numbers ---- */

/* The shortest decimal digits that read back as d (d > 0, finite), into digits (at
 * most 17 and a NUL), and the decimal exponent n such that d = 0.digits x 10^n.
 * %.*e rounds correctly, so the first precision that reads back gives the closest
 * shortest digits. */
static int shortest_digits(double d, char *digits, int *n_out)
{
    char buf[40];
    int k = 0;
    long e;
    char *end;

    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    for (const char *s = buf; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[k++] = *s;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    e = strtol(strchr(buf, 'e') + 1, &end, 10);
    *n_out = (int)e + 1;
    return k;
}

size_t jcs_number(double d, char *out)
{
    char digits[24];
    size_t len = 0, k;
    int n;

    if (d == 0) { /* -0 too */
        memcpy(out, "0", 2);
        return 1;
    }
    if (d < 0) {
        out[len++] = '-';
        d = -d;
    }
    k = (size_t)shortest_digits(d, digits, &n);
    if ((int)k <= n && n <= 21) { /* an integer below 10^21: the digits, then n - k zeros */
        memcpy(out + len, digits, k);
        len += k;
        memset(out + len, '0', (size_t)n - k);
        len += (size_t)n - k;
    } else if (0 < n && n <= 21) { /* a point inside the digits */
        memcpy(out + len, digits, (size_t)n);
        len += (size_t)n;
        out[len++] = '.';
        memcpy(out + len, digits + n, k - (size_t)n);
        len += k - (size_t)n;
    } else if (-6 < n && n <= 0) { /* 0.000ddd */
        out[len++] = '0';
        out[len++] = '.';
        memset(out + len, '0', (size_t)-n);
        len += (size_t)-n;
        memcpy(out + len, digits, k);
        len += k;
    } else { /* d[.ddd]e+x or e-x */
        out[len++] = digits[0];
        if (k > 1) {
            out[len++] = '.';
            memcpy(out + len, digits + 1, k - 1);
            len += k - 1;
        }
        len += (size_t)snprintf(out + len, JCS_NUMBER_MAX - len, "e%c%d", n - 1 < 0 ? '-' : '+',
                                n - 1 < 0 ? 1 - n : n - 1);
    }
    out[len] = '\0';
    return len;
}

/* ---- strings ---- */

static void put_string(struct jcs_out *o, const char *s, size_t n)
{
    size_t run = 0;

    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t m = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\t': esc[1] = 't'; break;
        case '\n': esc[1] = 'n'; break;
        case '\f': esc[1] = 'f'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            m = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
        }
        put(o, esc, m);
    }
    put(o, s + run, n - run);
    put(o, "\"", 1);
}

/* ---- member names in UTF-16 order ---- */

/* The next UTF-16 code unit of the UTF-8 text s[*i..n); *low holds the low
 * surrogate still owed for a character beyond the BMP. */
static unsigned next_unit(const unsigned char *s, size_t n, size_t *i, unsigned *low)
{
    unsigned cp, c;
    int more;

    if (*low) {
        cp = *low;
        *low = 0;
        return cp;
    }
    c = s[(*i)++];
    more = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
    cp = more == 0 ? c : more == 1 ? c & 0x1f : more == 2 ? c & 0x0f : c & 0x07;
    while (more-- > 0 && *i < n)
        cp = cp << 6 | (s[(*i)++] & 0x3f);
    if (cp < 0x10000)
        return cp;
    cp -= 0x10000;
    *low = 0xdc00 | (cp & 0x3ff);
    return 0xd800 | cp >> 10;
}

struct member {
    const char *key;
    size_t key_len;
    json_t *value;
};

static int member_cmp(const void *pa, const void *pb)
{
    const struct member *a = pa, *b = pb;
    const unsigned char *x = (const unsigned char *)a->key, *y = (const unsigned char *)b->key;
    size_t i = 0, j = 0;
    unsigned lx = 0, ly = 0;

    while ((i < a->key_len || lx) && (j < b->key_len || ly)) {
        unsigned u = next_unit(x, a->key_len, &i, &lx), v = next_unit(y, b->key_len, &j, &ly);
        if (u != v)
            return u < v ? -1 : 1;
    }
    if (i < a->key_len || lx)
        return 1;
    return j < b->key_len || ly ? -1 : 0;
}

/* ---- values ---- */

static enum mz_err write_value(struct jcs_out *o, const json_t *v);

static enum mz_err write_object(struct jcs_out *o, const json_t *v)
{
    size_t n = json_object_size(v), i = 0, key_len;
    struct member *m = n ? calloc(n, sizeof *m) : NULL;
    const char *key;
    json_t *e;
    enum mz_err rc = MZ_OK;

    if (n && !m)
        return MZ_ENOMEM;
    json_object_keylen_foreach((json_t *)v, key, key_len, e) {
        m[i].key = key;
        m[i].key_len = key_len;
        m[i].value = e;
        i++;
    }
    if (n > 1)
        qsort(m, n, sizeof *m, member_cmp);
    put(o, "{", 1);
    for (i = 0; i < n && !rc; i++) {
        if (i)
            put(o, ",", 1);
        put_string(o, m[i].key, m[i].key_len);
        put(o, ":", 1);
        rc = write_value(o, m[i].value);
    }
    put(o, "}", 1);
    free(m);
    return rc;
}

static enum mz_err write_value(struct jcs_out *o, const json_t *v)
{
    char num[JCS_NUMBER_MAX];
    enum mz_err rc = MZ_OK;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return write_object(o, v);
    case JSON_ARRAY:
        put(o, "[", 1);
        for (i = 0; i < json_array_size(v) && !rc; i++) {
            if (i)
                put(o, ",", 1);
            rc = write_value(o, json_array_get(v, i));
        }
        put(o, "]", 1);
        return rc;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        return MZ_OK;
    case JSON_INTEGER: /* JSON numbers are doubles to RFC 8785, integers too */
        put(o, num, jcs_number((double)json_integer_value(v), num));
        return MZ_OK;
    case JSON_REAL:
        if (!isfinite(json_real_value(v)))
            return MZ_EINVAL;
        put(o, num, jcs_number(json_real_value(v), num));
        return MZ_OK;
    case JSON_TRUE:
        put(o, "true", 4);
        return MZ_OK;
    case JSON_FALSE:
        put(o, "false", 5);
        return MZ_OK;
    case JSON_NULL:
        put(o, "null", 4);
        return MZ_OK;
    }
    return MZ_EINVAL;
}

enum mz_err jcs_write(const json_t *v, jcs_sink_fn sink, void *ctx)
{
    struct jcs_out o = {sink, ctx, 0};
    enum mz_err rc = v ? write_value(&o, v) : MZ_EINVAL;

    return rc ? rc : o.stopped ? MZ_EIO : MZ_OK;
}
