/* bench/gen_logs.c - the seeded JSON-lines log of the matcher benchmark (issue #4,
 * bench/match), with the line numbers a correct matcher must report. Not a test.
 *
 *   gen_logs [--seed S] [--indicators N] [--bytes B] [--out FILE|-] [--expected FILE]
 *
 * Defaults: seed 1, 1000000 indicators, 1 GiB (B may end in K, M or G: powers of 1024),
 * standard output. It regenerates the indicator set of `gen_iocs --seed S --indicators
 * N` (bench/iocgen.h, the same code), then writes lines of three kinds until B bytes
 * are reached:
 *   DNS       {"ts":…,"client":"10.…","query":"…","qtype":"A","answer":"…"}
 *   proxy     {"ts":…,"client":…,"method":"GET","url":"…","status":200,"bytes":N}
 *             (some with a "sha256":"…" member)
 *   firewall  {"ts":…,"src_ip":"10.…","dst_ip":"…","dst_port":443,"action":"allow"}
 * About 0.1 % of lines are planted hits, one indicator each:
 *   ipv4    dst_ip = an indicator address
 *   cidr    dst_ip = an address inside an indicator range, itself no indicator address
 *   domain  query = an indicator domain
 *   parent  query = "<w>.<w>.<indicator domain>", matching ONLY through the parent walk
 *   url     url = an indicator URL
 *   sha256  "sha256" = an indicator hash (in a proxy line)
 * and about 0.06 % are decoys that only a substring matcher reports:
 *   glued   query = a prefix glued to an indicator domain ("xevil.com" for evil.com)
 *   digit   dst_ip = an indicator address with one more digit ("1.2.3.45" for 1.2.3.4)
 *   path    url = an indicator URL plus more path
 * Every other value is noise from namespaces that bench/iocgen.h never gives an
 * indicator (10/8 clients, addresses with first octet 128-223, names under reserved
 * TLDs); planted decoys, and hits that must match only one way, are checked against
 * the generator's own hash sets. So --expected (sorted 1-based line numbers, one a
 * line) comes from what was planted, not from any index. Counts go to stderr.
 * The same arguments always give byte-identical outputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iocgen.h"

#define LOG_BASE_EPOCH 1748736000LL /* 2025-06-01T00:00:00Z */
#define HIT_PPM 1000                /* planted hits per million lines */
#define DECOY_PPM 600               /* planted decoys per million lines */
#define PLANT_TRIES 64              /* draws before a plant gives way to noise */
#define OUT_CAP (4u << 20)          /* output buffer; a line is far below 4 KiB */

enum plant {
    PLANT_IPV4 = 0,
    PLANT_CIDR,
    PLANT_DOMAIN,
    PLANT_PARENT,
    PLANT_URL,
    PLANT_SHA256,
    PLANT_N_HITS,
    DECOY_GLUED = PLANT_N_HITS,
    DECOY_DIGIT,
    DECOY_PATH,
    PLANT_N
};

static const char *const plant_names[PLANT_N] = {
    "ipv4", "cidr", "domain", "parent-only", "url", "sha256",
    "glued-domain", "extra-digit-ip", "longer-url"};

/* Strings of one kind, NUL-terminated, back to back. */
struct strpool {
    char *buf;
    size_t len, cap;
    size_t *off; /* start of each string in buf */
    size_t n, n_cap;
};

/* The indicator values gen_logs draws from, by kind. */
struct iocs {
    uint32_t *ips;      /* exact addresses */
    size_t n_ips;
    uint32_t *ips_low;  /* those whose last octet is 1-25 (decoy bases: d -> d*10+k <= 255) */
    size_t n_ips_low;
    uint32_t *nets;     /* ranges */
    int *prefixes;
    size_t n_nets;
    struct strpool domains, urls, hashes;
};

struct out {
    FILE *f;
    const char *path;
    char *buf;
    size_t len;
    unsigned long long bytes; /* written so far, buffer included */
};

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);

    if (!q) {
        fputs("gen_logs: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static void pool_add(struct strpool *p, const char *s, size_t len)
{
    if (p->len + len + 1 > p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1 << 16;
        while (p->len + len + 1 > p->cap)
            p->cap *= 2;
        p->buf = xrealloc(p->buf, p->cap);
    }
    if (p->n == p->n_cap) {
        p->n_cap = p->n_cap ? 2 * p->n_cap : 1024;
        p->off = xrealloc(p->off, p->n_cap * sizeof *p->off);
    }
    p->off[p->n++] = p->len;
    memcpy(p->buf + p->len, s, len);
    p->buf[p->len + len] = '\0';
    p->len += len + 1;
}

static const char *pool_get(const struct strpool *p, size_t i)
{
    return p->buf + p->off[i];
}

static void pool_free(struct strpool *p)
{
    free(p->buf);
    free(p->off);
}

static void iocs_free(struct iocs *s)
{
    free(s->ips);
    free(s->ips_low);
    free(s->nets);
    free(s->prefixes);
    pool_free(&s->domains);
    pool_free(&s->urls);
    pool_free(&s->hashes);
}

/* Regenerates the n indicators of seed into g (kept for the hash-set checks) and s. */
static void iocs_load(struct iocgen *g, struct iocs *s, uint64_t seed, unsigned long long n)
{
    char bundle_uuid[37];
    struct ioc v;

    memset(s, 0, sizeof *s);
    s->ips = xrealloc(NULL, (n + 1) * sizeof *s->ips);
    s->ips_low = xrealloc(NULL, (n + 1) * sizeof *s->ips_low);
    s->nets = xrealloc(NULL, (n + 1) * sizeof *s->nets);
    s->prefixes = xrealloc(NULL, (n + 1) * sizeof *s->prefixes);
    iocgen_init(g, seed, bundle_uuid);
    for (unsigned long long i = 0; i < n; i++) {
        iocgen_next(g, &v);
        switch (v.kind) {
        case IOC_IPV4:
            s->ips[s->n_ips++] = v.addr;
            if ((v.addr & 0xffu) <= 25)
                s->ips_low[s->n_ips_low++] = v.addr;
            break;
        case IOC_CIDR:
            s->nets[s->n_nets] = v.addr;
            s->prefixes[s->n_nets++] = v.prefix;
            break;
        case IOC_DOMAIN:
            pool_add(&s->domains, v.value, v.value_len);
            break;
        case IOC_URL:
            pool_add(&s->urls, v.value, v.value_len);
            break;
        default:
            pool_add(&s->hashes, v.value, v.value_len);
            break;
        }
    }
}

/* ---- output ---- */

static void out_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        fprintf(stderr, "gen_logs: write to %s failed: %s\n", o->path, strerror(errno));
        exit(1);
    }
    o->len = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->bytes += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_s(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u(struct out *o, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + sizeof tmp - n, n);
}

static void put_ip(struct out *o, uint32_t a)
{
    put_u(o, a >> 24);
    PUT_LIT(o, ".");
    put_u(o, (a >> 16) & 0xffu);
    PUT_LIT(o, ".");
    put_u(o, (a >> 8) & 0xffu);
    PUT_LIT(o, ".");
    put_u(o, a & 0xffu);
}

/* ---- timestamps: strictly from the stream, formatted once per second ---- */

struct clock {
    long long ms;       /* since LOG_BASE_EPOCH */
    long long sec;      /* second of text[] */
    char text[19];      /* "2025-06-01T00:00:00", no NUL */
};

static void put_ts(struct out *o, struct clock *c)
{
    long long s = c->ms / 1000;
    char frac[6];

    if (s != c->sec) {
        iocgen_fmt_time(c->text, LOG_BASE_EPOCH + s);
        c->sec = s;
    }
    put(o, c->text, 19);
    frac[0] = '.';
    frac[1] = (char)('0' + c->ms % 1000 / 100);
    frac[2] = (char)('0' + c->ms % 100 / 10);
    frac[3] = (char)('0' + c->ms % 10);
    frac[4] = 'Z';
    put(o, frac, 5);
}

/* ---- noise: values no indicator can match (see bench/iocgen.h) ---- */

static uint32_t noise_client(struct rng *r)
{
    return UINT32_C(10) << 24 | (uint32_t)rng_below(r, 65536) << 8 | (1 + (uint32_t)rng_below(r, 254));
}

/* First octet 128-223: outside the indicator space (1-126). */
static uint32_t noise_ip(struct rng *r)
{
    return (128 + (uint32_t)rng_below(r, 96)) << 24 | (uint32_t)rng_below(r, 1u << 24);
}

static void put_noise_domain(struct out *o, struct rng *r)
{
    if (rng_below(r, 2)) {
        put_s(o, iocgen_subs[rng_below(r, IOCGEN_N_SUBS)]);
        PUT_LIT(o, ".");
    }
    put_s(o, iocgen_word(r));
    if (rng_below(r, 2))
        put_u(o, rng_below(r, 100));
    PUT_LIT(o, ".");
    put_s(o, NOISE_TLDS[rng_below(r, NOISE_N_TLDS)]);
}

static void put_noise_url(struct out *o, struct rng *r)
{
    if (rng_below(r, 4))
        PUT_LIT(o, "https://");
    else
        PUT_LIT(o, "http://");
    put_noise_domain(o, r);
    PUT_LIT(o, "/");
    put_s(o, iocgen_word(r));
    if (rng_below(r, 2)) {
        PUT_LIT(o, "/");
        put_s(o, iocgen_word(r));
        put_u(o, rng_below(r, 10000));
        put_s(o, iocgen_exts[rng_below(r, IOCGEN_N_EXTS)]);
    }
    if (rng_below(r, 4) == 0) {
        PUT_LIT(o, "?id=");
        put_u(o, rng_below(r, 1000000));
    }
}

/* 64 hex digits that are no indicator hash. */
static void noise_hash(struct rng *r, const struct iocgen *g, char out[65])
{
    static const char hex[] = "0123456789abcdef";

    do {
        for (int i = 0; i < 4; i++) {
            uint64_t x = rng_next(r);
            for (int j = 0; j < 16; j++)
                out[16 * i + j] = hex[(x >> (60 - 4 * j)) & 15];
        }
        out[64] = '\0';
    } while (iocgen_has_str(g, IOC_SHA256, out, 64));
}

/* ---- the three line kinds; a NULL value means noise ---- */

static void line_dns(struct out *o, struct rng *r, struct clock *c, const char *query)
{
    PUT_LIT(o, "{\"ts\":\"");
    put_ts(o, c);
    PUT_LIT(o, "\",\"client\":\"");
    put_ip(o, noise_client(r));
    PUT_LIT(o, "\",\"query\":\"");
    if (query)
        put_s(o, query);
    else
        put_noise_domain(o, r);
    if (query || rng_below(r, 10)) {
        PUT_LIT(o, "\",\"qtype\":\"A\",\"answer\":\"");
        put_ip(o, noise_ip(r));
    } else {
        uint64_t x = rng_next(r);
        char six[48];
        int n = snprintf(six, sizeof six, "2001:db8:%x:%x::%x", (unsigned)(x & 0xffff),
                         (unsigned)(x >> 16 & 0xffff), (unsigned)(x >> 32 & 0xffff));
        PUT_LIT(o, "\",\"qtype\":\"AAAA\",\"answer\":\"");
        put(o, six, (size_t)n);
    }
    PUT_LIT(o, "\"}\n");
}

static void line_proxy(struct out *o, struct rng *r, struct clock *c, const struct iocgen *g,
                       const char *url, const char *hash)
{
    static const unsigned statuses[] = {200, 200, 200, 200, 200, 304, 302, 404, 403, 500};
    char noise[65];

    PUT_LIT(o, "{\"ts\":\"");
    put_ts(o, c);
    PUT_LIT(o, "\",\"client\":\"");
    put_ip(o, noise_client(r));
    if (rng_below(r, 8))
        PUT_LIT(o, "\",\"method\":\"GET\",\"url\":\"");
    else
        PUT_LIT(o, "\",\"method\":\"POST\",\"url\":\"");
    if (url)
        put_s(o, url);
    else
        put_noise_url(o, r);
    PUT_LIT(o, "\",\"status\":");
    put_u(o, statuses[rng_below(r, sizeof statuses / sizeof statuses[0])]);
    PUT_LIT(o, ",\"bytes\":");
    put_u(o, rng_below(r, 2000000));
    if (!hash && rng_below(r, 20) == 0) {
        noise_hash(r, g, noise);
        hash = noise;
    }
    if (hash) {
        PUT_LIT(o, ",\"sha256\":\"");
        put(o, hash, 64);
        PUT_LIT(o, "\"");
    }
    PUT_LIT(o, "}\n");
}

/* dst = 0 means noise. */
static void line_fw(struct out *o, struct rng *r, struct clock *c, uint32_t dst)
{
    static const unsigned ports[] = {443, 443, 443, 80, 80, 53, 22, 25, 123, 8080, 3389, 993};

    PUT_LIT(o, "{\"ts\":\"");
    put_ts(o, c);
    PUT_LIT(o, "\",\"src_ip\":\"");
    put_ip(o, noise_client(r));
    PUT_LIT(o, "\",\"dst_ip\":\"");
    put_ip(o, dst ? dst : noise_ip(r));
    PUT_LIT(o, "\",\"dst_port\":");
    put_u(o, ports[rng_below(r, sizeof ports / sizeof ports[0])]);
    if (rng_below(r, 5))
        PUT_LIT(o, ",\"action\":\"allow\"}\n");
    else
        PUT_LIT(o, ",\"action\":\"deny\"}\n");
}

static void line_noise(struct out *o, struct rng *r, struct clock *c, const struct iocgen *g)
{
    uint64_t k = rng_below(r, 10);

    if (k < 4)
        line_dns(o, r, c, NULL);
    else if (k < 7)
        line_proxy(o, r, c, g, NULL, NULL);
    else
        line_fw(o, r, c, 0);
}

/* ---- plants ---- */

/* Writes the line of plant p; returns 0 if it could not be drawn (an empty kind, or
 * PLANT_TRIES candidates refused), and then writes nothing. */
static int line_plant(struct out *o, struct rng *r, struct clock *c, const struct iocgen *g,
                      const struct iocs *s, enum plant p)
{
    static const char *const glue[] = {"x", "my", "e", "the", "new", "z"};
    char v[2 * IOCGEN_VALUE_MAX];
    size_t n;

    for (int t = 0; t < PLANT_TRIES; t++) {
        switch (p) {
        case PLANT_IPV4:
            if (!s->n_ips)
                return 0;
            line_fw(o, r, c, s->ips[rng_below(r, s->n_ips)]);
            return 1;
        case PLANT_CIDR: {
            size_t i;
            uint32_t a;
            if (!s->n_nets)
                return 0;
            i = rng_below(r, s->n_nets);
            a = s->nets[i] | (uint32_t)rng_below(r, UINT64_C(1) << (32 - s->prefixes[i]));
            if (u64set_has(&g->ips, a))
                break; /* would match exactly too: not a range-only hit */
            line_fw(o, r, c, a);
            return 1;
        }
        case PLANT_DOMAIN:
            if (!s->domains.n)
                return 0;
            line_dns(o, r, c, pool_get(&s->domains, rng_below(r, s->domains.n)));
            return 1;
        case PLANT_PARENT: {
            const char *d, *l1, *l2;
            size_t d_len, l2_len;
            if (!s->domains.n)
                return 0;
            d = pool_get(&s->domains, rng_below(r, s->domains.n));
            l1 = iocgen_word(r);
            l2 = iocgen_subs[rng_below(r, IOCGEN_N_SUBS)];
            d_len = strlen(d);
            l2_len = strlen(l2);
            n = (size_t)snprintf(v, sizeof v, "%s.%s.%s", l1, l2, d);
            if (n >= sizeof v)
                break;
            /* neither "l1.l2.d" nor "l2.d" may be an indicator: only d matches */
            if (iocgen_has_str(g, IOC_DOMAIN, v, n) ||
                iocgen_has_str(g, IOC_DOMAIN, v + n - d_len - 1 - l2_len, l2_len + 1 + d_len))
                break;
            line_dns(o, r, c, v);
            return 1;
        }
        case PLANT_URL:
            if (!s->urls.n)
                return 0;
            line_proxy(o, r, c, g, pool_get(&s->urls, rng_below(r, s->urls.n)), NULL);
            return 1;
        case PLANT_SHA256:
            if (!s->hashes.n)
                return 0;
            line_proxy(o, r, c, g, NULL, pool_get(&s->hashes, rng_below(r, s->hashes.n)));
            return 1;
        case DECOY_GLUED:
            if (!s->domains.n)
                return 0;
            n = (size_t)snprintf(v, sizeof v, "%s%s", glue[rng_below(r, sizeof glue / sizeof glue[0])],
                                 pool_get(&s->domains, rng_below(r, s->domains.n)));
            if (n >= sizeof v || iocgen_domain_hit(g, v, n))
                break;
            line_dns(o, r, c, v);
            return 1;
        case DECOY_DIGIT: {
            uint32_t a;
            if (!s->n_ips_low)
                return 0;
            a = s->ips_low[rng_below(r, s->n_ips_low)];
            a = (a & ~UINT32_C(0xff)) | ((a & 0xffu) * 10 + (uint32_t)rng_below(r, 6));
            if (iocgen_ip_hit(g, a))
                break;
            line_fw(o, r, c, a);
            return 1;
        }
        default: { /* DECOY_PATH */
            const char *host, *slash;
            if (!s->urls.n)
                return 0;
            n = (size_t)snprintf(v, sizeof v, "%s/%s", pool_get(&s->urls, rng_below(r, s->urls.n)),
                                 iocgen_word(r));
            if (n >= sizeof v || iocgen_has_str(g, IOC_URL, v, n))
                break;
            /* the host is under URL_TLDS; refuse it anyway if a matcher that also
             * looks at URL hosts could report it */
            host = v + strlen("http://");
            slash = strchr(host, '/');
            if (slash && iocgen_domain_hit(g, host, (size_t)(slash - host)))
                break;
            line_proxy(o, r, c, g, v, NULL);
            return 1;
        }
        }
    }
    return 0;
}

/* ---- main ---- */

static void usage(void)
{
    fputs("usage: gen_logs [--seed S] [--indicators N] [--bytes B[K|M|G]] [--out FILE|-] "
          "[--expected FILE]\n",
          stderr);
    exit(2);
}

static unsigned long long num_arg(const char *opt, const char *v, int allow_suffix)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 0);
    if (allow_suffix && *end && !end[1]) {
        int shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
                  : *end == 'G' || *end == 'g' ? 30 : -1;
        if (shift > 0 && n <= (~0ULL >> shift)) {
            n <<= shift;
            end++;
        }
    }
    if (errno || end == v || *end || v[0] == '-') {
        fprintf(stderr, "gen_logs: %s needs a non-negative integer, got '%s'\n", opt, v);
        exit(2);
    }
    return n;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, n_ind = 1000000, target = 1ULL << 30, line = 0;
    unsigned long long counts[PLANT_N] = {0}, n_hits = 0, n_decoys = 0;
    const char *out_path = "-", *expected_path = NULL;
    static char ebuf[1 << 16];
    struct iocgen g;
    struct iocs s;
    struct rng r;
    struct clock c = {0, -1, {0}};
    struct out o = {0};
    FILE *expected = NULL;
    double t0 = now_s(), t1;
    int bad;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        if (!strcmp(a, "--seed"))
            seed = num_arg(a, argv[++i], 0);
        else if (!strcmp(a, "--indicators"))
            n_ind = num_arg(a, argv[++i], 0);
        else if (!strcmp(a, "--bytes"))
            target = num_arg(a, argv[++i], 1);
        else if (!strcmp(a, "--out"))
            out_path = argv[++i];
        else if (!strcmp(a, "--expected"))
            expected_path = argv[++i];
        else
            usage();
    }
    o.path = out_path;
    o.f = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
    if (!o.f) {
        fprintf(stderr, "gen_logs: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    if (expected_path) {
        expected = fopen(expected_path, "wb");
        if (!expected) {
            fprintf(stderr, "gen_logs: cannot write %s: %s\n", expected_path, strerror(errno));
            return 1;
        }
        setvbuf(expected, ebuf, _IOFBF, sizeof ebuf);
    }
    o.buf = xrealloc(NULL, OUT_CAP);

    iocs_load(&g, &s, seed, n_ind);
    t1 = now_s();
    /* The log's own stream, independent of the indicators' (which it must not shift). */
    r.s = seed ^ UINT64_C(0x6c6f67732d6d727a);

    while (o.bytes < target) {
        uint64_t u = rng_below(&r, 1000000);
        int planted = 0;

        c.ms += (long long)rng_below(&r, 21);
        line++;
        if (u < HIT_PPM) {
            uint64_t w = rng_below(&r, 100);
            enum plant p = w < 25 ? PLANT_IPV4 : w < 40 ? PLANT_CIDR : w < 60 ? PLANT_DOMAIN
                         : w < 75 ? PLANT_PARENT : w < 90 ? PLANT_URL : PLANT_SHA256;
            planted = line_plant(&o, &r, &c, &g, &s, p);
            if (planted) {
                counts[p]++;
                n_hits++;
                if (expected)
                    fprintf(expected, "%llu\n", line);
            }
        } else if (u < HIT_PPM + DECOY_PPM) {
            enum plant p = (enum plant)(DECOY_GLUED + (int)rng_below(&r, 3));
            planted = line_plant(&o, &r, &c, &g, &s, p);
            if (planted) {
                counts[p]++;
                n_decoys++;
            }
        }
        if (!planted)
            line_noise(&o, &r, &c, &g);
        if (o.len > OUT_CAP - 4096)
            out_flush(&o);
    }
    out_flush(&o);

    bad = fflush(o.f) != 0 || ferror(o.f) || (o.f != stdout && fclose(o.f) != 0);
    if (bad) {
        fprintf(stderr, "gen_logs: write to %s failed: %s\n", out_path, strerror(errno));
        return 1;
    }
    if (expected && (fflush(expected) != 0 || ferror(expected) || fclose(expected) != 0)) {
        fprintf(stderr, "gen_logs: write to %s failed: %s\n", expected_path, strerror(errno));
        return 1;
    }
    free(o.buf);
    iocs_free(&s);
    iocgen_free(&g);

    {
        double t2 = now_s();
        fprintf(stderr,
                "gen_logs: %llu lines, %.1f MB (%llu bytes) -> %s; seed %llu, %llu indicators "
                "(%.2f s) + log %.2f s = %.0f MB/s\n",
                line, (double)o.bytes / 1e6, o.bytes, out_path, seed, n_ind, t1 - t0, t2 - t1,
                (double)o.bytes / 1e6 / (t2 - t1 > 0 ? t2 - t1 : 1e-9));
        fprintf(stderr, "gen_logs: hits %llu (%.3f %% of lines):", n_hits,
                line ? 100.0 * (double)n_hits / (double)line : 0.0);
        for (int p = 0; p < PLANT_N_HITS; p++)
            fprintf(stderr, " %s=%llu", plant_names[p], counts[p]);
        fprintf(stderr, "\ngen_logs: decoys %llu (must not match):", n_decoys);
        for (int p = PLANT_N_HITS; p < PLANT_N; p++)
            fprintf(stderr, " %s=%llu", plant_names[p], counts[p]);
        fputs("\n", stderr);
    }
    return 0;
}
