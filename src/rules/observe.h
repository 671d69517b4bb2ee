/* rules/observe.h - the observables a STIX object carries, in canonical form: the
 * terms of an indicator's STIX pattern (through pattern_plan) and the value or hashes
 * of a cyber-observable object (ipv4-addr, ipv6-addr, domain-name, url, email-addr,
 * file, cryptocurrency-wallet). Used to build the index, to answer correlation
 * queries about one object, and by nothing that knows HTTP or SQL. */
#ifndef MZ_OBSERVE_H
#define MZ_OBSERVE_H

#include <jansson.h>

#include "rules/pattern.h"
#include "obs/obs.h"

enum observe_plan {
    OBSERVE_NONE = 0,  /* no observables (or a pattern type other than stix) */
    OBSERVE_VALUES,    /* an observable object: its values */
    OBSERVE_EXACT,     /* an indicator whose pattern is exactly its terms */
    OBSERVE_CANDIDATE, /* an indicator found through its terms, confirmed by pattern_eval */
    OBSERVE_SCAN       /* an indicator without an index key: evaluated on every value */
};

/* Called per canonical value; return nonzero to stop. */
typedef int (*observe_fn)(void *ctx, enum obs_kind k, const char *canon, size_t len);

/* Report obj's observables to fn (may be NULL) and say how an indicator can be
 * matched. For indicators, *pattern_out (may be NULL) receives the parsed pattern
 * (caller frees with pattern_free) when the plan is CANDIDATE or SCAN. */
enum observe_plan observe_object(json_t *obj, observe_fn fn, void *ctx,
                                 struct pattern **pattern_out);

/* Report the canonical index terms of an already parsed pattern (for an EXACT or
 * CANDIDATE plan) to fn. */
void observe_pattern_values(const struct pattern *p, observe_fn fn, void *ctx);

/* How an indicator with pattern p can be matched (EXACT, CANDIDATE or SCAN). */
enum observe_plan observe_pattern_plan(const struct pattern *p);

/* 0 if every literal the index would look up for p is a valid observable of its
 * kind; else -1, with the first bad literal's offset in the pattern text in *pos and
 * why in err (e.g. "host bits set in IPv4 range: the network is 10.0.0.0/8"). Such a
 * literal would be left out of the index, and what it stands for never matched: the
 * pattern is refused at write time instead. */
int observe_pattern_check(const struct pattern *p, size_t *pos, struct mz_error *err);

/* "exact", "candidate", "scan", "values", "none". */
const char *observe_plan_name(enum observe_plan p);

#endif
