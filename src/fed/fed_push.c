/* fed/fed_push.c - the push of one peer (docs/federation.md 10.4): each push
 * subscription's pages, read by svc_sync_push_page (exactly what the peer would pull,
 * read only), POSTed as TAXII envelopes to the peer's collection; the push bookmark
 * moves (svc_sync_push_done) only after a 202 whose status is complete. A run stopped
 * between the peer's commit and the bookmark's (kill -9, a lost answer) sends the page
 * again on the next run, and the peer counts it as duplicates: nothing is lost, and
 * nothing is stored twice there. fed_sync_peer (fed_pull.c) calls it after the pulls,
 * with the run's handle. */
#include "fed/fed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/svc.h"
#include "domain/svc_sync.h"
#include "util/buf.h"
#include "util/log.h"

/* api_root + "collections/" + remote (percent-encoded) + "/objects/" into out. */
static void post_url(const char *root, const char *remote, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t used;

    snprintf(out, cap, "%s%scollections/", root, root[0] && root[strlen(root) - 1] == '/' ? "" : "/");
    used = strlen(out);
    for (const char *s = remote; *s && used + 4 < cap; s++) {
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
    snprintf(out + used, cap - used, "/objects/");
}

/* The TAXII status of r's body into (status, id, successes, failures). */
static enum fed_code read_status(const struct fed_resp *r, long max_values, char *status, size_t scap, char *id,
                                 size_t icap, long *ok, long *bad, struct mz_error *err)
{
    /* weighed before it is parsed, as a pulled page is (fourth attack B6) */
    int light = r->body && (max_values <= 0 || fed_json_weight(r->body, r->len, max_values) <= max_values);
    json_t *j = light ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(j, "status"));
    const char *i = json_string_value(json_object_get(j, "id"));

    if (!json_is_object(j) || !s || !i || strlen(i) >= icap) {
        json_decref(j);
        mz_error_set(err, MZ_EINVAL, "", "the peer answered a push with no TAXII status (status and id), or one heavier than sync.max_page_values");
        return FED_BAD_JSON;
    }
    snprintf(status, scap, "%s", s);
    snprintf(id, icap, "%s", i);
    *ok = (long)json_integer_value(json_object_get(j, "success_count"));
    *bad = (long)json_integer_value(json_object_get(j, "failure_count"));
    json_decref(j);
    return FED_OK;
}

/* POST one page (env) to url; complete: the peer's counts. *status: the HTTP status
 * of the POST's answer (0 when none came). */
static enum fed_code post_page(struct fed_http *h, const char *root, const char *url, const struct mz_buf *env,
                               long max_values, long *ok, long *bad, long *status_out, struct mz_error *err)
{
    struct fed_req rq = {"POST", url, env->data, env->len};
    struct fed_resp r;
    char status[32], id[128], surl[512];
    enum fed_code code;
    int polls = 0;

    memset(&r, 0, sizeof r);
    *status_out = 0;
    code = fed_http_fetch(h, &rq, &r, err);
    if (code == FED_OK) {
        *status_out = r.status;
        code = fed_guard_status(r.status, 202, err);
    }
    if (code == FED_OK)
        code = read_status(&r, max_values, status, sizeof status, id, sizeof id, ok, bad, err);
    fed_resp_free(&r);
    /* pending: asked again, a bounded number of times */
    while (code == FED_OK && strcmp(status, "complete") && polls < FED_PUSH_POLLS) {
        struct fed_req sq = {"GET", surl, NULL, 0};
        polls++;
        snprintf(surl, sizeof surl, "%s%sstatus/%s/", root, root[0] && root[strlen(root) - 1] == '/' ? "" : "/", id);
        memset(&r, 0, sizeof r);
        code = fed_http_fetch(h, &sq, &r, err);
        if (code == FED_OK)
            code = fed_guard_status(r.status, 200, err);
        if (code == FED_OK)
            code = read_status(&r, max_values, status, sizeof status, id, sizeof id, ok, bad, err);
        fed_resp_free(&r);
    }
    if (code == FED_OK && strcmp(status, "complete")) {
        mz_error_set(err, MZ_EIO, "",
                     "the peer's status of a pushed page is still '%.20s' after %d polls: the page goes again next run",
                     status, polls);
        code = FED_HTTP_STATUS;
    }
    return code;
}

static int writable(const struct fed_discovery *d, const char *collection)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcasecmp(d->c[i].id, collection))
            return d->c[i].can_write;
    return 0;
}

/* Does the peer refuse this page for what it holds (third attack A3, A4)? 413 (the
 * body is larger than it takes), 400 and 422 (it will not take the envelope: many
 * servers refuse a whole envelope for one object). Other answers (401, 403, 404, 415,
 * 5xx...) are about the peer or the request, never an object, and end the run. */
static int refused_for_content(enum fed_code code, long status)
{
    return code == FED_HTTP_4XX && (status == 400 || status == 413 || status == 422);
}

/* The id of the one object of env (for the log), into out. */
static void only_id(const struct mz_buf *env, char *out, size_t cap)
{
    json_t *j = json_loadb(env->data, env->len, 0, NULL);
    const char *id = json_string_value(json_object_get(json_array_get(json_object_get(j, "objects"), 0), "id"));

    snprintf(out, cap, "%s", id ? id : "?");
    json_decref(j);
}

enum fed_code fed_push_peer(struct store *st, const struct principal *p, int64_t id, const char *api_root,
                            struct fed_http *h, const struct fed_discovery *listed, const struct fed_opts *o,
                            struct svc_sync_push_plan *plan, struct fed_run *run, struct mz_error *err)
{
    size_t url_cap = strlen(api_root) + 3 * 64 + 64;
    char *url = malloc(url_cap);
    long page_size = o->page_size > 0 ? o->page_size : 1;
    enum fed_code code = FED_OK;

    if (!url) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    for (size_t i = 0; code == FED_OK && i < plan->n; i++) {
        struct svc_sync_push_sub *s = &plan->subs[i];
        long limit = page_size; /* halved while the peer refuses a page for its content */
        if (listed && !writable(listed, s->remote))
            continue; /* a community the peer does not take from this node */
        run->push_subs++;
        snprintf(run->collection, sizeof run->collection, "%s", s->remote);
        post_url(api_root, s->remote, url, url_cap);
        s->page_work = o->page_work;
        for (;;) {
            struct mz_buf env;
            char last[40] = "", what[128], esc[2][MZ_LOG_ESC_LEN(128)];
            size_t n = 0;
            long ok = 0, bad = 0, status = 0;
            int more = 0, refused_alone = 0;
            enum mz_err rc;

            mz_buf_init(&env, o->max_push_bytes ? o->max_push_bytes : (size_t)256 << 20);
            rc = svc_sync_push_page(st, p, id, s, limit, plan->mreza, &env, &n, last, &more, what, err);
            if (rc == MZ_ETOOBIG && limit > 1) {
                /* a page larger than our own buffer: smaller pages, as for a 413 */
                mz_buf_free(&env);
                mz_error_clear(err);
                limit /= 2;
                continue;
            }
            if (rc == MZ_ETOOBIG && last[0] && strcmp(last, s->after) > 0) {
                /* one object alone larger than a push page (http.max_body): no peer
                 * could take it from here; counted (push_refused), logged with its id,
                 * and passed, as one the peer refuses alone (fourth attack B7) */
                mz_buf_free(&env);
                MZ_LOG(MZ_LOG_WARN, "event=push_refused peer=%lld coll=%s id=%s status=too_large", (long long)id,
                       mz_log_esc(s->remote, esc[0], sizeof esc[0]), mz_log_esc(what, esc[1], sizeof esc[1]));
                mz_error_clear(err);
                if (svc_sync_push_done(st, p, id, s, last, 0, 1, err) != MZ_OK) {
                    code = FED_STORE;
                    break;
                }
                snprintf(s->after, sizeof s->after, "%s", last);
                run->push_pages++;
                run->push_refused++;
                continue;
            }
            if (rc != MZ_OK)
                code = FED_STORE;
            if (code == FED_OK && !n) {
                /* nothing the peer may read before the page's work ran out (A7): the
                 * bookmark moves to the last row examined, nothing is sent; no more: done */
                mz_buf_free(&env);
                if (!more || !last[0] || strcmp(last, s->after) <= 0)
                    break;
                if (svc_sync_push_done(st, p, id, s, last, 0, 0, err) != MZ_OK) {
                    code = FED_STORE;
                    break;
                }
                snprintf(s->after, sizeof s->after, "%s", last);
                continue;
            }
            if (code == FED_OK)
                code = post_page(h, api_root, url, &env, o->max_page_values, &ok, &bad, &status, err);
            if (refused_for_content(code, status)) {
                if (n > 1) {
                    /* the page again in halves, down to one object (A3, A4) */
                    mz_buf_free(&env);
                    mz_error_clear(err);
                    code = FED_OK;
                    limit = (long)n / 2;
                    continue;
                }
                /* one object the peer refuses alone: counted (push_refused), logged
                 * with its id, and passed: it no longer holds back what follows */
                only_id(&env, what, sizeof what);
                MZ_LOG(MZ_LOG_WARN, "event=push_refused peer=%lld coll=%s id=%s status=%ld", (long long)id,
                       mz_log_esc(s->remote, esc[0], sizeof esc[0]), mz_log_esc(what, esc[1], sizeof esc[1]),
                       status);
                mz_error_clear(err);
                code = FED_OK;
                ok = 0;
                bad = 1;
                refused_alone = 1;
            }
            mz_buf_free(&env);
            if (code != FED_OK)
                break;
            if (svc_sync_push_done(st, p, id, s, last, ok, bad, err) != MZ_OK) {
                code = FED_STORE;
                break;
            }
            snprintf(s->after, sizeof s->after, "%s", last);
            run->push_pages++;
            run->pushed += ok;
            run->push_refused += bad;
            if (!refused_alone && limit < page_size) /* a page went through: grow back */
                limit = limit > page_size / 2 ? page_size : limit * 2;
            if (!more)
                break;
        }
    }
    if (code == FED_OK)
        run->collection[0] = '\0';
    free(url);
    return code;
}
