/* match/logfmt_int.h - what the files of the log scanner share (see logfmt.h for the
 * interface): the caps, the scanner state (struct logfmt), the byte classes of the
 * scanners, the emitting of values, and the entry of each format's scanner:
 *   logfmt.c       the driver: logfmt_new/clone/reset/free, logfmt_line() and the
 *                  value-only entries, the field table (JSON/EVE field specs), the
 *                  hints column and key names give, http.full_url
 *   logfmt_json.c  JSON lines and Suricata EVE: the flat-object fast path and the
 *                  strict walker
 *   logfmt_zeek.c  Zeek TSV logs and their # headers
 *   logfmt_csv.c   RFC 4180 CSV with a header line
 *   logfmt_text.c  free text: addresses, URLs, e-mail, domains, hashes and wallets,
 *                  defanged forms included
 * What a value is (an address, UTF-8, a hash's length, a label character) is decided
 * with obs/ (ip.h, utf8.h, hash.h, ascii.h), the vocabulary the index normalises with.
 * The helpers every value passes through are static inline here, so that each
 * scanner's loop keeps them inlined without link-time optimisation too. */
#ifndef MZ_LOGFMT_INT_H
#define MZ_LOGFMT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "match/logfmt.h"
#include "obs/ascii.h"
#include "obs/hash.h"
#include "obs/obs.h"
#include "obs/utf8.h"

/* Caps. Everything a line can grow is bounded here. */
#define LOGFMT_MAX_LINE ((size_t)1 << 20)      /* logfmt_max_line: longer is TOO_LONG */
#define LOGFMT_SCRATCH (LOGFMT_MAX_LINE + 64) /* decoded/refanged text never outgrows a line */
#define LOGFMT_MAX_FIELDS 64                  /* configured field paths / column names */
#define LOGFMT_MAX_FIELD_LEN 128              /* bytes in one configured field */
#define LOGFMT_MAX_SPECS (LOGFMT_MAX_FIELDS + 32)
#define LOGFMT_MAX_DEPTH 64       /* JSON nesting; deeper is malformed */
#define LOGFMT_MAX_PATH 512       /* key path bytes kept; longer paths match no field */
#define LOGFMT_MAX_CANDS 256      /* JSON values collected before the second walk */
#define LOGFMT_CAND_PATHS 16384   /* bytes of copied key paths per JSON line */
#define LOGFMT_MAX_COLS 512       /* Zeek / CSV columns */
#define LOGFMT_HDR_BYTES 16384    /* bytes of column names */
#define LOGFMT_ZSTR 32            /* Zeek separators and the empty/unset markers */
#define LOGFMT_MAX_LOCAL 64       /* e-mail local part */
#define LOGFMT_MAX_DOMAIN 253     /* refanged domain length */
#define LOGFMT_DOMAIN_SCAN 1024   /* raw bytes (defanged dots included) of one domain */
#define LOGFMT_V6_SCAN 45         /* ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 */

/* Hints beyond enum obs_kind, settled by refine_hint() before a value leaves. */
#define HINT_NONE (-1)
#define HINT_IP (-2)   /* an address: ipv6 if it has a ':', else ipv4 */
#define HINT_HASH (-3) /* md5/sha1/sha256/sha512 by length */

/* What a field means to the URL synthesis ("http://" host url). */
enum role {
    ROLE_NONE = 0,
    ROLE_HOST,
    ROLE_URL
};

/* Character classes for the scanners: logfmt_ctab[] (logfmt.c), built from the
 * obs/ascii.h predicates with CTAB() (the label characters are the ones obs/name.c
 * accepts); tests/unit/match/test_logfmt_ctab.c checks every entry. */
#define C_DIGIT 0x01  /* 0-9 */
#define C_HEX 0x02    /* 0-9 a-f A-F */
#define C_ALPHA 0x04  /* A-Z a-z */
#define C_WORD 0x08   /* A-Z a-z 0-9 - _ : a domain label */
#define C_LOCAL 0x10  /* A-Z a-z 0-9 . _ % + - : an e-mail local part */
#define C_URLEND 0x20 /* controls, space, DEL, " ' < > ` : ends a URL */
#define C_START 0x40  /* A-Z a-z 0-9 : : can start a token */
#define C_V6 0x80     /* 0-9 a-f A-F : . : an IPv6 address */
#define CTAB(c)                                                                                 \
    ((ASCII_IS_DIGIT(c) ? C_DIGIT : 0) | (ASCII_IS_HEX(c) ? C_HEX : 0) |                        \
     (ASCII_IS_ALPHA(c) ? C_ALPHA : 0) | (ASCII_IS_LABEL(c) ? C_WORD : 0) |                     \
     (ASCII_IS_ALNUM(c) || (c) == '.' || (c) == '_' || (c) == '%' || (c) == '+' || (c) == '-'   \
          ? C_LOCAL                                                                             \
          : 0) |                                                                                \
     (ASCII_IS_CTL(c) || (c) == ' ' || (c) == '"' || (c) == '\'' || (c) == '<' || (c) == '>' || \
              (c) == '`'                                                                        \
          ? C_URLEND                                                                            \
          : 0) |                                                                                \
     (ASCII_IS_ALNUM(c) || (c) == ':' ? C_START : 0) |                                          \
     (ASCII_IS_HEX(c) || (c) == ':' || (c) == '.' ? C_V6 : 0))
extern const unsigned char logfmt_ctab[256];
#define CT(c) (logfmt_ctab[(unsigned char)(c)])

/* One field the JSON walker reports: the key path it matches, the name it reports
 * (EVE's dns.query[].rrname is reported as "dns.rrname"), the hint and the role. */
struct fspec {
    const char *path;
    size_t path_len;
    const char *name;
    size_t name_len;
    int hint;
    enum role role;
    int next;      /* next spec with a path of the same length, or -1 */
    uint64_t head; /* path_head() of path */
};

/* A JSON value collected while walking, handed out once the line proved valid. */
struct cand {
    const char *field;
    size_t field_len;
    const char *val;
    size_t val_len;
    int hint;
};

enum jtype {
    J_OBJ = 1,
    J_ARR
};
struct jframe {
    enum jtype type;
    size_t base; /* key path length where this container started */
};

/* Zeek/CSV column flags. */
#define COL_REPORT 0x1 /* values are reported */
#define COL_SET 0x2    /* a Zeek set/vector: split on the #set_separator */
#define COL_HOST 0x4   /* Zeek http.log host */
#define COL_URI 0x8    /* Zeek http.log uri */

struct col {
    size_t name_off; /* in hdr */
    size_t name_len;
    int hint;
    unsigned flags;
};

struct span {
    const char *p;
    size_t len;
};

/* Where the callback goes, and whether it asked to stop. */
struct emit {
    logfmt_value_fn fn;
    void *ctx;
    int stop;
    int direct;   /* JSON: call back at once (second walk) instead of collecting */
    int overflow; /* JSON: the candidate list or its path bytes ran out */
};

struct logfmt {
    enum logfmt_kind kind; /* as configured */
    enum logfmt_kind eff;  /* in use: kind, or what AUTO decided (AUTO until then) */

    /* configured fields, owned copies */
    size_t n_fields;
    size_t field_off[LOGFMT_MAX_FIELDS];
    size_t field_len[LOGFMT_MAX_FIELDS];
    char field_buf[LOGFMT_MAX_FIELDS * (LOGFMT_MAX_FIELD_LEN + 1)];

    /* JSON: the fields to report (pointers into field_buf or static tables; rebuilt
     * by setup_specs() after a clone), or every string leaf */
    struct fspec spec[LOGFMT_MAX_SPECS];
    size_t n_spec;
    int all_leaves;
    int no_fields;  /* logfmt_values(): every leaf wanted, its path not */
    int batch;      /* logfmt_values_all(): hand the flat path's values over at once */
    int batched;    /* ... and it did, for this line */
    struct logfmt_span vspans[LOGFMT_MAX_CANDS]; /* json_flat_values()' values */
    size_t n_spans;
    int by_len[LOGFMT_MAX_FIELD_LEN + 1]; /* first spec with a path of n bytes, or -1 */

    /* JSON per-line state */
    char path[LOGFMT_MAX_PATH + 16]; /* + slack for path_put()'s fixed copies */
    struct jframe stack[LOGFMT_MAX_DEPTH];
    struct cand cands[LOGFMT_MAX_CANDS];
    size_t n_cands;
    char cpath[LOGFMT_CAND_PATHS];
    size_t cpath_len;

    /* both JSON and Zeek: the first host and URL of the line, for http.full_url */
    struct span host;
    struct span url;

    /* Zeek/CSV columns */
    int have_cols;
    size_t n_cols;
    struct col cols[LOGFMT_MAX_COLS];
    char hdr[LOGFMT_HDR_BYTES];
    size_t hdr_len;
    struct span spans[LOGFMT_MAX_COLS + 1];

    /* Zeek header settings */
    char zsep[LOGFMT_ZSTR];
    size_t zsep_len;
    char zsetsep[LOGFMT_ZSTR];
    size_t zsetsep_len;
    char zempty[LOGFMT_ZSTR];
    size_t zempty_len;
    char zunset[LOGFMT_ZSTR];
    size_t zunset_len;

    /* scratch, LOGFMT_SCRATCH bytes each */
    char *dec;      /* decoded strings; bump-allocated, reset per line */
    size_t dec_len;
    char *syn;      /* synthesised URL */
};

/* ---- small helpers ---- */

static inline int mem_has(const char *s, size_t n, const char *needle)
{
    size_t nn = strlen(needle);

    for (size_t i = 0; i + nn <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nn) == 0)
            return 1;
    return 0;
}

static inline int all_class(const char *s, size_t n, unsigned char cls)
{
    for (size_t i = 0; i < n; i++)
        if (!(CT(s[i]) & cls))
            return 0;
    return 1;
}

/* LOGFMT_OK if s has no NUL byte and is valid UTF-8 (obs/utf8.h), else
 * LOGFMT_SKIP_BINARY. */
static inline enum logfmt_skip check_bytes(const char *s, size_t n)
{
    return utf8_span(s, n) == n ? LOGFMT_OK : LOGFMT_SKIP_BINARY;
}

/* ---- hints and emitting ---- */

/* Settle a hint against the value, cheaply: a wrong hint would make obs_normalize()
 * refuse a value that obs_guess_kind() would have placed. Domain-named fields that
 * hold an address, a host:port or anything but dotted labels (IDN bytes allowed), URL
 * fields without a scheme, e-mail fields without '@' and hash fields of the wrong
 * shape fall back to -1 (let the matcher guess). */
static inline int refine_hint(int hint, const char *v, size_t n)
{
    switch (hint) {
    case HINT_IP:
        return memchr(v, ':', n) ? OBS_IPV6 : OBS_IPV4;
    case OBS_DOMAIN:
        if ((CT(v[n - 1]) & C_DIGIT) || !memchr(v, '.', n))
            return HINT_NONE;
        for (size_t i = 0; i < n; i++)
            if (!(CT(v[i]) & C_WORD) && v[i] != '.' && (unsigned char)v[i] < 0x80)
                return HINT_NONE;
        return OBS_DOMAIN;
    case OBS_URL:
        return mem_has(v, n, "://") ? OBS_URL : HINT_NONE;
    case OBS_EMAIL:
        return memchr(v, '@', n) ? OBS_EMAIL : HINT_NONE;
    case HINT_HASH:
    case OBS_MD5:
    case OBS_SHA1:
    case OBS_SHA256:
    case OBS_SHA512:
        return all_class(v, n, C_HEX) ? hash_kind_of_len(n) : HINT_NONE;
    default:
        return hint;
    }
}

/* Strip <…> around an e-mail address (SMTP envelopes), skip empty values and settle
 * the hint. Returns 0 if there is nothing to report. */
static inline int finish_value(const char **v, size_t *n, int *hint)
{
    if (*hint == OBS_EMAIL && *n >= 2 && (*v)[0] == '<' && (*v)[*n - 1] == '>') {
        (*v)++;
        *n -= 2;
    }
    if (*n == 0)
        return 0;
    *hint = refine_hint(*hint, *v, *n);
    return 1;
}

static inline void emit_raw(struct emit *em, const char *field, size_t field_len, const char *v,
                     size_t n, int hint)
{
    struct logfmt_value val;

    if (em->stop)
        return;
    val.field = field;
    val.field_len = field_len;
    val.value = v;
    val.value_len = n;
    val.kind_hint = hint;
    if (em->fn(em->ctx, &val))
        em->stop = 1;
}

static inline void emit_hinted(struct emit *em, const char *field, size_t field_len, const char *v,
                        size_t n, int hint)
{
    if (finish_value(&v, &n, &hint))
        emit_raw(em, field, field_len, v, n, hint);
}

/* ---- shared by the scanners (logfmt.c) ---- */

/* The hint a column or key name suggests (CSV columns, configured JSON fields). */
int logfmt_hint_from_name(const char *s, size_t n);
/* http.full_url from the line's host and URL (f->host, f->url), if both are there. */
void logfmt_emit_full_url(struct logfmt *f, struct emit *em);
/* 1 if s[0..n) is one of the configured fields. */
int logfmt_field_configured(const struct logfmt *f, const char *s, size_t n);
/* Add a column name to the header store. Returns 0 when a cap is hit. */
int logfmt_col_add(struct logfmt *f, const char *s, size_t n);

/* ---- the scanners, one per format ---- */

enum logfmt_skip logfmt_json_line(struct logfmt *f, const char *s, size_t n, struct emit *em);
enum logfmt_skip logfmt_zeek_line(struct logfmt *f, const char *s, size_t n, struct emit *em);
/* The Zeek header settings before any #separator line: tab, ',', "(empty)", "-". */
void logfmt_zeek_defaults(struct logfmt *f);
enum logfmt_skip logfmt_csv_line(struct logfmt *f, const char *s, size_t n, struct emit *em);
void logfmt_text_line(struct logfmt *f, const char *s, size_t n, struct emit *em);

#endif
