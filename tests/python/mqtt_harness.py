"""Helpers of the MQTT suites: Debian's mosquitto on a free loopback port with persistence
(never the system daemon or port 1883), devices publishing through mosquitto_pub and
python3-paho-mqtt, a telemdbd with --mqtt-config, and the queries and figures the suites
check. Loopback only; every wait is bounded."""
import json
import os
import signal
import socket
import subprocess
import time

import paho.mqtt.client as paho

from telemdb_server import BINARY, SOURCE, Server, free_port, wait_until




def write_secret(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path


class Mosquitto:
    """mosquitto -c <dir>/mosquitto.conf. `tls`: dict(ca, cert, key) adds a TLS listener
    that requires a client certificate signed by `ca`."""

    def __init__(self, directory, tls=None, extra=""):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        conf = ["per_listener_settings false", "allow_anonymous true", "user root",
                "persistence true", "persistence_location %s/" % directory,
                "autosave_interval 1", "max_inflight_messages 100",
                "max_queued_messages 10000000",
                "log_dest file %s/mosquitto.log" % directory,
                "log_type error", "log_type warning", "log_type notice",
                "listener %d 127.0.0.1" % self.port]
        if tls:
            conf += ["listener %d 127.0.0.1" % self.tls_port, "cafile " + tls["ca"],
                     "certfile " + tls["cert"], "keyfile " + tls["key"],
                     "require_certificate true"]
        with open(os.path.join(directory, "mosquitto.conf"), "w") as f:
            f.write("\n".join(conf) + "\n" + extra + "\n")
        self.proc = None
        self.start()

    def start(self):
        self.out = open(os.path.join(self.dir, "mosquitto.out"), "ab")
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", os.path.join(self.dir, "mosquitto.conf")],
            stdout=self.out, stderr=self.out)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited: " + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(up, 10, what="mosquitto to listen")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.out.close()

    def log(self):
        text = ""
        for name in ("mosquitto.out", "mosquitto.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text

    @property
    def url(self):
        return "tcp://127.0.0.1:%d" % self.port


def mosquitto_pub(port, topic, message, qos=1, extra=()):
    """One message with the mosquitto_pub client (a device)."""
    args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos), "-t", topic]
    if isinstance(message, bytes):
        p = subprocess.run(args + ["-s"] + list(extra), input=message, capture_output=True,
                           timeout=30)
    else:
        p = subprocess.run(args + ["-m", message] + list(extra), capture_output=True,
                           timeout=30)
    if p.returncode != 0:
        raise RuntimeError("mosquitto_pub: %s" % p.stderr)


class Device:
    """A python3-paho-mqtt publisher (QoS 1 by default), connected until close()."""

    def __init__(self, port, client_id="device", protocol=paho.MQTTv311, max_inflight=100):
        self.client = paho.Client(client_id=client_id, protocol=protocol)
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        self.pending = []

    def publish(self, topic, payload, qos=1):
        info = self.client.publish(topic, payload, qos=qos)
        self.pending.append(info)
        if len(self.pending) > 2000:
            self.flush()
        return info

    def flush(self, timeout=60):
        deadline = time.time() + timeout
        for info in self.pending:
            info.wait_for_publish(max(0.1, deadline - time.time()))
            if not info.is_published():
                raise AssertionError("the broker did not acknowledge a publish in time")
        self.pending = []

    def close(self):
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()


class TelemdbWithMqtt:
    """A telemdbd with --mqtt-config. The bridge's token comes from a first start (the
    admin creates it), written owner-only to `token_file`; then the server starts with the
    MQTT config `config_text`, whose @TOKEN_FILE@ and @BROKER@ (and @KEY@ of `fill`) are
    filled in."""

    def __init__(self, tmp, config_text, broker_url, scopes=("write:*",), extra_args=(),
                 fill=None):
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        first = Server(self.data)
        self.bridge_token = first.create_token(*scopes)
        self.admin_token = first.token
        assert first.stop() == 0
        self.token_file = write_secret(os.path.join(tmp, "bridge.token"), self.bridge_token)
        self.config = os.path.join(tmp, "mqtt.toml")
        values = {"TOKEN_FILE": self.token_file, "BROKER": broker_url}
        values.update(fill or {})
        for k, v in values.items():
            config_text = config_text.replace("@%s@" % k, v)
        with open(self.config, "w") as f:
            f.write(config_text)
        self.extra_args = list(extra_args)
        self.server = None
        self.start()

    def start(self):
        self.server = Server(self.data, ["--mqtt-config", self.config] + self.extra_args)
        return self.server

    def kill(self):
        self.server.proc.kill()
        self.server.proc.wait(timeout=30)
        self.server.log.close()

    def stop(self):
        return self.server.stop()

    def reload(self):
        self.server.proc.send_signal(signal.SIGHUP)

    def query(self, q):
        status, _, body = self.server.request("GET", "/query", headers={
            "Authorization": "Bearer " + self.admin_token}, params={"q": q, "epoch": "ns"})
        if status != 200:
            raise AssertionError("query %r: %d %s" % (q, status, body))
        return json.loads(body)["results"][0]

    def rows(self, q):
        res = self.query(q)
        if "series" not in res:
            return []
        out = []
        for s in res["series"]:
            out += s["values"]
        return out

    def count(self, measurement, field, where=""):
        rows = self.rows("SELECT count(%s) FROM %s%s" % (
            field, measurement, (" WHERE " + where) if where else ""))
        return rows[0][1] if rows else 0

    def stats(self):
        """`telemdb admin stats` as a dict (numbers as ints)."""
        code, out, err = self.server.cli("admin", "stats")
        if code != 0:
            raise AssertionError("admin stats: " + err)
        d = {}
        for line in out.splitlines()[1:]:
            k, _, v = line.partition(",")
            d[k] = int(v) if v.lstrip("-").isdigit() else v
        return d

    def metrics(self):
        status, _, body = self.server.request("GET", "/metrics", headers={
            "Authorization": "Bearer " + self.admin_token})
        assert status == 200, body
        return body.decode()

    def log(self):
        with open(self.server.log_path, errors="replace") as f:
            return f.read()

    def audit(self):
        """The audit log's records (decoded JSON lines)."""
        path = os.path.join(self.data, "audit.log")
        out = []
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def rss_bytes(self):
        with open("/proc/%d/statm" % self.server.proc.pid) as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def example_config():
    """docs/examples/mqtt.toml as shipped."""
    with open(os.path.join(SOURCE, "docs", "examples", "mqtt.toml")) as f:
        return f.read()


def make_certs(directory, *devices):
    subprocess.run([os.path.join(SOURCE, "scripts", "make-certs.sh"), directory] + list(devices),
                   check=True, capture_output=True, timeout=60)


__all__ = ["BINARY", "Device", "Mosquitto", "TelemdbWithMqtt", "example_config", "free_port",
           "make_certs", "mosquitto_pub", "wait_until", "write_secret"]
