/* domain/svc_ingest.c - writing a bundle: validate every object, store it, all or
 * nothing, in one durable transaction.
 *
 * JSON parsing and STIX validation cost about as much as the SQLite inserts, and
 * SQLite allows one writer, so for large bundles the work is split over two cores:
 * a producer thread runs bundle_split() + stix_validate() and hands batches of
 * validated objects through a small bounded queue to the calling thread, which owns
 * the store transaction and inserts them in order. Either side's error stops both;
 * the transaction is then rolled back, so nothing of the bundle is stored. Small
 * bodies skip the thread. Ownership: a queued item owns its parsed json_t (the
 * strings of its stix_info point into it) until the writer has stored it.
 *
 * When svc_init() has installed the allocation hooks, each batch's parse trees are
 * built in that batch's arena (util/arena.h) and dropped all at once when the batch
 * is reused, instead of being freed node by node: jansson's allocator calls go to
 * the arena of the thread that is parsing (tl_arena), and to malloc/free elsewhere. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/stix.h"
#include "domain/svc.h"
#include "domain/tlp.h"
#include "util/arena.h"
#include "util/timefmt.h"

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

void svc_init(void)
{
    json_set_alloc_funcs(json_alloc_hook, json_free_hook);
    arenas_on = 1;
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
                          int tlp, int defaulted, int duplicate)
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
    it->tlp = tlp;
    it->tlp_defaulted = defaulted;
    it->duplicate = duplicate;
    res->n_items++;
    res->n_new += !duplicate;
    res->n_duplicate += duplicate;
    res->n_defaulted += defaulted;
    return MZ_OK;
}

/* ---- the writer's side ---- */

struct writer {
    struct store *st;
    const struct principal *p;
    struct store_write_ctx wctx;
    struct svc_ingest_result *res;
};

static enum mz_err put_item(struct writer *w, const struct item *it, struct mz_error *err)
{
    const struct stix_info *info = &it->info;
    struct store_object_in in;
    enum store_put_result put;
    enum mz_err rc;

    in.stix_id = info->id;
    in.type = info->type;
    in.version = info->version;
    in.version_key = info->version_key;
    in.created_by = info->created_by_ref ? info->created_by_ref : w->p->org.identity;
    in.tlp = info->tlp >= 0 ? info->tlp : TLP_DEFAULT;
    in.tlp_defaulted = info->tlp < 0;
    in.revoked = info->revoked;
    in.audience = info->audience;
    in.body = it->raw;
    in.body_len = it->raw_len;
    rc = store_put_object(w->st, &w->wctx, &in, &put, err);
    if (!rc)
        rc = record(w->res, info, in.tlp, in.tlp_defaulted, put == STORE_PUT_DUPLICATE);
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

/* ---- two threads: a producer validates, the caller writes ---- */

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct batch *full[QUEUE_BATCHES]; /* ring of validated batches */
    int head, count;
    struct batch *used[QUEUE_BATCHES + 2]; /* stored batches, to be freed by the producer */
    int n_used;
    int producer_done;                 /* no more batches will come */
    int stop;                          /* the writer failed: producer, stop */
    /* producer's state */
    const char *buf;
    size_t len;
    const struct bundle_limits *lim;
    struct batch *cur;
    int was_bundle;
    enum mz_err prc;
    struct mz_error perr;
};

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

static void free_batch(struct batch *b)
{
    free_batch_items(b);
    mz_arena_free(&b->arena);
    free(b);
}

/* A batch to fill: a stored one handed back by the writer, emptied here, or a new
 * one. The parsed objects are released on the thread that allocated them, which
 * keeps the two threads off each other's malloc arena. */
static struct batch *new_batch(struct pipe *pp)
{
    struct batch *b = NULL;

    pthread_mutex_lock(&pp->lock);
    if (pp->n_used)
        b = pp->used[--pp->n_used];
    pthread_mutex_unlock(&pp->lock);
    if (b) {
        free_batch_items(b);
    } else {
        b = malloc(sizeof *b);
        if (b)
            mz_arena_init(&b->arena, BATCH_ARENA_CHUNK);
    }
    if (b)
        b->n = 0;
    return b;
}

/* Start filling a fresh batch: later parses allocate from its arena. */
static int start_batch(struct pipe *pp)
{
    pp->cur = new_batch(pp);
    tl_arena = pp->cur && arenas_on ? &pp->cur->arena : NULL;
    return pp->cur != NULL;
}

/* Queue the current batch; waits while the queue is full. 1 if told to stop. */
static int push_batch(struct pipe *pp)
{
    int stop;

    pthread_mutex_lock(&pp->lock);
    while (pp->count == QUEUE_BATCHES && !pp->stop)
        pthread_cond_wait(&pp->cond, &pp->lock);
    stop = pp->stop;
    if (!stop) {
        pp->full[(pp->head + pp->count) % QUEUE_BATCHES] = pp->cur;
        pp->count++;
        pp->cur = NULL;
        pthread_cond_broadcast(&pp->cond);
    }
    pthread_mutex_unlock(&pp->lock);
    return stop;
}

static enum mz_err produce_one(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                               size_t index, struct mz_error *err)
{
    struct pipe *pp = ctx;
    struct item *it;
    enum mz_err rc;

    (void)index;
    if (!pp->cur)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    it = &pp->cur->items[pp->cur->n];
    rc = stix_validate(obj, &it->info, err);
    if (rc) {
        stix_info_clear(&it->info);
        return rc;
    }
    it->obj = json_incref(obj); /* kept alive for the writer */
    it->raw = raw;
    it->raw_len = raw_len;
    if (++pp->cur->n < BATCH_OBJECTS)
        return MZ_OK;
    if (push_batch(pp))
        return mz_error_set(err, MZ_EIO, "", "stopped"); /* the writer's error wins */
    if (!start_batch(pp))
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    return MZ_OK;
}

static void *producer(void *arg)
{
    struct pipe *pp = arg;

    if (!start_batch(pp)) {
        pp->prc = mz_error_set(&pp->perr, MZ_ENOMEM, "", "out of memory");
    } else {
        pp->prc = bundle_split(pp->buf, pp->len, pp->lim, produce_one, pp, &pp->was_bundle, &pp->perr);
        if (!pp->prc && pp->cur && pp->cur->n)
            push_batch(pp);
    }
    tl_arena = NULL;
    if (pp->cur) {
        free_batch(pp->cur);
        pp->cur = NULL;
    }
    pthread_mutex_lock(&pp->lock);
    pp->producer_done = 1;
    pthread_cond_broadcast(&pp->cond);
    pthread_mutex_unlock(&pp->lock);
    return NULL;
}

static struct batch *pop_batch(struct pipe *pp)
{
    struct batch *b = NULL;

    pthread_mutex_lock(&pp->lock);
    while (pp->count == 0 && !pp->producer_done)
        pthread_cond_wait(&pp->cond, &pp->lock);
    if (pp->count) {
        b = pp->full[pp->head];
        pp->head = (pp->head + 1) % QUEUE_BATCHES;
        pp->count--;
        pthread_cond_broadcast(&pp->cond);
    }
    pthread_mutex_unlock(&pp->lock);
    return b;
}

/* Hand a stored batch back to the producer (see new_batch). */
static void recycle_batch(struct pipe *pp, struct batch *b)
{
    pthread_mutex_lock(&pp->lock);
    if (pp->n_used < (int)(sizeof pp->used / sizeof pp->used[0])) {
        pp->used[pp->n_used++] = b;
        b = NULL;
    }
    pthread_mutex_unlock(&pp->lock);
    if (b)
        free_batch(b);
}

static enum mz_err run_pipeline(struct writer *w, const char *buf, size_t len,
                                const struct bundle_limits *lim, struct mz_error *err)
{
    struct pipe pp;
    pthread_t tid;
    struct batch *b;
    size_t index = 0;
    enum mz_err rc = MZ_OK;

    memset(&pp, 0, sizeof pp);
    pthread_mutex_init(&pp.lock, NULL);
    pthread_cond_init(&pp.cond, NULL);
    pp.buf = buf;
    pp.len = len;
    pp.lim = lim;
    mz_error_clear(&pp.perr);
    if (pthread_create(&tid, NULL, producer, &pp) != 0) {
        pthread_mutex_destroy(&pp.lock);
        pthread_cond_destroy(&pp.cond);
        return mz_error_set(err, MZ_ENOMEM, "", "cannot start the ingest thread");
    }
    while ((b = pop_batch(&pp))) {
        for (int i = 0; !rc && i < b->n; i++) {
            rc = put_item(w, &b->items[i], err);
            index += !rc;
        }
        if (rc && pp.was_bundle) {
            char prefix[48];
            snprintf(prefix, sizeof prefix, "/objects/%zu", index);
            mz_error_prefix_field(err, prefix);
        }
        recycle_batch(&pp, b);
        if (rc) {
            pthread_mutex_lock(&pp.lock);
            pp.stop = 1;
            pthread_cond_broadcast(&pp.cond);
            pthread_mutex_unlock(&pp.lock);
        }
    }
    pthread_join(tid, NULL);
    /* Batches queued after the writer stopped are still to be released. */
    while (pp.count) {
        b = pp.full[pp.head];
        pp.head = (pp.head + 1) % QUEUE_BATCHES;
        pp.count--;
        free_batch(b);
    }
    while (pp.n_used)
        free_batch(pp.used[--pp.n_used]);
    pthread_mutex_destroy(&pp.lock);
    pthread_cond_destroy(&pp.cond);
    w->res->was_bundle = pp.was_bundle;
    if (!rc && pp.prc) {
        *err = pp.perr;
        rc = pp.prc;
    }
    return rc;
}

enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err)
{
    struct writer w;
    struct mz_time now;
    char date_added[MZ_TIME_STRLEN];
    enum mz_err rc;

    memset(res, 0, sizeof *res);
    if (!role_can_write(p->role))
        return mz_error_set(err, MZ_EFORBIDDEN, "", "the %s role may not write objects", role_name(p->role));
    rc = store_begin(st, err);
    if (rc)
        return rc;
    /* Stamped after the write lock is held, so date_added grows with seq. */
    mz_time_now(&now);
    mz_time_format_us(&now, date_added);
    w.st = st;
    w.p = p;
    w.wctx.owner_org = p->org.id;
    w.wctx.submitter = p->user.id;
    w.wctx.date_added = date_added;
    w.res = res;
    if (len >= PIPELINE_MIN_BYTES)
        rc = run_pipeline(&w, buf, len, lim, err);
    else
        rc = bundle_split(buf, len, lim, inline_one, &w, &res->was_bundle, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        svc_ingest_result_free(res);
    return rc;
}
