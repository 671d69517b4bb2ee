/* engine/engine_refresh.c - keeping the index in step with the store: every object
 * the store gained since the last refresh (all of them the first time) is read and
 * indexed; a new version retires the one before it (engine_versions.c); the patterns
 * of CANDIDATE and SCAN indicators are parsed and kept (engine.c); the values of new
 * community-visible objects are checked for regional campaigns (engine_campaign.c).
 *
 * The facts the index needs were computed when each object was validated and are
 * stored beside it (observables, match plan, validity), so rows are indexed without
 * parsing their JSON, except the bodies of CANDIDATE/SCAN indicators (their pattern)
 * and of groupings (campaigns), and rows stored before those facts were kept. */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/observe.h"
#include "util/timefmt.h"

#define MAX_ORGS_CACHED 4096

struct org_country {
    int64_t id;
    char country[3];
};

struct refresh_ctx {
    struct engine *e;
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
    if (c->e->campaign_window_us && !strcmp(row->type, "grouping")) {
        *obj_out = json_loadb(row->body, row->body_len, 0, &je);
        if (*obj_out)
            engine_campaign_note(c->e, *obj_out, row->stix_id);
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
    struct engine *e = c->e;
    struct idx_obj_in in;
    struct pattern *pat = NULL;
    enum observe_plan plan;
    json_error_t je;
    json_t *obj;
    uint32_t num, old = 0;
    uint8_t uuid[16];
    size_t slot;
    int found;

    c->n_rows++;
    e->generation = (uint64_t)row->seq;
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
        if (e->campaign_window_us && !strcmp(row->type, "grouping"))
            engine_campaign_note(e, obj, row->stix_id);
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
    if ((e->map_n + 1) * 2 > e->map_cap && engine_versions_grow(e))
        goto nomem;
    if (idx_add_obj(e->ix, &in, &num, c->err))
        goto fail;
    memcpy(uuid, idx_obj_at(e->ix, num)->uuid, 16);
    slot = engine_versions_slot(e, uuid, (int32_t)row->owner_org, &found);
    if (found) {
        old = e->map_vals[slot];
        if (idx_obj_at(e->ix, old)->version > in.version) {
            idx_set_flags(e->ix, num, IDX_F_DEAD); /* an older version, arrived late */
            goto skip;
        }
        idx_set_flags(e->ix, old, IDX_F_DEAD);
        e->map_vals[slot] = num;
    } else {
        e->map_keys[slot] = engine_versions_key(uuid, (int32_t)row->owner_org);
        e->map_vals[slot] = num;
        e->map_n++;
    }
    for (size_t i = 0; i < c->n_vals; i++) {
        if (idx_add_value(e->ix, num, c->vals[i].kind, c->vals[i].canon, c->vals[i].len, c->err))
            goto fail;
        if (e->campaign_window_us && tlp_community_wide(row->tlp) && in.country && in.country[0] &&
            !(in.flags & IDX_F_REVOKED))
            mz_buf_printf(&c->touched, "%d %s\n", (int)c->vals[i].kind, c->vals[i].canon);
    }
    if (pat && engine_pattern_add(e, num, pat, plan == OBSERVE_SCAN))
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
    pl->campaigns = c->e->campaign_window_us != 0;
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
static enum mz_err reserve_for_store(struct engine *e, int64_t n, struct mz_error *err)
{
    enum mz_err rc;

    if (n <= 0)
        return MZ_OK;
    rc = idx_reserve(e->ix, (uint64_t)n, (uint64_t)n, (uint64_t)n * 24, err);
    while (!rc && e->map_cap < (size_t)n * 2)
        if (engine_versions_grow(e))
            rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    return rc;
}

enum mz_err engine_refresh(struct engine *e, struct store *st, size_t *n_out,
                              struct mz_error *err)
{
    struct refresh_ctx *c = calloc(1, sizeof *c);
    struct store_query q;
    struct store_vis all;
    int64_t max_seq = 0;
    enum mz_err rc;

    if (!c)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (e->frozen) {
        free(c);
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "index: a snapshot opened for matching is not refreshed");
    }
    c->e = e;
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
    pthread_rwlock_wrlock(&e->lock);
    q.after_seq = (int64_t)e->generation;
    if (!rc)
        rc = store_max_seq(st, &max_seq, err);
    if (!rc && e->generation == 0)
        rc = reserve_for_store(e, max_seq, err);
    if (!rc && max_seq - (int64_t)e->generation >= PIPELINE_MIN_ROWS)
        rc = refresh_pipelined(c, st, &all, &q, err);
    else if (!rc)
        rc = store_list(st, &all, &q, index_row, c, NULL, err);
    if (!rc)
        rc = c->rc;
    if (!rc && c->touched.len)
        rc = engine_campaign_detect(e, st, &c->touched, err);
    pthread_rwlock_unlock(&e->lock);
    if (n_out)
        *n_out = c->n_rows;
    mz_buf_free(&c->touched);
    free(c->val_buf);
    free(c);
    return rc;
}

