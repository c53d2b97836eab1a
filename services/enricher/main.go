// Command enricher consumes raw hits, turns them into typed, deduplicated
// events on pixel.events and routes what it cannot use to pixel.dlq.
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
		fmt.Fprintln(os.Stderr, "enricher:", err)
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
		fmt.Println("enricher: settings are valid")
		return nil
	}
	log, err := logging.New("enricher", cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	reader, err := kafkax.NewReader(cfg.Kafka, kafkax.ReaderConfig{Group: cfg.Group, Topic: cfg.InputTopic})
	if err != nil {
		return err
	}
	writer, err := kafkax.NewWriter(cfg.Kafka, kafkax.WriterConfig{
		Linger: cfg.Linger, BatchSize: cfg.BatchRecords, WriteTimeout: 10 * time.Second,
	})
	if err != nil {
		return err
	}
	client, err := kafkax.NewClient(cfg.Kafka)
	if err != nil {
		return err
	}
	geo, err := openGeo(cfg.GeoIPDB)
	if err != nil {
		return err
	}
	ua, err := newUAClassifier(cfg.UACacheSize)
	if err != nil {
		return fmt.Errorf("creating the user-agent cache: %w", err)
	}
	m := newMetrics(reg)
	changelog := newKafkaChangelog(client, cfg.DedupTopic, m.changelogSkips.Inc)
	state := newDedupState(changelog, cfg.DedupWindow, cfg.DedupCapacity, m)
	en := &enricher{ip: newIPAnonymizer(cfg.IPMode, cfg.IPHashSecret), geo: geo, ua: ua}
	h := newHandler(writer, cfg.Topics, state, en, log, m)
	loop := consume.NewLoop(consume.Config{
		MaxRecords: cfg.BatchRecords, MaxBytes: 8 << 20, MaxWait: cfg.BatchWait,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second, CommitRetries: 3,
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
	log.Info("enricher started", zap.String("input", cfg.InputTopic), zap.String("group", cfg.Group),
		zap.String("dedup_topic", cfg.DedupTopic), zap.String("ip_mode", cfg.IPMode), zap.Bool("geoip", cfg.GeoIPDB != ""),
		zap.String("admin", adminSrv.Addr()))

	runErr := lifecycle.Wait(log, failed)
	stopping.Store(true)
	cancel()
	lifecycle.Stop(log, "consumer loop", func() error { <-loopDone; return nil })
	lifecycle.Stop(log, "kafka reader", reader.Close)
	lifecycle.Stop(log, "kafka writer", writer.Close)
	lifecycle.Stop(log, "geoip database", geo.Close)
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer stopCancel()
	lifecycle.Stop(log, "admin server", func() error { return adminSrv.Shutdown(stopCtx) })
	return runErr
}
