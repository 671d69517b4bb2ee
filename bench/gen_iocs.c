/* bench/gen_iocs.c - the seeded indicator bundle of the matcher benchmark (issue #4,
 * bench/match). Not a test: nothing here checks the node.
 *
 *   gen_iocs [--seed S] [--indicators N] [--out FILE|-] [--values FILE]
 *
 * Defaults: seed 1, 1000000 indicators, standard output. Writes a STIX 2.1 bundle of N
 * indicators, one object per line; the set itself (kinds, shares, values, namespaces)
 * is drawn by bench/iocgen.h, which bench/gen_logs.c uses too, so that the log
 * generator knows the indicators without reading this file. Each indicator: id
 * indicator--<v4 UUID>, spec_version 2.1, created = modified = valid_from (ms),
 * pattern_type stix, a pattern of one of
 *   [ipv4-addr:value = '1.2.3.4']
 *   [ipv4-addr:value ISSUBSET '11.20.0.0/16']
 *   [domain-name:value = 'secure-wallet12.com']
 *   [url:value = 'http://raventrack.club/gate/onyx123.php']
 *   [file:hashes.'SHA-256' = '<64 hex>']
 * and object_marking_refs [TLP:GREEN].
 *
 * --values FILE also writes every exact (non-CIDR) value, one a line, in bundle order:
 * the pattern list `grep -F -f FILE LOG` needs for the baseline.
 * The same arguments always give byte-identical outputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iocgen.h"

static void usage(void)
{
    fputs("usage: gen_iocs [--seed S] [--indicators N] [--out FILE|-] [--values FILE]\n", stderr);
    exit(2);
}

static unsigned long long num_arg(const char *opt, const char *v)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 0);
    if (errno || end == v || *end || v[0] == '-') {
        fprintf(stderr, "gen_iocs: %s needs a non-negative integer, got '%s'\n", opt, v);
        exit(2);
    }
    return n;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens path for writing ("-" = stdout) with a 1 MiB buffer (buf, owned by the caller). */
static FILE *open_out(const char *path, char *buf, size_t buf_len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;

    if (!f) {
        fprintf(stderr, "gen_iocs: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    setvbuf(f, buf, _IOFBF, buf_len);
    return f;
}

/* Flushes and closes f; returns 0, or -1 after reporting a write error. */
static int close_out(FILE *f, const char *path)
{
    int bad = fflush(f) != 0 || ferror(f);

    if (f != stdout && fclose(f) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "gen_iocs: write to %s failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void write_pattern(FILE *out, const struct ioc *v)
{
    switch (v->kind) {
    case IOC_IPV4:
        fprintf(out, "[ipv4-addr:value = '%s']", v->value);
        break;
    case IOC_CIDR:
        fprintf(out, "[ipv4-addr:value ISSUBSET '%s']", v->value);
        break;
    case IOC_DOMAIN:
        fprintf(out, "[domain-name:value = '%s']", v->value);
        break;
    case IOC_URL:
        fprintf(out, "[url:value = '%s']", v->value);
        break;
    default:
        fprintf(out, "[file:hashes.'SHA-256' = '%s']", v->value);
        break;
    }
}

int main(int argc, char **argv)
{
    static const char *const kind_names[IOC_N_KINDS] = {"ipv4", "cidr", "domain", "url",
                                                        "sha256"};
    static char obuf[1 << 20], vbuf[1 << 20];
    unsigned long long seed = 1, n_ind = 1000000, counts[IOC_N_KINDS] = {0}, n_values = 0;
    const char *out_path = "-", *values_path = NULL;
    char bundle_uuid[37];
    struct iocgen g;
    struct ioc v;
    FILE *out, *values = NULL;
    double t0 = now_s();
    long long bytes;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        if (!strcmp(a, "--seed"))
            seed = num_arg(a, argv[++i]);
        else if (!strcmp(a, "--indicators"))
            n_ind = num_arg(a, argv[++i]);
        else if (!strcmp(a, "--out"))
            out_path = argv[++i];
        else if (!strcmp(a, "--values"))
            values_path = argv[++i];
        else
            usage();
    }
    out = open_out(out_path, obuf, sizeof obuf);
    if (values_path)
        values = open_out(values_path, vbuf, sizeof vbuf);

    iocgen_init(&g, seed, bundle_uuid);
    fprintf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", bundle_uuid);
    for (unsigned long long i = 0; i < n_ind; i++) {
        iocgen_next(&g, &v);
        counts[v.kind]++;
        fprintf(out,
                "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                "\"created\":\"%s\",\"modified\":\"%s\",\"pattern\":\"",
                i ? ",\n" : "", v.uuid, v.ts, v.ts);
        write_pattern(out, &v);
        fprintf(out,
                "\",\"pattern_type\":\"stix\",\"valid_from\":\"%s\","
                "\"object_marking_refs\":[\"" IOCGEN_TLP_GREEN "\"]}",
                v.ts);
        if (values && v.kind != IOC_CIDR) {
            fwrite(v.value, 1, v.value_len, values);
            putc('\n', values);
            n_values++;
        }
    }
    fputs("\n]}\n", out);
    bytes = out != stdout ? ftell(out) : -1;
    if (close_out(out, out_path))
        rc = 1;
    if (values && close_out(values, values_path))
        rc = 1;
    iocgen_free(&g);
    if (rc)
        return rc;

    fprintf(stderr, "gen_iocs: %llu indicators (seed %llu) -> %s", n_ind, seed, out_path);
    if (bytes >= 0)
        fprintf(stderr, " (%.1f MB)", (double)bytes / 1e6);
    fputs(":", stderr);
    for (int k = 0; k < IOC_N_KINDS; k++)
        fprintf(stderr, " %s=%llu", kind_names[k], counts[k]);
    if (values)
        fprintf(stderr, "; %llu exact values -> %s", n_values, values_path);
    fprintf(stderr, "; %.2f s\n", now_s() - t0);
    return 0;
}
