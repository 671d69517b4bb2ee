/* domain/node.c - see node.h. */
#include "domain/node.h"

#include <stdlib.h>
#include <string.h>

enum mz_err node_open(struct node *node, const struct mz_conf *conf, int n,
                      struct mz_error *err)
{
    struct store_opts opts = {conf->store_cache_mb};
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
    pthread_mutex_init(&node->lock, NULL);
    pthread_cond_init(&node->cond, NULL);
    return MZ_OK;
fail:
    for (int i = 0; i < node->n_pool; i++)
        store_close(node->pool[i]);
    free(node->pool);
    free(node->idle);
    memset(node, 0, sizeof *node);
    return rc;
}

void node_close(struct node *node)
{
    if (!node->pool)
        return;
    for (int i = 0; i < node->n_pool; i++)
        store_close(node->pool[i]);
    free(node->pool);
    free(node->idle);
    pthread_mutex_destroy(&node->lock);
    pthread_cond_destroy(&node->cond);
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
