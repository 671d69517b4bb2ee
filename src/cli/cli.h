/* cli/cli.h - the command-line front end: a table of commands (cli.c), each with a
 * table of its options (beside the command's code), one parser that reads every
 * command line from those tables, and the command functions. Commands print results
 * on stdout and one line "mreza: <reason>" on stderr on failure.
 *
 * The option tables drive everything the command line does, as util/conf.c's table
 * drives the settings: parsing (an unknown option, a flag given a value, an option
 * without its value, one given twice that may not repeat, a missing required one
 * and too many or too few arguments are refused before the command runs, with the
 * nearest known option suggested), value checks, the usage line and the help of
 * `mreza help COMMAND` and `mreza COMMAND -h|--help` (cli_opts.c). docs/cli.md
 * describes them. A new command: write its function and its option table beside it,
 * declare both here, and add a row to the command table in cli.c.
 *
 * A command function returns the process's exit status: CLI_EXIT_OK, or
 * CLI_EXIT_FAIL through cli_fail(); the parser's refusals are CLI_EXIT_USAGE. A
 * command that gives its codes other meanings (match will, as grep does) says so in
 * its row's exit_status text, which its help prints. */
#ifndef MZ_CLI_H
#define MZ_CLI_H

#include <stdio.h>

#include "util/conf.h"
#include "util/err.h"

struct store; /* a connection to the node's store, opaque here (domain/svc.h) */

#define CLI_MAX_POS 4096
#define CLI_MAX_OPT 128

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,  /* the command ran and failed (the reason is on stderr) */
    CLI_EXIT_USAGE = 2  /* the command line is wrong; nothing was done */
};

enum cli_opt_kind {
    CLI_OPT_FLAG = 0, /* --name alone; --name=VALUE is refused */
    CLI_OPT_TEXT,     /* --name VALUE or --name=VALUE, not empty */
    CLI_OPT_INT,      /* a whole number from min to max */
    CLI_OPT_SIZE      /* bytes from min to max, with an optional K, M or G (powers of 1024) */
};

enum cli_opt_flags {
    CLI_OPT_REQUIRED = 1 << 0, /* the command does not run without it (in a group: without one of the group) */
    CLI_OPT_REPEAT = 1 << 1    /* may be given again (up to max_times; read a->opt for every value);
                                * any other option given twice is refused */
};

/* Checks the form of an option's value (a TLP level, a log format...); fills err
 * with what is wrong. */
typedef enum mz_err (*cli_check_fn)(const char *value, struct mz_error *err);

/* One row of an option table: an array ended by a row whose name is NULL. Write rows
 * with designated initialisers; unset fields are 0. */
struct cli_option {
    const char *name;       /* without the leading "--" */
    char short_name;        /* -X as well, or 0 */
    enum cli_opt_kind kind;
    const char *value;      /* the value's name in help and usage ("ORG"); NULL for flags */
    unsigned flags;         /* enum cli_opt_flags */
    int group;              /* options sharing a nonzero group exclude each other */
    long long min, max;     /* CLI_OPT_INT, CLI_OPT_SIZE: the accepted range */
    int max_times;          /* CLI_OPT_REPEAT: how often at most (0: CLI_MAX_OPT) */
    cli_check_fn check;     /* or NULL */
    const char *help;       /* one line */
};

/* The options every command takes (cli.c): --data, --config, --set, -h/--help. */
extern const struct cli_option cli_global_options[];

/* The option tables of the commands, each beside its command. */
extern const struct cli_option cli_init_options[];
extern const struct cli_option cli_serve_options[];
extern const struct cli_option cli_org_add_options[];
extern const struct cli_option cli_org_set_options[];
extern const struct cli_option cli_user_add_options[];
extern const struct cli_option cli_user_list_options[];
extern const struct cli_option cli_user_key_options[];
extern const struct cli_option cli_import_options[];
extern const struct cli_option cli_export_options[];
extern const struct cli_option cli_match_options[];
extern const struct cli_option cli_withdraw_options[];
extern const struct cli_option cli_community_add_options[];
extern const struct cli_option cli_community_member_options[];
extern const struct cli_option cli_community_join_options[];
extern const struct cli_option cli_node_set_options[];
extern const struct cli_option cli_share_options[];
extern const struct cli_option cli_peer_add_options[];
extern const struct cli_option cli_peer_set_options[];
extern const struct cli_option cli_peer_list_options[];
extern const struct cli_option cli_peer_key_options[];
extern const struct cli_option cli_peer_bind_options[];

/* A parsed command line. Options are known, checked and (unless they may repeat)
 * given once; for a command with subcommands ("org add"), pos[0] is the subcommand. */
struct cli_args {
    struct mz_conf conf;        /* defaults < config file < --set/--data/--listen */
    const char *pos[CLI_MAX_POS];
    int n_pos;
    struct {
        const char *key;        /* the option's name (its table's string), without "--" */
        const char *val;        /* NULL for flags */
    } opt[CLI_MAX_OPT];
    int n_opt;
};

enum cli_command_flags {
    CLI_CMD_NO_CONF = 1 << 0 /* runs without reading the configuration (help, version) */
};

/* One row of the command table (cli.c): a command, or one subcommand ("org add");
 * rows of one command are adjacent. */
struct cli_command {
    const char *name;
    const char *sub;               /* the subcommand word, or NULL */
    int (*fn)(struct cli_args *a); /* returns the exit status */
    const struct cli_option *opts; /* its options besides the global ones, or NULL */
    const char *args;              /* its arguments in the usage line ("NAME", "[FILE…|-]"), or NULL */
    int min_args, max_args;        /* how many (after the subcommand word); max_args -1: any */
    unsigned flags;                /* enum cli_command_flags */
    const char *summary;           /* one line, for `mreza help` and the command's help */
    const char *exit_status;       /* what its exit statuses mean; NULL: the usual CLI_EXIT_* */
};

/* cli_opts.c: read argv (the words after the command's) into a from c's table and
 * the global one, then check the argument count and the required options; returns
 * CLI_EXIT_OK or, after one line on stderr, CLI_EXIT_USAGE. */
int cli_opts_parse(const struct cli_command *c, int argc, char **argv, struct cli_args *a);
/* 1 if -h or --help is among argv (before "--"): help then wins over everything. */
int cli_opts_wants_help(int argc, char **argv);
/* 1 if arg is an option ("-x", "--name"); "-" (stdin) is not. */
int cli_opts_is_option(const char *arg);
/* The usage line; the whole help: its own part (usage, summary, options) and the
 * common part (global options, exit statuses); a table as an indented list under
 * title. */
void cli_opts_usage(FILE *out, const struct cli_command *c);
void cli_opts_help(FILE *out, const struct cli_command *c);
void cli_opts_help_own(FILE *out, const struct cli_command *c);
void cli_opts_help_common(FILE *out, const struct cli_command *c);
void cli_opts_list(FILE *out, const char *title, const struct cli_option *t);
const char *cli_opts_exit_status(const struct cli_command *c); /* c may be NULL */
/* "org add" into buf; returns buf. */
const char *cli_opts_words(const struct cli_command *c, char *buf, size_t cap);

/* The nearest known name to a mistyped one: consider each known name, then
 * cli_opts_nearest() is the suggestion, or NULL when none is near enough. */
struct cli_nearest {
    const char *typed;
    const char *best;  /* start NULL */
    size_t dist;
};
void cli_opts_consider(struct cli_nearest *n, const char *known);
const char *cli_opts_nearest(const struct cli_nearest *n);

/* The value of --key, or NULL. */
const char *cli_opt(const struct cli_args *a, const char *key);
/* 1 if the flag (or option) --key was given. */
int cli_flag(const struct cli_args *a, const char *key);
/* Print "mreza: <message>" (and the field, if any) on stderr; return CLI_EXIT_FAIL. */
int cli_fail(const struct mz_error *e);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a command line that is wrong; return CLI_EXIT_USAGE. */
int cli_usagef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the node's store (a->conf's data directory); only `init` creates one, so a
 * directory without one is MZ_ENOTFOUND "no node in DIR (run mreza init)". */
enum mz_err cli_open_store(const struct cli_args *a, struct store **out, struct mz_error *err);
/* Words err (of opening the store) for a person when it is MZ_ENOTFOUND: "no node in
 * DIR (run mreza init)"; returns err->code. */
enum mz_err cli_no_node(const struct cli_args *a, struct mz_error *err);

/* The principal a command acts as: --<user_opt> USER (that user), or --as ORG (an
 * analyst of ORG who is no particular user, so TLP:RED addressed to people is never
 * included). */
struct principal;
enum mz_err cli_principal(struct store *st, const struct cli_args *a, const char *user_opt,
                          struct principal *p, struct mz_error *err);

int cli_main(int argc, char **argv);

int cli_serve(struct cli_args *a);
int cli_init(struct cli_args *a);
int cli_org(struct cli_args *a);
int cli_user(struct cli_args *a);
int cli_user_key(struct cli_args *a);
int cli_import(struct cli_args *a);
int cli_export(struct cli_args *a);
int cli_check(struct cli_args *a);
int cli_config(struct cli_args *a);
int cli_match(struct cli_args *a);
int cli_withdraw(struct cli_args *a);
int cli_community(struct cli_args *a);
int cli_node(struct cli_args *a);
int cli_share(struct cli_args *a);
int cli_peer(struct cli_args *a);
/* cli_peer_dir.c: `peer orgs` and `peer bind` from the peer's directory (store open,
 * c the console); exit statuses as every command's. */
int cli_peer_orgs(struct cli_args *a, struct store *st, const struct principal *c);
int cli_peer_bind_dir(struct cli_args *a, struct store *st, const struct principal *c);
int cli_sync(struct cli_args *a);
int cli_tls(struct cli_args *a);

/* Load the embedded demo data set into st; prints the demo API keys and writes
 * them to <data>/demo-keys.txt (mode 0600), which it replaces only once the whole
 * demo is in. */
enum mz_err cli_demo_load(struct store *st, const char *data_dir, struct mz_error *err);

#endif
