/* tests/unit/domain/test_roster.c - community rosters (domain/svc_roster.c; issue 11,
 * docs/federation.md decision 9) against a real SQLite store (no mocks):
 *   - the object's form: written and read back (members sorted, no `members` when
 *     there are none, valid STIX 2.1), and every malformed roster refused by
 *     svc_roster_read (type, id not the community's, kind, members of no form, an
 *     identity twice, no direction, control characters, too many);
 *   - the home (this node): a community's first roster at `community add`, a new
 *     version on each member add and remove, the node's own (owner 0), TLP:GREEN,
 *     shared into the community alone, versions strictly newer; none for national;
 *   - a joined community (regional, homed at peer me): a page from me holding its
 *     roster is applied (local and bound members, the unknown identity left in the
 *     roster, kind and title taken, the roster stored as me's node organisation's);
 *     `peer bind` of the identity then makes it a member; an older or equal roster
 *     is a duplicate and changes nothing; a newer one removes a dropped member; a
 *     roster from rs (not the home), one owned by another than me's node identity,
 *     one of a community homed here and one of a community not hosted here are
 *     refused and counted, and one past ingest.max_versions (cap); a local
 *     member add or remove on the joined community is refused;
 *   - the fourth hostile review (docs/security.md, each failed before its fix): a
 *     directory identity does not change a remote organisation's kind (its rank,
 *     B1) nor touch a peer's node organisation (refused as owner); C1 and
 *     bidirectional controls are refused in directory text (B2); a joined community
 *     stated regional takes no place of the regional community this node homes
 *     (B3); `community join` takes no node identity from the home's API root (B5);
 *   - the fifth (C2): `community leave` of a joined community ends its home's word
 *     here (memberships, bookmarks; its roster refused), joined again only as it was,
 *     and its home may then be removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "domain/svc_roster.h"
#include "domain/svc_sync.h"
#include "rules/model.h"
#include "rules/stix.h"
#include "rules/tlp.h"
#include "store/store.h"

#define NODE_ME "identity--00000000-0000-4000-8000-0000000000e0"
#define NODE_RS "identity--00000000-0000-4000-8000-0000000000e1"
#define IDENT_ME "identity--1f0c0000-0000-4000-8000-0000000000aa"
#define IDENT_RS "identity--2f0c0000-0000-4000-8000-0000000000bb"
#define UUID_REG "0b6f0000-0000-4000-8000-00000000000a"
#define UUID_NONE "0b6f0000-0000-4000-8000-00000000000f"

/* ---- the object's form ---- */

static struct svc_roster_member two[] = {
    {"identity--bbbb0000-0000-4000-8000-000000000002", 1, 0},
    {"identity--aaaa0000-0000-4000-8000-000000000001", 1, 1},
};

static void sample(struct svc_roster *r, size_t n)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, SVC_ROSTER_PREFIX UUID_REG);
    snprintf(r->community, sizeof r->community, UUID_REG);
    snprintf(r->name, sizeof r->name, "regional");
    snprintf(r->title, sizeof r->title, "Western Balkans CSIRTs – ÇÖ");
    snprintf(r->kind, sizeof r->kind, "regional");
    snprintf(r->created_by, sizeof r->created_by, NODE_ME);
    snprintf(r->created, sizeof r->created, "2026-12-01T00:00:00Z");
    snprintf(r->modified, sizeof r->modified, "2026-12-07T10:00:00.000001Z");
    r->n = n;
    r->m = n ? two : NULL;
}

static json_t *written(const struct svc_roster *r)
{
    struct mz_error err;
    char *text = NULL;
    json_t *o;

    assert_int_equal(svc_roster_write(r, &text, &err), MZ_OK);
    o = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(o);
    return o;
}

static void test_write_read(void **state)
{
    struct svc_roster r, back;
    struct stix_info info;
    struct mz_error err;
    json_t *o;

    (void)state;
    sample(&r, 2);
    o = written(&r);
    assert_int_equal(stix_validate(o, &info, &err), MZ_OK);
    assert_int_equal(info.tlp, TLP_GREEN);
    stix_info_clear(&info);
    assert_int_equal(svc_roster_read(o, &back, &err), MZ_OK);
    assert_string_equal(back.id, r.id);
    assert_string_equal(back.community, UUID_REG);
    assert_string_equal(back.title, r.title);
    assert_string_equal(back.kind, "regional");
    assert_string_equal(back.created_by, NODE_ME);
    assert_string_equal(back.modified, r.modified);
    assert_int_equal(back.n, 2);
    assert_string_equal(back.m[0].identity, two[1].identity); /* sorted */
    assert_true(back.m[0].read && back.m[0].write);
    assert_true(back.m[1].read && !back.m[1].write);
    svc_roster_clear(&back);
    json_decref(o);
    /* no members: no empty list (STIX forbids them), read back as none */
    sample(&r, 0);
    o = written(&r);
    assert_null(json_object_get(o, "members"));
    assert_int_equal(stix_validate(o, &info, &err), MZ_OK);
    stix_info_clear(&info);
    assert_int_equal(svc_roster_read(o, &back, &err), MZ_OK);
    assert_int_equal(back.n, 0);
    assert_null(back.m);
    json_decref(o);
}

/* A sample roster with key set to the JSON value (NULL: removed): what read says. */
static enum mz_err read_with(const char *key, const char *value, struct mz_error *err)
{
    struct svc_roster r, back;
    json_t *o;
    enum mz_err rc;

    sample(&r, 2);
    o = written(&r);
    if (value)
        json_object_set_new(o, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(o, key);
    rc = svc_roster_read(o, &back, err);
    if (!rc)
        svc_roster_clear(&back);
    json_decref(o);
    return rc;
}

static void test_read_refusals(void **state)
{
    static const struct {
        const char *key, *value;
        enum mz_err rc;
    } bad[] = {
        {"type", "\"x-mreza-withdrawal\"", MZ_EINVAL},
        {"id", "\"x-mreza-roster--0b6f0000-0000-4000-8000-00000000000b\"", MZ_EINVAL}, /* another community's */
        {"id", NULL, MZ_EINVAL},
        {"community", "\"regional\"", MZ_EINVAL},
        {"kind", "\"national\"", MZ_EINVAL},
        {"title", "\"a\\u0007bell\"", MZ_EINVAL},
        {"title", "\"\"", MZ_EINVAL},
        {"name", "42", MZ_EINVAL},
        {"created_by_ref", NULL, MZ_EINVAL},
        {"modified", NULL, MZ_EINVAL},
        {"members", "{}", MZ_EINVAL},
        {"members", "[\"identity--aaaa0000-0000-4000-8000-000000000001\"]", MZ_EINVAL},
        {"members", "[{\"identity\":\"identity--aaaa0000-0000-4000-8000-000000000001\",\"read\":false,\"write\":false}]",
         MZ_EINVAL},
        {"members", "[{\"identity\":\"identity--aaaa0000-0000-4000-8000-000000000001\",\"read\":1,\"write\":true}]",
         MZ_EINVAL},
        {"members", "[{\"identity\":\"indicator--aaaa0000-0000-4000-8000-000000000001\",\"read\":true,\"write\":true}]",
         MZ_EINVAL},
        {"members",
         "[{\"identity\":\"identity--aaaa0000-0000-4000-8000-000000000001\",\"read\":true,\"write\":true},"
         "{\"identity\":\"identity--AAAA0000-0000-4000-8000-000000000001\",\"read\":true,\"write\":false}]",
         MZ_EINVAL},
    };
    struct mz_error err;
    json_t *many = json_array();
    char *text;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mz_error_clear(&err);
        if (read_with(bad[i].key, bad[i].value, &err) != bad[i].rc)
            fail_msg("roster with %s = %s: not refused", bad[i].key, bad[i].value ? bad[i].value : "(none)");
        assert_true(err.msg[0] != '\0');
    }
    /* an upper-case UUID is the same identity: read as lower case */
    assert_int_equal(
        read_with("members",
                  "[{\"identity\":\"identity--AAAA0000-0000-4000-8000-000000000001\",\"read\":true,\"write\":true}]",
                  &err),
        MZ_OK);
    for (int i = 0; i <= SVC_ROSTER_MAX_MEMBERS; i++) {
        char id[64];
        snprintf(id, sizeof id, "identity--aaaa0000-0000-4000-8000-%012d", i);
        json_array_append_new(many, json_pack("{s:s,s:b,s:b}", "identity", id, "read", 1, "write", 1));
    }
    text = json_dumps(many, JSON_COMPACT);
    json_decref(many);
    assert_int_equal(read_with("members", text, &err), MZ_ETOOBIG);
    free(text);
}

/* ---- with a store ---- */

struct fx {
    char dir[64];
    struct store *st;
    struct principal console;
    char al_ident[STORE_IDENT_LEN];
    int64_t me, rs;
    struct bundle_limits lim;
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

static int add_peer(struct fx *f, const char *name, const char *node_ident, int64_t *id)
{
    struct svc_peer_new in;
    struct store_node n;
    char url[128], key[SVC_KEY_LEN];
    struct mz_error err;

    memset(&in, 0, sizeof in);
    snprintf(url, sizeof url, "https://%s.example/taxii2/api/", name);
    in.name = name;
    in.url = url;
    in.allow_http = in.paused = -1;
    in.interval = -1;
    in.identity = node_ident;
    if (svc_peer_add(f->st, &f->console, &in, NULL, key, &err) || store_node_by_name(f->st, name, &n, &err))
        return -1;
    *id = n.id;
    return 0;
}

/* This node: al-cert; peer me (node NODE_ME) speaking for me-cirt, peer rs (node
 * NODE_RS); regional joined from me, energy homed here. */
static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct svc_org_new org = {"al-cert", NULL, "AL", NULL, "national-csirt", NULL};
    struct svc_community_new en = {"energy", "Energy", NULL, NULL};
    struct store_org o;
    struct mz_error err;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-roster-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, NULL, &f->st, &err) != MZ_OK)
        return -1;
    principal_console(&f->console);
    if (svc_org_add(f->st, &f->console, &org, &o, &err))
        return -1;
    snprintf(f->al_ident, sizeof f->al_ident, "%s", o.identity);
    if (add_peer(f, "me", NODE_ME, &f->me) || add_peer(f, "rs", NODE_RS, &f->rs) ||
        svc_peer_bind(f->st, &f->console, "me", IDENT_ME, "me-cirt", NULL, &err) ||
        svc_community_join(f->st, &f->console, "regional", UUID_REG, "me", NULL, &err) ||
        svc_community_add(f->st, &f->console, &en, NULL, &err))
        return -1;
    f->lim = (struct bundle_limits){64, 1000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
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

/* A page from node holding one roster of community uuid at modified, owned by
 * owner, with members (the inside of a JSON array, NULL: none); applied as a pull of
 * that collection. */
static struct svc_sync_out page(struct fx *f, int64_t node, const char *uuid, const char *owner,
                                const char *modified, const char *members)
{
    struct svc_sync_out out;
    struct mz_error err;
    char env[4096];
    struct svc_sync_sub sub = {node, uuid, "pull", &f->lim, 0, 0, 0};
    struct svc_sync_page pg;

    snprintf(env, sizeof env,
             "{\"more\":false,\"objects\":[{\"type\":\"x-mreza-roster\",\"spec_version\":\"2.1\","
             "\"id\":\"x-mreza-roster--%s\",\"created\":\"2026-12-01T00:00:00Z\",\"modified\":\"%s\","
             "\"created_by_ref\":\"%s\",\"community\":\"%s\",\"name\":\"reg\",\"title\":\"WB CSIRTs\",\"kind\":\"regional\""
             "%s%s%s,\"object_marking_refs\":[\"%s\"]}],"
             "\"x_mreza_meta\":[{\"id\":\"x-mreza-roster--%s\",\"version\":\"%s\",\"owner\":\"%s\",\"communities\":[\"%s\"],"
             "\"date_added\":\"2026-12-07T00:00:00.000001Z\"}]}",
             uuid, modified, owner, uuid, members ? ",\"members\":[" : "", members ? members : "", members ? "]" : "",
             tlp_marking_id(TLP_GREEN), uuid, modified, owner, uuid);
    pg = (struct svc_sync_page){env, strlen(env), "2026-12-07T00:00:00.000001Z", NULL, NULL, NULL};
    if (svc_sync_apply_page(f->st, &sub, &pg, &out, &err) != MZ_OK)
        fail_msg("page: %s", err.msg);
    return out;
}

struct names {
    char text[512];
};

static int note_member(void *ctx, const struct store_membership *m)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);

    snprintf(n->text + used, sizeof n->text - used, "%s%s:%d%d", used ? " " : "", m->org_name, m->can_read,
             m->can_write);
    return 0;
}

static const char *members_of(struct fx *f, const char *community)
{
    static struct names n;
    struct mz_error err;

    memset(&n, 0, sizeof n);
    assert_int_equal(svc_community_members(f->st, &f->console, community, note_member, &n, &err), MZ_OK);
    return n.text;
}

static void test_joined_applies_and_binds(void **state)
{
    struct fx *f = *state;
    struct store_community c;
    struct store_org o;
    struct svc_sync_out out;
    struct mz_error err;
    char members[600];

    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_string_equal(c.kind, "other");
    assert_string_equal(c.roster_modified, "");
    assert_string_equal(members_of(f, "regional"), "");
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":true},{\"identity\":\"" IDENT_ME "\",\"read\":true,"
             "\"write\":false},{\"identity\":\"" IDENT_RS "\",\"read\":true,\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    /* rs-cert is not known here yet: kept in the roster */
    assert_string_equal(members_of(f, "regional"), "al-cert:11 me-cirt:10");
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_string_equal(c.kind, "regional");
    assert_string_equal(c.title, "WB CSIRTs");
    assert_string_equal(c.roster_modified, "2026-12-07T10:00:00.000000Z");
    /* stored as me's node organisation's, a remote organisation of kind node bound to me */
    assert_int_equal(store_org_by_name(f->st, "me-node", &o, &err), MZ_OK);
    assert_string_equal(o.kind, "node");
    assert_string_equal(o.identity, NODE_ME);
    {
        int64_t home = 0;
        assert_int_equal(store_org_node(f->st, o.id, &home, &err), MZ_OK);
        assert_int_equal(home, f->me);
    }
    /* bound later: a member by the roster kept */
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 me-cirt:10 rs-cert:11");
    /* older, and as old: ignored (duplicates), nothing changes */
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T09:00:00.000000Z", NULL);
    assert_int_equal(out.stored + out.refused_owner + out.refused_invalid, 0);
    assert_int_equal(out.duplicates, 1);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", NULL);
    assert_int_equal(out.duplicates, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 me-cirt:10 rs-cert:11");
    /* not from the home, not the home's own, not a community hosted here: refused */
    out = page(f, f->rs, UUID_REG, NODE_RS, "2026-12-08T00:00:00.000000Z", NULL);
    assert_int_equal(out.refused_owner, 1);
    out = page(f, f->rs, UUID_REG, NODE_ME, "2026-12-08T00:00:00.000000Z", NULL);
    assert_int_equal(out.refused_owner, 1);
    out = page(f, f->me, UUID_REG, NODE_RS, "2026-12-08T00:00:00.000000Z", NULL);
    assert_int_equal(out.refused_owner, 1);
    out = page(f, f->me, UUID_NONE, NODE_ME, "2026-12-08T00:00:00.000000Z", NULL);
    assert_int_equal(out.refused_community, 1);
    /* a community homed here is this node's to decide: no peer's roster of it */
    assert_int_equal(store_community_by_name(f->st, "energy", &c, &err), MZ_OK);
    out = page(f, f->me, c.uuid, NODE_ME, "2026-12-08T00:00:00.000000Z", NULL);
    assert_int_equal(out.refused_owner, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 me-cirt:10 rs-cert:11");
    /* newer, without me-cirt: it is no member any more */
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":false},{\"identity\":\"" IDENT_RS "\",\"read\":true,"
             "\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-08T00:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:10 rs-cert:11");
    /* no cap on a roster's versions (security.md C3): test_roster_newest_kept_never_capped */
    /* the members are the home's: none added or removed here */
    mz_error_clear(&err);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "regional", "al-cert", 1, 1, &err), MZ_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "decides its members"));
    assert_int_equal(svc_community_member_remove(f->st, &f->console, "regional", "rs-cert", &err), MZ_EFORBIDDEN);
    assert_string_equal(members_of(f, "regional"), "al-cert:10 rs-cert:11");
}

struct versions {
    int n;
    char last[STIX_VKEY_LEN];
    int increasing, node_owned;
    uint64_t comm;
    int64_t seq;
};

static int note_version(void *ctx, const struct store_version *v)
{
    struct versions *x = ctx;

    x->increasing &= strcmp(v->vkey, x->last) > 0;
    snprintf(x->last, sizeof x->last, "%s", v->vkey);
    x->node_owned &= v->owner_org == 0 && v->tlp == TLP_GREEN;
    x->comm |= v->comm;
    x->seq = v->seq;
    x->n++;
    return 0;
}

static struct versions roster_versions(struct fx *f, const struct store_community *c)
{
    struct versions v = {0, "", 1, 1, 0, 0};
    struct mz_error err;
    char id[64];

    snprintf(id, sizeof id, SVC_ROSTER_PREFIX "%s", c->uuid);
    assert_int_equal(store_id_versions(f->st, id, note_version, &v, &err), MZ_OK);
    return v;
}

static void test_home_publishes(void **state)
{
    struct fx *f = *state;
    struct store_community c, nat;
    struct versions v;
    struct svc_roster r;
    struct mz_error err;
    char *body = NULL, node[STORE_IDENT_LEN];
    size_t len = 0;
    json_t *o;

    assert_int_equal(store_community_by_name(f->st, "energy", &c, &err), MZ_OK);
    v = roster_versions(f, &c);
    assert_int_equal(v.n, 1); /* at `community add` */
    assert_int_equal(svc_community_member_set(f->st, &f->console, "energy", "al-cert", 1, 1, &err), MZ_OK);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "energy", "me-cirt", 1, 0, &err), MZ_OK);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "energy", "me-cirt", 0, 1, &err), MZ_OK);
    assert_int_equal(svc_community_member_remove(f->st, &f->console, "energy", "al-cert", &err), MZ_OK);
    v = roster_versions(f, &c);
    assert_int_equal(v.n, 5);
    assert_true(v.increasing);
    assert_true(v.node_owned);
    assert_true(v.comm == (uint64_t)1 << c.bit);
    /* the newest says me-cirt writes, and nothing more */
    assert_int_equal(store_body(f->st, v.seq, &body, &len, &err), MZ_OK);
    o = json_loadb(body, len, 0, NULL);
    free(body);
    assert_non_null(o);
    assert_int_equal(svc_roster_read(o, &r, &err), MZ_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.m[0].identity, IDENT_ME);
    assert_true(!r.m[0].read && r.m[0].write);
    assert_string_equal(r.community, c.uuid);
    assert_string_equal(r.name, "energy");
    assert_string_equal(r.kind, "other");
    assert_int_equal(store_meta_get(f->st, "node_identity", node, sizeof node, &err), MZ_OK);
    assert_string_equal(r.created_by, node);
    svc_roster_clear(&r);
    json_decref(o);
    /* none for the national community, nor for one joined from a peer */
    assert_int_equal(store_community_by_name(f->st, "national", &nat, &err), MZ_OK);
    assert_int_equal(roster_versions(f, &nat).n, 0);
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_int_equal(roster_versions(f, &c).n, 0);
    assert_int_equal(svc_community_member_set(f->st, &f->console, "national", "me-cirt", 1, 0, &err), MZ_OK);
    assert_int_equal(roster_versions(f, &nat).n, 0);
}

/* ---- the fourth hostile review of issue 11 (docs/security.md B1, B2, B3, B5) ---- */

/* A page from node holding one directory identity of id (owner: itself), name and
 * kind as given (name is JSON string text: escapes allowed). */
static struct svc_sync_out dir_page(struct fx *f, int64_t node, const char *id, const char *mod, const char *name,
                                    const char *kind)
{
    struct svc_sync_out out;
    struct mz_error err;
    char env[4096];
    struct svc_sync_sub sub = {node, "mreza-direct", "pull", &f->lim, 0, 0, 0};
    struct svc_sync_page pg;

    snprintf(env, sizeof env,
             "{\"more\":false,\"objects\":[{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"name\":\"%s\","
             "\"identity_class\":\"organization\",\"sectors\":[\"energy\"],\"x_mreza_handle\":\"home-handle\","
             "\"x_mreza_kind\":\"%s\",\"object_marking_refs\":[\"%s\"]}],"
             "\"x_mreza_meta\":[{\"id\":\"%s\",\"version\":\"%s\",\"owner\":\"%s\",\"communities\":[]}]}",
             id, mod, name, kind, tlp_marking_id(TLP_GREEN), id, mod, id);
    pg = (struct svc_sync_page){env, strlen(env), "2026-12-07T00:00:00.000001Z", NULL, NULL, NULL};
    if (svc_sync_apply_page(f->st, &sub, &pg, &out, &err) != MZ_OK)
        fail_msg("page: %s", err.msg);
    return out;
}

/* B1: a remote organisation's source rank is console-only (docs/model.md R10); where
 * the operator set none it follows the kind (model_rank_of), and the kind is taken
 * at `peer bind` only: peer me re-publishing me-cirt's identity as national-csirt
 * changes its name here, not its kind nor its rank (before the fix: rank 1). Nor
 * does a directory identity under the peer's node identity touch the organisation
 * of kind node that stands for it (refused: a node's identity is no organisation's). */
static void test_directory_kind_is_not_the_peers(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct svc_sync_out out;
    struct mz_error err;

    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_int_equal(model_rank_of(o.rank, o.kind), 3);
    out = dir_page(f, f->me, IDENT_ME, "2026-12-07T10:00:00.000Z", "ME-CIRT", "national-csirt");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "ME-CIRT");
    assert_string_equal(o.kind, "other");
    assert_int_equal(model_rank_of(o.rank, o.kind), 3);
    /* me's node organisation (made by its first roster) */
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", NULL);
    assert_int_equal(out.stored, 1);
    out = dir_page(f, f->me, NODE_ME, "2026-12-07T11:00:00.000Z", "ME-NATIONAL", "national-csirt");
    assert_int_equal(out.stored, 0);
    assert_int_equal(out.refused_owner, 1);
    assert_int_equal(store_org_by_name(f->st, "me-node", &o, &err), MZ_OK);
    assert_string_equal(o.kind, "node");
    assert_string_equal(o.full_name, "mreza node me");
}

/* B2: a peer's directory text is shown to the operator (`peer orgs`, `org list`,
 * `org show`, `peer bind`'s conflicts): C1 controls (U+009B is a terminal's CSI,
 * U+009D its OSC) and bidirectional overrides are refused as C0 ones are, by the
 * one check the roster's, the communities' and the keys' texts use (utf8_text_ok). */
static void test_directory_text_controls(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct svc_dir_entry e;
    struct svc_sync_out out;
    struct mz_error err;
    const char *bad[] = {"ME\xc2\x9b" "2J", "ME\xc2\x80", "ME\xe2\x80\xae" "TRIC", "ME\xe2\x81\xa6x", NULL};

    for (int i = 0; bad[i]; i++) {
        json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "identity", "spec_version", "2.1",
                                "id", IDENT_ME, "modified", "2026-12-07T10:00:00.000Z", "name", bad[i],
                                "identity_class", "organization", "x_mreza_kind", "other", "object_marking_refs",
                                tlp_marking_id(TLP_GREEN));
        json_t *meta = json_pack("{s:s}", "owner", IDENT_ME);
        assert_non_null(obj);
        assert_int_equal(svc_directory_entry(obj, meta, &e), 1);
        assert_string_equal(e.full_name, ""); /* refused: no name */
        json_decref(obj);
        json_decref(meta);
    }
    /* U+00A0 and beyond are text */
    {
        json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "identity", "spec_version", "2.1",
                                "id", IDENT_ME, "modified", "2026-12-07T10:00:00.000Z", "name",
                                "Crna Gora \xc2\xa0\xd0\xa6\xd0\x93", "identity_class", "organization",
                                "x_mreza_kind", "other", "object_marking_refs", tlp_marking_id(TLP_GREEN));
        assert_int_equal(svc_directory_entry(obj, NULL, &e), 1);
        assert_string_equal(e.full_name, "Crna Gora \xc2\xa0\xd0\xa6\xd0\x93");
        json_decref(obj);
    }
    /* through a pull: me-cirt's name here keeps no control */
    out = dir_page(f, f->me, IDENT_ME, "2026-12-07T10:00:00.000Z", "ME\\u009b2J\\u009d0;owned", "other");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_null(strstr(o.full_name, "\xc2\x9b"));
    assert_null(strstr(o.full_name, "\xc2\x9d"));
    out = dir_page(f, f->me, IDENT_ME, "2026-12-07T11:00:00.000Z", "ME\\u202etric", "other");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_null(strstr(o.full_name, "\xe2\x80\xae"));
}

/* B3: a joined community's roster says regional (the home's word: taken and shown),
 * but this node's regional community is the one it homes: the operator may still
 * add one, and the directory goes there alone (before the fix: 409, "this node
 * hosts a regional community already", though the regional one was the peer's). */
static void test_joined_regional_takes_no_place(void **state)
{
    struct fx *f = *state;
    struct store_community c, wb;
    struct svc_community_new in = {"wb", "Western Balkans", NULL, "regional"};
    struct svc_community_new again = {"wb2", "Western Balkans 2", NULL, "regional"};
    struct svc_sync_out out;
    struct mz_error err;
    uint64_t comm = 0;

    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", NULL);
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_int_equal(c.home_node, f->me);
    assert_string_equal(c.kind, "regional");
    mz_error_clear(&err);
    assert_int_equal(svc_community_add(f->st, &f->console, &in, &wb, &err), MZ_OK);
    /* one homed here at most */
    assert_int_equal(svc_community_add(f->st, &f->console, &again, NULL, &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "regional community already"));
    /* the directory: national and wb, not the peer's */
    assert_int_equal(svc_directory_comm(f->st, &comm, &err), MZ_OK);
    assert_true(comm & ((uint64_t)1 << wb.bit));
    assert_false(comm & ((uint64_t)1 << c.bit));
}

/* B5: the home's node identity (the owner of its rosters here, bound to it as an
 * organisation of kind node by the first roster) is the operator's word, never what
 * the home's API root says: a home naming another node's organisation's identity
 * (rs-cert's) would have it bound to itself. `community join` from a peer with no
 * identity set is refused, naming what the API root says and the command to confirm
 * it; nothing is bound; `peer bind rs IDENT_RS` then works (before the fix: 409,
 * bound to peer ev). With the identity set, the join goes on. */
static void test_join_node_identity_is_the_operators(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct store_community c;
    struct svc_peer_new set;
    struct mz_error err;
    int64_t ev = 0, org = 0, user = 0;
    int applied = 0;
    char env[4096];
    json_t *j;

    assert_int_equal(add_peer(f, "ev", NULL, &ev), 0);
    snprintf(env, sizeof env,
             "{\"objects\":[{\"type\":\"x-mreza-roster\",\"spec_version\":\"2.1\","
             "\"id\":\"x-mreza-roster--" UUID_NONE "\",\"created\":\"2026-12-01T00:00:00Z\","
             "\"modified\":\"2026-12-07T10:00:00.000000Z\",\"created_by_ref\":\"" IDENT_RS "\","
             "\"community\":\"" UUID_NONE "\",\"name\":\"ev\",\"title\":\"Evil\",\"kind\":\"other\","
             "\"object_marking_refs\":[\"%s\"]}],"
             "\"x_mreza_meta\":[{\"id\":\"x-mreza-roster--" UUID_NONE "\","
             "\"version\":\"2026-12-07T10:00:00.000000Z\",\"owner\":\"" IDENT_RS "\"}]}",
             tlp_marking_id(TLP_GREEN));
    j = json_loads(env, 0, NULL);
    assert_non_null(j);
    mz_error_clear(&err);
    assert_int_equal(svc_roster_join(f->st, &f->console, "evil", UUID_NONE, "ev", IDENT_RS, j, NULL, &applied,
                                     &err),
                     MZ_EINVAL);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err.msg, "no node identity set here"));
    assert_non_null(strstr(err.msg, IDENT_RS));
    assert_non_null(strstr(err.msg, "peer set ev --identity"));
    assert_int_equal(store_identity_owner(f->st, IDENT_RS, &org, &user, NULL), MZ_ENOTFOUND);
    assert_int_equal(store_community_by_name(f->st, "evil", &c, &err), MZ_ENOTFOUND);
    mz_error_clear(&err);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
    /* the operator's word: with it, a different API root is refused, the same joins */
    memset(&set, 0, sizeof set);
    set.allow_http = set.paused = -1;
    set.interval = -1;
    set.identity = "identity--00000000-0000-4000-8000-0000000000e2";
    assert_int_equal(svc_peer_set(f->st, &f->console, "ev", &set, NULL, &err), MZ_OK);
    assert_int_equal(svc_roster_join(f->st, &f->console, "evil", UUID_NONE, "ev", IDENT_RS, j, NULL, &applied,
                                     &err),
                     MZ_ECONFLICT);
    assert_int_equal(svc_roster_join(f->st, &f->console, "evil", UUID_NONE, "ev",
                                     "identity--00000000-0000-4000-8000-0000000000e2", j, NULL, &applied, &err),
                     MZ_OK);
    assert_int_equal(applied, 0); /* the roster is owned by rs-cert's identity, not ev's node: refused */
    assert_int_equal(store_org_by_name(f->st, "rs-cert", &o, &err), MZ_OK);
    assert_int_equal(store_org_node(f->st, o.id, &org, &err), MZ_OK);
    assert_int_equal(org, f->rs);
    json_decref(j);
}

/* security.md C3 (the fifth attack): a roster is never refused at ingest.max_versions
 * (which froze the memberships for good: an eviction sent after it never applied);
 * the older versions are dropped once a newer is stored, so the roster's id holds one
 * row here whatever number the home sends. Fails where the cap refused the third. */
static void test_roster_newest_kept_never_capped(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct store_community c;
    struct versions v;
    struct mz_error err;
    char members[600];

    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
    f->lim.max_versions = 2;
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":true},{\"identity\":\"" IDENT_RS "\",\"read\":true,"
             "\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T11:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    assert_non_null(strstr(members_of(f, "regional"), "rs-cert"));
    /* the home evicts rs-cert: applied, not refused at the cap */
    snprintf(members, sizeof members, "{\"identity\":\"%s\",\"read\":true,\"write\":true}", f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T12:00:00.000000Z", members);
    assert_int_equal(out.refused_cap, 0);
    assert_int_equal(out.stored, 1);
    assert_null(strstr(members_of(f, "regional"), "rs-cert"));
    /* one row, the newest; an older one sent again is not stored and changes nothing */
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    v = roster_versions(f, &c);
    assert_int_equal(v.n, 1);
    assert_string_equal(c.roster_modified, "2026-12-07T12:00:00.000000Z");
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":true},{\"identity\":\"" IDENT_RS "\",\"read\":true,"
             "\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T11:00:00.000000Z", members);
    assert_int_equal(out.stored, 0);
    assert_null(strstr(members_of(f, "regional"), "rs-cert"));
    assert_int_equal(roster_versions(f, &c).n, 1);
}

/* docs/security.md C2 (was attack5_roster.c test_attack_hostile_home_word_stands: a
 * home that turned hostile kept its roster's word here for good, `member remove` and
 * `peer remove` of the home refused, no way to leave): `community leave regional`
 * removes its memberships here (al-cert reads and writes it no more), drops its pull
 * bookmark, and keeps its row as left (-home); me's next roster is then refused and
 * counted; member changes stay refused; leaving again, or a community homed here, is
 * refused; it is joined again only from me with its collection id (then me's roster
 * applies again); once no joined community names me, `peer remove me` is allowed. */
static void test_community_leave(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct store_community c;
    static struct store_bookmark bm;
    struct store_bookmark *b = &bm;
    struct store_org al;
    char members[600], home[STORE_NODE_NAME_LEN];
    uint64_t rd = 0, wr = 0;
    struct mz_error err;

    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":true},{\"identity\":\"" IDENT_RS "\",\"read\":true,"
             "\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 rs-cert:11");
    assert_int_equal(store_bookmark_get(f->st, f->me, UUID_REG, "pull", b, &err), MZ_OK);
    /* the home's word stands while joined */
    assert_int_equal(svc_community_member_remove(f->st, &f->console, "regional", "rs-cert", &err), MZ_EFORBIDDEN);
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "community leave regional"));
    /* left: no members, no bookmark, the row kept as left */
    assert_int_equal(svc_community_leave(f->st, &f->console, "regional", &c, home, sizeof home, &err), MZ_OK);
    assert_string_equal(home, "me");
    assert_string_equal(members_of(f, "regional"), "");
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_int_equal(c.home_node, -f->me);
    assert_int_equal(store_org_by_name(f->st, "al-cert", &al, &err), MZ_OK);
    assert_int_equal(store_org_comm(f->st, al.id, &rd, &wr, &err), MZ_OK);
    assert_int_equal((rd | wr) & ((uint64_t)1 << c.bit), 0);
    assert_int_equal(store_bookmark_get(f->st, f->me, UUID_REG, "pull", b, &err), MZ_ENOTFOUND);
    /* me's next roster: refused, counted */
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T11:00:00.000000Z", members);
    assert_int_equal(out.stored, 0);
    assert_int_equal(out.refused_owner, 1);
    assert_string_equal(members_of(f, "regional"), "");
    assert_int_equal(svc_community_member_set(f->st, &f->console, "regional", "al-cert", 1, 1, &err), MZ_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "was left"));
    assert_int_equal(svc_community_leave(f->st, &f->console, "regional", NULL, NULL, 0, &err), MZ_ECONFLICT);
    assert_int_equal(svc_community_leave(f->st, &f->console, "energy", NULL, NULL, 0, &err), MZ_EINVAL);
    assert_int_equal(svc_community_leave(f->st, &f->console, "nothing", NULL, NULL, 0, &err), MZ_ENOTFOUND);
    /* joined again: not from another home, nor with another collection id */
    assert_int_equal(svc_community_join(f->st, &f->console, "regional", UUID_REG, "rs", NULL, &err), MZ_ECONFLICT);
    assert_int_equal(svc_community_join(f->st, &f->console, "regional", UUID_NONE, "me", NULL, &err), MZ_ECONFLICT);
    assert_int_equal(svc_community_join(f->st, &f->console, "regional", UUID_REG, "me", &c, &err), MZ_OK);
    assert_int_equal(c.home_node, f->me);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T11:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 rs-cert:11");
    /* the home is removed once no joined community names it */
    assert_int_equal(svc_community_join(f->st, &f->console, "second", UUID_NONE, "me", NULL, &err), MZ_OK);
    assert_int_equal(svc_community_leave(f->st, &f->console, "regional", NULL, NULL, 0, &err), MZ_OK);
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_ECONFLICT);
    assert_non_null(strstr(err.msg, "community second"));
    assert_int_equal(svc_community_leave(f->st, &f->console, "second", NULL, NULL, 0, &err), MZ_OK);
    assert_int_equal(svc_peer_remove(f->st, &f->console, "me", &err), MZ_OK);
    /* its id is not given again (a left community's home_node is -id) */
    assert_int_equal(add_peer(f, "me2", "identity--00000000-0000-4000-8000-0000000000e9", &f->rs), 0);
    assert_true(f->rs > f->me);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_read_refusals),
        cmocka_unit_test_setup_teardown(test_joined_applies_and_binds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_home_publishes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_directory_kind_is_not_the_peers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_directory_text_controls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_joined_regional_takes_no_place, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_join_node_identity_is_the_operators, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_roster_newest_kept_never_capped, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_community_leave, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
