/* cli/cli_node.c - `mreza node show|set` (issue 11, docs/federation.md section 1,
 * step 0): this node's name, country and STIX identity, as its TAXII API root's
 * x_mreza_node tells peers (the identity is what a peer's `peer add --identity`
 * binds). One svc_node_* call each, as the operator at the console. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"

const struct cli_option cli_node_set_options[] = {
    {.name = "name", .kind = CLI_OPT_TEXT, .value = "NAME", .help = "the node's short name (a-z, 0-9, '.', '-', '_')"},
    {.name = "country", .kind = CLI_OPT_TEXT, .value = "CC", .help = "its country (ISO 3166-1 alpha-2, e.g. AL)"},
    {.name = NULL},
};

int cli_node(struct cli_args *a)
{
    struct principal console;
    struct svc_node_info info;
    struct store *st = NULL;
    struct mz_error err;
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(a->pos[0], "set")) {
        if (svc_node_set(st, &console, cli_opt(a, "name"), cli_opt(a, "country"), &info, &err))
            rc = cli_fail(&err);
    } else if (svc_node_show(st, &console, &info, &err)) {
        rc = cli_fail(&err);
    }
    if (!rc)
        printf("name      %s\ncountry   %s\nidentity  %s\n", info.name[0] ? info.name : "-",
               info.country[0] ? info.country : "-", info.identity);
    svc_store_close(st);
    return rc;
}
