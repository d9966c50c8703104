#!/usr/bin/env bash
# Schemathesis against the running system's own OpenAPI document: every operation of
# /api/openapi.json is called with generated (valid and invalid) input, logged in as a demo
# citizen, and the run fails on any 5xx or any response that contradicts the document.
# Installs Schemathesis from PyPI into a venv under ~/.cache, starts `estelam run` (see
# start-system.sh), and writes its reports to $ARTIFACTS.
#
#   gateway/ci/schemathesis.sh                       # bounded, as CI runs it
#   ST_MAX_EXAMPLES=100 gateway/ci/schemathesis.sh   # the full run (tens of minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."

version=4.32.5
venv="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam/schemathesis-$version"
if [[ ! -x "$venv/bin/st" ]]; then
  echo "==> installing schemathesis $version from PyPI into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

export ARTIFACTS="${ARTIFACTS:-$(mktemp -d -t estelam-schemathesis-XXXXXX)}"
mkdir -p "$ARTIFACTS"
# Generated requests come fast from one address and one account: lift the gateway's rate
# limits so they reach the routes instead of the limiter (its 429s are tested elsewhere).
export ESTELAM_GATEWAY__PER_IP_PER_MINUTE=1000000 ESTELAM_GATEWAY__PER_IP_BURST=100000 \
  ESTELAM_GATEWAY__PER_USER_PER_MINUTE=1000000 ESTELAM_GATEWAY__PER_USER_BURST=100000
source gateway/ci/start-system.sh

# A demo citizen's access token (demo.json lists them), as any client would get one.
token=$(python3 - "$ESTELAM_BASE" "$ESTELAM_DATA/demo.json" <<'PY'
import json, sys, urllib.request
base, demo = sys.argv[1], json.load(open(sys.argv[2]))
citizen = demo["citizens"][0]
body = json.dumps({"national_code": citizen["national_code"], "password": citizen["password"]}).encode()
request = urllib.request.Request(base + "/api/v1/auth/login", data=body,
                                 headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(request))["tokens"]["access_token"])
PY
)

echo "==> schemathesis against $ESTELAM_BASE/api/openapi.json"
"$venv/bin/st" run "$ESTELAM_BASE/api/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${ST_MAX_EXAMPLES:-5}" \
  --seed "${ST_SEED:-20261129}" \
  --workers 1 \
  --header "Authorization: Bearer $token" \
  --report junit --report-dir "$ARTIFACTS" \
  --no-color
echo "reports and the system's log: $ARTIFACTS"
