/* rules/jcs.h - the JSON Canonicalization Scheme (RFC 8785, "JCS") of a parsed JSON
 * value: no whitespace, object members sorted by their names' UTF-16 code units,
 * strings with the minimal escapes, numbers as ECMAScript writes an IEEE 754 double.
 * Two JSON texts that mean the same value have the same JCS form, so a hash of it
 * names the value whatever its layout and key order. STIX 2.1 (section 2.9) hashes
 * the JCS form of an SCO's ID-contributing properties into its UUIDv5 id
 * (rules/sco_id.h); docs/model.md's version digest is defined on it too.
 *
 * The form is written through a sink, piece by piece, so that a hash can consume it
 * without the whole text ever being held in memory. Hand-written: Debian packages no
 * C implementation of RFC 8785, and jansson's JSON_SORT_KEYS output is not it (it
 * sorts bytes, escapes with upper-case hex and writes numbers with %.17g). */
#ifndef MZ_JCS_H
#define MZ_JCS_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

/* Receives the next piece of the canonical text (not NUL-terminated); nonzero stops
 * the writing (jcs_write then returns MZ_EIO). */
typedef int (*jcs_sink_fn)(void *ctx, const char *piece, size_t len);

/* Write the JCS form of v to sink. MZ_OK; MZ_ENOMEM (sorting an object's members
 * needs a small array per object); MZ_EINVAL for what JSON cannot hold (a real that
 * is not finite: jansson never parses one); MZ_EIO when the sink stopped. */
enum mz_err jcs_write(const json_t *v, jcs_sink_fn sink, void *ctx);

/* The ECMAScript text of the double d (RFC 8785 section 3.2.2.3) into out, which
 * has room for JCS_NUMBER_MAX bytes; returns its length. d must be finite. */
#define JCS_NUMBER_MAX 32
size_t jcs_number(double d, char *out);

#endif
