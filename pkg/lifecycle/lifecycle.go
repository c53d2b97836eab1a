// Package lifecycle holds the start/stop plumbing of a service main: wait for
// a signal or a failed component, then stop each part in reverse order.
package lifecycle

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Wait blocks until SIGINT/SIGTERM or until a component reports on failed,
// and returns that component's error (nil for a signal).
func Wait(log *zap.Logger, failed <-chan error) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		log.Info("stopping", zap.String("signal", sig.String()))
		return nil
	case err := <-failed:
		if err != nil {
			log.Error("component failed; stopping", zap.Error(err))
		}
		return err
	}
}

// Stop runs one stop step and logs how long it took.
func Stop(log *zap.Logger, name string, stop func() error) {
	start := time.Now()
	err := stop()
	fields := []zap.Field{zap.String("part", name), zap.Duration("took", time.Since(start))}
	if err != nil {
		log.Warn("stopped with error", append(fields, zap.Error(err))...)
		return
	}
	log.Info("stopped", fields...)
}
