#!/usr/bin/env bash
# Configures and builds the release tree in build/ (override with BUILD_DIR), showing
# ninja's progress. Extra arguments go to cmake's configure step.
#
#   TELEMDB_TARGETS="telemdbd telemdb_cli" ./scripts/build.sh   # only these targets
#
# ccache is used when it is installed (scripts/bootstrap.sh installs it), with paths made
# relative to the source tree so that a fresh clone elsewhere reuses the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    # base_dir: the clone's own path is left out of the hash (CI clones afresh each time);
    # nohashdir: with -g the working directory would be hashed too.
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER="/usr/bin/env;CCACHE_BASEDIR=$ROOT;CCACHE_NOHASHDIR=true;ccache"
              -DCMAKE_CXX_COMPILER_LAUNCHER="/usr/bin/env;CCACHE_BASEDIR=$ROOT;CCACHE_NOHASHDIR=true;ccache")
  fi
  echo "build: configuring $BUILD_DIR (CMake + Ninja${launcher:+, ccache})" >&2
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" \
    >/dev/null
fi
targets=()
for t in ${TELEMDB_TARGETS:-}; do targets+=(--target "$t"); done
echo "build: compiling ${TELEMDB_TARGETS:-everything} with $(nproc) jobs" >&2
start=$(date +%s)
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
echo "build: done in $(( $(date +%s) - start )) s" >&2
