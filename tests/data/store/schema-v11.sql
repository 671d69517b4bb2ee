-- tests/data/store/schema-v11.sql - the store's schema at version 11, as mreža shipped it
-- before communities (issue 11): the schema of a store made by `mreza init` of main at
-- c66f3cd (sqlite3 .schema, version 9) with main's migration 10 (the partial index
-- objects_cx, issue 10) and migration 11 (the index objects_owner, issue 10's
-- per-organisation quota, and the partial index objects_id_seq, the third re-attack's
-- N1), frozen on purpose. tests/unit/store/test_store.c makes a
-- store of this version, adds rows, and checks that migration 12 brings it into the
-- national community; tests/integ/test_communities.c checks that a store it takes back
-- to version 11 has exactly this schema.
CREATE TABLE schema_version(version INTEGER NOT NULL);
INSERT INTO schema_version VALUES(1);
INSERT INTO schema_version VALUES(2);
INSERT INTO schema_version VALUES(3);
INSERT INTO schema_version VALUES(4);
INSERT INTO schema_version VALUES(5);
INSERT INTO schema_version VALUES(6);
INSERT INTO schema_version VALUES(7);
INSERT INTO schema_version VALUES(8);
INSERT INTO schema_version VALUES(9);
INSERT INTO schema_version VALUES(10);
INSERT INTO schema_version VALUES(11);
CREATE TABLE orgs( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, identity TEXT NOT NULL UNIQUE, country TEXT NOT NULL, sector TEXT NOT NULL, kind TEXT NOT NULL, rank INTEGER);
CREATE TABLE users( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, org_id INTEGER NOT NULL REFERENCES orgs(id), role TEXT NOT NULL, identity TEXT NOT NULL UNIQUE, disabled INTEGER);
CREATE TABLE objects( seq INTEGER PRIMARY KEY, stix_id TEXT NOT NULL, type TEXT NOT NULL, version TEXT NOT NULL, vkey TEXT NOT NULL, date_added TEXT NOT NULL, created_by TEXT NOT NULL, owner_org INTEGER NOT NULL, submitter INTEGER NOT NULL, tlp INTEGER NOT NULL, tlp_defaulted INTEGER NOT NULL, revoked INTEGER NOT NULL, latest INTEGER NOT NULL, audience TEXT, body TEXT NOT NULL, observables TEXT, match_plan INTEGER, valid_from INTEGER, valid_until INTEGER, owner_user INTEGER NOT NULL DEFAULT 0, attested INTEGER NOT NULL DEFAULT 0, cx INTEGER NOT NULL DEFAULT 0, tlp_inherited INTEGER NOT NULL DEFAULT 0, wd_keep TEXT, wd_by INTEGER, wd_at TEXT, wd_reason TEXT, wd_tomb TEXT);
CREATE INDEX objects_type ON objects(type, seq);
CREATE INDEX objects_added ON objects(date_added);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS "api_keys"( id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, user_id INTEGER NOT NULL REFERENCES users(id), prefix TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT '', created INTEGER, expires INTEGER, last_used INTEGER, revoked INTEGER, replaced_by INTEGER);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE UNIQUE INDEX objects_version ON objects(stix_id, owner_org, owner_user, vkey);
CREATE INDEX objects_scan_sub ON objects(owner_org, submitter) WHERE match_plan = 4 AND revoked = 0;
CREATE INDEX objects_cx ON objects(seq) WHERE cx = 1;
CREATE INDEX objects_owner ON objects(owner_org);
CREATE INDEX objects_id_seq ON objects(stix_id, seq) WHERE cx = 1;
