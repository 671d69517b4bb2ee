/* rules/tlp.c - see tlp.h. For members tlp_can_read() evaluates exactly the grants
 * that tlp_visibility() hands the store, so the SQL prefilter and the final check
 * cannot disagree about the rules: only about a bug, which the check then stops.
 * For a peer the prefilter is wider and the peer column below decides each row. */
#include "rules/tlp.h"

#include <stdio.h>
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

int tlp_in_community(const struct tlp_meta *m, uint64_t k)
{
    return tlp_community_wide(m->tlp) && (m->comm & k) != 0;
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
    if (p->role == ROLE_PEER) {
        /* the prefilter of a peer: every level it may read some of (the directory
         * is GREEN of any community, audiences are checked per row) */
        v->all_mask = ALL_LEVELS & ~BIT(TLP_RED);
        return;
    }
    v->org = p->org.id;
    v->user = p->user.id;
    v->org_ident = p->org.identity;
    v->user_ident = p->user.identity;
    v->user_mask = v->user ? ALL_LEVELS : 0; /* what you submitted yourself */
    v->aud_user_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT) | BIT(TLP_RED);
    v->aud_org_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT);
    /* its own organisation's objects (RED only when it is the submitter) */
    v->org_mask = BIT(TLP_GREEN) | BIT(TLP_AMBER) | BIT(TLP_AMBER_STRICT);
    /* GREEN: of the communities its organisation reads, whatever its role */
    v->comm_mask = p->comm_read;
    v->comm_lvl_mask = BIT(TLP_GREEN);
}

static int names(const char *audience, const char *ident)
{
    return audience && ident && *ident && strstr(audience, ident) != NULL;
}

/* ---- the peer column (docs/federation.md section 7) ---- */

/* Is the identity [id, id + len) one of idents (sorted by strcasecmp)? */
static int ident_in(const struct tlp_idents *idents, const char *id, size_t len)
{
    size_t lo = 0, hi = idents ? idents->n : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *x = idents->v[mid];
        int c = strncasecmp(x, id, len);
        if (c == 0 && x[len] != '\0')
            c = 1; /* x is longer: after id */
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* How many identities of list (space-separated) there are, and of them how many are
 * idents', into *n and *in. */
static void audience_in(const char *list, const struct tlp_idents *idents, size_t *n, size_t *in)
{
    while (list && *list) {
        size_t len = strcspn(list, " ");
        if (len) {
            (*n)++;
            *in += (size_t)ident_in(idents, list, len);
        }
        list += len;
        list += strspn(list, " ");
    }
}

static int peer_can_read(const struct principal *p, const struct tlp_meta *m)
{
    size_t n = 0, in = 0;

    switch (m->tlp) {
    case TLP_CLEAR:
        return 1;
    case TLP_GREEN:
        return (m->comm & p->comm_read) != 0 || m->directory;
    case TLP_AMBER:
    case TLP_AMBER_STRICT:
        audience_in(m->audience, p->peer_idents, &n, &in);
        audience_in(m->shared_to, p->peer_idents, &n, &in);
        /* AMBER: some organisation of its audience lives there; AMBER+STRICT:
         * every one of them (so it reaches nobody else by going there) */
        return m->tlp == TLP_AMBER ? in > 0 : n > 0 && in == n;
    default:
        return 0; /* RED is addressed to people, who never live on another node */
    }
}

int tlp_can_read(const struct principal *p, const struct tlp_meta *m)
{
    struct store_vis v;
    uint32_t bit;

    if (m->tlp < 0 || m->tlp >= TLP_N_LEVELS)
        return 0;
    if (p->role == ROLE_PEER)
        return peer_can_read(p, m);
    tlp_visibility(p, &v);
    bit = BIT(m->tlp);
    return (v.all_mask & bit) ||
           ((v.comm_lvl_mask & bit) && (m->comm & v.comm_mask)) ||
           (v.org && m->owner_org == v.org && (v.org_mask & bit)) ||
           (v.user && m->submitter == v.user && (v.user_mask & bit)) ||
           ((v.aud_org_mask & bit) && (names(m->audience, v.org_ident) || names(m->shared_to, v.org_ident))) ||
           ((v.aud_user_mask & bit) && (names(m->audience, v.user_ident) || names(m->shared_to, v.user_ident)));
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
        org_wide = (p->org.id && m->owner_org == p->org.id) || names(m->audience, p->org.identity) ||
                   names(m->shared_to, p->org.identity) ||
                   (m->tlp == TLP_GREEN && (m->comm & p->comm_read) != 0);
        break;
    default:
        org_wide = 0;
    }
    return org_wide ? TLP_AMBER : TLP_RED;
}

/* Principals that stand for every kind of reader of a and b: nobody; an analyst and
 * a reporter of a's or b's owner, of an organisation named in a's audience (or
 * shared_to), and of an organisation neither names; each as a's submitter or b's
 * (of its owner), a user named in a's audience, or nobody in particular; each
 * reading no community, those of a and not b, or all of a's. Identities and
 * communities are the only things tlp_can_read compares that can tell readers apart,
 * and it reads more the more communities a reader reads, so these are all the
 * readers there are. */
#define NARROW_MAX_IDENTS 8

static size_t audience_idents(const char *audience, char idents[][STORE_IDENT_LEN], size_t n, size_t max)
{
    while (audience && *audience && n < max) {
        size_t len = strcspn(audience, " ");
        if (len && len < STORE_IDENT_LEN) {
            memcpy(idents[n], audience, len);
            idents[n++][len] = '\0';
        }
        audience += len;
        audience += strspn(audience, " ");
    }
    return n;
}

int tlp_narrower(const struct tlp_meta *a, const struct tlp_meta *b)
{
    char idents[NARROW_MAX_IDENTS][STORE_IDENT_LEN];
    size_t n = audience_idents(a->shared_to, idents, audience_idents(a->audience, idents, 0, NARROW_MAX_IDENTS),
                               NARROW_MAX_IDENTS);
    const int64_t orgs[] = {a->owner_org, b->owner_org, -7};
    const int64_t users[] = {a->submitter, b->submitter, -9};
    const uint64_t comms[] = {0, a->comm & ~b->comm, a->comm};
    static const enum role roles[] = {ROLE_ANALYST, ROLE_REPORTER};
    struct principal p;

    memset(&p, 0, sizeof p);
    if (tlp_can_read(&p, a) && !tlp_can_read(&p, b))
        return 1;
    for (size_t r = 0; r < 2; r++)
        for (size_t o = 0; o < 3 + n; o++)
            for (size_t u = 0; u < 3; u++)
                for (size_t ui = 0; ui <= n; ui++)
                    for (size_t c = 0; c < 3; c++) {
                        /* a submitter is a user of the owner organisation */
                        if (u < 2 && !(o < 3 && orgs[o] == (u == 0 ? a->owner_org : b->owner_org)))
                            continue;
                        memset(&p, 0, sizeof p);
                        p.role = roles[r];
                        p.org.id = o < 3 ? orgs[o] : -8;
                        if (o >= 3)
                            snprintf(p.org.identity, sizeof p.org.identity, "%s", idents[o - 3]);
                        p.user.id = users[u];
                        if (ui)
                            snprintf(p.user.identity, sizeof p.user.identity, "%s", idents[ui - 1]);
                        p.comm_read = comms[c];
                        if (tlp_can_read(&p, a) && !tlp_can_read(&p, b))
                            return 1;
                    }
    return 0;
}
