/* fed/fed_join.c - `mreza community join NAME --peer PEER` (issue 11, docs/federation.md
 * decision 9 and section 2): a community homed at a mreza peer is made here with the
 * SAME UUID as the peer's TAXII collection for it, so that the pull subscriptions
 * (svc_sync_plan: one per community a local organisation reads, by UUID) find it in
 * the peer's collections, and its GREEN flows. The peer lists the collection only
 * when its operator made one of the organisations bound to this node a member. The
 * community's roster (its `x-mreza-roster`, the newest version) is fetched from the
 * same collection and applied in the join's transaction (svc_roster_join), so that
 * the members here are the home's from the start; the peer's node identity, which
 * owns its rosters, is recorded from its API root when none is set. fed holds no
 * store connection: the caller's st is used, through svc_* only. */
#include "fed/fed.h"

#include <stdlib.h>
#include <string.h>

#include "domain/svc.h"
#include "domain/svc_roster.h"
#include "domain/svc_sync.h"

/* GET the rosters of collection uuid at root into f (its envelope in f->env; every
 * version, oldest first, as a peer is served them: each newer one is applied in
 * turn), with the guard's checks of any page (status, media type, JSON, envelope). */
static enum fed_code fetch_roster(struct fed_http *h, const struct fed_opts *o, const char *root, const char *uuid,
                                  struct fed_facts *f, struct mz_error *err)
{
    struct fed_req rq = {"GET", NULL, NULL, 0};
    struct fed_resp r;
    char url[1024];
    enum fed_code code;

    snprintf(url, sizeof url,
             "%s%scollections/%s/objects/?match%%5Btype%%5D=" SVC_ROSTER_TYPE "&match%%5Bversion%%5D=all", root,
             root[0] && root[strlen(root) - 1] == '/' ? "" : "/", uuid);
    rq.path = url;
    memset(&r, 0, sizeof r);
    code = fed_http_fetch(h, &rq, &r, err);
    if (code == FED_OK)
        code = fed_guard_status(r.status, 200, err);
    if (code == FED_OK)
        code = fed_guard_facts(&r, o, f, err);
    if (code == FED_OK && (!f->content_type_ok || !f->json_ok || !f->envelope_ok || f->too_many)) {
        code = FED_BAD_JSON;
        mz_error_set(err, MZ_EINVAL, "", "the roster the peer served is no TAXII envelope");
    }
    fed_resp_free(&r);
    return code;
}

enum fed_code fed_join(struct store *st, const struct principal *p, const char *name, const char *peer,
                       const struct mz_conf *conf, struct store_community *out, int *applied, struct mz_error *err)
{
    struct svc_sync_plan *pl = calloc(1, sizeof *pl);
    struct fed_discovery *d = calloc(1, sizeof *d);
    struct fed_sync_opts so;
    struct fed_opts o;
    struct fed_http *h = NULL;
    struct fed_facts f;
    const char *uuid = NULL;
    enum fed_code code = FED_OK;

    memset(&f, 0, sizeof f);
    if (applied)
        *applied = 0;

    if (!pl || !d) {
        free(pl);
        free(d);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    memset(&so, 0, sizeof so);
    so.conf = conf;
    if (svc_sync_plan(st, p, peer, pl, err) != MZ_OK) {
        code = FED_CONFIG;
    } else if (strcmp(pl->node.kind, "mreza")) {
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "/peer", "a community is joined from a mreza peer ('%s' is %s)", pl->node.name,
                     pl->node.kind);
    } else {
        fed_peer_opts(pl, &so, &o);
        code = fed_http_new(&o, &h, err);
    }
    if (code == FED_OK)
        code = fed_discover(h, pl->node.url, d, err);
    for (size_t i = 0; code == FED_OK && i < d->n && !uuid; i++)
        if (!strcmp(d->c[i].alias, name))
            uuid = d->c[i].id;
    if (code == FED_OK && !uuid) {
        code = FED_NOT_FOUND;
        mz_error_set(err, MZ_ENOTFOUND, "/name",
                     "peer %s lists no collection '%s' for this node: its operator makes one of the organisations "
                     "bound to this node a member of %s first (there: mreza community member add %s ORG)",
                     pl->node.name, name, name, name);
    }
    if (code == FED_OK)
        code = fetch_roster(h, &o, pl->node.url, uuid, &f, err);
    if (code == FED_OK && svc_roster_join(st, p, name, uuid, pl->node.name, d->node_identity, f.env, out,
                                          applied, err) != MZ_OK)
        code = FED_CONFIG;
    fed_facts_clear(&f);
    fed_http_free(h);
    memset(pl->secret, 0, sizeof pl->secret);
    free(pl);
    free(d);
    return code;
}
