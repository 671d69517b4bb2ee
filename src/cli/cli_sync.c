/* cli/cli_sync.c - `mreza sync [PEER…]` (issue 11, docs/federation.md 10.3 and 10.6):
 * one pull run of each peer named (every peer that is not paused by default), in the
 * foreground, beside the node's store. Each run is fed_sync_peer (src/fed/): the
 * peer's lock (<data>/sync/<peer>.lock, the one `mreza serve` takes), its status,
 * its pages. One peer's failure never stops the others. Progress goes to stderr when
 * it is a terminal (one line per peer, rewritten in place); one summary line per peer
 * goes to stdout. Exit 0 when every run succeeded, 1 when one failed (or was running
 * elsewhere), 2 for a wrong command line (an unknown peer included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "fed/fed.h"
#include "rules/principal.h"

#define SYNC_MAX_PEERS 256

struct names {
    char name[SYNC_MAX_PEERS][STORE_NODE_NAME_LEN];
    int paused[SYNC_MAX_PEERS];
    size_t n;
};

static int note_peer(void *ctx, const struct svc_peer_view *v)
{
    struct names *ns = ctx;

    if (ns->n < SYNC_MAX_PEERS) {
        snprintf(ns->name[ns->n], sizeof ns->name[0], "%s", v->node.name);
        ns->paused[ns->n++] = v->node.paused;
    }
    return 0;
}

static void progress(void *ctx, const char *peer, const char *collection, const struct fed_run *r)
{
    (void)ctx;
    fprintf(stderr, "\r%-12s pull %-36.36s page %-5ld %7ld new %5ld refused", peer, collection, r->pages, r->stored,
            r->refused);
    fflush(stderr);
}

int cli_sync(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    struct names *ns = calloc(1, sizeof *ns);
    char dir[sizeof a->conf.data_dir + 8];
    int tty = isatty(2), failed = 0, rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    if (!ns)
        return cli_failf("out of memory");
    if (cli_open_store(a, &st, &err)) {
        free(ns);
        return cli_fail(&err);
    }
    principal_console(&console);
    if (a->n_pos == 0) {
        if (svc_peer_list(st, &console, note_peer, ns, &err))
            rc = cli_fail(&err);
    } else {
        struct svc_peer_view *v = malloc(sizeof *v);
        if (!v)
            rc = cli_failf("out of memory");
        for (int i = 0; !rc && i < a->n_pos && ns->n < SYNC_MAX_PEERS; i++) {
            if (svc_peer_get(st, &console, a->pos[i], v, &err))
                rc = err.code == MZ_ENOTFOUND ? cli_usagef("no peer is called '%s' (mreza peer list)", a->pos[i])
                                              : cli_fail(&err);
            else
                note_peer(ns, v);
        }
        free(v);
    }
    snprintf(dir, sizeof dir, "%s/sync", a->conf.data_dir);
    if (!rc && mkdir(dir, 0700) && access(dir, W_OK))
        rc = cli_failf("cannot make %s for the peers' sync locks", dir);
    for (size_t i = 0; !rc && i < ns->n; i++) {
        struct fed_sync_opts so = {&a->conf, dir, tty ? progress : NULL, NULL, NULL, NULL, NULL};
        struct fed_run run;
        enum fed_code code;

        if (ns->paused[i] && a->n_pos == 0) {
            printf("%-12s paused (mreza peer set %s --resume)\n", ns->name[i], ns->name[i]);
            continue;
        }
        mz_error_clear(&err);
        code = fed_sync_peer(st, &console, ns->name[i], &so, &run, &err);
        if (tty && run.pages)
            fputc('\n', stderr);
        printf("%-12s %-14s new=%ld duplicate=%ld refused=%ld pages=%ld seconds=%.2f", ns->name[i],
               code == FED_OK ? "ok" : fed_code_name(code), run.stored, run.duplicates, run.refused, run.pages,
               (double)run.ms / 1000.0);
        if (run.push_subs) /* push (docs/federation.md 10.4) */
            printf(" pushed=%ld push_refused=%ld push_pages=%ld", run.pushed, run.push_refused, run.push_pages);
        putchar('\n');
        fflush(stdout);
        if (code != FED_OK) {
            failed++;
            fprintf(stderr, "mreza: peer %s: %s%s%s%s\n", ns->name[i], run.message, run.collection[0] ? " (collection " : "",
                    run.collection, run.collection[0] ? ")" : "");
        }
    }
    if (!rc && ns->n == 0)
        printf("no peers (mreza peer add)\n");
    if (!rc && failed)
        rc = CLI_EXIT_FAIL;
    svc_store_close(st);
    free(ns);
    return rc;
}
