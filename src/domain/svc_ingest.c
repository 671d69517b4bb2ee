/* domain/svc_ingest.c - writing a bundle: validate every object, store it, all or
 * nothing, in one durable transaction.
 *
 * JSON parsing and STIX validation cost more than the SQLite inserts, and SQLite
 * allows one writer, so large bundles are spread over the cores: a byte scan finds
 * every object's span (bundle_spans), two worker threads parse and validate batches
 * of 256 objects into a ring of 16 slots, and the calling thread, which owns the
 * store transaction, inserts the batches in order. Any error (the first in bundle
 * order wins) stops everyone; the transaction is then rolled back, so nothing of the
 * bundle is stored. Small bodies are done on the calling thread alone. Ownership: a
 * slot's items own their parsed json_t (the strings of their stix_info point into
 * it) until the writer has stored them.
 *
 * When svc_init() has installed the allocation hooks, each batch's parse trees are
 * built in that batch's arena (util/arena.h) and dropped all at once when the batch
 * is reused, instead of being freed node by node: jansson's allocator calls go to
 * the arena of the thread that is parsing (tl_arena), and to malloc/free elsewhere. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/observe.h"
#include "rules/stix.h"
#include "domain/authz.h"
#include "domain/provenance.h"
#include "domain/svc.h"
#include "rules/tlp.h"
#include "util/arena.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define BATCH_OBJECTS 256
#define QUEUE_BATCHES 16           /* at most 16 x 256 objects in flight */
#define PIPELINE_MIN_BYTES (1 << 20) /* smaller bodies are done on one thread */

struct item {
    json_t *obj;
    struct stix_info info;
    const char *raw;
    size_t raw_len;
};

struct batch {
    struct item items[BATCH_OBJECTS];
    int n;
    struct mz_arena arena; /* the items' parse trees, when arenas are on */
};

#define BATCH_ARENA_CHUNK (1 << 20)

/* The arena jansson allocates from on this thread, or NULL for malloc/free. Only
 * the producer thread ever sets it, and only while it parses into a batch. */
static __thread struct mz_arena *tl_arena;
static int arenas_on; /* set once by svc_init(), before any thread starts */

static void *json_alloc_hook(size_t n)
{
    return tl_arena ? mz_arena_alloc(tl_arena, n) : malloc(n);
}

static void json_free_hook(void *p)
{
    if (!tl_arena)
        free(p); /* arena memory is released with its arena */
}

enum mz_err svc_init(void)
{
    json_set_alloc_funcs(json_alloc_hook, json_free_hook);
    arenas_on = 1;
    return mz_random_init();
}

/* ---- results ---- */

void svc_ingest_result_free(struct svc_ingest_result *r)
{
    if (!r)
        return;
    free(r->items);
    free(r->strings);
    memset(r, 0, sizeof *r);
}

const char *svc_item_id(const struct svc_ingest_result *r, size_t i)
{
    return r->strings + r->items[i].id_off;
}

const char *svc_item_version(const struct svc_ingest_result *r, size_t i)
{
    return r->strings + r->items[i].version_off;
}

static enum mz_err pool_add(struct svc_ingest_result *r, const char *s, size_t *off_out)
{
    size_t n = strlen(s) + 1;

    if (r->strings_len + n > r->strings_cap) {
        size_t ncap = r->strings_cap ? r->strings_cap * 2 : 4096;
        char *p;
        while (ncap < r->strings_len + n)
            ncap *= 2;
        p = realloc(r->strings, ncap);
        if (!p)
            return MZ_ENOMEM;
        r->strings = p;
        r->strings_cap = ncap;
    }
    memcpy(r->strings + r->strings_len, s, n);
    *off_out = r->strings_len;
    r->strings_len += n;
    return MZ_OK;
}

static enum mz_err record(struct svc_ingest_result *res, const struct stix_info *info,
                          const struct tlp_decision *d, int duplicate)
{
    struct svc_put_item *it;

    if (res->n_items == res->cap) {
        size_t ncap = res->cap ? res->cap * 2 : 64;
        struct svc_put_item *n = realloc(res->items, ncap * sizeof *n);
        if (!n)
            return MZ_ENOMEM;
        res->items = n;
        res->cap = ncap;
    }
    it = &res->items[res->n_items];
    if (pool_add(res, info->id, &it->id_off) || pool_add(res, info->version, &it->version_off))
        return MZ_ENOMEM;
    it->match_plan = info->match_plan;
    it->tlp = (int)d->level;
    it->tlp_defaulted = d->defaulted;
    it->tlp_raised = d->raised;
    it->duplicate = duplicate;
    res->n_items++;
    res->n_new += !duplicate;
    res->n_duplicate += duplicate;
    res->n_defaulted += d->defaulted;
    res->n_raised += d->raised;
    return MZ_OK;
}

/* ---- the writer's side ---- */

struct writer {
    struct store *st;
    const struct principal *p;
    struct store_write_ctx wctx;
    struct provenance pv;  /* reserved ids and created_by_ref (provenance.h) */
    struct svc_ingest_result *res;
};

_Static_assert(STORE_PLAN_SCAN == OBSERVE_SCAN, "the store's index of scan indicators names the plan");

/* A pattern evaluated on every value costs every member's matcher on every value: an
 * organisation keeps at most SVC_SCAN_PER_ORG of them live. Counted after the write,
 * under the write lock, so a new version of one counts once and an older version
 * arriving late not at all. */
static enum mz_err check_scan_quota(struct writer *w, struct mz_error *err)
{
    int64_t n = 0;
    enum mz_err rc = store_count_scan(w->st, w->wctx.owner_org, &n, err);

    if (!rc && n > SVC_SCAN_PER_ORG)
        rc = mz_error_set(err, MZ_ECONFLICT, "/pattern",
                          "your organisation already has %d live indicators evaluated on every value "
                          "(match plan scan: no =, IN or ISSUBSET term the index can look up); revoke one, "
                          "or give this pattern such a term",
                          SVC_SCAN_PER_ORG);
    return rc;
}

static enum mz_err put_item(struct writer *w, const struct item *it, struct mz_error *err)
{
    const struct stix_info *info = &it->info;
    struct tlp_decision d = tlp_decide(info->tlp, info->tlp_granular);
    struct store_object_in in;
    enum store_put_result put;
    enum mz_err rc = provenance_check(&w->pv, info, err);

    if (rc)
        return rc;
    in.stix_id = info->id;
    in.type = info->type;
    in.version = info->version;
    in.version_key = info->version_key;
    in.created_by = info->created_by_ref ? info->created_by_ref : w->p->org.identity;
    in.tlp = (int)d.level;
    in.tlp_defaulted = d.defaulted;
    in.revoked = info->revoked;
    in.audience = info->audience;
    in.body = info->standard_body ? info->standard_body : it->raw;
    in.body_len = info->standard_body ? strlen(info->standard_body) : it->raw_len;
    in.observables = info->observables;
    in.match_plan = info->match_plan;
    in.valid_from = info->valid_from;
    in.valid_until = info->valid_until;
    rc = store_put_object(w->st, &w->wctx, &in, &put, err);
    if (!rc && put == STORE_PUT_NEW && in.match_plan == OBSERVE_SCAN)
        rc = check_scan_quota(w, err);
    if (!rc)
        rc = record(w->res, info, &d, put == STORE_PUT_DUPLICATE);
    if (rc == MZ_ENOMEM)
        mz_error_set(err, rc, "", "out of memory");
    return rc;
}

static void item_release(struct item *it)
{
    stix_info_clear(&it->info);
    json_decref(it->obj);
    it->obj = NULL;
}

/* ---- single thread: validate and put each object as it is split ---- */

static enum mz_err inline_one(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                              size_t index, struct mz_error *err)
{
    struct writer *w = ctx;
    struct item it = {obj, {0}, raw, raw_len};
    enum mz_err rc = stix_validate(obj, &it.info, err);

    (void)index; /* bundle_split() names the object in err */
    if (!rc)
        rc = put_item(w, &it, err);
    stix_info_clear(&it.info);
    return rc;
}

/* ---- several threads: workers parse and validate batches, the caller writes ---- */

#define N_WORKERS 2

static void free_batch_items(struct batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (arenas_on)
            stix_info_clear(&b->items[i].info); /* the tree goes with the arena */
        else
            item_release(&b->items[i]);
    }
    b->n = 0;
    mz_arena_reset(&b->arena);
}

enum slot_state {
    SLOT_FREE = 0,
    SLOT_FILLING,
    SLOT_READY
};

/* Batch k lives in slot k % QUEUE_BATCHES. */
struct slot {
    struct batch b;
    size_t k;
    enum slot_state state;
    enum mz_err rc;           /* the worker's error in this batch, if any */
    struct mz_error err;
};

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *buf;
    const struct bundle_span *spans;
    size_t n_spans, n_batches;
    int was_bundle;
    size_t next_k;    /* the next batch a worker takes */
    size_t consumed;  /* batches the writer is done with */
    int stop;
    struct slot *slots;
};

/* Parse and validate batch k into slot s (no lock held). */
static void fill_slot(struct pipe *pp, struct slot *s, size_t k)
{
    size_t first = k * BATCH_OBJECTS, last = first + BATCH_OBJECTS;

    if (last > pp->n_spans)
        last = pp->n_spans;
    s->b.n = 0;
    s->rc = MZ_OK;
    mz_error_clear(&s->err);
    tl_arena = arenas_on ? &s->b.arena : NULL;
    for (size_t i = first; i < last && !s->rc; i++) {
        struct item *it = &s->b.items[s->b.n];
        json_t *obj = NULL;
        s->rc = bundle_parse_object(pp->buf, &pp->spans[i], &obj, &s->err);
        if (!s->rc)
            s->rc = stix_validate(obj, &it->info, &s->err);
        if (s->rc) {
            char prefix[48];
            stix_info_clear(&it->info);
            if (!arenas_on)
                json_decref(obj);
            if (pp->was_bundle) {
                snprintf(prefix, sizeof prefix, "/objects/%zu", i);
                mz_error_prefix_field(&s->err, prefix);
            }
            break;
        }
        it->obj = obj;
        it->raw = pp->buf + pp->spans[i].off;
        it->raw_len = pp->spans[i].len;
        s->b.n++;
    }
    tl_arena = NULL;
}

static void *worker(void *arg)
{
    struct pipe *pp = arg;

    for (;;) {
        struct slot *s;
        size_t k;
        pthread_mutex_lock(&pp->lock);
        if (pp->stop || pp->next_k >= pp->n_batches) {
            pthread_mutex_unlock(&pp->lock);
            return NULL;
        }
        k = pp->next_k++;
        s = &pp->slots[k % QUEUE_BATCHES];
        /* the slot is free once the writer is done with batch k - QUEUE_BATCHES */
        while (!pp->stop && (s->state != SLOT_FREE || k >= pp->consumed + QUEUE_BATCHES))
            pthread_cond_wait(&pp->cond, &pp->lock);
        if (pp->stop) {
            pthread_mutex_unlock(&pp->lock);
            return NULL;
        }
        s->state = SLOT_FILLING;
        pthread_mutex_unlock(&pp->lock);
        fill_slot(pp, s, k);
        pthread_mutex_lock(&pp->lock);
        s->k = k;
        s->state = SLOT_READY;
        pthread_cond_broadcast(&pp->cond);
        pthread_mutex_unlock(&pp->lock);
    }
}

static enum mz_err write_batches(struct writer *w, struct pipe *pp, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (size_t k = 0; k < pp->n_batches && !rc; k++) {
        struct slot *s = &pp->slots[k % QUEUE_BATCHES];
        pthread_mutex_lock(&pp->lock);
        while (!(s->state == SLOT_READY && s->k == k))
            pthread_cond_wait(&pp->cond, &pp->lock);
        pthread_mutex_unlock(&pp->lock);
        for (int i = 0; !rc && i < s->b.n; i++) {
            rc = put_item(w, &s->b.items[i], err);
            if (rc && pp->was_bundle) {
                char prefix[48];
                snprintf(prefix, sizeof prefix, "/objects/%zu", k * BATCH_OBJECTS + (size_t)i);
                mz_error_prefix_field(err, prefix);
            }
        }
        if (!rc && s->rc) {
            rc = s->rc;
            *err = s->err;
        }
        free_batch_items(&s->b);
        pthread_mutex_lock(&pp->lock);
        s->state = SLOT_FREE;
        pp->consumed = k + 1;
        if (rc)
            pp->stop = 1;
        pthread_cond_broadcast(&pp->cond);
        pthread_mutex_unlock(&pp->lock);
    }
    return rc;
}

static enum mz_err run_pipeline(struct writer *w, const char *buf, size_t len,
                                const struct bundle_limits *lim, struct mz_error *err)
{
    struct pipe pp;
    pthread_t tids[N_WORKERS];
    struct bundle_span *spans = NULL;
    size_t n_spans = 0;
    int started = 0;
    enum mz_err rc = bundle_spans(buf, len, lim, &spans, &n_spans, &w->res->was_bundle, err);

    if (rc)
        return rc;
    memset(&pp, 0, sizeof pp);
    pp.slots = calloc(QUEUE_BATCHES, sizeof *pp.slots);
    if (!pp.slots) {
        free(spans);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    for (int i = 0; i < QUEUE_BATCHES; i++)
        mz_arena_init(&pp.slots[i].b.arena, BATCH_ARENA_CHUNK);
    pthread_mutex_init(&pp.lock, NULL);
    pthread_cond_init(&pp.cond, NULL);
    pp.buf = buf;
    pp.spans = spans;
    pp.n_spans = n_spans;
    pp.n_batches = (n_spans + BATCH_OBJECTS - 1) / BATCH_OBJECTS;
    pp.was_bundle = w->res->was_bundle;
    for (int i = 0; i < N_WORKERS; i++) {
        if (pthread_create(&tids[i], NULL, worker, &pp) != 0)
            break;
        started++;
    }
    if (!started)
        rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start the ingest threads");
    else
        rc = write_batches(w, &pp, err);
    pthread_mutex_lock(&pp.lock);
    pp.stop = 1;
    pthread_cond_broadcast(&pp.cond);
    pthread_mutex_unlock(&pp.lock);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < QUEUE_BATCHES; i++) {
        free_batch_items(&pp.slots[i].b); /* batches filled after the writer stopped */
        mz_arena_free(&pp.slots[i].b.arena);
    }
    free(pp.slots);
    pthread_mutex_destroy(&pp.lock);
    pthread_cond_destroy(&pp.cond);
    free(spans);
    return rc;
}

enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err)
{
    struct writer w;
    enum mz_err rc;

    memset(res, 0, sizeof *res);
    rc = authz_check(p, AUTHZ_OBJECT_WRITE, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    w.st = st;
    w.p = p;
    w.wctx.owner_org = p->org.id;
    w.wctx.submitter = p->user.id;
    w.wctx.date_added = NULL; /* stamped by the store under the write lock, row by row */
    w.res = res;
    rc = provenance_init(&w.pv, st, p, err);
    if (!rc && len >= PIPELINE_MIN_BYTES)
        rc = run_pipeline(&w, buf, len, lim, err);
    else if (!rc)
        rc = bundle_split(buf, len, lim, inline_one, &w, &res->was_bundle, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        svc_ingest_result_free(res);
    return rc;
}
