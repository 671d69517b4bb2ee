/* domain/svc_ingest.c - writing a bundle: validate every object, store it, all or
 * nothing, in one durable transaction.
 *
 * The refusals that need no store read (R6.1's skew, the node's own types and
 * identity: provenance_precheck) are made by the validation workers, beside
 * stix_validate, so the writer meets them as early as the object's batch. The write
 * lock is held while the bundle is read, refused or stored: the second re-attack's
 * L4 proposed a first pass without the lock, so that a bundle refused at its last
 * object never takes it, but a valid bundle of the same size (or the same one posted
 * again: duplicates are read under the lock too) holds it as long, and the second
 * parse cost every write 40 % (bench/ingest: import 1.39, post 1.42 against one pass).
 * What bounds how long one bundle holds the lock is http.max_body (docs/security.md).
 *
 * JSON parsing and STIX validation cost more than the SQLite inserts, and SQLite
 * allows one writer, so large bundles are spread over the cores: a byte scan finds
 * every object's span (bundle_spans), two worker threads parse and validate batches
 * of 256 objects into a ring of 16 slots, and the calling thread, which owns the
 * store transaction, inserts the batches in order. Any error (the first in bundle
 * order wins) stops everyone; the transaction is then rolled back, so nothing of the
 * bundle is stored. Small bodies are done on the calling thread alone. Ownership: a
 * slot's items own their parsed json_t (the strings of their stix_info point into
 * it) until the writer has stored them.
 *
 * When svc_init() has installed the allocation hooks, each batch's parse trees are
 * built in that batch's arena (util/arena.h) and dropped all at once when the batch
 * is reused, instead of being freed node by node: jansson's allocator calls go to
 * the arena of the thread that is parsing (tl_arena), and to malloc/free elsewhere.
 *
 * Per-object mode (SVC_INGEST_PER_OBJECT, TAXII POST: docs/federation.md 8.2) keeps
 * every rule and the one transaction, but an object that is refused becomes a failed
 * item instead of failing the write. Most refusals come before the object writes
 * anything; the one that comes after (the scan-pattern quota) is undone alone: a
 * scan indicator is written inside a savepoint of its own (store_savepoint), rolled
 * back when refused, and the writer forgets what it had read of that id. Any other
 * failure after an object started writing (a store error) fails the whole write. It
 * runs on the calling thread alone, one object after the other. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/observe.h"
#include "rules/stix.h"
#include "domain/authz.h"
#include "domain/model.h"
#include "domain/provenance.h"
#include "domain/svc.h"
#include "rules/tlp.h"
#include "util/log.h"
#include "util/arena.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define BATCH_OBJECTS 256
#define QUEUE_BATCHES 16           /* at most 16 x 256 objects in flight */
#define PIPELINE_MIN_BYTES (1 << 20) /* smaller bodies are done on one thread */
/* svc_ingest_validated inside its caller's transaction (not an svc_ingest_flags flag):
 * the object's writes get a savepoint only when a refusal can come after them */
#define INGEST_IN_CALLER 0x100u

struct item {
    json_t *obj;
    struct stix_info info;
    const char *raw;
    size_t raw_len;
};

struct batch {
    struct item items[BATCH_OBJECTS];
    int n;
    struct mz_arena arena; /* the items' parse trees, when arenas are on */
};

#define BATCH_ARENA_CHUNK (1 << 20)

/* The arena jansson allocates from on this thread, or NULL for malloc/free. Only
 * the producer thread ever sets it, and only while it parses into a batch. */
static __thread struct mz_arena *tl_arena;
static int arenas_on; /* set once by svc_init(), before any thread starts */

static void *json_alloc_hook(size_t n)
{
    return tl_arena ? mz_arena_alloc(tl_arena, n) : malloc(n);
}

static void json_free_hook(void *p)
{
    if (!tl_arena)
        free(p); /* arena memory is released with its arena */
}

enum mz_err svc_init(void)
{
    json_set_alloc_funcs(json_alloc_hook, json_free_hook);
    arenas_on = 1;
    return mz_random_init();
}

/* ---- results ---- */

void svc_ingest_result_free(struct svc_ingest_result *r)
{
    if (!r)
        return;
    free(r->items);
    free(r->strings);
    memset(r, 0, sizeof *r);
}

const char *svc_item_id(const struct svc_ingest_result *r, size_t i)
{
    return r->strings + r->items[i].id_off;
}

const char *svc_item_version(const struct svc_ingest_result *r, size_t i)
{
    return r->strings + r->items[i].version_off;
}

static enum mz_err pool_add(struct svc_ingest_result *r, const char *s, size_t *off_out)
{
    size_t n = strlen(s) + 1;

    if (r->strings_len + n > r->strings_cap) {
        size_t ncap = r->strings_cap ? r->strings_cap * 2 : 4096;
        char *p;
        while (ncap < r->strings_len + n)
            ncap *= 2;
        p = realloc(r->strings, ncap);
        if (!p)
            return MZ_ENOMEM;
        r->strings = p;
        r->strings_cap = ncap;
    }
    memcpy(r->strings + r->strings_len, s, n);
    *off_out = r->strings_len;
    r->strings_len += n;
    return MZ_OK;
}

const char *svc_item_reason(const struct svc_ingest_result *r, size_t i)
{
    return r->strings + r->items[i].reason_off;
}

/* What became of one object of a write, as its poster is told (docs/model.md R5). */
struct outcome {
    int level, defaulted, raised, inherited;
    int duplicate, skipped, capped, warn_narrow, warn_copy;
    char reason[1024]; /* skipped: why; warn_copy: the owner whose copy is replaced */
};

static enum mz_err record(struct svc_ingest_result *res, const struct stix_info *info, const struct outcome *o,
                          int failed)
{
    struct svc_put_item *it;
    int kind = failed || o->skipped;

    res->n_total++;
    res->n_skipped += o->skipped;
    res->n_failed += failed != 0;
    res->n_new += !o->duplicate && !o->skipped && !failed;
    res->n_duplicate += o->duplicate;
    res->n_defaulted += o->defaulted && !o->skipped;
    res->n_raised += o->raised && !o->skipped;
    res->n_inherited += o->inherited;
    /* per-object mode: the counts are exact, the items stop at the status's cap (a
     * million refused objects keep no million reasons: the fifth re-attack's F5) */
    if (res->keep_max && res->kept[kind] >= res->keep_max)
        return MZ_OK;
    if (res->n_items == res->cap) {
        size_t ncap = res->cap ? res->cap * 2 : 64;
        struct svc_put_item *n = realloc(res->items, ncap * sizeof *n);
        if (!n)
            return MZ_ENOMEM;
        res->items = n;
        res->cap = ncap;
    }
    it = &res->items[res->n_items];
    if (pool_add(res, info->id, &it->id_off) || pool_add(res, info->version, &it->version_off))
        return MZ_ENOMEM;
    it->reason_off = it->version_off + strlen(info->version); /* "" */
    if (o->reason[0] && pool_add(res, o->reason, &it->reason_off))
        return MZ_ENOMEM;
    it->match_plan = info->match_plan;
    it->tlp = o->level;
    it->tlp_defaulted = o->defaulted;
    it->tlp_raised = o->raised;
    it->tlp_inherited = o->inherited;
    it->duplicate = o->duplicate;
    it->skipped = o->skipped;
    it->capped = o->capped;
    it->warn_narrow = o->warn_narrow;
    it->warn_copy = o->warn_copy;
    it->failed = failed != 0;
    res->n_items++;
    res->kept[kind]++;
    return MZ_OK;
}

/* ---- the writer's side ---- */

/* The versions of the ids a bundle writes are read once per bundle, not once per
 * version: the writer keeps the last MODEL_SLOTS ids' (least recently used out) and
 * reads of each only the rows added since (model_load_more). Reading all of an id's
 * rows for every version made a bundle of 999 versions of an id of 21 000 rows take
 * 27 s under the write lock (the third re-attack's N1); ingest.max_versions_per_org_id
 * bounds an id's rows for whatever order a bundle takes. */
#define MODEL_SLOTS 16

struct model_slot {
    char *id;              /* the id m holds, or NULL */
    struct model_id m;
    uint64_t used;         /* when last used (writer.tick) */
};

struct writer {
    struct store *st;
    const struct principal *p;
    struct store_write_ctx wctx;
    struct provenance pv;  /* reserved ids and created_by_ref (provenance.h) */
    struct svc_ingest_result *res;
    struct model_slot models[MODEL_SLOTS]; /* the versions of the ids being written */
    uint64_t tick;         /* models[].used */
    long skew;             /* ingest.max_future_skew, seconds, or -1 */
    const struct bundle_limits *lim; /* R6.5's caps, author=self, narrow_revocation */
    int64_t latest_ok;     /* R6.1: a version time after this (seconds) is refused; INT64_MAX: unchecked */
    /* per-object mode: the object being put has started writing (writing), inside a
     * savepoint of its own (in_savepoint: only when a refusal can still come after
     * its write, the scan-pattern quota) */
    int writing, in_savepoint;
    uint64_t comm;         /* the communities the versions are shared into (issue 11) */
    unsigned flags;        /* enum svc_ingest_flags */
    const struct svc_receipt *rcpt; /* a peer's version: written with its receipt, or NULL */
};

_Static_assert(STORE_PLAN_SCAN == OBSERVE_SCAN, "the store's index of scan indicators names the plan");

/* A pattern evaluated on every value costs every member's matcher on every value: a
 * submitter keeps at most SVC_SCAN_PER_SUBMITTER of them live in an organisation.
 * Counted per submitter, among the versions it posted itself (store_count_scan),
 * never per organisation: a colleague's, a RED one addressed to someone else
 * included, would make the reply tell of versions the poster may not read
 * (docs/model.md R5). An organisation's patterns are bounded all together by the
 * matcher's budget (match.regex_budget), whatever their number. Counted after the
 * write, under the write lock, so a new version of one counts once and an older
 * version arriving late not at all. */
static enum mz_err check_scan_quota(struct writer *w, struct mz_error *err)
{
    int64_t n = 0;
    enum mz_err rc = store_count_scan(w->st, w->wctx.owner_org, w->wctx.submitter, &n, err);

    if (!rc && n > SVC_SCAN_PER_SUBMITTER)
        rc = mz_error_set(err, MZ_ECONFLICT, "/pattern",
                          "you already have %d live indicators evaluated on every value "
                          "(match plan scan: no =, IN or ISSUBSET term the index can look up); revoke one of yours, "
                          "or give this pattern such a term",
                          SVC_SCAN_PER_SUBMITTER);
    return rc;
}

/* R6.1: a version dated more than ingest.max_future_skew after the clock would stay
 * "newest" against every honest later version (the 9999-12-31 "whitelist
 * it"): refused, naming the property that dates it. SCOs carry no version time. */
static enum mz_err check_skew(const struct writer *w, const struct item *it, struct mz_error *err)
{
    const struct stix_info *info = &it->info;
    struct mz_time t;

    if (w->latest_ok == INT64_MAX || !info->version[0] || mz_time_parse(info->version, &t))
        return MZ_OK;
    if (t.sec < w->latest_ok || (t.sec == w->latest_ok && t.nsec == 0))
        return MZ_OK;
    return mz_error_set(err, MZ_EINVAL, json_object_get(it->obj, "modified") ? "/modified" : "/created",
                        "'%.40s' lies more than %lld seconds after the node's clock (ingest.max_future_skew): "
                        "a version may not be dated in the future",
                        info->version, (long long)(w->skew));
}

/* The refusals that need no store read, made on every object before the write lock
 * is taken (validation workers included: it only reads w). */
static enum mz_err precheck(const struct writer *w, const struct item *it, struct mz_error *err)
{
    enum mz_err rc = provenance_precheck(&w->pv, &it->info, err);

    return rc ? rc : check_skew(w, it, err);
}

/* The versions of id as the store holds them now, in a slot of w's (*out). */
static enum mz_err writer_model(struct writer *w, const char *id, struct model_id **out, struct mz_error *err)
{
    struct model_slot *s = NULL, *lru = &w->models[0];
    enum mz_err rc;

    for (int i = 0; i < MODEL_SLOTS && !s; i++) {
        if (w->models[i].id && !strcmp(w->models[i].id, id))
            s = &w->models[i];
        else if (w->models[i].used < lru->used)
            lru = &w->models[i];
    }
    if (s) {
        rc = model_load_more(w->st, id, &s->m, err);
    } else {
        s = lru;
        free(s->id);
        s->id = NULL;
        rc = model_load(w->st, id, &s->m, err);
        if (!rc && !(s->id = strdup(id)))
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    if (rc) {
        free(s->id);
        s->id = NULL;
        model_free(&s->m);
        return rc;
    }
    s->used = ++w->tick;
    *out = &s->m;
    return MZ_OK;
}

/* Forget what w holds of id's versions (per-object mode: its writes were rolled
 * back, so the slot may hold rows that are no longer there). */
static void writer_model_drop(struct writer *w, const char *id)
{
    for (int i = 0; i < MODEL_SLOTS; i++)
        if (w->models[i].id && !strcmp(w->models[i].id, id)) {
            free(w->models[i].id);
            w->models[i].id = NULL;
            model_free(&w->models[i].m);
            memset(&w->models[i].m, 0, sizeof w->models[i].m);
            w->models[i].used = 0;
        }
}

static void writer_models_free(struct writer *w)
{
    for (int i = 0; i < MODEL_SLOTS; i++) {
        free(w->models[i].id);
        model_free(&w->models[i].m);
    }
}

/* Is the object it says the same as stored version seq, as JSON values (key order and
 * layout aside: docs/model.md's digest)? Read only when a version key collides. */
static enum mz_err identical(struct writer *w, const struct item *it, int64_t seq, int *same, struct mz_error *err)
{
    char *body = NULL;
    size_t len = 0;
    json_t *stored;
    enum mz_err rc = store_body(w->st, seq, &body, &len, err);

    *same = 0;
    if (rc)
        return rc;
    stored = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    *same = stored && json_equal(stored, it->obj);
    json_decref(stored);
    free(body);
    return MZ_OK;
}

/* Do two versions name the same creator (created_by_ref, or none: NULL or "")?
 * Identities compare without regard to case, as provenance.c compares them. */
static int same_creator(const char *a, const char *b)
{
    if (!a || !*a || !b || !*b)
        return (!a || !*a) && (!b || !*b);
    return strcasecmp(a, b) == 0;
}


/* The owner's name for the poster (an organisation, or the node). */
static void owner_name(struct writer *w, int64_t org, char *out, size_t cap)
{
    struct store_org o;

    if (org == 0)
        snprintf(out, cap, "the node");
    else if (store_org_by_id(w->st, org, &o, NULL) == MZ_OK)
        snprintf(out, cap, "%s", o.name);
    else
        snprintf(out, cap, "organisation %lld", (long long)org);
}

/* docs/model.md R1: where the version goes and what its poster is told, decided on
 * the versions of the id the poster may read (R5); then stored. */
static enum mz_err put_item(struct writer *w, const struct item *it, struct mz_error *err)
{
    const struct stix_info *info = &it->info;
    const struct principal *p = w->p;
    struct tlp_decision d = tlp_decide(info->tlp, info->tlp_granular);
    struct model_id *m = NULL;
    struct provenance_creator cr;
    struct store_object_in in;
    struct store_write_ctx wctx = w->wctx;
    struct outcome o;
    enum store_put_result put;
    const char *audience = info->audience;
    int64_t org = p->org.id, newest = -1;
    int target = -1, ko = -1, kp = -1, personal = 0, cx, same;
    enum mz_err rc = provenance_check(&w->pv, info, &cr, err);

    memset(&o, 0, sizeof o);
    o.level = (int)d.level;
    o.defaulted = d.defaulted;
    o.raised = d.raised;
    /* (R6.1's skew was checked with the other refusals that need no store read:
     * precheck, before every put_item) */
    if (!rc)
        rc = writer_model(w, info->id, &m, err);
    if (rc)
        return rc;
    /* 1. a version naming another member (or the node) as creator is never p's */
    if (cr.other_org >= 0) {
        o.skipped = 1;
        for (size_t i = 0; i < m->n && !rc; i++) {
            const struct model_ver *v = &m->v[i];
            if (v->owner_org != cr.other_org || strcmp(v->vkey, info->version_key) || !model_may_read(p, v))
                continue;
            rc = identical(w, it, v->seq, &same, err);
            if (!rc && same) {
                o.skipped = 0;
                o.duplicate = 1;
            }
        }
        if (o.skipped)
            snprintf(o.reason, sizeof o.reason,
                     "%.300s is %.128s's object: only %.128s versions it (STIX 2.1 section 3.6); to correct it, post your own "
                     "object with a derived-from relationship, a note or an opinion",
                     info->id, cr.other_name, cr.other_name);
        return rc ? rc : record(w->res, info, &o, 0);
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        if (v->owner_org == org && v->owner_user == 0)
            ko = v->obj;
        if (v->owner_org == org && p->user.id && v->owner_user == p->user.id)
            kp = v->obj;
    }
    /* 2. its organisation's object, if it may read a version of it; 3. else its own
     * personal object (also when the version key is that of a version it may not read) */
    if (ko >= 0) {
        int reads = 0, hidden_key = 0;
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].obj == ko) {
                int r = model_may_read(p, &m->v[i]);
                reads |= r;
                hidden_key |= !r && !strcmp(m->v[i].vkey, info->version_key);
            }
        target = reads && !hidden_key ? ko : kp;
        personal = target < 0 || target == kp;
    }
    if (target >= 0)
        for (size_t i = 0; i < m->n && !rc; i++) {
            const struct model_ver *v = &m->v[i];
            if (v->obj != target || strcmp(v->vkey, info->version_key) || !model_may_read(p, v))
                continue;
            rc = identical(w, it, v->seq, &same, err);
            if (rc)
                return rc;
            /* an SCO's re-post with other properties is answered as today */
            if (same || m->sco) {
                o.duplicate = 1;
                return record(w->res, info, &o, 0);
            }
            return mz_error_set(err, MZ_ECONFLICT, info->version[0] ? "/modified" : "/id",
                                "version %s of %s is already stored with other content: post a new version "
                                "with a later `modified`",
                                info->version, info->id);
        }
    /* R9: a version names the creator its object's other versions name (STIX 2.1
     * section 3.6), compared with those the poster may read (R5) */
    for (size_t i = 0; target >= 0 && i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        if (v->obj == target && model_may_read(p, v) && !same_creator(v->created_by, info->created_by_ref))
            return mz_error_set(err, MZ_EINVAL, "/created_by_ref",
                                "`created_by_ref` may not change between versions of one object (STIX 2.1 section "
                                "3.6): its version %.32s names %.64s; post other content as a new object (a new id)",
                                v->version, v->created_by && *v->created_by ? v->created_by : "no creator");
    }
    /* R3.3: an unmarked version inherits the marking and audience of the version it
     * supersedes (the newest older one the poster may read) */
    if (d.defaulted) {
        const struct model_ver *src = NULL;
        for (size_t i = 0; target >= 0 && i < m->n; i++) {
            const struct model_ver *v = &m->v[i];
            if (v->obj == target && strcmp(v->vkey, info->version_key) < 0 && model_may_read(p, v) &&
                (!src || model_newer(m->sco, v, src)))
                src = v;
        }
        if (src) {
            o.level = src->tlp;
            o.defaulted = 0;
            o.inherited = 1;
            if (!audience)
                audience = src->audience;
        }
    }
    /* a peer's version is stored at the level its admission saw, or not at all: an
     * unmarked one inheriting GREEN from an earlier version must not reach
     * communities admitted for AMBER (the fifth re-attack's F2; svc_sync.c) */
    if (w->lim->admitted_tlp && o.level != w->lim->admitted_tlp - 1)
        return mz_error_set(err, MZ_EFORBIDDEN, "/object_marking_refs",
                            "this unmarked version would inherit %s from an earlier version (R3.3), and was admitted "
                            "as %s: send it with its marking",
                            tlp_name((enum tlp_level)o.level), tlp_name((enum tlp_level)(w->lim->admitted_tlp - 1)));
    /* R6.3 and R3.4, against the earlier versions the poster may read */
    {
        struct tlp_meta mine = {o.level, org, p->user.id, audience, w->comm, NULL, 0};
        for (size_t i = 0; target >= 0 && i < m->n; i++) {
            const struct model_ver *v = &m->v[i];
            struct tlp_meta theirs;
            model_meta(v, &theirs);
            if (v->obj != target || !model_may_read(p, v) || strcmp(v->vkey, info->version_key) > 0)
                continue;
            if (v->revoked)
                return mz_error_set(err, MZ_ECONFLICT, "/modified",
                                    "%s was revoked in version %s, and revocation is permanent (STIX 2.1 section "
                                    "3.6): no later version is accepted",
                                    info->id, v->version);
            if (tlp_narrower(&theirs, &mine)) {
                if (info->revoked && !w->lim->narrow_revocation)
                    return mz_error_set(err, MZ_ECONFLICT, "/object_marking_refs",
                                        "a revocation must reach the readers of what it revokes: some who read "
                                        "version %.40s may not read this one (post with narrow_revocation=true to "
                                        "revoke it for fewer readers all the same)",
                                        v->version);
                o.warn_narrow = 1;
            }
        }
    }
    /* R6.5: the versions of one object are capped, counted among those the poster
     * may read, and those it submitted itself to it or to its organisation's object,
     * withdrawn or not (R5: the answer never depends on a version hidden from it; its
     * own it knows of). Withdrawing its versions from everyone, itself included,
     * makes no room for more, nor does the personal object that post then starts. */
    if ((target >= 0 || ko >= 0) && w->lim->max_versions > 0) {
        long n = 0;
        for (size_t i = 0; i < m->n; i++) {
            const struct model_ver *v = &m->v[i];
            int own = p->user.id > 0 && v->submitter == p->user.id;
            n += (v->obj == target && (own || model_may_read(p, v))) || (own && v->obj == ko && ko != target);
        }
        if (n >= w->lim->max_versions)
            return mz_error_set(err, MZ_ECONFLICT, info->version[0] ? "/modified" : "/id",
                                "%s already has %ld versions (ingest.max_versions): post a new object (a new id) "
                                "and relate it to this one",
                                info->id, n);
    }
    /* R6.5: the rows of one id an organisation holds - its object and its members'
     * personal objects, withdrawn versions included - are capped
     * (ingest.max_versions_per_org_id), so that members (as many as an admin makes)
     * cannot each stack ingest.max_versions on one id, withdraw them and go on. Its
     * reporters' versions count against one allowance, its other members' (analysts,
     * admins) against another as large, so that reporters cannot keep its staff from
     * revoking or correcting its object (the fourth re-attack's R3). A version counts
     * by its submitter's role (users.role: no command changes a user's role today;
     * should one ever, it would move versions from one allowance to the other, so all
     * of them together are capped at twice the allowance as well, and no cycle of role
     * changes could grow an id past it: N1). The count
     * includes colleagues' versions the poster may not read, so the refusal tells no
     * number (R5). */
    if (w->lim->max_versions_per_org_id > 0) {
        int reporter = authz_reporter_class(p->role);
        long n = 0, all = 0;
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].owner_org == org) {
                all++;
                n += m->v[i].by_reporter == reporter;
            }
        if (n >= w->lim->max_versions_per_org_id || all >= 2 * w->lim->max_versions_per_org_id)
            return mz_error_set(err, MZ_ECONFLICT, info->version[0] ? "/modified" : "/id",
                                "%s holds as many versions from organisation %s (by its %s) as this node keeps of "
                                "one id, withdrawn ones included (ingest.max_versions_per_org_id): post a new "
                                "object (a new id) and relate it to this one",
                                info->id, p->org.name, reporter ? "reporters" : "analysts and admins");
    }
    /* R6.5: objects of one id from a peer are capped (members' are not: nobody may
     * keep another organisation from holding its own copy) */
    if (target < 0 && w->lim->max_objects_per_id > 0 && m->n_obj >= w->lim->max_objects_per_id) {
        MZ_LOG(MZ_LOG_WARN, "event=objects_per_id_cap id=%s objects=%d owner=%lld", info->id, m->n_obj,
               (long long)org);
        o.skipped = o.capped = 1;
        snprintf(o.reason, sizeof o.reason,
                 "%.300s has as many objects here as sync.max_objects_per_id allows: not stored", info->id);
        return record(w->res, info, &o, 0);
    }
    /* 4. anything else: a new object of its organisation (or its personal one) */
    if (target < 0 && !personal) {
        for (size_t i = 0; i < m->n && !o.warn_copy; i++)
            if (model_may_read(p, &m->v[i])) {
                char name[STORE_NAME_LEN];
                owner_name(w, m->v[i].owner_org, name, sizeof name);
                o.warn_copy = 1;
                snprintf(o.reason, sizeof o.reason, "%s", name);
            }
    }
    if (target < 0 && m->n > 0 && (personal || m->v[0].attested))
        MZ_LOG(MZ_LOG_INFO, "event=claim_conflict id=%s first_owner=%lld owner=%lld user=%lld", info->id,
               (long long)m->v[0].owner_org, (long long)org, (long long)(personal ? p->user.id : 0));
    wctx.owner_user = personal ? p->user.id : 0;
    /* `latest` of its object, and whether the id now needs the model's choice */
    cx = m->cx || (m->n > 0 && (info->revoked || target < 0));
    for (size_t i = 0; i < m->n; i++) {
        const struct model_ver *v = &m->v[i];
        if (target >= 0 && v->obj == target && (newest < 0 || strcmp(v->vkey, m->v[newest].vkey) > 0))
            newest = (int64_t)i;
        cx |= v->revoked || v->tlp != o.level || v->submitter != p->user.id ||
              strcmp(v->audience ? v->audience : "", audience ? audience : "") || v->comm != w->comm ||
              (v->shared_to && *v->shared_to);
    }
    /* per-object mode: from here the object writes. Only the scan-pattern quota
     * refuses after the write, so only a scan indicator pays for a savepoint (one
     * per object cost a TAXII POST of 100 000 SCOs twice REST's time: the fifth
     * re-attack's F8); any other failure from here fails the whole write */
    if (w->flags & (SVC_INGEST_PER_OBJECT | INGEST_IN_CALLER)) {
        if (info->match_plan == OBSERVE_SCAN) {
            rc = store_savepoint(w->st, err);
            if (rc)
                return rc;
            w->in_savepoint = 1;
        }
        w->writing = 1;
    }
    if (cx && !m->cx && m->n > 0) {
        rc = store_mark_cx(w->st, info->id, err);
        for (size_t i = 0; !rc && i < m->n; i++)
            m->v[i].cx = 1; /* as the store now holds them */
        m->cx |= !rc;
    }
    if (rc)
        return rc;
    memset(&in, 0, sizeof in);
    in.stix_id = info->id;
    in.type = info->type;
    in.version = info->version;
    in.version_key = info->version_key;
    in.created_by = info->created_by_ref;
    in.tlp = o.level;
    in.tlp_defaulted = o.defaulted;
    in.tlp_inherited = o.inherited;
    in.revoked = info->revoked;
    in.audience = audience;
    in.body = info->standard_body ? info->standard_body : it->raw;
    in.body_len = info->standard_body ? strlen(info->standard_body) : it->raw_len;
    in.observables = info->observables;
    in.match_plan = info->match_plan;
    in.valid_from = info->valid_from;
    in.valid_until = info->valid_until;
    in.cx = cx;
    in.comm = w->comm;
    if (w->rcpt) { /* a peer's version: its objects.via and received row, with it */
        in.via = w->rcpt->node;
        in.via_collection = w->rcpt->collection;
        in.remote_added = w->rcpt->remote_added;
    }
    /* attested (Terms): a v4 id whose first version names its owner as creator, or
     * has no creator and was posted with author=self (R9) */
    in.attested = (cr.own || (w->lim->author_self && !info->created_by_ref)) && stix_id_uuid_version(info->id) == 4;
    if (target >= 0 && newest >= 0)
        in.attested = m->v[newest].attested;
    in.latest_hint = target < 0 || newest < 0                               ? STORE_LATEST_FIRST
                     : strcmp(info->version_key, m->v[newest].vkey) > 0 ? STORE_LATEST_NEWER
                                                                         : STORE_LATEST_OLDER;
    rc = store_put_object(w->st, &wctx, &in, &put, err);
    if (!rc && put == STORE_PUT_NEW && in.match_plan == OBSERVE_SCAN)
        rc = check_scan_quota(w, err);
    if (!rc)
        rc = record(w->res, info, &o, 0);
    if (rc == MZ_ENOMEM)
        mz_error_set(err, rc, "", "out of memory");
    return rc;
}

static void item_release(struct item *it)
{
    stix_info_clear(&it->info);
    json_decref(it->obj);
    it->obj = NULL;
}

/* ---- per-object mode (TAXII POST): a refused object is a failed item ---- */

/* Errors that are the node's, not the object's: they fail the whole write. */
static int fatal(enum mz_err rc)
{
    return rc == MZ_ENOMEM || rc == MZ_EIO || rc == MZ_EBUSY;
}

/* A string member of obj, if it is a short one ("" otherwise): what a failed item
 * is named by, since a refused object may have no valid id or version. */
static const char *member_text(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v && strlen(v) < 256 ? v : "";
}

/* Record object index (obj) as refused with e's message. */
static enum mz_err record_failure(struct svc_ingest_result *res, json_t *obj, size_t index, const struct mz_error *e)
{
    struct stix_info info;
    struct outcome o;
    const char *version = member_text(obj, "modified");

    memset(&info, 0, sizeof info);
    memset(&o, 0, sizeof o);
    info.id = member_text(obj, "id");
    info.version = *version ? version : member_text(obj, "created");
    snprintf(o.reason, sizeof o.reason, "%s: %s (/objects/%zu%s)", mz_err_name(e->code),
             e->msg[0] ? e->msg : "refused", index, e->field);
    return record(res, &info, &o, 1);
}

/* One object in per-object mode: its writes are undone alone if it is refused after
 * them (a savepoint, put_item takes it when a refusal can still come: the
 * scan-pattern quota); a refusal before any write needs nothing undone. */
static enum mz_err per_object_one(struct writer *w, struct item *it, size_t index, struct mz_error *err)
{
    struct mz_error e;
    enum mz_err rc;

    mz_error_clear(&e);
    w->writing = w->in_savepoint = 0;
    rc = stix_validate(it->obj, &it->info, &e);
    if (!rc)
        rc = precheck(w, it, &e);
    if (!rc)
        rc = put_item(w, it, &e);
    if (w->in_savepoint) {
        w->in_savepoint = 0;
        if (!rc)
            return store_savepoint_release(w->st, err);
        if (store_savepoint_rollback(w->st, err))
            return err->code;
        writer_model_drop(w, it->info.id);
    } else if (!rc) {
        return MZ_OK;
    } else if (w->writing && !fatal(rc)) {
        /* refused after a write with no savepoint to undo it (a store error): the
         * whole write fails and is rolled back, never kept in part */
        *err = e;
        return rc;
    }
    if (fatal(rc)) {
        *err = e;
        return rc;
    }
    rc = record_failure(w->res, it->obj, index, &e);
    if (rc)
        mz_error_set(err, rc, "", "out of memory");
    return rc;
}

/* ---- single thread: validate and put each object as it is split ---- */

static enum mz_err inline_one(void *ctx, json_t *obj, const char *raw, size_t raw_len,
                              size_t index, struct mz_error *err)
{
    struct writer *w = ctx;
    struct item it = {obj, {0}, raw, raw_len};
    enum mz_err rc;

    if (w->flags & SVC_INGEST_PER_OBJECT) {
        rc = per_object_one(w, &it, index, err);
        stix_info_clear(&it.info);
        return rc;
    }
    rc = stix_validate(obj, &it.info, err);
    (void)index; /* bundle_split() names the object in err */
    if (!rc)
        rc = precheck(w, &it, err);
    if (!rc)
        rc = put_item(w, &it, err);
    stix_info_clear(&it.info);
    return rc;
}

/* ---- several threads: workers parse and validate batches, the caller writes ---- */

#define N_WORKERS 2

static void free_batch_items(struct batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (arenas_on)
            stix_info_clear(&b->items[i].info); /* the tree goes with the arena */
        else
            item_release(&b->items[i]);
    }
    b->n = 0;
    mz_arena_reset(&b->arena);
}

enum slot_state {
    SLOT_FREE = 0,
    SLOT_FILLING,
    SLOT_READY
};

/* Batch k lives in slot k % QUEUE_BATCHES. */
struct slot {
    struct batch b;
    size_t k;
    enum slot_state state;
    enum mz_err rc;           /* the worker's error in this batch, if any */
    struct mz_error err;
};

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *buf;
    const struct bundle_span *spans;
    const struct writer *w;   /* read by the workers (precheck) */
    size_t n_spans, n_batches;
    int was_bundle;
    size_t next_k;    /* the next batch a worker takes */
    size_t consumed;  /* batches the writer is done with */
    int stop;
    struct slot *slots;
};

/* Parse and validate batch k into slot s (no lock held). */
static void fill_slot(struct pipe *pp, struct slot *s, size_t k)
{
    size_t first = k * BATCH_OBJECTS, last = first + BATCH_OBJECTS;

    if (last > pp->n_spans)
        last = pp->n_spans;
    s->b.n = 0;
    s->rc = MZ_OK;
    mz_error_clear(&s->err);
    tl_arena = arenas_on ? &s->b.arena : NULL;
    for (size_t i = first; i < last && !s->rc; i++) {
        struct item *it = &s->b.items[s->b.n];
        json_t *obj = NULL;
        s->rc = bundle_parse_object(pp->buf, &pp->spans[i], &obj, &s->err);
        if (!s->rc)
            s->rc = stix_validate(obj, &it->info, &s->err);
        if (!s->rc) {
            it->obj = obj; /* (precheck names the property from it) */
            s->rc = precheck(pp->w, it, &s->err);
        }
        if (s->rc) {
            char prefix[48];
            stix_info_clear(&it->info);
            if (!arenas_on)
                json_decref(obj);
            if (pp->was_bundle) {
                snprintf(prefix, sizeof prefix, "/objects/%zu", i);
                mz_error_prefix_field(&s->err, prefix);
            }
            break;
        }
        it->obj = obj;
        it->raw = pp->buf + pp->spans[i].off;
        it->raw_len = pp->spans[i].len;
        s->b.n++;
    }
    tl_arena = NULL;
}

static void *worker(void *arg)
{
    struct pipe *pp = arg;

    for (;;) {
        struct slot *s;
        size_t k;
        pthread_mutex_lock(&pp->lock);
        if (pp->stop || pp->next_k >= pp->n_batches) {
            pthread_mutex_unlock(&pp->lock);
            return NULL;
        }
        k = pp->next_k++;
        s = &pp->slots[k % QUEUE_BATCHES];
        /* the slot is free once the writer is done with batch k - QUEUE_BATCHES */
        while (!pp->stop && (s->state != SLOT_FREE || k >= pp->consumed + QUEUE_BATCHES))
            pthread_cond_wait(&pp->cond, &pp->lock);
        if (pp->stop) {
            pthread_mutex_unlock(&pp->lock);
            return NULL;
        }
        s->state = SLOT_FILLING;
        pthread_mutex_unlock(&pp->lock);
        fill_slot(pp, s, k);
        pthread_mutex_lock(&pp->lock);
        s->k = k;
        s->state = SLOT_READY;
        pthread_cond_broadcast(&pp->cond);
        pthread_mutex_unlock(&pp->lock);
    }
}

static enum mz_err write_batches(struct writer *w, struct pipe *pp, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (size_t k = 0; k < pp->n_batches && !rc; k++) {
        struct slot *s = &pp->slots[k % QUEUE_BATCHES];
        pthread_mutex_lock(&pp->lock);
        while (!(s->state == SLOT_READY && s->k == k))
            pthread_cond_wait(&pp->cond, &pp->lock);
        pthread_mutex_unlock(&pp->lock);
        for (int i = 0; !rc && i < s->b.n; i++) {
            rc = put_item(w, &s->b.items[i], err);
            if (rc && pp->was_bundle) {
                char prefix[48];
                snprintf(prefix, sizeof prefix, "/objects/%zu", k * BATCH_OBJECTS + (size_t)i);
                mz_error_prefix_field(err, prefix);
            }
        }
        if (!rc && s->rc) {
            rc = s->rc;
            *err = s->err;
        }
        free_batch_items(&s->b);
        pthread_mutex_lock(&pp->lock);
        s->state = SLOT_FREE;
        pp->consumed = k + 1;
        if (rc)
            pp->stop = 1;
        pthread_cond_broadcast(&pp->cond);
        pthread_mutex_unlock(&pp->lock);
    }
    return rc;
}

static enum mz_err run_pipeline(struct writer *w, const char *buf, size_t len,
                                const struct bundle_limits *lim, struct mz_error *err)
{
    struct pipe pp;
    pthread_t tids[N_WORKERS];
    struct bundle_span *spans = NULL;
    size_t n_spans = 0;
    int started = 0;
    enum mz_err rc = bundle_spans(buf, len, lim, &spans, &n_spans, &w->res->was_bundle, err);

    if (rc)
        return rc;
    memset(&pp, 0, sizeof pp);
    pp.slots = calloc(QUEUE_BATCHES, sizeof *pp.slots);
    if (!pp.slots) {
        free(spans);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    for (int i = 0; i < QUEUE_BATCHES; i++)
        mz_arena_init(&pp.slots[i].b.arena, BATCH_ARENA_CHUNK);
    pthread_mutex_init(&pp.lock, NULL);
    pthread_cond_init(&pp.cond, NULL);
    pp.buf = buf;
    pp.w = w;
    pp.spans = spans;
    pp.n_spans = n_spans;
    pp.n_batches = (n_spans + BATCH_OBJECTS - 1) / BATCH_OBJECTS;
    pp.was_bundle = w->res->was_bundle;
    for (int i = 0; i < N_WORKERS; i++) {
        if (pthread_create(&tids[i], NULL, worker, &pp) != 0)
            break;
        started++;
    }
    if (!started)
        rc = mz_error_set(err, MZ_ENOMEM, "", "cannot start the ingest threads");
    else
        rc = write_batches(w, &pp, err);
    pthread_mutex_lock(&pp.lock);
    pp.stop = 1;
    pthread_cond_broadcast(&pp.cond);
    pthread_mutex_unlock(&pp.lock);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < QUEUE_BATCHES; i++) {
        free_batch_items(&pp.slots[i].b); /* batches filled after the writer stopped */
        mz_arena_free(&pp.slots[i].b.arena);
    }
    free(pp.slots);
    pthread_mutex_destroy(&pp.lock);
    pthread_cond_destroy(&pp.cond);
    free(spans);
    return rc;
}

/* ingest.max_objects_per_org: the rows the poster's organisation holds once the
 * bundle is written, counted under the write lock before the commit (a bundle that
 * adds nothing new, duplicates, passes at the quota). The node's own writes
 * (organisation 0) have none. The count includes colleagues' versions the poster may
 * not read (a RED one addressed to others), so the refusal does not tell it. */
static enum mz_err check_org_quota(struct writer *w, struct mz_error *err)
{
    int64_t n = 0;
    enum mz_err rc;

    if (w->lim->max_objects_per_org <= 0 || w->wctx.owner_org == 0)
        return MZ_OK;
    rc = store_count_owned(w->st, w->wctx.owner_org, &n, err);
    if (!rc && n > w->lim->max_objects_per_org)
        rc = mz_error_set(err, MZ_ETOOBIG, "",
                          "this write would take organisation %s past its quota of %ld stored versions "
                          "(ingest.max_objects_per_org): nothing of it is stored; withdraw versions it no longer "
                          "needs, or ask the operator for a larger quota",
                          w->p->org.name, w->lim->max_objects_per_org);
    return rc;
}

/* The bundle's objects, read and written in order. */
static enum mz_err ingest_pass(struct writer *w, const char *buf, size_t len, const struct bundle_limits *lim,
                               struct mz_error *err)
{
    if (w->flags & SVC_INGEST_TAXII_ENVELOPE)
        return (w->res->was_bundle = 1), bundle_split_envelope(buf, len, lim, inline_one, w, err);
    /* per-object mode goes one object at a time: each has a savepoint of its own */
    if (len >= PIPELINE_MIN_BYTES && !(w->flags & SVC_INGEST_PER_OBJECT))
        return run_pipeline(w, buf, len, lim, err);
    return bundle_split(buf, len, lim, inline_one, w, &w->res->was_bundle, err);
}

enum mz_err svc_ingest(struct store *st, const struct principal *p, const char *buf, size_t len,
                       const struct bundle_limits *lim, struct svc_ingest_result *res,
                       struct mz_error *err)
{
    return svc_ingest_flags(st, p, buf, len, lim, 0, res, err);
}

/* How deep v nests (v itself is level 1), counted up to max + 1 only: the recursion
 * is bounded by max, whatever v is. */
static long tree_depth(json_t *v, long max)
{
    long d = 0, k;
    size_t i;
    const char *key;
    json_t *c;

    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (max < 1)
        return 1; /* a container past the budget: deeper than asked, whatever it holds */
    if (json_is_object(v)) {
        json_object_foreach(v, key, c) {
            k = tree_depth(c, max - 1);
            d = k > d ? k : d;
            if (d >= max)
                break;
        }
    } else {
        json_array_foreach(v, i, c) {
            k = tree_depth(c, max - 1);
            d = k > d ? k : d;
            if (d >= max)
                break;
        }
    }
    return d + 1;
}

/* The pass of svc_ingest_validated: one object, already parsed and validated, with
 * the refusals bundle_split and the pass make on a one-object body (nesting, then
 * precheck and put_item). Inside the caller's transaction (INGEST_IN_CALLER), as
 * per_object_one: a refusal after the object's writes (the scan-pattern quota) rolls
 * back its savepoint; any other failure after it began writing is made MZ_EIO, so
 * that the caller rolls back its whole transaction rather than keep a part. */
static enum mz_err validated_pass(struct writer *w, const struct item *it, const struct bundle_limits *lim,
                                  struct mz_error *err)
{
    struct mz_error e;
    enum mz_err rc;

    w->writing = w->in_savepoint = 0;
    if (tree_depth(it->obj, lim->max_depth) > lim->max_depth)
        return mz_error_set(err, MZ_EINVAL, "", "JSON is nested deeper than %ld levels (http.max_depth)",
                            lim->max_depth);
    rc = precheck(w, it, err);
    if (!rc)
        rc = put_item(w, it, err);
    if (w->in_savepoint) {
        w->in_savepoint = 0;
        if (!rc)
            return store_savepoint_release(w->st, err);
        mz_error_clear(&e);
        if (store_savepoint_rollback(w->st, &e)) {
            *err = e;
            return e.code ? e.code : MZ_EIO;
        }
        return rc; /* refused, its writes undone */
    }
    if (rc && w->writing && !fatal(rc)) {
        err->code = MZ_EIO;
        return MZ_EIO;
    }
    return rc;
}

static enum mz_err ingest_run(struct store *st, const struct principal *p, const char *buf, size_t len,
                              const struct item *one, const struct bundle_limits *lim,
                              const struct svc_receipt *rcpt, unsigned flags, struct svc_ingest_result *res,
                              struct mz_error *err);

enum mz_err svc_ingest_flags(struct store *st, const struct principal *p, const char *buf, size_t len,
                             const struct bundle_limits *lim, unsigned flags, struct svc_ingest_result *res,
                             struct mz_error *err)
{
    return ingest_run(st, p, buf, len, NULL, lim, NULL, flags, res, err);
}

enum mz_err svc_ingest_validated(struct store *st, const struct principal *p, json_t *obj,
                                 const struct stix_info *info, const char *raw, size_t raw_len,
                                 const struct bundle_limits *lim, const struct svc_receipt *rcpt,
                                 struct svc_ingest_result *res, struct mz_error *err)
{
    struct item it;
    /* the quota (ingest.max_objects_per_org) refuses after the write: the object
     * then goes in a savepoint of its own, as svc_ingest's */
    unsigned flags = lim->max_objects_per_org > 0 && p->org.id != 0 ? 0 : INGEST_IN_CALLER;

    it.obj = obj;
    it.info = *info; /* a shallow copy: the caller's, never cleared here */
    it.raw = raw;
    it.raw_len = raw_len;
    return ingest_run(st, p, NULL, 0, &it, lim, rcpt, flags, res, err);
}

/* svc_ingest_flags (one == NULL: the body buf) or svc_ingest_validated (one, rcpt). */
static enum mz_err ingest_run(struct store *st, const struct principal *p, const char *buf, size_t len,
                              const struct item *one, const struct bundle_limits *lim,
                              const struct svc_receipt *rcpt, unsigned flags, struct svc_ingest_result *res,
                              struct mz_error *err)
{
    struct writer w;
    enum mz_err rc;

    memset(res, 0, sizeof *res);
    memset(&w, 0, sizeof w);
    w.flags = flags;
    if ((flags & SVC_INGEST_PER_OBJECT) && lim->max_details > 0)
        res->keep_max = (size_t)lim->max_details;
    rc = authz_check(p, AUTHZ_OBJECT_WRITE, err);
    if (rc)
        return rc;
    w.st = st;
    w.p = p;
    w.wctx.owner_org = p->org.id;
    w.wctx.submitter = p->user.id;
    w.wctx.date_added = NULL; /* stamped by the store under the write lock, row by row */
    w.rcpt = rcpt;
    w.res = res;
    w.skew = lim->max_future_skew;
    w.lim = lim;
    w.latest_ok = INT64_MAX;
    w.comm = STORE_COMM_NATIONAL;
    if (lim->max_future_skew >= 0) {
        struct mz_time now;
        mz_time_now(&now);
        w.latest_ok = now.sec + lim->max_future_skew;
    }
    /* the communities the versions are shared into: those named, or national; the
     * poster's organisation writes to each (docs/federation.md section 2). Decided
     * once per bundle, before the write lock and the pass (no object changes it): a
     * community's bit never changes, and the memberships are the principal's. */
    if (lim->communities)
        rc = svc_community_mask(st, p, lim->communities, 1, &w.comm, err);
    else if (!(p->comm_write & STORE_COMM_NATIONAL))
        rc = mz_error_set(err, MZ_EFORBIDDEN, "community",
                          "your organisation (%s) is no write-member of the national community: name a community "
                          "it may share into (community=...)",
                          p->org.name);
    if (rc)
        return rc;
    if (!(flags & INGEST_IN_CALLER))
        rc = store_begin(st, err);
    if (rc)
        return rc;
    rc = provenance_init(&w.pv, st, p, err);
    if (!rc)
        rc = one ? validated_pass(&w, one, lim, err) : ingest_pass(&w, buf, len, lim, err);
    if (!rc)
        rc = check_org_quota(&w, err);
    /* (INGEST_IN_CALLER: the caller's transaction, which it commits, or rolls back
     * on MZ_EIO: validated_pass) */
    if (!(flags & INGEST_IN_CALLER)) {
        if (!rc)
            rc = store_commit(st, err);
        else
            store_rollback(st);
    }
    writer_models_free(&w);
    if (rc)
        svc_ingest_result_free(res);
    return rc;
}
