/* obs/email.c - e-mail addresses: the canonical form the index stores and the
 * matcher looks up. The local part (1-64 bytes of printable ASCII but '"', '<' and
 * '>') lowercased, one '@', the domain as name.c makes it (so IDN domains compare
 * with their punycode).
 *
 * Hand-written: a dozen lines on the matcher's path; RFC 5322 parsers accept quoted
 * local parts and comments that no log or indicator spells, and a looser reading here
 * would let two spellings of one mailbox be two index keys. */
#include <string.h>

#include "obs/ascii.h"
#include "obs/obs_int.h"

int email_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err)
{
    size_t i;

    for (i = 0; i < len && s[i] != '@'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>')
            return obs_fail(err, MZ_EINVAL,
                            "character not allowed in the local part of an e-mail address");
        out_put(w, (char)ascii_to_lower(c));
    }
    if (i == len)
        return obs_fail(err, MZ_EINVAL, "e-mail address has no '@'");
    if (i == 0 || i > 64)
        return obs_fail(err, MZ_EINVAL, "e-mail local part must be 1-64 characters");
    if (memchr(s + i + 1, '@', len - i - 1))
        return obs_fail(err, MZ_EINVAL, "e-mail address has more than one '@'");
    out_put(w, '@');
    return name_norm(s + i + 1, len - i - 1, w, err);
}
