#!/usr/bin/env bash
# Installs what is missing, builds what it runs (the server, the CLI, the demo generator
# and loader; not the tests), starts telemdbd on 127.0.0.1:7700 (HTTP API on 7701) with its
# data in ./telemdb-data, loads a demo fleet (200 trucks, the last 24 hours until now, a
# reading every 10 s) and shows a query. The server stays in the foreground; Ctrl-C stops
# it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
TELEMDB_TARGETS="telemdbd telemdb_cli fleetgen telemdb_bench" ./scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
BIN="$BUILD_DIR"
DATA=${TELEMDB_DATA_DIR:-./telemdb-data}
LISTEN=${TELEMDB_LISTEN:-127.0.0.1:7700}
HTTP_LISTEN=${TELEMDB_HTTP_LISTEN:-127.0.0.1:7701}
DEMO="$BUILD_DIR/demo/fleet.lp"



echo "== starting telemdbd on $LISTEN, HTTP on $HTTP_LISTEN (data: $DATA)"
# Its own session: Ctrl-C reaches the script, whose trap sends one SIGTERM (a second signal
# would make telemdbd exit at once instead of sealing and syncing).
setsid "$BIN/server/telemdbd" --data-dir "$DATA" --listen "$LISTEN" --http-listen "$HTTP_LISTEN" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER' INT TERM
for _ in $(seq 1 300); do
  [ -f "$DATA/admin.token" ] && break
  kill -0 $SERVER 2>/dev/null || { echo "telemdbd failed to start" >&2; exit 1; }
  sleep 0.1
done
TOKEN_FILE="$DATA/admin.token"
export TELEMDB_TOKEN_FILE="$TOKEN_FILE"

CLI="$BIN/cli/telemdb"
if [ -x "$CLI" ] && "$CLI" --addr "$LISTEN" --token-file "$TOKEN_FILE" measurements 2>/dev/null |
    grep -qx 'readings'; then
  echo "== the demo fleet is already loaded"
else
  # The demo ends now, so that a dashboard's "last 15 minutes" shows data.
  DEMO_START=$(date -u -d "@$(( $(date +%s) / 10 * 10 - 24 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$BUILD_DIR/demo"
  echo "== generating the demo fleet: 200 trucks x 24 h until now, a reading every 10 s"
  "$BIN/bench/fleet/telemdb-fleetgen" --scale 200 --hours 24 --start "$DEMO_START" -o "$DEMO"
  echo "== loading the demo fleet (SYNC acks)"
  "$BIN/bench/tool/telemdb-bench" ingest "$DEMO" --addr "$LISTEN" --token-file "$TOKEN_FILE"
fi

if [ -x "$CLI" ]; then
  Q="SELECT mean(velocity) FROM readings WHERE fleet = 'East' GROUP BY time(1h) LIMIT 6"
  echo "== telemdb query \"$Q\""
  "$CLI" --addr "$LISTEN" --token-file "$TOKEN_FILE" query "$Q" || true
  cat <<TXT

telemdbd is running (pid $SERVER). Try:
  the web console: http://$HTTP_LISTEN/ (sign in with the token in $TOKEN_FILE)
  $CLI --token-file $TOKEN_FILE shell
  $CLI --token-file $TOKEN_FILE query "SELECT last(latitude) FROM readings GROUP BY name LIMIT 5"
  $CLI --token-file $TOKEN_FILE admin stats
  curl -s -H "Authorization: Bearer \$(cat $TOKEN_FILE)" \\
    "http://$HTTP_LISTEN/query?q=SELECT+last(fuel_state)+FROM+diagnostics+GROUP+BY+name+LIMIT+3"
Ctrl-C stops the server.
TXT
fi
wait $SERVER
