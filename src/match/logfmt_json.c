/* match/logfmt_json.c - the log scanner's JSON lines and Suricata EVE (see
 * logfmt_int.h): logfmt_json_line() checks one line strictly and reports its string
 * leaves whose key path is configured (or all of them), with the hints of the field
 * table logfmt.c built.
 *
 * Two paths. Most log lines are one flat object of plain strings and scalars: the
 * flat scanner marks the line's quotes in a bit set (16 bytes per step with SSE2) and
 * jumps from quote to quote (match/jsonquote.h, shared with match/jscan.c). Any other
 * line goes to the walker: strict, iterative (depth capped at LOGFMT_MAX_DEPTH),
 * allocation-free, tracking the key path ("dns.rrname"; array elements take the path
 * of the array itself) and checking every string (escapes; UTF-8 with obs/utf8.h).
 * Values are handed out only when the whole line proved valid: collected (up to
 * LOGFMT_MAX_CANDS), then reported; a valid line with more is walked a second time,
 * calling back directly.
 *
 * Hand-written: this is the matcher's hot path (a GiB of logs per run, on every
 * core); jansson builds a tree per line with a malloc per node. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "match/jsonnum.h"
#include "match/jsonquote.h"
#include "match/logfmt_int.h"

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Is c a byte the string scanner must look at: '"', '\\', a control or non-ASCII? */
static int str_special(unsigned c)
{
    return c == '"' || c == '\\' || c - 0x20 > 0x5F;
}

/* The first byte in [p, end) that str_special() flags, or end. This is the memchr of
 * the JSON scanner: 16 bytes per step with SSE2 (x86-64 always has it), where the
 * signed compare with 0x20 catches both controls and bytes >= 0x80. */
static const unsigned char *find_special(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);

    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);

        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !str_special(*p))
        p++;
    return p;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        int h = ascii_hex_val(p[i]);

        if (h < 0)
            return 0;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 1;
}

/* s is just after an opening quote. Returns the closing quote, or NULL with *why set:
 * MALFORMED for a bad escape, a control character or no closing quote, BINARY for
 * invalid UTF-8 or a lone UTF-16 surrogate. *esc is set if there are escapes. Plain
 * runs are skipped with find_special(); only the flagged bytes are looked at. */
static const unsigned char *json_str_end(const unsigned char *s, const unsigned char *end,
                                         int *esc, enum logfmt_skip *why)
{
    const unsigned char *p = s;

    *esc = 0;
    for (;;) {
        unsigned c;

        p = find_special(p, end);
        if (p == end)
            break;
        c = *p;
        if (c == '"')
            return p;
        if (c == '\\') {
            *esc = 1;
            if (end - p < 2)
                break;
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u': {
                unsigned u, u2;

                if (end - p < 6 || !hex4(p + 2, &u)) {
                    *why = LOGFMT_SKIP_MALFORMED;
                    return NULL;
                }
                p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    *why = LOGFMT_SKIP_BINARY;
                    return NULL;
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &u2) ||
                        u2 < 0xDC00 || u2 > 0xDFFF) {
                        *why = LOGFMT_SKIP_BINARY;
                        return NULL;
                    }
                    p += 6;
                }
                continue;
            }
            default:
                *why = LOGFMT_SKIP_MALFORMED;
                return NULL;
            }
        }
        if (c < 0x20) {
            *why = LOGFMT_SKIP_MALFORMED;
            return NULL;
        }
        {
            size_t k = utf8_len(p, (size_t)(end - p));

            if (!k) {
                *why = LOGFMT_SKIP_BINARY;
                return NULL;
            }
            p += k;
        }
    }
    *why = LOGFMT_SKIP_MALFORMED;
    return NULL;
}

/* Decode a string json_str_end() accepted into out (never longer than n). */
static size_t json_unescape(const unsigned char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        unsigned c = s[i], u = 0, u2 = 0;

        if (c != '\\') {
            out[o++] = (char)c;
            i++;
            continue;
        }
        c = s[i + 1];
        i += 2;
        if (c != 'u') {
            static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
            const char *k = strchr(from, (int)c);

            out[o++] = k ? to[k - from] : (char)c; /* " \\ / stand for themselves */
            continue;
        }
        hex4(s + i, &u);
        i += 4;
        if (u >= 0xD800 && u <= 0xDBFF) {
            hex4(s + i + 2, &u2);
            i += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
        }
        if (u < 0x80) {
            out[o++] = (char)u;
        } else if (u < 0x800) {
            out[o++] = (char)(0xC0 | (u >> 6));
            out[o++] = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            out[o++] = (char)(0xE0 | (u >> 12));
            out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (u & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (u >> 18));
            out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (u & 0x3F));
        }
    }
    return o;
}

/* Append n bytes to the key path at logical position pos; bytes past the cap are
 * dropped, the logical length keeps counting (so the path then matches nothing). */
static size_t path_put(struct logfmt *f, size_t pos, const void *s, size_t n, size_t avail)
{
    size_t k;

    if (n <= 16 && avail >= 16 && pos + n <= LOGFMT_MAX_PATH) {
        /* keys are short: one fixed 16-byte copy (path has 16 bytes of slack, s has
         * avail readable bytes) instead of a variable-length one */
        memcpy(f->path + pos, s, 16);
        return pos + n;
    }
    k = pos < LOGFMT_MAX_PATH ? (n < LOGFMT_MAX_PATH - pos ? n : LOGFMT_MAX_PATH - pos) : 0;
    if (k)
        memcpy(f->path + pos, s, k);
    return pos + n;
}

/* The first 8 bytes of a key path of n bytes, zero-padded, as one word: most paths
 * are told apart by it without a memcmp. p has at least 8 readable bytes. */
static uint64_t path_head(const char *p, size_t n)
{
    static const unsigned char keep[9][8] = {
        {0},
        {0xff},
        {0xff, 0xff},
        {0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    };
    uint64_t h, m;

    memcpy(&h, p, 8);
    memcpy(&m, keep[n < 8 ? n : 8], 8); /* byte masks: right for either byte order */
    return h & m;
}

/* A string leaf at the current path: report it if its path is wanted. */
static void json_leaf(struct logfmt *f, struct emit *em, size_t path_len,
                      const unsigned char *s, size_t n, int esc)
{
    const struct fspec *sp = NULL;
    const char *field, *v;
    size_t field_len, vn;
    int hint = HINT_NONE;

    if (n == 0)
        return;
    if (f->all_leaves && f->no_fields) {
        field = "";
        field_len = 0;
    } else if (f->all_leaves) {
        field = f->path;
        field_len = path_len < LOGFMT_MAX_PATH ? path_len : LOGFMT_MAX_PATH;
    } else {
        if (path_len > LOGFMT_MAX_FIELD_LEN)
            return;
        uint64_t head = path_head(f->path, path_len);

        for (int i = f->by_len[path_len]; i >= 0; i = f->spec[i].next) {
            if (f->spec[i].head == head &&
                (path_len <= 8 || memcmp(f->spec[i].path + 8, f->path + 8, path_len - 8) == 0)) {
                sp = &f->spec[i];
                break;
            }
        }
        if (!sp)
            return;
        field = sp->name;
        field_len = sp->name_len;
        hint = sp->hint;
    }
    if (esc) {
        v = f->dec + f->dec_len;
        vn = json_unescape(s, n, f->dec + f->dec_len);
        f->dec_len += vn;
    } else {
        v = (const char *)s;
        vn = n;
    }
    if (sp && sp->role == ROLE_HOST && !f->host.p) {
        f->host.p = v;
        f->host.len = vn;
    } else if (sp && sp->role == ROLE_URL && !f->url.p) {
        f->url.p = v;
        f->url.len = vn;
    }
    if (!finish_value(&v, &vn, &hint))
        return;
    if (em->direct) {
        emit_raw(em, field, field_len, v, vn, hint);
        return;
    }
    if (em->overflow)
        return;
    if (f->n_cands == LOGFMT_MAX_CANDS) {
        em->overflow = 1;
        return;
    }
    if (f->all_leaves && !f->no_fields) {
        if (field_len > sizeof f->cpath - f->cpath_len) {
            em->overflow = 1;
            return;
        }
        memcpy(f->cpath + f->cpath_len, field, field_len);
        field = f->cpath + f->cpath_len;
        f->cpath_len += field_len;
    }
    f->cands[f->n_cands].field = field;
    f->cands[f->n_cands].field_len = field_len;
    f->cands[f->n_cands].val = v;
    f->cands[f->n_cands].val_len = vn;
    f->cands[f->n_cands].hint = hint;
    f->n_cands++;
}

/* A JSON line's scan starts afresh: no decoded text, candidates, copied paths, or
 * host and URL parts (for the synthesised full URL) of the line before. */
static void json_line_reset(struct logfmt *f)
{
    f->dec_len = 0;
    f->n_cands = 0;
    f->cpath_len = 0;
    f->host.p = NULL;
    f->url.p = NULL;
}

/* Walk one JSON object (the whole line), checking it strictly and handing string
 * leaves to json_leaf(). Iterative, depth capped at LOGFMT_MAX_DEPTH. */
static enum logfmt_skip json_walk(struct logfmt *f, const char *line, size_t len,
                                  struct emit *em)
{
    const unsigned char *p = (const unsigned char *)line, *end = p + len;
    const unsigned char *s, *q;
    size_t depth, path_len = 0;
    enum logfmt_skip why = LOGFMT_SKIP_MALFORMED;
    int esc;

    json_line_reset(f);
    p = skip_ws(p, end);
    if (p == end || *p != '{')
        return LOGFMT_SKIP_MALFORMED;
    f->stack[0].type = J_OBJ;
    f->stack[0].base = 0;
    depth = 1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        depth = 0;
        goto after_value;
    }
    goto key;

value:
    p = skip_ws(p, end);
    if (p == end)
        return LOGFMT_SKIP_MALFORMED;
    switch (*p) {
    case '{':
    case '[': {
        int obj = *p == '{';
        if (depth == LOGFMT_MAX_DEPTH)
            return LOGFMT_SKIP_MALFORMED;
        f->stack[depth].type = obj ? J_OBJ : J_ARR;
        f->stack[depth].base = path_len;
        depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        if (obj)
            goto key;
        goto value;
    }
    case '"':
        s = p + 1;
        q = json_str_end(s, end, &esc, &why);
        if (!q)
            return why;
        json_leaf(f, em, path_len, s, (size_t)(q - s), esc);
        if (em->stop)
            return LOGFMT_OK;
        p = q + 1;
        goto after_value;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 4;
        goto after_value;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 5;
        goto after_value;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return LOGFMT_SKIP_MALFORMED;
        p += 4;
        goto after_value;
    default:
        p = json_number(p, end);
        if (!p)
            return LOGFMT_SKIP_MALFORMED;
        goto after_value;
    }

key:
    if (p == end || *p != '"')
        return LOGFMT_SKIP_MALFORMED;
    s = p + 1;
    q = json_str_end(s, end, &esc, &why);
    if (!q)
        return why;
    path_len = f->stack[depth - 1].base;
    if (path_len > 0) {
        if (path_len < LOGFMT_MAX_PATH)
            f->path[path_len] = '.';
        path_len++;
    }
    if (!esc) {
        path_len = path_put(f, path_len, s, (size_t)(q - s), (size_t)(end - s));
    } else {
        /* decode into the free tail of dec, then copy what fits */
        size_t m = json_unescape(s, (size_t)(q - s), f->dec + f->dec_len);

        path_len = path_put(f, path_len, f->dec + f->dec_len, m, m);
    }
    p = skip_ws(q + 1, end);
    if (p == end || *p != ':')
        return LOGFMT_SKIP_MALFORMED;
    p++;
    goto value;

after_value:
    p = skip_ws(p, end);
    if (depth == 0)
        return p == end ? LOGFMT_OK : LOGFMT_SKIP_MALFORMED;
    if (p == end)
        return LOGFMT_SKIP_MALFORMED;
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (f->stack[depth - 1].type == J_OBJ)
            goto key;
        goto value;
    }
    if (*p == (f->stack[depth - 1].type == J_OBJ ? '}' : ']')) {
        p++;
        depth--;
        path_len = f->stack[depth].base;
        goto after_value;
    }
    return LOGFMT_SKIP_MALFORMED;
}


/* Most log lines are one flat object: string keys, and values that are plain strings
 * (no escapes, controls or non-ASCII bytes), numbers, true, false or null. Such a line
 * is checked and scanned here with less work per token than json_walk() does: one
 * pass marks its quotes in a bit set (16 bytes per step), and the scan then jumps
 * from quote to quote. At anything else (a long line, nesting, an escape, a bad byte,
 * a syntax error) this gives up and returns 0, and json_walk() takes the line from
 * the start and decides. Returns 1 when the line was such an object and its leaves
 * went to json_leaf(). */
#define FLAT_MAX_LINE 4096

/* Bit i of q is set where s[i] is '"'. 0 if s has a '\\', a control byte or a byte
 * >= 0x80 anywhere (str_special() without the quote). */
static int quote_bits(const unsigned char *s, size_t n, uint64_t *q)
{
    size_t i = 0, stored = 0; /* q[0..stored) are final */
    unsigned bad = 0;
    uint64_t word = 0;        /* q[stored], being built */

#if defined(__SSE2__)
    {
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);

        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
            bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, bslash), _mm_cmplt_epi8(x, space)));
            word |= (uint64_t)mq << (i & 63);
            if ((i & 63) == 48) {
                q[stored++] = word;
                word = 0;
            }
        }
        if (i < n && n >= 16) {
            /* the tail, fewer than 16 bytes and so inside the current word: the last
             * 16 bytes again, the ones already seen shifted out */
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
            unsigned seen = 16 - (unsigned)(n - i);
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote)) >> seen;
            bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, bslash), _mm_cmplt_epi8(x, space))) >> seen;
            word |= (uint64_t)mq << (i & 63);
            i = n;
        }
    }
#endif
    for (; i < n; i++) {
        unsigned c = s[i];
        if (c == '"')
            word |= 1ull << (i & 63);
        else
            bad |= c == '\\' || c - 0x20 > 0x5F;
        if ((i & 63) == 63) {
            q[stored++] = word;
            word = 0;
        }
    }
    if (stored * 64 < n || n == 0)
        q[stored] = word;
    return !bad;
}

enum { FLAT_REFUSED, FLAT_EMPTY, FLAT_KEYS };

/* What both flat scanners do first: mark the quotes (refusing escapes and bad bytes),
 * reset the line's state, and read up to the first key (*p at its quote). Inlined, so
 * that the quote cursor stays in registers in the scan loop. */
static inline __attribute__((always_inline)) int
flat_begin(struct logfmt *f, const unsigned char *s, size_t len, uint64_t *q, struct json_quotes *qc,
           const unsigned char **pp)
{
    const unsigned char *end = s + len, *p;

    if (len > FLAT_MAX_LINE || !quote_bits(s, len, q))
        return FLAT_REFUSED;
    json_quotes_init(qc, q, len);
    json_line_reset(f);
    f->n_spans = 0;
    p = skip_ws(s, end);
    if (p == end || *p != '{')
        return FLAT_REFUSED;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return skip_ws(p + 1, end) == end ? FLAT_EMPTY : FLAT_REFUSED;
    *pp = p;
    return FLAT_KEYS;
}

/* The scan itself. values_only (a constant at each call, so each caller gets its own
 * copy of the loop): a field-less scan (logfmt_values() of JSON without a field list,
 * the matcher's prefilter pass over every line) stores the string values as spans
 * (no key, no hint, the count in a register); otherwise each leaf goes to
 * json_leaf() under its key. */
static inline __attribute__((always_inline)) int
flat_scan(struct logfmt *f, const char *line, size_t len, struct emit *em, int values_only)
{
    const unsigned char *s = (const unsigned char *)line, *end = s + len, *p;
    uint64_t q[FLAT_MAX_LINE / 64];
    struct json_quotes qc;
    struct logfmt_span *spans = f->vspans;
    size_t i, klen = 0, n = 0;

    switch (flat_begin(f, s, len, q, &qc, &p)) {
    case FLAT_REFUSED:
        return 0;
    case FLAT_EMPTY:
        return 1;
    default:
        break;
    }
    for (;;) {
        /* a key */
        if (p == end || *p != '"' || (i = json_quote_string(&qc, (size_t)(p - s))) == len)
            return 0;
        if (!values_only)
            klen = path_put(f, 0, p + 1, i - (size_t)(p - s) - 1, (size_t)(end - p - 1));
        p = s + i + 1;
        if (p + 1 < end && p[0] == ':' && p[1] == '"') {
            p++; /* the common "key":"value" */
        } else {
            if (p < end && *p != ':')
                p = skip_ws(p, end);
            if (p == end || *p != ':')
                return 0;
            p = skip_ws(p + 1, end);
            if (p == end)
                return 0;
        }
        /* its value */
        if (*p == '"') {
            if ((i = json_quote_string(&qc, (size_t)(p - s))) == len)
                return 0;
            if (!values_only) {
                json_leaf(f, em, klen, p + 1, i - (size_t)(p - s) - 1, 0);
                if (em->stop)
                    return 1;
            } else if (i > (size_t)(p - s) + 1) {
                if (n == LOGFMT_MAX_CANDS) {
                    em->overflow = 1; /* json_line() walks the line again */
                } else {
                    spans[n].p = (const char *)p + 1;
                    spans[n].len = i - (size_t)(p - s) - 1;
                    n++;
                }
            }
            p = s + i + 1;
        } else if (!(p = json_scalar(p, end))) {
            return 0;
        }
        /* then ',' and the next key, or the end */
        if (p + 1 < end && p[0] == ',' && p[1] == '"') {
            p++;
            continue;
        }
        if (p < end && *p != ',' && *p != '}')
            p = skip_ws(p, end);
        if (p == end)
            return 0;
        if (*p == '}') {
            f->n_spans = n;
            return skip_ws(p + 1, end) == end;
        }
        if (*p != ',')
            return 0;
        p = skip_ws(p + 1, end);
    }
}

static int json_flat(struct logfmt *f, const char *line, size_t len, struct emit *em)
{
    return flat_scan(f, line, len, em, 0);
}

static int json_flat_values(struct logfmt *f, const char *line, size_t len, struct emit *em)
{
    return flat_scan(f, line, len, em, 1);
}

enum logfmt_skip logfmt_json_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    enum logfmt_skip r;
    int flat;

    em->direct = 0;
    em->overflow = 0;
    flat = f->no_fields ? json_flat_values(f, s, n, em) : json_flat(f, s, n, em);
    if (flat && f->no_fields && !em->overflow) {
        /* every leaf, no fields, no hints: nothing for finish_value() to do */
        struct logfmt_value val = {"", 0, NULL, 0, HINT_NONE};
        if (f->batch) {
            f->batched = 1; /* logfmt_values_all() hands f->vspans over */
            return LOGFMT_OK;
        }
        for (size_t i = 0; i < f->n_spans; i++) {
            val.value = f->vspans[i].p;
            val.value_len = f->vspans[i].len;
            if (em->fn(em->ctx, &val))
                break;
        }
        return LOGFMT_OK;
    }
    r = flat ? LOGFMT_OK : json_walk(f, s, n, em);
    if (r != LOGFMT_OK) /* a NUL byte anywhere stops the walk: say why */
        return memchr(s, '\0', n) ? LOGFMT_SKIP_BINARY : r;
    if (!em->overflow) {
        for (size_t i = 0; i < f->n_cands && !em->stop; i++)
            emit_raw(em, f->cands[i].field, f->cands[i].field_len, f->cands[i].val,
                     f->cands[i].val_len, f->cands[i].hint);
    } else {
        /* valid but too many values to hold: walk again, calling back directly */
        em->direct = 1;
        json_walk(f, s, n, em);
    }
    logfmt_emit_full_url(f, em);
    return LOGFMT_OK;
}
