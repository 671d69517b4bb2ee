/* domain/provenance.h - who may claim what in an object a member posts: the rules of
 * provenance that ingest (svc_ingest.c) applies to every object before storing it,
 * because only the use case knows the principal that writes and can ask the store
 * which identities belong to members.
 *
 *   Reserved ids (docs/model.md R8). What the node writes is written only by the
 *   node: the identity objects of member organisations (the directory, svc_auth.c),
 *   the node's own identity, the objects the node stored itself (campaign
 *   groupings, campaign.c) and the node's own types (`x-mreza-…`: withdrawal
 *   tombstones). No principal may post them, not even a member of the organisation
 *   named: the node's own writes do not come through here. A user's identity id is
 *   refused to those who may list that user (its organisation, admins); to anyone
 *   else a refusal would reveal a user it may not list, and the node never reads a
 *   posted identity object as a user's.
 *
 *   created_by_ref. It may name a third party (a vendor's or MITRE's identity in an
 *   imported bundle: any identity that is no member's), one's own organisation or a
 *   user of it; never another member organisation, a user of another organisation,
 *   or the node itself, which members would otherwise read as that member's (or the
 *   node's) own statement, and find under it with the `created_by` filter.
 *
 * Ids are compared without regard to case. Refusals are MZ_EINVAL naming the field
 * ("/id", "/created_by_ref"; ingest prefixes the object, "/objects/3/..."). */
#ifndef MZ_PROVENANCE_H
#define MZ_PROVENANCE_H

#include "rules/principal.h"
#include "rules/stix.h"
#include "store/store.h"
#include "util/err.h"

/* One writer's checks over one write; remembers what it already learnt. Borrowed
 * pointers live as long as the write. */
struct provenance {
    struct store *st;
    const struct principal *p;
    char node_ident[STORE_IDENT_LEN]; /* "" while the node has no identity yet */
    char creator_ok[STORE_IDENT_LEN]; /* the last created_by_ref found allowed */
};

/* Start the checks of a write by p on st (inside its transaction). */
enum mz_err provenance_init(struct provenance *pv, struct store *st, const struct principal *p,
                            struct mz_error *err);
/* MZ_OK if the validated object info may be stored as p's, else the refusal. */
enum mz_err provenance_check(struct provenance *pv, const struct stix_info *info, struct mz_error *err);

#endif
