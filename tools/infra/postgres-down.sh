#!/usr/bin/env bash
# Stop the Debian PostgreSQL cluster that postgres-up.sh uses (the one on $POSTGRES_PORT, default 5432).
# Data is kept; the next postgres-up.sh starts the same cluster again.
set -euo pipefail
trap 'echo "postgres-down: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

PORT="${POSTGRES_PORT:-5432}"
log() { echo "postgres-down: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "PostgreSQL is not installed; nothing to stop"
  exit 0
fi
read -r VER NAME < <(pg_lsclusters -h | awk -v p="$PORT" '$3 == p { print $1, $2; exit }') || true
if [[ -z "${VER:-}" ]]; then
  log "no cluster on port $PORT; nothing to stop"
  exit 0
fi
status=0
pg_ctlcluster "$VER" "$NAME" status >/dev/null 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  log "cluster $VER/$NAME is not running"
  exit 0
fi
# Fast mode: roll back open transactions and disconnect clients (the default "smart" mode would wait for
# every client, e.g. a forgotten test connection pool, to go away by itself).
log "stopping cluster $VER/$NAME"
pg_ctlcluster "$VER" "$NAME" stop -m fast >&2
