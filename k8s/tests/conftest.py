"""Fixtures: the rendered manifests of each overlay.

k8s/validate.sh renders the overlays once and passes the directory in
ESTELAM_RENDERED_DIR; run alone (`pytest k8s/tests` with kubectl on PATH) the overlays are
rendered here.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parents[1]
REPO = K8S.parent
OVERLAYS = os.environ.get("ESTELAM_OVERLAYS", "dev prod").split()


def render(overlay: str) -> str:
    rendered = os.environ.get("ESTELAM_RENDERED_DIR")
    if rendered:
        return (Path(rendered) / f"{overlay}.yaml").read_text()
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("set ESTELAM_RENDERED_DIR (k8s/validate.sh does) or put kubectl on PATH")
    return subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)],
                          check=True, capture_output=True, text=True).stdout


_cache: dict[str, list[dict]] = {}


def docs_of(overlay: str) -> list[dict]:
    if overlay not in _cache:
        _cache[overlay] = [d for d in yaml.safe_load_all(render(overlay)) if d]
    return _cache[overlay]


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


@pytest.fixture
def docs(overlay) -> list[dict]:
    return docs_of(overlay)
