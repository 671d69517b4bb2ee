/* util/buf.c - see buf.h. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mz_buf_init(struct mz_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->err = MZ_OK;
}

void mz_buf_free(struct mz_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = MZ_OK;
}

void mz_buf_reset(struct mz_buf *b)
{
    b->len = 0;
    b->err = MZ_OK;
    if (b->data)
        b->data[0] = '\0';
}

enum mz_err mz_buf_status(const struct mz_buf *b)
{
    return b->err;
}

/* Remember the first failure; returns rc. */
static enum mz_err latch(struct mz_buf *b, enum mz_err rc)
{
    if (rc && !b->err)
        b->err = rc;
    return rc;
}

enum mz_err mz_buf_reserve(struct mz_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (b->err)
        return b->err;
    if (extra > b->limit || b->len > b->limit - extra || b->len + extra >= (size_t)-1)
        return latch(b, MZ_ETOOBIG);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return MZ_OK;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
    p = realloc(b->data, ncap);
    if (!p)
        return latch(b, MZ_ENOMEM);
    b->data = p;
    b->cap = ncap;
    return MZ_OK;
}

enum mz_err mz_buf_append(struct mz_buf *b, const void *p, size_t n)
{
    enum mz_err rc = mz_buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MZ_OK;
}

enum mz_err mz_buf_puts(struct mz_buf *b, const char *s)
{
    return mz_buf_append(b, s, strlen(s));
}

enum mz_err mz_buf_putc(struct mz_buf *b, char c)
{
    return mz_buf_append(b, &c, 1);
}

enum mz_err mz_buf_printf(struct mz_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    enum mz_err rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return latch(b, MZ_EINVAL);
    rc = mz_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MZ_OK;
}

enum mz_err mz_buf_json_str(struct mz_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    enum mz_err rc = mz_buf_putc(b, '"');

    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = mz_buf_append(b, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = mz_buf_append(b, esc, 6);
        } else {
            rc = mz_buf_putc(b, (char)c);
        }
    }
    return rc ? rc : mz_buf_putc(b, '"');
}

char *mz_buf_steal(struct mz_buf *b, size_t *len_out)
{
    char *p = b->data;

    if (!p) {
        p = calloc(1, 1);
        if (!p)
            return NULL;
    }
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
