/* cli/cli_community.c - `mreza community add|join|list|members|member` (issue 11,
 * docs/federation.md section 2): the communities this node hosts and their members,
 * decided by its operator at the console (principal_console); and `mreza share`,
 * re-sharing a version as a user (docs/model.md R11.3). Each is one svc_* call; the
 * option tables are here (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "fed/fed.h"
#include "rules/tlp.h"

static enum mz_err check_kind(const char *value, struct mz_error *err)
{
    if (strcmp(value, "regional") && strcmp(value, "other"))
        return mz_error_set(err, MZ_EINVAL, "", "'%s' is no kind of community: regional or other", value);
    return MZ_OK;
}

const struct cli_option cli_community_add_options[] = {
    {.name = "title", .kind = CLI_OPT_TEXT, .value = "TEXT", .flags = CLI_OPT_REQUIRED,
     .help = "what the community is, in a few words (its TAXII collection's title)"},
    {.name = "kind", .kind = CLI_OPT_TEXT, .value = "regional|other", .check = check_kind,
     .help = "regional: the federation's community of the national CSIRTs (one per node); default other"},
    {.name = "description", .kind = CLI_OPT_TEXT, .value = "TEXT", .help = "a longer description"},
    {.name = NULL},
};

const struct cli_option cli_community_join_options[] = {
    {.name = "peer", .kind = CLI_OPT_TEXT, .value = "PEER", .flags = CLI_OPT_REQUIRED,
     .help = "the mreza peer that is the community's home (its operator made one of ours a member)"},
    {.name = NULL},
};

const struct cli_option cli_community_member_options[] = {
    {.name = "read", .kind = CLI_OPT_FLAG, .help = "add: its users read the community's TLP:GREEN"},
    {.name = "write", .kind = CLI_OPT_FLAG, .help = "add: its users may share into the community"},
    {.name = NULL},
};

static int print_community(void *ctx, const struct store_community *c, const struct store_membership *mine)
{
    (void)ctx;
    (void)mine; /* the console is no member */
    printf("%-20s %-9s %s  %s%s\n", c->name, c->kind, c->uuid, c->title, c->home_node < 0 ? " [left]" : "");
    return 0;
}

static int print_member(void *ctx, const struct store_membership *m)
{
    (void)ctx;
    printf("%-28s %-10s %s\n", m->org_name,
           m->can_read && m->can_write ? "read+write" : m->can_read ? "read" : "write", m->since);
    return 0;
}

static int member(struct cli_args *a, struct store *st, const struct principal *console, struct mz_error *err)
{
    const char *what = a->pos[1], *name = a->pos[2], *org = a->pos[3];
    int rd = cli_flag(a, "read"), wr = cli_flag(a, "write");

    if (!strcmp(what, "add")) {
        if (!rd && !wr)
            rd = wr = 1; /* both when neither is given */
        if (svc_community_member_set(st, console, name, org, rd, wr, err))
            return cli_fail(err);
        printf("%s is a member of %s: %s\n", org, name, rd && wr ? "read+write" : rd ? "read" : "write");
        return CLI_EXIT_OK;
    }
    if (!strcmp(what, "remove")) {
        if (rd || wr)
            return cli_usagef("--read and --write go with `member add`");
        if (svc_community_member_remove(st, console, name, org, err))
            return cli_fail(err);
        printf("%s is no longer a member of %s\n", org, name);
        return CLI_EXIT_OK;
    }
    return cli_usagef("community member add|remove NAME ORG (not '%s')", what);
}

int cli_community(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    if (!strcmp(a->pos[0], "member") && strcmp(a->pos[1], "add") && strcmp(a->pos[1], "remove"))
        return cli_usagef("community member add|remove NAME ORG (not '%s')", a->pos[1]);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "add")) {
        struct svc_community_new in = {a->pos[1], cli_opt(a, "title"), cli_opt(a, "description"), cli_opt(a, "kind")};
        struct store_community c;
        if (svc_community_add(st, &console, &in, &c, &err))
            rc = cli_fail(&err);
        else
            printf("added community %s (%s, collection %s); add its members with `mreza community member add %s ORG`\n",
                   c.name, c.kind, c.uuid, c.name);
    } else if (!strcmp(a->pos[0], "join")) {
        struct store_community c;
        int applied = 0;
        if (fed_join(st, &console, a->pos[1], cli_opt(a, "peer"), &a->conf, &c, &applied, &err) != FED_OK) {
            rc = cli_fail(&err);
        } else if (!applied) {
            printf("joined %s (home: %s, collection %s); no roster of its home was applied yet: its members come "
                   "with the home's roster at a `mreza sync` (the roster must be the node identity `mreza peer show "
                   "%s` names)\n",
                   c.name, cli_opt(a, "peer"), c.uuid, cli_opt(a, "peer"));
        } else {
            printf("joined %s (%s, home: %s, collection %s); roster of %s applied, members here:\n", c.name, c.kind,
                   cli_opt(a, "peer"), c.uuid, c.roster_modified);
            if (svc_community_members(st, &console, c.name, print_member, NULL, &err))
                rc = cli_fail(&err);
        }
    } else if (!strcmp(a->pos[0], "leave")) {
        struct store_community c;
        char home[STORE_NODE_NAME_LEN];
        if (svc_community_leave(st, &console, a->pos[1], &c, home, sizeof home, &err))
            rc = cli_fail(&err);
        else
            printf("left %s (collection %s): it has no members here and is pulled from no peer; its home's roster "
                   "is refused from now on; its objects stay. Its home, if no other joined community names it, may "
                   "be removed: mreza peer remove %s\n",
                   c.name, c.uuid, home);
    } else if (!strcmp(a->pos[0], "members")) {
        if (svc_community_members(st, &console, a->pos[1], print_member, NULL, &err))
            rc = cli_fail(&err);
    } else if (!strcmp(a->pos[0], "member")) {
        rc = member(a, st, &console, &err);
    } else if (svc_community_list(st, &console, print_community, NULL, &err)) {
        rc = cli_fail(&err);
    }
    svc_store_close(st);
    return rc;
}

/* ---- mreza share (docs/model.md R11.3) ---- */

const struct cli_option cli_share_options[] = {
    {.name = "user", .kind = CLI_OPT_TEXT, .value = "USER", .flags = CLI_OPT_REQUIRED,
     .help = "share as this user (its organisation writes to the community, or passes the version on)"},
    {.name = "community", .kind = CLI_OPT_TEXT, .value = "NAME", .flags = CLI_OPT_REQUIRED, .group = 1,
     .help = "share a CLEAR or GREEN version into this community"},
    {.name = "to", .kind = CLI_OPT_TEXT, .value = "ORG", .flags = CLI_OPT_REQUIRED | CLI_OPT_REPEAT, .group = 1,
     .max_times = SVC_SHARE_MAX_TO,
     .help = "pass an AMBER, AMBER+STRICT (organisations) or RED (users) version on to ORG; may repeat"},
    {.name = "version", .kind = CLI_OPT_TEXT, .value = "MODIFIED",
     .help = "the version (its `modified`); default: the one the user is served"},
    {.name = NULL},
};

int cli_share(struct cli_args *a)
{
    const char *to[SVC_SHARE_MAX_TO];
    struct svc_share_in in;
    struct svc_share_result res;
    struct store *st = NULL;
    struct mz_error err;
    struct principal p;
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    memset(&in, 0, sizeof in);
    in.id = a->pos[0];
    in.version = cli_opt(a, "version");
    in.community = cli_opt(a, "community");
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "to") && in.n_to < SVC_SHARE_MAX_TO)
            to[in.n_to++] = a->opt[i].val;
    in.to = to;
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "user", &p, &err) || svc_share(st, &p, &in, &res, &err))
        rc = cli_fail(&err);
    else if (!res.changed)
        printf("%s version %s is shared so already: nothing changed\n", in.id, res.version);
    else if (res.community[0])
        printf("shared %s version %s (%s) into %s: share record %lld at %s\n", in.id, res.version,
               tlp_label((enum tlp_level)res.tlp), res.community, (long long)res.record, res.at);
    else
        printf("passed %s version %s (%s) on to %s: share record %lld at %s\n", in.id, res.version,
               tlp_label((enum tlp_level)res.tlp), res.recipients, (long long)res.record, res.at);
    svc_store_close(st);
    return rc;
}
