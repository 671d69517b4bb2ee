/* engine/engine_versions.c - the engine's version map: (object UUID, owner
 * organisation) -> the number of the indexed object that is that object's newest
 * version, so that indexing a new version retires the one before it (IDX_F_DEAD).
 * Open addressing with linear probing over XXH3 keys; the refresher's alone (no
 * reader ever looks at it), grown before it is half full. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t engine_versions_key(const uint8_t *uuid, int32_t owner)
{
    unsigned char k[20];

    memcpy(k, uuid, 16);
    memcpy(k + 16, &owner, 4);
    return XXH3_64bits(k, sizeof k) | 1; /* 0 marks an empty slot */
}

int engine_versions_grow(struct engine *e)
{
    size_t ncap = e->map_cap ? e->map_cap * 2 : 1024;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    uint32_t *vals = calloc(ncap, sizeof *vals);

    if (!keys || !vals) {
        free(keys);
        free(vals);
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
    }
    free(e->map_keys);
    free(e->map_vals);
    e->map_keys = keys;
    e->map_vals = vals;
    e->map_cap = ncap;
    return 0;
}

size_t engine_versions_slot(struct engine *e, const uint8_t *uuid, int32_t owner, int *found)
{
    uint64_t k = engine_versions_key(uuid, owner);
    size_t j;

    *found = 0;
    for (j = k & (e->map_cap - 1); e->map_keys[j]; j = (j + 1) & (e->map_cap - 1)) {
        const struct idx_obj *o = idx_obj_at(e->ix, e->map_vals[j]);
        if (e->map_keys[j] == k && o->owner_org == owner && !memcmp(o->uuid, uuid, 16)) {
            *found = 1;
            break;
        }
    }
    return j;
}
