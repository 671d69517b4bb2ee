/* tests/unit/obs/test_ip.c - unit tests of obs/ip.c, the one reading of IPv4/IPv6
 * addresses and CIDR ranges that the index, the pattern evaluator, the log scanners
 * and the prefilter share.
 * Covers: ip_net_parse() as a table of accepted texts (family, bytes, prefix, whether
 * a prefix was written; IPv4-mapped IPv6 read as IPv4; host bits kept) and refused
 * ones (with the reason: not an address, or a bad prefix); ip_v4_net()/ip_v6_net()
 * keep to their family; ip_net_within() and ip_net_clear_host() as tables; the
 * canonical text (RFC 5952 ties, single zero groups, prefixes, the longest texts fit
 * IP_V4_TEXT_MAX/IP_V6_TEXT_MAX); and agreement with glibc's inet_pton() (which has
 * the same strict grammar: no leading zeros, no short IPv4 forms) on 300 000 random
 * address-like strings and the edge cases, for both families. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "obs/ip.h"

struct net_case {
    const char *in;
    enum ip_err rc;
    int family;
    uint8_t addr[16];
    int prefix;
    int has_prefix;
};

static void test_net_parse(void **state)
{
    static const struct net_case cases[] = {
        {"1.2.3.4", IP_OK, 4, {1, 2, 3, 4}, 32, 0},
        {"0.0.0.0/0", IP_OK, 4, {0}, 0, 1},
        {"10.0.0.1/8", IP_OK, 4, {10, 0, 0, 1}, 8, 1}, /* host bits kept */
        {"255.255.255.255/32", IP_OK, 4, {255, 255, 255, 255}, 32, 1},
        {"::", IP_OK, 6, {0}, 128, 0},
        {"::1", IP_OK, 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, 0},
        {"2001:DB8::/32", IP_OK, 6, {0x20, 0x01, 0x0d, 0xb8}, 32, 1},
        {"1:2:3:4:5:6:7:8", IP_OK, 6, {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}, 128, 0},
        {"1::", IP_OK, 6, {0, 1}, 128, 0},
        {"::2:3:4:5:6:7:8", IP_OK, 6, {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}, 128, 0},
        {"64:ff9b::1.2.3.4", IP_OK, 6, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 128, 0},
        {"::ffff:1.2.3.4", IP_OK, 4, {1, 2, 3, 4}, 32, 0},        /* mapped: IPv4 */
        {"::FFFF:0a00:0/104", IP_OK, 4, {10, 0, 0, 0}, 8, 1},     /* a mapped range */
        {"::ffff:0:0/95", IP_OK, 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 95, 1}, /* wider */
        {"1.2.3.4/33", IP_EPREFIX, 0, {0}, 0, 0},
        {"1.2.3.4/", IP_EPREFIX, 0, {0}, 0, 0},
        {"1.2.3.4/08", IP_EPREFIX, 0, {0}, 0, 0},
        {"1.2.3.4/1a", IP_EPREFIX, 0, {0}, 0, 0},
        {"::/129", IP_EPREFIX, 0, {0}, 0, 0},
        {"::/0128", IP_EPREFIX, 0, {0}, 0, 0},
        {"", IP_EADDR, 0, {0}, 0, 0},
        {"/8", IP_EADDR, 0, {0}, 0, 0},
        {"01.2.3.4", IP_EADDR, 0, {0}, 0, 0},
        {"1.2.3", IP_EADDR, 0, {0}, 0, 0},
        {"1.2.3.4.5", IP_EADDR, 0, {0}, 0, 0},
        {"256.1.1.1", IP_EADDR, 0, {0}, 0, 0},
        {" 1.2.3.4", IP_EADDR, 0, {0}, 0, 0},
        {"1::2::3", IP_EADDR, 0, {0}, 0, 0},
        {":1::", IP_EADDR, 0, {0}, 0, 0},
        {"1:2:3:4:5:6:7:8:9", IP_EADDR, 0, {0}, 0, 0},
        {"1:2:3:4:5:6:7::8", IP_EADDR, 0, {0}, 0, 0},
        {"12345::", IP_EADDR, 0, {0}, 0, 0},
        {"fe80::1%eth0", IP_EADDR, 0, {0}, 0, 0},
        {"::ffff:01.2.3.4", IP_EADDR, 0, {0}, 0, 0},
        {"::1.2.3.4:5", IP_EADDR, 0, {0}, 0, 0},
        {"1:2:3:4:5:6:7:1.2.3.4", IP_EADDR, 0, {0}, 0, 0},
        {"1:", IP_EADDR, 0, {0}, 0, 0},
        {":", IP_EADDR, 0, {0}, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct net_case *c = &cases[i];
        struct ip_net n;
        enum ip_err rc;

        memset(&n, 0xAA, sizeof n);
        rc = ip_net_parse(c->in, strlen(c->in), &n);
        if (rc != c->rc)
            fail_msg("'%s': %d, want %d", c->in, (int)rc, (int)c->rc);
        if (rc != IP_OK) {
            assert_int_equal(n.family, (int)0xAAAAAAAA); /* untouched */
            continue;
        }
        if (n.family != c->family || n.prefix != c->prefix || n.has_prefix != c->has_prefix)
            fail_msg("'%s': family %d prefix %d has %d", c->in, n.family, n.prefix, n.has_prefix);
        assert_memory_equal(n.addr, c->addr, 16);
    }
}

/* ip_v4_net and ip_v6_net keep to their family (the kind of an indicator says which). */
static void test_family(void **state)
{
    struct ip_net n;

    (void)state;
    assert_int_equal(ip_v4_net("1.2.3.4", 7, &n), IP_OK);
    assert_int_equal(ip_net_v4(&n), 0x01020304u);
    assert_int_equal(ip_v6_net("1.2.3.4", 7, &n), IP_EADDR);
    assert_int_equal(ip_v4_net("::1", 3, &n), IP_EADDR);
    assert_int_equal(ip_v6_net("::ffff:1.2.3.4", 14, &n), IP_OK);
    assert_int_equal(n.family, 6); /* no mapping here */
    assert_true(ip_v6_is_mapped(n.addr, n.prefix));
    assert_false(ip_v6_is_mapped(n.addr, 95));
    /* only len bytes count */
    assert_int_equal(ip_v4_net("1.2.3.45", 7, &n), IP_OK);
    assert_int_equal(ip_net_v4(&n), 0x01020304u);
}

/* R6: the IPv4 range an IPv6 range in NAT64, IPv4-compatible, Teredo or 6to4 space
 * takes in; -1 elsewhere. */
static int embedded(const char *text)
{
    struct ip_net n;

    assert_int_equal(ip_v6_net(text, strlen(text), &n), IP_OK);
    return ip_v6_embedded_v4(n.addr, n.prefix);
}

static void test_embedded_v4(void **state)
{
    (void)state;
    assert_int_equal(embedded("64:ff9b::/96"), 0);
    assert_int_equal(embedded("64:ff9b::/32"), 0); /* takes in the whole /96 */
    assert_int_equal(embedded("64:ff9b::c000:200/120"), 24);
    assert_int_equal(embedded("64:ff9b::c000:201"), 32);
    assert_int_equal(embedded("64:ff9b:1::/48"), 0);
    assert_int_equal(embedded("64:ff9b:1::/104"), 8);
    assert_int_equal(embedded("::/96"), 0);
    assert_int_equal(embedded("::c000:200/120"), 24);
    assert_int_equal(embedded("2001::/32"), 0);
    assert_int_equal(embedded("2001:0:4136:e378::/64"), 0);
    assert_int_equal(embedded("2002::/16"), 0);
    assert_int_equal(embedded("2002:c000:200::/40"), 24);
    assert_int_equal(embedded("2002:c000:201::/48"), 32);
    assert_int_equal(embedded("2002:c000:201:1::/64"), 32);
    assert_int_equal(embedded("2001:db8::/32"), -1);
    assert_int_equal(embedded("64:ff9b:2::/48"), -1);
    assert_int_equal(embedded("2003::/16"), -1);
}

static void test_within(void **state)
{
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"10.1.2.3", "10.0.0.0/8", 1},
        {"10.1.2.3", "10.0.0.1/8", 1}, /* host bits of the range ignored */
        {"11.0.0.0", "10.0.0.0/8", 0},
        {"10.0.0.0/8", "10.0.0.0/8", 1},
        {"10.0.0.0/7", "10.0.0.0/8", 0},
        {"10.0.0.0/9", "10.0.0.0/8", 1},
        {"1.2.3.4", "0.0.0.0/0", 1},
        {"1.2.3.4", "1.2.3.4", 1},
        {"1.2.3.5", "1.2.3.4", 0},
        {"192.168.1.130", "192.168.1.128/25", 1},
        {"192.168.1.127", "192.168.1.128/25", 0},
        {"2001:db8::1", "2001:db8::/32", 1},
        {"2001:db9::1", "2001:db8::/32", 0},
        {"2001:db8::1", "10.0.0.0/8", 0},
        {"::ffff:10.9.8.7", "10.0.0.0/8", 1},
        {"10.9.8.7", "::ffff:10.0.0.0/104", 1},
        {"::/0", "1.0.0.0/8", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ip_net a, b;

        assert_int_equal(ip_net_parse(cases[i].a, strlen(cases[i].a), &a), IP_OK);
        assert_int_equal(ip_net_parse(cases[i].b, strlen(cases[i].b), &b), IP_OK);
        if (ip_net_within(&a, &b) != cases[i].want)
            fail_msg("'%s' within '%s': want %d", cases[i].a, cases[i].b, cases[i].want);
    }
}

static void test_clear_host_and_text(void **state)
{
    static const struct {
        const char *in;
        int set;
        const char *text; /* after clearing */
    } cases[] = {
        {"10.0.0.0/8", 0, "10.0.0.0/8"},
        {"10.1.0.0/8", 1, "10.0.0.0/8"},
        {"192.0.2.255/25", 1, "192.0.2.128/25"},
        {"1.2.3.4/32", 0, "1.2.3.4"},
        {"1.2.3.4/0", 1, "0.0.0.0/0"},
        {"255.255.255.255/31", 1, "255.255.255.254/31"},
        {"2001:db8::1/64", 1, "2001:db8::/64"},
        {"2001:db8:0:0:1:0:0:1", 0, "2001:db8::1:0:0:1"},         /* leftmost of equal runs */
        {"2001:0db8:0000:0001:0001:0001:0001:0001", 0, "2001:db8:0:1:1:1:1:1"}, /* one zero group */
        {"1:0:0:2:0:0:0:3", 0, "1:0:0:2::3"},                     /* the longest run */
        {"::1", 0, "::1"},
        {"1::", 0, "1::"},
        {"::", 0, "::"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
        {"64:ff9b::102:304", 0, "64:ff9b::102:304"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ip_net n;
        char text[IP_V6_TEXT_MAX + 1];
        size_t len;

        assert_int_equal(ip_net_parse(cases[i].in, strlen(cases[i].in), &n), IP_OK);
        if (ip_net_clear_host(&n) != cases[i].set)
            fail_msg("'%s': host bits", cases[i].in);
        len = n.family == 4 ? ip_v4_text(ip_net_v4(&n), n.prefix, text) : ip_v6_text(n.addr, n.prefix, text);
        assert_int_equal(len, strlen(text));
        if (strcmp(text, cases[i].text) != 0)
            fail_msg("'%s': text '%s', want '%s'", cases[i].in, text, cases[i].text);
    }
    {
        /* the longest texts fit the documented sizes exactly */
        char t4[IP_V4_TEXT_MAX + 1], t6[IP_V6_TEXT_MAX + 1];
        uint8_t all[16];

        memset(all, 0xFF, sizeof all);
        assert_int_equal(ip_v4_text(0xFFFFFFFFu, 31, t4), IP_V4_TEXT_MAX);
        assert_int_equal(ip_v6_text(all, 127, t6), IP_V6_TEXT_MAX);
    }
}

/* glibc's inet_pton() as the reference: the same strict grammar for both families. */
static void check_pton(const char *s, size_t n)
{
    char z[64];
    uint8_t a[16], b[16];
    uint32_t q = 0;
    int want4, want6, got4, got6;

    if (n >= sizeof z)
        return;
    memcpy(z, s, n);
    z[n] = '\0';
    if (memchr(s, '\0', n))
        return; /* inet_pton stops at a NUL; ip.c reads n bytes */
    want4 = inet_pton(AF_INET, z, a) == 1;
    got4 = ip_v4_quad(s, n, &q);
    if (want4 != got4 || (want4 && q != ((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3])))
        fail_msg("'%s': ip_v4_quad %d, inet_pton %d", z, got4, want4);
    want6 = inet_pton(AF_INET6, z, a) == 1;
    got6 = ip_v6_addr(s, n, b) == 0;
    if (want6 != got6 || (want6 && memcmp(a, b, 16) != 0))
        fail_msg("'%s': ip_v6_addr %d, inet_pton %d", z, got6, want6);
}

static void test_agrees_with_inet_pton(void **state)
{
    static const char *const edge[] = {
        "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6::8", "1::2::3", ":::", "1:::2", "12345::", "0000:0000::", "::0:0:0:0:0:0:0",
        "::ffff:1.2.3.4", "::ffff:01.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3", "::1.2.3.4.5", "1.2.3.4::", "fe80::1%eth0", ":1", "1:", "", "1.2.3.4", "01.2.3.4",
        "1.2.3.04", "256.0.0.0", "1.2.3", "0.0.0.0", "255.255.255.255", "1.2.3.4.", "g::", "::g",
        "ABCD:EF01:2345:6789:abcd:ef01:2345:6789", "1:2:3:4:5:6:7:8:9", "::ffff:255.255.255.255",
    };
    static const char alphabet[] = "0123456789abcdefABCDEF::::....1f0/g%";
    uint64_t x = 0x9e3779b97f4a7c15ull;

    (void)state;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_pton(edge[i], strlen(edge[i]));
    for (int i = 0; i < 300000; i++) {
        char s[48];
        size_t n;

        x = x * 6364136223846793005ull + 1442695040888963407ull;
        n = (size_t)(x >> 58) % 40;
        for (size_t j = 0; j < n; j++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            s[j] = alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        check_pton(s, n);
    }
    /* well-formed IPv6 texts of every shape: eight random groups, then each run of zero
     * groups compressed, with and without a dotted tail */
    for (int i = 0; i < 20000; i++) {
        uint8_t a[16];
        char t[IP_V6_TEXT_MAX + 1], u[64];

        for (int k = 0; k < 16; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            a[k] = (x >> 40) % 3 ? 0 : (uint8_t)(x >> 48);
        }
        check_pton(t, ip_v6_text(a, 128, t));
        snprintf(u, sizeof u, "%x:%x:%x:%x:%x:%x:%u.%u.%u.%u", a[0], a[1], a[2], a[3], a[4], a[5], a[12], a[13],
                 a[14], a[15]);
        check_pton(u, strlen(u));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_parse),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_embedded_v4),
        cmocka_unit_test(test_within),
        cmocka_unit_test(test_clear_host_and_text),
        cmocka_unit_test(test_agrees_with_inet_pton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
