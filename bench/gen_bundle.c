/* bench/gen_bundle.c - a seeded generator of a large, valid STIX 2.1 bundle for the
 * ingest benchmark (bench/ingest). Not a test: nothing here checks the node.
 *
 *   gen_bundle [--seed S] [--indicators N] [--incidents M] [--tlp mixed|clear|green|amber]
 *              [--out FILE|-]
 *
 * Defaults: seed 1, 100000 indicators, 1000 incidents, standard output. The same
 * arguments always give byte-identical output: every random choice comes from one
 * splitmix64 stream seeded with S (no libc rand, no clock, no locale).
 *
 * Each indicator has an id indicator--<UUID v4 drawn from the stream>, spec_version,
 * created = modified = valid_from (millisecond precision), pattern_type "stix", a
 * pattern over an ipv4/ipv6/domain/url/sha256 observable, a name, and a TLP 2.0
 * GREEN or AMBER marking in object_marking_refs (--tlp mixed, the default; --tlp clear,
 * green or amber marks every object so, e.g. CLEAR for bench/sync, whose objects travel
 * between two nodes by the mreza-direct view without a community; the random stream is
 * drawn the same way whatever --tlp says, so ids, times and patterns do not change).
 * Incidents carry name and description (and a marking). Objects are written compactly,
 * one per line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

/* 2024-01-01T00:00:00Z; timestamps fall within the following year. */
#define BASE_EPOCH 1704067200LL
#define SPAN_MS (365LL * 86400 * 1000)

static uint64_t rng_state;

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, full period over 2^64. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0); the modulo bias is irrelevant for a benchmark. */
static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

/* An RFC 4122 version 4 UUID from the stream: version nibble 4, variant 10xx. */
static void gen_uuid(char out[37])
{
    uint64_t hi = rng_next(), lo = rng_next();
    unsigned char b[16];

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* RFC 3339 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z. */
static void gen_time(char out[80])
{
    long long ms = (long long)rng_below((uint64_t)SPAN_MS);
    time_t t = (time_t)(BASE_EPOCH + ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

static const char *const words[] = {
    "amber", "basalt", "cobalt", "delta", "ember", "falcon", "granite", "harbor",
    "iris", "juniper", "krypton", "lumen", "mistral", "nimbus", "onyx", "pylon",
    "quartz", "raven", "sable", "tundra", "umber", "vortex", "willow", "zephyr",
};
#define N_WORDS (sizeof words / sizeof words[0])

static const char *const tlds[] = {"example", "test", "invalid", "example.net", "example.org"};
#define N_TLDS (sizeof tlds / sizeof tlds[0])

static const char *word(void)
{
    return words[rng_below(N_WORDS)];
}

/* NULL: GREEN or AMBER at random (--tlp mixed); else every object's marking. */
static const char *fixed_marking;

static const char *marking(void)
{
    const char *m = rng_below(2) ? TLP_AMBER : TLP_GREEN; /* drawn always: the stream stays the same */

    return fixed_marking ? fixed_marking : m;
}

/* pattern: the STIX pattern; what: a short description for the name. Only
 * characters that need no JSON escaping are produced. */
static void gen_pattern(char *pattern, size_t n, char *what, size_t wn)
{
    switch (rng_below(5)) {
    case 0: {
        unsigned a = (unsigned)rng_below(256), b = (unsigned)rng_below(256), c = (unsigned)rng_below(256);
        snprintf(pattern, n, "[ipv4-addr:value = '10.%u.%u.%u']", a, b, c);
        snprintf(what, wn, "IPv4 address 10.%u.%u.%u", a, b, c);
        break;
    }
    case 1: {
        uint64_t r = rng_next();
        unsigned g[4];
        for (int i = 0; i < 4; i++)
            g[i] = (unsigned)(r >> (16 * i)) & 0xffffu;
        snprintf(pattern, n, "[ipv6-addr:value = '2001:db8:%x:%x::%x:%x']", g[0], g[1], g[2], g[3]);
        snprintf(what, wn, "IPv6 address 2001:db8:%x:%x::%x:%x", g[0], g[1], g[2], g[3]);
        break;
    }
    case 2: {
        const char *w1 = word(), *w2 = word(), *tld = tlds[rng_below(N_TLDS)];
        unsigned k = (unsigned)rng_below(100000);
        snprintf(pattern, n, "[domain-name:value = '%s-%s%u.%s']", w1, w2, k, tld);
        snprintf(what, wn, "domain %s-%s%u.%s", w1, w2, k, tld);
        break;
    }
    case 3: {
        const char *host = word(), *tld = tlds[rng_below(N_TLDS)], *p1 = word();
        unsigned k = (unsigned)rng_below(1000000);
        snprintf(pattern, n, "[url:value = 'https://%s.%s/%s/%u.php?id=%u']", host, tld, p1, k,
                 (unsigned)rng_below(10000));
        snprintf(what, wn, "URL on %s.%s", host, tld);
        break;
    }
    default: {
        char hex[65];
        for (int i = 0; i < 4; i++)
            snprintf(hex + 16 * i, 17, "%016" PRIx64, rng_next());
        snprintf(pattern, n, "[file:hashes.'SHA-256' = '%s']", hex);
        snprintf(what, wn, "file SHA-256 %.12s...", hex);
        break;
    }
    }
}

static void usage(void)
{
    fputs("usage: gen_bundle [--seed S] [--indicators N] [--incidents M] [--tlp mixed|clear|green|amber] "
          "[--out FILE|-]\n",
          stderr);
    exit(2);
}

static unsigned long long num_arg(const char *opt, const char *v)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 0);
    if (errno || end == v || *end || v[0] == '-') {
        fprintf(stderr, "gen_bundle: %s needs a non-negative integer, got '%s'\n", opt, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, n_ind = 100000, n_inc = 1000;
    const char *out_path = "-";
    char id[37], ts[80], pattern[256], what[160];
    FILE *out;
    static char obuf[1 << 20];
    unsigned long long written = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        if (!strcmp(a, "--seed"))
            seed = num_arg(a, argv[++i]);
        else if (!strcmp(a, "--indicators"))
            n_ind = num_arg(a, argv[++i]);
        else if (!strcmp(a, "--incidents"))
            n_inc = num_arg(a, argv[++i]);
        else if (!strcmp(a, "--out"))
            out_path = argv[++i];
        else if (!strcmp(a, "--tlp")) {
            const char *t = argv[++i];
            if (!strcmp(t, "mixed"))
                fixed_marking = NULL;
            else if (!strcmp(t, "clear"))
                fixed_marking = TLP_CLEAR;
            else if (!strcmp(t, "green"))
                fixed_marking = TLP_GREEN;
            else if (!strcmp(t, "amber"))
                fixed_marking = TLP_AMBER;
            else {
                fprintf(stderr, "gen_bundle: --tlp takes mixed, clear, green or amber, got '%s'\n", t);
                exit(2);
            }
        }
        else
            usage();
    }
    out = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "gen_bundle: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    rng_state = seed;

    gen_uuid(id);
    fprintf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", id);
    for (unsigned long long i = 0; i < n_ind; i++) {
        gen_uuid(id);
        gen_time(ts);
        gen_pattern(pattern, sizeof pattern, what, sizeof what);
        fprintf(out,
                "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                "\"created\":\"%s\",\"modified\":\"%s\",\"name\":\"Malicious %s\","
                "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"%s\","
                "\"object_marking_refs\":[\"%s\"]}",
                written++ ? ",\n" : "", id, ts, ts, what, pattern, ts, marking());
    }
    for (unsigned long long i = 0; i < n_inc; i++) {
        const char *w1 = word(), *w2 = word();
        unsigned k = (unsigned)rng_below(10000);
        gen_uuid(id);
        gen_time(ts);
        fprintf(out,
                "%s{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"incident--%s\","
                "\"created\":\"%s\",\"modified\":\"%s\",\"name\":\"Incident %s %s %u\","
                "\"description\":\"Benchmark incident %llu: %s activity against %s systems, "
                "reported by a constituent and handled by the national CSIRT.\","
                "\"object_marking_refs\":[\"%s\"]}",
                written++ ? ",\n" : "", id, ts, ts, w1, w2, k, i + 1, w1, w2, marking());
    }
    fputs("\n]}\n", out);
    if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "gen_bundle: write to %s failed: %s\n", out_path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "gen_bundle: %llu indicators + %llu incidents (seed %llu) -> %s\n", n_ind, n_inc,
            seed, out_path);
    return 0;
}
