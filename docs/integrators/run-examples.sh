#!/usr/bin/env bash
# Runs the integrator's guide (docs/integrators.md) against `estelam run`: every fenced block
# tagged `example=NAME` is taken out of the guide as written (extract.py) and run, in the
# guide's order, with the demo notary office's API client from demo.json — credentials, a
# token over HTTP and gRPC, filing on a citizen's behalf over gRPC (Python, server
# reflection only) and over HTTP (curl) to the signed answer, a batch, the answer verified,
# and the webhook receiver the guide shows, which must receive `answer.issued` for every
# answer and `batch.finished`, each with a Standard Webhooks signature that verifies.
# Fails on the first step that fails. Python packages (docs/integrators/requirements.txt) go
# into a venv under ~/.cache/estelam/, reused while the requirements are unchanged.
#
#   docs/integrators/run-examples.sh        # builds estelam if needed; about a minute after
#
# What the guide leaves to the municipality or the applicant is done here, as they would:
# the demo clerk issues a fresh request number for each filing, the applicants upload their
# own ID cards for the batch, and the files the office holds (card.png, deed.pdf) are made.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
guide=docs/integrators.md

requirements=docs/integrators/requirements.txt
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam"
venv="$cache/integrator-examples-$(sha256sum "$requirements" | cut -c1-12)"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "==> installing the examples' Python packages from PyPI into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
fi
command -v jq >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >/dev/null
}

export ARTIFACTS="${ARTIFACTS:-$(mktemp -d -t estelam-examples-XXXXXX)}"
mkdir -p "$ARTIFACTS"
# shellcheck source=../../gateway/ci/start-system.sh
source gateway/ci/start-system.sh

work=$(mktemp -d -t estelam-examples-work-XXXXXX)
echo "==> examples from $guide (extracted into $work/examples)"
"$venv/bin/python" docs/integrators/extract.py "$guide" "$work/examples" | tee "$work/list"

# In a subshell: its EXIT trap stops the receiver, while start-system's stops the system.
(
  set -euo pipefail
  cd "$work"
  export PATH="$venv/bin:$PATH" PYTHONPATH="$work/examples" PYTHONUNBUFFERED=1
  fail() { echo "FAILED: $*" >&2; exit 1; }
  has() { grep -q "^$1 " "$work/list" || fail "the guide has no example '$1'"; }
  # run <name>: a shell example is sourced (its variables carry over to the next, as in a
  # reader's terminal); a Python one runs with the examples' directory on its path.
  run() {
    has "$1"
    local ext needs
    read -r _ ext needs < <(grep "^$1 " "$work/list")
    if [[ $needs != - ]] && ! command -v "$needs" >/dev/null 2>&1; then
      echo "--- $1: skipped ($needs is not installed)"
      return 0
    fi
    echo "--- $1"
    if [[ $ext == sh ]]; then
      # shellcheck disable=SC1090
      source "examples/$1.sh" || fail "example $1"
    else
      python "examples/$1.py" | tee "out-$1.txt" || fail "example $1"
    fi
  }

  urls="$ESTELAM_DATA/urls.json"
  grpc_addr() { jq -r ".grpc.$1" "$urls" | sed 's#^https\?://##'; }
  export BASE="$ESTELAM_BASE" DEMO="$ESTELAM_DATA/demo.json"
  IDENTITY=$(grpc_addr identity) DOCUMENTS=$(grpc_addr documents) INQUIRY=$(grpc_addr inquiry)
  export IDENTITY DOCUMENTS INQUIRY

  # The files the office holds: a small greyscale PNG and a one-page PDF.
  python - <<'PY'
import struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
w, h = 320, 200
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"\0" * ((w + 1) * h))) + chunk(b"IEND", b"")
open("card.png", "wb").write(png)
open("deed.pdf", "wb").write(
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
PY

  run env

  # The municipality's part: the demo clerk issues request numbers (one per inquiry).
  login() { # login <national code> <password>: an access token
    curl -sSf -H 'content-type: application/json' "$BASE/api/v1/auth/login" \
      -d "$(jq -n --arg n "$1" --arg p "$2" '{national_code: $n, password: $p}')" |
      jq -r .tokens.access_token
  }
  clerk=$(login "$(jq -r .clerk.national_code "$DEMO")" "$(jq -r .clerk.password "$DEMO")")
  request_number() { # request_number <renovation code>
    curl -sSf -H "authorization: Bearer $clerk" -H 'content-type: application/json' \
      "$BASE/api/v1/parcels/$1/request-numbers" \
      -d "{\"client_request_id\":\"$(python -c 'import uuid; print(uuid.uuid4())')\",\"note\":\"guide\"}" |
      jq -r .number
  }

  run token
  [[ $TOKEN == ey* ]] || fail "token: no access token"
  run estelam_http
  run grpcurl-token
  run grpc-token

  # The admin's part: the first admin's one-time password (printed once, at the first
  # start), changed at the first login as it must be, for the admin's token.
  read -r admin_membership admin_otp < <(sed -n \
    's/.*membership code \([0-9]*\) and the one-time password \([^ ]*\).*/\1 \2/p' "$ESTELAM_LOG" | head -1)
  [[ -n ${admin_otp:-} ]] || fail "no first admin's one-time password in $ESTELAM_LOG"
  admin_login() { # admin_login <password>
    curl -sSf -H 'content-type: application/json' "$BASE/api/v1/auth/login" \
      -d "$(jq -n --arg m "$admin_membership" --arg p "$1" '{membership_code: $m, password: $p}')" |
      jq -r .tokens.access_token
  }
  admin_password="guide-$(python -c 'import secrets; print(secrets.token_hex(12))')"
  curl -sSf -o /dev/null -H "authorization: Bearer $(admin_login "$admin_otp")" \
    -H 'content-type: application/json' "$BASE/api/v1/me/password" \
    -d "$(jq -n --arg c "$admin_otp" --arg n "$admin_password" '{current_password: $c, new_password: $n}')"
  ADMIN_TOKEN=$(admin_login "$admin_password")
  export ADMIN_TOKEN

  run make-key
  run register-key
  run private-key-jwt

  # The receiver, on a free loopback port, subscribed first (`estelam run` allows http there).
  RECEIVER_PORT=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export RECEIVER_PORT RECEIVER_URL="http://127.0.0.1:$RECEIVER_PORT" EVENTS_FILE="$work/events.jsonl"
  run subscribe
  [[ $WEBHOOK_SECRET == whsec_* ]] || fail "subscribe: no secret"
  has webhook-receiver
  python examples/webhook-receiver.py >"$ARTIFACTS/receiver.log" 2>&1 &
  receiver_pid=$!
  trap 'kill "$receiver_pid" 2>/dev/null || true' EXIT
  python - <<'PY' || fail "the webhook receiver did not start"
import os, socket, time
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["RECEIVER_PORT"])), 1).close()
        raise SystemExit(0)
    except OSError:
        time.sleep(0.1)
raise SystemExit(1)
PY

  REQUEST_NUMBER=$(request_number "$RENOVATION_CODE") run grpcurl-file
  REQUEST_NUMBER=$(request_number "$RENOVATION_CODE") run grpc-file-one
  grpc_code=$(sed -n 's/.*verification code \([^ ]*\).*/\1/p' out-grpc-file-one.txt)
  [[ -n $grpc_code ]] || fail "grpc-file-one: no answer"
  REQUEST_NUMBER=$(request_number "$RENOVATION_CODE")
  run http-file-one
  [[ -n ${VERIFICATION_CODE:-} && $VERIFICATION_CODE != null ]] || fail "http-file-one: no answer"
  [[ $(head -c 4 answer.pdf) == %PDF ]] || fail "http-file-one: the answer's PDF"
  run verify-answer

  # The batch: two parcels of the citizen with nothing owed and one of the citizen who owes
  # levies (a court's inquiry does not wait on the parcel's debt), each applicant's own ID
  # card uploaded by them.
  CLERK_TOKEN=$clerk python - <<'PY' >parcels.jsonl
import json, os, subprocess, uuid
base, demo = os.environ["BASE"], json.load(open(os.environ["DEMO"]))
def curl(*args):
    return json.loads(subprocess.run(["curl", "-sSf", *args], check=True,
                                     capture_output=True, text=True).stdout)
for citizen in demo["citizens"]:
    token = curl("-H", "content-type: application/json", f"{base}/api/v1/auth/login", "-d",
                 json.dumps({"national_code": citizen["national_code"],
                             "password": citizen["password"]}))["tokens"]["access_token"]
    card = curl("-H", f"authorization: Bearer {token}", "-F", "kind=national_id_card",
                "-F", "file=@card.png", f"{base}/api/v1/documents")["document_id"]
    for _ in range(1 if citizen["has_debt"] else 2):
        number = curl("-H", f"authorization: Bearer {os.environ['CLERK_TOKEN']}",
                      "-H", "content-type: application/json",
                      f"{base}/api/v1/parcels/{citizen['renovation_code']}/request-numbers",
                      "-d", json.dumps({"client_request_id": str(uuid.uuid4())}))["number"]
        print(json.dumps({"renovation_code": citizen["renovation_code"], "request_number": number,
                          "applicant_national_code": citizen["national_code"],
                          "applicant_membership_code": citizen["membership_code"],
                          "applicant_full_name": citizen["name"],
                          "ownership_type": citizen["ownership_type"], "document_ids": [card]}))
PY
  CLIENT_BATCH_ID="guide-$(date +%s)-$$" run batch
  grep -q "'total': 3, 'issued': 3, 'awaiting_payment': 0, 'refused': 0" out-batch.txt ||
    fail "batch: expected every parcel answered"

  # Every answer and the batch's end pushed to the receiver, each signature verified there.
  echo "--- webhooks received"
  python - "$grpc_code" "$VERIFICATION_CODE" <<'PY' || fail "webhooks"
import json, os, sys, time
want = set(sys.argv[1:])
deadline = time.monotonic() + 60
while True:
    events = [json.loads(line) for line in open(os.environ["EVENTS_FILE"])] \
        if os.path.exists(os.environ["EVENTS_FILE"]) else []
    issued = {e["data"]["verification_code"] for e in events if e["type"] == "answer.issued"}
    finished = [e for e in events if e["type"] == "batch.finished"]
    if want <= issued and len(issued) >= len(want) + 3 and finished:
        break
    if time.monotonic() > deadline:
        sys.exit(f"expected answer.issued for {want} and three batch items, and batch.finished; got {events}")
    time.sleep(0.2)
for e in events:
    print(e["type"], e["data"].get("verification_code") or e["data"].get("batch_id"))
PY
  echo "==> every example of the integrator's guide ran"
)
rm -rf "$work"
