/* match/logfmt_csv.c - the log scanner's CSV (see logfmt_int.h): RFC 4180 fields
 * (quoted fields with "" decoded into the scratch buffer, unquoted ones trimmed of
 * spaces and tabs); the first line is the header that names the columns, and each
 * column's name gives its values' hint (logfmt_hint_from_name()). A row with another
 * number of fields than the header is malformed.
 *
 * Hand-written: one memchr-driven pass per line on the matcher's path; libcsv and its
 * kind parse through callbacks per field and allocate. */
#include <string.h>

#include "match/logfmt_int.h"

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

enum logfmt_skip logfmt_csv_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
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

            if (!logfmt_col_add(f, f->spans[i].p, f->spans[i].len)) {
                f->n_cols = 0;
                return LOGFMT_SKIP_MALFORMED;
            }
            c = &f->cols[i];
            c->hint = logfmt_hint_from_name(f->spans[i].p, f->spans[i].len);
            if (!f->n_fields || logfmt_field_configured(f, f->spans[i].p, f->spans[i].len))
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
