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
 *   engine_versions.c   the version map: which indexed object is an object's newest
 *   engine_refresh.c    reading the store and indexing what it gained
 *   engine_snapshot.c   writing the snapshot, and opening one for `mreza match`
 *   engine_match.c      matching one observation (engine_match_observation)
 *   engine_correlate.c  correlation lookups
 *   engine_campaign.c   detecting regional campaigns while indexing
 *   engine_stats.c      counts for GET /api/v1/index
 *
 * Threads: one refresher at a time (the node's background thread calls
 * engine_refresh), any number of readers (matchers, correlation, statistics): a
 * rwlock inside guards the index. A snapshot opened for matching is frozen: never
 * refreshed, so its readers take no lock. */
#ifndef MZ_ENGINE_H
#define MZ_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "index/idx.h"
#include "rules/principal.h"
#include "store/store.h"
#include "util/err.h"

struct engine;

enum mz_err engine_new(struct engine **out, struct mz_error *err);
/* Detect regional campaigns while refreshing: an observable carried by
 * TLP:CLEAR/GREEN objects of organisations of at least min_countries countries
 * within window_hours. Off (0) unless set; the serving node turns it on. */
void engine_set_campaigns(struct engine *e, long window_hours, long min_countries);
/* engine_free(NULL) is a no-op. */
void engine_free(struct engine *e);

/* Index every object the store gained since the last refresh (all of them the
 * first time); superseded versions are retired. *n_out (may be NULL) gets the
 * number of objects looked at. */
enum mz_err engine_refresh(struct engine *e, struct store *st, size_t *n_out, struct mz_error *err);
/* The store sequence number the index reflects (its snapshot "generation"). */
uint64_t engine_generation(struct engine *e);

/* Write the snapshot (atomically). */
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
    const char *indicator;   /* "indicator--…" */
    const char *matched;     /* the indicator's key that matched (e.g. the parent domain) */
    int64_t owner_org;       /* the organisation that shared the indicator */
    int64_t submitter;       /* the user who shared it */
    int sighting_tlp;        /* the marking a sighting of this hit by the matching
                              * principal gets (tlp_sighting_level) */
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

/* Match the values of one observation (a log line, an API item) at time now_us
 * (valid_from/valid_until, revoked honoured). Indicators the matcher's principal may
 * not see are never reported. At most ENGINE_MATCH_MAX_VALUES values are looked at.
 * Returns the number of hits. */
#define ENGINE_MATCH_MAX_VALUES 256
size_t engine_match_observation(struct engine_matcher *m, const struct engine_value *values,
                                size_t n, int64_t now_us, engine_hit_fn fn, void *ctx);

/* An object that carries a looked-up value (strings borrowed for the callback). */
struct engine_related {
    const char *id;          /* the object's STIX id */
    const char *value;       /* the shared observable */
    enum obs_kind kind;
    int tlp;
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
