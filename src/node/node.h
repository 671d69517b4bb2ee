/* node/node.h - a running node: its configuration, a pool of store connections
 * shared by the HTTP worker threads, and the indicator engine. A struct store is one
 * connection and not thread-safe, so each request borrows one with
 * node_store_acquire() and gives it back with node_store_release(). A background
 * thread, once a second, adds newly stored objects to the index, records the regional
 * campaigns that indexing detected (domain/campaign.h, after the refresh has
 * returned: no lock of the engine is held while it writes), checkpoints the
 * write-ahead log (so that no client's commit pays for it) and, when the index has
 * changed, rewrites its snapshot for `mreza match`.
 *
 * The engine is an opaque pointer here: the front ends (api/, cli/) pass it to the
 * domain's use cases (domain/svc_match.h) and never call it themselves. */
#ifndef MZ_NODE_H
#define MZ_NODE_H

#include <pthread.h>

#include "store/store.h"
#include "util/conf.h"

struct engine; /* engine/engine.h */

struct node {
    struct mz_conf conf;
    struct store **pool;   /* n_pool connections */
    int *idle;             /* indexes of idle connections, n_idle of them */
    int n_pool, n_idle;
    /* Connections of streaming exports (http.max_exports of them): an export keeps
     * one, with a read transaction open (one snapshot of the store), for as long as
     * its reply is being sent, so a slow reader never holds a connection of the pool
     * above. Guarded by lock, like the pool. */
    struct store **xpool;
    int *xidle;
    int n_xpool, n_xidle;
    pthread_mutex_t lock;  /* guards idle, n_idle, xidle, n_xidle and stopping */
    pthread_cond_t cond;
    /* The indicator engine, kept in step with the store by the background thread. */
    struct engine *index;
    char index_path[1100];     /* <data>/index.snap */
    /* The background thread: its own connection (checkpoints, index refresh,
     * snapshots; see node.c). */
    struct store *ckpt_store;
    pthread_t ckpt_thread;
    pthread_cond_t ckpt_cond; /* wakes the checkpointer to stop */
    int ckpt_running;
    int stopping;
};

/* Open n connections to the store that conf names, which must exist (MZ_ENOTFOUND:
 * `mreza init` makes it). On failure nothing is left open. */
enum mz_err node_open(struct node *node, const struct mz_conf *conf, int n,
                      struct mz_error *err);
void node_close(struct node *node);
/* Blocks until a connection is idle. */
struct store *node_store_acquire(struct node *node);
void node_store_release(struct node *node, struct store *st);
/* A connection for one streaming export, or NULL at once when http.max_exports
 * exports are being sent already (it never waits). Give it back with
 * node_export_release(). */
struct store *node_export_acquire(struct node *node);
void node_export_release(struct node *node, struct store *st);

#endif
