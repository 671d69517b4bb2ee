/* tests/unit/match/test_jscan.c - unit tests of match/jscan.c (the matcher's
 * first-stage scanner for JSON lines), with every kernel this CPU runs (AVX2, SSSE3,
 * plain C). Covers, through the public API:
 *   - byte classes: jscan_class() against a plain statement of each class, and each
 *     kernel's class of every byte value against jscan_class();
 *   - agreement with logfmt (match/logfmt.h) on 30 000 random lines (flat objects with
 *     spaces, scalars, empty strings, escapes, non-ASCII, tabs, CRLF, nesting, random
 *     deletions and replacements): a line jscan calls flat is one logfmt accepts with
 *     exactly the same values; a line logfmt's flat path takes, jscan takes too; every
 *     value's class is the OR of its bytes' classes; all kernels say the same;
 *   - line ends: '\n', the end of the chunk, lines that end at the very end of a
 *     buffer allocated to size (ASan catches any read past the readable limit),
 *     lines longer than JSCAN_MAX_LINE, and the value cap;
 *   - the kernel jscan_new() picks: the best, or the one MREZA_JSCAN_KERNEL names
 *     when the CPU runs it. The first test prints the kernels tested
 *     ("jscan kernels tested: plain ssse3 avx2"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match/jscan.h"
#include "match/logfmt.h"

static const enum jscan_kernel kernels[] = {JSCAN_SCALAR, JSCAN_SSSE3, JSCAN_AVX2};
#define N_KERNELS (sizeof kernels / sizeof kernels[0])

/* The scanners of the kernels this CPU runs (the plain one always). */
static size_t all_scanners(struct jscan **js)
{
    size_t n = 0;

    for (size_t i = 0; i < N_KERNELS; i++) {
        struct jscan *s = jscan_new_kernel(kernels[i]);
        if (s)
            js[n++] = s;
    }
    assert_true(n >= 1 && js[0]->kernel == JSCAN_SCALAR);
    return n;
}

static void free_scanners(struct jscan **js, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(js[i]);
}

/* ---- kernels ---- */

/* Which kernels the other tests run (printed), and which kernel jscan_new() picks:
 * the best this CPU runs, or the one MREZA_JSCAN_KERNEL names if the CPU runs it. */
static void test_kernels(void **state)
{
    static const char *const ignored[] = {"", "scalar", "AVX2", "avx512", "plain "};
    struct jscan *js[N_KERNELS], *best, *got;
    size_t nk = all_scanners(js);
    char names[64] = "";

    (void)state;
    for (size_t k = 0; k < nk; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), " %s", jscan_kernel_name(js[k]->kernel));
    print_message("jscan kernels tested:%s\n", names);
    assert_string_equal(jscan_kernel_name(JSCAN_SCALAR), "plain");
    assert_string_equal(jscan_kernel_name(JSCAN_SSSE3), "ssse3");
    assert_string_equal(jscan_kernel_name(JSCAN_AVX2), "avx2");
    assert_int_equal(unsetenv("MREZA_JSCAN_KERNEL"), 0);
    best = jscan_new();
    assert_non_null(best);
    assert_int_equal(best->kernel, js[nk - 1]->kernel);
    for (size_t i = 0; i < N_KERNELS; i++) {
        struct jscan *has = jscan_new_kernel(kernels[i]);
        assert_int_equal(setenv("MREZA_JSCAN_KERNEL", jscan_kernel_name(kernels[i]), 1), 0);
        got = jscan_new();
        assert_non_null(got);
        assert_int_equal(got->kernel, has ? kernels[i] : best->kernel);
        free(got);
        free(has);
    }
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        assert_int_equal(setenv("MREZA_JSCAN_KERNEL", ignored[i], 1), 0);
        got = jscan_new();
        assert_non_null(got);
        assert_int_equal(got->kernel, best->kernel);
        free(got);
    }
    assert_int_equal(unsetenv("MREZA_JSCAN_KERNEL"), 0);
    free(best);
    free_scanners(js, nk);
}

/* ---- classes ---- */

static unsigned plain_class(unsigned c)
{
    if (c >= '0' && c <= '9')
        return JSCAN_DIGIT;
    if (c == '.')
        return JSCAN_DOT;
    if (c == ':')
        return JSCAN_COLON;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
        return JSCAN_HEX;
    if ((c >= 'g' && c <= 'o') || (c >= 'G' && c <= 'O'))
        return JSCAN_G_O;
    if ((c >= 'p' && c <= 'z') || (c >= 'P' && c <= 'Z'))
        return JSCAN_P_Z;
    if (c == '-' || c == '_')
        return JSCAN_DASH;
    return JSCAN_OTHER;
}

static void test_classes(void **state)
{
    struct jscan *js[N_KERNELS];
    size_t nk = all_scanners(js);
    char buf[300];
    size_t n = 0;
    int flat;

    (void)state;
    for (unsigned c = 0; c < 256; c++)
        if (jscan_class((unsigned char)c) != plain_class(c))
            fail_msg("byte 0x%02x: class %u, want %u", c, jscan_class((unsigned char)c), plain_class(c));
    /* every byte but '\n', then '\n': each kernel classifies all of them */
    for (unsigned c = 0; c < 256; c++)
        if (c != '\n')
            buf[n++] = (char)c;
    buf[n] = '\n';
    for (size_t k = 0; k < nk; k++) {
        assert_int_equal(jscan_line(js[k], buf, buf + n + 1, buf + n + 1, &flat), n);
        assert_int_equal(flat, 0);
        for (size_t i = 0; i < n; i++)
            if (js[k]->k[i] != jscan_class((unsigned char)buf[i]))
                fail_msg("kernel %d, byte 0x%02x: class %u", (int)js[k]->kernel, (unsigned char)buf[i],
                         js[k]->k[i]);
    }
    free_scanners(js, nk);
}

/* ---- agreement with logfmt ---- */

static unsigned lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(*x >> 33);
}

/* A random line, mostly a flat object; returns its length. */
static size_t random_line(uint64_t *x, char *buf, size_t cap)
{
    static const char *const scalars[] = {"0", "-12", "3.25", "1e9", "true", "false", "null", "200", "01", "-", "tru"};
    static const char chars[] = "abcdefxyz0123456789.-_:/@ ABCGPZ[]{},";
    static const char *const odd[] = {"\\\"", "\xc3\xa9", "\t", "\\n", "\x01"};
    size_t len = 0;
    int n;

#define RND() lcg(x)
    n = (int)(RND() % 12);
    len += (size_t)snprintf(buf + len, cap - len, "%s{", RND() % 6 ? "" : " ");
    for (int k = 0; k < n && len + 120 < cap; k++) {
        const char *sep = k ? (RND() % 5 ? "," : " , ") : "";
        const char *sp1 = RND() % 7 ? "" : " ", *sp2 = RND() % 6 ? "" : " ";
        len += (size_t)snprintf(buf + len, cap - len, "%s\"k%u\"%s:%s", sep, RND() % 50, sp1, sp2);
        switch (RND() % 8) {
        case 0:
            len += (size_t)snprintf(buf + len, cap - len, "%s", scalars[RND() % 11]);
            break;
        case 1:
            len += (size_t)snprintf(buf + len, cap - len, "%s", RND() % 2 ? "{\"n\":\"1.2.3.4\"}" : "[\"a.b\"]");
            break;
        default: {
            size_t m = RND() % 70;
            buf[len++] = '"';
            for (size_t j = 0; j < m; j++)
                buf[len++] = chars[RND() % (sizeof chars - 1)];
            if (RND() % 25 == 0)
                len += (size_t)snprintf(buf + len, cap - len, "%s", odd[RND() % 5]);
            buf[len++] = '"';
        }
        }
    }
    len += (size_t)snprintf(buf + len, cap - len, "}%s", RND() % 8 ? "" : " ");
    if (RND() % 4 == 0 && len > 0) {
        size_t at = RND() % len;
        if (RND() % 2)
            memmove(buf + at, buf + at + 1, len-- - at);
        else
            buf[at] = "{}[]\",: x1\r"[RND() % 11];
    }
    if (RND() % 10 == 0)
        buf[len++] = '\r';
    buf[len] = '\0';
#undef RND
    return len;
}

static unsigned class_of(const char *s, size_t n)
{
    unsigned c = 0;

    for (size_t i = 0; i < n; i++)
        c |= jscan_class((unsigned char)s[i]);
    return c;
}

static int ignore_value(void *ctx, const struct logfmt_value *v)
{
    (void)v;
    ++*(size_t *)ctx;
    return 0;
}

static void test_agrees_with_logfmt(void **state)
{
    struct logfmt_opts opts = {LOGFMT_JSON, NULL, 0};
    struct logfmt *f = NULL;
    struct jscan *js[N_KERNELS];
    size_t nk = all_scanners(js), flats = 0, fast_flats = 0, refused = 0;
    static char buf[2100];
    uint64_t x = 2024;

    (void)state;
    assert_int_equal(logfmt_new(&opts, &f, NULL), MZ_OK);
    assert_true(logfmt_json_all_leaves(f));
    for (int it = 0; it < 30000; it++) {
        size_t len = random_line(&x, buf, sizeof buf - 100), n_spans = 0, called = 0;
        const struct logfmt_span *spans = NULL;
        enum logfmt_skip r;
        int flat[N_KERNELS] = {0};

        /* a following line, so that the scanner must stop at the '\n' */
        memcpy(buf + len, "\n{\"z\":\"9.9.9.9\"}\n", 18);
        r = logfmt_values_all(f, buf, len, &spans, &n_spans, ignore_value, &called);
        for (size_t k = 0; k < nk; k++) {
            size_t got = jscan_line(js[k], buf, buf + len + 17, buf + len + 17, &flat[k]);
            if (got != len)
                fail_msg("kernel %d: length %zu, want %zu: %s", (int)js[k]->kernel, got, len, buf);
            if (flat[k] != flat[0])
                fail_msg("kernel %d: flat %d, plain kernel %d: %.*s", (int)js[k]->kernel, flat[k], flat[0], (int)len, buf);
            if (!flat[k])
                continue;
            if (r != LOGFMT_OK || called != 0 || js[k]->n != n_spans)
                fail_msg("jscan flat with %zu values, logfmt %d with %zu+%zu: %.*s", js[k]->n, (int)r, n_spans,
                         called, (int)len, buf);
            for (size_t i = 0; i < n_spans; i++) {
                const struct jscan_value *v = &js[k]->v[i];
                assert_ptr_equal(v->p, spans[i].p);
                assert_int_equal(v->len, spans[i].len);
                assert_int_equal(v->cls, class_of(v->p, v->len));
            }
        }
        /* logfmt's flat path (values handed over at once) is a line jscan takes */
        if (r == LOGFMT_OK && n_spans > 0 && !flat[0])
            fail_msg("logfmt's flat scanner took a line jscan refused: %.*s", (int)len, buf);
        flats += (size_t)flat[0];
        fast_flats += flat[0] && memchr(buf, ' ', len) == NULL;
        refused += r != LOGFMT_OK;
    }
    /* the generator reached both paths and both verdicts */
    assert_true(flats > 5000);
    assert_true(fast_flats > 2000);
    assert_true(refused > 2000);
    logfmt_free(f);
    free_scanners(js, nk);
}

/* Lines on the edges of the grammar, with the verdict and the values wanted. */
static void test_table(void **state)
{
    static const struct {
        const char *line;
        int flat;
        const char *values; /* joined by '|' */
    } cases[] = {
        {"{}", 1, ""},
        {" { } ", 1, ""},
        {"{\"a\":\"b\"}", 1, "b"},
        {"{\"a\":\"\"}", 1, ""},
        {"{\"a\":1}", 1, ""},
        {"{\"a\":1,\"b\":\"x\"}", 1, "x"},
        {"{\"a\":\"x\",\"b\":-0.5e+3,\"c\":true,\"d\":null,\"e\":false,\"f\":\"y\"}", 1, "x|y"},
        {"{\"a\" : \"b\" , \"c\":  2 }", 1, "b"},
        {"{\"a\":\"b\"}\r", 1, "b"},
        {"{\"a\":12\"b\":\"c\"}", 0, NULL},
        {"{\"a\":1}}", 0, NULL},
        {"{\"a\":\"b\"}x", 0, NULL},
        {"{\"a\":\"b\",}", 0, NULL},
        {"{\"a\"}", 0, NULL},
        {"{\"a\":\"b\":\"c\"}", 0, NULL},
        {"{\"a\",\"b\":\"c\"}", 0, NULL},
        {"{\"a\":\"b\"\"c\":\"d\"}", 0, NULL},
        {"{\"a\":-}", 0, NULL},
        {"{\"a\":1e}", 0, NULL},
        {"{\"a\":01}", 0, NULL},
        {"{\"a\":\"b\"},", 0, NULL},
        {"{,\"a\":\"b\"}", 0, NULL},
        {"{\"a\":[]}", 0, NULL},
        {"{\"a\":{}}", 0, NULL},
        {"{\"a\":tru}", 0, NULL},
        {"{\"a\":nulls}", 0, NULL},
        {"{\"a\":truefalse}", 0, NULL},
        {"{\"a\":\"b\"", 0, NULL},
        {"{\"a\":\"b}", 0, NULL},
        {"\"a\":\"b\"}", 0, NULL},
        {"{\"a\":\"b\\\"c\"}", 0, NULL},
        {"{\"a\":\"b\tc\"}", 0, NULL},
        {"{\"a\":\"\xc3\xa9\"}", 0, NULL},
        {"{\"a\":\"b\"}\r\r", 0, NULL},
        {"{\"a\":\"b\"\r}", 0, NULL},
        {"{\"a\"::\"b\"}", 0, NULL},
        {"{\"a\":1:2}", 0, NULL},
        {"{\"a\":1,}", 0, NULL},
        {"{\"a\":1 2}", 0, NULL},
        {"", 0, NULL},
        {"   ", 0, NULL},
    };
    struct jscan *js[N_KERNELS];
    size_t nk = all_scanners(js);
    struct logfmt_opts opts = {LOGFMT_JSON, NULL, 0};
    struct logfmt *f = NULL;

    (void)state;
    assert_int_equal(logfmt_new(&opts, &f, NULL), MZ_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *line = cases[i].line;
        size_t len = strlen(line);
        for (size_t k = 0; k < nk; k++) {
            char got[256];
            size_t at = 0;
            int flat = -1;
            assert_int_equal(jscan_line(js[k], line, line + len, line + len, &flat), len);
            if (flat != cases[i].flat)
                fail_msg("kernel %d: '%s': flat %d", (int)js[k]->kernel, line, flat);
            if (!flat)
                continue;
            for (size_t v = 0; v < js[k]->n; v++)
                at += (size_t)snprintf(got + at, sizeof got - at, "%s%.*s", v ? "|" : "", (int)js[k]->v[v].len,
                                       js[k]->v[v].p);
            got[at] = '\0';
            assert_string_equal(got, cases[i].values);
            /* and logfmt agrees that the line is good */
            assert_int_equal(logfmt_values(f, line, len, NULL, NULL), LOGFMT_OK);
        }
    }
    logfmt_free(f);
    free_scanners(js, nk);
}

/* ---- line ends and limits ---- */

/* Lines that end exactly at the end of a buffer allocated to their size: the scanner
 * may read up to the limit and no further (ASan). */
static void test_buffer_end(void **state)
{
    struct jscan *js[N_KERNELS];
    size_t nk = all_scanners(js);
    char line[400];

    (void)state;
    for (size_t pad = 0; pad < 140; pad++) {
        size_t len = (size_t)snprintf(line, sizeof line, "{\"a\":\"%.*s\",\"ip\":\"10.0.0.1\"}",
                                      (int)pad, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        for (int with_nl = 0; with_nl < 2; with_nl++) {
            size_t size = len + (size_t)with_nl;
            char *b = malloc(size);
            assert_non_null(b);
            memcpy(b, line, len);
            if (with_nl)
                b[len] = '\n';
            for (size_t k = 0; k < nk; k++) {
                int flat = 0;
                assert_int_equal(jscan_line(js[k], b, b + size, b + size, &flat), len);
                assert_int_equal(flat, 1);
                assert_int_equal(js[k]->n, pad ? 2 : 1);
                assert_int_equal(js[k]->v[js[k]->n - 1].len, 8);
                assert_memory_equal(js[k]->v[js[k]->n - 1].p, "10.0.0.1", 8);
                assert_int_equal(js[k]->v[js[k]->n - 1].cls, JSCAN_DIGIT | JSCAN_DOT);
            }
            free(b);
        }
    }
    /* every prefix of a line, alone in a buffer of its size: none but the whole line
     * is flat, and none is read past its end */
    {
        const char *full = "{\"a\":\"b\",\"n\":12,\"t\":true,\"c\":\"d\"}";
        size_t n = strlen(full);
        for (size_t cut = 0; cut <= n; cut++) {
            char *b = malloc(cut ? cut : 1);
            assert_non_null(b);
            memcpy(b, full, cut);
            for (size_t k = 0; k < nk; k++) {
                int flat = -1;
                assert_int_equal(jscan_line(js[k], b, b + cut, b + cut, &flat), cut);
                assert_int_equal(flat, cut == n);
            }
            free(b);
        }
    }
    /* a chunk that ends before the buffer does: the line ends there */
    for (size_t k = 0; k < nk; k++) {
        const char *s = "{\"a\":\"b\"}{\"c\":\"d\"}\n";
        int flat = 0;
        assert_int_equal(jscan_line(js[k], s, s + 9, s + strlen(s), &flat), 9);
        assert_int_equal(flat, 1);
        assert_int_equal(jscan_line(js[k], s, s, s + strlen(s), &flat), 0);
        assert_int_equal(flat, 0);
    }
    free_scanners(js, nk);
}

/* JSCAN_MAX_LINE bytes (a '\r' aside) are scanned; longer lines are logfmt's, and
 * their length is still right. More than JSCAN_MAX_VALUES values: logfmt's. */
static void test_long_lines(void **state)
{
    struct jscan *js[N_KERNELS];
    size_t nk = all_scanners(js);
    size_t cap = 3 * JSCAN_MAX_LINE;
    char *b = malloc(cap);

    (void)state;
    assert_non_null(b);
    for (size_t want = JSCAN_MAX_LINE - 2; want <= JSCAN_MAX_LINE + 70; want++) {
        for (int cr = 0; cr < 2; cr++) {
            /* {"a":"xxx...x"} of `want` bytes, then maybe '\r', then '\n' */
            size_t len = want + (size_t)cr;
            b[0] = '{';
            memcpy(b + 1, "\"a\":\"", 5);
            memset(b + 6, 'x', want - 8);
            memcpy(b + want - 2, "\"}", 2);
            if (cr)
                b[want] = '\r';
            b[len] = '\n';
            for (size_t k = 0; k < nk; k++) {
                int flat = -1;
                assert_int_equal(jscan_line(js[k], b, b + len + 1, b + len + 1, &flat), len);
                assert_int_equal(flat, want <= JSCAN_MAX_LINE);
                if (flat)
                    assert_int_equal(js[k]->v[0].len, want - 8);
            }
        }
    }
    /* a line of 10 000 bytes without a newline, at the end of the buffer */
    memset(b, 'y', 10000);
    for (size_t k = 0; k < nk; k++) {
        int flat = -1;
        assert_int_equal(jscan_line(js[k], b, b + 10000, b + 10000, &flat), 10000);
        assert_int_equal(flat, 0);
    }
    /* the value cap */
    for (size_t nv = JSCAN_MAX_VALUES - 1; nv <= JSCAN_MAX_VALUES + 1; nv++) {
        size_t len = 0;
        b[len++] = '{';
        for (size_t i = 0; i < nv; i++)
            len += (size_t)snprintf(b + len, cap - len, "%s\"%zu\":\"v\"", i ? "," : "", i);
        b[len++] = '}';
        for (size_t k = 0; k < nk; k++) {
            int flat = -1;
            assert_int_equal(jscan_line(js[k], b, b + len, b + len, &flat), len);
            assert_int_equal(flat, nv <= JSCAN_MAX_VALUES && len <= JSCAN_MAX_LINE);
            if (flat)
                assert_int_equal(js[k]->n, nv);
        }
    }
    free(b);
    free_scanners(js, nk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_agrees_with_logfmt),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_buffer_end),
        cmocka_unit_test(test_long_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
