#!/usr/bin/python3
"""The HTTP front door with clients nobody here wrote, against a real telemdbd (loopback):

- Debian's python3-influxdb (InfluxDBClient): ping, write_points (JSON points and line
  protocol), query with and without epoch, chunked, get_list_database, create_database, and
  errors surfacing as its exceptions;
- Debian's influxdb-client (the `influx` 1.x shell): -execute with -format csv|json, and
  -import of a file in the importer's format;
- the exact requests Grafana's InfluxDB data source and Telegraf's outputs.influxdb send;
- denials: no token, bad token, read token writing, a device token writing another device
  (nothing stored), an oversized body, a gzip bomb, malformed remote_write, and a client
  trickling its headers (dropped after the header deadline while others are served).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from telemdb_server import Server, basic, gzipped  # noqa: E402

import influxdb  # noqa: E402
from influxdb.exceptions import InfluxDBClientError  # noqa: E402

T0 = 1_700_000_000  # seconds


def fleet_lines(n=20):
    out = []
    for i in range(n):
        for name, fleet in (("truck_1", "East"), ("truck_2", "East"), ("truck_3", "West")):
            out.append("readings,fleet=%s,name=%s velocity=%g,fuel=%di,ok=%s %d" % (
                fleet, name, 50 + i * 0.5, 100 - i, "true" if i % 2 else "false", T0 + i * 10))
    return "\n".join(out) + "\n"


def snappy_block(data):
    """Snappy's block format with literals only: a valid stream any decoder accepts."""
    out = bytearray()
    n = len(data)
    while True:  # uncompressed length, varint
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    i = 0
    while i < len(data):
        chunk = data[i:i + 65536]
        length = len(chunk) - 1
        if length < 60:
            out.append(length << 2)
        elif length < 256:
            out += bytes([60 << 2, length])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", length)
        out += chunk
        i += len(chunk)
    return bytes(out)


def pb_field(num, wire, payload):
    key = bytes(_varint((num << 3) | wire))
    if wire == 2:
        return key + bytes(_varint(len(payload))) + payload
    return key + payload


def _varint(n):
    out = []
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return out


def remote_write_body(series):
    """A Prometheus WriteRequest: series = [(labels dict, [(ms, value)])]."""
    req = b""
    for labels, samples in series:
        ts = b""
        for k, v in sorted(labels.items()):
            ts += pb_field(1, 2, pb_field(1, 2, k.encode()) + pb_field(2, 2, v.encode()))
        for ms, value in samples:
            ts += pb_field(2, 2, pb_field(1, 1, struct.pack("<d", value)) +
                           pb_field(2, 0, bytes(_varint(ms))))
        req += pb_field(1, 2, ts)
    return snappy_block(req)


class HttpClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = Server(os.path.join(cls.tmp.name, "data"))
        s = cls.server
        status, _, body = s.request("POST", "/write", fleet_lines(),
                                    {"Authorization": "Bearer " + s.token},
                                    {"db": "fleet", "precision": "s"})
        assert status == 204, body
        cls.read_token = s.create_token("read")
        cls.device_token = s.create_token("write:name=truck_9*")
        cls.client = influxdb.InfluxDBClient(host="127.0.0.1", port=s.http_port,
                                             username="grafana", password=s.token,
                                             database="fleet", timeout=30)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.tmp.cleanup()
        assert code == 0, "telemdbd exited with %d" % code

    def admin(self):
        return {"Authorization": "Bearer " + self.server.token}

    def count(self, where):
        status, _, body = self.server.request(
            "GET", "/query", headers=self.admin(),
            params={"q": "SELECT count(velocity) FROM readings WHERE " + where})
        self.assertEqual(status, 200, body)
        res = json.loads(body)["results"][0]
        return res["series"][0]["values"][0][1] if "series" in res else 0

    # --- python3-influxdb ---

    def test_influxdb_python_client(self):
        c = self.client
        self.assertEqual(c.ping(), "1.8.10")
        c.create_database("fleet")
        self.assertIn({"name": "fleet"}, c.get_list_database())
        points = [{"measurement": "pyclient", "tags": {"name": "truck_1"},
                   "time": (T0 + i) * 1000, "fields": {"temp": 20.5 + i, "n": i}}
                  for i in range(5)]
        self.assertTrue(c.write_points(points, time_precision="ms"))
        self.assertTrue(c.write_points(["pyclient,name=truck_2 temp=1.25,n=7i %d" % T0],
                                       protocol="line", time_precision="s"))
        rs = c.query("SELECT mean(temp) FROM pyclient GROUP BY name")
        means = {k[1]["name"]: list(v)[0]["mean"] for k, v in rs.items()}
        self.assertEqual(means, {"truck_1": 22.5, "truck_2": 1.25})
        rs = c.query("SELECT temp FROM pyclient WHERE name = 'truck_1'", epoch="ms")
        times = [p["time"] for p in rs.get_points()]
        self.assertEqual(times, [(T0 + i) * 1000 for i in range(5)])
        rs = c.query("SELECT temp FROM pyclient WHERE name = 'truck_1'")
        self.assertEqual(list(rs.get_points())[0]["time"], "2023-11-14T22:13:20Z")
        chunks = list(c.query("SELECT temp FROM pyclient", chunked=True, chunk_size=2))
        self.assertGreaterEqual(len(chunks), 3)  # 6 rows in documents of at most 2
        self.assertEqual(sum(len(list(rs.get_points())) for rs in chunks), 6)
        with self.assertRaises(InfluxDBClientError) as e:
            c.query("SELEKT nonsense")
        self.assertEqual(e.exception.code, 400)
        self.assertIn("error parsing query", str(e.exception))
        with self.assertRaises(InfluxDBClientError) as e:
            c.write_points(["bad line without fields"], protocol="line")
        self.assertEqual(e.exception.code, 400)
        bad = influxdb.InfluxDBClient(host="127.0.0.1", port=self.server.http_port,
                                      username="x", password="tdb_wrong", database="fleet")
        with self.assertRaises(InfluxDBClientError) as e:
            bad.query("SHOW MEASUREMENTS")
        self.assertEqual(e.exception.code, 401)

    # --- the influx shell ---

    def influx(self, *args):
        p = subprocess.run(["influx", "-host", "127.0.0.1", "-port", str(self.server.http_port),
                            "-username", "x", "-password", self.server.token] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_influx_shell(self):
        code, out, err = self.influx("-execute", "SHOW MEASUREMENTS", "-format", "csv")
        self.assertEqual(code, 0, err)
        self.assertIn("measurements,readings", out)
        code, out, err = self.influx("-database", "fleet", "-format", "json", "-execute",
                                     "SELECT max(fuel) FROM readings WHERE name = 'truck_1'")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["results"][0]["series"][0]["values"][0][1], 100)
        path = os.path.join(self.tmp.name, "import.txt")
        with open(path, "w") as f:
            f.write("# DML\n# CONTEXT-DATABASE: fleet\n# CONTEXT-RETENTION-POLICY: autogen\n")
            for i in range(10):
                f.write("imported,name=truck_4 v=%d %d\n" % (i, T0 + i))
        code, out, err = self.influx("-import", "-path", path, "-precision", "s")
        self.assertEqual(code, 0, out + err)
        code, out, err = self.influx("-execute", "SELECT count(v) FROM imported", "-format", "csv")
        self.assertEqual(code, 0, err)
        self.assertIn(",10", out)

    # --- what Grafana's InfluxDB data source sends (InfluxQL mode) ---

    def grafana(self, q, method="GET", epoch="ms"):
        params = {"db": "fleet", "epoch": epoch}
        headers = {"Authorization": basic("grafana", self.read_token)}
        if method == "POST":  # Grafana 7+ posts the query as a form
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            import urllib.parse
            status, h, body = self.server.request("POST", "/query?" + urllib.parse.urlencode(params),
                                                  urllib.parse.urlencode({"q": q}), headers)
        else:
            params["q"] = q
            status, h, body = self.server.request("GET", "/query", headers=headers, params=params)
        self.assertEqual(status, 200, body)
        self.assertEqual(h["content-type"], "application/json")
        return json.loads(body)["results"]

    def test_grafana_requests(self):
        r = self.grafana("SHOW MEASUREMENTS LIMIT 100")
        self.assertEqual(r[0]["series"][0]["name"], "measurements")
        self.assertEqual(r[0]["series"][0]["columns"], ["name"])
        self.assertIn(["readings"], r[0]["series"][0]["values"])
        r = self.grafana("SHOW MEASUREMENTS LIMIT 1")
        self.assertEqual(len(r[0]["series"][0]["values"]), 1)
        r = self.grafana('SHOW MEASUREMENTS WITH MEASUREMENT =~ /read/ LIMIT 100')
        self.assertEqual(r[0]["series"][0]["values"], [["readings"]])
        r = self.grafana('SHOW TAG KEYS FROM "readings"')
        self.assertEqual(r[0]["series"][0], {"name": "readings", "columns": ["tagKey"],
                                             "values": [["fleet"], ["name"]]})
        r = self.grafana('SHOW TAG VALUES FROM "readings" WITH KEY = "name"')
        self.assertEqual(r[0]["series"][0]["columns"], ["key", "value"])
        self.assertEqual(r[0]["series"][0]["values"],
                         [["name", "truck_1"], ["name", "truck_2"], ["name", "truck_3"]])
        r = self.grafana("SHOW TAG VALUES FROM \"readings\" WITH KEY = \"name\" WHERE fleet = 'West'")
        self.assertEqual(r[0]["series"][0]["values"], [["name", "truck_3"]])
        r = self.grafana('SHOW FIELD KEYS FROM "readings"')
        self.assertEqual(r[0]["series"][0], {
            "name": "readings", "columns": ["fieldKey", "fieldType"],
            "values": [["fuel", "integer"], ["ok", "boolean"], ["velocity", "float"]]})
        r = self.grafana('SHOW RETENTION POLICIES on "fleet"')
        self.assertEqual(r[0]["series"][0]["columns"],
                         ["name", "duration", "shardGroupDuration", "replicaN", "default"])
        self.assertEqual(r[0]["series"][0]["values"][0][0], "autogen")
        r = self.grafana("SHOW DATABASES")
        self.assertIn(["fleet"], r[0]["series"][0]["values"])
        q = ('SELECT mean("velocity") FROM "readings" WHERE time >= %dms and time <= %dms '
             'GROUP BY time(10s), "fleet" fill(null)' % (T0 * 1000, (T0 + 60) * 1000))
        for method in ("GET", "POST"):
            r = self.grafana(q, method)
            series = r[0]["series"]
            self.assertEqual([s["tags"] for s in series], [{"fleet": "East"}, {"fleet": "West"}])
            self.assertEqual(series[0]["columns"], ["time", "mean"])
            first = series[0]["values"][0]
            self.assertEqual(first, [T0 * 1000, 50.0])  # numeric milliseconds with epoch=ms
            self.assertEqual(len(series[0]["values"]), 7)  # 0..60 s in 10 s buckets
        # Two statements, two results.
        r = self.grafana("SELECT last(fuel) FROM readings; SELECT count(fuel) FROM readings")
        self.assertEqual([x["statement_id"] for x in r], [0, 1])

    # --- what Telegraf's outputs.influxdb sends ---

    def test_telegraf_requests(self):
        auth = {"Authorization": basic("telegraf", self.server.token),
                "User-Agent": "Telegraf/1.25.0"}
        status, _, body = self.server.request(
            "POST", "/query", "q=CREATE+DATABASE+%22telegraf%22",
            dict(auth, **{"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"results": [{"statement_id": 0}]})
        lines = "".join("cpu,cpu=cpu-total,host=gw1 usage_idle=%g,usage_user=%g %d\n" %
                        (90 + i, 5 + i, (T0 + i) * 10**9) for i in range(100))
        status, _, body = self.server.request(
            "POST", "/write", gzipped(lines),
            dict(auth, **{"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}),
            {"db": "telegraf"})
        self.assertEqual(status, 204, body)
        status, _, body = self.server.request("GET", "/query", headers=self.admin(),
                                              params={"q": "SELECT count(usage_idle) FROM cpu"})
        self.assertEqual(json.loads(body)["results"][0]["series"][0]["values"][0][1], 100)

    # --- Prometheus remote_write, by hand (the real Prometheus is in prometheus_test.py) ---

    def test_auth_none_refuses_foreign_origins(self):
        # With --auth none a page on another origin open in a local browser must not be able
        # to write or run statements (a "simple" cross-site POST needs no preflight).
        s = Server(os.path.join(self.tmp.name, "noauth"), ["--auth", "none"])
        try:
            line = "xsite,dev=a v=1 1767225600000000000"
            for origin in ("http://evil.example", "null", "http://127.0.0.1:1"):
                status, _, body = s.request("POST", "/write", line, {"Origin": origin})
                self.assertEqual(status, 403, body)
                self.assertIn("cross-origin request refused", json.loads(body)["error"])
            status, _, body = s.request("POST", "/query", "q=" + "DELETE FROM xsite",
                                        {"Origin": "http://evil.example",
                                         "Content-Type": "application/x-www-form-urlencoded"})
            self.assertEqual(status, 403, body)
            status, _, body = s.request("GET", "/query", None, {}, params={"q": "SELECT count(v) FROM xsite"})
            self.assertEqual(status, 200, body)
            self.assertNotIn("series", json.loads(body)["results"][0])  # nothing was stored
            # The server's own pages (the console) and clients without Origin still work.
            own = "http://127.0.0.1:%d" % s.http_port
            status, _, body = s.request("POST", "/write", line, {"Origin": own})
            self.assertEqual(status, 204, body)
            status, _, body = s.request("POST", "/write", line.replace("v=1", "v=2"))
            self.assertEqual(status, 204, body)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_predictive_columns(self):
        # forecast() answers its three columns through /query (issue 14 over HTTP).
        s = self.server
        t0 = 1767225600
        lines = "\n".join("hw_probe,dev=a v=%.3f %d" % (10 + (i % 6) + 0.1 * i, (t0 + 600 * i) * 10**9)
                          for i in range(48))
        status, _, body = s.request("POST", "/write", lines, {"Authorization": "Bearer " + s.token})
        self.assertEqual(status, 204, body)
        q = ("SELECT forecast(mean(v), 3) FROM hw_probe WHERE time >= '2026-01-01T00:00:00Z' "
             "AND time < '2026-01-01T08:00:00Z' GROUP BY time(1h)")
        status, _, body = s.request("GET", "/query", None, {"Authorization": "Bearer " + s.token},
                                    params={"q": q, "epoch": "s"})
        self.assertEqual(status, 200, body)
        series = json.loads(body)["results"][0]["series"][0]
        self.assertEqual(series["columns"], ["time", "forecast", "lower", "upper"])
        self.assertEqual([r[0] for r in series["values"]], [t0 + 8 * 3600 + i * 3600 for i in range(3)])
        for _, f, lo, hi in series["values"]:
            self.assertLessEqual(lo, f)
            self.assertLessEqual(f, hi)

    def test_remote_write(self):
        body = remote_write_body([({"__name__": "node_load1", "instance": "gw1"},
                                   [((T0 + i) * 1000, 0.5 + i) for i in range(3)])])
        status, _, resp = self.server.request(
            "POST", "/api/v1/write", body,
            {"Authorization": "Bearer " + self.server.token, "Content-Encoding": "snappy",
             "Content-Type": "application/x-protobuf",
             "X-Prometheus-Remote-Write-Version": "0.1.0"})
        self.assertEqual(status, 204, resp)
        status, _, resp = self.server.request(
            "GET", "/query", headers=self.admin(),
            params={"q": "SELECT sum(value) FROM node_load1 WHERE instance = 'gw1'"})
        self.assertEqual(json.loads(resp)["results"][0]["series"][0]["values"][0][1], 4.5)
        for bad in (b"not snappy at all", snappy_block(b"\xff\xff\xff\xff garbage")):
            status, _, resp = self.server.request(
                "POST", "/api/v1/write", bad, {"Authorization": "Bearer " + self.server.token})
            self.assertEqual(status, 400, resp)

    # --- denials ---

    def test_denials(self):
        s = self.server
        line = "readings,fleet=East,name=truck_1 velocity=1 %d" % (T0 + 5000)
        status, h, body = s.request("POST", "/write", line, params={"db": "fleet"})
        self.assertEqual((status, json.loads(body)), (401, {"error": "authorization failed"}))
        self.assertNotIn("www-authenticate", h)
        self.assertNotIn("access-control-allow-origin", h)
        status, _, _ = s.request("POST", "/write", line, {"Authorization": "Bearer tdb_nope"})
        self.assertEqual(status, 401)
        status, _, body = s.request("POST", "/write", line,
                                    {"Authorization": "Token " + self.read_token})
        self.assertEqual(status, 403, body)
        before = self.count("name = 'truck_1'")
        two = "readings,name=truck_91 velocity=1 %d\n%s" % (T0, line)
        status, _, body = s.request("POST", "/write", two,
                                    {"Authorization": "Bearer " + self.device_token})
        self.assertEqual(status, 403, body)
        self.assertIn("truck_1", json.loads(body)["error"])
        self.assertEqual(self.count("name = 'truck_1'"), before)
        self.assertEqual(self.count("name = 'truck_91'"), 0)
        # Over the body limit (64 MiB by default): refused from Content-Length.
        conn = socket.create_connection(("127.0.0.1", s.http_port), timeout=20)
        conn.sendall(b"POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
                     b"Authorization: Bearer " + s.token.encode() + b"\r\n\r\n")
        self.assertTrue(conn.recv(100).startswith(b"HTTP/1.1 413"))
        conn.close()
        # A gzip bomb: 100 MiB of zeros compressed to ~100 KB.
        bomb = gzipped(b"\0" * (100 << 20))
        status, _, body = s.request("POST", "/write", bomb,
                                    {"Authorization": "Bearer " + s.token,
                                     "Content-Encoding": "gzip"})
        self.assertEqual(status, 413, body)
        # Invalid UTF-8 and a megabyte-long tag value: 400 naming the reason, nothing stored.
        status, _, body = s.request("POST", "/write", b"readings,name=\xff velocity=1",
                                    {"Authorization": "Bearer " + s.token})
        self.assertEqual(status, 400, body)
        self.assertIn("UTF-8", json.loads(body)["error"])
        status, _, body = s.request("POST", "/write",
                                    "readings,name=%s velocity=1" % ("x" * (1 << 20)),
                                    {"Authorization": "Bearer " + s.token})
        self.assertEqual(status, 400, body[:300])
        self.assertLess(len(body), 4096)
        # A 6 KB timestamp (found by the MQTT fuzzer): a short error that names it.
        status, _, body = s.request("POST", "/write", "readings,name=t1 velocity=1 %sx" % ("7" * 6000),
                                    {"Authorization": "Bearer " + s.token})
        self.assertEqual(status, 400, body[:300])
        self.assertIn("timestamp", json.loads(body)["error"])
        self.assertLess(len(body), 1024)

    def test_slow_headers_are_dropped_and_others_served(self):
        s = self.server
        slow = []
        for _ in range(10):
            c = socket.create_connection(("127.0.0.1", s.http_port), timeout=30)
            c.sendall(b"GET /ping HTTP/1.1\r\n")
            slow.append(c)
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for c in slow:
                    try:
                        c.sendall(b"X")
                    except OSError:
                        pass
                time.sleep(1)
        t = threading.Thread(target=trickle)
        t.start()
        t0 = time.time()
        for _ in range(5):
            status, _, _ = s.request("GET", "/ping")
            self.assertEqual(status, 204)
        closed = 0
        for c in slow:
            try:
                closed += c.recv(1024) == b""
            except OSError:
                closed += 1
        stop.set()
        t.join()
        self.assertEqual(closed, 10)
        self.assertLess(time.time() - t0, 25)  # the header deadline is 10 s


if __name__ == "__main__":
    unittest.main(verbosity=2)
