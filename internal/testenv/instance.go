package testenv

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Instance is an extra copy of a service beside the stack's own, e.g. a
// second member of a consumer group.
type Instance struct {
	Name  string
	Admin string
	cmd   *exec.Cmd
}

// StartInstance runs a copy of bin/<service> with the given environment
// (on top of this process's), its admin endpoint on admin, waits until it is
// ready, and stops it when the test ends. A copy, because `scripts/stack.sh
// stop <service>` stops every process started as bin/<service>.
func StartInstance(t testing.TB, service, admin string, env ...string) *Instance {
	t.Helper()
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, service+".log"))
	require.NoError(t, err)
	bin, err := os.ReadFile(filepath.Join(Root(), "bin", service))
	require.NoError(t, err, "run `make build` first")
	require.NoError(t, os.WriteFile(filepath.Join(dir, service), bin, 0o755))
	cmd := exec.Command(filepath.Join(dir, service))
	prefix := strings.ToUpper(service)
	cmd.Env = append(append(os.Environ(), prefix+"_ADMIN_LISTEN="+admin, prefix+"_LOG_LEVEL=info"), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	inst := &Instance{Name: service, Admin: admin, cmd: cmd}
	t.Cleanup(func() {
		inst.Stop(t)
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("extra %s's log:\n%s", service, b)
		}
	})
	require.Eventually(t, func() bool { return httpOK("http://" + admin + "/readyz") }, 30*time.Second, 100*time.Millisecond,
		"the extra %s did not become ready on %s", service, admin)
	return inst
}

// Stop ends the instance with SIGTERM (a graceful leave of its group) and
// waits for it; a second call does nothing.
func (i *Instance) Stop(t testing.TB) {
	t.Helper()
	if i.cmd.ProcessState != nil {
		return
	}
	_ = i.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- i.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("extra %s exited: %v", i.Name, err)
		}
	case <-time.After(45 * time.Second):
		_ = i.cmd.Process.Kill()
		<-done
		t.Errorf("extra %s did not stop within 45s; killed", i.Name)
	}
}

// Kill ends the instance with SIGKILL, as a crash would, and reaps it.
func (i *Instance) Kill(t testing.TB) {
	t.Helper()
	require.NoError(t, i.cmd.Process.Kill())
	_ = i.cmd.Wait()
}

// Metric returns the value of an unlabelled counter or gauge on the
// instance's /metrics.
func (i *Instance) Metric(t testing.TB, name string) float64 {
	t.Helper()
	return ScrapeMetric(t, "http://"+i.Admin+"/metrics", name)
}

// ScrapeMetric returns the value of an unlabelled sample name at url.
func ScrapeMetric(t testing.TB, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no sample %s at %s", name, url)
	return 0
}

func httpOK(url string) bool {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
