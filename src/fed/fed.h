/* fed/fed.h - the federation client: everything that talks to another node (TAXII 2.1
 * over HTTPS, libcurl with OpenSSL). docs/federation.md 9.2 (the client's TLS), 10.1
 * (module layout), 10.3 (the pull loop), 10.5 (hostile peers), 10.6 (retries).
 *
 * Built so far: fed_http.c (one libcurl easy handle per run: TLS, auth, timeouts,
 * caps, one request, retries with backoff), fed_guard.c (the misbehaviour checks,
 * pure functions over the facts of each response), fed_discover.c (the API root and
 * its collections) and fed_pull.c (a peer's run: the pull loop of each subscription
 * over svc_sync_*). To come: fed_push.c. fed
 * holds no store connection: the caller passes one, and fed writes only through
 * svc_sync_* (domain).
 *
 * Errors: every call that can fail returns an enum fed_code (fed_code_name gives its
 * stable lowercase name, as `peer list` and the log show it: "tls", "timeout",
 * "too_large"...) and fills a caller's struct mz_error with a message a person can act
 * on (err->code the nearest mz_err: MZ_EIO for transport, MZ_ETOOBIG for caps,
 * MZ_EINVAL for what the peer sent, MZ_EAUTH/MZ_EFORBIDDEN for 401/403). fed never
 * prints; the layer that ends the run logs it. Secrets (bearer token, password) are
 * never copied into a message. */
#ifndef MZ_FED_H
#define MZ_FED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/conf.h"
#include "util/err.h"

/* How a run ended, or why a request or page was refused (docs/federation.md 10.5). */
enum fed_code {
    FED_OK = 0,
    FED_TLS,           /* certificate, pin, handshake; plain http:// without allow_http */
    FED_TIMEOUT,       /* connect, total or low-speed time */
    FED_TOO_LARGE,     /* a response over max_page_bytes */
    FED_NETWORK,       /* connect refused, reset, nothing received... */
    FED_REDIRECT,      /* a 3xx: never followed */
    FED_HTTP_5XX,      /* 500, 502, 503, 504 (after the retries) */
    FED_HTTP_429,      /* 429 (after the retries) */
    FED_AUTH,          /* 401 */
    FED_FORBIDDEN,     /* 403 */
    FED_NOT_FOUND,     /* 404 */
    FED_HTTP_4XX,      /* another 4xx */
    FED_HTTP_STATUS,   /* a status that is none of the above and not the one expected */
    FED_CONTENT_TYPE,  /* not application/taxii+json (version 2.1), or a Content-Encoding */
    FED_BAD_JSON,      /* unparsable, too deep, not an envelope */
    FED_BAD_HEADER,    /* X-TAXII-Date-Added-* missing or wrong; next too long */
    FED_OVER_LIMIT,    /* more objects than the limit asked */
    FED_REPEATED_PAGE, /* the same page as one of the last FED_RECENT_PAGES */
    FED_NO_PROGRESS,   /* pages that bring nothing new */
    FED_EMPTY_PAGES,   /* too many empty pages with more: true */
    FED_RUN_LIMIT,     /* pages, objects or seconds per run */
    FED_STOPPED,       /* the caller's stop callback said so */
    FED_CONFIG,        /* the options themselves are wrong (no URL, a file missing...) */
    FED_NOMEM,
    FED_IDENTITY,      /* a mreza peer's API root names another node than the one bound */
    FED_STORE,         /* this node's store failed applying a page (the page is not stored) */
    FED_BUSY           /* the peer's lock is held: a run is going on elsewhere */
};

/* "ok", "tls", "timeout", ... (never NULL). */
const char *fed_code_name(enum fed_code code);
/* 1 for the codes that 10.6 retries within a run: transport errors and 5xx/429. */
int fed_code_retryable(enum fed_code code);

/* How the server's certificate is checked (docs/federation.md 9.2). */
enum fed_verify {
    FED_VERIFY_SYSTEM = 0, /* Debian's CAs: chain and host name (the default) */
    FED_VERIFY_CA_FILE,    /* chain to ca_file only, and host name; with pins: both */
    FED_VERIFY_PIN         /* the key is the identity: pins only, no chain, no name */
};

enum fed_auth {
    FED_AUTH_NONE = 0,
    FED_AUTH_BEARER, /* Authorization: Bearer <secret> (an API key of the peer's) */
    FED_AUTH_BASIC   /* user and secret (other TAXII servers) */
};

/* Waits before a retry. The default (NULL) sleeps in slices of at most 100 ms and
 * asks stop between them; tests give one that records the wait and returns at once.
 * Return nonzero to stop waiting and end the run (FED_STOPPED). */
typedef int (*fed_wait_fn)(void *ctx, long ms);
/* Asked between wait slices and from libcurl's progress callback: nonzero ends the
 * request and the run with FED_STOPPED (shutdown). */
typedef int (*fed_stop_fn)(void *ctx);

/* What a run is told about the peer and its limits. Strings are borrowed for the life
 * of the struct fed_http made from it. fed_opts_defaults fills the limits from the
 * settings (sync.*); the caller then sets the peer's own fields. */
struct fed_opts {
    const char *url;          /* the peer's base URL ("https://host:port"); paths are added */
    /* TLS (9.2) */
    enum fed_verify verify;
    const char *ca_file;      /* FED_VERIFY_CA_FILE: PEM CAs */
    const char *pins;         /* "sha256//...;sha256//..." (a rollover), or NULL */
    const char *client_cert;  /* PEM client certificate and its key, or NULL */
    const char *client_key;
    int allow_http;           /* a plain http:// URL is allowed (the peer's opt-in) */
    /* credentials */
    enum fed_auth auth;
    const char *user;         /* FED_AUTH_BASIC */
    const char *secret;       /* bearer token or password; never logged */
    /* time (milliseconds, so that tests can use small ones) */
    long connect_timeout_ms;  /* sync.connect_timeout */
    long request_timeout_ms;  /* sync.request_timeout: one whole request */
    long low_speed_bytes;     /* sync.low_speed_bytes per second, 0: no floor ... */
    long low_speed_seconds;   /* ... over sync.low_speed_seconds */
    /* caps */
    size_t max_page_bytes;    /* sync.max_page_bytes: bytes of one response */
    long max_next_len;        /* sync.max_next_len */
    long max_page_values;     /* sync.max_page_values: JSON values (weighed) of one page, 0: none */
    long max_depth;           /* http.max_depth: JSON nesting of a page */
    long max_objects;         /* http.max_objects: objects of one page, whatever limit */
    /* retries (10.6) */
    long retries;             /* sync.retries */
    long backoff_ms;          /* sync.backoff_ms, doubled per attempt, +-20 % jitter */
    long backoff_max_ms;      /* sync.backoff_max, also the cap of a Retry-After */
    /* the run (10.5) */
    long page_size;           /* sync.page_size */
    long max_stale_pages;     /* sync.max_stale_pages */
    long max_empty_pages;     /* sync.max_empty_pages */
    long max_pages_per_run;   /* sync.max_pages_per_run */
    long max_objects_per_run; /* sync.max_objects_per_run */
    long max_run_ms;          /* sync.max_run_seconds */
    long page_work;           /* api.page_work: the work of a push page's read (fed_push.c) */
    size_t max_push_bytes;    /* http.max_body: the largest push page built (fed_push.c, B7) */
    /* hooks (may be NULL) */
    fed_wait_fn wait;
    fed_stop_fn stop;
    void *hook_ctx;
};

/* Fill o: no URL, system CAs, no auth, the limits from c (NULL: the built-in
 * defaults of every setting). */
void fed_opts_defaults(struct fed_opts *o, const struct mz_conf *c);

/* ---- fed_http.c: one request at a time over one easy handle ---- */

struct fed_http; /* opaque: the curl handle and the options it was made from */

/* One request. path is added to opts.url ("/taxii2/", "/api1/collections/x/objects/?limit=7");
 * a full URL is taken as it is. body NULL for GET. */
struct fed_req {
    const char *method;       /* "GET" or "POST" */
    const char *path;
    const char *body;         /* POST body (application/taxii+json;version=2.1) */
    size_t body_len;
};

#define FED_HDR_LEN 128

/* What came back. body is heap memory owned by the response (fed_resp_free), NUL-
 * terminated, at most max_page_bytes. Header values are cut at FED_HDR_LEN - 1 bytes
 * (hdr_cut says one was: a malformed header for the guard). */
struct fed_resp {
    long status;                             /* 0 when none was received */
    char content_type[FED_HDR_LEN];          /* "" when absent */
    char content_encoding[FED_HDR_LEN];
    char date_first[FED_HDR_LEN];            /* X-TAXII-Date-Added-First */
    char date_last[FED_HDR_LEN];             /* X-TAXII-Date-Added-Last */
    char location[FED_HDR_LEN];              /* of a redirect (for the message only) */
    long retry_after_s;                      /* Retry-After in seconds, -1 when absent */
    int has_date_first, has_date_last;       /* the headers were present */
    int hdr_cut;                             /* one of the above was longer than FED_HDR_LEN - 1 */
    char *body;
    size_t len;
    int attempts;                            /* requests made (1 + retries used) */
};

/* Check o and make the handle. FED_CONFIG when o lacks a URL, or names a scheme other
 * than https (http with allow_http), or the verification mode lacks its file or pin. */
enum fed_code fed_http_new(const struct fed_opts *o, struct fed_http **out, struct mz_error *err);
void fed_http_free(struct fed_http *h);

/* One request, no retry. FED_OK whenever a status arrived (any status: the guard
 * classifies it), with r filled; else the transport's code (tls, timeout, too_large,
 * network, stopped) and r->status 0. r is reset first; fed_resp_free it in any case. */
enum fed_code fed_http_request(struct fed_http *h, const struct fed_req *rq, struct fed_resp *r,
                               struct mz_error *err);
/* The same with 10.6's retries: a transport error (network, timeout) or a 5xx/429 is
 * tried again up to opts.retries times, waiting backoff_ms x 2^attempt (+-20 %, at most
 * backoff_max_ms; a Retry-After up to that cap) through opts.wait. Returns as
 * fed_http_request after the last try (so a final 5xx is FED_OK with its status; the
 * guard names it http_5xx). tls, too_large and stopped are never retried. */
enum fed_code fed_http_fetch(struct fed_http *h, const struct fed_req *rq, struct fed_resp *r,
                             struct mz_error *err);
void fed_resp_free(struct fed_resp *r);

/* ---- fed_guard.c: the misbehaviour checks (10.5) ---- */

#define FED_RECENT_PAGES 8 /* pages a fingerprint is compared with */
#define FED_TIME_LEN 32    /* "2026-12-07T19:28:15.123456Z" and its NUL */

/* What the client asked for the page it checks. */
struct fed_ask {
    long limit;                       /* the limit asked (fed_guard_limit) */
    int by_next;                      /* 1: asked with a next token; 0: added_after or nothing */
    char added_after[FED_TIME_LEN];   /* the added_after asked, "" when none */
    long run_ms;                      /* milliseconds since the run began (the caller's clock) */
};

/* The weight of JSON text s (the units sync.max_page_values counts: a string, ',' or
 * ':' 1, '[' 2, '{' 4), counted no further than past max_units (0: all). Fourth
 * attack B6: every body from a peer is weighed before jansson parses it. */
long fed_json_weight(const char *s, size_t len, long max_units);

/* The facts of one objects response, made by fed_guard_facts from a fed_resp. */
struct fed_facts {
    long status;
    int content_type_ok;              /* application/taxii+json, version 2.1 or none */
    int encoded;                      /* a Content-Encoding other than identity */
    int json_ok;                      /* parsed, within max_depth */
    int envelope_ok;                  /* an object; objects an array of objects, more a
                                         boolean, next a string, where present */
    long n_objects;
    int too_many;                     /* more objects than http.max_objects */
    int too_dense;                    /* more values than sync.max_page_values: not parsed */
    int more;
    const char *next;                 /* borrowed from env, NULL when absent */
    size_t next_len;
    int has_date_first, has_date_last;
    char date_first[FED_TIME_LEN];    /* normalised to microseconds, "" when absent or bad */
    char date_last[FED_TIME_LEN];
    int dates_ok;                     /* both present headers are RFC 3339 UTC timestamps */
    uint64_t fingerprint;             /* XXH3 of count, first and last id/version, date_last */
    json_t *env;                      /* the parsed envelope (owned; fed_facts_clear) */
};

/* Read r into f (f is reset first). Never fails on what the peer sent: the guard
 * judges the facts. FED_NOMEM only. fed_facts_clear f afterwards in any case. */
enum fed_code fed_guard_facts(const struct fed_resp *r, const struct fed_opts *o,
                              struct fed_facts *f, struct mz_error *err);
void fed_facts_clear(struct fed_facts *f);

/* The state of one run's checks. */
struct fed_guard {
    long page_size, max_stale_pages, max_empty_pages, max_pages_per_run, max_next_len, max_page_values;
    long long max_objects_per_run;
    long max_run_ms;
    long limit;                            /* what to ask next: page_size .. 4 x page_size */
    long pages;                            /* pages passed */
    long long objects;                     /* objects in pages passed */
    long empty_run;                        /* consecutive empty pages with more: true
                                              that stated no position further on */
    char pos[FED_TIME_LEN];                /* the furthest X-TAXII-Date-Added-Last of the
                                              subscription's pages passed ("" none yet;
                                              the caller resets it per subscription) */
    long stale_run;                        /* consecutive pages with nothing new */
    long last_n;                           /* objects of the last page passed */
    uint64_t recent[FED_RECENT_PAGES];     /* fingerprints of the last pages */
    size_t n_recent;
};

void fed_guard_init(struct fed_guard *g, const struct fed_opts *o);
void fed_guard_free(struct fed_guard *g);
/* The limit to ask for the next page. */
long fed_guard_limit(const struct fed_guard *g);
/* The code of a response status that is not the one expected (200 for GET, 202 for
 * POST): 3xx redirect, 401 auth, 403 forbidden, 404 not_found, 429 http_429, 5xx
 * http_5xx, other 4xx http_4xx, anything else http_status; FED_OK for `expected`. */
enum fed_code fed_guard_status(long status, long expected, struct mz_error *err);
/* Judge one objects page before anything of it is applied: FED_OK, or the code that
 * ends the run (err says what the peer did). On FED_OK the page counts (pages,
 * objects, its next and fingerprint remembered). */
enum fed_code fed_guard_check(struct fed_guard *g, const struct fed_ask *ask, const struct fed_facts *f,
                              struct mz_error *err);
/* After the page was applied: n_new versions were new here. No progress doubles the
 * limit (up to 4 x page_size); then, asked by added_after with the limit at its cap,
 * or after max_stale_pages such pages in a row, FED_NO_PROGRESS. An empty page is
 * empty_pages' business and changes nothing here. */
enum fed_code fed_guard_progress(struct fed_guard *g, const struct fed_ask *ask, long n_new,
                                 struct mz_error *err);

/* Read an RFC 3339 UTC timestamp ("...Z", 0-9 fraction digits) into out as
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds; more digits cut), comparable with
 * strcmp. 0 on success, -1 if text is not one. */
int fed_time_norm(const char *text, size_t len, char out[FED_TIME_LEN]);
/* A normalised timestamp one microsecond earlier, into out: the added_after a taxii
 * peer is asked from, so that objects sharing the last date_added are read again
 * (10.3, ties). 0, or -1 when norm is not fed_time_norm's form. */
int fed_time_minus_1us(const char *norm, char out[FED_TIME_LEN]);

/* ---- fed_discover.c: the API root and its collections ---- */

#define FED_MAX_COLLECTIONS 256

struct fed_collection {
    char id[64];
    char alias[64];
    int can_read, can_write;
};

struct fed_discovery {
    char node_identity[64];  /* the API root's x_mreza_node.identity, "" when none */
    char node_name[64];
    size_t n;                /* collections listed (at most FED_MAX_COLLECTIONS kept) */
    struct fed_collection c[FED_MAX_COLLECTIONS];
};

/* GET the API root (api_root, a full URL ending in '/') and its collections/ into
 * out. Codes: the status's (fed_guard_status), content_type, bad_json (not an
 * object, collections not an array), or the transport's. */
enum fed_code fed_discover(struct fed_http *h, const char *api_root, struct fed_discovery *out,
                           struct mz_error *err);

/* ---- fed_pull.c: one peer's run ---- */

struct store;
struct principal;
struct bundle_limits;

/* What a run did (one peer), for the summary line and the log. */
struct fed_run {
    enum fed_code code;              /* FED_OK, or what ended the run */
    char message[MZ_ERR_MSG_LEN];    /* err's message when code is not FED_OK */
    char collection[64];             /* the subscription it ended in, or "" */
    int busy;                        /* the peer's lock was held elsewhere: not run */
    long holder_pid;                 /* then: its holder's pid (0: unknown) */
    long subs, subs_done;            /* subscriptions run; those that reached more: false */
    long pages;
    long objects, stored, duplicates, refused;
    long push_subs, push_pages;      /* push (fed_push.c): subscriptions and pages POSTed */
    long pushed, push_refused;       /* versions the peer accepted (duplicates too), refused */
    long ms;
};

/* Called after each page applied (progress on a terminal): peer, collection, the
 * run so far. */
typedef void (*fed_progress_fn)(void *ctx, const char *peer, const char *collection, const struct fed_run *r);

struct fed_sync_opts {
    const struct mz_conf *conf;         /* sync.* limits, http.max_*, ingest caps */
    const char *lock_dir;               /* <data dir>/sync (exists); NULL: no lock */
    fed_progress_fn progress;           /* may be NULL */
    void *progress_ctx;
    fed_wait_fn wait;                   /* fed_opts hooks (may be NULL) */
    fed_stop_fn stop;
    void *hook_ctx;
};

/* ---- fed_push.c: the push of one peer (docs/federation.md 10.4) ---- */

struct svc_sync_push_plan;

/* Push every subscription of plan to the peer node (id) at api_root through h: each
 * page from svc_sync_push_page (o->page_size objects at most, read with
 * o->page_work; with x_mreza_meta for a mreza peer) is POSTed to
 * collections/{remote}/objects/; a 202 whose status is complete (a pending one is
 * asked again at status/{id}/, at most FED_PUSH_POLLS times) moves the push bookmark
 * (svc_sync_push_done). A page refused for what it holds (400, 413, 422) is sent
 * again in halves within the run; one object refused alone is counted
 * (push_refused), logged (event=push_refused) and passed. An empty page whose read's
 * work ran out moves the bookmark with nothing sent (docs/federation.md 10.4, third
 * attack A3, A4, A7). Any other answer ends the push with its code, the bookmark
 * where it was (the page goes again next run: duplicates there).
 * listed: a mreza peer's discovery (a subscription runs only if the peer lists its
 * collection as writable), NULL for a taxii peer. Counts into run. */
#define FED_PUSH_POLLS 5
struct fed_discovery;
enum fed_code fed_push_peer(struct store *st, const struct principal *p, int64_t id, const char *api_root,
                            struct fed_http *h, const struct fed_discovery *listed, const struct fed_opts *o,
                            struct svc_sync_push_plan *plan, struct fed_run *run, struct mz_error *err);

/* Run peer name once (docs/federation.md 10.3): take its lock (busy if held), mark
 * the run begun, make the handle (its TLS, its key), discover (a mreza peer: the API
 * root's x_mreza_node.identity must be the peer's bound identity when one is set;
 * its subscriptions kept to the collections it lists), then pull each subscription
 * page by page: match[version]=all, limit from the guard, next from the bookmark
 * else added_after (a taxii peer's minus 1 us: ties), each page through the guard
 * and then svc_sync_apply_page (one transaction), until more: false. Then the
 * status: last_success only if every subscription reached its end. p: the principal
 * that manages peers (the console, or the node's scheduler). Returns run->code;
 * err is set for it. A peer's failure is its run's: the caller goes on with the
 * others. */
enum fed_code fed_sync_peer(struct store *st, const struct principal *p, const char *name,
                            const struct fed_sync_opts *so, struct fed_run *run, struct mz_error *err);

struct svc_sync_plan;
/* The fed_opts of the plan's peer (its URL, TLS, the key this node presents), with
 * so's limits and hooks (fed_pull.c). Borrows from pl. */
void fed_peer_opts(const struct svc_sync_plan *pl, const struct fed_sync_opts *so, struct fed_opts *o);

/* ---- fed_join.c: a community homed at a peer (docs/federation.md decision 9) ---- */

/* Join community name from mreza peer `peer`: discover the peer's collections (with
 * the key this node presents there), find the one whose alias is name, and make the
 * community here with its id as UUID and the peer as home, its roster fetched from
 * that collection and applied at once (svc_roster_join; *applied, may be NULL: one
 * was). p: the console. FED_NOT_FOUND (err says so) when the peer lists no such
 * collection (its operator has made none of this node's organisations a member);
 * FED_CONFIG for a local refusal (err->code says which). */
struct store_community;
enum fed_code fed_join(struct store *st, const struct principal *p, const char *name, const char *peer,
                       const struct mz_conf *conf, struct store_community *out, int *applied,
                       struct mz_error *err);

/* ---- fed_directory.c: a mreza peer's directory (docs/federation.md sections 1, 3) ---- */

#define FED_MAX_DIRECTORY 10000 /* organisations one peer's directory may list */

/* The directory of mreza peer `peer`, live: its API root discovered (its
 * x_mreza_node.identity checked against the bound one, FED_IDENTITY), then its
 * mreza-direct view paged with match[type]=identity (the guard's checks, as a sync
 * page), each directory identity (svc_directory_entry: an organisation's own, GREEN)
 * into out, the newest version of each (out is reset first; svc_dir_list_free it; on
 * failure it is empty). p: the console (it reads the key this node presents there).
 * Codes: FED_CONFIG (no such peer, a taxii peer), FED_NOT_FOUND (no mreza-direct
 * view listed), FED_RUN_LIMIT (over FED_MAX_DIRECTORY), and the guard's and
 * transport's. */
struct svc_dir_list;
enum fed_code fed_directory(struct store *st, const struct principal *p, const char *peer,
                            const struct mz_conf *conf, struct svc_dir_list *out, struct mz_error *err);

#endif
