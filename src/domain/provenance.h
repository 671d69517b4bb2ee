/* domain/provenance.h - who may claim what in an object a member posts: the rules of
 * provenance that ingest (svc_ingest.c) applies to every object before storing it,
 * because only the use case knows the principal that writes and can ask the store
 * which identities belong to members.
 *
 *   Reserved ids (docs/model.md R8). What the node writes is written only by the
 *   node: the identity objects of member organisations (the directory, svc_auth.c),
 *   the node's own identity and the node's own types (`x-mreza-…`: withdrawal
 *   tombstones). No principal may post them, not even a member of the organisation
 *   named: the node's own writes do not come through here. The node's campaign
 *   groupings are not refused for their id (a refusal would tell a reader who may
 *   not read one, a reporter, that a campaign exists under an id it computed): a
 *   post under one follows R1 as under any claimed id - the node's object is the
 *   claim, so the post becomes its poster's later object, served to its own
 *   organisation alone - and the campaign logic reads only the node's objects. A user's identity id is
 *   refused to those who may list that user (its organisation, admins); to anyone
 *   else a refusal would reveal a user it may not list, and the node never reads a
 *   posted identity object as a user's. The node holds each user's identity id's
 *   claim for the user's organisation (svc_user_add, svc_user_claims), so anyone
 *   else's post under it is a later object, served to its poster's organisation
 *   alone.
 *
 *   created_by_ref (docs/model.md R1.1, R9). It may name a third party (a vendor's
 *   or MITRE's identity in an imported bundle: any identity that is no member's, or
 *   a user of another organisation whom the poster may not list), one's own
 *   organisation or a user of it (which attests the object). An object naming
 *   another member organisation, a user of another organisation whom the poster may
 *   list, or the node is that owner's, never the poster's: provenance_check says so
 *   and the writer answers `duplicate` or skips that object (the rest of the bundle
 *   is stored), since only the creator versions an object (STIX 2.1 §3.6).
 *
 * Ids are compared without regard to case. Refusals are MZ_EINVAL naming the field
 * ("/id", "/type"; ingest prefixes the object, "/objects/3/..."). */
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
    char creator_ok[STORE_IDENT_LEN]; /* the last created_by_ref found no other member's */
    int creator_ok_own;               /* ... and whether it was the poster's organisation's */
};

/* Whose object a version's created_by_ref makes it. */
struct provenance_creator {
    int64_t other_org;               /* -1; or the member organisation (0: the node) whose
                                        object it is (R1.1) */
    char other_name[STORE_NAME_LEN]; /* its name, for the poster ("the node" for 0) */
    int own;                         /* names the poster's organisation or one of its users */
};

/* Start the checks of a write by p on st (inside its transaction). */
enum mz_err provenance_init(struct provenance *pv, struct store *st, const struct principal *p,
                            struct mz_error *err);
/* The refusals of provenance_check that need no store read (the node's own types,
 * the node's identity, read by provenance_init): MZ_OK, or the refusal. It only
 * reads pv, so several threads may call it at once (ingest's validation workers,
 * before the writer takes the store's write lock). */
enum mz_err provenance_precheck(const struct provenance *pv, const struct stix_info *info, struct mz_error *err);
/* MZ_OK, with *out saying whose object info's created_by_ref makes it, unless info
 * is refused (a reserved id or type). */
enum mz_err provenance_check(struct provenance *pv, const struct stix_info *info, struct provenance_creator *out,
                             struct mz_error *err);

/* May p list the users of organisation org, and so learn that an id is one of theirs
 * (its own organisation's users; a node admin, every organisation's)? Whoever may is
 * refused a user's identity id (R8: its organisation's claim); to anyone else a
 * refusal would reveal the user. */
int provenance_may_list_users(const struct principal *p, int64_t org);

#endif
