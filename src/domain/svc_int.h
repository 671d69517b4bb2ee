/* domain/svc_int.h - internals shared by the domain's use-case files (svc_*.c), not
 * for the front ends: making a key inside a caller's transaction (svc_user_add gives
 * a new user its first key, svc_keys.c every other), and the account events that the
 * audit trail will record. */
#ifndef MZ_SVC_INT_H
#define MZ_SVC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "domain/svc.h"

/* Make a key for k->user_id with k's comment and expiry, inside the caller's
 * transaction: k->id, prefix and created are filled in, the key text goes to key_out
 * (SVC_KEY_LEN bytes). */
enum mz_err svc_key_make(struct store *st, struct store_key *k, char *key_out, struct mz_error *err);
/* A new random key: its text into key_out (SVC_KEY_LEN bytes), its BLAKE2b hash
 * (SVC_KEY_HASH_BYTES) into hash_out, the part a listing shows into prefix_out. User
 * keys (svc_key_make) and peer keys (svc_peer.c) are made and stored alike. */
#define SVC_KEY_HASH_BYTES 32
void svc_key_mint(char *key_out, unsigned char *hash_out, char *prefix_out, size_t prefix_cap);

/* Fill p's community masks (comm_read, comm_write) from its organisation's
 * memberships (docs/federation.md section 7): every principal of a member is made
 * with them, so that TLP:GREEN is read by membership. */
enum mz_err svc_principal_comm(struct store *st, struct principal *p, struct mz_error *err);

/* The ROLE_PEER principal of node (its name for the log): the identities of the
 * organisations homed there (node 0: this node's own, the principal this node is to
 * a peer: domain/svc_sync.c's admission) and the communities they read and write.
 * out is filled whole (what it held before is not read). Release it with
 * svc_principal_release. */
enum mz_err svc_node_principal(struct store *st, int64_t node, const char *name, struct principal *out,
                               struct mz_error *err);

/* Bind organisation org (a handle, or an identity id: a remote organisation seen
 * first is made, homed at n) to peer n, inside the caller's transaction
 * (domain/svc_peer.c): refused when another peer holds it, or when it lives here (it
 * has users). new_name: the handle of one made (NULL: profile's handle, free here,
 * else PEER-HANDLE, else PEER-<8 hex>); profile (NULL: none): what the peer's
 * directory says of it (full_name, country, sector, kind; name: its handle there),
 * taken for it here (domain/svc_directory.c). */
enum mz_err svc_peer_bind_in(struct store *st, const struct store_node *n, const char *org, const char *new_name,
                             const struct store_org *profile, struct store_org *out, struct mz_error *err);

/* 1 if k is an organisation's kind: national-csirt, sector-csirt, government-csirt,
 * police, operator, other (domain/svc_auth.c). */
int svc_org_kind_ok(const char *k);

/* Make community name here, joined from mreza peer n (its home), with the peer's
 * collection id uuid, inside the caller's transaction (svc_community_join,
 * svc_roster_join): kind `other` until a roster says; out (may be NULL) gets it. */
enum mz_err svc_community_join_in(struct store *st, const char *name, const char *uuid, const struct store_node *n,
                                  struct store_community *out, struct mz_error *err);

enum svc_account_event {
    SVC_EV_ORG_ADD,
    SVC_EV_USER_ADD,
    SVC_EV_USER_DISABLE,
    SVC_EV_USER_ENABLE,
    SVC_EV_KEY_ISSUE,
    SVC_EV_KEY_REVOKE,
    SVC_EV_KEY_ROTATE,
    SVC_EV_KEY_CHANGE
};

/* THE AUDIT HOOK. Every change to organisations, users and keys calls this once it
 * is committed: who acted (p), what was done, to which user (NULL for an
 * organisation) of which organisation, and which key (0: none). The audit trail (a
 * later issue) writes its entry here - in particular for a node admin acting in an
 * organisation other than its own, which gains it that organisation's reach
 * (docs/api.md, "Who manages whom"). Until then it is one log line
 * (event=account ... cross_org=1) for acts done through the API; the console's acts
 * are its operator's own, at the store's files, and are not logged. */
void svc_audit_account(const struct principal *p, enum svc_account_event ev, const struct store_user *user,
                       int64_t org_id, int64_t key_id);

#endif
