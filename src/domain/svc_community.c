/* domain/svc_community.c - communities (issue 11; docs/federation.md section 2): the
 * console's acts on them (add, members), what members are shown of them, and the
 * names a post or a filter gives turned into the community bits the store and
 * rules/tlp.c work on. A community is a group of organisations that share TLP:GREEN;
 * membership is per organisation and has a direction (read, write, or both). This
 * node is the home of every community it adds; its operator alone decides their
 * members (docs/model.md R11.1), and every change writes a new version of its
 * roster (svc_roster.c), the list its peers apply. A community joined from a peer
 * (`community join`) keeps the home's UUID and names the peer as its home: its
 * members are the home's roster's, and a member add or remove here is refused;
 * `community leave` ends that (its memberships and bookmarks go, its row and bit
 * stay, home_node -home: its home's roster is refused from then on).
 * What membership means for readers is rules/tlp.c's; nothing here decides TLP. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "domain/svc_int.h"
#include "domain/svc_roster.h"
#include "obs/utf8.h"
#include "util/log.h"
#include "util/uuid.h"

/* TAXII names these views beside the communities (docs/federation.md section 8.1):
 * no community may take their alias. */
static const char *const reserved_names[] = {"all", "indicators", "mreza-direct"};

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n >= STORE_COMM_NAME_LEN)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.' || *s == '_'))
            return 0;
    return 1;
}

/* Text shown in terminals and JSON: utf8_text_ok's, shorter than cap bytes. */
static enum mz_err text_ok(const char *t, size_t cap, const char *field, struct mz_error *err)
{
    size_t n = strlen(t);

    if (n >= cap)
        return mz_error_set(err, MZ_EINVAL, field, "%s is at most %zu bytes", field + 1, cap - 1);
    if (utf8_span(t, n) != n)
        return mz_error_set(err, MZ_EINVAL, field, "%s must be UTF-8 text", field + 1);
    if (!utf8_text_ok(t, n))
        return mz_error_set(err, MZ_EINVAL, field,
                            "%s may not contain control characters (nor bidirectional controls)", field + 1);
    return MZ_OK;
}

struct find_kind {
    const char *kind;
    int found;
};

/* A community homed here of kind f->kind (one joined from a peer is the peer's: its
 * kind is its home's word and takes no place here, security.md B3). */
static int has_kind(void *ctx, const struct store_community *c)
{
    struct find_kind *f = ctx;

    f->found |= c->home_node == 0 && !strcmp(c->kind, f->kind);
    return f->found;
}

enum mz_err svc_community_add(struct store *st, const struct principal *p, const struct svc_community_new *in,
                              struct store_community *out, struct mz_error *err)
{
    struct store_community c;
    struct find_kind fk = {"regional", 0};
    const char *kind = in->kind ? in->kind : "other";
    char uuid[MZ_UUID_STRLEN];
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (rc)
        return rc;
    if (!in->name || !name_ok(in->name))
        return mz_error_set(err, MZ_EINVAL, "/name",
                            "a community's name is 2-%d characters of a-z, 0-9, '.', '-', '_'", STORE_COMM_NAME_LEN - 1);
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++)
        if (!strcmp(in->name, reserved_names[i]))
            return mz_error_set(err, MZ_EINVAL, "/name", "'%s' names a TAXII view of the node: choose another name",
                                in->name);
    if (strcmp(kind, "regional") && strcmp(kind, "other"))
        return mz_error_set(err, MZ_EINVAL, "/kind",
                            "a community's kind is regional or other (the national community is the node's own)");
    if (!in->title || !*in->title)
        return mz_error_set(err, MZ_EINVAL, "/title", "a community needs a title (--title)");
    rc = text_ok(in->title, STORE_COMM_TITLE_LEN, "/title", err);
    if (!rc && in->description)
        rc = text_ok(in->description, STORE_COMM_DESC_LEN, "/description", err);
    if (rc)
        return rc;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", in->name);
    snprintf(c.title, sizeof c.title, "%s", in->title);
    snprintf(c.description, sizeof c.description, "%s", in->description ? in->description : "");
    snprintf(c.kind, sizeof c.kind, "%s", kind);
    mz_uuid_v4(uuid);
    snprintf(c.uuid, sizeof c.uuid, "%s", uuid);
    rc = store_begin(st, err);
    if (rc)
        return rc;
    /* a node homes one regional community at most: the one its directory goes to */
    if (!strcmp(kind, "regional"))
        rc = store_community_list(st, has_kind, &fk, err);
    if (!rc && fk.found)
        rc = mz_error_set(err, MZ_ECONFLICT, "/kind", "this node hosts a regional community already");
    if (!rc)
        rc = store_community_add(st, &c, err);
    /* the node's directory goes to its regional community (docs/federation.md 2) */
    if (!rc && !strcmp(kind, "regional"))
        rc = svc_directory_share(st, &c, err);
    if (!rc)
        rc = svc_roster_publish(st, &c, err); /* its first roster: no members */
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && out)
        *out = c;
    return rc;
}

/* The community and the organisation a membership change names. */
static enum mz_err member_args(struct store *st, const char *community, const char *org, struct store_community *c,
                               struct store_org *o, struct mz_error *err)
{
    enum mz_err rc = store_community_by_name(st, community ? community : "", c, err);

    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "community", "no community named '%.64s' (mreza community list)",
                            community ? community : "");
    if (!rc)
        rc = store_org_by_name(st, org ? org : "", o, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "org", "no organisation named '%.64s' (mreza org list)",
                            org ? org : "");
    return rc;
}

/* A community homed at a peer: its home decides the members, and its roster says
 * who they are here (svc_roster.c). */
static enum mz_err joined_member_ok(struct store *st, const struct store_community *c, struct mz_error *err)
{
    struct store_node n;

    if (c->home_node == 0)
        return MZ_OK;
    if (c->home_node < 0)
        return mz_error_set(err, MZ_EFORBIDDEN, "community",
                            "%s was left (mreza community leave): it has no members here, and is joined again "
                            "only from its home (mreza community join %s --peer HOME)",
                            c->name, c->name);
    if (store_node_by_id(st, c->home_node, &n, NULL) != MZ_OK)
        snprintf(n.name, sizeof n.name, "%lld", (long long)c->home_node);
    return mz_error_set(err, MZ_EFORBIDDEN, "community",
                        "%s is homed at peer %s, which decides its members: they come here with its roster "
                        "(on %s: mreza community member add|remove %s ORG)",
                        c->name, n.name, n.name, c->name);
}

enum mz_err svc_community_member_set(struct store *st, const struct principal *p, const char *community,
                                     const char *org, int can_read, int can_write, struct mz_error *err)
{
    struct store_community c;
    struct store_org o;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (rc)
        return rc;
    if (!can_read && !can_write)
        return mz_error_set(err, MZ_EINVAL, "", "a member reads, writes, or both (remove it instead)");
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = member_args(st, community, org, &c, &o, err);
    if (!rc)
        rc = joined_member_ok(st, &c, err);
    if (!rc)
        rc = store_member_set(st, c.id, o.id, can_read, can_write, err);
    if (!rc)
        rc = svc_roster_publish(st, &c, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_community_member_remove(struct store *st, const struct principal *p, const char *community,
                                        const char *org, struct mz_error *err)
{
    struct store_community c;
    struct store_org o;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = member_args(st, community, org, &c, &o, err);
    if (!rc)
        rc = joined_member_ok(st, &c, err);
    if (!rc && (rc = store_member_remove(st, c.id, o.id, err)) == MZ_ENOTFOUND)
        mz_error_set(err, MZ_ENOTFOUND, "org", "%s is no member of %s", o.name, c.name);
    if (!rc)
        rc = svc_roster_publish(st, &c, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_community_join_in(struct store *st, const char *name, const char *uuid, const struct store_node *n,
                                  struct store_community *out, struct mz_error *err)
{
    struct store_community c;
    enum mz_err rc;

    if (!name || !name_ok(name))
        return mz_error_set(err, MZ_EINVAL, "/name",
                            "a community's name is 2-%d characters of a-z, 0-9, '.', '-', '_'", STORE_COMM_NAME_LEN - 1);
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++)
        if (!strcmp(name, reserved_names[i]))
            return mz_error_set(err, MZ_EINVAL, "/name", "'%s' names a TAXII view of the node", name);
    if (!uuid || !mz_uuid_valid(uuid, strlen(uuid)))
        return mz_error_set(err, MZ_EINVAL, "/uuid", "the peer's collection id is no UUID");
    if (n->id <= 0 || strcmp(n->kind, "mreza"))
        return mz_error_set(err, MZ_EINVAL, "/peer", "a community is joined from a mreza peer ('%s' is %s)", n->name,
                            n->kind);
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.title, sizeof c.title, "%s (home: peer %s)", name, n->name);
    snprintf(c.kind, sizeof c.kind, "other"); /* until its roster says */
    for (size_t i = 0; uuid[i] && i + 1 < sizeof c.uuid; i++)
        c.uuid[i] = (char)tolower((unsigned char)uuid[i]);
    c.home_node = n->id;
    /* a community left (store_community_leave) is joined again only as it was: its
     * name, its home's collection id, from the same home (docs/security.md C2) */
    {
        struct store_community left;
        if (store_community_by_name(st, name, &left, NULL) == MZ_OK && left.home_node < 0) {
            if (left.home_node != -n->id || strcmp(left.uuid, c.uuid))
                return mz_error_set(err, MZ_ECONFLICT, "/name",
                                    "community %s was left here: it is joined again only from the peer it was "
                                    "joined from, with its collection id %s",
                                    name, left.uuid);
            rc = store_community_rejoin(st, left.id, err);
            if (!rc)
                rc = store_community_by_name(st, name, &c, err);
            if (!rc)
                MZ_LOG(MZ_LOG_INFO, "event=community_rejoin community=%s home=%s", c.name, n->name);
            if (!rc && out)
                *out = c;
            return rc;
        }
    }
    rc = store_community_add(st, &c, err);
    if (!rc && out)
        *out = c;
    return rc;
}

/* Count the members of a community. */
static int count_member(void *ctx, const struct store_membership *m)
{
    (void)m;
    ++*(long *)ctx;
    return 0;
}

enum mz_err svc_community_leave(struct store *st, const struct principal *p, const char *name,
                                struct store_community *out, char *home, size_t home_cap, struct mz_error *err)
{
    struct store_community c;
    struct store_node n;
    long members = 0;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_community_by_name(st, name ? name : "", &c, err);
    if (rc == MZ_ENOTFOUND)
        mz_error_set(err, MZ_ENOTFOUND, "community", "no community named '%.64s' (mreza community list)",
                     name ? name : "");
    if (!rc && c.home_node == 0)
        rc = mz_error_set(err, MZ_EINVAL, "community",
                          "%s is homed here (this node decides its members): only a community joined from a peer "
                          "is left",
                          c.name);
    if (!rc && c.home_node < 0)
        rc = mz_error_set(err, MZ_ECONFLICT, "community", "%s was left already", c.name);
    if (!rc && store_node_by_id(st, c.home_node, &n, NULL) != MZ_OK)
        snprintf(n.name, sizeof n.name, "%lld", (long long)c.home_node);
    if (!rc)
        rc = store_members(st, c.id, 0, count_member, &members, err);
    if (!rc)
        rc = store_community_leave(st, c.id, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        return rc;
    /* the audit line: the console acts (communities are managed nowhere else) */
    MZ_LOG(MZ_LOG_INFO, "event=community_leave community=%s uuid=%s home=%s members_removed=%ld", c.name, c.uuid,
           n.name, members);
    c.home_node = -c.home_node;
    if (out)
        *out = c;
    if (home && home_cap)
        snprintf(home, home_cap, "%s", n.name);
    return MZ_OK;
}

enum mz_err svc_community_join(struct store *st, const struct principal *p, const char *name, const char *uuid,
                               const char *peer, struct store_community *out, struct mz_error *err)
{
    struct store_community c;
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_node_by_name(st, peer ? peer : "", &n, err);
    if (rc == MZ_ENOTFOUND)
        mz_error_set(err, MZ_ENOTFOUND, "/peer", "no peer is called '%.64s' (mreza peer list)", peer ? peer : "");
    if (!rc)
        rc = svc_community_join_in(st, name, uuid, &n, &c, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && out)
        *out = c;
    return rc;
}

/* ---- what members see ---- */

#define MAX_MEMBERSHIPS STORE_COMM_MAX

struct mine {
    size_t n;
    struct {
        int64_t community;
        int can_read, can_write;
        char since[24];
    } m[MAX_MEMBERSHIPS];
};

static int note_mine(void *ctx, const struct store_membership *m)
{
    struct mine *c = ctx;

    if (c->n == MAX_MEMBERSHIPS)
        return 1;
    c->m[c->n].community = m->community;
    c->m[c->n].can_read = m->can_read;
    c->m[c->n].can_write = m->can_write;
    snprintf(c->m[c->n].since, sizeof c->m[c->n].since, "%s", m->since ? m->since : "");
    c->n++;
    return 0;
}

struct list_ctx {
    struct mine mine;
    int all;
    int peer;                      /* a peer: its memberships are these bits */
    uint64_t peer_read, peer_write;
    svc_community_fn fn;
    void *ctx;
};

static int list_one(void *vctx, const struct store_community *c)
{
    struct list_ctx *l = vctx;
    struct store_membership m;

    memset(&m, 0, sizeof m);
    if (l->peer) {
        uint64_t bit = (uint64_t)1 << c->bit;
        if (!((l->peer_read | l->peer_write) & bit))
            return 0;
        m.community = c->id;
        m.can_read = (l->peer_read & bit) != 0;
        m.can_write = (l->peer_write & bit) != 0;
        m.since = "";
        return l->fn(l->ctx, c, &m);
    }
    for (size_t i = 0; i < l->mine.n; i++)
        if (l->mine.m[i].community == c->id) {
            m.community = c->id;
            m.can_read = l->mine.m[i].can_read;
            m.can_write = l->mine.m[i].can_write;
            m.since = l->mine.m[i].since;
        }
    if (!m.since && !l->all)
        return 0;
    return l->fn(l->ctx, c, &m);
}

enum mz_err svc_community_list(struct store *st, const struct principal *p, svc_community_fn fn, void *ctx,
                               struct mz_error *err)
{
    struct list_ctx l;
    enum mz_err rc;

    if (p->role == ROLE_NONE)
        return authz_check(p, AUTHZ_ORG_LIST, err); /* the refusal nobody gets */
    memset(&l, 0, sizeof l);
    if (p->role == ROLE_PEER) {
        /* a peer sees the communities where it hosts a member (docs/federation.md
         * 8.1), by the memberships of the organisations bound to it */
        l.peer_read = p->comm_read;
        l.peer_write = p->comm_write;
        l.peer = 1;
    }
    l.all = authz_allows(p, AUTHZ_COMMUNITY_LIST_ALL);
    l.fn = fn;
    l.ctx = ctx;
    rc = store_begin_read(st, err);
    if (rc)
        return rc;
    if (p->org.id > 0)
        rc = store_members(st, 0, p->org.id, note_mine, &l.mine, err);
    if (!rc)
        rc = store_community_list(st, list_one, &l, err);
    store_rollback(st);
    return rc;
}

enum mz_err svc_community_members(struct store *st, const struct principal *p, const char *community,
                                  store_membership_fn fn, void *ctx, struct mz_error *err)
{
    struct store_community c;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_LIST_ALL, err);

    if (rc)
        return rc;
    rc = store_community_by_name(st, community ? community : "", &c, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "community", "no community named '%.64s' (mreza community list)",
                            community ? community : "");
    return rc ? rc : store_members(st, c.id, 0, fn, ctx, err);
}

enum mz_err svc_community_mask(struct store *st, const struct principal *p, const char *names, int write,
                               uint64_t *mask_out, struct mz_error *err)
{
    uint64_t mask = 0, allowed = write ? p->comm_write : p->comm_read | p->comm_write;
    int any = !write && authz_allows(p, AUTHZ_COMMUNITY_LIST_ALL);
    const char *s = names;

    while (*s) {
        char name[STORE_COMM_NAME_LEN];
        size_t len = strcspn(s, ",");
        struct store_community c;
        uint64_t bit;
        enum mz_err rc;
        if (!len || len >= sizeof name)
            return mz_error_set(err, MZ_EINVAL, "community", "community is a comma-separated list of names");
        memcpy(name, s, len);
        name[len] = '\0';
        rc = store_community_by_name(st, name, &c, err);
        if (rc && rc != MZ_ENOTFOUND)
            return rc;
        bit = rc ? 0 : (uint64_t)1 << c.bit;
        /* a filter naming a community the reader is not in: as if there were none */
        if (rc || (!write && !any && !(allowed & bit)))
            return mz_error_set(err, MZ_EINVAL, "community", "no community named '%.64s'%s", name,
                                write ? "" : " that your organisation is a member of");
        if (write && !(allowed & bit))
            return mz_error_set(err, MZ_EFORBIDDEN, "community",
                                "your organisation (%s) may not share into the community '%s': it is no write-member "
                                "(the node's operator decides: mreza community member add %s %s --write)",
                                p->org.name, name, name, p->org.name);
        mask |= bit;
        s += len;
        if (*s == ',' && !*++s)
            return mz_error_set(err, MZ_EINVAL, "community", "community is a comma-separated list of names");
    }
    if (!mask)
        return mz_error_set(err, MZ_EINVAL, "community", "community names no community");
    *mask_out = mask;
    return MZ_OK;
}
