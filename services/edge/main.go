// Command edge is the public pixel endpoint: it validates each hit against
// the spec, writes it to Kafka (or, while Kafka is unreachable, to a local
// fsynced spool replayed later) and answers 204 once the hit is durable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/segmentio/kafka-go"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/admin"
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
		fmt.Fprintln(os.Stderr, "edge:", err)
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
		fmt.Println("edge: settings are valid")
		return nil
	}
	log, err := logging.New("edge", cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)

	spool, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes, spoolSegmentBytes)
	if err != nil {
		return err
	}
	registerSpoolGauges(reg, spool)
	if depth := spool.Depth(); depth > 0 {
		log.Info("spool holds hits from an earlier run; replaying them", zap.Uint64("hits", depth))
	}
	writer, err := newKafkaWriter(cfg)
	if err != nil {
		return err
	}
	replay := newReplayer(replayerConfig{
		Spool: spool, Writer: writer, Topic: cfg.Topic, Batch: cfg.BatchSize, Timeout: cfg.ProduceTimeout, Log: log, Metrics: m,
	})
	pipe := newPipeline(pipelineConfig{
		Writer: writer, Topic: cfg.Topic, Spool: spool, Replay: replay, Linger: cfg.Linger, MaxBatch: cfg.BatchSize,
		Timeout: cfg.ProduceTimeout, Log: log, Metrics: m,
	})
	handler := newHandler(handlerConfig{Store: pipe, Applications: cfg.ApplicationList(), Log: log, Metrics: m})
	server := newServer(cfg, handler, log)

	var stopping atomic.Bool
	adminSrv, err := admin.Listen(cfg.AdminListen, reg, readiness(&stopping, spool, cfg.SpoolReadyBytes))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}

	go pipe.Run()
	go replay.Run()
	errs := make(chan error, 2)
	go func() { errs <- adminSrv.Serve() }()
	go func() { errs <- server.Serve(ln) }()
	log.Info("edge started", zap.String("listen", cfg.Listen), zap.String("admin", adminSrv.Addr()),
		zap.String("spool", cfg.SpoolDir))

	runErr := lifecycle.Wait(log, errs)

	// Readiness fails first, so a load balancer stops sending hits before the
	// listener closes; until then hits are still accepted as usual.
	stopping.Store(true)
	if runErr == nil && cfg.StopDelay > 0 {
		log.Info("failing readiness before closing the listener", zap.Duration("stop_delay", cfg.StopDelay))
		time.Sleep(cfg.StopDelay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	lifecycle.Stop(log, "http server", func() error { return server.ShutdownWithContext(ctx) })
	lifecycle.Stop(log, "produce pipeline", pipe.Close)
	lifecycle.Stop(log, "spool replayer", replay.Stop)
	lifecycle.Stop(log, "kafka writer", writer.Close)
	lifecycle.Stop(log, "spool", spool.Close)
	lifecycle.Stop(log, "admin server", func() error { return adminSrv.Shutdown(ctx) })
	return runErr
}

// spoolSegmentBytes bounds each WAL segment file. Removing replayed entries
// rewrites the front segment, so small segments keep that cheap.
const spoolSegmentBytes = 1 << 20

// newKafkaWriter returns the producer both the pipeline and the replayer use.
// The pipeline does the lingering, so kafka-go sends each call's messages
// at once instead of waiting for its own batch timer.
func newKafkaWriter(cfg Config) (*kafka.Writer, error) {
	w, err := kafkax.NewWriter(cfg.Kafka, kafkax.WriterConfig{
		Linger: time.Microsecond, BatchSize: cfg.BatchSize, WriteTimeout: cfg.ProduceTimeout,
	})
	if err != nil {
		return nil, err
	}
	w.BatchBytes = 16 << 20
	// A failed batch is spooled and replayed; retrying inside kafka-go would
	// only delay that and keep stale copies in flight.
	w.MaxAttempts = 2
	return w, nil
}

func newServer(cfg Config, h *Handler, log *zap.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:               h.Serve,
		Name:                  "pixelpipe-edge",
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ReadBufferSize:        cfg.MaxHeaderBytes, // also the largest accepted header block
		MaxRequestBodySize:    cfg.MaxBodyBytes,
		NoDefaultContentType:  true,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		CloseOnShutdown:       true,
		Logger:                zap.NewStdLog(log),
	}
}

// readiness fails while stopping and while the spool is over its threshold
// (Kafka has been away long enough that this edge should get less traffic).
// Kafka itself being away does not fail it: the spool takes the hits.
func readiness(stopping *atomic.Bool, s *spool, maxBytes int64) admin.ReadyFunc {
	return func() error {
		if stopping.Load() {
			return errors.New("stopping")
		}
		if b := s.Bytes(); b > maxBytes {
			return fmt.Errorf("spool holds %d bytes, more than %d", b, maxBytes)
		}
		return nil
	}
}
