#!/usr/bin/env bash
# Start a real PostgreSQL (Debian packages) on 127.0.0.1:5432 and create the project's roles/databases,
# idempotently.
#
#   tools/infra/postgres-up.sh       # prints DATABASE_URL=postgresql+psycopg://msp:msp@127.0.0.1:5432/msp
#
# - Installs Debian's `postgresql` if no server binaries are present (needs root; apt-get update first).
# - Uses the Debian cluster on port $POSTGRES_PORT (the default `main` cluster, via pg_ctlcluster); creates
#   one with pg_createcluster if there is none on that port.
# - Roles/databases (role = database name = password, database owned by its role):
#     msp (LOGIN CREATEDB; tests create throwaway databases) and one per service: cpi spo ram sli dsa vcm.
# Progress goes to stderr; stdout carries only the env line.
#
# Environment: POSTGRES_PORT (default 5432), POSTGRES_START_TIMEOUT seconds (default 60).
set -euo pipefail
trap 'echo "postgres-up: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

PORT="${POSTGRES_PORT:-5432}"
TIMEOUT="${POSTGRES_START_TIMEOUT:-60}"
# One database and role per agent: the service folders (the same set as the msp.agents entry points).
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mapfile -t SERVICE_DBS < <(cd "$REPO/services" && for d in */pyproject.toml; do echo "${d%%/*}"; done)

log() { echo "postgres-up: $*" >&2; }
die() { echo "postgres-up: ERROR: $*" >&2; exit 1; }

# Run a command as the postgres OS user (peer auth on the Unix socket, no password needed).
as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then "$@"
  elif [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"
  else sudo -n -u postgres -- "$@"
  fi
}

# --- 1. install the server if missing ------------------------------------------------------------------
server_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null
}
if ! server_installed; then
  [[ $EUID -eq 0 ]] || die "PostgreSQL server is not installed and we are not root (apt-get install postgresql)"
  log "installing Debian postgresql (apt-get update && apt-get install -y postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  server_installed || die "postgresql installed, but no server binaries found"
fi

# --- 2. pick (or create) the cluster on $PORT ----------------------------------------------------------
# pg_lsclusters -h: "<version> <name> <port> <status> <owner> <datadir> <logfile>"
find_cluster() { pg_lsclusters -h | awk -v p="$PORT" '$3 == p { print $1, $2; exit }'; }
read -r VER NAME < <(find_cluster) || true
if [[ -z "${VER:-}" ]]; then
  # shellcheck disable=SC2012  # version dirs are plain numbers
  VER="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
  # Debian's package creates "main" on install; if "main" exists on another port, do not touch it.
  NAME=main
  pg_lsclusters -h | awk '{ print $1, $2 }' | grep -qx "$VER main" && NAME=msp
  log "creating cluster $VER/$NAME on port $PORT"
  pg_createcluster "$VER" "$NAME" --port "$PORT" >&2
fi

# --- 3. start it ---------------------------------------------------------------------------------------
# pg_ctlcluster status: 0 = running, 3 = not running. (No systemd in containers: it runs pg_ctl itself.)
status=0
pg_ctlcluster "$VER" "$NAME" status >/dev/null 2>&1 || status=$?
if [[ $status -eq 0 ]]; then
  log "cluster $VER/$NAME already running on port $PORT"
else
  log "starting cluster $VER/$NAME on port $PORT"
  pg_ctlcluster "$VER" "$NAME" start >&2 \
    || { tail -n 20 "/var/log/postgresql/postgresql-$VER-$NAME.log" >&2 || true; die "pg_ctlcluster start failed"; }
fi

# --- 4. wait until it accepts TCP connections on 127.0.0.1 --------------------------------------------
# Debian's default listen_addresses is 'localhost' (127.0.0.1 and ::1), which is what we want.
deadline=$((SECONDS + TIMEOUT))
until pg_isready -q -h 127.0.0.1 -p "$PORT" -t 2; do
  if ((SECONDS >= deadline)); then
    tail -n 20 "/var/log/postgresql/postgresql-$VER-$NAME.log" >&2 || true
    die "PostgreSQL not accepting connections on 127.0.0.1:$PORT after ${TIMEOUT}s"
  fi
  sleep 0.5
done

# --- 5. roles and databases (idempotent) ---------------------------------------------------------------
# Existing roles get their password/attributes re-set, so a drifted role is repaired. The names are fixed
# identifiers from this script (no quoting issues). CREATE DATABASE cannot run inside DO/functions, so
# it is generated with \gexec only for missing databases.
sql=""
for r in msp "${SERVICE_DBS[@]}"; do
  attrs="LOGIN"; [[ $r == msp ]] && attrs="LOGIN CREATEDB"
  sql+="
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$r') THEN
    CREATE ROLE $r $attrs PASSWORD '$r';
  ELSE
    ALTER ROLE $r $attrs PASSWORD '$r';
  END IF;
END \$\$;
SELECT format('CREATE DATABASE %I OWNER %I', '$r', '$r')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$r') \\gexec
ALTER DATABASE $r OWNER TO $r;
"
done
# msp drops the throwaway test databases WITH (FORCE); that terminates whatever is still connected
# (a service role's pool, an autovacuum worker), which needs pg_signal_backend for a non-superuser.
sql+="
GRANT pg_signal_backend TO msp;
"
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres >/dev/null <<<"$sql"

# --- 6. prove that password auth over TCP works (pg_hba: Debian default is scram-sha-256 on 127.0.0.1) ---
for r in msp "${SERVICE_DBS[@]}"; do
  PGPASSWORD="$r" psql -X -q -w -h 127.0.0.1 -p "$PORT" -U "$r" -d "$r" -tAc 'SELECT 1' >/dev/null \
    || die "cannot log in as $r over TCP on 127.0.0.1:$PORT (check pg_hba.conf of $VER/$NAME)"
done

log "ready on 127.0.0.1:$PORT (cluster $VER/$NAME; roles/dbs: msp ${SERVICE_DBS[*]})"
echo "DATABASE_URL=postgresql+psycopg://msp:msp@127.0.0.1:$PORT/msp"
