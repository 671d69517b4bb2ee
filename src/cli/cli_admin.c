/* cli/cli_admin.c - `mreza init`, `org`, `user`, `check` and `config`, and their
 * option tables (cli.h). The subcommand is a->pos[0]; the parser has checked it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "rules/model.h"
#include "rules/principal.h"

const struct cli_option cli_init_options[] = {
    {.name = "demo", .kind = CLI_OPT_FLAG,
     .help = "also load the demo community and write its API keys to <data>/demo-keys.txt"},
    {.name = NULL},
};

const struct cli_option cli_org_add_options[] = {
    {.name = "country", .kind = CLI_OPT_TEXT, .value = "CC", .flags = CLI_OPT_REQUIRED,
     .help = "ISO 3166-1 alpha-2 code of its country, such as RS (XK for Kosovo*)"},
    {.name = "kind", .kind = CLI_OPT_TEXT, .value = "KIND",
     .help = "national-csirt, sector-csirt, government-csirt, police, operator or other (the default)"},
    {.name = "sector", .kind = CLI_OPT_TEXT, .value = "SECTOR", .help = "the sector it belongs to or serves"},
    {.name = "full-name", .kind = CLI_OPT_TEXT, .value = "TEXT", .help = "its full name (default NAME)"},
    {.name = "identity", .kind = CLI_OPT_TEXT, .value = "IDENTITY",
     .help = "its STIX identity id (default: a new one; an organisation that moves here keeps its own)"},
    {.name = NULL},
};

static enum mz_err check_role(const char *value, struct mz_error *err)
{
    if (role_parse(value) == ROLE_NONE)
        return mz_error_set(err, MZ_EINVAL, "", "'%s' is not one of admin, analyst, reporter, viewer, node-admin",
                            value);
    return MZ_OK;
}

const struct cli_option cli_user_add_options[] = {
    {.name = "org", .kind = CLI_OPT_TEXT, .value = "ORG", .flags = CLI_OPT_REQUIRED,
     .help = "the organisation the user belongs to"},
    {.name = "role", .kind = CLI_OPT_TEXT, .value = "ROLE", .flags = CLI_OPT_REQUIRED, .check = check_role,
     .help = "admin (of its organisation), analyst, reporter, viewer, or node-admin (of the whole node)"},
    {.name = NULL},
};

const struct cli_option cli_user_list_options[] = {
    {.name = "org", .kind = CLI_OPT_TEXT, .value = "ORG", .help = "only the users of this organisation"},
    {.name = NULL},
};

/* What to do after init: printed on stdout when init made the node. */
static void print_next_steps(const struct cli_args *a, int demo)
{
    const char *dir = a->conf.data_dir;

    printf("\nnext steps:\n");
    if (demo) {
        printf("  the demo API keys:       %s/demo-keys.txt (one line per user; keep it private)\n", dir);
        printf("  match a log:             mreza match --data %s --as me-cirt FILE\n", dir);
        printf("  add a user (and key):    mreza user add NAME --org ORG --role analyst --data %s\n", dir);
    } else {
        printf("  add your organisation:   mreza org add NAME --country CC --kind national-csirt --data %s\n", dir);
        printf("  add the node's admin:    mreza user add NAME --org ORG --role node-admin --data %s\n", dir);
        printf("                           (prints the user's API key, once)\n");
    }
    printf("  serve the API:           mreza serve --data %s   (listens on %s; --listen to change)\n", dir,
           a->conf.listen);
    printf("  every command:           mreza help\n");
}

/* The files of a node that hold its objects or keys (the store, its write-ahead log
 * and shared memory, the index snapshot, the demo keys). */
static const char *const node_files[] = {"mreza.db", "mreza.db-wal", "mreza.db-shm", "index.snap",
                                         "demo-keys.txt"};

/* The data directory holds every TLP level, RED included, and the hashes of the API
 * keys: init makes it 0700 (the store creates it so), and when init is given an
 * existing directory that other users may enter or read, it takes that access away
 * (and from the node's files in it) and says so, rather than refuse: whoever runs
 * init on a directory means the node to live there. A directory that is not ours to
 * change is refused. 0, or the exit status of a failure. */
static int secure_data_dir(const char *dir)
{
    struct stat sb;
    char path[1100];

    if (stat(dir, &sb) != 0)
        return errno == ENOENT ? 0 : cli_failf("cannot read %s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cli_failf("%s is not a directory", dir);
    if (sb.st_mode & 077) {
        if (chmod(dir, 0700) != 0)
            return cli_failf("%s can be read by other users (mode %04o) and cannot be made 0700 (%s): make it "
                             "yours and 0700, or choose another --data",
                             dir, (unsigned)(sb.st_mode & 07777), strerror(errno));
        printf("mreza: %s was open to other users (mode %04o); it is now 0700\n", dir, (unsigned)(sb.st_mode & 07777));
    }
    for (size_t i = 0; i < sizeof node_files / sizeof node_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, node_files[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 077))
            continue;
        if (chmod(path, 0600) != 0)
            return cli_failf("%s can be read by other users (mode %04o) and cannot be made 0600: %s", path,
                             (unsigned)(sb.st_mode & 07777), strerror(errno));
        printf("mreza: %s was open to other users (mode %04o); it is now 0600\n", path,
               (unsigned)(sb.st_mode & 07777));
    }
    return 0;
}

/* init makes the store; a second plain init only brings the schema up to date. init
 * --demo wants a directory without a node and refuses, touching nothing, otherwise
 * (the store's identities and demo-keys.txt must stay as they are). */
int cli_init(struct cli_args *a)
{
    int demo = cli_flag(a, "demo");
    struct store *st = NULL;
    struct mz_error err;
    int rc = 0, existed = 0;

    mz_error_clear(&err);
    if (!demo)
        existed = svc_store_open(&a->conf, SVC_OPEN_EXISTING, &st, &err) == MZ_OK;
    if (!existed && svc_store_open(&a->conf, demo ? SVC_OPEN_NEW : SVC_OPEN_CREATE, &st, &err)) {
        if (err.code == MZ_ECONFLICT)
            return cli_failf("%s already holds a node; --demo needs a fresh --data directory (nothing was changed)",
                             a->conf.data_dir);
        return cli_fail(&err);
    }
    /* once the store is open: an init that refuses (--demo on a node) changes nothing */
    rc = secure_data_dir(a->conf.data_dir);
    if (!rc && demo && cli_demo_load(st, a->conf.data_dir, &err))
        rc = cli_fail(&err);
    else if (!rc && existed)
        printf("mreza: %s already holds a node; its store is up to date\n", a->conf.data_dir);
    else if (!rc)
        printf("mreza: node store ready in %s\n", a->conf.data_dir);
    if (!rc && !existed)
        print_next_steps(a, demo);
    svc_store_close(st);
    return rc;
}

static int print_org(void *ctx, const struct store_org *o)
{
    (void)ctx;
    printf("%-20s %-2s %-16s %-12s rank %d%s %s  %s\n", o->name, o->country, o->kind, o->sector,
           model_rank_of(o->rank, o->kind), o->rank >= 0 ? " (set)" : "", o->identity, o->full_name);
    return 0;
}

static enum mz_err check_rank(const char *value, struct mz_error *err)
{
    long long n;

    if (!strcmp(value, "kind") || (!mz_conf_parse_int(value, &n) && n >= 1 && n <= MODEL_RANK_MAX))
        return MZ_OK;
    return mz_error_set(err, MZ_EINVAL, "", "'%s' is no rank: 1 (first) to %d, or 'kind'", value, MODEL_RANK_MAX);
}

const struct cli_option cli_org_set_options[] = {
    {.name = "rank", .kind = CLI_OPT_TEXT, .value = "N|kind", .check = check_rank,
     .help = "its source rank: which copy of an open id readers are served first (1 first); kind: by its kind"},
    {.name = "full-name", .kind = CLI_OPT_TEXT, .value = "TEXT",
     .help = "its full name (a new version of its directory identity: peers receive it)"},
    {.name = "sector", .kind = CLI_OPT_TEXT, .value = "SECTOR", .help = "its sector (as --full-name)"},
    {.name = "kind", .kind = CLI_OPT_TEXT, .value = "KIND", .help = "its kind (as --full-name)"},
    {.name = NULL},
};

int cli_org(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    int rc = 0;

    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "add")) {
        struct svc_org_new in = {a->pos[1], cli_opt(a, "full-name"), cli_opt(a, "country"),
                                 cli_opt(a, "sector"), cli_opt(a, "kind"), cli_opt(a, "identity")};
        struct store_org org;
        if (svc_org_add(st, &console, &in, &org, &err))
            rc = cli_fail(&err);
        else
            printf("added organisation %s (%s)\n", org.name, org.identity);
    } else if (!strcmp(a->pos[0], "set")) {
        const char *v = cli_opt(a, "rank");
        struct svc_org_new in = {NULL, cli_opt(a, "full-name"), NULL, cli_opt(a, "sector"), cli_opt(a, "kind"), NULL};
        long long n = -1;
        struct store_org org;
        if (!v && !in.full_name && !in.sector && !in.kind) {
            rc = cli_usagef("org set NAME takes --rank, or --full-name, --sector, --kind (its directory identity)");
        } else if (in.full_name || in.sector || in.kind) {
            if (svc_org_set_profile(st, &console, a->pos[1], &in, &org, &err))
                rc = cli_fail(&err);
            else
                printf("organisation %s: %s, %s, %s%s (a new version of its directory identity)\n", org.name,
                       org.full_name, org.kind, org.sector[0] ? "sector " : "no sector", org.sector);
        }
        if (!rc && v) {
            if (strcmp(v, "kind"))
                mz_conf_parse_int(v, &n); /* checked by check_rank */
            if (svc_org_set_rank(st, &console, a->pos[1], (int)n, &org, &err))
                rc = cli_fail(&err);
            else
                printf("organisation %s: rank %d%s\n", org.name, model_rank_of(org.rank, org.kind),
                       org.rank >= 0 ? "" : " (by its kind)");
        }
    } else if (svc_org_list(st, &console, print_org, NULL, &err)) {
        rc = cli_fail(&err);
    }
    svc_store_close(st);
    return rc;
}

static int print_user(void *ctx, const struct store_user *u)
{
    (void)ctx;
    printf("%-28s %-10s %s%s\n", u->name, u->role, u->identity, u->disabled ? "  disabled" : "");
    return 0;
}

int cli_user(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    char key[SVC_KEY_LEN];
    int rc = 0;

    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "add")) {
        struct svc_user_new in = {cli_opt(a, "org"), a->pos[1], cli_opt(a, "role"), NULL,
                                  a->conf.accounts_max_users_per_org};
        struct store_user u;
        if (svc_user_add(st, &console, &in, &u, key, &err))
            rc = cli_fail(&err);
        else
            printf("added user %s (%s) of %s\napi key (shown once, store it now): %s\n", u.name,
                   u.role, in.org, key);
    } else if (!strcmp(a->pos[0], "disable") || !strcmp(a->pos[0], "enable")) {
        int disable = !strcmp(a->pos[0], "disable");
        if (svc_user_set_disabled(st, &console, a->pos[1], disable, NULL, &err))
            rc = cli_fail(&err);
        else if (disable)
            printf("disabled %s: its API keys are refused until `mreza user enable %s`\n", a->pos[1], a->pos[1]);
        else
            printf("enabled %s: its API keys that are neither revoked nor expired work again\n", a->pos[1]);
    } else if (svc_user_list(st, &console, cli_opt(a, "org"), print_user, NULL, &err)) {
        rc = cli_fail(&err);
    }
    svc_store_close(st);
    return rc;
}

int cli_check(struct cli_args *a)
{
    struct store_fed_counts fc;
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    int rc = 0;

    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (svc_store_check(st, &console, &err))
        rc = cli_fail(&err);
    else
        printf("ok\n");
    /* the federation's tables, once a node has peers (issue 11) */
    if (!rc && !svc_peer_counts(st, &console, &fc, &err) && (fc.peers || fc.received || fc.remote_orgs))
        printf("peers %lld (keys %lld, remote organisations %lld), bookmarks %lld, received versions %lld\n",
               (long long)fc.peers, (long long)fc.peer_keys, (long long)fc.remote_orgs, (long long)fc.bookmarks,
               (long long)fc.received);
    svc_store_close(st);
    return rc;
}

int cli_config(struct cli_args *a)
{
    struct mz_conf defaults;

    if (!strcmp(a->pos[0], "defaults")) {
        mz_conf_defaults(&defaults);
        mz_conf_dump(&defaults, stdout);
    } else {
        mz_conf_dump(&a->conf, stdout);
    }
    return 0;
}
