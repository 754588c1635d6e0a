#!/usr/bin/env bash
# Start a real single-node Apache Kafka (KRaft, broker+controller in one JVM) on 127.0.0.1, idempotently.
#
#   tools/infra/kafka-up.sh          # prints KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 on stdout when ready
#
# No Docker here, so the broker runs from the Maven Central jars (tools/infra/kafka/pom.xml). The jars stay in
# ~/.m2; we only keep the resolved classpath. All progress messages go to stderr, so stdout carries only the
# env line (a Makefile can eval it).
#
# Environment (all optional):
#   MSP_INFRA_DIR          state dir (data, logs, pid, rendered config)   default <repo>/.infra/kafka
#   KAFKA_HOST             listener address                               default 127.0.0.1
#   KAFKA_PORT             client (PLAINTEXT) port                        default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller port                          default 9093
#   KAFKA_HEAP_OPTS        JVM heap                                       default -Xms256m -Xmx768m
#   KAFKA_START_TIMEOUT    seconds to wait for readiness                  default 90
#   PYTHON                 python with aiokafka, runs wait_kafka.py       default python3 (falls back to
#                                                                         <repo>/.venv/bin/python if python3
#                                                                         has no aiokafka)
#   JAVA, MVN              binaries                                       default java, mvn
#   KAFKA_CLASSPATH_FROM   a resolved classpath.txt to reuse when the state dir has none (a private broker
#                          in a tmp dir)                                  default <repo>/.infra/kafka/classpath.txt
set -euo pipefail
trap 'echo "kafka-up: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

STATE="${MSP_INFRA_DIR:-$REPO/.infra/kafka}"
HOST="${KAFKA_HOST:-127.0.0.1}"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"
# Pinned: Maven 3.8.7's default dependency plugin is very old.
MDEP="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

BOOTSTRAP="$HOST:$PORT"
PIDFILE="$STATE/broker.pid"
LOGDIR="$STATE/logs"
LOG="$LOGDIR/broker.log"
CPFILE="$STATE/classpath.txt"
CONF="$STATE/server.properties"

log() { echo "kafka-up: $*" >&2; }
die() { echo "kafka-up: ERROR: $*" >&2; exit 1; }

# --- python for the readiness probe -------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import aiokafka' 2>/dev/null; then
  if [[ -x "$REPO/.venv/bin/python" ]] && "$REPO/.venv/bin/python" -c 'import aiokafka' 2>/dev/null; then
    log "$PYTHON has no aiokafka; using $REPO/.venv/bin/python for the readiness check"
    PYTHON="$REPO/.venv/bin/python"
  else
    die "'$PYTHON' cannot import aiokafka (needed by wait_kafka.py). Set PYTHON to the workspace venv python, e.g. PYTHON=$REPO/.venv/bin/python"
  fi
fi

# Is $1 the pid of *our* broker? (guards against a stale pid file whose pid was reused by something else)
is_our_broker() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $CONF" || return 1
}

wait_ready() {  # $1 = pid
  local rc=0
  "$PYTHON" "$HERE/wait_kafka.py" --bootstrap "$BOOTSTRAP" --timeout "$TIMEOUT" --pid "$1" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "kafka-up: ERROR: broker on $BOOTSTRAP did not become ready (wait_kafka rc=$rc). Last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2 || true
    if is_our_broker "$1"; then
      echo "kafka-up: the broker (pid $1) is left running for inspection; stop it with tools/infra/kafka-down.sh" >&2
    else
      rm -f "$PIDFILE"
    fi
    exit 1
  fi
}

mkdir -p "$STATE" "$LOGDIR"
# Keep runtime state out of git without editing the repo's .gitignore.
[[ -f "$REPO/.infra/.gitignore" ]] || { mkdir -p "$REPO/.infra" && echo '*' >"$REPO/.infra/.gitignore"; }

# --- 0. already running? ------------------------------------------------------------------------------
if [[ -f "$PIDFILE" ]]; then
  OLDPID="$(cat "$PIDFILE")"
  if is_our_broker "$OLDPID"; then
    log "broker already running (pid $OLDPID); checking that it answers"
    wait_ready "$OLDPID"
    log "ready on $BOOTSTRAP"
    echo "KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP"
    exit 0
  fi
  log "removing stale pid file (pid $OLDPID is not our broker)"
  rm -f "$PIDFILE"
fi

# Someone else on the port would make our broker die with "Address already in use"; say so clearly.
for p in "$PORT" "$CPORT"; do
  if (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
    die "$HOST:$p is already in use by another process (not the broker of $STATE)"
  fi
done

# --- 1. classpath (Maven Central -> ~/.m2) ------------------------------------------------------------
# Re-resolve only when pom.xml changed or a jar disappeared from ~/.m2; otherwise skip Maven entirely
# (a warm start then costs no Maven JVM at all).
POMSUM="$(sha256sum "$HERE/kafka/pom.xml" | cut -d' ' -f1)"
classpath_ok() {  # $1 = a classpath.txt resolved from this pom.xml whose jars are all still in ~/.m2
  [[ -s "$1" && -f "$1.sha256" && "$(cat "$1.sha256")" == "$POMSUM" ]] || return 1
  local jars j
  IFS=: read -r -a jars <"$1" || true  # no trailing newline -> read returns 1
  for j in "${jars[@]}"; do [[ -f "$j" ]] || return 1; done
}
# A fresh state dir (a private broker of the fault tests) reuses the classpath the default state dir
# already resolved: the jars are the same ones in ~/.m2, and a Maven JVM per start costs seconds.
SHARED_CPFILE="${KAFKA_CLASSPATH_FROM:-$REPO/.infra/kafka/classpath.txt}"
if ! classpath_ok "$CPFILE" && [[ "$SHARED_CPFILE" != "$CPFILE" ]] && classpath_ok "$SHARED_CPFILE"; then
  log "reusing the resolved classpath $SHARED_CPFILE"
  cp "$SHARED_CPFILE" "$CPFILE.tmp" && mv "$CPFILE.tmp" "$CPFILE"
  cp "$SHARED_CPFILE.sha256" "$CPFILE.sha256"
fi
need_resolve=1
classpath_ok "$CPFILE" && need_resolve=0
if [[ $need_resolve -eq 1 ]]; then
  log "resolving Kafka jars with Maven (first run downloads ~65 MB into ~/.m2)"
  # Output kept in a file (mvn -q still prints colour codes) and shown only on failure.
  if ! "$MVN" -B -f "$HERE/kafka/pom.xml" "$MDEP:build-classpath" \
      -DincludeScope=runtime -Dmdep.outputFile="$CPFILE.tmp" >"$LOGDIR/mvn.log" 2>&1; then
    tail -n 40 "$LOGDIR/mvn.log" >&2
    die "mvn could not resolve the Kafka jars (full output: $LOGDIR/mvn.log)"
  fi
  mv "$CPFILE.tmp" "$CPFILE"
  echo "$POMSUM" >"$CPFILE.sha256"
fi
CP="$(cat "$CPFILE")"

LOG_OPTS=(-Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" -Dkafka.logs.dir="$LOGDIR")

# --- 2. render server.properties -----------------------------------------------------------------------
sed -e "s#@@HOST@@#$HOST#g" -e "s#@@PORT@@#$PORT#g" -e "s#@@CONTROLLER_PORT@@#$CPORT#g" \
    -e "s#@@LOG_DIRS@@#$STATE/data#g" "$HERE/kafka/server.properties" >"$CONF"

# --- 3. format storage once ----------------------------------------------------------------------------
# meta.properties exists once formatted. --standalone writes this node as the only KRaft voter, with the
# controller endpoint of *this* config: changing KAFKA_CONTROLLER_PORT later needs kafka-down.sh --wipe.
if [[ ! -f "$STATE/data/meta.properties" ]]; then
  [[ -s "$STATE/cluster.id" ]] || \
    "$JAVA" -Xmx256m "${LOG_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool random-uuid >"$STATE/cluster.id"
  log "formatting $STATE/data (cluster id $(cat "$STATE/cluster.id"))"
  "$JAVA" -Xmx256m "${LOG_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format --standalone \
    -t "$(cat "$STATE/cluster.id")" -c "$CONF" -g >&2
fi

# --- 4. start the broker in the background -------------------------------------------------------------
# Keep one previous log for post-mortems.
[[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
# JVM flags as in Kafka's kafka-run-class.sh, with a small heap.
# setsid: own session, so a Ctrl-C in the calling shell/make does not kill the broker; stdin/out/err are
# detached so that $(kafka-up.sh) does not hang on the broker holding the pipe open. The inner bash
# writes its own pid and then execs java, so the pid file names the JVM itself.
log "starting broker on $BOOTSTRAP (controller $HOST:$CPORT), log: $LOG"
# env --default-signal: a signal *ignored* by whoever ran us (a CI runner, a supervisor, `trap '' TERM`) stays
# ignored across exec, and the JVM installs no shutdown handler for an ignored SIGTERM: kafka-down.sh then
# waited its 30 s, SIGKILLed the broker and the next start recovered every log (27 s instead of a few).
# A non-interactive bash cannot un-ignore it (`trap - TERM` is a no-op there), env can (coreutils >= 8.31).
DEFAULT_SIGNALS=(env --default-signal=TERM,INT,HUP)
if ! env --default-signal=TERM true 2>/dev/null; then
  log "WARNING: env has no --default-signal (coreutils < 8.31): if SIGTERM is ignored here, kafka-down.sh cannot stop the broker cleanly"
  DEFAULT_SIGNALS=()
fi
# shellcheck disable=SC2086  # HEAP is a list of JVM flags
# shellcheck disable=SC2016  # $$ and $1 are meant for the inner bash
setsid "${DEFAULT_SIGNALS[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
  "$JAVA" $HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
  "${LOG_OPTS[@]}" -cp "$CP" kafka.Kafka "$CONF" \
  </dev/null >"$LOG" 2>&1 &

# Wait for the pid file (written by the inner bash right away).
for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
[[ -s "$PIDFILE" ]] || die "broker did not write $PIDFILE"
PID="$(cat "$PIDFILE")"

# --- 5. wait until it answers a metadata request --------------------------------------------------------
START=$SECONDS
wait_ready "$PID"
log "ready on $BOOTSTRAP (pid $PID, $((SECONDS - START))s after launch)"
echo "KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP"
