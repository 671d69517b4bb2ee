/* cli/cli_demo.c - the demo community: the seven national CSIRTs that report 004
 * names, a police cybercrime unit, three operators of essential services, users of
 * every role, and a few dozen incidents, indicators and sightings across all TLP
 * levels (share/demo/demo.json, embedded by demo_blob.S). Organisations and users
 * keep fixed identity ids so that the data's recipient lists can name them. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/svc.h"

extern const char mz_demo_json[];
extern const char mz_demo_json_end[];

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static enum mz_err load_orgs(struct store *st, const struct principal *console, json_t *orgs,
                             struct mz_error *err)
{
    size_t i;
    json_t *o;

    json_array_foreach(orgs, i, o) {
        struct svc_org_new in = {str(o, "name"), str(o, "full_name"), str(o, "country"),
                                 str(o, "sector"), str(o, "kind"), str(o, "identity")};
        if (svc_org_add(st, console, &in, NULL, err))
            return err->code;
    }
    return MZ_OK;
}

static enum mz_err load_users(struct store *st, const struct principal *console, json_t *users, FILE *keys,
                              struct mz_error *err)
{
    size_t i;
    json_t *u;

    printf("demo API keys (also in demo-keys.txt in the data directory):\n");
    json_array_foreach(users, i, u) {
        struct svc_user_new in = {str(u, "org"), str(u, "name"), str(u, "role"), str(u, "identity"),
                                  0 /* the demo's fixed community: no cap */};
        char key[SVC_KEY_LEN];
        if (svc_user_add(st, console, &in, NULL, key, err))
            return err->code;
        printf("  %-10s %-26s %s\n", in.role, in.name, key);
        fprintf(keys, "%s %s %s %s\n", in.role, in.name, in.org, key);
    }
    return MZ_OK;
}

static enum mz_err load_bundles(struct store *st, json_t *bundles, struct mz_error *err)
{
    struct bundle_limits lim = {64, 100000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    size_t i, total = 0;
    json_t *b;

    json_array_foreach(bundles, i, b) {
        struct principal p;
        struct svc_ingest_result res;
        char *text;
        enum mz_err rc;
        rc = svc_principal_of_user(st, str(b, "user") ? str(b, "user") : "", &p, err);
        if (rc)
            return rc;
        text = json_dumps(json_object_get(b, "bundle"), JSON_COMPACT);
        if (!text)
            return mz_error_set(err, MZ_EINVAL, "", "demo data: bundle %zu is missing", i);
        rc = svc_ingest(st, &p, text, strlen(text), &lim, &res, err);
        free(text);
        if (rc)
            return rc;
        total += res.n_new;
        svc_ingest_result_free(&res);
    }
    printf("demo data: %zu STIX objects loaded\n", total);
    return MZ_OK;
}

/* The keys file is written beside its final name and renamed over it only once the
 * whole demo is in (keys_close), so that a failing run never empties the only copy of
 * earlier keys; it is created 0600, never readable by others even for a moment. */
static FILE *keys_open(const char *tmp, struct mz_error *err)
{
    int fd;
    FILE *f;

    unlink(tmp); /* left by a run that crashed */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        mz_error_set(err, MZ_EIO, "", "cannot write %s: %s", tmp, strerror(errno));
        return NULL;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    return f;
}

/* Close the keys file: renamed to path when rc is MZ_OK and it was written in full,
 * else removed. Returns rc, or the write's error. */
static enum mz_err keys_close(FILE *f, const char *tmp, const char *path, enum mz_err rc, struct mz_error *err)
{
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;

    bad |= fclose(f) != 0;
    if (!rc && bad)
        rc = mz_error_set(err, MZ_EIO, "", "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = mz_error_set(err, MZ_EIO, "", "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

enum mz_err cli_demo_load(struct store *st, const char *data_dir, struct mz_error *err)
{
    json_error_t je;
    json_t *demo = json_loadb(mz_demo_json, (size_t)(mz_demo_json_end - mz_demo_json), 0, &je);
    char path[1024], tmp[1040];
    struct principal console;
    FILE *keys;
    enum mz_err rc;

    principal_console(&console);
    if (!demo)
        return mz_error_set(err, MZ_EINVAL, "", "embedded demo data is malformed: %s (line %d)", je.text, je.line);
    snprintf(path, sizeof path, "%s/demo-keys.txt", data_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    keys = keys_open(tmp, err);
    if (!keys) {
        json_decref(demo);
        return err->code;
    }
    rc = load_orgs(st, &console, json_object_get(demo, "orgs"), err);
    if (rc == MZ_ECONFLICT)
        mz_error_set(err, rc, "", "the store in %s already holds the demo organisations; use a fresh --data directory", data_dir);
    if (!rc)
        rc = load_users(st, &console, json_object_get(demo, "users"), keys, err);
    if (!rc)
        rc = load_bundles(st, json_object_get(demo, "bundles"), err);
    rc = keys_close(keys, tmp, path, rc, err);
    json_decref(demo);
    return rc;
}
