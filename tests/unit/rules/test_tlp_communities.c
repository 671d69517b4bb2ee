/* tests/unit/rules/test_tlp_communities.c - rules/tlp.c with communities (issue 11,
 * docs/federation.md section 7), as tables of data written from that section:
 *  - the member column: TLP:GREEN is read through a community the reader's
 *    organisation reads (comm & comm_read), whatever the role (the reporter's GREEN
 *    column of test_tlp.c changed), and by its owner, submitter and addressees;
 *    CLEAR by anyone; AMBER, AMBER+STRICT and RED never through a community, and
 *    AMBER (+STRICT) also by those it was passed on to (shared_to);
 *  - every member row checked against the store's prefilter (struct store_vis's rule
 *    in store.h, re-implemented here with its community grant and shared_to);
 *  - the peer column (ROLE_PEER): CLEAR; GREEN of the communities it reads and the
 *    node's directory; AMBER when its audience names one of the peer's organisations,
 *    AMBER+STRICT when it names only them (and some); never RED; identities in any
 *    case; and the peer's prefilter never narrower than its decision;
 *  - tlp_sighting_level, tlp_narrower and tlp_in_community with communities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "rules/principal.h"
#include "rules/tlp.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[512], w_[512];                                                   \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define NAT 1u  /* the national community's bit */
#define REG 2u  /* a regional community's */
#define BANKS 4u /* a third one */

#define ORG_A 1
#define ORG_B 2
#define ME 10
#define STRANGER 20
#define ORG_A_IDENT "identity--a0000000-0000-4000-8000-00000000000a"
#define ORG_B_IDENT "identity--b0000000-0000-4000-8000-00000000000b"
#define ORG_C_IDENT "identity--c0000000-0000-4000-8000-00000000000c"
#define ORG_D_IDENT "identity--d0000000-0000-4000-8000-00000000000d"
#define ME_IDENT "identity--a0000000-0000-4000-8000-000000000010"
#define ORG_C_UPPER "IDENTITY--C0000000-0000-4000-8000-00000000000C"

static const char *const role_names_[] = {"none", "admin", "analyst", "reporter", "viewer", "node-admin"};

/* ME of ORG_A with role r, reading communities read. */
static void member(enum role r, uint64_t read, struct principal *p)
{
    memset(p, 0, sizeof *p);
    p->role = r;
    if (r == ROLE_NONE)
        return;
    p->org.id = ORG_A;
    snprintf(p->org.identity, sizeof p->org.identity, "%s", ORG_A_IDENT);
    p->user.id = ME;
    p->user.org_id = ORG_A;
    snprintf(p->user.identity, sizeof p->user.identity, "%s", ME_IDENT);
    p->comm_read = read;
    p->comm_write = read;
}

/* ---- the member column ---- */

/* The relation of a version to the reader. */
enum relation {
    REL_OTHER,     /* another organisation's, addressed to nobody here */
    REL_OWN,       /* the reader's organisation's (a colleague's) */
    REL_BY_ME,     /* submitted by the reader */
    REL_NAMES_ORG, /* another's, naming the reader's organisation */
    REL_NAMES_ME,  /* another's, naming the reader */
    REL_PASSED_ON, /* another's, passed on to the reader's organisation (shared_to) */
    N_REL
};
static const char *const rel_names[N_REL] = {"other", "own", "by me", "naming my org", "naming me", "passed on to my org"};

static void meta_of(enum relation rel, int tlp, uint64_t comm, struct tlp_meta *m)
{
    memset(m, 0, sizeof *m);
    m->tlp = tlp;
    m->comm = comm;
    m->owner_org = rel == REL_OWN || rel == REL_BY_ME ? ORG_A : ORG_B;
    m->submitter = rel == REL_BY_ME ? ME : rel == REL_OWN ? 11 : STRANGER;
    if (rel == REL_NAMES_ORG)
        m->audience = ORG_C_IDENT " " ORG_A_IDENT;
    if (rel == REL_NAMES_ME)
        m->audience = ME_IDENT;
    if (rel == REL_PASSED_ON) {
        m->audience = ORG_C_IDENT;
        m->shared_to = ORG_D_IDENT " " ORG_A_IDENT;
    }
}

/* GREEN read by an analyst of another organisation's version (REL_OTHER): by the
 * version's communities (rows) and the reader's (columns: none, NAT, REG, NAT|REG). */
static const struct {
    uint64_t comm;
    int can[4];
} green_other[] = {
    /*                 none NAT REG both */
    {NAT,             {0,   1,  0,  1}},
    {REG,             {0,   0,  1,  1}},
    {NAT | REG,       {0,   1,  1,  1}},
    {BANKS,           {0,   0,  0,  0}},
    {0,               {0,   0,  0,  0}}, /* (no community: nobody through one) */
};
static const uint64_t reads[4] = {0, NAT, REG, NAT | REG};

static void test_green_by_community(void **state)
{
    static const enum role roles[] = {ROLE_ADMIN, ROLE_ANALYST, ROLE_REPORTER, ROLE_VIEWER, ROLE_NODE_ADMIN};

    (void)state;
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
        for (size_t i = 0; i < sizeof green_other / sizeof green_other[0]; i++)
            for (size_t c = 0; c < 4; c++) {
                struct principal p;
                struct tlp_meta m;
                char name[160];
                member(roles[r], reads[c], &p);
                meta_of(REL_OTHER, TLP_GREEN, green_other[i].comm, &m);
                snprintf(name, sizeof name, "%s reading comm %llu GREEN of another org, reads %llu", role_names_[roles[r]],
                         (unsigned long long)green_other[i].comm, (unsigned long long)reads[c]);
                assert_case_int(name, tlp_can_read(&p, &m), green_other[i].can[c]);
            }
}

/* Every level x relation, a version in REG and the reader in NAT only (so no
 * community of its reaches the version): what the owner, the submitter and the
 * addressees read without a community. Then the same with the reader in REG: only
 * GREEN of another organisation changes. */
static const struct {
    int tlp;
    int can[N_REL];     /* reader in NAT (not the version's community) */
    int can_reg[N_REL]; /* reader in REG (the version's community) */
} levels_table[] = {
    /*                   other own me  org  me-n pass    other own me org me-n pass */
    {TLP_CLEAR,        {1,    1,  1,   1,   1,   1},   {1,    1,  1,  1,  1,  1}},
    {TLP_GREEN,        {0,    1,  1,   1,   1,   1},   {1,    1,  1,  1,  1,  1}},
    {TLP_AMBER,        {0,    1,  1,   1,   1,   1},   {0,    1,  1,  1,  1,  1}},
    {TLP_AMBER_STRICT, {0,    1,  1,   1,   1,   1},   {0,    1,  1,  1,  1,  1}},
    {TLP_RED,          {0,    0,  1,   0,   1,   0},   {0,    0,  1,  0,  1,  0}},
};

static void test_levels_and_relations(void **state)
{
    static const enum role roles[] = {ROLE_ADMIN, ROLE_ANALYST, ROLE_REPORTER, ROLE_VIEWER, ROLE_NODE_ADMIN};

    (void)state;
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
        for (size_t i = 0; i < sizeof levels_table / sizeof levels_table[0]; i++)
            for (int rel = 0; rel < N_REL; rel++)
                for (int inreg = 0; inreg < 2; inreg++) {
                    struct principal p;
                    struct tlp_meta m;
                    char name[200];
                    member(roles[r], inreg ? REG : NAT, &p);
                    meta_of((enum relation)rel, levels_table[i].tlp, REG, &m);
                    snprintf(name, sizeof name, "%s (reads %s) reading %s in REG, %s", role_names_[roles[r]],
                             inreg ? "REG" : "NAT", tlp_label((enum tlp_level)levels_table[i].tlp), rel_names[rel]);
                    assert_case_int(name, tlp_can_read(&p, &m),
                                    inreg ? levels_table[i].can_reg[rel] : levels_table[i].can[rel]);
                }
}

/* Nobody (no key) reads CLEAR alone, whatever the communities. */
static void test_anonymous(void **state)
{
    struct principal p;
    struct tlp_meta m;

    (void)state;
    member(ROLE_NONE, 0, &p);
    p.comm_read = NAT | REG; /* as if a bug had set them: nobody is no member */
    for (int l = TLP_CLEAR; l <= TLP_RED; l++) {
        meta_of(REL_OTHER, l, NAT | REG, &m);
        assert_int_equal(tlp_can_read(&p, &m), l == TLP_CLEAR);
    }
}

/* ---- the store's prefilter: the rule of struct store_vis (store.h) ---- */

static int names_exact(const char *list, const char *ident)
{
    size_t n;

    if (!list || !ident || !*ident)
        return 0;
    n = strlen(ident);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, ident, n) == 0)
            return 1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

static int store_rule(const struct store_vis *v, const struct tlp_meta *m)
{
    uint32_t bit = 1u << m->tlp;

    return (v->all_mask & bit) != 0 || ((v->comm_lvl_mask & bit) != 0 && (m->comm & v->comm_mask) != 0) ||
           ((v->org_mask & bit) != 0 && m->owner_org == v->org) ||
           ((v->user_mask & bit) != 0 && m->submitter == v->user) ||
           ((v->aud_org_mask & bit) != 0 &&
            (names_exact(m->audience, v->org_ident) || names_exact(m->shared_to, v->org_ident))) ||
           ((v->aud_user_mask & bit) != 0 &&
            (names_exact(m->audience, v->user_ident) || names_exact(m->shared_to, v->user_ident)));
}

static void test_prefilter_agrees(void **state)
{
    static const enum role roles[] = {ROLE_NONE, ROLE_ADMIN, ROLE_ANALYST, ROLE_REPORTER, ROLE_VIEWER, ROLE_NODE_ADMIN};
    static const uint64_t comms[] = {0, NAT, REG, NAT | REG, BANKS};
    size_t n = 0;

    (void)state;
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
        for (size_t c = 0; c < 4; c++)
            for (int l = TLP_CLEAR; l <= TLP_RED; l++)
                for (size_t vc = 0; vc < sizeof comms / sizeof comms[0]; vc++)
                    for (int rel = 0; rel < N_REL; rel++) {
                        struct principal p;
                        struct store_vis v;
                        struct tlp_meta m;
                        char name[200];
                        member(roles[r], reads[c], &p);
                        tlp_visibility(&p, &v);
                        meta_of((enum relation)rel, l, comms[vc], &m);
                        snprintf(name, sizeof name, "%s reads %llu, %s in %llu, %s", role_names_[roles[r]],
                                 (unsigned long long)reads[c], tlp_label((enum tlp_level)l),
                                 (unsigned long long)comms[vc], rel_names[rel]);
                        assert_case_int(name, store_rule(&v, &m), tlp_can_read(&p, &m));
                        n += (size_t)tlp_can_read(&p, &m);
                    }
    assert_true(n > 100); /* the table is no table of zeroes */
}

/* ---- the peer column ---- */

static const char *const peer_orgs[] = {ORG_B_IDENT, ORG_C_IDENT}; /* sorted */
static const struct tlp_idents peer_idents = {peer_orgs, 2};

static void peer(uint64_t read, struct principal *p)
{
    memset(p, 0, sizeof *p);
    p->role = ROLE_PEER;
    p->peer = 3;
    p->comm_read = read;
    p->peer_idents = &peer_idents;
}

struct peer_case {
    const char *name;
    int tlp;
    uint64_t comm;
    const char *audience;
    const char *shared_to;
    int directory;
    int can; /* a peer hosting ORG_B and ORG_C, reading REG */
};

static const struct peer_case peer_cases[] = {
    {"CLEAR", TLP_CLEAR, NAT, NULL, NULL, 0, 1},
    {"CLEAR, no community", TLP_CLEAR, 0, NULL, NULL, 0, 1},
    {"GREEN of REG", TLP_GREEN, REG, NULL, NULL, 0, 1},
    {"GREEN of NAT and REG", TLP_GREEN, NAT | REG, NULL, NULL, 0, 1},
    {"GREEN of NAT", TLP_GREEN, NAT, NULL, NULL, 0, 0},
    {"GREEN of NAT naming its org", TLP_GREEN, NAT, ORG_B_IDENT, NULL, 0, 0},
    {"GREEN of NAT, the directory", TLP_GREEN, NAT, NULL, NULL, 1, 1},
    {"AMBER naming its org", TLP_AMBER, NAT, ORG_B_IDENT, NULL, 0, 1},
    {"AMBER naming its org among others", TLP_AMBER, NAT, ORG_A_IDENT " " ORG_C_IDENT " " ME_IDENT, NULL, 0, 1},
    {"AMBER naming its org in upper case", TLP_AMBER, NAT, ORG_C_UPPER, NULL, 0, 1},
    {"AMBER naming others", TLP_AMBER, NAT | REG, ORG_A_IDENT " " ORG_D_IDENT, NULL, 0, 0},
    {"AMBER naming a user", TLP_AMBER, NAT, ME_IDENT, NULL, 0, 0},
    {"AMBER, empty audience", TLP_AMBER, REG, "", NULL, 0, 0},
    {"AMBER, no audience", TLP_AMBER, REG, NULL, NULL, 0, 0},
    {"AMBER passed on to its org", TLP_AMBER, NAT, ORG_A_IDENT, ORG_B_IDENT, 0, 1},
    {"AMBER, a prefix of its org", TLP_AMBER, NAT, "identity--b0000000-0000-4000-8000-00000000000", NULL, 0, 0},
    {"AMBER, its org and more", TLP_AMBER, NAT, ORG_B_IDENT "0", NULL, 0, 0},
    {"AMBER+STRICT naming its orgs only", TLP_AMBER_STRICT, NAT, ORG_B_IDENT " " ORG_C_IDENT, NULL, 0, 1},
    {"AMBER+STRICT naming one of its orgs", TLP_AMBER_STRICT, NAT, ORG_C_IDENT, NULL, 0, 1},
    {"AMBER+STRICT naming its orgs, upper case", TLP_AMBER_STRICT, NAT, ORG_C_UPPER " " ORG_B_IDENT, NULL, 0, 1},
    {"AMBER+STRICT naming its org and another", TLP_AMBER_STRICT, NAT, ORG_B_IDENT " " ORG_A_IDENT, NULL, 0, 0},
    {"AMBER+STRICT naming its org and a user", TLP_AMBER_STRICT, NAT, ORG_B_IDENT " " ME_IDENT, NULL, 0, 0},
    {"AMBER+STRICT passed on to another", TLP_AMBER_STRICT, NAT, ORG_B_IDENT, ORG_A_IDENT, 0, 0},
    {"AMBER+STRICT, empty audience", TLP_AMBER_STRICT, REG, "", NULL, 0, 0},
    {"AMBER+STRICT, no audience (unmarked)", TLP_AMBER_STRICT, REG, NULL, NULL, 0, 0},
    {"AMBER+STRICT, spaces only", TLP_AMBER_STRICT, REG, "   ", NULL, 0, 0},
    {"RED naming its org", TLP_RED, REG, ORG_B_IDENT, NULL, 0, 0},
    {"RED, the directory", TLP_RED, REG, NULL, NULL, 1, 0},
};

static void test_peer_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof peer_cases / sizeof peer_cases[0]; i++) {
        const struct peer_case *c = &peer_cases[i];
        struct tlp_meta m = {c->tlp, ORG_A, ME, c->audience, c->comm, c->shared_to, c->directory};
        struct principal p;
        struct store_vis v;
        peer(REG, &p);
        assert_case_int(c->name, tlp_can_read(&p, &m), c->can);
        /* the prefilter lets through at least what the peer may read */
        tlp_visibility(&p, &v);
        if (c->can)
            assert_case_int(c->name, store_rule(&v, &m), 1);
    }
}

/* A peer that hosts nobody reads AMBER of nobody, and one reading no community reads
 * CLEAR and the directory only. */
static void test_peer_without_bindings(void **state)
{
    static const struct tlp_idents none = {NULL, 0};
    struct principal p;
    struct tlp_meta m;

    (void)state;
    peer(0, &p);
    p.peer_idents = &none;
    meta_of(REL_OTHER, TLP_AMBER, NAT, &m);
    m.audience = ORG_B_IDENT;
    assert_int_equal(tlp_can_read(&p, &m), 0);
    p.peer_idents = NULL;
    assert_int_equal(tlp_can_read(&p, &m), 0);
    m.tlp = TLP_AMBER_STRICT;
    assert_int_equal(tlp_can_read(&p, &m), 0);
    m.tlp = TLP_GREEN;
    assert_int_equal(tlp_can_read(&p, &m), 0);
    m.directory = 1;
    assert_int_equal(tlp_can_read(&p, &m), 1);
    m.tlp = TLP_CLEAR;
    m.directory = 0;
    assert_int_equal(tlp_can_read(&p, &m), 1);
    /* a peer is no member: its organisation and user fields grant nothing */
    p.org.id = ORG_B;
    m.tlp = TLP_AMBER;
    m.owner_org = ORG_B;
    m.audience = NULL;
    assert_int_equal(tlp_can_read(&p, &m), 0);
}

/* ---- sightings, narrowing, campaigns ---- */

static void test_sighting_level(void **state)
{
    struct principal p;
    struct tlp_meta m;

    (void)state;
    member(ROLE_REPORTER, NAT, &p);
    /* GREEN every member of its organisation reads: through a community it reads */
    meta_of(REL_OTHER, TLP_GREEN, NAT, &m);
    assert_int_equal(tlp_sighting_level(&m, &p), TLP_AMBER);
    meta_of(REL_OTHER, TLP_GREEN, REG, &m);
    assert_int_equal(tlp_sighting_level(&m, &p), TLP_RED);
    /* AMBER passed on to its organisation: the organisation reads it */
    meta_of(REL_PASSED_ON, TLP_AMBER, REG, &m);
    assert_int_equal(tlp_sighting_level(&m, &p), TLP_AMBER);
    /* AMBER is never the organisation's through a community */
    meta_of(REL_OTHER, TLP_AMBER, NAT, &m);
    assert_int_equal(tlp_sighting_level(&m, &p), TLP_RED);
    meta_of(REL_NAMES_ME, TLP_GREEN, REG, &m);
    assert_int_equal(tlp_sighting_level(&m, &p), TLP_RED);
}

static void test_narrower(void **state)
{
    struct tlp_meta a, b;

    (void)state;
    /* GREEN moved from NAT to REG: a NAT reader loses it */
    meta_of(REL_OTHER, TLP_GREEN, NAT, &a);
    meta_of(REL_OTHER, TLP_GREEN, REG, &b);
    assert_int_equal(tlp_narrower(&a, &b), 1);
    /* into both: nobody loses it */
    b.comm = NAT | REG;
    assert_int_equal(tlp_narrower(&a, &b), 0);
    /* from both to one */
    assert_int_equal(tlp_narrower(&b, &a), 1);
    /* the same communities */
    b.comm = NAT;
    assert_int_equal(tlp_narrower(&a, &b), 0);
    /* AMBER passed on, then a version without the pass-on: its client loses it */
    meta_of(REL_PASSED_ON, TLP_AMBER, NAT, &a);
    meta_of(REL_PASSED_ON, TLP_AMBER, NAT, &b);
    b.shared_to = NULL;
    assert_int_equal(tlp_narrower(&a, &b), 1);
    assert_int_equal(tlp_narrower(&b, &a), 0);
    /* communities change nothing for AMBER */
    b.shared_to = a.shared_to;
    b.comm = REG;
    assert_int_equal(tlp_narrower(&a, &b), 0);
}

static void test_in_community(void **state)
{
    static const struct {
        int tlp;
        uint64_t comm, k;
        int in;
    } cases[] = {
        {TLP_CLEAR, NAT, NAT, 1},  {TLP_GREEN, NAT | REG, REG, 1}, {TLP_GREEN, NAT, REG, 0},
        {TLP_CLEAR, REG, NAT, 0},  {TLP_AMBER, NAT, NAT, 0},       {TLP_RED, NAT | REG, REG, 0},
        {TLP_GREEN, 0, NAT, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tlp_meta m;
        char name[64];
        meta_of(REL_OTHER, cases[i].tlp, cases[i].comm, &m);
        snprintf(name, sizeof name, "case %zu", i);
        assert_case_int(name, tlp_in_community(&m, cases[i].k), cases[i].in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_green_by_community),
        cmocka_unit_test(test_levels_and_relations),
        cmocka_unit_test(test_anonymous),
        cmocka_unit_test(test_prefilter_agrees),
        cmocka_unit_test(test_peer_column),
        cmocka_unit_test(test_peer_without_bindings),
        cmocka_unit_test(test_sighting_level),
        cmocka_unit_test(test_narrower),
        cmocka_unit_test(test_in_community),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
