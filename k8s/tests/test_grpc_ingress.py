"""The authority-facing gRPC API (issue 17): identity's token call, inquiry, documents and
property's read calls are reachable from outside through the ingress controller, over HTTP/2
with TLS, and nothing else is: no other method of identity or property, nothing of fees, and
no pod-to-pod path the call graph does not allow."""

from manifests import SERVICES, by_name, of_kind, pod_template, selects
from test_rules import _peer_matches, _port_matches, policies

INGRESS_NS = {"kubernetes.io/metadata.name": "ingress-nginx"}
GRPC_PORT = 50051

# What each exposed service routes from outside: exact gRPC methods, or the whole service.
EXPOSED = {
    "identity": {
        "/estelam.identity.v1.IdentityService/ClientCredentialsToken",
        "/estelam.identity.v1.IdentityService/GetSigningKeys",
    },
    "inquiry": {"/estelam.inquiry.v1.InquiryService"},
    "documents": {"/estelam.documents.v1.DocumentService"},
    "property": {
        "/estelam.property.v1.PropertyService/GetParcel",
        "/estelam.property.v1.PropertyService/FindParcelsByRegistryPlate",
        "/estelam.property.v1.PropertyService/PickAt",
        "/estelam.property.v1.PropertyService/ParcelsInBox",
    },
}
# Every exposed host also answers reflection (v1 and v1alpha) and health for its service.
DISCOVERY = {
    "/grpc.reflection.v1.ServerReflection",
    "/grpc.reflection.v1alpha.ServerReflection",
    "/grpc.health.v1.Health",
}


def grpc_ingresses(docs):
    return [i for i in of_kind(docs, "Ingress")
            if i["metadata"].get("annotations", {}).get(
                "nginx.ingress.kubernetes.io/backend-protocol") == "GRPC"]


def ingress_reaches(docs, service: str, port: int) -> bool:
    """May a pod of the ingress controller's namespace reach `service`'s pods on `port`?"""
    pod = pod_template(by_name(docs, "Deployment", service))["metadata"]["labels"]
    selecting = [p for p in policies(docs) if selects(p["spec"]["podSelector"], pod)
                 and "Ingress" in p["spec"]["policyTypes"]]
    rules = [r for p in selecting for r in p["spec"].get("ingress", []) or []]
    return any(_port_matches(r, port) and any(_peer_matches(peer, {}, INGRESS_NS)
                                               for peer in r.get("from", []))
               for r in rules)


def test_each_exposed_service_has_one_grpc_ingress_with_tls(docs):
    by_service = {}
    for ing in grpc_ingresses(docs):
        backends = {p["backend"]["service"]["name"] for r in ing["spec"]["rules"]
                    for p in r["http"]["paths"]}
        assert len(backends) == 1, f"{ing['metadata']['name']} routes to {backends}"
        by_service[backends.pop()] = ing
        assert ing["spec"]["ingressClassName"] == "nginx"
        hosts = {r["host"] for r in ing["spec"]["rules"]}
        tls_hosts = {h for t in ing["spec"].get("tls", []) for h in t["hosts"]}
        assert hosts and hosts <= tls_hosts, f"{ing['metadata']['name']}: gRPC needs TLS on {hosts}"
    assert set(by_service) == set(EXPOSED)


def test_grpc_ingresses_route_only_the_authority_facing_methods(docs):
    for ing in grpc_ingresses(docs):
        paths = [p for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
        service = paths[0]["backend"]["service"]["name"]
        routed = {p["path"] for p in paths}
        assert routed == EXPOSED[service] | DISCOVERY, f"{service}: {routed}"
        for p in paths:
            # A method is matched exactly; only a whole exposed service is a prefix.
            if p["path"].count("/") == 2:
                assert p["pathType"] == "Exact", p
            assert p["backend"]["service"]["port"] == {"name": "grpc"}


def test_gateway_ingress_stays_http():
    # The HTTP entrance is unchanged by the gRPC one (guards a copy-paste of the annotation).
    from conftest import docs_of
    for overlay in ("dev", "prod"):
        gw = by_name(docs_of(overlay), "Ingress", "gateway")
        annotations = gw["metadata"].get("annotations", {})
        assert "nginx.ingress.kubernetes.io/backend-protocol" not in annotations


def test_the_ingress_controller_reaches_exactly_the_exposed_services(docs):
    for service in SERVICES:
        assert ingress_reaches(docs, service, GRPC_PORT) == (service in EXPOSED), service
    # Never the admin port (metrics) of any service.
    for service in SERVICES:
        assert not ingress_reaches(docs, service, 9090), f"{service} admin port"


def test_the_policy_check_itself():
    docs = [{
        "kind": "Deployment", "metadata": {"name": "x"},
        "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "x"}}}},
    }, {
        "kind": "NetworkPolicy", "metadata": {"name": "x"},
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}},
                 "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": INGRESS_NS}}],
                              "ports": [{"protocol": "TCP", "port": GRPC_PORT}]}]},
    }]
    assert ingress_reaches(docs, "x", GRPC_PORT)
    assert not ingress_reaches(docs, "x", 9090)
    docs[1]["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] = {
        "kubernetes.io/metadata.name": "elsewhere"}
    assert not ingress_reaches(docs, "x", GRPC_PORT)
