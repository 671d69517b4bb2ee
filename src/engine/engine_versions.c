/* engine/engine_versions.c - the engine's version map: (object UUID, owner
 * organisation or personal owner) -> the number of the indexed object that is that
 * object's newest version, so that indexing a new version retires the one before it
 * (IDX_F_DEAD). Open addressing with linear probing over XXH3 keys; the refresher's
 * alone (no reader ever looks at it), grown before it is half full.
 *
 * And the object model's view for correlation and match (docs/model.md R4): an id
 * map, UUID -> the id's first object, with whether the store marks the id `cx`
 * (several objects, versions read by different readers, revoked versions); the
 * id's objects chained in the order of their first indexed version, and each
 * object's versions chained newest first (struct engine_objx). Versions of such ids
 * are never retired; a hit on one is reported only when it is one of the reader's
 * units, decided by rules/model.c on the versions of the objects the unit is made
 * of - the hit's object, or the reader's own two - whatever else the id holds: no
 * window over the id's versions, so that no owner's posts push another's object
 * out of view. The cost of a hit is the versions of those objects (at most
 * ingest.max_versions that each of its owner organisation's posters may read,
 * docs/model.md R6.5) and, for a hit in the reader's own object, the length of the
 * list of the id's objects (one per organisation and one personal object per user
 * of it). Readers use the id map under the read lock; the refresher grows it under
 * the write lock.
 *
 * And the withdrawn objects (docs/model.md R7): who keeps each, in a table sorted by
 * object number beside the id map (withdrawals are few), read by the model as the
 * store's wd_keep. A withdrawal marks its id as needing the choice, so that a version
 * retired before (IDX_F_DEAD) is served again to whoever no longer reads the newer. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rules/model.h"

int32_t engine_versions_owner(int64_t owner_org, int64_t owner_user)
{
    return owner_user ? -(int32_t)owner_user : (int32_t)owner_org;
}

uint32_t engine_versions_upper(const char *stix_id)
{
    const char *sep = strstr(stix_id, "--");
    uint32_t m = 0;
    int n = 0;

    for (const char *c = sep ? sep + 2 : ""; *c && n < 32; c++) {
        if (*c == '-')
            continue;
        if (*c >= 'A' && *c <= 'F')
            m |= 1u << n;
        n++;
    }
    return m;
}

void engine_versions_obj_id(const struct engine *e, uint32_t num, char *out, size_t out_cap)
{
    uint32_t upper = num < e->ox_cap ? e->ox[num].upper : 0;
    char *c;
    int n = 0;

    idx_obj_id(e->ix, num, out, out_cap);
    c = upper ? strstr(out, "--") : NULL;
    for (c = c ? c + 2 : NULL; c && *c && n < 32; c++) {
        if (*c == '-')
            continue;
        if ((upper >> n & 1) && *c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
        n++;
    }
}

/* An id as the store spells and compares it: its UUID, type and case. */
struct idsp {
    const uint8_t *uuid;
    const char *type;
    size_t tlen;
    uint32_t upper;
};

static void idsp_of_num(const struct engine *e, uint32_t num, struct idsp *out)
{
    out->uuid = idx_obj_at(e->ix, num)->uuid;
    out->type = idx_obj_type(e->ix, num);
    out->tlen = strlen(out->type);
    out->upper = e->ox[num].upper;
}

/* Is indexed object num (noted) a version of the id sp? */
static int idsp_is(const struct engine *e, uint32_t num, const struct idsp *sp)
{
    const char *t = idx_obj_type(e->ix, num);

    return !memcmp(idx_obj_at(e->ix, num)->uuid, sp->uuid, 16) && e->ox[num].upper == sp->upper &&
           !strncmp(t, sp->type, sp->tlen) && !t[sp->tlen];
}

static uint64_t idsp_hash(const struct idsp *sp, const int32_t *owner)
{
    unsigned char k[16 + 4 + 4 + 64];
    size_t tl = sp->tlen < 64 ? sp->tlen : 64, n = 0; /* a longer type: its first 64 bytes */

    memcpy(k, sp->uuid, 16);
    memcpy(k + 16, &sp->upper, 4);
    n = 20;
    if (owner) {
        memcpy(k + n, owner, 4);
        n += 4;
    }
    memcpy(k + n, sp->type, tl);
    return XXH3_64bits(k, n + tl) | 1; /* 0 marks an empty slot */
}

uint64_t engine_versions_key(const struct engine *e, uint32_t num, int32_t owner)
{
    struct idsp sp;

    idsp_of_num(e, num, &sp);
    return idsp_hash(&sp, &owner);
}

int engine_versions_grow(struct engine *e)
{
    size_t ncap = e->map_cap ? e->map_cap * 2 : 1024;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    uint32_t *vals = calloc(ncap, sizeof *vals);
    int32_t *owners = calloc(ncap, sizeof *owners);

    if (!keys || !vals || !owners) {
        free(keys);
        free(vals);
        free(owners);
        return -1;
    }
    for (size_t i = 0; i < e->map_cap; i++) {
        size_t j;
        if (!e->map_keys[i])
            continue;
        for (j = e->map_keys[i] & (ncap - 1); keys[j]; j = (j + 1) & (ncap - 1))
            ;
        keys[j] = e->map_keys[i];
        vals[j] = e->map_vals[i];
        owners[j] = e->map_owner[i];
    }
    free(e->map_keys);
    free(e->map_vals);
    free(e->map_owner);
    e->map_keys = keys;
    e->map_vals = vals;
    e->map_owner = owners;
    e->map_cap = ncap;
    return 0;
}

size_t engine_versions_slot(struct engine *e, uint32_t num, int32_t owner, int *found)
{
    struct idsp sp;
    uint64_t k;
    size_t j;

    idsp_of_num(e, num, &sp);
    k = idsp_hash(&sp, &owner);
    *found = 0;
    for (j = k & (e->map_cap - 1); e->map_keys[j]; j = (j + 1) & (e->map_cap - 1))
        if (e->map_keys[j] == k && e->map_owner[j] == owner && idsp_is(e, e->map_vals[j], &sp)) {
            *found = 1;
            break;
        }
    return j;
}

/* ---- the id map (docs/model.md R4) ---- */

static size_t id_slot(const struct engine *e, const struct idsp *sp, int *found)
{
    uint64_t k = idsp_hash(sp, NULL);
    size_t j;

    *found = 0;
    if (!e->idm_cap)
        return 0;
    for (j = k & (e->idm_cap - 1); e->idm_keys[j]; j = (j + 1) & (e->idm_cap - 1))
        if (e->idm_keys[j] == k && idsp_is(e, e->idm_head[j], sp)) {
            *found = 1;
            break;
        }
    return j;
}

/* The slot of the id of indexed object num (noted). */
static size_t id_slot_num(const struct engine *e, uint32_t num, int *found)
{
    struct idsp sp;

    idsp_of_num(e, num, &sp);
    return id_slot(e, &sp, found);
}

/* The id stix_id as the store spells it: -1 when it has no UUID. */
static int idsp_of_str(const char *stix_id, uint8_t *uuid, struct idsp *out)
{
    const char *sep = strstr(stix_id, "--");

    if (!sep || idx_uuid_of(stix_id, uuid))
        return -1;
    out->uuid = uuid;
    out->type = stix_id;
    out->tlen = (size_t)(sep - stix_id);
    out->upper = engine_versions_upper(stix_id);
    return 0;
}

static int id_grow(struct engine *e)
{
    size_t ncap = e->idm_cap ? e->idm_cap * 2 : 1024;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    uint32_t *heads = calloc(ncap, sizeof *heads);
    uint8_t *cx = calloc(ncap, sizeof *cx);
    int32_t *forg = calloc(ncap, sizeof *forg), *fuser = calloc(ncap, sizeof *fuser);
    uint8_t *claimed = calloc(ncap, sizeof *claimed);

    if (!keys || !heads || !cx || !forg || !fuser || !claimed) {
        free(keys);
        free(heads);
        free(cx);
        free(forg);
        free(fuser);
        free(claimed);
        return -1;
    }
    for (size_t i = 0; i < e->idm_cap; i++) {
        size_t j;
        if (!e->idm_keys[i])
            continue;
        for (j = e->idm_keys[i] & (ncap - 1); keys[j]; j = (j + 1) & (ncap - 1))
            ;
        keys[j] = e->idm_keys[i];
        heads[j] = e->idm_head[i];
        cx[j] = e->idm_cx[i];
        forg[j] = e->idm_first_org[i];
        fuser[j] = e->idm_first_user[i];
        claimed[j] = e->idm_claimed[i];
    }
    free(e->idm_keys);
    free(e->idm_head);
    free(e->idm_cx);
    free(e->idm_first_org);
    free(e->idm_first_user);
    free(e->idm_claimed);
    e->idm_keys = keys;
    e->idm_head = heads;
    e->idm_cx = cx;
    e->idm_first_org = forg;
    e->idm_first_user = fuser;
    e->idm_claimed = claimed;
    e->idm_cap = ncap;
    return 0;
}

int engine_versions_note(struct engine *e, uint32_t num, const struct store_row *row, int cx)
{
    int64_t owner_user = row->owner_user;
    size_t j;
    int found;

    if (num >= e->ox_cap) {
        size_t ncap = e->ox_cap ? e->ox_cap : 1024;
        struct engine_objx *n;
        while (ncap <= num)
            ncap *= 2;
        n = realloc(e->ox, ncap * sizeof *n);
        if (!n)
            return -1;
        /* zeroed: not noted (a snapshot's gaps: a snapshot's engine notes only some
         * objects, and the flags of the others - withdrawn, shared - are read all the same) */
        memset(n + e->ox_cap, 0, (ncap - e->ox_cap) * sizeof *n);
        e->ox = n;
        e->ox_cap = ncap;
    }
    if ((e->idm_n + 1) * 2 > e->idm_cap && id_grow(e))
        return -1;
    e->ox[num].owner_user = (int32_t)owner_user;
    e->ox[num].attested = (uint8_t)row->attested;
    e->ox[num].upper = engine_versions_upper(row->stix_id);
    e->ox[num].noted = 1;
    e->ox[num].withdrawn = 0;
    e->ox[num].shared = 0;
    e->ox[num].prev = e->ox[num].link = UINT32_MAX;
    e->ox[num].tail = num;
    j = id_slot_num(e, num, &found);
    if (!found || cx) {
        /* the id's first object, as the store knows it (an id that does not need the
         * choice has one object: the row's own) */
        e->idm_first_org[j] = (int32_t)row->first_org;
        e->idm_first_user[j] = (int32_t)row->first_user;
        e->idm_claimed[j] = (uint8_t)row->first_attested;
    }
    if (found) {
        int64_t org = idx_obj_at(e->ix, num)->owner_org;
        uint32_t f = e->idm_head[j], last = UINT32_MAX;
        e->idm_cx[j] |= (uint8_t)cx;
        /* its object among the id's, or a new one at the end of the list */
        for (; f != UINT32_MAX; last = f, f = e->ox[f].link)
            if (idx_obj_at(e->ix, f)->owner_org == org && e->ox[f].owner_user == (int32_t)owner_user)
                break;
        if (f != UINT32_MAX) {
            e->ox[num].prev = e->ox[f].tail;
            e->ox[num].link = f; /* a later version's link: its object's first */
            e->ox[f].tail = num;
        } else {
            e->ox[last].link = num;
        }
    } else {
        struct idsp sp;
        idsp_of_num(e, num, &sp);
        e->idm_keys[j] = idsp_hash(&sp, NULL);
        e->idm_cx[j] = (uint8_t)cx;
        e->idm_head[j] = num;
        e->idm_n++;
    }
    return 0;
}

/* ---- shares (issue 11) ---- */

/* The position of num in the sorted table of shared objects. */
static size_t sh_pos(const struct engine *e, uint32_t num)
{
    size_t lo = 0, hi = e->n_sh;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->sh_nums[mid] < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int engine_versions_shared(struct engine *e, uint32_t num, uint64_t comm, const char *audience,
                           const char *shared_to)
{
    size_t at = sh_pos(e, num), la = audience ? strlen(audience) : 0, ls = shared_to ? strlen(shared_to) : 0;
    char *aud = NULL;

    if (num >= e->ox_cap)
        return 0; /* not an object of the id map (cannot happen: noted first) */
    if (la + ls) {
        aud = malloc(la + ls + 2);
        if (!aud)
            return -1;
        memcpy(aud, audience ? audience : "", la);
        aud[la] = ' ';
        memcpy(aud + (la ? la + 1 : 0), shared_to ? shared_to : "", ls + 1);
        if (!ls)
            aud[la] = '\0';
    }
    if (at < e->n_sh && e->sh_nums[at] == num) {
        free(e->sh_auds[at]);
    } else {
        if (e->n_sh == e->cap_sh) {
            size_t ncap = e->cap_sh ? e->cap_sh * 2 : 16;
            uint32_t *nn = realloc(e->sh_nums, ncap * sizeof *nn);
            uint64_t *nc = nn ? realloc(e->sh_comm, ncap * sizeof *nc) : NULL;
            char **na = nc ? realloc(e->sh_auds, ncap * sizeof *na) : NULL;
            if (nn)
                e->sh_nums = nn;
            if (nc)
                e->sh_comm = nc;
            if (!na) {
                free(aud);
                return -1;
            }
            e->sh_auds = na;
            e->cap_sh = ncap;
        }
        memmove(e->sh_nums + at + 1, e->sh_nums + at, (e->n_sh - at) * sizeof *e->sh_nums);
        memmove(e->sh_comm + at + 1, e->sh_comm + at, (e->n_sh - at) * sizeof *e->sh_comm);
        memmove(e->sh_auds + at + 1, e->sh_auds + at, (e->n_sh - at) * sizeof *e->sh_auds);
        e->sh_nums[at] = num;
        e->n_sh++;
    }
    e->sh_comm[at] = comm;
    e->sh_auds[at] = aud;
    e->ox[num].shared = 1;
    return 0;
}

void engine_versions_facts(const struct engine *e, uint32_t num, uint64_t *comm_out, const char **audience_out)
{
    if (num < e->ox_cap && e->ox[num].shared) {
        size_t at = sh_pos(e, num);
        *comm_out = e->sh_comm[at];
        *audience_out = e->sh_auds[at];
        return;
    }
    *comm_out = idx_obj_at(e->ix, num)->comm;
    *audience_out = idx_obj_audience(e->ix, num);
}

/* The position of num in the sorted table of withdrawn objects (where it is, or
 * where it would go). */
static size_t wd_pos(const struct engine *e, uint32_t num)
{
    size_t lo = 0, hi = e->n_wd;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->wd_nums[mid] < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int engine_versions_withdrawn(struct engine *e, uint32_t num, const char *keep)
{
    size_t at = wd_pos(e, num);
    int found = at < e->n_wd && e->wd_nums[at] == num;
    char *copy;

    if (num >= e->ox_cap)
        return 0; /* not an object of the id map (cannot happen: noted first) */
    if (!keep) {
        if (found) {
            free(e->wd_keeps[at]);
            memmove(e->wd_nums + at, e->wd_nums + at + 1, (e->n_wd - at - 1) * sizeof *e->wd_nums);
            memmove(e->wd_keeps + at, e->wd_keeps + at + 1, (e->n_wd - at - 1) * sizeof *e->wd_keeps);
            e->n_wd--;
        }
        e->ox[num].withdrawn = 0;
        return 0;
    }
    copy = strdup(keep);
    if (!copy)
        return -1;
    if (found) {
        free(e->wd_keeps[at]);
        e->wd_keeps[at] = copy;
    } else {
        if (e->n_wd == e->cap_wd) {
            size_t ncap = e->cap_wd ? e->cap_wd * 2 : 16;
            uint32_t *nn = realloc(e->wd_nums, ncap * sizeof *nn);
            char **nk = nn ? realloc(e->wd_keeps, ncap * sizeof *nk) : NULL;
            if (nn)
                e->wd_nums = nn;
            if (!nk) {
                free(copy);
                return -1;
            }
            e->wd_keeps = nk;
            e->cap_wd = ncap;
        }
        memmove(e->wd_nums + at + 1, e->wd_nums + at, (e->n_wd - at) * sizeof *e->wd_nums);
        memmove(e->wd_keeps + at + 1, e->wd_keeps + at, (e->n_wd - at) * sizeof *e->wd_keeps);
        e->wd_nums[at] = num;
        e->wd_keeps[at] = copy;
        e->n_wd++;
    }
    e->ox[num].withdrawn = 1;
    return 0;
}

const char *engine_versions_keep(const struct engine *e, uint32_t num)
{
    size_t at;

    if (num >= e->ox_cap || !e->ox[num].withdrawn)
        return NULL;
    at = wd_pos(e, num);
    return at < e->n_wd && e->wd_nums[at] == num ? e->wd_keeps[at] : NULL;
}

int engine_versions_is(const struct engine *e, uint32_t num, const char *stix_id)
{
    uint8_t uuid[16];
    struct idsp sp;

    return num < e->ox_cap && !idsp_of_str(stix_id, uuid, &sp) && idsp_is(e, num, &sp);
}

void engine_versions_mark_cx(struct engine *e, const char *stix_id)
{
    uint8_t uuid[16];
    struct idsp sp;
    int found;
    size_t j;

    if (idsp_of_str(stix_id, uuid, &sp))
        return;
    j = id_slot(e, &sp, &found);
    if (found)
        e->idm_cx[j] = 1;
}

int engine_versions_cx(const struct engine *e, uint32_t num)
{
    size_t j;
    int found;

    if (num >= e->ox_cap || !e->ox[num].noted)
        return 0; /* an index opened from a snapshot: no id map, or not of its ids */
    j = id_slot_num(e, num, &found);
    return found && e->idm_cx[j];
}

/* Feed every version of the object whose first indexed version is f to k. */
static void pick_from(const struct engine *e, uint32_t f, struct model_picker *k)
{
    for (uint32_t n = e->ox[f].tail; n != UINT32_MAX; n = e->ox[n].prev) {
        const struct idx_obj *o = idx_obj_at(e->ix, n);
        struct model_ver v;
        memset(&v, 0, sizeof v);
        v.seq = o->seq;
        v.owner_org = o->owner_org;
        v.owner_user = e->ox[n].owner_user;
        v.submitter = o->submitter;
        /* an SCO's versions, all of version 0, are ordered by arrival */
        snprintf(v.vkey, sizeof v.vkey, "%020lld", (long long)o->version);
        v.tlp = o->tlp;
        v.revoked = (o->flags & IDX_F_REVOKED) != 0;
        {
            const char *aud;
            engine_versions_facts(e, n, &v.comm, &aud);
            v.audience = (char *)(uintptr_t)aud; /* borrowed: never freed here */
        }
        v.wd_keep = (char *)(uintptr_t)engine_versions_keep(e, n); /* borrowed: never freed here */
        model_picker_add(k, &v);
    }
}

_Static_assert(ENGINE_UNIT_MEMO == 1024, "engine_versions_unit takes 10 bits of a hash for a slot");

void engine_versions_memo_start(struct engine_unit_memo *memo)
{
    if (++memo->epoch == 0) { /* wrapped: entries of 2^32 uses ago would look current */
        memset(memo, 0, sizeof *memo);
        memo->epoch = 1;
    }
}

/* The store seq of the version p is served of the unit that object number num is
 * part of, or -1 (no version p may read; not p's unit at all). */
static int64_t unit_pick(const struct engine *e, const struct principal *p, uint32_t num, uint32_t f0, size_t j)
{
    const struct idx_obj *o = idx_obj_at(e->ix, num);
    struct model_picker k;
    uint32_t f;

    model_picker_init(&k, p, 0);
    if (model_owns(p, o->owner_org, e->ox[num].owner_user)) {
        /* R2.1: its own objects as one - its organisation's and its personal one */
        int n_own = 0;
        for (f = f0; f != UINT32_MAX && n_own < 2; f = e->ox[f].link)
            if (model_owns(p, idx_obj_at(e->ix, f)->owner_org, e->ox[f].owner_user)) {
                pick_from(e, f, &k);
                n_own++;
            }
    } else {
        /* R2.3: a candidate (a later object of a claimed id is its owner
         * organisation's alone), with the version R3 serves p of it */
        f = e->ox[num].prev == UINT32_MAX ? num : e->ox[num].link;
        /* the id's first object and its claim as the store knows them: the first
         * stored, indexed or not (not the first indexed, f0) */
        if (!model_candidate(p, e->idm_claimed[j],
                             o->owner_org == e->idm_first_org[j] && e->ox[f].owner_user == e->idm_first_user[j],
                             o->owner_org))
            return -1;
        pick_from(e, f, &k);
    }
    return model_picker_seq(&k);
}

int engine_versions_unit(const struct engine *e, const struct principal *p, uint32_t num,
                         struct engine_unit_memo *memo)
{
    const struct idx_obj *o = idx_obj_at(e->ix, num);
    uint32_t f0, key;
    size_t j;
    int found, own;
    int64_t pick;

    j = id_slot_num(e, num, &found);
    if (!found)
        return 0;
    f0 = e->idm_head[j];
    /* the memo's key: the unit - p's own objects of the id (the id's first object's
     * number, own), or the hit's object (its first version's number) */
    own = model_owns(p, o->owner_org, e->ox[num].owner_user);
    key = own ? f0 : e->ox[num].prev == UINT32_MAX ? num : e->ox[num].link;
    if (memo) {
        size_t i = (((key ^ (uint32_t)own << 31) * 2654435761u) >> 22) & (ENGINE_UNIT_MEMO - 1);
        if (memo->slot[i].epoch == memo->epoch && memo->slot[i].key == key && memo->slot[i].own == own)
            return memo->slot[i].pick == o->seq;
        pick = unit_pick(e, p, num, f0, j);
        memo->slot[i].epoch = memo->epoch;
        memo->slot[i].key = key;
        memo->slot[i].own = (uint8_t)own;
        memo->slot[i].pick = pick;
    } else {
        pick = unit_pick(e, p, num, f0, j);
    }
    return pick == o->seq;
}
