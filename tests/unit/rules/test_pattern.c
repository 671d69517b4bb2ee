/* tests/unit/rules/test_pattern.c - unit tests of the pattern module
 * (rules/pattern_*.c: STIX patterning).
 * Covers: every OASIS specification example (tests/data/pattern/, see
 * tests/data/SOURCE.md) and a table of further accepted patterns (each literal kind,
 * operator spelling, qualifier, whitespace form and limit); a table of rejected
 * patterns with the exact error position, code and a message substring (syntax,
 * lowercase keywords, names, escapes, literals, qualifier rules, mixed object types,
 * regular expressions, invalid UTF-8, nesting and length limits); pattern_plan() on a
 * table of patterns with the plan kind and the exact list of terms, and stopping when
 * the callback asks; pattern_eval() on a table of patterns and observations (CIDR
 * arithmetic, LIKE, MATCHES, IN, NOT, !=, numbers, booleans, timestamps, binary
 * literals, EXISTS, list paths, partial answers for temporal patterns);
 * pattern_is_temporal(); MATCHES within PCRE2's limits (the expressions that made
 * glibc's matcher explode stop at a small step limit and are counted, are decided
 * under the defaults; backtracking's own bad cases stop at the default limits; a deep
 * one at the heap limit); and a deterministic robustness run over 10 000 mutations of
 * valid patterns, which checks the error message form, that accepted patterns plan,
 * evaluate and free cleanly (under ASan), and that every term of an EXACT plan
 * matches on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/pattern.h"
#include "rules/pattern_int.h" /* pattern_regex_*: MATCHES without the parser's guard */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[1024], w_[1024];                                                   \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define assert_case_str(name, got, want)                                         \
    do {                                                                         \
        char g_[8400], w_[8400];                                                 \
        snprintf(g_, sizeof g_, "%s => %s", (name), (got));                      \
        snprintf(w_, sizeof w_, "%s => %s", (name), (want));                     \
        assert_string_equal(g_, w_);                                             \
    } while (0)

#define assert_case_contains(name, hay, needle)                                  \
    do {                                                                         \
        if (!strstr((hay), (needle)))                                            \
            fail_msg("%s: message \"%s\" lacks \"%s\"", (name), (hay), (needle)); \
    } while (0)

/* Parse text (NUL-terminated) and return the tree, failing the test on error. */
static struct pattern *must_parse(const char *text)
{
    struct pattern *p = NULL;
    struct mz_error err = {0};
    enum mz_err rc = pattern_parse(text, strlen(text), &p, &err);

    if (rc != MZ_OK)
        fail_msg("%s: rejected: %s", text, err.msg);
    assert_non_null(p);
    return p;
}

/* ---- the OASIS specification examples ---- */

/* tests/data/pattern/<name>, found from this file's path (tests run from the top of the
 * tree, where __FILE__ is relative). Returns the number of lines checked. */
static size_t parse_file_lines(const char *name)
{
    char path[512], line[4096];
    const char *file = __FILE__;
    const char *tail = strstr(file, "unit/rules/test_pattern.c");
    FILE *f;
    size_t n = 0;

    assert_non_null(tail);
    snprintf(path, sizeof path, "%.*sdata/pattern/%s", (int)(tail - file), file, name);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        pattern_free(must_parse(line));
        n++;
    }
    fclose(f);
    return n;
}

static void test_oasis_examples(void **state)
{
    (void)state;
    assert_case_int("v21_spec_examples.txt lines", parse_file_lines("v21_spec_examples.txt"), 23);
    assert_case_int("v20_spec_examples.txt lines", parse_file_lines("v20_spec_examples.txt"), 24);
}

/* ---- accepted ---- */

static const char *const accepted[] = {
    /* MATCHES with many bare '.' (unescaped domains) and [^/]+: no counted copies */
    "[domain-name:value MATCHES '^(evil1.com|evil2.com|evil3.com|evil4.com|evil5.com|evil6.com|evil7.com|"
    "evil8.com|evil9.com|evil10.com|evil11.com|evil12.com|evil13.com|evil14.com|evil15.com|evil16.com|"
    "evil17.com|evil18.com)$']",
    "[url:value MATCHES '^[^/]+//[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/"
    "[^/]+/[^/]+/[^/]+/[^/]+/[^/]+/[^/]+$']",
    "[url:value MATCHES '^https?://[a-z0-9-]{1,63}\\\\.example/.{16}$']",
    "[ipv4-addr:value = '198.51.100.1/32']",
    "[ipv6-addr:value = '2001:db8::1']",
    "[domain-name:value = 'example.com']",
    "[file:name == 'x']",
    "[file:name != 'x']",
    "[file:name <> 'x']",
    "[file:size < 5]",
    "[file:size <= +5]",
    "[file:size > -5]",
    "[file:size >= .5]",
    "[file:size >= -0.25]",
    "[file:size = 0]",
    "[file:size = 9223372036854775807]",
    "[file:size = -9223372036854775808]",
    "[file:name NOT = 'x']",
    "[file:name NOT IN ('a', 'b')]",
    "[file:name IN ('a', 1, 2.5, true, h'ff', b'AA==', t'2016-01-01T00:00:00Z')]",
    "[file:name IN ()]",
    "[network-traffic:dst_port IN(443,6443,8443)]",
    "[EXISTS file:hashes]",
    "[NOT EXISTS file:hashes.MD5]",
    "[file:name LIKE 'a%_b']",
    "[file:name NOT LIKE '%.exe']",
    "[file:name MATCHES '^[[:alpha:]]+\\\\.exe$']",
    "[process:command_line MATCHES'x']",
    "[file:name MATCHES 'a{1,3}b+?c*?']",
    "[domain-name:value MATCHES '^([a-z0-9-]{1,63}\\\\.){1,10}[a-z]{2,24}$']",
    "[file:name MATCHES '(ab){500}[0-9a-f]{12}']",
    "[domain-name:value MATCHES '^.*?evil\\\\.com$']",
    "[url:value MATCHES '^(https?://)?(www\\\\.)?evil\\\\.com(/.*)?$']",
    "[file:name MATCHES '(a+|b)*(c?d){2,}x{0,5}']",
    /* PCRE syntax (STIX 2.1 9.6.2) */
    "[file:name MATCHES '(?i)abc']",
    "[file:name MATCHES '(?i:ab)c(?-i)d']",
    "[file:name MATCHES '(?:ab)+c(?#a comment)']",
    "[ipv4-addr:value MATCHES '^\\\\d{1,3}(?:\\\\.\\\\d{1,3}){3}$']",
    "[file:name MATCHES '(?<=a)b(?=c)(?!d)(?<!e)']",
    "[file:name MATCHES 'a*+b++c?+d{2}+e*?']",
    "[file:name MATCHES '\\\\x{41}\\\\p{L}+\\\\pN\\\\o{101}\\\\cA']",
    "[file:name MATCHES '\\\\Qa.b*c{5}\\\\E+']",
    "[file:name MATCHES '(?<name>x)(?P<other>y)(?\\'third\\'z)']",
    "[file:name MATCHES '[\\\\]a]+[^\\\\]]']",
    "[file:name MATCHES 'a{,5}{']",
    "[file:name MATCHES '(?>a|ab)(?|(x)|(y))']",
    "[file:name MATCHES '\\\\bword\\\\b\\\\Aa\\\\z\\\\w\\\\s\\\\S\\\\W\\\\h\\\\R']",
    "[ipv4-addr:value ISSUPERSET '10.0.0.0/8']",
    "[ipv6-addr:value ISSUBSET '::ffff:198.51.100.0/120']",
    "[ipv4-addr:value ISSUBSET '198.51.100.7']",
    "[file:name = 'a\\'b\\\\c']",
    "[file:name = '']",
    "[file:name = 'ünïcödé 日本 😀']",
    "[file:'name' = 'x']",
    "[file : name . 'x' [ 0 ] = 'y']",
    "[x-custom-type:custom_prop.'key with spaces'[*].x = true]",
    "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]",
    "[file:hashes.SHA256 = 'x']",
    "[file:hashes._x1 = 'x']",
    "[file:magic_number_hex = h'']",
    "[file:magic_number_hex = h'FFd8']",
    "[artifact:payload_bin = b'']",
    "[artifact:payload_bin = b'AQ==']",
    "[artifact:payload_bin = b'AQI=']",
    "[artifact:payload_bin = b'AQID']",
    "[x-thing:flag = false]",
    "[file:created = t'2016-02-29T23:59:60.123456789Z']",
    "[file:name = 'x' OR file:name = 'y' AND file:size = 1]",
    "[file:name = 'x' OR process:name = 'y']",
    "[(file:name = 'x' OR file:name = 'y') AND file:size = 1]",
    "[file:name = 'x'] AND [file:name = 'y'] OR [process:name = 'z'] FOLLOWEDBY [file:name = 'w']",
    "[file:name = 'x'] WITHIN 0.5 SECONDS",
    "[file:name = 'x'] WITHIN +5 SECONDS",
    "[file:name = 'x']WITHIN 5 SECONDS",
    "[file:name = 'x'] REPEATS 1 TIMES",
    "[file:name = 'x'] REPEATS +2 TIMES",
    "[file:name = 'x'] REPEATS 999999999999999999 TIMES",
    "[file:name = 'x'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[file:name = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'x'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.001Z'",
    "(([file:name = 'x']) WITHIN 5 SECONDS) REPEATS 2 TIMES",
    "\t[file:name\n=\r'x']\f\v ",
    "\xc2\xa0[file:name\xe2\x80\x80=\xe2\x80\xa8'x']\xe3\x80\x80\xc2\x85\xe2\x81\x9f",
    /* PATTERN_MAX_DEPTH parentheses exactly */
    "(((((((((((((((((((((((((((((((([((((((((((((((((((((((((((((((((abc:b = 1"
    "))))))))))))))))))))))))))))))))]))))))))))))))))))))))))))))))))",
};

static void test_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(accepted); i++)
        pattern_free(must_parse(accepted[i]));
}

/* ---- rejected ---- */

struct reject_case {
    const char *text;
    size_t len;       /* 0: strlen(text) */
    size_t pos;       /* expected error position */
    const char *msg;  /* expected substring of the reason */
    enum mz_err code; /* 0 means MZ_EINVAL */
};

static const struct reject_case rejected[] = {
    /* structure */
    {"", 0, 0, "expected '[' or '('", 0},
    {"   ", 0, 3, "expected '[' or '('", 0},
    {"file:name = 'x'", 0, 0, "expected '[' or '('", 0},
    {"[file:name = 'x'", 0, 16, "expected ']'", 0},
    {"[file:name = 'x' file:size = 1]", 0, 17, "expected ']' or AND/OR, found 'file'", 0},
    {"[file:name = 'x'] [file:name = 'y']", 0, 18, "expected AND, OR, FOLLOWEDBY", 0},
    {"[file:name = 'x'])", 0, 17, "')' without a matching '('", 0},
    {"([file:name = 'x']", 0, 18, "expected ')'", 0},
    {"[file:name = 'x'] AND", 0, 21, "expected '[' or '(' to start an observation expression, found the end", 0},
    {"[file:name = 'x' AND]", 0, 20, "expected an object path", 0},
    {"[]", 0, 1, "expected an object path", 0},
    {"[(file:name = 'x']", 0, 17, "expected ')'", 0},
    /* keywords are case-sensitive */
    {"[file:name EQUALS 'x']", 0, 11, "unknown operator 'EQUALS'", 0},
    {"[file:name equals 'x']", 0, 11, "unknown operator 'equals'", 0},
    {"[file:name like 'x']", 0, 11, "operators are upper case: LIKE", 0},
    {"[file:name = 'x'] and [file:name = 'y']", 0, 18, "keywords are upper case: AND", 0},
    {"[file:name = 'x' or file:name = 'y']", 0, 17, "keywords are upper case: OR", 0},
    {"[file:name = 'x'] within 5 SECONDS", 0, 18, "keywords are upper case: WITHIN", 0},
    {"[file:name = TRUE]", 0, 13, "expected a literal", 0},
    /* operators */
    {"[file:name]", 0, 10, "expected an operator", 0},
    {"[file:name ! 'x']", 0, 11, "unknown operator '!'", 0},
    {"[file:name = ]", 0, 13, "expected a literal", 0},
    {"[file:name === 'x']", 0, 13, "expected a literal", 0},
    {"[NOT file:name = 'x']", 0, 1, "NOT goes after the object path", 0},
    {"[file:name NOT NOT = 'x']", 0, 15, "NOT given twice", 0},
    {"[file:name EXISTS]", 0, 11, "EXISTS goes before the object path", 0},
    {"[EXISTS]", 0, 7, "expected an object path", 0},
    {"[file:size < true]", 0, 13, "< cannot compare with true or false", 0},
    {"[file:name LIKE 5]", 0, 16, "LIKE needs a string literal", 0},
    {"[file:name MATCHES h'ff']", 0, 19, "MATCHES needs a string literal", 0},
    {"[file:name IN 'a']", 0, 14, "IN needs a list in parentheses", 0},
    {"[file:name IN ('a' 'b')]", 0, 19, "expected ',' or ')' in the IN list", 0},
    {"[file:name IN ('a',)]", 0, 19, "expected a literal", 0},
    {"[file:name IN ('a'", 0, 18, "expected ',' or ')'", 0},
    {"[ipv4-addr:value ISSUBSET 'example.com']", 0, 26, "ISSUBSET needs an IPv4 or IPv6 address or CIDR", 0},
    {"[ipv4-addr:value ISSUBSET '10.0.0.0/33']", 0, 26, "ISSUBSET needs an IPv4", 0},
    {"[ipv4-addr:value ISSUPERSET '010.0.0.0/8']", 0, 28, "ISSUPERSET needs an IPv4", 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8:::1/64']", 0, 26, "ISSUBSET needs an IPv4", 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8::1/129']", 0, 26, "ISSUBSET needs an IPv4", 0},
    {"[ipv4-addr:value ISSUBSET 5]", 0, 26, "ISSUBSET needs a string literal", 0},
    /* object paths */
    {"[File:name = 'x']", 0, 1, "invalid object type 'File'", 0},
    {"[fi:name = 'x']", 0, 1, "invalid object type 'fi'", 0},
    {"[file-:name = 'x']", 0, 1, "invalid object type 'file-'", 0},
    {"[1file:name = 'x']", 0, 1, "invalid object type '1file'", 0},
    {"[file_x:name = 'x']", 0, 1, "invalid object type 'file_x'", 0},
    {"[file = 'x']", 0, 6, "expected ':' after the object type 'file'", 0},
    {"[file: = 'x']", 0, 7, "expected a property name after ':'", 0},
    {"[file:Name = 'x']", 0, 6, "invalid property name 'Name'", 0},
    {"[file:na-me = 'x']", 0, 6, "property name 'na-me' contains '-'", 0},
    {"[file:hashes.SHA-256 = 'x']", 0, 13, "key 'SHA-256' contains '-': write it quoted, as 'SHA-256'", 0},
    {"[file:hashes. = 'x']", 0, 14, "expected a key after '.'", 0},
    {"[file:hashes.'' = 'x']", 0, 13, "empty key", 0},
    {"[file:name[-1] = 'x']", 0, 11, "list index must be '*' or a non-negative integer", 0},
    {"[file:name[01] = 'x']", 0, 11, "list index must be '*' or an integer", 0},
    {"[file:name[1 = 'x']", 0, 13, "expected ']' after the list index", 0},
    {"[file:name = 'x' AND process:name = 'y']", 0, 21, "object types differ inside one observation expression without OR: 'file' AND 'process'", 0},
    {"[(file:name = 'x' OR process:name = 'y') AND file:size = 1]", 0, 1, "object types differ inside one observation expression without OR", 0},
    {"[file:size = 1 AND (file:name = 'x' OR process:name = 'y')]", 0, 19, "object types differ", 0},
    /* strings */
    {"[file:name = 'x", 0, 13, "unterminated string", 0},
    {"[file:name = 'x\\", 0, 13, "unterminated string", 0},
    {"[file:name = 'a\\nb']", 0, 15, "invalid escape '\\' before 'n'", 0},
    {"[file:name = 'a\\\"b']", 0, 15, "only \\' and \\\\ are allowed", 0},
    {"[file:name = \"x\"]", 0, 13, "expected a literal", 0},
    /* other literals */
    {"[file:magic_number_hex = h'ffd']", 0, 25, "invalid hex literal h'...': use an even number", 0},
    {"[file:magic_number_hex = h'zz']", 0, 25, "invalid hex literal", 0},
    {"[file:magic_number_hex = h'ff]", 0, 25, "unterminated literal h'...'", 0},
    {"[artifact:payload_bin = b'AQI']", 0, 24, "invalid base64 in b'...'", 0},
    {"[artifact:payload_bin = b'A=QI']", 0, 24, "invalid base64", 0},
    {"[artifact:payload_bin = b'AQ=I']", 0, 24, "invalid base64", 0},
    {"[artifact:payload_bin = b'AQID====']", 0, 24, "invalid base64", 0},
    {"[artifact:payload_bin = b'AQ-_']", 0, 24, "invalid base64", 0},
    {"[file:created = t'2014-01-13T07:03:17']", 0, 16, "invalid timestamp in t'...'", 0},
    {"[file:created = t'2014-01-13T07:03:17+01:00']", 0, 16, "invalid timestamp in t'...'", 0},
    {"[file:created = t'2014-02-30T07:03:17Z']", 0, 16, "invalid timestamp in t'...'", 0},
    {"[file:created = t'']", 0, 16, "invalid timestamp", 0},
    {"[file:size = 007]", 0, 13, "may not start with 0", 0},
    {"[file:size = 9223372036854775808]", 0, 13, "integer out of range", 0},
    {"[file:size = -9223372036854775809]", 0, 13, "integer out of range", 0},
    {"[file:size = 1.]", 0, 13, "expected digits after '.'", 0},
    {"[file:size = -]", 0, 13, "expected a number", 0},
    {"[file:size = 1e5]", 0, 14, "expected ']' or AND/OR, found 'e5'", 0},
    /* qualifiers */
    {"[file:name = 'x'] WITHIN 0 SECONDS", 0, 25, "qualifier WITHIN needs a positive number of SECONDS", 0},
    {"[file:name = 'x'] WITHIN 0.0 SECONDS", 0, 25, "qualifier WITHIN needs a positive number of SECONDS", 0},
    {"[file:name = 'x'] WITHIN -5 SECONDS", 0, 25, "qualifier WITHIN needs a positive number of SECONDS", 0},
    {"[file:name = 'x'] WITHIN SECONDS", 0, 25, "qualifier WITHIN needs a positive number of SECONDS", 0},
    {"[file:name = 'x'] WITHIN 5", 0, 26, "expected SECONDS after the WITHIN number", 0},
    {"[file:name = 'x'] WITHIN 5 seconds", 0, 27, "keywords are upper case: SECONDS", 0},
    {"[file:name = 'x'] REPEATS 0 TIMES", 0, 26, "qualifier REPEATS needs a whole number of TIMES, at least 1", 0},
    {"[file:name = 'x'] REPEATS 2.5 TIMES", 0, 26, "qualifier REPEATS needs a whole number", 0},
    {"[file:name = 'x'] REPEATS -2 TIMES", 0, 26, "qualifier REPEATS needs a whole number", 0},
    {"[file:name = 'x'] REPEATS 02 TIMES", 0, 26, "qualifier REPEATS needs a whole number", 0},
    {"[file:name = 'x'] REPEATS 99999999999999999999 TIMES", 0, 26, "qualifier REPEATS needs a whole number", 0},
    {"[file:name = 'x'] WITHIN 1e5 SECONDS", 0, 26, "expected SECONDS after the WITHIN number, found 'e5'", 0},
    {"[file:name = 'x'] REPEATS 5", 0, 27, "expected TIMES after the REPEATS number", 0},
    {"[file:name = 'x'] START t'2016-01-01T00:00:00Z' STOP t'2015-01-01T00:00:00Z'", 0, 18, "START must be earlier than STOP", 0},
    {"[file:name = 'x'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.000Z'", 0, 18, "START must be earlier than STOP", 0},
    {"[file:name = 'x'] START t'2016-13-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'", 0, 24, "invalid timestamp in t'...'", 0},
    {"[file:name = 'x'] START '2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'", 0, 24, "qualifier START needs a timestamp", 0},
    {"[file:name = 'x'] START t'2016-01-01T00:00:00Z' STOP 5", 0, 53, "qualifier STOP needs a timestamp", 0},
    {"[file:name = 'x'] START t'2016-01-01T00:00:00Z'", 0, 47, "expected STOP", 0},
    {"[file:name = 'x'] STOP t'2017-01-01T00:00:00Z'", 0, 18, "STOP without START", 0},
    {"[file:name = 'x'] WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS "
     "WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS",
     0, 154, "more than 8 qualifiers on one observation expression", 0},
    /* regular expressions */
    {"[file:name MATCHES '[a']", 0, 19, "invalid regular expression (PCRE syntax): missing terminating ]", 0},
    {"[file:name MATCHES '(ab']", 0, 19, "invalid regular expression", 0},
    {"[file:name MATCHES 'a{2,1}']", 0, 19, "invalid regular expression (PCRE syntax): numbers out of order", 0},
    {"[file:name MATCHES 'a\\\\']", 0, 19, "invalid regular expression (PCRE syntax): \\ at end of pattern", 0},
    {"[file:name MATCHES '(a)\\\\1']", 0, 19, "back-references such as \\1 are not supported", 0},
    /* PCRE constructs whose cost is not the expression's size */
    {"[file:name MATCHES '(?<n>a)\\\\k<n>']", 0, 19, "back-references and subroutine calls (\\g, \\k)", 0},
    {"[file:name MATCHES '(a)\\\\g1']", 0, 19, "back-references and subroutine calls (\\g, \\k)", 0},
    {"[file:name MATCHES '(?<n>a)(?P=n)']", 0, 19, "back-references, subroutine calls and recursion", 0},
    {"[file:name MATCHES 'a(?R)?b']", 0, 19, "back-references, subroutine calls and recursion", 0},
    {"[file:name MATCHES '(a)(?1)']", 0, 19, "back-references, subroutine calls and recursion", 0},
    {"[file:name MATCHES '(a)(?-1)']", 0, 19, "back-references, subroutine calls and recursion", 0},
    {"[file:name MATCHES '(?<n>a)(?&n)']", 0, 19, "back-references, subroutine calls and recursion", 0},
    {"[file:name MATCHES 'a(?C1)b']", 0, 19, "callouts (?C) are not supported", 0},
    {"[file:name MATCHES '(a)?(?(1)b|c)']", 0, 19, "conditional groups", 0},
    {"[file:name MATCHES '(*LIMIT_MATCH=1000000000)a']", 0, 19, "(*...) verbs and settings are not supported", 0},
    {"[file:name MATCHES 'a(*SKIP)b']", 0, 19, "(*...) verbs and settings are not supported", 0},
    {"[file:name MATCHES '(?~a)']", 0, 19, "unknown (?...) construct", 0},
    {"[file:name MATCHES '(?=a)*']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(?i)*a']", 0, 19, "a repetition operator has nothing to repeat", 0},
    /* counted copies of '.' or [^...] after a loop (exponential states in glibc's
     * matcher; kept refused) */
    {"[url:value MATCHES '.*[a-m].{30}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a.{80}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a([^/]{5}){4}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a[^x]+.{17}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a(.{5}){4}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a\\\\N{17}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[url:value MATCHES '.*a\\\\D{17}X']", 0, 19, "more than 16 copies of '.' or of [^...]", 0},
    {"[file:name MATCHES '*a']", 0, 19, "a repetition operator has nothing to repeat", 0},
    {"[file:name MATCHES 'a|+b']", 0, 19, "a repetition operator has nothing to repeat", 0},
    {"[file:name MATCHES 'a{2}{3}*']", 0, 19, "more than two repetition operators in a row", 0},
    {"[file:name MATCHES 'a**']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(a*)*']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(x?)+']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(a?){1,200}']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(a|){2}']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(|a){2,}']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '()*']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(^){1,70}']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(\\\\b)+']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '(a?b?|c)*']", 0, 19, "a repeated part can match the empty string", 0},
    /* glibc's regcomp() runs for minutes on this one */
    {"[file:name MATCHES '((((^){2,}){1,8})|\\\\b)*']", 0, 19, "a repeated part can match the empty string", 0},
    {"[file:name MATCHES '((ab){600})']", 0, 19, "too large once its repetitions are expanded (limit 1024 characters)", 0},
    {"[file:name MATCHES '((((a{100}){100}){100}){100})']", 0, 19, "too large once its repetitions are expanded", 0},
    {"[file:name MATCHES 'a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?"
     "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?"
     "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?']",
     0, 19, "too many parts that can match empty, such as x? x* {0,n} (limit 128", 0},
    {"[file:name MATCHES '(a?b){1,100}']", 0, 19, "too many parts that can match empty", 0},
    {"[file:name MATCHES 'a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?"
     "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?' "
     "OR file:name MATCHES 'a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?"
     "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?' "
     "OR file:name MATCHES 'a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?"
     "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?']",
     0, 19 + 2 * (182 + 22), "the MATCHES tests of one pattern have more than 256 parts that can match empty together", 0},
    {"[file:name MATCHES '((((((((((((((((((a))))))))))))))))))']", 0, 19, "groups nested more than 16 deep", 0},
    /* bytes */
    {"[file:name = '\xff']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xc3']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xc0\xaf']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xe0\x80\xaf']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xed\xa0\x80']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xf4\x90\x80\x80']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = '\xf8\x88\x80\x80\x80']", 0, 14, "invalid UTF-8", 0},
    {"[file:name = 'x']\xe2\x82", 0, 17, "invalid UTF-8", 0},
    {"[file:name = 'a\0b']", 19, 15, "NUL byte", 0},
    {"[file:name = 'x']\0", 18, 17, "NUL byte", 0},
    /* non-ASCII where syntax is expected is quoted whole in the message */
    {"[file:name = 'x'] \xc3\xa9", 0, 18, "found '\xc3\xa9'", 0},
    /* nesting */
    {"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((([abc:b = 1]"
     ")))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
     0, 64, "nesting deeper than 64", 0},
    {"[(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((abc:b = 1"
     ")))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))]",
     0, 65, "nesting deeper than 64", 0},
    {"((((((((((((((((((((((((((((((((([(((((((((((((((((((((((((((((((((abc:b = 1"
     ")))))))))))))))))))))))))))))))))]))))))))))))))))))))))))))))))))",
     0, 65, "nesting deeper than 64", 0},
};

static void check_rejected(const char *name, const char *text, size_t len, size_t pos,
                           const char *msg, enum mz_err code)
{
    struct pattern *p = (struct pattern *)&p; /* must stay untouched */
    struct pattern *const sentinel = p;
    struct mz_error err = {0};
    char prefix[64];
    enum mz_err rc = pattern_parse(text, len, &p, &err);

    if (rc == MZ_OK) {
        pattern_free(p);
        fail_msg("%s: accepted", name);
    }
    assert_case_int(name, rc, code);
    assert_case_int(name, err.code, code);
    assert_true(p == sentinel);
    snprintf(prefix, sizeof prefix, "pattern error at position %zu: ", pos);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("%s: message \"%s\" does not start with \"%s\"", name, err.msg, prefix);
    assert_case_contains(name, err.msg, msg);
}

static void test_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(rejected); i++) {
        const struct reject_case *c = &rejected[i];
        size_t len = c->len ? c->len : strlen(c->text);
        check_rejected(c->text, c->text, len, c->pos, c->msg, c->code ? c->code : MZ_EINVAL);
    }
}

/* ---- limits built at run time ---- */

static char *repeat_join(const char *head, const char *unit, size_t n, const char *sep,
                         const char *tail)
{
    size_t cap = strlen(head) + n * (strlen(unit) + strlen(sep)) + strlen(tail) + 1;
    char *s = malloc(cap), *o = s;

    assert_non_null(s);
    o += snprintf(o, cap, "%s", head);
    for (size_t i = 0; i < n; i++)
        o += snprintf(o, cap - (size_t)(o - s), "%s%s", i ? sep : "", unit);
    snprintf(o, cap - (size_t)(o - s), "%s", tail);
    return s;
}

static int count_term(void *ctx, const struct pattern_term *t)
{
    (void)t;
    ++*(size_t *)ctx;
    return 0;
}

static void test_limits(void **state)
{
    char *s;
    struct pattern *p = NULL;
    struct mz_error err = {0};
    size_t n_terms = 0;

    (void)state;
    /* longer than PATTERN_MAX_LEN: refused before anything is read */
    s = malloc(PATTERN_MAX_LEN + 2);
    assert_non_null(s);
    memset(s, ' ', PATTERN_MAX_LEN + 1);
    memcpy(s, "[file:name = 'x']", 17);
    s[PATTERN_MAX_LEN + 1] = '\0';
    check_rejected("too long", s, PATTERN_MAX_LEN + 1, PATTERN_MAX_LEN,
                   "pattern longer than 65536 bytes", MZ_ETOOBIG);
    /* exactly PATTERN_MAX_LEN is fine */
    assert_int_equal(pattern_parse(s, PATTERN_MAX_LEN, &p, &err), MZ_OK);
    pattern_free(p);
    free(s);

    /* 20 000 nested parentheses: refused at the 65th, no deep recursion */
    s = repeat_join("", "(", 20000, "", "[abc:b = 1]");
    check_rejected("20000 '('", s, strlen(s), 64, "nesting deeper than 64", MZ_EINVAL);
    free(s);
    s = repeat_join("[", "(", 20000, "", "abc:b = 1]");
    check_rejected("20000 '(' in brackets", s, strlen(s), 65, "nesting deeper than 64", MZ_EINVAL);
    free(s);

    /* long flat chains are loops, not recursion */
    s = repeat_join("[", "domain-name:value = 'a.example'", 1500, " OR ", "]");
    p = must_parse(s);
    assert_int_equal(pattern_plan(p, count_term, &n_terms), PLAN_EXACT);
    assert_int_equal(n_terms, 1500);
    pattern_free(p);
    free(s);
    s = repeat_join("", "[domain-name:value = 'a.example']", 1200, " FOLLOWEDBY ", "");
    p = must_parse(s);
    assert_true(pattern_is_temporal(p));
    pattern_free(p);
    free(s);

    /* nested ANDs: planning must stay linear per level (an exponential planner would
     * never finish here) */
    s = repeat_join("[", "(abc:b = 'x' AND abc:c > 1 AND ", 60, "", "abc:d = 'y'");
    {
        size_t n = strlen(s);
        char *t = realloc(s, n + 62);
        assert_non_null(t);
        s = t;
        memset(s + n, ')', 60);
        memcpy(s + n + 60, "]", 2);
    }
    p = must_parse(s);
    n_terms = 0;
    assert_int_equal(pattern_plan(p, count_term, &n_terms), PLAN_CANDIDATE);
    assert_int_equal(n_terms, 1);
    pattern_free(p);
    free(s);

    /* at most 16 MATCHES per pattern */
    s = repeat_join("[", "file:name MATCHES 'a'", 16, " OR ", "]");
    pattern_free(must_parse(s));
    free(s);
    s = repeat_join("[", "file:name MATCHES 'a'", 17, " OR ", "]");
    check_rejected("17 MATCHES", s, strlen(s), 1 + 16 * 25 + 18,
                   "more than 16 MATCHES tests in one pattern", MZ_EINVAL);
    free(s);
    /* at most 1024 bytes of regular expression */
    s = repeat_join("[file:name MATCHES '", "a", 1024, "", "']");
    pattern_free(must_parse(s));
    free(s);
    s = repeat_join("[file:name MATCHES '", "a", 1025, "", "']");
    check_rejected("regex 1025 bytes", s, strlen(s), 19, "regular expression longer than 1024 bytes",
                   MZ_EINVAL);
    free(s);

    /* no pattern at all, and no error record */
    assert_int_equal(pattern_parse(NULL, 5, &p, &err), MZ_EINVAL);
    assert_int_equal(pattern_parse("[file:name = 'x']", 17, NULL, &err), MZ_EINVAL);
    p = NULL;
    assert_int_equal(pattern_parse("[file:name = ", 13, &p, NULL), MZ_EINVAL);
    assert_null(p);
    pattern_free(NULL);
}

/* ---- planning ---- */

struct term_buf {
    char text[4096];
    size_t len;
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static int collect_term(void *ctx, const struct pattern_term *t)
{
    struct term_buf *b = ctx;
    int k = snprintf(b->text + b->len, sizeof b->text - b->len, "%s%s|%s|%s|%s",
                     b->n ? "\n" : "", t->object_type, t->path,
                     t->op == PATTERN_OP_SUBSET ? "SUBSET" : "EQ", t->value);

    assert_true(k > 0 && (size_t)k < sizeof b->text - b->len);
    b->len += (size_t)k;
    b->n++;
    return b->stop_after && b->n >= b->stop_after;
}

struct plan_case {
    const char *text;
    enum pattern_plan_kind kind;
    const char *terms; /* one "type|path|op|value" per line, in order */
    int temporal;
};

#define SHA_A "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"

static const struct plan_case plans[] = {
    {"[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value ISSUBSET '203.0.113.0/24']",
     PLAN_EXACT,
     "ipv4-addr|value|SUBSET|198.51.100.1/32\nipv4-addr|value|SUBSET|203.0.113.0/24", 0},
    {"[ipv4-addr:value = '192.0.2.1']", PLAN_EXACT, "ipv4-addr|value|EQ|192.0.2.1", 0},
    {"[ipv4-addr:value == '192.0.2.1']", PLAN_EXACT, "ipv4-addr|value|EQ|192.0.2.1", 0},
    {"[ipv6-addr:value = '2001:db8::/32']", PLAN_EXACT, "ipv6-addr|value|SUBSET|2001:db8::/32", 0},
    {"[file:hashes.'SHA-256' = '" SHA_A "' AND file:name = 'x.exe']", PLAN_CANDIDATE,
     "file|hashes.SHA-256|EQ|" SHA_A, 0},
    {"[file:name = 'x.exe' AND file:hashes.'SHA-256' = '" SHA_A "']", PLAN_CANDIDATE,
     "file|hashes.SHA-256|EQ|" SHA_A, 0},
    {"[file:name = 'x.exe' AND file:size > 5]", PLAN_CANDIDATE, "file|name|EQ|x.exe", 0},
    {"[file:size > 5 AND file:name = 'x.exe']", PLAN_CANDIDATE, "file|name|EQ|x.exe", 0},
    {"[file:size > 5 AND file:name NOT = 'x.exe']", PLAN_SCAN, "", 0},
    {"[(file:name = 'a' OR file:name = 'b') AND file:size > 5]", PLAN_CANDIDATE,
     "file|name|EQ|a\nfile|name|EQ|b", 0},
    {"[(file:name = 'a' OR file:size > 1) AND file:size > 5]", PLAN_SCAN, "", 0},
    {"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
     "'203.0.113.33/32']",
     PLAN_CANDIDATE, "network-traffic|dst_ref.value|SUBSET|203.0.113.33/32", 0},
    {"[domain-name:value LIKE '%.evil.example']", PLAN_SCAN, "", 0},
    {"[domain-name:value MATCHES 'evil']", PLAN_SCAN, "", 0},
    {"[domain-name:value IN ('a.example', 'b.example')]", PLAN_EXACT,
     "domain-name|value|EQ|a.example\ndomain-name|value|EQ|b.example", 0},
    {"[ipv4-addr:value IN ('10.0.0.0/8', '192.0.2.1')]", PLAN_EXACT,
     "ipv4-addr|value|SUBSET|10.0.0.0/8\nipv4-addr|value|EQ|192.0.2.1", 0},
    {"[domain-name:value IN ('a.example', 5)]", PLAN_SCAN, "", 0},
    {"[domain-name:value NOT IN ('a.example')]", PLAN_SCAN, "", 0},
    {"[file:name IN ()]", PLAN_EXACT, "", 0},
    {"[ipv4-addr:value NOT = '192.0.2.1']", PLAN_SCAN, "", 0},
    {"[ipv4-addr:value != '192.0.2.1']", PLAN_SCAN, "", 0},
    {"[ipv4-addr:value NOT ISSUBSET '192.0.2.0/24']", PLAN_SCAN, "", 0},
    {"[ipv4-addr:value ISSUPERSET '192.0.2.0/24']", PLAN_SCAN, "", 0},
    {"[network-traffic:dst_port = 443]", PLAN_SCAN, "", 0},
    {"[EXISTS file:name]", PLAN_SCAN, "", 0},
    {"[url:value = 'http://a/' OR url:value LIKE 'http://b/%']", PLAN_SCAN, "", 0},
    {"[url:value = 'http://a/' OR (url:value LIKE 'http://b/%' AND url:value = 'http://b/x')]",
     PLAN_CANDIDATE, "url|value|EQ|http://a/\nurl|value|EQ|http://b/x", 0},
    {"[domain-name:value = 'a.example'] OR [ipv4-addr:value = '198.51.100.7']", PLAN_EXACT,
     "domain-name|value|EQ|a.example\nipv4-addr|value|EQ|198.51.100.7", 0},
    {"([domain-name:value = 'a.example'] OR ([ipv4-addr:value = '198.51.100.7']))", PLAN_EXACT,
     "domain-name|value|EQ|a.example\nipv4-addr|value|EQ|198.51.100.7", 0},
    {"[domain-name:value = 'a.example'] WITHIN 60 SECONDS", PLAN_CANDIDATE,
     "domain-name|value|EQ|a.example", 1},
    {"[domain-name:value = 'a.example'] REPEATS 3 TIMES", PLAN_CANDIDATE,
     "domain-name|value|EQ|a.example", 1},
    {"[domain-name:value = 'a.example'] START t'2020-01-01T00:00:00Z' STOP "
     "t'2021-01-01T00:00:00Z'",
     PLAN_CANDIDATE, "domain-name|value|EQ|a.example", 1},
    {"[domain-name:value LIKE '%x'] REPEATS 2 TIMES", PLAN_SCAN, "", 1},
    {"[domain-name:value = 'x'] OR [domain-name:value = 'y'] WITHIN 5 SECONDS", PLAN_CANDIDATE,
     "domain-name|value|EQ|x\ndomain-name|value|EQ|y", 1},
    {"([file:hashes.MD5 = 'x'] OR [file:hashes.MD5 = 'y']) WITHIN 5 SECONDS", PLAN_CANDIDATE,
     "file|hashes.MD5|EQ|x\nfile|hashes.MD5|EQ|y", 1},
    {"[file:hashes.MD5 = 'x'] AND [file:hashes.MD5 = 'y']", PLAN_CANDIDATE,
     "file|hashes.MD5|EQ|x\nfile|hashes.MD5|EQ|y", 1},
    {"[file:hashes.MD5 = 'x'] FOLLOWEDBY [file:hashes.MD5 = 'y']", PLAN_CANDIDATE,
     "file|hashes.MD5|EQ|x\nfile|hashes.MD5|EQ|y", 1},
    {"[file:hashes.MD5 = 'x'] FOLLOWEDBY [file:name LIKE 'y%']", PLAN_SCAN, "", 1},
    {"[file:hashes.'SHA-256' = 'bf07' OR file:hashes.MD5 = 'cead'] AND "
     "[file:hashes.'SHA-256' = 'aec0']",
     PLAN_CANDIDATE,
     "file|hashes.SHA-256|EQ|bf07\nfile|hashes.MD5|EQ|cead\nfile|hashes.SHA-256|EQ|aec0", 1},
    {"[domain-name:resolves_to_refs[*].value = '198.51.100.1/32']", PLAN_EXACT,
     "domain-name|resolves_to_refs[*].value|SUBSET|198.51.100.1/32", 0},
    {"[file:name = 'it\\'s']", PLAN_EXACT, "file|name|EQ|it's", 0},
    {"[x-thing:'odd key'[0].x = 'v']", PLAN_EXACT, "x-thing|odd key[0].x|EQ|v", 0},
};

static void test_plan(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(plans); i++) {
        const struct plan_case *c = &plans[i];
        struct pattern *p = must_parse(c->text);
        struct term_buf b;
        memset(&b, 0, sizeof b);
        assert_case_int(c->text, pattern_plan(p, collect_term, &b), c->kind);
        assert_case_str(c->text, b.text, c->terms);
        assert_case_int(c->text, pattern_is_temporal(p), c->temporal);
        /* a NULL callback only answers the kind */
        assert_case_int(c->text, pattern_plan(p, NULL, NULL), c->kind);
        pattern_free(p);
    }
}

static void test_plan_stops(void **state)
{
    struct pattern *p =
        must_parse("[domain-name:value = 'a.example' OR domain-name:value = 'b.example'] OR "
                   "[domain-name:value = 'c.example']");
    struct term_buf b;

    (void)state;
    memset(&b, 0, sizeof b);
    b.stop_after = 1;
    assert_int_equal(pattern_plan(p, collect_term, &b), PLAN_EXACT);
    assert_string_equal(b.text, "domain-name|value|EQ|a.example");
    memset(&b, 0, sizeof b);
    b.stop_after = 2;
    assert_int_equal(pattern_plan(p, collect_term, &b), PLAN_EXACT);
    assert_int_equal(b.n, 2);
    pattern_free(p);
    assert_int_equal(pattern_plan(NULL, collect_term, &b), PLAN_SCAN);
}

/* ---- evaluation ---- */

#define MAX_VALS 4

struct eval_case {
    const char *text;
    struct pattern_value values[MAX_VALS]; /* up to the first with object_type NULL */
    int want;
    int partial;
};

#define V(t, p, v) {(t), (p), (v)}

static const struct eval_case evals[] = {
    /* CIDR arithmetic */
    {"[ipv4-addr:value = '198.51.100.0/24']", {V("ipv4-addr", "value", "198.51.100.7")}, 1, 0},
    {"[ipv4-addr:value = '198.51.100.0/24']", {V("ipv4-addr", "value", "198.51.101.7")}, 0, 0},
    {"[ipv4-addr:value = '198.51.100.1/32']", {V("ipv4-addr", "value", "198.51.100.1")}, 1, 0},
    {"[ipv4-addr:value = '198.51.100.1']", {V("ipv4-addr", "value", "198.51.100.1/32")}, 1, 0},
    {"[ipv4-addr:value = '198.51.100.1']", {V("ipv4-addr", "value", "198.51.100.0/24")}, 0, 0},
    {"[ipv4-addr:value = '198.51.100.1']", {V("ipv4-addr", "value", "198.51.100.2")}, 0, 0},
    {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", {V("ipv4-addr", "value", "198.51.100.0/25")}, 1, 0},
    {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", {V("ipv4-addr", "value", "198.51.0.0/16")}, 0, 0},
    {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", {V("ipv4-addr", "value", "198.51.100.255")}, 1, 0},
    {"[ipv4-addr:value ISSUBSET '10.1.2.3/8']", {V("ipv4-addr", "value", "10.200.0.1")}, 1, 0},
    {"[ipv4-addr:value ISSUBSET '0.0.0.0/0']", {V("ipv4-addr", "value", "203.0.113.9")}, 1, 0},
    {"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", {V("ipv4-addr", "value", "not-an-ip")}, 0, 0},
    {"[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", {V("ipv4-addr", "value", "not-an-ip")}, 0, 0},
    {"[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", {V("ipv4-addr", "value", "11.0.0.1")}, 1, 0},
    {"[ipv4-addr:value ISSUPERSET '198.51.100.7']", {V("ipv4-addr", "value", "198.51.100.0/24")}, 1, 0},
    {"[ipv4-addr:value ISSUPERSET '198.51.100.7']", {V("ipv4-addr", "value", "198.51.101.0/24")}, 0, 0},
    {"[ipv4-addr:value ISSUPERSET '198.51.100.0/23']", {V("ipv4-addr", "value", "198.51.100.0/24")}, 0, 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8::/32']", {V("ipv6-addr", "value", "2001:0db8:dead:beef::1")}, 1, 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8::/32']", {V("ipv6-addr", "value", "2001:db9::1")}, 0, 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8::/33']", {V("ipv6-addr", "value", "2001:db8:8000::1")}, 0, 0},
    {"[ipv6-addr:value ISSUBSET '2001:db8::/33']", {V("ipv6-addr", "value", "2001:db8:7fff::1")}, 1, 0},
    {"[ipv6-addr:value = '2001:db8::1']", {V("ipv6-addr", "value", "2001:0DB8:0:0:0:0:0:1")}, 1, 0},
    {"[ipv6-addr:value = '::']", {V("ipv6-addr", "value", "0:0:0:0:0:0:0:0")}, 1, 0},
    {"[ipv6-addr:value = '1::']", {V("ipv6-addr", "value", "1:0:0:0:0:0:0:0")}, 1, 0},
    {"[ipv6-addr:value = '::2:3:4:5:6:7:8']", {V("ipv6-addr", "value", "0:2:3:4:5:6:7:8")}, 1, 0},
    {"[ipv6-addr:value = '::ffff:198.51.100.5']", {V("ipv6-addr", "value", "198.51.100.5")}, 1, 0},
    {"[ipv6-addr:value ISSUBSET '::ffff:198.51.100.0/120']", {V("ipv6-addr", "value", "198.51.100.77")}, 1, 0},
    {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", {V("ipv4-addr", "value", "2001:db8::1")}, 0, 0},
    {"[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
     {V("network-traffic", "dst_ref.value", "2001:db8:dead:beef:1:2:3:4")}, 1, 0},
    {"[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
     {V("network-traffic", "dst_ref.value", "2001:db8:dead:bee0::1")}, 0, 0},
    /* LIKE */
    {"[domain-name:value LIKE '%.evil.example']", {V("domain-name", "value", "a.b.evil.example")}, 1, 0},
    {"[domain-name:value LIKE '%.evil.example']", {V("domain-name", "value", "evil.example")}, 0, 0},
    {"[file:name LIKE 'a_c']", {V("file", "name", "abc")}, 1, 0},
    {"[file:name LIKE 'a_c']", {V("file", "name", "ac")}, 0, 0},
    {"[file:name LIKE 'a_c']", {V("file", "name", "a\xc3\x9f" "c")}, 1, 0},
    {"[file:name LIKE 'a_c']", {V("file", "name", "abbc")}, 0, 0},
    {"[file:name LIKE '%']", {V("file", "name", "")}, 1, 0},
    {"[file:name LIKE '']", {V("file", "name", "")}, 1, 0},
    {"[file:name LIKE '']", {V("file", "name", "a")}, 0, 0},
    {"[file:name LIKE 'a%b%c']", {V("file", "name", "axxbyyc")}, 1, 0},
    {"[file:name LIKE 'a%b%c']", {V("file", "name", "axxcyyb")}, 0, 0},
    {"[file:name LIKE '%%a']", {V("file", "name", "bba")}, 1, 0},
    {"[file:name LIKE '%_%_']", {V("file", "name", "\xc3\xa9")}, 0, 0},
    {"[file:name LIKE '%_%_']", {V("file", "name", "\xc3\xa9\xc3\xa9")}, 1, 0},
    {"[file:name LIKE 'ABC']", {V("file", "name", "abc")}, 0, 0},
    {"[file:name NOT LIKE 'a%']", {V("file", "name", "bcd")}, 1, 0},
    {"[file:name NOT LIKE 'a%']", {V("file", "name", "abc")}, 0, 0},
    /* MATCHES */
    {"[file:name MATCHES '^Final Report.+\\\\.exe$']", {V("file", "name", "Final Report 2016.exe")}, 1, 0},
    {"[file:name MATCHES '^Final Report.+\\\\.exe$']", {V("file", "name", "final report.exe")}, 0, 0},
    {"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']",
     {V("email-message", "from_ref.value", "jdoe@example.com")}, 1, 0},
    {"[file:name NOT MATCHES '^a']", {V("file", "name", "ba")}, 1, 0},
    /* domains compared with =, != and IN follow the index's parent rule */
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", "evil.example")}, 1, 0},
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", "a.b.evil.example")}, 1, 0},
    {"[domain-name:value = 'EVIL.example.']", {V("domain-name", "value", "a.evil.example")}, 1, 0},
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", "xevil.example")}, 0, 0},
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", "example")}, 0, 0},
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", "evil.example.com")}, 0, 0},
    {"[domain-name:value = 'evil.example']", {V("domain-name", "value", ".evil.example")}, 1, 0},
    {"[domain-name:value != 'evil.example']", {V("domain-name", "value", "a.evil.example")}, 0, 0},
    {"[domain-name:value != 'evil.example']", {V("domain-name", "value", "good.example")}, 1, 0},
    {"[domain-name:value NOT = 'evil.example']", {V("domain-name", "value", "a.evil.example")}, 0, 0},
    {"[domain-name:value IN ('x.example', 'evil.example')]", {V("domain-name", "value", "a.evil.example")}, 1, 0},
    {"[domain-name:value IN ('x.example', 'evil.example')]", {V("domain-name", "value", "y.example")}, 0, 0},
    /* ... and only domains: other strings are equal or not */
    {"[file:name = 'evil.example']", {V("file", "name", "a.evil.example")}, 0, 0},
    {"[url:value = 'http://evil.example/']", {V("url", "value", "http://a.evil.example/")}, 0, 0},
    {"[email-addr:value = 'a@evil.example']", {V("email-addr", "value", "b.a@evil.example")}, 0, 0},
    {"[domain-name:resolves_to_refs[*].value = 'evil.example']",
     {V("domain-name", "resolves_to_refs[0].value", "a.evil.example")}, 0, 0},
    {"[domain-name:value LIKE 'evil.example']", {V("domain-name", "value", "a.evil.example")}, 0, 0},
    {"[domain-name:value > 'evil.example']", {V("domain-name", "value", "a.evil.example")}, 0, 0},
    /* PCRE syntax and UTF-8 (STIX 2.1 9.6.2) */
    {"[file:name MATCHES '(?i)^final report']", {V("file", "name", "FINAL REPORT.exe")}, 1, 0},
    {"[file:name MATCHES '^\\\\d{4}-\\\\w+$']", {V("file", "name", "2016-report")}, 1, 0},
    {"[file:name MATCHES '^\\\\d{4}-\\\\w+$']", {V("file", "name", "20x6-report")}, 0, 0},
    {"[file:name MATCHES '^(?:ab)+$']", {V("file", "name", "ababab")}, 1, 0},
    {"[file:name MATCHES 'foo(?=bar)']", {V("file", "name", "foobar")}, 1, 0},
    {"[file:name MATCHES 'foo(?=bar)']", {V("file", "name", "foobaz")}, 0, 0},
    {"[file:name MATCHES '^.$']", {V("file", "name", "\xc3\xa9")}, 1, 0}, /* one character, two bytes */
    {"[file:name MATCHES '^\\\\p{L}+$']", {V("file", "name", "\xc5\xa1ifra")}, 1, 0},
    {"[file:name MATCHES '^a.c$']", {V("file", "name", "a\xff" "c")}, 0, 0}, /* invalid UTF-8 in a value: no match, no error */
    {"[file:name MATCHES 'x']", {V("file", "name", "a\xffx")}, 1, 0},
    {"[file:name MATCHES '\\\\Qa.b\\\\E']", {V("file", "name", "xa.by")}, 1, 0},
    {"[file:name MATCHES '\\\\Qa.b\\\\E']", {V("file", "name", "xacby")}, 0, 0},
    /* a value whose evaluation reaches the limits is no match, MATCHES or NOT MATCHES */
    {"[domain-name:value MATCHES '^(a|aa)+$']",
     {V("domain-name", "value", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")}, 0, 0},
    {"[domain-name:value NOT MATCHES '^(a|aa)+$']",
     {V("domain-name", "value", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")}, 0, 0},
    {"[domain-name:value MATCHES '^(a|aa)+$']", {V("domain-name", "value", "aaaaaaaaaa")}, 1, 0},
    {"[domain-name:value NOT MATCHES '^(a|aa)+$']", {V("domain-name", "value", "aaaaaaaaab")}, 1, 0},
    {"[file:name MATCHES 'a|b']", {V("file", "name", "xbx")}, 1, 0},
    /* IN */
    {"[file:name IN ('a', 'b')]", {V("file", "name", "b")}, 1, 0},
    {"[file:name IN ('a', 'b')]", {V("file", "name", "c")}, 0, 0},
    {"[file:name NOT IN ('a', 'b')]", {V("file", "name", "c")}, 1, 0},
    {"[file:name NOT IN ('a', 'b')]", {V("file", "name", "a")}, 0, 0},
    {"[file:name IN ()]", {V("file", "name", "a")}, 0, 0},
    {"[file:name NOT IN ()]", {V("file", "name", "a")}, 1, 0},
    {"[file:name NOT IN ()]", {V("file", "size", "1")}, 0, 0},
    {"[network-traffic:dst_port IN (443, 8443)]", {V("network-traffic", "dst_port", "443")}, 1, 0},
    {"[network-traffic:dst_port IN (443, 8443)]", {V("network-traffic", "dst_port", "80")}, 0, 0},
    {"[network-traffic:dst_port NOT IN (443, 8443)]", {V("network-traffic", "dst_port", "80")}, 1, 0},
    {"[network-traffic:dst_port NOT IN (443, 8443)]", {V("network-traffic", "dst_port", "https")}, 0, 0},
    {"[ipv4-addr:value IN ('10.0.0.0/8', '192.0.2.1')]", {V("ipv4-addr", "value", "10.9.9.9")}, 1, 0},
    {"[ipv4-addr:value IN ('10.0.0.0/8', '192.0.2.1')]", {V("ipv4-addr", "value", "192.0.2.2")}, 0, 0},
    /* = and != on strings */
    {"[file:name = 'a']", {V("file", "name", "a")}, 1, 0},
    {"[file:name = 'a']", {V("file", "name", "A")}, 0, 0},
    {"[file:name = 'it\\'s']", {V("file", "name", "it's")}, 1, 0},
    {"[file:name = 'a']", {V("process", "name", "a")}, 0, 0},
    {"[file:name = 'a']", {V("file", "name2", "a")}, 0, 0},
    {"[file:name != 'a']", {V("file", "name", "b")}, 1, 0},
    {"[file:name != 'a']", {V("file", "name", "a")}, 0, 0},
    {"[file:name != 'a']", {V("file", "size", "1")}, 0, 0},
    {"[file:name <> 'a']", {V("file", "name", "b")}, 1, 0},
    {"[file:name NOT = 'a']", {V("file", "name", "b")}, 1, 0},
    {"[file:name NOT != 'a']", {V("file", "name", "a")}, 1, 0},
    {"[file:name != 'a']", {V("file", "name", "a"), V("file", "name", "b")}, 1, 0},
    /* order on strings: code points */
    {"[file:name < 'b']", {V("file", "name", "a")}, 1, 0},
    {"[file:name < 'b']", {V("file", "name", "c")}, 0, 0},
    {"[file:name > 'Z']", {V("file", "name", "a")}, 1, 0},
    {"[file:name > '\xc3\xa9']", {V("file", "name", "z")}, 0, 0},
    {"[file:name >= 'abc']", {V("file", "name", "abc")}, 1, 0},
    /* numbers */
    {"[file:size > 1000]", {V("file", "size", "1001")}, 1, 0},
    {"[file:size > 1000]", {V("file", "size", "999")}, 0, 0},
    {"[file:size > 1000]", {V("file", "size", "1000")}, 0, 0},
    {"[file:size > 1000]", {V("file", "size", "1e4")}, 1, 0},
    {"[file:size > 1000]", {V("file", "size", "abc")}, 0, 0},
    {"[file:size > 1000]", {V("file", "size", "")}, 0, 0},
    {"[file:size > 1000]", {V("file", "size", "0x500")}, 0, 0},
    {"[file:size NOT > 1000]", {V("file", "size", "abc")}, 0, 0},
    {"[file:size >= 1000]", {V("file", "size", "1000")}, 1, 0},
    {"[file:size < 10]", {V("file", "size", "9.5")}, 1, 0},
    {"[file:size < 10]", {V("file", "size", "10")}, 0, 0},
    {"[file:size < 10]", {V("file", "size", "-3")}, 1, 0},
    {"[file:size <= -1]", {V("file", "size", "-1")}, 1, 0},
    {"[file:size = 10]", {V("file", "size", "10.0")}, 1, 0},
    {"[file:size = 10]", {V("file", "size", "+10")}, 1, 0},
    {"[file:size = 9223372036854775807]", {V("file", "size", "9223372036854775807")}, 1, 0},
    {"[file:size = 9223372036854775807]", {V("file", "size", "9223372036854775806")}, 0, 0},
    {"[file:size = 0.5]", {V("file", "size", ".5")}, 1, 0},
    {"[file:size != 0.5]", {V("file", "size", "0.25")}, 1, 0},
    {"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
     {V("file", "extensions.windows-pebinary-ext.sections[3].entropy", "7.5")}, 1, 0},
    {"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
     {V("file", "extensions.windows-pebinary-ext.sections[3].entropy", "6.9")}, 0, 0},
    {"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
     {V("file", "extensions.windows-pebinary-ext.sections[0].entropy", "6.9"),
      V("file", "extensions.windows-pebinary-ext.sections[1].entropy", "7.01")}, 1, 0},
    /* booleans */
    {"[x-thing:flag = true]", {V("x-thing", "flag", "true")}, 1, 0},
    {"[x-thing:flag = true]", {V("x-thing", "flag", "false")}, 0, 0},
    {"[x-thing:flag = true]", {V("x-thing", "flag", "TRUE")}, 0, 0},
    {"[x-thing:flag != false]", {V("x-thing", "flag", "true")}, 1, 0},
    /* timestamps */
    {"[file:created = t'2014-01-13T07:03:17Z']", {V("file", "created", "2014-01-13T07:03:17.000Z")}, 1, 0},
    {"[file:created > t'2014-01-13T07:03:17Z']", {V("file", "created", "2014-01-13T07:03:17.001Z")}, 1, 0},
    {"[file:created > t'2014-01-13T07:03:17Z']", {V("file", "created", "yesterday")}, 0, 0},
    {"[file:created < t'2014-01-13T07:03:17Z']", {V("file", "created", "2013-12-31T23:59:59Z")}, 1, 0},
    /* binary */
    {"[file:magic_number_hex = h'ffd8']", {V("file", "magic_number_hex", "FFD8")}, 1, 0},
    {"[file:magic_number_hex = h'ffd8']", {V("file", "magic_number_hex", "ffd9")}, 0, 0},
    {"[file:magic_number_hex = h'ffd8']", {V("file", "magic_number_hex", "ffd")}, 0, 0},
    {"[file:magic_number_hex > h'ff']", {V("file", "magic_number_hex", "ffd8")}, 1, 0},
    {"[file:magic_number_hex = b'/9g=']", {V("file", "magic_number_hex", "ffd8")}, 1, 0},
    {"[artifact:payload_bin = b'AQID']", {V("artifact", "payload_bin", "AQID")}, 1, 0},
    {"[artifact:payload_bin = h'010203']", {V("artifact", "payload_bin", "AQID")}, 1, 0},
    {"[artifact:payload_bin = h'010203']", {V("artifact", "payload_bin", "AQIE")}, 0, 0},
    {"[artifact:payload_bin = b'']", {V("artifact", "payload_bin", "")}, 1, 0},
    /* EXISTS */
    {"[EXISTS file:hashes]", {V("file", "hashes.MD5", "x")}, 1, 0},
    {"[EXISTS file:hashes]", {V("file", "name", "x")}, 0, 0},
    {"[EXISTS file:hashes]", {V("file", "hashesX", "x")}, 0, 0},
    {"[EXISTS file:hashes]", {V("process", "hashes.MD5", "x")}, 0, 0},
    {"[EXISTS file:hashes.'SHA-256']", {V("file", "hashes.SHA-256", "x")}, 1, 0},
    {"[EXISTS file:sections]", {V("file", "sections[2].entropy", "x")}, 1, 0},
    {"[NOT EXISTS file:hashes.MD5]", {V("file", "name", "x")}, 1, 0},
    {"[NOT EXISTS file:hashes.MD5]", {V("file", "hashes.MD5", "x")}, 0, 0},
    /* literals and hash paths in the matcher's canonical form, as the index has them */
    {"[domain-name:value = 'EVIL.example.' AND domain-name:value LIKE '%.example']",
     {V("domain-name", "value", "evil.example")}, 1, 0},
    {"[file:hashes.sha256 = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']",
     {V("file", "hashes.SHA-256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")}, 1, 0},
    {"[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E' AND file:hashes.MD5 != 'x']",
     {V("file", "hashes.MD5", "d41d8cd98f00b204e9800998ecf8427e")}, 1, 0},
    {"[url:value IN ('HTTP://Evil.Example:80/a', 'http://other.example/')]", {V("url", "value", "http://evil.example/a")}, 1, 0},
    {"[EXISTS file:hashes.'sha-1']", {V("file", "hashes.SHA-1", "x")}, 1, 0},
    /* no object of the type at all: false, negated or not (it matched every value) */
    {"[NOT EXISTS file:name]", {V("ipv4-addr", "value", "8.8.8.8")}, 0, 0},
    {"[NOT EXISTS file:name]", {V("domain-name", "value", "good.example")}, 0, 0},
    /* list paths */
    {"[domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
     {V("domain-name", "resolves_to_refs[2].value", "198.51.100.1")}, 1, 0},
    {"[domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
     {V("domain-name", "resolves_to_refs.value", "198.51.100.1")}, 0, 0},
    {"[domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
     {V("domain-name", "resolves_to_refs[].value", "198.51.100.1")}, 0, 0},
    {"[domain-name:resolves_to_refs[1].value = 'x']", {V("domain-name", "resolves_to_refs[1].value", "x")}, 1, 0},
    {"[domain-name:resolves_to_refs[1].value = 'x']", {V("domain-name", "resolves_to_refs[2].value", "x")}, 0, 0},
    {"[domain-name:resolves_to_refs[1].value = 'x']", {V("domain-name", "resolves_to_refs[1].value.y", "x")}, 0, 0},
    /* AND / OR inside one observation expression */
    {"[file:name = 'a' AND file:size = 3]", {V("file", "name", "a"), V("file", "size", "3")}, 1, 0},
    {"[file:name = 'a' AND file:size = 3]", {V("file", "name", "a")}, 0, 0},
    {"[file:name = 'a' OR file:size = 3]", {V("file", "size", "3")}, 1, 0},
    {"[file:name = 'x' OR file:name = 'y' AND file:size = 1]", {V("file", "name", "x")}, 1, 0},
    {"[file:name = 'x' OR file:name = 'y' AND file:size = 1]", {V("file", "name", "y")}, 0, 0},
    {"[file:name = 'x' OR file:name = 'y' AND file:size = 1]", {V("file", "name", "y"), V("file", "size", "1")}, 1, 0},
    {"[(file:name = 'x' OR file:name = 'y') AND file:size = 1]", {V("file", "name", "x")}, 0, 0},
    {"[file:name = 'a' OR process:name = 'b']", {V("process", "name", "b")}, 1, 0},
    /* several observation expressions: partial answers */
    {"[file:name = 'a'] OR [file:name = 'b']", {V("file", "name", "b")}, 1, 0},
    {"[file:name = 'a'] OR [file:name = 'b']", {V("file", "name", "c")}, 0, 0},
    {"[file:name = 'a'] WITHIN 5 SECONDS", {V("file", "name", "a")}, 1, 1},
    {"[file:name = 'a'] WITHIN 5 SECONDS", {V("file", "name", "b")}, 0, 0},
    {"[file:name = 'a'] AND [file:name = 'b']", {V("file", "name", "b")}, 1, 1},
    {"[file:name = 'a'] AND [file:name = 'b']", {V("file", "name", "c")}, 0, 0},
    {"[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", {V("file", "name", "a")}, 1, 1},
    {"[file:name = 'a'] OR [file:name = 'b'] WITHIN 5 SECONDS", {V("file", "name", "a")}, 1, 0},
    {"[file:name = 'a'] OR [file:name = 'b'] WITHIN 5 SECONDS", {V("file", "name", "b")}, 1, 1},
    {"([file:name = 'a'] OR [file:name = 'b']) REPEATS 2 TIMES", {V("file", "name", "a")}, 1, 1},
    /* no values */
    {"[file:name = 'a']", {{NULL, NULL, NULL}}, 0, 0},
    {"[NOT EXISTS file:name]", {{NULL, NULL, NULL}}, 0, 0}, /* a comparison is about an object of its type */
};

static void test_eval(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(evals); i++) {
        const struct eval_case *c = &evals[i];
        struct pattern *p = must_parse(c->text);
        size_t n = 0;
        int partial = -1;
        char name[512];

        while (n < MAX_VALS && c->values[n].object_type)
            n++;
        snprintf(name, sizeof name, "%s with %s:%s='%s'%s", c->text,
                 n ? c->values[0].object_type : "-", n ? c->values[0].path : "-",
                 n ? c->values[0].value : "-", n > 1 ? " ..." : "");
        assert_case_int(name, pattern_eval(p, NULL, c->values, n, &partial), c->want);
        assert_case_int(name, partial, c->partial);
        assert_case_int(name, pattern_eval(p, NULL, c->values, n, NULL), c->want);
        pattern_free(p);
    }
}

/* ---- robustness ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic across runs and platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

static const char *const fuzz_tokens[] = {
    " AND ", " OR ", " NOT ", " FOLLOWEDBY ", "[", "]", "(", ")", "'", "\\", "\\'", ":",
    ".", "[*]", "[0]", " = ", " != ", " < ", " >= ", " IN ('a', 2)", " LIKE '%a_'",
    " MATCHES '^a+$'", " ISSUBSET '10.0.0.0/8'", " ISSUPERSET '::1'", " EXISTS ",
    " WITHIN 5 SECONDS", " REPEATS 2 TIMES", " START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
    "h'ff'", "b'AA=='", "t'2016-01-01T00:00:00Z'", "true", "-1", "0.5", "file:name",
    "ipv4-addr:value", "'198.51.100.0/24'", "\xc3\xa9", "\xe2\x80\xa8", "\xff", "\xc3", "%",
    "{999}", "(((", ")))",
};

static int valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        size_t k = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3
                                : (*u & 0xF8) == 0xF0 ? 4 : 0;
        if (!k || (k > 1 && *u < 0xC2))
            return 0;
        for (size_t i = 1; i < k; i++)
            if ((u[i] & 0xC0) != 0x80)
                return 0;
        u += k;
    }
    return 1;
}

struct exact_check {
    const struct pattern *p;
    const char *text;
};

/* Every term of an EXACT plan, alone as an observation, satisfies the pattern. */
static int check_exact_term(void *ctx, const struct pattern_term *t)
{
    struct exact_check *c = ctx;
    struct pattern_value v = {t->object_type, t->path, t->value};

    if (pattern_eval(c->p, NULL, &v, 1, NULL) != 1)
        fail_msg("EXACT term %s:%s '%s' does not match its own pattern %s", t->object_type,
                 t->path, t->value, c->text);
    return 0;
}

#define FUZZ_ROUNDS 10000
#define FUZZ_CAP 4096

static void test_fuzz_mutations(void **state)
{
    static const struct pattern_value probe[] = {
        {"file", "name", "a"},
        {"ipv4-addr", "value", "10.1.2.3"},
        {"file", "size", "2"},
        {"domain-name", "value", "x.example"},
    };
    const char *seeds[N_OF(accepted) + N_OF(plans)];
    size_t n_seeds = 0, n_ok = 0, n_err = 0;
    char *buf = malloc(FUZZ_CAP + 1), *slice = malloc(FUZZ_CAP);

    (void)state;
    assert_non_null(buf);
    assert_non_null(slice);
    for (size_t i = 0; i < N_OF(accepted); i++)
        seeds[n_seeds++] = accepted[i];
    for (size_t i = 0; i < N_OF(plans); i++)
        seeds[n_seeds++] = plans[i].text;
    rng_state = 0x6d72657a61ULL; /* "mreza" */
    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        const char *seed = seeds[rng_below(n_seeds)];
        size_t len = strlen(seed), n_mut = 1 + rng_below(3);
        struct pattern *p = NULL;
        struct mz_error err = {0};
        enum mz_err rc;

        if (len > FUZZ_CAP)
            len = FUZZ_CAP;
        memcpy(buf, seed, len);
        for (size_t m = 0; m < n_mut; m++) {
            size_t at = rng_below(len + 1);
            switch (rng_below(7)) {
            case 0: /* replace a byte */
                if (len)
                    buf[rng_below(len)] = (char)rng_below(256);
                break;
            case 1: /* insert a byte */
                if (len < FUZZ_CAP) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = (char)rng_below(256);
                    len++;
                }
                break;
            case 2: /* delete a byte */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            case 3: { /* insert a token */
                const char *tok = fuzz_tokens[rng_below(N_OF(fuzz_tokens))];
                size_t tn = strlen(tok);
                if (len + tn <= FUZZ_CAP) {
                    memmove(buf + at + tn, buf + at, len - at);
                    memcpy(buf + at, tok, tn);
                    len += tn;
                }
                break;
            }
            case 4: { /* duplicate a slice */
                size_t from = rng_below(len + 1), n = rng_below(len - from + 1);
                if (len + n <= FUZZ_CAP) {
                    memcpy(slice, buf + from, n);
                    memmove(buf + at + n, buf + at, len - at);
                    memcpy(buf + at, slice, n);
                    len += n;
                }
                break;
            }
            case 5: /* truncate */
                len = at;
                break;
            default: { /* swap two bytes */
                size_t b = rng_below(len + 1);
                if (at < len && b < len) {
                    char t = buf[at];
                    buf[at] = buf[b];
                    buf[b] = t;
                }
                break;
            }
            }
        }
        buf[len] = '\0'; /* not part of the input (len is passed); eases messages */
        rc = pattern_parse(buf, len, &p, &err);
        if (rc == MZ_OK) {
            struct exact_check ec = {p, buf};
            enum pattern_plan_kind kind = pattern_plan(p, NULL, NULL);
            assert_non_null(p);
            if (kind == PLAN_EXACT)
                pattern_plan(p, check_exact_term, &ec);
            else
                pattern_plan(p, count_term, &(size_t){0});
            for (size_t k = 0; k <= N_OF(probe); k++) {
                int partial = -1, r = pattern_eval(p, NULL, probe, k, &partial);
                assert_true(r == 0 || r == 1);
                assert_true(partial == 0 || (partial == 1 && r == 1));
            }
            assert_true(pattern_is_temporal(p) == 0 || pattern_is_temporal(p) == 1);
            pattern_free(p);
            n_ok++;
        } else {
            unsigned long pos;
            char *end;
            assert_int_equal(rc, MZ_EINVAL);
            assert_null(p);
            assert_int_equal(strncmp(err.msg, "pattern error at position ", 26), 0);
            pos = strtoul(err.msg + 26, &end, 10);
            assert_true(pos <= len);
            assert_int_equal(strncmp(end, ": ", 2), 0);
            assert_true(strlen(end) > 2);
            assert_true(valid_utf8(err.msg));
            n_err++;
        }
    }
    free(buf);
    free(slice);
    print_message("fuzz: %zu accepted, %zu rejected\n", n_ok, n_err);
    /* the run exercised both paths substantially */
    assert_true(n_ok > FUZZ_ROUNDS / 20);
    assert_true(n_err > FUZZ_ROUNDS / 2);
    assert_int_equal(n_ok + n_err, FUZZ_ROUNDS);
}

/* ---- MATCHES within limits ---- */

/* A value of n bytes: lead, then fill repeated, then tail. Caller frees. */
static char *value_of(const char *lead, const char *fill, size_t n, const char *tail)
{
    size_t ll = strlen(lead), fl = strlen(fill), tl = strlen(tail);
    char *v = malloc(ll + n + tl + 1);

    assert_non_null(v);
    memcpy(v, lead, ll);
    for (size_t i = 0; i < n; i++)
        v[ll + i] = fill[i % fl];
    memcpy(v + ll + n, tail, tl + 1);
    return v;
}

/* The expressions that made glibc's matcher build exponentially many states (the
 * first is refused at write time, so it is compiled here without the parser): with a
 * small step limit, each stops at the limit on values of letters and is counted; with
 * the defaults it is decided (no match) without reaching them; a true match stays a
 * match under both. Not a time: the count of limited values. */
static void test_matches_limits_glibc_cases(void **state)
{
    static const struct {
        const char *re;
        const char *fill; /* letters of the expression's class */
    } cases[] = {
        {".*[a-m].{30}X", "abcdefghijklm"},
        {".*a[a-z]{30}X", "a"},
        {".*a[a-z]{30}X", "abcdefghijklmnopqrstuvwxyz"},
    };
    const struct pattern_limits small = {100, 64};
    uint64_t reps;

    (void)state;
    assert_non_null(pattern_regex_refusal(cases[0].re, strlen(cases[0].re), &reps)); /* the guard stays */
    assert_null(pattern_regex_refusal(cases[1].re, strlen(cases[1].re), &reps));
    for (size_t i = 0; i < N_OF(cases); i++) {
        char msg[200];
        pcre2_code *re = pattern_regex_compile(cases[i].re, strlen(cases[i].re), msg, sizeof msg);
        struct pattern_scratch *lim = NULL, *def = NULL;
        char *miss = value_of("X", cases[i].fill, 150, ""), *hit = value_of("http://x.example/", "a", 40, "X");
        assert_non_null(re);
        assert_int_equal(pattern_scratch_new(&small, &lim, NULL), MZ_OK);
        assert_int_equal(pattern_scratch_new(NULL, &def, NULL), MZ_OK);
        for (int k = 1; k <= 3; k++) {
            assert_case_int(cases[i].re, pattern_regex_match(re, lim, miss, strlen(miss)), -1);
            assert_case_int(cases[i].re, pattern_scratch_limited(lim), k);
        }
        assert_case_int(cases[i].re, pattern_regex_match(re, def, miss, strlen(miss)), 0);
        assert_case_int(cases[i].re, pattern_regex_match(re, lim, hit, strlen(hit)), 1);
        assert_case_int(cases[i].re, pattern_regex_match(re, def, hit, strlen(hit)), 1);
        assert_case_int(cases[i].re, pattern_scratch_limited(lim), 3);
        assert_case_int(cases[i].re, pattern_scratch_limited(def), 0);
        pattern_scratch_free(lim);
        pattern_scratch_free(def);
        pcre2_code_free(re);
        free(miss);
        free(hit);
    }
}

/* Backtracking's own bad cases, which the guard lets through, stop at the default
 * limits, through pattern_eval as the engine calls it; the heap limit stops a deep
 * one. The scratch counts each value. */
static void test_matches_limits_default(void **state)
{
    static const char *const patterns[] = {
        "[domain-name:value MATCHES '^(a|aa)+$']",
        "[domain-name:value MATCHES '(a|aa)+$']",
        "[domain-name:value MATCHES '^(a+)+$']",
        "[domain-name:value NOT MATCHES '^(a|aa)+$']",
    };
    char *v = value_of("", "a", 60, "c");
    struct pattern_value pv = {"domain-name", "value", v};
    struct pattern_scratch *s = NULL, *tiny_heap = NULL;
    const struct pattern_limits heap = {PATTERN_REGEX_STEPS, 16};
    struct mz_error err;

    (void)state;
    assert_int_equal(pattern_scratch_new(NULL, &s, &err), MZ_OK);
    for (size_t i = 0; i < N_OF(patterns); i++) {
        struct pattern *p = NULL;
        assert_int_equal(pattern_parse(patterns[i], strlen(patterns[i]), &p, &err), MZ_OK);
        assert_case_int(patterns[i], pattern_eval(p, s, &pv, 1, NULL), 0);
        assert_case_int(patterns[i], pattern_scratch_limited(s), i + 1);
        pattern_free(p);
    }
    /* a nested group repeated over a long value needs deep backtracking: the heap
     * limit (16 KiB) stops it, the default heap does not */
    {
        const char *text = "[domain-name:value MATCHES '^(?:(?:a|b)c?)+$']";
        char *deep = value_of("", "ab", 2000, "");
        struct pattern_value dv = {"domain-name", "value", deep};
        struct pattern *p = NULL;
        uint64_t before = pattern_scratch_limited(s);
        assert_int_equal(pattern_parse(text, strlen(text), &p, &err), MZ_OK);
        assert_int_equal(pattern_scratch_new(&heap, &tiny_heap, &err), MZ_OK);
        assert_int_equal(pattern_eval(p, tiny_heap, &dv, 1, NULL), 0);
        assert_int_equal(pattern_scratch_limited(tiny_heap), 1);
        assert_int_equal(pattern_eval(p, s, &dv, 1, NULL), 1);
        assert_int_equal(pattern_scratch_limited(s), before);
        pattern_free(p);
        free(deep);
    }
    pattern_scratch_free(tiny_heap);
    pattern_scratch_free(s);
    pattern_scratch_free(NULL);
    assert_int_equal(pattern_scratch_limited(NULL), 0);
    free(v);
}

/* ---- the budget: a whole value, every start position ---- */

/* The expression as written, compiled without the callout: what PCRE2 alone says,
 * with the same limit per start position (PCRE2 counts it afresh at each). */
static int plain_match(const char *re_text, const char *v, uint32_t steps)
{
    int code = 0, rc;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)re_text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NO_AUTO_CAPTURE |
                                       PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);

    assert_non_null(re);
    pcre2_set_match_limit(mc, steps);
    pcre2_set_depth_limit(mc, steps);
    rc = pcre2_match(re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, mc);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* pattern_regex_match() runs every start position under a limit of its own, runs
 * again alone from its position one that needs more, and goes on from the next: the
 * answer must be PCRE2's own, whatever the expression and value, budget or not (a
 * budget that holds the work changes nothing). The cases make attempts need more
 * than PATTERN_REGEX_PROBE steps (so that positions are retried alone and the search
 * resumes at later offsets), look behind and ahead across those offsets, anchor at
 * the start (^, \A and \G, which must keep meaning the start of the value), and
 * alternate at the top. */
static void test_matches_attempts_agree(void **state)
{
    static const char *const res[] = {
        "[a-z0-9.-]+\\.(tk|ml|ga)$", "(a|aa)+[xy]", "(a|aa)+b", "^(a|aa)+b", "[a-z]+[0-9]",
        "(?<=q)[a-z]+[0-9]", "(?<![a-z])[a-z]+z", "[a-z]+(?=[0-9])", "[a-z]+[0-9]|\\Gq",
        "[a-z]+[0-9]|\\Aq", "\\Gaq", "a|^b", "\\.", "(?i)SECURE-login", "login|signin|verify",
        "[a-z]+\\d|x\\b", ".*[0-9]", "(?s).*[0-9]", "(?m)^q[a-z]+[0-9]$", "\\Q[a-z]+\\E|q\\Gq",
        "([a-z]{2})+[0-9]", "(?:[a-z]+\\.){2,}[0-9]",
    };
    static const char *const fills[] = {"a", "aq", "ab", "a.b", "q", "zq", "a\nq", "ab1", "\xc3\xa9", "\xff"};
    static const size_t lens[] = {0, 1, 2, 30, 70, 130, 300};
    static const char *const tails[] = {"", "1", "x", "b", ".tk", "aq", "\nqa1", "z"};
    const struct pattern_limits lim = {20000, PATTERN_REGEX_HEAP_KIB}; /* per start position */
    struct pattern_scratch *s = NULL, *b = NULL;
    int n = 0, n_match = 0, n_limited = 0;

    (void)state;
    assert_int_equal(pattern_scratch_new(&lim, &s, NULL), MZ_OK);
    assert_int_equal(pattern_scratch_new(&lim, &b, NULL), MZ_OK);
    for (size_t r = 0; r < N_OF(res); r++) {
        char msg[200];
        pcre2_code *re = pattern_regex_compile(res[r], strlen(res[r]), msg, sizeof msg);
        assert_non_null(re);
        for (size_t f = 0; f < N_OF(fills); f++)
            for (size_t l = 0; l < N_OF(lens); l++)
                for (size_t t = 0; t < N_OF(tails); t++) {
                    char *v = value_of(f % 2 ? "q" : "", fills[f], lens[l], tails[t]);
                    char name[600];
                    int want = plain_match(res[r], v, lim.steps);
                    snprintf(name, sizeof name, "/%s/ on %zu x '%s' + '%s'", res[r], lens[l], fills[f], tails[t]);
                    assert_case_int(name, pattern_regex_match(re, s, v, strlen(v)), want);
                    pattern_scratch_budget(b, (uint64_t)1 << 40);
                    assert_case_int(name, pattern_regex_match(re, b, v, strlen(v)), want);
                    assert_case_int(name, pattern_scratch_budget_spent(b), 0);
                    n++;
                    n_match += want == 1;
                    n_limited += want == -1;
                    free(v);
                }
        pcre2_code_free(re);
    }
    /* the table is not all one answer; what PCRE2 stops at the limit, so do we */
    assert_true(n_match > n / 8 && n_match < n - n / 8);
    assert_int_equal(pattern_scratch_limited(s), n_limited);
    /* \G meant the start of the value: never the offset a search resumes at */
    {
        char msg[200];
        char *v = value_of("aq", "a", 80, "");
        pcre2_code *re = pattern_regex_compile("[a-z]+[0-9]|\\Gq", 16, msg, sizeof msg);
        assert_int_equal(plain_match("[a-z]+[0-9]|\\Gq", v, lim.steps), 0);
        assert_int_equal(pattern_regex_match(re, s, v, strlen(v)), 0);
        pcre2_code_free(re);
        free(v);
    }
    pattern_scratch_free(s);
    pattern_scratch_free(b);
}

/* Steps charged for re on v, with a budget that holds them all. */
static uint64_t charged(pcre2_code *re, struct pattern_scratch *s, const char *v, int want)
{
    const uint64_t big = (uint64_t)1 << 50;

    pattern_scratch_budget(s, big);
    assert_int_equal(pattern_regex_match(re, s, v, strlen(v)), want);
    assert_int_equal(pattern_scratch_budget_spent(s), 0);
    return big - pattern_scratch_budget_left(s);
}

/* The work PCRE2 does for re_text on v, every start position tried: the smallest
 * match limit with which the attempt anchored at each position ends (the search tries
 * each of v's positions: the expressions below have no start-of-match shortcut on
 * these values). */
static uint64_t work_of(const char *re_text, const char *v)
{
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)re_text, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_AUTO_CAPTURE,
                                   &code, &off, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    uint64_t sum = 0;

    assert_non_null(re);
    for (size_t p = 0; p < strlen(v); p++) {
        uint32_t lo = 1, hi = 1 << 20;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            pcre2_set_match_limit(mc, mid);
            if (pcre2_match(re, (PCRE2_SPTR)v, strlen(v), p, PCRE2_ANCHORED, md, mc) == PCRE2_ERROR_MATCHLIMIT)
                lo = mid + 1;
            else
                hi = mid;
        }
        sum += lo;
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return sum;
}

/* PCRE2 counts its match limit afresh at every start position, so the limit alone
 * let one test on one value cost as many times the limit as the value has positions:
 * "(a|aa)+[xy]" takes 150 049 steps at the start of 22 letters, and a value of k such
 * runs took k times as long, each position within the limit (here: runs of 16). The budget is charged
 * every start position: what a value is charged is at least PCRE2's work on it, all
 * positions together, and less than 16/3 of it plus the probe and the calls' reading;
 * a budget of less stops the test (no match, negated or not, counted once), whatever
 * the limit per position. */
static void test_matches_budget_whole_value(void **state)
{
    enum { RUN = 16, K = 20 }; /* K runs of RUN letters, each followed by 'z' */
    char msg[200], one[RUN + 1], many[K * (RUN + 1) + 1];
    pcre2_code *re = pattern_regex_compile("(a|aa)+[xy]", 11, msg, sizeof msg);
    struct pattern_scratch *s = NULL;
    uint64_t c1, c20, w1, w20;

    (void)state;
    assert_non_null(re);
    memset(one, 'a', RUN);
    one[RUN] = '\0';
    for (int k = 0; k < K; k++) {
        memset(many + k * (RUN + 1), 'a', RUN);
        many[k * (RUN + 1) + RUN] = 'z';
    }
    many[K * (RUN + 1)] = '\0';
    assert_int_equal(pattern_scratch_new(NULL, &s, NULL), MZ_OK);
    /* no budget: PCRE2's own answer, nothing cut */
    assert_int_equal(pattern_regex_match(re, s, many, strlen(many)), 0);
    assert_int_equal(pattern_scratch_budget_left(s), PATTERN_NO_BUDGET);
    w1 = work_of("(a|aa)+[xy]", one);
    w20 = work_of("(a|aa)+[xy]", many);
    assert_true(w1 > 8000 && w20 >= K * w1);
    c1 = charged(re, s, one, 0);
    c20 = charged(re, s, many, 0);
    assert_true(c1 >= w1);
    assert_true(c1 <= w1 * 16 / 3 + RUN * (PATTERN_REGEX_PROBE + 8));
    assert_true(c20 >= w20);
    assert_true(c20 <= w20 * 16 / 3 + K * (RUN + 1) * (PATTERN_REGEX_PROBE + 8 * 7));
    assert_int_equal(pattern_scratch_limited(s), 0);
    /* exactly what it is charged: decided; one step less: cut, counted once */
    pattern_scratch_budget(s, c20);
    assert_int_equal(pattern_regex_match(re, s, many, strlen(many)), 0);
    assert_int_equal(pattern_scratch_budget_left(s), 0);
    assert_int_equal(pattern_scratch_budget_spent(s), 0);
    pattern_scratch_budget(s, c20 - 1);
    assert_int_equal(pattern_regex_match(re, s, many, strlen(many)), -1);
    assert_int_equal(pattern_scratch_budget_spent(s), 1);
    assert_int_equal(pattern_scratch_budget_left(s), 0);
    assert_int_equal(pattern_scratch_limited(s), 1);
    /* spent: every later test is cut at once, and not counted again */
    assert_int_equal(pattern_regex_match(re, s, one, strlen(one)), -1);
    assert_int_equal(pattern_scratch_limited(s), 1);
    /* a budget of a fifth of the value: cut long before the end */
    pattern_scratch_budget(s, c20 / 5);
    assert_int_equal(pattern_regex_match(re, s, many, strlen(many)), -1);
    assert_int_equal(pattern_scratch_limited(s), 2);
    pattern_scratch_free(s);
    pcre2_code_free(re);
}

/* The budget through pattern_eval(), as the engine gives it per organisation: every
 * value a test looks at costs a step, and every further literal of an IN set, LIKE a
 * step per character compared, MATCHES its attempts. Once spent, the pattern and every later one is no match, NOT included,
 * until the next budget. */
static void test_eval_budget(void **state)
{
    const char *like = "[domain-name:value LIKE '%aaaaaaaaaaaaaaaaaaaaaaaaaaaaab']";
    const char *not_rx = "[domain-name:value NOT MATCHES '^x']";
    const char *eq = "[domain-name:value = 'evil.example' OR domain-name:value != 'evil.example']";
    char *v = value_of("", "a", 1500, ".example");
    struct pattern_value pv = {"domain-name", "value", v};
    struct pattern_value two[] = {{"domain-name", "value", "a.example"}, {"url", "value", "http://a.example/"}};
    struct pattern *pl = must_parse(like), *pn = must_parse(not_rx), *pe = must_parse(eq);
    struct pattern_scratch *s = NULL;
    uint64_t c;

    (void)state;
    assert_int_equal(pattern_scratch_new(NULL, &s, NULL), MZ_OK);
    /* LIKE tries the 30 characters after '%' at each of 1500 positions */
    pattern_scratch_budget(s, (uint64_t)1 << 40);
    assert_int_equal(pattern_eval(pl, s, &pv, 1, NULL), 0);
    c = ((uint64_t)1 << 40) - pattern_scratch_budget_left(s);
    assert_true(c > 1500 * 29);
    pattern_scratch_budget(s, c);
    assert_int_equal(pattern_eval(pl, s, &pv, 1, NULL), 0);
    assert_int_equal(pattern_scratch_budget_spent(s), 0);
    pattern_scratch_budget(s, c - 1);
    assert_int_equal(pattern_eval(pl, s, &pv, 1, NULL), 0);
    assert_int_equal(pattern_scratch_budget_spent(s), 1);
    assert_int_equal(pattern_scratch_limited(s), 1);
    /* spent: NOT MATCHES, which would hold, does not */
    assert_int_equal(pattern_eval(pn, s, &pv, 1, NULL), 0);
    pattern_scratch_budget(s, 1000);
    assert_int_equal(pattern_eval(pn, s, &pv, 1, NULL), 1);
    /* plain tests: one step per value looked at (the first test looks at both, the
     * second holds for the first) */
    pattern_scratch_budget(s, 100);
    assert_int_equal(pattern_eval(pe, s, two, 2, NULL), 1);
    assert_int_equal(100 - pattern_scratch_budget_left(s), 3);
    pattern_scratch_budget(s, 3);
    assert_int_equal(pattern_eval(pe, s, two, 2, NULL), 1);
    assert_int_equal(pattern_scratch_budget_spent(s), 0);
    pattern_scratch_budget(s, 2);
    assert_int_equal(pattern_eval(pe, s, two, 2, NULL), 0);
    assert_int_equal(pattern_scratch_budget_spent(s), 1);
    /* NOT IN: a step per literal compared after the first (a 3-literal set: 1 + 2) */
    {
        struct pattern *pi = must_parse("[domain-name:value NOT IN ('x.example', 'y.example', 'z.example')]");
        pattern_scratch_budget(s, 100);
        assert_int_equal(pattern_eval(pi, s, two, 1, NULL), 1);
        assert_int_equal(100 - pattern_scratch_budget_left(s), 3);
        pattern_scratch_budget(s, 2);
        assert_int_equal(pattern_eval(pi, s, two, 1, NULL), 0);
        assert_int_equal(pattern_scratch_budget_spent(s), 1);
        pattern_free(pi);
    }
    pattern_free(pl);
    pattern_free(pn);
    pattern_free(pe);
    pattern_scratch_free(s);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oasis_examples),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_plan_stops),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_matches_limits_glibc_cases),
        cmocka_unit_test(test_matches_limits_default),
        cmocka_unit_test(test_matches_attempts_agree),
        cmocka_unit_test(test_matches_budget_whole_value),
        cmocka_unit_test(test_eval_budget),
        cmocka_unit_test(test_fuzz_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
