#!/usr/bin/python3
"""10,000 malformed MQTT messages mixed with 2,000 good ones through a real mosquitto: every
good one is stored, every bad one is acknowledged and counted by reason (and dead-lettered),
the bridge never stalls, telemdbd's memory stays bounded, and the rejected messages are
logged at a bounded rate."""
import json
import os
import re
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paho.mqtt.client as paho  # noqa: E402
from mqtt_harness import Device, Mosquitto, TelemdbWithMqtt, wait_until  # noqa: E402

CONFIG = """
[[broker]]
url = "@BROKER@"
client_id = "telemdb-flood"

[[subscription]]
name = "flood"
topic = "flood/#"
topic_template = "flood/{device}"
measurement = "flood"
token_file = "@TOKEN_FILE@"
missing_timestamp = "reject"
max_message_bytes = "4KiB"
dead_letter_topic = "dead/flood"
[subscription.json]
types = { n = "int" }
"""

GOOD, BAD = 2000, 10000

# (kind, topic, payload, reason it is counted under)
KINDS = [
    ("bad_json", "flood/d1", b'{"ts": 1, "v": ', "payload"),
    ("wrong_type", "flood/d1", b'{"ts": 1700000000000, "n": "seven"}', "payload"),
    ("no_timestamp", "flood/d1", b'{"v": 1}', "timestamp"),
    ("scalar", "flood/d1", b"42", "payload"),
    ("bad_utf8", "flood/d1", b'{"ts": 1700000000000, "s": "\xc3\x28"}', "payload"),
    ("too_large", "flood/d1", b'{"v": "' + b"x" * 5000 + b'"}', "too_large"),
    ("topic", "flood/d1/extra", b'{"ts": 1700000000000, "v": 1}', "topic"),
    ("deep", "flood/d1", b'{"a":' * 40 + b"1" + b"}" * 40, "payload"),
    ("empty", "flood/d1", b"", "payload"),
    ("long_name", "flood/d1", b'{"ts": 1700000000000, "' + b"f" * 400 + b'": 1}', "invalid"),
]


class MalformedFloodTest(unittest.TestCase):
    def test_flood(self):
        with tempfile.TemporaryDirectory() as tmp:
            broker = Mosquitto(os.path.join(tmp, "broker"))
            t = TelemdbWithMqtt(tmp, CONFIG, broker.url)
            dead = []
            sub = paho.Client(client_id="dead-letters", clean_session=True)
            sub.on_message = lambda c, u, m: dead.append(m.payload)
            sub.connect("127.0.0.1", broker.port)
            sub.subscribe("dead/flood", qos=1)
            sub.loop_start()
            try:
                wait_until(lambda: t.stats().get("mqtt.flood.state") == "connected", 20,
                           what="the bridge to connect")
                # Warm up, then take the baseline RSS.
                dev = Device(broker.port, "flooder")
                for i in range(200):
                    dev.publish("flood/warm", json.dumps({"ts": 1600000000000 + i, "v": i}))
                dev.flush()
                wait_until(lambda: t.count("flood", "v", "device = 'warm'") == 200, 30,
                           what="the warm-up")
                rss_before = t.rss_bytes()
                peak = [rss_before]
                stop = threading.Event()

                def sample():
                    while not stop.is_set():
                        peak[0] = max(peak[0], t.rss_bytes())
                        time.sleep(0.2)
                sampler = threading.Thread(target=sample)
                sampler.start()
                start = time.time()
                expected = {}
                good = bad = 0
                while good < GOOD or bad < BAD:
                    if good < GOOD and (bad >= BAD or (good + bad) % 6 == 0):
                        dev.publish("flood/g%d" % (good % 20),
                                    json.dumps({"ts": 1700000000000 + good, "v": good, "n": 1}))
                        good += 1
                    else:
                        kind, topic, payload, reason = KINDS[bad % len(KINDS)]
                        dev.publish(topic, payload)
                        expected[reason] = expected.get(reason, 0) + 1
                        bad += 1
                dev.close()
                total = 200 + GOOD + BAD
                progress = []

                def done():
                    acked = t.stats()["mqtt.flood.messages_acknowledged"]
                    progress.append((time.time(), acked))
                    return acked >= total
                wait_until(done, 180, interval=0.5, what="every message acknowledged")
                elapsed = time.time() - start
                stop.set()
                sampler.join()
                s = t.stats()
                self.assertEqual(t.count("flood", "v"), 200 + GOOD)
                for reason, n in expected.items():
                    self.assertEqual(s["mqtt.flood.rejected." + reason], n, reason)
                self.assertEqual(sum(expected.values()), BAD)
                self.assertEqual(s["mqtt.flood.messages_stored"], 200 + GOOD)
                wait_until(lambda: len(dead) == BAD, 30, what="every dead letter")
                envelope = json.loads(dead[0])
                self.assertIn(envelope["reason"], expected)
                growth = peak[0] - rss_before
                print("\n%d messages (%d malformed) in %.1f s: %.0f msg/s; RSS %.1f MiB -> "
                      "peak %.1f MiB (+%.1f MiB)" % (
                          GOOD + BAD, BAD, elapsed, (GOOD + BAD) / elapsed, rss_before / 2**20,
                          peak[0] / 2**20, growth / 2**20))
                if not os.environ.get("TELEMDB_SANITIZED"):
                    self.assertLess(growth, 64 << 20)
                # Rejections are logged at most 10 per 10 s (plus one summary each).
                lines = len(re.findall(r"event=mqtt\.message_rejected", t.log()))
                self.assertGreater(lines, 0)
                self.assertLessEqual(lines, 10 * (int(elapsed / 10) + 2))
            finally:
                sub.loop_stop()
                self.assertEqual(t.stop(), 0)
                broker.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
