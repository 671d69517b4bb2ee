/* util/err.h - the error codes and error record every mreža module returns.
 * Library code never prints: it returns an enum mz_err and fills a caller-provided
 * struct mz_error with a message a person can act on and, where it applies, a JSON
 * pointer to the offending field. api/api_error.c turns it into an HTTP response,
 * cli/ into one line on stderr. */
#ifndef MZ_ERR_H
#define MZ_ERR_H

#include <stddef.h>

enum mz_err {
    MZ_OK = 0,
    MZ_EINVAL,     /* input is malformed or breaks a rule */
    MZ_ENOTFOUND,  /* no such thing, or the caller may not see it */
    MZ_ECONFLICT,  /* clashes with existing state */
    MZ_ETOOBIG,    /* over a configured limit */
    MZ_EAUTH,      /* no or unknown credentials */
    MZ_EFORBIDDEN, /* authenticated, but the role does not allow it */
    MZ_ENOMEM,
    MZ_EIO,        /* storage or system failure */
    MZ_EUNSUPPORTED, /* valid request for something not offered */
    MZ_EMETHOD,      /* the method is not allowed on this resource */
    MZ_ENOTACCEPTABLE, /* the client accepts none of the media types offered */
    MZ_EMEDIATYPE,   /* the request body's media type is not one that is read */
    MZ_EBUSY,        /* the node is at one of its limits for now (uploads, exports in flight): retry */
    MZ_ETOOMANY,     /* this client already holds as many requests or connections as it may */
    MZ_EUNPROCESSABLE /* well-formed, but not the kind of document the call reads (a TAXII POST
                         body that is no envelope: 422) */
};

#define MZ_ERR_MSG_LEN 256
#define MZ_ERR_FIELD_LEN 128

struct mz_error {
    enum mz_err code;
    char msg[MZ_ERR_MSG_LEN];     /* human-readable, names the problem */
    char field[MZ_ERR_FIELD_LEN]; /* JSON pointer such as /objects/3/id, or "" */
};

/* Record an error in e (which may be NULL) and return code, so callers can write
 * `return mz_error_set(e, MZ_EINVAL, "/id", "bad id '%s'", id);`. */
enum mz_err mz_error_set(struct mz_error *e, enum mz_err code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix e->field with prefix (e.g. "/objects/3"), keeping whatever was there. */
void mz_error_prefix_field(struct mz_error *e, const char *prefix);

void mz_error_clear(struct mz_error *e);

/* A stable lowercase name for code ("invalid", "not_found", ...). */
const char *mz_err_name(enum mz_err code);

#endif
