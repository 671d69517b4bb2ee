/* domain/campaign.c - see campaign.h: the grouping of a detected campaign, written
 * as the node itself into the community whose campaign it is (docs/model.md R11.6),
 * and the list of those groupings. */
#include "domain/campaign.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/model.h"
#include "engine/engine.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define NODE_IDENTITY_KEY "node_identity"
#define CAMPAIGN_KEY_KEY "campaign_key"

enum mz_err campaign_node_identity(struct store *st, char *out, size_t cap, struct mz_error *err)
{
    char uuid[MZ_UUID_STRLEN], id[64];
    enum mz_err rc = store_meta_get(st, NODE_IDENTITY_KEY, out, cap, NULL);

    if (rc != MZ_ENOTFOUND)
        return rc ? mz_error_set(err, rc, "", "cannot read the node identity") : MZ_OK;
    mz_uuid_v4(uuid);
    snprintf(id, sizeof id, "identity--%s", uuid);
    rc = store_meta_set(st, NODE_IDENTITY_KEY, id, err);
    if (!rc)
        snprintf(out, cap, "%s", id);
    return rc;
}

enum mz_err campaign_node_identity_peek(struct store *st, char *out, size_t cap, struct mz_error *err)
{
    enum mz_err rc = store_meta_get(st, NODE_IDENTITY_KEY, out, cap, NULL);

    if (rc == MZ_ENOTFOUND) {
        out[0] = '\0';
        return MZ_OK;
    }
    return rc ? mz_error_set(err, rc, "", "cannot read the node identity") : MZ_OK;
}

enum mz_err campaign_key(struct store *st, char *out, size_t cap, struct mz_error *err)
{
    char fresh[ENGINE_CAMPAIGN_KEY_MAX + 1];
    enum mz_err rc;

    if (cap < sizeof fresh)
        return mz_error_set(err, MZ_EINVAL, "", "campaign key buffer too small");
    rc = store_begin(st, err); /* two processes starting at once agree on one key */
    if (rc)
        return rc;
    rc = store_meta_get(st, CAMPAIGN_KEY_KEY, out, cap, NULL);
    if (rc == MZ_ENOTFOUND) {
        mz_random_hex(fresh, sizeof fresh);
        rc = store_meta_set(st, CAMPAIGN_KEY_KEY, fresh, err);
        if (!rc)
            snprintf(out, cap, "%s", fresh);
    } else if (rc) {
        rc = mz_error_set(err, rc, "", "cannot read the campaign key");
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

static void fmt_us(int64_t us, char *out)
{
    struct mz_time t = {us / 1000000, (int32_t)(us % 1000000) * 1000};
    mz_time_format_us(&t, out);
}

/* Whether the grouping's id needs the model's choice on reads (store_mark_cx): a
 * member may hold an object of it too (docs/model.md R8: a post under a campaign's id
 * is its poster's later object), and then every version of the id must be marked, the
 * node's new ones included, or reads would serve the node's newest to everyone beside
 * the choice. */
struct cx_scan {
    int need;     /* some version is marked, or is another owner's */
    int unmarked; /* some version is not marked */
};

static int scan_cx(void *ctx, const struct store_version *v)
{
    struct cx_scan *s = ctx;

    s->need |= v->cx || v->owner_org != 0;
    s->unmarked |= !v->cx;
    return 0;
}

/* Was report id taken out of c's campaign by a withdrawal: is a version of it that
 * the reader of c's community (R11.6) was entitled to withdrawn from it? */
static int report_withdrawn(struct store *st, const struct engine_campaign *c, const char *id)
{
    struct principal cr;
    struct model_id m;
    struct mz_error e;
    int yes = 0;

    memset(&m, 0, sizeof m);
    model_community_reader(&cr, (uint64_t)1 << c->community);
    if (model_load(st, id, &m, &e))
        return 0;
    for (size_t i = 0; i < m.n && !yes; i++)
        yes = model_entitled(&cr, &m.v[i]) && !model_may_read(&cr, &m.v[i]);
    model_free(&m);
    return yes;
}

/* Does the campaign now list id? */
static int lists(const struct engine_campaign *c, const char *id)
{
    for (size_t i = 0; i < c->n_refs; i++)
        if (!strcmp(c->refs[i], id))
            return 1;
    return 0;
}

/* Should the node's version v of the grouping be withdrawn as c is recorded
 * (docs/model.md R11.6)? Every one when the campaign ended; else one listing a
 * report c no longer lists because a withdrawal took it out (one that merely left
 * the window stays listed where it was). */
static int outdated(struct store *st, const struct engine_campaign *c, const struct model_ver *v)
{
    char *body = NULL;
    size_t len = 0, i;
    json_t *o, *r;
    struct mz_error e;
    int take = 0;

    if (v->owner_org != 0 || model_withdrawn_from_all(v))
        return 0; /* not the node's, or withdrawn from everyone already */
    if (c->ended)
        return 1;
    if (store_body(st, v->seq, &body, &len, &e))
        return 0;
    o = json_loadb(body, len, 0, NULL);
    free(body);
    json_array_foreach(json_object_get(o, "object_refs"), i, r) {
        const char *id = json_string_value(r);
        if (id && !lists(c, id) && report_withdrawn(st, c, id)) {
            take = 1;
            break;
        }
    }
    json_decref(o);
    return take;
}

/* The seqs of the node's versions of c's grouping to withdraw, into *seqs_out (heap,
 * *n_out of them). */
static enum mz_err outdated_versions(struct store *st, const struct engine_campaign *c, int64_t **seqs_out,
                                     size_t *n_out, struct mz_error *err)
{
    struct model_id m;
    enum mz_err rc;

    *seqs_out = NULL;
    *n_out = 0;
    memset(&m, 0, sizeof m);
    rc = model_load(st, c->id, &m, err);
    if (!rc && m.n && !(*seqs_out = malloc(m.n * sizeof **seqs_out)))
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    for (size_t i = 0; !rc && i < m.n; i++)
        if (outdated(st, c, &m.v[i]))
            (*seqs_out)[(*n_out)++] = m.v[i].seq;
    model_free(&m);
    return rc;
}

enum mz_err campaign_record(struct store *st, const struct engine_campaign *c, struct mz_error *err)
{
    int64_t *wd = NULL;
    size_t n_wd = 0;
    struct cx_scan scan = {0, 0};
    char node[64], now_s[MZ_TIME_STRLEN], first[MZ_TIME_STRLEN], last[MZ_TIME_STRLEN];
    char vkey[40];
    struct mz_time now;
    struct mz_buf b;
    struct store_object_in in;
    struct store_write_ctx w;
    enum store_put_result put;
    enum mz_err rc = campaign_node_identity(st, node, sizeof node, err);

    if (rc)
        return rc;
    mz_time_now(&now);
    mz_time_format_us(&now, now_s);
    snprintf(vkey, sizeof vkey, "%.26s000Z", now_s);
    {
        /* the engine counts no report as later than its clock; nor does the grouping
         * (its `created` is first_seen, which may not come after its `modified`) */
        int64_t now_us = now.sec * 1000000 + now.nsec / 1000;
        fmt_us(c->first_seen < now_us ? c->first_seen : now_us, first);
        fmt_us(c->last_seen < now_us ? c->last_seen : now_us, last);
    }
    mz_buf_init(&b, (size_t)1 << 20);
    mz_buf_printf(&b, "{\"type\":\"grouping\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created_by_ref\":\"%s\","
                      "\"created\":\"%s\",\"modified\":\"%s\",\"name\":",
                  c->id, node, first, now_s);
    {
        char name[OBS_MAX_LEN + 64];
        snprintf(name, sizeof name, "Regional campaign: %s %s", obs_kind_name(c->kind), c->value);
        mz_buf_json_str(&b, name);
    }
    mz_buf_printf(&b, ",\"context\":\"suspicious-activity\",\"description\":\"Reported by organisations of %zu countries between %s and %s (detected by the mreza node).\",\"object_refs\":[",
                  c->n_countries, first, last);
    for (size_t i = 0; i < c->n_refs; i++)
        mz_buf_printf(&b, "%s\"%s\"", i ? "," : "", c->refs[i]);
    mz_buf_printf(&b, "],\"x_mreza_campaign\":{\"kind\":\"%s\",\"value\":", obs_kind_name(c->kind));
    mz_buf_json_str(&b, c->value);
    /* the community whose members' reports it counts, and whose members read it */
    {
        struct store_community k;
        if (store_community_by_bit(st, c->community, &k, NULL) == MZ_OK)
            mz_buf_printf(&b, ",\"community\":\"%s\"", k.name); /* a handle: [a-z0-9.-_] */
    }
    mz_buf_puts(&b, ",\"countries\":[");
    for (size_t i = 0; i < c->n_countries; i++)
        mz_buf_printf(&b, "%s\"%s\"", i ? "," : "", c->countries[i]);
    rc = mz_buf_printf(&b, "],\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"reports\":%zu},"
                           "\"object_marking_refs\":[\"%s\"]}",
                       first, last, c->n_refs, tlp_marking_id(TLP_GREEN));
    if (rc) {
        mz_buf_free(&b);
        return mz_error_set(err, rc, "", "campaign grouping too large");
    }
    memset(&in, 0, sizeof in);
    in.stix_id = c->id;
    in.type = "grouping";
    in.version = now_s;
    in.version_key = vkey;
    in.created_by = node;
    in.attested = 1; /* the node's own object: the claim of its id */
    in.tlp = TLP_GREEN;
    in.comm = (uint64_t)1 << c->community; /* shared into its community alone (R11.6) */
    in.match_plan = -1;
    in.body = b.data;
    in.body_len = b.len;
    w.owner_org = 0; /* the node itself */
    w.owner_user = 0;
    w.submitter = 0;
    w.date_added = NULL; /* stamped by the store under the write lock (not now_s: that
                            was taken before the lock, and another writer may commit
                            a later date_added first) */
    rc = store_begin(st, err);
    if (!rc)
        rc = store_id_versions(st, c->id, scan_cx, &scan, err);
    /* R11.6: the versions that a withdrawal made wrong, before the new one joins */
    if (!rc)
        rc = outdated_versions(st, c, &wd, &n_wd, err);
    if (!rc && scan.need && scan.unmarked)
        rc = store_mark_cx(st, c->id, err);
    in.cx = scan.need;
    if (!rc && !c->ended)
        rc = store_put_object(st, &w, &in, &put, err);
    if (!rc && n_wd)
        rc = svc_withdraw_node(st, node, c->id, wd, n_wd,
                               c->ended ? "the campaign's reports were withdrawn: too few countries are left"
                                        : "a report it listed was withdrawn",
                               NULL, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    mz_buf_free(&b);
    free(wd);
    return rc;
}

enum mz_err campaign_list(struct store *st, const struct principal *p, const struct svc_query *q,
                          svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err)
{
    static const char *const groupings[] = {"grouping"};
    struct svc_query cq = *q;
    char node[64];
    enum mz_err rc = store_meta_get(st, NODE_IDENTITY_KEY, node, sizeof node, NULL);

    if (rc == MZ_ENOTFOUND) { /* no campaign was ever recorded */
        next_out[0] = '\0';
        return MZ_OK;
    }
    if (rc)
        return mz_error_set(err, rc, "", "cannot read the node identity");
    cq.types = groupings;
    cq.n_types = 1;
    cq.created_by = node;
    cq.node_only = 1; /* what a member stored, whatever it claims, is no campaign */
    return svc_list(st, p, &cq, fn, ctx, next_out, err);
}
