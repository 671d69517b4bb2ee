/* match/logfmt_zeek.c - the log scanner's Zeek TSV logs (see logfmt_int.h): the
 * #separator, #set_separator, #empty_field, #unset_field, #fields and #types headers
 * configure the columns (named by #fields, typed by #types; set and vector columns are
 * split on the set separator, \xHH escapes decoded), and logfmt_zeek_line() reports
 * each data line's values with the hint its column's name or type gives. Which
 * columns are worth reporting without a field list (addresses, names, hashes; not
 * timestamps, counts, uids) is decided here, from the name and the type.
 *
 * Hand-written: Zeek's log format has no C reader outside Zeek; it is the matcher's
 * path for every line of a Zeek log. */
#include <string.h>

#include "match/logfmt_int.h"

void logfmt_zeek_defaults(struct logfmt *f)
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

        if (!logfmt_col_add(f, nm, nl)) {
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
            if (logfmt_field_configured(f, nm, nl))
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
        logfmt_zeek_defaults(f);
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

enum logfmt_skip logfmt_zeek_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
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
            logfmt_emit_full_url(f, em);
    }
    return LOGFMT_OK;
}
