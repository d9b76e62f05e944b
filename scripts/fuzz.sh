#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS seconds each (default 20: a CI smoke run).
# Longer fuzzing: FUZZ_SECONDS=3600 bash scripts/fuzz.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${FUZZ_SECONDS:-20}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
for t in "${targets[@]}"; do
  echo "-- fuzz $t for ${secs}s"
  log=$(mktemp)
  if ! cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    grep -vE '^#|Uses: ' "$log" | tail -n 80
    echo "fuzz target $t FAILED; the crashing input is in fuzz/artifacts/$t/"
    rm -f "$log"
    exit 1
  fi
  grep -E '^Done|^stat::' "$log" | head -n 4
  rm -f "$log"
done
