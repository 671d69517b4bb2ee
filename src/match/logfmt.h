/* match/logfmt.h - turning log lines into observable values for the matcher.
 *
 * Formats defenders have: JSON lines with configurable field paths (DNS, proxy,
 * firewall logs), Zeek TSV logs (conn, dns, http, files: the "#fields" header names
 * the columns), Suricata EVE JSON, CSV with a header, and plain text (IPs, domains,
 * URLs, e-mails, hashes and wallet addresses found anywhere in free text, including
 * defanged forms such as hxxp://, example[.]com, 1.2.3[.]4, [@], [:]//).
 * Hand-written scanners: this is the matcher's hot path (a GiB of logs per run) and no
 * Debian library extracts indicators from text.
 *
 * A struct logfmt is configured once and then used by one thread at a time (each
 * matcher thread makes its own with logfmt_clone()). Values handed to the callback
 * are borrowed: valid during the call only, not normalised (obs_normalize() does
 * that), not NUL-terminated (use the length). */
#ifndef MZ_LOGFMT_H
#define MZ_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum logfmt_kind {
    LOGFMT_AUTO = 0, /* decide from the first line: '{' -> json, "#separator" -> zeek, else text */
    LOGFMT_JSON,     /* JSON lines; fields from logfmt_opts.fields, or every string leaf */
    LOGFMT_EVE,      /* Suricata EVE: json with the EVE field set preselected */
    LOGFMT_ZEEK,     /* Zeek TSV with #separator/#fields headers */
    LOGFMT_CSV,      /* CSV with a header line; fields by column name, or all columns */
    LOGFMT_TEXT      /* free text */
};

struct logfmt_opts {
    enum logfmt_kind kind;
    const char *const *fields; /* field paths ("query", "dns.rrname", "http.url") or
                                  column names; NULL = the format's defaults */
    size_t n_fields;
};

/* Why a line was skipped; the matcher counts these per reason. */
enum logfmt_skip {
    LOGFMT_OK = 0,
    LOGFMT_SKIP_MALFORMED, /* not valid in its format (bad JSON, wrong column count) */
    LOGFMT_SKIP_TOO_LONG,  /* longer than logfmt_max_line (1 MiB by default) */
    LOGFMT_SKIP_BINARY,    /* NUL bytes or invalid UTF-8 in a structured format */
    LOGFMT_SKIP_HEADER,    /* a header or comment line (Zeek '#', CSV header) */
    LOGFMT_N_SKIP
};

const char *logfmt_skip_name(enum logfmt_skip s);

struct logfmt;

/* One candidate value. kind_hint is an obs_kind (obs/obs.h) when the format or the
 * field says what it is (e.g. Zeek id.resp_h is an address, dns.rrname a domain),
 * else -1 (the matcher guesses with obs_guess_kind()). field is the field path or
 * column name, or "text" for free text. */
struct logfmt_value {
    const char *field;
    size_t field_len;
    const char *value;
    size_t value_len;
    int kind_hint;
};

/* Return nonzero to stop the line early. */
typedef int (*logfmt_value_fn)(void *ctx, const struct logfmt_value *v);

enum mz_err logfmt_new(const struct logfmt_opts *opts, struct logfmt **out, struct mz_error *err);
/* A copy for another thread, sharing nothing mutable. */
enum mz_err logfmt_clone(const struct logfmt *f, struct logfmt **out, struct mz_error *err);
/* Make c (a clone) the same as f again, its scratch kept: what f knows of the input
 * (the format AUTO decided, Zeek/CSV headers) replaces what c learnt since. */
void logfmt_reset(struct logfmt *c, const struct logfmt *f);
void logfmt_free(struct logfmt *f);

/* Feed one line (without its newline). Header lines (Zeek #fields, the CSV header)
 * configure f and are reported as LOGFMT_SKIP_HEADER. Returns LOGFMT_OK after calling
 * fn for each value found, or the reason the line was skipped. For LOGFMT_AUTO the
 * first line fixes the format. */
enum logfmt_skip logfmt_line(struct logfmt *f, const char *line, size_t len,
                             logfmt_value_fn fn, void *ctx);

/* The same, for a caller that needs the values but not their fields (the matcher's
 * prefilter): the callback's field may then be "" (it is, for JSON lines without a
 * field list, whose key paths are then not built). Same values, same skips. */
enum logfmt_skip logfmt_values(struct logfmt *f, const char *line, size_t len,
                               logfmt_value_fn fn, void *ctx);

/* A value as a span of the line (or of f's scratch). */
struct logfmt_span {
    const char *p;
    size_t len;
};

/* logfmt_values() for a caller that takes a line's values at once: when the line is
 * a flat JSON object scanned without a field list (every string leaf, no hints),
 * *spans gets its values (*n of them, borrowed until the next call on f) and fn is not
 * called; otherwise fn is called for each value as logfmt_values() does and *n is 0.
 * Either way the return value is the line's verdict. */
enum logfmt_skip logfmt_values_all(struct logfmt *f, const char *line, size_t len,
                                   const struct logfmt_span **spans, size_t *n,
                                   logfmt_value_fn fn, void *ctx);

/* 1 while f has still to read what configures it for the lines after: the first
 * line that decides an AUTO format, a CSV file's header line (blank lines and lines
 * skipped as binary or too long come before it). */
int logfmt_wants_header(const struct logfmt *f);

/* 1 when f reads JSON lines without a field list: every non-empty string leaf is a
 * value, with no field and no hint (what match/jscan.h hands over for flat lines). */
int logfmt_json_all_leaves(const struct logfmt *f);

/* The format in use (after AUTO has decided). */
enum logfmt_kind logfmt_kind_of(const struct logfmt *f);
/* Parse "json", "eve", "zeek", "csv", "text", "auto"; -1 if unknown. */
int logfmt_kind_parse(const char *name);

#endif
