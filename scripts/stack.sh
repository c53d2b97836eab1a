#!/usr/bin/env bash
# The whole local stack: ClickHouse, Kafka (+ topics), migrations, then the
# services edge, enricher and sink (binaries from `make build` in bin/).
#
#   scripts/stack.sh up             start whatever is not healthy, wait for it
#   scripts/stack.sh down           stop everything (services first)
#   scripts/stack.sh run            up, follow the logs, down on Ctrl-C/SIGTERM
#   scripts/stack.sh status         one line per component; exit 0 if all healthy
#   scripts/stack.sh start NAME     start one component (kafka, clickhouse,
#   scripts/stack.sh stop NAME        edge, enricher, sink; start migrate runs
#                                     the migrations)
#   scripts/stack.sh deps           install packages and Kafka jars only
#
# "Running" means healthy: ClickHouse answers /ping, Kafka answers a metadata
# call, a service answers /readyz on its admin port. A pid alone proves nothing
# (a killed process can linger as a zombie).
#
# Environment:
#   STACK_INFRA_ONLY=1   skip services whose binary is missing (else: error)
#   SERVICE_START_TIMEOUT, KAFKA_START_TIMEOUT, CH_START_TIMEOUT (seconds)
#   STOP_TIMEOUT         seconds between SIGTERM and SIGKILL (30)
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPTS="$ROOT/scripts"
SERVICES=(edge enricher sink)
declare -A READY_URL=(
  [edge]=http://127.0.0.1:8081/readyz
  [enricher]=http://127.0.0.1:8082/readyz
  [sink]=http://127.0.0.1:8083/readyz
)
SERVICE_START_TIMEOUT=${SERVICE_START_TIMEOUT:-60}
MIGRATE_TIMEOUT=${MIGRATE_TIMEOUT:-120}
PIXEL_URL=http://127.0.0.1:8080/api/v1/analytics/pixel
# The spec's item_click example.
SAMPLE_QUERY='application=a1s2d3&interaction=item_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&item_id=101409&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d&response_uuid=1aie39-932f-2930-blf1-12031029323ja'

infra_only() { [[ ${STACK_INFRA_ONLY:-0} == 1 ]]; }

# need_binary NAME: bin/NAME exists. Missing: skipped with STACK_INFRA_ONLY=1
# (returns 1), fatal otherwise.
need_binary() {
  [[ -x $BIN_DIR/$1 ]] && return 0
  if infra_only; then
    log "skipping $1: bin/$1 is missing (STACK_INFRA_ONLY=1)"
    return 1
  fi
  die "bin/$1 is missing: run 'make build' first"
}

# ---- services ----------------------------------------------------------------

service_healthy() { http_ok "${READY_URL[$1]}"; }

stop_service() { stop_component "$1" find_argv0_pids "$BIN_DIR/$1"; }

start_service() {
  local name=$1
  need_binary "$name" || return 0
  if service_healthy "$name"; then
    log "$name already running (${READY_URL[$name]})"
    return 0
  fi
  stop_service "$name"
  log "starting $name (log: ${LOG_DIR#"$ROOT"/}/$name.log)"
  start_daemon "$name" "$BIN_DIR/$name"
  wait_healthy "$name" "$SERVICE_START_TIMEOUT" service_healthy "$name" ||
    die "$name did not become ready at ${READY_URL[$name]}"
}

status_service() {
  local name=$1 pid
  if [[ ! -x $BIN_DIR/$name ]] && infra_only; then
    echo "$name: skipped (no bin/$name)"
    return 0
  fi
  pid=$(read_pid "$name") || pid=
  if service_healthy "$name"; then
    echo "$name: healthy${pid:+ (pid $pid)}"
  elif [[ -n $pid ]]; then
    echo "$name: pid $pid running but not ready"
    return 1
  else
    echo "$name: stopped"
    return 1
  fi
}

run_migrate() {
  local logf="$LOG_DIR/migrate.log"
  need_binary migrate || return 0
  ensure_dirs
  log "running migrations (bin/migrate, log: ${logf#"$ROOT"/})"
  printf '==== %s migrate\n' "$(date -u +%FT%TZ)" >>"$logf"
  if ! timeout "$MIGRATE_TIMEOUT" "$BIN_DIR/migrate" >>"$logf" 2>&1 </dev/null; then
    show_log_tail migrate
    die "migrations failed"
  fi
}

# ---- components ----------------------------------------------------------------

start_one() {
  case "$1" in
    clickhouse | kafka) "$SCRIPTS/$1.sh" start ;;
    edge | enricher | sink) start_service "$1" ;;
    migrate) run_migrate ;;
    *) die "unknown component '$1' (clickhouse, kafka, migrate, edge, enricher, sink)" ;;
  esac
}

stop_one() {
  case "$1" in
    clickhouse | kafka) "$SCRIPTS/$1.sh" stop ;;
    edge | enricher | sink) stop_service "$1" ;;
    *) die "unknown component '$1' (clickhouse, kafka, edge, enricher, sink)" ;;
  esac
}

deps() {
  ensure_stack_packages
  "$SCRIPTS/kafka.sh" deps
}

up() {
  local started=$SECONDS name
  ensure_dirs
  deps
  start_one clickhouse
  start_one kafka
  run_migrate
  for name in "${SERVICES[@]}"; do start_service "$name"; done
  log "stack up in $((SECONDS - started))s"
  print_usage
}

down() {
  local name
  for name in sink enricher edge; do stop_service "$name"; done
  stop_component migrate find_argv0_pids "$BIN_DIR/migrate"
  stop_one kafka
  stop_one clickhouse
  log "stack down"
}

status() {
  local rc=0 name
  "$SCRIPTS/clickhouse.sh" status || rc=1
  "$SCRIPTS/kafka.sh" status || rc=1
  for name in "${SERVICES[@]}"; do status_service "$name" || rc=1; done
  return "$rc"
}

print_usage() {
  cat <<EOF

Pixel endpoint: $PIXEL_URL
Send the spec's item_click example:
  curl -i '$PIXEL_URL?$SAMPLE_QUERY'
Query ClickHouse:
  clickhouse-client --query "SELECT interaction, set_id, item_id, count() FROM pixel.interactions FINAL GROUP BY interaction, set_id, item_id"
Logs: ${LOG_DIR#"$ROOT"/}/   Stop: make down (scripts/stack.sh down)

EOF
}

# run: up, then follow the logs in the foreground until Ctrl-C or SIGTERM,
# then down.
run() {
  local tail_pid=
  # shellcheck disable=SC2317 # invoked by the trap
  on_signal() {
    trap - INT TERM
    [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null
    log "signal received: stopping the stack"
    down
    exit 0
  }
  trap on_signal INT TERM
  # In its own process, so that `set -e` holds inside (it would not in `up ||`).
  "${BASH_SOURCE[0]}" up || {
    log "up failed: stopping what was started"
    down
    exit 1
  }
  log "following the logs in ${LOG_DIR#"$ROOT"/}/; Ctrl-C stops the stack"
  tail -n 0 -F "$LOG_DIR"/{kafka,clickhouse.err,edge,enricher,sink}.log &
  tail_pid=$!
  wait "$tail_pid" || true
  tail_pid=
  down
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  local cmd=${1:-}
  case "$cmd" in
    up | down | run | status | deps)
      [[ $# -eq 1 ]] || usage
      "$cmd"
      ;;
    start | stop)
      [[ $# -eq 2 ]] || usage
      "${cmd}_one" "$2"
      ;;
    *) usage ;;
  esac
}

main "$@"
