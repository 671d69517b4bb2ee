/* domain/svc_auth.c - organisations and users: adding and listing them, and
 * turning a user name or an organisation name into the principal that acts. Every
 * call asks domain/authz.h first. API keys, disabled accounts and authentication are
 * svc_keys.c's. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "domain/authz.h"
#include "rules/model.h"
#include "domain/svc.h"
#include "domain/svc_int.h"
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

static int kind_ok(const char *k)
{
    for (size_t i = 0; i < sizeof org_kinds / sizeof org_kinds[0]; i++)
        if (strcmp(k, org_kinds[i]) == 0)
            return 1;
    return 0;
}

/* The organisation's STIX identity, stored as TLP:GREEN so the community sees who
 * its members are. */
static enum mz_err put_identity(struct store *st, const struct store_org *org,
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
                           "\"created\":\"%s\",\"modified\":\"%s\",\"name\":", org->identity, ts, ts);
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
    rc = store_put_object(st, &ctx, &in, &res, err);
    mz_buf_free(&b);
    return rc;
}

static enum mz_err pick_identity(const char *given, char *out, size_t n, struct mz_error *err)
{
    char uuid[MZ_UUID_STRLEN];

    if (given) {
        if (!stix_id_valid(given, "identity"))
            return mz_error_set(err, MZ_EINVAL, "/identity", "identity must be 'identity--' followed by an RFC 4122 UUID");
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
    if (in->kind && !kind_ok(in->kind))
        return mz_error_set(err, MZ_EINVAL, "/kind", "kind must be one of national-csirt, sector-csirt, government-csirt, police, operator, other");
    if (in->full_name && strlen(in->full_name) >= sizeof org.full_name)
        return mz_error_set(err, MZ_EINVAL, "/full_name", "full name is longer than %zu bytes", sizeof org.full_name - 1);
    if (in->sector && strlen(in->sector) >= sizeof org.sector)
        return mz_error_set(err, MZ_EINVAL, "/sector", "sector is longer than %zu bytes", sizeof org.sector - 1);
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
    rc = store_org_add(st, &org, err);
    /* every organisation of the node is a read+write member of its national
     * community (docs/federation.md section 2) */
    if (!rc)
        rc = store_community_by_bit(st, STORE_COMM_NATIONAL_BIT, &national, err);
    if (!rc)
        rc = store_member_set(st, national.id, org.id, 1, 1, err);
    if (!rc)
        rc = put_identity(st, &org, err);
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
