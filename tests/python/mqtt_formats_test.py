#!/usr/bin/python3
"""The MQTT bridge end to end with a real mosquitto and real devices (mosquitto_pub and
python3-paho-mqtt): docs/examples/mqtt.toml used as shipped (only the broker address and
token_file changed), JSON (nested, arrays, declared types, tags from the payload), line
protocol and single values land as the documented series, topic templates give the right
tags, MQTT 5 shared subscriptions over 4 connections, QoS 2, and the figures in
`admin stats`, /metrics and the token list (the bridge's use of its token)."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paho.mqtt.client as paho  # noqa: E402
from mqtt_harness import (Device, Mosquitto, TelemdbWithMqtt, example_config,  # noqa: E402
                          mosquitto_pub, wait_until)

FORMATS = """
[[broker]]
name = "b3"
url = "@BROKER@"
client_id = "telemdb-formats"

[[broker]]
name = "b5"
url = "@BROKER@"
client_id = "telemdb-formats5"
protocol = "5"

[[subscription]]
name = "plant"
broker = "b5"
topic = "$share/telemdb/plant/+/+"
connections = 4
topic_template = "plant/{line}/{measurement}"
token_file = "@TOKEN_FILE@"
[subscription.json]
timestamp_field = "time"
timestamp_format = "rfc3339"
tags = ["site", "meta.model"]
types = { n = "int", "engine.rpm" = "int", label = "string" }
ignore = ["debug"]

[[subscription]]
name = "lp"
broker = "b3"
topic = "lp/+"
format = "lineproto"
precision = "ms"
topic_template = "lp/{gateway}"
token_file = "@TOKEN_FILE@"

[[subscription]]
name = "sensors"
broker = "b3"
topic = "sensors/+/+/+"
format = "value"
topic_template = "sensors/{site}/{device}/{field}"
measurement = "sensors"
token_file = "@TOKEN_FILE@"

[[subscription]]
name = "exactly"
broker = "b5"
topic = "q2/+"
qos = 2
topic_template = "q2/{device}"
measurement = "q2"
token_file = "@TOKEN_FILE@"
"""


class ExampleConfigTest(unittest.TestCase):
    """docs/examples/mqtt.toml as other programs use it."""

    def test_example_works_as_shipped(self):
        with tempfile.TemporaryDirectory() as tmp:
            broker = Mosquitto(os.path.join(tmp, "broker"))
            text = example_config()
            self.assertIn('url = "tcp://127.0.0.1:1883"', text)
            self.assertIn('token_file = "/etc/telemdb/mqtt-bridge.token"', text)
            text = text.replace("tcp://127.0.0.1:1883", "@BROKER@").replace(
                "/etc/telemdb/mqtt-bridge.token", "@TOKEN_FILE@")
            t = TelemdbWithMqtt(tmp, text, broker.url)
            try:
                wait_until(lambda: t.stats().get("mqtt.fleet.state") == "connected", 20,
                           what="the bridge to connect")
                mosquitto_pub(broker.port, "fleet/east/truck_17/telemetry",
                              '{"ts": 1700000000123, "temp": 21.5, "door_open": false}')
                wait_until(lambda: t.count("telemetry", "temp") == 1, 20, what="the reading")
                rows = t.rows("SELECT temp, door_open FROM telemetry WHERE fleet = 'east' "
                              "AND name = 'truck_17'")
                self.assertEqual(rows, [[1700000000123000000, 21.5, False]])
            finally:
                self.assertEqual(t.stop(), 0)
                broker.stop()


class FormatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.broker = Mosquitto(os.path.join(cls.tmpdir.name, "broker"))
        cls.t = TelemdbWithMqtt(cls.tmpdir.name, FORMATS, cls.broker.url)
        wait_until(lambda: all(cls.t.stats().get("mqtt.%s.state" % s) == "connected"
                               for s in ("plant", "lp", "sensors", "exactly")), 20,
                   what="every subscription to connect")

    @classmethod
    def tearDownClass(cls):
        code = cls.t.stop()
        cls.broker.stop()
        cls.tmpdir.cleanup()
        assert code == 0, "telemdbd exited with %d" % code

    def test_json_nested_arrays_types_tags_over_shared_subscription(self):
        dev = Device(self.broker.port, "plant-device", protocol=paho.MQTTv5)
        for i in range(200):
            points = [{"time": "2026-03-01T00:00:%02d.%03dZ" % (i // 10, (i % 10) * 100 + k),
                       "site": "s%d" % (i % 2), "meta": {"model": "m7"},
                       "engine": {"rpm": 1000 + i, "temp": 80.5}, "n": i, "label": "ok",
                       "debug": {"x": 1}, "vib": [0.1, 0.2]} for k in range(2)]
            dev.publish("plant/l%d/engine" % (i % 3), json.dumps(points))
        dev.close()
        t = self.t
        wait_until(lambda: t.count("engine", '"engine.temp"') == 400, 30, what="400 points")
        self.assertEqual(t.count("engine", "n", "line = 'l0' AND site = 's0'"), 68)
        self.assertEqual(t.count("engine", "\"engine.rpm\"", "\"meta.model\" = 'm7'"), 400)
        rows = t.rows("SELECT \"engine.rpm\", n, label, \"vib.1\" FROM engine WHERE "
                      "line = 'l1' AND site = 's1' ORDER BY time LIMIT 1")
        self.assertEqual(rows, [[1772323200100000000, 1001, 1, "ok", 0.2]])
        self.assertEqual(t.count("engine", "\"debug.x\""), 0)
        # The 4 connections of the shared subscription all took part.
        self.assertEqual(t.stats()["mqtt.plant.connected"], 4)

    def test_line_protocol_with_topic_tags(self):
        mosquitto_pub(self.broker.port, "lp/gw7",
                      "cpu,host=a usage=1.5 1700000000123\ncpu,host=b usage=2.5 1700000000124\n")
        wait_until(lambda: self.t.count("cpu", "usage") == 2, 20, what="2 line-protocol points")
        rows = self.t.rows("SELECT usage FROM cpu WHERE gateway = 'gw7' AND host = 'b'")
        self.assertEqual(rows, [[1700000000124000000, 2.5]])

    def test_single_values_take_everything_from_the_topic(self):
        dev = Device(self.broker.port, "sensor-device")
        for i in range(50):
            dev.publish("sensors/north/d%d/temp" % (i % 5), "%d.5" % i)
            dev.publish("sensors/north/d%d/hum" % (i % 5), str(40 + i))
        dev.close()
        t = self.t
        wait_until(lambda: t.count("sensors", "temp") == 50 and t.count("sensors", "hum") == 50,
                   20, what="100 values")
        self.assertEqual(t.count("sensors", "temp", "site = 'north' AND device = 'd3'"), 10)
        rows = t.rows("SELECT sum(temp) FROM sensors WHERE device = 'd0'")
        self.assertAlmostEqual(rows[0][1], sum(i + 0.5 for i in range(0, 50, 5)))

    def test_qos2(self):
        mosquitto_pub(self.broker.port, "q2/x1", '{"ts": 1700000000, "v": 3}', qos=2)
        wait_until(lambda: self.t.count("q2", "v") == 1, 20, what="the QoS 2 message")
        self.assertEqual(self.t.rows("SELECT v FROM q2 WHERE device = 'x1'"),
                         [[1700000000000000000, 3.0]])
        wait_until(lambda: self.t.stats()["mqtt.exactly.messages_acknowledged"] == 1, 10,
                   what="the PUBREC")

    def test_figures_in_stats_metrics_and_token_list(self):
        mosquitto_pub(self.broker.port, "lp/gw9", "mem used=1 1700000000000")
        mosquitto_pub(self.broker.port, "lp/gw9", "not line protocol")
        wait_until(lambda: self.t.stats()["mqtt.lp.rejected.payload"] >= 1, 20,
                   what="the rejection")
        s = self.t.stats()
        self.assertGreaterEqual(s["mqtt.lp.messages_stored"], 1)
        self.assertGreaterEqual(s["mqtt.lp.points_stored"], 1)
        self.assertEqual(s["mqtt.lp.topic"], "lp/+")
        self.assertTrue(s["mqtt.lp.last_message"].startswith("20"))
        m = self.t.metrics()
        for want in ('telemdb_mqtt_messages_rejected_total{subscription="lp",reason="payload"} ',
                     'telemdb_mqtt_subscription_state{subscription="lp",state="connected"} 1',
                     'telemdb_mqtt_connections_up{subscription="plant"} 4',
                     'telemdb_mqtt_messages_received_total{subscription="lp"} ',
                     'telemdb_mqtt_points_stored_total{subscription="lp"} ',
                     'telemdb_mqtt_last_message_timestamp_seconds{subscription="lp"} 1'):
            self.assertTrue(want in m, want)
        # The bridge's writes are its token's use: last_used and last_peer (the broker).
        code, out, err = self.t.server.cli("admin", "token", "list")
        self.assertEqual(code, 0, err)
        token_id = self.t.bridge_token.split("_")[1]
        line = [l for l in out.splitlines() if l.startswith(token_id)][0]
        self.assertTrue(line.endswith(",tcp://127.0.0.1:%d" % self.broker.port), line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
