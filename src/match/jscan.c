/* match/jscan.c - the matcher's first-stage scanner for JSON lines (see jscan.h).
 *
 * Why by hand, and why vectorised: the prefilter pass of `mreza match` reads every
 * byte of every log line (a GiB per run) and wants little of it: where the line ends,
 * whether it is a plain flat object, where its string values are and what kinds of
 * bytes each holds (digits and dots only: an address perhaps; letters, digits, dots
 * and dashes: a name; anything else: ask the full classifier). No library answers
 * that; a general JSON parser does far more per byte. So, per 64 bytes:
 *   stage 1 (a kernel: AVX2, SSSE3 or plain C, chosen at run time) marks quotes,
 *           newlines and bytes that end the fast path ('\\', controls, non-ASCII) in
 *           bit sets, and writes each byte's class (jscan.h) with two 16-entry table
 *           lookups, one by the low nibble and one by the high (a class is a set of
 *           low nibbles times a set of high nibbles, so the AND of the two is exact);
 *   stage 2 (plain C) checks the object's grammar jumping from quote to quote in
 *           the bit sets (a compact line, without spaces between tokens, by the shortest
 *           path; any other by the rules of logfmt's flat scanner), and ORs the classes
 *           of each value's bytes with the kernel's vectors (in plain C, eight bytes
 *           at a time).
 * Nothing is copied; a line that is anything else is left to logfmt, which decides
 * it in full. */
#include "match/jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define JSCAN_X86 1
#endif

#include "match/jsonnum.h"
#include "match/jsonquote.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The class tables by low and high nibble (see the comment at the top). '_' is the
 * one class member outside its products: it is added by a comparison. A byte in no
 * class is JSCAN_OTHER. */
#define D JSCAN_DIGIT
#define P JSCAN_P_Z
#define G JSCAN_G_O
#define H JSCAN_HEX
static const unsigned char lo_class[16] = {
    D | P, D | H | P, D | H | P, D | H | P, D | H | P, D | H | P, D | H | P, D | G | P,
    D | G | P, D | G | P, JSCAN_COLON | G | P, G, G, G | JSCAN_DASH, G | JSCAN_DOT, G};
static const unsigned char hi_class[16] = {
    0, 0, JSCAN_DOT | JSCAN_DASH, D | JSCAN_COLON, H | G, P, H | G, P, 0, 0, 0, 0, 0, 0, 0, 0};
#undef D
#undef P
#undef G
#undef H

unsigned jscan_class(unsigned char c)
{
    unsigned k = lo_class[c & 15] & hi_class[c >> 4];

    if (c == '_')
        k |= JSCAN_DASH;
    return k ? k : JSCAN_OTHER;
}

/* What a kernel makes of 64 bytes at b: bit i of m[0] is set where b[i] is '"', of
 * m[1] where it is '\n', of m[2] where it ends the fast path; k[i] is b[i]'s class. */
enum { M_QUOTE, M_NL, M_BAD };

static ALWAYS_INLINE void block_scalar(const unsigned char *b, uint64_t m[3], unsigned char *k)
{
    m[0] = m[1] = m[2] = 0;
    for (unsigned i = 0; i < 64; i++) {
        unsigned c = b[i];
        m[M_QUOTE] |= (uint64_t)(c == '"') << i;
        m[M_NL] |= (uint64_t)(c == '\n') << i;
        m[M_BAD] |= (uint64_t)(c == '\\' || c < 0x20 || c >= 0x80) << i;
        k[i] = (unsigned char)jscan_class((unsigned char)c);
    }
}

#ifdef JSCAN_X86
__attribute__((target("ssse3"))) static ALWAYS_INLINE void block_ssse3(const unsigned char *b, uint64_t m[3],
                                                                        unsigned char *k)
{
    const __m128i lo_t = _mm_loadu_si128((const __m128i *)(const void *)lo_class);
    const __m128i hi_t = _mm_loadu_si128((const __m128i *)(const void *)hi_class);
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();

    m[0] = m[1] = m[2] = 0;
    for (unsigned h = 0; h < 64; h += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + h));
        __m128i c = _mm_and_si128(_mm_shuffle_epi8(lo_t, _mm_and_si128(x, nib)),
                                  _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(x, 4), nib)));
        __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')), _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
        c = _mm_or_si128(c, _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')), _mm_set1_epi8(JSCAN_DASH)));
        c = _mm_or_si128(c, _mm_and_si128(_mm_cmpeq_epi8(c, zero), _mm_set1_epi8((char)JSCAN_OTHER)));
        _mm_storeu_si128((__m128i *)(void *)(k + h), c);
        m[M_QUOTE] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"'))) << h;
        m[M_NL] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))) << h;
        m[M_BAD] |= (uint64_t)(unsigned)_mm_movemask_epi8(bad) << h; /* signed: < 0x20 or >= 0x80 */
    }
}

__attribute__((target("avx2"))) static ALWAYS_INLINE void block_avx2(const unsigned char *b, uint64_t m[3],
                                                                      unsigned char *k)
{
    const __m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)lo_class));
    const __m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)hi_class));
    const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();

    m[0] = m[1] = m[2] = 0;
    for (unsigned h = 0; h < 64; h += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(b + h));
        __m256i c = _mm256_and_si256(_mm256_shuffle_epi8(lo_t, _mm256_and_si256(x, nib)),
                                     _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));
        __m256i bad = _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\')),
                                      _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), x));
        c = _mm256_or_si256(c, _mm256_and_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')),
                                                _mm256_set1_epi8(JSCAN_DASH)));
        c = _mm256_or_si256(c, _mm256_and_si256(_mm256_cmpeq_epi8(c, zero), _mm256_set1_epi8((char)JSCAN_OTHER)));
        _mm256_storeu_si256((__m256i *)(void *)(k + h), c);
        m[M_QUOTE] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'))) << h;
        m[M_NL] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))) << h;
        m[M_BAD] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(bad) << h;
    }
}
#endif

typedef void block_fn(const unsigned char *b, uint64_t m[3], unsigned char *k);

/* Stage 1: the blocks of the line at s up to its end (a '\n', or end), at most
 * JSCAN_MAX_LINE + 64 bytes. Returns the line's length, or JSCAN_MAX_LINE + 64 when it
 * is longer than that. The last block may lie past limit: it is copied first. */
static ALWAYS_INLINE size_t stage1(struct jscan *js, const unsigned char *s, const unsigned char *end,
                                   const unsigned char *limit, block_fn *block)
{
    for (size_t off = 0; off < JSCAN_MAX_LINE + 64; off += 64) {
        const unsigned char *b = s + off;
        size_t avail = (size_t)(end - b);
        uint64_t m[3], stop;

        if ((size_t)(limit - b) >= 64) {
            block(b, m, js->k + off);
        } else {
            unsigned char tmp[64];
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, b, (size_t)(limit - b));
            block(tmp, m, js->k + off);
        }
        stop = m[M_NL] | (avail < 64 ? ~0ull << avail : 0);
        if (stop) {
            unsigned e = (unsigned)__builtin_ctzll(stop);
            uint64_t below = e ? ~0ull >> (64 - e) : 0;
            js->q[off / 64] = m[M_QUOTE] & below;
            js->bad[off / 64] = m[M_BAD] & below;
            return off + e;
        }
        js->q[off / 64] = m[M_QUOTE];
        js->bad[off / 64] = m[M_BAD];
    }
    return JSCAN_MAX_LINE + 64;
}

/* lenmask[m][i]: the bytes of word i (of four) that lie below m. (The & 63 only
 * keeps the shifts of the branches not taken in range, which clang checks too.) */
static const uint64_t lenmask[33][4] = {
#define W(m, i) ((m) <= 8 * (i) ? 0 : (m) >= 8 * (i) + 8 ? ~0ull : ~0ull >> ((64 - 8 * ((m) - 8 * (i))) & 63))
#define R(m) {W(m, 0), W(m, 1), W(m, 2), W(m, 3)}
    R(0),  R(1),  R(2),  R(3),  R(4),  R(5),  R(6),  R(7),  R(8),  R(9),  R(10),
    R(11), R(12), R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20), R(21),
    R(22), R(23), R(24), R(25), R(26), R(27), R(28), R(29), R(30), R(31), R(32),
#undef R
#undef W
};

/* The OR of the classes of k[0..n) (k has room past the line), by each kernel's
 * means: in plain C 32 bytes without a branch, eight a step past that. */
static ALWAYS_INLINE unsigned class_scalar(const unsigned char *k, size_t n)
{
    uint64_t w[4], acc;
    const uint64_t *lm = lenmask[n < 32 ? n : 32];

    memcpy(w, k, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (int i = 0; i < 4; i++)
        w[i] = __builtin_bswap64(w[i]);
#endif
    acc = (w[0] & lm[0]) | (w[1] & lm[1]) | (w[2] & lm[2]) | (w[3] & lm[3]);
    for (size_t i = 32; i < n; i += 8) {
        uint64_t x;
        memcpy(&x, k + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        acc |= n - i >= 8 ? x : x & (~0ull >> (8 * (8 - (n - i))));
    }
    acc |= acc >> 32;
    acc |= acc >> 16;
    acc |= acc >> 8;
    return (unsigned)(acc & 0xff);
}

#ifdef JSCAN_X86
/* 32 bytes of 0xff, then 32 of 0: from byte 32 - m on, the first m bytes are set. */
static const unsigned char ones_then_zeros[64] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};

static ALWAYS_INLINE unsigned fold_class(uint64_t w)
{
    w |= w >> 32;
    w |= w >> 16;
    w |= w >> 8;
    return (unsigned)(w & 0xff);
}

__attribute__((target("ssse3"))) static ALWAYS_INLINE unsigned class_ssse3(const unsigned char *k, size_t n)
{
    size_t m = n < 16 ? n : 16;
    __m128i acc = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)k),
                                _mm_loadu_si128((const __m128i *)(const void *)(ones_then_zeros + 32 - m)));

    for (size_t i = 16; i < n; i += 16) {
        m = n - i < 16 ? n - i : 16;
        acc = _mm_or_si128(acc, _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(k + i)),
                                              _mm_loadu_si128((const __m128i *)(const void *)(ones_then_zeros + 32 - m))));
    }
    acc = _mm_or_si128(acc, _mm_srli_si128(acc, 8));
    return fold_class((uint64_t)_mm_cvtsi128_si64(acc));
}

__attribute__((target("avx2"))) static ALWAYS_INLINE unsigned class_avx2(const unsigned char *k, size_t n)
{
    size_t m = n < 32 ? n : 32;
    __m256i acc = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)k),
                                   _mm256_loadu_si256((const __m256i *)(const void *)(ones_then_zeros + 32 - m)));
    __m128i x;

    for (size_t i = 32; i < n; i += 32) {
        m = n - i < 32 ? n - i : 32;
        acc = _mm256_or_si256(acc, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(k + i)),
                                                     _mm256_loadu_si256((const __m256i *)(const void *)(ones_then_zeros + 32 - m))));
    }
    x = _mm_or_si128(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    x = _mm_or_si128(x, _mm_srli_si128(x, 8));
    return fold_class((uint64_t)_mm_cvtsi128_si64(x));
}
#endif

typedef unsigned class_fn(const unsigned char *k, size_t n);

/* Past the spaces at p (the only whitespace a line on the fast path can hold: tabs and
 * CRs end it). */
static ALWAYS_INLINE const unsigned char *spaces(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* The first quote at or after position from of a line of nw quote words, or
 * SIZE_MAX. */
static ALWAYS_INLINE size_t quote_from(const uint64_t *q, size_t nw, size_t from)
{
    size_t w = from >> 6;
    uint64_t m;

    if (w >= nw)
        return SIZE_MAX;
    m = q[w] & (~0ull << (from & 63));
    while (!m) {
        if (++w >= nw)
            return SIZE_MAX;
        m = q[w];
    }
    return (w << 6) + (size_t)__builtin_ctzll(m);
}

/* Stage 2, the common case: a compact line, {"key":value,...} without a space
 * between tokens. From each key's opening quote: its closing quote is the next
 * quote; then ':' and either a string value (its opening quote right there, its
 * closing quote the next one) or a number, true, false or null; then ',' and the next
 * key's opening quote right there, or '}' as the line's last byte. Every quote of the
 * line is visited in order, and every byte between them checked. 1: such a line, its
 * values in js; -1: not one (spaces, say): stage2() decides. */
static ALWAYS_INLINE int stage2_compact(struct jscan *js, const unsigned char *s, size_t len, class_fn *value_class)
{
    const uint64_t *q = js->q;
    size_t nw = (len + 63) >> 6, o = 1, c, n = 0;

    if (len < 2 || s[0] != '{' || s[1] != '"')
        return -1;
    for (;;) {
        /* the key at o */
        c = quote_from(q, nw, o + 1);
        if (c >= len - 2 || s[c + 1] != ':')
            return -1;
        if (s[c + 2] == '"') {
            size_t vo = c + 2, vc = quote_from(q, nw, vo + 1);
            if (vc >= len - 1)
                return -1;
            if (vc > vo + 1) {
                if (n == JSCAN_MAX_VALUES)
                    return -1;
                js->v[n].p = (const char *)s + vo + 1;
                js->v[n].len = (uint32_t)(vc - vo - 1);
                js->v[n].cls = value_class(js->k + vo + 1, vc - vo - 1);
                n++;
            }
            c = vc + 1; /* the byte after the value */
        } else {
            const unsigned char *e = json_scalar(s + c + 2, s + len);
            if (!e || e == s + len)
                return -1;
            c = (size_t)(e - s);
        }
        if (s[c] == ',' && c + 1 < len && s[c + 1] == '"') {
            o = c + 1;
            continue;
        }
        if (s[c] != '}' || c != len - 1)
            return -1;
        js->n = n;
        return 1;
    }
}

/* Stage 2: is s[0..len) (no bad byte in it) a flat object? Its values into js. */
static ALWAYS_INLINE int stage2(struct jscan *js, const unsigned char *s, size_t len, class_fn *value_class)
{
    const unsigned char *end = s + len, *p;
    struct json_quotes qc;
    size_t i, n = 0;

    json_quotes_init(&qc, js->q, len);
    p = spaces(s, end);
    if (p == end || *p != '{')
        return 0;
    p = spaces(p + 1, end);
    if (p < end && *p == '}') {
        js->n = 0;
        return spaces(p + 1, end) == end;
    }
    for (;;) {
        /* a key, ':' */
        if (p == end || *p != '"' || (i = json_quote_string(&qc, (size_t)(p - s))) == len)
            return 0;
        p = s + i + 1;
        if (p < end && *p != ':')
            p = spaces(p, end);
        if (p == end || *p != ':')
            return 0;
        p++;
        if (p < end && *p == ' ')
            p = spaces(p, end);
        if (p == end)
            return 0;
        /* the value */
        if (*p == '"') {
            size_t open = (size_t)(p - s);
            if ((i = json_quote_string(&qc, open)) == len)
                return 0;
            if (i > open + 1) {
                if (n == JSCAN_MAX_VALUES)
                    return 0;
                js->v[n].p = (const char *)p + 1;
                js->v[n].len = (uint32_t)(i - open - 1);
                js->v[n].cls = value_class(js->k + open + 1, i - open - 1);
                n++;
            }
            p = s + i + 1;
        } else if (!(p = json_scalar(p, end))) {
            return 0;
        }
        /* ',' and the next key, or '}' and the end */
        if (p < end && *p == ' ')
            p = spaces(p, end);
        if (p == end)
            return 0;
        if (*p == ',') {
            p = spaces(p + 1, end);
            continue;
        }
        if (*p != '}')
            return 0;
        js->n = n;
        return spaces(p + 1, end) == end;
    }
}

static ALWAYS_INLINE size_t scan_line(struct jscan *js, const char *line, const char *end_, const char *limit,
                                      int *flat, block_fn *block, class_fn *value_class)
{
    const unsigned char *s = (const unsigned char *)line, *end = (const unsigned char *)end_;
    size_t len = stage1(js, s, end, (const unsigned char *)limit, block), scan = len;
    uint64_t bad = 0;
    int r;

    *flat = 0;
    if (len >= JSCAN_MAX_LINE + 64) {
        const void *nl = memchr(s + len, '\n', (size_t)(end - s) - len);
        return nl ? (size_t)((const unsigned char *)nl - s) : (size_t)(end - s);
    }
    if (len && s[len - 1] == '\r') { /* CRLF: logfmt drops the '\r' too */
        scan--;
        js->bad[scan >> 6] &= ~(1ull << (scan & 63));
    }
    if (scan > JSCAN_MAX_LINE)
        return len;
    for (size_t w = 0; w <= scan >> 6; w++)
        bad |= js->bad[w];
    if (bad)
        return len;
    r = stage2_compact(js, s, scan, value_class);
    *flat = r > 0 ? 1 : stage2(js, s, scan, value_class);
    return len;
}

static size_t line_scalar(struct jscan *js, const char *s, const char *end, const char *limit, int *flat)
{
    return scan_line(js, s, end, limit, flat, block_scalar, class_scalar);
}

#ifdef JSCAN_X86
__attribute__((target("ssse3"))) static size_t line_ssse3(struct jscan *js, const char *s, const char *end,
                                                           const char *limit, int *flat)
{
    return scan_line(js, s, end, limit, flat, block_ssse3, class_ssse3);
}

__attribute__((target("avx2,popcnt,bmi"))) static size_t line_avx2(struct jscan *js, const char *s, const char *end,
                                                         const char *limit, int *flat)
{
    return scan_line(js, s, end, limit, flat, block_avx2, class_avx2);
}
#endif

static int kernel_runs(enum jscan_kernel k)
{
    switch (k) {
    case JSCAN_SCALAR:
        return 1;
#ifdef JSCAN_X86
    case JSCAN_SSSE3:
        return __builtin_cpu_supports("ssse3");
    case JSCAN_AVX2: /* its code is built for AVX2 with POPCNT and BMI1 (blsr, andn, tzcnt) */
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi");
#endif
    default:
        return 0;
    }
}

struct jscan *jscan_new_kernel(enum jscan_kernel k)
{
    struct jscan *js;

    if (!kernel_runs(k))
        return NULL;
    js = calloc(1, sizeof *js); /* zeroed: a value's class is read in words past its end */
    if (js)
        js->kernel = k;
    return js;
}

static const char *const kernel_names[] = {"plain", "ssse3", "avx2"}; /* by enum jscan_kernel */

const char *jscan_kernel_name(enum jscan_kernel k)
{
    return (unsigned)k < sizeof kernel_names / sizeof kernel_names[0] ? kernel_names[k] : "?";
}

/* The kernel MREZA_JSCAN_KERNEL names if this CPU runs it, else -1 (see jscan.h). */
static int kernel_asked(void)
{
    const char *name = getenv("MREZA_JSCAN_KERNEL");

    for (int k = JSCAN_SCALAR; name && k <= JSCAN_AVX2; k++)
        if (strcmp(name, kernel_names[k]) == 0 && kernel_runs((enum jscan_kernel)k))
            return k;
    return -1;
}

struct jscan *jscan_new(void)
{
    int asked = kernel_asked();

    if (asked >= 0)
        return jscan_new_kernel((enum jscan_kernel)asked);
    if (kernel_runs(JSCAN_AVX2))
        return jscan_new_kernel(JSCAN_AVX2);
    if (kernel_runs(JSCAN_SSSE3))
        return jscan_new_kernel(JSCAN_SSSE3);
    return jscan_new_kernel(JSCAN_SCALAR);
}

size_t jscan_line(struct jscan *js, const char *s, const char *end, const char *limit, int *flat)
{
    switch (js->kernel) {
#ifdef JSCAN_X86
    case JSCAN_AVX2:
        return line_avx2(js, s, end, limit, flat);
    case JSCAN_SSSE3:
        return line_ssse3(js, s, end, limit, flat);
#endif
    default:
        return line_scalar(js, s, end, limit, flat);
    }
}
