/* fmt/cursor.h - the layout of the `next` token of paged lists. The token is opaque
 * to clients: the position it carries (the store's sequence number of the last row
 * served) is sealed by domain/svc_cursor.c with authenticated encryption under a
 * secret of the node, and bound to the query and the reader it was issued for. This
 * file knows no cryptography (fmt/ may not use libsodium): it lays out the bytes and
 * writes them as text, and the domain seals and opens them.
 *
 *   byte 0         CURSOR_VERSION
 *   bytes 1..24    nonce (random per token)
 *   bytes 25..48   the sealed position: CURSOR_PLAIN_LEN bytes of ciphertext (the
 *                  sequence number, big-endian) and a CURSOR_TAG_LEN-byte tag
 *
 * As text: the CURSOR_RAW_LEN bytes in lowercase hex, so every token has the same
 * length whatever the position, and '+', '/' and '=' never need escaping in a query
 * string. Every page re-applies the query's filters and the reader's TLP grants
 * besides (TAXII 2.1 App. B). */
#ifndef MZ_CURSOR_H
#define MZ_CURSOR_H

#include <stdint.h>

#define CURSOR_VERSION 1
#define CURSOR_NONCE_LEN 24 /* XChaCha20-Poly1305 (libsodium) */
#define CURSOR_PLAIN_LEN 8
#define CURSOR_TAG_LEN 16
#define CURSOR_SEALED_LEN (CURSOR_PLAIN_LEN + CURSOR_TAG_LEN)
#define CURSOR_RAW_LEN (1 + CURSOR_NONCE_LEN + CURSOR_SEALED_LEN)
#define CURSOR_STRLEN (2 * CURSOR_RAW_LEN + 1)

/* The plaintext of position seq (>= 0): CURSOR_PLAIN_LEN bytes, big-endian. */
void cursor_pack_seq(int64_t seq, unsigned char out[CURSOR_PLAIN_LEN]);
/* The position back; returns 0 and sets *seq_out, or -1 (nothing written) if the
 * bytes are no position (above INT64_MAX). */
int cursor_unpack_seq(const unsigned char in[CURSOR_PLAIN_LEN], int64_t *seq_out);

/* Write raw (whose byte 0 must be CURSOR_VERSION) as a token into out
 * (CURSOR_STRLEN bytes). */
void cursor_encode(const unsigned char raw[CURSOR_RAW_LEN], char *out);
/* Read a token into raw_out; returns 0, or -1 (raw_out partly written) unless s is
 * exactly 2 * CURSOR_RAW_LEN lowercase hex digits of a token of CURSOR_VERSION. */
int cursor_decode(const char *s, unsigned char raw_out[CURSOR_RAW_LEN]);

#endif
