/* api/http_client.c - who the client of a connection is, and what one client may
 * hold: connections per client (http.max_connections_per_client), the deadline for a
 * request's headers (http.header_timeout), and the trusted reverse proxies
 * (http.trusted_proxies) whose X-Forwarded-For names the client instead. The counts
 * and the watchdog are node/gate.c's; this file decides what is counted and what is
 * done when a limit is reached.
 *
 * Who is a client. A client is its address; an IPv6 client is its /64 (a host is
 * usually given a whole /64, so counting single addresses would let one host open
 * the limit 2^64 times). An IPv4-mapped IPv6 address is the IPv4 address.
 *
 * Connections. A connection from anywhere but a trusted proxy counts against its
 * client from its start to its end (libmicrohttpd's connection notification); one
 * more than the limit is closed at once, without a reply, as libmicrohttpd closes
 * those over http.max_connections (the accept policy refuses it before any memory is
 * spent; the notification, which counts, refuses the few that several threads accept
 * at the same moment). A trusted proxy's connections are not counted: a proxy carries
 * many clients' requests over few connections that it reuses, so counting them would
 * lock out everyone behind it together. Each request through a trusted proxy counts
 * instead, while it runs, against the client that X-Forwarded-For names; over the
 * limit it is refused with 429. The proxy is expected to limit its own clients'
 * connections, and it reads a request's headers whole before it forwards them, so
 * slow headers never reach the node through it.
 *
 * X-Forwarded-For is read from the right: each proxy appends the address it was
 * connected from, so the entries at the right were written by proxies we trust as
 * long as each entry is itself a trusted proxy; the first entry from the right that
 * is not one is the client. Entries to its left were written by the client and are
 * ignored. No X-Forwarded-For: the client is the proxy.
 *
 * The header deadline. libmicrohttpd's timeout (http.timeout) counts inactivity: a
 * client that sends one byte of its headers every few seconds is never timed out,
 * and 256 such connections once locked every other client out. So each connection
 * has a deadline (a gate timer, enforced by the gate's watchdog thread): its first
 * request's headers must be complete within http.header_timeout seconds of its start,
 * each later request's within http.header_timeout of the end of the one before (so
 * an idle keep-alive connection is closed then too). When it passes, the socket is
 * shut down and libmicrohttpd closes the connection.
 *
 * The same timer then keeps the deadline of the request's later phases, one at a
 * time: its body must have arrived within http.body_timeout of the end of its headers
 * (a client that trickles a body a few bytes at a time, each within http.timeout,
 * would otherwise hold its connection and its share of the memory for bodies as long
 * as it liked), and an export must have been sent within http.export_timeout of its
 * start (a client that reads slowly holds an export connection and its snapshot, a
 * read transaction that keeps SQLite's write-ahead log from being checkpointed). When
 * one passes, the connection is shut down as above: the client gets no reply, or (an
 * export) no end of its chunked encoding, so the bundle cannot look complete.
 *
 * Shares. Some budgets are the node's, shared by every client: the bytes of request
 * bodies held in memory (http.max_bodies_in_flight) and the export connections
 * (http.max_exports). One client may hold only part of each
 * (http.max_bodies_per_client, http.max_exports_per_client), counted twice with the
 * same limit: against its address (the key that the connection limit counts, or the
 * forwarded client's through a trusted proxy), so that many keys from one place
 * cannot take it all, and against its user, so that one key from many addresses
 * cannot either. Its organisation may hold only a larger part
 * (http.max_bodies_per_org, http.max_exports_per_org), so that several users of one
 * organisation from several addresses cannot take it all either; every
 * unauthenticated client (api.public_read) counts as one organisation, "public", whose
 * share of exports is its own (http.max_exports_public, 1 by default: with the share of
 * an organisation, unauthenticated requests plus one key held three of the default four
 * exports, the key's organisation counting as a newcomer). Over any of them, 429. And part of each budget is kept for clients holding nothing
 * (http.bodies_reserve, http.exports_reserve): a client whose address, user or
 * organisation already holds something may take the budget only up to its most minus
 * the reserve, so a newcomer gets in unless the budget is really full (503). All of
 * these are taken at once, under the gate's lock (gate_claim_take). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "api/api.h"
#include "util/log.h"

struct api_conn {
    struct http_server *srv;
    int fd;
    char addr[API_ADDR_LEN];     /* the peer's address, for the log */
    char key[API_CLIENT_LEN];    /* the client it counts against */
    int proxy;                   /* the peer is a trusted proxy: not counted */
    int counted;                 /* counted against key (give it back at the end) */
    struct gate_timer deadline;  /* the current phase's deadline: headers, body or export */
    char req_id[17];             /* the request a body or export deadline is for (the log) */
};

/* The client of an address: net (for the proxy list), text for the log (addr, at
 * least API_ADDR_LEN bytes) and the key it counts against (API_CLIENT_LEN bytes). */
static void client_of_net(const struct ip_net *net, char *addr, char *key)
{
    if (net->family == 4) {
        ip_v4_text(ip_net_v4(net), 32, addr);
        ip_v4_text(ip_net_v4(net), 32, key);
    } else {
        uint8_t k[16];
        ip_v6_text(net->addr, 128, addr);
        memcpy(k, net->addr, 8);
        memset(k + 8, 0, 8);
        ip_v6_text(k, 64, key);
    }
}

/* A socket address as an ip_net (an IPv4-mapped IPv6 address as IPv4); 0, or -1 for
 * a family that has no address (then the client is "local"). */
static int net_of_sockaddr(const struct sockaddr *sa, struct ip_net *net)
{
    memset(net, 0, sizeof *net);
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)(const void *)sa;
        net->family = 4;
        memcpy(net->addr, &a4->sin_addr, 4);
        net->prefix = 32;
        return 0;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (ip_v6_is_mapped(a6->sin6_addr.s6_addr, 128)) {
            net->family = 4;
            memcpy(net->addr, a6->sin6_addr.s6_addr + 12, 4);
            net->prefix = 32;
        } else {
            net->family = 6;
            memcpy(net->addr, a6->sin6_addr.s6_addr, 16);
            net->prefix = 128;
        }
        return 0;
    }
    return -1;
}

static int is_proxy(const struct http_server *srv, const struct ip_net *net)
{
    for (size_t i = 0; i < srv->n_proxies; i++)
        if (ip_net_within(net, &srv->proxies[i]))
            return 1;
    return 0;
}

/* Who a socket address is: *proxy_out, and addr/key as client_of_net writes them. */
static void identify(const struct http_server *srv, const struct sockaddr *sa, int *proxy_out, char *addr,
                     char *key)
{
    struct ip_net net;

    if (net_of_sockaddr(sa, &net)) {
        snprintf(addr, API_ADDR_LEN, "local");
        snprintf(key, API_CLIENT_LEN, "local");
        *proxy_out = 0;
        return;
    }
    client_of_net(&net, addr, key);
    *proxy_out = is_proxy(srv, &net);
}

enum mz_err http_client_proxies(struct http_server *srv, const char *list, struct mz_error *err)
{
    size_t n = 1;

    for (const char *p = list; *p; p++)
        n += *p == ',';
    srv->proxies = calloc(n, sizeof *srv->proxies);
    if (!srv->proxies)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    srv->n_proxies = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        struct ip_net net;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            if (ip_net_parse(s, (size_t)(e - s), &net) != IP_OK)
                return mz_error_set(err, MZ_EINVAL, "http.trusted_proxies",
                                    "http.trusted_proxies: '%.*s' is not an IP address or CIDR range", (int)(e - s),
                                    s);
            if (ip_net_clear_host(&net))
                return mz_error_set(err, MZ_EINVAL, "http.trusted_proxies",
                                    "http.trusted_proxies: '%.*s' has host bits set", (int)(e - s), s);
            srv->proxies[srv->n_proxies++] = net;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return MZ_OK;
}

enum MHD_Result http_client_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    char text[API_ADDR_LEN], key[API_CLIENT_LEN];
    int proxy;

    (void)addrlen;
    identify(srv, addr, &proxy, text, key);
    if (proxy || gate_count(srv->gate, key) < (size_t)srv->node->conf.http_max_connections_per_client)
        return MHD_YES;
    MZ_LOG(MZ_LOG_WARN, "event=client_limit client=%s connections=%ld", key,
           srv->node->conf.http_max_connections_per_client);
    return MHD_NO;
}

/* The watchdog: the headers are late. Runs with the gate locked (gate.h). */
static void headers_late(void *arg)
{
    struct api_conn *ac = arg;

    shutdown(ac->fd, SHUT_RDWR);
    MZ_LOG(MZ_LOG_WARN, "event=header_timeout client=%s seconds=%ld", ac->addr,
           ac->srv->node->conf.http_header_timeout);
}

static void arm(struct api_conn *ac)
{
    gate_timer_arm(ac->srv->gate, &ac->deadline, (unsigned)ac->srv->node->conf.http_header_timeout * 1000u,
                   headers_late, ac);
}

static void conn_started(struct http_server *srv, struct MHD_Connection *conn, void **socket_context)
{
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *sa = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct api_conn *ac = calloc(1, sizeof *ac);

    if (!ac || !fd) {
        if (fd)
            shutdown(fd->connect_fd, SHUT_RDWR); /* nothing to count it with: refuse */
        free(ac);
        return;
    }
    ac->srv = srv;
    ac->fd = fd->connect_fd;
    identify(srv, sa ? sa->client_addr : NULL, &ac->proxy, ac->addr, ac->key);
    *socket_context = ac;
    if (!ac->proxy && !gate_count_take(srv->gate, ac->key, 1, (size_t)srv->node->conf.http_max_connections_per_client)) {
        MZ_LOG(MZ_LOG_WARN, "event=client_limit client=%s connections=%ld", ac->key,
               srv->node->conf.http_max_connections_per_client);
        shutdown(ac->fd, SHUT_RDWR);
        return;
    }
    ac->counted = !ac->proxy;
    arm(ac);
}

struct http_server *http_client_server(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const struct api_conn *ac = info ? info->socket_context : NULL;

    return ac ? ac->srv : NULL;
}

void http_client_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    struct api_conn *ac = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_started(srv, conn, socket_context);
        return;
    }
    if (!ac)
        return;
    /* before libmicrohttpd closes the socket: once disarmed, the watchdog cannot shut
     * down a descriptor that a new connection has been given */
    gate_timer_disarm(srv->gate, &ac->deadline);
    if (ac->counted)
        gate_count_give(srv->gate, ac->key, 1);
    free(ac);
    *socket_context = NULL;
}

struct xff {
    char text[1024]; /* every X-Forwarded-For header, in order, comma-joined */
    size_t len;
    int too_long;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    struct xff *x = cls;

    (void)kind;
    (void)key_size;
    if (strcasecmp(key, "X-Forwarded-For") != 0 || !value)
        return MHD_YES;
    if (x->len + value_size + 2 > sizeof x->text) {
        x->too_long = 1;
        return MHD_NO;
    }
    if (x->len)
        x->text[x->len++] = ',';
    memcpy(x->text + x->len, value, value_size);
    x->len += value_size;
    x->text[x->len] = '\0';
    return MHD_YES;
}

/* The client that X-Forwarded-For names, for a request from a trusted proxy: 0 with
 * *net set (left as the proxy's own address without the header), or -1 with a
 * message in err. */
static int forwarded_client(struct api_req *r, struct ip_net *net, struct mz_error *err)
{
    struct xff x;
    size_t end;

    memset(&x, 0, sizeof x);
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, collect_xff, &x);
    if (x.too_long) {
        mz_error_set(err, MZ_EINVAL, "", "X-Forwarded-For is longer than %zu bytes", sizeof x.text - 2);
        return -1;
    }
    end = x.len;
    while (end > 0) {
        size_t start = end, s, e;
        struct ip_net entry;
        while (start > 0 && x.text[start - 1] != ',')
            start--;
        for (s = start; s < end && (x.text[s] == ' ' || x.text[s] == '\t'); s++)
            ;
        for (e = end; e > s && (x.text[e - 1] == ' ' || x.text[e - 1] == '\t'); e--)
            ;
        if (ip_net_parse(x.text + s, e - s, &entry) != IP_OK || entry.has_prefix) {
            mz_error_set(err, MZ_EINVAL, "", "X-Forwarded-For from a trusted proxy names '%.*s', which is not an IP "
                         "address", (int)(e - s > 60 ? 60 : e - s), x.text + s);
            return -1;
        }
        *net = entry;
        if (!is_proxy(r->srv, &entry))
            return 0;
        end = start ? start - 1 : 0;
    }
    return 0;
}

int http_client_admit(struct api_req *r, enum MHD_Result *ret)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct api_conn *ac = info ? info->socket_context : NULL;
    struct ip_net net;
    struct mz_error err;
    char key[API_CLIENT_LEN];

    snprintf(r->client_id, sizeof r->client_id, "local");
    if (!ac)
        return 0;
    r->ac = ac;
    gate_timer_disarm(r->srv->gate, &ac->deadline);
    snprintf(r->client, sizeof r->client, "%s", ac->addr);
    snprintf(r->client_id, sizeof r->client_id, "%s", ac->key);
    if (!ac->proxy)
        return 0;
    mz_error_clear(&err);
    memset(&net, 0, sizeof net);
    if (forwarded_client(r, &net, &err)) {
        *ret = api_reply_error(r, &err);
        return 1;
    }
    if (net.family == 0) { /* no X-Forwarded-For: the proxy is the client */
        snprintf(key, sizeof key, "%s", ac->key);
    } else {
        client_of_net(&net, r->client, key);
    }
    if (!gate_count_take(r->srv->gate, key, 1, (size_t)r->node->conf.http_max_connections_per_client)) {
        *ret = api_fail(r, MZ_ETOOMANY, "",
                        "too many requests at once from %s (http.max_connections_per_client = %ld); retry when "
                        "one has finished",
                        r->client, r->node->conf.http_max_connections_per_client);
        return 1;
    }
    snprintf(r->client_key, sizeof r->client_key, "%s", key);
    snprintf(r->client_id, sizeof r->client_id, "%s", key);
    return 0;
}

void http_client_done(struct api_req *r)
{
    if (r->client_key[0])
        gate_count_give(r->srv->gate, r->client_key, 1);
    r->client_key[0] = '\0';
    if (r->ac)
        arm(r->ac); /* the next request's headers are due (disarmed if the connection closes) */
}

/* The watchdog: the body, or the export, is late. Run with the gate locked (gate.h);
 * ac->req_id was written before the timer was armed. */
static void body_late(void *arg)
{
    struct api_conn *ac = arg;

    shutdown(ac->fd, SHUT_RDWR);
    MZ_LOG(MZ_LOG_WARN, "event=body_timeout req=%s client=%s seconds=%ld", ac->req_id, ac->addr,
           ac->srv->node->conf.http_body_timeout);
}

static void export_late(void *arg)
{
    struct api_conn *ac = arg;

    shutdown(ac->fd, SHUT_RDWR);
    MZ_LOG(MZ_LOG_WARN, "event=export_timeout req=%s client=%s seconds=%ld", ac->req_id, ac->addr,
           ac->srv->node->conf.http_export_timeout);
}

void http_client_deadline(struct api_req *r, enum http_deadline what)
{
    struct api_conn *ac = r->ac;
    const struct mz_conf *c = &r->node->conf;

    if (!ac)
        return;
    /* disarmed first: the watchdog reads req_id only while the timer is armed */
    gate_timer_disarm(r->srv->gate, &ac->deadline);
    memcpy(ac->req_id, r->req_id, sizeof ac->req_id);
    if (what == HTTP_DEADLINE_BODY)
        gate_timer_arm(r->srv->gate, &ac->deadline, (unsigned)c->http_body_timeout * 1000u, body_late, ac);
    else if (what == HTTP_DEADLINE_EXPORT)
        gate_timer_arm(r->srv->gate, &ac->deadline, (unsigned)c->http_export_timeout * 1000u, export_late, ac);
}

void http_client_share_init(struct http_share *s, const struct api_req *r, const char *what, size_t per_client,
                            size_t per_org, const char *budget_key, size_t budget, size_t reserve)
{
    memset(s, 0, sizeof *s);
    s->gate = r->srv->gate;
    snprintf(s->addr_key, sizeof s->addr_key, "%.8s %s", what, r->client_id);
    if (r->who.role == ROLE_PEER) {
        /* a peer has no user nor organisation of its own (both 0): keyed by its node,
         * so that one peer cannot take every peer's share (the fifth re-attack's F7) */
        snprintf(s->user_key, sizeof s->user_key, "%.8s node %lld", what, (long long)r->who.peer);
        snprintf(s->org_key, sizeof s->org_key, "%.8s node %lld", what, (long long)r->who.peer);
    } else if (r->who.role != ROLE_NONE) {
        snprintf(s->user_key, sizeof s->user_key, "%.8s user %lld", what, (long long)r->who.user.id);
        snprintf(s->org_key, sizeof s->org_key, "%.8s org %lld", what, (long long)r->who.org.id);
    } else {
        snprintf(s->org_key, sizeof s->org_key, "%.8s public", what);
    }
    if (budget_key)
        snprintf(s->budget_key, sizeof s->budget_key, "%s", budget_key);
    s->per_client = per_client;
    s->per_org = per_org;
    s->budget = budget;
    s->reserve = reserve;
}

/* s's counts as the gate takes them: address, user (if any), organisation, budget. */
static size_t claims_of(const struct http_share *s, struct gate_claim *c, enum http_share_rc *what)
{
    size_t k = 0;

    c[k] = (struct gate_claim){s->addr_key, s->per_client};
    what[k++] = HTTP_SHARE_ADDR;
    if (s->user_key[0]) {
        c[k] = (struct gate_claim){s->user_key, s->per_client};
        what[k++] = HTTP_SHARE_USER;
    }
    c[k] = (struct gate_claim){s->org_key, s->per_org};
    what[k++] = HTTP_SHARE_ORG;
    c[k] = (struct gate_claim){s->budget_key[0] ? s->budget_key : NULL, s->budget};
    what[k++] = HTTP_SHARE_BUDGET;
    return k;
}

enum http_share_rc http_client_share_take(struct http_share *s, size_t n)
{
    struct gate_claim c[4];
    enum http_share_rc what[4];
    size_t k = claims_of(s, c, what);
    int refused = gate_claim_take(s->gate, c, k, n, s->reserve);

    if (refused >= 0)
        return what[refused];
    s->held += n;
    return HTTP_SHARE_OK;
}

void http_client_share_give(struct http_share *s, size_t n)
{
    struct gate_claim c[4];
    enum http_share_rc what[4];

    if (n > s->held)
        n = s->held;
    if (!s->gate || !n)
        return;
    gate_claim_give(s->gate, c, claims_of(s, c, what), n);
    s->held -= n;
}
