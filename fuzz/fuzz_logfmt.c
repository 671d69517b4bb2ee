/* fuzz/fuzz_logfmt.c - libFuzzer target for the log scanners: untrusted log bytes,
 * split into lines, through every format (the first byte picks one), as
 * `mreza match` and POST /api/v1/match feed them; the field-less scan the prefilter
 * uses too. For JSON lines, the flat-object fast path must agree with the general
 * walker: a line and the same line with a tab after it (which only the walker takes)
 * must give the same verdict and the same values. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

struct digest {
    size_t n;
    uint64_t h;
    int values_only;
};

static int digest(void *ctx, const struct logfmt_value *v)
{
    struct digest *d = ctx;
    d->n++;
    for (size_t i = 0; i < v->value_len; i++)
        d->h = (d->h ^ (unsigned char)v->value[i]) * 0x100000001b3ull;
    for (size_t i = 0; !d->values_only && i < v->field_len; i++)
        d->h = (d->h ^ (unsigned char)v->field[i]) * 0x100000001b3ull;
    d->h = (d->h ^ (uint64_t)(v->kind_hint + 2)) * 0x100000001b3ull;
    return 0;
}

/* The flat scanner against the walker, on one line. */
static void json_agree(const char *line, size_t n)
{
    struct logfmt_opts opts = {LOGFMT_JSON, NULL, 0};
    struct logfmt *f1 = NULL, *f2 = NULL;
    struct digest d1 = {0, 0, 0}, d2 = {0, 0, 0}, d3 = {0, 0, 1}, d4 = {0, 0, 1};
    char *tabbed = malloc(n + 1);
    enum logfmt_skip r1, r2;

    if (!tabbed || logfmt_new(&opts, &f1, NULL) != MZ_OK || logfmt_new(&opts, &f2, NULL) != MZ_OK) {
        free(tabbed);
        logfmt_free(f1);
        return;
    }
    memcpy(tabbed, line, n);
    tabbed[n] = '\t';
    r1 = logfmt_line(f1, line, n, digest, &d1);
    r2 = logfmt_line(f2, tabbed, n + 1, digest, &d2);
    /* a NUL byte is reported as binary, wherever the walker stops; a tab is no NUL */
    if (r1 != r2 || d1.n != d2.n || d1.h != d2.h)
        __builtin_trap();
    /* the field-less scan has a fast path of its own: the same values */
    r1 = logfmt_values(f1, line, n, digest, &d3);
    r2 = logfmt_line(f2, tabbed, n + 1, digest, &d4);
    if (r1 != r2 || d3.n != d4.n || d3.h != d4.h)
        __builtin_trap();
    free(tabbed);
    logfmt_free(f1);
    logfmt_free(f2);
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
        logfmt_values(f, p, (size_t)(e - p), take, &sum);
        if (opts.kind == LOGFMT_JSON && !opts.fields)
            json_agree(p, (size_t)(e - p));
        p = nl ? nl + 1 : end;
    }
    logfmt_free(f);
    return 0;
}
