#!/usr/bin/python3
"""tests/taxii/taxii_server.py - a small TAXII 2.1 server for the sync client's tests
(docs/federation.md 11.4), honest or hostile on demand.

It serves one API root (/api1/) with one collection, read from a JSON file (a STIX
bundle or a list of objects: --objects FILE) or made up (--generate N indicators),
over TLS (--cert/--key, optionally --client-ca for client certificates) or plain
HTTP, on 127.0.0.1 and a free port. Endpoints: discovery (/taxii2/), the API root,
collections, one collection, objects GET (limit, next, added_after, with
X-TAXII-Date-Added-First/Last), objects POST (recorded, answered 202 with a complete
status), manifest, and status GET.

The mode (--mode, or `mode M` on stdin) decides how objects GETs are answered:
  compliant     pages in date_added order, next tokens, added_after (exclusive)
  repeat_next   compliant pages, but every page's next is the same token
  repeat_page   the first page again and again, each time under a new next
  empty_more    no objects, more: true, a new next each time
  endless_more  new made-up objects every page, more: true, for ever
  endless_body  a chunked body that never ends
  html_error    200 with an HTML error page
  status_500    500 always
  status_429    429 always, with Retry-After: 2
  flaky_500     two 500s, then compliant
  hang          the request is read, and nothing is ever answered
  drip          a status, headers, then one byte every 0.2 s
  huge          Content-Length of 16 GiB, then zeros until the client goes
  over_limit    one object more than the limit asked
  redirect      302 to the same path over http://
  bad_json      a body that is not JSON
  json_type     JSON that is not an envelope (objects is a string)
  gzip          a compliant page compressed, with Content-Encoding: gzip
  bad_header    compliant, with an X-TAXII-Date-Added-First that is not a time
  long_next     a next token of 100 KB
  ties          every object has one date_added; no next (paging by added_after)

Relay (--relay URL, with --upstream-ca FILE for an https URL and optionally
--upstream-key KEY): no collection of its own; every GET and POST is forwarded with its
path, query and body to URL (a real mreza node: https://127.0.0.1:PORT), with the
client's Authorization header (or `Bearer KEY` when the client sent none), its Accept
and Content-Type, and the upstream's status, Content-Type, X-TAXII-* and Retry-After
headers and body are sent back. Used to cut a sync at a known page
(docs/federation.md 11.5 step 8): `stall_after N` holds the N+1-th objects GET before
forwarding it (event `stalled N`: the client has pages 1..N, nothing of N+1), and
`stall_post_after N` forwards the N+1-th objects POST, then holds its answer (event
`stalled_post N`: the upstream has stored page N+1, the client does not know it);
`release` forwards or answers what is held and passes everything through from then on.

Control, one line each on stdin: `mode M`, `stall_after N` (the N+1-th objects GET
from then on waits until `release`), `release`, `posted` (event `posted_total N`),
`posted_ids` (event `posted_ids ID ID ...`: every object POSTed and kept, in order),
`post_fail N` (the N-th POST from now is answered 500 and not kept; once),
`stall_post_after N` (the N+1-th POST from then on waits until `release`, then is
answered 503 and dropped, never kept; in relay mode it is forwarded first, and its
answer held),
`post_max_bytes N` (a POST body over N bytes is answered 413, as a server's body
limit; 0: none), `post_reject TEXT` (a POST whose body holds TEXT is answered 422 as a
whole, as a server that refuses an envelope for one object it does not take; `-`:
none). EOF on stdin ends the server.
Events on stdout, one line each, flushed: `port=N` first, then `request METHOD PATH`
for each request (with auth=SCHEME, enc=none|yes: Accept-Encoding sent, cert=none|
verified: a client certificate that chains to --client-ca), `stalled N`, `stalled_post N`,
`posted N` (objects received by a POST), `relayed METHOD PATH STATUS` (relay mode), `mode M`.

Python 3 standard library only (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import gzip
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
LOCK = threading.Lock()


def emit(line):
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def stamp(base, i_us):
    t = base + datetime.timedelta(microseconds=i_us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class State:
    def __init__(self, objects, mode):
        self.mode = mode
        self.objects = objects  # list of (date_added, object), sorted
        self.tokens = {}  # next token -> (offset, added_after)
        self.token_n = 0
        self.get_count = 0  # objects GETs seen (for flaky_500, stall_after)
        self.flaky_left = 2
        self.stall_after = None
        self.stall_seen = 0
        self.stall_post_after = None
        self.stall_post_seen = 0
        self.release = threading.Event()
        self.posted = []
        self.post_count = 0  # POSTs seen (for post_fail)
        self.post_fail = None  # the POST number that answers 500, once
        self.post_max_bytes = 0  # bodies over this answered 413 (0: no limit)
        self.post_reject = None  # bodies holding this text answered 422
        self.statuses = {}
        self.endless_n = 0
        self.cond = threading.Condition()

    def new_token(self, offset, added_after):
        with LOCK:
            self.token_n += 1
            tok = "t%d-%s" % (self.token_n, uuid.uuid4().hex[:8])
            self.tokens[tok] = (offset, added_after)
            return tok


def load_objects(args):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    objs = []
    if args.objects:
        with open(args.objects, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict):
            data = data.get("objects", [])
        objs = list(data)
    for i in range(args.generate):
        objs.append(make_indicator(i))
    out = []
    for i, o in enumerate(objs):
        out.append((stamp(base, i * 1000), o))
    return out


def make_indicator(i, prefix="a"):
    n = "%012d" % i
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--%s0000000-0000-4000-8000-%s" % (prefix, n),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "taxii-test/1"

    def log_message(self, fmt, *a):  # quiet: events go to stdout
        pass

    def setup(self):
        # TLS: the handshake here, in this connection's thread (errors: handle_error)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    # -- helpers --
    def base(self):
        return self.server.base_url

    def send_json(self, status, obj, headers=None, ctype=TAXII):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_raw(self, status, body, ctype, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, title):
        self.send_json(status, {"title": title, "http_status": str(status)})

    def hold(self, seconds=600):
        # never answer (until the client goes or the server ends: daemon thread)
        threading.Event().wait(seconds)
        self.close_connection = True

    def emit_request(self, method):
        auth = (self.headers.get("Authorization") or "none").split(" ")[0].lower()
        enc = "yes" if self.headers.get("Accept-Encoding") else "none"
        cert = "none"
        if isinstance(self.request, ssl.SSLSocket) and self.request.getpeercert():
            cert = "verified"
        emit("request %s %s auth=%s enc=%s cert=%s" % (method, self.path, auth, enc, cert))

    # -- routes --
    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = urllib.parse.parse_qs(url.query)
        self.emit_request("GET")
        if self.server.relay:
            return self.relay("GET", st)
        coll = "/api1/collections/%s/" % COLLECTION
        if path == "/taxii2/":
            return self.send_json(200, {"title": "test server", "default": self.base() + "/api1/",
                                        "api_roots": [self.base() + "/api1/"]})
        if path == "/api1/":
            return self.send_json(200, {"title": "api1", "versions": [TAXII], "max_content_length": 104857600})
        if path == "/api1/collections/":
            return self.send_json(200, {"collections": [self.collection()]})
        if path == coll:
            return self.send_json(200, self.collection())
        if path == coll + "objects/":
            return self.objects(st, q)
        if path == coll + "manifest/":
            return self.manifest(st, q)
        if path.startswith("/api1/status/"):
            sid = path[len("/api1/status/"):].rstrip("/")
            if sid in st.statuses:
                return self.send_json(200, st.statuses[sid])
            return self.error(404, "no such status")
        return self.error(404, "not found")

    def do_POST(self):
        st = self.server.state
        self.emit_request("POST")
        if self.server.relay:
            return self.relay("POST", st)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.stall_post_check(st):  # its sender is gone (killed): dropped, never kept
            return self.error(503, "this POST was held (stall_post_after) and is dropped")
        coll = "/api1/collections/%s/objects/" % COLLECTION
        if urllib.parse.urlsplit(self.path).path != coll:
            return self.error(404, "not found")
        if st.post_max_bytes and len(body) > st.post_max_bytes:
            emit("post_too_large %d" % len(body))
            return self.error(413, "the body is larger than this server takes")
        if st.post_reject and st.post_reject.encode() in body:
            emit("post_rejected %d" % len(body))
            return self.error(422, "this server does not take one of the objects")
        try:
            env = json.loads(body)
            objs = env.get("objects", [])
            if not isinstance(objs, list):
                raise ValueError
        except (ValueError, AttributeError):
            return self.error(400, "not an envelope")
        with LOCK:
            st.post_count += 1
            fail = st.post_fail is not None and st.post_count == st.post_fail
            if fail:
                st.post_fail = None
            else:
                st.posted.extend(objs)
        if fail:
            emit("post_failed %d" % len(objs))
            return self.error(500, "this POST fails (post_fail)")
        emit("posted %d" % len(objs))
        sid = str(uuid.uuid4())
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        status = {"id": sid, "status": "complete", "request_timestamp": now,
                  "total_count": len(objs), "success_count": len(objs),
                  "failure_count": 0, "pending_count": 0,
                  "successes": [{"id": o.get("id", ""), "version": o.get("modified", "")} for o in objs
                                if isinstance(o, dict)]}
        st.statuses[sid] = status
        return self.send_json(202, status)

    def collection(self):
        return {"id": COLLECTION, "title": "test collection", "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"]}

    def manifest(self, st, q):
        items = [{"id": o.get("id"), "date_added": d, "version": o.get("modified", d),
                  "media_type": "application/stix+json;version=2.1"} for d, o in st.objects]
        return self.send_json(200, {"more": False, "objects": items})

    def stall_check(self, st):
        with LOCK:
            st.get_count += 1
            stall = st.stall_after is not None and st.stall_seen >= st.stall_after
            if st.stall_after is not None:
                st.stall_seen += 1
        if stall:
            emit("stalled %d" % st.stall_after)
            st.release.wait()

    def stall_post_check(self, st):
        with LOCK:
            stall = st.stall_post_after is not None and st.stall_post_seen >= st.stall_post_after
            if st.stall_post_after is not None:
                st.stall_post_seen += 1
        if stall:
            emit("stalled_post %d" % st.stall_post_after)
            st.release.wait()
        return stall

    # -- relay mode: forward to a real node, stalling on command --
    def relay(self, method, st):
        path = urllib.parse.urlsplit(self.path).path
        is_objects = path.endswith("/objects/")
        body = None
        if method == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
        if method == "GET" and is_objects:
            self.stall_check(st)
        up = self.server.relay
        headers = {}
        for h in ("Authorization", "Accept", "Content-Type"):
            if self.headers.get(h):
                headers[h] = self.headers.get(h)
        if "Authorization" not in headers and self.server.upstream_key:
            headers["Authorization"] = "Bearer " + self.server.upstream_key
        if up.scheme == "https":
            conn = http.client.HTTPSConnection(up.hostname, up.port, context=self.server.upstream_ctx, timeout=120)
        else:
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        try:
            conn.request(method, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
            keep = [(k, v) for k, v in resp.getheaders()
                    if k.lower() in ("content-type", "retry-after", "www-authenticate") or k.lower().startswith("x-taxii-")]
        except (OSError, http.client.HTTPException) as e:
            emit("relay_error %s %s" % (path, type(e).__name__))
            return self.error(502, "relay: the upstream did not answer")
        finally:
            conn.close()
        emit("relayed %s %s %d" % (method, path, status))
        if method == "POST" and is_objects:
            self.stall_post_check(st)
        self.send_response(status)
        for k, v in keep:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def objects(self, st, q):
        self.stall_check(st)
        mode = st.mode
        try:
            limit = int(q.get("limit", ["100"])[0])
        except ValueError:
            return self.error(400, "bad limit")
        limit = max(1, min(limit, 10000))
        if mode == "status_500":
            return self.error(500, "broken")
        if mode == "status_429":
            return self.send_json(429, {"title": "slow down", "http_status": "429"}, {"Retry-After": "2"})
        if mode == "flaky_500":
            with LOCK:
                flaky = st.flaky_left > 0
                if flaky:
                    st.flaky_left -= 1
            if flaky:
                return self.error(500, "flaky")
        if mode == "hang":
            return self.hold()
        if mode == "html_error":
            return self.send_raw(200, b"<html><body><h1>Service unavailable</h1></body></html>",
                                 "text/html; charset=utf-8")
        if mode == "redirect":
            return self.send_raw(302, b"", TAXII, {"Location": "http://127.0.0.1:%d%s" % (
                self.server.server_address[1], self.path)})
        if mode == "bad_json":
            return self.send_raw(200, b'{"more": true, "objects": [{"type": "indic', TAXII)
        if mode == "json_type":
            return self.send_raw(200, b'{"more": false, "objects": "none"}', TAXII)
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", TAXII)
            self.send_header("Content-Length", str(16 << 30))
            self.end_headers()
            return self.stream_zeros()
        if mode == "endless_body":
            self.send_response(200)
            self.send_header("Content-Type", TAXII)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            return self.stream_zeros(chunked=True)
        if mode == "drip":
            self.send_response(200)
            self.send_header("Content-Type", TAXII)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
            return None
        if mode == "empty_more":
            return self.send_json(200, {"more": True, "next": st.new_token(0, None), "objects": []})
        if mode == "endless_more":
            with LOCK:
                first = st.endless_n
                st.endless_n += limit
            objs = [make_indicator(first + i, "e") for i in range(limit)]
            base = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)
            hdr = {"X-TAXII-Date-Added-First": stamp(base, first),
                   "X-TAXII-Date-Added-Last": stamp(base, first + limit - 1)}
            return self.send_json(200, {"more": True, "next": st.new_token(0, None), "objects": objs}, hdr)
        return self.page(st, q, limit, mode)

    def stream_zeros(self, chunked=False):
        block = b"0" * 65536
        try:
            for _ in range(1 << 18):
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(block) + block + b"\r\n")
                else:
                    self.wfile.write(block)
        except OSError:
            pass
        self.close_connection = True

    def page(self, st, q, limit, mode):
        added_after = q.get("added_after", [None])[0]
        nxt = q.get("next", [None])[0]
        offset = 0
        if nxt is not None:
            if mode == "repeat_next" and nxt == "again":
                offset = st.repeat_offset
            elif nxt not in st.tokens:
                return self.error(400, "unknown next")
            else:
                offset, added_after = st.tokens[nxt]
        rows = st.objects
        if mode == "ties":  # every object added at the same microsecond
            rows = [(rows[0][0], o) for _, o in rows] if rows else []
        rows = [r for r in rows if added_after is None or r[0] > added_after]
        if mode == "repeat_page":
            offset = 0
        n = limit + 1 if mode == "over_limit" else limit
        chunk = rows[offset:offset + n]
        more = offset + len(chunk) < len(rows)
        env = {"more": more}
        if more and mode != "ties":
            if mode == "repeat_next":
                st.repeat_offset = offset + len(chunk)
                env["next"] = "again"
            elif mode == "long_next":
                env["next"] = "x" * 100000
            else:
                env["next"] = st.new_token(offset + len(chunk), added_after)
        env["objects"] = [o for _, o in chunk]
        hdr = {}
        if chunk:
            hdr["X-TAXII-Date-Added-First"] = chunk[0][0]
            hdr["X-TAXII-Date-Added-Last"] = chunk[-1][0]
        if mode == "bad_header":
            hdr["X-TAXII-Date-Added-First"] = "yesterday"
        if mode == "gzip":
            body = gzip.compress(json.dumps(env).encode())
            hdr["Content-Encoding"] = "gzip"
            return self.send_raw(200, body, TAXII, hdr)
        return self.send_json(200, env, hdr)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, tls_ctx):
        self.tls_ctx = tls_ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls_ctx is not None:
            # the handshake runs in the handler's thread (on its first read), so a
            # client that fails it or never finishes it blocks nobody else
            sock = self.tls_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # a refused handshake or a client that went away: an event, no traceback
        emit("request_error %s" % (sys.exc_info()[0].__name__ if sys.exc_info()[0] else "?"))


def control(st, server):
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "mode" and len(words) == 2:
            st.mode = words[1]
            emit("mode %s" % st.mode)
        elif words[0] == "stall_after" and len(words) == 2:
            st.release.clear()
            st.stall_after = int(words[1])
            st.stall_seen = 0
        elif words[0] == "stall_post_after" and len(words) == 2:
            st.release.clear()
            st.stall_post_after = int(words[1])
            st.stall_post_seen = 0
        elif words[0] == "release":
            st.stall_after = None
            st.stall_post_after = None
            st.release.set()
        elif words[0] == "posted":
            emit("posted_total %d" % len(st.posted))
        elif words[0] == "posted_ids":
            with LOCK:
                ids = [o.get("id", "?") if isinstance(o, dict) else "?" for o in st.posted]
            emit("posted_ids %s" % " ".join(ids))
        elif words[0] == "post_max_bytes" and len(words) == 2:
            st.post_max_bytes = int(words[1])
            emit("post_max_bytes %d" % st.post_max_bytes)
        elif words[0] == "post_reject" and len(words) == 2:
            st.post_reject = None if words[1] == "-" else words[1]
            emit("post_reject %s" % words[1])
        elif words[0] == "post_fail" and len(words) == 2:
            with LOCK:
                st.post_count = 0
                st.post_fail = int(words[1])
    # EOF: the test is done
    st.release.set()
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", default="compliant")
    ap.add_argument("--objects", help="a STIX bundle or a JSON list of objects")
    ap.add_argument("--generate", type=int, default=0, help="made-up indicators to serve")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--relay", help="forward every request to this node (https://127.0.0.1:PORT)")
    ap.add_argument("--upstream-ca", help="CA file the relay's upstream certificate must chain to")
    ap.add_argument("--upstream-key", help="API key sent upstream when the client sends no Authorization")
    args = ap.parse_args()

    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
    st = State(load_objects(args), args.mode)
    st.repeat_offset = 0
    server = Server(("127.0.0.1", args.port), Handler, ctx)
    server.state = st
    server.relay = urllib.parse.urlsplit(args.relay) if args.relay else None
    server.upstream_key = args.upstream_key
    server.upstream_ctx = None
    if server.relay is not None and server.relay.scheme == "https":
        server.upstream_ctx = ssl.create_default_context(cafile=args.upstream_ca)
    port = server.server_address[1]
    server.base_url = "%s://127.0.0.1:%d" % ("https" if ctx else "http", port)
    threading.Thread(target=control, args=(st, server), daemon=True).start()
    emit("port=%d" % port)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
