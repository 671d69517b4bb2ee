/* api/route.c - the route table: method + path -> handler and who may call it. */
#include <string.h>

#include "api/api.h"

enum access {
    ACCESS_ANYONE,      /* no credentials needed */
    ACCESS_PUBLIC_READ, /* unauthenticated allowed when api.public_read is on */
    ACCESS_MEMBER       /* a valid API key */
};

struct route {
    const char *method;
    const char *path;   /* exact, or a prefix when it ends in '/' and prefix is set */
    int prefix;
    enum access access;
    api_handler handler;
};

static const struct route routes[] = {
    {"GET", "/healthz", 0, ACCESS_ANYONE, api_healthz},
    {"GET", "/api/v1/whoami", 0, ACCESS_MEMBER, api_whoami},
    {"GET", "/api/v1/objects", 0, ACCESS_PUBLIC_READ, api_objects_list},
    {"POST", "/api/v1/objects", 0, ACCESS_MEMBER, api_objects_post},
    {"GET", "/api/v1/objects/", 1, ACCESS_PUBLIC_READ, api_object_get},
    {"GET", "/api/v1/count", 0, ACCESS_PUBLIC_READ, api_objects_count},
    {"GET", "/api/v1/export", 0, ACCESS_PUBLIC_READ, api_export},
    {"GET", "/api/v1/orgs", 0, ACCESS_MEMBER, api_orgs_list},
    {"POST", "/api/v1/orgs", 0, ACCESS_MEMBER, api_orgs_post},
    {"GET", "/api/v1/users", 0, ACCESS_MEMBER, api_users_list},
    {"POST", "/api/v1/users", 0, ACCESS_MEMBER, api_users_post},
    {"POST", "/api/v1/match", 0, ACCESS_MEMBER, api_match_post},
    {"GET", "/api/v1/correlations", 0, ACCESS_PUBLIC_READ, api_correlations_get},
    {"GET", "/api/v1/index", 0, ACCESS_MEMBER, api_index_stats},
    {"GET", "/api/v1/campaigns", 0, ACCESS_MEMBER, api_campaigns_list},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static int path_matches(const struct route *rt, const char *path, const char **arg_out)
{
    size_t n = strlen(rt->path);

    if (rt->prefix) {
        if (strncmp(path, rt->path, n) != 0 || path[n] == '\0')
            return 0;
        *arg_out = path + n;
        return 1;
    }
    /* Accept one trailing slash, as TAXII-style clients send it. */
    return strncmp(path, rt->path, n) == 0 && (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0'));
}

enum MHD_Result route_dispatch(struct api_req *r)
{
    int path_known = 0;

    for (size_t i = 0; i < N_ROUTES; i++) {
        const struct route *rt = &routes[i];
        const char *arg = NULL;
        if (!path_matches(rt, r->path, &arg))
            continue;
        path_known = 1;
        if (strcmp(rt->method, r->method) != 0)
            continue;
        r->route_arg = arg;
        if (rt->access == ACCESS_MEMBER && r->who.role == ROLE_NONE)
            return api_fail(r, MZ_EAUTH, "", "this endpoint needs an API key: 'Authorization: Bearer <key>'");
        if (rt->access == ACCESS_PUBLIC_READ && r->who.role == ROLE_NONE && !r->node->conf.api_public_read)
            return api_fail(r, MZ_EAUTH, "", "this endpoint needs an API key: 'Authorization: Bearer <key>' (public TLP:CLEAR reads are off on this node)");
        return rt->handler(r);
    }
    if (path_known)
        return api_fail(r, MZ_EUNSUPPORTED, "", "method %s is not allowed on %s", r->method, r->path);
    return api_fail(r, MZ_ENOTFOUND, "", "no such endpoint: %s (see docs/api.md)", r->path);
}
