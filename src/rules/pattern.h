/* rules/pattern.h - the STIX 2.1 patterning language (STIX 2.1 section 9): parse,
 * check, plan for the indicator index, and evaluate against observations.
 *
 * Grammar (summarised from the OASIS STIXPattern.g4 grammar, not copied):
 *   pattern     := obs_expr ; binary operators by precedence, low to high, all left-assoc:
 *                  FOLLOWEDBY < OR < AND
 *   obs_expr    := '[' comparison ']' qualifier* | '(' pattern ')' qualifier*
 *   qualifier   := WITHIN <number> SECONDS | REPEATS <int> TIMES
 *                | START t'<timestamp>' STOP t'<timestamp>'
 *   comparison  := comparison OR comparison | comparison AND comparison (AND binds
 *                  tighter) | '(' comparison ')' | test
 *   test        := path [NOT] (= | == | != | <> | < | <= | > | >=) literal
 *                | path [NOT] IN '(' literal (',' literal)* ')'
 *                | path [NOT] LIKE 'string' | path [NOT] MATCHES 'regex'
 *                | path [NOT] ISSUBSET 'cidr' | path [NOT] ISSUPERSET 'cidr'
 *                | [NOT] EXISTS path
 *   path        := object-type ':' prop ('.' key | '.' quoted-key | '[' int|'*' ']')*
 *   literal     := 'string' (escapes \' and \\ only) | int | float | true | false
 *                | h'hex' | b'base64' | t'RFC 3339 timestamp'
 * Keywords are upper case. All tests inside one '[...]' must start from the same
 * object type, except across OR (STIX 2.1 9.5).
 *
 * Ownership: pattern_parse() returns a tree the caller frees with pattern_free(); all
 * strings in plans and terms are borrowed from the tree. */
#ifndef MZ_PATTERN_H
#define MZ_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct pattern;

#define PATTERN_MAX_LEN (64 * 1024) /* longer patterns are refused */
#define PATTERN_MAX_DEPTH 64        /* deepest nesting of parentheses */

/* Parse and check text. On failure err->msg reads "pattern error at position N: <reason>"
 * (N counts bytes from 0) and nothing is returned. */
enum mz_err pattern_parse(const char *text, size_t len, struct pattern **out,
                          struct mz_error *err);
void pattern_free(struct pattern *p);

/* ---- planning for the index ---- */

enum pattern_op {
    PATTERN_OP_EQ,       /* path = value (also each element of IN) */
    PATTERN_OP_SUBSET    /* path ISSUBSET 'cidr', or '=' with a CIDR literal */
};

struct pattern_term {
    const char *object_type; /* e.g. "domain-name" */
    const char *path;        /* property path without quotes, e.g. "value", "hashes.SHA-256" */
    enum pattern_op op;
    const char *value;       /* the literal's text, unescaped, not normalised */
    size_t pos;              /* the literal's offset in the pattern text */
};

enum pattern_plan_kind {
    PLAN_EXACT,     /* true for an observation iff it has a value matching one of the terms */
    PLAN_CANDIDATE, /* every match has a value matching one of the terms; confirm with
                       pattern_eval() */
    PLAN_SCAN       /* no term is necessary: evaluate on every observation */
};

/* Called for each index term of the plan; return nonzero to stop. */
typedef int (*pattern_term_fn)(void *ctx, const struct pattern_term *t);

/* How the index can serve p: PLAN_EXACT when p is a disjunction (OR, IN, across
 * observations too) of '=' / ISSUBSET tests without NOT, qualifiers or FOLLOWEDBY;
 * PLAN_CANDIDATE when every disjunct contains at least one such test ANDed with
 * others (one such term per disjunct is reported); PLAN_SCAN otherwise. fn receives
 * the terms (none for PLAN_SCAN). Which object paths the index understands is not
 * decided here: the caller maps terms to observable kinds and treats a term it cannot
 * index as absent (downgrading the plan). */
enum pattern_plan_kind pattern_plan(const struct pattern *p, pattern_term_fn fn, void *ctx);

/* ---- evaluation ---- */

/* What one MATCHES test may cost at one start position of one value, whatever the
 * expression: PCRE2's match limit (backtracking steps; also its depth limit) and
 * heap limit. An evaluation that reaches one is "no match" for MATCHES and for NOT
 * MATCHES alike, and is counted (pattern_scratch_limited). PCRE2 counts its match
 * limit afresh at every start position (a value of n bytes could take n times it),
 * so the evaluator runs each start position under a limit of its own and charges it
 * to the scratch's budget (pattern_scratch_budget), which bounds a whole evaluation. */
struct pattern_limits {
    uint32_t steps;    /* pcre2_set_match_limit and pcre2_set_depth_limit, per start position */
    uint32_t heap_kib; /* pcre2_set_heap_limit, KiB */
};
#define PATTERN_REGEX_STEPS 1000000
#define PATTERN_REGEX_HEAP_KIB 4096

/* The scratch of one thread's evaluations: PCRE2's match data (whose backtracking
 * memory is reused from value to value) with the limits, the budget of the
 * evaluations under way, and the count of tests cut short. lim NULL: the defaults
 * above. Not to be shared between threads. */
struct pattern_scratch;
enum mz_err pattern_scratch_new(const struct pattern_limits *lim, struct pattern_scratch **out,
                                struct mz_error *err);
/* pattern_scratch_free(NULL) is a no-op. */
void pattern_scratch_free(struct pattern_scratch *s);
/* Tests of s cut short and taken as no match: a MATCHES test on one value that
 * reached a limit, and the test under way when the budget ran out. */
uint64_t pattern_scratch_limited(const struct pattern_scratch *s);

/* The budget: how many steps the evaluations with s that follow may take together
 * (the engine gives each organisation's patterns one per value). Steps are: one per
 * value a test looks at, and one per further literal of an IN set it is compared
 * with; one per character LIKE compares; for MATCHES, at every start
 * position PCRE2 tries, the match limit it ran under (PATTERN_REGEX_PROBE, and four
 * times more on each retry of a position that needed more, up to lim->steps), plus
 * one per 64 bytes of value for every call of PCRE2 (it checks the value's UTF-8).
 * So the steps charged are never fewer than the work done, and an attempt is charged
 * less than 16/3 times its work, or the probe. When the budget cannot hold the next step, the test under way
 * and every test after it is no match (negated or not), until the next call of
 * pattern_scratch_budget. PATTERN_NO_BUDGET (the scratch's budget when made): no
 * budget, nothing is charged. */
#define PATTERN_NO_BUDGET UINT64_MAX
#define PATTERN_REGEX_PROBE 64
void pattern_scratch_budget(struct pattern_scratch *s, uint64_t steps);
/* The steps left of the budget (PATTERN_NO_BUDGET when there is none). */
uint64_t pattern_scratch_budget_left(const struct pattern_scratch *s);
/* 1 if the budget ran out since it was set. */
int pattern_scratch_budget_spent(const struct pattern_scratch *s);

/* One observed value: object type, property path (as in pattern_term), value text. */
struct pattern_value {
    const char *object_type;
    const char *path;
    const char *value;
};

/* 1 if the observation made of the n values satisfies p when p has a single
 * observation expression (or an OR of them); comparisons follow STIX 2.1 9.6
 * (strings by code points; ipv4/ipv6 ISSUBSET/ISSUPERSET and '=' with CIDRs by
 * address arithmetic; LIKE with % and _; MATCHES as PCRE regular expressions, STIX
 * 2.1 9.6.2, through PCRE2 in UTF mode, within s's limits and budget). Qualifiers,
 * AND/FOLLOWEDBY between observation expressions need several observations over
 * time: for those, returns 1 when one observation satisfies the part it can, and
 * sets *partial_out (may be NULL) to 1. s NULL: a scratch with the default limits is
 * made for the call when p has a MATCHES test (tests, fuzzing; the engine's matchers
 * keep one each). */
int pattern_eval(const struct pattern *p, struct pattern_scratch *s, const struct pattern_value *values,
                 size_t n, int *partial_out);

/* 1 if p uses anything pattern_eval() cannot decide from one observation. */
int pattern_is_temporal(const struct pattern *p);

#endif
