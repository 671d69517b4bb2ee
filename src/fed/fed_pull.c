/* fed/fed_pull.c - one peer's sync run (docs/federation.md 10.3): its lock, its
 * status, discovery, and the pull loop of each of its subscriptions. Every page goes
 * through the guard (fed_guard.c) before anything of it is applied, and is then
 * applied by svc_sync_apply_page in ONE transaction with its bookmark, so a run
 * stopped anywhere (a hostile page, a timeout, kill -9) leaves the store at the end
 * of the last page applied, and the next run goes on from its bookmark. fed holds no
 * store connection of its own: the caller's st is used, and only through svc_sync_*.
 * After the pulls, a peer whose direction is push or both is pushed (fed_push.c). */
#include "fed/fed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "fmt/bundle.h"
#include "util/lockfile.h"

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* What one run keeps while it goes through the subscriptions. */
struct run_ctx {
    struct store *st;
    const struct principal *p;
    const struct svc_sync_plan *pl;
    const struct fed_sync_opts *so;
    const struct fed_opts *o;
    struct fed_http *h;
    struct fed_guard g;
    struct bundle_limits lim;
    struct fed_run *run;
    long start_ms;
    int taxii;
};

/* s percent-encoded (RFC 3986 unreserved kept) appended at out+used, cap bytes. */
static size_t put_enc(char *out, size_t used, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s && used + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out[used++] = (char)c;
        } else {
            out[used++] = '%';
            out[used++] = hex[c >> 4];
            out[used++] = hex[c & 15];
        }
    }
    out[used] = '\0';
    return used;
}

/* The objects URL of collection, asking limit, by next or else after. */
static void objects_url(const char *root, const char *collection, long limit, const char *next, const char *after,
                        char *out, size_t cap)
{
    size_t used;

    snprintf(out, cap, "%s%scollections/", root, root[0] && root[strlen(root) - 1] == '/' ? "" : "/");
    used = put_enc(out, strlen(out), cap, collection);
    used += (size_t)snprintf(out + used, cap - used, "/objects/?match%%5Bversion%%5D=all&limit=%ld", limit);
    if (used >= cap)
        return;
    if (next && *next) {
        used += (size_t)snprintf(out + used, cap - used, "&next=");
        if (used < cap)
            put_enc(out, used, cap, next);
    } else if (after && *after) {
        used += (size_t)snprintf(out + used, cap - used, "&added_after=");
        if (used < cap)
            put_enc(out, used, cap, after);
    }
}

/* Where a taxii peer is asked from: a microsecond before the last date_added applied,
 * so that a tie on it is read again (10.3); a mreza peer: from it exactly. */
static void ask_from(const struct run_ctx *c, const char *last, char out[FED_TIME_LEN])
{
    char norm[FED_TIME_LEN];

    out[0] = '\0';
    if (!last || !*last || fed_time_norm(last, strlen(last), norm))
        return;
    if (!c->taxii || fed_time_minus_1us(norm, out))
        snprintf(out, FED_TIME_LEN, "%s", norm);
}

/* Pull one subscription to its end (more: false) or to the code that stops it. */
static enum fed_code pull_one(struct run_ctx *c, const struct svc_sync_plan_sub *s, struct mz_error *err)
{
    struct svc_sync_sub sub = {c->pl->node.id, s->collection, "pull", &c->lim, 0, 0, 0};
    size_t url_cap = strlen(c->pl->node.url) + 3 * sizeof s->collection + 3 * sizeof s->next + 256;
    char *url = malloc(url_cap), *next = malloc(sizeof s->next);
    char after[FED_TIME_LEN];
    int retried_next = 0;
    long pages = 0;
    enum fed_code code = FED_OK;

    if (!url || !next) {
        free(url);
        free(next);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    if (c->taxii) {
        sub.owner_org = c->pl->owner_org;
        sub.community = s->community;
        sub.unmarked = c->pl->unmarked;
    }
    /* A run starts from the bookmark's added_after, never from a next kept from an
     * earlier run: a server with one cursor per query (medallion) has moved it past a
     * page the earlier run did not commit, which would then be skipped for good
     * (docs/federation.md 11.6). */
    next[0] = '\0';
    ask_from(c, s->added_after, after);
    /* a new subscription starts at the guard's first limit */
    c->g.limit = c->g.page_size;
    c->g.stale_run = c->g.empty_run = 0;
    c->g.pos[0] = '\0'; /* third attack A1: positions are the subscription's */
    for (;;) {
        struct fed_ask ask;
        struct fed_req rq = {"GET", url, NULL, 0};
        struct fed_resp r;
        struct fed_facts f;
        struct svc_sync_page page;
        struct svc_sync_out out;
        enum mz_err rc;

        memset(&r, 0, sizeof r);
        memset(&ask, 0, sizeof ask);
        ask.limit = fed_guard_limit(&c->g);
        ask.by_next = next[0] != 0;
        if (!ask.by_next)
            snprintf(ask.added_after, sizeof ask.added_after, "%s", after);
        ask.run_ms = now_ms() - c->start_ms;
        objects_url(c->pl->node.url, s->collection, ask.limit, next, after, url, url_cap);
        code = fed_http_fetch(c->h, &rq, &r, err);
        /* a next kept from an earlier run that the server no longer takes (400):
         * asked again by added_after, once */
        if (code == FED_OK && r.status == 400 && ask.by_next && !retried_next && !pages) {
            retried_next = 1;
            next[0] = '\0';
            fed_resp_free(&r);
            continue;
        }
        if (code == FED_OK)
            code = fed_guard_facts(&r, c->o, &f, err);
        else
            memset(&f, 0, sizeof f);
        if (code == FED_OK)
            code = fed_guard_check(&c->g, &ask, &f, err);
        if (code != FED_OK) {
            fed_facts_clear(&f);
            fed_resp_free(&r);
            break;
        }
        page.body = r.body;
        page.len = r.len;
        /* an empty page's date is a position only when it says more (the last row its
         * work examined: 10.3); the bookmark never goes back (svc_sync.c, A6) */
        page.date_added_last = f.date_last[0] && (f.n_objects > 0 || f.more) ? f.date_last : NULL;
        page.next = f.more ? f.next : NULL;
        page.env = f.env; /* the guard's parse, not a second one (borrowed: f owns it) */
        rc = svc_sync_apply_page(c->st, &sub, &page, &out, err);
        if (rc) {
            /* a page that cannot be read is the peer's; a store failure is ours */
            code = rc == MZ_EINVAL || rc == MZ_ETOOBIG ? FED_BAD_JSON : rc == MZ_ENOMEM ? FED_NOMEM : FED_STORE;
            fed_facts_clear(&f);
            fed_resp_free(&r);
            break;
        }
        pages++;
        c->run->pages++;
        c->run->objects += out.objects;
        c->run->stored += out.stored;
        c->run->duplicates += out.duplicates;
        c->run->refused += out.refused_owner + out.refused_community + out.refused_tlp + out.refused_invalid +
                           out.refused_conflict + out.refused_cap;
        c->run->ms = now_ms() - c->start_ms;
        if (c->so->progress)
            c->so->progress(c->so->progress_ctx, c->pl->node.name, s->collection, c->run);
        code = fed_guard_progress(&c->g, &ask, out.stored, err);
        if (code == FED_OK && f.more) {
            if (f.next && *f.next) {
                snprintf(next, sizeof s->next, "%s", f.next);
            } else {
                next[0] = '\0';
                if (f.date_last[0])
                    ask_from(c, f.date_last, after);
            }
        }
        int more = f.more;
        fed_facts_clear(&f);
        fed_resp_free(&r);
        if (code != FED_OK || !more)
            break;
    }
    free(url);
    free(next);
    return code;
}

void fed_peer_opts(const struct svc_sync_plan *pl, const struct fed_sync_opts *so, struct fed_opts *o)
{
    const struct store_node *n = &pl->node;

    fed_opts_defaults(o, so->conf);
    o->url = n->url;
    o->verify = !strcmp(n->verify, "pin") ? FED_VERIFY_PIN : !strcmp(n->verify, "ca") ? FED_VERIFY_CA_FILE
                                                                                       : FED_VERIFY_SYSTEM;
    o->ca_file = n->ca_file[0] ? n->ca_file : NULL;
    o->pins = n->pin[0] ? n->pin : NULL;
    o->client_cert = n->client_cert[0] ? n->client_cert : NULL;
    o->client_key = n->client_key[0] ? n->client_key : NULL;
    o->allow_http = n->allow_http;
    o->auth = !pl->secret[0] ? FED_AUTH_NONE : !strcmp(n->auth, "basic") ? FED_AUTH_BASIC : FED_AUTH_BEARER;
    o->user = n->out_user[0] ? n->out_user : "mreza";
    o->secret = pl->secret[0] ? pl->secret : NULL;
    o->wait = so->wait;
    o->stop = so->stop;
    o->hook_ctx = so->hook_ctx;
}

/* A mreza peer's subscription is run when the peer lists its collection. */
static int listed(const struct fed_discovery *d, const char *collection)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcasecmp(d->c[i].id, collection) || !strcmp(d->c[i].alias, collection))
            return d->c[i].can_read;
    return 0;
}

static enum fed_code run_subs(struct run_ctx *c, struct mz_error *err)
{
    struct fed_discovery *d = calloc(1, sizeof *d);
    enum fed_code code;

    if (!d) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    code = fed_discover(c->h, c->pl->node.url, d, err);
    if (code == FED_OK && !c->taxii && c->pl->node.identity[0] && strcasecmp(d->node_identity, c->pl->node.identity)) {
        code = FED_IDENTITY;
        mz_error_set(err, MZ_EINVAL, "",
                     "the peer's API root names %s%s%s, not %s, the identity bound to peer %s: the URL or the "
                     "certificate leads to another node",
                     d->node_identity[0] ? d->node_identity : "no mreza node", d->node_name[0] ? " as " : "",
                     d->node_name, c->pl->node.identity, c->pl->node.name);
    }
    /* a push-only mreza peer is discovered too: its collections say what it takes */
    for (size_t i = 0; code == FED_OK && i < c->pl->n_subs; i++) {
        const struct svc_sync_plan_sub *s = &c->pl->subs[i];
        if (!c->taxii && !listed(d, s->collection))
            continue; /* a community the peer hosts no member of (or does not serve us) */
        c->run->subs++;
        snprintf(c->run->collection, sizeof c->run->collection, "%s", s->collection);
        code = pull_one(c, s, err);
        if (code == FED_OK)
            c->run->subs_done++;
    }
    if (code == FED_OK)
        c->run->collection[0] = '\0';
    /* then push (10.4), for a peer whose direction is push or both */
    if (code == FED_OK && !c->pl->node.paused && strcmp(c->pl->node.direction, "pull")) {
        struct svc_sync_push_plan *pp = calloc(1, sizeof *pp);
        if (!pp) {
            mz_error_set(err, MZ_ENOMEM, "", "out of memory");
            code = FED_NOMEM;
        } else if (svc_sync_push_plan(c->st, c->p, c->pl->node.id, pp, err) != MZ_OK) {
            code = FED_STORE;
        } else {
            code = fed_push_peer(c->st, c->p, c->pl->node.id, c->pl->node.url, c->h, c->taxii ? NULL : d,
                                 c->o, pp, c->run, err);
        }
        free(pp);
    }
    free(d);
    return code;
}

enum fed_code fed_sync_peer(struct store *st, const struct principal *p, const char *name,
                            const struct fed_sync_opts *so, struct fed_run *run, struct mz_error *err)
{
    struct svc_sync_plan *pl = calloc(1, sizeof *pl);
    struct mz_lock lock = {-1};
    struct fed_opts o;
    struct run_ctx c;
    struct mz_error serr;
    char path[4096];
    enum fed_code code = FED_OK;

    memset(run, 0, sizeof *run);
    memset(&c, 0, sizeof c);
    c.start_ms = now_ms();
    if (!pl) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return run->code = FED_NOMEM;
    }
    if (svc_sync_plan(st, p, name, pl, err) != MZ_OK) {
        code = FED_CONFIG;
        goto out;
    }
    if (so->lock_dir) {
        enum mz_err lrc;
        snprintf(path, sizeof path, "%s/%s.lock", so->lock_dir, pl->node.name);
        lrc = mz_lock_try(path, &lock, &run->holder_pid, err);
        if (lrc == MZ_EBUSY) {
            run->busy = 1;
            mz_error_set(err, MZ_EBUSY, "", "peer %s: a sync is running elsewhere (pid %ld)", pl->node.name,
                         run->holder_pid);
            code = FED_BUSY;
            goto out;
        }
        if (lrc) {
            code = FED_CONFIG;
            goto out;
        }
    }
    if (svc_sync_run_begin(st, p, pl->node.id, err) != MZ_OK) {
        code = FED_STORE;
        goto out;
    }
    fed_peer_opts(pl, so, &o);
    c.st = st;
    c.p = p;
    c.pl = pl;
    c.so = so;
    c.o = &o;
    c.run = run;
    c.taxii = !strcmp(pl->node.kind, "taxii");
    c.lim.max_depth = o.max_depth;
    c.lim.max_objects = o.max_objects;
    c.lim.max_future_skew = so->conf ? so->conf->ingest_max_future_skew : 300;
    c.lim.max_versions = so->conf ? so->conf->ingest_max_versions : 0;
    c.lim.max_objects_per_id = so->conf ? so->conf->sync_max_objects_per_id : 8;
    c.lim.max_objects_per_org = so->conf ? so->conf->ingest_max_objects_per_org : 0;
    c.lim.max_versions_per_org_id = so->conf ? so->conf->ingest_max_versions_per_org_id : 0;
    if (c.taxii && pl->owner_org <= 0) {
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "", "taxii peer %s has no organisation owning what it sends (mreza peer add --org)",
                     pl->node.name);
    } else if (c.taxii && pl->n_subs == 0 && !pl->node.paused && strcmp(pl->node.direction, "push")) {
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "",
                     "taxii peer %s has no collection to pull (mreza peer set %s --collection ID=COMMUNITY)",
                     pl->node.name, pl->node.name);
    } else {
        code = fed_http_new(&o, &c.h, err);
    }
    if (code == FED_OK) {
        fed_guard_init(&c.g, &o);
        code = run_subs(&c, err);
        fed_guard_free(&c.g);
    }
    fed_http_free(c.h);
    mz_error_clear(&serr);
    /* the run's end: its status, whatever happened to the pages (a store error here
     * is the caller's to see, the run's code stays) */
    if (svc_sync_run_end(st, p, pl->node.id, code == FED_OK ? "" : fed_code_name(code),
                         code == FED_OK ? NULL : err->msg, run->collection, &serr) != MZ_OK &&
        code == FED_OK) {
        *err = serr;
        code = FED_STORE;
    }
out:
    mz_lock_release(&lock);
    memset(pl->secret, 0, sizeof pl->secret);
    free(pl);
    run->code = code;
    run->ms = now_ms() - c.start_ms;
    if (code != FED_OK)
        snprintf(run->message, sizeof run->message, "%s", err->msg);
    return code;
}
