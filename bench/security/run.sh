#!/usr/bin/env bash
# Security overhead, side by side in one run: the same ingest against a server with
# everything off (no TLS, --auth none, no audit log, no encryption) and one with everything
# on (TLS 1.2+, bearer-token auth, audit log, encryption at rest). Rounds alternate between
# the two so machine noise hits both alike; each round starts a fresh server and data dir.
#
#   bench/security/run.sh [ROUNDS]     (default 3; BUILD_DIR, DATA, WORK override)
#
# Prints one line per round and the medians and their ratio. Loopback only.
#
#   bench/security/run.sh flood [ROUNDS] [CLIENTS] [SECONDS]   (default 3, 200, 20)
#
# A valid device's write latency (SYNC, one point per request, one request every 20 ms)
# quiet and while CLIENTS clients send bad tokens (telemdb-auth-flood), on a server with
# token auth and the audit log on; prints p50/p99 of each phase per round, the medians, the
# p99 ratio (target: within 2x) and how much the audit log grew.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
build=${BUILD_DIR:-build}
work=${WORK:-$(mktemp -d /tmp/telemdb-secbench.XXXXXX)}
data=${DATA:-$work/fleet.lp}
port=${PORT:-7731}
bench_args=(--streams 4 --preparse)
mkdir -p "$work"

[ -s "$data" ] || "$build/bench/fleet/telemdb-fleetgen" --scale 200 --hours 24 -o "$data"
[ -s "$work/certs/server.crt" ] || scripts/make-certs.sh "$work/certs" >/dev/null
[ -s "$work/key" ] || { head -c 32 /dev/urandom > "$work/key"; chmod 600 "$work/key"; }

server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

start_server() {  # data_dir args...
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir"
  "$build/server/telemdbd" --data-dir "$dir" --listen "127.0.0.1:$port" --log-level warning \
    "$@" >"$dir.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
    sleep 0.1
  done
  echo "server did not come up; log:" >&2; cat "$dir.log" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

run_round() {  # label
  local label=$1 dir="$work/data-$1"
  if [ "$label" = off ]; then
    start_server "$dir" --auth none --audit-log none
    bench_extra=()
  else
    start_server "$dir" --auth token --tls-cert "$work/certs/server.crt" \
      --tls-key "$work/certs/server.key" --encryption-key-file "$work/key"
    bench_extra=(--tls-ca "$work/certs/ca.crt" --token-file "$dir/admin.token")
  fi
  local line
  line=$("$build/bench/tool/telemdb-bench" ingest "$data" --addr "127.0.0.1:$port" \
    "${bench_args[@]}" "${bench_extra[@]}" | tail -1)
  stop_server
  echo "$label $line"
}

if [ "${1:-}" = flood ]; then
  rounds=${2:-3}
  clients=${3:-200}
  seconds=${4:-20}
  lines=()
  for r in $(seq "$rounds"); do
    dir="$work/data-flood"
    start_server "$dir" --auth token
    for _ in $(seq 100); do [ -s "$dir/admin.token" ] && break; sleep 0.1; done
    before=$(stat -c %s "$dir/audit.log")
    line=$("$build/bench/security/telemdb-auth-flood" --addr "127.0.0.1:$port" \
      --token-file "$dir/admin.token" --clients "$clients" --seconds "$seconds" --quiet-seconds 5)
    stop_server
    after=$(stat -c %s "$dir/audit.log")
    echo "round $r: $line audit_log_growth_bytes=$((after - before))"
    lines+=("$line")
  done
  printf '%s\n' "${lines[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
q = statistics.median(r["quiet_p99_ms"] for r in rows)
f = statistics.median(r["flood_p99_ms"] for r in rows)
failed = sum(r["valid_failed"] for r in rows)
print(f"valid device p99: quiet {q:.2f} ms, under the flood {f:.2f} ms: {f/q:.2f}x "
      f"(target <= 2x); failed valid writes: {failed}")
'
  exit 0
fi

results=()
for r in $(seq "$rounds"); do
  for label in off on; do
    line=$(run_round "$label")
    echo "round $r: $line"
    results+=("$line")
  done
done

printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
v = {"off": [], "on": []}
for line in sys.stdin:
    label, *kv = line.split()
    d = dict(x.split("=", 1) for x in kv if "=" in x)
    v[label].append(float(d["values_per_s"]))
off, on = statistics.median(v["off"]), statistics.median(v["on"])
print(f"median values/s: all off {off/1e6:.2f}M, TLS+token+audit+encryption {on/1e6:.2f}M")
print(f"security on / off = {on/off:.3f} (cost {100*(1-on/off):.1f}%, target <= 15%)")
'
