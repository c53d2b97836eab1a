# shellcheck shell=bash disable=SC2034 # variables here are used by the sourcing scripts
# Shared helpers for the local-stack scripts. Source it; do not run it.
#
# Layout (all relative to the repo root, all git-ignored):
#   .run/<name>.pid        pid of a running component
#   .run/logs/<name>.log   its log
#   .run/data/<name>/      its data
#   .cache/                downloaded things (Kafka jars)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR="$ROOT/.run"
LOG_DIR="$RUN_DIR/logs"
DATA_DIR="$RUN_DIR/data"
CACHE_DIR="$ROOT/.cache"
BIN_DIR="$ROOT/bin"

# Seconds a component gets to stop after SIGTERM before it gets SIGKILL.
STOP_TIMEOUT=${STOP_TIMEOUT:-30}

log() { printf '[%s] %s\n' "${LOG_TAG:-stack}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_dirs() { mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"; }

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# is_alive PID: the process exists and is not a zombie.
is_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# read_pid NAME: prints the pid from .run/NAME.pid if that process is alive.
read_pid() {
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) || return 1
  is_alive "$pid" || return 1
  printf '%s' "$pid"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_ok URL: the URL answers 2xx within a few seconds.
http_ok() { curl -fsS --max-time 3 -o /dev/null "$1" 2>/dev/null; }

# find_pids PATTERN...: pids (not zombies) whose command line contains every
# PATTERN as a fixed string; never this shell or its parent.
find_pids() {
  local dir pid cmd pattern match
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$PPID" || $pid == "${BASHPID:-}" ]] && continue
    cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
    [[ -n $cmd ]] || continue
    match=1
    for pattern in "$@"; do
      [[ $cmd == *"$pattern"* ]] || { match=0; break; }
    done
    ((match)) && is_alive "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

# find_argv0_pids PATH: pids (not zombies) of processes started as PATH.
find_argv0_pids() {
  local dir argv0
  for dir in /proc/[0-9]*; do
    IFS= read -r -d '' argv0 <"$dir/cmdline" 2>/dev/null || continue
    [[ $argv0 == "$1" ]] && is_alive "${dir#/proc/}" && printf '%s\n' "${dir#/proc/}"
  done
  return 0
}

# start_daemon NAME CMD...: runs CMD in its own session, detached from this
# shell, stdout+stderr appended to .run/logs/NAME.log, pid in .run/NAME.pid.
start_daemon() {
  local name=$1 pidf logf
  shift
  pidf=$(pid_file "$name")
  logf="$LOG_DIR/$name.log"
  ensure_dirs
  rotate_log "$logf"
  printf '==== %s starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$logf"
  rm -f "$pidf"
  # The inner shell writes its own pid, then execs CMD: the pid is CMD's.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidf" "$@" \
    >>"$logf" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    [[ -s $pidf ]] && return 0
    sleep 0.1
  done
  die "$name: no pid file after starting"
}

# rotate_log FILE: keep one old generation once the log passes 64 MiB.
rotate_log() {
  local f=$1 size
  size=$(stat -c %s "$f" 2>/dev/null || echo 0)
  if ((size > 64 * 1024 * 1024)); then mv -f "$f" "$f.1"; fi
}

# wait_healthy NAME TIMEOUT CHECK...: polls CHECK until it succeeds. Fails
# early when the process in .run/NAME.pid died; on failure prints the log tail.
wait_healthy() {
  local name=$1 timeout=$2 start
  shift 2
  start=$SECONDS
  until "$@"; do
    if ! read_pid "$name" >/dev/null; then
      log "$name exited during startup"
      show_log_tail "$name"
      return 1
    fi
    if ((SECONDS - start >= timeout)); then
      log "$name not healthy after ${timeout}s"
      show_log_tail "$name"
      return 1
    fi
    sleep 0.5
  done
  log "$name healthy after $((SECONDS - start))s"
}

show_log_tail() {
  local logf="$LOG_DIR/$1.log"
  [[ -f $logf ]] || return 0
  log "---- last 40 lines of ${logf#"$ROOT"/} ----"
  tail -n 40 "$logf" >&2
  log "----"
}

# stop_pids NAME PID...: SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL.
stop_pids() {
  local name=$1 pid waited=0 alive
  shift
  (($#)) || return 0
  log "stopping $name (pid $*)"
  kill -TERM "$@" 2>/dev/null || true
  kill -CONT "$@" 2>/dev/null || true # a stopped (SIGSTOP) process must see it
  while :; do
    alive=()
    for pid in "$@"; do is_alive "$pid" && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    if ((waited >= STOP_TIMEOUT * 10)); then
      log "$name still running after ${STOP_TIMEOUT}s: SIGKILL ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      return 0
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# stop_component NAME FINDER [ARG...]: stops the process in .run/NAME.pid and
# any stray one that `FINDER ARG...` prints (a lookup by the project's own
# paths: find_pids or find_argv0_pids), then removes the pid file.
stop_component() {
  local name=$1 pid pids=()
  shift
  if pid=$(read_pid "$name"); then pids+=("$pid"); fi
  while read -r pid; do
    [[ -n $pid && " ${pids[*]} " != *" $pid "* ]] && pids+=("$pid")
  done < <("$@")
  stop_pids "$name" "${pids[@]}"
  rm -f "$(pid_file "$name")"
}

# render_template SRC DST KEY=VALUE...: copies SRC to DST replacing @KEY@.
render_template() {
  local src=$1 dst=$2 text pair key
  shift 2
  text=$(<"$src")
  for pair in "$@"; do
    key=${pair%%=*}
    text=${text//"@$key@"/"${pair#*=}"}
  done
  mkdir -p "$(dirname "$dst")"
  printf '%s\n' "$text" >"$dst"
}

# ---- packages ---------------------------------------------------------------

as_root() {
  if ((EUID == 0)); then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"
  fi
}

pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

APT_UPDATED=${APT_UPDATED:-0}

# ensure_packages PKG...: apt-get installs the packages that are missing.
ensure_packages() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get"
  ensure_dirs
  local aptlog="$LOG_DIR/apt.log"
  log "installing ${missing[*]} (apt, log: ${aptlog#"$ROOT"/})"
  if ((APT_UPDATED == 0)); then
    as_root apt-get update -qq >>"$aptlog" 2>&1 || {
      tail -n 20 "$aptlog" >&2
      die "apt-get update failed"
    }
    export APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
    >>"$aptlog" 2>&1 || {
    tail -n 20 "$aptlog" >&2
    die "apt-get install ${missing[*]} failed"
  }
  stop_system_clickhouse
}

# The Debian package may start its own server (system config, same ports) when
# the machine allows services to start on install; the project runs its own.
stop_system_clickhouse() {
  local pids
  mapfile -t pids < <(find_pids clickhouse-server /etc/clickhouse-server/config.xml)
  ((${#pids[@]})) || return 0
  log "stopping the system clickhouse-server that the package install started"
  as_root /etc/init.d/clickhouse-server stop >/dev/null 2>&1 || true
  mapfile -t pids < <(find_pids clickhouse-server /etc/clickhouse-server/config.xml)
  stop_pids system-clickhouse "${pids[@]}"
}

# ensure_java: java (17+, for Kafka 4.x) and mvn (to fetch Kafka's jars).
ensure_java() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  ensure_packages "${missing[@]}"
}

# ensure_stack_packages: everything the stack (and `make bench`) needs from apt.
ensure_stack_packages() {
  ensure_packages curl clickhouse-server clickhouse-client wrk
  ensure_java
}
