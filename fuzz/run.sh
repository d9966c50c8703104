#!/usr/bin/env bash
# Runs the cargo-fuzz targets for a bounded time each: `fuzz/run.sh [seconds-per-target]`
# (default 15, what CI uses; e.g. `fuzz/run.sh 600` for a longer local run). Every target runs:
# the domain parsers (services/domain), the GeoJSON parcel outlines and import checks, and the
# outlines' stored bytes (`outline_bytes`: decoding never panics and is canonical), all in
# services/parcel-geo, which has no database, RPC or runtime dependencies, so its instrumented
# build stays short. A target that panics or breaks one of its properties stops the run;
# libFuzzer writes the crashing input under fuzz/artifacts/<target>/ and prints the command
# that replays it. The corpus grows in fuzz/corpus/<target>/ (not committed) and is reused by
# later runs on the same machine.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-15}"
tools="${ESTELAM_TOOLS:-${HOME:-/root}/.cache/estelam/tools}"
export PATH="$tools/bin:$PATH"
# Fuzz builds are instrumented and need nightly: keep them apart from the main target dir.
export CARGO_TARGET_DIR="${ESTELAM_FUZZ_TARGET_DIR:-${HOME:-/root}/.cache/estelam/fuzz-target}"
cargo +nightly fuzz build --dev
for target in $(cargo +nightly fuzz list); do
  printf '\n--- fuzz %s (%ss)\n' "$target" "$seconds"
  mkdir -p "corpus/$target"
  log="$(mktemp)"
  status=0
  cargo +nightly fuzz run --dev "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    rm -f "$log"
    echo "error: fuzz target $target failed; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$log" || true
  rm -f "$log"
done
