/* fed/fed_guard.c - the checks that stop a misbehaving peer (docs/federation.md 10.5).
 * fed_guard_facts reads one objects response into plain facts (status, media type,
 * JSON, counts, the X-TAXII-Date-Added-* headers, a fingerprint of the page);
 * fed_guard_check judges those facts before anything of the page is applied, and
 * fed_guard_progress judges what applying it brought. Both are pure functions of the
 * facts and the run's struct fed_guard: no I/O, no clock (the caller gives the run's
 * elapsed time), so tests/unit/fed/test_fed_guard.c drives them with tables.
 * Ownership: struct fed_guard owns its table of next hashes (fed_guard_free);
 * struct fed_facts owns the parsed envelope (fed_facts_clear). */
#include "fed/fed.h"

#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xxhash.h>

/* The mz_err a guard code is reported with. */
static enum mz_err mz_of(enum fed_code code)
{
    switch (code) {
    case FED_OK: return MZ_OK;
    case FED_TOO_LARGE: case FED_RUN_LIMIT: case FED_OVER_LIMIT: return MZ_ETOOBIG;
    case FED_AUTH: return MZ_EAUTH;
    case FED_FORBIDDEN: return MZ_EFORBIDDEN;
    case FED_NOT_FOUND: return MZ_ENOTFOUND;
    case FED_NOMEM: return MZ_ENOMEM;
    case FED_HTTP_5XX: case FED_HTTP_429: case FED_TLS: case FED_TIMEOUT: case FED_NETWORK:
    case FED_STOPPED:
        return MZ_EIO;
    default: return MZ_EINVAL;
    }
}

static enum fed_code fail(struct mz_error *err, enum fed_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum fed_code fail(struct mz_error *err, enum fed_code code, const char *fmt, ...)
{
    char msg[MZ_ERR_MSG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mz_error_set(err, mz_of(code), "", "%s", msg);
    return code;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int fed_time_norm(const char *text, size_t len, char out[FED_TIME_LEN])
{
    char frac[7] = "000000";
    size_t i = 19, nf = 0;
    int mon, day, hh, mi, ss;

    /* YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z */
    if (len < 20 || !digits(text, 4) || text[4] != '-' || !digits(text + 5, 2) || text[7] != '-' ||
        !digits(text + 8, 2) || (text[10] != 'T' && text[10] != 't') || !digits(text + 11, 2) ||
        text[13] != ':' || !digits(text + 14, 2) || text[16] != ':' || !digits(text + 17, 2))
        return -1;
    mon = (text[5] - '0') * 10 + text[6] - '0';
    day = (text[8] - '0') * 10 + text[9] - '0';
    hh = (text[11] - '0') * 10 + text[12] - '0';
    mi = (text[14] - '0') * 10 + text[15] - '0';
    ss = (text[17] - '0') * 10 + text[18] - '0';
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mi > 59 || ss > 60)
        return -1;
    if (text[i] == '.') {
        i++;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            if (nf < 6)
                frac[nf] = text[i];
            nf++;
            i++;
        }
        if (nf == 0 || nf > 9)
            return -1;
    }
    if (i + 1 != len || (text[i] != 'Z' && text[i] != 'z'))
        return -1;
    snprintf(out, FED_TIME_LEN, "%.10sT%.8s.%sZ", text, text + 11, frac);
    return 0;
}

int fed_time_minus_1us(const char *norm, char out[FED_TIME_LEN])
{
    char check[FED_TIME_LEN];
    struct tm tm = {0};
    long us;
    time_t t;

    if (fed_time_norm(norm, strlen(norm), check) != 0 || strcmp(check, norm) != 0)
        return -1;
    tm.tm_year = (int)strtol(norm, NULL, 10) - 1900;
    tm.tm_mon = (int)strtol(norm + 5, NULL, 10) - 1;
    tm.tm_mday = (int)strtol(norm + 8, NULL, 10);
    tm.tm_hour = (int)strtol(norm + 11, NULL, 10);
    tm.tm_min = (int)strtol(norm + 14, NULL, 10);
    tm.tm_sec = (int)strtol(norm + 17, NULL, 10);
    us = strtol(norm + 20, NULL, 10);
    t = timegm(&tm);
    if (us > 0) {
        us--;
    } else {
        us = 999999;
        t--;
    }
    if (!gmtime_r(&t, &tm))
        return -1;
    {
        char text[128];
        int n = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);

        if (n <= 0 || n >= FED_TIME_LEN)
            return -1;
        memcpy(out, text, (size_t)n + 1);
    }
    return 0;
}

/* application/taxii+json with version=2.1 or no version (parameters otherwise
 * ignored); case-insensitive names, spaces around ';' and '='. */
static int taxii_media(const char *ct)
{
    static const char type[] = "application/taxii+json";
    const char *p = ct;

    while (*p == ' ')
        p++;
    if (strncasecmp(p, type, sizeof type - 1) != 0)
        return 0;
    p += sizeof type - 1;
    while (*p == ' ')
        p++;
    while (*p == ';') {
        const char *name, *val;
        size_t nl, vl;

        p++;
        while (*p == ' ')
            p++;
        name = p;
        while (*p && *p != '=' && *p != ';' && *p != ' ')
            p++;
        nl = (size_t)(p - name);
        while (*p == ' ')
            p++;
        if (*p != '=')
            return 0;
        p++;
        while (*p == ' ')
            p++;
        val = p;
        while (*p && *p != ';' && *p != ' ')
            p++;
        vl = (size_t)(p - val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val++;
            vl -= 2;
        }
        if (nl == 7 && strncasecmp(name, "version", 7) == 0 && !(vl == 3 && memcmp(val, "2.1", 3) == 0))
            return 0;
        while (*p == ' ')
            p++;
    }
    return *p == '\0';
}

/* Deepest nesting of the JSON text (strings stepped over); stops counting past max.
 * Also weighs, into *units, what parsing the text into a jansson tree would cost
 * (B6 of the fourth attack): a string, a ',' or a ':' 1, a '[' 2, a '{' 4 (an
 * object's table); measured with glibc, no value shape costs more than 48 bytes of
 * tree per unit (an empty object, the worst: 224 bytes for `{},`), besides the copies
 * of the strings (at most the text's bytes). Stops weighing past max_units. */
static long json_depth(const char *s, size_t len, long max, long max_units, long *units)
{
    long depth = 0, deepest = 0, u = 0;
    int in_str = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            u++;
        } else if (c == '{' || c == '[') {
            u += c == '{' ? 4 : 2;
            if (++depth > deepest)
                deepest = depth;
            if (deepest > max)
                break;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' || c == ':') {
            u++;
        }
        if (max_units > 0 && u > max_units)
            break;
    }
    *units = u;
    return deepest;
}

long fed_json_weight(const char *s, size_t len, long max_units)
{
    long units = 0;

    json_depth(s, len, LONG_MAX, max_units, &units);
    return units;
}

/* id and version (modified, else created) of an object, "" when absent. */
static void id_version(json_t *o, const char **id, const char **ver)
{
    json_t *v;

    *id = json_string_value(json_object_get(o, "id"));
    v = json_object_get(o, "modified");
    if (!json_is_string(v))
        v = json_object_get(o, "created");
    *ver = json_string_value(v);
    if (!*id)
        *id = "";
    if (!*ver)
        *ver = "";
}

static void fingerprint(struct fed_facts *f, json_t *objects)
{
    const char *fid = "", *fver = "", *lid = "", *lver = "";
    XXH3_state_t *st = XXH3_createState();
    char count[32];

    if (f->n_objects > 0) {
        id_version(json_array_get(objects, 0), &fid, &fver);
        id_version(json_array_get(objects, (size_t)f->n_objects - 1), &lid, &lver);
    }
    snprintf(count, sizeof count, "%ld", f->n_objects);
    if (!st) {
        f->fingerprint = 0;
        return;
    }
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, count, strlen(count) + 1);
    XXH3_64bits_update(st, fid, strlen(fid) + 1);
    XXH3_64bits_update(st, fver, strlen(fver) + 1);
    XXH3_64bits_update(st, lid, strlen(lid) + 1);
    XXH3_64bits_update(st, lver, strlen(lver) + 1);
    XXH3_64bits_update(st, f->date_last, strlen(f->date_last) + 1);
    f->fingerprint = XXH3_64bits_digest(st);
    XXH3_freeState(st);
}

void fed_facts_clear(struct fed_facts *f)
{
    if (!f)
        return;
    json_decref(f->env);
    memset(f, 0, sizeof *f);
}

enum fed_code fed_guard_facts(const struct fed_resp *r, const struct fed_opts *o,
                              struct fed_facts *f, struct mz_error *err)
{
    json_t *env, *objects, *more, *next;
    json_error_t jerr;
    long units = 0;

    (void)err;
    memset(f, 0, sizeof *f);
    f->status = r->status;
    f->content_type_ok = taxii_media(r->content_type);
    f->encoded = r->content_encoding[0] && strcasecmp(r->content_encoding, "identity") != 0;
    f->has_date_first = r->has_date_first;
    f->has_date_last = r->has_date_last;
    f->dates_ok = !r->hdr_cut;
    if (r->has_date_first && fed_time_norm(r->date_first, strlen(r->date_first), f->date_first) != 0)
        f->dates_ok = 0;
    if (r->has_date_last && fed_time_norm(r->date_last, strlen(r->date_last), f->date_last) != 0)
        f->dates_ok = 0;
    if (!r->body || r->len == 0 || json_depth(r->body, r->len, o->max_depth, o->max_page_values, &units) > o->max_depth)
        return FED_OK;
    if (o->max_page_values > 0 && units > o->max_page_values) {
        /* never parsed: its tree would outgrow what sync.max_page_values bounds (B6) */
        f->too_dense = 1;
        return FED_OK;
    }
    env = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!env)
        return FED_OK;
    f->json_ok = 1;
    f->env = env;
    if (!json_is_object(env))
        return FED_OK;
    objects = json_object_get(env, "objects");
    more = json_object_get(env, "more");
    next = json_object_get(env, "next");
    if ((objects && !json_is_array(objects)) || (more && !json_is_boolean(more)) ||
        (next && !json_is_string(next)))
        return FED_OK;
    for (size_t i = 0; objects && i < json_array_size(objects); i++)
        if (!json_is_object(json_array_get(objects, i)))
            return FED_OK;
    f->envelope_ok = 1;
    f->n_objects = objects ? (long)json_array_size(objects) : 0;
    f->too_many = o->max_objects > 0 && f->n_objects > o->max_objects;
    f->more = more && json_is_true(more);
    if (next) {
        f->next = json_string_value(next);
        f->next_len = json_string_length(next);
    }
    fingerprint(f, objects);
    return FED_OK;
}

void fed_guard_init(struct fed_guard *g, const struct fed_opts *o)
{
    memset(g, 0, sizeof *g);
    g->page_size = o->page_size > 0 ? o->page_size : 1;
    g->max_stale_pages = o->max_stale_pages;
    g->max_empty_pages = o->max_empty_pages;
    g->max_pages_per_run = o->max_pages_per_run;
    g->max_objects_per_run = o->max_objects_per_run;
    g->max_run_ms = o->max_run_ms;
    g->max_next_len = o->max_next_len;
    g->max_page_values = o->max_page_values;
    g->limit = g->page_size;
}

void fed_guard_free(struct fed_guard *g)
{
    if (!g)
        return;
}

long fed_guard_limit(const struct fed_guard *g)
{
    return g->limit;
}

enum fed_code fed_guard_status(long status, long expected, struct mz_error *err)
{
    if (status == expected)
        return FED_OK;
    if (status >= 300 && status <= 399)
        return fail(err, FED_REDIRECT, "the peer answered %ld (a redirect), which is not followed", status);
    if (status == 401)
        return fail(err, FED_AUTH, "the peer refused our credentials (401): check the peer's secret");
    if (status == 403)
        return fail(err, FED_FORBIDDEN, "the peer does not let us read or write this (403)");
    if (status == 404)
        return fail(err, FED_NOT_FOUND, "the peer has no such API root or collection (404)");
    if (status == 429)
        return fail(err, FED_HTTP_429, "the peer asked us to slow down (429), still after the retries");
    if (status >= 500 && status <= 599)
        return fail(err, FED_HTTP_5XX, "the peer failed (%ld), still after the retries", status);
    if (status >= 400 && status <= 499)
        return fail(err, FED_HTTP_4XX, "the peer refused the request (%ld)", status);
    return fail(err, FED_HTTP_STATUS, "the peer answered %ld where %ld was expected", status, expected);
}

enum fed_code fed_guard_check(struct fed_guard *g, const struct fed_ask *ask, const struct fed_facts *f,
                              struct mz_error *err)
{
    enum fed_code code;
    int fp_repeat = 0, advanced = 0;

    /* the run's own bounds first: what was committed stays, the next run goes on */
    if (g->max_pages_per_run > 0 && g->pages >= g->max_pages_per_run)
        return fail(err, FED_RUN_LIMIT, "the run reached sync.max_pages_per_run (%ld pages); the next run goes on",
                    g->max_pages_per_run);
    if (g->max_run_ms > 0 && ask->run_ms > g->max_run_ms)
        return fail(err, FED_RUN_LIMIT, "the run took longer than sync.max_run_seconds (%ld s); the next run goes on",
                    g->max_run_ms / 1000);
    code = fed_guard_status(f->status, 200, err);
    if (code != FED_OK)
        return code;
    if (f->encoded)
        return fail(err, FED_CONTENT_TYPE, "the peer sent a compressed body (Content-Encoding), which was not asked for");
    if (!f->content_type_ok)
        return fail(err, FED_CONTENT_TYPE,
                    "the peer's answer is not application/taxii+json;version=2.1 (an error page, or another TAXII version?)");
    if (f->too_dense)
        return fail(err, FED_TOO_LARGE,
                    "the peer's page holds more JSON values than sync.max_page_values (%ld) allows; it was not read",
                    g->max_page_values);
    if (!f->json_ok)
        return fail(err, FED_BAD_JSON, "the peer's answer is not JSON, or nested deeper than http.max_depth");
    if (!f->envelope_ok)
        return fail(err, FED_BAD_JSON, "the peer's answer is not a TAXII envelope (objects, more, next of the wrong types)");
    if (f->too_many)
        return fail(err, FED_BAD_JSON, "the peer's page holds %ld objects, more than http.max_objects", f->n_objects);
    if (f->n_objects > ask->limit)
        return fail(err, FED_OVER_LIMIT, "the peer sent %ld objects for a limit of %ld", f->n_objects, ask->limit);
    if (g->max_objects_per_run > 0 && g->objects + f->n_objects > g->max_objects_per_run)
        return fail(err, FED_RUN_LIMIT, "the run reached sync.max_objects_per_run (%lld objects); the next run goes on",
                    g->max_objects_per_run);
    if (f->next && g->max_next_len > 0 && (long)f->next_len > g->max_next_len)
        return fail(err, FED_BAD_HEADER, "the peer's next token is %zu bytes long (sync.max_next_len is %ld)",
                    f->next_len, g->max_next_len);
    if (!f->dates_ok)
        return fail(err, FED_BAD_HEADER, "the peer's X-TAXII-Date-Added-First or -Last is not an RFC 3339 UTC timestamp");
    if (f->n_objects > 0) {
        if (!f->has_date_first || !f->has_date_last)
            return fail(err, FED_BAD_HEADER, "the peer sent objects without X-TAXII-Date-Added-First and -Last");
        if (strcmp(f->date_first, f->date_last) > 0)
            return fail(err, FED_BAD_HEADER, "the peer's X-TAXII-Date-Added-First (%s) is after its -Last (%s)",
                        f->date_first, f->date_last);
        if (ask->added_after[0] && strcmp(f->date_first, ask->added_after) < 0)
            return fail(err, FED_BAD_HEADER, "the peer's X-TAXII-Date-Added-First (%s) is earlier than the added_after asked (%s)",
                        f->date_first, ask->added_after);
    }
    /* An empty page with more whose X-TAXII-Date-Added-Last is further on than any
     * position of the subscription so far (the added_after asked included) is
     * progress: a mreza server states there the last row its page examined when rows
     * this reader may not read spent the page's work (docs/federation.md 10.3, third
     * attack A1). Such pages are bounded by the run's caps; one that moves nowhere is
     * an empty page. */
    if (f->more && f->n_objects == 0 && f->has_date_last && f->date_last[0] &&
        strcmp(f->date_last, g->pos) > 0 && strcmp(f->date_last, ask->added_after) > 0)
        advanced = 1;
    if (f->more && f->n_objects == 0 && !advanced) {
        if (g->empty_run >= g->max_empty_pages)
            return fail(err, FED_EMPTY_PAGES, "the peer sent %ld empty pages in a row that still said more: true",
                        g->empty_run + 1);
    }
    /* A next token the peer sent before is no misbehaviour by itself: TAXII's next is
     * opaque, and a server that keeps one cursor per query (medallion, the OASIS
     * reference server) sends the same token on every page. What a loop looks like is
     * caught below (the same page again), by the empty-page rule and by the run's caps
     * (docs/federation.md 11.6, interoperability). */
    /* the same page again, reached by another next; pages asked again by added_after
     * are the progress rule's (a tie re-read is expected there) */
    if (ask->by_next && f->n_objects > 0) {
        for (size_t i = 0; i < g->n_recent; i++)
            if (g->recent[i] == f->fingerprint)
                fp_repeat = 1;
        if (fp_repeat)
            return fail(err, FED_REPEATED_PAGE, "the peer sent again a page it had sent before (under another next token)");
    }

    /* passed: count it and remember its fingerprint */
    if (f->n_objects > 0) {
        if (g->n_recent == FED_RECENT_PAGES) {
            memmove(g->recent, g->recent + 1, (FED_RECENT_PAGES - 1) * sizeof g->recent[0]);
            g->n_recent--;
        }
        g->recent[g->n_recent++] = f->fingerprint;
    }
    g->empty_run = f->more && f->n_objects == 0 && !advanced ? g->empty_run + 1 : 0;
    if (f->has_date_last && f->date_last[0] && strcmp(f->date_last, g->pos) > 0)
        snprintf(g->pos, sizeof g->pos, "%s", f->date_last);
    g->last_n = f->n_objects;
    g->pages++;
    g->objects += f->n_objects;
    return FED_OK;
}

enum fed_code fed_guard_progress(struct fed_guard *g, const struct fed_ask *ask, long n_new,
                                 struct mz_error *err)
{
    long cap = 4 * g->page_size;

    if (g->last_n == 0)
        return FED_OK;
    if (n_new > 0) {
        g->stale_run = 0;
        return FED_OK;
    }
    g->stale_run++;
    if (g->stale_run > g->max_stale_pages)
        return fail(err, FED_NO_PROGRESS, "%ld pages in a row brought nothing new (sync.max_stale_pages is %ld)",
                    g->stale_run, g->max_stale_pages);
    if (g->limit < cap) {
        g->limit = g->limit > cap / 2 ? cap : g->limit * 2;
        return FED_OK;
    }
    if (!ask->by_next)
        return fail(err, FED_NO_PROGRESS,
                    "pages asked again from the same point bring nothing new even at a limit of %ld (more objects with one date_added than that?)",
                    g->limit);
    return FED_OK;
}
