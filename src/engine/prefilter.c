/* engine/prefilter.c - the questions of the matcher's prefilter (see prefilter.h).
 *
 * prefilter_value() may leave a value without a "maybe" only where
 * engine_match_observation() (engine/engine_match.c) can find no index key for it. It
 * classifies the raw value in one pass over a byte-class table and follows the
 * decisions of that path: obs_canonical_kind() values are their own canonical form; other
 * unhinted values are found obs_unguessable() or take the kind obs_guess_kind() gives them
 * ("://" a URL, '@' an e-mail, ':' an IPv6 address, a hash by length of hex, a domain
 * if it has a dot), and a hash's or a plain ASCII domain's canonical form differs from
 * it only by case (and one trailing dot), which the prefilter's keys fold. What it
 * cannot be sure of is a "maybe". The tests compare whole `mreza match` runs with and
 * without the prefilter (tests/integ/test_prefilter.c). */
#include "engine/prefilter.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "obs/ascii.h"
#include "obs/hash.h"
#include "obs/ip.h"
#include "obs/obs.h"
#include "match/jscan.h"

/* The byte classes of the prefilter (prefilter.h), a table built from the obs/ascii.h
 * predicates; tests/unit/engine/test_prefilter.c checks every entry. */
#define PCLASS(c)                                                                                  \
    (ASCII_IS_HIGH(c)                                                                              \
         ? PREFILTER_HIGH                                                                          \
         : ASCII_IS_ALPHA(c) ? PREFILTER_LETTER | (ASCII_IS_HEX(c) ? 0 : PREFILTER_NONHEX)          \
         : ASCII_IS_DIGIT(c) ? PREFILTER_DIGIT                                                     \
         : (c) == '.' ? PREFILTER_DOT                                                              \
         : (c) == '-' || (c) == '_' ? PREFILTER_DASH                                               \
         : (c) == '@' ? PREFILTER_AT                                                               \
         : (c) == ':' ? PREFILTER_COLON                                                            \
         : (c) == '/' ? PREFILTER_OTHER | PREFILTER_SLASH                                          \
                      : PREFILTER_OTHER)
const uint16_t prefilter_class[256] = {ASCII_TABLE(PCLASS)};

/* What a plain ASCII name is made of. */
#define PREFILTER_PLAIN (PREFILTER_LETTER | PREFILTER_NONHEX | PREFILTER_DIGIT | PREFILTER_DOT | PREFILTER_DASH)

/* The byte classes of s[0..n), with PREFILTER_URL if it has "://". Eight bytes a step
 * with no branch inside: every log value passes here. */
static unsigned classify(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const uint16_t *pclass = prefilter_class;
    unsigned acc = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8)
        acc |= pclass[p[i]] | pclass[p[i + 1]] | pclass[p[i + 2]] | pclass[p[i + 3]] |
               pclass[p[i + 4]] | pclass[p[i + 5]] | pclass[p[i + 6]] | pclass[p[i + 7]];
    for (; i < n; i++)
        acc |= pclass[p[i]];
    if ((acc & (PREFILTER_COLON | PREFILTER_SLASH)) == (PREFILTER_COLON | PREFILTER_SLASH)) {
        for (const char *c = memchr(s, ':', n); c; c = memchr(c + 1, ':', (size_t)(s + n - c - 1)))
            if (s + n - c >= 3 && c[1] == '/' && c[2] == '/')
                return acc | PREFILTER_URL;
    }
    return acc;
}

/* A plain ASCII domain (classes within PREFILTER_PLAIN, with a letter): itself or a parent
 * may be a domain key. One trailing dot is what normalisation drops. */
static int prefilter_domain(const struct hot *h, const char *v, size_t n, struct hot_probes *ps)
{
    if (n > 1 && v[n - 1] == '.')
        n--;
    if (v[n - 1] == '.')
        return 1;
    hot_probe_domain(h, v, n, ps);
    return 0;
}

static int scheme_char(char c, size_t i)
{
    if (ascii_is_alpha((unsigned char)c))
        return 1;
    return i > 0 && (ascii_is_digit((unsigned char)c) || c == '+' || c == '-' || c == '.');
}

/* The first of '/', '?', '#', '@', ':' in v[from..n), or n: where a URL's host ends
 * (or its userinfo or port begin). Sixteen bytes a step where there are sixteen. */
static size_t host_end(const char *v, size_t n, size_t from)
{
    size_t i = from;

#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')), _mm_cmpeq_epi8(x, _mm_set1_epi8('?'))),
                                   _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('#')), _mm_cmpeq_epi8(x, _mm_set1_epi8('@'))),
                                                _mm_cmpeq_epi8(x, _mm_set1_epi8(':'))));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (v[i] == '/' || v[i] == '?' || v[i] == '#' || v[i] == '@' || v[i] == ':')
            return i;
    return n;
}

/* The length of v's scheme when v starts "scheme://", else 0. */
static size_t url_scheme(const char *v, size_t n)
{
    size_t i = 0;

    while (i < n && scheme_char(v[i], i))
        i++;
    return i > 0 && n - i >= 3 && v[i] == ':' && v[i + 1] == '/' && v[i + 2] == '/' ? i : 0;
}

/* A URL, whose scheme (url_scheme()) is `scheme` bytes long (0: it has none, a maybe):
 * its host (when it is plain: no userinfo, IPv6 literal, escapes or IDN) is looked up
 * as a URL key's host, as an address or as a domain with its parents. */
static int prefilter_url_at(const struct hot *h, const char *v, size_t n, size_t scheme, struct hot_probes *ps)
{
    size_t host, end, colon = 0;
    unsigned acc;
    uint32_t a;

    if (scheme == 0)
        return 1;
    host = scheme + 3;
    end = host_end(v, n, host);
    if (end < n && v[end] == '@')
        return 1; /* userinfo */
    if (end < n && v[end] == ':') {
        /* a port; but an '@' later is userinfo with a ':', and a second ':' puts
         * one in the host (up to the last ':'): maybes both */
        colon = end;
        for (end = colon + 1; end < n && v[end] != '/' && v[end] != '?' && v[end] != '#'; end++)
            if (v[end] == '@' || v[end] == ':')
                return 1;
        end = colon;
    }
    if (end == host || v[end - 1] == '.')
        return 1;
    acc = classify(v + host, end - host);
    if (acc & ~PREFILTER_PLAIN)
        return 1;
    if (acc & PREFILTER_LETTER) {
        hot_probe_host(h, v + host, end - host, ps);
        return 0;
    }
    if (ip_v4_quad(v + host, end - host, &a))
        hot_probe_ipv4(h, a, ps);
    hot_probe_url_host(h, v + host, end - host, ps);
    return 0;
}

static int prefilter_url(const struct hot *h, const char *v, size_t n, struct hot_probes *ps)
{
    return prefilter_url_at(h, v, n, url_scheme(v, n), ps);
}

/* An IPv6 address: an IPv6 key, or an IPv4 one if it is IPv4-mapped (::ffff:0:0/96),
 * which every spelling shows as a group "ffff". */
static int prefilter_ipv6(const struct hot *h, const char *v, size_t n)
{
    size_t run = 0;

    if (hot_has_kind(h, OBS_IPV6))
        return 1;
    if (!hot_has_kind(h, OBS_IPV4))
        return 0;
    for (size_t i = 0; i < n; i++) {
        run = (v[i] | 0x20) == 'f' ? run + 1 : 0;
        if (run == 4)
            return 1;
    }
    return 0;
}

/* A value without a hint: the kind obs_guess_kind() would give it. */
static int prefilter_guess(const struct hot *h, const char *v, size_t n, unsigned acc,
                           struct hot_probes *ps)
{
    uint32_t a;

    if (acc & PREFILTER_URL)
        return prefilter_url(h, v, n, ps);
    if (acc & PREFILTER_AT)
        return hot_has_kind(h, OBS_EMAIL);
    if (acc & PREFILTER_COLON) /* IPv6 (obs_unguessable: only hex, ':' and '.'), or IPv4-mapped */
        return !(acc & ~(PREFILTER_LETTER | PREFILTER_DIGIT | PREFILTER_DOT | PREFILTER_COLON)) && !(acc & PREFILTER_NONHEX) &&
               prefilter_ipv6(h, v, n);
    if (acc & PREFILTER_OTHER)
        return 0; /* obs_unguessable(): no kind has such bytes */
    if (acc & PREFILTER_HIGH)
        return 1;
    if (!(acc & PREFILTER_LETTER)) {
        if (ip_v4_quad(v, n, &a))
            hot_probe_ipv4(h, a, ps);
        else if (acc == PREFILTER_DIGIT && hash_kind_of_len(n) >= 0)
            hot_probe_hash(h, v, n, ps);
        /* else nothing: digits and dots that are no address name nothing */
        return 0;
    }
    if (!(acc & ~(PREFILTER_LETTER | PREFILTER_DIGIT)) && hash_kind_of_len(n) >= 0) {
        hot_probe_hash(h, v, n, ps);
        return 0;
    }
    if (!(acc & PREFILTER_DOT))
        return 0; /* no dot: no domain (obs_unguessable) */
    return prefilter_domain(h, v, n, ps);
}

int prefilter_value(const struct hot *h, const char *v, size_t n, int hint, struct hot_probes *ps)
{
    unsigned acc;
    uint32_t a;

    if (n == 0)
        return 1;
    /* the commonest log value of all, an IPv4 address, without classifying it first
     * (a strict quad is IPv4 whatever else: obs_canonical_kind() says so too) */
    if ((hint < 0 || hint == OBS_IPV4) && (unsigned)(v[0] - '0') <= 9 && ip_v4_quad(v, n, &a)) {
        hot_probe_ipv4(h, a, ps);
        return 0;
    }
    acc = classify(v, n);
    if (hint < 0)
        return prefilter_guess(h, v, n, acc, ps);
    switch (hint) {
    case OBS_URL:
        return acc & PREFILTER_URL ? prefilter_url(h, v, n, ps) : 1;
    case OBS_IPV4:
        if (!ip_v4_quad(v, n, &a))
            return hot_has_kind(h, OBS_IPV4);
        hot_probe_ipv4(h, a, ps);
        return 0;
    case OBS_IPV6:
        return prefilter_ipv6(h, v, n);
    case OBS_DOMAIN:
        if (!(acc & ~PREFILTER_PLAIN) && (acc & PREFILTER_LETTER))
            return prefilter_domain(h, v, n, ps);
        return hot_has_kind(h, OBS_DOMAIN);
    case OBS_MD5:
    case OBS_SHA1:
    case OBS_SHA256:
    case OBS_SHA512:
        if (!(acc & ~(PREFILTER_LETTER | PREFILTER_DIGIT))) {
            hot_probe_hash(h, v, n, ps);
            return 0;
        }
        return hot_has_kind(h, (enum obs_kind)hint);
    default:
        return hint < OBS_N_KINDS ? hot_has_kind(h, (enum obs_kind)hint) : 1;
    }
}

/* The PREFILTER_ classes of a value whose bytes' jscan classes (match/jscan.h) OR to cls,
 * one without JSCAN_OTHER: what classify() gives (PREFILTER_URL needs a '/'). A table: this
 * runs for every value of every flat JSON line. */
#define JL(c) (((c) & (JSCAN_HEX | JSCAN_G_O | JSCAN_P_Z)) ? PREFILTER_LETTER : 0)
#define JN(c) (((c) & (JSCAN_G_O | JSCAN_P_Z)) ? PREFILTER_NONHEX : 0)
#define JD(c) (((c) & JSCAN_DIGIT) ? PREFILTER_DIGIT : 0)
#define JT(c) (((c) & JSCAN_DOT) ? PREFILTER_DOT : 0)
#define JH(c) (((c) & JSCAN_DASH) ? PREFILTER_DASH : 0)
#define JC(c) (((c) & JSCAN_COLON) ? PREFILTER_COLON : 0)
#define J1(c) (JL(c) | JN(c) | JD(c) | JT(c) | JH(c) | JC(c))
#define J4(c) J1(c), J1((c) + 1), J1((c) + 2), J1((c) + 3)
#define J16(c) J4(c), J4((c) + 4), J4((c) + 8), J4((c) + 12)
#define J64(c) J16(c), J16((c) + 16), J16((c) + 32), J16((c) + 48)
const uint16_t prefilter_class_of_jscan[128] = {J64(0), J64(64)};
#undef J64
#undef J16
#undef J4
#undef J1
#undef JC
#undef JH
#undef JT
#undef JD
#undef JN
#undef JL

int prefilter_value_classed(const struct hot *h, const char *v, size_t n, unsigned cls, struct hot_probes *ps)
{
    if (n == 0)
        return 1;
    if (!(cls & JSCAN_OTHER))
        return prefilter_guess(h, v, n, prefilter_class_of_jscan[cls], ps);
    /* a byte of no class the fast path knows ('/', '@', '%', ...): a URL (classify()
     * would find its "://" and prefilter_guess() take it as one), or classify it all */
    if (cls & JSCAN_COLON) {
        size_t scheme = url_scheme(v, n); /* "scheme://": a URL whatever else it holds */
        if (scheme)
            return prefilter_url_at(h, v, n, scheme, ps);
    }
    return prefilter_value(h, v, n, -1, ps);
}

void prefilter_values_classed(const struct hot *h, const struct jscan_value *v, size_t n, struct hot_probes *ps)
{
    for (size_t i = 0; i < n && !ps->maybe; i++) {
        uint32_t a;
        /* the commonest value of all, digits and dots: an address or nothing (what
         * prefilter_guess() makes of it, without the way there) */
        if (v[i].cls == (JSCAN_DIGIT | JSCAN_DOT)) {
            if (ip_v4_quad(v[i].p, v[i].len, &a))
                hot_probe_ipv4(h, a, ps);
        } else if (prefilter_value_classed(h, v[i].p, v[i].len, v[i].cls, ps)) {
            ps->maybe = 1;
        }
    }
}
