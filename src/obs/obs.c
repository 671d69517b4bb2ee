/* obs/obs.c - observables: the kinds of value the indicator index knows (names, the
 * STIX paths that denote them), obs_normalize(), which hands a value to the parser of
 * its kind (obs_int.h lists them: ip.c, name.c, url.c, email.c, hash.c, wallet.c),
 * obs_guess_kind() for values that come without a kind, and the binary address forms
 * the index's range tables take. See obs.h for the canonical forms.
 *
 * How it fits: obs/ is the one vocabulary below the index, the log scanners and the
 * pattern language. The index stores what obs_normalize() writes, the matcher looks
 * up what it writes for a log value, and the pattern evaluator, the log scanners and
 * the prefilter read addresses, names, hashes, UTF-8 and byte classes with the same
 * functions (ip.h, hash.h, utf8.h, ascii.h), so a value is never indexed one way and
 * recognised another.
 *
 * Hand-written because this is the matcher's hot path: obs_normalize() runs once per
 * candidate value of a log that may be a GiB long, so every kind is one pass over the
 * input writing straight into the caller's buffer, with explicit ASCII tests (no
 * locale-dependent <ctype.h>) and no allocation (but libidn2's, for labels that are
 * not ASCII).
 *
 * Ownership: nothing is kept; input is borrowed for the duration of the call and
 * need not be NUL-terminated. On failure the output buffer holds "" and no other
 * out-parameter is written; err (may be NULL) says why without echoing the input,
 * which may be TLP:RED or binary garbage. */
#include "obs/obs.h"

#include <string.h>

#include "obs/ascii.h"
#include "obs/hash.h"
#include "obs/ip.h"
#include "obs/obs_int.h"
#include "obs/utf8.h"

/* ---- the writer and the refusals (obs_int.h) ---- */

void obs_out_dec(struct obs_out *w, unsigned v)
{
    char tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out_put(w, tmp[--n]);
}

void obs_out_pct(struct obs_out *w, unsigned char c)
{
    out_put(w, '%');
    out_put(w, ascii_hex_uc[c >> 4]);
    out_put(w, ascii_hex_uc[c & 15]);
}

int obs_fail(struct mz_error *err, enum mz_err code, const char *msg)
{
    mz_error_set(err, code, NULL, "%s", msg);
    return -1;
}

int obs_fail_full(const struct obs_out *w, struct mz_error *err)
{
    if (w->cap == OBS_MAX_LEN + 1)
        return obs_fail(err, MZ_ETOOBIG, "canonical value longer than 2048 bytes");
    return obs_fail(err, MZ_ETOOBIG, "output buffer too small for the canonical value");
}

/* ---- addresses: ip.c parses, this says why not ---- */

int obs_ip4_read(const char *s, size_t len, struct ip_net *out, struct mz_error *err)
{
    struct ip_net n, masked;

    switch (ip_v4_net(s, len, &n)) {
    case IP_OK:
        break;
    case IP_EPREFIX:
        return obs_fail(err, MZ_EINVAL, "IPv4 prefix length must be 0-32");
    default:
        return obs_fail(err, MZ_EINVAL,
                        "not an IPv4 address (want a dotted quad of 0-255 without "
                        "leading zeros)");
    }
    masked = n;
    if (ip_net_clear_host(&masked)) {
        char net[IP_V4_TEXT_MAX + 1];

        ip_v4_text(ip_net_v4(&masked), masked.prefix, net);
        mz_error_set(err, MZ_EINVAL, NULL, "host bits set in IPv4 range: the network is %s", net);
        return -1;
    }
    *out = n;
    return 0;
}

int obs_ip6_read(const char *s, size_t len, struct ip_net *out, struct mz_error *err)
{
    struct ip_net n, masked;

    if (memchr(s, '%', len))
        return obs_fail(err, MZ_EINVAL, "IPv6 zone ids (\"%...\") are not accepted");
    switch (ip_v6_net(s, len, &n)) {
    case IP_OK:
        break;
    case IP_EPREFIX:
        return obs_fail(err, MZ_EINVAL, "IPv6 prefix length must be 0-128");
    default:
        return obs_fail(err, MZ_EINVAL, "not an IPv6 address (RFC 4291 text form)");
    }
    masked = n;
    if (ip_net_clear_host(&masked)) {
        char net[IP_V6_TEXT_MAX + 1];

        ip_v6_text(masked.addr, masked.prefix, net);
        mz_error_set(err, MZ_EINVAL, NULL, "host bits set in IPv6 range: the network is %s", net);
        return -1;
    }
    *out = n;
    return 0;
}

int obs_ipv4_quad(const char *s, size_t n, uint32_t *addr_out)
{
    return ip_v4_quad(s, n, addr_out);
}

int obs_ipv4_parse(const char *s, size_t len, uint32_t *addr_out, int *prefix_out)
{
    struct ip_net n;

    if (!s || len > OBS_MAX_LEN || obs_ip4_read(s, len, &n, NULL) < 0)
        return -1;
    if (addr_out)
        *addr_out = ip_net_v4(&n);
    if (prefix_out)
        *prefix_out = n.prefix;
    return 0;
}

int obs_ipv6_parse(const char *s, size_t len, uint8_t addr_out[16], int *prefix_out)
{
    struct ip_net n;

    if (!s || len > OBS_MAX_LEN || obs_ip6_read(s, len, &n, NULL) < 0)
        return -1;
    if (addr_out)
        memcpy(addr_out, n.addr, 16);
    if (prefix_out)
        *prefix_out = n.prefix;
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
        if (word[i] == '\0' || ascii_to_lower((unsigned char)s[i]) != (unsigned char)word[i])
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
    struct obs_out w;
    struct ip_net net;
    enum obs_kind kind = k;
    int prefix = 0, rc;

    if (!out || out_cap == 0)
        return obs_fail(err, MZ_EINVAL, "no output buffer");
    out[0] = '\0';
    if ((unsigned)k >= OBS_N_KINDS)
        return obs_fail(err, MZ_EINVAL, "unknown observable kind");
    if (!s)
        return obs_fail(err, MZ_EINVAL, "no value");
    if (len > OBS_MAX_LEN)
        return obs_fail(err, MZ_ETOOBIG, "value longer than 2048 bytes");
    w.buf = out;
    w.cap = out_cap < OBS_MAX_LEN + 1 ? out_cap : OBS_MAX_LEN + 1;
    w.len = 0;
    w.full = 0;

    switch (k) {
    case OBS_IPV4:
        rc = obs_ip4_read(s, len, &net, err);
        /* What ip.c accepts is canonical already, but for a "/32" suffix. */
        if (rc == 0) {
            prefix = net.prefix;
            out_mem(&w, s, prefix == 32 && net.has_prefix ? len - 3 : len);
        }
        break;
    case OBS_IPV6:
        rc = obs_ip6_read(s, len, &net, err);
        if (rc == 0) {
            char text[IP_V6_TEXT_MAX + 1];

            prefix = net.prefix;
            if (ip_v6_is_mapped(net.addr, prefix)) {
                kind = OBS_IPV4;
                prefix -= 96;
                memmove(net.addr, net.addr + 12, 4);
                net.family = 4;
                out_mem(&w, text, ip_v4_text(ip_net_v4(&net), prefix, text));
            } else {
                out_mem(&w, text, ip_v6_text(net.addr, prefix, text));
            }
        }
        break;
    case OBS_DOMAIN:
        rc = name_norm(s, len, &w, err);
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
        rc = obs_fail_full(&w, err);
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

/* The byte classes of obs_guess_kind() (obs_int.h), from their predicates. */
#define GUESS_CLASS(c)                                                                   \
    ((ASCII_IS_DIGIT(c) ? OBS_CL_DIGIT : 0) | (ASCII_IS_HEX(c) ? OBS_CL_HEX : 0) |           \
     (ASCII_IS_ALPHA(c) ? OBS_CL_ALPHA : 0) |                                              \
     (ASCII_IS_LABEL(c) || (c) == '.' ? OBS_CL_DOM : 0) |                                  \
     (ASCII_IS_HEX(c) || (c) == ':' || (c) == '.' || (c) == '/' ? OBS_CL_V6 : 0) |          \
     (ASCII_IS_DIGIT(c) || (c) == '.' || (c) == '/' ? OBS_CL_V4 : 0) |                     \
     (ASCII_IS_CTL(c) || (c) == ' ' ? OBS_CL_CTL : 0) | (ASCII_IS_HIGH(c) ? OBS_CL_HIGH : 0))
const unsigned char obs_guess_class[256] = {ASCII_TABLE(GUESS_CLASS)};

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
        unsigned cl = obs_guess_class[c];

        if (cl & (OBS_CL_CTL | OBS_CL_HIGH)) {
            size_t k;

            if (cl & OBS_CL_CTL)
                return -1; /* no kind has spaces or control characters */
            k = utf8_len((const unsigned char *)s + i, len - i);
            if (k == 0)
                return -1; /* nor invalid UTF-8 */
            i += k - 1;
            all &= OBS_CL_DOM; /* may be an IDN label; nothing else */
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
        return (all & OBS_CL_V6) && obs_ipv6_parse(s, len, a6, &prefix) == 0 ? OBS_IPV6 : -1;
    if ((all & OBS_CL_V4) && has_dot)
        return obs_ipv4_parse(s, len, &a4, &prefix) == 0 ? OBS_IPV4 : -1;
    if ((all & OBS_CL_HEX) && hash_kind_of_len(len) >= 0)
        return hash_kind_of_len(len);
    if (!has_dot || !(all & OBS_CL_DOM))
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
        if (!ascii_is_alpha((unsigned char)s[i]) && (unsigned char)s[i] < 0x80)
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

int obs_canonical_kind(const char *s, size_t n, enum obs_kind *kind_out)
{
    size_t i, label = 0, dots = 0, hex = 0, digits_dots = 0;
    int last_alpha = 1, hk;

    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ascii_is_digit(c) || (c >= 'a' && c <= 'f'))
            hex++;
        if (ascii_is_digit(c) || c == '.')
            digits_dots++;
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            dots++;
            label = 0;
            last_alpha = 1;
            continue;
        }
        if (!(ascii_is_lower(c) || ascii_is_digit(c) || c == '-' || c == '_'))
            return 0;
        if ((c == '-' && label == 0) || ++label > 63)
            return 0;
        if (!ascii_is_lower(c))
            last_alpha = 0;
    }
    if (hex == n && (hk = hash_kind_of_len(n)) >= 0) {
        *kind_out = (enum obs_kind)hk;
        return 1;
    }
    if (digits_dots == n && dots == 3) {
        uint32_t a;
        if (!ip_v4_quad(s, n, &a))
            return 0;
        *kind_out = OBS_IPV4;
        return 1;
    }
    if (dots >= 1 && label >= 2 && s[n - 1] != '-' && last_alpha) {
        *kind_out = OBS_DOMAIN;
        return 1;
    }
    return 0;
}

int obs_unguessable(const char *s, size_t n)
{
    int colon = 0, dot = 0, at = 0, non_v6 = 0, non_dom = 0, non_hex = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int hexd = ASCII_IS_HEX(c);
        if (c == ':') {
            colon = 1;
            if (i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/')
                return 0; /* a URL */
        } else if (c == '.') {
            dot = 1;
        } else if (c == '@') {
            at = 1;
        }
        non_hex |= !hexd;
        non_v6 |= !(hexd || c == ':' || c == '.');
        non_dom |= !(ASCII_IS_LABEL(c) || c == '.' || ASCII_IS_HIGH(c)); /* IDN */
    }
    if (at)
        return 0;
    if (colon)
        return non_v6;
    if (!non_hex && hash_kind_of_len(n) >= 0)
        return 0;
    return !dot || non_dom;
}
