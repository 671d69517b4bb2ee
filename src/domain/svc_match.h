/* domain/svc_match.h - the use cases of the indicator engine, for the front ends:
 * matching values and logs (`mreza match`, POST /api/v1/match), correlation
 * (GET /api/v1/correlations) and the index's figures (GET /api/v1/index). The CLI
 * and the API call these and never the engine (engine/engine.h) or the log scanners
 * (match/) themselves, so both run one matcher and print one hit format.
 *
 * A hit is one (value, indicator) pair: the value of a log line or request item that
 * matched an indicator the principal may see (TLP is decided below, by the engine
 * with rules/tlp.c). svc_match_hit_json() writes it as the one JSON object both front
 * ends print (docs/matching.md, docs/api.md):
 *   {"file":"dns.log","line":12,  (a log's)   or  {"item":3,  (a request's)
 *    "field":"query","value":"a.evil.example","kind":"domain","via":"parent",
 *    "indicator":"indicator--…","matched":"evil.example","submitted_by":"identity--…"}
 *
 * The engine is passed as an opaque pointer: the node's (node/node.h), kept in step
 * with the store, or one svc_match_open() mapped from the snapshot for `mreza match`. */
#ifndef MZ_SVC_MATCH_H
#define MZ_SVC_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "domain/svc_sighting.h"
#include "obs/obs.h"
#include "rules/pattern.h"
#include "rules/principal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/err.h"

struct engine; /* engine/engine.h */

/* ---- options ---- */

#define SVC_MATCH_MAX_FIELDS 32
#define SVC_MATCH_MAX_THREADS 64
#define SVC_MATCH_PIECE_BYTES ((size_t)8 << 20)
#define SVC_MATCH_N_SKIP 5 /* reasons a line is skipped, 1 .. SVC_MATCH_N_SKIP - 1 */

/* The log format called name ("auto", "json", "eve", "zeek", "csv", "text"): a code
 * for svc_match_opts.format, or -1 if there is none of that name. */
int svc_match_format(const char *name);
/* "malformed", "too_long", "binary", "header" for reasons 1 .. SVC_MATCH_N_SKIP - 1. */
const char *svc_match_skip_name(int reason);

enum svc_match_flag {
    SVC_MATCH_NO_PREFILTER = 1 /* match every line in full (to check the prefilter) */
};

/* How to read logs. Zeroed options are the defaults. */
struct svc_match_opts {
    int format;                /* svc_match_format(); 0: auto (decided by the first line) */
    const char *const *fields; /* field paths ("dns.rrname") or CSV columns to read, or NULL
                                * for the format's own (JSON: every string value) */
    size_t n_fields;           /* at most SVC_MATCH_MAX_FIELDS */
    int n_threads;             /* 0: one per CPU; at most SVC_MATCH_MAX_THREADS */
    size_t piece_bytes;        /* 0: SVC_MATCH_PIECE_BYTES */
    unsigned flags;            /* enum svc_match_flag bits */
};

/* ---- hits ---- */

struct svc_match_hit {
    const char *file;          /* the input a log line came from, or NULL for a request item */
    uint64_t pos;              /* file: the line (1-based); else the item's index (0-based) */
    const char *field;         /* the field or column of the value; "text" for free text,
                                * "value" for an item of a list of values */
    const char *value;         /* the value, normalised */
    enum obs_kind kind;
    const char *via;           /* "exact", "parent" (a parent domain), "range" (a CIDR) */
    const char *indicator;     /* the indicator's STIX id */
    const char *matched;       /* the indicator's key that matched (the parent, the range) */
    const char *submitted_by;  /* the identity of the organisation that submitted the
                                * indicator (docs/model.md R4, R9), or "" */
};

/* Called once per hit (strings borrowed for the call); return nonzero to hear of no
 * more (the matching itself goes on to the end of its input). */
typedef int (*svc_match_hit_fn)(void *ctx, const struct svc_match_hit *h);

/* Append h as one JSON object (no newline) to b. */
enum mz_err svc_match_hit_json(struct mz_buf *b, const struct svc_match_hit *h);

/* ---- results ---- */

enum svc_match_prefilter {
    SVC_MATCH_PREFILTER_ON = 0,  /* lines were matched in full only after a "maybe" */
    SVC_MATCH_PREFILTER_OFF,     /* turned off (SVC_MATCH_NO_PREFILTER) */
    SVC_MATCH_PREFILTER_NONE     /* none was used: a pattern evaluated on every value
                                  * that the principal may see is live (a scan pattern
                                  * it may not see turns nothing off), or the node's
                                  * live engine, which keeps none */
};

/* An organisation whose patterns' budget ran out (docs/matching.md). */
#define SVC_MATCH_BUDGET_OWNERS 16
struct svc_match_budget {
    char submitted_by[STORE_IDENT_LEN]; /* the organisation's identity */
    uint64_t values;                    /* values on which its budget ran out */
};

/* Added up over the inputs of one call (zero it first). */
struct svc_match_totals {
    uint64_t lines;                     /* read, header and skipped lines included */
    uint64_t values;                    /* candidate values found in them */
    uint64_t hits;                      /* (value, indicator) pairs reported */
    uint64_t matched_values;            /* values with at least one hit */
    uint64_t full;                      /* lines matched in full */
    uint64_t skipped[SVC_MATCH_N_SKIP]; /* lines skipped, by reason */
    uint64_t regex_limited;             /* tests on one value cut short and taken as
                                         * no match: a MATCHES test at the regex limits,
                                         * or the test under way when its organisation's
                                         * budget ran out (also logged:
                                         * event=regex_limit) */
    uint64_t budget_spent;              /* values on which an organisation's patterns
                                         * ran out of budget, one per value and
                                         * organisation (also logged: event=match_budget) */
    size_t n_budget_owners;             /* those organisations, the first
                                         * SVC_MATCH_BUDGET_OWNERS of them */
    struct svc_match_budget budget_owners[SVC_MATCH_BUDGET_OWNERS];
    enum svc_match_prefilter prefilter;
    int n_threads;                      /* threads the logs were matched with */
};

/* ---- the use cases ---- */

/* What matching on e may cost, from the settings (docs/config.md, match.*): each
 * MATCHES attempt's limits (match.regex_steps, match.regex_heap), and the budgets of
 * steps that all the patterns of one submitting user may take together, and of one
 * organisation's members together: on one value (match.regex_budget,
 * match.regex_org_budget), and with requests (the node's engine, which serves POST
 * /api/v1/match) in one request (match.regex_request_budget,
 * match.regex_org_request_budget); the index's hits likewise (match.hit_*). For the matchers made
 * after the call; call before e is shared between threads. */
void svc_match_configure(struct engine *e, const struct mz_conf *conf, int requests);

/* For `mreza match`: the engine of the node whose data directory is data_dir, mapped
 * from its snapshot (<data_dir>/index.snap) when that is intact and current, else
 * built from the store and the snapshot rewritten. how (how_cap bytes) says which
 * ("snapshot", or "rebuilt (<why>): built in … s, snapshot written in … s"). conf:
 * what matching may cost (svc_match_configure, without requests; NULL:
 * rules/pattern.h's limits, no budget). Free *out with svc_match_close(). */
enum mz_err svc_match_open(struct store *st, const char *data_dir, const struct mz_conf *conf,
                           struct engine **out, char *how, size_t how_cap, struct mz_error *err);
void svc_match_close(struct engine *e);

/* One value to match alone (an item of POST /api/v1/match "values"). */
struct svc_match_value {
    const char *value;
    size_t len;
    int kind;                  /* enum obs_kind, or -1 to guess */
};

/* Match each value as an observation of its own, as p sees the indicators; hits
 * have file NULL, pos the value's index and field "value". What was cut short is
 * added to *t (regex_limited, budget_*; the rest is left alone). */
enum mz_err svc_match_values(struct engine *e, const struct principal *p, const struct svc_match_value *values,
                             size_t n, svc_match_hit_fn fn, void *ctx, struct svc_match_totals *t,
                             struct mz_error *err);

/* A log line given as a string of its own (not NUL-terminated). */
struct svc_match_line {
    const char *p;
    size_t len;
};

/* Match log lines (POST /api/v1/match "lines"), read in order as one log as
 * `mreza match` reads a file: each line is one observation; hits have file NULL and
 * pos the line's index. A line with a line break in it is refused (MZ_EINVAL, field
 * "/lines/<index>"). */
enum mz_err svc_match_lines(struct engine *e, const struct principal *p, const struct svc_match_line *lines,
                            size_t n, const struct svc_match_opts *o, svc_match_hit_fn fn, void *ctx,
                            struct svc_match_totals *t, struct mz_error *err);

/* Match log files (paths; "-" is standard input; plain or gzip, detected by content)
 * in order; hits have file the path and pos the line. With sighted (may be NULL),
 * every hit is also added to it, seen at the time of the run (svc_sighting.h), and
 * the list is merged at the end, ready for svc_report_sightings(). */
enum mz_err svc_match_files(struct engine *e, const struct principal *p, const char *const *paths, size_t n,
                            const struct svc_match_opts *o, svc_match_hit_fn fn, void *ctx,
                            struct svc_match_totals *t, struct svc_sighted_list *sighted, struct mz_error *err);

/* An object that shares a looked-up value (strings borrowed for the call). */
struct svc_related {
    const char *id;            /* its STIX id */
    const char *value;         /* the shared value, normalised */
    enum obs_kind kind;
    int tlp;                   /* enum tlp_level */
    const char *submitted_by;  /* the identity of the organisation that submitted it, or "" */
};
typedef int (*svc_related_fn)(void *ctx, const struct svc_related *r);

/* Every live object p may see that carries the canonical value (exactly). Returns
 * how many were reported. */
size_t svc_correlate(struct engine *e, const struct principal *p, enum obs_kind kind, const char *canon,
                     size_t len, svc_related_fn fn, void *ctx);

struct svc_index_stats {
    uint32_t objects, keys, postings;
    size_t bytes;              /* memory held by the index's arrays */
    size_t candidate_patterns, scan_patterns;
    uint64_t generation;       /* the store sequence number the index reflects */
};

/* The index's figures: for the node's admins only (MZ_EFORBIDDEN otherwise), since it
 * counts objects of every TLP and would tell a member how much others share. */
enum mz_err svc_index_stats(struct engine *e, const struct principal *p, struct svc_index_stats *out,
                            struct mz_error *err);

#endif
