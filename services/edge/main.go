// Command edge is the public pixel endpoint: it validates each hit against
// the spec, writes it to Kafka and answers 204 once Kafka acknowledged it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	log, err := logging.New("edge", cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	writer := kafkax.NewWriter(cfg.Kafka, kafkax.WriterConfig{
		Linger: cfg.Linger, BatchSize: cfg.BatchSize, WriteTimeout: cfg.ProduceTimeout,
	})
	handler := newHandler(&kafkaProducer{writer: writer, topic: cfg.Topic}, cfg.ProduceTimeout, log, newMetrics(reg))
	server := &fasthttp.Server{
		Handler:               handler.Serve,
		Name:                  "pixelpipe-edge",
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ReadBufferSize:        16 << 10, // also the largest accepted header block
		MaxRequestBodySize:    8 << 10,
		NoDefaultContentType:  true,
		NoDefaultServerHeader: true,
		Logger:                zap.NewStdLog(log),
	}

	var stopping atomic.Bool
	probe := kafkax.NewProbe(cfg.Kafka)
	adminSrv, err := admin.Listen(cfg.AdminListen, reg, func() error {
		if stopping.Load() {
			return errors.New("stopping")
		}
		return probe.Check()
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}

	errs := make(chan error, 2)
	go func() { errs <- adminSrv.Serve() }()
	go func() { errs <- server.Serve(ln) }()
	log.Info("edge started", zap.String("listen", cfg.Listen), zap.String("admin", adminSrv.Addr()))

	runErr := lifecycle.Wait(log, errs)

	stopping.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	lifecycle.Stop(log, "http server", func() error { return server.ShutdownWithContext(ctx) })
	lifecycle.Stop(log, "kafka writer", writer.Close)
	lifecycle.Stop(log, "admin server", func() error { return adminSrv.Shutdown(ctx) })
	return runErr
}
