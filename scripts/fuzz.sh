#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, cargo-fuzz on the nightly toolchain) for SECONDS each (default
# 30), from the committed seeds in fuzz/corpus/TARGET; what a run finds grows .cache/fuzz/TARGET,
# which is not committed. A crash stops the run with libFuzzer's report and the input that
# crashed under fuzz/artifacts/. For a longer hunt: scripts/fuzz.sh 3600, or one target with
#   cd fuzz && cargo +nightly fuzz run bodies ../.cache/fuzz/bodies corpus/bodies
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-30}"
cd fuzz
cargo +nightly fuzz build
for t in $(cargo +nightly fuzz list); do
  mkdir -p "../.cache/fuzz/$t"
  log="../.cache/fuzz/$t.log"
  echo "== fuzz $t for ${SECONDS_EACH}s"
  if ! cargo +nightly fuzz run "$t" "../.cache/fuzz/$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -60 "$log"
    echo "fuzz target $t failed (input under fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" | tr '\n' ' '
  echo
done
