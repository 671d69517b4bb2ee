/* engine/engine_campaign.c - regional campaigns, as the engine indexes objects: an
 * observable carried by TLP:CLEAR/GREEN reports (indicators, observed data) of
 * organisations of at least campaign_min_countries countries whose own times
 * (`modified`) lie within campaign_window_us of each other. The refresher collects
 * the values of the community-visible objects it indexed ("touched") and checks
 * each here with an exact index lookup. A table (grouping id -> reports it listed)
 * remembers what was recorded, from the groupings the store holds, so that a
 * campaign is written again only when it has more reports. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "domain/campaign.h"

static uint64_t camp_key(const char *grouping_id)
{
    return XXH3_64bits(grouping_id, strlen(grouping_id)) | 1;
}

static size_t camp_slot(const struct engine *e, uint64_t k)
{
    size_t j;
    for (j = k & (e->camp_cap - 1); e->camp_keys[j] && e->camp_keys[j] != k; j = (j + 1) & (e->camp_cap - 1))
        ;
    return j;
}

static uint32_t camp_known(const struct engine *e, const char *grouping_id)
{
    size_t j;

    if (!e->camp_cap)
        return 0;
    j = camp_slot(e, camp_key(grouping_id));
    return e->camp_keys[j] ? e->camp_refs[j] : 0;
}

static void camp_remember(struct engine *e, const char *grouping_id, uint32_t n_refs)
{
    uint64_t k = camp_key(grouping_id);
    size_t j;

    if ((e->camp_n + 1) * 2 > e->camp_cap) {
        size_t ncap = e->camp_cap ? e->camp_cap * 2 : 64;
        uint64_t *keys = calloc(ncap, sizeof *keys), *okeys = e->camp_keys;
        uint32_t *refs = calloc(ncap, sizeof *refs), *orefs = e->camp_refs;
        size_t ocap = e->camp_cap;
        if (!keys || !refs) {
            free(keys);
            free(refs);
            return; /* forgetting only means the grouping may be rewritten later */
        }
        e->camp_keys = keys;
        e->camp_refs = refs;
        e->camp_cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (okeys[i]) {
                size_t t = camp_slot(e, okeys[i]);
                keys[t] = okeys[i];
                refs[t] = orefs[i];
            }
        free(okeys);
        free(orefs);
    }
    j = camp_slot(e, k);
    if (!e->camp_keys[j])
        e->camp_n++;
    e->camp_keys[j] = k;
    e->camp_refs[j] = n_refs;
}

void engine_campaign_note(struct engine *e, json_t *obj, const char *id)
{
    json_t *meta = json_object_get(obj, "x_mreza_campaign");
    json_t *refs = json_object_get(obj, "object_refs");

    if (json_is_object(meta) && json_is_array(refs))
        camp_remember(e, id, (uint32_t)json_array_size(refs));
}

struct camp_scan {
    struct engine *e;
    struct {
        uint32_t obj;
        int64_t when;
    } found[CAMPAIGN_MAX_REFS];
    size_t n;
};

static int camp_collect(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t len)
{
    struct camp_scan *cs = vctx;
    const struct idx_obj *o = idx_obj_at(cs->e->ix, num);

    (void)via;
    (void)key;
    (void)len;
    /* Reports count by their own time (`modified`); observable objects have none
     * and count through the indicators and observed-data that carry them. */
    if ((o->flags & (IDX_F_DEAD | IDX_F_REVOKED)) || !tlp_community_wide(o->tlp) || !o->country[0] ||
        !o->version)
        return 0;
    if (cs->n == CAMPAIGN_MAX_REFS)
        return 1;
    cs->found[cs->n].obj = num;
    cs->found[cs->n].when = o->version;
    cs->n++;
    return 0;
}

/* Is (kind, value) now a regional campaign with more reports than recorded? Then
 * record it. */
static enum mz_err check_campaign(struct engine *e, struct store *st, enum obs_kind kind,
                                  const char *value, struct camp_scan *cs, struct campaign *c,
                                  char (*ids)[300], struct mz_error *err)
{
    int64_t newest = INT64_MIN;
    char gid[80];

    cs->n = 0;
    idx_lookup_exact(e->ix, kind, value, strlen(value), camp_collect, cs);
    for (size_t i = 0; i < cs->n; i++)
        if (cs->found[i].when > newest)
            newest = cs->found[i].when;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->value = value;
    c->first_seen = INT64_MAX;
    for (size_t i = 0; i < cs->n; i++) {
        const struct idx_obj *o = idx_obj_at(e->ix, cs->found[i].obj);
        size_t k;
        if (cs->found[i].when < newest - e->campaign_window_us)
            continue;
        idx_obj_id(e->ix, cs->found[i].obj, ids[c->n_refs], 300);
        c->refs[c->n_refs] = ids[c->n_refs];
        c->n_refs++;
        if (cs->found[i].when < c->first_seen)
            c->first_seen = cs->found[i].when;
        if (cs->found[i].when > c->last_seen)
            c->last_seen = cs->found[i].when;
        for (k = 0; k < c->n_countries && memcmp(c->countries[k], o->country, 2); k++)
            ;
        if (k == c->n_countries && k < CAMPAIGN_MAX_COUNTRIES) {
            memcpy(c->countries[k], o->country, 2);
            c->countries[k][2] = '\0';
            c->n_countries++;
        }
    }
    if ((long)c->n_countries < e->campaign_min_countries)
        return MZ_OK;
    campaign_id(kind, value, gid, sizeof gid);
    if (camp_known(e, gid) >= c->n_refs)
        return MZ_OK;
    if (campaign_record(st, c, err))
        return err ? err->code : MZ_EIO;
    camp_remember(e, gid, (uint32_t)c->n_refs);
    return MZ_OK;
}

enum mz_err engine_campaign_detect(struct engine *e, struct store *st, struct mz_buf *touched,
                                   struct mz_error *err)
{
    struct camp_scan *cs = malloc(sizeof *cs);
    struct campaign *c = malloc(sizeof *c);
    char (*ids)[300] = malloc(CAMPAIGN_MAX_REFS * sizeof *ids);
    enum mz_err rc = MZ_OK;
    char *line = touched->data;

    if (!cs || !c || !ids) {
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        goto out;
    }
    cs->e = e;
    while (!rc && line && line < touched->data + touched->len) {
        char *nl = memchr(line, '\n', (size_t)(touched->data + touched->len - line));
        char *sp = memchr(line, ' ', (size_t)((nl ? nl : touched->data + touched->len) - line));
        if (!nl || !sp)
            break;
        *nl = '\0';
        rc = check_campaign(e, st, (enum obs_kind)strtol(line, NULL, 10), sp + 1, cs, c, ids, err);
        line = nl + 1;
    }
out:
    free(cs);
    free(c);
    free(ids);
    return rc;
}
