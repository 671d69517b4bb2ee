/* util/uuid.h - RFC 4122 UUIDs: random v4 generation (libsodium's CSPRNG) and
 * checking of received ones. STIX 2.1 only recommends v4, and producers such as
 * OpenCTI send deterministic v5 ids, so any RFC 4122 version (1-5) is accepted. */
#ifndef MZ_UUID_H
#define MZ_UUID_H

#include <stddef.h>

#define MZ_UUID_STRLEN 37 /* 36 characters + NUL */

/* Write a lowercase random (version 4) UUID into out. Needs sodium_init() first. */
void mz_uuid_v4(char *out);
/* 1 if s[0..len) is an RFC 4122 UUID (8-4-4-4-12 hex, version 1-5, variant 10xx). */
int mz_uuid_valid(const char *s, size_t len);

#endif
