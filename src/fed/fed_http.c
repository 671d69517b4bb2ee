/* fed/fed_http.c - the federation client's HTTP: one libcurl easy handle per run
 * (connections and TLS sessions are reused between its requests), set up once from
 * struct fed_opts as docs/federation.md 9.2 says: TLS 1.2 or later, https only
 * (http only with allow_http), the server's certificate checked against the system
 * CAs, a CA file, or SPKI pins; a client certificate; Bearer or Basic credentials;
 * no redirect followed, no proxy taken from the environment, no Accept-Encoding
 * (so that no compressed body is ever inflated: one received is refused by the guard).
 * Every response is capped: Content-Length over max_page_bytes is refused by libcurl
 * before the body (MAXFILESIZE_LARGE), a body that grows past it is cut in the write
 * callback without buffering more. Timeouts: connect, the whole request, and a speed
 * floor (a drip). fed_http_fetch adds 10.6's retries.
 * Ownership: struct fed_http borrows the strings of its fed_opts; a response's body is
 * the response's (fed_resp_free). Not thread-safe: one handle, one thread. */
#include "fed/fed.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct fed_http {
    struct fed_opts o;            /* a copy; its strings borrowed */
    CURL *curl;
    struct curl_slist *hdr_get;   /* Accept (and Authorization for a bearer) */
    struct curl_slist *hdr_post;  /* the same and Content-Type */
    char errbuf[CURL_ERROR_SIZE];
    unsigned rng;                 /* jitter of backoffs */
};

/* The write and header callbacks' state for one request. */
struct xfer {
    struct fed_http *h;
    struct fed_resp *r;
    size_t cap;
    size_t alloc;
    int too_large;
    int stopped;
    int nomem;
};

static int curl_ready;

const char *fed_code_name(enum fed_code code)
{
    switch (code) {
    case FED_OK: return "ok";
    case FED_TLS: return "tls";
    case FED_TIMEOUT: return "timeout";
    case FED_TOO_LARGE: return "too_large";
    case FED_NETWORK: return "network";
    case FED_REDIRECT: return "redirect";
    case FED_HTTP_5XX: return "http_5xx";
    case FED_HTTP_429: return "http_429";
    case FED_AUTH: return "auth";
    case FED_FORBIDDEN: return "forbidden";
    case FED_NOT_FOUND: return "not_found";
    case FED_HTTP_4XX: return "http_4xx";
    case FED_HTTP_STATUS: return "http_status";
    case FED_CONTENT_TYPE: return "content_type";
    case FED_BAD_JSON: return "bad_json";
    case FED_BAD_HEADER: return "bad_header";
    case FED_OVER_LIMIT: return "over_limit";
    case FED_REPEATED_PAGE: return "repeated_page";
    case FED_NO_PROGRESS: return "no_progress";
    case FED_EMPTY_PAGES: return "empty_pages";
    case FED_RUN_LIMIT: return "run_limit";
    case FED_STOPPED: return "stopped";
    case FED_CONFIG: return "config";
    case FED_NOMEM: return "nomem";
    case FED_IDENTITY: return "identity";
    case FED_STORE: return "store";
    case FED_BUSY: return "busy";
    }
    return "unknown";
}

int fed_code_retryable(enum fed_code code)
{
    return code == FED_NETWORK || code == FED_TIMEOUT || code == FED_HTTP_5XX || code == FED_HTTP_429;
}

void fed_opts_defaults(struct fed_opts *o, const struct mz_conf *c)
{
    struct mz_conf def;

    if (!c) {
        mz_conf_defaults(&def);
        c = &def;
    }
    memset(o, 0, sizeof *o);
    o->verify = FED_VERIFY_SYSTEM;
    o->auth = FED_AUTH_NONE;
    o->connect_timeout_ms = c->sync_connect_timeout * 1000;
    o->request_timeout_ms = c->sync_request_timeout * 1000;
    o->low_speed_bytes = c->sync_low_speed_bytes;
    o->low_speed_seconds = c->sync_low_speed_seconds;
    o->max_page_bytes = c->sync_max_page_bytes;
    o->max_next_len = c->sync_max_next_len;
    o->max_page_values = c->sync_max_page_values;
    o->max_depth = c->http_max_depth;
    o->max_objects = c->http_max_objects;
    o->retries = c->sync_retries;
    o->backoff_ms = c->sync_backoff_ms;
    o->backoff_max_ms = c->sync_backoff_max * 1000;
    o->page_size = c->sync_page_size;
    o->max_stale_pages = c->sync_max_stale_pages;
    o->max_empty_pages = c->sync_max_empty_pages;
    o->max_pages_per_run = c->sync_max_pages_per_run;
    o->max_objects_per_run = c->sync_max_objects_per_run;
    o->max_run_ms = c->sync_max_run_seconds * 1000;
    o->page_work = c->api_page_work;
    o->max_push_bytes = c->http_max_body;
}

/* The mz_err nearest to a fed code, for err->code. */
static enum mz_err mz_of(enum fed_code code)
{
    switch (code) {
    case FED_OK: return MZ_OK;
    case FED_TOO_LARGE: case FED_RUN_LIMIT: case FED_OVER_LIMIT: return MZ_ETOOBIG;
    case FED_AUTH: return MZ_EAUTH;
    case FED_FORBIDDEN: return MZ_EFORBIDDEN;
    case FED_NOT_FOUND: return MZ_ENOTFOUND;
    case FED_NOMEM: return MZ_ENOMEM;
    case FED_CONFIG: case FED_CONTENT_TYPE: case FED_BAD_JSON: case FED_BAD_HEADER:
    case FED_REPEATED_PAGE: case FED_NO_PROGRESS: case FED_EMPTY_PAGES:
    case FED_REDIRECT: case FED_HTTP_4XX: case FED_HTTP_STATUS:
        return MZ_EINVAL;
    default: return MZ_EIO;
    }
}

/* Record code with a message in err and return code. */
static enum fed_code fail(struct mz_error *err, enum fed_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum fed_code fail(struct mz_error *err, enum fed_code code, const char *fmt, ...)
{
    char msg[MZ_ERR_MSG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mz_error_set(err, mz_of(code), "", "%s", msg);
    return code;
}

static int scheme_is(const char *url, const char *scheme)
{
    size_t n = strlen(scheme);

    return strncasecmp(url, scheme, n) == 0 && url[n] == ':' && url[n + 1] == '/' && url[n + 2] == '/';
}

/* Bytes of the body: kept up to the cap, refused past it (libcurl then ends the
 * transfer with CURLE_WRITE_ERROR, which xfer.too_large turns into too_large). */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct xfer *x = ctx;
    struct fed_resp *r = x->r;
    size_t n = size * nmemb;

    if (n > x->cap - r->len) {
        x->too_large = 1;
        return 0;
    }
    if (r->len + n + 1 > x->alloc) {
        size_t want = x->alloc ? x->alloc : 16384;
        char *p;

        while (want < r->len + n + 1)
            want *= 2;
        if (want > x->cap + 1)
            want = x->cap + 1;
        p = realloc(r->body, want);
        if (!p) {
            x->nomem = 1;
            return 0;
        }
        r->body = p;
        x->alloc = want;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Copy a header's value (trimmed) into dst; sets *cut when it did not fit. */
static void hdr_value(const char *v, size_t len, char dst[FED_HDR_LEN], int *cut)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len >= FED_HDR_LEN) {
        *cut = 1;
        len = FED_HDR_LEN - 1;
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
}

/* Each header line; a status line starts a new response (after a 100 Continue). */
static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
    struct xfer *x = ctx;
    struct fed_resp *r = x->r;
    size_t n = size * nmemb;
    static const struct {
        const char *name;
        size_t off;
    } wanted[] = {
        {"content-type", offsetof(struct fed_resp, content_type)},
        {"content-encoding", offsetof(struct fed_resp, content_encoding)},
        {"x-taxii-date-added-first", offsetof(struct fed_resp, date_first)},
        {"x-taxii-date-added-last", offsetof(struct fed_resp, date_last)},
        {"location", offsetof(struct fed_resp, location)},
    };
    const char *colon;
    size_t name_len;

    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        r->content_type[0] = r->content_encoding[0] = r->date_first[0] = r->date_last[0] = '\0';
        r->location[0] = '\0';
        r->has_date_first = r->has_date_last = r->hdr_cut = 0;
        r->retry_after_s = -1;
        return n;
    }
    colon = memchr(line, ':', n);
    if (!colon)
        return n;
    name_len = (size_t)(colon - line);
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (strlen(wanted[i].name) == name_len && strncasecmp(line, wanted[i].name, name_len) == 0) {
            hdr_value(colon + 1, n - name_len - 1, (char *)r + wanted[i].off, &r->hdr_cut);
            if (wanted[i].off == offsetof(struct fed_resp, date_first))
                r->has_date_first = 1;
            if (wanted[i].off == offsetof(struct fed_resp, date_last))
                r->has_date_last = 1;
            return n;
        }
    }
    if (name_len == 11 && strncasecmp(line, "retry-after", 11) == 0) {
        char v[FED_HDR_LEN], *end;
        int cut = 0;
        long s;

        hdr_value(colon + 1, n - 12, v, &cut);
        errno = 0;
        s = strtol(v, &end, 10);
        if (!cut && !errno && end != v && !*end && s >= 0)
            r->retry_after_s = s; /* an HTTP-date is not honoured: the backoff applies */
    }
    return n;
}

/* libcurl's progress callback: the caller's stop ends the transfer. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct xfer *x = ctx;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (x->h->o.stop && x->h->o.stop(x->h->o.hook_ctx)) {
        x->stopped = 1;
        return 1;
    }
    return 0;
}

static enum fed_code set_tls(struct fed_http *h, struct mz_error *err)
{
    const struct fed_opts *o = &h->o;
    CURL *c = h->curl;
    int bad = 0;

    bad |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
    switch (o->verify) {
    case FED_VERIFY_SYSTEM:
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
        break;
    case FED_VERIFY_CA_FILE:
        if (!o->ca_file || !*o->ca_file)
            return fail(err, FED_CONFIG, "verification by CA file needs the file (--ca-file)");
        bad |= curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
        break;
    case FED_VERIFY_PIN:
        if (!o->pins || !*o->pins)
            return fail(err, FED_CONFIG, "verification by pin needs a pin (--pin sha256//...)");
        /* the key is the identity: libcurl checks the pin whatever VERIFYPEER says */
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
        break;
    }
    if (o->pins && *o->pins) {
        if (strncmp(o->pins, "sha256//", 8) != 0)
            return fail(err, FED_CONFIG, "a pin is sha256// and the base64 of a key's SHA-256 (mreza tls pin FILE)");
        bad |= curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, o->pins) != CURLE_OK;
    }
    if ((o->client_cert && *o->client_cert) != (o->client_key && *o->client_key))
        return fail(err, FED_CONFIG, "a client certificate needs its key, and a key its certificate");
    if (o->client_cert && *o->client_cert) {
        bad |= curl_easy_setopt(c, CURLOPT_SSLCERT, o->client_cert) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_SSLKEY, o->client_key) != CURLE_OK;
    }
    if (bad)
        return fail(err, FED_TLS, "this libcurl cannot do the TLS asked (TLS 1.2, pins): %s",
                    curl_version());
    return FED_OK;
}

enum fed_code fed_http_new(const struct fed_opts *o, struct fed_http **out, struct mz_error *err)
{
    struct fed_http *h;
    struct curl_slist *l;
    enum fed_code code;
    CURL *c;
    int bad = 0;

    if (!o->url || !*o->url)
        return fail(err, FED_CONFIG, "the peer has no URL");
    if (!scheme_is(o->url, "https") && !(scheme_is(o->url, "http") && o->allow_http))
        return fail(err, FED_CONFIG, scheme_is(o->url, "http")
                    ? "the peer's URL is plain http:// and the peer is not set to allow it (--allow-http)"
                    : "the peer's URL must start with https://");
    if (o->auth == FED_AUTH_BASIC && (!o->user || !o->secret))
        return fail(err, FED_CONFIG, "Basic authentication needs a user and a secret");
    if (o->auth == FED_AUTH_BEARER && (!o->secret || !*o->secret || strpbrk(o->secret, "\r\n")))
        return fail(err, FED_CONFIG, "Bearer authentication needs a secret of one line");
    if (!curl_ready) {
        /* also done by libcurl itself on the first easy_init since 7.84, but not
         * thread-safely before: the first run is started from one thread */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return fail(err, FED_NOMEM, "libcurl could not initialise");
        curl_ready = 1;
    }
    h = calloc(1, sizeof *h);
    if (!h)
        return fail(err, FED_NOMEM, "out of memory");
    h->o = *o;
    h->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)h;
    c = h->curl = curl_easy_init();
    if (!c) {
        free(h);
        return fail(err, FED_NOMEM, "libcurl could not make a handle");
    }
    /* what the peer may make this client do: nothing beyond the one request */
    bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "mreza-sync") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->request_timeout_ms) != CURLE_OK;
    if (o->low_speed_bytes > 0) {
        bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds) != CURLE_OK;
    }
    bad |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_page_bytes) != CURLE_OK;
    if (bad) {
        fed_http_free(h);
        return fail(err, FED_CONFIG, "libcurl refused an option (%s)", curl_version());
    }
    code = set_tls(h, err);
    if (code != FED_OK) {
        fed_http_free(h);
        return code;
    }
    if (o->auth == FED_AUTH_BASIC) {
        bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_USERNAME, o->user) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_PASSWORD, o->secret) != CURLE_OK;
    }
    /* headers: Accept for every request; a bearer token as a header of its own */
    l = curl_slist_append(NULL, "Accept: application/taxii+json;version=2.1");
    if (l && o->auth == FED_AUTH_BEARER) {
        size_t n = strlen(o->secret) + 32;
        char *line = malloc(n);
        struct curl_slist *t = NULL;

        if (line) {
            snprintf(line, n, "Authorization: Bearer %s", o->secret);
            t = curl_slist_append(l, line);
            memset(line, 0, n);
            free(line);
        }
        if (!t) {
            curl_slist_free_all(l);
            l = NULL;
        }
    }
    h->hdr_get = l;
    if (l) {
        struct curl_slist *p = NULL;

        for (struct curl_slist *i = l; i; i = i->next) {
            struct curl_slist *t = curl_slist_append(p, i->data);
            if (!t) {
                curl_slist_free_all(p);
                p = NULL;
                break;
            }
            p = t;
        }
        if (p) {
            struct curl_slist *t = curl_slist_append(p, "Content-Type: application/taxii+json;version=2.1");
            if (!t)
                curl_slist_free_all(p);
            p = t;
        }
        h->hdr_post = p;
    }
    if (!h->hdr_get || !h->hdr_post || bad) {
        fed_http_free(h);
        return fail(err, FED_NOMEM, "out of memory");
    }
    *out = h;
    return FED_OK;
}

void fed_http_free(struct fed_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->hdr_get);
    curl_slist_free_all(h->hdr_post); /* holds a copy of the bearer line too */
    free(h);
}

void fed_resp_free(struct fed_resp *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* The code of a transfer that got no status. */
static enum fed_code transport_code(CURLcode rc, const struct xfer *x)
{
    if (x->stopped || rc == CURLE_ABORTED_BY_CALLBACK)
        return FED_STOPPED;
    if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return FED_TOO_LARGE;
    if (x->nomem)
        return FED_NOMEM;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return FED_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return FED_TLS;
    case CURLE_OUT_OF_MEMORY:
        return FED_NOMEM;
    case CURLE_BAD_CONTENT_ENCODING:
        return FED_CONTENT_TYPE;
    case CURLE_URL_MALFORMAT:
        return FED_CONFIG;
    default:
        return FED_NETWORK;
    }
}

enum fed_code fed_http_request(struct fed_http *h, const struct fed_req *rq, struct fed_resp *r,
                               struct mz_error *err)
{
    struct xfer x = {h, r, h->o.max_page_bytes, 0, 0, 0, 0};
    int post = rq->body != NULL;
    CURL *c = h->curl;
    enum fed_code code;
    char *url = NULL;
    const char *full;
    CURLcode rc;
    size_t n;
    int bad = 0;

    free(r->body);
    memset(r, 0, sizeof *r);
    r->retry_after_s = -1;
    r->attempts = 1;
    if (scheme_is(rq->path, "https") || scheme_is(rq->path, "http")) {
        full = rq->path;
    } else {
        const char *base = h->o.url;
        size_t bl = strlen(base);

        if (bl && base[bl - 1] == '/' && rq->path[0] == '/')
            bl--;
        n = bl + strlen(rq->path) + 1;
        url = malloc(n);
        if (!url)
            return fail(err, FED_NOMEM, "out of memory");
        snprintf(url, n, "%.*s%s", (int)bl, base, rq->path);
        full = url;
    }
    if (scheme_is(full, "http") && !h->o.allow_http) {
        free(url);
        return fail(err, FED_TLS, "refused to send a request over plain http:// (the peer is not set to allow it)");
    }
    h->errbuf[0] = '\0';
    bad |= curl_easy_setopt(c, CURLOPT_URL, full) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, &x) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_HEADERDATA, &x) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x) != CURLE_OK;
    if (post) {
        bad |= curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdr_post) != CURLE_OK;
    } else {
        bad |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdr_get) != CURLE_OK;
    }
    if (bad) {
        free(url);
        return fail(err, FED_CONFIG, "libcurl refused the request's options");
    }
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        free(url);
        if (!r->body) {
            r->body = calloc(1, 1);
            if (!r->body)
                return fail(err, FED_NOMEM, "out of memory");
        }
        return FED_OK;
    }
    r->status = 0;
    code = transport_code(rc, &x);
    switch (code) {
    case FED_TOO_LARGE:
        fail(err, code, "%s: the response is larger than sync.max_page_bytes (%zu bytes); the rest was not read",
             full, h->o.max_page_bytes);
        break;
    case FED_TIMEOUT:
        fail(err, code, "%s: timed out (%s)", full, h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
        break;
    case FED_STOPPED:
        fail(err, code, "%s: stopped", full);
        break;
    default:
        fail(err, code, "%s: %s", full, h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
        break;
    }
    free(url);
    return code;
}

/* Wait ms through the caller's hook, or here in slices of 100 ms asking stop. */
static int wait_ms(struct fed_http *h, long ms)
{
    const struct fed_opts *o = &h->o;

    if (o->wait)
        return o->wait(o->hook_ctx, ms);
    while (ms > 0) {
        long slice = ms < 100 ? ms : 100;
        struct timespec ts = {0, slice * 1000000L};

        if (o->stop && o->stop(o->hook_ctx))
            return 1;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        ms -= slice;
    }
    return o->stop && o->stop(o->hook_ctx);
}

/* The wait before retry number attempt (0-based): backoff x 2^attempt, +-20 %,
 * at most backoff_max_ms; a Retry-After in seconds replaces it up to that cap. */
static long backoff(struct fed_http *h, int attempt, long retry_after_s)
{
    const struct fed_opts *o = &h->o;
    long long ms = o->backoff_ms;
    long long span;

    for (int i = 0; i < attempt && ms < o->backoff_max_ms; i++)
        ms *= 2;
    span = ms / 5;
    if (span > 0) {
        h->rng = h->rng * 1103515245u + 12345u;
        ms += (long long)((h->rng >> 8) % (unsigned)(2 * span + 1)) - span;
    }
    if (retry_after_s >= 0)
        ms = (long long)retry_after_s * 1000;
    if (ms > o->backoff_max_ms)
        ms = o->backoff_max_ms;
    return ms < 0 ? 0 : (long)ms;
}

enum fed_code fed_http_fetch(struct fed_http *h, const struct fed_req *rq, struct fed_resp *r,
                             struct mz_error *err)
{
    enum fed_code code;
    int attempt = 0;

    for (;;) {
        int again;

        code = fed_http_request(h, rq, r, err);
        r->attempts = attempt + 1;
        again = code == FED_OK
                    ? (r->status >= 500 && r->status <= 599) || r->status == 429
                    : fed_code_retryable(code);
        if (!again || attempt >= h->o.retries)
            return code;
        if (wait_ms(h, backoff(h, attempt, code == FED_OK ? r->retry_after_s : -1))) {
            fed_resp_free(r);
            r->status = 0;
            return fail(err, FED_STOPPED, "stopped while waiting to retry");
        }
        attempt++;
    }
}
