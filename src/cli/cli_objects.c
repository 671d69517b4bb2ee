/* cli/cli_objects.c - `mreza import` and `mreza export`, straight on the store (no
 * server needed; SQLite's WAL lets them run beside a serving node), and their
 * option tables (cli.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "rules/tlp.h"
#include "util/buf.h"

#define CLI_MAX_INPUT ((size_t)4 << 30)

const struct cli_option cli_import_options[] = {
    {.name = "user", .kind = CLI_OPT_TEXT, .value = "USER", .flags = CLI_OPT_REQUIRED,
     .help = "store the objects as this user would post them (its organisation owns them)"},
    {.name = "author-self", .kind = CLI_OPT_FLAG,
     .help = "objects without created_by_ref are your organisation's own work (they claim their ids)"},
    {.name = "narrow-revocation", .kind = CLI_OPT_FLAG,
     .help = "accept a revocation marked narrower than what it revokes (its earlier readers are not told)"},
    {.name = "community", .kind = CLI_OPT_TEXT, .value = "NAME[,NAME…]",
     .help = "share the objects into these communities (default: national); the user's organisation writes to each"},
    {.name = NULL},
};

static enum mz_err check_tlp(const char *value, struct mz_error *err)
{
    if (tlp_parse(value) < 0)
        return mz_error_set(err, MZ_EINVAL, "", "'%s' is not one of clear, green, amber, amber+strict, red", value);
    return MZ_OK;
}

const struct cli_option cli_export_options[] = {
    {.name = "as", .kind = CLI_OPT_TEXT, .value = "ORG", .flags = CLI_OPT_REQUIRED, .group = 1,
     .help = "what an analyst of ORG who is no particular user may see (no TLP:RED)"},
    {.name = "as-user", .kind = CLI_OPT_TEXT, .value = "USER", .flags = CLI_OPT_REQUIRED, .group = 1,
     .help = "what that user may see"},
    {.name = "type", .kind = CLI_OPT_TEXT, .value = "T[,T…]", .help = "only objects of these STIX types"},
    {.name = "tlp", .kind = CLI_OPT_TEXT, .value = "LEVEL", .check = check_tlp,
     .help = "only objects of this TLP level: clear, green, amber, amber+strict or red"},
    {.name = "with-submitted-by", .kind = CLI_OPT_FLAG,
     .help = "end the bundle with x_mreza_submitted_by: the organisation that submitted each object"},
    {.name = "community", .kind = CLI_OPT_TEXT, .value = "NAME[,NAME…]",
     .help = "only objects shared into one of these communities"},
    {.name = NULL},
};

static enum mz_err read_input(const char *path, struct mz_buf *b, struct mz_error *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char chunk[1 << 16];
    size_t n;
    enum mz_err rc = MZ_OK;

    if (!f)
        return mz_error_set(err, MZ_EIO, "", "cannot read %s: %s", path, strerror(errno));
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mz_buf_append(b, chunk, n);
    if (!rc && ferror(f))
        rc = mz_error_set(err, MZ_EIO, "", "cannot read %s: %s", path, strerror(errno));
    else if (rc)
        mz_error_set(err, rc, "", "%s is too large", path);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* The first item a granular marking made stricter (there is one). */
static size_t first_raised(const struct svc_ingest_result *res)
{
    size_t i = 0;

    while (i + 1 < res->n_items && !res->items[i].tlp_raised)
        i++;
    return i;
}

/* One file, read and stored as one all-or-nothing unit (one transaction); reported
 * on stdout, or on stderr with the file's name. Returns CLI_EXIT_OK or CLI_EXIT_FAIL. */
static int import_file(struct store *st, const struct principal *p, const struct bundle_limits *lim,
                       const char *path)
{
    struct mz_error err;
    struct mz_buf in;
    struct svc_ingest_result res;
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    mz_buf_init(&in, CLI_MAX_INPUT);
    if (read_input(path, &in, &err)) {
        rc = cli_fail(&err);
    } else if (svc_ingest(st, p, in.data, in.len, lim, &res, &err)) {
        rc = cli_failf("%s: nothing imported: %s%s%s%s", path, err.msg, err.field[0] ? " (at " : "", err.field,
                       err.field[0] ? ")" : "");
    } else {
        printf("imported %zu objects (%zu new, %zu duplicates, %zu without TLP marking -> TLP:AMBER+STRICT",
               res.n_items, res.n_new, res.n_duplicate, res.n_defaulted);
        if (res.n_raised) /* the whole object takes the strictest marking found in it */
            printf(", %zu made stricter as a whole by a granular marking (first: %s -> %s)", res.n_raised,
                   svc_item_id(&res, first_raised(&res)), tlp_label((enum tlp_level)res.items[first_raised(&res)].tlp));
        printf(") from %s\n", path);
        svc_ingest_result_free(&res);
    }
    mz_buf_free(&in);
    return rc;
}

/* Each file is its own all-or-nothing unit: a bad one is reported and the others
 * are still stored; the exit status is CLI_EXIT_FAIL if any failed. */
int cli_import(struct cli_args *a)
{
    struct store *st = NULL;
    struct mz_error err;
    struct principal p;
    struct bundle_limits lim = {a->conf.http_max_depth, a->conf.http_max_objects, a->conf.ingest_max_future_skew,
                                a->conf.ingest_max_versions, 0, cli_flag(a, "author-self"),
                                cli_flag(a, "narrow-revocation"), a->conf.ingest_max_objects_per_org,
                                a->conf.ingest_max_versions_per_org_id,
                                cli_opt(a, "community"), 0, 0};
    int n_stdin = 0, failed = 0;

    mz_error_clear(&err);
    for (int i = 0; i < a->n_pos; i++)
        n_stdin += !strcmp(a->pos[i], "-");
    if (n_stdin > 1)
        return cli_usagef("- (standard input) can be imported only once");
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "user", &p, &err)) {
        svc_store_close(st);
        return cli_fail(&err);
    }
    for (int i = 0; i < a->n_pos; i++)
        failed += import_file(st, &p, &lim, a->pos[i]) != CLI_EXIT_OK;
    if (failed && a->n_pos > 1)
        cli_failf("%d of %d files not imported (each file is all or nothing; the others are stored)", failed,
                  a->n_pos);
    svc_store_close(st);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int file_write(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) != len;
}

int cli_export(struct cli_args *a)
{
    struct store *st = NULL;
    struct mz_error err;
    struct principal p;
    struct svc_query q;
    static struct svc_types types;
    const char *v;
    size_t n = 0;
    int rc = 0;

    mz_error_clear(&err);
    memset(&q, 0, sizeof q);
    q.tlp = -1;
    if ((v = cli_opt(a, "tlp")))
        q.tlp = tlp_parse(v); /* checked by check_tlp */
    q.with_submitted_by = cli_flag(a, "with-submitted-by");
    q.community = cli_opt(a, "community");
    if ((v = cli_opt(a, "type")) && svc_query_types(&q, &types, v, &err))
        return cli_usagef("--type: %s", err.msg);
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "as-user", &p, &err) ||
        svc_export(st, &p, &q, file_write, stdout, &n, &err))
        rc = cli_fail(&err);
    else if (fflush(stdout) != 0)
        rc = cli_failf("cannot write the export: %s", strerror(errno));
    svc_store_close(st);
    return rc;
}
