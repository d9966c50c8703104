"""Per-call load balancing (issue 21): a Kubernetes Service balances connections, not calls,
so with long-lived HTTP/2 channels every caller would pin one replica. Each service the
others call over gRPC therefore has a headless Service (one DNS record per ready pod), and
every caller's endpoint setting names it, so the clients resolve every replica and balance
each call themselves (services/runtime/src/balance.rs). The normal Service stays for what
needs one address: the Ingress and the scraping."""

from manifests import SERVICES, by_name, of_kind, pod_template, selects

GRPC_PORT = 50051


def config(docs) -> dict:
    maps = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("estelam-config")]
    assert maps, "no estelam-config ConfigMap"
    return maps[0]["data"]


def headless_for(docs, service: str) -> list[dict]:
    pods = pod_template(by_name(docs, "Deployment", service))["metadata"]["labels"]
    return [s for s in of_kind(docs, "Service")
            if s["spec"].get("clusterIP") == "None"
            and selects({"matchLabels": s["spec"]["selector"]}, pods)]


def test_every_service_has_a_headless_service_on_its_grpc_port(docs):
    for service in SERVICES:
        found = headless_for(docs, service)
        assert len(found) == 1, f"{service}: {len(found)} headless Services select its pods"
        ports = {p["name"]: p for p in found[0]["spec"]["ports"]}
        assert ports.get("grpc", {}).get("port") == GRPC_PORT, f"{service}: {ports}"
        assert ports["grpc"]["targetPort"] == "grpc"
        # Only ready pods: a pod that is starting or draining gets no calls.
        assert not found[0]["spec"].get("publishNotReadyAddresses", False), service


def test_every_client_endpoint_names_the_headless_service(docs):
    env = config(docs)
    for service in SERVICES:
        headless = headless_for(docs, service)[0]["metadata"]["name"]
        endpoint = env[f"ESTELAM_ENDPOINTS__{service.upper()}"]
        assert endpoint == f"http://{headless}:{GRPC_PORT}", (
            f"{service}: callers reach {endpoint}, which pins one pod per connection; "
            f"name the headless Service {headless}")


def test_the_ingress_and_the_scraping_keep_a_normal_service(docs):
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    for ing in of_kind(docs, "Ingress"):
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = services[path["backend"]["service"]["name"]]
                assert backend["spec"].get("clusterIP") != "None", ing["metadata"]["name"]
    for service in SERVICES:
        normal = services[service]
        assert normal["spec"].get("clusterIP") != "None", service
        assert {p["name"] for p in normal["spec"]["ports"]} >= {"grpc", "admin"}, service
