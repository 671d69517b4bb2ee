/* obs/ip.c - IPv4/IPv6 addresses and CIDR ranges in text (see ip.h): the one parser
 * of addresses below the index, the pattern evaluator and the log scanners, and the
 * canonical text the index stores.
 *
 * Hand-written because it is the matcher's hot path (the prefilter reads every
 * address-like log value with ip_v4_quad()) and because inet_pton() is no fit: it
 * knows no prefixes, says nothing about why it refused, and its IPv4 grammar differs
 * between libcs (glibc accepts no leading zeros, others read them as octal), while an
 * indicator and a log value must be read the same way by every part of mreža. */
#include "obs/ip.h"

#include <string.h>

#include "obs/ascii.h"

/* A strict dotted quad filling s[0..n) exactly. Each octet's one to three digits are
 * read without a loop: this runs for every address-like value of a log. */
int ip_v4_quad(const char *s, size_t n, uint32_t *addr_out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    uint32_t a = 0;

    if (n < 7 || n > 15)
        return 0;
    for (int o = 0;; o++) {
        unsigned v = (unsigned)*p++ - '0', d;
        if (v > 9)
            return 0;
        if (p < end && (d = (unsigned)*p - '0') <= 9) {
            if (v == 0)
                return 0; /* a leading zero */
            v = v * 10 + d;
            if (++p < end && (d = (unsigned)*p - '0') <= 9) {
                v = v * 10 + d;
                p++;
                if (v > 255)
                    return 0;
            }
        }
        a = a << 8 | v;
        if (o == 3)
            break;
        if (p >= end - 1 || *p != '.')
            return 0;
        p++;
    }
    if (p != end)
        return 0;
    *addr_out = a;
    return 1;
}

int ip_v6_addr(const char *s, size_t len, uint8_t addr_out[16])
{
    uint16_t g[8];
    int ng = 0;
    int gap = -1; /* group index where "::" stands, or -1 */
    size_t i = 0;

    if (len < 2)
        return -1;
    if (s[0] == ':') {
        if (s[1] != ':')
            return -1;
        gap = 0;
        i = 2;
    }
    while (i < len) {
        size_t start = i;
        unsigned v = 0;
        int d;

        while (i < len && i - start < 4 && (d = ascii_hex_val((unsigned char)s[i])) >= 0) {
            v = v << 4 | (unsigned)d;
            i++;
        }
        if (i == start)
            return -1;
        if (i < len && s[i] == '.') {
            uint32_t v4;

            if (ng > 6 || !ip_v4_quad(s + start, len - start, &v4))
                return -1;
            g[ng++] = (uint16_t)(v4 >> 16);
            g[ng++] = (uint16_t)v4;
            break;
        }
        if (ng == 8)
            return -1;
        g[ng++] = (uint16_t)v;
        if (i == len)
            break;
        if (s[i] != ':')
            return -1; /* also a fifth hex digit */
        if (++i == len)
            return -1; /* a trailing single ':' */
        if (s[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = ng;
            i++;
        }
    }
    if (gap < 0 ? ng != 8 : ng > 7)
        return -1;
    memset(addr_out, 0, 16);
    for (int k = 0; k < ng; k++) {
        int at = (gap >= 0 && k >= gap) ? k + (8 - ng) : k;

        addr_out[2 * at] = (uint8_t)(g[k] >> 8);
        addr_out[2 * at + 1] = (uint8_t)g[k];
    }
    return 0;
}

/* The digits after a '/': decimal without leading zeros, 0..max. Returns it, or -1. */
static int prefix_len(const char *s, size_t len, int max)
{
    int v = 0;

    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!ascii_is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

/* Splits "addr[/nn]": the address length, and the prefix (max when none; -1 when
 * the digits are no prefix). */
static size_t split_prefix(const char *s, size_t n, int max, int *prefix, int *has_prefix)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;

    *has_prefix = slash != NULL;
    *prefix = slash ? prefix_len(slash + 1, n - alen - 1, max) : max;
    return alen;
}

enum ip_err ip_v4_net(const char *s, size_t n, struct ip_net *out)
{
    uint32_t a;
    int prefix, has;
    size_t alen = split_prefix(s, n, 32, &prefix, &has);

    if (!ip_v4_quad(s, alen, &a))
        return IP_EADDR;
    if (prefix < 0)
        return IP_EPREFIX;
    memset(out, 0, sizeof *out);
    out->family = 4;
    out->addr[0] = (uint8_t)(a >> 24);
    out->addr[1] = (uint8_t)(a >> 16);
    out->addr[2] = (uint8_t)(a >> 8);
    out->addr[3] = (uint8_t)a;
    out->prefix = prefix;
    out->has_prefix = has;
    return IP_OK;
}

enum ip_err ip_v6_net(const char *s, size_t n, struct ip_net *out)
{
    uint8_t a[16];
    int prefix, has;
    size_t alen = split_prefix(s, n, 128, &prefix, &has);

    if (ip_v6_addr(s, alen, a) < 0)
        return IP_EADDR;
    if (prefix < 0)
        return IP_EPREFIX;
    out->family = 6;
    memcpy(out->addr, a, 16);
    out->prefix = prefix;
    out->has_prefix = has;
    return IP_OK;
}

int ip_v6_is_mapped(const uint8_t a[16], int prefix)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

    return prefix >= 96 && memcmp(a, pre, 12) == 0;
}

int ip_v6_embedded_v4(const uint8_t a[16], int prefix)
{
    static const uint8_t nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t zero[12] = {0};
    int bits;

    int nat64_local = !memcmp(a, nat64, 4) && a[4] == 0 && a[5] == 1;
    int teredo = a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0;

    if (!memcmp(a, nat64, 12) || nat64_local || !memcmp(a, zero, 12) || teredo)
        bits = prefix - 96; /* the IPv4 address in the last 32 bits, the widest layout */
    else if (a[0] == 0x20 && a[1] == 0x02)
        bits = (prefix < 48 ? prefix : 48) - 16;
    else
        return -1;
    return bits < 0 ? 0 : bits > 32 ? 32 : bits;
}

enum ip_err ip_net_parse(const char *s, size_t n, struct ip_net *out)
{
    struct ip_net v;
    enum ip_err r = ip_v4_net(s, n, &v);

    if (r == IP_EADDR)
        r = ip_v6_net(s, n, &v);
    if (r != IP_OK)
        return r;
    if (v.family == 6 && ip_v6_is_mapped(v.addr, v.prefix)) {
        memmove(v.addr, v.addr + 12, 4);
        memset(v.addr + 4, 0, 12);
        v.family = 4;
        v.prefix -= 96;
    }
    *out = v;
    return IP_OK;
}

int ip_net_clear_host(struct ip_net *n)
{
    int set = 0;

    for (int k = 0; k < 16; k++) {
        int keep = n->prefix - 8 * k;
        uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));

        set |= n->addr[k] & ~mask;
        n->addr[k] &= mask;
    }
    return set != 0;
}

int ip_net_within(const struct ip_net *a, const struct ip_net *b)
{
    int full, rest;

    if (a->family != b->family || a->prefix < b->prefix)
        return 0;
    full = b->prefix / 8;
    rest = b->prefix % 8;
    if (memcmp(a->addr, b->addr, (size_t)full))
        return 0;
    if (rest) {
        unsigned mask = (0xFFu << (8 - rest)) & 0xFFu;

        if ((a->addr[full] & mask) != (b->addr[full] & mask))
            return 0;
    }
    return 1;
}

uint32_t ip_net_v4(const struct ip_net *n)
{
    return (uint32_t)n->addr[0] << 24 | (uint32_t)n->addr[1] << 16 | (uint32_t)n->addr[2] << 8 |
           n->addr[3];
}

/* Decimal v (below 1000) at out; returns the digits written. */
static size_t put_dec(char *out, unsigned v)
{
    size_t n = 0;

    if (v >= 100)
        out[n++] = (char)('0' + v / 100);
    if (v >= 10)
        out[n++] = (char)('0' + v / 10 % 10);
    out[n++] = (char)('0' + v % 10);
    return n;
}

size_t ip_v4_text(uint32_t addr, int prefix, char *out)
{
    size_t n = 0;

    for (int shift = 24; shift >= 0; shift -= 8) {
        n += put_dec(out + n, (addr >> shift) & 255);
        if (shift)
            out[n++] = '.';
    }
    if (prefix < 32) {
        out[n++] = '/';
        n += put_dec(out + n, (unsigned)prefix);
    }
    out[n] = '\0';
    return n;
}

size_t ip_v6_text(const uint8_t addr[16], int prefix, char *out)
{
    unsigned g[8];
    int best = -1, best_n = 1, run = -1;
    size_t n = 0;

    for (int k = 0; k < 8; k++) {
        g[k] = (unsigned)addr[2 * k] << 8 | addr[2 * k + 1];
        if (g[k] == 0) {
            if (run < 0)
                run = k;
            if (k - run + 1 > best_n) {
                best = run;
                best_n = k - run + 1;
            }
        } else {
            run = -1;
        }
    }
    for (int k = 0; k < 8; k++) {
        int shift;

        if (k == best) {
            out[n++] = ':';
            out[n++] = ':';
            k += best_n - 1;
            continue;
        }
        if (k > 0 && k != best + best_n)
            out[n++] = ':';
        for (shift = 12; shift > 0 && !(g[k] >> shift); shift -= 4)
            ;
        for (; shift >= 0; shift -= 4)
            out[n++] = ascii_hex_lc[(g[k] >> shift) & 15];
    }
    if (prefix < 128) {
        out[n++] = '/';
        n += put_dec(out + n, (unsigned)prefix);
    }
    out[n] = '\0';
    return n;
}
