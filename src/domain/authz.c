/* domain/authz.c - see authz.h. One row per action: which roles may do it and the
 * words of the refusal. */
#include "domain/authz.h"

#include <string.h>

/* Role bits: which roles a row allows. The console (principal_console), the node's
 * operator at the store's files, may do every action that manages the node (C_OK),
 * but writes no objects: it is no member of any organisation, and an object always
 * has one as its owner. */
#define R_ADMIN (1u << ROLE_ADMIN)
#define R_ANALYST (1u << ROLE_ANALYST)
#define R_REPORTER (1u << ROLE_REPORTER)
#define R_VIEWER (1u << ROLE_VIEWER)
#define R_MEMBER (R_ADMIN | R_ANALYST | R_REPORTER | R_VIEWER)

#define C_OK 1
#define C_NO 0

struct authz_rule {
    enum authz_action act;
    unsigned roles;
    int console;        /* C_OK: the console may too */
    const char *what;   /* "add organisations" */
    const char *who;    /* "an admin" */
};

static const struct authz_rule rules[AUTHZ_N_ACTIONS] = {
    {AUTHZ_ORG_ADD, R_ADMIN, C_OK, "add organisations", "an admin"},
    {AUTHZ_ORG_LIST, R_MEMBER, C_OK, "list organisations", "a member of the node"},
    {AUTHZ_USER_ADD, R_ADMIN, C_OK, "add users", "an admin"},
    {AUTHZ_USER_LIST_ANY, R_ADMIN, C_OK, "list another organisation's users", "an admin"},
    {AUTHZ_USER_LIST_OWN, R_MEMBER, C_OK, "list users", "a member of the node"},
    {AUTHZ_KEY_ISSUE, R_ADMIN, C_OK, "issue API keys", "an admin"},
    {AUTHZ_OBJECT_WRITE, R_ADMIN | R_ANALYST | R_REPORTER, C_NO, "write objects", "an admin, analyst or reporter"},
    {AUTHZ_SIGHTING_REPORT, R_ADMIN | R_ANALYST | R_REPORTER, C_NO, "record sightings",
     "an admin, analyst or reporter"},
    {AUTHZ_INDEX_STATS, R_ADMIN, C_OK, "see the index's figures (they count objects of every TLP level)", "an admin"},
    {AUTHZ_STORE_CHECK, R_ADMIN, C_OK, "check the store", "an admin"},
};

static const struct authz_rule *rule_of(enum authz_action act)
{
    if ((unsigned)act >= AUTHZ_N_ACTIONS || rules[act].act != act)
        return NULL; /* a table out of order is refused, not guessed (test_authz) */
    return &rules[act];
}

int authz_allows(const struct principal *p, enum authz_action act)
{
    const struct authz_rule *r = rule_of(act);

    if (!r || !p)
        return 0;
    if (principal_is_console(p))
        return r->console == C_OK;
    if (p->role == ROLE_NONE || (unsigned)p->role >= 8 * sizeof r->roles)
        return 0;
    return (r->roles >> p->role) & 1u;
}

enum mz_err authz_check(const struct principal *p, enum authz_action act, struct mz_error *err)
{
    const struct authz_rule *r = rule_of(act);

    if (authz_allows(p, act))
        return MZ_OK;
    if (!r)
        return mz_error_set(err, MZ_EFORBIDDEN, "", "unknown action %d", (int)act);
    if (principal_is_console(p))
        return mz_error_set(err, MZ_EFORBIDDEN, "", "only %s may %s: act as a user of an organisation (--user)",
                            r->who, r->what);
    if (!p || p->role == ROLE_NONE)
        return mz_error_set(err, MZ_EAUTH, "", "only %s may %s: send an API key ('Authorization: Bearer <key>')",
                            r->who, r->what);
    return mz_error_set(err, MZ_EFORBIDDEN, "", "only %s may %s (you are %s of %s)", r->who, r->what,
                        role_name(p->role), p->org.name);
}
