/* rules/tlp.h - TLP 2.0 (FIRST) as mreža enforces it. The one place that decides who
 * may read what; every read path (get, list, count, export, and later correlation and
 * federation) goes through tlp_visibility() to query and tlp_can_read() to check.
 *
 *   CLEAR        anyone (unauthenticated readers too, where the node allows them)
 *   GREEN        every member (any role) of an organisation that reads a community
 *                the version is shared into (issue 11, docs/federation.md section
 *                2); also its owner organisation, its submitter and its addressees
 *   AMBER        the creating organisation, the organisations (or users) it lists
 *                in x_mreza_recipient_refs, and those a recipient passed it on to
 *                (shared_to: share records)
 *   AMBER+STRICT as AMBER; passed on by nobody but its owner
 *   RED          only the submitting user and the individual users listed in
 *                x_mreza_recipient_refs (or the owner passed it on to)
 * No community widens AMBER, AMBER+STRICT or RED. An object without a TLP marking
 * is handled as AMBER+STRICT of its creator's organisation (the safe default) and
 * the API reports that it was defaulted. STIX 2.1's TLP 1.0 markings are mapped
 * (WHITE -> CLEAR). Another node (ROLE_PEER) reads by the border rules of
 * docs/federation.md section 7 (the peer column of tlp_can_read).
 *
 * The marking definitions themselves are fixed by the standards (TLP 2.0's five,
 * STIX 2.1's four of TLP 1.0): this file holds them as text, and nothing a member
 * posts may take their place (rules/stix.c refuses any other content under their
 * ids; domain/svc_objects.c serves only this text under them). */
#ifndef MZ_TLP_H
#define MZ_TLP_H

#include <stdint.h>

#include "rules/principal.h"
#include "store/store.h"

enum tlp_level {
    TLP_CLEAR = 0,
    TLP_GREEN,
    TLP_AMBER,
    TLP_AMBER_STRICT,
    TLP_RED
};

#define TLP_DEFAULT TLP_AMBER_STRICT
#define TLP_N_LEVELS 5

/* Level of a marking-definition id, or -1 if it is not a TLP marking. Ids are
 * compared without regard to case (an upper-case RED id is RED). */
int tlp_from_marking_id(const char *id);

/* The standard marking definitions: indexes 0..TLP_N_STANDARD-1, TLP 2.0's first in
 * the order of enum tlp_level (index l is level l's), then TLP 1.0's. */
#define TLP_N_STANDARD 9
/* Index of the standard marking definition id names (case-insensitively), or -1. */
int tlp_standard_index(const char *id);
/* Its id as the standard spells it, its name ("TLP:WHITE") and the object as JSON
 * text (static). */
const char *tlp_standard_id(int i);
const char *tlp_standard_label(int i);
const char *tlp_standard_json(int i);
/* "clear", "green", "amber", "amber+strict", "red" (case-insensitive; "white" is
 * accepted for CLEAR, and "amber strict", what ?tlp=amber+strict decodes to in a
 * query string, for AMBER+STRICT) -> level, or -1. */
int tlp_parse(const char *name);
/* "TLP:AMBER+STRICT" style label. */
const char *tlp_label(enum tlp_level l);
/* "amber+strict" style name. */
const char *tlp_name(enum tlp_level l);
/* The STIX 2.1 TLP 2.0 marking-definition id and object (static text). */
const char *tlp_marking_id(enum tlp_level l);
const char *tlp_marking_json(enum tlp_level l);

/* How an object is marked as a whole, from the TLP levels its markings name:
 * object_level the highest of object_marking_refs, granular_level the highest of its
 * granular markings (each -1 when there is none). The most restrictive marking found
 * anywhere in the object applies to all of it, since parts are never served apart:
 * a GREEN object with a RED description is RED. Without an object-level marking the
 * parts not marked granularly take the default (AMBER+STRICT), so a granular marking
 * only ever raises that. */
struct tlp_decision {
    enum tlp_level level;
    int defaulted; /* 1: no marking decided it: level is TLP_DEFAULT */
    int raised;    /* 1: a granular marking made it stricter than the object's own */
};
struct tlp_decision tlp_decide(int object_level, int granular_level);

/* What the store needs to know about an object to decide. */
struct tlp_meta {
    int tlp;
    int64_t owner_org;
    int64_t submitter;
    const char *audience;  /* space-separated identity ids, or NULL */
    uint64_t comm;         /* the communities the version is shared into (bits) */
    const char *shared_to; /* identities it was passed on to (share records): read as
                              part of the audience; or NULL */
    int directory;         /* the identity object of one of this node's organisations
                              (what every peer may read: its directory) */
};

/* 1 if an object of this level may be seen by the whole community (CLEAR, GREEN):
 * only such objects may be combined into something every member sees, such as a
 * regional campaign. */
int tlp_community_wide(int level);
/* 1 if version m counts for a campaign of the community with bit mask k (one bit):
 * CLEAR or GREEN and shared into it (docs/model.md R11.6). */
int tlp_in_community(const struct tlp_meta *m, uint64_t k);

/* Grants that see every level: only for the node's own internal work on behalf of
 * nobody (building the index), whose results are filtered per reader later. */
void tlp_visibility_internal(struct store_vis *vis);

/* Fill vis with the grants of p. For every reader but a peer they are exactly what
 * tlp_can_read decides; for a peer (ROLE_PEER) they are wider (every level but RED),
 * and tlp_can_read decides each row (a peer has many identities). */
void tlp_visibility(const struct principal *p, struct store_vis *vis);
/* 1 if p may read an object with meta m: the member column of docs/federation.md
 * section 7's table, or, for ROLE_PEER, the peer column (CLEAR; GREEN of the
 * communities it reads, and the node's directory; AMBER naming one of its
 * organisations; AMBER+STRICT naming only its organisations; never RED). Identities
 * compare without regard to case. */
int tlp_can_read(const struct principal *p, const struct tlp_meta *m);

/* 1 if some reader may read an object with meta a and not one with meta b
 * (docs/model.md R3.4: b narrows a). Withdrawals aside. */
int tlp_narrower(const struct tlp_meta *a, const struct tlp_meta *b);

/* The marking of a sighting that principal p reports of an indicator with marking m: a
 * sighting names its indicator, so it may reach no one who may not see the indicator.
 * TLP_AMBER (of p's organisation, addressed also to the indicator's organisation, which
 * may see its own indicator) when every member of p's organisation, whatever its role,
 * may read the indicator: CLEAR; GREEN shared into a community the organisation reads;
 * GREEN, AMBER and AMBER+STRICT that the organisation owns or that are addressed
 * (or passed on) to it (what is addressed to one person is not the organisation's).
 * Else TLP_RED (to p and the person who shared the indicator). */
enum tlp_level tlp_sighting_level(const struct tlp_meta *m, const struct principal *p);

#endif
