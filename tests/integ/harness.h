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
    char url[64];
};

struct hresp {
    long status;
    char *body;        /* NUL-terminated; freed by hresp_free */
    size_t len;
    char headers[4096];
};

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
int h_db_integrity_ok(struct hnode *n);

/* Read a whole file (tests/data/...) into a NUL-terminated heap buffer. */
char *h_read_file(const char *path, size_t *len_out);

#endif
