/* obs/name.c - domain names: the canonical form the index stores and the matcher
 * looks up (lowercase, no trailing dot, non-ASCII labels in punycode, every label
 * 1-63 of [a-z0-9-_] not starting or ending with '-', at most 253 bytes). E-mail
 * domains (email.c) and URL hosts (url.c) go through name_norm() too, so a domain
 * is one thing whichever kind carries it.
 *
 * Hand-written for the ASCII labels, which are nearly all of them and run once per
 * candidate log value: one table lookup per byte, written straight into the caller's
 * buffer. Labels with non-ASCII bytes go to libidn2 (IDNA 2008 with TR46 mapping,
 * non-transitional first), which allocates its result; it is freed at once.
 * Whether a name is a public suffix (obs_public_suffix) is libpsl's answer, from the
 * list compiled into Debian's libpsl (package publicsuffix): no list is kept here,
 * but for the special-use names of the RFCs, which the PSL leaves out on purpose
 * (obs_wide_parent: names that mean something else in every network). */
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

#include "obs/ascii.h"
#include "obs/obs_int.h"
#include "obs/utf8.h"

#define DOM_MAX_LEN 253
#define DOM_MAX_LABEL 63
#define IDN_MAX_IN 256 /* longest non-ASCII label handed to libidn2, in bytes */

/* The lowercase form of a label byte, or 0 (bytes from 0x80 up included). */
#define LABEL_MAP(c) ((unsigned char)(ASCII_IS_LABEL(c) ? ASCII_TO_LOWER(c) : 0))
const unsigned char name_label_map[256] = {ASCII_TABLE(LABEL_MAP)};

/* Checks a label already written to w->buf[start..w->len). */
static int label_ok(const struct obs_out *w, size_t start, struct mz_error *err)
{
    size_t n = w->len - start;

    if (n == 0)
        return obs_fail(err, MZ_EINVAL, "empty label in domain name");
    if (n > DOM_MAX_LABEL)
        return obs_fail(err, MZ_EINVAL, "domain label longer than 63 characters");
    if (w->buf[start] == '-' || w->buf[w->len - 1] == '-')
        return obs_fail(err, MZ_EINVAL, "domain label starts or ends with '-'");
    return 0;
}

/* Converts one label containing non-ASCII bytes with libidn2 and appends the result
 * (which TR46 mapping may have split into several labels, e.g. at U+3002). */
static int idn_label(const char *s, size_t n, struct obs_out *w, struct mz_error *err)
{
    char in[IDN_MAX_IN];
    char *res = NULL;
    size_t i, start;
    int rc, ret = 0;

    if (n >= sizeof in)
        return obs_fail(err, MZ_EINVAL, "internationalised domain label too long");
    for (i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);

        if (k == 0)
            return obs_fail(err, MZ_EINVAL, "domain name is not valid UTF-8");
        if (k == 1 && !name_label_map[(unsigned char)s[i]])
            return obs_fail(err, MZ_EINVAL, "character not allowed in a domain name");
        i += k;
    }
    memcpy(in, s, n);
    in[n] = '\0';
    rc = idn2_to_ascii_8z(in, &res, IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        idn2_free(res);
        res = NULL;
        rc = idn2_to_ascii_8z(in, &res, IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK) {
        mz_error_set(err, MZ_EINVAL, NULL, "not a valid internationalised domain label (%s)",
                     idn2_strerror(rc));
        ret = -1;
        goto out;
    }
    start = w->len;
    for (i = 0;; i++) {
        unsigned char c = (unsigned char)res[i];

        if (c == '.' || c == '\0') {
            if (w->full || label_ok(w, start, err) < 0) {
                ret = -1;
                goto out;
            }
            if (c == '\0')
                break;
            out_put(w, '.');
            start = w->len;
        } else if ((c = name_label_map[c]) != 0) {
            out_put(w, (char)c);
        } else {
            ret = obs_fail(err, MZ_EINVAL, "character not allowed in a domain name");
            goto out;
        }
    }
out:
    idn2_free(res);
    return ret;
}

/* Appends the canonical form of the domain s[0..len) to w: lowercase, one trailing
 * dot stripped, non-ASCII labels in punycode, every label checked. */
int name_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err)
{
    size_t dstart = w->len, i = 0;

    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0)
        return obs_fail(err, MZ_EINVAL, "empty domain name");
    for (;;) {
        size_t lstart = w->len, l0 = i;

        while (i < len && s[i] != '.') {
            unsigned char c = name_label_map[(unsigned char)s[i]];

            if (!c)
                break;
            out_put(w, (char)c);
            i++;
        }
        if (i < len && s[i] != '.') {
            const char *dot;

            if ((unsigned char)s[i] < 0x80)
                return obs_fail(err, MZ_EINVAL, "character not allowed in a domain name");
            /* UTF-8 lead and continuation bytes are never '.', so the label ends at
             * the next dot. */
            dot = memchr(s + i, '.', len - i);
            i = dot ? (size_t)(dot - s) : len;
            w->len = lstart;
            if (idn_label(s + l0, i - l0, w, err) < 0)
                return -1;
        } else if (label_ok(w, lstart, err) < 0) {
            return -1;
        }
        if (w->len - dstart > DOM_MAX_LEN)
            return obs_fail(err, MZ_EINVAL, "domain name longer than 253 characters");
        if (w->full)
            return obs_fail_full(w, err);
        if (i == len)
            break;
        out_put(w, '.');
        i++;
    }
    return 0;
}

int obs_public_suffix(const char *domain, size_t len)
{
    char name[DOM_MAX_LEN + 1];

    if (!len || len > DOM_MAX_LEN)
        return 0;
    if (!memchr(domain, '.', len))
        return 1;
    memcpy(name, domain, len);
    name[len] = '\0';
    /* PSL_TYPE_ANY: the private section too ("github.io"); psl_builtin() is
     * static data, shared by every thread without a lock */
    return psl_is_public_suffix2(psl_builtin(), name, PSL_TYPE_ANY) ? 1 : 0;
}

/* Special-use names (RFC 6761 "test", "localhost", "invalid", "example"; RFC 6762
 * "local"; RFC 7686 "onion"; RFC 8375 "home.arpa"; RFC 9476 "alt"; ICANN's reserved
 * "internal"; and "arpa" itself): below them a name means whatever each network
 * makes it mean, so they are suffixes here. The single labels among them are public
 * suffixes already (obs_public_suffix); they are listed to find the registrable
 * name below them. */
static const char *const special_use[] = {"home.arpa", "arpa", "local", "localhost", "invalid", "test",
                                          "example", "onion", "alt", "internal"};

/* Does the name s[0..len) end with the name suffix (equal, or below it)? */
static int name_under(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    if (len < n || memcmp(s + len - n, suffix, n))
        return 0;
    return len == n || s[len - n - 1] == '.';
}

int obs_wide_parent(const char *parent, size_t plen, const char *value, size_t vlen)
{
    char name[DOM_MAX_LEN + 1];
    const char *reg;
    size_t reg_len;

    if (obs_public_suffix(parent, plen))
        return 1;
    if (name_under(parent, plen, "in-addr.arpa") || name_under(parent, plen, "ip6.arpa"))
        return 1; /* a reverse-mapping name: an address range, as a name */
    for (size_t i = 0; i < sizeof special_use / sizeof special_use[0]; i++) {
        size_t n = strlen(special_use[i]);
        if (!name_under(value, vlen, special_use[i]))
            continue;
        if (plen <= n)
            return 1; /* the special-use name itself, or shorter */
        /* the registrable name is one label below it: the parent is shorter
         * exactly when it is the special-use name (parent is a suffix of value) */
        return 0;
    }
    if (!vlen || vlen > DOM_MAX_LEN)
        return 0;
    memcpy(name, value, vlen);
    name[vlen] = '\0';
    reg = psl_registrable_domain(psl_builtin(), name);
    if (!reg)
        return 1; /* the value is a public suffix itself: every parent is wider */
    reg_len = vlen - (size_t)(reg - name);
    return plen < reg_len;
}
