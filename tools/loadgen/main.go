// Command loadgen fires realistic pixel traffic at the edge and writes the
// ground truth it implies; `loadgen verify` compares ClickHouse with it.
//
//	loadgen run -rate 5000 -sessions 20000 -truth truth.json
//	loadgen verify -truth truth.json
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/pixelpipe/pixelpipe/internal/loadgen"
	"github.com/pixelpipe/pixelpipe/pkg/chconn"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen run|verify [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "verify":
		err = verify(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (run or verify)", os.Args[1])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	plan := loadgen.PlanConfig{}
	rc := loadgen.RunConfig{}
	fs.Uint64Var(&plan.Seed, "seed", 1, "seed of the traffic plan")
	fs.StringVar(&plan.RunID, "run-id", "", "prefix of the run's application ids (default: random)")
	fs.IntVar(&plan.Apps, "apps", 20, "applications")
	fs.IntVar(&plan.Sessions, "sessions", 2000, "sessions (each browses 1-4 looks, 1-4 interactions per look)")
	fs.Float64Var(&plan.DuplicateShare, "duplicates", 0.1, "share of requests re-fired")
	fs.Float64Var(&plan.BotShare, "bots", 0.05, "share of sessions from bots")
	fs.Float64Var(&plan.BadShare, "bad", 0.02, "share of malformed requests")
	fs.StringVar(&rc.URL, "url", "http://127.0.0.1:8080/api/v1/analytics/pixel", "pixel endpoint")
	fs.IntVar(&rc.Rate, "rate", 0, "requests/s, open loop (0: closed loop, as fast as possible)")
	fs.IntVar(&rc.Concurrency, "concurrency", 64, "concurrent connections")
	fs.DurationVar(&rc.Timeout, "timeout", 10*time.Second, "per-request timeout")
	truthPath := fs.String("truth", "truth.json", "where to write the ground truth")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if plan.RunID == "" {
		plan.RunID = randomID()
	}
	reqs := loadgen.Plan(plan)
	res := loadgen.Run(context.Background(), rc, reqs)
	truth := loadgen.NewTruth(plan.RunID, reqs, res.Statuses)
	fmt.Printf("run %s: %d requests in %s (%.0f/s), %d accepted, %d rejected, %d failed, %d late; p50 %s p99 %s; %d unique interactions\n",
		plan.RunID, truth.Sent, res.Elapsed.Round(time.Millisecond), float64(truth.Sent)/res.Elapsed.Seconds(),
		truth.Accepted, truth.Rejected, truth.Failed, res.Late, res.Percentile(0.5), res.Percentile(0.99), truth.Unique)
	if truth.BadAccepted > 0 || truth.ValidRejected > 0 {
		return fmt.Errorf("edge broke the contract: %d malformed requests accepted, %d valid ones rejected", truth.BadAccepted, truth.ValidRejected)
	}
	return truth.Save(*truthPath)
}

func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	ch := chconn.Config{Database: "pixel", User: "default", DialTimeout: 5 * time.Second}
	fs.StringVar(&ch.Addrs, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native address")
	fs.StringVar(&ch.User, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&ch.Password, "clickhouse-password", "", "ClickHouse password")
	truthPath := fs.String("truth", "truth.json", "ground truth written by loadgen run")
	wait := fs.Duration("wait", time.Minute, "how long to wait for the pipeline to catch up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	truth, err := loadgen.LoadTruth(*truthPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait+30*time.Second)
	defer cancel()
	conn, err := chconn.Open(ctx, ch)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(*wait)
	for {
		diff, err := loadgen.Compare(ctx, conn, truth)
		if err != nil {
			return err
		}
		if len(diff) == 0 {
			fmt.Printf("run %s: ClickHouse matches the ground truth (%d unique interactions)\n", truth.RunID, truth.Unique)
			return nil
		}
		if time.Now().After(deadline) {
			for _, m := range diff {
				fmt.Println("  ", m)
			}
			return fmt.Errorf("run %s: %d totals differ from the ground truth", truth.RunID, len(diff))
		}
		time.Sleep(time.Second)
	}
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "lg" + hex.EncodeToString(b)
}
