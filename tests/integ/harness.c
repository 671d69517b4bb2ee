/* tests/integ/harness.c - see harness.h. Failures in the harness itself abort the
 * test binary with a message: they mean the environment is broken, not the node. */
#include "harness.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The servers this process started and has not stopped yet, and what the ones it
 * stopped with SIGTERM said (h_test_servers_exit_cleanly() reads both). */
#define H_MAX_RUNNING 8
static struct hnode *running[H_MAX_RUNNING];
static int n_started;
static int n_stopped; /* with SIGTERM (h_stop) */
static int n_unclean; /* of those, exited with a status other than 0 */
static char unclean[256]; /* "port 41234: status 134; ..." */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static const char *bin(void)
{
    const char *b = getenv("MREZA_BIN");
    return b ? b : "build/mreza";
}

static char *read_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t r;

    while (buf && (r = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    if (!buf)
        die("out of memory");
    buf[len] = '\0';
    return buf;
}

int h_cli_err(struct hnode *n, char **out, char **err_out, const char *const *argv)
{
    int pfd[2], status;
    pid_t pid;
    const char *args[64];
    int k = 0;
    char *text;
    FILE *ef = err_out ? tmpfile() : NULL;

    if (err_out && !ef)
        die("tmpfile: %s", strerror(errno));
    args[k++] = bin();
    for (int i = 0; argv[i] && k < 60; i++)
        args[k++] = argv[i];
    args[k++] = "--data";
    args[k++] = n->dir;
    args[k] = NULL;
    if (pipe(pfd))
        die("pipe: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        if (ef)
            dup2(fileno(ef), 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(pfd[1]);
    text = read_fd(pfd[0]);
    close(pfd[0]);
    waitpid(pid, &status, 0);
    if (out)
        *out = text;
    else
        free(text);
    if (ef) {
        rewind(ef);
        *err_out = read_fd(fileno(ef));
        fclose(ef);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int h_cli(struct hnode *n, char **out, const char *const *argv)
{
    return h_cli_err(n, out, NULL, argv);
}

void h_node_init(struct hnode *n)
{
    const char *const init[] = {"init", NULL};

    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "/tmp/mreza-test-XXXXXX");
    if (!mkdtemp(n->dir))
        die("mkdtemp: %s", strerror(errno));
    if (h_cli(n, NULL, init) != 0)
        die("mreza init failed in %s", n->dir);
}

void h_add_org(struct hnode *n, const char *name, const char *country, const char *kind)
{
    const char *const argv[] = {"org", "add", name, "--country", country, "--kind", kind, NULL};
    if (h_cli(n, NULL, argv) != 0)
        die("org add %s failed", name);
}

void h_add_user(struct hnode *n, const char *name, const char *org, const char *role, char *key)
{
    const char *const argv[] = {"user", "add", name, "--org", org, "--role", role, NULL};
    char *out = NULL, *p;

    if (h_cli(n, &out, argv) != 0)
        die("user add %s failed", name);
    p = strstr(out, "mz_");
    if (!p || sscanf(p, "%63s", key) != 1)
        die("no key in output of user add: %s", out);
    free(out);
}

void h_identity(struct hnode *n, const char *what, const char *name, char *out)
{
    const char *const orgs[] = {"org", "list", NULL};
    const char *const users[] = {"user", "list", NULL};
    char *text = NULL, *line, *save = NULL;

    out[0] = '\0';
    if (h_cli(n, &text, strcmp(what, "org") ? users : orgs) != 0)
        die("%s list failed", what);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char first[128];
        char *id = strstr(line, "identity--");
        if (sscanf(line, "%127s", first) == 1 && !strcmp(first, name) && id) {
            snprintf(out, 64, "%.46s", id);
            break;
        }
    }
    free(text);
    if (!out[0])
        die("no identity for %s %s", what, name);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read the "serving … http://127.0.0.1:PORT/" line (or https://), waiting at most
 * 20 s; *tls_out tells which. */
static unsigned read_port(int fd, int *tls_out)
{
    char line[512];
    size_t len = 0;
    long deadline = now_ms() + 20000;

    while (len < sizeof line - 1 && now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t r;
        if (poll(&p, 1, 200) <= 0)
            continue;
        r = read(fd, line + len, 1);
        if (r <= 0)
            break;
        if (line[len] == '\n') {
            const char *u;
            unsigned port = 0;
            line[len] = '\0';
            u = strstr(line, "://127.0.0.1:");
            *tls_out = u && u - line >= 5 && !strncmp(u - 5, "https", 5);
            if (u && (*tls_out || (u - line >= 4 && !strncmp(u - 4, "http", 4))) &&
                sscanf(u + strlen("://127.0.0.1:"), "%u", &port) == 1 && port > 0 && port < 65536)
                return port;
            len = 0;
            continue;
        }
        len++;
    }
    return 0;
}

static void track(struct hnode *n)
{
    for (int i = 0; i < H_MAX_RUNNING; i++)
        if (!running[i]) {
            running[i] = n;
            n_started++;
            return;
        }
    die("more than %d servers running at once", H_MAX_RUNNING);
}

void h_start(struct hnode *n, const char *const *sets)
{
    h_start_logged(n, sets, NULL);
}

void h_start_logged(struct hnode *n, const char *const *sets, const char *log_path)
{
    int pfd[2], log_fd = -1, tls = 0;
    const char *args[64];
    int k = 0;

    args[k++] = bin();
    args[k++] = "serve";
    args[k++] = "--data";
    args[k++] = n->dir;
    args[k++] = "--listen";
    args[k++] = "127.0.0.1:0";
    args[k++] = "--set";
    args[k++] = "log.level=warn";
    args[k++] = "--set"; /* no scheduled syncs unless a test asks (sync.interval in sets) */
    args[k++] = "sync.interval=0";
    for (int i = 0; sets && sets[i] && k < 60; i++) {
        args[k++] = "--set";
        args[k++] = sets[i];
    }
    args[k] = NULL;
    if (log_path && (log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        die("%s: %s", log_path, strerror(errno));
    if (pipe(pfd))
        die("pipe: %s", strerror(errno));
    n->pid = fork();
    if (n->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no server outlives a test binary that died */
        dup2(pfd[1], 1);
        if (log_fd >= 0)
            dup2(log_fd, 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(pfd[1]);
    if (log_fd >= 0)
        close(log_fd);
    n->port = read_port(pfd[0], &tls);
    close(pfd[0]); /* the server's later stdout writes go nowhere; it writes none */
    if (!n->port)
        die("mreza serve did not report its port");
    track(n);
    snprintf(n->url, sizeof n->url, "%s://127.0.0.1:%u", tls ? "https" : "http", n->port);
    for (int i = 0; i < 200; i++) {
        struct pollfd none;
        if (h_healthy(n))
            return;
        poll(&none, 0, 25);
    }
    die("mreza serve on port %u never became healthy", n->port);
}

static int reap(struct hnode *n, int sig)
{
    int status;
    if (n->pid <= 0)
        return -1;
    kill(n->pid, sig);
    waitpid(n->pid, &status, 0);
    n->pid = 0;
    for (int i = 0; i < H_MAX_RUNNING; i++)
        if (running[i] == n)
            running[i] = NULL;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int h_stop(struct hnode *n)
{
    unsigned port = n->port;
    int rc = reap(n, SIGTERM);
    size_t used = strlen(unclean);

    n_stopped += rc >= 0;
    if (rc > 0) {
        fprintf(stderr, "harness: mreza serve exited with status %d\n", rc);
        n_unclean++;
        snprintf(unclean + used, sizeof unclean - used, "%sport %u: status %d", used ? "; " : "", port, rc);
    }
    return rc;
}

void h_test_servers_exit_cleanly(void **state)
{
    (void)state;
    for (int i = 0; i < H_MAX_RUNNING; i++)
        if (running[i])
            h_stop(running[i]);
    if (n_stopped == 0)
        fail_msg("no `mreza serve` was started and stopped by this binary: there is nothing to check");
    if (n_unclean)
        fail_msg("%d of the %d servers stopped did not exit cleanly (a sanitizer report above?): %s", n_unclean,
                 n_stopped, unclean);
    print_message("the %d servers stopped exited cleanly (%d started)\n", n_stopped, n_started);
}

void h_kill9(struct hnode *n)
{
    reap(n, SIGKILL);
}

int h_node_free(struct hnode *n)
{
    char cmd[400];
    int rc = h_stop(n);

    if (n->dir[0] && !getenv("MREZA_KEEP_TEST_DATA")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", n->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", n->dir);
    }
    return rc;
}

struct sink {
    char *data;
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct sink *s = ctx;
    size_t n = size * nmemb;
    char *d = realloc(s->data, s->len + n + 1);

    if (!d)
        return 0;
    memcpy(d + s->len, p, n);
    s->data = d;
    s->len += n;
    d[s->len] = '\0';
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct hresp *r = ctx;
    size_t n = size * nmemb, have = strlen(r->headers);

    if (have + n < sizeof r->headers) {
        memcpy(r->headers + have, p, n);
        r->headers[have + n] = '\0';
    }
    return n;
}

long h_http(struct hnode *n, const char *method, const char *path, const char *key,
            const char *body, size_t body_len, struct hresp *r)
{
    static const char *const json[] = {"Content-Type: application/json", NULL};

    return h_http_hdr(n, method, path, key, json, body, body_len, r);
}

/* The TLS side of a request to n: what the client trusts (n->ca, n->pin) and presents
 * (n->cert, n->key); verify 0 checks nothing (h_healthy: is it up?). */
static void tls_setup(CURL *c, const struct hnode *n, int verify)
{
    if (strncmp(n->url, "https:", 6))
        return;
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (!verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        return;
    }
    if (n->ca[0]) {
        curl_easy_setopt(c, CURLOPT_CAINFO, n->ca);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    } else if (n->pin[0]) { /* the pin is the identity, as a pinned peer's (docs/federation.md 9.2) */
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (n->pin[0])
        curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, n->pin);
    if (n->cert[0]) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, n->cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, n->key);
    }
}

static long http_do(struct hnode *n, const char *method, const char *path, const char *key,
                    const char *const *headers, const char *body, size_t body_len, int verify, struct hresp *r);

long h_http_hdr(struct hnode *n, const char *method, const char *path, const char *key,
                const char *const *headers, const char *body, size_t body_len, struct hresp *r)
{
    return http_do(n, method, path, key, headers, body, body_len, 1, r);
}

static long http_do(struct hnode *n, const char *method, const char *path, const char *key,
                    const char *const *headers, const char *body, size_t body_len, int verify, struct hresp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    struct sink s = {NULL, 0};
    char url[4096], auth[160];

    memset(r, 0, sizeof *r);
    if (!c)
        die("curl_easy_init");
    snprintf(url, sizeof url, "%s%s", n->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        hdr = curl_slist_append(hdr, auth);
    }
    int expect = 0;
    for (size_t i = 0; headers && headers[i]; i++) {
        hdr = curl_slist_append(hdr, headers[i]);
        expect |= strncasecmp(headers[i], "Expect:", 7) == 0;
    }
    if (expect) /* the caller asks first: wait for the answer however slow the node is */
        curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 120000L);
    else
        hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    tls_setup(c, n, verify);
    r->curl_code = (int)curl_easy_perform(c);
    if (r->curl_code == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    r->body = s.data ? s.data : calloc(1, 1);
    r->len = s.len;
    return r->status;
}

void hresp_free(struct hresp *r)
{
    free(r->body);
    r->body = NULL;
}

int h_healthy(struct hnode *n)
{
    struct hresp r;
    long st = http_do(n, "GET", "/healthz", NULL, NULL, NULL, 0, 0, &r);
    hresp_free(&r);
    return st == 200;
}

int h_raw_connect(struct hnode *n, const char *from)
{
    struct sockaddr_in to = {0}, src = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("socket: %s", strerror(errno));
    if (from) {
        src.sin_family = AF_INET;
        if (inet_pton(AF_INET, from, &src.sin_addr) != 1 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
            die("bind %s: %s", from, strerror(errno));
    }
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)n->port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
        die("connect to port %u: %s", n->port, strerror(errno));
    return fd;
}

int h_raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One byte, waiting until deadline: 1, 0 at the end of the stream (or a reset), -1
 * on timeout. */
static int raw_byte(int fd, long deadline, char *c)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        long left = deadline - now_ms();
        ssize_t r;
        if (left <= 0)
            return -1;
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        r = recv(fd, c, 1, 0);
        if (r == 1)
            return 1;
        if (r == 0 || (errno != EINTR && errno != EAGAIN))
            return 0;
    }
}

long h_raw_reply(int fd, int timeout_ms, struct hresp *r)
{
    long deadline = now_ms() + timeout_ms;
    size_t hl = 0, want = 0;
    const char *cl;
    char c;
    int got;

    memset(r, 0, sizeof *r);
    r->body = calloc(1, 1);
    while (hl + 1 < sizeof r->headers) {
        got = raw_byte(fd, deadline, &c);
        if (got <= 0)
            return hl ? 0 : got;
        r->headers[hl++] = c;
        r->headers[hl] = '\0';
        if (hl >= 4 && !memcmp(r->headers + hl - 4, "\r\n\r\n", 4))
            break;
    }
    if (sscanf(r->headers, "HTTP/1.%*c %ld", &r->status) != 1)
        die("not an HTTP response: %.200s", r->headers);
    if (r->status == 100)
        return 100;
    cl = strcasestr(r->headers, "\r\nContent-Length:");
    if (cl)
        want = strtoul(cl + 17, NULL, 10);
    free(r->body);
    r->body = calloc(1, want + 1);
    if (!r->body)
        die("out of memory");
    while (r->len < want && raw_byte(fd, deadline, &r->body[r->len]) == 1)
        r->len++;
    return r->status;
}

char *h_raw_read_all(int fd, int timeout_ms, size_t *len_out)
{
    long deadline = now_ms() + timeout_ms;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);

    while (buf) {
        struct pollfd p = {fd, POLLIN, 0};
        long left = deadline - now_ms();
        ssize_t r;
        if (left <= 0) {
            free(buf);
            return NULL;
        }
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if (len + 1 >= cap) {
            char *more = realloc(buf, cap * 2);
            if (!more)
                break;
            buf = more;
            cap *= 2;
        }
        r = recv(fd, buf + len, cap - len - 1, 0);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        buf[len] = '\0';
        *len_out = len;
        return buf;
    }
    die("out of memory");
    return NULL;
}

int h_raw_closed(int fd, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    char c;
    int got;

    while ((got = raw_byte(fd, deadline, &c)) == 1)
        ;
    return got == 0;
}

static sqlite3 *open_db(struct hnode *n)
{
    char path[300];
    sqlite3 *db = NULL;

    snprintf(path, sizeof path, "%s/mreza.db", n->dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open %s", path);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

long long h_db_count(struct hnode *n, const char *where_sql)
{
    sqlite3 *db = open_db(n);
    sqlite3_stmt *s = NULL;
    char sql[1024];
    long long v = -1;

    snprintf(sql, sizeof sql, "SELECT count(*) FROM objects%s%s", where_sql ? " WHERE " : "",
             where_sql ? where_sql : "");
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

int h_db_integrity_ok(struct hnode *n)
{
    sqlite3 *db = open_db(n);
    sqlite3_stmt *s = NULL;
    int ok = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        ok = !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);
    return ok;
}

char *h_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        die("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("cannot read %s", path);
    buf[n] = '\0';
    fclose(f);
    if (len_out)
        *len_out = (size_t)n;
    return buf;
}

/* ---- TLS ---- */

int h_run(const char *const *argv, char **out)
{
    int pfd[2], status, null_fd;
    pid_t pid;
    char *text;

    if (pipe(pfd))
        die("pipe: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    text = read_fd(pfd[0]);
    close(pfd[0]);
    waitpid(pid, &status, 0);
    if (out)
        *out = text;
    else
        free(text);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

const char *h_tls_file(const struct h_tls *t, const char *name, const char *ext, char *out)
{
    snprintf(out, 300, "%s/%s.%s", t->dir, name, ext);
    return out;
}

/* certtool: a key for name, then its certificate from template tmpl, signed by ca
 * (NULL: self-signed). */
static void make_cert(const struct h_tls *t, const char *name, const char *tmpl, const char *ca)
{
    char key[300], pem[300], tpl[300], ca_pem[300], ca_key[300], *out = NULL;
    const char *gen_key[] = {"certtool", "--generate-privkey", "--key-type", "ecdsa", "--outfile", key, NULL};
    const char *self[] = {"certtool", "--generate-self-signed", "--load-privkey", key, "--template", tpl,
                          "--outfile", pem, NULL};
    const char *sign[] = {"certtool", "--generate-certificate", "--load-privkey", key, "--load-ca-certificate",
                          ca_pem, "--load-ca-privkey", ca_key, "--template", tpl, "--outfile", pem, NULL};

    h_tls_file(t, name, "key", key);
    h_tls_file(t, name, "pem", pem);
    snprintf(tpl, sizeof tpl, "tests/data/tls/%s.tmpl", tmpl);
    if (ca) {
        h_tls_file(t, ca, "pem", ca_pem);
        h_tls_file(t, ca, "key", ca_key);
    }
    if (h_run(gen_key, &out) != 0)
        die("certtool --generate-privkey for %s failed (is gnutls-bin installed? scripts/deps.sh): %s", name, out);
    free(out);
    if (h_run(ca ? sign : self, &out) != 0)
        die("certtool could not make %s from %s: %s", name, tpl, out);
    free(out);
}

void h_tls_ca(struct h_tls *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/mreza-tls-XXXXXX");
    if (!mkdtemp(t->dir))
        die("mkdtemp: %s", strerror(errno));
    make_cert(t, "ca", "ca", NULL);
    make_cert(t, "node", "node", "ca");
    make_cert(t, "node2", "node", "ca");
    make_cert(t, "expired", "expired", "ca");
    make_cert(t, "ca2", "ca2", NULL);
    make_cert(t, "wrong", "node", "ca2");
}

void h_tls_free(struct h_tls *t)
{
    char cmd[400];

    if (t->dir[0] && !getenv("MREZA_KEEP_TEST_DATA")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", t->dir);
    }
    t->dir[0] = '\0';
}

void h_start_tls(struct hnode *n, const struct h_tls *t, const char *name, const char *const *sets,
                 const char *log_path)
{
    char cert[320], key[320];
    const char *all[40];
    int k = 0;

    snprintf(cert, sizeof cert, "tls.cert=%s/%s.pem", t->dir, name);
    snprintf(key, sizeof key, "tls.key=%s/%s.key", t->dir, name);
    all[k++] = cert;
    all[k++] = key;
    for (int i = 0; sets && sets[i] && k < 39; i++)
        all[k++] = sets[i];
    all[k] = NULL;
    h_start_logged(n, all, log_path);
    if (strncmp(n->url, "https:", 6))
        die("mreza serve with tls.cert does not serve https: %s", n->url);
    h_tls_file(t, "ca", "pem", n->ca);
}

int h_count_in_file(const char *path, const char *needle)
{
    int fd = open(path, O_RDONLY), count = 0;
    char *text, *p;

    if (fd < 0)
        return 0;
    text = read_fd(fd);
    close(fd);
    for (p = text; (p = strstr(p, needle)); p += strlen(needle))
        count++;
    free(text);
    return count;
}

int h_wait_log(const char *path, const char *needle, int nth, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;

    for (;;) {
        struct pollfd none;
        if (h_count_in_file(path, needle) >= nth)
            return 1;
        if (now_ms() >= deadline)
            return 0;
        poll(&none, 0, 10);
    }
}

void h_wait_indexed(struct hnode *n, const char *key)
{
    for (int i = 0; i < 400; i++) {
        struct hresp r;
        struct pollfd none;
        const char *g;
        long long behind = -1;

        h_http(n, "GET", "/api/v1/index", key, NULL, 0, &r);
        g = r.body ? strstr(r.body, "\"generation\":") : NULL;
        if (g) {
            char where[64];
            snprintf(where, sizeof where, "seq > %lld", strtoll(g + 13, NULL, 10));
            behind = h_db_count(n, where);
        }
        hresp_free(&r);
        if (behind == 0)
            return;
        poll(&none, 0, 25);
    }
    fail_msg("the index did not catch up with the store");
}

int h_count(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}
