/* tests/unit/obs/test_obs.c - unit tests of obs/obs.c (observable kinds and their
 * canonical forms).
 * Covers, as tables of accepted inputs with their exact canonical output and of
 * refused inputs (with a piece of the error message where it matters): IPv4 (strict
 * dotted quads, leading zeros, 256, missing and extra octets, /0 /32, host bits),
 * IPv6 (every RFC 4291 text form, RFC 5952 output with ties and single zero groups,
 * mapped IPv4 turning into the ipv4 kind, /0 /128, zone ids), domains (case, trailing
 * dot, IDN through libidn2, label and total lengths), URLs (scheme and host case,
 * default ports, userinfo, [IPv6] hosts, escapes, dot segments, fragments), e-mail,
 * the four hashes and wallets; then obs_ipv4_parse/obs_ipv6_parse binary forms,
 * obs_kind_of_path, obs_kind_name/parse, obs_guess_kind, the parent walk, that every
 * canonical output normalises to itself, binary garbage and invalid UTF-8, a 1 MB
 * input, small output buffers and out-parameters left alone on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "obs/obs.h"

/* Compare "name => got" with "name => want", so a failing row names itself. */
#define assert_case_str(name, got, want)                                         \
    do {                                                                         \
        char g_[4400], w_[4400];                                                 \
        snprintf(g_, sizeof g_, "%s => %s", (name), (got));                      \
        snprintf(w_, sizeof w_, "%s => %s", (name), (want));                     \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[4400], w_[4400];                                                 \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

/* A printable rendering of s[0..len) for case names. */
static const char *show(const char *s, size_t len)
{
    static char buf[2][600];
    static int which;
    char *b = buf[which ^= 1];
    size_t i, n = 0;

    for (i = 0; i < len && n + 8 < sizeof buf[0]; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7F && c != '\\')
            b[n++] = (char)c;
        else
            n += (size_t)snprintf(b + n, sizeof buf[0] - n, "\\x%02x", c);
    }
    if (i < len)
        n += (size_t)snprintf(b + n, sizeof buf[0] - n, "...(%zu bytes)", len);
    b[n] = '\0';
    return b;
}

/* ---- accepted values ---- */

struct ok_case {
    enum obs_kind kind;
    const char *in;
    const char *want;
    enum obs_kind want_kind;
    int prefix; /* expected *prefix_out (0 for non-address kinds) */
};

#define L63 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyza"
#define H32 "D41D8CD98F00B204E9800998ECF8427E"
#define H40 "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
#define H64 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define H128 H64 H64
#define L64LOCAL "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"

static const struct ok_case ok_cases[] = {
    /* IPv4 */
    {OBS_IPV4, "1.2.3.4", "1.2.3.4", OBS_IPV4, 32},
    {OBS_IPV4, "0.0.0.0", "0.0.0.0", OBS_IPV4, 32},
    {OBS_IPV4, "255.255.255.255", "255.255.255.255", OBS_IPV4, 32},
    {OBS_IPV4, "198.51.100.1/32", "198.51.100.1", OBS_IPV4, 32},
    {OBS_IPV4, "10.0.0.0/8", "10.0.0.0/8", OBS_IPV4, 8},
    {OBS_IPV4, "0.0.0.0/0", "0.0.0.0/0", OBS_IPV4, 0},
    {OBS_IPV4, "192.168.0.0/16", "192.168.0.0/16", OBS_IPV4, 16},
    {OBS_IPV4, "10.0.0.128/25", "10.0.0.128/25", OBS_IPV4, 25},
    {OBS_IPV4, "100.64.0.0/10", "100.64.0.0/10", OBS_IPV4, 10},
    {OBS_IPV4, "8.8.8.8/31", "8.8.8.8/31", OBS_IPV4, 31},
    {OBS_IPV4, "0.0.0.0/32", "0.0.0.0", OBS_IPV4, 32},
    {OBS_IPV4, "128.0.0.0/1", "128.0.0.0/1", OBS_IPV4, 1},
    {OBS_IPV4, "9.99.199.250", "9.99.199.250", OBS_IPV4, 32},

    /* IPv6 */
    {OBS_IPV6, "::", "::", OBS_IPV6, 128},
    {OBS_IPV6, "::1", "::1", OBS_IPV6, 128},
    {OBS_IPV6, "::/0", "::/0", OBS_IPV6, 0},
    {OBS_IPV6, "::/128", "::", OBS_IPV6, 128},
    {OBS_IPV6, "2001:db8::", "2001:db8::", OBS_IPV6, 128},
    {OBS_IPV6, "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329", OBS_IPV6,
     128},
    {OBS_IPV6, "2001:DB8::1", "2001:db8::1", OBS_IPV6, 128},
    {OBS_IPV6, "2001:db8:0:0:0:0:2:1", "2001:db8::2:1", OBS_IPV6, 128},
    {OBS_IPV6, "2001:db8:0000:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", OBS_IPV6, 128},
    {OBS_IPV6, "2001:0:0:1:0:0:0:1", "2001:0:0:1::1", OBS_IPV6, 128},   /* longest run */
    {OBS_IPV6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", OBS_IPV6, 128}, /* tie: left */
    {OBS_IPV6, "1:0:0:2:0:0:3:4", "1::2:0:0:3:4", OBS_IPV6, 128},
    {OBS_IPV6, "2001:db8::0:1", "2001:db8::1", OBS_IPV6, 128},
    {OBS_IPV6, "1:0:0:0:0:0:0:0", "1::", OBS_IPV6, 128},
    {OBS_IPV6, "0:0:0:0:0:0:0:1", "::1", OBS_IPV6, 128},
    {OBS_IPV6, "0:0:0:0:0:0:0:0", "::", OBS_IPV6, 128},
    {OBS_IPV6, "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", OBS_IPV6, 128},
    {OBS_IPV6, "::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7", OBS_IPV6, 128}, /* one zero: no :: */
    {OBS_IPV6, "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", OBS_IPV6, 128},
    {OBS_IPV6, "1:2:3::5:6:7:8", "1:2:3:0:5:6:7:8", OBS_IPV6, 128},
    {OBS_IPV6, "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
     OBS_IPV6, 128},
    {OBS_IPV6, "fe80::/10", "fe80::/10", OBS_IPV6, 10},
    {OBS_IPV6, "2001:db8::/32", "2001:db8::/32", OBS_IPV6, 32},
    {OBS_IPV6, "2001:db8::1/128", "2001:db8::1", OBS_IPV6, 128},
    {OBS_IPV6, "2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65", OBS_IPV6, 65},
    {OBS_IPV6, "::1.2.3.4", "::102:304", OBS_IPV6, 128}, /* compatible, not mapped */
    {OBS_IPV6, "64:ff9b::192.0.2.33", "64:ff9b::c000:221", OBS_IPV6, 128},
    {OBS_IPV6, "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", OBS_IPV6, 128},
    {OBS_IPV6, "::fffe:1.2.3.4", "::fffe:102:304", OBS_IPV6, 128},
    {OBS_IPV6, "::ffff:0:0:0/96", "::ffff:0:0:0/96", OBS_IPV6, 96},
    /* IPv4-mapped -> ipv4 */
    {OBS_IPV6, "::ffff:1.2.3.4", "1.2.3.4", OBS_IPV4, 32},
    {OBS_IPV6, "::FFFF:102:304", "1.2.3.4", OBS_IPV4, 32},
    {OBS_IPV6, "0:0:0:0:0:ffff:1.2.3.4", "1.2.3.4", OBS_IPV4, 32},
    {OBS_IPV6, "0000:0000:0000:0000:0000:FFFF:C000:0221", "192.0.2.33", OBS_IPV4, 32},
    {OBS_IPV6, "::ffff:1.2.3.4/128", "1.2.3.4", OBS_IPV4, 32},
    {OBS_IPV6, "::ffff:0:0/96", "0.0.0.0/0", OBS_IPV4, 0},
    {OBS_IPV6, "::ffff:10.0.0.0/104", "10.0.0.0/8", OBS_IPV4, 8},
    {OBS_IPV6, "::ffff:c0a8:0/112", "192.168.0.0/16", OBS_IPV4, 16},

    /* domains */
    {OBS_DOMAIN, "example.com", "example.com", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "EXAMPLE.com.", "example.com", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "com", "com", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "COM.", "com", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "a.b.c.d.e", "a.b.c.d.e", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "_dmarc.Example.com", "_dmarc.example.com", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "sub_domain-1.Example.ORG", "sub_domain-1.example.org", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "a--b.example", "a--b.example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "1.2.3.4", "1.2.3.4", OBS_DOMAIN, 0}, /* digits are label characters */
    {OBS_DOMAIN, "xn--mnchen-3ya.example", "xn--mnchen-3ya.example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "XN--MNCHEN-3YA.Example", "xn--mnchen-3ya.example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "m\xc3\xbcnchen.example", "xn--mnchen-3ya.example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "M\xc3\x9cNCHEN.Example", "xn--mnchen-3ya.example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "www.b\xc3\xbc" "cher.de", "www.xn--bcher-kva.de", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "fa\xc3\x9f.de", "xn--fa-hia.de", OBS_DOMAIN, 0}, /* non-transitional */
    {OBS_DOMAIN, "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
     "xn--r8jz45g.xn--zckzah", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "\xe2\x98\x83.net", "xn--n3h.net", OBS_DOMAIN, 0}, /* transitional fallback */
    {OBS_DOMAIN, "\xf0\x9f\x92\xa9.la", "xn--ls8h.la", OBS_DOMAIN, 0},
    {OBS_DOMAIN, "\xef\xbc\xa5\xef\xbc\xb8.example", "ex.example", OBS_DOMAIN, 0}, /* fullwidth */
    {OBS_DOMAIN, "a\xe3\x80\x82\xc3\xa4.example", "a.xn--4ca.example", OBS_DOMAIN, 0}, /* U+3002 */
    {OBS_DOMAIN, L63 ".example", L63 ".example", OBS_DOMAIN, 0},
    {OBS_DOMAIN, L63 "." L63 "." L63 "." "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy",
     L63 "." L63 "." L63 "." "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy",
     OBS_DOMAIN, 0}, /* exactly 253 */

    /* URLs */
    {OBS_URL, "HTTP://Example.COM:80/a/./b/../c?q=%7e#frag", "http://example.com/a/c?q=~", OBS_URL, 0},
    {OBS_URL, "https://user:pw@host.example:8443/", "https://user:pw@host.example:8443/", OBS_URL, 0},
    {OBS_URL, "http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x", OBS_URL, 0},
    {OBS_URL, "http://[::ffff:1.2.3.4]/", "http://1.2.3.4/", OBS_URL, 0},
    {OBS_URL, "http://[::1]:8080", "http://[::1]:8080/", OBS_URL, 0},
    {OBS_URL, "http://example.com", "http://example.com/", OBS_URL, 0},
    {OBS_URL, "http://example.com?x=1", "http://example.com/?x=1", OBS_URL, 0},
    {OBS_URL, "http://example.com#top", "http://example.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/#frag?x", "http://a.com/", OBS_URL, 0},
    {OBS_URL, "https://example.com:443/", "https://example.com/", OBS_URL, 0},
    {OBS_URL, "https://example.com:80/", "https://example.com:80/", OBS_URL, 0},
    {OBS_URL, "http://example.com:443/", "http://example.com:443/", OBS_URL, 0},
    {OBS_URL, "ftp://example.com:21/pub", "ftp://example.com/pub", OBS_URL, 0},
    {OBS_URL, "ws://example.com:80/", "ws://example.com/", OBS_URL, 0},
    {OBS_URL, "WSS://example.com:443/s", "wss://example.com/s", OBS_URL, 0},
    {OBS_URL, "gopher://example.com:70/", "gopher://example.com:70/", OBS_URL, 0},
    {OBS_URL, "http://example.com:8080", "http://example.com:8080/", OBS_URL, 0},
    {OBS_URL, "http://example.com:/", "http://example.com/", OBS_URL, 0},
    {OBS_URL, "http://example.com:0080/", "http://example.com/", OBS_URL, 0},
    {OBS_URL, "http://example.com:08443/", "http://example.com:8443/", OBS_URL, 0},
    {OBS_URL, "http://example.com:65535/", "http://example.com:65535/", OBS_URL, 0},
    {OBS_URL, "http://example.com./", "http://example.com/", OBS_URL, 0},
    {OBS_URL, "http://1.2.3.4/x", "http://1.2.3.4/x", OBS_URL, 0},
    {OBS_URL, "http://1.2.3.4.:8080/x", "http://1.2.3.4:8080/x", OBS_URL, 0},
    {OBS_URL, "http://\xef\xbc\x91.2.3.4/", "http://1.2.3.4/", OBS_URL, 0}, /* fullwidth 1 */
    {OBS_URL, "http://1.2.3\xe3\x80\x82" "4/", "http://1.2.3.4/", OBS_URL, 0},  /* U+3002 */
    {OBS_URL, "http://a.b.c9/", "http://a.b.c9/", OBS_URL, 0},
    {OBS_URL, "http://m\xc3\xbcnchen.example/", "http://xn--mnchen-3ya.example/", OBS_URL, 0},
    {OBS_URL, "http://_srv.a.com/", "http://_srv.a.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/%7Euser/%41%2f%2F%3a", "http://a.com/~user/A%2F%2F%3A", OBS_URL, 0},
    {OBS_URL, "http://a.com/100%", "http://a.com/100%25", OBS_URL, 0},
    {OBS_URL, "http://a.com/%zz%4", "http://a.com/%25zz%254", OBS_URL, 0},
    {OBS_URL, "http://a.com/%", "http://a.com/%25", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/b/../../../c", "http://a.com/c", OBS_URL, 0},
    {OBS_URL, "http://a.com/..", "http://a.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/.", "http://a.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/..", "http://a.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/b/..", "http://a.com/a/", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/.", "http://a.com/a/", OBS_URL, 0},
    {OBS_URL, "http://a.com/./a", "http://a.com/a", OBS_URL, 0},
    {OBS_URL, "http://a.com/./", "http://a.com/", OBS_URL, 0},
    {OBS_URL, "http://a.com/a//b", "http://a.com/a//b", OBS_URL, 0},
    {OBS_URL, "http://a.com/a//../b", "http://a.com/a/b", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/b/c/./../../g", "http://a.com/a/g", OBS_URL, 0}, /* RFC 3986 */
    {OBS_URL, "http://a.com/mid/content=5/../6", "http://a.com/mid/6", OBS_URL, 0},
    {OBS_URL, "http://a.com/%2e%2E/x", "http://a.com/x", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/%2e/b", "http://a.com/a/b", OBS_URL, 0},
    {OBS_URL, "http://a.com/a/.b/..c/...", "http://a.com/a/.b/..c/...", OBS_URL, 0},
    {OBS_URL, "http://a.com/..?x", "http://a.com/?x", OBS_URL, 0},
    {OBS_URL, "http://a.com/\xc3\xbc", "http://a.com/%C3%BC", OBS_URL, 0},
    {OBS_URL, "http://a.com/%c3%bc", "http://a.com/%C3%BC", OBS_URL, 0},
    {OBS_URL, "http://a.com/a|b<c>\"{}^`\\", "http://a.com/a%7Cb%3Cc%3E%22%7B%7D%5E%60%5C", OBS_URL, 0},
    {OBS_URL, "http://a.com/?a=b&c=%2f..%2F/./", "http://a.com/?a=b&c=%2F..%2F/./", OBS_URL, 0},
    {OBS_URL, "http://a.com/x?q=?y&z=%41", "http://a.com/x?q=?y&z=A", OBS_URL, 0},
    {OBS_URL, "http://a.com/p?q=a[]=1", "http://a.com/p?q=a[]=1", OBS_URL, 0},
    {OBS_URL, "HTTP://A.COM/PATH", "http://a.com/PATH", OBS_URL, 0},
    {OBS_URL, "https://@a.com/", "https://a.com/", OBS_URL, 0},
    {OBS_URL, "https://u@ser@a.com/", "https://u@ser@a.com/", OBS_URL, 0},
    {OBS_URL, "https://User:P%41ss@a.com/", "https://User:P%41ss@a.com/", OBS_URL, 0},
    {OBS_URL, "svn+ssh://host.example/repo", "svn+ssh://host.example/repo", OBS_URL, 0},
    {OBS_URL, "http://a.com/x#\xc3\xbc", "http://a.com/x", OBS_URL, 0},

    /* e-mail */
    {OBS_EMAIL, "A@Example.COM", "a@example.com", OBS_EMAIL, 0},
    {OBS_EMAIL, "First.Last+tag@Sub.Example.org", "first.last+tag@sub.example.org", OBS_EMAIL, 0},
    {OBS_EMAIL, "o'neil@example.ie", "o'neil@example.ie", OBS_EMAIL, 0},
    {OBS_EMAIL, "user@m\xc3\xbcnchen.example", "user@xn--mnchen-3ya.example", OBS_EMAIL, 0},
    {OBS_EMAIL, "user@example.com.", "user@example.com", OBS_EMAIL, 0},
    {OBS_EMAIL, "x@com", "x@com", OBS_EMAIL, 0},
    {OBS_EMAIL, L64LOCAL "@example.com", L64LOCAL "@example.com", OBS_EMAIL, 0},
    {OBS_EMAIL, "!#$%&*+-/=?^_`{|}~.@example.com", "!#$%&*+-/=?^_`{|}~.@example.com", OBS_EMAIL, 0},

    /* hashes */
    {OBS_MD5, H32, "d41d8cd98f00b204e9800998ecf8427e", OBS_MD5, 0},
    {OBS_MD5, "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e", OBS_MD5, 0},
    {OBS_SHA1, H40, "da39a3ee5e6b4b0d3255bfef95601890afd80709", OBS_SHA1, 0},
    {OBS_SHA256, H64, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     OBS_SHA256, 0},
    {OBS_SHA512, H128,
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     OBS_SHA512, 0},

    /* wallets */
    {OBS_WALLET, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
     OBS_WALLET, 0},
    {OBS_WALLET, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", OBS_WALLET, 0},
    {OBS_WALLET, "0x52908400098527886E0F7030069857D2E4169EE7",
     "0x52908400098527886E0F7030069857D2E4169EE7", OBS_WALLET, 0},
    {OBS_WALLET, "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
     "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
     OBS_WALLET, 0},
    {OBS_WALLET, "aaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaa", OBS_WALLET, 0}, /* 25 */
    {OBS_WALLET, H128, H128, OBS_WALLET, 0},                                          /* 128 */
};

static void test_accepted(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const struct ok_case *c = &ok_cases[i];
        char out[OBS_MAX_LEN + 1], name[700];
        size_t out_len = 12345;
        int prefix = -7;
        enum obs_kind kind = OBS_N_KINDS;
        struct mz_error err = {MZ_OK, "", ""};
        int rc;

        snprintf(name, sizeof name, "%s '%s'", obs_kind_name(c->kind),
                 show(c->in, strlen(c->in)));
        rc = obs_normalize(c->kind, c->in, strlen(c->in), out, sizeof out, &out_len,
                           &prefix, &kind, &err);
        assert_case_str(name, rc == 0 ? out : err.msg, c->want);
        assert_case_int(name, out_len, strlen(c->want));
        assert_case_int(name, prefix, c->prefix);
        assert_case_str(name, obs_kind_name(kind), obs_kind_name(c->want_kind));
    }
}

/* Every canonical form is a fixed point: normalising it again changes nothing. */
static void test_idempotent(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const struct ok_case *c = &ok_cases[i];
        char out[OBS_MAX_LEN + 1], again[OBS_MAX_LEN + 1], name[700];
        size_t n1 = 0, n2 = 0;
        enum obs_kind k1 = OBS_N_KINDS, k2 = OBS_N_KINDS;
        int p1 = -1, p2 = -1;

        snprintf(name, sizeof name, "again %s '%s'", obs_kind_name(c->kind),
                 show(c->in, strlen(c->in)));
        assert_case_int(name, obs_normalize(c->kind, c->in, strlen(c->in), out, sizeof out,
                                            &n1, &p1, &k1, NULL), 0);
        assert_case_int(name, obs_normalize(k1, out, n1, again, sizeof again, &n2, &p2, &k2,
                                            NULL), 0);
        assert_case_str(name, again, out);
        assert_case_int(name, p2, p1);
        assert_case_int(name, k2, k1);
    }
}

/* ---- refused values ---- */

struct bad_case {
    enum obs_kind kind;
    const char *in;
    size_t len;      /* 0: strlen(in) */
    const char *msg; /* a piece of the error message, or "" */
};

static const struct bad_case bad_cases[] = {
    /* IPv4 */
    {OBS_IPV4, "", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.4.5", 0, "not an IPv4"},
    {OBS_IPV4, "256.1.1.1", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.256", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.2555", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.1000", 0, "not an IPv4"},
    {OBS_IPV4, "010.0.0.1", 0, "leading zeros"},
    {OBS_IPV4, "1.2.3.04", 0, "not an IPv4"},
    {OBS_IPV4, "00.1.2.3", 0, "not an IPv4"},
    {OBS_IPV4, "0x7f.0.0.1", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.a", 0, "not an IPv4"},
    {OBS_IPV4, "1..2.3", 0, "not an IPv4"},
    {OBS_IPV4, ".1.2.3", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.4.", 0, "not an IPv4"},
    {OBS_IPV4, " 1.2.3.4", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.4 ", 0, "not an IPv4"},
    {OBS_IPV4, "+1.2.3.4", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.-4", 0, "not an IPv4"},
    {OBS_IPV4, "2130706433", 0, "not an IPv4"},
    {OBS_IPV4, "::ffff:1.2.3.4", 0, "not an IPv4"},
    {OBS_IPV4, "\xef\xbc\x91.2.3.4", 0, "not an IPv4"},
    {OBS_IPV4, "1.2.3.4/", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/33", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/08", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/-1", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/ 8", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/32/1", 0, "prefix length"},
    {OBS_IPV4, "1.2.3.4/100", 0, "prefix length"},
    {OBS_IPV4, "10.0.0.1/8", 0, "the network is 10.0.0.0/8"},
    {OBS_IPV4, "1.2.3.4/0", 0, "the network is 0.0.0.0/0"},
    {OBS_IPV4, "10.0.0.129/25", 0, "the network is 10.0.0.128/25"},

    /* IPv6 */
    {OBS_IPV6, "", 0, "not an IPv6"},
    {OBS_IPV6, ":", 0, "not an IPv6"},
    {OBS_IPV6, ":::", 0, "not an IPv6"},
    {OBS_IPV6, "1::2::3", 0, "not an IPv6"},
    {OBS_IPV6, ":1::", 0, "not an IPv6"},
    {OBS_IPV6, ":1:2:3:4:5:6:7", 0, "not an IPv6"},
    {OBS_IPV6, "1:", 0, "not an IPv6"},
    {OBS_IPV6, "1:2:3:4:5:6:7:", 0, "not an IPv6"},
    {OBS_IPV6, "1:2:3:4:5:6:7:8:9", 0, "not an IPv6"},
    {OBS_IPV6, "1:2:3:4:5:6:7", 0, "not an IPv6"},
    {OBS_IPV6, "1:2:3:4:5:6:7:8::", 0, "not an IPv6"},
    {OBS_IPV6, "1::2:3:4:5:6:7:8", 0, "not an IPv6"},
    {OBS_IPV6, "12345::", 0, "not an IPv6"},
    {OBS_IPV6, "::g", 0, "not an IPv6"},
    {OBS_IPV6, "::1.2.3", 0, "not an IPv6"},
    {OBS_IPV6, "::1.2.3.256", 0, "not an IPv6"},
    {OBS_IPV6, "::01.2.3.4", 0, "not an IPv6"},
    {OBS_IPV6, "::1.2.3.4:5", 0, "not an IPv6"},
    {OBS_IPV6, "::1.2.3.4.5", 0, "not an IPv6"},
    {OBS_IPV6, "1:2:3:4:5:6:7:1.2.3.4", 0, "not an IPv6"},
    {OBS_IPV6, "1.2.3.4", 0, "not an IPv6"},
    {OBS_IPV6, "1.2.3.4::", 0, "not an IPv6"},
    {OBS_IPV6, "[::1]", 0, "not an IPv6"},
    {OBS_IPV6, " ::1", 0, "not an IPv6"},
    {OBS_IPV6, "::1 ", 0, "not an IPv6"},
    {OBS_IPV6, "::1/129", 0, "prefix length"},
    {OBS_IPV6, "::1/01", 0, "prefix length"},
    {OBS_IPV6, "::/", 0, "prefix length"},
    {OBS_IPV6, "::/1000", 0, "prefix length"},
    {OBS_IPV6, "fe80::1%eth0", 0, "zone"},
    {OBS_IPV6, "fe80::1%25eth0", 0, "zone"},
    {OBS_IPV6, "fe80::1%1/64", 0, "zone"},
    {OBS_IPV6, "2001:db8::1/64", 0, "the network is 2001:db8::/64"},
    {OBS_IPV6, "::1/0", 0, "the network is ::/0"},
    {OBS_IPV6, "::ffff:1.2.3.4/95", 0, "the network is ::fffe:0:0/95"},
    {OBS_IPV6, "::ffff:1.2.3.4/120", 0, "the network is ::ffff:102:300/120"},

    /* domains */
    {OBS_DOMAIN, "", 0, "empty domain"},
    {OBS_DOMAIN, ".", 0, "empty domain"},
    {OBS_DOMAIN, "..", 0, "empty label"},
    {OBS_DOMAIN, "a..b", 0, "empty label"},
    {OBS_DOMAIN, ".a", 0, "empty label"},
    {OBS_DOMAIN, "a.b..", 0, "empty label"},
    {OBS_DOMAIN, "-a.example", 0, "'-'"},
    {OBS_DOMAIN, "a-.example", 0, "'-'"},
    {OBS_DOMAIN, "a.example-", 0, "'-'"},
    {OBS_DOMAIN, "a" L63 ".example", 0, "longer than 63"},
    {OBS_DOMAIN, L63 "." L63 "." L63 "." "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz", 0,
     "longer than 253"},
    {OBS_DOMAIN, "a b.com", 0, "not allowed"},
    {OBS_DOMAIN, "a/b.com", 0, "not allowed"},
    {OBS_DOMAIN, "exa*mple.com", 0, "not allowed"},
    {OBS_DOMAIN, "a@b.com", 0, "not allowed"},
    {OBS_DOMAIN, "a:b.com", 0, "not allowed"},
    {OBS_DOMAIN, "http://a.com", 0, "not allowed"},
    {OBS_DOMAIN, "exa%6dple.com", 0, "not allowed"},
    {OBS_DOMAIN, "exam\0ple.com", 12, "not allowed"},
    {OBS_DOMAIN, "\xff.com", 0, "UTF-8"},
    {OBS_DOMAIN, "\xc3.com", 0, "UTF-8"},
    {OBS_DOMAIN, "\xc0\xaf.com", 0, "UTF-8"},
    {OBS_DOMAIN, "a\xed\xa0\x80.com", 0, "UTF-8"},          /* a surrogate */
    {OBS_DOMAIN, "a\xf4\x90\x80\x80.com", 0, "UTF-8"},      /* above U+10FFFF */
    {OBS_DOMAIN, "\xe4\xbe.com", 0, "UTF-8"},               /* cut short */
    {OBS_DOMAIN, "m\xc3\xbc\0.com", 6, "not allowed"},
    {OBS_DOMAIN, "m\xc3\xbc*.com", 0, "not allowed"},
    {OBS_DOMAIN, "\xcc\x88" "a.example", 0, "internationalised"}, /* leading combining mark */
    {OBS_DOMAIN, "-\xc3\xbc.example", 0, "internationalised"},
    {OBS_DOMAIN, "\xc3\xbc-.example", 0, "internationalised"},

    /* URLs */
    {OBS_URL, "", 0, "scheme"},
    {OBS_URL, "example.com", 0, "scheme://host"},
    {OBS_URL, "http:/example.com", 0, "scheme://host"},
    {OBS_URL, "http//a.com", 0, "scheme://host"},
    {OBS_URL, "http:", 0, "scheme://host"},
    {OBS_URL, "://a.com", 0, "scheme"},
    {OBS_URL, "1http://a.com", 0, "scheme"},
    {OBS_URL, "ht tp://a.com", 0, "scheme://host"},
    {OBS_URL, "http://", 0, "no host"},
    {OBS_URL, "http:///path", 0, "no host"},
    {OBS_URL, "http://:80/", 0, "no host"},
    {OBS_URL, "http://user@/", 0, "no host"},
    {OBS_URL, "http://a.com:99999/", 0, "above 65535"},
    {OBS_URL, "http://a.com:65536/", 0, "above 65535"},
    {OBS_URL, "http://a.com:8x/", 0, "not a number"},
    {OBS_URL, "http://a.com:-1/", 0, "not a number"},
    {OBS_URL, "http://a b.com/", 0, "not allowed"},
    {OBS_URL, "http://a.com/a b", 0, "space or control"},
    {OBS_URL, "http://a.com/\t", 0, "space or control"},
    {OBS_URL, "http://a.com/\x7f", 0, "space or control"},
    {OBS_URL, "http://a.com/?q=a b", 0, "space or control"},
    {OBS_URL, "http://a.com/x\r\n", 0, "space or control"},
    {OBS_URL, "http://a.com/\0", 14, "space or control"},
    {OBS_URL, "http://a.com/#a b", 0, "space or control"},
    {OBS_URL, "http://a.com/\xff", 0, "UTF-8"},
    {OBS_URL, "http://a.com/\xc3", 0, "UTF-8"},
    {OBS_URL, "http://a.com/?\xc0\x80", 0, "UTF-8"},
    {OBS_URL, "http://a.com/#\xfe", 0, "UTF-8"},
    {OBS_URL, "http://us\xffr@a.com/", 0, "UTF-8"},
    {OBS_URL, "http://user pw@a.com/", 0, "space or control"},
    {OBS_URL, "http://[::1/", 0, "no ']'"},
    {OBS_URL, "http://[fe80::1%25eth0]/", 0, "zone"},
    {OBS_URL, "http://[::1]x/", 0, "after ']'"},
    {OBS_URL, "http://[1.2.3.4]/", 0, "not an IPv6"},
    {OBS_URL, "http://[]/", 0, "not an IPv6"},
    {OBS_URL, "http://1.2.3/", 0, "numeric URL host"},
    {OBS_URL, "http://010.0.0.1/", 0, "numeric URL host"},
    {OBS_URL, "http://1.2.3.4.5/", 0, "numeric URL host"},
    {OBS_URL, "http://256.0.0.1/", 0, "numeric URL host"},
    {OBS_URL, "http://2130706433/", 0, "numeric URL host"},
    {OBS_URL, "http://1.2.3.4\xe3\x80\x82" "9/", 0, "numeric URL host"},
    {OBS_URL, "http://a.1/", 0, "numeric URL host"},
    {OBS_URL, "http://-a.com/", 0, "'-'"},
    {OBS_URL, "http://a..com/", 0, "empty label"},
    {OBS_URL, "http://exa%6Dple.com/", 0, "not allowed"},
    {OBS_URL, "http://a.com\\x/", 0, "not allowed"},

    /* e-mail */
    {OBS_EMAIL, "", 0, "no '@'"},
    {OBS_EMAIL, "user", 0, "no '@'"},
    {OBS_EMAIL, "@example.com", 0, "1-64"},
    {OBS_EMAIL, L64LOCAL "x@example.com", 0, "1-64"},
    {OBS_EMAIL, "user@", 0, "empty domain"},
    {OBS_EMAIL, "a@b@c.com", 0, "more than one '@'"},
    {OBS_EMAIL, "a b@c.com", 0, "local part"},
    {OBS_EMAIL, "\"a\"@c.com", 0, "local part"},
    {OBS_EMAIL, "<a@c.com>", 0, "local part"},
    {OBS_EMAIL, "a@c.com>", 0, "not allowed"},
    {OBS_EMAIL, "\xc3\xbc@example.com", 0, "local part"},
    {OBS_EMAIL, "a\0@example.com", 14, "local part"},
    {OBS_EMAIL, "a@-x.com", 0, "'-'"},
    {OBS_EMAIL, "a@exa mple.com", 0, "not allowed"},
    {OBS_EMAIL, "a@[1.2.3.4]", 0, "not allowed"},

    /* hashes */
    {OBS_MD5, "", 0, "exactly 32"},
    {OBS_MD5, "d41d8cd98f00b204e9800998ecf8427", 0, "exactly 32"},
    {OBS_MD5, "d41d8cd98f00b204e9800998ecf8427e0", 0, "exactly 32"},
    {OBS_MD5, "g41d8cd98f00b204e9800998ecf8427e", 0, "not a hex digit"},
    {OBS_MD5, "d41d8cd98f00b204 9800998ecf8427e", 0, "not a hex digit"},
    {OBS_MD5, "0xd41d8cd98f00b204e9800998ecf842", 0, "not a hex digit"},
    {OBS_SHA1, H32, 0, "exactly 40"},
    {OBS_SHA1, H64, 0, "exactly 40"},
    {OBS_SHA256, H40, 0, "exactly 64"},
    {OBS_SHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B85Z", 0,
     "not a hex digit"},
    {OBS_SHA512, H64 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B85", 0,
     "exactly 128"},
    {OBS_SHA512, H64, 0, "exactly 128"},

    /* wallets */
    {OBS_WALLET, "", 0, "25-128"},
    {OBS_WALLET, "aaaaaaaaaaaaaaaaaaaaaaaa", 0, "25-128"}, /* 24 */
    {OBS_WALLET, H128 "a", 0, "25-128"},
    {OBS_WALLET, "bc1q-ar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 0, "letters and digits"},
    {OBS_WALLET, "0x52908400098527886E0F7030069857D2E4169EE7!", 0, "letters and digits"},
    {OBS_WALLET, "1BoatSLRHtKNngkdXEeobR76b53LETtpy ", 0, "letters and digits"},
    {OBS_WALLET, "1BoatSLRHtKNngkdXEeobR76b53LETt\xc3\xbc", 0, "letters and digits"},
};

static void test_refused(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char out[OBS_MAX_LEN + 1], name[700];
        struct mz_error err = {MZ_OK, "", ""};
        int rc;

        snprintf(name, sizeof name, "%s '%s'", obs_kind_name(c->kind), show(c->in, len));
        memset(out, 'x', sizeof out);
        rc = obs_normalize(c->kind, c->in, len, out, sizeof out, NULL, NULL, NULL, &err);
        assert_case_int(name, rc, -1);
        assert_case_str(name, out, "");
        assert_case_str(name, mz_err_name(err.code), "invalid");
        assert_case_str(name, strstr(err.msg, c->msg) ? c->msg : err.msg, c->msg);
        /* without an error record too */
        assert_case_int(name, obs_normalize(c->kind, c->in, len, out, sizeof out, NULL, NULL,
                                            NULL, NULL), -1);
    }
}

/* The same garbage for every kind: all refused, and nothing guessed. */
static void test_garbage_all_kinds(void **state)
{
    static const struct {
        const char *s;
        size_t len;
    } junk[] = {
        {"", 0},
        {"\0", 1},
        {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32},
        {"\xff\xfe\xfd\xfc", 4},
        {"\x80\x81.\x82\x83", 5},
        {"\xc3\x28.com", 6},
        {"\xed\xbf\xbf.example", 11},
        {"\x1b[31mred\x1b[0m", 13},
        {"1.2.3.4\0", 8},
        {"::1\n", 4},
        {"\t", 1},
        {" ", 1},
        {"....", 4},
        {"%%%%", 4},
        {"\xf0\x9f\x92", 3},
    };
    size_t i;
    int k;

    (void)state;
    for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        for (k = 0; k < OBS_N_KINDS; k++) {
            char out[64], name[200];
            struct mz_error err = {MZ_OK, "", ""};

            snprintf(name, sizeof name, "%s '%s'", obs_kind_name((enum obs_kind)k),
                     show(junk[i].s, junk[i].len));
            assert_case_int(name, obs_normalize((enum obs_kind)k, junk[i].s, junk[i].len, out,
                                                sizeof out, NULL, NULL, NULL, &err),
                            -1);
            assert_case_str(name, mz_err_name(err.code), "invalid");
        }
        assert_case_int(show(junk[i].s, junk[i].len), obs_guess_kind(junk[i].s, junk[i].len), -1);
    }
}

/* Input longer than OBS_MAX_LEN is refused before it is read; output that would
 * grow past it is refused too. */
static void test_too_long(void **state)
{
    size_t big = 1u << 20, i;
    char *s = malloc(big);
    char out[OBS_MAX_LEN + 1];
    struct mz_error err;
    int k;

    (void)state;
    assert_non_null(s);
    memset(s, 'a', big);
    memcpy(s, "http://a.com/", 13);
    for (k = 0; k < OBS_N_KINDS; k++) {
        mz_error_clear(&err);
        assert_case_int(obs_kind_name((enum obs_kind)k),
                        obs_normalize((enum obs_kind)k, s, big, out, sizeof out, NULL, NULL,
                                      NULL, &err),
                        -1);
        assert_case_str(obs_kind_name((enum obs_kind)k), mz_err_name(err.code), "too_big");
    }
    assert_int_equal(obs_guess_kind(s, big), -1);
    assert_int_equal(obs_ipv4_parse(s, big, NULL, NULL), -1);
    assert_int_equal(obs_ipv6_parse(s, big, NULL, NULL), -1);

    /* exactly OBS_MAX_LEN is fine; one more is not */
    assert_int_equal(obs_normalize(OBS_URL, s, OBS_MAX_LEN, out, sizeof out, NULL, NULL, NULL,
                                   &err), 0);
    assert_int_equal(strlen(out), OBS_MAX_LEN);
    assert_int_equal(obs_normalize(OBS_URL, s, OBS_MAX_LEN + 1, out, sizeof out, NULL, NULL,
                                   NULL, &err), -1);
    assert_string_equal(mz_err_name(err.code), "too_big");

    /* 700 bytes of "\xc3\xbc" grow to 2100 bytes of "%C3%BC" */
    for (i = 13; i + 2 <= 13 + 1400; i += 2)
        memcpy(s + i, "\xc3\xbc", 2);
    mz_error_clear(&err);
    assert_int_equal(obs_normalize(OBS_URL, s, 13 + 1400, out, sizeof out, NULL, NULL, NULL,
                                   &err), -1);
    assert_string_equal(mz_err_name(err.code), "too_big");
    assert_non_null(strstr(err.msg, "longer than 2048"));
    assert_string_equal(out, "");
    free(s);
}

static void test_small_output_buffer(void **state)
{
    char out[16];
    size_t n = 99;
    struct mz_error err;

    (void)state;
    mz_error_clear(&err);
    assert_int_equal(obs_normalize(OBS_DOMAIN, "Example.COM", 11, out, 12, &n, NULL, NULL,
                                   &err), 0);
    assert_string_equal(out, "example.com");
    assert_int_equal(n, 11);
    n = 99;
    assert_int_equal(obs_normalize(OBS_DOMAIN, "Example.COM", 11, out, 11, &n, NULL, NULL,
                                   &err), -1);
    assert_string_equal(mz_err_name(err.code), "too_big");
    assert_non_null(strstr(err.msg, "buffer too small"));
    assert_string_equal(out, "");
    assert_int_equal(n, 99);
    assert_int_equal(obs_normalize(OBS_IPV6, "2001:db8::1/64", 14, out, 5, NULL, NULL, NULL,
                                   &err), -1);
    assert_int_equal(obs_normalize(OBS_URL, "http://a.com/", 13, out, 13, NULL, NULL, NULL,
                                   &err), -1);
    assert_int_equal(obs_normalize(OBS_URL, "http://a.com/", 13, out, 14, NULL, NULL, NULL,
                                   &err), 0);
    assert_int_equal(obs_normalize(OBS_IPV4, "1.2.3.4", 7, out, 0, NULL, NULL, NULL, &err), -1);
    assert_int_equal(obs_normalize(OBS_IPV4, "1.2.3.4", 7, NULL, 16, NULL, NULL, NULL, &err), -1);
    assert_int_equal(obs_normalize(OBS_IPV4, NULL, 0, out, sizeof out, NULL, NULL, NULL, &err), -1);
    assert_int_equal(obs_normalize(OBS_N_KINDS, "1.2.3.4", 7, out, sizeof out, NULL, NULL, NULL,
                                   &err), -1);
    assert_int_equal(obs_normalize((enum obs_kind)-1, "1.2.3.4", 7, out, sizeof out, NULL, NULL,
                                   NULL, &err), -1);
}

/* Out-parameters are written only on success; the input need not be NUL-terminated. */
static void test_outputs_and_lengths(void **state)
{
    char out[64];
    size_t n = 77;
    int prefix = -7;
    enum obs_kind kind = OBS_WALLET;

    (void)state;
    assert_int_equal(obs_normalize(OBS_IPV4, "10.0.0.1/8", 10, out, sizeof out, &n, &prefix,
                                   &kind, NULL), -1);
    assert_int_equal(n, 77);
    assert_int_equal(prefix, -7);
    assert_int_equal(kind, OBS_WALLET);

    assert_int_equal(obs_normalize(OBS_IPV4, "1.2.3.4xyz", 7, out, sizeof out, &n, &prefix,
                                   &kind, NULL), 0);
    assert_string_equal(out, "1.2.3.4");
    assert_int_equal(n, 7);
    assert_int_equal(prefix, 32);
    assert_int_equal(kind, OBS_IPV4);

    assert_int_equal(obs_normalize(OBS_DOMAIN, "Example.COMGARBAGE", 11, out, sizeof out, &n,
                                   &prefix, &kind, NULL), 0);
    assert_string_equal(out, "example.com");
    assert_int_equal(prefix, 0);
    assert_int_equal(kind, OBS_DOMAIN);

    assert_int_equal(obs_normalize(OBS_IPV6, "::1/128::", 7, out, sizeof out, NULL, NULL, NULL,
                                   NULL), 0);
    assert_string_equal(out, "::1");
}

/* ---- binary forms ---- */

static void test_ipv4_parse(void **state)
{
    static const struct {
        const char *in;
        int rc;
        uint32_t addr;
        int prefix;
    } cases[] = {
        {"1.2.3.4", 0, 0x01020304u, 32},
        {"255.255.255.255", 0, 0xFFFFFFFFu, 32},
        {"0.0.0.0/0", 0, 0, 0},
        {"10.0.0.0/8", 0, 0x0A000000u, 8},
        {"192.0.2.128/25", 0, 0xC0000280u, 25},
        {"1.2.3.4/32", 0, 0x01020304u, 32},
        {"10.0.0.1/8", -1, 0, 0},
        {"1.2.3", -1, 0, 0},
        {"01.2.3.4", -1, 0, 0},
        {"1.2.3.4/33", -1, 0, 0},
        {"", -1, 0, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t a = 0xDEADBEEFu;
        int p = -7;
        int rc = obs_ipv4_parse(cases[i].in, strlen(cases[i].in), &a, &p);

        assert_case_int(cases[i].in, rc, cases[i].rc);
        assert_case_int(cases[i].in, a, rc == 0 ? cases[i].addr : 0xDEADBEEFu);
        assert_case_int(cases[i].in, p, rc == 0 ? cases[i].prefix : -7);
    }
    assert_int_equal(obs_ipv4_parse(NULL, 0, NULL, NULL), -1);
    assert_int_equal(obs_ipv4_parse("1.2.3.4", 7, NULL, NULL), 0);
}

static void test_ipv6_parse(void **state)
{
    static const struct {
        const char *in;
        int rc;
        uint8_t addr[16];
        int prefix;
    } cases[] = {
        {"::", 0, {0}, 128},
        {"::1", 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
        {"2001:db8::/32", 0, {0x20, 0x01, 0x0d, 0xb8}, 32},
        {"::ffff:1.2.3.4", 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}, 128},
        {"1:2:3:4:5:6:7:8", 0, {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}, 128},
        {"fe80::1:2/128", 0, {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2}, 128},
        {"::/0", 0, {0}, 0},
        {"2001:db8::1/64", -1, {0}, 0},
        {"fe80::1%eth0", -1, {0}, 0},
        {"1::2::3", -1, {0}, 0},
        {"1.2.3.4", -1, {0}, 0},
    };
    uint8_t untouched[16];
    size_t i;

    (void)state;
    memset(untouched, 0xAA, sizeof untouched);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t a[16];
        int p = -7;
        int rc;

        memset(a, 0xAA, sizeof a);
        rc = obs_ipv6_parse(cases[i].in, strlen(cases[i].in), a, &p);
        assert_case_int(cases[i].in, rc, cases[i].rc);
        assert_memory_equal(a, cases[i].rc == 0 ? cases[i].addr : untouched, 16);
        assert_case_int(cases[i].in, p, rc == 0 ? cases[i].prefix : -7);
    }
    assert_int_equal(obs_ipv6_parse(NULL, 0, NULL, NULL), -1);
    assert_int_equal(obs_ipv6_parse("::1", 3, NULL, NULL), 0);
}

/* ---- kinds, paths, guesses, parents ---- */

static void test_kind_names(void **state)
{
    static const char *const names[OBS_N_KINDS] = {
        "ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "wallet",
    };
    int k;

    (void)state;
    for (k = 0; k < OBS_N_KINDS; k++) {
        assert_string_equal(obs_kind_name((enum obs_kind)k), names[k]);
        assert_int_equal(obs_kind_parse(names[k]), k);
    }
    assert_string_equal(obs_kind_name(OBS_N_KINDS), "unknown");
    assert_int_equal(obs_kind_parse("IPV4"), -1);
    assert_int_equal(obs_kind_parse("ipv"), -1);
    assert_int_equal(obs_kind_parse("ipv44"), -1);
    assert_int_equal(obs_kind_parse(""), -1);
    assert_int_equal(obs_kind_parse("unknown"), -1);
    assert_int_equal(obs_kind_parse(NULL), -1);
}

static void test_kind_of_path(void **state)
{
    static const struct {
        const char *type;
        const char *path;
        int want;
    } cases[] = {
        {"ipv4-addr", "value", OBS_IPV4},
        {"ipv6-addr", "value", OBS_IPV6},
        {"domain-name", "value", OBS_DOMAIN},
        {"url", "value", OBS_URL},
        {"email-addr", "value", OBS_EMAIL},
        {"cryptocurrency-wallet", "value", OBS_WALLET},
        {"x-cryptocurrency-wallet", "value", OBS_WALLET},
        {"file", "hashes.MD5", OBS_MD5},
        {"file", "hashes.md5", OBS_MD5},
        {"file", "hashes.'MD5'", OBS_MD5},
        {"file", "hashes.SHA-1", OBS_SHA1},
        {"file", "hashes.SHA1", OBS_SHA1},
        {"file", "hashes.'SHA-1'", OBS_SHA1},
        {"file", "hashes.SHA-256", OBS_SHA256},
        {"file", "hashes.SHA256", OBS_SHA256},
        {"file", "hashes.sha256", OBS_SHA256},
        {"file", "hashes.sha-256", OBS_SHA256},
        {"file", "hashes.'SHA-256'", OBS_SHA256},
        {"file", "hashes.SHA-512", OBS_SHA512},
        {"file", "hashes.Sha512", OBS_SHA512},
        {"file", "hashes.SHA-3", -1},
        {"file", "hashes.SHA3-256", -1},
        {"file", "hashes.SHA_256", -1},
        {"file", "hashes.SHA-2560", -1},
        {"file", "hashes.SHA-25", -1},
        {"file", "hashes.SSDEEP", -1},
        {"file", "hashes.", -1},
        {"file", "hashes.''", -1},
        {"file", "hashes.'", -1},
        {"file", "hashes", -1},
        {"file", "name", -1},
        {"file", "value", -1},
        {"ipv4-addr", "resolves_to_refs", -1},
        {"ipv4-addr", "Value", -1},
        {"IPV4-ADDR", "value", -1},
        {"network-traffic", "value", -1},
        {"email-message", "value", -1},
        {"x509-certificate", "hashes.MD5", -1},
        {"", "", -1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[200];

        snprintf(name, sizeof name, "%s:%s", cases[i].type, cases[i].path);
        assert_case_int(name, obs_kind_of_path(cases[i].type, cases[i].path), cases[i].want);
    }
    assert_int_equal(obs_kind_of_path(NULL, "value"), -1);
    assert_int_equal(obs_kind_of_path("url", NULL), -1);
}

static void test_guess_kind(void **state)
{
    static const struct {
        const char *in;
        int want;
    } cases[] = {
        {"1.2.3.4", OBS_IPV4},
        {"10.0.0.0/8", OBS_IPV4},
        {"::1", OBS_IPV6},
        {"2001:DB8::1", OBS_IPV6},
        {"2001:db8::/32", OBS_IPV6},
        {"::ffff:1.2.3.4", OBS_IPV6},
        {"http://a.com", OBS_URL},
        {"hxxp://a.com/x", OBS_URL},
        {"https://user@a.com:8443/", OBS_URL},
        {"a@b.com", OBS_EMAIL},
        {"First.Last@Example.ORG", OBS_EMAIL},
        {H32, OBS_MD5},
        {"d41d8cd98f00b204e9800998ecf8427e", OBS_MD5},
        {"12345678901234567890123456789012", OBS_MD5},
        {H40, OBS_SHA1},
        {H64, OBS_SHA256},
        {H128, OBS_SHA512},
        {"example.com", OBS_DOMAIN},
        {"EXAMPLE.COM.", OBS_DOMAIN},
        {"a.b.c.xn--p1ai", OBS_DOMAIN},
        {"_dmarc.example.org", OBS_DOMAIN},
        {"m\xc3\xbcnchen.example", OBS_DOMAIN},
        {"\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", OBS_DOMAIN},
        {"a@b", -1},
        {"@b.com", -1},
        {"a@b@c.com", -1},
        {"a@b.", OBS_EMAIL},
        {"d41d8cd98f00b204e9800998ecf8427", -1},
        {"deadbeef", -1},
        {"example", -1},
        {"example.", -1},
        {".", -1},
        {"..", -1},
        {"1.2.3.4.5", -1},
        {"1.2.3", -1},
        {"256.1.1.1", -1},
        {"10.0.0.1/8", -1},
        {"foo.123", -1},
        {"foo.c0m", -1},
        {"foo.", -1},
        {"a b.com", -1},
        {"a/b.com", -1},
        {"aa:bb:cc:dd:ee:ff", -1},
        {"12:30:45", -1},
        {"C:\\Windows", -1},
        {"fe80::1%eth0", -1},
        {"1BoatSLRHtKNngkdXEeobR76b53LETtpyT", -1},
        {"12345", -1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_case_int(show(cases[i].in, strlen(cases[i].in)),
                        obs_guess_kind(cases[i].in, strlen(cases[i].in)), cases[i].want);
    assert_int_equal(obs_guess_kind(NULL, 0), -1);
    assert_int_equal(obs_guess_kind("", 0), -1);
    assert_int_equal(obs_guess_kind("1.2.3.4.5", 7), OBS_IPV4); /* only len bytes count */
}

static void test_domain_parents(void **state)
{
    static const struct {
        const char *domain;
        const char *want; /* the parents, joined with '|' */
    } cases[] = {
        {"a.b.evil.example", "b.evil.example|evil.example|example"},
        {"evil.example", "example"},
        {"x.y", "y"},
        {"example", ""},
        {"", ""},
        {"xn--mnchen-3ya.example", "example"},
        {"_dmarc.mail.example.org", "mail.example.org|example.org|org"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *d = cases[i].domain;
        size_t len = strlen(d), pos = 0, n = 0, steps = 0;
        char got[256] = "";

        while (obs_domain_next_parent(d, len, &pos) && steps++ < 10)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%.*s", n ? "|" : "",
                                  (int)(len - pos), d + pos);
        assert_case_str(d, got, cases[i].want);
    }
    {
        size_t pos = 0;

        assert_int_equal(obs_domain_next_parent(NULL, 0, &pos), 0);
        assert_int_equal(obs_domain_next_parent("a.b", 3, NULL), 0);
        pos = 2;
        assert_int_equal(obs_domain_next_parent("a.b", 3, &pos), 0);
        assert_int_equal(pos, 2);
        pos = 0;
        assert_int_equal(obs_domain_next_parent("a.b.", 4, &pos), 1); /* not canonical */
        assert_int_equal(pos, 2);
        assert_int_equal(obs_domain_next_parent("a.b.", 4, &pos), 0);
    }
}

/* Public suffixes (libpsl's list, private section included) and single labels are;
 * a registrable name or anything below one is not. */
static void test_public_suffix(void **state)
{
    static const struct {
        const char *domain;
        int want;
    } cases[] = {
        {"com", 1}, {"co.uk", 1}, {"uk", 1}, {"github.io", 1}, {"blogspot.com", 1},
        {"xn--p1ai", 1}, {"corp", 1}, {"internal", 1},
        {"example.com", 0}, {"evil-corp.com", 0}, {"me.github.io", 0}, {"bbc.co.uk", 0},
        {"a.b.evil.example", 0}, {"", 0},
    };
    char long_name[300];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (obs_public_suffix(cases[i].domain, strlen(cases[i].domain)) != cases[i].want)
            fail_msg("%s: want %d", cases[i].domain, cases[i].want);
    /* the length is the caller's: "co.uk" within "co.ukx" */
    assert_int_equal(obs_public_suffix("co.ukx", 5), 1);
    memset(long_name, 'a', sizeof long_name);
    long_name[10] = '.';
    assert_int_equal(obs_public_suffix(long_name, sizeof long_name), 0); /* longer than a domain */
}

/* A parent met above a value is wide when it is a public suffix, a special-use name
 * or shorter than the value's registrable domain (the third re-attack's N2). */
static void test_wide_parent(void **state)
{
    static const struct {
        const char *parent, *value;
        int want;
    } cases[] = {
        {"com", "a.evil-corp.com", 1},
        {"evil-corp.com", "a.evil-corp.com", 0},
        {"amazonaws.com", "my-bucket.s3.amazonaws.com", 1}, /* s3.amazonaws.com: a suffix */
        {"my-bucket.s3.amazonaws.com", "x.my-bucket.s3.amazonaws.com", 0},
        {"amazonaws.com", "s3.amazonaws.com", 1},           /* the value is a suffix */
        {"home.arpa", "printer.home.arpa", 1},
        {"nas.home.arpa", "x.nas.home.arpa", 0},
        {"arpa", "x.home.arpa", 1},
        {"10.in-addr.arpa", "4.3.2.10.in-addr.arpa", 1},
        {"corp.internal", "a.corp.internal", 0},
        {"internal", "a.corp.internal", 1},
        {"victim.example", "a.victim.example", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (obs_wide_parent(cases[i].parent, strlen(cases[i].parent), cases[i].value, strlen(cases[i].value)) !=
            cases[i].want)
            fail_msg("%s above %s: want %d", cases[i].parent, cases[i].value, cases[i].want);
}

/* A dotted quad read plainly, octet by octet: the reference for obs_ipv4_quad(). */
static int ref_quad(const char *s, size_t n, uint32_t *out)
{
    uint32_t a = 0;
    size_t i = 0;

    for (int o = 0; o < 4; o++) {
        size_t start = i;
        unsigned v = 0;
        if (o > 0) {
            if (i >= n || s[i] != '.')
                return 0;
            start = ++i;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 4)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || i - start > 3 || v > 255 || (i - start > 1 && s[start] == '0'))
            return 0;
        a = a << 8 | v;
    }
    if (i != n)
        return 0;
    *out = a;
    return 1;
}

/* obs_ipv4_quad() (the prefilter's entry, and the core of obs_ipv4_parse()) must agree
 * with the plain reference above and with obs_ipv4_parse() on every string of digits
 * and dots (and a few other bytes), here 400 000 random ones of length 0-18 plus the
 * edge cases. */
static void check_quad(const char *s, size_t n)
{
    uint32_t a = 0, b = 0, c = 0;
    int prefix = 0;
    int want = ref_quad(s, n, &a);
    int got = obs_ipv4_quad(s, n, &b);
    int parsed = obs_ipv4_parse(s, n, &c, &prefix) == 0 && prefix == 32 && !memchr(s, '/', n);

    if (want != got || (want && a != b))
        fail_msg("'%.*s': quad %d (%08x), reference %d (%08x)", (int)n, s, got, b, want, a);
    if (parsed != want || (want && c != a))
        fail_msg("'%.*s': parse %d, reference %d", (int)n, s, parsed, want);
}

static void test_ipv4_quad_agrees(void **state)
{
    static const char alphabet[] = "0123456789....1259/x:\xff ";
    static const char *const edge[] = {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.04", "01.2.3.4",
                                       "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.4.", "1.2.3.4.5", "1.2.3",
                                       "1.2.3.4/32", "999.1.1.1", "1.2.3.255", "1.2.3.2550", "100.200.250.199",
                                       "1.2.3.4", "10.0.0.1", "0.0.0.00", "1.1.1.1000", "1234.1.1.1",
                                       "192.168.100.200", "9.99.199.255", "1.2.3.256", "1.2.3.4 ", "1.2.3.a"};
    uint64_t x = 12345;

    (void)state;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_quad(edge[i], strlen(edge[i]));
    for (int i = 0; i < 400000; i++) {
        char s[20];
        size_t n;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        n = (size_t)(x >> 59) % 19;
        for (size_t j = 0; j < n; j++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly digits and dots in address-like shapes, sometimes anything */
            s[j] = (x >> 20) % 16 ? alphabet[(x >> 33) % (sizeof alphabet - 1)] : (char)(x >> 40);
        }
        s[n] = '\0';
        check_quad(s, n);
    }
    /* every octet length and value at each position */
    for (unsigned v = 0; v < 1100; v += 7) {
        char s[32];
        int len = snprintf(s, sizeof s, "%u.%u.%u.%u", v % 300, (v * 3) % 260, v / 5, 255 - v % 256);
        check_quad(s, (size_t)len);
        len = snprintf(s, sizeof s, "%u.0%u.1.1", v % 10, v % 10);
        check_quad(s, (size_t)len);
    }
}


static int hash_len_pick(uint64_t r)
{
    static const int lens[] = {32, 40, 64, 128, 31, 65};
    return lens[r % 6];
}

/* The matcher's shortcuts must never say what the full path would not:
 * obs_canonical_kind(s) = k means obs_guess_kind(s) is k and obs_normalize(k, s) gives
 * s back unchanged (so the shortcut may skip both), and obs_unguessable(s) means that
 * obs_guess_kind(s) finds nothing or obs_normalize() refuses s as what it guessed (so
 * skipping s loses no match). 600 000 random values of log-like bytes, with hash
 * lengths of hex and dotted shapes made likely, and a table of edge cases. */
static void check_shortcuts(const char *s, size_t n)
{
    char out[OBS_MAX_LEN + 1];
    size_t out_len = 0;
    enum obs_kind k = OBS_DOMAIN, real = OBS_DOMAIN;
    int guess = obs_guess_kind(s, n);

    if (obs_canonical_kind(s, n, &k)) {
        if (guess != (int)k)
            fail_msg("'%.*s': canonical as %s, guessed as %d", (int)n, s, obs_kind_name(k), guess);
        if (obs_normalize(k, s, n, out, sizeof out, &out_len, NULL, &real, NULL) != 0)
            fail_msg("'%.*s': canonical as %s, refused by obs_normalize", (int)n, s, obs_kind_name(k));
        if (out_len != n || memcmp(out, s, n) || real != k)
            fail_msg("'%.*s': canonical as %s, normalised to '%.*s' (%s)", (int)n, s, obs_kind_name(k),
                     (int)out_len, out, obs_kind_name(real));
    }
    if (obs_unguessable(s, n) && guess >= 0 &&
        obs_normalize((enum obs_kind)guess, s, n, out, sizeof out, &out_len, NULL, &real, NULL) == 0)
        fail_msg("'%.*s': unguessable, yet a %s ('%.*s')", (int)n, s, obs_kind_name(real), (int)out_len, out);
}

static void test_shortcuts_agree(void **state)
{
    static const char alphabet[] = "abcdefghxyz0123456789....--_:/@ABCFZ";
    static const char *const edge[] = {
        "evil.example", "a.b", "ab.cd", "a-.b", "-a.bc", "a..bc", "a.bc-", "xn--bcher-kva.example", "_dmarc.ex.ample",
        "1.2.3.4", "01.2.3.4", "1.2.3.4.5", "1.2.3.ab", "255.255.255.255", "256.1.1.1",
        "d41d8cd98f00b204e9800998ecf8427e", "D41D8CD98F00B204E9800998ECF8427E", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "::1", "fe80::1", "2001:db8::", "1:2", "GET", "2024-01-01T00:00:00Z", "12:30:45", "user@evil.example",
        "http://evil.example/x", "a.b.c.d.e.f.g.h", "com", "e.x", "\xc3\xa9.example", "caf\xc3\xa9.example"};
    uint64_t x = 777;

    (void)state;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_shortcuts(edge[i], strlen(edge[i]));
    for (int i = 0; i < 600000; i++) {
        char s[160];
        size_t n;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        switch ((x >> 61) & 3) {
        case 0: /* a hash length */
            n = (size_t)hash_len_pick(x >> 40);
            break;
        default:
            n = (size_t)(x >> 33) % 70;
        }
        for (size_t j = 0; j < n; j++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if ((x >> 58) == 0)
                s[j] = (char)(0x80 | ((x >> 20) & 0x7F)); /* now and then a high byte */
            else if ((x >> 61) == 7)
                s[j] = "0123456789abcdef"[(x >> 30) & 15];
            else
                s[j] = alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        s[n] = '\0';
        check_shortcuts(s, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_garbage_all_kinds),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_small_output_buffer),
        cmocka_unit_test(test_outputs_and_lengths),
        cmocka_unit_test(test_ipv4_parse),
        cmocka_unit_test(test_ipv6_parse),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_kind_of_path),
        cmocka_unit_test(test_guess_kind),
        cmocka_unit_test(test_domain_parents),
        cmocka_unit_test(test_public_suffix),
        cmocka_unit_test(test_wide_parent),
        cmocka_unit_test(test_ipv4_quad_agrees),
        cmocka_unit_test(test_shortcuts_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
