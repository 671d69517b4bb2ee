/* engine/engine.h - the indicator engine: the public API of src/engine/ for the
 * layers above it (node/, domain/). It keeps the observable index (index/idx.h) in
 * step with the store, matches values and log lines for a principal (only indicators
 * that principal may see under TLP are ever reported), answers correlation queries,
 * detects regional campaigns, and writes/reads the snapshot that `mreza match` maps
 * at start.
 *
 * The engine is one struct engine, implemented by one file per concern (each opens
 * with what it does; engine_int.h holds what they share):
 *   engine.c            life cycle, the readers' lock, the table of parsed patterns
 *   engine_versions.c   the version map (which indexed object is an object's newest),
 *                       the ids' objects and versions for the model's units (R4)
 *   engine_refresh.c    reading the store and indexing what it gained
 *   engine_snapshot.c   writing the snapshot, and opening one for `mreza match`
 *   engine_match.c      matching one observation (engine_match_observation)
 *   engine_correlate.c  correlation lookups
 *   engine_campaign.c   detecting regional campaigns while indexing
 *   engine_stats.c      counts for GET /api/v1/index
 * and, over those, the threaded log matcher (engine_scan.h: engine_scan.c, with
 * engine_input.c holding a log in memory, obsline.c a line's values, and the
 * prefilter: prefilter.c's questions bound to an engine by svc_prefilter.c).
 * The front ends reach all of it only through the domain's use cases
 * (domain/svc_match.h, domain/campaign.h).
 *
 * Threads: one refresher at a time (the node's background thread calls
 * engine_refresh; a mutex inside keeps it so), any number of readers (matchers,
 * correlation, statistics): a rwlock inside guards the index, held for writing only
 * while a refresh adds what it has already read and prepared. A snapshot opened for
 * matching is frozen: never refreshed, so its readers take no lock. */
#ifndef MZ_ENGINE_H
#define MZ_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "index/idx.h"
#include "obs/obs.h"
#include "rules/pattern.h"
#include "rules/principal.h"
#include "store/store.h"
#include "util/err.h"

struct engine;

enum mz_err engine_new(struct engine **out, struct mz_error *err);
/* Detect regional campaigns while refreshing: an observable carried by
 * TLP:CLEAR/GREEN objects of organisations of at least min_countries countries
 * within window_hours. Off (0) unless set; the serving node turns it on. key (text,
 * copied, at most ENGINE_CAMPAIGN_KEY_MAX bytes) is the node's secret from which the
 * campaigns' grouping ids are made (engine_campaign_id): without one (NULL or "")
 * campaigns stay off, so that no grouping ever gets an id others could foretell. */
#define ENGINE_CAMPAIGN_KEY_MAX 64
void engine_set_campaigns(struct engine *e, long window_hours, long min_countries, const char *key);
/* What matching may cost (docs/config.md, match.*), for the matchers made after
 * this call: each MATCHES attempt's PCRE2 limits (rules/pattern.h), and the budgets
 * of steps (pattern.h says what a step is) that all the patterns of one submitting
 * user may take together, and all those of one organisation (the indicators' owner,
 * all its members' together): on each value a matcher looks at, and over the
 * matcher's life (one API request). When one of them runs out, the rest of that
 * user's (or organisation's) patterns are no match for the value (the test under way
 * counts as cut short: engine_matcher_regex_limited), and the matcher counts the value
 * for the organisation (engine_matcher_budgets_add); no other user's or
 * organisation's budget is touched, so a member's costly patterns cannot hide a
 * colleague's. The index's hits have budgets of the same kind, counted in hits
 * (indicators a value is reported to match, per value and per matcher), for each
 * submitting user and, all its members together, for each organisation: past them,
 * that user's (or organisation's) further postings under the value's keys are
 * passed over, and
 * the value is counted as for the steps (only hits the principal may see spend it, so
 * that the count tells of no indicator it may not see). 0: no budget. And the widths
 * past which a range hit is `wide` (engine_hit), and the address space an owner's
 * ranges may take in together before all its range hits are. Until called: the pattern defaults,
 * no budgets, no range wide. Call before the engine is shared between threads. */
struct engine_limits {
    struct pattern_limits regex; /* per MATCHES attempt (start position) */
    uint64_t value_budget;       /* steps of one submitter's patterns on one value */
    uint64_t run_budget;         /* steps of one submitter's patterns in one matcher's life */
    uint64_t org_value_budget;   /* steps of one organisation's patterns (all its members') on one value */
    uint64_t org_run_budget;     /* steps of one organisation's patterns in one matcher's life */
    uint64_t hit_value_budget;   /* index hits of one submitter's indicators on one value */
    uint64_t hit_run_budget;     /* index hits of one submitter's indicators in one matcher's life */
    uint64_t hit_org_value_budget; /* index hits of one organisation's (all its members') on one value */
    uint64_t hit_org_run_budget; /* index hits of one organisation's in one matcher's life */
    int wide_prefix4;            /* an IPv4 range shorter than this is wide (engine_hit.wide) */
    int wide_prefix6;            /* an IPv6 range shorter than this is wide */
    uint64_t wide_space4;        /* an owner whose live IPv4 ranges (those not wide by
                                  * their width) take in more addresses than this:
                                  * all its IPv4 range hits are wide; 0: no limit */
    uint64_t wide_space6;        /* the same for IPv6, in /64 networks */
};
void engine_set_limits(struct engine *e, const struct engine_limits *lim);
/* engine_free(NULL) is a no-op. */
void engine_free(struct engine *e);

/* A regional campaign the engine detected while indexing (engine_campaign.c): the
 * engine only detects; recording it as a STIX grouping is a use case of the domain
 * (domain/campaign.h: campaign_record), which the node runs after the refresh. */
#define ENGINE_CAMPAIGN_MAX_REFS 1000
#define ENGINE_CAMPAIGN_MAX_REFS_PER_ORG 32 /* listed of one organisation (all of them count) */
#define ENGINE_CAMPAIGN_MAX_COUNTRIES 64
#define ENGINE_CAMPAIGN_ID_LEN 64
struct engine_campaign {
    int community;                         /* the community's bit: its members' reports
                                            * counted, its grouping (docs/model.md R11.6) */
    enum obs_kind kind;
    char value[OBS_MAX_LEN + 1];           /* the canonical observable */
    char id[ENGINE_CAMPAIGN_ID_LEN];       /* its grouping's STIX id (engine_campaign_id) */
    const char **refs;                     /* STIX ids of the reports, n_refs of them */
    size_t n_refs;
    char *ref_bytes;                       /* where refs point */
    char countries[ENGINE_CAMPAIGN_MAX_COUNTRIES][3];
    size_t n_countries;
    int64_t first_seen, last_seen;         /* microseconds */
    int ended;                             /* a withdrawal left too few countries: the
                                              grouping is to be withdrawn, not versioned
                                              (docs/model.md R11.6; refs then empty) */
};

/* What a refresh did. Owned by the caller: engine_refresh_result_free(). */
struct engine_refresh_result {
    size_t n_rows;                         /* objects looked at */
    struct engine_campaign *campaigns;     /* campaigns with more reports than recorded,
                                              or whose reports a withdrawal changed */
    size_t n_campaigns;
};
void engine_refresh_result_free(struct engine_refresh_result *r);

/* Index every object the store gained since the last refresh (all of them the
 * first time); superseded versions are retired; with campaigns on, the regional
 * campaigns whose reports grew are detected and returned in *out (for the caller to
 * record). The store is only read: its rows are read and made ready to index
 * without the engine's lock, which is then held for writing only while they are
 * added (a batch of at most 2048 at a time), so matching and correlation never wait
 * for SQLite. One refresh at a time per engine. On failure *out holds no campaigns
 * (n_rows still counts what was looked at) and what was added so far stays indexed. */
enum mz_err engine_refresh(struct engine *e, struct store *st, struct engine_refresh_result *out,
                           struct mz_error *err);

/* For tests, to hold a refresh at a known point: fn is called by every refresh of e,
 * on the refreshing thread and with no lock of the engine held, at each stage. */
enum engine_refresh_stage {
    ENGINE_REFRESH_PREPARED, /* rows read from the store and made ready; next: added
                              * under the write lock (once per batch) */
    ENGINE_REFRESH_ADDED     /* all added, the lock released; next: campaign detection */
};
typedef void (*engine_refresh_hook_fn)(void *ctx, enum engine_refresh_stage stage);
void engine_set_refresh_hook(struct engine *e, engine_refresh_hook_fn fn, void *ctx);

/* For tests: the work the refreshes of e have spent on withdrawals and restores
 * (docs/model.md R7), so that a test can tell it grows with the versions withdrawn
 * and no faster: ids whose versions were read again from the store, versions so
 * read, and index entries looked at to find each of them in the index. */
struct engine_wd_work {
    uint64_t ids, versions, steps;
};
void engine_wd_work(struct engine *e, struct engine_wd_work *out);

/* The grouping id of the campaign around (kind, value): stable (name-based, under the
 * key engine_set_campaigns was given), so that each update is a new version of one
 * object, and unforeseeable without the key, so that no member can post an object
 * under a campaign's id before the node records it (domain/provenance.h refuses the
 * ids of recorded ones). */
void engine_campaign_id(const struct engine *e, enum obs_kind kind, const char *value, char *out, size_t cap);
/* The same for the campaign of community bit (R11.6): the national community's (bit
 * 0) is engine_campaign_id's, so that the groupings recorded before communities keep
 * their ids. */
void engine_campaign_id_in(const struct engine *e, int bit, enum obs_kind kind, const char *value, char *out,
                           size_t cap);

/* The store sequence number the index reflects (its snapshot "generation"). */
uint64_t engine_generation(struct engine *e);

/* Write the snapshot (atomically). Waits for a refresh in progress, never for
 * readers (and they do not wait for it). */
enum mz_err engine_snapshot_save(struct engine *e, const char *path, struct mz_error *err);
/* For `mreza match`: map the snapshot at path if it is intact and reflects the
 * store's current generation; otherwise build the index from the store and rewrite
 * the snapshot. *how_out (may be NULL) gets "snapshot", "rebuilt: <reason>". The
 * engine returned is frozen (never refreshed, so its readers take no lock); the
 * caller frees it with engine_free(). */
enum mz_err engine_snapshot_open(struct store *st, const char *path, struct engine **out,
                                 char *how_out, size_t how_cap, struct mz_error *err);

/* One value seen in a log line or sent to the API, with its field. */
struct engine_value {
    const char *field;
    const char *value;
    size_t len;
    int kind_hint; /* obs_kind, or -1 to guess */
};

/* A value that matched an indicator. The strings are borrowed for the callback. */
struct engine_hit {
    const char *field;       /* as given */
    const char *value;       /* canonical value looked up */
    enum obs_kind kind;
    enum idx_via via;
    int scan;                /* found by a pattern evaluated on every value (no index key) */
    int wide;                /* found through a key that takes in what is not the
                              * indicator's owner's to know of: a range shorter than
                              * engine_limits' wide_prefix, or of an owner whose ranges
                              * together take in more than wide_space; or a parent
                              * domain shorter than the value's registrable domain
                              * (obs_wide_parent): "com" for every .com name */
    const char *indicator;   /* "indicator--…" */
    const char *matched;     /* the indicator's key that matched (e.g. the parent domain) */
    int64_t owner_org;       /* the organisation that shared the indicator */
    const char *owner_identity; /* its identity (docs/model.md R4, R9: submitted_by), ""
                              * when unknown; borrowed for the callback */
    int64_t submitter;       /* the user who shared it */
    int sighting_tlp;        /* the marking of a sighting of this hit by the matching
                              * principal: tlp_sighting_level() */
};

/* Return nonzero to stop. */
typedef int (*engine_hit_fn)(void *ctx, const struct engine_hit *hit);

/* A matcher: one per thread (it owns the scratch space of a match), bound to an
 * engine and the principal whose view it matches with. */
struct engine_matcher;

enum mz_err engine_matcher_new(struct engine *e, const struct principal *p,
                               struct engine_matcher **out, struct mz_error *err);
/* engine_matcher_free(NULL) is a no-op. */
void engine_matcher_free(struct engine_matcher *m);
/* Tests on one value that m cut short so far (each taken as no match): a MATCHES
 * test that reached the engine's regex limits, and the test under way when its
 * owner's budget ran out; 0 for NULL. */
uint64_t engine_matcher_regex_limited(const struct engine_matcher *m);

/* The organisations whose patterns' budget a matcher ran out of: values in all
 * (one per value and organisation), and per organisation (its identity), at most
 * ENGINE_BUDGET_OWNERS named (the others are counted in values only). */
#define ENGINE_BUDGET_OWNERS 16
struct engine_budget_owner {
    char identity[STORE_IDENT_LEN]; /* the owner organisation's identity id */
    uint64_t values;                /* values on which its budget ran out */
};
struct engine_budget_totals {
    uint64_t values;
    size_t n_owners;
    struct engine_budget_owner owners[ENGINE_BUDGET_OWNERS];
};
/* Add m's spent budgets to t (zero it first), merged by organisation. m NULL: none. */
void engine_matcher_budgets_add(const struct engine_matcher *m, struct engine_budget_totals *t);

/* Match the values of one observation (a log line, an API item) at time now_us
 * (valid_from/valid_until, revoked honoured). Indicators the matcher's principal may
 * not see are never reported. At most ENGINE_MATCH_MAX_VALUES values are looked at.
 * Returns the number of hits. */
#define ENGINE_MATCH_MAX_VALUES 256
size_t engine_match_observation(struct engine_matcher *m, const struct engine_value *values,
                                size_t n, int64_t now_us, engine_hit_fn fn, void *ctx);

/* 1 if some pattern evaluated on every value (a scan pattern: no index key) is one p
 * may see, live at now_us: only then does a line with no value the index knows have
 * anything to report to p, so only then must p's scan do without the prefilter. */
int engine_scan_patterns_reach(struct engine *e, const struct principal *p, int64_t now_us);

/* An object that carries a looked-up value (strings borrowed for the callback). */
struct engine_related {
    const char *id;          /* the object's STIX id */
    const char *value;       /* the shared observable */
    enum obs_kind kind;
    int tlp;
    const char *owner_identity; /* who submitted it (R9: submitted_by), "" when unknown */
};
typedef int (*engine_related_fn)(void *ctx, const struct engine_related *r);

/* Every live object p may see that carries value (exactly). Returns how many. */
size_t engine_correlate_value(struct engine *e, const struct principal *p, int kind_hint,
                              const char *value, size_t len, engine_related_fn fn, void *ctx);

struct engine_stats {
    struct idx_stats idx;
    size_t n_candidate, n_scan;
    uint64_t generation;
};
void engine_stats(struct engine *e, struct engine_stats *out);

#endif
