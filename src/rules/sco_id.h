/* rules/sco_id.h - the deterministic ids of STIX 2.1 cyber observables (section 2.9):
 * an SCO's id SHOULD be the UUIDv5, in the namespace
 * 00abedb4-aa42-466c-9c01-fed23315a9b7, of the JCS form (RFC 8785, rules/jcs.h) of the
 * object made of its type's ID-contributing properties that it carries, `hashes`
 * reduced to one hash (MD5, else SHA-1, else SHA-256, else SHA-512, else the first
 * listed; names of the STIX hash vocabulary read as the OASIS stix2 library reads
 * them: "sha256" is SHA-256).
 *
 * docs/model.md R8 makes that binding a rule: two organisations that post the same
 * observable meet under one id, and a reader served another's copy of an SCO id
 * (R2.4) is served the value the id names. So an SCO whose id is a UUIDv5 must carry
 * the UUIDv5 of its ID-contributing properties, or stix_validate() refuses it (400,
 * naming the id it should have). A UUIDv4 id stays allowed (the standard allows it,
 * and MISP, for one, exports SCOs under its attributes' v4 uuids); so do the types
 * whose ID-contributing properties this release does not know (process has none;
 * custom SCOs are defined by their extension). */
#ifndef MZ_SCO_ID_H
#define MZ_SCO_ID_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define SCO_ID_MAX 300 /* "<type>--<uuid>" and a NUL: a type name is at most 250 bytes */

/* The id STIX 2.1 section 2.9 gives obj, an SCO of type `type`, into out (SCO_ID_MAX
 * bytes). MZ_OK with *n_props_out > 0: out holds it; with *n_props_out == 0 the
 * type has ID-contributing properties but obj carries none of them (out ""). MZ_ENOTFOUND: this release
 * knows no ID-contributing properties for the type. MZ_ENOMEM. */
enum mz_err sco_id_compute(const json_t *obj, const char *type, char *out, int *n_props_out);

/* R8 for obj, whose type and id stix_validate() has checked: MZ_OK, or MZ_EINVAL
 * with err naming "/id" and the id obj's content gives (or why it has none). */
enum mz_err sco_id_check(const json_t *obj, const char *type, const char *id, struct mz_error *err);

#endif
