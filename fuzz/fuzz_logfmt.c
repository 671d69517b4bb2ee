/* fuzz/fuzz_logfmt.c - libFuzzer target for the log scanners: untrusted log bytes,
 * split into lines, through every format (the first byte picks one), as
 * `mreza match` and POST /api/v1/match feed them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "match/logfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int take(void *ctx, const struct logfmt_value *v)
{
    /* touch every byte handed out: ASan checks they are inside live memory */
    size_t *sum = ctx;
    for (size_t i = 0; i < v->value_len; i++)
        *sum += (unsigned char)v->value[i];
    for (size_t i = 0; i < v->field_len; i++)
        *sum += (unsigned char)v->field[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"query", "dns.rrname", "url", "id.resp_h"};
    struct logfmt_opts opts = {LOGFMT_AUTO, NULL, 0};
    struct logfmt *f = NULL;
    const char *p, *end;
    size_t sum = 0;

    if (size < 1)
        return 0;
    opts.kind = (enum logfmt_kind)(data[0] % 6);
    if (data[0] & 0x80) {
        opts.fields = fields;
        opts.n_fields = 4;
    }
    if (logfmt_new(&opts, &f, NULL) != MZ_OK)
        return 0;
    p = (const char *)data + 1;
    end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        logfmt_line(f, p, (size_t)(e - p), take, &sum);
        p = nl ? nl + 1 : end;
    }
    logfmt_free(f);
    return 0;
}
