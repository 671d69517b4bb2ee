/* domain/svc_sighting.h - the sighting use case: a matcher reports which indicators
 * it saw, and the node stores one STIX sighting per indicator, none wider than its
 * indicator. Who a sighting is addressed to is decided here (with
 * rules/tlp.c's tlp_sighting_level, which the engine applied to each hit): TLP:AMBER
 * of the reporter's organisation, addressed also to the organisation that shared the
 * indicator (so the source learns it was seen), when every member of the
 * organisation may see the indicator; else TLP:RED to the reporter and the person
 * who shared it - except for hits of a pattern evaluated on every value (scan) and
 * hits through a key wider than its owner should hear of (wide: a short CIDR range, a
 * parent domain that is a public suffix, engine_hit.wide), whose sightings stay with
 * the reporter's organisation. `mreza match --report` feeds it the
 * hits of a match run
 * (domain/svc_match.h collects them into a struct svc_sighted_list); another front
 * end (the API, TAXII) can feed it records of its own. */
#ifndef MZ_SVC_SIGHTING_H
#define MZ_SVC_SIGHTING_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "store/store.h"
#include "util/err.h"

/* What was seen of one indicator. */
struct svc_sighted {
    const char *indicator;     /* "indicator--…" */
    int64_t owner_org;         /* the organisation that shared the indicator */
    int64_t submitter;         /* the user who shared it */
    int tlp;                   /* the sighting's marking (tlp_sighting_level): TLP_AMBER or
                                * TLP_RED; anything else is taken as TLP_RED */
    uint64_t count;            /* times seen */
    int64_t first_us, last_us; /* first and last seen, microseconds since the epoch */
    int scan;                  /* seen through a pattern evaluated on every value (no
                                * index key): its sighting is addressed to no one
                                * outside the reporter's organisation (or, RED, beyond
                                * the reporter) */
    int wide;                  /* seen through a key wider than its owner should hear
                                * of (a /8 range, a parent "com"): addressed to no one,
                                * as scan; kept apart from the indicator's other hits */
};

/* A growing list of svc_sighted records. It owns the indicator ids it holds. */
struct svc_sighted_list {
    struct svc_sighted *v;
    size_t n, cap;
    int sorted;                /* svc_sighted_list_merge() ran since the last add */
};

void svc_sighted_list_init(struct svc_sighted_list *l);
/* svc_sighted_list_free() of an initialised list is safe (and frees its ids). */
void svc_sighted_list_free(struct svc_sighted_list *l);
/* One more sighting of rec's indicator, seen between rec->first_us and rec->last_us
 * (rec->count is not read; the id is copied). */
enum mz_err svc_sighted_list_add(struct svc_sighted_list *l, const struct svc_sighted *rec);
/* One record per indicator (two when some of its hits were scan or wide and some
 * not: one addressed to its owner, one not), in order of id: counts added, the
 * earliest first_us and the latest last_us kept. */
void svc_sighted_list_merge(struct svc_sighted_list *l);

/* May p report sightings? A person (a user, not an organisation as a whole) whose
 * role may write. MZ_EINVAL or MZ_EFORBIDDEN with a message otherwise. */
enum mz_err svc_sighting_check(const struct principal *p, struct mz_error *err);

/* Store one STIX sighting per record of list[0..n) as p (svc_ingest: all or nothing,
 * one transaction): count, first_seen/last_seen, where_sighted_refs p's organisation,
 * the marking and recipients above. Records of one indicator should be merged first
 * (each record is one sighting). *n_stored gets the number of new objects. */
enum mz_err svc_report_sightings(struct store *st, const struct principal *p, const struct svc_sighted *list,
                                 size_t n, size_t *n_stored, struct mz_error *err);

#endif
