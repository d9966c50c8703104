# Sourced by the scripts that test a running system (browser tests, Schemathesis): builds
# estelam, starts `estelam run` — the whole system as `cargo run` starts it: embedded stores,
# in-process bus, the demo city and demo people — with a fresh data directory on ports the OS
# chooses, and waits (with a deadline) until it has written where it listens. Sets:
#   ESTELAM_BASE   the gateway's URL
#   ESTELAM_DATA   the data directory (demo.json is there)
#   ESTELAM_LOG    the system's log
# and stops the system and removes the data directory when the sourcing script exits.
# Needs ARTIFACTS (a folder for the log).

echo "==> building estelam"
cargo build --quiet --workspace
estelam_bin="${CARGO_TARGET_DIR:-target}/debug/estelam"

ESTELAM_DATA=$(mktemp -d -t estelam-data-XXXXXX)
ESTELAM_LOG="$ARTIFACTS/estelam.log"
estelam_urls="$ESTELAM_DATA/urls.json"

echo "==> starting estelam run (data in $ESTELAM_DATA)"
ESTELAM_DATA_DIR="$ESTELAM_DATA" ESTELAM_TELEMETRY__LOG_FORMAT=json \
  "$estelam_bin" run --base-port 0 --urls-file "$estelam_urls" >"$ESTELAM_LOG" 2>&1 &
estelam_pid=$!
trap 'kill "$estelam_pid" 2>/dev/null || true; wait "$estelam_pid" 2>/dev/null || true; rm -rf "$ESTELAM_DATA"' EXIT

estelam_deadline=$((SECONDS + 180))
until [[ -s "$estelam_urls" ]]; do
  if ! kill -0 "$estelam_pid" 2>/dev/null; then cat "$ESTELAM_LOG" >&2; exit 1; fi
  if ((SECONDS > estelam_deadline)); then
    echo "estelam run did not start within 180 s" >&2
    cat "$ESTELAM_LOG" >&2
    exit 1
  fi
  sleep 0.2
done
ESTELAM_BASE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gateway"])' "$estelam_urls")
export ESTELAM_BASE ESTELAM_DATA ESTELAM_LOG
echo "    listening at $ESTELAM_BASE"
