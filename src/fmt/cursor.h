/* fmt/cursor.h - the opaque `next` token of paged lists. It carries only the
 * position (the store's sequence number of the last row served); every page
 * re-applies the query's filters and the reader's TLP grants, so a token that a
 * client forges or reuses with other filters can reveal nothing (TAXII 2.1 App. B). */
#ifndef MZ_CURSOR_H
#define MZ_CURSOR_H

#include <stdint.h>

#define CURSOR_STRLEN 24

/* Write the token for position seq (>= 0) into out (CURSOR_STRLEN bytes). */
void cursor_encode(int64_t seq, char *out);
/* Parse a token; returns 0 and sets *seq_out, or -1 if s is not a token. */
int cursor_decode(const char *s, int64_t *seq_out);

#endif
