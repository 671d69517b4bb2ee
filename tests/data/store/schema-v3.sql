-- tests/data/store/schema-v3.sql - the store's schema at version 3, as mreža shipped
-- it before API keys had records (ids, comments, times, revocation) and users could
-- be disabled: migrations 1-3 of src/store/store_sqlite.c, run in order. Frozen on
-- purpose: tests/unit/store/test_store.c and tests/unit/domain/test_keys.c make a
-- store of this version, add rows, and check that mreža opens it and its keys work.
CREATE TABLE schema_version(version INTEGER NOT NULL);
INSERT INTO schema_version VALUES(1);
INSERT INTO schema_version VALUES(2);
INSERT INTO schema_version VALUES(3);
CREATE TABLE orgs( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, identity TEXT NOT NULL UNIQUE, country TEXT NOT NULL, sector TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE users( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, org_id INTEGER NOT NULL REFERENCES orgs(id), role TEXT NOT NULL, identity TEXT NOT NULL UNIQUE);
CREATE TABLE api_keys( hash BLOB PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id)) WITHOUT ROWID;
CREATE TABLE objects( seq INTEGER PRIMARY KEY, stix_id TEXT NOT NULL, type TEXT NOT NULL, version TEXT NOT NULL, vkey TEXT NOT NULL, date_added TEXT NOT NULL, created_by TEXT NOT NULL, owner_org INTEGER NOT NULL, submitter INTEGER NOT NULL, tlp INTEGER NOT NULL, tlp_defaulted INTEGER NOT NULL, revoked INTEGER NOT NULL, latest INTEGER NOT NULL, audience TEXT, body TEXT NOT NULL);
CREATE UNIQUE INDEX objects_version ON objects(stix_id, owner_org, vkey);
CREATE INDEX objects_type ON objects(type, seq);
CREATE INDEX objects_added ON objects(date_added);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
ALTER TABLE objects ADD COLUMN observables TEXT;
ALTER TABLE objects ADD COLUMN match_plan INTEGER;
ALTER TABLE objects ADD COLUMN valid_from INTEGER;
ALTER TABLE objects ADD COLUMN valid_until INTEGER;
