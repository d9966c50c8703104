#!/usr/bin/env bash
# Renders every kustomize overlay and checks it:
#   1. schemas: Kubernetes core objects against the Kubernetes ${K8S_VERSION} JSON schemas
#      (kubernetes-validate, strict: unknown fields fail), operator objects (CloudNativePG,
#      RabbitMQ, Prometheus Operator) against the schemas vendored in k8s/schemas/;
#   2. rules (pytest, k8s/tests/): probes, resources, the restricted securityContext,
#      NetworkPolicies for every workload and the exact service call graph, pinned images,
#      settings the binary knows, the Dockerfile, the dashboard and alerts.
# Idempotent; installs its tools with pip into a venv under the user's cache directory
# (reused while k8s/requirements.txt is unchanged). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${ESTELAM_K8S_VERSION:-1.30.0}"
OVERLAYS=(dev prod)
VENV="${ESTELAM_K8S_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam/k8s-venv}"
log() { printf '\n==> %s\n' "$*"; }

log "Tools (venv: $VENV)"
want="$(sha256sum k8s/requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r k8s/requirements.txt
  echo "$want" > "$VENV/.requirements.sha256"
fi
"$VENV/bin/kubectl" version --client | sed 's/^/  /'

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

log "Render (kustomize)"
for overlay in "${OVERLAYS[@]}"; do
  "$VENV/bin/kubectl" kustomize "k8s/overlays/$overlay" > "$OUT/$overlay.yaml"
  printf '  %-5s %3d objects\n' "$overlay" "$(grep -c '^kind:' "$OUT/$overlay.yaml")"
done

log "Schemas (Kubernetes $K8S_VERSION + vendored CRD schemas)"
schema_rc=0
for overlay in "${OVERLAYS[@]}"; do
  "$VENV/bin/python" k8s/tests/validate_schemas.py --kubernetes-version "$K8S_VERSION" \
    --schemas k8s/schemas --label "$overlay" "$OUT/$overlay.yaml" || schema_rc=1
done

log "Rules (pytest k8s/tests)"
set +e
ESTELAM_RENDERED_DIR="$OUT" ESTELAM_OVERLAYS="${OVERLAYS[*]}" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider k8s/tests
test_rc=$?
set -e
# pytest: 0 all passed, 1 some failed, 5 no tests collected (a broken suite, not a pass).
case $test_rc in
  0) tests="passed" ;;
  5) tests="FAILED (no tests collected)"; test_rc=1 ;;
  *) tests="FAILED (pytest exit $test_rc)" ;;
esac

log "Summary"
echo "  overlays rendered: ${OVERLAYS[*]}"
echo "  schemas:           $([[ $schema_rc -eq 0 ]] && echo passed || echo FAILED)"
echo "  rule tests:        $tests"
if [[ $schema_rc -ne 0 || $test_rc -ne 0 ]]; then
  echo "k8s validation FAILED"
  exit 1
fi
echo "k8s validation passed"
