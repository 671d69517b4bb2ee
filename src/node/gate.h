/* node/gate.h - admission control of a running node, shared by the HTTP threads:
 * how many bytes of request bodies are held in memory, what each client and each user
 * holds (connections or, through a trusted proxy, requests; bytes of bodies;
 * exports), and deadlines that a watchdog thread enforces. The HTTP layer (api/http.c, api/http_client.c) decides what to
 * count and what to do when a limit is reached; this module only counts, under one
 * mutex, and keeps time. It lives in node/ because it needs a thread and a lock, which
 * the api/ layer does not own (scripts/layers.txt).
 *
 * Counts are kept per key, a string the caller chooses (a client's address, "body
 * 192.0.2.7", "export user 12"...), each with the limit the caller gives when it
 * takes: the gate does not know what a key means.
 *
 * Ownership: the gate owns its counters and its thread. Timers are the caller's
 * memory (embedded in a connection's state); the gate links them while armed and
 * never frees them. */
#ifndef MZ_GATE_H
#define MZ_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct gate;

struct gate_limits {
    size_t max_bytes;    /* request bodies held at once, bytes */
};

/* A gate with those limits and its watchdog thread running. */
enum mz_err gate_new(const struct gate_limits *lim, struct gate **out, struct mz_error *err);
/* Stops the watchdog (fires nothing more) and frees the gate; no timer may be armed
 * any more (the HTTP server has stopped). gate_free(NULL) does nothing. */
void gate_free(struct gate *g);

/* ---- bytes of request bodies ---- */

/* Take n bytes of the budget: 1, or 0 (nothing taken) when the bytes already held
 * plus n would pass max_bytes. */
int gate_bytes_take(struct gate *g, size_t n);
void gate_bytes_give(struct gate *g, size_t n);
size_t gate_bytes_held(struct gate *g);

/* ---- counts per key ---- */

#define GATE_KEY_LEN 64 /* a key, NUL included ("export 2001:db8:1:2::/64") */

/* Add n to key's count: 1, or 0 (nothing added) when the count plus n would pass
 * max (or the key's entry cannot be made). */
int gate_count_take(struct gate *g, const char *key, size_t n, size_t max);
/* Give back n taken by gate_count_take. */
void gate_count_give(struct gate *g, const char *key, size_t n);
/* key's count now. */
size_t gate_count(struct gate *g, const char *key);

/* ---- claims on a shared budget ---- */

/* One count of a claim: key (NULL: the bytes of bodies, whose most is max_bytes)
 * and the most it may reach. */
struct gate_claim {
    const char *key;
    size_t max;
};

/* Take n from every count of c[0..n_claims), all or none, under one lock: -1 when
 * taken, else the index of the first count that would pass its most (nothing
 * taken). The last is the budget every client shares; the others are what one
 * client holds (its address, its user, its organisation). The budget keeps reserve
 * for clients holding nothing: when any of the others already holds something, the
 * budget may reach only its most minus reserve, so a client that holds nothing gets
 * in unless the budget is really full. */
int gate_claim_take(struct gate *g, const struct gate_claim *c, size_t n_claims, size_t n, size_t reserve);
/* Give back n taken by gate_claim_take with the same counts. */
void gate_claim_give(struct gate *g, const struct gate_claim *c, size_t n_claims, size_t n);

/* ---- deadlines ---- */

/* Called on the watchdog thread when a timer's deadline passes, with the gate's lock
 * held and the timer already disarmed: it must be short and call no gate_* function.
 * Because gate_timer_disarm() takes the same lock, once disarm has returned the
 * function is not running and will not run. */
typedef void (*gate_fire_fn)(void *arg);

struct gate_timer {
    uint64_t due_ms;                 /* monotonic clock */
    gate_fire_fn fire;
    void *arg;
    struct gate_timer *prev, *next;  /* the gate's list while armed */
    int armed;
};

/* (Re)arm t to fire fire(arg) in ms milliseconds; an armed timer is moved. */
void gate_timer_arm(struct gate *g, struct gate_timer *t, unsigned ms, gate_fire_fn fire, void *arg);
/* Disarm t if armed; see gate_fire_fn for what this guarantees. */
void gate_timer_disarm(struct gate *g, struct gate_timer *t);

#endif
