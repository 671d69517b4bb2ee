/* domain/svc_node.c - this node's own name, country and STIX identity (issue 11,
 * docs/federation.md section 1, step 0): `mreza node set|show`. The name and country
 * are meta keys node_name and node_country, which the TAXII API root's x_mreza_node
 * reports (svc_taxii_node); the identity is the node's STIX identity (made on first
 * use by campaign_node_identity), which a peer binds with `peer add --identity`. The
 * console alone sets them (AUTHZ_PEER_MANAGE: it is the federation's face of the node). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/campaign.h"
#include "domain/svc.h"

static enum mz_err check_name(const char *s, struct mz_error *err)
{
    size_t n = strlen(s);

    if (n < 1 || n >= STORE_NODE_NAME_LEN)
        return mz_error_set(err, MZ_EINVAL, "/name", "a node's name is 1-%d characters", STORE_NODE_NAME_LEN - 1);
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.' || *s == '_'))
            return mz_error_set(err, MZ_EINVAL, "/name", "a node's name is made of a-z, 0-9, '.', '-', '_'");
    return MZ_OK;
}

static enum mz_err check_country(const char *s, struct mz_error *err)
{
    if (strlen(s) != 2 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]))
        return mz_error_set(err, MZ_EINVAL, "/country", "a country is two capital letters (ISO 3166-1 alpha-2)");
    return MZ_OK;
}

static enum mz_err read_info(struct store *st, struct svc_node_info *out, struct mz_error *err)
{
    enum mz_err rc;

    if (store_meta_get(st, "node_name", out->name, sizeof out->name, NULL))
        out->name[0] = '\0';
    if (store_meta_get(st, "node_country", out->country, sizeof out->country, NULL))
        out->country[0] = '\0';
    rc = campaign_node_identity(st, out->identity, sizeof out->identity, err);
    return rc;
}

enum mz_err svc_node_show(struct store *st, const struct principal *p, struct svc_node_info *out,
                          struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_PEER_LIST, err);

    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    rc = store_begin(st, err); /* the identity is made on first use */
    if (!rc)
        rc = read_info(st, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}

enum mz_err svc_node_set(struct store *st, const struct principal *p, const char *name, const char *country,
                         struct svc_node_info *out, struct mz_error *err)
{
    enum mz_err rc = authz_check(p, AUTHZ_PEER_MANAGE, err);

    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    if (!name && !country)
        return mz_error_set(err, MZ_EINVAL, "", "nothing to set: give --name, --country or both");
    if ((name && (rc = check_name(name, err))) || (country && (rc = check_country(country, err))))
        return rc;
    rc = store_begin(st, err);
    if (!rc && name)
        rc = store_meta_set(st, "node_name", name, err);
    if (!rc && country)
        rc = store_meta_set(st, "node_country", country, err);
    if (!rc)
        rc = read_info(st, out, err);
    if (!rc)
        rc = store_commit(st, err);
    else
        store_rollback(st);
    return rc;
}
