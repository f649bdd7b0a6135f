#!/usr/bin/python3
"""bench/compare: telemdb against VictoriaMetrics on the same line-protocol files.

Started by run.sh (which installs the Debian packages and generates the gRPC stubs); see
README.md for what is measured and how. Every step logs what it does; a failing step stops
the run with "compare: FAILED in step ...: why", and both servers are always stopped.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import queries as Q  # noqa: E402
import report as REPORT  # noqa: E402

START = 1767225600  # 2026-01-01T00:00:00Z, telemdb-fleetgen's default --start (fleet)
METERS_START = START + 12 * 3600  # 2026-01-01T12:00:00Z: the meters' day starts mid-day
WARMUP = 3


class StepError(Exception):
    pass


STEP = ["setup"]
PROCS = []  # every server we started, to stop on any exit
PIDFILE = [None]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def step(name):
    STEP[0] = name
    log("== " + name)


def fail(msg):
    raise StepError(msg)


def fmt_bytes(n):
    for unit, d in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= d:
            return "%.2f %s" % (n / d, unit)
    return "%d B" % n


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------- processes

class Proc:
    """A server process we started; stopped with SIGTERM, then SIGKILL after a grace period."""

    def __init__(self, name, cmd, log_path):
        self.name, self.cmd = name, cmd
        self.log_path = log_path
        self.logf = open(log_path, "ab")
        self.p = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.p.pid
        PROCS.append(self)
        if PIDFILE[0]:
            with open(PIDFILE[0], "a") as f:
                f.write("%d\n" % self.pid)

    def alive(self):
        return self.p.poll() is None

    def log_tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join("    " + l for l in lines[-n:])
        except OSError:
            return ""

    def stop(self, grace=60):
        if self.alive():
            log("stopping %s (pid %d)" % (self.name, self.pid))
            try:
                self.p.send_signal(signal.SIGTERM)
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                log("%s did not stop in %d s: SIGKILL" % (self.name, grace))
                self.p.kill()
                self.p.wait(30)
            except ProcessLookupError:
                pass
        self.logf.close()
        if self in PROCS:
            PROCS.remove(self)


def stop_all():
    for p in list(reversed(PROCS)):
        try:
            p.stop()
        except Exception as e:  # keep stopping the others
            log("could not stop %s: %s" % (p.name, e))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """user+system CPU seconds of a process (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class RssSampler(threading.Thread):
    """Samples VmRSS of a process every 100 ms; max_rss is the largest sample."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_rss, self.samples = 0, 0
        self.stop_evt = threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            rss = proc_status(self.pid).get("VmRSS", 0)
            self.max_rss = max(self.max_rss, rss)
            self.samples += 1
            self.stop_evt.wait(self.interval)

    def stop(self):
        self.stop_evt.set()
        self.join()


def timed_load(cmd, server, out_path):
    """Runs a loading client; measures wall time, client CPU/RSS, server CPU and RSS."""
    cpu0 = proc_cpu(server.pid)
    sampler = RssSampler(server.pid)
    sampler.start()
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    st = proc_status(server.pid)
    res = dict(wall_s=wall, rc=p.returncode, client_cpu_s=ru.ru_utime + ru.ru_stime,
               client_maxrss=ru.ru_maxrss * 1024, server_cpu_s=proc_cpu(server.pid) - cpu0,
               server_rss_sampled_max=max(sampler.max_rss, st.get("VmRSS", 0)),
               server_hwm=st.get("VmHWM", 0), rss_samples=sampler.samples,
               output=open(out_path, errors="replace").read().strip())
    if not server.alive():
        fail("%s died during the load:\n%s" % (server.name, server.log_tail()))
    if p.returncode != 0:
        fail("loader exited %d: %s\n  command: %s" % (p.returncode, res["output"][-2000:],
                                                        " ".join(cmd)))
    return res


def kv(text):
    """key=value pairs of the last line that has any."""
    for line in reversed(text.splitlines()):
        pairs = dict(re.findall(r"(\w+)=(\S+)", line))
        if pairs:
            return pairs
    return {}


def du(path):
    for _ in range(5):
        r = subprocess.run(["du", "-sb", path], capture_output=True, text=True)
        if r.stdout.strip():
            if r.returncode == 0:
                return int(r.stdout.split()[0])
        time.sleep(0.5)  # files vanished under du during a merge: again
    fail("du -sb %s failed: %s" % (path, r.stderr.strip()))


def wait_stable(path, busy=None, interval=5.0, polls=3, timeout=1800):
    """Polls du -sb every `interval` s until `polls` polls in a row agree within 0.1 % (64 KiB
    at least) and nothing is busy. Returns (bytes, seconds, stable)."""
    t0 = time.monotonic()
    sizes = []  # (seconds since t0, bytes)
    while True:
        if busy is not None and busy():
            sizes = []
        else:
            sizes.append((time.monotonic() - t0, du(path)))
            last = [b for _, b in sizes[-polls:]]
            if len(last) == polls and max(last) - min(last) <= max(65536, 0.001 * max(last)):
                # settled when the first poll of the stable window was taken
                return last[-1], sizes[-polls][0], True
        if time.monotonic() - t0 > timeout:
            log("WARNING: %s did not settle in %d s" % (path, timeout))
            return (sizes[-1][1] if sizes else du(path)), time.monotonic() - t0, False
        time.sleep(interval)


# ---------------------------------------------------------------- the line-protocol file

def scan_lp(path, dup_check_max_bytes):
    """Counts lines, field values (per measurement) and exact duplicates of (series, timestamp)
    in a generated line-protocol file (the generator writes no escaped spaces or commas in
    field values, so a line is `series fields timestamp`)."""
    size = os.path.getsize(path)
    check = size <= dup_check_max_bytes
    seen = set()
    lines = values = dups = dup_values = 0
    per_m = {}
    with open(path, "rb", buffering=1 << 20) as f:
        for line in f:
            sp = line.find(b" ")
            rsp = line.rfind(b" ")
            n = line.count(b",", sp, rsp) + 1
            lines += 1
            values += n
            comma = line.find(b",", 0, sp)
            m = line[:comma if comma > 0 else sp]
            per_m[m] = per_m.get(m, 0) + n
            if check:
                h = hash(line[:sp] + line[rsp:])
                if h in seen:
                    dups += 1
                    dup_values += n
                else:
                    seen.add(h)
    return dict(lines=lines, values=values, bytes=size, dup_checked=check, dup_lines=dups,
                dup_values=dup_values,
                per_measurement={k.decode(): v for k, v in sorted(per_m.items())})


# ---------------------------------------------------------------- telemdb

class Telemdb:
    def __init__(self, ctx, data_dir, log_path, flags=()):
        self.ctx = ctx
        self.data_dir = data_dir
        port_file = data_dir + ".port"
        http_port_file = data_dir + ".http_port"
        for f in (port_file, http_port_file):
            if os.path.exists(f):
                os.remove(f)
        self.cmd = [ctx.bin("server/telemdbd"), "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                    "--port-file", port_file, "--http-listen", "127.0.0.1:0",
                    "--http-port-file", http_port_file] + list(flags)
        self.proc = Proc("telemdbd", self.cmd, log_path)
        self.pid, self.name = self.proc.pid, "telemdbd"
        deadline = time.monotonic() + 120
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if not self.proc.alive():
                fail("telemdbd exited at start:\n" + self.proc.log_tail())
            if time.monotonic() > deadline:
                fail("telemdbd did not write %s in 120 s:\n%s" % (port_file, self.proc.log_tail()))
            time.sleep(0.1)
        self.port = int(open(port_file).read().strip())
        self.addr = "127.0.0.1:%d" % self.port
        while not (os.path.exists(http_port_file) and open(http_port_file).read().endswith("\n")):
            if time.monotonic() > deadline:
                fail("telemdbd did not write %s" % http_port_file)
            time.sleep(0.05)
        self.http_port = int(open(http_port_file).read().strip())
        self.token_file = os.path.join(data_dir, "admin.token")
        import grpc
        from telemdb.v1 import admin_pb2, admin_pb2_grpc, query_pb2, query_pb2_grpc
        self.grpc, self.admin_pb2, self.query_pb2 = grpc, admin_pb2, query_pb2
        self.channel = grpc.insecure_channel(self.addr, options=[
            ("grpc.max_receive_message_length", 512 << 20)])
        self.token = open(self.token_file).read().strip()
        self.md = [("authorization", "Bearer " + self.token)]
        self.http_headers = {"Authorization": "Bearer " + self.token}
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.query_stub = query_pb2_grpc.QueryServiceStub(self.channel)
        for _ in range(100):
            try:
                self.stats()
                break
            except grpc.RpcError:
                time.sleep(0.2)
        else:
            fail("telemdbd at %s does not answer Stats:\n%s" % (self.addr, self.proc.log_tail()))
        log("telemdbd pid %d on %s, data %s" % (self.pid, self.addr, data_dir))

    def alive(self):
        return self.proc.alive()

    def log_tail(self):
        return self.proc.log_tail()

    def stats(self):
        return self.admin.Stats(self.admin_pb2.StatsRequest(), metadata=self.md, timeout=60)

    def compact(self):
        self.admin.Compact(self.admin_pb2.CompactRequest(), metadata=self.md, timeout=6 * 3600)

    def version(self):
        r = subprocess.run([self.cmd[0], "--version"], capture_output=True, text=True)
        return (r.stdout or r.stderr).strip()

    def query(self, text):
        """Runs a query; returns (group_by, columns, rows) with rows (group_values, time, values)."""
        req = self.query_pb2.QueryRequest(text=text)
        group_by, cols, rows = [], [], []
        try:
            for msg in self.query_stub.Query(req, metadata=self.md, timeout=600):
                kind = msg.WhichOneof("payload")
                if kind == "header":
                    group_by = list(msg.header.group_by)
                    cols = [c.name for c in msg.header.columns]
                frames = [msg.frame] if kind == "frame" else (
                    list(msg.frames.frames) if kind == "frames" else [])
                for fr in frames:
                    colvals = []
                    for c in fr.columns:
                        which = c.WhichOneof("values")
                        vals = list(getattr(c, which).values) if which else []
                        valid = c.validity
                        if valid:
                            vals = [v if (valid[i // 8] >> (i % 8)) & 1 else None
                                    for i, v in enumerate(vals)]
                        colvals.append(vals)
                    gv = tuple(fr.group_values)
                    for i, t in enumerate(fr.time):
                        rows.append((gv, t, [cv[i] if i < len(cv) else None for cv in colvals]))
                    if not fr.time and colvals and colvals[0]:
                        rows.append((gv, None, [cv[0] for cv in colvals]))
        except self.grpc.RpcError as e:
            fail("telemdb query failed: %s\n  %s" % (e.details(), text))
        return group_by, cols, rows

    def fields(self):
        out = {}
        for m in self.query_stub.ListMeasurements(self.query_pb2.ListMeasurementsRequest(),
                                                  metadata=self.md, timeout=60).measurements:
            out[m] = [f.name for f in self.query_stub.ListFields(
                self.query_pb2.ListFieldsRequest(measurement=m), metadata=self.md,
                timeout=60).fields]
        return out

    def stop(self):
        self.proc.stop()


# ---------------------------------------------------------------- VictoriaMetrics

class Vm:
    FLAGS = ["-retentionPeriod=100y", "-search.latencyOffset=0"]

    def __init__(self, ctx, data_dir, log_path, flags=()):
        self.ctx, self.data_dir, self.name = ctx, data_dir, "victoria-metrics"
        for attempt in range(3):
            self.port = free_port()
            self.cmd = [ctx.vm_bin, "-httpListenAddr=127.0.0.1:%d" % self.port,
                        "-storageDataPath=" + data_dir] + self.FLAGS + list(flags)
            self.proc = Proc("victoria-metrics", self.cmd, log_path)
            self.pid = self.proc.pid
            deadline = time.monotonic() + 60
            while self.proc.alive() and time.monotonic() < deadline:
                try:
                    st, body = self.get("/health", timeout=2)
                    if st == 200:
                        log("victoria-metrics pid %d on 127.0.0.1:%d, data %s"
                            % (self.pid, self.port, data_dir))
                        return
                except OSError:
                    pass
                time.sleep(0.2)
            log("victoria-metrics did not come up (attempt %d):\n%s"
                % (attempt + 1, self.proc.log_tail()))
            self.proc.stop(10)
        fail("victoria-metrics does not start; log %s" % log_path)

    def alive(self):
        return self.proc.alive()

    def log_tail(self):
        return self.proc.log_tail()

    def get(self, path, params=None, timeout=600):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def must_get(self, path, params=None, timeout=600):
        st, body = self.get(path, params, timeout)
        if st // 100 != 2:
            fail("VictoriaMetrics GET %s %s: HTTP %d %s" % (path, params or "", st, body[:500]))
        return body

    def metrics(self):
        out = {}
        for line in self.must_get("/metrics").decode().splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.rpartition(" ")
                try:
                    out[k] = float(v)
                except ValueError:
                    pass
        return out

    def api(self, q):
        """Runs a query dict (queries.py vm=...) once; returns the parsed `data`."""
        body = self.must_get(*self.request(q))
        doc = json.loads(body)
        if doc.get("status") != "success":
            fail("VictoriaMetrics query failed: %s" % body[:500])
        return doc["data"]

    @staticmethod
    def request(q, nocache=False):
        if q["kind"] == "range":
            params = dict(query=q["query"], start=q["start"], end=q["end"], step=q["step"])
            path = "/api/v1/query_range"
        else:
            params = dict(query=q["query"], time=q["time"])
            path = "/api/v1/query"
        if nocache:
            params["nocache"] = 1
        return path, params

    def stop(self):
        self.proc.stop()


def time_http(port, path, params, runs, warmup, headers=None):
    """Median wall time of GET path over one persistent HTTP/1.1 connection: from sending the
    request to having read the whole body (not parsing it)."""
    url = path + ("?" + urllib.parse.urlencode(params) if params else "")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    ms = []
    size = 0
    try:
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            c.request("GET", url, headers=headers or {})
            r = c.getresponse()
            body = r.read()
            t1 = time.perf_counter()
            if r.status != 200:
                fail("GET %s: HTTP %d %s" % (url, r.status, body[:300]))
            size = len(body)
            if i >= warmup:
                ms.append((t1 - t0) * 1000)
    finally:
        c.close()
    ms.sort()
    return dict(p50_ms=ms[len(ms) // 2], min_ms=ms[0], max_ms=ms[-1], body_bytes=size)


# ---------------------------------------------------------------- comparing answers

def tdb_answer(q, group_by, rows):
    out = {}
    filt = q.get("tdb_filter")
    for gv, t, vals in rows:
        v = vals[0]
        if v is None:
            continue
        if filt:
            op, lim = filt.split()
            if not (v < float(lim) if op == "<" else v > float(lim)):
                continue
        gmap = dict(zip(group_by, gv))
        key = (tuple(gmap.get(k, "") for k in q["group"]), t if q["time"] else None)
        out[key] = float(v)
    return out


def vm_answer(q, data):
    out = {}
    shift = q.get("shift", 0)
    for series in data["result"]:
        g = tuple(series["metric"].get(k, "") for k in q["group"])
        pts = series.get("values") or [series["value"]]
        for t, v in pts:
            tn = (round(float(t) * 1000) * 1000000 - shift * 1000000000) if q["time"] else None
            out[(g, tn)] = float(v)
    return out


def agree(a, b, rel=1e-6):
    missing = [k for k in a if k not in b]
    extra = [k for k in b if k not in a]
    worst = 0.0
    for k in a:
        if k in b:
            x, y = a[k], b[k]
            d = abs(x - y) / max(abs(x), abs(y), 1e-12)
            worst = max(worst, d)
    ok = not missing and not extra and worst <= rel
    text = "%s: %d vs %d answers, max rel. diff %.1e" % ("agree" if ok else "DIFFER", len(a),
                                                        len(b), worst)
    if missing or extra:
        text += "; only telemdb: %s; only VM: %s" % (missing[:3], extra[:3])
    return ok, text


# ---------------------------------------------------------------- one workload

class Ctx:
    def __init__(self, args):
        self.args = args
        self.root = os.path.abspath(os.path.join(HERE, "..", ".."))
        bd = args.build_dir
        self.build_dir = bd if os.path.isabs(bd) else os.path.join(self.root, bd)
        self.vm_bin = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
        self.work = args.work

    def bin(self, rel):
        return os.path.join(self.build_dir, rel)


def run_workload(ctx, wl):
    """wl: dict(name, gen_args, scale, hours, queries). Returns the results dict."""
    a = ctx.args
    res = dict(name=wl["name"], scale=wl["scale"], hours=wl["hours"], steps={},
               devices=wl["devices"], curve=wl.get("curve", False),
               tdb_flags=list(wl.get("tdb_flags", ())), vm_flags=list(wl.get("vm_flags", ())))
    wdir = os.path.join(ctx.work, wl["name"])
    logs = os.path.join(ctx.work, "logs")
    os.makedirs(wdir, exist_ok=True)
    lp = os.path.join(wdir, wl["name"] + ".lp")

    step("%s: generate the workload" % wl["name"])
    est = wl["est_bytes"]
    free = shutil.disk_usage(wdir).free
    if free < 2.5 * est:
        fail("need about %s free under %s (the file is ~%s, plus both databases); have %s. "
             "Use --work-dir on a larger disk." % (fmt_bytes(int(2.5 * est)), wdir,
                                                   fmt_bytes(est), fmt_bytes(free)))
    gen = [ctx.bin("bench/fleet/telemdb-fleetgen")] + wl["gen_args"] + ["-o", lp, "--stats"]
    t0 = time.monotonic()
    r = subprocess.run(gen, capture_output=True, text=True)
    if r.returncode != 0:
        fail("generator failed (%d): %s\n  %s" % (r.returncode, r.stderr.strip(), " ".join(gen)))
    res["gen_cmd"] = gen
    res["gen_seconds"] = time.monotonic() - t0
    log("generated %s (%s) in %.1f s" % (lp, fmt_bytes(os.path.getsize(lp)), res["gen_seconds"]))

    step("%s: count values and exact duplicates in the file" % wl["name"])
    t0 = time.monotonic()
    scan = scan_lp(lp, a.dup_check_max_bytes)
    res["file"] = scan
    log("%d lines, %d values, duplicates: %s (%.1f s)" % (
        scan["lines"], scan["values"],
        ("%d lines" % scan["dup_lines"]) if scan["dup_checked"] else "not checked (file too big)",
        time.monotonic() - t0))
    mem_avail = int(open("/proc/meminfo").read().split("MemAvailable:")[1].split()[0]) * 1024
    if scan["bytes"] + (2 << 30) > mem_avail:
        fail("telemdb-bench ingest reads the whole file into memory (%s) and only %s is "
             "available" % (fmt_bytes(scan["bytes"]), fmt_bytes(mem_avail)))

    # ---- VictoriaMetrics: start, load, flush, merge, settle
    step("%s: VictoriaMetrics: start" % wl["name"])
    vm = Vm(ctx, os.path.join(wdir, "vm-data"), os.path.join(logs, wl["name"] + "-vm.log"),
            wl.get("vm_flags", ()))
    res["vm_cmd"] = vm.cmd
    try:
        step("%s: VictoriaMetrics: load %s through /write" % (wl["name"], os.path.basename(lp)))
        res["load_avg_before_vm_load"] = loadavg()
        cmd = ["/usr/bin/python3", os.path.join(HERE, "vm_send.py"), lp, "--port", str(vm.port),
               "--senders", str(a.senders), "--lines", "10000", "--precision", "ns"]
        ld = timed_load(cmd, vm, os.path.join(logs, wl["name"] + "-vm-load.out"))
        ld["cmd"] = cmd
        ld["sender"] = kv(ld["output"])
        t0 = time.monotonic()
        vm.must_get("/internal/force_flush")
        ld["flush_s"] = time.monotonic() - t0
        st = proc_status(vm.pid)
        ld["server_hwm_after_flush"] = st.get("VmHWM", 0)
        res["vm_load"] = ld
        log("VictoriaMetrics: %.1f s to the last 204 (+%.2f s force_flush), sender CPU %.1f s, "
            "server CPU %.1f s, VmHWM %s" % (ld["wall_s"], ld["flush_s"], ld["client_cpu_s"],
                                             ld["server_cpu_s"], fmt_bytes(ld["server_hwm"])))

        step("%s: VictoriaMetrics: force_merge and wait for the data directory to settle"
             % wl["name"])
        cpu0 = proc_cpu(vm.pid)
        t0 = time.monotonic()
        months = sorted({time.strftime("%Y_%m", time.gmtime(t)) for t in range(
            wl["start"] - 86400, wl["start"] + wl["hours"] * 3600 + 86400, 86400)})

        requested = {}

        def merges_logged():
            """(finished, failed) force merges per partition prefix, from VictoriaMetrics' log
            (1.79 answers /internal/force_merge at once and merges in the background)."""
            text = open(vm.proc.log_path, errors="replace").read()
            fin = {p: len(re.findall(r'forced merge for partition_prefix=\\?"%s\\?" has been '
                                     r'successfully finished' % p, text)) for p in months}
            err = re.findall(r'error in forced merge for partition_prefix=\\?"(\w+)', text)
            return fin, err

        def vm_busy():
            fin, err = merges_logged()
            if err:
                fail("VictoriaMetrics' force_merge failed for %s:\n%s" % (err, vm.log_tail()))
            if any(fin[p] < n for p, n in requested.items()):
                return True
            return vm.metrics().get("vm_active_force_merges", 0) > 0

        # force_merge skips parts that a background merge holds, so repeat it until a round
        # no longer shrinks the directory (at most 3 rounds).
        merge_s, prev, rounds, settled_at = 0.0, None, [], []
        settled_s = None
        for rnd in range(3):
            m0 = time.monotonic()
            for m in months:
                vm.must_get("/internal/force_merge", {"partition_prefix": m})
                requested[m] = requested.get(m, 0) + 1
            deadline = time.monotonic() + 6 * 3600
            while vm_busy():
                if time.monotonic() > deadline:
                    fail("VictoriaMetrics' force_merge did not finish in 6 h")
                time.sleep(0.2)
            merge_s += time.monotonic() - m0
            w0 = time.monotonic()
            size, settled, stable = wait_stable(vm.data_dir, busy=vm_busy)
            rounds.append(size)
            settled_at.append(w0 + settled - t0)
            if prev is not None and abs(size - prev) <= 0.005 * prev:
                settled_s = settled_at[-2]  # this round changed nothing: settled before it
                break
            prev = size
        if settled_s is None:
            settled_s = settled_at[-1]
        parts = {k: v for k, v in vm.metrics().items() if k.startswith("vm_parts{")}
        vm_logged = re.findall(r'forced merge for partition_prefix=\\?"(\w+)\\?" has been '
                               r'successfully finished in ([\d.]+) seconds',
                               open(vm.proc.log_path, errors="replace").read())
        logged = {}
        for p, x in vm_logged:
            logged.setdefault(p, []).append(float(x))
        res["vm_settle"] = dict(merge_s=merge_s, settle_s=settled_s, bytes=size,
                                stable=stable, cpu_s=proc_cpu(vm.pid) - cpu0,
                                hwm=proc_status(vm.pid).get("VmHWM", 0), partitions=months,
                                logged=logged, rounds=rounds, parts=parts)
        log("VictoriaMetrics: force_merge %.1f s in %d round(s), settled at %s after %.1f s" % (
            merge_s, len(rounds), fmt_bytes(size), settled_s))

        # ---- telemdb: start, load, compact, settle
        step("%s: telemdbd: start" % wl["name"])
        tdb = Telemdb(ctx, os.path.join(wdir, "telemdb-data"),
                      os.path.join(logs, wl["name"] + "-telemdbd.log"), wl.get("tdb_flags", ()))
        res["tdb_cmd"] = tdb.cmd
        res["tdb_version"] = tdb.version()
        try:
            step("%s: telemdbd: load %s with telemdb-bench ingest" % (wl["name"],
                                                                    os.path.basename(lp)))
            res["load_avg_before_tdb_load"] = loadavg()
            cmd = [ctx.bin("bench/tool/telemdb-bench"), "ingest", lp, "--addr", tdb.addr,
                   "--token-file", tdb.token_file, "--streams", str(a.senders), "--batch",
                   "10000"]
            ld = timed_load(cmd, tdb, os.path.join(logs, wl["name"] + "-tdb-load.out"))
            ld["cmd"] = cmd
            ld["bench"] = kv(ld["output"])
            res["tdb_load"] = ld
            log("telemdbd: %.1f s to the last ack (telemdb-bench's own clock %s s), client CPU "
                "%.1f s, server CPU %.1f s, VmHWM %s" % (
                    ld["wall_s"], ld["bench"].get("seconds"), ld["client_cpu_s"],
                    ld["server_cpu_s"], fmt_bytes(ld["server_hwm"])))
            if int(ld["bench"].get("rejected", "0")) != 0:
                fail("telemdbd rejected batches: " + ld["output"][-1000:])

            step("%s: telemdbd: Compact and wait for the data directory to settle" % wl["name"])
            cpu0 = proc_cpu(tdb.pid)
            t0 = time.monotonic()
            try:
                tdb.compact()
            except tdb.grpc.RpcError as e:
                fail("AdminService.Compact failed: %s" % e.details())
            compact_s = time.monotonic() - t0
            size, settled, stable = wait_stable(tdb.data_dir)
            stats = tdb.stats()
            res["tdb_settle"] = dict(merge_s=compact_s, settle_s=compact_s + settled,
                                     bytes=size, stable=stable, cpu_s=proc_cpu(tdb.pid) - cpu0,
                                     hwm=proc_status(tdb.pid).get("VmHWM", 0),
                                     stats=dict(series=stats.series,
                                                stored_points=stats.stored_points,
                                                head_points=stats.head_points,
                                                stored_chunks=stats.stored_chunks,
                                                wal_bytes=stats.wal_bytes,
                                                disk_bytes=stats.disk_bytes,
                                                cf={c.name: c.bytes for c in
                                                    stats.column_families}))
            log("telemdbd: Compact %.1f s, settled at %s after %.1f s" % (
                compact_s, fmt_bytes(size), res["tdb_settle"]["settle_s"]))

            step("%s: check both stored the same values" % wl["name"])
            res["counts"] = count_values(tdb, vm, wl, res)

            step("%s: queries (warm, median of %d runs)" % (wl["name"], a.runs))
            res["floor"] = dict(
                tdb=bench_query(ctx, tdb, "SHOW MEASUREMENTS", a.runs),
                vm=time_http(vm.port, "/api/v1/query", {"query": "1", "time": wl["start"]}, a.runs,
                             WARMUP))
            res["floor"]["tdb_http"] = time_http(tdb.http_port, "/query",
                                                 {"q": "SHOW MEASUREMENTS"}, a.runs, WARMUP,
                                                 tdb.http_headers)
            res["queries"] = []
            for q in wl["queries"]:
                res["queries"].append(run_query_pair(ctx, tdb, vm, q, a.runs))
            step("%s: telemdbd: GET /metrics" % wl["name"])
            res["tdb_metrics"] = time_http(tdb.http_port, "/metrics", None, a.runs, WARMUP,
                                           tdb.http_headers)
            log("telemdbd: /metrics p50 %.2f ms (%d bytes)" % (res["tdb_metrics"]["p50_ms"],
                                                              res["tdb_metrics"]["body_bytes"]))
            res["vm_final_hwm"] = proc_status(vm.pid).get("VmHWM", 0)
            res["tdb_final_hwm"] = proc_status(tdb.pid).get("VmHWM", 0)
        finally:
            tdb.stop()

        # ---- telemdb again, loaded the way VictoriaMetrics was: the same sender, POST /write
        step("%s: telemdbd: load %s through HTTP /write (the same sender as for VM)"
             % (wl["name"], os.path.basename(lp)))
        tdb2 = Telemdb(ctx, os.path.join(wdir, "telemdb-http-data"),
                       os.path.join(logs, wl["name"] + "-telemdbd-http.log"),
                       wl.get("tdb_flags", ()))
        try:
            res["load_avg_before_tdb_http_load"] = loadavg()
            cmd = ["/usr/bin/python3", os.path.join(HERE, "vm_send.py"), lp, "--port",
                   str(tdb2.http_port), "--senders", str(a.senders), "--lines", "10000",
                   "--precision", "ns", "--token-file", tdb2.token_file]
            ld = timed_load(cmd, tdb2, os.path.join(logs, wl["name"] + "-tdb-http-load.out"))
            ld["cmd"] = cmd
            ld["sender"] = kv(ld["output"])
            stats = tdb2.stats()
            ld["stored_values"] = stats.stored_points + stats.head_points
            res["tdb_http_load"] = ld
            log("telemdbd over HTTP: %.1f s to the last 204 (SYNC: fsynced), sender CPU %.1f s, "
                "server CPU %.1f s, VmHWM %s, values %d" % (
                    ld["wall_s"], ld["client_cpu_s"], ld["server_cpu_s"],
                    fmt_bytes(ld["server_hwm"]), ld["stored_values"]))
            if ld["stored_values"] != res["file"]["values"] and not res["file"]["dup_values"]:
                fail("telemdb stored %d values over HTTP, the file has %d"
                     % (ld["stored_values"], res["file"]["values"]))
        finally:
            tdb2.stop()
    finally:
        vm.stop()
    if not a.keep:
        log("removing %s" % wdir)
        shutil.rmtree(wdir, ignore_errors=True)
    return res


def count_values(tdb, vm, wl, res):
    out = dict(file=res["file"]["values"])
    st = res["tdb_settle"]["stats"]
    out["tdb_stored_points"] = st["stored_points"]
    out["tdb_head_points"] = st["head_points"]
    fields = tdb.fields()
    total = 0
    per = {}
    for m, fs in sorted(fields.items()):
        per[m] = 0
        for f in fs:  # one field a query: --query-max-series (100,000) bounds a query
            t0 = time.monotonic()
            _, _, rows = tdb.query("SELECT count(%s) FROM %s" % (f, m))
            n = sum(int(v or 0) for _, _, vals in rows for v in vals)
            out.setdefault("tdb_count_seconds", {})["%s.%s" % (m, f)] = time.monotonic() - t0
            per[m] += n
            total += n
    out["tdb_count_query"] = total
    out["tdb_count_per_measurement"] = per
    # VictoriaMetrics: one count per metric (measurement_field), evaluated a day after the end
    # over a window reaching a day before the start: every sample the queries can see.
    t = wl["start"] + wl["hours"] * 3600 + 86400
    window = "%dh" % (wl["hours"] + 48)
    vtotal = 0
    vper = {}
    for m, fs in sorted(fields.items()):
        vper[m] = 0
        for f in fs:
            d = vm.api(dict(kind="instant", time=t, query='sum(count_over_time({__name__="%s_%s"}[%s]))'
                            % (m, f, window)))
            n = int(float(d["result"][0]["value"][1])) if d["result"] else 0
            vper[m] += n
            vtotal += n
    out["vm_count_query"] = vtotal
    out["vm_count_per_measurement"] = vper
    out["vm_count_expr"] = 'sum(count_over_time({__name__="<measurement>_<field>"}[%s])) at %s' % (
        window, Q.rfc3339(t))
    met = vm.metrics()
    out["vm_rows_stored"] = int(met.get('vm_rows{type="storage/big"}', 0) +
                                met.get('vm_rows{type="storage/small"}', 0))
    out["vm_rows_inserted"] = int(met.get('vm_rows_inserted_total{type="influx"}', 0))
    out["tdb_accepted"] = int(res["tdb_load"]["bench"].get("values", 0))
    log("values: file %d, telemdb stored %d (count query %d), VM count query %d (rows on disk %d, "
        "inserted %d)" % (out["file"], out["tdb_stored_points"], total, vtotal,
                          out["vm_rows_stored"], out["vm_rows_inserted"]))
    if total != out["tdb_accepted"] and not res["file"]["dup_values"]:
        log("WARNING: telemdb count query %d != accepted %d" % (total, out["tdb_accepted"]))
    return out


def bench_query(ctx, tdb, text, runs):
    cmd = [ctx.bin("bench/tool/telemdb-bench"), "query", text, "--addr", tdb.addr,
           "--token-file", tdb.token_file, "--runs", str(runs), "--warmup", str(WARMUP)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail("telemdb-bench query failed (%d): %s\n  %s" % (r.returncode, r.stderr.strip(), text))
    out = kv(r.stdout)
    return {k: float(v) if re.match(r"^-?[\d.]+$", v) else v for k, v in out.items()}


def run_query_pair(ctx, tdb, vm, q, runs):
    log("query %s: %s" % (q["id"], q["title"]))
    t = bench_query(ctx, tdb, q["tdb"], runs)
    th = time_http(tdb.http_port, "/query", {"q": q["tdb"], "epoch": "ms"}, runs, WARMUP,
                   tdb.http_headers)
    path, params = Vm.request(q["vm"])
    v = time_http(vm.port, path, params, runs, WARMUP)
    path_nc, params_nc = Vm.request(q["vm"], nocache=True)
    vnc = time_http(vm.port, path_nc, params_nc, runs, WARMUP)
    group_by, cols, rows = tdb.query(q["tdb"])
    ta = tdb_answer(q, group_by, rows)
    va = vm_answer(q, vm.api(q["vm"]))
    ok, text = agree(ta, va)
    log("  telemdb p50 %.3f ms gRPC, %.3f ms HTTP (%d rows), VM p50 %.3f ms (nocache %.3f ms, "
        "%d B); %s" % (t["p50_ms"], th["p50_ms"], t.get("rows", 0), v["p50_ms"], vnc["p50_ms"],
                       v["body_bytes"], text))
    return dict(id=q["id"], title=q["title"], tdb_text=q["tdb"], tdb_filter=q.get("tdb_filter"),
                vm=dict(q["vm"], path=path), tdb=t, tdb_http=th, vm_cached=v, vm_nocache=vnc,
                agree=ok,
                agree_text=text, tdb_answers=len(ta), vm_answers=len(va))


# ---------------------------------------------------------------- main

def machine_info():
    info = {}
    info["nproc"] = os.cpu_count()
    with open("/proc/meminfo") as f:
        info["mem_total"] = int(f.read().split("MemTotal:")[1].split()[0]) * 1024
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1).strip() if m else "?"
    except OSError:
        info["cpu"] = "?"
    info["kernel"] = platform.release()
    try:
        info["debian"] = open("/etc/debian_version").read().strip()
    except OSError:
        info["debian"] = "?"
    info["load_avg_start"] = loadavg()
    info["python"] = platform.python_version()
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--scale", type=int, default=200)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--meters-scale", type=int, default=100000)
    ap.add_argument("--meters-hours", type=int, default=24)
    ap.add_argument("--skip-meters", action="store_true")
    ap.add_argument("--skip-fleet", action="store_true")
    ap.add_argument("--cardinality", default="",
                    help="comma-separated meter counts for the cardinality curve (e.g. "
                         "10000,100000,1000000); empty: no curve")
    ap.add_argument("--cardinality-hours", type=int, default=2)
    ap.add_argument("--long-series", type=int, default=0,
                    help="sensors of the long-range workload (issue 17: 1000); 0: not run")
    ap.add_argument("--long-days", type=int, default=30)
    ap.add_argument("--long-interval", type=int, default=10)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--dup-check-max-bytes", type=int, default=6 << 30)
    ap.add_argument("--command", default="")
    a = ap.parse_args()
    if a.runs < 7:
        print("compare: --runs must be at least 7", file=sys.stderr)
        return 2
    ctx = Ctx(a)
    os.makedirs(os.path.join(a.work, "logs"), exist_ok=True)
    PIDFILE[0] = os.path.join(a.work, "pids")

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    results = dict(started=datetime.datetime.now(datetime.timezone.utc), machine=machine_info(),
                   args=vars(a), workloads=[])
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "victoria-metrics"],
                       capture_output=True, text=True)
    results["vm_version"] = r.stdout.strip() or "?"
    r = subprocess.run(["git", "-C", ctx.root, "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    results["git_rev"] = r.stdout.strip() or "?"
    r = subprocess.run(["git", "-C", ctx.root, "status", "--porcelain", "--untracked-files=no"],
                       capture_output=True, text=True)
    results["git_dirty"] = bool(r.stdout.strip())
    workloads = []
    if not a.skip_fleet:
        workloads.append(dict(name="fleet", devices="trucks", scale=a.scale, hours=a.hours,
                              start=START,
                              gen_args=["--workload", "fleet", "--scale", str(a.scale),
                                        "--hours", str(a.hours)],
                              est_bytes=int(150e3 * a.scale * a.hours),
                              queries=Q.fleet_queries(START, a.hours, a.scale)))
    if not a.skip_meters:
        workloads.append(dict(name="meters", devices="meters", scale=a.meters_scale,
                              hours=a.meters_hours, start=METERS_START,
                              gen_args=["--workload", "meters", "--scale", str(a.meters_scale),
                                        "--hours", str(a.meters_hours),
                                        "--start", Q.rfc3339(METERS_START)],
                              est_bytes=int(600 * a.meters_scale * a.meters_hours),
                              queries=Q.meters_queries(METERS_START, a.meters_hours, a.meters_scale)))
    # The cardinality curve: the meters workload at each size with the same readings per
    # meter (--cardinality-hours at 15 min). No queries: the curve is ingest rate, peak RSS and
    # bytes per value. A user with a million meters raises --query-max-series (the count check
    # counts every series of a field in one query).
    for n in [int(x) for x in a.cardinality.split(",") if x.strip()]:
        workloads.append(dict(name="curve%d" % n, devices="meters", scale=n,
                              hours=a.cardinality_hours, start=METERS_START, curve=True,
                              gen_args=["--workload", "meters", "--scale", str(n),
                                        "--hours", str(a.cardinality_hours),
                                        "--start", Q.rfc3339(METERS_START)],
                              est_bytes=int(600 * n * a.cardinality_hours),
                              tdb_flags=["--query-max-series", str(max(100000, 2 * n)),
                                         "--query-timeout", "600s"],
                              vm_flags=["-search.maxUniqueTimeseries=%d" % max(300000, 8 * n)],
                              queries=[]))
    if a.long_series > 0:
        hours = 24 * a.long_days
        workloads.append(dict(name="sensors", devices="sensors", scale=a.long_series,
                              hours=hours, start=START,
                              gen_args=["--workload", "sensors", "--scale", str(a.long_series),
                                        "--hours", str(hours), "--interval",
                                        str(a.long_interval)],
                              est_bytes=int(70 * a.long_series * hours * 3600 / a.long_interval),
                              tdb_flags=["--query-max-series", str(max(100000, 2 * a.long_series))],
                              queries=Q.sensors_queries(START, hours, a.long_series)))
    if not workloads:
        print("compare: nothing to run (every workload skipped)", file=sys.stderr)
        return 2
    try:
        for wl in workloads:
            results["workloads"].append(run_workload(ctx, wl))
        step("write the results")
        results["finished"] = datetime.datetime.now(datetime.timezone.utc)
        results["machine"]["load_avg_end"] = loadavg()
        with open(os.path.join(a.work, "logs", "results.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)
        md, png, table = REPORT.write(results, a.results_dir)
        print()
        print(table)
        print()
        log("results: %s, chart: %s" % (md, png))
        return 0
    except StepError as e:
        print("\ncompare: FAILED in step \"%s\": %s" % (STEP[0], e), file=sys.stderr)
        for p in PROCS:
            print("  %s log (%s):\n%s" % (p.name, p.log_path, p.log_tail()), file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print("\ncompare: interrupted (%s) in step \"%s\"" % (str(e) or "Ctrl-C", STEP[0]),
              file=sys.stderr)
        return 130
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
