/* cli/cli_serve.c - `mreza serve`: the node's phased start-up and shutdown:
 * config -> store pool -> HTTP (or HTTPS) -> wait for signals -> HTTP stop -> store
 * close. SIGINT and SIGTERM stop the node; SIGHUP re-reads the TLS files (tls.cert,
 * tls.key, tls.client_ca) and goes on waiting, with the old ones still serving if the
 * new ones are refused. The signals are blocked in every thread and taken by sigwait()
 * here, so no handler runs on a libmicrohttpd thread. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/http.h"
#include "cli/cli.h"
#include "node/node.h"
#include "node/node_sync.h"
#include "util/log.h"

const struct cli_option cli_serve_options[] = {
    {.name = "listen", .kind = CLI_OPT_TEXT, .value = "ADDR:PORT",
     .help = "where to listen (the setting listen, default 127.0.0.1:8470; port 0 picks a free one)"},
    {.name = NULL},
};

static void serve_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

static int wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    serve_signals(&set);
    sigwait(&set, &sig);
    return sig;
}

/* The certificate now served: logged at start and after each reload; a warning when
 * it is outside its validity (clients that verify refuse it). */
static void log_certificate(struct http_server *http, const char *event)
{
    char pin[64], esc[MZ_LOG_ESC_LEN(64)], when[32];
    long long not_after = 0;
    time_t t;
    struct tm tm;

    http_tls_current(http, pin, sizeof pin, &not_after);
    t = (time_t)not_after;
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "-");
    MZ_LOG(MZ_LOG_INFO, "event=%s pin=\"%s\" not_after=%s", event, mz_log_quote(pin, esc, sizeof esc), when);
    if (not_after < (long long)time(NULL))
        MZ_LOG(MZ_LOG_WARN, "event=tls_cert_expired pin=\"%s\" not_after=%s msg=\"the certificate served has expired: "
               "clients that verify it refuse every connection; renew it and send SIGHUP\"", esc, when);
}

/* SIGHUP: the TLS files again. The outcome is logged; serving goes on either way. */
static void reload_tls(struct http_server *http)
{
    struct mz_error err;
    char field[MZ_LOG_ESC_LEN(MZ_ERR_FIELD_LEN)], msg[MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];

    mz_error_clear(&err);
    if (!http_tls_on(http)) {
        MZ_LOG(MZ_LOG_INFO, "event=reload msg=\"TLS is off (tls.cert is empty): nothing to reload\"");
        return;
    }
    if (http_tls_reload(http, &err)) {
        MZ_LOG(MZ_LOG_ERROR, "event=tls_reload_failed setting=%s msg=\"%s\" kept=old",
               mz_log_esc(err.field[0] ? err.field : "-", field, sizeof field), mz_log_quote(err.msg, msg, sizeof msg));
        return;
    }
    log_certificate(http, "tls_reload");
}

int cli_serve(struct cli_args *a)
{
    struct node node;
    struct http_server *http = NULL;
    struct node_sync *syncer = NULL;
    struct mz_error err;
    char esc[2][MZ_LOG_ESC_LEN(MZ_CONF_STR_LEN)];
    struct stat sb;
    sigset_t set;
    int sig;

    mz_error_clear(&err);
    /* Block the signals before any thread starts, so only sigwait sees them. */
    serve_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (node_open(&node, &a->conf, (int)a->conf.http_threads + 1, &err)) {
        cli_no_node(a, &err);
        return cli_fail(&err);
    }
    if (http_start(&node, &http, &err)) {
        node_close(&node);
        return cli_fail(&err);
    }
    if (node_sync_start(&a->conf, &syncer, &err)) {
        http_stop(http);
        node_close(&node);
        return cli_fail(&err);
    }
    MZ_LOG(MZ_LOG_INFO, "event=start listen=%s port=%u tls=%s data=%s", mz_log_esc(a->conf.listen, esc[0], sizeof esc[0]),
           http_port(http), http_tls_on(http) ? "on" : "off", mz_log_esc(a->conf.data_dir, esc[1], sizeof esc[1]));
    if (http_tls_on(http))
        log_certificate(http, "tls");
    /* `mreza init` takes other users' access away; serve only says so */
    if (stat(a->conf.data_dir, &sb) == 0 && (sb.st_mode & 077))
        MZ_LOG(MZ_LOG_WARN, "event=data_dir_open data=%s mode=%04o msg=\"other users can enter the data directory, "
               "which holds every TLP level: make it 0700 (mreza init does)\"",
               esc[1], (unsigned)(sb.st_mode & 07777));
    printf("mreza: serving %s on %s://%s%.*s:%u/ (data %s)\n", "the API", http_tls_on(http) ? "https" : "http",
           a->conf.listen[0] == ':' ? "0.0.0.0" : "",
           (int)(strrchr(a->conf.listen, ':') - a->conf.listen), a->conf.listen, http_port(http),
           a->conf.data_dir);
    fflush(stdout);
    while ((sig = wait_for_signal()) == SIGHUP)
        reload_tls(http);
    MZ_LOG(MZ_LOG_INFO, "event=stop signal=%d", sig);
    node_sync_stop(syncer); /* the runs under way end (fed's stop callback) */
    http_stop(http);
    node_close(&node);
    return 0;
}
