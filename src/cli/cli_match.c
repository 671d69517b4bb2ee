/* cli/cli_match.c - `mreza match`: match log files (or stdin, gzip too) against the
 * node's indicators as one organisation or user sees them, with both cores.
 *
 * The index comes from the snapshot the node keeps (<data>/index.snap), mapped at
 * start; a missing, stale or corrupt one is rebuilt from the store and rewritten.
 * An input is held in memory (mapped when it is a plain file), header lines are
 * read by the main thread (they configure Zeek and CSV parsing and AUTO detection),
 * and the rest is cut at line boundaries into pieces of about PIECE_BYTES, which the
 * threads take one after another as they come free (so that a thread slowed by
 * another tenant of the machine leaves more to the others). Each piece starts from
 * the head's scanner state and keeps its matches with piece-local line numbers; they
 * are printed in input order once every thread is done. Output: one JSON line per matched value
 *   {"file":…,"line":N,"field":…,"value":…,"kind":…,"via":…,"indicators":[…]}
 * and a summary (lines, values, matches, skipped lines by reason) on stderr.
 * --report turns the matches into STIX sightings stored as the --as-user user, none
 * wider than its indicator: TLP:AMBER of the user's organisation, addressed also to
 * the organisation that shared the indicator (so the source learns it was seen), when
 * the whole organisation may see the indicator; else TLP:RED to the person who shared
 * it (report_sightings). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/cli.h"
#include "engine/obsline.h"
#include "rules/principal.h"
#include "domain/svc.h"
#include "engine/engine.h"
#include "engine/svc_prefilter.h"
#include "rules/tlp.h"
#include "match/jscan.h"
#include "match/logfmt.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define MAX_THREADS 64
#define MAX_FIELDS 32
#define MATCH_MAX_INPUT ((size_t)64 << 30)
#define VALUE_SCRATCH (2u << 20)
#define PIECE_BYTES ((size_t)8 << 20) /* a thread's helping of the input (--piece-size) */
#define MAX_PIECES 4096
#ifndef PIPE_DEPTH
#define PIPE_DEPTH 8 /* lines whose prefilter answers are loading at once */
#endif

static const char *const via_names[] = {"exact", "parent", "range"};

/* One matched value of one line, formatted except for the line number. */
struct found {
    uint64_t line;    /* chunk-local, 1-based */
    size_t off, len;  /* the JSON after "line":N, in the chunk's out buffer */
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
    const struct engine *si;
    int prefilter;       /* ask the prefilter about each line first */
    int64_t now;
    const char *file;
    uint64_t lines, values, hits, full; /* full: lines matched in full */
    uint64_t skipped[LOGFMT_N_SKIP];
    struct found *found;
    size_t n_found, cap_found;
    struct mz_buf out;
    uint64_t cur_line;   /* the line being matched in full */
    /* the open output record of the current line */
    const char *rec_value;
    const char *rec_field;
    int rec_open;
    int failed;
    /* --report: indicator -> count */
    struct mz_buf sighted;
};

static void close_record(struct chunk *c)
{
    if (!c->rec_open)
        return;
    if (mz_buf_puts(&c->out, "]}\n"))
        c->failed = 1;
    c->found[c->n_found - 1].len = c->out.len - c->found[c->n_found - 1].off;
    c->rec_open = 0;
}

static int on_hit(void *ctx, const struct engine_hit *h)
{
    struct chunk *c = ctx;
    struct mz_buf *b = &c->out;

    c->hits++;
    if (c->sighted.limit && mz_buf_printf(&c->sighted, "%s %lld %lld %d\n", h->indicator, (long long)h->owner_org,
                                          (long long)h->submitter, h->sighting_tlp))
        c->failed = 1;
    if (c->rec_open && c->rec_value == h->value && c->rec_field == h->field) {
        if (mz_buf_printf(b, ",\"%s\"", h->indicator))
            c->failed = 1;
        return 0;
    }
    close_record(c);
    if (c->n_found == c->cap_found) {
        size_t ncap = c->cap_found ? c->cap_found * 2 : 1024;
        struct found *f = realloc(c->found, ncap * sizeof *f);
        if (!f) {
            c->failed = 1;
            return 1;
        }
        c->found = f;
        c->cap_found = ncap;
    }
    c->found[c->n_found].line = c->cur_line;
    c->found[c->n_found].off = b->len;
    c->n_found++;
    mz_buf_puts(b, ",\"field\":");
    mz_buf_json_str(b, h->field ? h->field : "text");
    mz_buf_puts(b, ",\"value\":");
    mz_buf_json_str(b, h->value);
    if (mz_buf_printf(b, ",\"kind\":\"%s\",\"via\":\"%s\",\"indicators\":[\"%s\"", obs_kind_name(h->kind),
                      via_names[h->via], h->indicator))
        c->failed = 1;
    c->rec_value = h->value;
    c->rec_field = h->field;
    c->rec_open = 1;
    return 0;
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
    svc_prefilter_add(pd->c->si, &pd->ps, v->value, v->value_len, v->kind_hint);
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
        engine_match_observation(c->matcher, c->line->vals, c->line->n, c->now, on_hit, c);
        close_record(c);
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
        svc_prefilter_add(c->si, &pd->ps, spans[i].p, spans[i].len, -1);
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
    svc_prefilter_add_values(c->si, &pd->ps, js->v, js->n);
    pd->active = 1;
}

/* Second stage: the answer; a line that may match is matched in full. */
static void settle(struct chunk *c, struct pending *pd)
{
    if (!pd->active)
        return;
    pd->active = 0;
    if (svc_prefilter_maybe(c->si, &pd->ps))
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
static int worker_init(struct worker *w, const struct logfmt *proto, struct logfmt *fmt, struct engine *si,
                       const struct principal *who, struct mz_error *err)
{
    memset(w, 0, sizeof *w);
    w->pend = calloc(PIPE_DEPTH, sizeof *w->pend);
    w->js = jscan_new();
    if (!w->pend || !w->js || obsline_init(&w->line, VALUE_SCRATCH))
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    w->fmt = fmt;
    w->own_fmt = fmt == NULL;
    if ((!fmt && logfmt_clone(proto, &w->fmt, err)) || engine_matcher_new(si, who, &w->matcher, err))
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

static void piece_init(struct chunk *c, struct engine *si, int report, int prefilter, int64_t now,
                       const char *limit)
{
    memset(c, 0, sizeof *c);
    mz_buf_init(&c->out, (size_t)8 << 30);
    mz_buf_init(&c->sighted, report ? (size_t)8 << 30 : 0);
    c->si = si;
    c->prefilter = prefilter && svc_prefilter_on(si);
    c->now = now;
    c->limit = limit;
}

static void piece_free(struct chunk *c)
{
    free(c->found);
    mz_buf_free(&c->out);
    mz_buf_free(&c->sighted);
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

struct totals {
    uint64_t lines, values, hits, matched_values, full;
    uint64_t skipped[LOGFMT_N_SKIP];
    struct mz_buf sighted;
};

static int print_chunk(const struct chunk *c, const char *file, uint64_t base, struct totals *t)
{
    for (size_t i = 0; i < c->n_found; i++) {
        const struct found *f = &c->found[i];
        printf("{\"file\":\"");
        for (const char *s = file; *s; s++)
            if (*s == '"' || *s == '\\')
                printf("\\%c", *s);
            else if ((unsigned char)*s < 0x20)
                printf("\\u%04x", (unsigned char)*s);
            else
                putchar(*s);
        printf("\",\"line\":%llu", (unsigned long long)(base + f->line));
        fwrite(c->out.data + f->off, 1, f->len, stdout);
    }
    t->lines += c->lines;
    t->values += c->values;
    t->hits += c->hits;
    t->full += c->full;
    t->matched_values += c->n_found;
    for (int s = 0; s < LOGFMT_N_SKIP; s++)
        t->skipped[s] += c->skipped[s];
    if (c->sighted.len && mz_buf_append(&t->sighted, c->sighted.data, c->sighted.len))
        return -1;
    return ferror(stdout) ? -1 : 0;
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

/* Match buf[0..len) (one input) with n_threads threads. */
static enum mz_err match_buffer(const char *buf, size_t len, const char *file,
                                const struct logfmt_opts *opts, struct engine *si,
                                const struct principal *who, int n_threads, size_t piece_bytes, int report,
                                int prefilter, struct totals *t, struct mz_error *err)
{
    struct chunk *cs = calloc(MAX_PIECES, sizeof *cs);
    struct worker *ws = calloc((size_t)n_threads + 1, sizeof *ws);
    struct logfmt *proto = NULL;
    pthread_t tids[MAX_THREADS];
    const char *p = buf, *end = buf + len;
    int64_t now;
    struct mz_time tnow;
    enum mz_err rc = MZ_OK;
    uint64_t base = 0;
    size_t n_pieces = 1;
    int started = 0, workers = 0;
    struct pool pool;
    struct hdr_lines hdrs = {NULL, NULL, 0, 0};
    struct logfmt *scratch = NULL; /* Zeek: tells well-formed "#separator" lines */

    if (!cs || !ws) {
        free(cs);
        free(ws);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    mz_time_now(&tnow);
    now = tnow.sec * 1000000 + tnow.nsec / 1000;
    rc = logfmt_new(opts, &proto, err);
    /* The main thread reads the head (header lines and the first data line) with the
     * prototype scanner itself, which the head configures. */
    if (!rc && worker_init(&ws[0], proto, proto, si, who, err))
        rc = err->code ? err->code : MZ_ENOMEM;
    workers = 1;
    if (!rc) {
        piece_init(&cs[0], si, report, prefilter, now, end);
        lend(&ws[0], &cs[0]);
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            uint64_t headers = cs[0].skipped[LOGFMT_SKIP_HEADER];
            match_line(&cs[0], p, (size_t)(e - p));
            p = nl ? nl + 1 : end;
            if (cs[0].skipped[LOGFMT_SKIP_HEADER] == headers && !logfmt_wants_header(proto))
                break; /* past the headers, and the format is settled */
        }
        n_pieces = cut_pieces(p, end, cs, n_threads, piece_bytes);
        if (logfmt_kind_of(proto) == LOGFMT_ZEEK && n_pieces > 2 &&
            (find_headers(p, end, &hdrs) || logfmt_clone(proto, &scratch, err)))
            rc = err->code ? err->code : mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        for (size_t i = 1; i < n_pieces; i++) {
            const char *from = cs[i].p, *to = cs[i].end;
            piece_init(&cs[i], si, report, prefilter, now, end);
            cs[i].p = from;
            cs[i].end = to;
            if (scratch)
                piece_headers(&cs[i], &hdrs, scratch);
        }
        pool.hdrs = &hdrs;
        pool.pieces = cs + 1;
        pool.n = n_pieces - 1;
        atomic_init(&pool.next, 0);
        pool.proto = proto;
        for (int i = 1; !rc && i <= n_threads && (size_t)i < n_pieces; i++) {
            workers = i + 1; /* freed below, however far its set-up went */
            if (worker_init(&ws[i], proto, NULL, si, who, err)) {
                rc = err->code ? err->code : MZ_ENOMEM;
                break;
            }
            ws[i].pool = &pool;
            if (pthread_create(&tids[i - 1], NULL, run_worker, &ws[i]) != 0) {
                rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start a matcher thread");
                break;
            }
            started = i;
        }
    }
    for (int i = 1; i <= started; i++)
        pthread_join(tids[i - 1], NULL);
    if (!rc && started == 0 && n_pieces > 1)
        rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start a matcher thread");
    for (size_t i = 0; !rc && i < n_pieces; i++) {
        if (cs[i].failed)
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory while matching");
        else if (print_chunk(&cs[i], file, base, t))
            rc = mz_error_set(err, MZ_EIO, "", "cannot write the matches: %s", strerror(errno));
        base += cs[i].lines;
    }
    for (size_t i = 0; i < n_pieces; i++)
        piece_free(&cs[i]);
    for (int i = 0; i < workers; i++)
        worker_free(&ws[i]);
    logfmt_free(proto);
    logfmt_free(scratch);
    free(hdrs.p);
    free(hdrs.len);
    free(cs);
    free(ws);
    return rc;
}

/* The whole input in memory: mapped for plain files, read for stdin and gzip. */
struct input {
    const char *data;
    size_t len;
    void *map;
    struct mz_buf buf;
};

static enum mz_err read_all_gz(gzFile gz, struct mz_buf *b, const char *name, struct mz_error *err)
{
    char chunk[1 << 16];
    int n;

    while ((n = gzread(gz, chunk, sizeof chunk)) > 0)
        if (mz_buf_append(b, chunk, (size_t)n))
            return mz_error_set(err, MZ_ETOOBIG, "", "%s is larger than %zu bytes", name, MATCH_MAX_INPUT);
    if (n < 0) {
        int e;
        const char *msg = gzerror(gz, &e);
        return mz_error_set(err, MZ_EIO, "", "cannot read %s: %s", name, msg);
    }
    return MZ_OK;
}

static enum mz_err open_input(const char *path, struct input *in, struct mz_error *err)
{
    unsigned char magic[2] = {0, 0};
    struct stat sb;
    int fd;
    enum mz_err rc;
    gzFile gz;

    memset(in, 0, sizeof *in);
    mz_buf_init(&in->buf, MATCH_MAX_INPUT);
    fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
    if (fd < 0)
        return mz_error_set(err, MZ_EIO, "", "cannot open %s: %s", path, strerror(errno));
    if (strcmp(path, "-") && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        pread(fd, magic, 2, 0) == 2 && !(magic[0] == 0x1f && magic[1] == 0x8b)) {
        if (sb.st_size == 0) {
            close(fd);
            return MZ_OK;
        }
        in->map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (in->map == MAP_FAILED) {
            in->map = NULL;
            return mz_error_set(err, MZ_EIO, "", "cannot map %s: %s", path, strerror(errno));
        }
        madvise(in->map, (size_t)sb.st_size, MADV_SEQUENTIAL);
        in->data = in->map;
        in->len = (size_t)sb.st_size;
        return MZ_OK;
    }
    /* stdin, pipes and gzip (gzread also passes plain data through) */
    gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    gzbuffer(gz, 1 << 17);
    rc = read_all_gz(gz, &in->buf, path, err);
    gzclose(gz);
    in->data = in->buf.data ? in->buf.data : "";
    in->len = in->buf.len;
    return rc;
}

static void close_input(struct input *in)
{
    if (in->map)
        munmap(in->map, in->len);
    mz_buf_free(&in->buf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --report: one sighting per indicator, with its count, stored as the user.
 * sighted holds one indicator id per hit, one per line. */
static enum mz_err report_sightings(struct store *st, const struct principal *who,
                                    struct mz_buf *sighted, const struct mz_time *start,
                                    const struct mz_time *stop, size_t *n_out,
                                    struct mz_error *err)
{
    char first[MZ_TIME_STRLEN], last[MZ_TIME_STRLEN], uuid[MZ_UUID_STRLEN];
    struct bundle_limits lim = {64, 10000000};
    struct svc_ingest_result res;
    struct mz_buf b;
    const char **ids = NULL;
    size_t n_ids = 0, n = 0;
    enum mz_err rc = MZ_OK;

    *n_out = 0;
    if (!sighted->len)
        return MZ_OK;
    if (who->user.id == 0)
        return mz_error_set(err, MZ_EINVAL, "", "--report needs --as-user USER (a person who may write), not --as ORG");
    for (size_t i = 0; i < sighted->len; i++)
        n_ids += sighted->data[i] == '\n';
    ids = malloc((n_ids + 1) * sizeof *ids);
    if (!ids)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    n_ids = 0;
    for (char *p = sighted->data, *nl; (nl = memchr(p, '\n', (size_t)(sighted->data + sighted->len - p))); p = nl + 1) {
        *nl = '\0';
        ids[n_ids++] = p;
    }
    qsort(ids, n_ids, sizeof *ids, cmp_str);
    mz_time_format_us(start, first);
    mz_time_format_us(stop, last);
    mz_buf_init(&b, (size_t)4 << 30);
    mz_uuid_v4(uuid);
    mz_buf_printf(&b, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
    for (size_t i = 0; i < n_ids && !rc;) {
        size_t j = i + 1;
        while (j < n_ids && !strcmp(ids[j], ids[i]))
            j++;
        char id[300], recipients[160] = "";
        long long owner = 0, submitter = 0;
        int level = TLP_RED, got;
        struct store_org src;
        struct store_user sub;
        mz_uuid_v4(uuid);
        /* "indicator--… <owner org> <submitter> <level>": the level tlp.c gave the
         * sighting (tlp_sighting_level). TLP:AMBER of the user's organisation is
         * addressed also to the organisation that shared the indicator, as MISP
         * returns sightings to an event's creator; TLP:RED only to the person who
         * shared it. */
        got = sscanf(ids[i], "%299s %lld %lld %d", id, &owner, &submitter, &level);
        if (got < 1)
            snprintf(id, sizeof id, "%.299s", ids[i]);
        if (got < 4 || (level != TLP_AMBER && level != TLP_RED))
            level = TLP_RED;
        if (level == TLP_AMBER && owner && owner != who->org.id && !store_org_by_id(st, owner, &src, NULL))
            snprintf(recipients, sizeof recipients, ",\"x_mreza_recipient_refs\":[\"%s\"]", src.identity);
        if (level == TLP_RED && submitter && submitter != who->user.id &&
            !store_user_by_id(st, submitter, &sub, NULL))
            snprintf(recipients, sizeof recipients, ",\"x_mreza_recipient_refs\":[\"%s\"]", sub.identity);
        rc = mz_buf_printf(&b,
                           "%s{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--%s\","
                           "\"created\":\"%.23sZ\",\"modified\":\"%.23sZ\",\"sighting_of_ref\":\"%s\","
                           "\"count\":%zu,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
                           "\"where_sighted_refs\":[\"%s\"],\"created_by_ref\":\"%s\","
                           "\"description\":\"reported by mreza match\"%s,"
                           "\"object_marking_refs\":[\"%s\"]}",
                           n ? "," : "", uuid, last, last, id, j - i > 999999999 ? (size_t)999999999 : j - i,
                           first, last, who->org.identity, who->org.identity, recipients,
                           tlp_marking_id((enum tlp_level)level));
        n++;
        i = j;
    }
    if (!rc)
        rc = mz_buf_puts(&b, "]}");
    if (rc)
        mz_error_set(err, rc, "", "too many sightings");
    else
        rc = svc_ingest(st, who, b.data, b.len, &lim, &res, err);
    if (!rc) {
        *n_out = res.n_new;
        svc_ingest_result_free(&res);
    }
    free(ids);
    mz_buf_free(&b);
    return rc;
}

/* --piece-size BYTES (K, M, G: powers of 1024); 0 if malformed. */
static size_t parse_piece_size(const struct cli_args *a)
{
    const char *v = cli_opt(a, "piece-size");
    char *e;
    unsigned long long n;

    if (!v)
        return PIECE_BYTES;
    if (*v < '0' || *v > '9')
        return 0;
    n = strtoull(v, &e, 10);
    if (*e == 'K' || *e == 'k')
        n <<= 10, e++;
    else if (*e == 'M' || *e == 'm')
        n <<= 20, e++;
    else if (*e == 'G' || *e == 'g')
        n <<= 30, e++;
    return *e || n == 0 || n > ((size_t)1 << 40) ? 0 : (size_t)n;
}

static int parse_threads(const struct cli_args *a)
{
    const char *v = cli_opt(a, "threads");
    long n = v ? strtol(v, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    return (int)n;
}

int cli_match(struct cli_args *a)
{
    struct store *st = NULL;
    struct engine *si = NULL;
    struct principal who;
    struct mz_error err;
    struct logfmt_opts opts = {LOGFMT_AUTO, NULL, 0};
    const char *fields[MAX_FIELDS], *fmt = cli_opt(a, "format");
    char snap[MZ_CONF_STR_LEN + 32], how[300];
    struct totals t;
    struct mz_time start, stop;
    struct timespec t0, t1;
    int n_threads = parse_threads(a), report = cli_flag(a, "report"), rc = 0;
    int prefilter = !cli_flag(a, "no-prefilter");
    size_t n_fields = 0, n_sightings = 0, piece_bytes = parse_piece_size(a);

    mz_error_clear(&err);
    memset(&t, 0, sizeof t);
    mz_buf_init(&t.sighted, (size_t)8 << 30);
    if (fmt && (int)(opts.kind = (enum logfmt_kind)logfmt_kind_parse(fmt)) < 0)
        return cli_failf("--format must be auto, json, eve, zeek, csv or text");
    if (!piece_bytes)
        return cli_failf("--piece-size must be a positive number of bytes, with an optional K, M or G");
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "field") && n_fields < MAX_FIELDS)
            fields[n_fields++] = a->opt[i].val;
    if (n_fields) {
        opts.fields = fields;
        opts.n_fields = n_fields;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mz_time_now(&start);
    snprintf(snap, sizeof snap, "%s/index.snap", a->conf.data_dir);
    if (cli_open_store(a, &st, &err) || cli_principal(st, a, "as-user", &who, &err) ||
        engine_snapshot_open(st, snap, &si, how, sizeof how, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    for (int i = 0; i < (a->n_pos ? a->n_pos : 1); i++) {
        const char *path = a->n_pos ? a->pos[i] : "-";
        struct input in;
        enum mz_err mrc = open_input(path, &in, &err);
        if (!mrc)
            mrc = match_buffer(in.data, in.len, path, &opts, si, &who, n_threads, piece_bytes, report, prefilter,
                               &t, &err);
        close_input(&in);
        if (mrc) {
            rc = cli_fail(&err);
            goto out;
        }
    }
    fflush(stdout);
    mz_time_now(&stop);
    if (report && report_sightings(st, &who, &t.sighted, &start, &stop, &n_sightings, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr,
            "mreza match: index %s; %llu lines, %llu values, %llu matched values (%llu indicator hits)",
            how, (unsigned long long)t.lines, (unsigned long long)t.values,
            (unsigned long long)t.matched_values, (unsigned long long)t.hits);
    for (int s = 1; s < LOGFMT_N_SKIP; s++)
        if (t.skipped[s])
            fprintf(stderr, ", skipped %llu %s", (unsigned long long)t.skipped[s], logfmt_skip_name((enum logfmt_skip)s));
    if (report)
        fprintf(stderr, ", %zu sightings stored", n_sightings);
    if (!prefilter)
        fprintf(stderr, "; prefilter off (--no-prefilter)");
    else if (!svc_prefilter_on(si))
        fprintf(stderr, "; prefilter off (a pattern is evaluated on every value)");
    else
        fprintf(stderr, "; prefilter: %llu lines matched in full", (unsigned long long)t.full);
    fprintf(stderr, "; %.3f s, %d threads\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, n_threads);
out:
    mz_buf_free(&t.sighted);
    engine_free(si);
    store_close(st);
    return rc;
}
