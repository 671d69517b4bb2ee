/* rules/sco_id.c - see sco_id.h. The table of ID-contributing properties is STIX 2.1's
 * (each SCO type's section, "ID Contributing Properties"), in the order the OASIS
 * stix2 library lists them (the order does not matter: JCS sorts the members).
 * SHA-1, which UUIDv5 is made of (RFC 4122 section 4.3), is nettle's; the JCS form is
 * streamed into it. */
#include "rules/sco_id.h"

#include <nettle/sha1.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "obs/ascii.h"
#include "rules/jcs.h"

#define MAX_PROPS 8

static const struct {
    const char *type;
    const char *props[MAX_PROPS]; /* NULL-terminated unless full */
} contributing[] = {
    {"artifact", {"hashes", "payload_bin"}},
    {"autonomous-system", {"number"}},
    {"directory", {"path"}},
    {"domain-name", {"value"}},
    {"email-addr", {"value"}},
    {"email-message", {"from_ref", "subject", "body"}},
    {"file", {"hashes", "name", "parent_directory_ref", "extensions"}},
    {"ipv4-addr", {"value"}},
    {"ipv6-addr", {"value"}},
    {"mac-addr", {"value"}},
    {"mutex", {"name"}},
    {"network-traffic", {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}},
    {"software", {"name", "cpe", "swid", "vendor", "version"}},
    {"url", {"value"}},
    {"user-account", {"account_type", "user_id", "account_login"}},
    {"windows-registry-key", {"key", "values"}},
    {"x509-certificate", {"hashes", "serial_number"}},
};

/* The STIX 2.1 hash names (hashing-algorithm-ov), as written, in order of preference
 * for an id where the first four are concerned. */
static const char *const hash_names[] = {"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"};
#define N_PREFERRED 4

/* The vocabulary's spelling of hash name k if k is one of them written another way
 * (any case, with or without '-': "sha256" is SHA-256, as the stix2 library reads
 * it), else k itself. */
static const char *hash_name(const char *k)
{
    char a[16], b[16];
    size_t n = 0;

    for (const char *s = k; *s && n < sizeof a - 1; s++)
        if (*s != '-')
            a[n++] = (char)(ascii_is_lower((unsigned char)*s) ? *s - 'a' + 'A' : *s);
    a[n] = '\0';
    for (size_t i = 0; i < sizeof hash_names / sizeof hash_names[0]; i++) {
        size_t m = 0;
        for (const char *s = hash_names[i]; *s; s++)
            if (*s != '-')
                b[m++] = *s;
        b[m] = '\0';
        if (!strcmp(a, b) && strlen(k) < sizeof a)
            return hash_names[i];
    }
    return k;
}

/* {"<name>": value} of the one hash of hashes that an id is made of, or NULL (none,
 * or no memory: *oom says which). */
static json_t *one_hash(const json_t *hashes, int *oom)
{
    const char *k, *best_k = NULL;
    json_t *v, *best_v = NULL, *out;
    int best = N_PREFERRED + 1;

    json_object_foreach((json_t *)hashes, k, v) {
        const char *name = hash_name(k);
        int rank = N_PREFERRED;
        for (int i = 0; i < N_PREFERRED; i++)
            if (name == hash_names[i])
                rank = i;
        if (rank < best) {
            best = rank;
            best_k = name;
            best_v = v;
        }
    }
    if (!best_k)
        return NULL;
    out = json_object();
    if (!out || json_object_set(out, best_k, best_v)) {
        json_decref(out);
        *oom = 1;
        return NULL;
    }
    return out;
}

static int sha1_sink(void *ctx, const char *piece, size_t len)
{
    sha1_update(ctx, len, (const uint8_t *)piece);
    return 0;
}

/* STIX 2.1 section 2.9's namespace, 00abedb4-aa42-466c-9c01-fed23315a9b7, as bytes. */
static const uint8_t sco_namespace[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                          0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};

/* The UUIDv5 (RFC 4122 section 4.3) of the JCS form of v in sco_namespace, as
 * "<type>--<uuid>" into out (SCO_ID_MAX bytes). */
static enum mz_err uuid5_of(const json_t *v, const char *type, char *out)
{
    struct sha1_ctx c;
    uint8_t d[SHA1_DIGEST_SIZE];
    enum mz_err rc;

    sha1_init(&c);
    sha1_update(&c, sizeof sco_namespace, sco_namespace);
    rc = jcs_write(v, sha1_sink, &c);
    if (rc)
        return rc;
    sha1_digest(&c, sizeof d, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
    snprintf(out, SCO_ID_MAX,
             "%.250s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", type, d[0], d[1],
             d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
    return MZ_OK;
}

static int props_of(const char *type)
{
    for (size_t i = 0; i < sizeof contributing / sizeof contributing[0]; i++)
        if (!strcmp(contributing[i].type, type))
            return (int)i;
    return -1;
}

enum mz_err sco_id_compute(const json_t *obj, const char *type, char *out, int *n_props_out)
{
    int t = props_of(type), oom = 0;
    json_t *basis;
    enum mz_err rc = MZ_OK;

    out[0] = '\0';
    *n_props_out = 0;
    if (t < 0)
        return MZ_ENOTFOUND;
    basis = json_object();
    if (!basis)
        return MZ_ENOMEM;
    for (int i = 0; i < MAX_PROPS && contributing[t].props[i] && !rc; i++) {
        const char *name = contributing[t].props[i];
        json_t *v = json_object_get(obj, name), *own = NULL;
        if (!v)
            continue;
        if (!strcmp(name, "hashes")) {
            own = one_hash(v, &oom);
            if (!own) {
                rc = oom ? MZ_ENOMEM : MZ_OK; /* an empty `hashes` contributes nothing */
                continue;
            }
            v = own;
        }
        if (json_object_set(basis, name, v))
            rc = MZ_ENOMEM;
        json_decref(own);
    }
    *n_props_out = (int)json_object_size(basis);
    if (!rc && *n_props_out)
        rc = uuid5_of(basis, type, out);
    json_decref(basis);
    return rc;
}

/* The ID-contributing properties of type t that obj carries, "`a`, `b`" into out. */
static void props_text(int t, const json_t *obj, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    for (int i = 0; i < MAX_PROPS && contributing[t].props[i] && n < cap; i++)
        if (json_object_get(obj, contributing[t].props[i]))
            n += (size_t)snprintf(out + n, cap - n, "%s`%s`", n ? ", " : "", contributing[t].props[i]);
}

/* All of them. */
static void all_props_text(int t, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    for (int i = 0; i < MAX_PROPS && contributing[t].props[i] && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s`%s`", i ? ", " : "", contributing[t].props[i]);
}

enum mz_err sco_id_check(const json_t *obj, const char *type, const char *id, struct mz_error *err)
{
    char want[SCO_ID_MAX], props[160];
    const char *dash = strstr(id, "--");
    int n_props = 0;
    enum mz_err rc;

    if (!dash || strlen(dash + 2) != 36 || dash[2 + 14] != '5')
        return MZ_OK; /* only UUIDv5 ids claim to be computed */
    rc = sco_id_compute(obj, type, want, &n_props);
    if (rc == MZ_ENOTFOUND)
        return MZ_OK;
    if (rc)
        return mz_error_set(err, rc, "", "out of memory");
    if (!n_props) {
        all_props_text(props_of(type), props, sizeof props);
        return mz_error_set(err, MZ_EINVAL, "/id",
                            "`id` is a UUIDv5, which STIX 2.1 section 2.9 computes from a %s's %s, and this object "
                            "has none of them: give it a UUIDv4 id",
                            type, props);
    }
    if (strcasecmp(want, id)) {
        props_text(props_of(type), obj, props, sizeof props);
        return mz_error_set(err, MZ_EINVAL, "/id",
                            "`id` does not match the content: by STIX 2.1 section 2.9 this %s's id is %s; post it "
                            "under that id (a UUIDv5 id is computed from the ID-contributing properties: here %s)",
                            type, want, props);
    }
    return MZ_OK;
}
