package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Root is the repository root (where scripts/ and .run/ live).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Stack runs `scripts/stack.sh ARGS...` (e.g. "start", "kafka") and fails
// the test when it fails. Fault tests use it to stop and restart parts of
// the local stack.
func Stack(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(Root(), "scripts", "stack.sh"), args...)
	cmd.Dir = Root()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/stack.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Kill sends SIGKILL to a stack component (kafka, clickhouse, edge,
// enricher, sink) by its pid file, and registers a cleanup that starts it
// again, so a failing fault test never leaves the stack broken.
func Kill(t testing.TB, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(), ".run", name+".pid"))
	if err != nil {
		t.Fatalf("reading pid of %s: %v", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("parsing pid of %s: %v", name, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing %s (pid %d): %v", name, pid, err)
	}
	t.Cleanup(func() { Stack(t, "start", name) })
}
