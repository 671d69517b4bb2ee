/* rules/model.h - the object model's choices (docs/model.md), as pure rules: which
 * object and which version of an id each reader is served (R2, R3), which versions
 * are its units for correlation and match (R4), and who may read a withdrawn
 * version (R7). They work on every version of one id, described by struct
 * model_ver; domain/model.c reads them from the store for the read and write paths,
 * the engine builds them from its index for correlation and match, so both apply
 * one rule. An object is the versions of one owner, (owner_org, owner_user); the
 * objects are numbered in the order of their first version's arrival; the first is
 * the id's claim when it is attested. Readability is rules/tlp.c's (tlp_can_read)
 * plus withdrawals: nothing here decides TLP. */
#ifndef MZ_RULES_MODEL_H
#define MZ_RULES_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rules/principal.h"
#include "rules/stix.h"

#define MODEL_MAX_OBJ 64 /* objects of one id the choice considers (bits of a uint64_t) */

struct model_ver {
    int64_t seq, owner_org, owner_user, submitter;
    char vkey[STIX_VKEY_LEN];
    char version[STIX_VKEY_LEN + 8];
    char date_added[32];
    int tlp, tlp_defaulted, tlp_inherited, revoked, attested, cx;
    char *audience; /* or NULL (owned by whoever filled the struct) */
    char *wd_keep;  /* or NULL: not withdrawn */
    char *created_by; /* its created_by_ref, "" or NULL for none (owned as audience is;
                         the engine leaves it NULL: only writes compare it, R9) */
    int obj;        /* index of its object: 0 is the first (the claim, if attested) */
};

/* The versions of one id, in arrival order. */
struct model_id {
    struct model_ver *v;
    size_t n, cap;
    int n_obj;
    int sco;    /* versions of an SCO are ordered by arrival */
    int cx;     /* some version is marked cx */
    int ranks[MODEL_MAX_OBJ]; /* source rank of object k's owner (R2.5) */
    int ranked; /* ranks are filled (needed only when several objects compete) */
};

/* Number v among m's objects (call for each version added, in arrival order). */
void model_number(struct model_id *m, struct model_ver *v);

/* May p read version v: its marking says so (tlp_can_read) and it is not withdrawn
 * from p (R7: a withdrawn version stays with the identities its withdrawal names). */
int model_may_read(const struct principal *p, const struct model_ver *v);
/* May p read v under its marking, withdrawals aside (p is entitled to its object)? */
int model_entitled(const struct principal *p, const struct model_ver *v);
/* Is a newer than b (`modified`, then arrival; an SCO's by arrival)? */
int model_newer(const struct model_id *m, const struct model_ver *a, const struct model_ver *b);
/* Does p own object k (its organisation's object, or its own personal object)? */
int model_owns(const struct principal *p, const struct model_id *m, int k);

/* R2: the objects p is served, a bit per object (0: none, the id is as unknown to p).
 * m->ranks must be filled when m->n_obj > 1. */
uint64_t model_served(const struct principal *p, const struct model_id *m);
/* R3: the index of the version p is served of the objects in objs (a revoked one
 * winning), or -1. */
long model_pick(const struct principal *p, const struct model_id *m, uint64_t objs);
/* R4: p's units for correlation and match - its own objects as one, and each
 * candidate it may read - as the indexes of the versions R3 serves it of each, into
 * out (room for MODEL_MAX_OBJ); returns how many. */
size_t model_units(const struct principal *p, const struct model_id *m, long *out);

/* The source rank of an organisation of kind `kind` (R2.5: smaller first; the node
 * ranks 0). */
int model_rank_of_kind(const char *kind);
/* An organisation's source rank: the one the operator set (rank >= 0), else by its
 * kind. */
int model_rank_of(int rank, const char *kind);
#define MODEL_RANK_MAX 9 /* the largest rank an operator sets (0 is the node's) */

#endif
