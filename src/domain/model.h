/* domain/model.h - the object model's choices (rules/model.h) on the store: the
 * versions of an id as the store holds them (store_id_versions), with the source
 * ranks of their owners. The read paths (svc_objects.c) run the choices only for ids
 * the store marks `cx`; every other id has one object whose versions all have the
 * same readers, so its newest version is every reader's (svc_ingest.c marks an id
 * `cx` as soon as that stops holding). */
#ifndef MZ_MODEL_H
#define MZ_MODEL_H

#include "rules/model.h"
#include "store/store.h"
#include "util/err.h"

/* Read every version of stix_id into m, which must be zeroed or loaded before (it is
 * reset first; model_free releases it). */
enum mz_err model_load(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err);
/* Add to m, loaded of stix_id by model_load before, the versions stored since (the
 * write path's: an id's rows read once per bundle, then those it added). On error m
 * is released. */
enum mz_err model_load_more(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err);
void model_free(struct model_id *m);
/* R2 with the owners' ranks read from st when several objects compete. */
void model_served_st(struct store *st, const struct principal *p, struct model_id *m, struct model_objs *out);

#endif
