"""The shell scripts parse, and deploy.sh's phases match the labels in the manifests."""

import subprocess

import pytest

from conftest import K8S
from manifests import of_kind


@pytest.mark.parametrize("script", ["deploy.sh", "validate.sh", "image/build.sh", "image/ci.sh",
                                    "image/podman-env.sh", "play/play.sh"])
def test_script_parses(script):
    subprocess.run(["bash", "-n", str(K8S / script)], check=True)


def test_deploy_phases_cover_exactly_the_job_and_the_deployments(docs):
    text = (K8S / "deploy.sh").read_text()
    assert "-l estelam.io/phase=migrate" in text and "-l estelam.io/phase=rollout" in text
    for d in docs:
        phase = d["metadata"].get("labels", {}).get("estelam.io/phase")
        expected = {"Job": "migrate", "Deployment": "rollout"}.get(d["kind"])
        assert phase == expected, f"{d['kind']}/{d['metadata']['name']}: phase {phase}"
    deployments = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    assert all(f" {n} " in text or f" {n}\n" in text or f" {n};" in text for n in deployments)
