/* engine/svc_prefilter.h - the matcher's prefilter bound to an engine: the questions
 * are engine/prefilter.c's, the answers index/hot.c's, and this is where a frozen
 * engine (engine_snapshot_open) lends its prefilter to the threaded matcher
 * (engine_scan.c), which asks it about a log line before it runs
 * engine_match_observation() on the line.
 *
 * The values of a line (as a log scanner hands them over, with their kind hints or -1)
 * are added to a probe set, and svc_prefilter_maybe() then says 0 when none of them
 * can match any indicator at all - for no principal, at no time - and 1 when one may.
 * Adding starts the memory loads the answer needs, so that a caller can scan the next
 * line before asking (index/hot.h). With no prefilter (a live engine) the answer is
 * always 1. A frozen engine always has one; whether a scan may use it is the caller's
 * decision for its principal (engine_scan_patterns_reach: a scan pattern it may see
 * makes a "no" uncertain). Safe from any number of threads, each with its own probe
 * set. */
#ifndef MZ_SVC_PREFILTER_H
#define MZ_SVC_PREFILTER_H

#include <stddef.h>

#include "engine/engine.h"
#include "index/hot.h"

void svc_prefilter_reset(struct hot_probes *ps);
void svc_prefilter_add(const struct engine *e, struct hot_probes *ps, const char *v, size_t n, int hint);
/* The same for all the values of a flat JSON line at once, as jscan_line() hands
 * them over (v[0..n), each with the classes of its bytes: match/jscan.h). */
struct jscan_value;
void svc_prefilter_add_values(const struct engine *e, struct hot_probes *ps, const struct jscan_value *v,
                              size_t n);
int svc_prefilter_maybe(const struct engine *e, const struct hot_probes *ps);
/* 1 if e has a prefilter (svc_prefilter_maybe can say 0). */
int svc_prefilter_on(const struct engine *e);

#endif
