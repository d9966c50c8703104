#!/usr/bin/env bash
# SQL statements per step of the nine-step flow, for BENCHMARKS.md:
#
#   tools/statements-per-step.sh [path/to/estelam-bench]
#
# Starts a private PostgreSQL 15 cluster (initdb into a temp dir, a free port, its socket in
# the temp dir; as root its tools run as the `postgres` user, as the fault suite's do) that
# preloads pg_stat_statements, then runs `estelam-bench --statements-per-step` against it:
# the whole system in the bench's process on that cluster (and on RabbitMQ at
# ESTELAM_AMQP_URL, default the local broker), one applicant filing one inquiry without and
# one with debt, one call at a time. The table (markdown) goes to stdout; the cluster is
# stopped and removed on exit. The bench binary defaults to
# $CARGO_TARGET_DIR/release/estelam-bench (build it with `cargo build --release -p
# estelam-bench`; a debug build counts the same statements).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
bench="${1:-${CARGO_TARGET_DIR:-target}/release/estelam-bench}"
[ -x "$bench" ] || { echo "error: no estelam-bench at $bench" >&2; exit 1; }
dir="$(mktemp -d /tmp/estelam-statements-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
stop() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log"
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 \
   -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000" >/dev/null
"$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c 'CREATE DATABASE estelam_bench' postgres
ESTELAM_DATABASE_URL="postgres://postgres@127.0.0.1:$port/estelam_bench" \
ESTELAM_AMQP_URL="${ESTELAM_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}" \
  "$bench" --statements-per-step
