#!/usr/bin/env bash
# Schemathesis against the running system's own OpenAPI document, with all its checks: every
# operation of /api/openapi.json is called with generated valid and invalid input, and the
# run fails on any 5xx, any response that contradicts the document, a request valid by the
# document that is refused (or an invalid one accepted), a protected route that answers an
# anonymous request with anything but 401, and the rest of `--checks all`.
#
# The custom string formats of the document (a national code's check digit, the Damm check
# digit of the system's codes, a Jalali date that exists) get their generators from
# schemathesis_hooks.py. Each pass logs in as a demo person (demo.json lists them), so the
# routes for staff and offices are exercised too, not only answered 403:
#   citizen    every operation (logging out last, as it ends the pass's session);
#   clerk      the staff routes (request numbers, revocations, representation decisions);
#   authority  the office's routes (filing on behalf, batches, status, its account, webhooks).
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

export SCHEMATHESIS_HOOKS="$PWD/gateway/ci/schemathesis_hooks.py"
ST_ORGANIZATION_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["authority"]["organization_id"])' \
  "$ESTELAM_DATA/demo.json")
export ST_ORGANIZATION_ID

# An access token of a demo person (`citizen`, `clerk` or `authority`), as any client gets one.
token_of() {
  python3 - "$ESTELAM_BASE" "$ESTELAM_DATA/demo.json" "$1" <<'PY'
import json, sys, urllib.request
base, demo, who = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
person = demo["citizens"][0] if who == "citizen" else demo[who]
body = json.dumps({"national_code": person["national_code"], "password": person["password"]}).encode()
request = urllib.request.Request(base + "/api/v1/auth/login", data=body,
                                 headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(request))["tokens"]["access_token"])
PY
}

# One pass as `who` over the operations the remaining arguments select.
pass_as() {
  local who=$1
  shift
  echo "==> schemathesis as the demo $who against $ESTELAM_BASE/api/openapi.json"
  "$venv/bin/st" --config-file gateway/ci/schemathesis.toml run "$ESTELAM_BASE/api/openapi.json" \
    --checks all \
    --max-examples "${ST_MAX_EXAMPLES:-5}" \
    --seed "${ST_SEED:-20261129}" \
    --workers 1 \
    --header "Authorization: Bearer $(token_of "$who")" \
    --report junit --report-dir "$ARTIFACTS/$who" \
    --no-color \
    "$@"
}

# Every pass runs, so one report shows all that failed; the script fails if any did.
failed=0
# Logging out (`all_sessions`) ends the token a pass runs with: it gets a pass of its own, last.
pass_as citizen --exclude-path /api/v1/auth/logout || failed=1
pass_as clerk \
  --include-path-regex '/request-numbers$|/answer/revoke$|/representation/decision$|/review/decision$|/desk/reviews$' || failed=1
pass_as authority \
  --include-path-regex '/on-behalf$|/batches|/inquiries/status$|/organizations/\{id\}/(account|webhooks)' ||
  failed=1
pass_as citizen --include-path /api/v1/auth/logout || failed=1
echo "reports and the system's log: $ARTIFACTS"
exit "$failed"
