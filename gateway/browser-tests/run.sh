#!/usr/bin/env bash
# Runs the portal's headless-browser tests: installs what they need (npm packages from the
# lock file; Debian's chromium if missing), starts the gateway on a free loopback port, and
# runs portal.test.mjs with node's test runner. Screenshots land in $ARTIFACTS (default:
# a fresh temp folder, printed at the end).
#
#   gateway/browser-tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -x /usr/bin/chromium ]]; then
  echo "==> installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -d node_modules/playwright-core ]]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> building estelam"
cargo build --quiet --bin estelam
bin="${CARGO_TARGET_DIR:-target}/debug/estelam"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export ARTIFACTS="${ARTIFACTS:-$(mktemp -d -t estelam-browser-XXXXXX)}"
data=$(mktemp -d -t estelam-data-XXXXXX)
mkdir -p "$ARTIFACTS"
log="$ARTIFACTS/gateway.log"

echo "==> starting the gateway on 127.0.0.1:$port"
ESTELAM_LISTEN__HTTP="127.0.0.1:$port" ESTELAM_DATA_DIR="$data" \
  "$bin" serve gateway >"$log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$gateway" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 0.1
done

echo "==> browser tests"
PORTAL_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 gateway/browser-tests/
echo "screenshots and the gateway log: $ARTIFACTS"
