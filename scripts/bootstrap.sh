#!/usr/bin/env bash
# Installs every Debian package telemdb needs to build, test and run. Idempotent: quiet when
# everything is present; runs `apt-get update` only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  librocksdb-dev libzstd-dev zstd
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev libre2-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libedit-dev
  python3 python3-grpcio python3-protobuf
  clang libclang-rt-14-dev
  gnuplot-nox util-linux procps
  libboost1.81-dev zlib1g-dev libsnappy-dev prometheus-cpp-dev
  python3-influxdb influxdb-client influxdb prometheus
  libjs-dygraphs chromium chromium-driver python3-selenium
  mosquitto mosquitto-clients libpaho-mqtt-dev python3-paho-mqtt libtomlplusplus-dev
  nats-server libnats-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
