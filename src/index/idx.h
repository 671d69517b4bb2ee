/* index/idx.h - the in-memory observable index: which stored objects carry which
 * observable values (exact values, IPv4/IPv6 CIDR ranges, domains with their
 * parents), answering "who has this value?" at memory speed. It serves both the log
 * matcher (detection indicators) and correlation (every object with observables).
 *
 * Layout: flat arrays with offsets instead of pointers, so that the same bytes are
 * the snapshot file (idx_save) that `mreza match` maps at start (idx_load) instead of
 * rebuilding from the store:
 *   objs[]     one record per indexed object (id, TLP audience, validity, flags)
 *   entries[]  one per distinct (kind, canonical value) key, with a list of postings
 *   slots[]    open-addressing hash table (linear probing) of entry numbers
 *   posts[]    (object, next) lists: which objects carry an entry's value
 *   bloom[]    a blocked Bloom filter (one 64-bit word per key) checked before the
 *              table, so that the common case - a log value that is no indicator -
 *              costs one cache-resident word instead of a cache miss into slots[]
 *   strings    canonical values, audiences, object types
 * CIDR ranges are keys too, (prefix, masked network); an address is looked up once
 * per prefix length present, which the index keeps as a bit set.
 *
 * Hand-written because this is the product's edge: no Debian library offers a
 * mappable multi-map with CIDR and domain-suffix lookups.
 *
 * Threads: lookups on a const struct idx may run concurrently; adding needs the
 * caller's exclusion (the engine holds a rwlock: engine/engine.c). A loaded (mapped) index is
 * read-only: idx_add_* then return MZ_EUNSUPPORTED. This module knows nothing of
 * STIX patterns or TLP: it stores the facts the domain layer needs to decide. */
#ifndef MZ_IDX_H
#define MZ_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "obs/obs.h"
#include "util/err.h"

struct idx;

enum idx_flag {
    IDX_F_DEAD = 1,       /* superseded by a newer version, or removed */
    IDX_F_DETECT = 2,     /* a detection indicator (the matcher reports it) */
    IDX_F_CANDIDATE = 4,  /* its pattern must be confirmed (pattern_eval) */
    IDX_F_REVOKED = 8,
    IDX_F_SCAN = 16       /* a pattern with no index key: evaluated on every value */
};

/* What the index keeps of an object (88 bytes in the arrays). */
struct idx_obj {
    uint8_t uuid[16];       /* the UUID of the STIX id */
    int64_t seq;            /* the store's sequence number of this version */
    int64_t valid_from;     /* microseconds since the epoch; INT64_MIN if none */
    int64_t valid_until;    /* INT64_MAX if none */
    int64_t added;          /* date_added, microseconds */
    int64_t version;        /* `modified` (or `created`), microseconds; 0 for SCOs */
    int32_t owner_org;
    int32_t submitter;
    uint32_t type_off;      /* object type in strings[] */
    uint32_t audience_off;  /* recipients in strings[] (+1), 0 for none */
    uint8_t tlp;
    uint8_t flags;          /* enum idx_flag bits */
    char country[2];        /* owner organisation's country, for regional campaigns */
    uint32_t pattern_off;   /* pattern text in strings[] (+1) for CANDIDATE/SCAN, else 0 */
    uint64_t comm;          /* the communities it is shared into (bits; issue 11) */
};

/* A new object to add; strings are copied. */
struct idx_obj_in {
    const char *stix_id;    /* "<type>--<uuid>" */
    int64_t seq;
    int64_t valid_from, valid_until, added, version;
    int64_t owner_org, submitter;
    int tlp;
    unsigned flags;
    const char *country;    /* two letters, or NULL */
    const char *audience;   /* or NULL */
    const char *pattern;    /* kept for IDX_F_CANDIDATE / IDX_F_SCAN objects, else NULL */
    uint64_t comm;
};

enum mz_err idx_new(struct idx **out, struct mz_error *err);
void idx_free(struct idx *ix);

/* Add an object; *obj_out receives its number. */
enum mz_err idx_add_obj(struct idx *ix, const struct idx_obj_in *in, uint32_t *obj_out,
                        struct mz_error *err);
/* Say that object obj carries the canonical value (obs_normalize output) of kind k;
 * for ipv4/ipv6 ranges give the canonical "net/len" text. */
enum mz_err idx_add_value(struct idx *ix, uint32_t obj, enum obs_kind k, const char *canon,
                          size_t len, struct mz_error *err);
/* Room for n_objs more objects, n_keys more keys and n_string_bytes more string
 * bytes, so that a build of known size does not grow (and rehash) step by step. */
enum mz_err idx_reserve(struct idx *ix, uint64_t n_objs, uint64_t n_keys, uint64_t n_string_bytes,
                        struct mz_error *err);
/* Mark obj with flags (e.g. IDX_F_DEAD when a newer version arrives). */
void idx_set_flags(struct idx *ix, uint32_t obj, unsigned flags);

/* How a value was found. */
enum idx_via {
    IDX_VIA_EXACT = 0,
    IDX_VIA_PARENT,  /* a domain indicator for a parent of the looked-up domain */
    IDX_VIA_RANGE    /* an address inside an indicator's CIDR range */
};

/* Called for each (live or dead: check flags) object carrying a matching key;
 * return nonzero to stop. key is the matching key's canonical text: the value, or
 * the parent domain; for a range (IDX_VIA_RANGE), "/<prefix length>" ("/16"). */
typedef int (*idx_hit_fn)(void *ctx, uint32_t obj, enum idx_via via, const char *key,
                          size_t key_len);

/* Look up a canonical value: exact; for domains also every parent; for addresses
 * also every range that contains them. Returns the number of hits reported. */
size_t idx_lookup(const struct idx *ix, enum obs_kind k, const char *canon, size_t len,
                  idx_hit_fn fn, void *ctx);
/* Hint that canon will be looked up soon: start loading its Bloom word (the lookup
 * itself is the same). */
void idx_prefetch(const struct idx *ix, enum obs_kind k, const char *canon, size_t len);

/* Only the exact key (no parents, no ranges): used by correlation. */
size_t idx_lookup_exact(const struct idx *ix, enum obs_kind k, const char *canon, size_t len,
                        idx_hit_fn fn, void *ctx);

/* Every key of the index, for structures derived from it (index/hot.h): fn gets the
 * kind and, for an exact value, prefix -1 and the canonical text; for a CIDR range
 * (kind OBS_IPV4 or OBS_IPV6), the prefix length and the masked network: IPv4 as
 * the 4 bytes of a host-order uint32, IPv6 as 16 bytes in network order. Keys whose objects
 * are all retired are included. Returns the first nonzero fn result, else 0. */
typedef int (*idx_key_fn)(void *ctx, enum obs_kind kind, int prefix, const void *key, size_t len);
int idx_each_key(const struct idx *ix, idx_key_fn fn, void *ctx);

/* Every object carrying a CIDR range, once per range it carries: fn gets the kind
 * (OBS_IPV4 or OBS_IPV6), the prefix length, the masked network (as idx_each_key's)
 * and the object (live or dead: check flags). For sums over ranges (the engine's
 * address space per owner). */
typedef void (*idx_range_fn)(void *ctx, enum obs_kind kind, int prefix, const void *net, uint32_t obj);
void idx_each_range(const struct idx *ix, idx_range_fn fn, void *ctx);

/* The extra blob saved with a loaded snapshot (8-byte aligned, covered by its
 * checksum, not otherwise checked), or NULL. */
const void *idx_extra(const struct idx *ix, size_t *len);

/* The UUID of a STIX id ("<type>--<uuid>") into out (16 bytes): 0, or -1 when it has
 * none. */
int idx_uuid_of(const char *stix_id, uint8_t *out);

uint32_t idx_n_objs(const struct idx *ix);
const struct idx_obj *idx_obj_at(const struct idx *ix, uint32_t obj);
/* The object's STIX id ("<type>--<uuid>") into out (at least 300 bytes). */
void idx_obj_id(const struct idx *ix, uint32_t obj, char *out, size_t out_cap);
/* The object's type ("indicator"). */
const char *idx_obj_type(const struct idx *ix, uint32_t obj);
/* Recipients text of obj, or NULL. */
const char *idx_obj_audience(const struct idx *ix, uint32_t obj);
/* Pattern text of a CANDIDATE/SCAN obj, or NULL. */
const char *idx_obj_pattern(const struct idx *ix, uint32_t obj);

struct idx_stats {
    uint32_t n_objs, n_entries, n_posts;
    size_t bytes;           /* memory held by the arrays */
};
void idx_stats(const struct idx *ix, struct idx_stats *out);

/* Write the index to path atomically (temporary file + rename), stamped with the
 * store generation it reflects, with n_extra bytes of extra (may be NULL when 0)
 * that idx_extra() gives back after idx_load() (the matcher's prefilter). */
enum mz_err idx_save(const struct idx *ix, const char *path, uint64_t generation,
                     const void *extra, size_t n_extra, struct mz_error *err);
/* Map a snapshot read-only. Checks magic, version, sizes and the checksum of the
 * whole payload: a corrupt or truncated file is refused (MZ_EINVAL), never trusted.
 * *generation_out gets the stamp so the caller can tell a stale one. */
enum mz_err idx_load(const char *path, struct idx **out, uint64_t *generation_out,
                     struct mz_error *err);

#endif
