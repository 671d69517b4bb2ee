/* domain/campaign.h - regional campaigns: an observable reported by organisations of
 * two or more countries within a configurable window (campaign.window_hours,
 * campaign.min_countries). The indicator engine (engine_campaign.c) detects them as objects
 * are indexed; this module records each as a STIX grouping (context
 * "suspicious-activity", TLP:GREEN, created by the node's own identity, versioned as
 * new reports join) and lists them. Only objects the whole community may see
 * (TLP:CLEAR and TLP:GREEN) ever count, so a campaign never reveals an AMBER or RED
 * report. */
#ifndef MZ_CAMPAIGN_H
#define MZ_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "domain/svc.h"
#include "obs/obs.h"
#include "store/store.h"

#define CAMPAIGN_MAX_REFS 1000
#define CAMPAIGN_MAX_COUNTRIES 64

struct campaign {
    enum obs_kind kind;
    const char *value;                      /* canonical observable */
    const char *refs[CAMPAIGN_MAX_REFS];    /* STIX ids of the reports */
    size_t n_refs;
    char countries[CAMPAIGN_MAX_COUNTRIES][3];
    size_t n_countries;
    int64_t first_seen, last_seen;          /* microseconds */
};

/* The node's own STIX identity (created and remembered on first use). */
enum mz_err campaign_node_identity(struct store *st, char *out, size_t cap, struct mz_error *err);
/* The grouping id of the campaign around (kind, value): stable, so that updates
 * are new versions of one object. */
void campaign_id(enum obs_kind kind, const char *value, char *out, size_t cap);
/* Store (a new version of) the campaign's grouping, in its own transaction. */
enum mz_err campaign_record(struct store *st, const struct campaign *c, struct mz_error *err);
/* List the campaigns p may see (newest versions), as svc_list does. */
enum mz_err campaign_list(struct store *st, const struct principal *p, const struct svc_query *q,
                          svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err);

#endif
