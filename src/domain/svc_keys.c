/* domain/svc_keys.c - API keys and accounts (svc.h): issuing, listing, revoking,
 * rotating and changing keys, disabling and enabling users, and turning a bearer
 * token into the principal that acts: a user's key (api_keys) into a member, a
 * peer's key (peer_keys, issued by svc_peer.c) into a ROLE_PEER principal with the
 * identities and communities of the organisations bound to that peer. Every call asks domain/authz.h on the user it
 * acts on, and reports what it changed to the audit hook (svc_int.h).
 *
 * API keys are 32 random bytes from libsodium, shown once as "mz_" + base64url, and
 * stored only as their BLAKE2b hash: with 256 bits of entropy a fast hash is enough
 * (a slow password hash would only slow every request). Beside the hash the store
 * keeps the key's first KEY_PREFIX_CHARS characters ("mz_" and 36 of its 256 bits),
 * so that a person can tell keys apart in a listing.
 *
 * A key is refused from the request after its revocation, expiry or its user's
 * disabling: every request reads the key's record (no cache). Its last use is
 * written at most once a minute, and never by waiting for the store's write lock. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "domain/svc_int.h"
#include "obs/utf8.h"
#include "util/log.h"
#include "util/timefmt.h"

#define KEY_BYTES 32
#define KEY_HASH_BYTES 32
#define KEY_TEXT_LEN 46              /* "mz_" + base64url of 32 bytes without padding */
#define KEY_PREFIX_CHARS 9           /* what a listing shows of a key: "mz_" + 6 */
#define TIME_MAX 253402300799LL      /* 9999-12-31T23:59:59Z */
#define DURATION_DIGITS_MAX 7

static int64_t now_sec(void)
{
    struct mz_time t;

    mz_time_now(&t);
    return t.sec;
}

static void hash_key(const char *key, unsigned char *hash)
{
    crypto_generichash(hash, KEY_HASH_BYTES, (const unsigned char *)key, strlen(key), NULL, 0);
}

void svc_key_mint(char *key_out, unsigned char *hash_out, char *prefix_out, size_t prefix_cap)
{
    unsigned char raw[KEY_BYTES];

    randombytes_buf(raw, sizeof raw);
    memcpy(key_out, "mz_", 3);
    sodium_bin2base64(key_out + 3, SVC_KEY_LEN - 3, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    hash_key(key_out, hash_out);
    snprintf(prefix_out, prefix_cap, "%.*s", KEY_PREFIX_CHARS, key_out);
}

enum mz_err svc_key_make(struct store *st, struct store_key *k, char *key_out, struct mz_error *err)
{
    unsigned char hash[KEY_HASH_BYTES];
    char key[SVC_KEY_LEN];
    enum mz_err rc;

    svc_key_mint(key, hash, k->prefix, sizeof k->prefix);
    k->created = now_sec();
    rc = store_key_add(st, hash, sizeof hash, k, err);
    if (!rc)
        memcpy(key_out, key, SVC_KEY_LEN);
    sodium_memzero(key, sizeof key);
    return rc;
}

/* ---- times ---- */

/* t as "YYYY-MM-DDTHH:MM:SSZ" into out (SVC_TIME_LEN bytes); "" for 0. */
static void time_text(int64_t t, char *out)
{
    time_t s = (time_t)t;
    struct tm tm;

    out[0] = '\0';
    if (t && gmtime_r(&s, &tm))
        strftime(out, SVC_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "30m" -> 1800 seconds: 1 to DURATION_DIGITS_MAX digits and one unit (s, m, h, d,
 * w); -1 for anything else. */
static int64_t duration_of(const char *s)
{
    static const struct {
        char unit;
        int64_t sec;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    size_t n = strspn(s, "0123456789");
    int64_t v = 0;

    if (n == 0 || n > DURATION_DIGITS_MAX || strlen(s) != n + 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s[n] == units[i].unit)
            return v * units[i].sec;
    return -1;
}

enum mz_err svc_key_when(const char *text, int64_t now, int64_t *out, struct mz_error *err)
{
    struct mz_time t;
    char day[32];
    int64_t d, when;

    if (!strcmp(text, "never")) {
        *out = 0;
        return MZ_OK;
    }
    d = duration_of(text);
    if (d >= 0) {
        when = now + d;
    } else {
        if (strlen(text) == 10) { /* a date alone: midnight UTC at its start */
            snprintf(day, sizeof day, "%sT00:00:00Z", text);
            text = day;
        }
        if (mz_time_parse(text, &t))
            return mz_error_set(err, MZ_EINVAL, "/expires",
                                "expires must be a time (2026-12-31 or 2026-12-31T12:00:00Z, UTC), a duration from "
                                "now (30m, 12h, 90d, 2w) or never; got '%.40s'", text);
        when = t.sec;
    }
    if (when < 1 || when > TIME_MAX)
        return mz_error_set(err, MZ_EINVAL, "/expires", "expires must lie between 1970 and the year 9999");
    *out = when;
    return MZ_OK;
}

/* ---- what is shown of a key ---- */

static const char *key_status(const struct store_key *k, int64_t now)
{
    if (k->revoked && k->revoked <= now)
        return "revoked";
    if (k->expires && k->expires <= now)
        return "expired";
    return "active";
}

static void key_view(const struct store_key *k, const char *user, int64_t now, struct svc_key_view *v)
{
    memset(v, 0, sizeof *v);
    v->id = k->id;
    snprintf(v->user, sizeof v->user, "%s", user);
    snprintf(v->prefix, sizeof v->prefix, "%s", k->prefix);
    snprintf(v->comment, sizeof v->comment, "%s", k->comment);
    time_text(k->created, v->created);
    time_text(k->expires, v->expires);
    time_text(k->last_used, v->last_used);
    time_text(k->revoked, v->revoked);
    v->replaced_by = k->replaced_by;
    v->status = key_status(k, now);
}

/* ---- what a request gives ---- */

/* A comment is shown in terminals and JSON: UTF-8 without control characters (C0,
 * DEL, C1), at most SVC_KEY_COMMENT_MAX bytes. */
static enum mz_err comment_ok(const char *c, struct mz_error *err)
{
    size_t n = strlen(c);

    if (n > SVC_KEY_COMMENT_MAX)
        return mz_error_set(err, MZ_EINVAL, "/comment", "a key's comment is at most %d bytes", SVC_KEY_COMMENT_MAX);
    if (utf8_span(c, n) != n)
        return mz_error_set(err, MZ_EINVAL, "/comment", "a key's comment must be UTF-8 text");
    if (!utf8_text_ok(c, n))
        return mz_error_set(err, MZ_EINVAL, "/comment",
                            "a key's comment may not contain control characters (nor bidirectional controls)");
    return MZ_OK;
}

/* The expiry of a key issued now: NULL never; else in the future. */
static enum mz_err new_expiry(const char *text, int64_t now, int64_t *out, struct mz_error *err)
{
    char when[SVC_TIME_LEN];
    enum mz_err rc;

    *out = 0;
    if (!text)
        return MZ_OK;
    rc = svc_key_when(text, now, out, err);
    if (!rc && *out && *out <= now) {
        time_text(*out, when);
        return mz_error_set(err, MZ_EINVAL, "/expires", "expires (%s) is not in the future: the key would never work",
                            when);
    }
    return rc;
}

enum mz_err svc_key_grace(const char *text, int64_t *out, struct mz_error *err)
{
    int64_t d = !text || !strcmp(text, "0") ? 0 : duration_of(text);

    if (d < 0 || d > SVC_KEY_GRACE_MAX)
        return mz_error_set(err, MZ_EINVAL, "/grace",
                            "grace must be a duration from 0 to %dd (such as 30m, 12h or 2d); got '%.40s'",
                            SVC_KEY_GRACE_MAX / 86400, text);
    *out = d;
    return MZ_OK;
}

/* ---- the user acted on ---- */

/* user_name as the target of act by p, into *u. MZ_ENOTFOUND, in the words used for a
 * name that does not exist, also when p may not even list that user's organisation:
 * nobody learns which names another organisation has. Otherwise authz's answer. */
static enum mz_err target_user(struct store *st, const struct principal *p, enum authz_action act,
                               const char *user_name, struct store_user *u, struct mz_error *err)
{
    struct authz_target t, org_t;
    enum mz_err rc = authz_check(p, act, err);

    memset(u, 0, sizeof *u);
    if (rc)
        return rc;
    rc = store_user_by_name(st, user_name ? user_name : "", u, err);
    if (rc == MZ_ENOTFOUND)
        goto unknown;
    if (rc)
        return rc;
    t = (struct authz_target){u->org_id, u->id, role_parse(u->role)};
    if (authz_allows_on(p, act, &t))
        return MZ_OK;
    org_t = (struct authz_target){u->org_id, 0, ROLE_NONE};
    if (!authz_allows_on(p, AUTHZ_USER_LIST, &org_t))
        goto unknown;
    return authz_check_on(p, act, &t, err);
unknown:
    memset(u, 0, sizeof *u);
    return mz_error_set(err, MZ_ENOTFOUND, "", "no user named '%.64s'", user_name ? user_name : "");
}

/* Key key_id of user u; MZ_ENOTFOUND also when it is another user's. */
static enum mz_err key_of_user(struct store *st, const struct store_user *u, int64_t key_id, struct store_key *k,
                               struct mz_error *err)
{
    enum mz_err rc = store_key_get(st, key_id, k, err);

    if (rc == MZ_ENOTFOUND || (!rc && k->user_id != u->id))
        return mz_error_set(err, MZ_ENOTFOUND, "", "%s has no key %lld", u->name, (long long)key_id);
    return rc;
}

static enum mz_err not_disabled(const struct store_user *u, struct mz_error *err)
{
    if (u->disabled)
        return mz_error_set(err, MZ_ECONFLICT, "", "%s is disabled: enable it before giving it keys", u->name);
    return MZ_OK;
}

/* Key k's record again, as it now is (for the caller's reply). */
static void reread(struct store *st, struct store_key *k)
{
    struct store_key now;
    struct mz_error ignored;

    if (!store_key_get(st, k->id, &now, &ignored))
        *k = now;
}

/* ---- the use cases ---- */

enum mz_err svc_key_issue(struct store *st, const struct principal *p, const char *user_name,
                          const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                          struct mz_error *err)
{
    const struct svc_key_opts none = {0};
    struct store_user u;
    struct store_key k;
    int64_t now = now_sec();
    enum mz_err rc = target_user(st, p, AUTHZ_KEY_ISSUE, user_name, &u, err);

    if (!opts)
        opts = &none;
    memset(&k, 0, sizeof k);
    k.user_id = u.id;
    if (!rc)
        rc = not_disabled(&u, err);
    if (!rc && opts->comment)
        rc = comment_ok(opts->comment, err);
    if (!rc)
        rc = new_expiry(opts->expires, now, &k.expires, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    snprintf(k.comment, sizeof k.comment, "%s", opts->comment ? opts->comment : "");
    rc = svc_key_make(st, &k, key_out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        return rc;
    svc_audit_account(p, SVC_EV_KEY_ISSUE, &u, u.org_id, k.id);
    if (out)
        key_view(&k, u.name, now, out);
    return MZ_OK;
}

struct list_ctx {
    svc_key_fn fn;
    void *ctx;
    const char *user;
    int64_t now;
};

static int list_row(void *c, const struct store_key *k)
{
    struct list_ctx *l = c;
    struct svc_key_view v;

    key_view(k, l->user, l->now, &v);
    return l->fn(l->ctx, &v);
}

enum mz_err svc_key_list(struct store *st, const struct principal *p, const char *user_name, svc_key_fn fn,
                         void *ctx, struct mz_error *err)
{
    struct store_user u;
    struct list_ctx l = {fn, ctx, NULL, now_sec()};
    enum mz_err rc = target_user(st, p, AUTHZ_KEY_LIST, user_name, &u, err);

    l.user = u.name;
    return rc ? rc : store_key_list(st, u.id, list_row, &l, err);
}

enum mz_err svc_key_revoke(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           struct svc_key_view *out, struct mz_error *err)
{
    struct store_user u;
    struct store_key k;
    struct principal self;
    int64_t now = now_sec();
    int was_revoked;
    enum mz_err rc;

    /* a rotated key in its grace period manages no keys (domain/authz.c), but may end
     * its own grace: revoking itself only takes access away */
    if (p && p->key_rotated_to && key_id == p->key_id) {
        self = *p;
        self.key_rotated_to = 0;
        p = &self;
    }
    rc = target_user(st, p, AUTHZ_KEY_REVOKE, user_name, &u, err);

    if (!rc)
        rc = key_of_user(st, &u, key_id, &k, err);
    if (rc)
        return rc;
    was_revoked = !strcmp(key_status(&k, now), "revoked");
    /* one statement: it only ever moves the revocation earlier */
    rc = store_key_revoke(st, k.id, now, err);
    if (rc)
        return rc;
    if (!was_revoked)
        svc_audit_account(p, SVC_EV_KEY_REVOKE, &u, u.org_id, k.id);
    reread(st, &k);
    if (out)
        key_view(&k, u.name, now, out);
    return MZ_OK;
}

/* opts' comment and expiry to key k, both or neither. */
static enum mz_err change(struct store *st, const struct store_key *k, const struct svc_key_opts *opts,
                          int64_t expires, int64_t now, struct mz_error *err)
{
    enum mz_err rc = store_begin(st, err);

    if (rc)
        return rc;
    if (opts->comment)
        rc = store_key_set_comment(st, k->id, opts->comment, err);
    if (!rc && opts->expires) {
        rc = store_key_set_expiry(st, k->id, expires, now, err);
        if (rc == MZ_ECONFLICT)
            mz_error_set(err, rc, "/expires", "key %lld is revoked, for good: issue a new key instead",
                         (long long)k->id);
    }
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_key_change(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           const struct svc_key_opts *opts, struct svc_key_view *out, struct mz_error *err)
{
    struct store_user u;
    struct store_key k;
    int64_t now = now_sec(), expires = 0;
    enum mz_err rc = target_user(st, p, AUTHZ_KEY_CHANGE, user_name, &u, err);

    if (!rc && (!opts || (!opts->comment && !opts->expires)))
        rc = mz_error_set(err, MZ_EINVAL, "", "nothing to change: give the key a comment or an expiry");
    if (!rc && opts->comment)
        rc = comment_ok(opts->comment, err);
    if (!rc && opts->expires)
        rc = svc_key_when(opts->expires, now, &expires, err);
    if (!rc)
        rc = key_of_user(st, &u, key_id, &k, err);
    if (!rc)
        rc = change(st, &k, opts, expires, now, err);
    if (rc)
        return rc;
    svc_audit_account(p, SVC_EV_KEY_CHANGE, &u, u.org_id, k.id);
    reread(st, &k);
    if (out)
        key_view(&k, u.name, now, out);
    return MZ_OK;
}

/* The old key of a rotation must be working and not already replaced. */
static enum mz_err rotatable(const struct store_key *k, int64_t now, struct mz_error *err)
{
    const char *status = key_status(k, now);

    if (strcmp(status, "active"))
        return mz_error_set(err, MZ_ECONFLICT, "", "key %lld is %s: rotation replaces a working key (issue a new one)",
                            (long long)k->id, status);
    if (k->replaced_by)
        return mz_error_set(err, MZ_ECONFLICT, "", "key %lld was already rotated (to key %lld)", (long long)k->id,
                            (long long)k->replaced_by);
    return MZ_OK;
}

/* The new key of a rotation: opts' comment and expiry, else the old key's comment
 * and the old key's lifetime counted from now. */
static enum mz_err successor(const struct store_key *old, const struct svc_key_opts *opts, int64_t now,
                             struct store_key *k, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    memset(k, 0, sizeof *k);
    k->user_id = old->user_id;
    if (opts->comment)
        rc = comment_ok(opts->comment, err);
    if (!rc && opts->expires)
        rc = new_expiry(opts->expires, now, &k->expires, err);
    else if (!rc && old->expires && old->created && old->expires > old->created)
        k->expires = now + (old->expires - old->created);
    snprintf(k->comment, sizeof k->comment, "%s", opts->comment ? opts->comment : old->comment);
    return rc;
}

enum mz_err svc_key_rotate(struct store *st, const struct principal *p, const char *user_name, int64_t key_id,
                           const struct svc_key_opts *opts, struct svc_key_view *new_out,
                           struct svc_key_view *old_out, char *key_out, struct mz_error *err)
{
    const struct svc_key_opts none = {0};
    struct store_user u;
    struct store_key old, k;
    int64_t now = now_sec(), grace = 0;
    enum mz_err rc = target_user(st, p, AUTHZ_KEY_ISSUE, user_name, &u, err);

    if (!opts)
        opts = &none;
    if (!rc)
        rc = svc_key_grace(opts->grace, &grace, err);
    if (!rc)
        rc = not_disabled(&u, err);
    if (!rc)
        rc = key_of_user(st, &u, key_id, &old, err);
    if (!rc)
        rc = rotatable(&old, now, err);
    if (!rc)
        rc = successor(&old, opts, now, &k, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = svc_key_make(st, &k, key_out, err);
    /* checked again by the write itself, whatever happened since the read above */
    if (!rc)
        rc = store_key_replace(st, old.id, k.id, now + grace, now, err);
    if (rc == MZ_ECONFLICT)
        mz_error_set(err, rc, "", "key %lld changed meanwhile (revoked, expired or rotated): list the keys and try "
                     "again", (long long)old.id);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc) {
        sodium_memzero(key_out, SVC_KEY_LEN);
        return rc;
    }
    reread(st, &old);
    svc_audit_account(p, SVC_EV_KEY_ROTATE, &u, u.org_id, old.id);
    svc_audit_account(p, SVC_EV_KEY_ISSUE, &u, u.org_id, k.id);
    if (new_out)
        key_view(&k, u.name, now, new_out);
    if (old_out)
        key_view(&old, u.name, now, old_out);
    return MZ_OK;
}

enum mz_err svc_key_current(struct store *st, const struct principal *p, struct svc_key_view *out,
                            struct mz_error *err)
{
    struct authz_target self = {p->org.id, p->user.id, p->role};
    struct store_key k;
    enum mz_err rc = authz_check_on(p, AUTHZ_KEY_LIST, &self, err);

    if (!rc && !p->key_id)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no API key authenticated this request");
    if (!rc)
        rc = store_key_get(st, p->key_id, &k, err);
    if (!rc)
        key_view(&k, p->user.name, now_sec(), out);
    return rc;
}

enum mz_err svc_user_set_disabled(struct store *st, const struct principal *p, const char *user_name,
                                  int disabled, struct store_user *out, struct mz_error *err)
{
    struct store_user u;
    int was;
    enum mz_err rc = target_user(st, p, AUTHZ_USER_DISABLE, user_name, &u, err);

    if (rc)
        return rc;
    was = u.disabled != 0;
    rc = store_user_set_disabled(st, u.id, disabled ? now_sec() : 0, err);
    if (!rc)
        rc = store_user_by_id(st, u.id, &u, err);
    if (rc)
        return rc;
    if (was != (disabled != 0))
        svc_audit_account(p, disabled ? SVC_EV_USER_DISABLE : SVC_EV_USER_ENABLE, &u, u.org_id, 0);
    if (out)
        *out = u;
    return MZ_OK;
}

/* ---- authentication ---- */

/* Why a known key is refused, or NULL. What an unauthenticated client learns is only
 * this word about the key it holds: never whose it is, or since when. */
static const char *refusal(const struct store_key *k, const struct store_user *u, int64_t now)
{
    const char *status = key_status(k, now);

    if (strcmp(status, "active"))
        return !strcmp(status, "revoked") ? "this API key has been revoked" : "this API key has expired";
    if (u->disabled)
        return "the account of this API key is disabled";
    return NULL;
}

/* The identities of the organisations bound to a peer, collected (store_node_orgs
 * gives them sorted by their lower-cased text, which is strcasecmp's order). */
struct ident_list {
    char (*id)[STORE_IDENT_LEN];
    size_t n, cap;
    int failed;
};

static int collect_ident(void *ctx, const struct store_org *o)
{
    struct ident_list *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *p = cap <= SVC_PEER_ORGS_MAX ? realloc(l->id, cap * sizeof *l->id) : NULL;
        if (!p) {
            l->failed = 1;
            return 1;
        }
        l->id = p;
        l->cap = cap;
    }
    snprintf(l->id[l->n++], STORE_IDENT_LEN, "%s", o->identity);
    return 0;
}

enum mz_err svc_node_principal(struct store *st, int64_t node, const char *name, struct principal *out,
                               struct mz_error *err)
{
    struct ident_list l = {0};
    struct tlp_idents *set;
    const char **v;
    char *ids;
    enum mz_err rc;

    memset(out, 0, sizeof *out); /* the whole principal is this function's: nothing else of a user's */
    rc = store_node_orgs(st, node, collect_ident, &l, err);
    if (!rc && l.failed)
        rc = mz_error_set(err, MZ_ENOMEM, "", "a node's organisations do not fit in memory");
    if (!rc)
        rc = store_node_comm(st, node, &out->comm_read, &out->comm_write, err);
    if (rc) {
        free(l.id);
        return rc;
    }
    /* one block: the set, its pointers, the identities */
    out->peer_mem = malloc(sizeof *set + l.n * (sizeof *v + STORE_IDENT_LEN) + 1);
    if (!out->peer_mem) {
        free(l.id);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    set = out->peer_mem;
    v = (const char **)(set + 1);
    ids = (char *)(v + l.n);
    for (size_t i = 0; i < l.n; i++) {
        memcpy(ids + i * STORE_IDENT_LEN, l.id[i], STORE_IDENT_LEN);
        v[i] = ids + i * STORE_IDENT_LEN;
    }
    set->v = v;
    set->n = l.n;
    free(l.id);
    out->role = ROLE_PEER;
    out->peer = node;
    out->peer_idents = set;
    /* for the request's log line alone: a peer is no user of any organisation */
    snprintf(out->user.name, sizeof out->user.name, "peer:%s", name);
    return MZ_OK;
}

void svc_principal_release(struct principal *p)
{
    if (!p)
        return;
    free(p->peer_mem);
    p->peer_mem = NULL;
    p->peer_idents = NULL;
}

/* The key is a peer's (peer_keys): the principal of that peer. */
static enum mz_err authenticate_peer(struct store *st, const unsigned char *hash, int64_t now, struct principal *out,
                                     struct mz_error *err)
{
    struct store_key k;
    struct store_node n;
    const char *status;
    enum mz_err rc = store_peer_key_lookup(st, hash, KEY_HASH_BYTES, &k, &n, err);

    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_EAUTH, "", "unknown API key");
    if (rc)
        return rc;
    status = key_status(&k, now);
    if (strcmp(status, "active"))
        return mz_error_set(err, MZ_EAUTH, "", "%s",
                            !strcmp(status, "revoked") ? "this API key has been revoked" : "this API key has expired");
    rc = svc_node_principal(st, n.id, n.name, out, err);
    if (rc) {
        svc_principal_release(out);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->key_id = k.id;
    out->peer_require_cert = n.require_client_cert || n.client_pin[0];
    snprintf(out->peer_client_pin, sizeof out->peer_client_pin, "%s", n.client_pin);
    return MZ_OK;
}

/* ---- a peer's client certificate (docs/federation.md 9.1, docs/security.md) ---- */

/* Whether pin is one of list's ';'-separated pins. */
static int pin_listed(const char *list, const char *pin)
{
    size_t n = strlen(pin);

    while (*list) {
        size_t len = strcspn(list, ";");
        if (n && len == n && !memcmp(list, pin, n))
            return 1;
        list += len;
        if (*list == ';')
            list++;
    }
    return 0;
}

enum mz_err svc_peer_client_cert(const struct principal *p, enum svc_client_cert cert, const char *pin,
                                 const char *why, struct mz_error *err)
{
    const char *name = p->user.name; /* "peer:NAME" (svc_node_principal) */

    if (p->role != ROLE_PEER || !p->peer_require_cert)
        return MZ_OK;
    if (!strncmp(name, "peer:", 5))
        name += 5;
    switch (cert) {
    case SVC_CERT_NOT_ASKED:
        return mz_error_set(err, MZ_EAUTH, "",
                            "peer %s must present a client certificate here, but this node asks for none "
                            "(tls.client_ca is empty, or TLS is off): its operator sets tls.client_ca",
                            name);
    case SVC_CERT_NONE:
        return mz_error_set(err, MZ_EAUTH, "",
                            "peer %s must present its client certificate here (peer set --require-client-cert): "
                            "give its sync client --client-cert and --client-key",
                            name);
    case SVC_CERT_UNVERIFIED:
        return mz_error_set(err, MZ_EAUTH, "", "the client certificate of peer %s is not trusted here (tls.client_ca): %s",
                            name, why && *why ? why : "it does not chain to a CA of tls.client_ca");
    case SVC_CERT_VERIFIED:
        break;
    }
    if (p->peer_client_pin[0] && !pin_listed(p->peer_client_pin, pin ? pin : ""))
        return mz_error_set(err, MZ_EAUTH, "",
                            "the client certificate of peer %s does not match the pin set for it here "
                            "(peer set --client-pin; mreza tls pin FILE prints a certificate's)",
                            name);
    return MZ_OK;
}

enum mz_err svc_authenticate(struct store *st, const char *token, struct principal *out,
                             struct mz_error *err)
{
    unsigned char hash[KEY_HASH_BYTES];
    struct store_key k;
    struct mz_error touch_err;
    int64_t now = now_sec();
    const char *why;
    enum mz_err rc;

    memset(out, 0, sizeof *out);
    if (!token || strlen(token) != KEY_TEXT_LEN || strncmp(token, "mz_", 3) != 0)
        return mz_error_set(err, MZ_EAUTH, "", "the API key is not a mreza key (expected 'Authorization: Bearer mz_…')");
    hash_key(token, hash);
    rc = store_key_lookup(st, hash, sizeof hash, &k, &out->user, &out->org, err);
    if (rc == MZ_ENOTFOUND) {
        memset(out, 0, sizeof *out);
        return authenticate_peer(st, hash, now, out, err);
    }
    why = rc ? NULL : refusal(&k, &out->user, now);
    if (rc || why) {
        memset(out, 0, sizeof *out);
        return rc ? rc : mz_error_set(err, MZ_EAUTH, "", "%s", why);
    }
    out->role = role_parse(out->user.role);
    rc = svc_principal_comm(st, out, err);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->key_id = k.id;
    if (k.revoked > now) /* a rotated key in its grace period (docs/api.md, Rotation) */
        out->key_rotated_to = k.replaced_by ? k.replaced_by : k.id;
    if ((!k.last_used || now - k.last_used >= SVC_KEY_USE_RESOLUTION) &&
        store_key_touch(st, k.id, now, &touch_err))
        MZ_LOG(MZ_LOG_WARN, "event=key_use_not_recorded key=%lld", (long long)k.id); /* the request goes on */
    return MZ_OK;
}
