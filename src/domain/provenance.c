/* domain/provenance.c - see provenance.h. */
#include "domain/provenance.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "domain/authz.h"
#include "domain/campaign.h"

enum mz_err provenance_init(struct provenance *pv, struct store *st, const struct principal *p,
                            struct mz_error *err)
{
    memset(pv, 0, sizeof *pv);
    pv->st = st;
    pv->p = p;
    return campaign_node_identity_peek(st, pv->node_ident, sizeof pv->node_ident, err);
}

static int is_node(const struct provenance *pv, const char *id)
{
    return pv->node_ident[0] && strcasecmp(id, pv->node_ident) == 0;
}

/* The name of organisation org_id for a message ("organisation 7" if it is gone). */
static void org_name(struct provenance *pv, int64_t org_id, char *out, size_t cap)
{
    struct store_org o;

    if (store_org_by_id(pv->st, org_id, &o, NULL) == MZ_OK)
        snprintf(out, cap, "%s", o.name);
    else
        snprintf(out, cap, "organisation %lld", (long long)org_id);
}

/* store_identity_owner, leaving err alone when the answer is "nobody's" (which is no
 * error here). */
static enum mz_err identity_owner(struct provenance *pv, const char *id, int64_t *org, int64_t *user,
                                  struct mz_error *err)
{
    struct mz_error e;
    enum mz_err rc;

    mz_error_clear(&e);
    rc = store_identity_owner(pv->st, id, org, user, &e);
    if (rc && rc != MZ_ENOTFOUND && err)
        *err = e;
    return rc;
}

/* May p list the users of organisation org (and so learn that an id is one of
 * theirs)? Its own organisation's, and a node admin every organisation's: the rule
 * of domain/authz.c. */
int provenance_may_list_users(const struct principal *p, int64_t org)
{
    struct authz_target t = {org, 0, ROLE_NONE};

    return org == p->org.id || authz_allows_on(p, AUTHZ_USER_LIST, &t);
}

/* Reserved ids and types: the directory's identities, the node's identity, the
 * node's own x-mreza- types. (The node's campaign groupings are not refused for
 * their id: a post under one follows R1 as under any claimed id, docs/model.md R8.) */
enum mz_err provenance_precheck(const struct provenance *pv, const struct stix_info *info, struct mz_error *err)
{
    if (!strncmp(info->type, "x-mreza-", 8))
        return mz_error_set(err, MZ_EINVAL, "/type",
                            "`x-mreza-` types are the node's own (such as withdrawal tombstones): no member may post them");
    if (!strcmp(info->type, "identity") && is_node(pv, info->id))
        return mz_error_set(err, MZ_EINVAL, "/id", "`id` is this node's own identity, which only the node writes");
    return MZ_OK;
}

static enum mz_err check_id(struct provenance *pv, const struct stix_info *info, struct mz_error *err)
{
    int64_t org = 0, user = 0;
    char name[STORE_NAME_LEN];
    enum mz_err rc = provenance_precheck(pv, info, err);

    if (rc)
        return rc;
    if (!strcmp(info->type, "identity")) {
        rc = identity_owner(pv, info->id, &org, &user, err);
        /* A user's identity is refused only to whoever may list that user: to anyone
         * else the refusal would tell that the id is a user's, and the node never
         * reads a posted identity object as a user's (recipients come from its
         * directory), so accepting it harms nobody (docs/model.md R8). */
        if (rc == MZ_OK && (!user || provenance_may_list_users(pv->p, org))) {
            org_name(pv, org, name, sizeof name);
            return mz_error_set(err, MZ_EINVAL, "/id",
                                "`id` is the identity of %s of member organisation %s: the node writes the "
                                "identities of its members (from its directory), no member may",
                                user ? "a user" : "the organisation itself", name);
        }
        if (rc && rc != MZ_ENOTFOUND)
            return rc;
    }
    return MZ_OK;
}

/* created_by_ref: whose it names (docs/model.md R9). The node, another member
 * organisation, or a user of another organisation whom p may list make the object
 * someone else's (R1.1: the writer answers `duplicate` or skips it); one's own
 * organisation or a user of it attest it; anything else (a vendor, MITRE, a user p
 * may not list) is third-party content. */
static enum mz_err classify_creator(struct provenance *pv, const char *creator, struct provenance_creator *out,
                                    struct mz_error *err)
{
    int64_t org = 0, user = 0;
    enum mz_err rc;

    if (pv->creator_ok[0] && strcasecmp(creator, pv->creator_ok) == 0) {
        out->own = pv->creator_ok_own; /* a bundle names the same creator again and again */
        return MZ_OK;
    }
    if (is_node(pv, creator)) {
        out->other_org = 0;
        snprintf(out->other_name, sizeof out->other_name, "the node");
        return MZ_OK;
    }
    rc = identity_owner(pv, creator, &org, &user, err);
    if (rc && rc != MZ_ENOTFOUND)
        return rc;
    if (rc == MZ_OK && org != pv->p->org.id && (!user || provenance_may_list_users(pv->p, org))) {
        out->other_org = org;
        org_name(pv, org, out->other_name, sizeof out->other_name);
        return MZ_OK;
    }
    out->own = rc == MZ_OK && org == pv->p->org.id;
    snprintf(pv->creator_ok, sizeof pv->creator_ok, "%s", creator);
    pv->creator_ok_own = out->own;
    return MZ_OK;
}

enum mz_err provenance_check(struct provenance *pv, const struct stix_info *info, struct provenance_creator *out,
                             struct mz_error *err)
{
    enum mz_err rc = check_id(pv, info, err);

    out->other_org = -1;
    out->other_name[0] = '\0';
    out->own = 0;
    if (!rc && info->created_by_ref)
        rc = classify_creator(pv, info->created_by_ref, out, err);
    return rc;
}
