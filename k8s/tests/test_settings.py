"""The settings the manifests give the binary must be settings it knows: the runtime's
config rejects unknown keys (serde deny_unknown_fields), so a misspelt or not-yet-existing
ESTELAM_ variable would crash-loop every pod. Checked two ways: against the setting names in
services/runtime/src/config/, and, when an `estelam` binary is at hand, by loading them."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from manifests import WORKLOAD_KINDS, containers, name, of_kind

CONFIG = REPO / "services" / "runtime" / "src" / "config"
SHORT_FORMS = {"DATABASE_URL", "AMQP_URL", "CONFIG"}
# Stands for a value read from a Secret: long enough for the settings that want a strong one
# (client secrets: 32+ characters).
SECRET_PLACEHOLDER = "placeholder-for-a-value-from-a-kubernetes-secret"


def struct_fields(struct: str) -> dict[str, str]:
    """`pub field: Type` of `pub struct <struct>` anywhere under the config module."""
    for file in sorted(CONFIG.glob("*.rs")):
        m = re.search(rf"pub struct {struct}\s*\{{(.*?)\n\}}", file.read_text(), re.S)
        if m:
            return dict(re.findall(r"pub (\w+):\s*([\w<>:, ]+?),?\s*$", m.group(1), re.M))
    return {}


def known(key: str) -> bool:
    """Is ESTELAM_<key> a setting? Walks the nested structs along the `__` path."""
    if key in SHORT_FORMS:
        return True
    struct = "Settings"
    parts = key.lower().split("__")
    for i, part in enumerate(parts):
        fields = struct_fields(struct)
        if part not in fields:
            return False
        ty = fields[part]
        if ty.startswith(("BTreeMap", "HashMap")):
            return i == len(parts) - 2  # a map: one free key below it
        struct = ty
    return True


def estelam_env(docs) -> dict[str, str]:
    env = {}
    for cm in of_kind(docs, "ConfigMap"):
        if cm["metadata"]["name"].startswith("estelam-config"):
            env.update(cm["data"])
    for d in of_kind(docs, *WORKLOAD_KINDS):
        for c in containers(d):
            if c["name"] == "estelam":
                for e in c.get("env", []):
                    env.setdefault(e["name"], e.get("value", SECRET_PLACEHOLDER))
    return env


def test_the_config_module_is_where_this_test_looks():
    assert {"listen", "endpoints", "telemetry", "database", "bus"} <= set(struct_fields("Settings"))
    assert known("LISTEN__GRPC") and known("DATABASE__SERVICES__FEES") and not known("LISTEN__GPRC")


def test_every_estelam_variable_is_a_setting(docs):
    unknown = [k for k in estelam_env(docs) if k.startswith("ESTELAM_") and not known(k[len("ESTELAM_"):])]
    assert not unknown, f"settings the binary does not know (it would refuse to start): {unknown}"


def estelam_binary() -> str | None:
    explicit = os.environ.get("ESTELAM_BIN")
    if explicit:
        return explicit
    for target in [os.environ.get("CARGO_TARGET_DIR"), REPO / "target", REPO.parent / "target"]:
        if target and (Path(target) / "debug" / "estelam").is_file():
            return str(Path(target) / "debug" / "estelam")
    return shutil.which("estelam")


def test_the_binary_accepts_the_rendered_settings(docs, tmp_path):
    binary = estelam_binary()
    assert binary is not None, "no estelam binary: build it (cargo build) or set ESTELAM_BIN"
    env = {k: v for k, v in estelam_env(docs).items()}
    env.update({"ESTELAM_DATABASE_URL": "postgres://u:p@db:5432/estelam",
                "ESTELAM_AMQP_URL": "amqp://u:p@broker:5672/%2f",
                "ESTELAM_DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", "")})
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)  # nothing listens here
    # `migrate` of a service that does not exist: settings load first, then it stops with
    # "unknown service" before touching any store. A bad setting stops it earlier.
    run = subprocess.run([binary, "migrate", "no-such-service"], env=env, capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert "configuration error" not in out, out
    assert "unknown service" in out, out
