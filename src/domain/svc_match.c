/* domain/svc_match.c - see svc_match.h: the match, correlation and index-figure use
 * cases over the indicator engine. Logs of any source (files for `mreza match`, the
 * lines of a request for the API) go through one call, engine_scan(); a request's
 * values through engine_match_observation(). Hits are turned into the one hit record
 * (struct svc_match_hit) both front ends print, and - for `--report` - collected per
 * indicator for the sighting use case (svc_sighting.h). */
#include "domain/svc_match.h"

#include <stdio.h>
#include <string.h>

#include "domain/authz.h"
#include "engine/engine.h"
#include "engine/engine_input.h"
#include "engine/engine_scan.h"
#include "engine/svc_prefilter.h"
#include "match/logfmt.h"
#include "util/log.h"
#include "util/timefmt.h"

_Static_assert(SVC_MATCH_N_SKIP == LOGFMT_N_SKIP, "skip reasons: one list");
_Static_assert(SVC_MATCH_MAX_FIELDS == ENGINE_SCAN_MAX_FIELDS, "field limits: one value");
_Static_assert(SVC_MATCH_MAX_THREADS == ENGINE_SCAN_MAX_THREADS, "thread limits: one value");
_Static_assert(SVC_MATCH_BUDGET_OWNERS == ENGINE_BUDGET_OWNERS, "organisations named: one value");

#define SNAPSHOT_NAME "index.snap"
#define LINES_MAX_BYTES ((size_t)1 << 31) /* the lines of one request, joined */

static const char *const via_names[] = {"exact", "parent", "range"};

static int64_t now_us(void)
{
    struct mz_time t;

    mz_time_now(&t);
    return t.sec * 1000000 + t.nsec / 1000;
}

int svc_match_format(const char *name)
{
    return logfmt_kind_parse(name);
}

const char *svc_match_skip_name(int reason)
{
    return logfmt_skip_name((enum logfmt_skip)reason);
}

enum mz_err svc_match_hit_json(struct mz_buf *b, const struct svc_match_hit *h)
{
    enum mz_err rc;

    if (h->file) {
        mz_buf_puts(b, "{\"file\":");
        mz_buf_json_str(b, h->file);
        mz_buf_printf(b, ",\"line\":%llu,\"field\":", (unsigned long long)h->pos);
    } else {
        mz_buf_printf(b, "{\"item\":%llu,\"field\":", (unsigned long long)h->pos);
    }
    mz_buf_json_str(b, h->field ? h->field : "value");
    mz_buf_puts(b, ",\"value\":");
    mz_buf_json_str(b, h->value);
    mz_buf_printf(b, ",\"kind\":\"%s\",\"via\":\"%s\",\"indicator\":", obs_kind_name(h->kind), h->via);
    mz_buf_json_str(b, h->indicator);
    mz_buf_puts(b, ",\"matched\":");
    mz_buf_json_str(b, h->matched);
    if (h->submitted_by && h->submitted_by[0]) {
        mz_buf_puts(b, ",\"submitted_by\":");
        mz_buf_json_str(b, h->submitted_by);
    }
    rc = mz_buf_putc(b, '}');
    return rc;
}

void svc_match_configure(struct engine *e, const struct mz_conf *conf, int requests)
{
    struct engine_limits lim;

    memset(&lim, 0, sizeof lim);
    lim.regex.steps = (uint32_t)conf->match_regex_steps;
    lim.regex.heap_kib = (uint32_t)(conf->match_regex_heap >> 10);
    lim.value_budget = (uint64_t)conf->match_regex_budget;
    lim.run_budget = requests ? (uint64_t)conf->match_regex_request_budget : 0;
    lim.org_value_budget = (uint64_t)conf->match_regex_org_budget;
    lim.org_run_budget = requests ? (uint64_t)conf->match_regex_org_request_budget : 0;
    lim.hit_value_budget = (uint64_t)conf->match_hit_budget;
    lim.hit_run_budget = requests ? (uint64_t)conf->match_hit_request_budget : 0;
    lim.wide_prefix4 = (int)conf->match_report_min_prefix4;
    lim.wide_prefix6 = (int)conf->match_report_min_prefix6;
    lim.hit_org_value_budget = (uint64_t)conf->match_hit_org_budget;
    lim.hit_org_run_budget = requests ? (uint64_t)conf->match_hit_org_request_budget : 0;
    lim.wide_space4 = (uint64_t)conf->match_report_max_space4;
    lim.wide_space6 = (uint64_t)conf->match_report_max_space6;
    engine_set_limits(e, &lim);
}

enum mz_err svc_match_open(struct store *st, const char *data_dir, const struct mz_conf *conf,
                           struct engine **out, char *how, size_t how_cap, struct mz_error *err)
{
    char path[4096];
    enum mz_err rc;

    if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, SNAPSHOT_NAME) >= sizeof path)
        return mz_error_set(err, MZ_EINVAL, "", "the data directory's name is too long");
    rc = engine_snapshot_open(st, path, out, how, how_cap, err);
    if (!rc && conf)
        svc_match_configure(*out, conf, 0);
    return rc;
}

/* The decisions that a test is no match because it reached a limit, or that an
 * organisation's patterns are because their budget ran out, are the evaluator's and
 * the engine's; the counts are logged here, once per call, where the outcome of the
 * whole match is known, naming the organisations whose budget ran out (so that the
 * operator can tell whose patterns cost). */
static void log_limited(const struct principal *p, const char *what, const struct svc_match_totals *t)
{
    const char *user = p->user.name[0] ? p->user.name : "-", *org = p->org.name[0] ? p->org.name : "-";

    if (t->regex_limited)
        MZ_LOG(MZ_LOG_WARN, "event=regex_limit use=%s evaluations=%llu user=%s org=%s", what,
               (unsigned long long)t->regex_limited, user, org);
    if (t->budget_spent) {
        char owners[SVC_MATCH_BUDGET_OWNERS * (STORE_IDENT_LEN + 24)] = "";
        size_t o = 0;
        for (size_t i = 0; i < t->n_budget_owners && o < sizeof owners; i++)
            o += (size_t)snprintf(owners + o, sizeof owners - o, "%s%s:%llu", i ? "," : "",
                                  t->budget_owners[i].submitted_by[0] ? t->budget_owners[i].submitted_by : "-",
                                  (unsigned long long)t->budget_owners[i].values);
        MZ_LOG(MZ_LOG_WARN, "event=match_budget use=%s values=%llu owners=%s user=%s org=%s", what,
               (unsigned long long)t->budget_spent, owners, user, org);
    }
}

/* The engine's spent budgets into t. */
static void add_budgets(const struct engine_budget_totals *b, struct svc_match_totals *t)
{
    t->budget_spent += b->values;
    for (size_t i = 0; i < b->n_owners; i++) {
        size_t k = 0;
        while (k < t->n_budget_owners && strcmp(t->budget_owners[k].submitted_by, b->owners[i].identity))
            k++;
        if (k == t->n_budget_owners && k < SVC_MATCH_BUDGET_OWNERS) {
            snprintf(t->budget_owners[k].submitted_by, sizeof t->budget_owners[k].submitted_by, "%s",
                     b->owners[i].identity);
            t->budget_owners[k].values = 0;
            t->n_budget_owners++;
        }
        if (k < t->n_budget_owners)
            t->budget_owners[k].values += b->owners[i].values;
    }
}

void svc_match_close(struct engine *e)
{
    engine_free(e);
}

/* ---- hits ---- */

/* What a scan's hits go to: the front end's function, and the sightings. */
struct sink {
    svc_match_hit_fn fn;
    void *ctx;
    const char *file;          /* NULL: a request's lines (pos counts from 0) */
    int stopped;               /* fn said stop */
    struct svc_sighted_list *sighted;
    int64_t start_us;          /* when the run began (a sighting's first_seen) */
    enum mz_err rc;            /* collecting the sightings failed */
};

static void to_hit(const struct engine_hit *eh, const char *file, uint64_t pos, struct svc_match_hit *h)
{
    h->file = file;
    h->pos = pos;
    h->field = eh->field;
    h->value = eh->value;
    h->kind = eh->kind;
    h->via = via_names[eh->via];
    h->indicator = eh->indicator;
    h->matched = eh->matched;
    h->submitted_by = eh->owner_identity;
}

static int on_scan_hit(void *ctx, uint64_t line, const struct engine_hit *eh)
{
    struct sink *s = ctx;
    struct svc_match_hit h;

    if (s->sighted && !s->rc) {
        struct svc_sighted rec = {eh->indicator, eh->owner_org, eh->submitter, eh->sighting_tlp, 1,
                                  s->start_us, now_us(), eh->scan, eh->wide};
        s->rc = svc_sighted_list_add(s->sighted, &rec);
    }
    if (!s->stopped) {
        to_hit(eh, s->file, s->file ? line : line - 1, &h);
        s->stopped = s->fn(s->ctx, &h) != 0;
    }
    return s->rc || (s->stopped && !s->sighted);
}

/* ---- logs ---- */

static void scan_opts(const struct svc_match_opts *o, struct engine_scan_opts *so)
{
    memset(so, 0, sizeof *so);
    so->format = (enum logfmt_kind)o->format;
    so->fields = o->n_fields ? o->fields : NULL;
    so->n_fields = o->n_fields;
    so->n_threads = o->n_threads > 0 ? o->n_threads : engine_scan_default_threads();
    if (so->n_threads > ENGINE_SCAN_MAX_THREADS)
        so->n_threads = ENGINE_SCAN_MAX_THREADS;
    so->piece_bytes = o->piece_bytes ? o->piece_bytes : ENGINE_SCAN_PIECE_BYTES;
    so->flags = o->flags & SVC_MATCH_NO_PREFILTER ? ENGINE_SCAN_NO_PREFILTER : 0;
}

static enum mz_err check_opts(const struct svc_match_opts *o, struct mz_error *err)
{
    if (o->format < 0 || o->format > LOGFMT_TEXT)
        return mz_error_set(err, MZ_EINVAL, "/format", "format must be auto, json, eve, zeek, csv or text");
    if (o->n_fields > SVC_MATCH_MAX_FIELDS)
        return mz_error_set(err, MZ_EINVAL, "/fields", "at most %d fields", SVC_MATCH_MAX_FIELDS);
    return MZ_OK;
}

static void add_totals(const struct svc_match_opts *o, const struct engine_scan_opts *so,
                       const struct engine_scan_totals *et, struct svc_match_totals *t)
{
    t->n_threads = so->n_threads;
    t->lines += et->lines;
    t->values += et->values;
    t->hits += et->hits;
    t->matched_values += et->matched_values;
    t->full += et->full;
    t->regex_limited += et->regex_limited;
    add_budgets(&et->budget, t);
    for (int i = 0; i < SVC_MATCH_N_SKIP; i++)
        t->skipped[i] += et->skipped[i];
    t->prefilter = o->flags & SVC_MATCH_NO_PREFILTER ? SVC_MATCH_PREFILTER_OFF
                   : et->prefilter                     ? SVC_MATCH_PREFILTER_ON
                                                       : SVC_MATCH_PREFILTER_NONE;
}

enum mz_err svc_match_files(struct engine *e, const struct principal *p, const char *const *paths, size_t n,
                            const struct svc_match_opts *o, svc_match_hit_fn fn, void *ctx,
                            struct svc_match_totals *t, struct svc_sighted_list *sighted, struct mz_error *err)
{
    struct engine_scan_opts so;
    struct engine_scan_totals et;
    struct sink s = {fn, ctx, NULL, 0, sighted, now_us(), MZ_OK};
    enum mz_err rc = check_opts(o, err);

    scan_opts(o, &so);
    memset(&et, 0, sizeof et);
    for (size_t i = 0; i < n && !rc; i++) {
        struct engine_input in;
        rc = engine_input_open(paths[i], &in, err);
        s.file = paths[i];
        so.now_us = now_us();
        if (!rc)
            rc = engine_scan(e, p, in.data, in.len, &so, on_scan_hit, &s, &et, err);
        engine_input_close(&in);
        if (!rc && s.rc)
            rc = mz_error_set(err, s.rc, "", "out of memory while collecting sightings");
    }
    add_totals(o, &so, &et, t);
    log_limited(p, "files", t);
    if (sighted)
        svc_sighted_list_merge(sighted);
    return rc;
}

enum mz_err svc_match_lines(struct engine *e, const struct principal *p, const struct svc_match_line *lines,
                            size_t n, const struct svc_match_opts *o, svc_match_hit_fn fn, void *ctx,
                            struct svc_match_totals *t, struct mz_error *err)
{
    struct engine_scan_opts so;
    struct engine_scan_totals et;
    struct sink s = {fn, ctx, NULL, 0, NULL, 0, MZ_OK};
    struct mz_buf b;
    enum mz_err rc = check_opts(o, err);

    if (rc)
        return rc;
    /* one log, one line per string: what engine_scan() reads */
    mz_buf_init(&b, LINES_MAX_BYTES);
    for (size_t i = 0; i < n && !rc; i++) {
        if (memchr(lines[i].p, '\n', lines[i].len)) {
            char field[48];
            snprintf(field, sizeof field, "/lines/%zu", i);
            rc = mz_error_set(err, MZ_EINVAL, field, "a line must not contain a line break");
        } else if (mz_buf_append(&b, lines[i].p, lines[i].len) || mz_buf_putc(&b, '\n')) {
            rc = mz_error_set(err, MZ_ETOOBIG, "/lines", "the lines are too long");
        }
    }
    scan_opts(o, &so);
    so.n_threads = 1; /* a request's lines: on the request's own thread */
    so.now_us = now_us();
    memset(&et, 0, sizeof et);
    if (!rc)
        rc = engine_scan(e, p, b.data ? b.data : "", b.len, &so, on_scan_hit, &s, &et, err);
    if (!rc) {
        add_totals(o, &so, &et, t);
        log_limited(p, "lines", t);
    }
    mz_buf_free(&b);
    return rc;
}

/* ---- values ---- */

struct values_sink {
    svc_match_hit_fn fn;
    void *ctx;
    size_t item;
    int stopped;
};

static int on_value_hit(void *ctx, const struct engine_hit *eh)
{
    struct values_sink *s = ctx;
    struct svc_match_hit h;

    to_hit(eh, NULL, s->item, &h);
    s->stopped = s->fn(s->ctx, &h) != 0;
    return s->stopped;
}

enum mz_err svc_match_values(struct engine *e, const struct principal *p, const struct svc_match_value *values,
                             size_t n, svc_match_hit_fn fn, void *ctx, struct svc_match_totals *t,
                             struct mz_error *err)
{
    struct engine_matcher *m = NULL;
    struct engine_budget_totals b;
    struct values_sink s = {fn, ctx, 0, 0};
    int64_t now = now_us();
    enum mz_err rc = engine_matcher_new(e, p, &m, err);

    for (size_t i = 0; !rc && i < n && !s.stopped; i++) {
        struct engine_value v = {"value", values[i].value, values[i].len, values[i].kind};
        s.item = i;
        engine_match_observation(m, &v, 1, now, on_value_hit, &s);
    }
    memset(&b, 0, sizeof b);
    engine_matcher_budgets_add(m, &b);
    t->regex_limited += engine_matcher_regex_limited(m);
    add_budgets(&b, t);
    log_limited(p, "values", t);
    engine_matcher_free(m);
    return rc;
}

/* ---- correlation, figures ---- */

struct related_sink {
    svc_related_fn fn;
    void *ctx;
};

static int on_related(void *ctx, const struct engine_related *er)
{
    struct related_sink *s = ctx;
    struct svc_related r = {er->id, er->value, er->kind, er->tlp, er->owner_identity};

    return s->fn(s->ctx, &r);
}

size_t svc_correlate(struct engine *e, const struct principal *p, enum obs_kind kind, const char *canon,
                     size_t len, svc_related_fn fn, void *ctx)
{
    struct related_sink s = {fn, ctx};

    return engine_correlate_value(e, p, (int)kind, canon, len, on_related, &s);
}

enum mz_err svc_index_stats(struct engine *e, const struct principal *p, struct svc_index_stats *out,
                            struct mz_error *err)
{
    struct engine_stats s;

    enum mz_err rc = authz_check(p, AUTHZ_INDEX_STATS, err);

    if (rc)
        return rc;
    engine_stats(e, &s);
    out->objects = s.idx.n_objs;
    out->keys = s.idx.n_entries;
    out->postings = s.idx.n_posts;
    out->bytes = s.idx.bytes;
    out->candidate_patterns = s.n_candidate;
    out->scan_patterns = s.n_scan;
    out->generation = s.generation;
    return MZ_OK;
}
