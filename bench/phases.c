/* bench/phases.c - the node's own ingest work on a bundle, phase by phase, without
 * the store or HTTP, to show where bench/ingest's time goes:
 *
 *   phases FILE
 *
 * Prints one line of key=value pairs:
 *   split_parse_s=S split_validate_s=S objects=N
 * split_parse_s:    bundle_split() with a callback that does nothing: the byte
 *                   scanner plus one json_loadb() per object (what svc_ingest does
 *                   before validation);
 * split_validate_s: the same plus stix_validate() of every object.
 * The rest of `mreza import` (store_put_object, commit) is the import time minus
 * split_validate_s. Uses the node's library (build/libmreza.a), so it measures
 * exactly the code the server runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt/bundle.h"
#include "rules/stix.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        fprintf(stderr, "phases: cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (;;) {
        if (cap - len < (1u << 20)) {
            char *nb;
            cap = cap ? cap * 2 : (64u << 20);
            nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "phases: out of memory\n");
                exit(1);
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    *len_out = len;
    return buf;
}

static enum mz_err count_only(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                              size_t index, struct mz_error *err)
{
    (void)obj;
    (void)raw;
    (void)raw_len;
    (void)index;
    (void)err;
    ++*(size_t *)ctx;
    return MZ_OK;
}

static enum mz_err validate(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                            size_t index, struct mz_error *err)
{
    struct stix_info info;
    enum mz_err rc = stix_validate(obj, &info, err);

    (void)raw;
    (void)raw_len;
    (void)index;
    stix_info_clear(&info);
    ++*(size_t *)ctx;
    return rc;
}

int main(int argc, char **argv)
{
    struct bundle_limits lim = {64, 10000000, 900, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct mz_error err;
    size_t len, n1 = 0, n2 = 0;
    double t0, t1, t2;
    char *buf;

    if (argc != 2) {
        fputs("usage: phases FILE\n", stderr);
        return 2;
    }
    buf = read_file(argv[1], &len);
    mz_error_clear(&err);
    t0 = now_s();
    if (bundle_split(buf, len, &lim, count_only, &n1, NULL, &err)) {
        fprintf(stderr, "phases: split failed: %s (at %s)\n", err.msg, err.field);
        return 1;
    }
    t1 = now_s();
    if (bundle_split(buf, len, &lim, validate, &n2, NULL, &err)) {
        fprintf(stderr, "phases: validation failed: %s (at %s)\n", err.msg, err.field);
        return 1;
    }
    t2 = now_s();
    free(buf);
    printf("split_parse_s=%.6f split_validate_s=%.6f objects=%zu\n", t1 - t0, t2 - t1, n2);
    return n1 == n2 ? 0 : 1;
}
