/* engine/engine.c - the indicator engine's life cycle (engine/engine.h), the lock its
 * readers take, and the table of parsed patterns that matching confirms candidates
 * with. TLP is not decided in the engine: every hit and every correlated object
 * passes tlp_can_read() (rules/tlp.c) before it is reported; engine_obj_meta() gives
 * that function an indexed object's facts.
 *
 * The locks: a rwlock, which matching, correlation and statistics hold for reading
 * and a refresh holds for writing only while it adds rows it has already read and
 * prepared (engine_refresh.c); and a mutex that keeps refreshes (and snapshot writes,
 * which must see no half-added batch) one at a time, so that the refresher may read
 * the index without the rwlock. A frozen engine (a snapshot opened for `mreza
 * match`) is never written, so its readers skip the rwlock altogether. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void engine_set_campaigns(struct engine *e, long window_hours, long min_countries, const char *key)
{
    if (!key || !*key || strlen(key) > ENGINE_CAMPAIGN_KEY_MAX) {
        e->campaign_window_us = 0;
        return;
    }
    snprintf(e->campaign_key, sizeof e->campaign_key, "%s", key);
    e->campaign_window_us = (int64_t)window_hours * 3600 * 1000000;
    e->campaign_min_countries = min_countries;
}

void engine_set_limits(struct engine *e, const struct engine_limits *lim)
{
    e->limits = *lim;
}

struct engine *engine_alloc(void)
{
    struct engine *e = calloc(1, sizeof *e);

    if (!e)
        return NULL;
    e->limits.regex.steps = PATTERN_REGEX_STEPS;
    e->limits.regex.heap_kib = PATTERN_REGEX_HEAP_KIB;
    pthread_rwlock_init(&e->lock, NULL);
    pthread_mutex_init(&e->refresh_mu, NULL);
    pthread_mutex_init(&e->space_mu, NULL);
    return e;
}

enum mz_err engine_new(struct engine **out, struct mz_error *err)
{
    struct engine *e = engine_alloc();

    if (!e)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (idx_new(&e->ix, err)) {
        engine_free(e);
        return err ? err->code : MZ_ENOMEM;
    }
    *out = e;
    return MZ_OK;
}

void engine_set_refresh_hook(struct engine *e, engine_refresh_hook_fn fn, void *ctx)
{
    pthread_mutex_lock(&e->refresh_mu);
    e->hook = fn;
    e->hook_ctx = ctx;
    pthread_mutex_unlock(&e->refresh_mu);
}

void engine_wd_work(struct engine *e, struct engine_wd_work *out)
{
    pthread_mutex_lock(&e->refresh_mu);
    *out = e->wd_work;
    pthread_mutex_unlock(&e->refresh_mu);
}

static void free_patterns(struct engine *e)
{
    for (size_t i = 0; i < e->n_pats; i++)
        pattern_free(e->pats[i]);
    free(e->pats);
    free(e->pat_objs);
    free(e->scan_objs);
    e->pats = NULL;
    e->pat_objs = e->scan_objs = NULL;
    e->n_pats = e->cap_pats = e->n_scan = e->cap_scan = 0;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    free_patterns(e);
    free(e->map_keys);
    free(e->map_vals);
    free(e->map_owner);
    free(e->ox);
    free(e->idm_keys);
    free(e->idm_head);
    free(e->idm_cx);
    free(e->idm_first_org);
    free(e->idm_first_user);
    free(e->idm_claimed);
    for (size_t i = 0; i < e->n_wd; i++)
        free(e->wd_keeps[i]);
    free(e->wd_nums);
    free(e->wd_keeps);
    for (size_t i = 0; i < e->n_sh; i++)
        free(e->sh_auds[i]);
    free(e->sh_nums);
    free(e->sh_comm);
    free(e->sh_auds);
    free(e->owners);
    free(e->camp_keys);
    free(e->camp_refs);
    free(e->camp_sums);
    free(e->camp_ids);
    idx_free(e->ix);
    hot_free(e->hot);
    pthread_rwlock_destroy(&e->lock);
    pthread_mutex_destroy(&e->refresh_mu);
    pthread_mutex_destroy(&e->space_mu);
    free(e->space);
    free(e);
}

uint64_t engine_generation(struct engine *e)
{
    uint64_t g;

    pthread_rwlock_rdlock(&e->lock);
    g = e->generation;
    pthread_rwlock_unlock(&e->lock);
    return g;
}

void engine_read_lock(struct engine *e)
{
    if (!e->frozen)
        pthread_rwlock_rdlock(&e->lock);
}

void engine_read_unlock(struct engine *e)
{
    if (!e->frozen)
        pthread_rwlock_unlock(&e->lock);
}

int engine_pattern_add(struct engine *e, uint32_t obj, struct pattern *p, int scan)
{
    if (e->n_pats == e->cap_pats) {
        size_t ncap = e->cap_pats ? e->cap_pats * 2 : 64;
        uint32_t *o = realloc(e->pat_objs, ncap * sizeof *o);
        struct pattern **ps;
        if (!o)
            return -1;
        e->pat_objs = o;
        ps = realloc(e->pats, ncap * sizeof *ps);
        if (!ps)
            return -1;
        e->pats = ps;
        e->cap_pats = ncap;
    }
    if (scan && e->n_scan == e->cap_scan) {
        size_t ncap = e->cap_scan ? e->cap_scan * 2 : 64;
        uint32_t *s = realloc(e->scan_objs, ncap * sizeof *s);
        if (!s)
            return -1;
        e->scan_objs = s;
        e->cap_scan = ncap;
    }
    e->pat_objs[e->n_pats] = obj;
    e->pats[e->n_pats++] = p;
    if (scan)
        e->scan_objs[e->n_scan++] = obj;
    return 0;
}

const struct pattern *engine_pattern_of(const struct engine *e, uint32_t obj)
{
    size_t lo = 0, hi = e->n_pats;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->pat_objs[mid] < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_pats && e->pat_objs[lo] == obj ? e->pats[lo] : NULL;
}

void engine_obj_meta(const struct engine *e, uint32_t num, struct tlp_meta *meta)
{
    const struct idx_obj *o = idx_obj_at(e->ix, num);

    memset(meta, 0, sizeof *meta);
    meta->tlp = o->tlp;
    meta->owner_org = o->owner_org;
    meta->submitter = o->submitter;
    /* (shared_to included in the audience; a share made after indexing: the sh_*
     * table's) */
    engine_versions_facts(e, num, &meta->comm, &meta->audience);
}

const char *engine_owner_identity(const struct engine *e, int64_t org)
{
    size_t lo = 0, hi = e->n_owners;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->owners[mid].org < org)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_owners && e->owners[lo].org == org ? e->owners[lo].identity : "";
}

struct owners_load {
    struct engine_owner *v;
    size_t n, cap;
    int failed;
};

static int add_owner(void *vctx, const struct store_org *o)
{
    struct owners_load *l = vctx;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct engine_owner *n = realloc(l->v, ncap * sizeof *n);
        if (!n) {
            l->failed = 1;
            return 1;
        }
        l->v = n;
        l->cap = ncap;
    }
    l->v[l->n].org = o->id;
    snprintf(l->v[l->n].identity, sizeof l->v[l->n].identity, "%s", o->identity);
    l->n++;
    return 0;
}

static int by_org(const void *a, const void *b)
{
    int64_t x = ((const struct engine_owner *)a)->org, y = ((const struct engine_owner *)b)->org;

    return (x > y) - (x < y);
}

enum mz_err engine_owners_load(struct engine *e, struct store *st, struct mz_error *err)
{
    struct owners_load l = {NULL, 0, 0, 0};
    struct engine_owner *old;
    enum mz_err rc = store_org_list(st, add_owner, &l, err);

    if (!rc && l.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "index: out of memory");
    if (rc) {
        free(l.v);
        return rc;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, by_org);
    if (!e->frozen)
        pthread_rwlock_wrlock(&e->lock);
    e->epoch++;
    old = e->owners;
    e->owners = l.v;
    e->n_owners = l.n;
    if (!e->frozen)
        pthread_rwlock_unlock(&e->lock);
    free(old);
    return MZ_OK;
}
