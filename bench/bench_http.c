/* bench/bench_http.c - the HTTP side of the ingest benchmark (bench/ingest), on
 * libcurl. Not a test.
 *
 *   bench_http post URL KEY FILE    POST FILE to URL once (one bulk bundle)
 *   bench_http page URL KEY LIMIT   GET URL?limit=LIMIT[&next=TOKEN] until "more" is false
 *
 * URL is the objects endpoint, e.g. http://127.0.0.1:8470/api/v1/objects. Only
 * loopback URLs (127.0.0.1, [::1], localhost) are accepted: this tool is for a node
 * started by the benchmark on this machine, and proxies are never used. https:// is
 * taken when BENCH_CA names the CA file the node's certificate chains to (bench/sync);
 * a URL with /taxii2/ in it is asked with Accept: application/taxii+json;version=2.1.
 *
 * Output is one line of key=value pairs on stdout:
 *   post: elapsed_s=S status=201 objects=N request_bytes=N response_bytes=N
 *         (objects is the node's total_count; any status but 201 is a failure, and
 *         the first 500 bytes of the body are printed on stderr)
 *   page: elapsed_s=S objects=N pages=N bytes=N client_parse_s=S
 *         (objects is the sum of the sizes of each page's "objects" array, parsed
 *         with jansson; elapsed_s includes that parsing, client_parse_s is its share) */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
    char *data;
    size_t len, cap;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn static void die(const char *fmt, const char *a, const char *b)
{
    fputs("bench_http: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static int buf_reserve(struct buf *b, size_t more)
{
    if (b->cap - b->len > more)
        return 0;
    size_t ncap = b->cap ? b->cap : 1 << 16;
    while (ncap - b->len <= more)
        ncap *= 2;
    char *n = realloc(b->data, ncap);
    if (!n)
        return -1;
    b->data = n;
    b->cap = ncap;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct buf *b = ctx;
    size_t n = size * nmemb;

    if (buf_reserve(b, n))
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static void read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        die("cannot read %s: %s", path, strerror(errno));
    for (;;) {
        if (buf_reserve(b, 1 << 20))
            die("out of memory reading %s%s", path, "");
        n = fread(b->data + b->len, 1, b->cap - b->len - 1, f);
        if (n == 0)
            break;
        b->len += n;
    }
    if (ferror(f))
        die("error reading %s: %s", path, strerror(errno));
    fclose(f);
}

/* The benchmark talks to the node it started, on this machine, and nothing else. */
static void check_loopback(const char *url)
{
    static const char *const ok[] = {"127.0.0.1:", "[::1]:", "localhost:"};
    const char *host = !strncmp(url, "http://", 7) ? url + 7 : !strncmp(url, "https://", 8) && getenv("BENCH_CA") ? url + 8 : NULL;

    for (size_t i = 0; host && i < sizeof ok / sizeof ok[0]; i++)
        if (strncmp(host, ok[i], strlen(ok[i])) == 0) {
            const char *p = host + strlen(ok[i]);
            size_t digits = strspn(p, "0123456789");
            if (digits >= 1 && digits <= 5 && (p[digits] == '/' || p[digits] == '\0'))
                return;
        }
    die("refusing '%s': only http://127.0.0.1:PORT/... (or [::1], localhost; https with BENCH_CA) URLs%s", url, "");
}

static CURL *new_handle(const char *url, struct curl_slist *hdrs, struct buf *resp)
{
    CURL *c = curl_easy_init();

    if (!c)
        die("curl_easy_init failed%s%s", "", "");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_PROXY, "");     /* never an http_proxy from the environment */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (getenv("BENCH_CA"))
        curl_easy_setopt(c, CURLOPT_CAINFO, getenv("BENCH_CA"));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    return c;
}

static struct curl_slist *auth_headers(const char *url, const char *key, int with_body)
{
    char auth[512];
    struct curl_slist *h = NULL;

    if ((size_t)snprintf(auth, sizeof auth, "Authorization: Bearer %s", key) >= sizeof auth)
        die("API key too long%s%s", "", "");
    h = curl_slist_append(h, auth);
    if (strstr(url, "/taxii2/"))
        h = curl_slist_append(h, "Accept: application/taxii+json;version=2.1");
    if (with_body) {
        h = curl_slist_append(h, "Content-Type: application/stix+json;version=2.1");
        h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    }
    return h;
}

static int cmd_post(const char *url, const char *key, const char *path)
{
    struct buf body = {0}, resp = {0};
    struct curl_slist *hdrs = auth_headers(url, key, 1);
    CURL *c;
    CURLcode cc;
    long status = 0;
    double t0, t1;
    long long objects = -1;
    json_t *j;

    read_file(path, &body);
    c = new_handle(url, hdrs, &resp);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    t0 = now_s();
    cc = curl_easy_perform(c);
    t1 = now_s();
    if (cc != CURLE_OK)
        die("POST %s failed: %s", url, curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 201) {
        fprintf(stderr, "bench_http: POST %s answered %ld, not 201; body starts:\n%.*s\n", url,
                status, (int)(resp.len < 500 ? resp.len : 500), resp.data ? resp.data : "");
        return 1;
    }
    j = json_loadb(resp.data, resp.len, 0, NULL);
    if (j && json_is_integer(json_object_get(j, "total_count")))
        objects = (long long)json_integer_value(json_object_get(j, "total_count"));
    json_decref(j);
    printf("elapsed_s=%.6f status=%ld objects=%lld request_bytes=%zu response_bytes=%zu\n", t1 - t0,
           status, objects, body.len, resp.len);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(body.data);
    free(resp.data);
    return 0;
}

static int cmd_page(const char *url, const char *key, const char *limit_s)
{
    struct buf resp = {0};
    struct curl_slist *hdrs = auth_headers(url, key, 0);
    char *next = NULL, *page_url;
    size_t url_cap = strlen(url) + 512;
    long long n_objects = 0, n_pages = 0, n_bytes = 0;
    double t0, t1, parse_s = 0;
    char *end;
    long limit = strtol(limit_s, &end, 10);
    CURL *c;

    if (*limit_s == '\0' || *end || limit < 1)
        die("LIMIT must be a positive integer, got '%s'%s", limit_s, "");
    page_url = malloc(url_cap);
    if (!page_url)
        die("out of memory%s%s", "", "");
    c = new_handle(url, hdrs, &resp); /* one handle: the connection is kept alive */
    t0 = now_s();
    for (;;) {
        CURLcode cc;
        long status = 0;
        json_t *j, *objs, *more, *nx;
        json_error_t je;
        double p0;

        if (next) {
            char *esc = curl_easy_escape(c, next, 0);
            snprintf(page_url, url_cap, "%s%climit=%ld&next=%s", url, strchr(url, '?') ? '&' : '?',
                     limit, esc ? esc : "");
            curl_free(esc);
        } else {
            snprintf(page_url, url_cap, "%s%climit=%ld", url, strchr(url, '?') ? '&' : '?', limit);
        }
        curl_easy_setopt(c, CURLOPT_URL, page_url);
        resp.len = 0;
        cc = curl_easy_perform(c);
        if (cc != CURLE_OK)
            die("GET %s failed: %s", page_url, curl_easy_strerror(cc));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
            fprintf(stderr, "bench_http: GET %s answered %ld; body starts:\n%.*s\n", page_url,
                    status, (int)(resp.len < 500 ? resp.len : 500), resp.data ? resp.data : "");
            return 1;
        }
        n_pages++;
        n_bytes += (long long)resp.len;
        p0 = now_s();
        j = json_loadb(resp.data, resp.len, 0, &je);
        if (!j)
            die("page is not JSON: %s (%s)", je.text, page_url);
        objs = json_object_get(j, "objects");
        more = json_object_get(j, "more");
        nx = json_object_get(j, "next");
        if (!json_is_array(objs) || !json_is_boolean(more))
            die("page lacks \"objects\" or \"more\": %s%s", page_url, "");
        n_objects += (long long)json_array_size(objs);
        free(next);
        next = NULL;
        if (json_is_true(more)) {
            if (!json_is_string(nx))
                die("\"more\" is true but there is no \"next\" token: %s%s", page_url, "");
            next = strdup(json_string_value(nx));
            if (json_array_size(objs) == 0)
                die("empty page with more=true (would loop forever): %s%s", page_url, "");
        }
        json_decref(j);
        parse_s += now_s() - p0;
        if (!next)
            break;
    }
    t1 = now_s();
    printf("elapsed_s=%.6f objects=%lld pages=%lld bytes=%lld client_parse_s=%.6f\n", t1 - t0,
           n_objects, n_pages, n_bytes, parse_s);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(page_url);
    free(resp.data);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc != 5 || (strcmp(argv[1], "post") && strcmp(argv[1], "page"))) {
        fputs("usage: bench_http post URL KEY FILE | bench_http page URL KEY LIMIT\n", stderr);
        return 2;
    }
    check_loopback(argv[2]);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed%s%s", "", "");
    rc = !strcmp(argv[1], "post") ? cmd_post(argv[2], argv[3], argv[4])
                                  : cmd_page(argv[2], argv[3], argv[4]);
    curl_global_cleanup();
    return rc;
}
