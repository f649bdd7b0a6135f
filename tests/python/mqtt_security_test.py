#!/usr/bin/python3
"""The MQTT bridge's security with a real mosquitto: a subscription's identity scopes what it
may write (another device's message stores nothing and is audited); TLS to the broker with a
client certificate (and refused without one); telemdbd refuses to start when a token,
password or key file is readable by others; a revoked token stops the acknowledgements (the
broker keeps the messages) until the config is reloaded with a valid token; a broken config
on reload changes nothing; hostile messages (megabyte payloads, 60 KB topics, invalid UTF-8,
deep nesting, binary) are rejected and counted while good ones keep flowing."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqtt_harness import (BINARY, Device, Mosquitto, TelemdbWithMqtt, make_certs,  # noqa: E402
                          mosquitto_pub, wait_until, write_secret)

DEVICES = """
[[broker]]
url = "@BROKER@"
client_id = "telemdb-sec"
reconnect_min = "50ms"
reconnect_max = "500ms"

[[subscription]]
name = "dev"
topic = "dev/+"
topic_template = "dev/{device}"
measurement = "m"
token_file = "@TOKEN_FILE@"
"""


def reading(i, device=None):
    return json.dumps({"ts": 1700000000000 + i, "v": i})


class ScopesAndTokensTest(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory()
        self.broker = Mosquitto(os.path.join(self.tmpdir.name, "broker"))
        self.t = TelemdbWithMqtt(self.tmpdir.name, DEVICES, self.broker.url,
                                 scopes=("write:device=a*",))
        wait_until(lambda: self.t.stats().get("mqtt.dev.state") == "connected", 20,
                   what="the bridge to connect")

    def tearDown(self):
        code = self.t.stop()
        self.broker.stop()
        self.tmpdir.cleanup()
        self.assertEqual(code, 0)

    def acked(self):
        return self.t.stats()["mqtt.dev.messages_acknowledged"]

    def test_message_for_another_device_stores_nothing_and_is_audited(self):
        for i, device in enumerate(["a1", "b1", "a2"]):
            mosquitto_pub(self.broker.port, "dev/" + device, reading(i))
        wait_until(lambda: self.acked() == 3, 20, what="3 acknowledgements")
        t = self.t
        self.assertEqual(t.count("m", "v", "device = 'a1'"), 1)
        self.assertEqual(t.count("m", "v", "device = 'a2'"), 1)
        self.assertEqual(t.count("m", "v", "device = 'b1'"), 0)
        self.assertEqual(t.stats()["mqtt.dev.rejected.denied"], 1)
        token_id = t.bridge_token.split("_")[1]

        def denial():
            for r in t.audit():
                if (r.get("event") == "permission.denied" and r.get("who") == token_id and
                        r.get("transport") == "mqtt" and "device=b1" in r.get("outcome", "")):
                    return r
            return None
        wait_until(denial, 10, what="the audited denial")

    def test_revoked_token_stops_acknowledging_until_reload(self):
        t = self.t
        mosquitto_pub(self.broker.port, "dev/a1", reading(1))
        wait_until(lambda: t.count("m", "v") == 1, 20, what="the first reading")
        token_id = t.bridge_token.split("_")[1]
        code, _, err = t.server.cli("admin", "token", "revoke", token_id)
        self.assertEqual(code, 0, err)
        mosquitto_pub(self.broker.port, "dev/a1", reading(2))
        wait_until(lambda: t.stats()["mqtt.dev.state"] == "unauthorized", 20,
                   what="the pause")
        time.sleep(1)
        self.assertEqual(t.count("m", "v"), 1)  # not stored, not acknowledged
        self.assertIn("event=mqtt.subscription_paused", t.log())
        self.assertIn("revoked", t.stats()["mqtt.dev.last_error"])
        wait_until(lambda: any(r.get("event") == "mqtt.subscription_paused" and
                               r.get("who") == token_id for r in t.audit()), 10,
                   what="the audited pause")
        # A valid token in the file and SIGHUP: the broker kept the message.
        new_token = t.server.create_token("write:device=a*")
        write_secret(t.token_file, new_token)
        t.reload()
        wait_until(lambda: t.count("m", "v") == 2, 20, what="the kept message after reload")
        self.assertEqual(t.stats()["mqtt.dev.state"], "connected")

    def test_broken_config_on_reload_changes_nothing(self):
        t = self.t
        good = open(t.config).read()
        with open(t.config, "w") as f:
            f.write(good.replace('topic = "dev/+"', 'topc = "dev/+"'))
        t.reload()
        wait_until(lambda: "event=mqtt.reload_failed" in t.log(), 10, what="the reload error")
        self.assertIn('unknown key', t.log())
        mosquitto_pub(self.broker.port, "dev/a1", reading(1))
        wait_until(lambda: t.count("m", "v") == 1, 20, what="a reading after the failed reload")

    def test_hostile_messages_are_rejected_and_good_ones_flow(self):
        dev = Device(self.broker.port, "hostile")
        dev.publish("dev/a1", b"{\"v\": 1" + b" " * (1 << 20) + b"}")  # 1 MiB payload
        dev.publish("dev/" + "a" * 60000, reading(1))                  # 60 KB topic
        dev.publish("dev/a1", b"{\"v\": \"\xff\xfe\"}")                 # invalid UTF-8
        dev.publish("dev/a1", b"[" * 5000 + b"]" * 5000)               # deep nesting
        dev.publish("dev/a1", os.urandom(4096))                         # binary
        dev.publish("dev/a1", reading(7))                               # good
        dev.close()
        wait_until(lambda: self.acked() == 6, 20, what="6 acknowledgements")
        s = self.t.stats()
        self.assertEqual(s["mqtt.dev.rejected.too_large"], 1)
        self.assertEqual(s["mqtt.dev.rejected.topic"], 1)
        self.assertEqual(s["mqtt.dev.rejected.payload"], 3)
        self.assertEqual(self.t.count("m", "v"), 1)
        log = self.t.log()
        # Logged with their first bytes only.
        self.assertNotIn("a" * 300, log)
        self.assertLess(max(len(l) for l in log.splitlines()), 2000)


TLS = """
[[broker]]
name = "mtls"
url = "ssl://localhost:@TLS_PORT@"
client_id = "telemdb-mtls"
ca_file = "@DIR@/ca.crt"
cert_file = "@DIR@/telemdb-bridge.crt"
key_file = "@DIR@/telemdb-bridge.key"

[[broker]]
name = "nocert"
url = "ssl://127.0.0.1:@TLS_PORT@"
client_id = "telemdb-nocert"
ca_file = "@DIR@/ca.crt"
reconnect_min = "50ms"
reconnect_max = "200ms"

[[subscription]]
name = "mtls"
broker = "mtls"
topic = "tls/+"
topic_template = "tls/{device}"
measurement = "tls"
token_file = "@TOKEN_FILE@"

[[subscription]]
name = "nocert"
broker = "nocert"
topic = "tls2/+"
topic_template = "tls2/{device}"
measurement = "tls2"
token_file = "@TOKEN_FILE@"
"""


class TlsTest(unittest.TestCase):
    def test_client_certificate_to_the_broker(self):
        with tempfile.TemporaryDirectory() as tmp:
            certs = os.path.join(tmp, "certs")
            make_certs(certs, "telemdb-bridge")
            broker = Mosquitto(os.path.join(tmp, "broker"), tls={
                "ca": os.path.join(certs, "ca.crt"), "cert": os.path.join(certs, "server.crt"),
                "key": os.path.join(certs, "server.key")})
            t = TelemdbWithMqtt(tmp, TLS, broker.url,
                                fill={"TLS_PORT": str(broker.tls_port), "DIR": certs})
            try:
                wait_until(lambda: t.stats().get("mqtt.mtls.state") == "connected", 20,
                           what="the TLS connection")
                mosquitto_pub(broker.port, "tls/d1", reading(1))
                wait_until(lambda: t.count("tls", "v") == 1, 20, what="the reading over TLS")
                # Without a client certificate the broker refuses the handshake.
                wait_until(lambda: t.stats()["mqtt.nocert.connection_failures"] >= 2, 20,
                           what="refused connections")
                s = t.stats()
                self.assertEqual(s["mqtt.nocert.connected"], 0)
                self.assertIn(s["mqtt.nocert.state"], ("backoff", "connecting"))
            finally:
                self.assertEqual(t.stop(), 0)
                broker.stop()


class OwnerOnlyFilesTest(unittest.TestCase):
    """telemdbd refuses to start when a secret file is readable by group or others."""

    def start(self, tmp, config_text):
        config = os.path.join(tmp, "mqtt.toml")
        with open(config, "w") as f:
            f.write(config_text)
        data = tempfile.mkdtemp(dir=tmp)
        return subprocess.run(
            [os.path.join(BINARY, "server", "telemdbd"), "--data-dir", data, "--listen",
             "127.0.0.1:0", "--http-listen", "none", "--mqtt-config", config],
            capture_output=True, text=True, timeout=60)

    def test_refuses_readable_secrets(self):
        with tempfile.TemporaryDirectory() as tmp:
            token = write_secret(os.path.join(tmp, "token"), "tdb_aaaaaaaaaaaa_x", 0o644)
            password = write_secret(os.path.join(tmp, "password"), "pw", 0o640)
            key = write_secret(os.path.join(tmp, "client.key"), "key", 0o644)
            sub = ('[[subscription]]\ntopic = "a"\nmeasurement = "m"\ntoken_file = "%s"\n' %
                   token)
            p = self.start(tmp, '[[broker]]\nurl = "tcp://127.0.0.1:1"\n' + sub)
            self.assertEqual(p.returncode, 1)
            self.assertIn("token_file %s has mode 0644; it must be readable by its owner only"
                          % token, p.stderr)
            os.chmod(token, 0o600)
            p = self.start(tmp, '[[broker]]\nurl = "tcp://127.0.0.1:1"\nusername = "u"\n'
                           'password_file = "%s"\n' % password + sub)
            self.assertEqual(p.returncode, 1)
            self.assertIn("password_file %s has mode 0640" % password, p.stderr)
            p = self.start(tmp, '[[broker]]\nurl = "ssl://127.0.0.1:1"\ncert_file = "c"\n'
                           'key_file = "%s"\n' % key + sub)
            self.assertEqual(p.returncode, 1)
            self.assertIn("key_file %s has mode 0644" % key, p.stderr)
            p = self.start(tmp, '[[broker]]\nurl = "tcp://127.0.0.1:1"\n' +
                           sub.replace("topic", "topc"))
            self.assertEqual(p.returncode, 1)
            self.assertIn('key "topc": unknown key', p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
