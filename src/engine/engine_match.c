/* engine/engine_match.c - matching one observation (a log line's values, or an API
 * item) against the index for one principal: each value is recognised as canonical
 * in one pass or guessed and normalised (obs/obs.h), looked up (exact, parent
 * domains, CIDR ranges; a URL's host too), and every object found is reported only if
 * it is a live detection indicator that the matcher's principal may read
 * (tlp_can_read). Candidate patterns are confirmed with pattern_eval on the whole
 * observation, the hosts of its URLs included (the index looks them up as domains, so
 * the evaluator sees them too); patterns without an index key (scan) are evaluated on
 * every value, those the principal may see only (chosen once per matcher while the
 * index stays as it is), and their hits are marked (engine_hit.scan) so that their
 * sightings tell their author nothing (domain/svc_sighting.c).
 *
 * What patterns cost is charged to their submitter and their owner
 * (engine_set_limits): each submitting user, and each organisation (all its members
 * together, a budget worth several users'), has a budget of steps per value, and one
 * for the matcher's life, which its patterns (candidates confirmed on the value's
 * lookups, scan patterns evaluated on it) share; one that runs out makes the rest of
 * that user's (or organisation's) patterns no match for the value, and leaves every
 * other user's budget untouched. So one organisation's patterns cost any reader at
 * most its budget per value, and a member's costly patterns cannot hide a colleague's
 * (docs/security.md, R1). The index's
 * hits are budgeted the same way, counted in hits reported (on_index_hit), per
 * submitting user and per organisation (its members together): past a budget, that
 * user's or organisation's further postings under the value's keys are passed over
 * with a flag test, so that its 20 000 indicators for "com" cost others little, and a
 * member's indicators never spend a colleague's budget.
 *
 * A hit through a key wider than its owner could know of - a range shorter than the
 * limits' widths, a range of an owner whose live ranges together take in more than
 * the limits' space (engine_space_over), a parent domain shorter than the value's
 * registrable domain (obs_wide_parent) - is marked (engine_hit.wide) for the same
 * reason as a scan pattern's: its sighting must tell its owner nothing.
 *
 * A struct engine_matcher holds the scratch of one thread's matches (the canonical
 * values, about 65 KiB), so that matching allocates nothing once its lists have
 * grown. The readers' lock is held for one observation at a time. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "obs/ip.h"
#include "rules/observe.h"

#define MAX_SEEN 64
#define HOST_MAX 256 /* a URL's canonical host: a domain (at most 253 bytes) or an address */

struct canon_value {
    const char *field;
    enum obs_kind kind;
    char *text;           /* in the matcher's text buffer */
    size_t len;
};

/* Index-hit budgets of an organisation or of one of its members. */
struct hit_budget {
    uint64_t value;       /* the value (engine_matcher.value_seq) left is for */
    uint64_t left;        /* index hits left on that value */
    uint64_t run;         /* index hits left in the matcher's life */
    uint64_t spent;       /* the last value on which its index hits ran out */
};

/* One organisation's budgets in a matcher (engine_set_limits); PATTERN_NO_BUDGET
 * when there is none. */
struct owner_budget {
    int64_t org;
    uint64_t value;       /* the value (engine_matcher.value_seq) value_left is for */
    uint64_t value_left;  /* steps left on that value */
    uint64_t run_left;    /* steps left in the matcher's life */
    uint64_t spent_value; /* the last value on which it ran out */
    uint64_t n_spent;     /* values on which it ran out */
    struct hit_budget hits; /* its index hits, all its members' together */
};

/* One submitting user's index-hit budgets in a matcher (docs/security.md, N3): a
 * member's indicators spend its own, so that one member's cannot hide another's. */
struct user_budget {
    int64_t org, user;
    struct hit_budget hits;
    uint64_t value;       /* the value (engine_matcher.value_seq) value_left is for */
    uint64_t value_left;  /* steps of its patterns left on that value */
    uint64_t run_left;    /* steps left in the matcher's life */
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
    /* the budgets of the organisations whose patterns the matcher evaluated */
    struct owner_budget *budgets;
    size_t n_budgets, cap_budgets;
    uint64_t value_seq;    /* values looked at so far: value_left is per value */
    uint64_t n_spent;      /* (organisation, value) pairs whose budget ran out */
    long last_slot;        /* the budget slot last asked for by owner (index hits
                            * come in runs of one organisation's), or -1 */
    struct user_budget *users; /* the submitters whose indicators were hits */
    size_t n_users, cap_users;
    long last_user;        /* the user slot last asked for, or -1 */
    /* the last owner whose range space was asked for (engine_space_over), and at
     * which epoch: over4/over6 */
    int64_t space_org;
    uint64_t space_epoch;
    int space_known, space_over4, space_over6;
    int hit_budgets;       /* the engine has index-hit budgets */
    /* the scan patterns (no index key) the principal may see, live, with their
     * owners' budgets: decided when the index or the time changes (scan_epoch,
     * scan_now); scan_all when there was no memory for the list */
    uint32_t *scan_nums;
    const struct pattern **scan_pats;
    uint32_t *scan_budget; /* index in budgets[] */
    size_t n_scan, cap_scan;
    int scan_all, scan_known;
    uint64_t scan_epoch;
    int64_t scan_now;
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
    m->last_slot = -1;
    m->last_user = -1;
    m->hit_budgets = e->limits.hit_value_budget || e->limits.hit_run_budget || e->limits.hit_org_value_budget ||
                     e->limits.hit_org_run_budget;
    for (size_t i = 0; i <= ENGINE_MATCH_MAX_VALUES; i++)
        m->vals[i].text = m->text[i];
    for (size_t i = 0; i < ENGINE_MATCH_MAX_VALUES; i++)
        m->hosts[i].text = m->host_text[i];
    if (pattern_scratch_new(&e->limits.regex, &m->scratch, err)) {
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
    free(m->budgets);
    free(m->users);
    free(m->scan_nums);
    free(m->scan_pats);
    free(m->scan_budget);
    free(m);
}

uint64_t engine_matcher_regex_limited(const struct engine_matcher *m)
{
    return m ? pattern_scratch_limited(m->scratch) : 0;
}

void engine_matcher_budgets_add(const struct engine_matcher *m, struct engine_budget_totals *t)
{
    if (!m || !m->n_spent)
        return;
    t->values += m->n_spent;
    engine_read_lock(m->e);
    for (size_t i = 0; i < m->n_budgets; i++) {
        const struct owner_budget *b = &m->budgets[i];
        const char *id = engine_owner_identity(m->e, b->org);
        size_t k = 0;
        if (!b->n_spent)
            continue;
        while (k < t->n_owners && strcmp(t->owners[k].identity, id))
            k++;
        if (k == t->n_owners && k < ENGINE_BUDGET_OWNERS) {
            snprintf(t->owners[k].identity, sizeof t->owners[k].identity, "%s", id);
            t->owners[k].values = 0;
            t->n_owners++;
        }
        if (k < t->n_owners)
            t->owners[k].values += b->n_spent;
    }
    engine_read_unlock(m->e);
}

/* ---- budgets ---- */

static uint64_t budget_or_none(uint64_t steps)
{
    return steps ? steps : PATTERN_NO_BUDGET;
}

/* The index in m->budgets of org's budgets (made the first time), or -1 when out of
 * memory. */
static long budget_slot(struct engine_matcher *m, int64_t org)
{
    struct owner_budget *b;

    for (size_t i = 0; i < m->n_budgets; i++)
        if (m->budgets[i].org == org)
            return (long)i;
    if (m->n_budgets == m->cap_budgets) {
        size_t cap = m->cap_budgets ? 2 * m->cap_budgets : 8;
        b = realloc(m->budgets, cap * sizeof *b);
        if (!b)
            return -1;
        m->budgets = b;
        m->cap_budgets = cap;
    }
    b = &m->budgets[m->n_budgets];
    memset(b, 0, sizeof *b);
    b->org = org;
    b->run_left = budget_or_none(m->e->limits.org_run_budget);
    b->hits.run = budget_or_none(m->e->limits.hit_org_run_budget);
    return (long)m->n_budgets++;
}

/* The index in m->users of (org, user)'s hit budgets (made the first time, the last
 * one asked for first), or -1 when out of memory. */
static long user_slot(struct engine_matcher *m, int64_t org, int64_t user)
{
    struct user_budget *b;
    size_t i;

    if (m->last_user >= 0 && m->users[m->last_user].org == org && m->users[m->last_user].user == user)
        return m->last_user;
    for (i = 0; i < m->n_users; i++)
        if (m->users[i].org == org && m->users[i].user == user)
            return m->last_user = (long)i;
    if (m->n_users == m->cap_users) {
        size_t cap = m->cap_users ? 2 * m->cap_users : 8;
        b = realloc(m->users, cap * sizeof *b);
        if (!b)
            return -1;
        m->users = b;
        m->cap_users = cap;
    }
    b = &m->users[m->n_users];
    memset(b, 0, sizeof *b);
    b->org = org;
    b->user = user;
    b->hits.run = budget_or_none(m->e->limits.hit_run_budget);
    b->run_left = budget_or_none(m->e->limits.run_budget);
    return m->last_user = (long)m->n_users++;
}

/* The budget slot of org, the last one asked for first. */
static long budget_slot_cached(struct engine_matcher *m, int64_t org)
{
    if (m->last_slot >= 0 && m->budgets[m->last_slot].org == org)
        return m->last_slot;
    m->last_slot = budget_slot(m, org);
    return m->last_slot;
}

/* How many more index hits budget b (NULL: none could be made), whose whole per
 * value is per_value, allows on the current value. */
static uint64_t hit_room(struct engine_matcher *m, struct hit_budget *b, uint64_t per_value)
{
    if (!b)
        return 0;
    if (b->value != m->value_seq) {
        b->value = m->value_seq;
        b->left = budget_or_none(per_value);
    }
    return b->left < b->run ? b->left : b->run;
}

/* One index hit charged to b. */
static void hit_charge(struct hit_budget *b)
{
    if (b->left != PATTERN_NO_BUDGET)
        b->left--;
    if (b->run != PATTERN_NO_BUDGET)
        b->run--;
}

/* What the organisation of budget slot i (-1: none could be made) and its member of
 * user slot u (-1: none could be made) may still spend on the current value: the
 * smaller of the two. */
static uint64_t budget_room(struct engine_matcher *m, long i, long u)
{
    struct owner_budget *b;
    struct user_budget *ub;
    uint64_t room;

    if (i < 0 || u < 0)
        return 0;
    b = &m->budgets[i];
    if (b->value != m->value_seq) {
        b->value = m->value_seq;
        b->value_left = budget_or_none(m->e->limits.org_value_budget);
    }
    ub = &m->users[u];
    if (ub->value != m->value_seq) {
        ub->value = m->value_seq;
        ub->value_left = budget_or_none(m->e->limits.value_budget);
    }
    room = b->value_left < b->run_left ? b->value_left : b->run_left;
    if (ub->value_left < room)
        room = ub->value_left;
    return ub->run_left < room ? ub->run_left : room;
}

/* used steps charged to a budget's left on the value and in the matcher's life. */
static void steps_charge(uint64_t *value_left, uint64_t *run_left, uint64_t used)
{
    if (*value_left != PATTERN_NO_BUDGET)
        *value_left -= used < *value_left ? used : *value_left;
    if (*run_left != PATTERN_NO_BUDGET)
        *run_left -= used < *run_left ? used : *run_left;
}

/* The organisation of slot i ran out on the current value: counted once per value. */
static void budget_spent(struct engine_matcher *m, long i)
{
    if (i >= 0 && m->budgets[i].spent_value == m->value_seq)
        return;
    if (i >= 0) {
        m->budgets[i].spent_value = m->value_seq;
        m->budgets[i].n_spent++;
    }
    m->n_spent++;
}

/* pattern_eval() of pat, submitted by user of organisation slot i's, on vals within
 * the budgets of the organisation and of that member (docs/security.md, N3 and R1),
 * charged to both: so a member's costly patterns spend its own budget and its
 * organisation's, never a colleague's. */
static int eval_charged(struct engine_matcher *m, long i, int64_t user, const struct pattern *pat,
                        const struct pattern_value *vals, size_t n)
{
    long u = i >= 0 ? user_slot(m, m->budgets[i].org, user) : -1;
    uint64_t room = budget_room(m, i, u), used;
    int r;

    if (!room) {
        budget_spent(m, i);
        return 0;
    }
    pattern_scratch_budget(m->scratch, room);
    r = pattern_eval(pat, m->scratch, vals, n, NULL);
    if (room != PATTERN_NO_BUDGET) {
        used = room - pattern_scratch_budget_left(m->scratch);
        steps_charge(&m->budgets[i].value_left, &m->budgets[i].run_left, used);
        steps_charge(&m->users[u].value_left, &m->users[u].run_left, used);
    }
    if (pattern_scratch_budget_spent(m->scratch))
        budget_spent(m, i);
    return r;
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
    uint32_t *nums = realloc(m->scan_nums, n * sizeof *nums), *slots;
    const struct pattern **pats;

    if (!nums)
        return 1;
    m->scan_nums = nums;
    pats = realloc(m->scan_pats, n * sizeof *pats);
    if (!pats)
        return 1;
    m->scan_pats = pats;
    slots = realloc(m->scan_budget, n * sizeof *slots);
    if (!slots)
        return 1;
    m->scan_budget = slots;
    m->cap_scan = n;
    return 0;
}

/* The budget slot of indexed object num's owner. */
static long owner_slot(struct engine_matcher *m, uint32_t num)
{
    struct tlp_meta meta;

    engine_obj_meta(m->e, num, &meta);
    return budget_slot(m, meta.owner_org);
}

/* The scan patterns m's principal may see, live at m->now, with their owners' budget
 * slots: listed again only when the index changed (the epoch) or the time did. Under
 * the read lock. */
static void list_scan(struct engine_matcher *m)
{
    struct engine *e = m->e;

    if (m->scan_known && m->scan_epoch == e->epoch && m->scan_now == m->now)
        return;
    m->n_scan = 0;
    m->scan_all = e->n_scan > m->cap_scan && grow_scan(m, e->n_scan);
    for (size_t s = 0; !m->scan_all && s < e->n_scan; s++) {
        uint32_t num = e->scan_objs[s];
        const struct pattern *pat = engine_pattern_of(e, num);
        long slot;
        if (!pat || !reportable(m, num))
            continue;
        slot = owner_slot(m, num);
        if (slot < 0) {
            m->scan_all = 1; /* every pattern per value, as without the list */
            m->n_scan = 0;
            break;
        }
        m->scan_nums[m->n_scan] = num;
        m->scan_pats[m->n_scan] = pat;
        m->scan_budget[m->n_scan++] = (uint32_t)slot;
    }
    m->scan_known = !m->scan_all;
    m->scan_epoch = e->epoch;
    m->scan_now = m->now;
}

/* The space of range prefix length bits in the units of kind (IPv4 addresses, IPv6
 * /64 networks), added to *sum without wrapping. */
static void space_add(uint64_t *sum, enum obs_kind kind, int bits)
{
    int shift = kind == OBS_IPV6 ? 64 - bits : 32 - bits;
    uint64_t n;

    if (shift < 0)
        shift = 0; /* an IPv6 range longer than /64 counts as a /64 */
    n = shift >= 64 ? UINT64_MAX : (uint64_t)1 << shift;
    *sum = *sum > UINT64_MAX - n ? UINT64_MAX : *sum + n;
}

struct space_walk {
    struct engine *e;
    int64_t now;
};

/* idx_each_range: one range of a live detection indicator, not wide by its width,
 * added to its owner's space; an IPv6 range in a prefix that embeds IPv4 addresses
 * (NAT64, 6to4, ...: ip_v6_embedded_v4) counts as the IPv4 range it takes in. */
static void space_one(void *vctx, enum obs_kind kind, int prefix, const void *net, uint32_t num)
{
    struct space_walk *w = vctx;
    struct engine *e = w->e;
    const struct idx_obj *o = idx_obj_at(e->ix, num);
    int v4 = kind == OBS_IPV6 ? ip_v6_embedded_v4(net, prefix) : -1, min;
    size_t i = e->n_space;

    if (v4 >= 0) {
        kind = OBS_IPV4;
        prefix = v4;
    }
    min = kind == OBS_IPV6 ? e->limits.wide_prefix6 : e->limits.wide_prefix4;

    if (!o || !(o->flags & IDX_F_DETECT) || (o->flags & (IDX_F_REVOKED | IDX_F_DEAD)))
        return;
    if (o->valid_until <= w->now || prefix < min)
        return; /* expired; or wide already, so it tells its owner nothing */
    if (i && e->space[i - 1].org == o->owner_org)
        i--; /* one owner's ranges come in runs */
    else
        for (i = 0; i < e->n_space && e->space[i].org != o->owner_org; i++)
            ;
    if (i == e->n_space) {
        if (e->n_space == e->cap_space) {
            size_t cap = e->cap_space ? 2 * e->cap_space : 16;
            struct engine_space *s = realloc(e->space, cap * sizeof *s);
            if (!s)
                return; /* counted as over: see engine_space_over */
            e->space = s;
            e->cap_space = cap;
        }
        memset(&e->space[i], 0, sizeof e->space[i]);
        e->space[i].org = o->owner_org;
        e->n_space++;
    }
    space_add(kind == OBS_IPV6 ? &e->space[i].v6 : &e->space[i].v4, kind, prefix);
}

/* Do the live ranges of org, not wide by their width, take in more than the limits'
 * space (*over4 for IPv4, *over6 for IPv6)? Summed once per epoch for every owner,
 * under the read lock, by the first matcher that asks (a walk of the index's range
 * postings); expired indicators are left out, ones not yet valid counted. An owner
 * left out for want of memory is over. */
static void engine_space_over(struct engine *e, int64_t org, int64_t now, int *over4, int *over6)
{
    size_t i;

    pthread_mutex_lock(&e->space_mu);
    if (!e->space_known || e->space_epoch != e->epoch) {
        struct space_walk w = {e, now};
        e->n_space = 0;
        idx_each_range(e->ix, space_one, &w);
        e->space_known = 1;
        e->space_epoch = e->epoch;
    }
    for (i = 0; i < e->n_space && e->space[i].org != org; i++)
        ;
    if (i == e->n_space) {
        *over4 = *over6 = 1; /* none live (a race with memory): say over, the safe side */
    } else {
        *over4 = e->limits.wide_space4 && e->space[i].v4 > e->limits.wide_space4;
        *over6 = e->limits.wide_space6 && e->space[i].v6 > e->limits.wide_space6;
    }
    pthread_mutex_unlock(&e->space_mu);
}

/* Does a hit via key (key_len bytes, the index's canonical text) of an indicator of
 * org take in more than its owner should hear of (engine_hit.wide)? A range shorter
 * than the limits' widths, or of an owner whose ranges together take in more than
 * the limits' space; a parent domain shorter than the value's registrable domain. */
static int wide_key(struct engine_matcher *m, enum idx_via via, const char *key, size_t key_len, int64_t org)
{
    const char *slash;
    int bits = 0, min, v6;

    if (via == IDX_VIA_PARENT)
        return obs_wide_parent(key, key_len, m->cur->text, m->cur->len);
    if (via != IDX_VIA_RANGE)
        return 0;
    /* idx_hit_fn: a range's key text is "/<prefix length>" */
    v6 = m->cur->kind == OBS_IPV6;
    slash = memchr(key, '/', key_len);
    if (!slash)
        return 0;
    for (const char *q = slash + 1; q < key + key_len && *q >= '0' && *q <= '9' && bits <= 128; q++)
        bits = bits * 10 + (*q - '0');
    if (v6) {
        /* a range in a prefix that embeds IPv4 addresses (NAT64, 6to4, Teredo, ::/96;
         * the value is in the range, so in that prefix when the range is) is judged
         * by the IPv4 range it takes in, and counted in the IPv4 space (space_one) */
        uint8_t a[16];
        int v4 = !ip_v6_addr(m->cur->text, m->cur->len, a) ? ip_v6_embedded_v4(a, bits) : -1;
        if (v4 >= 0) {
            v6 = 0;
            bits = v4;
        }
    }
    min = v6 ? m->e->limits.wide_prefix6 : m->e->limits.wide_prefix4;
    if (bits < min)
        return 1;
    if (!(v6 ? m->e->limits.wide_space6 : m->e->limits.wide_space4))
        return 0;
    if (!m->space_known || m->space_org != org || m->space_epoch != m->e->epoch) {
        engine_space_over(m->e, org, m->now, &m->space_over4, &m->space_over6);
        m->space_org = org;
        m->space_epoch = m->e->epoch;
        m->space_known = 1;
    }
    return v6 ? m->space_over6 : m->space_over4;
}

/* Report object num, found via key (key_len bytes; "" for a scan pattern's hit), once
 * per value; slot, uslot: the organisation's and the submitter's budget slots an index
 * hit is charged to (engine_set_limits), -1 for none; slot SCAN_HIT for a scan
 * pattern's hit. */
#define SCAN_HIT (-2)
static int emit_hit(struct engine_matcher *m, uint32_t num, enum idx_via via, const char *key,
                    size_t key_len, long slot, long uslot)
{
    char id[300], matched[OBS_MAX_LEN + 1];
    struct engine_hit h;
    int scan = slot == SCAN_HIT;

    for (size_t i = 0; i < m->n_seen; i++)
        if (m->seen[i] == num)
            return 0;
    if (slot >= 0)
        hit_charge(&m->budgets[slot].hits);
    if (uslot >= 0)
        hit_charge(&m->users[uslot].hits);
    if (m->n_seen < MAX_SEEN)
        m->seen[m->n_seen++] = num;
    engine_versions_obj_id(m->e, num, id, sizeof id);
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
    h.matched = key_len && via != IDX_VIA_RANGE ? matched : m->cur->text; /* a range: the address */
    {
        struct tlp_meta meta;
        engine_obj_meta(m->e, num, &meta);
        h.wide = !scan && wide_key(m, via, key, key_len, meta.owner_org);
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

/* An object under one of the value's keys. With index-hit budgets, a submitter (and
 * an organisation, all its members together) whose budget for the value (or the
 * matcher) is spent has its further postings passed over before anything else is
 * looked at, so that its thousand indicators under one key ("com") cost others one
 * flag test each; a member's indicators spend its own budget and its organisation's,
 * never a colleague's. The value is counted as spent (for the organisation) only once
 * a further posting that the principal may see is passed over, so that the count
 * tells of nothing it may not see. */
static int on_index_hit(void *vctx, uint32_t num, enum idx_via via, const char *key, size_t key_len)
{
    struct engine_matcher *m = vctx;
    const struct idx_obj *o = idx_obj_at(m->e->ix, num);
    long slot = -1, uslot = -1;

    if (!(o->flags & IDX_F_DETECT))
        return 0;
    if (m->hit_budgets) {
        struct hit_budget *ob, *ub;
        int org_full, user_full;
        slot = budget_slot_cached(m, o->owner_org);
        ob = slot >= 0 ? &m->budgets[slot].hits : NULL;
        if (ob && ob->spent == m->value_seq)
            return 0;
        uslot = user_slot(m, o->owner_org, o->submitter);
        ub = uslot >= 0 ? &m->users[uslot].hits : NULL;
        if (ub && ub->spent == m->value_seq)
            return 0;
        org_full = !hit_room(m, ob, m->e->limits.hit_org_value_budget);
        user_full = !hit_room(m, ub, m->e->limits.hit_value_budget);
        if (org_full || user_full) {
            if (reportable(m, num)) {
                if (org_full && ob)
                    ob->spent = m->value_seq;
                if (user_full && ub)
                    ub->spent = m->value_seq;
                budget_spent(m, slot); /* slot -1 (no memory for it): counted all the same */
            }
            return 0;
        }
    }
    if (!reportable(m, num))
        return 0;
    if (o->flags & IDX_F_CANDIDATE) {
        const struct pattern *pat = engine_pattern_of(m->e, num);
        if (!pat || !eval_charged(m, owner_slot(m, num), o->submitter, pat, m->pvals, m->n_pvals))
            return 0;
    }
    return emit_hit(m, num, via, key, key_len, slot, uslot);
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
     * decided once while the index stays as it is, so that the others cost nothing */
    if (m->n_vals && e->n_scan)
        list_scan(m);
    else
        m->n_scan = m->scan_all = 0;
    /* start every value's Bloom-word load before the first lookup waits on one */
    for (size_t i = 0; i < m->n_vals; i++)
        idx_prefetch(e->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len);
    for (size_t i = 0; i < m->n_vals && !m->stop; i++) {
        m->cur = &m->vals[i];
        m->n_seen = 0;
        m->value_seq++; /* a new value: every organisation's budget for it is whole */
        if (!e->limits.hit_run_budget && !e->limits.run_budget) {
            /* the users' budgets are per value only: so their list stays as short as
             * one value's submitters, however long the matcher lives (mreza match) */
            m->n_users = 0;
            m->last_user = -1;
        }
        idx_lookup(e->ix, m->vals[i].kind, m->vals[i].text, m->vals[i].len, on_index_hit, m);
        if (m->host_of[i] >= 0 && !m->stop) {
            const struct canon_value *host = &m->hosts[m->host_of[i]];
            m->cur = host;
            idx_lookup(e->ix, host->kind, host->text, host->len, on_index_hit, m);
        }
        /* patterns without an index key: evaluated on each value */
        for (size_t s = 0; s < m->n_scan && !m->stop; s++) {
            m->cur = &m->vals[i];
            if (eval_charged(m, (long)m->scan_budget[s], idx_obj_at(e->ix, m->scan_nums[s])->submitter,
                             m->scan_pats[s], &m->pvals[i], 1))
                emit_hit(m, m->scan_nums[s], IDX_VIA_EXACT, "", 0, SCAN_HIT, -1);
        }
        for (size_t s = 0; m->scan_all && s < e->n_scan && !m->stop; s++) {
            uint32_t num = e->scan_objs[s];
            const struct pattern *pat = engine_pattern_of(e, num);
            m->cur = &m->vals[i];
            if (pat && reportable(m, num) &&
                eval_charged(m, owner_slot(m, num), idx_obj_at(e->ix, num)->submitter, pat, &m->pvals[i], 1))
                emit_hit(m, num, IDX_VIA_EXACT, "", 0, SCAN_HIT, -1);
        }
    }
    engine_read_unlock(e);
    return m->n_hits;
}
