/* cli/cli.h - the command-line front end: a table of commands, shared option
 * parsing, and the command functions. Commands print results on stdout and one
 * line "mreza: <reason>" on stderr on failure, with a nonzero exit. */
#ifndef MZ_CLI_H
#define MZ_CLI_H

#include "store/store.h"
#include "util/conf.h"
#include "util/err.h"

#define CLI_MAX_POS 16
#define CLI_MAX_OPT 32

struct cli_args {
    struct mz_conf conf;        /* defaults < config file < --set/--data/--listen */
    const char *pos[CLI_MAX_POS];
    int n_pos;
    struct {
        const char *key;        /* without the leading "--" */
        const char *val;        /* NULL for flags */
    } opt[CLI_MAX_OPT];
    int n_opt;
};

/* The value of --key, or NULL. */
const char *cli_opt(const struct cli_args *a, const char *key);
int cli_flag(const struct cli_args *a, const char *key);
/* Print "mreza: <message>" (and the field, if any) on stderr; returns 1. */
int cli_fail(const struct mz_error *e);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the store named by a->conf (creating it). */
enum mz_err cli_open_store(const struct cli_args *a, struct store **out, struct mz_error *err);

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
int cli_import(struct cli_args *a);
int cli_export(struct cli_args *a);
int cli_check(struct cli_args *a);
int cli_config(struct cli_args *a);
int cli_match(struct cli_args *a);

/* Load the embedded demo data set into st; prints the demo API keys and writes
 * them to <data>/demo-keys.txt (mode 0600). */
enum mz_err cli_demo_load(struct store *st, const char *data_dir, struct mz_error *err);

#endif
