/* match/jsonquote.h - the quotes of a JSON line, in order, from a bit set of their
 * positions (bit i of q[i / 64] set where the line has a '"'), for the two flat-object
 * scanners of the matcher: logfmt_json.c's and jscan.c's. A line without escapes has
 * exactly two quotes per string. Header-only and inline: both take a quote per token. */
#ifndef MZ_JSONQUOTE_H
#define MZ_JSONQUOTE_H

#include <stddef.h>
#include <stdint.h>

struct json_quotes {
    const uint64_t *q;
    size_t w, nw, n;  /* the word being read, the words, the line's length */
    uint64_t m;       /* the bits of q[w] not yet taken */
};

/* The quotes of a line of n bytes (q has (n + 63) / 64 words, at least one). */
static inline void json_quotes_init(struct json_quotes *c, const uint64_t *q, size_t n)
{
    c->q = q;
    c->w = 0;
    c->nw = (n + 63) >> 6;
    c->n = n;
    c->m = q[0];
}

/* The next quote's position, or n when there is none. */
static inline size_t json_quote_next(struct json_quotes *c)
{
    size_t pos;

    while (!c->m) {
        if (++c->w >= c->nw)
            return c->n;
        c->m = c->q[c->w];
    }
    pos = (c->w << 6) + (size_t)__builtin_ctzll(c->m);
    c->m &= c->m - 1;
    return pos;
}

/* The string whose opening quote is at `at`: its closing quote, or n when the next
 * quote is not at `at` (a quote where a token should be) or there is no closing one. */
static inline size_t json_quote_string(struct json_quotes *c, size_t at)
{
    return json_quote_next(c) == at ? json_quote_next(c) : c->n;
}

#endif
