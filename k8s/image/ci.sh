#!/usr/bin/env bash
# CI's image step: installs podman, buildah, skopeo, runc and catatonit from Debian's
# packages (once; quick when present), builds the image from BINARY twice and requires the
# same digest, plays the dev overlay from it with its smoke test (k8s/play/play.sh), and
# removes every container, image and volume it made with `podman system reset` on the
# project's own storage (k8s/image/podman-env.sh), whatever happens.
#
#   k8s/image/ci.sh BINARY
#
# CI passes the debug binary its tests already built: the smoke test checks the image and
# the manifests, not the optimiser (a release binary is what k8s/Dockerfile ships;
# BENCHMARKS.md measures that one).
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${1:?usage: k8s/image/ci.sh BINARY}"
source k8s/image/podman-env.sh
began=$(date +%s)

packages=(podman buildah skopeo runc catatonit)
installed="$(dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -c '^install ok installed$' || true)"
if [[ "$installed" -eq ${#packages[@]} ]]; then
  echo "  ${packages[*]}: installed"
else
  echo "  installing ${packages[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${packages[@]}" >/dev/null
fi
podman --version

podman_env
podman_reset  # a clean start, should an earlier run have been killed before its own reset
trap 'podman_reset' EXIT

k8s/image/build.sh local "$binary" --check-reproducible
k8s/play/play.sh
echo "  image step: $(( $(date +%s) - began )) s"
