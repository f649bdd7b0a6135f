#!/usr/bin/python3
"""The cluster (docs/cluster.md) with real processes: three nats-server processes (routes on
127.0.0.1) and three telemdbd --cluster nodes (P = 8 shards, R = 2, lease 3 s). Writes go
through random nodes over HTTP /write; the oracle is what was acknowledged. Until the
distributed query lands (branch issue-18-query), each node's own data is read with the
single-node query API on that node."""
import os
import random
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_harness import (NatsCluster, Node, Oracle, check_replicated, owners,  # noqa: E402
                             pick, short_points, wait_until)

R = 2
P = 8


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("TELEMDB_CLUSTER_SEED", time.time()))
        print("\n%s seed %d" % (self.id(), self.seed))
        self.rng = random.Random(self.seed)
        self.tmp = tempfile.TemporaryDirectory()
        self.nats = NatsCluster(os.path.join(self.tmp.name, "nats"))
        self.nodes = [Node(self.tmp.name, "t%d" % i, self.nats, P) for i in range(3)]
        self.oracle = Oracle(P)
        # Every shard has R live owners before the test writes (claims take a lease round).
        wait_until(lambda: all(len(owners(self.nats, self.nodes).get(s, ())) >= R
                               for s in range(P)), 30, what="every shard to have R owners")

    def tearDown(self):
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:  # a node the test killed, or one that hangs
                print("stopping %s: %s" % (n.node_id, e))
        self.nats.stop()
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
                status, _, body = n.write(lines, producer, seq, consistency, timeout=15)
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
        with self.assertRaisesRegex(RuntimeError, "the cluster's lease is 3s.*lease = 5s"):
            Node(self.tmp.name, "bad2", self.nats, P, {"lease": '"5s"'})
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
        # After the lease (3 s) and a claim round, every shard has R live owners again.
        wait_until(lambda: all(len(owners(self.nats, self.nodes).get(s, ())) >= R
                               for s in range(P)), 30, what="reassignment")
        # The new owners caught up from the log: every point, written before or after the
        # kill, is on R live nodes.
        check_replicated(self, live, self.oracle, R, wait_s=60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
