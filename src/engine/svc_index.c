/* engine/svc_index.c - see svc_index.h. TLP is not decided here: every hit and
 * every correlated object passes tlp_can_read() before it is reported. */
#include "engine/svc_index.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "domain/campaign.h"
#include "rules/observe.h"
#include "engine/prefilter.h"
#include "rules/tlp.h"
#include "index/hot.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define MAX_ORGS_CACHED 4096

struct svc_index {
    pthread_rwlock_t lock;
    struct idx *ix;
    uint64_t generation;
    /* (object uuid, owner) -> object number, to retire superseded versions */
    uint64_t *map_keys;
    uint32_t *map_vals;
    size_t map_cap, map_n;
    /* parsed patterns of CANDIDATE and SCAN objects, ordered by object number */
    uint32_t *pat_objs;
    struct pattern **pats;
    size_t n_pats, cap_pats;
    uint32_t *scan_objs;
    size_t n_scan, cap_scan;
    int frozen;            /* no refresh will come (mreza match): lookups need no lock */
    struct hot *hot;       /* the prefilter of a frozen index without scan patterns */
    /* regional campaigns: off while window is 0 */
    int64_t campaign_window_us;
    long campaign_min_countries;
    uint64_t *camp_keys;   /* hash of the grouping id -> reports it lists */
    uint32_t *camp_refs;
    size_t camp_cap, camp_n;
};

void svc_index_set_campaigns(struct svc_index *si, long window_hours, long min_countries)
{
    si->campaign_window_us = (int64_t)window_hours * 3600 * 1000000;
    si->campaign_min_countries = min_countries;
}

enum mz_err svc_index_new(struct svc_index **out, struct mz_error *err)
{
    struct svc_index *si = calloc(1, sizeof *si);

    if (!si)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (idx_new(&si->ix, err)) {
        free(si);
        return err ? err->code : MZ_ENOMEM;
    }
    pthread_rwlock_init(&si->lock, NULL);
    *out = si;
    return MZ_OK;
}

static void free_patterns(struct svc_index *si)
{
    for (size_t i = 0; i < si->n_pats; i++)
        pattern_free(si->pats[i]);
    free(si->pats);
    free(si->pat_objs);
    free(si->scan_objs);
    si->pats = NULL;
    si->pat_objs = si->scan_objs = NULL;
    si->n_pats = si->cap_pats = si->n_scan = si->cap_scan = 0;
}

void svc_index_free(struct svc_index *si)
{
    if (!si)
        return;
    free_patterns(si);
    free(si->map_keys);
    free(si->map_vals);
    free(si->camp_keys);
    free(si->camp_refs);
    idx_free(si->ix);
    hot_free(si->hot);
    pthread_rwlock_destroy(&si->lock);
    free(si);
}

uint64_t svc_index_generation(struct svc_index *si)
{
    uint64_t g;

    pthread_rwlock_rdlock(&si->lock);
    g = si->generation;
    pthread_rwlock_unlock(&si->lock);
    return g;
}

/* Readers take the lock only while a writer may come. */
static void read_lock(struct svc_index *si)
{
    if (!si->frozen)
        pthread_rwlock_rdlock(&si->lock);
}

static void read_unlock(struct svc_index *si)
{
    if (!si->frozen)
        pthread_rwlock_unlock(&si->lock);
}

/* ---- the version map ---- */

static uint64_t version_map_key(const uint8_t *uuid, int32_t owner)
{
    unsigned char k[20];
    memcpy(k, uuid, 16);
    memcpy(k + 16, &owner, 4);
    return XXH3_64bits(k, sizeof k) | 1; /* 0 marks an empty slot */
}

static int map_grow(struct svc_index *si)
{
    size_t ncap = si->map_cap ? si->map_cap * 2 : 1024;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    uint32_t *vals = calloc(ncap, sizeof *vals);

    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < si->map_cap; i++) {
        size_t j;
        if (!si->map_keys[i])
            continue;
        for (j = si->map_keys[i] & (ncap - 1); keys[j]; j = (j + 1) & (ncap - 1))
            ;
        keys[j] = si->map_keys[i];
        vals[j] = si->map_vals[i];
    }
    free(si->map_keys);
    free(si->map_vals);
    si->map_keys = keys;
    si->map_vals = vals;
    si->map_cap = ncap;
    return 0;
}

/* The slot for (uuid, owner): existing (found=1) or where to insert. */
static size_t map_slot(struct svc_index *si, const uint8_t *uuid, int32_t owner, int *found)
{
    uint64_t k = version_map_key(uuid, owner);
    size_t j;

    *found = 0;
    for (j = k & (si->map_cap - 1); si->map_keys[j]; j = (j + 1) & (si->map_cap - 1)) {
        const struct idx_obj *o = idx_obj_at(si->ix, si->map_vals[j]);
        if (si->map_keys[j] == k && o->owner_org == owner && !memcmp(o->uuid, uuid, 16)) {
            *found = 1;
            break;
        }
    }
    return j;
}

/* ---- refresh ---- */

struct org_country {
    int64_t id;
    char country[3];
};

struct refresh_ctx {
    struct svc_index *si;
    struct org_country orgs[MAX_ORGS_CACHED];
    size_t n_orgs;
    size_t n_rows;
    struct mz_error *err;
    enum mz_err rc;
    /* values of the object being indexed */
    struct {
        enum obs_kind kind;
        char *canon;
        size_t len;
    } vals[64];
    size_t n_vals;
    char *val_buf;
    size_t val_used, val_cap;
    /* values of new community-visible objects, to check for campaigns: "k value\n" */
    struct mz_buf touched;
};

static int remember_org(void *vctx, const struct store_org *o)
{
    struct refresh_ctx *c = vctx;

    if (c->n_orgs < MAX_ORGS_CACHED) {
        c->orgs[c->n_orgs].id = o->id;
        snprintf(c->orgs[c->n_orgs].country, 3, "%.2s", o->country);
        c->n_orgs++;
    }
    return 0;
}

static const char *country_of(const struct refresh_ctx *c, int64_t org)
{
    for (size_t i = 0; i < c->n_orgs; i++)
        if (c->orgs[i].id == org)
            return c->orgs[i].country;
    return NULL;
}

static int collect_value(void *vctx, enum obs_kind k, const char *canon, size_t len)
{
    struct refresh_ctx *c = vctx;

    if (c->n_vals == sizeof c->vals / sizeof c->vals[0] || c->val_used + len + 1 > c->val_cap)
        return 1; /* an object with more values than this is indexed by its first ones */
    memcpy(c->val_buf + c->val_used, canon, len);
    c->val_buf[c->val_used + len] = '\0';
    c->vals[c->n_vals].kind = k;
    c->vals[c->n_vals].canon = c->val_buf + c->val_used;
    c->vals[c->n_vals].len = len;
    c->val_used += len + 1;
    c->n_vals++;
    return 0;
}

static int add_pattern(struct svc_index *si, uint32_t obj, struct pattern *p, int scan)
{
    if (si->n_pats == si->cap_pats) {
        size_t ncap = si->cap_pats ? si->cap_pats * 2 : 64;
        uint32_t *o = realloc(si->pat_objs, ncap * sizeof *o);
        struct pattern **ps;
        if (!o)
            return -1;
        si->pat_objs = o;
        ps = realloc(si->pats, ncap * sizeof *ps);
        if (!ps)
            return -1;
        si->pats = ps;
        si->cap_pats = ncap;
    }
    if (scan && si->n_scan == si->cap_scan) {
        size_t ncap = si->cap_scan ? si->cap_scan * 2 : 64;
        uint32_t *s = realloc(si->scan_objs, ncap * sizeof *s);
        if (!s)
            return -1;
        si->scan_objs = s;
        si->cap_scan = ncap;
    }
    si->pat_objs[si->n_pats] = obj;
    si->pats[si->n_pats++] = p;
    if (scan)
        si->scan_objs[si->n_scan++] = obj;
    return 0;
}

static const struct pattern *pattern_of(const struct svc_index *si, uint32_t obj)
{
    size_t lo = 0, hi = si->n_pats;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (si->pat_objs[mid] < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < si->n_pats && si->pat_objs[lo] == obj ? si->pats[lo] : NULL;
}

/* ---- regional campaigns ---- */

static uint64_t camp_key(const char *grouping_id)
{
    return XXH3_64bits(grouping_id, strlen(grouping_id)) | 1;
}

static size_t camp_slot(const struct svc_index *si, uint64_t k)
{
    size_t j;
    for (j = k & (si->camp_cap - 1); si->camp_keys[j] && si->camp_keys[j] != k; j = (j + 1) & (si->camp_cap - 1))
        ;
    return j;
}

static uint32_t camp_known(const struct svc_index *si, const char *grouping_id)
{
    size_t j;

    if (!si->camp_cap)
        return 0;
    j = camp_slot(si, camp_key(grouping_id));
    return si->camp_keys[j] ? si->camp_refs[j] : 0;
}

static void camp_remember(struct svc_index *si, const char *grouping_id, uint32_t n_refs)
{
    uint64_t k = camp_key(grouping_id);
    size_t j;

    if ((si->camp_n + 1) * 2 > si->camp_cap) {
        size_t ncap = si->camp_cap ? si->camp_cap * 2 : 64;
        uint64_t *keys = calloc(ncap, sizeof *keys), *okeys = si->camp_keys;
        uint32_t *refs = calloc(ncap, sizeof *refs), *orefs = si->camp_refs;
        size_t ocap = si->camp_cap;
        if (!keys || !refs) {
            free(keys);
            free(refs);
            return; /* forgetting only means the grouping may be rewritten later */
        }
        si->camp_keys = keys;
        si->camp_refs = refs;
        si->camp_cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (okeys[i]) {
                size_t t = camp_slot(si, okeys[i]);
                keys[t] = okeys[i];
                refs[t] = orefs[i];
            }
        free(okeys);
        free(orefs);
    }
    j = camp_slot(si, k);
    if (!si->camp_keys[j])
        si->camp_n++;
    si->camp_keys[j] = k;
    si->camp_refs[j] = n_refs;
}

/* A stored campaign grouping: remember how many reports it lists. */
static void note_campaign(struct svc_index *si, json_t *obj, const char *id)
{
    json_t *meta = json_object_get(obj, "x_mreza_campaign");
    json_t *refs = json_object_get(obj, "object_refs");

    if (json_is_object(meta) && json_is_array(refs))
        camp_remember(si, id, (uint32_t)json_array_size(refs));
}

struct camp_scan {
    struct svc_index *si;
    struct {
        uint32_t obj;
        int64_t when;
    } found[CAMPAIGN_MAX_REFS];
    size_t n;
};

static int camp_collect(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t len)
{
    struct camp_scan *cs = vctx;
    const struct idx_obj *o = idx_obj_at(cs->si->ix, num);

    (void)via;
    (void)key;
    (void)len;
    /* Reports count by their own time (`modified`); observable objects have none
     * and count through the indicators and observed-data that carry them. */
    if ((o->flags & (IDX_F_DEAD | IDX_F_REVOKED)) || !tlp_community_wide(o->tlp) || !o->country[0] ||
        !o->version)
        return 0;
    if (cs->n == CAMPAIGN_MAX_REFS)
        return 1;
    cs->found[cs->n].obj = num;
    cs->found[cs->n].when = o->version;
    cs->n++;
    return 0;
}

/* Is (kind, value) now a regional campaign with more reports than recorded? Then
 * record it. */
static enum mz_err check_campaign(struct svc_index *si, struct store *st, enum obs_kind kind,
                                  const char *value, struct camp_scan *cs, struct campaign *c,
                                  char (*ids)[300], struct mz_error *err)
{
    int64_t newest = INT64_MIN;
    char gid[80];

    cs->n = 0;
    idx_lookup_exact(si->ix, kind, value, strlen(value), camp_collect, cs);
    for (size_t i = 0; i < cs->n; i++)
        if (cs->found[i].when > newest)
            newest = cs->found[i].when;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->value = value;
    c->first_seen = INT64_MAX;
    for (size_t i = 0; i < cs->n; i++) {
        const struct idx_obj *o = idx_obj_at(si->ix, cs->found[i].obj);
        size_t k;
        if (cs->found[i].when < newest - si->campaign_window_us)
            continue;
        idx_obj_id(si->ix, cs->found[i].obj, ids[c->n_refs], 300);
        c->refs[c->n_refs] = ids[c->n_refs];
        c->n_refs++;
        if (cs->found[i].when < c->first_seen)
            c->first_seen = cs->found[i].when;
        if (cs->found[i].when > c->last_seen)
            c->last_seen = cs->found[i].when;
        for (k = 0; k < c->n_countries && memcmp(c->countries[k], o->country, 2); k++)
            ;
        if (k == c->n_countries && k < CAMPAIGN_MAX_COUNTRIES) {
            memcpy(c->countries[k], o->country, 2);
            c->countries[k][2] = '\0';
            c->n_countries++;
        }
    }
    if ((long)c->n_countries < si->campaign_min_countries)
        return MZ_OK;
    campaign_id(kind, value, gid, sizeof gid);
    if (camp_known(si, gid) >= c->n_refs)
        return MZ_OK;
    if (campaign_record(st, c, err))
        return err ? err->code : MZ_EIO;
    camp_remember(si, gid, (uint32_t)c->n_refs);
    return MZ_OK;
}

static enum mz_err detect_campaigns(struct svc_index *si, struct store *st, struct mz_buf *touched,
                                    struct mz_error *err)
{
    struct camp_scan *cs = malloc(sizeof *cs);
    struct campaign *c = malloc(sizeof *c);
    char (*ids)[300] = malloc(CAMPAIGN_MAX_REFS * sizeof *ids);
    enum mz_err rc = MZ_OK;
    char *line = touched->data;

    if (!cs || !c || !ids) {
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto out;
    }
    cs->si = si;
    while (!rc && line && line < touched->data + touched->len) {
        char *nl = memchr(line, '\n', (size_t)(touched->data + touched->len - line));
        char *sp = memchr(line, ' ', (size_t)((nl ? nl : touched->data + touched->len) - line));
        if (!nl || !sp)
            break;
        *nl = '\0';
        rc = check_campaign(si, st, (enum obs_kind)strtol(line, NULL, 10), sp + 1, cs, c, ids, err);
        line = nl + 1;
    }
out:
    free(cs);
    free(c);
    free(ids);
    return rc;
}

static int64_t parse_us(const char *s, int64_t dflt)
{
    struct mz_time t;

    if (!s || mz_time_parse(s, &t))
        return dflt;
    return t.sec * 1000000 + t.nsec / 1000;
}

static int64_t time_us(json_t *v, int64_t dflt)
{
    return parse_us(json_string_value(v), dflt);
}

/* The facts of a row stored with them (observables, plan, validity): its values
 * into c->vals, and - only for groupings (campaigns) and for CANDIDATE/SCAN
 * indicators, whose pattern must be evaluated - the parsed object (*obj_out) and
 * pattern (*pat_out). */
static enum observe_plan row_facts(struct refresh_ctx *c, const struct store_row *row,
                                   json_t **obj_out, struct pattern **pat_out)
{
    enum observe_plan plan = row->match_plan >= 0 ? (enum observe_plan)row->match_plan
                             : row->observables ? OBSERVE_VALUES : OBSERVE_NONE;
    const char *p = row->observables;
    json_error_t je;

    while (p && *p) {
        const char *sp = strchr(p, ' '), *nl = sp ? strchr(sp, '\n') : NULL;
        if (!sp || !nl)
            break;
        if (collect_value(c, (enum obs_kind)strtol(p, NULL, 10), sp + 1, (size_t)(nl - sp - 1)))
            break;
        p = nl + 1;
    }
    if (c->si->campaign_window_us && !strcmp(row->type, "grouping")) {
        *obj_out = json_loadb(row->body, row->body_len, 0, &je);
        if (*obj_out)
            note_campaign(c->si, *obj_out, row->stix_id);
    }
    if (plan == OBSERVE_CANDIDATE || plan == OBSERVE_SCAN) {
        const char *text;
        if (!*obj_out)
            *obj_out = json_loadb(row->body, row->body_len, 0, &je);
        text = json_string_value(json_object_get(*obj_out, "pattern"));
        if (!text || pattern_parse(text, strlen(text), pat_out, NULL))
            return OBSERVE_NONE; /* cannot be confirmed: never reported */
    }
    return plan;
}

/* Index one stored row (rows come in seq order). Of two versions of one owner's
 * object, the one with the later `modified` stays live, whatever the order they
 * arrived in (as the store's `latest`). */
static int index_row(void *vctx, const struct store_row *row)
{
    struct refresh_ctx *c = vctx;
    struct svc_index *si = c->si;
    struct idx_obj_in in;
    struct pattern *pat = NULL;
    enum observe_plan plan;
    json_error_t je;
    json_t *obj;
    uint32_t num = 0, old = 0;
    uint8_t uuid[16];
    size_t slot;
    int found;

    c->n_rows++;
    si->generation = (uint64_t)row->seq;
    c->n_vals = 0;
    c->val_used = 0;
    obj = NULL;
    memset(&in, 0, sizeof in);
    if (row->match_plan != -2) {
        /* The facts kept at write time: no need to parse the object. */
        plan = row_facts(c, row, &obj, &pat);
        in.valid_from = row->valid_from;
        in.valid_until = row->valid_until;
        if (row->revoked)
            in.flags |= IDX_F_REVOKED;
    } else {
        /* stored before those facts were kept: parse it */
        obj = json_loadb(row->body, row->body_len, 0, &je);
        if (!obj)
            return 0; /* stored objects were validated; nothing to index in a bad one */
        if (si->campaign_window_us && !strcmp(row->type, "grouping"))
            note_campaign(si, obj, row->stix_id);
        plan = observe_object(obj, collect_value, c, &pat);
        in.valid_from = time_us(json_object_get(obj, "valid_from"), INT64_MIN);
        in.valid_until = time_us(json_object_get(obj, "valid_until"), INT64_MAX);
        if (json_is_true(json_object_get(obj, "revoked")))
            in.flags |= IDX_F_REVOKED;
    }
    if (plan == OBSERVE_NONE || (plan != OBSERVE_SCAN && c->n_vals == 0))
        goto skip;
    in.stix_id = row->stix_id;
    in.seq = row->seq;
    in.added = parse_us(row->date_added, 0);
    in.version = parse_us(row->version, 0);
    in.owner_org = row->owner_org;
    in.submitter = row->submitter;
    in.tlp = row->tlp;
    in.country = country_of(c, row->owner_org);
    in.audience = row->audience;
    in.flags |= plan == OBSERVE_VALUES ? 0 : IDX_F_DETECT;
    if (plan == OBSERVE_CANDIDATE)
        in.flags |= IDX_F_CANDIDATE;
    if (plan == OBSERVE_SCAN)
        in.flags |= IDX_F_SCAN;
    if (pat)
        in.pattern = json_string_value(json_object_get(obj, "pattern"));
    if ((si->map_n + 1) * 2 > si->map_cap && map_grow(si))
        goto nomem;
    if (idx_add_obj(si->ix, &in, &num, c->err))
        goto fail;
    memcpy(uuid, idx_obj_at(si->ix, num)->uuid, 16);
    slot = map_slot(si, uuid, (int32_t)row->owner_org, &found);
    if (found) {
        old = si->map_vals[slot];
        if (idx_obj_at(si->ix, old)->version > in.version) {
            idx_set_flags(si->ix, num, IDX_F_DEAD); /* an older version, arrived late */
            goto skip;
        }
        idx_set_flags(si->ix, old, IDX_F_DEAD);
        si->map_vals[slot] = num;
    } else {
        si->map_keys[slot] = version_map_key(uuid, (int32_t)row->owner_org);
        si->map_vals[slot] = num;
        si->map_n++;
    }
    for (size_t i = 0; i < c->n_vals; i++) {
        if (idx_add_value(si->ix, num, c->vals[i].kind, c->vals[i].canon, c->vals[i].len, c->err))
            goto fail;
        if (si->campaign_window_us && tlp_community_wide(row->tlp) && in.country && in.country[0] &&
            !(in.flags & IDX_F_REVOKED))
            mz_buf_printf(&c->touched, "%d %s\n", (int)c->vals[i].kind, c->vals[i].canon);
    }
    if (pat && add_pattern(si, num, pat, plan == OBSERVE_SCAN))
        goto nomem;
    json_decref(obj);
    return 0;
skip:
    pattern_free(pat);
    json_decref(obj);
    return 0;
nomem:
    mz_error_set(c->err, MZ_ENOMEM, "", "index: out of memory");
fail:
    pattern_free(pat);
    json_decref(obj);
    c->rc = c->err ? c->err->code : MZ_ENOMEM;
    return 1;
}

/* ---- the refresh pipeline ----
 * A full build reads a million rows: SQLite's stepping and copying of columns takes
 * about a third of it and indexing the rest. With this, a second thread reads the
 * rows into batches (the columns index_row() uses, the body only where it is read)
 * while the calling thread indexes earlier ones. The two do not keep an even pace
 * batch by batch (timed: each waited 0.2-0.4 s for the other in a 1.9 s build with
 * two batches), so a ring of N_BATCHES lets the faster one run ahead (7 interleaved
 * rebuilds of 1M indicators: median 1.66 s against 1.71 s with two). Used when many
 * rows are to come; a refresh of a few new objects reads them directly. */

#define BATCH_ROWS 2048
#define BATCH_BYTES ((size_t)2 << 20)
#define N_BATCHES 8
#define PIPELINE_MIN_ROWS 20000

struct batch {
    struct store_row rows[BATCH_ROWS];
    size_t n;
    char *bytes;          /* the rows' strings */
    size_t used, cap;     /* cap: BATCH_BYTES, or more once a huge object needed it */
};

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch b[N_BATCHES]; /* a ring: the reader fills, the indexer follows */
    int full[N_BATCHES];  /* b[i] is ready to be indexed */
    int fill;             /* the batch the reader fills */
    int done, stop;       /* the reader has finished / the indexer has given up */
    int campaigns;        /* grouping bodies are needed */
    struct store *st;
    struct store_query q;
    struct store_vis vis;
    enum mz_err rc;
    struct mz_error err;
};

/* Does index_row() read this row's body? (row_facts(), and the legacy path) */
static int body_needed(const struct pipeline *pl, const struct store_row *row)
{
    return row->match_plan == -2 || row->match_plan == OBSERVE_CANDIDATE ||
           row->match_plan == OBSERVE_SCAN || (pl->campaigns && !strcmp(row->type, "grouping"));
}

static const char *keep_str(struct batch *b, const char *s, size_t len)
{
    char *p = b->bytes + b->used;

    if (!s)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

/* Hand the reader's batch over and wait for the next one to be free. 1 to stop. */
static int pipeline_flush(struct pipeline *pl)
{
    int next = (pl->fill + 1) % N_BATCHES, stop;

    pthread_mutex_lock(&pl->mu);
    pl->full[pl->fill] = 1;
    pthread_cond_broadcast(&pl->cv);
    while (pl->full[next] && !pl->stop)
        pthread_cond_wait(&pl->cv, &pl->mu);
    pl->fill = next;
    stop = pl->stop;
    pthread_mutex_unlock(&pl->mu);
    pl->b[next].n = 0;
    pl->b[next].used = 0;
    return stop;
}

static int pipeline_row(void *vctx, const struct store_row *row)
{
    struct pipeline *pl = vctx;
    struct batch *b = &pl->b[pl->fill];
    int body = body_needed(pl, row);
    size_t need = strlen(row->stix_id) + strlen(row->type) + strlen(row->version) +
                  strlen(row->date_added) + (row->audience ? strlen(row->audience) : 0) +
                  (row->observables ? strlen(row->observables) : 0) + (body ? row->body_len : 0) + 8;
    struct store_row *r;

    if (b->n == BATCH_ROWS || (b->n && b->used + need > b->cap)) {
        if (pipeline_flush(pl))
            return 1;
        b = &pl->b[pl->fill];
    }
    if (need > b->cap) {
        /* a huge object: the batch (empty now: no row points into it) grows for it */
        char *big = realloc(b->bytes, need);
        if (!big) {
            pl->rc = mz_error_set(&pl->err, MZ_ENOMEM, "", "out of memory");
            return 1;
        }
        b->bytes = big;
        b->cap = need;
    }
    r = &b->rows[b->n++];
    *r = *row;
    r->stix_id = keep_str(b, row->stix_id, strlen(row->stix_id));
    r->type = keep_str(b, row->type, strlen(row->type));
    r->version = keep_str(b, row->version, strlen(row->version));
    r->date_added = keep_str(b, row->date_added, strlen(row->date_added));
    r->created_by = NULL; /* index_row() does not read it */
    r->audience = keep_str(b, row->audience, row->audience ? strlen(row->audience) : 0);
    r->observables = keep_str(b, row->observables, row->observables ? strlen(row->observables) : 0);
    r->body = body ? keep_str(b, row->body, row->body_len) : "";
    r->body_len = body ? row->body_len : 0;
    return 0;
}

static void *pipeline_reader(void *arg)
{
    struct pipeline *pl = arg;
    enum mz_err rc = store_list(pl->st, &pl->vis, &pl->q, pipeline_row, pl, NULL, &pl->err);

    pthread_mutex_lock(&pl->mu);
    if (rc && !pl->rc)
        pl->rc = rc;
    if (pl->b[pl->fill].n)
        pl->full[pl->fill] = 1;
    pl->done = 1;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* store_list(..., index_row, c) with the reading in a thread of its own. */
static enum mz_err refresh_pipelined(struct refresh_ctx *c, struct store *st,
                                     const struct store_vis *vis, const struct store_query *q,
                                     struct mz_error *err)
{
    struct pipeline *pl = calloc(1, sizeof *pl);
    pthread_t reader;
    int cur = 0;
    enum mz_err rc;

    int ok = pl != NULL;

    for (int i = 0; ok && i < N_BATCHES; i++) {
        ok = (pl->b[i].bytes = malloc(BATCH_BYTES)) != NULL;
        pl->b[i].cap = BATCH_BYTES;
    }
    if (!ok) {
        for (int i = 0; pl && i < N_BATCHES; i++)
            free(pl->b[i].bytes);
        free(pl);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    pl->st = st;
    pl->q = *q;
    pl->vis = *vis;
    pl->campaigns = c->si->campaign_window_us != 0;
    mz_error_clear(&pl->err);
    if (pthread_create(&reader, NULL, pipeline_reader, pl) != 0) {
        rc = store_list(st, vis, q, index_row, c, NULL, err); /* no thread: read in line */
        goto out;
    }
    for (;;) {
        struct batch *b;
        int failed = 0;
        pthread_mutex_lock(&pl->mu);
        while (!pl->full[cur] && !pl->done)
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (!pl->full[cur]) {
            pthread_mutex_unlock(&pl->mu);
            break; /* the reader is done and nothing is left */
        }
        pthread_mutex_unlock(&pl->mu);
        b = &pl->b[cur];
        for (size_t i = 0; i < b->n && !failed; i++)
            failed = index_row(c, &b->rows[i]);
        pthread_mutex_lock(&pl->mu);
        pl->full[cur] = 0;
        if (failed)
            pl->stop = 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        if (failed)
            break;
        cur = (cur + 1) % N_BATCHES;
    }
    pthread_join(reader, NULL);
    rc = pl->rc;
    if (rc)
        *err = pl->err;
out:
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
    for (int i = 0; i < N_BATCHES; i++)
        free(pl->b[i].bytes);
    free(pl);
    return rc;
}

/* Before the first (full) build: room for every stored object, so that the index
 * and the version map are sized once instead of doubling (and rehashing) twenty
 * times. The store's highest sequence number bounds the rows to come. */
static enum mz_err reserve_for_store(struct svc_index *si, int64_t n, struct mz_error *err)
{
    enum mz_err rc;

    if (n <= 0)
        return MZ_OK;
    rc = idx_reserve(si->ix, (uint64_t)n, (uint64_t)n, (uint64_t)n * 24, err);
    while (!rc && si->map_cap < (size_t)n * 2)
        if (map_grow(si))
            rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    return rc;
}

enum mz_err svc_index_refresh(struct svc_index *si, struct store *st, size_t *n_out,
                              struct mz_error *err)
{
    struct refresh_ctx *c = calloc(1, sizeof *c);
    struct store_query q;
    struct store_vis all;
    int64_t max_seq = 0;
    enum mz_err rc;

    if (!c)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (si->frozen) {
        free(c);
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "index: a snapshot opened for matching is not refreshed");
    }
    c->si = si;
    c->err = err;
    mz_buf_init(&c->touched, (size_t)1 << 30);
    c->val_cap = 64 * (OBS_MAX_LEN + 1);
    c->val_buf = malloc(c->val_cap);
    if (!c->val_buf) {
        free(c);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    rc = store_org_list(st, remember_org, c, err);
    memset(&q, 0, sizeof q);
    q.tlp = -1;
    q.all_versions = 1;
    q.order = STORE_ORDER_ADDED;
    /* Indexing is no read on anyone's behalf: the index keeps every object with its
     * TLP facts, and tlp_can_read() filters each answer. */
    tlp_visibility_internal(&all);
    pthread_rwlock_wrlock(&si->lock);
    q.after_seq = (int64_t)si->generation;
    if (!rc)
        rc = store_max_seq(st, &max_seq, err);
    if (!rc && si->generation == 0)
        rc = reserve_for_store(si, max_seq, err);
    if (!rc && max_seq - (int64_t)si->generation >= PIPELINE_MIN_ROWS)
        rc = refresh_pipelined(c, st, &all, &q, err);
    else if (!rc)
        rc = store_list(st, &all, &q, index_row, c, NULL, err);
    if (!rc)
        rc = c->rc;
    if (!rc && c->touched.len)
        rc = detect_campaigns(si, st, &c->touched, err);
    pthread_rwlock_unlock(&si->lock);
    if (n_out)
        *n_out = c->n_rows;
    mz_buf_free(&c->touched);
    free(c->val_buf);
    free(c);
    return rc;
}

/* ---- snapshots ---- */

enum mz_err svc_index_save(struct svc_index *si, const char *path, struct mz_error *err)
{
    enum mz_err rc;

    struct hot *built = NULL;
    void *blob = NULL;
    size_t n_blob = 0;

    pthread_rwlock_rdlock(&si->lock);
    /* the prefilter goes into the snapshot, so that `mreza match` maps it too */
    rc = si->hot ? MZ_OK : hot_build(si->ix, &built, err);
    if (!rc)
        rc = hot_save(si->hot ? si->hot : built, &blob, &n_blob, err);
    if (!rc)
        rc = idx_save(si->ix, path, si->generation, blob, n_blob, err);
    pthread_rwlock_unlock(&si->lock);
    hot_free(built);
    free(blob);
    return rc;
}

/* After mapping a snapshot: parse the patterns of CANDIDATE and SCAN objects. */
static enum mz_err load_patterns(struct svc_index *si, struct mz_error *err)
{
    uint32_t n = idx_n_objs(si->ix);

    for (uint32_t i = 0; i < n; i++) {
        const struct idx_obj *o = idx_obj_at(si->ix, i);
        const char *text;
        struct pattern *p = NULL;
        if (!(o->flags & (IDX_F_CANDIDATE | IDX_F_SCAN)) || (o->flags & IDX_F_DEAD))
            continue;
        text = idx_obj_pattern(si->ix, i);
        if (!text || pattern_parse(text, strlen(text), &p, NULL))
            continue; /* cannot be confirmed: never reported */
        if (add_pattern(si, i, p, (o->flags & IDX_F_SCAN) != 0)) {
            pattern_free(p);
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        }
    }
    return MZ_OK;
}

static double secs_between(const struct mz_time *a, const struct mz_time *b)
{
    return (double)(b->sec - a->sec) + (double)(b->nsec - a->nsec) / 1e9;
}

/* Make si read-only for its matchers, with a prefilter unless some pattern has to be
 * evaluated on every value anyway (n_scan > 0: a "no" would then not be certain). */
static enum mz_err freeze(struct svc_index *si, int *built, struct mz_error *err)
{
    struct mz_error lerr;
    size_t n_blob = 0;
    const void *blob = idx_extra(si->ix, &n_blob);

    si->frozen = 1;
    *built = 0;
    if (si->n_scan > 0 || si->hot)
        return MZ_OK;
    mz_error_clear(&lerr);
    if (blob && !hot_view(blob, n_blob, &si->hot, &lerr))
        return MZ_OK;
    *built = 1;
    return hot_build(si->ix, &si->hot, err);
}

enum mz_err svc_index_open_snapshot(struct store *st, const char *path, struct svc_index **out,
                                    char *how_out, size_t how_cap, struct mz_error *err)
{
    struct svc_index *si = NULL;
    struct idx *ix = NULL;
    struct mz_error lerr;
    uint64_t gen = 0;
    int64_t current = 0;
    int built = 0, stale;
    struct mz_time t0, t1, t2;
    enum mz_err rc = store_max_seq(st, &current, err);

    if (rc)
        return rc;
    mz_error_clear(&lerr);
    if (!idx_load(path, &ix, &gen, &lerr) && gen == (uint64_t)current) {
        si = calloc(1, sizeof *si);
        if (!si) {
            idx_free(ix);
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        }
        pthread_rwlock_init(&si->lock, NULL);
        si->ix = ix;
        si->generation = gen;
        rc = load_patterns(si, err);
        if (rc) {
            svc_index_free(si);
            return rc;
        }
        if (how_out)
            snprintf(how_out, how_cap, "snapshot");
        rc = freeze(si, &built, err);
        /* a snapshot without a usable prefilter (an older mreza wrote it) gets one */
        if (!rc && built)
            rc = svc_index_save(si, path, err);
        if (rc) {
            svc_index_free(si);
            return rc;
        }
        *out = si;
        return MZ_OK;
    }
    stale = ix != NULL;
    idx_free(ix);
    mz_time_now(&t0);
    rc = svc_index_new(&si, err);
    if (!rc)
        rc = svc_index_refresh(si, st, NULL, err);
    /* the prefilter, built once: saved with the snapshot and used by the matchers */
    if (!rc && si->n_scan == 0)
        rc = hot_build(si->ix, &si->hot, err);
    mz_time_now(&t1);
    if (!rc)
        rc = svc_index_save(si, path, err);
    mz_time_now(&t2);
    if (how_out)
        snprintf(how_out, how_cap, "rebuilt (%s): built in %.3f s, snapshot written in %.3f s",
                 stale ? "the snapshot was older than the store" : lerr.msg, secs_between(&t0, &t1),
                 secs_between(&t1, &t2));
    if (!rc)
        rc = freeze(si, &built, err);
    if (rc) {
        svc_index_free(si);
        return rc;
    }
    *out = si;
    return MZ_OK;
}

/* ---- matching ---- */

#define MAX_SEEN 64

struct canon_value {
    const char *field;
    enum obs_kind kind;
    char *text;           /* in the matcher's text buffer */
    size_t len;
};

struct svc_matcher {
    struct svc_index *si;
    struct principal p;
    int64_t now;
    struct canon_value vals[SVC_MATCH_MAX_VALUES + 1]; /* the observation, canonical */
    struct pattern_value pvals[SVC_MATCH_MAX_VALUES + 1];
    char text[SVC_MATCH_MAX_VALUES + 1][OBS_MAX_LEN + 1];
    char host_text[OBS_MAX_LEN + 1];
    size_t n_vals;
    const struct canon_value *cur; /* the value being looked up */
    uint32_t seen[MAX_SEEN];       /* objects already reported for cur */
    size_t n_seen;
    svc_hit_fn fn;
    void *ctx;
    size_t n_hits;
    int stop;
};

enum mz_err svc_matcher_new(struct svc_index *si, const struct principal *p,
                            struct svc_matcher **out, struct mz_error *err)
{
    struct svc_matcher *m = calloc(1, sizeof *m);

    if (!m)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    m->si = si;
    m->p = *p;
    for (size_t i = 0; i <= SVC_MATCH_MAX_VALUES; i++)
        m->vals[i].text = m->text[i];
    *out = m;
    return MZ_OK;
}

void svc_matcher_free(struct svc_matcher *m)
{
    free(m);
}

/* The TLP facts of indexed object num, for tlp.c's rules. */
static void obj_meta(const struct svc_index *si, uint32_t num, struct tlp_meta *meta)
{
    const struct idx_obj *o = idx_obj_at(si->ix, num);

    meta->tlp = o->tlp;
    meta->owner_org = o->owner_org;
    meta->submitter = o->submitter;
    meta->audience = idx_obj_audience(si->ix, num);
}

/* Is object o a detection that p may see, live at now? */
static int reportable(const struct svc_matcher *m, uint32_t num)
{
    const struct idx_obj *o = idx_obj_at(m->si->ix, num);
    struct tlp_meta meta;

    if (!(o->flags & IDX_F_DETECT) || (o->flags & (IDX_F_DEAD | IDX_F_REVOKED)))
        return 0;
    if (m->now < o->valid_from || m->now >= o->valid_until)
        return 0;
    obj_meta(m->si, num, &meta);
    return tlp_can_read(&m->p, &meta);
}

static int emit_hit(struct svc_matcher *m, uint32_t num, enum idx_via via, const char *key,
                    size_t key_len)
{
    char id[300], matched[OBS_MAX_LEN + 1];
    struct svc_hit h;

    for (size_t i = 0; i < m->n_seen; i++)
        if (m->seen[i] == num)
            return 0;
    if (m->n_seen < MAX_SEEN)
        m->seen[m->n_seen++] = num;
    idx_obj_id(m->si->ix, num, id, sizeof id);
    if (key_len > OBS_MAX_LEN)
        key_len = OBS_MAX_LEN;
    memcpy(matched, key, key_len);
    matched[key_len] = '\0';
    h.field = m->cur->field;
    h.value = m->cur->text;
    h.kind = m->cur->kind;
    h.via = via;
    h.indicator = id;
    h.matched = key_len ? matched : m->cur->text;
    {
        struct tlp_meta meta;
        obj_meta(m->si, num, &meta);
        h.owner_org = meta.owner_org;
        h.submitter = meta.submitter;
        h.sighting_tlp = tlp_sighting_level(&meta, &m->p);
    }
    m->n_hits++;
    if (m->fn(m->ctx, &h))
        m->stop = 1;
    return m->stop;
}

static int on_index_hit(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t key_len)
{
    struct svc_matcher *m = vctx;
    const struct idx_obj *o = idx_obj_at(m->si->ix, num);

    if (!reportable(m, num))
        return 0;
    if (o->flags & IDX_F_CANDIDATE) {
        const struct pattern *pat = pattern_of(m->si, num);
        if (!pat || !pattern_eval(pat, m->pvals, m->n_vals, NULL))
            return 0;
    }
    return emit_hit(m, num, via, key, key_len);
}

/* The host of a canonical URL as a domain or address value, if any. */
static int url_host(const char *url, size_t len, struct canon_value *out)
{
    const char *p = memchr(url, ':', len), *end = url + len, *h, *q;
    enum obs_kind k = OBS_DOMAIN;

    if (!p || end - p < 3 || p[1] != '/' || p[2] != '/')
        return 0;
    h = p + 3;
    for (q = h; q < end && *q != '/' && *q != '?'; q++)
        if (*q == '@')
            h = q + 1;
    for (q = h; q < end && *q != '/' && *q != '?' && *q != ':'; q++)
        if (*q == '[')
            return 0; /* IPv6 literal hosts: looked up as the URL only */
    if (q == h)
        return 0;
    if (obs_normalize(OBS_IPV4, h, (size_t)(q - h), out->text, OBS_MAX_LEN + 1, &out->len, NULL, &k, NULL)) {
        k = OBS_DOMAIN;
        if (obs_normalize(OBS_DOMAIN, h, (size_t)(q - h), out->text, OBS_MAX_LEN + 1, &out->len, NULL, &k, NULL))
            return 0;
    }
    out->kind = k;
    return 1;
}

/* Log values are mostly in canonical form already. Recognise the common ones -
 * a strict dotted quad, a lower-case ASCII domain, lower-case hex of a hash length -
 * in one pass, so that they skip obs_guess_kind() + obs_normalize() (which would
 * return them unchanged). Anything else takes the full path. */
static int fast_canonical(const char *s, size_t n, enum obs_kind *kind)
{
    size_t i, label = 0, dots = 0, hex = 0, digits_dots = 0;
    int last_alpha = 1;

    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
            hex++;
        if ((c >= '0' && c <= '9') || c == '.')
            digits_dots++;
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            dots++;
            label = 0;
            last_alpha = 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
        if ((c == '-' && label == 0) || ++label > 63)
            return 0;
        if (!(c >= 'a' && c <= 'z'))
            last_alpha = 0;
    }
    if (hex == n && (n == 32 || n == 40 || n == 64 || n == 128)) {
        *kind = n == 32 ? OBS_MD5 : n == 40 ? OBS_SHA1 : n == 64 ? OBS_SHA256 : OBS_SHA512;
        return 1;
    }
    if (digits_dots == n && dots == 3) {
        uint32_t a;
        if (!obs_ipv4_quad(s, n, &a))
            return 0;
        *kind = OBS_IPV4;
        return 1;
    }
    if (dots >= 1 && label > 0 && s[n - 1] != '-' && last_alpha && label >= 2) {
        *kind = OBS_DOMAIN;
        return 1;
    }
    return 0;
}

/* 1 if s cannot be any observable kind that is guessed (no "://", no '@', and
 * neither an IPv6 literal - only hex digits, ':' and '.' - nor a dotted name of
 * domain characters, nor a hash-length run of hex): timestamps, methods, actions,
 * counters. One pass, so that such log values cost almost nothing. */
static int cheap_reject(const char *s, size_t n)
{
    int colon = 0, dot = 0, at = 0, non_v6 = 0, non_dom = 0, non_hex = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int hexd = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        int alnum = hexd || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z');
        if (c == ':') {
            colon = 1;
            if (i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/')
                return 0; /* a URL */
        } else if (c == '.') {
            dot = 1;
        } else if (c == '@') {
            at = 1;
        }
        non_hex |= !hexd;
        non_v6 |= !(hexd || c == ':' || c == '.');
        non_dom |= !(alnum || c == '-' || c == '_' || c == '.' || c >= 0x80); /* IDN */
    }
    if (at)
        return 0;
    if (colon)
        return non_v6;
    if (!non_hex && (n == 32 || n == 40 || n == 64 || n == 128))
        return 0;
    return !dot || non_dom;
}

/* ---- the prefilter (engine/prefilter.c decides; this binds it to the index) ---- */

int svc_prefilter_on(const struct svc_index *si)
{
    return si->hot != NULL;
}

void svc_prefilter_reset(struct hot_probes *ps)
{
    ps->n = 0;
    ps->maybe = 0;
}

void svc_prefilter_add(const struct svc_index *si, struct hot_probes *ps, const char *v, size_t n,
                       int hint)
{
    if (!si->hot || prefilter_value(si->hot, v, n, hint, ps))
        ps->maybe = 1;
}

void svc_prefilter_add_values(const struct svc_index *si, struct hot_probes *ps, const struct jscan_value *v, size_t n)
{
    if (!si->hot)
        ps->maybe = 1;
    else
        prefilter_values_classed(si->hot, v, n, ps);
}

int svc_prefilter_maybe(const struct svc_index *si, const struct hot_probes *ps)
{
    return !si->hot || hot_probes_maybe(si->hot, ps);
}

size_t svc_match_observation(struct svc_matcher *m, const struct svc_obs_value *values,
                             size_t n, int64_t now_us, svc_hit_fn fn, void *ctx)
{
    struct svc_index *si = m->si;
    size_t n_in = n < SVC_MATCH_MAX_VALUES ? n : SVC_MATCH_MAX_VALUES;

    m->n_vals = 0;
    for (size_t i = 0; i < n_in; i++) {
        struct canon_value *v = &m->vals[m->n_vals];
        enum obs_kind fast;
        int k;
        enum obs_kind real;
        if (fast_canonical(values[i].value, values[i].len, &fast) &&
            (values[i].kind_hint < 0 || values[i].kind_hint == (int)fast)) {
            memcpy(v->text, values[i].value, values[i].len);
            v->text[values[i].len] = '\0';
            v->len = values[i].len;
            real = fast;
            goto canonical;
        }
        if (values[i].kind_hint < 0 && cheap_reject(values[i].value, values[i].len))
            continue;
        k = values[i].kind_hint >= 0 ? values[i].kind_hint : obs_guess_kind(values[i].value, values[i].len);
        if (k < 0)
            continue;
        real = (enum obs_kind)k;
        if (obs_normalize((enum obs_kind)k, values[i].value, values[i].len, v->text,
                          OBS_MAX_LEN + 1, &v->len, NULL, &real, NULL))
            continue;
    canonical:
        v->kind = real;
        v->field = values[i].field;
        obs_path_of_kind(real, &m->pvals[m->n_vals].object_type, &m->pvals[m->n_vals].path);
        m->pvals[m->n_vals].value = v->text;
        m->n_vals++;
    }
    m->now = now_us;
    m->fn = fn;
    m->ctx = ctx;
    m->n_hits = 0;
    m->stop = 0;
    read_lock(si);
    /* start every value's Bloom-word load before the first lookup waits on one */
    for (size_t i = 0; i < m->n_vals; i++)
        idx_prefetch(si->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len);
    for (size_t i = 0; i < m->n_vals && !m->stop; i++) {
        struct canon_value host;
        m->cur = &m->vals[i];
        m->n_seen = 0;
        idx_lookup(si->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len, on_index_hit, m);
        host.text = m->host_text;
        if (m->vals[i].kind == OBS_URL && !m->stop && url_host(m->vals[i].text, m->vals[i].len, &host)) {
            host.field = m->vals[i].field;
            m->cur = &host;
            idx_lookup(si->ix, host.kind, host.text, host.len, on_index_hit, m);
        }
        /* patterns without an index key: evaluated on each value */
        for (size_t s = 0; s < si->n_scan && !m->stop; s++) {
            uint32_t num = si->scan_objs[s];
            const struct pattern *pat = pattern_of(si, num);
            m->cur = &m->vals[i];
            if (pat && reportable(m, num) && pattern_eval(pat, &m->pvals[i], 1, NULL))
                emit_hit(m, num, IDX_VIA_EXACT, "", 0);
        }
    }
    read_unlock(si);
    return m->n_hits;
}

/* ---- correlation ---- */

struct corr_ctx {
    struct svc_index *si;
    const struct principal *p;
    const char *value;
    enum obs_kind kind;
    svc_related_fn fn;
    void *ctx;
    size_t n;
};

static int on_corr_hit(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t key_len)
{
    struct corr_ctx *c = vctx;
    const struct idx_obj *o = idx_obj_at(c->si->ix, num);
    struct tlp_meta meta;
    struct svc_related r;
    char id[300];

    (void)via;
    (void)key;
    (void)key_len;
    if (o->flags & IDX_F_DEAD)
        return 0;
    obj_meta(c->si, num, &meta);
    if (!tlp_can_read(c->p, &meta))
        return 0;
    idx_obj_id(c->si->ix, num, id, sizeof id);
    r.id = id;
    r.value = c->value;
    r.kind = c->kind;
    r.tlp = o->tlp;
    c->n++;
    return c->fn(c->ctx, &r);
}

size_t svc_correlate_value(struct svc_index *si, const struct principal *p, int kind_hint,
                           const char *value, size_t len, svc_related_fn fn, void *ctx)
{
    char canon[OBS_MAX_LEN + 1];
    size_t clen;
    int k = kind_hint >= 0 ? kind_hint : obs_guess_kind(value, len);
    enum obs_kind real;
    struct corr_ctx c;

    if (k < 0)
        return 0;
    real = (enum obs_kind)k;
    if (obs_normalize((enum obs_kind)k, value, len, canon, sizeof canon, &clen, NULL, &real, NULL))
        return 0;
    c.si = si;
    c.p = p;
    c.value = canon;
    c.kind = real;
    c.fn = fn;
    c.ctx = ctx;
    c.n = 0;
    read_lock(si);
    idx_lookup_exact(si->ix, real, canon, clen, on_corr_hit, &c);
    read_unlock(si);
    return c.n;
}

void svc_index_stats(struct svc_index *si, struct svc_index_stats *out)
{
    pthread_rwlock_rdlock(&si->lock);
    idx_stats(si->ix, &out->idx);
    out->n_candidate = si->n_pats - si->n_scan;
    out->n_scan = si->n_scan;
    pthread_rwlock_unlock(&si->lock);
}
