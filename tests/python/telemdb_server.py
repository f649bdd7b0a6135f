"""A real telemdbd for the Python suites: started on free loopback ports (gRPC and HTTP),
stopped with SIGTERM. Loopback only; bounded waits."""
import base64
import gzip
import http.client
import os
import socket
import ssl
import subprocess
import time
import urllib.parse

SOURCE = os.environ.get("TELEMDB_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BINARY = os.environ.get("TELEMDB_BINARY_DIR", os.path.join(SOURCE, "build"))


def free_port():
    """A free TCP port on 127.0.0.1 (for the services a suite starts itself)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(fn, timeout=30, interval=0.05, what="condition"):
    """fn() until it returns something true (returned), at most `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def _read_port(path, proc, log_path, deadline):
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        if proc.poll() is not None:
            raise RuntimeError("telemdbd exited: " + open(log_path).read())
        time.sleep(0.02)
    raise RuntimeError("telemdbd did not listen")


class Server:
    """A telemdbd on free loopback ports. With `ca` (the CA of its --tls-cert), HTTP requests
    go over TLS verified with it."""

    def __init__(self, data_dir, args=(), ca=None):
        self.data_dir = data_dir
        self.ca = ca
        port_file, http_port_file = data_dir + ".port", data_dir + ".http_port"
        for p in (port_file, http_port_file):
            if os.path.exists(p):
                os.unlink(p)
        self.log_path = data_dir + ".log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BINARY, "server", "telemdbd"), "--data-dir", data_dir,
             "--listen", "127.0.0.1:0", "--port-file", port_file,
             "--http-listen", "127.0.0.1:0", "--http-port-file", http_port_file] + list(args),
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        self.port = _read_port(port_file, self.proc, self.log_path, deadline)
        self.http_port = _read_port(http_port_file, self.proc, self.log_path, deadline)
        self.token = None  # --auth none writes no admin token
        if "none" not in list(args):
            with open(os.path.join(data_dir, "admin.token")) as f:
                self.token = f.read().strip()

    def cli(self, *args):
        """Runs the telemdb CLI as the admin; returns (exit code, stdout, stderr)."""
        p = subprocess.run([os.path.join(BINARY, "cli", "telemdb"), "--addr",
                            "127.0.0.1:%d" % self.port] + list(args),
                           env=dict(os.environ, TELEMDB_TOKEN=self.token,
                                    XDG_CONFIG_HOME=self.data_dir + ".xdg"),
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def create_token(self, *scopes):
        args = ["admin", "token", "create"]
        for s in scopes:
            args += ["--scope", s]
        code, out, err = self.cli(*args)
        if code != 0:
            raise RuntimeError(err)
        return out.strip().splitlines()[-1]

    def request(self, method, path, body=None, headers=None, params=None, timeout=30):
        """One HTTP request; returns (status, headers dict (lower-case names), body bytes)."""
        if self.ca:
            conn = http.client.HTTPSConnection("127.0.0.1", self.http_port, timeout=timeout,
                                               context=ssl.create_default_context(cafile=self.ca))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        if params:
            path += "?" + urllib.parse.urlencode(params)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return r.status, hdrs, data

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(timeout=60)
        self.log.close()
        return code


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def gzipped(data):
    return gzip.compress(data if isinstance(data, bytes) else data.encode())
