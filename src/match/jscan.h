/* match/jscan.h - the matcher's first-stage scanner for JSON lines (see jscan.c):
 * finds a line's end, checks that it is one flat object of plain strings and
 * scalars, and hands over its string values with the classes of their bytes, in one
 * vectorised pass. Lines it cannot vouch for go to logfmt (match/logfmt.h). */
#ifndef MZ_JSCAN_H
#define MZ_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_LINE 4096  /* longer lines go to logfmt */
#define JSCAN_MAX_VALUES 256 /* = LOGFMT_MAX_CANDS: more go to logfmt */

/* Byte classes. A value's class is the OR of its bytes' classes. */
enum {
    JSCAN_DIGIT = 1,   /* 0-9 */
    JSCAN_DOT = 2,     /* . */
    JSCAN_COLON = 4,   /* : */
    JSCAN_HEX = 8,     /* a-f A-F */
    JSCAN_G_O = 16,    /* g-o G-O */
    JSCAN_P_Z = 32,    /* p-z P-Z */
    JSCAN_DASH = 64,   /* - _ */
    JSCAN_OTHER = 128  /* any other byte */
};

/* The class of byte c (the reference the kernels are tested against). */
unsigned jscan_class(unsigned char c);

struct jscan_value {
    const char *p; /* into the line */
    uint32_t len;  /* > 0 */
    uint32_t cls;  /* JSCAN_* bits */
};

/* The kernels: the same answers, from vectors of 32 or 16 bytes or byte by byte. */
enum jscan_kernel { JSCAN_SCALAR, JSCAN_SSSE3, JSCAN_AVX2 };

/* A kernel's name: "plain", "ssse3" or "avx2" (what MREZA_JSCAN_KERNEL takes). */
const char *jscan_kernel_name(enum jscan_kernel k);

/* A scanner: its kernel and its scratch. After jscan_line() said a line is flat,
 * v[0..n) are its values (valid while the line is). The rest is scratch. */
struct jscan {
    size_t n;
    struct jscan_value v[JSCAN_MAX_VALUES];
    enum jscan_kernel kernel;
    uint64_t q[JSCAN_MAX_LINE / 64 + 1];   /* quote bits */
    uint64_t bad[JSCAN_MAX_LINE / 64 + 1]; /* '\\', control and non-ASCII bytes */
    unsigned char k[JSCAN_MAX_LINE + 128]; /* byte classes */
};

/* A scanner with the best kernel this CPU runs (NULL: out of memory), or with the one
 * the environment variable MREZA_JSCAN_KERNEL names (plain, ssse3 or avx2: to test
 * each kernel through `mreza match`, or to take the plain path) when this CPU runs it;
 * any other value is ignored. jscan_new_kernel(): with kernel k, or NULL when the CPU
 * has not got it (tests). Freed with free(). */
struct jscan *jscan_new(void);
struct jscan *jscan_new_kernel(enum jscan_kernel k);

/* Scan the line at s: it ends at the first '\n' or at end. Bytes from s up to limit
 * (limit >= end: the readable end of the whole input) may be read. Returns the line's
 * length without its '\n'. *flat is 1 when the line (one trailing '\r' aside) is one
 * JSON object of string keys and values that are strings without escapes, control
 * or non-ASCII bytes, numbers, true, false or null, with spaces between tokens, and
 * at most JSCAN_MAX_VALUES non-empty string values: exactly the lines logfmt's flat
 * scanner takes, and those it takes say the same (tests/unit/match/test_jscan.c). Then
 * js->v[0..js->n) are its non-empty string values in order. *flat is 0 for any other
 * line: logfmt is to decide it. */
size_t jscan_line(struct jscan *js, const char *s, const char *end, const char *limit, int *flat);

#endif
