/* engine/obsline.h - the values of one log line, copied out of the log scanner
 * (match/logfmt.h hands out values borrowed for one callback) into engine_value
 * records that engine_match_observation() takes: what the threaded matcher
 * (engine_scan.c) does with each line it matches in full, for `mreza match` and
 * POST /api/v1/match alike. The struct owns its scratch memory; obsline_free()
 * releases it. */
#ifndef MZ_OBSLINE_H
#define MZ_OBSLINE_H

#include <stddef.h>

#include "engine/engine.h"
#include "match/logfmt.h"

struct obsline {
    struct engine_value vals[ENGINE_MATCH_MAX_VALUES];
    size_t n;
    char *scratch; /* fields and values, NUL-terminated */
    size_t used, cap;
};

/* 0, or -1 when out of memory. cap bounds the bytes one line's values may take. */
int obsline_init(struct obsline *l, size_t cap);
void obsline_free(struct obsline *l);
/* Forget the values (before the next line). */
void obsline_reset(struct obsline *l);
/* A logfmt_value_fn: ctx is a struct obsline. Stops the line (returns 1) when full. */
int obsline_add(void *ctx, const struct logfmt_value *v);

#endif
