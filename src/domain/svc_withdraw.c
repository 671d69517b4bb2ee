/* domain/svc_withdraw.c - withdrawing versions shared too widely by mistake, and
 * restoring them (docs/model.md R7): who may, which versions, the record of who did it
 * and when, and the tombstones that tell the version's readers.
 *
 * A withdrawal never deletes. It narrows who may read a version: the version keeps
 * its marking and gains a new audience (its owner organisation, unless it gives the
 * version up, and the identities named in `to`); model_may_read (rules/model.h) reads
 * only readers who are in both. The id is marked `cx`, so that every read path runs
 * the model's choice on it (an older version, or nothing: R2.4), and the engine learns
 * of the change from the tombstone it indexes (engine_refresh.c). Each withdrawn
 * version gets a tombstone: an `x-mreza-withdrawal` object owned by the version's
 * owner, with the version's marking, audience and submitter, so that whoever could
 * read the version, and nobody else, learns that it was withdrawn and who keeps it. A
 * later withdrawal or a restore of the same version is a new version of the same
 * tombstone (stored beside the version: store_withdrawals). The reason is kept in the
 * record only, which the owner organisation alone reads (svc_withdrawals).
 *
 * Everything is decided on the versions the requester may read (R5): a version it may
 * not read is answered as one that does not exist. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/authz.h"
#include "domain/campaign.h"
#include "domain/model.h"
#include "domain/provenance.h"
#include "domain/svc.h"
#include "rules/stix.h"
#include "rules/tlp.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define TOMBSTONE_TYPE "x-mreza-withdrawal"

void svc_withdraw_result_free(struct svc_withdraw_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].keep);
    free(r->items);
    memset(r, 0, sizeof *r);
}

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
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* Append ident to the space-separated list in b unless it is there already. */
static enum mz_err list_add(struct mz_buf *b, const char *ident)
{
    enum mz_err rc = MZ_OK;

    if (b->len && list_names(b->data, ident))
        return MZ_OK;
    if (b->len)
        rc = mz_buf_putc(b, ' ');
    return rc ? rc : mz_buf_puts(b, ident);
}

/* The request checked for its form, before the store is touched. */
static enum mz_err check_input(const struct svc_withdraw_in *in, char (*vkeys)[STIX_VKEY_LEN], struct mz_error *err)
{
    if (!in->id || !stix_id_valid(in->id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)",
                            in->id ? in->id : "");
    if (!strncmp(in->id, "x-mreza-", 8))
        return mz_error_set(err, MZ_EINVAL, "id", "%.80s is the node's own record (a tombstone): it is not withdrawn",
                            in->id);
    if (in->n_versions > SVC_WITHDRAW_MAX_VERSIONS)
        return mz_error_set(err, MZ_EINVAL, "/versions", "at most %d versions may be named at once (or \"all\")",
                            SVC_WITHDRAW_MAX_VERSIONS);
    if (in->versions && !in->n_versions)
        return mz_error_set(err, MZ_EINVAL, "/versions", "name at least one version (its `modified`), or \"all\"");
    for (size_t i = 0; i < in->n_versions; i++)
        if (!in->versions[i] || stix_version_key(in->versions[i], vkeys[i])) {
            char field[48];
            snprintf(field, sizeof field, "/versions/%zu", i);
            return mz_error_set(err, MZ_EINVAL, field,
                                "a version is named by its `modified`, an RFC 3339 UTC timestamp such as "
                                "2025-01-03T00:00:00.000Z");
        }
    if (in->n_to > SVC_WITHDRAW_MAX_TO)
        return mz_error_set(err, MZ_EINVAL, "/to", "at most %d identities may keep a withdrawn version",
                            SVC_WITHDRAW_MAX_TO);
    for (size_t i = 0; i < in->n_to; i++)
        if (!in->to[i] || !stix_id_valid(in->to[i], "identity")) {
            char field[48];
            snprintf(field, sizeof field, "/to/%zu", i);
            return mz_error_set(err, MZ_EINVAL, field,
                                "each of `to` is the identity id of an organisation or a user (identity--…)");
        }
    if (in->reason && strlen(in->reason) > SVC_WITHDRAW_REASON_MAX)
        return mz_error_set(err, MZ_EINVAL, "/reason", "the reason is longer than %d bytes",
                            SVC_WITHDRAW_REASON_MAX);
    for (const char *c = in->reason; c && *c; c++)
        if ((unsigned char)*c < 0x20)
            return mz_error_set(err, MZ_EINVAL, "/reason", "the reason is one line of text without control characters");
    if (in->restore && (in->n_to || in->owner_gives_up))
        return mz_error_set(err, MZ_EINVAL, in->n_to ? "/to" : "/owner_keeps",
                            "a restore names no new audience: the versions are read as their markings say again");
    return MZ_OK;
}

/* R8: is the id one the node maintains - its own identity, a member organisation's
 * identity (from its directory), a TLP marking definition? Those are never withdrawn:
 * MZ_EINVAL saying so. Every one of them is public to members (GET /api/v1/orgs, the
 * TLP 2.0 definitions), so the refusal reveals nothing (R5). A user's identity is
 * refused to whoever may list that user (its organisation, node admins): the node
 * writes its claim, owned by the user's organisation (svc_user_add); to anyone else
 * a refusal would tell that a user exists, and their targets are their own objects
 * (a later object under the id) anyway. The node's campaign groupings are not
 * refused: the node owns them (a member's version under such an id is its own
 * object), and a refusal would tell whether a campaign exists. */
static enum mz_err check_reserved(struct store *st, const struct principal *p, const char *id,
                                  struct mz_error *err)
{
    char node[STORE_IDENT_LEN];
    int64_t org = 0, user = 0;
    struct mz_error e;
    enum mz_err rc;

    for (int l = TLP_CLEAR; l <= TLP_RED; l++)
        if (!strcasecmp(id, tlp_marking_id((enum tlp_level)l)))
            return mz_error_set(err, MZ_EINVAL, "id",
                                "%.80s is maintained by the node: it is the %s marking definition, which is "
                                "never withdrawn",
                                id, tlp_label((enum tlp_level)l));
    if (strncmp(id, "identity--", 10))
        return MZ_OK;
    rc = campaign_node_identity_peek(st, node, sizeof node, err);
    if (rc)
        return rc;
    if (node[0] && !strcasecmp(id, node))
        return mz_error_set(err, MZ_EINVAL, "id",
                            "%.80s is maintained by the node: it is the node's own identity, which is never "
                            "withdrawn",
                            id);
    mz_error_clear(&e);
    rc = store_identity_owner(st, id, &org, &user, &e);
    if (rc == MZ_OK && !user)
        return mz_error_set(err, MZ_EINVAL, "id",
                            "%.80s is maintained by the node: it is the identity of a member organisation, "
                            "written from the node's directory (GET /api/v1/orgs) and never withdrawn",
                            id);
    if (rc == MZ_OK && provenance_may_list_users(p, org))
        return mz_error_set(err, MZ_EINVAL, "id",
                            "%.80s is maintained by the node: it is the identity of a user, written from the "
                            "node's directory (GET /api/v1/users) and never withdrawn",
                            id);
    if (rc && rc != MZ_ENOTFOUND) {
        *err = e;
        return rc;
    }
    return MZ_OK;
}

/* Is version v one of p's targets (R7.1: its organisation's object or its own
 * personal object, never a colleague's personal object or another owner's)? */
static int target(const struct principal *p, const struct model_ver *v)
{
    return p->org.id > 0 && v->owner_org == p->org.id && (v->owner_user == 0 || v->owner_user == p->user.id);
}

/* R7.2 (and R7.5 for a restore): may p withdraw (restore) version v? MZ_OK, or
 * MZ_EFORBIDDEN saying why. */
static enum mz_err who_may(const struct principal *p, const struct model_ver *v, int restore, struct mz_error *err)
{
    const char *label = v->version[0] ? v->version : "(its only version)";

    if (restore) {
        if (p->role == ROLE_ADMIN || p->role == ROLE_NODE_ADMIN)
            return MZ_OK;
        return mz_error_set(err, MZ_EFORBIDDEN, "/restore",
                            "only an admin of the owning organisation restores a withdrawal (you are %s of %s)",
                            role_name(p->role), p->org.name);
    }
    if (v->submitter == p->user.id && p->user.id)
        return MZ_OK;
    if (p->role == ROLE_REPORTER)
        return mz_error_set(err, MZ_EFORBIDDEN, "/versions",
                            "a reporter withdraws only versions it submitted itself; version %s was submitted by "
                            "someone else (name the versions you submitted)",
                            label);
    if (v->tlp == TLP_RED)
        return mz_error_set(err, MZ_EFORBIDDEN, "/versions",
                            "version %s is TLP:RED: only the user who submitted it withdraws it", label);
    if (p->role == ROLE_ADMIN || p->role == ROLE_NODE_ADMIN || p->role == ROLE_ANALYST)
        return MZ_OK;
    return mz_error_set(err, MZ_EFORBIDDEN, "/versions", "you may not withdraw version %s (you are %s of %s)", label,
                        role_name(p->role), p->org.name);
}

/* The newest version and the `created` of tombstone tomb (when it exists), so that a
 * new version of it is later than every one before and keeps its `created`. */
struct tomb_state {
    char newest_vkey[STIX_VKEY_LEN];
    char created[64];
};

static enum mz_err tomb_state(struct store *st, const char *tomb, struct tomb_state *ts, struct mz_error *err)
{
    struct model_id m;
    enum mz_err rc;

    memset(ts, 0, sizeof *ts);
    memset(&m, 0, sizeof m);
    rc = model_load(st, tomb, &m, err);
    if (!rc && m.n) {
        char *body = NULL;
        size_t len = 0;
        json_t *o;
        for (size_t i = 0; i < m.n; i++)
            if (strcmp(m.v[i].vkey, ts->newest_vkey) > 0)
                snprintf(ts->newest_vkey, sizeof ts->newest_vkey, "%s", m.v[i].vkey);
        rc = store_body(st, m.v[0].seq, &body, &len, err);
        o = rc ? NULL : json_loadb(body, len, 0, NULL);
        snprintf(ts->created, sizeof ts->created, "%s",
                 json_string_value(json_object_get(o, "created")) ? json_string_value(json_object_get(o, "created"))
                                                                  : "");
        json_decref(o);
        free(body);
    }
    model_free(&m);
    return rc;
}

/* A timestamp later than the newest version key nk (microseconds), into out. */
static void later_than(const struct mz_time *now, const char *nk, char *out)
{
    struct mz_time t = *now, n;

    t.nsec = t.nsec / 1000 * 1000;
    if (nk[0] && !mz_time_parse(nk, &n) && mz_time_cmp(&t, &n) <= 0) {
        t = n;
        t.nsec = t.nsec / 1000 * 1000 + 1000;
        if (t.nsec >= 1000000000) {
            t.sec++;
            t.nsec -= 1000000000;
        }
    }
    mz_time_format_us(&t, out);
}

/* Add the identities of a space-separated list to JSON array a. */
static void add_idents(json_t *a, const char *list)
{
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len)
            json_array_append_new(a, json_stringn(p, len));
        p += len;
        while (*p == ' ')
            p++;
    }
}

/* The tombstone of version v of id (docs/model.md R7.4) as JSON text (heap). keep
 * NULL: a restore. */
static char *tombstone_body(const char *tomb, const char *created, const char *modified, const char *owner_ident,
                            const char *id, const struct model_ver *v, const char *keep)
{
    json_t *o = json_object(), *marks = json_array(), *a;
    char *text;

    json_object_set_new(o, "type", json_string(TOMBSTONE_TYPE));
    json_object_set_new(o, "spec_version", json_string("2.1"));
    json_object_set_new(o, "id", json_string(tomb));
    json_object_set_new(o, "created", json_string(created));
    json_object_set_new(o, "modified", json_string(modified));
    if (owner_ident[0])
        json_object_set_new(o, "created_by_ref", json_string(owner_ident));
    json_object_set_new(o, "object_ref", json_string(id));
    if (v->version[0])
        json_object_set_new(o, "version", json_string(v->version));
    if (keep) {
        /* nobody keeps it (the owner gave it up, nobody named): no list at all, as
         * STIX 2.1 forbids an empty one (the third attack's A9: receivers refused the
         * tombstone, strict clients its page); a receiver reads an absent list as
         * nobody (svc_sync.c keep_known) */
        a = json_array();
        add_idents(a, keep);
        if (json_array_size(a))
            json_object_set_new(o, "x_mreza_keep_refs", a);
        else
            json_decref(a);
    } else {
        json_object_set_new(o, "x_mreza_restored", json_true());
    }
    json_array_append_new(marks, json_string(tlp_marking_id((enum tlp_level)v->tlp)));
    json_object_set_new(o, "object_marking_refs", marks);
    if (v->audience && v->audience[0]) {
        a = json_array();
        add_idents(a, v->audience);
        json_object_set_new(o, "x_mreza_recipient_refs", a);
    }
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* The withdrawal record of each version of the id, by seq. */
struct records {
    struct store_withdrawal *w;
    char (*tomb)[96];
    size_t n, cap;
    int failed;
};

static int keep_record(void *vctx, const struct store_withdrawal *w)
{
    struct records *r = vctx;

    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 8;
        struct store_withdrawal *nw = realloc(r->w, ncap * sizeof *nw);
        char(*nt)[96] = nw ? realloc(r->tomb, ncap * sizeof *nt) : NULL;
        if (nw)
            r->w = nw;
        if (!nw || !nt) {
            r->failed = 1;
            return 1;
        }
        r->tomb = nt;
        r->cap = ncap;
    }
    r->w[r->n] = *w;
    r->w[r->n].keep = r->w[r->n].at = r->w[r->n].reason = NULL; /* borrowed: not kept */
    snprintf(r->tomb[r->n], sizeof r->tomb[r->n], "%s", w->tombstone);
    r->w[r->n].tombstone = r->tomb[r->n];
    r->n++;
    return 0;
}

static const char *tomb_of(const struct records *r, int64_t seq)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->w[i].seq == seq)
            return r->tomb[i];
    return NULL;
}

/* Withdraw (or restore) version v as p, at now: its tombstone and its record. */
static enum mz_err withdraw_one(struct store *st, const struct principal *p, const struct svc_withdraw_in *in,
                                const struct model_ver *v, const char *keep, const char *tomb,
                                const struct mz_time *now, char *at_out, struct mz_error *err)
{
    struct store_write_ctx wctx;
    struct store_object_in o;
    struct tomb_state ts;
    enum store_put_result put;
    char modified[MZ_TIME_STRLEN], vkey[STIX_VKEY_LEN], *body;
    enum mz_err rc = tomb_state(st, tomb, &ts, err);

    if (rc)
        return rc;
    later_than(now, ts.newest_vkey, modified);
    stix_version_key(modified, vkey);
    body = tombstone_body(tomb, ts.created[0] ? ts.created : modified, modified, p->org.identity, in->id, v, keep);
    if (!body)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    memset(&wctx, 0, sizeof wctx);
    wctx.owner_org = v->owner_org;
    wctx.submitter = v->submitter; /* read by whoever could read the version */
    memset(&o, 0, sizeof o);
    o.stix_id = tomb;
    o.type = TOMBSTONE_TYPE;
    o.version = modified;
    o.version_key = vkey;
    o.created_by = p->org.identity;
    o.tlp = v->tlp;
    o.audience = v->audience;
    /* read by whoever could read the version: its communities, and those it was
     * passed on to (issue 11) */
    o.comm = v->comm;
    o.shared_to = v->shared_to;
    o.body = body;
    o.body_len = strlen(body);
    o.match_plan = -1;
    o.valid_from = INT64_MIN;
    o.valid_until = INT64_MAX;
    o.latest_hint = STORE_LATEST_READ;
    rc = store_put_object(st, &wctx, &o, &put, err);
    free(body);
    if (!rc)
        rc = store_withdraw(st, v->seq, keep, p->user.id, modified, in->reason, tomb, err);
    if (!rc)
        snprintf(at_out, MZ_TIME_STRLEN, "%s", modified);
    return rc;
}

/* The new audience of version v: the owner organisation (unless it gives the version
 * up) and the identities of `to`; within what an earlier withdrawal left (withdrawal
 * only narrows), into b. */
static enum mz_err new_keep(const struct principal *p, const struct svc_withdraw_in *in, const struct model_ver *v,
                            struct mz_buf *b)
{
    enum mz_err rc = MZ_OK;

    mz_buf_reset(b);
    if (!in->owner_gives_up && (!v->wd_keep || list_names(v->wd_keep, p->org.identity)))
        rc = list_add(b, p->org.identity);
    for (size_t i = 0; !rc && i < in->n_to; i++)
        if (!v->wd_keep || list_names(v->wd_keep, in->to[i]))
            rc = list_add(b, in->to[i]);
    return rc;
}

static enum mz_err push_item(struct svc_withdraw_result *res, const struct model_ver *v, const char *keep,
                             const char *tomb, const char *at)
{
    struct svc_withdrawn *it;

    if (res->n == res->cap) {
        size_t ncap = res->cap ? res->cap * 2 : 8;
        struct svc_withdrawn *n = realloc(res->items, ncap * sizeof *n);
        if (!n)
            return MZ_ENOMEM;
        res->items = n;
        res->cap = ncap;
    }
    it = &res->items[res->n];
    memset(it, 0, sizeof *it);
    snprintf(it->version, sizeof it->version, "%s", v->version);
    snprintf(it->tombstone, sizeof it->tombstone, "%s", tomb);
    snprintf(it->at, sizeof it->at, "%s", at);
    it->tlp = v->tlp;
    if (keep && !(it->keep = strdup(keep)))
        return MZ_ENOMEM;
    res->n++;
    return MZ_OK;
}

/* Which versions of m the request names, as a bit per version index (chosen[]): of
 * the candidates (cand[]), all of them or those listed. */
static enum mz_err choose_versions(const struct svc_withdraw_in *in, const struct model_id *m, const char *cand,
                                   char (*vkeys)[STIX_VKEY_LEN], char *chosen, struct mz_error *err)
{
    for (size_t i = 0; i < m->n; i++)
        chosen[i] = !in->versions && cand[i];
    for (size_t k = 0; k < in->n_versions; k++) {
        size_t i = 0;
        while (i < m->n && !(cand[i] && !m->sco && !strcmp(m->v[i].vkey, vkeys[k])))
            i++;
        if (i == m->n) {
            char field[48];
            snprintf(field, sizeof field, "/versions/%zu", k);
            return mz_error_set(err, MZ_EINVAL, field, "no version %.40s of %s that you may %s", in->versions[k],
                                in->id, in->restore ? "restore (withdrawn, and yours to read)" : "read");
        }
        chosen[i] = 1;
    }
    return MZ_OK;
}

enum mz_err svc_withdraw(struct store *st, const struct principal *p, const struct svc_withdraw_in *in,
                         struct svc_withdraw_result *res, struct mz_error *err)
{
    char (*vkeys)[STIX_VKEY_LEN] = NULL;
    char *cand = NULL, *chosen = NULL;
    struct model_id m;
    struct records recs = {0};
    struct mz_buf keep;
    struct mz_time now;
    enum mz_err rc;
    int any = 0, n_chosen = 0;

    memset(res, 0, sizeof *res);
    memset(&m, 0, sizeof m);
    mz_buf_init(&keep, (size_t)(SVC_WITHDRAW_MAX_TO + 1) * (STORE_IDENT_LEN + 1) + 1);
    rc = authz_check(p, in->restore ? AUTHZ_OBJECT_RESTORE : AUTHZ_OBJECT_WITHDRAW, err);
    if (rc)
        return rc;
    vkeys = calloc(in->n_versions + 1, sizeof *vkeys);
    if (!vkeys)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = check_input(in, vkeys, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc) {
        free(vkeys);
        return rc;
    }
    rc = check_reserved(st, p, in->id, err);
    if (!rc)
        rc = model_load(st, in->id, &m, err);
    if (!rc && !(cand = calloc(m.n + 1, 1)))
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (!rc && !(chosen = calloc(m.n + 1, 1)))
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    /* R7.1: the versions of its targets it may read (a restore: those withdrawn that
     * it is entitled to); none at all is the 404 of an unknown id */
    for (size_t i = 0; !rc && i < m.n; i++) {
        const struct model_ver *v = &m.v[i];
        if (!target(p, v) || (in->comm && !(v->comm & in->comm)))
            continue;
        if (in->restore ? !model_entitled(p, v) : !model_may_read(p, v))
            continue;
        any = 1;
        cand[i] = !in->restore || v->wd_keep != NULL;
    }
    if (!rc && !any)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object with id '%.80s' is visible to you", in->id);
    if (!rc)
        rc = choose_versions(in, &m, cand, vkeys, chosen, err);
    for (size_t i = 0; !rc && i < m.n; i++)
        if (chosen[i]) {
            n_chosen++;
            rc = who_may(p, &m.v[i], in->restore, err);
        }
    if (!rc && !n_chosen)
        rc = mz_error_set(err, MZ_EINVAL, "/versions", "no version of %s is withdrawn: there is nothing to restore",
                          in->id);
    if (!rc)
        rc = store_withdrawals(st, in->id, keep_record, &recs, err);
    if (!rc && recs.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    mz_time_now(&now);
    for (size_t i = 0; !rc && i < m.n; i++) {
        const struct model_ver *v = &m.v[i];
        const char *tomb = tomb_of(&recs, v->seq);
        char fresh[96], at[MZ_TIME_STRLEN] = "";
        const char *k = NULL;
        if (!chosen[i])
            continue;
        if (!in->restore) {
            rc = new_keep(p, in, v, &keep);
            if (rc) {
                rc = mz_error_set(err, rc, "", "out of memory");
                break;
            }
            k = keep.data ? keep.data : ""; /* "": nobody keeps it */
        }
        if (!tomb) {
            char uuid[MZ_UUID_STRLEN];
            mz_uuid_v4(uuid);
            snprintf(fresh, sizeof fresh, TOMBSTONE_TYPE "--%s", uuid);
            tomb = fresh;
        }
        /* a withdrawal that changes nothing writes nothing */
        if (k && v->wd_keep && !strcmp(k, v->wd_keep))
            snprintf(at, sizeof at, "%s", "");
        else
            rc = withdraw_one(st, p, in, v, k, tomb, &now, at, err);
        if (!rc && push_item(res, v, k, tomb, at))
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    if (!rc && !m.cx)
        rc = store_mark_cx(st, in->id, err); /* reads run the model's choice on it now */
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc)
        MZ_LOG(MZ_LOG_INFO, "event=%s id=%s versions=%zu user=%s org=%s", in->restore ? "restore" : "withdraw",
               in->id, res->n, p->user.name, p->org.name);
    else
        svc_withdraw_result_free(res);
    model_free(&m);
    mz_buf_free(&keep);
    free(recs.w);
    free(recs.tomb);
    free(cand);
    free(chosen);
    free(vkeys);
    return rc;
}

/* ---- the node's own objects (campaign groupings, R11.6) ---- */

enum mz_err svc_withdraw_node(struct store *st, const char *node_ident, const char *id, const int64_t *seqs,
                              size_t n_seqs, const char *reason, size_t *n_out, struct mz_error *err)
{
    struct principal node;
    struct svc_withdraw_in in;
    struct records recs = {0};
    struct model_id m;
    struct mz_time now;
    size_t n = 0;
    enum mz_err rc;

    if (n_out)
        *n_out = 0;
    memset(&node, 0, sizeof node); /* the node: organisation 0, user 0 */
    snprintf(node.org.identity, sizeof node.org.identity, "%s", node_ident);
    memset(&in, 0, sizeof in);
    in.id = id;
    in.reason = reason;
    in.owner_gives_up = 1;
    memset(&m, 0, sizeof m);
    rc = model_load(st, id, &m, err);
    if (!rc)
        rc = store_withdrawals(st, id, keep_record, &recs, err);
    if (!rc && recs.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    mz_time_now(&now);
    for (size_t i = 0; !rc && i < m.n; i++) {
        const struct model_ver *v = &m.v[i];
        const char *tomb = tomb_of(&recs, v->seq);
        char fresh[96], at[MZ_TIME_STRLEN];
        size_t k;
        for (k = 0; k < n_seqs && seqs[k] != v->seq; k++)
            ;
        if (k == n_seqs || v->owner_org != 0 || model_withdrawn_from_all(v))
            continue;
        if (!tomb) {
            char uuid[MZ_UUID_STRLEN];
            mz_uuid_v4(uuid);
            snprintf(fresh, sizeof fresh, TOMBSTONE_TYPE "--%s", uuid);
            tomb = fresh;
        }
        rc = withdraw_one(st, &node, &in, v, "", tomb, &now, at, err);
        n += !rc;
    }
    if (!rc && n && !m.cx)
        rc = store_mark_cx(st, id, err);
    if (!rc && n_out)
        *n_out = n;
    model_free(&m);
    free(recs.w);
    free(recs.tomb);
    return rc;
}

/* ---- the records, for the owner organisation ---- */

struct view_ctx {
    const struct principal *p;
    const struct model_id *m;
    struct store *st;
    svc_withdrawal_fn fn;
    void *ctx;
    size_t n;
    int stopped;
};

static int view_record(void *vctx, const struct store_withdrawal *w)
{
    struct view_ctx *c = vctx;
    const struct model_ver *v = NULL;
    struct svc_withdrawal_view out;
    struct store_user u;

    for (size_t i = 0; i < c->m->n && !v; i++)
        if (c->m->v[i].seq == w->seq)
            v = &c->m->v[i];
    /* the owner organisation's records, of versions the reader is entitled to */
    if (!v || !target(c->p, v) || !model_entitled(c->p, v))
        return 0;
    memset(&out, 0, sizeof out);
    out.version = v->version;
    out.tlp = v->tlp;
    out.keep = w->keep;
    out.at = w->at;
    out.reason = w->reason;
    out.tombstone = w->tombstone;
    out.by = store_user_by_id(c->st, w->by, &u, NULL) == MZ_OK ? u.name : "";
    c->n++;
    if (c->fn(c->ctx, &out)) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

enum mz_err svc_withdrawals(struct store *st, const struct principal *p, const char *id, svc_withdrawal_fn fn,
                            void *ctx, struct mz_error *err)
{
    struct model_id m;
    struct view_ctx c;
    int any = 0;
    enum mz_err rc;

    if (!stix_id_valid(id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)", id);
    if (p->role == ROLE_NONE)
        return mz_error_set(err, MZ_EAUTH, "", "withdrawal records are their owner's: send an API key");
    memset(&m, 0, sizeof m);
    rc = store_begin_read(st, err);
    if (!rc)
        rc = model_load(st, id, &m, err);
    for (size_t i = 0; !rc && i < m.n; i++)
        any |= target(p, &m.v[i]) && model_entitled(p, &m.v[i]);
    if (!rc && !any)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object with id '%.80s' of your organisation is visible to you",
                          id);
    if (!rc) {
        c = (struct view_ctx){p, &m, st, fn, ctx, 0, 0};
        rc = store_withdrawals(st, id, view_record, &c, err);
    }
    store_rollback(st);
    model_free(&m);
    return rc;
}
