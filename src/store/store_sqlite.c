/* store/store_sqlite.c - the SQLite implementation of store.h (the embedded default).
 *
 * The file is <data dir>/mreza.db in WAL mode with synchronous=FULL, so a committed
 * transaction survives kill -9 and power loss (but store_begin_unacked's, made with
 * NORMAL for its commit: atomic and kept across kill -9, perhaps undone by a power
 * loss - a pulled sync page, see store.h); writers take the lock with BEGIN
 * IMMEDIATE and bulk writes are one transaction per bundle. Objects keep the JSON
 * exactly as received (body) beside the columns that queries filter and sort on.
 * Rows are keyed by seq, which orders them by date_added and backs the page cursor:
 * store_put_object stamps date_added under the write lock, strictly after the newest
 * one stored, so the two orders are one.
 * An object id may be stored by several owners (organisations): uniqueness is per
 * (stix_id, owner, version), so nobody learns of another organisation's hidden object
 * through a "duplicate" answer. `latest` marks each owner's newest version. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/timefmt.h"

/* how long a statement waits for another connection's write lock */
#define BUSY_TIMEOUT_MS 30000
/* statements kept prepared per connection (prepare_cached): the per-object ones of
 * the ingest and sync paths, about a dozen; more distinct texts are prepared afresh */
#define STMT_CACHE_SLOTS 32
/* a connection that checkpoints on its own (not `serve`'s, which checkpoint on a
 * thread of theirs: manual_checkpoint) does it when the log holds this many pages:
 * 64 MB of 4 KB pages, journal_size_limit. At SQLite's 1000 (4 MB) a sync page of
 * 5000 objects was checkpointed at every commit, two fsyncs and the index pages
 * written again each time (docs/performance.md, "Sync", "After the page's fsync") */
#define WAL_AUTOCHECKPOINT_PAGES 16384

struct store {
    sqlite3 *db;
    sqlite3_stmt *put_max;   /* newest version of an (id, owner) */
    sqlite3_stmt *put_clear; /* clear `latest` of an (id, owner) */
    sqlite3_stmt *put_ins;   /* insert one object */
    sqlite3_stmt *ident_of;  /* whose identity an id is (store_identity_owner) */
    sqlite3_stmt *put_last;  /* the newest date_added stored */
    sqlite3_stmt *id_rows;   /* every version of an id (store_id_versions) */
    sqlite3_stmt *put_grant; /* one grant of a version (store_put_object, store_share_add) */
    sqlite3_stmt *org_comm;  /* an organisation's community bits (store_org_comm) */
    int64_t comm_ids[STORE_COMM_MAX]; /* community id of each bit, 0: not known (yet) */
    sqlite3_stmt *id_rows_cx; /* those after a seq of an id that needs the choice */
    int64_t last_added_us;   /* the newest date_added, this transaction's included */
    int last_added_known;    /* last_added_us was read in the current transaction */
    int depth;               /* transactions open: 1 the outer one, more its savepoints */
    int nest;                /* store_allow_nested: a begin inside a transaction is a savepoint */
    int relaxed;             /* the connection runs synchronous=NORMAL (store_begin_unacked's
                                transaction); every other begin sets FULL back first */
    store_hook_fn hook;      /* tests (store_set_hook) */
    void *hook_ctx;
    struct stmt_slot {       /* prepare_cached: statements kept for the connection */
        const char *sql;     /* the text it was prepared from (its address: the key) */
        sqlite3_stmt *s;
        int busy;            /* handed out and not yet released */
    } cache[STMT_CACHE_SLOTS];
    int cache_used;          /* slots filled, from the start */
    long prepares;           /* store_prepare_count */
};

/* Each entry brings the schema from version i to i+1. Never edit a shipped entry:
 * append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE orgs("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " full_name TEXT NOT NULL,"
    " identity TEXT NOT NULL UNIQUE,"
    " country TEXT NOT NULL,"
    " sector TEXT NOT NULL,"
    " kind TEXT NOT NULL);"
    "CREATE TABLE users("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id),"
    " role TEXT NOT NULL,"
    " identity TEXT NOT NULL UNIQUE);"
    "CREATE TABLE api_keys("
    " hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id)) WITHOUT ROWID;"
    "CREATE TABLE objects("
    " seq INTEGER PRIMARY KEY,"
    " stix_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " version TEXT NOT NULL,"
    " vkey TEXT NOT NULL,"
    " date_added TEXT NOT NULL,"
    " created_by TEXT NOT NULL,"
    " owner_org INTEGER NOT NULL,"
    " submitter INTEGER NOT NULL,"
    " tlp INTEGER NOT NULL,"
    " tlp_defaulted INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL,"
    " latest INTEGER NOT NULL,"
    " audience TEXT,"
    " body TEXT NOT NULL);"
    "CREATE UNIQUE INDEX objects_version ON objects(stix_id, owner_org, vkey);"
    "CREATE INDEX objects_type ON objects(type, seq);"
    "CREATE INDEX objects_added ON objects(date_added);",
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    /* what the indicator index is built from, so that it need not re-parse objects */
    "ALTER TABLE objects ADD COLUMN observables TEXT;"
    "ALTER TABLE objects ADD COLUMN match_plan INTEGER;"
    "ALTER TABLE objects ADD COLUMN valid_from INTEGER;"
    "ALTER TABLE objects ADD COLUMN valid_until INTEGER;",
    /* identity objects were stamped with milliseconds ("...SS.mmmZ"), which does not
     * sort as text among microsecond stamps: every date_added has six digits now */
    ("UPDATE objects SET date_added = substr(date_added, 1, 23) || '000Z'"
     " WHERE length(date_added) = 24 AND substr(date_added, 20, 1) = '.';"),
    /* keys get an id, a comment, times (unix seconds; NULL: unknown / never / not)
     * and can be revoked; users can be disabled. Keys made before this have no
     * prefix, no creation time and no expiry. */
    "ALTER TABLE users ADD COLUMN disabled INTEGER;"
    "CREATE TABLE keys("
    " id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " prefix TEXT NOT NULL DEFAULT '',"
    " comment TEXT NOT NULL DEFAULT '',"
    " created INTEGER,"
    " expires INTEGER,"
    " last_used INTEGER,"
    " revoked INTEGER,"
    " replaced_by INTEGER);"
    "INSERT INTO keys(hash,user_id) SELECT hash,user_id FROM api_keys ORDER BY user_id,hash;"
    "DROP TABLE api_keys;"
    "ALTER TABLE keys RENAME TO api_keys;"
    "CREATE INDEX api_keys_user ON api_keys(user_id);",
    /* an organisation's live scan indicators, counted at every write of one
     * (store_count_scan): a partial index of those few rows (replaced below) */
    ("CREATE INDEX objects_scan ON objects(owner_org)"
     " WHERE match_plan = 4 AND latest = 1 AND revoked = 0;"),
    /* The object model (docs/model.md, section 4 and Appendix B). An object is the
     * versions of one id held by one owner: (stix_id, owner_org, owner_user), where
     * owner_user is 0 but for a personal object (R1.3). `latest` marks each object's
     * newest version. attested: the object's first version names its owner as creator
     * (the id is claimed when its first object is attested). cx: the id needs the
     * model's choice on reads (several objects, versions that differ in who may read
     * them, a revoked version, a withdrawal); the rows of every other id are served as
     * their `latest` row. tlp_inherited: an unmarked version took the marking of the
     * version it superseded (R3.3). wd_*: the version's withdrawal (R7). created_by
     * becomes the body's created_by_ref alone (R9: no fallback to the owner). Today's
     * rows carry over: each (stix_id, owner_org) an object, claims from the bodies. */
    ("ALTER TABLE objects ADD COLUMN owner_user INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE objects ADD COLUMN attested INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE objects ADD COLUMN cx INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE objects ADD COLUMN tlp_inherited INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE objects ADD COLUMN wd_keep TEXT;"
     "ALTER TABLE objects ADD COLUMN wd_by INTEGER;"
     "ALTER TABLE objects ADD COLUMN wd_at TEXT;"
     "ALTER TABLE objects ADD COLUMN wd_reason TEXT;"
     "DROP INDEX objects_version;"
     "CREATE UNIQUE INDEX objects_version ON objects(stix_id, owner_org, owner_user, vkey);"
     "UPDATE objects SET created_by = coalesce(json_extract(body, '$.created_by_ref'), '');"
     "UPDATE objects AS o SET attested = 1"
     " WHERE substr(o.stix_id, instr(o.stix_id, '--') + 16, 1) = '4'"
     " AND (SELECT lower(f.created_by) FROM objects f WHERE f.stix_id = o.stix_id AND f.owner_org = o.owner_org"
     "      ORDER BY f.seq LIMIT 1)"
     "     IN (SELECT lower(identity) FROM orgs WHERE id = o.owner_org"
     "         UNION ALL SELECT lower(identity) FROM users WHERE org_id = o.owner_org);"
     "UPDATE objects SET cx = 1 WHERE stix_id IN (SELECT stix_id FROM objects GROUP BY stix_id"
     " HAVING count(*) > 1 AND (count(DISTINCT owner_org) > 1 OR count(DISTINCT tlp) > 1"
     " OR count(DISTINCT coalesce(audience, '')) > 1 OR count(DISTINCT submitter) > 1 OR sum(revoked) > 0));"),
    /* The rest of the model's rules. wd_tomb: the id of a withdrawn version's tombstone
     * (an x-mreza-withdrawal object, R7.4), kept after a restore so that a later
     * withdrawal versions the same tombstone. orgs.rank: the source rank the operator
     * set (R2.5); NULL: by the organisation's kind. */
    ("ALTER TABLE objects ADD COLUMN wd_tomb TEXT;"
     "ALTER TABLE orgs ADD COLUMN rank INTEGER;"),
    /* scan indicators are counted per submitter (store_count_scan): a count per
     * organisation told a poster of colleagues' versions it may not read */
    ("DROP INDEX objects_scan;"
     "CREATE INDEX objects_scan_sub ON objects(owner_org, submitter) WHERE match_plan = 4 AND revoked = 0;"),
    /* the rows of the ids that need the model's choice (cx = 1), read in seq order by
     * every `mreza match` that maps a snapshot (the engine's load_model) and by the
     * reads' choice pass: a partial index of those few rows, not a scan of the table
     * (a scan made the start-up of `mreza match` grow with the whole store) */
    "CREATE INDEX objects_cx ON objects(seq) WHERE cx = 1;",
    /* the rows of one organisation, counted at every write when it has a quota
     * (ingest.max_objects_per_org: store_count_owned); and the rows of one id that
     * needs the model's choice in arrival order (the third re-attack's N1): its
     * first row is read for each of its rows by store_list (ORDER BY f.seq LIMIT 1:
     * every read of it, the engine's load at start-up) and its rows after a seq by
     * the write path (store_id_versions_after). Without it SQLite found them by
     * objects_version and sorted them in a temporary B-tree each time: an id of
     * 21 000 rows took minutes to load at start-up. Partial: only such ids grow
     * large (an id whose rows are all one poster's is bounded by
     * ingest.max_versions), and every row of such an id has cx = 1 (store_mark_cx
     * marks them all, later ones are stored so); a full index cost every insert
     * 10-15 % (bench/ingest). */
    ("CREATE INDEX objects_owner ON objects(owner_org);"
     "CREATE INDEX objects_id_seq ON objects(stix_id, seq) WHERE cx = 1;"),
    /* Communities (issue 11, docs/federation.md section 6). A community is a group of
     * organisations that share TLP:GREEN; each has a bit (0-61) and every version a
     * bit set `comm` of the communities it is shared into. memberships: per
     * organisation, read and/or write. A grant is a version's readability through a
     * community since a time: the date_added of the write that made it (the version's
     * own when it was posted into the community, the share record's when it was
     * shared there later), so in each community the stamps follow commit order
     * (TAXII's collection order, store_grants). The grant of a version POSTED INTO
     * THE NATIONAL COMMUNITY is the version's own row (objects.date_added, indexed by
     * objects_added): the default of every write needs no row more (measured in
     * bench/ingest: a row per version cost 4-7 % of an import). grants holds every
     * other: `added` in microseconds, one WITHOUT ROWID B-tree clustered in
     * collection order. shares: the re-sharing records (R11.3), and shared_to the
     * identities an AMBER version was passed on to. Today's store: the national
     * community (bit 0, a random UUIDv4), every organisation a read+write member,
     * every version posted into it (comm's default). */
    ("CREATE TABLE communities("
     " id INTEGER PRIMARY KEY,"
     " bit INTEGER NOT NULL UNIQUE CHECK (bit BETWEEN 0 AND 61),"
     " uuid TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL UNIQUE,"
     " title TEXT NOT NULL,"
     " description TEXT NOT NULL DEFAULT '',"
     " kind TEXT NOT NULL,"
     " home_node INTEGER NOT NULL DEFAULT 0,"
     " roster_modified TEXT,"
     " created TEXT NOT NULL);"
     "CREATE TABLE memberships("
     " community INTEGER NOT NULL REFERENCES communities(id),"
     " org INTEGER NOT NULL REFERENCES orgs(id),"
     " can_read INTEGER NOT NULL,"
     " can_write INTEGER NOT NULL,"
     " since TEXT NOT NULL,"
     " PRIMARY KEY(community, org)) WITHOUT ROWID;"
     "CREATE INDEX memberships_org ON memberships(org);"
     "CREATE TABLE shares("
     " id INTEGER PRIMARY KEY,"
     " seq INTEGER NOT NULL,"
     " community INTEGER REFERENCES communities(id),"
     " recipients TEXT,"
     " by_user INTEGER NOT NULL,"
     " by_org INTEGER NOT NULL,"
     " at TEXT NOT NULL);"
     "CREATE INDEX shares_seq ON shares(seq);"
     "CREATE TABLE grants("
     " community INTEGER NOT NULL,"
     " added INTEGER NOT NULL,"
     " seq INTEGER NOT NULL,"
     " share INTEGER,"
     " PRIMARY KEY(community, added, seq)) WITHOUT ROWID;"
     "ALTER TABLE objects ADD COLUMN comm INTEGER NOT NULL DEFAULT 1;"
     "ALTER TABLE objects ADD COLUMN shared_to TEXT;"
     "INSERT INTO communities(id,bit,uuid,name,title,kind,home_node,created)"
     " SELECT 1, 0, substr(h,1,8)||'-'||substr(h,9,4)||'-4'||substr(h,14,3)||'-'"
     "  ||substr('89ab', 1 + (abs(random()) % 4), 1)||substr(h,18,3)||'-'||substr(h,21,12),"
     "  'national', 'the national community', 'national', 0, strftime('%Y-%m-%dT%H:%M:%SZ','now')"
     " FROM (SELECT lower(hex(randomblob(16))) AS h);"
     "INSERT INTO memberships(community,org,can_read,can_write,since)"
     " SELECT 1, id, 1, 1, strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM orgs ORDER BY id;"),
    /* 13 (issue 11): the status resources of TAXII POSTs (docs/federation.md 6.1),
     * each readable by its poster (a user, or later a peer node) until `expires`
     * (unix seconds); expired ones are deleted by the next POST */
    "CREATE TABLE taxii_status("
    " id TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL DEFAULT 0,"
    " node INTEGER NOT NULL DEFAULT 0,"
    " request_timestamp TEXT NOT NULL,"
    " expires INTEGER NOT NULL,"
    " body TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX taxii_status_expires ON taxii_status(expires);",
    /* Peers (issue 11, docs/federation.md section 6.1). nodes: row 0 is this node, every
     * other row a peer: how to reach it (url, TLS, auth), the key this node presents to
     * it (out_secret, in clear: the store is 0600 in a 0700 directory; never served nor
     * printed) and its sync status. A removed peer's id is never given to another
     * (store_node_add), so that nothing bound to or received from it is taken for the
     * new one's.
     * orgs.node: the node an organisation is homed at (0: here). peer_keys: the keys
     * peers present here, BLAKE2b-hashed as api_keys are. bookmarks: per (peer,
     * remote collection, direction) how far a sync got. received: the provenance of
     * each version first received from a peer; objects.via the peer (0: posted here). */
    ("CREATE TABLE nodes("
     " id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " country TEXT NOT NULL DEFAULT '',"
     " identity TEXT NOT NULL DEFAULT '',"
     " url TEXT NOT NULL DEFAULT '',"
     " kind TEXT NOT NULL,"
     " direction TEXT NOT NULL DEFAULT 'pull',"
     " verify TEXT NOT NULL DEFAULT 'system',"
     " ca_file TEXT NOT NULL DEFAULT '',"
     " pin TEXT NOT NULL DEFAULT '',"
     " client_cert TEXT NOT NULL DEFAULT '',"
     " client_key TEXT NOT NULL DEFAULT '',"
     " allow_http INTEGER NOT NULL DEFAULT 0,"
     " auth TEXT NOT NULL DEFAULT 'bearer',"
     " out_user TEXT NOT NULL DEFAULT '',"
     " out_secret TEXT,"
     " require_client_cert INTEGER NOT NULL DEFAULT 0,"
     " client_pin TEXT NOT NULL DEFAULT '',"
     " unmarked_tlp INTEGER,"
     " default_org INTEGER NOT NULL DEFAULT 0,"
     " interval INTEGER NOT NULL DEFAULT 0,"
     " paused INTEGER NOT NULL DEFAULT 0,"
     " created TEXT NOT NULL,"
     " last_attempt TEXT, last_success TEXT, last_error_code TEXT, last_error TEXT, last_error_coll TEXT,"
     " last_error_at TEXT, failures INTEGER NOT NULL DEFAULT 0, next_run TEXT);"
     "INSERT INTO nodes(id,name,kind,identity,created) SELECT 0, 'self', 'self',"
     " coalesce((SELECT value FROM meta WHERE key='node_identity'), ''), strftime('%Y-%m-%dT%H:%M:%SZ','now');"
     "ALTER TABLE orgs ADD COLUMN node INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE peer_keys("
     " id INTEGER PRIMARY KEY,"
     " hash BLOB NOT NULL UNIQUE,"
     " node INTEGER NOT NULL REFERENCES nodes(id),"
     " prefix TEXT NOT NULL DEFAULT '',"
     " comment TEXT NOT NULL DEFAULT '',"
     " created INTEGER, expires INTEGER, last_used INTEGER, revoked INTEGER, replaced_by INTEGER);"
     "CREATE INDEX peer_keys_node ON peer_keys(node);"
     "CREATE TABLE bookmarks("
     " node INTEGER NOT NULL,"
     " collection TEXT NOT NULL,"
     " direction TEXT NOT NULL,"
     " community INTEGER NOT NULL DEFAULT 0,"
     " added_after TEXT NOT NULL DEFAULT '',"
     " next TEXT NOT NULL DEFAULT '',"
     " cursor INTEGER NOT NULL DEFAULT 0,"
     " objects INTEGER NOT NULL DEFAULT 0,"
     " duplicates INTEGER NOT NULL DEFAULT 0,"
     " refused_owner INTEGER NOT NULL DEFAULT 0,"
     " refused_community INTEGER NOT NULL DEFAULT 0,"
     " refused_tlp INTEGER NOT NULL DEFAULT 0,"
     " refused_invalid INTEGER NOT NULL DEFAULT 0,"
     " refused_conflict INTEGER NOT NULL DEFAULT 0,"
     " refused_cap INTEGER NOT NULL DEFAULT 0,"
     " last_page_at TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY(node, collection, direction)) WITHOUT ROWID;"
     "CREATE TABLE received("
     " seq INTEGER PRIMARY KEY,"
     " node INTEGER NOT NULL,"
     " collection TEXT NOT NULL,"
     " at TEXT NOT NULL,"
     " remote_added TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX received_node ON received(node, seq);"
     "ALTER TABLE objects ADD COLUMN via INTEGER NOT NULL DEFAULT 0;"),
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static enum mz_err db_error(struct store *st, struct mz_error *err, const char *what)
{
    int code = sqlite3_errcode(st->db);
    enum mz_err rc = MZ_EIO;

    if (code == SQLITE_CONSTRAINT)
        rc = MZ_ECONFLICT;
    else if (code == SQLITE_NOMEM)
        rc = MZ_ENOMEM;
    else if (code == SQLITE_TOOBIG)
        rc = MZ_ETOOBIG;
    return mz_error_set(err, rc, "", "store: %s: %s", what, sqlite3_errmsg(st->db));
}

static enum mz_err exec(struct store *st, const char *sql, struct mz_error *err)
{
    char *msg = NULL;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        mz_error_set(err, MZ_EIO, "", "store: %s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return MZ_EIO;
    }
    return MZ_OK;
}

static enum mz_err prepare(struct store *st, const char *sql, sqlite3_stmt **out,
                           struct mz_error *err)
{
    st->prepares++;
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare");
    return MZ_OK;
}

long store_prepare_count(const struct store *st)
{
    return st->prepares;
}

/* The statement cache (callgrind on bench/sync: a quarter of a pulled object's
 * instructions went to preparing the same few statements again for each object).
 * prepare_cached hands out the statement kept for sql, preparing it once per
 * connection (SQLITE_PREPARE_PERSISTENT); release gives it back reset with its
 * bindings cleared, or finalizes a statement that is not the cache's. The key is the
 * text's address, checked against the statement's own text (a text built in a
 * buffer that happens to sit at a cached address is not mistaken for it): use it with
 * string constants. A statement is handed out to one user at a time: a nested call
 * that wants the same one while it is out (or a full cache) gets a fresh prepare,
 * finalized by release. SQLite prepares a kept statement again by itself when the
 * schema changes (migrations run before any of them is made). store_close finalizes
 * them. Every statement from prepare_cached goes back through release, on every
 * path. */
static enum mz_err prepare_cached(struct store *st, const char *sql, sqlite3_stmt **out,
                                  struct mz_error *err)
{
    struct stmt_slot *slot = NULL;

    for (int i = 0; i < st->cache_used; i++) {
        if (st->cache[i].sql == sql && strcmp(sqlite3_sql(st->cache[i].s), sql) == 0) {
            slot = &st->cache[i];
            break;
        }
    }
    if (slot && !slot->busy) {
        slot->busy = 1;
        *out = slot->s;
        return MZ_OK;
    }
    if (!slot && st->cache_used < STMT_CACHE_SLOTS) {
        sqlite3_stmt *s = NULL;
        st->prepares++;
        if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
            return db_error(st, err, "prepare");
        slot = &st->cache[st->cache_used++];
        slot->sql = sql;
        slot->s = s;
        slot->busy = 1;
        *out = s;
        return MZ_OK;
    }
    return prepare(st, sql, out, err); /* in use already (a nested call), or no room */
}

/* Give back a statement of prepare_cached (NULL: nothing). */
static void release(struct store *st, sqlite3_stmt *s)
{
    if (!s)
        return;
    for (int i = 0; i < st->cache_used; i++) {
        if (st->cache[i].s == s && st->cache[i].busy) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            st->cache[i].busy = 0;
            return;
        }
    }
    sqlite3_finalize(s);
}

/* exec for one statement without output, through the cache (sql a constant). */
static enum mz_err exec_cached(struct store *st, const char *sql, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_cached(st, sql, &s, err);

    if (rc)
        return rc;
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = mz_error_set(err, MZ_EIO, "", "store: %s", sqlite3_errmsg(st->db));
    release(st, s);
    return rc;
}

static enum mz_err migrate(struct store *st, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    int version = 0;
    enum mz_err rc;

    rc = exec(st, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);", err);
    if (rc)
        return rc;
    rc = prepare(st, "SELECT max(version) FROM schema_version", &s, err);
    if (rc)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > N_MIGRATIONS)
        return mz_error_set(err, MZ_EIO, "", "store: schema version %d is newer than this mreza (%d); upgrade mreza",
                            version, N_MIGRATIONS);
    for (int from = version; version < N_MIGRATIONS; version++) {
        char bump[96];
        struct mz_time t0, t1;
        mz_time_now(&t0);
        rc = exec(st, "BEGIN IMMEDIATE", err);
        if (rc)
            return rc;
        snprintf(bump, sizeof bump, "INSERT INTO schema_version VALUES(%d)", version + 1);
        rc = exec(st, migrations[version], err);
        if (!rc)
            rc = exec(st, bump, err);
        if (!rc)
            rc = exec(st, "COMMIT", err);
        if (rc) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        /* an upgrade says what it did and how long it took (the first build of migration 12
         * stamped a grant per version: about a second a million) */
        mz_time_now(&t1);
        if (from > 0)
            MZ_LOG(MZ_LOG_INFO, "event=store_migrated version=%d ms=%lld", version + 1,
                   (long long)((t1.sec - t0.sec) * 1000 + (t1.nsec - t0.nsec) / 1000000));
    }
    return MZ_OK;
}

/* What mode asks of dir before SQLite opens path (dir/mreza.db): EXISTING needs the
 * file there and creates nothing; CREATE and NEW create the directory and the file
 * (mode 0600) if it is missing; NEW creates it exclusively, so that of two
 * `mreza init --demo` at once one fails before it writes anything (SQLite takes an
 * empty file for an empty database). */
static enum mz_err claim_path(const char *dir, const char *path, enum store_open_mode mode,
                              struct mz_error *err)
{
    struct stat sb;
    int fd;

    if (mode == STORE_OPEN_EXISTING) {
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            return mz_error_set(err, MZ_ENOTFOUND, "", "store: no store in %s", dir);
        return MZ_OK;
    }
    if (mkdir(dir, 0700) != 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return mz_error_set(err, MZ_EIO, "", "store: cannot create directory %s", dir);
    /* The store holds every TLP level: it is created readable by its owner only,
     * whatever the umask and however open the directory was made (SQLite would
     * create it with the umask's mode, and gives its -wal and -shm files the mode of
     * the database file). */
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (mode == STORE_OPEN_NEW ? O_EXCL : 0), 0600);
    if (fd < 0 && errno == EEXIST)
        return mz_error_set(err, MZ_ECONFLICT, "", "store: %s already holds a store", dir);
    if (fd < 0)
        return mz_error_set(err, MZ_EIO, "", "store: cannot create %s: %s", path, strerror(errno));
    close(fd);
    return MZ_OK;
}

enum mz_err store_open(const char *dir, const struct store_opts *opts, struct store **out,
                       struct mz_error *err)
{
    char path[1024], pragmas[256];
    enum store_open_mode mode = opts ? opts->mode : STORE_OPEN_CREATE;
    struct store *st;
    enum mz_err rc;

    if ((size_t)snprintf(path, sizeof path, "%s/mreza.db", dir) >= sizeof path)
        return mz_error_set(err, MZ_EINVAL, "", "store: path too long: %s", dir);
    rc = claim_path(dir, path, mode, err);
    if (rc)
        return rc;
    st = calloc(1, sizeof *st);
    if (!st)
        return MZ_ENOMEM;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                        (mode == STORE_OPEN_EXISTING ? 0 : SQLITE_OPEN_CREATE), NULL) != SQLITE_OK) {
        rc = mz_error_set(err, MZ_EIO, "", "store: cannot open %s: %s", path,
                          st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
             "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%ld; PRAGMA journal_size_limit=%d;"
             "PRAGMA wal_autocheckpoint=%d;"
             /* reads straight from the page cache through a mapping (SQLite caps it at
              * its compiled maximum): a full scan - the index build reads every row -
              * then costs no read() per page. Writes still go through write(). */
             "PRAGMA mmap_size=17179869184;",
             (opts && opts->cache_mb > 0 ? opts->cache_mb : 64) * 1024, 64 << 20,
             opts && opts->manual_checkpoint ? 0 : WAL_AUTOCHECKPOINT_PAGES);
    rc = exec(st, pragmas, err);
    if (!rc)
        rc = migrate(st, err);
    if (!rc)
        rc = prepare(st, "SELECT max(vkey) FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=?3",
                     &st->put_max, err);
    if (!rc)
        /* the newest stamp: of the versions, of the share records (a grant is
         * stamped with one or the other), the newest share being the last one, and
         * of the peers' stamps (store_peer_stamp: grants of community 0, in the
         * key's order, spelled as date_added is) */
        rc = prepare(st,
                     "SELECT max(m) FROM (SELECT max(date_added) AS m FROM objects"
                     " UNION ALL SELECT at FROM shares WHERE id = (SELECT max(id) FROM shares)"
                     " UNION ALL SELECT strftime('%Y-%m-%dT%H:%M:%S', added / 1000000, 'unixepoch')"
                     "  || printf('.%06dZ', added % 1000000) FROM grants WHERE community = 0"
                     "  AND added = (SELECT max(added) FROM grants WHERE community = 0))",
                     &st->put_last, err);
    if (!rc)
        rc = prepare(st,
                     "SELECT seq,owner_org,owner_user,submitter,vkey,version,tlp,tlp_defaulted,tlp_inherited,"
                     "revoked,attested,cx,audience,wd_keep,date_added,created_by,comm,shared_to,"
                     "(SELECT role FROM users WHERE users.id=objects.submitter)"
                     " FROM objects WHERE stix_id=?1 AND seq>?2"
                     " ORDER BY seq",
                     &st->id_rows, err);
    if (!rc)
        rc = prepare(st,
                     "SELECT seq,owner_org,owner_user,submitter,vkey,version,tlp,tlp_defaulted,tlp_inherited,"
                     "revoked,attested,cx,audience,wd_keep,date_added,created_by,comm,shared_to,"
                     "(SELECT role FROM users WHERE users.id=objects.submitter)"
                     " FROM objects WHERE stix_id=?1 AND seq>?2 AND cx = 1 ORDER BY seq",
                     &st->id_rows_cx, err);
    if (!rc)
        rc = prepare(st, "UPDATE objects SET latest=0 WHERE stix_id=?1 AND owner_org=?2 AND owner_user=?3 AND latest=1",
                     &st->put_clear, err);
    if (!rc)
        rc = prepare(st,
                     "INSERT OR IGNORE INTO objects(stix_id,type,version,vkey,date_added,created_by,"
                     "owner_org,submitter,tlp,tlp_defaulted,revoked,latest,audience,body,"
                     "observables,match_plan,valid_from,valid_until,owner_user,attested,cx,tlp_inherited,"
                     "comm,shared_to,via)"
                     " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,"
                     "?25)",
                     &st->put_ins, err);
    if (!rc)
        rc = prepare(st, "INSERT INTO grants(community,added,seq,share) VALUES(?1,?2,?3,?4)", &st->put_grant,
                     err);
    if (!rc)
        rc = prepare(st,
                     "SELECT coalesce(sum(CASE WHEN m.can_read THEN 1 << c.bit ELSE 0 END), 0),"
                     " coalesce(sum(CASE WHEN m.can_write THEN 1 << c.bit ELSE 0 END), 0)"
                     " FROM memberships m JOIN communities c ON c.id = m.community WHERE m.org = ?1",
                     &st->org_comm, err);
    /* ids compared without regard to case (a UUID may be spelt in either); the tables
     * of organisations and users are small, so no index is needed for it */
    if (!rc)
        rc = prepare(st,
                     "SELECT id,0 FROM orgs WHERE identity=?1 COLLATE NOCASE"
                     " UNION ALL SELECT org_id,id FROM users WHERE identity=?1 COLLATE NOCASE LIMIT 1",
                     &st->ident_of, err);
    /* the node writes its ids in lower case: one probe of objects_version */
    if (rc)
        goto fail;
    *out = st;
    return MZ_OK;
fail:
    store_close(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->put_max);
    sqlite3_finalize(st->put_clear);
    sqlite3_finalize(st->put_ins);
    sqlite3_finalize(st->ident_of);
    sqlite3_finalize(st->put_last);
    sqlite3_finalize(st->id_rows);
    sqlite3_finalize(st->put_grant);
    sqlite3_finalize(st->org_comm);
    sqlite3_finalize(st->id_rows_cx);
    for (int i = 0; i < st->cache_used; i++)
        sqlite3_finalize(st->cache[i].s);
    sqlite3_close(st->db);
    free(st);
}

void store_set_hook(struct store *st, store_hook_fn fn, void *ctx)
{
    st->hook = fn;
    st->hook_ctx = ctx;
}

/* A transaction begun inside another is a savepoint of it (docs in store.h). */
/* the savepoints of the first depths as constants, for the statement cache (a sync
 * page opens one per object) */
static const char *const savepoint_sql[] = {"SAVEPOINT s0", "SAVEPOINT s1", "SAVEPOINT s2", "SAVEPOINT s3"};
static const char *const release_sql[] = {"RELEASE s0", "RELEASE s1", "RELEASE s2", "RELEASE s3"};
#define N_SAVEPOINT_SQL ((int)(sizeof savepoint_sql / sizeof savepoint_sql[0]))

static enum mz_err begin_nested(struct store *st, struct mz_error *err)
{
    char sql[32];
    enum mz_err rc;

    if (st->depth < N_SAVEPOINT_SQL) {
        rc = exec_cached(st, savepoint_sql[st->depth], err);
    } else {
        snprintf(sql, sizeof sql, "SAVEPOINT s%d", st->depth);
        rc = exec(st, sql, err);
    }
    if (!rc)
        st->depth++;
    return rc;
}

void store_allow_nested(struct store *st, int on)
{
    st->nest = on;
}

/* The connection's synchronous level: NORMAL (relaxed 1) for store_begin_unacked's
 * transaction, FULL (0) for every other. SQLite refuses the change inside a
 * transaction, so it is made before BEGIN; a failure to set FULL back is the begin's
 * failure (nothing is written with less than FULL by mistake). */
static enum mz_err set_relaxed(struct store *st, int relaxed, struct mz_error *err)
{
    enum mz_err rc;

    if (st->relaxed == relaxed)
        return MZ_OK;
    rc = exec(st, relaxed ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", err);
    if (!rc)
        st->relaxed = relaxed;
    return rc;
}

/* After the outer transaction of store_begin_unacked ends: FULL again at once, so
 * that a write outside a transaction (autocommit) is never made with NORMAL either.
 * Should it fail, st->relaxed stays 1 and the next store_begin sets it, or fails. */
static void end_relaxed(struct store *st)
{
    struct mz_error ignored;

    if (st->relaxed)
        set_relaxed(st, 0, &ignored);
}

static enum mz_err begin_outer(struct store *st, int relaxed, struct mz_error *err)
{
    enum mz_err rc;

    if (st->hook)
        st->hook(st->hook_ctx, STORE_HOOK_BEFORE_BEGIN);
    rc = set_relaxed(st, relaxed, err);
    if (rc)
        return rc;
    st->last_added_known = 0; /* read again under the lock: other connections write */
    rc = exec(st, "BEGIN IMMEDIATE", err);
    st->depth = rc ? 0 : 1;
    if (rc)
        end_relaxed(st);
    return rc;
}

enum mz_err store_begin(struct store *st, struct mz_error *err)
{
    if (st->nest && st->depth > 0 && !sqlite3_get_autocommit(st->db))
        return begin_nested(st, err);
    return begin_outer(st, 0, err);
}

enum mz_err store_begin_unacked(struct store *st, struct mz_error *err)
{
    if (st->nest && st->depth > 0 && !sqlite3_get_autocommit(st->db))
        return begin_nested(st, err); /* a savepoint: the outer transaction's durability */
    return begin_outer(st, 1, err);
}

int store_synchronous(struct store *st)
{
    sqlite3_stmt *s = NULL;
    struct mz_error ignored;
    int level = -1;

    if (prepare(st, "PRAGMA synchronous", &s, &ignored))
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        level = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return level;
}

enum mz_err store_begin_read(struct store *st, struct mz_error *err)
{
    enum mz_err rc;

    if (st->nest && st->depth > 0 && !sqlite3_get_autocommit(st->db))
        return begin_nested(st, err);
    rc = exec(st, "BEGIN DEFERRED", err);
    st->depth = rc ? 0 : 1;
    return rc;
}

enum mz_err store_commit(struct store *st, struct mz_error *err)
{
    enum mz_err rc;

    if (st->depth > 1 && !sqlite3_get_autocommit(st->db)) {
        char sql[32];
        if (st->depth - 1 < N_SAVEPOINT_SQL) {
            rc = exec_cached(st, release_sql[st->depth - 1], err);
        } else {
            snprintf(sql, sizeof sql, "RELEASE s%d", st->depth - 1);
            rc = exec(st, sql, err);
        }
        if (rc)
            store_rollback(st);
        else
            st->depth--;
        return rc;
    }
    if (st->hook)
        st->hook(st->hook_ctx, STORE_HOOK_BEFORE_COMMIT);
    rc = exec(st, "COMMIT", err);
    if (rc)
        store_rollback(st);
    st->depth = 0;
    end_relaxed(st);
    return rc;
}

void store_rollback(struct store *st)
{
    if (st->depth > 1 && !sqlite3_get_autocommit(st->db)) {
        char sql[64];
        snprintf(sql, sizeof sql, "ROLLBACK TO s%d; RELEASE s%d", st->depth - 1, st->depth - 1);
        sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        st->depth--;
        st->last_added_known = 0; /* the stamps it wrote are gone */
        return;
    }
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->depth = 0;
    end_relaxed(st);
}

enum mz_err store_savepoint(struct store *st, struct mz_error *err)
{
    return exec_cached(st, "SAVEPOINT one_object", err);
}

enum mz_err store_savepoint_release(struct store *st, struct mz_error *err)
{
    return exec_cached(st, "RELEASE one_object", err);
}

enum mz_err store_savepoint_rollback(struct store *st, struct mz_error *err)
{
    enum mz_err rc = exec(st, "ROLLBACK TO one_object", err);

    return rc ? rc : exec(st, "RELEASE one_object", err);
}

enum mz_err store_checkpoint(struct store *st, struct mz_error *err)
{
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        return db_error(st, err, "checkpoint");
    return MZ_OK;
}

enum mz_err store_max_seq(struct store *st, int64_t *seq_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT coalesce(max(seq), 0) FROM objects", &s, err);

    if (rc)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *seq_out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "read sequence");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_check(struct store *st, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "PRAGMA integrity_check", &s, err);

    if (rc)
        return rc;
    if (sqlite3_step(s) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
        rc = mz_error_set(err, MZ_EIO, "", "store: integrity check failed: %s",
                          sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "?");
    sqlite3_finalize(s);
    return rc;
}

/* ---- organisations, users, keys ---- */

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

#define ORG_COLS "id,name,full_name,identity,country,sector,kind,coalesce(rank,-1)"
#define USER_COLS "id,name,org_id,role,identity,coalesce(disabled,0)"
#define KEY_COLS                                                                                  \
    "id,user_id,prefix,comment,coalesce(created,0),coalesce(expires,0),coalesce(last_used,0),"     \
    "coalesce(revoked,0),coalesce(replaced_by,0)"

static void read_org(sqlite3_stmt *s, int c, struct store_org *o)
{
    o->id = sqlite3_column_int64(s, c);
    copy_col(o->name, sizeof o->name, s, c + 1);
    copy_col(o->full_name, sizeof o->full_name, s, c + 2);
    copy_col(o->identity, sizeof o->identity, s, c + 3);
    copy_col(o->country, sizeof o->country, s, c + 4);
    copy_col(o->sector, sizeof o->sector, s, c + 5);
    copy_col(o->kind, sizeof o->kind, s, c + 6);
    o->rank = sqlite3_column_int(s, c + 7);
}

static void read_user(sqlite3_stmt *s, int c, struct store_user *u)
{
    u->id = sqlite3_column_int64(s, c);
    copy_col(u->name, sizeof u->name, s, c + 1);
    u->org_id = sqlite3_column_int64(s, c + 2);
    copy_col(u->role, sizeof u->role, s, c + 3);
    copy_col(u->identity, sizeof u->identity, s, c + 4);
    u->disabled = sqlite3_column_int64(s, c + 5);
}

static void read_key(sqlite3_stmt *s, int c, struct store_key *k)
{
    k->id = sqlite3_column_int64(s, c);
    k->user_id = sqlite3_column_int64(s, c + 1);
    copy_col(k->prefix, sizeof k->prefix, s, c + 2);
    copy_col(k->comment, sizeof k->comment, s, c + 3);
    k->created = sqlite3_column_int64(s, c + 4);
    k->expires = sqlite3_column_int64(s, c + 5);
    k->last_used = sqlite3_column_int64(s, c + 6);
    k->revoked = sqlite3_column_int64(s, c + 7);
    k->replaced_by = sqlite3_column_int64(s, c + 8);
}

/* 0 is "none" in struct store_key and NULL in the table. */
static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
    if (t)
        sqlite3_bind_int64(s, i, t);
    else
        sqlite3_bind_null(s, i);
}

enum mz_err store_org_add(struct store *st, struct store_org *org, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "INSERT INTO orgs(name,full_name,identity,country,sector,kind)"
                             " VALUES(?1,?2,?3,?4,?5,?6)", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, org->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, org->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, org->identity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, org->country, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, org->sector, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, org->kind, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT
                 ? mz_error_set(err, MZ_ECONFLICT, "/name", "an organisation named '%s' already exists", org->name)
                 : db_error(st, err, "add organisation");
    } else {
        org->id = sqlite3_last_insert_rowid(st->db);
    }
    sqlite3_finalize(s);
    return rc;
}

static enum mz_err org_query(struct store *st, const char *sql, const char *name, int64_t id,
                             struct store_org *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_cached(st, sql, &s, err);
    int step;

    if (rc)
        return rc;
    if (name)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_org(s, 0, out);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no organisation '%s'", name ? name : "(by id)");
    else
        rc = db_error(st, err, "read organisation");
    release(st, s);
    return rc;
}

enum mz_err store_org_by_name(struct store *st, const char *name, struct store_org *out,
                              struct mz_error *err)
{
    return org_query(st, "SELECT " ORG_COLS " FROM orgs WHERE name=?1", name, 0, out, err);
}

enum mz_err store_org_by_id(struct store *st, int64_t id, struct store_org *out,
                            struct mz_error *err)
{
    return org_query(st, "SELECT " ORG_COLS " FROM orgs WHERE id=?1", NULL, id, out, err);
}

enum mz_err store_org_list(struct store *st, store_org_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " ORG_COLS " FROM orgs ORDER BY name", &s, err);
    int step;

    if (rc)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_org o;
        read_org(s, 0, &o);
        if (fn(ctx, &o))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_error(st, err, "list organisations");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_user_add(struct store *st, struct store_user *user, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "INSERT INTO users(name,org_id,role,identity) VALUES(?1,?2,?3,?4)",
                             &s, err);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, user->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, user->org_id);
    sqlite3_bind_text(s, 3, user->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, user->identity, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT
                 ? mz_error_set(err, MZ_ECONFLICT, "/name", "a user named '%s' already exists", user->name)
                 : db_error(st, err, "add user");
    } else {
        user->id = sqlite3_last_insert_rowid(st->db);
    }
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_user_by_name(struct store *st, const char *name, struct store_user *out,
                               struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " USER_COLS " FROM users WHERE name=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_user(s, 0, out);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no user '%s'", name);
    else
        rc = db_error(st, err, "read user");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_user_by_id(struct store *st, int64_t id, struct store_user *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " USER_COLS " FROM users WHERE id=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_user(s, 0, out);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no user %lld", (long long)id);
    else
        rc = db_error(st, err, "read user");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_user_list(struct store *st, int64_t org_id, store_user_fn fn, void *ctx,
                            struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " USER_COLS " FROM users WHERE ?1=0 OR org_id=?1 ORDER BY name",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, org_id);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_user u;
        read_user(s, 0, &u);
        if (fn(ctx, &u))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_error(st, err, "list users");
    sqlite3_finalize(s);
    return rc;
}

#define KEY_EXISTS "SELECT 1 FROM api_keys WHERE id=?1"
#define USER_EXISTS "SELECT 1 FROM users WHERE id=?1"

/* Run s (prepared, bound) as one change of the row `id` names: MZ_OK when a row
 * changed; when none did, MZ_ENOTFOUND if exists_sql finds no row of that id, else
 * `refused` (the row's state did not allow the change). Finalizes s. */
static enum mz_err change_row(struct store *st, sqlite3_stmt *s, const char *exists_sql, int64_t id,
                              enum mz_err refused, struct mz_error *err)
{
    sqlite3_stmt *q = NULL;
    enum mz_err rc = MZ_OK;

    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "change");
    else if (sqlite3_changes(st->db) == 0 && !(rc = prepare(st, exists_sql, &q, err))) {
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_step(q) != SQLITE_ROW)
            rc = mz_error_set(err, MZ_ENOTFOUND, "", "no row %lld", (long long)id);
        else if (refused)
            rc = mz_error_set(err, refused, "", "row %lld does not allow that change now", (long long)id);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_user_set_disabled(struct store *st, int64_t user_id, int64_t when,
                                    struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE users SET disabled=CASE WHEN ?2 IS NULL THEN NULL"
                                 " ELSE coalesce(disabled, ?2) END WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    bind_time(s, 2, when);
    return change_row(st, s, USER_EXISTS, user_id, MZ_OK, err);
}

/* Insert key k (its owner in k->user_id: a user, or for peer_keys a node) with sql, the
 * INSERT of api_keys or peer_keys (the same columns); what names it in errors. */
static enum mz_err key_insert(struct store *st, const char *sql, const char *what, const unsigned char *hash,
                              size_t hash_len, struct store_key *k, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, sql, &s, err);

    if (rc)
        return rc;
    sqlite3_bind_blob(s, 1, hash, (int)hash_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, k->user_id);
    sqlite3_bind_text(s, 3, k->prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, k->comment, -1, SQLITE_STATIC);
    bind_time(s, 5, k->created);
    bind_time(s, 6, k->expires);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = db_error(st, err, what);
    } else {
        k->id = sqlite3_last_insert_rowid(st->db);
        k->last_used = k->revoked = k->replaced_by = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_key_add(struct store *st, const unsigned char *hash, size_t hash_len,
                          struct store_key *k, struct mz_error *err)
{
    return key_insert(st, "INSERT INTO api_keys(hash,user_id,prefix,comment,created,expires) VALUES(?1,?2,?3,?4,?5,?6)",
                      "add key", hash, hash_len, k, err);
}

enum mz_err store_key_lookup(struct store *st, const unsigned char *hash, size_t hash_len,
                             struct store_key *key_out, struct store_user *user_out,
                             struct store_org *org_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT k.id,k.user_id,k.prefix,k.comment,coalesce(k.created,0),"
                             " coalesce(k.expires,0),coalesce(k.last_used,0),coalesce(k.revoked,0),"
                             " coalesce(k.replaced_by,0),"
                             " u.id,u.name,u.org_id,u.role,u.identity,coalesce(u.disabled,0),"
                             " o.id,o.name,o.full_name,o.identity,o.country,o.sector,o.kind,coalesce(o.rank,-1)"
                             " FROM api_keys k JOIN users u ON u.id=k.user_id"
                             " JOIN orgs o ON o.id=u.org_id WHERE k.hash=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_blob(s, 1, hash, (int)hash_len, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_key(s, 0, key_out);
        if (user_out)
            read_user(s, 9, user_out);
        if (org_out)
            read_org(s, 15, org_out);
    } else if (step == SQLITE_DONE) {
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "unknown API key");
    } else {
        rc = db_error(st, err, "look up key");
    }
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_identity_owner(struct store *st, const char *identity, int64_t *org_out, int64_t *user_out,
                                 struct mz_error *err)
{
    sqlite3_stmt *s = st->ident_of;
    enum mz_err rc = MZ_OK;
    int step;

    sqlite3_bind_text(s, 1, identity, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *org_out = sqlite3_column_int64(s, 0);
        *user_out = sqlite3_column_int64(s, 1);
    } else if (step == SQLITE_DONE) {
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no organisation or user has identity '%.64s'", identity);
    } else {
        rc = db_error(st, err, "look up identity");
    }
    sqlite3_reset(s);
    return rc;
}

enum mz_err store_key_get(struct store *st, int64_t id, struct store_key *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " KEY_COLS " FROM api_keys WHERE id=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_key(s, 0, out);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no key %lld", (long long)id);
    else
        rc = db_error(st, err, "read key");
    sqlite3_finalize(s);
    return rc;
}

/* Each key that sql (a SELECT of KEY_COLS or PEER_KEY_COLS, ?1 its owner) gives, to
 * fn, in its order; what names them in errors. */
static enum mz_err key_rows(struct store *st, const char *sql, int64_t owner, const char *what, store_key_fn fn,
                            void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, sql, &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, owner);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_key k;
        read_key(s, 0, &k);
        if (fn(ctx, &k)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, what);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_key_list(struct store *st, int64_t user_id, store_key_fn fn, void *ctx,
                           struct mz_error *err)
{
    return key_rows(st, "SELECT " KEY_COLS " FROM api_keys WHERE user_id=?1 ORDER BY id", user_id, "list keys", fn,
                    ctx, err);
}

enum mz_err store_key_revoke(struct store *st, int64_t id, int64_t when, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE api_keys SET revoked=?2 WHERE id=?1 AND (revoked IS NULL OR revoked > ?2)",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, when);
    /* revoked at or before `when` already: nothing to do, and no error */
    return change_row(st, s, KEY_EXISTS, id, MZ_OK, err);
}

enum mz_err store_key_set_expiry(struct store *st, int64_t id, int64_t expires, int64_t now,
                                 struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE api_keys SET expires=?2 WHERE id=?1 AND (revoked IS NULL OR revoked > ?3)",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    bind_time(s, 2, expires);
    sqlite3_bind_int64(s, 3, now);
    return change_row(st, s, KEY_EXISTS, id, MZ_ECONFLICT, err);
}

enum mz_err store_key_set_comment(struct store *st, int64_t id, const char *comment, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE api_keys SET comment=?2 WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, comment, -1, SQLITE_STATIC);
    return change_row(st, s, KEY_EXISTS, id, MZ_ECONFLICT, err);
}

enum mz_err store_key_replace(struct store *st, int64_t id, int64_t new_id, int64_t revoke_at, int64_t now,
                              struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "UPDATE api_keys SET replaced_by=?2, revoked=min(coalesce(revoked, ?3), ?3)"
                             " WHERE id=?1 AND replaced_by IS NULL AND (revoked IS NULL OR revoked > ?4)"
                             " AND (expires IS NULL OR expires > ?4)", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, new_id);
    sqlite3_bind_int64(s, 3, revoke_at);
    sqlite3_bind_int64(s, 4, now);
    return change_row(st, s, KEY_EXISTS, id, MZ_ECONFLICT, err);
}

enum mz_err store_key_touch(struct store *st, int64_t id, int64_t now, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE api_keys SET last_used=?2 WHERE id=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    /* not waiting for the lock: a busy store skips this record, not the request */
    sqlite3_busy_timeout(st->db, 0);
    step = sqlite3_step(s);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (step != SQLITE_DONE && sqlite3_errcode(st->db) != SQLITE_BUSY)
        rc = db_error(st, err, "record key use");
    sqlite3_finalize(s);
    return rc;
}

/* ---- objects ---- */

static int64_t time_us(const struct mz_time *t)
{
    return t->sec * 1000000 + t->nsec / 1000;
}

/* The date_added of the next row into out (MZ_TIME_STRLEN bytes): the later of the
 * clock (or ctx's time) and the newest stored date_added + 1 microsecond. Called
 * under the write lock, so no other connection can store a row in between; the
 * newest stored value is read once per transaction and then kept here. */
static enum mz_err next_date_added(struct store *st, const struct store_write_ctx *ctx, char *out,
                                   struct mz_error *err)
{
    struct mz_time t;
    int64_t us;

    if (!st->last_added_known || sqlite3_get_autocommit(st->db)) {
        const unsigned char *max;
        struct mz_time m;
        if (sqlite3_step(st->put_last) != SQLITE_ROW) {
            sqlite3_reset(st->put_last);
            return db_error(st, err, "read the newest date_added");
        }
        max = sqlite3_column_text(st->put_last, 0);
        st->last_added_us = max && !mz_time_parse((const char *)max, &m) ? time_us(&m) : INT64_MIN;
        sqlite3_reset(st->put_last);
        st->last_added_known = 1;
    }
    if (ctx->date_added) {
        if (mz_time_parse(ctx->date_added, &t))
            return mz_error_set(err, MZ_EINVAL, "", "store: date_added '%.40s' is not a timestamp", ctx->date_added);
    } else {
        mz_time_now(&t);
    }
    us = time_us(&t);
    if (st->last_added_us != INT64_MIN && us <= st->last_added_us)
        us = st->last_added_us + 1;
    t.sec = us / 1000000;
    t.nsec = (int32_t)(us % 1000000) * 1000;
    mz_time_format_us(&t, out);
    st->last_added_us = us;
    return MZ_OK;
}

/* The id of the community with bit, from the connection's cache, read again when
 * it does not know the bit (another connection may have added the community). */
static enum mz_err comm_id_of(struct store *st, int bit, int64_t *id_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc;

    if (bit < 0 || bit >= STORE_COMM_MAX)
        return mz_error_set(err, MZ_EINVAL, "community", "store: no community has bit %d", bit);
    if (st->comm_ids[bit]) {
        *id_out = st->comm_ids[bit];
        return MZ_OK;
    }
    rc = prepare(st, "SELECT id FROM communities WHERE bit=?1", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int(s, 1, bit);
    if (sqlite3_step(s) == SQLITE_ROW)
        *id_out = st->comm_ids[bit] = sqlite3_column_int64(s, 0);
    else
        rc = mz_error_set(err, MZ_EINVAL, "community", "store: no community has bit %d", bit);
    sqlite3_finalize(s);
    return rc;
}

/* One grant of version seq in community (id), stamped added_us (microseconds since
 * the epoch); share: the record that made it, or 0. */
static enum mz_err put_grant(struct store *st, int64_t seq, int64_t community, int64_t added_us, int64_t share,
                             struct mz_error *err)
{
    sqlite3_stmt *s = st->put_grant;
    enum mz_err rc = MZ_OK;

    sqlite3_bind_int64(s, 1, community);
    sqlite3_bind_int64(s, 2, added_us);
    sqlite3_bind_int64(s, 3, seq);
    if (share)
        sqlite3_bind_int64(s, 4, share);
    else
        sqlite3_bind_null(s, 4);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "grant");
    sqlite3_reset(s);
    return rc;
}

/* Does a community have each bit of comm? */
static enum mz_err check_comm(struct store *st, uint64_t comm, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    if (comm >> STORE_COMM_MAX)
        return mz_error_set(err, MZ_EINVAL, "community", "store: no community has bit %d", STORE_COMM_MAX);
    for (uint64_t c = comm; !rc && c; c &= c - 1) {
        int64_t id = 0;
        rc = comm_id_of(st, __builtin_ctzll(c), &id, err);
    }
    return rc;
}

/* The grants of new version seq: one per community of comm (checked: check_comm)
 * but the national one, whose grant is the version's own row (store_grants), each
 * stamped with its date_added (a stamp no other version has: in each community the
 * stamps stay unique and in commit order). */
static enum mz_err put_grants(struct store *st, int64_t seq, uint64_t comm, int64_t added_us, struct mz_error *err)
{
    enum mz_err rc = MZ_OK;

    for (uint64_t c = comm & ~STORE_COMM_NATIONAL; !rc && c; c &= c - 1)
        rc = put_grant(st, seq, st->comm_ids[__builtin_ctzll(c)], added_us, 0, err);
    return rc;
}

/* The received row of version seq (from peer node, through collection), unless it
 * has one: *added_out (may be NULL) says whether it was added. */
static enum mz_err put_receipt_row(struct store *st, int64_t seq, int64_t node, const char *collection,
                                   const char *remote_added, int *added_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    struct mz_time now;
    char at[MZ_TIME_STRLEN];
    enum mz_err rc = prepare_cached(st, "INSERT OR IGNORE INTO received(seq,node,collection,at,remote_added) VALUES(?1,?2,?3,?4,?5)",
                                    &s, err);

    if (rc)
        return rc;
    mz_time_now(&now);
    mz_time_format_us(&now, at);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, node);
    sqlite3_bind_text(s, 3, collection, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, remote_added ? remote_added : "", -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "record a receipt");
    else if (added_out)
        *added_out = sqlite3_changes(st->db) == 1;
    release(st, s);
    return rc;
}

/* A new version's received row (its objects.via written by the insert itself). */
static enum mz_err put_receipt(struct store *st, int64_t seq, int64_t node, const char *collection,
                               const char *remote_added, struct mz_error *err)
{
    return put_receipt_row(st, seq, node, collection, remote_added, NULL, err);
}

enum mz_err store_put_object(struct store *st, const struct store_write_ctx *ctx,
                             const struct store_object_in *o,
                             enum store_put_result *result_out, struct mz_error *err)
{
    uint64_t comm = o->comm ? o->comm : STORE_COMM_NATIONAL;
    sqlite3_stmt *s;
    int64_t seq;
    char date_added[MZ_TIME_STRLEN];
    int latest = o->latest_hint != STORE_LATEST_OLDER, clear = o->latest_hint == STORE_LATEST_NEWER;
    enum mz_err rc;

    rc = check_comm(st, comm, err);
    if (rc)
        return rc;
    if (o->latest_hint == STORE_LATEST_READ) {
        const unsigned char *max;
        int cmp = 1;
        s = st->put_max;
        sqlite3_bind_text(s, 1, o->stix_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, ctx->owner_org);
        sqlite3_bind_int64(s, 3, ctx->owner_user);
        if (sqlite3_step(s) != SQLITE_ROW) {
            sqlite3_reset(s);
            return db_error(st, err, "read versions");
        }
        max = sqlite3_column_text(s, 0);
        if (max)
            cmp = strcmp(o->version_key, (const char *)max);
        sqlite3_reset(s);
        if (cmp == 0) {
            *result_out = STORE_PUT_DUPLICATE;
            return MZ_OK;
        }
        latest = cmp > 0; /* else an older version arriving late */
        clear = cmp > 0 && max;
    }
    if (clear) {
        s = st->put_clear;
        sqlite3_bind_text(s, 1, o->stix_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, ctx->owner_org);
        sqlite3_bind_int64(s, 3, ctx->owner_user);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_reset(s);
            return db_error(st, err, "mark old version");
        }
        sqlite3_reset(s);
    }
    rc = next_date_added(st, ctx, date_added, err);
    if (rc)
        return rc;
    s = st->put_ins;
    sqlite3_bind_text(s, 1, o->stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, o->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, o->version_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, date_added, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, o->created_by ? o->created_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, ctx->owner_org);
    sqlite3_bind_int64(s, 8, ctx->submitter);
    sqlite3_bind_int(s, 9, o->tlp);
    sqlite3_bind_int(s, 10, o->tlp_defaulted);
    sqlite3_bind_int(s, 11, o->revoked);
    sqlite3_bind_int(s, 12, latest);
    if (o->audience)
        sqlite3_bind_text(s, 13, o->audience, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 13);
    sqlite3_bind_text(s, 14, o->body, (int)o->body_len, SQLITE_STATIC);
    if (o->observables)
        sqlite3_bind_text(s, 15, o->observables, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 15);
    sqlite3_bind_int(s, 16, o->match_plan);
    sqlite3_bind_int64(s, 17, o->valid_from);
    sqlite3_bind_int64(s, 18, o->valid_until);
    sqlite3_bind_int64(s, 19, ctx->owner_user);
    sqlite3_bind_int(s, 20, o->attested);
    sqlite3_bind_int(s, 21, o->cx);
    sqlite3_bind_int(s, 22, o->tlp_inherited);
    sqlite3_bind_int64(s, 23, (int64_t)comm);
    if (o->shared_to && *o->shared_to)
        sqlite3_bind_text(s, 24, o->shared_to, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 24);
    sqlite3_bind_int64(s, 25, o->via > 0 ? o->via : 0);
    if (sqlite3_step(s) != SQLITE_DONE) {
        sqlite3_reset(s);
        return db_error(st, err, "insert object");
    }
    *result_out = sqlite3_changes(st->db) ? STORE_PUT_NEW : STORE_PUT_DUPLICATE;
    sqlite3_reset(s);
    if (*result_out != STORE_PUT_NEW)
        return MZ_OK;
    seq = sqlite3_last_insert_rowid(st->db);
    rc = MZ_OK;
    if (o->via > 0)
        rc = put_receipt(st, seq, o->via, o->via_collection ? o->via_collection : "", o->remote_added, err);
    if (!rc && (comm & ~STORE_COMM_NATIONAL))
        rc = put_grants(st, seq, comm, st->last_added_us, err);
    return rc;
}

enum mz_err store_id_versions(struct store *st, const char *stix_id, store_version_fn fn, void *ctx,
                              struct mz_error *err)
{
    return store_id_versions_after(st, stix_id, INT64_MIN, 0, fn, ctx, err);
}

enum mz_err store_id_versions_after(struct store *st, const char *stix_id, int64_t after_seq, int cx,
                                    store_version_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = cx ? st->id_rows_cx : st->id_rows;
    enum mz_err rc = MZ_OK;
    int step;

    sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, after_seq);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_version v = {0};
        v.seq = sqlite3_column_int64(s, 0);
        v.owner_org = sqlite3_column_int64(s, 1);
        v.owner_user = sqlite3_column_int64(s, 2);
        v.submitter = sqlite3_column_int64(s, 3);
        v.vkey = (const char *)sqlite3_column_text(s, 4);
        v.version = (const char *)sqlite3_column_text(s, 5);
        v.tlp = sqlite3_column_int(s, 6);
        v.tlp_defaulted = sqlite3_column_int(s, 7);
        v.tlp_inherited = sqlite3_column_int(s, 8);
        v.revoked = sqlite3_column_int(s, 9);
        v.attested = sqlite3_column_int(s, 10);
        v.cx = sqlite3_column_int(s, 11);
        v.audience = (const char *)sqlite3_column_text(s, 12);
        v.wd_keep = (const char *)sqlite3_column_text(s, 13);
        v.date_added = (const char *)sqlite3_column_text(s, 14);
        v.created_by = (const char *)sqlite3_column_text(s, 15);
        v.comm = (uint64_t)sqlite3_column_int64(s, 16);
        v.shared_to = (const char *)sqlite3_column_text(s, 17);
        v.submitter_role = (const char *)sqlite3_column_text(s, 18);
        if (fn(ctx, &v)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "read the versions of an id");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

enum mz_err store_body(struct store *st, int64_t seq, char **body_out, size_t *len_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT body FROM objects WHERE seq=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, seq);
    if (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        char *b = malloc(n + 1);
        if (!b) {
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        } else {
            memcpy(b, sqlite3_column_text(s, 0), n);
            b[n] = '\0';
            *body_out = b;
            *len_out = n;
        }
    } else {
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "store: no version %lld", (long long)seq);
    }
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_mark_cx(struct store *st, const char *stix_id, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE objects SET cx=1 WHERE stix_id=?1 AND cx=0", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "mark an id");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_drop_older(struct store *st, const char *stix_id, int64_t owner_org, const char *keep_vkey,
                             long *n_out, struct mz_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM received WHERE seq IN (SELECT seq FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=0 AND vkey<?3)",
        "DELETE FROM grants WHERE seq IN (SELECT seq FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=0 AND vkey<?3)",
        "DELETE FROM shares WHERE seq IN (SELECT seq FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=0 AND vkey<?3)",
        "DELETE FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=0 AND vkey<?3",
    };
    enum mz_err rc = MZ_OK;

    if (n_out)
        *n_out = 0;
    for (size_t i = 0; !rc && i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        rc = prepare(st, sql[i], &s, err);
        if (rc)
            break;
        sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, owner_org);
        sqlite3_bind_text(s, 3, keep_vkey, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_error(st, err, "drop older versions");
        else if (n_out && i + 1 == sizeof sql / sizeof sql[0])
            *n_out = (long)sqlite3_changes(st->db);
        sqlite3_finalize(s);
    }
    return rc;
}

enum mz_err store_withdraw(struct store *st, int64_t seq, const char *keep, int64_t by, const char *at,
                           const char *reason, const char *tombstone, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "UPDATE objects SET wd_keep=?2, wd_by=?3, wd_at=?4, wd_reason=?5, wd_tomb=?6"
                             " WHERE seq=?1",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, seq);
    if (keep)
        sqlite3_bind_text(s, 2, keep, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 2); /* restored: readable as its marking says again */
    sqlite3_bind_int64(s, 3, by);
    sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 5);
    sqlite3_bind_text(s, 6, tombstone, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "withdraw a version");
    else if (sqlite3_changes(st->db) != 1)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "store: no version %lld", (long long)seq);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_withdrawals(struct store *st, const char *stix_id, store_withdrawal_fn fn, void *ctx,
                              struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT seq,wd_keep,coalesce(wd_by,0),wd_at,wd_reason,wd_tomb FROM objects"
                             " WHERE stix_id=?1 AND wd_tomb IS NOT NULL ORDER BY seq",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_withdrawal w;
        w.seq = sqlite3_column_int64(s, 0);
        w.keep = (const char *)sqlite3_column_text(s, 1);
        w.by = sqlite3_column_int64(s, 2);
        w.at = (const char *)sqlite3_column_text(s, 3);
        w.reason = (const char *)sqlite3_column_text(s, 4);
        w.tombstone = (const char *)sqlite3_column_text(s, 5);
        if (!w.at)
            w.at = "";
        if (fn(ctx, &w)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "read withdrawals");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_org_set_rank(struct store *st, int64_t org_id, int rank, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE orgs SET rank=?2 WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, org_id);
    if (rank >= 0)
        sqlite3_bind_int(s, 2, rank);
    else
        sqlite3_bind_null(s, 2);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "set an organisation's rank");
    else if (sqlite3_changes(st->db) != 1)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no organisation %lld", (long long)org_id);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_org_set_profile(struct store *st, int64_t org_id, const struct store_org *profile,
                                  struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE orgs SET full_name=?2, country=?3, sector=?4, kind=?5 WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, org_id);
    sqlite3_bind_text(s, 2, profile->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, profile->country, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, profile->sector, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, profile->kind, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "set an organisation's profile");
    else if (sqlite3_changes(st->db) != 1)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no organisation %lld", (long long)org_id);
    sqlite3_finalize(s);
    return rc;
}

/* The visibility grants of struct store_vis as one SQL condition over named
 * parameters bound by bind_vis(). */
static const char vis_sql[] =
    " AND (((1 << tlp) & :all_mask) != 0"
    " OR (((1 << tlp) & :comm_lvl_mask) != 0 AND (comm & :comm_mask) != 0)"
    " OR (owner_org = :org AND ((1 << tlp) & :org_mask) != 0)"
    " OR (submitter = :user AND ((1 << tlp) & :user_mask) != 0)"
    " OR (audience IS NOT NULL AND ((1 << tlp) & :aud_org_mask) != 0 AND instr(audience, :org_ident) > 0)"
    " OR (audience IS NOT NULL AND ((1 << tlp) & :aud_user_mask) != 0 AND instr(audience, :user_ident) > 0)"
    " OR (shared_to IS NOT NULL AND ((1 << tlp) & :aud_org_mask) != 0 AND instr(shared_to, :org_ident) > 0)"
    " OR (shared_to IS NOT NULL AND ((1 << tlp) & :aud_user_mask) != 0 AND instr(shared_to, :user_ident) > 0))";

static void bind_named_int(sqlite3_stmt *s, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(s, name);
    if (i)
        sqlite3_bind_int64(s, i, v);
}

static void bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(s, name);
    if (!i)
        return;
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_vis(sqlite3_stmt *s, const struct store_vis *v)
{
    bind_named_int(s, ":all_mask", v->all_mask);
    bind_named_int(s, ":comm_mask", (int64_t)v->comm_mask);
    bind_named_int(s, ":comm_lvl_mask", v->comm_lvl_mask);
    bind_named_int(s, ":org", v->org);
    bind_named_int(s, ":org_mask", v->org_mask);
    bind_named_int(s, ":user", v->user);
    bind_named_int(s, ":user_mask", v->user_mask);
    bind_named_text(s, ":org_ident", v->org_ident);
    bind_named_int(s, ":aud_org_mask", v->aud_org_mask);
    bind_named_text(s, ":user_ident", v->user_ident);
    bind_named_int(s, ":aud_user_mask", v->aud_user_mask);
}

/* store_list's columns. The last: the id's first object (docs/model.md R2.3, R4): of
 * an id that needs the choice, its first stored row's owner and claim (objects_id_seq:
 * the first entry of the id's rows, all cx = 1, found without reading or sorting the
 * others); of any other id, the row's own (one object) */
#define LIST_COLS_TEXT \
    "seq,stix_id,type,version,date_added,created_by,owner_org," \
    "submitter,tlp,tlp_defaulted,audience,body,revoked,observables," \
    "coalesce(match_plan,-2),coalesce(valid_from,-9223372036854775807-1)," \
    "coalesce(valid_until,9223372036854775807),owner_user,cx,tlp_inherited,wd_keep,attested," \
    "comm,shared_to," \
    "CASE WHEN cx THEN (SELECT f.owner_org||' '||f.owner_user||' '||f.attested FROM objects f" \
    " WHERE f.stix_id = objects.stix_id AND f.cx = 1 ORDER BY f.seq LIMIT 1) END"
static const char list_cols[] = LIST_COLS_TEXT;
/* ... with the grant's stamp (store_list_merged): a row of grants, and a version
 * posted into the national community (its stamp is read from date_added) */
static const char list_cols_grant[] = LIST_COLS_TEXT ",g.gadded";
static const char list_cols_grant_posted[] = LIST_COLS_TEXT ",NULL";

#define MAX_TYPES 64

/* A row of the node's directory: the identity object of one of its organisations. */
#define DIRECTORY_ROW "(type = 'identity' AND stix_id IN (SELECT identity FROM orgs WHERE node = 0))"

/* Build "SELECT <cols> FROM objects WHERE <filters> <vis> <order> <limit>". The SQL
 * text depends only on which filters are present, never on their values. */
static enum mz_err build_query_from(struct mz_buf *sql, const char *cols, const char *from,
                                    const struct store_query *q, int with_order, struct mz_error *err)
{
    enum mz_err rc;

    if (q->n_types > MAX_TYPES)
        return mz_error_set(err, MZ_EINVAL, "type", "at most %d types may be asked for at once", MAX_TYPES);
    if (q->n_ids > MAX_TYPES)
        return mz_error_set(err, MZ_EINVAL, "id", "at most %d ids may be asked for at once", MAX_TYPES);
    /* cols and from are this file's constant texts, never input */
    rc = mz_buf_puts(sql, "SELECT ");
    if (!rc)
        rc = mz_buf_puts(sql, cols);
    if (!rc)
        rc = mz_buf_puts(sql, from ? from : " FROM objects WHERE seq > :after_seq");
    /* rows of ids that need the model's choice come whatever their version: the
     * domain decides which (if any) is the reader's; every other id is its latest */
    if (!rc && q->cx == STORE_CX_PLAIN)
        rc = mz_buf_puts(sql, q->all_versions ? " AND cx = 0" : " AND latest = 1 AND cx = 0");
    else if (!rc && q->cx == STORE_CX_CHOICE)
        rc = mz_buf_puts(sql, " AND cx = 1");
    else if (!rc && !q->all_versions)
        rc = mz_buf_puts(sql, " AND (latest = 1 OR cx = 1)");
    if (!rc && q->n_types) {
        rc = mz_buf_puts(sql, " AND type IN (");
        for (size_t i = 0; !rc && i < q->n_types; i++)
            rc = mz_buf_printf(sql, "%s:t%zu", i ? "," : "", i);
        if (!rc)
            rc = mz_buf_puts(sql, ")");
    }
    if (!rc && q->id)
        rc = mz_buf_puts(sql, " AND stix_id = :id");
    if (!rc && q->n_ids) {
        rc = mz_buf_puts(sql, " AND stix_id IN (");
        for (size_t i = 0; !rc && i < q->n_ids; i++)
            rc = mz_buf_printf(sql, "%s:i%zu", i ? "," : "", i);
        if (!rc)
            rc = mz_buf_puts(sql, ")");
    }
    if (!rc && q->created_by)
        rc = mz_buf_puts(sql, " AND created_by = :created_by");
    if (!rc && q->node_only)
        rc = mz_buf_puts(sql, " AND owner_org = 0");
    if (!rc && q->by_owner)
        rc = mz_buf_puts(sql, " AND owner_org = :owner_org");
    if (!rc && q->tlp >= 0)
        rc = mz_buf_puts(sql, " AND tlp = :tlp");
    if (!rc && q->added_after)
        rc = mz_buf_puts(sql, " AND date_added > :added_after");
    if (!rc && q->comm)
        rc = mz_buf_puts(sql, " AND (comm & :comm_filter) != 0");
    if (!rc && q->local_only)
        rc = mz_buf_puts(sql, " AND via = 0");
    if (!rc && q->lvl_mask && q->directory > 0)
        rc = mz_buf_puts(sql, " AND (((1 << tlp) & :lvl_mask) != 0 OR " DIRECTORY_ROW ")");
    else if (!rc && q->lvl_mask)
        rc = mz_buf_puts(sql, " AND ((1 << tlp) & :lvl_mask) != 0");
    if (!rc && q->directory < 0)
        rc = mz_buf_puts(sql, " AND NOT " DIRECTORY_ROW);
    if (!rc)
        rc = mz_buf_puts(sql, vis_sql);
    if (!rc && with_order)
        rc = mz_buf_puts(sql, q->order == STORE_ORDER_NEWEST ? " ORDER BY vkey DESC, seq DESC"
                                                              : " ORDER BY seq");
    if (!rc && with_order && q->limit > 0)
        rc = mz_buf_puts(sql, " LIMIT :limit");
    if (rc)
        return mz_error_set(err, rc, "", "store: query too large");
    return MZ_OK;
}

static enum mz_err build_query(struct mz_buf *sql, const char *cols, const struct store_query *q, int with_order,
                               struct mz_error *err)
{
    return build_query_from(sql, cols, NULL, q, with_order, err);
}

/* prepare_query's statement of one of store_list_merged' two sides: the rows of the
 * grants table of community :gcomm after :after_us, or (posted 1) the versions posted
 * into the national community (their grant is their own row) after :after_text; in
 * the order of their stamps. */
static enum mz_err build_grants_query(struct mz_buf *sql, const struct store_query *q, int posted,
                                      struct mz_error *err)
{
    /* the subquery's columns are named apart from objects' (seq), so that the filters'
     * and list_cols' unqualified names stay objects'; CROSS JOIN keeps grants outside,
     * read in its key's order (community, added, seq) */
    enum mz_err rc = posted ? build_query_from(sql, list_cols_grant_posted, NULL, q, 0, err)
                            : build_query_from(sql, list_cols_grant,
                                               " FROM (SELECT seq AS gseq, added AS gadded FROM grants"
                                               " WHERE community = :gcomm AND added > :after_us) g"
                                               " CROSS JOIN objects ON objects.seq = g.gseq WHERE 1",
                                               q, 0, err);

    if (!rc && posted)
        rc = mz_buf_puts(sql, " AND (comm & 1) != 0 AND date_added > :after_text AND NOT EXISTS"
                              " (SELECT 1 FROM shares x WHERE x.seq = objects.seq AND x.community = :gcomm)"
                              /* date_added grows with seq (store_put_object): the range of
                               * objects_added read in its order, no sort of the rest */
                              " ORDER BY date_added");
    else if (!rc)
        rc = mz_buf_puts(sql, " ORDER BY g.gadded");
    if (rc)
        return mz_error_set(err, rc, "", "store: query too large");
    return MZ_OK;
}

/* STORE_ORDER_EFFECTIVE's terms. The communities a version was shared into after it was
 * posted: the bits of its share records' communities (one record per community at
 * most: svc_share writes none for a community the version is in already). */
#define SHARED_BITS                                                                                          \
    "(SELECT coalesce(sum(1 << k.bit), 0) FROM shares x JOIN communities k ON k.id = x.community"         \
    " WHERE x.seq = objects.seq)"
/* ... a row whose effective stamp is a re-share's: of a level in view_lvl, posted into
 * none of the reader's communities, shared into one of them since. Only rows of ids
 * marked cx can have share records (svc_share marks the id in the share's
 * transaction): the others never pay for the subquery (bench/taxii_page). */
#define MOVED_BY_RESHARE                                                                                     \
    "(cx = 1 AND ((1 << tlp) & :view_lvl) != 0 AND (comm & :view_comm) != 0"                             \
    " AND ((comm & :view_comm) & ~" SHARED_BITS ") = 0)"

/* The peers' stamps of STORE_ORDER_EFFECTIVE with peer_stamps (store_list_merged's
 * second side when no view_comm): the rows given a new position for peers
 * (store_peer_stamp), at those stamps, in their order. */
static enum mz_err build_stamps_query(struct mz_buf *sql, const struct store_query *q, struct mz_error *err)
{
    enum mz_err rc = build_query_from(sql, list_cols_grant,
                                      " FROM (SELECT seq AS gseq, added AS gadded FROM grants"
                                      " WHERE community = " STORE_PEER_STAMPS_SQL " AND added > :after_us) g"
                                      " CROSS JOIN objects ON objects.seq = g.gseq WHERE 1",
                                      q, 0, err);

    if (!rc)
        rc = mz_buf_puts(sql, " ORDER BY g.gadded");
    if (rc)
        return mz_error_set(err, rc, "", "store: query too large");
    return MZ_OK;
}

/* The two sides of STORE_ORDER_EFFECTIVE (store_list_merged): the rows at their
 * date_added (reshared 0), or the rows moved to their first re-share into the reader's
 * communities (reshared 1), each in its stamps' order. */
static enum mz_err build_effective_query(struct mz_buf *sql, const struct store_query *q, int reshared,
                                         struct mz_error *err)
{
    enum mz_err rc = reshared ? build_query_from(sql, list_cols_grant,
                                                 " FROM (SELECT seq AS gseq, added AS gadded, share AS gshare"
                                                 " FROM grants WHERE community IN (SELECT id FROM communities"
                                                 " WHERE ((1 << bit) & :view_comm) != 0) AND share IS NOT NULL"
                                                 " AND added > :after_us) g"
                                                 " CROSS JOIN objects ON objects.seq = g.gseq WHERE 1",
                                                 q, 0, err)
                              /* after the position as REST's list pages (by seq, the
                               * primary key's order, which date_added follows:
                               * store_put_object): from the last row stamped at or before
                               * it, found through objects_added. One bound on seq, so that
                               * an index (objects_type) starts there, not at the first row */
                              : build_query_from(sql, list_cols_grant_posted,
                                                 " FROM objects WHERE seq > coalesce((SELECT o2.seq FROM objects o2"
                                                 " WHERE o2.date_added <= :after_text ORDER BY o2.date_added DESC"
                                                 " LIMIT 1), 0)",
                                                 q, 0, err);

    if (!rc && reshared)
        rc = mz_buf_puts(sql, " AND " MOVED_BY_RESHARE
                              /* its first re-share into them (share ids follow the clock) */
                              " AND NOT EXISTS (SELECT 1 FROM shares x2 JOIN communities k2 ON k2.id = x2.community"
                              " WHERE x2.seq = objects.seq AND ((1 << k2.bit) & :view_comm) != 0"
                              " AND x2.id < g.gshare) ORDER BY g.gadded");
    else if (!rc)
        rc = mz_buf_puts(sql, " AND NOT " MOVED_BY_RESHARE " ORDER BY seq");
    if (rc)
        return mz_error_set(err, rc, "", "store: query too large");
    return MZ_OK;
}

static void bind_query(sqlite3_stmt *s, const struct store_query *q, const struct store_vis *vis);

static enum mz_err prepare_query_sql(struct store *st, struct mz_buf *sql, enum mz_err rc, const struct store_query *q,
                                     const struct store_vis *vis, sqlite3_stmt **out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;

    if (!rc)
        rc = prepare(st, sql->data, &s, err);
    mz_buf_free(sql);
    if (rc)
        return rc;
    bind_query(s, q, vis);
    *out = s;
    return MZ_OK;
}

static enum mz_err prepare_query(struct store *st, const char *cols, const struct store_query *q,
                                 const struct store_vis *vis, int with_order, sqlite3_stmt **out,
                                 struct mz_error *err)
{
    struct mz_buf sql;

    mz_buf_init(&sql, 1 << 16);
    return prepare_query_sql(st, &sql, build_query(&sql, cols, q, with_order, err), q, vis, out, err);
}

static void bind_query(sqlite3_stmt *s, const struct store_query *q, const struct store_vis *vis)
{
    char after_text[MZ_TIME_STRLEN] = "";

    if (q->after_us > 0) {
        struct mz_time t = {q->after_us / 1000000, (int32_t)(q->after_us % 1000000) * 1000};
        mz_time_format_us(&t, after_text);
    }
    bind_named_int(s, ":gcomm", q->grants_of);
    bind_named_int(s, ":view_comm", (int64_t)q->view_comm);
    bind_named_int(s, ":view_lvl", q->view_lvl);
    bind_named_int(s, ":after_us", q->after_us);
    {
        int i = sqlite3_bind_parameter_index(s, ":after_text");
        if (i)
            sqlite3_bind_text(s, i, after_text, -1, SQLITE_TRANSIENT);
    }
    for (size_t i = 0; i < q->n_ids; i++) {
        char name[32];
        snprintf(name, sizeof name, ":i%zu", i);
        bind_named_text(s, name, q->ids[i]);
    }
    bind_named_int(s, ":after_seq", q->after_seq);
    for (size_t i = 0; i < q->n_types; i++) {
        char name[32];
        snprintf(name, sizeof name, ":t%zu", i);
        bind_named_text(s, name, q->types[i]);
    }
    bind_named_text(s, ":id", q->id);
    bind_named_text(s, ":created_by", q->created_by);
    bind_named_int(s, ":tlp", q->tlp);
    bind_named_int(s, ":owner_org", q->owner_org);
    bind_named_text(s, ":added_after", q->added_after);
    bind_named_int(s, ":comm_filter", (int64_t)q->comm);
    bind_named_int(s, ":lvl_mask", q->lvl_mask);
    /* One row more than asked for tells whether there are more. */
    bind_named_int(s, ":limit", q->limit + 1);
    bind_vis(s, vis);
}

/* The row s stands on into r (store_list's columns; borrowed until s steps on). */
static void read_row(sqlite3_stmt *s, struct store_row *r)
{
    r->seq = sqlite3_column_int64(s, 0);
    r->stix_id = (const char *)sqlite3_column_text(s, 1);
    r->type = (const char *)sqlite3_column_text(s, 2);
    r->version = (const char *)sqlite3_column_text(s, 3);
    r->date_added = (const char *)sqlite3_column_text(s, 4);
    r->created_by = (const char *)sqlite3_column_text(s, 5);
    r->owner_org = sqlite3_column_int64(s, 6);
    r->submitter = sqlite3_column_int64(s, 7);
    r->tlp = sqlite3_column_int(s, 8);
    r->tlp_defaulted = sqlite3_column_int(s, 9);
    r->audience = (const char *)sqlite3_column_text(s, 10);
    r->body = (const char *)sqlite3_column_text(s, 11);
    r->body_len = (size_t)sqlite3_column_bytes(s, 11);
    r->revoked = sqlite3_column_int(s, 12);
    r->observables = (const char *)sqlite3_column_text(s, 13);
    r->match_plan = sqlite3_column_int(s, 14);
    r->valid_from = sqlite3_column_int64(s, 15);
    r->valid_until = sqlite3_column_int64(s, 16);
    r->owner_user = sqlite3_column_int64(s, 17);
    r->cx = sqlite3_column_int(s, 18);
    r->tlp_inherited = sqlite3_column_int(s, 19);
    r->wd_keep = (const char *)sqlite3_column_text(s, 20);
    r->attested = sqlite3_column_int(s, 21);
    r->comm = (uint64_t)sqlite3_column_int64(s, 22);
    r->shared_to = (const char *)sqlite3_column_text(s, 23);
    r->first_org = r->owner_org;
    r->first_user = r->owner_user;
    r->first_attested = r->attested;
    if (sqlite3_column_type(s, 24) == SQLITE_TEXT) {
        /* "<owner_org> <owner_user> <attested>", as the query spells it */
        const char *f = (const char *)sqlite3_column_text(s, 24);
        char *e1, *e2, *e3;
        long long fo = strtoll(f, &e1, 10), fu = strtoll(e1, &e2, 10), fa = strtoll(e2, &e3, 10);
        if (e1 != f && e2 != e1 && e3 != e2 && !*e3) {
            r->first_org = fo;
            r->first_user = fu;
            r->first_attested = fa != 0;
        }
    }
    r->submitted_by = r->submitted_by_name = NULL; /* the domain's (R9) */
    r->added_us = 0;
    if (sqlite3_column_count(s) > 25) {
        /* a grant's stamp: the grants row's, or the posted version's date_added */
        struct mz_time t;
        if (sqlite3_column_type(s, 25) == SQLITE_INTEGER)
            r->added_us = sqlite3_column_int64(s, 25);
        else if (r->date_added && !mz_time_parse(r->date_added, &t))
            r->added_us = time_us(&t);
    }
}

/* One side of store_list_merged: the next row of s into r; 1, or 0 at the end (or on
 * an error: *rc). */
static int next_grant_row(struct store *st, sqlite3_stmt *s, struct store_row *r, enum mz_err *rc,
                          struct mz_error *err)
{
    int step;

    if (!s)
        return 0;
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_row(s, r);
        return 1;
    }
    if (step != SQLITE_DONE)
        *rc = db_error(st, err, "list a collection");
    return 0;
}

/* store_list by stamps: of q->grants_of, the rows of its grants table and, for the
 * national community, the versions posted into it (their grant is their own row); in
 * STORE_ORDER_EFFECTIVE, the rows at their date_added and those moved to a re-share.
 * The two sides are merged in the order of their stamps (unique: one write clock
 * stamps rows and share records, store_put_object). */
static enum mz_err store_list_merged(struct store *st, const struct store_vis *vis, const struct store_query *q,
                                     store_row_fn fn, void *ctx, int *more_out, struct mz_error *err)
{
    sqlite3_stmt *g = NULL, *o = NULL;
    struct store_row rg, ro;
    struct mz_buf sql;
    int64_t national = 0;
    long n = 0;
    int have_g, have_o, more = 0;
    int effective = q->order == STORE_ORDER_EFFECTIVE;
    enum mz_err rc = comm_id_of(st, STORE_COMM_NATIONAL_BIT, &national, err);

    if (rc)
        return rc;
    if (!effective || q->view_comm || q->peer_stamps) {
        mz_buf_init(&sql, 1 << 16);
        rc = prepare_query_sql(st, &sql,
                               !effective     ? build_grants_query(&sql, q, 0, err)
                               : q->view_comm ? build_effective_query(&sql, q, 1, err)
                                              : build_stamps_query(&sql, q, err),
                               q, vis, &g, err);
    }
    if (!rc && (effective || q->grants_of == national)) {
        mz_buf_init(&sql, 1 << 16);
        rc = prepare_query_sql(st, &sql,
                               effective ? build_effective_query(&sql, q, 0, err) : build_grants_query(&sql, q, 1, err),
                               q, vis, &o, err);
    }
    have_g = !rc && next_grant_row(st, g, &rg, &rc, err);
    have_o = !rc && next_grant_row(st, o, &ro, &rc, err);
    while (!rc && (have_g || have_o)) {
        int take_o = have_o && (!have_g || ro.added_us < rg.added_us);
        if (q->limit > 0 && n == q->limit) {
            more = 1;
            break;
        }
        n++;
        if (fn(ctx, take_o ? &ro : &rg))
            break;
        if (take_o)
            have_o = next_grant_row(st, o, &ro, &rc, err);
        else
            have_g = next_grant_row(st, g, &rg, &rc, err);
    }
    sqlite3_finalize(g);
    sqlite3_finalize(o);
    if (!rc && more_out)
        *more_out = more;
    return rc;
}

enum mz_err store_list(struct store *st, const struct store_vis *vis,
                       const struct store_query *q, store_row_fn fn, void *ctx,
                       int *more_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc;
    long n = 0;
    int step, more = 0;

    if (q->grants_of || q->order == STORE_ORDER_EFFECTIVE)
        return store_list_merged(st, vis, q, fn, ctx, more_out, err);
    rc = prepare_query(st, list_cols, q, vis, 1, &s, err);
    if (rc)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_row r;
        if (q->limit > 0 && n == q->limit) {
            more = 1;
            break;
        }
        read_row(s, &r);
        n++;
        if (fn(ctx, &r)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_error(st, err, "list objects");
    sqlite3_finalize(s);
    if (!rc && more_out)
        *more_out = more;
    return rc;
}

enum mz_err store_count(struct store *st, const struct store_vis *vis,
                        const struct store_query *q, int64_t *count_out,
                        struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_query(st, "count(*)", q, vis, 0, &s, err);

    if (rc)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *count_out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "count objects");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_count_owned(struct store *st, int64_t owner_org, int64_t *count_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT count(*) FROM objects WHERE owner_org=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, owner_org);
    if (sqlite3_step(s) == SQLITE_ROW)
        *count_out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "count an organisation's rows");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_count_scan(struct store *st, int64_t owner_org, int64_t submitter, int64_t *count_out,
                             struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    /* the terms of objects_scan_sub's WHERE, literally, so that the index serves it;
     * the newer versions of the same submitter through objects_version */
    enum mz_err rc = prepare(st,
                             "SELECT count(*) FROM objects o WHERE o.owner_org=?1 AND o.submitter=?2"
                             " AND o.match_plan = 4 AND o.revoked = 0"
                             " AND NOT EXISTS (SELECT 1 FROM objects n WHERE n.stix_id=o.stix_id"
                             "  AND n.owner_org=o.owner_org AND n.owner_user=o.owner_user AND n.vkey>o.vkey"
                             "  AND n.submitter=o.submitter)",
                             &s, err);

    _Static_assert(STORE_PLAN_SCAN == 4, "objects_scan_sub's WHERE names the plan 4");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, owner_org);
    sqlite3_bind_int64(s, 2, submitter);
    if (sqlite3_step(s) == SQLITE_ROW)
        *count_out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "count scan indicators");
    sqlite3_finalize(s);
    return rc;
}

/* ---- node settings ---- */

enum mz_err store_meta_get(struct store *st, const char *key, char *out, size_t cap,
                           struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_cached(st, "SELECT value FROM meta WHERE key=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        copy_col(out, cap, s, 0);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no setting '%s'", key);
    else
        rc = db_error(st, err, "read meta");
    release(st, s);
    return rc;
}

enum mz_err store_meta_set(struct store *st, const char *key, const char *value,
                           struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "INSERT INTO meta(key,value) VALUES(?1,?2)"
                                 " ON CONFLICT(key) DO UPDATE SET value=excluded.value", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "write meta");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_meta_add(struct store *st, const char *key, const char *value, char *out,
                           size_t cap, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO NOTHING", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "write meta");
    sqlite3_finalize(s);
    return rc ? rc : store_meta_get(st, key, out, cap, err);
}

/* ---- communities ---- */

#define COMM_COLS "id,bit,uuid,name,title,description,kind,home_node,created,coalesce(roster_modified,'')"

static void read_community(sqlite3_stmt *s, struct store_community *c)
{
    c->id = sqlite3_column_int64(s, 0);
    c->bit = sqlite3_column_int(s, 1);
    copy_col(c->uuid, sizeof c->uuid, s, 2);
    copy_col(c->name, sizeof c->name, s, 3);
    copy_col(c->title, sizeof c->title, s, 4);
    copy_col(c->description, sizeof c->description, s, 5);
    copy_col(c->kind, sizeof c->kind, s, 6);
    c->home_node = sqlite3_column_int64(s, 7);
    copy_col(c->created, sizeof c->created, s, 8);
    copy_col(c->roster_modified, sizeof c->roster_modified, s, 9);
}

enum mz_err store_community_set_roster(struct store *st, int64_t id, const char *kind, const char *title,
                                       const char *roster_modified, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE communities SET kind=?2, title=?3, roster_modified=?4 WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, roster_modified, -1, SQLITE_STATIC);
    return change_row(st, s, "SELECT 1 FROM communities WHERE id=?1", id, MZ_OK, err);
}

enum mz_err store_community_add(struct store *st, struct store_community *c, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "INSERT INTO communities(bit,uuid,name,title,description,kind,home_node,created)"
                             " SELECT (SELECT min(b.bit + 1) FROM (SELECT -1 AS bit UNION ALL SELECT bit FROM communities) b"
                             "   WHERE b.bit + 1 < ?7 AND NOT EXISTS (SELECT 1 FROM communities x WHERE x.bit = b.bit + 1)),"
                             " ?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ','now')"
                             " RETURNING " COMM_COLS,
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, c->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, c->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, c->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, c->home_node);
    sqlite3_bind_int(s, 7, STORE_COMM_MAX);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_community(s, c);
    } else if (sqlite3_errcode(st->db) == SQLITE_CONSTRAINT) {
        /* a NULL bit: every bit is taken; else the name or the uuid is */
        if (strstr(sqlite3_errmsg(st->db), "bit"))
            rc = mz_error_set(err, MZ_ETOOBIG, "", "a node hosts at most %d communities", STORE_COMM_MAX);
        else
            rc = mz_error_set(err, MZ_ECONFLICT, "/name", "a community named '%.64s' already exists", c->name);
    } else {
        rc = db_error(st, err, "add community");
    }
    sqlite3_finalize(s);
    return rc;
}

static enum mz_err community_query(struct store *st, const char *sql, const char *name, int bit,
                                   struct store_community *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, sql, &s, err);
    int step;

    if (rc)
        return rc;
    if (name)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int(s, 1, bit);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_community(s, out);
    else if (step == SQLITE_DONE)
        rc = name ? mz_error_set(err, MZ_ENOTFOUND, "community", "no community named '%.64s'", name)
                  : mz_error_set(err, MZ_ENOTFOUND, "community", "no community has bit %d", bit);
    else
        rc = db_error(st, err, "read community");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_community_by_name(struct store *st, const char *name, struct store_community *out,
                                    struct mz_error *err)
{
    return community_query(st, "SELECT " COMM_COLS " FROM communities WHERE name=?1", name, 0, out, err);
}

enum mz_err store_community_by_bit(struct store *st, int bit, struct store_community *out, struct mz_error *err)
{
    return community_query(st, "SELECT " COMM_COLS " FROM communities WHERE bit=?1", NULL, bit, out, err);
}

enum mz_err store_community_list(struct store *st, store_community_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " COMM_COLS " FROM communities ORDER BY name", &s, err);
    int step;

    if (rc)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_community c;
        read_community(s, &c);
        if (fn(ctx, &c)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "list communities");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_member_set(struct store *st, int64_t community, int64_t org, int can_read, int can_write,
                             struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "INSERT INTO memberships(community,org,can_read,can_write,since)"
                             " VALUES(?1,?2,?3,?4,strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
                             " ON CONFLICT(community,org) DO UPDATE SET can_read=excluded.can_read,"
                             " can_write=excluded.can_write",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, community);
    sqlite3_bind_int64(s, 2, org);
    sqlite3_bind_int(s, 3, can_read != 0);
    sqlite3_bind_int(s, 4, can_write != 0);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT
                 ? mz_error_set(err, MZ_ENOTFOUND, "", "no such community or organisation")
                 : db_error(st, err, "set membership");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_member_remove(struct store *st, int64_t community, int64_t org, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "DELETE FROM memberships WHERE community=?1 AND org=?2", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, community);
    sqlite3_bind_int64(s, 2, org);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "remove membership");
    else if (sqlite3_changes(st->db) == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "org", "the organisation is no member of the community");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_members(struct store *st, int64_t community, int64_t org, store_membership_fn fn, void *ctx,
                          struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT m.community,m.org,o.name,o.identity,m.can_read,m.can_write,m.since"
                             " FROM memberships m JOIN orgs o ON o.id = m.org"
                             " WHERE (?1 != 0 AND m.community = ?1) OR (?1 = 0 AND m.org = ?2)"
                             " ORDER BY CASE WHEN ?1 != 0 THEN o.name END, m.community",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, community);
    sqlite3_bind_int64(s, 2, org);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_membership m;
        m.community = sqlite3_column_int64(s, 0);
        m.org = sqlite3_column_int64(s, 1);
        m.org_name = (const char *)sqlite3_column_text(s, 2);
        m.org_identity = (const char *)sqlite3_column_text(s, 3);
        m.can_read = sqlite3_column_int(s, 4);
        m.can_write = sqlite3_column_int(s, 5);
        m.since = (const char *)sqlite3_column_text(s, 6);
        if (fn(ctx, &m)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "list members");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_org_comm(struct store *st, int64_t org, uint64_t *read_out, uint64_t *write_out,
                           struct mz_error *err)
{
    sqlite3_stmt *s = st->org_comm;
    enum mz_err rc = MZ_OK;

    sqlite3_bind_int64(s, 1, org);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *read_out = (uint64_t)sqlite3_column_int64(s, 0);
        *write_out = (uint64_t)sqlite3_column_int64(s, 1);
    } else {
        rc = db_error(st, err, "read memberships");
    }
    sqlite3_reset(s);
    return rc;
}

enum mz_err store_share_add(struct store *st, const struct store_share *sh, int64_t *id_out, char *at_out,
                            struct mz_error *err)
{
    struct store_write_ctx now = {0};
    char at[MZ_TIME_STRLEN];
    sqlite3_stmt *s = NULL;
    int64_t community = 0, id = 0;
    enum mz_err rc = MZ_OK;

    if (sh->bit >= 0)
        rc = comm_id_of(st, sh->bit, &community, err);
    /* the record's time is the grant's stamp: on the write clock */
    if (!rc)
        rc = next_date_added(st, &now, at, err);
    if (!rc)
        rc = prepare(st, "INSERT INTO shares(seq,community,recipients,by_user,by_org,at) VALUES(?1,?2,?3,?4,?5,?6)", &s,
                     err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, sh->seq);
    if (community)
        sqlite3_bind_int64(s, 2, community);
    else
        sqlite3_bind_null(s, 2);
    if (sh->recipients)
        sqlite3_bind_text(s, 3, sh->recipients, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, sh->by_user);
    sqlite3_bind_int64(s, 5, sh->by_org);
    sqlite3_bind_text(s, 6, at, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "record a share");
    id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(s);
    s = NULL;
    if (!rc && sh->bit >= 0) {
        rc = prepare(st, "UPDATE objects SET comm = comm | ?2 WHERE seq=?1", &s, err);
        if (!rc) {
            sqlite3_bind_int64(s, 1, sh->seq);
            sqlite3_bind_int64(s, 2, (int64_t)((uint64_t)1 << sh->bit));
        }
    } else if (!rc) {
        rc = prepare(st, "UPDATE objects SET shared_to=?2 WHERE seq=?1", &s, err);
        if (!rc) {
            sqlite3_bind_int64(s, 1, sh->seq);
            sqlite3_bind_text(s, 2, sh->shared_to ? sh->shared_to : "", -1, SQLITE_STATIC);
        }
    }
    if (!rc && sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "share a version");
    else if (!rc && sqlite3_changes(st->db) != 1)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "store: no version %lld", (long long)sh->seq);
    sqlite3_finalize(s);
    if (!rc && sh->bit >= 0)
        rc = put_grant(st, sh->seq, community, st->last_added_us, id, err);
    if (!rc && id_out)
        *id_out = id;
    if (!rc && at_out)
        memcpy(at_out, at, MZ_TIME_STRLEN);
    return rc;
}

enum mz_err store_peer_stamp(struct store *st, int64_t seq, struct mz_error *err)
{
    struct store_write_ctx now = {0};
    char at[MZ_TIME_STRLEN];
    enum mz_err rc = next_date_added(st, &now, at, err);

    return rc ? rc : put_grant(st, seq, STORE_PEER_STAMPS, st->last_added_us, 0, err);
}

enum mz_err store_peer_stamp_addressed(struct store *st, const char *ident, uint32_t lvl_mask, long *n_out,
                                       struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    int64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    int step;
    enum mz_err rc = prepare(st,
                             /* audience and shared_to are space-separated identities */
                             "SELECT seq FROM objects WHERE via = 0 AND ((1 << tlp) & ?2) != 0"
                             " AND (instr(' ' || lower(coalesce(audience,'')) || ' ', ' ' || lower(?1) || ' ') > 0"
                             " OR instr(' ' || lower(coalesce(shared_to,'')) || ' ', ' ' || lower(?1) || ' ') > 0)"
                             " ORDER BY seq",
                             &s, err);

    *n_out = 0;
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, ident, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, lvl_mask);
    /* read first, then written: no statement reads the table it writes */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            int64_t *ns = realloc(seqs, ncap * sizeof *ns);
            if (!ns) {
                step = SQLITE_NOMEM;
                break;
            }
            seqs = ns;
            cap = ncap;
        }
        seqs[n++] = sqlite3_column_int64(s, 0);
    }
    if (step == SQLITE_NOMEM)
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    else if (step != SQLITE_DONE)
        rc = db_error(st, err, "find the versions addressed to an identity");
    sqlite3_finalize(s);
    for (size_t i = 0; !rc && i < n; i++)
        rc = store_peer_stamp(st, seqs[i], err);
    free(seqs);
    if (!rc)
        *n_out = (long)n;
    return rc;
}

enum mz_err store_shares(struct store *st, int64_t after_id, const char *stix_id, store_share_fn fn, void *ctx,
                         struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             stix_id ? "SELECT s.id,s.seq,o.stix_id,coalesce(s.community,0),s.recipients,s.by_user,"
                                       "s.by_org,s.at FROM objects o JOIN shares s ON s.seq = o.seq"
                                       " WHERE o.stix_id=?2 AND s.id > ?1 ORDER BY s.id"
                                     : "SELECT s.id,s.seq,o.stix_id,coalesce(s.community,0),s.recipients,s.by_user,"
                                       "s.by_org,s.at FROM shares s JOIN objects o ON o.seq = s.seq"
                                       " WHERE s.id > ?1 ORDER BY s.id",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, after_id);
    if (stix_id)
        sqlite3_bind_text(s, 2, stix_id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_share_row r;
        r.id = sqlite3_column_int64(s, 0);
        r.seq = sqlite3_column_int64(s, 1);
        r.stix_id = (const char *)sqlite3_column_text(s, 2);
        r.community = sqlite3_column_int64(s, 3);
        r.recipients = (const char *)sqlite3_column_text(s, 4);
        r.by_user = sqlite3_column_int64(s, 5);
        r.by_org = sqlite3_column_int64(s, 6);
        r.at = (const char *)sqlite3_column_text(s, 7);
        if (fn(ctx, &r)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "read shares");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_max_share(struct store *st, int64_t *id_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT coalesce(max(id), 0) FROM shares", &s, err);

    if (rc)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *id_out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "read shares");
    sqlite3_finalize(s);
    return rc;
}

/* The next implicit national grant (a version posted into the national community:
 * its row) from s into g: 1, or 0 at the end (or on an error: *rc). */
static int next_posted(struct store *st, sqlite3_stmt *s, int64_t national, struct store_grant *g, enum mz_err *rc,
                       struct mz_error *err)
{
    int step = sqlite3_step(s);
    struct mz_time t;

    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE)
            *rc = db_error(st, err, "read grants");
        return 0;
    }
    g->seq = sqlite3_column_int64(s, 0);
    g->community = national;
    g->share = 0;
    g->added_us = mz_time_parse((const char *)sqlite3_column_text(s, 1), &t) ? 0 : time_us(&t);
    return 1;
}

static int next_grant(struct store *st, sqlite3_stmt *s, struct store_grant *g, enum mz_err *rc, struct mz_error *err)
{
    int step = sqlite3_step(s);

    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE)
            *rc = db_error(st, err, "read grants");
        return 0;
    }
    g->seq = sqlite3_column_int64(s, 0);
    g->community = sqlite3_column_int64(s, 1);
    g->share = sqlite3_column_int64(s, 2);
    g->added_us = sqlite3_column_int64(s, 3);
    return 1;
}

static int grant_before(const struct store_grant *a, const struct store_grant *b)
{
    return a->added_us < b->added_us || (a->added_us == b->added_us && a->seq < b->seq);
}

enum mz_err store_grants(struct store *st, int64_t community, int64_t after_us, int64_t after_seq, long limit,
                         store_grant_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL, *o = NULL;
    struct store_grant g, p;
    int64_t national = 0;
    long n = 0;
    int have_g, have_p = 0;
    enum mz_err rc = comm_id_of(st, STORE_COMM_NATIONAL_BIT, &national, err);

    if (!rc)
        rc = prepare(st,
                     "SELECT seq,community,coalesce(share,0),added FROM grants"
                     " WHERE community=?1 AND (added, seq) > (?2, ?3) ORDER BY added, seq",
                     &s, err);
    /* the national community's: also the versions posted into it, in date_added
     * order (objects_added), but those shared into it later (their grant is the
     * share's) */
    if (!rc && community == national)
        rc = prepare(st,
                     "SELECT o.seq, o.date_added FROM objects o WHERE o.date_added >= ?1 AND (o.comm & 1) != 0"
                     " AND NOT EXISTS (SELECT 1 FROM shares x WHERE x.seq = o.seq AND x.community = ?2)"
                     " ORDER BY o.date_added, o.seq",
                     &o, err);
    if (rc) {
        sqlite3_finalize(s);
        return rc;
    }
    sqlite3_bind_int64(s, 1, community);
    sqlite3_bind_int64(s, 2, after_us);
    sqlite3_bind_int64(s, 3, after_seq);
    if (o) {
        char from[MZ_TIME_STRLEN];
        struct mz_time t = {after_us / 1000000, (int32_t)(after_us % 1000000) * 1000};
        if (after_us > 0)
            mz_time_format_us(&t, from);
        else
            from[0] = '\0';
        sqlite3_bind_text(o, 1, from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(o, 2, national);
        do
            have_p = next_posted(st, o, national, &p, &rc, err);
        while (have_p && !(p.added_us > after_us || (p.added_us == after_us && p.seq > after_seq)));
    }
    have_g = !rc && next_grant(st, s, &g, &rc, err);
    /* the two orders merged */
    while (!rc && (have_g || have_p) && (limit <= 0 || n < limit)) {
        int take_p = have_p && (!have_g || grant_before(&p, &g));
        n++;
        if (fn(ctx, take_p ? &p : &g))
            break;
        if (take_p)
            have_p = next_posted(st, o, national, &p, &rc, err);
        else
            have_g = next_grant(st, s, &g, &rc, err);
    }
    sqlite3_finalize(s);
    sqlite3_finalize(o);
    return rc;
}
enum mz_err store_explain(struct store *st, enum store_plan_of which, char *out, size_t cap, struct mz_error *err)
{
    struct store_query q;
    struct store_vis all;
    struct mz_buf sql;
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    enum mz_err rc;
    int step;

    memset(&q, 0, sizeof q);
    memset(&all, 0, sizeof all);
    all.all_mask = 0x1f;
    q.tlp = -1;
    q.all_versions = 1;
    q.order = STORE_ORDER_ADDED;
    q.cx = STORE_CX_CHOICE;
    mz_buf_init(&sql, 1 << 16);
    rc = mz_buf_puts(&sql, "EXPLAIN QUERY PLAN ");
    if (!rc && which == STORE_PLAN_ID_ROWS)
        rc = mz_buf_puts(&sql, sqlite3_sql(st->id_rows_cx));
    if (rc)
        rc = mz_error_set(err, rc, "", "store: query too large");
    else if (which != STORE_PLAN_ID_ROWS)
        rc = build_query(&sql, list_cols, &q, 1, err);
    if (!rc)
        rc = prepare(st, sql.data, &s, err);
    mz_buf_free(&sql);
    if (rc)
        return rc;
    out[0] = 0; /* cap > 0 */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(s, 3);
        int n = snprintf(out + len, cap - len, "%s\n", d ? d : "");
        len = n > 0 && len + (size_t)n < cap ? len + (size_t)n : cap - 1;
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "explain a query");
    sqlite3_finalize(s);
    return rc;
}

/* ---- TAXII status resources (issue 11) ---- */

enum mz_err store_taxii_status_expire(struct store *st, int64_t now, int64_t *n_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "DELETE FROM taxii_status WHERE expires <= ?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "expire TAXII status");
    else if (n_out)
        *n_out = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_taxii_status_put(struct store *st, const struct store_taxii_status *in, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "INSERT INTO taxii_status(id,user_id,node,request_timestamp,expires,body)"
                             " VALUES(?1,?2,?3,?4,?5,?6)",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, in->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, in->user_id);
    sqlite3_bind_int64(s, 3, in->node);
    sqlite3_bind_text(s, 4, in->request_timestamp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, in->expires);
    sqlite3_bind_text(s, 6, in->body, (int)in->body_len, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "keep TAXII status");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_taxii_status_trim(struct store *st, int64_t user_id, int64_t node, long max_rows, long max_bytes,
                                    int64_t *n_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "DELETE FROM taxii_status WHERE id IN (SELECT id FROM (SELECT id,"
                             " row_number() OVER w AS n, sum(length(CAST(body AS BLOB))) OVER w AS b"
                             " FROM taxii_status WHERE user_id=?1 AND node=?2"
                             " WINDOW w AS (ORDER BY request_timestamp DESC, id ROWS UNBOUNDED PRECEDING))"
                             " WHERE n > 1 AND (n > ?3 OR b > ?4))",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, node);
    sqlite3_bind_int64(s, 3, max_rows);
    sqlite3_bind_int64(s, 4, max_bytes);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "trim TAXII status");
    else if (n_out)
        *n_out = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_taxii_status_get(struct store *st, const char *id, int64_t user_id, int64_t node, int64_t now,
                                   char **body_out, size_t *len_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT body FROM taxii_status WHERE id=?1 AND user_id=?2 AND node=?3 AND expires > ?4",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, node);
    sqlite3_bind_int64(s, 4, now);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        char *b = malloc(n + 1);
        if (!b) {
            rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory");
        } else {
            memcpy(b, sqlite3_column_text(s, 0), n);
            b[n] = '\0';
            *body_out = b;
            *len_out = n;
        }
    } else if (step == SQLITE_DONE) {
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no such status");
    } else {
        rc = db_error(st, err, "read TAXII status");
    }
    sqlite3_finalize(s);
    return rc;
}

/* ---- nodes and peers (issue 11 work package 4) ---- */

#define NODE_COLS                                                                                  \
    "id,name,country,identity,url,kind,direction,verify,ca_file,pin,client_cert,client_key,"       \
    "allow_http,auth,out_user,out_secret IS NOT NULL,require_client_cert,client_pin,"               \
    "coalesce(unmarked_tlp,-1),default_org,interval,paused,created,"                               \
    "coalesce(last_attempt,''),coalesce(last_success,''),coalesce(last_error_code,''),"            \
    "coalesce(last_error,''),coalesce(last_error_coll,''),coalesce(last_error_at,''),failures,"    \
    "coalesce(next_run,'')"

static void read_node(sqlite3_stmt *s, int c, struct store_node *n)
{
    memset(n, 0, sizeof *n);
    n->id = sqlite3_column_int64(s, c);
    copy_col(n->name, sizeof n->name, s, c + 1);
    copy_col(n->country, sizeof n->country, s, c + 2);
    copy_col(n->identity, sizeof n->identity, s, c + 3);
    copy_col(n->url, sizeof n->url, s, c + 4);
    copy_col(n->kind, sizeof n->kind, s, c + 5);
    copy_col(n->direction, sizeof n->direction, s, c + 6);
    copy_col(n->verify, sizeof n->verify, s, c + 7);
    copy_col(n->ca_file, sizeof n->ca_file, s, c + 8);
    copy_col(n->pin, sizeof n->pin, s, c + 9);
    copy_col(n->client_cert, sizeof n->client_cert, s, c + 10);
    copy_col(n->client_key, sizeof n->client_key, s, c + 11);
    n->allow_http = sqlite3_column_int(s, c + 12);
    copy_col(n->auth, sizeof n->auth, s, c + 13);
    copy_col(n->out_user, sizeof n->out_user, s, c + 14);
    n->has_secret = sqlite3_column_int(s, c + 15);
    n->require_client_cert = sqlite3_column_int(s, c + 16);
    copy_col(n->client_pin, sizeof n->client_pin, s, c + 17);
    n->unmarked_tlp = sqlite3_column_int(s, c + 18);
    n->default_org = sqlite3_column_int64(s, c + 19);
    n->interval = (long)sqlite3_column_int64(s, c + 20);
    n->paused = sqlite3_column_int(s, c + 21);
    copy_col(n->created, sizeof n->created, s, c + 22);
    copy_col(n->last_attempt, sizeof n->last_attempt, s, c + 23);
    copy_col(n->last_success, sizeof n->last_success, s, c + 24);
    copy_col(n->last_error_code, sizeof n->last_error_code, s, c + 25);
    copy_col(n->last_error, sizeof n->last_error, s, c + 26);
    copy_col(n->last_error_coll, sizeof n->last_error_coll, s, c + 27);
    copy_col(n->last_error_at, sizeof n->last_error_at, s, c + 28);
    n->failures = (long)sqlite3_column_int64(s, c + 29);
    copy_col(n->next_run, sizeof n->next_run, s, c + 30);
}

/* The configuration columns, ?2.. in this order (?1 is the id or the name). */
static void bind_node_conf(sqlite3_stmt *s, const struct store_node *n)
{
    sqlite3_bind_text(s, 2, n->country, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, n->identity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, n->url, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, n->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, n->direction, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, n->verify, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, n->ca_file, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, n->pin, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, n->client_cert, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, n->client_key, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 12, n->allow_http);
    sqlite3_bind_text(s, 13, n->auth, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 14, n->out_user, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 15, n->require_client_cert);
    sqlite3_bind_text(s, 16, n->client_pin, -1, SQLITE_STATIC);
    if (n->unmarked_tlp >= 0)
        sqlite3_bind_int(s, 17, n->unmarked_tlp);
    else
        sqlite3_bind_null(s, 17);
    sqlite3_bind_int64(s, 18, n->default_org);
    sqlite3_bind_int64(s, 19, n->interval);
    sqlite3_bind_int(s, 20, n->paused);
}

enum mz_err store_node_add(struct store *st, struct store_node *n, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    struct mz_time now;
    char stamp[MZ_TIME_STRLEN];
    enum mz_err rc = prepare(st,
                             /* an id no row names, nor ever named: past every peer, every
                              * organisation bound or once bound to one (orgs.node, -id
                              * when unbound), every receipt, every joined community's
                              * home (communities.home_node, -id when left: a removed
                              * home's id given to the next peer made it the community's
                              * home, the third attack's A11) and every status of a peer's POST */
                             "INSERT INTO nodes(id,name,country,identity,url,kind,direction,verify,ca_file,pin,"
                             "client_cert,client_key,allow_http,auth,out_user,require_client_cert,client_pin,"
                             "unmarked_tlp,default_org,interval,paused,created)"
                             " VALUES(1 + max((SELECT coalesce(max(id),0) FROM nodes),"
                             " (SELECT coalesce(max(abs(node)),0) FROM orgs), (SELECT coalesce(max(node),0) FROM received),"
                             " (SELECT coalesce(max(node),0) FROM peer_keys),"
                             " (SELECT coalesce(max(abs(home_node)),0) FROM communities),"
                             " (SELECT coalesce(max(node),0) FROM taxii_status)),"
                             "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
                             &s, err);

    if (rc)
        return rc;
    mz_time_now(&now);
    mz_time_format_us(&now, stamp);
    snprintf(n->created, sizeof n->created, "%.19sZ", stamp); /* to the second */
    sqlite3_bind_text(s, 1, n->name, -1, SQLITE_STATIC);
    bind_node_conf(s, n);
    sqlite3_bind_text(s, 21, n->created, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT
                 ? mz_error_set(err, MZ_ECONFLICT, "/name", "a peer named '%s' already exists", n->name)
                 : db_error(st, err, "add peer");
    else
        n->id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(s);
    return rc;
}

#define NODE_EXISTS "SELECT 1 FROM nodes WHERE id=?1"

enum mz_err store_node_update(struct store *st, const struct store_node *n, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "UPDATE nodes SET country=?2,identity=?3,url=?4,kind=?5,direction=?6,verify=?7,"
                             "ca_file=?8,pin=?9,client_cert=?10,client_key=?11,allow_http=?12,auth=?13,out_user=?14,"
                             "require_client_cert=?15,client_pin=?16,unmarked_tlp=?17,default_org=?18,interval=?19,"
                             "paused=?20 WHERE id=?1",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, n->id);
    bind_node_conf(s, n);
    return change_row(st, s, NODE_EXISTS, n->id, MZ_OK, err);
}

static enum mz_err node_query(struct store *st, const char *sql, const char *name, int64_t id, struct store_node *out,
                              struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, sql, &s, err);
    int step;

    if (rc)
        return rc;
    if (name)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_node(s, 0, out);
    else if (step == SQLITE_DONE)
        rc = name ? mz_error_set(err, MZ_ENOTFOUND, "", "no peer '%.64s' (mreza peer list)", name)
                  : mz_error_set(err, MZ_ENOTFOUND, "", "no node %lld", (long long)id);
    else
        rc = db_error(st, err, "read peer");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_node_by_name(struct store *st, const char *name, struct store_node *out, struct mz_error *err)
{
    return node_query(st, "SELECT " NODE_COLS " FROM nodes WHERE name=?1 AND id>0", name, 0, out, err);
}

enum mz_err store_node_by_id(struct store *st, int64_t id, struct store_node *out, struct mz_error *err)
{
    return node_query(st, "SELECT " NODE_COLS " FROM nodes WHERE id=?1", NULL, id, out, err);
}

enum mz_err store_node_list(struct store *st, store_node_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " NODE_COLS " FROM nodes WHERE id>0 ORDER BY name", &s, err);
    int step;

    if (rc)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_node n;
        read_node(s, 0, &n);
        if (fn(ctx, &n)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "list peers");
    sqlite3_finalize(s);
    return rc;
}

/* Run sql with ?1 = id (one statement). */
static enum mz_err exec_id(struct store *st, const char *sql, int64_t id, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_cached(st, sql, &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "change");
    release(st, s);
    return rc;
}

enum mz_err store_node_remove(struct store *st, int64_t id, struct mz_error *err)
{
    enum mz_err rc;

    if (id <= 0)
        return mz_error_set(err, MZ_EINVAL, "", "this node's own row cannot be removed");
    rc = exec_id(st, "DELETE FROM peer_keys WHERE node=?1", id, err);
    if (!rc)
        rc = exec_id(st, "DELETE FROM bookmarks WHERE node=?1", id, err);
    if (!rc)
        rc = exec_id(st, "DELETE FROM nodes WHERE id=?1", id, err);
    if (!rc && sqlite3_changes(st->db) == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no peer %lld", (long long)id);
    return rc;
}

enum mz_err store_community_leave(struct store *st, int64_t id, struct mz_error *err)
{
    enum mz_err rc = exec_id(st, "DELETE FROM memberships WHERE community=?1", id, err);

    if (!rc)
        rc = exec_id(st,
                     "DELETE FROM bookmarks WHERE community=?1"
                     " OR collection=(SELECT uuid FROM communities WHERE id=?1)",
                     id, err);
    if (!rc)
        rc = exec_id(st, "UPDATE communities SET home_node=-home_node WHERE id=?1 AND home_node>0", id, err);
    if (!rc && sqlite3_changes(st->db) == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no joined community %lld", (long long)id);
    return rc;
}

enum mz_err store_community_rejoin(struct store *st, int64_t id, struct mz_error *err)
{
    enum mz_err rc = exec_id(st,
                             "UPDATE communities SET home_node=-home_node, roster_modified=NULL"
                             " WHERE id=?1 AND home_node<0",
                             id, err);

    if (!rc && sqlite3_changes(st->db) == 0)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no community %lld left", (long long)id);
    return rc;
}

enum mz_err store_node_set_secret(struct store *st, int64_t id, const char *secret, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE nodes SET out_secret=?2 WHERE id=?1 AND id>0", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (secret)
        sqlite3_bind_text(s, 2, secret, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 2);
    return change_row(st, s, "SELECT 1 FROM nodes WHERE id=?1 AND id>0", id, MZ_OK, err);
}

enum mz_err store_node_secret(struct store *st, int64_t id, char *out, size_t cap, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT out_secret FROM nodes WHERE id=?1 AND out_secret IS NOT NULL", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        copy_col(out, cap, s, 0);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no key is stored for peer %lld (mreza peer secret)", (long long)id);
    else
        rc = db_error(st, err, "read peer secret");
    sqlite3_finalize(s);
    return rc;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
    if (t && *t)
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

enum mz_err store_node_set_status(struct store *st, const struct store_node *n, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "UPDATE nodes SET last_attempt=?2,last_success=?3,last_error_code=?4,last_error=?5,"
                             "last_error_coll=?6,last_error_at=?7,failures=?8,next_run=?9 WHERE id=?1",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, n->id);
    bind_text_or_null(s, 2, n->last_attempt);
    bind_text_or_null(s, 3, n->last_success);
    bind_text_or_null(s, 4, n->last_error_code);
    bind_text_or_null(s, 5, n->last_error);
    bind_text_or_null(s, 6, n->last_error_coll);
    bind_text_or_null(s, 7, n->last_error_at);
    sqlite3_bind_int64(s, 8, n->failures);
    bind_text_or_null(s, 9, n->next_run);
    return change_row(st, s, NODE_EXISTS, n->id, MZ_OK, err);
}

enum mz_err store_org_node(struct store *st, int64_t org_id, int64_t *node_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare_cached(st, "SELECT node FROM orgs WHERE id=?1", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, org_id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *node_out = sqlite3_column_int64(s, 0);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no organisation %lld", (long long)org_id);
    else
        rc = db_error(st, err, "read organisation");
    release(st, s);
    return rc;
}

enum mz_err store_org_set_node(struct store *st, int64_t org_id, int64_t node, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "UPDATE orgs SET node=?2 WHERE id=?1", &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, org_id);
    sqlite3_bind_int64(s, 2, node);
    return change_row(st, s, "SELECT 1 FROM orgs WHERE id=?1", org_id, MZ_OK, err);
}

enum mz_err store_node_orgs(struct store *st, int64_t node, store_org_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " ORG_COLS " FROM orgs WHERE node=?1 ORDER BY lower(identity)", &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, node);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_org o;
        read_org(s, 0, &o);
        if (fn(ctx, &o)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "list a peer's organisations");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_node_comm(struct store *st, int64_t node, uint64_t *read_out, uint64_t *write_out,
                            struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT m.can_read, m.can_write, c.bit FROM memberships m"
                             " JOIN communities c ON c.id = m.community JOIN orgs o ON o.id = m.org WHERE o.node = ?1",
                             &s, err);
    int step;

    if (rc)
        return rc;
    *read_out = *write_out = 0;
    sqlite3_bind_int64(s, 1, node);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        int bit = sqlite3_column_int(s, 2);
        if (bit < 0 || bit >= STORE_COMM_MAX)
            continue;
        if (sqlite3_column_int(s, 0))
            *read_out |= (uint64_t)1 << bit;
        if (sqlite3_column_int(s, 1))
            *write_out |= (uint64_t)1 << bit;
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "read a peer's communities");
    sqlite3_finalize(s);
    return rc;
}

#define PEER_KEY_COLS                                                                              \
    "k.id,k.node,k.prefix,k.comment,coalesce(k.created,0),coalesce(k.expires,0),coalesce(k.last_used,0)," \
    "coalesce(k.revoked,0),coalesce(k.replaced_by,0)"

enum mz_err store_peer_key_add(struct store *st, const unsigned char *hash, size_t hash_len, struct store_key *k,
                               struct mz_error *err)
{
    return key_insert(st, "INSERT INTO peer_keys(hash,node,prefix,comment,created,expires) VALUES(?1,?2,?3,?4,?5,?6)",
                      "add peer key", hash, hash_len, k, err);
}

enum mz_err store_peer_key_lookup(struct store *st, const unsigned char *hash, size_t hash_len,
                                  struct store_key *key_out, struct store_node *node_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "SELECT " PEER_KEY_COLS ", n.id,n.name,n.country,n.identity,n.url,n.kind,n.direction,"
                             "n.verify,n.ca_file,n.pin,n.client_cert,n.client_key,n.allow_http,n.auth,n.out_user,"
                             "n.out_secret IS NOT NULL,n.require_client_cert,n.client_pin,coalesce(n.unmarked_tlp,-1),"
                             "n.default_org,n.interval,n.paused,n.created,coalesce(n.last_attempt,''),"
                             "coalesce(n.last_success,''),coalesce(n.last_error_code,''),coalesce(n.last_error,''),"
                             "coalesce(n.last_error_coll,''),coalesce(n.last_error_at,''),n.failures,"
                             "coalesce(n.next_run,'')"
                             " FROM peer_keys k JOIN nodes n ON n.id = k.node WHERE k.hash=?1",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_blob(s, 1, hash, (int)hash_len, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_key(s, 0, key_out);
        if (node_out)
            read_node(s, 9, node_out);
    } else if (step == SQLITE_DONE) {
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "unknown API key");
    } else {
        rc = db_error(st, err, "look up peer key");
    }
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_peer_key_list(struct store *st, int64_t node, store_key_fn fn, void *ctx, struct mz_error *err)
{
    return key_rows(st, "SELECT " PEER_KEY_COLS " FROM peer_keys k WHERE k.node=?1 ORDER BY k.id", node,
                    "list peer keys", fn, ctx, err);
}

enum mz_err store_peer_key_revoke(struct store *st, int64_t node, int64_t id, int64_t when, struct mz_error *err)
{
    sqlite3_stmt *s = NULL, *q = NULL;
    enum mz_err rc = prepare(st, "SELECT 1 FROM peer_keys WHERE id=?1 AND node=?2", &q, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, node);
    if (sqlite3_step(q) != SQLITE_ROW)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "the peer has no key %lld (mreza peer key list)", (long long)id);
    sqlite3_finalize(q);
    if (rc)
        return rc;
    rc = prepare(st, "UPDATE peer_keys SET revoked=?2 WHERE id=?1 AND (revoked IS NULL OR revoked > ?2)", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, when);
    return change_row(st, s, "SELECT 1 FROM peer_keys WHERE id=?1", id, MZ_OK, err);
}

enum mz_err store_peer_key_replace_all(struct store *st, int64_t node, int64_t new_id, int64_t revoke_at, int64_t now,
                                       long *n_out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st,
                             "UPDATE peer_keys SET replaced_by=?2, revoked=min(coalesce(revoked, ?3), ?3)"
                             " WHERE node=?1 AND id<>?2 AND (revoked IS NULL OR revoked > ?4)"
                             " AND (expires IS NULL OR expires > ?4)",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, node);
    sqlite3_bind_int64(s, 2, new_id);
    sqlite3_bind_int64(s, 3, revoke_at);
    sqlite3_bind_int64(s, 4, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "rotate a peer's keys");
    else
        *n_out = (long)sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

#define BOOKMARK_COLS                                                                              \
    "node,collection,direction,community,added_after,next,cursor,objects,duplicates,refused_owner," \
    "refused_community,refused_tlp,refused_invalid,refused_conflict,refused_cap,last_page_at"

static void read_bookmark(sqlite3_stmt *s, struct store_bookmark *b)
{
    memset(b, 0, sizeof *b);
    b->node = sqlite3_column_int64(s, 0);
    copy_col(b->collection, sizeof b->collection, s, 1);
    copy_col(b->direction, sizeof b->direction, s, 2);
    b->community = sqlite3_column_int64(s, 3);
    copy_col(b->added_after, sizeof b->added_after, s, 4);
    copy_col(b->next, sizeof b->next, s, 5);
    b->cursor = sqlite3_column_int64(s, 6);
    b->objects = sqlite3_column_int64(s, 7);
    b->duplicates = sqlite3_column_int64(s, 8);
    b->refused_owner = sqlite3_column_int64(s, 9);
    b->refused_community = sqlite3_column_int64(s, 10);
    b->refused_tlp = sqlite3_column_int64(s, 11);
    b->refused_invalid = sqlite3_column_int64(s, 12);
    b->refused_conflict = sqlite3_column_int64(s, 13);
    b->refused_cap = sqlite3_column_int64(s, 14);
    copy_col(b->last_page_at, sizeof b->last_page_at, s, 15);
}

enum mz_err store_bookmark_get(struct store *st, int64_t node, const char *collection, const char *direction,
                               struct store_bookmark *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " BOOKMARK_COLS " FROM bookmarks WHERE node=?1 AND collection=?2 AND direction=?3",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, node);
    sqlite3_bind_text(s, 2, collection, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, direction, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        read_bookmark(s, out);
    else if (step == SQLITE_DONE)
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no bookmark");
    else
        rc = db_error(st, err, "read bookmark");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_bookmark_put(struct store *st, const struct store_bookmark *b, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "INSERT OR REPLACE INTO bookmarks(" BOOKMARK_COLS ")"
                                 " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, b->node);
    sqlite3_bind_text(s, 2, b->collection, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, b->direction, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, b->community);
    sqlite3_bind_text(s, 5, b->added_after, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, b->next, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, b->cursor);
    sqlite3_bind_int64(s, 8, b->objects);
    sqlite3_bind_int64(s, 9, b->duplicates);
    sqlite3_bind_int64(s, 10, b->refused_owner);
    sqlite3_bind_int64(s, 11, b->refused_community);
    sqlite3_bind_int64(s, 12, b->refused_tlp);
    sqlite3_bind_int64(s, 13, b->refused_invalid);
    sqlite3_bind_int64(s, 14, b->refused_conflict);
    sqlite3_bind_int64(s, 15, b->refused_cap);
    sqlite3_bind_text(s, 16, b->last_page_at, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, err, "write bookmark");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_bookmarks(struct store *st, int64_t node, store_bookmark_fn fn, void *ctx, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, "SELECT " BOOKMARK_COLS " FROM bookmarks WHERE node=?1 ORDER BY collection, direction",
                             &s, err);
    int step;

    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, node);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_bookmark b;
        read_bookmark(s, &b);
        if (fn(ctx, &b)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, err, "list bookmarks");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_received_add(struct store *st, const char *stix_id, int64_t owner_org, const char *vkey,
                               int64_t node, const char *collection, const char *remote_added,
                               struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    int64_t seq = 0;
    int added = 0;
    enum mz_err rc = prepare_cached(st, "SELECT seq FROM objects WHERE stix_id=?1 AND owner_org=?2 AND owner_user=0 AND vkey=?3",
                             &s, err);

    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, owner_org);
    sqlite3_bind_text(s, 3, vkey, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        seq = sqlite3_column_int64(s, 0);
    else
        rc = mz_error_set(err, MZ_ENOTFOUND, "", "no version %.80s of that owner to record as received", stix_id);
    release(st, s);
    if (!rc)
        rc = put_receipt_row(st, seq, node, collection, remote_added, &added, err);
    if (!rc && added)
        rc = exec_id(st, "UPDATE objects SET via=(SELECT node FROM received WHERE received.seq=objects.seq) WHERE seq=?1",
                     seq, err);
    return rc;
}

/* One count of sql (?1 bound to id when id >= 0). */
static enum mz_err count_of(struct store *st, const char *sql, int64_t id, int64_t *out, struct mz_error *err)
{
    sqlite3_stmt *s = NULL;
    enum mz_err rc = prepare(st, sql, &s, err);

    if (rc)
        return rc;
    if (id >= 0)
        sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, err, "count");
    sqlite3_finalize(s);
    return rc;
}

enum mz_err store_received_count(struct store *st, int64_t node, int64_t *count_out, struct mz_error *err)
{
    if (node > 0)
        return count_of(st, "SELECT count(*) FROM received WHERE node=?1", node, count_out, err);
    return count_of(st, "SELECT count(*) FROM received", -1, count_out, err);
}

enum mz_err store_fed_counts(struct store *st, struct store_fed_counts *out, struct mz_error *err)
{
    enum mz_err rc = count_of(st, "SELECT count(*) FROM nodes WHERE id>0", -1, &out->peers, err);

    if (!rc)
        rc = count_of(st, "SELECT count(*) FROM peer_keys", -1, &out->peer_keys, err);
    if (!rc)
        rc = count_of(st, "SELECT count(*) FROM orgs WHERE node>0", -1, &out->remote_orgs, err);
    if (!rc)
        rc = count_of(st, "SELECT count(*) FROM bookmarks", -1, &out->bookmarks, err);
    if (!rc)
        rc = count_of(st, "SELECT count(*) FROM received", -1, &out->received, err);
    return rc;
}
