/* util/uuid.h - RFC 4122 UUIDs: random v4 generation (libsodium's CSPRNG) and
 * checking of received ones. STIX 2.1 only recommends v4, and producers such as
 * OpenCTI send deterministic v5 ids, so any RFC 4122 version (1-5) is accepted.
 * Also the other random identifiers (request ids), so that no layer above util
 * but domain (API keys) needs libsodium. */
#ifndef MZ_UUID_H
#define MZ_UUID_H

#include "util/err.h"

#include <stddef.h>

#define MZ_UUID_STRLEN 37 /* 36 characters + NUL */

/* Start the random generator (sodium_init()): once per process, before any thread
 * starts. MZ_EIO if libsodium cannot start. */
enum mz_err mz_random_init(void);
/* Write a lowercase random (version 4) UUID into out. Needs mz_random_init() first. */
void mz_uuid_v4(char *out);
/* Fill out[0..out_size-1) with random lowercase hex digits and end it with a NUL
 * (4 random bits a digit; nothing is written when out_size is 0). Needs
 * mz_random_init() first. */
void mz_random_hex(char *out, size_t out_size);
/* A name-based UUID that only the holder of key can compute: BLAKE2b (keyed, 128
 * bits) of name under key (at most MZ_UUID_KEY_MAX bytes), shaped as a version 5
 * UUID, lowercase, into out. The same key and name always give the same UUID; without
 * the key the UUID of a name cannot be foretold (so nobody can take it first). */
#define MZ_UUID_KEY_MAX 64
void mz_uuid_keyed(const char *key, size_t key_len, const char *name, size_t name_len, char *out);
/* 1 if s[0..len) is an RFC 4122 UUID (8-4-4-4-12 hex, version 1-5, variant 10xx). */
int mz_uuid_valid(const char *s, size_t len);

#endif
