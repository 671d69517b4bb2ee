/* tests/unit/rules/test_tlp.c - unit tests of rules/tlp.c (who may read what).
 * Covers: tlp_from_marking_id() for the TLP 2.0 and STIX 2.1 TLP 1.0 marking ids
 * (in any case: an upper-case RED id is RED); the standard marking definitions
 * (tlp_standard_*) against the standards' own text; tlp_decide() (object-level and
 * granular markings: the most restrictive applies to the whole object);
 * tlp_parse() accepted and rejected names (any case, "white" for CLEAR);
 * tlp_name/tlp_label/tlp_marking_id/tlp_marking_json agreeing with each other; and
 * the decision table of tlp_can_read() for every role (none, admin, analyst,
 * reporter, viewer, node-admin) x level (CLEAR..RED) x relation of the object to the reader
 * (own organisation's, another organisation's, another's naming my organisation as
 * recipient, another's naming me as recipient, submitted by me), written out as data
 * from the rules in tlp.h and principal.h, every object in the national community
 * and every reader's organisation reading it (issue 11: the reporter reads its
 * national community's GREEN; tests/unit/rules/test_tlp_communities.c has the other
 * communities). Every row is also checked against the grants tlp_visibility() hands
 * the store, evaluated here by a plain re-implementation of the rule documented on
 * struct store_vis in store/store.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rules/principal.h"
#include "rules/tlp.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[512], w_[512];                                                   \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

/* ---- marking ids and names ---- */

struct id_case {
    const char *id;
    int level;
};

static const struct id_case id_cases[] = {
    /* TLP 2.0 (oasis-open/cti-stix-common-objects) */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED},
    /* TLP 1.0, built into STIX 2.1 (section 7.2.1.4) */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED},
    /* the UUID's hex digits in another case: the same marking */
    {"marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1", TLP_RED},
    {"marking-definition--e828B379-4e03-4974-9ac4-e53a884c97C1", TLP_RED},
    {"marking-definition--5E57C739-391A-4EB3-B6BE-7D15CA92D5ED", TLP_RED},
    {"marking-definition--BAB4A63C-AED9-4CF5-A766-DFCA5ABAC2BB", TLP_GREEN},
    {"MARKING-DEFINITION--94868C89-83C2-464B-929B-A1A8AA3C8487", TLP_CLEAR},
    /* not TLP markings */
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec", -1},
    {"marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C0", -1},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c", -1},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1 ", -1},
    {"identity--e828b379-4e03-4974-9ac4-e53a884c97c1", -1},
    {"e828b379-4e03-4974-9ac4-e53a884c97c1", -1},
    {"TLP:RED", -1},
    {"red", -1},
    {"", -1},
};

static void test_from_marking_id(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++)
        assert_case_int(id_cases[i].id, tlp_from_marking_id(id_cases[i].id), id_cases[i].level);
}

struct parse_case {
    const char *name;
    int level;
};

static const struct parse_case parse_cases[] = {
    {"clear", TLP_CLEAR},
    {"CLEAR", TLP_CLEAR},
    {"Clear", TLP_CLEAR},
    {"white", TLP_CLEAR},
    {"WHITE", TLP_CLEAR},
    {"green", TLP_GREEN},
    {"GREEN", TLP_GREEN},
    {"amber", TLP_AMBER},
    {"Amber", TLP_AMBER},
    {"amber+strict", TLP_AMBER_STRICT},
    {"AMBER+STRICT", TLP_AMBER_STRICT},
    {"Amber+Strict", TLP_AMBER_STRICT},
    {"red", TLP_RED},
    {"RED", TLP_RED},
    {"amber strict", TLP_AMBER_STRICT}, /* ?tlp=amber+strict, '+' decoded as a space */
    {"AMBER Strict", TLP_AMBER_STRICT},
    {"", -1},
    {"amber  strict", -1},
    {"amber\tstrict", -1},
    {" amber strict", -1},
    {"amber-strict", -1},
    {"amberstrict", -1},
    {"amber+", -1},
    {"ambe", -1},
    {"redd", -1},
    {" red", -1},
    {"red ", -1},
    {"purple", -1},
    {"whitee", -1},
    {"tlp", -1},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++)
        assert_case_int(parse_cases[i].name, tlp_parse(parse_cases[i].name), parse_cases[i].level);
}

static void test_names_and_markings_agree(void **state)
{
    static const char *const names[] = {"clear", "green", "amber", "amber+strict", "red"};
    static const char *const labels[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"};

    (void)state;
    for (int l = TLP_CLEAR; l <= TLP_RED; l++) {
        json_t *m = json_loads(tlp_marking_json((enum tlp_level)l), 0, NULL);
        json_t *ext;
        assert_string_equal(tlp_name((enum tlp_level)l), names[l]);
        assert_string_equal(tlp_label((enum tlp_level)l), labels[l]);
        assert_int_equal(tlp_parse(tlp_name((enum tlp_level)l)), l);
        assert_int_equal(tlp_from_marking_id(tlp_marking_id((enum tlp_level)l)), l);
        assert_non_null(m);
        assert_string_equal(json_string_value(json_object_get(m, "id")), tlp_marking_id((enum tlp_level)l));
        assert_string_equal(json_string_value(json_object_get(m, "name")), labels[l]);
        ext = json_object_get(json_object_get(m, "extensions"),
                              "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");
        assert_string_equal(json_string_value(json_object_get(ext, "tlp_2_0")), names[l]);
        json_decref(m);
    }
}

/* The standard marking definitions, as the standards write them: TLP 2.0's from
 * oasis-open/cti-stix-common-objects (../shared/testdata/oasis-stix-common-objects-tlp2),
 * TLP 1.0's from STIX 2.1 section 7.2.1.4. Written out here in the standards' own
 * layout, so that the table in tlp.c is checked against an independent copy. */
static const char *const standard_text[TLP_N_STANDARD] = {
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\",\n"
    "  \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:CLEAR\",\n"
    "  \"extensions\": { \"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\n"
    "      \"extension_type\": \"property-extension\", \"tlp_2_0\" : \"clear\" } } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\",\n"
    "  \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:GREEN\",\n"
    "  \"extensions\": { \"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\n"
    "      \"extension_type\": \"property-extension\", \"tlp_2_0\" : \"green\" } } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\",\n"
    "  \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER\",\n"
    "  \"extensions\": { \"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\n"
    "      \"extension_type\": \"property-extension\", \"tlp_2_0\" : \"amber\" } } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\",\n"
    "  \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER+STRICT\",\n"
    "  \"extensions\": { \"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\n"
    "      \"extension_type\": \"property-extension\", \"tlp_2_0\" : \"amber+strict\" } } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\",\n"
    "  \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:RED\",\n"
    "  \"extensions\": { \"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\n"
    "      \"extension_type\": \"property-extension\", \"tlp_2_0\" : \"red\" } } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\",\n"
    "  \"created\": \"2017-01-20T00:00:00.000Z\", \"definition_type\": \"tlp\",\n"
    "  \"name\": \"TLP:WHITE\", \"definition\": { \"tlp\": \"white\" } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\",\n"
    "  \"created\": \"2017-01-20T00:00:00.000Z\", \"definition_type\": \"tlp\",\n"
    "  \"name\": \"TLP:GREEN\", \"definition\": { \"tlp\": \"green\" } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82\",\n"
    "  \"created\": \"2017-01-20T00:00:00.000Z\", \"definition_type\": \"tlp\",\n"
    "  \"name\": \"TLP:AMBER\", \"definition\": { \"tlp\": \"amber\" } }",
    "{ \"type\": \"marking-definition\", \"spec_version\": \"2.1\",\n"
    "  \"id\": \"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\",\n"
    "  \"created\": \"2017-01-20T00:00:00.000Z\", \"definition_type\": \"tlp\",\n"
    "  \"name\": \"TLP:RED\", \"definition\": { \"tlp\": \"red\" } }",
};
static const int standard_level[TLP_N_STANDARD] = {TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED,
                                                   TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_RED};

static void test_standard_markings(void **state)
{
    (void)state;
    for (int i = 0; i < TLP_N_STANDARD; i++) {
        json_t *want = json_loads(standard_text[i], 0, NULL);
        json_t *got = json_loads(tlp_standard_json(i), 0, NULL);
        const char *id = json_string_value(json_object_get(want, "id"));
        char upper[128];
        assert_non_null(want);
        assert_non_null(got);
        assert_case_int(id, json_equal(want, got), 1);
        assert_string_equal(tlp_standard_id(i), id);
        assert_string_equal(tlp_standard_label(i), json_string_value(json_object_get(want, "name")));
        assert_case_int(id, tlp_standard_index(id), i);
        assert_case_int(id, tlp_from_marking_id(id), standard_level[i]);
        for (size_t k = 0; k <= strlen(id); k++)
            upper[k] = (char)(id[k] >= 'a' && id[k] <= 'z' ? id[k] - 'a' + 'A' : id[k]);
        assert_case_int(upper, tlp_standard_index(upper), i);
        if (i < TLP_N_LEVELS) /* TLP 2.0's are the levels' own */
            assert_string_equal(tlp_marking_json((enum tlp_level)i), tlp_standard_json(i));
        json_decref(want);
        json_decref(got);
    }
    assert_int_equal(tlp_standard_index("marking-definition--0e6ed4ab-1b8a-4c07-8d8d-1c2a1e4a4f12"), -1);
    assert_int_equal(tlp_standard_index(NULL), -1);
}

/* ---- object-level and granular markings ---- */

struct decide_case {
    int object_level, granular_level;
    int level, defaulted, raised;
};

static const struct decide_case decide_cases[] = {
    /* no granular marking: the object's own, or the default */
    {-1, -1, TLP_AMBER_STRICT, 1, 0},
    {TLP_CLEAR, -1, TLP_CLEAR, 0, 0},
    {TLP_GREEN, -1, TLP_GREEN, 0, 0},
    {TLP_RED, -1, TLP_RED, 0, 0},
    /* a stricter granular marking applies to the whole object */
    {TLP_GREEN, TLP_RED, TLP_RED, 0, 1},
    {TLP_CLEAR, TLP_GREEN, TLP_GREEN, 0, 1},
    {TLP_CLEAR, TLP_AMBER_STRICT, TLP_AMBER_STRICT, 0, 1},
    {TLP_AMBER, TLP_AMBER_STRICT, TLP_AMBER_STRICT, 0, 1},
    /* a laxer or equal one changes nothing */
    {TLP_RED, TLP_GREEN, TLP_RED, 0, 0},
    {TLP_GREEN, TLP_GREEN, TLP_GREEN, 0, 0},
    {TLP_AMBER, TLP_CLEAR, TLP_AMBER, 0, 0},
    /* no object-level marking: the unmarked parts are AMBER+STRICT; a granular
     * marking never lowers that, RED raises it */
    {-1, TLP_CLEAR, TLP_AMBER_STRICT, 1, 0},
    {-1, TLP_GREEN, TLP_AMBER_STRICT, 1, 0},
    {-1, TLP_AMBER_STRICT, TLP_AMBER_STRICT, 1, 0},
    {-1, TLP_RED, TLP_RED, 0, 1},
};

static void test_decide(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decide_cases / sizeof decide_cases[0]; i++) {
        const struct decide_case *c = &decide_cases[i];
        struct tlp_decision d = tlp_decide(c->object_level, c->granular_level);
        char name[64];
        snprintf(name, sizeof name, "object %d granular %d", c->object_level, c->granular_level);
        assert_case_int(name, d.level, c->level);
        assert_case_int(name, d.defaulted, c->defaulted);
        assert_case_int(name, d.raised, c->raised);
    }
}

/* ---- the decision table ---- */

#define ORG_A 1        /* my organisation */
#define ORG_B 2        /* another organisation of the community */
#define ME 10          /* the reader, a user of ORG_A */
#define COLLEAGUE 11   /* another user of ORG_A */
#define STRANGER 20    /* a user of ORG_B */
#define ORG_A_IDENT "identity--a0000000-0000-4000-8000-00000000000a"
#define ORG_B_IDENT "identity--b0000000-0000-4000-8000-00000000000b"
#define ORG_C_IDENT "identity--c0000000-0000-4000-8000-00000000000c"
#define ME_IDENT "identity--a0000000-0000-4000-8000-000000000010"
#define COLLEAGUE_IDENT "identity--a0000000-0000-4000-8000-000000000011"

enum relation {
    REL_OWN_ORG,      /* my organisation's, submitted by a colleague */
    REL_OTHER_ORG,    /* another organisation's, no recipients */
    REL_NAMES_MY_ORG, /* another organisation's, my organisation among the recipients */
    REL_NAMES_ME,     /* another organisation's, me among the recipients */
    REL_BY_ME,        /* submitted by me */
    N_REL
};

static const char *const rel_names[N_REL] = {"own org", "other org", "other org naming my org",
                                             "other org naming me", "submitted by me"};
static const char *const role_names_[] = {"none", "admin", "analyst", "reporter", "viewer", "node-admin"};

#define NATIONAL 1u /* the national community's bit */

/* The object of each relation (tlp is filled in per row), all in the national
 * community. */
static const struct tlp_meta metas[N_REL] = {
    {0, ORG_A, COLLEAGUE, NULL, NATIONAL, NULL, 0},
    {0, ORG_B, STRANGER, NULL, NATIONAL, NULL, 0},
    {0, ORG_B, STRANGER, ORG_C_IDENT " " ORG_A_IDENT, NATIONAL, NULL, 0},
    {0, ORG_B, STRANGER, COLLEAGUE_IDENT " " ME_IDENT " " ORG_C_IDENT, NATIONAL, NULL, 0},
    {0, ORG_A, ME, NULL, NATIONAL, NULL, 0},
};

struct row {
    enum role role;
    enum tlp_level level;
    int can[N_REL]; /* by relation, in enum relation order */
};

/* From tlp.h: CLEAR anyone; GREEN every member of an organisation that reads a
 * community the object is in (here: every reader's, the national community); AMBER
 * and AMBER+STRICT the creating organisation and the organisations or users it names
 * as recipients; RED only the submitting user and the users named as recipients.
 * From principal.h: the reporter reads as an analyst does (before issue 11 it read
 * no other organisation's GREEN: its row's "other" column was 0); no role widens
 * TLP. */
static const struct row table[] = {
    /*                                own other org-rcpt me-rcpt by-me */
    {ROLE_NONE, TLP_CLEAR,           {1,  1,    1,       1,      1}},
    {ROLE_NONE, TLP_GREEN,           {0,  0,    0,       0,      0}},
    {ROLE_NONE, TLP_AMBER,           {0,  0,    0,       0,      0}},
    {ROLE_NONE, TLP_AMBER_STRICT,    {0,  0,    0,       0,      0}},
    {ROLE_NONE, TLP_RED,             {0,  0,    0,       0,      0}},

    {ROLE_ADMIN, TLP_CLEAR,          {1,  1,    1,       1,      1}},
    {ROLE_ADMIN, TLP_GREEN,          {1,  1,    1,       1,      1}},
    {ROLE_ADMIN, TLP_AMBER,          {1,  0,    1,       1,      1}},
    {ROLE_ADMIN, TLP_AMBER_STRICT,   {1,  0,    1,       1,      1}},
    {ROLE_ADMIN, TLP_RED,            {0,  0,    0,       1,      1}},

    {ROLE_ANALYST, TLP_CLEAR,        {1,  1,    1,       1,      1}},
    {ROLE_ANALYST, TLP_GREEN,        {1,  1,    1,       1,      1}},
    {ROLE_ANALYST, TLP_AMBER,        {1,  0,    1,       1,      1}},
    {ROLE_ANALYST, TLP_AMBER_STRICT, {1,  0,    1,       1,      1}},
    {ROLE_ANALYST, TLP_RED,          {0,  0,    0,       1,      1}},

    {ROLE_REPORTER, TLP_CLEAR,       {1,  1,    1,       1,      1}},
    {ROLE_REPORTER, TLP_GREEN,       {1,  1,    1,       1,      1}},
    {ROLE_REPORTER, TLP_AMBER,       {1,  0,    1,       1,      1}},
    {ROLE_REPORTER, TLP_AMBER_STRICT,{1,  0,    1,       1,      1}},
    {ROLE_REPORTER, TLP_RED,         {0,  0,    0,       1,      1}},

    {ROLE_VIEWER, TLP_CLEAR,         {1,  1,    1,       1,      1}},
    {ROLE_VIEWER, TLP_GREEN,         {1,  1,    1,       1,      1}},
    {ROLE_VIEWER, TLP_AMBER,         {1,  0,    1,       1,      1}},
    {ROLE_VIEWER, TLP_AMBER_STRICT,  {1,  0,    1,       1,      1}},
    {ROLE_VIEWER, TLP_RED,           {0,  0,    0,       1,      1}},

    /* the node admin manages every organisation's accounts, yet reads no more */
    {ROLE_NODE_ADMIN, TLP_CLEAR,     {1,  1,    1,       1,      1}},
    {ROLE_NODE_ADMIN, TLP_GREEN,     {1,  1,    1,       1,      1}},
    {ROLE_NODE_ADMIN, TLP_AMBER,     {1,  0,    1,       1,      1}},
    {ROLE_NODE_ADMIN, TLP_AMBER_STRICT, {1, 0,  1,       1,      1}},
    {ROLE_NODE_ADMIN, TLP_RED,       {0,  0,    0,       1,      1}},
};

/* ME of ORG_A with role r; an unauthenticated reader is all zeroes. */
static void make_principal(enum role r, struct principal *p)
{
    memset(p, 0, sizeof *p);
    p->role = r;
    if (r == ROLE_NONE)
        return;
    p->org.id = ORG_A;
    snprintf(p->org.name, sizeof p->org.name, "al-cert");
    snprintf(p->org.identity, sizeof p->org.identity, "%s", ORG_A_IDENT);
    p->user.id = ME;
    p->user.org_id = ORG_A;
    snprintf(p->user.name, sizeof p->user.name, "me@al-cert");
    snprintf(p->user.role, sizeof p->user.role, "%s", role_name(r));
    snprintf(p->user.identity, sizeof p->user.identity, "%s", ME_IDENT);
    p->comm_read = p->comm_write = NATIONAL;
}

/* 1 if the space-separated audience lists ident (NULL idents match nothing). */
static int audience_names(const char *audience, const char *ident)
{
    size_t n;

    if (!audience || !ident || !*ident)
        return 0;
    n = strlen(ident);
    for (const char *p = audience; *p;) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, ident, n) == 0)
            return 1;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* The rule of struct store_vis (store/store.h), written out plainly: a row is
 * visible when its level's bit is set in all_mask, or in comm_lvl_mask and the row
 * is in a community of comm_mask, or in org_mask and the row's owner is org, or in user_mask and the row was submitted by user, or in
 * aud_org_mask / aud_user_mask and the row's audience names org_ident / user_ident. */
static int store_rule(const struct store_vis *v, const struct tlp_meta *m)
{
    uint32_t bit = 1u << m->tlp;

    return (v->all_mask & bit) != 0 || ((v->comm_lvl_mask & bit) != 0 && (m->comm & v->comm_mask) != 0) ||
           ((v->org_mask & bit) != 0 && m->owner_org == v->org) ||
           ((v->user_mask & bit) != 0 && m->submitter == v->user) ||
           ((v->aud_org_mask & bit) != 0 && audience_names(m->audience, v->org_ident)) ||
           ((v->aud_user_mask & bit) != 0 && audience_names(m->audience, v->user_ident));
}

static void row_name(const struct row *r, int rel, char *out, size_t n)
{
    snprintf(out, n, "%s reading %s %s", role_names_[r->role], tlp_label(r->level), rel_names[rel]);
}

static void test_can_read_table(void **state)
{
    (void)state;
    assert_int_equal(sizeof table / sizeof table[0], 6 * TLP_N_LEVELS);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct principal p;
        make_principal(table[i].role, &p);
        for (int rel = 0; rel < N_REL; rel++) {
            struct tlp_meta m = metas[rel];
            char name[160];
            m.tlp = (int)table[i].level;
            row_name(&table[i], rel, name, sizeof name);
            assert_case_int(name, tlp_can_read(&p, &m), table[i].can[rel]);
        }
    }
}

/* The store's prefilter (tlp_visibility's grants under the store.h rule) and the
 * final check agree on every row. */
static void test_visibility_agrees(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct principal p;
        struct store_vis v;
        make_principal(table[i].role, &p);
        tlp_visibility(&p, &v);
        for (int rel = 0; rel < N_REL; rel++) {
            struct tlp_meta m = metas[rel];
            char name[160];
            m.tlp = (int)table[i].level;
            row_name(&table[i], rel, name, sizeof name);
            assert_case_int(name, store_rule(&v, &m), table[i].can[rel]);
            assert_case_int(name, store_rule(&v, &m), tlp_can_read(&p, &m));
        }
    }
}

/* Grants carry only the reader's own ids, and none for an unauthenticated reader. */
static void test_visibility_identities(void **state)
{
    struct principal p;
    struct store_vis v;

    (void)state;
    make_principal(ROLE_NONE, &p);
    tlp_visibility(&p, &v);
    assert_int_equal(v.all_mask, 1u << TLP_CLEAR);
    assert_int_equal(v.org_mask | v.user_mask | v.aud_org_mask | v.aud_user_mask, 0);
    assert_true(v.org_ident == NULL || v.org_ident[0] == '\0');
    assert_true(v.user_ident == NULL || v.user_ident[0] == '\0');

    make_principal(ROLE_ANALYST, &p);
    tlp_visibility(&p, &v);
    assert_int_equal(v.org, ORG_A);
    assert_int_equal(v.user, ME);
    assert_string_equal(v.org_ident, ORG_A_IDENT);
    assert_string_equal(v.user_ident, ME_IDENT);
}

/* Recipients other than me or my organisation grant me nothing, an empty list
 * names nobody, RED is never granted through an organisation, and a reader whose
 * identities are empty is named by no list. */
static void test_audience_edge_cases(void **state)
{
    struct principal p;
    struct tlp_meta m = {TLP_AMBER, ORG_B, STRANGER, ORG_B_IDENT, NATIONAL, NULL, 0};

    (void)state;
    make_principal(ROLE_ANALYST, &p);
    assert_int_equal(tlp_can_read(&p, &m), 0);
    m.audience = "";
    assert_int_equal(tlp_can_read(&p, &m), 0);
    m.audience = ME_IDENT;
    assert_int_equal(tlp_can_read(&p, &m), 1);
    m.tlp = TLP_RED;
    assert_int_equal(tlp_can_read(&p, &m), 1);
    m.audience = ORG_A_IDENT;
    assert_int_equal(tlp_can_read(&p, &m), 0); /* RED goes to people, not organisations */

    p.user.identity[0] = '\0';
    p.org.identity[0] = '\0';
    m.tlp = TLP_AMBER;
    m.audience = ORG_A_IDENT " " ME_IDENT;
    assert_int_equal(tlp_can_read(&p, &m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_marking_id),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_names_and_markings_agree),
        cmocka_unit_test(test_standard_markings),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_can_read_table),
        cmocka_unit_test(test_visibility_agrees),
        cmocka_unit_test(test_visibility_identities),
        cmocka_unit_test(test_audience_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
