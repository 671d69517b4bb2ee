/* tests/integ/test_index_build.c - the index built from a store large enough for
 * the pipelined build (a reader thread batching rows while the index grows, taken
 * from 20 000 rows up): 30 000 indicators imported, a log naming every one of them
 * (and as many values that are none), `mreza match` without a snapshot (rebuilt)
 * and then with the one it wrote must both report exactly the indicator lines. A
 * second version of some indicators (revoked) must retire the first. One indicator in
 * the middle is larger than a batch of the reader (2 MiB: a long description) and its
 * body is read again (a pattern evaluated on candidates): it must be found too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define N_IOCS 30000
#define N_REVOKED 500

static struct hnode node;

static void value_of(int i, char *out, size_t cap)
{
    if (i % 3 == 0)
        snprintf(out, cap, "host%d.build.example", i);
    else if (i % 3 == 1)
        snprintf(out, cap, "198.%d.%d.%d", 18 + (i >> 16) % 2, (i >> 8) & 255, i & 255);
    else
        snprintf(out, cap, "%064x", (unsigned)i * 2654435761u);
}

static void indicator(FILE *f, int i, int first, int revoked)
{
    char v[80];

    value_of(i, v, sizeof v);
    fprintf(f,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--6b6b6b6b-0000-4000-8000-%012d\","
            "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-0%dT00:00:00.000Z\","
            "\"pattern\":\"[%s = '%s']\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
            "%s\"object_marking_refs\":[\"" GREEN "\"]}",
            first ? "" : ",", i, revoked ? 2 : 1,
            i % 3 == 0 ? "domain-name:value" : i % 3 == 1 ? "ipv4-addr:value" : "file:hashes.'SHA-256'", v,
            revoked ? "\"revoked\":true," : "");
}

/* The huge one: a candidate pattern (an exact key, then LIKE on it) and a 2.5 MiB
 * description. */
#define HUGE_VALUE "huge.build.example"
static void huge_indicator(FILE *f)
{
    fprintf(f,
            ",{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--6b6b6b6b-0000-4000-8000-999999999999\","
            "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
            "\"pattern\":\"[domain-name:value = '" HUGE_VALUE "' AND domain-name:value LIKE '%%.build.example']\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"description\":\"");
    for (int i = 0; i < (5 << 19) / 64; i++)
        fputs("a long description of a very large indicator, to fill a batch. ", f);
    fprintf(f, "\",\"object_marking_refs\":[\"" GREEN "\"]}");
}

static int setup(void **state)
{
    char key[64], bundle[400], *out = NULL, *err = NULL;
    const char *const imp[] = {"import", bundle, "--user", "a@rs-cert", NULL};
    FILE *f;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "a@rs-cert", "rs-cert", "analyst", key);
    snprintf(bundle, sizeof bundle, "%s/iocs.json", node.dir);
    f = fopen(bundle, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--6b6b6b6b-0000-4000-8000-000000000000\",\"objects\":[");
    for (int i = 0; i < N_IOCS; i++) {
        indicator(f, i, i == 0, 0);
        if (i == N_IOCS / 2)
            huge_indicator(f);
    }
    /* newer versions, revoked, of the first N_REVOKED */
    for (int i = 0; i < N_REVOKED; i++)
        indicator(f, i, 0, 1);
    fprintf(f, "]}\n");
    fclose(f);
    if (h_cli_err(&node, &out, &err, imp) != 0)
        fail_msg("import failed: %s %s", out, err);
    free(out);
    free(err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return h_node_free(&node) > 0;
}

static void check_run(const char *log, const char *want_how)
{
    const char *const m[] = {"match", "--as", "rs-cert", "--format", "text", log, NULL};
    char *out = NULL, *err = NULL, needle[64];
    long lines = 0;

    assert_int_equal(h_cli_err(&node, &out, &err, m), 0);
    if (!strstr(err, want_how))
        fail_msg("expected \"%s\" in: %s", want_how, err);
    for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    /* every live indicator's line once (and the huge one's); revoked ones and the other
     * values never */
    assert_int_equal(lines, N_IOCS - N_REVOKED + 1);
    assert_non_null(strstr(out, "\"value\":\"" HUGE_VALUE "\""));
    snprintf(needle, sizeof needle, "\"line\":%d,", 2 * (N_REVOKED + 7) + 1);
    assert_non_null(strstr(out, needle));
    snprintf(needle, sizeof needle, "\"line\":%d,", 2 * 7 + 1);
    assert_null(strstr(out, needle));
    snprintf(needle, sizeof needle, "\"line\":%d,", 2 * (N_REVOKED + 7) + 2);
    assert_null(strstr(out, needle));
    /* the last indicator's line, at the very end of the input (line numbers are
     * counted right through the line splitter's blocks and both threads' chunks) */
    snprintf(needle, sizeof needle, "\"line\":%d,\"field\":\"text\",\"value\":\"host29997.build.example\"",
             2 * 29997 + 1);
    assert_non_null(strstr(out, needle));
    free(out);
    free(err);
}

static void test_pipelined_build_is_complete(void **state)
{
    char log[400], v[80];
    FILE *f;

    (void)state;
    snprintf(log, sizeof log, "%s/all.log", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    /* line 2i+1: indicator i's value; line 2i+2: a value of no indicator */
    for (int i = 0; i < N_IOCS; i++) {
        value_of(i, v, sizeof v);
        fprintf(f, "seen %s\n", v);
        value_of(i + N_IOCS + 3, v, sizeof v);
        fprintf(f, "seen %s\n", v);
    }
    fprintf(f, "seen " HUGE_VALUE "\n");
    fclose(f);
    check_run(log, "index rebuilt");
    check_run(log, "index snapshot;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_build_is_complete),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
