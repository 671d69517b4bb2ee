/* api/http.c - libmicrohttpd glue: the daemon, and one request's life: its
 * admission on the headers, its body, its reply (whole or streamed), its log line.
 *
 * A request is admitted on its headers, before a byte of its body is read
 * (libmicrohttpd calls on_request once the headers are complete, then with the body
 * in pieces, then once more): the headers are checked (no control bytes, no
 * conflicting Content-Length, one Transfer-Encoding we read), the client is counted
 * (http_client.c), the bearer key is authenticated and the route's own refusals are
 * made (route_admit: 404, 405, 406, 415, 401, 403); a body the route does not read,
 * or larger than http.max_body, is refused; the body's announced size is taken from
 * the client's share (http.max_bodies_per_client, for its address and for its user;
 * http.max_bodies_per_org for its organisation: 429 over it) and from the budget of
 * all bodies held at once (http.max_bodies_in_flight, less http.bodies_reserve for a
 * client already holding some: 503 over it). A refusal made then is answered at once:
 * libmicrohttpd then reads no body (a client that sent `Expect: 100-continue` gets no
 * 100 Continue, only the refusal) and closes the connection after the reply.
 *
 * What is reserved is the announced size, not the bytes received so far: the buffer
 * is allocated whole at admission, and an upload admitted is never refused halfway
 * for want of room, while a refusal comes before the client sends anything. The price
 * is that a client announcing a large body and trickling it holds its reservation
 * without sending it; so the reservation is bounded per client (its share) and in
 * time: the whole body must arrive within http.body_timeout of the end of the
 * headers, or the connection is closed (http_client.c's deadline; logged
 * event=body_timeout).
 *
 * A body without an announced size (chunked) takes its bytes from the share and the
 * budget as they arrive. libmicrohttpd 0.9.75 cannot queue a reply while a body is
 * being read, so a refusal then (413, 429, 503) is kept, the rest of the body is read
 * and dropped, up to http.max_body bytes more (past that the connection is closed;
 * the body deadline still runs), and the refusal is the reply. The body is freed, and
 * its bytes given back, as soon as the handler has run.
 *
 * Limits that are not the request's: connections at http.max_connections, idle
 * connections time out after http.timeout; per client and the header deadline are
 * http_client.c's. One struct api_req lives from the request line (the URI log
 * callback) to libmicrohttpd's request-completed callback, which logs the request
 * and frees it.
 *
 * TLS: with tls.cert and tls.key the daemon speaks only HTTPS (libmicrohttpd on GnuTLS);
 * tls.c holds the credentials, handed over at each handshake by on_tls_cert() and
 * replaced on SIGHUP (http_tls_reload), and judges clients' certificates
 * (http_tls_client). The handshake happens before the headers, inside the header
 * deadline, so a client that stalls it is cut off as one that stalls its headers. */
#include "api/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "api/tls.h"
#include "obs/ascii.h"
#include "domain/svc.h"
#include "util/log.h"
#include "util/uuid.h"

#define STREAM_BLOCK (32u << 10) /* the most a streamed reply is asked for at once */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *api_arg(struct api_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_count {
    const char *name;
    int n;
};

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct arg_count *c = cls;

    (void)kind;
    (void)value;
    if (key && !strcmp(key, c->name))
        c->n++;
    return MHD_YES;
}

int api_arg_count(struct api_req *r, const char *name)
{
    struct arg_count c = {name, 0};

    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_arg, &c);
    return c.n;
}

size_t api_reply_limit(const struct api_req *r)
{
    return r->node->conf.http_max_reply;
}

/* ---- replies ---- */

/* A reply whose body lost a piece (its buffer latched rc) becomes an error reply.
 * The error body is small and fixed in size, so building it cannot fail the same way;
 * should it fail anyway, the connection is closed rather than a partial body sent. */
static enum MHD_Result reply_unbuilt(struct api_req *r, enum mz_err rc)
{
    if (r->responded)
        return MHD_NO;
    r->responded = 1; /* no second attempt if even the error cannot be built */
    if (rc == MZ_ETOOBIG)
        return api_fail(r, MZ_ETOOBIG, "",
                        "the reply would be larger than %zu bytes (http.max_reply); ask for less: a smaller "
                        "limit, a narrower filter, or paging with next",
                        api_reply_limit(r));
    return api_fail(r, MZ_ENOMEM, "", "the node could not build the reply (%s); try again, or ask for less",
                    mz_err_name(rc));
}

static void add_headers(struct api_req *r, struct MHD_Response *resp, unsigned status,
                        const char *content_type)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Request-Id", r->req_id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->tlp_header[0])
        MHD_add_response_header(resp, "X-Mreza-TLP", r->tlp_header);
    if (r->submitted_by_header[0])
        MHD_add_response_header(resp, "X-Mreza-Submitted-By", r->submitted_by_header);
    if (status == 200 && r->taxii_first[0])
        MHD_add_response_header(resp, "X-TAXII-Date-Added-First", r->taxii_first);
    if (status == 200 && r->taxii_last[0])
        MHD_add_response_header(resp, "X-TAXII-Date-Added-Last", r->taxii_last);
    if (status == 401 && api_is_taxii(r))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"mreza\", charset=\"UTF-8\"");
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"mreza\"");
    if (status == 405 && r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (status == 503 || status == 429)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

enum MHD_Result api_reply(struct api_req *r, unsigned status, struct mz_buf *b,
                          const char *content_type)
{
    size_t len = 0;
    enum mz_err rc = mz_buf_status(b);
    char *data;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (rc) {
        mz_buf_free(b);
        return reply_unbuilt(r, rc);
    }
    data = mz_buf_steal(b, &len);
    if (!data)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    add_headers(r, resp, status, content_type);
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes_out = len;
    r->responded = 1;
    return ret;
}

/* libmicrohttpd's side of a struct api_stream. The stream and the request point at
 * each other while both live; whichever ends first unlinks itself (libmicrohttpd
 * calls both from the connection's thread). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct api_stream *s = cls;
    long n = s->read(s, buf, max);

    (void)pos; /* read in order, once */
    if (n == API_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (s->r)
        s->r->bytes_out += (size_t)n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct api_stream *s = cls;

    if (s->r)
        s->r->stream = NULL;
    s->free(s);
}

enum MHD_Result api_reply_stream(struct api_req *r, unsigned status, struct api_stream *s,
                                 const char *content_type)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    s->r = NULL;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s, stream_free);
    if (!resp) {
        s->free(s);
        return MHD_NO;
    }
    add_headers(r, resp, status, content_type);
    s->r = r;
    r->stream = s;
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp); /* if it was not queued, this frees s (and unlinks it) */
    r->status = status;
    r->responded = 1;
    return ret;
}

/* ---- admission on the headers ---- */

struct header_scan {
    const char *clen;         /* the first Content-Length */
    int n_clen, clen_conflict;
    int n_te, te_other;       /* Transfer-Encoding headers; one not "chunked" */
    int n_auth;
    char bad[80];             /* a header with a control byte, escaped, or "" */
    char bad_name[80];        /* a header whose name is no token (its first 64 bytes), or "" */
};

/* Is s[0..n) a token (RFC 9110 section 5.1: a field name)? Not when it holds white
 * space: "Content-Length : 5" is a field "Content-Length " to libmicrohttpd 0.9.75,
 * which a proxy in front may read as Content-Length; RFC 9112 section 5.1 asks for a
 * 400. */
static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c && strchr("!#$%&'*+-.^_`|~", c))))
            return 0;
    }
    return 1;
}

/* A control byte (other than a tab in a value) or DEL anywhere in s[0..n)? */
static int has_control(const char *s, size_t n, int tab_ok)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7F)
            return 1;
    }
    return 0;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    struct header_scan *hs = cls;

    (void)kind;
    if (!value)
        value = "";
    if (has_control(key, key_size, 0) || has_control(value, value_size, 1)) {
        mz_log_esc(key, hs->bad, sizeof hs->bad);
        return MHD_NO;
    }
    if (!is_token(key, key_size)) { /* (no control byte in it: shown as sent) */
        snprintf(hs->bad_name, sizeof hs->bad_name, "%.*s", (int)(key_size < 64 ? key_size : 64), key);
        return MHD_NO;
    }
    if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        if (hs->n_clen++ == 0)
            hs->clen = value;
        else if (strcmp(hs->clen, value) != 0)
            hs->clen_conflict = 1;
    } else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        hs->n_te++;
        hs->te_other |= strcasecmp(value, "chunked") != 0;
    } else if (!strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION)) {
        hs->n_auth++;
    }
    return MHD_YES;
}

#if MHD_VERSION < 0x01000000
/* libmicrohttpd before 1.0 ends a header's value at a NUL byte and drops the rest of
 * the line without a word ("Authorization: Bearer KEY<NUL>anything" is read as
 * "Bearer KEY"), and gives no way to see the line whole. But it parses the request
 * line and the headers in place, in one buffer, and replaces each line's CR LF (or
 * LF) with NUL bytes: so between the end of one line's text and the start of the
 * next, there are exactly one or two NUL bytes, and after the last header, two to
 * four (its end and the empty line), up to method + the header block's size. Any
 * other gap means a line held a NUL byte (or was folded onto the previous one, which
 * RFC 9112 lets a server refuse as well). libmicrohttpd 1.0 refuses NUL bytes in
 * headers itself. Returns 1 if the header block is clean. */
struct block_walk {
    const char *lo, *hi; /* the header block */
    const char *at;      /* the end of the last line's text */
    int ok;
};

static int gap_ok(const struct block_walk *w, const char *next, size_t min, size_t max)
{
    if (next < w->at || next > w->hi || (size_t)(next - w->at) < min || (size_t)(next - w->at) > max)
        return 0;
    for (const char *p = w->at; p < next; p++)
        if (*p)
            return 0;
    return 1;
}

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    struct block_walk *w = cls;

    (void)kind;
    if (!w->ok || !value || key < w->lo || value < key + key_size || value + value_size > w->hi ||
        !gap_ok(w, key, 1, 2)) {
        w->ok = 0;
        return MHD_NO;
    }
    w->at = value + value_size;
    return MHD_YES;
}

static int header_block_clean(struct api_req *r, const char *version)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    struct block_walk w;

    if (!info || !version[0])
        return 1; /* HTTP/0.9 style or no size: nothing to measure (libmicrohttpd refuses those) */
    w.lo = r->method;
    w.hi = r->method + info->header_size;
    w.at = version + strlen(version);
    w.ok = version > w.lo && w.at <= w.hi;
    if (w.ok)
        MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, walk_header, &w);
    return w.ok && gap_ok(&w, w.hi, 2, 4);
}
#else
static int header_block_clean(struct api_req *r, const char *version)
{
    (void)r;
    (void)version;
    return 1;
}
#endif

/* The checks of the headers themselves: 0, or 1 with a 400/501 queued. */
static int headers_refused(struct api_req *r, const char *version, enum MHD_Result *ret)
{
    struct header_scan hs;

    memset(&hs, 0, sizeof hs);
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &hs);
    if (hs.bad[0]) {
        *ret = api_fail(r, MZ_EINVAL, "", "the header %s holds a control character", hs.bad);
        return 1;
    }
    if (hs.bad_name[0]) {
        *ret = api_fail(r, MZ_EINVAL, "",
                        "the header name '%s' is not a token: no white space between a header's name and its "
                        "colon (RFC 9112 section 5.1)",
                        hs.bad_name);
        return 1;
    }
    if (r->uri_len_raw != (size_t)-1 && version[0] && r->uri_raw + r->uri_len_raw + 1 != version) {
        *ret = api_fail(r, MZ_EINVAL, "", "the request line holds a NUL byte");
        return 1;
    }
    if (!header_block_clean(r, version)) {
        *ret = api_fail(r, MZ_EINVAL, "", "a header line holds a NUL byte, or is folded onto the line before it");
        return 1;
    }
    if (hs.clen_conflict) {
        *ret = api_fail(r, MZ_EINVAL, "", "the request has Content-Length headers that disagree");
        return 1;
    }
    if (hs.n_te && hs.n_clen) {
        *ret = api_fail(r, MZ_EINVAL, "", "the request has both Transfer-Encoding and Content-Length");
        return 1;
    }
    if (hs.n_te > 1 || hs.te_other) {
        *ret = api_fail(r, MZ_EUNSUPPORTED, "",
                        "the only Transfer-Encoding read is one 'chunked'; or send a Content-Length");
        return 1;
    }
    if (hs.n_auth > 1) {
        *ret = api_fail(r, MZ_EINVAL, "", "the request has more than one Authorization header");
        return 1;
    }
    return 0;
}

/* The strings libmicrohttpd's Basic decoder made, wiped (the password is a key) and freed. */
static void basic_free(char *user, char *pass)
{
    volatile char *p = pass;

    while (p && *p)
        *p++ = '\0';
    MHD_free(user);
    MHD_free(pass);
}

/* A peer that must present a client certificate (svc_peer_client_cert decides) has
 * presented one that will do on this connection: MZ_OK, or MZ_EAUTH (401). */
static enum mz_err peer_cert(struct api_req *r, struct mz_error *err)
{
    struct tls_client_cert cc;
    struct mz_error verr;
    enum svc_client_cert cert = SVC_CERT_NOT_ASKED;

    if (r->who.role != ROLE_PEER || !r->who.peer_require_cert)
        return MZ_OK;
    memset(&cc, 0, sizeof cc);
    mz_error_clear(&verr);
    if (r->srv->tls && tls_server_wants_client_cert(r->srv->tls)) {
        cert = SVC_CERT_NONE;
        if (http_tls_client(r, &cc, &verr) == MZ_OK || cc.state)
            cert = cc.state == TLS_CLIENT_VERIFIED     ? SVC_CERT_VERIFIED
                   : cc.state == TLS_CLIENT_UNVERIFIED ? SVC_CERT_UNVERIFIED
                                                       : SVC_CERT_NONE;
        else
            cert = SVC_CERT_UNVERIFIED; /* it could not be read: not trusted */
    }
    return svc_peer_client_cert(&r->who, cert, cc.pin, cc.state == TLS_CLIENT_UNVERIFIED ? cc.why : verr.msg, err);
}

/* Bearer token (on /taxii2/ also Basic) -> r->who. Missing credentials leave ROLE_NONE (the route decides
 * whether that is allowed); present but unknown ones are an error. */
static enum mz_err authenticate(struct api_req *r, struct mz_error *err)
{
    const char *h = NULL;
    size_t h_len = 0;
    struct store *st;
    enum mz_err rc;

    if (!MHD_lookup_connection_value_n(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                       strlen(MHD_HTTP_HEADER_AUTHORIZATION), &h, &h_len) || !h)
        return MZ_OK;
    /* the whole value, not a prefix of it (headers_refused saw no NUL byte in it) */
    if (strlen(h) != h_len)
        return mz_error_set(err, MZ_EINVAL, "", "the Authorization header holds a NUL byte");
    if (api_is_taxii(r) && !strncasecmp(h, "Basic ", 6)) {
        /* TAXII clients send Basic: the password is the key, the user name is not
         * checked (docs/federation.md 8.2); libmicrohttpd decodes it */
        char *pass = NULL, *user = MHD_basic_auth_get_username_password(r->conn, &pass);
        if (!user || !pass) {
            MHD_free(user);
            MHD_free(pass);
            return mz_error_set(err, MZ_EAUTH, "", "the Basic credentials cannot be read: send base64(user:API key)");
        }
        st = node_store_acquire(r->node);
        rc = svc_authenticate(st, pass, &r->who, err);
        node_store_release(r->node, st);
        basic_free(user, pass);
        return rc ? rc : peer_cert(r, err);
    }
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return mz_error_set(err, MZ_EAUTH, "", api_is_taxii(r) ? "use 'Authorization: Bearer <API key>' or Basic with the key as password"
                                                              : "use 'Authorization: Bearer <API key>'");
    st = node_store_acquire(r->node);
    rc = svc_authenticate(st, h + 7, &r->who, err);
    node_store_release(r->node, st);
    return rc ? rc : peer_cert(r, err);
}

/* Take n bytes of request body for r: from its client's share (its address's and its
 * user's, http.max_bodies_per_client: 429), then from the node's budget
 * (http.max_bodies_in_flight: 503). MZ_OK, or the refusal in err with nothing taken. */
static enum mz_err body_take(struct api_req *r, size_t n, struct mz_error *err)
{
    const struct mz_conf *c = &r->node->conf;
    enum http_share_rc over = http_client_share_take(&r->body_share, n);
    char user[MZ_LOG_ESC_LEN(STORE_NAME_LEN)], org[MZ_LOG_ESC_LEN(STORE_NAME_LEN)];

    switch (over) {
    case HTTP_SHARE_OK:
        break;
    case HTTP_SHARE_ADDR:
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many uploads under way from %s: one client may hold %zu bytes of request bodies "
                            "at once (http.max_bodies_per_client); retry when one has finished",
                            r->client_id, c->http_max_bodies_per_client);
    case HTTP_SHARE_USER:
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many uploads under way by %s: one user may hold %zu bytes of request bodies at "
                            "once (http.max_bodies_per_client); retry when one has finished",
                            mz_log_esc(r->who.user.name, user, sizeof user), c->http_max_bodies_per_client);
    case HTTP_SHARE_ORG:
        return mz_error_set(err, MZ_ETOOMANY, "",
                            "too many uploads under way by organisation %s: one organisation may hold %zu bytes "
                            "of request bodies at once (http.max_bodies_per_org); retry when one has finished",
                            mz_log_esc(r->who.org.name, org, sizeof org), c->http_max_bodies_per_org);
    case HTTP_SHARE_BUDGET:
        return mz_error_set(err, MZ_EBUSY, "",
                            "too many uploads in flight, retry (the node holds at most %zu bytes of request "
                            "bodies at once: http.max_bodies_in_flight, of which http.bodies_reserve = %zu only "
                            "for clients holding none)",
                            c->http_max_bodies_in_flight, c->http_bodies_reserve);
    }
    return MZ_OK;
}

/* The body's admission: its size against the route and http.max_body, its announced
 * bytes against the client's share and the budget; then its deadline
 * (http.body_timeout) starts. 0, or 1 with a refusal queued. */
static int body_refused(struct api_req *r, enum MHD_Result *ret)
{
    const struct mz_conf *c = &r->node->conf;
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int chunked = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
    unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0; /* digits only: libmicrohttpd checked */

    if (!r->takes_body) {
        if (n || chunked) {
            *ret = api_fail(r, MZ_EINVAL, "", "%s %s takes no request body", r->method, r->path);
            return 1;
        }
        return 0;
    }
    if (n > c->http_max_body) {
        *ret = api_fail(r, MZ_ETOOBIG, "", "the request body is larger than %zu bytes (http.max_body)",
                        c->http_max_body);
        return 1;
    }
    http_client_share_init(&r->body_share, r, "body", c->http_max_bodies_per_client, c->http_max_bodies_per_org,
                           NULL, c->http_max_bodies_in_flight, c->http_bodies_reserve);
    if (n) {
        struct mz_error err;
        mz_error_clear(&err);
        if (body_take(r, (size_t)n, &err)) {
            *ret = api_reply_error(r, &err);
            return 1;
        }
        r->length_given = 1;
        /* one allocation for a body of announced size (capped above) */
        if (mz_buf_reserve(&r->body, (size_t)n) != MZ_OK) {
            *ret = api_fail(r, MZ_ENOMEM, "", "out of memory for a body of %llu bytes; retry", n);
            return 1;
        }
    }
    if (n || chunked)
        http_client_deadline(r, HTTP_DEADLINE_BODY);
    return 0;
}

/* The first call: the headers are complete. */
static enum MHD_Result admit(struct api_req *r, const char *version)
{
    struct mz_error err;
    enum MHD_Result ret = MHD_YES;

    if (http_client_admit(r, &ret) || headers_refused(r, version, &ret))
        return ret;
    mz_error_clear(&err);
    if (authenticate(r, &err))
        return api_reply_error(r, &err);
    if (route_admit(r, &ret) || body_refused(r, &ret))
        return ret;
    return MHD_YES;
}

/* ---- the body ---- */

static void body_release(struct api_req *r)
{
    mz_buf_free(&r->body);
    http_client_share_give(&r->body_share, r->body_share.held);
}

/* Refuse the request while its body arrives: the rest is drained, the refusal is
 * the reply once it has (see the top of the file). The refusal was set in
 * r->refusal. */
static void refuse_body(struct api_req *r)
{
    r->refused = 1;
    body_release(r);
}

static enum MHD_Result on_body(struct api_req *r, const char *data, size_t n)
{
    const struct mz_conf *c = &r->node->conf;

    if (r->refused || r->responded) {
        r->drained += n;
        return r->drained > c->http_max_body ? MHD_NO : MHD_YES;
    }
    if (r->body.len + n > c->http_max_body) {
        mz_error_set(&r->refusal, MZ_ETOOBIG, "", "the request body is larger than %zu bytes (http.max_body)",
                     c->http_max_body);
        refuse_body(r);
        return MHD_YES;
    }
    if (!r->length_given && body_take(r, n, &r->refusal)) {
        refuse_body(r);
        return MHD_YES;
    }
    if (mz_buf_append(&r->body, data, n) != MZ_OK) {
        mz_error_set(&r->refusal, MZ_ENOMEM, "", "out of memory for the request body; retry");
        refuse_body(r);
    }
    return MHD_YES;
}

/* libmicrohttpd's URI log callback, called on the request line, before anything of
 * it is changed: the request's state starts here (so that requests libmicrohttpd
 * refuses itself are logged too), with the length of the raw request target, which
 * says whether the line held a NUL byte (headers_refused). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *s = cls;
    struct api_req *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->node = s->node;
    r->srv = s;
    r->conn = conn;
    r->start_ns = now_ns();
    r->uri_raw = uri;
    r->uri_len_raw = uri ? strlen(uri) : (size_t)-1;
    snprintf(r->client, sizeof r->client, "-");
    mz_random_hex(r->req_id, sizeof r->req_id);
    mz_buf_init(&r->body, s->node->conf.http_max_body);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct api_req *r = *con_cls;
    enum MHD_Result ret;

    (void)cls;
    (void)conn;
    if (!r)
        return MHD_NO; /* out of memory at the request line: close */
    if (!r->method) {
        r->method = method;
        snprintf(r->path, sizeof r->path, "%s", url);
        return admit(r, version);
    }
    if (*upload_data_size) {
        ret = on_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ret;
    }
    http_client_deadline(r, HTTP_DEADLINE_NONE); /* the body, if any, is in */
    if (r->responded)
        return MHD_YES;
    if (r->refused)
        return api_reply_error(r, &r->refusal);
    if (!r->handler)
        return MHD_NO; /* admit() either set it or queued a reply: not reached */
    ret = r->handler(r);
    body_release(r); /* the handler is done with it */
    return ret;
}

/* ---- TLS ---- */

enum mz_err http_tls_client(struct api_req *r, struct tls_client_cert *out, struct mz_error *err)
{
    const union MHD_ConnectionInfo *info;

    memset(out, 0, sizeof *out);
    if (!r->srv->tls)
        return MZ_OK;
    info = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return MZ_OK;
    return tls_verify_client(r->srv->tls, (gnutls_session_t)info->tls_session, out, err);
}

#define LOG_CERT_LEN (24 + MZ_LOG_ESC_LEN(TLS_PIN_LEN))

/* " cert=none|verified|unverified cert_pin=\"sha256//…\"" for the request's log line when client
 * certificates are requested (tls.client_ca), else "". Returns buf. */
static const char *log_cert(struct api_req *r, char *buf, size_t cap)
{
    struct tls_client_cert cc;
    struct mz_error err;
    char pin[MZ_LOG_ESC_LEN(TLS_PIN_LEN)];

    buf[0] = '\0';
    if (r->srv->tls && tls_server_wants_client_cert(r->srv->tls) && r->conn) {
        mz_error_clear(&err);
        if (http_tls_client(r, &cc, &err) == MZ_OK || cc.state)
            snprintf(buf, cap, " cert=%s%s%s%s", tls_client_state_name(cc.state), cc.pin[0] ? " cert_pin=\"" : "",
                     cc.pin[0] ? mz_log_quote(cc.pin, pin, sizeof pin) : "", cc.pin[0] ? "\"" : "");
    }
    return buf;
}

/* GnuTLS asks for the node's certificate at each handshake (libmicrohttpd's
 * MHD_OPTION_HTTPS_CERT_CALLBACK): the current credentials, which SIGHUP replaces
 * (tls.c). The callback has no argument of ours; the session's pointer is
 * libmicrohttpd's connection (libmicrohttpd sets it so, and its own PSK callback
 * reads it so), whose state (http_client.c) names the server. */
static int on_tls_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int n_req_ca_dn,
                       const gnutls_pk_algorithm_t *pk_algos, int n_pk_algos, gnutls_pcert_st **pcert,
                       unsigned int *n_pcert, gnutls_privkey_t *key)
{
    struct MHD_Connection *conn = gnutls_session_get_ptr(session);
    struct http_server *s = conn ? http_client_server(conn) : NULL;

    (void)req_ca_dn;
    (void)n_req_ca_dn;
    (void)pk_algos;
    (void)n_pk_algos;
    if (!s || !s->tls)
        return -1; /* a connection refused at its start: no handshake */
    return tls_server_retrieve(s->tls, pcert, n_pcert, key);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_req *r = *con_cls;
    char path[MZ_LOG_ESC_LEN(sizeof r->path)], method[64], user[MZ_LOG_ESC_LEN(STORE_NAME_LEN)],
        org[MZ_LOG_ESC_LEN(STORE_NAME_LEN)], cert[LOG_CERT_LEN];

    (void)cls;
    if (!r)
        return;
    if (!r->status) { /* refused by libmicrohttpd itself (a bad Content-Length...) */
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        r->status = info ? info->http_status : 0;
    }
    if (r->stream)
        r->stream->r = NULL;
    MZ_LOG(MZ_LOG_INFO, "req=%s method=%s path=%s status=%u bytes=%zu ms=%.1f client=%s user=%s org=%s%s%s",
           r->req_id, r->method ? mz_log_esc(r->method, method, sizeof method) : "-",
           r->method ? mz_log_esc(r->path, path, sizeof path) : "-", r->status, r->bytes_out,
           (double)(now_ns() - r->start_ns) / 1e6, r->client,
           r->who.role ? mz_log_esc(r->who.user.name, user, sizeof user) : "-",
           r->who.role ? mz_log_esc(r->who.org.name, org, sizeof org) : "-", log_cert(r, cert, sizeof cert),
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    http_client_done(r);
    body_release(r);
    svc_principal_release(&r->who);
    free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's unescaping of the path and the query, except that an escape of a
 * control character (%00-%1F, %7F) is left as it was: a decoded NUL would cut the path
 * short ("/api/v1/users%00/x" served as /api/v1/users) and a decoded newline would
 * reach the log. No route or parameter takes such a byte, so the request then simply
 * names nothing that exists. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *in = s, *out = s;

    (void)cls;
    (void)conn;
    while (*in) {
        int hi, lo;
        if (in[0] == '%' && (hi = ascii_hex_val((unsigned char)in[1])) >= 0 &&
            (lo = ascii_hex_val((unsigned char)in[2])) >= 0) {
            int c = hi * 16 + lo;
            if (c >= 0x20 && c != 0x7F) {
                *out++ = (char)c;
                in += 3;
                continue;
            }
        }
        *out++ = *in++;
    }
    *out = '\0';
    return (size_t)(out - s);
}

/* libmicrohttpd's own messages, which may quote the request (its URL). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512], esc[MZ_LOG_ESC_LEN(sizeof msg)];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    MZ_LOG(MZ_LOG_WARN, "event=http msg=\"%s\"", mz_log_quote(msg, esc, sizeof esc));
}

/* "127.0.0.1:8470", "[::1]:8470" or ":8470" -> socket address. */
static enum mz_err parse_listen(const char *spec, struct sockaddr_storage *ss,
                                struct mz_error *err)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    char *end;
    unsigned long port;
    size_t hl;

    memset(ss, 0, sizeof *ss);
    if (!colon)
        return mz_error_set(err, MZ_EINVAL, "listen", "listen must be address:port, got '%s'", spec);
    port = strtoul(colon + 1, &end, 10);
    if (*end || colon[1] == '\0' || port > 65535)
        return mz_error_set(err, MZ_EINVAL, "listen", "bad port in '%s'", spec);
    hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        return mz_error_set(err, MZ_EINVAL, "listen", "address too long in '%s'", spec);
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        host[hl - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return mz_error_set(err, MZ_EINVAL, "listen", "bad IPv6 address in '%s'", spec);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (hl == 0)
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return mz_error_set(err, MZ_EINVAL, "listen", "bad IPv4 address in '%s' (use a numeric address)", spec);
    }
    return MZ_OK;
}

static void server_free(struct http_server *s)
{
    if (!s)
        return;
    gate_free(s->gate);
    tls_server_free(s->tls);
    free(s->proxies);
    free(s);
}

/* TLS settings into s->tls and the daemon's options (opts, ended by MHD_OPTION_END,
 * at least 4 rows): none when tls.cert, tls.key and tls.client_ca are all empty. */
static enum mz_err tls_options(struct http_server *s, const struct mz_conf *c, struct MHD_OptionItem *opts,
                               unsigned *flags, struct mz_error *err)
{
    int k = 0;
    enum mz_err rc;

    opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (!c->tls_cert[0] && !c->tls_key[0] && !c->tls_client_ca[0])
        return MZ_OK;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
        MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES)
        return mz_error_set(err, MZ_EUNSUPPORTED, "tls.cert",
                            "this libmicrohttpd was built without TLS (or without its certificate callback): "
                            "serve plain HTTP behind a reverse proxy instead (docs/security.md)");
    rc = tls_server_new(c, &s->tls, err);
    if (rc)
        return rc;
    *flags |= MHD_USE_TLS;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)c->tls_priorities};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)on_tls_cert};
    if (tls_server_trust_pem(s->tls))
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                            (void *)(uintptr_t)tls_server_trust_pem(s->tls)};
    opts[k] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MZ_OK;
}

enum mz_err http_start(struct node *node, struct http_server **out, struct mz_error *err)
{
    const struct mz_conf *c = &node->conf;
    struct gate_limits lim = {c->http_max_bodies_in_flight};
    struct sockaddr_storage ss;
    struct http_server *s;
    struct MHD_OptionItem tls_opts[4];
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    enum mz_err rc = parse_listen(c->listen, &ss, err);

    if (rc)
        return rc;
    if (c->http_max_bodies_in_flight < c->http_max_body)
        return mz_error_set(err, MZ_EINVAL, "http.max_bodies_in_flight",
                            "http.max_bodies_in_flight (%zu) is smaller than http.max_body (%zu): a body of the "
                            "largest size allowed could never be accepted",
                            c->http_max_bodies_in_flight, c->http_max_body);
    if (c->http_max_bodies_per_client < c->http_max_body)
        return mz_error_set(err, MZ_EINVAL, "http.max_bodies_per_client",
                            "http.max_bodies_per_client (%zu) is smaller than http.max_body (%zu): a body of the "
                            "largest size allowed could never be accepted",
                            c->http_max_bodies_per_client, c->http_max_body);
    if (c->http_max_bodies_per_org < c->http_max_body)
        return mz_error_set(err, MZ_EINVAL, "http.max_bodies_per_org",
                            "http.max_bodies_per_org (%zu) is smaller than http.max_body (%zu): a body of the "
                            "largest size allowed could never be accepted",
                            c->http_max_bodies_per_org, c->http_max_body);
    if (c->http_bodies_reserve >= c->http_max_bodies_in_flight)
        return mz_error_set(err, MZ_EINVAL, "http.bodies_reserve",
                            "http.bodies_reserve (%zu) is not smaller than http.max_bodies_in_flight (%zu): "
                            "nobody could hold two bodies at once",
                            c->http_bodies_reserve, c->http_max_bodies_in_flight);
    if (c->http_exports_reserve >= c->http_max_exports)
        return mz_error_set(err, MZ_EINVAL, "http.exports_reserve",
                            "http.exports_reserve (%ld) is not smaller than http.max_exports (%ld): nobody "
                            "could have two exports at once",
                            c->http_exports_reserve, c->http_max_exports);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s = calloc(1, sizeof *s);
    if (!s)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    s->node = node;
    rc = http_client_proxies(s, c->http_trusted_proxies, err);
    if (!rc)
        rc = tls_options(s, c, tls_opts, &flags, err);
    if (!rc)
        rc = gate_new(&lim, &s->gate, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    s->daemon = MHD_start_daemon(
        flags, 0, http_client_accept, s, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->http_threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->http_max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->http_timeout,
        MHD_OPTION_NOTIFY_CONNECTION, http_client_notify, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (!s->daemon) {
        int tls = s->tls != NULL;
        server_free(s);
        return mz_error_set(err, MZ_EIO, "listen", "cannot listen on %s (in use, or not an address of this host?%s)",
                            c->listen, tls ? " or TLS could not be set up: see the log" : "");
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return MZ_OK;
}

unsigned http_port(const struct http_server *s)
{
    return s->port;
}

int http_tls_on(const struct http_server *s)
{
    return s->tls != NULL;
}

void http_tls_current(const struct http_server *s, char *pin, size_t cap, long long *not_after)
{
    char cur[TLS_PIN_LEN];
    time_t t = 0;

    tls_server_current(s->tls, cur, &t);
    snprintf(pin, cap, "%s", cur);
    if (not_after)
        *not_after = (long long)t;
}

enum mz_err http_tls_reload(struct http_server *s, struct mz_error *err)
{
    if (!s->tls)
        return mz_error_set(err, MZ_EINVAL, "tls.cert", "TLS is off (tls.cert is empty): nothing to reload");
    return tls_server_reload(s->tls, err);
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
