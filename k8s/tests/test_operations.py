"""Operational wiring the rules in test_rules.py do not cover: every caller has the client
credentials identity knows it by (a service without them gets no service token, and the
gateway's sandbox-PSP pages answer 503), and metrics are for Prometheus, never the public."""

import base64

from manifests import SERVICES, by_name, of_kind, pod_template

CALLERS_WITH_TOKENS = [s for s in SERVICES if s != "identity"] + ["gateway"]
MIN_CLIENT_SECRET_LEN = 32  # identity refuses shorter ones (services/runtime/src/config/identity.rs)


def _env(deployment: dict) -> dict[str, dict]:
    container = pod_template(deployment)["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


def _secret_ref(entry: dict) -> tuple[str, str]:
    ref = entry["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_every_caller_has_its_own_client_credentials_from_a_secret(docs):
    for caller in CALLERS_WITH_TOKENS:
        env = _env(by_name(docs, "Deployment", caller))
        assert env.get("ESTELAM_AUTH__CLIENT_ID", {}).get("value") == caller, caller
        secret = env.get("ESTELAM_AUTH__CLIENT_SECRET")
        assert secret and "valueFrom" in secret, f"{caller}: the client secret comes from a Secret"
        secret_name, key = _secret_ref(secret)
        # Generated Secrets (dev) carry a content-hash suffix.
        assert secret_name.startswith("estelam-service-credentials") and key == caller, caller


def test_identity_knows_every_caller_by_the_same_secret(docs):
    env = _env(by_name(docs, "Deployment", "identity"))
    for caller in CALLERS_WITH_TOKENS:
        key = f"ESTELAM_IDENTITY__SERVICE_CLIENTS__{caller.upper()}"
        assert key in env, f"identity does not know {caller}"
        caller_secret = _env(by_name(docs, "Deployment", caller))["ESTELAM_AUTH__CLIENT_SECRET"]
        assert _secret_ref(env[key]) == _secret_ref(caller_secret), caller


def test_dev_client_secrets_are_long_enough_for_identity(docs, overlay):
    if overlay != "dev":
        return
    secret = next(s for s in of_kind(docs, "Secret")
                  if s["metadata"]["name"].startswith("estelam-service-credentials"))
    for caller in CALLERS_WITH_TOKENS:
        value = base64.b64decode(secret["data"][caller]).decode()
        assert len(value) >= MIN_CLIENT_SECRET_LEN, f"{caller}: {len(value)} characters"


def test_the_ingress_routes_only_to_the_gateways_public_port(docs):
    gateway = by_name(docs, "Service", "gateway")
    public = {p["name"]: p["port"] for p in gateway["spec"]["ports"]}["http"]
    # The gRPC Ingresses (grpc-ingress.yaml) have rules of their own (test_grpc_ingress.py).
    for ingress in [by_name(docs, "Ingress", "gateway")]:
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                port = path["backend"]["service"]["port"]
                assert port.get("name") == "http" or port.get("number") == public, ingress["metadata"]["name"]


def test_gateway_metrics_are_reachable_by_prometheus_only(docs):
    policy = by_name(docs, "NetworkPolicy", "gateway")
    namespaces_by_port: dict[int, set[str]] = {}
    for rule in policy["spec"]["ingress"]:
        for port in rule.get("ports", []):
            for peer in rule["from"]:
                ns = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                namespaces_by_port.setdefault(port["port"], set()).add(ns)
    assert namespaces_by_port.get(8080) == {"ingress-nginx"}, namespaces_by_port
    assert namespaces_by_port.get(9090) == {"monitoring"}, namespaces_by_port
    container = pod_template(by_name(docs, "Deployment", "gateway"))["spec"]["containers"][0]
    assert {"name": "admin", "containerPort": 9090} in container["ports"]


def test_prometheus_scrapes_the_gateway_on_its_admin_port():
    from conftest import docs_of
    docs = docs_of("prod")
    monitor = by_name(docs, "ServiceMonitor", "estelam-gateway")
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["admin"]


def test_secrets_the_services_need_come_from_secrets(docs):
    fees = _env(by_name(docs, "Deployment", "fees"))
    name, key = _secret_ref(fees["ESTELAM_FEES__PSP_SHARED_SECRET"])
    assert name.startswith("estelam-psp") and key == "secret"
    inquiry = _env(by_name(docs, "Deployment", "inquiry"))
    name, key = _secret_ref(inquiry["ESTELAM_INQUIRY__SIGNING_KEY_ENCRYPTION_KEY"])
    assert name.startswith("estelam-answer-signing") and key == "kek"
    identity = _env(by_name(docs, "Deployment", "identity"))
    name, key = _secret_ref(identity["ESTELAM_IDENTITY__SIGNING_KEY_ENCRYPTION_KEY"])
    assert name.startswith("estelam-token-signing") and key == "kek"


def test_dev_answer_signing_kek_is_32_bytes(docs, overlay):
    if overlay != "dev":
        return
    secret = next(s for s in of_kind(docs, "Secret")
                  if s["metadata"]["name"].startswith("estelam-answer-signing"))
    kek = base64.b64decode(base64.b64decode(secret["data"]["kek"]))
    assert len(kek) == 32


def test_public_links_point_at_the_ingress_host(docs):
    config = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("estelam-config"))
    host = by_name(docs, "Ingress", "gateway")["spec"]["rules"][0]["host"]
    # One source of truth: inquiry's and fees' links derive from the gateway's public address.
    assert config["data"]["ESTELAM_GATEWAY__PUBLIC_BASE_URL"].rstrip("/").endswith(f"//{host}")
    for derived in ("ESTELAM_INQUIRY__PUBLIC_BASE_URL", "ESTELAM_FEES__PSP_BASE_URL",
                    "ESTELAM_FEES__PUBLIC_BASE_URL"):
        assert derived not in config["data"], f"{derived} would override the derived link"
