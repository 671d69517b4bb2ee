/* tests/integ/test_fed_http.c - the sync client's HTTP and guard (fed/fed_http.c,
 * fed/fed_guard.c) against tests/taxii/taxii_server.py (docs/federation.md 9.2, 10.5,
 * 11.4), before the store side exists: the "apply" step of the pull loop is a set of
 * ids kept here (new = not seen before).
 * TLS (certificates from h_tls_ca, 9.3): a CA file, a pin, two pins (a rollover) are
 * accepted; a wrong pin, a certificate of another CA, an expired one, the system CAs
 * (which do not know the test CA) and plain HTTP on an https URL are refused with
 * `tls`; an http:// URL is refused without allow_http and served with it (loopback).
 * The client sends its Bearer token (or Basic credentials) and no Accept-Encoding,
 * and its client certificate when given one; options that cannot work are refused
 * before any connection; a refused connection is retried with a doubling backoff. A compliant collection
 * is walked page by page (limit 7) through the guard, every object once, with next
 * tokens and with added_after; a POST is answered 202. Then one test per hostile mode
 * of the server, each ending with its code of 10.5 within a small bound: small limits
 * come through fed_opts (timeouts of about a second for hang and drip; the retries'
 * waits go through a hook that records them, so nothing sleeps here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fed/fed.h"
#include "harness.h"
#include "harness_fed.h"

#define SERVER "tests/taxii/taxii_server.py"
#define COLL "/api1/collections/365fed99-08fa-fdcd-a1b3-fb247eb41d01/"

static struct h_tls T;
static char pin_node[64], pin_node2[64];

static const char *mreza_bin(void)
{
    const char *b = getenv("MREZA_BIN");
    return b && *b ? b : "build/mreza";
}

static const char *tls_file(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

static void pin_of(const char *path, char *out)
{
    const char *const argv[] = {mreza_bin(), "tls", "pin", path, NULL};
    char *text = NULL;

    assert_int_equal(h_run(argv, &text), 0);
    assert_true(sscanf(text, "%63s", out) == 1);
    free(text);
}

static int setup(void **state)
{
    (void)state;
    h_tls_ca(&T);
    pin_of(tls_file("node", "pem"), pin_node);
    pin_of(tls_file("node2", "pem"), pin_node2);
    return strcmp(pin_node, pin_node2) == 0; /* two keys, two pins */
}

static int teardown(void **state)
{
    (void)state;
    h_tls_free(&T);
    return 0;
}

/* The retries' waits: recorded, never slept. */
static long waits[16];
static int n_waits;

static int record_wait(void *ctx, long ms)
{
    (void)ctx;
    if (n_waits < 16)
        waits[n_waits] = ms;
    n_waits++;
    return 0;
}

static int stop_now(void *ctx)
{
    (void)ctx;
    return 1;
}

/* Start the server serving n made-up objects in mode, over TLS with certificate
 * cert ("": plain HTTP). */
static void start(struct h_py *p, const char *mode, int n, const char *cert)
{
    char count[16];
    const char *args[12];
    int k = 0;

    snprintf(count, sizeof count, "%d", n);
    args[k++] = "--mode";
    args[k++] = mode;
    args[k++] = "--generate";
    args[k++] = count;
    if (cert[0]) {
        args[k++] = "--cert";
        args[k++] = tls_file(cert, "pem");
        args[k++] = "--key";
        args[k++] = tls_file(cert, "key");
    }
    args[k] = NULL;
    h_py_start(p, SERVER, args);
}

/* Options for a peer at p: https with the test CA, or http with allow_http. */
static void peer_opts(struct fed_opts *o, const struct h_py *p, int tls, char *url, size_t url_len)
{
    fed_opts_defaults(o, NULL);
    snprintf(url, url_len, "%s://127.0.0.1:%u", tls ? "https" : "http", p->port);
    o->url = url;
    if (tls) {
        o->verify = FED_VERIFY_CA_FILE;
        o->ca_file = tls_file("ca", "pem");
    } else {
        o->allow_http = 1;
    }
    o->auth = FED_AUTH_BEARER;
    o->secret = "test-secret-key";
    o->connect_timeout_ms = 5000;
    o->request_timeout_ms = 10000;
    o->wait = record_wait;
    o->page_size = 7;
    n_waits = 0;
}

/* One GET of path: the code, and the status in *status. */
static enum fed_code get_once(const struct fed_opts *o, const char *path, long *status, char *msg)
{
    struct fed_http *h = NULL;
    struct fed_req rq = {"GET", path, NULL, 0};
    struct fed_resp r = {0};
    struct mz_error err = {0};
    enum fed_code code = fed_http_new(o, &h, &err);

    if (code == FED_OK)
        code = fed_http_fetch(h, &rq, &r, &err);
    *status = r.status;
    if (msg)
        snprintf(msg, MZ_ERR_MSG_LEN, "%s", err.msg);
    fed_resp_free(&r);
    fed_http_free(h);
    return code;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

struct walk {
    enum fed_code code;
    long pages;
    long objects;         /* objects in pages that passed */
    long uniq;            /* distinct ids among them */
    long ms;
    int attempts;         /* of the last request */
    char msg[MZ_ERR_MSG_LEN];
    char ids[400][64];
};

static int seen_id(struct walk *w, const char *id)
{
    for (long i = 0; i < w->uniq; i++)
        if (strcmp(w->ids[i], id) == 0)
            return 1;
    if (w->uniq < 400)
        snprintf(w->ids[w->uniq++], 64, "%s", id);
    return 0;
}

/* The pull loop of 10.3 over one collection, its apply step a set of ids here.
 * by_next: follow next tokens; else added_after = the page's Date-Added-Last - 1 µs
 * (as for a taxii peer). Ends at more: false, or at the guard's code. */
static void walk(const struct fed_opts *o, int by_next, struct walk *w)
{
    struct fed_http *h = NULL;
    struct fed_guard g;
    struct mz_error err = {0};
    char next[8192] = "", after[FED_TIME_LEN] = "", path[9000];
    long start = now_ms();

    memset(w, 0, sizeof *w);
    w->code = fed_http_new(o, &h, &err);
    if (w->code != FED_OK)
        goto out;
    fed_guard_init(&g, o);
    for (;;) {
        struct fed_ask ask = {fed_guard_limit(&g), next[0] != 0, "", now_ms() - start};
        struct fed_req rq = {"GET", path, NULL, 0};
        struct fed_resp r = {0};
        struct fed_facts f;
        json_t *objs;
        long n_new = 0;

        snprintf(ask.added_after, sizeof ask.added_after, "%s", after);
        if (next[0])
            snprintf(path, sizeof path, COLL "objects/?limit=%ld&next=%s", ask.limit, next);
        else if (after[0])
            snprintf(path, sizeof path, COLL "objects/?limit=%ld&added_after=%s", ask.limit, after);
        else
            snprintf(path, sizeof path, COLL "objects/?limit=%ld", ask.limit);
        w->code = fed_http_fetch(h, &rq, &r, &err);
        w->attempts = r.attempts;
        if (w->code != FED_OK) {
            fed_resp_free(&r);
            break;
        }
        w->code = fed_guard_facts(&r, o, &f, &err);
        if (w->code == FED_OK)
            w->code = fed_guard_check(&g, &ask, &f, &err);
        if (w->code != FED_OK) {
            fed_facts_clear(&f);
            fed_resp_free(&r);
            break;
        }
        w->pages++;
        objs = json_object_get(f.env, "objects");
        for (size_t i = 0; i < json_array_size(objs); i++) {
            const char *id = json_string_value(json_object_get(json_array_get(objs, i), "id"));

            w->objects++;
            if (id && !seen_id(w, id))
                n_new++;
        }
        w->code = fed_guard_progress(&g, &ask, n_new, &err);
        if (w->code != FED_OK || !f.more) {
            fed_facts_clear(&f);
            fed_resp_free(&r);
            break;
        }
        next[0] = after[0] = '\0';
        if (by_next && f.next)
            snprintf(next, sizeof next, "%s", f.next);
        else if (f.date_last[0])
            fed_time_minus_1us(f.date_last, after);
        fed_facts_clear(&f);
        fed_resp_free(&r);
    }
    fed_guard_free(&g);
out:
    snprintf(w->msg, sizeof w->msg, "%s", err.msg);
    w->ms = now_ms() - start;
    fed_http_free(h);
}

/* ---- TLS (9.2) ---- */

static void test_tls_ca_file_and_pins_accepted(void **state)
{
    struct h_py p;
    struct fed_opts o;
    char url[64], pins[200], msg[MZ_ERR_MSG_LEN];
    long status;

    (void)state;
    start(&p, "compliant", 3, "node");
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    assert_int_equal(status, 200);

    /* the pin alone: the key is the identity */
    o.verify = FED_VERIFY_PIN;
    o.ca_file = NULL;
    o.pins = pin_node;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    assert_int_equal(status, 200);
    /* two pins (a key rollover), the right one second */
    snprintf(pins, sizeof pins, "%s;%s", pin_node2, pin_node);
    o.pins = pins;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    /* a CA file and a pin: both checked, both right */
    o.verify = FED_VERIFY_CA_FILE;
    o.ca_file = tls_file("ca", "pem");
    o.pins = pin_node;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    /* the Bearer token went, and no Accept-Encoding */
    assert_true(h_py_wait(&p, "request GET /taxii2/ auth=bearer enc=none", 2000, NULL, 0));
    /* Basic: user and secret */
    o.auth = FED_AUTH_BASIC;
    o.user = "peer";
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    assert_true(h_py_wait(&p, "request GET /taxii2/ auth=basic", 2000, NULL, 0));
    assert_int_equal(h_py_stop(&p), 0);
}

/* A client certificate is presented when given (the server asks for one). */
static void test_client_certificate(void **state)
{
    const char *args[] = {"--generate", "1", "--cert", tls_file("node", "pem"), "--key", tls_file("node", "key"),
                          "--client-ca", tls_file("ca", "pem"), NULL};
    struct h_py p;
    struct fed_opts o;
    char url[64], msg[MZ_ERR_MSG_LEN];
    long status;

    (void)state;
    h_py_start(&p, SERVER, args);
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    assert_true(h_py_wait(&p, "request GET /taxii2/ auth=bearer enc=none cert=none", 2000, NULL, 0));
    o.client_cert = tls_file("node2", "pem");
    o.client_key = tls_file("node2", "key");
    assert_int_equal(get_once(&o, "/api1/", &status, msg), FED_OK);
    assert_true(h_py_wait(&p, "request GET /api1/ auth=bearer enc=none cert=verified", 2000, NULL, 0));
    assert_int_equal(h_py_stop(&p), 0);
}

/* Options that cannot work are refused before any connection. */
static void test_options_checked(void **state)
{
    struct fed_opts o;
    struct fed_http *h = NULL;
    struct mz_error err;

    (void)state;
    fed_opts_defaults(&o, NULL);
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG); /* no URL */
    o.url = "ftp://127.0.0.1/";
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG);
    o.url = "https://127.0.0.1:1";
    o.verify = FED_VERIFY_CA_FILE;
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG); /* no CA file */
    o.verify = FED_VERIFY_PIN;
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG); /* no pin */
    o.pins = "md5//abc";
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG);
    o.pins = pin_node;
    o.client_cert = tls_file("node", "pem");
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG); /* a certificate without its key */
    o.client_cert = NULL;
    o.auth = FED_AUTH_BEARER;
    o.secret = "two\r\nlines";
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG);
    assert_null(h);
    /* the control: the same, right */
    o.secret = "one-line";
    assert_int_equal(fed_http_new(&o, &h, &err), FED_OK);
    assert_non_null(h);
    fed_http_free(h);
    /* nothing listens on port 1: a transport error, retried, then network */
    o.retries = 2;
    o.backoff_ms = 100;
    o.wait = record_wait;
    n_waits = 0;
    {
        long status;
        char msg[MZ_ERR_MSG_LEN];

        assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_NETWORK);
    }
    assert_int_equal(n_waits, 2);
    assert_true(waits[0] >= 80 && waits[0] <= 120);   /* 100 ms +- 20 % */
    assert_true(waits[1] >= 160 && waits[1] <= 240);  /* doubled */
}

static void test_tls_refusals(void **state)
{
    struct h_py p;
    struct fed_opts o;
    char url[64], msg[MZ_ERR_MSG_LEN];
    long status;

    (void)state;
    start(&p, "compliant", 3, "node");
    peer_opts(&o, &p, 1, url, sizeof url);
    /* a wrong pin, alone and with the right CA */
    o.verify = FED_VERIFY_PIN;
    o.pins = pin_node2;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    assert_int_equal(status, 0);
    o.verify = FED_VERIFY_CA_FILE;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    /* the system CAs do not know the test CA */
    o.verify = FED_VERIFY_SYSTEM;
    o.pins = NULL;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    /* a TLS failure is not retried */
    assert_int_equal(n_waits, 0);
    assert_int_equal(h_py_stop(&p), 0);

    /* a certificate of another CA */
    start(&p, "compliant", 3, "wrong");
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    assert_int_equal(h_py_stop(&p), 0);

    /* an expired certificate of the right CA */
    start(&p, "compliant", 3, "expired");
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    assert_non_null(strstr(msg, "expired"));
    assert_int_equal(h_py_stop(&p), 0);
}

static void test_plain_http(void **state)
{
    struct h_py p;
    struct fed_opts o;
    struct fed_http *h = NULL;
    struct mz_error err;
    char url[64], msg[MZ_ERR_MSG_LEN];
    long status;

    (void)state;
    start(&p, "compliant", 3, "");
    /* an https URL on a plain-HTTP port: the handshake fails */
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_TLS);
    /* an http:// URL without allow_http: refused before any request */
    peer_opts(&o, &p, 0, url, sizeof url);
    o.allow_http = 0;
    assert_int_equal(fed_http_new(&o, &h, &err), FED_CONFIG);
    assert_null(h);
    assert_non_null(strstr(err.msg, "allow-http"));
    /* with it, on loopback: served */
    o.allow_http = 1;
    assert_int_equal(get_once(&o, "/taxii2/", &status, msg), FED_OK);
    assert_int_equal(status, 200);
    assert_true(h_py_wait(&p, "request GET /taxii2/", 2000, NULL, 0));
    /* and an https peer never follows a full http:// URL it is handed */
    peer_opts(&o, &p, 1, url, sizeof url);
    snprintf(url, sizeof url, "https://127.0.0.1:1");
    {
        char full[80];

        snprintf(full, sizeof full, "http://127.0.0.1:%u/taxii2/", p.port);
        assert_int_equal(get_once(&o, full, &status, msg), FED_TLS);
        assert_non_null(strstr(msg, "plain http"));
    }
    assert_int_equal(h_py_stop(&p), 0);
}

/* ---- a compliant collection, walked through the guard ---- */

static void test_walk_compliant(void **state)
{
    struct h_py p;
    struct fed_opts o;
    struct walk *w = calloc(1, sizeof *w);
    char url[64];

    (void)state;
    assert_non_null(w);
    start(&p, "compliant", 25, "node");
    peer_opts(&o, &p, 1, url, sizeof url);
    walk(&o, 1, w);
    assert_int_equal(w->code, FED_OK);
    assert_int_equal(w->pages, 4); /* 7 + 7 + 7 + 4 */
    assert_int_equal(w->objects, 25);
    assert_int_equal(w->uniq, 25);
    /* by added_after (- 1 µs) instead: the same set; each page re-reads the last
     * object of the one before (the tie rule), which is no harm */
    walk(&o, 0, w);
    assert_int_equal(w->code, FED_OK);
    assert_int_equal(w->uniq, 25);
    assert_true(w->pages >= 4);
    assert_int_equal(h_py_stop(&p), 0);
    free(w);
}

static void test_post_answered_202(void **state)
{
    static const char body[] =
        "{\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--11111111-1111-4111-8111-111111111111\","
        "\"modified\":\"2026-01-01T00:00:00.000Z\"}]}";
    struct h_py p;
    struct fed_opts o;
    struct fed_http *h = NULL;
    struct fed_req rq = {"POST", COLL "objects/", body, sizeof body - 1};
    struct fed_resp r = {0};
    struct mz_error err;
    json_t *st;
    char url[64];

    (void)state;
    start(&p, "compliant", 0, "node");
    peer_opts(&o, &p, 1, url, sizeof url);
    assert_int_equal(fed_http_new(&o, &h, &err), FED_OK);
    assert_int_equal(fed_http_request(h, &rq, &r, &err), FED_OK);
    assert_int_equal(r.status, 202);
    assert_int_equal(fed_guard_status(r.status, 202, &err), FED_OK);
    st = json_loadb(r.body, r.len, 0, NULL);
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "complete");
    assert_int_equal(json_integer_value(json_object_get(st, "success_count")), 1);
    json_decref(st);
    assert_true(h_py_wait(&p, "posted 1", 2000, NULL, 0));
    fed_resp_free(&r);
    fed_http_free(h);
    assert_int_equal(h_py_stop(&p), 0);
}

/* ---- hostile peers (10.5): one server, its mode switched per case ---- */

static struct h_py hostile;

/* Start the hostile server (plain HTTP, 30 objects, compliant until told) and make
 * options with small limits for it. */
static void hostile_opts(struct fed_opts *o, char *url, size_t url_len)
{
    start(&hostile, "compliant", 30, "");
    peer_opts(o, &hostile, 0, url, url_len);
    o->page_size = 5;
    o->max_empty_pages = 2;
    o->max_pages_per_run = 6;
    o->max_page_bytes = 1 << 20;
    o->retries = 1;
    o->backoff_ms = 1;
    o->request_timeout_ms = 1500;
    o->low_speed_bytes = 1024;
    o->low_speed_seconds = 1;
}

static void set_mode(const char *mode)
{
    char line[64];

    snprintf(line, sizeof line, "mode %s", mode);
    h_py_cmd(&hostile, line);
    assert_true(h_py_wait(&hostile, line, 5000, NULL, 0));
}

/* Run a walk against the server in mode; assert the code, within bound_ms. */
static void expect(const char *mode, int by_next, const struct fed_opts *o, enum fed_code want, long bound_ms,
                   struct walk *w)
{
    set_mode(mode);
    walk(o, by_next, w);
    if (w->code != want)
        fail_msg("mode %s: %s (%s), not %s", mode, fed_code_name(w->code), w->msg, fed_code_name(want));
    if (w->ms > bound_ms)
        fail_msg("mode %s: took %ld ms (bound %ld)", mode, w->ms, bound_ms);
}

static void test_hostile_pages(void **state)
{
    struct fed_opts o;
    struct walk *w = calloc(1, sizeof *w);
    char url[64];

    (void)state;
    assert_non_null(w);
    hostile_opts(&o, url, sizeof url);
    /* the control: the same server, compliant, walks to the end */
    expect("compliant", 1, &o, FED_OK, 5000, w);
    assert_int_equal(w->uniq, 30);

    /* one next token for every page (medallion's one cursor per query) is no loop */
    expect("repeat_next", 1, &o, FED_OK, 5000, w);
    assert_int_equal(w->uniq, 30);
    expect("repeat_page", 1, &o, FED_REPEATED_PAGE, 5000, w);
    assert_int_equal(w->pages, 1);
    expect("empty_more", 1, &o, FED_EMPTY_PAGES, 5000, w);
    assert_int_equal(w->pages, 2); /* max_empty_pages (2) passed, the third refused */
    expect("endless_more", 1, &o, FED_RUN_LIMIT, 5000, w);
    assert_int_equal(w->pages, 6); /* max_pages_per_run */
    assert_int_equal(w->uniq, 30);
    expect("over_limit", 1, &o, FED_OVER_LIMIT, 5000, w);
    assert_int_equal(w->pages, 0);
    expect("long_next", 1, &o, FED_BAD_HEADER, 5000, w);
    expect("bad_header", 1, &o, FED_BAD_HEADER, 5000, w);
    /* ties: 30 objects with one date_added, paging by added_after - 1 µs: the limit
     * doubles to 20 (4 x 5), which still does not get past the tie */
    expect("ties", 0, &o, FED_NO_PROGRESS, 5000, w);
    assert_int_equal(w->uniq, 20);
    assert_int_equal(h_py_stop(&hostile), 0);
    free(w);
}

static void test_hostile_bodies(void **state)
{
    struct fed_opts o;
    struct walk *w = calloc(1, sizeof *w);
    char url[64];

    (void)state;
    assert_non_null(w);
    hostile_opts(&o, url, sizeof url);
    expect("html_error", 1, &o, FED_CONTENT_TYPE, 5000, w);
    expect("gzip", 1, &o, FED_CONTENT_TYPE, 5000, w);
    expect("bad_json", 1, &o, FED_BAD_JSON, 5000, w);
    expect("json_type", 1, &o, FED_BAD_JSON, 5000, w);
    expect("redirect", 1, &o, FED_REDIRECT, 5000, w);
    /* 16 GiB announced: refused on the header, nothing read */
    expect("huge", 1, &o, FED_TOO_LARGE, 5000, w);
    /* a chunked body without end: cut at max_page_bytes */
    expect("endless_body", 1, &o, FED_TOO_LARGE, 5000, w);
    assert_int_equal(h_py_stop(&hostile), 0);
    free(w);
}

static void test_hostile_status_and_time(void **state)
{
    struct fed_opts o;
    struct walk *w = calloc(1, sizeof *w);
    char url[64];

    (void)state;
    assert_non_null(w);
    hostile_opts(&o, url, sizeof url);
    /* 500: retried sync.retries (1) times, with a backoff wait, then http_5xx */
    expect("status_500", 1, &o, FED_HTTP_5XX, 5000, w);
    assert_int_equal(w->attempts, 2);
    assert_int_equal(n_waits, 1);
    assert_true(waits[0] >= 0 && waits[0] <= 2);
    /* 429 with Retry-After: 2 - the wait is the peer's 2 s, within backoff_max */
    n_waits = 0;
    expect("status_429", 1, &o, FED_HTTP_429, 5000, w);
    assert_int_equal(n_waits, 1);
    assert_int_equal(waits[0], 2000);
    o.backoff_max_ms = 500; /* ... and capped by it */
    n_waits = 0;
    expect("status_429", 1, &o, FED_HTTP_429, 5000, w);
    assert_int_equal(waits[0], 500);
    /* two 500s, then compliant: with two retries the run succeeds */
    o.retries = 2;
    n_waits = 0;
    expect("flaky_500", 1, &o, FED_OK, 5000, w);
    assert_int_equal(n_waits, 2);
    assert_int_equal(w->uniq, 30);
    /* a hang: cut by the request timeout (1.5 s), retried once */
    o.retries = 1;
    n_waits = 0;
    expect("hang", 1, &o, FED_TIMEOUT, 6000, w);
    assert_int_equal(w->attempts, 2);
    /* a drip (5 bytes a second): cut by the speed floor (1024 B/s over 1 s) */
    o.retries = 0;
    o.request_timeout_ms = 20000;
    expect("drip", 1, &o, FED_TIMEOUT, 8000, w);
    /* the caller's stop ends a request at once */
    o.stop = stop_now;
    expect("hang", 1, &o, FED_STOPPED, 2000, w);
    assert_int_equal(h_py_stop(&hostile), 0);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_ca_file_and_pins_accepted),
        cmocka_unit_test(test_tls_refusals),
        cmocka_unit_test(test_plain_http),
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_options_checked),
        cmocka_unit_test(test_walk_compliant),
        cmocka_unit_test(test_post_answered_202),
        cmocka_unit_test(test_hostile_pages),
        cmocka_unit_test(test_hostile_bodies),
        cmocka_unit_test(test_hostile_status_and_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
