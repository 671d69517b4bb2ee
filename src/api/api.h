/* api/api.h - internals shared by the files of the HTTP API layer.
 * http.c owns the libmicrohttpd daemon and one struct api_req per request (its
 * admission on the headers, its body, its log line); http_client.c one struct
 * api_conn per connection (who the client is, the per-client limit, the header
 * deadline); route.c picks a handler and refuses on the headers what it would refuse
 * anyway; api_*.c handlers translate HTTP and JSON into domain calls (svc_*) and
 * their results back. Nothing here knows SQL; nothing below knows HTTP. */
#ifndef MZ_API_H
#define MZ_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "node/gate.h"
#include "node/node.h"
#include "obs/ip.h"
#include "rules/principal.h"
#include "util/buf.h"
#include "util/err.h"

struct api_conn;
struct api_stream;
struct api_req;
struct tls_server;
struct tls_client_cert;

typedef enum MHD_Result (*api_handler)(struct api_req *r);

/* The server: one per `mreza serve` (http.c). */
struct http_server {
    struct MHD_Daemon *daemon;
    struct node *node;
    struct gate *gate;            /* body bytes in flight, per-client counts, deadlines */
    struct ip_net *proxies;       /* http.trusted_proxies */
    size_t n_proxies;
    unsigned port;
    struct tls_server *tls;       /* TLS credentials (tls.c), or NULL: plain HTTP */
};

#define API_ADDR_LEN (IP_V6_TEXT_MAX + 1)
#define API_CLIENT_LEN 48 /* a client as the per-client limits count it ("2001:db8:1:2::/64") */

#define API_MAX_SEGS 2 /* '*' segments in one route's path */

/* What one client holds of a budget that every client shares (bytes of request
 * bodies, export connections): counted against its address (r->client_id, as the
 * connection limit counts it), its user once authenticated, and its organisation
 * (every unauthenticated client together counts as one, "public", with a share of
 * its own for exports), each up to its share, and against the budget itself, all at once (gate_claim_take), which keeps
 * a reserve for clients holding nothing (http_client.c). It lives as long as what
 * it holds (a request's body, an export stream), which may outlive the request. */
struct http_share {
    struct gate *gate;
    char addr_key[GATE_KEY_LEN];   /* "body 192.0.2.7" */
    char user_key[GATE_KEY_LEN];   /* "body user 12", or "" for an unauthenticated client */
    char org_key[GATE_KEY_LEN];    /* "body org 3", or "body public" */
    char budget_key[GATE_KEY_LEN]; /* "export all", or "" for the gate's bytes of bodies */
    size_t per_client, per_org;    /* the shares of an address or user, and of an organisation */
    size_t budget, reserve;        /* the budget, and its part kept for clients holding nothing */
    size_t held;
};

enum http_share_rc {
    HTTP_SHARE_OK = 0,
    HTTP_SHARE_ADDR,  /* the client's address already holds its share */
    HTTP_SHARE_USER,  /* the user does (from any address) */
    HTTP_SHARE_ORG,   /* the user's organisation does (every user, every address) */
    HTTP_SHARE_BUDGET /* the budget is full (or all but its reserve, for a client holding something) */
};

/* The deadlines of a connection's current phase, one at a time (http_client.c). */
enum http_deadline {
    HTTP_DEADLINE_NONE = 0, /* none (the body has arrived; the handler runs) */
    HTTP_DEADLINE_BODY,     /* the request's body must arrive (http.body_timeout) */
    HTTP_DEADLINE_EXPORT    /* the export must be sent (http.export_timeout) */
};

struct api_req {
    struct node *node;
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct api_conn *ac;      /* the connection's state (http_client.c); NULL if none */
    const char *method;       /* borrowed from libmicrohttpd for the request's life; NULL
                                 until the headers are complete */
    const char *uri_raw;      /* the request target as received (libmicrohttpd's buffer) */
    size_t uri_len_raw;       /* its length then, up to a NUL byte; (size_t)-1 if none */
    char path[1024];
    char client[API_ADDR_LEN];      /* the client's address, for the log ("-" unknown) */
    char client_key[API_CLIENT_LEN]; /* counted for this request (through a proxy), or "" */
    char client_id[API_CLIENT_LEN];  /* the client as the per-client limits count it: its
                                       address (an IPv6 one: its /64), through a trusted
                                       proxy the forwarded one; "local" when unknown */
    /* the body: admitted on the headers (route_admit), then read */
    api_handler handler;      /* the route's, once admitted */
    int takes_body;           /* the route reads a body (POST) */
    struct mz_buf body;       /* request body, capped at http.max_body */
    struct http_share body_share; /* bytes of bodies held: the client's, its user's, its organisation's, the budget's */
    int length_given;         /* the body's size was announced (Content-Length) */
    int refused;              /* refused while the body arrived: the rest is drained */
    struct mz_error refusal;  /* ... and this is the reply, once it has */
    size_t drained;           /* bytes of a refused body read and dropped */
    int responded;
    struct principal who;     /* ROLE_NONE until authenticated */
    char req_id[17];
    uint64_t start_ns;
    unsigned status;          /* for the log line */
    size_t bytes_out;
    struct api_stream *stream;/* a streamed reply in progress, or NULL */
    const char *route_arg;    /* text after a route prefix (e.g. the object id) */
    const char *route_seg[API_MAX_SEGS]; /* the path segments a route's '*'s matched, */
    size_t route_seg_len[API_MAX_SEGS];  /* in r->path (not NUL-terminated) */
    char tlp_header[64];      /* X-Mreza-TLP value for single-object replies, or "" */
    char submitted_by_header[STORE_IDENT_LEN + STORE_NAME_LEN + 8]; /* X-Mreza-Submitted-By, or "" */
    char allow[64];           /* Allow header of a 405 reply (route.c), or "" */
    char taxii_first[32];     /* X-TAXII-Date-Added-First of a TAXII page, or "" */
    char taxii_last[32];      /* X-TAXII-Date-Added-Last, or "" */
};

/* A reply written as it is sent (api_reply_stream): libmicrohttpd asks read() for
 * the next bytes whenever the socket can take them, and free() once the reply is
 * over, sent whole or not. */
#define API_STREAM_END (-1L)   /* read(): the reply is complete */
#define API_STREAM_ERROR (-2L) /* read(): it cannot be finished; the connection is closed
                                  so that the client sees an incomplete transfer */
struct api_stream {
    long (*read)(struct api_stream *s, char *buf, size_t max); /* bytes (0..max) or the above */
    void (*free)(struct api_stream *s);
    struct api_req *r;        /* the request while it lives (http.c keeps this), else NULL */
};

/* The most bytes a reply body may take (http.max_reply): every buffer a handler
 * fills from stored or received data is created with this limit. */
size_t api_reply_limit(const struct api_req *r);
/* Queue a response. body is taken over (b is left empty). A body whose buffer latched
 * an error (a failed append, mz_buf_status) is never sent: the client gets a JSON
 * error instead (413 when the reply outgrew http.max_reply, 503 out of memory).
 * Returns an MHD_Result. */
enum MHD_Result api_reply(struct api_req *r, unsigned status, struct mz_buf *b,
                          const char *content_type);
/* Queue a streamed reply (chunked transfer encoding). s is taken over: freed through
 * s->free when the reply ends, or at once if it cannot be queued. */
enum MHD_Result api_reply_stream(struct api_req *r, unsigned status, struct api_stream *s,
                                 const char *content_type);
/* JSON error body {"error":{"status","message","field"}} with the status for e->code. */
enum MHD_Result api_reply_error(struct api_req *r, const struct mz_error *e);
/* Shortcut: build the error from code and a message. */
enum MHD_Result api_fail(struct api_req *r, enum mz_err code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The media type of every TAXII 2.1 reply (docs/federation.md section 8.2). */
#define API_TAXII_TYPE "application/taxii+json;version=2.1"
/* 1 if r is on a TAXII route (/taxii2/...): its errors are TAXII error objects. */
int api_is_taxii(const struct api_req *r);
/* The HTTP status for an error code (one table). */
unsigned api_status_of(enum mz_err code);
/* Query parameter value or NULL. */
const char *api_arg(struct api_req *r, const char *name);
/* How many times the query string gives parameter name (TAXII: twice is 400). */
int api_arg_count(struct api_req *r, const char *name);

/* Segment i that a route's '*' matched into out (cap bytes, NUL-terminated); 0, or
 * -1 when it does not fit (then out is ""). */
int api_seg(const struct api_req *r, int i, char *out, size_t cap);

/* The request's body as a JSON object into *out (the caller json_decref()s it). An
 * empty body is {} when empty_ok. Every member must be named in allowed (a
 * NULL-terminated list): a misspelt member ("expire") is refused, never ignored.
 * MZ_EINVAL with the reason otherwise. */
enum mz_err api_json_body(struct api_req *r, int empty_ok, const char *const *allowed, json_t **out,
                          struct mz_error *err);
/* Member key of o as a string into *out (NULL when absent and not required). */
enum mz_err api_json_str(json_t *o, const char *key, int required, const char **out, struct mz_error *err);
/* A user's JSON {"name","role","identity","disabled"[,"org"]}. */
void api_put_user(struct mz_buf *b, const struct store_user *u, const char *org_name);
/* A key's JSON (what domain/svc.h shows of it; never the key itself). */
struct svc_key_view;
void api_put_key(struct mz_buf *b, const struct svc_key_view *k);

/* On the headers of r (method, path, credentials already read into r->who): find
 * its route and refuse what the route would refuse whatever the body says: unknown
 * path (404), method (405 with Allow), Accept (406), Content-Type (415), missing
 * credentials (401), a role that may not do the route's action (403). Returns 0
 * with r->handler, r->route_arg and r->takes_body set, or 1 with the refusal queued
 * (*ret is libmicrohttpd's result). */
int route_admit(struct api_req *r, enum MHD_Result *ret);

/* ---- connections and clients (http_client.c) ---- */

/* Parse http.trusted_proxies ("addr[/n],addr[/n],..."; "" none) into srv. */
enum mz_err http_client_proxies(struct http_server *srv, const char *list, struct mz_error *err);
/* libmicrohttpd's accept policy: refuse a client already at its connection limit. */
enum MHD_Result http_client_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* libmicrohttpd's connection notification: counts the connection against its
 * client (closing it at once over the limit) and arms the header deadline. */
void http_client_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The headers of r are complete: stops the deadline, sets r->ac and r->client and,
 * for a request through a trusted proxy, counts it against the client that
 * X-Forwarded-For names. 0, or 1 with a refusal queued (400, 429; *ret). */
int http_client_admit(struct api_req *r, enum MHD_Result *ret);
/* r is over: gives back what http_client_admit counted and, the connection staying
 * open, gives the next request http.header_timeout for its headers. */
void http_client_done(struct api_req *r);
/* Set the deadline of r's connection to what's (replacing the one before; NONE stops
 * it): when it passes, the watchdog shuts the connection down and logs
 * event=body_timeout or event=export_timeout. Without a connection state, nothing. */
void http_client_deadline(struct api_req *r, enum http_deadline what);
/* Prepare s to count what ("body", "export") for r's client, user and organisation
 * (r->who set), with their shares, and the budget (budget_key NULL: the gate's bytes
 * of bodies) with its reserve; takes nothing. */
void http_client_share_init(struct http_share *s, const struct api_req *r, const char *what, size_t per_client,
                            size_t per_org, const char *budget_key, size_t budget, size_t reserve);
/* Take n more of s from every count at once: HTTP_SHARE_OK, or which of them is
 * full (nothing taken then). */
enum http_share_rc http_client_share_take(struct http_share *s, size_t n);
/* Give back n of what s holds (at most all of it; a zeroed s holds nothing). */
void http_client_share_give(struct http_share *s, size_t n);
/* The server a connection belongs to (from its connection state), or NULL when the
 * connection has none (refused at its start). */
struct http_server *http_client_server(struct MHD_Connection *conn);

/* ---- TLS (http.c over tls.c) ---- */

/* The certificate r's client presented in its TLS handshake, judged against
 * tls.client_ca (tls_verify_client): state TLS_CLIENT_NONE on plain HTTP and when none
 * was presented. The peers' mutual TLS asks this; users need no certificate. MZ_OK
 * with *out set, or the error of tls_verify_client. */
enum mz_err http_tls_client(struct api_req *r, struct tls_client_cert *out, struct mz_error *err);

enum MHD_Result api_healthz(struct api_req *r);
enum MHD_Result api_whoami(struct api_req *r);
enum MHD_Result api_objects_list(struct api_req *r);
enum MHD_Result api_objects_post(struct api_req *r);
enum MHD_Result api_object_get(struct api_req *r);
enum MHD_Result api_objects_count(struct api_req *r);
enum MHD_Result api_export(struct api_req *r);
enum MHD_Result api_orgs_list(struct api_req *r);
enum MHD_Result api_orgs_post(struct api_req *r);
enum MHD_Result api_users_list(struct api_req *r);
enum MHD_Result api_users_post(struct api_req *r);
enum MHD_Result api_user_keys_list(struct api_req *r);
enum MHD_Result api_user_keys_post(struct api_req *r);
enum MHD_Result api_user_key_delete(struct api_req *r);
enum MHD_Result api_user_key_patch(struct api_req *r);
enum MHD_Result api_user_key_rotate(struct api_req *r);
enum MHD_Result api_user_disable(struct api_req *r);
enum MHD_Result api_user_enable(struct api_req *r);
enum MHD_Result api_match_post(struct api_req *r);
enum MHD_Result api_correlations_get(struct api_req *r);
enum MHD_Result api_object_correlations(struct api_req *r, const char *id);
enum MHD_Result api_object_withdraw(struct api_req *r);
enum MHD_Result api_object_withdrawals(struct api_req *r, const char *id);
enum MHD_Result api_index_stats(struct api_req *r);
enum MHD_Result api_campaigns_list(struct api_req *r);
enum MHD_Result api_communities_list(struct api_req *r);
enum MHD_Result api_peers_list(struct api_req *r);
enum MHD_Result api_object_share(struct api_req *r);
enum MHD_Result api_taxii_discovery(struct api_req *r);
enum MHD_Result api_taxii_api_root(struct api_req *r);
enum MHD_Result api_taxii_collections(struct api_req *r);
enum MHD_Result api_taxii_collection(struct api_req *r);
enum MHD_Result api_taxii_objects_post(struct api_req *r);
enum MHD_Result api_taxii_object_delete(struct api_req *r);
enum MHD_Result api_taxii_status(struct api_req *r);
enum MHD_Result api_taxii_objects(struct api_req *r);
enum MHD_Result api_taxii_object(struct api_req *r);
enum MHD_Result api_taxii_manifest(struct api_req *r);
enum MHD_Result api_taxii_versions(struct api_req *r);

#endif
