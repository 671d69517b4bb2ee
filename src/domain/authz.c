/* domain/authz.c - see authz.h. One row per action: which roles may do it on the
 * whole node, within their own organisation and to themselves, and the words of the
 * refusal.
 *
 * The admin question (docs/api.md, "Who manages whom"): an organisation's admin
 * manages its own organisation only, because creating a user in another
 * organisation, or issuing a key for one, would hand it that organisation's AMBER
 * (and the RED addressed to that user). Node admins keep the node-wide power: they
 * are the operator's staff, trusted as the console is (which can read the store's
 * files anyway); only a node admin (or the console) makes a node admin or touches a
 * node admin's account, so that no organisation's admin can climb to it. */
#include "domain/authz.h"

#include <stdio.h>
#include <string.h>

/* Role bits: which roles a row allows. The console (principal_console), the node's
 * operator at the store's files, may do every action that manages the node (C_OK),
 * but writes no objects: it is no member of any organisation, and an object always
 * has one as its owner. */
#define R_ADMIN (1u << ROLE_ADMIN)
#define R_ANALYST (1u << ROLE_ANALYST)
#define R_REPORTER (1u << ROLE_REPORTER)
#define R_VIEWER (1u << ROLE_VIEWER)
#define R_NODE_ADMIN (1u << ROLE_NODE_ADMIN)
#define R_ADMINS (R_ADMIN | R_NODE_ADMIN)
#define R_WRITER (R_ADMINS | R_ANALYST | R_REPORTER)
#define R_MEMBER (R_ADMINS | R_ANALYST | R_REPORTER | R_VIEWER)

#define C_OK 1
#define C_NO 0

/* A rotated key keeps working for its grace period so that the deployments that use it
 * can switch over: they read and write objects. Rotation usually follows a suspicion
 * that the key leaked, so during its grace it manages no accounts (G_NO): a thief
 * holding it could otherwise revoke its successor and lock the user out, or, with an
 * admin's key, issue itself a key that outlives the grace. It may still revoke itself
 * (svc_key_revoke), which only ends the grace sooner. */
#define G_OK 1
#define G_NO 0

struct authz_rule {
    enum authz_action act;
    unsigned roles;     /* may do it on the whole node (every target, or none) */
    int console;        /* C_OK: the console may too */
    const char *what;   /* "add organisations" */
    const char *who;    /* "an admin" */
    unsigned org;       /* may do it to its own organisation's users (not node admins) */
    unsigned self;      /* may do it to itself (the only rule for its own account) */
    int grace;          /* G_OK: a rotated key in its grace period may do it too */
};

static const struct authz_rule rules[AUTHZ_N_ACTIONS] = {
    {AUTHZ_ORG_ADD, R_NODE_ADMIN, C_OK, "add organisations", "a node admin", 0, 0, G_NO},
    {AUTHZ_ORG_LIST, R_MEMBER, C_OK, "list organisations", "a member of the node", 0, 0, G_OK},
    {AUTHZ_USER_ADD, R_NODE_ADMIN, C_OK, "add users", "an admin", R_ADMIN, 0, G_NO},
    {AUTHZ_USER_LIST, R_NODE_ADMIN, C_OK, "list users", "a member of the node", R_MEMBER, 0, G_OK},
    {AUTHZ_USER_DISABLE, R_NODE_ADMIN, C_OK, "disable or enable users", "an admin", R_ADMIN, 0, G_NO},
    {AUTHZ_KEY_ISSUE, R_NODE_ADMIN, C_OK, "issue API keys", "an admin", R_ADMIN, R_ADMINS, G_NO},
    {AUTHZ_KEY_LIST, R_NODE_ADMIN, C_OK, "list API keys", "a member of the node", R_ADMIN, R_MEMBER, G_OK},
    {AUTHZ_KEY_REVOKE, R_NODE_ADMIN, C_OK, "revoke API keys", "a member of the node", R_ADMIN, R_MEMBER, G_NO},
    {AUTHZ_KEY_CHANGE, R_NODE_ADMIN, C_OK, "change API keys", "an admin", R_ADMIN, R_ADMINS, G_NO},
    {AUTHZ_OBJECT_WRITE, R_WRITER, C_NO, "write objects", "an admin, analyst or reporter", 0, 0, G_OK},
    {AUTHZ_SIGHTING_REPORT, R_WRITER, C_NO, "record sightings", "an admin, analyst or reporter", 0, 0, G_OK},
    {AUTHZ_INDEX_STATS, R_NODE_ADMIN, C_OK, "see the index's figures (they count objects of every TLP level)",
     "a node admin", 0, 0, G_OK},
    {AUTHZ_STORE_CHECK, R_NODE_ADMIN, C_OK, "check the store", "a node admin", 0, 0, G_OK},
    {AUTHZ_OBJECT_WITHDRAW, R_WRITER, C_NO, "withdraw objects", "an admin, analyst or reporter", 0, 0, G_OK},
    {AUTHZ_OBJECT_RESTORE, R_ADMINS, C_NO, "restore withdrawn objects", "an admin", 0, 0, G_OK},
    {AUTHZ_ORG_RANK, 0, C_OK, "set an organisation's source rank", "the node's operator at the console", 0, 0, G_NO},
    {AUTHZ_COMMUNITY_MANAGE, 0, C_OK, "add communities or change their members", "the node's operator at the console",
     0, 0, G_NO},
    {AUTHZ_COMMUNITY_LIST_ALL, R_NODE_ADMIN, C_OK, "list every community and its members", "a node admin", 0, 0, G_OK},
    {AUTHZ_OBJECT_SHARE, R_WRITER, C_NO, "share objects", "an admin, analyst or reporter", 0, 0, G_OK},
    {AUTHZ_PEER_MANAGE, 0, C_OK, "manage peers and their bindings", "the node's operator at the console", 0, 0, G_NO},
    {AUTHZ_PEER_LIST, R_NODE_ADMIN, C_OK, "see the peers", "a node admin", 0, 0, G_OK},
};

static const struct authz_rule *rule_of(enum authz_action act)
{
    if ((unsigned)act >= AUTHZ_N_ACTIONS || rules[act].act != act)
        return NULL; /* a table out of order is refused, not guessed (test_authz) */
    return &rules[act];
}

/* The bit of p's role, or 0 for nobody and roles outside the enum. */
static unsigned role_bit(const struct principal *p)
{
    if (p->role == ROLE_NONE || (unsigned)p->role > ROLE_NODE_ADMIN)
        return 0;
    return 1u << p->role;
}

/* May p's role do r at all (on some target), its key's grace aside? */
static int role_allows(const struct principal *p, const struct authz_rule *r)
{
    return ((r->roles | r->org | r->self) & role_bit(p)) != 0;
}

/* Is p's key in a rotation's grace period, and r an action such a key may not do? */
static int grace_refuses(const struct principal *p, const struct authz_rule *r)
{
    return p->key_rotated_to != 0 && r->grace != G_OK;
}

int authz_allows(const struct principal *p, enum authz_action act)
{
    const struct authz_rule *r = rule_of(act);

    if (!r || !p)
        return 0;
    if (principal_is_console(p))
        return r->console == C_OK;
    return role_allows(p, r) && !grace_refuses(p, r);
}

static int is_self(const struct principal *p, const struct authz_target *t)
{
    return t->user_id != 0 && t->user_id == p->user.id;
}

int authz_allows_on(const struct principal *p, enum authz_action act, const struct authz_target *t)
{
    const struct authz_rule *r = rule_of(act);
    unsigned bit;

    if (!r || !p || !t)
        return 0;
    if (principal_is_console(p))
        return r->console == C_OK;
    if (grace_refuses(p, r))
        return 0;
    bit = role_bit(p);
    if (!r->org && !r->self)
        return (r->roles & bit) != 0; /* a node-wide action: the target changes nothing */
    if (is_self(p, t))
        return (r->self & bit) != 0;
    if (r->roles & bit)
        return 1;
    if (t->role == ROLE_NODE_ADMIN)
        return 0; /* only a node admin makes or manages a node admin */
    return (r->org & bit) && p->org.id != 0 && t->org_id == p->org.id;
}

/* Who p is, for a refusal's message: "analyst of al-cert", or "peer node NAME" (a
 * peer is no member of any organisation: its org name is empty). */
static const char *you_are(const struct principal *p, char *out, size_t cap)
{
    if (p->role == ROLE_PEER)
        snprintf(out, cap, "peer node %s",
                 strncmp(p->user.name, "peer:", 5) ? p->user.name : p->user.name + 5);
    else
        snprintf(out, cap, "%s of %s", role_name(p->role), p->org.name);
    return out;
}

enum mz_err authz_check(const struct principal *p, enum authz_action act, struct mz_error *err)
{
    char you[320];
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
    if (role_allows(p, r) && grace_refuses(p, r))
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "this API key was rotated and works only until its grace period ends, to read and write "
                            "objects: it may not %s (it may revoke itself); use the key that replaced it",
                            r->what);
    return mz_error_set(err, MZ_EFORBIDDEN, "", "only %s may %s (you are %s)", r->who, r->what,
                        you_are(p, you, sizeof you));
}

enum mz_err authz_check_on(const struct principal *p, enum authz_action act, const struct authz_target *t,
                           struct mz_error *err)
{
    const struct authz_rule *r = rule_of(act);
    char you[320];
    enum mz_err rc;

    if (authz_allows_on(p, act, t))
        return MZ_OK;
    rc = authz_check(p, act, err); /* not allowed at all: that message */
    if (rc)
        return rc;
    if (!t)
        return mz_error_set(err, MZ_EFORBIDDEN, "", "no target given to %s", r->what);
    if (is_self(p, t))
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "you may not act on your own account this way (%s); ask another admin (you are %s)",
                            r->what, you_are(p, you, sizeof you));
    if (!((r->roles | r->org) & role_bit(p)))
        return mz_error_set(err, MZ_EFORBIDDEN, "", "you may %s of your own account only (you are %s)",
                            r->what, you_are(p, you, sizeof you));
    if (t->role == ROLE_NODE_ADMIN)
        return mz_error_set(err, MZ_EFORBIDDEN, "",
                            "only a node admin may grant the node-admin role or act on a node admin's account "
                            "(you are %s)", you_are(p, you, sizeof you));
    return mz_error_set(err, MZ_EFORBIDDEN, "", "only a node admin may %s in another organisation (you are %s)",
                        r->what, you_are(p, you, sizeof you));
}

int authz_reporter_class(enum role r)
{
    return r == ROLE_REPORTER || r == ROLE_VIEWER;
}
