# shellcheck shell=bash
# Sourced by k8s/image/build.sh and k8s/play/play.sh: a podman of the project's own, so that
# nothing touches the machine's container settings or storage.
#
#   * containers.conf and storage.conf are written under $ESTELAM_PODMAN_HOME (default
#     ~/.cache/estelam/podman) and selected with CONTAINERS_CONF / CONTAINERS_STORAGE_CONF;
#   * runc with the cgroupfs manager: crun refuses the mixed cgroup v1/v2 layout of
#     sandboxes like CI's, and there is no systemd to manage cgroups;
#   * explicit default ulimits (16384 open files and processes, or less where this shell's
#     hard limit is lower): podman's defaults (1048576) are above what a sandbox grants the
#     container's init, and runc then refuses to start it ("error setting rlimits");
#   * storage, run, temporary and network-definition directories all under the same cache
#     directory, so
#     `podman_reset` (podman system reset) removes everything this project made.
ESTELAM_PODMAN_HOME="${ESTELAM_PODMAN_HOME:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/estelam/podman}"

podman_env() {
  mkdir -p "$ESTELAM_PODMAN_HOME"/{storage,run,tmp,networks}
  local nofile=16384 nproc=16384 hard
  hard="$(ulimit -Hn)"; [[ "$hard" != unlimited && "$hard" -lt "$nofile" ]] && nofile=$hard
  hard="$(ulimit -Hu)"; [[ "$hard" != unlimited && "$hard" -lt "$nproc" ]] && nproc=$hard
  cat > "$ESTELAM_PODMAN_HOME/containers.conf" <<CONF
# Written by k8s/image/podman-env.sh; rewritten on every run.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ESTELAM_PODMAN_HOME/run/events.log"
tmp_dir = "$ESTELAM_PODMAN_HOME/tmp"

[network]
# Not the machine's /etc/containers/networks: podman system reset deletes the networks it
# finds there, which may be someone else's.
network_config_dir = "$ESTELAM_PODMAN_HOME/networks"
CONF
  cat > "$ESTELAM_PODMAN_HOME/storage.conf" <<CONF
# Written by k8s/image/podman-env.sh; rewritten on every run.
[storage]
driver = "overlay"
graphroot = "$ESTELAM_PODMAN_HOME/storage"
runroot = "$ESTELAM_PODMAN_HOME/run"
CONF
  export CONTAINERS_CONF="$ESTELAM_PODMAN_HOME/containers.conf"
  export CONTAINERS_STORAGE_CONF="$ESTELAM_PODMAN_HOME/storage.conf"
}

# Everything podman made under $ESTELAM_PODMAN_HOME: pods, containers, images, secrets.
podman_reset() {
  podman system reset --force >/dev/null 2>&1 || true
  rm -rf "${ESTELAM_PODMAN_HOME:?}"/{storage,run,tmp,networks}
}
