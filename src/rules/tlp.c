/* rules/tlp.c - see tlp.h. tlp_can_read() evaluates exactly the grants that
 * tlp_visibility() hands the store, so the SQL prefilter and the final check cannot
 * disagree about the rules: only about a bug, which the check then stops. */
#include "rules/tlp.h"

#include <string.h>
#include <strings.h>

#define BIT(l) (1u << (l))
#define ALL_LEVELS (BIT(TLP_CLEAR) | BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT) | BIT(TLP_RED))

#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
/* The TLP 2.0 marking definitions (oasis-open/cti-stix-common-objects,
 * objects/marking-definition/, and the TLP 2.0 extension's examples). */
#define MARKING(uuid, label, value)                                                    \
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--" uuid \
    "\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"" label "\",\"extensions\":{\"" TLP2_EXT \
    "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"" value "\"}}}"
/* The TLP 1.0 marking definitions built into STIX 2.1 (section 7.2.1.4). */
#define MARKING1(uuid, label, value)                                                   \
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--" uuid \
    "\",\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"name\":\"" label \
    "\",\"definition\":{\"tlp\":\"" value "\"}}"

/* The levels' names; their TLP 2.0 marking definitions are standard[level] below. */
static const struct {
    const char *name;
    const char *label;
} levels[TLP_N_LEVELS] = {
    {"clear", "TLP:CLEAR"},
    {"green", "TLP:GREEN"},
    {"amber", "TLP:AMBER"},
    {"amber+strict", "TLP:AMBER+STRICT"},
    {"red", "TLP:RED"},
};

/* Every marking definition a standard fixes: the five of TLP 2.0, in the order of
 * enum tlp_level (so that standard[l] is level l's), then the four of TLP 1.0 that
 * STIX 2.1 builds in (WHITE maps to CLEAR; TLP 1.0 has no AMBER+STRICT). */
static const struct {
    int level;
    const char *label; /* the standard's own name */
    const char *id;
    const char *json;
} standard[TLP_N_STANDARD] = {
    {TLP_CLEAR, "TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
     MARKING("94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear")},
    {TLP_GREEN, "TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
     MARKING("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green")},
    {TLP_AMBER, "TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
     MARKING("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber")},
    {TLP_AMBER_STRICT, "TLP:AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     MARKING("939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict")},
    {TLP_RED, "TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
     MARKING("e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red")},
    {TLP_CLEAR, "TLP:WHITE", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
     MARKING1("613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE", "white")},
    {TLP_GREEN, "TLP:GREEN", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
     MARKING1("34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN", "green")},
    {TLP_AMBER, "TLP:AMBER", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
     MARKING1("f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER", "amber")},
    {TLP_RED, "TLP:RED", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
     MARKING1("5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED", "red")},
};

/* Ids are compared without regard to case: a UUID's hex digits may be written in
 * either, and an upper-case spelling of RED's id is still RED (else it would fall
 * to the default, AMBER+STRICT, and the marking would be weakened). */
int tlp_standard_index(const char *id)
{
    if (!id)
        return -1;
    for (int i = 0; i < TLP_N_STANDARD; i++)
        if (strcasecmp(id, standard[i].id) == 0)
            return i;
    return -1;
}

int tlp_from_marking_id(const char *id)
{
    int i = tlp_standard_index(id);

    return i < 0 ? -1 : standard[i].level;
}

const char *tlp_standard_id(int i)
{
    return standard[i].id;
}

const char *tlp_standard_json(int i)
{
    return standard[i].json;
}

const char *tlp_standard_label(int i)
{
    return standard[i].label;
}

int tlp_parse(const char *name)
{
    if (strncasecmp(name, "tlp:", 4) == 0)
        name += 4;
    if (strcasecmp(name, "white") == 0)
        return TLP_CLEAR;
    /* A query string decodes '+' as a space, so the documented ?tlp=amber+strict
     * arrives as "amber strict": the one spelling with a space that is accepted. */
    if (strcasecmp(name, "amber strict") == 0)
        return TLP_AMBER_STRICT;
    for (int l = 0; l < TLP_N_LEVELS; l++)
        if (strcasecmp(name, levels[l].name) == 0)
            return l;
    return -1;
}

const char *tlp_label(enum tlp_level l)
{
    return levels[l].label;
}

const char *tlp_name(enum tlp_level l)
{
    return levels[l].name;
}

const char *tlp_marking_id(enum tlp_level l)
{
    return standard[l].id;
}

const char *tlp_marking_json(enum tlp_level l)
{
    return standard[l].json;
}

struct tlp_decision tlp_decide(int object_level, int granular_level)
{
    struct tlp_decision d;
    int base = object_level >= 0 ? object_level : TLP_DEFAULT;

    d.raised = granular_level > base;
    d.level = (enum tlp_level)(d.raised ? granular_level : base);
    d.defaulted = object_level < 0 && !d.raised;
    return d;
}

int tlp_community_wide(int level)
{
    return level == TLP_CLEAR || level == TLP_GREEN;
}

void tlp_visibility_internal(struct store_vis *v)
{
    memset(v, 0, sizeof *v);
    v->all_mask = ALL_LEVELS;
}

void tlp_visibility(const struct principal *p, struct store_vis *v)
{
    memset(v, 0, sizeof *v);
    v->all_mask = BIT(TLP_CLEAR);
    if (p->role == ROLE_NONE)
        return;
    v->org = p->org.id;
    v->user = p->user.id;
    v->org_ident = p->org.identity;
    v->user_ident = p->user.identity;
    v->user_mask = v->user ? ALL_LEVELS : 0; /* what you submitted yourself */
    v->aud_user_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT) | BIT(TLP_RED);
    v->aud_org_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT);
    if (p->role == ROLE_REPORTER) {
        /* Its own organisation's objects (RED only when it is the submitter) and
         * what is addressed to it; not the community's GREEN. */
        v->org_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT);
    } else {
        v->all_mask |= BIT(TLP_GREEN);
        v->org_mask = BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT);
    }
}

static int names(const char *audience, const char *ident)
{
    return audience && ident && *ident && strstr(audience, ident) != NULL;
}

int tlp_can_read(const struct principal *p, const struct tlp_meta *m)
{
    struct store_vis v;
    uint32_t bit;

    if (m->tlp < 0 || m->tlp >= TLP_N_LEVELS)
        return 0;
    tlp_visibility(p, &v);
    bit = BIT(m->tlp);
    return (v.all_mask & bit) ||
           (v.org && m->owner_org == v.org && (v.org_mask & bit)) ||
           (v.user && m->submitter == v.user && (v.user_mask & bit)) ||
           ((v.aud_org_mask & bit) && names(m->audience, v.org_ident)) ||
           ((v.aud_user_mask & bit) && names(m->audience, v.user_ident));
}

enum tlp_level tlp_sighting_level(const struct tlp_meta *m, const struct principal *p)
{
    int org_wide;

    switch (m->tlp) {
    case TLP_CLEAR:
        org_wide = 1;
        break;
    case TLP_GREEN:
    case TLP_AMBER:
    case TLP_AMBER_STRICT:
        org_wide = (p->org.id && m->owner_org == p->org.id) || names(m->audience, p->org.identity);
        break;
    default:
        org_wide = 0;
    }
    return org_wide ? TLP_AMBER : TLP_RED;
}
