/* domain/svc_store.c - how a command beside the node opens its store: the front ends
 * (cli/) hold a store connection only as an opaque handle that they pass to svc_*
 * calls, and never call the store themselves. */
#include "domain/svc.h"

enum mz_err svc_store_open(const struct mz_conf *conf, enum svc_open_mode mode, struct store **out,
                           struct mz_error *err)
{
    static const enum store_open_mode modes[] = {
        [SVC_OPEN_EXISTING] = STORE_OPEN_EXISTING,
        [SVC_OPEN_NEW] = STORE_OPEN_NEW,
        [SVC_OPEN_CREATE] = STORE_OPEN_CREATE,
    };
    struct store_opts opts = {conf->store_cache_mb, 0, STORE_OPEN_EXISTING};

    if ((unsigned)mode >= sizeof modes / sizeof modes[0])
        return mz_error_set(err, MZ_EINVAL, "", "unknown store open mode %d", (int)mode);
    opts.mode = modes[mode];
    return store_open(conf->data_dir, &opts, out, err);
}

void svc_store_close(struct store *st)
{
    store_close(st);
}
