"""The smoke test of the played dev overlay, through the gateway as a citizen's browser
would use it (standard library only).

1. Readiness, by hand (podman runs no probes): each service's startup probe (`/readyz` on
   its admin port) and the gateway's readiness (`/readyz`, 200 only when every service
   answers grpc.health.v1: the services' gRPC readiness probes, through the gateway) and
   liveness (`/healthz`). Each one's time from its container's start to ready is printed.
2. The owner of the seeded demo parcel (`estelam seed`: 0076229645 owns 1-1-1-1-0-0 with
   request numbers 0000000013 and 0000000021) registers and logs in.
3. A clearance inquiry — the owner's own type with the `levies-settlement` undertaking, no
   letter and no inquiry fee — on that parcel: undertakings, parcel and request number, the
   national ID card and the deed uploaded, the applicant, submit. The parcel owes levies
   (the demo's arrears), so the bill is paid at the sandbox bank's page; fees publishes
   `fees.debt.cleared` on RabbitMQ and inquiry issues the no-debt certificate.
4. The answer is verified at the public verification endpoint, without a login.
5. A second clearance inquiry on the same parcel, now owing nothing, with the other request
   number: Submit issues the answer at once with nothing to pay, and it verifies too.

  python3 smoke.py --net 127.0.86 --started EPOCH [--report FILE]
"""

import argparse
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zlib
from datetime import datetime

HOSTS = {"identity": 1, "property": 2, "documents": 3, "fees": 4, "inquiry": 5, "gateway": 6,
         "notifications": 7}
OWNER = {"national_code": "0076229645", "first_name": "علی", "last_name": "رضایی",
         "renovation_code": "1-1-1-1-0-0"}
# The seed's two valid request numbers of that parcel (sequence 1 and 2, Damm check digit).
REQUEST_NUMBERS = ("0000000013", "0000000021")
# Bounds on waiting, not assertions on time: a slow machine only waits longer.
READY_WITHIN_S = 180
ISSUED_WITHIN_S = 60


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(method, url, body=None, token=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with OPENER.open(req, timeout=30) as r:
            status, headers, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, headers, parsed


def expect(what, reply, *statuses):
    status, _, body = reply
    if status not in statuses:
        raise SystemExit(f"smoke: {what}: HTTP {status}: {body}")
    print(f"  ok  {what} ({status})")
    return body


def started_at(container):
    out = subprocess.run(["podman", "inspect", "--format", "{{.State.StartedAt.Unix}}."
                          "{{.State.StartedAt.Nanosecond}}", container],
                         check=True, capture_output=True, text=True).stdout.strip()
    secs, nanos = out.split(".")
    return int(secs) + int(nanos) / 1e9


def wait_ready(net, started):
    """Polls every probe endpoint until it answers 200; returns seconds to ready."""
    probes = {name: f"http://{net}.{n}:9090/readyz" for name, n in HOSTS.items() if name != "gateway"}
    probes["gateway"] = f"http://{net}.6:8080/readyz"
    ready = {}
    deadline = time.time() + READY_WITHIN_S
    while len(ready) < len(probes):
        for name, url in probes.items():
            if name in ready:
                continue
            try:
                with urllib.request.urlopen(url, timeout=3) as r:
                    if r.status == 200:
                        ready[name] = time.time()
            except (urllib.error.URLError, OSError):
                pass
        if time.time() > deadline:
            missing = sorted(set(probes) - set(ready))
            raise SystemExit(f"smoke: not ready within {READY_WITHIN_S}s: {missing}")
        time.sleep(0.2)
    result = {}
    for name in probes:
        container_start = started_at(f"{name}-pod-0-estelam")
        result[name] = {"ready_after_container_start_s": round(ready[name] - container_start, 2),
                        "ready_after_play_s": round(ready[name] - started, 2)}
        print(f"  ok  {name} ready {result[name]['ready_after_container_start_s']} s after its "
              f"container started ({probes[name]})")
    for name, n in HOSTS.items():
        url = f"http://{net}.{n}:{8080 if name == 'gateway' else 9090}/healthz"
        expect(f"{name} liveness {url}", call("GET", url), 200)
    return result


def png(width=320, height=200):
    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    idat = zlib.compress(bytes((width + 1) * height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf():
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def upload(base, token, kind, name, mime, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    reply = call("POST", f"{base}/api/v1/documents", body, token,
                 f"multipart/form-data; boundary={boundary}")
    return expect(f"upload {name}", reply, 201)["document_id"]


def log_in_as_owner(base):
    mobile = f"0912{int(time.time()) % 10_000_000:07d}"
    password = f"smoke {uuid.uuid4().hex}"
    expect("register the parcel's owner", call("POST", f"{base}/api/v1/auth/register", {
        "national_code": OWNER["national_code"], "first_name": OWNER["first_name"],
        "last_name": OWNER["last_name"], "mobile": mobile, "password": password}), 201)
    login = expect("log in", call("POST", f"{base}/api/v1/auth/login", {
        "national_code": OWNER["national_code"], "password": password}), 200)
    return login["tokens"]["access_token"]


def inquiry(base, token, request_number, debt_expected):
    """Files one clearance inquiry on the owner's parcel and verifies its answer. With
    `debt_expected` the parcel owes levies and the bill is paid at the sandbox bank; without,
    the parcel owes nothing and the answer must be issued by Submit itself, with no bill."""
    types = expect("request types", call("GET", f"{base}/api/v1/request-types", token=token), 200)
    clearance = next(t for t in types["request_types"] if t["code"] == "clearance")
    assert clearance["letter_required"] is False, clearance
    assert any(u["undertaking_version_id"].startswith("levies-settlement@")
               for u in clearance["undertakings"]), clearance
    inq = expect("a clearance inquiry", call("POST", f"{base}/api/v1/inquiries", {
        "request_type_code": "clearance", "client_request_id": uuid.uuid4().hex}, token), 201)
    path = f"{base}/api/v1/inquiries/{inq['inquiry_id']}"

    def step(name, fields, method="PUT"):
        nonlocal inq
        fields.update(expected_version=inq["version"], client_request_id=uuid.uuid4().hex)
        body = expect(name, call(method, f"{path}/{name}", fields, token), 200, 201)
        inq = body["inquiry"] if name == "submit" else body
        return body

    step("undertakings", {"undertaking_version_ids":
                          [u["undertaking_version_id"] for u in clearance["undertakings"]]})
    step("property", {"renovation_code": OWNER["renovation_code"],
                      "request_number": request_number})
    documents = [upload(base, token, "national_id_card", "card.png", "image/png", png()),
                 upload(base, token, "ownership_deed", "deed.pdf", "application/pdf", pdf())]
    step("documents", {"document_ids": documents})
    step("applicant", {"full_name": f"{OWNER['first_name']} {OWNER['last_name']}",
                       "national_code": OWNER["national_code"], "ownership_type": "full"})
    submitted = step("submit", {}, "POST")
    print(f"      state {inq['state']}, bill {json.dumps(submitted.get('bill', {}).get('total_rials'))}")
    if not debt_expected:
        owed = (submitted.get("bill") or {}).get("total_rials")
        if inq["state"] != "issued" or owed not in (None, 0, "0"):
            raise SystemExit(f"smoke: a parcel with no debt is not issued at submit: {submitted}")
        print("  ok  no debt: the answer is issued by Submit itself, nothing to pay")
    elif inq["state"] == "issued":
        raise SystemExit(f"smoke: the parcel's arrears were not billed: {submitted}")
    else:
        payment = expect("start the payment", call("POST", f"{path}/payments", {
            "expected_version": inq["version"], "client_request_id": uuid.uuid4().hex,
            "return_url": f"/inquiries/{inq['inquiry_id']}"}, token), 201)
        # The bank's page is at the public base URL; here it is the gateway's own path.
        redirect = payment["redirect_url"]
        page_path = redirect[redirect.index("/psp/"):]
        _, _, page = call("GET", f"{base}{page_path}")
        assert 'value="pay"' in str(page), page
        psp_token = page_path.split("token=", 1)[1].split("&", 1)[0]
        expect("pay at the sandbox bank", call(
            "POST", f"{base}/psp/pay", f"token={psp_token}&choice=pay".encode(),
            content_type="application/x-www-form-urlencoded"), 303)
        deadline = time.time() + ISSUED_WITHIN_S
        while inq["state"] != "issued":
            if time.time() > deadline:
                raise SystemExit(f"smoke: not issued within {ISSUED_WITHIN_S}s: {inq['state']}")
            time.sleep(0.5)
            inq = expect_quiet(call("GET", path, token=token))
        print("  ok  the answer is issued (fees.debt.cleared → inquiry over RabbitMQ)")
    answer = expect("the answer", call("GET", f"{path}/answer", token=token), 200)
    code = answer["verification_code"]
    verified = expect(f"public verification of {code}",
                      call("GET", f"{base}/api/v1/answers/{code}"), 200)
    if verified.get("result") != "valid":
        raise SystemExit(f"smoke: the verification endpoint does not say valid: {verified}")
    print("  ok  verified: valid")


def expect_quiet(reply):
    status, _, body = reply
    if status != 200:
        raise SystemExit(f"smoke: HTTP {status}: {body}")
    return body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", required=True)
    p.add_argument("--started", type=float, required=True)
    p.add_argument("--report", default="/dev/null")
    a = p.parse_args()
    ready = wait_ready(a.net, a.started)
    base = f"http://{a.net}.6:8080"
    token = log_in_as_owner(base)
    # First the demo's arrears are billed and paid; then, on the same parcel and with its
    # other request number, an inquiry on a parcel that owes nothing is issued at submit.
    inquiry(base, token, REQUEST_NUMBERS[0], debt_expected=True)
    inquiry(base, token, REQUEST_NUMBERS[1], debt_expected=False)
    with open(a.report, "w") as f:
        json.dump({"at": datetime.now().isoformat(timespec="seconds"), "ready": ready}, f, indent=2)
    print("smoke: 2 passed, 0 failed")


if __name__ == "__main__":
    main()
