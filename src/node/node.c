/* node/node.c - see node.h. */
#include "node/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/campaign.h"
#include "domain/svc.h"
#include "domain/svc_match.h"
#include "engine/engine.h"
#include "util/log.h"

#define TICK_S 1
#define SNAPSHOT_EVERY_S 10

/* Record the campaigns a refresh detected, each a grouping in its own transaction,
 * on the background thread's connection: the refresh has returned, so no lock of the
 * engine is held while SQLite's writer is waited for. A campaign that could not be
 * recorded is detected again when its observable is next reported. */
static void record_campaigns(struct node *node, const struct engine_refresh_result *res)
{
    struct mz_error err;
    char msg[MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)]; /* error messages may quote what a client sent */

    for (size_t i = 0; i < res->n_campaigns; i++) {
        const struct engine_campaign *c = &res->campaigns[i];
        mz_error_clear(&err);
        if (campaign_record(node->ckpt_store, c, &err))
            MZ_LOG(MZ_LOG_WARN, "event=campaign_record_failed grouping=%s msg=\"%s\"", c->id,
                   mz_log_quote(err.msg, msg, sizeof msg));
        else
            MZ_LOG(MZ_LOG_INFO, "event=campaign grouping=%s reports=%zu countries=%zu", c->id, c->n_refs,
                   c->n_countries);
    }
}

/* Index what the store gained, then record the campaigns that detected. */
static enum mz_err refresh(struct node *node, size_t *n_out, struct mz_error *err)
{
    struct engine_refresh_result res;
    enum mz_err rc = engine_refresh(node->index, node->ckpt_store, &res, err);

    if (!rc)
        record_campaigns(node, &res);
    *n_out = res.n_rows;
    engine_refresh_result_free(&res);
    return rc;
}

/* One round of background work: index what is new (and record campaigns),
 * checkpoint, and now and then rewrite the index snapshot. */
static void background_tick(struct node *node, uint64_t *saved_gen, time_t *saved_at, int force_save)
{
    struct mz_error err;
    char msg[MZ_LOG_ESC_LEN(MZ_ERR_MSG_LEN)];
    size_t n = 0;
    uint64_t gen;

    mz_error_clear(&err);
    if (refresh(node, &n, &err))
        MZ_LOG(MZ_LOG_WARN, "event=index_refresh_failed msg=\"%s\"", mz_log_quote(err.msg, msg, sizeof msg));
    else if (n)
        MZ_LOG(MZ_LOG_DEBUG, "event=index_refresh objects=%zu", n);
    mz_error_clear(&err);
    if (store_checkpoint(node->ckpt_store, &err))
        MZ_LOG(MZ_LOG_WARN, "event=checkpoint_failed msg=\"%s\"", mz_log_quote(err.msg, msg, sizeof msg));
    gen = engine_generation(node->index);
    if (gen != *saved_gen && (force_save || time(NULL) - *saved_at >= SNAPSHOT_EVERY_S)) {
        mz_error_clear(&err);
        if (engine_snapshot_save(node->index, node->index_path, &err))
            MZ_LOG(MZ_LOG_WARN, "event=snapshot_failed msg=\"%s\"", mz_log_quote(err.msg, msg, sizeof msg));
        *saved_gen = gen;
        *saved_at = time(NULL);
    }
}

static void *background(void *arg)
{
    struct node *node = arg;
    uint64_t saved_gen = engine_generation(node->index);
    time_t saved_at = 0;

    pthread_mutex_lock(&node->lock);
    while (!node->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += TICK_S;
        pthread_cond_timedwait(&node->ckpt_cond, &node->lock, &until);
        pthread_mutex_unlock(&node->lock);
        background_tick(node, &saved_gen, &saved_at, 0);
        pthread_mutex_lock(&node->lock);
    }
    pthread_mutex_unlock(&node->lock);
    background_tick(node, &saved_gen, &saved_at, 1);
    return NULL;
}

/* docs/model.md R8: every user's identity id is claimed for its organisation. Users
 * added since the claims came are claimed as they are added (svc_user_add); this
 * claims those of a store from before, once, before the index is built. */
static enum mz_err claim_user_identities(struct node *node, struct mz_error *err)
{
    size_t added = 0, late = 0;
    enum mz_err rc = svc_user_claims(node->ckpt_store, &added, &late, err);

    if (!rc && added)
        MZ_LOG(MZ_LOG_INFO, "event=user_identities_claimed claims=%zu", added);
    if (!rc && late)
        MZ_LOG(MZ_LOG_WARN,
               "event=user_identities_taken ids=%zu msg=\"another organisation posted these users' identity ids "
               "before the node claimed them: those objects stay the ids' first for readers outside the users' organisations "
               "(docs/model.md R8)\"",
               late);
    return rc;
}

enum mz_err node_open(struct node *node, const struct mz_conf *conf, int n,
                      struct mz_error *err)
{
    struct store_opts opts = {conf->store_cache_mb, 1, STORE_OPEN_EXISTING}; /* made by `mreza init` */
    enum mz_err rc = MZ_OK;

    memset(node, 0, sizeof *node);
    node->conf = *conf;
    node->pool = calloc((size_t)n, sizeof *node->pool);
    node->idle = calloc((size_t)n, sizeof *node->idle);
    if (!node->pool || !node->idle) {
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        rc = store_open(conf->data_dir, &opts, &node->pool[i], err);
        if (rc)
            goto fail;
        node->n_pool++;
        node->idle[node->n_idle++] = i;
    }
    node->xpool = calloc((size_t)conf->http_max_exports, sizeof *node->xpool);
    node->xidle = calloc((size_t)conf->http_max_exports, sizeof *node->xidle);
    if (!node->xpool || !node->xidle) {
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto fail;
    }
    for (int i = 0; i < conf->http_max_exports; i++) {
        rc = store_open(conf->data_dir, &opts, &node->xpool[i], err);
        if (rc)
            goto fail;
        node->n_xpool++;
        node->xidle[node->n_xidle++] = i;
    }
    rc = store_open(conf->data_dir, &opts, &node->ckpt_store, err);
    if (rc)
        goto fail;
    /* The index is built from the store before the node answers anything. */
    snprintf(node->index_path, sizeof node->index_path, "%s/index.snap", conf->data_dir);
    rc = claim_user_identities(node, err);
    if (!rc)
        rc = engine_new(&node->index, err);
    if (!rc) {
        char key[ENGINE_CAMPAIGN_KEY_MAX + 1];
        size_t n_rows;
        svc_match_configure(node->index, conf, 1);
        rc = campaign_key(node->ckpt_store, key, sizeof key, err);
        if (!rc) {
            engine_set_campaigns(node->index, conf->campaign_window_hours, conf->campaign_min_countries, key);
            rc = refresh(node, &n_rows, err);
        }
    }
    if (rc)
        goto fail;
    pthread_mutex_init(&node->lock, NULL);
    pthread_cond_init(&node->cond, NULL);
    pthread_cond_init(&node->ckpt_cond, NULL);
    node->ckpt_running = pthread_create(&node->ckpt_thread, NULL, background, node) == 0;
    return MZ_OK;
fail:
    engine_free(node->index);
    store_close(node->ckpt_store);
    for (int i = 0; i < node->n_pool; i++)
        store_close(node->pool[i]);
    for (int i = 0; i < node->n_xpool; i++)
        store_close(node->xpool[i]);
    free(node->pool);
    free(node->idle);
    free(node->xpool);
    free(node->xidle);
    memset(node, 0, sizeof *node);
    return rc;
}

void node_close(struct node *node)
{
    if (!node->pool)
        return;
    if (node->ckpt_running) {
        pthread_mutex_lock(&node->lock);
        node->stopping = 1;
        pthread_cond_broadcast(&node->ckpt_cond);
        pthread_mutex_unlock(&node->lock);
        pthread_join(node->ckpt_thread, NULL);
    }
    store_close(node->ckpt_store);
    engine_free(node->index);
    for (int i = 0; i < node->n_pool; i++)
        store_close(node->pool[i]);
    for (int i = 0; i < node->n_xpool; i++)
        store_close(node->xpool[i]);
    free(node->pool);
    free(node->idle);
    free(node->xpool);
    free(node->xidle);
    pthread_mutex_destroy(&node->lock);
    pthread_cond_destroy(&node->cond);
    pthread_cond_destroy(&node->ckpt_cond);
    memset(node, 0, sizeof *node);
}

struct store *node_store_acquire(struct node *node)
{
    struct store *st;

    pthread_mutex_lock(&node->lock);
    while (node->n_idle == 0)
        pthread_cond_wait(&node->cond, &node->lock);
    st = node->pool[node->idle[--node->n_idle]];
    pthread_mutex_unlock(&node->lock);
    return st;
}

void node_store_release(struct node *node, struct store *st)
{
    pthread_mutex_lock(&node->lock);
    for (int i = 0; i < node->n_pool; i++)
        if (node->pool[i] == st) {
            node->idle[node->n_idle++] = i;
            break;
        }
    pthread_cond_signal(&node->cond);
    pthread_mutex_unlock(&node->lock);
}

struct store *node_export_acquire(struct node *node)
{
    struct store *st = NULL;

    pthread_mutex_lock(&node->lock);
    if (node->n_xidle > 0)
        st = node->xpool[node->xidle[--node->n_xidle]];
    pthread_mutex_unlock(&node->lock);
    return st;
}

void node_export_release(struct node *node, struct store *st)
{
    pthread_mutex_lock(&node->lock);
    for (int i = 0; i < node->n_xpool; i++)
        if (node->xpool[i] == st) {
            node->xidle[node->n_xidle++] = i;
            break;
        }
    pthread_mutex_unlock(&node->lock);
}
