/* fuzz/fuzz_logfmt.c - libFuzzer target for the log scanners: untrusted log bytes,
 * split into lines, through every format (the first byte picks one), as
 * `mreza match` and POST /api/v1/match feed them; the field-less scan the prefilter
 * uses too. For JSON lines, the flat-object fast path must agree with the general
 * walker: a line and the same line with a tab after it (which only the walker takes)
 * must give the same verdict and the same values. And the matcher's first-stage
 * scanner (match/jscan.h), with every kernel the CPU runs, must find the same line
 * end, and a line it calls flat must be one logfmt takes with the same values. An
 * IPv4 or IPv6 address the free-text scanner reports must be one the index reads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/jscan.h"
#include "match/logfmt.h"
#include "obs/obs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct taken {
    size_t sum;
    const struct logfmt *f;
};

static int take(void *ctx, const struct logfmt_value *v)
{
    /* touch every byte handed out: ASan checks they are inside live memory */
    struct taken *t = ctx;
    for (size_t i = 0; i < v->value_len; i++)
        t->sum += (unsigned char)v->value[i];
    for (size_t i = 0; i < v->field_len; i++)
        t->sum += (unsigned char)v->field[i];
    /* an address the free-text scanner reports is one the index reads (obs/ip.h) */
    if (logfmt_kind_of(t->f) == LOGFMT_TEXT && (v->kind_hint == OBS_IPV4 || v->kind_hint == OBS_IPV6)) {
        char out[OBS_MAX_LEN + 1];
        if (obs_normalize((enum obs_kind)v->kind_hint, v->value, v->value_len, out, sizeof out, NULL, NULL, NULL,
                          NULL) != 0)
            __builtin_trap();
    }
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

static int count_value(void *ctx, const struct logfmt_value *v)
{
    (void)v;
    ++*(size_t *)ctx;
    return 0;
}

/* jscan on the line at p (the input ends at end) against logfmt. */
static void jscan_agree(struct jscan *const *js, size_t nk, struct logfmt *f, const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((nl ? nl : end) - p), n = 0, called = 0;
    const struct logfmt_span *spans = NULL;
    enum logfmt_skip r = logfmt_values_all(f, p, len, &spans, &n, count_value, &called);

    for (size_t k = 0; k < nk; k++) {
        int flat;
        if (jscan_line(js[k], p, end, end, &flat) != len)
            __builtin_trap();
        if (!flat)
            continue;
        if (r != LOGFMT_OK || called || js[k]->n != n)
            __builtin_trap();
        for (size_t i = 0; i < n; i++)
            if (js[k]->v[i].p != spans[i].p || js[k]->v[i].len != spans[i].len)
                __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jscan *js[3];
    size_t nk = 0;
    static const char *const fields[] = {"query", "dns.rrname", "url", "id.resp_h"};
    struct logfmt_opts opts = {LOGFMT_AUTO, NULL, 0};
    struct logfmt *f = NULL;
    const char *p, *end;
    struct taken t = {0, NULL};

    if (size < 1)
        return 0;
    opts.kind = (enum logfmt_kind)(data[0] % 6);
    if (data[0] & 0x80) {
        opts.fields = fields;
        opts.n_fields = 4;
    }
    if (logfmt_new(&opts, &f, NULL) != MZ_OK)
        return 0;
    t.f = f;
    for (int k = JSCAN_SCALAR; k <= JSCAN_AVX2; k++)
        if ((js[nk] = jscan_new_kernel((enum jscan_kernel)k)) != NULL)
            nk++;
    p = (const char *)data + 1;
    end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        logfmt_line(f, p, (size_t)(e - p), take, &t);
        logfmt_values(f, p, (size_t)(e - p), take, &t);
        if (opts.kind == LOGFMT_JSON && !opts.fields) {
            json_agree(p, (size_t)(e - p));
            jscan_agree(js, nk, f, p, end);
        }
        p = nl ? nl + 1 : end;
    }
    logfmt_free(f);
    for (size_t k = 0; k < nk; k++)
        free(js[k]);
    return 0;
}
