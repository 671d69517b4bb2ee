/* index/idx.c - see idx.h for the layout and why it is hand-written. */
#include "index/idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "obs/ascii.h"

#define IDX_MAGIC "MZIDX\0\0\1"
#define IDX_VERSION 4 /* 2: a seventh section, the caller's extra blob; 3: the header is
                       * under the checksum too; 4: objects carry their communities */
#define KEY_NET4 (OBS_N_KINDS + 0) /* key kinds beyond obs_kind: CIDR ranges */
#define KEY_NET6 (OBS_N_KINDS + 1)
#define MAX_KEY (1 + 16 + OBS_MAX_LEN)

struct idx_entry {
    uint64_t hash;
    uint32_t str_off;   /* key bytes in strings[] */
    uint32_t len_kind;  /* key length << 8 | key kind */
    uint32_t post_head; /* first posting + 1, 0 for none */
    uint32_t reserved;
};

struct idx_post {
    uint32_t obj;
    uint32_t next; /* next posting + 1, 0 at the end */
};

/* The snapshot header; arrays follow it in this order, each 8-byte aligned. */
struct idx_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint64_t generation;
    uint64_t checksum;      /* XXH3 of the whole file, this field read as 0 */
    uint64_t n_objs, n_entries, n_slots, n_posts, n_bloom, n_strings;
    uint64_t mask4;         /* prefix lengths 0..32 present among IPv4 ranges */
    uint64_t mask6[3];      /* prefix lengths 0..128 present among IPv6 ranges */
    uint64_t n_extra;       /* bytes of the extra blob (the matcher's prefilter) */
};

struct idx {
    struct idx_obj *objs;
    struct idx_entry *entries;
    uint32_t *slots;        /* entry number + 1, 0 = empty; n_slots is a power of two */
    struct idx_post *posts;
    uint64_t *bloom;        /* n_bloom is a power of two */
    char *strings;
    uint64_t n_objs, n_entries, n_slots, n_posts, n_bloom, n_strings;
    uint64_t cap_objs, cap_entries, cap_posts, cap_strings;
    uint64_t mask4, mask6[3];
    /* IPv4 ranges again, in a table of their own keyed by (prefix, network) as one
     * integer, with its own small Bloom filter: an address is probed once per prefix
     * length present, and this keeps each probe to a multiply and one cached word
     * instead of a string hash into the big table. Rebuilt from entries[] on load. */
    uint64_t *r4_keys;      /* prefix << 32 | network, + 1; 0 = empty */
    uint32_t *r4_vals;      /* entry number */
    uint64_t r4_cap, r4_n;
    uint64_t *r4_bloom;
    uint64_t r4_bloom_n;
    void *map;              /* non-NULL when loaded from a snapshot (read-only) */
    size_t map_len;
    const void *extra;      /* in the map: the blob saved with the snapshot */
    uint64_t n_extra;
};

/* ---- helpers ---- */

static int grow(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
    uint64_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return -1;
    p = realloc(*arr, (size_t)(ncap * elem));
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static uint64_t key_hash(const unsigned char *key, size_t len)
{
    return XXH3_64bits(key, len);
}

/* Four bits of one 64-bit word, all chosen by the hash. */
static uint64_t bloom_bits(uint64_t h)
{
    return (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63)) |
           (1ull << ((h >> 52) & 63)) | (1ull << ((h >> 58) & 63));
}

static int bloom_maybe(const struct idx *ix, uint64_t h)
{
    uint64_t bits = bloom_bits(h);
    return (ix->bloom[h & (ix->n_bloom - 1)] & bits) == bits;
}

static void bloom_add(struct idx *ix, uint64_t h)
{
    ix->bloom[h & (ix->n_bloom - 1)] |= bloom_bits(h);
}

/* key = kind byte + value bytes */
static size_t make_key(unsigned char *key, int kind, const void *val, size_t len)
{
    key[0] = (unsigned char)kind;
    memcpy(key + 1, val, len);
    return len + 1;
}

static const struct idx_entry *find_entry(const struct idx *ix, const unsigned char *key,
                                          size_t len, uint64_t h)
{
    uint64_t mask = ix->n_slots - 1, i;

    if (!ix->n_entries || !bloom_maybe(ix, h))
        return NULL;
    for (i = (h >> 7) & mask;; i = (i + 1) & mask) {
        uint32_t s = ix->slots[i];
        const struct idx_entry *e;
        if (!s)
            return NULL;
        e = &ix->entries[s - 1];
        if (e->hash == h && (e->len_kind >> 8) == len &&
            memcmp(ix->strings + e->str_off, key, len) == 0)
            return e;
    }
}

/* ---- building ---- */

enum mz_err idx_new(struct idx **out, struct mz_error *err)
{
    struct idx *ix = calloc(1, sizeof *ix);

    if (!ix)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    ix->n_slots = 1024;
    ix->slots = calloc(ix->n_slots, sizeof *ix->slots);
    ix->n_bloom = 256;
    ix->bloom = calloc(ix->n_bloom, sizeof *ix->bloom);
    ix->strings = malloc(1024);
    ix->cap_strings = 1024;
    if (!ix->slots || !ix->bloom || !ix->strings) {
        idx_free(ix);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    ix->strings[0] = '\0'; /* offset 0 is "" */
    ix->n_strings = 1;
    *out = ix;
    return MZ_OK;
}

void idx_free(struct idx *ix)
{
    if (!ix)
        return;
    free(ix->r4_keys);
    free(ix->r4_vals);
    free(ix->r4_bloom);
    if (ix->map) {
        munmap(ix->map, ix->map_len);
    } else {
        free(ix->objs);
        free(ix->entries);
        free(ix->slots);
        free(ix->posts);
        free(ix->bloom);
        free(ix->strings);
    }
    free(ix);
}

static int add_string(struct idx *ix, const void *s, size_t len, uint32_t *off_out)
{
    if (ix->n_strings + len + 1 > UINT32_MAX ||
        grow((void **)&ix->strings, &ix->cap_strings, ix->n_strings + len + 1, 1))
        return -1;
    memcpy(ix->strings + ix->n_strings, s, len);
    ix->strings[ix->n_strings + len] = '\0';
    *off_out = (uint32_t)ix->n_strings;
    ix->n_strings += len + 1;
    return 0;
}

static int parse_uuid(const char *s, uint8_t *out)
{
    int n = 0;

    for (; *s && n < 32; s++) {
        int v;
        if (*s == '-')
            continue;
        v = ascii_hex_val((unsigned char)*s);
        if (v < 0)
            return -1;
        if (n % 2 == 0)
            out[n / 2] = (uint8_t)(v << 4);
        else
            out[n / 2] |= (uint8_t)v;
        n++;
    }
    return n == 32 && !*s ? 0 : -1;
}

int idx_uuid_of(const char *stix_id, uint8_t *out)
{
    const char *sep = strstr(stix_id, "--");

    return sep ? parse_uuid(sep + 2, out) : -1;
}

/* Object types repeat: keep one copy of each (a short linear cache suffices, as a
 * node stores a few dozen types). */
static int intern_type(struct idx *ix, const char *type, size_t len, uint32_t *off_out)
{
    for (uint64_t i = ix->n_objs; i > 0 && i + 64 > ix->n_objs; i--) {
        uint32_t off = ix->objs[i - 1].type_off;
        if (strlen(ix->strings + off) == len && memcmp(ix->strings + off, type, len) == 0) {
            *off_out = off;
            return 0;
        }
    }
    return add_string(ix, type, len, off_out);
}

enum mz_err idx_add_obj(struct idx *ix, const struct idx_obj_in *in, uint32_t *obj_out,
                        struct mz_error *err)
{
    const char *sep = strstr(in->stix_id, "--");
    struct idx_obj o;

    if (ix->map)
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "a mapped index snapshot is read-only");
    memset(&o, 0, sizeof o);
    if (!sep || parse_uuid(sep + 2, o.uuid))
        return mz_error_set(err, MZ_EINVAL, "", "index: bad object id '%.80s'", in->stix_id);
    if (ix->n_objs >= UINT32_MAX - 1 ||
        grow((void **)&ix->objs, &ix->cap_objs, ix->n_objs + 1, sizeof *ix->objs) ||
        intern_type(ix, in->stix_id, (size_t)(sep - in->stix_id), &o.type_off) ||
        (in->audience && add_string(ix, in->audience, strlen(in->audience), &o.audience_off)) ||
        (in->pattern && add_string(ix, in->pattern, strlen(in->pattern), &o.pattern_off)))
        return mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    if (in->audience)
        o.audience_off++;
    if (in->pattern)
        o.pattern_off++;
    o.seq = in->seq;
    o.valid_from = in->valid_from;
    o.valid_until = in->valid_until;
    o.added = in->added;
    o.version = in->version;
    o.owner_org = (int32_t)in->owner_org;
    o.submitter = (int32_t)in->submitter;
    o.tlp = (uint8_t)in->tlp;
    o.comm = in->comm;
    o.flags = (uint8_t)in->flags;
    if (in->country && in->country[0] && in->country[1]) {
        o.country[0] = in->country[0];
        o.country[1] = in->country[1];
    }
    ix->objs[ix->n_objs] = o;
    *obj_out = (uint32_t)ix->n_objs++;
    return MZ_OK;
}

/* Resize the table to nslots (a power of two, more than twice the entries) and the
 * Bloom filter to 16 bits per entry, re-inserting every entry. */
static int resize_table(struct idx *ix, uint64_t nslots)
{
    uint64_t nbloom = ix->n_bloom;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    uint64_t *bloom;

    while (nbloom * 64 < (nslots / 2) * 16)
        nbloom *= 2;
    bloom = calloc(nbloom, sizeof *bloom);
    if (!slots || !bloom) {
        free(slots);
        free(bloom);
        return -1;
    }
    free(ix->slots);
    free(ix->bloom);
    ix->slots = slots;
    ix->n_slots = nslots;
    ix->bloom = bloom;
    ix->n_bloom = nbloom;
    for (uint64_t e = 0; e < ix->n_entries; e++) {
        uint64_t h = ix->entries[e].hash, i;
        for (i = (h >> 7) & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1))
            ;
        slots[i] = (uint32_t)e + 1;
        bloom_add(ix, h);
    }
    return 0;
}

static uint64_t r4_key(int prefix, uint32_t net)
{
    return (((uint64_t)prefix << 32) | net) + 1;
}

static uint64_t r4_mix(uint64_t k)
{
    k ^= k >> 31;
    k *= 0x9e3779b97f4a7c15ull;
    return k ^ (k >> 29);
}

static int r4_insert(struct idx *ix, uint64_t k, uint32_t entry)
{
    uint64_t j;

    if ((ix->r4_n + 1) * 2 > ix->r4_cap) {
        uint64_t ncap = ix->r4_cap ? ix->r4_cap * 2 : 1024, nbloom = 64;
        uint64_t *keys = calloc(ncap, sizeof *keys), *okeys = ix->r4_keys, *bloom;
        uint32_t *vals = calloc(ncap, sizeof *vals), *ovals = ix->r4_vals;
        while (nbloom * 64 < ncap * 8)
            nbloom *= 2;
        bloom = calloc(nbloom, sizeof *bloom);
        if (!keys || !vals || !bloom) {
            free(keys);
            free(vals);
            free(bloom);
            return -1;
        }
        free(ix->r4_bloom);
        ix->r4_keys = keys;
        ix->r4_vals = vals;
        ix->r4_bloom = bloom;
        ix->r4_bloom_n = nbloom;
        for (uint64_t i = 0; i < ix->r4_cap; i++) {
            uint64_t h;
            if (!okeys[i])
                continue;
            h = r4_mix(okeys[i]);
            for (j = h & (ncap - 1); keys[j]; j = (j + 1) & (ncap - 1))
                ;
            keys[j] = okeys[i];
            vals[j] = ovals[i];
            bloom[(h >> 20) & (nbloom - 1)] |= bloom_bits(h);
        }
        ix->r4_cap = ncap;
        free(okeys);
        free(ovals);
    }
    {
        uint64_t h = r4_mix(k);
        for (j = h & (ix->r4_cap - 1); ix->r4_keys[j]; j = (j + 1) & (ix->r4_cap - 1))
            if (ix->r4_keys[j] == k)
                return 0;
        ix->r4_keys[j] = k;
        ix->r4_vals[j] = entry;
        ix->r4_n++;
        ix->r4_bloom[(h >> 20) & (ix->r4_bloom_n - 1)] |= bloom_bits(h);
    }
    return 0;
}

static int add_key(struct idx *ix, uint32_t obj, const unsigned char *key, size_t len)
{
    uint64_t h = key_hash(key, len), i, mask;
    struct idx_entry *e = NULL;
    uint32_t s;

    if ((ix->n_entries + 1) * 2 > ix->n_slots && resize_table(ix, ix->n_slots * 2))
        return -1;
    mask = ix->n_slots - 1;
    for (i = (h >> 7) & mask; (s = ix->slots[i]) != 0; i = (i + 1) & mask) {
        struct idx_entry *c = &ix->entries[s - 1];
        if (c->hash == h && (c->len_kind >> 8) == len && !memcmp(ix->strings + c->str_off, key, len)) {
            e = c;
            break;
        }
    }
    if (!e) {
        uint32_t off;
        if (ix->n_entries >= UINT32_MAX - 1 ||
            grow((void **)&ix->entries, &ix->cap_entries, ix->n_entries + 1, sizeof *ix->entries) ||
            add_string(ix, key, len, &off))
            return -1;
        e = &ix->entries[ix->n_entries];
        e->hash = h;
        e->str_off = off;
        e->len_kind = (uint32_t)(len << 8) | key[0];
        e->post_head = 0;
        e->reserved = 0;
        ix->slots[i] = (uint32_t)++ix->n_entries;
        bloom_add(ix, h);
    }
    /* one posting per (key, object) */
    for (uint32_t p = e->post_head; p; p = ix->posts[p - 1].next)
        if (ix->posts[p - 1].obj == obj)
            return 0;
    if (ix->n_posts >= UINT32_MAX - 1 ||
        grow((void **)&ix->posts, &ix->cap_posts, ix->n_posts + 1, sizeof *ix->posts))
        return -1;
    ix->posts[ix->n_posts].obj = obj;
    ix->posts[ix->n_posts].next = e->post_head;
    e->post_head = (uint32_t)++ix->n_posts;
    return 0;
}

static uint32_t mask_v4(int prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static void mask_v6(const uint8_t *a, int prefix, uint8_t *out)
{
    for (int i = 0; i < 16; i++) {
        int bits = prefix - i * 8;
        uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        out[i] = a[i] & m;
    }
}

enum mz_err idx_add_value(struct idx *ix, uint32_t obj, enum obs_kind k, const char *canon,
                          size_t len, struct mz_error *err)
{
    unsigned char key[MAX_KEY];
    size_t klen;
    int prefix = -1;

    if (ix->map)
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "a mapped index snapshot is read-only");
    if (obj >= ix->n_objs || len > OBS_MAX_LEN || (unsigned)k >= OBS_N_KINDS)
        return mz_error_set(err, MZ_EINVAL, "", "index: bad value");
    if (k == OBS_IPV4 && memchr(canon, '/', len)) {
        uint32_t a;
        if (obs_ipv4_parse(canon, len, &a, &prefix))
            return mz_error_set(err, MZ_EINVAL, "", "index: bad IPv4 range");
        a = a & mask_v4(prefix);
        key[0] = KEY_NET4;
        key[1] = (unsigned char)prefix;
        memcpy(key + 2, &a, 4);
        klen = 6;
        ix->mask4 |= 1ull << prefix;
    } else if (k == OBS_IPV6 && memchr(canon, '/', len)) {
        uint8_t a[16];
        if (obs_ipv6_parse(canon, len, a, &prefix))
            return mz_error_set(err, MZ_EINVAL, "", "index: bad IPv6 range");
        key[0] = KEY_NET6;
        key[1] = (unsigned char)prefix;
        mask_v6(a, prefix, key + 2);
        klen = 18;
        ix->mask6[prefix / 64] |= 1ull << (prefix % 64);
    } else {
        klen = make_key(key, k, canon, len);
    }
    if (add_key(ix, obj, key, klen))
        return mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    if (key[0] == KEY_NET4) {
        uint32_t net;
        const struct idx_entry *e = find_entry(ix, key, klen, key_hash(key, klen));
        memcpy(&net, key + 2, 4);
        if (!e || r4_insert(ix, r4_key(key[1], net), (uint32_t)(e - ix->entries)))
            return mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    }
    return MZ_OK;
}

void idx_set_flags(struct idx *ix, uint32_t obj, unsigned flags)
{
    if (!ix->map && obj < ix->n_objs)
        ix->objs[obj].flags |= (uint8_t)flags;
}

/* ---- lookups ---- */

static size_t report(const struct idx *ix, const struct idx_entry *e, enum idx_via via,
                     const char *text, size_t text_len, idx_hit_fn fn, void *ctx, int *stop)
{
    size_t n = 0;

    for (uint32_t p = e->post_head; p && !*stop; p = ix->posts[p - 1].next) {
        n++;
        if (fn(ctx, ix->posts[p - 1].obj, via, text, text_len))
            *stop = 1;
    }
    return n;
}

/* A range's postings, with "/<prefix>" as the key's text (idx_hit_fn). */
static size_t report_range(const struct idx *ix, const struct idx_entry *e, int prefix, idx_hit_fn fn, void *ctx,
                           int *stop)
{
    char text[8];
    int len = snprintf(text, sizeof text, "/%d", prefix);

    return report(ix, e, IDX_VIA_RANGE, text, (size_t)len, fn, ctx, stop);
}

static size_t lookup_key(const struct idx *ix, int kind, const char *canon, size_t len,
                         enum idx_via via, idx_hit_fn fn, void *ctx, int *stop)
{
    unsigned char key[MAX_KEY];
    size_t klen = make_key(key, kind, canon, len);
    const struct idx_entry *e = find_entry(ix, key, klen, key_hash(key, klen));

    return e ? report(ix, e, via, canon, len, fn, ctx, stop) : 0;
}

static size_t lookup_ranges4(const struct idx *ix, uint32_t a, idx_hit_fn fn, void *ctx, int *stop)
{
    uint64_t hashes[33];
    int prefixes[33], n_p = 0;
    size_t n = 0;

    /* issue every prefix length's Bloom-word load first, then test them */
    for (uint64_t present = ix->mask4; present; present &= present - 1) {
        int p = __builtin_ctzll(present);
        uint64_t h = r4_mix(r4_key(p, a & mask_v4(p)));
        __builtin_prefetch(&ix->r4_bloom[(h >> 20) & (ix->r4_bloom_n - 1)]);
        prefixes[n_p] = p;
        hashes[n_p++] = h;
    }
    for (int i = 0; i < n_p && !*stop; i++) {
        uint64_t h = hashes[i], bits = bloom_bits(h), k, j;
        const struct idx_entry *e = NULL;
        if ((ix->r4_bloom[(h >> 20) & (ix->r4_bloom_n - 1)] & bits) != bits)
            continue;
        k = r4_key(prefixes[i], a & mask_v4(prefixes[i]));
        for (j = h & (ix->r4_cap - 1); ix->r4_keys[j]; j = (j + 1) & (ix->r4_cap - 1))
            if (ix->r4_keys[j] == k) {
                e = &ix->entries[ix->r4_vals[j]];
                break;
            }
        if (e)
            n += report_range(ix, e, prefixes[i], fn, ctx, stop);
    }
    return n;
}

static size_t lookup_ranges6(const struct idx *ix, const uint8_t *a, idx_hit_fn fn, void *ctx,
                             int *stop)
{
    size_t n = 0;

    for (int p = 0; p <= 128 && !*stop; p++) {
        unsigned char key[18];
        const struct idx_entry *e;
        if (!(ix->mask6[p / 64] & (1ull << (p % 64))))
            continue;
        key[0] = KEY_NET6;
        key[1] = (unsigned char)p;
        mask_v6(a, p, key + 2);
        e = find_entry(ix, key, 18, key_hash(key, 18));
        if (e)
            n += report_range(ix, e, p, fn, ctx, stop);
    }
    return n;
}

void idx_prefetch(const struct idx *ix, enum obs_kind k, const char *canon, size_t len)
{
    unsigned char key[MAX_KEY];
    size_t klen;

    if (len > OBS_MAX_LEN || !ix->n_entries)
        return;
    klen = make_key(key, k, canon, len);
    __builtin_prefetch(&ix->bloom[key_hash(key, klen) & (ix->n_bloom - 1)]);
}

size_t idx_lookup_exact(const struct idx *ix, enum obs_kind k, const char *canon, size_t len,
                        idx_hit_fn fn, void *ctx)
{
    int stop = 0;

    if (len > OBS_MAX_LEN)
        return 0;
    return lookup_key(ix, k, canon, len, IDX_VIA_EXACT, fn, ctx, &stop);
}

size_t idx_lookup(const struct idx *ix, enum obs_kind k, const char *canon, size_t len,
                  idx_hit_fn fn, void *ctx)
{
    int stop = 0;
    size_t n;

    if (len > OBS_MAX_LEN)
        return 0;
    n = lookup_key(ix, k, canon, len, IDX_VIA_EXACT, fn, ctx, &stop);
    if (k == OBS_DOMAIN) {
        size_t pos = 0;
        while (!stop && obs_domain_next_parent(canon, len, &pos))
            n += lookup_key(ix, k, canon + pos, len - pos, IDX_VIA_PARENT, fn, ctx, &stop);
    } else if (k == OBS_IPV4 && ix->mask4 && ix->r4_cap) {
        uint32_t a;
        int prefix;
        if (!obs_ipv4_parse(canon, len, &a, &prefix) && prefix == 32)
            n += lookup_ranges4(ix, a, fn, ctx, &stop);
    } else if (k == OBS_IPV6 && (ix->mask6[0] | ix->mask6[1] | ix->mask6[2])) {
        uint8_t a[16];
        int prefix;
        if (!obs_ipv6_parse(canon, len, a, &prefix) && prefix == 128)
            n += lookup_ranges6(ix, a, fn, ctx, &stop);
    }
    return n;
}

const void *idx_extra(const struct idx *ix, size_t *len)
{
    *len = (size_t)ix->n_extra;
    return ix->n_extra ? ix->extra : NULL;
}

enum mz_err idx_reserve(struct idx *ix, uint64_t n_objs, uint64_t n_keys, uint64_t n_string_bytes,
                        struct mz_error *err)
{
    uint64_t nslots = ix->n_slots;

    if (ix->map)
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "a mapped index snapshot is read-only");
    while (nslots < 2 * (ix->n_entries + n_keys) + 2)
        nslots *= 2;
    if (grow((void **)&ix->objs, &ix->cap_objs, ix->n_objs + n_objs, sizeof *ix->objs) ||
        grow((void **)&ix->entries, &ix->cap_entries, ix->n_entries + n_keys, sizeof *ix->entries) ||
        grow((void **)&ix->posts, &ix->cap_posts, ix->n_posts + n_keys, sizeof *ix->posts) ||
        grow((void **)&ix->strings, &ix->cap_strings, ix->n_strings + n_string_bytes, 1) ||
        (nslots != ix->n_slots && resize_table(ix, nslots)))
        return mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    return MZ_OK;
}

int idx_each_key(const struct idx *ix, idx_key_fn fn, void *ctx)
{
    for (uint64_t i = 0; i < ix->n_entries; i++) {
        const struct idx_entry *e = &ix->entries[i];
        const unsigned char *key = (const unsigned char *)ix->strings + e->str_off;
        size_t len = e->len_kind >> 8;
        int r;

        if (key[0] == KEY_NET4 && len == 6)
            r = fn(ctx, OBS_IPV4, key[1], key + 2, 4);
        else if (key[0] == KEY_NET6 && len == 18)
            r = fn(ctx, OBS_IPV6, key[1], key + 2, 16);
        else if (key[0] < OBS_N_KINDS && len >= 1)
            r = fn(ctx, (enum obs_kind)key[0], -1, key + 1, len - 1);
        else
            r = 0;
        if (r)
            return r;
    }
    return 0;
}

void idx_each_range(const struct idx *ix, idx_range_fn fn, void *ctx)
{
    for (uint64_t i = 0; i < ix->n_entries; i++) {
        const struct idx_entry *e = &ix->entries[i];
        const unsigned char *key = (const unsigned char *)ix->strings + e->str_off;
        size_t len = e->len_kind >> 8;
        enum obs_kind kind;

        if (key[0] == KEY_NET4 && len == 6)
            kind = OBS_IPV4;
        else if (key[0] == KEY_NET6 && len == 18)
            kind = OBS_IPV6;
        else
            continue;
        for (uint32_t p = e->post_head; p; p = ix->posts[p - 1].next)
            fn(ctx, kind, key[1], key + 2, ix->posts[p - 1].obj);
    }
}

uint32_t idx_n_objs(const struct idx *ix)
{
    return (uint32_t)ix->n_objs;
}

const struct idx_obj *idx_obj_at(const struct idx *ix, uint32_t obj)
{
    return obj < ix->n_objs ? &ix->objs[obj] : NULL;
}

void idx_obj_id(const struct idx *ix, uint32_t obj, char *out, size_t out_cap)
{
    const struct idx_obj *o = &ix->objs[obj];
    const uint8_t *u = o->uuid;

    snprintf(out, out_cap,
             "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             ix->strings + o->type_off, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
             u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

const char *idx_obj_type(const struct idx *ix, uint32_t obj)
{
    return ix->strings + ix->objs[obj].type_off;
}

const char *idx_obj_audience(const struct idx *ix, uint32_t obj)
{
    const struct idx_obj *o = &ix->objs[obj];
    return o->audience_off ? ix->strings + o->audience_off - 1 : NULL;
}

const char *idx_obj_pattern(const struct idx *ix, uint32_t obj)
{
    const struct idx_obj *o = &ix->objs[obj];
    return o->pattern_off ? ix->strings + o->pattern_off - 1 : NULL;
}

void idx_stats(const struct idx *ix, struct idx_stats *out)
{
    out->n_objs = (uint32_t)ix->n_objs;
    out->n_entries = (uint32_t)ix->n_entries;
    out->n_posts = (uint32_t)ix->n_posts;
    out->bytes = (size_t)(ix->n_objs * sizeof *ix->objs + ix->n_entries * sizeof *ix->entries +
                          ix->n_slots * sizeof *ix->slots + ix->n_posts * sizeof *ix->posts +
                          ix->n_bloom * sizeof *ix->bloom + ix->n_strings);
}

/* ---- snapshots ---- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

struct section {
    const void *data;
    size_t len;
};

static void sections(const struct idx *ix, const void *extra, size_t n_extra, struct section *s)
{
    s[6] = (struct section){extra, n_extra};
    s[0] = (struct section){ix->objs, ix->n_objs * sizeof *ix->objs};
    s[1] = (struct section){ix->entries, ix->n_entries * sizeof *ix->entries};
    s[2] = (struct section){ix->slots, ix->n_slots * sizeof *ix->slots};
    s[3] = (struct section){ix->posts, ix->n_posts * sizeof *ix->posts};
    s[4] = (struct section){ix->bloom, ix->n_bloom * sizeof *ix->bloom};
    s[5] = (struct section){ix->strings, ix->n_strings};
}

#define N_SECTIONS 7

enum mz_err idx_save(const struct idx *ix, const char *path, uint64_t generation,
                     const void *extra, size_t n_extra, struct mz_error *err)
{
    static const char zeros[8] = {0};
    struct section sec[N_SECTIONS];
    struct idx_header h;
    XXH3_state_t *xs = XXH3_createState();
    char tmp[1100];
    FILE *f = NULL;
    int fd;
    enum mz_err rc = MZ_OK;

    if (!xs)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    sections(ix, extra, n_extra, sec);
    memset(&h, 0, sizeof h);
    memcpy(h.magic, IDX_MAGIC, 8);
    h.version = IDX_VERSION;
    h.header_size = sizeof h;
    h.generation = generation;
    h.n_objs = ix->n_objs;
    h.n_entries = ix->n_entries;
    h.n_slots = ix->n_slots;
    h.n_posts = ix->n_posts;
    h.n_bloom = ix->n_bloom;
    h.n_strings = ix->n_strings;
    h.n_extra = n_extra;
    h.mask4 = ix->mask4;
    memcpy(h.mask6, ix->mask6, sizeof h.mask6);
    XXH3_64bits_reset(xs);
    XXH3_64bits_update(xs, &h, sizeof h); /* h.checksum is 0 here */
    for (int i = 0; i < N_SECTIONS; i++) {
        XXH3_64bits_update(xs, sec[i].data, sec[i].len);
        XXH3_64bits_update(xs, zeros, align8(sec[i].len) - sec[i].len);
    }
    h.checksum = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp)
        return mz_error_set(err, MZ_EINVAL, "", "index: path too long");
    /* A temporary file of this writer's own (mkostemp: a new name, created 0600,
     * since the snapshot holds the observables of every TLP level): the node and a
     * `mreza match` may write the same snapshot at once, and with one fixed
     * temporary name either could rename the other's file away (test_index_hits
     * failed so: "cannot write index.snap"). The last rename wins; both are whole. */
    fd = mkostemp(tmp, O_CLOEXEC);
    f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return mz_error_set(err, MZ_EIO, "", "index: cannot write %s: %s", tmp, strerror(errno));
    }
    if (fwrite(&h, sizeof h, 1, f) != 1)
        rc = MZ_EIO;
    for (int i = 0; !rc && i < N_SECTIONS; i++)
        if ((sec[i].len && fwrite(sec[i].data, 1, sec[i].len, f) != sec[i].len) ||
            fwrite(zeros, 1, align8(sec[i].len) - sec[i].len, f) != align8(sec[i].len) - sec[i].len)
            rc = MZ_EIO;
    /* No fsync: a snapshot is a cache. After a crash it may be stale, short or
     * garbled, and idx_load() then refuses it and the caller rebuilds it. */
    if (fflush(f))
        rc = MZ_EIO;
    if (fclose(f))
        rc = MZ_EIO;
    if (!rc && rename(tmp, path))
        rc = MZ_EIO;
    if (rc) {
        unlink(tmp);
        return mz_error_set(err, MZ_EIO, "", "index: cannot write %s: %s", path, strerror(errno));
    }
    return MZ_OK;
}

static enum mz_err bad_snapshot(void *map, size_t len, const char *path, const char *why,
                                struct mz_error *err)
{
    if (map)
        munmap(map, len);
    return mz_error_set(err, MZ_EINVAL, "", "index snapshot %s is unusable (%s); it will be rebuilt", path, why);
}

/* Every offset and number inside the arrays points inside them, the table has
 * free slots (so probing ends) and the strings end in NUL: even a file with a
 * valid checksum is not trusted blindly. */
static int snapshot_consistent(const struct idx *ix)
{
    uint64_t used = 0;

    if (ix->n_strings == 0 || ix->strings[ix->n_strings - 1] != '\0')
        return 0;
    for (uint64_t i = 0; i < ix->n_objs; i++)
        if (ix->objs[i].type_off >= ix->n_strings || ix->objs[i].audience_off > ix->n_strings ||
            ix->objs[i].pattern_off > ix->n_strings || ix->objs[i].tlp > 4)
            return 0;
    for (uint64_t e = 0; e < ix->n_entries; e++) {
        const struct idx_entry *en = &ix->entries[e];
        /* a key is its kind byte and the value: at least one byte, the kind first */
        if ((uint64_t)en->str_off + (en->len_kind >> 8) > ix->n_strings || (en->len_kind >> 8) == 0 ||
            en->post_head > ix->n_posts || (en->len_kind >> 8) > MAX_KEY ||
            (unsigned char)ix->strings[en->str_off] != (en->len_kind & 0xff))
            return 0;
    }
    for (uint64_t p = 0; p < ix->n_posts; p++)
        if (ix->posts[p].obj >= ix->n_objs || ix->posts[p].next > p)
            return 0; /* lists only point backwards, so they end */
    for (uint64_t i = 0; i < ix->n_slots; i++) {
        if (ix->slots[i] > ix->n_entries)
            return 0;
        used += ix->slots[i] != 0;
    }
    return used == ix->n_entries;
}

enum mz_err idx_load(const char *path, struct idx **out, uint64_t *generation_out,
                     struct mz_error *err)
{
    struct idx_header h;
    struct stat sb;
    size_t sizes[N_SECTIONS], off, total;
    void **targets[N_SECTIONS];
    struct idx *ix;
    void *map;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return mz_error_set(err, MZ_ENOTFOUND, "", "no index snapshot at %s", path);
    if (fstat(fd, &sb) || (size_t)sb.st_size < sizeof h) {
        close(fd);
        return bad_snapshot(NULL, 0, path, "too short", err);
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return mz_error_set(err, MZ_EIO, "", "index: cannot map %s: %s", path, strerror(errno));
    memcpy(&h, map, sizeof h);
    if (memcmp(h.magic, IDX_MAGIC, 8) || h.version != IDX_VERSION || h.header_size != sizeof h)
        return bad_snapshot(map, (size_t)sb.st_size, path, "not a mreza index of this version", err);
    /* Bounds first, so that no size below can wrap around: the file is read only as
     * far as the sizes it states add up to its length exactly. */
    if (h.n_slots == 0 || (h.n_slots & (h.n_slots - 1)) || h.n_slots > (1ull << 33) || h.n_bloom == 0 ||
        (h.n_bloom & (h.n_bloom - 1)) || h.n_bloom > (1ull << 32) || h.n_objs > UINT32_MAX ||
        h.n_entries > UINT32_MAX || h.n_posts > UINT32_MAX || h.n_strings > UINT32_MAX ||
        h.n_entries * 2 > h.n_slots || h.n_extra > (uint64_t)sb.st_size || (h.mask4 >> 33) ||
        (h.mask6[2] >> 1))
        return bad_snapshot(map, (size_t)sb.st_size, path, "inconsistent header", err);
    sizes[0] = h.n_objs * sizeof(struct idx_obj);
    sizes[1] = h.n_entries * sizeof(struct idx_entry);
    sizes[2] = h.n_slots * sizeof(uint32_t);
    sizes[3] = h.n_posts * sizeof(struct idx_post);
    sizes[4] = h.n_bloom * sizeof(uint64_t);
    sizes[5] = h.n_strings;
    sizes[6] = h.n_extra;
    total = sizeof h;
    for (int i = 0; i < N_SECTIONS; i++)
        total += align8(sizes[i]);
    if (total != (size_t)sb.st_size)
        return bad_snapshot(map, (size_t)sb.st_size, path, "truncated or padded", err);
    {
        /* the header too (with its checksum read as 0): a flipped range mask or
         * generation is no less corrupt than a flipped array */
        struct idx_header zh = h;
        XXH3_state_t *xs = XXH3_createState();
        uint64_t sum;
        if (!xs) {
            munmap(map, (size_t)sb.st_size);
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        }
        zh.checksum = 0;
        XXH3_64bits_reset(xs);
        XXH3_64bits_update(xs, &zh, sizeof zh);
        XXH3_64bits_update(xs, (const char *)map + sizeof h, total - sizeof h);
        sum = XXH3_64bits_digest(xs);
        XXH3_freeState(xs);
        if (sum != h.checksum)
            return bad_snapshot(map, (size_t)sb.st_size, path, "checksum mismatch", err);
    }
    ix = calloc(1, sizeof *ix);
    if (!ix) {
        munmap(map, (size_t)sb.st_size);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    targets[0] = (void **)&ix->objs;
    targets[1] = (void **)&ix->entries;
    targets[2] = (void **)&ix->slots;
    targets[3] = (void **)&ix->posts;
    targets[4] = (void **)&ix->bloom;
    targets[5] = (void **)&ix->strings;
    targets[6] = (void **)&ix->extra;
    off = sizeof h;
    for (int i = 0; i < N_SECTIONS; i++) {
        *targets[i] = (char *)map + off;
        off += align8(sizes[i]);
    }
    ix->n_objs = h.n_objs;
    ix->n_entries = h.n_entries;
    ix->n_slots = h.n_slots;
    ix->n_posts = h.n_posts;
    ix->n_bloom = h.n_bloom;
    ix->n_strings = h.n_strings;
    ix->n_extra = h.n_extra;
    ix->mask4 = h.mask4;
    memcpy(ix->mask6, h.mask6, sizeof ix->mask6);
    ix->map = map;
    ix->map_len = (size_t)sb.st_size;
    if (!snapshot_consistent(ix)) {
        idx_free(ix);
        return mz_error_set(err, MZ_EINVAL, "", "index snapshot %s is unusable (inconsistent arrays); it will be rebuilt", path);
    }
    for (uint64_t e = 0; e < ix->n_entries; e++) {
        const struct idx_entry *en = &ix->entries[e];
        const unsigned char *key = (const unsigned char *)ix->strings + en->str_off;
        uint32_t net;
        if ((en->len_kind & 0xff) != KEY_NET4 || (en->len_kind >> 8) != 6 || key[1] > 32)
            continue;
        memcpy(&net, key + 2, 4);
        if (r4_insert(ix, r4_key(key[1], net), (uint32_t)e)) {
            idx_free(ix);
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        }
    }
    *out = ix;
    if (generation_out)
        *generation_out = h.generation;
    return MZ_OK;
}
