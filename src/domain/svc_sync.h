/* domain/svc_sync.h - what a page of a sync does to the store (issue 11,
 * docs/federation.md section 10.2): the domain side of federation, called by the sync
 * client (src/fed/) with a store connection it was given. Nothing here talks to the
 * network; every write of a page is one transaction.
 *
 * Built: svc_sync_apply_page (a pulled page), svc_sync_receive (a page a peer
 * POSTs; the TAXII POST of a peer calls svc_sync_receive_items), svc_sync_plan (a
 * peer's pull subscriptions with their bookmarks), svc_sync_run_begin/end (the
 * status fields of a run), svc_sync_push_plan/push_page/push_done (push: 10.4,
 * svc_sync_push.c), tombstones received (applied from the owner's home node),
 * rosters received (applied from the community's home: svc_roster.h), the
 * directory's identities received (the node's own path: domain/svc_directory.c, one
 * call from the per-object apply). */
#ifndef MZ_SVC_SYNC_H
#define MZ_SVC_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "domain/svc.h"

/* One subscription: a remote collection of a peer, pulled (or pushed). */
struct svc_sync_sub {
    int64_t node;                      /* the peer (nodes.id > 0) */
    const char *collection;            /* the remote collection's id (its bookmark's key) */
    const char *direction;             /* "pull"; "recv" for pages the peer pushed */
    const struct bundle_limits *lim;   /* ingest's limits for what the peer sends
                                          (max_depth, max_objects, max_versions,
                                          max_objects_per_id, max_future_skew...) */
    /* a taxii peer (another TAXII server: no x_mreza_meta; docs/federation.md 10.2);
     * all 0 for a mreza peer */
    int64_t owner_org;                 /* > 0: every object's owner (the peer's default
                                          organisation, bound to it) */
    int64_t community;                 /* the local community the collection feeds (its
                                          GREEN and CLEAR), 0: national */
    int unmarked;                      /* an unmarked object is stored at TLP level
                                          unmarked - 1; 0: the default (AMBER+STRICT of
                                          the owner, read by nobody) */
};

/* A page as the peer served it: a TAXII envelope ({"more", "next", "objects":[...]})
 * with x_mreza_meta beside its objects (docs/federation.md 8.2, "Peers"), and the
 * headers the bookmark keeps. */
struct svc_sync_page {
    const char *body;
    size_t len;
    const char *date_added_last; /* X-TAXII-Date-Added-Last, or NULL */
    const char *next;            /* the envelope's next, or NULL */
    struct json_t *env;          /* body already parsed (JSON_REJECT_DUPLICATES), or
                                    NULL: parsed here. Borrowed; the fetcher's guard
                                    hands its tree on so a page is parsed once */
    /* With env: what svc_sync_prepare made of env beforehand (fed_pull.c's fetch
     * thread, while the page before was applied), or NULL: made here. Borrowed. */
    const struct svc_sync_prep *prep;
};

/* The work of a page that reads no store: each object's validation (stix_validate)
 * and the text a version is stored with - its bytes in body, as an import stores a
 * bundle's (bundle_envelope_spans, max_depth the nesting the page was checked
 * against), or json_dumps of it when the spans cannot be told - made from env, the
 * page's envelope jansson read from body (whose objects nobody changes until the
 * apply), on any thread, before svc_sync_apply_page (docs/performance.md, Sync).
 * unmarked: the subscription's (struct svc_sync_sub): an object the apply will mark
 * is left to it. NULL when env has no objects or memory ran out (the apply then does
 * it all). Owned by the caller, valid while body and env are: svc_sync_prep_free. */
struct svc_sync_prep;
struct svc_sync_prep *svc_sync_prepare(const char *body, size_t len, struct json_t *env, int unmarked,
                                       long max_depth);
void svc_sync_prep_free(struct svc_sync_prep *prep);

/* What a page did: versions stored, sent again (the same content), refused by
 * reason (docs/federation.md section 4, `refused`). */
struct svc_sync_out {
    long objects;    /* in the page */
    long stored;     /* new versions stored (each with a received row) */
    long duplicates;
    long refused_owner, refused_community, refused_tlp, refused_invalid, refused_conflict, refused_cap;
};

/* Apply a pulled page of sub, in ONE transaction: per object, admission
 * (docs/federation.md section 7: the version is one this node could have been sent
 * - tlp_can_read of this node as the sender's peer principal - its stated owner is
 * an organisation bound to the sender, and a GREEN version is admitted into the
 * communities hosted here of which the owner is a write-member), then ingest as its
 * owner through the peer (owner_org the owner, submitter 0, objects.via the peer,
 * a received row for a version first received), each object all or nothing; then
 * the subscription's bookmark (added_after, next, counts). Idempotent by (id,
 * version): a version held already with the same content is a duplicate, with other
 * content a conflict refusal (never an overwrite). A page that cannot be read (not
 * an envelope, x_mreza_meta missing or not one entry per object) writes nothing
 * (MZ_EINVAL); a store error rolls the whole page back. */
enum mz_err svc_sync_apply_page(struct store *st, const struct svc_sync_sub *sub, const struct svc_sync_page *page,
                                struct svc_sync_out *out, struct mz_error *err);

/* The same for a page peer p (ROLE_PEER, from its peer key) POSTs to collection
 * (push to this node: docs/federation.md 10.2): the sender is p's node, the counts go
 * to its bookmark of (collection, "recv"); res is what the TAXII status reports.
 * MZ_EFORBIDDEN for any principal but a peer. */
enum mz_err svc_sync_receive(struct store *st, const struct principal *p, const char *collection, const char *body,
                             size_t len, const struct bundle_limits *lim, struct svc_sync_out *res,
                             struct mz_error *err);
/* ... telling item (item_ctx) what became of each object of the page, in order (the
 * TAXII POST of a peer: svc_taxii_status.c lists them in its status): its id and
 * version as stated (NULL if the object had none), duplicate, and refusal NULL if it
 * was stored or a duplicate, else why it was refused. Called before the page
 * commits: a page that fails whole stored nothing, whatever was said. */
enum mz_err svc_sync_receive_items(struct store *st, const struct principal *p, const char *collection,
                                   const char *body, size_t len, const struct bundle_limits *lim,
                                   void (*item)(void *ctx, const char *id, const char *version, int duplicate,
                                                const char *refusal),
                                   void *item_ctx, struct svc_sync_out *res, struct mz_error *err);

/* ---- a run (docs/federation.md 10.2, 10.3) ---- */

#define SVC_SYNC_MAX_SUBS 64

/* One pull subscription with its bookmark. */
struct svc_sync_plan_sub {
    char collection[64];       /* the remote collection: a taxii peer's configured id; a
                                  mreza peer's community UUID (its collection id there),
                                  or "mreza-direct" (the alias of its direct view) */
    char community_name[STORE_COMM_NAME_LEN]; /* the local community, "" for mreza-direct */
    int64_t community;         /* its id (0: none) */
    char added_after[40];      /* the bookmark: "" when it never ran */
    char next[4096];
};

/* What a run of one peer needs: its configuration, the key it presents there, and
 * its pull subscriptions. */
struct svc_sync_plan {
    struct store_node node;
    char secret[SVC_PEER_SECRET_MAX + 1]; /* "" when none is set */
    int64_t owner_org;                    /* a taxii peer's default organisation */
    int unmarked;                         /* a taxii peer: svc_sync_sub.unmarked */
    size_t n_subs;
    struct svc_sync_plan_sub subs[SVC_SYNC_MAX_SUBS];
};

/* The pull subscriptions of peer name (read only; the console alone, as it reads the
 * key this node presents to the peer: the node itself runs syncs). A taxii peer: its configured collection -> community
 * pairs (`peer add|set --collection`). A mreza peer: its "mreza-direct" view, and
 * each community other than national that a local organisation reads (the caller
 * keeps those the peer lists among its collections). MZ_ENOTFOUND for no such peer;
 * a paused peer or one that does not pull has no subscriptions. */
enum mz_err svc_sync_plan(struct store *st, const struct principal *p, const char *name, struct svc_sync_plan *out,
                          struct mz_error *err);

/* The start of a run of peer id: last_attempt = now (small transaction). */
enum mz_err svc_sync_run_begin(struct store *st, const struct principal *p, int64_t id, struct mz_error *err);
/* Its end: code "" (ok: last_success = now, last_error cleared, failures 0) or the
 * run's error code with its message and collection (kept until a run succeeds;
 * failures + 1). */
enum mz_err svc_sync_run_end(struct store *st, const struct principal *p, int64_t id, const char *code,
                             const char *message, const char *collection, struct mz_error *err);

/* ---- push (docs/federation.md 10.4; domain/svc_sync_push.c) ---- */

/* One push subscription: a local collection read as the peer would read it, POSTed
 * to the peer's collection remote, from its push bookmark. */
struct svc_sync_push_sub {
    char key[64];    /* the push bookmark's key: remote, or remote|mreza-direct */
    char remote[64]; /* the peer's collection POSTed to */
    char local[40];  /* the local collection read as the peer: a community's UUID, or
                        mreza-direct (a taxii peer's --push-collection ID=mreza-direct) */
    char after[40];  /* the bookmark: date_added of the last row pushed ("" never) */
    long page_work;  /* the read's work per page (api.page_work; 0: SVC_PAGE_WORK_DEFAULT),
                        set by the caller */
};
struct svc_sync_push_plan {
    int mreza;       /* a mreza peer: envelopes carry x_mreza_meta */
    size_t n;
    struct svc_sync_push_sub subs[SVC_SYNC_MAX_SUBS];
};

/* The push subscriptions of peer id (read only; the console or a node admin). A peer
 * that is paused or whose direction is pull has none. A taxii peer: its
 * `--push-collection REMOTE_ID=COMMUNITY` pairs (push bookmark rows; COMMUNITY may be
 * mreza-direct: what is addressed to the peer, CLEAR and AMBER). A mreza peer:
 * each community other than national where it hosts a read-member, by UUID on both
 * sides (the caller keeps those the peer lists as writable); mreza-direct is not
 * pushed (the view is read-only on every node: docs/federation.md 10.4). */
enum mz_err svc_sync_push_plan(struct store *st, const struct principal *p, int64_t id, struct svc_sync_push_plan *out,
                               struct mz_error *err);

/* Read only: the next page (at most limit objects) of exactly what peer id would
 * pull from sub->local - svc_taxii_read as the peer's principal: the same svc_list
 * query and TLP decision, locally-owned versions only (via = 0) - after sub->after,
 * as a TAXII envelope in env ({"objects":[...]} and, with_meta, x_mreza_meta; no
 * more/next). *n: objects in it; last: date_added of the last one (the bookmark
 * after a complete push); *more: a further page exists. A page whose work
 * (sub->page_work) ran out on rows the peer may not read is empty with *more, and
 * last is the date_added of the last row it examined: the bookmark moves there with
 * nothing sent (third attack A7); an empty page without more leaves last as it was.
 * MZ_ETOOBIG: the page outgrew env's limit; at limit 1, one object alone did, and
 * last is its date_added, *more 1 and too_big_id (SVC_SYNC_ID_LEN bytes, may be NULL)
 * its id, so that the caller passes it (fourth attack B7). */
#define SVC_SYNC_ID_LEN 128
enum mz_err svc_sync_push_page(struct store *st, const struct principal *p, int64_t id,
                               const struct svc_sync_push_sub *sub, long limit, int with_meta, struct mz_buf *env,
                               size_t *n, char last[40], int *more, char *too_big_id, struct mz_error *err);

/* Push lag (docs/federation.md 4): the age in seconds, at unix time now, of the
 * oldest version peer id would be pushed and has not been (the first after each push
 * bookmark, read as svc_sync_push_page reads it: the same TLP decision), 0 when none
 * or when the peer is pushed nothing; a paused peer's as if resumed. Runs inside the
 * caller's read transaction, opened with store_allow_nested on (the read of a push
 * page begins its own: a savepoint then); no authorisation of its own (the caller's view, e.g.
 * svc_peer_get's AUTHZ_PEER_LIST, shows only this number). */
enum mz_err svc_sync_push_lag(struct store *st, int64_t id, int64_t now, int64_t *lag_out, struct mz_error *err);

/* After the peer answered a page with a 202 whose status is complete: the push
 * bookmark of (id, sub->key) moves to last, pushed (successes) and refused
 * (failures) are added to its counts (peer show's pushed and push_refused). One
 * small transaction. */
enum mz_err svc_sync_push_done(struct store *st, const struct principal *p, int64_t id,
                               const struct svc_sync_push_sub *sub, const char *last, long pushed, long refused,
                               struct mz_error *err);

/* The next scheduled run of peer id: next_run = now + seconds (serve's scheduler,
 * node/node_sync.c; shown by peer list|show). */
enum mz_err svc_sync_next_run(struct store *st, const struct principal *p, int64_t id, long seconds,
                              struct mz_error *err);

#endif
