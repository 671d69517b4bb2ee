/* engine/svc_prefilter.c - see svc_prefilter.h: binds the prefilter's questions
 * (engine/prefilter.c) to an engine's answers (its struct hot). */
#include "engine/svc_prefilter.h"

#include "engine/engine_int.h"
#include "engine/prefilter.h"

int svc_prefilter_on(const struct engine *e)
{
    return e->hot != NULL;
}

void svc_prefilter_reset(struct hot_probes *ps)
{
    ps->n = 0;
    ps->maybe = 0;
}

void svc_prefilter_add(const struct engine *e, struct hot_probes *ps, const char *v, size_t n, int hint)
{
    if (!e->hot || prefilter_value(e->hot, v, n, hint, ps))
        ps->maybe = 1;
}

void svc_prefilter_add_values(const struct engine *e, struct hot_probes *ps, const struct jscan_value *v,
                              size_t n)
{
    if (!e->hot)
        ps->maybe = 1;
    else
        prefilter_values_classed(e->hot, v, n, ps);
}

int svc_prefilter_maybe(const struct engine *e, const struct hot_probes *ps)
{
    return !e->hot || hot_probes_maybe(e->hot, ps);
}
