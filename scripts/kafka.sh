#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker + controller in one JVM) for the
# local stack: client listener 127.0.0.1:9092, controller 127.0.0.1:9093.
#
#   scripts/kafka.sh start    resolve jars (once), format storage (once),
#                             start, wait until healthy, create the topics
#   scripts/kafka.sh stop     SIGTERM, SIGKILL after STOP_TIMEOUT (30 s)
#   scripts/kafka.sh status   exit 0 when the broker answers metadata calls
#   scripts/kafka.sh topics   create missing topics (broker must be up)
#   scripts/kafka.sh deps     only resolve the jars
#
# Jars: scripts/kafka/pom.xml, copied to .cache/kafka/libs by Maven (local
# repository: ~/.m2, or MAVEN_REPO_LOCAL). Data: .run/data/kafka. Log:
# .run/logs/kafka.log. Pid: .run/kafka.pid.
set -euo pipefail
LOG_TAG=kafka
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_SRC="$ROOT/scripts/kafka"
KAFKA_LIBS="$CACHE_DIR/kafka/libs"
KAFKA_CONF_DIR="$RUN_DIR/kafka"
KAFKA_PROPS="$KAFKA_CONF_DIR/server.properties"
KAFKA_DATA="$DATA_DIR/kafka"
BOOTSTRAP=127.0.0.1:9092
KAFKA_PORT=9092
TOPICS=(pixel.raw pixel.events pixel.dlq pixel.dedup)
TOPIC_PARTITIONS=6
# pixel.dedup is the enricher's dedup changelog (docs/adr/0003): compacted,
# and deleted past the 24 h dedup window plus an hour, in hourly segments.
declare -A TOPIC_CONFIG=(
  [pixel.dedup]="--config cleanup.policy=compact,delete --config retention.ms=90000000 --config segment.ms=3600000"
)
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1G}
KAFKA_JVM_OPTS=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_SRC/log4j2.xml")
TOOL_JVM_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$KAFKA_SRC/tools-log4j2.xml")

# resolve_jars: copies the pom's dependencies to .cache/kafka/libs unless the
# stamp there records the current pom.
resolve_jars() {
  local want stamp="$KAFKA_LIBS/.pom.sha256" tmp mvnlog="$CACHE_DIR/kafka/mvn.log"
  want=$(sha256sum "$KAFKA_SRC/pom.xml" | cut -d' ' -f1)
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return 0
  ensure_java
  log "resolving Kafka jars with Maven (scripts/kafka/pom.xml)"
  mkdir -p "$CACHE_DIR/kafka"
  tmp="$CACHE_DIR/kafka/libs.tmp"
  rm -rf "$tmp"
  if ! timeout "${MAVEN_TIMEOUT:-600}" mvn -B -q -Dstyle.color=never -f "$KAFKA_SRC/pom.xml" \
    ${MAVEN_REPO_LOCAL:+"-Dmaven.repo.local=$MAVEN_REPO_LOCAL"} \
    dependency:copy-dependencies -DincludeScope=runtime \
    "-DoutputDirectory=$tmp" >"$mvnlog" 2>&1; then
    tail -n 40 "$mvnlog" >&2
    die "maven could not resolve the Kafka jars (log: ${mvnlog#"$ROOT"/})"
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  echo "$want" >"$stamp"
  log "$(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in ${KAFKA_LIBS#"$ROOT"/}"
}

kafka_tool() {
  java "${TOOL_JVM_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"
}

topic_command() {
  timeout 20 java "${TOOL_JVM_OPTS[@]}" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --command-config "$KAFKA_SRC/admin.properties" "$@"
}

render_config() {
  mkdir -p "$KAFKA_DATA"
  render_template "$KAFKA_SRC/server.properties" "$KAFKA_PROPS" "DATA_DIR=$KAFKA_DATA"
}

# format_storage: once per data folder (KRaft needs a formatted log dir).
format_storage() {
  local id_file="$KAFKA_CONF_DIR/cluster-id" id
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  if [[ -s $id_file ]]; then
    id=$(cat "$id_file")
  else
    id=$(kafka_tool kafka.tools.StorageTool random-uuid)
    echo "$id" >"$id_file"
  fi
  log "formatting ${KAFKA_DATA#"$ROOT"/} (cluster id $id)"
  kafka_tool kafka.tools.StorageTool format --ignore-formatted \
    -t "$id" -c "$KAFKA_PROPS" >>"$LOG_DIR/kafka.log" 2>&1 ||
    die "formatting failed (see ${LOG_DIR#"$ROOT"/}/kafka.log)"
}

# healthy: the port answers and a metadata call (list topics) works. Keeps
# the list in TOPIC_LIST for ensure_topics.
TOPIC_LIST=
healthy() {
  port_open "$KAFKA_PORT" && TOPIC_LIST=$(topic_command --list 2>/dev/null)
}

ensure_topics() {
  local existing=$TOPIC_LIST topic
  [[ -n $existing ]] || existing=$(topic_command --list) ||
    die "cannot list topics on $BOOTSTRAP"
  for topic in "${TOPICS[@]}"; do
    grep -qxF "$topic" <<<"$existing" && continue
    log "creating topic $topic ($TOPIC_PARTITIONS partitions, replication 1)"
    # shellcheck disable=SC2086 # TOPIC_CONFIG holds a list of flags
    topic_command --create --if-not-exists --topic "$topic" \
      --partitions "$TOPIC_PARTITIONS" --replication-factor 1 ${TOPIC_CONFIG[$topic]:-} >/dev/null
  done
}

stop_kafka() {
  stop_component kafka find_pids "$KAFKA_LIBS/*" " kafka.Kafka "
}

# settle_dead_broker: when the broker in the pid file just died (kill -9), its
# port can accept connections a moment longer; give the kernel time to close it
# so that the health probe below does not wait on a dead broker.
settle_dead_broker() {
  [[ -f $(pid_file kafka) ]] || return 0
  read_pid kafka >/dev/null && return 0
  for _ in $(seq 1 20); do
    port_open "$KAFKA_PORT" || return 0
    sleep 0.1
  done
}

start_kafka() {
  resolve_jars
  settle_dead_broker
  if healthy; then
    log "already running on $BOOTSTRAP"
    ensure_topics
    return 0
  fi
  # A process that is alive but does not answer (hung, or half dead) goes.
  stop_kafka
  ensure_java
  ensure_dirs
  render_config
  format_storage
  log "starting on $BOOTSTRAP (log: ${LOG_DIR#"$ROOT"/}/kafka.log)"
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of flags
  start_daemon kafka java $KAFKA_HEAP_OPTS "${KAFKA_JVM_OPTS[@]}" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
  wait_healthy kafka "$KAFKA_START_TIMEOUT" healthy || {
    stop_kafka
    die "kafka did not start"
  }
  ensure_topics
}

status_kafka() {
  local pid
  pid=$(read_pid kafka) || pid=
  if [[ -f $KAFKA_LIBS/.pom.sha256 ]] && healthy; then
    echo "kafka: healthy on $BOOTSTRAP${pid:+ (pid $pid)}"
  elif [[ -n $pid ]]; then
    echo "kafka: pid $pid running but not healthy"
    return 1
  else
    echo "kafka: stopped"
    return 1
  fi
}

main() {
  case "${1:-}" in
    start) start_kafka ;;
    stop) stop_kafka ;;
    status) status_kafka ;;
    topics) ensure_topics ;;
    deps) resolve_jars ;;
    *)
      echo "usage: $0 start|stop|status|topics|deps" >&2
      exit 2
      ;;
  esac
}

main "$@"
