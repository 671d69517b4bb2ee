/* domain/svc_taxii.h - the use cases of the TAXII 2.1 server's read side (issue 11,
 * docs/federation.md section 8): the collections a principal sees (8.1: the
 * communities its organisation is a member of, then the views `all` and
 * `indicators`; a peer's: its communities and `mreza-direct`), the API root's facts of the node, and the reads of a collection
 * (objects, one object, manifest, versions) with TAXII's filters. The reads are
 * svc_list (svc_objects.c): the same store query and the same TLP decision
 * (tlp_can_read) as REST's list, never a second copy. api/api_taxii*.c translate
 * HTTP into these calls and their results into TAXII's JSON (fmt/taxii.h). */
#ifndef MZ_SVC_TAXII_H
#define MZ_SVC_TAXII_H

#include "domain/svc.h"
#include "fmt/cursor.h"

#define SVC_TAXII_VIEW_ALL "all"
#define SVC_TAXII_VIEW_INDICATORS "indicators"
#define SVC_TAXII_VIEW_DIRECT "mreza-direct"

/* A collection as p is shown it. */
struct svc_collection {
    enum svc_view view;                     /* SVC_VIEW_COMMUNITY, _ALL, _INDICATORS or _DIRECT */
    char id[40];                            /* UUID: the community's, or the view's (kept in meta) */
    char alias[STORE_COMM_NAME_LEN];        /* the community's name, "all", "indicators" */
    char title[STORE_COMM_TITLE_LEN];
    char description[STORE_COMM_DESC_LEN];
    int can_read, can_write;
};
typedef int (*svc_collection_fn)(void *ctx, const struct svc_collection *c);

/* The collections p sees, in a fixed order (communities by name, then the views):
 * a member's organisation's communities (can_read / can_write from the membership,
 * can_write also needing a role that writes objects) and the two views (can_read 1,
 * can_write 0); an unauthenticated reader (api.public_read) the indicators view
 * alone; a peer (ROLE_PEER) the communities where it hosts a member (can_write: a
 * write-member) and mreza-direct, never the members' views. The views' ids are made the first time they are asked for and kept in the
 * store's meta. */
enum mz_err svc_collections(struct store *st, const struct principal *p, svc_collection_fn fn, void *ctx,
                            struct mz_error *err);
/* One of them by id or alias; MZ_ENOTFOUND, the same for one that does not exist and
 * one p may not see. */
enum mz_err svc_collection_get(struct store *st, const struct principal *p, const char *id,
                               struct svc_collection *out, struct mz_error *err);

/* What the API root tells of the node (x_mreza_node): "" for what it does not know. */
struct svc_taxii_node {
    char name[STORE_NAME_LEN];     /* meta node_name (set by the peers' work; "" until then) */
    char identity[STORE_IDENT_LEN];/* the node's STIX identity (campaign_node_identity_peek) */
    char country[8];               /* meta node_country */
    char version[32];              /* MZ_VERSION */
};
enum mz_err svc_taxii_node(struct store *st, struct svc_taxii_node *out, struct mz_error *err);

/* TAXII's filters as the request gave them (NULL: absent), checked here: each error
 * is MZ_EINVAL with field the parameter's name ("match[version]", "limit", ...). */
struct svc_taxii_filters {
    const char *added_after;
    const char *limit;
    const char *next;
    const char *match_id;
    const char *match_type;
    const char *match_version;
    const char *match_spec_version;
    long page_default, page_max; /* taxii.page_default, taxii.page_max */
    long page_work;              /* api.page_work (svc_query.work; 0: the default) */
};

enum svc_taxii_read_kind {
    SVC_TAXII_OBJECTS = 0, /* GET .../objects/ */
    SVC_TAXII_MANIFEST,    /* GET .../manifest/ */
    SVC_TAXII_OBJECT,      /* GET .../objects/{id}/ */
    SVC_TAXII_VERSIONS     /* GET .../objects/{id}/versions/ (rows oldest version first,
                              with id, version and date_added alone) */
};

/* A page's facts besides its rows. */
struct svc_taxii_page {
    char next[CURSOR_STRLEN];      /* "" when there is no next page */
    char first[MZ_TIME_STRLEN];    /* date_added of the first and last row served (an */
    char last[MZ_TIME_STRLEN];     /* empty page: added_after, or the epoch) */
    size_t n;
    /* a peer's envelope carries x_mreza_meta (docs/federation.md 8.2): with_meta, and
     * the communities it hosts (meta_comm) with their UUIDs by bit */
    int with_meta;
    uint64_t meta_comm;
    char comm_uuid[STORE_COMM_MAX][40];
};

/* The UUIDs (into out, at most cap, pointing into page) of the communities of comm
 * that page's peer hosts, by bit; how many. */
int svc_taxii_meta_communities(const struct svc_taxii_page *page, uint64_t comm, const char **out, size_t cap);

/* Read collection coll (id or alias) as p: kind's rows, in the collection's order
 * (a community's grants; a view's effective grants for p), each row's date_added its
 * grant's, through fn. object_id: the object of SVC_TAXII_OBJECT and _VERSIONS.
 * MZ_ENOTFOUND for a collection p does not see and for an object of which it reads
 * no version in it; MZ_EFORBIDDEN when p may not read the collection (can_read 0);
 * MZ_EINVAL naming the filter. */
enum mz_err svc_taxii_read(struct store *st, const struct principal *p, const char *coll, const char *object_id,
                           enum svc_taxii_read_kind kind, const struct svc_taxii_filters *f, svc_row_fn fn,
                           void *ctx, struct svc_taxii_page *page, struct mz_error *err);

#endif
