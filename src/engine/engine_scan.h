/* engine/engine_scan.h - matching a whole log (one input held in memory: a mapped
 * file, a decompressed one, or the lines of an API request) with several threads:
 * what `mreza match` and POST /api/v1/match run, through the domain's match use
 * case (domain/svc_match.h).
 *
 * The head of the input (its header lines and the first data line: they configure
 * Zeek and CSV scanning and what `auto` decides) is read by the calling thread; the
 * rest is cut at line boundaries into pieces of about piece_bytes, which the threads
 * take one after another as they come free. Each line's values go first to the
 * prefilter (engine/svc_prefilter.h) when the engine has one, and only a line with
 * a "maybe" is matched in full (engine_match_observation). Hits are kept per piece
 * and handed to the caller's function in input order once every thread is done, on
 * the calling thread. See docs/matching.md. */
#ifndef MZ_ENGINE_SCAN_H
#define MZ_ENGINE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "match/logfmt.h"

#define ENGINE_SCAN_MAX_THREADS 64
#define ENGINE_SCAN_MAX_FIELDS 32
#define ENGINE_SCAN_PIECE_BYTES ((size_t)8 << 20) /* a thread's helping of the input */

enum engine_scan_flag {
    ENGINE_SCAN_NO_PREFILTER = 1 /* match every line in full (for checking) */
};

struct engine_scan_opts {
    enum logfmt_kind format;       /* LOGFMT_AUTO decides from the first line */
    const char *const *fields;     /* field paths or column names; NULL: the format's own */
    size_t n_fields;               /* at most ENGINE_SCAN_MAX_FIELDS */
    int n_threads;                 /* 1 .. ENGINE_SCAN_MAX_THREADS; 1 runs on the caller's */
    size_t piece_bytes;            /* > 0 */
    unsigned flags;                /* enum engine_scan_flag bits */
    int64_t now_us;                /* indicators are live or not at this time */
};

/* What scans found, added up over the inputs given the same totals. */
struct engine_scan_totals {
    uint64_t lines;                /* lines read, header and skipped lines included */
    uint64_t values;               /* candidate values the scanners handed over */
    uint64_t hits;                 /* (value, indicator) pairs reported */
    uint64_t matched_values;       /* values with at least one hit */
    uint64_t full;                 /* lines matched in full (after a prefilter "maybe") */
    uint64_t skipped[LOGFMT_N_SKIP]; /* lines skipped, by reason */
    uint64_t regex_limited;        /* tests on one value cut short (no match): a
                                    * MATCHES test at the engine's regex limits, the
                                    * test under way when its owner's budget ran out */
    struct engine_budget_totals budget; /* values on which an organisation's patterns
                                    * ran out of budget (engine_set_limits) */
    int prefilter;                 /* the last scan used the prefilter: the engine has
                                    * one, and no scan pattern its principal may see is
                                    * live (engine_scan_patterns_reach) */
};

/* One hit of line `line` (1-based, counted from the start of the input). h and
 * its strings are borrowed for the call. Return nonzero to hear of no more hits. */
typedef int (*engine_scan_fn)(void *ctx, uint64_t line, const struct engine_hit *h);

/* Match data[0..len) as principal p sees the indicators of e, calling fn for every
 * hit in input order; the totals are added to *t (not reset). MZ_EINVAL for bad
 * options, MZ_ENOMEM (no thread could start, or no memory for the hits); a bad line
 * is counted as skipped, never an error. */
enum mz_err engine_scan(struct engine *e, const struct principal *p, const char *data, size_t len,
                        const struct engine_scan_opts *o, engine_scan_fn fn, void *ctx,
                        struct engine_scan_totals *t, struct mz_error *err);

/* Threads to use when the caller names none: one per online CPU (at least 1, at most
 * ENGINE_SCAN_MAX_THREADS). */
int engine_scan_default_threads(void);

#endif
