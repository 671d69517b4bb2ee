/* index/hot.c - the matcher's prefilter (see hot.h): a Bloom filter of tagged keys
 * and a two-bit-per-/24 map of IPv4 space, both derived from an index. */
#include "index/hot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Tags keep the kinds apart in one filter. */
#define TAG_DOMAIN 0x646f6d61696e0001ull
#define TAG_URLHOST 0x75726c686f730002ull
#define TAG_HASH 0x6861736800000003ull
#define TAG_IP4 0x6970763400000004ull
#define TAG_NET4 0x6e65743400000005ull

#define NET24_WORDS (2u * ((1u << 24) / 64)) /* (exact-or-long, covered) word pairs */

struct hot {
    uint64_t *bloom;
    uint64_t n_bloom;     /* a power of two */
    uint64_t *net24;      /* NULL when the index has no IPv4 key */
    uint32_t long_mask;   /* bit p - 24 for each range prefix length 24..31 present */
    uint64_t dom_labels;  /* bit L - 1 for each label count L of a domain key (63: 64+) */
    unsigned kinds;       /* bit k for each obs_kind with a key */
    size_t n_keys;
    int borrowed;         /* bloom and net24 point into a blob (hot_view) */
    int one_block;        /* net24 lies in bloom's allocation (hot_view's copy) */
};

/* The saved form (hot_save): this header, bloom[], then net24[] if has_net24. The
 * magic's last byte is the version of the key functions: a blob made with other ones
 * is refused (and the caller builds a new filter). */
#define HOT_MAGIC "MZHOT\0\0\3"
struct hot_blob {
    char magic[8];
    uint64_t n_bloom, n_keys, has_net24, dom_labels;
    uint32_t long_mask, kinds;
};

/* ---- hashing ---- */

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static inline uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

/* 8 bytes as a little-endian word (the same on every host). */
static inline uint64_t le64(const char *s)
{
    uint64_t w;

    memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* n < 8 bytes, zero-extended. */
static inline uint64_t le_short(const char *s, size_t n)
{
    uint64_t w = 0;

    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
}

/* ASCII upper case to lower in all 8 bytes at once (bytes >= 0x80 untouched). */
static inline uint64_t fold8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t low7 = w & (0x7f * ones);
    uint64_t ge_a = low7 + (0x80 - 'A') * ones;     /* bit 7 set where byte >= 'A' */
    uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; /* bit 7 set where byte > 'Z' */

    return w | ((ge_a & ~gt_z & ~w & (0x80 * ones)) >> 2);
}

/* The key of a string of n bytes whose first 8 bytes are first and last 8 bytes are
 * last (both the same zero-extended word when n < 8), case folded. Not a hash of
 * every byte: strings that share their length, first and last 8 bytes share a key,
 * which only makes the filter say "maybe" more often; in exchange a domain's key and
 * every parent's cost two loads each, with no chain of per-byte multiplies. */
static inline uint64_t str_key_folded(uint64_t ffirst, uint64_t flast, size_t n)
{
    return mix((ffirst * 0x9e3779b97f4a7c15ull) ^ flast ^ ((uint64_t)n << 48));
}

static inline uint64_t str_key(uint64_t first, uint64_t last, size_t n)
{
    return str_key_folded(fold8(first), fold8(last), n);
}

static uint64_t key_of(const char *s, size_t n)
{
    uint64_t w;

    if (n >= 8)
        return str_key(le64(s), le64(s + n - 8), n);
    w = le_short(s, n);
    return str_key(w, w, n);
}

static inline uint64_t bloom_bits(uint64_t h)
{
    return (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63)) |
           (1ull << ((h >> 52) & 63)) | (1ull << ((h >> 58) & 63));
}

static inline int bloom_maybe(const struct hot *h, uint64_t k)
{
    uint64_t bits = bloom_bits(k);
    return (h->bloom[k & (h->n_bloom - 1)] & bits) == bits;
}

static void bloom_add(struct hot *h, uint64_t k)
{
    h->bloom[k & (h->n_bloom - 1)] |= bloom_bits(k);
}

/* ---- the /24 map ---- */

static inline uint64_t *net24_word(uint64_t *m, uint32_t block, int covered)
{
    return &m[2 * (block >> 6) + (unsigned)covered];
}

static void net24_set(uint64_t *m, uint32_t block, int covered)
{
    *net24_word(m, block, covered) |= 1ull << (block & 63);
}

/* Mark blocks [first, first + count) as covered by a range. */
static void net24_cover(uint64_t *m, uint32_t first, uint32_t count)
{
    uint64_t b = first, end = (uint64_t)first + count;

    while (b < end && (b & 63))
        net24_set(m, (uint32_t)b++, 1);
    for (; b + 64 <= end; b += 64)
        *net24_word(m, (uint32_t)b, 1) = ~0ull;
    while (b < end)
        net24_set(m, (uint32_t)b++, 1);
}

/* ---- building ---- */

/* The host of a canonical URL: after "scheme://" and any userinfo, up to the port,
 * path, query or fragment; an IPv6 literal with its brackets. */
static int url_host_span(const char *u, size_t n, size_t *off, size_t *len)
{
    const char *p = memchr(u, ':', n), *end = u + n, *h, *q, *colon = NULL;

    if (!p || end - p < 3 || p[1] != '/' || p[2] != '/')
        return 0;
    h = p + 3;
    for (q = h; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
        if (*q == '@')
            h = q + 1;
    end = q;
    if (h < end && *h == '[') {
        q = memchr(h, ']', (size_t)(end - h));
        if (!q)
            return 0;
        end = q + 1;
    } else {
        for (q = h; q < end; q++)
            if (*q == ':')
                colon = q;
        if (colon)
            end = colon;
    }
    *off = (size_t)(h - u);
    *len = (size_t)(end - h);
    return 1;
}

struct build {
    struct hot *h;
    int count_only;
};

static int add_key(void *vctx, enum obs_kind kind, int prefix, const void *key, size_t len)
{
    struct build *b = vctx;
    struct hot *h = b->h;
    uint32_t a;
    int p;

    h->kinds |= 1u << kind;
    if (b->count_only) {
        h->n_keys++;
        return 0;
    }
    switch (kind) {
    case OBS_IPV4:
        if (prefix < 0) {
            if (obs_ipv4_parse(key, len, &a, &p))
                return 0;
            prefix = p;
        } else {
            memcpy(&a, key, 4);
        }
        if (prefix >= 32) {
            net24_set(h->net24, a >> 8, 0);
            bloom_add(h, mix(TAG_IP4 ^ a));
        } else if (prefix >= 24) {
            net24_set(h->net24, a >> 8, 0);
            h->long_mask |= 1u << (prefix - 24);
            bloom_add(h, mix(TAG_NET4 ^ ((uint64_t)prefix << 32) ^ a));
        } else {
            net24_cover(h->net24, (a >> 8) & ~((1u << (24 - prefix)) - 1), 1u << (24 - prefix));
        }
        break;
    case OBS_DOMAIN: {
        unsigned labels = 1;
        for (size_t i = 0; i < len; i++)
            labels += ((const char *)key)[i] == '.';
        h->dom_labels |= 1ull << (labels > 64 ? 63 : labels - 1);
        bloom_add(h, TAG_DOMAIN ^ key_of(key, len));
        break;
    }
    case OBS_URL: {
        size_t off, n;
        if (url_host_span(key, len, &off, &n))
            bloom_add(h, TAG_URLHOST ^ key_of((const char *)key + off, n));
        else
            h->kinds |= 1u << OBS_N_KINDS; /* a URL without a host: every URL is a maybe */
        break;
    }
    case OBS_MD5:
    case OBS_SHA1:
    case OBS_SHA256:
    case OBS_SHA512:
        bloom_add(h, TAG_HASH ^ key_of(key, len));
        break;
    default:
        break; /* IPv6, e-mail, wallets: the caller asks hot_has_kind() */
    }
    return 0;
}

enum mz_err hot_build(const struct idx *ix, struct hot **out, struct mz_error *err)
{
    struct hot *h = calloc(1, sizeof *h);
    struct build b = {h, 1};

    if (!h)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    idx_each_key(ix, add_key, &b);
    /* 32 bits per key: about 0.03 % false "maybe" per probe */
    h->n_bloom = 64;
    while (h->n_bloom * 2 < h->n_keys)
        h->n_bloom *= 2;
    h->bloom = calloc(h->n_bloom, sizeof *h->bloom);
    if (h->kinds & (1u << OBS_IPV4))
        h->net24 = calloc(NET24_WORDS, sizeof *h->net24);
    if (!h->bloom || ((h->kinds & (1u << OBS_IPV4)) && !h->net24)) {
        hot_free(h);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    h->kinds = 0;
    b.count_only = 0;
    idx_each_key(ix, add_key, &b);
    *out = h;
    return MZ_OK;
}

void hot_free(struct hot *h)
{
    if (!h)
        return;
    if (!h->borrowed) {
        free(h->bloom);
        if (!h->one_block)
            free(h->net24);
    }
    free(h);
}

static size_t blob_size(uint64_t n_bloom, int has_net24)
{
    return sizeof(struct hot_blob) + (size_t)n_bloom * sizeof(uint64_t) +
           (has_net24 ? NET24_WORDS * sizeof(uint64_t) : 0);
}

enum mz_err hot_save(const struct hot *h, void **out, size_t *len, struct mz_error *err)
{
    struct hot_blob b;
    size_t n = blob_size(h->n_bloom, h->net24 != NULL);
    char *p = malloc(n);

    if (!p)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    memset(&b, 0, sizeof b);
    memcpy(b.magic, HOT_MAGIC, 8);
    b.n_bloom = h->n_bloom;
    b.n_keys = h->n_keys;
    b.has_net24 = h->net24 != NULL;
    b.long_mask = h->long_mask;
    b.dom_labels = h->dom_labels;
    b.kinds = h->kinds;
    memcpy(p, &b, sizeof b);
    memcpy(p + sizeof b, h->bloom, h->n_bloom * sizeof *h->bloom);
    if (h->net24)
        memcpy(p + sizeof b + h->n_bloom * sizeof *h->bloom, h->net24, NET24_WORDS * sizeof *h->net24);
    *out = p;
    *len = n;
    return MZ_OK;
}

/* The filter's arrays are probed at random, a few times per log value: in 4 KiB
 * pages the 8 MiB of them (1M indicators) need about 2 000 TLB entries and the probes stall on page
 * walks. So the view copies them (a few milliseconds) into memory aligned for
 * transparent huge pages and asks for those; where the kernel says no, the copy is
 * still as good as the mapping. 0 on success. */
static int copy_to_huge_pages(struct hot *h, const char *arrays, int has_net24)
{
    size_t bloom_bytes = (size_t)h->n_bloom * sizeof *h->bloom;
    size_t bytes = bloom_bytes + (has_net24 ? NET24_WORDS * sizeof *h->net24 : 0);
    size_t huge = (size_t)2 << 20, alloc = (bytes + huge - 1) & ~(huge - 1);
    void *p = NULL;

    if (posix_memalign(&p, huge, alloc) != 0)
        return -1;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, alloc, MADV_HUGEPAGE);
#endif
    memcpy(p, arrays, bytes);
    h->bloom = p;
    h->net24 = has_net24 ? h->bloom + h->n_bloom : NULL;
    h->one_block = 1;
    return 0;
}

enum mz_err hot_view(const void *blob, size_t len, struct hot **out, struct mz_error *err)
{
    struct hot_blob b;
    struct hot *h;

    if (!blob || len < sizeof b || ((uintptr_t)blob & 7))
        return mz_error_set(err, MZ_EINVAL, "", "no prefilter in the snapshot");
    memcpy(&b, blob, sizeof b);
    if (memcmp(b.magic, HOT_MAGIC, 8) || b.n_bloom < 64 || (b.n_bloom & (b.n_bloom - 1)) ||
        b.n_bloom > len / sizeof(uint64_t) || b.has_net24 > 1 ||
        len != blob_size(b.n_bloom, (int)b.has_net24))
        return mz_error_set(err, MZ_EINVAL, "", "the snapshot's prefilter is malformed");
    h = calloc(1, sizeof *h);
    if (!h)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    h->n_bloom = b.n_bloom;
    h->n_keys = (size_t)b.n_keys;
    h->long_mask = b.long_mask & 0xffu;
    h->dom_labels = b.dom_labels;
    h->kinds = b.kinds;
    if (copy_to_huge_pages(h, (const char *)blob + sizeof b, (int)b.has_net24) == 0) {
        *out = h;
        return MZ_OK;
    }
    /* in place, then: the blob is 8-byte aligned (checked above) */
    h->borrowed = 1;
    h->bloom = (uint64_t *)(uintptr_t)((const char *)blob + sizeof b);
    h->net24 = b.has_net24 ? h->bloom + h->n_bloom : NULL;
    *out = h;
    return MZ_OK;
}

size_t hot_bytes(const struct hot *h)
{
    return sizeof *h + h->n_bloom * sizeof *h->bloom + (h->net24 ? NET24_WORDS * sizeof *h->net24 : 0);
}

/* ---- queries ---- */

int hot_has_kind(const struct hot *h, enum obs_kind k)
{
    return (h->kinds >> k) & 1;
}

/* ---- probes ---- */

static inline void probe_bloom(const struct hot *h, uint64_t k, struct hot_probes *ps)
{
    const uint64_t *w = &h->bloom[k & (h->n_bloom - 1)];

    __builtin_prefetch(w);
    if (ps->n == HOT_MAX_PROBES) {
        ps->maybe = 1;
        return;
    }
    ps->p[ps->n].word = w;
    ps->p[ps->n].bits = bloom_bits(k);
    ps->p[ps->n].addr = 0;
    ps->p[ps->n].ipv4 = 0;
    ps->n++;
}

void hot_probe_ipv4(const struct hot *h, uint32_t a, struct hot_probes *ps)
{
    uint32_t block = a >> 8;
    const uint64_t *w;

    if (!h->net24)
        return;
    if (ps->n == HOT_MAX_PROBES) {
        ps->maybe = 1;
        return;
    }
    w = &h->net24[2 * (block >> 6)];
    __builtin_prefetch(w);
    ps->p[ps->n].word = w;
    ps->p[ps->n].bits = 1ull << (block & 63);
    ps->p[ps->n].addr = a;
    ps->p[ps->n].ipv4 = 1;
    ps->n++;
}

/* The /24 of a is marked as holding an exact address or a long range: which? */
static int ipv4_second_stage(const struct hot *h, uint32_t a)
{
    if (bloom_maybe(h, mix(TAG_IP4 ^ a)))
        return 1;
    for (uint32_t m = h->long_mask; m; m &= m - 1) {
        int p = 24 + __builtin_ctz(m);
        uint32_t net = a & (0xffffffffu << (32 - p));
        if (bloom_maybe(h, mix(TAG_NET4 ^ ((uint64_t)p << 32) ^ net)))
            return 1;
    }
    return 0;
}

/* Every suffix of s that starts at 0 or after a dot: the name and its parents. */
/* Bit 7 of each byte of w that is a '.', and nothing else (exact per byte). */
static inline uint64_t dot_bytes(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t x = w ^ 0x2e2e2e2e2e2e2e2eull; /* zero where w has a '.' */

    return ~(((x & low7) + low7) | x | low7);
}

/* Is there a domain key of this many labels? */
static inline int labels_wanted(const struct hot *h, size_t labels)
{
    return (h->dom_labels >> (labels > 64 ? 63 : labels - 1)) & 1;
}

/* The positions after each '.' of s[0..n) into starts[] (at most 64; -1 if more). */
static inline int dot_starts(const char *s, size_t n, size_t starts[64])
{
    size_t i = 0;
    int ns = 0;
    uint64_t m;

    for (; i + 8 <= n; i += 8)
        for (m = dot_bytes(le64(s + i)); m; m &= m - 1) {
            if (ns == 64)
                return -1;
            starts[ns++] = i + (size_t)__builtin_ctzll(m) / 8 + 1;
        }
    if (i == n)
        return ns;
    if (n >= 8) {
        /* the last bytes: the word ending at n, without the bytes already seen */
        for (m = dot_bytes(le64(s + n - 8)) & (~0ull << (8 * (8 - (n - i)))); m; m &= m - 1) {
            if (ns == 64)
                return -1;
            starts[ns++] = n - 8 + (size_t)__builtin_ctzll(m) / 8 + 1;
        }
        return ns;
    }
    for (; i < n; i++)
        if (s[i] == '.')
            starts[ns++] = i + 1; /* n < 8: no more than 7 */
    return ns;
}

/* Every suffix of s that starts at 0 or after a dot: the name and its parents. The
 * last word's folding is shared by every suffix of eight bytes or more, and is the
 * shorter suffixes' whole word shifted. */
/* Returns the key of the whole name (computed when it is probed, or when full_key is
 * set: a URL's host is also asked about as a URL host, under the same key). */
static uint64_t probe_suffixes(const struct hot *h, const char *s, size_t n, struct hot_probes *ps, int full_key)
{
    size_t starts[65], labels;
    int ns = dot_starts(s, n, starts + 1), regular = n > 0 && s[0] != '.' && s[n - 1] != '.';
    uint64_t flast = n >= 8 ? fold8(le64(s + n - 8)) : 0;

    uint64_t whole = 0;

    if (ns < 0) {
        ps->maybe = 1; /* a name of more than 64 labels: not worth a probe each */
        return 0;
    }
    /* Keys are canonical: no empty label. For such a name only the suffixes with a
     * label count that some key has are probed; others are probed all. */
    for (int k = 2; k <= ns && regular; k++)
        regular = starts[k] > starts[k - 1] + 1;
    starts[0] = 0;
    labels = (size_t)ns + 1;
    for (int k = 0; k <= ns; k++) {
        size_t st = starts[k], len = n - st;
        uint64_t f;
        uint64_t key;
        int wanted = !regular || labels_wanted(h, labels - (size_t)k);
        if ((k > 0 && (st >= n || !wanted)) || (k == 0 && !wanted && !full_key))
            continue;
        if (len >= 8) {
            key = str_key_folded(fold8(le64(s + st)), flast, len);
        } else {
            f = n >= 8 ? flast >> (8 * (8 - len)) : fold8(le_short(s + st, len));
            key = str_key_folded(f, f, len);
        }
        if (k == 0)
            whole = key;
        if (wanted)
            probe_bloom(h, TAG_DOMAIN ^ key, ps);
    }
    return whole;
}

void hot_probe_domain(const struct hot *h, const char *s, size_t n, struct hot_probes *ps)
{
    if (h->kinds & (1u << OBS_DOMAIN))
        probe_suffixes(h, s, n, ps, 0);
}

void hot_probe_host(const struct hot *h, const char *s, size_t n, struct hot_probes *ps)
{
    if (h->kinds & (1u << OBS_N_KINDS)) {
        ps->maybe = 1;
        return;
    }
    if (h->kinds & (1u << OBS_DOMAIN)) {
        uint64_t whole = probe_suffixes(h, s, n, ps, (h->kinds >> OBS_URL) & 1);
        if ((h->kinds & (1u << OBS_URL)) && !ps->maybe)
            probe_bloom(h, TAG_URLHOST ^ whole, ps);
    } else if (h->kinds & (1u << OBS_URL)) {
        probe_bloom(h, TAG_URLHOST ^ key_of(s, n), ps);
    }
}

void hot_probe_url_host(const struct hot *h, const char *s, size_t n, struct hot_probes *ps)
{
    if (h->kinds & (1u << OBS_N_KINDS))
        ps->maybe = 1;
    else if (h->kinds & (1u << OBS_URL))
        probe_bloom(h, TAG_URLHOST ^ key_of(s, n), ps);
}

void hot_probe_hash(const struct hot *h, const char *s, size_t n, struct hot_probes *ps)
{
    if (h->kinds & ((1u << OBS_MD5) | (1u << OBS_SHA1) | (1u << OBS_SHA256) | (1u << OBS_SHA512)))
        probe_bloom(h, TAG_HASH ^ key_of(s, n), ps);
}

int hot_probes_maybe(const struct hot *h, const struct hot_probes *ps)
{
    if (ps->maybe)
        return 1;
    for (size_t i = 0; i < ps->n; i++) {
        const struct hot_probe *p = &ps->p[i];
        if (!p->ipv4) {
            if ((*p->word & p->bits) == p->bits)
                return 1;
        } else if (p->word[1] & p->bits) {
            return 1; /* inside a range shorter than /24 */
        } else if ((p->word[0] & p->bits) && ipv4_second_stage(h, p->addr)) {
            return 1;
        }
    }
    return 0;
}
