/* fed/fed_directory.c - a mreza peer's directory, read live (`mreza peer orgs`, `mreza
 * peer bind PEER ID` without --name; docs/federation.md sections 1, 3 and 10.1): the
 * identity objects of the organisations homed at the peer, as it serves them to this
 * node in its mreza-direct view (every peer may read them: section 3). The peer is
 * reached as a sync run reaches it (its URL, TLS, the key this node presents there:
 * fed_peer_opts), discovered (its API root's x_mreza_node must name the bound
 * identity when one is set), and paged with match[type]=identity through the same
 * guard as a sync page (fed_guard.c), so a hostile peer ends the listing with a coded
 * error, never a loop. Nothing here writes; domain/svc_directory.c judges each
 * object (svc_directory_entry) and binds. */
#include "fed/fed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "domain/svc_sync.h"

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* s percent-encoded (RFC 3986 unreserved kept) at out+used, within cap. */
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

/* The identities' page URL: collection's objects, the newest version of each. */
static void page_url(const char *root, const char *collection, long limit, const char *next, const char *after,
                     char *out, size_t cap)
{
    size_t used;

    snprintf(out, cap, "%s%scollections/", root, root[0] && root[strlen(root) - 1] == '/' ? "" : "/");
    used = put_enc(out, strlen(out), cap, collection);
    used += (size_t)snprintf(out + used, cap - used,
                             "/objects/?match%%5Btype%%5D=identity&match%%5Bversion%%5D=last&limit=%ld", limit);
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

/* Page the identities of collection into out. */
static enum fed_code read_pages(struct fed_http *h, const struct fed_opts *o, const char *root,
                                const char *collection, struct svc_dir_list *out, struct mz_error *err)
{
    struct fed_guard g;
    size_t url_cap = strlen(root) + 3 * 64 + 3 * 4096 + 256;
    char *url = malloc(url_cap), *next = calloc(1, 4096);
    char after[FED_TIME_LEN] = "";
    long start = now_ms();
    enum fed_code code = FED_OK;

    if (!url || !next) {
        free(url);
        free(next);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    fed_guard_init(&g, o);
    for (;;) {
        struct fed_ask ask;
        struct fed_req rq = {"GET", url, NULL, 0};
        struct fed_resp r;
        struct fed_facts f;
        json_t *objs, *metas, *obj;
        size_t i;
        int more;

        memset(&r, 0, sizeof r);
        memset(&f, 0, sizeof f);
        memset(&ask, 0, sizeof ask);
        ask.limit = fed_guard_limit(&g);
        ask.by_next = next[0] != 0;
        if (!ask.by_next)
            snprintf(ask.added_after, sizeof ask.added_after, "%s", after);
        ask.run_ms = now_ms() - start;
        page_url(root, collection, ask.limit, next, after, url, url_cap);
        code = fed_http_fetch(h, &rq, &r, err);
        if (code == FED_OK)
            code = fed_guard_facts(&r, o, &f, err);
        if (code == FED_OK)
            code = fed_guard_check(&g, &ask, &f, err);
        objs = code == FED_OK ? json_object_get(f.env, "objects") : NULL;
        metas = code == FED_OK ? json_object_get(f.env, "x_mreza_meta") : NULL;
        if (code == FED_OK && json_array_size(objs) && json_array_size(metas) != json_array_size(objs)) {
            code = FED_BAD_JSON;
            mz_error_set(err, MZ_EINVAL, "", "the peer's page has no x_mreza_meta entry per object: is it a mreza node?");
        }
        json_array_foreach(code == FED_OK ? objs : NULL, i, obj) {
            struct svc_dir_entry e;
            json_t *meta = json_array_get(metas, i);
            int put;
            if (!json_is_object(meta) || !svc_directory_entry(obj, meta, &e))
                continue; /* another identity the peer may send this node (an AMBER one...) */
            put = svc_dir_list_put(out, &e, FED_MAX_DIRECTORY);
            if (put < 0) {
                code = out->n >= FED_MAX_DIRECTORY ? FED_RUN_LIMIT : FED_NOMEM;
                if (code == FED_NOMEM)
                    mz_error_set(err, MZ_ENOMEM, "", "out of memory");
                else
                    mz_error_set(err, MZ_ETOOBIG, "", "the peer's directory lists more than %d organisations",
                                 FED_MAX_DIRECTORY);
                break;
            }
        }
        if (code == FED_OK)
            code = fed_guard_progress(&g, &ask, f.n_objects, err);
        more = code == FED_OK && f.more;
        if (more && f.next && *f.next && f.next_len < 4096) {
            snprintf(next, 4096, "%s", f.next);
        } else if (more) {
            next[0] = '\0';
            snprintf(after, sizeof after, "%s", f.date_last);
        }
        fed_facts_clear(&f);
        fed_resp_free(&r);
        if (!more)
            break;
    }
    fed_guard_free(&g);
    free(url);
    free(next);
    return code;
}

enum fed_code fed_directory(struct store *st, const struct principal *p, const char *peer,
                            const struct mz_conf *conf, struct svc_dir_list *out, struct mz_error *err)
{
    struct svc_sync_plan *pl = calloc(1, sizeof *pl);
    struct fed_discovery *d = calloc(1, sizeof *d);
    struct fed_sync_opts so;
    struct fed_opts o;
    struct fed_http *h = NULL;
    const char *coll = NULL;
    enum fed_code code = FED_OK;

    memset(out, 0, sizeof *out);
    if (!pl || !d) {
        free(pl);
        free(d);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    memset(&so, 0, sizeof so);
    so.conf = conf;
    if (svc_sync_plan(st, p, peer, pl, err) != MZ_OK) {
        code = FED_CONFIG;
    } else if (strcmp(pl->node.kind, "mreza")) {
        code = FED_CONFIG;
        mz_error_set(err, MZ_EINVAL, "/peer",
                     "peer %s is a taxii server: only a mreza node publishes a directory (bind with --name)",
                     pl->node.name);
    } else {
        fed_peer_opts(pl, &so, &o);
        code = fed_http_new(&o, &h, err);
    }
    if (code == FED_OK)
        code = fed_discover(h, pl->node.url, d, err);
    if (code == FED_OK && pl->node.identity[0] && strcasecmp(d->node_identity, pl->node.identity)) {
        code = FED_IDENTITY;
        mz_error_set(err, MZ_EINVAL, "",
                     "the peer's API root names %s, not %s, the identity bound to peer %s: the URL or the "
                     "certificate leads to another node",
                     d->node_identity[0] ? d->node_identity : "no mreza node", pl->node.identity, pl->node.name);
    }
    for (size_t i = 0; code == FED_OK && i < d->n && !coll; i++)
        if (!strcmp(d->c[i].alias, SVC_SYNC_DIRECT) && d->c[i].can_read)
            coll = d->c[i].id;
    if (code == FED_OK && !coll) {
        code = FED_NOT_FOUND;
        mz_error_set(err, MZ_ENOTFOUND, "",
                     "peer %s lists no %s view for this node: the key this node presents there (mreza peer "
                     "secret %s) must be the peer key its operator issued to this node",
                     pl->node.name, SVC_SYNC_DIRECT, pl->node.name);
    }
    if (code == FED_OK)
        code = read_pages(h, &o, pl->node.url, coll, out, err);
    if (code != FED_OK)
        svc_dir_list_free(out);
    fed_http_free(h);
    memset(pl->secret, 0, sizeof pl->secret);
    free(pl);
    free(d);
    return code;
}
