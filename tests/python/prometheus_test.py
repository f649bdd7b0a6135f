#!/usr/bin/python3
"""A real Prometheus (Debian's) against a real telemdbd, on loopback: Prometheus scrapes
telemdb's /metrics (with a read token) and remote-writes everything it has into telemdb
(with a write token). The test waits until samples arrive, checks that the scrape worked
(up == 1 for the telemdb job, as stored in telemdb) and that one sample telemdb stored has
exactly the value Prometheus' own API reports for that series at that instant."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from telemdb_server import Server, free_port  # noqa: E402



class PrometheusTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.server = Server(os.path.join(self.tmp.name, "data"))
        token = self.server.create_token("read", "write:*")
        token_file = os.path.join(self.tmp.name, "token")
        with open(token_file, "w") as f:
            f.write(token)
        os.chmod(token_file, 0o600)
        self.prom_port = free_port()
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: telemdb
    metrics_path: /metrics
    authorization:
      credentials_file: %(token)s
    static_configs:
      - targets: ['127.0.0.1:%(http)d']
remote_write:
  - url: http://127.0.0.1:%(http)d/api/v1/write
    authorization:
      credentials_file: %(token)s
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
""" % {"token": token_file, "http": self.server.http_port})
        self.prom_log = open(os.path.join(self.tmp.name, "prometheus.log"), "wb")
        self.prom = subprocess.Popen(
            ["prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.tmp.name, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.prom_port],
            stdout=self.prom_log, stderr=self.prom_log)

    def tearDown(self):
        self.prom.terminate()
        try:
            self.prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.prom.kill()
        self.prom_log.close()
        code = self.server.stop()
        self.tmp.cleanup()
        self.assertEqual(code, 0)

    def telemdb_query(self, q):
        status, _, body = self.server.request(
            "GET", "/query", headers={"Authorization": "Bearer " + self.server.token},
            params={"q": q, "epoch": "ms"})
        self.assertEqual(status, 200, body)
        return json.loads(body)["results"][0]

    def prom_query(self, expr, at_s):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.prom_port, urllib.parse.urlencode({"query": expr, "time": "%.3f" % at_s}))
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())

    def test_scrape_and_remote_write(self):
        deadline = time.time() + 90
        up = None
        while time.time() < deadline:
            self.assertIsNone(self.prom.poll(), "prometheus exited")
            r = self.telemdb_query("SELECT last(value) FROM up WHERE job = 'telemdb'")
            if "series" in r:
                up = r["series"][0]["values"][0][1]
                break
            time.sleep(1)
        self.assertEqual(up, 1.0, "no up sample of the telemdb job arrived by remote_write")
        # One stored sample, checked against Prometheus' own answer at its instant.
        r = self.telemdb_query(
            "SELECT last(value) FROM scrape_samples_scraped WHERE job = 'telemdb'")
        t_ms, value = r["series"][0]["values"][0]
        answer = self.prom_query('scrape_samples_scraped{job="telemdb"}', t_ms / 1000.0)
        self.assertEqual(answer["status"], "success")
        result = answer["data"]["result"]
        self.assertEqual(len(result), 1, answer)
        self.assertEqual(float(result[0]["value"][1]), value)
        self.assertGreater(value, 20)  # telemdb exposes dozens of series
        # The scrape really read our metrics: a telemdb-specific one made it through.
        r = self.telemdb_query("SELECT last(value) FROM telemdb_up")
        self.assertEqual(r["series"][0]["values"][0][1], 1.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
