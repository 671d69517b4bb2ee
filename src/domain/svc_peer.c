/* domain/svc_peer.c - peers (issue 11 work package 4; docs/federation.md sections 1,
 * 4 and 6.1): the console's and node admins' acts on the other nodes this one syncs
 * with - add, change, remove, the key this node presents to a peer (stored, never
 * shown), the keys a peer presents here (made and hashed as API keys are:
 * svc_keys.c), and the bindings of remote organisations to their home peer - and
 * the views of their status that `mreza peer list/show` and GET /api/v1/peers show.
 *
 * A binding is what receiving rests on (docs/federation.md section 7): a version is
 * admitted from peer P only when its stated owner is bound to P, so an organisation
 * is bound to exactly one peer, and binding one that another peer holds is refused.
 * orgs.node: 0 for this node's own organisations, a peer's id for those bound to it,
 * and -id for a remote organisation unbound from peer id (no peer speaks for it).
 * Nothing here decides TLP; every call asks domain/authz.h first: managing is the
 * console's (AUTHZ_PEER_MANAGE), seeing node admins' too (AUTHZ_PEER_LIST). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "domain/svc_int.h"
#include "domain/svc_roster.h"
#include "domain/svc_sync.h"
#include "obs/utf8.h"
#include "rules/tlp.h"
#include "util/log.h"
#include "util/timefmt.h"

static int64_t now_sec(void)
{
    struct mz_time t;

    mz_time_now(&t);
    return t.sec;
}

/* ---- what a request gives ---- */

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n >= STORE_NODE_NAME_LEN || !strcmp(s, "self"))
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.' || *s == '_'))
            return 0;
    return 1;
}

/* Printable ASCII without spaces (URLs, pins, paths are shown and logged). */
static enum mz_err plain_ok(const char *v, size_t cap, const char *field, int spaces, struct mz_error *err)
{
    size_t n = strlen(v);

    if (n >= cap)
        return mz_error_set(err, MZ_EINVAL, field, "%s is at most %zu bytes", field + 1, cap - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)v[i];
        if (b < 0x20 || b >= 0x7f || (b == ' ' && !spaces))
            return mz_error_set(err, MZ_EINVAL, field, "%s may hold printable ASCII only%s", field + 1,
                                spaces ? "" : ", without spaces");
    }
    return MZ_OK;
}

static int one_of(const char *v, const char *a, const char *b, const char *c)
{
    return !strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c));
}

/* "sha256//" + the base64 of 32 bytes (44 characters), ';'-separated. */
static int pin_ok(const char *p)
{
    while (*p) {
        size_t n = strcspn(p, ";");
        if (n != 8 + 44 || strncmp(p, "sha256//", 8))
            return 0;
        for (size_t i = 8; i < n; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '+' && p[i] != '/' && p[i] != '=')
                return 0;
        p += n;
        if (*p == ';' && !*++p)
            return 0;
    }
    return 1;
}

/* Mutual TLS asked of the peer when it calls this node (docs/security.md): in's
 * --require-client-cert, --no-require-client-cert and --client-pin over n. A pin
 * implies the requirement; dropping the requirement drops the pins. */
static enum mz_err apply_client_cert_rule(const struct svc_peer_new *in, struct store_node *n, struct mz_error *err)
{
    if (in->client_cert_required == SVC_PEER_CERT_OPTIONAL && in->client_pin && *in->client_pin &&
        strcmp(in->client_pin, "none"))
        return mz_error_set(err, MZ_EINVAL, "/client_pin",
                            "--client-pin requires a client certificate: it does not go with --no-require-client-cert");
    if (in->client_cert_required == SVC_PEER_CERT_OPTIONAL) {
        n->require_client_cert = 0;
        n->client_pin[0] = '\0';
    } else if (in->client_cert_required == SVC_PEER_CERT_REQUIRED) {
        n->require_client_cert = 1;
    }
    if (in->client_pin && (!*in->client_pin || !strcmp(in->client_pin, "none"))) {
        n->client_pin[0] = '\0';
    } else if (in->client_pin) {
        if (strlen(in->client_pin) >= sizeof n->client_pin || !pin_ok(in->client_pin))
            return mz_error_set(err, MZ_EINVAL, "/client_pin",
                                "a client pin is sha256// and the base64 of the SHA-256 of the peer's client "
                                "certificate's key (mreza tls pin FILE), several separated by ';'");
        snprintf(n->client_pin, sizeof n->client_pin, "%s", in->client_pin);
        n->require_client_cert = 1;
    }
    return MZ_OK;
}

/* in's settings over n (what is given replaces), then the whole checked. */
static int uuid_ok(const char *id);

static enum mz_err apply_conf(const struct svc_peer_new *in, struct store_node *n, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

#define SET(field, val, cap, fname, spaces)                                                        \
    do {                                                                                           \
        if (!rc && (val)) {                                                                        \
            rc = plain_ok((val), (cap), fname, spaces, err);                                       \
            if (!rc)                                                                               \
                snprintf(n->field, sizeof n->field, "%s", (val));                                  \
        }                                                                                          \
    } while (0)
    SET(url, in->url, sizeof n->url, "/url", 0);
    SET(kind, in->kind, sizeof n->kind, "/kind", 0);
    SET(direction, in->direction, sizeof n->direction, "/direction", 0);
    SET(country, in->country, sizeof n->country, "/country", 0);
    SET(client_cert, in->client_cert, sizeof n->client_cert, "/client_cert", 1);
    SET(client_key, in->client_key, sizeof n->client_key, "/client_key", 1);
    SET(auth, in->auth, sizeof n->auth, "/auth", 0);
    SET(out_user, in->user, sizeof n->out_user, "/user", 0);
#undef SET
    if (rc)
        return rc;
    if ((in->ca_file != NULL) + (in->pin != NULL) + (in->system_ca == 1) > 1)
        return mz_error_set(err, MZ_EINVAL, "/verify", "give one of --system-ca, --ca-file and --pin");
    if (in->ca_file) {
        rc = plain_ok(in->ca_file, sizeof n->ca_file, "/ca_file", 1, err);
        if (rc)
            return rc;
        snprintf(n->verify, sizeof n->verify, "ca");
        snprintf(n->ca_file, sizeof n->ca_file, "%s", in->ca_file);
        n->pin[0] = '\0';
    } else if (in->pin) {
        if (strlen(in->pin) >= sizeof n->pin || !pin_ok(in->pin))
            return mz_error_set(err, MZ_EINVAL, "/pin",
                                "a pin is sha256// and the base64 of the server key's SHA-256 (mreza tls pin FILE), "
                                "several separated by ';'");
        snprintf(n->verify, sizeof n->verify, "pin");
        snprintf(n->pin, sizeof n->pin, "%s", in->pin);
        n->ca_file[0] = '\0';
    } else if (in->system_ca == 1 || !n->verify[0]) {
        snprintf(n->verify, sizeof n->verify, "system");
        n->ca_file[0] = n->pin[0] = '\0';
    }
    if (in->allow_http >= 0)
        n->allow_http = in->allow_http != 0;
    if (in->interval >= 0)
        n->interval = in->interval;
    if (in->paused >= 0)
        n->paused = in->paused != 0;
    if (!n->kind[0])
        snprintf(n->kind, sizeof n->kind, "mreza");
    if (!n->direction[0])
        snprintf(n->direction, sizeof n->direction, "pull");
    if (!n->auth[0])
        snprintf(n->auth, sizeof n->auth, "bearer");
    if (!one_of(n->kind, "mreza", "taxii", NULL))
        return mz_error_set(err, MZ_EINVAL, "/kind", "a peer's kind is mreza (another mreza node) or taxii");
    if (!one_of(n->direction, "pull", "push", "both"))
        return mz_error_set(err, MZ_EINVAL, "/direction", "a peer's direction is pull, push or both");
    if (!one_of(n->auth, "bearer", "basic", NULL))
        return mz_error_set(err, MZ_EINVAL, "/auth", "a peer's auth is bearer or basic");
    if (n->country[0] && (strlen(n->country) != 2 || !isupper((unsigned char)n->country[0]) ||
                          !isupper((unsigned char)n->country[1])))
        return mz_error_set(err, MZ_EINVAL, "/country", "a country is two capital letters (ISO 3166-1 alpha-2)");
    if (in->unmarked) {
        if (!strcmp(in->unmarked, "clear"))
            n->unmarked_tlp = TLP_CLEAR;
        else if (!strcmp(in->unmarked, "green"))
            n->unmarked_tlp = TLP_GREEN;
        else if (!strcmp(in->unmarked, "default"))
            n->unmarked_tlp = -1;
        else
            return mz_error_set(err, MZ_EINVAL, "/unmarked",
                                "--unmarked is clear or green (the operator vouches for the feed), or default "
                                "(AMBER+STRICT of the owner: stored, read by nobody)");
    }
    if (in->identity && *in->identity && (!uuid_ok(in->identity) || strlen(in->identity) >= sizeof n->identity))
        return mz_error_set(err, MZ_EINVAL, "/identity",
                            "--identity is the peer node's STIX identity id, identity--<UUID> (its `mreza node show`)");
    if (in->identity) {
        snprintf(n->identity, sizeof n->identity, "%s", in->identity);
        for (char *c = n->identity; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if (n->identity[0] && strcmp(n->kind, "mreza"))
        return mz_error_set(err, MZ_EINVAL, "/identity", "--identity is for a mreza peer (a taxii peer names no node)");
    if ((in->unmarked || in->n_collections || in->n_push_collections) && strcmp(n->kind, "taxii"))
        return mz_error_set(err, MZ_EINVAL, in->unmarked ? "/unmarked" : "/collection",
                            "--collection and --unmarked are for a taxii peer: a mreza peer's collections are its "
                            "communities (mreza community join NAME --peer PEER) and it states each object's marking");
    if (!n->client_cert[0] != !n->client_key[0])
        return mz_error_set(err, MZ_EINVAL, "/client_cert", "give --client-cert and --client-key together");
    rc = apply_client_cert_rule(in, n, err);
    if (rc)
        return rc;
    if (n->interval < 0 || n->interval > 7 * 86400)
        return mz_error_set(err, MZ_EINVAL, "/interval", "a peer's interval is 0 to 604800 seconds");
    if (!strncmp(n->url, "https://", 8) && n->url[8]) {
        /* fine */
    } else if (!strncmp(n->url, "http://", 7) && n->url[7]) {
        if (!n->allow_http)
            return mz_error_set(err, MZ_EINVAL, "/url",
                                "%s is plain HTTP: anyone on the path reads and changes what the nodes share; "
                                "use https://, or --allow-http for a test network",
                                n->url);
    } else {
        return mz_error_set(err, MZ_EINVAL, "/url", "a peer's URL is its TAXII API root, https://host:port/taxii2/api/");
    }
    return MZ_OK;
}

/* A taxii peer's pull (and push) subscriptions: "REMOTE_ID=COMMUNITY" each, a
 * bookmark row (direction pull, or push) naming the local community; one that exists
 * keeps its progress. */
static enum mz_err subs_apply_dir(struct store *st, const struct store_node *n, const char *const *pairs,
                                  size_t n_pairs, const char *dir, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (size_t i = 0; !rc && i < n_pairs; i++) {
        const char *pair = pairs[i], *eq = strchr(pair, '=');
        struct store_bookmark *b = calloc(1, sizeof *b);
        struct store_community c;
        char coll[64];

        if (!b)
            return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        if (!eq || eq == pair || !eq[1] || (size_t)(eq - pair) >= sizeof coll ||
            plain_ok(pair, 4096, "/collection", 0, err)) {
            free(b);
            return mz_error_set(err, MZ_EINVAL, "/collection",
                                "--collection is REMOTE_ID=COMMUNITY: the peer's collection id (at most 63 "
                                "characters) and the local community its objects go to");
        }
        snprintf(coll, sizeof coll, "%.*s", (int)(eq - pair), pair);
        memset(&c, 0, sizeof c);
        /* push: the direct view (what is addressed to the peer: CLEAR, AMBER to its
         * organisations), keyed REMOTE_ID|mreza-direct beside the communities' */
        if (!strcmp(dir, "push") && !strcmp(eq + 1, SVC_SYNC_DIRECT)) {
            if (strlen(coll) + sizeof SVC_SYNC_DIRECT_KEY > sizeof coll) {
                free(b);
                return mz_error_set(err, MZ_EINVAL, "/push_collection",
                                    "--push-collection ID=mreza-direct takes a collection id of at most 50 characters");
            }
            memcpy(coll + strlen(coll), SVC_SYNC_DIRECT_KEY, sizeof SVC_SYNC_DIRECT_KEY);
            rc = MZ_OK;
        } else {
            rc = store_community_by_name(st, eq + 1, &c, err);
        }
        if (rc == MZ_ENOTFOUND)
            rc = mz_error_set(err, MZ_EINVAL, "/collection", "no community is called '%s' (mreza community list)",
                              eq + 1);
        if (!rc) {
            rc = store_bookmark_get(st, n->id, coll, dir, b, err);
            if (rc == MZ_ENOTFOUND) {
                memset(b, 0, sizeof *b);
                b->node = n->id;
                snprintf(b->collection, sizeof b->collection, "%s", coll);
                snprintf(b->direction, sizeof b->direction, "%s", dir);
                rc = MZ_OK;
            }
        }
        if (!rc) {
            b->community = c.id;
            rc = store_bookmark_put(st, b, err);
        }
        free(b);
    }
    return rc;
}

static enum mz_err subs_apply(struct store *st, const struct store_node *n, const struct svc_peer_new *in,
                              struct mz_error *err)
{
    enum mz_err rc = subs_apply_dir(st, n, in->collections, in->n_collections, "pull", err);

    return rc ? rc : subs_apply_dir(st, n, in->push_collections, in->n_push_collections, "push", err);
}

/* ---- bindings ---- */

/* The organisation a handle or an identity id names; MZ_ENOTFOUND if none. */
static enum mz_err org_named(struct store *st, const char *org, struct store_org *out, struct mz_error *err)
{
    int64_t org_id = 0, user_id = 0;
    enum mz_err rc;

    if (!strncmp(org, "identity--", 10)) {
        rc = store_identity_owner(st, org, &org_id, &user_id, err);
        if (!rc && user_id)
            return mz_error_set(err, MZ_EINVAL, "/org", "%.64s is a user's identity, not an organisation's", org);
        return rc ? rc : store_org_by_id(st, org_id, out, err);
    }
    return store_org_by_name(st, org, out, err);
}

static int count_user(void *ctx, const struct store_user *u)
{
    (void)u;
    ++*(int *)ctx;
    return 1;
}

static int uuid_ok(const char *id)
{
    static const char shape[] = "identity--xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(id) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'x' ? !isxdigit((unsigned char)id[i]) : id[i] != shape[i])
            return 0;
    return 1;
}

/* A binding of identity made: the versions posted here at AMBER or AMBER+STRICT
 * addressed (or passed on) to it, which the peer may read only from now, get a new
 * position in the peers' direct view (store_peer_stamp; the third attack's A10: a
 * peer past their first grant never read them). Called only when the identity becomes
 * readable to a peer: a new binding, or a re-bind after `peer unbind` (the peer may
 * have read past every earlier position while it could not read them, and this node
 * does not know a peer's read position); never at a refresh of a binding in place
 * (`peer bind --from` the directory of an organisation bound to that peer already),
 * which each directory refresh repeats (docs/security.md C6). */
static enum mz_err restamp(struct store *st, const char *identity, struct mz_error *err)
{
    long n = 0;
    enum mz_err rc = store_peer_stamp_addressed(st, identity, (1u << TLP_AMBER) | (1u << TLP_AMBER_STRICT), &n, err);

    if (!rc && n)
        MZ_LOG(MZ_LOG_INFO, "event=peer_stamps identity=%s versions=%ld", identity, n);
    return rc;
}

/* The country a remote organisation of peer n takes from profile (its directory):
 * profile's, unless the operator gave the peer a country and profile says another
 * (docs/model.md R10: a remote organisation's country is the operator's word; a
 * peer does not spread its organisations over countries it is not in); else
 * fallback. */
static const char *profile_country(const struct store_node *n, const struct store_org *profile,
                                   const char *fallback)
{
    if (!profile || !profile->country[0])
        return fallback;
    return n->country[0] && strcmp(n->country, profile->country) ? n->country : profile->country;
}

/* A handle for a remote organisation seen first: profile's (its home's handle) when
 * it is free here, else PEER-HANDLE when that is, else PEER-<8 hex of the id>. */
static void pick_handle(struct store *st, const struct store_node *n, const char *org, const struct store_org *profile,
                        char *out, size_t cap)
{
    struct store_org o;
    char try[STORE_NAME_LEN + STORE_NODE_NAME_LEN + 2];

    if (profile && profile->name[0]) {
        snprintf(out, cap, "%s", profile->name);
        if (store_org_by_name(st, out, &o, NULL) == MZ_ENOTFOUND)
            return;
        snprintf(try, sizeof try, "%s-%s", n->name, profile->name);
        if (strlen(try) < cap && store_org_by_name(st, try, &o, NULL) == MZ_ENOTFOUND) {
            snprintf(out, cap, "%s", try);
            return;
        }
    }
    snprintf(out, cap, "%s-%.8s", n->name, org + 10);
}

/* Bind org to peer n inside the caller's transaction. profile (may be NULL): what
 * the peer's directory says of the organisation (full name, country, sector, kind;
 * its handle there in name), taken for it here. */
enum mz_err svc_peer_bind_in(struct store *st, const struct store_node *n, const char *org, const char *new_name,
                             const struct store_org *profile, struct store_org *out, struct mz_error *err)
{
    struct store_org o;
    struct store_node other;
    int64_t home = 0;
    int users = 0;
    enum mz_err rc = org_named(st, org, &o, err);

    if (rc == MZ_ENOTFOUND && !strncmp(org, "identity--", 10)) {
        /* a remote organisation seen first: made here, homed at the peer */
        if (!uuid_ok(org))
            return mz_error_set(err, MZ_EINVAL, "/org", "'%.64s' is not a STIX identity id (identity--<UUID>)", org);
        memset(&o, 0, sizeof o);
        if (new_name)
            snprintf(o.name, sizeof o.name, "%s", new_name);
        else
            pick_handle(st, n, org, profile, o.name, sizeof o.name);
        for (char *c = o.name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        snprintf(o.full_name, sizeof o.full_name, "%s", profile && profile->full_name[0] ? profile->full_name : o.name);
        snprintf(o.identity, sizeof o.identity, "%s", org);
        for (char *c = o.identity; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        snprintf(o.country, sizeof o.country, "%s", profile_country(n, profile, n->country));
        snprintf(o.sector, sizeof o.sector, "%s", profile ? profile->sector : "");
        snprintf(o.kind, sizeof o.kind, "%s", profile && profile->kind[0] ? profile->kind : "other");
        rc = store_org_add(st, &o, err);
        if (!rc)
            rc = store_org_set_node(st, o.id, n->id, err);
        if (!rc) /* a roster may have named it before it was bound: its memberships now */
            rc = svc_roster_reapply(st, err);
        if (!rc)
            rc = restamp(st, o.identity, err);
        if (!rc && out)
            *out = o;
        return rc;
    }
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "/org",
                            "no organisation '%.64s' (name an organisation of mreza org list, or its identity id)", org);
    if (!rc)
        rc = store_org_node(st, o.id, &home, err);
    if (rc)
        return rc;
    if (home == n->id && !profile) {
        if (out)
            *out = o;
        return MZ_OK; /* bound already */
    }
    if (home > 0 && home != n->id && store_node_by_id(st, home, &other, NULL) == MZ_OK)
        return mz_error_set(err, MZ_ECONFLICT, "/org",
                            "organisation %s is bound to peer %s: one peer speaks for an organisation "
                            "(mreza peer unbind %s %s first)",
                            o.name, other.name, other.name, o.name);
    if (home == 0) {
        rc = store_user_list(st, o.id, count_user, &users, err);
        if (rc)
            return rc;
        if (users)
            return mz_error_set(err, MZ_ECONFLICT, "/org",
                                "organisation %s has users on this node: it lives here and cannot be another node's",
                                o.name);
    }
    rc = store_org_set_node(st, o.id, n->id, err);
    if (!rc && profile) {
        /* its directory's word, over what was made by hand (the handle stays) */
        const char *cc = profile_country(n, profile, NULL);
        if (profile->full_name[0])
            snprintf(o.full_name, sizeof o.full_name, "%s", profile->full_name);
        if (cc)
            snprintf(o.country, sizeof o.country, "%s", cc);
        snprintf(o.sector, sizeof o.sector, "%s", profile->sector);
        if (profile->kind[0] && strcmp(o.kind, "node")) /* a node's stays a node's (security.md B1) */
            snprintf(o.kind, sizeof o.kind, "%s", profile->kind);
        rc = store_org_set_profile(st, o.id, &o, err);
    }
    if (!rc)
        rc = svc_roster_reapply(st, err);
    if (!rc && home != n->id) /* a refresh of a binding in place makes nothing readable */
        rc = restamp(st, o.identity, err);
    if (!rc && out)
        *out = o;
    return rc;
}

/* ---- views ---- */

struct view_fill {
    struct svc_peer_view *v;
    struct store *st;
    int64_t now;
};

static int note_org(void *ctx, const struct store_org *o)
{
    struct svc_peer_view *v = ctx;

    if (v->n_orgs < SVC_PEER_SHOW_ORGS)
        snprintf(v->orgs[v->n_orgs++], sizeof v->orgs[0], "%s", o->name);
    v->orgs_total++;
    return 0;
}

static int note_sub(void *ctx, const struct store_bookmark *b)
{
    struct view_fill *f = ctx;
    struct svc_peer_view *v = f->v;

    /* pull: `received` counts what was stored (one row per version first received) */
    if (!strcmp(b->direction, "push")) {
        /* push: versions the peer accepted, and those it refused (its status' failures) */
        v->pushed += b->objects;
        v->push_refused += b->refused_invalid;
    } else {
        v->duplicates += b->duplicates;
        v->refused_owner += b->refused_owner;
        v->refused_community += b->refused_community;
        v->refused_tlp += b->refused_tlp;
        v->refused_invalid += b->refused_invalid;
        v->refused_conflict += b->refused_conflict;
        v->refused_cap += b->refused_cap;
    }
    if (v->n_subs < SVC_PEER_SHOW_SUBS) {
        struct svc_peer_sub *s = &v->subs[v->n_subs++];
        memset(s, 0, sizeof *s);
        snprintf(s->collection, sizeof s->collection, "%s", b->collection);
        snprintf(s->direction, sizeof s->direction, "%s", b->direction);
        snprintf(s->added_after, sizeof s->added_after, "%s", b->added_after);
        snprintf(s->last_page_at, sizeof s->last_page_at, "%s", b->last_page_at);
        s->objects = b->objects;
        s->duplicates = b->duplicates;
        s->community_id = b->community;
    }
    v->n_subs_total++;
    return 0;
}

static int note_key(void *ctx, const struct store_key *k)
{
    struct view_fill *f = ctx;

    if (!(k->revoked && k->revoked <= f->now) && !(k->expires && k->expires <= f->now))
        f->v->keys_active++;
    return 0;
}

/* The subscriptions' community names. */
static int sub_comm(void *ctx, const struct store_community *c)
{
    struct svc_peer_view *v = ctx;

    for (size_t i = 0; i < v->n_subs; i++)
        if (v->subs[i].community_id == c->id)
            snprintf(v->subs[i].community, sizeof v->subs[i].community, "%s", c->name);
    return 0;
}

/* The push side of a view's lag (docs/federation.md 4): a push-only peer's lag is
 * its push lag. */
static enum mz_err fill_push_lag(struct store *st, const struct store_node *n, int64_t now, struct svc_peer_view *v,
                                 struct mz_error *err)
{
    enum mz_err rc;

    v->push_lag_seconds = -1;
    if (!strcmp(n->direction, "pull"))
        return MZ_OK;
    /* every caller holds a transaction (a view is read in one): the push page's own
     * reads are savepoints of it */
    store_allow_nested(st, 1);
    rc = svc_sync_push_lag(st, n->id, now, &v->push_lag_seconds, err);
    store_allow_nested(st, 0);
    if (!rc && !strcmp(n->direction, "push"))
        v->lag_seconds = v->push_lag_seconds;
    return rc;
}

static enum mz_err fill_view(struct store *st, const struct store_node *n, struct svc_peer_view *v,
                             struct mz_error *err)
{
    struct view_fill f = {v, st, now_sec()};
    struct mz_time t;
    enum mz_err rc;

    memset(v, 0, sizeof *v);
    v->node = *n;
    v->lag_seconds = -1;
    if (n->paused)
        v->state = "paused";
    else if (!n->last_attempt[0])
        v->state = "new";
    else if (n->failures > 0)
        v->state = "failing";
    else
        v->state = "ok";
    if (n->last_success[0] && !mz_time_parse(n->last_success, &t))
        v->lag_seconds = f.now > t.sec ? f.now - t.sec : 0;
    rc = store_node_orgs(st, n->id, note_org, v, err);
    if (!rc)
        rc = store_bookmarks(st, n->id, note_sub, &f, err);
    if (!rc && v->n_subs)
        rc = store_community_list(st, sub_comm, v, err);
    if (!rc)
        rc = store_received_count(st, n->id, &v->received, err);
    if (!rc)
        rc = store_peer_key_list(st, n->id, note_key, &f, err);
    if (!rc)
        rc = fill_push_lag(st, n, f.now, v, err);
    if (!rc && n->default_org > 0) {
        struct store_org o;
        if (store_org_by_id(st, n->default_org, &o, NULL) == MZ_OK)
            snprintf(v->default_org, sizeof v->default_org, "%s", o.name);
    }
    return rc;
}

/* The peer of that name (MZ_ENOTFOUND with a message naming the command that lists them). */
static enum mz_err peer_named(struct store *st, const char *name, struct store_node *out, struct mz_error *err)
{
    enum mz_err rc = store_node_by_name(st, name ? name : "", out, err);

    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "/peer", "no peer named '%.64s' (mreza peer list)", name ? name : "");
    return rc;
}

/* ---- keys ---- */

static void time_text(int64_t t, char *out)
{
    time_t s = (time_t)t;
    struct tm tm;

    out[0] = '\0';
    if (t && gmtime_r(&s, &tm))
        strftime(out, SVC_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void key_view(const struct store_key *k, const char *peer, int64_t now, struct svc_key_view *v)
{
    memset(v, 0, sizeof *v);
    v->id = k->id;
    snprintf(v->user, sizeof v->user, "peer:%s", peer);
    snprintf(v->prefix, sizeof v->prefix, "%s", k->prefix);
    snprintf(v->comment, sizeof v->comment, "%s", k->comment);
    time_text(k->created, v->created);
    time_text(k->expires, v->expires);
    time_text(k->last_used, v->last_used);
    time_text(k->revoked, v->revoked);
    v->replaced_by = k->replaced_by;
    v->status = k->revoked && k->revoked <= now ? "revoked" : k->expires && k->expires <= now ? "expired" : "active";
}

/* Make a key for peer n inside the caller's transaction. */
static enum mz_err key_make(struct store *st, const struct store_node *n, const struct svc_key_opts *opts,
                            struct svc_key_view *out, char *key_out, struct mz_error *err)
{
    unsigned char hash[SVC_KEY_HASH_BYTES];
    char key[SVC_KEY_LEN];
    struct store_key k;
    int64_t now = now_sec();
    enum mz_err rc = MZ_OK;

    memset(&k, 0, sizeof k);
    k.user_id = n->id;
    if (opts && opts->comment) {
        rc = plain_ok(opts->comment, SVC_KEY_COMMENT_MAX + 1, "/comment", 1, err);
        if (!rc)
            snprintf(k.comment, sizeof k.comment, "%s", opts->comment);
    }
    if (!rc && opts && opts->expires) {
        rc = svc_key_when(opts->expires, now, &k.expires, err);
        if (!rc && k.expires && k.expires <= now)
            rc = mz_error_set(err, MZ_EINVAL, "/expires", "expires is not in the future: the key would never work");
    }
    if (rc)
        return rc;
    svc_key_mint(key, hash, k.prefix, sizeof k.prefix);
    k.created = now;
    rc = store_peer_key_add(st, hash, sizeof hash, &k, err);
    if (!rc) {
        memcpy(key_out, key, SVC_KEY_LEN);
        if (out)
            key_view(&k, n->name, now, out);
    }
    memset(key, 0, sizeof key);
    return rc;
}

/* ---- the calls ---- */

enum mz_err svc_peer_add(struct store *st, const struct principal *p, const struct svc_peer_new *in,
                         struct svc_peer_view *out, char *key_out, struct mz_error *err)
{
    struct store_node n;
    struct store_org o = {0};
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    if (!in->name || !name_ok(in->name))
        return mz_error_set(err, MZ_EINVAL, "/name", "a peer's name is 2-%d characters of a-z, 0-9, '.', '-', '_' (not self)",
                            STORE_NODE_NAME_LEN - 1);
    if (!in->url)
        return mz_error_set(err, MZ_EINVAL, "/url", "a peer needs its URL (--url https://host:port/taxii2/api/)");
    memset(&n, 0, sizeof n);
    n.unmarked_tlp = -1;
    snprintf(n.name, sizeof n.name, "%s", in->name);
    rc = apply_conf(in, &n, err);
    if (!rc && !strcmp(n.kind, "taxii") && in->n_orgs == 0)
        rc = mz_error_set(err, MZ_EINVAL, "/org", "a taxii peer states no owners: name the organisation that owns what it "
                                                  "sends (--org ORG)");
    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_node_add(st, &n, err);
    for (size_t i = 0; !rc && i < in->n_orgs; i++) {
        rc = svc_peer_bind_in(st, &n, in->orgs[i], NULL, NULL, &o, err);
        if (!rc && i == 0 && !strcmp(n.kind, "taxii")) {
            n.default_org = o.id;
            rc = store_node_update(st, &n, err);
        }
    }
    if (!rc)
        rc = subs_apply(st, &n, in, err);
    if (!rc)
        rc = key_make(st, &n, NULL, NULL, key_out, err);
    if (!rc && out)
        rc = fill_view(st, &n, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_peer_set(struct store *st, const struct principal *p, const char *name,
                         const struct svc_peer_new *in, struct svc_peer_view *out, struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = apply_conf(in, &n, err);
    if (!rc)
        rc = store_node_update(st, &n, err);
    if (!rc)
        rc = subs_apply(st, &n, in, err);
    if (!rc && out)
        rc = fill_view(st, &n, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

/* The first community joined from node (its home_node), into name ("" if none). */
struct homed {
    int64_t node;
    char name[STORE_COMM_NAME_LEN];
};

static int homed_row(void *ctx, const struct store_community *c)
{
    struct homed *h = ctx;

    if (c->home_node != h->node || h->name[0])
        return 0;
    snprintf(h->name, sizeof h->name, "%s", c->name);
    return 1;
}

enum mz_err svc_peer_remove(struct store *st, const struct principal *p, const char *name, struct mz_error *err)
{
    struct store_node n;
    struct homed h;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    /* the home of a community joined here stays (the third attack's A11): the
     * community's admission, roster and pulls rest on its home's id; a home that
     * moved is changed in place (peer set --url); one that must not be heard any more
     * is paused and its keys revoked, or its communities left (community leave,
     * security.md C2: a left one's home_node is -id, no longer its home) and then
     * removed */
    memset(&h, 0, sizeof h);
    if (!rc) {
        h.node = n.id;
        rc = store_community_list(st, homed_row, &h, err);
    }
    if (!rc && h.name[0])
        rc = mz_error_set(err, MZ_ECONFLICT, "",
                          "peer %s is the home of community %s, joined here: to remove it, first mreza community "
                          "leave %s (to move the home: mreza peer set %s --url URL; to stop hearing it: peer set "
                          "--pause, peer key revoke)",
                          n.name, h.name, h.name, n.name);
    if (!rc)
        rc = store_node_remove(st, n.id, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

struct list_ctx {
    struct store *st;
    svc_peer_fn fn;
    void *ctx;
    struct svc_peer_view *v;
    enum mz_err rc;
    struct mz_error *err;
};

static int list_one(void *vctx, const struct store_node *n)
{
    struct list_ctx *l = vctx;

    l->rc = fill_view(l->st, n, l->v, l->err);
    return l->rc || l->fn(l->ctx, l->v);
}

enum mz_err svc_peer_list(struct store *st, const struct principal *p, svc_peer_fn fn, void *ctx,
                          struct mz_error *err)
{
    struct list_ctx l = {st, fn, ctx, NULL, MZ_OK, err};
    enum mz_err rc = authz_check(p, AUTHZ_PEER_LIST, err);

    if (rc)
        return rc;
    l.v = malloc(sizeof *l.v);
    if (!l.v)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = store_begin_read(st, err);
    if (!rc)
        rc = store_node_list(st, list_one, &l, err);
    if (!rc)
        rc = l.rc;
    store_rollback(st);
    free(l.v);
    return rc;
}

enum mz_err svc_peer_get(struct store *st, const struct principal *p, const char *name, struct svc_peer_view *out,
                         struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_LIST, err);

    if (rc)
        return rc;
    rc = store_begin_read(st, err);
    if (!rc)
        rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = fill_view(st, &n, out, err);
    store_rollback(st);
    return rc;
}

enum mz_err svc_peer_secret_set(struct store *st, const struct principal *p, const char *name, const char *secret,
                                struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    if (secret && *secret) {
        size_t len = strlen(secret);
        if (len > SVC_PEER_SECRET_MAX)
            return mz_error_set(err, MZ_EINVAL, "/secret", "a peer's key is at most %d bytes", SVC_PEER_SECRET_MAX);
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)secret[i] <= 0x20 || (unsigned char)secret[i] >= 0x7f)
                return mz_error_set(err, MZ_EINVAL, "/secret",
                                    "a peer's key is printable ASCII without spaces (it goes into an HTTP header)");
    }
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = store_node_set_secret(st, n.id, secret && *secret ? secret : NULL, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_peer_key_issue(struct store *st, const struct principal *p, const char *name,
                               const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                               struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = key_make(st, &n, opts, out, key_out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

struct key_list_ctx {
    const char *peer;
    int64_t now;
    svc_key_fn fn;
    void *ctx;
};

static int key_one(void *vctx, const struct store_key *k)
{
    struct key_list_ctx *l = vctx;
    struct svc_key_view v;

    key_view(k, l->peer, l->now, &v);
    return l->fn(l->ctx, &v);
}

enum mz_err svc_peer_key_list(struct store *st, const struct principal *p, const char *name, svc_key_fn fn,
                              void *ctx, struct mz_error *err)
{
    struct store_node n;
    struct key_list_ctx l;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_LIST, err);

    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (rc)
        return rc;
    l.peer = n.name;
    l.now = now_sec();
    l.fn = fn;
    l.ctx = ctx;
    return store_peer_key_list(st, n.id, key_one, &l, err);
}

struct key_find {
    int64_t id;
    struct store_key k;
    int found;
};

static int key_find(void *ctx, const struct store_key *k)
{
    struct key_find *f = ctx;

    if (k->id != f->id)
        return 0;
    f->k = *k;
    f->found = 1;
    return 1;
}

enum mz_err svc_peer_key_revoke(struct store *st, const struct principal *p, const char *name, int64_t key_id,
                                struct svc_key_view *out, struct mz_error *err)
{
    struct store_node n;
    struct key_find f = {key_id, {0}, 0};
    int64_t now = now_sec();
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = store_peer_key_revoke(st, n.id, key_id, now, err);
    if (!rc && out)
        rc = store_peer_key_list(st, n.id, key_find, &f, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && out && f.found)
        key_view(&f.k, n.name, now, out);
    return rc;
}

enum mz_err svc_peer_key_rotate(struct store *st, const struct principal *p, const char *name,
                                const struct svc_key_opts *opts, struct svc_key_view *out, char *key_out,
                                long *n_old_out, struct mz_error *err)
{
    struct store_node n;
    struct svc_key_view v;
    int64_t now = now_sec(), grace = 0;
    long n_old = 0;
    char esc[MZ_LOG_ESC_LEN(STORE_NODE_NAME_LEN)];
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (!rc)
        rc = svc_key_grace(opts ? opts->grace : NULL, &grace, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = key_make(st, &n, opts, &v, key_out, err);
    if (!rc)
        rc = store_peer_key_replace_all(st, n.id, v.id, now + grace, now, &n_old, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc) {
        sodium_memzero(key_out, SVC_KEY_LEN);
        return rc;
    }
    /* the audit line: who acted is the console (peers are managed nowhere else) */
    MZ_LOG(MZ_LOG_INFO, "event=peer_key action=rotate peer=%s key=%lld replaced=%ld grace=%lld",
           mz_log_esc(n.name, esc, sizeof esc), (long long)v.id, n_old, (long long)grace);
    if (out)
        *out = v;
    if (n_old_out)
        *n_old_out = n_old;
    return MZ_OK;
}

enum mz_err svc_peer_bind(struct store *st, const struct principal *p, const char *name, const char *org,
                          const char *new_name, struct store_org *out, struct mz_error *err)
{
    struct store_node n;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    if (!org || !*org)
        return mz_error_set(err, MZ_EINVAL, "/org", "name the organisation to bind (a handle or its identity id)");
    if (new_name && (strlen(new_name) < 2 || plain_ok(new_name, STORE_NAME_LEN, "/name", 0, err)))
        return mz_error_set(err, MZ_EINVAL, "/name", "an organisation's handle is 2-%d printable characters",
                            STORE_NAME_LEN - 1);
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = svc_peer_bind_in(st, &n, org, new_name, NULL, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_peer_unbind(struct store *st, const struct principal *p, const char *name, const char *org,
                            struct mz_error *err)
{
    struct store_node n;
    struct store_org o;
    int64_t home = 0;
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = peer_named(st, name, &n, err);
    if (!rc)
        rc = org_named(st, org ? org : "", &o, err);
    if (rc == MZ_ENOTFOUND && !strcmp(err->field, ""))
        mz_error_set(err, MZ_ENOTFOUND, "/org", "no organisation '%.64s'", org ? org : "");
    if (!rc)
        rc = store_org_node(st, o.id, &home, err);
    if (!rc && home != n.id)
        rc = mz_error_set(err, MZ_ENOTFOUND, "/org", "organisation %s is not bound to peer %s", o.name, n.name);
    if (!rc)
        rc = store_org_set_node(st, o.id, -n.id, err); /* remote still, of no peer */
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_peer_counts(struct store *st, const struct principal *p, struct store_fed_counts *out,
                            struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_PEER_LIST, err);

    return rc ? rc : store_fed_counts(st, out, err);
}

/* ---- the view as JSON (GET /api/v1/peers, mreza peer list|show --json) ---- */

static void json_kv_str(struct mz_buf *b, const char *key, const char *v, int null_if_empty)
{
    mz_buf_printf(b, ",\"%s\":", key);
    if (null_if_empty && (!v || !*v))
        mz_buf_puts(b, "null");
    else
        mz_buf_json_str(b, v ? v : "");
}

void svc_peer_json(struct mz_buf *b, const struct svc_peer_view *v)
{
    const struct store_node *n = &v->node;

    mz_buf_puts(b, "{\"name\":");
    mz_buf_json_str(b, n->name);
    json_kv_str(b, "url", n->url, 0);
    json_kv_str(b, "kind", n->kind, 0);
    json_kv_str(b, "direction", n->direction, 0);
    json_kv_str(b, "country", n->country, 1);
    json_kv_str(b, "identity", n->identity, 1);
    json_kv_str(b, "verify", n->verify, 0);
    mz_buf_printf(b, ",\"plain_http\":%s,\"client_cert\":%s,\"require_client_cert\":%s,\"secret_set\":%s",
                  !strncmp(n->url, "http://", 7) ? "true" : "false", n->client_cert[0] ? "true" : "false",
                  n->require_client_cert ? "true" : "false", n->has_secret ? "true" : "false");
    json_kv_str(b, "client_pin", n->client_pin, 1);
    json_kv_str(b, "auth", n->auth, 0);
    json_kv_str(b, "state", v->state, 0);
    json_kv_str(b, "created", n->created, 0);
    json_kv_str(b, "last_attempt", n->last_attempt, 1);
    json_kv_str(b, "last_success", n->last_success, 1);
    mz_buf_puts(b, ",\"last_error\":");
    if (n->last_error_code[0]) {
        mz_buf_puts(b, "{\"code\":");
        mz_buf_json_str(b, n->last_error_code);
        json_kv_str(b, "message", n->last_error, 0);
        json_kv_str(b, "collection", n->last_error_coll, 1);
        json_kv_str(b, "at", n->last_error_at, 1);
        mz_buf_putc(b, '}');
    } else {
        mz_buf_puts(b, "null");
    }
    mz_buf_printf(b, ",\"consecutive_failures\":%ld", n->failures);
    json_kv_str(b, "next_run", n->next_run, 1);
    if (v->lag_seconds >= 0)
        mz_buf_printf(b, ",\"lag_seconds\":%lld", (long long)v->lag_seconds);
    else
        mz_buf_puts(b, ",\"lag_seconds\":null");
    if (v->push_lag_seconds >= 0)
        mz_buf_printf(b, ",\"push_lag_seconds\":%lld", (long long)v->push_lag_seconds);
    else
        mz_buf_puts(b, ",\"push_lag_seconds\":null");
    mz_buf_printf(b,
                  ",\"interval\":%ld,\"paused\":%s,\"received\":%lld,\"duplicates\":%lld,\"pushed\":%lld,"
                  "\"push_refused\":%lld,"
                  "\"refused\":{\"owner\":%lld,\"community\":%lld,\"tlp\":%lld,\"invalid\":%lld,\"conflict\":%lld,"
                  "\"cap\":%lld},\"keys_active\":%lld",
                  n->interval, n->paused ? "true" : "false", (long long)v->received, (long long)v->duplicates,
                  (long long)v->pushed, (long long)v->push_refused,
                  (long long)v->refused_owner, (long long)v->refused_community,
                  (long long)v->refused_tlp, (long long)v->refused_invalid, (long long)v->refused_conflict,
                  (long long)v->refused_cap, (long long)v->keys_active);
    json_kv_str(b, "default_org", v->default_org, 1);
    json_kv_str(b, "unmarked", n->unmarked_tlp == TLP_CLEAR ? "clear" : n->unmarked_tlp == TLP_GREEN ? "green" : "default", 0);
    mz_buf_puts(b, ",\"orgs\":[");
    for (size_t i = 0; i < v->n_orgs; i++) {
        if (i)
            mz_buf_putc(b, ',');
        mz_buf_json_str(b, v->orgs[i]);
    }
    mz_buf_printf(b, "],\"orgs_total\":%zu,\"subscriptions\":[", v->orgs_total);
    for (size_t i = 0; i < v->n_subs; i++) {
        const struct svc_peer_sub *s = &v->subs[i];
        mz_buf_puts(b, i ? ",{\"collection\":" : "{\"collection\":");
        mz_buf_json_str(b, s->collection);
        json_kv_str(b, "direction", s->direction, 0);
        json_kv_str(b, "community", s->community, 1);
        json_kv_str(b, "added_after", s->added_after, 1);
        mz_buf_printf(b, ",\"objects\":%lld,\"duplicates\":%lld", (long long)s->objects, (long long)s->duplicates);
        json_kv_str(b, "last_page_at", s->last_page_at, 1);
        mz_buf_putc(b, '}');
    }
    mz_buf_puts(b, "]}");
}
