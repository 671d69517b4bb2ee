/* engine/engine_campaign.c - detecting campaigns as the engine indexes objects, one
 * per community (docs/model.md R11.6): an observable carried by TLP:CLEAR/GREEN
 * reports (indicators, observed data) shared into community K, of organisations of
 * at least campaign_min_countries countries whose own times (`modified`, no later
 * than the node's clock) lie within campaign_window_us of each other. Reports count
 * per object, as match does (docs/model.md R4, R11.6): of each object that is a unit
 * of a member of K holding no object of its id - the
 * first object of a claimed id, every copy of an open one, never a later object of a
 * claimed id (its owner organisation's alone) - the version R3 serves that member,
 * when it is not revoked. Every such report counts for its country; the grouping
 * lists at most ENGINE_CAMPAIGN_MAX_REFS_PER_ORG of each organisation's, so that one
 * organisation's flood neither fills the list nor crowds the others out of it. The
 * refresher collects
 * the values of the community-visible objects it indexed ("touched") and checks each
 * here with an exact index lookup; the campaigns found are handed back with the
 * refresh's result. Recording them (a STIX grouping each) is the domain's
 * (domain/campaign.c), done by the node after the refresh, so the engine never writes
 * to the store and never holds its lock while someone does.
 *
 * A table ((kind, value, community) -> the grouping's id and the reports it listed)
 * remembers what is recorded, learnt from the node's own groupings the refresh indexes
 * (engine_campaign_note; what members post, under any id and whatever it says, is
 * never read as campaign state), so that a campaign is handed back again only when it
 * has more reports than its last recorded version: a grouping recorded after one
 * refresh is read by the next, before that one checks anything. A campaign the node
 * recorded keeps the id it was recorded under; a new one gets engine_campaign_id.
 *
 * A withdrawal (or a restore) changes which reports count without adding any
 * (docs/model.md R11.6): the refresh hands the values of the versions it touched
 * back here, with the communities those versions are in, and a recorded campaign of
 * one of those communities whose reports are no longer the ones its grouping lists
 * (compared by a sum of the hashes of the ids, which the table keeps beside their
 * number) is handed back with the reports it has now - fewer, so that
 * the node re-versions the grouping without the withdrawn report - or, when they no
 * longer come from enough countries, marked ended, so that the node withdraws the
 * grouping. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rules/model.h"
#include "util/timefmt.h"
#include "util/uuid.h"

void engine_campaign_id(const struct engine *e, enum obs_kind kind, const char *value, char *out, size_t cap)
{
    engine_campaign_id_in(e, STORE_COMM_NATIONAL_BIT, kind, value, out, cap);
}

void engine_campaign_id_in(const struct engine *e, int bit, enum obs_kind kind, const char *value, char *out,
                           size_t cap)
{
    char key[OBS_MAX_LEN + 48], uuid[MZ_UUID_STRLEN];
    int n = bit == STORE_COMM_NATIONAL_BIT
                ? snprintf(key, sizeof key, "mreza-campaign:%s:%s", obs_kind_name(kind), value)
                : snprintf(key, sizeof key, "mreza-campaign:c%d:%s:%s", bit, obs_kind_name(kind), value);

    mz_uuid_keyed(e->campaign_key, strlen(e->campaign_key), key,
                  (size_t)(n < (int)sizeof key ? n : (int)sizeof key - 1), uuid);
    snprintf(out, cap, "grouping--%s", uuid);
}

/* The hash of a report's id as the grouping lists it; a list's is the sum of its
 * ids' (so the order does not matter). */
static uint64_t ref_hash(const char *id)
{
    return XXH3_64bits(id, strlen(id));
}

/* The table's key of the campaign around (kind, value) in the community with bit:
 * "kind:value" as the grouping's x_mreza_campaign writes them (the national
 * community's, as before communities), "kind:value@bit" for the others. */
static uint64_t camp_key(int bit, const char *kind, const char *value)
{
    char key[OBS_MAX_LEN + 48];
    int n = bit == STORE_COMM_NATIONAL_BIT ? snprintf(key, sizeof key, "%s:%s", kind, value)
                                           : snprintf(key, sizeof key, "%s:%s@%d", kind, value, bit);

    return XXH3_64bits(key, (size_t)(n < (int)sizeof key ? n : (int)sizeof key - 1)) | 1;
}

static size_t camp_slot(const struct engine *e, uint64_t k)
{
    size_t j;
    for (j = k & (e->camp_cap - 1); e->camp_keys[j] && e->camp_keys[j] != k; j = (j + 1) & (e->camp_cap - 1))
        ;
    return j;
}

/* The reports the node's grouping of (kind, value) in the community with bit lists
 * (0 if it has none), the sum of their hashes into *sum_out, and its id into id_out
 * ("" if none). */
static uint32_t camp_known(const struct engine *e, int bit, const char *kind, const char *value, char *id_out,
                           size_t cap, uint64_t *sum_out)
{
    size_t j;

    id_out[0] = '\0';
    *sum_out = 0;
    if (!e->camp_cap)
        return 0;
    j = camp_slot(e, camp_key(bit, kind, value));
    if (!e->camp_keys[j])
        return 0;
    snprintf(id_out, cap, "%s", e->camp_ids[j]);
    *sum_out = e->camp_sums[j];
    return e->camp_refs[j];
}

/* Grow the table to hold one more; 0 on success. */
static int camp_grow(struct engine *e)
{
    size_t ncap = e->camp_cap ? e->camp_cap * 2 : 64, ocap = e->camp_cap;
    uint64_t *keys = calloc(ncap, sizeof *keys), *okeys = e->camp_keys;
    uint64_t *sums = calloc(ncap, sizeof *sums), *osums = e->camp_sums;
    uint32_t *refs = calloc(ncap, sizeof *refs), *orefs = e->camp_refs;
    char(*ids)[ENGINE_CAMPAIGN_ID_LEN] = calloc(ncap, sizeof *ids), (*oids)[ENGINE_CAMPAIGN_ID_LEN] = e->camp_ids;

    if (!keys || !sums || !refs || !ids) {
        free(keys);
        free(sums);
        free(refs);
        free(ids);
        return -1;
    }
    e->camp_keys = keys;
    e->camp_sums = sums;
    e->camp_refs = refs;
    e->camp_ids = ids;
    e->camp_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (okeys[i]) {
            size_t t = camp_slot(e, okeys[i]);
            keys[t] = okeys[i];
            sums[t] = osums[i];
            refs[t] = orefs[i];
            memcpy(ids[t], oids[i], sizeof ids[t]);
        }
    free(okeys);
    free(osums);
    free(orefs);
    free(oids);
    return 0;
}

/* The node recorded (kind, value) in the community with bit as grouping_id listing
 * n_refs reports (sum: of their hashes). The first id learnt for a campaign stays its
 * id: groupings recorded before the ids were made under the node's key keep theirs,
 * and are updated as new versions of themselves. */
static void camp_remember(struct engine *e, int bit, const char *kind, const char *value, const char *grouping_id,
                          uint32_t n_refs, uint64_t sum)
{
    uint64_t k = camp_key(bit, kind, value);
    size_t j;

    if ((e->camp_n + 1) * 2 > e->camp_cap && camp_grow(e))
        return; /* forgetting only means the grouping may be rewritten later */
    j = camp_slot(e, k);
    if (!e->camp_keys[j]) {
        e->camp_n++;
        e->camp_keys[j] = k;
        snprintf(e->camp_ids[j], sizeof e->camp_ids[j], "%s", grouping_id);
    }
    e->camp_refs[j] = n_refs;
    e->camp_sums[j] = sum;
}

void engine_campaign_note(struct engine *e, json_t *obj, const char *id, uint64_t comm, int withdrawn)
{
    json_t *meta = json_object_get(obj, "x_mreza_campaign");
    json_t *refs = json_object_get(obj, "object_refs");
    const char *kind = json_string_value(json_object_get(meta, "kind"));
    const char *value = json_string_value(json_object_get(meta, "value"));

    json_t *r;
    size_t i;
    uint64_t sum = 0;
    int bit;

    /* the node writes a campaign's grouping into its community alone */
    if (!kind || !value || !json_is_array(refs) || strlen(id) >= ENGINE_CAMPAIGN_ID_LEN || !comm)
        return;
    bit = __builtin_ctzll(comm);
    if (withdrawn) {
        camp_remember(e, bit, kind, value, id, 0, 0);
        return;
    }
    json_array_foreach(refs, i, r)
        if (json_is_string(r))
            sum += ref_hash(json_string_value(r));
    camp_remember(e, bit, kind, value, id, (uint32_t)json_array_size(refs), sum);
}

struct camp_scan {
    struct engine *e;
    struct principal reader; /* a member of the community holding no object
                              * (model_community_reader) */
    struct engine_unit_memo memo; /* its units (R4), for one check */
    int64_t now;             /* the node's clock, microseconds: no report is later */
    int64_t newest;          /* pass 1: the newest report's time */
    int64_t since;           /* pass 2: the window's start (INT64_MIN in pass 1) */
    struct engine_campaign *c; /* pass 2: countries and times, of every report */
    struct {
        uint32_t obj;
        int64_t when;
    } found[ENGINE_CAMPAIGN_MAX_REFS]; /* pass 2: the reports listed */
    size_t n;
    struct {
        int32_t org;
        uint32_t n;
    } per_org[ENGINE_CAMPAIGN_MAX_REFS]; /* pass 2: how many of each organisation's are listed */
    size_t n_orgs;
};

/* Is indexed object num a report, and when was it made (*when_out)? Reports count by
 * their own time (`modified`, no later than the node's clock: a version may be dated
 * up to ingest.max_future_skew ahead); observable objects have none and count through
 * the indicators and observed-data that carry them. */
static int camp_report(struct camp_scan *cs, uint32_t num, int64_t *when_out)
{
    const struct idx_obj *o = idx_obj_at(cs->e->ix, num);
    const char *aud;
    uint64_t comm;

    engine_versions_facts(cs->e, num, &comm, &aud);
    if ((o->flags & IDX_F_REVOKED) || !tlp_community_wide(o->tlp) || !(comm & cs->reader.comm_read) ||
        !o->country[0] || !o->version)
        return 0;
    /* per object (R4): of an id with several objects or versions read by different
     * readers, only the version a community member is served of each of its units */
    if (engine_versions_cx(cs->e, num) ? !engine_versions_unit(cs->e, &cs->reader, num, &cs->memo)
                                       : (o->flags & IDX_F_DEAD) != 0)
        return 0;
    *when_out = o->version < cs->now ? o->version : cs->now;
    return 1;
}

/* List report num of org, unless the list is full, org has as many listed as it may,
 * or another copy of its id is listed already (each id once). */
static void camp_list(struct camp_scan *cs, uint32_t num, int32_t org, int64_t when)
{
    const uint8_t *uuid = idx_obj_at(cs->e->ix, num)->uuid;
    size_t k;

    if (cs->n == ENGINE_CAMPAIGN_MAX_REFS)
        return;
    for (k = 0; k < cs->n_orgs && cs->per_org[k].org != org; k++)
        ;
    if (k < cs->n_orgs && cs->per_org[k].n >= ENGINE_CAMPAIGN_MAX_REFS_PER_ORG)
        return;
    for (size_t i = 0; i < cs->n; i++)
        if (!memcmp(idx_obj_at(cs->e->ix, cs->found[i].obj)->uuid, uuid, 16))
            return;
    if (k == cs->n_orgs) {
        cs->per_org[k].org = org;
        cs->per_org[k].n = 0;
        cs->n_orgs++;
    }
    cs->per_org[k].n++;
    cs->found[cs->n].obj = num;
    cs->found[cs->n].when = when;
    cs->n++;
}

static int camp_collect(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t len)
{
    struct camp_scan *cs = vctx;
    const struct idx_obj *o = idx_obj_at(cs->e->ix, num);
    struct engine_campaign *c = cs->c;
    int64_t when;
    size_t k;

    (void)via;
    (void)key;
    (void)len;
    if (!camp_report(cs, num, &when))
        return 0;
    if (cs->since == INT64_MIN) { /* pass 1 */
        if (when > cs->newest)
            cs->newest = when;
        return 0;
    }
    if (when < cs->since)
        return 0; /* outside the window */
    if (when < c->first_seen)
        c->first_seen = when;
    if (when > c->last_seen)
        c->last_seen = when;
    for (k = 0; k < c->n_countries && memcmp(c->countries[k], o->country, 2); k++)
        ;
    if (k == c->n_countries && k < ENGINE_CAMPAIGN_MAX_COUNTRIES) {
        memcpy(c->countries[k], o->country, 2);
        c->countries[k][2] = '\0';
        c->n_countries++;
    }
    camp_list(cs, num, o->owner_org, when);
    return 0;
}

/* The reports of (kind, value) within the window of the newest into c (refs not
 * yet): two walks of the value's objects, the first for the newest report's time. */
static void gather(struct engine *e, int bit, enum obs_kind kind, const char *value, struct camp_scan *cs,
                   struct engine_campaign *c)
{
    memset(c, 0, sizeof *c);
    c->community = bit;
    c->kind = kind;
    model_community_reader(&cs->reader, (uint64_t)1 << bit);
    snprintf(c->value, sizeof c->value, "%s", value);
    c->first_seen = INT64_MAX;
    cs->c = c;
    cs->n = cs->n_orgs = 0;
    engine_versions_memo_start(&cs->memo);
    cs->newest = INT64_MIN;
    cs->since = INT64_MIN;
    idx_lookup_exact(e->ix, kind, value, strlen(value), camp_collect, cs);
    if (cs->newest == INT64_MIN)
        return; /* no report */
    cs->since = cs->newest - e->campaign_window_us;
    if (cs->since == INT64_MIN)
        cs->since++;
    idx_lookup_exact(e->ix, kind, value, strlen(value), camp_collect, cs);
    c->n_refs = cs->n;
}

/* The STIX ids of the reports gather() kept, into c (owned by c). -1 out of memory. */
static int copy_refs(struct engine *e, const struct camp_scan *cs, struct engine_campaign *c)
{
    char id[300];
    struct mz_buf b;
    size_t k = 0;

    c->refs = malloc((c->n_refs ? c->n_refs : 1) * sizeof *c->refs);
    if (!c->refs)
        return -1;
    mz_buf_init(&b, (size_t)ENGINE_CAMPAIGN_MAX_REFS * sizeof id);
    for (size_t i = 0; i < cs->n; i++) {
        engine_versions_obj_id(e, cs->found[i].obj, id, sizeof id);
        if (mz_buf_append(&b, id, strlen(id) + 1)) {
            mz_buf_free(&b);
            return -1;
        }
    }
    c->ref_bytes = mz_buf_steal(&b, NULL);
    for (const char *p = c->ref_bytes; p && k < c->n_refs; p += strlen(p) + 1)
        c->refs[k++] = p;
    return 0;
}

/* The sum of the hashes of the ids of the reports gather() kept. */
static uint64_t found_sum(const struct engine *e, const struct camp_scan *cs)
{
    char id[300];
    uint64_t sum = 0;

    for (size_t i = 0; i < cs->n; i++) {
        engine_versions_obj_id(e, cs->found[i].obj, id, sizeof id);
        sum += ref_hash(id);
    }
    return sum;
}

/* Is (kind, value) now a campaign of the community with bit with more reports than
 * recorded (and not yet in out)? Then append it to out. withdrawn: a withdrawal or a
 * restore touched it - a recorded campaign is then appended too when its reports are
 * no longer those recorded (R11.6), marked ended when they come from too few
 * countries. */
static enum mz_err check_campaign(struct engine *e, int bit, enum obs_kind kind, const char *value, int withdrawn,
                                  struct camp_scan *cs, struct engine_refresh_result *out, size_t *cap,
                                  struct mz_error *err)
{
    struct engine_campaign *c;
    char gid[ENGINE_CAMPAIGN_ID_LEN];
    uint64_t known_sum;
    uint32_t known = camp_known(e, bit, obs_kind_name(kind), value, gid, sizeof gid, &known_sum);
    int recorded = gid[0] != '\0', changed;

    if (!recorded)
        engine_campaign_id_in(e, bit, kind, value, gid, sizeof gid);
    for (size_t i = 0; i < out->n_campaigns; i++)
        if (!strcmp(out->campaigns[i].id, gid))
            return MZ_OK; /* touched twice in one refresh */
    if (out->n_campaigns == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct engine_campaign *v = realloc(out->campaigns, ncap * sizeof *v);
        if (!v)
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        out->campaigns = v;
        *cap = ncap;
    }
    c = &out->campaigns[out->n_campaigns];
    gather(e, bit, kind, value, cs, c);
    changed = withdrawn && recorded && (known != c->n_refs || known_sum != found_sum(e, cs));
    if ((long)c->n_countries < e->campaign_min_countries) {
        if (!changed || !known)
            return MZ_OK; /* no campaign, or one already ended */
        /* ended: the grouping is withdrawn; nothing listed now (an empty list is
         * remembered, so that the campaign is recorded again when it has reports) */
        snprintf(c->id, sizeof c->id, "%s", gid);
        c->ended = 1;
        c->n_refs = 0;
        c->refs = NULL;
        camp_remember(e, bit, obs_kind_name(kind), value, gid, 0, 0);
        out->n_campaigns++;
        return MZ_OK;
    }
    if (known >= c->n_refs && !changed)
        return MZ_OK;
    snprintf(c->id, sizeof c->id, "%s", gid);
    if (copy_refs(e, cs, c)) {
        free(c->refs);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    out->n_campaigns++;
    return MZ_OK;
}

enum mz_err engine_campaign_detect(struct engine *e, struct mz_buf *touched, int withdrawn,
                                   struct engine_refresh_result *out, struct mz_error *err)
{
    struct camp_scan *cs = malloc(sizeof *cs);
    enum mz_err rc = MZ_OK;
    size_t cap = out->n_campaigns, n_lines = 0, set_cap = 16;
    char *line = touched->data;
    uint64_t *seen;

    /* each value is checked once per refresh, however many of its objects came:
     * a set of the values checked (by a 64-bit hash of the line: a collision would
     * only put off a check until the value is touched again), twice as large as the
     * lines */
    for (size_t i = 0; i < touched->len; i++)
        n_lines += touched->data[i] == '\n';
    while (set_cap < 2 * n_lines)
        set_cap *= 2;
    seen = calloc(set_cap, sizeof *seen);
    if (!cs || !seen) {
        free(cs);
        free(seen);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    cs->e = e;
    memset(&cs->memo, 0, sizeof cs->memo);
    {
        struct mz_time now;
        mz_time_now(&now);
        cs->now = now.sec * 1000000 + now.nsec / 1000;
    }
    while (!rc && line && line < touched->data + touched->len) {
        char *nl = memchr(line, '\n', (size_t)(touched->data + touched->len - line));
        char *sp = memchr(line, ' ', (size_t)((nl ? nl : touched->data + touched->len) - line));
        char *sp2 = sp ? memchr(sp + 1, ' ', (size_t)((nl ? nl : touched->data + touched->len) - sp - 1)) : NULL;
        if (!nl || !sp || !sp2)
            break;
        *nl = '\0';
        {
            uint64_t k = XXH3_64bits(line, (size_t)(nl - line)) | 1;
            size_t j;
            for (j = k & (set_cap - 1); seen[j] && seen[j] != k; j = (j + 1) & (set_cap - 1))
                ;
            if (!seen[j]) {
                uint64_t comm = strtoull(sp + 1, NULL, 10);
                seen[j] = k;
                /* in each community the report is shared into */
                for (uint64_t c = comm; !rc && c; c &= c - 1)
                    rc = check_campaign(e, __builtin_ctzll(c), (enum obs_kind)strtol(line, NULL, 10), sp2 + 1,
                                        withdrawn, cs, out, &cap, err);
            }
        }
        line = nl + 1;
    }
    free(seen);
    free(cs);
    return rc;
}
