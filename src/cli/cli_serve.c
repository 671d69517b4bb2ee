/* cli/cli_serve.c - `mreza serve`: the node's phased start-up and shutdown:
 * config -> store pool -> HTTP -> wait for SIGINT/SIGTERM -> HTTP stop -> store close. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/http.h"
#include "cli/cli.h"
#include "node/node.h"
#include "util/log.h"

const struct cli_option cli_serve_options[] = {
    {.name = "listen", .kind = CLI_OPT_TEXT, .value = "ADDR:PORT",
     .help = "where to listen (the setting listen, default 127.0.0.1:8470; port 0 picks a free one)"},
    {.name = NULL},
};

static int wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigwait(&set, &sig);
    return sig;
}

int cli_serve(struct cli_args *a)
{
    struct node node;
    struct http_server *http = NULL;
    struct mz_error err;
    char esc[2][MZ_LOG_ESC_LEN(MZ_CONF_STR_LEN)];
    struct stat sb;
    sigset_t set;
    int sig;

    mz_error_clear(&err);
    /* Block the stop signals before any thread starts, so only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
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
    MZ_LOG(MZ_LOG_INFO, "event=start listen=%s port=%u data=%s", mz_log_esc(a->conf.listen, esc[0], sizeof esc[0]),
           http_port(http), mz_log_esc(a->conf.data_dir, esc[1], sizeof esc[1]));
    /* `mreza init` takes other users' access away; serve only says so */
    if (stat(a->conf.data_dir, &sb) == 0 && (sb.st_mode & 077))
        MZ_LOG(MZ_LOG_WARN, "event=data_dir_open data=%s mode=%04o msg=\"other users can enter the data directory, "
               "which holds every TLP level: make it 0700 (mreza init does)\"",
               esc[1], (unsigned)(sb.st_mode & 07777));
    printf("mreza: serving %s on http://%s%.*s:%u/ (data %s)\n", "the API",
           a->conf.listen[0] == ':' ? "0.0.0.0" : "",
           (int)(strrchr(a->conf.listen, ':') - a->conf.listen), a->conf.listen, http_port(http),
           a->conf.data_dir);
    fflush(stdout);
    sig = wait_for_signal();
    MZ_LOG(MZ_LOG_INFO, "event=stop signal=%d", sig);
    http_stop(http);
    node_close(&node);
    return 0;
}
