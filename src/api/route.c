/* api/route.c - the route table: method + path -> handler and who may call it, and
 * the checks every route shares before its handler runs: credentials, the method
 * (405 with an Allow header), the media type the client accepts (406) and the one it
 * sends (415), and for routes that write, whether the caller's role may (403). All
 * of them need only the request's headers, so http.c runs them (route_admit) before
 * it reads a byte of the body: nothing the node would refuse anyway costs it memory
 * for a body. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "domain/authz.h"

enum access {
    ACCESS_ANYONE,      /* no credentials needed */
    ACCESS_PUBLIC_READ, /* unauthenticated allowed when api.public_read is on */
    ACCESS_MEMBER       /* a valid API key */
};

struct route {
    const char *method;
    const char *path;   /* exact (a '*' matches one segment), or a prefix when it ends in '/' and prefix is set */
    int prefix;
    enum access access;
    api_handler handler;
    const char *produces; /* the media type of its replies (406 if not accepted) */
    int action;           /* an authz_action asked on the headers (403 before the body), or -1 */
};

#define JSON "application/json"
#define STIX "application/stix+json;version=2.1"
#define TAXII API_TAXII_TYPE

static const struct route routes[] = {
    {"GET", "/healthz", 0, ACCESS_ANYONE, api_healthz, JSON, -1},
    {"GET", "/api/v1/whoami", 0, ACCESS_MEMBER, api_whoami, JSON, -1},
    {"GET", "/api/v1/objects", 0, ACCESS_PUBLIC_READ, api_objects_list, JSON, -1},
    {"POST", "/api/v1/objects", 0, ACCESS_MEMBER, api_objects_post, JSON, AUTHZ_OBJECT_WRITE},
    {"GET", "/api/v1/objects/", 1, ACCESS_PUBLIC_READ, api_object_get, JSON, -1},
    {"POST", "/api/v1/objects/*/withdraw", 0, ACCESS_MEMBER, api_object_withdraw, JSON, AUTHZ_OBJECT_WITHDRAW},
    {"GET", "/api/v1/count", 0, ACCESS_PUBLIC_READ, api_objects_count, JSON, -1},
    {"GET", "/api/v1/export", 0, ACCESS_PUBLIC_READ, api_export, STIX, -1},
    {"GET", "/api/v1/orgs", 0, ACCESS_MEMBER, api_orgs_list, JSON, -1},
    {"POST", "/api/v1/orgs", 0, ACCESS_MEMBER, api_orgs_post, JSON, AUTHZ_ORG_ADD},
    {"GET", "/api/v1/users", 0, ACCESS_MEMBER, api_users_list, JSON, -1},
    {"POST", "/api/v1/users", 0, ACCESS_MEMBER, api_users_post, JSON, AUTHZ_USER_ADD},
    {"GET", "/api/v1/users/*/keys", 0, ACCESS_MEMBER, api_user_keys_list, JSON, -1},
    {"POST", "/api/v1/users/*/keys", 0, ACCESS_MEMBER, api_user_keys_post, JSON, AUTHZ_KEY_ISSUE},
    {"PATCH", "/api/v1/users/*/keys/*", 0, ACCESS_MEMBER, api_user_key_patch, JSON, AUTHZ_KEY_CHANGE},
    {"DELETE", "/api/v1/users/*/keys/*", 0, ACCESS_MEMBER, api_user_key_delete, JSON, -1},
    {"POST", "/api/v1/users/*/keys/*/rotate", 0, ACCESS_MEMBER, api_user_key_rotate, JSON, AUTHZ_KEY_ISSUE},
    {"POST", "/api/v1/users/*/disable", 0, ACCESS_MEMBER, api_user_disable, JSON, AUTHZ_USER_DISABLE},
    {"POST", "/api/v1/users/*/enable", 0, ACCESS_MEMBER, api_user_enable, JSON, AUTHZ_USER_DISABLE},
    {"POST", "/api/v1/match", 0, ACCESS_MEMBER, api_match_post, JSON, -1},
    {"GET", "/api/v1/correlations", 0, ACCESS_PUBLIC_READ, api_correlations_get, JSON, -1},
    {"GET", "/api/v1/index", 0, ACCESS_MEMBER, api_index_stats, JSON, -1},
    {"GET", "/api/v1/campaigns", 0, ACCESS_MEMBER, api_campaigns_list, JSON, -1},
    {"GET", "/api/v1/communities", 0, ACCESS_MEMBER, api_communities_list, JSON, -1},
    {"POST", "/api/v1/objects/*/share", 0, ACCESS_MEMBER, api_object_share, JSON, AUTHZ_OBJECT_SHARE},
    /* TAXII 2.1 (api_taxii.c, docs/federation.md section 8) */
    {"GET", "/taxii2", 0, ACCESS_PUBLIC_READ, api_taxii_discovery, TAXII, -1},
    {"GET", "/taxii2/api", 0, ACCESS_PUBLIC_READ, api_taxii_api_root, TAXII, -1},
    {"GET", "/taxii2/api/collections", 0, ACCESS_PUBLIC_READ, api_taxii_collections, TAXII, -1},
    {"GET", "/taxii2/api/collections/*", 0, ACCESS_PUBLIC_READ, api_taxii_collection, TAXII, -1},
    /* ... the read side of a collection (api_taxii_objects.c): unauthenticated readers
     * (api.public_read) see the indicators view alone (svc_taxii.c) */
    {"GET", "/taxii2/api/collections/*/objects", 0, ACCESS_PUBLIC_READ, api_taxii_objects, TAXII, -1},
    {"GET", "/taxii2/api/collections/*/manifest", 0, ACCESS_PUBLIC_READ, api_taxii_manifest, TAXII, -1},
    {"GET", "/taxii2/api/collections/*/objects/*", 0, ACCESS_PUBLIC_READ, api_taxii_object, TAXII, -1},
    {"GET", "/taxii2/api/collections/*/objects/*/versions", 0, ACCESS_PUBLIC_READ, api_taxii_versions, TAXII, -1},
    /* TAXII writes (api_taxii_write.c) */
    {"POST", "/taxii2/api/collections/*/objects", 0, ACCESS_MEMBER, api_taxii_objects_post, TAXII, AUTHZ_OBJECT_WRITE},
    {"DELETE", "/taxii2/api/collections/*/objects/*", 0, ACCESS_MEMBER, api_taxii_object_delete, TAXII, -1},
    {"GET", "/taxii2/api/status/*", 0, ACCESS_MEMBER, api_taxii_status, TAXII, -1},
    /* peers (api_peers.c, docs/federation.md section 4) */
    {"GET", "/api/v1/peers", 0, ACCESS_MEMBER, api_peers_list, JSON, AUTHZ_PEER_LIST},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

/* What a route's path matched: the text after a prefix, the segments of its '*'s. */
struct path_match {
    const char *arg;
    const char *seg[API_MAX_SEGS];
    size_t seg_len[API_MAX_SEGS];
};

/* A route path with '*' segments against path; one trailing slash is accepted. */
static int pattern_matches(const char *pat, const char *path, struct path_match *m)
{
    int n = 0;

    while (*pat) {
        if (*pat == '*') {
            size_t len = strcspn(path, "/");
            if (len == 0 || n == API_MAX_SEGS)
                return 0;
            m->seg[n] = path;
            m->seg_len[n++] = len;
            path += len;
            pat++;
        } else if (*pat++ != *path++) {
            return 0;
        }
    }
    return path[0] == '\0' || (path[0] == '/' && path[1] == '\0');
}

static int path_matches(const struct route *rt, const char *path, struct path_match *m)
{
    size_t n = strlen(rt->path);

    memset(m, 0, sizeof *m);
    if (rt->prefix) {
        if (strncmp(path, rt->path, n) != 0 || path[n] == '\0')
            return 0;
        m->arg = path + n;
        return 1;
    }
    /* Accept one trailing slash, as TAXII-style clients send it. */
    return pattern_matches(rt->path, path, m);
}

int api_seg(const struct api_req *r, int i, char *out, size_t cap)
{
    size_t n = i >= 0 && i < API_MAX_SEGS ? r->route_seg_len[i] : 0;

    out[0] = '\0';
    if (!n || n >= cap)
        return -1;
    memcpy(out, r->route_seg[i], n);
    out[n] = '\0';
    return 0;
}

/* The methods allowed on r's path, "GET, POST" style, into r->allow. */
static void collect_allow(struct api_req *r)
{
    size_t used = 0;

    r->allow[0] = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        struct path_match m;
        if (!path_matches(&routes[i], r->path, &m) || strstr(r->allow, routes[i].method))
            continue;
        used += (size_t)snprintf(r->allow + used, sizeof r->allow - used, "%s%s", used ? ", " : "",
                                 routes[i].method);
        if (used >= sizeof r->allow)
            break;
    }
}

/* Does one media range of an Accept header ("type/sub;params") cover type? */
static int range_covers(const char *range, size_t n, const char *type)
{
    const char *semi = memchr(range, ';', n), *slash, *q;
    size_t tn = strcspn(type, ";"), main_len;

    /* a range with q=0 refuses what it names */
    for (q = semi; q && q < range + n; q = memchr(q + 1, ';', (size_t)(range + n - q - 1))) {
        const char *p = q + 1;
        while (p < range + n && *p == ' ')
            p++;
        if (range + n - p >= 3 && !strncasecmp(p, "q=0", 3) &&
            (range + n - p == 3 || (p[3] == '.' && strspn(p + 4, "0") >= (size_t)(range + n - p - 4))))
            return 0;
    }
    if (semi)
        n = (size_t)(semi - range);
    while (n && range[n - 1] == ' ')
        n--;
    if (n == 3 && !strncmp(range, "*/*", 3))
        return 1;
    slash = strchr(type, '/');
    main_len = (size_t)(slash - type);
    if (n == main_len + 2 && !strncasecmp(range, type, main_len + 1) && range[n - 1] == '*')
        return 1;
    return n == tn && !strncasecmp(range, type, n);
}

/* 1 if an Accept header (NULL: none, which accepts anything) accepts type. A
 * structured JSON type (application/stix+json) also satisfies a client that asks for
 * application/json: it is JSON. */
static int accepts(const char *accept, const char *type)
{
    const char *p = accept;
    size_t tn = strcspn(type, ";");

    if (!accept)
        return 1;
    if (tn > 17 && !strncmp(type, "application/", 12) && !strncmp(type + tn - 5, "+json", 5) &&
        accepts(accept, "application/json"))
        return 1;
    while (*p) {
        size_t n = strcspn(p, ",");
        while (n && *p == ' ') {
            p++;
            n--;
        }
        if (n && range_covers(p, n, type))
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* TAXII's Accept rule (docs/federation.md 8.2): no header; the range of anything
 * or of any application type; or application/taxii+json with no version or version=2.1. Not
 * application/json, not another version. A range with q=0 refuses. */
static int taxii_range_ok(const char *p, size_t n, int stix_too)
{
    const char *semi = memchr(p, ';', n);
    size_t tn = semi ? (size_t)(semi - p) : n;
    int version_ok = 1;

    while (tn && p[tn - 1] == ' ')
        tn--;
    for (const char *q = semi; q && q < p + n; q = memchr(q + 1, ';', (size_t)(p + n - q - 1))) {
        const char *a = q + 1;
        size_t an;
        while (a < p + n && *a == ' ')
            a++;
        an = (size_t)(p + n - a);
        an = strcspn(a, ";,") < an ? strcspn(a, ";,") : an;
        while (an && a[an - 1] == ' ')
            an--;
        if (an >= 3 && !strncasecmp(a, "q=0", 3) && strspn(a + 3, ".0") >= an - 3)
            return 0;
        if (an >= 8 && !strncasecmp(a, "version=", 8))
            version_ok = an == 11 && !strncmp(a + 8, "2.1", 3);
    }
    if ((tn == 3 && !strncmp(p, "*/*", 3)) || (tn == 13 && !strncasecmp(p, "application/*", 13)))
        return 1;
    if (stix_too && tn == 21 && !strncasecmp(p, "application/stix+json", 21) && version_ok)
        return 1;
    return tn == 22 && !strncasecmp(p, "application/taxii+json", 22) && version_ok;
}

/* stix_too: the manifest also takes application/stix+json (no version or 2.1). */
static int taxii_accepts(const char *accept, int stix_too)
{
    const char *p = accept;

    if (!accept)
        return 1;
    while (*p) {
        size_t n = strcspn(p, ",");
        while (n && *p == ' ') {
            p++;
            n--;
        }
        if (n && taxii_range_ok(p, n, stix_too))
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* Bodies the API reads are JSON. Accepted: no Content-Type, application/json, any
 * application/...+json (stix+json, taxii+json), and application/x-www-form-urlencoded,
 * which is what `curl -d` / `--data-binary` sends unless told otherwise. */
static int body_type_ok(const char *ct)
{
    size_t n;

    if (!ct || !*ct)
        return 1;
    n = strcspn(ct, "; ");
    if (n == 16 && !strncasecmp(ct, "application/json", 16))
        return 1;
    if (n > 17 && !strncasecmp(ct, "application/", 12) && !strncasecmp(ct + n - 5, "+json", 5))
        return 1;
    return n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
}

/* TAXII bodies (docs/federation.md 8.2): application/taxii+json with no version
 * parameter or version=2.1, nothing else (application/stix+json included). */
static int taxii_body_type_ok(const char *ct)
{
    size_t n;

    if (!ct)
        return 0;
    n = strcspn(ct, "; ");
    if (n != 22 || strncasecmp(ct, "application/taxii+json", 22))
        return 0;
    for (const char *q = strchr(ct, ';'); q; q = strchr(q + 1, ';')) {
        const char *a = q + 1;
        size_t an;
        while (*a == ' ')
            a++;
        an = strcspn(a, ";");
        while (an && a[an - 1] == ' ')
            an--;
        if (an >= 8 && !strncasecmp(a, "version=", 8) && !(an == 11 && !strncmp(a + 8, "2.1", 3)))
            return 0;
    }
    return 1;
}

/* The checks of the request's media types: 0, or an error reply was queued (*ret). */
static int media_refused(struct api_req *r, const struct route *rt, enum MHD_Result *ret)
{
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

    if (!strcmp(rt->produces, TAXII) ? !taxii_accepts(accept, rt->handler == api_taxii_manifest)
                                     : !accepts(accept, rt->produces)) {
        *ret = api_fail(r, MZ_ENOTACCEPTABLE, "",
                        "%s answers with %s, which the request's Accept header (%.100s) does not allow",
                        r->path, rt->produces, accept);
        return 1;
    }
    if (!strcmp(rt->method, "POST") && !strcmp(rt->produces, TAXII) && !taxii_body_type_ok(ct)) {
        *ret = api_fail(r, MZ_EMEDIATYPE, "",
                        "%s reads a TAXII envelope; send it with 'Content-Type: %s' (got %.100s)", r->path,
                        TAXII, ct ? ct : "none");
        return 1;
    }
    if ((!strcmp(rt->method, "POST") || !strcmp(rt->method, "PATCH")) && !body_type_ok(ct)) {
        *ret = api_fail(r, MZ_EMEDIATYPE, "",
                        "%s reads a JSON body; send it with 'Content-Type: application/json' (got %.100s)",
                        r->path, ct);
        return 1;
    }
    return 0;
}

int route_admit(struct api_req *r, enum MHD_Result *ret)
{
    int path_known = 0;
    struct mz_error err;

    for (size_t i = 0; i < N_ROUTES; i++) {
        const struct route *rt = &routes[i];
        struct path_match m;
        if (!path_matches(rt, r->path, &m))
            continue;
        path_known = 1;
        if (strcmp(rt->method, r->method) != 0)
            continue;
        r->route_arg = m.arg;
        for (int k = 0; k < API_MAX_SEGS; k++) {
            r->route_seg[k] = m.seg[k];
            r->route_seg_len[k] = m.seg_len[k];
        }
        if (media_refused(r, rt, ret))
            return 1;
        if (rt->access == ACCESS_MEMBER && r->who.role == ROLE_NONE) {
            *ret = api_fail(r, MZ_EAUTH, "", "this endpoint needs an API key: 'Authorization: Bearer <key>'");
            return 1;
        }
        if (rt->access == ACCESS_PUBLIC_READ && r->who.role == ROLE_NONE && !r->node->conf.api_public_read) {
            *ret = api_fail(r, MZ_EAUTH, "", "this endpoint needs an API key: 'Authorization: Bearer <key>' (public TLP:CLEAR reads are off on this node)");
            return 1;
        }
        /* a peer's key reads and writes through TAXII alone (docs/federation.md 8.2):
         * the REST API is the members' */
        if (r->who.role == ROLE_PEER && !api_is_taxii(r) && rt->access != ACCESS_ANYONE) {
            *ret = api_fail(r, MZ_EFORBIDDEN, "",
                            "this is a peer's key: it works on /taxii2/ only, not on %s (members use their own keys)",
                            r->path);
            return 1;
        }
        mz_error_clear(&err);
        /* a peer pushes into a collection (docs/federation.md 8.2: svc_sync_receive,
         * whose admission decides each object); members still need the route's action */
        if (rt->action >= 0 && !(r->who.role == ROLE_PEER && rt->handler == api_taxii_objects_post) &&
            authz_check(&r->who, (enum authz_action)rt->action, &err)) {
            *ret = api_reply_error(r, &err);
            return 1;
        }
        r->handler = rt->handler;
        r->takes_body = !strcmp(rt->method, "POST") || !strcmp(rt->method, "PATCH");
        return 0;
    }
    if (path_known) {
        collect_allow(r);
        *ret = api_fail(r, MZ_EMETHOD, "", "method %s is not allowed on %s (allowed: %s)", r->method, r->path,
                        r->allow);
        return 1;
    }
    *ret = api_fail(r, MZ_ENOTFOUND, "", "no such endpoint: %s (see docs/api.md)", r->path);
    return 1;
}
