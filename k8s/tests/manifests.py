"""Helpers for reading rendered Kubernetes objects."""

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
SERVICES = ("identity", "property", "documents", "fees", "inquiry", "notifications")

# Who may call whom over gRPC (issue 9; DESIGN.md "Shape"). Everything else is denied.
CALLERS = {
    "identity": {"gateway", "property", "documents", "fees", "inquiry", "notifications"},
    "property": {"gateway", "inquiry", "fees"},
    "documents": {"gateway", "inquiry"},
    "fees": {"gateway", "inquiry"},
    "inquiry": {"gateway", "notifications"},
    "notifications": {"gateway"},
}


def name(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def of_kind(docs: list[dict], *kinds: str) -> list[dict]:
    return [d for d in docs if d["kind"] in kinds]


def pod_template(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def containers(doc: dict) -> list[dict]:
    spec = pod_template(doc)["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def by_name(docs: list[dict], kind: str, n: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == n]
    assert found, f"no {kind}/{n}"
    return found[0]


def selects(selector: dict | None, labels: dict) -> bool:
    """Kubernetes label selector semantics (an empty selector selects everything)."""
    selector = selector or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def image_pinned(image: str) -> bool:
    """A digest, or an explicit tag other than `latest`."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("", "latest")
