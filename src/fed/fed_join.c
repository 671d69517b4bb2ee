/* fed/fed_join.c - `mreza community join NAME --peer PEER` (issue 11, docs/federation.md
 * decision 9 and section 2): a community homed at a mreza peer is made here with the
 * SAME UUID as the peer's TAXII collection for it, so that the pull subscriptions
 * (svc_sync_plan: one per community a local organisation reads, by UUID) find it in
 * the peer's collections, and its GREEN flows. The peer lists the collection only
 * when its operator made one of the organisations bound to this node a member. fed
 * holds no store connection: the caller's st is used, through svc_* only. */
#include "fed/fed.h"

#include <stdlib.h>
#include <string.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"

enum fed_code fed_join(struct store *st, const struct principal *p, const char *name, const char *peer,
                       const struct mz_conf *conf, struct store_community *out, struct mz_error *err)
{
    struct svc_sync_plan *pl = calloc(1, sizeof *pl);
    struct fed_discovery *d = calloc(1, sizeof *d);
    struct fed_sync_opts so;
    struct fed_opts o;
    struct fed_http *h = NULL;
    const char *uuid = NULL;
    enum fed_code code = FED_OK;

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
    if (code == FED_OK && svc_community_join(st, p, name, uuid, pl->node.name, out, err) != MZ_OK)
        code = FED_CONFIG;
    fed_http_free(h);
    memset(pl->secret, 0, sizeof pl->secret);
    free(pl);
    free(d);
    return code;
}
