#!/usr/bin/env bash
# Plays the dev overlay the way Kubernetes would run it, on this machine, with podman:
#
#   1. renders k8s/overlays/dev (kustomize) and adapts it for one machine (k8s/play/adapt.py
#      says exactly what changes and why): the image built here, the machine's PostgreSQL
#      (a database of this play's own, created here and dropped at the end) and RabbitMQ
#      (a vhost of its own), host networking with a loopback address per pod;
#   2. the Secrets as podman secrets, then the migration Job's pod (`estelam migrate`),
#      which must exit 0, then `estelam seed` (the demo city the smoke test files on);
#   3. `podman kube play` of every Deployment: its real command, environment, secrets,
#      read-only root filesystem and security context;
#   4. the smoke test (k8s/play/smoke.py): every probe endpoint by hand (podman runs no
#      probes), a citizen registered, a clearance inquiry filed and paid at the sandbox bank
#      through the gateway, its answer issued and verified at the public endpoint;
#   5. `podman kube down`, and whatever is left removed, on success or failure.
#
#   k8s/play/play.sh            (the image localhost/estelam:0.1.0-dev must exist: build it
#                                with k8s/image/build.sh local BINARY)
# Environment: ESTELAM_PLAY_POSTGRES (admin URL of the machine's server, default
# postgres://postgres@127.0.0.1:5432/postgres), ESTELAM_PLAY_PG_USER (who the pods connect
# as, without a password: default postgres), ESTELAM_PLAY_NET (the loopback /24 the pods
# take, default 127.0.86), ESTELAM_PLAY_KEEP=1 (leave the pods running to look around),
# ESTELAM_PLAY_REPORT=FILE (each service's time to ready as JSON in FILE, and each pod's
# idle memory in FILE.memory: the figures of BENCHMARKS.md "Image").
set -euo pipefail
cd "$(dirname "$0")/../.."
source k8s/image/podman-env.sh

IMAGE="${ESTELAM_IMAGE_TAG:-localhost/estelam:0.1.0-dev}"
ADMIN_URL="${ESTELAM_PLAY_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_USER="${ESTELAM_PLAY_PG_USER:-postgres}"
NET="${ESTELAM_PLAY_NET:-127.0.86}"
RUN_ID="play_$$"
DB="estelam_$RUN_ID"
VHOST="estelam-$RUN_ID"
VENV="${ESTELAM_K8S_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam/k8s-venv}"
log() { printf '==> %s\n' "$*" >&2; }

# kubectl (kustomize) and Python with PyYAML: k8s/validate.sh's venv, which CI has made by
# now, else the machine's.
kubectl_bin() {
  if [[ -x "$VENV/bin/kubectl" ]]; then echo "$VENV/bin/kubectl"; else command -v kubectl; fi
}
python_bin() {
  if [[ -x "$VENV/bin/python" ]]; then echo "$VENV/bin/python"; else command -v python3; fi
}

cleanup() {
  local rc=$?
  set +e
  if [[ "${ESTELAM_PLAY_KEEP:-}" == 1 && $rc -eq 0 ]]; then
    log "kept running (ESTELAM_PLAY_KEEP=1); stop with: k8s/play/play.sh --down $WORK $DB $VHOST"
    return
  fi
  if [[ $rc -ne 0 ]]; then
    log "failed; the last lines of each container:"
    for c in $(podman ps -a --format '{{.Names}}' | grep -v -- '-infra$'); do
      echo "--- $c" >&2; podman logs --tail 15 "$c" 2>&1 | cut -c1-400 >&2
    done
  fi
  down "$WORK" "$DB" "$VHOST"
  exit $rc
}

# Stops and removes everything the play made: pods, secrets, its database and vhost.
down() {
  local work=$1 db=$2 vhost=$3
  set +e  # remove all that can be removed, whatever fails
  log "podman kube down, secrets, database $db, vhost $vhost"
  for f in deployments seed migrate; do
    [[ -f "$work/$f.yaml" ]] && podman kube down "$work/$f.yaml" >/dev/null 2>&1
  done
  podman pod rm --all --force >/dev/null 2>&1
  podman secret rm --all >/dev/null 2>&1
  podman volume rm --all --force >/dev/null 2>&1
  psql "$ADMIN_URL" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1
  rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1
  rm -rf "$work"
  local left
  left="$(podman ps -a --format '{{.Names}}')"
  if [[ -n "$left" ]]; then echo "error: containers left behind: $left" >&2; return 1; fi
}

if [[ "${1:-}" == --down ]]; then
  podman_env; down "$2" "$3" "$4"; exit
fi

# Runs a one-shot pod (the Job's) to completion; fails with its logs if it exits non-zero.
run_to_completion() {
  local file=$1 container=$2 rc
  podman kube play "$file" >/dev/null
  rc="$(podman wait "$container")"
  podman logs "$container" 2>&1 | grep -v '"level":"INFO"' | tail -n 3 | cut -c1-300 >&2 || true
  podman kube down "$file" >/dev/null
  [[ "$rc" == 0 ]] || { echo "error: $container exited $rc" >&2; return 1; }
}

podman_env
WORK="$(mktemp -d)"
trap cleanup EXIT
"$(python_bin)" -c 'import yaml' 2>/dev/null ||
  { echo "error: no PyYAML: run bash k8s/validate.sh once (its venv has it) or install python3-yaml" >&2; exit 1; }
podman image exists "$IMAGE" || { echo "error: no image $IMAGE (k8s/image/build.sh local BINARY)" >&2; exit 1; }

log "render k8s/overlays/dev, adapt for podman (pods on $NET.1-6, database $DB, vhost $VHOST)"
"$(kubectl_bin)" kustomize k8s/overlays/dev > "$WORK/dev.yaml"
# The pods reach the machine's servers as `postgres` and `rabbitmq` (loopback, see adapt.py).
"$(python_bin)" k8s/play/adapt.py "$WORK" "$IMAGE" "postgres://$PG_USER@postgres:5432/$DB" \
  "amqp://guest:guest@rabbitmq:5672/$VHOST" "$NET" < "$WORK/dev.yaml"

psql "$ADMIN_URL" -qc "create database \"$DB\""
rabbitmqctl -q add_vhost "$VHOST"
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*'
for f in "$WORK"/secrets/*.json; do
  podman secret rm "$(basename "$f" .json)" >/dev/null 2>&1 || true  # a kept play's, if any
  podman secret create "$(basename "$f" .json)" "$f" >/dev/null
done

log "migration Job's pod (estelam migrate)"
run_to_completion "$WORK/migrate.yaml" estelam-migrate-estelam
log "demo city (estelam seed)"
run_to_completion "$WORK/seed.yaml" estelam-seed-estelam

log "podman kube play: every Deployment"
started=$(date +%s.%N)
podman kube play "$WORK/deployments.yaml" >/dev/null
podman pod ls --format '  {{.Name}} {{.Status}}' >&2

log "smoke test through the played gateway"
python3 k8s/play/smoke.py --net "$NET" --started "$started" --report "${ESTELAM_PLAY_REPORT:-/dev/null}"

# For BENCHMARKS.md: each pod's memory once idle (10 s after the smoke inquiry), as its
# cgroup counts it and as the process's resident set.
if [[ -n "${ESTELAM_PLAY_REPORT:-}" ]]; then
  sleep 10
  for d in identity property documents fees inquiry notifications gateway; do
    c="$d-pod-0-estelam"
    printf '%s\tcgroup %s\t%s\n' "$d" \
      "$(podman stats --no-stream --format '{{.MemUsage}}' "$c")" \
      "$(grep VmRSS "/proc/$(podman inspect --format '{{.State.Pid}}' "$c")/status" | tr -s '\t ' ' ')"
  done | tee "$ESTELAM_PLAY_REPORT.memory"
fi
