#!/usr/bin/env bash
# Builds the Estelam image, either way:
#
#   k8s/image/build.sh local BINARY [--check-reproducible]
#       Here, without a registry: a base root filesystem from Debian's packages (apt-get
#       download + dpkg-deb -x), every file time set to 0, then k8s/image/Containerfile
#       (FROM scratch + base + BINARY) with `podman build --pull=never --timestamp 0`, and
#       `skopeo copy` to an OCI layout. With --check-reproducible the image is built a second
#       time from the same inputs, without the build cache, and both manifest digests must
#       be equal.
#   k8s/image/build.sh registry [TAG]
#       k8s/Dockerfile (Rust toolchain and distroless base pulled from their registries).
#
# The local build tags localhost/estelam:0.1.0-dev (the dev overlay's image) in the project's
# own container storage (k8s/image/podman-env.sh) and writes the OCI layout to
# $ESTELAM_IMAGE_OUT (default ~/.cache/estelam/image/oci), whose manifest digest it prints.
set -euo pipefail
cd "$(dirname "$0")/../.."
source k8s/image/podman-env.sh

# The distroless/cc set. A package's version is whatever the machine's apt lists name;
# the digest changes with them, as it should.
PACKAGES=(base-files netbase tzdata ca-certificates libgcc-s1 libc6)
TAG="${ESTELAM_IMAGE_TAG:-localhost/estelam:0.1.0-dev}"
CACHE="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam/image"
OUT="${ESTELAM_IMAGE_OUT:-$CACHE/oci}"
log() { printf '==> %s\n' "$*" >&2; }

# The base root filesystem, in $1/rootfs. Deterministic for the same .deb files.
make_rootfs() {
  local stage=$1 debs="$CACHE/debs" deb
  mkdir -p "$debs" "$stage/rootfs"
  for pkg in "${PACKAGES[@]}"; do
    if ! compgen -G "$debs/${pkg}_$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}' | sed 's/:/%3a/')_*.deb" >/dev/null; then
      (cd "$debs" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    fi
    deb="$(ls -t "$debs/${pkg}"_*.deb 2>/dev/null | sed -n 1p)"
    [[ -n "$deb" ]] || { echo "error: apt-get download $pkg failed" >&2; return 1; }
    dpkg-deb -x "$deb" "$stage/rootfs"
    echo "$(basename "$deb")" >> "$stage/packages"
  done
  local root="$stage/rootfs"
  # Documentation, manuals and maintainer helpers are not needed at run time; the copyright
  # files stay, as in distroless.
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  rm -rf "$root"/usr/share/{man,info,lintian,locale} "$root/usr/sbin" "$root/usr/bin" \
         "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/etc/{init.d,profile.d,update-motd.d,cron.daily} \
         "$root"/etc/{profile,dot.bashrc,dot.profile,dot.profile.md5sums,skel} "$root"/usr/share/base-files/dot.* 2>/dev/null || true
  find "$root/usr/share/doc" -type d -empty -delete
  # The CA bundle, as update-ca-certificates would assemble it (sorted, so deterministic).
  mkdir -p "$root/etc/ssl/certs"
  find "$root/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$root/etc/ssl/certs/ca-certificates.crt"
  # Users: root and the non-root user the Deployments run as (65532, distroless's nonroot).
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > "$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' > "$root/etc/group"
  printf '%s\n' 'hosts: files dns' 'networks: files' 'protocols: files' 'services: files' > "$root/etc/nsswitch.conf"
  ln -sf ../usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
  mkdir -p "$root/tmp" "$root/root" "$root/home/nonroot"
  chmod 1777 "$root/tmp"; chmod 0700 "$root/root"
  mkdir -p "$stage/data"
}

# Same modes and owner (root; the data dir is chowned in the Containerfile) and time 0 on
# every file, so that the layer archives depend only on the contents.
normalise() {
  chown -R 0:0 "$1"
  find "$1" -exec touch -h -d @0 {} +
}

build_local() {
  local binary=$1 stage
  [[ -x "$binary" ]] || { echo "error: no executable binary at $binary" >&2; return 1; }
  stage="$(mktemp -d)"
  make_rootfs "$stage"
  install -m 0755 "$binary" "$stage/estelam"
  cp k8s/image/Containerfile "$stage/Containerfile"
  normalise "$stage"
  podman build --quiet --pull=never --timestamp 0 ${NO_CACHE:+--no-cache} \
    -f "$stage/Containerfile" -t "$TAG" "$stage" >/dev/null
  rm -rf "$stage"
}

# Copies the image to an OCI layout (gzip layers, the form a registry serves) and prints the
# manifest digest.
export_oci() {
  local dir=$1
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
  skopeo copy --quiet --dest-compress --dest-compress-format gzip \
    "containers-storage:$TAG" "oci:$dir:estelam" >&2
  python3 - "$dir" <<'PY'
import json, sys
index = json.load(open(f"{sys.argv[1]}/index.json"))
print(index["manifests"][0]["digest"])
PY
}

case "${1:-}" in
  local)
    binary="${2:?usage: k8s/image/build.sh local BINARY [--check-reproducible]}"
    podman_env
    log "image $TAG from $binary"
    build_local "$binary"
    digest="$(export_oci "$OUT")"
    log "OCI layout $OUT, manifest $digest"
    if [[ "${3:-}" == --check-reproducible ]]; then
      log "second build from the same inputs (no build cache)"
      podman rmi --force "$TAG" >/dev/null
      NO_CACHE=1 build_local "$binary"
      again="$(export_oci "$OUT.again")"
      rm -rf "$OUT.again"
      if [[ "$again" != "$digest" ]]; then
        echo "error: not reproducible: $digest, then $again" >&2
        exit 1
      fi
      log "reproducible: both builds give $digest"
    fi
    echo "$digest"
    ;;
  registry)
    podman_env
    tag="${2:-estelam:0.1.0}"
    log "image $tag from k8s/Dockerfile (needs its registries)"
    podman build -f k8s/Dockerfile -t "$tag" .
    ;;
  *)
    echo "usage: k8s/image/build.sh local BINARY [--check-reproducible] | registry [TAG]" >&2
    exit 2
    ;;
esac
