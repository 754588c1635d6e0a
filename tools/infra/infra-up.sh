#!/usr/bin/env bash
# Start everything the services and integration tests need: PostgreSQL and Kafka, on 127.0.0.1.
# Idempotent (already-running pieces are only checked). Progress goes to stderr; stdout ends up with
# exactly the env lines, e.g. for a Makefile:   eval "$(tools/infra/infra-up.sh | sed 's/^/export /')"
#   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092
#   DATABASE_URL=postgresql+psycopg://msp:msp@127.0.0.1:5432/msp
# Both start in parallel (Kafka's JVM start and Postgres's start overlap), then we wait for both.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

bash "$HERE/kafka-up.sh" >"$TMP/kafka.env" &
KPID=$!
prc=0
bash "$HERE/postgres-up.sh" >"$TMP/pg.env" || prc=$?
krc=0
wait "$KPID" || krc=$?

if [[ $prc -ne 0 || $krc -ne 0 ]]; then
  echo "infra-up: FAILED (postgres-up rc=$prc, kafka-up rc=$krc; see messages above)" >&2
  exit 1
fi
cat "$TMP/kafka.env" "$TMP/pg.env"
