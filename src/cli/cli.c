/* cli/cli.c - `mreza COMMAND [options]`: the command table, the global options,
 * dispatch (a command, or a command and its subcommand), `mreza help`, and
 * configuration precedence (defaults < config file < flags). The parser and the help
 * made from the tables are in cli_opts.c; cli.h says how to add a command. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rules/principal.h"
#include "domain/svc.h"
#include "util/log.h"
#include "util/version.h"

static int cli_help(struct cli_args *a);
static int cli_version(struct cli_args *a);

static const struct cli_command commands[] = {
    {.name = "init", .fn = cli_init, .opts = cli_init_options,
     .summary = "create the node's store in --data"},
    {.name = "serve", .fn = cli_serve, .opts = cli_serve_options,
     .summary = "run the HTTP API (prints the URL once listening; stop with SIGINT/SIGTERM)"},
    {.name = "org", .sub = "add", .fn = cli_org, .opts = cli_org_add_options, .args = "NAME",
     .min_args = 1, .max_args = 1, .summary = "add an organisation"},
    {.name = "org", .sub = "set", .fn = cli_org, .opts = cli_org_set_options, .args = "NAME", .min_args = 1,
     .max_args = 1, .summary = "set an organisation's source rank (which copy of an open id is served first), or its profile"},
    {.name = "org", .sub = "list", .fn = cli_org, .summary = "list the organisations"},
    {.name = "user", .sub = "add", .fn = cli_user, .opts = cli_user_add_options, .args = "NAME",
     .min_args = 1, .max_args = 1, .summary = "add a user and print its API key (shown once)"},
    {.name = "user", .sub = "list", .fn = cli_user, .opts = cli_user_list_options,
     .summary = "list the users"},
    {.name = "user", .sub = "key", .fn = cli_user_key, .opts = cli_user_key_options, .args = "NAME",
     .min_args = 1, .max_args = 1,
     .summary = "issue a user a new API key (shown once), or list, revoke, rotate or change its keys"},
    {.name = "user", .sub = "disable", .fn = cli_user, .args = "NAME", .min_args = 1, .max_args = 1,
     .summary = "disable a user: its API keys are refused until it is enabled again"},
    {.name = "user", .sub = "enable", .fn = cli_user, .args = "NAME", .min_args = 1, .max_args = 1,
     .summary = "enable a disabled user again"},
    {.name = "import", .fn = cli_import, .opts = cli_import_options, .args = "FILE…", .min_args = 1,
     .max_args = -1,
     .summary = "store STIX 2.1 bundles (or objects) as USER would post them; each FILE (- for stdin) is "
                "all or nothing"},
    {.name = "export", .fn = cli_export, .opts = cli_export_options,
     .summary = "write a STIX 2.1 bundle of what that organisation (or user) may see to stdout"},
    {.name = "withdraw", .fn = cli_withdraw, .opts = cli_withdraw_options, .args = "ID", .min_args = 1,
     .max_args = 1,
     .summary = "withdraw versions of your organisation's object shared too widely (what others already "
                "downloaded cannot be recalled), restore them, or --show the records"},
    {.name = "match", .fn = cli_match, .opts = cli_match_options, .args = "[FILE…|-]", .max_args = -1,
     .summary = "match logs (plain or gzip) against the indicators that organisation or user may "
                "see; one JSON line per match"},
    {.name = "check", .fn = cli_check, .summary = "verify the store's integrity (PRAGMA integrity_check)"},
    {.name = "config", .sub = "defaults", .fn = cli_config,
     .summary = "print every setting with its default value"},
    {.name = "config", .sub = "show", .fn = cli_config,
     .summary = "print every setting with its current value (config file and flags applied)"},
    {.name = "community", .sub = "add", .fn = cli_community, .opts = cli_community_add_options, .args = "NAME",
     .min_args = 1, .max_args = 1, .summary = "add a community this node is the home of (its members: member add)"},
    {.name = "community", .sub = "join", .fn = cli_community, .opts = cli_community_join_options, .args = "NAME",
     .min_args = 1, .max_args = 1,
     .summary = "join a community homed at a mreza peer: made here with the peer's collection id, the peer its home"},
    {.name = "community", .sub = "leave", .fn = cli_community, .args = "NAME", .min_args = 1, .max_args = 1,
     .summary = "leave a community joined from a peer: its memberships here and its pulls end, its home's roster "
                "is refused (its row and objects stay)"},
    {.name = "node", .sub = "show", .fn = cli_node, .summary = "show this node's name, country and STIX identity"},
    {.name = "node", .sub = "set", .fn = cli_node, .opts = cli_node_set_options,
     .summary = "set this node's name and country (what its TAXII API root tells peers)"},
    {.name = "community", .sub = "list", .fn = cli_community, .summary = "list the communities this node hosts"},
    {.name = "community", .sub = "members", .fn = cli_community, .args = "NAME", .min_args = 1, .max_args = 1,
     .summary = "list a community's members and what each may (read, write)"},
    {.name = "community", .sub = "member", .fn = cli_community, .opts = cli_community_member_options,
     .args = "add|remove NAME ORG", .min_args = 3, .max_args = 3,
     .summary = "make an organisation a member of a community (read and write unless one is given), or remove it"},
    {.name = "share", .fn = cli_share, .opts = cli_share_options, .args = "ID", .min_args = 1, .max_args = 1,
     .summary = "re-share a version as USER: GREEN into a community, AMBER on to clients (a share record, "
                "never a new version)"},
    {.name = "tls", .sub = "pin", .fn = cli_tls, .args = "FILE", .min_args = 1, .max_args = 1,
     .flags = CLI_CMD_NO_CONF,
     .summary = "print the SPKI pin (sha256//…) of the certificate in FILE, for a peer's --pin"},
    {.name = "peer", .sub = "add", .fn = cli_peer, .opts = cli_peer_add_options, .args = "NAME", .min_args = 1,
     .max_args = 1, .summary = "add a peer node and print the key it uses here (shown once)"},
    {.name = "peer", .sub = "set", .fn = cli_peer, .opts = cli_peer_set_options, .args = "NAME", .min_args = 1,
     .max_args = 1, .summary = "change a peer's settings, pause or resume it"},
    {.name = "peer", .sub = "list", .fn = cli_peer, .opts = cli_peer_list_options,
     .summary = "list the peers with their sync status"},
    {.name = "peer", .sub = "show", .fn = cli_peer, .opts = cli_peer_list_options, .args = "NAME", .min_args = 1,
     .max_args = 1, .summary = "show a peer's settings, status and bound organisations (never its secret)"},
    {.name = "peer", .sub = "remove", .fn = cli_peer, .args = "NAME", .min_args = 1, .max_args = 1,
     .summary = "remove a peer: its keys and bookmarks go, what it sent stays"},
    {.name = "peer", .sub = "secret", .fn = cli_peer, .args = "NAME FILE|-", .min_args = 2, .max_args = 2,
     .summary = "store the key this node presents to the peer, read from FILE or stdin (never shown)"},
    {.name = "peer", .sub = "key", .fn = cli_peer, .opts = cli_peer_key_options, .args = "issue|list|revoke|rotate NAME [ID]",
     .min_args = 2, .max_args = 3, .summary = "issue (shown once), list, revoke or rotate the keys a peer presents here"},
    {.name = "peer", .sub = "bind", .fn = cli_peer, .opts = cli_peer_bind_options, .args = "NAME [ORG|IDENTITY]",
     .min_args = 1, .max_args = 2,
     .summary = "bind an organisation to the peer (from its directory unless --name): the peer alone may send what "
                "it owns"},
    {.name = "peer", .sub = "orgs", .fn = cli_peer, .opts = cli_peer_list_options, .args = "NAME", .min_args = 1,
     .max_args = 1,
     .summary = "list a mreza peer's directory (its organisations, read live) and how each is bound here"},
    {.name = "peer", .sub = "unbind", .fn = cli_peer, .args = "NAME ORG", .min_args = 2, .max_args = 2,
     .summary = "unbind an organisation from the peer: nothing more is received for it"},
    {.name = "sync", .fn = cli_sync, .args = "[PEER…]", .max_args = -1,
     .summary = "sync now: one pull run of each peer named (default: every peer not paused); a summary line each",
     .exit_status = "exit status: 0 every run succeeded, 1 a peer's run failed (its code on its line) or ran "
                    "elsewhere, 2 wrong command line or unknown peer (nothing done)"},
    {.name = "version", .fn = cli_version, .flags = CLI_CMD_NO_CONF,
     .summary = "print mreza's version (also `mreza --version`)"},
    {.name = "help", .fn = cli_help, .args = "[COMMAND [SUBCOMMAND]]", .max_args = 2, .flags = CLI_CMD_NO_CONF,
     .summary = "list the commands, or show one command's usage and options"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Options every command takes. */
const struct cli_option cli_global_options[] = {
    {.name = "data", .kind = CLI_OPT_TEXT, .value = "DIR",
     .help = "the node's data directory (default ./mreza-data)"},
    {.name = "config", .kind = CLI_OPT_TEXT, .value = "FILE",
     .help = "config file (default <data>/mreza.conf if present)"},
    {.name = "set", .kind = CLI_OPT_TEXT, .value = "KEY=VALUE", .flags = CLI_OPT_REPEAT,
     .help = "override one setting (see `mreza config defaults`); may repeat"},
    {.name = "help", .short_name = 'h', .kind = CLI_OPT_FLAG, .help = "show this help and do nothing else"},
    {.name = NULL},
};

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
    return CLI_EXIT_FAIL;
}

static void vprint_line(const char *fmt, va_list ap)
{
    fputs("mreza: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprint_line(fmt, ap);
    va_end(ap);
    return CLI_EXIT_FAIL;
}

int cli_usagef(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprint_line(fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

enum mz_err cli_no_node(const struct cli_args *a, struct mz_error *err)
{
    if (err->code != MZ_ENOTFOUND)
        return err->code;
    return mz_error_set(err, MZ_ENOTFOUND, "", "no node in %s (run mreza init)", a->conf.data_dir);
}

enum mz_err cli_open_store(const struct cli_args *a, struct store **out, struct mz_error *err)
{
    if (svc_store_open(&a->conf, SVC_OPEN_EXISTING, out, err))
        return cli_no_node(a, err);
    return MZ_OK;
}

/* The principal a command acts as: --user/--as-user NAME (that user), or --as ORG
 * (the organisation as a whole: svc_principal_of_org says what it may see). */
enum mz_err cli_principal(struct store *st, const struct cli_args *a, const char *user_opt,
                          struct principal *p, struct mz_error *err)
{
    const char *user = cli_opt(a, user_opt), *org = cli_opt(a, "as");

    memset(p, 0, sizeof *p);
    if (user)
        return svc_principal_of_user(st, user, p, err);
    if (org && strcmp(user_opt, "user"))
        return svc_principal_of_org(st, org, p, err);
    return mz_error_set(err, MZ_EINVAL, "", "say who acts: --%s USER%s", user_opt,
                        strcmp(user_opt, "user") ? " or --as ORG" : "");
}

/* ---- dispatch and `mreza help` ---- */

static int has_subcommands(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name) && commands[i].sub)
            return 1;
    return 0;
}

/* The row of name [sub] (sub NULL: the command without subcommands), or NULL. */
static const struct cli_command *find_command(const char *name, const char *sub)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name) &&
            (sub ? commands[i].sub && !strcmp(commands[i].sub, sub) : !commands[i].sub))
            return &commands[i];
    return NULL;
}

/* Help of every subcommand of name, then the global options once. */
static void print_subcommands_help(FILE *out, const char *name)
{
    const struct cli_command *last = NULL;

    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name))
            continue;
        if (last)
            fputc('\n', out);
        cli_opts_help_own(out, &commands[i]);
        last = &commands[i];
    }
    cli_opts_help_common(out, last);
}

static void print_overview(FILE *out)
{
    char words[64];
    int width = 17;

    /* the summaries' column: after the longest command, two spaces at least */
    for (size_t i = 0; i < N_COMMANDS; i++) {
        int n = (int)strlen(cli_opts_words(&commands[i], words, sizeof words)) + 1;
        width = n > width ? n : width;
    }
    fprintf(out, "usage: mreza COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-*s %s\n", width, cli_opts_words(&commands[i], words, sizeof words), commands[i].summary);
    cli_opts_list(out, "global options (every command takes them)", cli_global_options);
    fprintf(out, "\n`mreza help COMMAND` or `mreza COMMAND --help` shows a command's options.\n%s\n",
            cli_opts_exit_status(NULL));
}

/* "no command 'X'": names the nearest command, if one is near. */
static int unknown_command(const char *typed)
{
    struct cli_nearest n = {typed, NULL, 0};
    const char *s;

    for (size_t i = 0; i < N_COMMANDS; i++)
        cli_opts_consider(&n, commands[i].name);
    s = cli_opts_nearest(&n);
    return cli_usagef("no command '%s'%s%s%s (see `mreza help`)", typed, s ? "; did you mean " : "",
                      s ? s : "", s ? "?" : "");
}

static int unknown_subcommand(const char *name, const char *typed)
{
    struct cli_nearest n = {typed, NULL, 0};
    const char *s;

    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            cli_opts_consider(&n, commands[i].sub);
    s = cli_opts_nearest(&n);
    return cli_usagef("%s has no subcommand '%s'%s%s%s (see `mreza help %s`)", name, typed,
                      s ? "; did you mean " : "", s ? s : "", s ? "?" : "", name);
}

static int cli_help(struct cli_args *a)
{
    const struct cli_command *c;

    if (a->n_pos == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (!has_subcommands(a->pos[0])) {
        c = find_command(a->pos[0], NULL);
        if (!c)
            return unknown_command(a->pos[0]);
        if (a->n_pos > 1)
            return cli_usagef("%s has no subcommands", a->pos[0]);
    } else if (a->n_pos == 1) {
        print_subcommands_help(stdout, a->pos[0]);
        return CLI_EXIT_OK;
    } else {
        c = find_command(a->pos[0], a->pos[1]);
        if (!c)
            return unknown_subcommand(a->pos[0], a->pos[1]);
    }
    cli_opts_help(stdout, c);
    return CLI_EXIT_OK;
}

/* "mreza 0.1.0", with `git describe` of the build's tree when there was one. */
static int cli_version(struct cli_args *a)
{
    const char *described = mz_version_describe();

    (void)a;
    if (*described)
        printf("mreza %s (%s)\n", MZ_VERSION, described);
    else
        printf("mreza %s\n", MZ_VERSION);
    return CLI_EXIT_OK;
}

/* defaults < config file (--config, else <data>/mreza.conf if present) < flags. A
 * bad config file fails the command; a bad --set, --data or --listen is a usage error. */
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
            return cli_usagef("--%s: %s", k, err.msg);
    }
    mz_log_init((enum mz_log_level)mz_log_level_parse(a->conf.log_level));
    return CLI_EXIT_OK;
}

/* The row argv names and how many words name it (1, or 2 with a subcommand); *rc_out
 * is the exit status when there is none (or when help of every subcommand was
 * printed). */
static const struct cli_command *resolve(int argc, char **argv, int *used_out, int *rc_out)
{
    const char *name = strcmp(argv[1], "--version") ? argv[1] : "version";
    const struct cli_command *c = find_command(name, NULL);

    *used_out = 1;
    if (c)
        return c;
    if (cli_opts_is_option(name)) {
        *rc_out = cli_usagef("the command comes first: mreza COMMAND [options] (see `mreza help`)");
        return NULL;
    }
    if (!has_subcommands(name)) {
        *rc_out = unknown_command(name);
        return NULL;
    }
    if (argc > 2 && !cli_opts_is_option(argv[2])) {
        c = find_command(argv[1], argv[2]);
        *used_out = 2;
        if (!c)
            *rc_out = unknown_subcommand(argv[1], argv[2]);
        return c;
    }
    if (cli_opts_wants_help(argc - 2, argv + 2)) {
        print_subcommands_help(stdout, argv[1]);
        *rc_out = CLI_EXIT_OK;
        return NULL;
    }
    *rc_out = cli_usagef("%s needs a subcommand first (see `mreza help %s`)", argv[1], argv[1]);
    return NULL;
}

int cli_main(int argc, char **argv)
{
    static struct cli_args a; /* large; one per process */
    const struct cli_command *c;
    int used, rc = CLI_EXIT_OK;

    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    c = resolve(argc, argv, &used, &rc);
    if (!c)
        return rc;
    if (cli_opts_wants_help(argc - 1 - used, argv + 1 + used)) {
        cli_opts_help(stdout, c);
        return CLI_EXIT_OK;
    }
    rc = cli_opts_parse(c, argc - 1 - used, argv + 1 + used, &a);
    if (rc) {
        cli_opts_usage(stderr, c);
        return rc;
    }
    if (c->flags & CLI_CMD_NO_CONF)
        return c->fn(&a);
    if (svc_init() != MZ_OK)
        return cli_failf("the random number generator (libsodium) failed to initialise");
    rc = load_conf(&a);
    return rc ? rc : c->fn(&a);
}
