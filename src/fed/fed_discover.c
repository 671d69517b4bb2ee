/* fed/fed_discover.c - what a peer serves, asked once per run (docs/federation.md
 * 10.1, 10.3): its API root (a mreza node names itself there in x_mreza_node) and
 * the collections it lets this node see. The responses go through the same facts as
 * a page (fed_guard_facts: media type, Content-Encoding, JSON depth and duplicate
 * keys), so a hostile peer's discovery answers fail as its pages would. Nothing here
 * writes: fed_pull.c decides what the answers mean for the run. */
#include "fed/fed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET url into f (a JSON object answered 200 as application/taxii+json). */
static enum fed_code get_json(struct fed_http *h, const char *url, const char *what, struct fed_facts *f,
                              struct mz_error *err)
{
    struct fed_req rq = {"GET", url, NULL, 0};
    struct fed_resp r;
    struct fed_opts o;
    enum fed_code code;

    memset(&r, 0, sizeof r);
    memset(f, 0, sizeof *f);
    code = fed_http_fetch(h, &rq, &r, err);
    if (code == FED_OK)
        code = fed_guard_status(r.status, 200, err);
    fed_opts_defaults(&o, NULL);
    if (code == FED_OK)
        code = fed_guard_facts(&r, &o, f, err);
    if (code == FED_OK && (f->encoded || !f->content_type_ok)) {
        code = FED_CONTENT_TYPE;
        mz_error_set(err, MZ_EINVAL, "", "the peer's %s is not application/taxii+json;version=2.1 (%s%s)", what,
                     r.content_type[0] ? r.content_type : "no Content-Type",
                     f->encoded ? ", compressed" : "");
    } else if (code == FED_OK && (!f->json_ok || !json_is_object(f->env))) {
        code = FED_BAD_JSON;
        mz_error_set(err, MZ_EINVAL, "", "the peer's %s is not a JSON object", what);
    }
    fed_resp_free(&r);
    return code;
}

static void copy_str(char *out, size_t cap, json_t *v)
{
    const char *s = json_string_value(v);

    snprintf(out, cap, "%s", s && strlen(s) < cap ? s : "");
}

enum fed_code fed_discover(struct fed_http *h, const char *api_root, struct fed_discovery *out,
                           struct mz_error *err)
{
    struct fed_facts f;
    char *url;
    size_t n = strlen(api_root) + 16;
    enum fed_code code;
    json_t *node, *list, *c;
    size_t i;

    memset(out, 0, sizeof *out);
    code = get_json(h, api_root, "API root", &f, err);
    if (code == FED_OK) {
        node = json_object_get(f.env, "x_mreza_node");
        copy_str(out->node_identity, sizeof out->node_identity, json_object_get(node, "identity"));
        copy_str(out->node_name, sizeof out->node_name, json_object_get(node, "name"));
    }
    fed_facts_clear(&f);
    if (code != FED_OK)
        return code;
    url = malloc(n);
    if (!url) {
        mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        return FED_NOMEM;
    }
    snprintf(url, n, "%s%scollections/", api_root, api_root[0] && api_root[strlen(api_root) - 1] == '/' ? "" : "/");
    code = get_json(h, url, "collections list", &f, err);
    free(url);
    list = code == FED_OK ? json_object_get(f.env, "collections") : NULL;
    if (code == FED_OK && list && !json_is_array(list)) {
        code = FED_BAD_JSON;
        mz_error_set(err, MZ_EINVAL, "", "the peer's collections list holds no array of collections");
    }
    json_array_foreach(code == FED_OK ? list : NULL, i, c) {
        struct fed_collection *k;
        if (!json_is_object(c))
            continue;
        if (out->n >= FED_MAX_COLLECTIONS)
            break;
        k = &out->c[out->n++];
        copy_str(k->id, sizeof k->id, json_object_get(c, "id"));
        copy_str(k->alias, sizeof k->alias, json_object_get(c, "alias"));
        k->can_read = json_is_true(json_object_get(c, "can_read"));
        k->can_write = json_is_true(json_object_get(c, "can_write"));
    }
    fed_facts_clear(&f);
    return code;
}
