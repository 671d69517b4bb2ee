/* domain/svc_directory.h - the node directory across borders (issue 11,
 * docs/federation.md sections 1, 3, 6.4 and 7): the identity objects of the
 * organisations homed at a peer, as its directory states them, and what they do here.
 *
 *   - Reading a peer's directory (`mreza peer orgs`, fed/fed_directory.c fetches it):
 *     svc_directory_entry picks a directory identity out of a page the peer served
 *     (an organisation's identity it owns itself, TLP:GREEN), every field checked
 *     as hostile text; svc_directory_status says how each one is bound here.
 *   - Binding from it (`mreza peer bind PEER ID`, `--all-from-directory`):
 *     svc_directory_bind, the directory's name, country, sector and kind taken for
 *     the remote organisation; all or nothing when a conflict exists.
 *   - Receiving it (svc_sync.c's apply, one call per identity object a mreza peer
 *     sends): svc_directory_receive stores a bound organisation's identity as the
 *     node's own write (not a member's post: ingest keeps refusing identity ids the
 *     node maintains, docs/model.md R8), with objects.via the peer and a received
 *     row, GREEN in the national community (local readers see it as they see their
 *     own directory; via != 0 is never served to a peer), and updates the remote
 *     organisation's profile from its newest version (its handle here stays).
 *
 * Nothing here talks to the network or decides TLP (rules/tlp.c does). */
#ifndef MZ_SVC_DIRECTORY_H
#define MZ_SVC_DIRECTORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/svc.h"
#include "rules/stix.h"

/* How an organisation of a peer's directory is bound here. */
enum svc_dir_state {
    SVC_DIR_NOT_BOUND = 0, /* unknown here, or a remote organisation no peer speaks for */
    SVC_DIR_BOUND_HERE,    /* bound to this peer */
    SVC_DIR_BOUND_OTHER,   /* bound to another peer (a conflict) */
    SVC_DIR_LOCAL          /* an organisation (or user) of this node (a conflict) */
};

/* One organisation of a peer's directory, every text checked (printable, well-formed
 * UTF-8, within its size; a field that is not is left empty). */
struct svc_dir_entry {
    char identity[STORE_IDENT_LEN];   /* lower-case */
    char handle[STORE_NAME_LEN];      /* x_mreza_handle: its handle at home, or "" */
    char full_name[256];              /* the identity's name */
    char country[8];                  /* x_mreza_country, two capitals, or "" */
    char sector[64];                  /* sectors[0], or "" */
    char kind[32];                    /* x_mreza_kind (one of the kinds), or "other" */
    char version[40];                 /* modified */
    /* svc_directory_status */
    enum svc_dir_state state;
    char here[STORE_NAME_LEN];        /* the organisation's handle here, "" when unknown */
    char other_peer[STORE_NODE_NAME_LEN]; /* SVC_DIR_BOUND_OTHER: that peer */
    int bound_now;                    /* svc_directory_bind bound it */
};

/* A peer's directory: entries by identity, the newest version of each. Heap; freed
 * by svc_dir_list_free. */
struct svc_dir_list {
    struct svc_dir_entry *e;
    size_t n, cap;
};
void svc_dir_list_free(struct svc_dir_list *l);
/* Add (or, newer, replace the entry of the same identity) e: 1 added, 0 replaced or
 * older, -1 out of memory or over max entries. */
int svc_dir_list_put(struct svc_dir_list *l, const struct svc_dir_entry *e, size_t max);

/* Is obj (meta: its x_mreza_meta entry, NULL when there is none) a directory
 * identity: an organisation's identity object (identity_class organization), owned by
 * that organisation (meta's owner is its own id), TLP:GREEN? 1 with out filled, else
 * 0. */
int svc_directory_entry(json_t *obj, json_t *meta, struct svc_dir_entry *out);

/* How each entry of l is bound here (state, here, other_peer), for peer `peer`.
 * The console (AUTHZ_PEER_MANAGE). MZ_ENOTFOUND for no such peer. */
enum mz_err svc_directory_status(struct store *st, const struct principal *p, const char *peer,
                                 struct svc_dir_list *l, struct mz_error *err);

/* Bind organisations of peer's directory l to it, one transaction: `id` (an identity
 * id; MZ_ENOTFOUND when l lists none such), or with id NULL every one not bound yet.
 * Each takes the directory's full name, country, sector and kind; one made here
 * takes its home handle (new_name, with id only, overrides it). A conflict (bound to
 * another peer, or an organisation of this node) is refused (MZ_ECONFLICT): with id
 * NULL, if any exists nothing is bound and err lists them (up to its size). l's
 * states are filled as svc_directory_status does; *n_bound: how many were bound. */
enum mz_err svc_directory_bind(struct store *st, const struct principal *p, const char *peer,
                               struct svc_dir_list *l, const char *id, const char *new_name, size_t *n_bound,
                               struct mz_error *err);

/* What svc_directory_receive did with an object. */
enum svc_dir_verdict {
    SVC_DIR_NOT_MINE = 0,   /* not a directory identity: the page's ordinary path */
    SVC_DIR_STORED,         /* stored (with its received row), the profile updated */
    SVC_DIR_DUPLICATE,      /* this version is held with this content */
    SVC_DIR_REFUSED_OWNER,  /* the organisation is not bound to the sender (unknown
                               here, bound to another peer, or homed here) */
    SVC_DIR_REFUSED_TLP,    /* an organisation's own identity that is not GREEN */
    SVC_DIR_CONFLICT,       /* this version is held with other content */
    SVC_DIR_FAIL            /* a store error (err set): the page fails */
};

/* Inside a pulled or pushed page's transaction (svc_sync.c): obj, an object
 * validated into info that mreza peer node sent with meta (its x_mreza_meta entry:
 * owner, communities), received through collection (remote_added: the peer's
 * date_added, or NULL). SVC_DIR_NOT_MINE unless it is an identity whose owner is
 * its own id (an organisation's identity: its directory record). Stored into the
 * national community and those stated that are hosted here and admit it as a GREEN
 * version is admitted (homed at the sender, or where the organisation writes). */
enum svc_dir_verdict svc_directory_receive(struct store *st, int64_t node, const char *collection, json_t *obj,
                                           const struct stix_info *info, json_t *meta, const char *remote_added,
                                           struct mz_error *err);

/* The communities an identity of the node's directory is shared into: national, and
 * the community of kind regional homed here if there is one (docs/federation.md
 * section 2). */
enum mz_err svc_directory_comm(struct store *st, uint64_t *comm_out, struct mz_error *err);

/* Share the newest version of each of this node's organisations' directory
 * identities into community c (a regional community just made here), inside the
 * caller's transaction: a share record each, by the node (user 0) for the
 * organisation, and its grant (docs/model.md R11.3). */
enum mz_err svc_directory_share(struct store *st, const struct store_community *c, struct mz_error *err);

#endif
