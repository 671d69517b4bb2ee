/* tests/integ/test_match.c - the indicator engine through a real node and the CLI:
 * patterns checked at write time (with the position of the error), the match plan
 * reported per indicator, POST /api/v1/match (exact, parent domain, CIDR range,
 * candidate and scan patterns, expiry, revocation, TLP: a match on an indicator the
 * asker may not see is never reported), correlation queries, the regional
 * campaign's three reports, `mreza match` over real log formats with its snapshot
 * (mapped when intact, rebuilt when stale or corrupt) and --report, and the CLI and
 * the API giving the same hits in the same format for the same lines. */
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
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

static struct hnode node;
static char al_key[64], me_key[64], mk_key[64], bank_key[64], rs_key[64], admin_key[64];

static char *indicator(const char *uuid_tail, const char *pattern, const char *marking, const char *extra)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5a5a5a5a-0000-4000-8000-%s\","
                 "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
                 "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
                 "\"object_marking_refs\":[\"%s\"]%s}",
                 uuid_tail, pattern, marking, extra ? extra : "") < 0)
        abort();
    return s;
}

static json_t *post(const char *key, const char *body, long want)
{
    struct hresp r;
    json_error_t je;
    json_t *v;

    if (h_http(&node, "POST", "/api/v1/objects", key, body, strlen(body), &r) != want)
        fail_msg("POST answered %ld, wanted %ld: %s", r.status, want, r.body);
    v = json_loads(r.body, 0, &je);
    hresp_free(&r);
    assert_non_null(v);
    return v;
}

static void post_indicator(const char *key, const char *tail, const char *pattern, const char *marking,
                           const char *extra, const char *want_plan)
{
    char *b = indicator(tail, pattern, marking, extra);
    json_t *v = post(key, b, 201);
    const char *plan = json_string_value(json_object_get(json_array_get(json_object_get(v, "successes"), 0), "match"));
    if (!plan || strcmp(plan, want_plan))
        fail_msg("pattern %s: plan %s, wanted %s", pattern, plan ? plan : "(none)", want_plan);
    json_decref(v);
    free(b);
}

static int setup(void **state)
{
    char me_org[64];
    char extra[200];

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "al-cert", "AL", "national-csirt");
    h_add_org(&node, "me-cirt", "ME", "national-csirt");
    h_add_org(&node, "mk-cirt", "MK", "national-csirt");
    h_add_org(&node, "me-bank", "ME", "operator");
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@al-cert", "al-cert", "analyst", al_key);
    h_add_user(&node, "analyst@me-cirt", "me-cirt", "analyst", me_key);
    h_add_user(&node, "analyst@mk-cirt", "mk-cirt", "analyst", mk_key);
    h_add_user(&node, "reporter@me-bank", "me-bank", "reporter", bank_key);
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", rs_key);
    h_add_user(&node, "admin@rs-cert", "rs-cert", "node-admin", admin_key);
    h_identity(&node, "org", "me-cirt", me_org);
    h_start(&node, NULL);
    post_indicator(al_key, "000000000001", "[domain-name:value = 'evil.example']", GREEN, NULL, "exact");
    post_indicator(al_key, "000000000002", "[ipv4-addr:value = '198.51.100.7']", AMBER, NULL, "exact");
    snprintf(extra, sizeof extra, ",\"x_mreza_recipient_refs\":[\"%s\"]", me_org);
    post_indicator(al_key, "000000000003", "[ipv4-addr:value = '198.51.100.8']", AMBER, extra, "exact");
    post_indicator(al_key, "000000000004", "[ipv4-addr:value ISSUBSET '203.0.113.0/24']", GREEN, NULL, "exact");
    post_indicator(al_key, "000000000005", "[url:value = 'http://evil.example/Login']", GREEN, NULL, "exact");
    post_indicator(al_key, "000000000006", "[file:hashes.'SHA-256' = 'AB0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCD' AND file:name = 'x.exe']", GREEN, NULL, "candidate");
    post_indicator(al_key, "000000000007", "[domain-name:value LIKE '%.bad.example']", GREEN, NULL, "scan");
    post_indicator(al_key, "000000000008", "[domain-name:value = 'revoked.example']", GREEN, ",\"revoked\":true", "exact");
    post_indicator(al_key, "000000000009", "[domain-name:value = 'expired.example']", GREEN, ",\"valid_until\":\"2025-02-01T00:00:00Z\"", "exact");
    post_indicator(al_key, "000000000010", "[email-addr:value = 'Boss@Evil.Example' OR ipv6-addr:value = '2001:db8::/32']", GREEN, NULL, "exact");
    /* the regional campaign: one domain from three countries */
    post_indicator(me_key, "000000000011", "[domain-name:value = 'evil.example']", GREEN, NULL, "exact");
    post_indicator(mk_key, "000000000012", "[domain-name:value = 'EVIL.example.']", GREEN, NULL, "exact");
    {
        /* an observable object: correlates with the candidate indicator's hash */
        const char *file = "{\"type\":\"file\",\"spec_version\":\"2.1\",\"id\":\"file--5a5a5a5a-0000-4000-8000-000000000020\","
                           "\"hashes\":{\"SHA-256\":\"ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\"},"
                           "\"object_marking_refs\":[\"" GREEN "\"]}";
        json_decref(post(al_key, file, 201));
    }
    /* a fourth country, but AMBER: it must not join (nor reveal itself through) the campaign */
    post_indicator(rs_key, "000000000013", "[domain-name:value = 'evil.example']", AMBER, NULL, "exact");
    h_wait_indexed(&node, admin_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* the last test stopped the server (-1: not running); if a failed test left it
     * running, it must still exit cleanly (tests/run.sh counts a failed teardown) */
    return h_node_free(&node) > 0;
}

static void test_bad_pattern_is_refused_with_position(void **state)
{
    char *b = indicator("000000000099", "[domain-name:value = 'x.example'", GREEN, NULL);
    json_t *v = post(al_key, b, 400), *e = json_object_get(v, "error");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(e, "field")), "/pattern");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "position"));
    json_decref(v);
    free(b);
    /* literals the index would have to leave out (and so never match): refused too,
     * with the literal's position and the reason */
    {
        static const struct {
            const char *pattern, *why;
        } bad[] = {
            {"[ipv4-addr:value ISSUBSET '10.0.0.1/8']", "position 26: host bits set in IPv4 range: the network is 10.0.0.0/8"},
            {"[ipv4-addr:value = '172.16.0.1/12'] FOLLOWEDBY [ipv4-addr:value = '5.5.5.5']", "position 19: host bits"},
            {"[ipv4-addr:value = '::ffff:192.0.2.9']", "position 19: not an IPv4 address"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            b = indicator("000000000098", bad[i].pattern, GREEN, NULL);
            v = post(al_key, b, 400);
            e = json_object_get(v, "error");
            assert_string_equal(json_string_value(json_object_get(e, "field")), "/pattern");
            if (!strstr(json_string_value(json_object_get(e, "message")), bad[i].why))
                fail_msg("%s: %s", bad[i].pattern, json_string_value(json_object_get(e, "message")));
            json_decref(v);
            free(b);
        }
    }
}

/* POST /api/v1/match as key with values; returns the set of "value|via|indicator-tail" lines. */
static char *match(const char *key, const char *values_json)
{
    char body[4096];
    struct hresp r;
    json_error_t je;
    json_t *v, *m;
    size_t i;
    char *out = calloc(1, 65536);

    snprintf(body, sizeof body, "{\"values\":%s}", values_json);
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", key, body, strlen(body), &r), 200);
    v = json_loads(r.body, 0, &je);
    assert_non_null(v);
    json_array_foreach(json_object_get(v, "matches"), i, m) {
        const char *ind = json_string_value(json_object_get(m, "indicator"));
        snprintf(out + strlen(out), 65536 - strlen(out), "%s|%s|%s\n",
                 json_string_value(json_object_get(m, "value")), json_string_value(json_object_get(m, "via")),
                 ind + strlen(ind) - 2);
    }
    json_decref(v);
    hresp_free(&r);
    return out;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of text in place (hits of one value come in no set order). */
static void sort_lines(char *text)
{
    char *lines[256], *copy = strdup(text), *save = NULL, *l;
    size_t n = 0;

    for (l = strtok_r(copy, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof lines[0], cmp_line);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(text, lines[i]);
        strcat(text, "\n");
    }
    free(copy);
}

static void expect_match(const char *key, const char *values, const char *want_unsorted)
{
    char *got = match(key, values), want[4096];

    snprintf(want, sizeof want, "%s", want_unsorted);
    sort_lines(got);
    sort_lines(want);
    if (strcmp(got, want))
        fail_msg("match %s\n got:\n%s want:\n%s", values, got, want);
    free(got);
}

static void test_match_semantics(void **state)
{
    (void)state;
    expect_match(me_key, "[\"evil.example\"]", "evil.example|exact|01\nevil.example|exact|11\nevil.example|exact|12\n");
    expect_match(me_key, "[\"a.b.EVIL.example\"]", "a.b.evil.example|parent|01\na.b.evil.example|parent|11\na.b.evil.example|parent|12\n");
    expect_match(me_key, "[\"xevil.example\", \"evil.example.com\", \"1.2.3.4\"]", "");
    expect_match(me_key, "[\"203.0.113.77\"]", "203.0.113.77|range|04\n");
    expect_match(me_key, "[\"203.0.114.1\"]", "");
    /* URLs normalise; their host is also looked up as a domain */
    expect_match(me_key, "[\"HTTP://EVIL.example:80/Login\"]",
                 "http://evil.example/Login|exact|05\nevil.example|exact|01\nevil.example|exact|11\nevil.example|exact|12\n");
    expect_match(me_key, "[\"boss@evil.example\", \"2001:db8:1::5\"]", "boss@evil.example|exact|10\n2001:db8:1::5|range|10\n");
    /* a candidate pattern needs all of its observation: one hash is not enough */
    expect_match(me_key, "[\"ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\"]", "");
    /* a pattern with no index key is evaluated */
    expect_match(me_key, "[\"c2.bad.example\", \"bad.example\"]", "c2.bad.example|exact|07\n");
    /* revoked and expired indicators never match */
    expect_match(me_key, "[\"revoked.example\", \"expired.example\"]", "");
}

/* One term, two plans: an exact indicator for cand.example and a candidate one whose
 * other test every cand.example value passes must meet the same values in the same
 * way - the domain itself, a subdomain (the index's parent rule, which the evaluator
 * confirming the candidate now follows too), a URL's host (which the evaluator now
 * sees as the index does) - and the same non-matches (xcand.example). Before, the
 * candidate missed a.b.cand.example and the URL. */
static void test_candidate_agrees_with_exact(void **state)
{
    (void)state;
    post_indicator(al_key, "000000000041", "[domain-name:value = 'cand.example']", GREEN, NULL, "exact");
    post_indicator(al_key, "000000000042",
                   "[domain-name:value = 'CAND.example.' AND domain-name:value LIKE '%example']", GREEN, NULL,
                   "candidate");
    post_indicator(al_key, "000000000043",
                   "[domain-name:value IN ('other.example', 'cand.example') AND domain-name:value != 'x.example']",
                   GREEN, NULL, "candidate");
    h_wait_indexed(&node, admin_key);
    expect_match(me_key, "[\"cand.example\"]", "cand.example|exact|41\ncand.example|exact|42\ncand.example|exact|43\n");
    expect_match(me_key, "[\"a.b.CAND.example\"]",
                 "a.b.cand.example|parent|41\na.b.cand.example|parent|42\na.b.cand.example|parent|43\n");
    expect_match(me_key, "[\"http://a.cand.example/x\"]",
                 "a.cand.example|parent|41\na.cand.example|parent|42\na.cand.example|parent|43\n");
    expect_match(me_key, "[\"xcand.example\", \"cand.example.org\", \"example\"]", "");
}

/* Log lines through the API: scanned like `mreza match` does, skips counted. */
static void test_match_lines(void **state)
{
    const char *body = "{\"format\":\"text\",\"lines\":[\"beacon to hxxp://login.evil[.]example/x\","
                       "\"quiet line\",\"203.0.113[.]5 again\"]}";
    const char *json_body = "{\"format\":\"json\",\"fields\":[\"query\"],\"lines\":["
                            "\"{\\\"query\\\":\\\"a.evil.example\\\",\\\"ip\\\":\\\"203.0.113.5\\\"}\","
                            "\"{broken\"]}";
    struct hresp r;
    json_error_t je;
    json_t *v;

    (void)state;
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", me_key, body, strlen(body), &r), 200);
    v = json_loads(r.body, 0, &je);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "checked")), 3);
    assert_non_null(strstr(r.body, "\"item\":0"));
    assert_non_null(strstr(r.body, "\"item\":2"));
    assert_null(strstr(r.body, "\"item\":1"));
    json_decref(v);
    hresp_free(&r);
    /* only the configured field counts; the broken line is counted as malformed */
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", me_key, json_body, strlen(json_body), &r), 200);
    assert_non_null(strstr(r.body, "\"via\":\"parent\""));
    assert_null(strstr(r.body, "\"via\":\"range\""));
    assert_non_null(strstr(r.body, "\"malformed\":1"));
    hresp_free(&r);
    /* a line with a line break in it would be two lines of a log: refused, named */
    {
        const char *two = "{\"format\":\"text\",\"lines\":[\"evil.example\",\"a\\nevil.example\"]}";
        assert_int_equal(h_http(&node, "POST", "/api/v1/match", me_key, two, strlen(two), &r), 400);
        assert_non_null(strstr(r.body, "\"field\":\"/lines/1\""));
        assert_non_null(strstr(r.body, "line break"));
        hresp_free(&r);
    }
    /* a bad format is a 400 that names it */
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", me_key, "{\"format\":\"xml\",\"lines\":[\"x\"]}", 30, &r), 400);
    assert_non_null(strstr(r.body, "/format"));
    hresp_free(&r);
}

static void test_match_respects_tlp(void **state)
{
    (void)state;
    /* AMBER of al-cert: its own analyst sees it; me-cirt only where it is a recipient */
    expect_match(al_key, "[\"198.51.100.7\", \"198.51.100.8\"]", "198.51.100.7|exact|02\n198.51.100.8|exact|03\n");
    expect_match(me_key, "[\"198.51.100.7\", \"198.51.100.8\"]", "198.51.100.8|exact|03\n");
    expect_match(mk_key, "[\"198.51.100.7\", \"198.51.100.8\"]", "");
    /* an operator's reporter reads its national community's GREEN indicators (issue
     * 11: before, it read none of them) */
    expect_match(bank_key, "[\"evil.example\"]", "evil.example|exact|01\nevil.example|exact|11\nevil.example|exact|12\n");
    /* the index's counts cover every TLP: for the node's admins only */
    {
        struct hresp r;
        assert_int_equal(h_http(&node, "GET", "/api/v1/index", me_key, NULL, 0, &r), 403);
        assert_non_null(strstr(r.body, "\"status\":403"));
        assert_non_null(strstr(r.body, "only a node admin"));
        hresp_free(&r);
        assert_int_equal(h_http(&node, "GET", "/api/v1/index", admin_key, NULL, 0, &r), 200);
        assert_non_null(strstr(r.body, "\"objects\":"));
        hresp_free(&r);
    }
}

static void test_correlations(void **state)
{
    struct hresp r;
    json_error_t je;
    json_t *v;

    (void)state;
    assert_int_equal(h_http(&node, "GET", "/api/v1/correlations?value=Evil.Example.", me_key, NULL, 0, &r), 200);
    v = json_loads(r.body, 0, &je);
    assert_string_equal(json_string_value(json_object_get(v, "value")), "evil.example");
    assert_int_equal(json_integer_value(json_object_get(v, "count")), 3); /* AL, ME, MK */
    json_decref(v);
    hresp_free(&r);
    /* the AMBER address: counted only for those who may see it */
    assert_int_equal(h_http(&node, "GET", "/api/v1/correlations?value=198.51.100.7", mk_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/objects/indicator--5a5a5a5a-0000-4000-8000-000000000011/correlations", me_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "indicator--5a5a5a5a-0000-4000-8000-000000000001"));
    assert_non_null(strstr(r.body, "indicator--5a5a5a5a-0000-4000-8000-000000000012"));
    assert_null(strstr(strstr(r.body, "\"correlations\""), "indicator--5a5a5a5a-0000-4000-8000-000000000011"));
    hresp_free(&r);
    /* a file's hash and an indicator's hash term (written in upper case) meet */
    assert_int_equal(h_http(&node, "GET", "/api/v1/correlations?value=AB0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCD", me_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "file--5a5a5a5a-0000-4000-8000-000000000020"));
    assert_non_null(strstr(r.body, "indicator--5a5a5a5a-0000-4000-8000-000000000006"));
    assert_non_null(strstr(r.body, "\"kind\":\"sha256\""));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/correlations?value=%25%25%25", me_key, NULL, 0, &r), 400);
    hresp_free(&r);
}

/* One domain from three countries within the window: the node records a regional
 * campaign as a TLP:GREEN grouping; a second refresh does not duplicate it. */
static void test_regional_campaign(void **state)
{
    struct hresp r;
    json_error_t je;
    json_t *v, *g, *meta;

    (void)state;
    h_wait_indexed(&node, admin_key); /* the grouping itself is indexed on the next round */
    assert_int_equal(h_http(&node, "GET", "/api/v1/campaigns", me_key, NULL, 0, &r), 200);
    v = json_loads(r.body, 0, &je);
    assert_non_null(v);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), 1);
    g = json_array_get(json_object_get(v, "objects"), 0);
    assert_string_equal(json_string_value(json_object_get(g, "type")), "grouping");
    assert_int_equal(json_array_size(json_object_get(g, "object_refs")), 3);
    meta = json_object_get(g, "x_mreza_campaign");
    assert_string_equal(json_string_value(json_object_get(meta, "value")), "evil.example");
    assert_int_equal(json_array_size(json_object_get(meta, "countries")), 3);
    json_decref(v);
    hresp_free(&r);
    /* an operator's reporter reads the national community's campaign too (issue 11) */
    assert_int_equal(h_http(&node, "GET", "/api/v1/campaigns", bank_key, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "\"objects\":[]"));
    assert_non_null(strstr(r.body, "evil.example"));
    hresp_free(&r);
    /* exactly one version so far */
    assert_int_equal(h_db_count(&node, "type = 'grouping' AND owner_org = 0"), 1);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_cli_match_logs_and_snapshot(void **state)
{
    char log[400], snap[400], *out = NULL;
    const char *const argv_json[] = {"match", "--as", "me-cirt", "--format", "json", log, NULL};
    const char *const argv_report[] = {"match", "--as-user", "analyst@me-cirt", "--report", log, NULL};
    struct hresp r;
    FILE *f;

    (void)state;
    /* the node writes the snapshot on shutdown */
    assert_int_equal(h_stop(&node), 0);
    snprintf(log, sizeof log, "%s/dns.jsonl", node.dir);
    snprintf(snap, sizeof snap, "%s/index.snap", node.dir);
    write_file(log,
               "{\"ts\":\"2025-03-01T10:00:00Z\",\"client\":\"10.0.0.5\",\"query\":\"login.evil.example\"}\n"
               "{\"ts\":\"2025-03-01T10:00:01Z\",\"client\":\"10.0.0.6\",\"query\":\"benign.example\"}\n"
               "{\"ts\": broken json\n"
               "{\"ts\":\"2025-03-01T10:00:02Z\",\"client\":\"10.0.0.7\",\"query\":\"xevil.example\",\"answer\":\"203.0.113.9\"}\n");
    assert_int_equal(h_cli(&node, &out, argv_json), 0);
    /* one line per hit: login.evil.example under the three evil.example indicators
     * me-cirt may see (not rs-cert's AMBER one) */
    assert_int_equal(count_lines_with(out, "\"line\":1,"), 3);
    assert_int_equal(count_lines_with(out, "\"line\":4,"), 1); /* the answer, inside the CIDR; not xevil */
    assert_int_equal(count_lines_with(out, "\"line\":2,"), 0);
    assert_non_null(strstr(out, "\"via\":\"parent\""));
    assert_non_null(strstr(out, "\"via\":\"range\""));
    assert_int_equal(count_lines_with(out, "\"indicator\":\"indicator--5a5a5a5a-0000-4000-8000-0000000000"), 4);
    assert_int_equal(count_lines_with(out, "\"matched\":\"evil.example\","), 3);
    assert_non_null(strstr(out, "\"via\":\"range\",\"indicator\":\"indicator--5a5a5a5a-0000-4000-8000-000000000004\",\"matched\":\"203.0.113.9\","));
    assert_null(strstr(out, "\"indicators\""));
    free(out);
    /* corrupt the snapshot: the run rebuilds it and answers the same */
    f = fopen(snap, "r+b");
    assert_non_null(f);
    fseek(f, 200, SEEK_SET);
    fputc('!', f);
    fclose(f);
    assert_int_equal(h_cli(&node, &out, argv_json), 0);
    assert_int_equal(count_lines_with(out, "\"file\""), 4);
    free(out);
    /* defanged text, and --report stores sightings as the user */
    write_file(log, "alert: beacon to hxxp://evil[.]example/Login and 203.0.113[.]50\nplain line\n");
    assert_int_equal(h_cli(&node, &out, argv_report), 0);
    assert_true(count_lines_with(out, "\"file\"") >= 2);
    free(out);
    h_start(&node, NULL);
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?type=sighting", me_key, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
    /* sightings are AMBER of the reporting organisation, each addressed to the
     * organisation that shared the indicator: al-cert (three indicators), mk-cirt (its
     * evil.example), and nobody else (rs-cert's AMBER one was invisible to me-cirt) */
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?type=sighting", al_key, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?type=sighting", mk_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":1}"));
    hresp_free(&r);
    assert_int_equal(h_http(&node, "GET", "/api/v1/count?type=sighting", rs_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":0"));
    hresp_free(&r);
}

/* The hits of parsed output (one JSON object per line, or the API's "matches"), each
 * as "field|value|kind|via|indicator|matched|submitted_by" plus its position (the file's line, or
 * the item + 1), sorted: what must agree between the two front ends. */
static char *hit_lines(json_t *hits)
{
    char *out = calloc(1, 65536);
    json_t *m;
    size_t i;

    assert_non_null(out);
    json_array_foreach(hits, i, m) {
        json_t *line = json_object_get(m, "line"), *item = json_object_get(m, "item");
        const char *keys[] = {"field", "value", "kind", "via", "indicator", "matched", "submitted_by"};
        /* exactly these members, besides the position */
        assert_int_equal(json_object_size(m), 7 + (line ? 2 : 1));
        snprintf(out + strlen(out), 65536 - strlen(out), "%lld",
                 line ? json_integer_value(line) : json_integer_value(item) + 1);
        for (size_t k = 0; k < 7; k++) {
            assert_true(json_is_string(json_object_get(m, keys[k])));
            snprintf(out + strlen(out), 65536 - strlen(out), "|%s", json_string_value(json_object_get(m, keys[k])));
        }
        strcat(out, "\n");
    }
    sort_lines(out);
    return out;
}

/* `mreza match` and POST /api/v1/match run one matcher and print one hit format:
 * the same log lines give the same hits, with the same members. */
static void test_cli_and_api_say_the_same(void **state)
{
    static const char *const lines[] = {
        "beacon to hxxp://login.evil[.]example/Login from 10.0.0.9",
        "quiet line",
        "203.0.113[.]5 and boss@evil.example and c2.bad.example",
        "HTTP://EVIL.example:80/Login 198.51.100.8",
    };
    char log[400], body[2048], *out = NULL, *from_cli, *from_api;
    const char *const argv[] = {"match", "--as-user", "analyst@me-cirt", "--format", "text", log, NULL};
    struct hresp r;
    json_error_t je;
    json_t *v, *hits;
    FILE *f;

    (void)state;
    snprintf(body, sizeof body, "{\"format\":\"text\",\"lines\":[");
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s\"%s\"", i ? "," : "", lines[i]);
    strcat(body, "]}");
    assert_int_equal(h_http(&node, "POST", "/api/v1/match", me_key, body, strlen(body), &r), 200);
    v = json_loads(r.body, 0, &je);
    hresp_free(&r);
    assert_non_null(v);
    from_api = hit_lines(json_object_get(v, "matches"));
    json_decref(v);

    assert_int_equal(h_stop(&node), 0);
    snprintf(log, sizeof log, "%s/same.log", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        fprintf(f, "%s\n", lines[i]);
    fclose(f);
    assert_int_equal(h_cli(&node, &out, argv), 0);
    h_start(&node, NULL);
    hits = json_array();
    for (char *p = out, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "file")), log);
        json_array_append_new(hits, o);
    }
    free(out);
    from_cli = hit_lines(hits);
    json_decref(hits);

    /* lines 1, 3 and 4 match (through a parent, a range, an e-mail, a scan pattern,
     * URLs and their hosts); line 2 does not */
    assert_non_null(strstr(from_api, "1|text|login.evil.example|domain|parent|indicator--5a5a5a5a-0000-4000-8000-000000000001|evil.example|identity--"));
    assert_non_null(strstr(from_api, "4|text|http://evil.example/Login|url|exact|"));
    assert_non_null(strstr(from_api, "3|text|203.0.113.5|ipv4|range|"));
    assert_non_null(strstr(from_api, "4|text|198.51.100.8|ipv4|exact|indicator--5a5a5a5a-0000-4000-8000-000000000003|198.51.100.8|identity--"));
    assert_null(strstr(from_api, "\n2|"));
    if (strcmp(from_cli, from_api))
        fail_msg("the CLI and the API disagree\nCLI:\n%s\nAPI:\n%s", from_cli, from_api);
    free(from_cli);
    free(from_api);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_pattern_is_refused_with_position),
        cmocka_unit_test(test_match_semantics),
        cmocka_unit_test(test_candidate_agrees_with_exact),
        cmocka_unit_test(test_match_lines),
        cmocka_unit_test(test_match_respects_tlp),
        cmocka_unit_test(test_correlations),
        cmocka_unit_test(test_regional_campaign),
        cmocka_unit_test(test_cli_match_logs_and_snapshot),
        cmocka_unit_test(test_cli_and_api_say_the_same),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
