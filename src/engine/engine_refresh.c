/* engine/engine_refresh.c - keeping the index in step with the store: every object
 * the store gained since the last refresh (all of them the first time) is read and
 * indexed; a new version retires the one before it (engine_versions.c); the patterns
 * of CANDIDATE and SCAN indicators are parsed and kept (engine.c); the values of new
 * community-visible objects are checked for campaigns in the communities they are
 * shared into (engine_campaign.c), which are returned to the caller, never written
 * here: the engine only reads the store. A report shared into a community later
 * counts there the next time its value is touched (a new report of it).
 *
 * The facts the index needs were computed when each object was validated and are
 * stored beside it (observables, match plan, validity), so rows are indexed without
 * parsing their JSON, except the bodies of CANDIDATE/SCAN indicators (their pattern)
 * and of groupings (campaigns), and rows stored before those facts were kept.
 *
 * Locking: rows are copied out of SQLite into batches (struct batch) and each batch
 * is made ready to index - values split out, patterns and bodies parsed, organisation
 * countries looked up - with no lock held (prepare_row). Only then is the write lock
 * taken, for adding the batch's rows to the index (apply_row: hash-table inserts and
 * flag changes, a few milliseconds for 2048 rows), and released before the next batch
 * is read. So a match or a correlation never waits for SQLite (whose reads may wait
 * for the disk, and whose writes were once made from here: campaign groupings), only
 * for the additions of one batch. */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/observe.h"
#include "util/timefmt.h"

#define MAX_ORGS_CACHED 4096
#define MAX_OBJ_VALUES 64   /* an object with more values is indexed by its first ones */
#define MAX_OBJ_VALUE_BYTES ((size_t)MAX_OBJ_VALUES * (OBS_MAX_LEN + 1))

/* ---- batches ----
 * A full build reads a million rows: SQLite's stepping and copying of columns takes
 * about a third of it and indexing the rest. With a pipeline, a second thread reads the
 * rows into batches (the columns the index uses, the body only where it is read)
 * while the calling thread indexes earlier ones. The two do not keep an even pace
 * batch by batch (timed: each waited 0.2-0.4 s for the other in a 1.9 s build with
 * two batches), so a ring of N_BATCHES lets the faster one run ahead (7 interleaved
 * rebuilds of 1M indicators: median 1.66 s against 1.71 s with two). Used when many
 * rows are to come; a refresh of a few new objects fills one batch in line. */

#define BATCH_ROWS 2048
#define BATCH_BYTES ((size_t)2 << 20)
#define N_BATCHES 8
#define PIPELINE_MIN_ROWS 20000

/* One canonical value of a prepared row (not NUL-terminated). */
struct pvalue {
    const char *p;
    uint32_t len;
    uint32_t kind;
};

/* A row made ready to index. What it points to lives as long as its batch. */
struct prepared {
    struct idx_obj_in in;    /* strings: the batch's bytes, obj, or NULL */
    struct pattern *pat;     /* parsed CANDIDATE/SCAN pattern: the engine's once added */
    json_t *obj;             /* the parsed body, when kept (in.pattern points into it) */
    char *own;               /* the values of a row stored without its facts (copies) */
    uint32_t first, n_vals;  /* its values: batch vals[first .. first + n_vals) */
    enum observe_plan plan;
    int index;               /* 0: nothing to index (the generation moves on all the same) */
};

struct batch {
    struct store_row rows[BATCH_ROWS];
    struct prepared prep[BATCH_ROWS];
    size_t n;
    char *bytes;             /* the rows' strings */
    size_t used, cap;        /* cap: BATCH_BYTES, or more once a huge object needed it */
    struct pvalue *vals;     /* the values of every prepared row */
    size_t n_vals, cap_vals;
};

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
    /* a legacy row's values as observe_object() reports them, copied */
    char *val_buf;
    size_t val_used;
    size_t n_legacy;
    struct pvalue legacy[MAX_OBJ_VALUES];
    /* values of new community-visible objects, and the communities they are in, to
     * check for campaigns: "k comm value\n" */
    struct mz_buf touched;
    /* the ids that new tombstones name (withdrawals, restores): "id\n" each, an id
     * as often as it has new tombstones (apply_ids reads each once) */
    struct mz_buf withdrawn;
    /* the values of their community-visible versions, and the communities those are
     * in, to check their campaigns again (R11.6): "k comm value\n" */
    struct mz_buf wd_touched;
    /* the ids that new share records name (issue 11): "id\n" each */
    struct mz_buf shared;
    /* A build (the first refresh) reads every row after the tombstones up to
     * noted_upto were written: the rows already say who keeps each version (apply_row
     * notes row->wd_keep), so those tombstones need no second reading. */
    int build;
    int64_t noted_upto;
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

/* Append a value to the batch for the row being prepared. 1 when the row has all
 * the values it may have, -1 when out of memory. */
static int push_value(struct batch *b, struct prepared *pr, size_t *bytes, enum obs_kind k, const char *p,
                      size_t len)
{
    if (pr->n_vals == MAX_OBJ_VALUES || *bytes + len + 1 > MAX_OBJ_VALUE_BYTES)
        return 1;
    if (b->n_vals == b->cap_vals) {
        size_t ncap = b->cap_vals ? b->cap_vals * 2 : 4096;
        struct pvalue *v = realloc(b->vals, ncap * sizeof *v);
        if (!v)
            return -1;
        b->vals = v;
        b->cap_vals = ncap;
    }
    b->vals[b->n_vals].p = p;
    b->vals[b->n_vals].len = (uint32_t)len;
    b->vals[b->n_vals].kind = (uint32_t)k;
    b->n_vals++;
    pr->n_vals++;
    *bytes += len + 1;
    return 0;
}

/* observe_object()'s callback for a legacy row: copy the value (borrowed). */
static int collect_legacy(void *vctx, enum obs_kind k, const char *canon, size_t len)
{
    struct refresh_ctx *c = vctx;

    if (c->n_legacy == MAX_OBJ_VALUES || c->val_used + len + 1 > MAX_OBJ_VALUE_BYTES)
        return 1;
    memcpy(c->val_buf + c->val_used, canon, len);
    c->val_buf[c->val_used + len] = '\0';
    c->legacy[c->n_legacy].p = c->val_buf + c->val_used; /* made relative below */
    c->legacy[c->n_legacy].len = (uint32_t)len;
    c->legacy[c->n_legacy].kind = (uint32_t)k;
    c->val_used += len + 1;
    c->n_legacy++;
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

/* A grouping the node itself wrote (owner 0): only those tell what campaigns are
 * recorded. What members post under any id, whatever it says, never does. */
static int node_grouping(const struct store_row *row)
{
    return row->owner_org == 0 && !strcmp(row->type, "grouping");
}

/* The facts of a row stored with them (observables, plan, validity): its values
 * (pointing into the row's observables text), and - only for groupings (campaigns)
 * and for CANDIDATE/SCAN indicators, whose pattern must be evaluated - the parsed
 * object and pattern. -1 when out of memory. */
static int row_facts(struct refresh_ctx *c, struct batch *b, const struct store_row *row, struct prepared *pr)
{
    const char *p = row->observables;
    size_t bytes = 0;
    json_error_t je;

    pr->plan = row->match_plan >= 0 ? (enum observe_plan)row->match_plan
               : row->observables ? OBSERVE_VALUES : OBSERVE_NONE;
    while (p && *p) {
        const char *sp = strchr(p, ' '), *nl = sp ? strchr(sp, '\n') : NULL;
        int r;
        if (!sp || !nl)
            break;
        r = push_value(b, pr, &bytes, (enum obs_kind)strtol(p, NULL, 10), sp + 1, (size_t)(nl - sp - 1));
        if (r < 0)
            return -1;
        if (r)
            break;
        p = nl + 1;
    }
    if (c->e->campaign_window_us && node_grouping(row)) {
        pr->obj = json_loadb(row->body, row->body_len, 0, &je);
        if (pr->obj)
            engine_campaign_note(c->e, pr->obj, row->stix_id, row->comm, row->wd_keep != NULL);
    }
    if (pr->plan == OBSERVE_CANDIDATE || pr->plan == OBSERVE_SCAN) {
        const char *text;
        if (!pr->obj)
            pr->obj = json_loadb(row->body, row->body_len, 0, &je);
        text = json_string_value(json_object_get(pr->obj, "pattern"));
        if (!text || pattern_parse(text, strlen(text), &pr->pat, NULL))
            pr->plan = OBSERVE_NONE; /* cannot be confirmed: never reported */
    }
    return 0;
}

/* A row stored before those facts were kept: parse it. -1 when out of memory. */
static int legacy_facts(struct refresh_ctx *c, struct batch *b, const struct store_row *row, struct prepared *pr)
{
    size_t bytes = 0;
    json_error_t je;

    pr->obj = json_loadb(row->body, row->body_len, 0, &je);
    if (!pr->obj) {
        pr->plan = OBSERVE_NONE; /* stored objects were validated; nothing to index in a bad one */
        return 0;
    }
    if (c->e->campaign_window_us && node_grouping(row))
        engine_campaign_note(c->e, pr->obj, row->stix_id, row->comm, row->wd_keep != NULL);
    c->n_legacy = 0;
    c->val_used = 0;
    pr->plan = observe_object(pr->obj, collect_legacy, c, &pr->pat);
    if (c->val_used) {
        pr->own = malloc(c->val_used);
        if (!pr->own)
            return -1;
        memcpy(pr->own, c->val_buf, c->val_used);
    }
    for (size_t i = 0; i < c->n_legacy; i++)
        if (push_value(b, pr, &bytes, (enum obs_kind)c->legacy[i].kind, pr->own + (c->legacy[i].p - c->val_buf),
                       c->legacy[i].len) < 0)
            return -1;
    pr->in.valid_from = time_us(json_object_get(pr->obj, "valid_from"), INT64_MIN);
    pr->in.valid_until = time_us(json_object_get(pr->obj, "valid_until"), INT64_MAX);
    if (json_is_true(json_object_get(pr->obj, "revoked")))
        pr->in.flags |= IDX_F_REVOKED;
    return 0;
}

/* A tombstone (docs/model.md R7.4): a version of the id it names was withdrawn or
 * restored; that id's versions are read again once the rows are in
 * (apply_ids). The index keeps nothing of the tombstone itself. */
static int is_tombstone(const struct store_row *row)
{
    return !strcmp(row->type, "x-mreza-withdrawal");
}

static void note_tombstone(struct refresh_ctx *c, const struct store_row *row)
{
    json_t *o;
    const char *ref;

    /* (a withdrawal writes its tombstone and its versions' rows in one transaction:
     * one committed before the build began is in the rows it reads) */
    if (c->build && row->seq <= c->noted_upto)
        return;
    o = json_loadb(row->body, row->body_len, 0, NULL);
    ref = json_string_value(json_object_get(o, "object_ref"));
    if (ref && strlen(ref) < 300)
        mz_buf_printf(&c->withdrawn, "%s\n", ref);
    json_decref(o);
}

/* Make row i of b ready to index, with no lock held: everything but the index's own
 * changes. -1 when out of memory. */
static int prepare_row(struct refresh_ctx *c, struct batch *b, size_t i)
{
    const struct store_row *row = &b->rows[i];
    struct prepared *pr = &b->prep[i];
    struct idx_obj_in *in = &pr->in;

    memset(pr, 0, sizeof *pr);
    pr->first = (uint32_t)b->n_vals;
    c->n_rows++;
    if (is_tombstone(row)) {
        note_tombstone(c, row);
        return mz_buf_status(&c->withdrawn) ? -1 : 0;
    }
    if (row->match_plan != -2) {
        /* The facts kept at write time: no need to parse the object. */
        if (row_facts(c, b, row, pr))
            return -1;
        in->valid_from = row->valid_from;
        in->valid_until = row->valid_until;
        if (row->revoked)
            in->flags |= IDX_F_REVOKED;
    } else if (legacy_facts(c, b, row, pr)) {
        return -1;
    }
    if (pr->plan == OBSERVE_NONE || (pr->plan != OBSERVE_SCAN && pr->n_vals == 0))
        return 0;
    pr->index = 1;
    in->stix_id = row->stix_id;
    in->seq = row->seq;
    in->added = parse_us(row->date_added, 0);
    in->version = parse_us(row->version, 0);
    in->owner_org = row->owner_org;
    in->submitter = row->submitter;
    in->tlp = row->tlp;
    in->comm = row->comm;
    in->country = country_of(c, row->owner_org);
    in->audience = row->audience; /* with its shared_to (reader_row) */
    in->flags |= pr->plan == OBSERVE_VALUES ? 0 : IDX_F_DETECT;
    if (pr->plan == OBSERVE_CANDIDATE)
        in->flags |= IDX_F_CANDIDATE;
    if (pr->plan == OBSERVE_SCAN)
        in->flags |= IDX_F_SCAN;
    if (pr->pat)
        in->pattern = json_string_value(json_object_get(pr->obj, "pattern"));
    return 0;
}

/* Do indexed objects a and b (versions of one object) have the same readers? */
static int same_readers(const struct engine *e, uint32_t a, uint32_t b)
{
    const struct idx_obj *x = idx_obj_at(e->ix, a), *y = idx_obj_at(e->ix, b);
    const char *ax, *ay;
    uint64_t ca, cb;

    engine_versions_facts(e, a, &ca, &ax);
    engine_versions_facts(e, b, &cb, &ay);
    return x->tlp == y->tlp && x->submitter == y->submitter && ca == cb && !strcmp(ax ? ax : "", ay ? ay : "");
}

/* Add prepared row i of b to the index: the caller holds the write lock. Rows come
 * in seq order. Of two versions of one owner's object, the one with the later
 * `modified` stays live, whatever the order they arrived in (as the store's
 * `latest`). 1 on failure (c->rc set). */
static int apply_row(struct refresh_ctx *c, struct batch *b, size_t i)
{
    const struct store_row *row = &b->rows[i];
    struct prepared *pr = &b->prep[i];
    struct engine *e = c->e;
    uint32_t num = 0, old; /* num: set by idx_add_obj on success (gcc -O3 -flto cannot tell) */
    size_t slot;
    int32_t owner;
    int found;

    e->generation = (uint64_t)row->seq;
    if (!pr->index)
        return 0;
    if ((e->map_n + 1) * 2 > e->map_cap && engine_versions_grow(e))
        goto nomem;
    if (idx_add_obj(e->ix, &pr->in, &num, c->err))
        goto fail;
    if (engine_versions_note(e, num, row, row->cx))
        goto nomem;
    if (row->wd_keep && engine_versions_withdrawn(e, num, row->wd_keep))
        goto nomem; /* (a build from a store holding withdrawals) */
    owner = engine_versions_owner(row->owner_org, row->owner_user);
    slot = engine_versions_slot(e, num, owner, &found);
    if (found) {
        old = e->map_vals[slot];
        /* An id that needs the model's choice keeps the versions some reader may
         * still be served (R3, R4): one is retired only for another of the same
         * readers that wins for all of them (newer, or revoked: R3.2). */
        int same = !row->cx || same_readers(e, old, num);
        int old_rev = (idx_obj_at(e->ix, old)->flags & IDX_F_REVOKED) != 0;
        int new_rev = (pr->in.flags & IDX_F_REVOKED) != 0;
        if (idx_obj_at(e->ix, old)->version > pr->in.version) {
            /* an older version, arrived late */
            if (same && (!new_rev || !row->cx)) {
                idx_set_flags(e->ix, num, IDX_F_DEAD);
                return 0;
            }
            if (same && !old_rev)
                idx_set_flags(e->ix, old, IDX_F_DEAD); /* a late revoked one wins */
        } else {
            if (same && (!old_rev || !row->cx))
                idx_set_flags(e->ix, old, IDX_F_DEAD);
            e->map_vals[slot] = num;
        }
    } else {
        e->map_keys[slot] = engine_versions_key(e, num, owner);
        e->map_owner[slot] = owner;
        e->map_vals[slot] = num;
        e->map_n++;
    }
    for (uint32_t k = pr->first; k < pr->first + pr->n_vals; k++) {
        const struct pvalue *v = &b->vals[k];
        if (idx_add_value(e->ix, num, (enum obs_kind)v->kind, v->p, v->len, c->err))
            goto fail;
        if (e->campaign_window_us && tlp_community_wide(row->tlp) && pr->in.country && pr->in.country[0] &&
            !(pr->in.flags & IDX_F_REVOKED))
            mz_buf_printf(&c->touched, "%u %llu %.*s\n", v->kind, (unsigned long long)row->comm, (int)v->len, v->p);
    }
    if (pr->pat) {
        if (engine_pattern_add(e, num, pr->pat, pr->plan == OBSERVE_SCAN))
            goto nomem;
        pr->pat = NULL; /* the engine's now */
    }
    return 0;
nomem:
    mz_error_set(c->err, MZ_ENOMEM, "", "index: out of memory");
fail:
    c->rc = c->err ? c->err->code : MZ_ENOMEM;
    return 1;
}

/* Free what b's prepared rows still own and empty b. */
static void batch_release(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        pattern_free(b->prep[i].pat);
        json_decref(b->prep[i].obj);
        free(b->prep[i].own);
    }
    b->n = 0;
    b->used = 0;
    b->n_vals = 0;
}

static void run_hook(struct engine *e, enum engine_refresh_stage stage)
{
    if (e->hook)
        e->hook(e->hook_ctx, stage);
}

/* Prepare every row of b without the lock, then add them under it; b is emptied.
 * 1 on failure (c->rc set). */
static int index_batch(struct refresh_ctx *c, struct batch *b)
{
    struct engine *e = c->e;
    size_t prepared = 0;
    int failed = 0;

    for (; prepared < b->n && !failed; prepared++)
        if (prepare_row(c, b, prepared)) {
            c->rc = mz_error_set(c->err, MZ_ENOMEM, "", "index: out of memory");
            failed = 1;
        }
    if (!failed) {
        run_hook(e, ENGINE_REFRESH_PREPARED);
        pthread_rwlock_wrlock(&e->lock);
        e->epoch++;
        for (size_t i = 0; i < b->n && !failed; i++)
            failed = apply_row(c, b, i);
        pthread_rwlock_unlock(&e->lock);
    }
    b->n = prepared; /* release only what prepare_row() set */
    batch_release(b);
    return failed;
}

/* ---- reading the store ---- */

struct reader {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *b;      /* N_BATCHES of them, a ring: the reader fills, the indexer follows */
    int n_b;              /* N_BATCHES, or 1 when the rows are indexed in line */
    int full[N_BATCHES];  /* b[i] is ready to be indexed */
    int fill;             /* the batch the reader fills */
    int done, stop;       /* the reader has finished / the indexer has given up */
    int campaigns;        /* grouping bodies are needed */
    struct refresh_ctx *in_line; /* no reader thread: index each batch as it fills */
    struct store *st;
    struct store_query q;
    struct store_vis vis;
    enum mz_err rc;
    struct mz_error err;
};

/* Does prepare_row() read this row's body? (row_facts(), and the legacy path) */
static int body_needed(const struct reader *rd, const struct store_row *row)
{
    return row->match_plan == -2 || row->match_plan == OBSERVE_CANDIDATE ||
           row->match_plan == OBSERVE_SCAN || (rd->campaigns && node_grouping(row)) || is_tombstone(row);
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

/* The batch being filled is full: index it (in line), or hand it over and wait for
 * the next one to be free. 1 to stop. */
static int reader_flush(struct reader *rd)
{
    int next = (rd->fill + 1) % rd->n_b, stop;

    if (rd->in_line)
        return index_batch(rd->in_line, &rd->b[0]);
    pthread_mutex_lock(&rd->mu);
    rd->full[rd->fill] = 1;
    pthread_cond_broadcast(&rd->cv);
    while (rd->full[next] && !rd->stop)
        pthread_cond_wait(&rd->cv, &rd->mu);
    rd->fill = next;
    stop = rd->stop;
    pthread_mutex_unlock(&rd->mu);
    rd->b[next].n = 0;
    rd->b[next].used = 0;
    rd->b[next].n_vals = 0;
    return stop;
}

/* store_list()'s callback: copy the row (borrowed for the call) into the batch. */
static int reader_row(void *vctx, const struct store_row *row)
{
    struct reader *rd = vctx;
    struct batch *b = &rd->b[rd->fill];
    int body = body_needed(rd, row);
    size_t need = strlen(row->stix_id) + strlen(row->type) + strlen(row->version) +
                  strlen(row->date_added) + (row->audience ? strlen(row->audience) : 0) +
                  (row->shared_to ? strlen(row->shared_to) + 1 : 0) +
                  (row->wd_keep ? strlen(row->wd_keep) : 0) +
                  (row->observables ? strlen(row->observables) : 0) + (body ? row->body_len : 0) + 8;
    struct store_row *r;

    if (b->n == BATCH_ROWS || (b->n && b->used + need > b->cap)) {
        if (reader_flush(rd))
            return 1;
        b = &rd->b[rd->fill];
    }
    if (need > b->cap) {
        /* a huge object: the batch (empty now: no row points into it) grows for it */
        char *big = realloc(b->bytes, need);
        if (!big) {
            rd->rc = mz_error_set(&rd->err, MZ_ENOMEM, "", "out of memory");
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
    r->created_by = NULL; /* the index does not keep it */
    /* the index keeps one audience: the version's and those it was passed on to
     * (tlp.h reads shared_to as part of the audience) */
    if (row->shared_to && *row->shared_to) {
        char *a = b->bytes + b->used;
        size_t la = row->audience ? strlen(row->audience) : 0, ls = strlen(row->shared_to);
        if (la) {
            memcpy(a, row->audience, la);
            a[la++] = ' ';
        }
        memcpy(a + la, row->shared_to, ls + 1);
        b->used += la + ls + 1;
        r->audience = a;
    } else {
        r->audience = keep_str(b, row->audience, row->audience ? strlen(row->audience) : 0);
    }
    r->shared_to = NULL;
    r->wd_keep = keep_str(b, row->wd_keep, row->wd_keep ? strlen(row->wd_keep) : 0);
    r->observables = keep_str(b, row->observables, row->observables ? strlen(row->observables) : 0);
    r->body = body ? keep_str(b, row->body, row->body_len) : "";
    r->body_len = body ? row->body_len : 0;
    return 0;
}

static void *reader_thread(void *arg)
{
    struct reader *rd = arg;
    enum mz_err rc = store_list(rd->st, &rd->vis, &rd->q, reader_row, rd, NULL, &rd->err);

    pthread_mutex_lock(&rd->mu);
    if (rc && !rd->rc)
        rd->rc = rc;
    if (rd->b[rd->fill].n)
        rd->full[rd->fill] = 1;
    rd->done = 1;
    pthread_cond_broadcast(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
    return NULL;
}

static void reader_free(struct reader *rd)
{
    if (!rd)
        return;
    for (int i = 0; rd->b && i < rd->n_b; i++) {
        free(rd->b[i].bytes);
        free(rd->b[i].vals);
    }
    free(rd->b);
    pthread_mutex_destroy(&rd->mu);
    pthread_cond_destroy(&rd->cv);
    free(rd);
}

static struct reader *reader_new(int n_b, struct refresh_ctx *c, struct store *st, const struct store_vis *vis,
                                 const struct store_query *q)
{
    struct reader *rd = calloc(1, sizeof *rd);
    int ok = rd != NULL;

    if (!rd)
        return NULL;
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->cv, NULL);
    rd->n_b = n_b;
    rd->b = calloc((size_t)n_b, sizeof *rd->b);
    ok = rd->b != NULL;
    for (int i = 0; ok && i < n_b; i++) {
        ok = (rd->b[i].bytes = malloc(BATCH_BYTES)) != NULL;
        rd->b[i].cap = BATCH_BYTES;
    }
    if (!ok) {
        reader_free(rd);
        return NULL;
    }
    rd->st = st;
    rd->q = *q;
    rd->vis = *vis;
    rd->campaigns = c->e->campaign_window_us != 0;
    mz_error_clear(&rd->err);
    return rd;
}

/* The rows of q, read and indexed in line, a batch at a time. */
static enum mz_err refresh_in_line(struct refresh_ctx *c, struct store *st, const struct store_vis *vis,
                                   const struct store_query *q, struct mz_error *err)
{
    struct reader *rd = reader_new(1, c, st, vis, q);
    enum mz_err rc;

    if (!rd)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rd->in_line = c;
    rc = store_list(st, vis, q, reader_row, rd, NULL, &rd->err);
    if (!rc && !rd->rc && !c->rc && rd->b[0].n)
        index_batch(c, &rd->b[0]);
    if (!rc)
        rc = rd->rc;
    if (rc)
        *err = rd->err;
    reader_free(rd);
    return rc;
}

/* The same with the reading in a thread of its own. */
static enum mz_err refresh_pipelined(struct refresh_ctx *c, struct store *st, const struct store_vis *vis,
                                     const struct store_query *q, struct mz_error *err)
{
    struct reader *rd = reader_new(N_BATCHES, c, st, vis, q);
    pthread_t thread;
    int cur = 0;
    enum mz_err rc;

    if (!rd)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (pthread_create(&thread, NULL, reader_thread, rd) != 0) {
        reader_free(rd);
        return refresh_in_line(c, st, vis, q, err); /* no thread: read in line */
    }
    for (;;) {
        int failed;
        pthread_mutex_lock(&rd->mu);
        while (!rd->full[cur] && !rd->done)
            pthread_cond_wait(&rd->cv, &rd->mu);
        if (!rd->full[cur]) {
            pthread_mutex_unlock(&rd->mu);
            break; /* the reader is done and nothing is left */
        }
        pthread_mutex_unlock(&rd->mu);
        failed = index_batch(c, &rd->b[cur]);
        pthread_mutex_lock(&rd->mu);
        rd->full[cur] = 0;
        if (failed)
            rd->stop = 1;
        pthread_cond_broadcast(&rd->cv);
        pthread_mutex_unlock(&rd->mu);
        if (failed)
            break;
        cur = (cur + 1) % N_BATCHES;
    }
    pthread_join(thread, NULL);
    rc = rd->rc;
    if (rc)
        *err = rd->err;
    reader_free(rd);
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

/* ---- withdrawals (docs/model.md R7) ----
 * A withdrawal changes rows the index already holds (who keeps a version), which a
 * refresh that reads only new rows would never see; the tombstone it writes is new,
 * though. So for each id new tombstones name (once, however many name it: a
 * withdrawal of n versions writes n of them), the id's versions are read again,
 * without the engine's lock, and the index's view of each is set to the store's under
 * it, each version found by its seq (a bisection: objects are indexed in seq order),
 * and the id is marked as needing the model's choice (the store marked it so too).
 * The work is linear in the versions read (times a logarithm): a reporter who
 * withdraws its 999 versions of one object again and again holds the lock no longer
 * than for as many versions. With campaigns on, the values of the id's
 * community-visible versions are read too (the store keeps them beside each row), so
 * that the campaigns they may have left or rejoined are checked again (R11.6). */

struct wd_row {
    int64_t seq;
    char *keep; /* heap, or NULL */
};

struct wd_rows {
    struct wd_row *v;
    size_t n, cap;
    int failed;
};

static int collect_wd(void *vctx, const struct store_version *sv)
{
    struct wd_rows *w = vctx;

    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 16;
        struct wd_row *n = realloc(w->v, ncap * sizeof *n);
        if (!n) {
            w->failed = 1;
            return 1;
        }
        w->v = n;
        w->cap = ncap;
    }
    w->v[w->n].seq = sv->seq;
    w->v[w->n].keep = sv->wd_keep ? strdup(sv->wd_keep) : NULL;
    if (sv->wd_keep && !w->v[w->n].keep) {
        w->failed = 1;
        return 1;
    }
    w->n++;
    return 0;
}

/* store_list()'s callback: the values of a community-visible row with the
 * communities it is in, "kind comm value\n" lines (the row's "kind value" lines with
 * its comm put in), as engine_campaign_detect reads them. */
static int collect_values(void *vctx, const struct store_row *row)
{
    struct mz_buf *b = vctx;
    const char *p = row->observables;

    if (!tlp_community_wide(row->tlp) || !row->comm || !p)
        return 0;
    while (*p) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (sp)
            mz_buf_printf(b, "%.*s %llu %.*s\n", (int)(sp - p), p, (unsigned long long)row->comm,
                          (int)(end - sp - 1), sp + 1);
        p = nl ? nl + 1 : end;
    }
    return mz_buf_status(b) != MZ_OK;
}

static enum mz_err apply_one_withdrawal(struct engine *e, struct store *st, const char *id, struct mz_buf *values,
                                        struct mz_error *err)
{
    struct wd_rows w = {0};
    uint8_t uuid[16];
    enum mz_err rc = MZ_OK;

    if (idx_uuid_of(id, uuid))
        return MZ_OK; /* no UUID: never indexed */
    if (e->campaign_window_us) {
        /* the campaigns of its values are checked again (no lock of the engine held) */
        struct store_query q;
        struct store_vis all;
        memset(&q, 0, sizeof q);
        q.id = id;
        q.tlp = -1;
        q.all_versions = 1;
        q.order = STORE_ORDER_ADDED;
        tlp_visibility_internal(&all);
        rc = store_list(st, &all, &q, collect_values, values, NULL, err);
        if (!rc && mz_buf_status(values))
            rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
        if (rc)
            return rc;
    }
    rc = store_id_versions(st, id, collect_wd, &w, err); /* no lock of the engine held */
    if (!rc && w.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    e->wd_work.ids++;
    e->wd_work.versions += w.n;
    if (!rc) {
        pthread_rwlock_wrlock(&e->lock);
        e->epoch++;
        for (size_t i = 0; i < w.n && !rc; i++) {
            int64_t num = engine_obj_of_seq(e->ix, w.v[i].seq, &e->wd_work.steps);
            if (num < 0 || !engine_versions_is(e, (uint32_t)num, id))
                continue; /* not indexed (no value to match) */
            if (engine_versions_withdrawn(e, (uint32_t)num, w.v[i].keep))
                rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
        }
        engine_versions_mark_cx(e, id);
        pthread_rwlock_unlock(&e->lock);
    }
    for (size_t i = 0; i < w.n; i++)
        free(w.v[i].keep);
    free(w.v);
    return rc;
}

/* ---- shares (issue 11) ----
 * A share record changes a version the index holds (its communities, or whom it was
 * passed on to) without a new row; the record itself is new, though. So the
 * refresh reads the records made since the last one it read, and for each id they
 * name it reads the id's versions again and notes each indexed one's communities
 * and audience as the store has them (the share marked the id as needing the
 * model's choice, and so does the index). Like the withdrawals', each id once
 * however many records name it (apply_ids), each version found by its seq. */

static int note_share(void *ctx, const struct store_share_row *s)
{
    struct mz_buf *ids = ctx;

    return mz_buf_printf(ids, "%s\n", s->stix_id) != MZ_OK;
}

struct sh_row {
    int64_t seq;
    uint64_t comm;
    char *audience, *shared_to; /* heap, or NULL */
};

struct sh_rows {
    struct sh_row *v;
    size_t n, cap;
    int failed;
};

static int collect_sh(void *vctx, const struct store_version *sv)
{
    struct sh_rows *w = vctx;
    struct sh_row *r;

    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 16;
        struct sh_row *n = realloc(w->v, ncap * sizeof *n);
        if (!n) {
            w->failed = 1;
            return 1;
        }
        w->v = n;
        w->cap = ncap;
    }
    r = &w->v[w->n];
    r->seq = sv->seq;
    r->comm = sv->comm;
    r->audience = sv->audience ? strdup(sv->audience) : NULL;
    r->shared_to = sv->shared_to ? strdup(sv->shared_to) : NULL;
    w->n++;
    if ((sv->audience && !r->audience) || (sv->shared_to && !r->shared_to)) {
        w->failed = 1;
        return 1;
    }
    return 0;
}

static enum mz_err apply_one_share(struct engine *e, struct store *st, const char *id, struct mz_buf *values,
                                   struct mz_error *err)
{
    struct sh_rows w = {0};
    uint8_t uuid[16];
    enum mz_err rc;

    (void)values; /* a share adds no report: its value counts when touched next */
    if (idx_uuid_of(id, uuid))
        return MZ_OK; /* no UUID: never indexed */
    rc = store_id_versions(st, id, collect_sh, &w, err); /* no lock of the engine held */
    if (!rc && w.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    if (!rc) {
        pthread_rwlock_wrlock(&e->lock);
        e->epoch++;
        for (size_t i = 0; i < w.n && !rc; i++) {
            /* found as the withdrawals find it (re-attack F1, F2): by its seq, then
             * checked to be a version of the id as the store spells it */
            int64_t num = engine_obj_of_seq(e->ix, w.v[i].seq, NULL);
            if (num < 0 || !engine_versions_is(e, (uint32_t)num, id))
                continue; /* not indexed (no value to match) */
            if (engine_versions_shared(e, (uint32_t)num, w.v[i].comm, w.v[i].audience, w.v[i].shared_to))
                rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
        }
        engine_versions_mark_cx(e, id);
        pthread_rwlock_unlock(&e->lock);
    }
    for (size_t i = 0; i < w.n; i++) {
        free(w.v[i].audience);
        free(w.v[i].shared_to);
    }
    free(w.v);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Apply one (apply_one_withdrawal, apply_one_share) to the ids in ids ("id\n" each,
 * repeated), each id once (re-attack F1: the work is linear in the versions read,
 * however many tombstones or share records name an id); values goes to one (the
 * withdrawals': with campaigns on, the values of their community-visible versions
 * are put there; NULL for the shares). */
static enum mz_err apply_ids(struct engine *e, struct store *st, struct mz_buf *ids, struct mz_buf *values,
                             enum mz_err (*one)(struct engine *, struct store *, const char *, struct mz_buf *,
                                                struct mz_error *),
                             struct mz_error *err)
{
    enum mz_err rc = MZ_OK;
    size_t n = 0, k = 0;
    char **v;

    for (size_t i = 0; i < ids->len; i++)
        n += ids->data[i] == '\n';
    v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    for (char *p = ids->data; k < n;) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        v[k++] = p;
        p = nl + 1;
    }
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 0; i < n && !rc; i++)
        if (!i || strcmp(v[i], v[i - 1]))
            rc = one(e, st, v[i], values, err);
    free(v);
    return rc;
}

void engine_refresh_result_free(struct engine_refresh_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_campaigns; i++) {
        free(r->campaigns[i].refs);
        free(r->campaigns[i].ref_bytes);
    }
    free(r->campaigns);
    r->campaigns = NULL;
    r->n_campaigns = 0;
}

enum mz_err engine_refresh(struct engine *e, struct store *st, struct engine_refresh_result *out,
                           struct mz_error *err)
{
    struct refresh_ctx *c;
    struct store_query q;
    struct store_vis all;
    int64_t max_seq = 0, max_share = 0;
    enum mz_err rc;

    memset(out, 0, sizeof *out);
    if (e->frozen)
        return mz_error_set(err, MZ_EUNSUPPORTED, "", "index: a snapshot opened for matching is not refreshed");
    c = calloc(1, sizeof *c);
    if (c)
        c->val_buf = malloc(MAX_OBJ_VALUE_BYTES);
    if (!c || !c->val_buf) {
        free(c);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    c->e = e;
    c->err = err;
    mz_buf_init(&c->touched, (size_t)1 << 30);
    mz_buf_init(&c->withdrawn, (size_t)1 << 30);
    mz_buf_init(&c->wd_touched, (size_t)1 << 30);
    mz_buf_init(&c->shared, (size_t)1 << 30);
    pthread_mutex_lock(&e->refresh_mu);
    rc = store_org_list(st, remember_org, c, err);
    if (!rc)
        rc = engine_owners_load(e, st, err);
    memset(&q, 0, sizeof q);
    q.tlp = -1;
    q.all_versions = 1;
    q.order = STORE_ORDER_ADDED;
    /* Indexing is no read on anyone's behalf: the index keeps every object with its
     * TLP facts, and tlp_can_read() filters each answer. */
    tlp_visibility_internal(&all);
    q.after_seq = (int64_t)e->generation; /* only the refresher changes it */
    if (!rc)
        rc = store_max_seq(st, &max_seq, err);
    /* the share records since the last refresh, read before the rows: a build reads
     * rows with every share so far, a later share is read the next time */
    if (!rc)
        rc = store_max_share(st, &max_share, err);
    if (!rc && e->generation > 0 && max_share > e->share_gen)
        rc = store_shares(st, e->share_gen, NULL, note_share, &c->shared, err);
    if (!rc && mz_buf_status(&c->shared))
        rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    if (!rc)
        e->share_gen = max_share;
    c->build = e->generation == 0;
    c->noted_upto = max_seq;
    if (!rc && e->generation == 0) {
        pthread_rwlock_wrlock(&e->lock);
        e->epoch++;
        rc = reserve_for_store(e, max_seq, err);
        pthread_rwlock_unlock(&e->lock);
    }
    if (!rc && max_seq - (int64_t)e->generation >= PIPELINE_MIN_ROWS)
        rc = refresh_pipelined(c, st, &all, &q, err);
    else if (!rc && max_seq > (int64_t)e->generation)
        rc = refresh_in_line(c, st, &all, &q, err); /* (nothing new: nothing to read) */
    if (!rc)
        rc = c->rc;
    if (!rc && c->withdrawn.len)
        rc = apply_ids(e, st, &c->withdrawn, &c->wd_touched, apply_one_withdrawal, err);
    if (!rc && c->shared.len)
        rc = apply_ids(e, st, &c->shared, NULL, apply_one_share, err);
    run_hook(e, ENGINE_REFRESH_ADDED);
    if (!rc && c->touched.len)
        rc = engine_campaign_detect(e, &c->touched, 0, out, err);
    if (!rc && c->wd_touched.len)
        rc = engine_campaign_detect(e, &c->wd_touched, 1, out, err);
    pthread_mutex_unlock(&e->refresh_mu);
    out->n_rows = c->n_rows;
    if (rc)
        engine_refresh_result_free(out);
    mz_buf_free(&c->touched);
    mz_buf_free(&c->withdrawn);
    mz_buf_free(&c->wd_touched);
    mz_buf_free(&c->shared);
    free(c->val_buf);
    free(c);
    return rc;
}
