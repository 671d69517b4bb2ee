/* match/logfmt_text.c - the log scanner's free text (see logfmt_int.h): one
 * left-to-right pass over a line that finds IPv4 and IPv6 addresses, URLs, e-mail
 * addresses, domains, hashes and wallets at word boundaries, defanged forms included
 * ("hxxp://", "evil[.]example", "1.2.3[.]4", "[@]"), and reports them refanged.
 *
 * The scanners here find where a token is and what it looks like; whether an address
 * is one is obs/ip.h's to say (ip_v4_quad(), ip_v6_addr()), and a hash is a hex run
 * of a digest's length (obs/hash.h), so the text scanner reports what the index can
 * hold and nothing it would read differently.
 *
 * Hand-written: no Debian library extracts indicators from free text, let alone
 * defanged ones; this runs over every byte of a text log on the matcher's path. */
#include <string.h>

#include "match/logfmt_int.h"
#include "obs/ip.h"

static const char text_name[] = "text";

static int eq_nocase(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);

    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (ascii_to_lower((unsigned char)a[i]) != b[i])
            return 0;
    return 1;
}

struct tscan {
    struct logfmt *f;
    const char *s;
    size_t n;
    struct emit *em;
    size_t next_at; /* position of the next '@' at or after the scan, or n */
};

/* Length of a (possibly defanged) dot at s[i]: ".", "[.]", "(.)", "{.}", "[dot]",
 * "(dot)"; 0 if none. */
static size_t dot_at(const char *s, size_t i, size_t n)
{
    char c = s[i], close;

    if (c == '.')
        return 1;
    if (c == '[')
        close = ']';
    else if (c == '(')
        close = ')';
    else if (c == '{')
        close = '}';
    else
        return 0;
    if (n - i >= 3 && s[i + 1] == '.' && s[i + 2] == close)
        return 3;
    if (c != '{' && n - i >= 5 && ascii_to_lower((unsigned char)s[i + 1]) == 'd' &&
        ascii_to_lower((unsigned char)s[i + 2]) == 'o' && ascii_to_lower((unsigned char)s[i + 3]) == 't' &&
        s[i + 4] == close)
        return 5;
    return 0;
}

/* Is c glued to a following token (so that token does not start a word)? */
static int glued(char c)
{
    return (CT(c) & C_WORD) || c == '.' || c == '@';
}

/* Copy s[a..b) into dec with defanged forms put back: the dots above, "[@]" -> "@",
 * "[:]" -> ":", "[://]" -> "://". Returns the length. */
static size_t refang(struct tscan *t, size_t a, size_t b, size_t at)
{
    const char *s = t->s;
    char *out = t->f->dec + at;
    size_t o = 0, i = a;

    while (i < b) {
        size_t d = (s[i] == '[' || s[i] == '(' || s[i] == '{') ? dot_at(s, i, b) : 0;

        if (d > 1) {
            out[o++] = '.';
            i += d;
        } else if (s[i] == '[' && b - i >= 3 && (s[i + 1] == '@' || s[i + 1] == ':') &&
                   s[i + 2] == ']') {
            out[o++] = s[i + 1];
            i += 3;
        } else if (s[i] == '[' && b - i >= 5 && memcmp(s + i, "[://]", 5) == 0) {
            memcpy(out + o, "://", 3);
            o += 3;
            i += 5;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

/* Report s[a..b) as hint, refanged if it holds a defang bracket. */
static void text_emit(struct tscan *t, size_t a, size_t b, int hint)
{
    const char *s = t->s;

    for (size_t i = a; i < b; i++) {
        if (s[i] == '[' || s[i] == '(' || s[i] == '{') {
            size_t o = refang(t, a, b, 0);

            emit_raw(t->em, text_name, 4, t->f->dec, o, hint);
            return;
        }
    }
    emit_raw(t->em, text_name, 4, s + a, b - a, hint);
}

static int tld_ok(const char *s, size_t n)
{
    if (n >= 2 && n <= 63 && all_class(s, n, C_ALPHA))
        return 1;
    if (n >= 5 && n <= 63 && ascii_to_lower((unsigned char)s[0]) == 'x' &&
        ascii_to_lower((unsigned char)s[1]) == 'n' && s[2] == '-' && s[3] == '-') {
        for (size_t i = 4; i < n; i++)
            if (!(CT(s[i]) & (C_ALPHA | C_DIGIT)) && s[i] != '-')
                return 0;
        return 1;
    }
    return 0;
}

/* A domain starting at s[i] (labels joined by dots or defanged dots). Returns 1 and
 * sets *end if it is one; otherwise 0 with *end at the end of the chain of labels
 * looked at (no domain starts inside it: it would be glued to a dot). */
static int domain_scan(const char *s, size_t i, size_t n, size_t *end)
{
    size_t p = i, total = 0, labels = 0, last = i, last_len = 0;
    int ok = 1;

    for (;;) {
        size_t q = p, d;

        while (q < n && (CT(s[q]) & C_WORD))
            q++;
        if (q - p > 63)
            ok = 0;
        total += (q - p) + (labels > 0);
        labels++;
        last = p;
        last_len = q - p;
        if (q - i > LOGFMT_DOMAIN_SCAN) {
            /* too long to be a name: the rest of the chain goes too, so that its tail
             * (after a defanged dot, which glued() does not see) is no name of its own */
            for (;;) {
                d = q < n ? dot_at(s, q, n) : 0;
                if (!d || q + d >= n || !(CT(s[q + d]) & C_WORD))
                    break;
                q += d;
                while (q < n && (CT(s[q]) & C_WORD))
                    q++;
            }
            *end = q;
            return 0;
        }
        d = q < n ? dot_at(s, q, n) : 0;
        if (d && q + d < n && (CT(s[q + d]) & C_WORD)) {
            p = q + d;
            continue;
        }
        *end = q;
        break;
    }
    return ok && labels >= 2 && total <= LOGFMT_MAX_DOMAIN && tld_ok(s + last, last_len);
}

/* A dotted quad at s[i] (dots may be defanged); end or 0. The token is four runs of
 * 1-3 digits joined by (defanged) dots that does not go on (".5", ".example", "x");
 * whether it is an address is ip_v4_quad()'s to say, on its refanged form, exactly as
 * the index reads addresses (no leading zeros, octets up to 255). */
static size_t ipv4_scan(const char *s, size_t i, size_t n)
{
    char quad[16];
    size_t p = i, d, o = 0;
    uint32_t a;

    for (int k = 0; k < 4; k++) {
        size_t q = p;

        while (q < n && (CT(s[q]) & C_DIGIT) && q - p < 4)
            q++;
        if (q == p || q - p > 3)
            return 0;
        memcpy(quad + o, s + p, q - p);
        o += q - p;
        p = q;
        if (k < 3) {
            d = p < n ? dot_at(s, p, n) : 0;
            if (!d)
                return 0;
            p += d;
            quad[o++] = '.';
        }
    }
    if (p < n && (CT(s[p]) & C_WORD))
        return 0;
    d = p < n ? dot_at(s, p, n) : 0;
    if (d && p + d < n && (CT(s[p + d]) & C_WORD))
        return 0;
    return ip_v4_quad(quad, o, &a) ? p : 0;
}

/* An IPv6 address at s[i]; end or 0. On failure *resume is just past the last ':' of
 * the run of address characters: no address starts before it ("b::" in "a::b::" would
 * be glued to a ':'), while "cafe:evil.example" still gets its domain looked at. */
static size_t ipv6_scan(const char *s, size_t i, size_t n, size_t *resume)
{
    size_t q = i, e;
    uint8_t a[16];

    while (q < n && (CT(s[q]) & C_V6))
        q++;
    *resume = q;
    while (*resume > i && s[*resume - 1] != ':')
        (*resume)--;
    if (*resume == i)
        *resume = q;
    if (q - i > LOGFMT_V6_SCAN || (q < n && (CT(s[q]) & C_WORD)))
        return 0;
    e = q;
    while (e > i && s[e - 1] == '.')
        e--;
    if (e - i >= 2 && s[e - 1] == ':' && s[e - 2] != ':')
        e--;
    /* an address as obs/ip.h reads it; "::" alone is not reported */
    return e - i > 2 && ip_v6_addr(s + i, e - i, a) == 0 ? e : 0;
}

static const struct {
    const char *name; /* lowercase */
    const char *real;
} schemes[] = {
    {"http", "http"}, {"https", "https"}, {"ftp", "ftp"},
    {"hxxp", "http"}, {"hxxps", "https"}, {"fxp", "ftp"},
};

/* A URL whose scheme is the word s[i..w); end or 0. The URL runs to whitespace, a
 * quote, an angle bracket or a control byte, less trailing punctuation and unbalanced
 * closing brackets. Reported refanged: hxxp -> http, fxp -> ftp, [:]// -> ://,
 * defanged dots -> '.'. */
static size_t url_scan(struct tscan *t, size_t i, size_t w)
{
    static const char brackets[6] = {'(', '[', '{', ')', ']', '}'};
    const char *s = t->s;
    size_t n = t->n, h, e, sc = sizeof schemes / sizeof schemes[0], o;
    size_t opens[3] = {0, 0, 0}, closes[3] = {0, 0, 0};
    int defanged = 0;

    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++)
        if (eq_nocase(s + i, w - i, schemes[k].name))
            sc = k;
    if (sc == sizeof schemes / sizeof schemes[0])
        return 0;
    if (n - w >= 3 && memcmp(s + w, "://", 3) == 0)
        h = w + 3;
    else if (n - w >= 5 && (memcmp(s + w, "[:]//", 5) == 0 || memcmp(s + w, "[://]", 5) == 0)) {
        h = w + 5;
        defanged = 1;
    } else {
        return 0;
    }
    if (h >= n || (!(CT(s[h]) & C_WORD) && s[h] != '['))
        return 0;
    e = h;
    while (e < n && !(CT(s[e]) & C_URLEND)) {
        if (CT(s[e]) == 0) { /* punctuation: maybe a bracket */
            for (int b = 0; b < 3; b++) {
                opens[b] += s[e] == brackets[b];
                closes[b] += s[e] == brackets[b + 3];
            }
        }
        e++;
    }
    for (;;) {
        char c = s[e - 1];
        int b = c == ')' ? 0 : c == ']' ? 1 : c == '}' ? 2 : -1;

        if (e - 1 > h && (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?')) {
            e--;
            continue;
        }
        if (e - 1 > h && b >= 0 && closes[b] > opens[b]) {
            closes[b]--;
            e--;
            continue;
        }
        break;
    }
    if (opens[0] || opens[1] || opens[2])
        defanged = 1; /* "(.)", "[.]", "{.}" may be in there: refang() copies the rest */
    if (!defanged && strcmp(schemes[sc].name, schemes[sc].real) == 0) {
        emit_raw(t->em, text_name, 4, s + i, e - i, OBS_URL);
        return e;
    }
    o = strlen(schemes[sc].real);
    memcpy(t->f->dec, schemes[sc].real, o);
    o += refang(t, w, e, o);
    emit_raw(t->em, text_name, 4, t->f->dec, o, OBS_URL);
    return e;
}

/* An e-mail address starting at s[i] ("[@]" allowed, domain may be defanged). */
static size_t email_scan(struct tscan *t, size_t i)
{
    const char *s = t->s;
    size_t n = t->n, q = i, a, e;

    while (q < n && (CT(s[q]) & C_LOCAL) && q - i <= LOGFMT_MAX_LOCAL)
        q++;
    if (q - i > LOGFMT_MAX_LOCAL || s[q - 1] == '.' || q >= n)
        return 0;
    if (s[q] == '@')
        a = 1;
    else if (n - q >= 3 && s[q] == '[' && s[q + 1] == '@' && s[q + 2] == ']')
        a = 3;
    else
        return 0;
    if (q + a >= n || !(CT(s[q + a]) & (C_ALPHA | C_DIGIT)))
        return 0;
    if (!domain_scan(s, q + a, n, &e))
        return 0;
    text_emit(t, i, e, OBS_EMAIL);
    return e;
}

/* Hashes in s[a..b): maximal runs of exactly 32/40/64/128 hex digits (the region's
 * edges are never hex). "0x" + 40 hex is a wallet, not a SHA-1. */
static void text_hashes(struct tscan *t, size_t a, size_t b)
{
    const char *s = t->s;
    size_t k = a;

    while (k < b) {
        size_t st, len;
        int h;

        if (!(CT(s[k]) & C_HEX)) {
            k++;
            continue;
        }
        st = k;
        while (k < b && (CT(s[k]) & C_HEX))
            k++;
        len = k - st;
        h = hash_kind_of_len(len);
        if (h < 0 || (len == 40 && st >= 2 && s[st - 1] == 'x' && s[st - 2] == '0'))
            continue;
        emit_raw(t->em, text_name, 4, s + st, len, h);
    }
}

/* Does s[a..b) hold a run of exactly 32/40/64/128 hex digits? */
static int word_has_hash(const char *s, size_t a, size_t b)
{
    size_t k = a;

    while (k < b) {
        size_t st = k;

        while (k < b && (CT(s[k]) & C_HEX))
            k++;
        if (hash_kind_of_len(k - st) >= 0)
            return 1;
        if (k == st)
            k++;
    }
    return 0;
}

/* Tokens starting at the word s[i..w) (i is at a word boundary; wand is the AND of the
 * word's character classes). Returns the end of a reported token, or 0 with *skip at
 * the end of the region in which no token starts. */
static size_t text_token(struct tscan *t, size_t i, size_t w, unsigned wand, size_t *skip)
{
    const char *s = t->s;
    size_t n = t->n, wl = w - i, e;
    char nx = w < n ? s[w] : '\0';

    *skip = w;
    if ((nx == ':' || nx == '[') && wl <= 5 && (wand & C_ALPHA)) {
        e = url_scan(t, i, w);
        if (e)
            return e;
    }
    if (t->next_at < i) {
        const char *at = memchr(s + i, '@', n - i);

        t->next_at = at ? (size_t)(at - s) : n;
    }
    if (t->next_at < n && t->next_at - i <= LOGFMT_MAX_LOCAL + 1) {
        e = email_scan(t, i);
        if (e)
            return e;
    }
    if (nx == ':' && wl <= 4 && (wand & C_HEX)) {
        size_t run;

        e = ipv6_scan(s, i, n, &run);
        if (e) {
            emit_raw(t->em, text_name, 4, s + i, e - i, OBS_IPV6);
            return e;
        }
        *skip = run;
        return 0;
    }
    if ((wand & C_DIGIT) && wl <= 3 && nx) {
        e = ipv4_scan(s, i, n);
        if (e) {
            text_emit(t, i, e, OBS_IPV4);
            return e;
        }
    }
    if (wl >= 14 && wl <= 74 && s[i] == 'b' && s[i + 1] == 'c' && s[i + 2] == '1') {
        size_t k = i;

        while (k < w && ((CT(s[k]) & C_DIGIT) || (s[k] >= 'a' && s[k] <= 'z')))
            k++;
        if (k == w) {
            emit_raw(t->em, text_name, 4, s + i, wl, OBS_WALLET);
            return w;
        }
    }
    if (wl == 42 && s[i] == '0' && s[i + 1] == 'x' && all_class(s + i + 2, 40, C_HEX)) {
        emit_raw(t->em, text_name, 4, s + i, wl, OBS_WALLET);
        return w;
    }
    if (wl >= 32 && word_has_hash(s, i, w))
        return 0; /* <md5>.exe, file_<md5>.dll: file names, reported as hashes */
    if (nx && dot_at(s, w, n)) {
        if (domain_scan(s, i, n, &e)) {
            text_emit(t, i, e, OBS_DOMAIN);
            return e;
        }
        *skip = e;
    }
    return 0;
}

void logfmt_text_line(struct logfmt *f, const char *s, size_t n, struct emit *em)
{
    struct tscan t;
    size_t i = 0;

    t.f = f;
    t.s = s;
    t.n = n;
    t.em = em;
    t.next_at = 0;
    {
        const char *at = memchr(s, '@', n);

        t.next_at = at ? (size_t)(at - s) : n;
    }
    while (i < n && !em->stop) {
        char c = s[i];
        int start_ok;
        size_t w, skip, e;
        unsigned wand;

        if (!(CT(c) & C_START)) {
            i++;
            continue;
        }
        start_ok = i == 0 || !glued(s[i - 1]);
        if (c == ':') {
            if (start_ok && (i == 0 || s[i - 1] != ':') && i + 1 < n && s[i + 1] == ':') {
                e = ipv6_scan(s, i, n, &skip);
                if (e) {
                    emit_raw(em, text_name, 4, s + i, e - i, OBS_IPV6);
                    i = e;
                    continue;
                }
                if (skip - i >= 32)
                    text_hashes(&t, i, skip);
                i = skip;
                continue;
            }
            i++;
            continue;
        }
        wand = 0xff;
        w = i;
        while (w < n && (CT(s[w]) & C_WORD))
            wand &= CT(s[w++]);
        skip = w;
        if (start_ok) {
            e = text_token(&t, i, w, wand, &skip);
            if (e) {
                i = e;
                continue;
            }
        }
        if (skip - i >= 32) /* shorter regions cannot hold a hash */
            text_hashes(&t, i, skip);
        i = skip;
    }
}
