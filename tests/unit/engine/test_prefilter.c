/* tests/unit/engine/test_prefilter.c - the prefilter's questions (engine/prefilter.c).
 * prefilter_value_classed(), the path of flat JSON lines (it takes the byte classes
 * match/jscan.c found instead of classifying the value again), must ask exactly what
 * prefilter_value() asks of the same value without a hint: the same answer and the
 * same probes in the same order, on 300 000 random values shaped like log values
 * (addresses, names, URLs with ports, userinfo and odd hosts, hashes, e-mail
 * addresses, timestamps, IPv6, junk). And URL hosts: where a URL's host ends (port,
 * userinfo, path, query, fragment) decides which host is asked about. And the byte
 * tables: every entry of prefilter_class[] against a plain statement of each class,
 * and prefilter_class_of_jscan[] against it through match/jscan.c's classes. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prefilter.h"
#include "index/hot.h"
#include "index/idx.h"
#include "match/jscan.h"

static uint64_t rng_state = 99;
static unsigned rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng_state >> 33);
}

static void add(struct idx *ix, uint32_t obj, enum obs_kind k, const char *v)
{
    struct mz_error err;
    assert_int_equal(idx_add_value(ix, obj, k, v, strlen(v), &err), MZ_OK);
}

/* An index with keys of every kind the prefilter knows (e-mail too, when asked). */
static struct hot *make_hot(int with_email, struct idx **out)
{
    static const char *const domains[] = {"evil.example", "bad.test", "a.b.c.d.example", "corp"};
    static const char *const v4[] = {"10.1.2.3", "192.168.0.0/16", "172.16.5.0/24", "8.8.8.8", "100.64.3.128/25"};
    struct idx *ix = NULL;
    struct mz_error err;
    struct idx_obj_in in;
    struct hot *h = NULL;
    uint32_t obj = 0;

    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    memset(&in, 0, sizeof in);
    in.stix_id = "indicator--00000000-0000-4000-8000-000000000001";
    in.valid_until = INT64_MAX;
    assert_int_equal(idx_add_obj(ix, &in, &obj, &err), MZ_OK);
    for (size_t i = 0; i < sizeof domains / sizeof *domains; i++)
        add(ix, obj, OBS_DOMAIN, domains[i]);
    for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++)
        add(ix, obj, OBS_IPV4, v4[i]);
    add(ix, obj, OBS_URL, "http://phish.example/login");
    add(ix, obj, OBS_SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    add(ix, obj, OBS_MD5, "d41d8cd98f00b204e9800998ecf8427e");
    if (with_email)
        add(ix, obj, OBS_EMAIL, "ceo@evil.example");
    assert_int_equal(hot_build(ix, &h, &err), MZ_OK);
    *out = ix;
    return h;
}

static unsigned class_of(const char *s, size_t n)
{
    unsigned c = 0;

    for (size_t i = 0; i < n; i++)
        c |= jscan_class((unsigned char)s[i]);
    return c;
}

/* A random value shaped like what logs hold. */
static size_t random_value(char *b, size_t cap)
{
    static const char *const hosts[] = {"evil.example", "x.bad.test", "EVIL.example.", "10.1.2.3", "corp",
                                        "a..b", "h-1.x_y.org", "1.2.3", "8.8.8.8", "[::1]", "xn--80ak6aa92e.com"};
    static const char *const schemes[] = {"http", "https", "hxxp", "ftp", "h2+x", "1http", ""};
    static const char *const tails[] = {"", "/", "/p?q=1", "#f", "?a", ":8080", ":80/x", ":b:80/", "/a@b", ":x@y/"};
    static const char junk[] = "abcdefABCDEFxyzXYZ0123456789.-_:/@ %[]+";
    size_t n = 0;

    switch (rnd() % 9) {
    case 0: /* an address, perhaps broken */
        n = (size_t)snprintf(b, cap, "%u.%u.%u.%u", rnd() % 300, rnd() % 256, rnd() % 256, rnd() % 260);
        break;
    case 1: /* a name */
        n = (size_t)snprintf(b, cap, "%s%s", rnd() % 2 ? "www." : "", hosts[rnd() % 11]);
        break;
    case 2:
    case 3: /* a URL */
        n = (size_t)snprintf(b, cap, "%s%s%s%s%s", schemes[rnd() % 7], rnd() % 8 ? "://" : ":/",
                             rnd() % 6 ? "" : "user:pw@", hosts[rnd() % 11], tails[rnd() % 10]);
        break;
    case 4: /* a hash */
        n = (size_t)(rnd() % 2 ? 64 : 32) + (rnd() % 5 == 0);
        for (size_t i = 0; i < n; i++)
            b[i] = "0123456789abcdefABCDEF"[rnd() % (rnd() % 4 ? 16 : 22)];
        if (rnd() % 4 == 0)
            b[rnd() % n] = rnd() % 2 ? '-' : '_'; /* no hash, then */
        break;
    case 5: /* a timestamp, an e-mail address, an IPv6 address */
        n = (size_t)snprintf(b, cap, "%s",
                             (const char *[]){"2025-06-01T00:00:00.005Z", "ceo@evil.example", "::ffff:10.1.2.3",
                                              "fe80::1", "::FFFF:8.8.8.8", "a@b", "::ffff:1-2.3", "ffff:_:1",
                                              "12345678901234567890123456789012", "1234567890123456789012345678901-"}[rnd() % 10]);
        break;
    default: /* junk */
        n = 1 + rnd() % 40;
        for (size_t i = 0; i < n; i++)
            b[i] = junk[rnd() % (sizeof junk - 1)];
    }
    b[n] = '\0';
    return n;
}

static void same_questions(const struct hot *h, const char *v, size_t n)
{
    static struct hot_probes a, b;
    int ra, rb;

    a.n = b.n = 0;
    a.maybe = b.maybe = 0;
    ra = prefilter_value(h, v, n, -1, &a);
    rb = prefilter_value_classed(h, v, n, class_of(v, n), &b);
    if (ra != rb || a.n != b.n)
        fail_msg("'%.*s': classify path %d with %zu probes, classed path %d with %zu", (int)n, v, ra, a.n, rb, b.n);
    for (size_t i = 0; i < a.n; i++)
        if (a.p[i].word != b.p[i].word || a.p[i].bits != b.p[i].bits || a.p[i].ipv4 != b.p[i].ipv4 ||
            a.p[i].addr != b.p[i].addr)
            fail_msg("'%.*s': probe %zu differs", (int)n, v, i);
}

static void test_classed_asks_the_same(void **state)
{
    char v[200];

    (void)state;
    for (int with_email = 0; with_email < 2; with_email++) {
        struct idx *ix;
        struct hot *h = make_hot(with_email, &ix);
        for (int i = 0; i < 150000; i++) {
            size_t n = random_value(v, sizeof v);
            same_questions(h, v, n);
        }
        hot_free(h);
        idx_free(ix);
    }
}

/* The probes prefilter_value() makes for v, as a comparable list. */
static int probes_of(const struct hot *h, const char *v, struct hot_probes *ps)
{
    ps->n = 0;
    ps->maybe = 0;
    return prefilter_value(h, v, strlen(v), -1, ps);
}

static void test_url_hosts(void **state)
{
    static const struct {
        const char *url, *host; /* host NULL: a "maybe" without probes */
    } cases[] = {
        {"http://evil.example/x", "evil.example"},
        {"http://evil.example:8080/x", "evil.example"},
        {"http://evil.example:8080", "evil.example"},
        {"http://evil.example?q=a:b@c", "evil.example"},
        {"http://evil.example#a@b", "evil.example"},
        {"http://evil.example/a:b@c", "evil.example"},
        {"https://EVIL.example/", "EVIL.example"},
        {"http://user@evil.example/", NULL},
        {"http://user:pw@evil.example/", NULL},
        {"http://evil.example:80@x/", NULL},
        {"http://a:b:80/", NULL},
        {"http://[::1]/", NULL},
        {"http:///x", NULL},
        {"http://evil.example./", NULL},
    };
    static struct hot_probes got, want;
    struct idx *ix;
    struct hot *h = make_hot(0, &ix);

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int r = probes_of(h, cases[i].url, &got);
        if (!cases[i].host) {
            if (r != 1 || got.n != 0)
                fail_msg("%s: %d with %zu probes, want a maybe", cases[i].url, r, got.n);
            continue;
        }
        want.n = 0;
        want.maybe = 0;
        hot_probe_host(h, cases[i].host, strlen(cases[i].host), &want);
        if (r != 0 || got.n != want.n || got.n == 0)
            fail_msg("%s: %d with %zu probes, want %zu for %s", cases[i].url, r, got.n, want.n, cases[i].host);
        for (size_t k = 0; k < got.n; k++)
            assert_true(got.p[k].word == want.p[k].word && got.p[k].bits == want.p[k].bits);
    }
    hot_free(h);
    idx_free(ix);
}

/* The class of a byte, stated plainly: the reference for prefilter_class[]. */
static unsigned plain_class(int c)
{
    if (c >= 128)
        return PREFILTER_HIGH;
    if (isalpha(c))
        return PREFILTER_LETTER | (isxdigit(c) ? 0 : PREFILTER_NONHEX);
    if (isdigit(c))
        return PREFILTER_DIGIT;
    switch (c) {
    case '.':
        return PREFILTER_DOT;
    case '-':
    case '_':
        return PREFILTER_DASH;
    case '@':
        return PREFILTER_AT;
    case ':':
        return PREFILTER_COLON;
    case '/':
        return PREFILTER_OTHER | PREFILTER_SLASH;
    default:
        return PREFILTER_OTHER;
    }
}

/* Every entry of both byte tables: prefilter_class[] against the plain statement
 * above; prefilter_class_of_jscan[] gives, for the jscan class of each byte that has
 * one, that byte's prefilter class, and the classes of a value (an OR of bytes'
 * classes) are the OR of the parts'. */
static void test_byte_tables(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        unsigned k = jscan_class((unsigned char)c);

        if (prefilter_class[c] != plain_class(c))
            fail_msg("prefilter_class[0x%02x] = 0x%x, want 0x%x", c, prefilter_class[c], plain_class(c));
        if (!(k & JSCAN_OTHER) && prefilter_class_of_jscan[k] != prefilter_class[c])
            fail_msg("byte 0x%02x: jscan class 0x%x gives 0x%x, want 0x%x", c, k, prefilter_class_of_jscan[k],
                     prefilter_class[c]);
    }
    assert_int_equal(prefilter_class_of_jscan[0], 0);
    for (unsigned a = 0; a < 128; a++)
        for (unsigned b = 0; b < 128; b++)
            if (prefilter_class_of_jscan[a | b] != (prefilter_class_of_jscan[a] | prefilter_class_of_jscan[b]))
                fail_msg("jscan classes 0x%x | 0x%x", a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classed_asks_the_same),
        cmocka_unit_test(test_url_hosts),
        cmocka_unit_test(test_byte_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
