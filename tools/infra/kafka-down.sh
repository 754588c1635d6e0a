#!/usr/bin/env bash
# Stop the broker started by kafka-up.sh (only the pid in its pid file, never anything found by name).
#
#   tools/infra/kafka-down.sh [--wipe]     # --wipe also deletes the data/state dir ($MSP_INFRA_DIR)
#
# SIGTERM first (Kafka shuts down cleanly and the next start skips log recovery), SIGKILL after
# KAFKA_STOP_TIMEOUT seconds (default 30).
set -euo pipefail
trap 'echo "kafka-down: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${MSP_INFRA_DIR:-$REPO/.infra/kafka}"
PIDFILE="$STATE/broker.pid"
CONF="$STATE/server.properties"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

WIPE=0
for arg in "$@"; do
  case "$arg" in
    --wipe) WIPE=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "kafka-down: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "kafka-down: $*" >&2; }

is_our_broker() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $CONF"
}

# Is SIGTERM ignored by process $1 (bit 15 of SigIgn in /proc/PID/status)?
ignores_sigterm() {
  local mask
  mask="$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [[ -n "$mask" ]] && (( (16#$mask >> 14) & 1 ))
}

if [[ -f "$PIDFILE" ]]; then
  PID="$(cat "$PIDFILE")"
  if is_our_broker "$PID"; then
    START=$SECONDS
    if ignores_sigterm "$PID"; then
      # The JVM installed no handler, so SIGTERM does nothing: waiting STOP_TIMEOUT would only delay the
      # SIGKILL. Only a broker started by an older kafka-up.sh (without env --default-signal) does this.
      log "broker pid $PID ignores SIGTERM (it was started with SIGTERM ignored); SIGKILL now, the next start" \
        "recovers its logs. kafka-up.sh now resets the signal, so this does not happen again"
      STOP_TIMEOUT=0
    else
      log "stopping broker pid $PID (SIGTERM)"
      kill -TERM "$PID" 2>/dev/null || true
    fi
    for _ in $(seq $((STOP_TIMEOUT * 10))); do
      is_our_broker "$PID" || break
      sleep 0.1
    done
    if is_our_broker "$PID"; then
      log "still alive after ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$PID" 2>/dev/null || true
      for _ in $(seq 50); do is_our_broker "$PID" || break; sleep 0.1; done
    fi
    log "stopped after $((SECONDS - START))s"
  else
    log "pid $PID from $PIDFILE is not running (stale pid file)"
  fi
  rm -f "$PIDFILE"
else
  log "no pid file at $PIDFILE; nothing to stop"
fi

if [[ $WIPE -eq 1 ]]; then
  # Refuse to wipe something that does not look like our state dir.
  if [[ -d "$STATE" && ( -f "$STATE/cluster.id" || -d "$STATE/data" || -d "$STATE/logs" ) ]]; then
    log "wiping $STATE"
    rm -rf "$STATE"
  elif [[ -e "$STATE" ]]; then
    log "not wiping $STATE: it does not look like a kafka-up.sh state dir"
    exit 1
  fi
fi
