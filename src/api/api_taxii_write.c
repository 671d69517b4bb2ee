/* api/api_taxii_write.c - the TAXII 2.1 server's writes (issue 11 work package 3,
 * docs/federation.md 8.2): POST .../collections/{id}/objects/ (an envelope into a
 * community's collection: 202 with the status resource), GET .../status/{id}/ (the
 * status of one's own POST, kept taxii.status_keep seconds) and DELETE
 * .../collections/{id}/objects/{object-id}/ (the caller's organisation withdraws the
 * object, docs/model.md R7.5: 200 with an empty body).
 *
 * route.c admits these on their headers: a key, TAXII's Accept rule (406), and for
 * the POST a body of application/taxii+json with no version or version=2.1 (415)
 * from a role that may write objects (403). Each handler is one svc_* call
 * (domain/svc_taxii_status.c), which decides the collection (404 / 403) and every
 * rule of the write; api_error.c writes the refusals as TAXII error objects. The
 * reads of collections (objects, manifest, versions) are api_taxii.c's. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/svc.h"

#define TAXII_ID_MAX 300 /* a collection or object id in the path */

enum MHD_Result api_taxii_objects_post(struct api_req *r)
{
    struct bundle_limits lim = {r->node->conf.http_max_depth,
                                r->node->conf.http_max_objects,
                                r->node->conf.ingest_max_future_skew,
                                r->node->conf.ingest_max_versions,
                                0,
                                0,
                                0,
                                r->node->conf.ingest_max_objects_per_org,
                                r->node->conf.ingest_max_versions_per_org_id,
                                NULL,
                                0,
                                0};
    struct svc_taxii_post_in in;
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    char coll[TAXII_ID_MAX];
    enum mz_err rc;

    mz_error_clear(&err);
    /* a peer's page is admitted as a pulled one (fed_pull.c): its copies of an id are
     * capped by sync.max_objects_per_id too (R6.5; the third attack's A13). Members'
     * are not: nobody may keep another organisation from holding its own copy */
    if (r->who.role == ROLE_PEER)
        lim.max_objects_per_id = r->node->conf.sync_max_objects_per_id;
    if (api_seg(r, 0, coll, sizeof coll))
        return api_fail(r, MZ_ENOTFOUND, "", "no such collection (the id is too long)");
    memset(&in, 0, sizeof in);
    in.collection = coll;
    in.body = r->body.data ? r->body.data : "";
    in.body_len = r->body.len;
    in.lim = &lim;
    in.keep = r->node->conf.taxii_status_keep;
    in.max_details = r->node->conf.taxii_status_max_details;
    in.max_rows = r->node->conf.taxii_status_max_per_user;
    in.max_bytes = r->node->conf.taxii_status_max_bytes_per_user;
    /* The status of a write that is already durable is not held to http.max_reply: the
     * poster must learn what became of its objects. Its lists are capped
     * (taxii.status_max_details entries, SVC_TAXII_DETAILS_BYTES) and each entry is
     * bounded, so this bounds it. */
    mz_buf_init(&b, 4096 + SVC_TAXII_DETAILS_BYTES + 16384);
    st = node_store_acquire(r->node);
    rc = svc_taxii_post(st, &r->who, &in, &b, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&b);
        return api_reply_error(r, &err);
    }
    return api_reply(r, 202, &b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_status(struct api_req *r)
{
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    char id[64];
    enum mz_err rc;

    mz_error_clear(&err);
    if (api_seg(r, 0, id, sizeof id))
        return api_fail(r, MZ_ENOTFOUND, "", "no such status (a status id is a UUID)");
    mz_buf_init(&b, api_reply_limit(r));
    st = node_store_acquire(r->node);
    rc = svc_taxii_status_get(st, &r->who, id, &b, &err);
    node_store_release(r->node, st);
    if (rc) {
        mz_buf_free(&b);
        return api_reply_error(r, &err);
    }
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}

enum MHD_Result api_taxii_object_delete(struct api_req *r)
{
    struct mz_error err;
    struct mz_buf b;
    struct store *st;
    char coll[TAXII_ID_MAX], id[TAXII_ID_MAX];
    enum mz_err rc;

    mz_error_clear(&err);
    if (api_seg(r, 0, coll, sizeof coll))
        return api_fail(r, MZ_ENOTFOUND, "", "no such collection (the id is too long)");
    if (api_seg(r, 1, id, sizeof id))
        return api_fail(r, MZ_ENOTFOUND, "", "no such object (the id is too long)");
    st = node_store_acquire(r->node);
    rc = svc_taxii_delete(st, &r->who, coll, id, api_arg(r, "match[version]"), &err);
    node_store_release(r->node, st);
    if (rc)
        return api_reply_error(r, &err);
    mz_buf_init(&b, 16);
    return api_reply(r, 200, &b, API_TAXII_TYPE);
}
