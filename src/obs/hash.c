/* obs/hash.c - MD5, SHA-1, SHA-256 and SHA-512 digests as observables: exactly the
 * digest's number of hex digits (hash.h), written in lowercase. Hand-written: one
 * loop over a table of hex values; there is nothing for a library to do. */
#include "obs/ascii.h"
#include "obs/hash.h"
#include "obs/obs_int.h"

int hash_norm(enum obs_kind k, const char *s, size_t len, struct obs_out *w,
              struct mz_error *err)
{
    if (hash_kind_of_len(len) != (int)k) {
        static const size_t want[] = {32, 40, 64, 128}; /* md5, sha1, sha256, sha512 */

        mz_error_set(err, MZ_EINVAL, NULL, "%s hash must be exactly %zu hex digits",
                     obs_kind_name(k), want[k - OBS_MD5]);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        int v = ascii_hex_val((unsigned char)s[i]);

        if (v < 0)
            return obs_fail(err, MZ_EINVAL, "hash contains a character that is not a hex digit");
        out_put(w, ascii_hex_lc[v]);
    }
    return 0;
}
