#!/usr/bin/env bash
# Project-local ClickHouse (Debian's clickhouse-server 18.16): native
# 127.0.0.1:9000, HTTP 127.0.0.1:8123, user "default" without password.
#
#   scripts/clickhouse.sh start    install if missing, start, wait for /ping
#   scripts/clickhouse.sh stop     SIGTERM, SIGKILL after STOP_TIMEOUT (30 s)
#   scripts/clickhouse.sh status   exit 0 when http://127.0.0.1:8123/ping answers
#
# Config: scripts/clickhouse/*.xml rendered to .run/clickhouse/. Data:
# .run/data/clickhouse. Logs: .run/logs/clickhouse.log and clickhouse.err.log.
# Pid: .run/clickhouse.pid. The server runs as the invoking user (root is
# fine for 18.16 when it owns the data folder, which it does here).
set -euo pipefail
LOG_TAG=clickhouse
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CH_SRC="$ROOT/scripts/clickhouse"
CH_CONF_DIR="$RUN_DIR/clickhouse"
CH_CONFIG="$CH_CONF_DIR/config.xml"
CH_DATA="$DATA_DIR/clickhouse"
CH_PING=http://127.0.0.1:8123/ping
CH_START_TIMEOUT=${CH_START_TIMEOUT:-60}

# server_cmd: prints the command that runs the server, one word per line.
server_cmd() {
  if command -v clickhouse-server >/dev/null; then
    command -v clickhouse-server
  elif [[ -x /usr/sbin/clickhouse-server ]]; then
    echo /usr/sbin/clickhouse-server
  elif command -v clickhouse >/dev/null; then
    command -v clickhouse
    echo server
  else
    return 1
  fi
}

ensure_clickhouse() {
  ensure_packages curl clickhouse-server clickhouse-client
  server_cmd >/dev/null || die "clickhouse-server not found after install"
}

healthy() { [[ $(curl -fsS --max-time 3 "$CH_PING" 2>/dev/null) == Ok.* ]]; }

render_config() {
  mkdir -p "$CH_DATA" "$LOG_DIR"
  render_template "$CH_SRC/config.xml" "$CH_CONFIG" \
    "DATA_DIR=$CH_DATA" "LOG_DIR=$LOG_DIR"
  cp "$CH_SRC/users.xml" "$CH_CONF_DIR/users.xml"
}

stop_clickhouse() {
  stop_component clickhouse find_pids "--config-file=$CH_CONFIG"
}

start_clickhouse() {
  local cmd
  if healthy; then
    log "already running ($CH_PING)"
    return 0
  fi
  stop_clickhouse
  ensure_clickhouse
  ensure_dirs
  render_config
  mapfile -t cmd < <(server_cmd)
  log "starting on 127.0.0.1:9000 / :8123 (log: ${LOG_DIR#"$ROOT"/}/clickhouse.log)"
  # The server resolves relative paths (users.xml) against the config's folder.
  start_daemon clickhouse "${cmd[@]}" "--config-file=$CH_CONFIG"
  wait_healthy clickhouse "$CH_START_TIMEOUT" healthy || {
    show_err_log
    stop_clickhouse
    die "clickhouse did not start"
  }
}

show_err_log() {
  local f="$LOG_DIR/clickhouse.err.log"
  [[ -s $f ]] || return 0
  log "---- last 20 lines of ${f#"$ROOT"/} ----"
  tail -n 20 "$f" >&2
}

status_clickhouse() {
  local pid
  pid=$(read_pid clickhouse) || pid=
  if healthy; then
    echo "clickhouse: healthy on 127.0.0.1:8123${pid:+ (pid $pid)}"
  elif [[ -n $pid ]]; then
    echo "clickhouse: pid $pid running but not healthy"
    return 1
  else
    echo "clickhouse: stopped"
    return 1
  fi
}

main() {
  case "${1:-}" in
    start) start_clickhouse ;;
    stop) stop_clickhouse ;;
    status) status_clickhouse ;;
    *)
      echo "usage: $0 start|stop|status" >&2
      exit 2
      ;;
  esac
}

main "$@"
