/* bench/corr.c - correlation lookup speed and index size (issue #4, "Speed").
 * Builds an observable index in memory with N values (default 10 000 000: IPv4
 * addresses, domains and SHA-256 hashes from a seeded splitmix64 stream, one object
 * each), then times lookups of Q values (half of them present) - normalisation plus
 * the exact-key lookup that correlation does - in batches of 1 000, and prints the
 * median and the 90th percentile per value, and the index's bytes per object.
 *   build/bench/corr [--values N] [--queries Q] [--seed S]
 * As a baseline measured in the same run it times the same number of 64-bit hash
 * computations (XXH3 of the same strings), the floor of any hash-based lookup. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "index/idx.h"

static uint64_t rng;
static uint64_t next64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Value i of the set (deterministic from i, so queries can name present ones). */
static enum obs_kind value_of(uint64_t i, char *out, size_t cap)
{
    uint64_t h = XXH3_64bits(&i, sizeof i);
    switch (i % 3) {
    case 0:
        snprintf(out, cap, "%u.%u.%u.%u", (unsigned)(1 + (h >> 56) % 223), (unsigned)((h >> 48) & 255),
                 (unsigned)((h >> 40) & 255), (unsigned)((h >> 32) & 255));
        return OBS_IPV4;
    case 1:
        snprintf(out, cap, "h%llx.example", (unsigned long long)(h & 0xffffffffffull));
        return OBS_DOMAIN;
    default:
        snprintf(out, cap, "%016llx%016llx%016llx%016llx", (unsigned long long)h,
                 (unsigned long long)(h * 3), (unsigned long long)(h * 5), (unsigned long long)(h * 7));
        return OBS_SHA256;
    }
}

static int count_hit(void *ctx, uint32_t obj, enum idx_via via, const char *key, size_t len)
{
    (void)obj;
    (void)via;
    (void)key;
    (void)len;
    ++*(size_t *)ctx;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    uint64_t n = 10000000, q = 1000000, seed = 1;
    struct idx *ix = NULL;
    struct mz_error err;
    struct idx_stats st;
    double t0, t_build, *per, *base;
    size_t batches, found = 0;
    char v[128];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--values"))
            n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--queries"))
            q = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
    }
    batches = (size_t)(q / 1000);
    if (!batches || idx_new(&ix, &err)) {
        fprintf(stderr, "corr: bad arguments or out of memory\n");
        return 1;
    }
    t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        struct idx_obj_in in;
        char id[80];
        uint32_t num = 0;
        enum obs_kind k = value_of(i, v, sizeof v);
        memset(&in, 0, sizeof in);
        snprintf(id, sizeof id, "indicator--%08llx-0000-4000-8000-%012llx", (unsigned long long)(i >> 20),
                 (unsigned long long)i);
        in.stix_id = id;
        if (idx_add_obj(ix, &in, &num, &err) || idx_add_value(ix, num, k, v, strlen(v), &err)) {
            fprintf(stderr, "corr: %s\n", err.msg);
            return 1;
        }
    }
    t_build = now_s() - t0;
    idx_stats(ix, &st);
    per = malloc(batches * sizeof *per);
    base = malloc(batches * sizeof *base);
    rng = seed;
    for (size_t b = 0; b < batches; b++) {
        char vals[1000][128];
        enum obs_kind kinds[1000];
        uint64_t sink = 0;
        for (int j = 0; j < 1000; j++) {
            uint64_t r = next64();
            /* half present values, half absent ones (indices beyond n) */
            kinds[j] = value_of(r % 2 ? r % n : n + (r >> 1) % (n + 1), vals[j], sizeof vals[j]);
        }
        t0 = now_s();
        for (int j = 0; j < 1000; j++) {
            char canon[OBS_MAX_LEN + 1];
            size_t clen;
            enum obs_kind real = kinds[j];
            if (!obs_normalize(kinds[j], vals[j], strlen(vals[j]), canon, sizeof canon, &clen, NULL, &real, NULL))
                idx_lookup_exact(ix, real, canon, clen, count_hit, &found);
        }
        per[b] = (now_s() - t0) / 1000;
        t0 = now_s();
        for (int j = 0; j < 1000; j++)
            sink += XXH3_64bits(vals[j], strlen(vals[j]));
        base[b] = (now_s() - t0) / 1000;
        if (sink == 42)
            putchar(' ');
    }
    qsort(per, batches, sizeof *per, cmp_d);
    qsort(base, batches, sizeof *base, cmp_d);
    printf("values: %llu (built in %.2f s, %.0f values/s); index %zu bytes = %.0f bytes per object\n",
           (unsigned long long)n, t_build, (double)n / t_build, st.bytes, (double)st.bytes / (double)n);
    printf("correlation lookup (normalise + exact key): median %.3f us, p90 %.3f us per value (%zu queries, %zu found)\n",
           per[batches / 2] * 1e6, per[batches * 9 / 10] * 1e6, batches * 1000, found);
    printf("baseline XXH3 of the same strings: median %.3f us; ratio %.1fx\n", base[batches / 2] * 1e6,
           per[batches / 2] / base[batches / 2]);
    free(per);
    free(base);
    idx_free(ix);
    return 0;
}
