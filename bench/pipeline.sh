#!/usr/bin/env bash
# End to end: offered rates in steps against the running stack, with the
# limits of each component measured beside it in the same `make bench` run
# (bench/edge.sh, bench/kafka-producer.sh, the sink benchmark write their
# reports to .run/bench/ first). Prints one table and the ground-truth diff.
#
# Environment: BENCH_RATES (2000,5000,10000,20000), BENCH_STEP (20s).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bare=$(awk '$1 == "Requests/sec:" { print $2 }' .run/bench/bare.txt 2>/dev/null || true)
kafka=$(sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' .run/bench/kafka-producer.txt 2>/dev/null | tail -1 || true)
clickhouse=$(sed -n 's/.*[[:space:]]\([0-9.e+]*\) client-rows\/s.*/\1/p' .run/bench/sink.txt 2>/dev/null | tail -1 || true)

go build -o bin/ ./bench/pipeline
bin/pipeline -rates "${BENCH_RATES:-2000,5000,10000,20000}" -step "${BENCH_STEP:-20s}" \
  -bare204-rps "${bare:-0}" -kafka-rps "${kafka:-0}" -clickhouse-rps "${clickhouse:-0}"
