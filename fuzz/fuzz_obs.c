/* fuzz/fuzz_obs.c - libFuzzer target for observable normalisation: untrusted bytes
 * (log values, API values, pattern literals) as every kind, and the kind guesser. A
 * value that normalises must normalise to itself again (canonical forms are fixed
 * points), else the index and the matcher would disagree; and the matcher's fast
 * dotted-quad parser must agree with the full one. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obs/obs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[OBS_MAX_LEN + 1], again[OBS_MAX_LEN + 1];
    size_t n, n2;

    obs_guess_kind((const char *)data, size);
    {
        /* the prefilter's fast quad parser says what obs_ipv4_parse says */
        uint32_t a = 0, b = 0;
        int prefix = 0;
        int fast = obs_ipv4_quad((const char *)data, size, &a);
        int slow = obs_ipv4_parse((const char *)data, size, &b, &prefix) == 0 && prefix == 32 &&
                   !memchr(data, '/', size);
        if (fast != slow || (fast && a != b))
            __builtin_trap();
    }
    for (int k = 0; k < OBS_N_KINDS; k++) {
        enum obs_kind real = (enum obs_kind)k, real2;
        if (obs_normalize((enum obs_kind)k, (const char *)data, size, out, sizeof out, &n, NULL, &real, NULL))
            continue;
        real2 = real;
        if (obs_normalize(real, out, n, again, sizeof again, &n2, NULL, &real2, NULL) || n2 != n ||
            memcmp(out, again, n) != 0 || real2 != real)
            __builtin_trap();
    }
    return 0;
}
