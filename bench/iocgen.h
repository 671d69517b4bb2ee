/* bench/iocgen.h - the seeded indicator set of the matcher benchmark (issue #4),
 * shared by bench/gen_iocs.c (which writes it as a STIX bundle) and bench/gen_logs.c
 * (which regenerates it from the same seed and count to plant matches in a log).
 * Both programs include this header, so the sequence of indicators cannot drift apart.
 *
 * Everything comes from one splitmix64 stream seeded with the seed (no libc rand, no
 * clock, no locale): the same seed and count give the same indicators in the same
 * order. Shares: about 40 % IPv4 addresses, 5 % IPv4 CIDR ranges (/16 to /28,
 * network address with the host bits zero), 30 % domains, 10 % URLs, 15 % SHA-256.
 * Values are written in the canonical forms of obs/obs.h and are unique within the
 * set (a drawn duplicate is drawn again).
 *
 * Namespaces (what keeps the expected matches computable without an index):
 *   indicator IPv4 addresses and ranges  first octet 1-126, never 10 or 127
 *   indicator domains                     under IOC_TLDS only
 *   hosts of indicator URLs               under URL_TLDS only (disjoint from IOC_TLDS,
 *                                         so no URL host is or lies below an
 *                                         indicator domain)
 *   log noise (bench/gen_logs.c)          clients in 10/8, other addresses with first
 *                                         octet 128-223, names under NOISE_TLDS
 * The hash sets below let gen_logs check candidate decoys against the set.
 *
 * Header-only (static inline) because the two programs are built as single files by
 * the Makefile's bench rule. Ownership: struct iocgen owns its sets; iocgen_free()
 * releases them. Out of memory is fatal (a benchmark tool has nothing to fall back on). */
#ifndef MZ_BENCH_IOCGEN_H
#define MZ_BENCH_IOCGEN_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IOCGEN_TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

/* Indicator timestamps fall in 2024 (from 2024-01-01T00:00:00Z); the logs of
 * gen_logs start later (2025-06-01), so every indicator is valid when a line is seen. */
#define IOCGEN_BASE_EPOCH 1704067200LL
#define IOCGEN_SPAN_MS (365LL * 86400 * 1000)

#define IOCGEN_VALUE_MAX 192 /* longest value drawn, with room to spare */

/* ---- splitmix64 ---- */

struct rng {
    uint64_t s; /* state; any value is a valid seed */
};

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, full period over 2^64. */
static inline uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0); the modulo bias is irrelevant for a benchmark. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* ---- a set of 64-bit keys (open addressing, linear probing) ---- */

struct u64set {
    uint64_t *slot; /* 0 = empty; keys are never 0 (u64set_key() maps 0 to 1) */
    size_t mask;    /* capacity - 1, capacity a power of two */
    size_t n;       /* keys stored */
};

static inline void *iocgen_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fputs("iocgen: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static inline uint64_t u64set_mix(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    return k ^ (k >> 33);
}

static inline uint64_t u64set_key(uint64_t k)
{
    return k ? k : 1;
}

static inline void u64set_init(struct u64set *s)
{
    s->mask = 1023;
    s->n = 0;
    s->slot = iocgen_xcalloc(s->mask + 1, sizeof *s->slot);
}

static inline void u64set_free(struct u64set *s)
{
    free(s->slot);
    s->slot = NULL;
}

static inline int u64set_has(const struct u64set *s, uint64_t k)
{
    k = u64set_key(k);
    for (size_t i = u64set_mix(k) & s->mask;; i = (i + 1) & s->mask) {
        if (s->slot[i] == k)
            return 1;
        if (!s->slot[i])
            return 0;
    }
}

static inline void u64set_put_raw(uint64_t *slot, size_t mask, uint64_t k)
{
    size_t i = u64set_mix(k) & mask;

    while (slot[i] && slot[i] != k)
        i = (i + 1) & mask;
    slot[i] = k;
}

/* Adds k; returns 1 if it was new, 0 if it was there already. Grows at half load. */
static inline int u64set_add(struct u64set *s, uint64_t k)
{
    if (u64set_has(s, k))
        return 0;
    if (2 * (s->n + 1) > s->mask + 1) {
        size_t mask = 2 * s->mask + 1;
        uint64_t *slot = iocgen_xcalloc(mask + 1, sizeof *slot);
        for (size_t i = 0; i <= s->mask; i++)
            if (s->slot[i])
                u64set_put_raw(slot, mask, s->slot[i]);
        free(s->slot);
        s->slot = slot;
        s->mask = mask;
    }
    u64set_put_raw(s->slot, s->mask, u64set_key(k));
    s->n++;
    return 1;
}

/* ---- the indicators ---- */

enum ioc_kind {
    IOC_IPV4 = 0,
    IOC_CIDR,
    IOC_DOMAIN,
    IOC_URL,
    IOC_SHA256,
    IOC_N_KINDS
};

struct ioc {
    enum ioc_kind kind;
    char uuid[37];                   /* v4 UUID, lowercase hex */
    char ts[32];                     /* created = modified = valid_from */
    char value[IOCGEN_VALUE_MAX];    /* canonical value; for CIDR "a.b.c.d/nn" */
    size_t value_len;
    uint32_t addr;                   /* IPV4: the address; CIDR: the network */
    int prefix;                      /* IPV4: 32; CIDR: 16-28 */
};

struct iocgen {
    struct rng rng;
    struct u64set ips;   /* exact indicator addresses, as the 32-bit value */
    struct u64set cidrs; /* ranges, as prefix << 32 | network */
    struct u64set strs;  /* iocgen_str_key() of every domain, URL and hash */
};

static const char *const iocgen_words[] = {
    "amber",   "basalt", "cobalt",  "delta",  "ember",   "falcon", "granite", "harbor",
    "iris",    "juniper", "krypton", "lumen",  "mistral", "nimbus", "onyx",    "pylon",
    "quartz",  "raven",  "sable",   "tundra", "umber",   "vortex", "willow",  "zephyr",
    "account", "bank",   "cloud",   "docs",   "express", "fast",   "global",  "help",
    "invoice", "key",    "login",   "mail",   "net",     "office", "pay",     "secure",
    "track",   "update", "verify",  "wallet", "portal",  "share",  "support", "drive",
};
#define IOCGEN_N_WORDS (sizeof iocgen_words / sizeof iocgen_words[0])

/* Top-level domains of indicator domains. */
static const char *const IOC_TLDS[] = {"com", "net", "org", "info", "biz", "xyz", "top",
                                       "ru",  "cn",  "io",  "co",   "su",  "online", "site"};
#define IOC_N_TLDS (sizeof IOC_TLDS / sizeof IOC_TLDS[0])

/* Top-level domains of the hosts of indicator URLs: none of IOC_TLDS. */
static const char *const URL_TLDS[] = {"club", "shop", "live", "pw", "cc", "tk", "icu", "cyou"};
#define URL_N_TLDS (sizeof URL_TLDS / sizeof URL_TLDS[0])

/* Top-level domains of log noise (gen_logs): reserved names (RFC 2606, 6761, 8375)
 * and private-use ones, none of IOC_TLDS or URL_TLDS. */
static const char *const NOISE_TLDS[] = {"example", "test", "internal", "lan", "home.arpa",
                                         "corp"};
#define NOISE_N_TLDS (sizeof NOISE_TLDS / sizeof NOISE_TLDS[0])

static const char *const iocgen_subs[] = {"login", "secure", "mail", "cdn", "update", "account",
                                          "portal", "api"};
#define IOCGEN_N_SUBS (sizeof iocgen_subs / sizeof iocgen_subs[0])

static const char *const iocgen_dirs[] = {"wp-content", "admin", "gate", "panel", "files",
                                          "download", "inc", "upload", "images", "tmp"};
#define IOCGEN_N_DIRS (sizeof iocgen_dirs / sizeof iocgen_dirs[0])

static const char *const iocgen_exts[] = {".php", ".exe", ".zip", ".html", ".js", ""};
#define IOCGEN_N_EXTS (sizeof iocgen_exts / sizeof iocgen_exts[0])

/* 64-bit FNV-1a over s, mixed, with the kind folded in: the key of a string value in
 * iocgen.strs. Two different values share a key with probability ~2^-64; that would
 * only make gen_logs reject a decoy candidate, never plant a wrong one. */
static inline uint64_t iocgen_str_key(enum ioc_kind kind, const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ (uint64_t)kind;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return u64set_mix(h);
}

/* A small appender for building values: writes at *pos, keeps NUL termination,
 * truncates (never overflows) at cap. */
static inline void iocgen_put(char *out, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n >= cap)
        n = cap - 1 - *pos;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
}

static inline void iocgen_put_u(char *out, size_t cap, size_t *pos, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && *pos + 1 < cap)
        out[(*pos)++] = tmp[--n];
    out[*pos] = '\0';
}

static inline void iocgen_put_ipv4(char *out, size_t cap, size_t *pos, uint32_t a)
{
    for (int i = 3; i >= 0; i--) {
        iocgen_put_u(out, cap, pos, (a >> (8 * i)) & 0xffu);
        if (i)
            iocgen_put(out, cap, pos, ".");
    }
}

/* An RFC 4122 version 4 UUID from the stream: version nibble 4, variant 10xx. */
static inline void iocgen_uuid(struct rng *r, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = rng_next(r), lo = rng_next(r);
    unsigned char b[16];
    size_t o = 0;

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

/* Writes the n low decimal digits of v (zero-padded) at out. */
static inline void iocgen_digits(char *out, unsigned v, int n)
{
    while (n-- > 0) {
        out[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "YYYY-MM-DDTHH:MM:SS" (19 characters, no NUL) for Unix time t, UTC. */
static inline void iocgen_fmt_time(char out[19], long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    iocgen_digits(out, (unsigned)(tm.tm_year + 1900), 4);
    out[4] = '-';
    iocgen_digits(out + 5, (unsigned)(tm.tm_mon + 1), 2);
    out[7] = '-';
    iocgen_digits(out + 8, (unsigned)tm.tm_mday, 2);
    out[10] = 'T';
    iocgen_digits(out + 11, (unsigned)tm.tm_hour, 2);
    out[13] = ':';
    iocgen_digits(out + 14, (unsigned)tm.tm_min, 2);
    out[16] = ':';
    iocgen_digits(out + 17, (unsigned)tm.tm_sec, 2);
}

/* RFC 3339 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z, within 2024. */
static inline void iocgen_time(struct rng *r, char out[32])
{
    long long ms = (long long)rng_below(r, (uint64_t)IOCGEN_SPAN_MS);

    iocgen_fmt_time(out, IOCGEN_BASE_EPOCH + ms / 1000);
    out[19] = '.';
    iocgen_digits(out + 20, (unsigned)(ms % 1000), 3);
    out[23] = 'Z';
    out[24] = '\0';
}

static inline const char *iocgen_word(struct rng *r)
{
    return iocgen_words[rng_below(r, IOCGEN_N_WORDS)];
}

/* An address in the indicator space: first octet 1-126 without 10, last octet 1-254. */
static inline uint32_t iocgen_addr(struct rng *r)
{
    uint32_t o1 = 1 + (uint32_t)rng_below(r, 125); /* 1..125 */
    uint32_t mid = (uint32_t)rng_below(r, 65536);
    uint32_t o4 = 1 + (uint32_t)rng_below(r, 254);

    if (o1 >= 10)
        o1++; /* 1..9, 11..126 */
    return o1 << 24 | mid << 8 | o4;
}

/* A domain label like "secure-wallet417" or "raventrack" (no leading/trailing '-'). */
static inline void iocgen_label(struct rng *r, char *out, size_t cap, size_t *pos)
{
    iocgen_put(out, cap, pos, iocgen_word(r));
    if (rng_below(r, 2))
        iocgen_put(out, cap, pos, "-");
    iocgen_put(out, cap, pos, iocgen_word(r));
    if (rng_below(r, 4))
        iocgen_put_u(out, cap, pos, rng_below(r, 1000));
}

/* Draws one value of kind k into v (no uniqueness check). */
static inline void iocgen_draw(struct rng *r, enum ioc_kind k, struct ioc *v)
{
    size_t p = 0;

    v->value[0] = '\0';
    switch (k) {
    case IOC_IPV4:
        v->addr = iocgen_addr(r);
        v->prefix = 32;
        iocgen_put_ipv4(v->value, sizeof v->value, &p, v->addr);
        break;
    case IOC_CIDR:
        v->prefix = 16 + (int)rng_below(r, 13); /* 16..28 */
        v->addr = iocgen_addr(r) & (UINT32_C(0xffffffff) << (32 - v->prefix));
        iocgen_put_ipv4(v->value, sizeof v->value, &p, v->addr);
        iocgen_put(v->value, sizeof v->value, &p, "/");
        iocgen_put_u(v->value, sizeof v->value, &p, (unsigned)v->prefix);
        break;
    case IOC_DOMAIN:
        if (rng_below(r, 5) == 0) {
            iocgen_put(v->value, sizeof v->value, &p, iocgen_subs[rng_below(r, IOCGEN_N_SUBS)]);
            iocgen_put(v->value, sizeof v->value, &p, ".");
        }
        iocgen_label(r, v->value, sizeof v->value, &p);
        iocgen_put(v->value, sizeof v->value, &p, ".");
        iocgen_put(v->value, sizeof v->value, &p, IOC_TLDS[rng_below(r, IOC_N_TLDS)]);
        break;
    case IOC_URL:
        iocgen_put(v->value, sizeof v->value, &p, "http://");
        if (rng_below(r, 3) == 0)
            iocgen_put(v->value, sizeof v->value, &p, "www.");
        iocgen_label(r, v->value, sizeof v->value, &p);
        iocgen_put(v->value, sizeof v->value, &p, ".");
        iocgen_put(v->value, sizeof v->value, &p, URL_TLDS[rng_below(r, URL_N_TLDS)]);
        iocgen_put(v->value, sizeof v->value, &p, "/");
        iocgen_put(v->value, sizeof v->value, &p, iocgen_dirs[rng_below(r, IOCGEN_N_DIRS)]);
        iocgen_put(v->value, sizeof v->value, &p, "/");
        iocgen_put(v->value, sizeof v->value, &p, iocgen_word(r));
        iocgen_put_u(v->value, sizeof v->value, &p, rng_below(r, 100000));
        iocgen_put(v->value, sizeof v->value, &p, iocgen_exts[rng_below(r, IOCGEN_N_EXTS)]);
        break;
    default: {
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 4; i++) {
            uint64_t x = rng_next(r);
            for (int j = 0; j < 16; j++)
                v->value[p++] = hex[(x >> (60 - 4 * j)) & 15];
        }
        v->value[p] = '\0';
        break;
    }
    }
    v->value_len = p;
}

/* Records v in the sets; returns 0 if its value was already in the set. */
static inline int iocgen_add(struct iocgen *g, const struct ioc *v)
{
    switch (v->kind) {
    case IOC_IPV4:
        return u64set_add(&g->ips, v->addr);
    case IOC_CIDR:
        return u64set_add(&g->cidrs, (uint64_t)v->prefix << 32 | v->addr);
    default:
        return u64set_add(&g->strs, iocgen_str_key(v->kind, v->value, v->value_len));
    }
}

/* Starts the sequence for seed; the bundle id is the stream's first draw. */
static inline void iocgen_init(struct iocgen *g, uint64_t seed, char bundle_uuid[37])
{
    g->rng.s = seed;
    u64set_init(&g->ips);
    u64set_init(&g->cidrs);
    u64set_init(&g->strs);
    iocgen_uuid(&g->rng, bundle_uuid);
}

static inline void iocgen_free(struct iocgen *g)
{
    u64set_free(&g->ips);
    u64set_free(&g->cidrs);
    u64set_free(&g->strs);
}

/* The next indicator of the sequence, into *out. */
static inline void iocgen_next(struct iocgen *g, struct ioc *out)
{
    uint64_t pick = rng_below(&g->rng, 100);

    if (pick < 40)
        out->kind = IOC_IPV4;
    else if (pick < 45)
        out->kind = IOC_CIDR;
    else if (pick < 75)
        out->kind = IOC_DOMAIN;
    else if (pick < 85)
        out->kind = IOC_URL;
    else
        out->kind = IOC_SHA256;
    iocgen_uuid(&g->rng, out->uuid);
    iocgen_time(&g->rng, out->ts);
    do
        iocgen_draw(&g->rng, out->kind, out);
    while (!iocgen_add(g, out));
}

/* ---- queries for gen_logs ---- */

/* 1 if a is an indicator address or lies in an indicator range. */
static inline int iocgen_ip_hit(const struct iocgen *g, uint32_t a)
{
    if (u64set_has(&g->ips, a))
        return 1;
    for (int p = 16; p <= 28; p++)
        if (u64set_has(&g->cidrs, (uint64_t)p << 32 | (a & (UINT32_C(0xffffffff) << (32 - p)))))
            return 1;
    return 0;
}

/* 1 if the string value s[0..len) of kind k is in the set. */
static inline int iocgen_has_str(const struct iocgen *g, enum ioc_kind k, const char *s, size_t len)
{
    return u64set_has(&g->strs, iocgen_str_key(k, s, len));
}

/* 1 if the canonical domain d[0..len), or any of its parents, is an indicator domain:
 * what a matcher with the parent-domain walk reports. */
static inline int iocgen_domain_hit(const struct iocgen *g, const char *d, size_t len)
{
    for (;;) {
        const char *dot;
        if (iocgen_has_str(g, IOC_DOMAIN, d, len))
            return 1;
        dot = memchr(d, '.', len);
        if (!dot)
            return 0;
        len -= (size_t)(dot + 1 - d);
        d = dot + 1;
    }
}

#endif
