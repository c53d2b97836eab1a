# pixelpipe: build, local stack, tests. The stack (ClickHouse, Kafka, the
# services) is run by scripts/stack.sh; see the comment at its top.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

export PATH := $(PATH):/usr/local/go/bin
GO ?= go
STACK := scripts/stack.sh
GO_TEST_TIMEOUT ?= 20m

.PHONY: build up down run status test bench bench-go bench-kafka bench-pipeline bench-sink bench-edge chdb clean helm

## build: compile every service into bin/
build:
	$(GO) build -o bin/ ./services/...

## up: build, then start whatever of the stack is not running (background)
up: build
	$(STACK) up

## down: stop the whole stack
down:
	$(STACK) down

## run: build, then run the whole stack in the foreground (Ctrl-C stops it)
run: build
	$(STACK) run

status:
	$(STACK) status

## helm: build helm from the Go module proxy into .cache/bin (for the chart tests)
HELM_VERSION := v4.3.2
HELM := .cache/bin/helm
helm: $(HELM)
$(HELM):
	GOBIN=$(CURDIR)/.cache/bin $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

## test: all tests against the real stack, one package at a time (fault tests
## stop and kill parts of the shared stack); a stack that was not up before is
## stopped again afterwards. The exit code is go test's.
test: build chdb helm
	@if $(STACK) status >/dev/null 2>&1; then was_up=1; else was_up=0; fi; \
	if ! $(STACK) up; then \
		[ $$was_up = 1 ] || $(STACK) down; \
		exit 1; \
	fi; \
	rc=0; \
	PIXELPIPE_REQUIRE_STACK=1 $(GO) test -p 1 -count=1 -timeout $(GO_TEST_TIMEOUT) ./... || rc=$$?; \
	[ $$was_up = 1 ] || $(STACK) down || true; \
	exit $$rc

## chdb: the embedded current ClickHouse (PyPI) the schema and documented
## queries are also checked on (test/analytics)
chdb:
	@python3 -c 'import chdb' 2>/dev/null || python3 -m pip install --quiet chdb

## bench: Go benchmarks; each component against its own limit (edge vs bare
## fasthttp, Kafka's producer tool, sink vs clickhouse-client); then the
## whole pipeline at increasing rates with the ground-truth check
bench: bench-go bench-edge bench-kafka bench-sink bench-pipeline

bench-go:
	$(GO) test -run '^$$' -bench . -skip BenchmarkSinkBacklog -benchmem ./...

## bench-kafka: Kafka's producer performance tool, same message size (the broker's limit)
bench-kafka: up
	bench/kafka-producer.sh

## bench-pipeline: end to end at BENCH_RATES, BENCH_STEP each (docs/performance.md)
bench-pipeline: up
	bench/pipeline.sh

## bench-edge: wrk on the spec's item_click example, edge (live Kafka) vs a bare fasthttp 204 server
bench-edge: up
	bench/edge.sh

## bench-sink: sink rows/s from a 200k-event Kafka backlog into ClickHouse
## against clickhouse-client inserting the same rows ("ratio", goal >= 0.7);
## own topic and databases, on the running stack (started if needed)
bench-sink: up
	@mkdir -p .run/bench
	$(GO) test -run '^$$' -bench BenchmarkSinkBacklog -benchtime 1x -benchmem ./services/sink/ | tee .run/bench/sink.txt

## clean: stop the stack, remove binaries, runtime state and caches
clean: down
	rm -rf bin .run .cache
