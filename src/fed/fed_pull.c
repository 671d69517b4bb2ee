/* fed/fed_pull.c - one peer's sync run (docs/federation.md 10.3): its lock, its
 * status, discovery, and the pull loop of each of its subscriptions. Every page goes
 * through the guard (fed_guard.c) before anything of it is applied, and is then
 * applied by svc_sync_apply_page in ONE transaction with its bookmark, so a run
 * stopped anywhere (a hostile page, a timeout, kill -9) leaves the store at the end
 * of the last page applied, and the next run goes on from its bookmark. fed holds no
 * store connection of its own: the caller's st is used, and only through svc_sync_*.
 * After the pulls, a peer whose direction is push or both is pushed (fed_push.c). */
#include "fed/fed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "fmt/bundle.h"
#include "util/lockfile.h"
#include "util/log.h"

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The CPU time of the calling thread, milliseconds (what a page cost it, whatever
 * else the machine runs). */
static long cpu_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* What one run keeps while it goes through the subscriptions. */
struct run_ctx {
    struct store *st;
    const struct principal *p;
    const struct svc_sync_plan *pl;
    const struct fed_sync_opts *so;
    const struct fed_opts *o;
    struct fed_http *h;
    struct fed_guard g;
    struct bundle_limits lim;
    struct fed_run *run;
    long start_ms;
    int taxii;
    atomic_int cancel; /* 1: the fetch thread's request is no longer wanted (run_stop) */
};

/* s percent-encoded (RFC 3986 unreserved kept) appended at out+used, cap bytes. */
static size_t put_enc(char *out, size_t used, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s && used + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out[used++] = (char)c;
        } else {
            out[used++] = '%';
            out[used++] = hex[c >> 4];
            out[used++] = hex[c & 15];
        }
    }
    out[used] = '\0';
    return used;
}

/* The objects URL of collection, asking limit, from after, and by next when there is
 * one. A next is sent with the query it was issued for, added_after included: a
 * server may bind its token to the query (mreža does, docs/api.md), and a run resumed
 * from a bookmark asks its first page with added_after. */
static void objects_url(const char *root, const char *collection, long limit, const char *next, const char *after,
                        char *out, size_t cap)
{
    size_t used;

    snprintf(out, cap, "%s%scollections/", root, root[0] && root[strlen(root) - 1] == '/' ? "" : "/");
    used = put_enc(out, strlen(out), cap, collection);
    used += (size_t)snprintf(out + used, cap - used, "/objects/?match%%5Bversion%%5D=all&limit=%ld", limit);
    if (used >= cap)
        return;
    if (after && *after) {
        used += (size_t)snprintf(out + used, cap - used, "&added_after=");
        if (used < cap)
            used = put_enc(out, used, cap, after);
    }
    if (used < cap && next && *next) {
        used += (size_t)snprintf(out + used, cap - used, "&next=");
        if (used < cap)
            put_enc(out, used, cap, next);
    }
}

/* Where a taxii peer is asked from: a microsecond before the last date_added applied,
 * so that a tie on it is read again (10.3); a mreza peer: from it exactly. */
static void ask_from(const struct run_ctx *c, const char *last, char out[FED_TIME_LEN])
{
    char norm[FED_TIME_LEN];

    out[0] = '\0';
    if (!last || !*last || fed_time_norm(last, strlen(last), norm))
        return;
    if (!c->taxii || fed_time_minus_1us(norm, out))
        snprintf(out, FED_TIME_LEN, "%s", norm);
}

/* ---- the fetch thread: page N+1 fetched and read while page N is applied ----
 *
 * One thread per pull_one, one request at a time (a queue one deep): the run's
 * thread posts the URL of the next page (fetcher_post) as soon as the guard has
 * passed page N, applies page N in its transaction, and then takes page N+1
 * (fetcher_take). The fetcher does only what touches no store and no guard state:
 * fed_http_fetch, fed_guard_facts (the page's parse, a pure function of the
 * response) and svc_sync_prepare (each object's validation and the bytes it is
 * stored with: rules, fmt and jansson, no store);
 * it also frees the page the run hands back once applied (fetcher_give_back).
 * Everything of the run - the guard's judgement, the apply, the bookmark, the counts,
 * the log - stays on the run's thread and in page order, so decision 6 (a page, its
 * objects and its bookmark in one transaction) holds as before.
 *
 * Threads and data (what a race checker would be told): every field of struct
 * fetcher below `mu` is read and written only with mu held; the run's `cancel` is an
 * atomic. The fetcher owns its struct fetched (`res`) from the moment it takes a URL
 * until it sets `ready`; the run's thread owns it from fetcher_take on. The curl
 * handle (c->h) is used by the fetcher only while a request is posted and not yet
 * taken, and by the run's thread (discovery, push) only when none is: fetcher_stop
 * ends any request before pull_one returns. The options (c->o) and the limits are
 * read-only while the thread runs. Stop: run_stop (the fed_opts stop hook of the
 * run's handle) answers 1 when `cancel` is set or the caller's stop says so; libcurl
 * asks it during a transfer and fed_http between retries, so a posted request that
 * is no longer wanted (a guard or store failure, SIGTERM through the node's stop)
 * ends within libcurl's progress interval instead of its timeouts and retries. If
 * the thread cannot be made, each request is made on the run's thread (the same
 * results, in series). */

/* A page as the fetcher read it. */
struct fetched {
    enum fed_code code;  /* of the request (then of fed_guard_facts) */
    struct fed_resp r;
    struct fed_facts f;
    struct svc_sync_prep *prep; /* svc_sync_prepare of f.env, or NULL */
    struct mz_error err;
    long ms;             /* the fetch and the read, milliseconds */
    long cpu_ms;         /* ... of which the CPU time of the thread that made them */
};

struct fetcher {
    struct run_ctx *c;      /* read-only here: c->h, c->o (c->cancel: atomic) */
    pthread_t th;
    int started;            /* the thread runs (else fetcher_post fetches inline) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    char *url;              /* posted, not yet taken by the thread (heap) */
    int busy;               /* a request is posted and its result not yet taken */
    int ready;              /* res holds the result */
    int quit;
    struct fetched res;
    struct fetched *spent;  /* applied, for the thread to free */
};

static void fetched_free(struct fetched *x)
{
    if (!x)
        return;
    svc_sync_prep_free(x->prep); /* before the tree it borrows from */
    fed_facts_clear(&x->f);
    fed_resp_free(&x->r);
    memset(x, 0, sizeof *x);
}

/* One request and its reading, on whichever thread runs it. */
static void fetch_one(struct run_ctx *c, const char *url, struct fetched *x)
{
    struct fed_req rq = {"GET", url, NULL, 0};
    long t0 = now_ms(), c0 = cpu_ms();

    memset(x, 0, sizeof *x);
    mz_error_clear(&x->err);
    x->code = fed_http_fetch(c->h, &rq, &x->r, &x->err);
    if (x->code == FED_OK)
        x->code = fed_guard_facts(&x->r, c->o, &x->f, &x->err);
    /* what the apply would do first that reads no store: each object validated and
     * its bytes found (svc_sync_prepare), here, beside the apply of the page before */
    if (x->code == FED_OK && x->r.status == 200 && x->f.envelope_ok)
        x->prep = svc_sync_prepare(x->r.body, x->r.len, x->f.env, c->taxii ? c->pl->unmarked : 0, c->o->max_depth);
    x->ms = now_ms() - t0;
    x->cpu_ms = cpu_ms() - c0;
}

static void *fetcher_main(void *arg)
{
    struct fetcher *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        char *url;
        struct fetched *spent, x;

        while (!q->quit && !q->url && !q->spent)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->url) { /* first: the run may be waiting for it */
            url = q->url;
            q->url = NULL;
            pthread_mutex_unlock(&q->mu);
            fetch_one(q->c, url, &x);
            free(url);
            pthread_mutex_lock(&q->mu);
            q->res = x;
            q->ready = 1;
            pthread_cond_broadcast(&q->cv);
        } else if (q->spent) { /* freed outside the lock */
            spent = q->spent;
            q->spent = NULL;
            pthread_mutex_unlock(&q->mu);
            fetched_free(spent);
            free(spent);
            pthread_mutex_lock(&q->mu);
        } else {
            break; /* quit, nothing left */
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void fetcher_start(struct fetcher *q, struct run_ctx *c)
{
    memset(q, 0, sizeof *q);
    q->c = c;
    if (pthread_mutex_init(&q->mu, NULL))
        return;
    if (pthread_cond_init(&q->cv, NULL)) {
        pthread_mutex_destroy(&q->mu);
        return;
    }
    q->started = pthread_create(&q->th, NULL, fetcher_main, q) == 0;
    if (!q->started) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
    }
}

/* Ask for url (copied). Nothing may be posted already (one deep). FED_NOMEM if the
 * copy cannot be made. */
static enum fed_code fetcher_post(struct fetcher *q, const char *url, struct mz_error *err)
{
    char *u = strdup(url);

    if (!u) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    if (!q->started) { /* no thread: made here, taken at once */
        fetch_one(q->c, u, &q->res);
        free(u);
        q->busy = q->ready = 1;
        return FED_OK;
    }
    pthread_mutex_lock(&q->mu);
    q->url = u;
    q->busy = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return FED_OK;
}

/* The result of the request posted (*out owned by the caller from now), and the
 * milliseconds the run's thread waited for it. */
static long fetcher_take(struct fetcher *q, struct fetched *out)
{
    long t0 = now_ms();

    if (q->started) {
        pthread_mutex_lock(&q->mu);
        while (!q->ready)
            pthread_cond_wait(&q->cv, &q->mu);
        pthread_mutex_unlock(&q->mu);
    }
    *out = q->res;
    memset(&q->res, 0, sizeof q->res);
    q->ready = q->busy = 0;
    return now_ms() - t0;
}

/* A page applied (or refused): freed by the thread while the run goes on. */
static void fetcher_give_back(struct fetcher *q, struct fetched *x)
{
    struct fetched *h = q->started ? malloc(sizeof *h) : NULL;

    if (!h) {
        fetched_free(x);
        return;
    }
    *h = *x;
    memset(x, 0, sizeof *x);
    pthread_mutex_lock(&q->mu);
    if (q->spent) { /* the one before is not freed yet: this one is, here */
        pthread_mutex_unlock(&q->mu);
        fetched_free(h);
        free(h);
        return;
    }
    q->spent = h;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Drop the request posted, if any: cancelled (run_stop says 1 to it) and its result
 * freed. */
static void fetcher_drop(struct fetcher *q)
{
    struct fetched x;

    if (!q->busy)
        return;
    atomic_store(&q->c->cancel, 1);
    fetcher_take(q, &x);
    atomic_store(&q->c->cancel, 0);
    fetched_free(&x);
}

/* End the thread: any request posted is cancelled, everything freed. */
static void fetcher_stop(struct fetcher *q)
{
    fetcher_drop(q);
    if (!q->started)
        return;
    pthread_mutex_lock(&q->mu);
    q->quit = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    if (q->spent) {
        fetched_free(q->spent);
        free(q->spent);
    }
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    q->started = 0;
}

/* The ask of the next request of s and its URL (url_cap bytes): by the next token
 * when there is one, else from after; the limit the guard sets now. */
static void next_ask(struct run_ctx *c, const struct svc_sync_plan_sub *s, const char *next, const char *after,
                     struct fed_ask *ask, char *url, size_t url_cap)
{
    memset(ask, 0, sizeof *ask);
    ask->limit = fed_guard_limit(&c->g);
    ask->by_next = next[0] != 0;
    if (!ask->by_next)
        snprintf(ask->added_after, sizeof ask->added_after, "%s", after);
    objects_url(c->pl->node.url, s->collection, ask->limit, next, after, url, url_cap);
}

/* Where the page after the one of facts f is asked from: its next token, else its
 * last date_added (next: next_cap bytes). */
static void advance(const struct run_ctx *c, const struct fed_facts *f, char *next, size_t next_cap, char *after)
{
    if (f->next && *f->next) {
        snprintf(next, next_cap, "%s", f->next);
    } else {
        next[0] = '\0';
        if (f->date_last[0])
            ask_from(c, f->date_last, after);
    }
}

/* One page's line in the log (docs/federation.md 10.3): its counts, and where its
 * time went - fetch_ms the fetch thread's request, read and preparation
 * (fetch_cpu_ms of it its CPU time), wait_ms what of it the run waited for (the rest
 * overlapped the apply of the page before), apply_ms the page's transaction
 * (apply_cpu_ms its CPU time: on a busy machine the wall times stretch, these do
 * not). */
static void log_page(const struct run_ctx *c, const char *collection, const struct svc_sync_out *o,
                     const struct fetched *x, long wait_ms, long apply_ms, long apply_cpu_ms)
{
    char esc[2][MZ_LOG_ESC_LEN(64)];

    MZ_LOG(MZ_LOG_INFO,
           "event=sync_page peer=%s collection=%s objects=%ld new=%ld duplicate=%ld refused=%ld fetch_ms=%ld "
           "fetch_cpu_ms=%ld wait_ms=%ld apply_ms=%ld apply_cpu_ms=%ld",
           mz_log_esc(c->pl->node.name, esc[0], sizeof esc[0]), mz_log_esc(collection, esc[1], sizeof esc[1]),
           o->objects, o->stored, o->duplicates,
           o->refused_owner + o->refused_community + o->refused_tlp + o->refused_invalid + o->refused_conflict +
               o->refused_cap,
           x->ms, x->cpu_ms, wait_ms, apply_ms, apply_cpu_ms);
}

/* Pull one subscription to its end (more: false) or to the code that stops it. Page
 * N+1 is asked (fetcher_post) once the guard has passed page N, and fetched by the
 * fetch thread while page N is applied; pages are judged, applied and counted here,
 * in order, one transaction each. */
static enum fed_code pull_one(struct run_ctx *c, const struct svc_sync_plan_sub *s, struct mz_error *err)
{
    struct svc_sync_sub sub = {c->pl->node.id, s->collection, "pull", &c->lim, 0, 0, 0};
    size_t url_cap = strlen(c->pl->node.url) + 3 * sizeof s->collection + 3 * sizeof s->next + 256;
    char *url = malloc(url_cap), *next = malloc(sizeof s->next);
    char *spec_url = malloc(url_cap), *spec_next = malloc(sizeof s->next);
    char after[FED_TIME_LEN], spec_after[FED_TIME_LEN];
    struct fetcher q;
    struct fed_ask ask, spec;
    int retried_next = 0;
    long pages = 0;
    enum fed_code code = FED_OK;

    if (!url || !next || !spec_url || !spec_next) {
        free(url);
        free(next);
        free(spec_url);
        free(spec_next);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    if (c->taxii) {
        sub.owner_org = c->pl->owner_org;
        sub.community = s->community;
        sub.unmarked = c->pl->unmarked;
    }
    /* A run starts from the bookmark's added_after, never from a next kept from an
     * earlier run: a server with one cursor per query (medallion) has moved it past a
     * page the earlier run did not commit, which would then be skipped for good
     * (docs/federation.md 11.6). */
    next[0] = '\0';
    ask_from(c, s->added_after, after);
    /* a new subscription starts at the guard's first limit */
    c->g.limit = c->g.page_size;
    c->g.stale_run = c->g.empty_run = 0;
    c->g.pos[0] = '\0'; /* third attack A1: positions are the subscription's */
    fetcher_start(&q, c);
    next_ask(c, s, next, after, &ask, url, url_cap);
    code = fetcher_post(&q, url, err);
    while (code == FED_OK) {
        struct fetched x;
        struct svc_sync_page page;
        struct svc_sync_out out;
        long wait_ms, apply_ms, apply_cpu_ms;
        enum mz_err rc;
        int more;

        wait_ms = fetcher_take(&q, &x);
        ask.run_ms = now_ms() - c->start_ms;
        /* a next kept from an earlier run that the server no longer takes (400):
         * asked again by added_after, once */
        if (x.code == FED_OK && x.r.status == 400 && ask.by_next && !retried_next && !pages) {
            retried_next = 1;
            next[0] = '\0';
            fetched_free(&x);
            next_ask(c, s, next, after, &ask, url, url_cap);
            code = fetcher_post(&q, url, err);
            continue;
        }
        code = x.code;
        if (code != FED_OK)
            *err = x.err;
        else
            code = fed_guard_check(&c->g, &ask, &x.f, err);
        if (code != FED_OK) {
            fetched_free(&x);
            break;
        }
        more = x.f.more;
        /* the next page, asked now as if this one brings something new (the guard's
         * limit unchanged), is fetched while this one is applied */
        if (more) {
            memcpy(spec_next, next, sizeof s->next);
            memcpy(spec_after, after, sizeof after);
            advance(c, &x.f, spec_next, sizeof s->next, spec_after);
            next_ask(c, s, spec_next, spec_after, &spec, spec_url, url_cap);
            code = fetcher_post(&q, spec_url, err);
            if (code != FED_OK) {
                fetched_free(&x);
                break;
            }
        }
        memset(&page, 0, sizeof page);
        page.body = x.r.body;
        page.len = x.r.len;
        /* an empty page's date is a position only when it says more (the last row its
         * work examined: 10.3); the bookmark never goes back (svc_sync.c, A6) */
        page.date_added_last = x.f.date_last[0] && (x.f.n_objects > 0 || more) ? x.f.date_last : NULL;
        page.next = more ? x.f.next : NULL;
        page.env = x.f.env;     /* the guard's parse, not a second one (borrowed: x owns it) */
        page.prep = x.prep;     /* validated and dumped by the fetch thread (borrowed) */
        apply_ms = now_ms();
        apply_cpu_ms = cpu_ms();
        rc = svc_sync_apply_page(c->st, &sub, &page, &out, err);
        apply_ms = now_ms() - apply_ms;
        apply_cpu_ms = cpu_ms() - apply_cpu_ms;
        if (rc) {
            /* a page that cannot be read is the peer's; a store failure is ours */
            code = rc == MZ_EINVAL || rc == MZ_ETOOBIG ? FED_BAD_JSON : rc == MZ_ENOMEM ? FED_NOMEM : FED_STORE;
            fetched_free(&x);
            break;
        }
        pages++;
        c->run->pages++;
        c->run->objects += out.objects;
        c->run->stored += out.stored;
        c->run->duplicates += out.duplicates;
        c->run->refused += out.refused_owner + out.refused_community + out.refused_tlp + out.refused_invalid +
                           out.refused_conflict + out.refused_cap;
        c->run->ms = now_ms() - c->start_ms;
        log_page(c, s->collection, &out, &x, wait_ms, apply_ms, apply_cpu_ms);
        if (c->so->progress)
            c->so->progress(c->so->progress_ctx, c->pl->node.name, s->collection, c->run);
        code = fed_guard_progress(&c->g, &ask, out.stored, err);
        if (code == FED_OK && more) {
            advance(c, &x.f, next, sizeof s->next, after);
            next_ask(c, s, next, after, &ask, url, url_cap);
            if (strcmp(url, spec_url) && !spec.by_next) {
                /* the guard raised its limit (the page brought nothing new): the page
                 * asked from a date_added is asked again with it */
                fetcher_drop(&q);
                code = fetcher_post(&q, url, err);
            } else {
                /* as asked; a next token is never asked twice (a server with one
                 * cursor per query has moved it: 11.6), so a raised limit applies
                 * from the page after */
                ask = spec;
            }
        }
        fetcher_give_back(&q, &x);
        if (code != FED_OK || !more)
            break;
    }
    fetcher_stop(&q); /* a page asked and not applied: cancelled, freed */
    free(url);
    free(next);
    free(spec_url);
    free(spec_next);
    return code;
}

void fed_peer_opts(const struct svc_sync_plan *pl, const struct fed_sync_opts *so, struct fed_opts *o)
{
    const struct store_node *n = &pl->node;

    fed_opts_defaults(o, so->conf);
    o->url = n->url;
    o->verify = !strcmp(n->verify, "pin") ? FED_VERIFY_PIN : !strcmp(n->verify, "ca") ? FED_VERIFY_CA_FILE
                                                                                       : FED_VERIFY_SYSTEM;
    o->ca_file = n->ca_file[0] ? n->ca_file : NULL;
    o->pins = n->pin[0] ? n->pin : NULL;
    o->client_cert = n->client_cert[0] ? n->client_cert : NULL;
    o->client_key = n->client_key[0] ? n->client_key : NULL;
    o->allow_http = n->allow_http;
    o->auth = !pl->secret[0] ? FED_AUTH_NONE : !strcmp(n->auth, "basic") ? FED_AUTH_BASIC : FED_AUTH_BEARER;
    o->user = n->out_user[0] ? n->out_user : "mreza";
    o->secret = pl->secret[0] ? pl->secret : NULL;
    o->wait = so->wait;
    o->stop = so->stop;
    o->hook_ctx = so->hook_ctx;
}

/* A mreza peer's subscription is run when the peer lists its collection. */
static int listed(const struct fed_discovery *d, const char *collection)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcasecmp(d->c[i].id, collection) || !strcmp(d->c[i].alias, collection))
            return d->c[i].can_read;
    return 0;
}

static enum fed_code run_subs(struct run_ctx *c, struct mz_error *err)
{
    struct fed_discovery *d = calloc(1, sizeof *d);
    enum fed_code code;

    if (!d) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    code = fed_discover(c->h, c->pl->node.url, d, err);
    if (code == FED_OK && !c->taxii && c->pl->node.identity[0] && strcasecmp(d->node_identity, c->pl->node.identity)) {
        code = FED_IDENTITY;
        mz_error_set(err, MZ_EINVAL, "",
                     "the peer's API root names %s%s%s, not %s, the identity bound to peer %s: the URL or the "
                     "certificate leads to another node",
                     d->node_identity[0] ? d->node_identity : "no mreza node", d->node_name[0] ? " as " : "",
                     d->node_name, c->pl->node.identity, c->pl->node.name);
    }
    /* a push-only mreza peer is discovered too: its collections say what it takes */
    for (size_t i = 0; code == FED_OK && i < c->pl->n_subs; i++) {
        const struct svc_sync_plan_sub *s = &c->pl->subs[i];
        if (!c->taxii && !listed(d, s->collection))
            continue; /* a community the peer hosts no member of (or does not serve us) */
        c->run->subs++;
        snprintf(c->run->collection, sizeof c->run->collection, "%s", s->collection);
        code = pull_one(c, s, err);
        if (code == FED_OK)
            c->run->subs_done++;
    }
    if (code == FED_OK)
        c->run->collection[0] = '\0';
    /* then push (10.4), for a peer whose direction is push or both */
    if (code == FED_OK && !c->pl->node.paused && strcmp(c->pl->node.direction, "pull")) {
        struct svc_sync_push_plan *pp = calloc(1, sizeof *pp);
        if (!pp) {
            mz_error_set(err, MZ_ENOMEM, "", "out of memory");
            code = FED_NOMEM;
        } else if (svc_sync_push_plan(c->st, c->p, c->pl->node.id, pp, err) != MZ_OK) {
            code = FED_STORE;
        } else {
            code = fed_push_peer(c->st, c->p, c->pl->node.id, c->pl->node.url, c->h, c->taxii ? NULL : d,
                                 c->o, pp, c->run, err);
        }
        free(pp);
    }
    free(d);
    return code;
}

/* The run's stop hook (fed_opts.stop of its handle): the caller's, and the run's
 * cancel of a request the fetch thread makes that is no longer wanted. */
static int run_stop(void *ctx)
{
    struct run_ctx *c = ctx;

    return atomic_load(&c->cancel) || (c->so->stop && c->so->stop(c->so->hook_ctx));
}

/* The run's wait hook, when the caller gave one (else fed_http sleeps in slices and
 * asks run_stop): a cancelled request waits for no retry. */
static int run_wait(void *ctx, long ms)
{
    struct run_ctx *c = ctx;

    if (atomic_load(&c->cancel))
        return 1;
    return c->so->wait(c->so->hook_ctx, ms) || atomic_load(&c->cancel);
}

enum fed_code fed_sync_peer(struct store *st, const struct principal *p, const char *name,
                            const struct fed_sync_opts *so, struct fed_run *run, struct mz_error *err)
{
    struct svc_sync_plan *pl = calloc(1, sizeof *pl);
    struct mz_lock lock = {-1};
    struct fed_opts o;
    struct run_ctx c;
    struct mz_error serr;
    char path[4096];
    enum fed_code code = FED_OK;

    memset(run, 0, sizeof *run);
    memset(&c, 0, sizeof c);
    atomic_init(&c.cancel, 0);
    c.start_ms = now_ms();
    if (!pl) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return run->code = FED_NOMEM;
    }
    if (svc_sync_plan(st, p, name, pl, err) != MZ_OK) {
        code = FED_CONFIG;
        goto out;
    }
    if (so->lock_dir) {
        enum mz_err lrc;
        snprintf(path, sizeof path, "%s/%s.lock", so->lock_dir, pl->node.name);
        lrc = mz_lock_try(path, &lock, &run->holder_pid, err);
        if (lrc == MZ_EBUSY) {
            run->busy = 1;
            mz_error_set(err, MZ_EBUSY, "", "peer %s: a sync is running elsewhere (pid %ld)", pl->node.name,
                         run->holder_pid);
            code = FED_BUSY;
            goto out;
        }
        if (lrc) {
            code = FED_CONFIG;
            goto out;
        }
    }
    if (svc_sync_run_begin(st, p, pl->node.id, err) != MZ_OK) {
        code = FED_STORE;
        goto out;
    }
    fed_peer_opts(pl, so, &o);
    o.stop = run_stop; /* the caller's hooks, through the run's (the fetch thread's cancel) */
    o.wait = so->wait ? run_wait : NULL;
    o.hook_ctx = &c;
    c.st = st;
    c.p = p;
    c.pl = pl;
    c.so = so;
    c.o = &o;
    c.run = run;
    c.taxii = !strcmp(pl->node.kind, "taxii");
    c.lim.max_depth = o.max_depth;
    c.lim.max_objects = o.max_objects;
    c.lim.max_future_skew = so->conf ? so->conf->ingest_max_future_skew : 300;
    c.lim.max_versions = so->conf ? so->conf->ingest_max_versions : 0;
    c.lim.max_objects_per_id = so->conf ? so->conf->sync_max_objects_per_id : 8;
    c.lim.max_objects_per_org = so->conf ? so->conf->ingest_max_objects_per_org : 0;
    c.lim.max_versions_per_org_id = so->conf ? so->conf->ingest_max_versions_per_org_id : 0;
    if (c.taxii && pl->owner_org <= 0) {
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "", "taxii peer %s has no organisation owning what it sends (mreza peer add --org)",
                     pl->node.name);
    } else if (c.taxii && pl->n_subs == 0 && !pl->node.paused && !strcmp(pl->node.direction, "pull")) {
        /* a pull peer with nothing to pull is a mistake; a `both` peer without pull
         * collections still pushes (the third attack's A12) */
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "",
                     "taxii peer %s has no collection to pull (mreza peer set %s --collection ID=COMMUNITY)",
                     pl->node.name, pl->node.name);
    } else {
        code = fed_http_new(&o, &c.h, err);
    }
    if (code == FED_OK) {
        fed_guard_init(&c.g, &o);
        code = run_subs(&c, err);
        fed_guard_free(&c.g);
    }
    fed_http_free(c.h);
    mz_error_clear(&serr);
    /* the run's end: its status, whatever happened to the pages (a store error here
     * is the caller's to see, the run's code stays) */
    if (svc_sync_run_end(st, p, pl->node.id, code == FED_OK ? "" : fed_code_name(code),
                         code == FED_OK ? NULL : err->msg, run->collection, &serr) != MZ_OK &&
        code == FED_OK) {
        *err = serr;
        code = FED_STORE;
    }
out:
    mz_lock_release(&lock);
    memset(pl->secret, 0, sizeof pl->secret);
    free(pl);
    run->code = code;
    run->ms = now_ms() - c.start_ms;
    if (code != FED_OK)
        snprintf(run->message, sizeof run->message, "%s", err->msg);
    return code;
}
