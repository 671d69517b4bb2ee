/* tests/integ/test_model_matrix.c - the test matrix of the object model (docs/model.md,
 * section 5 and Appendix C): TLP x id kind x version history x role, on every path a
 * node offers today (the write reply; get, get ?version=all, list, list ?version=all,
 * small pages, the type, tlp and created_by filters, count, count ?version=all, export
 * over HTTP and `mreza export --as ORG`, correlation, match), against a real
 * `mreza serve`.
 *
 * The expected answers are not written by hand: a table of scenarios says who posted,
 * re-posted or withdrew which versions of one id, in which order, under which marking
 * and naming which creator, and an oracle computes from the model's rules what every
 * write must answer and what every reader must be served - route() is R1 (where a post
 * goes, and its reply), served() is R2 and R3 (which object, which version), units() is
 * R4's per-object view for correlation and match - and every path is held to that one
 * answer. tlp_readable() is the TLP table of docs/api.md, written here again from the
 * table, not taken from rules/tlp.c; may_read() adds withdrawals (R7).
 *
 * The oracle checks itself too (test_oracle_*, no server needed): every reply must be
 * the reply of a world where the versions hidden from the poster do not exist (R5), and
 * what a reader is served the same in a world without the versions it was never
 * entitled to, and in a world without the versions hidden from a poster whose versions
 * it may read (the colleague's colluder), except in the three read-back cases that R2
 * accepts, which must occur exactly in the scenarios written for them.
 *
 * The scenarios marked `pending` are those the model changed from the code before it
 * (one object, the newest version served, no 409, skip, inheritance or withdrawal
 * were that code's answers); the pending_* tests hold each of them to every path.
 * All of them pass and are registered now. A test of a rule not built yet is written
 * as a pending_* test that FAILS on today's code and left out of the registered list
 * (a skipped test fails the run): it runs, in a group of its own, with
 * MREZA_MODEL_PENDING=1, and moves into the registered list once it passes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- the axes ---- */

enum level {
    L_CLEAR,
    L_GREEN,
    L_AMBER,
    L_ASTRICT,
    L_RED,
    L_NONE /* no marking: inherits (R3.3), or AMBER+STRICT of the owner, defaulted */
};

static const char *const marking_ids[L_NONE] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};

static const char *const tlp_labels[L_NONE] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"};
static const char *const tlp_names[L_NONE] = {"clear", "green", "amber", "amber+strict", "red"};


/* Organisations: two national CSIRTs and an operator of essential services. */
enum { ORG_A, ORG_B, ORG_C, N_ORGS };
static const char *const org_names[N_ORGS] = {"al-cert", "me-cirt", "me-bank"};
static const char *const org_countries[N_ORGS] = {"AL", "ME", "ME"};
static const char *const org_kinds[N_ORGS] = {"national-csirt", "national-csirt", "operator"};

/* Users: every role, a colleague of the submitter, a second person of B, a reporter;
 * the node admin (of A) also polls the index's figures, which only it may see. */
enum { U_ADMIN_A, U_ANALYST_A, U_ANALYST2_A, U_VIEWER_A, U_ANALYST_B, U_ANALYST2_B, U_REPORTER_C, U_NODE_ADMIN_A,
       N_USERS };
static const struct {
    const char *name;
    int org;
    const char *role;
} users[N_USERS] = {
    {"admin@al-cert", ORG_A, "admin"},       {"analyst@al-cert", ORG_A, "analyst"},
    {"analyst2@al-cert", ORG_A, "analyst"},  {"viewer@al-cert", ORG_A, "viewer"},
    {"analyst@me-cirt", ORG_B, "analyst"},   {"analyst2@me-cirt", ORG_B, "analyst"},
    {"reporter@me-bank", ORG_C, "reporter"}, {"node-admin@al-cert", ORG_A, "node-admin"},
};

/* Readers: nobody (public reads on), each user, and each organisation as a whole
 * (`mreza export --as ORG`: an analyst who is no particular person; an operator is
 * read as its reporters read). */
enum { K_ANON, K_USER, K_ORG };
struct reader {
    const char *name;
    int kind;
    int user; /* U_*, or -1 */
    int org;  /* ORG_*, or -1 */
    int reporter;
};
#define N_READERS (1 + N_USERS + N_ORGS)
static struct reader readers[N_READERS];

/* Audiences named in x_mreza_recipient_refs. */
enum { RCP_NONE, RCP_ORG_B, RCP_USER_B, RCP_ORG_C };

/* The identity of a third party (MITRE's), for content no member authored. */
static const char third_ident[] = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";

/* Source rank by kind (docs/model.md R2.5): national CSIRTs before operators. */
static int rank_of(int org)
{
    return !strcmp(org_kinds[org], "national-csirt") ? 1 : 3;
}

/* ---- scenarios: the steps taken on one id ---- */

/* The id's kind (Terms): a v4 id (claimed when its first object names its owner as
 * creator, open otherwise), a name-based id (UUIDv5, open), or an SCO (open, id
 * derived from the value). */
enum { IK_V4, IK_V5, IK_SCO };

/* The creator a version names (created_by_ref): none, the poster's own organisation,
 * al-cert whoever posts it, a third party; or none, posted with author=self (R9: the
 * poster's organisation attests it all the same). */
enum { CR_NONE, CR_OWN, CR_ORG_A, CR_THIRD, CR_SELF };

/* What a post asks besides its body: narrow_revocation=true (R3.4), and the
 * communities it is shared into (issue 11): the national one unless said, the
 * regional one (al-cert and me-cirt are its read+write members, me-bank is not), or
 * both. */
enum { O_NARROW = 1, O_REGIONAL = 2, O_BOTH = 4 };

/* The communities a version is shared into, as bits (docs/federation.md section 2). */
enum { CM_NAT = 1, CM_REG = 2 };

static int comm_of_opts(int opts)
{
    return opts & O_REGIONAL ? CM_REG : opts & O_BOTH ? CM_NAT | CM_REG : CM_NAT;
}

/* The communities an organisation reads: every one the national one, the CSIRTs the
 * regional one too. */
static int comm_read_of(int org)
{
    return org < 0 ? 0 : org == ORG_C ? CM_NAT : CM_NAT | CM_REG;
}

enum { ST_POST, ST_COPY, ST_WITHDRAW, ST_SHARE };

struct step {
    int kind;    /* ST_* */
    int user;    /* U_*: who posts, re-posts or withdraws */
    int level;   /* enum level */
    int rcp;     /* RCP_* audience; ST_WITHDRAW: who keeps it besides the owner;
                  * ST_SHARE: the community shared into (CM_*) */
    int day;     /* modified = 2025-01-<day>; versions may be posted out of order */
    int revoked;
    int creator; /* CR_* */
    int of;      /* ST_COPY: the step whose body is posted again, byte for byte;
                  * ST_WITHDRAW: the version withdrawn, or -1 for "all";
                  * ST_SHARE: the version shared (docs/model.md R11.3) */
    int opts;    /* O_* */
};

#define POST(u, l, r, d, rev, cr) {ST_POST, u, l, r, d, rev, cr, -1, 0}
#define POSTO(u, l, r, d, rev, cr, o) {ST_POST, u, l, r, d, rev, cr, -1, o}
#define COPY(u, j) {ST_COPY, u, 0, RCP_NONE, 0, 0, CR_NONE, j, 0}
#define WITHDRAW(u, j, to) {ST_WITHDRAW, u, 0, to, 0, 0, CR_NONE, j, 0}
#define SHARE(u, j, cm) {ST_SHARE, u, 0, cm, 0, 0, CR_NONE, j, 0}

/* Read-back cases docs/model.md R2 accepts, which a scenario may be written to show:
 * a claim the reader may not read hides later objects (R2.3), a post colliding with
 * a hidden `modified` stays personal (R1.2), and the first copy of an open id that
 * the reader may not read leaves the later copies to source rank (R2.2: without the
 * first, the earliest of them would be the first). */
enum { EX_CLAIM = 1, EX_COLLISION = 2, EX_FIRST = 4 };

#define MAX_STEPS 6
struct scen {
    const char *name;
    int pending; /* 1: the model changed the answer of the code before it; its pending_*
                  * test posts it and holds it to every path */
    int idkind;  /* IK_* */
    int sco;     /* IK_SCO: 1 + index into sco_ids */
    int expect;  /* EX_* this scenario exists to show */
    int n;
    struct step s[MAX_STEPS]; /* in the order taken */
};

/* SCO ids are UUIDv5 of the ID-contributing properties (STIX 2.1 2.9):
 * uuid5(00abedb4-aa42-466c-9c01-fed23315a9b7, '{"value":"<value>"}'), computed with
 * Python's uuid module, so that they hold once R8 checks them. */
static const struct {
    const char *value;
    const char *id;
} sco_ids[] = {
    {"sco1.model.example", "domain-name--6cc74c70-eba4-5f59-9328-9da696181e83"},
    {"sco2.model.example", "domain-name--e2118cd8-0e77-5f63-9ac5-dc6aafe195cf"},
    {"sco3.model.example", "domain-name--caa29c55-6f03-5f9d-852f-710b073e66e5"},
    {"sco4.model.example", "domain-name--7d296970-8311-58b3-9c91-1bb87d891251"},
    {"sco5.model.example", "domain-name--9ab9082e-e0dc-5922-9115-05c1a788866d"},
    {"sco6.model.example", "domain-name--8a1291cf-0676-57d7-9bf2-9803e0bc6928"},
};

#define A U_ANALYST_A
#define A2 U_ANALYST2_A
#define B U_ANALYST_B
#define C U_REPORTER_C
static const struct scen scens[] = {
    /* one version, by A's analyst unless said: the marking axis */
    {"clear", 0, IK_V4, 0, 0, 1, {POST(A, L_CLEAR, RCP_NONE, 1, 0, CR_NONE)}},
    {"green", 0, IK_V4, 0, 0, 1, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    {"amber", 0, IK_V4, 0, 0, 1, {POST(A, L_AMBER, RCP_NONE, 1, 0, CR_NONE)}},
    {"amber+strict", 0, IK_V4, 0, 0, 1, {POST(A, L_ASTRICT, RCP_NONE, 1, 0, CR_NONE)}},
    {"red", 0, IK_V4, 0, 0, 1, {POST(A, L_RED, RCP_NONE, 1, 0, CR_NONE)}},
    {"unmarked", 0, IK_V4, 0, 0, 1, {POST(A, L_NONE, RCP_NONE, 1, 0, CR_NONE)}},
    {"amber to B", 0, IK_V4, 0, 0, 1, {POST(A, L_AMBER, RCP_ORG_B, 1, 0, CR_NONE)}},
    {"red to analyst@B", 0, IK_V4, 0, 0, 1, {POST(A, L_RED, RCP_USER_B, 1, 0, CR_NONE)}},
    {"amber+strict to C", 0, IK_V4, 0, 0, 1, {POST(A, L_ASTRICT, RCP_ORG_C, 1, 0, CR_NONE)}},
    {"red by the colleague", 0, IK_V4, 0, 0, 1, {POST(A2, L_RED, RCP_NONE, 1, 0, CR_NONE)}},
    {"C's amber", 0, IK_V4, 0, 0, 1, {POST(C, L_AMBER, RCP_NONE, 1, 0, CR_NONE)}},
    {"C's green", 0, IK_V4, 0, 0, 1, {POST(C, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    /* the community axis (issue 11): GREEN in the regional community (me-bank reads
     * none of it) or in both; a community never widens AMBER; GREEN moved from the
     * national community to the regional one narrows it for me-bank, which keeps
     * being served the version it read */
    {"green in regional", 0, IK_V4, 0, 0, 1, {POSTO(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE, O_REGIONAL)}},
    {"green in both communities", 0, IK_V4, 0, 0, 1, {POSTO(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE, O_BOTH)}},
    {"amber in regional", 0, IK_V4, 0, 0, 1, {POSTO(A, L_AMBER, RCP_NONE, 1, 0, CR_NONE, O_REGIONAL)}},
    {"green in regional to C", 0, IK_V4, 0, 0, 1, {POSTO(A, L_GREEN, RCP_ORG_C, 1, 0, CR_NONE, O_REGIONAL)}},
    {"green moved from national to regional", 0, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POSTO(A, L_GREEN, RCP_NONE, 3, 0, CR_NONE, O_REGIONAL)}},
    /* re-sharing (R11.3): A's regional GREEN lifted into the national community reaches
     * me-bank; a version moved away and shared back; the reporter may not share
     * another organisation's version, nor its own into a community it does not write
     * to; AMBER is shared into no community; what a sharer may not read is unknown to
     * it */
    {"green in regional shared into national", 0, IK_V4, 0, 0, 2,
     {POSTO(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE, O_REGIONAL), SHARE(B, 0, CM_NAT)}},
    {"green moved to regional, then shared back", 0, IK_V4, 0, 0, 3,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POSTO(A, L_GREEN, RCP_NONE, 3, 0, CR_NONE, O_REGIONAL),
      SHARE(A, 1, CM_NAT)}},
    {"shares refused", 0, IK_V4, 0, 0, 5,
     {POST(C, L_GREEN, RCP_NONE, 1, 0, CR_NONE), POSTO(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE, O_REGIONAL),
      SHARE(C, 0, CM_REG), SHARE(C, 1, CM_NAT), SHARE(A, 0, CM_REG)}},
    {"amber shared into a community", 0, IK_V4, 0, 0, 2,
     {POST(A, L_AMBER, RCP_NONE, 1, 0, CR_NONE), SHARE(A, 0, CM_REG)}},
    /* the id-kind axis, one owner: claimed or open makes no difference yet */
    {"green, attested", 0, IK_V4, 0, 0, 1, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_OWN)}},
    {"amber, attested, updated", 0, IK_V4, 0, 0, 2,
     {POST(A, L_AMBER, RCP_NONE, 2, 0, CR_OWN), POST(A, L_AMBER, RCP_NONE, 3, 0, CR_OWN)}},
    {"green, third-party creator", 0, IK_V4, 0, 0, 1, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_THIRD)}},
    {"C's amber, attested", 0, IK_V4, 0, 0, 1, {POST(C, L_AMBER, RCP_NONE, 1, 0, CR_OWN)}},
    {"green, name-based id", 0, IK_V5, 0, 0, 1, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    {"red to analyst@B, name-based id, own creator", 0, IK_V5, 0, 0, 1, {POST(A, L_RED, RCP_USER_B, 1, 0, CR_OWN)}},
    {"green SCO", 0, IK_SCO, 1, 0, 1, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    {"amber SCO to B", 0, IK_SCO, 2, 0, 1, {POST(A, L_AMBER, RCP_ORG_B, 1, 0, CR_NONE)}},
    {"clear SCO by C, posted twice", 0, IK_SCO, 3, 0, 2, {POST(C, L_CLEAR, RCP_NONE, 1, 0, CR_NONE), COPY(C, 0)}},
    /* version histories that today's code already serves as the model does */
    {"widening red -> green", 0, IK_V4, 0, 0, 2,
     {POST(A, L_RED, RCP_NONE, 2, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    {"widening amber to B -> clear", 0, IK_V4, 0, 0, 2,
     {POST(A, L_AMBER, RCP_ORG_B, 2, 0, CR_NONE), POST(A, L_CLEAR, RCP_NONE, 3, 0, CR_NONE)}},
    {"green updated", 0, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    {"green revoked", 0, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 3, 1, CR_NONE)}},
    {"out of order", 0, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 4, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE)}},
    {"updated by a colleague who reads it", 0, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A2, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    {"re-posted unchanged by a colleague", 0, IK_V4, 0, 0, 2, {POST(A, L_AMBER, RCP_NONE, 2, 0, CR_OWN), COPY(A2, 0)}},
    {"C widens its own", 0, IK_V4, 0, 0, 2,
     {POST(C, L_AMBER, RCP_NONE, 2, 0, CR_NONE), POST(C, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    {"three versions, the middle one narrower than the last", 0, IK_V4, 0, 0, 3,
     {POST(A, L_AMBER, RCP_NONE, 2, 0, CR_NONE), POST(A, L_RED, RCP_NONE, 3, 0, CR_NONE),
      POST(A, L_GREEN, RCP_NONE, 4, 0, CR_NONE)}},
    {"six versions, widening step by step", 0, IK_V4, 0, 0, 6,
     {POST(A, L_RED, RCP_NONE, 2, 0, CR_OWN), POST(A, L_RED, RCP_USER_B, 3, 0, CR_OWN),
      POST(A, L_ASTRICT, RCP_NONE, 4, 0, CR_OWN), POST(A, L_AMBER, RCP_ORG_C, 5, 0, CR_OWN),
      POST(A, L_GREEN, RCP_NONE, 6, 0, CR_OWN), POST(A, L_CLEAR, RCP_NONE, 7, 0, CR_OWN)}},

    /* the cases the model changes (docs/model.md, section 6) */
    {"narrowing green -> red", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_RED, RCP_NONE, 3, 0, CR_NONE)}},
    {"takeover by another CSIRT", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(B, L_GREEN, RCP_NONE, 5, 1, CR_NONE)}},
    {"takeover by a reporter who cannot read it", 1, IK_V4, 0, 0, 2,
     {POSTO(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE, O_REGIONAL), POST(C, L_CLEAR, RCP_NONE, 5, 1, CR_NONE)}},
    {"a colleague's version of a red it cannot read", 1, IK_V4, 0, 0, 2,
     {POST(A, L_RED, RCP_NONE, 2, 0, CR_NONE), POST(A2, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    {"takeover by another CSIRT, attested", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_OWN), POST(B, L_GREEN, RCP_NONE, 5, 1, CR_OWN)}},
    {"takeover by a reporter, attested", 1, IK_V4, 0, EX_CLAIM, 2,
     {POSTO(A, L_GREEN, RCP_NONE, 2, 0, CR_OWN, O_REGIONAL), POST(C, L_CLEAR, RCP_NONE, 5, 1, CR_OWN)}},
    {"takeover on a name-based id", 1, IK_V5, 0, 0, 2,
     {POSTO(A, L_GREEN, RCP_NONE, 2, 0, CR_OWN, O_REGIONAL), POST(C, L_CLEAR, RCP_NONE, 5, 1, CR_OWN)}},
    {"a colleague's version of a red it cannot read, attested", 1, IK_V4, 0, EX_CLAIM, 2,
     {POST(A, L_RED, RCP_NONE, 2, 0, CR_OWN), POST(A2, L_GREEN, RCP_NONE, 3, 0, CR_OWN)}},
    /* finding 1: Alice GREEN, then RED to analyst@B; Carol re-posts v1 (duplicate),
     * posts v1's `modified` with other content (409), then a newer GREEN that joins */
    {"colleague after a narrowing", 1, IK_V4, 0, 0, 5,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_RED, RCP_USER_B, 3, 0, CR_NONE), COPY(A2, 0),
      POST(A2, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A2, L_GREEN, RCP_NONE, 4, 0, CR_NONE)}},
    /* R1.2: Carol posts the `modified` of the RED version she cannot read */
    {"colleague collides with a hidden version", 1, IK_V4, 0, EX_COLLISION, 3,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_RED, RCP_USER_B, 3, 0, CR_NONE),
      POST(A2, L_GREEN, RCP_NONE, 3, 0, CR_NONE)}},
    /* finding 2: copies of an open id - the operator's, first, before the CSIRT's,
     * ranked higher but later (R2.2: rank orders the later copies only) */
    {"copies of an open id, the first before a higher-ranked later one", 1, IK_V5, 0, 0, 2,
     {POST(C, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(B, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    /* R2.2: whoever may not read the first copy (al-cert's RED) is served the later
     * copies in rank order - me-cirt's before the operator's earlier one */
    {"later copies of an open id, ranked", 1, IK_V5, 0, EX_FIRST, 3,
     {POST(A, L_RED, RCP_NONE, 2, 0, CR_NONE), POST(C, L_GREEN, RCP_NONE, 3, 0, CR_NONE),
      POST(B, L_GREEN, RCP_NONE, 1, 0, CR_NONE)}},
    {"an SCO held by two organisations", 1, IK_SCO, 4, 0, 2, {POST(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE), COPY(B, 0)}},
    /* findings 5 and 8: B round-trips al-cert's object, unchanged, then edited */
    {"round-trip of another member's object", 1, IK_V4, 0, 0, 3,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_OWN), COPY(B, 0), POST(B, L_GREEN, RCP_NONE, 3, 0, CR_ORG_A)}},
    /* finding 22: a revoked version arriving after a newer one wins; nothing follows it */
    {"revoked version arriving late", 1, IK_V4, 0, 0, 4,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 4, 0, CR_NONE),
      POST(A, L_GREEN, RCP_NONE, 3, 1, CR_NONE), POST(A, L_GREEN, RCP_NONE, 5, 0, CR_NONE)}},
    /* finding 9 */
    {"unmarked update inherits", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_NONE, RCP_NONE, 3, 0, CR_NONE)}},
    {"narrow revocation refused", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_RED, RCP_NONE, 3, 1, CR_NONE)}},
    /* R7: withdrawn to one named user; the others fall back to v1 and see the tombstone */
    {"withdrawn but to analyst@B", 1, IK_V4, 0, 0, 3,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POST(A, L_GREEN, RCP_NONE, 3, 0, CR_NONE),
      WITHDRAW(A, 1, RCP_USER_B)}},
    /* R2.4: B's readers were entitled to al-cert's copy: no fall-through to C's */
    {"withdrawal of an open id does not fall through", 1, IK_V4, 0, 0, 3,
     {POSTO(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE, O_REGIONAL), POST(C, L_CLEAR, RCP_NONE, 3, 0, CR_NONE),
      WITHDRAW(A, -1, RCP_NONE)}},
    {"withdrawal of an SCO falls through", 1, IK_SCO, 5, 0, 3,
     {POSTO(A, L_GREEN, RCP_NONE, 1, 0, CR_NONE, O_REGIONAL), POST(C, L_CLEAR, RCP_NONE, 1, 0, CR_NONE),
      WITHDRAW(A, -1, RCP_NONE)}},
    /* R9: posted with author=self and no creator, the operator's object claims the id:
     * the CSIRT's copy, ranked before it, is a later object served to the CSIRT alone
     * (without author=self the id is open, and the CSIRT's copy is everyone's) */
    {"claimed by author=self", 1, IK_V4, 0, 0, 2,
     {POST(C, L_CLEAR, RCP_NONE, 2, 0, CR_SELF), POST(B, L_CLEAR, RCP_NONE, 3, 0, CR_NONE)}},
    /* R3.4: a narrow revocation asked for (narrow_revocation=true) is stored; GREEN
     * readers keep v1, the submitter is served the revocation */
    {"narrow revocation asked for", 1, IK_V4, 0, 0, 2,
     {POST(A, L_GREEN, RCP_NONE, 2, 0, CR_NONE), POSTO(A, L_RED, RCP_NONE, 3, 1, CR_NONE, O_NARROW)}},
};
#undef A
#undef A2
#undef B
#undef C

#define N_SCENS ((int)(sizeof scens / sizeof scens[0]))

/* ---- the oracle: the model's rules ---- */

/* A version is a post or a copy step; a copy carries the body (and so the marking,
 * audience, `modified`, `revoked` and creator) of the step it copies. */
static int base_of(int si, int i)
{
    while (scens[si].s[i].kind == ST_COPY)
        i = scens[si].s[i].of;
    return i;
}

static const struct step *body_of(int si, int i)
{
    return &scens[si].s[base_of(si, i)];
}

static int is_version(int si, int i)
{
    return scens[si].s[i].kind == ST_POST || scens[si].s[i].kind == ST_COPY;
}

/* The organisation a version names as creator: an ORG_*, -1 for none, -2 for a third
 * party. */
static int creator_org(int si, int i)
{
    const struct step *b = body_of(si, i);

    switch (b->creator) {
    case CR_OWN:
        return users[b->user].org;
    case CR_ORG_A:
        return ORG_A;
    case CR_THIRD:
        return -2;
    default:
        return -1;
    }
}

/* Newer-than order of versions: `modified`, then arrival; an SCO's by arrival. */
static int vorder(int si, int i)
{
    return scens[si].idkind == IK_SCO ? i : body_of(si, i)->day * 16 + i;
}

static int same_version_key(int si, int i, int j)
{
    return scens[si].idkind == IK_SCO ? base_of(si, i) == base_of(si, j) : body_of(si, i)->day == body_of(si, j)->day;
}

/* An object: the versions of one id held by one owner (an organisation, or one of its
 * users for a personal object). */
struct oobj {
    int owner_org;
    int owner_user; /* -1: the organisation's object */
    int n;
    int v[MAX_STEPS]; /* step indices */
};

enum { R_NONE, R_NEW, R_DUP, R_409, R_SKIP, R_OK, R_400, R_404, R_403 };
static const char *const reply_names[] = {"none", "new", "duplicate", "409", "skipped", "200", "400", "404", "403"};
enum { W_NARROW = 1, W_OWN_COPY = 2 };

/* The node's state for one scenario, in one world: the steps taken so far, with the
 * versions outside `exists` never posted. */
struct world {
    int si;
    unsigned exists;          /* bit per step: versions of this world */
    const struct world *fixed; /* reader worlds: markings as the whole history made them */
    int n_obj;
    struct oobj o[MAX_STEPS];
    int claim;                /* the claim, or -1: the id is open */
    int obj_of[MAX_STEPS];    /* the object holding each stored version, or -1 */
    int level[MAX_STEPS];     /* effective marking (L_NONE resolved) */
    int rcp[MAX_STEPS];       /* effective audience */
    int comm[MAX_STEPS];      /* its communities (CM_*) */
    int inherited[MAX_STEPS]; /* 1 inherited (R3.3), 2 defaulted, 0 marked */
    int withdrawn[MAX_STEPS];
    int keep[MAX_STEPS];      /* RCP_*: who keeps a withdrawn version besides its owner */
    int reply[MAX_STEPS];
    int warn[MAX_STEPS];
    int collision;            /* a post went personal on a hidden `modified` (R1.2) */
};

static struct reader user_reader(int u)
{
    struct reader r = {users[u].name, K_USER, u, users[u].org, !strcmp(users[u].role, "reporter")};
    return r;
}

static int names_reader(const struct reader *r, int rcp)
{
    return (rcp == RCP_ORG_B && r->org == ORG_B) || (rcp == RCP_ORG_C && r->org == ORG_C) ||
           (rcp == RCP_USER_B && r->kind == K_USER && r->user == U_ANALYST_B);
}

/* The TLP table of docs/api.md for stored version i (owner = its poster's
 * organisation), withdrawals aside: GREEN read through a community the reader's
 * organisation reads (whatever its role: issue 11), by its owner organisation and
 * its addressees. */
static int tlp_readable(const struct reader *r, const struct world *w, int i)
{
    int level = w->level[i], poster = scens[w->si].s[i].user;
    int own_org = r->org >= 0 && r->org == users[poster].org;
    int named = names_reader(r, w->rcp[i]);

    if (w->obj_of[i] < 0)
        return 0;
    if (level == L_CLEAR)
        return 1;
    if (r->kind == K_ANON)
        return 0;
    if (r->kind == K_USER && r->user == poster)
        return 1; /* what you submitted yourself */
    switch (level) {
    case L_GREEN:
        return (w->comm[i] & comm_read_of(r->org)) || own_org || named;
    case L_AMBER:
    case L_ASTRICT:
        return own_org || named;
    default: /* RED: the submitter (above) and the persons named */
        return named && r->kind == K_USER;
    }
}

/* R7: a withdrawn version stays with its owner organisation and those it names. */
static int may_read(const struct reader *r, const struct world *w, int i)
{
    int poster = scens[w->si].s[i].user;

    if (!tlp_readable(r, w, i))
        return 0;
    return !w->withdrawn[i] || (r->org >= 0 && r->org == users[poster].org) || names_reader(r, w->keep[i]);
}

static int obj_readable(const struct reader *r, const struct world *w, int k)
{
    for (int j = 0; j < w->o[k].n; j++)
        if (may_read(r, w, w->o[k].v[j]))
            return 1;
    return 0;
}

/* Entitled: it may read a version of the object, withdrawals aside. */
static int entitled(const struct reader *r, const struct world *w, int k)
{
    for (int j = 0; j < w->o[k].n; j++)
        if (tlp_readable(r, w, w->o[k].v[j]))
            return 1;
    return 0;
}

static int owns(const struct reader *r, const struct oobj *o)
{
    if (r->kind == K_ANON || r->org != o->owner_org)
        return 0;
    return o->owner_user < 0 || (r->kind == K_USER && r->user == o->owner_user);
}

/* R2.3: a later object of a claimed id is for its owner organisation only. */
static int candidate(const struct reader *r, const struct world *w, int k)
{
    return w->claim < 0 || k == w->claim || (r->org >= 0 && w->o[k].owner_org == r->org);
}

/* R2.2: precedence - the id's first object (the claim, or an open id's first copy:
 * objects are numbered in the order they were made), then the later ones by source
 * rank, then in claim order. */
static int precedes(const struct world *w, int a, int b)
{
    int ra = rank_of(w->o[a].owner_org), rb = rank_of(w->o[b].owner_org);

    if ((a == 0) != (b == 0))
        return a == 0;
    if (ra != rb)
        return ra < rb;
    return w->o[a].v[0] < w->o[b].v[0];
}

/* R2: the objects r is served (its own two as one), as a bit set; 0 for none. */
static unsigned served_objs(const struct reader *r, const struct world *w)
{
    unsigned own = 0;
    /* R2.4: UUIDv5 SCO ids alone fall through; IK_SCO ids are all UUIDv5 (sco_ids) */
    int order[MAX_STEPS], n = 0, sco = scens[w->si].idkind == IK_SCO;

    for (int k = 0; k < w->n_obj; k++)
        if (owns(r, &w->o[k]) && obj_readable(r, w, k))
            own |= 1u << k;
    if (own)
        return own;
    for (int k = 0; k < w->n_obj; k++)
        if (owns(r, &w->o[k]) && entitled(r, w, k) && !sco)
            return 0; /* R2.4: its own object was withdrawn from it */
    for (int k = 0; k < w->n_obj; k++) {
        int at = n;
        if (owns(r, &w->o[k]) || !candidate(r, w, k))
            continue;
        while (at > 0 && precedes(w, k, order[at - 1])) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
        n++;
    }
    for (int x = 0; x < n; x++) {
        if (obj_readable(r, w, order[x]))
            return 1u << order[x];
        if (entitled(r, w, order[x]) && !sco)
            return 0; /* R2.4: no fall-through past an object it was entitled to */
    }
    return 0;
}

/* R3: the newest version r may read of the objects in objs, a revoked one winning;
 * -1 for none. */
static int pick(const struct reader *r, const struct world *w, unsigned objs)
{
    int best = -1, best_revoked = -1;

    for (int k = 0; k < w->n_obj; k++) {
        if (!(objs >> k & 1u))
            continue;
        for (int j = 0; j < w->o[k].n; j++) {
            int v = w->o[k].v[j];
            if (!may_read(r, w, v))
                continue;
            if (best < 0 || vorder(w->si, v) > vorder(w->si, best))
                best = v;
            if (body_of(w->si, v)->revoked && (best_revoked < 0 || vorder(w->si, v) > vorder(w->si, best_revoked)))
                best_revoked = v;
        }
    }
    return best_revoked >= 0 ? best_revoked : best;
}

static int served_version(const struct reader *r, const struct world *w)
{
    return pick(r, w, served_objs(r, w));
}

/* R4 `version=all`: every version r may read of the served object(s). */
static unsigned readable_set(const struct reader *r, const struct world *w)
{
    unsigned objs = served_objs(r, w), set = 0;

    for (int k = 0; k < w->n_obj; k++)
        for (int j = 0; (objs >> k & 1u) && j < w->o[k].n; j++)
            if (may_read(r, w, w->o[k].v[j]))
                set |= 1u << w->o[k].v[j];
    return set;
}

/* R4, correlation and match: one version per unit - r's own objects as one, and each
 * candidate it may read - as a bit set of versions. */
static unsigned units(const struct reader *r, const struct world *w)
{
    unsigned own = 0, set = 0;

    for (int k = 0; k < w->n_obj; k++) {
        if (owns(r, &w->o[k]))
            own |= 1u << k;
        else if (candidate(r, w, k) && obj_readable(r, w, k))
            set |= 1u << pick(r, w, 1u << k);
    }
    if (own && pick(r, w, own) >= 0)
        set |= 1u << pick(r, w, own);
    return set;
}

/* R3.4: some reader of version a may not read version b (markings only). */
static int narrower(const struct world *w, int a, int b)
{
    for (int ri = 0; ri < N_READERS; ri++)
        if (tlp_readable(&readers[ri], w, a) && !tlp_readable(&readers[ri], w, b))
            return 1;
    return 0;
}

/* R7: step i withdraws. */
static void route_withdraw(struct world *w, int i)
{
    const struct step *st = &scens[w->si].s[i];
    struct reader p = user_reader(st->user);
    unsigned chosen = 0;
    int any = 0;

    for (int k = 0; k < w->n_obj; k++) {
        const struct oobj *o = &w->o[k];
        if (o->owner_org != p.org || (o->owner_user >= 0 && o->owner_user != st->user))
            continue; /* its organisation's object and its own personal one (R7.1) */
        for (int j = 0; j < o->n; j++) {
            int v = o->v[j];
            if (!may_read(&p, w, v))
                continue;
            any = 1;
            if (st->of < 0 || st->of == v)
                chosen |= 1u << v;
        }
    }
    if (!any) {
        w->reply[i] = R_404;
        return;
    }
    if (!chosen) {
        w->reply[i] = R_400;
        return;
    }
    for (int v = 0; v < MAX_STEPS; v++)
        if (chosen >> v & 1u) {
            w->withdrawn[v] = 1;
            w->keep[v] = st->rcp;
        }
    w->reply[i] = R_OK;
}

/* R11.3: step i shares a CLEAR or GREEN version into a community its poster's
 * organisation writes to (here: the ones it reads) and may read the version through;
 * a reporter only its own organisation's. */
static void route_share(struct world *w, int i)
{
    const struct step *st = &scens[w->si].s[i];
    struct reader p = user_reader(st->user);
    int v = st->of;

    int any = 0;

    for (int k = 0; k < MAX_STEPS; k++)
        any |= w->obj_of[k] >= 0 && may_read(&p, w, k);
    if (!any) {
        w->reply[i] = R_404; /* the id is unknown to it */
        return;
    }
    if (w->obj_of[v] < 0 || !may_read(&p, w, v)) {
        w->reply[i] = R_400; /* a version it may not read: as one that does not exist */
        return;
    }
    if (w->level[v] != L_CLEAR && w->level[v] != L_GREEN) {
        w->reply[i] = R_400;
        return;
    }
    if ((p.reporter && w->o[w->obj_of[v]].owner_org != p.org) || !(comm_read_of(p.org) & st->rcp)) {
        w->reply[i] = R_403;
        return;
    }
    w->comm[v] |= st->rcp;
    w->reply[i] = R_OK;
}

/* R1: where version i goes, and what its poster is answered. */
static void route(struct world *w, int i)
{
    int si = w->si, b = base_of(si, i), corg = creator_org(si, i), ko = -1, kp = -1, target;
    const struct step *st = &scens[si].s[i], *body = body_of(si, i);
    struct reader p = user_reader(st->user);
    int org = p.org, create_personal = 0;

    /* 1. a version naming another member as creator is never the poster's */
    if (corg >= 0 && corg != org) {
        w->reply[i] = R_SKIP;
        for (int k = 0; k < w->n_obj; k++)
            for (int j = 0; w->o[k].owner_org == corg && j < w->o[k].n; j++)
                if (base_of(si, w->o[k].v[j]) == b && may_read(&p, w, w->o[k].v[j]))
                    w->reply[i] = R_DUP;
        return;
    }
    for (int k = 0; k < w->n_obj; k++) {
        if (w->o[k].owner_org == org && w->o[k].owner_user < 0)
            ko = k;
        if (w->o[k].owner_org == org && w->o[k].owner_user == st->user)
            kp = k;
    }
    /* 2. its organisation's object, if it may read a version of it; 3. else personal */
    if (ko >= 0 && obj_readable(&p, w, ko)) {
        target = ko;
        for (int j = 0; j < w->o[ko].n; j++) {
            int v = w->o[ko].v[j];
            if (same_version_key(si, v, i) && !may_read(&p, w, v)) {
                w->collision = 1; /* a hidden version's `modified`: personal, silently */
                target = kp;
                create_personal = kp < 0;
            }
        }
    } else if (ko >= 0) {
        target = kp;
        create_personal = kp < 0;
    } else {
        target = -1;
    }
    if (target >= 0)
        for (int j = 0; j < w->o[target].n; j++) {
            int v = w->o[target].v[j];
            if (!same_version_key(si, v, i) || !may_read(&p, w, v))
                continue;
            w->reply[i] = base_of(si, v) == b ? R_DUP : R_409;
            return;
        }
    /* the marking: its own, inherited (R3.3), or defaulted */
    w->level[i] = body->level;
    w->rcp[i] = body->rcp;
    w->comm[i] = comm_of_opts(st->opts); /* the step's own: communities are never inherited */
    w->inherited[i] = 0;
    if (w->fixed && w->fixed->obj_of[i] >= 0) {
        w->level[i] = w->fixed->level[i];
        w->rcp[i] = w->fixed->rcp[i];
        w->inherited[i] = w->fixed->inherited[i];
    } else if (body->level == L_NONE) {
        int src = -1;
        for (int j = 0; target >= 0 && j < w->o[target].n; j++) {
            int v = w->o[target].v[j];
            if (vorder(si, v) < vorder(si, i) && may_read(&p, w, v) && (src < 0 || vorder(si, v) > vorder(si, src)))
                src = v;
        }
        w->level[i] = src >= 0 ? w->level[src] : L_ASTRICT;
        w->rcp[i] = src >= 0 ? w->rcp[src] : RCP_NONE;
        w->inherited[i] = src >= 0 ? 1 : 2;
    }
    /* R6.3 and R3.4, against versions the poster may read */
    w->warn[i] = 0;
    w->obj_of[i] = 0; /* so that narrower() can read version i */
    for (int j = 0; target >= 0 && j < w->o[target].n; j++) {
        int v = w->o[target].v[j];
        if (!may_read(&p, w, v) || vorder(si, v) > vorder(si, i))
            continue;
        if (body_of(si, v)->revoked || (body->revoked && narrower(w, v, i) && !(st->opts & O_NARROW))) {
            w->obj_of[i] = -1;
            w->reply[i] = R_409;
            return;
        }
        if (narrower(w, v, i))
            w->warn[i] |= W_NARROW;
    }
    /* 4. anything else: its organisation's object, created now; the reply warns when
     * the poster may read another owner's object of the id */
    for (int k = 0; target < 0 && !create_personal && k < w->n_obj; k++)
        if (obj_readable(&p, w, k))
            w->warn[i] |= W_OWN_COPY;
    if (target < 0 || create_personal) {
        int attested = scens[si].idkind == IK_V4 && (corg == org || body->creator == CR_SELF);
        if (w->n_obj == 0)
            w->claim = attested ? 0 : -1;
        target = w->n_obj++;
        w->o[target] = (struct oobj){org, create_personal ? st->user : -1, 0, {0}};
    }
    w->o[target].v[w->o[target].n++] = i;
    w->obj_of[i] = target;
    w->reply[i] = R_NEW;
}

/* Replay steps [0, upto) of scenario si in the world whose versions are `exists`. */
static void simulate(struct world *w, int si, unsigned exists, int upto, const struct world *fixed)
{
    memset(w, 0, sizeof *w);
    w->si = si;
    w->exists = exists;
    w->fixed = fixed;
    w->claim = -1;
    for (int i = 0; i < MAX_STEPS; i++)
        w->obj_of[i] = -1;
    for (int i = 0; i < upto; i++) {
        if (scens[si].s[i].kind == ST_SHARE)
            route_share(w, i);
        else if (!is_version(si, i))
            route_withdraw(w, i);
        else if (exists >> i & 1u)
            route(w, i);
    }
}

static struct world model[sizeof scens / sizeof scens[0]];

#define ALL_STEPS ((1u << MAX_STEPS) - 1)

static void build_model(void)
{
    for (int si = 0; si < N_SCENS; si++)
        simulate(&model[si], si, ALL_STEPS, scens[si].n, NULL);
}

/* ---- the oracle checks itself (no server) ---- */

/* What a reader is served in a world, for comparing worlds. */
struct answer {
    int version;   /* get, list, export, count */
    unsigned all;  /* version=all */
    unsigned hits; /* correlation and match units */
};

static struct answer answer_of(const struct reader *r, const struct world *w)
{
    struct answer a = {served_version(r, w), readable_set(r, w), units(r, w)};
    return a;
}

/* The read-back case of R2.3: the id is claimed by an object r may not read. */
static int claim_hidden(const struct reader *r, const struct world *w)
{
    return w->claim >= 0 && !entitled(r, w, w->claim);
}

/* The read-back case of R2.2: the first copy of an open id is one r may not read, so
 * that source rank, not claim order, decides among the later copies. */
static int first_hidden(const struct reader *r, const struct world *w)
{
    return w->claim < 0 && w->n_obj > 2 && !entitled(r, w, 0);
}

static int seen_exception[sizeof scens / sizeof scens[0]];

/* r's answer in world w must be its answer in the whole history, unless one of the
 * read-back cases R2 accepts explains the difference, in a scenario written for it. */
static void same_answer(int si, const struct reader *r, const struct world *w, const char *what)
{
    struct answer a = answer_of(r, &model[si]), b = answer_of(r, w);
    int why;

    if (a.version == b.version && a.all == b.all && a.hits == b.hits)
        return;
    why = claim_hidden(r, &model[si])   ? EX_CLAIM
          : first_hidden(r, &model[si]) ? EX_FIRST
          : model[si].collision         ? EX_COLLISION
                                        : 0;
    if (why && (scens[si].expect & why)) {
        seen_exception[si] |= why;
        return;
    }
    fail_msg("oracle, scenario '%s': %s is served version %d (all %#x, hits %#x), but %d (all %#x, hits %#x) in the "
             "world %s: the rules leak what it may not read",
             scens[si].name, r->name, a.version, a.all, a.hits, b.version, b.all, b.hits, what);
}

/* R5: every reply is the reply of the world without the versions the poster may not
 * read - the model's answer to finding 1 of the review, which a rule deciding on a
 * hidden version (the draft's R1.1) fails. */
static void test_oracle_replies_hide_versions(void **state)
{
    (void)state;
    for (int si = 0; si < N_SCENS; si++)
        for (int i = 0; i < scens[si].n; i++) {
            struct reader p = user_reader(scens[si].s[i].user);
            struct world before, twin;
            unsigned hidden = 0;
            simulate(&before, si, ALL_STEPS, i, NULL);
            for (int v = 0; v < i; v++)
                if (before.obj_of[v] >= 0 && !may_read(&p, &before, v))
                    hidden |= 1u << v;
            simulate(&twin, si, ALL_STEPS & ~hidden, i + 1, NULL);
            if (twin.reply[i] != model[si].reply[i] || twin.level[i] != model[si].level[i] ||
                twin.inherited[i] != model[si].inherited[i] || twin.warn[i] != model[si].warn[i])
                fail_msg("oracle, scenario '%s', step %d by %s: answered %s (tlp %d, warnings %d), but %s (tlp %d, "
                         "warnings %d) where the versions it may not read do not exist",
                         scens[si].name, i, p.name, reply_names[model[si].reply[i]], model[si].level[i],
                         model[si].warn[i], reply_names[twin.reply[i]], twin.level[i], twin.warn[i]);
        }
}

/* R2: a reader is served what it would be served if the versions it was never
 * entitled to did not exist; and a colluding reader who may read none of the versions
 * hidden from a poster is served the same whether or not they exist (finding 1's
 * "ask any GREEN reader whether they see v3"). */
static void test_oracle_reads_hide_versions(void **state)
{
    (void)state;
    memset(seen_exception, 0, sizeof seen_exception);
    for (int si = 0; si < N_SCENS; si++) {
        const struct world *m = &model[si];
        for (int ri = 0; ri < N_READERS; ri++) {
            const struct reader *r = &readers[ri];
            struct world w;
            unsigned never = 0;
            for (int v = 0; v < scens[si].n; v++)
                if (m->obj_of[v] >= 0 && !tlp_readable(r, m, v))
                    never |= 1u << v;
            simulate(&w, si, ALL_STEPS & ~never, scens[si].n, m);
            same_answer(si, r, &w, "without the versions it was never entitled to");
        }
        for (int i = 0; i < scens[si].n; i++) {
            struct reader p = user_reader(scens[si].s[i].user);
            struct world before, w;
            unsigned hidden = 0;
            if (!is_version(si, i))
                continue;
            simulate(&before, si, ALL_STEPS, i, NULL);
            for (int v = 0; v < i; v++)
                if (before.obj_of[v] >= 0 && !may_read(&p, &before, v))
                    hidden |= 1u << v;
            if (!hidden)
                continue;
            simulate(&w, si, ALL_STEPS & ~hidden, scens[si].n, m);
            for (int ri = 0; ri < N_READERS; ri++) {
                int sees = 0;
                for (int v = 0; v < MAX_STEPS; v++)
                    sees |= (hidden >> v & 1u) && tlp_readable(&readers[ri], m, v);
                if (!sees)
                    same_answer(si, &readers[ri], &w, "without the versions hidden from the poster");
            }
        }
    }
    /* the accepted cases occur, and only where they were written */
    for (int si = 0; si < N_SCENS; si++)
        if (seen_exception[si] != scens[si].expect)
            fail_msg("oracle, scenario '%s': written to show read-back case %d, shows %d", scens[si].name,
                     scens[si].expect, seen_exception[si]);
}

/* ---- the node ---- */

static struct hnode node;
static char keys[N_USERS][64];
static char org_ident[N_ORGS][64];
static char analyst_b_ident[64];
static int posted[sizeof scens / sizeof scens[0]];

/* What the node answered to each step: status, and for a post its item. */
struct got {
    long status;
    int duplicate, skipped, inherited, defaulted, warn_narrow, warn_copy;
    char tlp[16];
};
static struct got got[sizeof scens / sizeof scens[0]][MAX_STEPS];

/* The last reply (and its parse, and a page walk's bodies), kept until the next
 * request or the teardown, so that a failing check (which leaves the test through a
 * long jump) leaks nothing. */
static struct hresp last;
static json_t *last_json;
static char *last_out;
static char *pages;

static void drop_last(void)
{
    hresp_free(&last);
    json_decref(last_json);
    last_json = NULL;
    free(last_out);
    last_out = NULL;
}

static struct hresp *req(const char *method, const char *path, const char *key, const char *body, size_t len)
{
    drop_last();
    h_http(&node, method, path, key, body, len, &last);
    return &last;
}

static void scen_id(int si, char *out, size_t cap)
{
    if (scens[si].idkind == IK_SCO)
        snprintf(out, cap, "%s", sco_ids[scens[si].sco - 1].id);
    else
        snprintf(out, cap, "indicator--3d0d3a11-7c55-%ca9e-8f21-%012d", scens[si].idkind == IK_V5 ? '5' : '4', si);
}

/* Each posted body carries a name of its own, "mSSvI" (SS the scenario, I the step
 * that first posted it), by which the paths' answers are read. */
static void version_name(int si, int i, char *out, size_t cap)
{
    snprintf(out, cap, "\"m%02dv%d\"", si, base_of(si, i));
}

/* The observable a version carries. */
static void version_value(int si, int i, char *out, size_t cap)
{
    if (scens[si].idkind == IK_SCO)
        snprintf(out, cap, "%s", sco_ids[scens[si].sco - 1].value);
    else
        snprintf(out, cap, "s%02dv%d.model.example", si, base_of(si, i));
}

static const char *ident_of_rcp(int rcp)
{
    return rcp == RCP_ORG_B ? org_ident[ORG_B] : rcp == RCP_ORG_C ? org_ident[ORG_C] : analyst_b_ident;
}

/* The body of step i (a copy's is the body it copies, byte for byte). */
static void build_body(int si, int i, char *body, size_t cap)
{
    const struct step *b = body_of(si, i);
    int corg = creator_org(si, i);
    char id[80], value[64], extra[400] = "";
    size_t n = 0;

    scen_id(si, id, sizeof id);
    version_value(si, i, value, sizeof value);
    if (corg != -1)
        n += (size_t)snprintf(extra + n, sizeof extra - n, ",\"created_by_ref\":\"%s\"",
                              corg == -2 ? third_ident : org_ident[corg]);
    if (b->level != L_NONE)
        n += (size_t)snprintf(extra + n, sizeof extra - n, ",\"object_marking_refs\":[\"%s\"]", marking_ids[b->level]);
    if (b->rcp != RCP_NONE)
        snprintf(extra + n, sizeof extra - n, ",\"x_mreza_recipient_refs\":[\"%s\"]", ident_of_rcp(b->rcp));
    if (scens[si].idkind == IK_SCO)
        snprintf(body, cap, "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"%s\","
                 "\"x_model_name\":\"m%02dv%d\"%s}",
                 id, value, si, base_of(si, i), extra);
    else
        snprintf(body, cap,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-%02dT00:00:00.000Z\","
                 "\"name\":\"m%02dv%d\",\"pattern\":\"[domain-name:value = '%s']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2025-01-01T00:00:00Z\"%s%s}",
                 id, b->day, si, base_of(si, i), value, b->revoked ? ",\"revoked\":true" : "", extra);
}

static int has_warning(const char *needle)
{
    json_t *w;
    size_t k;

    json_array_foreach(json_object_get(last_json, "warnings"), k, w)
        if (json_is_string(w) && strstr(json_string_value(w), needle))
            return 1;
    return 0;
}

/* Take step i of scenario si and keep what the node answered. */
static void take_step(int si, int i)
{
    const struct step *st = &scens[si].s[i];
    struct got *g = &got[si][i];
    char id[80], body[1600], path[200];
    struct hresp *r;
    json_t *item;

    memset(g, 0, sizeof *g);
    scen_id(si, id, sizeof id);
    if (st->kind == ST_SHARE) {
        snprintf(body, sizeof body, "{\"community\":\"%s\",\"version\":\"2025-01-%02dT00:00:00.000Z\"}",
                 st->rcp == CM_REG ? "regional" : "national", body_of(si, st->of)->day);
        snprintf(path, sizeof path, "/api/v1/objects/%s/share", id);
        g->status = req("POST", path, keys[st->user], body, strlen(body))->status;
        return;
    }
    if (st->kind == ST_WITHDRAW) {
        char versions[64] = "\"all\"", to[120] = "";
        if (st->of >= 0)
            snprintf(versions, sizeof versions, "[\"2025-01-%02dT00:00:00.000Z\"]", body_of(si, st->of)->day);
        if (st->rcp != RCP_NONE)
            snprintf(to, sizeof to, ",\"to\":[\"%s\"]", ident_of_rcp(st->rcp));
        snprintf(body, sizeof body, "{\"versions\":%s%s}", versions, to);
        snprintf(path, sizeof path, "/api/v1/objects/%s/withdraw", id);
        g->status = req("POST", path, keys[st->user], body, strlen(body))->status;
        return;
    }
    build_body(si, i, body, sizeof body);
    snprintf(path, sizeof path, "/api/v1/objects?community=%s%s%s",
             st->opts & O_REGIONAL ? "regional" : st->opts & O_BOTH ? "national,regional" : "national",
             body_of(si, i)->creator == CR_SELF ? "&author=self" : "", st->opts & O_NARROW ? "&narrow_revocation=true" : "");
    r = req("POST", path, keys[st->user], body, strlen(body));
    g->status = r->status;
    last_json = json_loads(r->body, 0, NULL);
    if (r->status != 201 || !last_json)
        return;
    g->warn_narrow = has_warning("earlier version");
    g->warn_copy = has_warning("own copy");
    item = json_array_get(json_object_get(last_json, "successes"), 0);
    if (!item) {
        g->skipped = json_array_size(json_object_get(last_json, "skipped")) == 1;
        return;
    }
    g->duplicate = json_is_true(json_object_get(item, "duplicate"));
    g->inherited = json_is_true(json_object_get(item, "tlp_inherited"));
    g->defaulted = json_is_true(json_object_get(item, "tlp_defaulted"));
    {
        const char *tlp = json_string_value(json_object_get(item, "tlp"));
        snprintf(g->tlp, sizeof g->tlp, "%s", tlp ? tlp : "");
    }
}

/* Is the node's answer to step i the model's? warnings: whether to compare them
 * (R1.4's and R3.4's warnings are new: the pending tests compare them). */
static void check_step(int si, int i, int warnings)
{
    const struct world *m = &model[si];
    const struct got *g = &got[si][i];
    int want = m->reply[i], ok;

    switch (want) {
    case R_NEW:
    case R_DUP:
        ok = g->status == 201 && !g->skipped && g->duplicate == (want == R_DUP);
        if (ok && want == R_NEW)
            ok = !strcmp(g->tlp, tlp_names[m->level[i]]) && g->inherited == (m->inherited[i] == 1) &&
                 g->defaulted == (m->inherited[i] == 2);
        break;
    case R_SKIP:
        ok = g->status == 201 && g->skipped;
        break;
    case R_409:
        ok = g->status == 409;
        break;
    case R_OK:
        ok = g->status == 200;
        break;
    case R_400:
        ok = g->status == 400;
        break;
    case R_403:
        ok = g->status == 403;
        break;
    default:
        ok = g->status == 404;
    }
    if (ok && warnings && want == R_NEW)
        ok = g->warn_narrow == !!(m->warn[i] & W_NARROW) && g->warn_copy == !!(m->warn[i] & W_OWN_COPY);
    if (!ok)
        fail_msg("scenario '%s', step %d by %s: the node answered %ld (duplicate %d, skipped %d, tlp '%s', "
                 "inherited %d, defaulted %d, warnings %d/%d); the model says %s (tlp %s, inherited %d, warnings %d)",
                 scens[si].name, i, users[scens[si].s[i].user].name, g->status, g->duplicate, g->skipped, g->tlp,
                 g->inherited, g->defaulted, g->warn_narrow, g->warn_copy, reply_names[want],
                 want == R_NEW ? tlp_names[m->level[i]] : "-", m->inherited[i], m->warn[i]);
}


/* The background thread indexes what the store gained within about a second: wait
 * until the index's generation covers every row. */
static void post_scenarios(int pending)
{
    for (int si = 0; si < N_SCENS; si++) {
        if (scens[si].pending != pending || posted[si])
            continue;
        for (int i = 0; i < scens[si].n; i++)
            take_step(si, i);
        posted[si] = 1;
    }
    h_wait_indexed(&node, keys[U_NODE_ADMIN_A]);
}

static int setup(void **state)
{
    /* campaigns off: no grouping joins the store while the matrix is read */
    const char *const sets[] = {"api.public_read=true", "campaign.min_countries=50", NULL};
    int n = 0;

    (void)state;
    readers[n++] = (struct reader){"anonymous", K_ANON, -1, -1, 0};
    for (int u = 0; u < N_USERS; u++)
        readers[n++] = user_reader(u);
    for (int g = 0; g < N_ORGS; g++)
        readers[n++] = (struct reader){org_names[g], K_ORG, -1, g, !strcmp(org_kinds[g], "operator")};
    build_model();
    h_node_init(&node);
    for (int g = 0; g < N_ORGS; g++)
        h_add_org(&node, org_names[g], org_countries[g], org_kinds[g]);
    for (int u = 0; u < N_USERS; u++)
        h_add_user(&node, users[u].name, org_names[users[u].org], users[u].role, keys[u]);
    for (int g = 0; g < N_ORGS; g++)
        h_identity(&node, "org", org_names[g], org_ident[g]);
    h_identity(&node, "user", "analyst@me-cirt", analyst_b_ident);
    {
        static const char *const cmds[][8] = {
            {"community", "add", "regional", "--kind", "regional", "--title", "CSIRTs", NULL},
            {"community", "member", "add", "regional", "al-cert", NULL},
            {"community", "member", "add", "regional", "me-cirt", NULL},
        };
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            assert_int_equal(h_cli(&node, NULL, cmds[i]), 0);
    }
    h_start(&node, sets);
    post_scenarios(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop_last();
    free(pages);
    pages = NULL;
    return h_node_free(&node) > 0;
}

/* ---- the paths ---- */

static const char *key_of(const struct reader *r)
{
    return r->kind == K_USER ? keys[r->user] : NULL;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = text ? strstr(text, needle) : NULL; p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Does text hold each version of si in want (a bit per step) exactly once, and no
 * other version of si? A copy reads as the body it copies. */
static void expect_versions(const char *text, int si, unsigned want, const char *path, const struct reader *r)
{
    unsigned bases = 0;

    for (int i = 0; i < scens[si].n; i++)
        if (want >> i & 1u)
            bases |= 1u << base_of(si, i);
    for (int i = 0; i < scens[si].n; i++) {
        char name[32];
        int n, w = bases >> i & 1u;
        if (base_of(si, i) != i)
            continue;
        version_name(si, i, name, sizeof name);
        n = count_of(text, name);
        if (n != w)
            fail_msg("%s: %s, scenario '%s', version %d: served %d time(s), the model says %d", path, r->name,
                     scens[si].name, i, n, w);
    }
}

/* The owner organisation of stored version v of scenario si (R9: submitted_by). */
static int owner_of_version(int si, int v)
{
    return model[si].o[model[si].obj_of[v]].owner_org;
}

static unsigned served_set(const struct reader *r, int si)
{
    int v = served_version(r, &model[si]);
    return v < 0 ? 0u : 1u << v;
}

/* Which scenarios a check reads: those of the registered (pending 0) or pending (1)
 * kind, or only scenario `only` when it is not -1. */
static int pending_kind, only_scen = -1;

static int wanted(int si)
{
    return only_scen >= 0 ? si == only_scen : scens[si].pending == pending_kind;
}

static int popcount(unsigned x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

#define TYPES "type=indicator,domain-name"

static void check_get(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int si = 0; si < N_SCENS; si++) {
            char path[160], id[80], want_hdr[96];
            const struct world *m = &model[si];
            struct hresp *resp;
            int v = served_version(r, m);
            if (!wanted(si))
                continue;
            scen_id(si, id, sizeof id);
            snprintf(path, sizeof path, "/api/v1/objects/%s", id);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != (v < 0 ? 404 : 200))
                fail_msg("GET: %s, scenario '%s': %ld, the model says %d", r->name, scens[si].name, resp->status,
                         v < 0 ? 404 : 200);
            if (v < 0)
                continue;
            expect_versions(resp->body, si, 1u << v, "GET", r);
            /* R3: under the served version's own marking */
            snprintf(want_hdr, sizeof want_hdr, "X-Mreza-TLP: %s%s\r\n", tlp_labels[m->level[v]],
                     m->inherited[v] == 1 ? "; inherited" : m->inherited[v] == 2 ? "; defaulted" : "");
            if (!strstr(resp->headers, want_hdr))
                fail_msg("GET: %s, scenario '%s': wanted %s", r->name, scens[si].name, want_hdr);
            /* R9: who submitted the served object */
            snprintf(want_hdr, sizeof want_hdr, "X-Mreza-Submitted-By: %s (%s)\r\n", org_ident[owner_of_version(si, v)],
                     org_names[owner_of_version(si, v)]);
            if (!strstr(resp->headers, want_hdr))
                fail_msg("GET: %s, scenario '%s': wanted %s", r->name, scens[si].name, want_hdr);
        }
    }
}

/* R9: a list reply's "meta" has one entry per object, in the order of "objects",
 * naming it, its version, marking and date_added as served, and who submitted the
 * object served (the owner of the version's object, by the model). */
static void check_meta(const struct reader *r, const char *path)
{
    json_t *objs, *meta, *o;
    size_t i;

    json_decref(last_json);
    last_json = json_loads(last.body, 0, NULL);
    assert_non_null(last_json);
    objs = json_object_get(last_json, "objects");
    meta = json_object_get(last_json, "meta");
    if (!json_is_array(meta) || json_array_size(meta) != json_array_size(objs))
        fail_msg("%s: %s: %zu objects, %zu meta entries", path, r->name, json_array_size(objs),
                 json_array_size(meta));
    json_array_foreach(objs, i, o) {
        json_t *m = json_array_get(meta, i);
        const char *name = json_string_value(json_object_get(o, "name")), *mod;
        const char *x = json_string_value(json_object_get(o, "x_model_name"));
        int si, b, v = -1;
        unsigned set;
        if (strcmp(json_string_value(json_object_get(o, "id")), json_string_value(json_object_get(m, "id"))))
            fail_msg("%s: %s: meta entry %zu names another object", path, r->name, i);
        mod = json_string_value(json_object_get(o, "modified"));
        if (strcmp(mod ? mod : "", json_string_value(json_object_get(m, "version"))))
            fail_msg("%s: %s: meta entry %zu names another version", path, r->name, i);
        if (!json_string_value(json_object_get(m, "date_added")) || !json_string_value(json_object_get(m, "tlp")))
            fail_msg("%s: %s: meta entry %zu without date_added or tlp", path, r->name, i);
        if (!name)
            name = x;
        if (!name || sscanf(name, "m%2dv%1d", &si, &b) != 2 || si < 0 || si >= N_SCENS || !wanted(si))
            continue;
        /* the version read is the one of r's served objects that carries this body (a
         * copy's body names the step it copies) */
        set = readable_set(r, &model[si]);
        for (int k = 0; k < scens[si].n && v < 0; k++)
            if ((set >> k & 1u) && base_of(si, k) == b)
                v = k;
        if (v < 0)
            continue; /* expect_versions() says what is wrong */
        if (strcmp(json_string_value(json_object_get(m, "submitted_by")), org_ident[owner_of_version(si, v)]))
            fail_msg("%s: %s, scenario '%s': submitted_by %s, the model says %s's", path, r->name, scens[si].name,
                     json_string_value(json_object_get(m, "submitted_by")), org_names[owner_of_version(si, v)]);
    }
}

static void check_get_versions(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int si = 0; si < N_SCENS; si++) {
            char path[180], id[80];
            struct hresp *resp;
            unsigned want = readable_set(r, &model[si]);
            if (!wanted(si))
                continue;
            scen_id(si, id, sizeof id);
            snprintf(path, sizeof path, "/api/v1/objects/%s?version=all&meta=true", id);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != (want ? 200 : 404))
                fail_msg("GET ?version=all: %s, scenario '%s': %ld, the model says %d", r->name, scens[si].name,
                         resp->status, want ? 200 : 404);
            if (want) {
                expect_versions(resp->body, si, want, "GET ?version=all", r);
                check_meta(r, path);
            }
        }
    }
}

static void check_list(int all)
{
    const char *path = all ? "/api/v1/objects?" TYPES "&limit=10000&version=all&meta=true"
                           : "/api/v1/objects?" TYPES "&limit=10000&meta=true";

    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        struct hresp *resp;
        if (r->kind == K_ORG)
            continue;
        resp = req("GET", path, key_of(r), NULL, 0);
        if (resp->status != 200)
            fail_msg("%s: %s answered %ld", path, r->name, resp->status);
        for (int si = 0; si < N_SCENS; si++)
            if (wanted(si))
                expect_versions(resp->body, si, all ? readable_set(r, &model[si]) : served_set(r, si), path, r);
        check_meta(r, path);
    }
}

/* The list walked in small pages: every served version exactly once (R4: paging
 * follows the served version). */
static void check_pages(int all, int limit)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        char next[256] = "", label[96];
        size_t len = 0;
        int n_pages = 0;
        if (r->kind == K_ORG)
            continue;
        free(pages);
        pages = NULL;
        do {
            char path[400];
            struct hresp *resp;
            const char *tok;
            char *grown;
            snprintf(path, sizeof path, "/api/v1/objects?" TYPES "&limit=%d%s%s%s", limit,
                     all ? "&version=all" : "", next[0] ? "&next=" : "", next);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != 200)
                fail_msg("%s: %s answered %ld", path, r->name, resp->status);
            if (strstr(resp->body, "\"meta\":"))
                fail_msg("%s: %s: meta without meta=true", path, r->name);
            grown = realloc(pages, len + resp->len + 1);
            assert_non_null(grown);
            pages = grown;
            memcpy(pages + len, resp->body, resp->len);
            len += resp->len;
            pages[len] = '\0';
            last_json = json_loads(resp->body, 0, NULL);
            assert_non_null(last_json);
            tok = json_string_value(json_object_get(last_json, "next"));
            if (tok && strlen(tok) >= sizeof next)
                fail_msg("a page token longer than %zu bytes", sizeof next - 1);
            snprintf(next, sizeof next, "%s", tok ? tok : "");
            assert_true(++n_pages < 10000);
        } while (next[0]);
        snprintf(label, sizeof label, "pages of %d%s", limit, all ? ", version=all" : "");
        for (int si = 0; si < N_SCENS; si++)
            if (wanted(si))
                expect_versions(pages, si, all ? readable_set(r, &model[si]) : served_set(r, si), label, r);
    }
}

/* Filters apply to the served version, after the choice (R4). */
static void check_filter_tlp(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int l = 0; l < L_NONE; l++) {
            char path[160];
            struct hresp *resp;
            snprintf(path, sizeof path, "/api/v1/objects?" TYPES "&limit=10000&tlp=%s", tlp_names[l]);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != 200)
                fail_msg("%s: %s answered %ld", path, r->name, resp->status);
            for (int si = 0; si < N_SCENS; si++) {
                int v = served_version(r, &model[si]);
                if (wanted(si))
                    expect_versions(resp->body, si, v >= 0 && model[si].level[v] == l ? 1u << v : 0u, path, r);
            }
        }
    }
}

/* created_by matches `created_by_ref` only (R9). Today it falls back to the owner for
 * objects without one: registered checks leave those out (strict = 0). */
static void check_filter_created_by(int strict)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int c = 0; c <= N_ORGS; c++) {
            const char *ident = c < N_ORGS ? org_ident[c] : third_ident;
            char path[200];
            struct hresp *resp;
            snprintf(path, sizeof path, "/api/v1/objects?" TYPES "&limit=10000&created_by=%s", ident);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != 200)
                fail_msg("%s: %s answered %ld", path, r->name, resp->status);
            for (int si = 0; si < N_SCENS; si++) {
                int v = served_version(r, &model[si]), corg;
                if (!wanted(si) || v < 0)
                    continue;
                corg = creator_org(si, v);
                if (corg == -1 && !strict)
                    continue;
                expect_versions(resp->body, si, corg == (c < N_ORGS ? c : -2) ? 1u << v : 0u, path, r);
            }
        }
    }
}

static void check_count(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int si = 0; si < N_SCENS; si++) {
            char path[200], id[80], want[32];
            if (!wanted(si))
                continue;
            scen_id(si, id, sizeof id);
            for (int all = 0; all < 2; all++) {
                int n = all ? popcount(readable_set(r, &model[si])) : served_version(r, &model[si]) >= 0;
                struct hresp *resp;
                snprintf(path, sizeof path, "/api/v1/count?id=%s%s", id, all ? "&version=all" : "");
                resp = req("GET", path, key_of(r), NULL, 0);
                snprintf(want, sizeof want, "{\"count\":%d}", n);
                if (resp->status != 200 || !strstr(resp->body, want))
                    fail_msg("%s: %s, scenario '%s': %s, the model says %s", path, r->name, scens[si].name,
                             resp->body, want);
            }
        }
    }
}

/* The export (with who submitted each object: R9's x_mreza_submitted_by) holds the
 * version each reader is served of each id, and names its owner. */
static void check_export(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        const char *out, *what = r->kind == K_ORG ? "mreza export --as" : "export";
        json_t *map;
        if (r->kind == K_ORG) {
            const char *const argv[] = {"export", "--as", org_names[r->org], "--type", "indicator,domain-name",
                                        "--with-submitted-by", NULL};
            drop_last();
            if (h_cli(&node, &last_out, argv) != 0)
                fail_msg("mreza export --as %s failed", org_names[r->org]);
            out = last_out;
        } else {
            struct hresp *resp = req("GET", "/api/v1/export?" TYPES "&with_submitted_by=true", key_of(r), NULL, 0);
            if (resp->status != 200)
                fail_msg("export: %s answered %ld", r->name, resp->status);
            out = resp->body;
        }
        json_decref(last_json);
        last_json = json_loads(out, 0, NULL);
        if (!last_json)
            fail_msg("%s: %s: the bundle is not JSON", what, r->name);
        map = json_object_get(last_json, "x_mreza_submitted_by");
        if (!json_is_object(map) ||
            json_object_size(map) != json_array_size(json_object_get(last_json, "objects")) -
                                         (size_t)count_of(out, "\"type\":\"marking-definition\""))
            fail_msg("%s: %s: x_mreza_submitted_by does not name each object once", what, r->name);
        for (int si = 0; si < N_SCENS; si++) {
            char id[80];
            int v = served_version(r, &model[si]);
            const char *found;
            if (!wanted(si))
                continue;
            expect_versions(out, si, served_set(r, si), what, r);
            scen_id(si, id, sizeof id);
            found = json_string_value(json_object_get(map, id));
            if (v < 0 ? found != NULL : !found || strcmp(found, org_ident[owner_of_version(si, v)]))
                fail_msg("%s: %s, scenario '%s': x_mreza_submitted_by says %s, the model says %s", what, r->name,
                         scens[si].name, found ? found : "nothing", v < 0 ? "nothing" : org_names[owner_of_version(si, v)]);
        }
    }
}

/* added_after applies to the version served, after the choice (R4), as its
 * date_added in "meta" says: asked after any entry's date_added, a reader gets
 * exactly the entries of its whole list stamped later. */
static void check_added_after(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        json_t *all, *meta, *m;
        size_t i, n;
        if (r->kind == K_ORG)
            continue;
        req("GET", "/api/v1/objects?" TYPES "&limit=10000&meta=true", key_of(r), NULL, 0);
        all = json_loads(last.body, 0, NULL);
        assert_non_null(all);
        meta = json_object_get(all, "meta");
        n = json_array_size(meta);
        for (i = 0; i < n; i += 7) {
            const char *since = json_string_value(json_object_get(json_array_get(meta, i), "date_added"));
            char path[200];
            size_t k, want = 0, found;
            json_t *page_meta;
            snprintf(path, sizeof path, "/api/v1/objects?" TYPES "&limit=10000&meta=true&added_after=%s", since);
            if (req("GET", path, key_of(r), NULL, 0)->status != 200) {
                json_decref(all);
                fail_msg("%s: %s answered %ld", path, r->name, last.status);
            }
            json_decref(last_json);
            last_json = json_loads(last.body, 0, NULL);
            page_meta = json_object_get(last_json, "meta");
            found = json_array_size(page_meta);
            json_array_foreach(meta, k, m)
                if (strcmp(json_string_value(json_object_get(m, "date_added")), since) > 0)
                    want++;
            for (k = 0; k < found && want == found; k++) {
                const char *id = json_string_value(json_object_get(json_array_get(page_meta, k), "id"));
                size_t j = 0;
                while (j < n && strcmp(json_string_value(json_object_get(json_array_get(meta, j), "id")), id))
                    j++;
                if (j == n || strcmp(json_string_value(json_object_get(json_array_get(meta, j), "date_added")), since) <= 0)
                    want = (size_t)-1;
            }
            if (want != found) {
                json_decref(all);
                fail_msg("added_after: %s, after %s: %zu objects, not those of its list stamped later", r->name, since,
                         found);
            }
        }
        json_decref(all);
    }
}

/* The values a scenario's versions carry, one item each (an SCO's one value). */
static int items_of(int si, int *item_step, int max)
{
    int n = 0;

    for (int i = 0; i < scens[si].n && n < max; i++)
        if (is_version(si, i) && base_of(si, i) == i && (scens[si].idkind != IK_SCO || n == 0))
            item_step[n++] = i;
    return n;
}

/* The owners (a bit per organisation) of r's units (R4) that carry the value of step
 * i - for match, as a live indicator: a hit names its unit's owner (submitted_by). */
static unsigned unit_owners(const struct reader *r, int si, int i, int live)
{
    unsigned u = units(r, &model[si]), owners = 0;

    for (int v = 0; v < MAX_STEPS; v++)
        if ((u >> v & 1u) && (scens[si].idkind == IK_SCO ? !live : base_of(si, v) == i && !(live && body_of(si, v)->revoked)))
            owners |= 1u << owner_of_version(si, v);
    return owners;
}

static int unit_carries(const struct reader *r, int si, int i, int live)
{
    return unit_owners(r, si, i, live) != 0;
}

/* The organisation whose identity ident is, as a bit; 0 for none. */
static unsigned org_bit(const char *ident)
{
    for (int g = 0; ident && g < N_ORGS; g++)
        if (!strcmp(ident, org_ident[g]))
            return 1u << g;
    return 0;
}

static void check_correlation(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int si = 0; si < N_SCENS; si++) {
            char id[80];
            int item_step[MAX_STEPS], n;
            if (!wanted(si))
                continue;
            scen_id(si, id, sizeof id);
            n = items_of(si, item_step, MAX_STEPS);
            for (int it = 0; it < n; it++) {
                char value[64], path[160];
                struct hresp *resp;
                int want = unit_carries(r, si, item_step[it], 0); /* revoked or not */
                version_value(si, item_step[it], value, sizeof value);
                snprintf(path, sizeof path, "/api/v1/correlations?value=%s", value);
                resp = req("GET", path, key_of(r), NULL, 0);
                if (resp->status != 200)
                    fail_msg("%s: %s answered %ld", path, r->name, resp->status);
                if ((strstr(resp->body, id) != NULL) != want)
                    fail_msg("correlation: %s, scenario '%s', value of version %d: %s, the model says %s", r->name,
                             scens[si].name, item_step[it], want ? "absent" : "present", want ? "present" : "absent");
                /* each of its units, naming its owner (R4, R9) */
                {
                    unsigned owners = 0;
                    json_t *o;
                    size_t k;
                    json_decref(last_json);
                    last_json = json_loads(resp->body, 0, NULL);
                    json_array_foreach(json_object_get(last_json, "objects"), k, o)
                        if (!strcmp(json_string_value(json_object_get(o, "id")), id))
                            owners |= org_bit(json_string_value(json_object_get(o, "submitted_by")));
                    if (owners != unit_owners(r, si, item_step[it], 0))
                        fail_msg("correlation: %s, scenario '%s', value of version %d: submitted by %#x, the model "
                                 "says %#x",
                                 r->name, scens[si].name, item_step[it], owners, unit_owners(r, si, item_step[it], 0));
                }
            }
        }
    }
}

static void check_match(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        char body[16384];
        size_t len = 0;
        int item_scen[512], item_step[512], n_items = 0;
        unsigned char hit[512];
        unsigned hit_owners[512];
        struct hresp *resp;
        json_t *m;
        size_t k;

        if (r->kind != K_USER)
            continue; /* matching is for members */
        len += (size_t)snprintf(body + len, sizeof body - len, "{\"values\":[");
        for (int si = 0; si < N_SCENS; si++) {
            int steps[MAX_STEPS], n;
            if (!wanted(si))
                continue;
            n = items_of(si, steps, MAX_STEPS);
            for (int it = 0; it < n; it++) {
                char value[64];
                assert_true(n_items < 512);
                version_value(si, steps[it], value, sizeof value);
                len += (size_t)snprintf(body + len, sizeof body - len, "%s\"%s\"", n_items ? "," : "", value);
                item_scen[n_items] = si;
                item_step[n_items] = steps[it];
                n_items++;
            }
        }
        len += (size_t)snprintf(body + len, sizeof body - len, "]}");
        assert_true(len < sizeof body);
        resp = req("POST", "/api/v1/match", key_of(r), body, len);
        if (resp->status != 200)
            fail_msg("match: %s answered %ld: %s", r->name, resp->status, resp->body);
        last_json = json_loads(resp->body, 0, NULL);
        assert_non_null(last_json);
        memset(hit, 0, sizeof hit);
        memset(hit_owners, 0, sizeof hit_owners);
        json_array_foreach(json_object_get(last_json, "matches"), k, m) {
            json_int_t item = json_integer_value(json_object_get(m, "item"));
            const char *ind = json_string_value(json_object_get(m, "indicator"));
            char id[80];
            if (item < 0 || item >= n_items || !ind)
                fail_msg("match: %s: a hit without its item or indicator", r->name);
            scen_id(item_scen[item], id, sizeof id);
            if (strcmp(ind, id))
                fail_msg("match: %s: item %lld hit %s", r->name, (long long)item, ind);
            hit[item] = 1;
            hit_owners[item] |= org_bit(json_string_value(json_object_get(m, "submitted_by")));
        }
        for (int it = 0; it < n_items; it++) {
            /* a live detection indicator of one of its units carries the value; each
             * unit is a hit naming its owner (R4: two owners' copies, two hits) */
            int want = unit_carries(r, item_scen[it], item_step[it], 1);
            unsigned owners = unit_owners(r, item_scen[it], item_step[it], 1);
            if (hit[it] != want)
                fail_msg("match: %s, scenario '%s', value of version %d: %s, the model says %s", r->name,
                         scens[item_scen[it]].name, item_step[it], hit[it] ? "hit" : "no hit", want ? "hit" : "no hit");
            if (hit_owners[it] != owners)
                fail_msg("match: %s, scenario '%s', value of version %d: hits submitted by %#x, the model says %#x",
                         r->name, scens[item_scen[it]].name, item_step[it], hit_owners[it], owners);
        }
    }
}

/* R7: a tombstone per withdrawn version, readable by whoever could read the version
 * under its marking, and by nobody else. */
static void check_tombstones(void)
{
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        struct hresp *resp;
        if (r->kind == K_ORG)
            continue;
        resp = req("GET", "/api/v1/objects?type=x-mreza-withdrawal&limit=10000", key_of(r), NULL, 0);
        if (resp->status != 200)
            fail_msg("tombstones: %s answered %ld", r->name, resp->status);
        for (int si = 0; si < N_SCENS; si++) {
            char id[96];
            int want = 0;
            if (!wanted(si))
                continue;
            for (int v = 0; v < MAX_STEPS; v++)
                want += model[si].withdrawn[v] && tlp_readable(r, &model[si], v);
            snprintf(id, sizeof id, "\"object_ref\":\"");
            scen_id(si, id + strlen(id), sizeof id - strlen(id));
            if (count_of(resp->body, id) != want)
                fail_msg("tombstones: %s, scenario '%s': %d, the model says %d", r->name, scens[si].name,
                         count_of(resp->body, id), want);
        }
    }
}

static void check_replies(int warnings)
{
    for (int si = 0; si < N_SCENS; si++)
        for (int i = 0; wanted(si) && i < scens[si].n; i++)
            check_step(si, i, warnings);
}

/* ---- registered ---- */

/* The oracle is not vacuous: every reader is served something in some scenario, and
 * something is hidden from every reader in another. (Until the model was built, a
 * test here also held the scenarios checked by the registered paths to the class
 * where the code before the model answered as the model does; with every rule built,
 * every scenario is checked, and that class no longer means anything.) */
static void test_oracle_not_vacuous(void **state)
{
    (void)state;
    for (int ri = 0; ri < N_READERS; ri++) {
        int some = 0, hidden = 0;
        for (int si = 0; si < N_SCENS; si++) {
            some |= served_version(&readers[ri], &model[si]) >= 0;
            hidden |= served_version(&readers[ri], &model[si]) < 0;
        }
        assert_true(some);
        assert_true(hidden);
    }
}

/* Status, duplicate and reported marking of every registered post (warnings are new
 * with the model: the pending tests compare them). */
static void test_replies(void **state)
{
    (void)state;
    check_replies(0);
}

static void test_get(void **state)
{
    (void)state;
    check_get();
}

static void test_get_versions(void **state)
{
    (void)state;
    check_get_versions();
}

static void test_list(void **state)
{
    (void)state;
    check_list(0);
}

static void test_list_versions(void **state)
{
    (void)state;
    check_list(1);
}

static void test_small_pages(void **state)
{
    (void)state;
    check_pages(0, 3);
    check_pages(1, 2);
}

static void test_filter_tlp(void **state)
{
    (void)state;
    check_filter_tlp();
}

static void test_filter_created_by(void **state)
{
    (void)state;
    check_filter_created_by(0);
}

static void test_count(void **state)
{
    (void)state;
    check_count();
}

static void test_export(void **state)
{
    (void)state;
    check_export();
}

/* Over every scenario, those the model changed included (posted here if no test
 * before did): a narrowing, a withdrawal, copies. */
static void test_added_after(void **state)
{
    (void)state;
    post_scenarios(1);
    only_scen = -1;
    check_added_after();
}

static void test_correlation(void **state)
{
    (void)state;
    check_correlation();
}

static void test_match(void **state)
{
    (void)state;
    check_match();
}

/* ---- what the model changed: each FAILED on the code before the model ---- */

/* Post the pending scenarios (once), then hold scenario `name` to the model: its
 * replies, every read path, and last the replies' warnings (so that a test fails for
 * its own reason first). */
static void check_pending_scenario(const char *name)
{
    int si;

    for (si = 0; si < N_SCENS && strcmp(scens[si].name, name); si++)
        ;
    assert_true(si < N_SCENS && scens[si].pending);
    post_scenarios(1);
    only_scen = si;
    check_replies(0);
    check_get();
    check_get_versions();
    check_list(0);
    check_list(1);
    check_pages(0, 3);
    check_filter_tlp();
    check_filter_created_by(1);
    check_count();
    check_export();
    check_correlation();
    check_match();
    check_tombstones();
    check_replies(1);
    only_scen = -1;
}

/* R3/R4: after GREEN -> RED, GREEN readers keep being served the GREEN version on
 * every path (tlp=green included), and the reply warns. Today GET serves it, but
 * list, count, export, correlation and match hide the id. */
static void pending_narrowing(void **state)
{
    (void)state;
    check_pending_scenario("narrowing green -> red");
}

/* R1/R2, the reproduction: another organisation posts al-cert's id with a
 * later `modified`, `revoked`. The id is open (no creator): me-cirt holds its own
 * copy, everyone else keeps al-cert's; match and correlation see both copies (R4).
 * Today GET serves the attacker's version to everyone who may read it. */
static void pending_takeover_by_csirt(void **state)
{
    (void)state;
    check_pending_scenario("takeover by another CSIRT");
}

/* The same by a reporter who cannot read al-cert's GREEN version, marking its own
 * CLEAR: served to its organisation and to those never entitled to al-cert's (the
 * anonymous reader), never to al-cert's readers. */
static void pending_takeover_by_reporter(void **state)
{
    (void)state;
    check_pending_scenario("takeover by a reporter who cannot read it");
}

/* R2.3: al-cert attested the id (created_by_ref itself): me-cirt's object is a later
 * object, served to me-cirt alone; nobody else correlates or matches it. */
static void pending_takeover_attested(void **state)
{
    (void)state;
    check_pending_scenario("takeover by another CSIRT, attested");
}

/* R2.3 with the read-back the model accepts: the anonymous reader, never entitled to
 * al-cert's GREEN claim, is not served the reporter's CLEAR copy either. */
static void pending_takeover_by_reporter_attested(void **state)
{
    (void)state;
    check_pending_scenario("takeover by a reporter, attested");
}

/* A name-based id is open whatever it names (Terms): the reporter's copy is served to
 * whoever was never entitled to al-cert's. */
static void pending_takeover_name_based(void **state)
{
    (void)state;
    check_pending_scenario("takeover on a name-based id");
}

/* R1.3: a colleague's version of a RED object it cannot read goes into a personal
 * object; the RED's reader keeps the RED version (today: replaced). */
static void pending_colleague_red(void **state)
{
    (void)state;
    check_pending_scenario("a colleague's version of a red it cannot read");
}

static void pending_colleague_red_attested(void **state)
{
    (void)state;
    check_pending_scenario("a colleague's version of a red it cannot read, attested");
}

/* Finding 1: after Alice's GREEN -> RED to analyst@me-cirt, her colleague re-posts the
 * GREEN (duplicate), posts its `modified` with other content (409: today a duplicate
 * that drops the content) and a newer GREEN, which joins the organisation's object and
 * is served to analyst@me-cirt too (the model's stated trade-off). */
static void pending_colleague_after_narrowing(void **state)
{
    (void)state;
    check_pending_scenario("colleague after a narrowing");
}

/* R1.2: a colleague posting the `modified` of the RED version it cannot read is
 * answered as a first post and keeps its version to itself (today: "duplicate"). */
static void pending_colleague_collision(void **state)
{
    (void)state;
    check_pending_scenario("colleague collides with a hidden version");
}

/* R5: a colleague who cannot read a RED object posting the same id and version learns
 * nothing: `duplicate` is false, as for a first post (today: true). */
static void pending_colleague_duplicate_reply(void **state)
{
    const char *body = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--3d0d3a11-7c55-4a9e-8f21-"
                       "999999999999\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-02T00:00:00.000Z\","
                       "\"name\":\"red of one\",\"pattern\":\"[domain-name:value = 'dup.model.example']\","
                       "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
                       "\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"]}";
    (void)state;
    assert_int_equal(req("POST", "/api/v1/objects", keys[U_ANALYST_A], body, strlen(body))->status, 201);
    assert_int_equal(req("POST", "/api/v1/objects", keys[U_ANALYST2_A], body, strlen(body))->status, 201);
    if (!strstr(last.body, "\"duplicate\":false"))
        fail_msg("a colleague learns of a RED object it cannot read: %s", last.body);
}

/* Finding 2 and the re-attack: two copies of a name-based id, the operator's first:
 * a reader holding neither is served the operator's, one entry, not two (the code
 * before the model: both in lists, the newest in GET; before the re-attack: the
 * national CSIRT's later copy, ranked higher, for everyone - a later "false positive,
 * whitelist it" displaced the operator's report, docs/model.md section 3). */
static void pending_open_copies_ranked(void **state)
{
    (void)state;
    check_pending_scenario("copies of an open id, the first before a higher-ranked later one");
}

/* R2.2: readers who may not read the first copy (al-cert's RED) are served the later
 * copies in rank order: me-cirt's, though the operator's came earlier (the accepted
 * residual of section 7). */
static void pending_later_copies_ranked(void **state)
{
    (void)state;
    check_pending_scenario("later copies of an open id, ranked");
}

/* An SCO posted by two organisations: each reads its own copy, the re-post is "new"
 * (R5), and lists carry the id once (today: once per owner). */
static void pending_sco_copies(void **state)
{
    (void)state;
    check_pending_scenario("an SCO held by two organisations");
}

/* Findings 5 and 8: me-cirt re-posts al-cert's attested object (duplicate, nothing
 * stored) and an edit still naming al-cert (skipped, the bundle stored); today's
 * provenance refuses both posts whole (400). */
static void pending_round_trip(void **state)
{
    (void)state;
    check_pending_scenario("round-trip of another member's object");
}

/* Finding 22: a revoked version arriving after a newer one wins, and a version after
 * it is refused (409) (today: the newest is served, the later one accepted). */
static void pending_revoked_late(void **state)
{
    (void)state;
    check_pending_scenario("revoked version arriving late");
}

/* Finding 9: an unmarked update inherits GREEN (today: AMBER+STRICT, defaulted). */
static void pending_unmarked_inherits(void **state)
{
    (void)state;
    check_pending_scenario("unmarked update inherits");
}

/* Finding 9: a revocation marked narrower than what it revokes is refused (409). */
static void pending_narrow_revocation(void **state)
{
    (void)state;
    check_pending_scenario("narrow revocation refused");
}

/* R7: al-cert withdraws v2 from everyone but analyst@me-cirt: the others fall back to
 * v1 on every path and see its tombstone (today: no withdraw endpoint). */
static void pending_withdraw_to(void **state)
{
    (void)state;
    check_pending_scenario("withdrawn but to analyst@B");
}

/* R2.4: after al-cert withdraws its copy of an open id, me-cirt's readers get nothing,
 * not the operator's copy placed behind it; the anonymous reader keeps that copy. */
static void pending_withdraw_no_fall_through(void **state)
{
    (void)state;
    check_pending_scenario("withdrawal of an open id does not fall through");
}

/* R2.4: an SCO's copies say the same thing: me-cirt's readers fall through to the
 * operator's CLEAR copy. */
static void pending_withdraw_sco_falls_through(void **state)
{
    (void)state;
    check_pending_scenario("withdrawal of an SCO falls through");
}

/* R9: author=self attests an object without created_by_ref (today: open, the
 * national CSIRT's copy ranked before the operator's claim). */
static void pending_author_self(void **state)
{
    (void)state;
    check_pending_scenario("claimed by author=self");
}

/* R3.4: narrow_revocation=true stores the narrow revocation (today: 409). */
static void pending_narrow_revocation_asked(void **state)
{
    (void)state;
    check_pending_scenario("narrow revocation asked for");
}

/* R9: `created_by` matches `created_by_ref` only (today: the owner for objects without
 * one); `submitted_by` matches the owner of the served object (today: ignored). */
static void pending_filters(void **state)
{
    (void)state;
    pending_kind = 0;
    only_scen = -1; /* an earlier pending test may have failed half-way */
    check_filter_created_by(1);
    for (int ri = 0; ri < N_READERS; ri++) {
        const struct reader *r = &readers[ri];
        if (r->kind == K_ORG)
            continue;
        for (int g = 0; g < N_ORGS; g++) {
            char path[200];
            struct hresp *resp;
            snprintf(path, sizeof path, "/api/v1/objects?" TYPES "&limit=10000&submitted_by=%s", org_ident[g]);
            resp = req("GET", path, key_of(r), NULL, 0);
            if (resp->status != 200)
                fail_msg("%s: %s answered %ld", path, r->name, resp->status);
            for (int si = 0; si < N_SCENS; si++) {
                int v = served_version(r, &model[si]);
                if (wanted(si))
                    expect_versions(resp->body, si, v >= 0 && users[scens[si].s[v].user].org == g ? 1u << v : 0u,
                                    path, r);
            }
        }
    }
}

/* R6: `modified` more than ingest.max_future_skew in the future is refused. */
static void pending_future_skew(void **state)
{
    const char *body = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--3d0d3a11-7c55-4a9e-8f21-"
                       "999999999998\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"9999-12-31T00:00:00.000Z\","
                       "\"name\":\"from the future\",\"pattern\":\"[domain-name:value = 'future.model.example']\","
                       "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
                       "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]}";
    (void)state;
    assert_int_equal(req("POST", "/api/v1/objects", keys[U_ANALYST_A], body, strlen(body))->status, 400);
    assert_non_null(strstr(last.body, "\"field\":\"/modified\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_replies_hide_versions),
        cmocka_unit_test(test_oracle_reads_hide_versions),
        cmocka_unit_test(test_oracle_not_vacuous),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_versions),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_list_versions),
        cmocka_unit_test(test_small_pages),
        cmocka_unit_test(test_filter_tlp),
        cmocka_unit_test(test_filter_created_by),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_correlation),
        cmocka_unit_test(test_match),
        cmocka_unit_test(pending_future_skew),
        /* pending_* tests that pass now (docs/model.md implemented) */
        cmocka_unit_test(pending_takeover_by_csirt),
        cmocka_unit_test(pending_takeover_by_reporter),
        cmocka_unit_test(pending_takeover_name_based),
        cmocka_unit_test(pending_colleague_after_narrowing),
        cmocka_unit_test(pending_colleague_duplicate_reply),
        cmocka_unit_test(pending_open_copies_ranked),
        cmocka_unit_test(pending_later_copies_ranked),
        cmocka_unit_test(pending_sco_copies),
        cmocka_unit_test(pending_round_trip),
        cmocka_unit_test(pending_unmarked_inherits),
        cmocka_unit_test(pending_narrow_revocation),
        cmocka_unit_test(pending_filters),
        cmocka_unit_test(pending_narrowing),
        cmocka_unit_test(pending_takeover_attested),
        cmocka_unit_test(pending_takeover_by_reporter_attested),
        cmocka_unit_test(pending_colleague_red),
        cmocka_unit_test(pending_colleague_red_attested),
        cmocka_unit_test(pending_colleague_collision),
        cmocka_unit_test(pending_revoked_late),
        cmocka_unit_test(pending_withdraw_to),
        cmocka_unit_test(pending_withdraw_no_fall_through),
        cmocka_unit_test(pending_withdraw_sco_falls_through),
        cmocka_unit_test(pending_author_self),
        cmocka_unit_test(pending_narrow_revocation_asked),
        cmocka_unit_test(test_added_after),
        cmocka_unit_test(h_test_servers_exit_cleanly), /* last: the server exits cleanly */
    };
    /* Not registered: tests of rules not built yet, which fail on today's code (none
     * today; issue 11 adds communities and nodes). Run them with MREZA_MODEL_PENDING=1
     * while implementing; move each into the list above once it passes. */
    const struct CMUnitTest pending[] = {
        cmocka_unit_test(h_test_servers_exit_cleanly),
    };

    if (getenv("MREZA_MODEL_PENDING"))
        return cmocka_run_group_tests(pending, setup, teardown);
    return cmocka_run_group_tests(tests, setup, teardown);
}
