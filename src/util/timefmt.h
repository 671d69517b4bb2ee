/* util/timefmt.h - RFC 3339 timestamps as STIX 2.1 and TAXII 2.1 use them.
 * STIX requires UTC with a literal "Z" and allows any number of fraction digits;
 * mreža keeps the received text and compares parsed values (to the nanosecond).
 * date_added values are written with exactly six fraction digits, so they also sort
 * correctly as text. Written by hand because strptime() accepts far more than the
 * STIX grammar and has no fractional seconds. */
#ifndef MZ_TIMEFMT_H
#define MZ_TIMEFMT_H

#include <stdint.h>

struct mz_time {
    int64_t sec;  /* seconds since 1970-01-01T00:00:00Z */
    int32_t nsec; /* 0..999999999 */
};

#define MZ_TIME_STRLEN 28 /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + NUL */

/* Parse a STIX timestamp. Returns 0 on success, -1 if s is not of the form
 * YYYY-MM-DDTHH:MM:SS[.fraction]Z with a valid calendar date. */
int mz_time_parse(const char *s, struct mz_time *out);
int mz_time_cmp(const struct mz_time *a, const struct mz_time *b);
void mz_time_now(struct mz_time *out);
/* Format with microseconds into out (MZ_TIME_STRLEN bytes). */
void mz_time_format_us(const struct mz_time *t, char *out);

#endif
