/* domain/svc_directory.c - see svc_directory.h. */
#include "domain/svc_directory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/authz.h"
#include "domain/svc_int.h"
#include "obs/utf8.h"
#include "rules/jcs.h"
#include "rules/tlp.h"
#include "util/buf.h"

/* ---- a peer's directory ---- */

void svc_dir_list_free(struct svc_dir_list *l)
{
    if (!l)
        return;
    free(l->e);
    memset(l, 0, sizeof *l);
}

int svc_dir_list_put(struct svc_dir_list *l, const struct svc_dir_entry *e, size_t max)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->e[i].identity, e->identity))
            continue;
        if (strcmp(e->version, l->e[i].version) > 0)
            l->e[i] = *e;
        return 0;
    }
    if (l->n >= max)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct svc_dir_entry *ne = realloc(l->e, cap * sizeof *ne);
        if (!ne)
            return -1;
        l->e = ne;
        l->cap = cap;
    }
    l->e[l->n++] = *e;
    return 1;
}

/* s copied into out when it is text a person may be shown (utf8_text_ok: no C0, DEL,
 * C1 nor bidirectional controls), shorter than cap; else out is "". */
static void take_text(json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;

    out[0] = '\0';
    if (!s || !n || n >= cap || !utf8_text_ok(s, n))
        return;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* A handle as the node makes them: 2-63 of a-z, 0-9, '.', '-', '_'. */
static int handle_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n >= STORE_NAME_LEN)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.' || *s == '_'))
            return 0;
    return 1;
}

int svc_directory_entry(json_t *obj, json_t *meta, struct svc_dir_entry *out)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *owner = json_string_value(json_object_get(meta, "owner"));
    const char *cls = json_string_value(json_object_get(obj, "identity_class"));
    const char *mod = json_string_value(json_object_get(obj, "modified"));
    const char *type = json_string_value(json_object_get(obj, "type"));
    json_t *marks = json_object_get(obj, "object_marking_refs"), *mk;
    int green = 0;
    size_t i;

    memset(out, 0, sizeof *out);
    if (!json_is_object(obj) || !type || strcmp(type, "identity") ||
        !id || !stix_id_valid(id, "identity") || !cls || strcmp(cls, "organization") || !mod ||
        strlen(mod) >= sizeof out->version || (meta && (!owner || strcasecmp(owner, id))) ||
        json_object_get(obj, "granular_markings"))
        return 0;
    /* GREEN, and nothing stricter */
    json_array_foreach(marks, i, mk) {
        const char *ref = json_string_value(mk);
        int k = ref ? tlp_standard_index(ref) : -1;
        if (k == TLP_GREEN)
            green = 1;
        else if (k != TLP_CLEAR)
            return 0;
    }
    if (!green)
        return 0;
    snprintf(out->identity, sizeof out->identity, "%s", id);
    for (char *c = out->identity; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    snprintf(out->version, sizeof out->version, "%s", mod);
    take_text(json_object_get(obj, "x_mreza_handle"), out->handle, sizeof out->handle);
    if (!handle_ok(out->handle))
        out->handle[0] = '\0';
    take_text(json_object_get(obj, "name"), out->full_name, sizeof out->full_name);
    take_text(json_object_get(obj, "x_mreza_country"), out->country, sizeof out->country);
    if (strlen(out->country) != 2 || !isupper((unsigned char)out->country[0]) ||
        !isupper((unsigned char)out->country[1]))
        out->country[0] = '\0';
    take_text(json_array_get(json_object_get(obj, "sectors"), 0), out->sector, sizeof out->sector);
    take_text(json_object_get(obj, "x_mreza_kind"), out->kind, sizeof out->kind);
    if (!svc_org_kind_ok(out->kind))
        snprintf(out->kind, sizeof out->kind, "other");
    return 1;
}

/* The binding here of identity for peer n: e's state, here and other_peer. */
static enum mz_err state_of(struct store *st, const struct store_node *n, struct svc_dir_entry *e,
                            struct mz_error *err)
{
    int64_t org = 0, user = 0, home = 0;
    struct store_org o;
    struct store_node other;
    enum mz_err rc = store_identity_owner(st, e->identity, &org, &user, NULL);

    e->state = SVC_DIR_NOT_BOUND;
    e->here[0] = e->other_peer[0] = '\0';
    if (rc == MZ_ENOTFOUND)
        return MZ_OK;
    if (!rc && user) {
        e->state = SVC_DIR_LOCAL; /* a user's identity here: no organisation of a peer's */
        return MZ_OK;
    }
    if (!rc)
        rc = store_org_by_id(st, org, &o, err);
    if (!rc)
        rc = store_org_node(st, org, &home, err);
    if (rc)
        return rc;
    snprintf(e->here, sizeof e->here, "%s", o.name);
    if (home == 0) {
        e->state = SVC_DIR_LOCAL;
    } else if (home == n->id) {
        e->state = SVC_DIR_BOUND_HERE;
    } else if (home > 0) {
        e->state = SVC_DIR_BOUND_OTHER;
        if (store_node_by_id(st, home, &other, NULL) == MZ_OK)
            snprintf(e->other_peer, sizeof e->other_peer, "%s", other.name);
        else
            snprintf(e->other_peer, sizeof e->other_peer, "peer %lld", (long long)home);
    }
    return MZ_OK;
}

static enum mz_err peer_of(struct store *st, const char *peer, struct store_node *n, struct mz_error *err)
{
    enum mz_err rc = store_node_by_name(st, peer ? peer : "", n, err);

    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "/peer", "no peer '%.64s' (mreza peer list)", peer ? peer : "");
    return rc;
}

static enum mz_err states(struct store *st, const struct store_node *n, struct svc_dir_list *l,
                          struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (size_t i = 0; !rc && i < l->n; i++)
        rc = state_of(st, n, &l->e[i], err);
    return rc;
}

enum mz_err svc_directory_status(struct store *st, const struct principal *p, const char *peer,
                                 struct svc_dir_list *l, struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (!rc)
        rc = store_begin_read(st, err);
    if (rc)
        return rc;
    rc = peer_of(st, peer, &n, err);
    if (!rc)
        rc = states(st, &n, l, err);
    store_rollback(st);
    return rc;
}

/* e as the profile svc_peer_bind_in takes. */
static void profile_of(const struct svc_dir_entry *e, struct store_org *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", e->handle);
    snprintf(o->full_name, sizeof o->full_name, "%s", e->full_name);
    snprintf(o->country, sizeof o->country, "%s", e->country);
    snprintf(o->sector, sizeof o->sector, "%s", e->sector);
    snprintf(o->kind, sizeof o->kind, "%s", e->kind);
}

/* The conflict of e, in words, appended to msg. */
static void say_conflict(const struct svc_dir_entry *e, char *msg, size_t cap)
{
    size_t used = strlen(msg);

    if (used + 1 >= cap)
        return;
    if (e->state == SVC_DIR_BOUND_OTHER)
        snprintf(msg + used, cap - used, "%s%s (%.40s) is bound to peer %.40s", used ? "; " : "", e->identity,
                 e->full_name[0] ? e->full_name : e->handle, e->other_peer);
    else
        snprintf(msg + used, cap - used, "%s%s (%.40s) is organisation %.40s of this node", used ? "; " : "",
                 e->identity, e->full_name[0] ? e->full_name : e->handle, e->here[0] ? e->here : "(a user)");
}

enum mz_err svc_directory_bind(struct store *st, const struct principal *p, const char *peer,
                               struct svc_dir_list *l, const char *id, const char *new_name, size_t *n_bound,
                               struct mz_error *err)
{
    struct store_node n;
    struct store_org prof;
    char conflicts[1024];
    size_t n_conflicts = 0, bound = 0;
    struct svc_dir_entry *one = NULL;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    *n_bound = 0;
    if (rc)
        return rc;
    if (new_name && (!id || !handle_ok(new_name)))
        return mz_error_set(err, MZ_EINVAL, "/name",
                            id ? "an organisation's handle is 2-63 characters of a-z, 0-9, '.', '-', '_'"
                               : "--name goes with one organisation, not with every one");
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_of(st, peer, &n, err);
    if (!rc)
        rc = states(st, &n, l, err);
    for (size_t i = 0; !rc && id && i < l->n; i++)
        if (!strcasecmp(l->e[i].identity, id))
            one = &l->e[i];
    if (!rc && id && !one)
        rc = mz_error_set(err, MZ_ENOTFOUND, "/org",
                          "peer %s's directory lists no organisation %.64s (mreza peer orgs %s)", n.name, id, n.name);
    conflicts[0] = '\0';
    for (size_t i = 0; !rc && i < l->n; i++) {
        struct svc_dir_entry *e = &l->e[i];
        if ((one && e != one) || e->state == SVC_DIR_NOT_BOUND || e->state == SVC_DIR_BOUND_HERE)
            continue;
        n_conflicts++;
        say_conflict(e, conflicts, sizeof conflicts - 64);
    }
    if (!rc && n_conflicts)
        rc = mz_error_set(err, MZ_ECONFLICT, "/org",
                          "%s%s; one node speaks for an organisation (unbind it from the other peer first; an "
                          "organisation of this node is no peer's)%s",
                          conflicts,
                          strlen(conflicts) >= sizeof conflicts - 65 ? "…" : "", one ? "" : ": nothing was bound");
    for (size_t i = 0; !rc && i < l->n; i++) {
        struct svc_dir_entry *e = &l->e[i];
        struct store_org o;
        if ((one && e != one) || (!one && e->state != SVC_DIR_NOT_BOUND))
            continue;
        profile_of(e, &prof);
        rc = svc_peer_bind_in(st, &n, e->identity, one ? new_name : NULL, &prof, &o, err);
        if (!rc) {
            bound++;
            e->bound_now = 1;
            e->state = SVC_DIR_BOUND_HERE;
            snprintf(e->here, sizeof e->here, "%s", o.name);
        }
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc)
        *n_bound = bound;
    return rc;
}

/* ---- receiving a peer's directory identities ---- */

struct held {
    int64_t owner;
    const char *vkey;
    int64_t seq;           /* owner's version vkey, 0 when not held */
    char newest[STIX_VKEY_LEN]; /* the newest version of owner's */
};

static int held_one(void *ctx, const struct store_version *v)
{
    struct held *h = ctx;

    if (v->owner_org != h->owner || v->owner_user != 0)
        return 0;
    if (!strcmp(v->vkey, h->vkey))
        h->seq = v->seq;
    if (strcmp(v->vkey, h->newest) > 0)
        snprintf(h->newest, sizeof h->newest, "%s", v->vkey);
    return 0;
}

static int sink(void *ctx, const char *piece, size_t len)
{
    return mz_buf_append(ctx, piece, len) != MZ_OK;
}

/* 1 if the version held at seq has obj's canonical text (RFC 8785), 0 if not, -1 on
 * an error (err set). */
static int same_text(struct store *st, int64_t seq, const json_t *obj, struct mz_error *err)
{
    struct mz_buf a, b;
    char *body = NULL;
    size_t len = 0;
    json_t *held;
    int same = -1;

    if (store_body(st, seq, &body, &len, err))
        return -1;
    held = json_loadb(body, len, 0, NULL);
    free(body);
    if (!held)
        return 0;
    mz_buf_init(&a, (size_t)1 << 20);
    mz_buf_init(&b, (size_t)1 << 20);
    if (!jcs_write(obj, sink, &a) && !jcs_write(held, sink, &b) && !mz_buf_status(&a) && !mz_buf_status(&b))
        same = a.len == b.len && !memcmp(a.data, b.data, a.len);
    else
        mz_error_set(err, MZ_ENOMEM, "", "cannot compare an identity with the one held");
    mz_buf_free(&a);
    mz_buf_free(&b);
    json_decref(held);
    return same;
}

/* The communities a received identity's meta entry states that are hosted here and
 * admit it as a GREEN version is admitted (svc_sync.c): homed at the sender (its
 * word: the home shares its directory into its regional community), or where the
 * organisation writes. */
struct stated {
    json_t *list;
    int64_t node;
    uint64_t writes, bits;
};

static int stated_one(void *ctx, const struct store_community *c)
{
    struct stated *s = ctx;
    size_t i;
    json_t *u;

    json_array_foreach(s->list, i, u) {
        const char *v = json_string_value(u);
        if (v && !strcasecmp(v, c->uuid) && c->bit >= 0 && c->bit < 64 &&
            ((c->home_node > 0 && c->home_node == s->node) || (s->writes & ((uint64_t)1 << c->bit))))
            s->bits |= (uint64_t)1 << c->bit;
    }
    return 0;
}

enum svc_dir_verdict svc_directory_receive(struct store *st, int64_t node, const char *collection, json_t *obj,
                                           const struct stix_info *info, json_t *meta, const char *remote_added,
                                           struct mz_error *err)
{
    const char *owner = json_string_value(json_object_get(meta, "owner"));
    struct stated comm = {json_object_get(meta, "communities"), node, 0, 0};
    uint64_t reads = 0;
    struct svc_dir_entry e;
    struct held h;
    struct store_org o;
    struct store_write_ctx wctx;
    struct store_object_in in;
    enum store_put_result put;
    int64_t org = 0, user = 0, home = -1;
    char *text;
    enum mz_err rc;

    if (!owner || strcmp(info->type, "identity") || strcasecmp(owner, info->id))
        return SVC_DIR_NOT_MINE;
    /* an organisation's own identity: only its home node speaks for it - bound to
     * the sender here (unknown here, bound to another peer, or homed here: refused) */
    if (store_identity_owner(st, info->id, &org, &user, NULL) != MZ_OK || user ||
        store_org_node(st, org, &home, NULL) != MZ_OK || home != node)
        return SVC_DIR_REFUSED_OWNER;
    /* a node's identity (the organisation of kind node that stands for a peer, made
     * by its first roster) is no organisation of its directory (security.md B1, B5) */
    if (store_org_by_id(st, org, &o, err) != MZ_OK)
        return SVC_DIR_FAIL;
    if (!strcmp(o.kind, "node"))
        return SVC_DIR_REFUSED_OWNER;
    /* its directory record: TLP:GREEN, an organisation's */
    if (!svc_directory_entry(obj, NULL, &e) || tlp_decide(info->tlp, info->tlp_granular).level != TLP_GREEN)
        return SVC_DIR_REFUSED_TLP;
    /* into national, and the communities stated that admit it */
    if (json_array_size(comm.list) &&
        (store_org_comm(st, org, &reads, &comm.writes, err) || store_community_list(st, stated_one, &comm, err)))
        return SVC_DIR_FAIL;
    memset(&h, 0, sizeof h);
    h.owner = org;
    h.vkey = info->version_key;
    if (store_id_versions(st, info->id, held_one, &h, err))
        return SVC_DIR_FAIL;
    if (h.seq) {
        int same = same_text(st, h.seq, obj, err);
        return same < 0 ? SVC_DIR_FAIL : same ? SVC_DIR_DUPLICATE : SVC_DIR_CONFLICT;
    }
    text = json_dumps(obj, JSON_COMPACT);
    if (!text) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return SVC_DIR_FAIL;
    }
    /* the node's write (as svc_auth.c writes its own organisations' identities), GREEN
     * in the national community (read here as the node's own directory is) and the
     * stated communities that admit it */
    memset(&wctx, 0, sizeof wctx);
    wctx.owner_org = org;
    memset(&in, 0, sizeof in);
    in.stix_id = info->id;
    in.type = "identity";
    in.version = info->version;
    in.version_key = info->version_key;
    in.created_by = info->created_by_ref;
    in.attested = info->created_by_ref && !strcasecmp(info->created_by_ref, info->id);
    in.tlp = TLP_GREEN;
    in.comm = STORE_COMM_NATIONAL | comm.bits;
    in.body = text;
    in.body_len = strlen(text);
    in.match_plan = -1;
    in.valid_from = INT64_MIN;
    in.valid_until = INT64_MAX;
    in.latest_hint = STORE_LATEST_READ;
    rc = store_put_object(st, &wctx, &in, &put, err);
    free(text);
    if (!rc && put == STORE_PUT_DUPLICATE)
        return SVC_DIR_DUPLICATE;
    if (!rc)
        rc = store_received_add(st, info->id, org, info->version_key, node, collection, remote_added, err);
    /* the newest version is the organisation's profile here (its handle stays) */
    if (!rc && strcmp(info->version_key, h.newest) > 0) {
        struct store_node n;
        rc = store_org_by_id(st, org, &o, err);
        if (!rc)
            rc = store_node_by_id(st, node, &n, err);
        if (!rc) {
            if (e.full_name[0])
                snprintf(o.full_name, sizeof o.full_name, "%s", e.full_name);
            /* the peer's country, when the operator set one, bounds its organisations'
             * (docs/model.md R10: a remote organisation's country is the operator's) */
            if (e.country[0] && (!n.country[0] || !strcmp(n.country, e.country)))
                snprintf(o.country, sizeof o.country, "%s", e.country);
            snprintf(o.sector, sizeof o.sector, "%s", e.sector);
            /* its kind stays: taken at `peer bind` (what `peer orgs` showed the
             * operator) or set by the console, as the source rank that follows it
             * when none is set (model_rank_of; docs/model.md R10: a remote
             * organisation's rank is the operator's, security.md B1) */
            rc = store_org_set_profile(st, org, &o, err);
        }
    }
    return rc ? SVC_DIR_FAIL : SVC_DIR_STORED;
}

/* ---- the node's own directory ---- */

static int regional_here(void *ctx, const struct store_community *c)
{
    uint64_t *comm = ctx;

    if (c->home_node == 0 && !strcmp(c->kind, "regional"))
        *comm |= (uint64_t)1 << c->bit;
    return 0;
}

enum mz_err svc_directory_comm(struct store *st, uint64_t *comm_out, struct mz_error *err)
{
    uint64_t comm = STORE_COMM_NATIONAL;
    enum mz_err rc = store_community_list(st, regional_here, &comm, err);

    if (!rc)
        *comm_out = comm;
    return rc;
}

struct local_orgs {
    int64_t *id;
    char (*ident)[STORE_IDENT_LEN];
    size_t n, cap;
    int oom;
};

static int note_local(void *ctx, const struct store_org *o)
{
    struct local_orgs *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        int64_t *id = realloc(l->id, cap * sizeof *id);
        char(*ident)[STORE_IDENT_LEN];
        if (id)
            l->id = id;
        ident = id ? realloc(l->ident, cap * sizeof *ident) : NULL;
        if (!ident) {
            l->oom = 1;
            return 1;
        }
        l->ident = ident;
        l->cap = cap;
    }
    l->id[l->n] = o->id;
    snprintf(l->ident[l->n++], STORE_IDENT_LEN, "%s", o->identity);
    return 0;
}

struct newest_own {
    int64_t owner;
    char vkey[STIX_VKEY_LEN];
    int64_t seq;
};

static int newest_own(void *ctx, const struct store_version *v)
{
    struct newest_own *f = ctx;

    if (v->owner_org == f->owner && v->owner_user == 0 && strcmp(v->vkey, f->vkey) > 0) {
        snprintf(f->vkey, sizeof f->vkey, "%s", v->vkey);
        f->seq = v->seq;
    }
    return 0;
}

enum mz_err svc_directory_share(struct store *st, const struct store_community *c, struct mz_error *err)
{
    struct local_orgs l;
    enum mz_err rc;

    memset(&l, 0, sizeof l);
    rc = store_node_orgs(st, 0, note_local, &l, err);
    if (!rc && l.oom)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    for (size_t i = 0; !rc && i < l.n; i++) {
        struct newest_own f;
        struct store_share sh;
        memset(&f, 0, sizeof f);
        f.owner = l.id[i];
        rc = store_id_versions(st, l.ident[i], newest_own, &f, err);
        if (rc || !f.seq)
            continue; /* no directory identity (a store from before them) */
        memset(&sh, 0, sizeof sh);
        sh.seq = f.seq;
        sh.bit = c->bit;
        sh.by_user = 0;
        sh.by_org = l.id[i];
        rc = store_share_add(st, &sh, NULL, NULL, err);
    }
    free(l.id);
    free(l.ident);
    return rc;
}
