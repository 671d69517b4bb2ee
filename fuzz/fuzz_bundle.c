/* fuzz/fuzz_bundle.c - libFuzzer target for the ingest path's parsing: untrusted bytes
 * -> bundle_split() -> stix_validate() on every object, exactly as svc_ingest() runs
 * them before anything is written; and the same bytes as a TAXII envelope
 * (bundle_split_envelope(), TAXII POST). Build and run: `make fuzz` (clang, libFuzzer);
 * fuzz/replay.c replays fuzz/corpus/bundle/ under gcc + ASan in `make test`. */
#include <stddef.h>
#include <stdint.h>

#include "fmt/bundle.h"
#include "rules/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum mz_err check_object(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                                size_t index, struct mz_error *err)
{
    struct stix_info info;
    enum mz_err rc = stix_validate(obj, &info, err);

    (void)ctx;
    (void)index;
    /* The span is one JSON object, give or take surrounding white space. */
    while (raw_len && (*raw == ' ' || *raw == '\n' || *raw == '\r' || *raw == '\t')) {
        raw++;
        raw_len--;
    }
    while (raw_len && (raw[raw_len - 1] == ' ' || raw[raw_len - 1] == '\n' ||
                       raw[raw_len - 1] == '\r' || raw[raw_len - 1] == '\t'))
        raw_len--;
    if (raw_len < 2 || raw[0] != '{' || raw[raw_len - 1] != '}')
        __builtin_trap();
    stix_info_clear(&info);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle_limits lim = {64, 10000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct mz_error err;

    mz_error_clear(&err);
    bundle_split((const char *)data, size, &lim, check_object, NULL, NULL, &err);
    /* the same bytes as a TAXII POST's envelope (bundle_split_envelope) */
    mz_error_clear(&err);
    bundle_split_envelope((const char *)data, size, &lim, check_object, NULL, &err);
    return 0;
}
