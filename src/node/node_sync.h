/* node/node_sync.h - the sync scheduler of `mreza serve` (issue 11, docs/federation.md
 * 10.6): every peer that is not paused and pulls is run (fed_sync_peer) every
 * sync.interval seconds (a peer's own interval overrides), at most
 * sync.max_parallel at once, each worker a thread with its own store connection.
 * The first run of each peer is at once; after each run its next_run is recorded
 * (peer list|show). Stopping asks the runs under way to end (the fed stop callback:
 * a run ends with FED_STOPPED, its last page applied or not at all) and joins the
 * threads. sync.interval = 0: no scheduler (nothing is started). */
#ifndef MZ_NODE_SYNC_H
#define MZ_NODE_SYNC_H

#include "util/conf.h"
#include "util/err.h"

struct node_sync; /* opaque */

/* Start the scheduler for the node conf names (conf is copied). *out is NULL, and
 * MZ_OK, when sync.interval is 0. On failure nothing is left running. */
enum mz_err node_sync_start(const struct mz_conf *conf, struct node_sync **out, struct mz_error *err);
/* Stop it (runs under way end promptly), join its threads, close its connections,
 * free it. NULL is fine. */
void node_sync_stop(struct node_sync *s);

#endif
