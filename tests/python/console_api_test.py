"""The HTTP endpoints of the web console (docs/http.md#console-and-admin-api) through a real
telemdbd: the console's files and their security headers; /api/v1/whoami; the admin calls
(stats, tokens list/create/rotate/revoke, audit verification) with their rights (no token,
wrong token, read-only token), errors (bad JSON, unknown keys, bad scopes and durations, huge
inputs) and audit records, and agreement with the gRPC admin API (the CLI). Loopback only."""
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import telemdb_server  # noqa: E402

ADMIN_CALLS = [
    ("GET", "/api/v1/admin/stats", None),
    ("GET", "/api/v1/admin/tokens", None),
    ("POST", "/api/v1/admin/tokens", '{"scopes":["read"]}'),
    ("POST", "/api/v1/admin/tokens/abc/rotate", "{}"),
    ("DELETE", "/api/v1/admin/tokens/abc", None),
    ("POST", "/api/v1/admin/tokens/abc/revoke", None),
    ("GET", "/api/v1/admin/audit/verify", None),
    ("GET", "/api/v1/admin/nosuch", None),
]


class ConsoleApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="telemdb_console_api_")
        cls.data = os.path.join(cls.tmp, "data")
        cls.server = telemdb_server.Server(cls.data)
        cls.read_token = cls.create(["read"])["token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def call(cls, method, path, token=None, body=None, headers=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        status, hdrs, data = cls.server.request(method, path, body=body, headers=h)
        return status, hdrs, data

    @classmethod
    def create(cls, scopes, **extra):
        body = dict(scopes=scopes, **extra)
        status, _, data = cls.call("POST", "/api/v1/admin/tokens", cls.server.token, json.dumps(body))
        assert status == 201, (status, data)
        return json.loads(data)

    def audit(self):
        with open(os.path.join(self.data, "audit.log")) as f:
            return [json.loads(line) for line in f if line.strip()]

    # --- the console's files ---------------------------------------------------------------

    def test_console_page_and_headers(self):
        status, h, body = self.call("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        csp = h["content-security-policy"]
        for d in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                  "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                  "form-action 'none'"):
            self.assertIn(d, csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(h["x-frame-options"], "DENY")
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["referrer-policy"], "no-referrer")
        for absent in ("set-cookie", "www-authenticate", "access-control-allow-origin"):
            self.assertNotIn(absent, h)
        html = body.decode()
        # No inline script or style, no handler attributes, nothing from another origin.
        self.assertEqual(re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html), [])
        self.assertNotIn("<style", html)
        self.assertIsNone(re.search(r"\sstyle=", html))
        self.assertIsNone(re.search(r"\son[a-z]+=", html))
        self.assertIsNone(re.search(r"(src|href)=\"(https?:)?//", html))
        assets = re.findall(r"(?:src|href)=\"(/console/[^\"]+)\"", html)
        self.assertIn("/console/dygraph.min.js", assets)
        types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml"}
        for a in set(assets):
            status, ah, ab = self.call("GET", a)
            self.assertEqual(status, 200, a)
            self.assertEqual(ah["content-type"], types[a[a.rfind("."):]], a)
            self.assertIn("frame-ancestors 'none'", ah["content-security-policy"])
            self.assertGreater(len(ab), 0)
            # Revalidation: the same ETag answers 304 without a body.
            status, _, ab2 = self.call("GET", a, headers={"If-None-Match": ah["etag"]})
            self.assertEqual((status, ab2), (304, b""))
        self.assertEqual(self.call("GET", "/console/nosuch.js")[0], 404)
        self.assertEqual(self.call("POST", "/")[0], 404)
        # API answers carry a CSP too: nothing in them may run or be framed.
        _, h, _ = self.call("GET", "/api/v1/whoami", self.server.token)
        self.assertEqual(h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'")

    # --- whoami ------------------------------------------------------------------------------

    def test_whoami(self):
        status, h, body = self.call("GET", "/api/v1/whoami")
        self.assertEqual((status, json.loads(body)), (401, {"error": "authorization failed"}))
        self.assertNotIn("www-authenticate", h)
        self.assertEqual(self.call("GET", "/api/v1/whoami", "tdb_wrong_" + "x" * 40)[0], 401)
        status, _, body = self.call("GET", "/api/v1/whoami", self.server.token)
        me = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual((me["kind"], me["admin"], me["read"], me["write"]), ("token", True, True, True))
        self.assertEqual(sorted(me["scopes"]), ["admin", "read", "write:*"])
        status, _, body = self.call("GET", "/api/v1/whoami", self.read_token)
        me = json.loads(body)
        self.assertEqual((me["scopes"], me["admin"], me["read"], me["write"]), (["read"], False, True, False))
        writer = self.create(["write:name=truck_*"])["token"]
        me = json.loads(self.call("GET", "/api/v1/whoami", writer)[2])
        self.assertEqual((me["read"], me["write"]), (False, True))
        self.assertEqual(self.call("DELETE", "/api/v1/whoami", self.server.token)[0], 400)

    # --- rights ------------------------------------------------------------------------------

    def test_admin_calls_need_a_token_and_the_admin_right(self):
        for method, path, body in ADMIN_CALLS:
            status, h, data = self.call(method, path, None, body)
            self.assertEqual(status, 401, (method, path))
            self.assertEqual(json.loads(data), {"error": "authorization failed"})
            self.assertNotIn("www-authenticate", h)
            self.assertEqual(self.call(method, path, "tdb_wrong_" + "y" * 40, body)[0], 401)
            status, _, data = self.call(method, path, self.read_token, body)
            self.assertEqual(status, 403, (method, path, data))
            self.assertIn("needs the admin right", json.loads(data)["error"])
        # The admin token's list never changed: the read token created nothing.
        ids = [t["id"] for t in json.loads(self.call("GET", "/api/v1/admin/tokens",
                                                     self.server.token)[2])["tokens"]]
        self.assertNotIn("abc", ids)
        # Denials are audited like gRPC's, with the transport.
        read_id = json.loads(self.call("GET", "/api/v1/whoami", self.read_token)[2])["name"]
        denied = [r for r in self.audit() if r.get("event") == "permission.denied" and r.get("who") == read_id]
        self.assertTrue(denied)
        self.assertEqual(denied[0].get("transport"), "http")

    # --- tokens ------------------------------------------------------------------------------

    def test_token_lifecycle_matches_grpc(self):
        created = self.create(["read:readings"], description="console test", expires_in="30d")
        info, secret = created["info"], created["token"]
        self.assertEqual(info["scopes"], ["read:readings"])
        self.assertEqual(info["description"], "console test")
        self.assertAlmostEqual((info["expires_ns"] - info["created_ns"]) / 1e9, 30 * 86400, delta=5)
        me = json.loads(self.call("GET", "/api/v1/whoami", secret)[2])
        self.assertEqual(me["name"], info["id"])
        # Listed over HTTP and over gRPC (the CLI), never with its secret.
        status, _, body = self.call("GET", "/api/v1/admin/tokens", self.server.token)
        self.assertEqual(status, 200)
        self.assertIn(info["id"], [t["id"] for t in json.loads(body)["tokens"]])
        self.assertNotIn(secret.encode(), body)
        code, out, err = self.server.cli("admin", "token", "list")
        self.assertEqual(code, 0, err)
        self.assertIn(info["id"], out)
        # Audited as the gRPC call is, with the transport.
        recs = [r for r in self.audit() if r.get("event") == "admin.action"
                and r.get("action") == "token create " + info["id"]]
        self.assertEqual(len(recs), 1)
        self.assertEqual(recs[0]["transport"], "http")
        # Rotate with no overlap: the old secret stops at once, the new one works.
        status, _, body = self.call("POST", "/api/v1/admin/tokens/%s/rotate" % info["id"],
                                    self.server.token, '{"overlap":"0s"}')
        self.assertEqual(status, 200, body)
        rotated = json.loads(body)["token"]
        self.assertNotEqual(rotated, secret)
        self.assertEqual(self.call("GET", "/api/v1/whoami", rotated)[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/whoami", secret)[0], 401)
        # Rotate with an overlap: both work.
        body = self.call("POST", "/api/v1/admin/tokens/%s/rotate" % info["id"], self.server.token,
                         '{"overlap_ns":3600000000000}')[2]
        newest = json.loads(body)["token"]
        self.assertEqual(self.call("GET", "/api/v1/whoami", rotated)[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/whoami", newest)[0], 200)
        # Revoke: gone at once, whatever secret.
        status, _, body = self.call("DELETE", "/api/v1/admin/tokens/" + info["id"], self.server.token)
        self.assertEqual((status, json.loads(body)), (200, {"revoked": info["id"]}))
        self.assertEqual(self.call("GET", "/api/v1/whoami", newest)[0], 401)
        listed = {t["id"]: t for t in json.loads(self.call(
            "GET", "/api/v1/admin/tokens", self.server.token)[2])["tokens"]}
        self.assertTrue(listed[info["id"]]["revoked"])
        # POST .../revoke is the same call.
        other = self.create(["read"])["info"]["id"]
        self.assertEqual(self.call("POST", "/api/v1/admin/tokens/%s/revoke" % other,
                                   self.server.token)[0], 200)
        # Unknown ids.
        self.assertEqual(self.call("DELETE", "/api/v1/admin/tokens/nosuch", self.server.token)[0], 404)
        self.assertEqual(self.call("POST", "/api/v1/admin/tokens/nosuch/rotate", self.server.token,
                                   "{}")[0], 404)

    def test_token_create_errors(self):
        t = self.server.token
        cases = [
            ("not json", "JSON"),
            ("[1,2]", "JSON object"),
            ('{"scopes":["read"],"sudo":true}', 'unknown key "sudo"'),
            ("{}", "scopes"),
            ('{"scopes":[]}', "scopes"),
            ('{"scopes":"read"}', "scopes"),
            ('{"scopes":[1]}', "scopes"),
            ('{"scopes":["root"]}', "root"),
            ('{"scopes":["read"],"description":5}', "description"),
            ('{"scopes":["read"],"expires_in":"soon"}', "expires_in"),
            ('{"scopes":["read"],"expires_in":5}', "expires_in"),
            ('{"scopes":["read"],"expires_in_ns":-5}', "negative"),
            ('{"scopes":["read"],"description":"%s"}' % ("d" * 2000), "description"),
            (json.dumps({"scopes": ["read"] * 100}), "scopes"),
        ]
        before = len(json.loads(self.call("GET", "/api/v1/admin/tokens", t)[2])["tokens"])
        for body, words in cases:
            status, _, data = self.call("POST", "/api/v1/admin/tokens", t, body)
            self.assertEqual(status, 400, (body[:60], data))
            self.assertIn(words, json.loads(data)["error"], body[:60])
        # Huge bodies are refused before they are parsed.
        huge = json.dumps({"scopes": ["read"], "description": "x" * (100 << 10)})
        status, _, data = self.call("POST", "/api/v1/admin/tokens", t, huge)
        self.assertEqual(status, 413, data)
        status, _, _ = self.call("POST", "/api/v1/admin/tokens/abc/rotate", t, "{" * (70 << 10))
        self.assertEqual(status, 413)
        self.assertEqual(self.call("POST", "/api/v1/admin/tokens/abc/rotate", t, '{"overlap":[]}')[0], 400)
        self.assertEqual(self.call("POST", "/api/v1/admin/tokens/abc/rotate", t, '{"x":1}')[0], 400)
        self.assertEqual(self.call("PUT", "/api/v1/admin/tokens", t)[0], 404)
        self.assertEqual(self.call("GET", "/api/v1/admin/nosuch", t)[0], 404)
        after = len(json.loads(self.call("GET", "/api/v1/admin/tokens", t)[2])["tokens"])
        self.assertEqual(before, after)  # nothing was created by a refused request

    # --- stats and audit ---------------------------------------------------------------------

    def test_stats_and_audit_verify(self):
        t = self.server.token
        status, _, _ = self.call("POST", "/write?precision=s", t,
                                 "readings,fleet=East,name=truck_1 velocity=50 %d" % int(time.time()))
        self.assertEqual(status, 204)
        status, _, body = self.call("GET", "/api/v1/admin/stats", t)
        self.assertEqual(status, 200)
        st = json.loads(body)
        self.assertGreaterEqual(st["series"], 1)
        self.assertIsInstance(st["disk_bytes"], int)
        self.assertTrue(st["version"])
        self.assertIn("http", [d["name"] for d in st["front_doors"]])
        code, out, err = self.server.cli("admin", "stats")
        self.assertEqual(code, 0, err)
        self.assertIn(str(st["version"]), out)
        for method in ("GET", "POST"):
            status, _, body = self.call(method, "/api/v1/admin/audit/verify", t)
            v = json.loads(body)
            self.assertEqual(status, 200)
            self.assertTrue(v["ok"], v)
            self.assertGreater(v["records"], 0)
        self.assertEqual(self.call("DELETE", "/api/v1/admin/audit/verify", t)[0], 400)
        acts = [r.get("action") for r in self.audit() if r.get("event") == "admin.action"]
        self.assertIn("audit verify", acts)
        self.assertIn("stats", acts)

    def test_console_off(self):
        d = os.path.join(self.tmp, "off")
        s = telemdb_server.Server(d, ["--http-console", "false"])
        try:
            self.assertEqual(s.request("GET", "/")[0], 404)
            h = {"Authorization": "Bearer " + s.token}
            self.assertEqual(s.request("GET", "/api/v1/whoami", headers=h)[0], 200)
        finally:
            s.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
