/* api/api_error.c - the one place where error codes become HTTP statuses and the
 * JSON error body {"error":{"status":N,"message":"…","field":"/json/pointer"}}; on
 * the TAXII routes (/taxii2/...) the same error is written as a TAXII 2.1 error
 * object (docs/federation.md section 8.2): one table, two renderings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static const struct {
    enum mz_err code;
    unsigned status;
} status_table[] = {
    {MZ_OK, 200},
    {MZ_EINVAL, 400},
    {MZ_EAUTH, 401},
    {MZ_EFORBIDDEN, 403},
    {MZ_ENOTFOUND, 404},
    {MZ_EUNSUPPORTED, 501},
    {MZ_EMETHOD, 405},
    {MZ_ENOTACCEPTABLE, 406},
    {MZ_EMEDIATYPE, 415},
    {MZ_ECONFLICT, 409},
    {MZ_ETOOBIG, 413},
    {MZ_EIO, 500},
    {MZ_ENOMEM, 503},
    {MZ_EBUSY, 503},
    {MZ_ETOOMANY, 429},
    {MZ_EUNPROCESSABLE, 422},
};

int api_is_taxii(const struct api_req *r)
{
    return !strncmp(r->path, "/taxii2/", 8) || !strcmp(r->path, "/taxii2");
}

unsigned api_status_of(enum mz_err code)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].code == code)
            return status_table[i].status;
    return 500;
}

enum MHD_Result api_reply_error(struct api_req *r, const struct mz_error *e)
{
    struct mz_buf b;
    unsigned status = api_status_of(e->code);

    /* an error without a code is a slip of the caller's, never a success */
    if (e->code == MZ_OK)
        status = 500;
    mz_buf_init(&b, 1 << 16);
    if (api_is_taxii(r)) {
        mz_buf_printf(&b, "{\"title\":\"%s\",\"description\":", e->code == MZ_OK ? "internal" : mz_err_name(e->code));
        mz_buf_json_str(&b, e->code == MZ_OK ? "internal error: the request failed without a recorded reason"
                                             : e->msg[0] ? e->msg : mz_err_name(e->code));
        mz_buf_printf(&b, ",\"http_status\":\"%u\",\"error_code\":\"%s\",\"error_id\":\"%s\"", status,
                      e->code == MZ_OK ? "internal" : mz_err_name(e->code), r->req_id);
        if (e->field[0]) {
            mz_buf_puts(&b, ",\"details\":{\"field\":");
            mz_buf_json_str(&b, e->field);
            mz_buf_putc(&b, '}');
        }
        mz_buf_puts(&b, "}\n");
        return api_reply(r, status, &b, API_TAXII_TYPE);
    }
    mz_buf_printf(&b, "{\"error\":{\"status\":%u,\"message\":", status);
    if (e->code == MZ_OK)
        mz_buf_json_str(&b, "internal error: the request failed without a recorded reason (the node's log has "
                            "its request id)");
    else
        mz_buf_json_str(&b, e->msg[0] ? e->msg : mz_err_name(e->code));
    if (e->field[0]) {
        mz_buf_puts(&b, ",\"field\":");
        mz_buf_json_str(&b, e->field);
    }
    mz_buf_puts(&b, "}}\n");
    return api_reply(r, status, &b, "application/json");
}

enum MHD_Result api_fail(struct api_req *r, enum mz_err code, const char *field,
                         const char *fmt, ...)
{
    struct mz_error e;
    va_list ap;

    e.code = code;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    return api_reply_error(r, &e);
}
