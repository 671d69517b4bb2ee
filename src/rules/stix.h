/* rules/stix.h - STIX 2.1 object rules: which types exist, what each requires, and
 * the checks of ids, timestamps and references (STIX 2.1 sections 2-7).
 * stix_validate() checks one parsed object and pulls out what the store indexes.
 * Other STIX 2.1 types and custom objects (x- types, or types defined by an
 * extension-definition of extension_type new-sdo/new-sco/new-sro) are accepted with
 * the common-property checks, so real bundles from other producers load whole.
 * Indicators with pattern_type "stix" must carry a valid STIX pattern
 * (rules/pattern.h); the error then gives the position in the pattern.
 * A marking-definition under the id of a standard one (TLP 2.0, or STIX 2.1's TLP
 * 1.0: rules/tlp.h) must equal the standard's as a JSON value; any other content is
 * refused, naming the first property that differs. An SCO under a UUIDv5 id must carry
 * the id its content gives (STIX 2.1 section 2.9, docs/model.md R8: rules/sco_id.h).
 * STIX ids are written in lowercase hex in the object's `id` and every reference the
 * standard defines (custom `x_` content is left as received): R8 too. */
#ifndef MZ_STIX_H
#define MZ_STIX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum stix_kind {
    STIX_SDO,
    STIX_SRO,
    STIX_SCO,
    STIX_META,   /* marking-definition, extension-definition, language-content */
    STIX_CUSTOM  /* x- type or an extension-defined type */
};

#define STIX_VKEY_LEN 32

/* What stix_validate() learns of an object. String pointers are borrowed from the
 * json_t and live as long as it; audience is heap memory owned by the struct and
 * released by stix_info_clear(). */
struct stix_info {
    const char *id;
    const char *type;
    enum stix_kind kind;
    const char *version;               /* modified, or created, or "" for SCOs */
    char version_key[STIX_VKEY_LEN];   /* version as fixed-width text that sorts */
    const char *created_by_ref;        /* or NULL */
    int tlp;                           /* highest TLP level in object_marking_refs, or -1 */
    int tlp_granular;                  /* highest TLP level of a granular marking (or of
                                          a marking of an object nested inside), or -1;
                                          tlp_decide() (rules/tlp.h) makes the two one */
    const char *standard_body;         /* a standard marking definition: its text as the
                                          standard writes it (static), stored and served
                                          in place of the copy received; else NULL */
    int revoked;
    char *audience;                    /* x_mreza_recipient_refs joined by spaces, or NULL */
    int match_plan;                    /* indicators: enum observe_plan; else -1 */
    char *observables;                 /* canonical observables, "<kind> <value>\n" each
                                          (heap, owned; NULL if none) */
    int64_t valid_from, valid_until;   /* indicators, microseconds; INT64_MIN/MAX if absent */
};

/* Check obj against the STIX 2.1 rules of its type. On failure err names the problem
 * and err->field points at the property (relative to the object, e.g. "/modified"). */
enum mz_err stix_validate(json_t *obj, struct stix_info *info, struct mz_error *err);
void stix_info_clear(struct stix_info *info);

/* The version key (stix_info.version_key) of a `modified` or `created` value v into
 * out (STIX_VKEY_LEN bytes): 0, or -1 (out "") when v is no RFC 3339 timestamp. */
int stix_version_key(const char *v, char *out);
/* 1 if s is "<type>--<RFC 4122 UUID>"; with want_type non-NULL, type must equal it. */
int stix_id_valid(const char *s, const char *want_type);
/* 1 if s is a STIX id (stix_id_valid) whose UUID has an uppercase hex digit. The
 * node refuses those on write (docs/model.md R8); stores written before may hold
 * some, which stay readable as spelt. */
int stix_id_has_upper(const char *s);
/* MZ_OK, or MZ_EINVAL at field (a JSON pointer) when id has uppercase hex, the
 * message giving the lowercase spelling to write instead. */
enum mz_err stix_id_case_check(const char *id, const char *field, struct mz_error *err);
/* 1 if t is a STIX 2.1 type name this release knows (not a custom one). */
int stix_type_known(const char *t);
/* The version digit of id's UUID (4 random, 5 name-based...), or -1. */
int stix_id_uuid_version(const char *id);
/* 1 if id names an object of a STIX 2.1 SCO type (its id derived from its value). */
int stix_id_is_sco(const char *id);

#endif
