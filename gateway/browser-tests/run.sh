#!/usr/bin/env bash
# Runs the portal's headless-browser tests: installs what they need (npm packages from the
# lock file; Debian's chromium if missing), starts the whole system with `estelam run` on
# OS-chosen ports and a fresh data directory, and runs every *.test.mjs here with node's test
# runner. Screenshots and downloaded answers land in $ARTIFACTS (default: a fresh temp
# folder, printed at the end).
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

export ARTIFACTS="${ARTIFACTS:-$(mktemp -d -t estelam-browser-XXXXXX)}"
mkdir -p "$ARTIFACTS"
source gateway/ci/start-system.sh
cp "$ESTELAM_DATA/demo.json" "$ARTIFACTS/demo.json"

echo "==> browser tests against $ESTELAM_BASE"
ESTELAM_BIN="$estelam_bin" PORTAL_URL="$ESTELAM_BASE" DEMO_JSON="$ESTELAM_DATA/demo.json" ESTELAM_LOG="$ESTELAM_LOG" \
  node --test --test-concurrency=1 gateway/browser-tests/
echo "screenshots, downloaded answers and the system's log: $ARTIFACTS"
