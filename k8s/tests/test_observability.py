"""The dashboard and the alerts: well-formed, and watching the metrics the issue names."""

import json
import re

import yaml

from conftest import K8S

OBS = K8S / "observability"


def dashboard() -> dict:
    return json.loads((OBS / "grafana-dashboard.json").read_text())


def rules() -> list[dict]:
    doc = yaml.safe_load((OBS / "prometheus-rules.yaml").read_text())
    return [r for g in doc["spec"]["groups"] for r in g["rules"]]


def balanced(expr: str) -> bool:
    expr = re.sub(r'"(\\.|[^"\\])*"', '""', expr)  # string literals may hold anything
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for ch in expr:
        if ch in depth:
            depth[ch] += 1
        elif ch in closing:
            depth[closing[ch]] -= 1
            if depth[closing[ch]] < 0:
                return False
    return all(v == 0 for v in depth.values())


def test_dashboard_is_well_formed():
    d = dashboard()
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) and d["uid"]
    for p in d["panels"]:
        for t in p.get("targets", []):
            assert t["expr"].strip() and balanced(t["expr"]), (p["title"], t["expr"])


def test_dashboard_shows_golden_signals_and_inquiry_latency():
    exprs = " ".join(t["expr"] for p in dashboard()["panels"] for t in p.get("targets", []))
    for metric in ("estelam_grpc_requests_total", "estelam_grpc_request_duration_seconds_bucket",
                   "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                   "estelam_inquiry_issue_seconds_bucket", "estelam_outbox_oldest_unsent_age_seconds",
                   "rabbitmq_queue_messages"):
        assert metric in exprs, metric


def test_alerts_cover_what_the_issue_asks():
    by_metric = {
        "EstelamGrpcErrorRateHigh": "estelam:grpc_server_errors:rate5m",
        "EstelamGrpcLatencyP99High": "estelam_grpc_request_duration_seconds_bucket",
        "EstelamOutboxBacklogOld": "estelam_outbox_oldest_unsent_age_seconds",
        "EstelamDeadLetters": 'rabbitmq_queue_messages{queue=~".*\\\\.dlq"}',
        "EstelamSigningKeyOld": "estelam_identity_signing_key_age_seconds",
    }
    alerts = {r["alert"]: r for r in rules() if "alert" in r}
    for alert, metric in by_metric.items():
        assert alert in alerts, alert
        assert metric in alerts[alert]["expr"], (alert, alerts[alert]["expr"])
        assert alerts[alert]["labels"]["severity"] in ("warning", "critical")
        assert alerts[alert]["annotations"]["summary"]


def test_every_rule_expression_is_balanced_and_recordings_are_used():
    recorded = {r["record"] for r in rules() if "record" in r}
    used = " ".join(r["expr"] for r in rules() if "alert" in r)
    for r in rules():
        assert balanced(r["expr"]), r
    assert all(rec in used for rec in recorded)
