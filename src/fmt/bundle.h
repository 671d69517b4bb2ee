/* fmt/bundle.h - split a received STIX bundle (or a single object) into objects,
 * keeping each object's exact bytes.
 *
 * mreža stores every object as received. jansson cannot report where a value lies
 * in its input, and re-serialising 100 000 parsed objects costs about as much as
 * parsing them, so this small hand-written scanner finds the byte span of each
 * element of the bundle's "objects" array (and measures nesting depth on the way,
 * since jansson's limit is compiled in); jansson then parses and checks each span.
 * The scanner only steps over strings and brackets: all real JSON validation (UTF-8,
 * escapes, numbers) is jansson's. */
#ifndef MZ_BUNDLE_H
#define MZ_BUNDLE_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

struct bundle_limits {
    long max_depth;   /* deepest nesting allowed anywhere */
    long max_objects; /* most objects in one bundle */
    /* Not the splitter's: how many seconds a version's `modified` (or `created`) may
     * lie after the clock before ingest refuses it (docs/model.md R6.1,
     * ingest.max_future_skew); -1 leaves it unchecked (the node's own writes). */
    long max_future_skew;
    /* Nor these: docs/model.md R6.5's caps, 0 for none - versions of one object the
     * poster may read (ingest.max_versions), and objects of one id beyond which a new
     * one is skipped (sync.max_objects_per_id: for what peers send; members' objects
     * are not capped, so that nobody blocks another's copy) - and what the poster
     * asked of this write: author_self (R9: objects without created_by_ref are its
     * organisation's own), narrow_revocation (R3.4: a revocation narrower than what
     * it revokes is meant). */
    long max_versions;
    long max_objects_per_id;
    int author_self;
    int narrow_revocation;
    /* Nor this: the rows one organisation may hold in the store
     * (ingest.max_objects_per_org), 0 for no quota. */
    long max_objects_per_org;
    /* Nor this: the rows of one id one organisation may hold, withdrawn ones and its
     * users' personal objects included (ingest.max_versions_per_org_id), 0 for no cap. */
    long max_versions_per_org_id;
    /* Nor this: the communities the versions are shared into (issue 11), as the
     * poster names them ("regional,wb-banks"); NULL: the national community. */
    const char *communities;
    /* Nor this: per-object mode (TAXII POST) keeps the items of at most this many
     * successes and as many failures in its result, the counts exact (the status
     * shows no more: taxii.status_max_details); 0 keeps every item. */
    long max_details;
    /* Nor this: a peer's version (svc_sync.c) is stored only at the TLP level its
     * admission was decided on; if R3.3's inheritance would store it at another, it
     * is refused (MZ_EFORBIDDEN, field /object_marking_refs). 0: no such check;
     * else the level + 1. */
    int admitted_tlp;
};

/* Called once per object, in order. obj is owned by the splitter (released after the
 * call); raw/raw_len are the object's bytes inside the caller's buffer. Return MZ_OK
 * to go on; any error stops the split and is returned (err->field is then prefixed
 * with "/objects/<index>" for bundles). */
typedef enum mz_err (*bundle_object_fn)(void *ctx, json_t *obj, const char *raw,
                                        size_t raw_len, size_t index, struct mz_error *err);

/* Split buf[0..len) - a {"type":"bundle",...} or one STIX object - calling fn for each
 * object. *is_bundle_out (may be NULL) tells which it was. */
enum mz_err bundle_split(const char *buf, size_t len, const struct bundle_limits *lim,
                         bundle_object_fn fn, void *ctx, int *is_bundle_out,
                         struct mz_error *err);
/* The same for a TAXII 2.1 envelope, {"objects":[...]} with no `type` (TAXII POST,
 * docs/federation.md 8.2): JSON that is no envelope - a STIX bundle or object
 * included, refused rather than guessed at - is MZ_EUNPROCESSABLE (422); JSON that
 * cannot be read is MZ_EINVAL, as for bundle_split. */
enum mz_err bundle_split_envelope(const char *buf, size_t len, const struct bundle_limits *lim,
                                  bundle_object_fn fn, void *ctx, struct mz_error *err);

/* Where one object lies in the buffer. */
struct bundle_span {
    size_t off, len;
};

/* Check the envelope and find every object's span without parsing the objects
 * (a fast byte scan), so that several threads can parse them. *spans_out is heap
 * memory the caller frees with free(); set only on success. */
enum mz_err bundle_spans(const char *buf, size_t len, const struct bundle_limits *lim,
                         struct bundle_span **spans_out, size_t *n_out, int *is_bundle_out,
                         struct mz_error *err);
/* The span of each element of a TAXII envelope's `objects` list, in a body that
 * jansson has already read whole (with JSON_REJECT_DUPLICATES): the members are
 * stepped over, not read again, but their names are read as JSON reads them (escapes
 * decoded, a name given twice refused), so the spans are those of the `objects`
 * list jansson read, in order. The caller checks that the counts agree. *spans_out
 * is heap memory (free()), set only on success. A sync page's objects are stored
 * with these bytes, as an import stores a bundle's (svc_sync_prepare). */
enum mz_err bundle_envelope_spans(const char *buf, size_t len, long max_depth, struct bundle_span **spans_out,
                                  size_t *n_out, struct mz_error *err);
/* Parse one span (as bundle_split() would); error positions count from buf. */
enum mz_err bundle_parse_object(const char *buf, const struct bundle_span *span, json_t **out,
                                struct mz_error *err);

#endif
