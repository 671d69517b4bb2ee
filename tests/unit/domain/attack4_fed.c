/* tests/unit/domain/attack4_fed.c - the fourth hostile review of issue 11
 * (docs/security.md, "Issue 11: rosters, the directory, mutual TLS and the fetcher,
 * attacked"): reproductions of open findings against a real SQLite store. Not part
 * of the suite (tests/run.sh and tests-build take test_*.c only); each test FAILS on
 * main at 10a578c. Build and run:
 *   make -s -j2 SANITIZE=1 build/san/tests/unit/domain/attack4_fed
 *   BUILD=build/san sh tests/run.sh build/san/tests/unit/domain/attack4_fed
 * The fixture is test_roster.c's: al-cert here; peer me (node NODE_ME) speaking for
 * me-cirt, peer rs (node NODE_RS); regional joined from me, energy homed here. */
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

/* B1: a remote organisation's source rank is console-only (docs/model.md R10), but
 * where the operator set none it follows the kind (model_rank_of), and the kind
 * follows the peer's directory: peer me promotes me-cirt from rank 3 to rank 1 (a
 * national CSIRT's) by re-publishing its identity with x_mreza_kind national-csirt,
 * and me-cirt's copies of open ids now rank first among later copies (R2.5). */
static void test_attack_directory_kind_raises_rank(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct svc_sync_out out;
    struct mz_error err;
    int before;

    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    before = model_rank_of(o.rank, o.kind);
    assert_int_equal(before, 3);
    out = dir_page(f, f->me, IDENT_ME, "2026-12-07T10:00:00.000Z", "ME-CIRT", "national-csirt");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    /* FAILS on 10a578c: kind national-csirt, rank 1, set by the peer */
    assert_int_equal(model_rank_of(o.rank, o.kind), before);
}

/* B2: a peer's directory text is shown to the operator (`peer orgs`, `org list`,
 * `org show`, conflicts of `peer bind`): take_text (svc_directory.c:60-62) refuses
 * C0 controls and DEL, but not C1 controls (U+0080-U+009F, two bytes in UTF-8),
 * which svc_roster.c's text_field refuses: U+009B is a terminal's CSI, U+009D its
 * OSC (xterm and VTE act on them in UTF-8 mode when C1 controls are enabled; any
 * program that writes the text to an 8-bit channel or a log read by one). */
static void test_attack_directory_c1_controls(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct svc_dir_entry e;
    struct svc_sync_out out;
    struct mz_error err;
    json_t *obj, *meta;
    const char *name;

    obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "identity", "spec_version", "2.1", "id", IDENT_ME,
                    "modified", "2026-12-07T10:00:00.000Z", "name", "ME\xc2\x9b" "2J", "identity_class",
                    "organization", "x_mreza_kind", "other", "object_marking_refs", tlp_marking_id(TLP_GREEN));
    meta = json_pack("{s:s}", "owner", IDENT_ME);
    assert_non_null(obj);
    assert_int_equal(svc_directory_entry(obj, meta, &e), 1);
    json_decref(obj);
    json_decref(meta);
    /* FAILS on 10a578c: the CSI is taken as the organisation's name */
    assert_null(strstr(e.full_name, "\xc2\x9b"));
    /* through a pull: the name of me-cirt here (the BEL, a C0, is refused already:
     * use a name with C1 alone) */
    name = "ME\\u009b2J\\u009d0;owned";
    out = dir_page(f, f->me, IDENT_ME, "2026-12-07T10:00:00.000Z", name, "other");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_null(strstr(o.full_name, "\xc2\x9b"));
    assert_null(strstr(o.full_name, "\xc2\x9d"));
}

/* B3: a joined community's home flips its kind to regional by a roster
 * (svc_roster.c apply_roster takes the roster's kind when no other community here
 * is regional), and this node can no longer host its own regional community, the one
 * its directory is shared into (svc_community.c:115 "this node hosts a regional
 * community already", though it hosts none: the regional one is the peer's). The
 * community was joined as `other`; nothing the operator did made it regional. */
static void test_attack_roster_kind_blocks_own_regional(void **state)
{
    struct fx *f = *state;
    struct store_community c;
    struct svc_community_new wb = {"wb", "Western Balkans", NULL, "regional"};
    struct svc_sync_out out;
    struct mz_error err;

    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", NULL);
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_community_by_name(f->st, "regional", &c, &err), MZ_OK);
    assert_int_equal(c.home_node, f->me);
    assert_string_equal(c.kind, "regional");
    assert_string_equal(members_of(f, "regional"), "");
    /* FAILS on 10a578c: 409, "this node hosts a regional community already" */
    mz_error_clear(&err);
    assert_int_equal(svc_community_add(f->st, &f->console, &wb, NULL, &err), MZ_OK);
}

/* B5: a joined community's home chooses its node identity at `community join`
 * (svc_roster_join takes the API root's x_mreza_node.identity when `peer add` gave
 * none, svc_roster.c:655-664), and the first roster makes an organisation of kind
 * node with that identity, bound to the home (node_org, svc_roster.c:336-371). A
 * hostile home names as its node identity the identity of another node's
 * organisation not bound here yet (rs-cert's, IDENT_RS): that identity is now bound
 * to it, no operator ever saw it (`peer orgs` lists nothing of it), its directory
 * identity under that id is admitted as the home's word (named RS-CERT here, on
 * objects it sends owned by that id), and the operator's later `peer bind rs
 * IDENT_RS` is refused as bound to another peer. */
static void test_attack_join_node_identity_squats(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct svc_sync_out out;
    struct mz_error err;
    int64_t ev = 0;
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
    assert_int_equal(svc_roster_join(f->st, &f->console, "evil", UUID_NONE, "ev", IDENT_RS, j, 1000, NULL, &applied,
                                     &err),
                     MZ_OK);
    json_decref(j);
    assert_int_equal(applied, 1);
    /* rs-cert's identity is bound to ev now, and ev names it */
    out = dir_page(f, ev, IDENT_RS, "2026-12-07T11:00:00.000Z", "RS-CERT", "national-csirt");
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "ev-node", &o, &err), MZ_OK);
    print_message("ev-node: identity %s, full name %s, kind %s\n", o.identity, o.full_name, o.kind);
    /* FAILS on 10a578c: 409, rs-cert's identity is bound to peer ev */
    mz_error_clear(&err);
    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attack_directory_kind_raises_rank, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_attack_directory_c1_controls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_attack_roster_kind_blocks_own_regional, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_attack_join_node_identity_squats, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
