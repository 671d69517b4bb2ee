/* engine/engine_int.h - internals shared by the files of the indicator engine
 * (engine/engine.h lists them). Nothing outside src/engine/ includes this.
 *
 * Who may touch what (see engine.c for the locks themselves):
 *   ix, generation, pats/pat_objs/scan_objs,  readers under the read lock (none when
 *   epoch                                     frozen); the refresher changes them under
 *                                             the write lock only (moving epoch on), and
 *                                             reads them without a lock (it is the only
 *                                             writer)
 *   map_*, camp_*, campaign settings, hook    the refresher's alone: refresh_mu held
 *   hot, frozen                               set once when a snapshot is opened */
#ifndef MZ_ENGINE_INT_H
#define MZ_ENGINE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "engine/engine.h"
#include "index/hot.h"
#include "index/idx.h"
#include "rules/pattern.h"
#include "rules/tlp.h"
#include "util/buf.h"

/* An organisation's identity, by its id. */
struct engine_owner {
    int64_t org;
    char identity[STORE_IDENT_LEN];
};

/* The address space of one organisation's live range indicators that are not wide
 * by their own width (engine_match.c: engine_space_over). */
struct engine_space {
    int64_t org;
    uint64_t v4; /* IPv4 addresses */
    uint64_t v6; /* IPv6 /64 networks */
};

/* What the object model needs of an indexed object that struct idx_obj does not
 * keep. The versions of one object are chained newest first through prev, and each
 * later version links to its object's first; the objects of one id are chained, in
 * the order of their first indexed version, through the link of each object's first
 * version (the id map holds the first object's). */
struct engine_objx {
    int32_t owner_user; /* 0, or the user of a personal object */
    uint32_t prev;      /* the version of the same object indexed before it, or UINT32_MAX */
    uint32_t link;      /* at an object's first version: the next object of the id, or
                         * UINT32_MAX; at a later one: its object's first version */
    uint32_t tail;      /* at an object's first version: its newest indexed version */
    uint32_t upper;     /* which hex digits of its id's UUID are spelt in upper case
                         * (bit i: the i-th digit): with the type, the id as the
                         * store spells and compares it */
    uint8_t attested;   /* its object's first version names its owner as creator */
    uint8_t withdrawn;  /* withdrawn (R7): who keeps it is in the engine's wd_* table */
    uint8_t shared;     /* shared after it was indexed (issue 11): its communities and
                         * audience are in the engine's sh_* table */
    uint8_t noted;      /* noted (engine_versions_note); a snapshot notes its cx ids' alone */
};

struct engine {
    pthread_rwlock_t lock;       /* readers vs. the refresher's additions */
    pthread_mutex_t refresh_mu;  /* one refresh (or snapshot write) at a time */
    engine_refresh_hook_fn hook; /* tests (engine_set_refresh_hook) */
    struct engine_wd_work wd_work; /* tests (engine_wd_work): under refresh_mu */
    void *hook_ctx;
    struct idx *ix;
    uint64_t generation;
    /* (object uuid, owner) -> object number, to retire superseded versions
     * (engine_versions.c) */
    uint64_t *map_keys;
    uint32_t *map_vals;
    int32_t *map_owner;    /* the owner key of each slot (engine_versions_owner) */
    size_t map_cap, map_n;
    /* docs/model.md R4 (engine_versions.c): per indexed object, what the model's
     * choice needs beyond struct idx_obj; and per id (uuid), its first object's first
     * indexed version (idm_head: the head of the id's objects), and whether the id
     * needs the choice (cx: then correlation and match keep every version and report
     * only the reader's units) */
    struct engine_objx *ox;
    size_t ox_cap;
    uint64_t *idm_keys;
    uint32_t *idm_head;
    uint8_t *idm_cx;
    /* the id's first object as the store knows it (its first stored row, indexed or
     * not: a Sigma claim is not indexed): owner and whether it is attested (the
     * claim, docs/model.md R2.3) */
    int32_t *idm_first_org, *idm_first_user;
    uint8_t *idm_claimed;
    size_t idm_cap, idm_n;
    /* the withdrawn objects (docs/model.md R7), sorted by number, and who keeps each
     * (identity ids, space-separated; heap): few, so a sorted array */
    uint32_t *wd_nums;
    char **wd_keeps;
    size_t n_wd, cap_wd;
    /* the versions shared after they were indexed (issue 11: a share record changes
     * a version's communities, or whom it was passed on to), sorted by number, with
     * their communities and audience (shared_to included; heap) as the store has them
     * now; and the newest share record read (the refresher's) */
    uint32_t *sh_nums;
    uint64_t *sh_comm;
    char **sh_auds;
    size_t n_sh, cap_sh;
    int64_t share_gen;
    /* the organisations' identities, sorted by id, so that a hit names who submitted
     * its object (docs/model.md R4, R9): replaced by the refresher under the write
     * lock, read under the read lock */
    struct engine_owner *owners;
    size_t n_owners;
    /* parsed patterns of CANDIDATE and SCAN objects, ordered by object number */
    uint32_t *pat_objs;
    struct pattern **pats;
    size_t n_pats, cap_pats;
    uint32_t *scan_objs;
    size_t n_scan, cap_scan;
    int frozen;            /* no refresh will come (mreza match): lookups need no lock */
    struct hot *hot;       /* the prefilter of a frozen index without scan patterns */
    /* regional campaigns (engine_campaign.c): off while window is 0 */
    int64_t campaign_window_us;
    long campaign_min_countries;
    struct engine_limits limits; /* each matcher's MATCHES limits and budgets (engine_set_limits) */
    uint64_t epoch;        /* moves on whenever the write lock is taken: what a matcher
                            * decided under the read lock (its scan patterns) holds
                            * while it stays */
    /* each organisation's range space (struct engine_space), summed for the epoch
     * space_epoch by the first matcher that needs it while the index stays as it
     * is; space_mu guards these fields (matchers share them under the read lock) */
    pthread_mutex_t space_mu;
    struct engine_space *space;
    size_t n_space, cap_space;
    uint64_t space_epoch;
    int space_known;
    char campaign_key[ENGINE_CAMPAIGN_KEY_MAX + 1]; /* the node's secret of grouping ids */
    uint64_t *camp_keys;   /* hash of "kind:value" -> the node's grouping: reports it lists */
    uint32_t *camp_refs;
    uint64_t *camp_sums;   /* and which: a sum of the hashes of the ids it lists */
    char (*camp_ids)[ENGINE_CAMPAIGN_ID_LEN]; /* and its id */
    size_t camp_cap, camp_n;
};

/* ---- engine.c ---- */

/* A zeroed engine with its locks made, no index yet; NULL when out of memory. */
struct engine *engine_alloc(void);

/* Readers take the lock only while a refresh may come (not when frozen). */
void engine_read_lock(struct engine *e);
void engine_read_unlock(struct engine *e);
/* Keep parsed pattern p (taken over) of object obj; scan: evaluated on every value.
 * Objects come in increasing order. -1 when out of memory (p is then the caller's). */
int engine_pattern_add(struct engine *e, uint32_t obj, struct pattern *p, int scan);
/* The parsed pattern of obj, or NULL. */
const struct pattern *engine_pattern_of(const struct engine *e, uint32_t obj);
/* The TLP facts of indexed object num, for tlp.c's rules. */
void engine_obj_meta(const struct engine *e, uint32_t num, struct tlp_meta *meta);

/* The identity of organisation org ("" when unknown, or the node's 0); the
 * caller holds the lock (or the engine is frozen). Borrowed until the next refresh. */
const char *engine_owner_identity(const struct engine *e, int64_t org);
/* Read the organisations' identities from st and put them in place (takes the write
 * lock). */
enum mz_err engine_owners_load(struct engine *e, struct store *st, struct mz_error *err);

/* ---- engine_versions.c ---- */

/* The owner key of an object in the version map: its organisation, or for a
 * personal object minus its user. */
int32_t engine_versions_owner(int64_t owner_org, int64_t owner_user);
uint64_t engine_versions_key(const struct engine *e, uint32_t num, int32_t owner);
/* Double the map. -1 when out of memory (the map is unchanged). */
int engine_versions_grow(struct engine *e);
/* The slot for the id of indexed object num (noted) and owner: existing (*found =
 * 1) or where to insert. */
size_t engine_versions_slot(struct engine *e, uint32_t num, int32_t owner, int *found);

/* The STIX id of indexed object num into out (at least 300 bytes), spelt as the
 * store holds it (the index keeps the UUID as bytes: its case is the engine's,
 * known of every object a refresh noted and of a snapshot's ids that need the
 * model's choice). */
void engine_versions_obj_id(const struct engine *e, uint32_t num, char *out, size_t out_cap);
/* Which hex digits of the UUID of stix_id are upper case (bit i: the i-th digit). */
uint32_t engine_versions_upper(const char *stix_id);

/* Record indexed object num (a version of row's id; cx: the store marks the id as
 * needing the model's choice) in the id map and the per-object facts, with the id's
 * first object as the row tells it (row->first_*). Ids are keyed as the store spells
 * them (type, UUID, case). Under the write lock. -1 when out of memory. */
int engine_versions_note(struct engine *e, uint32_t num, const struct store_row *row, int cx);
/* Indexed object num is withdrawn, kept by keep (space-separated identity ids; ""
 * nobody), or no longer withdrawn (keep NULL: restored). Under the write lock. -1
 * when out of memory. */
int engine_versions_withdrawn(struct engine *e, uint32_t num, const char *keep);
/* Who keeps withdrawn object num, or NULL when it is not withdrawn. */
const char *engine_versions_keep(const struct engine *e, uint32_t num);
/* Indexed object num is shared into communities comm and its audience is audience
 * with shared_to (the store's now: issue 11's share records). Under the write lock.
 * -1 when out of memory. */
int engine_versions_shared(struct engine *e, uint32_t num, uint64_t comm, const char *audience,
                           const char *shared_to);
/* The communities and audience (shared_to included; NULL: none) of indexed object
 * num, as the last share record made them, or as it was indexed. */
void engine_versions_facts(const struct engine *e, uint32_t num, uint64_t *comm_out, const char **audience_out);
/* The indexed object whose store sequence number is seq, or -1 (objects are indexed
 * in seq order: a bisection); *probes (if not NULL) grows by the entries looked at. */
int64_t engine_obj_of_seq(const struct idx *ix, int64_t seq, uint64_t *probes);
/* Is indexed object num (noted) a version of the id stix_id, as the store spells it? */
int engine_versions_is(const struct engine *e, uint32_t num, const char *stix_id);
/* Mark the id stix_id (if the index holds it) as needing the model's choice. */
void engine_versions_mark_cx(struct engine *e, const char *stix_id);
/* Is the id of indexed object num one that needs the model's choice? */
int engine_versions_cx(const struct engine *e, uint32_t num);
/* What engine_versions_unit decided for one principal while the index holds still
 * (one observation's lookups, one correlation, one campaign check), so that the other
 * versions of a unit hit meanwhile do not walk its versions again: a direct-mapped
 * table whose entries belong to the current epoch. Zero it once, then call
 * engine_versions_memo_start before each use (for one principal). */
#define ENGINE_UNIT_MEMO 1024 /* a power of two */
struct engine_unit_memo {
    struct {
        uint32_t key;   /* the unit: its object's first version, or the id's first (own) */
        uint32_t epoch; /* the use it was decided in */
        int64_t pick;   /* the seq of the version the principal is served of it, or -1 */
        uint8_t own;    /* the unit is the principal's own objects of the id */
    } slot[ENGINE_UNIT_MEMO];
    uint32_t epoch;
};
void engine_versions_memo_start(struct engine_unit_memo *memo);

/* For such an id: is num one of p's units (R4: its own objects as one, each
 * candidate, each with the version R3 serves p)? Under the read lock. Walks the
 * versions of num's object, or of p's own objects (and then the list of the id's
 * objects) when num is in one of them: never another owner's versions; memo (may be
 * NULL) keeps the answer for the other versions of the unit. */
int engine_versions_unit(const struct engine *e, const struct principal *p, uint32_t num,
                         struct engine_unit_memo *memo);

/* ---- engine_campaign.c ---- */

/* A stored grouping the node recorded as a campaign (the caller passes only the
 * node's own rows, comm: the communities of the row, its campaign's alone): remember
 * its id and which reports it lists, so that only a campaign with more is written
 * again, under the same id. withdrawn: the row is withdrawn (docs/model.md R11.6: an
 * ended campaign's, or an earlier version that listed a withdrawn report), and lists
 * nothing any more. */
void engine_campaign_note(struct engine *e, json_t *obj, const char *id, uint64_t comm, int withdrawn);
/* Check each "kind comm value\n" line of touched (values of newly indexed
 * community-visible objects, and the communities they are in) for a campaign in each
 * of those communities with more reports than recorded; those found are appended to
 * out (each value and community once). With withdrawn (the values of versions
 * withdrawn or restored since the last refresh, with their communities,
 * docs/model.md R11.6), a recorded campaign whose reports are no longer those its
 * grouping lists is handed back too - with fewer, or marked ended when too few
 * countries are left. Reads the index without the lock: only the refresher (the
 * caller) ever changes it. touched is consumed (its lines are cut). */
enum mz_err engine_campaign_detect(struct engine *e, struct mz_buf *touched, int withdrawn,
                                   struct engine_refresh_result *out, struct mz_error *err);

#endif
