/* tests/unit/match/test_logfmt.c - unit tests of match/logfmt.c (log lines to
 * candidate observables).
 * Covers, through the public API only:
 *   - the exact (field, value, hint) list and skip reason of every line of small
 *     realistic samples in tests/data/logs/ (written for these tests): Zeek conn, dns,
 *     http and files logs, Suricata EVE (dns v1/v2/v3, http, tls, fileinfo, alert,
 *     smtp), a JSON-lines proxy log with configured fields, a CSV with quotes and a
 *     text file with defanged indicators;
 *   - tables of accepted and rejected JSON lines (malformed, unbalanced, invalid UTF-8,
 *     lone surrogates, depth), Zeek header handling, CSV quoting, text-mode decoys and
 *     defanged forms;
 *   - the 1 MiB line cap, NUL bytes, blank lines, CRLF and a byte order mark;
 *   - AUTO deciding once, clones, stopping early, JSON lines with more values than the
 *     collected-candidate cap (second walk), and lines rejected after values were seen;
 *   - robustness: 10 000 seeded mutations of the sample lines in every mode (run it
 *     under SANITIZE=1: no crash, no ASan/UBSan report, every value in bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "obs/obs.h"
#include "match/logfmt.h"

#define MAX_LINE ((size_t)1 << 20) /* logfmt_max_line */
#define S(lit) lit, sizeof(lit) - 1   /* a string literal and its length */

/* ---- collecting what the scanner reports ---- */

struct out {
    char buf[1 << 16];
    size_t len;
    size_t n;          /* values seen */
    size_t stop_after; /* return nonzero after this many values; 0 = never */
    int compact;       /* "hint:value|" instead of "  field=value hint\n" */
    int quiet;         /* count only (values too big to print) */
};

static const char *hint_name(int h)
{
    static const char *const names[] = {"ipv4", "ipv6",   "domain", "url",    "email",
                                        "md5",  "sha1",   "sha256", "sha512", "wallet"};

    assert_true(h >= -1 && h < OBS_N_KINDS);
    return h < 0 ? "?" : names[h];
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof o->buf - o->len);
    o->len += (size_t)k;
}

static int collect(void *ctx, const struct logfmt_value *v)
{
    struct out *o = ctx;

    assert_non_null(v->field);
    assert_non_null(v->value);
    assert_true(v->value_len > 0);
    if (o->quiet)
        ;
    else if (o->compact)
        out_printf(o, "%s:%.*s|", hint_name(v->kind_hint), (int)v->value_len, v->value);
    else
        out_printf(o, "  %.*s=%.*s %s\n", (int)v->field_len, v->field, (int)v->value_len,
                   v->value, hint_name(v->kind_hint));
    o->n++;
    return o->stop_after && o->n >= o->stop_after;
}

static void out_reset(struct out *o)
{
    o->len = 0;
    o->buf[0] = '\0';
    o->n = 0;
}

static struct logfmt *make(enum logfmt_kind kind, const char *const *fields, size_t n)
{
    struct logfmt_opts opts = {kind, fields, n};
    struct logfmt *f = NULL;
    struct mz_error err;

    assert_int_equal(logfmt_new(&opts, &f, &err), MZ_OK);
    assert_non_null(f);
    return f;
}

/* Feed text line by line ('\n'-separated, explicit lengths) and write what came out:
 * each line's values, then "L<n> <reason>". */
static void feed_all(struct logfmt *f, const char *text, size_t len, struct out *o)
{
    size_t i = 0, ln = 0;

    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        enum logfmt_skip r = logfmt_line(f, text + i, e - i, collect, o);

        out_printf(o, "L%zu %s\n", ++ln, logfmt_skip_name(r));
        i = e + 1;
    }
}

/* tests/data/logs/<name>, found from this file's path (the tests run from the top of
 * the tree, where __FILE__ is relative). Caller frees. */
static char *load_log(const char *name, size_t *len_out)
{
    char path[512];
    const char *file = __FILE__;
    const char *tail = strstr(file, "unit/match/test_logfmt.c");
    FILE *fp;
    char *buf;
    long n;

    assert_non_null(tail);
    snprintf(path, sizeof path, "%.*sdata/logs/%s", (int)(tail - file), file, name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n > 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len_out = (size_t)n;
    return buf;
}

static void check_file(enum logfmt_kind kind, const char *const *fields, size_t n_fields,
                       const char *name, const char *expected)
{
    struct logfmt *f = make(kind, fields, n_fields);
    struct out *o = calloc(1, sizeof *o);
    size_t len;
    char *text = load_log(name, &len);

    assert_non_null(o);
    feed_all(f, text, len, o);
    assert_string_equal(o->buf, expected);
    free(text);
    free(o);
    logfmt_free(f);
}

/* One line through a fresh scanner of the given kind; returns the reason, fills o. */
static enum logfmt_skip one_line(enum logfmt_kind kind, const char *line, size_t len,
                                 struct out *o)
{
    struct logfmt *f = make(kind, NULL, 0);
    enum logfmt_skip r;

    out_reset(o);
    r = logfmt_line(f, line, len, collect, o);
    logfmt_free(f);
    return r;
}

/* ---- names and construction ---- */

static void test_kind_and_skip_names(void **state)
{
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {
        {"auto", LOGFMT_AUTO}, {"json", LOGFMT_JSON}, {"eve", LOGFMT_EVE}, {"zeek", LOGFMT_ZEEK},
        {"csv", LOGFMT_CSV},   {"text", LOGFMT_TEXT}, {"JSON", -1},        {"", -1},
        {"yaml", -1},          {"jsonl", -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_int_equal(logfmt_kind_parse(kinds[i].name), kinds[i].kind);
    assert_int_equal(logfmt_kind_parse(NULL), -1);
    assert_string_equal(logfmt_skip_name(LOGFMT_OK), "ok");
    assert_string_equal(logfmt_skip_name(LOGFMT_SKIP_MALFORMED), "malformed");
    assert_string_equal(logfmt_skip_name(LOGFMT_SKIP_TOO_LONG), "too_long");
    assert_string_equal(logfmt_skip_name(LOGFMT_SKIP_BINARY), "binary");
    assert_string_equal(logfmt_skip_name(LOGFMT_SKIP_HEADER), "header");
    assert_string_equal(logfmt_skip_name(LOGFMT_N_SKIP), "unknown");
    assert_int_equal(logfmt_kind_of(NULL), LOGFMT_AUTO);
}

static void test_new_rejects(void **state)
{
    static const char *const one[] = {"dns.rrname"};
    static const char *const with_null[] = {"a", NULL};
    static const char *const with_empty[] = {"a", ""};
    char long_field[130];
    const char *const with_long[] = {long_field};
    const char *many[65];
    static const struct {
        int kind;
        const char *const *fields;
        size_t n;
        enum mz_err code;
    } bad[] = {
        {99, NULL, 0, MZ_EINVAL},       {-1, NULL, 0, MZ_EINVAL},
        {LOGFMT_JSON, NULL, 1, MZ_EINVAL}, {LOGFMT_JSON, with_null, 2, MZ_EINVAL},
        {LOGFMT_JSON, with_empty, 2, MZ_EINVAL},
    };
    struct logfmt *f = NULL;
    struct mz_error err;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct logfmt_opts o = {(enum logfmt_kind)bad[i].kind, bad[i].fields, bad[i].n};

        mz_error_clear(&err);
        assert_int_equal(logfmt_new(&o, &f, &err), bad[i].code);
        assert_int_equal(err.code, bad[i].code);
        assert_true(err.msg[0] != '\0');
        assert_null(f);
    }
    memset(long_field, 'a', 129);
    long_field[129] = '\0';
    {
        struct logfmt_opts o = {LOGFMT_JSON, with_long, 1};

        assert_int_equal(logfmt_new(&o, &f, &err), MZ_ETOOBIG);
        assert_string_equal(err.field, "fields");
        assert_null(f);
        long_field[128] = '\0'; /* exactly the cap */
        assert_int_equal(logfmt_new(&o, &f, &err), MZ_OK);
        logfmt_free(f);
        f = NULL;
    }
    for (size_t i = 0; i < 65; i++)
        many[i] = "x";
    {
        struct logfmt_opts o = {LOGFMT_CSV, many, 65};

        assert_int_equal(logfmt_new(&o, &f, &err), MZ_ETOOBIG);
        assert_null(f);
        o.n_fields = 64;
        assert_int_equal(logfmt_new(&o, &f, &err), MZ_OK);
        logfmt_free(f);
        f = NULL;
    }
    assert_int_equal(logfmt_new(NULL, NULL, &err), MZ_EINVAL);
    assert_int_equal(logfmt_new(NULL, &f, NULL), MZ_OK); /* NULL opts: auto, defaults */
    assert_int_equal(logfmt_kind_of(f), LOGFMT_AUTO);
    logfmt_free(f);
    {
        struct logfmt_opts o = {LOGFMT_EVE, one, 1};

        f = NULL;
        assert_int_equal(logfmt_new(&o, &f, NULL), MZ_OK);
        assert_int_equal(logfmt_kind_of(f), LOGFMT_EVE);
        logfmt_free(f);
    }
    logfmt_free(NULL);
}

/* ---- Zeek ---- */

#define ZEEK_HDR "L1 header\nL2 header\nL3 header\nL4 header\nL5 header\nL6 header\nL7 header\nL8 header\n"

static void test_zeek_conn(void **state)
{
    (void)state;
    check_file(LOGFMT_ZEEK, NULL, 0, "conn.log",
               ZEEK_HDR
               "  id.orig_h=10.0.0.5 ipv4\n"
               "  id.resp_h=203.0.113.66 ipv4\n"
               "L9 ok\n"
               "  id.orig_h=2001:db8::15 ipv6\n"
               "  id.resp_h=2001:db8:ffff::53 ipv6\n"
               "L10 ok\n"
               "L11 header\n");
}

static void test_zeek_dns(void **state)
{
    static const char *const only_query[] = {"query"};

    (void)state;
    check_file(LOGFMT_ZEEK, NULL, 0, "dns.log",
               ZEEK_HDR
               "  id.orig_h=10.0.0.5 ipv4\n"
               "  id.resp_h=10.0.0.53 ipv4\n"
               "  query=update.evil-cdn.example domain\n"
               "  answers=cdn.evil-cdn.example ?\n"
               "  answers=198.51.100.23 ?\n"
               "L9 ok\n"
               "  id.orig_h=10.0.0.7 ipv4\n"
               "  id.resp_h=10.0.0.53 ipv4\n"
               "  query=xn--80ak6aa92e.example domain\n"
               "L10 ok\n"
               "L11 header\n");
    check_file(LOGFMT_ZEEK, only_query, 1, "dns.log",
               ZEEK_HDR
               "  query=update.evil-cdn.example domain\n"
               "L9 ok\n"
               "  query=xn--80ak6aa92e.example domain\n"
               "L10 ok\n"
               "L11 header\n");
}

/* host + uri -> http.full_url; a host with a port is no domain (hint -1); "\x09" in a
 * value is decoded; a proxied request's absolute uri is the full URL itself. */
static void test_zeek_http(void **state)
{
    static const char *const host_only[] = {"host", "id.resp_h"};

    (void)state;
    check_file(LOGFMT_ZEEK, NULL, 0, "http.log",
               ZEEK_HDR
               "  id.orig_h=10.0.0.5 ipv4\n"
               "  id.resp_h=203.0.113.80 ipv4\n"
               "  host=malware.example.net domain\n"
               "  uri=/gate.php?id=42 ?\n"
               "  referrer=http://landing.example.org/ ?\n"
               "  resp_filenames=invoice.exe ?\n"
               "  http.full_url=http://malware.example.net/gate.php?id=42 url\n"
               "L9 ok\n"
               "  id.orig_h=10.0.0.6 ipv4\n"
               "  id.resp_h=198.51.100.7 ipv4\n"
               "  host=198.51.100.7:8080 ?\n"
               "  uri=/upload\tnow ?\n"
               "  http.full_url=http://198.51.100.7:8080/upload\tnow url\n"
               "L10 ok\n"
               "  id.orig_h=10.0.0.7 ipv4\n"
               "  id.resp_h=10.0.0.3 ipv4\n"
               "  host=proxy-target.example domain\n"
               "  uri=http://proxy-target.example/x.js ?\n"
               "  http.full_url=http://proxy-target.example/x.js url\n"
               "L11 ok\n"
               "L12 header\n");
    /* no uri configured: no synthesised URL */
    check_file(LOGFMT_ZEEK, host_only, 2, "http.log",
               ZEEK_HDR
               "  id.resp_h=203.0.113.80 ipv4\n"
               "  host=malware.example.net domain\n"
               "L9 ok\n"
               "  id.resp_h=198.51.100.7 ipv4\n"
               "  host=198.51.100.7:8080 ?\n"
               "L10 ok\n"
               "  id.resp_h=10.0.0.3 ipv4\n"
               "  host=proxy-target.example domain\n"
               "L11 ok\n"
               "L12 header\n");
}

static void test_zeek_files(void **state)
{
    (void)state;
    check_file(LOGFMT_ZEEK, NULL, 0, "files.log",
               ZEEK_HDR
               "  tx_hosts=203.0.113.80 ipv4\n"
               "  rx_hosts=10.0.0.5 ipv4\n"
               "  rx_hosts=10.0.0.6 ipv4\n"
               "  filename=invoice.exe ?\n"
               "  md5=ac6ad5d9b99757c3a878f2d275ace198 md5\n"
               "  sha1=439baa1b33514fb81632aaf44d16a9378c5664fc sha1\n"
               "  sha256=9b8db510ef42b8ed54a3712636fda55a4f8cfcd5493e20b74ab00cd4f3979f2d sha256\n"
               "L9 ok\n"
               "L10 header\n");
}

/* Header handling: lines before #fields, column counts, #types, another #separator
 * (which resets the columns), custom set separator and unset marker, binary lines. */
static void test_zeek_headers(void **state)
{
    static const struct {
        const char *line;
        size_t len; /* 0: strlen */
        enum logfmt_skip r;
        const char *values;
    } steps[] = {
        {"1.2.3.4\tx", 0, LOGFMT_SKIP_MALFORMED, ""}, /* no #fields yet */
        {"#fields\tid.orig_h\tquery", 0, LOGFMT_SKIP_HEADER, ""},
        {"10.0.0.1\tevil.example", 0, LOGFMT_OK, "ipv4:10.0.0.1|domain:evil.example|"},
        {"10.0.0.1\tevil.example\textra", 0, LOGFMT_SKIP_MALFORMED, ""},
        {"10.0.0.1", 0, LOGFMT_SKIP_MALFORMED, ""},
        {"#types\taddr", 0, LOGFMT_SKIP_MALFORMED, ""}, /* one type for two columns */
        {"-\t(empty)", 0, LOGFMT_OK, ""},
        {"10.0.0.1\tevil.\\x65xample", 0, LOGFMT_OK, "ipv4:10.0.0.1|domain:evil.example|"},
        {"10.0.0.1\x00\tx", 10, LOGFMT_SKIP_BINARY, ""},
        {"10.0.0.1\t\xff", 0, LOGFMT_SKIP_BINARY, ""},
        {"10.0.0.1\t\xc3\xa9.example", 0, LOGFMT_OK, "ipv4:10.0.0.1|domain:\xc3\xa9.example|"},
        {"#separator", 0, LOGFMT_SKIP_MALFORMED, ""},
        {"#separator \\x7c", 0, LOGFMT_SKIP_HEADER, ""},
        {"10.0.0.1|evil.example", 0, LOGFMT_SKIP_MALFORMED, ""}, /* columns were reset */
        {"#fields|host|tags|count", 0, LOGFMT_SKIP_HEADER, ""},
        {"#set_separator|;", 0, LOGFMT_SKIP_HEADER, ""},
        {"#unset_field|NONE", 0, LOGFMT_SKIP_HEADER, ""},
        {"#types|string|set[string]|count", 0, LOGFMT_SKIP_HEADER, ""},
        {"#path|custom", 0, LOGFMT_SKIP_HEADER, ""},
        {"# a comment", 0, LOGFMT_SKIP_HEADER, ""},
        {"evil.example|a.example;b.example,c;NONE|7", 0, LOGFMT_OK,
         "domain:evil.example|?:a.example|?:b.example,c|"},
        {"NONE|-|7", 0, LOGFMT_OK, "?:-|"},
        {"", 0, LOGFMT_OK, ""},
    };
    struct logfmt *f = make(LOGFMT_ZEEK, NULL, 0);
    struct out o = {.compact = 1};

    (void)state;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t len = steps[i].len ? steps[i].len : strlen(steps[i].line);

        out_reset(&o);
        assert_int_equal(logfmt_line(f, steps[i].line, len, collect, &o), steps[i].r);
        assert_string_equal(o.buf, steps[i].values);
    }
    logfmt_free(f);
}

/* ---- EVE and JSON ---- */

static void test_eve(void **state)
{
    (void)state;
    check_file(LOGFMT_EVE, NULL, 0, "eve.json",
               "  src_ip=10.0.0.5 ipv4\n"
               "  dest_ip=10.0.0.53 ipv4\n"
               "  dns.rrname=update.evil-cdn.example domain\n"
               "L1 ok\n"
               "  src_ip=10.0.0.53 ipv4\n"
               "  dest_ip=10.0.0.5 ipv4\n"
               "  dns.rrname=update.evil-cdn.example domain\n"
               "  dns.answers.rdata=cdn.evil-cdn.example ?\n"
               "  dns.answers.rdata=198.51.100.23 ?\n"
               "  dns.grouped.CNAME=cdn.evil-cdn.example domain\n"
               "  dns.grouped.A=198.51.100.23 ipv4\n"
               "L2 ok\n"
               "  src_ip=10.0.0.7 ipv4\n"
               "  dest_ip=10.0.0.53 ipv4\n"
               "  dns.rrname=old-style.example.org domain\n"
               "L3 ok\n"
               "  src_ip=10.0.0.5 ipv4\n"
               "  dest_ip=203.0.113.80 ipv4\n"
               "  http.hostname=malware.example.net domain\n"
               "  http.url=/gate.php?id=42 ?\n"
               "  http.full_url=http://malware.example.net/gate.php?id=42 url\n"
               "L4 ok\n"
               "  src_ip=2001:db8::15 ipv6\n"
               "  dest_ip=2001:db8:cafe::443 ipv6\n"
               "  tls.sni=login.bank-secure.example domain\n"
               "L5 ok\n"
               "  src_ip=203.0.113.80 ipv4\n"
               "  dest_ip=10.0.0.5 ipv4\n"
               "  http.hostname=malware.example.net domain\n"
               "  http.url=/payload.bin ?\n"
               "  fileinfo.md5=ac6ad5d9b99757c3a878f2d275ace198 md5\n"
               "  fileinfo.sha1=439baa1b33514fb81632aaf44d16a9378c5664fc sha1\n"
               "  fileinfo.sha256=9b8db510ef42b8ed54a3712636fda55a4f8cfcd5493e20b74ab00cd4f3979f2d sha256\n"
               "  http.full_url=http://malware.example.net/payload.bin url\n"
               "L6 ok\n"
               "  src_ip=10.0.0.5 ipv4\n"
               "  dest_ip=203.0.113.66 ipv4\n"
               "L7 ok\n"
               "  src_ip=198.51.100.44 ipv4\n"
               "  dest_ip=10.0.0.25 ipv4\n"
               "  smtp.mail_from=phisher@bad-sender.example email\n"
               "  smtp.rcpt_to=victim@corp.example email\n"
               "  smtp.rcpt_to=cfo@corp.example email\n"
               "L8 ok\n"
               "  src_ip=10.0.0.8 ipv4\n"
               "  dest_ip=10.0.0.53 ipv4\n"
               "  dns.rrname=v3.evil-cdn.example domain\n"
               "L9 ok\n");
}

/* Configured EVE fields keep the EVE names and hints; unknown ones get a hint from the
 * last path component. */
static void test_eve_fields(void **state)
{
    static const char *const fields[] = {"dns.query.rrname", "tls.sni", "alert.signature",
                                         "tls.ja3.hash"};

    (void)state;
    check_file(LOGFMT_EVE, fields, 4, "eve.json",
               "L1 ok\n"
               "L2 ok\n"
               "  dns.rrname=old-style.example.org domain\n"
               "L3 ok\n"
               "L4 ok\n"
               "  tls.sni=login.bank-secure.example domain\n"
               "  tls.ja3.hash=e7d705a3286e19ea42f587b344ee6865 md5\n"
               "L5 ok\n"
               "L6 ok\n"
               "  alert.signature=ET MALWARE Observed Malicious SSL Cert (evil-cdn.example) ?\n"
               "L7 ok\n"
               "L8 ok\n"
               "L9 ok\n");
}

/* A proxy log with a configured field list: escapes (\/ and \u0041) decoded, hints
 * from the field names (url without a scheme falls back to -1), the truncated last
 * line is malformed and reports nothing. */
static void test_json_proxy_fields(void **state)
{
    static const char *const fields[] = {"client.ip", "request.host", "request.url",
                                         "response.redirect"};

    (void)state;
    check_file(LOGFMT_JSON, fields, 4, "proxy.jsonl",
               "  client.ip=10.0.0.5 ?\n"
               "  request.url=http://malware.example.net/gate.php?id=42 url\n"
               "  request.host=malware.example.net domain\n"
               "L1 ok\n"
               "  client.ip=2001:db8::15 ?\n"
               "  request.url=login.bank-secure.example:443 ?\n"
               "  request.host=login.bank-secure.example domain\n"
               "L2 ok\n"
               "  client.ip=10.0.0.9 ?\n"
               "  request.url=https://cdn.example/A.js url\n"
               "  request.host=cdn.example domain\n"
               "  response.redirect=https://evil.example/land ?\n"
               "L3 ok\n"
               "L4 malformed\n");
}

/* No fields: every string leaf, with its key path (arrays keep the array's path). */
static void test_json_all_leaves(void **state)
{
    static const char line[] =
        " {\"a\":\"x1\",\"b\":{\"c\":\"x2\",\"d\":[\"x3\",{\"e\":\"x4\"},[\"x5\"],7],"
        "\"f\\u0067\":\"x\\n6\"},\"n\":-1.5e3,\"t\":true,\"z\":null,\"\":\"x7\",\"em\":\"\","
        "\"u\":\"\\ud83d\\ude00 \\u00e9\",\"after\":{\"k\":\"x8\"}} ";
    struct out o = {0};

    (void)state;
    assert_int_equal(one_line(LOGFMT_JSON, line, strlen(line), &o), LOGFMT_OK);
    assert_string_equal(o.buf, "  a=x1 ?\n"
                               "  b.c=x2 ?\n"
                               "  b.d=x3 ?\n"
                               "  b.d.e=x4 ?\n"
                               "  b.d=x5 ?\n"
                               "  b.fg=x\n6 ?\n"
                               "  =x7 ?\n"
                               "  u=\xf0\x9f\x98\x80 \xc3\xa9 ?\n"
                               "  after.k=x8 ?\n");
}

struct json_case {
    const char *line;
    enum logfmt_skip r;
};

/* Strict JSON: every rejected line reports no value, even when strings came before
 * the error. */
static void test_json_rejects(void **state)
{
    static const struct json_case cases[] = {
        {"{", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\"", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\"}}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":[\"1.2.3.4\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":{\"b\":\"1.2.3.4\"]}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\" \"1.2.3.4\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\",}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\",\"b\":[1,]}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\" \"b\":1}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":tru}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":nul}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":truex}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":01}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":1.}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":-}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":1e}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":.5}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":+1}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":0x10}", LOGFMT_SKIP_MALFORMED},
        {"{a:\"1.2.3.4\"}", LOGFMT_SKIP_MALFORMED},
        {"{'a':'1.2.3.4'}", LOGFMT_SKIP_MALFORMED},
        {"[\"1.2.3.4\"]", LOGFMT_SKIP_MALFORMED},
        {"\"1.2.3.4\"", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\"} x", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\"}{}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"\\x41\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"\\u12G4\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"\\u12\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"tab\there\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\"1.2.3.4\\\"}", LOGFMT_SKIP_MALFORMED},
        {"{\"a\":\xc3\xa9}", LOGFMT_SKIP_MALFORMED},
        {"{\"k\xff\":\"v\"}", LOGFMT_SKIP_BINARY},
        {"{\"a\":\"1.2.3.4\",\"b\":\"\xff\"}", LOGFMT_SKIP_BINARY},
        {"{\"a\":\"\xc0\xaf\"}", LOGFMT_SKIP_BINARY},          /* overlong '/' */
        {"{\"a\":\"\xe0\x80\xaf\"}", LOGFMT_SKIP_BINARY},      /* overlong, 3 bytes */
        {"{\"a\":\"\xed\xa0\x80\"}", LOGFMT_SKIP_BINARY},      /* UTF-16 surrogate */
        {"{\"a\":\"\xf4\x90\x80\x80\"}", LOGFMT_SKIP_BINARY},  /* above U+10FFFF */
        {"{\"a\":\"\xe2\x82\"}", LOGFMT_SKIP_BINARY},          /* truncated sequence */
        {"{\"a\":\"\x80\"}", LOGFMT_SKIP_BINARY},              /* lone continuation */
        {"{\"a\":\"\\ud800\"}", LOGFMT_SKIP_BINARY},           /* lone high surrogate */
        {"{\"a\":\"\\udc00\"}", LOGFMT_SKIP_BINARY},           /* lone low surrogate */
        {"{\"a\":\"\\ud800\\u0041\"}", LOGFMT_SKIP_BINARY},
        /* accepted, for contrast */
        {"{}", LOGFMT_OK},
        {" { \"a\" : [ 1 , -0.5e+3 , 0 , 2E-2, true , false , null , { } , [ ] ] } ",
         LOGFMT_OK},
        {"{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", LOGFMT_OK},
        {"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", LOGFMT_OK},
    };
    struct out o = {0};

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum logfmt_skip r = one_line(LOGFMT_JSON, cases[i].line, strlen(cases[i].line), &o);

        if (r != cases[i].r)
            print_error("case %zu: %s\n", i, cases[i].line);
        assert_int_equal(r, cases[i].r);
        assert_true(cases[i].r == LOGFMT_OK || o.n == 0);
        assert_int_equal(one_line(LOGFMT_EVE, cases[i].line, strlen(cases[i].line), &o),
                         cases[i].r);
    }
    /* a raw NUL byte, inside and outside a string */
    assert_int_equal(one_line(LOGFMT_JSON, S("{\"a\":\"x\0y\"}"), &o), LOGFMT_SKIP_BINARY);
    assert_int_equal(one_line(LOGFMT_JSON, S("{\"a\":1}\0"), &o), LOGFMT_SKIP_BINARY);
    /* an escaped NUL is valid JSON and part of the value */
    assert_int_equal(one_line(LOGFMT_JSON, S("{\"a\":\"x\\u0000y\"}"), &o), LOGFMT_OK);
    assert_int_equal(o.n, 1);
}

/* 64 nested containers are fine, 65 are malformed. */
static void test_json_depth(void **state)
{
    char line[1024];
    size_t n = 0;
    struct out o = {0};

    (void)state;
    line[n++] = '{';
    for (int i = 0; i < 62; i++) {
        memcpy(line + n, "\"k\":{", 5);
        n += 5;
    }
    memcpy(line + n, "\"k\":[\"v\"]", 9);
    n += 9;
    for (int i = 0; i < 63; i++)
        line[n++] = '}';
    assert_int_equal(one_line(LOGFMT_JSON, line, n, &o), LOGFMT_OK);
    assert_int_equal(o.n, 1);
    assert_int_equal(strncmp(o.buf, "  k.k.k.k", 9), 0);

    n = 0;
    line[n++] = '{';
    for (int i = 0; i < 63; i++) {
        memcpy(line + n, "\"k\":{", 5);
        n += 5;
    }
    memcpy(line + n, "\"k\":[\"v\"]", 9);
    n += 9;
    for (int i = 0; i < 64; i++)
        line[n++] = '}';
    assert_int_equal(one_line(LOGFMT_JSON, line, n, &o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(o.n, 0);
}

/* More values than the scanner collects per line: all are reported, in order, by the
 * second walk; the same line broken at the end reports none. Long key paths run out
 * of path bytes, which takes the same route. */
static void test_json_many_values(void **state)
{
    size_t cap = 64 * 1024, n = 0;
    char *line = malloc(cap);
    struct out *o = calloc(1, sizeof *o);
    char key[600];
    struct logfmt *f = make(LOGFMT_JSON, NULL, 0);

    (void)state;
    assert_non_null(line);
    assert_non_null(o);
    line[n++] = '{';
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(line + n, cap - n, "%s\"k%d\":\"10.0.%d.%d\"", i ? "," : "", i,
                              i / 256, i % 256);
    line[n++] = '}';
    assert_int_equal(logfmt_line(f, line, n, collect, o), LOGFMT_OK);
    assert_int_equal(o->n, 1000);
    assert_int_equal(strncmp(o->buf, "  k0=10.0.0.0 ?\n  k1=10.0.0.1 ?\n", 32), 0);
    assert_non_null(strstr(o->buf, "  k999=10.0.3.231 ?\n"));
    assert_non_null(strstr(o->buf, "  k256=10.0.1.0 ?\n  k257=10.0.1.1 ?\n"));

    /* stop early on the second walk */
    out_reset(o);
    o->stop_after = 300;
    assert_int_equal(logfmt_line(f, line, n, collect, o), LOGFMT_OK);
    assert_int_equal(o->n, 300);
    o->stop_after = 0;

    line[n - 1] = ',';
    out_reset(o);
    assert_int_equal(logfmt_line(f, line, n, collect, o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(o->n, 0);

    /* 40 values under 500-byte keys: 20 000 path bytes */
    memset(key, 'p', 500);
    key[500] = '\0';
    n = 0;
    line[n++] = '{';
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(line + n, cap - n, "%s\"%s%02d\":\"v%d\"", i ? "," : "", key, i, i);
    line[n++] = '}';
    out_reset(o);
    assert_int_equal(logfmt_line(f, line, n, collect, o), LOGFMT_OK);
    assert_int_equal(o->n, 40);
    logfmt_free(f);
    free(o);
    free(line);
}

/* ---- CSV ---- */

static void test_csv(void **state)
{
    static const char *const url_only[] = {"url", "reporter email"};

    (void)state;
    check_file(LOGFMT_CSV, NULL, 0, "iocs.csv",
               "L1 header\n"
               "  timestamp=2024-03-11T09:00:00Z ?\n"
               "  src_ip=10.0.0.5 ?\n"
               "  dst_host=malware.example.net ?\n"
               "  url=http://malware.example.net/a,b?x=\"1\" url\n"
               "  sha256=9b8db510ef42b8ed54a3712636fda55a4f8cfcd5493e20b74ab00cd4f3979f2d sha256\n"
               "  reporter email=soc@corp.example email\n"
               "  comment=said \"hello\", then left ?\n"
               "L2 ok\n"
               "  timestamp=2024-03-11T09:00:01Z ?\n"
               "  src_ip=203.0.113.9 ?\n"
               "  dst_host=198.51.100.7 ?\n"
               "L3 ok\n"
               "L4 malformed\n"
               "L5 malformed\n");
    check_file(LOGFMT_CSV, url_only, 2, "iocs.csv",
               "L1 header\n"
               "  url=http://malware.example.net/a,b?x=\"1\" url\n"
               "  reporter email=soc@corp.example email\n"
               "L2 ok\n"
               "L3 ok\n"
               "L4 malformed\n"
               "L5 malformed\n");
}

static void test_csv_lines(void **state)
{
    static const struct {
        const char *line;
        enum logfmt_skip r;
        const char *values;
    } steps[] = {
        {"", LOGFMT_OK, ""},
        {"\xEF\xBB\xBF\"Domain\", \"Hash\" ,Note,IP", LOGFMT_SKIP_HEADER, ""},
        {"evil.example,d41d8cd98f00b204e9800998ecf8427e,x,10.0.0.1", LOGFMT_OK,
         "domain:evil.example|md5:d41d8cd98f00b204e9800998ecf8427e|?:x|?:10.0.0.1|"},
        {"10.0.0.2,nothex,\"a\"\"b\",\"\"", LOGFMT_OK, "?:10.0.0.2|?:nothex|?:a\"b|"},
        {"a\"b,,,", LOGFMT_OK, "?:a\"b|"}, /* a stray quote inside a field is kept */
        {"\"a\"b,,,", LOGFMT_SKIP_MALFORMED, ""},
        {"\"a,,,", LOGFMT_SKIP_MALFORMED, ""},
        {"a,b,c", LOGFMT_SKIP_MALFORMED, ""},
        {"a,b,c,d,e", LOGFMT_SKIP_MALFORMED, ""},
        {"a,b,c,\xff", LOGFMT_SKIP_BINARY, ""},
        {"\"multi\r\nline\",b,c,d\r", LOGFMT_OK, "?:multi\r\nline|?:b|?:c|?:d|"},
    };
    struct logfmt *f = make(LOGFMT_CSV, NULL, 0);
    struct out o = {.compact = 1};

    (void)state;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        out_reset(&o);
        assert_int_equal(logfmt_line(f, steps[i].line, strlen(steps[i].line), collect, &o),
                         steps[i].r);
        assert_string_equal(o.buf, steps[i].values);
    }
    assert_int_equal(logfmt_line(f, S("a,b\0,c,d"), collect, &o), LOGFMT_SKIP_BINARY);
    logfmt_free(f);

    /* a header that cannot be used: every row after it is malformed */
    f = make(LOGFMT_CSV, NULL, 0);
    assert_int_equal(logfmt_line(f, S("\"a,b"), collect, &o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(logfmt_line(f, S("x"), collect, &o), LOGFMT_SKIP_MALFORMED);
    logfmt_free(f);
}

/* ---- text ---- */

static void test_text_file(void **state)
{
    (void)state;
    check_file(LOGFMT_TEXT, NULL, 0, "notes.txt",
               "  text=http://malware.example.net/gate.php?id=42 url\n"
               "  text=10.0.0.5 ipv4\n"
               "L1 ok\n"
               "  text=phisher@bad-sender.example email\n"
               "  text=203.0.113.9 ipv4\n"
               "  text=9b8db510ef42b8ed54a3712636fda55a4f8cfcd5493e20b74ab00cd4f3979f2d sha256\n"
               "L2 ok\n"
               "  text=https://login.bank-secure.example/auth url\n"
               "  text=evil.example.org domain\n"
               "  text=ftp://files.example.com/drop.zip url\n"
               "L3 ok\n"
               "  text=198.51.100.23 ipv4\n"
               "  text=2001:db8::1 ipv6\n"
               "  text=cdn.evil-cdn.example domain\n"
               "  text=ac6ad5d9b99757c3a878f2d275ace198 md5\n"
               "L4 ok\n"
               "  text=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq wallet\n"
               "  text=0x52908400098527886E0F7030069857D2E4169EE7 wallet\n"
               "L5 ok\n"
               "  text=https://evil.example.com.au/x?a=1 url\n"
               "  text=ac6ad5d9b99757c3a878f2d275ace198 md5\n"
               "L6 ok\n");
}

struct text_case {
    const char *in;
    const char *out;
};

#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA512 \
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

static void run_text_cases(const struct text_case *cases, size_t n)
{
    struct logfmt *f = make(LOGFMT_TEXT, NULL, 0);
    struct out o = {.compact = 1};

    for (size_t i = 0; i < n; i++) {
        out_reset(&o);
        assert_int_equal(logfmt_line(f, cases[i].in, strlen(cases[i].in), collect, &o),
                         LOGFMT_OK);
        if (strcmp(o.buf, cases[i].out) != 0)
            print_error("input: %s\n", cases[i].in);
        assert_string_equal(o.buf, cases[i].out);
    }
    logfmt_free(f);
}

/* Word boundaries: a token glued to a letter, digit, '-', '_', '.' or '@' is not one. */
static void test_text_decoys(void **state)
{
    static const struct text_case cases[] = {
        {"evil.example.com.au", "domain:evil.example.com.au|"},
        {"xevil.example", "domain:xevil.example|"},
        {"x-evil.example _evil.example -evil.example .evil.example", "domain:x-evil.example|"},
        {"1.2.3.456", ""},
        {"a1.2.3.4", ""},
        {"x1.2.3.4 1.2.3.4x 1_2.3.4.5", ""},
        {"11.2.3.4", "ipv4:11.2.3.4|"},
        {"1.2.3.45", "ipv4:1.2.3.45|"},
        {"1.2.3.4.5 1.2.3 1.2.3.4.5.6", ""},
        {"(1.2.3.4). 1.2.3.4:80 1.2.3.4/24", "ipv4:1.2.3.4|ipv4:1.2.3.4|ipv4:1.2.3.4|"},
        /* leading zeros make no address (obs/ip.h), in an IPv6 tail too */
        {"v1.2.3.4 1.02.3.4 256.1.1.1 1.2.3.0001 ::ffff:01.2.3.4", ""},
        {"1.2.3.4.nip.io", "domain:1.2.3.4.nip.io|"},
        {"evil.e evil.123 evil. .example localhost", ""},
        {"evil.example: evil.example/x evil.example.", "domain:evil.example|domain:evil.example|"
                                                      "domain:evil.example|"},
        {"xn--80ak6aa92e.xn--p1ai", "domain:xn--80ak6aa92e.xn--p1ai|"},
        {"report.pdf", "domain:report.pdf|"}, /* file names look like domains: the index decides */
        {"user@evil.example", "email:user@evil.example|"},
        {"first.last+tag@mail.evil.example.", "email:first.last+tag@mail.evil.example|"},
        {"bob.@evil.example a@b @evil.example", ""},
        {"mailto:bob@evil.example", "email:bob@evil.example|"},
        {"http://evil.example/x", "url:http://evil.example/x|"},
        {"http://user@evil.example:8080/a?b=c#d", "url:http://user@evil.example:8080/a?b=c#d|"},
        {"http:// x http://", ""},
        {"xhttp://evil.example", "domain:evil.example|"},
        {MD5, "md5:" MD5 "|"},
        {SHA1 " " SHA256, "sha1:" SHA1 "|sha256:" SHA256 "|"},
        {SHA512, "sha512:" SHA512 "|"},
        {"md5=" MD5 ";", "md5:" MD5 "|"},
        {"x" MD5 "y", "md5:" MD5 "|"},                      /* bounded by non-hex */
        {MD5 "a " "a" MD5, ""},                             /* 33 hex digits */
        {"d41d8cd98f00b204e9800998ecf8427", ""},            /* 31 */
        {MD5 ".exe file_" MD5 ".dll", "md5:" MD5 "|md5:" MD5 "|"},
        {"0x52908400098527886E0F7030069857D2E4169EE7", "wallet:0x52908400098527886E0F7030069857D2E4169EE7|"},
        {"0x52908400098527886E0F7030069857D2E4169EE", ""},
        {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "wallet:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq|"},
        {"bc1short BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", ""},
        {"::1 fe80::1%eth0 2001:db8::1/64", "ipv6:::1|ipv6:fe80::1|ipv6:2001:db8::1|"},
        {"::ffff:10.0.0.1 2001:db8:0:0:0:0:0:1", "ipv6:::ffff:10.0.0.1|ipv6:2001:db8:0:0:0:0:0:1|"},
        {"[2001:db8::1]:443 2001:DB8::A.", "ipv6:2001:db8::1|ipv6:2001:DB8::A|"},
        {"12:34:56 00:11:22:33:44:55 std::vector a::b:: 1:2:3:4:5:6:7 1:2:3:4:5:6:7:8:9", ""},
        {"2001:db8::1g 2001:db8:::1 12345::1 ::", ""},
        {"cafe:evil.example ip:2001:db8::1 a:b:1.2.3.4",
         "domain:evil.example|ipv6:2001:db8::1|ipv4:1.2.3.4|"},
    };

    (void)state;
    run_text_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Defanged forms come back refanged; only the URL is reported, not its host. */
static void test_text_defangs(void **state)
{
    static const struct text_case cases[] = {
        {"evil[.]example", "domain:evil.example|"},
        {"evil(.)example evil{.}example", "domain:evil.example|domain:evil.example|"},
        {"evil[dot]example evil[DOT]example evil(dot)example",
         "domain:evil.example|domain:evil.example|domain:evil.example|"},
        {"evil[.example evil.]example", ""},
        {"a[.]b[.]evil[.]example", "domain:a.b.evil.example|"},
        {"1.2.3[.]4 1[.]2[.]3[.]4", "ipv4:1.2.3.4|ipv4:1.2.3.4|"},
        {"user[@]evil[.]example", "email:user@evil.example|"},
        {"hxxp://evil[.]example/a", "url:http://evil.example/a|"},
        {"hXXps://evil.example", "url:https://evil.example|"},
        {"http[:]//evil.example hxxp[://]evil.example",
         "url:http://evil.example|url:http://evil.example|"},
        {"fxp://evil.example/f.zip.", "url:ftp://evil.example/f.zip|"},
        {"(http://evil.example/a) [http://evil.example/b]",
         "url:http://evil.example/a|url:http://evil.example/b|"},
        {"http://evil.example/a_(b) 'http://evil.example/q' <http://evil.example/>,",
         "url:http://evil.example/a_(b)|url:http://evil.example/q|url:http://evil.example/|"},
        {"\"https://evil.example/p?x=1,2;y\"", "url:https://evil.example/p?x=1,2;y|"},
        {"https://[2001:db8::1]:8443/x", "url:https://[2001:db8::1]:8443/x|"},
        {"go to HTTP://EVIL.EXAMPLE/", "url:HTTP://EVIL.EXAMPLE/|"},
    };

    (void)state;
    run_text_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A chain of labels longer than a name can be (over 1 KiB) is no name, nor is its tail:
 * with plain dots and with defanged ones; the token after it is still found. */
static void test_text_overlong_chain(void **state)
{
    static struct out o;
    char line[4096];

    (void)state;
    for (int defanged = 0; defanged < 2; defanged++) {
        size_t n = 0;
        for (int i = 0; i < 60; i++) /* 1 140 or 1 020 bytes: the tail past 1 KiB is short */
            n += (size_t)snprintf(line + n, sizeof line - n, "abcdefghijklmnop%s", defanged ? "[.]" : ".");
        for (int i = 0; !defanged && i < 4; i++)
            n += (size_t)snprintf(line + n, sizeof line - n, "abcdefghijklmnop.");
        n += (size_t)snprintf(line + n, sizeof line - n, "evil%scom 1.2.3.4", defanged ? "[.]" : ".");
        o.compact = 1;
        assert_int_equal(one_line(LOGFMT_TEXT, line, n, &o), LOGFMT_OK);
        o.compact = 1;
        assert_string_equal(o.buf, "ipv4:1.2.3.4|");
    }
}

/* Binary garbage in text mode: no crash, tokens between the garbage still found. */
static void test_text_binary(void **state)
{
    static const char line[] = "\x00\xff\xfe" "evil.example\x00" "1.2.3.4\x01\x80"
                               "http://x.example/\x00zz\xc3";
    struct out o = {.compact = 1};

    (void)state;
    assert_int_equal(one_line(LOGFMT_TEXT, line, sizeof line - 1, &o), LOGFMT_OK);
    o.compact = 1;
    assert_string_equal(o.buf, "domain:evil.example|ipv4:1.2.3.4|url:http://x.example/|");
}

/* ---- limits, blank lines, AUTO, clones, stopping ---- */

static void test_line_limits(void **state)
{
    static const int kinds[] = {LOGFMT_AUTO, LOGFMT_JSON, LOGFMT_EVE,
                                LOGFMT_ZEEK, LOGFMT_CSV,  LOGFMT_TEXT};
    char *line = malloc(MAX_LINE + 2);
    struct out o = {.compact = 1};
    struct logfmt *f;
    size_t n;

    (void)state;
    assert_non_null(line);
    /* exactly 1 MiB of text: scanned */
    memset(line, ' ', MAX_LINE + 1);
    memcpy(line, "1.2.3.4 ", 8);
    memcpy(line + MAX_LINE - 12, "evil.example", 12);
    assert_int_equal(one_line(LOGFMT_TEXT, line, MAX_LINE, &o), LOGFMT_OK);
    assert_string_equal(o.buf, "ipv4:1.2.3.4|domain:evil.example|");
    /* one byte more: refused without a look, in every mode */
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        assert_int_equal(one_line((enum logfmt_kind)kinds[i], line, MAX_LINE + 1, &o),
                         LOGFMT_SKIP_TOO_LONG);
        assert_int_equal(o.n, 0);
    }
    /* a JSON line of exactly 1 MiB (values too big to print: count them) */
    o.quiet = 1;
    n = (size_t)snprintf(line, 64, "{\"a\":\"1.2.3.4\",\"b\":\"");
    memset(line + n, 'x', MAX_LINE - n - 2);
    memcpy(line + MAX_LINE - 2, "\"}", 2);
    assert_int_equal(one_line(LOGFMT_JSON, line, MAX_LINE, &o), LOGFMT_OK);
    assert_int_equal(o.n, 2);
    /* escapes all the way: the decoded value fits the scratch buffer */
    n = (size_t)snprintf(line, 64, "{\"b\":\"");
    while (n + 6 + 2 <= MAX_LINE) {
        memcpy(line + n, "\\u00e9", 6);
        n += 6;
    }
    memcpy(line + n, "\"}", 2);
    n += 2;
    assert_int_equal(one_line(LOGFMT_JSON, line, n, &o), LOGFMT_OK);
    assert_int_equal(o.n, 1);
    /* a Zeek row of 1 MiB + 1 after a valid header */
    f = make(LOGFMT_ZEEK, NULL, 0);
    assert_int_equal(logfmt_line(f, S("#fields\ta"), collect, &o), LOGFMT_SKIP_HEADER);
    memset(line, 'a', MAX_LINE + 1);
    assert_int_equal(logfmt_line(f, line, MAX_LINE + 1, collect, &o), LOGFMT_SKIP_TOO_LONG);
    assert_int_equal(logfmt_line(f, line, MAX_LINE, collect, &o), LOGFMT_OK);
    logfmt_free(f);
    free(line);
}

static void test_blank_crlf_bom(void **state)
{
    struct out o = {.compact = 1};
    struct logfmt *f = make(LOGFMT_JSON, NULL, 0);

    (void)state;
    assert_int_equal(logfmt_line(f, S(""), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_line(f, NULL, 0, collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_line(f, NULL, 3, collect, &o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(logfmt_line(f, S(" \t\r"), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_line(f, S("{\"a\":\"x.example\"}\r\n"), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_line(f, S("\xEF\xBB\xBF{\"a\":\"y.example\"}"), collect, &o),
                     LOGFMT_OK);
    assert_int_equal(logfmt_line(f, S("{\"a\":\"z.example\"}"), NULL, NULL), LOGFMT_OK);
    assert_int_equal(logfmt_line(NULL, S("{}"), collect, &o), LOGFMT_SKIP_MALFORMED);
    assert_string_equal(o.buf, "?:x.example|?:y.example|");
    logfmt_free(f);
}

static void test_auto(void **state)
{
    struct out o = {.compact = 1};
    struct logfmt *f = make(LOGFMT_AUTO, NULL, 0);

    (void)state;
    /* blank lines decide nothing */
    assert_int_equal(logfmt_line(f, S("  "), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_kind_of(f), LOGFMT_AUTO);
    assert_int_equal(logfmt_line(f, S(" {\"q\":\"evil.example\"}"), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_kind_of(f), LOGFMT_JSON);
    /* and it sticks */
    assert_int_equal(logfmt_line(f, S("evil.example"), collect, &o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(logfmt_line(f, S("#separator \\x09"), collect, &o),
                     LOGFMT_SKIP_MALFORMED);
    assert_string_equal(o.buf, "?:evil.example|");
    logfmt_free(f);

    f = make(LOGFMT_AUTO, NULL, 0);
    assert_int_equal(logfmt_line(f, S("#separator \\x09"), collect, &o), LOGFMT_SKIP_HEADER);
    assert_int_equal(logfmt_kind_of(f), LOGFMT_ZEEK);
    logfmt_free(f);

    /* a too-long first line decides nothing either */
    f = make(LOGFMT_AUTO, NULL, 0);
    {
        char *big = malloc(MAX_LINE + 1);

        assert_non_null(big);
        memset(big, '{', MAX_LINE + 1);
        assert_int_equal(logfmt_line(f, big, MAX_LINE + 1, collect, &o), LOGFMT_SKIP_TOO_LONG);
        free(big);
    }
    assert_int_equal(logfmt_kind_of(f), LOGFMT_AUTO);
    out_reset(&o);
    assert_int_equal(logfmt_line(f, S("seen 1.2.3.4"), collect, &o), LOGFMT_OK);
    assert_int_equal(logfmt_kind_of(f), LOGFMT_TEXT);
    assert_int_equal(logfmt_line(f, S("{\"a\":\"1.2.3.5\"}"), collect, &o), LOGFMT_OK);
    assert_string_equal(o.buf, "ipv4:1.2.3.4|ipv4:1.2.3.5|");
    logfmt_free(f);

    /* configured fields apply to what AUTO picks */
    {
        static const char *const fields[] = {"q"};

        f = make(LOGFMT_AUTO, fields, 1);
        out_reset(&o);
        assert_int_equal(logfmt_line(f, S("{\"q\":\"a.example\",\"r\":\"b.example\"}"),
                                     collect, &o),
                         LOGFMT_OK);
        assert_string_equal(o.buf, "?:a.example|");
        logfmt_free(f);
    }
}

/* A clone carries the configuration and the headers seen so far, shares nothing
 * mutable and outlives its original. */
static void test_clone(void **state)
{
    static const char *const fields[] = {"request.host", "request.url"};
    static const char hdr[] = "#fields\tid.orig_h\thost\turi";
    static const char row[] = "10.0.0.1\tevil.example\t/x";
    struct out o1 = {.compact = 1}, o2 = {.compact = 1};
    struct logfmt *f = make(LOGFMT_ZEEK, NULL, 0), *c = NULL;
    struct mz_error err;

    (void)state;
    assert_int_equal(logfmt_line(f, hdr, strlen(hdr), collect, &o1), LOGFMT_SKIP_HEADER);
    assert_int_equal(logfmt_clone(f, &c, &err), MZ_OK);
    assert_int_equal(logfmt_kind_of(c), LOGFMT_ZEEK);
    assert_int_equal(logfmt_line(f, row, strlen(row), collect, &o1), LOGFMT_OK);
    assert_int_equal(logfmt_line(c, row, strlen(row), collect, &o2), LOGFMT_OK);
    assert_string_equal(o1.buf, o2.buf);
    assert_string_equal(o1.buf,
                        "ipv4:10.0.0.1|domain:evil.example|?:/x|url:http://evil.example/x|");
    /* a new header in the clone leaves the original alone */
    assert_int_equal(logfmt_line(c, S("#separator \\x7c"), collect, &o2), LOGFMT_SKIP_HEADER);
    assert_int_equal(logfmt_line(c, row, strlen(row), collect, &o2), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(logfmt_line(f, row, strlen(row), collect, &o1), LOGFMT_OK);
    logfmt_free(c);
    logfmt_free(f);

    /* JSON fields live in the struct: the clone must not point into the original */
    f = make(LOGFMT_JSON, fields, 2);
    c = NULL;
    assert_int_equal(logfmt_clone(f, &c, NULL), MZ_OK);
    logfmt_free(f);
    out_reset(&o2);
    assert_int_equal(
        logfmt_line(c, S("{\"request\":{\"host\":\"evil.example\",\"url\":\"/p\"}}"), collect, &o2),
        LOGFMT_OK);
    assert_string_equal(o2.buf, "domain:evil.example|?:/p|");
    logfmt_free(c);

    /* AUTO clones before and after deciding */
    f = make(LOGFMT_AUTO, NULL, 0);
    assert_int_equal(logfmt_clone(f, &c, NULL), MZ_OK);
    assert_int_equal(logfmt_line(f, S("{}"), collect, &o1), LOGFMT_OK);
    assert_int_equal(logfmt_kind_of(f), LOGFMT_JSON);
    assert_int_equal(logfmt_kind_of(c), LOGFMT_AUTO);
    logfmt_free(c);
    assert_int_equal(logfmt_clone(f, &c, NULL), MZ_OK);
    assert_int_equal(logfmt_kind_of(c), LOGFMT_JSON);
    logfmt_free(c);
    logfmt_free(f);
    assert_int_equal(logfmt_clone(NULL, &c, &err), MZ_EINVAL);
}

/* A callback returning nonzero ends the line: the line still counts as OK. */
static void test_stop_early(void **state)
{
    static const struct {
        int kind;
        const char *line;
    } cases[] = {
        {LOGFMT_TEXT, "1.2.3.4 evil.example " MD5},
        {LOGFMT_JSON, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"},
        {LOGFMT_EVE, "{\"src_ip\":\"1.2.3.4\",\"dest_ip\":\"1.2.3.5\","
                     "\"http\":{\"hostname\":\"h.example\",\"url\":\"/\"}}"},
        {LOGFMT_CSV, "a,b,c"}, /* the header: nothing to stop */
    };
    struct out o = {.compact = 1, .stop_after = 1};

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum logfmt_skip r = one_line((enum logfmt_kind)cases[i].kind, cases[i].line,
                                      strlen(cases[i].line), &o);

        assert_true(r == LOGFMT_OK || r == LOGFMT_SKIP_HEADER);
        assert_true(o.n <= 1);
    }
    {
        struct logfmt *f = make(LOGFMT_CSV, NULL, 0);

        assert_int_equal(logfmt_line(f, S("a,b,c"), collect, &o), LOGFMT_SKIP_HEADER);
        out_reset(&o);
        assert_int_equal(logfmt_line(f, S("x,y,z"), collect, &o), LOGFMT_OK);
        assert_string_equal(o.buf, "?:x|");
        logfmt_free(f);
    }
    {
        struct logfmt *f = make(LOGFMT_ZEEK, NULL, 0);

        assert_int_equal(logfmt_line(f, S("#fields\thost\turi"), collect, &o),
                         LOGFMT_SKIP_HEADER);
        out_reset(&o);
        assert_int_equal(logfmt_line(f, S("h.example\t/p"), collect, &o), LOGFMT_OK);
        assert_string_equal(o.buf, "domain:h.example|");
        logfmt_free(f);
    }
}

/* ---- robustness ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: seeded, so a failure replays */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

struct fuzz_stats {
    size_t values;
    size_t by_reason[LOGFMT_N_SKIP];
    uint64_t sum;
};

static int fuzz_cb(void *ctx, const struct logfmt_value *v)
{
    struct fuzz_stats *st = ctx;

    assert_non_null(v->field);
    assert_non_null(v->value);
    assert_true(v->value_len > 0 && v->value_len <= MAX_LINE + 64);
    assert_true(v->field_len <= MAX_LINE);
    assert_true(v->kind_hint >= -1 && v->kind_hint < OBS_N_KINDS);
    /* touch every byte so ASan sees a bad pointer */
    for (size_t i = 0; i < v->value_len; i++)
        st->sum += (unsigned char)v->value[i];
    for (size_t i = 0; i < v->field_len; i++)
        st->sum += (unsigned char)v->field[i];
    st->values++;
    return (rnd() & 63) == 0; /* now and then, stop early */
}

struct sample {
    const char *p;
    size_t len;
};

static size_t split_lines(const char *text, size_t len, struct sample *out, size_t cap)
{
    size_t n = 0, i = 0;

    while (i < len && n < cap) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;

        out[n].p = text + i;
        out[n].len = e - i;
        n++;
        i = e + 1;
    }
    return n;
}

/* One mutation of src into dst (at most cap bytes); returns the length. */
static size_t mutate(const struct sample *src, const struct sample *other, char *dst, size_t cap)
{
    static const char interesting[] = "\0\xff\x80\xc3\xed\xf4\"\\{}[],:.@/\t#-_x0[.](.)";
    size_t n = src->len < cap ? src->len : cap;
    int ops = 1 + (int)(rnd() % 4);

    memcpy(dst, src->p, n);
    while (ops--) {
        size_t pos = n ? rnd() % n : 0, k;

        switch (rnd() % 9) {
        case 0: /* flip a byte */
            if (n)
                dst[pos] = (char)rnd();
            break;
        case 1: /* an interesting byte */
            if (n)
                dst[pos] = interesting[rnd() % (sizeof interesting - 1)];
            break;
        case 2: /* insert bytes */
            k = 1 + rnd() % 8;
            if (n + k <= cap) {
                memmove(dst + pos + k, dst + pos, n - pos);
                for (size_t i = 0; i < k; i++)
                    dst[pos + i] = interesting[rnd() % (sizeof interesting - 1)];
                n += k;
            }
            break;
        case 3: /* delete a range */
            k = n - pos ? rnd() % (n - pos) : 0;
            k = k > 32 ? k % 32 : k;
            memmove(dst + pos, dst + pos + k, n - pos - k);
            n -= k;
            break;
        case 4: /* truncate */
            n = pos;
            break;
        case 5: /* duplicate a range */
            k = n - pos ? 1 + rnd() % (n - pos) : 0;
            if (n + k <= cap) {
                memmove(dst + pos + k, dst + pos, n - pos);
                n += k;
            }
            break;
        case 6: /* splice in another line */
            k = other->len < cap - n ? other->len : cap - n;
            k = k ? rnd() % (k + 1) : 0;
            memmove(dst + pos + k, dst + pos, n - pos);
            memcpy(dst + pos, other->p, k);
            n += k;
            break;
        case 7: /* pure noise */
            n = rnd() % (cap < 512 ? cap : 512);
            for (size_t i = 0; i < n; i++)
                dst[i] = (char)rnd();
            break;
        default: /* swap two bytes */
            if (n) {
                size_t q = rnd() % n;
                char t = dst[pos];

                dst[pos] = dst[q];
                dst[q] = t;
            }
            break;
        }
    }
    return n;
}

static void test_robustness_mutations(void **state)
{
    static const char *const files[] = {"conn.log", "dns.log",    "http.log",  "files.log",
                                        "eve.json", "proxy.jsonl", "iocs.csv", "notes.txt"};
    static const int kinds[] = {LOGFMT_AUTO, LOGFMT_JSON, LOGFMT_EVE,
                                LOGFMT_ZEEK, LOGFMT_CSV,  LOGFMT_TEXT};
    static const char *const fields[] = {"host", "uri", "request.url", "query", "url"};
    char *texts[sizeof files / sizeof files[0]];
    struct sample samples[256];
    size_t n_samples = 0, cap = 8192;
    char *buf = malloc(cap);
    struct fuzz_stats st;
    size_t hdr_len;
    char *hdr = load_log("http.log", &hdr_len);

    (void)state;
    assert_non_null(buf);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;

        texts[i] = load_log(files[i], &len);
        n_samples += split_lines(texts[i], len, samples + n_samples,
                                 sizeof samples / sizeof samples[0] - n_samples);
    }
    memset(&st, 0, sizeof st);
    rng_state = 0x6d72657a61ULL; /* "mreza" */
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int with_fields = 0; with_fields < 2; with_fields++) {
            struct logfmt *f = make((enum logfmt_kind)kinds[k], with_fields ? fields : NULL,
                                    with_fields ? 5 : 0);
            struct logfmt *c = NULL;

            for (int it = 0; it < 5000; it++) {
                const struct sample *a = &samples[rnd() % n_samples];
                const struct sample *b = &samples[rnd() % n_samples];
                size_t n = mutate(a, b, buf, cap);
                enum logfmt_skip r;

                if (it % 500 == 0) /* now and then, good Zeek headers again */
                    feed_all(f, hdr, hdr_len, &(struct out){0});
                r = logfmt_line(f, buf, n, fuzz_cb, &st);
                assert_true(r >= LOGFMT_OK && r < LOGFMT_N_SKIP);
                st.by_reason[r]++;
            }
            /* a clone of whatever state the mutations left behind still works */
            assert_int_equal(logfmt_clone(f, &c, NULL), MZ_OK);
            assert_true(logfmt_line(c, samples[0].p, samples[0].len, fuzz_cb, &st) <
                        LOGFMT_N_SKIP);
            logfmt_free(c);
            logfmt_free(f);
        }
    }
    /* 10 000 mutated lines per mode, and the mutations reached every outcome */
    assert_int_equal(st.by_reason[LOGFMT_OK] + st.by_reason[LOGFMT_SKIP_MALFORMED] +
                         st.by_reason[LOGFMT_SKIP_TOO_LONG] + st.by_reason[LOGFMT_SKIP_BINARY] +
                         st.by_reason[LOGFMT_SKIP_HEADER],
                     6 * 10000);
    assert_true(st.by_reason[LOGFMT_OK] > 0);
    assert_true(st.by_reason[LOGFMT_SKIP_MALFORMED] > 0);
    assert_true(st.by_reason[LOGFMT_SKIP_BINARY] > 0);
    assert_true(st.by_reason[LOGFMT_SKIP_HEADER] > 0);
    assert_true(st.values > 0);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        free(texts[i]);
    free(hdr);
    free(buf);
}

/* The flat-object scanner (a fast path for one-level JSON lines without escapes) must
 * agree with the general JSON walker on everything it takes: the same values in the
 * same order, with the same fields, and the same verdict. A line that ends in a tab is
 * taken by the walker alone (the flat scanner refuses control bytes), so each random
 * line is fed as it is and with a tab after it. Lines of 0-300 bytes cross the
 * scanner's 16- and 64-byte boundaries; one line in four has a random byte removed or
 * replaced (syntax errors: both must refuse it with the same reason). */
static unsigned lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(*x >> 33);
}

static void random_flat_line(uint64_t *x, char *buf, size_t cap)
{
    static const char *const scalars[] = {"0", "-12", "3.25", "1e9", "true", "false", "null", "200"};
    static const char chars[] = "abcdefxyz0123456789.-_:/@ ABC";
    size_t len = 0;
    int n;

#define RND() lcg(x)
    n = (int)(RND() % 9);
    len += (size_t)snprintf(buf + len, cap - len, "%s{", RND() % 4 ? "" : " ");
    for (int k = 0; k < n && len + 80 < cap; k++) {
        const char *sep = k ? (RND() % 3 ? "," : " , ") : "";
        unsigned key = RND() % 50;
        const char *sp1 = RND() % 5 ? "" : " ", *sp2 = RND() % 4 ? "" : " ";
        len += (size_t)snprintf(buf + len, cap - len, "%s\"k%u\"%s:%s", sep, key, sp1, sp2);
        if (RND() % 3) {
            size_t m = RND() % 40;
            buf[len++] = '"';
            for (size_t j = 0; j < m; j++)
                buf[len++] = chars[RND() % (sizeof chars - 1)];
            buf[len++] = '"';
        } else {
            len += (size_t)snprintf(buf + len, cap - len, "%s", scalars[RND() % 8]);
        }
    }
    len += (size_t)snprintf(buf + len, cap - len, "}");
    if (RND() % 4 == 0 && len > 0) {
        size_t at = RND() % len;
        if (RND() % 2)
            memmove(buf + at, buf + at + 1, len - at);
        else
            buf[at] = "{}[]\",: x1"[RND() % 10];
    }
    buf[len] = '\0';
#undef RND
}

/* One scanner, line after line: an empty object after a full one has no values (the
 * field-less scan must not hand over the previous line's). */
static void test_values_not_carried_over(void **state)
{
    struct logfmt *f = make(LOGFMT_JSON, NULL, 0);
    const struct logfmt_span *spans = NULL;
    size_t n = 99;
    static struct out o;

    (void)state;
    out_reset(&o);
    assert_int_equal(logfmt_values_all(f, S("{\"a\":\"evil.example\",\"b\":\"1.2.3.4\"}"), &spans, &n, collect, &o), LOGFMT_OK);
    assert_int_equal(n + o.n, 2);
    out_reset(&o);
    assert_int_equal(logfmt_values_all(f, S("{}"), &spans, &n, collect, &o), LOGFMT_OK);
    assert_int_equal(n + o.n, 0);
    assert_int_equal(logfmt_values_all(f, S(" { } "), &spans, &n, collect, &o), LOGFMT_OK);
    assert_int_equal(n + o.n, 0);
    assert_int_equal(logfmt_values_all(f, S("{\"a\":1}"), &spans, &n, collect, &o), LOGFMT_OK);
    assert_int_equal(n + o.n, 0);
    assert_int_equal(logfmt_values_all(f, S("{]"), &spans, &n, collect, &o), LOGFMT_SKIP_MALFORMED);
    assert_int_equal(n + o.n, 0);
    logfmt_free(f);
}

/* Each line goes through two scanners as they are when new: made once, and put back
 * in that state with logfmt_reset() before every line (two new scanners per line were
 * 40 000 allocations of 1 MiB scratch buffers: under ASan, 80 % of the suite's time). */
static void test_flat_scanner_agrees(void **state)
{
    static struct out a, b;
    char line[1200], tabbed[1210];
    uint64_t x = 77;
    struct logfmt *fresh = make(LOGFMT_JSON, NULL, 0);
    struct logfmt *f1 = make(LOGFMT_JSON, NULL, 0), *f2 = make(LOGFMT_JSON, NULL, 0);

    (void)state;
    for (int i = 0; i < 20000; i++) {
        enum logfmt_skip r1, r2;
        size_t n;

        logfmt_reset(f1, fresh);
        logfmt_reset(f2, fresh);
        random_flat_line(&x, line, sizeof line - 8);
        n = strlen(line);
        memcpy(tabbed, line, n);
        tabbed[n] = '\t';
        out_reset(&a);
        out_reset(&b);
        r1 = logfmt_line(f1, line, n, collect, &a);
        r2 = logfmt_line(f2, tabbed, n + 1, collect, &b);
        if (r1 != r2 || strcmp(a.buf, b.buf) != 0)
            fail_msg("flat and walked scans differ on '%s': %d vs %d\n%s---\n%s", line, (int)r1, (int)r2, a.buf, b.buf);
        /* and the field-less scan (its own fast path) gives the same values as the
         * walker, in the same order */
        out_reset(&a);
        out_reset(&b);
        a.compact = b.compact = 1;
        r1 = logfmt_values(f1, line, n, collect, &a);
        r2 = logfmt_line(f2, tabbed, n + 1, collect, &b);
        a.compact = b.compact = 0;
        if (r1 != r2 || strcmp(a.buf, b.buf) != 0)
            fail_msg("field-less and walked scans differ on '%s': %d vs %d\n%s---\n%s", line, (int)r1, (int)r2, a.buf, b.buf);
        /* the same values handed over at once (or through the callback) */
        {
            const struct logfmt_span *spans = NULL;
            size_t ns = 0;
            out_reset(&a);
            a.compact = 1;
            r1 = logfmt_values_all(f1, line, n, &spans, &ns, collect, &a);
            for (size_t k = 0; k < ns; k++) {
                out_printf(&a, "?:%.*s|", (int)spans[k].len, spans[k].p);
                a.n++;
            }
            a.compact = 0;
            if (r1 != r2 || strcmp(a.buf, b.buf) != 0)
                fail_msg("batched and walked scans differ on '%s': %d vs %d\n%s---\n%s", line, (int)r1, (int)r2, a.buf, b.buf);
        }
    }
    logfmt_free(f1);
    logfmt_free(f2);
    logfmt_free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_and_skip_names),
        cmocka_unit_test(test_new_rejects),
        cmocka_unit_test(test_zeek_conn),
        cmocka_unit_test(test_zeek_dns),
        cmocka_unit_test(test_zeek_http),
        cmocka_unit_test(test_zeek_files),
        cmocka_unit_test(test_zeek_headers),
        cmocka_unit_test(test_eve),
        cmocka_unit_test(test_eve_fields),
        cmocka_unit_test(test_json_proxy_fields),
        cmocka_unit_test(test_json_all_leaves),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_many_values),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_lines),
        cmocka_unit_test(test_text_file),
        cmocka_unit_test(test_text_decoys),
        cmocka_unit_test(test_text_defangs),
        cmocka_unit_test(test_text_overlong_chain),
        cmocka_unit_test(test_text_binary),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_blank_crlf_bom),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_robustness_mutations),
        cmocka_unit_test(test_flat_scanner_agrees),
        cmocka_unit_test(test_values_not_carried_over),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
