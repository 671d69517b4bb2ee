/* domain/svc_roster.c - community rosters (see svc_roster.h; docs/federation.md
 * decision 9): the home node writes them (svc_roster_publish, called by
 * svc_community.c on every membership change), a joined node admits and applies
 * them (svc_roster_receive, called by svc_sync.c's page loop and at `community
 * join`), and applies them again when `peer bind` binds an organisation a roster
 * named (svc_roster_reapply).
 *
 * Versions: every change writes a new version and none is pruned. Membership
 * changes are an operator's acts (a handful a year), versions are a few hundred
 * bytes, and the history is the record of who was admitted when; a receiver stores
 * only versions newer than the one it applied (an older one is ignored, not
 * stored), so a node that joins late holds the rosters from its join on.
 *
 * Ownership: the roster of a community homed here is the node's (owner_org 0, as
 * its campaign groupings); a received one is the home node's organisation's, an
 * organisation of kind `node` bound to the peer (docs/federation.md 6.1), whose
 * identity is the peer's node identity. */
#include "domain/svc_roster.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/authz.h"
#include "domain/campaign.h"
#include "domain/svc_int.h"
#include "obs/utf8.h"
#include "rules/tlp.h"
#include "util/timefmt.h"
#include "util/uuid.h"

void svc_roster_clear(struct svc_roster *r)
{
    if (!r)
        return;
    free(r->m);
    r->m = NULL;
    r->n = 0;
}

/* ---- the object's form ---- */

enum mz_err svc_roster_write(const struct svc_roster *r, char **text_out, struct mz_error *err)
{
    json_t *o = json_object(), *members = json_array(), *marks = json_array();
    char *text = NULL;

    if (!o || !members || !marks)
        goto oom;
    json_object_set_new(o, "type", json_string(SVC_ROSTER_TYPE));
    json_object_set_new(o, "spec_version", json_string("2.1"));
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "created", json_string(r->created));
    json_object_set_new(o, "modified", json_string(r->modified));
    json_object_set_new(o, "created_by_ref", json_string(r->created_by));
    json_object_set_new(o, "community", json_string(r->community));
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "title", json_string(r->title));
    json_object_set_new(o, "kind", json_string(r->kind));
    for (size_t i = 0; i < r->n; i++)
        if (json_array_append_new(members, json_pack("{s:s,s:b,s:b}", "identity", r->m[i].identity, "read",
                                                     r->m[i].read != 0, "write", r->m[i].write != 0)))
            goto oom;
    if (r->n) /* STIX lists are never empty: no members, no property */
        json_object_set(o, "members", members);
    json_array_append_new(marks, json_string(tlp_marking_id(TLP_GREEN)));
    json_object_set(o, "object_marking_refs", marks);
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        goto oom;
    json_decref(members);
    json_decref(marks);
    json_decref(o);
    *text_out = text;
    return MZ_OK;
oom:
    json_decref(members);
    json_decref(marks);
    json_decref(o);
    return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
}

/* Text of a roster's field: a string shorter than cap, UTF-8 without control
 * characters, copied into out. */
static enum mz_err text_field(json_t *obj, const char *key, char *out, size_t cap, int empty_ok,
                              struct mz_error *err)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t n = s ? strlen(s) : 0;

    if (!s || n >= cap || (!n && !empty_ok) || utf8_span(s, n) != n)
        return mz_error_set(err, MZ_EINVAL, "", "a roster's %s must be UTF-8 text of at most %zu bytes", key,
                            cap - 1);
    if (!utf8_text_ok(s, n))
        return mz_error_set(err, MZ_EINVAL, "",
                            "a roster's %s may not contain control characters (nor bidirectional controls)", key);
    memcpy(out, s, n + 1);
    return MZ_OK;
}

static int cmp_identity(const void *a, const void *b)
{
    return strcmp(((const struct svc_roster_member *)a)->identity, ((const struct svc_roster_member *)b)->identity);
}

enum mz_err svc_roster_read(json_t *obj, struct svc_roster *out, struct mz_error *err)
{
    struct svc_roster r;
    json_t *members = json_object_get(obj, "members"), *m;
    const char *type = json_string_value(json_object_get(obj, "type"));
    size_t i;
    enum mz_err rc = MZ_OK;

    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj) || !type || strcmp(type, SVC_ROSTER_TYPE))
        return mz_error_set(err, MZ_EINVAL, "/type", "a roster is an object of type " SVC_ROSTER_TYPE);
    if ((rc = text_field(obj, "id", r.id, sizeof r.id, 0, err)) ||
        (rc = text_field(obj, "community", r.community, sizeof r.community, 0, err)) ||
        (rc = text_field(obj, "name", r.name, sizeof r.name, 0, err)) ||
        (rc = text_field(obj, "title", r.title, sizeof r.title, 0, err)) ||
        (rc = text_field(obj, "kind", r.kind, sizeof r.kind, 0, err)) ||
        (rc = text_field(obj, "created_by_ref", r.created_by, sizeof r.created_by, 0, err)) ||
        (rc = text_field(obj, "created", r.created, sizeof r.created, 0, err)) ||
        (rc = text_field(obj, "modified", r.modified, sizeof r.modified, 0, err)))
        return rc;
    for (char *c = r.community; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!mz_uuid_valid(r.community, strlen(r.community)))
        return mz_error_set(err, MZ_EINVAL, "/community", "a roster's community is its collection's UUID");
    if (strncmp(r.id, SVC_ROSTER_PREFIX, sizeof SVC_ROSTER_PREFIX - 1) ||
        strcasecmp(r.id + sizeof SVC_ROSTER_PREFIX - 1, r.community))
        return mz_error_set(err, MZ_EINVAL, "/id", "a roster's id is " SVC_ROSTER_PREFIX "<its community's UUID>");
    if (strcmp(r.kind, "regional") && strcmp(r.kind, "other"))
        return mz_error_set(err, MZ_EINVAL, "/kind", "a roster's kind is regional or other");
    if (members && !json_is_array(members))
        return mz_error_set(err, MZ_EINVAL, "/members", "a roster's members are an array (none: no members)");
    if (json_array_size(members) > SVC_ROSTER_MAX_MEMBERS)
        return mz_error_set(err, MZ_ETOOBIG, "/members", "a roster names at most %d organisations",
                            SVC_ROSTER_MAX_MEMBERS);
    if (json_array_size(members) && !(r.m = calloc(json_array_size(members), sizeof *r.m)))
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    json_array_foreach(members, i, m) {
        const char *id = json_string_value(json_object_get(m, "identity"));
        json_t *rd = json_object_get(m, "read"), *wr = json_object_get(m, "write");
        struct svc_roster_member *x = &r.m[r.n];
        if (!json_is_object(m) || !id || strlen(id) >= sizeof x->identity || !stix_id_valid(id, "identity") ||
            !json_is_boolean(rd) || !json_is_boolean(wr) || (!json_is_true(rd) && !json_is_true(wr))) {
            rc = mz_error_set(err, MZ_EINVAL, "/members",
                              "member %zu of a roster is no {identity, read, write} with a direction", i);
            break;
        }
        snprintf(x->identity, sizeof x->identity, "%s", id);
        for (char *c = x->identity; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        x->read = json_is_true(rd);
        x->write = json_is_true(wr);
        r.n++;
    }
    if (!rc && r.n > 1) {
        qsort(r.m, r.n, sizeof *r.m, cmp_identity);
        for (i = 1; i < r.n && !rc; i++)
            if (!strcmp(r.m[i].identity, r.m[i - 1].identity))
                rc = mz_error_set(err, MZ_EINVAL, "/members", "a roster names %s twice", r.m[i].identity);
    }
    if (rc) {
        svc_roster_clear(&r);
        return rc;
    }
    *out = r;
    return MZ_OK;
}

/* ---- the home: publishing ---- */

struct collect {
    struct svc_roster *r;
    size_t cap;
    int oom;
};

static int collect_member(void *ctx, const struct store_membership *m)
{
    struct collect *c = ctx;
    struct svc_roster_member *x;

    if (!m->org_identity || !m->org_identity[0] || (!m->can_read && !m->can_write))
        return 0;
    if (c->r->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct svc_roster_member *nm = realloc(c->r->m, ncap * sizeof *nm);
        if (!nm) {
            c->oom = 1;
            return 1;
        }
        c->r->m = nm;
        c->cap = ncap;
    }
    x = &c->r->m[c->r->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->identity, sizeof x->identity, "%s", m->org_identity);
    for (char *p = x->identity; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    x->read = m->can_read;
    x->write = m->can_write;
    return 0;
}

/* The newest version key (and its text) held of id, by anyone. */
struct newest {
    char vkey[STIX_VKEY_LEN];
    char version[40];
    int64_t seq;
};

static int note_newest(void *ctx, const struct store_version *v)
{
    struct newest *n = ctx;

    if (strcmp(v->vkey, n->vkey) > 0) {
        snprintf(n->vkey, sizeof n->vkey, "%s", v->vkey);
        snprintf(n->version, sizeof n->version, "%s", v->version ? v->version : "");
        n->seq = v->seq;
    }
    return 0;
}

enum mz_err svc_roster_publish(struct store *st, const struct store_community *c, struct mz_error *err)
{
    struct svc_roster r;
    struct collect col;
    struct newest nw;
    struct store_write_ctx w;
    struct store_object_in in;
    enum store_put_result put;
    struct mz_time now, last;
    char vkey[STIX_VKEY_LEN], *text = NULL;
    enum mz_err rc;

    if (c->home_node != 0 || !strcmp(c->kind, "national") || c->bit == STORE_COMM_NATIONAL_BIT)
        return MZ_OK;
    memset(&r, 0, sizeof r);
    memset(&col, 0, sizeof col);
    memset(&nw, 0, sizeof nw);
    col.r = &r;
    snprintf(r.id, sizeof r.id, SVC_ROSTER_PREFIX "%s", c->uuid);
    snprintf(r.community, sizeof r.community, "%s", c->uuid);
    snprintf(r.name, sizeof r.name, "%s", c->name);
    snprintf(r.title, sizeof r.title, "%s", c->title);
    snprintf(r.kind, sizeof r.kind, "%s", c->kind);
    snprintf(r.created, sizeof r.created, "%s", c->created);
    rc = campaign_node_identity(st, r.created_by, sizeof r.created_by, err);
    if (!rc)
        rc = store_members(st, c->id, 0, collect_member, &col, err);
    if (!rc && col.oom)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc && r.n > SVC_ROSTER_MAX_MEMBERS)
        rc = mz_error_set(err, MZ_ETOOBIG, "", "a roster names at most %d organisations", SVC_ROSTER_MAX_MEMBERS);
    if (!rc)
        rc = store_id_versions(st, r.id, note_newest, &nw, err);
    if (rc)
        goto out;
    if (r.n > 1)
        qsort(r.m, r.n, sizeof *r.m, cmp_identity);
    /* the version: now, or just after the newest held (two changes in one
     * microsecond, or a clock set back, still make a newer roster) */
    mz_time_now(&now);
    if (nw.version[0] && !mz_time_parse(nw.version, &last) && mz_time_cmp(&now, &last) <= 0) {
        now = last;
        now.nsec = (now.nsec / 1000 + 1) * 1000;
        if (now.nsec >= 1000000000) {
            now.sec++;
            now.nsec -= 1000000000;
        }
    }
    mz_time_format_us(&now, r.modified);
    if (stix_version_key(r.modified, vkey))
        rc = mz_error_set(err, MZ_EINVAL, "", "cannot make the roster's version from %s", r.modified);
    if (!rc)
        rc = svc_roster_write(&r, &text, err);
    if (rc)
        goto out;
    memset(&w, 0, sizeof w);
    w.owner_org = 0; /* the node itself */
    memset(&in, 0, sizeof in);
    in.stix_id = r.id;
    in.type = SVC_ROSTER_TYPE;
    in.version = r.modified;
    in.version_key = vkey;
    in.created_by = r.created_by;
    in.attested = 1;
    in.tlp = TLP_GREEN;
    in.comm = (uint64_t)1 << c->bit; /* shared into its community alone */
    in.match_plan = -1;
    in.valid_from = INT64_MIN;
    in.valid_until = INT64_MAX;
    in.latest_hint = STORE_LATEST_READ;
    in.body = text;
    in.body_len = strlen(text);
    rc = store_put_object(st, &w, &in, &put, err);
out:
    free(text);
    svc_roster_clear(&r);
    return rc;
}

/* ---- a joined node: receiving and applying ---- */

struct by_uuid {
    const char *uuid;
    struct store_community c;
    int found;
};

static int find_uuid(void *ctx, const struct store_community *c)
{
    struct by_uuid *b = ctx;

    if (!strcasecmp(c->uuid, b->uuid)) {
        b->c = *c;
        b->found = 1;
    }
    return 0;
}

/* The organisation of kind `node` that stands for peer n here (its identity n's node
 * identity), made bound to n when there is none: *org_out. MZ_ECONFLICT when the
 * identity is another's here (a local organisation, or bound to another peer). */
static enum mz_err node_org(struct store *st, const struct store_node *n, int64_t *org_out, struct mz_error *err)
{
    struct store_org o;
    int64_t org = 0, user = 0, home = 0;
    enum mz_err rc = store_identity_owner(st, n->identity, &org, &user, NULL);

    if (rc == MZ_OK) {
        rc = user ? MZ_ECONFLICT : store_org_node(st, org, &home, err);
        if (!rc && home != n->id)
            rc = MZ_ECONFLICT;
        if (rc == MZ_ECONFLICT)
            return mz_error_set(err, MZ_ECONFLICT, "", "peer %s's node identity %s is another's here", n->name,
                                n->identity);
        if (!rc)
            *org_out = org;
        return rc;
    }
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "%s-node", n->name);
    if (store_org_by_name(st, o.name, &o, NULL) == MZ_OK) { /* the name is taken: add the identity's start */
        memset(&o, 0, sizeof o);
        snprintf(o.name, sizeof o.name, "%s-node-%.8s", n->name, n->identity + 10);
    }
    snprintf(o.full_name, sizeof o.full_name, "mreza node %s", n->name);
    snprintf(o.identity, sizeof o.identity, "%s", n->identity);
    for (char *c = o.identity; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    snprintf(o.country, sizeof o.country, "%s", n->country);
    snprintf(o.kind, sizeof o.kind, "node");
    rc = store_org_add(st, &o, err);
    if (!rc)
        rc = store_org_set_node(st, o.id, n->id, err);
    if (!rc)
        *org_out = o.id;
    return rc;
}

struct current {
    int64_t *org;
    size_t n, cap;
    int oom;
};

static int note_current(void *ctx, const struct store_membership *m)
{
    struct current *c = ctx;

    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        int64_t *no = realloc(c->org, ncap * sizeof *no);
        if (!no) {
            c->oom = 1;
            return 1;
        }
        c->org = no;
        c->cap = ncap;
    }
    c->org[c->n++] = m->org;
    return 0;
}

/* Set community c's memberships to roster r's: each member known here (a local
 * organisation, or one bound to a peer) with its directions; every other member
 * removed. Identities not known here (or unbound) are left in the roster. */
static enum mz_err apply_members(struct store *st, const struct store_community *c, const struct svc_roster *r,
                                 struct mz_error *err)
{
    struct current cur;
    int64_t *keep = r->n ? calloc(r->n, sizeof *keep) : NULL;
    size_t n_keep = 0;
    enum mz_err rc = MZ_OK;

    memset(&cur, 0, sizeof cur);
    if (r->n && !keep)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    for (size_t i = 0; !rc && i < r->n; i++) {
        int64_t org = 0, user = 0, home = 0;
        enum mz_err e = store_identity_owner(st, r->m[i].identity, &org, &user, NULL);
        if (e == MZ_ENOTFOUND || (!e && user))
            continue; /* unknown here: applied when bound (svc_roster_reapply) */
        if (e)
            rc = mz_error_set(err, e, "", "cannot look up %s", r->m[i].identity);
        if (!rc)
            rc = store_org_node(st, org, &home, err);
        if (rc || home < 0)
            continue; /* unbound from its peer: no node speaks for it */
        rc = store_member_set(st, c->id, org, r->m[i].read, r->m[i].write, err);
        if (!rc)
            keep[n_keep++] = org;
    }
    if (!rc)
        rc = store_members(st, c->id, 0, note_current, &cur, err);
    if (!rc && cur.oom)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    for (size_t i = 0; !rc && i < cur.n; i++) {
        size_t k = 0;
        while (k < n_keep && keep[k] != cur.org[i])
            k++;
        if (k == n_keep)
            rc = store_member_remove(st, c->id, cur.org[i], err);
    }
    free(cur.org);
    free(keep);
    return rc;
}

/* Apply roster r to community b->c: memberships, kind, title, roster_modified. The
 * kind is the home's word about its own community, shown here and nothing more: this
 * node's regional community is the one it homes (svc_community_add counts those
 * alone; its directory goes there, svc_directory_comm), so a joined community stated
 * regional takes no place of it (docs/federation.md 2, security.md B3). */
static enum mz_err apply_roster(struct store *st, const struct by_uuid *b, const struct svc_roster *r,
                                struct mz_error *err)
{
    enum mz_err rc = apply_members(st, &b->c, r, err);

    return rc ? rc : store_community_set_roster(st, b->c.id, r->kind, r->title, r->modified, err);
}

enum svc_roster_verdict svc_roster_receive(struct store *st, int64_t sender, const char *collection, json_t *obj,
                                           const struct stix_info *info, const char *owner,
                                           const char *remote_added, struct mz_error *err)
{
    struct svc_roster r;
    struct by_uuid b;
    struct store_node n;
    struct store_write_ctx w;
    struct store_object_in in;
    enum store_put_result put;
    char have[STIX_VKEY_LEN], *text = NULL;
    int64_t org = 0;
    enum svc_roster_verdict v = SVC_ROSTER_INVALID;
    enum mz_err rc;

    memset(&b, 0, sizeof b);
    if (svc_roster_read(obj, &r, err))
        return SVC_ROSTER_INVALID;
    if (info->tlp != TLP_GREEN || info->tlp_granular >= 0) {
        mz_error_set(err, MZ_EINVAL, "/object_marking_refs", "a roster is TLP:GREEN");
        goto out;
    }
    b.uuid = r.community;
    if (store_community_list(st, find_uuid, &b, err)) {
        v = SVC_ROSTER_FAIL;
        goto out;
    }
    v = SVC_ROSTER_COMMUNITY;
    if (!b.found)
        goto out;
    /* only from the community's home, and the home's own */
    v = SVC_ROSTER_NOT_HOME;
    if (b.c.home_node <= 0 || b.c.home_node != sender)
        goto out;
    if (store_node_by_id(st, sender, &n, err)) {
        v = SVC_ROSTER_FAIL;
        goto out;
    }
    if (!n.identity[0] || !owner || strcasecmp(owner, n.identity) || strcasecmp(r.created_by, n.identity))
        goto out;
    /* newer than the roster applied, or ignored */
    v = SVC_ROSTER_STALE;
    if (b.c.roster_modified[0] && !stix_version_key(b.c.roster_modified, have) &&
        strcmp(info->version_key, have) <= 0)
        goto out;
    v = SVC_ROSTER_FAIL;
    rc = node_org(st, &n, &org, err);
    if (rc == MZ_ECONFLICT)
        v = SVC_ROSTER_NOT_HOME;
    if (rc)
        goto out;
    /* no cap on its versions (security.md C3: a roster refused at ingest.max_versions
     * froze the community's memberships for good): only the newest has any effect, so
     * the older ones are dropped once it is stored (store_drop_older) and the id holds
     * one row here whatever number of rosters the home sends */
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto out;
    }
    memset(&w, 0, sizeof w);
    w.owner_org = org;
    memset(&in, 0, sizeof in);
    in.stix_id = info->id;
    in.type = SVC_ROSTER_TYPE;
    in.version = info->version;
    in.version_key = info->version_key;
    in.created_by = info->created_by_ref;
    in.attested = 1;
    in.tlp = TLP_GREEN;
    in.comm = (uint64_t)1 << b.c.bit;
    in.match_plan = -1;
    in.valid_from = INT64_MIN;
    in.valid_until = INT64_MAX;
    in.latest_hint = STORE_LATEST_READ;
    in.body = text;
    in.body_len = strlen(text);
    rc = store_put_object(st, &w, &in, &put, err);
    if (!rc && put == STORE_PUT_NEW)
        rc = store_received_add(st, info->id, org, info->version_key, sender, collection, remote_added, err);
    if (!rc)
        rc = store_drop_older(st, info->id, org, info->version_key, NULL, err);
    if (!rc)
        rc = apply_roster(st, &b, &r, err);
    if (!rc)
        v = SVC_ROSTER_APPLIED;
out:
    free(text);
    svc_roster_clear(&r);
    return v;
}

/* ---- applied again when a binding changes ---- */

struct joined {
    struct store_community c[STORE_COMM_MAX];
    int n;
};

static int note_joined(void *ctx, const struct store_community *c)
{
    struct joined *j = ctx;

    if (c->home_node > 0 && c->roster_modified[0] && j->n < STORE_COMM_MAX)
        j->c[j->n++] = *c;
    return 0;
}

enum mz_err svc_roster_reapply(struct store *st, struct mz_error *err)
{
    struct joined *j = calloc(1, sizeof *j);
    enum mz_err rc;

    if (!j)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = store_community_list(st, note_joined, j, err);
    for (int i = 0; !rc && i < j->n; i++) {
        struct newest nw;
        struct svc_roster r;
        char id[64], *body = NULL;
        size_t len = 0;
        json_t *obj;
        memset(&nw, 0, sizeof nw);
        snprintf(id, sizeof id, SVC_ROSTER_PREFIX "%s", j->c[i].uuid);
        rc = store_id_versions(st, id, note_newest, &nw, err);
        if (rc || !nw.seq)
            continue;
        rc = store_body(st, nw.seq, &body, &len, err);
        if (rc)
            break;
        obj = json_loadb(body, len, 0, NULL);
        free(body);
        if (obj && svc_roster_read(obj, &r, NULL) == MZ_OK) {
            rc = apply_members(st, &j->c[i], &r, err);
            svc_roster_clear(&r);
        }
        json_decref(obj);
    }
    free(j);
    return rc;
}

/* ---- joining ---- */

enum mz_err svc_roster_join(struct store *st, const struct principal *p, const char *name, const char *uuid,
                            const char *peer, const char *identity, json_t *env,
                            struct store_community *out, int *applied, struct mz_error *err)
{
    struct store_community c;
    struct store_node n;
    json_t *objs = json_object_get(env, "objects"), *metas = json_object_get(env, "x_mreza_meta");
    int got = 0;
    enum mz_err rc = authz_check(p, AUTHZ_COMMUNITY_MANAGE, err);

    if (applied)
        *applied = 0;
    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_node_by_name(st, peer ? peer : "", &n, err);
    if (rc == MZ_ENOTFOUND)
        mz_error_set(err, MZ_ENOTFOUND, "/peer", "no peer is called '%.64s' (mreza peer list)", peer ? peer : "");
    /* the peer's node identity, the owner of its rosters here, is the operator's word
     * (`peer add|set --identity`): what the API root names is checked against it,
     * never taken in its place - a home naming another node's organisation's
     * identity as its own would have it bound to itself here (security.md B5) */
    if (!rc && !n.identity[0]) {
        int named = identity && identity[0] && stix_id_valid(identity, "identity");
        rc = mz_error_set(err, MZ_EINVAL, "/identity",
                          "peer %s has no node identity set here%s%s%s: check it with its operator, then mreza peer "
                          "set %s --identity %s and join again",
                          n.name, named ? " (its API root names " : "", named ? identity : "", named ? ")" : "",
                          n.name, named ? identity : "IDENTITY");
    }
    if (!rc && identity && identity[0]) {
        if (strcasecmp(n.identity, identity)) {
            rc = mz_error_set(err, MZ_ECONFLICT, "/identity",
                              "peer %s's API root names node %s, not %s, the identity set for it here (mreza peer "
                              "set %s --identity)",
                              n.name, identity, n.identity, n.name);
        }
    }
    if (!rc)
        rc = svc_community_join_in(st, name, uuid, &n, &c, err);
    for (size_t i = 0; !rc && i < json_array_size(objs); i++) {
        json_t *obj = json_array_get(objs, i), *meta = json_array_get(metas, i);
        struct stix_info info;
        struct mz_time t;
        const char *added;
        enum svc_roster_verdict v;
        if (strcmp(json_string_value(json_object_get(obj, "type")) ? json_string_value(json_object_get(obj, "type"))
                                                                    : "",
                   SVC_ROSTER_TYPE))
            continue;
        if (stix_validate(obj, &info, NULL) != MZ_OK) {
            stix_info_clear(&info);
            continue;
        }
        added = json_string_value(json_object_get(meta, "date_added"));
        if (added && (strlen(added) > 40 || mz_time_parse(added, &t)))
            added = NULL; /* kept in the receipt record: an RFC 3339 time or nothing */
        v = svc_roster_receive(st, n.id, c.uuid, obj, &info, json_string_value(json_object_get(meta, "owner")),
                               added, err);
        stix_info_clear(&info);
        if (v == SVC_ROSTER_FAIL)
            rc = err->code ? err->code : MZ_EIO;
        got |= v == SVC_ROSTER_APPLIED;
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && out)
        rc = store_community_by_name(st, c.name, out, err);
    if (!rc && applied)
        *applied = got;
    return rc;
}
