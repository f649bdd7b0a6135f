"""Helpers of the cluster suites (docs/cluster.md): a NATS cluster of nats-server processes
(routes and clients on free 127.0.0.1 ports, JetStream stores in temp dirs; never the system
daemon or port 4222), telemdbd nodes started with --cluster, and the oracle of what was
acknowledged. Loopback only; every wait is bounded."""
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.request

from telemdb_server import Server, free_port, wait_until




def fnv1a64(data):
    h = 0xcbf29ce484222325
    for c in data:
        h ^= c
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


def fmix64(h):
    m = 0xffffffffffffffff
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m
    h ^= h >> 33
    return h


def shard_of(tags, shards):
    """util/shard.h without a shard tag: tags sorted, k \\0 v \\0 ..., FNV-1a 64 + fmix64."""
    key = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in sorted(tags.items()))
    return fmix64(fnv1a64(key)) % shards


class NatsCluster:
    """`n` nats-server processes with routes on loopback. With `tls` (a directory made by
    scripts/make-certs.sh), clients connect over TLS (tls://) verified with its ca.crt."""

    def __init__(self, directory, n=3, tls=None):
        self.dir = directory
        self.n = n
        self.tls = tls
        self.ports = [free_port() for _ in range(n)]
        self.route_ports = [free_port() for _ in range(n)]
        self.http_ports = [free_port() for _ in range(n)]
        self.procs = [None] * n
        routes = ", ".join("nats-route://127.0.0.1:%d" % p for p in self.route_ports)
        for i in range(n):
            d = os.path.join(directory, "nats%d" % i)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "nats.conf"), "w") as f:
                f.write("server_name: n%d\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\n"
                        "jetstream { store_dir: \"%s\", max_memory_store: 64MB, "
                        "max_file_store: 1GB }\n"
                        "cluster { name: tdb, listen: 127.0.0.1:%d, routes: [%s] }\n"
                        % (i, self.ports[i], self.http_ports[i], os.path.join(d, "js"),
                           self.route_ports[i], routes))
                if tls:
                    f.write('tls { cert_file: "%s/server.crt", key_file: "%s/server.key", '
                            'ca_file: "%s/ca.crt", timeout: 5 }\n' % (tls, tls, tls))
        for i in range(n):
            self.start(i)
        self.wait_ready()

    def urls(self):
        scheme = "tls" if self.tls else "nats"
        return ["%s://127.0.0.1:%d" % (scheme, p) for p in self.ports]

    def start(self, i):
        d = os.path.join(self.dir, "nats%d" % i)
        out = open(os.path.join(d, "nats.log"), "ab")
        self.procs[i] = subprocess.Popen(["nats-server", "-c", os.path.join(d, "nats.conf")],
                                         stdout=out, stderr=out)

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(timeout=30)
        self.procs[i] = None

    def jsz(self, i=None, query=""):
        for j in ([i] if i is not None else range(self.n)):
            if self.procs[j] is None:
                continue
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/jsz%s" % (self.http_ports[j],
                                                                             query), timeout=5) as r:
                    return json.loads(r.read())
            except OSError:
                continue
        return None

    def wait_ready(self, timeout=30):
        def ready():
            for i in range(self.n):
                if self.procs[i] is None:
                    continue
                j = self.jsz(i)
                if not j or not j.get("meta_cluster", {}).get("leader"):
                    return False
            return True
        wait_until(ready, timeout, what="the JetStream meta leader")

    def consumers(self):
        """durable name -> (num_pending, num_ack_pending) of stream TELEMDB_IN, from the
        JetStream leader's view (any live server's /jsz)."""
        for i in range(self.n):
            j = self.jsz(i, "?consumers=true&leader-only=true")
            if not j:
                continue
            for acc in j.get("account_details", []):
                for s in acc.get("stream_detail", []):
                    if s["name"] == "TELEMDB_IN":
                        return {c["name"]: (c["num_pending"], c["num_ack_pending"])
                                for c in s.get("consumer_detail", [])}
        return {}

    def stream_messages(self):
        return self.stream_state("messages")

    def stream_state(self, key):
        for i in range(self.n):
            j = self.jsz(i, "?streams=true&leader-only=true")
            if not j:
                continue
            for acc in j.get("account_details", []):
                for s in acc.get("stream_detail", []):
                    if s["name"] == "TELEMDB_IN":
                        return s["state"][key]
        return None

    def stop(self):
        for i in range(self.n):
            if self.procs[i] is not None:
                self.procs[i].terminate()
                self.procs[i].wait(timeout=30)
                self.procs[i] = None


class Node:
    """A telemdbd with --cluster, --auth none (loopback only) unless `args` says otherwise;
    with --auth token, requests carry the node's first-start admin token."""

    def __init__(self, directory, node_id, nats, shards=8, settings=None, args=None, ca=None):
        self.dir = directory
        self.node_id = node_id
        self.data_dir = os.path.join(directory, node_id)
        self.config = os.path.join(directory, node_id + ".toml")
        conf = {"node_id": '"%s"' % node_id,
                "nats_urls": "[%s]" % ", ".join('"%s"' % u for u in nats.urls()),
                "shards": str(shards), "lease": '"5s"', "sync_timeout": '"20s"',
                "publish_timeout": '"3s"', "max_bytes": '"256MiB"'}
        conf.update(settings or {})
        with open(self.config, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in conf.items()))
        self.args = args if args is not None else ["--auth", "none"]
        self.ca = ca
        self.server = None
        self.start()

    def start(self):
        self.server = Server(self.data_dir, self.args + ["--cluster", self.config], ca=self.ca)

    def auth(self, headers=None):
        h = dict(headers or {})
        if self.server.token:
            h["Authorization"] = "Bearer " + self.server.token
        return h

    def kill(self):
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait(timeout=30)
        self.server.log.close()
        self.server = None

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    def log(self):
        with open(self.data_dir + ".log") as f:
            return f.read()

    def write(self, lines, producer=None, sequence=None, consistency=None, timeout=30):
        """POST /write (precision s); returns (status, headers, body)."""
        headers = {}
        if producer is not None:
            headers["X-Telemdb-Producer"] = producer
            headers["X-Telemdb-Sequence"] = str(sequence)
        params = {"precision": "s"}
        if consistency:
            params["consistency"] = consistency
        return self.server.request("POST", "/write", "\n".join(lines).encode(),
                                   self.auth(headers), params, timeout=timeout)

    def query(self, q, local=False, timeout=60):
        """GET /query (epoch ns); the whole cluster's answer, or with `local` this node's
        own data. Returns (status, parsed body or raw bytes)."""
        params = {"q": q, "epoch": "ns"}
        if local:
            params["local"] = "true"
        status, _, body = self.server.request("GET", "/query", headers=self.auth(),
                                              params=params, timeout=timeout)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def points(self, measurement="m", local=True):
        """{(device, ts_s): value} stored on this node (its own data only), or with
        local=False the cluster's answer through this node."""
        params = {"q": "SELECT v FROM %s GROUP BY device" % measurement, "epoch": "s"}
        if local:
            params["local"] = "true"
        status, _, body = self.server.request("GET", "/query", headers=self.auth(),
                                              params=params, timeout=60)
        if status != 200:
            raise AssertionError("query on %s: %d %s" % (self.node_id, status, body))
        out = {}
        for r in json.loads(body)["results"]:
            if "error" in r:
                raise AssertionError("query on %s: %s" % (self.node_id, r["error"]))
            for s in r.get("series", []):
                for ts, v in s["values"]:
                    out[(s["tags"]["device"], ts)] = v
        return out


class Oracle:
    """What was acknowledged: (device, ts) -> value, and a line per point."""

    def __init__(self, shards=8):
        self.shards = shards
        self.acked = {}
        self.seq = 0
        self.lock = threading.Lock()

    def batch(self, rng, devices=12, rows=5):
        """Lines of one request over several devices (so several shards); returns
        (lines, points)."""
        with self.lock:
            self.seq += 1
            seq = self.seq
        pts = {}
        for d in rng.sample(range(50), devices):
            for r in range(rows):
                ts = 1700000000 + seq * 10 + r
                pts[("d%d" % d, ts)] = float(seq * 1000 + d)
        lines = ["m,device=%s v=%r %d" % (dev, v, ts) for (dev, ts), v in pts.items()]
        return lines, pts

    def shard(self, device):
        return shard_of({"device": device}, self.shards)


def short_points(nodes, oracle, replicas, only=None):
    """(stored per node, acked points on fewer than `replicas` of `nodes` with their value)."""
    stored = {n.node_id: n.points() for n in nodes if n.server is not None}
    short = []
    for key, v in oracle.acked.items():
        if only is not None and oracle.shard(key[0]) not in only:
            continue
        have = sum(1 for s in stored.values() if s.get(key) == v)
        if have < replicas:
            short.append((key, have))
    return stored, short


def check_replicated(test, nodes, oracle, replicas, only=None, wait_s=0):
    """Every acknowledged point is on at least `replicas` of `nodes` with its value; with
    `wait_s`, within that time (REPLICATED acks, owners catching up)."""
    deadline = time.time() + wait_s
    while True:
        stored, short = short_points(nodes, oracle, replicas, only)
        if not short or time.time() >= deadline:
            break
        time.sleep(0.5)
    test.assertEqual(short[:10], [], "%d of %d acked points on fewer than %d nodes" %
                     (len(short), len(oracle.acked), replicas))
    return stored


def owners(nats, nodes):
    """shard -> set of live node ids with a durable consumer of it."""
    live = {n.node_id for n in nodes if n.server is not None}
    out = {}
    for name in nats.consumers():
        _, node, shard = name.rsplit("_", 2)
        if node in live:
            out.setdefault(int(shard), set()).add(node)
    return out


def pick(rng, nodes):
    return rng.choice([n for n in nodes if n.server is not None])
