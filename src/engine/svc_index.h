/* engine/svc_index.h - the indicator engine as a service of the node: keeps the
 * observable index (index/idx.h) in step with the store, matches values and log
 * lines for a principal (only indicators that principal may see under TLP are ever
 * reported), answers correlation queries, and writes/reads the snapshot that
 * `mreza match` maps at start.
 *
 * Threads: one writer (the node's background thread calls svc_index_refresh), many
 * readers (matching, correlation): a rwlock inside guards the index. */
#ifndef MZ_SVC_INDEX_H
#define MZ_SVC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "index/hot.h"
#include "index/idx.h"
#include "store/store.h"
#include "util/err.h"

struct svc_index;

enum mz_err svc_index_new(struct svc_index **out, struct mz_error *err);
/* Detect regional campaigns while refreshing (domain/campaign.h): an observable
 * carried by TLP:CLEAR/GREEN objects of organisations of at least min_countries
 * countries within window_hours. Off (0) unless set; the serving node turns it on. */
void svc_index_set_campaigns(struct svc_index *si, long window_hours, long min_countries);
void svc_index_free(struct svc_index *si);

/* Index every object the store gained since the last refresh (all of them the
 * first time); superseded versions are retired. *n_out (may be NULL) gets the
 * number of objects looked at. */
enum mz_err svc_index_refresh(struct svc_index *si, struct store *st, size_t *n_out,
                              struct mz_error *err);
/* The store sequence number the index reflects (its snapshot "generation"). */
uint64_t svc_index_generation(struct svc_index *si);

/* Write the snapshot (atomically). */
enum mz_err svc_index_save(struct svc_index *si, const char *path, struct mz_error *err);
/* For `mreza match`: map the snapshot at path if it is intact and reflects the
 * store's current generation; otherwise build the index from the store and rewrite
 * the snapshot. *how_out (may be NULL) gets "snapshot", "rebuilt: <reason>". The
 * index returned is frozen: never refreshed, so its readers take no lock. */
enum mz_err svc_index_open_snapshot(struct store *st, const char *path, struct svc_index **out,
                                    char *how_out, size_t how_cap, struct mz_error *err);

/* One value seen in a log line or sent to the API, with its field. */
struct svc_obs_value {
    const char *field;
    const char *value;
    size_t len;
    int kind_hint; /* obs_kind, or -1 to guess */
};

struct svc_hit {
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
typedef int (*svc_hit_fn)(void *ctx, const struct svc_hit *hit);

/* A matcher: one per thread (it owns the scratch space of a match), bound to an
 * index and the principal whose view it matches with. */
struct svc_matcher;

enum mz_err svc_matcher_new(struct svc_index *si, const struct principal *p,
                            struct svc_matcher **out, struct mz_error *err);
void svc_matcher_free(struct svc_matcher *m);

/* Match the values of one observation (a log line, an API item) at time now_us
 * (valid_from/valid_until, revoked honoured). Indicators the matcher's principal may
 * not see are never reported. At most SVC_MATCH_MAX_VALUES values are looked at.
 * Returns the number of hits. */
#define SVC_MATCH_MAX_VALUES 256
size_t svc_match_observation(struct svc_matcher *m, const struct svc_obs_value *values,
                             size_t n, int64_t now_us, svc_hit_fn fn, void *ctx);

/* The prefilter of a frozen index (svc_index_open_snapshot), which `mreza match`
 * asks before it runs svc_match_observation() on a log line: the values of a line
 * (as a log scanner hands them over, with their kind hints or -1) are added to a
 * probe set, and svc_prefilter_maybe() then says 0 when none of them can match any
 * indicator at all - for no principal, at no time - and 1 when one may. Adding
 * starts the memory loads the answer needs, so that a caller can scan the next line
 * before asking (index/hot.h). With no prefilter (a live index, or one with patterns
 * evaluated on every value) the answer is always 1. Safe from any number of
 * threads, each with its own probe set. */
void svc_prefilter_reset(struct hot_probes *ps);
void svc_prefilter_add(const struct svc_index *si, struct hot_probes *ps, const char *v, size_t n,
                       int hint);
/* The same for all the values of a flat JSON line at once, as jscan_line() hands
 * them over (v[0..n), each with the classes of its bytes: match/jscan.h). */
struct jscan_value;
void svc_prefilter_add_values(const struct svc_index *si, struct hot_probes *ps, const struct jscan_value *v, size_t n);
int svc_prefilter_maybe(const struct svc_index *si, const struct hot_probes *ps);
/* 1 if si has a prefilter (svc_prefilter_maybe can say 0). */
int svc_prefilter_on(const struct svc_index *si);

struct svc_related {
    const char *id;          /* the object's STIX id */
    const char *value;       /* the shared observable */
    enum obs_kind kind;
    int tlp;
};
typedef int (*svc_related_fn)(void *ctx, const struct svc_related *r);

/* Every live object p may see that carries value (exactly). */
size_t svc_correlate_value(struct svc_index *si, const struct principal *p, int kind_hint,
                           const char *value, size_t len, svc_related_fn fn, void *ctx);

struct svc_index_stats {
    struct idx_stats idx;
    size_t n_candidate, n_scan;
};
void svc_index_stats(struct svc_index *si, struct svc_index_stats *out);

#endif
