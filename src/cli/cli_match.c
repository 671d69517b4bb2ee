/* cli/cli_match.c - `mreza match`: match log files (or stdin, gzip too) against the
 * node's indicators as one organisation or user sees them, with every core.
 *
 * A thin front end over the match use case (domain/svc_match.h): it turns the
 * options into a struct svc_match_opts, opens the node's index from its snapshot
 * (svc_match_open: mapped when intact and current, else rebuilt from the store and
 * rewritten), runs svc_match_files() and prints each hit as one JSON line
 * (svc_match_hit_json: the format POST /api/v1/match answers with), then a summary
 * (lines, values, matches, skipped lines by reason, the prefilter) on stderr.
 * --report hands the hits, collected per indicator, to the sighting use case
 * (domain/svc_sighting.h), which decides each sighting's marking and recipients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "domain/svc_match.h"
#include "domain/svc_sighting.h"
#include "util/buf.h"

/* Write each hit as one line; stop at the first write error. */
static int print_hit(void *ctx, const struct svc_match_hit *h)
{
    struct mz_buf *b = ctx;

    mz_buf_reset(b);
    if (svc_match_hit_json(b, h) || mz_buf_putc(b, '\n'))
        return 1;
    return fwrite(b->data, 1, b->len, stdout) != b->len;
}

/* --piece-size BYTES (K, M, G: powers of 1024); 0 if absent, -1 if malformed. */
static long long parse_piece_size(const struct cli_args *a)
{
    const char *v = cli_opt(a, "piece-size");
    char *e;
    unsigned long long n;

    if (!v)
        return 0;
    if (*v < '0' || *v > '9')
        return -1;
    n = strtoull(v, &e, 10);
    if (*e == 'K' || *e == 'k')
        n <<= 10, e++;
    else if (*e == 'M' || *e == 'm')
        n <<= 20, e++;
    else if (*e == 'G' || *e == 'g')
        n <<= 30, e++;
    return *e || n == 0 || n > ((size_t)1 << 40) ? -1 : (long long)n;
}

/* --threads N: at least 1; 0 (one per CPU) when absent. */
static int parse_threads(const struct cli_args *a)
{
    const char *v = cli_opt(a, "threads");
    long n;

    if (!v)
        return 0;
    n = strtol(v, NULL, 10);
    if (n < 1)
        n = 1;
    if (n > SVC_MATCH_MAX_THREADS)
        n = SVC_MATCH_MAX_THREADS;
    return (int)n;
}

/* The options of a->opt into o (fields borrowed from a). 0, or 1 after printing why. */
static int parse_opts(const struct cli_args *a, const char **fields, struct svc_match_opts *o)
{
    const char *fmt = cli_opt(a, "format");
    long long piece = parse_piece_size(a);

    memset(o, 0, sizeof *o);
    if (fmt && (o->format = svc_match_format(fmt)) < 0)
        return cli_failf("--format must be auto, json, eve, zeek, csv or text");
    if (piece < 0)
        return cli_failf("--piece-size must be a positive number of bytes, with an optional K, M or G");
    o->piece_bytes = (size_t)piece;
    o->n_threads = parse_threads(a);
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "field") && o->n_fields < SVC_MATCH_MAX_FIELDS)
            fields[o->n_fields++] = a->opt[i].val;
    o->fields = o->n_fields ? fields : NULL;
    if (cli_flag(a, "no-prefilter"))
        o->flags |= SVC_MATCH_NO_PREFILTER;
    return 0;
}

static void print_summary(const char *how, const struct svc_match_totals *t, int report, size_t n_sightings,
                          double secs)
{
    fprintf(stderr, "mreza match: index %s; %llu lines, %llu values, %llu matched values (%llu indicator hits)",
            how, (unsigned long long)t->lines, (unsigned long long)t->values,
            (unsigned long long)t->matched_values, (unsigned long long)t->hits);
    for (int s = 1; s < SVC_MATCH_N_SKIP; s++)
        if (t->skipped[s])
            fprintf(stderr, ", skipped %llu %s", (unsigned long long)t->skipped[s], svc_match_skip_name(s));
    if (t->regex_limited)
        fprintf(stderr, ", %llu MATCHES evaluations stopped at the regex limits and taken as no match"
                        " (match.regex_steps, match.regex_heap, match.regex_budget)",
                (unsigned long long)t->regex_limited);
    if (t->budget_spent) {
        fprintf(stderr, ", the patterns or indicators of an organisation ran out of budget on %llu values and"
                        " the rest were taken as no match there (match.regex_budget, match.hit_budget):",
                (unsigned long long)t->budget_spent);
        for (size_t i = 0; i < t->n_budget_owners; i++)
            fprintf(stderr, "%s %s on %llu", i ? "," : "", t->budget_owners[i].submitted_by,
                    (unsigned long long)t->budget_owners[i].values);
    }
    if (report)
        fprintf(stderr, ", %zu sightings stored", n_sightings);
    if (t->prefilter == SVC_MATCH_PREFILTER_OFF)
        fprintf(stderr, "; prefilter off (--no-prefilter)");
    else if (t->prefilter == SVC_MATCH_PREFILTER_NONE)
        fprintf(stderr, "; prefilter off (a pattern is evaluated on every value)");
    else
        fprintf(stderr, "; prefilter: %llu lines matched in full", (unsigned long long)t->full);
    fprintf(stderr, "; %.3f s, %d threads\n", secs, t->n_threads);
}

int cli_match(struct cli_args *a)
{
    struct store *st = NULL;
    struct engine *e = NULL;
    struct principal who;
    struct mz_error err;
    struct svc_match_opts o;
    struct svc_match_totals t;
    struct svc_sighted_list sighted;
    struct mz_buf line;
    const char *fields[SVC_MATCH_MAX_FIELDS], *stdin_path[] = {"-"};
    char how[300];
    struct timespec t0, t1;
    int report = cli_flag(a, "report"), rc = 0;
    size_t n_sightings = 0;

    for (int i = 0, n_stdin = 0; i < a->n_pos; i++)
        if (!strcmp(a->pos[i], "-") && ++n_stdin > 1)
            return cli_usagef("- (standard input) can be matched only once");
    if (parse_opts(a, fields, &o))
        return 1;
    mz_error_clear(&err);
    memset(&t, 0, sizeof t);
    svc_sighted_list_init(&sighted);
    mz_buf_init(&line, (size_t)1 << 20);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "as-user", &who, &err) ||
        (report && svc_sighting_check(&who, &err)) ||
        svc_match_open(st, a->conf.data_dir, &a->conf, &e, how, sizeof how, &err) ||
        svc_match_files(e, &who, a->n_pos ? a->pos : stdin_path, a->n_pos ? (size_t)a->n_pos : 1, &o, print_hit,
                        &line, &t, report ? &sighted : NULL, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (fflush(stdout) || ferror(stdout)) {
        rc = cli_failf("cannot write the matches");
        goto out;
    }
    if (report && svc_report_sightings(st, &who, sighted.v, sighted.n, &n_sightings, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_summary(how, &t, report, n_sightings,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
    mz_buf_free(&line);
    svc_sighted_list_free(&sighted);
    svc_match_close(e);
    svc_store_close(st);
    return rc;
}

/* ---- the options of `mreza match` (cli.h) ---- */

static enum mz_err check_format(const char *value, struct mz_error *err)
{
    if (svc_match_format(value) < 0)
        return mz_error_set(err, MZ_EINVAL, "", "'%s' is not one of auto, json, eve, zeek, csv, text", value);
    return MZ_OK;
}

const struct cli_option cli_match_options[] = {
    {.name = "as", .kind = CLI_OPT_TEXT, .value = "ORG", .flags = CLI_OPT_REQUIRED, .group = 1,
     .help = "match the indicators an analyst of ORG who is no particular user may see (no TLP:RED)"},
    {.name = "as-user", .kind = CLI_OPT_TEXT, .value = "USER", .flags = CLI_OPT_REQUIRED, .group = 1,
     .help = "match the indicators that user may see"},
    {.name = "format", .kind = CLI_OPT_TEXT, .value = "FORMAT", .check = check_format,
     .help = "auto (the default), json, eve, zeek, csv or text"},
    {.name = "field", .kind = CLI_OPT_TEXT, .value = "PATH", .flags = CLI_OPT_REPEAT, .max_times = SVC_MATCH_MAX_FIELDS,
     .help = "read only this field (JSON dotted path, CSV column); may repeat"},
    {.name = "threads", .kind = CLI_OPT_INT, .value = "N", .min = 1, .max = SVC_MATCH_MAX_THREADS,
     .help = "threads to match with (default: one per CPU)"},
    {.name = "piece-size", .kind = CLI_OPT_SIZE, .value = "BYTES", .min = 1, .max = 1LL << 40,
     .help = "the input is cut into pieces of about this size for the threads (default 8M)"},
    {.name = "report", .kind = CLI_OPT_FLAG,
     .help = "store a STIX sighting of each matched indicator, as the --as-user user"},
    {.name = "no-prefilter", .kind = CLI_OPT_FLAG, .help = "match every line in full (for checking)"},
    {.name = NULL},
};
