/* engine/prefilter.h - the matcher's prefilter questions: a raw log value (as a
 * scanner hands it over, with its kind hint or -1) is classified the way
 * engine_match_observation() would classify it, and the index's prefilter
 * (index/hot.h) is asked about the keys it could reach. engine/svc_prefilter.c binds
 * this to an engine (svc_prefilter_add/maybe); nothing here knows of STIX or TLP. */
#ifndef MZ_PREFILTER_H
#define MZ_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "index/hot.h"

/* The byte classes a value is classified by (prefilter_class[], built from the
 * obs/ascii.h predicates); a value's classes are the OR of its bytes'. */
enum {
    PREFILTER_LETTER = 1,   /* A-Z a-z */
    PREFILTER_NONHEX = 2,   /* a letter past f */
    PREFILTER_DIGIT = 4,
    PREFILTER_DOT = 8,
    PREFILTER_DASH = 16,    /* '-' '_' */
    PREFILTER_AT = 32,
    PREFILTER_COLON = 64,
    PREFILTER_OTHER = 128,  /* any other ASCII byte */
    PREFILTER_HIGH = 256,   /* >= 0x80: an IDN label, perhaps */
    PREFILTER_URL = 512,    /* not a byte class: "://" was seen */
    PREFILTER_SLASH = 1024  /* '/', also PREFILTER_OTHER: "://" needs one */
};

/* The class of each byte; and the classes of a value whose bytes' match/jscan.h
 * classes OR to cls (cls without JSCAN_OTHER, below 128). Exported for the tests,
 * which check every entry. */
extern const uint16_t prefilter_class[256];
extern const uint16_t prefilter_class_of_jscan[128];

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
