/* node/gate.c - see gate.h. One mutex guards everything: the counts change a few
 * times per request, far less often than anything else a request does, so a finer
 * scheme would buy nothing. The count table is a chained hash of the keys that hold
 * something now (an entry is freed when its count drops to zero), so its size
 * follows what clients hold (connections, bodies, exports), which
 * http.max_connections bounds. The watchdog
 * sleeps on a condition variable (monotonic clock) until the earliest deadline, and
 * is woken only when a timer is armed with an earlier one (with one header timeout
 * for every connection, a new deadline is almost always the latest). */
#include "node/gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_BUCKETS 1024

struct count {
    char key[GATE_KEY_LEN];
    size_t n;
    struct count *next;
};

struct gate {
    struct gate_limits lim;
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* the watchdog: a timer was armed, or stop */
    pthread_t thread;
    int running, stopping;
    size_t bytes;               /* body bytes held */
    struct count *buckets[N_BUCKETS];
    struct gate_timer *timers;  /* armed, unordered */
    uint64_t wait_until;        /* what the watchdog sleeps until (UINT64_MAX: none) */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void unlink_timer(struct gate *g, struct gate_timer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        g->timers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    t->armed = 0;
}

/* Fire what is due; returns the earliest deadline still armed (UINT64_MAX: none).
 * Called with the lock held. */
static uint64_t fire_due(struct gate *g)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    struct gate_timer *t = g->timers;

    while (t) {
        struct gate_timer *after = t->next;
        if (t->due_ms <= now) {
            unlink_timer(g, t);
            t->fire(t->arg);
        } else if (t->due_ms < next) {
            next = t->due_ms;
        }
        t = after;
    }
    return next;
}

static void *watchdog(void *arg)
{
    struct gate *g = arg;

    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        uint64_t next = fire_due(g);
        g->wait_until = next;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&g->wake, &g->mu);
        } else {
            struct timespec ts = {(time_t)(next / 1000u), (long)(next % 1000u) * 1000000L};
            int rc = pthread_cond_timedwait(&g->wake, &g->mu, &ts);
            (void)rc; /* ETIMEDOUT or woken: either way, look again */
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

enum mz_err gate_new(const struct gate_limits *lim, struct gate **out, struct mz_error *err)
{
    struct gate *g = calloc(1, sizeof *g);
    pthread_condattr_t ca;

    if (!g)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    g->lim = *lim;
    g->wait_until = UINT64_MAX;
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return mz_error_set(err, MZ_EIO, "", "cannot start the HTTP watchdog thread: %s", strerror(errno));
    }
    g->running = 1;
    *out = g;
    return MZ_OK;
}

void gate_free(struct gate *g)
{
    if (!g)
        return;
    if (g->running) {
        pthread_mutex_lock(&g->mu);
        g->stopping = 1;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->thread, NULL);
    }
    for (size_t i = 0; i < N_BUCKETS; i++)
        while (g->buckets[i]) {
            struct count *c = g->buckets[i];
            g->buckets[i] = c->next;
            free(c);
        }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

int gate_bytes_take(struct gate *g, size_t n)
{
    int ok;

    pthread_mutex_lock(&g->mu);
    ok = n <= g->lim.max_bytes && g->bytes <= g->lim.max_bytes - n;
    if (ok)
        g->bytes += n;
    pthread_mutex_unlock(&g->mu);
    return ok;
}

void gate_bytes_give(struct gate *g, size_t n)
{
    pthread_mutex_lock(&g->mu);
    g->bytes -= n <= g->bytes ? n : g->bytes;
    pthread_mutex_unlock(&g->mu);
}

size_t gate_bytes_held(struct gate *g)
{
    size_t n;

    pthread_mutex_lock(&g->mu);
    n = g->bytes;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/* FNV-1a of the key, to a bucket. */
static struct count **bucket(struct gate *g, const char *key)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &g->buckets[h % N_BUCKETS];
}

/* The entry of key, or the link where it would go (*link_out); called locked. */
static struct count *find(struct gate *g, const char *key, struct count ***link_out)
{
    struct count **link = bucket(g, key);

    while (*link && strcmp((*link)->key, key) != 0)
        link = &(*link)->next;
    *link_out = link;
    return *link;
}

int gate_count_take(struct gate *g, const char *key, size_t n, size_t max)
{
    struct count **link, *c;
    int ok = 0;

    pthread_mutex_lock(&g->mu);
    c = find(g, key, &link);
    if (!c && (c = calloc(1, sizeof *c))) {
        snprintf(c->key, sizeof c->key, "%s", key);
        *link = c;
    }
    if (c && n <= max && c->n <= max - n) {
        c->n += n;
        ok = 1;
    }
    if (c && c->n == 0) { /* a new entry that the limit refused at once */
        *link = c->next;
        free(c);
    }
    pthread_mutex_unlock(&g->mu);
    return ok;
}

void gate_count_give(struct gate *g, const char *key, size_t n)
{
    struct count **link, *c;

    pthread_mutex_lock(&g->mu);
    c = find(g, key, &link);
    if (c) {
        c->n -= n <= c->n ? n : c->n;
        if (c->n == 0) {
            *link = c->next;
            free(c);
        }
    }
    pthread_mutex_unlock(&g->mu);
}

size_t gate_count(struct gate *g, const char *key)
{
    struct count **link, *c;
    size_t n;

    pthread_mutex_lock(&g->mu);
    c = find(g, key, &link);
    n = c ? c->n : 0;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/* The entry of key, made when missing (NULL: out of memory); called locked. */
static struct count *find_or_make(struct gate *g, const char *key)
{
    struct count **link, *c = find(g, key, &link);

    if (!c && (c = calloc(1, sizeof *c))) {
        snprintf(c->key, sizeof c->key, "%s", key);
        *link = c;
    }
    return c;
}

/* Drop key's entry if it holds nothing; called locked. */
static void drop_if_empty(struct gate *g, const char *key)
{
    struct count **link, *c = find(g, key, &link);

    if (c && c->n == 0) {
        *link = c->next;
        free(c);
    }
}

int gate_claim_take(struct gate *g, const struct gate_claim *c, size_t n_claims, size_t n, size_t reserve)
{
    struct count *cs[8] = {0};
    int refused = -1, holds = 0;

    if (n_claims == 0 || n_claims > sizeof cs / sizeof cs[0])
        return 0;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < n_claims && refused < 0; i++) {
        size_t held, max = c[i].max;
        if (c[i].key && !(cs[i] = find_or_make(g, c[i].key))) {
            refused = (int)i;
            break;
        }
        held = c[i].key ? cs[i]->n : g->bytes;
        if (!c[i].key)
            max = g->lim.max_bytes < max ? g->lim.max_bytes : max;
        if (i + 1 < n_claims) {
            holds |= held > 0;
        } else if (holds) {
            max = max > reserve ? max - reserve : 0;
        }
        if (n > max || held > max - n)
            refused = (int)i;
    }
    if (refused < 0) {
        for (size_t i = 0; i < n_claims; i++) {
            if (c[i].key)
                cs[i]->n += n;
            else
                g->bytes += n;
        }
    } else {
        for (size_t i = 0; i < n_claims; i++)
            if (c[i].key)
                drop_if_empty(g, c[i].key);
    }
    pthread_mutex_unlock(&g->mu);
    return refused;
}

void gate_claim_give(struct gate *g, const struct gate_claim *c, size_t n_claims, size_t n)
{
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < n_claims; i++) {
        if (!c[i].key) {
            g->bytes -= n <= g->bytes ? n : g->bytes;
            continue;
        }
        struct count **link, *e = find(g, c[i].key, &link);
        if (e) {
            e->n -= n <= e->n ? n : e->n;
            if (e->n == 0) {
                *link = e->next;
                free(e);
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
}

void gate_timer_arm(struct gate *g, struct gate_timer *t, unsigned ms, gate_fire_fn fire, void *arg)
{
    pthread_mutex_lock(&g->mu);
    if (t->armed)
        unlink_timer(g, t);
    t->due_ms = now_ms() + ms;
    t->fire = fire;
    t->arg = arg;
    t->prev = NULL;
    t->next = g->timers;
    if (g->timers)
        g->timers->prev = t;
    g->timers = t;
    t->armed = 1;
    if (t->due_ms < g->wait_until)
        pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

void gate_timer_disarm(struct gate *g, struct gate_timer *t)
{
    pthread_mutex_lock(&g->mu);
    if (t->armed)
        unlink_timer(g, t);
    pthread_mutex_unlock(&g->mu);
}
