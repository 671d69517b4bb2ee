/* fuzz/fuzz_obs.c - libFuzzer target for observable normalisation: untrusted bytes
 * (log values, API values, pattern literals) as every kind, and the kind guesser. A
 * value that normalises must normalise to itself again (canonical forms are fixed
 * points), else the index and the matcher would disagree; the matcher's fast
 * dotted-quad parser must agree with the full one; and the address reading the
 * pattern evaluator uses (ip_net_parse) must agree with the index's (obs_ipv4_parse,
 * obs_ipv6_parse) wherever the index takes the value. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obs/ip.h"
#include "obs/obs.h"

/* The pattern evaluator's reading of s against the index's: a range the index takes
 * (no host bits) is the same address and prefix to both, and an address the evaluator
 * reads without a prefix and host bits is one the index takes. */
static void ip_agree(const char *s, size_t n)
{
    struct ip_net net;
    uint32_t a4 = 0;
    uint8_t a6[16];
    int p4 = -1, p6 = -1;
    int ok4 = obs_ipv4_parse(s, n, &a4, &p4) == 0;
    int ok6 = obs_ipv6_parse(s, n, a6, &p6) == 0;
    int ok = ip_net_parse(s, n, &net) == IP_OK;

    if ((ok4 || ok6) && !ok)
        __builtin_trap();
    if (ok4 && (net.family != 4 || ip_net_v4(&net) != a4 || net.prefix != p4))
        __builtin_trap();
    if (ok6 && !ip_v6_is_mapped(a6, p6) && (net.family != 6 || memcmp(net.addr, a6, 16) || net.prefix != p6))
        __builtin_trap();
    if (ok && !net.has_prefix && !ok4 && !ok6)
        __builtin_trap(); /* a single address, no host bits possible */
    if (ip_v6_addr(s, n, a6) == 0 && !memchr(s, '/', n) && !ok6)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[OBS_MAX_LEN + 1], again[OBS_MAX_LEN + 1];
    size_t n, n2;

    obs_guess_kind((const char *)data, size);
    ip_agree((const char *)data, size);
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
