package analytics

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

// needChDB skips (or fails under make test, which installs it) unless
// python3 can import chdb.
func needChDB(t *testing.T) {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import chdb").CombinedOutput()
	if err == nil {
		return
	}
	msg := "chDB is not importable (" + err.Error() + ": " + string(bytes.TrimSpace(out)) + "); `python3 -m pip install chdb`, or run `make test`"
	if os.Getenv("PIXELPIPE_REQUIRE_STACK") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

type chdbInsert struct {
	Statement string `json:"statement"`
	RowsFile  string `json:"rows_file"`
}

type chdbRequest struct {
	SchemaDir string            `json:"schema_dir"`
	Inserts   []chdbInsert      `json:"inserts"`
	Queries   map[string]string `json:"queries"`
}

type chdbResponse struct {
	Version string            `json:"version"`
	Results map[string]string `json:"results"`
}

func TestSchemaAndDocumentedQueriesAnswerExactlyOnCurrentClickHouse(t *testing.T) {
	needChDB(t)
	tr := Generate("chdb_app", 300, 3)
	queries, err := DocQueries()
	require.NoError(t, err)
	req := chdbRequest{
		SchemaDir: filepath.Join(testenv.Root(), "schemas", "clickhouse"),
		Queries:   map[string]string{},
	}
	for name, q := range queries {
		req.Queries[name] = ForApplication(q, tr.App)
	}
	half := len(tr.Stream) / 2
	for i, part := range [][]int{{0, half}, {half, len(tr.Stream)}} {
		rows, err := JSONEachRow(tr.Stream[part[0]:part[1]])
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "rows"+string(rune('0'+i))+".jsonl")
		require.NoError(t, os.WriteFile(path, rows, 0o600))
		req.Inserts = append(req.Inserts, chdbInsert{Statement: InsertStatement(), RowsFile: path})
	}
	in, err := json.Marshal(req)
	require.NoError(t, err)

	cmd := exec.Command("python3", filepath.Join(testenv.Root(), "test", "analytics", "chdb_run.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chdb_run.py: %s", stderr.String())
	var resp chdbResponse
	require.NoError(t, json.Unmarshal(out, &resp))
	t.Logf("chDB runs ClickHouse %s", resp.Version)

	want := Expected(tr.Events)
	require.Len(t, resp.Results, len(want))
	for name := range want {
		assert.Equal(t, want[name], resp.Results[name], "query %s on ClickHouse %s", name, resp.Version)
	}
}
