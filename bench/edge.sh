#!/usr/bin/env bash
# Edge benchmark: wrk (Debian's package) on the spec's item_click example
# against the running edge (live Kafka: `make up` first; `make bench-edge`
# does it) and against bin/bare204, a fasthttp server that only answers 204,
# in one run. Prints requests/s, p50 and p99 of both and the ratio.
#
# Environment: BENCH_DURATION (10s), BENCH_CONNECTIONS (128), BENCH_THREADS (1),
#   BENCH_WRK_CPU (1: the CPU wrk is pinned to; empty: not pinned),
#   EDGE_URL, BARE_ADDR (127.0.0.1:8090).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-128}
THREADS=${BENCH_THREADS:-1}
WRK_CPU=${BENCH_WRK_CPU-1}
BARE_ADDR=${BARE_ADDR:-127.0.0.1:8090}
EDGE_URL=${EDGE_URL:-http://127.0.0.1:8080/api/v1/analytics/pixel}
# The spec's item_click example, verbatim.
QUERY='application=a1s2d3&interaction=item_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&item_id=101409&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d&response_uuid=1aie39-932f-2930-blf1-12031029323ja'

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk (scripts/stack.sh deps installs it)" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$EDGE_URL?$QUERY" || true)
[[ $code == 204 ]] || { echo "the edge at $EDGE_URL answered '$code', not 204: start the stack with make up" >&2; exit 1; }

go build -o bin/ ./bench/bare204
bin/bare204 -listen "$BARE_ADDR" &
bare_pid=$!
# The consumers pause while wrk runs: on 2 cores the enricher working through
# the flood would take the edge's CPU, and this measures the edge (with live
# Kafka). bench/pipeline.sh measures all stages together. They catch up after.
scripts/stack.sh stop enricher >/dev/null
scripts/stack.sh stop sink >/dev/null
trap 'kill "$bare_pid" 2>/dev/null || true; scripts/stack.sh start enricher >/dev/null; scripts/stack.sh start sink >/dev/null' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "http://$BARE_ADDR/" && break; sleep 0.1; done

pin=()
[[ -n $WRK_CPU ]] && command -v taskset >/dev/null && pin=(taskset -c "$WRK_CPU")

# run NAME URL: wrk's report in .run/bench/NAME.txt
run() {
  mkdir -p .run/bench
  # A short warm-up, so both servers are measured with warm pools and connections.
  "${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d2s "$2" >/dev/null
  "${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >".run/bench/$1.txt"
}

# field FILE WHAT: requests/s, or a latency percentile in milliseconds.
field() {
  awk -v what="$2" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    what == "rps" && $1 == "Requests/sec:" { print $2 }
    what == "p50" && $1 == "50%" { print ms($2) }
    what == "p99" && $1 == "99%" { print ms($2) }
    what == "non2xx" && /Non-2xx/ { print $NF }
  ' "$1"
}

run bare "http://$BARE_ADDR/api/v1/analytics/pixel?$QUERY"
run edge "$EDGE_URL?$QUERY"

cmd="${pin[*]} wrk -t$THREADS -c$CONNS -d$DURATION --latency"
printf '\nwrk: %s URL   (%s cores; reports in .run/bench/)\n' "$cmd" "$(nproc)"
printf '%-8s %12s %10s %10s\n' server 'requests/s' 'p50 ms' 'p99 ms'
for name in bare edge; do
  printf '%-8s %12.0f %10.3f %10.3f\n' "$name" "$(field ".run/bench/$name.txt" rps)" \
    "$(field ".run/bench/$name.txt" p50)" "$(field ".run/bench/$name.txt" p99)"
done
non2xx=$(field .run/bench/edge.txt non2xx)
[[ -z $non2xx ]] || echo "WARNING: the edge answered $non2xx requests with a status other than 2xx"
awk -v e="$(field .run/bench/edge.txt rps)" -v b="$(field .run/bench/bare.txt rps)" \
  -v p99="$(field .run/bench/edge.txt p99)" -v cores="$(nproc)" 'BEGIN {
    r = e / b
    printf "ratio edge/bare: %.2f (goal >= 0.50: %s); edge p99 %.2f ms (goal < 10: %s); edge per core: %.0f requests/s\n",
      r, (r >= 0.5 ? "met" : "NOT met"), p99, (p99 < 10 ? "met" : "NOT met"), e / cores
  }'
