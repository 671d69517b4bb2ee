/* rules/pattern_int.h - what the files of the pattern module share (SQLite's
 * btreeInt.h): the tree pattern_parse() builds and the other files walk, and the few
 * helpers more than one of them calls. pattern.h is the interface for other layers.
 *
 * The module, one file per stage:
 *   pattern_parse.c  text -> tree: a recursive-descent parser with every limit fixed
 *                    before it starts, literal canonicalisation, pattern_free()
 *   pattern_regex.c  MATCHES: what is refused before PCRE2 compiles it, compiling,
 *                    and matching one value within the limits (pattern_scratch)
 *   pattern_plan.c   tree -> index plan (exact, candidate, scan) and its terms
 *   pattern_eval.c   tree x one observation -> match (pattern_eval())
 * Addresses, byte classes, hex and UTF-8 come from obs/ (ip.h, ascii.h, utf8.h): a
 * pattern reads a value the way the index and the log scanners do.
 *
 * Ownership: all nodes and strings live in one arena owned by struct pattern; compiled
 * regular expressions are chained so pattern_free() can free them. Terms handed to
 * pattern_term_fn borrow strings from the tree.
 *
 * Paths: "file:hashes.'SHA-256'" becomes object type "file" and path "hashes.SHA-256";
 * list steps are written "[0]" or "[*]". A quoted key holding '.' or '[' reads like
 * several steps; observations use the same spelling, so such keys still compare equal,
 * but "[*]" inside a quoted key acts as a wildcard. */
#ifndef MZ_PATTERN_INT_H
#define MZ_PATTERN_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "obs/ip.h"
#include "rules/pattern.h"
#include "util/arena.h"
#include "util/timefmt.h"

#define REGEX_MAX_LEN 1024 /* bytes of one regular expression */

enum lit_kind {
    LIT_STRING,
    LIT_INT,
    LIT_FLOAT,
    LIT_BOOL,
    LIT_HEX,
    LIT_BIN,
    LIT_TIME
};

struct lit {
    enum lit_kind kind;
    size_t pos;               /* where the literal starts in the text */
    const char *text;         /* unescaped string, or the literal's text without
                                 prefix and quotes; NUL-terminated, in the arena */
    long long i;              /* LIT_INT */
    double f;                 /* LIT_FLOAT (and LIT_INT as a double) */
    int b;                    /* LIT_BOOL */
    struct mz_time t;         /* LIT_TIME */
    const unsigned char *bytes; /* LIT_HEX, LIT_BIN: decoded */
    size_t n_bytes;
    struct ip_net net;        /* LIT_STRING: the string read as an address, if it is one
                                 (family 0 if not; obs/ip.h, mapped IPv6 read as IPv4) */
    struct lit *next;         /* next element of an IN set */
};

enum test_op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_LIKE,
    OP_MATCHES,
    OP_ISSUBSET,
    OP_ISSUPERSET,
    OP_EXISTS
};

struct test {
    const char *object_type;
    const char *path;      /* unquoted, "[n]"/"[*]" for list steps */
    enum test_op op;
    int negated;           /* NOT */
    struct lit *lits;      /* one literal; a list for IN; none for EXISTS */
    int parent_domain;     /* domain-name:value with =, != or IN: a value equals a
                              literal also when it lies below it (the index's parent
                              rule: 'evil.example' is met by a.evil.example) */
    pcre2_code *re;        /* OP_MATCHES only, compiled at parse time */
    struct test *next_re;  /* chain of tests owning a compiled regex */
};

enum cmp_kind {
    CMP_TEST,
    CMP_AND,
    CMP_OR
};

/* A comparison expression: the inside of one '[...]'. */
struct cmp {
    enum cmp_kind kind;
    size_t pos;            /* where it starts in the text */
    const char *type;      /* the object type of every test below, or NULL when an OR
                              mixes types */
    struct test *test;     /* CMP_TEST */
    struct cmp *kids;      /* CMP_AND, CMP_OR: two or more, linked by next */
    struct cmp *next;
};

enum qual_kind {
    QUAL_WITHIN,
    QUAL_REPEATS,
    QUAL_STARTSTOP
};

struct qual {
    enum qual_kind kind;
    double seconds;          /* WITHIN */
    long long times;         /* REPEATS */
    struct mz_time start;    /* START ... STOP */
    struct mz_time stop;
    struct qual *next;
};

enum oex_kind {
    OEX_LEAF,
    OEX_AND,
    OEX_OR,
    OEX_FOLLOWEDBY
};

/* An observation expression. */
struct oex {
    enum oex_kind kind;
    struct cmp *cmp;       /* OEX_LEAF */
    struct oex *kids;      /* the others: two or more, linked by next */
    struct oex *next;
    struct qual *quals;    /* in the order written */
    size_t n_quals;
};

struct pattern {
    struct mz_arena arena; /* every node and string */
    struct oex *root;
    struct test *regexes;  /* tests with a compiled regex, for pcre2_code_free() */
};

/* Bytes of one character at s[i] for LIKE's '_' and for messages: a valid UTF-8
 * sequence, else one byte (pattern_parse.c). */
size_t pattern_char_len(const unsigned char *s, size_t n, size_t i);

/* Decode base64 s[0..n) (length a multiple of 4, '=' padding only at the end) into
 * out, which holds n / 4 * 3 bytes. Returns the decoded length or -1
 * (pattern_parse.c: b'...' literals; the evaluator: _bin values). */
long pattern_b64_decode(const char *s, size_t n, unsigned char *out);

/* Why PCRE2 must not compile the regular expression re (n bytes), or NULL if it may;
 * *reps_out gets its count for the per-pattern budget (pattern_regex.c). */
const char *pattern_regex_refusal(const char *re, size_t n, uint64_t *reps_out);
/* Compile re (n bytes) as MATCHES runs it (PCRE2, UTF mode, invalid UTF-8 in values
 * allowed). Returns the code (free with pcre2_code_free), or NULL with PCRE2's
 * message and the offset of the error in msg (msg_cap bytes). pattern_parse() calls
 * pattern_regex_refusal() first; tests call this alone to evaluate expressions the
 * parser refuses. */
pcre2_code *pattern_regex_compile(const char *re, size_t n, char *msg, size_t msg_cap);
/* re against v[0..len): 1 (a match), 0 (none), or -1 when the evaluation reached one
 * of s's limits or its budget (counted in s: pattern_scratch_limited). re must come
 * from pattern_regex_compile(), whose callout tells each start position. */
int pattern_regex_match(const pcre2_code *re, struct pattern_scratch *s, const char *v, size_t len);

/* One MATCHES test under way (pattern_regex.c): what the callout at the start of each
 * attempt (start position) charges, and where it stopped PCRE2. */
struct regex_run {
    uint64_t lim;      /* the match limit of the call under way: steps per attempt */
    uint64_t room;     /* steps the test may be charged in all (the budget left) */
    uint64_t charged;  /* steps charged so far */
    size_t at;         /* the attempt under way, or (stopped) the next one */
    unsigned n_starts; /* attempts begun by the call under way */
    int one;           /* the call runs one attempt: stop at the next */
    int stop;          /* why the callout stopped the call (pattern_regex.c) */
};

/* See pattern.h. The budget is charged by pattern_charge() (tests, LIKE) and by
 * pattern_regex_match(). */
struct pattern_scratch {
    pcre2_match_data *md;      /* no captures are read: one pair is enough for any code */
    pcre2_match_context *mctx; /* the limits, and the callout (run) */
    uint32_t steps;            /* the match limit of one attempt */
    uint64_t left;             /* steps left of the budget, or PATTERN_NO_BUDGET */
    int spent;                 /* the budget ran out since it was set */
    uint64_t n_limited;
    struct regex_run run;
};

/* Charge n steps to s's budget (s may be NULL: no budget): 0, or -1 when it cannot
 * hold them, the budget being spent then (counted once as a test cut short). */
static inline int pattern_charge(struct pattern_scratch *s, uint64_t n)
{
    if (!s || s->left == PATTERN_NO_BUDGET)
        return 0;
    if (n <= s->left) {
        s->left -= n;
        return 0;
    }
    s->left = 0;
    if (!s->spent)
        s->n_limited++;
    s->spent = 1;
    return -1;
}

#endif
