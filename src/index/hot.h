/* index/hot.h - the matcher's prefilter: small bit arrays derived from an index
 * (index/idx.h) that answer "could this value be any key of the index?" with "no"
 * (certain) or "maybe", without building the key. `mreza match` asks them for every
 * value of a log line first, and sends a line to the full matcher only when some
 * value is a "maybe": almost no log line is (see docs/matching.md).
 *
 * What it holds (all built by hot_build from idx_each_key):
 *   bloom[]   a blocked Bloom filter (four bits in one 64-bit word per key, 32
 *             bits of filter per key) of domain keys, URL hosts, hashes, exact IPv4
 *             addresses and IPv4 ranges of /24 to /31, each under a tag of its own;
 *             a string's key is made from its length and its first and last eight
 *             bytes, ASCII case folded a word at a time, so that a domain and every
 *             parent cost two loads each and nothing is copied
 *   net24[]   2^24 pairs of bits, one pair per IPv4 /24: "some exact address or
 *             range of /24 or longer lies in it" and "a range shorter than /24
 *             covers it", side by side so that one cache line answers both
 * Its "no" is exact for the keys it holds; a caller treats kinds it cannot test
 * here (IPv6, e-mail, wallets) with hot_has_kind().
 *
 * Hand-written for the same reason as the index: it is the hot loop of a GiB-scale
 * match. Read-only after hot_build; any number of threads may query it. */
#ifndef MZ_HOT_H
#define MZ_HOT_H

#include <stddef.h>
#include <stdint.h>

#include "index/idx.h"
#include "util/err.h"

struct hot;

/* Build from every key of ix. The caller owns *out (hot_free). */
enum mz_err hot_build(const struct idx *ix, struct hot **out, struct mz_error *err);
void hot_free(struct hot *h);
/* The filter as one blob for the index snapshot (idx_save's extra); *out is the
 * caller's to free. */
enum mz_err hot_save(const struct hot *h, void **out, size_t *len, struct mz_error *err);
/* A filter over a blob hot_save() wrote (idx_extra of a mapped snapshot): sizes are
 * checked, the arrays are used in place (blob must outlive *out and be 8-byte
 * aligned). MZ_EINVAL for anything malformed: the caller then uses hot_build(). */
enum mz_err hot_view(const void *blob, size_t len, struct hot **out, struct mz_error *err);

/* 1 if the index has any key of kind k (an exact value or, for IPv4/IPv6, a range). */
int hot_has_kind(const struct hot *h, enum obs_kind k);
/* The questions, asked so that a matcher can overlap the memory latency of one log
 * line's answers with the scanning of the next lines: hot_probe_*() append the words a
 * value's answer depends on to ps (and start loading them); hot_probes_maybe() then
 * answers for all of them at once: 0 when no key can match any of them, 1 when one
 * may. A full set (HOT_MAX_PROBES) answers "maybe".
 *   ipv4       an exact address key, or a range containing the address (host order)
 *   domain     a domain key equal to s or to any parent (ASCII; case folded)
 *   url_host   a URL key whose host is s (ASCII; case folded)
 *   host       url_host and domain together, for a URL's host
 *   hash       an MD5/SHA-1/SHA-256/SHA-512 key equal to hex s (case folded) */
#define HOT_MAX_PROBES 128
struct hot_probe {
    const uint64_t *word; /* a Bloom word, or the /24 map's word pair */
    uint64_t bits;
    uint32_t addr;        /* IPv4 probes: the address (for the second stage) */
    int ipv4;
};
struct hot_probes {
    struct hot_probe p[HOT_MAX_PROBES];
    size_t n;
    int maybe;            /* set when an answer is "maybe" without a probe */
};
void hot_probe_ipv4(const struct hot *h, uint32_t addr, struct hot_probes *ps);
void hot_probe_domain(const struct hot *h, const char *s, size_t n, struct hot_probes *ps);
void hot_probe_host(const struct hot *h, const char *s, size_t n, struct hot_probes *ps);
void hot_probe_url_host(const struct hot *h, const char *s, size_t n, struct hot_probes *ps);
void hot_probe_hash(const struct hot *h, const char *s, size_t n, struct hot_probes *ps);
int hot_probes_maybe(const struct hot *h, const struct hot_probes *ps);

/* Memory held, in bytes. */
size_t hot_bytes(const struct hot *h);

#endif
