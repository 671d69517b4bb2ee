/* fmt/taxii.h - TAXII 2.1 lists as JSON: the envelope of objects (GET .../objects/,
 * with x_mreza_meta beside the objects for a peer node),
 * the manifest (GET .../manifest/) and the versions of an object (GET
 * .../objects/{id}/versions/), written item by item into a capped buffer
 * (util/buf.h), the page's `more` and `next` at the end. Empty lists are left out
 * (an empty page with no more is "{}"), as TAXII 2.1 (3.7) lets a server. Objects are
 * written as the bytes stored; nothing here knows HTTP or the store. */
#ifndef MZ_FMT_TAXII_H
#define MZ_FMT_TAXII_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define TAXII_STIX_TYPE "application/stix+json;version=2.1"

enum taxii_list_kind {
    TAXII_ENVELOPE = 0, /* {"more","next","objects":[<STIX objects>]} */
    TAXII_MANIFEST,     /* {"more","next","objects":[{id,date_added,version,media_type}]} */
    TAXII_VERSIONS      /* {"more","next","versions":["<version>",...]} */
};

/* A list being written into b (borrowed until taxii_list_end). A write that does not
 * fit is latched in b (mz_buf_status) and returned. */
struct taxii_list {
    struct mz_buf *b;
    enum taxii_list_kind kind;
    size_t n; /* items written */
    struct mz_buf *meta; /* x_mreza_meta's entries so far (taxii_list_meta), or NULL */
    size_t n_meta;
};

/* One entry of x_mreza_meta (docs/federation.md 8.2, "Peers"): what a peer needs to
 * know of an object beside it: whose it is, the communities it is shared into that
 * the peer hosts, and its date_added here. */
struct taxii_meta {
    const char *id, *version, *owner, *date_added;
    const char *const *communities;
    size_t n_communities;
};

void taxii_list_begin(struct taxii_list *w, struct mz_buf *b, enum taxii_list_kind kind);
/* TAXII_ENVELOPE: one object, json (len bytes) as stored. */
enum mz_err taxii_list_object(struct taxii_list *w, const char *json, size_t len);
/* TAXII_ENVELOPE for a peer: x_mreza_meta's entry of the object just written, kept in
 * meta (borrowed until taxii_list_end; its cap latches as b's does) and written after
 * the objects, one entry per object in their order. */
enum mz_err taxii_list_meta(struct taxii_list *w, struct mz_buf *meta, const struct taxii_meta *m);
/* TAXII_MANIFEST: one record (media_type NULL: TAXII_STIX_TYPE). */
enum mz_err taxii_list_manifest(struct taxii_list *w, const char *id, const char *date_added, const char *version,
                                const char *media_type);
/* TAXII_VERSIONS: one version. */
enum mz_err taxii_list_version(struct taxii_list *w, const char *version);
/* Close the list: more (and next, "" or NULL when there is none). */
enum mz_err taxii_list_end(struct taxii_list *w, int more, const char *next);

#endif
