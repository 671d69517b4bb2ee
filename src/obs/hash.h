/* obs/hash.h - file hashes as observables: which kind a hex digest of a given length
 * is. The one answer the normaliser (hash.c), the kind guesser (obs.c), the log
 * scanners (match/logfmt*.c) and the prefilter (engine/prefilter.c) give. */
#ifndef MZ_OBS_HASH_H
#define MZ_OBS_HASH_H

#include <stddef.h>

#include "obs/obs.h"

/* OBS_MD5, OBS_SHA1, OBS_SHA256 or OBS_SHA512 for a hex digest of n digits (32, 40,
 * 64, 128), else -1. */
static inline int hash_kind_of_len(size_t n)
{
    switch (n) {
    case 32:
        return OBS_MD5;
    case 40:
        return OBS_SHA1;
    case 64:
        return OBS_SHA256;
    case 128:
        return OBS_SHA512;
    default:
        return -1;
    }
}

#endif
