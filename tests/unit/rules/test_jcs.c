/* tests/unit/rules/test_jcs.c - unit tests of rules/jcs.c, the JSON Canonicalization
 * Scheme (RFC 8785) that STIX 2.1's deterministic SCO ids hash (rules/sco_id.c).
 * The vectors are RFC 8785's own: the numbers of its Appendix B (given as the bits of
 * the double, as the RFC gives them), the example of section 3.2.4 (numbers, escapes,
 * literals) and the member sorting of section 3.2.3 (UTF-16 code units: an emoji,
 * a surrogate pair, sorts before U+FB33). Also: a sink that stops, nesting, the
 * same value in another layout and key order giving the same text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rules/jcs.h"
#include "util/buf.h"

static int buf_sink(void *ctx, const char *piece, size_t len)
{
    return mz_buf_append(ctx, piece, len) != MZ_OK;
}

/* The JCS text of the JSON text in, into out (cap bytes). */
static void canon(const char *in, char *out, size_t cap)
{
    json_error_t je;
    json_t *v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    struct mz_buf b;

    if (!v)
        fail_msg("cannot parse %s: %s", in, je.text);
    mz_buf_init(&b, 1 << 20);
    assert_int_equal(jcs_write(v, buf_sink, &b), MZ_OK);
    assert_true(b.len < cap);
    memcpy(out, b.data, b.len + 1);
    mz_buf_free(&b);
    json_decref(v);
}

static void test_numbers_appendix_b(void **state)
{
    static const struct {
        uint64_t bits;
        const char *want;
    } cases[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[JCS_NUMBER_MAX], name[64];
        double d;
        size_t n;
        memcpy(&d, &cases[i].bits, sizeof d);
        n = jcs_number(d, got);
        snprintf(name, sizeof name, "%016llx", (unsigned long long)cases[i].bits);
        if (strcmp(got, cases[i].want) || n != strlen(got))
            fail_msg("%s: got '%s' (%zu), want '%s'", name, got, n, cases[i].want);
    }
}

static void test_example_3_2_4(void **state)
{
    char out[256];

    (void)state;
    canon("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
          "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
          "  \"literals\": [null, true, false]\n}",
          out, sizeof out);
    assert_string_equal(out, "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                             "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void test_sorting_3_2_3(void **state)
{
    char out[512];

    (void)state;
    canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
          "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
          "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
          out, sizeof out);
    assert_string_equal(out, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
                             "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
                             "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                             "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* Escapes: only ", \ and the C0 controls; DEL, U+2028 and '/' stay as they are; a
 * NUL inside a string is \u0000. */
static void test_strings(void **state)
{
    char out[256];

    (void)state;
    canon("\"a\\u0000b\\u001fc\\u007f\\u2028/\\b\\f\\t\"", out, sizeof out);
    assert_string_equal(out, "\"a\\u0000b\\u001fc\x7f\xe2\x80\xa8/\\b\\f\\t\"");
}

/* Layout and member order do not change the text; nesting sorts at every level;
 * a prefix sorts before the longer name. */
static void test_same_value_same_text(void **state)
{
    char a[256], b[256];

    (void)state;
    canon("{\"b\":[1,{\"z\":true,\"y\":null}],\"a\":{\"ab\":1.0,\"a\":-0}}", a, sizeof a);
    canon("{ \"a\" : { \"a\" : 0 , \"ab\" : 1 } ,\n \"b\" : [ 1 , { \"y\" : null , \"z\" : true } ] }", b, sizeof b);
    assert_string_equal(a, "{\"a\":{\"a\":0,\"ab\":1},\"b\":[1,{\"y\":null,\"z\":true}]}");
    assert_string_equal(a, b);
    canon("{}", a, sizeof a);
    assert_string_equal(a, "{}");
    canon("[]", a, sizeof a);
    assert_string_equal(a, "[]");
}

static int stop_sink(void *ctx, const char *piece, size_t len)
{
    int *n = ctx;

    (void)piece;
    (void)len;
    return ++*n >= 3;
}

static void test_sink_stops(void **state)
{
    json_t *v = json_pack("{s:[i,i,i],s:s}", "a", 1, 2, 3, "b", "text");
    int n = 0;

    (void)state;
    assert_int_equal(jcs_write(v, stop_sink, &n), MZ_EIO);
    assert_int_equal(n, 3); /* nothing more is written once the sink said stop */
    assert_int_equal(jcs_write(NULL, stop_sink, &n), MZ_EINVAL);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_appendix_b),
        cmocka_unit_test(test_example_3_2_4),
        cmocka_unit_test(test_sorting_3_2_3),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_same_value_same_text),
        cmocka_unit_test(test_sink_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
