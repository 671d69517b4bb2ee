/* domain/svc_auth.c - organisations and users: adding and listing them, and
 * turning a user name or an organisation name into the principal that acts. Every
 * call asks domain/authz.h first. API keys, disabled accounts and authentication are
 * svc_keys.c's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "rules/model.h"
#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "domain/svc_int.h"
#include "obs/utf8.h"
#include "rules/stix.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

static int handle_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n > 64)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.' ||
              *s == '_' || *s == '@'))
            return 0;
    return 1;
}

static const char *const org_kinds[] = {"national-csirt", "sector-csirt", "government-csirt",
                                        "police", "operator", "other"};

int svc_org_kind_ok(const char *k)
{
    for (size_t i = 0; i < sizeof org_kinds / sizeof org_kinds[0]; i++)
        if (strcmp(k, org_kinds[i]) == 0)
            return 1;
    return 0;
}

/* The organisation's STIX identity, stored as TLP:GREEN so the community sees who
 * its members are: the node's directory, shared into national and the regional
 * community homed here if there is one (svc_directory_comm). created: the first
 * version's `created` (a later version keeps it), or NULL for the first. */
static enum mz_err put_identity(struct store *st, const struct store_org *org, const char *created,
                                struct mz_error *err)
{
    struct mz_time now;
    char ts[MZ_TIME_STRLEN], vkey[40];
    struct mz_buf b;
    enum mz_err rc;
    enum store_put_result res;
    struct store_object_in in = {0};
    struct store_write_ctx ctx = {.owner_org = org->id}; /* date_added: the store's stamp */

    mz_time_now(&now);
    now.nsec -= now.nsec % 1000000; /* STIX wants milliseconds */
    mz_time_format_us(&now, ts);
    snprintf(vkey, sizeof vkey, "%.26s000Z", ts);
    ts[23] = 'Z'; /* "…SS.mmmZ" */
    ts[24] = '\0';
    mz_buf_init(&b, 1 << 16);
    rc = mz_buf_printf(&b, "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                           "\"created\":\"%s\",\"modified\":\"%s\",\"name\":", org->identity,
                       created && strlen(created) < 40 ? created : ts, ts);
    if (!rc)
        rc = mz_buf_json_str(&b, org->full_name);
    if (!rc)
        rc = mz_buf_puts(&b, ",\"identity_class\":\"organization\"");
    if (!rc && *org->sector) {
        rc = mz_buf_puts(&b, ",\"sectors\":[");
        if (!rc)
            rc = mz_buf_json_str(&b, org->sector);
        if (!rc)
            rc = mz_buf_puts(&b, "]");
    }
    if (!rc)
        rc = mz_buf_printf(&b, ",\"x_mreza_handle\":\"%s\",\"x_mreza_country\":\"%s\",\"x_mreza_kind\":\"%s\","
                               "\"object_marking_refs\":[\"%s\"]}",
                           org->name, org->country, org->kind, tlp_marking_id(TLP_GREEN));
    if (rc) {
        mz_buf_free(&b);
        return mz_error_set(err, rc, "", "identity object too large");
    }
    in.stix_id = org->identity;
    in.type = "identity";
    in.version = ts;
    in.version_key = vkey;
    in.created_by = org->identity;
    in.attested = 1;
    in.tlp = TLP_GREEN;
    in.match_plan = -1;
    in.body = b.data;
    in.body_len = b.len;
    rc = svc_directory_comm(st, &in.comm, err);
    if (!rc)
        rc = store_put_object(st, &ctx, &in, &res, err);
    mz_buf_free(&b);
    return rc;
}

/* docs/model.md R8: the node holds the claim of every user's identity id, so that
 * nobody else's post under it is served beside the user's organisation's objects
 * that name it as their creator. The claim is the user's STIX identity, written by
 * the node, owned by the user's organisation, attested and TLP:AMBER+STRICT: served
 * to that organisation alone, who may list its users anyway. Another organisation's
 * post under the id is then a later object (R1.4), served to its poster's
 * organisation alone (R2.3); one stored before the claim (a store from before the
 * claims, or a given identity someone posted first) stays the id's first object,
 * and the claim is then the user's organisation's own object (R2.1). *state_out
 * (may be NULL): 0 the organisation held an object of the id already (nothing is
 * written), 1 the claim was written, 2 it was written after another owner's first
 * object. Inside the caller's transaction. */
struct id_scan {
    int64_t org;  /* the user's organisation */
    int held;     /* it holds an object of the id already */
    int need;     /* some version is marked cx, or is another owner's */
    int unmarked; /* some version is not marked */
    int n;        /* versions seen */
    int late;     /* the id's first version is another owner's */
};

static int scan_user_id(void *ctx, const struct store_version *v)
{
    struct id_scan *s = ctx;
    int other = v->owner_org != s->org || v->owner_user != 0;

    if (!s->n++)
        s->late = other;
    s->held |= !other;
    s->need |= v->cx || other;
    s->unmarked |= !v->cx;
    return 0;
}

static enum mz_err put_user_identity(struct store *st, const struct store_org *org, const struct store_user *u,
                                     int *state_out, struct mz_error *err)
{
    struct id_scan scan = {org->id, 0, 0, 0, 0, 0};
    struct mz_time now;
    char ts[MZ_TIME_STRLEN], vkey[40];
    struct mz_buf b;
    enum mz_err rc;
    enum store_put_result res;
    struct store_object_in in = {0};
    struct store_write_ctx ctx = {.owner_org = org->id}; /* the node writes it (submitter 0) */

    if (state_out)
        *state_out = 0;
    rc = store_id_versions(st, u->identity, scan_user_id, &scan, err);
    if (rc || scan.held)
        return rc;
    if (scan.need && scan.unmarked)
        rc = store_mark_cx(st, u->identity, err);
    if (rc)
        return rc;
    mz_time_now(&now);
    now.nsec -= now.nsec % 1000000; /* STIX wants milliseconds */
    mz_time_format_us(&now, ts);
    snprintf(vkey, sizeof vkey, "%.26s000Z", ts);
    ts[23] = 'Z';
    ts[24] = '\0';
    mz_buf_init(&b, 1 << 12);
    rc = mz_buf_printf(&b, "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created_by_ref\":\"%s\","
                           "\"created\":\"%s\",\"modified\":\"%s\",\"name\":",
                       u->identity, org->identity, ts, ts);
    if (!rc)
        rc = mz_buf_json_str(&b, u->name);
    if (!rc)
        rc = mz_buf_printf(&b, ",\"identity_class\":\"individual\",\"x_mreza_handle\":\"%s\",\"x_mreza_org\":\"%s\","
                               "\"object_marking_refs\":[\"%s\"]}",
                           u->name, org->name, tlp_marking_id(TLP_AMBER_STRICT));
    if (rc) {
        mz_buf_free(&b);
        return mz_error_set(err, rc, "", "identity object too large");
    }
    in.stix_id = u->identity;
    in.type = "identity";
    in.version = ts;
    in.version_key = vkey;
    in.created_by = org->identity;
    in.attested = 1;
    in.cx = scan.need;
    in.tlp = TLP_AMBER_STRICT;
    in.match_plan = -1;
    in.body = b.data;
    in.body_len = b.len;
    rc = store_put_object(st, &ctx, &in, &res, err);
    mz_buf_free(&b);
    if (!rc && state_out)
        *state_out = 1 + scan.late;
    return rc;
}

/* The users svc_user_claims visits, read before any is written. */
struct user_vec {
    struct store_user *v;
    size_t n, cap;
    int oom;
};

static int collect_user(void *vctx, const struct store_user *u)
{
    struct user_vec *uv = vctx;

    if (uv->n == uv->cap) {
        size_t cap = uv->cap ? uv->cap * 2 : 16;
        struct store_user *nv = realloc(uv->v, cap * sizeof *nv);
        if (!nv) {
            uv->oom = 1;
            return 1;
        }
        uv->v = nv;
        uv->cap = cap;
    }
    uv->v[uv->n++] = *u;
    return 0;
}

enum mz_err svc_user_claims(struct store *st, size_t *added_out, size_t *late_out, struct mz_error *err)
{
    struct user_vec uv = {NULL, 0, 0, 0};
    struct store_org org;
    enum mz_err rc;

    *added_out = 0;
    *late_out = 0;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_user_list(st, 0, collect_user, &uv, err);
    if (!rc && uv.oom)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    org.id = -1;
    for (size_t i = 0; !rc && i < uv.n; i++) {
        int state = 0;
        if (org.id != uv.v[i].org_id)
            rc = store_org_by_id(st, uv.v[i].org_id, &org, err);
        if (!rc)
            rc = put_user_identity(st, &org, &uv.v[i], &state, err);
        *added_out += state > 0;
        *late_out += state > 1;
    }
    free(uv.v);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

static enum mz_err pick_identity(const char *given, char *out, size_t n, struct mz_error *err)
{
    char uuid[MZ_UUID_STRLEN];

    if (given) {
        if (!stix_id_valid(given, "identity"))
            return mz_error_set(err, MZ_EINVAL, "/identity", "identity must be 'identity--' followed by an RFC 4122 UUID");
        if (stix_id_case_check(given, "/identity", err))
            return MZ_EINVAL; /* the node writes it as the object's id (R8) */
        snprintf(out, n, "%s", given);
        return MZ_OK;
    }
    mz_uuid_v4(uuid);
    snprintf(out, n, "identity--%s", uuid);
    return MZ_OK;
}

enum mz_err svc_org_set_rank(struct store *st, const struct principal *p, const char *name, int rank,
                             struct store_org *out, struct mz_error *err)
{
    struct store_org org;
    enum mz_err rc = authz_check(p, AUTHZ_ORG_RANK, err);

    if (rc)
        return rc;
    if (rank != -1 && (rank < 1 || rank > MODEL_RANK_MAX))
        return mz_error_set(err, MZ_EINVAL, "/rank", "a rank is 1 (first) to %d, or 'kind' (by the organisation's kind)",
                            MODEL_RANK_MAX);
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_org_by_name(st, name, &org, err);
    if (!rc)
        rc = store_org_set_rank(st, org.id, rank, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        return rc;
    org.rank = rank;
    if (out)
        *out = org;
    return MZ_OK;
}

/* The first version of owner's identity id: its `created` (put_identity writes
 * created = modified in it). */
struct first_ver {
    int64_t owner;
    char vkey[STIX_VKEY_LEN];
    char version[40];
};

static int first_ver(void *ctx, const struct store_version *v)
{
    struct first_ver *f = ctx;

    if (v->owner_org == f->owner && v->owner_user == 0 && (!f->vkey[0] || strcmp(v->vkey, f->vkey) < 0)) {
        snprintf(f->vkey, sizeof f->vkey, "%s", v->vkey);
        snprintf(f->version, sizeof f->version, "%s", v->version ? v->version : "");
    }
    return 0;
}

/* The full name and sector of one of this node's organisations: text a person is
 * shown (org list, GET /api/v1/orgs, every peer's directory), so utf8_text_ok's (no
 * control characters, no bidirectional overrides, UTF-8 only) as a peer's profile is
 * in svc_directory.c and svc_roster.c (docs/security.md C5). */
static enum mz_err profile_text_ok(const struct svc_org_new *in, struct mz_error *err)
{
    if (in->full_name && !utf8_text_ok(in->full_name, strlen(in->full_name)))
        return mz_error_set(err, MZ_EINVAL, "/full_name",
                            "full name must be UTF-8 text without control characters or bidirectional overrides");
    if (in->sector && !utf8_text_ok(in->sector, strlen(in->sector)))
        return mz_error_set(err, MZ_EINVAL, "/sector",
                            "sector must be UTF-8 text without control characters or bidirectional overrides");
    return MZ_OK;
}

enum mz_err svc_org_set_profile(struct store *st, const struct principal *p, const char *name,
                                const struct svc_org_new *in, struct store_org *out, struct mz_error *err)
{
    struct store_org org;
    struct first_ver f;
    int64_t home = 0;
    enum mz_err rc = authz_check(p, AUTHZ_ORG_ADD, err);

    if (rc)
        return rc;
    if (in->full_name && (!*in->full_name || strlen(in->full_name) >= sizeof org.full_name))
        return mz_error_set(err, MZ_EINVAL, "/full_name", "a full name is 1 to %zu bytes", sizeof org.full_name - 1);
    if (in->sector && strlen(in->sector) >= sizeof org.sector)
        return mz_error_set(err, MZ_EINVAL, "/sector", "sector is longer than %zu bytes", sizeof org.sector - 1);
    if (in->kind && !svc_org_kind_ok(in->kind))
        return mz_error_set(err, MZ_EINVAL, "/kind", "kind must be one of national-csirt, sector-csirt, government-csirt, police, operator, other");
    rc = profile_text_ok(in, err);
    if (rc)
        return rc;
    rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = store_org_by_name(st, name, &org, err);
    if (!rc)
        rc = store_org_node(st, org.id, &home, err);
    if (!rc && home != 0)
        rc = mz_error_set(err, MZ_EINVAL, "/name",
                          "organisation %s is homed at a peer: its home node sets its profile (its directory "
                          "identity arrives with the next sync)",
                          org.name);
    if (!rc) {
        if (in->full_name)
            snprintf(org.full_name, sizeof org.full_name, "%s", in->full_name);
        if (in->sector)
            snprintf(org.sector, sizeof org.sector, "%s", in->sector);
        if (in->kind)
            snprintf(org.kind, sizeof org.kind, "%s", in->kind);
        rc = store_org_set_profile(st, org.id, &org, err);
    }
    /* a new version of its directory identity, created as the first */
    memset(&f, 0, sizeof f);
    f.owner = org.id;
    if (!rc)
        rc = store_id_versions(st, org.identity, first_ver, &f, err);
    if (!rc)
        rc = put_identity(st, &org, f.version[0] ? f.version : NULL, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (!rc && out)
        *out = org;
    return rc;
}

enum mz_err svc_org_add(struct store *st, const struct principal *p, const struct svc_org_new *in,
                        struct store_org *out, struct mz_error *err)
{
    struct store_org org;
    struct store_community national;
    enum mz_err rc = authz_check(p, AUTHZ_ORG_ADD, err);

    if (rc)
        return rc;
    memset(&org, 0, sizeof org);
    if (!in->name || !handle_ok(in->name))
        return mz_error_set(err, MZ_EINVAL, "/name", "organisation name must be 2-64 characters of a-z, 0-9, '.', '-', '_'");
    if (!in->country || strlen(in->country) != 2 || !isupper((unsigned char)in->country[0]) ||
        !isupper((unsigned char)in->country[1]))
        return mz_error_set(err, MZ_EINVAL, "/country", "country must be an ISO 3166-1 alpha-2 code such as RS (XK for Kosovo*)");
    if (in->kind && !svc_org_kind_ok(in->kind))
        return mz_error_set(err, MZ_EINVAL, "/kind", "kind must be one of national-csirt, sector-csirt, government-csirt, police, operator, other");
    if (in->full_name && strlen(in->full_name) >= sizeof org.full_name)
        return mz_error_set(err, MZ_EINVAL, "/full_name", "full name is longer than %zu bytes", sizeof org.full_name - 1);
    if (in->sector && strlen(in->sector) >= sizeof org.sector)
        return mz_error_set(err, MZ_EINVAL, "/sector", "sector is longer than %zu bytes", sizeof org.sector - 1);
    rc = profile_text_ok(in, err);
    if (rc)
        return rc;
    snprintf(org.name, sizeof org.name, "%s", in->name);
    snprintf(org.full_name, sizeof org.full_name, "%s", in->full_name ? in->full_name : in->name);
    snprintf(org.country, sizeof org.country, "%s", in->country);
    snprintf(org.sector, sizeof org.sector, "%s", in->sector ? in->sector : "");
    snprintf(org.kind, sizeof org.kind, "%s", in->kind ? in->kind : "other");
    rc = pick_identity(in->identity, org.identity, sizeof org.identity, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    /* a given identity: nobody's here yet (an organisation's or a user's) */
    if (in->identity) {
        int64_t owner_org = 0, owner_user = 0;
        rc = store_identity_owner(st, org.identity, &owner_org, &owner_user, NULL) == MZ_OK
                 ? mz_error_set(err, MZ_ECONFLICT, "/identity", "identity %s is %s here already", org.identity,
                                owner_user ? "a user's" : "an organisation's")
                 : MZ_OK;
    }
    if (!rc)
        rc = store_org_add(st, &org, err);
    /* every organisation of the node is a read+write member of its national
     * community (docs/federation.md section 2) */
    if (!rc)
        rc = store_community_by_bit(st, STORE_COMM_NATIONAL_BIT, &national, err);
    if (!rc)
        rc = store_member_set(st, national.id, org.id, 1, 1, err);
    if (!rc)
        rc = put_identity(st, &org, NULL, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        return rc;
    svc_audit_account(p, SVC_EV_ORG_ADD, NULL, org.id, 0);
    if (out)
        *out = org;
    return MZ_OK;
}

/* May p add a user with role to org? An organisation's admin adds users to its own
 * organisation only, and never a node admin (authz.c). */
static enum mz_err user_add_allowed(const struct principal *p, const struct store_org *org, const char *role,
                                    struct mz_error *err)
{
    struct authz_target t = {org->id, 0, role_parse(role)};

    return authz_check_on(p, AUTHZ_USER_ADD, &t, err);
}

/* docs/api.md "Who manages whom": a user's name is its own part, '@' and its
 * organisation's name (analyst@me-cirt), so that a name taken (409) can only be one
 * of the adding organisation's, and nobody makes names that read as another
 * organisation's users. */
static int user_name_in_org(const char *name, const char *org)
{
    const char *at = strchr(name, '@');

    return at && at > name && strcmp(at + 1, org) == 0;
}

/* Count the users of an organisation, up to a cap. */
struct user_count {
    long n, cap;
};

static int count_user(void *vctx, const struct store_user *u)
{
    struct user_count *c = vctx;

    (void)u;
    return ++c->n >= c->cap;
}

/* docs/model.md R6.5: each user of an organisation may hold a personal object of an
 * id (R1.3), so the organisation's users bound the objects it adds to one id. The
 * cap is on accounts, not on objects: a post refused for the objects its colleagues
 * hold would tell the poster of objects it may not read (R5). Called inside the
 * transaction that adds the user. */
static enum mz_err check_user_cap(struct store *st, const struct store_org *org, long cap, struct mz_error *err)
{
    struct user_count c = {0, cap};
    enum mz_err rc;

    if (cap <= 0)
        return MZ_OK;
    rc = store_user_list(st, org->id, count_user, &c, err);
    if (!rc && c.n >= cap)
        rc = mz_error_set(err, MZ_ECONFLICT, "/org",
                          "organisation %.64s already has %ld users, as many as accounts.max_users_per_org allows "
                          "(disabled users count: their objects stay)",
                          org->name, c.n);
    return rc;
}

enum mz_err svc_user_add(struct store *st, const struct principal *p, const struct svc_user_new *in,
                         struct store_user *out, char *key_out, struct mz_error *err)
{
    const char *org_name = in->org, *user_name = in->name, *role = in->role;
    struct store_org org;
    struct store_user u;
    struct store_key k;
    enum mz_err rc = authz_check(p, AUTHZ_USER_ADD, err);

    if (rc)
        return rc;
    memset(&u, 0, sizeof u);
    memset(&k, 0, sizeof k);
    if (!user_name || !handle_ok(user_name))
        return mz_error_set(err, MZ_EINVAL, "/name", "user name must be 2-64 characters of a-z, 0-9, '.', '-', '_', '@'");
    if (!role || role_parse(role) == ROLE_NONE)
        return mz_error_set(err, MZ_EINVAL, "/role", "role must be admin, analyst, reporter, viewer or node-admin");
    rc = store_org_by_name(st, org_name ? org_name : "", &org, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_EINVAL, "/org", "no organisation named '%.64s'", org_name ? org_name : "");
    if (!rc)
        rc = user_add_allowed(p, &org, role, err);
    if (!rc && !user_name_in_org(user_name, org.name))
        rc = mz_error_set(err, MZ_EINVAL, "/name", "a user name of organisation %s ends in '@%s' (such as analyst@%s)",
                          org.name, org.name, org.name);
    if (rc)
        return rc;
    snprintf(u.name, sizeof u.name, "%s", user_name);
    snprintf(u.role, sizeof u.role, "%s", role);
    u.org_id = org.id;
    rc = pick_identity(in->identity, u.identity, sizeof u.identity, err);
    if (!rc)
        rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = check_user_cap(st, &org, in->max_users, err);
    if (!rc)
        rc = store_user_add(st, &u, err);
    k.user_id = u.id;
    if (!rc)
        rc = put_user_identity(st, &org, &u, NULL, err);
    if (!rc)
        rc = svc_key_make(st, &k, key_out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    if (rc)
        return rc;
    svc_audit_account(p, SVC_EV_USER_ADD, &u, u.org_id, k.id);
    if (out)
        *out = u;
    return MZ_OK;
}

enum mz_err svc_org_list(struct store *st, const struct principal *p, store_org_fn fn, void *ctx,
                         struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_ORG_LIST, err);

    return rc ? rc : store_org_list(st, fn, ctx, err);
}

/* Which organisation's users p may list: org_name's (NULL: every organisation for
 * those who may list any, else p's own). *org_id_out is 0 for "every". */
static enum mz_err user_list_scope(struct store *st, const struct principal *p, const char *org_name,
                                   int64_t *org_id_out, struct mz_error *err)
{
    struct authz_target every = {0, 0, ROLE_NONE}, t = {0, 0, ROLE_NONE};
    struct store_org org;
    enum mz_err rc = authz_check(p, AUTHZ_USER_LIST, err);

    if (rc)
        return rc;
    if (!org_name) {
        *org_id_out = authz_allows_on(p, AUTHZ_USER_LIST, &every) ? 0 : p->org.id;
        return MZ_OK;
    }
    rc = store_org_by_name(st, org_name, &org, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "org", "no organisation named '%.64s'", org_name);
    t.org_id = org.id;
    if (!rc)
        rc = authz_check_on(p, AUTHZ_USER_LIST, &t, err);
    if (!rc)
        *org_id_out = org.id;
    return rc;
}

enum mz_err svc_user_list(struct store *st, const struct principal *p, const char *org_name,
                          store_user_fn fn, void *ctx, struct mz_error *err)
{
    int64_t org_id = 0;
    enum mz_err rc = user_list_scope(st, p, org_name, &org_id, err);

    return rc ? rc : store_user_list(st, org_id, fn, ctx, err);
}

enum mz_err svc_principal_of_user(struct store *st, const char *user_name, struct principal *out,
                                  struct mz_error *err)
{
    enum mz_err rc;

    memset(out, 0, sizeof *out);
    rc = store_user_by_name(st, user_name, &out->user, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "", "no user named '%.64s' (mreza user list shows them)", user_name);
    if (!rc && out->user.disabled)
        rc = mz_error_set(err, MZ_EFORBIDDEN, "", "user '%s' is disabled (mreza user enable %s)", out->user.name,
                          out->user.name);
    if (!rc)
        rc = store_org_by_id(st, out->user.org_id, &out->org, err);
    if (!rc)
        out->role = role_parse(out->user.role);
    if (!rc)
        rc = svc_principal_comm(st, out, err);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

enum mz_err svc_principal_comm(struct store *st, struct principal *p, struct mz_error *err)
{
    p->comm_read = p->comm_write = 0;
    if (p->role == ROLE_NONE || p->org.id <= 0)
        return MZ_OK;
    return store_org_comm(st, p->org.id, &p->comm_read, &p->comm_write, err);
}

/* An organisation acting as a whole is an analyst of it that is no particular user
 * (so TLP:RED addressed to people is never included) - except an operator of
 * essential services, which sees what its reporters see: an organisation never
 * reads more through the console than its own members may. */
enum mz_err svc_principal_of_org(struct store *st, const char *org_name, struct principal *out,
                                 struct mz_error *err)
{
    enum mz_err rc;

    memset(out, 0, sizeof *out);
    rc = store_org_by_name(st, org_name, &out->org, err);
    if (rc == MZ_ENOTFOUND)
        return mz_error_set(err, MZ_ENOTFOUND, "", "no organisation named '%.64s' (mreza org list shows them)",
                            org_name);
    if (rc)
        return rc;
    out->role = strcmp(out->org.kind, "operator") ? ROLE_ANALYST : ROLE_REPORTER;
    rc = svc_principal_comm(st, out, err);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

enum mz_err svc_store_check(struct store *st, const struct principal *p, struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_STORE_CHECK, err);

    return rc ? rc : store_check(st, err);
}
