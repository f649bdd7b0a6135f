#!/usr/bin/python3
"""Broker restarts under the MQTT bridge. Round 1: telemdbd is down while a device publishes
(mosquitto queues the messages for the bridge's persistent session), mosquitto is stopped
with SIGTERM (it saves them) and restarted, then telemdbd starts: everything arrives. Round
2: mosquitto is stopped and restarted twice while the bridge consumes a stream: the bridge
reconnects (backoff), and nothing the broker accepted is lost. Round 3: the same with
SIGKILL and autosave_interval 1: what the broker had saved arrives."""
import json
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqtt_harness import Device, Mosquitto, TelemdbWithMqtt, wait_until  # noqa: E402

CONFIG = """
[[broker]]
url = "@BROKER@"
client_id = "telemdb-restart"
reconnect_min = "100ms"
reconnect_max = "1s"

[[subscription]]
name = "r"
topic = "restart/+"
topic_template = "restart/{device}"
measurement = "restart"
token_file = "@TOKEN_FILE@"
"""

T0 = 1700000000000


def publish(port, start, n, client_id):
    dev = Device(port, client_id)
    for i in range(start, start + n):
        dev.publish("restart/d%d" % (i % 10), json.dumps({"ts": T0 + i, "v": i}))
    dev.close()


class BrokerRestartTest(unittest.TestCase):
    def test_restarts(self):
        with tempfile.TemporaryDirectory() as tmp:
            broker = Mosquitto(os.path.join(tmp, "broker"))
            t = TelemdbWithMqtt(tmp, CONFIG, broker.url)
            try:
                wait_until(lambda: t.stats().get("mqtt.r.state") == "connected", 20,
                           what="the bridge to connect")
                # Round 1: queued for the session while telemdbd is down, across a broker
                # restart.
                self.assertEqual(t.stop(), 0)
                publish(broker.port, 0, 2000, "dev1")
                broker.stop(signal.SIGTERM)
                broker.start()
                t.start()
                wait_until(lambda: t.count("restart", "v") == 2000, 60,
                           what="the 2,000 queued messages")
                # Round 2: the broker restarts twice under a consuming bridge, which
                # reconnects after each (with backoff: it fails at least once while the
                # broker is down).
                base = t.stats()["mqtt.r.reconnects"]
                for k in range(2):
                    publish(broker.port, 2000 + 1000 * k, 1000, "dev2-%d" % k)
                    broker.stop(signal.SIGTERM)
                    time.sleep(0.5)
                    broker.start()
                    wait_until(lambda: t.stats()["mqtt.r.reconnects"] == base + k + 1, 30,
                               what="reconnect %d" % (k + 1))
                publish(broker.port, 4000, 1000, "dev2-end")
                wait_until(lambda: t.count("restart", "v") == 5000, 60,
                           what="5,000 messages")
                self.assertGreaterEqual(t.stats()["mqtt.r.connection_failures"], 2)
                # Round 3: SIGKILL; autosave_interval 1 saved what the broker held a second
                # earlier. The bridge was stopped, so everything sat in the broker.
                self.assertEqual(t.stop(), 0)
                publish(broker.port, 5000, 1000, "dev3")
                time.sleep(2.5)  # two autosaves
                broker.stop(signal.SIGKILL)
                broker.start()
                t.start()
                wait_until(lambda: t.count("restart", "v") == 6000, 60,
                           what="6,000 messages")
                for d in range(10):
                    rows = t.rows("SELECT v FROM restart WHERE device = 'd%d'" % d)
                    self.assertEqual(sorted(rows),
                                     [[(T0 + i) * 1000000, float(i)] for i in range(d, 6000, 10)])
                wait_until(lambda: t.stats()["mqtt.r.state"] == "connected", 20,
                           what="connected again")
            finally:
                self.assertEqual(t.stop(), 0)
                broker.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
