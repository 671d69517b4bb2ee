/* tests/integ/test_provenance.c - provenance that a member cannot forge (issue 10),
 * against a real `mreza serve`, each case a reproduction from the security review
 * that succeeded on the code before it:
 *   - the TLP marking definitions are the standards': a forged TLP:GREEN definition
 *     ("tlp_2_0":"clear") is refused, under its id and under an upper-case spelling
 *     of it, and exports still carry the standard one; a copy laid out differently
 *     but equal as JSON is accepted and served as the standard's text (get, list,
 *     export); the same for STIX 2.1's TLP 1.0 definitions;
 *   - ids in lowercase hex (docs/model.md R8, N4 of the third re-attack): the
 *     upper-case spelling of a user's identity id, a created_by_ref or a TLP:RED
 *     marking id spelt in upper case are refused, 400 naming the place and the
 *     spelling to write (on the code before, each was accepted: the user's identity
 *     was served to everyone, the attribution listed by created_by), by `mreza
 *     import` too; a custom x_foo_ref in upper case is stored as received;
 *   - an object whose created_by_ref names another member organisation, a user of
 *     another organisation (whom the poster may list) or the node itself is that
 *     owner's, never the poster's: skipped, the rest of the bundle stored
 *     (docs/model.md R1.1, R9); a vendor's identity and one's own are fine;
 *   - the identity objects of organisations and the node's own identity are written
 *     only by the node: refused from admin, analyst and reporter alike; users'
 *     identities to whoever may list them; the node's x-mreza- types;
 *   - a regional campaign is recorded although members first posted groupings under
 *     the id it used to have (predictable then: an invisible one listing 50 reports,
 *     and a GREEN one dated as late as the skew allows); a post under its id
 *     afterwards is never refused for the id (docs/model.md R8: the refusal told a
 *     reporter, who may not read the grouping, that a campaign existed) but is the
 *     poster's later object of the node's claim, served to its own organisation
 *     alone: everyone else is still served the node's grouping, the campaign list
 *     is the node's, and the campaign's next version reaches them too.
 *   - a withdrawn report leaves its campaign (docs/model.md R11.6): the node
 *     re-versions the grouping without it and withdraws the versions that listed it,
 *     and withdraws the grouping once too few countries are left. On the code before,
 *     the grouping kept listing the withdrawn report.
 * Granular markings are tested in the TLP matrix (test_tlp_matrix.c). */
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
#include <time.h>
#include <xxhash.h>

#include "harness.h"

/* A `modified` ten minutes ahead of the clock: the latest an attacker may date a
 * version now that ingest.max_future_skew (900 s by default) refuses 9999-12-31. */
static const char *soon(void)
{
    static char buf[32];
    time_t t = time(NULL) + 600;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define RED_UPPER "marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1"
#define WHITE1 "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define VENDOR "identity--0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"

/* The standard texts, as the node serves them (rules/tlp.c). */
#define STD_GREEN                                                                                  \
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" GREEN "\","              \
    "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:GREEN\",\"extensions\":{\"" TLP2_EXT \
    "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"green\"}}}"
#define STD_AMBER                                                                                  \
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" AMBER "\","              \
    "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:AMBER\",\"extensions\":{\"" TLP2_EXT \
    "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"amber\"}}}"
#define STD_WHITE1                                                                                 \
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" WHITE1 "\","             \
    "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"name\":\"TLP:WHITE\","  \
    "\"definition\":{\"tlp\":\"white\"}}"

static struct hnode node;
enum { K_AL_ADMIN, K_AL, K_AL2, K_ME, K_MK, K_HOSP, K_VIEWER, K_ME_ADMIN, N_KEYS };
static char keys[N_KEYS][64];
static char me_org[64], me_user[64], al_org[64], al_admin_user[64], hosp_org[64];

static json_t *parse(const char *body)
{
    json_error_t je;
    json_t *v = json_loads(body, 0, &je);

    if (!v)
        fail_msg("not JSON (%s): %.300s", je.text, body);
    return v;
}

/* POST body as key; the status must be want; returns the parsed reply. */
static json_t *post(int key, const char *body, long want)
{
    struct hresp r;
    json_t *v;

    if (h_http(&node, "POST", "/api/v1/objects", keys[key], body, strlen(body), &r) != want)
        fail_msg("POST answered %ld, wanted %ld: %s\nbody: %.400s", r.status, want, r.body, body);
    v = parse(r.body);
    hresp_free(&r);
    return v;
}

/* A refused write: want status, the field named, a word of the message, nothing
 * stored. */
static void refused(int key, const char *body, long want, const char *field, const char *word)
{
    long long before = h_db_count(&node, NULL);
    json_t *v = post(key, body, want);
    json_t *e = json_object_get(v, "error");
    const char *f = json_string_value(json_object_get(e, "field"));
    const char *m = json_string_value(json_object_get(e, "message"));

    if (!f || strcmp(f, field))
        fail_msg("field %s, wanted %s (%s)", f ? f : "(none)", field, m ? m : "");
    if (!m || !strstr(m, word))
        fail_msg("message '%s' does not say '%s'", m ? m : "", word);
    json_decref(v);
    assert_int_equal(h_db_count(&node, NULL), before);
}

/* A write whose object is another owner's (docs/model.md R1.1): 201, the object
 * listed in `skipped` with a reason saying word, the rest of the write stored,
 * nothing of the skipped id. */
static void skipped(int key, const char *body, const char *id, const char *word, long long stored)
{
    long long before = h_db_count(&node, NULL);
    json_t *v = post(key, body, 201);
    json_t *sk = json_array_get(json_object_get(v, "skipped"), 0);
    const char *sid = json_string_value(json_object_get(sk, "id"));
    const char *m = json_string_value(json_object_get(sk, "reason"));
    char where[160];

    if (!sid || strcmp(sid, id) || json_array_size(json_object_get(v, "skipped")) != 1)
        fail_msg("%s was not skipped", id);
    if (!m || !strstr(m, word))
        fail_msg("reason '%s' does not say '%s'", m ? m : "", word);
    json_decref(v);
    assert_int_equal(h_db_count(&node, NULL), before + stored);
    snprintf(where, sizeof where, "stix_id = '%s'", id);
    assert_int_equal(h_db_count(&node, where), 0);
}

static char *indicator(const char *tail, const char *marking, const char *extra)
{
    char *s = NULL;

    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7a7a7a7a-0000-4000-8000-%s\","
                 "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                 "\"pattern\":\"[domain-name:value = 'x%s.example']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\"]%s}",
                 tail, tail, marking, extra ? extra : "") < 0)
        abort();
    return s;
}

static char *bundle2(const char *a, const char *b)
{
    char *s = NULL;

    if (asprintf(&s, "{\"type\":\"bundle\",\"id\":\"bundle--5c5c5c5c-0000-4000-8000-000000000001\",\"objects\":[%s,%s]}",
                 a, b) < 0)
        abort();
    return s;
}

/* GET path as key into *out (caller frees); returns the status. */
static long get(int key, const char *path, char **out)
{
    struct hresp r;
    long st = h_http(&node, "GET", path, key < 0 ? NULL : keys[key], NULL, 0, &r);

    *out = strdup(r.body ? r.body : "");
    hresp_free(&r);
    return st;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "mk-cirt", "MK", "national-csirt");
    h_add_org(&node, "al-hospital", "AL", "operator");
    {
        /* the hospital writes to the national community and reads none of its GREEN
         * (issue 11): the reader who may not read the node's campaigns below */
        const char *const argv[] = {"community", "member", "add", "national", "al-hospital", "--write", NULL};
        assert_int_equal(h_cli(&node, NULL, argv), 0);
    }
    h_add_user(&node, "admin@al-cert", "al-cert", "node-admin", keys[K_AL_ADMIN]);
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst2@al-cert", "al-cert", "analyst", keys[K_AL2]);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", keys[K_ME]);
    h_add_user(&node, "analyst@mk-cirt", "mk-cirt", "analyst", keys[K_MK]);
    h_add_user(&node, "reporter@al-hospital", "al-hospital", "reporter", keys[K_HOSP]);
    h_add_user(&node, "viewer@al-cert", "al-cert", "viewer", keys[K_VIEWER]);
    h_add_user(&node, "admin@me-cirt", "me-cirt", "admin", keys[K_ME_ADMIN]);
    h_identity(&node, "org", "me-cirt", me_org);
    h_identity(&node, "org", "al-cert", al_org);
    h_identity(&node, "org", "al-hospital", hosp_org);
    h_identity(&node, "user", "analyst@me-cirt", me_user);
    h_identity(&node, "user", "admin@al-cert", al_admin_user);
    h_start(&node, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return h_node_free(&node) > 0;
}

/* ---- the marking definitions ---- */

/* TLP:GREEN's id saying "clear": refused (in a bundle, naming the object and the
 * property), under the id and under its upper-case spelling; exports still carry the
 * standard definition. */
static void test_forged_green_refused(void **state)
{
    const char *forged =
        "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" GREEN "\","
        "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:GREEN\",\"extensions\":{\"" TLP2_EXT "\":"
        "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}";
    const char *forged_upper =
        "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
        "\"id\":\"marking-definition--BAB4A63C-AED9-4CF5-A766-DFCA5ABAC2BB\","
        "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:CLEAR\",\"extensions\":{\"" TLP2_EXT "\":"
        "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}";
    const char *forged_white =
        "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" WHITE1 "\","
        "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"statement\",\"name\":\"TLP:WHITE\","
        "\"definition\":{\"statement\":\"internal use only\"}}";
    char *ind = indicator("000000000001", GREEN, NULL), *b = bundle2(ind, forged), *out = NULL;
    json_t *v, *objs, *o;
    size_t i;
    int n_green = 0;

    (void)state;
    refused(K_AL, b, 400, "/objects/1/extensions/" TLP2_EXT "/tlp_2_0", "`tlp_2_0` must be \"green\"");
    refused(K_AL, forged, 400, "/extensions/" TLP2_EXT "/tlp_2_0", "may not be redefined");
    refused(K_AL_ADMIN, forged_upper, 400, "/id", "write " GREEN " instead");
    refused(K_HOSP, forged_white, 400, "/definition_type", "standard TLP:WHITE");
    json_decref(post(K_AL, ind, 201));
    /* nothing stood in for the standard: the export carries it, once, as written */
    assert_int_equal(get(K_ME, "/api/v1/export", &out), 200);
    v = parse(out);
    objs = json_object_get(v, "objects");
    json_array_foreach(objs, i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        if (id && !strcasecmp(id, GREEN)) {
            n_green++;
            assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "extensions"), TLP2_EXT),
                                                                  "tlp_2_0")),
                                "green");
        }
    }
    assert_int_equal(n_green, 1);
    assert_non_null(strstr(out, STD_GREEN));
    json_decref(v);
    free(out);
    assert_int_equal(get(K_ME, "/api/v1/objects/" GREEN, &out), 404); /* no copy stored */
    free(out);
    free(ind);
    free(b);
}

/* tests/data/<name>, found from this file's path (the tests are built from the top
 * of the tree, where __FILE__ is relative, and run there). */
static char *read_data(const char *name)
{
    char path[512];
    const char *tail = strstr(__FILE__, "integ/test_provenance.c");

    assert_non_null(tail);
    snprintf(path, sizeof path, "%.*sdata/%s", (int)(tail - __FILE__), __FILE__, name);
    return h_read_file(path, NULL);
}

/* The OASIS file of TLP:AMBER (another layout and key order) and STIX 2.1's TLP 1.0
 * WHITE as a tool writes it: accepted, and served as the standard's text on every
 * path. */
static void test_equal_copy_served_as_standard(void **state)
{
    char *oasis = read_data("stix/tlp-amber.json"), *out = NULL;
    const char *white_other_layout =
        "{\n  \"definition\": { \"tlp\": \"white\" },\n  \"name\": \"TLP:WHITE\",\n  \"definition_type\": \"tlp\",\n"
        "  \"created\": \"2017-01-20T00:00:00.000Z\",\n  \"id\": \"" WHITE1 "\",\n"
        "  \"spec_version\": \"2.1\",\n  \"type\": \"marking-definition\"\n}";
    char *ind = indicator("000000000002", AMBER, NULL);
    json_t *v;

    (void)state;
    assert_non_null(oasis);
    assert_null(strstr(oasis, STD_AMBER)); /* the file is laid out otherwise */
    v = post(K_AL, oasis, 201);
    assert_int_equal(json_integer_value(json_object_get(v, "new_count")), 1);
    json_decref(v);
    v = post(K_AL2, oasis, 201); /* a colleague's: the organisation has it already */
    assert_int_equal(json_integer_value(json_object_get(v, "duplicate_count")), 1);
    json_decref(v);
    json_decref(post(K_AL, white_other_layout, 201));
    json_decref(post(K_AL, ind, 201));
    /* get: the standard's text, not the bytes received */
    assert_int_equal(get(K_AL, "/api/v1/objects/" AMBER, &out), 200);
    assert_string_equal(out, STD_AMBER "\n");
    free(out);
    assert_int_equal(get(K_AL, "/api/v1/objects/" WHITE1, &out), 200);
    assert_string_equal(out, STD_WHITE1 "\n");
    free(out);
    /* list */
    assert_int_equal(get(K_AL, "/api/v1/objects?type=marking-definition", &out), 200);
    assert_int_equal(count_of(out, STD_AMBER), 1);
    assert_int_equal(count_of(out, STD_WHITE1), 1);
    assert_int_equal(count_of(out, "\"tlp_2_0\" :"), 0);
    free(out);
    /* export: each definition once, as the standard writes it */
    assert_int_equal(get(K_AL, "/api/v1/export", &out), 200);
    assert_int_equal(count_of(out, STD_AMBER), 1);
    assert_int_equal(count_of(out, STD_WHITE1), 1);
    assert_int_equal(count_of(out, "\"id\":\"" AMBER "\""), 1);
    free(out);
    free(oasis);
    free(ind);
}

/* The upper-case spelling of an id: ids are written in lowercase hex (docs/model.md
 * R8), so the spelling is refused wherever the standard puts an id, with the one to
 * write. The review (N4): analyst@al-cert posted the upper-case spelling of
 * analyst@me-cirt's identity id, served to everyone on the code before (it was
 * another id to the node, whose claim held for the lowercase spelling only), and a
 * reporter's indicator attributed to it was accepted and listed by created_by. An
 * upper-case TLP:RED id (RED since the second review) is refused the same way, as
 * are ids inside a bundle, named by their object. Custom properties are content the
 * node does not read: an upper-case x_foo_ref is stored as received. */
static char *identity_obj(const char *id);

static void upper(const char *id, char *out, size_t cap)
{
    const char *uuid = strstr(id, "--");

    assert_non_null(uuid);
    assert_true(strlen(id) < cap);
    for (size_t i = 0; i <= strlen(id); i++)
        out[i] = (char)(&id[i] > uuid + 1 && id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
    assert_string_not_equal(out, id);
}

static void test_upper_user_identity_refused(void **state)
{
    char up_user[64], want[128], where[256], *obj;
    long long idents = h_db_count(&node, "type = 'identity'");

    (void)state;
    /* a user's identity id, by someone who may not list that user */
    upper(me_user, up_user, sizeof up_user);
    snprintf(want, sizeof want, "write %s instead", me_user);
    obj = identity_obj(up_user);
    refused(K_AL, obj, 400, "/id", want);
    refused(K_AL, obj, 400, "/id", "STIX ids are written in lowercase");
    free(obj);
    assert_int_equal(h_db_count(&node, "type = 'identity'"), idents);
    snprintf(where, sizeof where, "lower(stix_id) = lower('%s') AND stix_id <> '%s'", me_user, me_user);
    assert_int_equal(h_db_count(&node, where), 0);
}

static void test_upper_created_by_refused(void **state)
{
    char up_user[64], up_org[64], want[128], extra[160], where[256], *ind, *out = NULL;

    (void)state;
    upper(me_user, up_user, sizeof up_user);
    snprintf(want, sizeof want, "write %s instead", me_user);
    /* attribution to a user's identity, by a reporter of another organisation, and
     * to an organisation's */
    snprintf(extra, sizeof extra, ",\"created_by_ref\":\"%s\"", up_user);
    ind = indicator("000000000021", GREEN, extra);
    refused(K_HOSP, ind, 400, "/created_by_ref", want);
    free(ind);
    upper(me_org, up_org, sizeof up_org);
    snprintf(extra, sizeof extra, ",\"created_by_ref\":\"%s\"", up_org);
    ind = indicator("000000000022", GREEN, extra);
    snprintf(want, sizeof want, "write %s instead", me_org);
    refused(K_HOSP, ind, 400, "/created_by_ref", want);
    free(ind);
    snprintf(where, sizeof where, "/api/v1/count?created_by=%s", up_user);
    assert_int_equal(get(K_ME, where, &out), 200);
    assert_non_null(strstr(out, "\"count\":0"));
    free(out);
}

static void test_upper_marking_refs_refused(void **state)
{
    char *obj, *ind, *b;

    (void)state;
    /* a marking id, alone and second in a bundle (the field names the object) */
    ind = indicator("000000000003", RED_UPPER, NULL);
    refused(K_AL, ind, 400, "/object_marking_refs/0", "write " RED " instead");
    obj = indicator("000000000024", GREEN, NULL);
    b = bundle2(obj, ind);
    refused(K_AL, b, 400, "/objects/1/object_marking_refs/0", "write " RED " instead");
    free(b);
    free(obj);
    free(ind);
    assert_int_equal(h_db_count(&node, "stix_id = 'indicator--7a7a7a7a-0000-4000-8000-000000000003'"), 0);
}

/* `mreza import` checks as the API does (one validation, svc_ingest): the file is
 * refused, naming the object and the spelling, and nothing of it is stored. */
static void test_upper_id_refused_on_import(void **state)
{
    char path[300], *ind, *ok, *b, *out = NULL, *err = NULL;
    const char *const argv[] = {"import", "--user", "analyst@al-cert", path, NULL};
    long long before = h_db_count(&node, NULL);
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/upper.json", node.dir);
    ok = indicator("000000000025", GREEN, NULL);
    ind = indicator("000000000026", RED_UPPER, NULL);
    b = bundle2(ok, ind);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(b, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(h_cli_err(&node, &out, &err, argv), 1);
    assert_non_null(strstr(err, "write " RED " instead"));
    assert_non_null(strstr(err, "/objects/1/object_marking_refs/0"));
    assert_int_equal(h_db_count(&node, NULL), before);
    free(out);
    free(err);
    free(b);
    free(ind);
    free(ok);
}

/* Custom content is the producer's: an upper-case x_foo_ref is stored as received
 * (a control: the code before accepted it too). */
static void test_upper_custom_ref_kept(void **state)
{
    char up_user[64], extra[160], *ind, *out = NULL;

    (void)state;
    upper(me_user, up_user, sizeof up_user);
    snprintf(extra, sizeof extra, ",\"x_foo_ref\":\"%s\"", up_user);
    ind = indicator("000000000023", GREEN, extra);
    json_decref(post(K_AL, ind, 201));
    free(ind);
    assert_int_equal(get(K_AL, "/api/v1/objects/indicator--7a7a7a7a-0000-4000-8000-000000000023", &out), 200);
    assert_non_null(strstr(out, up_user));
    free(out);
}

/* ---- created_by_ref ---- */

static char *by(const char *tail, const char *creator)
{
    char extra[128];

    snprintf(extra, sizeof extra, ",\"created_by_ref\":\"%s\"", creator);
    return indicator(tail, GREEN, extra);
}

static void test_created_by_ref(void **state)
{
    char *ok = indicator("000000000010", GREEN, NULL), *b, *bad, *out = NULL, path[160];
    const char *vendor_ident =
        "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"" VENDOR "\",\"created\":\"2024-01-01T00:00:00.000Z\","
        "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"ACME Threat Research\",\"identity_class\":\"organization\"}";

    (void)state;
    /* the review: a hospital's reporter attributes an indicator to Montenegro's CSIRT:
     * the object is me-cirt's, never the hospital's; it is skipped (R1.1), the rest
     * of the bundle stored */
    bad = by("000000000011", me_org);
    b = bundle2(ok, bad);
    skipped(K_HOSP, b, "indicator--7a7a7a7a-0000-4000-8000-000000000011", "me-cirt's object", 1);
    free(b);
    skipped(K_AL, bad, "indicator--7a7a7a7a-0000-4000-8000-000000000011", "only me-cirt versions it", 0);
    free(bad);
    snprintf(path, sizeof path, "/api/v1/count?type=indicator&created_by=%s", me_org);
    assert_int_equal(get(K_ME, path, &out), 200);
    assert_non_null(strstr(out, "\"count\":0"));
    free(out);
    /* a user of another organisation: me-cirt's object for whoever may list that user
     * (R9); third-party content for anyone else, so that nobody learns of a user it
     * may not list */
    bad = by("000000000012", me_user);
    skipped(K_AL_ADMIN, bad, "indicator--7a7a7a7a-0000-4000-8000-000000000012", "me-cirt's object", 0);
    json_decref(post(K_AL, bad, 201));
    free(bad);
    /* a third party (with its identity object in the same bundle), one's own
     * organisation, a colleague of one's own organisation */
    bad = by("000000000014", VENDOR);
    b = bundle2(vendor_ident, bad);
    json_decref(post(K_HOSP, b, 201));
    free(b);
    free(bad);
    bad = by("000000000015", hosp_org);
    json_decref(post(K_HOSP, bad, 201));
    free(bad);
    bad = by("000000000016", al_admin_user);
    json_decref(post(K_AL, bad, 201));
    free(bad);
    bad = by("000000000017", al_org);
    json_decref(post(K_AL_ADMIN, bad, 201));
    free(bad);
    free(ok);
}

/* ---- reserved ids ---- */

static char *identity_obj(const char *id)
{
    char *s = NULL;

    if (asprintf(&s,
                 "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
                 "\"modified\":\"2025-06-01T00:00:00.000Z\",\"name\":\"whitelist update.microsoft.com\","
                 "\"identity_class\":\"organization\",\"object_marking_refs\":[\"" GREEN "\"]}",
                 id) < 0)
        abort();
    return s;
}

/* Organisations' identities are the node's for everyone; a user's identity is the
 * node's for whoever may list that user (its organisation, admins: docs/model.md R8),
 * and for anyone else accepted like any id, so that the refusal reveals no user. */
static void test_identity_ids_reserved(void **state)
{
    const struct {
        int writer;
        const char *id;
        int refused;
    } cases[] = {
        {K_AL_ADMIN, al_org, 1},     {K_AL, al_org, 1},       {K_HOSP, al_org, 1},
        {K_AL_ADMIN, me_org, 1},     {K_AL, me_org, 1},       {K_HOSP, me_org, 1},
        {K_AL_ADMIN, hosp_org, 1},   {K_AL, hosp_org, 1},     {K_HOSP, hosp_org, 1},
        {K_AL, al_admin_user, 1},    {K_AL_ADMIN, me_user, 1}, /* own organisation's; an admin's */
        {K_AL, me_user, 0},          {K_HOSP, al_admin_user, 0}, /* users they may not list */
    };
    long long before = h_db_count(&node, "type = 'identity'"), accepted = 0;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *obj = identity_obj(cases[i].id);
        if (cases[i].refused) {
            refused(cases[i].writer, obj, 400, "/id", "the node writes the identities of its members");
        } else {
            json_decref(post(cases[i].writer, obj, 201));
            accepted++;
        }
        free(obj);
    }
    {
        char *obj = identity_obj(me_org);
        json_decref(post(K_VIEWER, obj, 403)); /* a viewer writes nothing at all */
        free(obj);
    }
    assert_int_equal(h_db_count(&node, "type = 'identity'"), before + accepted);
    /* the node's own types */
    refused(K_AL_ADMIN,
            "{\"type\":\"x-mreza-withdrawal\",\"spec_version\":\"2.1\","
            "\"id\":\"x-mreza-withdrawal--7a7a7a7a-0000-4000-8000-000000000300\",\"created\":\"2025-01-01T00:00:00.000Z\","
            "\"modified\":\"2025-01-01T00:00:00.000Z\",\"object_ref\":\"indicator--7a7a7a7a-0000-4000-8000-000000000001\"}",
            400, "/type", "the node's own");
}

/* ---- campaigns ---- */

/* The grouping id the code before this gave the campaign of a domain: name-based and
 * computable by anyone (the review's reproduction). */
static void predictable_campaign_id(const char *domain, char *out, size_t cap)
{
    char key[256];
    int n = snprintf(key, sizeof key, "mreza-campaign:domain:%s", domain);
    XXH128_hash_t h = XXH3_128bits(key, (size_t)n);
    unsigned char b[16];

    memcpy(b, &h.high64, 8);
    memcpy(b + 8, &h.low64, 8);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, cap, "grouping--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static char *grouping(const char *id, const char *marking, const char *modified, int n_refs, const char *extra)
{
    char *s = NULL, refs[8192];
    int len = 0;

    for (int i = 0; i < n_refs; i++)
        len += snprintf(refs + len, sizeof refs - (size_t)len, "%s\"indicator--7a7a7a7a-0000-4000-8000-%012d\"",
                        i ? "," : "", 900 + i);
    if (asprintf(&s,
                 "{\"type\":\"grouping\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2025-01-01T00:00:00.000Z\","
                 "\"modified\":\"%s\",\"name\":\"Regional campaign: domain camp.example\","
                 "\"context\":\"suspicious-activity\",\"object_refs\":[%s],"
                 "\"x_mreza_campaign\":{\"kind\":\"domain\",\"value\":\"camp.example\"},"
                 "\"object_marking_refs\":[\"%s\"]%s}",
                 id, modified, refs, marking, extra ? extra : "") < 0)
        abort();
    return s;
}

/* The campaign of camp.example as /api/v1/campaigns lists it to the Montenegrin
 * analyst, once it lists at least min_reports reports, waiting (bounded) for the
 * node's background job; NULL if none came. */
static json_t *wait_campaign_reports(size_t min_reports)
{
    for (int i = 0; i < 400; i++) {
        char *out = NULL;
        struct pollfd none;
        json_t *v, *g;
        size_t k;
        assert_int_equal(get(K_ME, "/api/v1/campaigns", &out), 200);
        v = parse(out);
        free(out);
        json_array_foreach(json_object_get(v, "objects"), k, g) {
            const char *val = json_string_value(json_object_get(json_object_get(g, "x_mreza_campaign"), "value"));
            if (val && !strcmp(val, "camp.example") &&
                json_array_size(json_object_get(g, "object_refs")) >= min_reports) {
                json_incref(g);
                json_decref(v);
                return g;
            }
        }
        json_decref(v);
        poll(&none, 0, 25);
    }
    return NULL;
}

static json_t *wait_campaign(void)
{
    return wait_campaign_reports(1);
}

/* A report of camp.example: a GREEN indicator whose id ends in 100 + k. */
static char *camp_report(int k)
{
    char *s = NULL;

    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7a7a7a7a-0000-4000-8000-%012d\","
                 "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                 "\"pattern\":\"[domain-name:value = 'camp.example']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN "\"]}",
                 100 + k) < 0)
        abort();
    return s;
}

/* The `modified` of the grouping id that key is served (NULL if 404), into out. */
static const char *served_modified(int key, const char *id, char *out, size_t cap)
{
    char path[128], *body = NULL;
    json_t *v;
    const char *m;

    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    if (get(key, path, &body) != 200) {
        free(body);
        return NULL;
    }
    v = parse(body);
    free(body);
    m = json_string_value(json_object_get(v, "modified"));
    snprintf(out, cap, "%s", m ? m : "");
    json_decref(v);
    return out;
}

static void test_campaign_recorded_despite_attackers(void **state)
{
    char old_id[64], *g, *out = NULL, path[128], extra[128];
    static const int writers[] = {K_AL_ADMIN, K_AL, K_HOSP};
    const char *id, *node_ident;
    json_t *camp, *v;

    (void)state;
    /* before the campaign: an invisible grouping listing 50 reports, and a GREEN one
     * dated as late as the skew allows, under the id the campaign used to get */
    predictable_campaign_id("camp.example", old_id, sizeof old_id);
    g = grouping(old_id, AMBER, "2025-01-01T00:00:00.000Z", 50, NULL);
    json_decref(post(K_HOSP, g, 201));
    free(g);
    g = grouping(old_id, GREEN, soon(), 50, NULL);
    json_decref(post(K_AL, g, 201));
    free(g);
    /* three countries report the domain */
    for (int k = 0; k < 3; k++) {
        static const int who[] = {K_AL, K_ME, K_MK};
        char *ind = camp_report(k);
        json_decref(post(who[k], ind, 201));
        free(ind);
    }
    camp = wait_campaign();
    if (!camp)
        fail_msg("the campaign of camp.example was never recorded");
    id = json_string_value(json_object_get(camp, "id"));
    node_ident = json_string_value(json_object_get(camp, "created_by_ref"));
    assert_non_null(id);
    assert_non_null(node_ident);
    assert_string_not_equal(id, old_id); /* no longer foreseeable */
    assert_int_equal(json_array_size(json_object_get(camp, "object_refs")), 3);
    /* after it: a post under its id is not refused for the id (R8) - the refusal
     * would tell the hospital's reporter, who may not read the GREEN grouping (its
     * organisation reads no community), that a campaign exists under an id it
     * computed; it is the poster's later object of the node's claim (R1.4), the
     * reporter told nothing of the node's, al-cert's first poster (who may read it)
     * warned. The node's identity stays the node's. */
    for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) {
        json_t *r;
        const char *warn;
        g = grouping(id, GREEN, soon(), 1, NULL);
        r = post(writers[w], g, 201);
        free(g);
        warn = json_string_value(json_array_get(json_object_get(r, "warnings"), 0));
        if (writers[w] == K_HOSP && warn && strstr(warn, "the node"))
            fail_msg("the reporter was told of the node's grouping: %s", warn);
        if (writers[w] == K_AL_ADMIN && (!warn || !strstr(warn, "in place of the node's")))
            fail_msg("the analyst was not warned: %s", warn ? warn : "(none)");
        json_decref(r);
        g = identity_obj(node_ident);
        refused(writers[w], g, 400, "/id", "node's own identity");
        free(g);
    }
    g = grouping(id, GREEN, "9999-12-31T23:59:59.999Z", 1, NULL);
    refused(K_HOSP, g, 400, "/modified", "max_future_skew");
    free(g);
    snprintf(extra, sizeof extra, ",\"created_by_ref\":\"%s\"", node_ident);
    g = grouping("grouping--7a7a7a7a-0000-4000-8000-000000000200", GREEN, "2025-01-01T00:00:00.000Z", 1, extra);
    skipped(K_AL, g, "grouping--7a7a7a7a-0000-4000-8000-000000000200", "the node's object", 0);
    free(g);
    /* readers of other organisations get the node's grouping; the posters' own
     * organisations their own objects (R2.1) */
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    assert_int_equal(get(K_MK, path, &out), 200);
    v = parse(out);
    assert_string_equal(json_string_value(json_object_get(v, "created_by_ref")), node_ident);
    assert_string_equal(json_string_value(json_object_get(v, "modified")),
                        json_string_value(json_object_get(camp, "modified")));
    json_decref(v);
    free(out);
    assert_non_null(served_modified(K_AL2, id, extra, sizeof extra));
    assert_string_not_equal(extra, json_string_value(json_object_get(camp, "modified")));
    assert_int_equal(get(K_ME, "/api/v1/campaigns", &out), 200);
    assert_null(strstr(out, old_id));
    assert_int_equal(count_of(out, id), 1);
    free(out);
    assert_int_equal(h_db_count(&node, "type = 'grouping' AND owner_org = 0"), 1);
    /* a fourth report: the node's next version reaches the others, once, and the id's
     * choice holds for it too */
    {
        char *ind = camp_report(3), want[64];
        json_t *next;
        json_decref(post(K_HOSP, ind, 201));
        free(ind);
        next = wait_campaign_reports(4);
        if (!next)
            fail_msg("the campaign never took the fourth report");
        snprintf(want, sizeof want, "%s", json_string_value(json_object_get(next, "modified")));
        assert_string_equal(json_string_value(json_object_get(next, "id")), id);
        assert_non_null(served_modified(K_MK, id, extra, sizeof extra));
        assert_string_equal(extra, want);
        assert_int_equal(get(K_MK, "/api/v1/campaigns", &out), 200);
        assert_int_equal(count_of(out, id), 1);
        free(out);
        assert_non_null(served_modified(K_AL2, id, extra, sizeof extra));
        assert_string_not_equal(extra, want);
        json_decref(next);
    }
    snprintf(path, sizeof path, "stix_id = '%s' AND cx = 0", id);
    assert_int_equal(h_db_count(&node, path), 0);
    json_decref(camp);
}

/* ---- a withdrawn report leaves its campaign (docs/model.md R11.6; L1 of the second
 * re-attack) ---- */

#define L1_REPORT(k) "indicator--7a7a7a7a-0000-4000-8000-00000000030" #k

/* The campaign of l1.example as /api/v1/campaigns lists it to al-cert's second analyst
 * once it lists want reports (want 0: once it is listed no more), waiting (bounded)
 * for the node's background job; NULL when it never did (or want is 0 and it is gone). */
static json_t *wait_l1_campaign(size_t want)
{
    for (int i = 0; i < 400; i++) {
        char *out = NULL;
        struct pollfd none;
        json_t *v, *g, *found = NULL;
        size_t k;
        assert_int_equal(get(K_AL2, "/api/v1/campaigns", &out), 200);
        v = parse(out);
        free(out);
        json_array_foreach(json_object_get(v, "objects"), k, g) {
            const char *val = json_string_value(json_object_get(json_object_get(g, "x_mreza_campaign"), "value"));
            if (val && !strcmp(val, "l1.example"))
                found = g;
        }
        if (found && json_array_size(json_object_get(found, "object_refs")) == want) {
            json_incref(found);
            json_decref(v);
            return found;
        }
        json_decref(v);
        if (!found && !want)
            return NULL;
        poll(&none, 0, 25);
    }
    fail_msg("the campaign of l1.example never listed %zu reports", want);
    return NULL;
}

/* POST body to id's withdraw as key: 200 (a withdrawal, or a restore). */
static void withdraw_report(int key, const char *id, const char *body)
{
    struct hresp r;
    char path[160];

    snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
    if (h_http(&node, "POST", path, keys[key], body, strlen(body), &r) != 200)
        fail_msg("withdraw answered %ld: %s", r.status, r.body);
    hresp_free(&r);
}

/* Three countries report l1.example; me-cirt withdraws its report (its own
 * organisation keeps it): the node re-versions the grouping without it and withdraws
 * the version that listed it; mk-cirt withdraws too, leaving one country: the
 * grouping is withdrawn; me-cirt's admin restores its report: the campaign is back,
 * a new version of the same id. On the code before, the grouping kept listing both
 * withdrawn reports. */
static void test_campaign_report_withdrawn(void **state)
{
    static const int who[] = {K_AL, K_ME, K_MK};
    char path[160], *out = NULL;
    json_t *camp;
    char id[80];

    (void)state;
    for (int k = 0; k < 3; k++) {
        char *ind = NULL;
        if (asprintf(&ind,
                     "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7a7a7a7a-0000-4000-8000-"
                     "00000000030%d\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                     "\"pattern\":\"[domain-name:value = 'l1.example']\",\"pattern_type\":\"stix\","
                     "\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" GREEN "\"]}",
                     k) < 0)
            abort();
        json_decref(post(who[k], ind, 201));
        free(ind);
    }
    camp = wait_l1_campaign(3);
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(camp, "id")));
    json_decref(camp);
    /* me-cirt's report (L1_REPORT(1)) withdrawn: a new version lists the two others */
    withdraw_report(K_ME, L1_REPORT(1), "{\"versions\":\"all\"}");
    camp = wait_l1_campaign(2);
    assert_string_equal(json_string_value(json_object_get(camp, "id")), id);
    {
        char *text = json_dumps(camp, JSON_COMPACT);
        assert_null(strstr(text, L1_REPORT(1)));
        assert_non_null(strstr(text, L1_REPORT(0)));
        assert_non_null(strstr(text, L1_REPORT(2)));
        free(text);
    }
    json_decref(camp);
    /* the versions that listed it are withdrawn from everyone: no reader learns of
     * it from the grouping's history */
    snprintf(path, sizeof path, "/api/v1/objects/%s?version=all", id);
    assert_int_equal(get(K_MK, path, &out), 200);
    assert_int_equal(count_of(out, L1_REPORT(1)), 0);
    assert_int_equal(count_of(out, "\"type\":\"grouping\""), 1);
    free(out);
    /* mk-cirt's withdrawn too: one country left, no campaign - its grouping withdrawn */
    withdraw_report(K_MK, L1_REPORT(2), "{\"versions\":\"all\"}");
    assert_null(wait_l1_campaign(0));
    snprintf(path, sizeof path, "/api/v1/objects/%s", id);
    assert_int_equal(get(K_AL2, path, &out), 404);
    free(out);
    snprintf(path, sizeof path, "stix_id = '%s' AND owner_org = 0 AND (wd_keep IS NULL OR wd_keep <> '')", id);
    assert_int_equal(h_db_count(&node, path), 0);
    /* me-cirt's admin restores its report: two countries again, a new version of the
     * same grouping lists al-cert's and me-cirt's */
    withdraw_report(K_ME_ADMIN, L1_REPORT(1), "{\"restore\":true}");
    camp = wait_l1_campaign(2);
    assert_string_equal(json_string_value(json_object_get(camp, "id")), id);
    {
        char *text = json_dumps(camp, JSON_COMPACT);
        assert_non_null(strstr(text, L1_REPORT(0)));
        assert_non_null(strstr(text, L1_REPORT(1)));
        assert_null(strstr(text, L1_REPORT(2)));
        free(text);
    }
    json_decref(camp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forged_green_refused),
        cmocka_unit_test(test_equal_copy_served_as_standard),
        cmocka_unit_test(test_upper_user_identity_refused),
        cmocka_unit_test(test_upper_created_by_refused),
        cmocka_unit_test(test_upper_marking_refs_refused),
        cmocka_unit_test(test_upper_id_refused_on_import),
        cmocka_unit_test(test_upper_custom_ref_kept),
        cmocka_unit_test(test_created_by_ref),
        cmocka_unit_test(test_identity_ids_reserved),
        cmocka_unit_test(test_campaign_recorded_despite_attackers),
        cmocka_unit_test(test_campaign_report_withdrawn),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
