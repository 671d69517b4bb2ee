/* tests/integ/test_taxii.c - the TAXII 2.1 server's first endpoints (issue 11 work
 * package 3, docs/federation.md section 8) against a real `mreza serve`:
 *   - discovery (GET /taxii2/) and the API root (GET /taxii2/api/): 200 with
 *     Content-Type application/taxii+json;version=2.1, api_roots, versions,
 *     max_content_length = http.max_body;
 *   - authentication: no key or a wrong one is 401 as a TAXII error object with both
 *     WWW-Authenticate challenges (Basic and Bearer); Basic with the key as password
 *     (any user name) works on /taxii2/ and not on the REST API;
 *   - Accept: taxii+json with no version or 2.1, the ranges of anything, or none at
 *     all are served; application/json and version=2.0 are 406 (TAXII error object);
 *   - collections: each demo role sees the communities its organisation is a member
 *     of, with can_read / can_write from the membership (can_write false for a viewer,
 *     whose role writes nothing); one collection by id or alias; one of another's
 *     community, or none, 404 as if it did not exist; other methods 405.
 * Every test failed before api_taxii.c (no /taxii2/ routes: 404 with a REST error). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"

static struct hnode node;
enum { K_AL, K_XK, K_BANK, K_VIEW, N_KEYS };
static char keys[N_KEYS][64];
static struct hresp last;
static json_t *last_json;

static void drop(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
}

/* GET path as key (NULL none) with Accept accept (NULL: the TAXII type; "" none). */
static long get_acc(const char *path, const char *key, const char *accept)
{
    char hdr[200];
    const char *headers[] = {hdr, NULL};

    drop();
    snprintf(hdr, sizeof hdr, "Accept:%s%s", accept && !*accept ? "" : " ", accept ? accept : TAXII_TYPE);
    h_http_hdr(&node, "GET", path, key, headers, NULL, 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static long get(const char *path, const char *key)
{
    return get_acc(path, key, NULL);
}

static void assert_taxii_type(void)
{
    if (!strstr(last.headers, "Content-Type: " TAXII_TYPE) && !strstr(last.headers, "content-type: " TAXII_TYPE))
        fail_msg("no TAXII Content-Type in:\n%s", last.headers);
}

/* The reply is a TAXII error object of status. */
static void assert_taxii_error(long status)
{
    char want[8];

    assert_taxii_type();
    assert_non_null(last_json);
    snprintf(want, sizeof want, "%ld", status);
    assert_string_equal(json_string_value(json_object_get(last_json, "http_status")), want);
    assert_non_null(json_string_value(json_object_get(last_json, "title")));
    assert_non_null(json_string_value(json_object_get(last_json, "description")));
    assert_non_null(json_string_value(json_object_get(last_json, "error_id")));
    assert_null(json_object_get(last_json, "error"));
}

static int setup(void **state)
{
    static const char *const cmds[][9] = {
        {"community", "add", "regional", "--kind", "regional", "--title", "Western Balkans CSIRTs", NULL},
        {"community", "member", "add", "regional", "al-cert", NULL},
        {"community", "member", "add", "regional", "xk-cert", "--read", NULL},
        {"community", "member", "add", "national", "xk-cert", "--write", NULL},
    };

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "xk-cert", "XK", "national-csirt");
    h_add_org(&node, "al-bank", "AL", "operator");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", keys[K_AL]);
    h_add_user(&node, "analyst@xk-cert", "xk-cert", "analyst", keys[K_XK]);
    h_add_user(&node, "reporter@al-bank", "al-bank", "reporter", keys[K_BANK]);
    h_add_user(&node, "viewer@al-cert", "al-cert", "viewer", keys[K_VIEW]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = h_cli_err(&node, &out, &err, cmds[i]);
        if (rc != 0)
            fail_msg("mreza %s %s: exit %d: %s", cmds[i][0], cmds[i][1], rc, err ? err : "");
        free(out);
        free(err);
    }
    {
        const char *const sets[] = {"http.max_body=1000000", NULL};
        h_start(&node, sets);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop();
    return h_node_free(&node) > 0;
}

static void test_discovery_and_root(void **state)
{
    (void)state;
    assert_int_equal(get("/taxii2/", keys[K_AL]), 200);
    assert_taxii_type();
    assert_string_equal(json_string_value(json_array_get(json_object_get(last_json, "api_roots"), 0)),
                        "/taxii2/api/");
    assert_string_equal(json_string_value(json_object_get(last_json, "default")), "/taxii2/api/");
    assert_int_equal(get("/taxii2/api/", keys[K_BANK]), 200);
    assert_taxii_type();
    assert_string_equal(json_string_value(json_array_get(json_object_get(last_json, "versions"), 0)), TAXII_TYPE);
    assert_int_equal(json_integer_value(json_object_get(last_json, "max_content_length")), 1000000);
    /* other roots do not exist */
    assert_int_equal(get("/taxii2/other/", keys[K_AL]), 404);
    assert_taxii_error(404);
}

/* GET path with "Authorization: <auth>". */
static long get_auth(const char *path, const char *auth)
{
    char hdr[300];
    const char *headers[] = {hdr, "Accept: " TAXII_TYPE, NULL};

    drop();
    snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
    h_http_hdr(&node, "GET", path, NULL, headers, NULL, 0, &last);
    last_json = last.body ? json_loads(last.body, 0, NULL) : NULL;
    return last.status;
}

static void basic(char *out, size_t cap, const char *user, const char *pass)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char plain[200];
    size_t n = (size_t)snprintf(plain, sizeof plain, "%s:%s", user, pass), o = 0;

    o += (size_t)snprintf(out, cap, "Basic ");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)plain[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    assert_true(o < cap);
}

static void test_basic_auth(void **state)
{
    char auth[300];

    (void)state;
    basic(auth, sizeof auth, "anyone", keys[K_BANK]);
    assert_int_equal(get_auth("/taxii2/api/collections/", auth), 200);
    assert_taxii_type();
    assert_int_equal(json_array_size(json_object_get(last_json, "collections")), 3); /* the bank's, all, indicators */
    basic(auth, sizeof auth, "anyone", "mz_not_a_key");
    assert_int_equal(get_auth("/taxii2/api/collections/", auth), 401);
    assert_taxii_error(401);
    assert_int_equal(get_auth("/taxii2/api/collections/", "Basic !!!"), 401);
    assert_taxii_error(401);
    /* the REST API stays Bearer only */
    basic(auth, sizeof auth, "anyone", keys[K_BANK]);
    assert_int_equal(get_auth("/api/v1/whoami", auth), 401);
}

static void test_auth(void **state)
{
    (void)state;
    assert_int_equal(get("/taxii2/", NULL), 401);
    assert_taxii_error(401);
    assert_non_null(strstr(last.headers, "WWW-Authenticate: Bearer realm=\"mreza\""));
    assert_non_null(strstr(last.headers, "WWW-Authenticate: Basic realm=\"mreza\", charset=\"UTF-8\""));
    assert_int_equal(get("/taxii2/api/collections/", NULL), 401);
    assert_taxii_error(401);
    assert_int_equal(get("/taxii2/api/", "mz_not_a_key"), 401);
    assert_taxii_error(401);
}

static void test_accept(void **state)
{
    static const char *const ok[] = {"application/taxii+json", "application/taxii+json;version=2.1",
                                     "application/taxii+json; version=2.1", "*/*", "application/*",
                                     "text/html, application/taxii+json;version=2.1;q=0.5", ""};
    static const char *const refused[] = {"application/json", "application/taxii+json;version=2.0",
                                          "application/stix+json;version=2.1", "text/html",
                                          "application/taxii+json;q=0", "application/taxii+json;version=2.10"};

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (get_acc("/taxii2/api/collections/", keys[K_AL], ok[i]) != 200)
            fail_msg("Accept '%s': %ld, want 200", ok[i], last.status);
        assert_taxii_type();
    }
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (get_acc("/taxii2/api/collections/", keys[K_AL], refused[i]) != 406)
            fail_msg("Accept '%s': %ld, want 406", refused[i], last.status);
        assert_taxii_error(406);
    }
    /* the REST API keeps its rule: application/json is what it serves */
    assert_int_equal(get_acc("/api/v1/whoami", keys[K_AL], "application/json"), 200);
}

/* The collection of alias in the last list (NULL when absent). */
static json_t *coll(const char *alias)
{
    json_t *a = json_object_get(last_json, "collections"), *c;
    size_t i;

    json_array_foreach(a, i, c) {
        if (!strcmp(json_string_value(json_object_get(c, "alias")), alias))
            return c;
    }
    return NULL;
}

static void assert_coll(const char *alias, int can_read, int can_write)
{
    json_t *c = coll(alias);

    if (!c)
        fail_msg("no collection '%s' in %s", alias, last.body);
    assert_int_equal(json_is_true(json_object_get(c, "can_read")), can_read);
    assert_int_equal(json_is_true(json_object_get(c, "can_write")), can_write);
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "media_types"), 0)),
                        "application/stix+json;version=2.1");
    assert_int_equal(strlen(json_string_value(json_object_get(c, "id"))), 36);
}

static void test_collections_per_role(void **state)
{
    (void)state;
    assert_int_equal(get("/taxii2/api/collections/", keys[K_AL]), 200);
    assert_taxii_type();
    assert_int_equal(json_array_size(json_object_get(last_json, "collections")), 4);
    assert_coll("national", 1, 1);
    assert_coll("regional", 1, 1);
    /* the views, after the communities: read-only */
    assert_coll("all", 1, 0);
    assert_coll("indicators", 1, 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "collections"), 2),
                                                          "alias")),
                        "all");
    /* by name: national before regional */
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(last_json, "collections"), 0),
                                                          "alias")),
                        "national");

    assert_int_equal(get("/taxii2/api/collections/", keys[K_XK]), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "collections")), 4);
    assert_coll("national", 0, 1);
    assert_coll("regional", 1, 0);

    assert_int_equal(get("/taxii2/api/collections/", keys[K_BANK]), 200);
    assert_int_equal(json_array_size(json_object_get(last_json, "collections")), 3);
    assert_coll("all", 1, 0);
    assert_coll("national", 1, 1);
    assert_null(coll("regional"));

    /* a viewer's role writes nothing: can_write false whatever its organisation may */
    assert_int_equal(get("/taxii2/api/collections/", keys[K_VIEW]), 200);
    assert_coll("national", 1, 0);
    assert_coll("regional", 1, 0);
}

static void test_collection_get(void **state)
{
    char id[64], path[160];

    (void)state;
    assert_int_equal(get("/taxii2/api/collections/", keys[K_AL]), 200);
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(coll("regional"), "id")));
    snprintf(path, sizeof path, "/taxii2/api/collections/%s/", id);
    assert_int_equal(get(path, keys[K_AL]), 200);
    assert_taxii_type();
    assert_string_equal(json_string_value(json_object_get(last_json, "id")), id);
    assert_string_equal(json_string_value(json_object_get(last_json, "alias")), "regional");
    assert_string_equal(json_string_value(json_object_get(last_json, "title")), "Western Balkans CSIRTs");
    assert_true(json_is_true(json_object_get(last_json, "can_write")));
    /* by alias */
    assert_int_equal(get("/taxii2/api/collections/regional/", keys[K_XK]), 200);
    assert_string_equal(json_string_value(json_object_get(last_json, "id")), id);
    assert_true(json_is_false(json_object_get(last_json, "can_write")));
    /* not the bank's: exactly as one that does not exist */
    assert_int_equal(get(path, keys[K_BANK]), 404);
    assert_taxii_error(404);
    assert_int_equal(get("/taxii2/api/collections/00000000-0000-4000-8000-000000000000/", keys[K_BANK]), 404);
    assert_taxii_error(404);
    assert_int_equal(get("/taxii2/api/collections/regional/", keys[K_BANK]), 404);
    assert_taxii_error(404);
    /* methods the collection does not take */
    drop();
    assert_int_equal(h_http(&node, "POST", "/taxii2/api/collections/", keys[K_AL], "{}", 2, &last), 405);
    last_json = json_loads(last.body, 0, NULL);
    assert_taxii_error(405);
    assert_non_null(strstr(last.headers, "Allow: GET"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_and_root),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_collections_per_role),
        cmocka_unit_test(test_collection_get),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the servers exit cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
