/* match/logfmt.c - log lines to candidate observables for the matcher (see logfmt.h):
 * the driver of the log scanner. logfmt_line() trims a line (its newline, a CR, a
 * byte order mark), lets the first line decide the format under LOGFMT_AUTO, and hands
 * the line to the scanner of its format, one file each (logfmt_int.h lists them):
 * JSON and EVE (logfmt_json.c), Zeek (logfmt_zeek.c), CSV (logfmt_csv.c), free text
 * (logfmt_text.c). Here too: the scanner's life cycle (new, clone, reset, free), the
 * field table of JSON and EVE (the configured paths, or EVE's defaults), the hints a
 * column or key name gives, and http.full_url from a line's host and URL.
 *
 * Hand-written: this is the matcher's hot path (a GiB of logs per run, on every core
 * the matcher has). jansson builds a tree per line with a malloc per node, and no
 * Debian library extracts indicators from free text, let alone defanged ones.
 *
 * Memory: logfmt_new() allocates everything once: the struct itself (field table, JSON
 * stack and key path, candidate list, column table, Zeek/CSV header) and two scratch
 * buffers of LOGFMT_SCRATCH bytes: `dec` for decoded JSON/CSV/Zeek strings and
 * refanged text tokens, `syn` for synthesised URLs. logfmt_line() never allocates.
 * Values handed to the callback point into the caller's line, into the struct or into
 * a scratch buffer; they are valid during the call only. Zeek and CSV lines are split
 * and checked before any value is reported; JSON values only once the whole line
 * proved valid (logfmt_json.c). */
#include <stdlib.h>
#include <string.h>

#include "match/logfmt_int.h"

/* The byte classes of the scanners (logfmt_int.h). */
const unsigned char logfmt_ctab[256] = {ASCII_TABLE(CTAB)};

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

/* ------------------------------------------------------------ hints and emitting */

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

int logfmt_hint_from_name(const char *s, size_t n)
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

/* http.full_url from a host and a URL of the same line: "http://" host url when url is
 * a path; url itself when it already has a scheme (proxy requests); nothing else. */
void logfmt_emit_full_url(struct logfmt *f, struct emit *em)
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
        spec_add(f, p, n, p, logfmt_hint_from_name(last, (size_t)(p + n - last)), role);
    }
}

int logfmt_field_configured(const struct logfmt *f, const char *s, size_t n)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (f->field_len[i] == n && memcmp(f->field_buf + f->field_off[i], s, n) == 0)
            return 1;
    return 0;
}

int logfmt_col_add(struct logfmt *f, const char *s, size_t n)
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
    logfmt_zeek_defaults(f);
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
        return logfmt_json_line(f, line, len, &em);
    case LOGFMT_ZEEK:
        return logfmt_zeek_line(f, line, len, &em);
    case LOGFMT_CSV:
        return logfmt_csv_line(f, line, len, &em);
    case LOGFMT_TEXT:
    default:
        logfmt_text_line(f, line, len, &em);
        return LOGFMT_OK;
    }
}
