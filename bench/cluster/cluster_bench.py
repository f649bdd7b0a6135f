#!/usr/bin/python3
"""Ingest through the cluster (docs/cluster.md) against one telemdbd, on this machine.

For each setup — a plain single node, then 1, 2 and 3 cluster nodes (R = min(2, nodes)) over
a 3-server NATS cluster (stream replicas 3) — and each ack mode (SYNC; REPLICATED, which
`telemdb-bench --ack async` asks for), it starts everything fresh on loopback, loads the
same fleet file with `telemdb-bench ingest --preparse` through node 1's gRPC front door and
prints the acknowledged values/s. For cluster runs it also waits until every part has been
applied by R owners (from /metrics) and prints that "stored" rate. Every process shares the
same cores, so this measures the log hop's overhead, not scaling.

After each SYNC load it times a set of queries (QUERIES, p50 of --query-runs) through
node 1's HTTP /query: through the coordinator on a cluster node, directly on the single node.

  bench/cluster/cluster_bench.py [--workload fleet] [--scale 100] [--hours 4] [--shards 64]
                                 [--interval S] [--jitter S] [--query-runs 5]

Other shapes (telemdb-fleetgen): `--workload meters` (many short series, 15 min interval),
`--workload sensors` (long series); the query phase runs for the fleet only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "python"))
os.environ.setdefault("TELEMDB_BINARY_DIR", os.path.join(SOURCE, "build"))
from cluster_harness import NatsCluster, Node, wait_until  # noqa: E402
from telemdb_server import BINARY, Server  # noqa: E402


def metric(server, name):
    _, _, body = server.request("GET", "/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def cpu_seconds(pids):
    """User + system CPU seconds of the processes (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


# Over the fleet file (telemdb-fleetgen: 2026-01-01T00:00Z on, `readings` and `diagnostics`
# of trucks tagged name and fleet).
QUERIES = [
    ("one truck, mean/1m, 1 h", "SELECT mean(velocity) FROM readings WHERE name = 'truck_7' AND "
     "time >= '2026-01-01T00:00:00Z' AND time < '2026-01-01T01:00:00Z' GROUP BY time(1m)"),
    ("fleet mean/max per 10 min, all", "SELECT mean(velocity), max(velocity) FROM readings WHERE "
     "time >= '2026-01-01T00:00:00Z' AND time < '2026-01-02T00:00:00Z' GROUP BY time(10m), "
     "fleet"),
    ("last fuel_state every truck", "SELECT last(fuel_state) FROM diagnostics GROUP BY name"),
    ("count all readings", "SELECT count(velocity) FROM readings"),
    ("p95 velocity per fleet", "SELECT percentile(velocity, 95) FROM readings GROUP BY fleet"),
]


def time_queries(server, runs):
    """p50 ms of each query through `server`'s /query (and the answer's row count)."""
    # A cluster node answers once every shard has a caught-up replica announced.
    wait_until(lambda: b'"error"' not in server.request(
        "GET", "/query", params={"q": "SHOW MEASUREMENTS"})[2], 60, 0.2, "a cluster answer")
    out = []
    for name, q in QUERIES:
        times, rows = [], 0
        for _ in range(runs):
            t0 = time.time()
            status, _, body = server.request("GET", "/query", params={"q": q}, timeout=300)
            times.append((time.time() - t0) * 1000)
            if status != 200 or b'"error"' in body:
                raise RuntimeError("%s: %d %s" % (q, status, body[:300]))
            rows = sum(len(s["values"]) for r in json.loads(body)["results"]
                       for s in r.get("series", []))
        times.sort()
        out.append((name, times[len(times) // 2], rows))
    return out


def ingest(port, lp, ack):
    t0 = time.time()
    p = subprocess.run([os.path.join(BINARY, "bench", "tool", "telemdb-bench"), "ingest", lp,
                        "--addr", "127.0.0.1:%d" % port, "--streams", "4", "--preparse",
                        "--ack", ack], capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(p.stderr + p.stdout)
    line = p.stdout.strip().splitlines()[-1]
    kv = dict(f.split("=", 1) for f in line.split())
    brief = "p50 %s ms, p99 %s ms" % (kv["ack_p50_ms"], kv["ack_p99_ms"])
    return float(kv["values_per_s"]), int(kv["values"]), time.time() - t0, brief


def run(setup, ack, lp, shards, query_runs=0):
    with tempfile.TemporaryDirectory() as tmp:
        if setup == 0:
            s = Server(os.path.join(tmp, "single"), ["--auth", "none"])
            try:
                cpu0 = cpu_seconds([s.proc.pid])
                rate, values, secs, line = ingest(s.port, lp, ack)
                line += "; CPU per value: telemdbd %.2f us" % (
                    (cpu_seconds([s.proc.pid]) - cpu0) / values * 1e6)
                queries = time_queries(s, query_runs) if query_runs else None
            finally:
                s.stop()
            return rate, None, line, queries
        nats = NatsCluster(os.path.join(tmp, "nats"))
        r = min(2, setup)
        nodes = []
        try:
            for i in range(setup):
                nodes.append(Node(tmp, "t%d" % i, nats, shards,
                                  {"replication": str(r), "sync_timeout": '"60s"',
                                   "publish_timeout": '"30s"', "lease": '"10s"'}))
            wait_until(lambda: sum(metric(n.server, "telemdb_cluster_owned_shards")
                                   for n in nodes) >= shards * r, 60, what="owners")
            tdb = [n.server.proc.pid for n in nodes]
            nts = [p.pid for p in nats.procs]
            cpu0 = (cpu_seconds(tdb), cpu_seconds(nts))
            t0 = time.time()
            rate, values, secs, line = ingest(nodes[0].server.port, lp, ack)
            parts = metric(nodes[0].server, "telemdb_cluster_parts_published_total")
            wait_until(lambda: sum(metric(n.server, "telemdb_cluster_messages_applied_total")
                                   for n in nodes) >= parts * r, 1800, 0.2, "owners to apply")
            stored = values / (time.time() - t0) if values else None
            cpu = (cpu_seconds(tdb) - cpu0[0], cpu_seconds(nts) - cpu0[1])
            msgs, size = nats.stream_state("messages"), nats.stream_state("bytes")
            line += ("; %d log messages, %.1f values each, %.1f log bytes/value; CPU per value: "
                     "telemdbd %.2f us, nats-server %.2f us" % (
                         msgs, values / msgs, size / values, cpu[0] / values * 1e6,
                         cpu[1] / values * 1e6))
            queries = time_queries(nodes[0].server, query_runs) if query_runs else None
            return rate, stored, line, queries
        except Exception:
            for n in nodes:  # what the nodes said, before their directory goes
                print("--- %s log tail:\n%s" % (n.node_id, "".join(n.log()[-3000:])),
                      file=sys.stderr)
            raise
        finally:
            for n in nodes:
                n.stop()
            nats.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="fleet", choices=["fleet", "meters", "sensors"])
    ap.add_argument("--interval", type=int)
    ap.add_argument("--jitter", type=int)
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--hours", type=int, default=4)
    ap.add_argument("--shards", type=int, default=64)
    ap.add_argument("--setups", default="0,1,2,3")
    ap.add_argument("--acks", default="sync,async")
    ap.add_argument("--query-runs", type=int, default=5)
    args = ap.parse_args()
    query_table = {}
    with tempfile.TemporaryDirectory() as tmp:
        lp = os.path.join(tmp, "fleet.lp")
        gen = [os.path.join(BINARY, "bench", "fleet", "telemdb-fleetgen"), "--workload",
               args.workload, "--scale", str(args.scale), "--hours", str(args.hours), "-o", lp]
        for flag in ("interval", "jitter"):
            if getattr(args, flag) is not None:
                gen += ["--" + flag, str(getattr(args, flag))]
        subprocess.run(gen, check=True)
        if args.workload != "fleet":
            args.query_runs = 0  # QUERIES are over the fleet's measurements
        print("| setup | ack | acked values/s | stored on R owners, values/s | telemdb-bench |")
        print("|---|---|---|---|---|")
        for setup in [int(x) for x in args.setups.split(",")]:
            for ack in args.acks.split(","):
                rate, stored, line, queries = run(setup, ack, lp, args.shards,
                                                  args.query_runs if ack == "sync" else 0)
                name = "single node" if setup == 0 else "%d node%s, R=%d" % (
                    setup, "s" if setup > 1 else "", min(2, setup))
                if queries:
                    query_table[name] = queries
                mode = ("SYNC" if ack == "sync" else
                        ("ASYNC" if setup == 0 else "REPLICATED"))
                print("| %s | %s | %s | %s | %s |" % (
                    name, mode, "%.0f" % rate if rate else "?",
                    "%.0f" % stored if stored else "-", line), flush=True)
    if query_table:
        names = list(query_table)
        print("\nQuery p50 (ms) through node 1's HTTP /query, %d runs each (rows in the answer):"
              % args.query_runs)
        print("| query | rows | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for i, (qname, _) in enumerate(QUERIES):
            rows = query_table[names[0]][i][2]
            print("| %s | %d | %s |" % (qname, rows, " | ".join(
                "%.1f" % query_table[n][i][1] for n in names)))


if __name__ == "__main__":
    main()
