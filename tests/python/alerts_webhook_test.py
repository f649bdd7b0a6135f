#!/usr/bin/python3
"""Alert notifications and the live HTTP API against a real telemdbd (loopback only):

- a webhook receiver written here (http.server) that is down while alerts fire, stays down
  across a telemdbd restart, then answers 500 for a while and once too slowly (telemdbd
  times out and retries: at-least-once). Every transition reaches it, in order, with a
  valid HMAC-SHA256 signature, and after de-duplication by the idempotency key in the body
  each is processed exactly once;
- the HTTP rule, target and alert endpoints: rights (403 for a read token), clear errors,
  the alert listing limited to what a token may read;
- server-sent events: GET /api/v1/alerts/watch and GET /api/v1/subscribe with `since`.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from telemdb_server import Server, free_port  # noqa: E402

SERVER_ARGS = ["--notify-backoff-min", "200ms", "--notify-backoff-max", "1s",
               "--notify-timeout", "1s", "--live-heartbeat", "1s"]



class Receiver:
    """A webhook receiver on 127.0.0.1:`port`. `script` lists the answers to the first
    requests ("500", "slow" = 200 after 2.5 s, past telemdbd's 1 s timeout); then 200."""

    def __init__(self, port, script):
        self.requests = []  # (headers dict, body bytes, answered status)
        self.script = list(script)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    action = receiver.script.pop(0) if receiver.script else "200"
                if action == "slow":
                    time.sleep(2.5)
                status = 500 if action == "500" else 200
                with receiver.lock:
                    receiver.requests.append((dict(self.headers), body, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self):
        with self.lock:
            return [(h, b) for h, b, s in self.requests if s == 200]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class AlertsWebhookTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="telemdb-alerts-")
        self.data = os.path.join(self.tmp.name, "data")
        self.server = Server(self.data, SERVER_ARGS)
        self.auth = {"Authorization": "Bearer " + self.server.token}

    def tearDown(self):
        if self.server.proc.poll() is None:
            self.server.stop()
        self.tmp.cleanup()

    def api(self, method, path, body=None, token=None):
        headers = {"Authorization": "Bearer " + (token or self.server.token)}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        status, _, data = self.server.request(method, path, body=body, headers=headers)
        return status, json.loads(data) if data else None

    def write(self, device, temp):
        now = time.time_ns()
        status, _, body = self.server.request(
            "POST", "/write", body="readings,device=%s temp=%g %d\n" % (device, temp, now),
            headers=self.auth)
        self.assertEqual(status, 204, body)

    def state(self, rule, device):
        status, j = self.api("GET", "/api/v1/alerts?rule=%s&state=pending,firing,resolved" % rule)
        self.assertEqual(status, 200, j)
        for a in j["alerts"]:
            if a["group"].get("device") == device:
                return a["state"], a["transitions"]
        return None, 0

    def test_every_transition_reaches_a_receiver_that_was_down(self):
        port = free_port()
        status, t = self.api("POST", "/api/v1/notify-targets",
                             {"name": "ops", "url": "http://127.0.0.1:%d/hook" % port})
        self.assertEqual(status, 201, t)
        secret = t["secret"]
        self.assertEqual(len(secret), 64)
        status, r = self.api("POST", "/api/v1/rules", {
            "name": "hot", "query": "FROM readings GROUP BY device",
            "condition": "last(temp) over 5s > 8", "every": "1s", "notify": ["ops"],
            "labels": {"sev": "page"}})
        self.assertEqual(status, 201, r)
        self.assertEqual(r["rule"]["kind"], "threshold")
        # Four transitions while the receiver is down: firing, resolved, firing, resolved.
        for n, temp in enumerate((9, 1, 9, 1), start=1):
            self.write("a", temp)
            wait_for(lambda: self.state("hot", "a")[1] == n, what="transition %d" % n)
        self.assertEqual(self.state("hot", "a")[0], "resolved")
        status, targets = self.api("GET", "/api/v1/notify-targets")
        ops = targets["targets"][0]
        self.assertEqual(ops["queued"], 4)
        self.assertGreater(ops["failed_attempts"], 0)
        self.assertNotIn("secret", json.dumps(targets))
        # telemdbd restarts while the receiver is still down: the queue is in the database.
        self.assertEqual(self.server.stop(), 0)
        self.server = Server(self.data, SERVER_ARGS)
        status, targets = self.api("GET", "/api/v1/notify-targets")
        self.assertEqual(targets["targets"][0]["queued"], 4)
        # The receiver comes up, fails three times, answers one too slowly, then works.
        rx = Receiver(port, ["500", "500", "500", "slow"])
        try:
            wait_for(lambda: self.api("GET", "/api/v1/notify-targets")[1]["targets"][0]
                     ["queued"] == 0, timeout=30, what="the queue to drain")
            accepted = rx.accepted()
            with rx.lock:
                attempts = list(rx.requests)
        finally:
            rx.stop()
        processed = {}  # the receiver's de-duplication by idempotency key
        order = []
        for headers, body in accepted:
            ts = headers["X-Telemdb-Timestamp"]
            want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
            self.assertEqual(headers["X-Telemdb-Signature"], want)
            event = json.loads(body)
            self.assertEqual(event["id"], headers["X-Telemdb-Delivery"])
            if event["id"] in processed:
                self.assertEqual(processed[event["id"]], body)  # a retry is the same event
                continue
            processed[event["id"]] = body
            order.append((event["transition"], event["state"]))
            self.assertEqual(event["rule"], "hot")
            self.assertEqual(event["group"], {"device": "a"})
            self.assertEqual(event["labels"], {"sev": "page"})
        self.assertEqual(order, [(1, "firing"), (2, "resolved"), (3, "firing"), (4, "resolved")])
        # The slow answer made telemdbd retry: at least once, not exactly once on the wire.
        self.assertGreaterEqual(len(accepted), 4)
        self.assertEqual(sum(1 for _, _, s in attempts if s == 500), 3)
        status, targets = self.api("GET", "/api/v1/notify-targets")
        self.assertEqual(targets["targets"][0]["queued"], 0)

    def test_http_api_rights_errors_and_streams(self):
        reader = self.server.create_token("read:readings")
        status, j = self.api("GET", "/api/v1/rules", token=reader)
        self.assertEqual(status, 403, j)
        self.assertIn("admin right", j["error"])
        status, j = self.api("POST", "/api/v1/rules", {"name": "x", "query": "FROM readings",
                                                        "condition": "max(temp) >"})
        self.assertEqual(status, 400)
        self.assertIn("condition: column", j["error"])
        status, j = self.api("POST", "/api/v1/rules", {"name": "x", "oops": 1})
        self.assertEqual(status, 400)
        self.assertIn('unknown rule field "oops"', j["error"])
        status, j = self.api("POST", "/api/v1/notify-targets", {"name": "t", "url": "ftp://x/"})
        self.assertEqual(status, 400)
        self.assertIn("http:// or https://", j["error"])
        for name, m in (("r_read", "readings"), ("r_diag", "diagnostics")):
            status, j = self.api("POST", "/api/v1/rules", {
                "name": name, "query": "FROM %s GROUP BY device" % m,
                "condition": "last(temp) over 5s > 8", "every_ns": 1000000000})
            self.assertEqual(status, 201, j)
        status, j = self.api("POST", "/api/v1/rules", {"name": "r_read", "query": "FROM m",
                                                        "condition": "max(v) > 1"})
        self.assertEqual(status, 409, j)
        # /metrics carries the rule and subscription figures.
        status, _, body = self.server.request("GET", "/metrics", None, self.auth)
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertRegex(text, r"(?m)^telemdb_alert_rules 2(\.0+)?$")
        self.assertRegex(text, r"(?m)^telemdb_subscriptions 0(\.0+)?$")
        self.assertIn("telemdb_alert_transitions_total", text)
        # A watcher (SSE) sees the transition of its rule.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=15)
        conn.request("GET", "/api/v1/alerts/watch?state=firing",
                     headers={"Authorization": "Bearer " + reader})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        now = time.time_ns()
        for m in ("readings", "diagnostics"):
            status, _, body = self.server.request(
                "POST", "/write", body="%s,device=a temp=9 %d\n" % (m, now), headers=self.auth)
            self.assertEqual(status, 204, body)
        event = None
        while event is None:
            line = resp.fp.readline().decode()
            self.assertTrue(line, "stream ended")
            if line.startswith("data: "):
                event = json.loads(line[6:])
        self.assertEqual(event["rule"], "r_read")
        self.assertEqual(event["state"], "firing")
        conn.close()
        wait_for(lambda: self.state("r_diag", "a")[0] == "firing", what="r_diag firing")
        status, j = self.api("GET", "/api/v1/alerts", token=reader)
        self.assertEqual(status, 200)
        self.assertEqual([a["rule"] for a in j["alerts"]], ["r_read"])
        status, j = self.api("GET", "/api/v1/alerts?state=burning")
        self.assertEqual(status, 400)
        # Subscribe with history: the point written above, the marker, then live points.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=15)
        conn.request("GET", "/api/v1/subscribe?measurement=readings&since=1m&epoch=ns",
                     headers={"Authorization": "Bearer " + reader})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        events = []
        name = None
        while len(events) < 4:
            line = resp.fp.readline().decode()
            self.assertTrue(line, "stream ended")
            if line.startswith("event: "):
                name = line[7:].strip()
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "caught_up":
                    status, _, body = self.server.request(
                        "POST", "/write", body="readings,device=b temp=3 %d\n" % time.time_ns(),
                        headers=self.auth)
                    self.assertEqual(status, 204, body)
        conn.close()
        self.assertEqual([n for n, _ in events], ["started", "points", "caught_up", "points"])
        self.assertTrue(events[1][1]["history"])
        self.assertEqual(events[1][1]["time"], [now])
        self.assertEqual(events[3][1]["tags"], {"device": "b"})
        self.assertEqual(events[3][1]["fields"], {"temp": [3]})
        status, _, body = self.server.request(
            "GET", "/api/v1/subscribe?measurement=diagnostics",
            headers={"Authorization": "Bearer " + reader})
        self.assertEqual(status, 403, body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
