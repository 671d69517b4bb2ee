/* util/err.c - see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum mz_err mz_error_set(struct mz_error *e, enum mz_err code, const char *field,
                         const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    return code;
}

void mz_error_prefix_field(struct mz_error *e, const char *prefix)
{
    char tmp[MZ_ERR_FIELD_LEN];

    if (!e)
        return;
    snprintf(tmp, sizeof tmp, "%s%s", prefix, e->field);
    memcpy(e->field, tmp, sizeof tmp);
}

void mz_error_clear(struct mz_error *e)
{
    if (!e)
        return;
    e->code = MZ_OK;
    e->msg[0] = '\0';
    e->field[0] = '\0';
}

const char *mz_err_name(enum mz_err code)
{
    switch (code) {
    case MZ_OK: return "ok";
    case MZ_EINVAL: return "invalid";
    case MZ_ENOTFOUND: return "not_found";
    case MZ_ECONFLICT: return "conflict";
    case MZ_ETOOBIG: return "too_big";
    case MZ_EAUTH: return "unauthenticated";
    case MZ_EFORBIDDEN: return "forbidden";
    case MZ_ENOMEM: return "out_of_memory";
    case MZ_EIO: return "io_error";
    case MZ_EUNSUPPORTED: return "unsupported";
    case MZ_EMETHOD: return "method_not_allowed";
    case MZ_ENOTACCEPTABLE: return "not_acceptable";
    case MZ_EMEDIATYPE: return "unsupported_media_type";
    case MZ_EBUSY: return "busy";
    case MZ_ETOOMANY: return "too_many_requests";
    case MZ_EUNPROCESSABLE: return "unprocessable";
    }
    return "unknown";
}
