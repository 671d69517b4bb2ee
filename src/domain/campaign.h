/* domain/campaign.h - regional campaigns: an observable reported by organisations of
 * two or more countries within a configurable window (campaign.window_hours,
 * campaign.min_countries). The indicator engine detects them as it indexes objects
 * (engine/engine_campaign.c) and hands them back from engine_refresh(); recording
 * each as a STIX grouping (context "suspicious-activity", TLP:GREEN, created by the
 * node's own identity, versioned as new reports join) is this module's use case,
 * which the node's background job runs after the refresh (node/node.c), and so is
 * listing them. Only objects the whole community may see (TLP:CLEAR and TLP:GREEN)
 * ever count, so a campaign never reveals an AMBER or RED report. Campaigns are per
 * community (docs/model.md R11.6): the reports shared into community K count for K's
 * campaign, whose grouping is shared into K alone.
 *
 * Campaign state is the node's alone: the grouping ids are made under a secret of
 * the node's (campaign_key), so no member can take one first; a recorded one is
 * reserved (domain/provenance.h); the engine learns what was recorded only from the
 * node's own rows, and the list shows only those. */
#ifndef MZ_CAMPAIGN_H
#define MZ_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "domain/svc.h"
#include "store/store.h"

struct engine_campaign; /* engine/engine.h: a campaign as the engine detected it */

/* The node's own STIX identity (created and remembered on first use). */
enum mz_err campaign_node_identity(struct store *st, char *out, size_t cap, struct mz_error *err);
/* The same without creating it: out is "" while the node has none yet. */
enum mz_err campaign_node_identity_peek(struct store *st, char *out, size_t cap, struct mz_error *err);
/* The node's secret of campaign grouping ids (engine_set_campaigns), created on first
 * use and kept in the store's settings: out gets ENGINE_CAMPAIGN_KEY_MAX characters
 * and a NUL (cap at least that). */
enum mz_err campaign_key(struct store *st, char *out, size_t cap, struct mz_error *err);
/* Store (a new version of) the campaign's grouping, in its own transaction. Called
 * with no lock of the engine held: it waits for SQLite's writer like any write. When a
 * withdrawal took reports out of it (docs/model.md R11.6), the node withdraws from
 * everyone its earlier versions that listed one of them, and every version when the
 * campaign ended (c->ended: too few countries left; no new version then). */
enum mz_err campaign_record(struct store *st, const struct engine_campaign *c, struct mz_error *err);
/* List the campaigns p may see (newest versions), as svc_list does. */
enum mz_err campaign_list(struct store *st, const struct principal *p, const struct svc_query *q,
                          svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err);

#endif
