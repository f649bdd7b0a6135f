#!/usr/bin/env bash
# telemdb against VictoriaMetrics on the same workloads. See bench/compare/README.md.
#
#   ./bench/compare/run.sh [--scale N] [--hours H] [--skip-meters] [--runs R] [--keep]
#                          [--meters-scale N] [--meters-hours H] [--skip-fleet]
#                          [--cardinality N,N,...] [--cardinality-hours H]
#                          [--long-series N] [--long-days D] [--long-interval S]
#                          [--work-dir DIR] [--results-dir DIR] [--no-install]
#
# BUILD_DIR (default `build`, relative to the source root) holds telemdbd, telemdb-bench and
# telemdb-fleetgen (./scripts/build.sh makes it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) BUILD="$BUILD_DIR" ;; *) BUILD="$ROOT/$BUILD_DIR" ;; esac

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
die() { echo "run.sh: $*" >&2; exit 1; }

SCALE=200 HOURS=24 RUNS=15 KEEP=0 INSTALL=1
METERS_SCALE=100000 METERS_HOURS=24
WORK_PARENT="$HERE/work" RESULTS_DIR="$HERE/results"
EXTRA=()
COMMAND="./bench/compare/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    --hours) HOURS="${2:?--hours needs a number}"; shift 2 ;;
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --meters-scale) METERS_SCALE="${2:?}"; shift 2 ;;
    --meters-hours) METERS_HOURS="${2:?}"; shift 2 ;;
    --skip-meters) EXTRA+=(--skip-meters); shift ;;
    --cardinality)
      [[ "${2:-}" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--cardinality needs meter counts like 10000,100000,1000000 (got '${2:-}')"
      EXTRA+=(--cardinality "$2"); shift 2 ;;
    --cardinality-hours|--long-series|--long-days|--long-interval)
      [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '${2:-}')"
      EXTRA+=("$1" "$2"); shift 2 ;;
    --skip-fleet) EXTRA+=(--skip-fleet); shift ;;
    --keep) KEEP=1; EXTRA+=(--keep); shift ;;
    --work-dir) WORK_PARENT="${2:?}"; shift 2 ;;
    --results-dir) RESULTS_DIR="${2:?}"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for v in SCALE HOURS RUNS METERS_SCALE METERS_HOURS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(echo "$v" | tr 'A-Z_' 'a-z-') must be a positive integer (got '${!v}')"
done
[ "$RUNS" -ge 7 ] || die "--runs must be at least 7"

# ---- what we need: our binaries, and Debian packages
for b in server/telemdbd bench/tool/telemdb-bench bench/fleet/telemdb-fleetgen; do
  [ -x "$BUILD/$b" ] || die "$BUILD/$b is missing: build first (./scripts/build.sh), or set BUILD_DIR (e.g. BUILD_DIR=build-main)"
done

PKGS=(victoria-metrics gnuplot-nox python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$INSTALL" = 1 ] || die "missing Debian packages: ${missing[*]} (run without --no-install, as root)"
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
  echo "run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${missing[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${missing[@]}"; } \
    || die "apt-get install ${missing[*]} failed"
fi
for t in victoria-metrics protoc grpc_python_plugin gnuplot du /usr/bin/python3; do
  command -v "$t" >/dev/null || die "$t not found after installing packages"
done

# ---- no packaged VictoriaMetrics may run beside ours (the package enables a service)
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl stop victoria-metrics.service >/dev/null 2>&1 || true
  systemctl disable victoria-metrics.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/victoria-metrics ]; then
  /etc/init.d/victoria-metrics stop >/dev/null 2>&1 || true
fi
# A packaged instance started some other way: the package's user or its data directory.
for d in /proc/[0-9]*; do
  pid="${d#/proc/}"
  [ "$(readlink "$d/exe" 2>/dev/null)" = /usr/bin/victoria-metrics ] || continue
  cmdline="$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null || true)"
  user="$(stat -c %U "$d" 2>/dev/null || true)"
  if [ "$user" = _victoria-metrics ] || [[ "$cmdline" == *"-storageDataPath=/var/lib/victoria-metrics"* ]]; then
    echo "run.sh: stopping the packaged victoria-metrics (pid $pid: $cmdline)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d "$d" ] || break; sleep 0.2; done
    [ -d "$d" ] && kill -9 "$pid" 2>/dev/null || true
  fi
done

# ---- the work directory
mkdir -p "$WORK_PARENT" || die "cannot create $WORK_PARENT"
WORK="$(cd "$WORK_PARENT" && pwd)/run-$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$WORK/stubs" "$WORK/logs"
STATUS=1

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  # compare.py stops its servers itself; this is for a compare.py that was killed.
  if [ -f "$WORK/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && [ -d "/proc/$pid" ] || continue
      exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
      case "$exe" in */telemdbd|*/victoria-metrics)
        echo "run.sh: stopping leftover $exe (pid $pid)"; kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
        [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true ;;
      esac
    done <"$WORK/pids"
  fi
  if [ "$KEEP" = 1 ]; then
    echo "run.sh: kept $WORK"
  elif [ "$STATUS" = 0 ]; then
    rm -rf "$WORK"
  else
    # keep the logs of a failed run, drop the big files
    find "$WORK" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
    echo "run.sh: logs of the failed run are in $WORK/logs" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

protoc -I "$ROOT/proto" --python_out="$WORK/stubs" --grpc_python_out="$WORK/stubs" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" "$ROOT"/proto/telemdb/v1/*.proto \
  || die "protoc could not generate the Python stubs from proto/telemdb/v1"

set +e
PYTHONPATH="$WORK/stubs" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$HERE/compare.py" \
  --work "$WORK" --build-dir "$BUILD_DIR" --scale "$SCALE" --hours "$HOURS" --runs "$RUNS" \
  --meters-scale "$METERS_SCALE" --meters-hours "$METERS_HOURS" --results-dir "$RESULTS_DIR" \
  --command "$COMMAND" ${EXTRA[@]+"${EXTRA[@]}"}
STATUS=$?
set -e
exit "$STATUS"
