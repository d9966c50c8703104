"""The image built here (k8s/image/Containerfile) and the registry's (k8s/Dockerfile's
runtime stage) are the same image: same user, environment, working directory, ports,
entrypoint, command, labels and files. And what k8s/play/adapt.py changes for podman is
only what it says: the image, the addresses and the stores, never a command, a secret
reference or a security setting."""

import base64
import json
import re
import subprocess
import sys

import yaml

from conftest import K8S, docs_of
from test_dockerfile import stages

CONTAINERFILE = K8S / "image" / "Containerfile"
SETTINGS = ("ENV", "WORKDIR", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "LABEL")


def instructions(text: str) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), " ".join(rest.split())))
    return out


def settings(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(op, " ".join(rest.split())) for op, rest in ops if op in SETTINGS]


def destinations(ops: list[tuple[str, str]]) -> dict[str, str]:
    """COPY destination → its --chown (empty when root's)."""
    out = {}
    for op, rest in ops:
        if op == "COPY":
            words = rest.split()
            chown = next((w.split("=", 1)[1] for w in words if w.startswith("--chown=")), "")
            out[words[-1].rstrip("/")] = chown
    return out


def test_the_local_image_is_the_registry_image():
    local = instructions(CONTAINERFILE.read_text())
    runtime = stages()[-1]
    assert local[0] == ("FROM", "scratch")
    assert settings(local) == settings(runtime)
    assert ("USER", "65532:65532") in local
    registry_files = destinations(runtime)
    local_files = destinations(local)
    for path, chown in registry_files.items():
        assert local_files.get(path) == chown, (path, local_files)


def test_the_local_image_has_no_shell():
    build = (K8S / "image" / "build.sh").read_text()
    assert '"$root/usr/bin"' in build and '"$root/usr/sbin"' in build  # base-files' and tzdata's tools
    for pkg in ("libc6", "libgcc-s1", "ca-certificates", "tzdata", "base-files", "netbase"):
        assert pkg in build
    assert "--timestamp 0" in build and "--pull=never" in build


def adapt(tmp_path):
    rendered = yaml.safe_dump_all(docs_of("dev"), sort_keys=False)
    subprocess.run([sys.executable, str(K8S / "play" / "adapt.py"), str(tmp_path),
                    "localhost/estelam:test", "postgres://p@postgres:5432/db",
                    "amqp://g:g@rabbitmq:5672/vh", "127.0.86"],
                   input=rendered, text=True, check=True)
    return {f: [d for d in yaml.safe_load_all((tmp_path / f"{f}.yaml").read_text()) if d]
            for f in ("migrate", "seed", "deployments")}


def containers(spec: dict) -> list[dict]:
    return spec["containers"]


def test_the_play_keeps_commands_secrets_and_security(tmp_path):
    played = adapt(tmp_path)
    rendered = {d["metadata"]["name"]: d for d in docs_of("dev") if d["kind"] == "Deployment"}
    deployments = [d for d in played["deployments"] if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == set(rendered)
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        before = rendered[d["metadata"]["name"]]["spec"]["template"]["spec"]
        assert spec["securityContext"] == before["securityContext"]
        for c, b in zip(containers(spec), containers(before), strict=True):
            assert c["image"] == "localhost/estelam:test" and c["imagePullPolicy"] == "Never"
            for key in ("args", "env", "securityContext", "resources"):
                assert c.get(key) == b.get(key), (d["metadata"]["name"], key)
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            mounts = [m for m in c["volumeMounts"] if m["name"] != "play-hosts"]
            assert [m["mountPath"] for m in mounts] == [m["mountPath"] for m in b["volumeMounts"]]
            assert all(m["name"].startswith(f"{d['metadata']['name']}-") for m in mounts)
    job = next(d for d in docs_of("dev") if d["kind"] == "Job")
    (pod,) = [d for d in played["migrate"] if d["kind"] == "Pod"]
    assert containers(pod["spec"])[0]["args"] == containers(job["spec"]["template"]["spec"])[0]["args"]
    (seed,) = [d for d in played["seed"] if d["kind"] == "Pod"]
    assert containers(seed["spec"])[0]["args"] == ["seed"]


def test_each_pod_listens_on_its_own_address_and_finds_the_others(tmp_path):
    played = adapt(tmp_path)
    configs = {c["metadata"]["name"]: c["data"] for c in played["deployments"] if c["kind"] == "ConfigMap"}
    hosts = (tmp_path / "hosts").read_text()
    seen = set()
    for d in (d for d in played["deployments"] if d["kind"] == "Deployment"):
        ref = containers(d["spec"]["template"]["spec"])[0]["envFrom"][0]["configMapRef"]["name"]
        address = configs[ref]["ESTELAM_LISTEN__GRPC"].split(":")[0]
        assert f"{address}\t{d['metadata']['name']}" in hosts
        seen.add(address)
    assert len(seen) == 7
    assert "postgres" in hosts.splitlines()[0] and "rabbitmq" in hosts.splitlines()[0]


def test_the_stores_are_the_plays_own(tmp_path):
    adapt(tmp_path)
    secrets = {p.name: json.loads(p.read_text()) for p in (tmp_path / "secrets").iterdir()}
    db = next(v for k, v in secrets.items() if k.startswith("estelam-database"))
    amqp = next(v for k, v in secrets.items() if k.startswith("estelam-amqp"))
    assert base64.b64decode(db["url"]).decode() == "postgres://p@postgres:5432/db"
    assert base64.b64decode(amqp["url"]).decode() == "amqp://g:g@rabbitmq:5672/vh"
