/* obs/obs_int.h - what the files of obs/ share and no other layer sees: the output
 * writer every normaliser writes its canonical form with, the error helpers, and the
 * per-kind normalisers obs_normalize() (obs.c) dispatches to, one file per kind:
 *   ip.c (ip.h)   IPv4/IPv6 addresses and CIDR ranges   (no writer: also used alone)
 *   name.c        domain names, IDN through libidn2
 *   url.c         URLs (host through name.c or ip.c)
 *   email.c       e-mail addresses (domain through name.c)
 *   hash.c        MD5/SHA-1/SHA-256/SHA-512 hex digests
 *   wallet.c      cryptocurrency wallet addresses
 * plus the byte tables of obs/, exported here for the unit tests that check every
 * entry (tests/unit/obs/test_ascii.c). */
#ifndef MZ_OBS_INT_H
#define MZ_OBS_INT_H

#include <stddef.h>
#include <string.h>

#include "obs/obs.h"
#include "util/err.h"

/* The output writer: the caller's buffer, always with room left for the NUL. A write
 * that does not fit sets full and is dropped; normalisers check full once per piece
 * rather than after every byte, and a full writer always ends in a refusal. */
struct obs_out {
    char *buf;
    size_t cap; /* bytes usable including the NUL: min(out_cap, OBS_MAX_LEN + 1) */
    size_t len;
    int full;
};

static inline void out_put(struct obs_out *w, char c)
{
    if (w->len + 1 < w->cap)
        w->buf[w->len++] = c;
    else
        w->full = 1;
}

static inline void out_mem(struct obs_out *w, const char *p, size_t n)
{
    if (n < w->cap - w->len) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    } else {
        w->full = 1;
    }
}

/* Decimal v. */
void obs_out_dec(struct obs_out *w, unsigned v);
/* "%XX": c percent-encoded with upper-case hex. */
void obs_out_pct(struct obs_out *w, unsigned char c);

/* Set err (may be NULL) to code and msg; returns -1. */
int obs_fail(struct mz_error *err, enum mz_err code, const char *msg);
/* The refusal of a writer that ran full (the 2048-byte cap, or a small buffer). */
int obs_fail_full(const struct obs_out *w, struct mz_error *err);

/* An IPv4 (IPv6) address or "/nn" range of s[0..len) into *out, with the refusal in
 * words in err (may be NULL): not an address, a bad prefix, a zone id, host bits set
 * (naming the network). The parsing is ip.c's; obs.c adds the words. 0 or -1. */
struct ip_net;
int obs_ip4_read(const char *s, size_t len, struct ip_net *out, struct mz_error *err);
int obs_ip6_read(const char *s, size_t len, struct ip_net *out, struct mz_error *err);

/* The normalisers: append the canonical form of s[0..len) to w; 0, or -1 with err
 * (may be NULL) saying why. Input is borrowed and need not be NUL-terminated. */
int name_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err);
int url_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err);
int email_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err);
int hash_norm(enum obs_kind k, const char *s, size_t len, struct obs_out *w, struct mz_error *err);
int wallet_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err);

/* Byte tables (generated with ASCII_TABLE() from the predicates next to them). */
extern const unsigned char name_label_map[256]; /* name.c: lowercase label byte, or 0 */
extern const unsigned char obs_guess_class[256]; /* obs.c: OBS_CL_* of a byte */

/* The classes obs_guess_kind() ANDs over a value's bytes. */
enum {
    OBS_CL_DIGIT = 0x01, /* 0-9 */
    OBS_CL_HEX = 0x02,   /* 0-9 A-F a-f */
    OBS_CL_ALPHA = 0x04, /* A-Z a-z */
    OBS_CL_DOM = 0x08,   /* a label character (A-Z a-z 0-9 - _) or the separator . */
    OBS_CL_V6 = 0x10,    /* hex digits : . / */
    OBS_CL_V4 = 0x20,    /* 0-9 . / */
    OBS_CL_CTL = 0x40,   /* controls, space, DEL */
    OBS_CL_HIGH = 0x80   /* 0x80-0xFF */
};

#endif
