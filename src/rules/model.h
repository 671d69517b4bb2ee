/* rules/model.h - the object model's choices (docs/model.md), as pure rules: which
 * object and which version of an id each reader is served (R2, R3), which versions
 * are its units for correlation and match (R4), and who may read a withdrawn
 * version (R7). They work on the versions of one id, described by struct model_ver;
 * domain/model.c reads every version of an id from the store for the read and write
 * paths; the engine, deciding one hit at a time, walks only the objects a unit needs
 * (the hit's, the reader's own) and asks the same rules (model_owns,
 * model_candidate, the picker), so both apply one rule. An object is the versions of
 * one owner, (owner_org, owner_user); the objects are numbered in the order of their
 * first version's arrival, as many as there are; the first is the id's claim when it
 * is attested. Readability is rules/tlp.c's (tlp_can_read) plus withdrawals: nothing
 * here decides TLP. */
#ifndef MZ_RULES_MODEL_H
#define MZ_RULES_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "rules/stix.h"

struct model_ver {
    int64_t seq, owner_org, owner_user, submitter;
    char vkey[STIX_VKEY_LEN];
    char version[STIX_VKEY_LEN + 8];
    char date_added[32];
    int tlp, tlp_defaulted, tlp_inherited, revoked, attested, cx;
    char *audience; /* or NULL (owned by whoever filled the struct) */
    char *shared_to; /* identities it was passed on to (issue 11), or NULL (owned as
                        audience is) */
    uint64_t comm;  /* the communities it is shared into (bits) */
    char *wd_keep;  /* or NULL: not withdrawn */
    char *created_by; /* its created_by_ref, "" or NULL for none (owned as audience is;
                         the engine leaves it NULL: only writes compare it, R9) */
    int obj;        /* index of its object in model_id.o: 0 is the first (the claim, if attested) */
    int by_reporter; /* its submitter is a reporter (or viewer) now: R6.5 counts an
                        organisation's versions of an id by its reporters apart */
};

/* An object: the versions of one owner. */
struct model_obj {
    int64_t owner_org, owner_user; /* owner_user: 0, or the user of a personal object */
    size_t first;                  /* the index of its first version in model_id.v */
    int rank;                      /* its owner's source rank (R2.5), once ranked */
    int gone;                      /* every version withdrawn from everyone (R2.4, R7.3):
                                      it counts for no reader, as if never posted - but it
                                      stays the id's first object if it was (R2.6) */
};

/* The versions of one id, in arrival order, and its objects, in the order of their
 * first version's arrival: as many as the id has (no fixed limit may hide an object,
 * docs/model.md R6.5). */
struct model_id {
    struct model_ver *v;
    size_t n, cap;
    struct model_obj *o; /* heap, grown by model_number; freed by whoever frees v */
    int n_obj, cap_obj;
    int sco;    /* versions of an SCO are ordered by arrival */
    int sco_fixed; /* a UUIDv5 SCO id: its content is fixed by the id (R8 checks it at
                      ingest), so R2.4 lets its readers fall through to the next copy */
    int cx;     /* some version is marked cx */
    int ranked; /* o[].rank is filled (needed only when several objects compete) */
};

/* The objects R2 serves one reader: none, one candidate, or its organisation's object
 * and its personal object as one (R2.1) - never more than two. */
struct model_objs {
    int n;
    int k[2];
};

/* Number v (the next version of m, at m->v[m->n]) among m's objects, adding an object
 * for a new owner (call for each version added, in arrival order, its wd_keep set):
 * 0, or -1 when out of memory (m unchanged). */
int model_number(struct model_id *m, struct model_ver *v);

/* May p read version v: its marking says so (tlp_can_read) and it is not withdrawn
 * from p (R7: a withdrawn version stays with the identities its withdrawal names). */
int model_may_read(const struct principal *p, const struct model_ver *v);
/* May p read v under its marking, withdrawals aside (p is entitled to its object)? */
int model_entitled(const struct principal *p, const struct model_ver *v);
/* Is v withdrawn from everyone (R7.3: no identity keeps it)? */
int model_withdrawn_from_all(const struct model_ver *v);
/* Is a newer than b (`modified`, then arrival; an SCO's by arrival; sco: m->sco)? */
int model_newer(int sco, const struct model_ver *a, const struct model_ver *b);
/* Does p own the object of (owner_org, owner_user): its organisation's object, or its
 * own personal object (R2.1)? */
int model_owns(const struct principal *p, int64_t owner_org, int64_t owner_user);
/* R2.3: may an object of owner_org that p does not own be one of p's candidates? Yes
 * when the id is open (not claimed), when it is the id's first object, and when its
 * owner is p's organisation (a colleague's personal object, a later object of p's
 * organisation). */
int model_candidate(const struct principal *p, int claimed, int is_first, int64_t owner_org);

/* R2: the objects p is served (out->n 0: none, the id is as unknown to p). The ranks
 * (m->o[].rank) must be filled when m->n_obj > 1. */
void model_served(const struct principal *p, const struct model_id *m, struct model_objs *out);
/* Is object k one of objs? */
int model_objs_has(const struct model_objs *objs, int k);
/* R3: the index of the version p is served of the objects in objs (a revoked one
 * winning), or -1. */
long model_pick(const struct principal *p, const struct model_id *m, const struct model_objs *objs);

/* R3 one version at a time, for callers that walk an object's versions rather than
 * hold them (the engine): feed every version p may be served of the objects, in any
 * order; the best is then the one model_pick would choose. */
struct model_picker {
    const struct principal *p;
    int sco;
    int64_t best, best_revoked; /* the seq of each, or -1 */
    struct model_ver b, br;     /* copies (audience, wd_keep and created_by not kept) */
};
void model_picker_init(struct model_picker *k, const struct principal *p, int sco);
void model_picker_add(struct model_picker *k, const struct model_ver *v);
/* The seq of the version served, or -1. */
int64_t model_picker_seq(const struct model_picker *k);

/* The reader the campaigns of the community with bit mask k count for (R11.6): a
 * member of an organisation that holds no object of the id, is named in no audience
 * and reads that community alone - it reads CLEAR and the GREEN shared into it, none
 * withdrawn from it. */
void model_community_reader(struct principal *p, uint64_t k);
/* The TLP facts of v (borrowed from it). */
struct tlp_meta;
void model_meta(const struct model_ver *v, struct tlp_meta *out);

/* The source rank of an organisation of kind `kind` (R2.5: smaller first; the node
 * ranks 0). */
int model_rank_of_kind(const char *kind);
/* An organisation's source rank: the one the operator set (rank >= 0), else by its
 * kind. */
int model_rank_of(int rank, const char *kind);
#define MODEL_RANK_MAX 9 /* the largest rank an operator sets (0 is the node's) */

#endif
