/* domain/svc.h - the use cases of a node, one function each. The HTTP API and the
 * CLI translate their input into these calls and their results into output; all
 * rules (validation, roles, TLP) are decided here or below, never above.
 * Every function takes the store connection to use; none keeps it. */
#ifndef MZ_SVC_H
#define MZ_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "fmt/bundle.h"
#include "rules/principal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/err.h"

/* Once per process, before any other thread starts and before any JSON is parsed:
 * starts the random generator of keys and ids (mz_random_init(); MZ_EIO if it
 * cannot start) and lets large ingests build their parse trees in arenas
 * (svc_ingest.c; without that, ingest works with plain malloc/free). */
enum mz_err svc_init(void);

/* ---- the store of a command run beside the node (svc_store.c) ---- */

enum svc_open_mode {
    SVC_OPEN_EXISTING, /* MZ_ENOTFOUND, creating nothing, unless conf->data_dir holds a node */
    SVC_OPEN_NEW,      /* MZ_ECONFLICT, touching nothing, if it holds one (init --demo) */
    SVC_OPEN_CREATE    /* open, creating the store if needed (init) */
};

/* Open the store of the node conf names; close it with svc_store_close. */
enum mz_err svc_store_open(const struct mz_conf *conf, enum svc_open_mode mode, struct store **out,
                           struct mz_error *err);
void svc_store_close(struct store *st);

/* ---- organisations, users, keys (svc_auth.c) ---- */

#define SVC_KEY_LEN 48 /* "mz_" + 43 base64url characters + NUL */

struct svc_org_new {
    const char *name;      /* handle: 2-64 of [a-z0-9.-] */
    const char *full_name; /* optional; defaults to name */
    const char *country;   /* ISO 3166-1 alpha-2; XK for Kosovo* */
    const char *sector;    /* optional, e.g. government, energy, banking, health */
    const char *kind;      /* national-csirt, sector-csirt, government-csirt, police,
                              operator, other */
    const char *identity;  /* optional fixed STIX identity id (demo data, migrations) */
};

struct svc_user_new {
    const char *org;      /* organisation handle */
    const char *name;     /* user handle */
    const char *role;     /* admin, analyst, reporter, viewer */
    const char *identity; /* optional fixed STIX identity id */
};

/* Each call below acts for principal p and asks domain/authz.h first: a refusal is
 * MZ_EFORBIDDEN (MZ_EAUTH for nobody) with a message saying who may. The console
 * (principal_console) may do all of them. */

/* Add an organisation and its STIX identity object (TLP:GREEN). */
enum mz_err svc_org_add(struct store *st, const struct principal *p, const struct svc_org_new *in,
                        struct store_org *out, struct mz_error *err);
/* Add a user of org_name with role, and its first API key, written to key_out
 * (SVC_KEY_LEN bytes): the only time the key is ever shown. */
enum mz_err svc_user_add(struct store *st, const struct principal *p, const struct svc_user_new *in,
                         struct store_user *out, char *key_out, struct mz_error *err);
/* A fresh API key for an existing user. */
enum mz_err svc_key_new(struct store *st, const struct principal *p, const char *user_name,
                        char *key_out, struct mz_error *err);
/* The node's organisations (every member may see the directory). */
enum mz_err svc_org_list(struct store *st, const struct principal *p, store_org_fn fn, void *ctx,
                         struct mz_error *err);
/* Users: of org_name (NULL: all of them for an admin, one's own organisation's for
 * anyone else; a non-admin naming another organisation is refused). */
enum mz_err svc_user_list(struct store *st, const struct principal *p, const char *org_name,
                          store_user_fn fn, void *ctx, struct mz_error *err);
/* PRAGMA integrity_check of the store (admins and the console). */
enum mz_err svc_store_check(struct store *st, const struct principal *p, struct mz_error *err);

/* Who holds this bearer token? MZ_EAUTH if nobody. */
enum mz_err svc_authenticate(struct store *st, const char *token, struct principal *out,
                             struct mz_error *err);
/* The principal of a user, by name (commands run as that user). */
enum mz_err svc_principal_of_user(struct store *st, const char *user_name, struct principal *out,
                                  struct mz_error *err);
/* The principal of an organisation acting as a whole, by name (export/match --as
 * ORG): an analyst of it who is no particular user, so TLP:RED addressed to people is
 * never included; a reporter when the organisation is an operator of essential
 * services, which sees what its reporters see. */
enum mz_err svc_principal_of_org(struct store *st, const char *org_name, struct principal *out,
                                 struct mz_error *err);

/* ---- objects (svc_objects.c) ---- */

struct svc_put_item {
    size_t id_off;      /* offsets into svc_ingest_result.strings */
    size_t version_off;
    int match_plan;     /* indicators: enum observe_plan (rules/observe.h); else -1 */
    int tlp;
    int tlp_defaulted;
    int duplicate;
};

struct svc_ingest_result {
    struct svc_put_item *items;
    size_t n_items, cap;
    size_t n_new, n_duplicate, n_defaulted;
    int was_bundle;
    char *strings;      /* NUL-separated ids and versions of the items */
    size_t strings_len, strings_cap;
};

/* The id and version of item i (valid until svc_ingest_result_free). */
const char *svc_item_id(const struct svc_ingest_result *r, size_t i);
const char *svc_item_version(const struct svc_ingest_result *r, size_t i);

void svc_ingest_result_free(struct svc_ingest_result *r);

/* Validate and store a bundle or one object as p, all or nothing, in one durable
 * transaction. On error nothing is written and err names the object and field.
 * Large bundles are parsed and validated on a second thread while this one writes
 * (svc_ingest.c). */
enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err);

struct svc_query {
    const char *const *types; /* filters as in store_query */
    size_t n_types;
    const char *id;
    const char *created_by;
    int tlp;                  /* -1 for any */
    const char *added_after;  /* RFC 3339; normalised here */
    const char *next;         /* cursor from a previous page, or NULL */
    long limit;               /* 0 = all */
    int all_versions;
};

/* A type filter given as text ("indicator,incident"), as both front ends take it. */
#define SVC_MAX_TYPES 64
struct svc_types {
    char buf[4096];
    const char *v[SVC_MAX_TYPES];
};

/* Read list into t and point q's type filter at it (t must outlive q's use). Refused
 * (MZ_EINVAL, field "type"), never cut short or read as "every type": a list longer
 * than the buffer, more than SVC_MAX_TYPES types, or one that names none (",", ""). */
enum mz_err svc_query_types(struct svc_query *q, struct svc_types *t, const char *list, struct mz_error *err);

/* Called for each visible row; return nonzero to stop. */
typedef int (*svc_row_fn)(void *ctx, const struct store_row *row);

/* List what p may see. next_out (CURSOR_STRLEN bytes) receives the token of the next
 * page, or "" when there is none. */
enum mz_err svc_list(struct store *st, const struct principal *p, const struct svc_query *q,
                     svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err);
enum mz_err svc_count(struct store *st, const struct principal *p, const struct svc_query *q,
                      int64_t *count_out, struct mz_error *err);
/* The newest visible version of id (or all visible versions, oldest first).
 * MZ_ENOTFOUND when p may see none: the same answer as for an id never stored. */
enum mz_err svc_get(struct store *st, const struct principal *p, const char *id,
                    int all_versions, svc_row_fn fn, void *ctx, struct mz_error *err);

/* Writes a chunk of output; returns 0, or nonzero to abort. */
typedef int (*svc_write_fn)(void *ctx, const char *data, size_t len);

/* Write a STIX 2.1 bundle of everything p may see that q selects (q->limit and
 * q->next are ignored), with the TLP marking definitions it references, through
 * write in pieces of about 256 KiB (an svc_export cursor, below). */
enum mz_err svc_export(struct store *st, const struct principal *p, const struct svc_query *q,
                       svc_write_fn write, void *ctx, size_t *n_objects_out,
                       struct mz_error *err);

/* The same bundle a piece at a time, for a caller that is asked for its output
 * (a streamed HTTP reply) rather than one that pushes it.
 *
 * svc_export_open() checks q (MZ_EINVAL naming the parameter), copies what it needs
 * of p and q (neither need outlive the call) and opens a read transaction on st:
 * every piece comes from that one snapshot. st is borrowed until svc_export_close(),
 * which ends the transaction; use st for nothing else meanwhile.
 *
 * svc_export_next() appends the next piece to out, stopping once out holds about
 * target bytes; *done_out is 1 when the bundle is complete. A piece holds whole
 * objects and never passes out->limit: an object that does not fit beside what out
 * holds waits for the next call, one that does not fit into an empty out is
 * MZ_ETOOBIG. On any error the bundle is unfinished and must not be passed on as
 * if it were whole (the HTTP layer closes the connection). */
struct svc_export;
enum mz_err svc_export_open(struct store *st, const struct principal *p, const struct svc_query *q,
                            struct svc_export **out, struct mz_error *err);
enum mz_err svc_export_next(struct svc_export *x, struct mz_buf *out, size_t target, int *done_out,
                            struct mz_error *err);
/* Objects written so far. */
size_t svc_export_count(const struct svc_export *x);
void svc_export_close(struct svc_export *x);

#endif
