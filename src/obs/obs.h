/* obs/obs.h - observables: the kinds of value the indicator index knows, and their
 * canonical forms. Every value that enters the index (from an indicator's pattern)
 * or is looked up in it (from a log line, an API call) goes through obs_normalize()
 * first, so that equal things compare equal byte for byte:
 *   ipv4    dotted quad, no leading zeros; "a.b.c.d/nn" for ranges (host bits must be 0)
 *   ipv6    RFC 5952 text (lowercase, longest zero run as ::); IPv4-mapped
 *           ::ffff:a.b.c.d is turned into the ipv4 kind; "/nn" for ranges
 *   domain  lowercase, no trailing dot, IDN labels in punycode (libidn2), each label
 *           1-63 of [a-z0-9-_], total <= 253
 *   url     scheme and host lowercase, default port removed (http 80, https 443,
 *           ftp 21), percent-encoded unreserved characters decoded, other percent
 *           escapes upper-case hex, "." and ".." path segments removed, empty path
 *           -> "/", fragment removed; userinfo, port, query kept
 *   email   lowercase
 *   md5/sha1/sha256/sha512  lowercase hex of exactly 32/40/64/128 digits
 *   wallet  cryptocurrency address as given (case kept), 25-128 of [A-Za-z0-9]
 *
 * obs/ is the observable vocabulary below the index, the log scanners and the pattern
 * language: one parser per kind (ip.c, name.c, url.c, email.c, hash.c, wallet.c, see
 * obs_int.h), and the pieces other layers read values with directly: addresses
 * (ip.h), hash lengths (hash.h), UTF-8 (utf8.h) and byte classes (ascii.h). This
 * header is the facade of kinds. Hand-written (the matcher's hot path); IDN goes
 * through libidn2. Functions never allocate; outputs go to caller buffers. */
#ifndef MZ_OBS_H
#define MZ_OBS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum obs_kind {
    OBS_IPV4 = 0,
    OBS_IPV6,
    OBS_DOMAIN,
    OBS_URL,
    OBS_EMAIL,
    OBS_MD5,
    OBS_SHA1,
    OBS_SHA256,
    OBS_SHA512,
    OBS_WALLET,
    OBS_N_KINDS
};

#define OBS_MAX_LEN 2048 /* longest canonical value (URLs); longer input is refused */

/* "ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "wallet". */
const char *obs_kind_name(enum obs_kind k);
/* Inverse of obs_kind_name; -1 if unknown. */
int obs_kind_parse(const char *name);

/* The kind that a STIX pattern object path denotes, or -1 if none:
 * ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, email-addr:value,
 * file:hashes.MD5 / 'MD5', file:hashes.'SHA-1' / SHA1, 'SHA-256' / SHA256,
 * 'SHA-512' / SHA512 (hash names case-insensitive, with or without the hyphen),
 * cryptocurrency-wallet:value and x-cryptocurrency-wallet:value (mreža's documented
 * custom observable for wallets; STIX 2.1 has none). object_type is e.g. "ipv4-addr";
 * path is the property path after the colon, with quotes removed ("hashes.SHA-256"). */
int obs_kind_of_path(const char *object_type, const char *path);
/* The other way: the object type and path under which mreža names a value of kind k
 * ("file", "hashes.SHA-256"; "domain-name", "value"): what the matcher hands the
 * pattern evaluator, and the spelling patterns are read in. */
void obs_path_of_kind(enum obs_kind k, const char **object_type, const char **path);

/* Canonical form of s[0..len) as kind k, written NUL-terminated to out (out_cap
 * bytes, OBS_MAX_LEN + 1 is always enough). For ipv4/ipv6 a "/nn" range is accepted
 * and written canonically ("10.0.0.0/8"); *prefix_out (may be NULL) gets nn, or the
 * full length (32/128) for a single address. For ipv6, a mapped IPv4 address comes
 * back with *kind_out = OBS_IPV4. Returns 0, or -1 if s is not a valid value of that
 * kind (err, which may be NULL, says why). */
int obs_normalize(enum obs_kind k, const char *s, size_t len, char *out, size_t out_cap,
                  size_t *out_len, int *prefix_out, enum obs_kind *kind_out,
                  struct mz_error *err);

/* Binary forms for the CIDR tables: what obs_normalize() accepts as ipv4 (ipv6), an
 * address or a range without host bits, as the address (IPv4 in host byte order) and
 * the prefix length (32 or 128 for an address). IPv4-mapped IPv6 stays IPv6 here.
 * The parser is ip.h's (ip_v4_net(), ip_v6_net()); 0, or -1 (nothing written). */
int obs_ipv4_parse(const char *s, size_t len, uint32_t *addr_out, int *prefix_out);
int obs_ipv6_parse(const char *s, size_t len, uint8_t addr_out[16], int *prefix_out);
/* 1 and the address (host order) if s[0..len) is a strict dotted quad - what
 * obs_ipv4_parse() takes as a single address - else 0: ip_v4_quad(). */
int obs_ipv4_quad(const char *s, size_t len, uint32_t *addr_out);

/* Guess the kind of a bare value (from a log field or an API batch): an IPv4 or IPv6
 * address, a URL (has "://"), an e-mail (one '@'), a hash by length of all-hex, else
 * a domain if it has a dot and only domain characters; -1 otherwise. */
int obs_guess_kind(const char *s, size_t len);

/* Log values are mostly in canonical form already: 1 (and *kind_out) when s is, as
 * one of the common kinds - a strict dotted quad, a lower-case ASCII domain, lower-case
 * hex of a hash length - so that the caller may take s as the canonical value without
 * obs_guess_kind() + obs_normalize() (which would return it unchanged: test_obs holds
 * the two to that). 0 says nothing: the value takes the full path. One pass. */
int obs_canonical_kind(const char *s, size_t len, enum obs_kind *kind_out);

/* 1 when s can be no guessed kind at all (no "://", no '@', neither an IPv6 literal -
 * only hex digits, ':' and '.' - nor a dotted name of domain characters, nor a
 * hash-length run of hex): timestamps, methods, actions, counters, so that such values
 * cost one pass. 0 says nothing. Whenever it says 1, obs_guess_kind() finds no kind or
 * obs_normalize() refuses the value as that kind (test_obs). */
int obs_unguessable(const char *s, size_t len);

/* The registrable-ancestor walk for domains: given canonical "a.b.evil.example",
 * returns the offset of each parent in turn ("b.evil.example", "evil.example",
 * "example") through *pos (start with *pos = 0); returns 0 when there is none left.
 * Used to match an indicator for evil.example against a query for a.b.evil.example. */
int obs_domain_next_parent(const char *domain, size_t len, size_t *pos);

/* 1 when the canonical domain[0..len) is a public suffix - a name under which anyone
 * may register ("com", "co.uk", "github.io"), by the Public Suffix List (ICANN and
 * private sections) that Debian's libpsl carries - or a single label (any top-level
 * name, an unlisted one such as "corp" or "internal" included); else 0. An indicator
 * for such a name matched as a parent takes in every name below it. */
int obs_public_suffix(const char *domain, size_t len);

/* 1 when an indicator for the canonical domain parent[0..plen), met as a parent of
 * the canonical domain value[0..vlen), takes in names that are not its owner's to
 * know of: parent is a public suffix (obs_public_suffix), a special-use name
 * (RFC 6761, 6762, 8375, 9476: "home.arpa", "local", "test", "alt", "internal"...)
 * or a reverse-mapping name (under in-addr.arpa or ip6.arpa), or shorter than the
 * value's registrable domain (libpsl's, with the special-use names taken as public
 * suffixes): "amazonaws.com" for "my-bucket.s3.amazonaws.com", whose registrable
 * domain is itself (s3.amazonaws.com is a suffix). Else 0. */
int obs_wide_parent(const char *parent, size_t plen, const char *value, size_t vlen);

#endif
