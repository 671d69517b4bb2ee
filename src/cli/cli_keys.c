/* cli/cli_keys.c - `mreza user key NAME`: issue a user a new API key, or with
 * --list, --revoke, --rotate or --update manage its keys; and its option table
 * (cli.h). The console acts (principal_console), so what a node admin may do;
 * domain/svc_keys.c decides what the texts mean and what may be done. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "rules/principal.h"
#include "util/timefmt.h"

static enum mz_err check_expires(const char *value, struct mz_error *err)
{
    struct mz_time now;
    int64_t t;

    mz_time_now(&now);
    return svc_key_when(value, now.sec, &t, err);
}

static enum mz_err check_grace(const char *value, struct mz_error *err)
{
    int64_t d;

    return svc_key_grace(value, &d, err);
}

const struct cli_option cli_user_key_options[] = {
    {.name = "comment", .kind = CLI_OPT_TEXT, .value = "TEXT",
     .help = "what the key is for (a new key; with --update, the new comment)"},
    {.name = "expires", .kind = CLI_OPT_TEXT, .value = "DATE|DURATION", .check = check_expires,
     .help = "when the key stops working: 2026-12-31 (UTC midnight), 2026-12-31T12:00:00Z, 30m, 12h, 90d, 2w, never"},
    {.name = "list", .kind = CLI_OPT_FLAG, .group = 1,
     .help = "list the user's keys: id, status, first characters, times, comment (never a key)"},
    {.name = "revoke", .kind = CLI_OPT_INT, .value = "KEY_ID", .min = 1, .max = INT64_MAX, .group = 1,
     .help = "revoke that key at once and for good"},
    {.name = "rotate", .kind = CLI_OPT_INT, .value = "KEY_ID", .min = 1, .max = INT64_MAX, .group = 1,
     .help = "issue a new key in place of that one, which is revoked at once (or after --grace)"},
    {.name = "update", .kind = CLI_OPT_INT, .value = "KEY_ID", .min = 1, .max = INT64_MAX, .group = 1,
     .help = "change that key's expiry (--expires; never removes it) and/or its --comment"},
    {.name = "grace", .kind = CLI_OPT_TEXT, .value = "DURATION", .check = check_grace,
     .help = "with --rotate: how long the old key keeps working (default 0, at most 7d)"},
    {.name = NULL},
};

/* The options that go with each way of running `user key` (the group's member, or
 * none: issue). */
static int options_fit(const struct cli_args *a, const char *mode)
{
    static const char *const extras[] = {"comment", "expires", "grace"};

    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        const char *x = extras[i];
        int fits = !strcmp(x, "grace") ? mode && !strcmp(mode, "rotate")
                                       : !mode || (strcmp(mode, "list") && strcmp(mode, "revoke"));
        if (cli_flag(a, x) && !fits)
            return cli_usagef("--%s does not go with %s%s", x, mode ? "--" : "issuing a key",
                              mode ? mode : " (it goes with --rotate)");
    }
    if (mode && !strcmp(mode, "update") && !cli_flag(a, "comment") && !cli_flag(a, "expires"))
        return cli_usagef("--update needs --expires or --comment (what to change)");
    return CLI_EXIT_OK;
}

static const char *or_text(const char *v, const char *none)
{
    return *v ? v : none;
}

static int print_key(void *ctx, const struct svc_key_view *k)
{
    (void)ctx;
    printf("%-6lld %-8s %-10s %-20s %-20s %-20s %s", (long long)k->id, k->status, or_text(k->prefix, "-"),
           or_text(k->created, "unknown"), or_text(k->expires, "never"), or_text(k->last_used, "never"),
           k->comment);
    if (k->replaced_by)
        printf("%s(replaced by key %lld)", *k->comment ? " " : "", (long long)k->replaced_by);
    if (*k->revoked && strcmp(k->status, "revoked"))
        printf(" (revoked at %s)", k->revoked);
    putchar('\n');
    return 0;
}

static void print_new_key(const struct svc_key_view *k, const char *key)
{
    printf("issued key %lld for %s, expires %s\n", (long long)k->id, k->user, or_text(k->expires, "never"));
    printf("api key (shown once, store it now): %s\n", key);
}

/* The KEY_ID of --mode. */
static int64_t key_id_of(const struct cli_args *a, const char *mode)
{
    long long v = 0;

    mz_conf_parse_int(cli_opt(a, mode), &v); /* checked by the parser */
    return (int64_t)v;
}

static enum mz_err run(struct store *st, const struct cli_args *a, const char *mode, struct mz_error *err)
{
    struct principal console;
    struct svc_key_opts o = {cli_opt(a, "comment"), cli_opt(a, "expires"), cli_opt(a, "grace")};
    struct svc_key_view k, old;
    const char *name = a->pos[1];
    char key[SVC_KEY_LEN];
    enum mz_err rc;

    principal_console(&console);
    if (!mode) {
        rc = svc_key_issue(st, &console, name, &o, &k, key, err);
        if (!rc)
            print_new_key(&k, key);
    } else if (!strcmp(mode, "list")) {
        printf("%-6s %-8s %-10s %-20s %-20s %-20s %s\n", "ID", "STATUS", "PREFIX", "CREATED", "EXPIRES", "LAST USED",
               "COMMENT");
        rc = svc_key_list(st, &console, name, print_key, NULL, err);
    } else if (!strcmp(mode, "revoke")) {
        rc = svc_key_revoke(st, &console, name, key_id_of(a, mode), &k, err);
        if (!rc)
            printf("revoked key %lld of %s\n", (long long)k.id, k.user);
    } else if (!strcmp(mode, "rotate")) {
        rc = svc_key_rotate(st, &console, name, key_id_of(a, mode), &o, &k, &old, key, err);
        if (!rc && !strcmp(old.status, "revoked"))
            printf("revoked key %lld of %s\n", (long long)old.id, old.user);
        else if (!rc)
            printf("key %lld of %s keeps working until %s\n", (long long)old.id, old.user, old.revoked);
        if (!rc)
            print_new_key(&k, key);
    } else {
        rc = svc_key_change(st, &console, name, key_id_of(a, mode), &o, &k, err);
        if (!rc)
            printf("key %lld of %s: %s, expires %s, comment \"%s\"\n", (long long)k.id, k.user, k.status,
                   or_text(k.expires, "never"), k.comment);
    }
    return rc;
}

int cli_user_key(struct cli_args *a)
{
    static const char *const modes[] = {"list", "revoke", "rotate", "update"};
    const char *mode = NULL;
    struct store *st = NULL;
    struct mz_error err;
    int rc;

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (cli_flag(a, modes[i]))
            mode = modes[i];
    rc = options_fit(a, mode);
    if (rc)
        return rc;
    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    if (run(st, a, mode, &err))
        rc = cli_fail(&err);
    svc_store_close(st);
    return rc;
}
