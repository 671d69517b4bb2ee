/* domain/svc_sighting.c - see svc_sighting.h. The sightings go in as one bundle
 * through svc_ingest(), so they are validated, marked and stored like anything a
 * user posts (and the role check of writing applies). */
#include "domain/svc_sighting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/authz.h"
#include "domain/svc.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define MAX_COUNT 999999999ULL /* the largest count a sighting states */

/* A sighting addressed to no one beyond the reporter (see recipients()). */
static int quiet(const struct svc_sighted *s)
{
    return s->scan || s->wide;
}

void svc_sighted_list_init(struct svc_sighted_list *l)
{
    memset(l, 0, sizeof *l);
}

void svc_sighted_list_free(struct svc_sighted_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->v[i].indicator);
    free(l->v);
    memset(l, 0, sizeof *l);
}

enum mz_err svc_sighted_list_add(struct svc_sighted_list *l, const struct svc_sighted *rec)
{
    struct svc_sighted *s;

    /* hits of one indicator often come one after another */
    if (l->n && !strcmp(l->v[l->n - 1].indicator, rec->indicator) && quiet(&l->v[l->n - 1]) == quiet(rec)) {
        s = &l->v[l->n - 1];
        s->count++;
        if (rec->first_us < s->first_us)
            s->first_us = rec->first_us;
        if (rec->last_us > s->last_us)
            s->last_us = rec->last_us;
        return MZ_OK;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct svc_sighted *v = realloc(l->v, ncap * sizeof *v);
        if (!v)
            return MZ_ENOMEM;
        l->v = v;
        l->cap = ncap;
    }
    s = &l->v[l->n];
    *s = *rec;
    s->indicator = strdup(rec->indicator);
    if (!s->indicator)
        return MZ_ENOMEM;
    s->count = 1;
    l->n++;
    l->sorted = 0;
    return MZ_OK;
}

static int cmp_sighted(const void *a, const void *b)
{
    const struct svc_sighted *x = a, *y = b;
    int c = strcmp(x->indicator, y->indicator);

    return c ? c : quiet(x) - quiet(y);
}

void svc_sighted_list_merge(struct svc_sighted_list *l)
{
    size_t k = 0;

    if (l->sorted || l->n == 0)
        return;
    qsort(l->v, l->n, sizeof *l->v, cmp_sighted);
    for (size_t i = 1; i < l->n; i++) {
        struct svc_sighted *s = &l->v[k];
        if (!cmp_sighted(s, &l->v[i])) {
            s->count += l->v[i].count;
            if (l->v[i].first_us < s->first_us)
                s->first_us = l->v[i].first_us;
            if (l->v[i].last_us > s->last_us)
                s->last_us = l->v[i].last_us;
            free((char *)l->v[i].indicator);
        } else {
            l->v[++k] = l->v[i];
        }
    }
    l->n = k + 1;
    l->sorted = 1;
}

enum mz_err svc_sighting_check(const struct principal *p, struct mz_error *err)
{
    if (p->user.id == 0)
        return mz_error_set(err, MZ_EINVAL, "",
                            "sightings are reported by a person (a user who may write), not by an organisation as a whole");
    return authz_check(p, AUTHZ_SIGHTING_REPORT, err);
}

static void format_us(int64_t us, char *out)
{
    struct mz_time t = {us / 1000000, (int32_t)(us % 1000000) * 1000};

    mz_time_format_us(&t, out);
}

/* The recipients of a sighting of s by p, as an "x_mreza_recipient_refs" member (or
 * ""): TLP:AMBER of p's organisation is addressed also to the organisation that shared
 * the indicator, as MISP returns sightings to an event's creator; TLP:RED only to the
 * person who shared it. A hit of a scan pattern (evaluated on every value, such as
 * MATCHES '\\.') tells its author nothing: such a pattern can be as wide as its
 * author likes, and its sightings would report every member's logs to it. Nor does a
 * hit through a key that takes in what its owner has no business knowing of
 * (engine_hit.wide: ISSUBSET '0.0.0.0/0', a domain indicator 'com' matched as the
 * parent of every .com name), for the same reason: the analyst still sees the hit,
 * and its organisation keeps the sighting. */
static void recipients(struct store *st, const struct principal *p, const struct svc_sighted *s, int level,
                       char *out, size_t cap)
{
    struct store_org src;
    struct store_user sub;

    out[0] = '\0';
    if (quiet(s))
        return;
    if (level == TLP_AMBER && s->owner_org && s->owner_org != p->org.id &&
        !store_org_by_id(st, s->owner_org, &src, NULL))
        snprintf(out, cap, ",\"x_mreza_recipient_refs\":[\"%s\"]", src.identity);
    if (level == TLP_RED && s->submitter && s->submitter != p->user.id &&
        !store_user_by_id(st, s->submitter, &sub, NULL))
        snprintf(out, cap, ",\"x_mreza_recipient_refs\":[\"%s\"]", sub.identity);
}

/* One sighting object of s into b. */
static enum mz_err put_sighting(struct store *st, const struct principal *p, const struct svc_sighted *s,
                                int first_obj, struct mz_buf *b)
{
    char first[MZ_TIME_STRLEN], last[MZ_TIME_STRLEN], uuid[MZ_UUID_STRLEN], to[160];
    int level = s->tlp == TLP_AMBER ? TLP_AMBER : TLP_RED;

    format_us(s->first_us, first);
    format_us(s->last_us, last);
    mz_uuid_v4(uuid);
    recipients(st, p, s, level, to, sizeof to);
    return mz_buf_printf(b,
                         "%s{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--%s\","
                         "\"created\":\"%.23sZ\",\"modified\":\"%.23sZ\",\"sighting_of_ref\":\"%s\","
                         "\"count\":%llu,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
                         "\"where_sighted_refs\":[\"%s\"],\"created_by_ref\":\"%s\","
                         "\"description\":\"reported by mreza match\"%s,"
                         "\"object_marking_refs\":[\"%s\"]}",
                         first_obj ? "" : ",", uuid, last, last, s->indicator,
                         (unsigned long long)(s->count > MAX_COUNT ? MAX_COUNT : s->count), first, last,
                         p->org.identity, p->org.identity, to, tlp_marking_id((enum tlp_level)level));
}

enum mz_err svc_report_sightings(struct store *st, const struct principal *p, const struct svc_sighted *list,
                                 size_t n, size_t *n_stored, struct mz_error *err)
{
    struct bundle_limits lim = {64, 10000000, -1, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    struct svc_ingest_result res;
    char uuid[MZ_UUID_STRLEN];
    struct mz_buf b;
    enum mz_err rc = svc_sighting_check(p, err);

    *n_stored = 0;
    if (rc || n == 0)
        return rc;
    mz_buf_init(&b, (size_t)4 << 30);
    mz_uuid_v4(uuid);
    rc = mz_buf_printf(&b, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
    for (size_t i = 0; i < n && !rc; i++)
        rc = put_sighting(st, p, &list[i], i == 0, &b);
    if (!rc)
        rc = mz_buf_puts(&b, "]}");
    if (rc)
        mz_error_set(err, rc, "", "too many sightings");
    else
        rc = svc_ingest(st, p, b.data, b.len, &lim, &res, err);
    if (!rc) {
        *n_stored = res.n_new;
        svc_ingest_result_free(&res);
    }
    mz_buf_free(&b);
    return rc;
}
