#!/usr/bin/python3
"""The cluster (docs/cluster.md) with real processes: three nats-server processes (routes on
127.0.0.1) and three telemdbd --cluster nodes (P = 8 shards, R = 2, lease 5 s). Writes go
through random nodes over HTTP /write; the oracle is what was acknowledged. A node's own
data is read with /query?local=true; the cluster's answer with /query through any node
(docs/cluster-query.md), compared with the oracle and with a single-node telemdbd."""
import json
import os
import random
import sys
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_harness import (NatsCluster, Node, Oracle, check_replicated, owners,  # noqa: E402
                             pick, short_points, wait_until)
from telemdb_server import Server  # noqa: E402

R = 2
P = 8
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def queryable(node):
    status, body = node.query("SHOW MEASUREMENTS")
    return status == 200 and isinstance(body, dict) and \
        all("error" not in r for r in body.get("results", []))


def same(a, b, path="$"):
    """Differences between two /query answers: equal structure, floats within 1e-9
    relative (sums and means add in another order across shards)."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
                abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12:
            return []
        return ["%s: %r != %r" % (path, a, b)]
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            return ["%s: keys %s != %s" % (path, sorted(a), sorted(b))]
        return [d for k in a for d in same(a[k], b[k], "%s.%s" % (path, k))]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return ["%s: %d items != %d" % (path, len(a), len(b))]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, "%s[%d]" % (path, i))]
    return [] if a == b else ["%s: %r != %r" % (path, a, b)]


def fleet_lines(rng, devices=36, points=40, t0=1700000000):
    """A fleet's readings (line protocol, seconds): 3 fleets, float, int, bool and string
    fields, 10 s interval with clock jitter, a few devices with short series."""
    lines = []
    for d in range(devices):
        n = points if d % 5 else 3
        t = t0 + rng.randint(0, 30)
        for _ in range(n):
            t += 10 + rng.randint(-2, 2)
            lines.append('readings,fleet=f%d,device=d%d temp=%r,rpm=%di,ok=%s,status="%s" %d' % (
                d % 3, d, round(rng.uniform(-20, 110), 3), rng.randint(0, 5000),
                "true" if rng.random() < 0.8 else "false", rng.choice(["run", "idle", "fault"]),
                t))
    rng.shuffle(lines)
    return lines


T0, T1 = "'2023-11-14T22:13:00Z'", "'2023-11-14T22:23:00Z'"
QUERIES = [
    "SELECT count(temp), sum(temp), mean(temp), min(temp), max(temp), first(temp), last(temp), "
    "spread(temp), stddev(temp) FROM readings",
    "SELECT count(rpm), sum(rpm), min(rpm), max(rpm), first(rpm), last(rpm) FROM readings "
    "GROUP BY fleet",
    "SELECT mean(temp), max(rpm), count(status) FROM readings WHERE time >= %s AND time < %s "
    "GROUP BY time(1m), fleet fill(none)" % (T0, T1),
    "SELECT mean(temp) FROM readings WHERE time >= %s AND time < %s GROUP BY time(2m) fill(0)"
    % (T0, T1),
    "SELECT percentile(temp, 95), median(temp), percentile(rpm, 50) FROM readings "
    "GROUP BY fleet",
    "SELECT last(temp), last(status), first(ok) FROM readings GROUP BY device",
    "SELECT * FROM readings WHERE device = 'd7'",
    "SELECT temp, rpm FROM readings WHERE fleet = 'f1' AND temp > 50",
    "SELECT count(ok) FROM readings WHERE ok = true GROUP BY fleet",
    "SELECT distinct(status) FROM readings",
    "SELECT mode(rpm), integral(temp) FROM readings GROUP BY fleet",
    "SELECT max(temp) FROM readings GROUP BY device ORDER BY time DESC LIMIT 2 SLIMIT 5",
    "SELECT derivative(mean(temp), 1m) FROM readings WHERE time >= %s AND time < %s "
    "GROUP BY time(2m), device" % (T0, T1),
    "SHOW MEASUREMENTS",
    "SHOW TAG KEYS FROM readings",
    "SHOW TAG VALUES FROM readings WITH KEY = device",
    "SHOW FIELD KEYS FROM readings",
    "SHOW SERIES FROM readings",
]


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("TELEMDB_CLUSTER_SEED", time.time()))
        print("\n%s seed %d" % (self.id(), self.seed))
        self.rng = random.Random(self.seed)
        self.tmp = tempfile.TemporaryDirectory()
        # TLS everywhere for the tests that ask: NATS clients, node-to-node sub-queries,
        # the nodes' own listeners (certificates from scripts/make-certs.sh).
        tls = self._testMethodName in self.tls_tests
        certs = os.path.join(self.tmp.name, "certs")
        if tls:
            subprocess.run([os.path.join(SOURCE, "scripts", "make-certs.sh"), certs],
                           check=True, capture_output=True, timeout=60)
        self.nats = NatsCluster(os.path.join(self.tmp.name, "nats"), tls=certs if tls else None)
        # Every node holds the same node secret: sub-queries between nodes carry the node
        # credential derived from it (used when the test runs the nodes with --auth token).
        secret = os.path.join(self.tmp.name, "node.secret")
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("%064x\n" % self.rng.getrandbits(256))
        settings = {"node_secret_file": '"%s"' % secret}
        args = getattr(self, "node_args", {}).get(self._testMethodName)
        ca = None
        if tls:
            ca = os.path.join(certs, "ca.crt")
            settings["ca_file"] = '"%s"' % ca
            args = ["--auth", "token", "--tls-cert", os.path.join(certs, "server.crt"),
                    "--tls-key", os.path.join(certs, "server.key")]
        self.nodes = [Node(self.tmp.name, "t%d" % i, self.nats, P, settings, args, ca)
                      for i in range(3)]
        self.oracle = Oracle(P)
        # Every shard has R live owners before the test writes (claims take a lease round).
        wait_until(lambda: all(len(owners(self.nats, self.nodes).get(s, ())) >= R
                               for s in range(P)), 30, what="every shard to have R owners")
        # ... and every node can answer for the whole cluster (each shard has a caught-up
        # replica announced in the ownership bucket).
        wait_until(lambda: all(queryable(n) for n in self.nodes), 30,
                   what="every node to answer a cluster-wide query")

    def tearDown(self):
        failed = any(err for _, err in getattr(self._outcome, "result", None).failures +
                     getattr(self._outcome, "result", None).errors
                     if _ is self) if getattr(self._outcome, "result", None) else False
        if failed or os.environ.get("TELEMDB_CLUSTER_LOGS"):
            for n in self.nodes:  # what the nodes said about the cluster, before it goes
                lines = [ln for ln in n.log().splitlines()
                         if "event=cluster." in ln and "level=info" not in ln]
                print("--- %s: %d cluster warnings/errors, last 15:\n%s" % (
                    n.node_id, len(lines), "\n".join(lines[-15:])))
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:  # a node the test killed, or one that hangs
                print("stopping %s: %s" % (n.node_id, e))
        self.nats.stop()
        if os.environ.get("TELEMDB_CLUSTER_KEEP"):
            print("kept: %s" % self.tmp.name)
            self.tmp._finalizer.detach()
        else:
            self.tmp.cleanup()

    def write_acked(self, lines, pts, producer, seq, consistency=None, deadline_s=60,
                    avoid=None):
        """Writes through random live nodes until acknowledged (retrying the same producer
        and sequence, as a client must); records the points. Returns the attempts' errors."""
        errors = []
        deadline = time.time() + deadline_s
        while time.time() < deadline:
            n = pick(self.rng, [x for x in self.nodes if x is not avoid])
            try:
                status, _, body = n.write(lines, producer, seq, consistency, timeout=30)
            except Exception as e:  # the node died under us
                errors.append(str(e))
                time.sleep(0.1)
                continue
            if status == 204:
                self.oracle.acked.update(pts)
                return errors
            errors.append("%d %s" % (status, body[:300]))
            time.sleep(0.2)
        raise AssertionError("never acknowledged: %s" % errors[-3:])

    def test_writes_sync_and_replicated_retries_and_partial_requests(self):
        # A node whose file disagrees with the cluster on P or on the lease refuses to start,
        # naming both values.
        with self.assertRaisesRegex(RuntimeError, "the cluster was made with P=8 R=2.*P=16"):
            Node(self.tmp.name, "bad1", self.nats, 16)
        with self.assertRaisesRegex(RuntimeError, "the cluster's lease is 5s.*lease = 7s"):
            Node(self.tmp.name, "bad2", self.nats, P, {"lease": '"7s"'})
        # SYNC: acknowledged means on R nodes' fsynced WAL, so no waiting before the check.
        for i in range(30):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw-a", i + 1)
        check_replicated(self, self.nodes, self.oracle, R)
        # REPLICATED (consistency=any): in the log; the owners catch up.
        for i in range(30):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw-b", i + 1, consistency="any")
        check_replicated(self, self.nodes, self.oracle, R, wait_s=60)

        # A retry through another node: answered duplicate, nothing new in the log.
        lines, pts = self.oracle.batch(self.rng)
        status, _, _ = self.nodes[0].write(lines, "gw-c", 1)
        self.assertEqual(status, 204)
        self.oracle.acked.update(pts)
        before = self.nats.stream_messages()
        status, headers, _ = self.nodes[1].write(lines, "gw-c", 1)
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("x-telemdb-duplicate"), "true")
        self.assertEqual(self.nats.stream_messages(), before)

        # A front door that died after publishing one shard's part: the log holds exactly
        # that part (the same msg id the full request's first part has). The client's retry
        # of the whole request through another node adds only the missing parts.
        lines, pts = self.oracle.batch(self.rng, devices=20)
        shards = sorted({self.oracle.shard(d) for d, _ in pts})
        self.assertGreater(len(shards), 1)
        first = [ln for ln in lines if self.oracle.shard(ln.split()[0].split("=")[1]) ==
                 shards[0]]
        before = self.nats.stream_messages()
        status, _, _ = self.nodes[2].write(first, "gw-d", 7)
        self.assertEqual(status, 204)
        self.assertEqual(self.nats.stream_messages(), before + 1)
        status, headers, _ = self.nodes[0].write(lines, "gw-d", 7)
        self.assertEqual(status, 204)
        self.assertIsNone(headers.get("x-telemdb-duplicate"))  # not every part was there
        self.assertEqual(self.nats.stream_messages(), before + len(shards))
        self.oracle.acked.update(pts)
        # And again: every part is a duplicate now.
        status, headers, _ = self.nodes[1].write(lines, "gw-d", 7)
        self.assertEqual(headers.get("x-telemdb-duplicate"), "true")
        self.assertEqual(self.nats.stream_messages(), before + len(shards))

        # The same for real: a fourth node (a front door only: every slot is taken) whose
        # process dies like kill -9 after its second part was accepted
        # (TELEMDB_TEST_CRASH_AFTER_PARTS). The client sees its connection drop, retries
        # through another node, and every point is stored exactly once.
        os.environ["TELEMDB_TEST_CRASH_AFTER_PARTS"] = "2"
        try:
            door = Node(self.tmp.name, "door", self.nats, P)
        finally:
            del os.environ["TELEMDB_TEST_CRASH_AFTER_PARTS"]
        lines, pts = self.oracle.batch(self.rng, devices=20)
        shards = {self.oracle.shard(d) for d, _ in pts}
        self.assertGreater(len(shards), 2)
        before = self.nats.stream_messages()
        with self.assertRaises(Exception):  # the connection drops: no answer
            door.write(lines, "gw-f", 1, timeout=30)
        self.assertEqual(door.server.proc.wait(timeout=30), 137)
        door.server.log.close()
        door.server = None
        self.assertIn("cluster.test_crash", door.log())
        self.assertEqual(self.nats.stream_messages(), before + 2)
        status, headers, body = self.nodes[1].write(lines, "gw-f", 1)
        self.assertEqual(status, 204, body)
        self.assertIsNone(headers.get("x-telemdb-duplicate"))
        self.assertEqual(self.nats.stream_messages(), before + len(shards))
        self.oracle.acked.update(pts)
        stored = check_replicated(self, self.nodes, self.oracle, R)

        # A part the owners' engines refuse (v is a float series; here an integer): the
        # front door cannot know the type, the owners can. A SYNC writer gets 400 with their
        # reason, and nothing of it is stored.
        dev, ts = next(iter(self.oracle.acked))
        status, _, body = self.nodes[0].write(["m,device=%s v=7i %d" % (dev, ts + 5)], "gw-e", 1)
        self.assertEqual(status, 400, body)
        self.assertIn(b"storage node", body)
        self.assertIn(b"type", body)
        # Exactly once per owner: each node holds exactly the acked points of its shards,
        # no other (device, ts) pairs.
        for n in self.nodes:
            extra = set(stored[n.node_id]) - set(self.oracle.acked)
            self.assertEqual(extra, set(), n.node_id)

    node_args = {"test_queries_through_any_node_equal_a_single_node": ["--auth", "token"]}

    def test_mqtt_bridge_in_cluster_mode(self):
        # A fourth node (a front door only: every slot is taken) runs the MQTT bridge against
        # a real mosquitto; a device publishes 1,500 JSON readings (QoS 1, persistent
        # session) while that node is killed with SIGKILL and restarted. The bridge acks the
        # broker only after the cluster's SYNC ack, so nothing is lost: every reading ends
        # up on R storage nodes, and the cluster's answer through another node has them all.
        from mqtt_harness import Device, Mosquitto, write_secret
        broker = Mosquitto(os.path.join(self.tmp.name, "mosquitto"))
        try:
            token = write_secret(os.path.join(self.tmp.name, "bridge.token"), "unused-auth-none")
            cfg = os.path.join(self.tmp.name, "mqtt.toml")
            with open(cfg, "w") as f:
                f.write('[[broker]]\nname = "b"\nurl = "tcp://127.0.0.1:%d"\n'
                        'client_id = "telemdb-cluster"\n\n[[subscription]]\nname = "fleet"\n'
                        'broker = "b"\ntopic = "fleet/+/telemetry"\n'
                        'topic_template = "fleet/{device}/telemetry"\nmeasurement = "m"\n'
                        'token_file = "%s"\n[subscription.json]\ntimestamp_field = "ts"\n'
                        'timestamp_format = "s"\n' % (broker.port, token))
            bridge = Node(self.tmp.name, "mq", self.nats, P, None,
                          ["--auth", "none", "--mqtt-config", cfg])
            device = Device(broker.port, client_id="truck-gateway")
            want = {}
            for i in range(1500):
                dev = "d%d" % (i % 30)
                ts = 1700000000 + i
                want[(dev, ts)] = float(i)
                device.publish("fleet/%s/telemetry" % dev, json.dumps({"ts": ts, "v": float(i)}))
                if i == 500:
                    device.flush()
                    bridge.kill()
                    print("bridge node killed with %d of 501 published readings in the cluster"
                          % len(self.nodes[0].points(local=False)))
                if i == 900:
                    device.flush()
                    bridge.start()
                if i % 100 == 0:
                    time.sleep(0.05)
            device.close()
            self.oracle.acked.update(want)
            reader = self.nodes[1]
            wait_until(lambda: len(reader.points(local=False)) >= len(want), 120, 0.5,
                       what="every MQTT reading in the cluster")
            self.assertEqual(reader.points(local=False), want)
            check_replicated(self, self.nodes, self.oracle, R, wait_s=30)
            self.assertEqual(bridge.points(local=True), {}, "the bridge node stores nothing")
            bridge.stop()
        finally:
            broker.stop()
    tls_tests = {"test_tls_to_nats_and_between_nodes"}

    def test_tls_to_nats_and_between_nodes(self):
        # Every node's NATS connection is TLS (the servers' client port speaks only TLS), and
        # sub-queries between nodes go over TLS verified with the cluster's CA, carrying the
        # node credential: writes through random nodes, then the cluster's answer through
        # every node is exactly what was acknowledged.
        for i in range(20):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", i + 1)
        check_replicated(self, self.nodes, self.oracle, R)
        for n in self.nodes:
            self.assertEqual(n.points(local=False), self.oracle.acked, n.node_id)
        conns = []
        for i in range(self.nats.n):
            with urllib.request.urlopen("http://127.0.0.1:%d/connz?subs=0"
                                        % self.nats.http_ports[i], timeout=5) as r:
                conns += json.loads(r.read()).get("connections", [])
        self.assertTrue(conns)
        self.assertEqual([c.get("cid") for c in conns if not c.get("tls_version")], [],
                         "NATS client connections without TLS")
        # A plaintext client cannot talk to the nodes' gRPC or HTTP listeners.
        with self.assertRaises(Exception):
            Server.request(type("Plain", (), {"ca": None, "http_port":
                                              self.nodes[0].server.http_port})(),
                           "GET", "/health", timeout=5)

    def test_queries_through_any_node_equal_a_single_node(self):
        # A fleet written through random nodes (SYNC, several shards per request), and the
        # same lines into a single-node telemdbd.
        lines = fleet_lines(self.rng)
        for i in range(0, len(lines), 60):
            n = pick(self.rng, self.nodes)
            status, _, body = n.write(lines[i:i + 60], "fleet", i + 1, timeout=30)
            self.assertEqual(status, 204, body)
        single = Server(os.path.join(self.tmp.name, "single"), ["--auth", "none"])
        try:
            status, _, body = single.request("POST", "/write", "\n".join(lines).encode(),
                                             params={"precision": "s"})
            self.assertEqual(status, 204, body)
            t0 = time.time()
            for q in QUERIES:
                st, want = single.request("GET", "/query", params={"q": q, "epoch": "ns"})[::2]
                self.assertEqual(st, 200, want)
                want = json.loads(want)
                self.assertNotIn("error", want["results"][0], q)
                for n in self.nodes:
                    st, got = n.query(q)
                    self.assertEqual(st, 200, "%s through %s: %s" % (q, n.node_id, got))
                    diffs = same(got, want)
                    self.assertEqual(diffs[:5], [], "%s through %s" % (q, n.node_id))
            print("%d queries x 3 nodes equal the single node in %.1f s"
                  % (len(QUERIES), time.time() - t0))
            # ?local= takes true or false only, and on a single node changes nothing.
            st, _, body = self.nodes[0].server.request(
                "GET", "/query", headers=self.nodes[0].auth(),
                params={"q": "SHOW MEASUREMENTS", "local": "maybe"})
            self.assertEqual(st, 400, body)
            self.assertIn(b"local must be true or false", body)
            q = "SELECT count(temp) FROM readings"
            self.assertEqual(
                single.request("GET", "/query", params={"q": q, "local": "true"})[2],
                single.request("GET", "/query", params={"q": q})[2])
            # --cluster on a single node: a clear refusal.
            code, _, err = Server.cli(type("Admin", (), {"port": single.port, "token": "",
                                                         "data_dir": single.data_dir})(),
                                      "admin", "audit", "verify", "--cluster")
            self.assertNotEqual(code, 0)
            self.assertIn("not a cluster node", err)
        finally:
            single.stop()
        # Some node holds only part of the data (the first node to start claims a slot of
        # every shard): its answers above came from other nodes' shards.
        held = {}
        for n in self.nodes:
            st, body = n.query("SELECT count(temp) FROM readings", local=True)
            self.assertEqual(st, 200, body)
            series = body["results"][0].get("series")
            held[n.node_id] = series[0]["values"][0][1] if series else 0
        self.assertTrue(any(c < len(lines) for c in held.values()),
                        "every node holds every point: no fan-out was tested: %s" % held)
        # The audit chains: each node keeps its own; `audit verify --cluster` through any
        # node has every node verify its own and names the one that is broken.
        code, out, err = self.nodes[1].server.cli("admin", "audit", "verify", "--cluster")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(l.split(":")[0] for l in out.splitlines()), ["t0", "t1", "t2"])
        self.assertTrue(all("audit log intact" in l for l in out.splitlines()), out)
        path = os.path.join(self.nodes[2].data_dir, "audit.log")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        i = data.index(b'"ok"')  # an early record's outcome
        data[i + 1:i + 3] = b"OK"
        with open(path, "wb") as f:
            f.write(data)
        code, out, err = self.nodes[0].server.cli("admin", "audit", "verify", "--cluster")
        self.assertEqual(code, 1, out + err)
        self.assertIn("telemdb: node t2: audit log broken", err)
        self.assertEqual(sorted(l.split(":")[0] for l in out.splitlines()), ["t0", "t1"])
        # Hostile queries through a cluster node are refused before any fan-out, with the
        # reason, and the node keeps answering: invalid UTF-8, a megabyte-long name.
        for q, why in ((b"SELECT count(temp) FROM readings WHERE device = '\xff'", b"UTF-8"),
                       (b"SELECT count(temp) FROM m" + b"x" * (1 << 20), b"bytes")):
            st, _, body = self.nodes[2].server.request(
                "POST", "/query", body=b"q=" + urllib.parse.quote_from_bytes(q).encode(),
                headers=dict(self.nodes[2].auth(),
                             **{"Content-Type": "application/x-www-form-urlencoded"}))
            self.assertEqual(st, 400, body[:300])
            self.assertIn(why, body[:300])
            self.assertLess(len(body), 4096)
        self.assertTrue(queryable(self.nodes[2]))
        # A forged node credential is refused.
        st, _, body = self.nodes[0].server.request(
            "GET", "/query", headers={"Authorization": "Bearer tdbnode_wrong"},
            params={"q": "SELECT count(temp) FROM readings"})
        self.assertEqual(st, 401, body)

    def test_kill_9_storage_node_during_writes(self):
        victim = self.nodes[1]
        stop = threading.Event()
        failures = []

        def writer(name):
            seq = 0
            while not stop.is_set():
                seq += 1
                lines, pts = self.oracle.batch(self.rng)
                try:
                    self.write_acked(lines, pts, name, seq, deadline_s=90)
                except AssertionError as e:
                    failures.append(str(e))
                    return

        threads = [threading.Thread(target=writer, args=("w%d" % i,)) for i in range(3)]
        for t in threads:
            t.start()
        time.sleep(2)
        victim.kill()
        # Queries through the live nodes keep answering, from the replicas, with every point
        # acked before the query (the dead node is still listed: its sub-queries are retried
        # on the other replica).
        acked = dict(self.oracle.acked)
        got = pick(self.rng, [n for n in self.nodes if n is not victim]).points(local=False)
        missing = [k for k, v in acked.items() if got.get(k) != v]
        self.assertEqual(missing[:10], [], "%d acked points missing from the cluster's answer "
                         "with a node down" % len(missing))
        time.sleep(1)  # back within the lease: it keeps its shards
        victim.start()
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(failures, [])
        self.assertGreater(len(self.oracle.acked), 100)
        stored = check_replicated(self, self.nodes, self.oracle, R, wait_s=60)
        # The restarted node catches up: within a bounded time it holds every acked point of
        # every shard it owns. (On a loaded machine its restart can outlast the lease; then its
        # shards moved and it catches up on what it claims afterwards, from the log.)
        deadline = time.time() + 60
        while True:
            mine = {s for s, o in owners(self.nats, self.nodes).items() if victim.node_id in o}
            missing = [k for k in self.oracle.acked if self.oracle.shard(k[0]) in mine and
                       k not in stored[victim.node_id]]
            if (mine and not missing) or time.time() >= deadline:
                break
            time.sleep(0.5)
            stored, _ = short_points(self.nodes, self.oracle, R)
        self.assertTrue(mine, "the restarted node owns no shard")
        self.assertEqual(missing[:10], [], "%d acked points of its shards missing on the "
                         "restarted node after 60 s" % len(missing))

    def test_nats_server_failures(self):
        for i in range(10):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", i + 1)
        seq = 10
        # One NATS server of three gone: a quorum remains, writes continue (a leader
        # election may make the first attempts wait or fail; the client retries).
        self.nats.kill(0)
        for i in range(10):
            seq += 1
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", seq, deadline_s=60)
        # Two gone: no quorum. Writes are refused with a clear error and nothing is acked.
        self.nats.kill(1)
        seq += 1
        lines, pts = self.oracle.batch(self.rng)
        time.sleep(1)
        for n in self.nodes:
            status, _, body = n.write(lines, "gw", seq, timeout=30)
            self.assertEqual(status, 503, body)
            self.assertIn(b"no quorum", body)
        # A server returns: writes resume (the same request, retried, is stored once).
        self.nats.start(0)
        self.write_acked(lines, pts, "gw", seq, deadline_s=90)
        for i in range(5):
            seq += 1
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", seq, deadline_s=60)
        self.nats.start(1)
        check_replicated(self, self.nodes, self.oracle, R, wait_s=90)

    def test_owner_gone_past_its_lease_is_replaced(self):
        for i in range(20):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", i + 1)
        before = owners(self.nats, self.nodes)
        victim = max(self.nodes, key=lambda n: sum(n.node_id in o for o in before.values()))
        lost = {s for s, o in before.items() if victim.node_id in o}
        self.assertTrue(lost)
        victim.kill()
        # Writes go on through the live nodes (SYNC may time out until the new owners
        # caught up; the client retries).
        for i in range(20, 30):
            lines, pts = self.oracle.batch(self.rng)
            self.write_acked(lines, pts, "gw", i + 1, deadline_s=60, avoid=victim)
        live = [n for n in self.nodes if n is not victim]
        # After the lease (5 s) and a claim round, every shard has R live owners again.
        wait_until(lambda: all(len(owners(self.nats, self.nodes).get(s, ())) >= R
                               for s in range(P)), 30, what="reassignment")
        # The new owners caught up from the log: every point, written before or after the
        # kill, is on R live nodes.
        check_replicated(self, live, self.oracle, R, wait_s=60)
        # The dead node's durable consumers are removed by a live node (every 10th lease
        # round: ~17 s here), so they stop holding state in the stream.
        wait_until(lambda: not any("_%s_" % victim.node_id in name
                                   for name in self.nats.consumers()), 60,
                   what="the dead node's consumers to be removed")
        # Queries through any live node answer exactly what was acknowledged.
        for n in live:
            wait_until(lambda: queryable(n), 30, what="%s to answer" % n.node_id)
            self.assertEqual(n.points(local=False), self.oracle.acked)


if __name__ == "__main__":
    unittest.main(verbosity=2)
