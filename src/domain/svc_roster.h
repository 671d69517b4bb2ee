/* domain/svc_roster.h - community rosters (issue 11, docs/federation.md decision 9,
 * sections 2, 7 and 10.2): the one authority on who is a member of a community that
 * spans nodes. The community's HOME node writes its membership list, after every
 * change, as a new version of one node-owned `x-mreza-roster` object (TLP:GREEN,
 * shared into the community, so it travels in the community's collection to the
 * peers that host a read-member); a node that JOINED the community admits a roster
 * only from that home, only when it is newer than the one it applied, and sets from
 * it the memberships of its own organisations and of those bound to peers
 * (identities it does not know yet are kept in the stored roster and applied when
 * `peer bind` binds them). Nothing here decides TLP: the memberships it writes are
 * what rules/tlp.c reads. */
#ifndef MZ_SVC_ROSTER_H
#define MZ_SVC_ROSTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/svc.h"
#include "rules/stix.h"

#define SVC_ROSTER_TYPE "x-mreza-roster"
#define SVC_ROSTER_PREFIX SVC_ROSTER_TYPE "--"
#define SVC_ROSTER_MAX_MEMBERS 4096 /* organisations one roster may name */

struct svc_roster_member {
    char identity[STORE_IDENT_LEN]; /* the organisation's STIX identity id (lower case) */
    int read, write;                /* its directions (at least one) */
};

/* A roster as read or to be written. id is SVC_ROSTER_PREFIX + community: one
 * object per community, the same id on every node. */
struct svc_roster {
    char id[64];
    char community[40];                   /* the community's UUID (its collection id) */
    char name[STORE_COMM_NAME_LEN];       /* its handle at the home */
    char title[STORE_COMM_TITLE_LEN];
    char kind[16];                        /* regional or other */
    char created_by[STORE_IDENT_LEN];     /* the home node's identity */
    char created[40], modified[40];       /* STIX timestamps (modified: the version) */
    size_t n;
    struct svc_roster_member *m;          /* n members (heap: svc_roster_clear) */
};

void svc_roster_clear(struct svc_roster *r);

/* r as the roster object's JSON text, TLP:GREEN (heap, NUL-terminated: the caller
 * frees it with free()). MZ_ENOMEM only. */
enum mz_err svc_roster_write(const struct svc_roster *r, char **text_out, struct mz_error *err);

/* Read a roster object into out (out is filled whole; on failure it holds nothing
 * to free). MZ_EINVAL, with the field, for anything but a roster of this form: id
 * SVC_ROSTER_PREFIX + community, kind regional or other, text without control
 * characters, at most SVC_ROSTER_MAX_MEMBERS members each an identity with a
 * direction, no identity twice. */
enum mz_err svc_roster_read(json_t *obj, struct svc_roster *out, struct mz_error *err);

/* On the home node, inside the caller's transaction: write a new version of
 * community c's roster from its memberships now (modified: now, or 1 us after the
 * newest version held, whichever is later), owned by the node. Nothing for the
 * national community or a community homed at a peer. */
enum mz_err svc_roster_publish(struct store *st, const struct store_community *c, struct mz_error *err);

/* What became of a roster received from a peer. */
enum svc_roster_verdict {
    SVC_ROSTER_APPLIED,   /* stored and applied */
    SVC_ROSTER_STALE,     /* its modified is not after the roster applied: ignored */
    SVC_ROSTER_NOT_HOME,  /* the sender is not the community's home, or it is not the
                             home's own (its owner is not the home node's identity) */
    SVC_ROSTER_COMMUNITY, /* no community of that UUID is hosted here */
    SVC_ROSTER_INVALID,   /* no roster of the form svc_roster_read reads, or not GREEN */
    SVC_ROSTER_FAIL       /* the store failed (err set) */
};

/* A roster object received from peer `sender` (obj validated as STIX into info;
 * owner: the identity its x_mreza_meta entry names; remote_added: its date_added
 * there, or NULL), inside the caller's transaction (a sync page): admitted only from
 * the community's home node and owned by that node (the peer's node identity, which
 * `community join` records), only when newer than the roster applied; then stored
 * as the home's node organisation's version (kind `node`, made here bound to the
 * peer when first needed), with its receipt record, its older versions dropped (only
 * the newest has any effect: no cap on how many are sent, security.md C3), and applied: the memberships of
 * local organisations and of those bound to peers set to the roster's (the others
 * removed), the community's kind and title taken. */
enum svc_roster_verdict svc_roster_receive(struct store *st, int64_t sender, const char *collection, json_t *obj,
                                           const struct stix_info *info, const char *owner,
                                           const char *remote_added, struct mz_error *err);

/* Apply again, inside the caller's transaction, the newest roster stored of every
 * community joined from a peer: after `peer bind` bound an organisation that a
 * roster names (its membership was kept in the roster until then). */
enum mz_err svc_roster_reapply(struct store *st, struct mz_error *err);

/* `community join NAME --peer PEER` (the console), one transaction: the community
 * made here with the peer's collection id uuid and the peer as home (as
 * svc_community_join), the peer's node identity the operator set (`peer add|set
 * --identity`; identity: what its API root says, refused when it differs; no
 * identity set: refused, naming what the API root says - security.md B5), and the roster
 * the peer served in env (a TAXII envelope with x_mreza_meta, NULL: none) admitted
 * and applied at once. *applied (may be
 * NULL): whether a roster was applied. */
enum mz_err svc_roster_join(struct store *st, const struct principal *p, const char *name, const char *uuid,
                            const char *peer, const char *identity, json_t *env,
                            struct store_community *out, int *applied, struct mz_error *err);

#endif
