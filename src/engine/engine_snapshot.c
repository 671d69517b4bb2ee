/* engine/engine_snapshot.c - the index snapshot: the serving node writes it (every
 * 10 s when the index changed, and at shutdown), `mreza match` maps it at start. It
 * is idx_save()'s image of the index's arrays with the matcher's prefilter
 * (index/hot.h) in a section of its own; the parsed patterns are not in it, they are
 * parsed again from the pattern text the index keeps. An engine opened from a
 * snapshot is frozen: never refreshed, so its readers take no lock, and it has the
 * prefilter unless some pattern must be evaluated on every value. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timefmt.h"

enum mz_err engine_snapshot_save(struct engine *e, const char *path, struct mz_error *err)
{
    enum mz_err rc;
    struct hot *built = NULL;
    void *blob = NULL;
    size_t n_blob = 0;

    /* Only the refresher changes the index: with it kept out, the arrays hold still
     * while they are written, and readers go on meanwhile. */
    pthread_mutex_lock(&e->refresh_mu);
    /* the prefilter goes into the snapshot, so that `mreza match` maps it too */
    rc = e->hot ? MZ_OK : hot_build(e->ix, &built, err);
    if (!rc)
        rc = hot_save(e->hot ? e->hot : built, &blob, &n_blob, err);
    if (!rc)
        rc = idx_save(e->ix, path, e->generation, blob, n_blob, err);
    pthread_mutex_unlock(&e->refresh_mu);
    hot_free(built);
    free(blob);
    return rc;
}

int64_t engine_obj_of_seq(const struct idx *ix, int64_t seq, uint64_t *probes)
{
    uint32_t lo = 0, hi = idx_n_objs(ix);

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (probes)
            (*probes)++;
        if (idx_obj_at(ix, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < idx_n_objs(ix) && idx_obj_at(ix, lo)->seq == seq ? (int64_t)lo : -1;
}

struct model_load {
    struct engine *e;
    int failed;
};

static int note_row(void *vctx, const struct store_row *row)
{
    struct model_load *ml = vctx;
    int64_t num = engine_obj_of_seq(ml->e->ix, row->seq, NULL);

    if (num < 0)
        return 0; /* not indexed: nothing to match */
    /* a version shared after the snapshot was written (a share marks its id cx):
     * its communities and audience as the store has them now (issue 11) */
    if (engine_versions_note(ml->e, (uint32_t)num, row, 1) ||
        (row->wd_keep && engine_versions_withdrawn(ml->e, (uint32_t)num, row->wd_keep)) ||
        ((row->shared_to || row->comm != idx_obj_at(ml->e->ix, (uint32_t)num)->comm) &&
         engine_versions_shared(ml->e, (uint32_t)num, row->comm, row->audience, row->shared_to))) {
        ml->failed = 1;
        return 1;
    }
    return 0;
}

/* After mapping a snapshot: the object model's facts of the ids that need its choice
 * (docs/model.md R4, R7: owners, claims, withdrawals; issue 11: shares), which the
 * snapshot does not hold, read from the store (those ids' rows alone) and noted as a refresh notes
 * them, so that `mreza match` reports per object as the node does and never a
 * withdrawn version to whoever no longer reads it. */
static enum mz_err load_model(struct engine *e, struct store *st, struct mz_error *err)
{
    struct model_load ml = {e, 0};
    struct store_query q;
    struct store_vis all;
    enum mz_err rc;

    memset(&q, 0, sizeof q);
    q.tlp = -1;
    q.all_versions = 1;
    q.cx = STORE_CX_CHOICE;
    q.order = STORE_ORDER_ADDED;
    tlp_visibility_internal(&all);
    rc = store_list(st, &all, &q, note_row, &ml, NULL, err);
    if (!rc && ml.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    return rc;
}

/* After mapping a snapshot: parse the patterns of CANDIDATE and SCAN objects (of a
 * retired version too when its id needs the model's choice: it may be served again). */
static enum mz_err load_patterns(struct engine *e, struct mz_error *err)
{
    uint32_t n = idx_n_objs(e->ix);

    for (uint32_t i = 0; i < n; i++) {
        const struct idx_obj *o = idx_obj_at(e->ix, i);
        const char *text;
        struct pattern *p = NULL;
        if (!(o->flags & (IDX_F_CANDIDATE | IDX_F_SCAN)) || ((o->flags & IDX_F_DEAD) && !engine_versions_cx(e, i)))
            continue;
        text = idx_obj_pattern(e->ix, i);
        if (!text || pattern_parse(text, strlen(text), &p, NULL))
            continue; /* cannot be confirmed: never reported */
        if (engine_pattern_add(e, i, p, (o->flags & IDX_F_SCAN) != 0)) {
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

/* Make e read-only for its matchers, with a prefilter. Whether a scan may use it is
 * decided per principal (engine_scan_patterns_reach): a pattern evaluated on every
 * value makes its "no" uncertain only for those who may see that pattern. */
static enum mz_err freeze(struct engine *e, int *built, struct mz_error *err)
{
    struct mz_error lerr;
    size_t n_blob = 0;
    const void *blob = idx_extra(e->ix, &n_blob);

    e->frozen = 1;
    *built = 0;
    if (e->hot)
        return MZ_OK;
    mz_error_clear(&lerr);
    if (blob && !hot_view(blob, n_blob, &e->hot, &lerr))
        return MZ_OK;
    *built = 1;
    return hot_build(e->ix, &e->hot, err);
}

enum mz_err engine_snapshot_open(struct store *st, const char *path, struct engine **out,
                                 char *how_out, size_t how_cap, struct mz_error *err)
{
    struct engine *e = NULL;
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
        e = engine_alloc();
        if (!e) {
            idx_free(ix);
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        }
        e->ix = ix;
        e->generation = gen;
        rc = load_model(e, st, err);
        if (!rc)
            rc = engine_owners_load(e, st, err);
        if (!rc)
            rc = load_patterns(e, err);
        if (rc) {
            engine_free(e);
            return rc;
        }
        if (how_out)
            snprintf(how_out, how_cap, "snapshot");
        rc = freeze(e, &built, err);
        /* a snapshot without a usable prefilter (an older mreza wrote it) gets one */
        if (!rc && built)
            rc = engine_snapshot_save(e, path, err);
        if (rc) {
            engine_free(e);
            return rc;
        }
        *out = e;
        return MZ_OK;
    }
    stale = ix != NULL;
    idx_free(ix);
    mz_time_now(&t0);
    rc = engine_new(&e, err);
    if (!rc) {
        struct engine_refresh_result res;
        rc = engine_refresh(e, st, &res, err);
        engine_refresh_result_free(&res);
    }
    /* the prefilter, built once: saved with the snapshot and used by the matchers */
    if (!rc)
        rc = hot_build(e->ix, &e->hot, err);
    mz_time_now(&t1);
    if (!rc)
        rc = engine_snapshot_save(e, path, err);
    mz_time_now(&t2);
    if (how_out)
        snprintf(how_out, how_cap, "rebuilt (%s): built in %.3f s, snapshot written in %.3f s",
                 stale ? "the snapshot was older than the store" : lerr.msg, secs_between(&t0, &t1),
                 secs_between(&t1, &t2));
    if (!rc)
        rc = freeze(e, &built, err);
    if (rc) {
        engine_free(e);
        return rc;
    }
    *out = e;
    return MZ_OK;
}
