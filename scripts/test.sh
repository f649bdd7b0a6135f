#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite (ctest), except the suites
# labelled `long` (they start brokers, clusters, browsers or Prometheus, or run longer than
# 30 s): .ci/run runs those in a later stage, and `ctest -L long` in build/ runs them by hand.
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
./scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" -LE long "$@"
