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
static int may_list_users(const struct principal *p, int64_t org)
{
    struct authz_target t = {org, 0, ROLE_NONE};

    return org == p->org.id || authz_allows_on(p, AUTHZ_USER_LIST, &t);
}

/* Reserved ids and types: the directory's identities, the node's identity and its
 * objects, the node's own x-mreza- types. */
static enum mz_err check_id(struct provenance *pv, const struct stix_info *info, struct mz_error *err)
{
    int64_t org = 0, user = 0;
    int node_obj = 0;
    char name[STORE_NAME_LEN];
    enum mz_err rc;

    if (!strncmp(info->type, "x-mreza-", 8))
        return mz_error_set(err, MZ_EINVAL, "/type",
                            "`x-mreza-` types are the node's own (such as withdrawal tombstones): no member may post them");
    if (!strcmp(info->type, "identity")) {
        if (is_node(pv, info->id))
            return mz_error_set(err, MZ_EINVAL, "/id", "`id` is this node's own identity, which only the node writes");
        rc = identity_owner(pv, info->id, &org, &user, err);
        /* A user's identity is refused only to whoever may list that user: to anyone
         * else the refusal would tell that the id is a user's, and the node never
         * reads a posted identity object as a user's (recipients come from its
         * directory), so accepting it harms nobody (docs/model.md R8). */
        if (rc == MZ_OK && (!user || may_list_users(pv->p, org))) {
            org_name(pv, org, name, sizeof name);
            return mz_error_set(err, MZ_EINVAL, "/id",
                                "`id` is the identity of %s of member organisation %s: the node writes the "
                                "identities of its members (from its directory), no member may",
                                user ? "a user" : "the organisation itself", name);
        }
        if (rc && rc != MZ_ENOTFOUND)
            return rc;
    }
    rc = store_node_object(pv->st, info->id, &node_obj, err);
    if (!rc && node_obj)
        rc = mz_error_set(err, MZ_EINVAL, "/id",
                          "`id` is reserved: the node itself writes the object with this id (such as a regional "
                          "campaign it recorded), no member may");
    return rc;
}

/* created_by_ref: a third party, or one's own organisation (or a user of it). */
static enum mz_err check_creator(struct provenance *pv, const char *creator, struct mz_error *err)
{
    int64_t org = 0, user = 0;
    char name[STORE_NAME_LEN];
    enum mz_err rc;

    if (pv->creator_ok[0] && strcasecmp(creator, pv->creator_ok) == 0)
        return MZ_OK; /* a bundle names the same creator again and again */
    if (is_node(pv, creator))
        return mz_error_set(err, MZ_EINVAL, "/created_by_ref",
                            "`created_by_ref` names this node's own identity: only the node creates objects in its name");
    rc = identity_owner(pv, creator, &org, &user, err);
    if (rc == MZ_OK && org != pv->p->org.id) {
        /* a user's organisation is named only to whoever may list its users */
        if (user && !may_list_users(pv->p, org))
            return mz_error_set(err, MZ_EINVAL, "/created_by_ref",
                                "`created_by_ref` names a user of another member organisation: name your own "
                                "organisation, or a creator that is no member (a vendor, MITRE)");
        org_name(pv, org, name, sizeof name);
        return mz_error_set(err, MZ_EINVAL, "/created_by_ref",
                            "`created_by_ref` names %s of member organisation %s, and you are not of it: name your "
                            "own organisation, or a creator that is no member (a vendor, MITRE)",
                            user ? "a user" : "the organisation", name);
    }
    if (rc && rc != MZ_ENOTFOUND)
        return rc;
    snprintf(pv->creator_ok, sizeof pv->creator_ok, "%s", creator);
    return MZ_OK;
}

enum mz_err provenance_check(struct provenance *pv, const struct stix_info *info, struct mz_error *err)
{
    enum mz_err rc = check_id(pv, info, err);

    if (!rc && info->created_by_ref)
        rc = check_creator(pv, info->created_by_ref, err);
    return rc;
}
