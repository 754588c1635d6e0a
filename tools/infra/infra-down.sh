#!/usr/bin/env bash
# Stop Kafka and PostgreSQL started by infra-up.sh.  --wipe also deletes Kafka's data (Postgres data is
# kept: it lives in the Debian cluster; drop databases with SQL if needed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
bash "$HERE/kafka-down.sh" "$@" || rc=$?
bash "$HERE/postgres-down.sh" || rc=$?
exit "$rc"
