/* tests/integ/test_fed_three.c - three mreza nodes, one region (issue 11,
 * docs/federation.md 11.5): al, me and rs, each its own store, serving TLS with a
 * certificate from one test CA; organisations al-cert + al-bank, me-cirt + me-bank,
 * rs-cert + rs-police; a full mesh of pull peers (each pair with keys both ways),
 * each node's organisations bound on the other two (`peer orgs --bind all` as
 * section 1 has it: a version re-shared by a CSIRT stays its operator's, and is
 * refused where its owner is not bound); 'regional' homed at me with the three
 * CSIRTs as members, joined by al and rs. The steps share the nodes, in order; a
 * "round" is every node pulling from every peer (`mreza sync`, al, me, rs in turn,
 * sync.page_size 7, the scheduler off):
 *   1. GREEN into regional at its home (me-cirt): on al and rs for the CSIRTs' analysts,
 *      404 to the operators' reporters; one received row each, node = me;
 *   2. me-bank's GREEN in national stays on me; me-cirt shares it into regional: it
 *      reaches al and rs, one version and one share record on me;
 *   3. AMBER by me-cirt to al-cert: on al only (al-cert 200, al-bank 404);
 *   4. AMBER+STRICT to al-cert and rs-cert (no node hosts both) and RED by al-cert:
 *      no other store holds them; AMBER+STRICT to al-cert alone: on al only;
 *   5. CLEAR by rs-cert: on al and me (mreza-direct);
 *   6. the withdrawal of (1) travels: 404 on al and rs for its former readers;
 *   7. rs stopped, al and me post and sync, rs restarted (a new port: `peer set
 *      --url` on al and me) and synced: it holds what its organisations may read;
 *   8. agreement: regional's (id, version) sets are equal on the three stores, no
 *      store received a version of its own organisations (no round trip), one more
 *      round adds no row anywhere (no echo).
 * And regional's roster (docs/federation.md decision 9): `community join` applies
 * the home's roster at once (0: members, kind, no local member add, the roster is
 * the node's own object); a GREEN posted into regional on a joined node (al) reaches
 * me and rs (9); a member the home removes reads no new regional GREEN on its node
 * after a round (10); a roster a peer other than the home sends is refused, an older
 * one than applied ignored (11). No sleeps: every sync is a `mreza sync` run to its
 * end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN_ID "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define STRICT_ID "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define RED_ID "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define IND(n) "indicator--3e000000-0000-4000-8000-0000000000" #n

enum { AL, ME, RS, N_NODES };

struct site {
    struct hnode n;
    const char *name, *country, *csirt, *other, *other_kind;
    char key_csirt[64], key_other[64], ident_csirt[80], ident_other[80];
};

static struct h_tls T;
static struct site S[N_NODES] = {
    {.name = "al", .country = "AL", .csirt = "al-cert", .other = "al-bank", .other_kind = "operator"},
    {.name = "me", .country = "ME", .csirt = "me-cirt", .other = "me-bank", .other_kind = "operator"},
    {.name = "rs", .country = "RS", .csirt = "rs-cert", .other = "rs-police", .other_kind = "police"},
};

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

static void cli_ok(struct hnode *n, const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(n, &out, &err, argv);

    if (rc)
        fail_msg("%s %s: exit %d: %s%s", argv[0], argv[1], rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
}

/* `mreza sync [peer]` on site i (every peer when peer is NULL): its exit status. */
static int sync_on(int i, const char *peer)
{
    const char *argv[] = {"sync", "--set", "sync.page_size=7", "--set", "sync.request_timeout=10", "--set",
                          "sync.retries=0", peer, NULL};
    char *out = NULL, *err = NULL;
    int rc = h_cli_err(&S[i].n, &out, &err, argv);

    if (rc || getenv("MREZA_TEST_VERBOSE"))
        fprintf(stderr, "sync on %s: %d\n%s%s", S[i].name, rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
    return rc;
}

/* A round: every node pulls from every peer, al, me, rs in turn. */
static void round_all(void)
{
    for (int i = 0; i < N_NODES; i++)
        assert_int_equal(sync_on(i, NULL), 0);
}

/* Post one indicator on site i as key into community (NULL: national); audience a
 * quoted identity list or NULL. */
static void post(int i, const char *key, const char *id, const char *marking, const char *audience,
                 const char *community)
{
    struct hresp r;
    char body[1500], path[128];

    memset(&r, 0, sizeof r);
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"three\",\"pattern\":\"[domain-name:value = "
             "'three.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
             "\"object_marking_refs\":[\"%s\"]%s%s%s}",
             id, marking, audience ? ",\"x_mreza_recipient_refs\":[" : "", audience ? audience : "",
             audience ? "]" : "");
    snprintf(path, sizeof path, "/api/v1/objects%s%s", community ? "?community=" : "", community ? community : "");
    if (h_http(&S[i].n, "POST", path, key, body, strlen(body), &r) != 201)
        fail_msg("post %s on %s: %ld %s", id, S[i].name, r.status, r.body ? r.body : "");
    hresp_free(&r);
}

static long get_object(int i, const char *key, const char *id)
{
    struct hresp r;
    char path[200];
    long st;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    st = h_http(&S[i].n, "GET", path, key, NULL, 0, &r);
    hresp_free(&r);
    return st;
}

/* Rows of id in site i's store. */
static long long rows(int i, const char *id)
{
    char where[200];

    snprintf(where, sizeof where, "stix_id='%s'", id);
    return h_db_count(&S[i].n, where);
}

/* Rows of id in site i's store with a received row from the peer called from. */
static long long received_from(int i, const char *id, const char *from)
{
    char where[400];

    snprintf(where, sizeof where,
             "stix_id='%s' AND seq IN (SELECT seq FROM received WHERE node=(SELECT id FROM nodes WHERE name='%s'))",
             id, from);
    return h_db_count(&S[i].n, where);
}

/* The one text result of sql on site i's store (group_concat...), into out. */
static void db_text(int i, const char *sql, char *out, size_t len)
{
    char path[300];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    snprintf(path, sizeof path, "%s/mreza.db", S[i].n.dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(out, len, "%s", sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static long long db_int(int i, const char *sql)
{
    char t[64];

    db_text(i, sql, t, sizeof t);
    return strtoll(t, NULL, 10);
}

static void peer_url(int j, char *out, size_t len)
{
    snprintf(out, len, "https://127.0.0.1:%u/taxii2/api/", S[j].n.port);
}

static void start_site(int i)
{
    char log[300];

    snprintf(log, sizeof log, "%s/serve.log", S[i].n.dir);
    h_start_tls(&S[i].n, &T, "node", NULL, log);
}

static int setup(void **state)
{
    char url[128], keyfile[400], *out, *err, *k = NULL;

    (void)state;
    h_tls_ca(&T);
    for (int i = 0; i < N_NODES; i++) {
        struct site *s = &S[i];
        const char *set[] = {"node", "set", "--name", s->name, "--country", s->country, NULL};
        char analyst[64], other[64];

        h_node_init(&s->n);
        cli_ok(&s->n, set);
        h_add_org(&s->n, s->csirt, s->country, "national-csirt");
        h_add_org(&s->n, s->other, s->country, s->other_kind);
        snprintf(analyst, sizeof analyst, "analyst@%s", s->csirt);
        snprintf(other, sizeof other, "ops@%s", s->other);
        h_add_user(&s->n, analyst, s->csirt, "analyst", s->key_csirt);
        h_add_user(&s->n, other, s->other, "reporter", s->key_other);
        h_identity(&s->n, "org", s->csirt, s->ident_csirt);
        h_identity(&s->n, "org", s->other, s->ident_other);
        start_site(i);
    }
    /* the mesh: on i, peer j with j's URL; the key i issues goes to j's `peer secret i` */
    for (int i = 0; i < N_NODES; i++)
        for (int j = 0; j < N_NODES; j++) {
            const char *add[] = {"peer", "add", S[j].name, "--url", url, "--ca-file", tls_file("ca", "pem"), NULL};
            const char *bind[] = {"peer", "bind", S[j].name, S[j].ident_csirt, "--name", S[j].csirt, NULL};
            const char *bind2[] = {"peer", "bind", S[j].name, S[j].ident_other, "--name", S[j].other, NULL};
            FILE *f;

            if (i == j)
                continue;
            peer_url(j, url, sizeof url);
            out = err = NULL;
            if (h_cli_err(&S[i].n, &out, &err, add) != 0 || !(k = strstr(out, "\nmz_")))
                fail_msg("peer add on %s: %s%s", S[i].name, out ? out : "", err ? err : "");
            snprintf(keyfile, sizeof keyfile, "%s/key-from-%s", S[j].n.dir, S[i].name);
            f = fopen(keyfile, "w");
            assert_non_null(f);
            fprintf(f, "%s", k + 1);
            fclose(f);
            free(out);
            free(err);
            cli_ok(&S[i].n, bind);
            cli_ok(&S[i].n, bind2);
        }
    for (int i = 0; i < N_NODES; i++)
        for (int j = 0; j < N_NODES; j++) {
            const char *secret[] = {"peer", "secret", S[j].name, keyfile, NULL};

            if (i == j)
                continue;
            snprintf(keyfile, sizeof keyfile, "%s/key-from-%s", S[i].n.dir, S[j].name);
            cli_ok(&S[i].n, secret);
        }
    /* regional: homed at me, the three CSIRTs its members; al and rs join it */
    {
        const char *add[] = {"community", "add", "regional", "--kind", "regional", "--title", "WB CSIRTs", NULL};
        const char *join[] = {"community", "join", "regional", "--peer", "me", NULL};

        cli_ok(&S[ME].n, add);
        for (int i = 0; i < N_NODES; i++) {
            const char *mem[] = {"community", "member", "add", "regional", S[i].csirt, NULL};
            cli_ok(&S[ME].n, mem);
        }
        char node_me[80];
        const char *ident[] = {"peer", "set", "me", "--identity", node_me, NULL};

        /* the home's node identity is the operator's word (docs/security.md B5) */
        db_text(ME, "SELECT value FROM meta WHERE key='node_identity'", node_me, sizeof node_me);
        for (int i = 0; i < N_NODES; i += 2) {
            cli_ok(&S[i].n, ident);
            cli_ok(&S[i].n, join);
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_NODES; i++)
        h_node_free(&S[i].n);
    h_tls_free(&T);
    return 0;
}

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define REGIONAL_MEMBERS                                                                                            \
    "SELECT coalesce(group_concat(n, ' '), '') FROM (SELECT o.name || ':' || m.can_read || m.can_write AS n FROM "  \
    "memberships m JOIN orgs o ON o.id = m.org WHERE m.community = (SELECT id FROM communities WHERE "              \
    "name='regional') ORDER BY o.name)"

/* The text of sql on site i (db_text) into a static buffer of 4 (the last four
 * calls' results stay valid). */
static const char *db_str(int i, const char *sql)
{
    static char buf[4][4096];
    static int k;

    k = (k + 1) % 4;
    db_text(i, sql, buf[k], sizeof buf[k]);
    return buf[k];
}

/* POST a TAXII envelope into collection coll on site to, as peer `as` (the key site
 * `to` issued to it): the status; r (may be NULL) gets the reply. */
static long peer_post(int to, int as, const char *coll, const char *body, struct hresp *r)
{
    const char *headers[] = {"Accept: " TAXII_TYPE, "Content-Type: " TAXII_TYPE, NULL};
    char path[200], file[400], key[128];
    struct hresp tmp;
    FILE *f;
    long st;

    snprintf(file, sizeof file, "%s/key-from-%s", S[as].n.dir, S[to].name);
    f = fopen(file, "r");
    assert_non_null(f);
    assert_non_null(fgets(key, sizeof key, f));
    fclose(f);
    key[strcspn(key, "\r\n")] = '\0';
    snprintf(path, sizeof path, "/taxii2/api/collections/%s/objects/", coll);
    memset(&tmp, 0, sizeof tmp);
    st = h_http_hdr(&S[to].n, "POST", path, key, headers, body, strlen(body), r ? r : &tmp);
    hresp_free(&tmp);
    return st;
}

/* A page with one roster of regional (uuid) owned by owner: every member of members
 * (a JSON array's inside) at modified. */
static void roster_page(char *out, size_t len, const char *uuid, const char *owner, const char *modified,
                        const char *members)
{
    snprintf(out, len,
             "{\"objects\":[{\"type\":\"x-mreza-roster\",\"spec_version\":\"2.1\",\"id\":\"x-mreza-roster--%s\","
             "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"created_by_ref\":\"%s\","
             "\"community\":\"%s\",\"name\":\"regional\",\"title\":\"forged\",\"kind\":\"other\"%s%s%s,"
             "\"object_marking_refs\":[\"" GREEN_ID "\"]}],"
             "\"x_mreza_meta\":[{\"id\":\"x-mreza-roster--%s\",\"version\":\"%s\",\"owner\":\"%s\","
             "\"communities\":[\"%s\"],\"date_added\":\"2026-01-01T00:00:00.000000Z\"}]}",
             uuid, modified, owner, uuid, members ? ",\"members\":[" : "", members ? members : "", members ? "]" : "",
             uuid, modified, owner, uuid);
}

/* 0. `community join` applied regional's roster at once: the home's members, its
 * kind and title; members are the home's to change; the roster is the node's own
 * object, read by regional's read-members. */
static void test_join_applies_roster(void **state)
{
    char uuid[40], newest[64], path[200], body[1200], *out = NULL, *err = NULL;
    const char *add[] = {"community", "member", "add", "regional", "al-bank", "--read", NULL};
    struct hresp r;

    (void)state;
    db_text(ME, "SELECT uuid FROM communities WHERE name='regional'", uuid, sizeof uuid);
    db_text(ME, "SELECT max(version) FROM objects WHERE type='x-mreza-roster'", newest, sizeof newest);
    assert_true(strlen(newest) > 20);
    assert_string_equal(db_str(ME, REGIONAL_MEMBERS), "al-cert:11 me-cirt:11 rs-cert:11");
    for (int i = AL; i <= RS; i += 2) {
        assert_string_equal(db_str(i, REGIONAL_MEMBERS), "al-cert:11 me-cirt:11 rs-cert:11");
        assert_string_equal(db_str(i, "SELECT kind || '|' || title || '|' || roster_modified FROM communities WHERE "
                                      "name='regional'"),
                            db_str(ME, "SELECT 'regional|WB CSIRTs|' || max(version) FROM objects WHERE "
                                       "type='x-mreza-roster'"));
        /* the home's node organisation owns it here, its newest version alone (security.md C3) */
        assert_int_equal(db_int(i, "SELECT count(*) FROM objects WHERE type='x-mreza-roster' AND owner_org = (SELECT "
                                   "id FROM orgs WHERE kind='node' AND node=(SELECT id FROM nodes WHERE name='me'))"),
                         1);
        assert_string_equal(db_str(i, "SELECT version FROM objects WHERE type='x-mreza-roster'"), newest);
        snprintf(path, sizeof path, "x-mreza-roster--%s", uuid);
        assert_int_equal(get_object(i, S[i].key_csirt, path), 200);
        assert_int_equal(get_object(i, S[i].key_other, path), 404);
        memset(&r, 0, sizeof r);
        assert_int_equal(
            h_http(&S[i].n, "GET", "/api/v1/objects?type=x-mreza-roster", S[i].key_csirt, NULL, 0, &r), 200);
        assert_non_null(strstr(r.body, path));
        hresp_free(&r);
    }
    /* a joined community's members are its home's */
    assert_int_not_equal(h_cli_err(&S[AL].n, &out, &err, add), 0);
    assert_non_null(err);
    assert_non_null(strstr(err, "homed at peer me, which decides its members"));
    free(out);
    free(err);
    /* nobody posts or withdraws a roster: it is the node's */
    snprintf(body, sizeof body,
             "{\"type\":\"x-mreza-roster\",\"spec_version\":\"2.1\",\"id\":\"x-mreza-roster--%s\",\"created\":"
             "\"2030-01-01T00:00:00.000Z\",\"modified\":\"2030-01-01T00:00:00.000Z\",\"community\":\"%s\",\"name\":"
             "\"regional\",\"title\":\"mine\",\"kind\":\"regional\",\"object_marking_refs\":[\"" GREEN_ID "\"]}",
             uuid, uuid);
    for (int i = 0; i < N_NODES; i++) {
        memset(&r, 0, sizeof r);
        assert_int_equal(h_http(&S[i].n, "POST", "/api/v1/objects?community=regional", S[i].key_csirt, body,
                                strlen(body), &r),
                         400);
        hresp_free(&r);
        snprintf(path, sizeof path, "/api/v1/objects/x-mreza-roster--%s/withdraw", uuid);
        memset(&r, 0, sizeof r);
        assert_int_equal(h_http(&S[i].n, "POST", path, S[i].key_csirt, "{\"versions\":\"all\"}", 18, &r), 400);
        hresp_free(&r);
        /* nor re-shares it: it goes where its home sends it */
        snprintf(path, sizeof path, "/api/v1/objects/x-mreza-roster--%s/share", uuid);
        memset(&r, 0, sizeof r);
        assert_int_equal(
            h_http(&S[i].n, "POST", path, S[i].key_csirt, "{\"community\":\"national\"}", 24, &r), 400);
        hresp_free(&r);
    }
    snprintf(path, sizeof path, "x-mreza-roster--%s", uuid);
    assert_int_equal(db_int(ME, "SELECT count(*) FROM objects WHERE type='x-mreza-roster' AND version LIKE '2030%'"),
                     0);
}

/* 1. GREEN into regional at its home: on al and rs for the CSIRTs, not the others. */
static void test_green_regional(void **state)
{
    (void)state;
    post(ME, S[ME].key_csirt, IND(01), GREEN_ID, NULL, "regional");
    round_all();
    for (int i = AL; i <= RS; i += 2) {
        assert_int_equal(get_object(i, S[i].key_csirt, IND(01)), 200);
        assert_int_equal(get_object(i, S[i].key_other, IND(01)), 404);
        assert_int_equal(rows(i, IND(01)), 1);
        assert_int_equal(received_from(i, IND(01), "me"), 1);
    }
    assert_int_equal(get_object(ME, S[ME].key_other, IND(01)), 404);
    assert_int_equal(received_from(ME, IND(01), "al") + received_from(ME, IND(01), "rs"), 0);
}

/* 2. national stays home; shared into regional, it travels. */
static void test_share_into_regional(void **state)
{
    struct hresp r;
    const char *body = "{\"community\":\"regional\"}";

    (void)state;
    post(ME, S[ME].key_other, IND(02), GREEN_ID, NULL, NULL);
    round_all();
    assert_int_equal(rows(AL, IND(02)), 0);
    assert_int_equal(rows(RS, IND(02)), 0);
    memset(&r, 0, sizeof r);
    if (h_http(&S[ME].n, "POST", "/api/v1/objects/" IND(02) "/share", S[ME].key_csirt, body, strlen(body), &r) !=
        200)
        fail_msg("share: %ld %s", r.status, r.body ? r.body : "");
    hresp_free(&r);
    round_all();
    assert_int_equal(rows(AL, IND(02)), 1);
    assert_int_equal(rows(RS, IND(02)), 1);
    assert_int_equal(get_object(AL, S[AL].key_csirt, IND(02)), 200);
    assert_int_equal(get_object(RS, S[RS].key_csirt, IND(02)), 200);
    assert_int_equal(rows(ME, IND(02)), 1);
    assert_int_equal(db_int(ME, "SELECT count(*) FROM shares WHERE seq IN (SELECT seq FROM objects WHERE stix_id='" IND(
                                    02) "')"),
                     1);
}

/* 3. AMBER to al-cert: on al only. */
static void test_amber_to_one(void **state)
{
    char aud[100];

    (void)state;
    snprintf(aud, sizeof aud, "\"%s\"", S[AL].ident_csirt);
    post(ME, S[ME].key_csirt, IND(03), AMBER_ID, aud, NULL);
    round_all();
    assert_int_equal(rows(AL, IND(03)), 1);
    assert_int_equal(rows(RS, IND(03)), 0);
    assert_int_equal(get_object(AL, S[AL].key_csirt, IND(03)), 200);
    assert_int_equal(get_object(AL, S[AL].key_other, IND(03)), 404);
}

/* 4. AMBER+STRICT to two nodes' organisations and RED: nowhere else. */
static void test_strict_and_red_stay(void **state)
{
    char aud[200];

    (void)state;
    snprintf(aud, sizeof aud, "\"%s\",\"%s\"", S[AL].ident_csirt, S[RS].ident_csirt);
    post(ME, S[ME].key_csirt, IND(04), STRICT_ID, aud, NULL);
    post(AL, S[AL].key_csirt, IND(05), RED_ID, NULL, NULL);
    snprintf(aud, sizeof aud, "\"%s\"", S[AL].ident_csirt);
    post(ME, S[ME].key_csirt, IND(11), STRICT_ID, aud, NULL); /* to al-cert alone: on al */
    round_all();
    assert_int_equal(received_from(AL, IND(11), "me"), 1);
    assert_int_equal(get_object(AL, S[AL].key_csirt, IND(11)), 200);
    assert_int_equal(get_object(AL, S[AL].key_other, IND(11)), 404);
    assert_int_equal(rows(RS, IND(11)), 0);
    assert_int_equal(rows(ME, IND(04)), 1);
    assert_int_equal(rows(AL, IND(04)), 0);
    assert_int_equal(rows(RS, IND(04)), 0);
    assert_int_equal(rows(AL, IND(05)), 1);
    assert_int_equal(rows(ME, IND(05)), 0);
    assert_int_equal(rows(RS, IND(05)), 0);
}

/* 5. CLEAR by rs-cert: on al and me. */
static void test_clear_everywhere(void **state)
{
    (void)state;
    post(RS, S[RS].key_csirt, IND(06), CLEAR_ID, NULL, NULL);
    round_all();
    for (int i = AL; i <= ME; i++) {
        assert_int_equal(received_from(i, IND(06), "rs"), 1);
        assert_int_equal(get_object(i, S[i].key_other, IND(06)), 200);
    }
}

/* 6. The withdrawal of (1) travels to al and rs. */
static void test_withdrawal_travels(void **state)
{
    struct hresp r;
    const char *body = "{\"versions\":\"all\"}";

    (void)state;
    memset(&r, 0, sizeof r);
    if (h_http(&S[ME].n, "POST", "/api/v1/objects/" IND(01) "/withdraw", S[ME].key_csirt, body, strlen(body), &r) !=
        200)
        fail_msg("withdraw: %ld %s", r.status, r.body ? r.body : "");
    hresp_free(&r);
    assert_int_equal(get_object(AL, S[AL].key_csirt, IND(01)), 200); /* before the round */
    round_all();
    assert_int_equal(get_object(AL, S[AL].key_csirt, IND(01)), 404);
    assert_int_equal(get_object(RS, S[RS].key_csirt, IND(01)), 404);
}

/* 7. A stopped node catches up. */
static void test_stopped_node_catches_up(void **state)
{
    char aud[100], url[128];

    (void)state;
    assert_int_equal(h_stop(&S[RS].n), 0);
    snprintf(aud, sizeof aud, "\"%s\"", S[RS].ident_csirt);
    post(ME, S[ME].key_csirt, IND(07), GREEN_ID, NULL, "regional");
    post(ME, S[ME].key_csirt, IND(08), AMBER_ID, aud, NULL);
    post(AL, S[AL].key_csirt, IND(09), CLEAR_ID, NULL, NULL);
    post(AL, S[AL].key_other, IND(10), GREEN_ID, NULL, NULL); /* al's national: not rs's */
    assert_int_equal(sync_on(AL, "me"), 0);
    assert_int_equal(sync_on(ME, "al"), 0);
    assert_int_equal(rows(RS, IND(07)) + rows(RS, IND(08)) + rows(RS, IND(09)), 0);
    start_site(RS);
    peer_url(RS, url, sizeof url);
    for (int i = AL; i <= ME; i++) {
        const char *set[] = {"peer", "set", "rs", "--url", url, NULL};
        cli_ok(&S[i].n, set);
    }
    assert_int_equal(sync_on(RS, NULL), 0);
    assert_int_equal(get_object(RS, S[RS].key_csirt, IND(07)), 200);
    assert_int_equal(get_object(RS, S[RS].key_csirt, IND(08)), 200);
    assert_int_equal(get_object(RS, S[RS].key_other, IND(08)), 404);
    assert_int_equal(get_object(RS, S[RS].key_other, IND(09)), 200);
    assert_int_equal(rows(RS, IND(10)), 0);
    round_all();
    assert_int_equal(rows(ME, IND(09)), 1);
}

/* 9. GREEN posted into regional on a joined node (al): on me and rs for the
 * CSIRTs (by the roster, al serves its read-members' nodes), not the others. */
static void test_green_from_joined_node(void **state)
{
    (void)state;
    post(AL, S[AL].key_csirt, IND(12), GREEN_ID, NULL, "regional");
    round_all();
    for (int i = ME; i <= RS; i++) {
        assert_int_equal(received_from(i, IND(12), "al"), 1);
        assert_int_equal(get_object(i, S[i].key_csirt, IND(12)), 200);
        assert_int_equal(get_object(i, S[i].key_other, IND(12)), 404);
    }
    assert_int_equal(get_object(AL, S[AL].key_other, IND(12)), 404);
}

/* 10. The home adds al-bank (a reader) and removes it: after a round al-bank reads
 * regional's GREEN on al, and after the removal reads none, the newly posted
 * included; al-cert still does. */
static void test_member_removed_at_home(void **state)
{
    const char *add[] = {"community", "member", "add", "regional", "al-bank", "--read", NULL};
    const char *rm[] = {"community", "member", "remove", "regional", "al-bank", NULL};

    (void)state;
    cli_ok(&S[ME].n, add);
    round_all();
    assert_string_equal(db_str(AL, REGIONAL_MEMBERS), "al-bank:10 al-cert:11 me-cirt:11 rs-cert:11");
    assert_string_equal(db_str(RS, REGIONAL_MEMBERS), "al-bank:10 al-cert:11 me-cirt:11 rs-cert:11");
    post(ME, S[ME].key_csirt, IND(13), GREEN_ID, NULL, "regional");
    round_all();
    assert_int_equal(get_object(AL, S[AL].key_other, IND(13)), 200);
    cli_ok(&S[ME].n, rm);
    round_all();
    assert_string_equal(db_str(AL, REGIONAL_MEMBERS), "al-cert:11 me-cirt:11 rs-cert:11");
    post(ME, S[ME].key_csirt, IND(14), GREEN_ID, NULL, "regional");
    post(RS, S[RS].key_csirt, IND(15), GREEN_ID, NULL, "regional");
    round_all();
    for (int k = 0; k < 2; k++) {
        const char *id = k ? IND(15) : IND(14);
        assert_int_equal(rows(AL, id), 1);
        assert_int_equal(get_object(AL, S[AL].key_csirt, id), 200);
        assert_int_equal(get_object(AL, S[AL].key_other, id), 404);
    }
    assert_int_equal(get_object(AL, S[AL].key_other, IND(13)), 404);
}

#define RECV_COUNTS(peer)                                                                                          \
    "SELECT coalesce(sum(objects), 0) || ' ' || coalesce(sum(duplicates), 0) || ' ' || "                           \
    "coalesce(sum(refused_owner), 0) FROM bookmarks WHERE direction='recv' AND node=(SELECT id FROM nodes WHERE "  \
    "name='" peer "')"

/* 11. A roster from a peer that is not regional's home (al), as its own or claiming
 * the home's identity, is refused and counted; one from the home older than the
 * roster applied (or as old) is ignored: rs's members stay the home's. */
static void test_roster_only_from_home_and_newer(void **state)
{
    char uuid[40], ident_al[80], ident_me[80], applied[64], page[3000], members[600];
    struct hresp r;

    (void)state;
    db_text(ME, "SELECT uuid FROM communities WHERE name='regional'", uuid, sizeof uuid);
    db_text(AL, "SELECT value FROM meta WHERE key='node_identity'", ident_al, sizeof ident_al);
    db_text(ME, "SELECT value FROM meta WHERE key='node_identity'", ident_me, sizeof ident_me);
    db_text(RS, "SELECT roster_modified FROM communities WHERE name='regional'", applied, sizeof applied);
    assert_true(strlen(applied) > 20);
    assert_string_equal(db_str(RS, REGIONAL_MEMBERS), "al-cert:11 me-cirt:11 rs-cert:11");
    snprintf(members, sizeof members, "{\"identity\":\"%s\",\"read\":true,\"write\":true}", S[AL].ident_other);
    /* from al, as al's node and as the home's */
    roster_page(page, sizeof page, uuid, ident_al, "2030-01-01T00:00:00.000Z", members);
    assert_int_equal(peer_post(RS, AL, uuid, page, NULL), 202);
    roster_page(page, sizeof page, uuid, ident_me, "2030-01-02T00:00:00.000Z", members);
    memset(&r, 0, sizeof r);
    assert_int_equal(peer_post(RS, AL, uuid, page, &r), 202);
    assert_non_null(strstr(r.body, "refused (owner)"));
    hresp_free(&r);
    assert_string_equal(db_str(RS, RECV_COUNTS("al")), "0 0 2");
    /* from the home, older than the roster applied, and as old */
    roster_page(page, sizeof page, uuid, ident_me, "2020-01-01T00:00:00.000Z", members);
    assert_int_equal(peer_post(RS, ME, uuid, page, NULL), 202);
    roster_page(page, sizeof page, uuid, ident_me, applied, members);
    assert_int_equal(peer_post(RS, ME, uuid, page, NULL), 202);
    assert_string_equal(db_str(RS, RECV_COUNTS("me")), "0 2 0");
    /* nothing of them applied nor stored */
    assert_string_equal(db_str(RS, REGIONAL_MEMBERS), "al-cert:11 me-cirt:11 rs-cert:11");
    assert_string_equal(db_str(RS, "SELECT kind || '|' || title || '|' || roster_modified FROM communities WHERE "
                                   "name='regional'"),
                        db_str(ME, "SELECT 'regional|WB CSIRTs|' || max(version) FROM objects WHERE "
                                   "type='x-mreza-roster'"));
    assert_int_equal(db_int(RS, "SELECT count(*) FROM objects WHERE type='x-mreza-roster' AND (version LIKE '2030%' "
                                "OR version LIKE '2020%' OR body LIKE '%forged%')"),
                     0);
}

/* Campaign groupings are left out of the comparisons: each node's engine records its
 * own in the background (docs/model.md R11.6), under an id made with the community's
 * bit here, re-versioned as reports arrive, once reports of several countries meet
 * (the directory gives remote organisations their countries). This test posts no
 * grouping; what sync carried is everything else. */
/* Of the node's own records (x-mreza-roster, x-mreza-withdrawal) a receiver keeps the
 * newest version alone (security.md C3, C4), the node that wrote them every one: the
 * newest of each is compared. */
#define REGIONAL_SET                                                                                               \
    "SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT o.stix_id || '/' || o.version AS v FROM objects o "    \
    "WHERE o.comm & (1 << (SELECT bit FROM communities WHERE name='regional')) AND o.type != 'grouping' AND NOT "   \
    "(o.type LIKE 'x-mreza-%' AND EXISTS (SELECT 1 FROM objects n WHERE n.stix_id = o.stix_id AND n.owner_org = "  \
    "o.owner_org AND n.vkey > o.vkey)) ORDER BY v)"
#define ROUND_TRIP                                                                                                 \
    "SELECT count(*) FROM objects WHERE seq IN (SELECT seq FROM received) AND owner_org IN (SELECT id FROM orgs " \
    "WHERE node=0)"
/* every row but campaign groupings (above) and their receipts */
#define ALL_ROWS                                                                                                   \
    "SELECT (SELECT count(*) FROM objects WHERE type != 'grouping') || ' ' || (SELECT count(*) FROM received WHERE " \
    "seq NOT IN (SELECT seq FROM objects WHERE type = 'grouping'))"

/* 8. Agreement, no round trip, no echo. */
static void test_agreement(void **state)
{
    char set[N_NODES][4096], before[N_NODES][64], after[64];

    (void)state;
    for (int i = 0; i < N_NODES; i++) {
        db_text(i, REGIONAL_SET, set[i], sizeof set[i]);
        if (getenv("MREZA_TEST_VERBOSE"))
            fprintf(stderr, "%s regional: %s\n", S[i].name, set[i]);
        assert_int_equal(db_int(i, ROUND_TRIP), 0);
        db_text(i, ALL_ROWS, before[i], sizeof before[i]);
    }
    assert_non_null(strstr(set[ME], IND(02)));
    assert_non_null(strstr(set[ME], IND(07)));
    assert_non_null(strstr(set[ME], "x-mreza-withdrawal--"));
    assert_non_null(strstr(set[ME], IND(12)));
    assert_non_null(strstr(set[ME], IND(15)));
    assert_non_null(strstr(set[ME], "x-mreza-roster--"));
    assert_string_equal(set[AL], set[ME]);
    assert_string_equal(set[RS], set[ME]);
    round_all();
    for (int i = 0; i < N_NODES; i++) {
        db_text(i, ALL_ROWS, after, sizeof after);
        assert_string_equal(after, before[i]);
        assert_true(h_db_integrity_ok(&S[i].n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_applies_roster),
        cmocka_unit_test(test_green_regional),
        cmocka_unit_test(test_share_into_regional),
        cmocka_unit_test(test_amber_to_one),
        cmocka_unit_test(test_strict_and_red_stay),
        cmocka_unit_test(test_clear_everywhere),
        cmocka_unit_test(test_withdrawal_travels),
        cmocka_unit_test(test_stopped_node_catches_up),
        cmocka_unit_test(test_green_from_joined_node),
        cmocka_unit_test(test_member_removed_at_home),
        cmocka_unit_test(test_roster_only_from_home_and_newer),
        cmocka_unit_test(test_agreement),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
