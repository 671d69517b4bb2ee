/* domain/svc_objects.c - reading STIX objects under TLP (writing is svc_ingest.c).
 * Reads ask the store with the reader's grants (tlp_visibility) and then check
 * every row again with tlp_can_read, so that no row reaches a reader unless the one
 * TLP function says so. Every path serves a reader at most one object per id, the
 * newest version it may read of it (docs/model.md R2-R4): the store hands each id's
 * latest row, and every row of the few ids it marks `cx` (several objects, versions
 * read by different readers, revoked or withdrawn versions), for which model.c makes
 * the choice; filters were applied by the store to the rows, so they apply to the
 * version chosen, never dig out another. Under the id of a standard marking definition (rules/tlp.h)
 * only the standard's text is ever served, whatever a row holds (a copy stored
 * before copies were checked may say anything). A list's page (svc_list) is decided
 * here, never by the store's row count: full when limit rows are served and one more
 * is found for the reader, or cut short when its work (svc_query.work) is spent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/cursor.h"
#include "rules/stix.h"
#include "domain/campaign.h"
#include "domain/model.h"
#include "domain/svc.h"
#include "domain/svc_cursor.h"
#include "rules/tlp.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid.h"

/* The TAXII part of q (svc_taxii.c checked it) into sq: the ids, the versions, and the
 * order - a community's collection its grants', a view p's effective grants' -
 * added_after then comparing with the grant's stamp (sq->after_us) instead of the
 * version's date_added. */
static enum mz_err to_taxii_query(struct store *st, const struct principal *p, const struct svc_query *q,
                                  struct store_query *sq)
{
    sq->ids = q->ids;
    sq->n_ids = q->n_ids;
    sq->all_versions = q->version_sel != SVC_VERSION_LAST;
    if (p->role == ROLE_PEER) {
        /* a peer reads what was posted here, never what another peer sent
         * (loop-free: docs/federation.md 10.4), every version, each by one path: a
         * community's collection its GREEN, mreza-direct every other level and the
         * node's directory (8.1) */
        sq->local_only = 1;
        sq->all_versions = 1;
        sq->lvl_mask = q->view == SVC_VIEW_COMMUNITY ? 1u << TLP_GREEN : ~(1u << TLP_GREEN);
        sq->directory = q->view == SVC_VIEW_COMMUNITY ? -1 : 1;
    }
    if (q->view == SVC_VIEW_COMMUNITY) {
        struct store_community k;
        enum mz_err rc = store_community_by_name(st, q->community, &k, NULL);
        if (rc)
            return rc;
        sq->grants_of = k.id;
    } else if (q->view == SVC_VIEW_DIRECT) {
        /* every row at its date_added: a version that is not GREEN is served at its
         * first grant, and no re-share moves it; and a version a peer may read only
         * since a later act (an AMBER pass-on to an organisation homed at a peer, a
         * binding of an identity it is addressed to) also at that act's stamp
         * (store_peer_stamp; the third attack's A10), so that a peer past its first
         * grant reads it there; not when it asks for ids (an object, its versions):
         * each version once */
        sq->order = STORE_ORDER_EFFECTIVE;
        sq->peer_stamps = q->n_ids == 0;
    } else {
        /* a view: each version at its effective grant for p (8.1): its first grant,
         * or for GREEN shared into p's read communities only after it was posted, its
         * first share there */
        sq->order = STORE_ORDER_EFFECTIVE;
        sq->view_comm = p->comm_read;
        sq->view_lvl = 1u << TLP_GREEN;
    }
    if (sq->added_after) {
        struct mz_time t;
        if (!mz_time_parse(sq->added_after, &t))
            sq->after_us = t.sec * 1000000 + t.nsec / 1000;
        sq->added_after = NULL;
    }
    return MZ_OK;
}

/* Does sq page by stamps (a collection, a view), not by sequence numbers (REST)? */
static int by_stamp(const struct store_query *sq)
{
    return sq->grants_of || sq->order == STORE_ORDER_EFFECTIVE;
}

/* q as the store runs it for p: filters checked and normalised, and the position of
 * q->next, which must be a token sealed for p and this query (svc_cursor.h). The
 * page key is read only when a token is given; *key_read says whether it was. */
static enum mz_err to_store_query(struct store *st, const struct principal *p, const struct svc_query *q,
                                  struct store_query *sq, char *added_after,
                                  unsigned char key[SVC_CURSOR_KEY_LEN], int *key_read, struct mz_error *err)
{
    enum mz_err rc;

    *key_read = 0;
    memset(sq, 0, sizeof *sq);
    sq->types = q->types;
    sq->n_types = q->n_types;
    sq->id = q->id;
    sq->created_by = q->created_by;
    sq->node_only = q->node_only;
    sq->tlp = q->tlp;
    sq->all_versions = q->all_versions;
    sq->limit = q->limit;
    sq->order = STORE_ORDER_ADDED;
    if (q->tlp < -1 || q->tlp >= TLP_N_LEVELS)
        return mz_error_set(err, MZ_EINVAL, "tlp", "tlp must be clear, green, amber, amber+strict or red");
    if (q->added_after) {
        struct mz_time t;
        if (mz_time_parse(q->added_after, &t))
            return mz_error_set(err, MZ_EINVAL, "added_after", "added_after must be an RFC 3339 UTC timestamp such as 2024-05-01T12:00:00Z");
        mz_time_format_us(&t, added_after);
        sq->added_after = added_after;
    }
    if (q->submitted_by) {
        /* R9: the owner; an identity that is no organisation's owns nothing here */
        int64_t org = 0, user = 0;
        struct mz_error e;
        if (!stix_id_valid(q->submitted_by, "identity"))
            return mz_error_set(err, MZ_EINVAL, "submitted_by", "submitted_by must be an identity id");
        rc = store_identity_owner(st, q->submitted_by, &org, &user, &e);
        if (rc && rc != MZ_ENOTFOUND) {
            *err = e;
            return rc;
        }
        sq->by_owner = 1;
        sq->owner_org = rc == MZ_OK && user == 0 ? org : -1;
    }
    if (q->community) {
        rc = svc_community_mask(st, p, q->community, 0, &sq->comm, err);
        if (rc)
            return rc;
    }
    if (q->view != SVC_VIEW_REST) {
        rc = to_taxii_query(st, p, q, sq);
        if (rc)
            return mz_error_set(err, rc, "", "cannot read the collection");
    }
    if (!q->next)
        return MZ_OK;
    rc = svc_cursor_key(st, key, err);
    if (rc)
        return rc;
    *key_read = 1;
    if (q->view == SVC_VIEW_REST)
        return svc_cursor_open(key, p, sq, q->next, &sq->after_seq, err);
    return svc_cursor_open_taxii(key, p, sq, q, q->next, by_stamp(sq) ? &sq->after_us : &sq->after_seq, err);
}

/* The row as it is served: rows under a standard marking definition's id carry the
 * standard's text (in *tmp, which must outlive the use of the result). */
static const struct store_row *served(const struct store_row *row, struct store_row *tmp)
{
    int i;

    if (strcmp(row->type, "marking-definition") != 0 || (i = tlp_standard_index(row->stix_id)) < 0)
        return row;
    *tmp = *row;
    tmp->stix_id = tlp_standard_id(i);
    tmp->body = tlp_standard_json(i);
    tmp->body_len = strlen(tmp->body);
    return tmp;
}

/* Who submitted a served row (docs/model.md R9): the owner organisation's identity and
 * handle, or the node's, kept for the few owners one read meets. */
#define OWNER_SLOTS 16
struct owners {
    struct store *st;
    int next;
    struct {
        int64_t org; /* -1: empty */
        char ident[STORE_IDENT_LEN];
        char name[STORE_NAME_LEN];
    } slot[OWNER_SLOTS];
};

static void owners_init(struct owners *o, struct store *st)
{
    memset(o, 0, sizeof *o);
    o->st = st;
    for (int i = 0; i < OWNER_SLOTS; i++)
        o->slot[i].org = -1;
}

/* Fill row's submitted_by fields (pointing into o, valid until o meets
 * OWNER_SLOTS other owners). */
static void owner_of(struct owners *o, struct store_row *row)
{
    int i;

    for (i = 0; i < OWNER_SLOTS && o->slot[i].org != row->owner_org; i++)
        ;
    if (i == OWNER_SLOTS) {
        struct store_org org;
        i = o->next;
        o->next = (o->next + 1) % OWNER_SLOTS;
        o->slot[i].org = row->owner_org;
        o->slot[i].ident[0] = '\0';
        if (row->owner_org == 0) {
            snprintf(o->slot[i].name, sizeof o->slot[i].name, "the node");
            if (campaign_node_identity_peek(o->st, o->slot[i].ident, sizeof o->slot[i].ident, NULL))
                o->slot[i].ident[0] = '\0';
        } else if (store_org_by_id(o->st, row->owner_org, &org, NULL) == MZ_OK) {
            snprintf(o->slot[i].ident, sizeof o->slot[i].ident, "%s", org.identity);
            snprintf(o->slot[i].name, sizeof o->slot[i].name, "%s", org.name);
        } else {
            snprintf(o->slot[i].name, sizeof o->slot[i].name, "organisation %lld", (long long)row->owner_org);
        }
    }
    row->submitted_by = o->slot[i].ident;
    row->submitted_by_name = o->slot[i].name;
}

/* The model's choice for the ids of one read, kept by id for the read: rows of one id
 * come one after another (get) or scattered (lists: versions of a few ids may be
 * interleaved over a whole page), and each id is decided once per read, whatever the
 * order of its rows (a cache of a few recent ids missed on every row of interleaved
 * ids: issue 11, second attack, F3). At most CHOICE_MAX ids are kept; past that (an
 * export's walk over the whole store) the table starts again empty. `loaded` counts
 * the versions model_load read: a page's work (svc_list's budget) is counted in it. */
#define CHOICE_MAX 4096
#define CHOICE_TAB (2 * CHOICE_MAX) /* open addressing, at most half full */
struct choice {
    char id[STORE_IDENT_LEN * 4];
    struct model_objs objs; /* the objects served (R2) */
    int64_t pick;     /* the seq of the version served (R3), or -1 */
    int64_t first;    /* the seq of the oldest version p may read of objs, or -1 */
    int64_t *readable; /* objs' versions p may read (version=all), heap */
    size_t n_readable;
};

struct chooser {
    struct store *st;
    const struct principal *p;
    struct choice **tab; /* CHOICE_TAB slots (heap, made at the first choice), NULL: empty */
    size_t n;            /* choices kept */
    int64_t loaded;      /* versions read by model_load in this read */
    struct model_id m;
    enum mz_err rc;
    struct mz_error err;
};

static void chooser_clear(struct chooser *c)
{
    if (!c->tab)
        return;
    for (size_t i = 0; i < CHOICE_TAB; i++)
        if (c->tab[i]) {
            free(c->tab[i]->readable);
            free(c->tab[i]);
            c->tab[i] = NULL;
        }
    c->n = 0;
}

static void chooser_free(struct chooser *c)
{
    chooser_clear(c);
    free(c->tab);
    c->tab = NULL;
    model_free(&c->m);
}

/* FNV-1a of id: the slot where its search starts. */
static size_t choice_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return (size_t)(h % CHOICE_TAB);
}

static const struct choice *choose(struct chooser *c, const char *id)
{
    struct choice *ch;
    size_t at;
    long v;

    if (!c->tab && !(c->tab = calloc(CHOICE_TAB, sizeof *c->tab)))
        goto oom;
    for (at = choice_hash(id); c->tab[at]; at = (at + 1) % CHOICE_TAB)
        if (!strcmp(c->tab[at]->id, id))
            return c->tab[at];
    if (c->n == CHOICE_MAX) {
        chooser_clear(c);
        for (at = choice_hash(id); c->tab[at]; at = (at + 1) % CHOICE_TAB)
            ;
    }
    c->rc = model_load(c->st, id, &c->m, &c->err);
    if (c->rc)
        return NULL;
    c->loaded += (int64_t)c->m.n;
    if (!(ch = calloc(1, sizeof *ch)) || !(ch->readable = calloc(c->m.n ? c->m.n : 1, sizeof *ch->readable))) {
        free(ch);
        goto oom;
    }
    snprintf(ch->id, sizeof ch->id, "%s", id);
    model_served_st(c->st, c->p, &c->m, &ch->objs);
    v = model_pick(c->p, &c->m, &ch->objs);
    ch->pick = v < 0 ? -1 : c->m.v[v].seq;
    ch->first = -1;
    for (size_t i = 0, f = 0; i < c->m.n; i++)
        if (model_objs_has(&ch->objs, c->m.v[i].obj) && model_may_read(c->p, &c->m.v[i])) {
            if (ch->first < 0 || strcmp(c->m.v[i].vkey, c->m.v[f].vkey) < 0) {
                ch->first = c->m.v[i].seq;
                f = i;
            }
            ch->readable[ch->n_readable++] = c->m.v[i].seq;
        }
    c->tab[at] = ch;
    c->n++;
    return ch;
oom:
    c->rc = mz_error_set(&c->err, MZ_ENOMEM, "", "out of memory");
    return NULL;
}

/* Does a version of row's object equal one of q's exact versions? */
static int version_named(const struct svc_query *q, const struct store_row *row)
{
    struct mz_time t;

    if (!row->version || mz_time_parse(row->version, &t))
        return 0;
    for (size_t i = 0; i < q->n_versions; i++)
        if (!mz_time_cmp(&t, &q->versions[i]))
            return 1;
    return 0;
}

/* SVC_VERSION_LIST: is row a version of what p is served that q names (first, last,
 * an exact version)? Every id is decided by the model (model.c) here, cx or not: the
 * first version needs the id's other versions. */
static int is_selected(struct chooser *c, const struct store_row *row, const struct svc_query *q)
{
    const struct choice *ch = choose(c, row->stix_id);
    size_t i;

    if (!ch)
        return -1;
    for (i = 0; i < ch->n_readable && ch->readable[i] != row->seq; i++)
        ;
    if (i == ch->n_readable)
        return 0;
    return (q->sel_last && ch->pick == row->seq) || (q->sel_first && ch->first == row->seq) ||
           version_named(q, row);
}

/* Is row what p is served (all: one of the versions of what p is served)? Rows of
 * ids not marked cx are their id's one object's latest version (or, with all, one
 * of its versions), read by the same readers as every other version of it. */
static int is_served(struct chooser *c, const struct store_row *row, int all)
{
    const struct choice *ch;

    if (!row->cx)
        return 1;
    ch = choose(c, row->stix_id);
    if (!ch)
        return -1;
    if (!all)
        return ch->pick == row->seq;
    for (size_t i = 0; i < ch->n_readable; i++)
        if (ch->readable[i] == row->seq)
            return 1;
    return 0;
}

/* A page's work (svc_list): every row the store hands counts one, every version
 * model_load reads for the choice counts one (chooser.loaded). Once budget is spent
 * the page ends (after at least one row), whatever it holds: more is true and next
 * stands on the last row examined (docs/security.md, issue 11 second attack, F3). */
struct list_ctx {
    const struct principal *p;
    svc_row_fn fn;
    void *ctx;
    int64_t last_seq;   /* the position next stands on: the last row examined and done */
    int64_t last_us;    /* a collection's read: that row's grant stamp */
    char last_added[MZ_TIME_STRLEN]; /* a read by seq: that row's date_added */
    const struct svc_query *sel; /* SVC_VERSION_LIST's query, or NULL */
    char added[MZ_TIME_STRLEN]; /* the row's grant stamp as text */
    int stopped;        /* fn stopped the read */
    int all;
    int64_t n;          /* rows served (counts) */
    long limit;         /* svc_list: rows a page serves (0: every row) */
    int64_t budget;     /* svc_list: the page's work (-1: none counted) */
    int64_t rows;       /* rows examined */
    int more;           /* a further row is served to p, or the budget ran out */
    int examined_wanted; /* svc_query.examined is set: keep last_added */
    struct chooser ch;
    struct owners own;
};

/* The TLP facts of a row (with its communities and whom it was passed on to: issue 11). */
static void row_meta(const struct store_row *row, struct tlp_meta *m)
{
    memset(m, 0, sizeof *m);
    m->tlp = row->tlp;
    m->owner_org = row->owner_org;
    m->submitter = row->submitter;
    m->audience = row->audience;
    m->comm = row->comm;
    m->shared_to = row->shared_to;
}

int svc_directory_row(struct store *st, const struct store_row *row)
{
    int64_t org = 0, user = 0, home = -1;

    if (row->tlp != TLP_GREEN || strcmp(row->type, "identity") != 0 ||
        store_identity_owner(st, row->stix_id, &org, &user, NULL) != MZ_OK || user != 0 || org <= 0 ||
        store_org_node(st, org, &home, NULL) != MZ_OK)
        return 0;
    return home == 0;
}

/* May p read row, which the store's TLP prefilter let through? Every row is asked
 * again (tlp_can_read); a "no" means the prefilter and tlp_can_read disagree, a bug:
 * the row is withheld and the disagreement logged. */
static int prefilter_confirmed(struct store *st, const struct principal *p, const struct store_row *row)
{
    struct tlp_meta m;

    row_meta(row, &m);
    if (p->role == ROLE_PEER) {
        /* a peer's prefilter is wider (tlp_visibility): the peer column decides each
         * row, and a "no" is no disagreement */
        m.directory = svc_directory_row(st, row);
        return tlp_can_read(p, &m);
    }
    if (tlp_can_read(p, &m))
        return 1;
    MZ_LOG(MZ_LOG_ERROR, "event=tlp_prefilter_mismatch seq=%lld", (long long)row->seq);
    return 0;
}

static int list_row(void *vctx, const struct store_row *row)
{
    struct list_ctx *c = vctx;
    struct store_row tmp, out;
    int s;

    if (c->budget >= 0 && c->rows > 0 && c->rows + c->ch.loaded >= c->budget) {
        /* the page's work is spent: next stands on the row before this one */
        c->more = 1;
        return 1;
    }
    c->rows++;
    if (!prefilter_confirmed(c->ch.st, c->p, row))
        s = 0;
    else if (c->p->role == ROLE_PEER && !c->sel)
        /* no R2/R3 choice for a peer: every version it may read, but none withdrawn
         * (R7: its tombstone travels instead) */
        s = !row->wd_keep;
    else
        s = c->sel ? is_selected(&c->ch, row, c->sel) : is_served(&c->ch, row, c->all);
    if (s < 0)
        return 1; /* c->ch.rc says why */
    if (s && c->limit > 0 && c->n == c->limit) {
        /* the page is full and this row is p's: there is more (and next stands on
         * the row before, so that it is the next page's first) */
        c->more = 1;
        return 1;
    }
    c->last_seq = row->seq;
    c->last_us = row->added_us;
    if (!row->added_us && c->examined_wanted)
        snprintf(c->last_added, sizeof c->last_added, "%s", row->date_added ? row->date_added : "");
    if (!s)
        return 0;
    c->n++;
    if (!c->fn)
        return 0;
    out = *served(row, &tmp);
    if (row->added_us) {
        /* a collection's row: its date_added is its grant's in the collection */
        struct mz_time t = {row->added_us / 1000000, (int32_t)(row->added_us % 1000000) * 1000};
        mz_time_format_us(&t, c->added);
        out.date_added = c->added;
    }
    owner_of(&c->own, &out);
    if (c->fn(c->ctx, &out)) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

static void list_init(struct list_ctx *c, struct store *st, const struct principal *p, svc_row_fn fn, void *ctx,
                      int all)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->fn = fn;
    c->ctx = ctx;
    c->all = all;
    c->budget = -1;
    c->ch.st = st;
    c->ch.p = p;
    mz_error_clear(&c->ch.err);
    owners_init(&c->own, st);
}

enum mz_err svc_list(struct store *st, const struct principal *p, const struct svc_query *q,
                     svc_row_fn fn, void *ctx, char *next_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    struct list_ctx c;
    unsigned char key[SVC_CURSOR_KEY_LEN];
    int more = 0, key_read = 0;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    list_init(&c, st, p, fn, ctx, q->all_versions || q->version_sel == SVC_VERSION_ALL);
    c.sel = q->version_sel == SVC_VERSION_LIST ? q : NULL;
    c.limit = q->limit;
    c.budget = q->work > 0 ? q->work : SVC_PAGE_WORK_DEFAULT;
    c.examined_wanted = q->examined != NULL;
    if (q->examined)
        q->examined[0] = '\0';
    if (!rc && !q->nothing) {
        /* The store hands rows until list_row stops it: the page is full and one more
         * row is p's (more), or the work is spent (more), or the rows ran out (no
         * more). The store's own limit counted rows before the TLP and the model
         * withheld some, and its more told of rows p may not read (issue 11, second
         * attack, F1): its limit is now the work's (each row costs one, so list_row
         * stops first), and its more says the work ran out. */
        sq.limit = (long)c.budget + 1;
        tlp_visibility(p, &vis);
        rc = store_list(st, &vis, &sq, list_row, &c, &more, err);
    }
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
    more = more || c.more || c.stopped;
    next_out[0] = '\0';
    if (!rc && more && !key_read)
        rc = svc_cursor_key(st, key, err);
    if (!rc && more && q->view == SVC_VIEW_REST)
        svc_cursor_seal(key, p, &sq, c.last_seq, next_out);
    else if (!rc && more)
        svc_cursor_seal_taxii(key, p, &sq, q, by_stamp(&sq) ? c.last_us : c.last_seq, next_out);
    svc_cursor_forget(key);
    if (!rc && more && q->examined && c.rows > 0) {
        /* where next stands: the last row examined, as a date_added */
        if (c.last_us) {
            struct mz_time t = {c.last_us / 1000000, (int32_t)(c.last_us % 1000000) * 1000};
            mz_time_format_us(&t, q->examined);
        } else {
            snprintf(q->examined, MZ_TIME_STRLEN, "%s", c.last_added);
        }
    }
    return rc;
}

enum mz_err svc_count(struct store *st, const struct principal *p, const struct svc_query *q,
                      int64_t *count_out, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    char added_after[MZ_TIME_STRLEN];
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct list_ctx c;
    int key_read;
    int64_t plain = 0;
    enum mz_err rc = to_store_query(st, p, q, &sq, added_after, key, &key_read, err);

    svc_cursor_forget(key);
    if (rc)
        return rc;
    sq.limit = 0;
    tlp_visibility(p, &vis);
    /* R4: the size of the list - the plain ids counted by the store, the ids that need
     * the choice walked */
    sq.cx = STORE_CX_PLAIN;
    rc = store_count(st, &vis, &sq, &plain, err);
    if (rc)
        return rc;
    list_init(&c, st, p, NULL, NULL, q->all_versions);
    sq.cx = STORE_CX_CHOICE;
    rc = store_list(st, &vis, &sq, list_row, &c, NULL, err);
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
    if (!rc)
        *count_out = plain + c.n;
    return rc;
}

enum mz_err svc_get(struct store *st, const struct principal *p, const char *id,
                    int all_versions, svc_row_fn fn, void *ctx, struct mz_error *err)
{
    struct store_query sq;
    struct store_vis vis;
    struct list_ctx c;
    enum mz_err rc;

    if (!stix_id_valid(id, NULL))
        return mz_error_set(err, MZ_EINVAL, "id", "'%.80s' is not a STIX identifier (<type>--<RFC 4122 UUID>)", id);
    memset(&sq, 0, sizeof sq);
    sq.id = id;
    sq.tlp = -1;
    sq.all_versions = all_versions;
    sq.order = STORE_ORDER_ADDED;
    list_init(&c, st, p, fn, ctx, all_versions);
    tlp_visibility(p, &vis);
    rc = store_list(st, &vis, &sq, list_row, &c, NULL, err);
    if (!rc && c.ch.rc) {
        rc = c.ch.rc;
        *err = c.ch.err;
    }
    chooser_free(&c.ch);
    if (!rc && c.n == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no object with id '%.80s' is visible to you", id);
    return rc;
}

/* ---- export: a cursor over the store, read a page at a time ----
 *
 * The bundle is written in pieces, so that the HTTP layer can stream it (libmicrohttpd
 * pulls the reply) and no export is ever whole in memory. The cursor reads rows in
 * seq order after the last one it wrote, EXPORT_ROWS_PER_READ at a time, inside one
 * read transaction: every page sees the same snapshot, so the bundle is exactly what
 * one query would have returned at the start, whatever is written meanwhile. */

#define EXPORT_ROWS_PER_READ 256

enum export_stage {
    EXPORT_HEAD,  /* the bundle's opening is still to be written */
    EXPORT_ROWS,  /* objects */
    EXPORT_TAIL,  /* the marking definitions the objects use, and the list's end */
    EXPORT_MAP,   /* with_submitted_by: who submitted each object (a second pass) */
    EXPORT_END,   /* the bundle's end */
    EXPORT_DONE
};

struct svc_export {
    struct store *st;                /* borrowed; a read transaction is open on it */
    struct principal who;            /* a copy: vis points into it */
    struct store_vis vis;
    struct store_query sq;           /* its strings point into strings below */
    const char *types[SVC_MAX_TYPES];
    char added_after[MZ_TIME_STRLEN];
    char *strings;                   /* copies of the query's strings */
    enum export_stage stage;
    struct chooser ch;               /* which object and version of an id is served (R2, R3) */
    struct owners own;               /* who submitted them (R9) */
    int with_map;                    /* write x_mreza_submitted_by after the objects */
    int map_started;                 /* its opening is written */
    size_t n_map;                    /* its members written */
    size_t n;                        /* objects written */
    unsigned used;                   /* bit per TLP level whose marking an object uses */
    unsigned present;                /* bit per standard marking definition written
                                        (tlp_standard_index; those of TLP 2.0 are
                                        numbered as the levels) */
};

/* A copy of s at *pos in buf (which has room: sized by strings_len). */
static const char *keep(char *buf, size_t *pos, const char *s)
{
    size_t n = strlen(s) + 1;
    char *out = buf + *pos;

    memcpy(out, s, n);
    *pos += n;
    return out;
}

static size_t strings_len(const struct store_query *sq)
{
    size_t n = 0;

    for (size_t i = 0; i < sq->n_types; i++)
        n += strlen(sq->types[i]) + 1;
    if (sq->id)
        n += strlen(sq->id) + 1;
    if (sq->created_by)
        n += strlen(sq->created_by) + 1;
    return n;
}

enum mz_err svc_export_open(struct store *st, const struct principal *p, const struct svc_query *q,
                            struct svc_export **out, struct mz_error *err)
{
    struct svc_export *x = calloc(1, sizeof *x);
    struct svc_query all = *q;
    char added_after[MZ_TIME_STRLEN];
    unsigned char key[SVC_CURSOR_KEY_LEN];
    struct store_query sq;
    size_t pos = 0;
    int key_read;
    enum mz_err rc;

    if (!x)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    all.next = NULL; /* an export is everything q selects: no paging (no page key read) */
    all.limit = 0;
    rc = to_store_query(st, p, &all, &sq, added_after, key, &key_read, err);
    svc_cursor_forget(key);
    if (!rc && sq.n_types > SVC_MAX_TYPES)
        rc = mz_error_set(err, MZ_EINVAL, "type", "at most %d types may be asked for at once", SVC_MAX_TYPES);
    if (!rc && !(x->strings = malloc(strings_len(&sq) + 1)))
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    if (rc) {
        free(x);
        return rc;
    }
    x->st = st;
    x->who = *p;
    tlp_visibility(&x->who, &x->vis);
    x->ch.st = st;
    x->ch.p = &x->who;
    mz_error_clear(&x->ch.err);
    owners_init(&x->own, st);
    x->with_map = q->with_submitted_by;
    x->sq = sq;
    x->sq.limit = EXPORT_ROWS_PER_READ;
    x->sq.after_seq = 0;
    for (size_t i = 0; i < sq.n_types; i++)
        x->types[i] = keep(x->strings, &pos, sq.types[i]);
    x->sq.types = sq.n_types ? x->types : NULL;
    x->sq.id = sq.id ? keep(x->strings, &pos, sq.id) : NULL;
    x->sq.created_by = sq.created_by ? keep(x->strings, &pos, sq.created_by) : NULL;
    if (sq.added_after) {
        memcpy(x->added_after, added_after, sizeof x->added_after);
        x->sq.added_after = x->added_after;
    }
    rc = store_begin_read(st, err);
    if (rc) {
        free(x->strings);
        free(x);
        return rc;
    }
    *out = x;
    return MZ_OK;
}

void svc_export_close(struct svc_export *x)
{
    if (!x)
        return;
    store_rollback(x->st); /* ends the read transaction; nothing was written */
    chooser_free(&x->ch);
    free(x->strings);
    free(x);
}

size_t svc_export_count(const struct svc_export *x)
{
    return x->n;
}

struct export_page {
    struct svc_export *x;
    struct mz_buf *out;
    size_t target;       /* stop once out holds this much */
    int stopped;         /* the callback stopped the read (full, or a row deferred) */
    enum mz_err failed;  /* a row that cannot be written at all */
};

/* Whether row is one x writes (TLP, the model's choice): 1, 0, or -1 with pg->failed
 * set. A row skipped moves the cursor past it. */
static int export_wanted(struct export_page *pg, const struct store_row *row)
{
    struct svc_export *x = pg->x;
    int s;

    if (!prefilter_confirmed(x->st, &x->who, row)) {
        x->sq.after_seq = row->seq;
        return 0;
    }
    /* the one object of the id, and the version of it, that x->who is served (R2, R3:
     * the same choice as svc_list's) */
    s = is_served(&x->ch, row, 0);
    if (s < 0) {
        pg->failed = x->ch.rc;
        return -1;
    }
    if (!s)
        x->sq.after_seq = row->seq;
    return s;
}

/* Write one object (opening the "objects" list before the first: STIX forbids an
 * empty list, so a bundle with nothing visible has no "objects" at all). */
static enum mz_err export_emit(struct svc_export *x, struct mz_buf *out, const char *data, size_t len)
{
    const char *sep = x->n ? ",\n" : ",\"objects\":[\n";
    enum mz_err rc = mz_buf_puts(out, sep);

    if (!rc)
        rc = mz_buf_append(out, data, len);
    if (!rc)
        x->n++;
    return rc;
}

static int export_row(void *vctx, const struct store_row *row)
{
    struct export_page *pg = vctx;
    struct svc_export *x = pg->x;
    struct store_row tmp;
    const struct store_row *sr;
    size_t need;
    int i, s = export_wanted(pg, row);

    if (s <= 0)
        return s < 0;
    /* as served(): under a standard id, the standard's text, written once however
     * many members stored a copy */
    sr = served(row, &tmp);
    i = strcmp(sr->type, "marking-definition") ? -1 : tlp_standard_index(sr->stix_id);
    if (i >= 0 && (x->present & (1u << i))) {
        x->sq.after_seq = row->seq;
        return 0;
    }
    /* A row that does not fit beside what the piece holds waits for the next piece;
     * one that does not fit in an empty piece cannot be exported at all. */
    need = sr->body_len + 16;
    if (need > pg->out->limit || pg->out->len > pg->out->limit - need) {
        if (pg->out->len == 0) {
            pg->failed = MZ_ETOOBIG;
            return 1;
        }
        pg->stopped = 1;
        return 1;
    }
    pg->failed = export_emit(x, pg->out, sr->body, sr->body_len);
    if (pg->failed)
        return 1;
    x->sq.after_seq = row->seq;
    if (!row->tlp_defaulted)
        x->used |= 1u << row->tlp;
    if (i >= 0)
        x->present |= 1u << i;
    if (pg->out->len >= pg->target) {
        pg->stopped = 1;
        return 1;
    }
    return 0;
}

/* The second pass of an export with_submitted_by: "<id>":"<identity>" for each object
 * the first wrote (R9), as a member of x_mreza_submitted_by. The standard marking
 * definitions are the standards', submitted by nobody: left out. */
static int export_map_row(void *vctx, const struct store_row *row)
{
    struct export_page *pg = vctx;
    struct svc_export *x = pg->x;
    struct store_row owned;
    size_t need;
    int s = export_wanted(pg, row);

    if (s <= 0)
        return s < 0;
    if (!strcmp(row->type, "marking-definition") && tlp_standard_index(row->stix_id) >= 0) {
        x->sq.after_seq = row->seq;
        return 0;
    }
    owned = *row;
    owner_of(&x->own, &owned);
    need = strlen(row->stix_id) + strlen(owned.submitted_by) + 16;
    if (pg->out->len > pg->out->limit - need) {
        pg->stopped = 1;
        return 1;
    }
    /* ids were validated when stored (ASCII, no quotes); so are identities */
    pg->failed = mz_buf_printf(pg->out, "%s\"%s\":\"%s\"", x->n_map ? "," : "", row->stix_id, owned.submitted_by);
    if (pg->failed)
        return 1;
    x->n_map++;
    x->sq.after_seq = row->seq;
    if (pg->out->len >= pg->target) {
        pg->stopped = 1;
        return 1;
    }
    return 0;
}

/* Rows into out until it holds target bytes or the rows run out (then the stage
 * moves on): the objects (EXPORT_ROWS), or who submitted them (EXPORT_MAP). */
static enum mz_err export_rows(struct svc_export *x, struct mz_buf *out, size_t target, struct mz_error *err)
{
    struct export_page pg = {x, out, target, 0, MZ_OK};
    enum export_stage stage = x->stage;

    while (x->stage == stage && !pg.stopped) {
        int more = 0;
        enum mz_err rc = store_list(x->st, &x->vis, &x->sq, stage == EXPORT_MAP ? export_map_row : export_row, &pg,
                                    &more, err);
        if (rc)
            return rc;
        if (pg.failed && x->ch.rc) {
            *err = x->ch.err;
            return x->ch.rc;
        }
        if (pg.failed == MZ_ETOOBIG)
            return mz_error_set(err, MZ_ETOOBIG, "",
                                "an object is larger than %zu bytes (http.max_reply), the most one piece of "
                                "an export may hold", out->limit);
        if (pg.failed)
            return mz_error_set(err, pg.failed, "", "export: %s", mz_err_name(pg.failed));
        if (!pg.stopped && !more)
            x->stage = stage == EXPORT_MAP ? EXPORT_END : EXPORT_TAIL;
    }
    return MZ_OK;
}

/* The TLP 2.0 marking definitions the objects use travel with them; then the end.
 * Written whole into one piece: when they do not fit beside what out holds, they
 * wait for the next piece (the stage stays EXPORT_TAIL). */
static enum mz_err export_tail(struct svc_export *x, struct mz_buf *out)
{
    enum mz_err rc = MZ_OK;
    size_t need = 32;

    for (int l = 0; l < TLP_N_LEVELS; l++)
        if ((x->used & (1u << l)) && !(x->present & (1u << l)))
            need += strlen(tlp_marking_json((enum tlp_level)l)) + 16;
    if (out->len && (need > out->limit || out->len > out->limit - need))
        return MZ_OK;
    for (int l = 0; !rc && l < TLP_N_LEVELS; l++) {
        const char *m = tlp_marking_json((enum tlp_level)l);
        if ((x->used & (1u << l)) && !(x->present & (1u << l)))
            rc = export_emit(x, out, m, strlen(m));
    }
    if (!rc && x->n)
        rc = mz_buf_puts(out, "\n]");
    if (!rc && x->with_map) {
        x->stage = EXPORT_MAP;
        x->sq.after_seq = 0; /* the same rows again, from the same snapshot */
    } else if (!rc) {
        x->stage = EXPORT_END;
    }
    return rc;
}

enum mz_err svc_export_next(struct svc_export *x, struct mz_buf *out, size_t target, int *done_out,
                            struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    if (x->stage == EXPORT_HEAD) {
        char uuid[MZ_UUID_STRLEN];
        mz_uuid_v4(uuid);
        mz_buf_printf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\"", uuid);
        if (!(rc = mz_buf_status(out)))
            x->stage = EXPORT_ROWS;
    }
    if (!rc && x->stage == EXPORT_ROWS)
        rc = export_rows(x, out, target, err);
    else if (rc)
        mz_error_set(err, rc, "", "export: %s", mz_err_name(rc));
    if (!rc && x->stage == EXPORT_TAIL && (rc = export_tail(x, out)))
        mz_error_set(err, rc, "", "export: %s", mz_err_name(rc));
    if (!rc && x->stage == EXPORT_MAP && !x->map_started) {
        if ((rc = mz_buf_puts(out, ",\"x_mreza_submitted_by\":{")))
            mz_error_set(err, rc, "", "export: %s", mz_err_name(rc));
        x->map_started = 1;
    }
    if (!rc && x->stage == EXPORT_MAP)
        rc = export_rows(x, out, target, err);
    if (!rc && x->stage == EXPORT_END) {
        if ((rc = mz_buf_puts(out, x->with_map ? "}}\n" : "}\n")))
            mz_error_set(err, rc, "", "export: %s", mz_err_name(rc));
        else
            x->stage = EXPORT_DONE;
    }
    if (!rc)
        *done_out = x->stage == EXPORT_DONE;
    return rc;
}

/* The bundle's pieces are written at about this size (the CLI's export). */
#define EXPORT_PIECE (256u << 10)

enum mz_err svc_export(struct store *st, const struct principal *p, const struct svc_query *q,
                       svc_write_fn write, void *ctx, size_t *n_objects_out,
                       struct mz_error *err)
{
    struct svc_export *x = NULL;
    struct mz_buf piece;
    int done = 0;
    enum mz_err rc = svc_export_open(st, p, q, &x, err);

    /* an object is at most http.max_body bytes, and the piece must hold one */
    mz_buf_init(&piece, (size_t)-1 / 2);
    while (!rc && !done) {
        mz_buf_reset(&piece);
        rc = svc_export_next(x, &piece, EXPORT_PIECE, &done, err);
        if (!rc && piece.len && write(ctx, piece.data, piece.len))
            rc = mz_error_set(err, MZ_EIO, "", "export: write failed");
    }
    if (!rc && n_objects_out)
        *n_objects_out = x->n;
    mz_buf_free(&piece);
    svc_export_close(x);
    return rc;
}

enum mz_err svc_query_types(struct svc_query *q, struct svc_types *t, const char *list, struct mz_error *err)
{
    size_t len = strlen(list), n = 0;
    char *p, *save = NULL;

    if (len >= sizeof t->buf)
        return mz_error_set(err, MZ_EINVAL, "type", "the type filter is longer than %zu bytes", sizeof t->buf - 1);
    memcpy(t->buf, list, len + 1);
    for (p = strtok_r(t->buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == SVC_MAX_TYPES)
            return mz_error_set(err, MZ_EINVAL, "type", "at most %d types may be asked for at once", SVC_MAX_TYPES);
        t->v[n++] = p;
    }
    if (!n)
        return mz_error_set(err, MZ_EINVAL, "type", "the type filter must name at least one STIX type");
    q->types = t->v;
    q->n_types = n;
    return MZ_OK;
}
