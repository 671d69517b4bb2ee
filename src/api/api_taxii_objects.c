/* api/api_taxii_objects.c - the objects of a TAXII 2.1 collection (docs/federation.md
 * 8.2): GET .../collections/{id}/objects/, .../objects/{object-id}/,
 * .../objects/{object-id}/versions/ and .../manifest/. The query string is read here
 * (a parameter given twice is 400: TAXII's filters are not lists of repeats), checked
 * and run by one svc_taxii_read call (domain/svc_taxii.c: the same list, the same TLP
 * decision as REST's), and written by fmt/taxii.c, with the page's
 * X-TAXII-Date-Added-First / -Last headers. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/svc_taxii.h"
#include "fmt/taxii.h"

static const char *const params[] = {"added_after",   "limit",          "next",
                                     "match[id]",     "match[type]",    "match[version]",
                                     "match[spec_version]"};

/* The filters of r's query string into f; MZ_EINVAL naming one given twice. */
static enum mz_err read_filters(struct api_req *r, struct svc_taxii_filters *f, struct mz_error *err)
{
    const char **slot[] = {&f->added_after, &f->limit,         &f->next,          &f->match_id,
                           &f->match_type,  &f->match_version, &f->match_spec_version};

    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (api_arg_count(r, params[i]) > 1)
            return mz_error_set(err, MZ_EINVAL, params[i], "%s is given more than once; give it once", params[i]);
        *slot[i] = api_arg(r, params[i]);
    }
    f->page_default = r->node->conf.taxii_page_default;
    f->page_max = r->node->conf.taxii_page_max;
    f->page_work = r->node->conf.api_page_work;
    if (f->page_default > f->page_max)
        f->page_default = f->page_max;
    return MZ_OK;
}

struct page {
    struct mz_buf b;
    struct taxii_list w;
    enum svc_taxii_read_kind kind;
    const struct svc_taxii_page *info; /* a peer's: x_mreza_meta's facts */
    struct mz_buf meta;
};

static int page_row(void *ctx, const struct store_row *row)
{
    struct page *pg = ctx;
    enum mz_err rc;

    if (pg->kind == SVC_TAXII_MANIFEST)
        rc = taxii_list_manifest(&pg->w, row->stix_id, row->date_added, row->version, NULL);
    else if (pg->kind == SVC_TAXII_VERSIONS)
        rc = taxii_list_version(&pg->w, row->version);
    else
        rc = taxii_list_object(&pg->w, row->body, row->body_len);
    if (!rc && pg->kind != SVC_TAXII_MANIFEST && pg->kind != SVC_TAXII_VERSIONS && pg->info->with_meta) {
        /* a peer's envelope: the object's entry of x_mreza_meta (docs/federation.md 8.2) */
        const char *comms[STORE_COMM_MAX];
        struct taxii_meta m = {row->stix_id, row->version, row->submitted_by, row->date_added, comms, 0};
        m.n_communities = (size_t)svc_taxii_meta_communities(pg->info, row->comm, comms, STORE_COMM_MAX);
        rc = taxii_list_meta(&pg->w, &pg->meta, &m);
    }
    return rc != MZ_OK; /* a reply over http.max_reply: latched, api_reply answers 413 */
}

static enum MHD_Result read_collection(struct api_req *r, enum svc_taxii_read_kind kind)
{
    struct svc_taxii_filters f;
    struct svc_taxii_page info;
    struct mz_error err;
    struct page pg;
    struct store *st;
    char coll[128], oid[160];
    int with_object = kind == SVC_TAXII_OBJECT || kind == SVC_TAXII_VERSIONS;
    enum mz_err rc;

    mz_error_clear(&err);
    if (api_seg(r, 0, coll, sizeof coll))
        return api_fail(r, MZ_ENOTFOUND, "", "no such collection (the id is too long)");
    if (with_object && api_seg(r, 1, oid, sizeof oid))
        return api_fail(r, MZ_ENOTFOUND, "", "no such object (the id is too long)");
    if (read_filters(r, &f, &err))
        return api_reply_error(r, &err);
    memset(&pg, 0, sizeof pg);
    pg.kind = kind;
    pg.info = &info;
    mz_buf_init(&pg.b, api_reply_limit(r));
    mz_buf_init(&pg.meta, api_reply_limit(r));
    taxii_list_begin(&pg.w, &pg.b,
                     kind == SVC_TAXII_MANIFEST ? TAXII_MANIFEST
                     : kind == SVC_TAXII_VERSIONS ? TAXII_VERSIONS
                                                  : TAXII_ENVELOPE);
    st = node_store_acquire(r->node);
    rc = svc_taxii_read(st, &r->who, coll, with_object ? oid : NULL, kind, &f, page_row, &pg, &info, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&pg.b);
        mz_buf_free(&pg.meta);
        return api_reply_error(r, &err);
    }
    taxii_list_end(&pg.w, info.next[0] != '\0', info.next); /* latched in pg.b: 413 */
    mz_buf_free(&pg.meta);
    snprintf(r->taxii_first, sizeof r->taxii_first, "%s", info.first);
    snprintf(r->taxii_last, sizeof r->taxii_last, "%s", info.last);
    return api_reply(r, 200, &pg.b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_objects(struct api_req *r)
{
    return read_collection(r, SVC_TAXII_OBJECTS);
}

enum MHD_Result api_taxii_object(struct api_req *r)
{
    return read_collection(r, SVC_TAXII_OBJECT);
}

enum MHD_Result api_taxii_manifest(struct api_req *r)
{
    return read_collection(r, SVC_TAXII_MANIFEST);
}

enum MHD_Result api_taxii_versions(struct api_req *r)
{
    return read_collection(r, SVC_TAXII_VERSIONS);
}
