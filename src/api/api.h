/* api/api.h - internals shared by the files of the HTTP API layer.
 * http.c owns the libmicrohttpd daemon and one struct api_req per request; route.c
 * picks a handler; api_*.c handlers translate HTTP and JSON into domain calls (svc_*)
 * and their results back. Nothing here knows SQL; nothing below knows HTTP. */
#ifndef MZ_API_H
#define MZ_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"
#include "rules/principal.h"
#include "util/buf.h"
#include "util/err.h"

#define API_MAX_SEGS 2 /* '*' segments in one route's path */

struct api_req {
    struct node *node;
    struct MHD_Connection *conn;
    const char *method;       /* borrowed from libmicrohttpd for the request's life */
    char path[1024];
    struct mz_buf body;       /* request body, capped at http.max_body */
    int body_too_big;
    int responded;
    struct principal who;     /* ROLE_NONE until authenticated */
    char req_id[17];
    uint64_t start_ns;
    unsigned status;          /* for the log line */
    size_t bytes_out;
    const char *route_arg;    /* text after a route prefix (e.g. the object id) */
    const char *route_seg[API_MAX_SEGS]; /* the path segments a route's '*'s matched, */
    size_t route_seg_len[API_MAX_SEGS];  /* in r->path (not NUL-terminated) */
    char tlp_header[64];      /* X-Mreza-TLP value for single-object replies, or "" */
    char allow[64];           /* Allow header of a 405 reply (route.c), or "" */
};

/* The most bytes a reply body may take (http.max_reply): every buffer a handler
 * fills from stored or received data is created with this limit. */
size_t api_reply_limit(const struct api_req *r);
/* Queue a response. body is taken over (b is left empty). A body whose buffer latched
 * an error (a failed append, mz_buf_status) is never sent: the client gets a JSON
 * error instead (413 when the reply outgrew http.max_reply, 503 out of memory).
 * Returns an MHD_Result. */
enum MHD_Result api_reply(struct api_req *r, unsigned status, struct mz_buf *b,
                          const char *content_type);
/* JSON error body {"error":{"status","message","field"}} with the status for e->code. */
enum MHD_Result api_reply_error(struct api_req *r, const struct mz_error *e);
/* Shortcut: build the error from code and a message. */
enum MHD_Result api_fail(struct api_req *r, enum mz_err code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The HTTP status for an error code (one table). */
unsigned api_status_of(enum mz_err code);
/* Query parameter value or NULL. */
const char *api_arg(struct api_req *r, const char *name);

/* Segment i that a route's '*' matched into out (cap bytes, NUL-terminated); 0, or
 * -1 when it does not fit (then out is ""). */
int api_seg(const struct api_req *r, int i, char *out, size_t cap);

/* The request's body as a JSON object into *out (the caller json_decref()s it). An
 * empty body is {} when empty_ok. Every member must be named in allowed (a
 * NULL-terminated list): a misspelt member ("expire") is refused, never ignored.
 * MZ_EINVAL with the reason otherwise. */
enum mz_err api_json_body(struct api_req *r, int empty_ok, const char *const *allowed, json_t **out,
                          struct mz_error *err);
/* Member key of o as a string into *out (NULL when absent and not required). */
enum mz_err api_json_str(json_t *o, const char *key, int required, const char **out, struct mz_error *err);
/* A user's JSON {"name","role","identity","disabled"[,"org"]}. */
void api_put_user(struct mz_buf *b, const struct store_user *u, const char *org_name);
/* A key's JSON (what domain/svc.h shows of it; never the key itself). */
struct svc_key_view;
void api_put_key(struct mz_buf *b, const struct svc_key_view *k);

typedef enum MHD_Result (*api_handler)(struct api_req *r);

/* Find and run the handler for r (method + path). */
enum MHD_Result route_dispatch(struct api_req *r);

enum MHD_Result api_healthz(struct api_req *r);
enum MHD_Result api_whoami(struct api_req *r);
enum MHD_Result api_objects_list(struct api_req *r);
enum MHD_Result api_objects_post(struct api_req *r);
enum MHD_Result api_object_get(struct api_req *r);
enum MHD_Result api_objects_count(struct api_req *r);
enum MHD_Result api_export(struct api_req *r);
enum MHD_Result api_orgs_list(struct api_req *r);
enum MHD_Result api_orgs_post(struct api_req *r);
enum MHD_Result api_users_list(struct api_req *r);
enum MHD_Result api_users_post(struct api_req *r);
enum MHD_Result api_user_keys_list(struct api_req *r);
enum MHD_Result api_user_keys_post(struct api_req *r);
enum MHD_Result api_user_key_delete(struct api_req *r);
enum MHD_Result api_user_key_patch(struct api_req *r);
enum MHD_Result api_user_key_rotate(struct api_req *r);
enum MHD_Result api_user_disable(struct api_req *r);
enum MHD_Result api_user_enable(struct api_req *r);
enum MHD_Result api_match_post(struct api_req *r);
enum MHD_Result api_correlations_get(struct api_req *r);
enum MHD_Result api_object_correlations(struct api_req *r, const char *id);
enum MHD_Result api_index_stats(struct api_req *r);
enum MHD_Result api_campaigns_list(struct api_req *r);

#endif
