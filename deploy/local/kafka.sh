#!/usr/bin/env bash
# Run a single-node Apache Kafka broker (KRaft, combined broker + controller) on
# 127.0.0.1, straight from the Kafka jars on Maven Central. Needs Java 17+ and Maven.
#
#   kafka.sh fetch    download the Kafka jars into the cache (once per version)
#   kafka.sh start    fetch if needed, format storage if needed, start, wait until ready
#   kafka.sh stop     graceful stop (SIGTERM, then SIGKILL after 30 s)
#   kafka.sh kill     SIGKILL the broker (simulates a crash; data is kept)
#   kafka.sh status   print "running" and exit 0 if the broker answers, else exit 1
#   kafka.sh reset    stop and delete this broker's data
#
# Environment (all optional):
#   KAFKA_PORT             client listener port              (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener port    (default 9093)
#   WARDEN_CACHE_DIR       where jars are cached             (default $HOME/.cache/warden)
#   WARDEN_STATE_DIR       where broker data/logs/pid live   (default $HOME/.cache/warden/state)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness     (default 90)
#   KAFKA_HEAP_OPTS        JVM heap flags                    (default -Xms256m -Xmx768m)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="$(tr -d '[:space:]' <"$HERE/kafka.version")"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

CACHE_DIR="${WARDEN_CACHE_DIR:-$HOME/.cache/warden}/kafka-$KAFKA_VERSION"
LIBS="$CACHE_DIR/libs"
FETCHED_MARKER="$CACHE_DIR/.fetched"

STATE_DIR="${WARDEN_STATE_DIR:-$HOME/.cache/warden/state}/kafka-$KAFKA_PORT"
DATA_DIR="$STATE_DIR/data"
CONFIG="$STATE_DIR/server.properties"
ADMIN_CONFIG="$STATE_DIR/admin.properties"
PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/kafka.log"
LOG4J_CONFIG="$HERE/kafka/log4j2.properties"

# How Kafka's command-line tools (storage format, topics) are run: quietly, from the cached jars.
TOOL=(java -Xmx256m -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.log.level=WARN)

say() { echo "kafka: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- helpers -----------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True while the process exists and is not a zombie.
alive() { ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }

# PID of the broker this script started for this port, if it is still alive.
broker_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && alive "$pid" || return 1
  # Guard against a recycled PID: it must be our kafka.Kafka with our config.
  ps -ww -p "$pid" -o args= 2>/dev/null | grep -q -- "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

# Ready = listener accepts connections AND the broker answers a metadata request.
ready() {
  port_open "$KAFKA_PORT" || return 1
  timeout 20 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$ADMIN_CONFIG" --list \
    >/dev/null 2>&1
}

check_java() {
  command -v java >/dev/null || die "java not found (Java 17+ is required)"
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Java 17+ is required (found ${major:-unknown})"
}

# --- commands ----------------------------------------------------------------

cmd_fetch() {
  if [[ -f "$FETCHED_MARKER" ]]; then
    say "Kafka $KAFKA_VERSION jars already in $LIBS"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch the Kafka jars)"
  say "fetching Kafka $KAFKA_VERSION jars from Maven into $LIBS ..."
  local tmp="$CACHE_DIR/libs.partial"
  rm -rf "$tmp"
  mkdir -p "$CACHE_DIR"
  if ! mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$CACHE_DIR/fetch.log" 2>&1; then
    cat "$CACHE_DIR/fetch.log" >&2
    die "mvn could not resolve the Kafka $KAFKA_VERSION jars (see above)"
  fi
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  touch "$FETCHED_MARKER"
  say "fetched $(find "$LIBS" -name "*.jar" | wc -l) jars"
}

write_config() {
  mkdir -p "$DATA_DIR"
  cat >"$CONFIG" <<EOF
# Written by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR

# Single node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

num.partitions=3
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0

# Restart faster after a crash: the controller waits for the crashed broker's
# session to expire before the restarted broker may register again (default 9 s).
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000
EOF
  cat >"$ADMIN_CONFIG" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  FRESH=1
  say "formatting storage in $DATA_DIR"
  local cluster_id
  cluster_id="$("${TOOL[@]}" kafka.tools.StorageTool random-uuid)"
  # --standalone: this node is the whole KRaft controller quorum.
  if ! "${TOOL[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONFIG" \
    >>"$LOG_FILE" 2>&1; then
    tail -n 20 "$LOG_FILE" >&2
    die "could not format storage in $DATA_DIR"
  fi
}

# Wait until the broker answers; fail with the end of its log if it dies or times out.
wait_ready() {
  local started=$SECONDS
  until ready; do
    if ! broker_pid >/dev/null; then
      rm -f "$PID_FILE"
      say "broker exited during startup; last log lines:"
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    if ((SECONDS - started >= START_TIMEOUT)); then
      say "broker not ready after ${START_TIMEOUT}s; last log lines:"
      tail -n 30 "$LOG_FILE" >&2
      die "startup timed out (broker left running: pid $(cat "$PID_FILE"); use 'kafka.sh stop')"
    fi
    sleep 1
  done
}

cmd_start() {
  local pid
  if pid="$(broker_pid)"; then
    say "broker already running on 127.0.0.1:$KAFKA_PORT (pid $pid)"
    wait_ready
    return 0
  fi
  rm -f "$PID_FILE"
  port_open "$KAFKA_PORT" &&
    die "port $KAFKA_PORT is in use by another process (not a broker started by this script)"
  port_open "$KAFKA_CONTROLLER_PORT" &&
    die "controller port $KAFKA_CONTROLLER_PORT is in use by another process"

  check_java
  cmd_fetch
  write_config
  format_storage

  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (log: $LOG_FILE)"
  local started=$SECONDS
  # setsid: the broker gets its own session, so it outlives the shell that started it.
  local detach=()
  command -v setsid >/dev/null && detach=(setsid)
  # shellcheck disable=SC2086  # HEAP_OPTS is a list of flags
  "${detach[@]}" java $HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.log.level=INFO \
    -cp "$LIBS/*" kafka.Kafka "$CONFIG" >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  wait_ready

  if [[ -n "${FRESH:-}" ]]; then
    # A new broker creates __consumer_offsets on the first group lookup; doing that now
    # spares the first consumer a "coordinator is loading" error and a rejoin.
    say "creating the consumer offsets topic"
    timeout 60 "${TOOL[@]}" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$ADMIN_CONFIG" \
      --describe --group kafka-sh-warmup >/dev/null 2>&1 || true
  fi
  say "ready on 127.0.0.1:$KAFKA_PORT after $((SECONDS - started))s (pid $(cat "$PID_FILE"))"
}

# Send a signal to our broker and wait (up to $3 seconds) until it is gone.
signal_and_wait() {
  local pid=$1 sig=$2 secs=$3 i
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 5; i++)); do
    alive "$pid" || return 0
    sleep 0.2
  done
  return 1
}

cmd_stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    say "no broker started by this script is running on port $KAFKA_PORT"
    return 0
  fi
  say "stopping broker (pid $pid) ..."
  if ! signal_and_wait "$pid" TERM 30; then
    say "still running after 30s; sending SIGKILL"
    signal_and_wait "$pid" KILL 10 || die "pid $pid did not exit"
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_kill() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    say "no broker started by this script is running on port $KAFKA_PORT"
    return 0
  fi
  signal_and_wait "$pid" KILL 10 || die "pid $pid did not exit"
  rm -f "$PID_FILE"
  say "killed broker (pid $pid); data kept in $DATA_DIR"
}

cmd_status() {
  if broker_pid >/dev/null && ready; then
    echo running
    return 0
  fi
  echo "not running"
  return 1
}

cmd_reset() {
  cmd_stop
  rm -rf "$STATE_DIR"
  say "deleted $STATE_DIR"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) cmd_kill ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $(basename "$0") fetch|start|stop|kill|status|reset" >&2
    exit 2
    ;;
esac
