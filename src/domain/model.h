/* domain/model.h - the object model's choices (docs/model.md): which object and
 * which version of an id each reader is served (R2, R3), who may read a withdrawn
 * version (R7), and what a post of a version does (R1, R3.3, R3.4, R5, R6.3).
 *
 * The model works on every version of one id as the store holds them
 * (store_id_versions): an object is the versions of one owner, (owner_org,
 * owner_user); its first version's arrival orders the objects; the first object is
 * the id's claim when it is attested. Readability is rules/tlp.c's (tlp_can_read,
 * tlp_narrower) plus withdrawals: nothing here decides TLP. The read paths
 * (svc_objects.c) run these choices only for ids the store marks `cx`; every other
 * id has one object whose versions all have the same readers, so its newest version
 * is every reader's (svc_ingest.c marks an id `cx` as soon as that stops holding). */
#ifndef MZ_MODEL_H
#define MZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "rules/stix.h"
#include "store/store.h"
#include "util/err.h"

struct model_ver {
    int64_t seq, owner_org, owner_user, submitter;
    char vkey[STIX_VKEY_LEN];
    char version[STIX_VKEY_LEN + 8];
    char date_added[32];
    int tlp, tlp_defaulted, tlp_inherited, revoked, attested, cx;
    char *audience; /* heap, or NULL */
    char *wd_keep;  /* heap, or NULL: not withdrawn */
    int obj;        /* index of its object: 0 is the first (the claim, if attested) */
};

/* The versions of one id, in arrival order. */
struct model_id {
    struct model_ver *v;
    size_t n, cap;
    int n_obj;
    int sco;    /* versions of an SCO are ordered by arrival */
    int cx;     /* some version is marked cx */
    int ranks[64]; /* source rank of object k's owner (R2.5), read when needed */
    int ranked;
};

/* Read every version of stix_id into m (m is reset first; model_free releases it). */
enum mz_err model_load(struct store *st, const char *stix_id, struct model_id *m, struct mz_error *err);
void model_free(struct model_id *m);

/* May p read version v: its marking says so (tlp_can_read) and it is not withdrawn
 * from p (R7: a withdrawn version stays with its owner organisation and those named). */
int model_may_read(const struct principal *p, const struct model_ver *v);
/* Is a newer than b (`modified`, then arrival; an SCO's by arrival)? */
int model_newer(const struct model_id *m, const struct model_ver *a, const struct model_ver *b);
/* Does p own object k (its organisation's object, or its own personal object)? */
int model_owns(const struct principal *p, const struct model_id *m, int k);

/* R2: the objects p is served, a bit per object (0: none, the id is as unknown to p).
 * st is read for source ranks when several candidates compete. */
uint64_t model_served(struct store *st, const struct principal *p, struct model_id *m);
/* R3: the index of the version p is served of the objects in objs (a revoked one
 * winning), or -1. */
long model_pick(const struct principal *p, const struct model_id *m, uint64_t objs);

/* The source rank of an organisation of kind `kind` (R2.5: smaller first); the node
 * (owner 0) ranks 0. */
int model_rank_of_kind(const char *kind);

#endif
