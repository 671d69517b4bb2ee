/* domain/authz.h - the one place that answers "may this principal do X?" for every
 * action that is not a read of STIX objects (reads are TLP's: rules/tlp.h). Each use
 * case (svc_*) asks here before it touches the store, whatever front end called it
 * (REST, CLI, later TAXII and the console), so that no front end decides a policy
 * and a new front end cannot forget one. The rules are one table in authz.c.
 *
 * Who is who:
 *   the console - whoever runs `mreza` beside the store (principal_console()): the
 *                 node's operator, who can read the store's files anyway. Allowed
 *                 every action that manages the node.
 *   node-admin  - the operator's staff: manages the node, and the users and keys of
 *                 every organisation (trusted as the console is; docs/api.md).
 *   admin       - an organisation's admin: manages the users and keys of its own
 *                 organisation only, never a node admin's account.
 *   analyst, reporter - write objects (a reporter reads narrowly: rules/tlp.h).
 *   viewer      - reads only.
 *   every member lists and revokes its own API keys.
 *   a rotated key, during its grace period, reads and writes as its user but manages
 *                 no accounts (it may only revoke itself: svc_key_revoke).
 *   nobody      - an unauthenticated client: may do none of these.
 *
 * Actions on a user or an organisation's users have a target (struct authz_target)
 * and a scope: a role may do them on the whole node, within its own organisation
 * (never to a node admin), or to itself - each decided by the table. */
#ifndef MZ_AUTHZ_H
#define MZ_AUTHZ_H

#include <stdint.h>

#include "rules/principal.h"
#include "util/err.h"

enum authz_action {
    AUTHZ_ORG_ADD,          /* add an organisation */
    AUTHZ_ORG_LIST,         /* list the node's organisations (the member directory) */
    AUTHZ_USER_ADD,         /* add a user (and its first key); target: the new user */
    AUTHZ_USER_LIST,        /* list an organisation's users; target: the organisation */
    AUTHZ_USER_DISABLE,     /* disable or enable a user; target: the user */
    AUTHZ_KEY_ISSUE,        /* issue (or rotate to) a new API key; target: its user */
    AUTHZ_KEY_LIST,         /* list a user's API keys (never the keys themselves) */
    AUTHZ_KEY_REVOKE,       /* revoke an API key */
    AUTHZ_KEY_CHANGE,       /* change a key's expiry or comment (may lengthen its life) */
    AUTHZ_OBJECT_WRITE,     /* submit STIX objects */
    AUTHZ_SIGHTING_REPORT,  /* record sightings of indicators (mreza match --report) */
    AUTHZ_INDEX_STATS,      /* see the indicator index's figures (all TLP levels) */
    AUTHZ_STORE_CHECK,      /* run the store's integrity check */
    AUTHZ_OBJECT_WITHDRAW,  /* withdraw versions of its organisation's objects
                               (docs/model.md R7; which versions: svc_withdraw.c) */
    AUTHZ_OBJECT_RESTORE,   /* restore a withdrawal (R7.5: an admin of the owner) */
    AUTHZ_ORG_RANK,         /* set an organisation's source rank (R2.5: the console) */
    AUTHZ_COMMUNITY_MANAGE, /* add communities, change their members (R11.1: the home
                               node's operator, at the console) */
    AUTHZ_COMMUNITY_LIST_ALL, /* list every community with its members (node admins) */
    AUTHZ_OBJECT_SHARE,     /* re-share a version (R11.3; which ones: svc_share.c - a
                               reporter only its own organisation's) */
    AUTHZ_PEER_MANAGE,      /* add, change and remove peers, their keys, secrets and
                               bindings (docs/federation.md 8.3, docs/security.md: the
                               operator at the console, as organisations' home nodes) */
    AUTHZ_PEER_LIST,        /* see the peers and their status (GET /api/v1/peers) */
    AUTHZ_N_ACTIONS
};

/* What an action is done to: a user (user_id, its organisation and role; for a user
 * being added, the role it is to get), or an organisation's users as a whole
 * (user_id 0, role ROLE_NONE). */
struct authz_target {
    int64_t org_id;
    int64_t user_id;
    enum role role;
};

/* 1 if p may do act at all: on the whole node for actions without a target, and on
 * at least some target for the others (so that a front end may refuse before it
 * reads a request's body). A key in a rotation's grace period (p->key_rotated_to)
 * may not manage accounts: organisations, users and keys (listing aside). */
int authz_allows(const struct principal *p, enum authz_action act);
/* 1 if p may do act to t. */
int authz_allows_on(const struct principal *p, enum authz_action act, const struct authz_target *t);
/* MZ_OK, or MZ_EAUTH (nobody) / MZ_EFORBIDDEN with a message that names the action
 * and who may do it. */
enum mz_err authz_check(const struct principal *p, enum authz_action act, struct mz_error *err);
/* The same for act done to t; the message also says why this target is out of p's
 * reach (another organisation, a node admin, its own account). */
enum mz_err authz_check_on(const struct principal *p, enum authz_action act, const struct authz_target *t,
                           struct mz_error *err);
/* 1 if role r is of the reporters' class (reporter, or viewer: below analyst): an
 * organisation's versions of one id submitted by this class count against their own
 * allowance of ingest.max_versions_per_org_id (docs/model.md R6.5). */
int authz_reporter_class(enum role r);

#endif
