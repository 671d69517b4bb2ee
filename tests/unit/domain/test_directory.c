/* tests/unit/domain/test_directory.c - domain/svc_directory.c (issue 11,
 * docs/federation.md sections 3 and 7, the node directory across borders) against a
 * real SQLite store (no mocks).
 *   - svc_directory_entry: a directory identity is an organisation's own identity
 *     (its meta's owner its id), TLP:GREEN; its text fields from a peer are taken
 *     only when they are text a person may be shown (well-formed UTF-8 without
 *     control characters, within size), a handle only in the node's own form, a
 *     country only as two capitals, a kind only one of the kinds;
 *   - a page from peer me (svc_sync_apply_page, one call into svc_directory_receive
 *     per identity): me-cirt's identity (bound to me) is stored as the node writes
 *     it - owner me-cirt, via me, a received row, GREEN in national - and its name,
 *     country and sector become me-cirt's here (its handle stays; its kind, which
 *     sets its source rank, is the one taken at `peer bind`: security.md B1); refused as
 *     owner: rs-cert's identity (bound to rs), an unknown organisation's, al-cert's
 *     (homed here); refused as tlp: an AMBER one of me-cirt's; again: a duplicate;
 *     the same version with other content: a conflict; an older version arriving
 *     late is stored and changes nothing; a country other than the peer's (its
 *     --country, the operator's word: docs/model.md R10) is not taken; stated into a community joined from the
 *     sender (its home), it is stored there too, else in national alone.
 * svc_org_add/svc_org_set_profile: this node's own organisations' full name and sector
 * pass the same text check (security.md C5).
 * Each failed before this work: the page refused every identity as `community`. */
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
#include <sqlite3.h>
#include <unistd.h>

#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "domain/svc_sync.h"
#include "rules/tlp.h"
#include "store/store.h"

#define IDENT_ME "identity--1f0c0000-0000-4000-8000-0000000000aa"
#define IDENT_RS "identity--2f0c0000-0000-4000-8000-0000000000bb"
#define IDENT_ELSE "identity--3f0c0000-0000-4000-8000-0000000000cc"
#define REGIONAL "0b6f0000-0000-4000-8000-0000000000ee"

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

static int peer(struct fx *f, const char *name, const char *ident, const char *org, int64_t *id)
{
    struct svc_peer_new in;
    struct store_node n;
    char url[128], key[SVC_KEY_LEN];
    struct mz_error err;

    memset(&in, 0, sizeof in);
    snprintf(url, sizeof url, "https://%s.example/taxii2/api/", name);
    in.name = name;
    in.url = url;
    in.country = "ME";
    in.allow_http = in.paused = -1;
    in.interval = -1;
    if (svc_peer_add(f->st, &f->console, &in, NULL, key, &err) ||
        svc_peer_bind(f->st, &f->console, name, ident, org, NULL, &err) || store_node_by_name(f->st, name, &n, &err))
        return -1;
    *id = n.id;
    return 0;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct svc_org_new org = {"al-cert", NULL, "AL", NULL, "national-csirt", NULL};
    struct store_org o;
    struct mz_error err;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mreza-dir-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, NULL, &f->st, &err) != MZ_OK)
        return -1;
    principal_console(&f->console);
    if (svc_org_add(f->st, &f->console, &org, &o, &err))
        return -1;
    snprintf(f->al_ident, sizeof f->al_ident, "%s", o.identity);
    if (peer(f, "me", IDENT_ME, "me-cirt", &f->me) || peer(f, "rs", IDENT_RS, "rs-cert", &f->rs))
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

/* A directory identity of id (its handle, name, country, kind, sector, marking),
 * modified at mod, appended to objs, with its meta entry (owner) to metas. */
static void ident(char *objs, char *metas, size_t cap, const char *id, const char *owner, const char *mod,
                  const char *name, const char *kind, int tlp)
{
    char o[1024], m[512];

    snprintf(o, sizeof o,
             "%s{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"%s\",\"name\":\"%s\",\"identity_class\":\"organization\",\"sectors\":[\"energy\"],"
             "\"x_mreza_handle\":\"home-handle\",\"x_mreza_country\":\"ME\",\"x_mreza_kind\":\"%s\","
             "\"object_marking_refs\":[\"%s\"]}",
             objs[0] ? "," : "", id, mod, name, kind, tlp_marking_id((enum tlp_level)tlp));
    snprintf(m, sizeof m, "%s{\"id\":\"%s\",\"version\":\"%s\",\"owner\":\"%s\",\"communities\":[]}",
             metas[0] ? "," : "", id, mod, owner);
    strncat(objs, o, cap - strlen(objs) - 1);
    strncat(metas, m, cap - strlen(metas) - 1);
}

static enum mz_err apply(struct fx *f, int64_t node, const char *objs, const char *metas, struct svc_sync_out *out)
{
    struct svc_sync_sub sub = {node, "mreza-direct", "pull", &f->lim, 0, 0, 0};
    char env[16384];
    struct svc_sync_page page = {env, 0, NULL, NULL, NULL, NULL};
    struct mz_error err;
    enum mz_err rc;

    snprintf(env, sizeof env, "{\"more\":false,\"objects\":[%s],\"x_mreza_meta\":[%s]}", objs, metas);
    page.len = strlen(env);
    rc = svc_sync_apply_page(f->st, &sub, &page, out, &err);
    if (rc)
        print_error("%s\n", err.msg);
    return rc;
}

static long long q(struct fx *f, const char *sql)
{
    char path[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;

    snprintf(path, sizeof path, "%s/mreza.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int entry_of(const char *obj_text, const char *meta_text, struct svc_dir_entry *e)
{
    json_t *o = json_loads(obj_text, 0, NULL), *m = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
    int r;

    assert_non_null(o);
    r = svc_directory_entry(o, m, e);
    json_decref(o);
    json_decref(m);
    return r;
}

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define OBJ(name, cls, extra, marking)                                                                            \
    "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"" IDENT_ME "\",\"created\":\"2025-01-01T00:00:00Z\"," \
    "\"modified\":\"2025-01-02T00:00:00Z\",\"name\":\"" name "\",\"identity_class\":\"" cls "\"" extra             \
    ",\"object_marking_refs\":[\"" marking "\"]}"
#define META_SELF "{\"owner\":\"" IDENT_ME "\"}"

/* The home's identity stated into a community joined from it is stored there too
 * (its word, as for a GREEN version); one stated by a peer that is not the
 * community's home, of an organisation that does not write there: national only. */
static void test_receive_into_joined_community(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct store_community c;
    struct mz_error err;
    char objs[4096] = "", metas[2048] = "", m[256];

    assert_int_equal(svc_community_join(f->st, &f->console, "regional", REGIONAL, "me", &c, &err), MZ_OK);
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-02T00:00:00.000Z", "ME-CIRT", "national-csirt",
          TLP_GREEN);
    snprintf(m, sizeof m, "\"communities\":[\"%s\"]", REGIONAL);
    memcpy(strstr(metas, "\"communities\":[]"), m, strlen(m) + 1);
    strcat(metas, "}");
    assert_int_equal(apply(f, f->me, objs, metas, &out), MZ_OK);
    assert_int_equal(out.stored, 1);
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE stix_id='" IDENT_ME "' AND comm = 1 | (1 << (SELECT bit "
                          "FROM communities WHERE name='regional'))"),
                     1);
    objs[0] = metas[0] = '\0';
    ident(objs, metas, sizeof objs, IDENT_RS, IDENT_RS, "2025-01-02T00:00:00.000Z", "RS-CERT", "national-csirt",
          TLP_GREEN);
    memcpy(strstr(metas, "\"communities\":[]"), m, strlen(m) + 1);
    strcat(metas, "}");
    assert_int_equal(apply(f, f->rs, objs, metas, &out), MZ_OK);
    assert_int_equal(out.stored, 1);
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE stix_id='" IDENT_RS "' AND comm = 1"), 1);
}

static void test_entry_hostile(void **state)
{
    struct svc_dir_entry e;
    char big[600], obj[1200];

    (void)state;
    assert_int_equal(entry_of(OBJ("ME-CIRT", "organization",
                                  ",\"x_mreza_handle\":\"me-cirt\",\"x_mreza_country\":\"ME\",\"x_mreza_kind\":\"police\","
                                  "\"sectors\":[\"energy\"]",
                                  GREEN),
                              META_SELF, &e),
                     1);
    assert_string_equal(e.identity, IDENT_ME);
    assert_string_equal(e.full_name, "ME-CIRT");
    assert_string_equal(e.handle, "me-cirt");
    assert_string_equal(e.country, "ME");
    assert_string_equal(e.kind, "police");
    assert_string_equal(e.sector, "energy");
    assert_string_equal(e.version, "2025-01-02T00:00:00Z");
    /* not a directory identity: another owner, AMBER, an individual, no marking */
    assert_int_equal(entry_of(OBJ("x", "organization", "", GREEN), "{\"owner\":\"" IDENT_RS "\"}", &e), 0);
    assert_int_equal(entry_of(OBJ("x", "organization", "", GREEN), "{}", &e), 0);
    assert_int_equal(entry_of(OBJ("x", "organization", "", AMBER), META_SELF, &e), 0);
    assert_int_equal(entry_of(OBJ("x", "individual", "", GREEN), META_SELF, &e), 0);
    assert_int_equal(entry_of("{\"type\":\"identity\",\"id\":\"" IDENT_ME "\",\"identity_class\":\"organization\","
                              "\"modified\":\"2025-01-02T00:00:00Z\"}",
                              META_SELF, &e),
                     0);
    assert_int_equal(entry_of("{\"type\":\"indicator\",\"id\":\"" IDENT_ME "\"}", META_SELF, &e), 0);
    /* hostile text: left out, never taken as it came */
    assert_int_equal(entry_of(OBJ("bell\\u0007", "organization",
                                  ",\"x_mreza_handle\":\"ME-CIRT\",\"x_mreza_country\":\"me\",\"x_mreza_kind\":\"king\","
                                  "\"sectors\":[7]",
                                  GREEN),
                              META_SELF, &e),
                     1);
    assert_string_equal(e.full_name, "");
    assert_string_equal(e.handle, "");
    assert_string_equal(e.country, "");
    assert_string_equal(e.kind, "other");
    assert_string_equal(e.sector, "");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(obj, sizeof obj, OBJ("%s", "organization", ",\"x_mreza_handle\":\"a b\"", GREEN), big);
    assert_int_equal(entry_of(obj, META_SELF, &e), 1);
    assert_string_equal(e.full_name, "");
    assert_string_equal(e.handle, "");
}

static void test_receive(void **state)
{
    struct fx *f = *state;
    struct svc_sync_out out;
    struct store_org o;
    struct mz_error err;
    char objs[8192] = "", metas[4096] = "", al[128];

    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-02T00:00:00.000Z", "ME-CIRT Podgorica", "national-csirt",
          TLP_GREEN);
    ident(objs, metas, sizeof objs, IDENT_RS, IDENT_RS, "2025-01-02T00:00:00.000Z", "RS-CERT", "national-csirt",
          TLP_GREEN);
    ident(objs, metas, sizeof objs, IDENT_ELSE, IDENT_ELSE, "2025-01-02T00:00:00.000Z", "unknown", "other", TLP_GREEN);
    ident(objs, metas, sizeof objs, f->al_ident, f->al_ident, "2025-01-02T00:00:00.000Z", "al-cert taken over",
          "other", TLP_GREEN);
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-03T00:00:00.000Z", "amber", "other", TLP_AMBER);
    assert_int_equal(apply(f, f->me, objs, metas, &out), MZ_OK);
    assert_int_equal(out.stored, 1);
    assert_int_equal(out.refused_owner, 3);
    assert_int_equal(out.refused_tlp, 1);
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE type='identity' AND stix_id='" IDENT_ME "' AND via=1 "
                          "AND tlp=1 AND comm=1 AND owner_org=(SELECT id FROM orgs WHERE name='me-cirt') AND "
                          "seq IN (SELECT seq FROM received WHERE node=1)"),
                     1);
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE stix_id IN ('" IDENT_RS "','" IDENT_ELSE "')"), 0);
    snprintf(al, sizeof al, "SELECT count(*) FROM objects WHERE stix_id='%s' AND via != 0", f->al_ident);
    assert_int_equal(q(f, al), 0);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "ME-CIRT Podgorica");
    assert_string_equal(o.kind, "other"); /* the kind is taken at bind alone (security.md B1) */
    assert_string_equal(o.sector, "energy");
    assert_string_equal(o.country, "ME");
    assert_int_equal(store_org_by_name(f->st, "al-cert", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "al-cert");

    /* again: a duplicate; the same version with other content: a conflict */
    objs[0] = metas[0] = '\0';
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-02T00:00:00.000Z", "ME-CIRT Podgorica", "national-csirt",
          TLP_GREEN);
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-02T00:00:00.000Z", "ME-CIRT rewritten", "police",
          TLP_GREEN);
    assert_int_equal(apply(f, f->me, objs, metas, &out), MZ_OK);
    assert_int_equal(out.duplicates, 1);
    assert_int_equal(out.refused_conflict, 1);
    assert_int_equal(out.stored, 0);
    /* me-cirt's identity from rs: not its home */
    objs[0] = metas[0] = '\0';
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-05T00:00:00.000Z", "from rs", "other", TLP_GREEN);
    assert_int_equal(apply(f, f->rs, objs, metas, &out), MZ_OK);
    assert_int_equal(out.refused_owner, 1);
    /* a newer version renames; an older one arriving late changes nothing */
    objs[0] = metas[0] = '\0';
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-04T00:00:00.000Z", "ME-CIRT renamed", "police",
          TLP_GREEN);
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-01T12:00:00.000Z", "ME-CIRT old", "other",
          TLP_GREEN);
    assert_int_equal(apply(f, f->me, objs, metas, &out), MZ_OK);
    assert_int_equal(out.stored, 2);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "ME-CIRT renamed");
    assert_string_equal(o.kind, "other");
    assert_int_equal(q(f, "SELECT count(*) FROM objects WHERE stix_id='" IDENT_ME "' AND via=1"), 3);
    /* a country other than the peer's (peer add --country ME): the operator's stays */
    objs[0] = metas[0] = '\0';
    ident(objs, metas, sizeof objs, IDENT_ME, IDENT_ME, "2025-01-06T00:00:00.000Z", "ME-CIRT abroad", "police",
          TLP_GREEN);
    memcpy(strstr(objs, "\"x_mreza_country\":\"ME\""), "\"x_mreza_country\":\"AL\"", 21);
    assert_int_equal(apply(f, f->me, objs, metas, &out), MZ_OK);
    assert_int_equal(out.stored, 1);
    assert_int_equal(store_org_by_name(f->st, "me-cirt", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "ME-CIRT abroad");
    assert_string_equal(o.country, "ME");
}

/* This node's own organisations (svc_org_add: POST /api/v1/orgs, `org add`;
 * svc_org_set_profile: `org set`): a full name or sector holding ESC sequences, BEL,
 * bidirectional overrides or bytes that are no UTF-8 is refused, naming the field, as
 * a peer's is (docs/security.md C5; was attack5_text.c test_attack_org_profile_text:
 * both calls returned 0). */
static void test_org_profile_text(void **state)
{
    char dir[64], cmd[128];
    struct store *st = NULL;
    struct principal console;
    struct store_org o;
    struct mz_error err;
    struct svc_org_new esc = {"evil-org", "Evil\x1b[2J\x1b]0;pwn\x07", "AL", NULL, "other", NULL};
    struct svc_org_new sect = {"evil-org", NULL, "AL", "gov\xc2\x9b", "other", NULL};
    struct svc_org_new ok = {"good-org", "Good \xc3\xa7 CERT", "AL", NULL, "other", NULL};
    struct svc_org_new bidi = {NULL, "abc\xe2\x80\xae" "fed", NULL, NULL, NULL, NULL};
    struct svc_org_new bad = {NULL, NULL, NULL, "\xff\xfe", NULL, NULL};

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mreza-orgtext-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, NULL, &st, &err), MZ_OK);
    principal_console(&console);
    assert_int_equal(svc_org_add(st, &console, &esc, &o, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/full_name");
    assert_int_equal(svc_org_add(st, &console, &sect, &o, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/sector");
    assert_int_equal(store_org_by_name(st, "evil-org", &o, &err), MZ_ENOTFOUND);
    assert_int_equal(svc_org_add(st, &console, &ok, &o, &err), MZ_OK);
    assert_int_equal(svc_org_set_profile(st, &console, "good-org", &bidi, &o, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/full_name");
    assert_int_equal(svc_org_set_profile(st, &console, "good-org", &bad, &o, &err), MZ_EINVAL);
    assert_string_equal(err.field, "/sector");
    assert_int_equal(store_org_by_name(st, "good-org", &o, &err), MZ_OK);
    assert_string_equal(o.full_name, "Good \xc3\xa7 CERT");
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_hostile),
        cmocka_unit_test(test_org_profile_text),
        cmocka_unit_test_setup_teardown(test_receive, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_receive_into_joined_community, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
