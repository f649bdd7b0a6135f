#!/usr/bin/python3
"""A second-language client: the telemdb gRPC contract works outside our own C++ stubs.

Generates Python stubs from proto/ at test time (Debian's protoc + grpc_python_plugin),
starts a real telemdbd on a free loopback port and writes to it through unary and
streaming calls, checking every response.
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

SOURCE = os.environ.get("TELEMDB_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BINARY = os.environ.get("TELEMDB_BINARY_DIR", os.path.join(SOURCE, "build"))
T0 = 1_700_000_000_000_000_000


def generate_stubs(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    protos = [os.path.join(SOURCE, "proto", "telemdb", "v1", p)
              for p in sorted(os.listdir(os.path.join(SOURCE, "proto", "telemdb", "v1")))
              if p.endswith(".proto")]
    subprocess.run(["protoc", "--proto_path=" + os.path.join(SOURCE, "proto"),
                    "--proto_path=/usr/include", "--python_out=" + out_dir,
                    "--grpc_python_out=" + out_dir,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"] + protos,
                   check=True)
    sys.path.insert(0, out_dir)


class Server:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        port_file = data_dir + ".port"
        self.log = open(data_dir + ".log", "wb")
        self.proc = subprocess.Popen(
            [os.path.join(BINARY, "server", "telemdbd"), "--data-dir", data_dir, "--listen",
             "127.0.0.1:0", "--port-file", port_file, "--http-listen", "127.0.0.1:0"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    break
            if self.proc.poll() is not None:
                raise RuntimeError("telemdbd exited: " + open(data_dir + ".log").read())
            time.sleep(0.02)
        else:
            raise RuntimeError("telemdbd did not listen")
        with open(os.path.join(data_dir, "admin.token")) as f:
            self.token = f.read().strip()

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(timeout=60)
        self.log.close()
        return code


class IngestClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        generate_stubs(os.path.join(cls.tmp.name, "stubs"))
        global common_pb2, ingest_pb2, ingest_pb2_grpc, admin_pb2, admin_pb2_grpc
        from telemdb.v1 import common_pb2, ingest_pb2, ingest_pb2_grpc, admin_pb2, admin_pb2_grpc
        cls.server = Server(os.path.join(cls.tmp.name, "data"))
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % cls.server.port)
        cls.ingest = ingest_pb2_grpc.IngestServiceStub(cls.channel)
        cls.admin = admin_pb2_grpc.AdminServiceStub(cls.channel)
        cls.md = [("authorization", "Bearer " + cls.server.token)]

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        cls.tmp.cleanup()
        assert code == 0, "telemdbd exited with %d" % code

    def request(self, device, rows, t0=T0, sequence=0, producer=""):
        s = ingest_pb2.SeriesBatch(measurement=b"python", timestamps=[t0 + i * 10**9 for i in range(rows)])
        s.tags.add(key=b"device", value=device.encode())
        temp = s.fields.add(name=b"temp")
        temp.doubles.values.extend([20.0 + i / 4 for i in range(rows)])
        ok = s.fields.add(name=b"ok")
        ok.bools.values.extend([i % 2 == 0 for i in range(rows)])
        state = s.fields.add(name=b"state")
        state.strings.values.extend([("idle" if i % 3 else "driving").encode() for i in range(rows)])
        state.missing_rows.extend([1])
        return ingest_pb2.WriteRequest(series=[s], sequence=sequence, producer_id=producer,
                                       ack_mode=ingest_pb2.SYNC)

    def test_unary_write(self):
        resp = self.ingest.Write(self.request("py-1", 10), metadata=self.md)
        self.assertEqual(resp.points_accepted, 29)  # 10 + 10 + 9 (one missing)
        self.assertFalse(resp.duplicate)

    def test_stream_many_in_flight(self):
        reqs = [self.request("py-2", 5, T0 + b * 10**12, sequence=b + 1) for b in range(40)]
        seen = {}
        for resp in self.ingest.WriteStream(iter(reqs), metadata=self.md):
            self.assertFalse(resp.HasField("error"), resp.error.message)
            seen[resp.request_index] = resp
        self.assertEqual(sorted(seen), list(range(40)))
        for i, r in seen.items():
            self.assertEqual(r.sequence, i + 1)
            self.assertEqual(r.points_accepted, 14)

    def test_idempotent_retry(self):
        req = self.request("py-3", 4, producer="py-gw", sequence=5)
        first = self.ingest.Write(req, metadata=self.md)
        again = self.ingest.Write(req, metadata=self.md)
        self.assertFalse(first.duplicate)
        self.assertTrue(again.duplicate)
        self.assertEqual(again.points_accepted, 0)

    def test_validation_error_carries_details(self):
        req = self.request("py-4", 3)
        req.series[0].timestamps[2] = -5
        with self.assertRaises(grpc.RpcError) as cm:
            self.ingest.Write(req, metadata=self.md)
        err = cm.exception
        self.assertEqual(err.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("before the earliest accepted time", err.details())
        details = dict(err.trailing_metadata()).get("grpc-status-details-bin")
        status = common_pb2.Status.FromString(details)
        where = common_pb2.BatchErrorDetail()
        self.assertTrue(status.details[0].Unpack(where))
        self.assertEqual(where.row, 2)
        self.assertEqual(where.series_index, 0)
        self.assertEqual(where.series, "python,device=py-4")

    def test_invalid_utf8_is_named(self):
        req = self.request("py-5", 2)
        req.series[0].fields[2].strings.values[0] = b"\xff\xfe"
        with self.assertRaises(grpc.RpcError) as cm:
            self.ingest.Write(req, metadata=self.md)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn('field "state" row 0: string value is not valid UTF-8', cm.exception.details())

    def test_no_token_is_unauthenticated(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.ingest.Write(self.request("py-6", 1))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_stream_rejected_request_does_not_end_stream(self):
        good = self.request("py-7", 2, sequence=1)
        bad = self.request("py-7", 2, sequence=2)
        bad.series[0].measurement = b""
        later = self.request("py-7", 2, T0 + 10**12, sequence=3)
        out = {r.sequence: r for r in self.ingest.WriteStream(iter([good, bad, later]), metadata=self.md)}
        self.assertEqual(out[1].points_accepted, 5)  # state row 1 is missing
        self.assertEqual(out[2].error.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertIn("measurement name is empty", out[2].error.message)
        self.assertEqual(out[3].points_accepted, 5)

    def test_admin_stats(self):
        self.ingest.Write(self.request("py-8", 3), metadata=self.md)
        stats = self.admin.Stats(admin_pb2.StatsRequest(), metadata=self.md)
        self.assertGreater(stats.series, 0)
        self.assertGreater(stats.rss_bytes, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
