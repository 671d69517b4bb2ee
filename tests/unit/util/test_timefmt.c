/* tests/unit/util/test_timefmt.c - unit tests of util/timefmt.c.
 * Covers mz_time_parse() against tables of accepted timestamps (with their exact
 * seconds and nanoseconds) and rejected ones (missing or lowercase Z, offsets, "."
 * without digits, impossible calendar dates, hour 24, minute 60, second 61), and the
 * STIX leap second (second 60, which the STIX schema allows); mz_time_cmp() on a table
 * of pairs; mz_time_format_us() and its round trip through mz_time_parse(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/timefmt.h"

/* Compare an integer result of table case `name` with the expected one; on failure
 * cmocka prints both strings, so the failing case is named. */
#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[256], w_[256];                                                   \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

struct accept_case {
    const char *text;
    int64_t sec;
    int32_t nsec;
};

static const struct accept_case accepted[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"1970-01-01T00:00:00.000Z", 0, 0},
    {"2016-05-12T08:17:27Z", 1463041047, 0},
    {"2016-05-12T08:17:27.1Z", 1463041047, 100000000},
    {"2016-05-12T08:17:27.000Z", 1463041047, 0},
    {"2016-05-12T08:17:27.123Z", 1463041047, 123000000},
    {"2016-05-12T08:17:27.123456Z", 1463041047, 123456000},
    {"2016-05-12T08:17:27.123456789Z", 1463041047, 123456789},
    /* digits past the nanosecond are allowed and dropped */
    {"2016-05-12T08:17:27.1234567891Z", 1463041047, 123456789},
    {"2016-05-12T08:17:27.999999999Z", 1463041047, 999999999},
    {"1969-12-31T23:59:59Z", -1, 0},
    {"0001-01-01T00:00:00Z", -62135596800LL, 0},
    {"9999-12-31T23:59:59Z", 253402300799LL, 0},
    /* Feb 29 in leap years: divisible by 4, and by 400 */
    {"2024-02-29T12:00:00Z", 1709208000, 0},
    {"2000-02-29T23:59:59Z", 951868799, 0},
    /* last second of the year, and a leap second (the STIX schema allows :60) */
    {"2016-12-31T23:59:59Z", 1483228799, 0},
    {"2016-12-31T23:59:60Z", 1483228800, 0},
    {"2017-01-01T00:00:00Z", 1483228800, 0},
};

static const char *const rejected[] = {
    "",
    "2016",
    "2016-05-12",
    "2016-05-12T08:17:27",          /* no Z */
    "2016-05-12T08:17:27.123",      /* fraction, no Z */
    "2016-05-12T08:17:27z",         /* lowercase z */
    "2016-05-12t08:17:27Z",         /* lowercase t */
    "2016-05-12 08:17:27Z",         /* space for T */
    "2016-05-12T08:17:27+01:00",    /* offsets are not UTC */
    "2016-05-12T08:17:27+00:00",
    "2016-05-12T08:17:27.123+01:00",
    "2016-05-12T08:17:27.Z",        /* "." without digits */
    "2016-05-12T08:17:27.",
    "2016-05-12T08:17:27.12a4Z",
    "2016-05-12T08:17:27ZZ",        /* trailing text */
    "2016-05-12T08:17:27Z ",
    " 2016-05-12T08:17:27Z",
    "2016-05-12T08:17Z",            /* no seconds */
    "16-05-12T08:17:27Z",           /* two-digit year */
    "2016-5-12T08:17:27Z",
    "2016-05-1T08:17:27Z",
    "2016-05-12T8:17:27Z",
    "2016/05/12T08:17:27Z",
    "2016-05-12T08-17-27Z",
    "+2016-05-12T08:17:27Z",
    "2016-13-01T00:00:00Z",         /* month 13 */
    "2016-00-01T00:00:00Z",         /* month 0 */
    "2016-01-00T00:00:00Z",         /* day 0 */
    "2016-01-32T00:00:00Z",
    "2016-04-31T00:00:00Z",         /* April has 30 days */
    "2023-02-29T00:00:00Z",         /* not a leap year */
    "1900-02-29T00:00:00Z",         /* divisible by 100, not by 400 */
    "2024-02-30T00:00:00Z",
    "2016-05-12T24:00:00Z",         /* hour 24 */
    "2016-05-12T08:60:00Z",         /* minute 60 */
    "2016-05-12T08:17:61Z",         /* second 61 */
    "2016-05-12T08:17:99Z",
};

static void test_parse_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        struct mz_time t = {-12345, -1};
        assert_case_int(accepted[i].text, mz_time_parse(accepted[i].text, &t), 0);
        assert_case_int(accepted[i].text, t.sec, accepted[i].sec);
        assert_case_int(accepted[i].text, t.nsec, accepted[i].nsec);
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        struct mz_time t = {0, 0};
        assert_case_int(rejected[i], mz_time_parse(rejected[i], &t), -1);
    }
}

struct cmp_case {
    const char *a, *b;
    int want; /* sign of mz_time_cmp(a, b) */
};

static const struct cmp_case cmps[] = {
    {"2016-05-12T08:17:27Z", "2016-05-12T08:17:27Z", 0},
    {"2016-05-12T08:17:27Z", "2016-05-12T08:17:27.000000Z", 0},
    {"2016-05-12T08:17:27.5Z", "2016-05-12T08:17:27.500Z", 0},
    {"2016-05-12T08:17:27Z", "2016-05-12T08:17:27.000000001Z", -1},
    {"2016-05-12T08:17:27.000000002Z", "2016-05-12T08:17:27.000000001Z", 1},
    {"2016-05-12T08:17:27.999999999Z", "2016-05-12T08:17:28Z", -1},
    {"2016-05-12T08:17:28Z", "2016-05-12T08:17:27.999999999Z", 1},
    {"2016-05-12T08:17:27.9Z", "2016-05-12T08:17:27.10Z", 1},
    {"1969-12-31T23:59:59.5Z", "1970-01-01T00:00:00Z", -1},
    {"2017-01-01T00:00:00Z", "2016-12-31T23:59:59Z", 1},
    {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z", 0},
};

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void test_cmp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        struct mz_time a, b;
        assert_case_int(cmps[i].a, mz_time_parse(cmps[i].a, &a), 0);
        assert_case_int(cmps[i].b, mz_time_parse(cmps[i].b, &b), 0);
        assert_case_int(cmps[i].a, sign(mz_time_cmp(&a, &b)), cmps[i].want);
        assert_case_int(cmps[i].b, sign(mz_time_cmp(&b, &a)), -cmps[i].want);
    }
}

struct fmt_case {
    const char *in;
    const char *out; /* mz_time_format_us() of the parsed value */
};

static const struct fmt_case fmts[] = {
    {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"},
    {"2016-05-12T08:17:27Z", "2016-05-12T08:17:27.000000Z"},
    {"2016-05-12T08:17:27.1Z", "2016-05-12T08:17:27.100000Z"},
    {"2016-05-12T08:17:27.123456Z", "2016-05-12T08:17:27.123456Z"},
    {"2016-05-12T08:17:27.1234569Z", "2016-05-12T08:17:27.123456Z"}, /* truncated */
    {"2024-02-29T23:59:59.999999Z", "2024-02-29T23:59:59.999999Z"},
    {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000000Z"},
    {"9999-12-31T23:59:59.5Z", "9999-12-31T23:59:59.500000Z"},
};

static void test_format_us_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        struct mz_time t, back;
        char out[MZ_TIME_STRLEN];
        memset(out, 'x', sizeof out);
        assert_case_int(fmts[i].in, mz_time_parse(fmts[i].in, &t), 0);
        mz_time_format_us(&t, out);
        assert_string_equal(out, fmts[i].out);
        assert_int_equal(strlen(out), MZ_TIME_STRLEN - 1);
        /* the formatted text parses back to the same microsecond */
        assert_int_equal(mz_time_parse(out, &back), 0);
        assert_case_int(out, back.sec, t.sec);
        assert_case_int(out, back.nsec, t.nsec / 1000 * 1000);
    }
}

static void test_now_formats_and_parses(void **state)
{
    struct mz_time now, back;
    char out[MZ_TIME_STRLEN];

    (void)state;
    mz_time_now(&now);
    assert_true(now.nsec >= 0 && now.nsec <= 999999999);
    mz_time_format_us(&now, out);
    assert_int_equal(mz_time_parse(out, &back), 0);
    assert_int_equal(back.sec, now.sec);
    assert_int_equal(back.nsec, now.nsec / 1000 * 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_cmp_table),
        cmocka_unit_test(test_format_us_round_trip),
        cmocka_unit_test(test_now_formats_and_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
