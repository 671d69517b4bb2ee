/* engine/engine_stats.c - the figures of GET /api/v1/index: the index's own counts
 * and memory, the parsed patterns, and the generation, read under the readers' lock
 * so that they describe one state of the index. */
#include "engine/engine_int.h"

void engine_stats(struct engine *e, struct engine_stats *out)
{
    pthread_rwlock_rdlock(&e->lock);
    idx_stats(e->ix, &out->idx);
    out->n_candidate = e->n_pats - e->n_scan;
    out->n_scan = e->n_scan;
    out->generation = e->generation;
    pthread_rwlock_unlock(&e->lock);
}
