#!/usr/bin/python3
"""Sends an Influx line-protocol file to an InfluxDB-style endpoint (POST /write):
VictoriaMetrics', or telemdb's (with --token-file).

    vm_send.py FILE --port P [--host 127.0.0.1] [--senders 4] [--lines 10000] [--precision ns]
               [--header 'Authorization: Bearer ...']

One reader thread cuts the file into chunks of about --lines lines (by bytes: the average
line length of the file's first MiB times --lines, cut at a newline) and hands them to
--senders threads, each with its own persistent HTTP/1.1 connection. A chunk counts when
VictoriaMetrics answers 204. The clock runs from opening the file to the last answer.

Prints one line: lines= bytes= chunks= seconds= lines_per_s= mb_per_s= cpu_s= (this
process's user+system CPU time, to show whether the sender is a bottleneck). Exits 1 with
a message on the first failed request.
"""
import argparse
import http.client
import os
import queue
import resource
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--lines", type=int, default=10000)
    ap.add_argument("--precision", default="ns")
    ap.add_argument("--header", action="append", default=[],
                    help="an extra request header 'Name: value' (telemdb's token); repeatable")
    ap.add_argument("--token-file", help="send 'Authorization: Bearer <the file's token>'")
    a = ap.parse_args()
    extra = {}
    for h in a.header:
        k, _, v = h.partition(":")
        extra[k.strip()] = v.strip()
    if a.token_file:
        extra["Authorization"] = "Bearer " + open(a.token_file).read().strip()

    t0 = time.monotonic()
    q = queue.Queue(maxsize=a.senders * 2)
    failure = []
    stats = {"lines": 0, "bytes": 0, "chunks": 0}
    lock = threading.Lock()
    path = "/write?precision=" + a.precision

    def sender():
        conn = http.client.HTTPConnection(a.host, a.port, timeout=600)
        try:
            while True:
                chunk = q.get()
                if chunk is None:
                    return
                if failure:
                    continue  # drain
                try:
                    conn.request("POST", path, body=chunk,
                                 headers=dict(extra, **{"Content-Type": "text/plain"}))
                    r = conn.getresponse()
                    body = r.read()
                    if r.status != 204:
                        failure.append("HTTP %d: %s" % (r.status, body[:500].decode(errors="replace")))
                        continue
                except (OSError, http.client.HTTPException) as e:
                    failure.append("request failed: %r" % (e,))
                    continue
                n = chunk.count(b"\n")
                with lock:
                    stats["lines"] += n
                    stats["bytes"] += len(chunk)
                    stats["chunks"] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(a.senders)]
    for t in threads:
        t.start()

    def cut_at(carry, eof):
        """Where the next chunk ends in carry, or None to read more first."""
        if len(carry) >= target:
            cut = carry.rfind(b"\n", 0, target) + 1
            if cut == 0:  # a line longer than target
                cut = carry.find(b"\n", target) + 1
            if cut:
                return cut
        return len(carry) if eof and carry else None

    with open(a.file, "rb", buffering=0) as f:
        head = f.read(1 << 20)
        f.seek(0)
        nl = head.count(b"\n")
        target = max(4096, int((len(head) / nl if nl else 200.0) * a.lines))
        carry, eof = b"", False
        while not eof and not failure:
            block = f.read(target)
            eof = not block
            carry += block
            while not failure:
                cut = cut_at(carry, eof)
                if cut is None:
                    break
                chunk = carry[:cut]
                if not chunk.endswith(b"\n"):
                    chunk += b"\n"
                q.put(chunk)
                carry = carry[cut:]
    for _ in threads:
        q.put(None)
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    if failure:
        print("vm_send: " + failure[0], file=sys.stderr)
        return 1
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("lines=%d bytes=%d chunks=%d seconds=%.3f lines_per_s=%.0f mb_per_s=%.1f cpu_s=%.2f "
          "senders=%d chunk_lines=%d" % (
              stats["lines"], stats["bytes"], stats["chunks"], secs, stats["lines"] / secs,
              stats["bytes"] / secs / 1e6, ru.ru_utime + ru.ru_stime, a.senders, a.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
