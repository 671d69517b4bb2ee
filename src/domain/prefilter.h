/* domain/prefilter.h - the matcher's prefilter questions: a raw log value (as a
 * scanner hands it over, with its kind hint or -1) is classified the way
 * svc_match_observation() would classify it, and the index's prefilter
 * (index/hot.h) is asked about the keys it could reach. svc_index.c binds this to an
 * index (svc_prefilter_add/maybe); nothing here knows of STIX or TLP. */
#ifndef MZ_PREFILTER_H
#define MZ_PREFILTER_H

#include <stddef.h>

#include "index/hot.h"

/* 1 when the value is a "maybe" without a probe (the caller then matches the line in
 * full); else 0, its probes appended to ps (none when it can match nothing). */
int prefilter_value(const struct hot *h, const char *v, size_t n, int hint, struct hot_probes *ps);

#endif
