/* tests/unit/index/test_hot.c - the matcher's prefilter (src/index/hot.c).
 * Its one promise is "no" only when no key can match: random indexes (domains,
 * IPv4 addresses, ranges of every prefix length, URLs, hashes) are queried with
 * every key, with subdomains, with addresses inside every range and with case
 * variants - each must be a "maybe" - and with random values, whose answers are
 * checked against a brute-force reference (a reference match must be a "maybe"),
 * while the false "maybe" rate must stay low (a filter that always says "maybe" would
 * pass the first check and fail this one). Then the saved blob: the view answers
 * like the built filter; malformed blobs are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/hot.h"
#include "index/idx.h"

/* One value's answer: its probes, answered at once. */
#define ONE_VALUE(call)                                                                            \
    do {                                                                                           \
        struct hot_probes ps;                                                                      \
        ps.n = 0;                                                                                  \
        ps.maybe = 0;                                                                              \
        call;                                                                                      \
        return hot_probes_maybe(h, &ps);                                                           \
    } while (0)

static int hot_ipv4(const struct hot *h, uint32_t a)
{
    ONE_VALUE(hot_probe_ipv4(h, a, &ps));
}

static int hot_domain(const struct hot *h, const char *s, size_t n)
{
    ONE_VALUE(hot_probe_domain(h, s, n, &ps));
}

static int hot_host(const struct hot *h, const char *s, size_t n)
{
    ONE_VALUE(hot_probe_host(h, s, n, &ps));
}

static int hot_url_host(const struct hot *h, const char *s, size_t n)
{
    ONE_VALUE(hot_probe_url_host(h, s, n, &ps));
}

static int hot_hash(const struct hot *h, const char *s, size_t n)
{
    ONE_VALUE(hot_probe_hash(h, s, n, &ps));
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define N_DOMAINS 2000
#define N_ADDRS 2000
#define N_RANGES 300
#define N_URLS 500
#define N_HASHES 500

static char domains[N_DOMAINS][64];
static uint32_t addrs[N_ADDRS];
static uint32_t nets[N_RANGES];
static int prefixes[N_RANGES];
static char urls[N_URLS][128];
static char url_hosts[N_URLS][64];
static char hashes[N_HASHES][65];

static void random_label(char *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (char)('a' + rnd() % 26);
    out[len] = '\0';
}

static void random_domain(char *out)
{
    char a[16], b[16];

    random_label(a, 3 + rnd() % 8);
    random_label(b, 2 + rnd() % 4);
    snprintf(out, 64, "%s.%s", a, b);
}

static uint32_t mask(int p)
{
    return p ? 0xffffffffu << (32 - p) : 0;
}

static void ip_text(uint32_t a, char *out)
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void add(struct idx *ix, uint32_t obj, enum obs_kind k, const char *v)
{
    struct mz_error err;
    assert_int_equal(idx_add_value(ix, obj, k, v, strlen(v), &err), MZ_OK);
}

static struct idx *build(uint64_t seed)
{
    struct idx *ix = NULL;
    struct mz_error err;
    struct idx_obj_in in;
    uint32_t obj;
    char buf[160];

    rng_state = seed;
    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    memset(&in, 0, sizeof in);
    in.stix_id = "indicator--00000000-0000-4000-8000-000000000001";
    in.valid_until = INT64_MAX;
    assert_int_equal(idx_add_obj(ix, &in, &obj, &err), MZ_OK);
    for (int i = 0; i < N_DOMAINS; i++) {
        random_domain(domains[i]);
        add(ix, obj, OBS_DOMAIN, domains[i]);
    }
    for (int i = 0; i < N_ADDRS; i++) {
        addrs[i] = (uint32_t)rnd();
        ip_text(addrs[i], buf);
        add(ix, obj, OBS_IPV4, buf);
    }
    for (int i = 0; i < N_RANGES; i++) {
        /* every length from /4 to /31, the long ones (>= /24) most often */
        prefixes[i] = i % 3 ? 24 + (int)(rnd() % 8) : 4 + (int)(rnd() % 20);
        nets[i] = (uint32_t)rnd() & mask(prefixes[i]);
        ip_text(nets[i], buf);
        snprintf(buf + strlen(buf), 8, "/%d", prefixes[i]);
        add(ix, obj, OBS_IPV4, buf);
    }
    for (int i = 0; i < N_URLS; i++) {
        random_domain(url_hosts[i]);
        snprintf(urls[i], sizeof urls[i], "http://%.63s/path%d", url_hosts[i], i);
        add(ix, obj, OBS_URL, urls[i]);
    }
    for (int i = 0; i < N_HASHES; i++) {
        for (int j = 0; j < 64; j++)
            hashes[i][j] = "0123456789abcdef"[rnd() % 16];
        hashes[i][64] = '\0';
        add(ix, obj, OBS_SHA256, hashes[i]);
    }
    return ix;
}

static int ref_ipv4(uint32_t a)
{
    for (int i = 0; i < N_ADDRS; i++)
        if (addrs[i] == a)
            return 1;
    for (int i = 0; i < N_RANGES; i++)
        if ((a & mask(prefixes[i])) == nets[i])
            return 1;
    return 0;
}

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z' && rnd() % 2)
            *s = (char)(*s - 32);
}

/* Every key, and every way of reaching one, is a "maybe". */
static void check_no_false_no(const struct hot *h)
{
    char buf[200];

    for (int i = 0; i < N_DOMAINS; i++) {
        assert_true(hot_domain(h, domains[i], strlen(domains[i])));
        snprintf(buf, sizeof buf, "a.b-c.%s", domains[i]);
        upper(buf);
        assert_true(hot_domain(h, buf, strlen(buf)));
        assert_true(hot_host(h, buf, strlen(buf)));
    }
    for (int i = 0; i < N_ADDRS; i++)
        assert_true(hot_ipv4(h, addrs[i]));
    for (int i = 0; i < N_RANGES; i++) {
        uint32_t span = ~mask(prefixes[i]);
        for (int j = 0; j < 20; j++)
            assert_true(hot_ipv4(h, nets[i] | ((uint32_t)rnd() & span)));
        assert_true(hot_ipv4(h, nets[i]));
        assert_true(hot_ipv4(h, nets[i] | span));
    }
    for (int i = 0; i < N_URLS; i++) {
        snprintf(buf, sizeof buf, "%s", url_hosts[i]);
        upper(buf);
        assert_true(hot_url_host(h, buf, strlen(buf)));
        assert_true(hot_host(h, buf, strlen(buf)));
    }
    for (int i = 0; i < N_HASHES; i++) {
        snprintf(buf, sizeof buf, "%s", hashes[i]);
        assert_true(hot_hash(h, buf, 64));
        upper(buf);
        assert_true(hot_hash(h, buf, 64));
    }
    assert_true(hot_has_kind(h, OBS_IPV4));
    assert_true(hot_has_kind(h, OBS_DOMAIN));
    assert_true(hot_has_kind(h, OBS_URL));
    assert_true(hot_has_kind(h, OBS_SHA256));
    assert_false(hot_has_kind(h, OBS_IPV6));
    assert_false(hot_has_kind(h, OBS_EMAIL));
    assert_false(hot_has_kind(h, OBS_MD5));
}

/* Random values: a reference match must be a "maybe"; the rest are mostly "no". */
static void check_random(const struct hot *h)
{
    int maybe_ip = 0, maybe_dom = 0, maybe_hash = 0, tries = 20000;
    char buf[80];

    for (int i = 0; i < tries; i++) {
        uint32_t a = (uint32_t)rnd();
        int ref = ref_ipv4(a), got = hot_ipv4(h, a);
        if (ref)
            assert_true(got);
        else
            maybe_ip += got;
        random_domain(buf);
        maybe_dom += hot_domain(h, buf, strlen(buf));
        for (int j = 0; j < 64; j++)
            buf[j] = "0123456789abcdef"[rnd() % 16];
        maybe_hash += hot_hash(h, buf, 64);
    }
    /* short ranges cover about 1/3 of the space at most here; the rest is the
     * Bloom filter's and the /24 map's error, a few per cent at most */
    print_message("false maybe: ipv4 %d, domain %d, hash %d of %d\n", maybe_ip, maybe_dom, maybe_hash, tries);
    assert_true(maybe_dom < tries / 20);
    assert_true(maybe_hash < tries / 50);
    assert_true(maybe_ip < tries / 2);
}

static void test_no_false_no(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct idx *ix = build(seed);
        struct hot *h = NULL;
        struct mz_error err;
        assert_int_equal(hot_build(ix, &h, &err), MZ_OK);
        check_no_false_no(h);
        check_random(h);
        hot_free(h);
        idx_free(ix);
    }
}

static void test_saved_blob(void **state)
{
    struct idx *ix = build(7);
    struct hot *h = NULL, *v = NULL;
    struct mz_error err;
    void *blob = NULL;
    uint64_t *copy;
    size_t len = 0;

    (void)state;
    assert_int_equal(hot_build(ix, &h, &err), MZ_OK);
    assert_int_equal(hot_save(h, &blob, &len, &err), MZ_OK);
    assert_int_equal(hot_view(blob, len, &v, &err), MZ_OK);
    assert_int_equal(hot_bytes(v), hot_bytes(h));
    check_no_false_no(v);
    for (int i = 0; i < 5000; i++) {
        uint32_t a = (uint32_t)rnd();
        char d[64];
        random_domain(d);
        assert_int_equal(hot_ipv4(v, a), hot_ipv4(h, a));
        assert_int_equal(hot_domain(v, d, strlen(d)), hot_domain(h, d, strlen(d)));
    }
    hot_free(v);
    /* malformed: short, one byte more, misaligned, bad magic */
    assert_int_equal(hot_view(blob, 16, &v, &err), MZ_EINVAL);
    copy = malloc(len + 16);
    assert_non_null(copy);
    memcpy(copy, blob, len);
    assert_int_equal(hot_view(copy, len + 1, &v, &err), MZ_EINVAL);
    memcpy((char *)copy + 8, blob, 64);
    assert_int_equal(hot_view((char *)copy + 4, len, &v, &err), MZ_EINVAL);
    memcpy(copy, blob, len);
    ((char *)copy)[0] = 'X';
    assert_int_equal(hot_view(copy, len, &v, &err), MZ_EINVAL);
    assert_int_equal(hot_view(NULL, 0, &v, &err), MZ_EINVAL);
    free(copy);
    free(blob);
    hot_free(h);
    idx_free(ix);
}

/* An index with no keys at all says "no" to everything; /0 says "maybe" to every address. */
static void test_empty_and_slash0(void **state)
{
    struct idx *ix = NULL;
    struct hot *h = NULL;
    struct mz_error err;
    struct idx_obj_in in;
    uint32_t obj;

    (void)state;
    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    assert_int_equal(hot_build(ix, &h, &err), MZ_OK);
    assert_false(hot_ipv4(h, 0x01020304));
    assert_false(hot_domain(h, "evil.example", 12));
    assert_false(hot_host(h, "evil.example", 12));
    assert_false(hot_hash(h, "00", 2));
    hot_free(h);
    memset(&in, 0, sizeof in);
    in.stix_id = "indicator--00000000-0000-4000-8000-000000000001";
    in.valid_until = INT64_MAX;
    assert_int_equal(idx_add_obj(ix, &in, &obj, &err), MZ_OK);
    add(ix, obj, OBS_IPV4, "0.0.0.0/0");
    add(ix, obj, OBS_DOMAIN, "example");
    assert_int_equal(hot_build(ix, &h, &err), MZ_OK);
    for (int i = 0; i < 1000; i++)
        assert_true(hot_ipv4(h, (uint32_t)rnd()));
    assert_true(hot_domain(h, "a.b.EXAMPLE", 11)); /* a TLD as indicator */
    assert_false(hot_domain(h, "a.b.example.org", 15));
    hot_free(h);
    idx_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_false_no),
        cmocka_unit_test(test_saved_blob),
        cmocka_unit_test(test_empty_and_slash0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
