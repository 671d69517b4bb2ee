/* engine/prefilter.h - the matcher's prefilter questions: a raw log value (as a
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

/* The same for a value without a hint whose bytes' classes (match/jscan.h's JSCAN_*
 * bits) OR to cls, as jscan_line() hands them over: the value is not classified
 * again unless it has a byte of JSCAN_OTHER. */
int prefilter_value_classed(const struct hot *h, const char *v, size_t n, unsigned cls, struct hot_probes *ps);

/* All the values of a flat JSON line as jscan_line() hands them over: their probes
 * into ps, and ps->maybe set if one is a maybe without a probe (the rest are then not
 * looked at). */
struct jscan_value;
void prefilter_values_classed(const struct hot *h, const struct jscan_value *v, size_t n, struct hot_probes *ps);

#endif
