/* tests/unit/domain/attack5_roster.c - the fifth hostile review (issue 11's fixes,
 * re-attacked at 755a60f): a joined community's home, and its roster, once they
 * turn hostile or grow old. NOT in the suite (tests-build takes test_*.c only); each
 * test FAILS on 755a60f. Build and run:
 *   make -s -j2 SANITIZE=1 build/san/tests/unit/domain/attack5_roster
 *   BUILD=build/san sh tests/run.sh build/san/tests/unit/domain/attack5_roster
 *   - C2 test_attack_hostile_home_word_stands: regional joined from peer me; me's
 *     roster makes rs-cert (another peer's organisation) a read+write member of
 *     regional here. The operator distrusts me and does what the refusal of A11's fix
 *     says (`peer set me --pause`): its roster still stands, and nothing here undoes
 *     it: `community member remove regional rs-cert` is refused (the members are the
 *     home's), `peer remove me` is refused (A11: the home of a joined community), and
 *     no `community leave` exists. The last roster of a home that turned hostile
 *     decides regional's members on this node for good.
 * (C3, a roster frozen at ingest.max_versions, is fixed: test_roster.c
 * test_roster_newest_kept_never_capped.) */
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

static void test_attack_hostile_home_word_stands(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct svc_peer_new set;
    struct mz_error err;
    char members[600];
    enum mz_err removed_member, removed_peer;

    assert_int_equal(svc_peer_bind(f->st, &f->console, "rs", IDENT_RS, "rs-cert", NULL, &err), MZ_OK);
    snprintf(members, sizeof members,
             "{\"identity\":\"%s\",\"read\":true,\"write\":true},{\"identity\":\"" IDENT_RS "\",\"read\":true,"
             "\"write\":true}",
             f->al_ident);
    out = page(f, f->me, UUID_REG, NODE_ME, "2026-12-07T10:00:00.000000Z", members);
    assert_int_equal(out.stored, 1);
    assert_string_equal(members_of(f, "regional"), "al-cert:11 rs-cert:11");
    /* the operator distrusts me: paused, as A11's refusal says */
    memset(&set, 0, sizeof set);
    set.allow_http = set.paused = -1;
    set.interval = -1;
    set.paused = 1;
    assert_int_equal(svc_peer_set(f->st, &f->console, "me", &set, NULL, &err), MZ_OK);
    mz_error_clear(&err);
    removed_member = svc_community_member_remove(f->st, &f->console, "regional", "rs-cert", &err);
    mz_error_clear(&err);
    removed_peer = svc_peer_remove(f->st, &f->console, "me", &err);
    /* some way for the operator to undo a distrusted home's word must exist */
    assert_true(removed_member == MZ_OK || removed_peer == MZ_OK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_attack_hostile_home_word_stands),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
