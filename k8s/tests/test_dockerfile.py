"""Static checks of k8s/Dockerfile (no Docker engine here): it parses, every COPY source
exists in the build context and is not excluded by .dockerignore, the base images are
pinned, the final stage runs as a non-root user and ships the one binary."""

import fnmatch
import re
import shlex

from conftest import K8S, REPO

DOCKERFILE = K8S / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        out.append((op.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    result = []
    for op, rest in instructions():
        if op == "FROM":
            result.append([])
        if result:
            result[-1].append((op, rest))
    return result


KNOWN = {"FROM", "ARG", "ENV", "RUN", "COPY", "ADD", "WORKDIR", "USER", "EXPOSE", "ENTRYPOINT",
         "CMD", "LABEL", "HEALTHCHECK", "STOPSIGNAL", "VOLUME", "SHELL", "ONBUILD"}


def test_it_parses():
    ops = [op for op, _ in instructions()]
    assert ops and set(ops) <= KNOWN, set(ops) - KNOWN
    assert DOCKERFILE.read_text().splitlines()[0].startswith("# syntax=docker/dockerfile:")


def test_base_images_are_pinned():
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", DOCKERFILE.read_text(), re.M))
    for stage in stages():
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        names = [s[0][1].split()[-1] for s in stages() if " AS " in s[0][1].upper()]
        if image in names:
            continue
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


def dockerignore_patterns() -> list[tuple[bool, str]]:
    pats = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pats.append((negate, line.lstrip("!").rstrip("/")))
    return pats


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a directory pattern covers its tree."""
    result = False
    for negate, pat in dockerignore_patterns():
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p, pat.removeprefix("**/")) for p in prefixes):
            result = not negate
    return result


def test_copy_sources_exist_and_are_in_the_context():
    for stage in stages():
        for op, rest in stage:
            if op != "COPY" or "--from=" in rest:
                continue
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            for src in words[:-1]:
                assert (REPO / src).exists(), f"COPY {src}: no such path"
                assert not ignored(src), f"COPY {src}: excluded by .dockerignore"


def test_the_context_leaves_out_build_output_and_secrets():
    for path in ("target", ".git", "node_modules", "data", "k8s"):
        assert ignored(path), path
    for path in ("Cargo.toml", "Cargo.lock", "src/main.rs", "proto/estelam", "services/runtime/src/lib.rs"):
        assert not ignored(path), path


def test_the_release_build_is_locked_and_the_dependency_layer_comes_first():
    text = DOCKERFILE.read_text()
    assert re.search(r"cargo build --release --locked --bin estelam", text)
    cook, build = text.index("cargo chef cook"), text.index("cargo build --release")
    first_source_copy = text.index("COPY src", text.index("FROM chef AS builder"))
    assert cook < first_source_copy < build, "dependencies must be cooked before the sources are copied"


def test_the_runtime_stage_is_minimal_non_root_and_runs_estelam():
    final = stages()[-1]
    base = final[0][1].split()[0]
    assert base.startswith("gcr.io/distroless/") or (base.startswith("debian:") and "slim" in base), base
    users = [rest for op, rest in final if op == "USER"]
    assert users and users[-1].split(":")[0] == "65532"
    exposed = {p for op, rest in final if op == "EXPOSE" for p in rest.split()}
    assert {"50051", "8080", "9090"} <= exposed
    entry = [rest for op, rest in final if op == "ENTRYPOINT"]
    assert entry and "/usr/local/bin/estelam" in entry[-1]
    copies = [rest for op, rest in final if op == "COPY"]
    assert any("/usr/local/bin/estelam" in c for c in copies)
    assert not [rest for op, rest in final if op == "RUN"], "the runtime stage has no shell to RUN in"
