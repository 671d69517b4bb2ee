/* match/logfmt.c - log lines to candidate observables for the matcher (see logfmt.h).
 *
 * logfmt_line() hands each line to the scanner of the format in use:
 *   JSON/EVE  a strict, allocation-free walker over one object. It tracks the key path
 *             ("dns.rrname"; array elements take the path of the array itself), checks
 *             every string (escapes, UTF-8) and reports the string leaves whose path is
 *             configured, or all string leaves when no field is configured;
 *   Zeek      TSV split on the #separator, columns named by #fields and typed by
 *             #types, set/vector columns split on the #set_separator;
 *   CSV       RFC 4180 fields; the first line names the columns;
 *   text      one left-to-right pass that finds IPv4/IPv6 addresses, URLs, e-mail
 *             addresses, domains (defanged forms included), hashes and wallets.
 * Hand-written: this is the matcher's hot path (a GiB of logs per run, on every core
 * the matcher has). jansson builds a tree per line with a malloc per node, and no
 * Debian library extracts indicators from free text, let alone defanged ones.
 *
 * Memory: logfmt_new() allocates everything once: the struct itself (field table, JSON
 * stack and key path, candidate list, column table, Zeek/CSV header) and two scratch
 * buffers of LOGFMT_SCRATCH bytes: `dec` for decoded JSON/CSV/Zeek strings and
 * refanged text tokens, `syn` for synthesised URLs. logfmt_line() never allocates.
 * Values handed to the callback point into the caller's line, into the struct or into
 * a scratch buffer; they are valid during the call only.
 *
 * JSON values are handed out only when the whole line is valid: the walker collects
 * them (up to LOGFMT_MAX_CANDS per line) and the callback runs after the closing brace.
 * A valid line with more candidates than that is walked a second time, calling back
 * directly. Zeek and CSV lines are split and checked before any value is reported. */
#include "match/logfmt.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "obs/ascii.h"
#include "obs/hash.h"
#include "obs/ip.h"
#include "obs/obs.h"
#include "obs/utf8.h"
#include "match/jsonnum.h"
#include "match/jsonquote.h"

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

/* Character classes for the scanners, a table built from the obs/ascii.h predicates
 * (the label characters are the ones obs/name.c accepts). */
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
static const unsigned char ctab[256] = {ASCII_TABLE(CTAB)};
#define CT(c) (ctab[(unsigned char)(c)])

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

/* The EVE defaults. The array of DNS queries in EVE version 1 ("dns":{"query":[{…}]})
 * has the path of the array, so its rrname is "dns.query.rrname". */
struct eve_field {
    const char *path;
    const char *name;
    int hint;
    enum role role;
};
static const struct eve_field eve_fields[] = {
    {"src_ip", "src_ip", HINT_IP, ROLE_NONE},
    {"dest_ip", "dest_ip", HINT_IP, ROLE_NONE},
    {"dns.rrname", "dns.rrname", OBS_DOMAIN, ROLE_NONE},
    {"dns.query.rrname", "dns.rrname", OBS_DOMAIN, ROLE_NONE},
    {"dns.queries.rrname", "dns.rrname", OBS_DOMAIN, ROLE_NONE}, /* EVE dns v3 */
    {"dns.answers.rdata", "dns.answers.rdata", HINT_NONE, ROLE_NONE},
    {"dns.grouped.A", "dns.grouped.A", HINT_IP, ROLE_NONE},
    {"dns.grouped.AAAA", "dns.grouped.AAAA", HINT_IP, ROLE_NONE},
    {"dns.grouped.CNAME", "dns.grouped.CNAME", OBS_DOMAIN, ROLE_NONE},
    {"http.hostname", "http.hostname", OBS_DOMAIN, ROLE_HOST},
    {"http.url", "http.url", HINT_NONE, ROLE_URL},
    {"tls.sni", "tls.sni", OBS_DOMAIN, ROLE_NONE},
    {"fileinfo.md5", "fileinfo.md5", OBS_MD5, ROLE_NONE},
    {"fileinfo.sha1", "fileinfo.sha1", OBS_SHA1, ROLE_NONE},
    {"fileinfo.sha256", "fileinfo.sha256", OBS_SHA256, ROLE_NONE},
    {"smtp.mail_from", "smtp.mail_from", OBS_EMAIL, ROLE_NONE},
    {"smtp.rcpt_to", "smtp.rcpt_to", OBS_EMAIL, ROLE_NONE},
};
#define N_EVE_FIELDS (sizeof eve_fields / sizeof eve_fields[0])

static const char full_url_name[] = "http.full_url";
#define FULL_URL_LEN (sizeof full_url_name - 1)
static const char text_name[] = "text";

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

/* ---------------------------------------------------------------- small helpers */

static int eq_nocase(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);

    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (ascii_to_lower((unsigned char)a[i]) != b[i])
            return 0;
    return 1;
}

/* Does a[0..an) contain the lowercase word b, ignoring case? */
static int has_nocase(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);

    for (size_t i = 0; i + bn <= an; i++) {
        size_t k = 0;

        while (k < bn && ascii_to_lower((unsigned char)a[i + k]) == b[k])
            k++;
        if (k == bn)
            return 1;
    }
    return 0;
}

static int mem_has(const char *s, size_t n, const char *needle)
{
    size_t nn = strlen(needle);

    for (size_t i = 0; i + nn <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nn) == 0)
            return 1;
    return 0;
}

static int all_class(const char *s, size_t n, unsigned char cls)
{
    for (size_t i = 0; i < n; i++)
        if (!(CT(s[i]) & cls))
            return 0;
    return 1;
}

/* LOGFMT_OK if s has no NUL byte and is valid UTF-8 (obs/utf8.h), else
 * LOGFMT_SKIP_BINARY. */
static enum logfmt_skip check_bytes(const char *s, size_t n)
{
    return utf8_span(s, n) == n ? LOGFMT_OK : LOGFMT_SKIP_BINARY;
}

/* ------------------------------------------------------------ hints and emitting */

/* The hint a column or key name suggests (CSV columns, configured JSON fields). */
static int hint_from_name(const char *s, size_t n)
{
    if (has_nocase(s, n, "sha512"))
        return OBS_SHA512;
    if (has_nocase(s, n, "sha256"))
        return OBS_SHA256;
    if (has_nocase(s, n, "sha1"))
        return OBS_SHA1;
    if (has_nocase(s, n, "md5"))
        return OBS_MD5;
    if (has_nocase(s, n, "hash"))
        return HINT_HASH;
    if (has_nocase(s, n, "mail"))
        return OBS_EMAIL;
    if (has_nocase(s, n, "url"))
        return OBS_URL;
    /* addresses: the matcher guesses ipv4/ipv6; listed before "host" so that
     * dst_host or host_ip stay a guess */
    if (has_nocase(s, n, "ip") || has_nocase(s, n, "addr") || has_nocase(s, n, "src") ||
        has_nocase(s, n, "dst"))
        return HINT_NONE;
    if (has_nocase(s, n, "domain") || has_nocase(s, n, "host") || has_nocase(s, n, "query") ||
        has_nocase(s, n, "fqdn") || has_nocase(s, n, "sni"))
        return OBS_DOMAIN;
    return HINT_NONE;
}

/* The hint a Zeek column name gives (types may still override it). */
static int hint_from_zeek_name(const char *s, size_t n, enum role *role)
{
    static const struct {
        const char *name;
        int hint;
        enum role role;
    } zn[] = {
        {"id.orig_h", HINT_IP, ROLE_NONE},  {"id.resp_h", HINT_IP, ROLE_NONE},
        {"tx_hosts", HINT_IP, ROLE_NONE},   {"rx_hosts", HINT_IP, ROLE_NONE},
        {"src", HINT_IP, ROLE_NONE},        {"dst", HINT_IP, ROLE_NONE},
        {"query", OBS_DOMAIN, ROLE_NONE},   {"host", OBS_DOMAIN, ROLE_HOST},
        {"uri", HINT_NONE, ROLE_URL},       {"md5", OBS_MD5, ROLE_NONE},
        {"sha1", OBS_SHA1, ROLE_NONE},      {"sha256", OBS_SHA256, ROLE_NONE},
        {"mailfrom", OBS_EMAIL, ROLE_NONE}, {"rcptto", OBS_EMAIL, ROLE_NONE},
        {"server_name", OBS_DOMAIN, ROLE_NONE},
    };

    *role = ROLE_NONE;
    for (size_t i = 0; i < sizeof zn / sizeof zn[0]; i++) {
        if (strlen(zn[i].name) == n && memcmp(zn[i].name, s, n) == 0) {
            *role = zn[i].role;
            return zn[i].hint;
        }
    }
    if (n > 2 && s[n - 2] == '_' && s[n - 1] == 'h') /* orig_h, resp_h, ... */
        return HINT_IP;
    return HINT_NONE;
}

/* Settle a hint against the value, cheaply: a wrong hint would make obs_normalize()
 * refuse a value that obs_guess_kind() would have placed. Domain-named fields that
 * hold an address, a host:port or anything but dotted labels (IDN bytes allowed), URL
 * fields without a scheme, e-mail fields without '@' and hash fields of the wrong
 * shape fall back to -1 (let the matcher guess). */
static int refine_hint(int hint, const char *v, size_t n)
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
static int finish_value(const char **v, size_t *n, int *hint)
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

static void emit_raw(struct emit *em, const char *field, size_t field_len, const char *v,
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

static void emit_hinted(struct emit *em, const char *field, size_t field_len, const char *v,
                        size_t n, int hint)
{
    if (finish_value(&v, &n, &hint))
        emit_raw(em, field, field_len, v, n, hint);
}

/* http.full_url from a host and a URL of the same line: "http://" host url when url is
 * a path; url itself when it already has a scheme (proxy requests); nothing else. */
static void emit_full_url(struct logfmt *f, struct emit *em)
{
    size_t n;

    if (!f->host.p || !f->url.p || !f->host.len || !f->url.len)
        return;
    if (f->url.p[0] == '/') {
        n = 0;
        memcpy(f->syn, "http://", 7);
        n += 7;
        memcpy(f->syn + n, f->host.p, f->host.len);
        n += f->host.len;
        memcpy(f->syn + n, f->url.p, f->url.len);
        n += f->url.len;
        emit_raw(em, full_url_name, FULL_URL_LEN, f->syn, n, OBS_URL);
    } else if (mem_has(f->url.p, f->url.len, "://")) {
        emit_raw(em, full_url_name, FULL_URL_LEN, f->url.p, f->url.len, OBS_URL);
    }
}

static int discard_value(void *ctx, const struct logfmt_value *v)
{
    (void)ctx;
    (void)v;
    return 0;
}

/* ----------------------------------------------------------------- configuration */

static void spec_add(struct logfmt *f, const char *path, size_t path_len, const char *name,
                     int hint, enum role role)
{
    struct fspec *sp = &f->spec[f->n_spec++];

    sp->path = path;
    sp->path_len = path_len;
    sp->name = name;
    sp->name_len = strlen(name);
    sp->hint = hint;
    sp->role = role;
    sp->next = -1;
    sp->head = 0;
    memcpy(&sp->head, path, path_len < 8 ? path_len : 8);
    if (path_len <= LOGFMT_MAX_FIELD_LEN) {
        /* append, so that the first configured of two equal paths wins */
        int *link = &f->by_len[path_len];

        while (*link >= 0)
            link = &f->spec[*link].next;
        *link = (int)(f->n_spec - 1);
    }
}

/* Build the JSON field table for the format in use. Pointers go into f->field_buf or
 * static tables, so a clone calls this again. */
static void setup_specs(struct logfmt *f)
{
    f->n_spec = 0;
    f->all_leaves = 0;
    for (size_t i = 0; i <= LOGFMT_MAX_FIELD_LEN; i++)
        f->by_len[i] = -1;
    if (f->eff != LOGFMT_JSON && f->eff != LOGFMT_EVE)
        return;
    if (f->n_fields == 0) {
        if (f->eff == LOGFMT_JSON) {
            f->all_leaves = 1;
            return;
        }
        for (size_t i = 0; i < N_EVE_FIELDS; i++)
            spec_add(f, eve_fields[i].path, strlen(eve_fields[i].path), eve_fields[i].name,
                     eve_fields[i].hint, eve_fields[i].role);
        return;
    }
    for (size_t i = 0; i < f->n_fields; i++) {
        const char *p = f->field_buf + f->field_off[i];
        size_t n = f->field_len[i];
        const char *last = p;
        const struct eve_field *ev = NULL;
        enum role role = ROLE_NONE;

        for (size_t k = 0; k < N_EVE_FIELDS && f->eff == LOGFMT_EVE; k++)
            if (strlen(eve_fields[k].path) == n && memcmp(eve_fields[k].path, p, n) == 0)
                ev = &eve_fields[k];
        if (ev) {
            spec_add(f, p, n, ev->name, ev->hint, ev->role);
            continue;
        }
        for (size_t k = 0; k < n; k++)
            if (p[k] == '.')
                last = p + k + 1;
        if (n == 13 && memcmp(p, "http.hostname", 13) == 0)
            role = ROLE_HOST;
        else if (n == 8 && memcmp(p, "http.url", 8) == 0)
            role = ROLE_URL;
        spec_add(f, p, n, p, hint_from_name(last, (size_t)(p + n - last)), role);
    }
}

static void zeek_defaults(struct logfmt *f)
{
    f->zsep[0] = '\t';
    f->zsep_len = 1;
    f->zsetsep[0] = ',';
    f->zsetsep_len = 1;
    memcpy(f->zempty, "(empty)", 7);
    f->zempty_len = 7;
    f->zunset[0] = '-';
    f->zunset_len = 1;
    f->have_cols = 0;
    f->n_cols = 0;
    f->hdr_len = 0;
}

static int field_configured(const struct logfmt *f, const char *s, size_t n)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (f->field_len[i] == n && memcmp(f->field_buf + f->field_off[i], s, n) == 0)
            return 1;
    return 0;
}

/* Add a column name to the header store. Returns 0 when a cap is hit. */
static int col_add(struct logfmt *f, const char *s, size_t n)
{
    struct col *c;

    if (f->n_cols >= LOGFMT_MAX_COLS || n > sizeof f->hdr - f->hdr_len)
        return 0;
    c = &f->cols[f->n_cols++];
    c->name_off = f->hdr_len;
    c->name_len = n;
    memcpy(f->hdr + f->hdr_len, s, n);
    f->hdr_len += n;
    c->hint = HINT_NONE;
    c->flags = 0;
    return 1;
}

/* ---------------------------------------------------------------------- JSON */

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Is c a byte the string scanner must look at: '"', '\\', a control or non-ASCII? */
static int str_special(unsigned c)
{
    return c == '"' || c == '\\' || c - 0x20 > 0x5F;
}

/* The first byte in [p, end) that str_special() flags, or end. This is the memchr of
 * the JSON scanner: 16 bytes per step with SSE2 (x86-64 always has it), where the
 * signed compare with 0x20 catches both controls and bytes >= 0x80. */
static const unsigned char *find_special(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);

    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);

        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !str_special(*p))
        p++;
    return p;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        int h = ascii_hex_val(p[i]);

        if (h < 0)
            return 0;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 1;
}

/* s is just after an opening quote. Returns the closing quote, or NULL with *why set:
 * MALFORMED for a bad escape, a control character or no closing quote, BINARY for
 * invalid UTF-8 or a lone UTF-16 surrogate. *esc is set if there are escapes. Plain
 * runs are skipped with find_special(); only the flagged bytes are looked at. */
static const unsigned char *json_str_end(const unsigned char *s, const unsigned char *end,
                                         int *esc, enum logfmt_skip *why)
{
    const unsigned char *p = s;

    *esc = 0;
    for (;;) {
        unsigned c;

        p = find_special(p, end);
        if (p == end)
            break;
        c = *p;
        if (c == '"')
            return p;
        if (c == '\\') {
            *esc = 1;
            if (end - p < 2)
                break;
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u': {
                unsigned u, u2;

                if (end - p < 6 || !hex4(p + 2, &u)) {
                    *why = LOGFMT_SKIP_MALFORMED;
                    return NULL;
                }
                p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    *why = LOGFMT_SKIP_BINARY;
                    return NULL;
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &u2) ||
                        u2 < 0xDC00 || u2 > 0xDFFF) {
                        *why = LOGFMT_SKIP_BINARY;
                        return NULL;
                    }
                    p += 6;
                }
                continue;
            }
            default:
                *why = LOGFMT_SKIP_MALFORMED;
                return NULL;
            }
        }
        if (c < 0x20) {
            *why = LOGFMT_SKIP_MALFORMED;
            return NULL;
        }
        {
            size_t k = utf8_len(p, (size_t)(end - p));

            if (!k) {
                *why = LOGFMT_SKIP_BINARY;
                return NULL;
            }
            p += k;
        }
    }
    *why = LOGFMT_SKIP_MALFORMED;
    return NULL;
}

/* Decode a string json_str_end() accepted into out (never longer than n). */
static size_t json_unescape(const unsigned char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        unsigned c = s[i], u = 0, u2 = 0;

        if (c != '\\') {
            out[o++] = (char)c;
            i++;
            continue;
        }
        c = s[i + 1];
        i += 2;
        if (c != 'u') {
            static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
            const char *k = strchr(from, (int)c);

            out[o++] = k ? to[k - from] : (char)c; /* " \\ / stand for themselves */
            continue;
        }
        hex4(s + i, &u);
        i += 4;
        if (u >= 0xD800 && u <= 0xDBFF) {
            hex4(s + i + 2, &u2);
            i += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
        }
        if (u < 0x80) {
            out[o++] = (char)u;
        } else if (u < 0x800) {
            out[o++] = (char)(0xC0 | (u >> 6));
            out[o++] = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            out[o++] = (char)(0xE0 | (u >> 12));
            out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (u & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (u >> 18));
            out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (u & 0x3F));
        }
    }
    return o;
}

/* Append n bytes to the key path at logical position pos; bytes past the cap are
 * dropped, the logical length keeps counting (so the path then matches nothing). */
static size_t path_put(struct logfmt *f, size_t pos, const void *s, size_t n, size_t avail)
{
    size_t k;

    if (n <= 16 && avail >= 16 && pos + n <= LOGFMT_MAX_PATH) {
        /* keys are short: one fixed 16-byte copy (path has 16 bytes of slack, s has
         * avail readable bytes) instead of a variable-length one */
        memcpy(f->path + pos, s, 16);
        return pos + n;
    }
    k = pos < LOGFMT_MAX_PATH ? (n < LOGFMT_MAX_PATH - pos ? n : LOGFMT_MAX_PATH - pos) : 0;
    if (k)
        memcpy(f->path + pos, s, k);
    return pos + n;
}

/* The first 8 bytes of a key path of n bytes, zero-padded, as one word: most paths
 * are told apart by it without a memcmp. p has at least 8 readable bytes. */
static uint64_t path_head(const char *p, size_t n)
{
    static const unsigned char keep[9][8] = {
        {0},
        {0xff},
        {0xff, 0xff},
        {0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    };
    uint64_t h, m;

    memcpy(&h, p, 8);
    memcpy(&m, keep[n < 8 ? n : 8], 8); /* byte masks: right for either byte order */
    return h & m;
}

/* A string leaf at the current path: report it if its path is wanted. */
static void json_leaf(struct logfmt *f, struct emit *em, size_t path_len,
                      const unsigned char *s, size_t n, int esc)
{
    const struct fspec *sp = NULL;
    const char *field, *v;
    size_t field_len, vn;
    int hint = HINT_NONE;

    if (n == 0)
        return;
    if (f->all_leaves && f->no_fields) {
        field = "";
        field_len = 0;
    } else if (f->all_leaves) {
        field = f->path;
        field_len = path_len < LOGFMT_MAX_PATH ? path_len : LOGFMT_MAX_PATH;
    } else {
        if (path_len > LOGFMT_MAX_FIELD_LEN)
            return;
        uint64_t head = path_head(f->path, path_len);

        for (int i = f->by_len[path_len]; i >= 0; i = f->spec[i].next) {
            if (f->spec[i].head == head &&
                (path_len <= 8 || memcmp(f->spec[i].path + 8, f->path + 8, path_len - 8) == 0)) {
                sp = &f->spec[i];
                break;
            }
        }
        if (!sp)
            return;
        field = sp->name;
        field_len = sp->name_len;
        hint = sp->hint;
    }
    if (esc) {
        v = f->dec + f->dec_len;
        vn = json_unescape(s, n, f->dec + f->dec_len);
        f->dec_len += vn;
    } else {
        v = (const char *)s;
        vn = n;
    }
    if (sp && sp->role == ROLE_HOST && !f->host.p) {
        f->host.p = v;
        f->host.len = vn;
    } else if (sp && sp->role == ROLE_URL && !f->url.p) {
        f->url.p = v;
        f->url.len = vn;
    }
    if (!finish_value(&v, &vn, &hint))
        return;
    if (em->direct) {
        emit_raw(em, field, field_len, v, vn, hint);
        return;
    }
    if (em->overflow)
        return;
    if (f->n_cands == LOGFMT_MAX_CANDS) {
        em->overflow = 1;
        return;
    }
    if (f->all_leaves && !f->no_fields) {
        if (field_len > sizeof f->cpath - f->cpath_len) {
            em->overflow = 1;
            return;
        }
        memcpy(f->cpath + f->cpath_len, field, field_len);
        field = f->cpath + f->cpath_len;
        f->cpath_len += field_len;
    }
    f->cands[f->n_cands].field = field;
    f->cands[f->n_cands].field_len = field_len;
    f->cands[f->n_cands].val = v;
    f->cands[f->n_cands].val_len = vn;
    f->cands[f->n_cands].hint = hint;
    f->n_cands++;
}

/* A JSON line's scan starts afresh: no decoded text, candidates, copied paths, or
 * host and URL parts (for the synthesised full URL) of the line before. */
static void json_line_reset(struct logfmt *f)
{
    f->dec_len = 0;
    f->n_cands = 0;
    f->cpath_len = 0;
    f->host.p = NULL;
    f->url.p = NULL;
}

/* Walk one JSON object (the whole line), checking it strictly and handing string
 * leaves to json_leaf(). Iterative, depth capped at LOGFMT_MAX_DEPTH. */
static enum logfmt_skip json_walk(struct logfmt *f, const char *line, size_t len,
                                  struct emit *em)
{
    const unsigned char *p = (const unsigned char *)line, *end = p + len;
    const unsigned char *s, *q;
    size_t depth, path_len = 0;
    enum logfmt_skip why = LOGFMT_SKIP_MALFORMED;
    int esc;

    json_line_reset(f);
    p = skip_ws(p, end);
    if (p == end || *p != '{')
        return LOGFMT_SKIP_MALFORMED;
    f->stack[0].type = J_OBJ;
    f->stack[0].base = 0;
    depth = 1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        depth = 0;
        goto after_value;
    }
    goto key;

value:
    p = skip_ws(p, end);
    if (p == end)
        return LOGFMT_SKIP_MALFORMED;
    switch (*p) {
    case '{':
    case '[': {
        int obj = *p == '{';
        if (depth == LOGFMT_MAX_DEPTH)
            return LOGFMT_SKIP_MALFORMED;
        f->stack[depth].type = obj ? J_OBJ : J_ARR;
        f->stack[depth].base = path_len;
        depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        if (obj)
            goto key;
        goto value;
    }
    case '"':
        s = p + 1;
        q = json_str_end(s, end, &esc, &why);
        if (!q)
            return why;
        json_leaf(f, em, path_len, s, (size_t)(q - s), esc);
        if (em->stop)
            return LOGFMT_OK;
        p = q + 1;
        goto after_value;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 4;
        goto after_value;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 5;
        goto after_value;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 4;
        goto after_value;
    default:
        p = json_number(p, end);
        if (!p)
            return LOGFMT_SKIP_MALFORMED;
        goto after_value;
    }

key:
    if (p == end || *p != '"')
        return LOGFMT_SKIP_MALFORMED;
    s = p + 1;
    q = json_str_end(s, end, &esc, &why);
    if (!q)
        return why;
    path_len = f->stack[depth - 1].base;
    if (path_len > 0) {
        if (path_len < LOGFMT_MAX_PATH)
            f->path[path_len] = '.';
        path_len++;
    }
    if (!esc) {
        path_len = path_put(f, path_len, s, (size_t)(q - s), (size_t)(end - s));
    } else {
        /* decode into the free tail of dec, then copy what fits */
        size_t m = json_unescape(s, (size_t)(q - s), f->dec + f->dec_len);

        path_len = path_put(f, path_len, f->dec + f->dec_len, m, m);
    }
    p = skip_ws(q + 1, end);
    if (p == end || *p != ':')
        return LOGFMT_SKIP_MALFORMED;
    p++;
    goto value;

after_value:
    p = skip_ws(p, end);
    if (depth == 0)
        return p == end ? LOGFMT_OK : LOGFMT_SKIP_MALFORMED;
    if (p == end)
        return LOGFMT_SKIP_MALFORMED;
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (f->stack[depth - 1].type == J_OBJ)
            goto key;
        goto value;
    }
    if (*p == (f->stack[depth - 1].type == J_OBJ ? '}' : ']')) {
        p++;
        depth--;
        path_len = f->stack[depth].base;
        goto after_value;
    }
    return LOGFMT_SKIP_MALFORMED;
}


/* Most log lines are one flat object: string keys, and values that are plain strings
 * (no escapes, controls or non-ASCII bytes), numbers, true, false or null. Such a line
 * is checked and scanned here with less work per token than json_walk() does: one
 * pass marks its quotes in a bit set (16 bytes per step), and the scan then jumps
 * from quote to quote. At anything else (a long line, nesting, an escape, a bad byte,
 * a syntax error) this gives up and returns 0, and json_walk() takes the line from
 * the start and decides. Returns 1 when the line was such an object and its leaves
 * went to json_leaf(). */
#define FLAT_MAX_LINE 4096

/* Bit i of q is set where s[i] is '"'. 0 if s has a '\\', a control byte or a byte
 * >= 0x80 anywhere (str_special() without the quote). */
static int quote_bits(const unsigned char *s, size_t n, uint64_t *q)
{
    size_t i = 0, stored = 0; /* q[0..stored) are final */
    unsigned bad = 0;
    uint64_t word = 0;        /* q[stored], being built */

#if defined(__SSE2__)
    {
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);

        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
            bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, bslash), _mm_cmplt_epi8(x, space)));
            word |= (uint64_t)mq << (i & 63);
            if ((i & 63) == 48) {
                q[stored++] = word;
                word = 0;
            }
        }
        if (i < n && n >= 16) {
            /* the tail, fewer than 16 bytes and so inside the current word: the last
             * 16 bytes again, the ones already seen shifted out */
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
            unsigned seen = 16 - (unsigned)(n - i);
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote)) >> seen;
            bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, bslash), _mm_cmplt_epi8(x, space))) >> seen;
            word |= (uint64_t)mq << (i & 63);
            i = n;
        }
    }
#endif
    for (; i < n; i++) {
        unsigned c = s[i];
        if (c == '"')
            word |= 1ull << (i & 63);
        else
            bad |= c == '\\' || c - 0x20 > 0x5F;
        if ((i & 63) == 63) {
            q[stored++] = word;
            word = 0;
        }
    }
    if (stored * 64 < n || n == 0)
        q[stored] = word;
    return !bad;
}

enum { FLAT_REFUSED, FLAT_EMPTY, FLAT_KEYS };

/* What both flat scanners do first: mark the quotes (refusing escapes and bad bytes),
 * reset the line's state, and read up to the first key (*p at its quote). Inlined, so
 * that the quote cursor stays in registers in the scan loop. */
static inline __attribute__((always_inline)) int
flat_begin(struct logfmt *f, const unsigned char *s, size_t len, uint64_t *q, struct json_quotes *qc,
           const unsigned char **pp)
{
    const unsigned char *end = s + len, *p;

    if (len > FLAT_MAX_LINE || !quote_bits(s, len, q))
        return FLAT_REFUSED;
    json_quotes_init(qc, q, len);
    json_line_reset(f);
    f->n_spans = 0;
    p = skip_ws(s, end);
    if (p == end || *p != '{')
        return FLAT_REFUSED;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return skip_ws(p + 1, end) == end ? FLAT_EMPTY : FLAT_REFUSED;
    *pp = p;
    return FLAT_KEYS;
}

/* The scan itself. values_only (a constant at each call, so each caller gets its own
 * copy of the loop): a field-less scan (logfmt_values() of JSON without a field list,
 * the matcher's prefilter pass over every line) stores the string values as spans
 * (no key, no hint, the count in a register); otherwise each leaf goes to
 * json_leaf() under its key. */
static inline __attribute__((always_inline)) int
flat_scan(struct logfmt *f, const char *line, size_t len, struct emit *em, int values_only)
{
    const unsigned char *s = (const unsigned char *)line, *end = s + len, *p;
    uint64_t q[FLAT_MAX_LINE / 64];
    struct json_quotes qc;
    struct logfmt_span *spans = f->vspans;
    size_t i, klen = 0, n = 0;

    switch (flat_begin(f, s, len, q, &qc, &p)) {
    case FLAT_REFUSED:
        return 0;
    case FLAT_EMPTY:
        return 1;
    default:
        break;
    }
    for (;;) {
        /* a key */
        if (p == end || *p != '"' || (i = json_quote_string(&qc, (size_t)(p - s))) == len)
            return 0;
        if (!values_only)
            klen = path_put(f, 0, p + 1, i - (size_t)(p - s) - 1, (size_t)(end - p - 1));
        p = s + i + 1;
        if (p + 1 < end && p[0] == ':' && p[1] == '"') {
            p++; /* the common "key":"value" */
        } else {
            if (p < end && *p != ':')
                p = skip_ws(p, end);
            if (p == end || *p != ':')
                return 0;
            p = skip_ws(p + 1, end);
            if (p == end)
                return 0;
        }
        /* its value */
        if (*p == '"') {
            if ((i = json_quote_string(&qc, (size_t)(p - s))) == len)
                return 0;
            if (!values_only) {
                json_leaf(f, em, klen, p + 1, i - (size_t)(p - s) - 1, 0);
                if (em->stop)
                    return 1;
            } else if (i > (size_t)(p - s) + 1) {
                if (n == LOGFMT_MAX_CANDS) {
                    em->overflow = 1; /* json_line() walks the line again */
                } else {
                    spans[n].p = (const char *)p + 1;
                    spans[n].len = i - (size_t)(p - s) - 1;
                    n++;
                }
            }
            p = s + i + 1;
        } else if (!(p = json_scalar(p, end))) {
            return 0;
        }
        /* then ',' and the next key, or the end */
        if (p + 1 < end && p[0] == ',' && p[1] == '"') {
            p++;
            continue;
        }
        if (p < end && *p != ',' && *p != '}')
            p = skip_ws(p, end);
        if (p == end)
            return 0;
        if (*p == '}') {
            f->n_spans = n;
            return skip_ws(p + 1, end) == end;
        }
        if (*p != ',')
            return 0;
        p = skip_ws(p + 1, end);
    }
}

static int json_flat(struct logfmt *f, const char *line, size_t len, struct emit *em)
{
    return flat_scan(f, line, len, em, 0);
}

static int json_flat_values(struct logfmt *f, const char *line, size_t len, struct emit *em)
{
    return flat_scan(f, line, len, em, 1);
}

static enum logfmt_skip json_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    enum logfmt_skip r;
    int flat;

    em->direct = 0;
    em->overflow = 0;
    flat = f->no_fields ? json_flat_values(f, s, n, em) : json_flat(f, s, n, em);
    if (flat && f->no_fields && !em->overflow) {
        /* every leaf, no fields, no hints: nothing for finish_value() to do */
        struct logfmt_value val = {"", 0, NULL, 0, HINT_NONE};
        if (f->batch) {
            f->batched = 1; /* logfmt_values_all() hands f->vspans over */
            return LOGFMT_OK;
        }
        for (size_t i = 0; i < f->n_spans; i++) {
            val.value = f->vspans[i].p;
            val.value_len = f->vspans[i].len;
            if (em->fn(em->ctx, &val))
                break;
        }
        return LOGFMT_OK;
    }
    r = flat ? LOGFMT_OK : json_walk(f, s, n, em);
    if (r != LOGFMT_OK) /* a NUL byte anywhere stops the walk: say why */
        return memchr(s, '\0', n) ? LOGFMT_SKIP_BINARY : r;
    if (!em->overflow) {
        for (size_t i = 0; i < f->n_cands && !em->stop; i++)
            emit_raw(em, f->cands[i].field, f->cands[i].field_len, f->cands[i].val,
                     f->cands[i].val_len, f->cands[i].hint);
    } else {
        /* valid but too many values to hold: walk again, calling back directly */
        em->direct = 1;
        json_walk(f, s, n, em);
    }
    emit_full_url(f, em);
    return LOGFMT_OK;
}

/* ---------------------------------------------------------------------- Zeek */

/* Decode Zeek's \xHH escapes of s[0..n) into out (no longer than n). */
static size_t zeek_unescape(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        int h1, h2;

        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
            (h1 = ascii_hex_val((unsigned char)s[i + 2])) >= 0 &&
            (h2 = ascii_hex_val((unsigned char)s[i + 3])) >= 0) {
            out[o++] = (char)(h1 << 4 | h2);
            i += 4;
            continue;
        }
        out[o++] = s[i++];
    }
    return o;
}

/* Split s on sep into f->spans; returns the count, or LOGFMT_MAX_COLS + 1 when there
 * are more columns than that. */
static size_t split_sep(struct logfmt *f, const char *s, size_t n, const char *sep,
                        size_t sep_len)
{
    size_t k = 0, i = 0;

    for (;;) {
        const char *q = NULL;
        size_t at = i, e;

        if (k == LOGFMT_MAX_COLS)
            return LOGFMT_MAX_COLS + 1;
        while (at < n && (q = memchr(s + at, sep[0], n - at)) != NULL) {
            size_t pos = (size_t)(q - s);

            if (n - pos >= sep_len && memcmp(q, sep, sep_len) == 0)
                break;
            at = pos + 1;
            q = NULL;
        }
        e = q ? (size_t)(q - s) : n;
        f->spans[k].p = s + i;
        f->spans[k].len = e - i;
        k++;
        if (!q)
            return k;
        i = e + sep_len;
    }
}

/* Read a header value: Zeek writes the separators escaped ("\x09"). */
static int zeek_hdr_value(const char *s, size_t n, char *out, size_t *out_len)
{
    if (n == 0 || n >= LOGFMT_ZSTR)
        return 0;
    *out_len = zeek_unescape(s, n, out);
    return *out_len > 0;
}

static int zeek_is(const struct span *v, const char *m, size_t mn)
{
    return v->len == mn && memcmp(v->p, m, mn) == 0;
}

/* Which columns are worth reporting by default, from the type. */
static int zeek_type_observable(const char *t, size_t n)
{
    static const char *const dull[] = {"time", "interval", "count", "int", "double",
                                       "bool", "port", "enum"};

    if (n > 4 && memcmp(t, "set[", 4) == 0 && t[n - 1] == ']') {
        t += 4;
        n -= 5;
    } else if (n > 7 && memcmp(t, "vector[", 7) == 0 && t[n - 1] == ']') {
        t += 7;
        n -= 8;
    }
    for (size_t i = 0; i < sizeof dull / sizeof dull[0]; i++)
        if (strlen(dull[i]) == n && memcmp(dull[i], t, n) == 0)
            return 0;
    return 1;
}

static enum logfmt_skip zeek_fields(struct logfmt *f, size_t nsp)
{
    /* identifiers and protocol chatter that never hold an observable */
    static const char *const skip_names[] = {
        "ts",          "uid",           "fuid",          "conn_uids",       "parent_fuid",
        "history",     "conn_state",    "service",       "tunnel_parents",  "method",
        "version",     "status_msg",    "user_agent",    "qclass_name",     "qtype_name",
        "rcode_name",  "mime_type",     "source",        "analyzers",       "orig_fuids",
        "resp_fuids",  "orig_mime_types", "resp_mime_types", "info_msg",    "extracted",
    };
    static const char *const set_names[] = {"tx_hosts", "rx_hosts", "conn_uids", "rcptto",
                                            "answers", "TTLs"};

    f->n_cols = 0;
    f->hdr_len = 0;
    f->have_cols = 0;
    if (nsp < 2 || nsp > LOGFMT_MAX_COLS)
        return LOGFMT_SKIP_MALFORMED;
    for (size_t i = 1; i < nsp; i++) {
        struct col *c;
        enum role role;
        const char *nm = f->spans[i].p;
        size_t nl = f->spans[i].len;

        if (!col_add(f, nm, nl)) {
            f->n_cols = 0;
            return LOGFMT_SKIP_MALFORMED;
        }
        c = &f->cols[f->n_cols - 1];
        c->hint = hint_from_zeek_name(nm, nl, &role);
        if (role == ROLE_HOST)
            c->flags |= COL_HOST;
        else if (role == ROLE_URL)
            c->flags |= COL_URI;
        if (f->n_fields) {
            if (field_configured(f, nm, nl))
                c->flags |= COL_REPORT;
        } else {
            c->flags |= COL_REPORT;
            for (size_t k = 0; k < sizeof skip_names / sizeof skip_names[0]; k++)
                if (strlen(skip_names[k]) == nl && memcmp(skip_names[k], nm, nl) == 0)
                    c->flags &= ~(unsigned)COL_REPORT;
        }
        /* without #types, known set columns by name */
        for (size_t k = 0; k < sizeof set_names / sizeof set_names[0]; k++)
            if (strlen(set_names[k]) == nl && memcmp(set_names[k], nm, nl) == 0)
                c->flags |= COL_SET;
    }
    f->have_cols = 1;
    return LOGFMT_SKIP_HEADER;
}

static enum logfmt_skip zeek_types(struct logfmt *f, size_t nsp)
{
    if (!f->have_cols || nsp != f->n_cols + 1)
        return LOGFMT_SKIP_MALFORMED;
    for (size_t i = 0; i < f->n_cols; i++) {
        struct col *c = &f->cols[i];
        const char *t = f->spans[i + 1].p;
        size_t tn = f->spans[i + 1].len;

        c->flags &= ~(unsigned)COL_SET;
        if ((tn > 4 && memcmp(t, "set[", 4) == 0) || (tn > 7 && memcmp(t, "vector[", 7) == 0))
            c->flags |= COL_SET;
        if ((tn == 4 && memcmp(t, "addr", 4) == 0) || (tn == 6 && memcmp(t, "subnet", 6) == 0) ||
            (tn == 9 && memcmp(t, "set[addr]", 9) == 0) ||
            (tn == 12 && memcmp(t, "vector[addr]", 12) == 0))
            c->hint = HINT_IP;
        if (!f->n_fields && !zeek_type_observable(t, tn))
            c->flags &= ~(unsigned)COL_REPORT;
    }
    return LOGFMT_SKIP_HEADER;
}

static enum logfmt_skip zeek_header(struct logfmt *f, const char *s, size_t n)
{
    size_t nsp;
    const struct span *v;

    if (n >= 10 && memcmp(s, "#separator", 10) == 0) {
        char sep[LOGFMT_ZSTR];
        size_t sl;

        /* "#separator \x09": the one line that cannot use the separator itself */
        if (n < 12 || (s[10] != ' ' && s[10] != '\t') ||
            !zeek_hdr_value(s + 11, n - 11, sep, &sl))
            return LOGFMT_SKIP_MALFORMED;
        zeek_defaults(f);
        memcpy(f->zsep, sep, sl);
        f->zsep_len = sl;
        return LOGFMT_SKIP_HEADER;
    }
    nsp = split_sep(f, s, n, f->zsep, f->zsep_len);
    if (nsp > LOGFMT_MAX_COLS)
        return LOGFMT_SKIP_MALFORMED;
    v = &f->spans[0];
    if (zeek_is(v, "#fields", 7))
        return zeek_fields(f, nsp);
    if (zeek_is(v, "#types", 6))
        return zeek_types(f, nsp);
    if (zeek_is(v, "#set_separator", 14))
        return nsp == 2 && zeek_hdr_value(f->spans[1].p, f->spans[1].len, f->zsetsep,
                                          &f->zsetsep_len)
                   ? LOGFMT_SKIP_HEADER
                   : LOGFMT_SKIP_MALFORMED;
    if (zeek_is(v, "#empty_field", 12))
        return nsp == 2 && zeek_hdr_value(f->spans[1].p, f->spans[1].len, f->zempty,
                                          &f->zempty_len)
                   ? LOGFMT_SKIP_HEADER
                   : LOGFMT_SKIP_MALFORMED;
    if (zeek_is(v, "#unset_field", 12))
        return nsp == 2 && zeek_hdr_value(f->spans[1].p, f->spans[1].len, f->zunset,
                                          &f->zunset_len)
                   ? LOGFMT_SKIP_HEADER
                   : LOGFMT_SKIP_MALFORMED;
    return LOGFMT_SKIP_HEADER; /* #path, #open, #close, comments */
}

/* One Zeek value (or set element): skip unset/empty, decode escapes, report. */
static void zeek_value(struct logfmt *f, struct emit *em, const struct col *c, const char *v,
                       size_t n)
{
    struct span sv = {v, n};

    if (n == 0 || zeek_is(&sv, f->zunset, f->zunset_len) ||
        zeek_is(&sv, f->zempty, f->zempty_len))
        return;
    if (memchr(v, '\\', n)) {
        char *out = f->dec + f->dec_len;

        n = zeek_unescape(v, n, out);
        f->dec_len += n;
        v = out;
    }
    if ((c->flags & COL_HOST) && !f->host.p) {
        f->host.p = v;
        f->host.len = n;
    } else if ((c->flags & COL_URI) && !f->url.p) {
        f->url.p = v;
        f->url.len = n;
    }
    if (c->flags & COL_REPORT)
        emit_hinted(em, f->hdr + c->name_off, c->name_len, v, n, c->hint);
}

static enum logfmt_skip zeek_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    enum logfmt_skip r = check_bytes(s, n);
    size_t nsp;

    if (r != LOGFMT_OK)
        return r;
    if (s[0] == '#')
        return zeek_header(f, s, n);
    if (!f->have_cols)
        return LOGFMT_SKIP_MALFORMED;
    nsp = split_sep(f, s, n, f->zsep, f->zsep_len);
    if (nsp != f->n_cols)
        return LOGFMT_SKIP_MALFORMED;
    f->host.p = NULL;
    f->url.p = NULL;
    for (size_t i = 0; i < f->n_cols && !em->stop; i++) {
        const struct col *c = &f->cols[i];
        const char *v = f->spans[i].p;
        size_t vn = f->spans[i].len;
        struct span sv = {v, vn};

        if (!(c->flags & (COL_REPORT | COL_HOST | COL_URI)))
            continue;
        if (!(c->flags & COL_SET) || zeek_is(&sv, f->zunset, f->zunset_len) ||
            zeek_is(&sv, f->zempty, f->zempty_len)) {
            zeek_value(f, em, c, v, vn);
            continue;
        }
        while (!em->stop) {
            const char *q = NULL;
            size_t at = 0, e;

            while (at < vn && (q = memchr(v + at, f->zsetsep[0], vn - at)) != NULL) {
                size_t pos = (size_t)(q - v);

                if (vn - pos >= f->zsetsep_len && memcmp(q, f->zsetsep, f->zsetsep_len) == 0)
                    break;
                at = pos + 1;
                q = NULL;
            }
            e = q ? (size_t)(q - v) : vn;
            zeek_value(f, em, c, v, e);
            if (!q)
                break;
            v += e + f->zsetsep_len;
            vn -= e + f->zsetsep_len;
        }
    }
    {
        /* http.full_url only when both columns are reported */
        int want = 0;

        for (size_t i = 0; i < f->n_cols; i++)
            if ((f->cols[i].flags & (COL_HOST | COL_REPORT)) == (COL_HOST | COL_REPORT))
                want |= 1;
            else if ((f->cols[i].flags & (COL_URI | COL_REPORT)) == (COL_URI | COL_REPORT))
                want |= 2;
        if (want == 3)
            emit_full_url(f, em);
    }
    return LOGFMT_OK;
}

/* ----------------------------------------------------------------------- CSV */

/* Split an RFC 4180 line into f->spans (quoted fields decoded into dec, unquoted
 * fields trimmed of spaces and tabs). Returns the count, or 0 if the line is
 * malformed (unbalanced quote, text after a closing quote, too many columns). */
static size_t csv_split(struct logfmt *f, const char *s, size_t n)
{
    size_t k = 0, i = 0;

    for (;;) {
        size_t j = i, e;

        if (k == LOGFMT_MAX_COLS)
            return 0;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j < n && s[j] == '"') {
            size_t start = j + 1, at = start;
            int dq = 0;
            const char *q;

            for (;;) {
                q = memchr(s + at, '"', n - at);
                if (!q)
                    return 0;
                at = (size_t)(q - s);
                if (at + 1 < n && s[at + 1] == '"') {
                    dq = 1;
                    at += 2;
                    continue;
                }
                break;
            }
            if (dq) {
                char *out = f->dec + f->dec_len;
                size_t o = 0;

                for (size_t x = start; x < at; x++) {
                    out[o++] = s[x];
                    if (s[x] == '"')
                        x++;
                }
                f->spans[k].p = out;
                f->spans[k].len = o;
                f->dec_len += o;
            } else {
                f->spans[k].p = s + start;
                f->spans[k].len = at - start;
            }
            k++;
            j = at + 1;
            while (j < n && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < n && s[j] != ',')
                return 0;
        } else {
            const char *q = memchr(s + i, ',', n - i);
            size_t a = j;

            e = q ? (size_t)(q - s) : n;
            while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            f->spans[k].p = s + a;
            f->spans[k].len = e > a ? e - a : 0;
            k++;
            j = q ? (size_t)(q - s) : n;
        }
        if (j >= n)
            return k;
        i = j + 1;
    }
}

static enum logfmt_skip csv_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    enum logfmt_skip r = check_bytes(s, n);
    size_t nsp;

    if (r != LOGFMT_OK)
        return r;
    nsp = csv_split(f, s, n);
    if (!f->have_cols) {
        /* the header: consumed even when unusable, then every row is malformed */
        f->have_cols = 1;
        f->n_cols = 0;
        f->hdr_len = 0;
        if (!nsp)
            return LOGFMT_SKIP_MALFORMED;
        for (size_t i = 0; i < nsp; i++) {
            struct col *c;

            if (!col_add(f, f->spans[i].p, f->spans[i].len)) {
                f->n_cols = 0;
                return LOGFMT_SKIP_MALFORMED;
            }
            c = &f->cols[i];
            c->hint = hint_from_name(f->spans[i].p, f->spans[i].len);
            if (!f->n_fields || field_configured(f, f->spans[i].p, f->spans[i].len))
                c->flags |= COL_REPORT;
        }
        return LOGFMT_SKIP_HEADER;
    }
    if (!nsp || nsp != f->n_cols)
        return LOGFMT_SKIP_MALFORMED;
    for (size_t i = 0; i < nsp && !em->stop; i++) {
        const struct col *c = &f->cols[i];

        if (c->flags & COL_REPORT)
            emit_hinted(em, f->hdr + c->name_off, c->name_len, f->spans[i].p, f->spans[i].len,
                        c->hint);
    }
    return LOGFMT_OK;
}

/* ---------------------------------------------------------------------- text */

struct tscan {
    struct logfmt *f;
    const char *s;
    size_t n;
    struct emit *em;
    size_t next_at; /* position of the next '@' at or after the scan, or n */
};

/* Length of a (possibly defanged) dot at s[i]: ".", "[.]", "(.)", "{.}", "[dot]",
 * "(dot)"; 0 if none. */
static size_t dot_at(const char *s, size_t i, size_t n)
{
    char c = s[i], close;

    if (c == '.')
        return 1;
    if (c == '[')
        close = ']';
    else if (c == '(')
        close = ')';
    else if (c == '{')
        close = '}';
    else
        return 0;
    if (n - i >= 3 && s[i + 1] == '.' && s[i + 2] == close)
        return 3;
    if (c != '{' && n - i >= 5 && ascii_to_lower((unsigned char)s[i + 1]) == 'd' &&
        ascii_to_lower((unsigned char)s[i + 2]) == 'o' && ascii_to_lower((unsigned char)s[i + 3]) == 't' &&
        s[i + 4] == close)
        return 5;
    return 0;
}

/* Is c glued to a following token (so that token does not start a word)? */
static int glued(char c)
{
    return (CT(c) & C_WORD) || c == '.' || c == '@';
}

/* Copy s[a..b) into dec with defanged forms put back: the dots above, "[@]" -> "@",
 * "[:]" -> ":", "[://]" -> "://". Returns the length. */
static size_t refang(struct tscan *t, size_t a, size_t b, size_t at)
{
    const char *s = t->s;
    char *out = t->f->dec + at;
    size_t o = 0, i = a;

    while (i < b) {
        size_t d = (s[i] == '[' || s[i] == '(' || s[i] == '{') ? dot_at(s, i, b) : 0;

        if (d > 1) {
            out[o++] = '.';
            i += d;
        } else if (s[i] == '[' && b - i >= 3 && (s[i + 1] == '@' || s[i + 1] == ':') &&
                   s[i + 2] == ']') {
            out[o++] = s[i + 1];
            i += 3;
        } else if (s[i] == '[' && b - i >= 5 && memcmp(s + i, "[://]", 5) == 0) {
            memcpy(out + o, "://", 3);
            o += 3;
            i += 5;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

/* Report s[a..b) as hint, refanged if it holds a defang bracket. */
static void text_emit(struct tscan *t, size_t a, size_t b, int hint)
{
    const char *s = t->s;

    for (size_t i = a; i < b; i++) {
        if (s[i] == '[' || s[i] == '(' || s[i] == '{') {
            size_t o = refang(t, a, b, 0);

            emit_raw(t->em, text_name, 4, t->f->dec, o, hint);
            return;
        }
    }
    emit_raw(t->em, text_name, 4, s + a, b - a, hint);
}

static int tld_ok(const char *s, size_t n)
{
    if (n >= 2 && n <= 63 && all_class(s, n, C_ALPHA))
        return 1;
    if (n >= 5 && n <= 63 && ascii_to_lower((unsigned char)s[0]) == 'x' &&
        ascii_to_lower((unsigned char)s[1]) == 'n' && s[2] == '-' && s[3] == '-') {
        for (size_t i = 4; i < n; i++)
            if (!(CT(s[i]) & (C_ALPHA | C_DIGIT)) && s[i] != '-')
                return 0;
        return 1;
    }
    return 0;
}

/* A domain starting at s[i] (labels joined by dots or defanged dots). Returns 1 and
 * sets *end if it is one; otherwise 0 with *end at the end of the chain of labels
 * looked at (no domain starts inside it: it would be glued to a dot). */
static int domain_scan(const char *s, size_t i, size_t n, size_t *end)
{
    size_t p = i, total = 0, labels = 0, last = i, last_len = 0;
    int ok = 1;

    for (;;) {
        size_t q = p, d;

        while (q < n && (CT(s[q]) & C_WORD))
            q++;
        if (q - p > 63)
            ok = 0;
        total += (q - p) + (labels > 0);
        labels++;
        last = p;
        last_len = q - p;
        if (q - i > LOGFMT_DOMAIN_SCAN) {
            /* too long to be a name: the rest of the chain goes too, so that its tail
             * (after a defanged dot, which glued() does not see) is no name of its own */
            for (;;) {
                d = q < n ? dot_at(s, q, n) : 0;
                if (!d || q + d >= n || !(CT(s[q + d]) & C_WORD))
                    break;
                q += d;
                while (q < n && (CT(s[q]) & C_WORD))
                    q++;
            }
            *end = q;
            return 0;
        }
        d = q < n ? dot_at(s, q, n) : 0;
        if (d && q + d < n && (CT(s[q + d]) & C_WORD)) {
            p = q + d;
            continue;
        }
        *end = q;
        break;
    }
    return ok && labels >= 2 && total <= LOGFMT_MAX_DOMAIN && tld_ok(s + last, last_len);
}

/* A dotted quad at s[i] (dots may be defanged); end or 0. The token is four runs of
 * 1-3 digits joined by (defanged) dots that does not go on (".5", ".example", "x");
 * whether it is an address is ip_v4_quad()'s to say, on its refanged form, exactly as
 * the index reads addresses (no leading zeros, octets up to 255). */
static size_t ipv4_scan(const char *s, size_t i, size_t n)
{
    char quad[16];
    size_t p = i, d, o = 0;
    uint32_t a;

    for (int k = 0; k < 4; k++) {
        size_t q = p;

        while (q < n && (CT(s[q]) & C_DIGIT) && q - p < 4)
            q++;
        if (q == p || q - p > 3)
            return 0;
        memcpy(quad + o, s + p, q - p);
        o += q - p;
        p = q;
        if (k < 3) {
            d = p < n ? dot_at(s, p, n) : 0;
            if (!d)
                return 0;
            p += d;
            quad[o++] = '.';
        }
    }
    if (p < n && (CT(s[p]) & C_WORD))
        return 0;
    d = p < n ? dot_at(s, p, n) : 0;
    if (d && p + d < n && (CT(s[p + d]) & C_WORD))
        return 0;
    return ip_v4_quad(quad, o, &a) ? p : 0;
}

/* An IPv6 address at s[i]; end or 0. On failure *resume is just past the last ':' of
 * the run of address characters: no address starts before it ("b::" in "a::b::" would
 * be glued to a ':'), while "cafe:evil.example" still gets its domain looked at. */
static size_t ipv6_scan(const char *s, size_t i, size_t n, size_t *resume)
{
    size_t q = i, e;
    uint8_t a[16];

    while (q < n && (CT(s[q]) & C_V6))
        q++;
    *resume = q;
    while (*resume > i && s[*resume - 1] != ':')
        (*resume)--;
    if (*resume == i)
        *resume = q;
    if (q - i > LOGFMT_V6_SCAN || (q < n && (CT(s[q]) & C_WORD)))
        return 0;
    e = q;
    while (e > i && s[e - 1] == '.')
        e--;
    if (e - i >= 2 && s[e - 1] == ':' && s[e - 2] != ':')
        e--;
    /* an address as obs/ip.h reads it; "::" alone is not reported */
    return e - i > 2 && ip_v6_addr(s + i, e - i, a) == 0 ? e : 0;
}

static const struct {
    const char *name; /* lowercase */
    const char *real;
} schemes[] = {
    {"http", "http"}, {"https", "https"}, {"ftp", "ftp"},
    {"hxxp", "http"}, {"hxxps", "https"}, {"fxp", "ftp"},
};

/* A URL whose scheme is the word s[i..w); end or 0. The URL runs to whitespace, a
 * quote, an angle bracket or a control byte, less trailing punctuation and unbalanced
 * closing brackets. Reported refanged: hxxp -> http, fxp -> ftp, [:]// -> ://,
 * defanged dots -> '.'. */
static size_t url_scan(struct tscan *t, size_t i, size_t w)
{
    static const char brackets[6] = {'(', '[', '{', ')', ']', '}'};
    const char *s = t->s;
    size_t n = t->n, h, e, sc = sizeof schemes / sizeof schemes[0], o;
    size_t opens[3] = {0, 0, 0}, closes[3] = {0, 0, 0};
    int defanged = 0;

    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++)
        if (eq_nocase(s + i, w - i, schemes[k].name))
            sc = k;
    if (sc == sizeof schemes / sizeof schemes[0])
        return 0;
    if (n - w >= 3 && memcmp(s + w, "://", 3) == 0)
        h = w + 3;
    else if (n - w >= 5 && (memcmp(s + w, "[:]//", 5) == 0 || memcmp(s + w, "[://]", 5) == 0)) {
        h = w + 5;
        defanged = 1;
    } else {
        return 0;
    }
    if (h >= n || (!(CT(s[h]) & C_WORD) && s[h] != '['))
        return 0;
    e = h;
    while (e < n && !(CT(s[e]) & C_URLEND)) {
        if (CT(s[e]) == 0) { /* punctuation: maybe a bracket */
            for (int b = 0; b < 3; b++) {
                opens[b] += s[e] == brackets[b];
                closes[b] += s[e] == brackets[b + 3];
            }
        }
        e++;
    }
    for (;;) {
        char c = s[e - 1];
        int b = c == ')' ? 0 : c == ']' ? 1 : c == '}' ? 2 : -1;

        if (e - 1 > h && (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?')) {
            e--;
            continue;
        }
        if (e - 1 > h && b >= 0 && closes[b] > opens[b]) {
            closes[b]--;
            e--;
            continue;
        }
        break;
    }
    if (opens[0] || opens[1] || opens[2])
        defanged = 1; /* "(.)", "[.]", "{.}" may be in there: refang() copies the rest */
    if (!defanged && strcmp(schemes[sc].name, schemes[sc].real) == 0) {
        emit_raw(t->em, text_name, 4, s + i, e - i, OBS_URL);
        return e;
    }
    o = strlen(schemes[sc].real);
    memcpy(t->f->dec, schemes[sc].real, o);
    o += refang(t, w, e, o);
    emit_raw(t->em, text_name, 4, t->f->dec, o, OBS_URL);
    return e;
}

/* An e-mail address starting at s[i] ("[@]" allowed, domain may be defanged). */
static size_t email_scan(struct tscan *t, size_t i)
{
    const char *s = t->s;
    size_t n = t->n, q = i, a, e;

    while (q < n && (CT(s[q]) & C_LOCAL) && q - i <= LOGFMT_MAX_LOCAL)
        q++;
    if (q - i > LOGFMT_MAX_LOCAL || s[q - 1] == '.' || q >= n)
        return 0;
    if (s[q] == '@')
        a = 1;
    else if (n - q >= 3 && s[q] == '[' && s[q + 1] == '@' && s[q + 2] == ']')
        a = 3;
    else
        return 0;
    if (q + a >= n || !(CT(s[q + a]) & (C_ALPHA | C_DIGIT)))
        return 0;
    if (!domain_scan(s, q + a, n, &e))
        return 0;
    text_emit(t, i, e, OBS_EMAIL);
    return e;
}

/* Hashes in s[a..b): maximal runs of exactly 32/40/64/128 hex digits (the region's
 * edges are never hex). "0x" + 40 hex is a wallet, not a SHA-1. */
static void text_hashes(struct tscan *t, size_t a, size_t b)
{
    const char *s = t->s;
    size_t k = a;

    while (k < b) {
        size_t st, len;
        int h;

        if (!(CT(s[k]) & C_HEX)) {
            k++;
            continue;
        }
        st = k;
        while (k < b && (CT(s[k]) & C_HEX))
            k++;
        len = k - st;
        h = hash_kind_of_len(len);
        if (h < 0 || (len == 40 && st >= 2 && s[st - 1] == 'x' && s[st - 2] == '0'))
            continue;
        emit_raw(t->em, text_name, 4, s + st, len, h);
    }
}

/* Does s[a..b) hold a run of exactly 32/40/64/128 hex digits? */
static int word_has_hash(const char *s, size_t a, size_t b)
{
    size_t k = a;

    while (k < b) {
        size_t st = k;

        while (k < b && (CT(s[k]) & C_HEX))
            k++;
        if (hash_kind_of_len(k - st) >= 0)
            return 1;
        if (k == st)
            k++;
    }
    return 0;
}

/* Tokens starting at the word s[i..w) (i is at a word boundary; wand is the AND of the
 * word's character classes). Returns the end of a reported token, or 0 with *skip at
 * the end of the region in which no token starts. */
static size_t text_token(struct tscan *t, size_t i, size_t w, unsigned wand, size_t *skip)
{
    const char *s = t->s;
    size_t n = t->n, wl = w - i, e;
    char nx = w < n ? s[w] : '\0';

    *skip = w;
    if ((nx == ':' || nx == '[') && wl <= 5 && (wand & C_ALPHA)) {
        e = url_scan(t, i, w);
        if (e)
            return e;
    }
    if (t->next_at < i) {
        const char *at = memchr(s + i, '@', n - i);

        t->next_at = at ? (size_t)(at - s) : n;
    }
    if (t->next_at < n && t->next_at - i <= LOGFMT_MAX_LOCAL + 1) {
        e = email_scan(t, i);
        if (e)
            return e;
    }
    if (nx == ':' && wl <= 4 && (wand & C_HEX)) {
        size_t run;

        e = ipv6_scan(s, i, n, &run);
        if (e) {
            emit_raw(t->em, text_name, 4, s + i, e - i, OBS_IPV6);
            return e;
        }
        *skip = run;
        return 0;
    }
    if ((wand & C_DIGIT) && wl <= 3 && nx) {
        e = ipv4_scan(s, i, n);
        if (e) {
            text_emit(t, i, e, OBS_IPV4);
            return e;
        }
    }
    if (wl >= 14 && wl <= 74 && s[i] == 'b' && s[i + 1] == 'c' && s[i + 2] == '1') {
        size_t k = i;

        while (k < w && ((CT(s[k]) & C_DIGIT) || (s[k] >= 'a' && s[k] <= 'z')))
            k++;
        if (k == w) {
            emit_raw(t->em, text_name, 4, s + i, wl, OBS_WALLET);
            return w;
        }
    }
    if (wl == 42 && s[i] == '0' && s[i + 1] == 'x' && all_class(s + i + 2, 40, C_HEX)) {
        emit_raw(t->em, text_name, 4, s + i, wl, OBS_WALLET);
        return w;
    }
    if (wl >= 32 && word_has_hash(s, i, w))
        return 0; /* <md5>.exe, file_<md5>.dll: file names, reported as hashes */
    if (nx && dot_at(s, w, n)) {
        if (domain_scan(s, i, n, &e)) {
            text_emit(t, i, e, OBS_DOMAIN);
            return e;
        }
        *skip = e;
    }
    return 0;
}

static void text_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    struct tscan t;
    size_t i = 0;

    t.f = f;
    t.s = s;
    t.n = n;
    t.em = em;
    t.next_at = 0;
    {
        const char *at = memchr(s, '@', n);

        t.next_at = at ? (size_t)(at - s) : n;
    }
    while (i < n && !em->stop) {
        char c = s[i];
        int start_ok;
        size_t w, skip, e;
        unsigned wand;

        if (!(CT(c) & C_START)) {
            i++;
            continue;
        }
        start_ok = i == 0 || !glued(s[i - 1]);
        if (c == ':') {
            if (start_ok && (i == 0 || s[i - 1] != ':') && i + 1 < n && s[i + 1] == ':') {
                e = ipv6_scan(s, i, n, &skip);
                if (e) {
                    emit_raw(em, text_name, 4, s + i, e - i, OBS_IPV6);
                    i = e;
                    continue;
                }
                if (skip - i >= 32)
                    text_hashes(&t, i, skip);
                i = skip;
                continue;
            }
            i++;
            continue;
        }
        wand = 0xff;
        w = i;
        while (w < n && (CT(s[w]) & C_WORD))
            wand &= CT(s[w++]);
        skip = w;
        if (start_ok) {
            e = text_token(&t, i, w, wand, &skip);
            if (e) {
                i = e;
                continue;
            }
        }
        if (skip - i >= 32) /* shorter regions cannot hold a hash */
            text_hashes(&t, i, skip);
        i = skip;
    }
}

/* ----------------------------------------------------------------------- API */

const char *logfmt_skip_name(enum logfmt_skip s)
{
    switch (s) {
    case LOGFMT_OK:
        return "ok";
    case LOGFMT_SKIP_MALFORMED:
        return "malformed";
    case LOGFMT_SKIP_TOO_LONG:
        return "too_long";
    case LOGFMT_SKIP_BINARY:
        return "binary";
    case LOGFMT_SKIP_HEADER:
        return "header";
    default:
        return "unknown";
    }
}

int logfmt_kind_parse(const char *name)
{
    static const char *const names[] = {"auto", "json", "eve", "zeek", "csv", "text"};

    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i; /* same order as enum logfmt_kind */
    return -1;
}

int logfmt_wants_header(const struct logfmt *f)
{
    return f && (f->eff == LOGFMT_AUTO || (f->eff == LOGFMT_CSV && !f->have_cols));
}

int logfmt_json_all_leaves(const struct logfmt *f)
{
    return f && f->eff == LOGFMT_JSON && f->all_leaves;
}

enum logfmt_kind logfmt_kind_of(const struct logfmt *f)
{
    return f ? f->eff : LOGFMT_AUTO;
}

static struct logfmt *alloc_logfmt(void)
{
    struct logfmt *f = calloc(1, sizeof *f);

    if (!f)
        return NULL;
    f->dec = malloc(LOGFMT_SCRATCH);
    f->syn = malloc(LOGFMT_SCRATCH);
    if (!f->dec || !f->syn) {
        logfmt_free(f);
        return NULL;
    }
    return f;
}

enum mz_err logfmt_new(const struct logfmt_opts *opts, struct logfmt **out, struct mz_error *err)
{
    struct logfmt_opts def = {LOGFMT_AUTO, NULL, 0};
    struct logfmt *f;
    size_t used = 0;

    if (!out)
        return mz_error_set(err, MZ_EINVAL, "", "logfmt_new: no place for the result");
    if (!opts)
        opts = &def;
    if ((int)opts->kind < LOGFMT_AUTO || opts->kind > LOGFMT_TEXT)
        return mz_error_set(err, MZ_EINVAL, "kind", "unknown log format %d", (int)opts->kind);
    if (opts->n_fields && !opts->fields)
        return mz_error_set(err, MZ_EINVAL, "fields", "%zu fields announced but none given",
                            opts->n_fields);
    if (opts->n_fields > LOGFMT_MAX_FIELDS)
        return mz_error_set(err, MZ_ETOOBIG, "fields", "%zu fields configured, at most %d",
                            opts->n_fields, LOGFMT_MAX_FIELDS);
    for (size_t i = 0; i < opts->n_fields; i++) {
        size_t n;

        if (!opts->fields[i] || !opts->fields[i][0])
            return mz_error_set(err, MZ_EINVAL, "fields", "field %zu is empty", i);
        n = strlen(opts->fields[i]);
        if (n > LOGFMT_MAX_FIELD_LEN)
            return mz_error_set(err, MZ_ETOOBIG, "fields",
                                "field %zu is %zu bytes long, at most %d", i, n,
                                LOGFMT_MAX_FIELD_LEN);
    }
    f = alloc_logfmt();
    if (!f)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory for a log scanner");
    f->kind = opts->kind;
    f->eff = opts->kind;
    for (size_t i = 0; i < opts->n_fields; i++) {
        size_t n = strlen(opts->fields[i]);

        f->field_off[i] = used;
        f->field_len[i] = n;
        memcpy(f->field_buf + used, opts->fields[i], n + 1);
        used += n + 1;
    }
    f->n_fields = opts->n_fields;
    zeek_defaults(f);
    setup_specs(f);
    *out = f;
    return MZ_OK;
}

void logfmt_reset(struct logfmt *c, const struct logfmt *f)
{
    char *dec = c->dec, *syn = c->syn;

    if (c == f)
        return;
    memcpy(c, f, sizeof *c);
    c->dec = dec;
    c->syn = syn;
    c->dec_len = 0;
    c->host.p = NULL;
    c->url.p = NULL;
    setup_specs(c);
}

enum mz_err logfmt_clone(const struct logfmt *f, struct logfmt **out, struct mz_error *err)
{
    struct logfmt *c;

    if (!f || !out)
        return mz_error_set(err, MZ_EINVAL, "", "logfmt_clone: nothing to copy");
    c = alloc_logfmt();
    if (!c)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory for a log scanner");
    logfmt_reset(c, f);
    *out = c;
    return MZ_OK;
}

void logfmt_free(struct logfmt *f)
{
    if (!f)
        return;
    free(f->dec);
    free(f->syn);
    free(f);
}

/* AUTO: the first non-empty line decides, for good. */
static void decide(struct logfmt *f, const char *s, size_t n)
{
    if (s[0] == '{')
        f->eff = LOGFMT_JSON;
    else if (n >= 10 && memcmp(s, "#separator", 10) == 0)
        f->eff = LOGFMT_ZEEK;
    else
        f->eff = LOGFMT_TEXT;
    setup_specs(f);
}

enum logfmt_skip logfmt_values(struct logfmt *f, const char *line, size_t len,
                               logfmt_value_fn fn, void *ctx)
{
    enum logfmt_skip r;

    if (!f)
        return LOGFMT_SKIP_MALFORMED;
    /* JSON with every leaf wanted is the one case where the field costs work (its
     * path is built key by key); with a field list the path selects the values */
    f->no_fields = f->all_leaves;
    r = logfmt_line(f, line, len, fn, ctx);
    f->no_fields = 0;
    return r;
}

enum logfmt_skip logfmt_values_all(struct logfmt *f, const char *line, size_t len,
                                   const struct logfmt_span **spans, size_t *n,
                                   logfmt_value_fn fn, void *ctx)
{
    enum logfmt_skip r;

    *spans = NULL;
    *n = 0;
    if (!f)
        return LOGFMT_SKIP_MALFORMED;
    f->no_fields = f->all_leaves;
    f->batch = 1;
    f->batched = 0;
    r = logfmt_line(f, line, len, fn, ctx);
    if (f->batched) {
        *spans = f->vspans;
        *n = f->n_spans;
    }
    f->no_fields = f->batch = f->batched = 0;
    return r;
}

enum logfmt_skip logfmt_line(struct logfmt *f, const char *line, size_t len,
                             logfmt_value_fn fn, void *ctx)
{
    struct emit em;
    size_t lead = 0;

    if (!f)
        return LOGFMT_SKIP_MALFORMED;
    if (len > LOGFMT_MAX_LINE)
        return LOGFMT_SKIP_TOO_LONG;
    if (!line)
        return len ? LOGFMT_SKIP_MALFORMED : LOGFMT_OK;
    /* tolerate a newline left on, CRLF, and a byte order mark (Excel CSV) */
    if (len && line[len - 1] == '\n')
        len--;
    if (len && line[len - 1] == '\r')
        len--;
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    while (lead < len && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r'))
        lead++;
    if (lead == len)
        return LOGFMT_OK; /* blank: nothing to report, decides nothing */
    em.fn = fn ? fn : discard_value;
    em.ctx = ctx;
    em.stop = 0;
    em.direct = 0;
    em.overflow = 0;
    f->dec_len = 0;
    if (f->eff == LOGFMT_AUTO)
        decide(f, line + lead, len - lead);
    switch (f->eff) {
    case LOGFMT_JSON:
    case LOGFMT_EVE:
        return json_line(f, line, len, &em);
    case LOGFMT_ZEEK:
        return zeek_line(f, line, len, &em);
    case LOGFMT_CSV:
        return csv_line(f, line, len, &em);
    case LOGFMT_TEXT:
    default:
        text_line(f, line, len, &em);
        return LOGFMT_OK;
    }
}
