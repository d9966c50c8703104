#!/usr/bin/env bash
# Deploys an overlay in the order a release needs:
#   1. everything without an `estelam.io/phase` label: namespace, config, Services, policies,
#      PostgreSQL and RabbitMQ (or their operator resources), autoscalers, monitoring;
#   2. the migration Job (`estelam.io/phase=migrate`): the previous one is deleted first (a
#      Job's pod template cannot change), then we wait for it to complete;
#   3. the Deployments (`estelam.io/phase=rollout`), then wait for every rollout.
# A failed migration stops here, before any new pod replaces an old one.
#
#   k8s/deploy.sh dev|prod [extra kubectl flags, e.g. --context=city-prod]
set -euo pipefail
overlay="${1:?usage: k8s/deploy.sh dev|prod [kubectl flags…]}"; shift
cd "$(dirname "$0")"
kubectl=(kubectl "$@")
manifests="$(mktemp)"; trap 'rm -f "$manifests"' EXIT
"${kubectl[@]}" kustomize "overlays/$overlay" > "$manifests"
namespace="$(awk '/^kind: Namespace/{f=1} f && /^  name:/{print $2; exit}' "$manifests")"

echo "==> 1/3 configuration, stores, policies (namespace $namespace)"
"${kubectl[@]}" apply -f "$manifests" -l '!estelam.io/phase'
if [[ "$overlay" == dev ]]; then
  "${kubectl[@]}" -n "$namespace" rollout status statefulset/postgres statefulset/rabbitmq --timeout=5m
else
  "${kubectl[@]}" -n "$namespace" wait --for=condition=Ready cluster.postgresql.cnpg.io/estelam-db --timeout=15m
  "${kubectl[@]}" -n "$namespace" wait --for=condition=AllReplicasReady rabbitmqcluster/estelam-broker --timeout=15m
fi

echo "==> 2/3 migrations"
"${kubectl[@]}" -n "$namespace" delete job estelam-migrate --ignore-not-found --wait=true
"${kubectl[@]}" apply -f "$manifests" -l estelam.io/phase=migrate
if ! "${kubectl[@]}" -n "$namespace" wait --for=condition=Complete job/estelam-migrate --timeout=15m; then
  "${kubectl[@]}" -n "$namespace" logs job/estelam-migrate --tail=50 || true
  echo "migration failed: the running release is untouched" >&2
  exit 1
fi

echo "==> 3/3 rollout"
"${kubectl[@]}" apply -f "$manifests" -l estelam.io/phase=rollout
for d in identity property documents fees inquiry notifications gateway; do
  "${kubectl[@]}" -n "$namespace" rollout status "deployment/$d" --timeout=10m
done
echo "Estelam ($overlay) is up."
