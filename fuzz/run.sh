#!/usr/bin/env bash
#   fuzz/run.sh [SECONDS] [TARGET...]
# Runs every libFuzzer target (or only the TARGETs named) for SECONDS each (default 60) from its seed corpus, in the
# clang sanitizer tree (build-asan, or $ASAN_BUILD_DIR). New inputs go to a scratch copy, so
# the committed corpus stays as it is. A crash fails the run and leaves its input in
# fuzz/artifacts/<target>/ (make it a regression seed under fuzz/corpus/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
only=" $* "
build=${ASAN_BUILD_DIR:-build-asan}
targets=(chunk_decode_fuzzer:storage/codec lineproto_fuzzer:ingest/lineproto
         query_parser_fuzzer:query/lang wal_reader_fuzzer:fuzz write_request_fuzzer:fuzz
         csv_fuzzer:cli mqtt_fuzzer:ingest/mqtt)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for entry in "${targets[@]}"; do
  name=${entry%%:*}
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  bin="$build/${entry#*:}/$name"
  [ -x "$bin" ] || { echo "== $name: not built ($bin), skipped"; continue; }
  mkdir -p "$scratch/$name" "fuzz/artifacts/$name"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$scratch/$name/"
  echo "== $name: ${seconds}s"
  if ! "$bin" "$scratch/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="fuzz/artifacts/$name/" -print_final_stats=1 2>"$scratch/$name.log"; then
    echo "!! $name found a crash:"; tail -40 "$scratch/$name.log"; failed=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$name.log" || true
  fi
done
exit $failed
