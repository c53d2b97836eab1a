// Command sink consumes enriched events and stores them in ClickHouse in
// batches, committing offsets only after ClickHouse acknowledged a batch.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/admin"
	"github.com/pixelpipe/pixelpipe/pkg/chconn"
	"github.com/pixelpipe/pixelpipe/pkg/consume"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/lifecycle"
	"github.com/pixelpipe/pixelpipe/pkg/logging"
)

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	if cfg.CheckConfig {
		fmt.Println("sink: settings are valid")
		return nil
	}
	log, err := logging.New("sink", cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	startCtx, startCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer startCancel()
	conn, err := chconn.Open(startCtx, cfg.ClickHouse)
	if err != nil {
		return err
	}
	reader, err := kafkax.NewReader(cfg.Kafka, kafkax.ReaderConfig{Group: cfg.Group, Topic: cfg.InputTopic})
	if err != nil {
		return err
	}
	dlqWriter, err := kafkax.NewWriter(cfg.Kafka, kafkax.WriterConfig{
		Linger: 5 * time.Millisecond, BatchSize: cfg.BatchRecords, WriteTimeout: 10 * time.Second,
	})
	if err != nil {
		return err
	}
	h := newHandler(&chInserter{conn: conn}, dlqWriter, cfg.DLQTopic, log, newMetrics(reg))
	loop := consume.NewLoop(consume.Config{
		MaxRecords: cfg.BatchRecords, MaxBytes: cfg.BatchBytes, MaxWait: cfg.BatchWait,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second, CommitRetries: 3,
		StopTimeout: cfg.StopTimeout,
	}, reader, reader, h, log, consume.NewMetrics(reg))

	var stopping atomic.Bool
	probe, err := kafkax.NewProbe(cfg.Kafka)
	if err != nil {
		return err
	}
	adminSrv, err := admin.Listen(cfg.AdminListen, reg, func() error {
		if stopping.Load() {
			return errors.New("stopping")
		}
		pingCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := conn.Ping(pingCtx); err != nil {
			return fmt.Errorf("clickhouse: %w", err)
		}
		return probe.Check()
	})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := make(chan error, 2)
	loopDone := make(chan struct{})
	go func() { failed <- adminSrv.Serve() }()
	go func() {
		defer close(loopDone)
		if err := loop.Run(ctx); err != nil {
			failed <- err
		}
	}()
	log.Info("sink started", zap.String("input", cfg.InputTopic), zap.String("group", cfg.Group), zap.String("admin", adminSrv.Addr()))

	runErr := lifecycle.Wait(log, failed)
	stopping.Store(true)
	cancel()
	lifecycle.Stop(log, "consumer loop", func() error { <-loopDone; return nil })
	lifecycle.Stop(log, "kafka reader", reader.Close)
	lifecycle.Stop(log, "kafka writer", dlqWriter.Close)
	lifecycle.Stop(log, "clickhouse", conn.Close)
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer stopCancel()
	lifecycle.Stop(log, "admin server", func() error { return adminSrv.Shutdown(stopCtx) })
	return runErr
}
