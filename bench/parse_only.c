/* bench/parse_only.c - the baseline of the ingest benchmark: how long does it take
 * just to read a bundle file and parse it with jansson, with no validation and no
 * store? bench/ingest divides the node's ingest times by this figure.
 *
 *   parse_only FILE
 *
 * Prints one line of key=value pairs:
 *   bytes=N read_s=S parse_s=S free_s=S objects=N
 * read_s is reading the file into memory; parse_s is one json_loadb() of the whole
 * buffer (with JSON_REJECT_DUPLICATES, as the node parses); free_s is releasing the
 * tree; objects is the size of the bundle's "objects" array. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        fprintf(stderr, "parse_only: cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (;;) {
        if (cap - len < (1u << 20)) {
            char *nb;
            cap = cap ? cap * 2 : (64u << 20);
            nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "parse_only: out of memory\n");
                exit(1);
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    if (ferror(f)) {
        fprintf(stderr, "parse_only: error reading %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fclose(f);
    *len_out = len;
    return buf;
}

int main(int argc, char **argv)
{
    json_error_t je;
    json_t *root, *objects;
    double t0, t1, t2, t3;
    size_t len, n_objects;
    char *buf;

    if (argc != 2) {
        fputs("usage: parse_only FILE\n", stderr);
        return 2;
    }
    t0 = now_s();
    buf = read_file(argv[1], &len);
    t1 = now_s();
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    t2 = now_s();
    if (!root) {
        fprintf(stderr, "parse_only: %s: JSON error at line %d column %d: %s\n", argv[1], je.line,
                je.column, je.text);
        return 1;
    }
    objects = json_object_get(root, "objects");
    if (!json_is_array(objects)) {
        fprintf(stderr, "parse_only: %s: no \"objects\" array; is it a STIX bundle?\n", argv[1]);
        return 1;
    }
    n_objects = json_array_size(objects);
    json_decref(root);
    t3 = now_s();
    free(buf);
    printf("bytes=%zu read_s=%.6f parse_s=%.6f free_s=%.6f objects=%zu\n", len, t1 - t0, t2 - t1,
           t3 - t2, n_objects);
    return 0;
}
