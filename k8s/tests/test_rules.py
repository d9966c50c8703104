"""Rules every rendered overlay must keep. Each test names the object that breaks a rule."""

import pytest
import yaml

from conftest import docs_of, K8S
from manifests import (CALLERS, SERVICES, WORKLOAD_KINDS, by_name, containers, image_pinned,
                       name, of_kind, pod_template, selects)

# --- probes and resources --------------------------------------------------------------------


def test_every_long_running_container_has_liveness_and_readiness_probes(docs):
    # Jobs run to completion and serve nothing: their pods are bounded by backoffLimit and
    # activeDeadlineSeconds instead (checked below).
    missing = [f"{name(d)}:{c['name']}:{probe}"
               for d in of_kind(docs, "Deployment", "StatefulSet", "DaemonSet")
               for c in pod_template(d)["spec"]["containers"]
               for probe in ("livenessProbe", "readinessProbe") if probe not in c]
    assert not missing, f"containers without probes: {missing}"


def test_jobs_are_bounded(docs):
    for job in of_kind(docs, "Job"):
        assert job["spec"].get("activeDeadlineSeconds"), name(job)
        assert job["spec"].get("backoffLimit") is not None, name(job)


def test_services_probe_grpc_health_and_the_gateway_probes_http(docs):
    for d in of_kind(docs, "Deployment"):
        c = pod_template(d)["spec"]["containers"][0]
        if d["metadata"]["name"] == "gateway":
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        elif d["metadata"]["name"] in SERVICES:
            assert c["readinessProbe"]["grpc"]["port"] == 50051, name(d)
            assert c["livenessProbe"]["grpc"]["port"] == 50051, name(d)


def _quantity(q) -> float:
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit in sorted(units, key=len, reverse=True):
        if q.endswith(unit):
            return float(q[: -len(unit)]) * units[unit]
    return float(q)


def test_every_container_has_cpu_and_memory_requests_and_limits(docs):
    for d in of_kind(docs, *WORKLOAD_KINDS):
        for c in containers(d):
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    assert r in res.get(kind, {}), f"{name(d)}:{c['name']} has no {kind}.{r}"
            for r in ("cpu", "memory"):
                assert _quantity(res["requests"][r]) <= _quantity(res["limits"][r]), f"{name(d)}:{c['name']} {r}"


# --- the restricted Pod Security Standard ----------------------------------------------------


def test_every_pod_meets_the_restricted_pod_security_standard(docs):
    problems = []
    for d in of_kind(docs, *WORKLOAD_KINDS):
        spec = pod_template(d)["spec"]
        psc = spec.get("securityContext", {})
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{name(d)}: {host}")
        if any("hostPath" in v for v in spec.get("volumes", [])):
            problems.append(f"{name(d)}: hostPath volume")
        if psc.get("runAsUser") == 0:
            problems.append(f"{name(d)}: pod runAsUser 0")
        for c in containers(d):
            csc = c.get("securityContext", {})
            where = f"{name(d)}:{c['name']}"
            if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                problems.append(f"{where}: runAsNonRoot")
            if csc.get("runAsUser", psc.get("runAsUser")) == 0:
                problems.append(f"{where}: runAsUser 0")
            if csc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation")
            if csc.get("privileged"):
                problems.append(f"{where}: privileged")
            if csc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem")
            caps = csc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                problems.append(f"{where}: capabilities.drop ALL")
            if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
                problems.append(f"{where}: capabilities.add {caps['add']}")
            seccomp = csc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{where}: seccompProfile {seccomp}")
    assert not problems, problems


def test_namespaces_enforce_the_restricted_profile(docs):
    for ns in of_kind(docs, "Namespace"):
        assert ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted", name(ns)


def test_no_pod_mounts_a_service_account_token(docs):
    for d in of_kind(docs, *WORKLOAD_KINDS):
        assert pod_template(d)["spec"].get("automountServiceAccountToken") is False, name(d)
    for sa in of_kind(docs, "ServiceAccount"):
        assert sa.get("automountServiceAccountToken") is False, name(sa)


# --- images ------------------------------------------------------------------------------


def all_images(docs):
    for d in of_kind(docs, *WORKLOAD_KINDS):
        for c in containers(d):
            yield name(d), c.get("image", "")
    for d in of_kind(docs, "Cluster"):
        yield name(d), d["spec"].get("imageName", "")
    for d in of_kind(docs, "RabbitmqCluster"):
        yield name(d), d["spec"].get("image", "")


def test_every_image_is_pinned(docs):
    loose = [(n, i) for n, i in all_images(docs) if not image_pinned(i)]
    assert not loose, f"images without an exact tag or digest: {loose}"


@pytest.mark.parametrize("image,pinned", [
    ("estelam", False), ("estelam:latest", False), ("registry:5000/estelam", False),
    ("registry:5000/estelam:0.1.0", True), ("postgres:16.10-bookworm", True),
    ("ghcr.io/x/y@sha256:" + "0" * 64, True)])
def test_the_pin_check_itself(image, pinned):
    assert image_pinned(image) is pinned


# --- network policies --------------------------------------------------------------------


def policies(docs):
    return of_kind(docs, "NetworkPolicy")


def test_a_default_deny_policy_covers_the_namespace(docs):
    assert any(p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies(docs))


def test_every_workload_is_selected_by_its_own_network_policy(docs):
    for d in of_kind(docs, *WORKLOAD_KINDS):
        labels = pod_template(d)["metadata"]["labels"]
        own = [p for p in policies(docs) if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)]
        assert own, f"{name(d)} is only covered by the namespace-wide default"


def _peer_matches(peer: dict, labels: dict, namespace_labels: dict) -> bool:
    if "ipBlock" in peer:
        return True
    if "namespaceSelector" in peer and not selects(peer["namespaceSelector"], namespace_labels):
        return False
    if "podSelector" in peer and not selects(peer["podSelector"], labels):
        return False
    return True


def _port_matches(rule: dict, port: int) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") == port for p in ports)


def allowed(docs, src: dict, dst: dict, port: int, namespace: str = "estelam") -> bool:
    """Is src -> dst:port allowed between two pods of the same namespace (labels given)?"""
    ns_labels = {"kubernetes.io/metadata.name": namespace}

    def direction(pod, other, kind, peers_key):
        selecting = [p for p in policies(docs) if selects(p["spec"]["podSelector"], pod)
                     and kind in p["spec"]["policyTypes"]]
        if not selecting:
            return True
        rules = [r for p in selecting for r in p["spec"].get(kind.lower(), []) or []]
        return any(_port_matches(r, port) and (not r.get(peers_key) or
                   any(_peer_matches(peer, other, ns_labels) for peer in r[peers_key])) for r in rules)

    return direction(src, dst, "Egress", "to") and direction(dst, src, "Ingress", "from")


def app_pods(docs) -> dict[str, dict]:
    return {d["metadata"]["name"]: pod_template(d)["metadata"]["labels"] for d in of_kind(docs, "Deployment")}


def test_grpc_calls_follow_the_call_graph_exactly(docs):
    pods = app_pods(docs)
    wrong = []
    for dst in SERVICES:
        for src in list(SERVICES) + ["gateway"]:
            if src == dst:
                continue
            expected = src in CALLERS[dst]
            if allowed(docs, pods[src], pods[dst], 50051) != expected:
                wrong.append(f"{src} -> {dst}: {'should be allowed' if expected else 'should be denied'}")
    assert not wrong, wrong


def test_only_the_ingress_controller_reaches_the_gateway(docs):
    pods = app_pods(docs)
    for src in SERVICES:
        assert not allowed(docs, pods[src], pods["gateway"], 8080), f"{src} -> gateway"
    ingress_ns = {"kubernetes.io/metadata.name": "ingress-nginx"}
    gw_policy = by_name(docs, "NetworkPolicy", "gateway")
    assert any(_peer_matches(peer, {}, ingress_ns) for r in gw_policy["spec"]["ingress"] for peer in r["from"])


def _store_pods(docs, overlay):
    if overlay == "dev":
        return ({"app.kubernetes.io/name": "postgres", "app.kubernetes.io/component": "database"},
                {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/component": "broker"})
    # Labels the operators put on the pods they create.
    return ({"cnpg.io/cluster": "estelam-db", "cnpg.io/podRole": "instance"},
            {"app.kubernetes.io/name": "estelam-broker", "app.kubernetes.io/component": "rabbitmq"})


def test_services_reach_the_stores_and_the_gateway_does_not(docs, overlay):
    pods = app_pods(docs)
    db, broker = _store_pods(docs, overlay)
    migrate = pod_template(by_name(docs, "Job", "estelam-migrate"))["metadata"]["labels"]
    for s in SERVICES:
        assert allowed(docs, pods[s], db, 5432), f"{s} -> database"
        assert allowed(docs, pods[s], broker, 5672), f"{s} -> broker"
    assert allowed(docs, migrate, db, 5432), "migrate -> database"
    assert not allowed(docs, pods["gateway"], db, 5432)
    assert not allowed(docs, pods["gateway"], broker, 5672)


# --- what the pods run ------------------------------------------------------------------


def test_each_deployment_serves_its_own_service(docs):
    for d in of_kind(docs, "Deployment"):
        n = d["metadata"]["name"]
        assert pod_template(d)["spec"]["containers"][0]["args"] == ["serve", n], name(d)
        assert d["metadata"]["labels"].get("estelam.io/phase") == "rollout", name(d)


def test_the_migration_job_runs_migrate_first(docs):
    job = by_name(docs, "Job", "estelam-migrate")
    assert pod_template(job)["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["metadata"]["labels"]["estelam.io/phase"] == "migrate"
    phased = {d["metadata"]["labels"].get("estelam.io/phase") for d in docs if d.get("metadata", {}).get("labels")}
    assert phased <= {None, "migrate", "rollout"}


def test_every_deployment_has_a_service_and_a_disruption_budget(docs):
    for d in of_kind(docs, "Deployment"):
        labels = pod_template(d)["metadata"]["labels"]
        assert any(selects({"matchLabels": s["spec"]["selector"]}, labels) for s in of_kind(docs, "Service")), name(d)
        assert any(selects(p["spec"]["selector"], labels) for p in of_kind(docs, "PodDisruptionBudget")), name(d)


def test_secrets_carry_data_only_in_dev(docs, overlay):
    secrets = of_kind(docs, "Secret")
    if overlay == "dev":
        for s in secrets:
            values = list((s.get("data") or {}).values()) + list((s.get("stringData") or {}).values())
            assert values, name(s)
    else:
        assert not secrets, f"{overlay} must reference Secrets made outside git: {[name(s) for s in secrets]}"


def test_referenced_configmaps_exist(docs):
    maps = {c["metadata"]["name"] for c in of_kind(docs, "ConfigMap")}
    for d in of_kind(docs, *WORKLOAD_KINDS):
        for c in containers(d):
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    assert ref["configMapRef"]["name"] in maps, name(d)


# --- per overlay ------------------------------------------------------------------------


def replicas_floor(docs, deployment) -> int:
    hpas = [h for h in of_kind(docs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["kind"] == "Deployment"
            and h["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]]
    if hpas:
        return min(h["spec"].get("minReplicas", 1) for h in hpas)
    return deployment["spec"].get("replicas", 1)


def test_dev_runs_one_of_everything():
    docs = docs_of("dev")
    assert not of_kind(docs, "HorizontalPodAutoscaler")
    for d in of_kind(docs, "Deployment", "StatefulSet"):
        assert d["spec"]["replicas"] == 1, name(d)


def test_prod_runs_at_least_two_of_everything_on_operator_stores():
    docs = docs_of("prod")
    for d in of_kind(docs, "Deployment"):
        assert replicas_floor(docs, d) >= 2, name(d)
        assert "replicas" not in d["spec"], f"{name(d)}: let the HPA own replicas"
    assert not of_kind(docs, "StatefulSet"), "prod stores come from operators"
    assert by_name(docs, "Cluster", "estelam-db")["spec"]["instances"] >= 3
    assert by_name(docs, "RabbitmqCluster", "estelam-broker")["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in by_name(docs, "RabbitmqCluster", "estelam-broker")["spec"]["rabbitmq"]["additionalConfig"]
    for d in of_kind(docs, "Deployment", "Job"):
        for c in containers(d):
            for e in c.get("env", []):
                if e["name"] == "ESTELAM_DATABASE_URL":
                    assert e["valueFrom"]["secretKeyRef"] == {"name": "estelam-db-app", "key": "uri"}, name(d)


def test_prod_exports_traces_and_is_scraped():
    docs = docs_of("prod")
    config = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("estelam-config")]
    assert config and config[0]["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
    monitors = of_kind(docs, "ServiceMonitor")
    for svc in of_kind(docs, "Service"):
        labels = svc["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/part-of") != "estelam":
            continue
        if svc["spec"].get("clusterIP") == "None":
            continue  # a headless Service names the same pods for client-side balancing
        ports = {p["name"] for p in svc["spec"]["ports"]}
        hit = [m for m in monitors if selects(m["spec"]["selector"], labels)
               and any(e["port"] in ports for e in m["spec"]["endpoints"])]
        assert hit, f"{name(svc)} is not scraped"
    assert of_kind(docs, "PrometheusRule"), "alerts are part of prod"


def test_the_overlay_image_setting_reaches_every_estelam_container(docs, overlay):
    kustomization = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())
    image = next(i for i in kustomization["images"] if i["name"] == "estelam")
    expected = f"{image['newName']}:{image['newTag']}" if "newTag" in image else f"{image['newName']}@{image['digest']}"
    for d in of_kind(docs, *WORKLOAD_KINDS):
        for c in containers(d):
            if c["name"] == "estelam":
                assert c["image"] == expected, f"{name(d)}: {c['image']} (overlay sets {expected})"
