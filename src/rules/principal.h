/* rules/principal.h - who is asking: a user of an organisation with one role, or
 * nobody (an unauthenticated reader, when the node allows public TLP:CLEAR reads).
 *
 * Roles:
 *   node-admin - the node operator's staff: manages the node (organisations, and the
 *              users and keys of every organisation); reads and writes like an analyst
 *   admin    - an organisation's admin: manages its own organisation's users and
 *              keys; reads and writes like an analyst
 *   analyst  - reads what TLP allows, writes objects
 *   reporter - an operator of essential services: submits, and reads like an
 *              analyst (the GREEN of the communities its organisation reads, by
 *              default its national community: issue 11); shares only its own
 *              organisation's objects
 *   viewer   - reads like an analyst, writes nothing
 *   peer     - another node (docs/federation.md section 7): reads by the border
 *              rules of rules/tlp.c, authenticated by a peer key (peer_keys), on
 *              /taxii2/ alone; no action of domain/authz.c is a peer's
 * Roles only ever narrow what TLP allows; no role widens it (not even node-admin).
 * What a member reads of TLP:GREEN is decided by the communities its organisation
 * reads (comm_read, filled from the store's memberships when the principal is made).
 * What each role may do besides reading is decided in one table: domain/authz.c.
 * Roles are stored by name; the numbers below mean nothing else. */
#ifndef MZ_PRINCIPAL_H
#define MZ_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum role {
    ROLE_NONE = 0, /* unauthenticated */
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_REPORTER,
    ROLE_VIEWER,
    ROLE_NODE_ADMIN,
    ROLE_PEER /* another node; never a user's role (role_parse refuses "peer") */
};

/* The identities of the organisations homed at a peer node (its bindings): STIX
 * identity ids sorted by strcasecmp, borrowed. */
struct tlp_idents {
    const char *const *v;
    size_t n;
};

struct principal {
    enum role role;
    struct store_user user; /* zeroed for ROLE_NONE */
    struct store_org org;   /* zeroed for ROLE_NONE */
    int console;            /* 1: the node's operator at the console (principal_console) */
    int64_t key_id;         /* the API key that authenticated it, or 0 */
    int64_t key_rotated_to; /* that key was rotated to this one and is in its grace
                               period: it may not manage accounts (domain/authz.c), or 0 */
    uint64_t comm_read;     /* the communities (bits, store.h) its organisation reads */
    uint64_t comm_write;    /* ... and may share into */
    /* ROLE_PEER alone: the peer node, and its organisations' identities */
    int64_t peer;
    const struct tlp_idents *peer_idents;
    void *peer_mem;         /* the heap block peer_idents lives in when svc_authenticate
                               made it (domain: svc_principal_release frees it), or NULL */
    int peer_require_cert;  /* the peer must present a client certificate verified by
                               tls.client_ca (peer add|set --require-client-cert) */
    char peer_client_pin[STORE_NODE_PIN_LEN]; /* ... whose key has this pin ("": any) */
};

/* The console: whoever runs `mreza` beside the store, i.e. the node's operator, who
 * can read the store's files anyway. It may manage the node (domain/authz.h) but is
 * no member of any organisation, so TLP shows it nothing a member would not see:
 * commands that read objects act as an organisation or a user instead (--as). */
void principal_console(struct principal *p);
int principal_is_console(const struct principal *p);

/* "admin" ... "viewer", "node-admin" -> role; ROLE_NONE for anything else. */
enum role role_parse(const char *name);
const char *role_name(enum role r);

#endif
