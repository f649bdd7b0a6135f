#!/usr/bin/env bash
# The live half's figures (bench/realtime/README.md), each on a fresh telemdbd with
# --auth none on loopback (so that writers and the server share the 2 cores as in the other
# ingest figures). Rounds alternate the compared settings so machine noise hits both.
#
#   bench/realtime/run.sh latency [ROUNDS]   delivery p50/p99 after the ack, 1/10/100 subscribers
#   bench/realtime/run.sh stall [ROUNDS]     writers' throughput with 0, 1 and 10 stalled subscribers
#   bench/realtime/run.sh rules [ROUNDS]     1,000 rules over 10,000 devices at 1M values/s, and
#                                            without rules; three shapes (10, 100, 1000 devices/rule)
#
# BUILD_DIR, WORK, PORT, SECONDS_PER_RUN override the defaults. Prints the tool's lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-latency}
rounds=${2:-3}
build=${BUILD_DIR:-build}
work=${WORK:-$(mktemp -d /tmp/telemdb-rtbench.XXXXXX)}
port=${PORT:-7741}
secs=${SECONDS_PER_RUN:-10}
bench="$build/bench/realtime/telemdb-realtime-bench"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

start_server() {  # extra args...
  local dir="$work/data"
  rm -rf "$dir"; mkdir -p "$dir"
  "$build/server/telemdbd" --data-dir "$dir" --listen "127.0.0.1:$port" --http-listen none \
    --auth none --log-level warning "$@" >"$dir.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
    sleep 0.1
  done
  echo "server did not come up; log:" >&2; cat "$dir.log" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

for round in $(seq "$rounds"); do
  case "$what" in
    latency)
      for subs in 1 10 100; do
        start_server
        "$bench" --addr "127.0.0.1:$port" --server-pid "$server" latency --subscribers "$subs" \
          --rows 10 --batches-per-s 100 --seconds "$secs"
        stop_server
      done
      start_server
      "$bench" --addr "127.0.0.1:$port" --server-pid "$server" latency --subscribers 10 \
        --rows 100 --batches-per-s 100 --seconds "$secs"
      stop_server
      ;;
    stall)
      for stalled in 0 1 10; do
        start_server
        "$bench" --addr "127.0.0.1:$port" --server-pid "$server" stall --stalled "$stalled" \
          --seconds "$secs"
        stop_server
      done
      ;;
    rules)
      # At the 1M values/s target (the slowdown shows as server CPU) and as fast as the
      # writers go (the slowdown shows as throughput).
      for rate in 1000000 0; do
        for per_rule in 10 100 1000; do
          for rules in 0 1000; do
            kinds=mix
            [ "$per_rule" = 1000 ] && kinds=absence
            start_server --alert-memory 1GiB
            "$bench" --addr "127.0.0.1:$port" --server-pid "$server" rules --rules "$rules" \
              --per-rule "$per_rule" --kinds "$kinds" --rate "$rate" --seconds "$secs"
            stop_server
          done
        done
      done
      ;;
    *) echo "usage: $0 latency|stall|rules [ROUNDS]" >&2; exit 2 ;;
  esac
  echo "# round $round done" >&2
done
