/* tests/integ/harness.h - drives a real `mreza` binary for the integration tests:
 * creates a node in a temporary directory with the CLI, starts `mreza serve` on
 * 127.0.0.1 with port 0, reads the bound port from its stdout, waits for /healthz
 * (bounded retries, no bare sleeps), and talks HTTP to it with libcurl. The store
 * file is also opened read-only with SQLite to check counts and integrity from the
 * outside. The binary is $MREZA_BIN (set by tests/run.sh). */
#ifndef MZ_HARNESS_H
#define MZ_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct hnode {
    char dir[256];
    pid_t pid;
    unsigned port;
    char url[64];      /* "http://127.0.0.1:PORT", or https:// when the server said so */
    /* TLS, as h_http's client: h_start_tls sets ca; a test may change any of them
     * between requests (another CA, a pin, a client certificate) */
    char ca[300];      /* CA file the server's certificate must chain to ("": none given) */
    char pin[64];      /* "sha256//…": the server's key must be this one ("": no pin);
                          with ca "", the pin alone is checked (as a pinned peer) */
    char cert[300];    /* client certificate to present, and its key ("": none) */
    char key[300];
};

struct hresp {
    long status;
    char *body;        /* NUL-terminated; freed by hresp_free */
    size_t len;
    char headers[4096];
    int curl_code;     /* libcurl's result (CURLcode): 0, or why there is no status
                          (60 the certificate did not verify, 90 the pin did not match,
                          35 the handshake failed, 52 an empty reply...) */
};

/* A test CA and certificates, made per run with certtool (gnutls-bin) from the
 * templates in tests/data/tls/, ECDSA P-256 keys (mode 0600), in a fresh directory
 * (dir). Files, each NAME.pem with NAME.key: ca (CA 1), node and node2 (signed by
 * CA 1: IP 127.0.0.1, localhost, TLS server and client), expired (CA 1, valid only
 * in January 2020), ca2 (CA 2) and wrong (signed by CA 2). */
struct h_tls {
    char dir[256];
};
void h_tls_ca(struct h_tls *t);
/* dir/NAME.EXT into out (300 bytes); returns out. */
const char *h_tls_file(const struct h_tls *t, const char *name, const char *ext, char *out);
/* Remove the directory (unless MREZA_KEEP_TEST_DATA is set). */
void h_tls_free(struct h_tls *t);

/* Fresh data directory with an initialised store. */
void h_node_init(struct hnode *n);
/* Run the CLI on n's data dir: argv is NULL-terminated, without the binary and
 * without --data. Returns the exit status; *out (may be NULL) gets stdout (free it). */
int h_cli(struct hnode *n, char **out, const char *const *argv);
/* The same, with stderr into *err_out (free it). */
int h_cli_err(struct hnode *n, char **out, char **err_out, const char *const *argv);
void h_add_org(struct hnode *n, const char *name, const char *country, const char *kind);
/* Adds a user and writes its API key into key (at least 64 bytes). */
void h_add_user(struct hnode *n, const char *name, const char *org, const char *role, char *key);
/* Identity id of an org or user ("org"/"user", by name) into out (64 bytes). */
void h_identity(struct hnode *n, const char *what, const char *name, char *out);
/* Start the server with extra "--set k=v" settings (NULL-terminated, may be NULL). */
void h_start(struct hnode *n, const char *const *sets);
/* The same, with the server's stderr (its log) written to log_path (NULL: inherited). */
void h_start_logged(struct hnode *n, const char *const *sets, const char *log_path);
/* The same over TLS: tls.cert and tls.key are t's NAME.pem and NAME.key, and h_http
 * trusts t's ca.pem (n->ca). The start waits for /healthz without verifying the
 * certificate, so a server with a bad one (expired) starts too. */
void h_start_tls(struct hnode *n, const struct h_tls *t, const char *name, const char *const *sets,
                 const char *log_path);
/* Wait until the file at path holds needle at least nth times (a log event), polling
 * up to timeout_ms; 1 if it does, else 0. */
int h_wait_log(const char *path, const char *needle, int nth, int timeout_ms);
/* How many times needle occurs in the file at path (0 if it cannot be read). */
int h_count_in_file(const char *path, const char *needle);
/* Run a program (argv[0] a path or a name looked up in PATH) with stdin /dev/null;
 * returns its exit status (128 + signal if killed); *out (may be NULL) gets its
 * stdout and stderr together (free it). */
int h_run(const char *const *argv, char **out);
/* SIGTERM and wait; returns the server's exit status (nonzero also when a sanitizer
 * reported a leak or an error at exit), or -1 if it was not running. */
int h_stop(struct hnode *n);
void h_kill9(struct hnode *n);
/* Stop if running and remove the data directory; returns h_stop()'s status (-1 when
 * the server was not running). */
int h_node_free(struct hnode *n);
/* A cmocka test, the last of every group that starts `mreza serve`: stops the
 * servers still running and fails unless every server this process stopped with
 * SIGTERM (h_stop, h_node_free) exited with status 0, i.e. without a leak or other
 * sanitizer report at exit. Fails too when none was stopped so. A check in a group
 * teardown would not do: Debian's cmocka 1.1.5 exits 0 when a group teardown fails. */
void h_test_servers_exit_cleanly(void **state);

/* HTTP request to the node; key may be NULL. Returns the status (0 on transport
 * failure). */
long h_http(struct hnode *n, const char *method, const char *path, const char *key,
            const char *body, size_t body_len, struct hresp *r);
/* The same with the request headers given ("Name: value", NULL-terminated; h_http
 * sends "Content-Type: application/json"; "Name:" removes one curl would send). */
long h_http_hdr(struct hnode *n, const char *method, const char *path, const char *key,
                const char *const *headers, const char *body, size_t body_len, struct hresp *r);
void hresp_free(struct hresp *r);
/* 1 if GET /healthz answers 200. */
int h_healthy(struct hnode *n);

/* Raw HTTP/1.1 over a socket, for what libcurl will not do: hold a request after
 * its headers, send bytes libcurl refuses to, open connections from another
 * loopback address. Every wait is bounded (timeout_ms) and waits for an event.
 *
 * h_raw_connect: a TCP connection to the node, from the address from (e.g.
 * "127.0.0.2"; NULL: the kernel's choice, 127.0.0.1). Dies if it cannot connect.
 * h_raw_send: 0, or -1 if the node has closed the connection.
 * h_raw_reply: reads one response: its status (100 for an interim 100 Continue,
 * whose headers are read and nothing more), headers into r->headers and a body of
 * Content-Length bytes into r->body; 0 if the connection closed before a status
 * line, -1 after timeout_ms without one. hresp_free(r) afterwards.
 * h_raw_read_all: every byte until the node closes (NUL-terminated, *len_out);
 * NULL after timeout_ms.
 * h_raw_closed: 1 if the node closes the connection (or resets it) within
 * timeout_ms, reading and dropping what arrives meanwhile; else 0. */
int h_raw_connect(struct hnode *n, const char *from);
int h_raw_send(int fd, const void *data, size_t len);
long h_raw_reply(int fd, int timeout_ms, struct hresp *r);
char *h_raw_read_all(int fd, int timeout_ms, size_t *len_out);
int h_raw_closed(int fd, int timeout_ms);

/* Outside checks on the store file. */
long long h_db_count(struct hnode *n, const char *where_sql);
/* Wait until n's index has taken in every row of the store (its background thread
 * indexes new objects within about a second): polls GET /api/v1/index with key (a
 * node admin's) until no row lies past its generation; fails the test after 10 s. */
void h_wait_indexed(struct hnode *n, const char *key);
/* How many times needle occurs in text (overlapping occurrences count). */
int h_count(const char *text, const char *needle);
int h_db_integrity_ok(struct hnode *n);

/* Read a whole file (tests/data/...) into a NUL-terminated heap buffer. */
char *h_read_file(const char *path, size_t *len_out);

#endif
