/* tests/unit/index/test_idx.c - the observable index (src/index/idx.c).
 * Property tests: random indicator sets (addresses, CIDR ranges, domains, hashes) and
 * random queries; the index's answer must equal a brute-force reference written
 * plainly here (a list scan, CIDR arithmetic, a parent-domain walk). Then edge cases
 * (/0, /32, /128, overlapping ranges, IPv6, a domain that is a TLD) and snapshots:
 * a saved index maps back with the same answers; a corrupted, truncated or foreign
 * file is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "index/idx.h"

/* splitmix64: the tests are deterministic */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct ref_item {
    enum obs_kind kind;
    char value[80];
    uint32_t net;  /* ipv4 ranges */
    int prefix;    /* -1 for exact values */
};

#define N_ITEMS 3000
static struct ref_item items[N_ITEMS];

static const char *const labels[] = {"evil", "bad", "example", "test", "a", "b", "mail", "cdn", "login"};
static const char *const tlds[] = {"example", "test", "invalid"};

static void random_domain(char *out, size_t cap, int max_labels)
{
    int n = 1 + (int)(rnd() % (uint64_t)max_labels);
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", labels[rnd() % 9], "." );
    snprintf(out + len, cap - len, "%s", tlds[rnd() % 3]);
}

static void random_ip(uint32_t *a, char *out, size_t cap)
{
    /* a small space (10.0-3.x.x) so that queries and ranges collide often */
    *a = (10u << 24) | ((uint32_t)(rnd() % 4) << 16) | ((uint32_t)(rnd() % 8) << 8) | (uint32_t)(rnd() % 16);
    snprintf(out, cap, "%u.%u.%u.%u", *a >> 24, (*a >> 16) & 255, (*a >> 8) & 255, *a & 255);
}

static uint32_t mask(int p)
{
    return p ? 0xffffffffu << (32 - p) : 0;
}

struct collect {
    uint32_t objs[N_ITEMS];
    size_t n;
};

static int collect_hit(void *ctx, uint32_t obj, enum idx_via via, const char *key, size_t len)
{
    struct collect *c = ctx;
    (void)via;
    (void)key;
    (void)len;
    if (c->n < N_ITEMS)
        c->objs[c->n++] = obj;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The plain reference: every item whose value equals q, is a parent domain of q, or
 * is a range containing q. */
static size_t reference(enum obs_kind k, const char *q, uint32_t qa, uint32_t *out)
{
    size_t n = 0;

    for (uint32_t i = 0; i < N_ITEMS; i++) {
        const struct ref_item *it = &items[i];
        int hit = 0;
        if (it->kind != k)
            continue;
        if (it->prefix >= 0) {
            hit = k == OBS_IPV4 && (qa & mask(it->prefix)) == it->net;
        } else if (!strcmp(it->value, q)) {
            hit = 1;
        } else if (k == OBS_DOMAIN) {
            size_t ql = strlen(q), vl = strlen(it->value);
            hit = ql > vl && q[ql - vl - 1] == '.' && !strcmp(q + ql - vl, it->value);
        }
        if (hit)
            out[n++] = i;
    }
    return n;
}

static struct idx *build_random(uint64_t seed)
{
    struct idx *ix = NULL;
    struct mz_error err;

    rng_state = seed;
    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    for (uint32_t i = 0; i < N_ITEMS; i++) {
        struct ref_item *it = &items[i];
        struct idx_obj_in in;
        char id[80];
        uint32_t num;
        uint64_t r = rnd() % 10;
        memset(&in, 0, sizeof in);
        snprintf(id, sizeof id, "indicator--%08x-0000-4000-8000-000000000000", i);
        in.stix_id = id;
        in.seq = i + 1;
        in.flags = IDX_F_DETECT;
        assert_int_equal(idx_add_obj(ix, &in, &num, &err), MZ_OK);
        assert_int_equal(num, i);
        it->prefix = -1;
        if (r < 4) {
            it->kind = OBS_IPV4;
            random_ip(&it->net, it->value, sizeof it->value);
        } else if (r < 5) {
            uint32_t a;
            it->kind = OBS_IPV4;
            random_ip(&a, it->value, sizeof it->value);
            it->prefix = 16 + (int)(rnd() % 17); /* /16 .. /32, overlapping */
            it->net = a & mask(it->prefix);
            if (it->prefix == 32)
                snprintf(it->value, sizeof it->value, "%u.%u.%u.%u", it->net >> 24, (it->net >> 16) & 255, (it->net >> 8) & 255, it->net & 255);
            else
                snprintf(it->value, sizeof it->value, "%u.%u.%u.%u/%d", it->net >> 24, (it->net >> 16) & 255, (it->net >> 8) & 255, it->net & 255, it->prefix);
            if (it->prefix == 32)
                it->prefix = -1; /* a /32 is an exact address */
        } else if (r < 8) {
            it->kind = OBS_DOMAIN;
            random_domain(it->value, sizeof it->value, 3);
        } else {
            it->kind = OBS_SHA256;
            snprintf(it->value, sizeof it->value, "%016llx%016llx%016llx%016llx", (unsigned long long)(rnd() % 50), 0ull, 0ull, 0ull);
        }
        assert_int_equal(idx_add_value(ix, i, it->kind, it->value, strlen(it->value), &err), MZ_OK);
    }
    return ix;
}

/* Returns how many hits the reference expected in all, so callers can check that
 * the random sets really collide (a test of nothing would find nothing). */
static size_t check_queries(const struct idx *ix, uint64_t seed, int n_queries)
{
    static uint32_t want[N_ITEMS];
    static struct collect got;
    size_t total = 0;

    rng_state = seed;
    for (int q = 0; q < n_queries; q++) {
        char text[80];
        uint32_t qa = 0;
        enum obs_kind k;
        size_t n_want;
        uint64_t r = rnd() % 3;
        if (r == 0) {
            k = OBS_IPV4;
            random_ip(&qa, text, sizeof text);
        } else if (r == 1) {
            k = OBS_DOMAIN;
            random_domain(text, sizeof text, 5);
        } else {
            k = OBS_SHA256;
            snprintf(text, sizeof text, "%016llx%016llx%016llx%016llx", (unsigned long long)(rnd() % 60), 0ull, 0ull, 0ull);
        }
        got.n = 0;
        idx_lookup(ix, k, text, strlen(text), collect_hit, &got);
        n_want = reference(k, text, qa, want);
        qsort(got.objs, got.n, sizeof got.objs[0], cmp_u32);
        if (got.n != n_want || memcmp(got.objs, want, n_want * sizeof want[0]) != 0)
            fail_msg("query %d '%s': index found %zu, reference %zu", q, text, got.n, n_want);
        total += n_want;
    }
    return total;
}

static void test_random_sets_equal_reference(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct idx *ix = build_random(seed);
        assert_true(check_queries(ix, seed * 1000, 4000) > 1000);
        idx_free(ix);
    }
}

static void test_snapshot_round_trip_and_corruption(void **state)
{
    char path[] = "/tmp/mreza-idx-XXXXXX";
    int fd = mkstemp(path);
    struct idx *ix = build_random(7), *mapped = NULL;
    struct mz_error err;
    uint64_t gen = 0;
    FILE *f;
    long size;
    int c;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(idx_save(ix, path, 4242, "extra!", 6, &err), MZ_OK);
    assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_OK);
    assert_int_equal(gen, 4242);
    assert_int_equal(idx_n_objs(mapped), N_ITEMS);
    {
        size_t n_extra = 0;
        const char *extra = idx_extra(mapped, &n_extra);
        assert_int_equal(n_extra, 6);
        assert_memory_equal(extra, "extra!", 6);
    }
    check_queries(mapped, 7000, 2000); /* the mapped copy answers like the built one */
    /* read-only */
    assert_int_equal(idx_add_value(mapped, 0, OBS_DOMAIN, "x.example", 9, &err), MZ_EUNSUPPORTED);
    idx_free(mapped);
    /* flip one byte in the middle: refused */
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    c = fgetc(f);
    fseek(f, size / 2, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    mapped = NULL;
    assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "checksum"));
    assert_null(mapped);
    /* truncated */
    assert_int_equal(truncate(path, size - 8), 0);
    assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_EINVAL);
    /* not an index at all */
    f = fopen(path, "wb");
    fputs("this is not an index snapshot, just some text that is long enough to fill a header", f);
    fclose(f);
    assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_EINVAL);
    assert_int_equal(idx_load("/nonexistent/index.snap", &mapped, &gen, &err), MZ_ENOTFOUND);
    unlink(path);
    idx_free(ix);
}

/* A writer does not depend on a temporary name another writer may hold: with
 * PATH.tmp taken (here by a directory; in the failure seen, by the other process's
 * file, renamed away under it), a save still succeeds, and leaves no temporary
 * file behind. Before, both the node and `mreza match` wrote through PATH.tmp. */
static void test_snapshot_own_temporary_file(void **state)
{
    char dir[] = "/tmp/mreza-idx-dir-XXXXXX", path[128], taken[160];
    struct idx *ix = build_random(3), *mapped = NULL;
    struct mz_error err;
    uint64_t gen = 0;
    int n_files = 0;
    DIR *d;
    struct dirent *e;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/index.snap", dir);
    snprintf(taken, sizeof taken, "%s.tmp", path);
    assert_int_equal(mkdir(taken, 0700), 0);
    assert_int_equal(idx_save(ix, path, 7, NULL, 0, &err), MZ_OK);
    assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_OK);
    assert_int_equal(gen, 7);
    idx_free(mapped);
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n_files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n_files, 2); /* index.snap and the directory index.snap.tmp */
    assert_int_equal(rmdir(taken), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    idx_free(ix);
}

/* Header fields of the snapshot format (src/index/idx.c, struct idx_header). */
#define H_CHECKSUM 24
#define H_N_SLOTS 48
#define H_N_BLOOM 64
#define H_MASK4 80
#define H_MASK6_2 104
#define H_SIZE 120

/* Set the 8-byte header field at off to v; with resum, recompute the checksum as a
 * writer who knows the format would (the whole file, the checksum read as 0). */
static void patch_header(const char *path, long off, uint64_t v, int resum)
{
    FILE *f = fopen(path, "r+b");
    char *buf;
    long size;
    uint64_t zero = 0, sum;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    buf = malloc((size_t)size);
    assert_non_null(buf);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    memcpy(buf + off, &v, 8);
    if (resum) {
        memcpy(buf + H_CHECKSUM, &zero, 8);
        sum = XXH3_64bits(buf, (size_t)size);
        memcpy(buf + H_CHECKSUM, &sum, 8);
    }
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(buf);
}

/* A snapshot's header is not trusted either: a range mask flipped without the
 * checksum (the header is under it), and counts or masks out of range written by one
 * who recomputes the checksum (sizes that would wrap around, masks with prefix
 * lengths that cannot be) are all refused. The same file restored loads again. */
static void test_snapshot_hostile_headers(void **state)
{
    static const struct {
        long off;
        uint64_t v;
        int resum;
        const char *why;
    } cases[] = {
        {H_MASK4, 0, 0, "checksum"},                      /* ranges silently off */
        {H_MASK4, ~0ull, 1, "inconsistent header"},       /* prefix lengths past 32 */
        {H_MASK6_2, 2, 1, "inconsistent header"},         /* an IPv6 prefix length of 129 */
        {H_N_BLOOM, 1ull << 61, 1, "inconsistent header"}, /* 8 * 2^61 wraps to 0 */
        {H_N_SLOTS, 1ull << 62, 1, "inconsistent header"}, /* 4 * 2^62 wraps to 0 */
    };
    char path[] = "/tmp/mreza-idx-XXXXXX";
    int fd = mkstemp(path);
    struct idx *ix = NULL, *mapped = NULL;
    struct mz_error err;
    struct idx_obj_in in;
    uint32_t obj;
    uint64_t gen = 0;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    memset(&in, 0, sizeof in);
    in.stix_id = "indicator--00000000-0000-4000-8000-000000000009";
    in.valid_until = INT64_MAX;
    assert_int_equal(idx_add_obj(ix, &in, &obj, &err), MZ_OK);
    assert_int_equal(idx_add_value(ix, obj, OBS_IPV4, "10.0.0.0/8", 10, &err), MZ_OK);
    assert_int_equal(idx_add_value(ix, obj, OBS_DOMAIN, "evil.example", 12, &err), MZ_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(idx_save(ix, path, 1, NULL, 0, &err), MZ_OK);
        assert_int_equal(idx_load(path, &mapped, &gen, &err), MZ_OK); /* as saved: fine */
        idx_free(mapped);
        mapped = NULL;
        patch_header(path, cases[i].off, cases[i].v, cases[i].resum);
        if (idx_load(path, &mapped, &gen, &err) != MZ_EINVAL || mapped)
            fail_msg("case %zu loaded", i);
        if (!strstr(err.msg, cases[i].why))
            fail_msg("case %zu: %s", i, err.msg);
    }
    unlink(path);
    idx_free(ix);
}

struct via_seen {
    enum idx_via via[16];
    size_t n;
};

static int note_via(void *ctx, uint32_t obj, enum idx_via via, const char *key, size_t len)
{
    struct via_seen *v = ctx;
    (void)obj;
    (void)key;
    (void)len;
    if (v->n < 16)
        v->via[v->n++] = via;
    return 0;
}

static size_t hits(const struct idx *ix, enum obs_kind k, const char *q, struct via_seen *v)
{
    v->n = 0;
    return idx_lookup(ix, k, q, strlen(q), note_via, v);
}

static void test_edges(void **state)
{
    struct idx *ix = NULL;
    struct mz_error err;
    struct via_seen v;
    const struct {
        enum obs_kind kind;
        const char *value;
    } values[] = {
        {OBS_IPV4, "0.0.0.0/0"},         /* 0: everything */
        {OBS_IPV4, "192.0.2.1"},         /* 1 */
        {OBS_IPV4, "198.51.100.0/24"},   /* 2 */
        {OBS_IPV4, "198.51.100.128/25"}, /* 3: overlaps 2 */
        {OBS_IPV6, "2001:db8::/32"},     /* 4 */
        {OBS_IPV6, "2001:db8::1"},       /* 5 */
        {OBS_DOMAIN, "example"},         /* 6: a TLD */
        {OBS_DOMAIN, "evil.example"},    /* 7 */
    };
    uint32_t num;

    (void)state;
    assert_int_equal(idx_new(&ix, &err), MZ_OK);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct idx_obj_in in;
        char id[80];
        memset(&in, 0, sizeof in);
        snprintf(id, sizeof id, "indicator--%08zx-0000-4000-8000-000000000000", i);
        in.stix_id = id;
        assert_int_equal(idx_add_obj(ix, &in, &num, &err), MZ_OK);
        assert_int_equal(idx_add_value(ix, num, values[i].kind, values[i].value, strlen(values[i].value), &err), MZ_OK);
    }
    assert_int_equal(hits(ix, OBS_IPV4, "192.0.2.1", &v), 2);      /* exact + /0 */
    assert_int_equal(hits(ix, OBS_IPV4, "198.51.100.200", &v), 3); /* /0, /24, /25 */
    assert_int_equal(hits(ix, OBS_IPV4, "198.51.100.20", &v), 2);  /* /0, /24 */
    assert_int_equal(v.via[0], IDX_VIA_RANGE);
    assert_int_equal(hits(ix, OBS_IPV4, "8.8.8.8", &v), 1);        /* only /0 */
    assert_int_equal(hits(ix, OBS_IPV6, "2001:db8::1", &v), 2);    /* exact + /32 */
    assert_int_equal(hits(ix, OBS_IPV6, "2001:db9::1", &v), 0);
    assert_int_equal(hits(ix, OBS_DOMAIN, "a.b.evil.example", &v), 2); /* evil.example + example */
    assert_int_equal(v.via[0], IDX_VIA_PARENT);
    assert_int_equal(hits(ix, OBS_DOMAIN, "example", &v), 1);
    assert_int_equal(v.via[0], IDX_VIA_EXACT);
    assert_int_equal(hits(ix, OBS_DOMAIN, "xevil.test", &v), 0);
    /* the same value twice for one object is one posting */
    assert_int_equal(idx_add_value(ix, 7, OBS_DOMAIN, "evil.example", 12, &err), MZ_OK);
    assert_int_equal(hits(ix, OBS_DOMAIN, "evil.example", &v), 2);
    /* a value longer than any canonical one is simply not found */
    {
        static char huge[OBS_MAX_LEN + 10];
        memset(huge, 'a', sizeof huge - 1);
        assert_int_equal(idx_lookup(ix, OBS_DOMAIN, huge, sizeof huge - 1, note_via, &v), 0);
    }
    idx_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sets_equal_reference),
        cmocka_unit_test(test_snapshot_round_trip_and_corruption),
        cmocka_unit_test(test_snapshot_own_temporary_file),
        cmocka_unit_test(test_snapshot_hostile_headers),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
