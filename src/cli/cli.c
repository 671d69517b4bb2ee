/* cli/cli.c - `mreza COMMAND [options]`: the command table, option parsing and
 * configuration precedence (defaults < config file < flags). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rules/principal.h"
#include "domain/svc.h"
#include "util/log.h"

struct command {
    const char *name;
    int (*fn)(struct cli_args *a);
    const char *usage;
    const char *summary;
};

static int cli_help(struct cli_args *a);

static const struct command commands[] = {
    {"init", cli_init, "init [--demo]",
     "create the node's store in --data; --demo also loads the demo community and prints its API keys"},
    {"serve", cli_serve, "serve [--listen ADDR:PORT]",
     "run the HTTP API (prints the URL once listening; stop with SIGINT/SIGTERM)"},
    {"org", cli_org, "org add NAME --country CC [--full-name TEXT] [--sector S] [--kind K] | org list",
     "add or list organisations (kind: national-csirt, sector-csirt, government-csirt, police, operator, other)"},
    {"user", cli_user, "user add NAME --org ORG --role ROLE | user list [--org ORG] | user key NAME",
     "add a user (prints its API key once), list users, or issue a new key (roles: admin, analyst, reporter, viewer)"},
    {"import", cli_import, "import FILE|- --user USER",
     "store a STIX 2.1 bundle (or object) as USER would post it; all or nothing"},
    {"export", cli_export, "export (--as ORG | --as-user USER) [--type T[,T…]] [--tlp LEVEL]",
     "write a STIX 2.1 bundle of what that organisation (or user) may see to stdout"},
    {"match", cli_match,
     "match (--as ORG | --as-user USER) [--format auto|json|eve|zeek|csv|text] [--field PATH]… [--threads N] [--piece-size BYTES] [--report] [--no-prefilter] [FILE…|-]",
     "match logs (plain or gzip) against the indicators that organisation or user may see; one JSON line per match"},
    {"check", cli_check, "check", "verify the store's integrity (PRAGMA integrity_check)"},
    {"config", cli_config, "config defaults|show", "print every setting with its default (or current) value"},
    {"help", cli_help, "help [COMMAND]", "show help for a command"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char *const flag_opts[] = {"demo", "help", "no-prefilter", "report"};

static int is_flag(const char *key)
{
    for (size_t i = 0; i < sizeof flag_opts / sizeof flag_opts[0]; i++)
        if (!strcmp(key, flag_opts[i]))
            return 1;
    return 0;
}

const char *cli_opt(const struct cli_args *a, const char *key)
{
    for (int i = a->n_opt - 1; i >= 0; i--)
        if (!strcmp(a->opt[i].key, key))
            return a->opt[i].val;
    return NULL;
}

int cli_flag(const struct cli_args *a, const char *key)
{
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, key))
            return 1;
    return 0;
}

int cli_fail(const struct mz_error *e)
{
    if (e->field[0])
        fprintf(stderr, "mreza: %s (at %s)\n", e->msg, e->field);
    else
        fprintf(stderr, "mreza: %s\n", e->msg[0] ? e->msg : mz_err_name(e->code));
    return 1;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;

    fputs("mreza: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

enum mz_err cli_open_store(const struct cli_args *a, struct store **out, struct mz_error *err)
{
    struct store_opts opts = {a->conf.store_cache_mb, 0};
    return store_open(a->conf.data_dir, &opts, out, err);
}

/* The principal a command acts as: --user/--as-user NAME (that user), or --as ORG
 * (an analyst of ORG - a reporter when ORG is an operator - who is no particular
 * user, so TLP:RED is never included). */
enum mz_err cli_principal(struct store *st, const struct cli_args *a, const char *user_opt,
                          struct principal *p, struct mz_error *err)
{
    const char *user = cli_opt(a, user_opt), *org = cli_opt(a, "as");
    enum mz_err rc;

    memset(p, 0, sizeof *p);
    if (user) {
        rc = store_user_by_name(st, user, &p->user, err);
        if (!rc)
            rc = store_org_by_id(st, p->user.org_id, &p->org, err);
        if (!rc)
            p->role = role_parse(p->user.role);
        return rc;
    }
    if (org && strcmp(user_opt, "user")) {
        rc = store_org_by_name(st, org, &p->org, err);
        /* an operator of essential services sees what its reporters see */
        if (!rc)
            p->role = strcmp(p->org.kind, "operator") ? ROLE_ANALYST : ROLE_REPORTER;
        return rc;
    }
    return mz_error_set(err, MZ_EINVAL, "", "say who acts: --%s USER%s", user_opt,
                        strcmp(user_opt, "user") ? " or --as ORG" : "");
}

/* Split argv into options and positional arguments. */
static int parse_args(int argc, char **argv, struct cli_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) == 0 && s[2]) {
            const char *key = s + 2, *eq = strchr(key, '=');
            if (a->n_opt == CLI_MAX_OPT)
                return cli_failf("too many options");
            if (eq) {
                /* --key=value: keep the key in argv's storage by splitting it */
                argv[i][eq - s] = '\0';
                a->opt[a->n_opt].key = key;
                a->opt[a->n_opt++].val = eq + 1;
            } else if (is_flag(key)) {
                a->opt[a->n_opt].key = key;
                a->opt[a->n_opt++].val = NULL;
            } else {
                if (i + 1 >= argc)
                    return cli_failf("option --%s needs a value", key);
                a->opt[a->n_opt].key = key;
                a->opt[a->n_opt++].val = argv[++i];
            }
        } else {
            if (a->n_pos == CLI_MAX_POS)
                return cli_failf("too many arguments");
            a->pos[a->n_pos++] = s;
        }
    }
    return 0;
}

/* defaults < config file (--config, else <data>/mreza.conf if present) < flags. */
static int load_conf(struct cli_args *a)
{
    struct mz_error err;
    const char *cfg = cli_opt(a, "config"), *data = cli_opt(a, "data");
    char path[MZ_CONF_STR_LEN + 16];

    mz_error_clear(&err);
    mz_conf_defaults(&a->conf);
    if (cfg) {
        if (mz_conf_load_file(&a->conf, cfg, &err))
            return cli_fail(&err);
    } else {
        snprintf(path, sizeof path, "%s/mreza.conf", data ? data : a->conf.data_dir);
        if (access(path, R_OK) == 0 && mz_conf_load_file(&a->conf, path, &err))
            return cli_fail(&err);
    }
    for (int i = 0; i < a->n_opt; i++) {
        const char *k = a->opt[i].key, *v = a->opt[i].val;
        enum mz_err rc = MZ_OK;
        if (!strcmp(k, "set"))
            rc = mz_conf_set_kv(&a->conf, v, &err);
        else if (!strcmp(k, "data"))
            rc = mz_conf_set(&a->conf, "data", v, &err);
        else if (!strcmp(k, "listen"))
            rc = mz_conf_set(&a->conf, "listen", v, &err);
        if (rc)
            return cli_fail(&err);
    }
    mz_log_init((enum mz_log_level)mz_log_level_parse(a->conf.log_level));
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: mreza COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\ncommon options:\n"
                 "  --data DIR        the node's data directory (default ./mreza-data)\n"
                 "  --config FILE     config file (default <data>/mreza.conf if present)\n"
                 "  --set KEY=VALUE   override one setting (see `mreza config defaults`)\n"
                 "\n`mreza help COMMAND` shows one command.\n");
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int cli_help(struct cli_args *a)
{
    const struct command *c;

    if (a->n_pos < 1) {
        usage(stdout);
        return 0;
    }
    c = find_command(a->pos[0]);
    if (!c)
        return cli_failf("no command '%s' (try `mreza help`)", a->pos[0]);
    printf("usage: mreza %s\n\n%s\n", c->usage, c->summary);
    return 0;
}

int cli_main(int argc, char **argv)
{
    static struct cli_args a; /* large; one per process */
    const struct command *c;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    c = find_command(argv[1]);
    if (!c) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            usage(stdout);
            return 0;
        }
        return cli_failf("no command '%s' (try `mreza help`)", argv[1]);
    }
    if (svc_init() != MZ_OK)
        return cli_failf("libsodium failed to initialise");
    if (parse_args(argc - 2, argv + 2, &a) || load_conf(&a))
        return 1;
    if (cli_flag(&a, "help")) {
        printf("usage: mreza %s\n\n%s\n", c->usage, c->summary);
        return 0;
    }
    return c->fn(&a);
}
