#!/usr/bin/env bash
# The broker's limit: Kafka's own producer performance tool, acks=all, lz4,
# records the size of a pixel.raw message, into a throw-away topic of the
# running stack. Prints records/s; the report goes to .run/bench/kafka-producer.txt.
#
# Environment: BENCH_KAFKA_RECORDS (500000), BENCH_RECORD_SIZE (620 bytes:
#   a pixel.raw message of the spec's item_click example).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RECORDS=${BENCH_KAFKA_RECORDS:-500000}
SIZE=${BENCH_RECORD_SIZE:-620}
TOPIC=pixel.bench.producer
LIBS="$ROOT/.cache/kafka/libs/*"
LOG4J=(-Dlog4j2.configurationFile="$ROOT/scripts/kafka/tools-log4j2.xml")

kafka_tool() { java -Xmx512m "${LOG4J[@]}" -cp "$LIBS" "$@"; }

kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 \
  --create --if-not-exists --topic "$TOPIC" --partitions 6 --replication-factor 1 >/dev/null
mkdir -p .run/bench
kafka_tool org.apache.kafka.tools.ProducerPerformance --topic "$TOPIC" \
  --num-records "$RECORDS" --record-size "$SIZE" --throughput -1 \
  --producer-props bootstrap.servers=127.0.0.1:9092 acks=all compression.type=lz4 linger.ms=5 \
  | tee .run/bench/kafka-producer.txt | tail -1
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --delete --topic "$TOPIC" >/dev/null
