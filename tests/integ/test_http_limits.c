/* tests/integ/test_http_limits.c - what one client, authenticated or not, can make the
 * node spend, against real `mreza serve` processes on 127.0.0.1, driven over raw
 * sockets where libcurl would not send what is needed (a request held after its
 * headers, bytes it refuses, another loopback source address):
 *   - refusals on the headers, before any body is read: a client that sends
 *     `Expect: 100-continue` gets the refusal and never a 100 Continue;
 *   - the budget of request bodies in flight (http.max_bodies_in_flight), announced
 *     and chunked, with uploads held open by the client itself after 100 Continue;
 *     one client's share of it (http.max_bodies_per_client), by address and by user,
 *     and an organisation's (http.max_bodies_per_org), with the part kept for clients
 *     holding none (http.bodies_reserve);
 *     the deadline of a body (http.body_timeout) against a client that trickles it;
 *   - header checks: NUL bytes, control bytes, disagreeing Content-Length, white
 *     space before a header's colon...;
 *   - connections per client, the header deadline against a client that trickles its
 *     headers, trusted proxies and X-Forwarded-For;
 *   - exports streamed on their own connections, http.max_exports at once, at most
 *     http.max_exports_per_client of them per address and per user,
 *     http.max_exports_per_org per organisation, http.max_exports_public for the
 *     unauthenticated clients together, http.exports_reserve kept for clients with
 *     none, each cut off
 *     after http.export_timeout (the bundle then never looks complete).
 * Every limit is configured small; every wait is for an event, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define WAIT_MS 20000 /* the most any reply is waited for */

static struct hnode lim, conn, slow, proxy, share, orgs;
static char org_a1[64], org_a2[64], org_a3[64], org_b1[64], org_b2[64], org_c1[64];
static char analyst_key[64], analyst2_key[64], viewer_key[64], proxy_key[64];
static char slow_key[64], slow_key2[64], share_a[64], share_a2[64], share_r[64];
static char lim_log[300], proxy_log[300], slow_log[300];

#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

/* A note whose JSON is exactly len bytes (len >= 400), marked marking; n makes its id. */
static char *note_marked(int n, size_t len, const char *marking)
{
    char head[512], *b;
    int hl = snprintf(head, sizeof head,
                      "{\"type\":\"note\",\"spec_version\":\"2.1\",\"id\":\"note--31111111-2222-4333-8444-%012d\","
                      "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                      "\"object_refs\":[\"indicator--11111111-2222-4333-8444-000000000001\"],"
                      "\"object_marking_refs\":[\"%s\"],\"content\":\"",
                      n, marking);
    size_t pad = len - (size_t)hl - 2;

    b = malloc(len + 1);
    assert_non_null(b);
    memcpy(b, head, (size_t)hl);
    memset(b + hl, 'x', pad);
    memcpy(b + hl + pad, "\"}", 3);
    return b;
}

/* The same, TLP:GREEN. */
static char *note_of_len(int n, size_t len)
{
    return note_marked(n, len, GREEN);
}

static json_t *parse_body(const struct hresp *r)
{
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    if (!v)
        fail_msg("response is not JSON (%s): %.300s", je.text, r->body);
    return v;
}

/* The reply is the JSON error with this status and a message containing part. */
static void assert_error(const struct hresp *r, long status, const char *part)
{
    json_t *v = parse_body(r), *e = json_object_get(v, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));

    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "status")), status);
    if (!msg || !strstr(msg, part))
        fail_msg("message %s lacks '%s'", msg ? msg : "(none)", part);
    json_decref(v);
}

/* Send a request's head (request line and headers, "\r\n"-separated, without the
 * empty line) on a new connection; returns the socket. */
static int send_head(struct hnode *n, const char *from, const char *head)
{
    char buf[4096];
    int fd = h_raw_connect(n, from);
    int len = snprintf(buf, sizeof buf, "%s\r\nHost: 127.0.0.1\r\n\r\n", head);

    assert_true(len > 0 && (size_t)len < sizeof buf);
    assert_int_equal(h_raw_send(fd, buf, (size_t)len), 0);
    return fd;
}

/* The same for a connection the node may close at once: the send may fail. */
static int try_head(struct hnode *n, const char *from, const char *head)
{
    char buf[4096];
    int fd = h_raw_connect(n, from);
    int len = snprintf(buf, sizeof buf, "%s\r\nHost: 127.0.0.1\r\n\r\n", head);

    h_raw_send(fd, buf, (size_t)len);
    return fd;
}

/* budgets of 4 (4 MiB of bodies, 4 exports): 1 per client, 2 per organisation (the
 * unauthenticated clients together: http.max_exports_public's default, 1), 1 kept */
static const char *const orgs_sets[] = {"api.public_read=true", "http.max_body=1M", "http.max_bodies_per_client=1M",
                                        "http.max_bodies_per_org=2M", "http.max_bodies_in_flight=4M",
                                        "http.bodies_reserve=1M", "http.max_exports=4", "http.max_exports_per_client=1",
                                        "http.max_exports_per_org=2", "http.exports_reserve=1", NULL};
static long long orgs_visible; /* notes on orgs that every export holds (test_org_export_shares) */

static void pause_ms(int ms)
{
    struct pollfd none;
    poll(&none, 0, ms);
}

static void start(struct hnode *n, const char *const *sets, const char *log)
{
    h_node_init(n);
    h_add_org(n, "rs-cert", "RS", "national-csirt");
    h_start_logged(n, sets, log);
}

static int setup(void **state)
{
    /* (no reserves, and organisations' shares past the budgets, but in test_org_shares) */
    const char *const lim_sets[] = {"http.max_body=1M", "http.max_bodies_in_flight=1M", "http.max_exports=2",
                                    "http.max_exports_per_client=1", "http.bodies_reserve=0",
                                    "http.exports_reserve=0", "http.max_exports_per_org=4",
                                    "log.level=info", NULL};
    const char *const conn_sets[] = {"http.max_connections_per_client=3", "http.header_timeout=600", NULL};
    const char *const slow_sets[] = {"http.header_timeout=1", "http.timeout=600", "http.body_timeout=1",
                                     "http.max_body=1M", "http.max_bodies_in_flight=1M",
                                     "http.max_bodies_per_client=1M", "http.bodies_reserve=0", NULL};
    const char *const share_sets[] = {"http.max_body=400K", "http.max_bodies_per_client=500K",
                                      "http.max_bodies_in_flight=1M", "http.bodies_reserve=0", NULL};
    const char *const proxy_sets[] = {"http.trusted_proxies=127.0.0.1, 10.9.0.0/16",
                                      "http.max_connections_per_client=2", "log.level=info", NULL};

    (void)state;
    h_node_init(&lim);
    h_add_org(&lim, "rs-cert", "RS", "national-csirt");
    h_add_user(&lim, "analyst@rs-cert", "rs-cert", "analyst", analyst_key);
    h_add_user(&lim, "viewer@rs-cert", "rs-cert", "viewer", viewer_key);
    h_add_user(&lim, "analyst2@rs-cert", "rs-cert", "analyst", analyst2_key);
    snprintf(lim_log, sizeof lim_log, "%s/serve.log", lim.dir);
    h_start_logged(&lim, lim_sets, lim_log);
    start(&conn, conn_sets, NULL);
    h_node_init(&slow);
    h_add_org(&slow, "rs-cert", "RS", "national-csirt");
    h_add_user(&slow, "analyst@rs-cert", "rs-cert", "analyst", slow_key);
    h_add_user(&slow, "analyst2@rs-cert", "rs-cert", "analyst", slow_key2);
    snprintf(slow_log, sizeof slow_log, "%s/serve.log", slow.dir);
    h_start_logged(&slow, slow_sets, slow_log);
    h_node_init(&share);
    h_add_org(&share, "rs-cert", "RS", "national-csirt");
    h_add_user(&share, "analyst@rs-cert", "rs-cert", "analyst", share_a);
    h_add_user(&share, "analyst2@rs-cert", "rs-cert", "analyst", share_a2);
    h_add_user(&share, "reporter@rs-cert", "rs-cert", "reporter", share_r);
    h_start(&share, share_sets);
    h_node_init(&orgs);
    h_add_org(&orgs, "org-a", "RS", "national-csirt");
    h_add_org(&orgs, "org-b", "ME", "national-csirt");
    h_add_org(&orgs, "org-c", "BA", "national-csirt");
    h_add_user(&orgs, "a1@org-a", "org-a", "analyst", org_a1);
    h_add_user(&orgs, "a2@org-a", "org-a", "analyst", org_a2);
    h_add_user(&orgs, "a3@org-a", "org-a", "analyst", org_a3);
    h_add_user(&orgs, "b1@org-b", "org-b", "analyst", org_b1);
    h_add_user(&orgs, "b2@org-b", "org-b", "analyst", org_b2);
    h_add_user(&orgs, "c1@org-c", "org-c", "analyst", org_c1);
    h_start(&orgs, orgs_sets);
    h_node_init(&proxy);
    h_add_org(&proxy, "rs-cert", "RS", "national-csirt");
    h_add_user(&proxy, "analyst@rs-cert", "rs-cert", "analyst", proxy_key);
    snprintf(proxy_log, sizeof proxy_log, "%s/serve.log", proxy.dir);
    h_start_logged(&proxy, proxy_sets, proxy_log);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&lim);
    h_node_free(&conn);
    h_node_free(&slow);
    h_node_free(&proxy);
    h_node_free(&share);
    h_node_free(&orgs);
    return 0;
}

/* ---- refusals on the headers ---- */

struct early_case {
    const char *what;
    const char *head;   /* request line and headers; %s is the key where there is one */
    const char *key;    /* NULL: none */
    long status;
    const char *msg;
};

/* Each request announces a large body and asks for 100 Continue: the refusal comes
 * before the body, and is the first thing the node says. Before, each got its 100
 * Continue and the node read (and held) the whole body first. */
static void test_refused_before_body(void **state)
{
    const struct early_case cases[] = {
        {"no key", "POST /api/v1/objects HTTP/1.1\r\nContent-Length: 900000\r\nExpect: 100-continue", NULL, 401,
         "needs an API key"},
        {"unknown key", "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer mz_nobody\r\nContent-Length: "
                        "900000\r\nExpect: 100-continue",
         NULL, 401, ""},
        {"viewer writing", "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: "
                           "900000\r\nExpect: 100-continue",
         viewer_key, 403, ""},
        {"viewer adding a user", "POST /api/v1/users HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: "
                                 "900000\r\nExpect: 100-continue",
         viewer_key, 403, ""},
        {"unknown path", "POST /api/v1/nothing HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: "
                         "900000\r\nExpect: 100-continue",
         analyst_key, 404, "no such endpoint"},
        {"method", "PUT /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: 900000\r\nExpect: "
                   "100-continue",
         analyst_key, 405, "not allowed"},
        {"media type", "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: "
                       "text/csv\r\nContent-Length: 900000\r\nExpect: 100-continue",
         analyst_key, 415, "Content-Type"},
        {"accept", "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nAccept: text/html\r\n"
                   "Content-Length: 900000\r\nExpect: 100-continue",
         analyst_key, 406, "Accept"},
        {"over http.max_body", "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: "
                               "2000000\r\nExpect: 100-continue",
         analyst_key, 413, "http.max_body"},
        {"a body where none is read", "GET /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
                                      "Content-Length: 900000\r\nExpect: 100-continue",
         analyst_key, 400, "takes no request body"},
    };
    long before = h_db_count(&lim, NULL);

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char head[1024];
        struct hresp r;
        int fd;
        long st;
        snprintf(head, sizeof head, cases[i].head, cases[i].key ? cases[i].key : "");
        fd = send_head(&lim, NULL, head);
        st = h_raw_reply(fd, WAIT_MS, &r);
        if (st != cases[i].status)
            fail_msg("%s: first reply %ld, want %ld (no 100 Continue): %.300s", cases[i].what, st, cases[i].status,
                     r.headers);
        assert_error(&r, cases[i].status, cases[i].msg);
        /* and the connection is closed: the body will not be read later either */
        assert_true(h_raw_closed(fd, WAIT_MS));
        hresp_free(&r);
        close(fd);
    }
    assert_int_equal(h_db_count(&lim, NULL), before);
    assert_true(h_healthy(&lim));
}

/* ---- the budget of bodies in flight ---- */

/* Announce a body of len bytes as the analyst, with 100-continue; returns the socket
 * and the first reply's status in *status. */
static int announce(size_t len, long *status, struct hresp *r)
{
    char head[512];
    int fd;

    snprintf(head, sizeof head,
             "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nExpect: 100-continue",
             analyst_key, len);
    fd = send_head(&lim, NULL, head);
    *status = h_raw_reply(fd, WAIT_MS, r);
    return fd;
}

/* Two uploads of 600 KB with a budget of 1 MiB: the first is admitted (100
 * Continue) and held open by this test, so the second is refused at once with 503,
 * before its body; once the first has finished, the second goes through. */
static void test_bodies_in_flight(void **state)
{
    const size_t len = 600000;
    char *a = note_of_len(1, len), *b = note_of_len(2, len);
    struct hresp r;
    long st;
    int fa, fb;

    (void)state;
    fa = announce(len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    fb = announce(len, &st, &r);
    if (st != 503)
        fail_msg("second upload: %ld, want 503 while the first is held: %.300s", st, r.headers);
    assert_error(&r, 503, "too many uploads in flight, retry");
    assert_non_null(strstr(r.headers, "Retry-After: "));
    hresp_free(&r);
    close(fb);
    /* the first one's body, then its reply */
    assert_int_equal(h_raw_send(fa, a, len), 0);
    assert_int_equal(h_raw_reply(fa, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fa);
    /* now there is room again */
    fb = announce(len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    assert_int_equal(h_raw_send(fb, b, len), 0);
    assert_int_equal(h_raw_reply(fb, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fb);
    free(a);
    free(b);
}

/* A chunked upload takes its bytes from the budget as they arrive: with 600 KB held
 * by an announced upload, a chunk of 500 KB crosses the budget; the rest of that
 * body is read and dropped and its reply is the 503. */
static void test_chunked_in_flight(void **state)
{
    const size_t len = 600000, chunk = 500000;
    char *a = note_of_len(3, len), *c = note_of_len(4, chunk), size_line[32], head[512];
    struct hresp r;
    long st;
    int fa, fc;

    (void)state;
    fa = announce(len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    snprintf(head, sizeof head,
             "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\nExpect: 100-continue",
             analyst_key);
    fc = send_head(&lim, NULL, head);
    assert_int_equal(h_raw_reply(fc, WAIT_MS, &r), 100); /* nothing announced, nothing taken yet */
    hresp_free(&r);
    snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
    assert_int_equal(h_raw_send(fc, size_line, strlen(size_line)), 0);
    assert_int_equal(h_raw_send(fc, c, chunk), 0);
    assert_int_equal(h_raw_send(fc, "\r\n0\r\n\r\n", 7), 0);
    st = h_raw_reply(fc, WAIT_MS, &r);
    if (st != 503)
        fail_msg("chunked upload past the budget: %ld, want 503: %.300s", st, r.headers);
    assert_error(&r, 503, "too many uploads in flight");
    hresp_free(&r);
    close(fc);
    assert_int_equal(h_raw_send(fa, a, len), 0);
    assert_int_equal(h_raw_reply(fa, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fa);
    free(a);
    free(c);
}

/* ---- one client's share of the budget ---- */

/* Announce a body of len bytes to n from the address from with key, asking for 100
 * Continue; returns the socket, the first reply's status in *status. */
static int announce_as(struct hnode *n, const char *from, const char *key, size_t len, long *status,
                       struct hresp *r)
{
    char head[512];
    int fd;

    snprintf(head, sizeof head,
             "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nExpect: 100-continue",
             key, len);
    fd = send_head(n, from, head);
    *status = h_raw_reply(fd, WAIT_MS, r);
    return fd;
}

/* The same, expecting a refusal: its status and a message containing part. */
static void announce_refused(struct hnode *n, const char *what, const char *from, const char *key, size_t len,
                             long status, const char *part)
{
    struct hresp r;
    long st;
    int fd = announce_as(n, from, key, len, &st, &r);

    if (st != status) {
        char got[300];
        snprintf(got, sizeof got, "%.299s", r.headers);
        hresp_free(&r);
        close(fd);
        fail_msg("%s: %ld, want %ld: %s", what, st, status, got);
    }
    assert_error(&r, status, part);
    if (status == 429)
        assert_non_null(strstr(r.headers, "Retry-After: "));
    hresp_free(&r);
    close(fd);
}

/* Each client (address) and each user may hold 500 KB of the 1 MiB for bodies in
 * flight. One upload of 300 KB is held (100 Continue) by analyst@rs-cert from
 * 127.0.0.1: another from the same address is 429, whoever sends it, and so is
 * another by the same user from another address; another user from another address is
 * admitted. A chunked body counts its bytes as they arrive. Once the held upload is
 * done, its share is free again. Before, one writer could hold the whole budget with
 * uploads it trickled, and every other writer got 503. */
static void test_body_share(void **state)
{
    const size_t len = 300000, chunk = 300000;
    char *a = note_of_len(11, len), *b = note_of_len(12, len), *c = note_of_len(13, chunk), size_line[32],
         head[512];
    long long before = h_db_count(&share, NULL);
    struct hresp r;
    long st;
    int fa, fb, fc;

    (void)state;
    fa = announce_as(&share, NULL, share_a, len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    announce_refused(&share, "the same client again", NULL, share_a, len, 429,
                     "too many uploads under way from 127.0.0.1: one client may hold 512000 bytes of request "
                     "bodies at once (http.max_bodies_per_client)");
    announce_refused(&share, "another user from the same address", NULL, share_a2, len, 429,
                     "too many uploads under way from 127.0.0.1");
    announce_refused(&share, "the same user from another address", "127.0.0.2", share_a, len, 429,
                     "too many uploads under way by analyst@rs-cert: one user may hold 512000 bytes");
    /* a small body still fits in the client's share */
    fc = announce_as(&share, NULL, share_r, 100000, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    close(fc);
    /* another user from another address is admitted: the budget is not the hog's */
    fb = announce_as(&share, "127.0.0.3", share_a2, len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    /* chunked: nothing announced, the bytes count as they come */
    snprintf(head, sizeof head,
             "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\nExpect: 100-continue",
             share_r);
    fc = send_head(&share, NULL, head);
    assert_int_equal(h_raw_reply(fc, WAIT_MS, &r), 100);
    hresp_free(&r);
    snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
    assert_int_equal(h_raw_send(fc, size_line, strlen(size_line)), 0);
    assert_int_equal(h_raw_send(fc, c, chunk), 0);
    assert_int_equal(h_raw_send(fc, "\r\n0\r\n\r\n", 7), 0);
    st = h_raw_reply(fc, WAIT_MS, &r);
    if (st != 429)
        fail_msg("chunked upload past the client's share: %ld, want 429: %.300s", st, r.headers);
    assert_error(&r, 429, "too many uploads under way from 127.0.0.1");
    hresp_free(&r);
    close(fc);
    /* the held uploads finish */
    assert_int_equal(h_raw_send(fa, a, len), 0);
    assert_int_equal(h_raw_reply(fa, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fa);
    assert_int_equal(h_raw_send(fb, b, len), 0);
    assert_int_equal(h_raw_reply(fb, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fb);
    /* and the share is free again: the same user from the other address */
    fa = announce_as(&share, "127.0.0.2", share_a, len, &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    close(fa);
    assert_int_equal(h_db_count(&share, NULL), before + 2);
    assert_true(h_db_integrity_ok(&share));
    assert_true(h_healthy(&share));
    free(a);
    free(b);
    free(c);
}

/* ---- the body deadline ---- */

struct trickle_case {
    const char *what;
    const char *framing; /* the header that frames the body */
    const char *step;    /* what is sent every 100 ms */
};

/* A client that announces a body and sends it a byte at a time, never silent for
 * long (http.timeout is 600 s), is cut off once http.body_timeout (1 s) has passed
 * since its headers, announced or chunked; the node logs event=body_timeout and gives
 * back what the body held: the 1 MiB announced, which kept another writer out (503)
 * meanwhile, is free again. Before, the trickle held the budget for as long as it
 * went on. */
static void test_body_deadline(void **state)
{
    static const struct trickle_case cases[] = {
        {"announced", "Content-Length: 1048576", "x"},
        {"chunked", "Transfer-Encoding: chunked", "1\r\nx\r\n"},
    };
    struct hresp r;
    char *log;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char head[512];
        int fd, other, closed = 0, ok = 0;
        long st;
        snprintf(head, sizeof head,
                 "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: "
                 "application/json\r\n%s\r\nExpect: 100-continue",
                 slow_key, cases[i].framing);
        fd = send_head(&slow, NULL, head);
        assert_int_equal(h_raw_reply(fd, WAIT_MS, &r), 100); /* admitted: its deadline runs */
        hresp_free(&r);
        assert_int_equal(h_raw_send(fd, "{", 1), 0);
        if (i == 0) { /* the announced body holds the whole budget */
            other = announce_as(&slow, "127.0.0.2", slow_key2, 1048576, &st, &r);
            hresp_free(&r);
            close(other);
            if (st != 503)
                fail_msg("%s: another writer got %ld while the trickle held the budget, want 503", cases[i].what, st);
        }
        /* a step every 100 ms for at most 30 s */
        for (int k = 0; k < 300 && !closed; k++)
            closed = h_raw_send(fd, cases[i].step, strlen(cases[i].step)) != 0 || h_raw_closed(fd, 100);
        if (!closed)
            fail_msg("%s: a body trickled for 30 s was not cut off (http.body_timeout = 1)", cases[i].what);
        close(fd);
        /* the budget is free again (the node gives it back once it has seen the close,
         * a moment after the client has: bounded retries): another writer's 1 MiB
         * upload goes through */
        for (int k = 0; k < 400 && !ok; k++) {
            other = announce_as(&slow, "127.0.0.2", slow_key2, 1048576, &st, &r);
            ok = st == 100;
            hresp_free(&r);
            if (ok) {
                char *note = note_of_len(22 + (int)i, 1048576);
                assert_int_equal(h_raw_send(other, note, 1048576), 0);
                assert_int_equal(h_raw_reply(other, WAIT_MS, &r), 201);
                hresp_free(&r);
                free(note);
            } else {
                pause_ms(25);
            }
            close(other);
        }
        if (!ok)
            fail_msg("%s: the budget was not given back after the cut (last status %ld)", cases[i].what, st);
    }
    /* a body sent at once is served as ever */
    {
        char *note = note_of_len(21, 1000);
        assert_int_equal(h_http(&slow, "POST", "/api/v1/objects", slow_key, note, 1000, &r), 201);
        hresp_free(&r);
        free(note);
    }
    assert_int_equal(h_stop(&slow), 0);
    log = h_read_file(slow_log, NULL);
    assert_non_null(strstr(log, "event=body_timeout req="));
    assert_non_null(strstr(log, " client=127.0.0.1 seconds=1"));
    free(log);
}

/* ---- header checks ---- */

struct header_case {
    const char *what;
    const char *req;   /* the whole request; %s is the key */
    size_t len;        /* its length when it holds a NUL byte (0: strlen) */
    long status;
    const char *msg;
};

#define NUL_KEY_REQ "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\0junk\r\n\r\n"
#define NUL_END_REQ "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\0\r\n\r\n"
#define NUL_URI_REQ "GET /api/v1/whoami\0/x HTTP/1.1\r\nHost: x\r\n\r\n"

static void test_header_checks(void **state)
{
    static const struct header_case cases[] = {
        {"a key followed by a NUL byte", NUL_KEY_REQ, sizeof NUL_KEY_REQ - 1, 400, "NUL byte"},
        {"a NUL byte at the end of the key", NUL_END_REQ, sizeof NUL_END_REQ - 1, 400, "NUL byte"},
        {"a NUL byte in the request target", NUL_URI_REQ, sizeof NUL_URI_REQ - 1, 400, "request line holds a NUL"},
        {"Content-Length twice, disagreeing",
         "POST /api/v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 2\r\n"
         "Content-Length: 40\r\n\r\n{}",
         0, 400, "Content-Length headers that disagree"},
        {"Transfer-Encoding and Content-Length",
         "POST /api/v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 2\r\n\r\n",
         0, 400, "both Transfer-Encoding and Content-Length"},
        {"a control byte in a value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x01z\r\n\r\n", 0, 400,
         "X-Note holds a control character"},
        {"a bare CR in a value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\rz\r\n\r\n", 0, 400,
         "control character"},
        {"a folded header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n  z\r\n\r\n", 0, 400, "folded"},
        {"two Authorization headers",
         "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAuthorization: Bearer x\r\n\r\n",
         0, 400, "more than one Authorization"},
        {"a transfer coding not read",
         "POST /api/v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: gzip\r\n\r\n",
         0, 501, "chunked"},
    };
    char req[4096];
    struct hresp r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct header_case *c = &cases[i];
        size_t len = 0;
        long st;
        int fd;
        /* the template may hold a NUL: format up to it, then copy the rest */
        size_t tl = c->len ? c->len : strlen(c->req);
        const char *nul = memchr(c->req, '\0', tl);
        size_t first = nul ? (size_t)(nul - c->req) : tl;
        char part[1024];
        memcpy(part, c->req, first);
        part[first] = '\0';
        len = (size_t)snprintf(req, sizeof req, part, analyst_key);
        if (nul) {
            memcpy(req + len, nul, tl - first);
            len += tl - first;
        }
        if (!c->len && nul)
            fail_msg("%s: a NUL in the template needs its length", c->what);
        fd = h_raw_connect(&lim, NULL);
        assert_int_equal(h_raw_send(fd, req, len), 0);
        st = h_raw_reply(fd, WAIT_MS, &r);
        if (st != c->status)
            fail_msg("%s: %ld, want %ld: %.300s%.300s", c->what, st, c->status, r.headers, r.body);
        assert_error(&r, c->status, c->msg);
        hresp_free(&r);
        close(fd);
    }
    /* and a request with many large headers (the node's read buffer grows) is fine */
    {
        size_t used = (size_t)snprintf(req, sizeof req, "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\n"
                                                        "Authorization: Bearer %s\r\n", analyst_key);
        char *big = malloc(64 * 1024);
        assert_non_null(big);
        memcpy(big, req, used);
        for (int i = 0; i < 90; i++)
            used += (size_t)snprintf(big + used, 64 * 1024 - used, "X-Pad-%d: %0200d\r\n", i, i);
        used += (size_t)snprintf(big + used, 64 * 1024 - used, "\r\n");
        {
            int fd = h_raw_connect(&lim, NULL);
            assert_int_equal(h_raw_send(fd, big, used), 0);
            assert_int_equal(h_raw_reply(fd, WAIT_MS, &r), 200);
            assert_non_null(strstr(r.body, "analyst@rs-cert"));
            hresp_free(&r);
            close(fd);
        }
        free(big);
    }
    assert_true(h_healthy(&lim));
}

/* A white space between a header's name and its colon (RFC 9112 section 5.1: 400).
 * Before, "Content-Length : 2" was a header named "Content-Length " to the node,
 * which read the request as having no body, while a proxy in front may read it the
 * other way (request smuggling). */
static void test_header_name_space(void **state)
{
    static const struct header_case cases[] = {
        {"a space before the colon of Content-Length",
         "POST /api/v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
         "Content-Type: application/json\r\nContent-Length : 2\r\n\r\n{}",
         0, 400, "the header name 'Content-Length ' is not a token"},
        {"a space before the colon of another header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note : a\r\n\r\n",
         0, 400, "the header name 'X-Note ' is not a token"},
    };
    char req[1024];
    struct hresp r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct header_case *c = &cases[i];
        int len = snprintf(req, sizeof req, c->req, analyst_key);
        int fd = h_raw_connect(&lim, NULL);
        long st;
        assert_int_equal(h_raw_send(fd, req, (size_t)len), 0);
        st = h_raw_reply(fd, WAIT_MS, &r);
        if (st != c->status)
            fail_msg("%s: %ld, want %ld: %.300s%.300s", c->what, st, c->status, r.headers, r.body);
        assert_error(&r, c->status, c->msg);
        hresp_free(&r);
        close(fd);
    }
    assert_true(h_healthy(&lim));
}

/* ---- connections per client ---- */

/* A keep-alive connection that has been served once (so the node has counted it). */
static int served_connection(struct hnode *n, const char *from)
{
    struct hresp r;
    int fd = send_head(n, from, "GET /healthz HTTP/1.1");

    assert_int_equal(h_raw_reply(fd, WAIT_MS, &r), 200);
    hresp_free(&r);
    return fd;
}

/* With 3 connections per client, a fourth one from the same address is closed at
 * once without a reply, while another address is served; when one of the three
 * closes, the address may connect again. Before, one client could take every
 * connection of the node. */
static void test_connections_per_client(void **state)
{
    int held[3], fd, ok = 0;
    struct hresp r;

    (void)state;
    for (int i = 0; i < 3; i++)
        held[i] = served_connection(&conn, NULL);
    fd = try_head(&conn, NULL, "GET /healthz HTTP/1.1");
    assert_true(h_raw_closed(fd, WAIT_MS));
    close(fd);
    /* someone else is served */
    fd = served_connection(&conn, "127.0.0.2");
    close(fd);
    /* the same address again once one of its connections is gone (the node sees the
     * close a moment later: bounded retries) */
    close(held[0]);
    for (int i = 0; i < 400 && !ok; i++) {
        fd = try_head(&conn, NULL, "GET /healthz HTTP/1.1");
        ok = h_raw_reply(fd, WAIT_MS, &r) == 200;
        hresp_free(&r);
        close(fd);
        if (!ok)
            pause_ms(25);
    }
    assert_true(ok);
    close(held[1]);
    close(held[2]);
}

/* ---- the header deadline ---- */

/* A client that sends its headers a line at a time, never idle for long, is cut off
 * after http.header_timeout (1 s) even though http.timeout (idle) is 600 s. Before,
 * it was served nothing and kept its connection for as long as it went on. */
static void test_header_deadline(void **state)
{
    int fd = h_raw_connect(&slow, NULL), closed = 0;

    (void)state;
    assert_int_equal(h_raw_send(fd, "GET /healthz HTTP/1.1\r\n", 23), 0);
    /* a header line every 100 ms for at most 30 s */
    for (int i = 0; i < 300 && !closed; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "X-Slow-%d: 1\r\n", i);
        closed = h_raw_send(fd, line, (size_t)n) != 0 || h_raw_closed(fd, 100);
    }
    assert_true(closed);
    close(fd);
    /* an idle keep-alive connection is closed after the deadline too */
    fd = served_connection(&slow, NULL);
    assert_true(h_raw_closed(fd, WAIT_MS));
    close(fd);
    /* and a prompt client is served as ever */
    assert_true(h_healthy(&slow));
}

/* ---- trusted proxies ---- */

/* Hold a POST through the proxy for client xff (admitted: 100 Continue). */
static int held_through_proxy(const char *xff, long *status, struct hresp *r)
{
    char head[512];
    int fd;

    snprintf(head, sizeof head,
             "POST /api/v1/objects HTTP/1.1\r\nAuthorization: Bearer %s\r\nX-Forwarded-For: %s\r\n"
             "Content-Length: 10\r\nExpect: 100-continue",
             proxy_key, xff);
    fd = send_head(&proxy, NULL, head);
    *status = h_raw_reply(fd, WAIT_MS, r);
    return fd;
}

/* 127.0.0.1 is a trusted proxy and each client may hold 2: the proxy's own
 * connections are not counted, requests are counted against the client that
 * X-Forwarded-For names (read from the right, past trusted proxies, so a client
 * cannot pose as another by writing the header itself); an address that is not a
 * trusted proxy is counted by its connections and its X-Forwarded-For is ignored. */
static void test_trusted_proxy(void **state)
{
    int a, b, fd, conns[3];
    long st;
    struct hresp r;
    char *log;

    (void)state;
    /* three connections of the proxy itself: not counted */
    for (int i = 0; i < 3; i++)
        conns[i] = served_connection(&proxy, NULL);
    /* client 203.0.113.9 holds two requests */
    a = held_through_proxy("203.0.113.9", &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    b = held_through_proxy("198.51.100.1, 203.0.113.9", &st, &r); /* what the client wrote is ignored */
    assert_int_equal(st, 100);
    hresp_free(&r);
    /* a third, even through a second trusted proxy, is one too many */
    fd = held_through_proxy("203.0.113.9, 10.9.1.1", &st, &r);
    if (st != 429)
        fail_msg("third request of 203.0.113.9: %ld, want 429: %.300s", st, r.headers);
    assert_error(&r, 429, "too many requests at once from 203.0.113.9");
    hresp_free(&r);
    close(fd);
    /* another client through the same proxy is served */
    fd = held_through_proxy("203.0.113.10", &st, &r);
    assert_int_equal(st, 100);
    hresp_free(&r);
    close(fd);
    /* a forwarded address that is not an address is refused */
    fd = held_through_proxy("203.0.113.10, not-an-address", &st, &r);
    assert_int_equal(st, 400);
    assert_error(&r, 400, "X-Forwarded-For");
    hresp_free(&r);
    close(fd);
    /* the held ones finish (their bodies are not JSON: 400, but they were admitted) */
    assert_int_equal(h_raw_send(a, "0123456789", 10), 0);
    assert_int_equal(h_raw_reply(a, WAIT_MS, &r), 400);
    hresp_free(&r);
    assert_int_equal(h_raw_send(b, "0123456789", 10), 0);
    assert_int_equal(h_raw_reply(b, WAIT_MS, &r), 400);
    hresp_free(&r);
    close(a);
    close(b);
    for (int i = 0; i < 3; i++)
        close(conns[i]);
    /* 127.0.0.2 is no proxy: its X-Forwarded-For counts for nothing, its connections count */
    conns[0] = served_connection(&proxy, "127.0.0.2");
    conns[1] = served_connection(&proxy, "127.0.0.2");
    fd = try_head(&proxy, "127.0.0.2", "GET /healthz HTTP/1.1\r\nX-Forwarded-For: 203.0.113.77");
    assert_true(h_raw_closed(fd, WAIT_MS));
    close(fd);
    close(conns[0]);
    close(conns[1]);
    /* the log names the client, not the proxy */
    assert_int_equal(h_stop(&proxy), 0);
    log = h_read_file(proxy_log, NULL);
    assert_non_null(strstr(log, "status=429 bytes="));
    assert_non_null(strstr(log, "client=203.0.113.9 user=analyst@rs-cert"));
    assert_non_null(strstr(log, "event=client_limit client=127.0.0.2"));
    free(log);
}

/* ---- exports ---- */

/* De-chunk a chunked body in place; returns its length, or -1 if the last chunk
 * (size 0) never came: the transfer is incomplete. */
static long dechunk(char *s, size_t len)
{
    size_t in = 0, out = 0;

    while (in < len) {
        char *end;
        unsigned long n = strtoul(s + in, &end, 16);
        size_t at = (size_t)(end - s);
        if (at + 2 > len || s[at] != '\r')
            return -1;
        in = at + 2;
        if (n == 0)
            return (long)out;
        if (in + n + 2 > len)
            return -1;
        memmove(s + out, s + in, n);
        out += n;
        in += n + 2;
    }
    return -1;
}

/* About 12 MB of notes on lim (once), in parts under http.max_body (1 MiB): an export
 * of them is about three times what the two sockets' buffers can take (tcp_wmem's 4
 * MiB included), so an export that its client does not read stays under way. (No
 * SO_RCVBUF games: a window shrunk to nothing reopens slowly.) Returns how many notes
 * an export of type=note holds. */
/* Post n_notes notes of note_len bytes, marked marking, as key on n; returns how many
 * notes n then holds. */
static long long load_notes_into(struct hnode *n, const char *key, const char *marking)
{
    const int n_notes = 3000;
    const size_t note_len = 4000;
    struct hresp r;

    for (int part = 0; part < n_notes / 200; part++) {
        size_t pl = 0;
        char *p = malloc(200 * (note_len + 1) + 256);
        assert_non_null(p);
        pl = (size_t)snprintf(p, 256, "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a11\","
                                      "\"objects\":[");
        for (int i = 0; i < 200; i++) {
            char *o = note_marked(100000 + part * 200 + i, note_len, marking);
            if (i)
                p[pl++] = ',';
            memcpy(p + pl, o, note_len);
            pl += note_len;
            free(o);
        }
        memcpy(p + pl, "]}", 2);
        pl += 2;
        if (h_http(n, "POST", "/api/v1/objects", key, p, pl, &r) != 201)
            fail_msg("part %d: %ld %.200s", part, r.status, r.body);
        hresp_free(&r);
        free(p);
    }
    {
        long long n_visible = h_db_count(n, "type = 'note'");
        assert_true(n_visible >= n_notes);
        return n_visible;
    }
}

static long long load_notes(void)
{
    static long long n_visible = -1;

    if (n_visible < 0)
        n_visible = load_notes_into(&lim, analyst_key, GREEN);
    return n_visible;
}

/* The node the export helpers below talk to (lim, but for test_org_shares). */
static struct hnode *xnode = &lim;

/* Send an export of the notes from the address from with key (NULL: none). */
static int export_request(const char *from, const char *key)
{
    char head[512];

    if (key)
        snprintf(head, sizeof head, "GET /api/v1/export?type=note HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
                                    "Connection: close",
                 key);
    else
        snprintf(head, sizeof head, "GET /api/v1/export?type=note HTTP/1.1\r\nConnection: close");
    return send_head(xnode, from, head);
}

/* An export that has started (its status line has arrived) and is then not read. */
static int export_held(const char *from, const char *key)
{
    int fd = export_request(from, key);
    char line[16];
    size_t got = 0;

    while (got < 12) {
        ssize_t k = recv(fd, line + got, 12 - got, 0);
        assert_true(k > 0);
        got += (size_t)k;
    }
    assert_memory_equal(line, "HTTP/1.1 200", 12);
    return fd;
}

static void export_refused(const char *what, const char *from, const char *key, long status, const char *part)
{
    struct hresp r;
    int fd = export_request(from, key);
    long st = h_raw_reply(fd, WAIT_MS, &r);

    if (st != status) {
        char got[300];
        snprintf(got, sizeof got, "%.299s", r.headers);
        hresp_free(&r);
        close(fd);
        fail_msg("%s: %ld, want %ld: %s", what, st, status, got);
    }
    assert_error(&r, status, part);
    assert_non_null(strstr(r.headers, "Retry-After: "));
    hresp_free(&r);
    close(fd);
}

/* Read a held export to its end: the whole bundle, every note. */
static void export_read_whole(int fd, long long n_visible)
{
    size_t all_len = 0;
    char *all = h_raw_read_all(fd, 60000, &all_len), *body;
    json_error_t je;
    json_t *v;
    long len;

    assert_non_null(all);
    body = strstr(all, "\r\n\r\n");
    assert_non_null(body);
    assert_non_null(strstr(all, "Transfer-Encoding: chunked"));
    body += 4;
    len = dechunk(body, all_len - (size_t)(body - all));
    assert_true(len > 0);
    v = json_loadb(body, (size_t)len, 0, &je);
    if (!v)
        fail_msg("export is not JSON: %s", je.text);
    assert_int_equal(json_array_size(json_object_get(v, "objects")), (size_t)n_visible + 1); /* + TLP:GREEN */
    json_decref(v);
    free(all);
}

/* An export of the identities succeeds (bounded retries: the node frees an export's
 * connection, and its count, once libmicrohttpd has seen the reply end). */
static void exports_served_again(const char *key)
{
    struct hresp r;
    long st = 0;

    for (int i = 0; i < 400 && st != 200; i++) {
        if (i)
            pause_ms(25);
        st = h_http(&lim, "GET", "/api/v1/export?type=identity", key, NULL, 0, &r);
        hresp_free(&r);
    }
    assert_int_equal(st, 200);
}

/* http.max_exports = 2, http.max_exports_per_client = 1. An export that analyst
 * holds from 127.0.0.1 (it reads nothing) is the most that address may have, and the
 * most that user may have from anywhere: both are 429. The viewer from another
 * address takes the second export connection; a third client is then refused with
 * 503. Meanwhile the node answers everything else (an export holds no connection of
 * the pool). The held exports, read at last, are whole; then exports are served
 * again. Before, one client could open every export and read them slowly: everyone
 * else got 503 for as long as it liked. */
static void test_export_cap(void **state)
{
    long long n_visible = load_notes();
    struct hresp r;
    int fa, fb;

    (void)state;
    fa = export_held(NULL, analyst_key);
    export_refused("the same client again", NULL, analyst_key, 429,
                   "too many exports under way from 127.0.0.1: one client may have 1 at once "
                   "(http.max_exports_per_client)");
    export_refused("the same user from another address", "127.0.0.2", analyst_key, 429,
                   "too many exports under way by analyst@rs-cert: one user may have 1 at once");
    export_refused("another user from the same address", NULL, viewer_key, 429,
                   "too many exports under way from 127.0.0.1");
    fb = export_held("127.0.0.2", viewer_key);
    export_refused("a third client", "127.0.0.3", analyst2_key, 503,
                   "too many exports at once (http.max_exports = 2, of which http.exports_reserve = 0");
    /* everything else is served meanwhile */
    assert_int_equal(h_http(&lim, "GET", "/api/v1/count?type=note", analyst_key, NULL, 0, &r), 200);
    {
        char want[64];
        snprintf(want, sizeof want, "\"count\":%lld", n_visible);
        assert_non_null(strstr(r.body, want));
    }
    hresp_free(&r);
    export_read_whole(fa, n_visible);
    close(fa);
    export_read_whole(fb, n_visible);
    close(fb);
    exports_served_again(analyst_key);
    exports_served_again(viewer_key);
}

/* lim (http.max_exports_per_client = 1): exports one after the other, each started
 * the moment the one before has been read whole, are all served. The node gives the
 * client's share back when the last piece has been read, before the chunked
 * encoding's last chunk is sent, so the client cannot have the whole bundle while
 * the node still counts it. Before, the share was given back only when
 * libmicrohttpd freed the reply, after that chunk: a client quick enough got 429
 * for an export it had finished (seen once in CI, test_model_matrix's exports). */
static void test_export_share_given_back_at_end(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        struct hresp r;
        long st = h_http(&lim, "GET", "/api/v1/export?type=identity", analyst_key, NULL, 0, &r);
        if (st != 200)
            fail_msg("export %d in a row answered %ld: %s", i, st, r.body ? r.body : "");
        hresp_free(&r);
    }
}

/* Wait (bounded) until the file at path holds text; 1 if it does. */
static int log_shows(const char *path, const char *text, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 25) {
        char *log = h_read_file(path, NULL);
        int found = log && strstr(log, text);
        free(log);
        if (found)
            return 1;
        pause_ms(25);
    }
    return 0;
}

/* lim again, with http.export_timeout = 1: an export that its client holds (reading
 * nothing) is cut off after a second; the node logs event=export_timeout, and the
 * client, reading at last, gets the start of the bundle and then the connection's
 * end, without the chunked encoding's last chunk: the bundle cannot be taken for a
 * whole one. The export's connection and the client's count are free again. Before,
 * the export (and its snapshot, which keeps the write-ahead log from being
 * checkpointed) lasted for as long as the client took to read it. */
static void test_export_deadline(void **state)
{
    const char *const sets[] = {"http.max_body=1M", "http.max_bodies_in_flight=1M", "http.max_exports=2",
                                "http.max_exports_per_client=1", "http.export_timeout=1", "http.bodies_reserve=0",
                                "http.exports_reserve=0", "http.max_exports_per_org=4", NULL};
    long long before;
    size_t all_len = 0;
    char *all, *body;
    int fa;

    (void)state;
    load_notes(); /* (an export of them outlasts what the sockets can buffer) */
    assert_int_equal(h_stop(&lim), 0);
    h_start_logged(&lim, sets, lim_log);
    before = h_db_count(&lim, NULL);
    fa = export_held(NULL, analyst_key);
    if (!log_shows(lim_log, "event=export_timeout req=", WAIT_MS))
        fail_msg("an export held for %d ms was not cut off (http.export_timeout = 1)", WAIT_MS);
    all = h_raw_read_all(fa, 60000, &all_len);
    assert_non_null(all);
    close(fa);
    body = strstr(all, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_non_null(strstr(body, "{\"type\":\"bundle\"")); /* it had started */
    assert_int_equal(dechunk(body, all_len - (size_t)(body - all)), -1); /* and is not whole */
    free(all);
    assert_true(log_shows(lim_log, " client=127.0.0.1 seconds=1", 0));
    exports_served_again(analyst_key);
    assert_int_equal(h_db_count(&lim, NULL), before);
    assert_true(h_db_integrity_ok(&lim));
}

/* ---- organisations' shares and the reserves (second re-attack F7) ---- */

/* On orgs: 4 exports, 1 per client, 2 per organisation, 1 kept for clients with
 * none. Two users of org-a from two addresses hold 2: a third user of org-a, from a
 * third address, is 429 (the organisation's share). An unauthenticated reader holds
 * a third; another unauthenticated reader from another address is 429: every
 * unauthenticated client together has a share of 1 (http.max_exports_public; until
 * the fourth re-attack's R5, an organisation's share of 2 less the reserve: 503). A
 * user of org-b, which holds none, takes the last; then the budget is really full
 * (503). Every held export is then read whole. Before, exports were counted per
 * address and per user only (2 each by default): two users of one organisation from
 * two addresses, or two unauthenticated addresses, took as many as they liked of the
 * budget (here a3 and the second unauthenticated reader were admitted, and b1
 * refused). */
static void test_org_export_shares(void **state)
{
    long long n_visible;
    int fa1, fa2, fp, fb;

    (void)state;
    n_visible = orgs_visible = load_notes_into(&orgs, org_c1, CLEAR);
    xnode = &orgs;
    fa1 = export_held("127.0.0.2", org_a1);
    fa2 = export_held("127.0.0.3", org_a2);
    export_refused("a third user of org-a", "127.0.0.4", org_a3, 429,
                   "too many exports under way by organisation org-a: one organisation may have 2 at once "
                   "(http.max_exports_per_org)");
    fp = export_held("127.0.0.5", NULL);
    export_refused("a second unauthenticated reader", "127.0.0.6", NULL, 429,
                   "too many exports under way by unauthenticated clients: together they may have 1 at once "
                   "(http.max_exports_public)");
    fb = export_held("127.0.0.7", org_b1);
    export_refused("anyone once all are taken", "127.0.0.8", org_c1, 503, "too many exports at once");
    export_read_whole(fa1, n_visible);
    close(fa1);
    export_read_whole(fa2, n_visible);
    close(fa2);
    export_read_whole(fp, n_visible);
    close(fp);
    export_read_whole(fb, n_visible);
    close(fb);
    xnode = &lim;
    assert_true(h_healthy(&orgs));
}

/* The fourth re-attack's R5, on orgs restarted (nothing held): unauthenticated
 * readers from several addresses and one key (a1 of org-a) try to hold what they can
 * of the 4 exports. Unauthenticated, one (http.max_exports_public = 1 by default):
 * a second and a third address are 429. The key from an address that holds the
 * anonymous export is 429 too (the address's share), and a1 from its own address
 * takes a second, its organisation holding none. So the attacker holds 2, and
 * honest clients of two other organisations get the other 2: b1 at once, and c1,
 * holding none, the last, kept for such clients; a2, whose organisation already
 * holds one, was refused that last one (503, the reserve). Then all are taken (503).
 * Every held export is read whole. Before, the unauthenticated clients together had
 * an organisation's share (2) and a1 counted as a newcomer: the attacker held 3 of
 * 4 (here the second unauthenticated reader got 200), and honest clients one at a
 * time. */
static void test_public_export_share(void **state)
{
    int fp, fa1, fb, fc;

    (void)state;
    assert_true(orgs_visible > 0); /* test_org_export_shares loaded them */
    assert_int_equal(h_stop(&orgs), 0);
    h_start(&orgs, orgs_sets);
    xnode = &orgs;
    fp = export_held("127.0.0.4", NULL);
    export_refused("a second unauthenticated address", "127.0.0.5", NULL, 429,
                   "too many exports under way by unauthenticated clients: together they may have 1 at once "
                   "(http.max_exports_public)");
    export_refused("a third unauthenticated address", "127.0.0.6", NULL, 429, "(http.max_exports_public)");
    export_refused("the key from the anonymous export's address", "127.0.0.4", org_a1, 429,
                   "too many exports under way from 127.0.0.4: one client may have 1 at once");
    fa1 = export_held("127.0.0.10", org_a1);
    fb = export_held("127.0.0.11", org_b1);
    export_refused("a second user of the key's organisation", "127.0.0.12", org_a2, 503,
                   "too many exports at once (http.max_exports = 4, of which http.exports_reserve = 1 only for "
                   "clients with none under way)");
    fc = export_held("127.0.0.13", org_c1);
    export_refused("anyone once all are taken", "127.0.0.14", org_b2, 503, "too many exports at once");
    export_read_whole(fp, orgs_visible);
    close(fp);
    export_read_whole(fa1, orgs_visible);
    close(fa1);
    export_read_whole(fb, orgs_visible);
    close(fb);
    export_read_whole(fc, orgs_visible);
    close(fc);
    xnode = &lim;
    assert_true(h_healthy(&orgs));
}

/* Hold an upload of len bytes (100 Continue received) on orgs. */
static int upload_held(const char *from, const char *key, size_t len)
{
    struct hresp r;
    long st;
    int fd = announce_as(&orgs, from, key, len, &st, &r);

    if (st != 100)
        fail_msg("upload from %s: %ld, want 100 Continue: %.300s%.300s", from, st, r.headers, r.body);
    hresp_free(&r);
    return fd;
}

static void upload_finish(int fd, int n, size_t len)
{
    char *body = note_marked(n, len, CLEAR);
    struct hresp r;

    assert_int_equal(h_raw_send(fd, body, len), 0);
    assert_int_equal(h_raw_reply(fd, WAIT_MS, &r), 201);
    hresp_free(&r);
    close(fd);
    free(body);
}

/* On orgs: 4 MiB for bodies in flight, 1 MiB per client, 2 MiB per organisation,
 * 1 MiB kept for clients holding none. Two users of org-a from two addresses hold an
 * upload of 1 MiB each: a third user of org-a from a third address is 429 (the
 * organisation's share). b1 of org-b takes a third MiB; b2 of org-b, from another
 * address, is 503 (its organisation holds some: the last MiB is kept); c1 of org-c,
 * holding none, takes it. The held uploads then finish (201). Before, a3 and b2 were
 * admitted: two users of one organisation could take the whole budget. */
static void test_org_body_shares(void **state)
{
    const size_t mib = 1u << 20;
    long long before = h_db_count(&orgs, NULL);
    int fa1, fa2, fb1, fc1;

    (void)state;
    fa1 = upload_held("127.0.0.2", org_a1, mib);
    fa2 = upload_held("127.0.0.3", org_a2, mib);
    announce_refused(&orgs, "a third user of org-a", "127.0.0.4", org_a3, mib, 429,
                     "too many uploads under way by organisation org-a: one organisation may hold 2097152 bytes "
                     "of request bodies at once (http.max_bodies_per_org)");
    fb1 = upload_held("127.0.0.5", org_b1, mib);
    announce_refused(&orgs, "a second user of org-b", "127.0.0.6", org_b2, mib, 503,
                     "too many uploads in flight, retry (the node holds at most 4194304 bytes of request bodies at "
                     "once: http.max_bodies_in_flight, of which http.bodies_reserve = 1048576 only for clients "
                     "holding none)");
    fc1 = upload_held("127.0.0.7", org_c1, mib);
    upload_finish(fa1, 201, mib);
    upload_finish(fa2, 202, mib);
    upload_finish(fb1, 203, mib);
    upload_finish(fc1, 204, mib);
    assert_int_equal(h_db_count(&orgs, NULL), before + 4);
    assert_true(h_healthy(&orgs));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_before_body),
        cmocka_unit_test(test_bodies_in_flight),
        cmocka_unit_test(test_chunked_in_flight),
        cmocka_unit_test(test_body_share),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_header_name_space),
        cmocka_unit_test(test_org_export_shares), /* before test_org_body_shares: it loads notes */
        cmocka_unit_test(test_public_export_share), /* restarts orgs */
        cmocka_unit_test(test_org_body_shares),
        cmocka_unit_test(test_connections_per_client),
        cmocka_unit_test(test_header_deadline),
        cmocka_unit_test(test_body_deadline), /* stops the slow node */
        cmocka_unit_test(test_export_cap),
        cmocka_unit_test(test_export_share_given_back_at_end),
        cmocka_unit_test(test_export_deadline), /* restarts lim */
        cmocka_unit_test(test_trusted_proxy), /* stops the proxy node */
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
