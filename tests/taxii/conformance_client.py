#!/usr/bin/python3
"""tests/taxii/conformance_client.py - a TAXII 2.1 client's checks of a server, written
from the OASIS TAXII 2.1 specification's text (sections 3-5: media types, HTTP
headers, discovery, API root, collections, objects, manifest, versions, filtering,
pagination, errors), not from mreza's code. Python 3 standard library only.

    python3 conformance_client.py FIXTURE.json

FIXTURE holds what the checks need to know of the server under test (written by
tests/integ/test_taxii_conformance.c, which starts a node and posts the objects):
  {"base": "http://127.0.0.1:PORT", "key": "<API key>", "collection": "<readable
   collection id>", "object_id": "<id of an object with several versions>",
   "n_versions": 3, "type": "<a type present in the collection>"}
Only loopback URLs are accepted. Exit status 0 when every check passed (unittest).
"""
import base64
import datetime
import json
import re
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request

TAXII = "application/taxii+json;version=2.1"
FIX = {}


def parse_ts(s):
    """An RFC 3339 UTC timestamp (TAXII 2.1 3.2: 'Z', fractions allowed)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", s or "")
    if not m:
        raise AssertionError("not an RFC 3339 UTC timestamp: %r" % (s,))
    frac = (m.group(7) or "").ljust(9, "0")
    t = datetime.datetime(*[int(m.group(i)) for i in range(1, 7)], tzinfo=datetime.timezone.utc)
    return (t.timestamp(), int(frac))


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name)


def request(path, key="default", accept=TAXII, auth=None, method="GET"):
    base = FIX["base"]
    url = path if path.startswith("http") else base + path
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise AssertionError("refusing a non-loopback URL: " + url)
    req = urllib.request.Request(url, method=method)
    if accept is not None:
        req.add_header("Accept", accept)
    if key == "default":
        key = FIX["key"]
    if auth is not None:
        req.add_header("Authorization", auth)
    elif key:
        req.add_header("Authorization", "Bearer " + key)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=30) as r:
            return Reply(r.status, r.headers, r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.headers, e.read().decode("utf-8"))


def api_root():
    return FIX.get("api_root", "/taxii2/api/")


def coll_path(rest=""):
    return api_root() + "collections/" + FIX["collection"] + "/" + rest


class Spec(unittest.TestCase):
    def assert_taxii(self, r, status=200):
        self.assertEqual(r.status, status, r.body)
        ct = (r.header("Content-Type") or "").replace(" ", "").lower()
        self.assertEqual(ct, TAXII, "3.1: every TAXII response is " + TAXII)
        self.assertIsNotNone(r.json, "a TAXII response body is JSON: %r" % r.body)

    def assert_error(self, r, status):
        """3.6: an error message: title required; http_status a string if present."""
        self.assert_taxii(r, status)
        self.assertIsInstance(r.json.get("title"), str)
        if "http_status" in r.json:
            self.assertEqual(r.json["http_status"], str(status))

    def walk(self, what, limit, by="next", extra=""):
        """Follow a paged endpoint to its end: ids in order, and each page."""
        ids, pages, cursor = [], [], None
        while True:
            q = "?limit=%d%s" % (limit, extra)
            if cursor is not None:
                q += "&%s=%s" % (by, urllib.parse.quote(cursor))
            r = request(coll_path(what) + q)
            self.assert_taxii(r)
            pages.append(r)
            objs = r.json.get("objects", [])
            self.assertLessEqual(len(objs), limit, "3.4: at most limit objects")
            ids += [o["id"] for o in objs]
            self.assertLess(len(pages), 1000)
            if by == "next":
                if not r.json.get("more"):
                    break
                self.assertIsInstance(r.json.get("next"), str, "3.4: more with a next")
                cursor = r.json["next"]
            else:
                if not objs:
                    break
                cursor = r.header("X-TAXII-Date-Added-Last")
                self.assertIsNotNone(cursor, "3.4: X-TAXII-Date-Added-Last on every page")
        return ids, pages

    # ---- 4.1 discovery, 4.2 API root ----
    def test_discovery(self):
        r = request("/taxii2/")
        self.assert_taxii(r)
        self.assertIsInstance(r.json.get("title"), str)
        roots = r.json.get("api_roots", [])
        self.assertIsInstance(roots, list)
        self.assertTrue(any(x.rstrip("/").endswith(api_root().rstrip("/")) for x in roots))
        if "default" in r.json:
            self.assertIn(r.json["default"], roots)

    def test_api_root(self):
        r = request(api_root())
        self.assert_taxii(r)
        self.assertIsInstance(r.json.get("title"), str)
        self.assertIn(TAXII, r.json.get("versions", []))
        self.assertIsInstance(r.json.get("max_content_length"), int)

    def test_unknown_api_root_is_404(self):
        self.assert_error(request("/taxii2/no-such-root/"), 404)

    # ---- 1.6.7 / 3.1 media types and authentication ----
    def test_unacceptable_media_type_is_406(self):
        self.assert_error(request(api_root(), accept="application/taxii+json;version=2.0"), 406)

    def test_no_credentials_is_401(self):
        self.assert_error(request(api_root() + "collections/", key=None), 401)

    def test_basic_authentication(self):
        token = base64.b64encode(("client:" + FIX["key"]).encode()).decode()
        self.assert_taxii(request(api_root() + "collections/", auth="Basic " + token))

    # ---- 5.1 collections, 5.2 collection ----
    def test_collections(self):
        r = request(api_root() + "collections/")
        self.assert_taxii(r)
        colls = r.json.get("collections", [])
        self.assertTrue(colls)
        for c in colls:
            for k in ("id", "title"):
                self.assertIsInstance(c.get(k), str)
            self.assertIsInstance(c.get("can_read"), bool)
            self.assertIsInstance(c.get("can_write"), bool)
            for m in c.get("media_types", []):
                self.assertTrue(m.startswith("application/stix+json"))
        self.assertIn(FIX["collection"], [c["id"] for c in colls])

    def test_collection(self):
        r = request(coll_path())
        self.assert_taxii(r)
        self.assertEqual(r.json["id"], FIX["collection"])
        self.assertTrue(r.json["can_read"])

    def test_unknown_collection_is_404(self):
        self.assert_error(request(api_root() + "collections/9a7e2a2c-0000-4000-8000-000000000000/objects/"), 404)

    # ---- 5.3 objects, 3.4 pagination ----
    def test_objects_envelope(self):
        r = request(coll_path("objects/"))
        self.assert_taxii(r)
        if "more" in r.json:
            self.assertIsInstance(r.json["more"], bool)
        objs = r.json.get("objects", [])
        self.assertTrue(objs)
        for o in objs:
            self.assertIsInstance(o.get("type"), str)
            self.assertTrue(o.get("id", "").startswith(o["type"] + "--"))
        first, last = r.header("X-TAXII-Date-Added-First"), r.header("X-TAXII-Date-Added-Last")
        self.assertLessEqual(parse_ts(first), parse_ts(last))

    def test_paging_by_next_and_by_added_after_agree(self):
        all_ids = [o["id"] for o in request(coll_path("objects/") + "?limit=1000").json.get("objects", [])]
        by_next, pages = self.walk("objects/", 2)
        self.assertGreater(len(pages), 1, "enough objects to page")
        by_added, _ = self.walk("objects/", 2, by="added_after")
        self.assertEqual(len(by_next), len(set(by_next)), "no object twice")
        self.assertEqual(by_next, by_added)
        self.assertEqual(sorted(by_next), sorted(all_ids))

    def test_pages_ascend_by_date_added(self):
        _, pages = self.walk("manifest/", 3)
        stamps = [parse_ts(rec["date_added"]) for p in pages for rec in p.json.get("objects", [])]
        self.assertEqual(stamps, sorted(stamps))
        self.assertEqual(len(stamps), len(set(stamps)))

    # ---- 5.6 manifest ----
    def test_manifest_matches_objects(self):
        r = request(coll_path("manifest/") + "?limit=1000")
        self.assert_taxii(r)
        recs = r.json.get("objects", [])
        for rec in recs:
            self.assertIsInstance(rec.get("id"), str)
            parse_ts(rec.get("date_added"))
            self.assertIsInstance(rec.get("version"), str)
        objs = request(coll_path("objects/") + "?limit=1000").json.get("objects", [])
        self.assertEqual([x["id"] for x in recs], [o["id"] for o in objs])

    # ---- 5.5 object, 5.7 versions, 3.5 filtering ----
    def test_object_by_id(self):
        r = request(coll_path("objects/%s/" % FIX["object_id"]))
        self.assert_taxii(r)
        objs = r.json.get("objects", [])
        self.assertTrue(objs)
        self.assertTrue(all(o["id"] == FIX["object_id"] for o in objs))

    def test_versions(self):
        r = request(coll_path("objects/%s/versions/" % FIX["object_id"]))
        self.assert_taxii(r)
        v = r.json.get("versions", [])
        self.assertEqual(len(v), FIX["n_versions"])
        self.assertEqual([parse_ts(x) for x in v], sorted(parse_ts(x) for x in v), "oldest first")

    def test_match_version_all_first_last(self):
        base = coll_path("objects/") + "?match[id]=" + FIX["object_id"]
        every = request(base + "&match[version]=all").json.get("objects", [])
        self.assertEqual(len(every), FIX["n_versions"])
        mods = sorted(parse_ts(o["modified"]) for o in every)
        first = request(base + "&match[version]=first").json["objects"]
        last = request(base + "&match[version]=last").json["objects"]
        self.assertEqual([parse_ts(first[0]["modified"])], mods[:1])
        self.assertEqual([parse_ts(last[0]["modified"])], mods[-1:])
        exact = every[0]["modified"]
        one = request(base + "&match[version]=" + exact).json["objects"]
        self.assertEqual([o["modified"] for o in one], [exact])

    def test_match_type_and_id(self):
        objs = request(coll_path("objects/") + "?match[type]=" + FIX["type"]).json.get("objects", [])
        self.assertTrue(objs)
        self.assertTrue(all(o["type"] == FIX["type"] for o in objs))
        ids = [o["id"] for o in request(coll_path("objects/") + "?limit=2").json["objects"]]
        got = request(coll_path("objects/") + "?match[id]=" + ",".join(ids)).json.get("objects", [])
        self.assertEqual(sorted(o["id"] for o in got), sorted(ids))

    def test_match_spec_version(self):
        r = request(coll_path("objects/") + "?match[spec_version]=2.1")
        self.assertTrue(r.json.get("objects"))
        r = request(coll_path("objects/") + "?match[spec_version]=2.0")
        self.assert_taxii(r)
        self.assertFalse(r.json.get("objects"))

    def test_added_after_in_the_future_is_empty(self):
        r = request(coll_path("objects/") + "?added_after=2999-01-01T00:00:00Z")
        self.assert_taxii(r)
        self.assertFalse(r.json.get("objects"))

    def test_bad_filters_are_400(self):
        for q in ("limit=0", "added_after=not-a-time", "next=not-a-token", "match[version]=all,last"):
            self.assert_error(request(coll_path("objects/") + "?" + q), 400)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: conformance_client.py FIXTURE.json\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        FIX.update(json.load(f))
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
