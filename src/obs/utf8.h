/* obs/utf8.h - UTF-8 well-formedness (RFC 3629): the one check that observables
 * (IDN labels, URLs), STIX patterns and log lines use, so that a byte string that one
 * of them accepts as text the others accept too.
 *
 * Well-formed means: no stray continuation bytes, no overlong forms (C0, C1, E0 80-9F,
 * F0 80-8F), no UTF-16 surrogates (ED A0-BF), nothing above U+10FFFF (F4 90-, F5-FF),
 * no sequence cut short by the end of the input. */
#ifndef MZ_OBS_UTF8_H
#define MZ_OBS_UTF8_H

#include <stddef.h>

/* Length of the well-formed sequence at s[0..n) (n >= 1): 1 for ASCII (NUL included),
 * 2-4 otherwise, 0 if it is ill-formed. */
size_t utf8_len(const unsigned char *s, size_t n);

/* Length of the longest prefix of s[0..n) that is well-formed UTF-8 without a NUL
 * byte: n if all of it is, else the offset of the NUL byte or of the first byte of
 * the ill-formed sequence. Runs of ASCII go 16 (SSE2) or 8 bytes a step. */
size_t utf8_span(const char *s, size_t n);

/* 1 when s[0..n) is text a person may be shown as it is (in a terminal, a log, a
 * page): well-formed UTF-8 (utf8_span) without control characters - C0 (NUL and
 * tabs included), DEL, C1 (U+0080-U+009F) - nor the bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what is read;
 * else 0. The one check for everything a person or a peer names that the node shows
 * (organisations' and communities' names, rosters, directories, key comments). */
int utf8_text_ok(const char *s, size_t n);

#endif
