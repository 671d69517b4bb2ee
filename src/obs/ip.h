/* obs/ip.h - IPv4 and IPv6 addresses and CIDR ranges in text: the one reading of
 * "a.b.c.d", RFC 4291 IPv6 text and "/nn" that the index (through obs_normalize()),
 * the pattern evaluator (rules/pattern_eval.c), the log scanners (match/logfmt*.c)
 * and the matcher's prefilter (engine/prefilter.c) share, and the canonical text of
 * an address (RFC 5952 for IPv6).
 *
 * The grammar, strict on purpose (an indicator and a log value must mean one
 * address): IPv4 is exactly four decimal octets 0-255 without leading zeros (no octal
 * "010", no hex, no short forms "10.1"); IPv6 is eight groups of 1-4 hex digits, or
 * fewer with one "::" standing for at least one zero group, the last 32 bits
 * optionally a dotted quad as above; no zone ids ("%eth0"); a prefix "/nn" is decimal
 * without leading zeros, 0-32 or 0-128.
 *
 * ip_v4_quad() is the fast reading of an IPv4 address, the one the prefilter asks
 * about every address-like log value, and the core of every other reading here; the
 * tests hold it to a plain octet-by-octet reading and to obs_ipv4_parse()
 * (tests/unit/obs/test_obs.c, fuzz/fuzz_obs.c), and it and ip_v6_addr() to glibc's
 * inet_pton() (tests/unit/obs/test_ip.c). Nothing here allocates; inputs need not be
 * NUL-terminated. */
#ifndef MZ_OBS_IP_H
#define MZ_OBS_IP_H

#include <stddef.h>
#include <stdint.h>

#define IP_V4_TEXT_MAX 18 /* "255.255.255.255/32" */
#define IP_V6_TEXT_MAX 43 /* "ffff:...:ffff/128", RFC 5952 (never mixed notation) */

/* An address or range: family 4 or 6; addr in network byte order (IPv4 in the first
 * four bytes, the rest zero); prefix the significant bits (32 or 128 when none was
 * written). Host bits may be set: ip_net_clear_host() says and clears them. */
struct ip_net {
    int family;       /* 4 or 6 */
    uint8_t addr[16];
    int prefix;
    int has_prefix;   /* written with "/nn" */
};

/* Why a text is not an address (0 when it is). */
enum ip_err {
    IP_OK = 0,
    IP_EADDR,  /* not an address of the family */
    IP_EPREFIX /* the address is one, the "/nn" after it is not */
};

/* 1 and the address (host byte order) if s[0..n) is exactly a strict dotted quad,
 * else 0 (*addr_out untouched). */
int ip_v4_quad(const char *s, size_t n, uint32_t *addr_out);

/* 0 and the 16 bytes if s[0..n) is exactly an RFC 4291 IPv6 text form (no prefix,
 * no zone), else -1 (*addr_out untouched). "::" is an address (all zeros). */
int ip_v6_addr(const char *s, size_t n, uint8_t addr_out[16]);

/* s[0..n) as "address" or "address/nn" of family 4 (ip_v4_net) or 6 (ip_v6_net),
 * into *out (written only on success). IPv4-mapped IPv6 stays family 6 here. */
enum ip_err ip_v4_net(const char *s, size_t n, struct ip_net *out);
enum ip_err ip_v6_net(const char *s, size_t n, struct ip_net *out);

/* Either family; an IPv4-mapped IPv6 address or range inside ::ffff:0:0/96 becomes
 * the IPv4 one ("::ffff:10.0.0.0/104" is 10.0.0.0/8), so both spellings compare
 * equal. Host bits may be set. */
enum ip_err ip_net_parse(const char *s, size_t n, struct ip_net *out);

/* 1 if the IPv6 address a (with prefix) lies in ::ffff:0:0/96: an IPv4-mapped one. */
int ip_v6_is_mapped(const uint8_t a[16], int prefix);

/* The IPv4 prefix length (0 to 32) that the IPv6 range a/prefix takes in when a lies
 * in a prefix that embeds IPv4 addresses: NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
 * IPv4-compatible ::/96 and Teredo 2001::/32 (clients in the last 32 bits: prefix -
 * 96), 6to4 2002::/16 (bits 16 to 47); a range that takes in the whole of one of
 * them gives 0. -1 when a is in none (docs/matching.md, R6). */
int ip_v6_embedded_v4(const uint8_t a[16], int prefix);

/* Clears the host bits of n under its prefix; returns 1 if any was set. */
int ip_net_clear_host(struct ip_net *n);

/* 1 if every address of a lies in b (same family, a's prefix at least b's, the
 * network bits equal; host bits of either ignored). */
int ip_net_within(const struct ip_net *a, const struct ip_net *b);

/* The IPv4 address of a family-4 net, host byte order. */
uint32_t ip_net_v4(const struct ip_net *n);

/* Canonical text, NUL-terminated, into out (IP_V4_TEXT_MAX + 1 or IP_V6_TEXT_MAX + 1
 * bytes); "/nn" is written only when prefix is below 32 (128). Returns the length.
 * IPv6 is RFC 5952: lowercase, no leading zeros, the longest run of two or more zero
 * groups (the leftmost of equal runs) as "::". */
size_t ip_v4_text(uint32_t addr, int prefix, char *out);
size_t ip_v6_text(const uint8_t addr[16], int prefix, char *out);

#endif
