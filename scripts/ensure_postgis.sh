#!/usr/bin/env bash
# Make sure a PostGIS server is reachable for MarketMap, installing and starting what is missing.
# Prints the database URL to use on its last line.
#   MARKETMAP_DATABASE_URL set  -> only check that server (install nothing).
#   otherwise                   -> Debian's PostgreSQL 15 + PostGIS 3, local cluster started,
#                                  role and database "marketmap" created (password "marketmap").
set -euo pipefail
log() { echo "[postgis] $*" >&2; }

if [ -n "${MARKETMAP_DATABASE_URL:-}" ]; then
  echo "$MARKETMAP_DATABASE_URL"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_pkgs=()
dpkg -s postgresql-15 >/dev/null 2>&1 || need_pkgs+=(postgresql-15 postgresql-contrib)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need_pkgs+=(postgresql-15-postgis-3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 '; then
  log "creating cluster 15/main"
  $SUDO pg_createcluster 15 main >&2
fi
status=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}')

# Server memory for this workload (PERFORMANCE-NOTES.md, bench/RESULTS.md): Debian's default 128 MB of
# shared buffers holds an eighth of a 10^6-entity enterprise table, so every grid reassignment and
# classification re-read it from the kernel's cache; a quarter of RAM, at most 4 GB, holds it whole.
# Written once; the cluster restarts only when this file changes.
conf="/etc/postgresql/15/main/conf.d/marketmap.conf"
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
buffers_mb=$(( mem_mb / 4 )); [ "$buffers_mb" -gt 4096 ] && buffers_mb=4096; [ "$buffers_mb" -lt 128 ] && buffers_mb=128
wanted=$(printf '# written by MarketMap scripts/ensure_postgis.sh\nshared_buffers = %dMB\n' "$buffers_mb")
if [ -d "$(dirname "$conf")" ] && [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
  log "setting shared_buffers = ${buffers_mb}MB in $conf"
  printf '%s\n' "$wanted" | $SUDO tee "$conf" >/dev/null
  if [ "$status" = "online" ]; then
    log "restarting cluster 15/main for the new setting"
    $SUDO pg_ctlcluster 15 main restart >&2 || { log "restart failed; back to the default"; $SUDO rm -f "$conf"; status=down; }
  fi
fi
status=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}')
if [ "$status" != "online" ]; then
  log "starting cluster 15/main"
  if ! $SUDO pg_ctlcluster 15 main start >&2 && [ -f "$conf" ]; then
    log "cluster did not start with $conf; starting with the default settings"
    $SUDO rm -f "$conf"
    $SUDO pg_ctlcluster 15 main start >&2
  fi
fi
port=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $3}')

psql_pg() { $SUDO runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAtX "$@"; }
for _ in $(seq 1 30); do psql_pg -c 'select 1' >/dev/null 2>&1 && break; sleep 1; done
if [ "$(psql_pg -c "select 1 from pg_roles where rolname='marketmap'")" != "1" ]; then
  log "creating role marketmap"
  psql_pg -c "create role marketmap login superuser password 'marketmap'" >&2
fi
if [ "$(psql_pg -c "select 1 from pg_database where datname='marketmap'")" != "1" ]; then
  log "creating database marketmap"
  psql_pg -c "create database marketmap owner marketmap" >&2
fi
# JIT costs more than it saves on interactive spatial queries (PERFORMANCE-NOTES.md).
psql_pg -c "alter database marketmap set jit = off" >&2
echo "postgresql+psycopg://marketmap:marketmap@127.0.0.1:${port}/marketmap"
