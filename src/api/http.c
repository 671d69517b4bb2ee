/* api/http.c - libmicrohttpd glue: limits, request bodies, authentication, the
 * request log line, and handing each request to route.c.
 *
 * Limits: the body is capped at http.max_body (413 before reading when
 * Content-Length says so, else as soon as the cap is crossed), connections at
 * http.max_connections, idle connections time out after http.timeout. One
 * struct api_req lives from the first callback of a request to libmicrohttpd's
 * request-completed callback, which logs the request and frees it. */
#include "api/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "obs/ascii.h"
#include "domain/svc.h"
#include "util/log.h"
#include "util/uuid.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct node *node;
    unsigned port;
};

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

size_t api_reply_limit(const struct api_req *r)
{
    return r->node->conf.http_max_reply;
}

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
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Request-Id", r->req_id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->tlp_header[0])
        MHD_add_response_header(resp, "X-Mreza-TLP", r->tlp_header);
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"mreza\"");
    if (status == 405 && r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes_out = len;
    r->responded = 1;
    return ret;
}

/* Bearer token -> r->who. Missing credentials leave ROLE_NONE (the route decides
 * whether that is allowed); present but unknown ones are an error. */
static enum mz_err authenticate(struct api_req *r, struct mz_error *err)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    struct store *st;
    enum mz_err rc;

    if (!h)
        return MZ_OK;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return mz_error_set(err, MZ_EAUTH, "", "use 'Authorization: Bearer <API key>'");
    st = node_store_acquire(r->node);
    rc = svc_authenticate(st, h + 7, &r->who, err);
    node_store_release(r->node, st);
    return rc;
}

static enum MHD_Result handle(struct api_req *r)
{
    struct mz_error err;
    enum mz_err rc;

    mz_error_clear(&err);
    if (r->body_too_big)
        return api_fail(r, MZ_ETOOBIG, "", "the request body is larger than %zu bytes (http.max_body)",
                        r->node->conf.http_max_body);
    rc = authenticate(r, &err);
    if (rc)
        return api_reply_error(r, &err);
    return route_dispatch(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct api_req *r = *con_cls;

    (void)version;
    if (!r) {
        const char *cl;
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->node = s->node;
        r->conn = conn;
        r->method = method;
        r->start_ns = now_ns();
        snprintf(r->path, sizeof r->path, "%s", url);
        mz_random_hex(r->req_id, sizeof r->req_id);
        mz_buf_init(&r->body, s->node->conf.http_max_body);
        *con_cls = r;
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long n = strtoull(cl, NULL, 10);
            if (n > s->node->conf.http_max_body) {
                r->body_too_big = 1;
                return handle(r);
            }
            /* one allocation for a body of announced size (capped above) */
            if (n && mz_buf_reserve(&r->body, (size_t)n) != MZ_OK)
                return MHD_NO;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->responded && !r->body_too_big &&
            mz_buf_append(&r->body, upload_data, *upload_data_size) != MZ_OK) {
            r->body_too_big = 1;
            mz_buf_free(&r->body);
            *upload_data_size = 0;
            return handle(r);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    return handle(r);
}

/* The text of s fit for one key=value log line, into out (cap bytes): bytes that would
 * end the line or start another key (controls, space, '=', '"', '\\', '%') are written
 * as %XX, so that nothing a client sends can forge a log line or a field of one. */
static const char *log_safe(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c == 0x7F || c == '=' || c == '"' || c == '\\' || c == '%') {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_req *r = *con_cls;
    char path[3 * sizeof r->path + 1], method[64];

    (void)cls;
    (void)conn;
    if (!r)
        return;
    MZ_LOG(MZ_LOG_INFO, "req=%s method=%s path=%s status=%u bytes=%zu ms=%.1f user=%s org=%s%s",
           r->req_id, log_safe(r->method, method, sizeof method), log_safe(r->path, path, sizeof path),
           r->status, r->bytes_out,
           (double)(now_ns() - r->start_ns) / 1e6,
           r->who.role ? r->who.user.name : "-", r->who.role ? r->who.org.name : "-",
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    mz_buf_free(&r->body);
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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    MZ_LOG(MZ_LOG_WARN, "event=http msg=\"%s\"", msg);
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

enum mz_err http_start(struct node *node, struct http_server **out, struct mz_error *err)
{
    struct sockaddr_storage ss;
    struct http_server *s;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    enum mz_err rc = parse_listen(node->conf.listen, &ss, err);

    if (rc)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s = calloc(1, sizeof *s);
    if (!s)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    s->node = node;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)node->conf.http_threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)node->conf.http_max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)node->conf.http_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return mz_error_set(err, MZ_EIO, "listen", "cannot listen on %s (in use, or not an address of this host?)",
                            node->conf.listen);
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

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
