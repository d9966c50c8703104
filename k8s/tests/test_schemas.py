"""The schema step must actually reject mistakes, in core objects and in operator objects."""

import copy
from pathlib import Path

from conftest import docs_of
from manifests import by_name
from validate_schemas import errors_of

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
K8S = "1.30.0"


def test_valid_objects_pass():
    docs = docs_of("prod")
    for kind, n in [("Deployment", "fees"), ("Cluster", "estelam-db"), ("RabbitmqCluster", "estelam-broker"),
                    ("ServiceMonitor", "estelam-services"), ("PrometheusRule", "estelam")]:
        assert errors_of(by_name(docs, kind, n), K8S, SCHEMAS) == [], (kind, n)


def test_a_misspelt_field_fails_in_a_core_object():
    d = copy.deepcopy(by_name(docs_of("prod"), "Deployment", "fees"))
    d["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert errors_of(d, K8S, SCHEMAS)


def test_a_misspelt_field_fails_in_operator_objects():
    docs = docs_of("prod")
    c = copy.deepcopy(by_name(docs, "Cluster", "estelam-db"))
    c["spec"]["instance"] = 3
    assert errors_of(c, K8S, SCHEMAS)
    r = copy.deepcopy(by_name(docs, "RabbitmqCluster", "estelam-broker"))
    r["spec"]["replicas"] = "three"
    assert errors_of(r, K8S, SCHEMAS)
    b = copy.deepcopy(by_name(docs, "ScheduledBackup", "estelam-db-daily"))
    b["spec"]["schedule"] = "30 1 * * *"  # five fields: CloudNativePG wants six, seconds first
    assert errors_of(b, K8S, SCHEMAS)


def test_an_unknown_kind_fails():
    assert errors_of({"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}, K8S, SCHEMAS)
