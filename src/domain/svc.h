/* domain/svc.h - the use cases of a node, one function each. The HTTP API and the
 * CLI translate their input into these calls and their results into output; all
 * rules (validation, roles, TLP) are decided here or below, never above.
 * Every function takes the store connection to use; none keeps it. */
#ifndef MZ_SVC_H
#define MZ_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "fmt/bundle.h"
#include "rules/principal.h"
#include "rules/stix.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/err.h"
#include "util/timefmt.h"

/* Once per process, before any other thread starts and before any JSON is parsed:
 * starts the random generator of keys and ids (mz_random_init(); MZ_EIO if it
 * cannot start) and lets large ingests build their parse trees in arenas
 * (svc_ingest.c; without that, ingest works with plain malloc/free). */
enum mz_err svc_init(void);

/* ---- the store of a command run beside the node (svc_store.c) ---- */

enum svc_open_mode {
    SVC_OPEN_EXISTING, /* MZ_ENOTFOUND, creating nothing, unless conf->data_dir holds a node */
    SVC_OPEN_NEW,      /* MZ_ECONFLICT, touching nothing, if it holds one (init --demo) */
    SVC_OPEN_CREATE    /* open, creating the store if needed (init) */
};

/* Open the store of the node conf names; close it with svc_store_close. */
enum mz_err svc_store_open(const struct mz_conf *conf, enum svc_open_mode mode, struct store **out,
                           struct mz_error *err);
void svc_store_close(struct store *st);

/* ---- organisations, users, keys (svc_auth.c) ---- */

#define SVC_KEY_LEN 48 /* "mz_" + 43 base64url characters + NUL */

struct svc_org_new {
    const char *name;      /* handle: 2-64 of [a-z0-9.-] */
    const char *full_name; /* optional; defaults to name */
    const char *country;   /* ISO 3166-1 alpha-2; XK for Kosovo* */
    const char *sector;    /* optional, e.g. government, energy, banking, health */
    const char *kind;      /* national-csirt, sector-csirt, government-csirt, police,
                              operator, other */
    const char *identity;  /* optional fixed STIX identity id (demo data, migrations) */
};

struct svc_user_new {
    const char *org;      /* organisation handle */
    const char *name;     /* user handle */
    const char *role;     /* admin, analyst, reporter, viewer */
    const char *identity; /* optional fixed STIX identity id */
    long max_users;       /* the organisation's users beyond which a new one is refused
                           * (accounts.max_users_per_org); 0: no cap */
};

/* Each call below acts for principal p and asks domain/authz.h first: a refusal is
 * MZ_EFORBIDDEN (MZ_EAUTH for nobody) with a message saying who may. The console
 * (principal_console) may do all of them. */

/* Add an organisation and its STIX identity object (TLP:GREEN). */
enum mz_err svc_org_add(struct store *st, const struct principal *p, const struct svc_org_new *in,
                        struct store_org *out, struct mz_error *err);
/* Add a user of org_name with role, and its first API key, written to key_out
 * (SVC_KEY_LEN bytes): the only time the key is ever shown. The name must end in
 * '@' and the organisation's name (MZ_EINVAL at "/name"); the user's identity id is
 * claimed for its organisation (docs/model.md R8: svc_user_claims). */
enum mz_err svc_user_add(struct store *st, const struct principal *p, const struct svc_user_new *in,
                         struct store_user *out, char *key_out, struct mz_error *err);
/* The start-up step of docs/model.md R8 for stores from before it: write the claim
 * of every user's identity id that its organisation holds no object of (what
 * svc_user_add writes with each new user), in one transaction. *added_out: how many
 * were written; *late_out: how many of those ids some other owner posted first (that
 * object stays the id's first: the operator may withdraw it, docs/model.md R8). No
 * principal: the node's own write, at start-up. */
enum mz_err svc_user_claims(struct store *st, size_t *added_out, size_t *late_out, struct mz_error *err);
/* Set organisation name's source rank (docs/model.md R2.5: the order of the copies of
 * open ids; smaller first): 1 to MODEL_RANK_MAX, or -1 to rank it by its kind again.
 * The console's alone (R12). out (may be NULL) gets the organisation as it now is. */
enum mz_err svc_org_set_rank(struct store *st, const struct principal *p, const char *name, int rank,
                             struct store_org *out, struct mz_error *err);
/* Change a local organisation's full name, sector or kind (in's full_name, sector,
 * kind; NULL: unchanged; its handle, country and identity stay) and write a new
 * version of its directory identity, which peers receive (docs/federation.md
 * section 3). The console (AUTHZ_ORG_ADD). MZ_EINVAL for an organisation homed at a
 * peer (its home sets it). */
enum mz_err svc_org_set_profile(struct store *st, const struct principal *p, const char *name,
                                const struct svc_org_new *in, struct store_org *out, struct mz_error *err);
/* The node's organisations (every member may see the directory). */
enum mz_err svc_org_list(struct store *st, const struct principal *p, store_org_fn fn, void *ctx,
                         struct mz_error *err);
/* Users: of org_name (NULL: all of them for a node admin, one's own organisation's
 * for anyone else; anyone else naming another organisation is refused). */
enum mz_err svc_user_list(struct store *st, const struct principal *p, const char *org_name,
                          store_user_fn fn, void *ctx, struct mz_error *err);
/* PRAGMA integrity_check of the store (node admins and the console). */
enum mz_err svc_store_check(struct store *st, const struct principal *p, struct mz_error *err);

/* The principal of a user, by name (commands run as that user); a disabled user is
 * refused (MZ_EFORBIDDEN), as its keys are. */
enum mz_err svc_principal_of_user(struct store *st, const char *user_name, struct principal *out,
                                  struct mz_error *err);
/* The principal of an organisation acting as a whole, by name (export/match --as
 * ORG): an analyst of it who is no particular user, so TLP:RED addressed to people is
 * never included; a reporter when the organisation is an operator of essential
 * services, which sees what its reporters see. */
enum mz_err svc_principal_of_org(struct store *st, const char *org_name, struct principal *out,
                                 struct mz_error *err);

/* ---- communities (svc_community.c; docs/federation.md section 2) ----
 *
 * A community is a group of organisations that share TLP:GREEN; membership is per
 * organisation, read and/or write. The node's national community (made by the
 * store's migration) has every organisation as a read+write member from its
 * `org add` on. Communities and memberships are the node's operator's (the console:
 * AUTHZ_COMMUNITY_MANAGE); members list those their organisation is in, node admins
 * all of them with their members. */

#define SVC_COMMUNITY_NATIONAL "national"

struct svc_community_new {
    const char *name;        /* handle: 2-64 of [a-z0-9.-_] */
    const char *title;       /* 1-255 bytes of UTF-8 without control characters */
    const char *description; /* optional, at most 1023 bytes */
    const char *kind;        /* "regional" (at most one per node) or "other" (NULL) */
};

/* Add a community (this node its home), with no members, and its first roster
 * (svc_roster.h); out (may be NULL) gets it. */
enum mz_err svc_community_add(struct store *st, const struct principal *p, const struct svc_community_new *in,
                              struct store_community *out, struct mz_error *err);
/* Leave community name, joined from a peer (console; docs/security.md C2): its
 * memberships here are removed (no organisation here reads or writes it any more;
 * its objects stay, with their provenance), every bookmark of its collection goes
 * (nothing pulls it), and its row stays, marked left (home_node -home), so that its
 * bit stays taken and its home's roster is refused from then on; its home may then
 * be removed (peer remove) unless another joined community names it. Joined again
 * only from the same home with the same collection id (svc_community_join).
 * MZ_EINVAL for a community homed here, MZ_ECONFLICT for one left already,
 * MZ_ENOTFOUND for none. out (may be NULL) gets the row as left, home (may be NULL,
 * home_cap bytes) the name of the peer it was joined from. */
enum mz_err svc_community_leave(struct store *st, const struct principal *p, const char *name,
                                struct store_community *out, char *home, size_t home_cap, struct mz_error *err);
/* Join community name homed at mreza peer `peer`: it is made here with the peer's
 * collection id uuid (so a sync's subscriptions match it) and the peer as its home,
 * with no members until the home's roster comes (`community join` applies it at once:
 * svc_roster_join). MZ_ECONFLICT for a name or uuid taken, MZ_ENOTFOUND for no such
 * peer (console). */
enum mz_err svc_community_join(struct store *st, const struct principal *p, const char *name, const char *uuid,
                               const char *peer, struct store_community *out, struct mz_error *err);
/* Make organisation org (local, or remote: bound to a peer) a member of community
 * with these directions (at least one), or change the directions of a member; remove
 * a member. On the community's home only (MZ_EFORBIDDEN, field "community", for one
 * joined from a peer: its home decides); each change writes a new roster. */
enum mz_err svc_community_member_set(struct store *st, const struct principal *p, const char *community,
                                     const char *org, int can_read, int can_write, struct mz_error *err);
enum mz_err svc_community_member_remove(struct store *st, const struct principal *p, const char *community,
                                        const char *org, struct mz_error *err);
/* A community as p is shown it: mine is p's organisation's membership (can_read and
 * can_write 0, since NULL when it is none: a node admin listing all). */
typedef int (*svc_community_fn)(void *ctx, const struct store_community *c, const struct store_membership *mine);
/* The communities p's organisation is a member of; for node admins and the console,
 * every community; for a peer, those where an organisation bound to it is a member
 * (mine: its read and write, since ""). By name. */
enum mz_err svc_community_list(struct store *st, const struct principal *p, svc_community_fn fn, void *ctx,
                               struct mz_error *err);
/* The members of community (node admins and the console); MZ_ENOTFOUND if there is
 * no such community. */
enum mz_err svc_community_members(struct store *st, const struct principal *p, const char *community,
                                  store_membership_fn fn, void *ctx, struct mz_error *err);
/* The bits of the communities a comma-separated list of names gives (MZ_EINVAL,
 * field "community", naming an unknown one, a list of none or of too many). For
 * writing (write 1), p's organisation must be a write-member of each
 * (MZ_EFORBIDDEN, field "community"); for reading a filter, a member of each (else
 * the same MZ_EINVAL as for an unknown name), node admins of any. */
enum mz_err svc_community_mask(struct store *st, const struct principal *p, const char *names, int write,
                               uint64_t *mask_out, struct mz_error *err);

/* ---- API keys and accounts (svc_keys.c) ----
 *
 * A user has any number of keys. A key can be given a comment and an expiry, be
 * revoked (for good) and be rotated (a new key issued for the same user, the old one
 * revoked at once or after a grace period of at most SVC_KEY_GRACE_MAX seconds). A
 * user can be disabled, which refuses all its keys until it is enabled again. Each
 * call acts for p and asks domain/authz.h on the target user: an organisation's
 * admin manages its own organisation's users, a node admin everyone's, and every
 * member lists and revokes its own keys. A user that p may not even list (another
 * organisation's, for anyone but a node admin) is MZ_ENOTFOUND, as one that does not
 * exist. Times are shown as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */

#define SVC_TIME_LEN 21                 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */
#define SVC_KEY_GRACE_MAX (7 * 86400)   /* the longest a rotated key keeps working */
#define SVC_KEY_COMMENT_MAX 200         /* bytes of a key's comment */
#define SVC_KEY_USE_RESOLUTION 60       /* last_used is recorded to the minute */

/* What anyone is shown of a key: never the key itself. */
struct svc_key_view {
    int64_t id;
    char user[STORE_NAME_LEN];
    char prefix[STORE_KEY_PREFIX_LEN];   /* its first characters; "" for keys made before they were kept */
    char comment[STORE_KEY_COMMENT_LEN];
    char created[SVC_TIME_LEN];          /* "" unknown (keys made before keys had records) */
    char expires[SVC_TIME_LEN];          /* "" never */
    char last_used[SVC_TIME_LEN];        /* "" never */
    char revoked[SVC_TIME_LEN];          /* "" not; a time to come: a rotated key's grace */
    int64_t replaced_by;                 /* the key a rotation replaced it with, or 0 */
    const char *status;                  /* "active", "expired" or "revoked" (static text) */
};

/* Texts as a person or a client gives them; NULL: not given. */
struct svc_key_opts {
    const char *comment; /* at most SVC_KEY_COMMENT_MAX bytes of UTF-8 without control characters */
    const char *expires; /* svc_key_when(); issue: NULL never; rotate: NULL the old key's lifetime */
    const char *grace;   /* rotate: how long the old key keeps working ("0", "30m", "1h", "7d"); NULL 0 */
};

/* An expiry as text into unix seconds (0: never): an RFC 3339 UTC time
 * ("2026-12-31T12:00:00Z"), a date ("2026-12-31": midnight UTC at its start), a
 * duration from now ("30m", "12h", "90d", "2w"; s, m, h, d, w) or "never".
 * MZ_EINVAL, field "expires", otherwise. */
enum mz_err svc_key_when(const char *text, int64_t now, int64_t *out, struct mz_error *err);
/* How long a rotated key keeps working, into seconds: "0" or a duration ("30m",
 * "12h", "2d") of at most SVC_KEY_GRACE_MAX; NULL is 0. MZ_EINVAL, field "grace". */
enum mz_err svc_key_grace(const char *text, int64_t *out, struct mz_error *err);

/* Issue a new key for user_name (opts may be NULL). The key is written to key_out
 * (SVC_KEY_LEN bytes): the only time it is ever shown. An expiry not in the future is
 * refused: the key would never work. */
enum mz_err svc_key_issue(struct store *st, const struct principal *p, const char *user_name,
                          const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                          struct mz_error *err);
typedef int (*svc_key_fn)(void *ctx, const struct svc_key_view *k);
/* user_name's keys, oldest first. */
enum mz_err svc_key_list(struct store *st, const struct principal *p, const char *user_name, svc_key_fn fn,
                         void *ctx, struct mz_error *err);
/* Revoke key_id of user_name at once and for good (MZ_ENOTFOUND if user_name has no
 * such key). Revoking a revoked key changes nothing and is no error. */
enum mz_err svc_key_revoke(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           struct svc_key_view *out, struct mz_error *err);
/* Change key_id's comment and/or expiry (opts->expires may be "never", or a time
 * already past: the key is then expired at once; an expired key can be given a later
 * expiry, a revoked one cannot). */
enum mz_err svc_key_change(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           const struct svc_key_opts *opts, struct svc_key_view *out, struct mz_error *err);
/* Rotate key_id: a new key for the same user (comment and expiry from opts, else
 * the old key's comment and the old key's lifetime from now), and the old key revoked
 * after opts->grace (at once by default). The old key must be active. The new key
 * goes to key_out as in svc_key_issue; old_out (may be NULL) gets the old key. */
enum mz_err svc_key_rotate(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           const struct svc_key_opts *opts, struct svc_key_view *new_out,
                           struct svc_key_view *old_out, char *key_out, struct mz_error *err);
/* The key that authenticated p (whoami); MZ_ENOTFOUND for a principal without one. */
enum mz_err svc_key_current(struct store *st, const struct principal *p, struct svc_key_view *out,
                            struct mz_error *err);
/* Disable (disabled 1) or enable (0) user_name; its keys are refused from the next
 * request on while it is disabled, and work again (those neither revoked nor
 * expired) once it is enabled. Nobody disables or enables its own account. out (may
 * be NULL) gets the user as it now is. */
enum mz_err svc_user_set_disabled(struct store *st, const struct principal *p, const char *user_name,
                                  int disabled, struct store_user *out, struct mz_error *err);

/* Who holds this bearer token? MZ_EAUTH if nobody, with a message that says only
 * whether the key is unknown, revoked or expired or its user disabled - nothing of
 * whose it is. Records the key's use (to the minute, never waiting for the store). */
enum mz_err svc_authenticate(struct store *st, const char *token, struct principal *out,
                             struct mz_error *err);
/* What the connection of a request presented as its client certificate (the HTTP
 * layer finds out; api/tls.c verifies it against tls.client_ca). */
enum svc_client_cert {
    SVC_CERT_NOT_ASKED,  /* the node asks for none (no TLS, or tls.client_ca empty) */
    SVC_CERT_NONE,       /* asked, none presented */
    SVC_CERT_UNVERIFIED, /* presented, not verified by tls.client_ca */
    SVC_CERT_VERIFIED    /* presented and verified */
};
/* Whether p may go on with that certificate: MZ_OK for anyone but a peer that must
 * present one (peer add|set --require-client-cert, --client-pin); for it MZ_EAUTH
 * unless cert is SVC_CERT_VERIFIED and, when the peer has pins, pin (the leaf's
 * "sha256//...") is one of them. why: the verification's reason (may be NULL). The
 * message names the peer and what its operator must do. */
enum mz_err svc_peer_client_cert(const struct principal *p, enum svc_client_cert cert, const char *pin,
                                 const char *why, struct mz_error *err);
/* Free what svc_authenticate allocated for p (a peer's identities); p may be any
 * principal, made any way, and is left without them. */
void svc_principal_release(struct principal *p);

/* ---- objects (svc_objects.c) ---- */

struct svc_put_item {
    size_t id_off;      /* offsets into svc_ingest_result.strings */
    size_t version_off;
    int match_plan;     /* indicators: enum observe_plan (rules/observe.h); else -1 */
    int tlp;
    int tlp_defaulted;
    int tlp_raised;     /* a granular marking made the whole object stricter (rules/tlp.h) */
    int tlp_inherited;  /* unmarked: took the marking of the version it supersedes (R3.3) */
    int duplicate;
    int skipped;        /* not stored: another owner's object (R1.1), or R6.5's cap of
                           objects of one id (capped); reason_off says why */
    int capped;         /* skipped by sync.max_objects_per_id (R6.5) */
    int warn_narrow;    /* narrower than an earlier version its readers keep (R3.4) */
    size_t reason_off;  /* skipped: why; warn_copy: the owner whose copy it replaces for
                           the poster's organisation (R1.4); offsets into strings */
    int warn_copy;
    int failed;         /* per-object mode: refused (invalid, a conflict, a rule): nothing
                           of it is stored; reason_off is the refusal's message */
};

struct svc_ingest_result {
    struct svc_put_item *items;
    size_t n_items, cap;
    size_t n_new, n_duplicate, n_defaulted, n_raised, n_skipped, n_inherited;
    size_t n_failed;    /* per-object mode: items refused */
    size_t n_total;     /* the objects written or refused, whether or not an item is kept */
    size_t keep_max;    /* per-object mode: items kept of each kind (success, failure); 0: all */
    size_t kept[2];     /* items kept: [0] successes, [1] failures */
    int was_bundle;
    char *strings;      /* NUL-separated ids and versions of the items */
    size_t strings_len, strings_cap;
};

/* The id and version of item i (valid until svc_ingest_result_free). */
const char *svc_item_id(const struct svc_ingest_result *r, size_t i);
const char *svc_item_version(const struct svc_ingest_result *r, size_t i);
/* A skipped item's reason, or the owner named by an item's warn_copy. */
const char *svc_item_reason(const struct svc_ingest_result *r, size_t i);

void svc_ingest_result_free(struct svc_ingest_result *r);

/* Live indicators evaluated on every value (match plan scan) one submitter may have
 * in an organisation (svc_ingest.c: counted among its own versions, so that the
 * reply tells of nobody else's). One more is refused (MZ_ECONFLICT, field
 * "/pattern"). What they cost the matcher is bounded per organisation by its
 * budget (match.regex_budget). */
#define SVC_SCAN_PER_SUBMITTER 64

/* Validate and store a bundle or one object as p, all or nothing, in one durable
 * transaction. On error nothing is written and err names the object and field.
 * Large bundles are parsed and validated on a second thread while this one writes
 * (svc_ingest.c). */
enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err);

enum svc_ingest_flags {
    /* An object that is refused - invalid, in conflict, refused by a rule of the
     * model - is an item with `failed` set and its message; the rest is stored (in
     * one transaction still). The write fails as a whole only when the body cannot
     * be read, on a store or memory error, or past the organisation's quota
     * (ingest.max_objects_per_org). Objects go one at a time (no second thread). */
    SVC_INGEST_PER_OBJECT = 1,
    /* The body is a TAXII envelope (bundle_split_envelope), not a bundle */
    SVC_INGEST_TAXII_ENVELOPE = 2
};

/* svc_ingest with flags (enum svc_ingest_flags): TAXII POST's per-object write. */
enum mz_err svc_ingest_flags(struct store *st, const struct principal *p, const char *buf, size_t len,
                             const struct bundle_limits *lim, unsigned flags, struct svc_ingest_result *res,
                             struct mz_error *err);

/* svc_ingest of one object the caller has already parsed and validated (obj, and
 * info from stix_validate(obj): borrowed, neither changed nor freed), stored with
 * raw (raw_len bytes) as its text unless info names a standard body: every rule of
 * svc_ingest of a one-object body but the parse and the second validation (its
 * nesting is checked against lim->max_depth as the splitter would). Called inside
 * the caller's write transaction (store_begin, store_allow_nested): the object's
 * writes are a savepoint of their own only where a refusal can come after them (a
 * scan indicator's quota, ingest.max_objects_per_org), so a refusal leaves nothing
 * of it; a failure after it began writing is MZ_EIO, and the caller must roll back.
 * A peer's pulled object takes this way (svc_sync.c: validated for its admission). */
/* rcpt (or NULL): the peer the version came from; a new version is then written with
 * its objects.via and received row (store_write_ctx.via), as store_received_add
 * records them. */
struct svc_receipt {
    int64_t node;             /* the peer node */
    const char *collection;   /* the collection it came through */
    const char *remote_added; /* the peer's date_added, or NULL */
};
enum mz_err svc_ingest_validated(struct store *st, const struct principal *p, json_t *obj,
                                 const struct stix_info *info, const char *raw, size_t raw_len,
                                 const struct bundle_limits *lim, const struct svc_receipt *rcpt,
                                 struct svc_ingest_result *res, struct mz_error *err);

/* What a list reads (docs/federation.md 8.1, 8.3): REST's list (SVC_VIEW_REST), or a
 * TAXII collection - a community's (in its grants' order, each row with its grant's
 * date_added), the reader's all view or its indicators (its objects of type
 * indicator), whose rows are REST's list's in the order of the reader's effective
 * grants (store.h STORE_ORDER_EFFECTIVE). */
enum svc_view {
    SVC_VIEW_REST = 0,
    SVC_VIEW_COMMUNITY, /* svc_query.community names the one community */
    SVC_VIEW_ALL,
    SVC_VIEW_INDICATORS,
    SVC_VIEW_DIRECT /* a peer's mreza-direct: what it reads here that is not GREEN, and
                       the node's directory (docs/federation.md 8.1) */
};

/* The versions of an object a list serves (TAXII's match[version]). */
enum svc_version_sel {
    SVC_VERSION_LAST = 0, /* the version the reader is served (R2, R3), as REST */
    SVC_VERSION_ALL,      /* every version of it the reader may read (= all_versions) */
    SVC_VERSION_LIST      /* those sel_first, sel_last and versions name */
};

struct svc_query {
    const char *const *types; /* filters as in store_query */
    size_t n_types;
    const char *id;
    const char *created_by;   /* created_by_ref alone (docs/model.md R9) */
    const char *submitted_by; /* the owner organisation's identity (R9), or NULL */
    int node_only;            /* only what the node itself wrote (the domain's own lists,
                                 such as campaign_list; front ends leave it 0) */
    int tlp;                  /* -1 for any */
    const char *added_after;  /* RFC 3339; normalised here */
    const char *next;         /* cursor from a previous page, or NULL */
    long limit;               /* 0 = all */
    long work;                /* svc_list: the most work one page does (api.page_work: rows
                                 read plus versions model_load weighs); 0: SVC_PAGE_WORK_DEFAULT.
                                 A page that spends it ends early (more, next), after one row
                                 at least */
    char *examined;           /* svc_list, when set (MZ_TIME_STRLEN bytes): on a page that
                                 ends with more, the date_added (a collection's: its grant
                                 stamp) of the last row it examined, where next stands,
                                 served to the reader or not; else "". A reader that pages
                                 by added_after resumes from it past rows it may not read
                                 (docs/federation.md 10.3, third attack A1) */
    int all_versions;
    int with_submitted_by;    /* svc_export: the bundle ends with x_mreza_submitted_by,
                                 {"<id>":"<owner's identity>"} for each object (R9) */
    const char *community;    /* only versions shared into one of these communities
                                 (comma-separated names, svc_community_mask), or NULL */
    /* TAXII (svc_taxii.c fills them; REST leaves them zero) */
    enum svc_view view;
    const char *const *ids;   /* only these ids (at most SVC_MAX_IDS), or NULL */
    size_t n_ids;
    enum svc_version_sel version_sel; /* SVC_VERSION_ALL sets all_versions */
    int sel_first, sel_last;  /* SVC_VERSION_LIST: the oldest version the reader may read
                                 of the object served, the one it is served */
    const struct mz_time *versions; /* SVC_VERSION_LIST: exact `modified` (or `created`) */
    size_t n_versions;
    int nothing;              /* the filters select nothing (match[spec_version] without
                                 2.1, match[type] without indicator in the indicators
                                 view): an empty page, the store unasked */
};

#define SVC_MAX_IDS 64
#define SVC_PAGE_WORK_DEFAULT 200000 /* api.page_work's default */

/* A type filter given as text ("indicator,incident"), as both front ends take it. */
#define SVC_MAX_TYPES 64
struct svc_types {
    char buf[4096];
    const char *v[SVC_MAX_TYPES];
};

/* Read list into t and point q's type filter at it (t must outlive q's use). Refused
 * (MZ_EINVAL, field "type"), never cut short or read as "every type": a list longer
 * than the buffer, more than SVC_MAX_TYPES types, or one that names none (",", ""). */
enum mz_err svc_query_types(struct svc_query *q, struct svc_types *t, const char *list, struct mz_error *err);

/* ---- withdrawal (svc_withdraw.c; docs/model.md R7) ---- */

#define SVC_WITHDRAW_MAX_VERSIONS 1000 /* versions named in one request */
#define SVC_WITHDRAW_MAX_TO 64         /* identities that keep them */
#define SVC_WITHDRAW_REASON_MAX 1000   /* bytes of the reason */

/* What to withdraw. Strings are borrowed for the call. */
struct svc_withdraw_in {
    const char *id;
    const char *const *versions; /* their `modified`; NULL: every version you may read */
    size_t n_versions;
    const char *const *to;       /* identity ids that keep them besides the owner */
    size_t n_to;
    int owner_gives_up;          /* 1: the owner organisation does not keep them either */
    const char *reason;          /* or NULL: kept in the record, shown to the owner only */
    int restore;                 /* 1: restore withdrawn versions instead (R7.5) */
    uint64_t comm;               /* nonzero: only versions shared into these communities (TAXII
                                    DELETE from one collection); others are as if absent */
};

/* One version withdrawn or restored. */
struct svc_withdrawn {
    char version[STIX_VKEY_LEN + 8]; /* its `modified` ("" for an SCO's only version) */
    int tlp;
    char tombstone[96];              /* the id of its x-mreza-withdrawal object */
    char at[MZ_TIME_STRLEN];         /* the record's time ("": it changed nothing) */
    char *keep;                      /* who keeps it (identity ids, space-separated;
                                        heap); NULL after a restore */
};

struct svc_withdraw_result {
    struct svc_withdrawn *items;
    size_t n, cap;
};
void svc_withdraw_result_free(struct svc_withdraw_result *r);

/* Withdraw versions of id as p, all or nothing (docs/model.md R7): of p's
 * organisation's object and p's own personal object, the versions p may read (all of
 * them, or those named). Each version keeps its marking and is read only by readers
 * who are also in its new audience (the owner organisation unless it gives it up, and
 * `to`); a version withdrawn before is narrowed further, never widened. Each gets a
 * tombstone and a record of who, when and why. Who may: the version's submitter; an
 * admin or analyst of the owner who may read it; a reporter only what it submitted;
 * TLP:RED only its submitter (MZ_EFORBIDDEN naming the version). A restore (admins)
 * makes the withdrawn versions readable as their markings say again. An id of which
 * p may read no version of its own objects is MZ_ENOTFOUND, as an unknown one; a
 * named version that does not exist or that p may not read is MZ_EINVAL
 * (field "/versions/N"), the same for both. */
enum mz_err svc_withdraw(struct store *st, const struct principal *p, const struct svc_withdraw_in *in,
                         struct svc_withdraw_result *res, struct mz_error *err);

/* The node withdraws versions of its own object id (owner 0: a campaign grouping,
 * docs/model.md R11.6) from everyone, within the caller's transaction: each version
 * of id whose seq is in seqs (n_seqs of them) that the node owns and that is not
 * withdrawn from everyone yet gets its record (by user 0, with reason) and its
 * tombstone, created by node_ident; the id is marked as needing the model's choice.
 * *n_out (may be NULL): how many were withdrawn now. */
enum mz_err svc_withdraw_node(struct store *st, const char *node_ident, const char *id, const int64_t *seqs,
                              size_t n_seqs, const char *reason, size_t *n_out, struct mz_error *err);

/* A withdrawal record as the owner organisation reads it (strings borrowed for the
 * callback). */
struct svc_withdrawal_view {
    const char *version;   /* "" for an SCO */
    int tlp;
    const char *keep;      /* who keeps it; NULL: restored */
    const char *by;        /* the user who withdrew (or restored) it last */
    const char *at;
    const char *reason;    /* or NULL */
    const char *tombstone;
};
typedef int (*svc_withdrawal_fn)(void *ctx, const struct svc_withdrawal_view *w);
/* The withdrawal records of id's versions that p's organisation owns (and p's own
 * personal object) and that p may read under their markings. MZ_ENOTFOUND when p
 * may read no version of its organisation's objects of id. */
enum mz_err svc_withdrawals(struct store *st, const struct principal *p, const char *id, svc_withdrawal_fn fn,
                            void *ctx, struct mz_error *err);

/* ---- re-sharing (svc_share.c; docs/model.md R11.3, docs/federation.md section 2) ---- */

#define SVC_SHARE_MAX_TO 64        /* recipients named in one share */
#define SVC_SHARE_MAX_SHARED 256   /* identities a version may be passed on to in all */

/* What to share. Strings are borrowed for the call. */
struct svc_share_in {
    const char *id;
    const char *version;       /* its `modified` (or `created`); NULL: the version p is served */
    const char *community;     /* share a CLEAR or GREEN version into this community, or NULL */
    const char *const *to;     /* or pass an AMBER, AMBER+STRICT or RED version on to these:
                                  organisations (RED: users), by handle or identity id */
    size_t n_to;
};

struct svc_share_result {
    char version[STIX_VKEY_LEN + 8]; /* the version shared ("" for an SCO's only one) */
    int tlp;
    int changed;                     /* 0: it was shared so already (no record written) */
    int64_t record;                  /* the share record's id, or 0 */
    char at[MZ_TIME_STRLEN];         /* when ("" when nothing changed) */
    char community[STORE_COMM_NAME_LEN]; /* the community shared into, or "" */
    char recipients[2048];           /* the identities passed on to now, space-separated */
};

/* Share a version of id as p (docs/federation.md section 2's table), recording who
 * and when (a share record, never a new version; the id is marked cx):
 *   CLEAR, GREEN: into a community p's organisation writes to, when p may read the
 *     version (a reporter: only its own organisation's objects); `to` is 400;
 *   AMBER: on to organisations, by its owner (any organisation of the node) or by an
 *     organisation it is addressed to (x_mreza_recipient_refs), to its clients: the
 *     read-members of the national community; a community is 400 (no community
 *     widens AMBER);
 *   AMBER+STRICT (organisations) and RED (users): on, by its owner only.
 * An id of which p may read no version is MZ_ENOTFOUND, as an unknown one; a named
 * version that p may not read or that does not exist MZ_EINVAL (field "version"); a
 * withdrawn version MZ_ECONFLICT; refusals of the table MZ_EFORBIDDEN (field
 * "community" or "to"). Sharing what is shared so already changes nothing (changed
 * 0). */
enum mz_err svc_share(struct store *st, const struct principal *p, const struct svc_share_in *in,
                      struct svc_share_result *res, struct mz_error *err);

/* Called for each visible row; return nonzero to stop. */
typedef int (*svc_row_fn)(void *ctx, const struct store_row *row);

/* Is row (a version of the store) the directory's: the GREEN identity object of one
 * of this node's organisations (what every peer reads: docs/federation.md 3, 7)? */
int svc_directory_row(struct store *st, const struct store_row *row);
/* List what p may see. next_out (CURSOR_STRLEN bytes) receives the token of the next
 * page, or "" when there is none: there is one when a further row is served to p
 * (rows p may not read never make one), when fn stopped the read, or when the page
 * spent q->work (then the page may hold fewer than q->limit rows, none even). A peer (ROLE_PEER) reads in a TAXII view alone
 * (svc_query.view), only versions posted here, every version (no model choice) but
 * withdrawn ones: docs/federation.md 8.1. */
enum mz_err svc_list(struct store *st, const struct principal *p, const struct svc_query *q,
                     svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err);
enum mz_err svc_count(struct store *st, const struct principal *p, const struct svc_query *q,
                      int64_t *count_out, struct mz_error *err);
/* The newest visible version of id (or all visible versions, oldest first).
 * MZ_ENOTFOUND when p may see none: the same answer as for an id never stored. */
enum mz_err svc_get(struct store *st, const struct principal *p, const char *id,
                    int all_versions, svc_row_fn fn, void *ctx, struct mz_error *err);

/* Writes a chunk of output; returns 0, or nonzero to abort. */
typedef int (*svc_write_fn)(void *ctx, const char *data, size_t len);

/* Write a STIX 2.1 bundle of everything p may see that q selects (q->limit and
 * q->next are ignored), with the TLP marking definitions it references, through
 * write in pieces of about 256 KiB (an svc_export cursor, below). */
enum mz_err svc_export(struct store *st, const struct principal *p, const struct svc_query *q,
                       svc_write_fn write, void *ctx, size_t *n_objects_out,
                       struct mz_error *err);

/* The same bundle a piece at a time, for a caller that is asked for its output
 * (a streamed HTTP reply) rather than one that pushes it.
 *
 * svc_export_open() checks q (MZ_EINVAL naming the parameter), copies what it needs
 * of p and q (neither need outlive the call) and opens a read transaction on st:
 * every piece comes from that one snapshot. st is borrowed until svc_export_close(),
 * which ends the transaction; use st for nothing else meanwhile.
 *
 * svc_export_next() appends the next piece to out, stopping once out holds about
 * target bytes; *done_out is 1 when the bundle is complete. A piece holds whole
 * objects and never passes out->limit: an object that does not fit beside what out
 * holds waits for the next call, one that does not fit into an empty out is
 * MZ_ETOOBIG. On any error the bundle is unfinished and must not be passed on as
 * if it were whole (the HTTP layer closes the connection). */
struct svc_export;
enum mz_err svc_export_open(struct store *st, const struct principal *p, const struct svc_query *q,
                            struct svc_export **out, struct mz_error *err);
enum mz_err svc_export_next(struct svc_export *x, struct mz_buf *out, size_t target, int *done_out,
                            struct mz_error *err);
/* Objects written so far. */
size_t svc_export_count(const struct svc_export *x);
void svc_export_close(struct svc_export *x);

/* ---- TAXII's writes: POST, status, DELETE (svc_taxii_status.c; docs/federation.md
 * 8.2, issue 11 work package 3) ----
 *
 * A collection is named by its id (the community's UUID) or alias (its name); one
 * p's organisation is no member of is MZ_ENOTFOUND, as one that does not exist. */

/* The detail lists of a TAXII status stop at this many bytes (taxii.status_max_details
 * entries at most): what one POST keeps is bounded whatever its reasons' lengths. */
#define SVC_TAXII_DETAILS_BYTES 32768

struct svc_taxii_post_in {
    const char *collection;          /* id or alias */
    const char *body;                /* the envelope, body_len bytes */
    size_t body_len;
    const struct bundle_limits *lim; /* as for svc_ingest (communities is ignored) */
    long keep;                       /* taxii.status_keep: seconds the status is kept */
    long max_details;                /* taxii.status_max_details */
    long max_rows;                   /* taxii.status_max_per_user: the poster's rows kept */
    long max_bytes;                  /* taxii.status_max_bytes_per_user: and their bytes */
};

/* POST .../collections/{id}/objects/: the envelope's objects written into the
 * collection's community as p (svc_ingest_flags, per-object): each refused object
 * (invalid, a conflict, skipped by the model's rules) is a failure with its message,
 * duplicates are successes, the rest is committed before this returns. The status
 * resource (status "complete") is appended to out and kept for p for in->keep
 * seconds; expired ones are deleted first. Refusals of the whole: MZ_ENOTFOUND (the
 * collection), MZ_EFORBIDDEN (p may not write into it), MZ_EUNPROCESSABLE (no
 * envelope), MZ_EINVAL (unreadable JSON), MZ_ETOOBIG (limits, quota). */
enum mz_err svc_taxii_post(struct store *st, const struct principal *p, const struct svc_taxii_post_in *in,
                           struct mz_buf *out, struct mz_error *err);
/* The status resource id that p posted, unexpired, appended to out; MZ_ENOTFOUND
 * otherwise (unknown, expired, another poster's: one message). */
enum mz_err svc_taxii_status_get(struct store *st, const struct principal *p, const char *id, struct mz_buf *out,
                                 struct mz_error *err);
/* DELETE .../collections/{collection}/objects/{id}/: svc_withdraw as p of every
 * version of id p may withdraw, or of those of versions (a comma list of
 * `modified` values, or NULL), with no `to` and owner_gives_up (docs/model.md
 * R7.5). MZ_ENOTFOUND when p may neither read nor write the collection, or (R7.1)
 * p's organisation holds no such version it may read; MZ_EFORBIDDEN when p may only
 * one of the two, or R7.2 refuses. */
enum mz_err svc_taxii_delete(struct store *st, const struct principal *p, const char *collection, const char *id,
                             const char *versions, struct mz_error *err);
/* ---- peers (svc_peer.c; docs/federation.md sections 1 and 4) ----
 *
 * A peer is another node this one syncs with. The operator at the console manages
 * peers (AUTHZ_PEER_MANAGE: binding an organisation to a peer is deciding its home
 * node, docs/security.md), node admins see them too (AUTHZ_PEER_LIST); nobody is ever shown the
 * key this node presents to a peer (svc_peer_secret_set stores it; only the sync
 * client reads it, from the store). A peer authenticates here with a peer key
 * (svc_peer_key_issue) as a ROLE_PEER principal, on /taxii2/ alone. A remote
 * organisation (orgs.node = the peer) is bound to exactly one peer: what a peer
 * states an organisation of another node owns is refused on receipt. */

#define SVC_PEER_ORGS_MAX 4096 /* organisations bound to one peer */
#define SVC_PEER_SECRET_MAX 4096
#define SVC_PEER_SHOW_ORGS 64  /* organisations a view names (orgs_total counts all) */
#define SVC_PEER_SHOW_SUBS 32  /* subscriptions a view holds (n_subs_total counts all) */

/* A peer's configuration as a person gives it; NULL (0, -1) fields: not given. For
 * svc_peer_set, not given is unchanged; for svc_peer_add the defaults of section 1. */
struct svc_peer_new {
    const char *name;        /* 2-63 of [a-z0-9.-_], not "self" */
    const char *url;         /* https://... (http:// only with allow_http) */
    const char *kind;        /* mreza (default), taxii */
    const char *direction;   /* pull (default), push, both */
    const char *country;     /* ISO 3166-1 alpha-2 */
    int system_ca;           /* 1: verify by the system's CAs (the default) */
    const char *ca_file;     /* verify by this CA file */
    const char *pin;         /* verify by the server key's hash: "sha256//<base64>"[;...] */
    const char *client_cert, *client_key; /* both or neither */
    int allow_http;          /* -1 not given; 1: an http:// URL is accepted */
    const char *auth;        /* bearer (default), basic */
    const char *user;        /* Basic's user name */
    long interval;           /* seconds, -1 not given; 0: sync.interval */
    int paused;              /* -1 not given */
    const char *const *orgs; /* add: organisations (handles or identities) bound to the
                                peer at once; a taxii peer's first owns what it sends */
    size_t n_orgs;
    const char *const *collections; /* taxii peers: "REMOTE_ID=COMMUNITY" pull subscriptions
                                       (added, or their community changed; progress kept) */
    size_t n_collections;
    const char *const *push_collections; /* taxii peers: "REMOTE_ID=COMMUNITY" push
                                       subscriptions: the local COMMUNITY, as the peer
                                       would read it, POSTed to the peer's REMOTE_ID */
    size_t n_push_collections;
    const char *identity;    /* mreza peers: the node's STIX identity (its API root's
                                x_mreza_node.identity, checked on every run); "" clears */
    const char *unmarked;    /* taxii peers: clear|green (what an unmarked object is stored
                                as), default (AMBER+STRICT of the owner); NULL not given */
    int client_cert_required; /* 0 not given; SVC_PEER_CERT_REQUIRED: the peer must present
                                 a client certificate verified by tls.client_ca here;
                                 SVC_PEER_CERT_OPTIONAL: no longer (clears the pins too) */
    const char *client_pin;   /* "sha256//..." (';'-separated): the pins its certificate's
                                 key must have (implies required); "" or "none" clears */
};
#define SVC_PEER_CERT_REQUIRED 1
#define SVC_PEER_CERT_OPTIONAL 2

/* A taxii peer's push of the direct view (`--push-collection ID=mreza-direct`): its
 * bookmark's key is ID followed by SVC_SYNC_DIRECT_KEY. */
#define SVC_SYNC_DIRECT "mreza-direct"
#define SVC_SYNC_DIRECT_KEY "|mreza-direct"

/* A subscription's progress (its bookmark), as a view shows it. */
struct svc_peer_sub {
    char collection[64];
    char direction[8];
    char community[STORE_COMM_NAME_LEN]; /* the local community, or "" */
    int64_t community_id;                /* its id, 0 when none */
    char added_after[40];
    int64_t objects, duplicates;
    char last_page_at[STORE_NODE_TIME_LEN];
};

/* What anyone allowed is shown of a peer (never its secret): its configuration, its
 * status (docs/federation.md section 4) and counts. */
struct svc_peer_view {
    struct store_node node;
    const char *state;       /* new, ok, failing, paused (static text) */
    int64_t lag_seconds;     /* pull or both: seconds since last_success (-1: never);
                                push: push_lag_seconds */
    int64_t push_lag_seconds; /* push or both: age of the oldest version the peer may
                                 be pushed that is not yet (0: none); -1 for pull */
    int64_t received, duplicates, pushed, push_refused;
    int64_t refused_owner, refused_community, refused_tlp, refused_invalid, refused_conflict, refused_cap;
    int64_t keys_active;     /* peer keys neither revoked nor expired */
    char default_org[STORE_NAME_LEN];
    char orgs[SVC_PEER_SHOW_ORGS][STORE_NAME_LEN]; /* the organisations bound to it, by identity */
    size_t n_orgs, orgs_total;
    struct svc_peer_sub subs[SVC_PEER_SHOW_SUBS];
    size_t n_subs, n_subs_total;
};

/* Add a peer and issue its first key (key_out, SVC_KEY_LEN bytes: shown once).
 * MZ_EINVAL (field named) for a bad setting, an http:// URL without allow_http
 * (field "/url"); MZ_ECONFLICT for a name taken or an organisation bound elsewhere. */
enum mz_err svc_peer_add(struct store *st, const struct principal *p, const struct svc_peer_new *in,
                         struct svc_peer_view *out, char *key_out, struct mz_error *err);
/* Change peer name's settings (in->name ignored; in->orgs ignored). */
enum mz_err svc_peer_set(struct store *st, const struct principal *p, const char *name,
                         const struct svc_peer_new *in, struct svc_peer_view *out, struct mz_error *err);
/* Remove peer name: its keys and bookmarks go; what was received from it stays. */
enum mz_err svc_peer_remove(struct store *st, const struct principal *p, const char *name, struct mz_error *err);
typedef int (*svc_peer_fn)(void *ctx, const struct svc_peer_view *v);
/* Every peer, by name (one read snapshot). */
enum mz_err svc_peer_list(struct store *st, const struct principal *p, svc_peer_fn fn, void *ctx,
                          struct mz_error *err);
enum mz_err svc_peer_get(struct store *st, const struct principal *p, const char *name, struct svc_peer_view *out,
                         struct mz_error *err);
/* Store the key this node presents to peer name (1..SVC_PEER_SECRET_MAX printable
 * bytes); NULL or "" clears it. Never shown again. */
enum mz_err svc_peer_secret_set(struct store *st, const struct principal *p, const char *name, const char *secret,
                                struct mz_error *err);
/* The keys peer name presents here: issue (the key to key_out, once), list, revoke. */
enum mz_err svc_peer_key_issue(struct store *st, const struct principal *p, const char *name,
                               const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                               struct mz_error *err);
enum mz_err svc_peer_key_list(struct store *st, const struct principal *p, const char *name, svc_key_fn fn,
                              void *ctx, struct mz_error *err);
enum mz_err svc_peer_key_revoke(struct store *st, const struct principal *p, const char *name, int64_t key_id,
                                struct svc_key_view *out, struct mz_error *err);
/* Rotate peer name's keys: a new key (to key_out, once; out gets its view; opts'
 * comment and expiry, grace) replaces every key of the peer that still works, each
 * revoked at now + opts->grace (svc_key_grace: 0 to 7 days; default 0, at once).
 * *n_old_out: how many were replaced (0 is no error: the new key is the peer's only
 * one). Logged (event=peer_key action=rotate). */
enum mz_err svc_peer_key_rotate(struct store *st, const struct principal *p, const char *name,
                                const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                                long *n_old_out, struct mz_error *err);
/* Bind an organisation (handle or STIX identity id) to peer name: it becomes a
 * remote organisation homed at that peer. An identity no organisation has makes one
 * (handle new_name, or "<peer>-<8 hex digits of the identity>"; the peer's country),
 * a member of no community. Refused: an organisation bound to another peer
 * (MZ_ECONFLICT), a local one with users (MZ_ECONFLICT). out (may be NULL) gets it. */
enum mz_err svc_peer_bind(struct store *st, const struct principal *p, const char *name, const char *org,
                          const char *new_name, struct store_org *out, struct mz_error *err);
/* Unbind org from peer name: nothing more is admitted from the peer for it (its
 * objects stay); it stays a remote organisation of no peer. */
enum mz_err svc_peer_unbind(struct store *st, const struct principal *p, const char *name, const char *org,
                            struct mz_error *err);
/* v as one JSON object (docs/federation.md section 4's fields; no secret) appended
 * to b: what GET /api/v1/peers and `mreza peer list|show --json` print. */
void svc_peer_json(struct mz_buf *b, const struct svc_peer_view *v);
/* The counts `mreza check` reports (node admins). */
enum mz_err svc_peer_counts(struct store *st, const struct principal *p, struct store_fed_counts *out,
                            struct mz_error *err);

/* ---- this node (svc_node.c; docs/federation.md section 1, step 0) ---- */

struct svc_node_info {
    char name[STORE_NODE_NAME_LEN]; /* meta node_name, "" when unset */
    char country[8];                /* meta node_country, "" when unset */
    char identity[STORE_IDENT_LEN]; /* the node's STIX identity (made on first use) */
};
/* The node's name, country and identity (node admins and the console). */
enum mz_err svc_node_show(struct store *st, const struct principal *p, struct svc_node_info *out,
                          struct mz_error *err);
/* Set the node's name (a-z, 0-9, '.', '-', '_') and/or country (two capitals); NULL
 * leaves one as it is (the console). out gets the result. */
enum mz_err svc_node_set(struct store *st, const struct principal *p, const char *name, const char *country,
                         struct svc_node_info *out, struct mz_error *err);

#endif
