/* tests/integ/test_model_reattack.c - the hostile re-attack of the object model
 * (docs/model.md) after it was built, its reproductions turned into tests against a
 * real `mreza serve`:
 *   - the engine's window (R4, R6.5): a hospital's reporter posts 300 versions of its
 *     own object of an id, dated after the victim's; the victim's object (the claim
 *     of a claimed id, or the first copy of an open id) keeps matching and
 *     correlating for everyone entitled to it, its owner included. On the code before,
 *     the engine read the id's newest 256 versions of any owner, and the victim's
 *     object fell out of view;
 *   - squatting through the number of objects of one id: 64 users of one
 *     organisation each post a TLP:RED object of an open id (an SCO, a name-based
 *     indicator id); the 65th object, a CSIRT's GREEN copy, is served to the CSIRT
 *     and to the community on get, list, count, export, match and correlation. On the
 *     code before, objects of one id were bits of a 64-bit word, and the 65th was
 *     invisible even to its owner;
 *   - precedence of the copies of an open id (R2.2): an operator's first copy stays
 *     what every reader who may read it is served, when a national CSIRT, ranked
 *     higher, posts a later copy saying `revoked: true`, "false positive, whitelist
 *     it". On the code before, rank came first, and every reader was served the
 *     CSIRT's revocation;
 *   - accounts.max_users_per_org bounds how many objects one organisation can add to
 *     an id (one personal object per user, and its own), refusing the user beyond;
 *   - a claim the engine does not index (F2): me-cirt claims an id with a Sigma
 *     indicator; the hospital's later object of it, a STIX pattern, is matched and
 *     correlated for the hospital alone (R2.3), and me-cirt's STIX version added
 *     later for everyone; `mreza match` too, from the store and from its snapshot.
 *     On the code before, the engine took the id's first object from its first
 *     indexed version (the hospital's), and reported it to everyone;
 *   - ids are written in lowercase (docs/model.md R8): the hospital's post of
 *     indicator--...AB beside me-cirt's claim of indicator--...ab is refused (400
 *     naming /id and the spelling to write). Before N4 of the third re-attack it
 *     was accepted as another id, the hospital's claim, served to everyone;
 *   - SCO fall-through (R2.4, L5 of the second re-attack): me-cirt withdraws its
 *     `domain-name--<UUIDv4>` "evil" object to the hospital; hr-cert, entitled to it
 *     before, is served nothing - not the hospital's later copy of the id saying
 *     "benign" (a UUIDv4 SCO id fixes no content). A UUIDv5 SCO id, whose content R8
 *     fixes, still falls through. On the code before, every SCO id fell through, and
 *     hr-cert was served "benign";
 *   - a first copy withdrawn from everyone (F3 of the second re-attack): the
 *     hospital posts the first copy of an open id and withdraws it from everyone,
 *     itself included (`owner_keeps: false`); me-cirt's later copy is served to
 *     hr-cert, which was entitled to the hospital's, on get, list, count and export,
 *     as match reports it. On the code before, the withdrawn first copy hid every
 *     later copy from whoever had been entitled to it. The controls: a first copy
 *     its owner keeps, and a claim withdrawn from everyone, still hide the later
 *     copy from hr-cert (R2.4, R2.3).
 * Every wait is bounded (the index's generation is polled, never slept on). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

/* uuid5(00abedb4-aa42-466c-9c01-fed23315a9b7, '{"value":"squat.example"}') */
#define SQUAT_SCO "domain-name--15e9cb69-0ec5-537a-9c4f-711d541771b4"
/* a name-based indicator id, as OpenCTI makes them from the pattern */
#define SQUAT_IND "indicator--6a026126-e386-5643-aadb-03aed5ad5362"
#define N_SQUATTERS 64

static struct hnode node;
enum { K_ME, K_HR, K_HOSP, K_HOSP_ADMIN, K_NODE, N_KEYS };
static char keys[N_KEYS][64];
static char me_ident[64], hosp_ident[64];
static struct hresp last;

static long req(const char *method, const char *path, const char *key, const char *body)
{
    hresp_free(&last);
    h_http(&node, method, path, key, body, body ? strlen(body) : 0, &last);
    return last.status;
}

/* The background thread indexes what the store gained within about a second: wait
 * until the index's generation covers every row. */
/* An indicator of id for domain, `modified` 2025-<month>-01 plus sec seconds. */
static void indicator(char *out, size_t cap, const char *id, const char *domain, int month, int sec,
                      const char *creator, const char *marking, const char *name)
{
    char by[120] = "";

    if (creator)
        snprintf(by, sizeof by, ",\"created_by_ref\":\"%s\"", creator);
    snprintf(out, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-%02d-01T%02d:%02d:%02d.000Z\",\"name\":\"%s\",\"pattern\":\"[domain-name:value = "
             "'%s']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\"%s,"
             "\"object_marking_refs\":[\"%s\"]}",
             id, month, sec / 3600, sec / 60 % 60, sec % 60, name, domain, by, marking);
}

/* Post n versions of id, dated after the victim's, in one bundle, as the hospital's
 * reporter: its own object of the id (a later object of a claimed id, or its copy of
 * an open one). */
static void flood_versions(const char *id, const char *domain, int n)
{
    size_t cap = (size_t)n * 1024 + 256, len = 0;
    char *body = malloc(cap), one[1024];

    assert_non_null(body);
    len += (size_t)snprintf(body + len, cap - len, "{\"type\":\"bundle\",\"id\":\"bundle--5b0c1c1e-0000-4000-8000-"
                                                   "000000000001\",\"objects\":[");
    for (int i = 0; i < n; i++) {
        indicator(one, sizeof one, id, domain, 2, i, NULL, GREEN, "hospital");
        len += (size_t)snprintf(body + len, cap - len, "%s%s", i ? "," : "", one);
    }
    len += (size_t)snprintf(body + len, cap - len, "]}");
    assert_true(len < cap);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    free(body);
}

/* The owners (submitted_by) of k's match hits on domain, as a bit set: 1 me-cirt, 2
 * the hospital; -1 for a hit on another indicator than id. */
static int match_owners(int k, const char *domain, const char *id)
{
    char body[300];
    json_t *j, *m;
    size_t i;
    int owners = 0;

    snprintf(body, sizeof body, "{\"values\":[\"%s\"]}", domain);
    assert_int_equal(req("POST", "/api/v1/match", keys[k], body), 200);
    j = json_loads(last.body, 0, NULL);
    assert_non_null(j);
    json_array_foreach(json_object_get(j, "matches"), i, m) {
        const char *by = json_string_value(json_object_get(m, "submitted_by"));
        if (strcmp(json_string_value(json_object_get(m, "indicator")), id))
            owners = -1;
        else if (owners >= 0)
            owners |= (by && !strcmp(by, me_ident) ? 1 : 0) | (by && !strcmp(by, hosp_ident) ? 2 : 0);
    }
    json_decref(j);
    return owners;
}

/* The same for correlation (revoked or not). */
static int correlation_owners(int k, const char *domain, const char *id)
{
    char path[300];
    json_t *j, *o;
    size_t i;
    int owners = 0;

    snprintf(path, sizeof path, "/api/v1/correlations?value=%s", domain);
    assert_int_equal(req("GET", path, keys[k], NULL), 200);
    j = json_loads(last.body, 0, NULL);
    assert_non_null(j);
    json_array_foreach(json_object_get(j, "objects"), i, o) {
        const char *by = json_string_value(json_object_get(o, "submitted_by"));
        if (strcmp(json_string_value(json_object_get(o, "id")), id))
            continue;
        owners |= (by && !strcmp(by, me_ident) ? 1 : 0) | (by && !strcmp(by, hosp_ident) ? 2 : 0);
    }
    json_decref(j);
    return owners;
}

/* How many of k's match hits on domain name submitted_by ident, whatever the id. */
static int match_hits_by(int k, const char *domain, const char *ident)
{
    char body[300];
    json_t *j, *m;
    size_t i;
    int n = 0;

    snprintf(body, sizeof body, "{\"values\":[\"%s\"]}", domain);
    assert_int_equal(req("POST", "/api/v1/match", keys[k], body), 200);
    j = json_loads(last.body, 0, NULL);
    assert_non_null(j);
    json_array_foreach(json_object_get(j, "matches"), i, m) {
        const char *by = json_string_value(json_object_get(m, "submitted_by"));
        n += by && !strcmp(by, ident);
    }
    json_decref(j);
    return n;
}

static int setup(void **state)
{
    /* campaigns off: no grouping joins the store while the tests read */
    const char *const sets[] = {"campaign.min_countries=50", "accounts.max_users_per_org=70", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "hr-cert", "HR", "national-csirt");
    h_add_org(&node, "al-hospital", "AL", "operator");
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, "analyst@hr-cert", "hr-cert", "analyst", keys[K_HR]);
    h_add_user(&node, "reporter@al-hospital", "al-hospital", "reporter", keys[K_HOSP]);
    h_add_user(&node, "admin@al-hospital", "al-hospital", "admin", keys[K_HOSP_ADMIN]);
    h_add_user(&node, "staff@hr-cert", "hr-cert", "node-admin", keys[K_NODE]);
    h_identity(&node, "org", "me-cirt", me_ident);
    h_identity(&node, "org", "al-hospital", hosp_ident);
    h_start(&node, sets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hresp_free(&last);
    return h_node_free(&node) > 0;
}

/* R4, R6.5: me-cirt's attested indicator (the claim) and 300 later versions of the
 * hospital's own later object, dated after it. Everyone entitled to the claim keeps
 * matching and correlating it; the hospital's later object is the hospital's alone. */
static void test_window_claimed(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000101";
    char body[1024];

    (void)state;
    indicator(body, sizeof body, id, "window-claimed.example", 1, 0, me_ident, GREEN, "me-cirt");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    flood_versions(id, "window-claimed.example", 300);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(match_owners(K_HR, "window-claimed.example", id), 1);
    assert_int_equal(match_owners(K_ME, "window-claimed.example", id), 1);
    /* the hospital's reporter: its own later object, and the claim, which it reads
     * through the national community (issue 11; before, its own alone: 2) */
    assert_int_equal(match_owners(K_HOSP, "window-claimed.example", id), 3);
    assert_int_equal(correlation_owners(K_HR, "window-claimed.example", id), 1);
    assert_int_equal(correlation_owners(K_ME, "window-claimed.example", id), 1);
}

/* The same on an open id (no creator): both copies are every reader's units, so
 * each is a hit naming its owner - the victim's too, however many versions the
 * hospital posts of its own. */
static void test_window_open(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000102";
    char body[1024];

    (void)state;
    indicator(body, sizeof body, id, "window-open.example", 1, 0, NULL, GREEN, "me-cirt");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    flood_versions(id, "window-open.example", 300);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(match_owners(K_HR, "window-open.example", id), 3);
    assert_int_equal(match_owners(K_ME, "window-open.example", id), 3);
    assert_int_equal(correlation_owners(K_HR, "window-open.example", id), 3);
    /* get still serves me-cirt's copy, the first, to a reader holding none */
    assert_int_equal(req("GET", "/api/v1/objects/indicator--5b0c1c1e-0000-4000-8000-000000000102", keys[K_HR], NULL),
                     200);
    assert_non_null(strstr(last.body, "\"name\":\"me-cirt\""));
}

/* The hospital's admin makes N_SQUATTERS reporters; each posts a TLP:RED object of an
 * SCO id and of a name-based indicator id (the first one the organisation's object,
 * every other a personal object: none of them reads another's RED). Then me-cirt
 * posts its GREEN copies: the 65th object of each id. */
static void test_sixty_fifth_object(void **state)
{
    char body[2048], ind[1024], path[300];

    (void)state;
    for (int i = 0; i < N_SQUATTERS; i++) {
        char key[64];
        const char *k;
        snprintf(body, sizeof body, "{\"name\":\"r%d@al-hospital\",\"org\":\"al-hospital\",\"role\":\"reporter\"}", i);
        assert_int_equal(req("POST", "/api/v1/users", keys[K_HOSP_ADMIN], body), 201);
        k = strstr(last.body, "\"api_key\":\"");
        assert_non_null(k);
        snprintf(key, sizeof key, "%.*s", (int)strcspn(k + 11, "\""), k + 11);
        indicator(ind, sizeof ind, SQUAT_IND, "unrelated.example", 1, i, NULL, RED, "squat");
        snprintf(body, sizeof body,
                 "{\"type\":\"bundle\",\"id\":\"bundle--5b0c1c1e-0000-4000-8000-000000000002\",\"objects\":["
                 "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"" SQUAT_SCO "\",\"value\":"
                 "\"squat.example\",\"object_marking_refs\":[\"" RED "\"]},%s]}",
                 ind);
        assert_int_equal(req("POST", "/api/v1/objects", key, body), 201);
        assert_non_null(strstr(last.body, "\"new_count\":2"));
    }
    indicator(ind, sizeof ind, SQUAT_IND, "squat.example", 1, 0, NULL, GREEN, "me-cirt");
    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--5b0c1c1e-0000-4000-8000-000000000003\",\"objects\":["
             "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"" SQUAT_SCO "\",\"value\":"
             "\"squat.example\",\"object_marking_refs\":[\"" GREEN "\"]},%s]}",
             ind);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    assert_non_null(strstr(last.body, "\"new_count\":2"));
    h_wait_indexed(&node, keys[K_NODE]);
    /* me-cirt reads its own copies; hr-cert, who reads none of the RED ones, too */
    for (int k = K_ME; k <= K_HR; k++) {
        assert_int_equal(req("GET", "/api/v1/objects/" SQUAT_IND, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, "\"name\":\"me-cirt\""));
        assert_int_equal(req("GET", "/api/v1/objects/" SQUAT_SCO, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, GREEN));
        assert_int_equal(req("GET", "/api/v1/objects?id=" SQUAT_IND, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, "\"name\":\"me-cirt\""));
        assert_int_equal(req("GET", "/api/v1/count?id=" SQUAT_IND, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, "\"count\":1"));
        assert_int_equal(req("GET", "/api/v1/count?id=" SQUAT_SCO, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, "\"count\":1"));
        assert_int_equal(req("GET", "/api/v1/export?type=indicator,domain-name", keys[k], NULL), 200);
        assert_non_null(strstr(last.body, SQUAT_IND));
        assert_non_null(strstr(last.body, SQUAT_SCO));
        assert_int_equal(match_owners(k, "squat.example", SQUAT_IND), 1);
        snprintf(path, sizeof path, "/api/v1/correlations?value=squat.example");
        assert_int_equal(req("GET", path, keys[k], NULL), 200);
        assert_non_null(strstr(last.body, SQUAT_IND));
        assert_non_null(strstr(last.body, SQUAT_SCO));
    }
    /* every object was stored: the squatters' 64 and me-cirt's */
    assert_int_equal(h_db_count(&node, "stix_id = '" SQUAT_IND "'"), N_SQUATTERS + 1);
}

/* R2.2: the hospital (an operator, rank 3) posts a name-based indicator id first;
 * me-cirt (a national CSIRT, rank 1) posts its own copy later, revoked. hr-cert, who
 * holds no copy, is served the hospital's and keeps matching it; me-cirt reads its
 * own revocation. */
static void test_first_copy_before_ranked_later_one(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-5000-8000-000000000104";
    char body[1200];

    (void)state;
    indicator(body, sizeof body, id, "first-copy.example", 1, 0, NULL, GREEN, "hospital phishing");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    indicator(body, sizeof body, id, "first-copy.example", 1, 60, NULL, GREEN, "false positive, whitelist it");
    body[strlen(body) - 1] = '\0'; /* the same, revoked */
    strcat(body, ",\"revoked\":true}");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(req("GET", "/api/v1/objects/indicator--5b0c1c1e-0000-5000-8000-000000000104", keys[K_HR], NULL),
                     200);
    assert_non_null(strstr(last.body, "\"name\":\"hospital phishing\""));
    assert_null(strstr(last.body, "\"revoked\":true"));
    assert_int_equal(req("GET", "/api/v1/objects?id=indicator--5b0c1c1e-0000-5000-8000-000000000104", keys[K_HR], NULL),
                     200);
    assert_non_null(strstr(last.body, "\"name\":\"hospital phishing\""));
    assert_int_equal(match_owners(K_HR, "first-copy.example", id), 2);
    assert_int_equal(req("GET", "/api/v1/objects/indicator--5b0c1c1e-0000-5000-8000-000000000104", keys[K_ME], NULL),
                     200);
    assert_non_null(strstr(last.body, "\"revoked\":true"));
}

/* accounts.max_users_per_org (70 here): the hospital's users are counted (two, and
 * N_SQUATTERS more), the one beyond the cap refused with a message naming the
 * setting, whoever adds it (its admin, the operator's staff, the console); another
 * organisation is not held to the hospital's count. Users bound the objects one
 * organisation adds to an id (docs/model.md R6.5): one personal object each, and its
 * own. On the code before, there was no such setting (the server refused to start
 * with it). */
static void test_users_per_org_cap(void **state)
{
    char body[200], *out = NULL, *errs = NULL;

    (void)state;
    for (int i = 0; i < 70 - 2 - N_SQUATTERS; i++) {
        snprintf(body, sizeof body, "{\"name\":\"x%d@al-hospital\",\"org\":\"al-hospital\",\"role\":\"viewer\"}", i);
        assert_int_equal(req("POST", "/api/v1/users", keys[i % 2 ? K_HOSP_ADMIN : K_NODE], body), 201);
    }
    for (int k = K_HOSP_ADMIN; k <= K_NODE; k++) {
        assert_int_equal(req("POST", "/api/v1/users", keys[k],
                             "{\"name\":\"over@al-hospital\",\"org\":\"al-hospital\",\"role\":\"viewer\"}"),
                         409);
        assert_non_null(strstr(last.body, "accounts.max_users_per_org"));
        assert_non_null(strstr(last.body, "\"field\":\"/org\""));
    }
    {
        const char *const argv[] = {"user", "add", "over@al-hospital", "--org", "al-hospital", "--role", "viewer",
                                    "--set", "accounts.max_users_per_org=70", NULL};
        assert_int_equal(h_cli_err(&node, &out, &errs, argv), 1);
        assert_non_null(strstr(errs, "accounts.max_users_per_org"));
        free(out);
        free(errs);
    }
    assert_int_equal(req("GET", "/api/v1/users?org=al-hospital", keys[K_NODE], NULL), 200);
    assert_null(strstr(last.body, "over@al-hospital"));
    assert_int_equal(req("POST", "/api/v1/users", keys[K_NODE],
                         "{\"name\":\"y@me-cirt\",\"org\":\"me-cirt\",\"role\":\"viewer\"}"),
                     201);
}

/* F2 (docs/model.md R2.3, R4): me-cirt claims an id with a Sigma rule, which the
 * engine does not index; the hospital posts its own object of the id, a STIX pattern.
 * It is the hospital's alone: nobody else matches or correlates it. When me-cirt adds
 * a STIX version of its claim, everyone matches me-cirt's. */
static void test_unindexed_claim(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000201";
    const char *dom = "sigma-claim.example";
    char body[1024];

    (void)state;
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"me-cirt sigma\",\"pattern\":\"title: rundll32\","
             "\"pattern_type\":\"sigma\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"created_by_ref\":\"%s\","
             "\"object_marking_refs\":[\"%s\"]}",
             id, me_ident, GREEN);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    indicator(body, sizeof body, id, dom, 2, 0, hosp_ident, GREEN, "hospital");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(match_owners(K_HR, dom, id), 0);
    assert_int_equal(match_owners(K_ME, dom, id), 0);
    assert_int_equal(correlation_owners(K_HR, dom, id), 0);
    assert_int_equal(correlation_owners(K_ME, dom, id), 0);
    assert_int_equal(match_owners(K_HOSP, dom, id), 2);
    assert_int_equal(correlation_owners(K_HOSP, dom, id), 2);
    /* me-cirt's STIX version of its claim: everyone's; the hospital reads its own
     * too (R2.1) */
    indicator(body, sizeof body, id, dom, 3, 0, me_ident, GREEN, "me-cirt");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(match_owners(K_HR, dom, id), 1);
    assert_int_equal(match_owners(K_ME, dom, id), 1);
    assert_int_equal(correlation_owners(K_HR, dom, id), 1);
    /* the hospital's reporter: its own object, and the claim's, which it reads through
     * the national community (issue 11; before, its own alone: 2) */
    assert_int_equal(match_owners(K_HOSP, dom, id), 3);
}

/* Ids are written in lowercase (docs/model.md R8, N4 of the third re-attack): me-cirt
 * claims indicator--...ab, the hospital adds its own object of it (the id needs the
 * model's choice), matched for the hospital alone. The hospital's post of
 * indicator--...AB, "revoked, false positive", is refused: on the code before it was
 * another id for the node, its own claim, matched and correlated by everyone beside
 * me-cirt's, and a consumer that lowercases UUIDs (RFC 4122) would take it for a
 * later version of me-cirt's. */
static void test_id_spelling(void **state)
{
    const char *lower = "indicator--5b0c1c1e-0000-4000-8000-0000000002ab";
    const char *upper = "indicator--5B0C1C1E-0000-4000-8000-0000000002AB";
    char body[1024];

    (void)state;
    indicator(body, sizeof body, lower, "spelling-lower.example", 1, 0, me_ident, GREEN, "me-cirt");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    indicator(body, sizeof body, lower, "spelling-later.example", 2, 0, hosp_ident, GREEN, "hospital later");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    indicator(body, sizeof body, upper, "spelling-lower.example", 3, 1, hosp_ident, GREEN, "false positive");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 400);
    assert_non_null(strstr(last.body, "\"field\":\"/id\""));
    assert_non_null(strstr(last.body, "write indicator--5b0c1c1e-0000-4000-8000-0000000002ab instead"));
    assert_int_equal(h_db_count(&node, "stix_id = 'indicator--5B0C1C1E-0000-4000-8000-0000000002AB'"), 0);
    h_wait_indexed(&node, keys[K_NODE]);
    assert_int_equal(match_hits_by(K_HR, "spelling-later.example", hosp_ident), 0);
    assert_int_equal(match_hits_by(K_HOSP, "spelling-later.example", hosp_ident), 1);
    assert_int_equal(match_hits_by(K_HR, "spelling-lower.example", me_ident), 1);
    assert_int_equal(match_hits_by(K_HR, "spelling-lower.example", hosp_ident), 0);
    assert_int_equal(match_owners(K_HR, "spelling-lower.example", lower), 1);
}

/* `mreza match` (the index built from the store, then mapped from its snapshot, whose
 * id facts are read from the store): as F2 above, the hospital's later object of
 * me-cirt's Sigma claim is matched as the hospital alone. */
static int cli_hits(const char *as, const char *log, const char *id)
{
    const char *argv[] = {"match", as[0] == 'r' ? "--as-user" : "--as", as, "--format", "text", log, NULL};
    char *out = NULL;
    int n = 0, rc = h_cli(&node, &out, argv);

    assert_true(rc == 0 || rc == 1);
    assert_non_null(out);
    for (const char *p = out; (p = strstr(p, id)); p++)
        n++;
    free(out);
    return n;
}

static void test_unindexed_claim_cli(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000301";
    char body[1024], log[300];
    FILE *f;

    (void)state;
    snprintf(body, sizeof body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
             "\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"me-cirt sigma\",\"pattern\":\"title: rundll32\","
             "\"pattern_type\":\"sigma\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"created_by_ref\":\"%s\","
             "\"object_marking_refs\":[\"%s\"]}",
             id, me_ident, GREEN);
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    indicator(body, sizeof body, id, "sigma-cli.example", 2, 0, hosp_ident, GREEN, "hospital");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP], body), 201);
    snprintf(log, sizeof log, "%s/sigma-cli.log", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    fputs("GET http://sigma-cli.example/x\n", f);
    fclose(f);
    for (int run = 0; run < 2; run++) { /* built, then the snapshot */
        assert_int_equal(cli_hits("hr-cert", log, id), 0);
        assert_int_equal(cli_hits("me-cirt", log, id), 0);
        assert_true(cli_hits("al-hospital", log, id) > 0);
    }
}

/* Post an SCO (domain-name id, value) as k, GREEN: 201. */
static void post_sco(int k, const char *id, const char *value)
{
    char body[512];

    snprintf(body, sizeof body,
             "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"%s\","
             "\"object_marking_refs\":[\"" GREEN "\"]}",
             id, value);
    assert_int_equal(req("POST", "/api/v1/objects", keys[k], body), 201);
}

/* me-cirt posts id saying first_value, the hospital its copy saying copy_value; hr-cert
 * is served me-cirt's; me-cirt withdraws all of it to the hospital (R7). */
static void sco_withdrawn(const char *id, const char *first_value, const char *copy_value)
{
    char path[200], body[200];

    post_sco(K_ME, id, first_value);
    post_sco(K_HOSP, id, copy_value);
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    assert_int_equal(req("GET", path, keys[K_HR], NULL), 200);
    assert_non_null(strstr(last.body, first_value));
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    snprintf(body, sizeof body, "{\"versions\":\"all\",\"to\":[\"%s\"]}", hosp_ident);
    assert_int_equal(req("POST", path, keys[K_ME], body), 200);
}

/* R2.4 (L5): a UUIDv4 SCO id carries any content, so a reader entitled to the object
 * withdrawn from it does not fall through to another organisation's copy. */
static void test_sco_v4_no_fall_through(void **state)
{
    const char *id = "domain-name--5b0c1c1e-0000-4000-8000-000000000107";

    (void)state;
    sco_withdrawn(id, "evil-l5.example", "benign-l5.example");
    assert_int_equal(req("GET", "/api/v1/objects/domain-name--5b0c1c1e-0000-4000-8000-000000000107", keys[K_HR],
                         NULL),
                     404);
    assert_null(strstr(last.body, "benign-l5.example"));
    assert_int_equal(req("GET", "/api/v1/objects?id=domain-name--5b0c1c1e-0000-4000-8000-000000000107",
                         keys[K_HR], NULL),
                     200);
    assert_null(strstr(last.body, "benign-l5.example"));
    /* the owner and the hospital still read their own */
    assert_int_equal(req("GET", "/api/v1/objects/domain-name--5b0c1c1e-0000-4000-8000-000000000107", keys[K_ME],
                         NULL),
                     200);
    assert_non_null(strstr(last.body, "evil-l5.example"));
    assert_int_equal(req("GET", "/api/v1/objects/domain-name--5b0c1c1e-0000-4000-8000-000000000107", keys[K_HOSP],
                         NULL),
                     200);
    assert_non_null(strstr(last.body, "benign-l5.example"));
}

/* The control: a UUIDv5 SCO id (R8 checks it is its value's) still falls through -
 * every copy says the same. */
static void test_sco_v5_falls_through(void **state)
{
    /* uuid5(00abedb4-aa42-466c-9c01-fed23315a9b7, '{"value":"l5-fixed.example"}') */
    const char *id = "domain-name--9c0d3286-e186-5e0d-98a4-8bfff91e3d46";

    (void)state;
    sco_withdrawn(id, "l5-fixed.example", "l5-fixed.example");
    assert_int_equal(req("GET", "/api/v1/objects/domain-name--9c0d3286-e186-5e0d-98a4-8bfff91e3d46", keys[K_HR],
                         NULL),
                     200);
    assert_non_null(strstr(last.body, "l5-fixed.example"));
}

/* The hospital (its admin) posts the first copy of id for domain, `creator` its
 * created_by_ref or NULL, and withdraws all of it (owner_keeps as given); then
 * me-cirt posts its own copy. */
static void first_copy_withdrawn(const char *id, const char *domain, const char *creator, int owner_keeps)
{
    char path[200], body[1024];

    indicator(body, sizeof body, id, domain, 1, 0, creator, GREEN, "hospital");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_HOSP_ADMIN], body), 201);
    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    snprintf(body, sizeof body, "{\"versions\":\"all\",\"owner_keeps\":%s}", owner_keeps ? "true" : "false");
    assert_int_equal(req("POST", path, keys[K_HOSP_ADMIN], body), 200);
    indicator(body, sizeof body, id, domain, 1, 0, NULL, GREEN, "me-cirt");
    assert_int_equal(req("POST", "/api/v1/objects", keys[K_ME], body), 201);
    h_wait_indexed(&node, keys[K_NODE]);
}

/* The name of the one object of id among the "objects" of last's JSON reply (a list
 * or an export bundle): NULL when none; never two (R2: one object per id). */
static const char *listed_name(json_t **j, const char *id)
{
    json_t *o;
    const char *name = NULL;
    size_t i;
    int n = 0;

    *j = json_loads(last.body, 0, NULL);
    assert_non_null(*j);
    json_array_foreach(json_object_get(*j, "objects"), i, o) {
        if (strcmp(json_string_value(json_object_get(o, "id")), id))
            continue;
        name = json_string_value(json_object_get(o, "name"));
        n++;
    }
    assert_true(n <= 1);
    return name;
}

/* How many of k's reads of id serve me-cirt's copy, out of get, list, count and export
 * (4: every path serves it; 0: none does); no path serves the hospital's. */
static int paths_serving_me(int k, const char *id)
{
    char path[300];
    const char *name;
    json_t *j;
    int n = 0, got;

    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    got = req("GET", path, keys[k], NULL) == 200;
    if (got)
        assert_non_null(strstr(last.body, "\"name\":\"me-cirt\""));
    n += got;
    snprintf(path, sizeof path, "/api/v1/objects?id=%s", id);
    assert_int_equal(req("GET", path, keys[k], NULL), 200);
    name = listed_name(&j, id);
    assert_true(!name || !strcmp(name, "me-cirt"));
    n += name != NULL;
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/count?id=%s", id);
    assert_int_equal(req("GET", path, keys[k], NULL), 200);
    n += strstr(last.body, "\"count\":1") != NULL;
    assert_int_equal(req("GET", "/api/v1/export?type=indicator", keys[k], NULL), 200);
    name = listed_name(&j, id);
    assert_true(!name || !strcmp(name, "me-cirt"));
    n += name != NULL;
    json_decref(j);
    return n;
}

/* F3: a first copy of an open id withdrawn from everyone counts for nobody: hr-cert,
 * entitled to it before, is served me-cirt's later copy on every path, as match
 * reports it; so is the hospital, which gave its own up. */
static void test_first_copy_withdrawn_from_all(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000108";

    (void)state;
    first_copy_withdrawn(id, "f3-open.example", NULL, 0);
    assert_int_equal(paths_serving_me(K_HR, id), 4);
    assert_int_equal(match_owners(K_HR, "f3-open.example", id), 1);
    assert_int_equal(paths_serving_me(K_HOSP_ADMIN, id), 4);
    assert_int_equal(paths_serving_me(K_ME, id), 4);
}

/* The control (R2.4): a first copy its owner keeps still hides the later copy from
 * whoever was entitled to it (hr-cert); the hospital reads its own, me-cirt its own;
 * match, per object, reports me-cirt's. */
static void test_first_copy_kept_no_fall_through(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-000000000109";
    char path[200];

    (void)state;
    first_copy_withdrawn(id, "f3-kept.example", NULL, 1);
    assert_int_equal(paths_serving_me(K_HR, id), 0);
    assert_int_equal(match_owners(K_HR, "f3-kept.example", id), 1);
    assert_int_equal(paths_serving_me(K_ME, id), 4);
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    assert_int_equal(req("GET", path, keys[K_HOSP_ADMIN], NULL), 200);
    assert_non_null(strstr(last.body, "\"name\":\"hospital\""));
}

/* The control (R2.3, R1): a claim withdrawn from everyone still claims the id - its
 * withdrawal hands nobody's object to its readers: me-cirt's later object stays
 * me-cirt's alone, on every path and in match. */
static void test_claim_withdrawn_from_all(void **state)
{
    const char *id = "indicator--5b0c1c1e-0000-4000-8000-00000000010a";

    (void)state;
    first_copy_withdrawn(id, "f3-claimed.example", hosp_ident, 0);
    assert_int_equal(paths_serving_me(K_HR, id), 0);
    assert_int_equal(match_owners(K_HR, "f3-claimed.example", id), 0);
    assert_int_equal(paths_serving_me(K_HOSP_ADMIN, id), 0);
    assert_int_equal(paths_serving_me(K_ME, id), 4);
    assert_int_equal(match_owners(K_ME, "f3-claimed.example", id), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_claimed),
        cmocka_unit_test(test_window_open),
        cmocka_unit_test(test_sixty_fifth_object),
        cmocka_unit_test(test_first_copy_before_ranked_later_one),
        cmocka_unit_test(test_users_per_org_cap),
        cmocka_unit_test(test_unindexed_claim),
        cmocka_unit_test(test_id_spelling),
        cmocka_unit_test(test_unindexed_claim_cli),
        cmocka_unit_test(test_sco_v4_no_fall_through),
        cmocka_unit_test(test_sco_v5_falls_through),
        cmocka_unit_test(test_first_copy_withdrawn_from_all),
        cmocka_unit_test(test_first_copy_kept_no_fall_through),
        cmocka_unit_test(test_claim_withdrawn_from_all),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
