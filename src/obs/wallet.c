/* obs/wallet.c - cryptocurrency wallet addresses as observables: 25-128 ASCII letters
 * and digits, kept as given (Base58 addresses are case-sensitive). Hand-written: a
 * length and a character class. */
#include "obs/ascii.h"
#include "obs/obs_int.h"

int wallet_norm(const char *s, size_t len, struct obs_out *w, struct mz_error *err)
{
    if (len < 25 || len > 128)
        return obs_fail(err, MZ_EINVAL, "wallet address must be 25-128 characters");
    for (size_t i = 0; i < len; i++)
        if (!ascii_is_alnum((unsigned char)s[i]))
            return obs_fail(err, MZ_EINVAL, "wallet address must be letters and digits only");
    out_mem(w, s, len);
    return 0;
}
