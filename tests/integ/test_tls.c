/* tests/integ/test_tls.c - `mreza serve` over TLS (docs/federation.md, section 9.1),
 * against real servers on 127.0.0.1, with a CA and certificates made per run by
 * certtool (h_tls_ca: CA 1 with node, node2 and an expired certificate; CA 2 with a
 * "wrong" one):
 *   - a client trusting CA 1 (or pinning the node's key) gets 200, with or without a
 *     client certificate; one trusting only CA 2, or pinning another key, is refused;
 *     plain HTTP to the TLS port gets no HTTP answer; an expired certificate is refused
 *     by a verifying client;
 *   - TLS 1.1 (and 1.0) offered alone fails the handshake, TLS 1.2 and 1.3 succeed
 *     (gnutls-cli: the control that shows the refusal is the server's); serve refuses
 *     priority strings that enable less than TLS 1.2, and applies the one it is given;
 *   - serve refuses a key file others may read, a key that is not the certificate's, a
 *     certificate without a key; a handshake left unfinished is cut off at the header
 *     deadline;
 *   - SIGHUP swaps in a new certificate (seen as its pin on a fresh connection, after
 *     the reload's log event) and a failed reload keeps the old one serving; SIGHUP on
 *     a plain-HTTP node does not stop it;
 *   - clients' certificates: judged by tls_verify_client() on GnuTLS sessions over a
 *     socketpair (right CA, wrong CA, expired, none; after a reload of tls.client_ca),
 *     and through the real server's request log (cert=verified|unverified|none);
 *   - `mreza tls pin` equals the pin OpenSSL computes.
 * Every wait is for an event (a log line, a handshake step), bounded; nothing sleeps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/tls.h"
#include "harness.h"

#define WAIT_MS 15000 /* the most a log event is waited for */

static struct h_tls T;
static struct hnode N;            /* TLS, node.pem, tls.client_ca = CA 1 */
static char n_log[300], admin_key[64];
static char pin_node[64], pin_node2[64], pin_expired[64];

static const char *mreza_bin(void)
{
    const char *b = getenv("MREZA_BIN");
    return b ? b : "build/mreza";
}

static const char *tfile(const char *name, const char *ext)
{
    static char buf[4][300];
    static int k;

    k = (k + 1) % 4;
    return h_tls_file(&T, name, ext, buf[k]);
}

/* `mreza tls pin FILE` into out (64 bytes). */
static void pin_of(const char *path, char *out)
{
    const char *const argv[] = {mreza_bin(), "tls", "pin", path, NULL};
    char *text = NULL;

    assert_int_equal(h_run(argv, &text), 0);
    assert_true(sscanf(text, "%63s", out) == 1);
    free(text);
}

/* Copy src to dst (replacing it by a rename, as an operator's deploy would) with mode. */
static void copy_file(const char *src, const char *dst, mode_t mode)
{
    char tmp[320];
    size_t len = 0;
    char *data = h_read_file(src, &len);
    int fd;

    snprintf(tmp, sizeof tmp, "%s.new", dst);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(rename(tmp, dst), 0);
    free(data);
}

static void write_text(const char *dst, const char *text, mode_t mode)
{
    char tmp[320];
    int fd;

    snprintf(tmp, sizeof tmp, "%s.new", dst);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(rename(tmp, dst), 0);
}

/* GET path on n as it is configured (n->ca, n->pin, n->cert): the status, and the
 * libcurl code into *curl_code (may be NULL). */
static long get(struct hnode *n, const char *path, const char *key, int *curl_code)
{
    struct hresp r;
    long st = h_http(n, "GET", path, key, NULL, 0, &r);

    if (curl_code)
        *curl_code = r.curl_code;
    hresp_free(&r);
    return st;
}

/* A client of N's server with nothing of N's TLS settings: the test sets them. */
static struct hnode client_of(const struct hnode *n)
{
    struct hnode c = *n;

    c.ca[0] = c.pin[0] = c.cert[0] = c.key[0] = '\0';
    return c;
}

static int setup(void **state)
{
    char ca_set[340];
    const char *const sets[] = {"log.level=info", ca_set, NULL};

    (void)state;
    h_tls_ca(&T);
    pin_of(tfile("node", "pem"), pin_node);
    pin_of(tfile("node2", "pem"), pin_node2);
    pin_of(tfile("expired", "pem"), pin_expired);
    h_node_init(&N);
    h_add_org(&N, "al-cert", "AL", "national-csirt");
    h_add_user(&N, "admin@al-cert", "al-cert", "admin", admin_key);
    snprintf(n_log, sizeof n_log, "%s/serve.log", N.dir);
    snprintf(ca_set, sizeof ca_set, "tls.client_ca=%s", tfile("ca", "pem"));
    h_start_tls(&N, &T, "node", sets, n_log);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    h_node_free(&N);
    h_tls_free(&T);
    return 0;
}

/* ---- serving over TLS ---- */

static void test_https_with_the_ca(void **state)
{
    struct hresp r;
    int code = -1;

    (void)state;
    assert_memory_equal(N.url, "https://", 8);
    assert_int_equal(get(&N, "/healthz", NULL, &code), 200);
    assert_int_equal(code, 0);
    /* the API itself, authenticated, over the same TLS: no client certificate needed */
    assert_int_equal(h_http(&N, "GET", "/api/v1/whoami", admin_key, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "admin@al-cert"));
    hresp_free(&r);
    /* pinning the node's key instead of trusting a CA (as a pinned peer does) */
    {
        struct hnode c = client_of(&N);
        snprintf(c.pin, sizeof c.pin, "%s", pin_node);
        assert_int_equal(get(&c, "/healthz", NULL, &code), 200);
    }
}

static void test_plain_http_to_the_tls_port(void **state)
{
    struct hnode c = client_of(&N);
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char *back;
    size_t len = 0;
    int code = 0, fd;

    (void)state;
    snprintf(c.url, sizeof c.url, "http://127.0.0.1:%u", N.port);
    assert_int_equal(get(&c, "/healthz", NULL, &code), 0);
    assert_int_not_equal(code, 0);
    /* byte by byte: whatever comes back, it is no HTTP answer */
    fd = h_raw_connect(&N, NULL);
    assert_int_equal(h_raw_send(fd, req, sizeof req - 1), 0);
    back = h_raw_read_all(fd, WAIT_MS, &len);
    assert_non_null(back); /* the node closed the connection */
    assert_null(strstr(back, "HTTP/"));
    assert_null(strstr(back, "status"));
    free(back);
    close(fd);
    assert_int_equal(get(&N, "/healthz", NULL, NULL), 200);
}

static void test_other_ca_and_other_pin_refused(void **state)
{
    struct hnode c = client_of(&N);
    int code = 0;

    (void)state;
    snprintf(c.ca, sizeof c.ca, "%s", tfile("ca2", "pem"));
    assert_int_equal(get(&c, "/healthz", NULL, &code), 0);
    assert_int_equal(code, 60); /* CURLE_PEER_FAILED_VERIFICATION */
    c.ca[0] = '\0';
    snprintf(c.pin, sizeof c.pin, "%s", pin_node2); /* a key of the right CA, but not this node's */
    assert_int_equal(get(&c, "/healthz", NULL, &code), 0);
    assert_int_equal(code, 90); /* CURLE_SSL_PINNEDPUBKEYNOTMATCH */
    /* the control: the same client with the right CA */
    snprintf(c.ca, sizeof c.ca, "%s", tfile("ca", "pem"));
    c.pin[0] = '\0';
    assert_int_equal(get(&c, "/healthz", NULL, &code), 200);
}

static void test_expired_certificate_refused(void **state)
{
    struct hnode e;
    struct hnode c;
    char log[300];
    const char *const sets[] = {"log.level=info", NULL};
    int code = 0;

    (void)state;
    h_node_init(&e);
    snprintf(log, sizeof log, "%s/serve.log", e.dir);
    h_start_tls(&e, &T, "expired", sets, log); /* serve starts with it, and warns */
    assert_true(h_wait_log(log, "event=tls_cert_expired", 1, WAIT_MS));
    assert_int_equal(get(&e, "/healthz", NULL, &code), 0);
    assert_int_equal(code, 60);
    /* the control: the server answers whoever does not check the dates (its pin) */
    c = client_of(&e);
    snprintf(c.pin, sizeof c.pin, "%s", pin_expired);
    assert_int_equal(get(&c, "/healthz", NULL, &code), 200);
    assert_int_equal(h_node_free(&e), 0);
}

/* gnutls-cli offering only the versions in prio; its exit status (0: handshake done).
 * The output is kept in *out (may be NULL). */
static int gnutls_cli(unsigned port, const char *prio, char **out)
{
    char p[16];
    const char *const argv[] = {"gnutls-cli", "--x509cafile", tfile("ca", "pem"), "--priority", prio, "-p", p,
                                "127.0.0.1", NULL};

    snprintf(p, sizeof p, "%u", port);
    return h_run(argv, out);
}

static void test_tls11_refused(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_not_equal(gnutls_cli(N.port, "NORMAL:-VERS-ALL:+VERS-TLS1.1", &out), 0);
    assert_null(strstr(out, "Handshake was completed"));
    free(out);
    assert_int_not_equal(gnutls_cli(N.port, "NORMAL:-VERS-ALL:+VERS-TLS1.0", NULL), 0);
    /* the controls: the same tool, the same CA, a version the node serves */
    assert_int_equal(gnutls_cli(N.port, "NORMAL:-VERS-ALL:+VERS-TLS1.2", &out), 0);
    assert_non_null(strstr(out, "Handshake was completed"));
    free(out);
    assert_int_equal(gnutls_cli(N.port, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL), 0);
}

/* `mreza serve` with these settings (and a bound: `timeout`) on a fresh node: its
 * exit status; stderr into *err_out. Used for settings serve must refuse. */
static int serve_refusal(const char *const *sets, char **err_out)
{
    struct hnode n;
    const char *argv[40];
    int k = 0, rc;

    h_node_init(&n);
    argv[k++] = "timeout";
    argv[k++] = "30";
    argv[k++] = mreza_bin();
    argv[k++] = "serve";
    argv[k++] = "--data";
    argv[k++] = n.dir;
    argv[k++] = "--listen";
    argv[k++] = "127.0.0.1:0";
    for (int i = 0; sets[i] && k < 36; i++) {
        argv[k++] = "--set";
        argv[k++] = sets[i];
    }
    argv[k] = NULL;
    rc = h_run(argv, err_out);
    h_node_free(&n);
    return rc;
}

static void refused(const char *const *sets, const char *names, const char *names2)
{
    char *out = NULL;
    int rc = serve_refusal(sets, &out);

    if (rc != 1 || !strstr(out, names) || (names2 && !strstr(out, names2)))
        fail_msg("serve with %s: status %d (want 1), output lacks '%s' / '%s': %s", sets[0], rc, names,
                 names2 ? names2 : "", out);
    free(out);
}

static void test_priorities_below_tls12_refused(void **state)
{
    char cert[340], key[340], log[300];
    const char *sets[4] = {cert, key, NULL, NULL};
    struct hnode t13;
    const char *const only13[] = {"tls.priorities=NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL};

    (void)state;
    snprintf(cert, sizeof cert, "tls.cert=%s", tfile("node", "pem"));
    snprintf(key, sizeof key, "tls.key=%s", tfile("node", "key"));
    sets[2] = "tls.priorities=NORMAL:-VERS-ALL:+VERS-TLS1.1";
    refused(sets, "tls.priorities", "TLS1.1");
    sets[2] = "tls.priorities=NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.0";
    refused(sets, "tls.priorities", "TLS1.0");
    sets[2] = "tls.priorities=NORMAL:-VERS-ALL:+VERS-DTLS1.2";
    refused(sets, "tls.priorities", "neither TLS 1.2 nor 1.3");
    sets[2] = "tls.priorities=NORMAL:+NO-SUCH-THING";
    refused(sets, "tls.priorities", "cannot read");
    /* the one given is the one served: TLS 1.3 only refuses a TLS 1.2 client */
    h_node_init(&t13);
    snprintf(log, sizeof log, "%s/serve.log", t13.dir);
    h_start_tls(&t13, &T, "node", only13, log);
    assert_int_not_equal(gnutls_cli(t13.port, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL), 0);
    assert_int_equal(gnutls_cli(t13.port, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL), 0);
    assert_int_equal(h_node_free(&t13), 0);
}

static void test_key_and_certificate_checked(void **state)
{
    char cert[340], key[340], ca[340], open_key[300];
    const char *sets[4] = {cert, key, NULL, NULL};
    struct hnode ok;

    (void)state;
    snprintf(open_key, sizeof open_key, "%s/open.key", T.dir);
    snprintf(cert, sizeof cert, "tls.cert=%s", tfile("node", "pem"));
    snprintf(key, sizeof key, "tls.key=%s", open_key);
    copy_file(tfile("node", "key"), open_key, 0644);
    refused(sets, "tls.key", "chmod 600");
    assert_int_equal(chmod(open_key, 0640), 0); /* a group may not read it either */
    refused(sets, "tls.key", "mode 0640");
    assert_int_equal(chmod(open_key, 0600), 0);
    snprintf(key, sizeof key, "tls.key=%s", tfile("node2", "key"));
    refused(sets, "tls.key", "is not the key of the certificate");
    copy_file(tfile("node", "pem"), open_key, 0600); /* a certificate where the key should be */
    snprintf(key, sizeof key, "tls.key=%s", open_key);
    refused(sets, "tls.key", "no unencrypted PEM private key");
    snprintf(key, sizeof key, "tls.key=%s", tfile("node", "key"));
    snprintf(cert, sizeof cert, "tls.cert=%s", tfile("node", "key"));
    refused(sets, "tls.cert", "no PEM certificate chain");
    snprintf(cert, sizeof cert, "tls.cert=%s/missing.pem", T.dir);
    refused(sets, "tls.cert", "cannot open");
    sets[1] = NULL; /* a certificate without its key */
    snprintf(cert, sizeof cert, "tls.cert=%s", tfile("node", "pem"));
    refused(sets, "tls.key", "needs both tls.cert and tls.key");
    snprintf(ca, sizeof ca, "tls.client_ca=%s", tfile("ca", "pem"));
    sets[0] = ca; /* client CAs without TLS */
    refused(sets, "tls.cert", "needs both tls.cert and tls.key");
    /* the control: the key, private again, with its certificate */
    h_node_init(&ok);
    h_start_tls(&ok, &T, "node", NULL, NULL);
    assert_int_equal(get(&ok, "/healthz", NULL, NULL), 200);
    assert_int_equal(h_node_free(&ok), 0);
}

/* A client that connects and never finishes its handshake is cut off at the header
 * deadline, as one that never finishes its headers (slowloris over TLS). */
static void test_handshake_deadline(void **state)
{
    struct hnode d;
    const char *const sets[] = {"http.header_timeout=1", NULL};
    const char hello_start[] = "\x16\x03\x01"; /* the first bytes of a ClientHello, and no more */
    char log[300];
    int fd;

    (void)state;
    h_node_init(&d);
    snprintf(log, sizeof log, "%s/serve.log", d.dir);
    h_start_tls(&d, &T, "node", sets, log);
    fd = h_raw_connect(&d, NULL);
    assert_int_equal(h_raw_send(fd, hello_start, sizeof hello_start - 1), 0);
    assert_true(h_raw_closed(fd, WAIT_MS)); /* closed by the node, within the bound */
    close(fd);
    assert_true(h_wait_log(log, "event=header_timeout", 1, WAIT_MS));
    assert_int_equal(get(&d, "/healthz", NULL, NULL), 200);
    assert_int_equal(h_node_free(&d), 0);
}

/* ---- reload on SIGHUP ---- */

/* The pin a fresh connection to n sees: pinned is accepted, other refused (90). */
static void serves_pin(const struct hnode *n, const char *pinned, const char *other)
{
    struct hnode c = client_of(n);
    int code = -1;

    snprintf(c.pin, sizeof c.pin, "%s", pinned);
    if (get(&c, "/healthz", NULL, &code) != 200)
        fail_msg("port %u: pinning %s was refused (curl %d)", n->port, pinned, code);
    snprintf(c.pin, sizeof c.pin, "%s", other);
    assert_int_equal(get(&c, "/healthz", NULL, &code), 0);
    assert_int_equal(code, 90);
}

static void hup(struct hnode *n)
{
    assert_int_equal(kill(n->pid, SIGHUP), 0);
}

static void test_sighup_reloads(void **state)
{
    struct hnode r;
    char log[300], expect[128];
    const char *const sets[] = {"log.level=info", NULL};
    int failed = 0;

    (void)state;
    /* the node's files are copies, "live", which the test replaces */
    copy_file(tfile("node", "pem"), tfile("live", "pem"), 0644);
    copy_file(tfile("node", "key"), tfile("live", "key"), 0600);
    h_node_init(&r);
    snprintf(log, sizeof log, "%s/serve.log", r.dir);
    h_start_tls(&r, &T, "live", sets, log);
    serves_pin(&r, pin_node, pin_node2);

    /* a new certificate and key: served from the reload's log line on */
    copy_file(tfile("node2", "pem"), tfile("live", "pem"), 0644);
    copy_file(tfile("node2", "key"), tfile("live", "key"), 0600);
    hup(&r);
    snprintf(expect, sizeof expect, "event=tls_reload pin=\"%s\"", pin_node2);
    assert_true(h_wait_log(log, expect, 1, WAIT_MS));
    serves_pin(&r, pin_node2, pin_node);

    /* refused reloads keep node2 serving, each logged with the setting at fault */
    write_text(tfile("live", "pem"), "not a certificate\n", 0644);
    hup(&r);
    assert_true(h_wait_log(log, "event=tls_reload_failed", ++failed, WAIT_MS));
    assert_int_equal(h_count_in_file(log, "event=tls_reload_failed setting=tls.cert"), 1);
    serves_pin(&r, pin_node2, pin_node);
    copy_file(tfile("node", "pem"), tfile("live", "pem"), 0644); /* node's certificate, node2's key */
    hup(&r);
    assert_true(h_wait_log(log, "event=tls_reload_failed", ++failed, WAIT_MS));
    assert_true(h_count_in_file(log, "is not the key of the certificate") == 1);
    serves_pin(&r, pin_node2, pin_node);
    copy_file(tfile("node", "key"), tfile("live", "key"), 0644); /* the right key, readable by all */
    hup(&r);
    assert_true(h_wait_log(log, "event=tls_reload_failed", ++failed, WAIT_MS));
    assert_int_equal(h_count_in_file(log, "event=tls_reload_failed setting=tls.key"), 2);
    assert_int_equal(h_count_in_file(log, "chmod 600"), 1);
    serves_pin(&r, pin_node2, pin_node);

    /* fixed: served again */
    assert_int_equal(chmod(tfile("live", "key"), 0600), 0);
    hup(&r);
    snprintf(expect, sizeof expect, "event=tls_reload pin=\"%s\"", pin_node);
    assert_true(h_wait_log(log, expect, 1, WAIT_MS));
    serves_pin(&r, pin_node, pin_node2);
    assert_int_equal(h_count_in_file(log, "event=tls_reload_failed"), failed);
    assert_int_equal(h_node_free(&r), 0);
}

static void test_sighup_on_plain_http(void **state)
{
    struct hnode p;
    char log[300];
    const char *const sets[] = {"log.level=info", NULL};

    (void)state;
    h_node_init(&p);
    snprintf(log, sizeof log, "%s/serve.log", p.dir);
    h_start_logged(&p, sets, log);
    assert_memory_equal(p.url, "http://", 7);
    hup(&p);
    assert_true(h_wait_log(log, "event=reload msg=\"TLS is off", 1, WAIT_MS));
    assert_true(h_healthy(&p));
    assert_int_equal(h_node_free(&p), 0);
}

/* ---- clients' certificates ---- */

/* The certificate a test client presents, whatever CAs the server names. */
struct client_creds {
    gnutls_pcert_st pcert;
    gnutls_privkey_t key;
    int have;
};

static int client_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int n_req, const gnutls_pk_algorithm_t *algos,
                           int n_algos, gnutls_pcert_st **pcert, unsigned *n_pcert, gnutls_privkey_t *key)
{
    struct client_creds *cc = gnutls_session_get_ptr(s);

    (void)req_ca_dn;
    (void)n_req;
    (void)algos;
    (void)n_algos;
    *n_pcert = cc->have ? 1 : 0;
    *pcert = cc->have ? &cc->pcert : NULL;
    *key = cc->have ? cc->key : NULL;
    return 0;
}

static int server_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int n_req, const gnutls_pk_algorithm_t *algos,
                           int n_algos, gnutls_pcert_st **pcert, unsigned *n_pcert, gnutls_privkey_t *key)
{
    (void)req_ca_dn;
    (void)n_req;
    (void)algos;
    (void)n_algos;
    return tls_server_retrieve(gnutls_session_get_ptr(s), pcert, n_pcert, key);
}

static void load_client(struct client_creds *cc, const char *name)
{
    gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};

    memset(cc, 0, sizeof *cc);
    if (!name)
        return;
    assert_true(gnutls_load_file(tfile(name, "pem"), &cert) >= 0);
    assert_true(gnutls_load_file(tfile(name, "key"), &key) >= 0);
    assert_true(gnutls_pcert_import_x509_raw(&cc->pcert, &cert, GNUTLS_X509_FMT_PEM, 0) >= 0);
    assert_true(gnutls_privkey_init(&cc->key) >= 0);
    assert_true(gnutls_privkey_import_x509_raw(cc->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) >= 0);
    gnutls_free(cert.data);
    gnutls_free(key.data);
    cc->have = 1;
}

static void free_client(struct client_creds *cc)
{
    if (!cc->have)
        return;
    gnutls_pcert_deinit(&cc->pcert);
    gnutls_privkey_deinit(cc->key);
}

/* A handshake between a client presenting name's certificate (NULL: none) and a
 * server on t's credentials that requests one, over a socketpair in this thread (both
 * sides non-blocking, stepped in turn until both are done); then t's judgement of the
 * client's certificate. */
static void handshake_and_judge(struct tls_server *t, const char *name, struct tls_client_cert *out)
{
    int sv[2], rs = GNUTLS_E_AGAIN, rc = GNUTLS_E_AGAIN, steps = 0;
    gnutls_session_t srv = NULL, cli = NULL;
    gnutls_certificate_credentials_t scred = NULL, ccred = NULL;
    struct client_creds cc;
    struct mz_error err;

    load_client(&cc, name);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_true(gnutls_certificate_allocate_credentials(&scred) >= 0);
    assert_true(gnutls_certificate_allocate_credentials(&ccred) >= 0);
    gnutls_certificate_set_retrieve_function2(scred, server_retrieve);
    gnutls_certificate_set_retrieve_function2(ccred, client_retrieve);
    assert_true(gnutls_init(&srv, GNUTLS_SERVER | GNUTLS_NONBLOCK) >= 0);
    assert_true(gnutls_init(&cli, GNUTLS_CLIENT | GNUTLS_NONBLOCK) >= 0);
    assert_true(gnutls_priority_set_direct(srv, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL) >= 0);
    assert_true(gnutls_set_default_priority(cli) >= 0);
    gnutls_credentials_set(srv, GNUTLS_CRD_CERTIFICATE, scred);
    gnutls_credentials_set(cli, GNUTLS_CRD_CERTIFICATE, ccred);
    gnutls_certificate_server_set_request(srv, GNUTLS_CERT_REQUEST); /* what libmicrohttpd does */
    gnutls_session_set_ptr(srv, t);
    gnutls_session_set_ptr(cli, &cc);
    gnutls_transport_set_int(srv, sv[0]);
    gnutls_transport_set_int(cli, sv[1]);
    while ((rs == GNUTLS_E_AGAIN || rc == GNUTLS_E_AGAIN) && steps++ < 1000) {
        if (rc == GNUTLS_E_AGAIN)
            rc = gnutls_handshake(cli);
        if (rs == GNUTLS_E_AGAIN)
            rs = gnutls_handshake(srv);
    }
    if (rs != 0 || rc != 0)
        fail_msg("handshake with %s: server %s, client %s", name ? name : "no certificate", gnutls_strerror(rs),
                 gnutls_strerror(rc));
    mz_error_clear(&err);
    assert_int_equal(tls_verify_client(t, srv, out, &err), MZ_OK);
    gnutls_deinit(srv);
    gnutls_deinit(cli);
    gnutls_certificate_free_credentials(scred);
    gnutls_certificate_free_credentials(ccred);
    close(sv[0]);
    close(sv[1]);
    free_client(&cc);
}

static void test_client_certificates_judged(void **state)
{
    struct mz_conf c;
    struct tls_server *t = NULL;
    struct tls_client_cert out;
    struct mz_error err;
    char client_ca[300];

    (void)state;
    mz_conf_defaults(&c);
    snprintf(client_ca, sizeof client_ca, "%s/client_ca.pem", T.dir);
    copy_file(tfile("ca", "pem"), client_ca, 0644);
    snprintf(c.tls_cert, sizeof c.tls_cert, "%s", tfile("node", "pem"));
    snprintf(c.tls_key, sizeof c.tls_key, "%s", tfile("node", "key"));
    snprintf(c.tls_client_ca, sizeof c.tls_client_ca, "%s", client_ca);
    mz_error_clear(&err);
    assert_int_equal(tls_server_new(&c, &t, &err), MZ_OK);
    assert_int_equal(tls_server_wants_client_cert(t), 1);

    handshake_and_judge(t, "node2", &out); /* CA 1's, valid, for TLS clients */
    assert_int_equal(out.state, TLS_CLIENT_VERIFIED);
    assert_string_equal(out.pin, pin_node2);
    assert_non_null(strstr(out.subject, "mreza test node"));
    handshake_and_judge(t, "wrong", &out); /* CA 2's */
    assert_int_equal(out.state, TLS_CLIENT_UNVERIFIED);
    assert_non_null(strstr(out.why, "issuer"));
    assert_int_equal(out.pin[0], 's'); /* the pin is known even so: a peer's pinned key may match it */
    handshake_and_judge(t, "expired", &out); /* CA 1's, expired */
    assert_int_equal(out.state, TLS_CLIENT_UNVERIFIED);
    assert_non_null(strstr(out.why, "expired"));
    assert_string_equal(out.pin, pin_expired);
    handshake_and_judge(t, NULL, &out);
    assert_int_equal(out.state, TLS_CLIENT_NONE);
    assert_string_equal(out.pin, "");

    /* tls.client_ca reloaded: CA 2 now, and only CA 2 */
    copy_file(tfile("ca2", "pem"), client_ca, 0644);
    assert_int_equal(tls_server_reload(t, &err), MZ_OK);
    handshake_and_judge(t, "wrong", &out);
    assert_int_equal(out.state, TLS_CLIENT_VERIFIED);
    handshake_and_judge(t, "node2", &out);
    assert_int_equal(out.state, TLS_CLIENT_UNVERIFIED);
    /* a refused reload (no CA in the file) keeps CA 2 */
    write_text(client_ca, "nothing\n", 0644);
    assert_int_equal(tls_server_reload(t, &err), MZ_EINVAL);
    assert_string_equal(err.field, "tls.client_ca");
    handshake_and_judge(t, "wrong", &out);
    assert_int_equal(out.state, TLS_CLIENT_VERIFIED);
    tls_server_free(t);

    /* no tls.client_ca: a certificate is never trusted */
    c.tls_client_ca[0] = '\0';
    assert_int_equal(tls_server_new(&c, &t, &err), MZ_OK);
    assert_int_equal(tls_server_wants_client_cert(t), 0);
    handshake_and_judge(t, "node2", &out);
    assert_int_equal(out.state, TLS_CLIENT_UNVERIFIED);
    assert_non_null(strstr(out.why, "no tls.client_ca"));
    tls_server_free(t);
}

/* Through the real server: its request log says what it made of each client's
 * certificate (N requests them: tls.client_ca = CA 1); every client gets 200. */
static void cert_logged(const char *name, const char *expect, const char *pin)
{
    struct hnode c = N;
    struct hresp r;
    char id[64] = "", needle[256];
    const char *h;
    char *log, *line, *end;

    if (name) {
        snprintf(c.cert, sizeof c.cert, "%s", tfile(name, "pem"));
        snprintf(c.key, sizeof c.key, "%s", tfile(name, "key"));
    }
    assert_int_equal(h_http(&c, "GET", "/healthz", NULL, NULL, 0, &r), 200);
    h = strstr(r.headers, "X-Request-Id: ");
    assert_non_null(h);
    assert_true(sscanf(h + 14, "%63[0-9a-f]", id) == 1);
    hresp_free(&r);
    snprintf(needle, sizeof needle, "req=%s ", id);
    assert_true(h_wait_log(n_log, needle, 1, WAIT_MS));
    log = h_read_file(n_log, NULL);
    line = strstr(log, needle);
    end = strchr(line, '\n');
    if (end)
        *end = '\0';
    if (!strstr(line, expect))
        fail_msg("%s: the log line lacks '%s': %s", name ? name : "no certificate", expect, line);
    if (pin) {
        snprintf(needle, sizeof needle, "cert_pin=\"%s\"", pin);
        assert_non_null(strstr(line, needle));
    }
    free(log);
}

static void test_client_certificates_in_the_log(void **state)
{
    (void)state;
    cert_logged(NULL, " cert=none", NULL);
    cert_logged("node2", " cert=verified ", pin_node2);
    cert_logged("wrong", " cert=unverified ", NULL);
    cert_logged("expired", " cert=unverified ", pin_expired);
}

/* ---- mreza tls pin ---- */

static void test_tls_pin(void **state)
{
    char cmd[1024], *out = NULL, der[300], pin[64];
    const char *sh[] = {"sh", "-c", cmd, NULL};
    const char *to_der[] = {"openssl", "x509", "-in", tfile("node", "pem"), "-outform", "der", "-out", der, NULL};
    const char *not_cert[] = {mreza_bin(), "tls", "pin", tfile("node", "key"), NULL};
    const char *missing[] = {mreza_bin(), "tls", "pin", "/nonexistent/x.pem", NULL};

    (void)state;
    /* what OpenSSL computes for the same certificate (docs/federation.md, 9.1) */
    snprintf(cmd, sizeof cmd,
             "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin -outform der | "
             "openssl dgst -sha256 -binary | base64",
             tfile("node", "pem"));
    assert_int_equal(h_run(sh, &out), 0);
    assert_memory_equal(pin_node, "sha256//", 8);
    assert_int_equal(strlen(pin_node), 8 + 44);
    assert_memory_equal(out, pin_node + 8, 44);
    free(out);
    /* the DER form of the certificate gives the same */
    snprintf(der, sizeof der, "%s/node.der", T.dir);
    assert_int_equal(h_run(to_der, NULL), 0);
    pin_of(der, pin);
    assert_string_equal(pin, pin_node);
    assert_string_not_equal(pin_node, pin_node2);
    /* what is not a certificate */
    assert_int_equal(h_run(not_cert, &out), 1);
    assert_non_null(strstr(out, "no X.509 certificate"));
    free(out);
    assert_int_equal(h_run(missing, &out), 1);
    assert_non_null(strstr(out, "cannot open /nonexistent/x.pem"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https_with_the_ca),
        cmocka_unit_test(test_plain_http_to_the_tls_port),
        cmocka_unit_test(test_other_ca_and_other_pin_refused),
        cmocka_unit_test(test_expired_certificate_refused),
        cmocka_unit_test(test_tls11_refused),
        cmocka_unit_test(test_priorities_below_tls12_refused),
        cmocka_unit_test(test_key_and_certificate_checked),
        cmocka_unit_test(test_handshake_deadline),
        cmocka_unit_test(test_sighup_reloads),
        cmocka_unit_test(test_sighup_on_plain_http),
        cmocka_unit_test(test_client_certificates_judged),
        cmocka_unit_test(test_client_certificates_in_the_log),
        cmocka_unit_test(test_tls_pin),
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
