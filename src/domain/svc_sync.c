/* domain/svc_sync.c - what a pulled page does to the store (issue 11 work package 4,
 * docs/federation.md sections 7 and 10.2; the calls in svc_sync.h).
 *
 * A page is one transaction: its objects, their receipt records and the
 * subscription's bookmark commit together, so a kill -9 anywhere loses nothing and
 * duplicates nothing (the page is fetched again from the previous bookmark). Inside
 * it each object, validated once for its admission, is stored by
 * svc_ingest_validated as its stated owner through the peer, all or nothing: a
 * refusal before its writes leaves nothing, one after them (a scan indicator's
 * quota) rolls back the object's own savepoint, and any other failure after them
 * fails the page (no second parse nor validation, no savepoint per object:
 * docs/performance.md, Sync).
 *
 * Admission is the sender's filter asked again at the receiver (section 7): the
 * version must be one this node could have been sent - rules/tlp.c's tlp_can_read
 * for this node as the sender's peer principal (its organisations' identities, the
 * communities where it hosts a read-member) - its owner an organisation bound to
 * the sender, and a GREEN version is admitted into the communities it states that
 * are hosted here and of which the owner is a write-member (by the roster, for a
 * community joined from a peer), or that are homed at the sender (re-shares there
 * were made by a write-member). A community's roster is admitted and applied by
 * svc_roster.c (only from the community's home). One TLP function, no second copy. */
#include "domain/svc_sync.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/svc_directory.h"
#include "domain/svc_int.h"
#include "domain/svc_roster.h"
#include "rules/jcs.h"
#include "rules/stix.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/timefmt.h"

/* The communities hosted here, by UUID. */
struct comm_map {
    char uuid[STORE_COMM_MAX][40];
    char name[STORE_COMM_MAX][STORE_COMM_NAME_LEN];
    int64_t id[STORE_COMM_MAX];
    int64_t home[STORE_COMM_MAX]; /* its home node (0: here) */
    int bit[STORE_COMM_MAX];
    int n;
};

static int map_one(void *ctx, const struct store_community *c)
{
    struct comm_map *m = ctx;

    if (m->n < STORE_COMM_MAX) {
        snprintf(m->uuid[m->n], sizeof m->uuid[0], "%s", c->uuid);
        snprintf(m->name[m->n], sizeof m->name[0], "%s", c->name);
        m->id[m->n] = c->id;
        m->home[m->n] = c->home_node;
        m->bit[m->n++] = c->bit;
    }
    return 0;
}

/* The bits of the communities (UUIDs) a meta entry states that are hosted here. */
static uint64_t stated_comm(const struct comm_map *m, json_t *list)
{
    uint64_t bits = 0;
    size_t i;
    json_t *u;

    json_array_foreach(list, i, u) {
        const char *s = json_string_value(u);
        for (int k = 0; s && k < m->n; k++)
            if (!strcasecmp(s, m->uuid[k]))
                bits |= (uint64_t)1 << m->bit[k];
    }
    return bits;
}

/* The bits of the communities homed at node (joined from it). What their home sends
 * stated into them was written there by a write-member of its roster: posted by
 * one, or re-shared by one (the version stays its owner's, who need not be a
 * member: docs/federation.md section 7). */
static uint64_t homed_at(const struct comm_map *m, int64_t node)
{
    uint64_t bits = 0;

    for (int k = 0; node > 0 && k < m->n; k++)
        if (m->home[k] == node)
            bits |= (uint64_t)1 << m->bit[k];
    return bits;
}

static int sink(void *ctx, const char *piece, size_t len)
{
    return mz_buf_append(ctx, piece, len) != MZ_OK;
}

/* The canonical text (RFC 8785) of v into b. */
static enum mz_err canonical(const json_t *v, struct mz_buf *b)
{
    enum mz_err rc = jcs_write(v, sink, b);

    return rc ? rc : mz_buf_status(b);
}

struct find_ver {
    int64_t owner;
    const char *vkey;
    int64_t seq;
};

static int find_ver(void *ctx, const struct store_version *v)
{
    struct find_ver *f = ctx;

    if (v->owner_org == f->owner && v->owner_user == 0 && !strcmp(v->vkey, f->vkey))
        f->seq = v->seq;
    return 0;
}

/* 1 if the version (id, owner, vkey) held here has obj's content, 0 if other
 * content, 2 if owner holds no such version (ingest answered with another owner's:
 * R1.1's duplicate); -1 on a store error (err set). */
static int same_content(struct store *st, json_t *obj, const char *id, int64_t owner, const char *vkey,
                        struct mz_error *err)
{
    struct find_ver f = {owner, vkey, 0};
    struct mz_buf a, b;
    char *body = NULL;
    size_t len = 0;
    json_t *held;
    int same = -1;

    if (store_id_versions(st, id, find_ver, &f, err))
        return -1;
    if (!f.seq)
        return 2;
    if (store_body(st, f.seq, &body, &len, err))
        return -1;
    held = json_loadb(body, len, 0, NULL);
    free(body);
    if (!held)
        return 0;
    mz_buf_init(&a, (size_t)64 << 20);
    mz_buf_init(&b, (size_t)64 << 20);
    if (!canonical(obj, &a) && !canonical(held, &b))
        same = a.len == b.len && !memcmp(a.data, b.data, a.len);
    else
        mz_error_set(err, MZ_ENOMEM, "", "cannot compare a version with the one held");
    mz_buf_free(&a);
    mz_buf_free(&b);
    json_decref(held);
    return same;
}

/* The newest version of owner's object older than vkey: what an unmarked version
 * inherits (docs/model.md R3.3), its level and audience. */
struct find_src {
    int64_t owner;
    const char *vkey;
    char best[STIX_VKEY_LEN + 8];
    int tlp, found;
    char *audience; /* heap, or NULL */
};

static int find_src(void *ctx, const struct store_version *v)
{
    struct find_src *f = ctx;

    if (v->owner_org != f->owner || v->owner_user != 0 || strcmp(v->vkey, f->vkey) >= 0 ||
        (f->found && strcmp(v->vkey, f->best) <= 0))
        return 0;
    f->found = 1;
    f->tlp = v->tlp;
    snprintf(f->best, sizeof f->best, "%s", v->vkey);
    free(f->audience);
    f->audience = v->audience ? strdup(v->audience) : NULL;
    return 0;
}

/* ---- a page prepared beforehand (svc_sync_prepare) ---- */

/* One object of a prepared page: its validation (rc, err when it failed, info when it
 * passed) and its compact text. */
struct prep_obj {
    int done;               /* prepared (else the apply validates and dumps it) */
    enum mz_err rc;         /* stix_validate's answer */
    struct mz_error *err;   /* its refusal (heap), or NULL */
    struct stix_info info;  /* rc MZ_OK: what it learnt (owned: stix_info_clear) */
    const char *raw;        /* the text it is stored with (in the body, or text), or NULL */
    size_t raw_len;
    char *text;             /* json_dumps(obj, JSON_COMPACT) when its bytes are not known */
};

struct svc_sync_prep {
    json_t *objs; /* the envelope's objects it was made from (borrowed) */
    size_t n;
    struct prep_obj o[];
};

/* The object a taxii peer's --unmarked will mark in apply_one (prepared there). */
static int will_mark(json_t *obj, int unmarked)
{
    return unmarked > 0 && !json_object_get(obj, "object_marking_refs") && !json_object_get(obj, "granular_markings");
}

struct svc_sync_prep *svc_sync_prepare(const char *body, size_t len, json_t *env, int unmarked, long max_depth)
{
    json_t *objs = json_object_get(env, "objects");
    size_t n = json_array_size(objs), n_spans = 0;
    struct bundle_span *spans = NULL;
    struct svc_sync_prep *pp;
    struct mz_error serr;

    if (!json_is_array(objs) || !n || !(pp = calloc(1, sizeof *pp + n * sizeof pp->o[0])))
        return NULL;
    pp->objs = objs;
    pp->n = n;
    /* each object's bytes, when the scan finds as many objects as jansson did (else
     * each is dumped: the same content) */
    if (body && bundle_envelope_spans(body, len, max_depth, &spans, &n_spans, &serr) == MZ_OK && n_spans != n) {
        free(spans);
        spans = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *obj = json_array_get(objs, i);
        struct prep_obj *po = &pp->o[i];
        struct mz_error e;

        if (!json_is_object(obj) || will_mark(obj, unmarked))
            continue;
        mz_error_clear(&e);
        po->rc = stix_validate(obj, &po->info, &e);
        if (po->rc) {
            stix_info_clear(&po->info);
            memset(&po->info, 0, sizeof po->info);
            po->err = malloc(sizeof *po->err);
            if (!po->err)
                continue; /* not prepared: validated again by the apply */
            *po->err = e;
        } else if (spans) {
            po->raw = body + spans[i].off;
            po->raw_len = spans[i].len;
        } else if ((po->text = json_dumps(obj, JSON_COMPACT)) != NULL) {
            po->raw = po->text;
            po->raw_len = strlen(po->text);
        } /* else NULL: dumped by the apply */
        po->done = 1;
    }
    free(spans);
    return pp;
}

void svc_sync_prep_free(struct svc_sync_prep *pp)
{
    if (!pp)
        return;
    for (size_t i = 0; i < pp->n; i++) {
        if (pp->o[i].done && !pp->o[i].rc)
            stix_info_clear(&pp->o[i].info);
        free(pp->o[i].err);
        free(pp->o[i].text);
    }
    free(pp);
}

enum verdict { V_STORED, V_DUPLICATE, V_OWNER, V_COMMUNITY, V_TLP, V_INVALID, V_CONFLICT, V_CAP, V_FAIL };

/* What the store said of the owner the objects of a page name, kept for the page:
 * its objects are mostly one owner's, and asking the store four times for every
 * object was a fifth of the apply (docs/performance.md, Sync). Inside the page's
 * transaction nothing changes these rows but an object that speaks of
 * organisations, bindings or memberships: owner_memo_drop() is called after an
 * identity or an x-mreza- object, and must be called by any per-object step that
 * writes such rows. Only answers the store gave are kept (a failed lookup is asked
 * again). */
struct owner_memo {
    char identity[128];         /* a mreza peer's stated owner ("" none kept) */
    int64_t identity_org;
    int have_org;               /* the rows below, for org */
    int64_t org;
    int64_t home;
    int have_comm;
    uint64_t rd, wr;
    int have_row;
    struct store_org row;
};

struct apply {
    struct store *st;
    const struct svc_sync_sub *sub;
    const struct principal *self; /* this node as the sender's peer */
    const struct comm_map *comms;
    uint64_t taxii_comm; /* a taxii peer: the bit of its collection's community */
    const struct prep_obj *pre; /* the object's validation and text made beforehand, or NULL */
    struct owner_memo memo;
};

static void owner_memo_drop(struct apply *a)
{
    memset(&a->memo, 0, sizeof a->memo);
}

/* store_identity_owner of a stated owner, through the memo (only an organisation's
 * identity is kept: a user's is refused anyway). */
static enum mz_err owner_identity(struct apply *a, const char *identity, int64_t *org, int64_t *user)
{
    struct owner_memo *m = &a->memo;
    enum mz_err rc;

    if (m->identity[0] && !strcmp(m->identity, identity)) {
        *org = m->identity_org;
        *user = 0;
        return MZ_OK;
    }
    rc = store_identity_owner(a->st, identity, org, user, NULL);
    if (!rc && !*user && strlen(identity) < sizeof m->identity) {
        snprintf(m->identity, sizeof m->identity, "%s", identity);
        m->identity_org = *org;
    }
    return rc;
}

/* The memo's rows are org's from now (those of another organisation dropped). */
static void owner_memo_for(struct apply *a, int64_t org)
{
    struct owner_memo *m = &a->memo;

    if (m->org != org) {
        m->have_org = m->have_comm = m->have_row = 0;
        m->org = org;
    }
}

/* store_org_node of org, through the memo. */
static enum mz_err owner_node(struct apply *a, int64_t org, int64_t *home)
{
    struct owner_memo *m = &a->memo;
    enum mz_err rc;

    owner_memo_for(a, org);
    if (m->have_org) {
        *home = m->home;
        return MZ_OK;
    }
    rc = store_org_node(a->st, org, home, NULL);
    if (!rc) {
        m->home = *home;
        m->have_org = 1;
    }
    return rc;
}

/* store_org_comm of org, through the memo. */
static enum mz_err owner_comm(struct apply *a, int64_t org, uint64_t *rd, uint64_t *wr, struct mz_error *err)
{
    struct owner_memo *m = &a->memo;
    enum mz_err rc;

    owner_memo_for(a, org);
    if (m->have_comm) {
        *rd = m->rd;
        *wr = m->wr;
        return MZ_OK;
    }
    rc = store_org_comm(a->st, org, rd, wr, err);
    if (!rc) {
        m->rd = *rd;
        m->wr = *wr;
        m->have_comm = 1;
    }
    return rc;
}

/* store_org_by_id of org, through the memo. */
static enum mz_err owner_row(struct apply *a, int64_t org, struct store_org *out, struct mz_error *err)
{
    struct owner_memo *m = &a->memo;
    enum mz_err rc;

    owner_memo_for(a, org);
    if (m->have_row) {
        *out = m->row;
        return MZ_OK;
    }
    rc = store_org_by_id(a->st, org, out, err);
    if (!rc) {
        m->row = *out;
        m->have_row = 1;
    }
    return rc;
}

/* The communities' names of bits, comma-separated, into out. */
static void comm_names(const struct comm_map *m, uint64_t bits, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (int k = 0; k < m->n; k++)
        if (bits & ((uint64_t)1 << m->bit[k]))
            used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s", used ? "," : "", m->name[k]);
}

/* ---- tombstones received (docs/federation.md 10.4, docs/model.md R7.4) ---- */

#define TOMBSTONE_TYPE "x-mreza-withdrawal"

struct newest_ver {
    int64_t owner;
    char vkey[STIX_VKEY_LEN];
    int other; /* a version of another owner's is held */
    long n;    /* the owner's versions held */
};

static int newest_ver(void *ctx, const struct store_version *v)
{
    struct newest_ver *f = ctx;

    f->n += v->owner_org == f->owner;
    if (v->owner_org == f->owner && v->owner_user == 0 && strcmp(v->vkey, f->vkey) > 0)
        snprintf(f->vkey, sizeof f->vkey, "%s", v->vkey);
    if (v->owner_org != f->owner || v->owner_user != 0)
        f->other = 1;
    return 0;
}

/* The tombstone's x_mreza_keep_refs that are known here (an organisation's or a
 * user's identity), space-separated, into b: who keeps the version (R7.3). */
static enum mz_err keep_known(struct store *st, json_t *refs, struct mz_buf *b)
{
    size_t i;
    json_t *r;

    json_array_foreach(refs, i, r) {
        const char *id = json_string_value(r);
        int64_t org = 0, user = 0;
        if (!id || strchr(id, ' ') || store_identity_owner(st, id, &org, &user, NULL) != MZ_OK)
            continue;
        if (b->len)
            mz_buf_putc(b, ' ');
        mz_buf_puts(b, id);
    }
    return mz_buf_status(b);
}

/* Apply the tombstone (stored already, this version of it the newest of its owner's)
 * to the withdrawn version it names, if that version of org's is held here: its
 * withdrawal record (keep = the tombstone's x_mreza_keep_refs known here; a restore:
 * none) and the id marked for the model's choice. A version never received: nothing. */
static enum mz_err tombstone_apply(struct store *st, json_t *obj, const struct stix_info *info, int64_t org,
                                   struct mz_error *err)
{
    const char *ref = json_string_value(json_object_get(obj, "object_ref"));
    const char *ver = json_string_value(json_object_get(obj, "version"));
    struct newest_ver nv;
    struct find_ver f = {org, NULL, 0};
    struct mz_buf keep;
    char vkey[STIX_VKEY_LEN];
    enum mz_err rc;

    if (!ref || !ver || stix_version_key(ver, vkey) || !stix_id_valid(ref, NULL))
        return MZ_OK;
    memset(&nv, 0, sizeof nv);
    nv.owner = org;
    rc = store_id_versions(st, info->id, newest_ver, &nv, err);
    if (rc || strcmp(nv.vkey, info->version_key))
        return rc; /* a later version of this tombstone is here already: it decides */
    f.vkey = vkey;
    rc = store_id_versions(st, ref, find_ver, &f, err);
    if (rc || !f.seq)
        return rc; /* never received here: the tombstone applies to nothing */
    mz_buf_init(&keep, 1 << 20);
    mz_buf_puts(&keep, "");
    if (json_is_true(json_object_get(obj, "x_mreza_restored"))) {
        rc = store_withdraw(st, f.seq, NULL, 0, info->version, NULL, info->id, err);
    } else {
        rc = keep_known(st, json_object_get(obj, "x_mreza_keep_refs"), &keep);
        if (rc)
            mz_error_set(err, rc, "", "out of memory");
        else
            rc = store_withdraw(st, f.seq, keep.data ? keep.data : "", 0, info->version, NULL, info->id, err);
    }
    if (!rc)
        rc = store_mark_cx(st, ref, err);
    mz_buf_free(&keep);
    return rc;
}

/* R6.5's quota for a tombstone a peer sends (the third attack's A8: tombstones went
 * past it; the fifth's C1 and C4: counted as growth, it blocked withdrawals).
 * A tombstone's id holds one row here, its newest version (tombstone_receive drops
 * the older ones: only the newest has any effect), so ingest.max_versions and
 * ingest.max_versions_per_org_id do not apply to it: a newer version replaces the
 * older, never refused (C4). ingest.max_objects_per_org on the rows the owner holds
 * applies to a tombstone that adds a row for a version never received here alone:
 * one that replaces a row of its id (nv->n), or names a version of its owner's held
 * here, not itself an x-mreza- record, that no other tombstone id has withdrawn (the owner's node writes one id per
 * version, svc_withdraw.c tomb_of; so these rows are bounded by what is held; it adds
 * no readable data and only narrows who reads) is never refused by the quota: a
 * withdrawal always travels (C1). A second tombstone id for one version (no honest
 * node sends one) is counted as growth. sync.max_objects_per_id needs no count: a tombstone's id holds its
 * owner's object alone (another owner's version is refused first: V_OWNER).
 * V_STORED when there is room, V_CAP (err set) when not, V_FAIL on a store error. */
struct other_tomb {
    int64_t seq;     /* the version named */
    const char *id;  /* the tombstone's id */
    int other;       /* out: the version was withdrawn by another tombstone id */
};

static int other_tomb(void *ctx, const struct store_withdrawal *w)
{
    struct other_tomb *o = ctx;

    if (w->seq == o->seq && w->tombstone && strcmp(w->tombstone, o->id))
        o->other = 1;
    return 0;
}

static enum verdict tombstone_room(struct apply *a, json_t *obj, const struct stix_info *info, int64_t org,
                                   const struct newest_ver *nv, struct mz_error *err)
{
    const struct bundle_limits *lim = a->sub->lim;
    const char *ref = json_string_value(json_object_get(obj, "object_ref"));
    const char *ver = json_string_value(json_object_get(obj, "version"));
    char vkey[STIX_VKEY_LEN];
    int64_t owned = 0;

    if (lim->max_objects_per_org <= 0 || nv->n > 0)
        return V_STORED;
    /* a tombstone naming a tombstone (or any x-mreza- record) is counted: such rows
     * are themselves versions held here, so an exemption for them would chain
     * without bound (the sixth look after C1) */
    if (ref && ver && strncmp(ref, "x-mreza-", 8) && !stix_version_key(ver, vkey) && stix_id_valid(ref, NULL)) {
        struct find_ver f = {org, vkey, 0};
        if (store_id_versions(a->st, ref, find_ver, &f, err))
            return V_FAIL;
        if (f.seq) {
            struct other_tomb o = {f.seq, info->id, 0};
            if (store_withdrawals(a->st, ref, other_tomb, &o, err))
                return V_FAIL;
            if (!o.other)
                return V_STORED; /* it names a version held here, its tombstone */
        }
    }
    if (store_count_owned(a->st, org, &owned, err) != MZ_OK)
        return V_FAIL;
    if (owned >= lim->max_objects_per_org) {
        mz_error_set(err, MZ_ETOOBIG, "",
                     "the owner organisation holds as many stored versions as its quota here allows "
                     "(ingest.max_objects_per_org)");
        return V_CAP;
    }
    return V_STORED;
}

/* A tombstone from a mreza peer, admitted as any version is (its owner bound to the
 * sender, so the sender is the owner's home node; tlp_can_read on its marking and
 * audience, which are the withdrawn version's): within ingest's caps
 * (tombstone_room), stored as the owner's (the node's own x-mreza- type, which
 * svc_ingest refuses to every poster: written here as svc_withdraw writes it), then
 * applied to the version it names. m: its admitted marking, audience and
 * communities. */
/* R6.1 for the node's own records a peer sends (tombstones), which are stored
 * without svc_ingest: a version dated more than ingest.max_future_skew after this
 * node's clock would stay newest against every later honest version of its id (the
 * sixth look's D2). 1 when info's version is so dated (err set). */
static int future_dated(const struct bundle_limits *lim, const struct stix_info *info, struct mz_error *err)
{
    struct mz_time t, now;

    if (!lim || lim->max_future_skew < 0 || !info->version[0] || mz_time_parse(info->version, &t))
        return 0;
    mz_time_now(&now);
    if (t.sec < now.sec + lim->max_future_skew ||
        (t.sec == now.sec + lim->max_future_skew && t.nsec == 0))
        return 0;
    mz_error_set(err, MZ_EINVAL, "/modified",
                 "'%.40s' lies more than %ld seconds after this node's clock (ingest.max_future_skew)", info->version,
                 lim->max_future_skew);
    return 1;
}

static enum verdict tombstone_receive(struct apply *a, json_t *obj, const struct stix_info *info, int64_t org,
                                      const struct tlp_meta *m, struct mz_error *err)
{
    struct find_ver f = {org, info->version_key, 0};
    struct newest_ver nv;
    struct store_write_ctx wctx;
    struct store_object_in o;
    enum store_put_result put;
    char *text;
    enum mz_err rc;

    memset(&nv, 0, sizeof nv);
    nv.owner = org;
    if (store_id_versions(a->st, info->id, find_ver, &f, err) ||
        store_id_versions(a->st, info->id, newest_ver, &nv, err))
        return V_FAIL;
    if (nv.other)
        return V_OWNER; /* the id is another owner's here (R1) */
    if (future_dated(a->sub->lim, info, err))
        return V_INVALID;
    if (f.seq) {
        int same = same_content(a->st, obj, info->id, org, info->version_key, err);
        return same < 0 ? V_FAIL : same == 1 ? V_DUPLICATE : V_CONFLICT;
    }
    if (nv.vkey[0] && strcmp(info->version_key, nv.vkey) < 0)
        return V_DUPLICATE; /* older than the version held, which decides: dropped here */
    {
        enum verdict room = tombstone_room(a, obj, info, org, &nv, err);
        if (room != V_STORED)
            return room;
    }
    text = json_dumps(obj, JSON_COMPACT);
    if (!text) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return V_FAIL;
    }
    memset(&wctx, 0, sizeof wctx);
    wctx.owner_org = org;
    memset(&o, 0, sizeof o);
    o.stix_id = info->id;
    o.type = TOMBSTONE_TYPE;
    o.version = info->version;
    o.version_key = info->version_key;
    o.created_by = info->created_by_ref;
    o.tlp = m->tlp;
    o.audience = m->audience;
    o.comm = m->comm;
    o.body = text;
    o.body_len = strlen(text);
    o.match_plan = -1;
    o.valid_from = INT64_MIN;
    o.valid_until = INT64_MAX;
    o.latest_hint = STORE_LATEST_READ;
    rc = store_put_object(a->st, &wctx, &o, &put, err);
    free(text);
    if (!rc && put == STORE_PUT_DUPLICATE)
        return V_DUPLICATE;
    if (!rc)
        rc = tombstone_apply(a->st, obj, info, org, err);
    if (!rc)
        rc = store_drop_older(a->st, info->id, org, info->version_key, NULL, err);
    return rc ? V_FAIL : V_STORED;
}

static enum verdict roster_verdict(enum svc_roster_verdict r)
{
    switch (r) {
    case SVC_ROSTER_APPLIED:
        return V_STORED;
    case SVC_ROSTER_STALE:
        return V_DUPLICATE; /* an older roster: the home serves every version */
    case SVC_ROSTER_NOT_HOME:
        return V_OWNER;
    case SVC_ROSTER_COMMUNITY:
        return V_COMMUNITY;
    case SVC_ROSTER_INVALID:
        return V_INVALID;
    case SVC_ROSTER_FAIL:
        break;
    }
    return V_FAIL;
}

/* Admit and store one object (obj, with its meta entry). */
static enum verdict apply_one(struct apply *a, json_t *obj, json_t *meta, const char *remote_added,
                              struct mz_error *err)
{
    struct stix_info info;
    struct tlp_decision d;
    struct tlp_meta m;
    struct principal owner;
    struct bundle_limits lim = *a->sub->lim;
    struct svc_ingest_result res;
    struct svc_receipt rcpt;
    int by_ingest = 0;
    const char *mid = json_string_value(json_object_get(meta, "id"));
    const char *mver = json_string_value(json_object_get(meta, "version"));
    const char *mowner = json_string_value(json_object_get(meta, "owner"));
    struct find_src src;
    struct mz_time added;
    char names[STORE_COMM_MAX * STORE_COMM_NAME_LEN], *text = NULL;
    int64_t org_id = 0, user_id = 0, home = -1;
    int taxii = a->sub->owner_org > 0;
    uint64_t rd = 0, wr = 0, admitted = 0;
    enum verdict v = V_INVALID;
    enum mz_err rc;
    const struct prep_obj *pre = a->pre && a->pre->done ? a->pre : NULL; /* made beforehand */
    const char *made = pre ? pre->raw : NULL;
    size_t made_len = pre ? pre->raw_len : 0;

    memset(&info, 0, sizeof info);
    memset(&src, 0, sizeof src);
    /* a taxii peer's unmarked object, with --unmarked: the level the operator vouches
     * for, as a marking of the stored object (the same on every fetch: duplicates stay
     * duplicates); svc_sync_prepare leaves it to here */
    if (taxii && json_is_object(obj) && will_mark(obj, a->sub->unmarked)) {
        json_object_set_new(obj, "object_marking_refs", json_pack("[s]", tlp_standard_id(a->sub->unmarked - 1)));
        pre = NULL;
        made = NULL;
    }
    if (!json_is_object(obj))
        goto done;
    if (pre) { /* validated beforehand: its answer, its info borrowed (not cleared here) */
        if (pre->rc) {
            *err = *pre->err;
            goto done;
        }
        info = pre->info;
    } else if (stix_validate(obj, &info, err) != MZ_OK) {
        goto done;
    }
    /* its date_added, kept in the receipt record, is an RFC 3339 time (the fifth
     * re-attack's F7: a peer's text was stored as it came) */
    if (remote_added && (strlen(remote_added) > 40 || mz_time_parse(remote_added, &added))) {
        mz_error_set(err, MZ_EINVAL, "/x_mreza_meta/date_added", "date_added is no RFC 3339 time");
        goto done;
    }
    /* the meta entry speaks of this object (a taxii peer has none: its default
     * organisation owns everything it sends) */
    if (!taxii && (!mid || !mver || !mowner || strcmp(mid, info.id) || strcmp(mver, info.version)))
        goto done;
    /* a community's roster: its home's word on the members (svc_roster.c) */
    if (!taxii && !strcmp(info.type, SVC_ROSTER_TYPE)) {
        v = roster_verdict(
            svc_roster_receive(a->st, a->sub->node, a->sub->collection, obj, &info, mowner, remote_added, err));
        goto done;
    }
    /* an organisation's own identity is its home's directory record: the node's
     * write, not an owner's ingest (domain/svc_directory.c) */
    if (!taxii) {
        enum svc_dir_verdict dv = svc_directory_receive(a->st, a->sub->node, a->sub->collection, obj, &info,
                                                        meta, remote_added, err);
        if (dv != SVC_DIR_NOT_MINE) {
            v = dv == SVC_DIR_STORED ? V_STORED : dv == SVC_DIR_DUPLICATE ? V_DUPLICATE
                : dv == SVC_DIR_REFUSED_OWNER ? V_OWNER : dv == SVC_DIR_REFUSED_TLP ? V_TLP
                : dv == SVC_DIR_CONFLICT ? V_CONFLICT : V_FAIL;
            goto done;
        }
    }
    /* its owner is an organisation bound to the sender */
    v = V_OWNER;
    if (taxii)
        org_id = a->sub->owner_org;
    if ((!taxii && (owner_identity(a, mowner, &org_id, &user_id) != MZ_OK || user_id)) ||
        owner_node(a, org_id, &home) != MZ_OK || home != a->sub->node)
        goto done;
    /* the communities: GREEN (and CLEAR) into those stated that are hosted here and
     * of which the owner writes (the roster's word) or homed at the sender (the
     * home's word: a re-share there); every other level: national */
    d = tlp_decide(info.tlp, info.tlp_granular);
    memset(&m, 0, sizeof m);
    m.tlp = (int)d.level;
    m.owner_org = org_id;
    m.audience = info.audience;
    /* an unmarked version is stored with the marking and audience of the version it
     * supersedes (R3.3): admitted on those, not on the default (the fifth
     * re-attack's F2); svc_ingest refuses it should it inherit another level */
    if (d.defaulted) {
        src.owner = org_id;
        src.vkey = info.version_key;
        if (store_id_versions(a->st, info.id, find_src, &src, err) != MZ_OK) {
            v = V_FAIL;
            goto done;
        }
        if (src.found) {
            m.tlp = src.tlp;
            if (!m.audience)
                m.audience = src.audience;
        }
    }
    if (owner_comm(a, org_id, &rd, &wr, err) != MZ_OK) {
        v = V_FAIL;
        goto done;
    }
    if (taxii) /* the community the operator named for the collection: the operator's word */
        admitted = a->taxii_comm;
    else
        admitted = stated_comm(a->comms, json_object_get(meta, "communities")) & (wr | homed_at(a->comms, a->sub->node));
    v = V_COMMUNITY;
    if (m.tlp == TLP_GREEN && !admitted)
        goto done;
    m.comm = tlp_community_wide(m.tlp) && admitted ? admitted : STORE_COMM_NATIONAL;
    /* the version is one this node could have been sent: the sender's own rule */
    v = V_TLP;
    /* (a taxii peer's unmarked object, on nothing earlier, is stored AMBER+STRICT of
     * its owner: read by nobody here, so nothing is widened; it is no version a
     * mreza node could have sent, but a taxii peer is none) */
    if (!(taxii && d.defaulted && !src.found) && !tlp_can_read(a->self, &m))
        goto done;
    /* a withdrawal from the owner's home node (a mreza peer's; a taxii server's
     * x-mreza- object is refused by ingest as any poster's) */
    if (!taxii && !strcmp(info.type, TOMBSTONE_TYPE)) {
        v = tombstone_receive(a, obj, &info, org_id, &m, err);
        goto received;
    }
    /* ingest as the owner, through the peer (no user: submitter 0) */
    memset(&owner, 0, sizeof owner);
    if (owner_row(a, org_id, &owner.org, err) != MZ_OK) {
        v = V_FAIL;
        goto done;
    }
    owner.role = ROLE_ANALYST;
    owner.comm_write = m.comm;
    owner.comm_read = rd | m.comm;
    comm_names(a->comms, m.comm, names, sizeof names);
    lim.communities = m.comm == STORE_COMM_NATIONAL ? NULL : names;
    lim.author_self = 0;
    lim.admitted_tlp = m.tlp + 1;
    if (!made && (made = text = json_dumps(obj, JSON_COMPACT)) != NULL)
        made_len = strlen(made);
    if (!made) {
        v = V_FAIL;
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto done;
    }
    /* validated above: stored as svc_ingest stores a one-object body, without a
     * second parse and validation (docs/performance.md, Sync) */
    rcpt.node = a->sub->node;
    rcpt.collection = a->sub->collection;
    rcpt.remote_added = remote_added;
    by_ingest = 1; /* a new version's receipt is written with it */
    rc = svc_ingest_validated(a->st, &owner, obj, &info, made, made_len, &lim, &rcpt, &res, err);
    switch (rc) {
    case MZ_OK:
        if (res.n_items == 1 && res.items[0].skipped) /* R6.5's cap, or another owner's claimed id (R1.1) */
            v = res.items[0].capped ? V_CAP : V_OWNER;
        else if (res.n_new == 1)
            v = V_STORED;
        else
            v = V_DUPLICATE;
        svc_ingest_result_free(&res);
        break;
    case MZ_ECONFLICT:
        /* ingest.max_versions refuses as a conflict: counted as the cap it is */
        v = strstr(err->msg, "max_versions") ? V_CAP : V_CONFLICT;
        break;
    case MZ_ETOOBIG:
        v = V_CAP;
        break;
    case MZ_EINVAL:
        v = V_INVALID;
        break;
    case MZ_EFORBIDDEN:
        /* the level it would inherit is not the one admitted (R3.3) */
        v = !strcmp(err->field, "/object_marking_refs") ? V_TLP : V_COMMUNITY;
        break;
    default:
        v = V_FAIL;
    }
    if (v == V_DUPLICATE) {
        int same = same_content(a->st, obj, info.id, org_id, info.version_key, err);
        /* 2: a copy of another owner's version (an echo of a local object, stated as
         * the sender's): refused as another's, the page goes on (the fifth
         * re-attack's F3) */
        v = same < 0 ? V_FAIL : same == 2 ? V_OWNER : same ? V_DUPLICATE : V_CONFLICT;
    }
received:
    /* a version stored by ingest has its receipt already (svc_receipt); a tombstone's
     * is added here */
    if (v == V_STORED && !by_ingest &&
        store_received_add(a->st, info.id, org_id, info.version_key, a->sub->node, a->sub->collection, remote_added,
                           err) != MZ_OK)
        v = V_FAIL;
done:
    /* an object that may speak of organisations, bindings or memberships: what the
     * memo holds is asked again */
    if (info.type && (!strcmp(info.type, "identity") || !strncmp(info.type, "x-mreza-", 8)))
        owner_memo_drop(a);
    free(src.audience);
    free(text);
    if (!pre)
        stix_info_clear(&info);
    return v;
}

static void count(struct svc_sync_out *o, enum verdict v)
{
    switch (v) {
    case V_STORED:
        o->stored++;
        break;
    case V_DUPLICATE:
        o->duplicates++;
        break;
    case V_OWNER:
        o->refused_owner++;
        break;
    case V_COMMUNITY:
        o->refused_community++;
        break;
    case V_TLP:
        o->refused_tlp++;
        break;
    case V_INVALID:
        o->refused_invalid++;
        break;
    case V_CONFLICT:
        o->refused_conflict++;
        break;
    case V_CAP:
        o->refused_cap++;
        break;
    case V_FAIL:
        break;
    }
}

typedef void (*item_fn)(void *ctx, const char *id, const char *version, int duplicate, const char *refusal);

static enum mz_err apply_page(struct store *st, const struct svc_sync_sub *sub, const struct svc_sync_page *page,
                              int acked, item_fn item, void *item_ctx, struct svc_sync_out *out,
                              struct mz_error *err);

/* Tell item what became of obj (its meta entry beside it). */
static void tell(item_fn item, void *item_ctx, json_t *obj, json_t *meta, enum verdict v,
                 const struct mz_error *oerr)
{
    static const char *const why[] = {
        [V_OWNER] = "refused (owner): its owner is no organisation bound to your node, or the object is "
                    "another's here",
        [V_COMMUNITY] = "refused (community): a GREEN version must be shared into a community hosted here of "
                        "which its owner is a write-member",
        [V_TLP] = "refused (tlp): this node could not have been sent this version (RED, or AMBER not "
                  "addressed to an organisation of this node)",
        [V_INVALID] = "refused (invalid)",
        [V_CONFLICT] = "refused (conflict): this version is held here with other content",
        [V_CAP] = "refused (cap): the object has too many versions here",
    };
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *version = json_string_value(json_object_get(obj, "modified"));
    char msg[1400];

    if (!id)
        id = json_string_value(json_object_get(meta, "id"));
    if (!version)
        version = json_string_value(json_object_get(meta, "version"));
    if (v == V_STORED || v == V_DUPLICATE) {
        item(item_ctx, id, version, v == V_DUPLICATE, NULL);
        return;
    }
    snprintf(msg, sizeof msg, "%s%s%s", why[v], oerr->msg[0] ? ": " : "", oerr->msg);
    item(item_ctx, id, version, 0, msg);
}

/* Is date (a page's X-TAXII-Date-Added-Last) later than the bookmark's added_after?
 * A bookmark never goes back (third attack A6: an empty page's headers, the epoch or
 * the added_after asked, had moved it back to the start); one that does not parse is
 * replaced. */
static int later(const char *date, const char *bookmark)
{
    struct mz_time d, b;

    if (!date || !*date || mz_time_parse(date, &d))
        return 0;
    if (!*bookmark || mz_time_parse(bookmark, &b))
        return 1;
    return d.sec > b.sec || (d.sec == b.sec && d.nsec > b.nsec);
}

/* The page's bookmark: the previous one plus this page's counts. */
static enum mz_err bookmark(struct store *st, const struct svc_sync_sub *sub, const struct svc_sync_page *page,
                            const struct svc_sync_out *o, struct mz_error *err)
{
    struct store_bookmark *b = calloc(1, sizeof *b);
    struct mz_time now;
    char stamp[MZ_TIME_STRLEN];
    enum mz_err rc;

    if (!b)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = store_bookmark_get(st, sub->node, sub->collection, sub->direction, b, err);
    if (rc == MZ_ENOTFOUND) {
        rc = MZ_OK;
        memset(b, 0, sizeof *b);
        b->node = sub->node;
        snprintf(b->collection, sizeof b->collection, "%s", sub->collection);
        snprintf(b->direction, sizeof b->direction, "%s", sub->direction);
    }
    if (!rc) {
        if (later(page->date_added_last, b->added_after))
            snprintf(b->added_after, sizeof b->added_after, "%s", page->date_added_last);
        snprintf(b->next, sizeof b->next, "%s", page->next ? page->next : "");
        b->objects += o->stored;
        b->duplicates += o->duplicates;
        b->refused_owner += o->refused_owner;
        b->refused_community += o->refused_community;
        b->refused_tlp += o->refused_tlp;
        b->refused_invalid += o->refused_invalid;
        b->refused_conflict += o->refused_conflict;
        b->refused_cap += o->refused_cap;
        mz_time_now(&now);
        mz_time_format_us(&now, stamp);
        snprintf(b->last_page_at, sizeof b->last_page_at, "%.19sZ", stamp);
        rc = store_bookmark_put(st, b, err);
    }
    free(b);
    return rc;
}

enum mz_err svc_sync_receive(struct store *st, const struct principal *p, const char *collection, const char *body,
                             size_t len, const struct bundle_limits *lim, struct svc_sync_out *out,
                             struct mz_error *err)
{
    return svc_sync_receive_items(st, p, collection, body, len, lim, NULL, NULL, out, err);
}

enum mz_err svc_sync_receive_items(struct store *st, const struct principal *p, const char *collection,
                                   const char *body, size_t len, const struct bundle_limits *lim,
                                   void (*item)(void *ctx, const char *id, const char *version, int duplicate,
                                                const char *refusal),
                                   void *item_ctx, struct svc_sync_out *out, struct mz_error *err)
{
    struct svc_sync_sub sub = {p ? p->peer : 0, collection, "recv", lim, 0, 0, 0};
    struct svc_sync_page page = {body, len, NULL, NULL, NULL, NULL};

    memset(out, 0, sizeof *out);
    if (!p || p->role != ROLE_PEER || p->peer <= 0)
        return mz_error_set(err, MZ_EFORBIDDEN, "", "only a peer node pushes pages here (its peer key)");
    if (!collection || !*collection || strlen(collection) >= sizeof ((struct store_bookmark *)0)->collection)
        return mz_error_set(err, MZ_EINVAL, "collection", "a pushed page names the collection it is for");
    return apply_page(st, &sub, &page, 1, item, item_ctx, out, err); /* the peer is told: 202 */
}

enum mz_err svc_sync_apply_page(struct store *st, const struct svc_sync_sub *sub, const struct svc_sync_page *page,
                                struct svc_sync_out *out, struct mz_error *err)
{
    return apply_page(st, sub, page, 0, NULL, NULL, out, err); /* a pulled page: nobody is told */
}

/* One page in one transaction with its bookmark. acked: whether its commit is
 * acknowledged to anybody. A peer's POST (svc_sync_receive_items) is: the 202 tells
 * the peer its page is held here, and its push bookmark moves past it, so the commit
 * is made with synchronous=FULL (store_begin). A pulled page (svc_sync_apply_page)
 * is not: the peer still holds it and was told nothing, and the page and the pull
 * bookmark past it are one transaction, so a power loss that undoes the commit undoes
 * both, and the next run asks for the page again (decision 6, docs/federation.md
 * 10.3). Its commit does not wait for the disk (store_begin_unacked, NORMAL): WAL
 * keeps it atomic, kill -9 loses nothing of it, and a later FULL commit (a POST, a
 * user's write, a push bookmark after the peer's 202) makes it durable with itself -
 * the log is written in order - so no acknowledged write is kept without the pages
 * committed before it. What a power loss can undo was known here only: read by a
 * user or served to another peer in the moments before, it comes back with the next
 * pull, stamped anew (date_added after everything kept), so a peer paging by
 * added_after gets it again as a duplicate, not a gap. */
static enum mz_err apply_page(struct store *st, const struct svc_sync_sub *sub, const struct svc_sync_page *page,
                              int acked, item_fn item, void *item_ctx, struct svc_sync_out *out,
                              struct mz_error *err)
{
    struct comm_map *comms = NULL;
    struct principal self;
    struct apply a;
    const struct svc_sync_prep *prep;
    json_error_t jerr;
    json_t *env, *objs, *metas;
    size_t n;
    enum mz_err rc = MZ_OK;

    memset(out, 0, sizeof *out);
    memset(&self, 0, sizeof self);
    if (!sub || sub->node <= 0 || !sub->collection || !sub->direction || !sub->lim)
        return mz_error_set(err, MZ_EINVAL, "", "a sync page needs its subscription (peer, collection, limits)");
    env = page->env ? json_incref(page->env) : json_loadb(page->body, page->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!env)
        return mz_error_set(err, MZ_EINVAL, "", "the page is not JSON: %s (line %d)", jerr.text, jerr.line);
    objs = json_object_get(env, "objects");
    metas = json_object_get(env, "x_mreza_meta");
    n = json_array_size(objs);
    if (!json_is_object(env) || (objs && !json_is_array(objs)))
        rc = mz_error_set(err, MZ_EINVAL, "/objects", "the page is not a TAXII envelope");
    else if (n && sub->owner_org <= 0 && (!json_is_array(metas) || json_array_size(metas) != n))
        rc = mz_error_set(err, MZ_EINVAL, "/x_mreza_meta",
                          "the page's x_mreza_meta does not have one entry per object: its owners are unknown");
    else if (sub->lim->max_objects > 0 && n > (size_t)sub->lim->max_objects)
        rc = mz_error_set(err, MZ_ETOOBIG, "/objects", "the page holds %zu objects, more than %ld", n,
                          sub->lim->max_objects);
    comms = rc ? NULL : calloc(1, sizeof *comms);
    if (!rc && !comms)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc)
        rc = acked ? store_begin(st, err) : store_begin_unacked(st, err);
    if (rc) {
        free(comms);
        json_decref(env);
        return rc;
    }
    store_allow_nested(st, 1); /* each object's ingest: a savepoint of the page */
    rc = store_community_list(st, map_one, comms, err);
    if (!rc)
        rc = svc_node_principal(st, 0, "self", &self, err);
    a.st = st;
    a.sub = sub;
    a.self = &self;
    a.comms = comms;
    a.taxii_comm = STORE_COMM_NATIONAL;
    a.pre = NULL;
    /* what was prepared beforehand is used only if it was made of these objects */
    prep = page->prep && page->env && page->prep->objs == objs && page->prep->n == n ? page->prep : NULL;
    owner_memo_drop(&a);
    for (int k = 0; comms && sub->community > 0 && k < comms->n; k++)
        if (comms->id[k] == sub->community)
            a.taxii_comm = (uint64_t)1 << comms->bit[k];
    out->objects = (long)n;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *meta = json_array_get(metas, i);
        struct mz_error oerr;
        enum verdict v;
        mz_error_clear(&oerr);
        a.pre = prep ? &prep->o[i] : NULL;
        v = apply_one(&a, json_array_get(objs, i), meta,
                      sub->owner_org > 0 ? NULL : json_string_value(json_object_get(meta, "date_added")), &oerr);
        if (v == V_FAIL) {
            if (!oerr.msg[0]) /* every failure of a page says why (the fifth re-attack's F3) */
                mz_error_set(&oerr, oerr.code ? oerr.code : MZ_EIO, "",
                             "object %zu of the page could not be applied, and the store gave no reason", i);
            *err = oerr;
            rc = oerr.code ? oerr.code : MZ_EIO;
        }
        count(out, v);
        if (item && v != V_FAIL)
            tell(item, item_ctx, json_array_get(objs, i), meta, v, &oerr);
    }
    store_allow_nested(st, 0);
    if (!rc)
        rc = bookmark(st, sub, page, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    svc_principal_release(&self);
    free(comms);
    json_decref(env);
    return rc;
}

/* ---- a run: its plan and its status ---- */

struct plan_fill {
    struct store *st;
    struct svc_sync_plan *pl;
    uint64_t local_read; /* communities a local organisation reads */
    int taxii;
};

static struct svc_sync_plan_sub *plan_add(struct svc_sync_plan *pl, const char *collection)
{
    struct svc_sync_plan_sub *s;

    if (pl->n_subs >= SVC_SYNC_MAX_SUBS)
        return NULL;
    s = &pl->subs[pl->n_subs++];
    memset(s, 0, sizeof *s);
    snprintf(s->collection, sizeof s->collection, "%s", collection);
    return s;
}

/* A taxii peer's configured pull subscriptions: its pull bookmarks. */
static int plan_bookmark(void *ctx, const struct store_bookmark *b)
{
    struct plan_fill *f = ctx;
    struct svc_sync_plan_sub *s;

    if (strcmp(b->direction, "pull") || !f->taxii || !(s = plan_add(f->pl, b->collection)))
        return 0;
    s->community = b->community;
    return 0;
}

/* A mreza peer: each community but national that a local organisation reads. */
static int plan_community(void *ctx, const struct store_community *c)
{
    struct plan_fill *f = ctx;
    struct svc_sync_plan_sub *s;

    if (c->bit == STORE_COMM_NATIONAL_BIT || !(f->local_read & ((uint64_t)1 << c->bit)))
        return 0;
    if ((s = plan_add(f->pl, c->uuid)) != NULL)
        s->community = c->id;
    return 0;
}

static int name_of(void *ctx, const struct store_community *c)
{
    struct svc_sync_plan_sub *s = ctx;

    if (c->id == s->community)
        snprintf(s->community_name, sizeof s->community_name, "%s", c->name);
    return 0;
}

enum mz_err svc_sync_plan(struct store *st, const struct principal *p, const char *name, struct svc_sync_plan *out,
                          struct mz_error *err)
{
    struct plan_fill f;
    struct store_bookmark *b = NULL;
    uint64_t wr = 0;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err); /* it reads the peer's secret */

    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    rc = store_begin_read(st, err);
    if (rc)
        return rc;
    rc = store_node_by_name(st, name, &out->node, err);
    if (rc == MZ_ENOTFOUND)
        mz_error_set(err, MZ_ENOTFOUND, "/name", "no peer is called '%s' (mreza peer list)", name);
    if (!rc && store_node_secret(st, out->node.id, out->secret, sizeof out->secret, NULL) != MZ_OK)
        out->secret[0] = '\0';
    f.st = st;
    f.pl = out;
    f.taxii = !strcmp(out->node.kind, "taxii");
    f.local_read = 0;
    if (f.taxii) {
        out->owner_org = out->node.default_org;
        out->unmarked = out->node.unmarked_tlp >= 0 ? out->node.unmarked_tlp + 1 : 0;
    }
    if (!rc && !out->node.paused && strcmp(out->node.direction, "push")) {
        if (f.taxii) {
            rc = store_bookmarks(st, out->node.id, plan_bookmark, &f, err);
        } else {
            plan_add(out, "mreza-direct");
            rc = store_node_comm(st, 0, &f.local_read, &wr, err);
            if (!rc)
                rc = store_community_list(st, plan_community, &f, err);
        }
    }
    b = rc ? NULL : calloc(1, sizeof *b);
    if (!rc && !b)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    for (size_t i = 0; !rc && i < out->n_subs; i++) {
        struct svc_sync_plan_sub *s = &out->subs[i];
        enum mz_err brc = store_bookmark_get(st, out->node.id, s->collection, "pull", b, err);
        if (brc == MZ_OK) {
            snprintf(s->added_after, sizeof s->added_after, "%s", b->added_after);
            snprintf(s->next, sizeof s->next, "%s", b->next);
        } else if (brc != MZ_ENOTFOUND) {
            rc = brc;
        }
        if (!rc && s->community)
            rc = store_community_list(st, name_of, s, err);
    }
    free(b);
    store_rollback(st);
    if (rc)
        memset(out->secret, 0, sizeof out->secret);
    return rc;
}

static void now_text(char *out, size_t cap)
{
    struct mz_time now;
    char stamp[MZ_TIME_STRLEN];

    mz_time_now(&now);
    mz_time_format_us(&now, stamp);
    snprintf(out, cap, "%.19sZ", stamp);
}

/* Read peer id's row, change its status by (begin, code...), write it back: one
 * small transaction. */
static enum mz_err run_status(struct store *st, const struct principal *p, int64_t id, int begin, const char *code,
                              const char *message, const char *collection, struct mz_error *err)
{
    struct store_node *n = calloc(1, sizeof *n);
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (!n)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc)
        rc = store_begin(st, err);
    if (rc) {
        free(n);
        return rc;
    }
    rc = store_node_by_id(st, id, n, err);
    if (!rc && id <= 0)
        rc = mz_error_set(err, MZ_EINVAL, "", "this node syncs with its peers, not with itself");
    if (!rc && begin) {
        now_text(n->last_attempt, sizeof n->last_attempt);
    } else if (!rc && (!code || !*code)) {
        now_text(n->last_success, sizeof n->last_success);
        n->last_error_code[0] = n->last_error[0] = n->last_error_coll[0] = n->last_error_at[0] = '\0';
        n->failures = 0;
    } else if (!rc) {
        snprintf(n->last_error_code, sizeof n->last_error_code, "%s", code);
        snprintf(n->last_error, sizeof n->last_error, "%s", message ? message : "");
        snprintf(n->last_error_coll, sizeof n->last_error_coll, "%s", collection ? collection : "");
        now_text(n->last_error_at, sizeof n->last_error_at);
        n->failures++;
    }
    if (!rc)
        rc = store_node_set_status(st, n, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    free(n);
    return rc;
}

enum mz_err svc_sync_run_begin(struct store *st, const struct principal *p, int64_t id, struct mz_error *err)
{
    return run_status(st, p, id, 1, NULL, NULL, NULL, err);
}

enum mz_err svc_sync_run_end(struct store *st, const struct principal *p, int64_t id, const char *code,
                             const char *message, const char *collection, struct mz_error *err)
{
    return run_status(st, p, id, 0, code, message, collection, err);
}

enum mz_err svc_sync_next_run(struct store *st, const struct principal *p, int64_t id, long seconds,
                              struct mz_error *err)
{
    struct store_node *n = calloc(1, sizeof *n);
    struct mz_time t;
    char stamp[MZ_TIME_STRLEN];
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (!n)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc)
        rc = store_begin(st, err);
    if (rc) {
        free(n);
        return rc;
    }
    rc = store_node_by_id(st, id, n, err);
    if (!rc) {
        mz_time_now(&t);
        t.sec += seconds;
        mz_time_format_us(&t, stamp);
        snprintf(n->next_run, sizeof n->next_run, "%.19sZ", stamp);
        rc = store_node_set_status(st, n, err);
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    free(n);
    return rc;
}
