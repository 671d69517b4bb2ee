/* engine/engine_scan.c - the threaded log matcher (see engine_scan.h), moved here
 * from the CLI so that `mreza match` and POST /api/v1/match run one matcher.
 *
 * An input is held in memory by the caller (engine_input.h for files). Header lines
 * are read by the calling thread (they configure Zeek and CSV parsing and AUTO
 * detection), and the rest is cut at line boundaries into pieces of about
 * piece_bytes, which the threads take one after another as they come free (so that a
 * thread slowed by another tenant of the machine leaves more to the others). Each
 * piece starts from the head's scanner state (plus the Zeek header lines before it)
 * and keeps its hits with piece-local line numbers; they are handed to the caller in
 * input order once every thread is done.
 *
 * Per line: the values go first to the prefilter (svc_prefilter.h) while the next
 * PIPE_DEPTH - 1 lines are scanned, and a line with a "maybe" is scanned again and
 * matched in full (engine_match_observation). JSON lines without a field list have a
 * first stage of their own (match/jscan.h).
 *
 * Ownership: a worker (one per thread) owns its scanners, matcher and scratch and lends
 * them to the piece it runs; a piece owns its hits (struct found, their strings in
 * strs) until they have been handed over. */
#include "engine/engine_scan.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/obsline.h"
#include "engine/svc_prefilter.h"
#include "match/jscan.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define VALUE_SCRATCH (2u << 20)
#define HIT_BYTES ((size_t)8 << 30) /* the most the hits of one piece may take */
#define MAX_PIECES 4096
#ifndef PIPE_DEPTH
#define PIPE_DEPTH 8 /* lines whose prefilter answers are loading at once */
#endif
#define NO_STR SIZE_MAX

/* One hit of one line: the engine_hit's facts, its strings in the piece's strs. */
struct found {
    uint64_t line;         /* piece-local, 1-based */
    size_t field, value;   /* offsets into strs (field NO_STR: none) */
    size_t indicator, matched, owner_identity;
    int64_t owner_org, submitter;
    enum obs_kind kind;
    enum idx_via via;
    int scan, wide;
    int sighting_tlp;
};

/* A piece of the input and what matching it found. The scanners, the matcher and
 * the scratch are the worker's that runs it (borrowed for the run). */
struct chunk {
    const char *p, *end;
    size_t hdr_from, hdr_to; /* Zeek: the header lines (of the pool's) to read first */
    const char *limit;   /* the input's end: jscan may read ahead up to it */
    struct logfmt *fmt;
    struct jscan *js;    /* the first stage for JSON lines without a field list */
    struct engine_matcher *matcher;
    struct obsline *line; /* the current line's values */
    struct pending *pend; /* PIPE_DEPTH lines in the prefilter's pipeline */
    const struct engine *e;
    int prefilter;       /* ask the prefilter about each line first */
    int64_t now;
    uint64_t lines, values, hits, full, matched_values; /* full: lines matched in full */
    uint64_t skipped[LOGFMT_N_SKIP];
    struct found *found;
    size_t n_found, cap_found;
    struct mz_buf strs;  /* the found records' strings */
    uint64_t cur_line;   /* the line being matched in full */
    /* the value of the last hit of the current line (a value's hits come together) */
    const char *rec_value, *rec_field;
    size_t rec_value_off, rec_field_off;
    int failed;
};

/* Keep s (NUL-terminated) in c->strs; its offset, or NO_STR for NULL. */
static size_t keep(struct chunk *c, const char *s)
{
    size_t off = c->strs.len;

    if (!s)
        return NO_STR;
    if (mz_buf_append(&c->strs, s, strlen(s) + 1))
        c->failed = 1;
    return off;
}

static int on_hit(void *ctx, const struct engine_hit *h)
{
    struct chunk *c = ctx;
    struct found *f;

    c->hits++;
    if (c->n_found == c->cap_found) {
        size_t ncap = c->cap_found ? c->cap_found * 2 : 1024;
        struct found *nf = realloc(c->found, ncap * sizeof *nf);
        if (!nf) {
            c->failed = 1;
            return 1;
        }
        c->found = nf;
        c->cap_found = ncap;
    }
    if (c->rec_value != h->value || c->rec_field != h->field || strcmp(c->strs.data + c->rec_value_off, h->value)) {
        /* a value's first hit (a URL's host is looked up from one buffer: the text
         * tells two hosts apart) */
        c->matched_values++;
        c->rec_value = h->value;
        c->rec_field = h->field;
        c->rec_value_off = keep(c, h->value);
        c->rec_field_off = keep(c, h->field);
    }
    f = &c->found[c->n_found++];
    f->line = c->cur_line;
    f->field = c->rec_field_off;
    f->value = c->rec_value_off;
    f->indicator = keep(c, h->indicator);
    f->matched = keep(c, h->matched);
    f->owner_org = h->owner_org;
    f->owner_identity = keep(c, h->owner_identity);
    f->submitter = h->submitter;
    f->kind = h->kind;
    f->via = h->via;
    f->scan = h->scan;
    f->wide = h->wide;
    f->sighting_tlp = h->sighting_tlp;
    return c->failed;
}

/* A line whose values went to the prefilter, waiting for its answer. */
struct pending {
    struct chunk *c;
    const char *line;
    size_t len;
    uint64_t lineno;
    uint64_t values;
    int active;           /* scanned fine: the answer is still to be asked */
    struct hot_probes ps;
};

static int prescan_value(void *ctx, const struct logfmt_value *v)
{
    struct pending *pd = ctx;

    pd->values++;
    svc_prefilter_add(pd->c->e, &pd->ps, v->value, v->value_len, v->kind_hint);
    return pd->ps.maybe; /* a certain "maybe" ends the scan */
}

/* Scan and match one line in full (the line number goes into each found record). */
static void match_full(struct chunk *c, const char *line, size_t len, uint64_t lineno)
{
    enum logfmt_skip skip;

    c->full++;
    c->cur_line = lineno;
    obsline_reset(c->line);
    skip = logfmt_line(c->fmt, line, len, obsline_add, c->line);
    if (skip != LOGFMT_OK) {
        c->skipped[skip]++;
        return;
    }
    c->values += c->line->n;
    if (c->line->n) {
        c->rec_value = c->rec_field = NULL;
        engine_match_observation(c->matcher, c->line->vals, c->line->n, c->now, on_hit, c);
    }
}

/* First stage: the prefilter's scan of a line (no copies); its probes are loading
 * when this returns. */
static void prescan(struct chunk *c, struct pending *pd, const char *line, size_t len)
{
    enum logfmt_skip skip;
    const struct logfmt_span *spans;
    size_t n;

    pd->c = c;
    pd->line = line;
    pd->len = len;
    pd->lineno = ++c->lines;
    pd->values = 0;
    svc_prefilter_reset(&pd->ps);
    skip = logfmt_values_all(c->fmt, line, len, &spans, &n, prescan_value, pd);
    /* the values of a flat JSON line come at once (no call per value) */
    for (size_t i = 0; i < n && !pd->ps.maybe; i++) {
        pd->values++;
        svc_prefilter_add(c->e, &pd->ps, spans[i].p, spans[i].len, -1);
    }
    pd->active = skip == LOGFMT_OK;
    if (skip != LOGFMT_OK)
        c->skipped[skip]++;
}

/* The same for a line jscan found flat: its values and their byte classes are at hand. */
static void prescan_flat(struct chunk *c, struct pending *pd, const char *line, size_t len)
{
    const struct jscan *js = c->js;

    pd->c = c;
    pd->line = line;
    pd->len = len;
    pd->lineno = ++c->lines;
    pd->values = js->n;
    svc_prefilter_reset(&pd->ps);
    svc_prefilter_add_values(c->e, &pd->ps, js->v, js->n);
    pd->active = 1;
}

/* Second stage: the answer; a line that may match is matched in full. */
static void settle(struct chunk *c, struct pending *pd)
{
    if (!pd->active)
        return;
    pd->active = 0;
    if (svc_prefilter_maybe(c->e, &pd->ps))
        match_full(c, pd->line, pd->len, pd->lineno);
    else
        c->values += pd->values;
}

/* One line, both stages at once (the head of an input, and unpipelined formats). */
static void match_line(struct chunk *c, const char *line, size_t len)
{
    if (!c->prefilter) {
        match_full(c, line, len, ++c->lines);
        return;
    }
    prescan(c, &c->pend[0], line, len);
    settle(c, &c->pend[0]);
}

/* Lines of JSON and text are scanned without state, so a line's answer can wait
 * until the next PIPE_DEPTH - 1 lines have been scanned: the prefilter's memory loads
 * (Bloom words, the /24 map: random reads in 8 MiB) then overlap with those scans
 * instead of stalling them (bench/match: depth 8 about 10 % faster than 2). Zeek and CSV
 * lines may carry headers that reconfigure the scanner, so they go one by one. */
static void *run_chunk(void *arg)
{
    struct chunk *c = arg;
    const char *p = c->p;
    enum logfmt_kind kind = logfmt_kind_of(c->fmt);
    int pipelined = c->prefilter && (kind == LOGFMT_JSON || kind == LOGFMT_EVE || kind == LOGFMT_TEXT);
    int fast = pipelined && logfmt_json_all_leaves(c->fmt);
    int cur = 0;

    for (int k = 0; k < PIPE_DEPTH; k++)
        c->pend[k].active = 0;
    /* JSON lines without a field list: jscan finds each line's end and, for a flat
     * line, its values; logfmt decides the others */
    while (fast && p < c->end && !c->failed) {
        int flat;
        size_t len = jscan_line(c->js, p, c->end, c->limit, &flat);
        if (flat)
            prescan_flat(c, &c->pend[cur], p, len);
        else
            prescan(c, &c->pend[cur], p, len);
        cur = (cur + 1) % PIPE_DEPTH;
        settle(c, &c->pend[cur]);
        p += len;
        if (p < c->end)
            p++; /* the '\n' */
    }
    while (p < c->end && !c->failed) {
        const char *nl = memchr(p, '\n', (size_t)(c->end - p));
        const char *e = nl ? nl : c->end;
        if (pipelined) {
            prescan(c, &c->pend[cur], p, (size_t)(e - p));
            cur = (cur + 1) % PIPE_DEPTH;
            settle(c, &c->pend[cur]); /* the oldest line in the pipeline */
        } else {
            match_line(c, p, (size_t)(e - p));
        }
        p = nl ? nl + 1 : c->end;
    }
    for (int k = 1; k <= PIPE_DEPTH; k++)
        settle(c, &c->pend[(cur + k) % PIPE_DEPTH]);
    return NULL;
}

/* What a thread matches with, piece after piece. */
struct worker {
    struct logfmt *fmt;
    struct jscan *js;
    struct engine_matcher *matcher;
    struct pending *pend;
    struct obsline line;
    int own_fmt;          /* fmt is a clone (else the head's prototype itself) */
    struct pool *pool;
};

/* Zeek header lines ('#' at a line start) past the head, in input order. */
struct hdr_lines {
    const char **p;
    size_t *len;
    size_t n, cap;
};

/* The pieces, taken in order by whichever thread is free. */
struct pool {
    struct chunk *pieces;
    size_t n;
    atomic_size_t next;
    const struct logfmt *proto;
    const struct hdr_lines *hdrs;
};

/* fmt: the scanner to use as it is (the head's), or NULL for a clone of proto. */
static int worker_init(struct worker *w, const struct logfmt *proto, struct logfmt *fmt, struct engine *e,
                       const struct principal *who, struct mz_error *err)
{
    memset(w, 0, sizeof *w);
    w->pend = calloc(PIPE_DEPTH, sizeof *w->pend);
    w->js = jscan_new();
    if (!w->pend || !w->js || obsline_init(&w->line, VALUE_SCRATCH))
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    w->fmt = fmt;
    w->own_fmt = fmt == NULL;
    if ((!fmt && logfmt_clone(proto, &w->fmt, err)) || engine_matcher_new(e, who, &w->matcher, err))
        return -1;
    return 0;
}

static void worker_free(struct worker *w)
{
    if (w->own_fmt)
        logfmt_free(w->fmt);
    engine_matcher_free(w->matcher);
    obsline_free(&w->line);
    free(w->pend);
    free(w->js);
}

/* Lend w's scanners and matcher to piece c. */
static void lend(struct worker *w, struct chunk *c)
{
    c->fmt = w->fmt;
    c->js = w->js;
    c->matcher = w->matcher;
    c->line = &w->line;
    c->pend = w->pend;
}

/* prefilter: whether this scan may use the prefilter (decided once, in plan()). */
static void piece_init(struct chunk *c, struct engine *e, int prefilter, int64_t now, const char *limit)
{
    memset(c, 0, sizeof *c);
    mz_buf_init(&c->strs, HIT_BYTES);
    c->e = e;
    c->prefilter = prefilter;
    c->now = now;
    c->limit = limit;
}

static void piece_free(struct chunk *c)
{
    free(c->found);
    mz_buf_free(&c->strs);
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct pool *pool = w->pool;

    for (;;) {
        size_t i = atomic_fetch_add(&pool->next, 1);
        if (i >= pool->n)
            break;
        logfmt_reset(w->fmt, pool->proto); /* each piece starts from the head's state */
        /* ... and the Zeek headers that came since (a log of other columns after the
         * first, as `cat` makes them): header lines count where they are read */
        for (size_t k = pool->pieces[i].hdr_from; k < pool->pieces[i].hdr_to; k++)
            logfmt_line(w->fmt, pool->hdrs->p[k], pool->hdrs->len[k], NULL, NULL);
        lend(w, &pool->pieces[i]);
        run_chunk(&pool->pieces[i]);
    }
    return NULL;
}

/* Cut buf[0..len) at line boundaries into pieces of about piece_bytes (at least one
 * per thread, when there are lines enough) after pieces[0], the head. Returns the
 * number of pieces, the head included. */
static size_t cut_pieces(const char *p, const char *end, struct chunk *pieces, int n_threads, size_t piece_bytes)
{
    size_t left = (size_t)(end - p), n = left / piece_bytes + 1, k = 1;

    if (n < (size_t)n_threads)
        n = (size_t)n_threads;
    if (n > MAX_PIECES - 1)
        n = MAX_PIECES - 1;
    for (size_t i = 0; i < n && p < end; i++) {
        const char *cut = i == n - 1 ? end : p + (size_t)(end - p) / (n - i);
        if (cut < end) {
            const char *nl = memchr(cut, '\n', (size_t)(end - cut));
            cut = nl ? nl + 1 : end;
        }
        pieces[k].p = p;
        pieces[k].end = cut;
        k++;
        p = cut;
    }
    return k;
}

/* Zeek: the header lines of p[0..end) into h; 0, or -1 when out of memory. */
static int find_headers(const char *p, const char *end, struct hdr_lines *h)
{
    for (const char *q = p; q < end; q++) {
        const char *nl;
        if ((q == p || q[-1] == '\n') && *q == '#') {
            if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 64;
                const char **np = realloc(h->p, cap * sizeof *np);
                size_t *nlen = np ? realloc(h->len, cap * sizeof *nlen) : NULL;
                if (np)
                    h->p = np;
                if (!np || !nlen)
                    return -1;
                h->len = nlen;
                h->cap = cap;
            }
            nl = memchr(q, '\n', (size_t)(end - q));
            h->p[h->n] = q;
            h->len[h->n++] = (size_t)((nl ? nl : end) - q);
            q = nl ? nl : end;
            continue;
        }
        q = memchr(q, '\n', (size_t)(end - q));
        if (!q)
            break;
    }
    return 0;
}

/* Which of the header lines piece c must read first: from the last well-formed
 * "#separator" before it (it resets every Zeek setting and the columns, so nothing
 * read before it matters after it: scratch, a Zeek scanner, tells by reading it), up
 * to the piece's start. */
static void piece_headers(struct chunk *c, const struct hdr_lines *h, struct logfmt *scratch)
{
    size_t to = 0, from = 0;

    while (to < h->n && h->p[to] < c->p)
        to++;
    for (size_t k = to; k > 0; k--)
        if (h->len[k - 1] >= 10 && memcmp(h->p[k - 1], "#separator", 10) == 0 &&
            logfmt_line(scratch, h->p[k - 1], h->len[k - 1], NULL, NULL) == LOGFMT_SKIP_HEADER) {
            from = k - 1;
            break;
        }
    c->hdr_from = from;
    c->hdr_to = to;
}

/* Hand c's hits to fn, their line numbers counted from base. 1 when fn said stop. */
static int replay_piece(const struct chunk *c, uint64_t base, engine_scan_fn fn, void *ctx)
{
    for (size_t i = 0; i < c->n_found; i++) {
        const struct found *f = &c->found[i];
        struct engine_hit h;
        h.field = f->field == NO_STR ? NULL : c->strs.data + f->field;
        h.value = c->strs.data + f->value;
        h.kind = f->kind;
        h.via = f->via;
        h.scan = f->scan;
        h.wide = f->wide;
        h.indicator = c->strs.data + f->indicator;
        h.matched = c->strs.data + f->matched;
        h.owner_org = f->owner_org;
        h.owner_identity = c->strs.data + f->owner_identity;
        h.submitter = f->submitter;
        h.sighting_tlp = f->sighting_tlp;
        if (fn(ctx, base + f->line, &h))
            return 1;
    }
    return 0;
}

static void add_totals(const struct chunk *c, struct engine_scan_totals *t)
{
    t->lines += c->lines;
    t->values += c->values;
    t->hits += c->hits;
    t->full += c->full;
    t->matched_values += c->matched_values;
    for (int s = 0; s < LOGFMT_N_SKIP; s++)
        t->skipped[s] += c->skipped[s];
}

static enum mz_err check_opts(const struct engine_scan_opts *o, struct mz_error *err)
{
    if (o->n_threads < 1 || o->n_threads > ENGINE_SCAN_MAX_THREADS)
        return mz_error_set(err, MZ_EINVAL, "", "threads must be between 1 and %d", ENGINE_SCAN_MAX_THREADS);
    if (o->piece_bytes == 0)
        return mz_error_set(err, MZ_EINVAL, "", "the piece size must be positive");
    if (o->n_fields > ENGINE_SCAN_MAX_FIELDS)
        return mz_error_set(err, MZ_EINVAL, "", "at most %d fields", ENGINE_SCAN_MAX_FIELDS);
    return MZ_OK;
}

/* One scan's state, from engine_scan()'s set-up to its clean-up. */
struct scan {
    struct chunk *cs;          /* the pieces, cs[0] the head */
    size_t n_pieces;
    struct worker *ws;         /* ws[0] reads the head; ws[1..] run the pieces */
    int workers;               /* ws[0 .. workers) to free */
    pthread_t tids[ENGINE_SCAN_MAX_THREADS];
    int started;               /* threads to join */
    struct logfmt *proto;      /* the head's scanner, configured by the head */
    struct logfmt *scratch;    /* Zeek: tells well-formed "#separator" lines */
    struct hdr_lines hdrs;
    struct pool pool;
};

/* The head (header lines and the first data line), read by the calling thread with
 * the prototype scanner itself, which it configures. Returns where the rest starts. */
static const char *read_head(struct chunk *head, const struct logfmt *proto, const char *p, const char *end)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        uint64_t headers = head->skipped[LOGFMT_SKIP_HEADER];
        match_line(head, p, (size_t)(e - p));
        p = nl ? nl + 1 : end;
        if (head->skipped[LOGFMT_SKIP_HEADER] == headers && !logfmt_wants_header(proto))
            break; /* past the headers, and the format is settled */
    }
    return p;
}

/* Read the head of data[0..len) and cut the rest into pieces for the pool. */
static enum mz_err plan(struct scan *s, struct engine *e, const struct principal *p, const char *data,
                        size_t len, const struct engine_scan_opts *o, int64_t now, struct mz_error *err)
{
    struct logfmt_opts lo = {o->format, o->n_fields ? o->fields : NULL, o->n_fields};
    /* the prefilter's "no" is certain for p unless a scan pattern p may see is live:
     * a pattern p cannot see turns it off for nobody but its readers */
    int prefilter = !(o->flags & ENGINE_SCAN_NO_PREFILTER) && svc_prefilter_on(e) &&
                    !engine_scan_patterns_reach(e, p, now);
    const char *rest, *end = data + len;

    s->cs = calloc(MAX_PIECES, sizeof *s->cs);
    s->ws = calloc((size_t)o->n_threads + 1, sizeof *s->ws);
    if (!s->cs || !s->ws)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (logfmt_new(&lo, &s->proto, err))
        return err && err->code ? err->code : MZ_ENOMEM;
    s->workers = 1;
    if (worker_init(&s->ws[0], s->proto, s->proto, e, p, err))
        return err && err->code ? err->code : MZ_ENOMEM;
    piece_init(&s->cs[0], e, prefilter, now, end);
    s->n_pieces = 1;
    lend(&s->ws[0], &s->cs[0]);
    rest = read_head(&s->cs[0], s->proto, data, end);
    s->n_pieces = cut_pieces(rest, end, s->cs, o->n_threads, o->piece_bytes);
    for (size_t i = 1; i < s->n_pieces; i++) {
        const char *from = s->cs[i].p, *to = s->cs[i].end;
        piece_init(&s->cs[i], e, prefilter, now, end);
        s->cs[i].p = from;
        s->cs[i].end = to;
    }
    if (logfmt_kind_of(s->proto) == LOGFMT_ZEEK && s->n_pieces > 2) {
        if (find_headers(rest, end, &s->hdrs) || logfmt_clone(s->proto, &s->scratch, err))
            return err && err->code ? err->code : mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        for (size_t i = 1; i < s->n_pieces; i++)
            piece_headers(&s->cs[i], &s->hdrs, s->scratch);
    }
    s->pool.hdrs = &s->hdrs;
    s->pool.pieces = s->cs + 1;
    s->pool.n = s->n_pieces - 1;
    atomic_init(&s->pool.next, 0);
    s->pool.proto = s->proto;
    return MZ_OK;
}

/* Run the pieces: on n_threads threads, or on the caller's when that is one. */
static enum mz_err run(struct scan *s, struct engine *e, const struct principal *p, int n_threads,
                       struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (int i = 1; i <= n_threads && (size_t)i < s->n_pieces; i++) {
        s->workers = i + 1; /* freed at the end, however far its set-up went */
        if (worker_init(&s->ws[i], s->proto, NULL, e, p, err)) {
            rc = err && err->code ? err->code : MZ_ENOMEM;
            break;
        }
        s->ws[i].pool = &s->pool;
        if (n_threads == 1) {
            run_worker(&s->ws[i]);
            continue;
        }
        if (pthread_create(&s->tids[i - 1], NULL, run_worker, &s->ws[i]) != 0) {
            rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start a matcher thread");
            break;
        }
        s->started = i;
    }
    for (int i = 1; i <= s->started; i++)
        pthread_join(s->tids[i - 1], NULL);
    if (!rc && n_threads > 1 && s->started == 0 && s->n_pieces > 1)
        rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start a matcher thread");
    return rc;
}

/* The pieces' hits to fn, in input order, and their counts to t. */
static enum mz_err hand_over(const struct scan *s, engine_scan_fn fn, void *ctx, struct engine_scan_totals *t,
                             struct mz_error *err)
{
    uint64_t base = 0;
    int stopped = 0;

    for (size_t i = 0; i < s->n_pieces; i++)
        if (s->cs[i].failed)
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory while matching");
    for (size_t i = 0; i < s->n_pieces; i++) {
        if (!stopped)
            stopped = replay_piece(&s->cs[i], base, fn, ctx);
        add_totals(&s->cs[i], t);
        base += s->cs[i].lines;
    }
    for (int i = 0; i < s->workers; i++) {
        t->regex_limited += engine_matcher_regex_limited(s->ws[i].matcher);
        engine_matcher_budgets_add(s->ws[i].matcher, &t->budget);
    }
    t->prefilter = s->n_pieces && s->cs[0].prefilter;
    return MZ_OK;
}

static void scan_free(struct scan *s)
{
    for (size_t i = 0; s->cs && i < s->n_pieces; i++)
        piece_free(&s->cs[i]);
    for (int i = 0; i < s->workers; i++)
        worker_free(&s->ws[i]);
    logfmt_free(s->proto);
    logfmt_free(s->scratch);
    free(s->hdrs.p);
    free(s->hdrs.len);
    free(s->cs);
    free(s->ws);
}

enum mz_err engine_scan(struct engine *e, const struct principal *p, const char *data, size_t len,
                        const struct engine_scan_opts *o, engine_scan_fn fn, void *ctx,
                        struct engine_scan_totals *t, struct mz_error *err)
{
    struct scan s;
    int64_t now = o->now_us;
    enum mz_err rc = check_opts(o, err);

    if (rc)
        return rc;
    if (!now) {
        struct mz_time tnow;
        mz_time_now(&tnow);
        now = tnow.sec * 1000000 + tnow.nsec / 1000;
    }
    memset(&s, 0, sizeof s);
    rc = plan(&s, e, p, data, len, o, now, err);
    if (!rc)
        rc = run(&s, e, p, o->n_threads, err);
    if (!rc)
        rc = hand_over(&s, fn, ctx, t, err);
    scan_free(&s);
    return rc;
}

int engine_scan_default_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (cpus < 1)
        return 1;
    return cpus > ENGINE_SCAN_MAX_THREADS ? ENGINE_SCAN_MAX_THREADS : (int)cpus;
}
