/* rules/stix.c - see stix.h. The rules are tables (type -> kind and required
 * properties; property name -> kind of value) so that adding a type is one row. */
#include "rules/stix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/ascii.h"
#include "rules/observe.h"
#include "rules/sco_id.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define MAX_REQ 4

struct type_rule {
    const char *type;
    enum stix_kind kind;
    const char *required[MAX_REQ];
};

static const struct type_rule type_rules[] = {
    {"attack-pattern", STIX_SDO, {"name"}},
    {"campaign", STIX_SDO, {"name"}},
    {"course-of-action", STIX_SDO, {"name"}},
    {"grouping", STIX_SDO, {"context", "object_refs"}},
    {"identity", STIX_SDO, {"name"}},
    {"incident", STIX_SDO, {"name"}},
    {"indicator", STIX_SDO, {"pattern", "pattern_type", "valid_from"}},
    {"infrastructure", STIX_SDO, {"name"}},
    {"intrusion-set", STIX_SDO, {"name"}},
    {"location", STIX_SDO, {NULL}},
    {"malware", STIX_SDO, {"is_family"}},
    {"malware-analysis", STIX_SDO, {"product"}},
    {"note", STIX_SDO, {"content", "object_refs"}},
    {"observed-data", STIX_SDO, {"first_observed", "last_observed", "number_observed"}},
    {"opinion", STIX_SDO, {"opinion", "object_refs"}},
    {"report", STIX_SDO, {"name", "published", "object_refs"}},
    {"threat-actor", STIX_SDO, {"name"}},
    {"tool", STIX_SDO, {"name"}},
    {"vulnerability", STIX_SDO, {"name"}},
    {"relationship", STIX_SRO, {"relationship_type", "source_ref", "target_ref"}},
    {"sighting", STIX_SRO, {"sighting_of_ref"}},
    {"artifact", STIX_SCO, {NULL}},
    {"autonomous-system", STIX_SCO, {"number"}},
    {"directory", STIX_SCO, {"path"}},
    {"domain-name", STIX_SCO, {"value"}},
    {"email-addr", STIX_SCO, {"value"}},
    {"email-message", STIX_SCO, {"is_multipart"}},
    {"file", STIX_SCO, {NULL}},
    {"ipv4-addr", STIX_SCO, {"value"}},
    {"ipv6-addr", STIX_SCO, {"value"}},
    {"mac-addr", STIX_SCO, {"value"}},
    {"mutex", STIX_SCO, {"name"}},
    {"network-traffic", STIX_SCO, {"protocols"}},
    {"process", STIX_SCO, {NULL}},
    {"software", STIX_SCO, {"name"}},
    {"url", STIX_SCO, {"value"}},
    {"user-account", STIX_SCO, {NULL}},
    {"windows-registry-key", STIX_SCO, {NULL}},
    {"x509-certificate", STIX_SCO, {NULL}},
    {"marking-definition", STIX_META, {NULL}},
    {"extension-definition", STIX_META, {"name", "schema", "version", "extension_types"}},
    {"language-content", STIX_META, {"object_ref", "object_modified", "contents"}},
};

#define N_TYPES (sizeof type_rules / sizeof type_rules[0])

/* Properties whose values are timestamps wherever they appear at the top level. */
static const char *const timestamp_props[] = {
    "created", "modified", "valid_from", "valid_until", "first_seen", "last_seen",
    "first_observed", "last_observed", "published", "object_modified", "start_time", "stop_time",
};

/* Properties that are strings wherever they appear at the top level. */
static const char *const string_props[] = {
    "name", "description", "pattern", "pattern_type", "pattern_version", "relationship_type",
    "context", "content", "abstract", "opinion", "product", "value", "lang", "identity_class",
    "summary", "definition_type", "spec_version",
};

/* Properties that are lists of strings. */
static const char *const string_list_props[] = {
    "labels", "indicator_types", "incident_types", "report_types", "sectors", "roles", "aliases",
};

static int in_list(const char *prop, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(prop, list[i]) == 0)
            return 1;
    return 0;
}

static const struct type_rule *find_rule(const char *type)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (strcmp(type_rules[i].type, type) == 0)
            return &type_rules[i];
    return NULL;
}

int stix_type_known(const char *t)
{
    return find_rule(t) != NULL;
}

int stix_id_uuid_version(const char *id)
{
    const char *dash = strstr(id, "--");

    if (!dash || strlen(dash + 2) < 36)
        return -1;
    return ascii_is_digit((unsigned char)dash[2 + 14]) ? dash[2 + 14] - '0' : -1;
}

int stix_id_is_sco(const char *id)
{
    const char *dash = strstr(id, "--");
    char type[64];
    const struct type_rule *r;

    if (!dash || (size_t)(dash - id) >= sizeof type)
        return 0;
    memcpy(type, id, (size_t)(dash - id));
    type[dash - id] = '\0';
    r = find_rule(type);
    return r && r->kind == STIX_SCO;
}

/* STIX type names: lowercase ASCII letters, digits and '-', starting with a letter,
 * not ending with '-', 3 to 250 characters. */
static int type_name_ok(const char *t, size_t n)
{
    if (n < 3 || n > 250 || !ascii_is_lower((unsigned char)t[0]) || t[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!(ascii_is_lower((unsigned char)c) || ascii_is_digit((unsigned char)c) || c == '-'))
            return 0;
        if (c == '-' && i + 1 < n && t[i + 1] == '-')
            return 0;
    }
    return 1;
}

int stix_id_valid(const char *s, const char *want_type)
{
    const char *sep = strstr(s, "--");
    size_t tlen;

    if (!sep)
        return 0;
    tlen = (size_t)(sep - s);
    if (!type_name_ok(s, tlen))
        return 0;
    if (want_type && (strlen(want_type) != tlen || memcmp(s, want_type, tlen) != 0))
        return 0;
    return mz_uuid_valid(sep + 2, strlen(sep + 2));
}

int stix_id_has_upper(const char *s)
{
    const char *sep = strstr(s, "--");

    if (!sep || !stix_id_valid(s, NULL))
        return 0;
    for (sep += 2; *sep; sep++)
        if (*sep >= 'A' && *sep <= 'F')
            return 1;
    return 0;
}

enum mz_err stix_id_case_check(const char *id, const char *field, struct mz_error *err)
{
    char low[300]; /* a type name (250 at most), "--" and a UUID */
    size_t i;

    if (!stix_id_has_upper(id))
        return MZ_OK;
    for (i = 0; id[i] && i + 1 < sizeof low; i++)
        low[i] = (char)ascii_to_lower((unsigned char)id[i]);
    low[i] = '\0';
    return mz_error_set(err, MZ_EINVAL, field,
                        "STIX ids are written in lowercase (RFC 4122 outputs lowercase hex): write %.180s instead", low);
}

/* "/<prop>" for error fields; built only when there is an error to report. */
static const char *ptr(char *buf, const char *prop)
{
    snprintf(buf, MZ_ERR_FIELD_LEN, "/%s", prop);
    return buf;
}

static enum mz_err need_string(json_t *obj, const char *prop, const char **out,
                               struct mz_error *err)
{
    json_t *v = json_object_get(obj, prop);
    char field[MZ_ERR_FIELD_LEN];

    if (!v)
        return mz_error_set(err, MZ_EINVAL, ptr(field, prop), "required property `%s` is missing", prop);
    if (!json_is_string(v))
        return mz_error_set(err, MZ_EINVAL, ptr(field, prop), "`%s` must be a string", prop);
    *out = json_string_value(v);
    return MZ_OK;
}

static int is_ref(json_t *v)
{
    return json_is_string(v) && stix_id_valid(json_string_value(v), NULL);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_timestamp_prop(const char *prop)
{
    for (size_t i = 0; i < sizeof timestamp_props / sizeof timestamp_props[0]; i++)
        if (strcmp(prop, timestamp_props[i]) == 0)
            return 1;
    return 0;
}

/* Checks that apply to a property wherever it appears at the top level. Error
 * paths are formatted only when an error is returned (this runs per property of
 * every object ingested). */
static enum mz_err check_property(const char *prop, json_t *v, struct mz_error *err)
{
    char buf[MZ_ERR_FIELD_LEN];
    size_t i;
    json_t *e;

    if (json_is_array(v) && json_array_size(v) == 0)
        return mz_error_set(err, MZ_EINVAL, ptr(buf, prop), "`%s` is an empty list; STIX 2.1 prohibits empty lists (omit the property instead)", prop);
    if (!json_is_string(v) && in_list(prop, string_props, sizeof string_props / sizeof string_props[0]))
        return mz_error_set(err, MZ_EINVAL, ptr(buf, prop), "`%s` must be a string", prop);
    if (in_list(prop, string_list_props, sizeof string_list_props / sizeof string_list_props[0])) {
        if (!json_is_array(v))
            return mz_error_set(err, MZ_EINVAL, ptr(buf, prop), "`%s` must be a list of strings", prop);
        json_array_foreach(v, i, e)
            if (!json_is_string(e))
                return mz_error_set(err, MZ_EINVAL, ptr(buf, prop), "`%s` must be a list of strings", prop);
    }
    if (is_timestamp_prop(prop)) {
        struct mz_time t;
        if (!json_is_string(v) || mz_time_parse(json_string_value(v), &t) != 0)
            return mz_error_set(err, MZ_EINVAL, ptr(buf, prop),
                                "`%s` must be an RFC 3339 UTC timestamp such as 2024-05-01T12:00:00.000Z", prop);
    }
    if (ends_with(prop, "_ref") && !is_ref(v))
        return mz_error_set(err, MZ_EINVAL, ptr(buf, prop),
                            "`%s` must be a STIX identifier (<type>--<RFC 4122 UUID>)", prop);
    if (ends_with(prop, "_refs")) {
        if (!json_is_array(v))
            return mz_error_set(err, MZ_EINVAL, ptr(buf, prop), "`%s` must be a list of STIX identifiers", prop);
        json_array_foreach(v, i, e)
            if (!is_ref(e)) {
                snprintf(buf, sizeof buf, "/%s/%zu", prop, i);
                return mz_error_set(err, MZ_EINVAL, buf,
                                    "`%s` must be a STIX identifier (<type>--<RFC 4122 UUID>)", prop);
            }
    }
    return MZ_OK;
}

static enum mz_err check_int_range(json_t *obj, const char *prop, json_int_t lo, json_int_t hi,
                                   struct mz_error *err)
{
    json_t *v = json_object_get(obj, prop);
    char path[MZ_ERR_FIELD_LEN];

    if (!v)
        return MZ_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return mz_error_set(err, MZ_EINVAL, ptr(path, prop), "`%s` must be an integer from %lld to %lld",
                            prop, (long long)lo, (long long)hi);
    return MZ_OK;
}

/* If both properties are present, a must not be later than b (strictly earlier if
 * strict). */
static enum mz_err check_order(json_t *obj, const char *a, const char *b, int strict,
                               struct mz_error *err)
{
    json_t *va = json_object_get(obj, a), *vb = json_object_get(obj, b);
    struct mz_time ta, tb;
    char path[MZ_ERR_FIELD_LEN];
    int c;

    if (!json_is_string(va) || !json_is_string(vb) ||
        mz_time_parse(json_string_value(va), &ta) || mz_time_parse(json_string_value(vb), &tb))
        return MZ_OK;
    c = mz_time_cmp(&ta, &tb);
    if (c > 0 || (strict && c == 0)) {
        snprintf(path, sizeof path, "/%s", b);
        return mz_error_set(err, MZ_EINVAL, path, "`%s` is earlier than `%s`%s", b, a,
                            strict ? " (it must be later)" : "");
    }
    return MZ_OK;
}

/* Collects canonical observables as "<kind> <value>\n" lines (what the index is
 * built from later, without parsing the object again). */
static int add_observable(void *ctx, enum obs_kind k, const char *canon, size_t len)
{
    struct mz_buf *b = ctx;
    char kind[8];
    int n = snprintf(kind, sizeof kind, "%d ", (int)k);

    return mz_buf_append(b, kind, (size_t)n) || mz_buf_append(b, canon, len) || mz_buf_putc(b, '\n');
}

static enum mz_err keep_observables(struct mz_buf *b, struct stix_info *info)
{
    if (!b->len)
        return MZ_OK;
    info->observables = mz_buf_steal(b, NULL);
    return info->observables ? MZ_OK : MZ_ENOMEM;
}

/* A STIX pattern must parse; the plan says how the index will match it, and the
 * terms of an indexable plan are kept in canonical form. */
static enum mz_err check_pattern(const char *text, struct stix_info *info, struct mz_error *err)
{
    struct pattern *p = NULL;
    struct mz_buf b;
    enum mz_err rc;

    if (pattern_parse(text, strlen(text), &p, err)) {
        if (err)
            snprintf(err->field, sizeof err->field, "/pattern");
        return MZ_EINVAL;
    }
    {
        size_t pos = 0;
        struct mz_error why;
        mz_error_clear(&why);
        if (observe_pattern_check(p, &pos, &why)) {
            pattern_free(p);
            return mz_error_set(err, MZ_EINVAL, "/pattern", "pattern error at position %zu: %s", pos, why.msg);
        }
    }
    info->match_plan = (int)observe_pattern_plan(p);
    mz_buf_init(&b, 1 << 20);
    if (info->match_plan == OBSERVE_EXACT || info->match_plan == OBSERVE_CANDIDATE)
        observe_pattern_values(p, add_observable, &b);
    pattern_free(p);
    rc = keep_observables(&b, info);
    mz_buf_free(&b);
    return rc ? mz_error_set(err, rc, "", "out of memory") : MZ_OK;
}

static int64_t time_field_us(json_t *obj, const char *prop, int64_t dflt)
{
    struct mz_time t;
    const char *s = json_string_value(json_object_get(obj, prop));

    if (!s || mz_time_parse(s, &t))
        return dflt;
    return t.sec * 1000000 + t.nsec / 1000;
}

static enum mz_err check_type_specific(json_t *obj, struct stix_info *info,
                                       struct mz_error *err)
{
    enum mz_err rc = check_int_range(obj, "confidence", 0, 100, err);

    if (!rc && json_object_get(obj, "revoked") && !json_is_boolean(json_object_get(obj, "revoked")))
        rc = mz_error_set(err, MZ_EINVAL, "/revoked", "`revoked` must be true or false");
    if (!rc && json_object_get(obj, "created_by_ref") && info->created_by_ref &&
        !stix_id_valid(info->created_by_ref, "identity"))
        rc = mz_error_set(err, MZ_EINVAL, "/created_by_ref", "`created_by_ref` must reference an identity");
    if (rc)
        return rc;
    if (!strcmp(info->type, "indicator")) {
        const char *text, *ptype;
        rc = need_string(obj, "pattern", &text, err);
        if (!rc)
            rc = need_string(obj, "pattern_type", &ptype, err);
        if (!rc)
            rc = check_order(obj, "valid_from", "valid_until", 1, err);
        if (!rc && !strcmp(ptype, "stix"))
            rc = check_pattern(text, info, err);
        info->valid_from = time_field_us(obj, "valid_from", INT64_MIN);
        info->valid_until = time_field_us(obj, "valid_until", INT64_MAX);
    } else if (!strcmp(info->type, "observed-data")) {
        rc = check_int_range(obj, "number_observed", 1, 999999999, err);
        if (!rc)
            rc = check_order(obj, "first_observed", "last_observed", 0, err);
        if (!rc && !json_object_get(obj, "object_refs") && !json_object_get(obj, "objects"))
            rc = mz_error_set(err, MZ_EINVAL, "/object_refs", "observed-data needs `object_refs`");
    } else if (!strcmp(info->type, "sighting")) {
        rc = check_int_range(obj, "count", 0, 999999999, err);
        if (!rc)
            rc = check_order(obj, "first_seen", "last_seen", 0, err);
    } else if (!strcmp(info->type, "malware")) {
        if (!json_is_boolean(json_object_get(obj, "is_family")))
            rc = mz_error_set(err, MZ_EINVAL, "/is_family", "`is_family` must be true or false");
    } else if (!strcmp(info->type, "file")) {
        if (!json_object_get(obj, "hashes") && !json_object_get(obj, "name"))
            rc = mz_error_set(err, MZ_EINVAL, "/hashes", "a file needs `hashes` or `name`");
    }
    return rc;
}

/* The highest TLP level of a list of marking ids (the most restrictive wins), or -1
 * when it names no TLP marking; elements that are not strings are left to
 * check_property(). */
static int tlp_of_refs(json_t *refs)
{
    json_t *e;
    size_t i;
    int level = -1;

    json_array_foreach(refs, i, e) {
        int l = json_is_string(e) ? tlp_from_marking_id(json_string_value(e)) : -1;
        if (l > level)
            level = l;
    }
    return level;
}

static int max_level(int a, int b)
{
    return a > b ? a : b;
}

/* The highest TLP level of the granular markings of v (a granular_markings list). A
 * list of anything but {"selectors":[…], "marking_ref":"…"} or {…, "lang":"…"} is
 * refused: a marking that is not read is a marking that is not applied. */
static enum mz_err granular_level(json_t *v, const char *where, int *level, struct mz_error *err)
{
    json_t *g;
    size_t i;

    if (!json_is_array(v))
        return mz_error_set(err, MZ_EINVAL, where, "`granular_markings` must be a list of granular markings");
    json_array_foreach(v, i, g) {
        json_t *ref = json_object_get(g, "marking_ref");
        char path[MZ_ERR_FIELD_LEN];
        if (!json_is_object(g) || (ref && !json_is_string(ref)) || (!ref && !json_is_string(json_object_get(g, "lang")))) {
            snprintf(path, sizeof path, "%s/%zu", where, i);
            return mz_error_set(err, MZ_EINVAL, path,
                                "a granular marking must be an object with `selectors` and a `marking_ref` (or `lang`)");
        }
        if (ref)
            *level = max_level(*level, tlp_from_marking_id(json_string_value(ref)));
    }
    return MZ_OK;
}

/* The highest TLP level marked anywhere inside obj but its own object_marking_refs:
 * its granular markings, and the markings of objects nested in it (observed-data's
 * embedded `objects`, extensions). The parser bounds the depth. */
static enum mz_err inner_level(json_t *v, int top, int *level, struct mz_error *err)
{
    const char *key;
    json_t *e;
    size_t i;
    enum mz_err rc = MZ_OK;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if ((json_is_object(e) || json_is_array(e)) && (rc = inner_level(e, 0, level, err)))
                return rc;
        }
        return MZ_OK;
    }
    json_object_foreach(v, key, e) {
        if (!strcmp(key, "granular_markings"))
            rc = granular_level(e, top ? "/granular_markings" : "", level, err);
        else if (!top && !strcmp(key, "object_marking_refs"))
            *level = max_level(*level, tlp_of_refs(e));
        else if (json_is_object(e) || json_is_array(e))
            rc = inner_level(e, 0, level, err);
        if (rc)
            return rc;
    }
    return MZ_OK;
}

/* Append "/" and key to the JSON pointer in path (cap bytes), escaping '~' and '/'
 * as RFC 6901 says; a key too long for it is cut before a whole UTF-8 character. */
static void pointer_append(char *path, size_t cap, const char *key)
{
    size_t n = strlen(path);
    const char *k = key;

    if (n + 2 > cap)
        return;
    path[n++] = '/';
    for (; *k; k++) {
        int esc = *k == '~' || *k == '/';
        if (n + (esc ? 2 : 1) + 1 > cap)
            break;
        if (esc) {
            path[n++] = '~';
            path[n++] = *k == '~' ? '0' : '1';
        } else {
            path[n++] = *k;
        }
    }
    /* cut inside a character (the next byte continues it): drop its first bytes */
    while (*k && ((unsigned char)*k & 0xc0) == 0x80 && n && ((unsigned char)path[n - 1] & 0x80)) {
        int lead = ((unsigned char)path[n - 1] & 0xc0) == 0xc0;
        n--;
        if (lead)
            break;
    }
    path[n] = '\0';
}

/* Is key custom content, left as received (docs/api.md): an `x_` property, an `x-`
 * extension (STIX 2.0's custom ones) or one an extension-definition defines? */
static int custom_key(const char *key)
{
    return !strncmp(key, "x_", 2) || !strncmp(key, "x-", 2) || !strncmp(key, "extension-definition--", 22);
}

/* Refuse an uppercase hex digit in a reference under v (an object or a list), at
 * path (a JSON pointer, cap bytes): a `*_ref` string or a `*_refs` list anywhere
 * in the STIX-defined part, custom content (custom_key) left alone. With common
 * (the top level of a custom object, whose other properties its producer defines)
 * only the common properties are looked at. Values that are no STIX ids are left
 * to the other checks (observed-data's embedded `objects` refer by key). The
 * parser bounds the depth. */
static enum mz_err refs_case(json_t *v, char *path, size_t cap, int common, struct mz_error *err)
{
    size_t n = strlen(path), i;
    const char *key;
    json_t *e, *x;
    enum mz_err rc = MZ_OK;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            snprintf(path + n, cap - n, "/%zu", i);
            if ((json_is_object(e) || json_is_array(e)) && (rc = refs_case(e, path, cap, 0, err)))
                return rc;
        }
        path[n] = '\0';
        return MZ_OK;
    }
    json_object_foreach(v, key, e) {
        int ref = json_is_string(e) && ends_with(key, "_ref");
        int refs = json_is_array(e) && ends_with(key, "_refs");
        if (custom_key(key) ||
            (common && strcmp(key, "created_by_ref") && strcmp(key, "object_marking_refs") &&
             strcmp(key, "granular_markings")) ||
            (!ref && !refs && !json_is_object(e) && !json_is_array(e)))
            continue; /* (most properties: no path to build) */
        path[n] = '\0';
        pointer_append(path, cap, key);
        if (ref) {
            rc = stix_id_case_check(json_string_value(e), path, err);
        } else if (refs) {
            size_t m = strlen(path);
            json_array_foreach(e, i, x) {
                snprintf(path + m, cap - m, "/%zu", i);
                if (json_is_string(x) && (rc = stix_id_case_check(json_string_value(x), path, err)))
                    break;
            }
        } else if (json_is_object(e) || json_is_array(e)) {
            rc = refs_case(e, path, cap, 0, err);
        }
        if (rc)
            return rc;
    }
    path[n] = '\0';
    return MZ_OK;
}

/* docs/model.md R8: a STIX id is written in lowercase in every place the standard
 * (or the node, for x_mreza_recipient_refs, which decides who reads) defines, since
 * the node compares ids as written and a consumer that lowercases them (RFC 4122
 * UUIDs are case-insensitive on input) would make two of its ids one. */
static enum mz_err check_ids_case(json_t *obj, const struct stix_info *info, struct mz_error *err)
{
    char path[MZ_ERR_FIELD_LEN] = "";
    json_t *aud = json_object_get(obj, "x_mreza_recipient_refs"), *e;
    enum mz_err rc = stix_id_case_check(info->id, "/id", err);
    size_t i;

    if (!rc)
        rc = refs_case(obj, path, sizeof path, info->kind == STIX_CUSTOM, err);
    json_array_foreach(aud, i, e) {
        if (rc)
            break;
        snprintf(path, sizeof path, "/x_mreza_recipient_refs/%zu", i);
        if (json_is_string(e))
            rc = stix_id_case_check(json_string_value(e), path, err);
    }
    return rc;
}

/* The first place where got differs from the standard's object want, as a JSON
 * pointer under path (both objects), and what differs in words; NULL if equal. */
static const char *first_difference(json_t *want, json_t *got, char *path, size_t cap, char *what, size_t what_cap)
{
    size_t n = strlen(path);
    const char *key;
    json_t *w;

    json_object_foreach(want, key, w) {
        json_t *g = json_object_get(got, key);
        snprintf(path + n, cap - n, "/%s", key); /* the standard's keys need no escaping */
        if (!g) {
            snprintf(what, what_cap, "its `%s` is missing", key);
            return what;
        }
        if (json_is_object(w) && json_is_object(g)) {
            if (first_difference(w, g, path, cap, what, what_cap))
                return what;
            continue;
        }
        if (!json_equal(w, g)) {
            if (json_is_string(w))
                snprintf(what, what_cap, "`%s` must be \"%s\"", key, json_string_value(w));
            else
                snprintf(what, what_cap, "`%s` differs from the standard's", key);
            return what;
        }
    }
    path[n] = '\0';
    json_object_foreach(got, key, w) {
        if (json_object_get(want, key))
            continue;
        pointer_append(path, cap, key);
        snprintf(what, what_cap, "the standard's definition has no such property");
        return what;
    }
    path[n] = '\0';
    return NULL;
}

/* A marking definition under a standard's id must be the standard's definition,
 * compared as JSON values (the OASIS files themselves differ in layout and key
 * order): anything else under that id would be served to readers as what the
 * marking means. */
static enum mz_err check_standard_marking(json_t *obj, struct stix_info *info, struct mz_error *err)
{
    int i = tlp_standard_index(info->id);
    char path[MZ_ERR_FIELD_LEN] = "", what[160];
    const char *diff;
    json_t *want;

    if (i < 0)
        return MZ_OK;
    want = json_loads(tlp_standard_json(i), 0, NULL);
    if (!want)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    diff = first_difference(want, obj, path, sizeof path, what, sizeof what);
    json_decref(want);
    if (diff)
        return mz_error_set(err, MZ_EINVAL, path,
                            "the standard %s marking definition may not be redefined (post it as the standard "
                            "writes it, or not at all): %s",
                            tlp_standard_label(i), diff);
    info->standard_body = tlp_standard_json(i);
    return MZ_OK;
}

static enum mz_err audience_of(json_t *obj, struct stix_info *info, struct mz_error *err)
{
    json_t *refs = json_object_get(obj, "x_mreza_recipient_refs"), *e;
    struct mz_buf b;
    size_t i;

    if (!refs)
        return MZ_OK;
    mz_buf_init(&b, 1 << 20);
    json_array_foreach(refs, i, e) {
        if (!stix_id_valid(json_string_value(e), "identity")) {
            mz_buf_free(&b);
            return mz_error_set(err, MZ_EINVAL, "/x_mreza_recipient_refs",
                                "`x_mreza_recipient_refs` must list identity ids (organisations or users)");
        }
        if ((i && mz_buf_putc(&b, ' ')) || mz_buf_puts(&b, json_string_value(e))) {
            mz_buf_free(&b);
            return mz_error_set(err, MZ_ETOOBIG, "/x_mreza_recipient_refs", "too many recipients");
        }
    }
    info->audience = mz_buf_steal(&b, NULL);
    return info->audience ? MZ_OK : MZ_ENOMEM;
}

/* An unknown type is a custom one if it is x- prefixed or an extension defines it. */
static int custom_type_ok(json_t *obj, const char *type)
{
    json_t *exts = json_object_get(obj, "extensions"), *v;
    const char *k;

    if (strncmp(type, "x-", 2) == 0)
        return 1;
    json_object_foreach(exts, k, v) {
        const char *et = json_string_value(json_object_get(v, "extension_type"));
        if (strncmp(k, "extension-definition--", 22) == 0 && et && strncmp(et, "new-", 4) == 0)
            return 1;
    }
    return 0;
}

/* The version as fixed-width text that sorts like the time it names:
 * "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (fraction cut or padded to nanoseconds). v has
 * already been checked by mz_time_parse(), so it starts with the 19 fixed
 * characters; built from the text itself because this runs for every object. */
static void version_key(const char *v, char *out)
{
    const char *f = v + 19;
    int n = 0;

    if (!*v) {
        out[0] = '\0';
        return;
    }
    memcpy(out, v, 19);
    out[19] = '.';
    if (*f == '.')
        for (f++; *f >= '0' && *f <= '9' && n < 9; f++)
            out[20 + n++] = *f;
    for (; n < 9; n++)
        out[20 + n] = '0';
    out[29] = 'Z';
    out[30] = '\0';
}

int stix_version_key(const char *v, char *out)
{
    struct mz_time t;

    out[0] = '\0';
    if (mz_time_parse(v, &t))
        return -1;
    version_key(v, out);
    return 0;
}

static enum mz_err check_common(json_t *obj, struct stix_info *info, struct mz_error *err)
{
    const char *spec = NULL, *created = NULL, *modified = NULL;
    int versioned = info->kind == STIX_SDO || info->kind == STIX_SRO || info->kind == STIX_META;
    enum mz_err rc = MZ_OK;
    struct mz_time t;

    if (versioned || json_object_get(obj, "spec_version")) {
        rc = need_string(obj, "spec_version", &spec, err);
        if (!rc && strcmp(spec, "2.1") != 0)
            rc = mz_error_set(err, MZ_EINVAL, "/spec_version", "`spec_version` is '%s'; mreža accepts STIX 2.1 ('2.1')", spec);
    }
    if (!rc && (versioned || json_object_get(obj, "created")))
        rc = need_string(obj, "created", &created, err);
    if (!rc && strcmp(info->type, "marking-definition") == 0 && json_object_get(obj, "modified"))
        rc = mz_error_set(err, MZ_EINVAL, "/modified", "marking definitions are not versioned and must not have `modified`");
    else if (!rc && ((versioned && strcmp(info->type, "marking-definition") != 0) ||
                     json_object_get(obj, "modified")))
        rc = need_string(obj, "modified", &modified, err);
    if (rc)
        return rc;
    if (created && mz_time_parse(created, &t))
        return mz_error_set(err, MZ_EINVAL, "/created", "`created` must be an RFC 3339 UTC timestamp such as 2024-05-01T12:00:00.000Z");
    if (modified && mz_time_parse(modified, &t))
        return mz_error_set(err, MZ_EINVAL, "/modified", "`modified` must be an RFC 3339 UTC timestamp such as 2024-05-01T12:00:00.000Z");
    if (created && modified) {
        rc = check_order(obj, "created", "modified", 0, err);
        if (rc)
            return mz_error_set(err, MZ_EINVAL, "/modified", "`modified` is earlier than `created`");
    }
    info->version = modified ? modified : created ? created : "";
    version_key(info->version, info->version_key);
    return MZ_OK;
}

enum mz_err stix_validate(json_t *obj, struct stix_info *info, struct mz_error *err)
{
    const struct type_rule *rule;
    const char *key;
    json_t *v;
    enum mz_err rc;

    memset(info, 0, sizeof *info);
    info->tlp = -1;
    info->tlp_granular = -1;
    info->match_plan = -1;
    info->valid_from = INT64_MIN;
    info->valid_until = INT64_MAX;
    if (!json_is_object(obj))
        return mz_error_set(err, MZ_EINVAL, "", "a STIX object must be a JSON object");
    rc = need_string(obj, "type", &info->type, err);
    if (rc)
        return rc;
    if (!strcmp(info->type, "bundle"))
        return mz_error_set(err, MZ_EINVAL, "/type", "a bundle cannot be nested inside a bundle");
    rule = find_rule(info->type);
    if (!rule && !(type_name_ok(info->type, strlen(info->type)) && custom_type_ok(obj, info->type)))
        return mz_error_set(err, MZ_EINVAL, "/type",
                            "'%.64s' is not a STIX 2.1 type; custom types must start with 'x-' or be defined by an extension-definition (new-sdo/new-sco/new-sro)",
                            info->type);
    info->kind = rule ? rule->kind : STIX_CUSTOM;
    rc = need_string(obj, "id", &info->id, err);
    if (rc)
        return rc;
    if (!stix_id_valid(info->id, info->type))
        return mz_error_set(err, MZ_EINVAL, "/id",
                            "`id` must be '%.64s--' followed by an RFC 4122 UUID", info->type);
    rc = check_common(obj, info, err);
    for (size_t i = 0; !rc && rule && i < MAX_REQ && rule->required[i]; i++)
        if (!json_object_get(obj, rule->required[i])) {
            char path[MZ_ERR_FIELD_LEN];
            snprintf(path, sizeof path, "/%s", rule->required[i]);
            rc = mz_error_set(err, MZ_EINVAL, path, "required property `%s` of %s is missing",
                              rule->required[i], info->type);
        }
    json_object_foreach(obj, key, v) {
        if (rc)
            break;
        rc = check_property(key, v, err);
    }
    if (!rc)
        rc = check_ids_case(obj, info, err);
    if (rc)
        return rc;
    info->created_by_ref = json_string_value(json_object_get(obj, "created_by_ref"));
    info->revoked = json_is_true(json_object_get(obj, "revoked"));
    rc = check_type_specific(obj, info, err);
    if (!rc && info->kind == STIX_SCO)
        rc = sco_id_check(obj, info->type, info->id, err); /* docs/model.md R8 */
    if (rc)
        return rc;
    info->tlp = tlp_of_refs(json_object_get(obj, "object_marking_refs"));
    rc = inner_level(obj, 1, &info->tlp_granular, err);
    if (!rc && !strcmp(info->type, "marking-definition"))
        rc = check_standard_marking(obj, info, err);
    if (rc)
        return rc;
    if (info->kind == STIX_SCO || info->kind == STIX_CUSTOM) {
        /* an observable object's values, canonical (none for most types) */
        struct mz_buf b;
        mz_buf_init(&b, 1 << 20);
        observe_object(obj, add_observable, &b, NULL);
        rc = keep_observables(&b, info);
        mz_buf_free(&b);
        if (rc)
            return mz_error_set(err, rc, "", "out of memory");
    }
    return audience_of(obj, info, err);
}

void stix_info_clear(struct stix_info *info)
{
    free(info->audience);
    free(info->observables);
    info->audience = NULL;
    info->observables = NULL;
}
