/* store/store.h - the storage facade: organisations, users, API keys and STIX objects.
 *
 * Callers (the domain layer) see only this header. It knows nothing of HTTP and
 * nothing of TLP: visibility arrives as a struct store_vis of "grants" (bit masks of
 * marking levels per audience) that rules/tlp.c computes; the store only evaluates
 * them, in SQL, as a prefilter. store_sqlite.c implements it on SQLite in WAL mode;
 * a PostgreSQL backend will implement the same functions.
 *
 * One struct store is one connection and is not thread-safe: each thread uses its own
 * (node/node.c keeps a pool). Strings in rows handed to callbacks are borrowed and
 * valid only during the callback. */
#ifndef MZ_STORE_H
#define MZ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct store;

/* Whether store_open may create a store. Only `mreza init` creates one: every other
 * caller opens an existing store, so that a mistyped --data is an error instead of a
 * new, empty node that answers "ok". */
enum store_open_mode {
    STORE_OPEN_CREATE = 0, /* open, creating the directory and the store if needed */
    STORE_OPEN_EXISTING,   /* MZ_ENOTFOUND, creating nothing, unless dir holds a store */
    STORE_OPEN_NEW         /* MZ_ECONFLICT, touching nothing, if dir holds a store */
};

struct store_opts {
    long cache_mb;         /* page cache per connection */
    int manual_checkpoint; /* 1: the caller runs store_checkpoint(); commits never do */
    enum store_open_mode mode; /* NULL opts: STORE_OPEN_CREATE */
};

/* Open the store in directory dir as opts->mode allows and bring its schema up to
 * date. *out is set only on success; close with store_close(). */
enum mz_err store_open(const char *dir, const struct store_opts *opts, struct store **out,
                       struct mz_error *err);
void store_close(struct store *st);
/* Statements st has prepared since store_open, not counting those its statement
 * cache handed out again (for tests and benchmarks: a hot path prepares nothing per
 * call). */
long store_prepare_count(const struct store *st);

/* A hook for tests: called at the named points of a connection's work, so that a
 * test can hold one writer at a chosen step while another connection writes, instead
 * of hoping for the race. Compiled in; no production code sets one. */
enum store_hook_point {
    STORE_HOOK_BEFORE_BEGIN = 0, /* store_begin, before it asks for the write lock */
    STORE_HOOK_BEFORE_COMMIT     /* store_commit of an outer transaction, before COMMIT */
};
typedef void (*store_hook_fn)(void *ctx, enum store_hook_point point);
/* Set (or, with fn NULL, clear) st's hook. */
void store_set_hook(struct store *st, store_hook_fn fn, void *ctx);

/* For tests: SQLite's plan (EXPLAIN QUERY PLAN, one step a line) of one of the
 * store's queries of an id's rows, as the store runs them, in out (cut at cap), so
 * that a test can hold them to their index (the third re-attack's N1: objects_id_seq,
 * no temporary B-tree per row). cap must be > 0. */
enum store_plan_of {
    STORE_PLAN_ID_ROWS = 0, /* store_id_versions_after of an id that needs the choice */
    STORE_PLAN_LIST_CX      /* store_list of the rows that need the choice, each with
                               its id's first row (the engine's load_model) */
};
enum mz_err store_explain(struct store *st, enum store_plan_of which, char *out, size_t cap, struct mz_error *err);

/* Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE), so
 * everything written between begin and commit is one atomic, durable unit: after
 * store_commit() returns MZ_OK the data survives kill -9 and power loss.
 * With store_allow_nested(st, 1), a transaction begun (store_begin or
 * store_begin_read) while one is open on the connection is a savepoint of it: its
 * store_commit keeps its writes in the outer transaction (durable only when that
 * commits), its store_rollback undoes its own writes alone. So a use case that
 * writes in a transaction of its own (svc_ingest) runs unchanged inside a caller's (a
 * sync page: domain/svc_sync.c), all or nothing per call, the page one commit.
 * Off (the default), a begin inside a transaction is an error, as SQLite makes it:
 * a transaction left open by mistake is never silently extended. */
enum mz_err store_begin(struct store *st, struct mz_error *err);
enum mz_err store_commit(struct store *st, struct mz_error *err);
void store_rollback(struct store *st);
/* A write transaction whose commit nobody is told of, so that it need not survive a
 * power loss: as store_begin, but its commit does not wait for the disk
 * (synchronous=NORMAL, set for it alone: every other transaction of the connection,
 * and a write outside one, keeps FULL). It is still all or nothing, and kept across
 * kill -9 (the page cache survives the process); a power loss (or an OS crash) may
 * undo it, and only together with everything committed after it that had no FULL
 * commit behind it - never a part of it, never an earlier commit. For a pulled sync
 * page and its bookmark (domain/svc_sync.c): the peer still holds the page, and a
 * page undone is fetched again. Never for a write that is acknowledged to anybody
 * (a POST's 202, a user's answer): those take store_begin. Inside an open
 * transaction with store_allow_nested, a savepoint of it, as store_begin. */
enum mz_err store_begin_unacked(struct store *st, struct mz_error *err);
/* For tests: the connection's synchronous level now (SQLite's PRAGMA synchronous: 1
 * NORMAL, 2 FULL), -1 if it cannot be read. Asked from a STORE_HOOK_BEFORE_COMMIT
 * hook, it is the level the commit is made with. */
int store_synchronous(struct store *st);
/* Inside a write transaction, a point that one object's writes can be rolled back
 * to without the rest (svc_ingest's per-object mode, TAXII POST): store_savepoint
 * sets it; store_savepoint_release keeps what was written since, and
 * store_savepoint_rollback drops it. One at a time. */
enum mz_err store_savepoint(struct store *st, struct mz_error *err);
enum mz_err store_savepoint_release(struct store *st, struct mz_error *err);
enum mz_err store_savepoint_rollback(struct store *st, struct mz_error *err);
/* A read transaction: every read until store_rollback() sees one snapshot of the
 * store (the one of its first read), whatever is committed meanwhile, and takes no
 * lock that a writer waits for (WAL). A snapshot held for long keeps the write-ahead
 * log from being checkpointed past it, so the log grows while it is held. */
enum mz_err store_begin_read(struct store *st, struct mz_error *err);
/* Whether a begin inside an open transaction makes a savepoint (on 1) or is an error
 * (0, the default); the caller that opened the outer transaction sets it and clears
 * it when that ends. */
void store_allow_nested(struct store *st, int on);

/* Copy committed changes from the write-ahead log into the main file without
 * blocking readers or writers (a passive checkpoint). A node runs this from a
 * background thread so that no client's commit pays for it. */
enum mz_err store_checkpoint(struct store *st, struct mz_error *err);

/* Small node-wide settings (e.g. the node's own STIX identity). get: MZ_ENOTFOUND
 * when unset; out gets the value NUL-terminated (cut to cap). */
enum mz_err store_meta_get(struct store *st, const char *key, char *out, size_t cap,
                           struct mz_error *err);
enum mz_err store_meta_set(struct store *st, const char *key, const char *value,
                           struct mz_error *err);
/* Set key to value unless it is set already, then read what is stored into out (as
 * store_meta_get): of two connections that add a key at once, both get the value of
 * the first (a secret generated lazily is generated once). */
enum mz_err store_meta_add(struct store *st, const char *key, const char *value, char *out,
                           size_t cap, struct mz_error *err);

/* The highest object sequence number (0 for an empty store): what an index built
 * from the store reflects. */
enum mz_err store_max_seq(struct store *st, int64_t *seq_out, struct mz_error *err);

/* "ok" check of the whole file (PRAGMA integrity_check). */
enum mz_err store_check(struct store *st, struct mz_error *err);

/* ---- organisations and users ---- */

#define STORE_NAME_LEN 128
#define STORE_IDENT_LEN 64 /* "identity--" + UUID + NUL fits */

struct store_org {
    int64_t id;
    char name[STORE_NAME_LEN];        /* short handle, e.g. "al-cert" */
    char full_name[256];              /* e.g. "ALCIRT, National Agency for Cyber Security" */
    char identity[STORE_IDENT_LEN];   /* STIX identity id of the organisation */
    char country[8];                  /* ISO 3166-1 alpha-2 (XK for Kosovo*) */
    char sector[64];
    char kind[32];                    /* national-csirt, police, operator, ... */
    int rank;                         /* source rank the operator set (docs/model.md
                                         R2.5), or -1: by kind */
};

struct store_user {
    int64_t id;
    char name[STORE_NAME_LEN];
    int64_t org_id;
    char role[16];
    char identity[STORE_IDENT_LEN];   /* STIX identity id (identity_class individual) */
    int64_t disabled;                 /* unix seconds when it was disabled; 0: enabled */
};

enum mz_err store_org_add(struct store *st, struct store_org *org, struct mz_error *err);
enum mz_err store_org_by_name(struct store *st, const char *name, struct store_org *out,
                              struct mz_error *err);
enum mz_err store_org_by_id(struct store *st, int64_t id, struct store_org *out,
                            struct mz_error *err);
typedef int (*store_org_fn)(void *ctx, const struct store_org *org);
enum mz_err store_org_list(struct store *st, store_org_fn fn, void *ctx, struct mz_error *err);
/* Set organisation org_id's source rank (rank -1: by its kind again). MZ_ENOTFOUND
 * if there is no such organisation. */
enum mz_err store_org_set_rank(struct store *st, int64_t org_id, int rank, struct mz_error *err);
/* Set organisation org_id's profile, what its directory identity says of it: full
 * name, country, sector, kind (its handle stays). MZ_ENOTFOUND if there is none. */
enum mz_err store_org_set_profile(struct store *st, int64_t org_id, const struct store_org *profile,
                                  struct mz_error *err);

enum mz_err store_user_add(struct store *st, struct store_user *user, struct mz_error *err);
enum mz_err store_user_by_name(struct store *st, const char *name, struct store_user *out,
                               struct mz_error *err);
enum mz_err store_user_by_id(struct store *st, int64_t id, struct store_user *out, struct mz_error *err);
typedef int (*store_user_fn)(void *ctx, const struct store_user *user);
/* org_id 0 lists every organisation's users. */
enum mz_err store_user_list(struct store *st, int64_t org_id, store_user_fn fn, void *ctx,
                            struct mz_error *err);

/* Whose identity is this id (compared without regard to case)? An organisation's:
 * *org_out its id and *user_out 0; a user's: *org_out the user's organisation and
 * *user_out the user's id. MZ_ENOTFOUND when no organisation or user has it. */
enum mz_err store_identity_owner(struct store *st, const char *identity, int64_t *org_out, int64_t *user_out,
                                 struct mz_error *err);

/* API keys are stored only as a hash (the caller hashes). */
/* Users are disabled (at unix time `when`; a user disabled already keeps its first
 * time) or enabled again (when 0). MZ_ENOTFOUND if there is no such user. */
enum mz_err store_user_set_disabled(struct store *st, int64_t user_id, int64_t when,
                                    struct mz_error *err);

/* ---- API keys ---- */

#define STORE_KEY_PREFIX_LEN 16
#define STORE_KEY_COMMENT_LEN 256

/* An API key's record. The key itself is never stored: only its hash (the caller
 * hashes), and its first few characters (prefix) so that people can tell their keys
 * apart. Times are unix seconds; 0 means unknown (created, for keys made before keys
 * had records), never (expires, last_used) or not (revoked). revoked may lie in the
 * future: a rotated key's grace period. */
struct store_key {
    int64_t id;
    int64_t user_id;
    char prefix[STORE_KEY_PREFIX_LEN];   /* "" for keys made before prefixes were kept */
    char comment[STORE_KEY_COMMENT_LEN];
    int64_t created, expires, last_used, revoked;
    int64_t replaced_by;                 /* the key that replaced it by rotation, or 0 */
};

/* Add a key for k->user_id with k's prefix, comment, created and expires (its
 * last_used, revoked and replaced_by start empty); sets k->id. */
enum mz_err store_key_add(struct store *st, const unsigned char *hash, size_t hash_len,
                          struct store_key *k, struct mz_error *err);
/* The record of the key whose hash this is, with its user and organisation;
 * MZ_ENOTFOUND if none. Any out pointer but key_out may be NULL. */
enum mz_err store_key_lookup(struct store *st, const unsigned char *hash, size_t hash_len,
                             struct store_key *key_out, struct store_user *user_out,
                             struct store_org *org_out, struct mz_error *err);
/* The record of key id; MZ_ENOTFOUND if none. */
enum mz_err store_key_get(struct store *st, int64_t id, struct store_key *out, struct mz_error *err);
typedef int (*store_key_fn)(void *ctx, const struct store_key *k);
/* A user's keys, oldest first. */
enum mz_err store_key_list(struct store *st, int64_t user_id, store_key_fn fn, void *ctx,
                           struct mz_error *err);
/* Changes of a key. Each is one statement that changes only its own column and checks
 * the key's state as it is when it runs, so that no change made at the same time by
 * another connection is lost or undone (a revocation above all). MZ_ENOTFOUND if
 * there is no key id. */
/* Revoke key id at unix time when, unless it is revoked earlier already: revocation
 * only ever moves earlier, never later, never away. */
enum mz_err store_key_revoke(struct store *st, int64_t id, int64_t when, struct mz_error *err);
/* Set the expiry (0: never) of key id if it is not revoked at now; MZ_ECONFLICT, with
 * nothing changed, if it is. */
enum mz_err store_key_set_expiry(struct store *st, int64_t id, int64_t expires, int64_t now,
                                 struct mz_error *err);
enum mz_err store_key_set_comment(struct store *st, int64_t id, const char *comment, struct mz_error *err);
/* Record that key id was replaced by key new_id (a rotation) and revoke it at
 * revoke_at (or earlier, if it is revoked earlier already) - only if it is working at
 * now (neither revoked nor expired) and not replaced already; MZ_ECONFLICT, with
 * nothing changed, otherwise. */
enum mz_err store_key_replace(struct store *st, int64_t id, int64_t new_id, int64_t revoke_at, int64_t now,
                              struct mz_error *err);
/* Record that key id was used at unix time now, best effort: it never waits for the
 * write lock (an authentication must not queue behind a bulk import), so when another
 * connection holds the lock nothing is written and MZ_OK is returned all the same.
 * Each call that writes is one durable commit: call it only when the recorded time is
 * stale. */
enum mz_err store_key_touch(struct store *st, int64_t id, int64_t now, struct mz_error *err);

/* ---- communities (issue 11; docs/federation.md section 2) ----
 *
 * A community is a group of organisations that share TLP:GREEN. Each has a bit
 * (0..STORE_COMM_MAX-1), the same for as long as the store lives (communities are
 * never removed), and every version of an object a bit set of the communities it
 * is shared into (objects.comm). The national community, made by the migration
 * that brought communities, has bit 0. Membership is per organisation, with a
 * direction: read (its users read the community's GREEN), write (they may share
 * into it), or both. What these mean for readers is rules/tlp.c's; the store keeps
 * them and evaluates the bits in SQL. */

#define STORE_COMM_MAX 62
#define STORE_COMM_NATIONAL_BIT 0
#define STORE_COMM_NATIONAL ((uint64_t)1 << STORE_COMM_NATIONAL_BIT)
#define STORE_COMM_NAME_LEN 64
#define STORE_COMM_TITLE_LEN 256
#define STORE_COMM_DESC_LEN 1024

struct store_community {
    int64_t id;
    int bit;                              /* 0..STORE_COMM_MAX-1 */
    char uuid[40];                        /* its TAXII collection id (RFC 4122, lower case) */
    char name[STORE_COMM_NAME_LEN];       /* handle, e.g. "national", "regional" */
    char title[STORE_COMM_TITLE_LEN];
    char description[STORE_COMM_DESC_LEN];
    char kind[16];                        /* national, regional, other */
    int64_t home_node;                    /* 0: this node; -id: left, was joined
                                             from peer id (store_community_leave) */
    char created[24];                     /* "YYYY-MM-DDTHH:MM:SSZ" */
    char roster_modified[40];             /* a joined community: the `modified` of the
                                             newest roster applied ("" none) */
};

/* Add community c (its name, title, description, kind, uuid and home_node; in a
 * transaction): it takes the lowest free bit; c->id, bit and created are set.
 * MZ_ECONFLICT (field "/name") if the name or uuid is taken, MZ_ETOOBIG when all
 * STORE_COMM_MAX bits are. */
enum mz_err store_community_add(struct store *st, struct store_community *c, struct mz_error *err);
/* MZ_ENOTFOUND when there is none. */
enum mz_err store_community_by_name(struct store *st, const char *name, struct store_community *out,
                                    struct mz_error *err);
enum mz_err store_community_by_bit(struct store *st, int bit, struct store_community *out, struct mz_error *err);
/* A roster applied to community id (docs/federation.md decision 9): its kind, title
 * and the roster's `modified` (in a transaction). MZ_ENOTFOUND for no such community. */
enum mz_err store_community_set_roster(struct store *st, int64_t id, const char *kind, const char *title,
                                       const char *roster_modified, struct mz_error *err);
/* Leave joined community id (home_node > 0; in a transaction): its memberships
 * removed, every bookmark of its collection (its UUID) or feeding it removed, and its
 * home_node made -home_node ("left; was joined from that peer"): its row and bit stay
 * (objects' masks hold the bit). MZ_ENOTFOUND when id is no joined community. */
enum mz_err store_community_leave(struct store *st, int64_t id, struct mz_error *err);
/* Join again community id, left (home_node < 0), from the same home: home_node made
 * positive, roster_modified cleared (the home's next roster applies). MZ_ENOTFOUND
 * when id is no community left. */
enum mz_err store_community_rejoin(struct store *st, int64_t id, struct mz_error *err);
typedef int (*store_community_fn)(void *ctx, const struct store_community *c);
/* Every community, by name. */
enum mz_err store_community_list(struct store *st, store_community_fn fn, void *ctx, struct mz_error *err);

struct store_membership {
    int64_t community, org;
    const char *org_name;      /* the organisation's handle (borrowed for the callback) */
    const char *org_identity;
    int can_read, can_write;
    const char *since;         /* when it became a member ("YYYY-MM-DDTHH:MM:SSZ") */
};
/* Make organisation org a member of community with these directions (at least one
 * set), or change the directions of a member (its `since` stays). */
enum mz_err store_member_set(struct store *st, int64_t community, int64_t org, int can_read, int can_write,
                             struct mz_error *err);
/* MZ_ENOTFOUND when org is no member. */
enum mz_err store_member_remove(struct store *st, int64_t community, int64_t org, struct mz_error *err);
typedef int (*store_membership_fn)(void *ctx, const struct store_membership *m);
/* The members of community (by organisation handle), or with community 0 the
 * memberships of organisation org (by community id). */
enum mz_err store_members(struct store *st, int64_t community, int64_t org, store_membership_fn fn, void *ctx,
                          struct mz_error *err);
/* The bits of the communities organisation org reads and writes to (0 and 0 for an
 * organisation of none, or org 0). */
enum mz_err store_org_comm(struct store *st, int64_t org, uint64_t *read_out, uint64_t *write_out,
                           struct mz_error *err);

/* A re-sharing record (docs/model.md R11.3): version seq shared by user of org at
 * `at` into community bit (the version's comm gains it, and a grant is stamped for
 * it), or, with bit -1, passed on to recipients (identity ids, space-separated: the
 * version's shared_to becomes shared_to). In a transaction. *id_out (may be NULL)
 * gets the record's id, at_out (NULL, or 28 bytes) its time: its stamp on the write
 * clock (the grant's). */
struct store_share {
    int64_t seq;
    int bit;                /* the community shared into, or -1 */
    const char *recipients; /* the identities passed on to (bit -1), or NULL */
    const char *shared_to;  /* the version's shared_to after it (bit -1) */
    int64_t by_user, by_org;
};
enum mz_err store_share_add(struct store *st, const struct store_share *s, int64_t *id_out, char *at_out,
                            struct mz_error *err);
/* The peers' stamps (issue 11, the third attack's A10): a version posted here that a
 * peer may read only since an act after it was posted - an AMBER version passed on
 * to an organisation homed at a peer, or addressed to an identity a peer was bound to
 * later - gets a new position in the peers' direct view (mreza-direct), so that a
 * peer reading it by added_after (its pull, this node's push) past the version's
 * first position reads it there. A stamp is a grants row of community
 * STORE_PEER_STAMPS (no community has that id) at a fresh stamp on the write clock;
 * STORE_ORDER_EFFECTIVE with store_query.peer_stamps serves the rows at their
 * stamps as well as at their date_added. Call in a write transaction.
 * store_peer_stamp: version seq. store_peer_stamp_addressed: every version posted
 * here (via 0) of a level in lvl_mask (bit 1 << tlp) whose audience or shared_to
 * names ident (case aside); *n_out how many. */
#define STORE_PEER_STAMPS 0
#define STORE_PEER_STAMPS_SQL "0"
enum mz_err store_peer_stamp(struct store *st, int64_t seq, struct mz_error *err);
enum mz_err store_peer_stamp_addressed(struct store *st, const char *ident, uint32_t lvl_mask, long *n_out,
                                       struct mz_error *err);
/* A share record, as read back (strings borrowed for the callback). */
struct store_share_row {
    int64_t id, seq;
    const char *stix_id;    /* the version's id */
    int64_t community;      /* the community's id, or 0 */
    const char *recipients; /* or NULL */
    int64_t by_user, by_org;
    const char *at;
};
typedef int (*store_share_fn)(void *ctx, const struct store_share_row *s);
/* The share records after id after_id in id order (what an index learns of), or
 * with stix_id those of that id's versions. */
enum mz_err store_shares(struct store *st, int64_t after_id, const char *stix_id, store_share_fn fn, void *ctx,
                         struct mz_error *err);
/* The newest share record's id (0 when there is none). */
enum mz_err store_max_share(struct store *st, int64_t *id_out, struct mz_error *err);
/* The grants of community (id): one per version shared into it, stamped with the
 * date_added of the write that made it (the version's own for a post, the share
 * record's for a re-share; as microseconds since the epoch), in commit order - the
 * order its TAXII collection pages in - after the position (after_us, after_seq)
 * (0 and 0: from the start), at most limit (0: all). The national community's
 * include the versions posted into it, whose grant is their own row (no grants row
 * is written for them). */
struct store_grant {
    int64_t seq, community, share; /* share: the record, or 0 for a post */
    int64_t added_us;
};
typedef int (*store_grant_fn)(void *ctx, const struct store_grant *g);
enum mz_err store_grants(struct store *st, int64_t community, int64_t after_us, int64_t after_seq, long limit,
                         store_grant_fn fn, void *ctx, struct mz_error *err);

/* ---- nodes and peers (issue 11; docs/federation.md section 6.1) ----
 *
 * Row 0 of nodes is this node; every other row is a peer: another node this one
 * syncs with. Peer ids are never reused (a removed peer's id stays unused), so that
 * what was bound to or received from a removed peer is never taken for another's.
 * The key this node presents to a peer (out_secret) is kept in clear, the store
 * being readable by its owner alone; it is read only by store_node_secret. */

#define STORE_NODE_NAME_LEN 64
#define STORE_NODE_URL_LEN 512
#define STORE_NODE_PATH_LEN 512
#define STORE_NODE_PIN_LEN 256
#define STORE_NODE_ERR_LEN 512
#define STORE_NODE_TIME_LEN 32

struct store_node {
    int64_t id;                               /* 0: this node */
    char name[STORE_NODE_NAME_LEN];
    char country[8];
    char identity[STORE_IDENT_LEN];           /* the node's STIX identity, or "" */
    char url[STORE_NODE_URL_LEN];             /* the peer's TAXII API root */
    char kind[8];                             /* self, mreza, taxii */
    char direction[8];                        /* pull, push, both */
    char verify[8];                           /* system, ca, pin */
    char ca_file[STORE_NODE_PATH_LEN];
    char pin[STORE_NODE_PIN_LEN];             /* "sha256//..." (';'-separated) */
    char client_cert[STORE_NODE_PATH_LEN];
    char client_key[STORE_NODE_PATH_LEN];
    int allow_http;
    char auth[8];                             /* bearer, basic */
    char out_user[STORE_NAME_LEN];            /* the user name of Basic, or "" */
    int has_secret;                           /* out_secret is set (read: never its value) */
    int require_client_cert;
    char client_pin[STORE_NODE_PIN_LEN];
    int unmarked_tlp;                         /* -1: the default */
    int64_t default_org;                      /* a taxii peer's objects' owner, or 0 */
    long interval;                            /* seconds; 0: sync.interval */
    int paused;
    char created[STORE_NODE_TIME_LEN];
    /* status (docs/federation.md section 4); "" when never */
    char last_attempt[STORE_NODE_TIME_LEN], last_success[STORE_NODE_TIME_LEN];
    char last_error_code[32];
    char last_error[STORE_NODE_ERR_LEN];
    char last_error_coll[64];
    char last_error_at[STORE_NODE_TIME_LEN];
    long failures;
    char next_run[STORE_NODE_TIME_LEN];
};

/* Add peer n (its configuration fields; not the status, not the secret): n->id and
 * created are set. MZ_ECONFLICT (field "/name") if the name is taken. */
enum mz_err store_node_add(struct store *st, struct store_node *n, struct mz_error *err);
/* Write the configuration fields of peer n->id (not its name, status or secret).
 * MZ_ENOTFOUND if there is no such peer. */
enum mz_err store_node_update(struct store *st, const struct store_node *n, struct mz_error *err);
/* MZ_ENOTFOUND when there is none. by_id 0 reads this node's row. */
enum mz_err store_node_by_name(struct store *st, const char *name, struct store_node *out, struct mz_error *err);
enum mz_err store_node_by_id(struct store *st, int64_t id, struct store_node *out, struct mz_error *err);
typedef int (*store_node_fn)(void *ctx, const struct store_node *n);
/* The peers (not row 0), by name. */
enum mz_err store_node_list(struct store *st, store_node_fn fn, void *ctx, struct mz_error *err);
/* Remove peer id: its row, its keys and its bookmarks. What was received from it
 * stays (received rows, objects.via), as do the organisations bound to it (homed at
 * a node that is gone: store_org_node then names an id no row has). In the caller's
 * transaction. MZ_ENOTFOUND if there is no such peer; row 0 is refused (MZ_EINVAL). */
enum mz_err store_node_remove(struct store *st, int64_t id, struct mz_error *err);
/* Set (secret NULL: clear) the key this node presents to peer id. */
enum mz_err store_node_set_secret(struct store *st, int64_t id, const char *secret, struct mz_error *err);
/* Read it into out (cut at cap): MZ_ENOTFOUND if none is set. For the sync client. */
enum mz_err store_node_secret(struct store *st, int64_t id, char *out, size_t cap, struct mz_error *err);
/* The status fields of peer n->id (last_attempt ... next_run) as n holds them. */
enum mz_err store_node_set_status(struct store *st, const struct store_node *n, struct mz_error *err);

/* The node organisation org_id is homed at (0: here), into *node_out; MZ_ENOTFOUND if
 * there is no such organisation. */
enum mz_err store_org_node(struct store *st, int64_t org_id, int64_t *node_out, struct mz_error *err);
/* Home organisation org_id at node (0: here). MZ_ENOTFOUND if there is none. */
enum mz_err store_org_set_node(struct store *st, int64_t org_id, int64_t node, struct mz_error *err);
/* The organisations homed at node (node > 0: bound to that peer), by identity (as
 * strcasecmp sorts them: lower-cased). */
enum mz_err store_node_orgs(struct store *st, int64_t node, store_org_fn fn, void *ctx, struct mz_error *err);
/* Of organisations homed at node, the community bits they read and write (the union
 * of their memberships). */
enum mz_err store_node_comm(struct store *st, int64_t node, uint64_t *read_out, uint64_t *write_out,
                            struct mz_error *err);

/* The keys peers present here: records as struct store_key, whose user_id is the
 * peer's node id. Stored as a hash alone, as API keys are. */
enum mz_err store_peer_key_add(struct store *st, const unsigned char *hash, size_t hash_len, struct store_key *k,
                               struct mz_error *err);
/* The record of the peer key whose hash this is, and its peer (may be NULL);
 * MZ_ENOTFOUND if none. */
enum mz_err store_peer_key_lookup(struct store *st, const unsigned char *hash, size_t hash_len,
                                  struct store_key *key_out, struct store_node *node_out, struct mz_error *err);
/* A peer's keys, oldest first. */
enum mz_err store_peer_key_list(struct store *st, int64_t node, store_key_fn fn, void *ctx, struct mz_error *err);
/* Revoke key id of peer node at unix time when (unless revoked earlier already).
 * MZ_ENOTFOUND if the peer has no key id. */
enum mz_err store_peer_key_revoke(struct store *st, int64_t node, int64_t id, int64_t when, struct mz_error *err);
/* A rotation: every key of peer node but new_id that still works at now (neither
 * revoked nor expired by then) is replaced by new_id and revoked at revoke_at (or
 * earlier, if it was to be revoked earlier anyway). *n_out: how many. */
enum mz_err store_peer_key_replace_all(struct store *st, int64_t node, int64_t new_id, int64_t revoke_at, int64_t now,
                                       long *n_out, struct mz_error *err);

/* How far a sync of (node, collection, direction) got (docs/federation.md 10.2). */
struct store_bookmark {
    int64_t node;
    char collection[64];          /* the remote collection id */
    char direction[8];            /* pull, push */
    int64_t community;            /* the local community's id, or 0 */
    char added_after[40];         /* the newest X-TAXII-Date-Added-Last applied, or "" */
    char next[4096];              /* a `next` token to try first, or "" */
    int64_t cursor;               /* push: the last local position pushed */
    int64_t objects, duplicates;
    int64_t refused_owner, refused_community, refused_tlp, refused_invalid, refused_conflict, refused_cap;
    char last_page_at[STORE_NODE_TIME_LEN];
};
/* MZ_ENOTFOUND when there is none (a subscription that never ran). */
enum mz_err store_bookmark_get(struct store *st, int64_t node, const char *collection, const char *direction,
                               struct store_bookmark *out, struct mz_error *err);
/* Insert or replace b (in the caller's transaction: a page's commit). */
enum mz_err store_bookmark_put(struct store *st, const struct store_bookmark *b, struct mz_error *err);
typedef int (*store_bookmark_fn)(void *ctx, const struct store_bookmark *b);
/* A peer's bookmarks, by collection and direction. */
enum mz_err store_bookmarks(struct store *st, int64_t node, store_bookmark_fn fn, void *ctx, struct mz_error *err);

/* Record that the version (stix_id, owner_org, vkey) of owner_org's (not a personal
 * object) was received from peer node through collection (its objects.via and a
 * received row, at the write clock's time; remote_added: the peer's date_added or "").
 * A version that has a received row already keeps its first one. MZ_ENOTFOUND if
 * there is no such version. In the caller's transaction. */
enum mz_err store_received_add(struct store *st, const char *stix_id, int64_t owner_org, const char *vkey,
                               int64_t node, const char *collection, const char *remote_added,
                               struct mz_error *err);
/* How many versions were received from node (0: from any peer). */
enum mz_err store_received_count(struct store *st, int64_t node, int64_t *count_out, struct mz_error *err);

/* The counts `mreza check` reports of the federation's tables. */
struct store_fed_counts {
    int64_t peers, peer_keys, remote_orgs, bookmarks, received;
};
enum mz_err store_fed_counts(struct store *st, struct store_fed_counts *out, struct mz_error *err);

/* ---- objects ---- */

/* Visibility grants. A row is visible when its level's bit (1 << tlp) is set in
 * all_mask, or in comm_lvl_mask and the row is shared into a community of
 * comm_mask (comm & comm_mask != 0), or in org_mask and the row's owner is org, or
 * in user_mask and the row was submitted by user, or in aud_org_mask /
 * aud_user_mask and the row's audience or shared_to names org_ident / user_ident.
 * NULL idents match nothing. */
struct store_vis {
    uint32_t all_mask;
    int64_t org;
    uint32_t org_mask;
    int64_t user;
    uint32_t user_mask;
    const char *org_ident;
    uint32_t aud_org_mask;
    const char *user_ident;
    uint32_t aud_user_mask;
    uint64_t comm_mask;     /* communities whose rows of a level in comm_lvl_mask are */
    uint32_t comm_lvl_mask; /* visible: (comm & comm_mask) != 0 (issue 11: GREEN) */
};

/* Whether a version written is its object's newest (`latest`). */
enum store_latest {
    STORE_LATEST_READ = 0, /* the store compares it with the object's newest version (and
                              answers STORE_PUT_DUPLICATE for that version) */
    STORE_LATEST_FIRST,    /* the caller knows: the object's first version */
    STORE_LATEST_NEWER,    /* ... newer than the object's newest, whose mark it clears */
    STORE_LATEST_OLDER     /* ... older than the object's newest (arriving late) */
};

/* One object to write; every pointer is borrowed for the call. */
struct store_object_in {
    const char *stix_id;
    const char *type;
    const char *version;    /* `modified`, or `created` for unversioned objects, or "" */
    const char *version_key;/* the version normalised so that it sorts as text */
    const char *created_by; /* created_by_ref, or NULL (docs/model.md R9) */
    int tlp;                /* 0..4 as rules/tlp.h numbers them */
    int tlp_defaulted;      /* 1 if the object carried no TLP marking */
    int revoked;
    const char *audience;   /* space-separated identity ids, or NULL */
    const char *body;       /* the object's JSON as received */
    size_t body_len;
    /* what the indicator index is built from (rules/stix.h explains them) */
    const char *observables;/* "<kind> <value>\n" lines, or NULL */
    int match_plan;         /* an indicator's plan, or -1 for other objects */
    int64_t valid_from, valid_until;
    /* the object model (docs/model.md), decided by the domain */
    int attested;           /* the object's first version names its owner as creator */
    int cx;                 /* the id needs the model's choice on reads (store_mark_cx) */
    int tlp_inherited;      /* unmarked: took the marking of the version it supersedes */
    enum store_latest latest_hint;
    /* communities (issue 11): the bit set of those it is shared into (0: the
     * national community alone, STORE_COMM_NATIONAL), and the identities it was
     * passed on to (a withdrawal's tombstone carries its version's; else NULL) */
    uint64_t comm;
    const char *shared_to;
    /* A version received from a peer (issue 11): peer node via (0: none), through
     * collection via_collection, remote_added the peer's date_added or NULL. A new
     * version is then written with its objects.via and its received row, as
     * store_received_add records them, in the same insert (one statement less and no
     * second write of the row: docs/performance.md, Sync). */
    int64_t via;
    const char *via_collection;
    const char *remote_added;
};

struct store_write_ctx {
    int64_t owner_org;
    int64_t submitter;
    /* NULL: the clock's time. Tests may give one (RFC 3339) to stand for the clock.
     * Either way store_put_object stamps the row with the later of that time and
     * the newest date_added already stored + 1 microsecond, under the write lock. */
    const char *date_added;
    int64_t owner_user;     /* 0, or the user whose personal object this is (docs/model.md R1.3) */
};

enum store_put_result {
    STORE_PUT_NEW = 0,
    STORE_PUT_DUPLICATE /* the same id and version from the same owner was already there */
};

/* The match_plan of an indicator evaluated on every value (no index key): rules/
 * observe.h's OBSERVE_SCAN, which domain/svc_ingest.c holds equal to it. */
#define STORE_PLAN_SCAN 4
/* How many rows (versions) owner_org holds, its users' personal objects included (an
 * index of owner_org serves it). In a write transaction, the rows it wrote count. */
enum mz_err store_count_owned(struct store *st, int64_t owner_org, int64_t *count_out, struct mz_error *err);

/* How many live scan indicators submitter (a user; 0: the console) has submitted to
 * owner_org: objects of owner_org whose newest version by submitter has match_plan
 * STORE_PLAN_SCAN and is not revoked, whatever others posted of them since (a partial
 * index of the scan rows serves it). In a write transaction, the rows it wrote
 * count. */
enum mz_err store_count_scan(struct store *st, int64_t owner_org, int64_t submitter, int64_t *count_out,
                             struct mz_error *err);

/* Write one object inside a transaction (store_begin). Its date_added is stamped
 * here, under the write lock: strictly after every row already stored, this
 * transaction's earlier ones included, so that date_added grows strictly in commit
 * (and seq) order with no ties, and a poller asking for `added_after` the newest
 * date_added it saw never misses a row committed later. A new version gets one
 * grant per community of obj->comm, stamped with its date_added. A community bit no
 * community has is MZ_EINVAL. */
enum mz_err store_put_object(struct store *st, const struct store_write_ctx *ctx,
                             const struct store_object_in *obj,
                             enum store_put_result *result_out, struct mz_error *err);

/* One version's facts for the object model (no body). Strings are borrowed for
 * the callback. */
struct store_version {
    int64_t seq, owner_org, owner_user, submitter;
    uint64_t comm;          /* its communities' bits */
    const char *shared_to;  /* identities it was passed on to (share records), or NULL */
    const char *vkey, *version, *date_added;
    int tlp, tlp_defaulted, tlp_inherited, revoked, attested, cx;
    const char *audience; /* or NULL */
    const char *wd_keep;  /* NULL, or withdrawn: space-separated identities that keep it */
    const char *created_by; /* its created_by_ref, or "" (docs/model.md R9) */
    const char *submitter_role; /* its submitter's role now (users.role), or NULL: the
                                   console, a peer's (docs/model.md R6.5 counts by it) */
};
typedef int (*store_version_fn)(void *ctx, const struct store_version *v);
/* Every version of stix_id, whoever holds it, in seq (arrival) order: what the
 * domain decides the model's choices on (it alone applies TLP to them). */
enum mz_err store_id_versions(struct store *st, const char *stix_id, store_version_fn fn, void *ctx,
                              struct mz_error *err);
/* The same, of the versions stored after seq after_seq alone (the write path reads an
 * id's rows once per bundle and then only those it added: svc_ingest.c). cx: the id
 * needs the model's choice (so do all its rows: they are read by their index,
 * objects_id_seq); else its rows are one poster's, bounded by ingest.max_versions. */
enum mz_err store_id_versions_after(struct store *st, const char *stix_id, int64_t after_seq, int cx,
                                    store_version_fn fn, void *ctx, struct mz_error *err);
/* The body of version seq, NUL-terminated, in *body_out (heap: the caller frees). */
enum mz_err store_body(struct store *st, int64_t seq, char **body_out, size_t *len_out, struct mz_error *err);
/* Delete owner_org's (owner_user 0) versions of stix_id older than keep_vkey
 * (its vkey below it), with what refers to their rows (received, grants, shares): for the
 * node-maintained records of which only the newest version has any effect, a
 * tombstone or a roster received from a peer (docs/federation.md 10.4), so that their
 * rows stay one per id whatever number of versions is sent. Called once keep_vkey's
 * row is stored (so no row deleted holds the highest seq: seq is never handed out
 * again). *n_out (may be NULL): the rows deleted. Never called on an object a reader
 * chooses among versions of. */
enum mz_err store_drop_older(struct store *st, const char *stix_id, int64_t owner_org, const char *keep_vkey,
                             long *n_out, struct mz_error *err);
/* Mark every version of stix_id as needing the model's choice on reads. */
enum mz_err store_mark_cx(struct store *st, const char *stix_id, struct mz_error *err);
/* Record the withdrawal of version seq (docs/model.md R7): keep is the new audience
 * (space-separated identity ids; "" for nobody), by the user, at (RFC 3339), why, and
 * the id of its tombstone. keep NULL records a restore: the version is readable as
 * its marking says again (the tombstone id stays). MZ_ENOTFOUND if there is no such
 * version. */
enum mz_err store_withdraw(struct store *st, int64_t seq, const char *keep, int64_t by, const char *at,
                           const char *reason, const char *tombstone, struct mz_error *err);
/* A version's withdrawal record (strings borrowed for the callback). */
struct store_withdrawal {
    int64_t seq;           /* the version */
    const char *keep;      /* who keeps it (identity ids); NULL: restored */
    int64_t by;            /* the user who withdrew (or restored) it last */
    const char *at;        /* when (RFC 3339) */
    const char *reason;    /* or NULL */
    const char *tombstone; /* the id of its x-mreza-withdrawal object */
};
typedef int (*store_withdrawal_fn)(void *ctx, const struct store_withdrawal *w);
/* The withdrawal records of stix_id's versions (every owner's), in seq order. */
enum mz_err store_withdrawals(struct store *st, const char *stix_id, store_withdrawal_fn fn, void *ctx,
                              struct mz_error *err);

enum store_order {
    STORE_ORDER_ADDED = 0, /* ascending date_added (cursor order) */
    STORE_ORDER_NEWEST,    /* newest version first */
    STORE_ORDER_EFFECTIVE  /* a reader's view (TAXII all/indicators): by each row's
                              effective stamp (store_query.view_comm), in row.added_us */
};

enum store_cx_part {
    STORE_CX_ANY = 0, /* every id */
    STORE_CX_PLAIN,   /* only ids served as their latest row (cx = 0) */
    STORE_CX_CHOICE   /* only ids that need the model's choice (cx = 1) */
};

struct store_query {
    const char *const *types; /* NULL or n_types type names, ORed */
    size_t n_types;
    const char *id;           /* exact STIX id, or NULL */
    const char *created_by;   /* identity id, or NULL */
    int node_only;            /* 1: only rows the node itself wrote (owner_org 0) */
    int by_owner;             /* 1: only rows of owner_org (submitted_by) */
    int64_t owner_org;
    enum store_cx_part cx;    /* which ids' rows */
    int tlp;                  /* one level, or -1 for any */
    const char *added_after;  /* date_added strictly after (microsecond text), or NULL */
    int64_t after_seq;        /* cursor: only rows after this sequence number */
    uint64_t comm;            /* only rows shared into one of these communities; 0: any */
    int all_versions;         /* 0: only each object's latest version, and every
                                 version of the ids marked cx (the domain chooses) */
    enum store_order order;
    long limit;               /* most rows to return; 0 = no limit */
    const char *const *ids;   /* NULL or n_ids exact STIX ids, ORed (at most 64) */
    size_t n_ids;
    /* A collection's order (issue 11, TAXII): the rows granted to community grants_of
     * (its id; 0: none), each with the stamp of its grant (store_grants) in
     * row.added_us, in the order of those stamps, after the stamp after_us
     * (microseconds; 0: from the start). after_seq, added_after and order are not
     * used then. */
    int64_t grants_of;
    int64_t after_us;
    /* STORE_ORDER_EFFECTIVE (docs/federation.md 8.1): a row of a level in view_lvl
     * (GREEN) that was shared into none of the reader's read communities view_comm
     * when it was posted, but was re-shared into one later, comes at the stamp of its
     * first such re-share (its grant there); every other row at its date_added.
     * after_us is the position, as in a collection. */
    uint64_t view_comm;
    uint32_t view_lvl;
    /* ... and with no view_comm, peer_stamps 1 also serves each row given a peers'
     * stamp (store_peer_stamp) at that stamp: mreza-direct's order (a duplicate of a
     * row a reader read at its date_added, which it takes as one). */
    int peer_stamps;
    /* What a peer reads (docs/federation.md 7, 8.1): local_only keeps the versions
     * posted here (objects.via = 0: never one received from a peer); lvl_mask (0: any)
     * keeps the rows of those levels (bit 1 << tlp); directory 1 also keeps, whatever
     * lvl_mask says, the identity objects of this node's organisations (orgs.node 0),
     * -1 drops them, 0 says nothing of them. */
    int local_only;
    uint32_t lvl_mask;
    int directory;
};

struct store_row {
    int64_t seq;
    const char *stix_id;
    const char *type;
    const char *version;
    const char *date_added;
    const char *created_by;
    int64_t owner_org;
    int64_t submitter;
    int tlp;
    int tlp_defaulted;
    const char *audience;
    const char *body;
    size_t body_len;
    int revoked;
    const char *observables; /* or NULL */
    int match_plan;          /* -1 for non-indicators; -2: stored before plans were kept */
    int64_t valid_from, valid_until;
    int64_t owner_user;      /* 0, or the user of a personal object */
    int cx;                  /* the id needs the model's choice */
    int tlp_inherited;
    const char *wd_keep;     /* NULL, or withdrawn: who keeps it (identity ids) */
    int attested;
    uint64_t comm;           /* its communities' bits (issue 11) */
    const char *shared_to;   /* identities it was passed on to, or NULL */
    /* the id's first object (docs/model.md R2.3: the owner of its first stored row,
     * and whether that object is attested - the id's claim), read by the engine */
    int64_t first_org, first_user;
    int first_attested;
    /* Who submitted it (docs/model.md R9): the store leaves them NULL; the domain's
     * read paths (svc_list, svc_get, svc_export) fill them for the row they serve. */
    const char *submitted_by;      /* the owner organisation's identity, or the node's ("" if none) */
    const char *submitted_by_name; /* its handle ("me-cirt"), or "the node" */
    int64_t added_us;        /* a collection's read (store_query.grants_of): the stamp of
                                the row's grant in it, microseconds; else 0 */
};

/* Return nonzero from the callback to stop early (store_list then returns MZ_OK). */
typedef int (*store_row_fn)(void *ctx, const struct store_row *row);

/* Calls fn for each matching visible row, in q->order, at most q->limit rows.
 * *more_out (may be NULL) is set to 1 if further rows match beyond the limit. */
enum mz_err store_list(struct store *st, const struct store_vis *vis,
                       const struct store_query *q, store_row_fn fn, void *ctx,
                       int *more_out, struct mz_error *err);
enum mz_err store_count(struct store *st, const struct store_vis *vis,
                        const struct store_query *q, int64_t *count_out,
                        struct mz_error *err);

/* ---- TAXII status resources (issue 11; docs/federation.md 6.1 and 8.2) ----
 *
 * The status resource of each TAXII POST, as JSON, kept for its poster until it
 * expires. Strings are borrowed for the call. */

struct store_taxii_status {
    const char *id;                /* the status id (a UUID) */
    int64_t user_id;               /* the poster: a user, */
    int64_t node;                  /* or a peer node (0: none) */
    const char *request_timestamp; /* RFC 3339 */
    int64_t expires;               /* unix seconds; unreadable from then on */
    const char *body;              /* the status resource */
    size_t body_len;
};

/* Delete the rows expired at now (unix seconds); *n_out (may be NULL): how many. */
enum mz_err store_taxii_status_expire(struct store *st, int64_t now, int64_t *n_out, struct mz_error *err);
enum mz_err store_taxii_status_put(struct store *st, const struct store_taxii_status *in, struct mz_error *err);
/* Drop the oldest rows of one poster (user_id / node) beyond its newest max_rows,
 * and beyond max_bytes of bodies (its newest row is always kept); *n_out (may be
 * NULL): how many were dropped. */
enum mz_err store_taxii_status_trim(struct store *st, int64_t user_id, int64_t node, long max_rows, long max_bytes,
                                    int64_t *n_out, struct mz_error *err);
/* The body of status id posted by user_id / node, unless expired at now:
 * MZ_ENOTFOUND (the same for another poster's). *body_out: heap, NUL-terminated,
 * the caller frees it; written only on success. */
enum mz_err store_taxii_status_get(struct store *st, const char *id, int64_t user_id, int64_t node, int64_t now,
                                   char **body_out, size_t *len_out, struct mz_error *err);

#endif
