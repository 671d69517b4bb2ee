/* engine/engine_match.c - matching one observation (a log line's values, or an API
 * item) against the index for one principal: each value is recognised as canonical
 * in one pass or guessed and normalised (obs/obs.h), looked up (exact, parent
 * domains, CIDR ranges; a URL's host too), and every object found is reported only if
 * it is a live detection indicator that the matcher's principal may read
 * (tlp_can_read). Candidate patterns are confirmed with pattern_eval on the whole
 * observation, the hosts of its URLs included (the index looks them up as domains, so
 * the evaluator sees them too); patterns without an index key (scan) are evaluated on
 * every value, those the principal may see only (chosen once per observation), and
 * their hits are marked (engine_hit.scan) so that their sightings tell their author
 * nothing (domain/svc_sighting.c).
 *
 * A struct engine_matcher holds the scratch of one thread's matches (the canonical
 * values, about 65 KiB), so that matching allocates nothing. The readers' lock is
 * held for one observation at a time. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "rules/observe.h"

#define MAX_SEEN 64
#define HOST_MAX 256 /* a URL's canonical host: a domain (at most 253 bytes) or an address */

struct canon_value {
    const char *field;
    enum obs_kind kind;
    char *text;           /* in the matcher's text buffer */
    size_t len;
};

struct engine_matcher {
    struct engine *e;
    struct principal p;
    int64_t now;
    struct canon_value vals[ENGINE_MATCH_MAX_VALUES + 1]; /* the observation, canonical */
    /* for the evaluator: the values (pvals[i] is vals[i]), then the hosts of the URL
     * values as domain or address values, as the index looks them up */
    struct pattern_value pvals[2 * ENGINE_MATCH_MAX_VALUES + 1];
    char text[ENGINE_MATCH_MAX_VALUES + 1][OBS_MAX_LEN + 1];
    struct canon_value hosts[ENGINE_MATCH_MAX_VALUES];
    char host_text[ENGINE_MATCH_MAX_VALUES][HOST_MAX];
    int host_of[ENGINE_MATCH_MAX_VALUES + 1]; /* vals[i]'s host in hosts[], or -1 */
    size_t n_vals, n_hosts, n_pvals;
    const struct canon_value *cur; /* the value being looked up */
    uint32_t seen[MAX_SEEN];       /* objects already reported for cur */
    size_t n_seen;
    engine_hit_fn fn;
    void *ctx;
    size_t n_hits;
    int stop;
    struct pattern_scratch *scratch; /* MATCHES: PCRE2's match data and the limits */
    /* the scan patterns (no index key) the principal may see, live: decided once per
     * observation; scan_all when there was no memory for the list */
    uint32_t *scan_nums;
    const struct pattern **scan_pats;
    size_t n_scan, cap_scan;
    int scan_all;
    struct engine_unit_memo memo; /* units decided (R4), for one observation */
};

enum mz_err engine_matcher_new(struct engine *e, const struct principal *p,
                            struct engine_matcher **out, struct mz_error *err)
{
    struct engine_matcher *m = calloc(1, sizeof *m);

    if (!m)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    m->e = e;
    m->p = *p;
    for (size_t i = 0; i <= ENGINE_MATCH_MAX_VALUES; i++)
        m->vals[i].text = m->text[i];
    for (size_t i = 0; i < ENGINE_MATCH_MAX_VALUES; i++)
        m->hosts[i].text = m->host_text[i];
    if (pattern_scratch_new(&e->regex_limits, &m->scratch, err)) {
        free(m);
        return err ? err->code : MZ_ENOMEM;
    }
    *out = m;
    return MZ_OK;
}

void engine_matcher_free(struct engine_matcher *m)
{
    if (!m)
        return;
    pattern_scratch_free(m->scratch);
    free(m->scan_nums);
    free(m->scan_pats);
    free(m);
}

uint64_t engine_matcher_regex_limited(const struct engine_matcher *m)
{
    return m ? pattern_scratch_limited(m->scratch) : 0;
}

/* Is object num of e a detection that p may see, live at now? memo: see
 * engine_versions_unit. */
static int obj_reportable(struct engine *e, const struct principal *p, int64_t now, uint32_t num,
                          struct engine_unit_memo *memo)
{
    const struct idx_obj *o = idx_obj_at(e->ix, num);
    struct tlp_meta meta;

    if (!(o->flags & IDX_F_DETECT) || (o->flags & IDX_F_REVOKED))
        return 0;
    if (now < o->valid_from || now >= o->valid_until)
        return 0;
    engine_obj_meta(e, num, &meta);
    if (!tlp_can_read(p, &meta))
        return 0;
    /* docs/model.md R4: match per object, the version R3 serves p of each unit */
    if (engine_versions_cx(e, num))
        return engine_versions_unit(e, p, num, memo);
    return !(o->flags & IDX_F_DEAD);
}

static int reportable(struct engine_matcher *m, uint32_t num)
{
    return obj_reportable(m->e, &m->p, m->now, num, &m->memo);
}

int engine_scan_patterns_reach(struct engine *e, const struct principal *p, int64_t now_us)
{
    int any = 0;
    struct engine_unit_memo memo;

    memset(&memo, 0, sizeof memo);
    engine_versions_memo_start(&memo);
    engine_read_lock(e);
    for (size_t s = 0; s < e->n_scan && !any; s++)
        any = engine_pattern_of(e, e->scan_objs[s]) && obj_reportable(e, p, now_us, e->scan_objs[s], &memo);
    engine_read_unlock(e);
    return any;
}

/* Room for n scan patterns in m's list; nonzero when there is no memory for it (the
 * caller then checks every pattern per value, as without the list). */
static int grow_scan(struct engine_matcher *m, size_t n)
{
    uint32_t *nums = realloc(m->scan_nums, n * sizeof *nums);
    const struct pattern **pats;

    if (!nums)
        return 1;
    m->scan_nums = nums;
    pats = realloc(m->scan_pats, n * sizeof *pats);
    if (!pats)
        return 1;
    m->scan_pats = pats;
    m->cap_scan = n;
    return 0;
}

static int emit_hit(struct engine_matcher *m, uint32_t num, enum idx_via via, const char *key,
                    size_t key_len, int scan)
{
    char id[300], matched[OBS_MAX_LEN + 1];
    struct engine_hit h;

    for (size_t i = 0; i < m->n_seen; i++)
        if (m->seen[i] == num)
            return 0;
    if (m->n_seen < MAX_SEEN)
        m->seen[m->n_seen++] = num;
    idx_obj_id(m->e->ix, num, id, sizeof id);
    if (key_len > OBS_MAX_LEN)
        key_len = OBS_MAX_LEN;
    memcpy(matched, key, key_len);
    matched[key_len] = '\0';
    h.field = m->cur->field;
    h.value = m->cur->text;
    h.kind = m->cur->kind;
    h.via = via;
    h.scan = scan;
    h.indicator = id;
    h.matched = key_len ? matched : m->cur->text;
    {
        struct tlp_meta meta;
        engine_obj_meta(m->e, num, &meta);
        h.owner_org = meta.owner_org;
        h.owner_identity = engine_owner_identity(m->e, meta.owner_org);
        h.submitter = meta.submitter;
        h.sighting_tlp = tlp_sighting_level(&meta, &m->p);
    }
    m->n_hits++;
    if (m->fn(m->ctx, &h))
        m->stop = 1;
    return m->stop;
}

static int on_index_hit(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t key_len)
{
    struct engine_matcher *m = vctx;
    const struct idx_obj *o = idx_obj_at(m->e->ix, num);

    if (!reportable(m, num))
        return 0;
    if (o->flags & IDX_F_CANDIDATE) {
        const struct pattern *pat = engine_pattern_of(m->e, num);
        if (!pat || !pattern_eval(pat, m->scratch, m->pvals, m->n_pvals, NULL))
            return 0;
    }
    return emit_hit(m, num, via, key, key_len, 0);
}

/* The host of a canonical URL as a domain or address value (into out->text, cap
 * bytes), if any. */
static int url_host(const char *url, size_t len, struct canon_value *out, size_t cap)
{
    const char *p = memchr(url, ':', len), *end = url + len, *h, *q;
    enum obs_kind k = OBS_DOMAIN;

    if (!p || end - p < 3 || p[1] != '/' || p[2] != '/')
        return 0;
    h = p + 3;
    for (q = h; q < end && *q != '/' && *q != '?'; q++)
        if (*q == '@')
            h = q + 1;
    for (q = h; q < end && *q != '/' && *q != '?' && *q != ':'; q++)
        if (*q == '[')
            return 0; /* IPv6 literal hosts: looked up as the URL only */
    if (q == h)
        return 0;
    if (obs_normalize(OBS_IPV4, h, (size_t)(q - h), out->text, cap, &out->len, NULL, &k, NULL)) {
        k = OBS_DOMAIN;
        if (obs_normalize(OBS_DOMAIN, h, (size_t)(q - h), out->text, cap, &out->len, NULL, &k, NULL))
            return 0;
    }
    out->kind = k;
    return 1;
}

size_t engine_match_observation(struct engine_matcher *m, const struct engine_value *values,
                             size_t n, int64_t now_us, engine_hit_fn fn, void *ctx)
{
    struct engine *e = m->e;
    size_t n_in = n < ENGINE_MATCH_MAX_VALUES ? n : ENGINE_MATCH_MAX_VALUES;

    m->n_vals = 0;
    for (size_t i = 0; i < n_in; i++) {
        struct canon_value *v = &m->vals[m->n_vals];
        enum obs_kind fast;
        int k;
        enum obs_kind real;
        if (obs_canonical_kind(values[i].value, values[i].len, &fast) &&
            (values[i].kind_hint < 0 || values[i].kind_hint == (int)fast)) {
            memcpy(v->text, values[i].value, values[i].len);
            v->text[values[i].len] = '\0';
            v->len = values[i].len;
            real = fast;
            goto canonical;
        }
        if (values[i].kind_hint < 0 && obs_unguessable(values[i].value, values[i].len))
            continue;
        k = values[i].kind_hint >= 0 ? values[i].kind_hint : obs_guess_kind(values[i].value, values[i].len);
        if (k < 0)
            continue;
        real = (enum obs_kind)k;
        if (obs_normalize((enum obs_kind)k, values[i].value, values[i].len, v->text,
                          OBS_MAX_LEN + 1, &v->len, NULL, &real, NULL))
            continue;
    canonical:
        v->kind = real;
        v->field = values[i].field;
        obs_path_of_kind(real, &m->pvals[m->n_vals].object_type, &m->pvals[m->n_vals].path);
        m->pvals[m->n_vals].value = v->text;
        m->n_vals++;
    }
    /* A URL's host is looked up as a domain or address (an exact indicator for
     * evil.example meets http://a.evil.example/x): the evaluator, which confirms the
     * candidates found so, sees it too, or the same term would mean two things. */
    m->n_hosts = 0;
    m->n_pvals = m->n_vals;
    for (size_t i = 0; i < m->n_vals; i++) {
        struct canon_value *h = &m->hosts[m->n_hosts];
        m->host_of[i] = -1;
        if (m->vals[i].kind != OBS_URL || !url_host(m->vals[i].text, m->vals[i].len, h, HOST_MAX))
            continue;
        h->field = m->vals[i].field;
        obs_path_of_kind(h->kind, &m->pvals[m->n_pvals].object_type, &m->pvals[m->n_pvals].path);
        m->pvals[m->n_pvals++].value = h->text;
        m->host_of[i] = (int)m->n_hosts++;
    }
    m->now = now_us;
    m->fn = fn;
    m->ctx = ctx;
    m->n_hits = 0;
    m->stop = 0;
    engine_versions_memo_start(&m->memo); /* the index may change between observations */
    engine_read_lock(e);
    /* the patterns evaluated on every value that this principal may see, live now:
     * decided once per observation, so that the others cost nothing per value */
    m->n_scan = 0;
    m->scan_all = m->n_vals && e->n_scan > m->cap_scan && grow_scan(m, e->n_scan);
    for (size_t s = 0; m->n_vals && !m->scan_all && s < e->n_scan; s++) {
        uint32_t num = e->scan_objs[s];
        const struct pattern *pat = engine_pattern_of(e, num);
        if (!pat || !reportable(m, num))
            continue;
        m->scan_nums[m->n_scan] = num;
        m->scan_pats[m->n_scan++] = pat;
    }
    /* start every value's Bloom-word load before the first lookup waits on one */
    for (size_t i = 0; i < m->n_vals; i++)
        idx_prefetch(e->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len);
    for (size_t i = 0; i < m->n_vals && !m->stop; i++) {
        m->cur = &m->vals[i];
        m->n_seen = 0;
        idx_lookup(e->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len, on_index_hit, m);
        if (m->host_of[i] >= 0 && !m->stop) {
            const struct canon_value *host = &m->hosts[m->host_of[i]];
            m->cur = host;
            idx_lookup(e->ix, host->kind, host->text, host->len, on_index_hit, m);
        }
        /* patterns without an index key: evaluated on each value */
        for (size_t s = 0; s < m->n_scan && !m->stop; s++) {
            m->cur = &m->vals[i];
            if (pattern_eval(m->scan_pats[s], m->scratch, &m->pvals[i], 1, NULL))
                emit_hit(m, m->scan_nums[s], IDX_VIA_EXACT, "", 0, 1);
        }
        for (size_t s = 0; m->scan_all && s < e->n_scan && !m->stop; s++) {
            uint32_t num = e->scan_objs[s];
            const struct pattern *pat = engine_pattern_of(e, num);
            m->cur = &m->vals[i];
            if (pat && reportable(m, num) && pattern_eval(pat, m->scratch, &m->pvals[i], 1, NULL))
                emit_hit(m, num, IDX_VIA_EXACT, "", 0, 1);
        }
    }
    engine_read_unlock(e);
    return m->n_hits;
}
