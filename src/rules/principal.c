/* rules/principal.c - see principal.h. */
#include "rules/principal.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {"none", "admin", "analyst", "reporter", "viewer", "node-admin", "peer"};

enum role role_parse(const char *name)
{
    for (int r = ROLE_ADMIN; r <= ROLE_NODE_ADMIN; r++)
        if (strcmp(name, role_names[r]) == 0)
            return (enum role)r;
    return ROLE_NONE;
}

const char *role_name(enum role r)
{
    return (r >= ROLE_NONE && r <= ROLE_PEER) ? role_names[r] : "none";
}

void principal_console(struct principal *p)
{
    memset(p, 0, sizeof *p);
    p->role = ROLE_NODE_ADMIN;
    p->console = 1;
    snprintf(p->user.name, sizeof p->user.name, "console");
    snprintf(p->org.name, sizeof p->org.name, "the node");
}

int principal_is_console(const struct principal *p)
{
    return p && p->console;
}
