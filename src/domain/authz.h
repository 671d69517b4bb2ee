/* domain/authz.h - the one place that answers "may this principal do X?" for every
 * action that is not a read of STIX objects (reads are TLP's: rules/tlp.h). Each use
 * case (svc_*) asks here before it touches the store, whatever front end called it
 * (REST, CLI, later TAXII and the console), so that no front end decides a policy
 * and a new front end cannot forget one. The rules are one table in authz.c.
 *
 * Who is who:
 *   the console - whoever runs `mreza` beside the store (principal_console()): the
 *                 node's operator, who can read the store's files anyway. Allowed
 *                 every action.
 *   admin       - manages organisations, users and keys of the node.
 *   analyst, reporter - write objects (a reporter reads narrowly: rules/tlp.h).
 *   viewer      - reads only.
 *   nobody      - an unauthenticated client: may do none of these. */
#ifndef MZ_AUTHZ_H
#define MZ_AUTHZ_H

#include "rules/principal.h"
#include "util/err.h"

enum authz_action {
    AUTHZ_ORG_ADD,          /* add an organisation */
    AUTHZ_ORG_LIST,         /* list the node's organisations (the member directory) */
    AUTHZ_USER_ADD,         /* add a user (and its first key) */
    AUTHZ_USER_LIST_ANY,    /* list the users of any organisation (else: one's own) */
    AUTHZ_USER_LIST_OWN,    /* list the users of one's own organisation */
    AUTHZ_KEY_ISSUE,        /* issue a new API key for a user */
    AUTHZ_OBJECT_WRITE,     /* submit STIX objects */
    AUTHZ_SIGHTING_REPORT,  /* record sightings of indicators (mreza match --report) */
    AUTHZ_INDEX_STATS,      /* see the indicator index's figures (all TLP levels) */
    AUTHZ_STORE_CHECK,      /* run the store's integrity check */
    AUTHZ_N_ACTIONS
};

/* 1 if p may do act. */
int authz_allows(const struct principal *p, enum authz_action act);
/* MZ_OK, or MZ_EAUTH (nobody) / MZ_EFORBIDDEN with a message that names the action
 * and who may do it. */
enum mz_err authz_check(const struct principal *p, enum authz_action act, struct mz_error *err);

#endif
