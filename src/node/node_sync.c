/* node/node_sync.c - the sync scheduler of `mreza serve` (node_sync.h).
 *
 * sync.max_parallel worker threads share one table of the peers (guarded by lock).
 * A worker, in a loop: reads the peers with its own store connection (a peer added,
 * paused or changed by the console is seen on the next turn), claims one that is due
 * and not being run by another worker, runs it with fed_sync_peer (its lock file is
 * the one `mreza sync` takes: a run by hand meanwhile is "busy", tried again next
 * time), then records when it runs next (its interval; after a failed run the
 * interval doubled per failure in a row, at most an hour). With nothing due it waits on cond until the
 * earliest due time (at most a second), or until node_sync_stop wakes it. The runs
 * ask stopping through fed's stop callback, so a stop ends a run within one wait
 * slice or one libcurl progress call. */
#include "node/node_sync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "fed/fed.h"
#include "rules/principal.h"
#include "util/log.h"

#define NS_MAX_PEERS 256
#define NS_MAX_THREADS 16

struct ns_peer {
    char name[STORE_NODE_NAME_LEN];
    int64_t id;
    long interval;      /* seconds */
    long long due_ms;   /* monotonic */
    int running;
    int failures;       /* failed runs in a row (busy is none) */
    int seen;           /* listed on the last read */
};

struct node_sync {
    struct mz_conf conf;
    char lock_dir[sizeof ((struct mz_conf *)0)->data_dir + 8];
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    int stopping;
    struct ns_peer peers[NS_MAX_PEERS];
    size_t n_peers;
    int n_threads;
    pthread_t th[NS_MAX_THREADS];
    struct store *st[NS_MAX_THREADS];
};

struct ns_worker {
    struct node_sync *s;
    int i;
};


static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000LL;
}

static int stop_asked(void *ctx)
{
    struct node_sync *s = ctx;
    int stop;

    pthread_mutex_lock(&s->lock);
    stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

/* What one read of the peers found (the worker's own, outside the lock). */
struct ns_list {
    size_t n;
    struct {
        char name[STORE_NODE_NAME_LEN];
        int64_t id;
        long interval;
    } p[NS_MAX_PEERS];
    long dflt;
};

static int note_peer(void *ctx, const struct svc_peer_view *v)
{
    struct ns_list *l = ctx;

    /* a push-only peer runs too: its run is discovery and push (fed_sync_peer skips
     * its pulls), the NAT case push exists for (third attack A2) */
    if (v->node.paused || l->n >= NS_MAX_PEERS)
        return 0;
    snprintf(l->p[l->n].name, sizeof l->p[0].name, "%s", v->node.name);
    l->p[l->n].id = v->node.id;
    l->p[l->n].interval = v->node.interval > 0 ? v->node.interval : l->dflt;
    l->n++;
    return 0;
}

/* Merge a read of the peers into the table (lock held): new peers are due at once,
 * peers no longer listed (removed, paused) leave it unless a worker runs them. */
static void merge(struct node_sync *s, const struct ns_list *l, long long now)
{
    for (size_t i = 0; i < s->n_peers; i++)
        s->peers[i].seen = 0;
    for (size_t k = 0; k < l->n; k++) {
        size_t i;
        for (i = 0; i < s->n_peers; i++)
            if (s->peers[i].id == l->p[k].id)
                break;
        if (i == s->n_peers) {
            if (s->n_peers == NS_MAX_PEERS)
                continue;
            memset(&s->peers[i], 0, sizeof s->peers[i]);
            s->peers[i].id = l->p[k].id;
            s->peers[i].due_ms = now;
            s->n_peers++;
        }
        snprintf(s->peers[i].name, sizeof s->peers[i].name, "%s", l->p[k].name);
        s->peers[i].interval = l->p[k].interval;
        s->peers[i].seen = 1;
    }
    for (size_t i = 0; i < s->n_peers;)
        if (!s->peers[i].seen && !s->peers[i].running)
            s->peers[i] = s->peers[--s->n_peers];
        else
            i++;
}

/* Seconds until a peer's next run: its interval, after a failed run doubled per
 * failure in a row (federation.md 10.6), at most NS_MAX_DELAY (never below the
 * interval). */
#define NS_MAX_DELAY 3600L

static long delay_of(long interval, int failures)
{
    long d = interval;

    for (int i = 1; i < failures && d < NS_MAX_DELAY; i++)
        d *= 2;
    return d > NS_MAX_DELAY && interval < NS_MAX_DELAY ? NS_MAX_DELAY : d;
}

static enum fed_code run_one(struct node_sync *s, struct store *st, const struct principal *console, const char *name)
{
    struct fed_sync_opts so = {&s->conf, s->lock_dir, NULL, NULL, NULL, stop_asked, s};
    struct fed_run run;
    struct mz_error err;
    char esc[2][MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];
    enum fed_code code;

    mz_error_clear(&err);
    code = fed_sync_peer(st, console, name, &so, &run, &err);
    if (code == FED_OK)
        MZ_LOG(MZ_LOG_INFO, "event=sync peer=%s code=ok new=%ld duplicate=%ld refused=%ld pages=%ld ms=%ld",
               mz_log_esc(name, esc[0], sizeof esc[0]), run.stored, run.duplicates, run.refused, run.pages, run.ms);
    else
        MZ_LOG(MZ_LOG_WARN, "event=sync peer=%s code=%s new=%ld refused=%ld pages=%ld msg=\"%s\"",
               mz_log_esc(name, esc[0], sizeof esc[0]), fed_code_name(code), run.stored, run.refused, run.pages,
               mz_log_quote(run.message, esc[1], sizeof esc[1]));
    return code;
}

/* Record when peer id runs next (peer list|show). */
static void note_next(struct store *st, const struct principal *console, const char *name, int64_t id, long delay)
{
    struct mz_error err;
    char esc[2][MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];

    mz_error_clear(&err);
    if (svc_sync_next_run(st, console, id, delay, &err) != MZ_OK)
        MZ_LOG(MZ_LOG_WARN, "event=sync_next_run peer=%s msg=\"%s\"", mz_log_esc(name, esc[0], sizeof esc[0]),
               mz_log_quote(err.msg, esc[1], sizeof esc[1]));
}

static void *worker(void *arg)
{
    struct ns_worker *w = arg;
    struct node_sync *s = w->s;
    struct store *st = s->st[w->i];
    struct ns_list *l = calloc(1, sizeof *l);
    struct principal console;

    principal_console(&console);
    while (l && !stop_asked(s)) {
        struct mz_error err;
        char name[STORE_NODE_NAME_LEN] = "";
        int64_t id = 0;
        long interval = 0;
        int failures = 0;
        enum fed_code code;
        long long now, next = -1;
        size_t pick = NS_MAX_PEERS;

        mz_error_clear(&err);
        l->n = 0;
        l->dflt = s->conf.sync_interval;
        if (svc_peer_list(st, &console, note_peer, l, &err) != MZ_OK) {
            char esc[MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];
            MZ_LOG(MZ_LOG_WARN, "event=sync_peers msg=\"%s\"", mz_log_quote(err.msg, esc, sizeof esc));
        }
        now = now_ms();
        pthread_mutex_lock(&s->lock);
        merge(s, l, now);
        for (size_t i = 0; i < s->n_peers; i++) {
            struct ns_peer *p = &s->peers[i];
            if (p->running)
                continue;
            if (p->due_ms <= now && pick == NS_MAX_PEERS)
                pick = i;
            else if (next < 0 || p->due_ms < next)
                next = p->due_ms;
        }
        if (pick < NS_MAX_PEERS) {
            struct ns_peer *p = &s->peers[pick];
            p->running = 1;
            snprintf(name, sizeof name, "%s", p->name);
            id = p->id;
            interval = p->interval;
            failures = p->failures;
        } else if (!s->stopping) {
            long long wait = next < 0 || next - now > 1000 ? 1000 : next - now;
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += (time_t)(wait / 1000);
            until.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &until);
        }
        pthread_mutex_unlock(&s->lock);
        if (!id)
            continue;
        code = run_one(s, st, &console, name);
        if (code == FED_OK)
            failures = 0;
        else if (code != FED_BUSY && code != FED_STOPPED)
            failures++;
        if (code != FED_STOPPED)
            note_next(st, &console, name, id, delay_of(interval, failures));
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n_peers; i++)
            if (s->peers[i].id == id) {
                s->peers[i].running = 0;
                s->peers[i].failures = failures;
                s->peers[i].due_ms = now_ms() + (long long)delay_of(interval, failures) * 1000LL;
            }
        pthread_mutex_unlock(&s->lock);
    }
    free(l);
    return NULL;
}

enum mz_err node_sync_start(const struct mz_conf *conf, struct node_sync **out, struct mz_error *err)
{
    struct node_sync *s;
    struct ns_worker *w;
    enum mz_err rc = MZ_OK;

    *out = NULL;
    if (conf->sync_interval <= 0)
        return MZ_OK;
    s = calloc(1, sizeof *s + NS_MAX_THREADS * sizeof *w);
    if (!s)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    w = (struct ns_worker *)(s + 1);
    s->conf = *conf;
    snprintf(s->lock_dir, sizeof s->lock_dir, "%s/sync", conf->data_dir);
    if (mkdir(s->lock_dir, 0700) && access(s->lock_dir, W_OK)) {
        free(s);
        return mz_error_set(err, MZ_EIO, "", "cannot make %s for the peers' sync locks", s->lock_dir);
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    for (int i = 0; !rc && i < conf->sync_max_parallel && i < NS_MAX_THREADS; i++) {
        rc = svc_store_open(conf, SVC_OPEN_EXISTING, &s->st[i], err);
        if (rc)
            break;
        w[i].s = s;
        w[i].i = i;
        if (pthread_create(&s->th[i], NULL, worker, &w[i])) {
            svc_store_close(s->st[i]);
            s->st[i] = NULL;
            rc = mz_error_set(err, MZ_EIO, "", "cannot start a sync thread");
            break;
        }
        s->n_threads++;
    }
    if (rc) {
        node_sync_stop(s);
        return rc;
    }
    MZ_LOG(MZ_LOG_INFO, "event=sync_scheduler interval=%ld max_parallel=%d", conf->sync_interval, s->n_threads);
    *out = s;
    return MZ_OK;
}

void node_sync_stop(struct node_sync *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->n_threads; i++)
        pthread_join(s->th[i], NULL);
    for (int i = 0; i < NS_MAX_THREADS; i++)
        if (s->st[i])
            svc_store_close(s->st[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
