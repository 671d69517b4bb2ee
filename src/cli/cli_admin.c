/* cli/cli_admin.c - `mreza init`, `org`, `user`, `check` and `config`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"

int cli_init(struct cli_args *a)
{
    struct store *st = NULL;
    struct mz_error err;
    int rc = 0;

    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    if (cli_flag(a, "demo") && cli_demo_load(st, a->conf.data_dir, &err))
        rc = cli_fail(&err);
    if (!rc)
        printf("mreza: node store ready in %s\n", a->conf.data_dir);
    store_close(st);
    return rc;
}

static int print_org(void *ctx, const struct store_org *o)
{
    (void)ctx;
    printf("%-20s %-2s %-16s %-12s %s  %s\n", o->name, o->country, o->kind, o->sector, o->identity,
           o->full_name);
    return 0;
}

int cli_org(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    int rc = 0;

    mz_error_clear(&err);
    if (a->n_pos < 1 || (strcmp(a->pos[0], "add") && strcmp(a->pos[0], "list")))
        return cli_failf("usage: mreza org add NAME --country CC … | mreza org list");
    if (!strcmp(a->pos[0], "add") && a->n_pos < 2)
        return cli_failf("usage: mreza org add NAME --country CC [--full-name TEXT] [--sector S] [--kind K]");
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "add")) {
        struct svc_org_new in = {a->pos[1], cli_opt(a, "full-name"), cli_opt(a, "country"),
                                 cli_opt(a, "sector"), cli_opt(a, "kind"), NULL};
        struct store_org org;
        if (svc_org_add(st, &console, &in, &org, &err))
            rc = cli_fail(&err);
        else
            printf("added organisation %s (%s)\n", org.name, org.identity);
    } else if (svc_org_list(st, &console, print_org, NULL, &err)) {
        rc = cli_fail(&err);
    }
    store_close(st);
    return rc;
}

static int print_user(void *ctx, const struct store_user *u)
{
    (void)ctx;
    printf("%-28s %-9s %s\n", u->name, u->role, u->identity);
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
    if (a->n_pos < 1 || (strcmp(a->pos[0], "add") && strcmp(a->pos[0], "list") && strcmp(a->pos[0], "key")))
        return cli_failf("usage: mreza user add NAME --org ORG --role ROLE | user list [--org ORG] | user key NAME");
    if (strcmp(a->pos[0], "list") && a->n_pos < 2)
        return cli_failf("usage: mreza user %s NAME …", a->pos[0]);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "add")) {
        struct svc_user_new in = {cli_opt(a, "org"), a->pos[1], cli_opt(a, "role"), NULL};
        struct store_user u;
        if (svc_user_add(st, &console, &in, &u, key, &err))
            rc = cli_fail(&err);
        else
            printf("added user %s (%s) of %s\napi key (shown once, store it now): %s\n", u.name,
                   u.role, in.org, key);
    } else if (!strcmp(a->pos[0], "key")) {
        if (svc_key_new(st, &console, a->pos[1], key, &err))
            rc = cli_fail(&err);
        else
            printf("new api key for %s (shown once): %s\n", a->pos[1], key);
    } else if (svc_user_list(st, &console, cli_opt(a, "org"), print_user, NULL, &err)) {
        rc = cli_fail(&err);
    }
    store_close(st);
    return rc;
}

int cli_check(struct cli_args *a)
{
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
    store_close(st);
    return rc;
}

int cli_config(struct cli_args *a)
{
    struct mz_conf defaults;

    if (a->n_pos < 1 || (strcmp(a->pos[0], "defaults") && strcmp(a->pos[0], "show")))
        return cli_failf("usage: mreza config defaults|show");
    if (!strcmp(a->pos[0], "defaults")) {
        mz_conf_defaults(&defaults);
        mz_conf_dump(&defaults, stdout);
    } else {
        mz_conf_dump(&a->conf, stdout);
    }
    return 0;
}
