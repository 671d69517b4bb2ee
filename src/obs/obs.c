/* obs/obs.c - observables: parsing every indicator kind into the one canonical
 * byte string the indicator index stores and the log matcher looks up (see obs.h for
 * the canonical forms), plus the binary IPv4/IPv6 forms for the CIDR tables.
 *
 * Hand-written because this is the matcher's hot path: obs_normalize() runs once per
 * candidate value of a log that may be a GiB long, so every kind is one pass over the
 * input writing straight into the caller's buffer, with explicit ASCII tests (no
 * locale-dependent <ctype.h>) and no allocation. inet_pton() would not do: it accepts
 * only part of what indicators contain (no prefixes, no checks of host bits) and says
 * nothing about why it refused. The only library used is libidn2, and only for
 * labels that are not ASCII (rare; it allocates its result, which is freed at once).
 *
 * Ownership: nothing is kept; input is borrowed for the duration of the call and
 * need not be NUL-terminated. On failure the output buffer holds "" and no other
 * out-parameter is written; err (may be NULL) says why without echoing the input,
 * which may be TLP:RED or binary garbage. */
#include "obs/obs.h"

#include <string.h>

#include <idn2.h>

/* ---- character classes (ASCII only, locale-free) ---- */

static int is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10u;
}

static int is_alpha(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u;
}

static unsigned char to_lower(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u ? (unsigned char)(c + 32) : c;
}

/* Value of a hex digit, or -1. */
static int hex_val(unsigned char c)
{
    if ((unsigned)(c - '0') < 10u)
        return c - '0';
    c |= 0x20;
    if ((unsigned)(c - 'a') < 6u)
        return c - 'a' + 10;
    return -1;
}

/* The lowercase form of a domain label character ([A-Za-z0-9-_]), or 0; bytes from
 * 0x80 up are 0 too. A table because dom_norm() runs it on every byte. */
static const unsigned char dom_map[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '-', 0, 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, '_',
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
};

static unsigned char dom_char(unsigned char c)
{
    return dom_map[c];
}

/* Byte classes for obs_guess_kind(), which ANDs them over a whole value. */
enum {
    CL_DIGIT = 0x01, /* 0-9 */
    CL_HEX = 0x02,   /* 0-9 A-F a-f */
    CL_ALPHA = 0x04, /* A-Z a-z */
    CL_DOM = 0x08,   /* A-Z a-z 0-9 - _ and the separator . */
    CL_V6 = 0x10,    /* hex digits : . / */
    CL_V4 = 0x20,    /* 0-9 . / */
    CL_CTL = 0x40,   /* controls, space, DEL */
    CL_HIGH = 0x80   /* 0x80-0xFF */
};

static const unsigned char byte_class[256] = {
    0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
    0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
    0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x38, 0x30,
    0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x3b, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
    0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
    0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x40,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

/* Length of the well-formed UTF-8 sequence at s[0..n) (n >= 1): 1 for ASCII, 2-4
 * otherwise, 0 if ill-formed (stray continuation, overlong, surrogate, above
 * U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s, size_t n)
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
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* ---- the output writer ----
 * Writes into the caller's buffer, always leaving room for the NUL. A write that
 * does not fit sets full and is dropped; callers check full once per piece rather
 * than after every byte, and a full writer always ends in a refusal. */
struct wout {
    char *buf;
    size_t cap; /* bytes usable including the NUL: min(out_cap, OBS_MAX_LEN + 1) */
    size_t len;
    int full;
};

static void w_put(struct wout *w, char c)
{
    if (w->len + 1 < w->cap)
        w->buf[w->len++] = c;
    else
        w->full = 1;
}

static void w_mem(struct wout *w, const char *p, size_t n)
{
    if (n < w->cap - w->len) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    } else {
        w->full = 1;
    }
}

static void w_dec(struct wout *w, unsigned v)
{
    char tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        w_put(w, tmp[--n]);
}

static const char hex_lc[] = "0123456789abcdef";
static const char hex_uc[] = "0123456789ABCDEF";

static void w_pct(struct wout *w, unsigned char c)
{
    w_put(w, '%');
    w_put(w, hex_uc[c >> 4]);
    w_put(w, hex_uc[c & 15]);
}

static int fail(struct mz_error *err, enum mz_err code, const char *msg)
{
    mz_error_set(err, code, NULL, "%s", msg);
    return -1;
}

static int fail_full(struct wout *w, struct mz_error *err)
{
    if (w->cap == OBS_MAX_LEN + 1)
        return fail(err, MZ_ETOOBIG, "canonical value longer than 2048 bytes");
    return fail(err, MZ_ETOOBIG, "output buffer too small for the canonical value");
}

/* ---- IPv4 ---- */

/* A strict dotted quad filling s[0..n) exactly: four decimal octets 0-255, no
 * leading zeros (so no octal reading of "010"), no hex, no missing octets. The
 * matcher's prefilter asks this for every address-like log value, so each octet's
 * one to three digits are read without a loop. */
int obs_ipv4_quad(const char *s, size_t n, uint32_t *out)
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
    *out = a;
    return 1;
}

/* A "/nn" prefix length (the digits after the slash): decimal without leading zeros,
 * 0..max. Returns it, or -1. */
static int parse_prefix(const char *s, size_t len, int max)
{
    int v = 0;
    size_t i;

    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

static uint32_t ip4_mask(int prefix)
{
    return prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
}

static void w_ip4(struct wout *w, uint32_t a, int prefix)
{
    w_dec(w, a >> 24);
    w_put(w, '.');
    w_dec(w, (a >> 16) & 255);
    w_put(w, '.');
    w_dec(w, (a >> 8) & 255);
    w_put(w, '.');
    w_dec(w, a & 255);
    if (prefix < 32) {
        w_put(w, '/');
        w_dec(w, (unsigned)prefix);
    }
}

static int ip4_parse(const char *s, size_t len, uint32_t *addr_out, int *prefix_out,
                     struct mz_error *err)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    uint32_t a;
    int prefix = 32;

    if (!obs_ipv4_quad(s, alen, &a))
        return fail(err, MZ_EINVAL,
                    "not an IPv4 address (want a dotted quad of 0-255 without "
                    "leading zeros)");
    if (slash) {
        prefix = parse_prefix(slash + 1, len - alen - 1, 32);
        if (prefix < 0)
            return fail(err, MZ_EINVAL, "IPv4 prefix length must be 0-32");
        if (a & ~ip4_mask(prefix)) {
            if (err) {
                char net[24];
                struct wout nw = {net, sizeof net, 0, 0};

                w_ip4(&nw, a & ip4_mask(prefix), prefix);
                net[nw.len] = '\0';
                mz_error_set(err, MZ_EINVAL, NULL,
                             "host bits set in IPv4 range: the network is %s", net);
            }
            return -1;
        }
    }
    *addr_out = a;
    *prefix_out = prefix;
    return 0;
}

int obs_ipv4_parse(const char *s, size_t len, uint32_t *addr_out, int *prefix_out)
{
    uint32_t a;
    int prefix;

    if (!s || len > OBS_MAX_LEN || ip4_parse(s, len, &a, &prefix, NULL) < 0)
        return -1;
    if (addr_out)
        *addr_out = a;
    if (prefix_out)
        *prefix_out = prefix;
    return 0;
}

/* ---- IPv6 ---- */

/* The RFC 4291 text forms filling s[0..len) exactly: eight groups of 1-4 hex digits,
 * or fewer with one "::" standing for at least one zero group, the last 32 bits
 * optionally as a dotted quad. */
static int ip6_addr(const char *s, size_t len, uint8_t a[16])
{
    uint16_t g[8];
    int ng = 0;
    int gap = -1; /* group index where "::" stands, or -1 */
    size_t i = 0;
    int k;

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

        while (i < len && i - start < 4 && (d = hex_val((unsigned char)s[i])) >= 0) {
            v = v << 4 | (unsigned)d;
            i++;
        }
        if (i == start)
            return -1;
        if (i < len && s[i] == '.') {
            uint32_t v4;

            if (ng > 6 || !obs_ipv4_quad(s + start, len - start, &v4))
                return -1;
            g[ng++] = (uint16_t)(v4 >> 16);
            g[ng++] = (uint16_t)v4;
            i = len;
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
    memset(a, 0, 16);
    for (k = 0; k < ng; k++) {
        int at = (gap >= 0 && k >= gap) ? k + (8 - ng) : k;

        a[2 * at] = (uint8_t)(g[k] >> 8);
        a[2 * at + 1] = (uint8_t)g[k];
    }
    return 0;
}

/* RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero
 * groups (the leftmost on a tie) as "::". Mixed notation is never written. */
static void w_ip6(struct wout *w, const uint8_t a[16], int prefix)
{
    unsigned g[8];
    int k, best = -1, best_n = 1, run = -1;

    for (k = 0; k < 8; k++) {
        g[k] = (unsigned)a[2 * k] << 8 | a[2 * k + 1];
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
    for (k = 0; k < 8; k++) {
        int shift;

        if (k == best) {
            w_put(w, ':');
            w_put(w, ':');
            k += best_n - 1;
            continue;
        }
        if (k > 0 && k != best + best_n)
            w_put(w, ':');
        for (shift = 12; shift > 0 && !(g[k] >> shift); shift -= 4)
            ;
        for (; shift >= 0; shift -= 4)
            w_put(w, hex_lc[(g[k] >> shift) & 15]);
    }
    if (prefix < 128) {
        w_put(w, '/');
        w_dec(w, (unsigned)prefix);
    }
}

/* Clears the host bits of a under prefix; returns nonzero if any was set. */
static int ip6_clear_host(uint8_t a[16], int prefix)
{
    int k, set = 0;

    for (k = 0; k < 16; k++) {
        int keep = prefix - 8 * k;
        uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));

        set |= a[k] & ~mask;
        a[k] &= mask;
    }
    return set;
}

static int ip6_parse(const char *s, size_t len, uint8_t a[16], int *prefix_out,
                     struct mz_error *err)
{
    const char *slash;
    size_t alen;
    int prefix = 128;
    uint8_t tmp[16];

    if (memchr(s, '%', len))
        return fail(err, MZ_EINVAL, "IPv6 zone ids (\"%...\") are not accepted");
    slash = memchr(s, '/', len);
    alen = slash ? (size_t)(slash - s) : len;
    if (ip6_addr(s, alen, tmp) < 0)
        return fail(err, MZ_EINVAL, "not an IPv6 address (RFC 4291 text form)");
    if (slash) {
        prefix = parse_prefix(slash + 1, len - alen - 1, 128);
        if (prefix < 0)
            return fail(err, MZ_EINVAL, "IPv6 prefix length must be 0-128");
        memcpy(a, tmp, 16);
        if (ip6_clear_host(a, prefix)) {
            if (err) {
                char net[64];
                struct wout nw = {net, sizeof net, 0, 0};

                w_ip6(&nw, a, prefix);
                net[nw.len] = '\0';
                mz_error_set(err, MZ_EINVAL, NULL,
                             "host bits set in IPv6 range: the network is %s", net);
            }
            return -1;
        }
    }
    memcpy(a, tmp, 16);
    *prefix_out = prefix;
    return 0;
}

int obs_ipv6_parse(const char *s, size_t len, uint8_t addr_out[16], int *prefix_out)
{
    uint8_t a[16];
    int prefix;

    if (!s || len > OBS_MAX_LEN || ip6_parse(s, len, a, &prefix, NULL) < 0)
        return -1;
    if (addr_out)
        memcpy(addr_out, a, 16);
    if (prefix_out)
        *prefix_out = prefix;
    return 0;
}

/* An IPv4-mapped address (::ffff:0:0/96) whose range lies inside that block. */
static int ip6_is_mapped(const uint8_t a[16], int prefix)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

    return prefix >= 96 && memcmp(a, pre, 12) == 0;
}

static uint32_t ip6_tail4(const uint8_t a[16])
{
    return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
}

/* ---- domains ---- */

#define DOM_MAX_LEN 253
#define DOM_MAX_LABEL 63
#define IDN_MAX_IN 256 /* longest non-ASCII label handed to libidn2, in bytes */

/* Checks a label already written to w->buf[start..w->len). */
static int dom_label_ok(const struct wout *w, size_t start, struct mz_error *err)
{
    size_t n = w->len - start;

    if (n == 0)
        return fail(err, MZ_EINVAL, "empty label in domain name");
    if (n > DOM_MAX_LABEL)
        return fail(err, MZ_EINVAL, "domain label longer than 63 characters");
    if (w->buf[start] == '-' || w->buf[w->len - 1] == '-')
        return fail(err, MZ_EINVAL, "domain label starts or ends with '-'");
    return 0;
}

/* Converts one label containing non-ASCII bytes with libidn2 and appends the result
 * (which TR46 mapping may have split into several labels, e.g. at U+3002). */
static int dom_idn_label(const char *s, size_t n, struct wout *w, struct mz_error *err)
{
    char in[IDN_MAX_IN];
    char *res = NULL;
    size_t i, start;
    int rc, ret = 0;

    if (n >= sizeof in)
        return fail(err, MZ_EINVAL, "internationalised domain label too long");
    for (i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);

        if (k == 0)
            return fail(err, MZ_EINVAL, "domain name is not valid UTF-8");
        if (k == 1 && !dom_char((unsigned char)s[i]))
            return fail(err, MZ_EINVAL, "character not allowed in a domain name");
        i += k;
    }
    memcpy(in, s, n);
    in[n] = '\0';
    rc = idn2_to_ascii_8z(in, &res, IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        idn2_free(res);
        res = NULL;
        rc = idn2_to_ascii_8z(in, &res, IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK) {
        mz_error_set(err, MZ_EINVAL, NULL, "not a valid internationalised domain label (%s)",
                     idn2_strerror(rc));
        ret = -1;
        goto out;
    }
    start = w->len;
    for (i = 0;; i++) {
        unsigned char c = (unsigned char)res[i];

        if (c == '.' || c == '\0') {
            if (w->full || dom_label_ok(w, start, err) < 0) {
                ret = -1;
                goto out;
            }
            if (c == '\0')
                break;
            w_put(w, '.');
            start = w->len;
        } else if ((c = dom_char(c)) != 0) {
            w_put(w, (char)c);
        } else {
            ret = fail(err, MZ_EINVAL, "character not allowed in a domain name");
            goto out;
        }
    }
out:
    idn2_free(res);
    return ret;
}

/* Appends the canonical form of the domain s[0..len) to w: lowercase, one trailing
 * dot stripped, non-ASCII labels in punycode, every label checked. */
static int dom_norm(const char *s, size_t len, struct wout *w, struct mz_error *err)
{
    size_t dstart = w->len, i = 0;

    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0)
        return fail(err, MZ_EINVAL, "empty domain name");
    for (;;) {
        size_t lstart = w->len, l0 = i;

        while (i < len && s[i] != '.') {
            unsigned char c = dom_char((unsigned char)s[i]);

            if (!c)
                break;
            w_put(w, (char)c);
            i++;
        }
        if (i < len && s[i] != '.') {
            const char *dot;

            if ((unsigned char)s[i] < 0x80)
                return fail(err, MZ_EINVAL, "character not allowed in a domain name");
            /* UTF-8 lead and continuation bytes are never '.', so the label ends at
             * the next dot. */
            dot = memchr(s + i, '.', len - i);
            i = dot ? (size_t)(dot - s) : len;
            w->len = lstart;
            if (dom_idn_label(s + l0, i - l0, w, err) < 0)
                return -1;
        } else if (dom_label_ok(w, lstart, err) < 0) {
            return -1;
        }
        if (w->len - dstart > DOM_MAX_LEN)
            return fail(err, MZ_EINVAL, "domain name longer than 253 characters");
        if (w->full)
            return fail_full(w, err);
        if (i == len)
            break;
        w_put(w, '.');
        i++;
    }
    return 0;
}

/* ---- URLs ---- */

/* RFC 3986 unreserved: decoded when percent-encoded. */
static int is_unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Printable ASCII that RFC 3986 does not allow anywhere in a URL; logs have them
 * raw, browsers send them encoded, so the canonical form encodes them. */
static int must_encode(unsigned char c)
{
    return c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
           c == '{' || c == '|' || c == '}';
}

/* Appends the normalised form of the path or query byte(s) at s[*i] and advances *i:
 * escapes of unreserved characters decoded, other escapes upper-case, a '%' that
 * starts no escape as "%25", non-ASCII (valid UTF-8) and must_encode() bytes
 * percent-encoded. Returns -1 for control characters, spaces and invalid UTF-8. */
static int url_char(const char *s, size_t len, size_t *i, struct wout *w,
                    struct mz_error *err)
{
    unsigned char c = (unsigned char)s[*i];

    if (c == '%') {
        int hi = *i + 2 < len ? hex_val((unsigned char)s[*i + 1]) : -1;
        int lo = hi >= 0 ? hex_val((unsigned char)s[*i + 2]) : -1;

        if (lo < 0) {
            w_mem(w, "%25", 3);
            (*i)++;
            return 0;
        }
        c = (unsigned char)(hi << 4 | lo);
        if (is_unreserved(c))
            w_put(w, (char)c);
        else
            w_pct(w, c);
        *i += 3;
    } else if (c <= 0x20 || c == 0x7F) {
        return fail(err, MZ_EINVAL, "URL contains a space or control character");
    } else if (c >= 0x80) {
        size_t k = utf8_len((const unsigned char *)s + *i, len - *i);

        if (k == 0)
            return fail(err, MZ_EINVAL, "URL is not valid UTF-8");
        while (k--)
            w_pct(w, (unsigned char)s[(*i)++]);
    } else {
        if (must_encode(c))
            w_pct(w, c);
        else
            w_put(w, (char)c);
        (*i)++;
    }
    return 0;
}

/* Checks s[0..len) holds no spaces, control characters or invalid UTF-8 (userinfo
 * and fragment, which are not normalised). */
static int url_plain_ok(const char *s, size_t len, struct mz_error *err)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t k;

        if (c <= 0x20 || c == 0x7F)
            return fail(err, MZ_EINVAL, "URL contains a space or control character");
        k = utf8_len((const unsigned char *)s + i, len - i);
        if (k == 0)
            return fail(err, MZ_EINVAL, "URL is not valid UTF-8");
        i += k;
    }
    return 0;
}

/* The default port of a (lowercase) scheme, or -1. */
static long url_default_port(const char *scheme, size_t n)
{
    static const struct {
        const char *name;
        size_t n;
        long port;
    } ports[] = {
        {"http", 4, 80}, {"https", 5, 443}, {"ftp", 3, 21}, {"ws", 2, 80}, {"wss", 3, 443},
    };
    size_t k;

    for (k = 0; k < sizeof ports / sizeof ports[0]; k++)
        if (ports[k].n == n && memcmp(ports[k].name, scheme, n) == 0)
            return ports[k].port;
    return -1;
}

/* Appends the host s[0..len) (no brackets, no port) by the domain rules. A host whose
 * last label is all digits (after IDN mapping, which turns fullwidth digits and
 * U+3002 into ASCII) must then be a dotted quad: resolvers and browsers read "1.2.3"
 * or "010.0.0.1" as IPv4 numbers, so as names they would not compare equal to what
 * is actually reached. A strict dotted quad is already in canonical form. */
static int url_host(const char *s, size_t len, struct wout *w, struct mz_error *err)
{
    size_t h0 = w->len, k;
    uint32_t a;

    if (dom_norm(s, len, w, err) < 0)
        return -1;
    k = w->len;
    while (k > h0 && is_digit((unsigned char)w->buf[k - 1]))
        k--;
    if (k < w->len && (k == h0 || w->buf[k - 1] == '.') &&
        !obs_ipv4_quad(w->buf + h0, w->len - h0, &a))
        return fail(err, MZ_EINVAL, "numeric URL host is not a dotted-quad IPv4 address");
    return 0;
}

/* Appends the path starting with '/' at s[*i] (up to '?', '#' or the end), with
 * escapes normalised and then "." and ".." segments removed as RFC 3986 5.2.4 does,
 * in one pass: each segment is written, and if it turns out to be a dot segment it
 * is taken back off the output. */
static int url_path(const char *s, size_t len, size_t *pi, struct wout *w,
                    struct mz_error *err)
{
    size_t i = *pi + 1, root = w->len;

    w_put(w, '/');
    for (;;) {
        size_t seg = w->len;
        int dropped = 0;

        while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
            if (url_char(s, len, &i, w, err) < 0)
                return -1;
        if (w->full)
            return fail_full(w, err);
        if (w->len - seg == 1 && w->buf[seg] == '.') {
            w->len = seg;
            dropped = 1;
        } else if (w->len - seg == 2 && w->buf[seg] == '.' && w->buf[seg + 1] == '.') {
            size_t q = seg - 1; /* the '/' before ".." */

            if (q == root) {
                w->len = root + 1;
            } else {
                do
                    q--;
                while (w->buf[q] != '/');
                w->len = q + 1;
            }
            dropped = 1;
        }
        if (i == len || s[i] != '/')
            break;
        i++;
        if (!dropped) /* a dropped segment left its '/' behind already */
            w_put(w, '/');
    }
    *pi = i;
    return 0;
}

static int url_norm(const char *s, size_t len, struct wout *w, struct mz_error *err)
{
    size_t i = 0, auth_end, host, host_end, p;
    long def_port;

    if (len == 0 || !is_alpha((unsigned char)s[0]))
        return fail(err, MZ_EINVAL, "URL must start with a scheme (a letter)");
    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            break;
        w_put(w, (char)to_lower(c));
        i++;
    }
    if (len - i < 3 || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
        return fail(err, MZ_EINVAL, "URL must have the form scheme://host");
    def_port = url_default_port(w->buf, w->len);
    w_mem(w, "://", 3);
    i += 3;

    auth_end = i;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
        auth_end++;

    /* userinfo: up to the last '@' of the authority, kept as it is */
    host = i;
    for (p = auth_end; p > i; p--) {
        if (s[p - 1] == '@') {
            host = p;
            break;
        }
    }
    if (host > i + 1) {
        if (url_plain_ok(s + i, host - 1 - i, err) < 0)
            return -1;
        w_mem(w, s + i, host - i);
    }

    if (host < auth_end && s[host] == '[') {
        const char *rb = memchr(s + host, ']', auth_end - host);
        uint8_t a6[16];
        int prefix;

        if (!rb)
            return fail(err, MZ_EINVAL, "URL host starts with '[' but has no ']'");
        if (ip6_parse(s + host + 1, (size_t)(rb - s) - host - 1, a6, &prefix, err) < 0)
            return -1;
        if (ip6_is_mapped(a6, prefix)) {
            w_ip4(w, ip6_tail4(a6), 32);
        } else {
            w_put(w, '[');
            w_ip6(w, a6, 128);
            w_put(w, ']');
        }
        host_end = (size_t)(rb - s) + 1;
        if (host_end < auth_end && s[host_end] != ':')
            return fail(err, MZ_EINVAL, "unexpected characters after ']' in URL host");
    } else {
        const char *colon = memchr(s + host, ':', auth_end - host);

        host_end = colon ? (size_t)(colon - s) : auth_end;
        if (host_end == host)
            return fail(err, MZ_EINVAL, "URL has no host");
        if (url_host(s + host, host_end - host, w, err) < 0)
            return -1;
    }

    if (host_end < auth_end) { /* ":port", possibly empty */
        long port = 0;
        size_t k;

        for (k = host_end + 1; k < auth_end; k++) {
            if (!is_digit((unsigned char)s[k]))
                return fail(err, MZ_EINVAL, "URL port is not a number");
            port = port * 10 + (s[k] - '0');
            if (port > 65535)
                return fail(err, MZ_EINVAL, "URL port above 65535");
        }
        if (auth_end > host_end + 1 && port != def_port) {
            w_put(w, ':');
            w_dec(w, (unsigned)port);
        }
    }

    i = auth_end;
    if (i < len && s[i] == '/') {
        if (url_path(s, len, &i, w, err) < 0)
            return -1;
    } else {
        w_put(w, '/');
    }
    if (i < len && s[i] == '?') {
        w_put(w, '?');
        i++;
        while (i < len && s[i] != '#')
            if (url_char(s, len, &i, w, err) < 0)
                return -1;
    }
    if (i < len && url_plain_ok(s + i + 1, len - i - 1, err) < 0) /* the fragment */
        return -1;
    return 0;
}

/* ---- e-mail, hashes, wallets ---- */

static int email_norm(const char *s, size_t len, struct wout *w, struct mz_error *err)
{
    size_t i;

    for (i = 0; i < len && s[i] != '@'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>')
            return fail(err, MZ_EINVAL,
                        "character not allowed in the local part of an e-mail address");
        w_put(w, (char)to_lower(c));
    }
    if (i == len)
        return fail(err, MZ_EINVAL, "e-mail address has no '@'");
    if (i == 0 || i > 64)
        return fail(err, MZ_EINVAL, "e-mail local part must be 1-64 characters");
    if (memchr(s + i + 1, '@', len - i - 1))
        return fail(err, MZ_EINVAL, "e-mail address has more than one '@'");
    w_put(w, '@');
    return dom_norm(s + i + 1, len - i - 1, w, err);
}

static int hash_norm(enum obs_kind k, const char *s, size_t len, struct wout *w,
                     struct mz_error *err)
{
    static const size_t want[] = {32, 40, 64, 128}; /* md5, sha1, sha256, sha512 */
    size_t i;

    if (len != want[k - OBS_MD5]) {
        mz_error_set(err, MZ_EINVAL, NULL, "%s hash must be exactly %zu hex digits",
                     obs_kind_name(k), want[k - OBS_MD5]);
        return -1;
    }
    for (i = 0; i < len; i++) {
        int v = hex_val((unsigned char)s[i]);

        if (v < 0)
            return fail(err, MZ_EINVAL, "hash contains a character that is not a hex digit");
        w_put(w, hex_lc[v]);
    }
    return 0;
}

static int wallet_norm(const char *s, size_t len, struct wout *w, struct mz_error *err)
{
    size_t i;

    if (len < 25 || len > 128)
        return fail(err, MZ_EINVAL, "wallet address must be 25-128 characters");
    for (i = 0; i < len; i++)
        if (!is_alpha((unsigned char)s[i]) && !is_digit((unsigned char)s[i]))
            return fail(err, MZ_EINVAL, "wallet address must be letters and digits only");
    w_mem(w, s, len);
    return 0;
}

/* ---- the API ---- */

static const char *const kind_names[OBS_N_KINDS] = {
    "ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "wallet",
};

const char *obs_kind_name(enum obs_kind k)
{
    return (unsigned)k < OBS_N_KINDS ? kind_names[k] : "unknown";
}

int obs_kind_parse(const char *name)
{
    int k;

    if (!name)
        return -1;
    for (k = 0; k < OBS_N_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* ASCII case-insensitive equality of s[0..n) and the lowercase word. */
static int eq_nocase(const char *s, size_t n, const char *word)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (word[i] == '\0' || to_lower((unsigned char)s[i]) != (unsigned char)word[i])
            return 0;
    return word[n] == '\0';
}

void obs_path_of_kind(enum obs_kind k, const char **object_type, const char **path)
{
    static const struct {
        const char *object_type;
        const char *path;
    } paths[OBS_N_KINDS] = {
        [OBS_IPV4] = {"ipv4-addr", "value"},
        [OBS_IPV6] = {"ipv6-addr", "value"},
        [OBS_DOMAIN] = {"domain-name", "value"},
        [OBS_URL] = {"url", "value"},
        [OBS_EMAIL] = {"email-addr", "value"},
        [OBS_MD5] = {"file", "hashes.MD5"},
        [OBS_SHA1] = {"file", "hashes.SHA-1"},
        [OBS_SHA256] = {"file", "hashes.SHA-256"},
        [OBS_SHA512] = {"file", "hashes.SHA-512"},
        [OBS_WALLET] = {"cryptocurrency-wallet", "value"},
    };

    *object_type = paths[k].object_type;
    *path = paths[k].path;
}

int obs_kind_of_path(const char *object_type, const char *path)
{
    static const struct {
        const char *type;
        enum obs_kind kind;
    } value_types[] = {
        {"ipv4-addr", OBS_IPV4},
        {"ipv6-addr", OBS_IPV6},
        {"domain-name", OBS_DOMAIN},
        {"url", OBS_URL},
        {"email-addr", OBS_EMAIL},
        {"cryptocurrency-wallet", OBS_WALLET},
        {"x-cryptocurrency-wallet", OBS_WALLET},
    };
    static const struct {
        const char *name;
        enum obs_kind kind;
    } hashes[] = {
        {"md5", OBS_MD5},       {"sha-1", OBS_SHA1},     {"sha1", OBS_SHA1},
        {"sha-256", OBS_SHA256}, {"sha256", OBS_SHA256}, {"sha-512", OBS_SHA512},
        {"sha512", OBS_SHA512},
    };
    size_t k, n;

    if (!object_type || !path)
        return -1;
    if (strcmp(object_type, "file") == 0) {
        if (strncmp(path, "hashes.", 7) != 0)
            return -1;
        path += 7;
        n = strlen(path);
        if (n >= 2 && path[0] == '\'' && path[n - 1] == '\'') { /* quotes left on */
            path++;
            n -= 2;
        }
        for (k = 0; k < sizeof hashes / sizeof hashes[0]; k++)
            if (eq_nocase(path, n, hashes[k].name))
                return hashes[k].kind;
        return -1;
    }
    if (strcmp(path, "value") != 0)
        return -1;
    for (k = 0; k < sizeof value_types / sizeof value_types[0]; k++)
        if (strcmp(object_type, value_types[k].type) == 0)
            return value_types[k].kind;
    return -1;
}

int obs_normalize(enum obs_kind k, const char *s, size_t len, char *out, size_t out_cap,
                  size_t *out_len, int *prefix_out, enum obs_kind *kind_out,
                  struct mz_error *err)
{
    struct wout w;
    enum obs_kind kind = k;
    int prefix = 0, rc;

    if (!out || out_cap == 0)
        return fail(err, MZ_EINVAL, "no output buffer");
    out[0] = '\0';
    if ((unsigned)k >= OBS_N_KINDS)
        return fail(err, MZ_EINVAL, "unknown observable kind");
    if (!s)
        return fail(err, MZ_EINVAL, "no value");
    if (len > OBS_MAX_LEN)
        return fail(err, MZ_ETOOBIG, "value longer than 2048 bytes");
    w.buf = out;
    w.cap = out_cap < OBS_MAX_LEN + 1 ? out_cap : OBS_MAX_LEN + 1;
    w.len = 0;
    w.full = 0;

    switch (k) {
    case OBS_IPV4: {
        uint32_t a;

        rc = ip4_parse(s, len, &a, &prefix, err);
        /* What ip4_parse() accepts is canonical already, but for a "/32" suffix. */
        if (rc == 0)
            w_mem(&w, s, prefix == 32 && len > 3 && s[len - 3] == '/' ? len - 3 : len);
        break;
    }
    case OBS_IPV6: {
        uint8_t a[16];

        rc = ip6_parse(s, len, a, &prefix, err);
        if (rc == 0 && ip6_is_mapped(a, prefix)) {
            kind = OBS_IPV4;
            prefix -= 96;
            w_ip4(&w, ip6_tail4(a), prefix);
        } else if (rc == 0) {
            w_ip6(&w, a, prefix);
        }
        break;
    }
    case OBS_DOMAIN:
        rc = dom_norm(s, len, &w, err);
        break;
    case OBS_URL:
        rc = url_norm(s, len, &w, err);
        break;
    case OBS_EMAIL:
        rc = email_norm(s, len, &w, err);
        break;
    case OBS_MD5:
    case OBS_SHA1:
    case OBS_SHA256:
    case OBS_SHA512:
        rc = hash_norm(k, s, len, &w, err);
        break;
    case OBS_WALLET:
        rc = wallet_norm(s, len, &w, err);
        break;
    default:
        rc = -1;
        break;
    }
    if (rc == 0 && w.full)
        rc = fail_full(&w, err);
    if (rc < 0) {
        out[0] = '\0';
        return -1;
    }
    out[w.len] = '\0';
    if (out_len)
        *out_len = w.len;
    if (prefix_out)
        *prefix_out = prefix;
    if (kind_out)
        *kind_out = kind;
    return 0;
}

int obs_guess_kind(const char *s, size_t len)
{
    size_t i, n_at = 0, at = 0, last_dot = 0;
    unsigned all = 0xFF; /* the byte classes every byte has */
    int has_colon = 0, has_dot = 0, is_url = 0;
    uint8_t a6[16];
    uint32_t a4;
    int prefix;

    if (!s || len == 0 || len > OBS_MAX_LEN)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned cl = byte_class[c];

        if (cl & (CL_CTL | CL_HIGH)) {
            size_t k;

            if (cl & CL_CTL)
                return -1; /* no kind has spaces or control characters */
            k = utf8_len((const unsigned char *)s + i, len - i);
            if (k == 0)
                return -1; /* nor invalid UTF-8 */
            i += k - 1;
            all &= CL_DOM; /* may be an IDN label; nothing else */
            continue;
        }
        all &= cl;
        if (c == '.') {
            has_dot = 1;
            last_dot = i;
        } else if (c == ':') {
            has_colon = 1;
            if (len - i >= 3 && s[i + 1] == '/' && s[i + 2] == '/')
                is_url = 1;
        } else if (c == '@') {
            n_at++;
            at = i;
        }
    }
    if (is_url)
        return OBS_URL;
    if (n_at > 0)
        return n_at == 1 && at > 0 && memchr(s + at + 1, '.', len - at - 1) ? OBS_EMAIL : -1;
    if (has_colon)
        return (all & CL_V6) && obs_ipv6_parse(s, len, a6, &prefix) == 0 ? OBS_IPV6 : -1;
    if ((all & CL_V4) && has_dot)
        return obs_ipv4_parse(s, len, &a4, &prefix) == 0 ? OBS_IPV4 : -1;
    if (all & CL_HEX) {
        switch (len) {
        case 32: return OBS_MD5;
        case 40: return OBS_SHA1;
        case 64: return OBS_SHA256;
        case 128: return OBS_SHA512;
        default: break;
        }
    }
    if (!has_dot || !(all & CL_DOM))
        return -1;
    /* the last label, after one trailing dot: alphabetic, or punycode */
    if (last_dot == len - 1) {
        len--;
        while (last_dot > 0 && s[last_dot - 1] != '.')
            last_dot--;
        if (last_dot == 0)
            return -1; /* "example." has no dot but the trailing one */
        last_dot--;
    }
    if (len - last_dot - 1 >= 4 && eq_nocase(s + last_dot + 1, 4, "xn--"))
        return OBS_DOMAIN;
    if (len - last_dot - 1 == 0)
        return -1;
    for (i = last_dot + 1; i < len; i++)
        if (!is_alpha((unsigned char)s[i]) && (unsigned char)s[i] < 0x80)
            return -1;
    return OBS_DOMAIN;
}

int obs_domain_next_parent(const char *domain, size_t len, size_t *pos)
{
    const char *dot;
    size_t next;

    if (!domain || !pos || *pos >= len)
        return 0;
    dot = memchr(domain + *pos, '.', len - *pos);
    if (!dot)
        return 0;
    next = (size_t)(dot - domain) + 1;
    if (next >= len)
        return 0;
    *pos = next;
    return 1;
}
