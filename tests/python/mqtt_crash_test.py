#!/usr/bin/python3
"""Crash test of the MQTT bridge: a python3-paho-mqtt device publishes N QoS 1 readings
(50 devices, each with its own timestamp) through a persistent mosquitto while telemdbd,
consuming them over 4 connections of a shared subscription, is killed with SIGKILL at random
moments and restarted, six times. Afterwards every reading is stored exactly once: each
device's points are exactly its readings (no loss, no extra point), because a message is
acknowledged only after it is durable and a redelivered one rewrites the same point."""
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqtt_harness import Device, Mosquitto, TelemdbWithMqtt, wait_until  # noqa: E402

CONFIG = """
[[broker]]
url = "@BROKER@"
client_id = "telemdb-crash"
reconnect_min = "50ms"
reconnect_max = "500ms"

[[subscription]]
name = "crash"
topic = "$share/telemdb/crash/+"
connections = 4
topic_template = "crash/{device}"
measurement = "crash"
token_file = "@TOKEN_FILE@"
[subscription.json]
timestamp_format = "ms"
"""

N = 20000
DEVICES = 50
KILLS = 6
T0 = 1700000000000


class CrashTest(unittest.TestCase):
    def test_kill_9_while_consuming(self):
        seed = int(os.environ.get("TELEMDB_CRASH_SEED", time.time()))
        rng = random.Random(seed)
        print("\nseed %d" % seed)
        with tempfile.TemporaryDirectory() as tmp:
            broker = Mosquitto(os.path.join(tmp, "broker"))
            t = TelemdbWithMqtt(tmp, CONFIG, broker.url)
            try:
                wait_until(lambda: t.stats().get("mqtt.crash.connected") == 4, 20,
                           what="4 connections")
                published = threading.Event()
                progress = [0]

                def publish():
                    dev = Device(broker.port, "crash-device")
                    for i in range(N):
                        dev.publish("crash/d%d" % (i % DEVICES),
                                    json.dumps({"ts": T0 + i, "v": i}))
                        progress[0] = i + 1
                        if i % 100 == 99:
                            time.sleep(0.05)  # ~1,500 messages/s: kills land mid-stream
                    dev.close()
                    published.set()
                publisher = threading.Thread(target=publish)
                publisher.start()
                kills = []
                for k in range(KILLS):
                    # Kills are placed along the stream, not on the clock, so that on a fast
                    # or a slow machine each lands while the device publishes and the
                    # restarted bridge has been consuming.
                    target = int((k + rng.uniform(0.6, 1.4)) * N / (KILLS + 1))
                    wait_until(lambda: progress[0] >= target, 120, interval=0.02,
                               what="publisher past %d" % target)
                    wait_until(lambda: t.stats().get("mqtt.crash.messages_received", 0) > 0,
                               60, interval=0.05, what="restarted bridge consuming")
                    s = t.stats()
                    stored_before = t.count("crash", "v")
                    t.kill()
                    kills.append((s["mqtt.crash.messages_received"], stored_before,
                                  not published.is_set(), s["mqtt.crash.messages_redelivered"]))
                    time.sleep(rng.uniform(0, 0.5))
                    t.start()
                publisher.join(timeout=300)
                self.assertTrue(published.is_set())
                wait_until(lambda: t.count("crash", "v") >= N, 120, interval=0.5,
                           what="every reading stored")
                time.sleep(1)  # anything still arriving would show as extra points
                for received, stored, mid_stream, redelivered in kills:
                    print("kill: that run received %d messages (%d redelivered), %d points "
                          "stored before the kill, publisher running: %s" % (
                              received, redelivered, stored, mid_stream))
                final = t.stats()
                print("last run: received %d (%d redelivered)" % (
                    final["mqtt.crash.messages_received"],
                    final["mqtt.crash.messages_redelivered"]))
                # Every kill landed on a bridge that was consuming, while devices published.
                self.assertTrue(all(k[0] > 0 for k in kills))
                self.assertGreaterEqual(sum(1 for k in kills if k[2]), KILLS - 1)

                self.assertEqual(t.count("crash", "v"), N)
                for d in range(DEVICES):
                    rows = t.rows("SELECT v FROM crash WHERE device = 'd%d'" % d)
                    want = [[(T0 + i) * 1000000, float(i)] for i in range(d, N, DEVICES)]
                    self.assertEqual(sorted(rows), want, "device d%d" % d)
                # The sessions outlived the kills: the broker resumed them.
                resumed = len(re.findall(r"event=mqtt\.connected .*session_present=true",
                                         t.log()))
                self.assertGreaterEqual(resumed, 4 * KILLS)
            finally:
                self.assertEqual(t.stop(), 0)
                broker.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
