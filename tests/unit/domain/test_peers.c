/* tests/unit/domain/test_peers.c - peers in the domain (svc_peer.c, and peer keys in
 * svc_keys.c) against a real SQLite store (no mocks):
 *   - peer add refuses an http:// URL without allow_http (field /url), a bad name, a
 *     bad pin, two ways of verifying, a client certificate without its key, a taxii
 *     peer without an owning organisation; the console manages peers, no API key
 *     does (not a node admin's: docs/security.md);
 *   - a peer key authenticates as ROLE_PEER: the peer's id, the identities of the
 *     organisations bound to it (sorted), and the communities those organisations
 *     are members of; TLP's peer column then reads AMBER addressed to them; a revoked
 *     peer key, and the key of a removed peer, are refused (MZ_EAUTH);
 *   - bindings: an organisation bound to one peer is refused to another, and a local
 *     organisation with users to any; unbound, it may be bound elsewhere; an identity
 *     no organisation has becomes a remote organisation of no community;
 *   - the key this node presents to a peer is stored (the sync client reads it) and
 *     never part of a view or its JSON;
 *   - svc_community_list shows a peer the communities where it hosts a member, with
 *     that member's directions (the TAXII collections a peer lists);
 *   - the view counts what the store recorded: received versions, bookmarks' counts;
 *   - the third attack's A11: the home of a community joined here is not removed
 *     (MZ_ECONFLICT, naming the community), and the id of a home whose row is gone
 *     is never given to the next peer (store_node_add steps past
 *     communities.home_node), which would have made it the community's home;
 *   - security.md C6: a binding's refresh from the directory stamps nothing; a bind,
 *     and a re-bind after unbind, stamp each addressed AMBER version once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_int.h"
#include "rules/tlp.h"
#include "store/store.h"

#define IDENT_ME "identity--1f0c0000-0000-4000-8000-0000000000aa"
#define IDENT_ME2 "identity--9a770000-0000-4000-8000-0000000000bb"
#define STAMPED "indicator--5a3e0000-0000-4000-8000-000000000c06"
#define PIN "sha256//kQ1D0mGr1y3v4yH8tqvB9bK4Zc0wE3pR7xY2uNfA5sE="

struct fx {
    char dir[64];
    struct store *st;
    struct principal console;
};

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct svc_org_new org = {"al-cert", NULL, "AL", NULL, "national-csirt", NULL};
    struct svc_user_new user = {"al-cert", "admin@al-cert", "admin", NULL, 0};
    char key[SVC_KEY_LEN];
    struct mz_error err;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-peers-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, NULL, &f->st, &err) != MZ_OK) {
        free(f);
        return -1;
    }
    principal_console(&f->console);
    if (svc_org_add(f->st, &f->console, &org, NULL, &err) || svc_user_add(f->st, &f->console, &user, NULL, key, &err))
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    store_close(f->st);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return svc_init() == MZ_OK ? 0 : -1;
}

static void new_peer(struct svc_peer_new *in, const char *name, const char *url)
{
    memset(in, 0, sizeof *in);
    in->name = name;
    in->url = url;
    in->allow_http = -1;
    in->interval = -1;
    in->paused = -1;
}

/* Add peer name (https) as the console; its first key into key. */
static void add_peer(struct fx *f, const char *name, char *key)
{
    struct svc_peer_new in;
    char url[128];
    struct mz_error err;

    snprintf(url, sizeof url, "https://%s.example:8470/taxii2/api/", name);
    new_peer(&in, name, url);
    in.country = "ME";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_OK);
}

static void test_add_refusals(void **state)
{
    struct fx *f = *state;
    struct svc_peer_new in;
    struct principal admin;
    char key[SVC_KEY_LEN];
    struct mz_error err;

    new_peer(&in, "me", "http://me.example:8470/taxii2/api/");
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/url");
    assert_non_null(strstr(err.msg, "allow-http"));
    new_peer(&in, "Me!", "https://me.example/taxii2/api/");
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/name");
    new_peer(&in, "self", "https://me.example/taxii2/api/");
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    new_peer(&in, "me", "ftp://me.example/");
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    new_peer(&in, "me", "https://me.example/taxii2/api/");
    in.pin = "sha256//short";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/pin");
    in.pin = PIN;
    in.ca_file = "/etc/ssl/ca.pem";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/verify");
    new_peer(&in, "me", "https://me.example/taxii2/api/");
    in.client_cert = "/etc/mreza/client.pem";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    new_peer(&in, "me", "https://me.example/taxii2/api/");
    in.kind = "taxii";
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/org");
    /* peers are the operator's, at the console: not an admin's, not a node admin's */
    assert_int_equal(svc_principal_of_org(f->st, "al-cert", &admin, &err), MZ_OK);
    admin.role = ROLE_ADMIN;
    new_peer(&in, "me", "https://me.example/taxii2/api/");
    assert_int_equal(svc_peer_add(f->st, &admin, &in, NULL, key, &err), MZ_EFORBIDDEN);
    admin.role = ROLE_NODE_ADMIN;
    assert_int_equal(svc_peer_add(f->st, &admin, &in, NULL, key, &err), MZ_EFORBIDDEN);
    assert_int_equal(svc_peer_bind(f->st, &admin, "me", IDENT_ME, NULL, NULL, &err), MZ_EFORBIDDEN);
    /* nothing of the refusals was stored; http:// with allow_http and a pin is fine */
    new_peer(&in, "me", "http://me.example:8470/taxii2/api/");
    in.allow_http = 1;
    in.pin = PIN;
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_OK);
    assert_int_equal(strncmp(key, "mz_", 3), 0);
    assert_int_equal(svc_peer_add(f->st, &f->console, &in, NULL, key, &err), MZ_ECONFLICT);
}

static void test_peer_key_is_a_peer(void **state)
{
    struct fx *f = *state;
    struct svc_community_new reg = {"regional", "Western Balkans CSIRTs", NULL, "regional"};
    struct store_community c;
    struct principal p;
    struct tlp_meta m;
    char key[SVC_KEY_LEN];
    struct mz_error err;

    add_peer(f, "me", key);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME2, "me-bank", NULL, &err), MZ_OK);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, "me-cirt", NULL, &err), MZ_OK);
    assert_int_equal(svc_community_add(f->st, &f->console, &reg, &c, &err), MZ_OK);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "regional", "me-cirt", 1, 0, &err), MZ_OK);

    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_OK);
    assert_int_equal(p.role, ROLE_PEER);
    assert_true(p.peer > 0);
    assert_non_null(p.peer_idents);
    assert_int_equal(p.peer_idents->n, 2);
    assert_string_equal(p.peer_idents->v[0], IDENT_ME); /* sorted */
    assert_string_equal(p.peer_idents->v[1], IDENT_ME2);
    assert_int_equal(p.comm_read, (uint64_t)1 << c.bit);
    assert_int_equal(p.comm_write, 0);
    /* the peer column reads AMBER addressed to its organisations, not to others */
    memset(&m, 0, sizeof m);
    m.tlp = TLP_AMBER;
    m.audience = IDENT_ME;
    assert_true(tlp_can_read(&p, &m));
    m.audience = "identity--00000000-0000-4000-8000-000000000000";
    assert_false(tlp_can_read(&p, &m));
    m.tlp = TLP_GREEN;
    m.audience = NULL;
    m.comm = STORE_COMM_NATIONAL;
    assert_false(tlp_can_read(&p, &m));
    m.comm = (uint64_t)1 << c.bit;
    assert_true(tlp_can_read(&p, &m));
    svc_principal_release(&p);
    assert_null(p.peer_idents);
}

static void test_revoked_and_removed_keys(void **state)
{
    struct fx *f = *state;
    struct svc_key_view k;
    struct principal p;
    char key[SVC_KEY_LEN], key2[SVC_KEY_LEN];
    struct mz_error err;

    add_peer(f, "me", key);
    assert_int_equal(svc_peer_key_issue(f->st, &f->console, "me", NULL, &k, key2, &err), MZ_OK);
    assert_int_equal(svc_authenticate(f->st, key2, &p, &err), MZ_OK);
    svc_principal_release(&p);
    assert_int_equal(svc_peer_key_revoke(f->st, &f->console, "me", k.id, &k, &err), MZ_OK);
    assert_string_equal(k.status, "revoked");
    assert_int_equal(svc_authenticate(f->st, key2, &p, &err), MZ_EAUTH);
    assert_string_equal(err.msg, "this API key has been revoked");
    assert_int_equal(p.role, ROLE_NONE);
    /* a key of another peer's id is not found */
    assert_int_equal(svc_peer_key_revoke(f->st, &f->console, "me", k.id + 100, &k, &err), MZ_ENOTFOUND);
    /* the first key works until its peer is removed */
    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_OK);
    svc_principal_release(&p);
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_OK);
    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_EAUTH);
    assert_string_equal(err.msg, "unknown API key");
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_ENOTFOUND);
}

static void test_bindings(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct principal p;
    char key_me[SVC_KEY_LEN], key_rs[SVC_KEY_LEN];
    uint64_t rd = 0, wr = 0;
    struct mz_error err;

    add_peer(f, "me", key_me);
    add_peer(f, "rs", key_rs);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, NULL, &o, &err), MZ_OK);
    assert_string_equal(o.name, "me-1f0c0000");
    /* a remote organisation is a member of no community (not the national one) */
    assert_int_equal(store_org_comm(f->st, o.id, &rd, &wr, &err), MZ_OK);
    assert_int_equal(rd | wr, 0);
    /* bound again to the same peer: nothing changes; to another: refused */
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", "me-1f0c0000", NULL, NULL, &err), MZ_OK);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_ME, NULL, NULL, &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "bound to peer me"));
    /* a local organisation with users lives here */
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", "al-cert", NULL, NULL, &err), MZ_ECONFLICT);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", "no-such", NULL, NULL, &err), MZ_ENOTFOUND);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", "identity--nonsense", NULL, NULL, &err), MZ_EINVAL);
    /* the peer rs reads nothing of me's */
    assert_int_equal(svc_authenticate(f->st, key_rs, &p, &err), MZ_OK);
    assert_int_equal(p.peer_idents->n, 0);
    svc_principal_release(&p);
    /* unbound from me, it may be bound to rs */
    assert_int_equal(svc_peer_unbind(f->st, &f->console, "rs", "me-1f0c0000", &err), MZ_ENOTFOUND);
    assert_int_equal(svc_peer_unbind(f->st, &f->console, "me", "me-1f0c0000", &err), MZ_OK);
    assert_int_equal(svc_authenticate(f->st, key_me, &p, &err), MZ_OK);
    assert_int_equal(p.peer_idents->n, 0);
    svc_principal_release(&p);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_ME, NULL, NULL, &err), MZ_OK);
    assert_int_equal(svc_authenticate(f->st, key_rs, &p, &err), MZ_OK);
    assert_int_equal(p.peer_idents->n, 1);
    svc_principal_release(&p);
}

/* A removed peer's id is never another's: what was bound to it is not the new one's. */
static void test_removed_id_not_reused(void **state)
{
    struct fx *f = *state;
    struct store_node n;
    struct principal p;
    char key[SVC_KEY_LEN];
    int64_t old;
    struct mz_error err;

    add_peer(f, "me", key);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, NULL, NULL, &err), MZ_OK);
    assert_int_equal(store_node_by_name(f->st, "me", &n, &err), MZ_OK);
    old = n.id;
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_OK);
    add_peer(f, "me", key);
    assert_int_equal(store_node_by_name(f->st, "me", &n, &err), MZ_OK);
    assert_true(n.id > old);
    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_OK);
    assert_int_equal(p.peer_idents->n, 0);
    svc_principal_release(&p);
    /* the organisation of a peer that is gone may be bound again */
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, NULL, NULL, &err), MZ_OK);
}

static void test_secret_is_never_shown(void **state)
{
    struct fx *f = *state;
    struct svc_peer_view *v = malloc(sizeof *v);
    struct store_node n;
    struct mz_buf b;
    char key[SVC_KEY_LEN], secret[128];
    struct mz_error err;

    assert_non_null(v);
    add_peer(f, "me", key);
    assert_int_equal(svc_peer_secret_set(f->st, &f->console, "me", "with space", &err), MZ_EINVAL);
    assert_int_equal(svc_peer_secret_set(f->st, &f->console, "me", "mz_TheKeyMeGaveUs", &err), MZ_OK);
    assert_int_equal(svc_peer_get(f->st, &f->console, "me", v, &err), MZ_OK);
    assert_int_equal(v->node.has_secret, 1);
    mz_buf_init(&b, 1 << 20);
    svc_peer_json(&b, v);
    assert_null(strstr(b.data, "TheKeyMeGaveUs"));
    assert_non_null(strstr(b.data, "\"secret_set\":true"));
    assert_non_null(strstr(b.data, "\"state\":\"new\""));
    mz_buf_free(&b);
    /* the sync client reads it from the store */
    assert_int_equal(store_node_by_name(f->st, "me", &n, &err), MZ_OK);
    assert_int_equal(store_node_secret(f->st, n.id, secret, sizeof secret, &err), MZ_OK);
    assert_string_equal(secret, "mz_TheKeyMeGaveUs");
    assert_int_equal(svc_peer_secret_set(f->st, &f->console, "me", NULL, &err), MZ_OK);
    assert_int_equal(store_node_secret(f->st, n.id, secret, sizeof secret, &err), MZ_ENOTFOUND);
    free(v);
}

struct seen {
    char names[8][STORE_COMM_NAME_LEN];
    int rd[8], wr[8];
    int n;
};

static int note(void *ctx, const struct store_community *c, const struct store_membership *mine)
{
    struct seen *s = ctx;

    if (s->n < 8) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", c->name);
        s->rd[s->n] = mine->can_read;
        s->wr[s->n++] = mine->can_write;
    }
    return 0;
}

static void test_peer_lists_its_communities(void **state)
{
    struct fx *f = *state;
    struct svc_community_new reg = {"regional", "Western Balkans CSIRTs", NULL, "regional"};
    struct svc_community_new oth = {"energy", "Energy sector", NULL, NULL};
    struct seen s;
    struct principal p;
    char key[SVC_KEY_LEN];
    struct mz_error err;

    add_peer(f, "me", key);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, "me-cirt", NULL, &err), MZ_OK);
    assert_int_equal(svc_community_add(f->st, &f->console, &reg, NULL, &err), MZ_OK);
    assert_int_equal(svc_community_add(f->st, &f->console, &oth, NULL, &err), MZ_OK);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "regional", "me-cirt", 1, 1, &err), MZ_OK);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "energy", "al-cert", 1, 1, &err), MZ_OK);
    assert_int_equal(svc_authenticate(f->st, key, &p, &err), MZ_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(svc_community_list(f->st, &p, note, &s, &err), MZ_OK);
    assert_int_equal(s.n, 1); /* not national, not energy */
    assert_string_equal(s.names[0], "regional");
    assert_true(s.rd[0] && s.wr[0]);
    svc_principal_release(&p);
}

static void test_view_counts(void **state)
{
    struct fx *f = *state;
    struct svc_peer_view *v = malloc(sizeof *v);
    struct store_bookmark bm;
    struct store_node n;
    char key[SVC_KEY_LEN];
    struct mz_error err;

    assert_non_null(v);
    add_peer(f, "me", key);
    assert_int_equal(store_node_by_name(f->st, "me", &n, &err), MZ_OK);
    memset(&bm, 0, sizeof bm);
    bm.node = n.id;
    snprintf(bm.collection, sizeof bm.collection, "mreza-direct");
    snprintf(bm.direction, sizeof bm.direction, "pull");
    bm.objects = 7;
    bm.duplicates = 2;
    bm.refused_owner = 3;
    assert_int_equal(store_bookmark_put(f->st, &bm, &err), MZ_OK);
    snprintf(n.last_attempt, sizeof n.last_attempt, "2026-01-01T00:00:00Z");
    snprintf(n.last_error_code, sizeof n.last_error_code, "tls");
    snprintf(n.last_error, sizeof n.last_error, "pin mismatch");
    n.failures = 2;
    assert_int_equal(store_node_set_status(f->st, &n, &err), MZ_OK);
    assert_int_equal(svc_peer_get(f->st, &f->console, "me", v, &err), MZ_OK);
    assert_string_equal(v->state, "failing");
    assert_int_equal(v->duplicates, 2);
    assert_int_equal(v->refused_owner, 3);
    assert_int_equal(v->n_subs, 1);
    assert_string_equal(v->subs[0].collection, "mreza-direct");
    assert_int_equal(v->subs[0].objects, 7);
    assert_int_equal(v->keys_active, 1);
    free(v);
}

/* A11: on main at 7f4e2de, `peer remove` of a joined community's home went through and
 * the next peer added got its id: the community's home (its GREEN admitted on that
 * peer's word, its roster and pulls from it). */
static void test_joined_home_kept(void **state)
{
    struct fx *f = *state;
    struct store_community c;
    struct store_node n;
    char key[SVC_KEY_LEN];
    int64_t home;
    struct mz_error err;

    add_peer(f, "home", key);
    assert_int_equal(svc_community_join(f->st, &f->console, "regional", "0b6f0000-0000-4000-8000-0000000000a1", "home",
                                        &c, &err),
                     MZ_OK);
    assert_int_equal(store_node_by_name(f->st, "home", &n, &err), MZ_OK);
    home = n.id;
    assert_int_equal(c.home_node, home);
    /* refused, the community named, and nothing removed */
    assert_int_equal(svc_peer_remove(f->st, &f->console, "home", &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "home of community regional"));
    assert_int_equal(store_node_by_name(f->st, "home", &n, &err), MZ_OK);
    assert_int_equal(n.id, home);
    /* should the row go all the same (the store's call, below the refusal), its id is
     * not given again: the community's home is nobody's */
    assert_int_equal(store_node_remove(f->st, home, &err), MZ_OK);
    add_peer(f, "evil", key);
    assert_int_equal(store_node_by_name(f->st, "evil", &n, &err), MZ_OK);
    assert_true(n.id > home);
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_int_equal(c.home_node, home);
}

/* How many peers' stamps (grants of community 0) the versions of stix_id have. */
static int stamps_of(struct fx *f, const char *stix_id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char path[128];
    int n = -1;

    snprintf(path, sizeof path, "%s/mreza.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM grants g JOIN objects o ON o.seq = g.seq"
                                        " WHERE g.community = 0 AND o.stix_id = ?1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* docs/security.md C6 (was attack5_stamps.c test_attack_rebind_restamps): an AMBER
 * version addressed to me's organisation gets a peers' stamp when the binding makes
 * it readable to a peer (bind; bind again after unbind), never when a binding in
 * place is refreshed from the directory (svc_peer_bind_in with a profile, as each
 * `peer bind --from` does): each such refresh stamped every version again before. */
static void test_rebind_stamps(void **state)
{
    struct fx *f = *state;
    struct bundle_limits lim = {64, 1000, 900, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct svc_ingest_result res;
    struct principal admin;
    struct store_node n;
    struct store_org prof, o;
    char key[SVC_KEY_LEN], body[800];
    struct mz_error err;

    add_peer(f, "me", key);
    assert_int_equal(svc_principal_of_user(f->st, "admin@al-cert", &admin, &err), MZ_OK);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" STAMPED "\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"pattern\":"
             "\"[ipv4-addr:value = '10.0.0.9']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"],"
             "\"x_mreza_recipient_refs\":[\"" IDENT_ME "\"]}");
    if (svc_ingest(f->st, &admin, body, strlen(body), &lim, &res, &err) != MZ_OK)
        fail_msg("ingest: %s (%s)", err.msg, err.field);
    svc_ingest_result_free(&res);
    svc_principal_release(&admin);
    assert_int_equal(stamps_of(f, STAMPED), 0);
    /* bound: readable to me from now, stamped once */
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, NULL, &o, &err), MZ_OK);
    assert_int_equal(stamps_of(f, STAMPED), 1);
    /* refreshed from the directory, twice: nothing new is readable, nothing stamped */
    memset(&prof, 0, sizeof prof);
    snprintf(prof.full_name, sizeof prof.full_name, "ME CIRT");
    snprintf(prof.country, sizeof prof.country, "ME");
    snprintf(prof.kind, sizeof prof.kind, "national-csirt");
    assert_int_equal(store_node_by_name(f->st, "me", &n, &err), MZ_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_begin(f->st, &err), MZ_OK);
        assert_int_equal(svc_peer_bind_in(f->st, &n, IDENT_ME, NULL, &prof, &o, &err), MZ_OK);
        assert_int_equal(store_commit(f->st, &err), MZ_OK);
    }
    assert_string_equal(o.full_name, "ME CIRT");
    assert_int_equal(stamps_of(f, STAMPED), 1);
    /* unbound, then bound again: me may have read past it meanwhile: stamped again */
    assert_int_equal(svc_peer_unbind(f->st, &f->console, "me", o.name, &err), MZ_OK);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "me", IDENT_ME, NULL, &o, &err), MZ_OK);
    assert_int_equal(stamps_of(f, STAMPED), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_add_refusals),
        T(test_peer_key_is_a_peer),
        T(test_revoked_and_removed_keys),
        T(test_bindings),
        T(test_removed_id_not_reused),
        T(test_joined_home_kept),
        T(test_secret_is_never_shown),
        T(test_peer_lists_its_communities),
        T(test_view_counts),
        T(test_rebind_stamps),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
