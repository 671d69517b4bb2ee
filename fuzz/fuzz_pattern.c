/* fuzz/fuzz_pattern.c - libFuzzer target for the STIX pattern parser: untrusted bytes
 * (an indicator's `pattern`) -> pattern_parse(), and for accepted patterns the plan
 * and an evaluation against a small fixed observation, as the indicator engine does:
 * without a budget, and with a small one (the engine's per-organisation budget), which
 * may only turn a match into none, and changes nothing unless it ran out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rules/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_term(void *ctx, const struct pattern_term *t)
{
    (void)t;
    ++*(int *)ctx;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pattern_value obs[] = {
        {"ipv4-addr", "value", "198.51.100.7"},
        {"domain-name", "value", "a.evil.example"},
        {"file", "hashes.SHA-256", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
        {"file", "name", "x.exe"},
    };
    static struct pattern_scratch *s;
    struct pattern *p = NULL;
    int n = 0, partial = 0, r0, r1;

    if (!s && pattern_scratch_new(NULL, &s, NULL) != MZ_OK)
        abort();
    if (pattern_parse((const char *)data, size, &p, NULL) != MZ_OK)
        return 0;
    pattern_plan(p, count_term, &n);
    r0 = pattern_eval(p, NULL, obs, sizeof obs / sizeof obs[0], &partial);
    pattern_scratch_budget(s, 40 + size % 200);
    r1 = pattern_eval(p, s, obs, sizeof obs / sizeof obs[0], NULL);
    if (r1 > r0 || (r1 != r0 && !pattern_scratch_budget_spent(s)))
        abort();
    pattern_is_temporal(p);
    pattern_free(p);
    return 0;
}
