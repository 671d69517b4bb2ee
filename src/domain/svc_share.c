/* domain/svc_share.c - re-sharing a version (docs/model.md R11.3, docs/federation.md
 * section 2): an explicit act, recorded as a share record (who, when, into which
 * community or to whom), never a new version of someone else's object and never a
 * side effect of a post (R1).
 *
 *   CLEAR, GREEN   into a community the sharer's organisation writes to, by a member
 *                  who may read the version (an analyst lifting an operator's report
 *                  into the regional community); a reporter shares only its own
 *                  organisation's objects
 *   AMBER          on to organisations, by its owner, or by an organisation it is
 *                  addressed to, to its own clients: TLP 2.0 lets a recipient share
 *                  AMBER with its clients on a need-to-know basis. On one node a
 *                  recipient's clients are the organisations its operator vouched for
 *                  in the node's national community (its read-members): the node
 *                  keeps no list of whose client is whom, the recipient decides who
 *                  needs to know and the record names who passed it to whom
 *   AMBER+STRICT   on to organisations, by its owner only
 *   RED            on to people (users), by its owner only
 * No community widens AMBER, AMBER+STRICT or RED. A share into a community adds the
 * community to the version's bits and stamps a grant (the store); a pass-on adds the
 * recipients to the version's shared_to, which rules/tlp.c reads as part of its
 * audience. Either marks the id cx: its versions no longer have the same readers.
 * The engine learns of it from the record (engine_refresh.c). Everything is decided on
 * the versions the sharer may read (R5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/authz.h"
#include "domain/model.h"
#include "domain/svc.h"
#include "rules/stix.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/log.h"

/* Does the space-separated list name ident (case aside)? */
static int list_names(const char *list, const char *ident)
{
    size_t n = strlen(ident);

    if (!list || !n)
        return 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && !strncasecmp(p, ident, n))
            return 1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

static size_t list_count(const char *list)
{
    size_t n = 0;

    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, " ");
        n += len > 0;
        p += len;
        p += strspn(p, " ");
    }
    return n;
}

/* The request checked for its form, before the store is touched. */
static enum mz_err check_input(const struct svc_share_in *in, char *vkey, struct mz_error *err)
{
    vkey[0] = '\0';
    if (!in->id || !stix_id_valid(in->id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)",
                            in->id ? in->id : "");
    if (!strncmp(in->id, "x-mreza-", 8)) /* a roster goes where its home sends it */
        return mz_error_set(err, MZ_EINVAL, "id",
                            "%.80s is the node's own record (a roster, a tombstone): it is not shared", in->id);
    if (!in->community == !in->n_to)
        return mz_error_set(err, MZ_EINVAL, in->community ? "to" : "community",
                            "share into one community (community) or pass on to named recipients (to), one of them");
    if (in->community && strchr(in->community, ','))
        return mz_error_set(err, MZ_EINVAL, "community", "a share names one community");
    if (in->n_to > SVC_SHARE_MAX_TO)
        return mz_error_set(err, MZ_EINVAL, "to", "at most %d recipients at once", SVC_SHARE_MAX_TO);
    for (size_t i = 0; i < in->n_to; i++)
        if (!in->to[i] || !*in->to[i] || strlen(in->to[i]) >= STORE_NAME_LEN)
            return mz_error_set(err, MZ_EINVAL, "to", "to lists organisations (or, for TLP:RED, users) by handle or "
                                                      "identity id");
    if (in->version && stix_version_key(in->version, vkey))
        return mz_error_set(err, MZ_EINVAL, "version", "version must be a `modified` timestamp such as "
                                                       "2025-01-01T00:00:00.000Z");
    return MZ_OK;
}

/* The version of m p shares: the one it is served (R2, R3), or the named one among
 * the versions it may read (of the objects it is served first: copies of an open id
 * share version strings); -1 with err set. */
static long pick_version(struct store *st, const struct principal *p, struct model_id *m, const char *vkey,
                         const char *id, struct mz_error *err)
{
    struct model_objs objs;
    long v;

    model_served_st(st, p, m, &objs);
    v = model_pick(p, m, &objs);
    if (v < 0) {
        mz_error_set(err, MZ_ENOTFOUND, "", "no object with id '%.80s' is visible to you", id);
        return -1;
    }
    if (!vkey[0])
        return v;
    for (int served = 1; served >= 0; served--)
        for (size_t i = 0; i < m->n; i++)
            if ((!served || model_objs_has(&objs, m->v[i].obj)) && !m->sco && !strcmp(m->v[i].vkey, vkey) &&
                model_may_read(p, &m->v[i]))
                return (long)i;
    mz_error_set(err, MZ_EINVAL, "version", "%.80s has no version %.40s that you may read", id, vkey);
    return -1;
}

/* One recipient of a pass-on into its identity (out, STORE_IDENT_LEN): an
 * organisation (users: RED), by handle or identity; *org_out its organisation. */
static enum mz_err recipient(struct store *st, const char *who, int users, char *out, int64_t *org_out,
                             struct mz_error *err)
{
    int64_t org = 0, user = 0;
    enum mz_err rc;

    if (!strncmp(who, "identity--", 10)) {
        rc = store_identity_owner(st, who, &org, &user, err);
        if (!rc && !users != !user)
            rc = MZ_ENOTFOUND;
        if (!rc) {
            struct store_org o;
            struct store_user u;
            rc = users ? store_user_by_id(st, user, &u, err) : store_org_by_id(st, org, &o, err);
            if (!rc)
                snprintf(out, STORE_IDENT_LEN, "%s", users ? u.identity : o.identity);
        }
    } else if (users) {
        struct store_user u;
        rc = store_user_by_name(st, who, &u, err);
        if (!rc) {
            org = u.org_id;
            snprintf(out, STORE_IDENT_LEN, "%s", u.identity);
        }
    } else {
        struct store_org o;
        rc = store_org_by_name(st, who, &o, err);
        if (!rc) {
            org = o.id;
            snprintf(out, STORE_IDENT_LEN, "%s", o.identity);
        }
    }
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_EINVAL, "to", "no %s '%.64s' %s", users ? "user" : "organisation", who,
                            users ? "(TLP:RED is passed on to people: name users)" : "(name organisations)");
    *org_out = org;
    return rc;
}

/* Is organisation org a client of a recipient on this node: a read-member of the
 * national community? */
static enum mz_err is_client(struct store *st, int64_t org, int *yes, struct mz_error *err)
{
    uint64_t rd = 0, wr = 0;
    enum mz_err rc = store_org_comm(st, org, &rd, &wr, err);

    *yes = !rc && (rd & STORE_COMM_NATIONAL);
    return rc;
}

/* Pass version v on to in->to: who may, to whom; the new identities into added;
 * *remote 1 when one of them is an organisation homed at a peer. */
static enum mz_err pass_on(struct store *st, const struct principal *p, const struct svc_share_in *in,
                           const struct model_ver *v, struct mz_buf *added, int *remote, struct mz_error *err)
{
    int owner = p->org.id > 0 && v->owner_org == p->org.id, users = v->tlp == TLP_RED;
    enum mz_err rc = MZ_OK;

    if (!owner && (v->tlp != TLP_AMBER || !list_names(v->audience, p->org.identity)))
        return mz_error_set(err, MZ_EFORBIDDEN, "to",
                            v->tlp == TLP_AMBER ? "TLP:AMBER is passed on by its owner, or by an organisation it is "
                                                  "addressed to (to its own clients)"
                                                : "%s is passed on by its owner only",
                            tlp_label((enum tlp_level)v->tlp));
    for (size_t i = 0; !rc && i < in->n_to; i++) {
        char ident[STORE_IDENT_LEN];
        int64_t org = 0;
        int client = 1;
        rc = recipient(st, in->to[i], users, ident, &org, err);
        if (rc)
            break;
        /* an organisation that reads it already: its owner, the one passing it on */
        if (!users && (org == v->owner_org || org == p->org.id))
            continue;
        if (!owner)
            rc = is_client(st, org, &client, err);
        if (!rc && !client)
            rc = mz_error_set(err, MZ_EFORBIDDEN, "to",
                              "%.64s is not a client of your organisation on this node: a recipient passes TLP:AMBER "
                              "on to organisations of the national community",
                              in->to[i]);
        if (!rc && !list_names(v->audience, ident) && !list_names(v->shared_to, ident) &&
            !list_names(added->data, ident)) {
            int64_t home = 0;
            rc = mz_buf_printf(added, "%s%s", added->len ? " " : "", ident);
            if (!rc && !users)
                rc = store_org_node(st, org, &home, err);
            if (home > 0)
                *remote = 1;
        }
    }
    if (!rc && list_count(v->shared_to) + list_count(added->data) > SVC_SHARE_MAX_SHARED)
        rc = mz_error_set(err, MZ_ECONFLICT, "to", "a version is passed on to at most %d recipients",
                          SVC_SHARE_MAX_SHARED);
    return rc;
}

/* Share version v into in->community: who may, where; *bit_out its bit, or -1 when
 * the version is there already. */
static enum mz_err into_community(struct store *st, const struct principal *p, const struct svc_share_in *in,
                                  const struct model_ver *v, int *bit_out, struct mz_error *err)
{
    uint64_t mask = 0;
    enum mz_err rc;

    if (p->role == ROLE_REPORTER && v->owner_org != p->org.id)
        return mz_error_set(err, MZ_EFORBIDDEN, "", "a reporter shares only its own organisation's objects");
    rc = svc_community_mask(st, p, in->community, 1, &mask, err);
    if (rc)
        return rc;
    *bit_out = (v->comm & mask) ? -1 : __builtin_ctzll(mask);
    return MZ_OK;
}

/* What a share did, for the poster and the log. */
static void fill_result(const struct model_ver *v, const char *community, const char *added, struct svc_share_result *res)
{
    snprintf(res->version, sizeof res->version, "%s", v->version);
    res->tlp = v->tlp;
    snprintf(res->community, sizeof res->community, "%s", community ? community : "");
    snprintf(res->recipients, sizeof res->recipients, "%s", added ? added : "");
}

enum mz_err svc_share(struct store *st, const struct principal *p, const struct svc_share_in *in,
                      struct svc_share_result *res, struct mz_error *err)
{
    struct model_id m;
    struct mz_buf added, shared_to;
    char vkey[STIX_VKEY_LEN];
    const struct model_ver *v;
    int bit = -1, remote = 0;
    long i;
    enum mz_err rc = authz_check(p, AUTHZ_OBJECT_SHARE, err);

    memset(res, 0, sizeof *res);
    if (!rc)
        rc = check_input(in, vkey, err);
    if (rc)
        return rc;
    memset(&m, 0, sizeof m);
    mz_buf_init(&added, 16384);
    mz_buf_init(&shared_to, 1 << 16);
    rc = store_begin(st, err);
    if (rc)
        goto out;
    rc = model_load(st, in->id, &m, err);
    i = rc ? -1 : pick_version(st, p, &m, vkey, in->id, err);
    if (i < 0) {
        rc = rc ? rc : err->code;
        goto out;
    }
    v = &m.v[i];
    if (v->wd_keep) {
        rc = mz_error_set(err, MZ_ECONFLICT, "version", "version %.40s of %.80s is withdrawn: share a version that "
                                                        "is not", v->version, in->id);
        goto out;
    }
    if (tlp_community_wide(v->tlp) ? in->n_to > 0 : in->community != NULL) {
        rc = mz_error_set(err, MZ_EINVAL, in->n_to ? "to" : "community",
                          tlp_community_wide(v->tlp)
                              ? "%s is shared into communities, not passed on to named recipients"
                              : "no community widens %s: pass it on to named recipients (to)",
                          tlp_label((enum tlp_level)v->tlp));
        goto out;
    }
    if (in->community)
        rc = into_community(st, p, in, v, &bit, err);
    else if (p->role == ROLE_REPORTER && v->owner_org != p->org.id)
        rc = mz_error_set(err, MZ_EFORBIDDEN, "", "a reporter shares only its own organisation's objects");
    else
        rc = pass_on(st, p, in, v, &added, &remote, err);
    if (rc)
        goto out;
    fill_result(v, in->community, added.data, res);
    if ((in->community && bit < 0) || (!in->community && !added.len)) {
        store_rollback(st); /* nothing to do: it is shared so already */
        goto out;
    }
    {
        struct store_share sh = {v->seq, bit, NULL, NULL, p->user.id, p->org.id};
        if (!in->community) {
            rc = mz_buf_printf(&shared_to, "%s%s%s", v->shared_to ? v->shared_to : "",
                               v->shared_to && *v->shared_to ? " " : "", added.data);
            sh.recipients = added.data;
            sh.shared_to = shared_to.data;
        }
        if (!rc)
            rc = store_share_add(st, &sh, &res->record, res->at, err);
    }
    /* passed on to an organisation homed at a peer: a new position in the peers'
     * direct view, so that the peer reads it though its bookmark is past the
     * version's first grant (the third attack's A10) */
    if (!rc && remote)
        rc = store_peer_stamp(st, v->seq, err);
    if (!rc)
        rc = store_mark_cx(st, in->id, err);
    if (!rc)
        rc = store_commit(st, err);
    if (rc)
        goto out;
    res->changed = 1;
    MZ_LOG(MZ_LOG_INFO, "event=share id=%s version=%s tlp=%s community=%s recipients=%zu record=%lld user=%s org=%s",
           in->id, v->version, tlp_name((enum tlp_level)v->tlp), res->community, list_count(res->recipients),
           (long long)res->record, p->user.name, p->org.name);
out:
    if (rc)
        store_rollback(st);
    model_free(&m);
    mz_buf_free(&added);
    mz_buf_free(&shared_to);
    return rc;
}
