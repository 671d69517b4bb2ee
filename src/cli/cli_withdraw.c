/* cli/cli_withdraw.c - `mreza withdraw ID --user USER`: the owner takes back versions
 * shared too widely by mistake (docs/model.md R7), restores them, or reads the records
 * of what it took back - straight on the store, as the user would through
 * POST /api/v1/objects/{id}/withdraw and GET /api/v1/objects/{id}/withdrawals. Who
 * may and which versions: domain/svc_withdraw.c. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "rules/tlp.h"

const struct cli_option cli_withdraw_options[] = {
    {.name = "user", .kind = CLI_OPT_TEXT, .value = "USER", .flags = CLI_OPT_REQUIRED,
     .help = "act as this user (of the organisation that owns the object)"},
    {.name = "version", .kind = CLI_OPT_TEXT, .value = "MODIFIED", .flags = CLI_OPT_REPEAT, .max_times = 100,
     .help = "withdraw this version (its `modified`); may repeat; default: every version USER may read"},
    {.name = "to", .kind = CLI_OPT_TEXT, .value = "IDENTITY", .flags = CLI_OPT_REPEAT,
     .max_times = SVC_WITHDRAW_MAX_TO,
     .help = "an organisation's or user's identity that keeps reading them (besides yours); may repeat"},
    {.name = "reason", .kind = CLI_OPT_TEXT, .value = "TEXT",
     .help = "why (kept in the record, which only your organisation reads)"},
    {.name = "owner-gives-up", .kind = CLI_OPT_FLAG,
     .help = "your organisation does not keep them either (only --to does)"},
    {.name = "restore", .kind = CLI_OPT_FLAG, .group = 1,
     .help = "restore withdrawn versions instead (admins): read as their markings say again"},
    {.name = "show", .kind = CLI_OPT_FLAG, .group = 1,
     .help = "print the withdrawal records of ID (who, when, why, who keeps it) and change nothing"},
    {.name = NULL},
};

/* The values of repeated option key, in order, into out (room for max). */
static size_t values_of(const struct cli_args *a, const char *key, const char **out, size_t max)
{
    size_t n = 0;

    for (int i = 0; i < a->n_opt && n < max; i++)
        if (!strcmp(a->opt[i].key, key))
            out[n++] = a->opt[i].val;
    return n;
}

static int print_record(void *ctx, const struct svc_withdrawal_view *w)
{
    (void)ctx;
    printf("%s %s (%s): %s by %s at %s", w->version[0] ? w->version : "-", w->tombstone,
           tlp_label((enum tlp_level)w->tlp), w->keep ? "withdrawn" : "restored", w->by[0] ? w->by : "?", w->at);
    if (w->keep)
        printf("; kept by %s", w->keep[0] ? w->keep : "nobody");
    if (w->reason)
        printf("; reason: %s", w->reason);
    putchar('\n');
    return 0;
}

int cli_withdraw(struct cli_args *a)
{
    const char *versions[CLI_MAX_OPT], *to[CLI_MAX_OPT];
    struct svc_withdraw_in in;
    struct svc_withdraw_result res;
    struct store *st = NULL;
    struct mz_error err;
    struct principal p;
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    memset(&in, 0, sizeof in);
    in.id = a->pos[0];
    in.n_versions = values_of(a, "version", versions, CLI_MAX_OPT);
    in.versions = in.n_versions ? versions : NULL;
    in.n_to = values_of(a, "to", to, CLI_MAX_OPT);
    in.to = to;
    in.reason = cli_opt(a, "reason");
    in.owner_gives_up = cli_flag(a, "owner-gives-up");
    in.restore = cli_flag(a, "restore");
    if (cli_flag(a, "show") && (in.n_versions || in.n_to || in.reason || in.owner_gives_up))
        return cli_usagef("--show changes nothing: it takes none of --version, --to, --reason, --owner-gives-up");
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "user", &p, &err)) {
        svc_store_close(st);
        return cli_fail(&err);
    }
    if (cli_flag(a, "show")) {
        if (svc_withdrawals(st, &p, in.id, print_record, NULL, &err))
            rc = cli_fail(&err);
        svc_store_close(st);
        return rc;
    }
    if (svc_withdraw(st, &p, &in, &res, &err)) {
        rc = cli_fail(&err);
    } else {
        for (size_t i = 0; i < res.n; i++) {
            const struct svc_withdrawn *it = &res.items[i];
            printf("%s version %s of %s (%s)", in.restore ? "restored" : "withdrew",
                   it->version[0] ? it->version : "-", in.id, tlp_label((enum tlp_level)it->tlp));
            if (it->keep)
                printf(": kept by %s", it->keep[0] ? it->keep : "nobody");
            if (!it->at[0])
                printf(" (already so: unchanged)");
            printf("; tombstone %s\n", it->tombstone);
        }
        svc_withdraw_result_free(&res);
    }
    svc_store_close(st);
    return rc;
}
