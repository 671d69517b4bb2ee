/* tests/unit/util/test_log.c - util/log.c: a field's text can neither end the log line
 * nor start another key or value (mz_log_esc for bare fields, mz_log_quote for
 * msg="..." fields), and mz_log_write() keeps one event on one line whatever text a
 * caller passes unescaped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

struct esc_case {
    const char *in;
    const char *bare;   /* mz_log_esc */
    const char *quoted; /* mz_log_quote */
};

static const struct esc_case cases[] = {
    {"", "", ""},
    {"analyst@rs-cert", "analyst@rs-cert", "analyst@rs-cert"},
    {"/api/v1/objects?type=x", "/api/v1/objects?type%3Dx", "/api/v1/objects?type=x"},
    {"a b", "a%20b", "a b"},
    {"line\nts=1 lvl=error", "line%0Ats%3D1%20lvl%3Derror", "line%0Ats=1 lvl=error"},
    {"cr\rlf", "cr%0Dlf", "cr%0Dlf"},
    {"tab\there", "tab%09here", "tab%09here"},
    {"quote\" end", "quote%22%20end", "quote%22 end"},
    {"back\\slash", "back%5Cslash", "back%5Cslash"},
    {"100%", "100%25", "100%25"},
    {"del\x7f", "del%7F", "del%7F"},
    {"\x01\x1f", "%01%1F", "%01%1F"},
    {"utf-8 \xc5\xbe", "utf-8%20\xc5\xbe", "utf-8 \xc5\xbe"},
};

static void test_escape_table(void **state)
{
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(mz_log_esc(cases[i].in, out, sizeof out), cases[i].bare) != 0)
            fail_msg("esc '%s': '%s', want '%s'", cases[i].in, out, cases[i].bare);
        if (strcmp(mz_log_quote(cases[i].in, out, sizeof out), cases[i].quoted) != 0)
            fail_msg("quote '%s': '%s', want '%s'", cases[i].in, out, cases[i].quoted);
    }
}

/* Too little room: cut short, never an escape cut in half, always terminated. */
static void test_escape_cut(void **state)
{
    char out[8];

    (void)state;
    memset(out, 'z', sizeof out);
    assert_string_equal(mz_log_esc("abcdefghij", out, sizeof out), "abcdefg");
    assert_string_equal(mz_log_esc("ab\n\n\n", out, sizeof out), "ab%0A");
    assert_string_equal(mz_log_esc("\n\n\n", out, 4), "%0A");
    assert_string_equal(mz_log_esc("\n", out, 3), "");
    /* MZ_LOG_ESC_LEN is room for every byte escaped */
    {
        char big[MZ_LOG_ESC_LEN(5)];
        assert_string_equal(mz_log_esc("\n\n\n\n\n", big, sizeof big), "%0A%0A%0A%0A%0A");
    }
}

/* What mz_log_write() writes to stderr for one event. */
static char *logged(const char *text)
{
    FILE *f = tmpfile();
    int saved = dup(2);
    long n;
    char *buf;

    assert_non_null(f);
    assert_true(saved >= 0);
    fflush(stderr);
    assert_int_equal(dup2(fileno(f), 2), 2);
    mz_log_write(MZ_LOG_WARN, "event=test msg=\"%s\"", text);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* A caller that forgot to escape still writes one line: the newline and the other
 * control bytes of the formatted line become %XX; the line's own end is one \n. */
static void test_write_one_line(void **state)
{
    char *out = logged("forged\nts=2026-01-01T00:00:00.000Z lvl=error event=tlp_alarm\r\x1b[2J");

    (void)state;
    assert_non_null(strstr(out, "forged%0Ats=2026-01-01T00:00:00.000Z lvl=error event=tlp_alarm%0D%1B[2J\"\n"));
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
    assert_null(strchr(out, '\r'));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_escape_cut),
        cmocka_unit_test(test_write_one_line),
    };
    mz_log_init(MZ_LOG_DEBUG);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
