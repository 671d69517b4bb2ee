/* obs/url.c - URLs: the canonical form the index stores and the matcher looks up.
 * Scheme and host lowercase (the host through name.c, or an [IPv6] literal through
 * ip.c, an IPv4-mapped one becoming its dotted quad), the default port dropped (http
 * 80, https 443, ftp 21, ws 80, wss 443), escapes of unreserved characters decoded and
 * other escapes in upper-case hex, non-ASCII and characters RFC 3986 never allows
 * percent-encoded, "." and ".." path segments removed, an empty path "/", the
 * fragment dropped; userinfo, port and query kept.
 *
 * Hand-written because it runs once per candidate URL of a log on the matcher's path
 * and writes straight into the caller's buffer in one pass; the URL libraries in
 * Debian (libcurl's URL API, uriparser) allocate per call and normalise differently
 * (neither removes dot segments and decodes unreserved escapes the way RFC 3986 6.2.2
 * says, in one go). */
#include <string.h>

#include "obs/ascii.h"
#include "obs/ip.h"
#include "obs/obs_int.h"
#include "obs/utf8.h"

/* RFC 3986 unreserved: decoded when percent-encoded. */
static int is_unreserved(unsigned char c)
{
    return ascii_is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
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
static int url_char(const char *s, size_t len, size_t *i, struct obs_out *w,
                    struct mz_error *err)
{
    unsigned char c = (unsigned char)s[*i];

    if (c == '%') {
        int hi = *i + 2 < len ? ascii_hex_val((unsigned char)s[*i + 1]) : -1;
        int lo = hi >= 0 ? ascii_hex_val((unsigned char)s[*i + 2]) : -1;

        if (lo < 0) {
            out_mem(w, "%25", 3);
            (*i)++;
            return 0;
        }
        c = (unsigned char)(hi << 4 | lo);
        if (is_unreserved(c))
            out_put(w, (char)c);
        else
            obs_out_pct(w, c);
        *i += 3;
    } else if (c <= 0x20 || c == 0x7F) {
        return obs_fail(err, MZ_EINVAL, "URL contains a space or control character");
    } else if (c >= 0x80) {
        size_t k = utf8_len((const unsigned char *)s + *i, len - *i);

        if (k == 0)
            return obs_fail(err, MZ_EINVAL, "URL is not valid UTF-8");
        while (k--)
            obs_out_pct(w, (unsigned char)s[(*i)++]);
    } else {
        if (must_encode(c))
            obs_out_pct(w, c);
        else
            out_put(w, (char)c);
        (*i)++;
    }
    return 0;
}

/* Checks s[0..len) holds no spaces, control characters or invalid UTF-8 (userinfo
 * and fragment, which are not normalised). */
static int plain_ok(const char *s, size_t len, struct mz_error *err)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t k;

        if (c <= 0x20 || c == 0x7F)
            return obs_fail(err, MZ_EINVAL, "URL contains a space or control character");
        k = utf8_len((const unsigned char *)s + i, len - i);
        if (k == 0)
            return obs_fail(err, MZ_EINVAL, "URL is not valid UTF-8");
        i += k;
    }
    return 0;
}

/* The default port of a (lowercase) scheme, or -1. */
static long default_port(const char *scheme, size_t n)
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
static int host_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err)
{
    size_t h0 = w->len, k;
    uint32_t a;

    if (name_norm(s, len, w, err) < 0)
        return -1;
    k = w->len;
    while (k > h0 && ascii_is_digit((unsigned char)w->buf[k - 1]))
        k--;
    if (k < w->len && (k == h0 || w->buf[k - 1] == '.') &&
        !ip_v4_quad(w->buf + h0, w->len - h0, &a))
        return obs_fail(err, MZ_EINVAL, "numeric URL host is not a dotted-quad IPv4 address");
    return 0;
}

/* Appends the host "[v6]" at s[host..auth_end) and sets *host_end past the ']'. An
 * IPv4-mapped address is written as its dotted quad. */
static int host_v6(const char *s, size_t host, size_t auth_end, size_t *host_end,
                   struct obs_out *w, struct mz_error *err)
{
    const char *rb = memchr(s + host, ']', auth_end - host);
    struct ip_net net;
    char text[IP_V6_TEXT_MAX + 1];

    if (!rb)
        return obs_fail(err, MZ_EINVAL, "URL host starts with '[' but has no ']'");
    if (obs_ip6_read(s + host + 1, (size_t)(rb - s) - host - 1, &net, err) < 0)
        return -1;
    if (ip_v6_is_mapped(net.addr, net.prefix)) {
        uint32_t a = (uint32_t)net.addr[12] << 24 | (uint32_t)net.addr[13] << 16 |
                     (uint32_t)net.addr[14] << 8 | net.addr[15];

        out_mem(w, text, ip_v4_text(a, 32, text));
    } else {
        out_put(w, '[');
        out_mem(w, text, ip_v6_text(net.addr, 128, text));
        out_put(w, ']');
    }
    *host_end = (size_t)(rb - s) + 1;
    if (*host_end < auth_end && s[*host_end] != ':')
        return obs_fail(err, MZ_EINVAL, "unexpected characters after ']' in URL host");
    return 0;
}

/* Appends the path starting with '/' at s[*i] (up to '?', '#' or the end), with
 * escapes normalised and then "." and ".." segments removed as RFC 3986 5.2.4 does,
 * in one pass: each segment is written, and if it turns out to be a dot segment it
 * is taken back off the output. */
static int path_norm(const char *s, size_t len, size_t *pi, struct obs_out *w,
                     struct mz_error *err)
{
    size_t i = *pi + 1, root = w->len;

    out_put(w, '/');
    for (;;) {
        size_t seg = w->len;
        int dropped = 0;

        while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
            if (url_char(s, len, &i, w, err) < 0)
                return -1;
        if (w->full)
            return obs_fail_full(w, err);
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
            out_put(w, '/');
    }
    *pi = i;
    return 0;
}

int url_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err)
{
    size_t i = 0, auth_end, host, host_end, p;
    long def_port;

    if (len == 0 || !ascii_is_alpha((unsigned char)s[0]))
        return obs_fail(err, MZ_EINVAL, "URL must start with a scheme (a letter)");
    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (!ascii_is_alnum(c) && c != '+' && c != '-' && c != '.')
            break;
        out_put(w, (char)ascii_to_lower(c));
        i++;
    }
    if (len - i < 3 || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
        return obs_fail(err, MZ_EINVAL, "URL must have the form scheme://host");
    def_port = default_port(w->buf, w->len);
    out_mem(w, "://", 3);
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
        if (plain_ok(s + i, host - 1 - i, err) < 0)
            return -1;
        out_mem(w, s + i, host - i);
    }

    if (host < auth_end && s[host] == '[') {
        if (host_v6(s, host, auth_end, &host_end, w, err) < 0)
            return -1;
    } else {
        const char *colon = memchr(s + host, ':', auth_end - host);

        host_end = colon ? (size_t)(colon - s) : auth_end;
        if (host_end == host)
            return obs_fail(err, MZ_EINVAL, "URL has no host");
        if (host_norm(s + host, host_end - host, w, err) < 0)
            return -1;
    }

    if (host_end < auth_end) { /* ":port", possibly empty */
        long port = 0;
        size_t k;

        for (k = host_end + 1; k < auth_end; k++) {
            if (!ascii_is_digit((unsigned char)s[k]))
                return obs_fail(err, MZ_EINVAL, "URL port is not a number");
            port = port * 10 + (s[k] - '0');
            if (port > 65535)
                return obs_fail(err, MZ_EINVAL, "URL port above 65535");
        }
        if (auth_end > host_end + 1 && port != def_port) {
            out_put(w, ':');
            obs_out_dec(w, (unsigned)port);
        }
    }

    i = auth_end;
    if (i < len && s[i] == '/') {
        if (path_norm(s, len, &i, w, err) < 0)
            return -1;
    } else {
        out_put(w, '/');
    }
    if (i < len && s[i] == '?') {
        out_put(w, '?');
        i++;
        while (i < len && s[i] != '#')
            if (url_char(s, len, &i, w, err) < 0)
                return -1;
    }
    if (i < len && plain_ok(s + i + 1, len - i - 1, err) < 0) /* the fragment */
        return -1;
    return 0;
}
