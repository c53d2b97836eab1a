package deploy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

func TestComposeMonitoringProfile(t *testing.T) {
	root := testenv.Root()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("pixelpipe"), cli.WithProfiles([]string{"monitoring"}))
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err)
	for _, name := range []string{"prometheus", "grafana"} {
		s, err := p.GetService(name)
		require.NoError(t, err, "the monitoring profile runs %s", name)
		for _, v := range s.Volumes {
			_, err := os.Stat(v.Source)
			assert.NoError(t, err, "%s mounts %s", name, v.Source)
		}
	}

	plain := loadCompose(t)
	_, err = plain.GetService("grafana")
	assert.Error(t, err, "Grafana only runs with the monitoring profile")
}

// Every metric a dashboard plots must be one a service exports, so a
// renamed metric cannot leave an empty panel behind.
func TestDashboardsPlotMetricsTheServicesExport(t *testing.T) {
	root := testenv.Root()
	exported := exportedMetrics(t, root)
	files, err := filepath.Glob(filepath.Join(root, "deploy", "grafana", "dashboards", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	name := regexp.MustCompile(`pixelpipe_[a-z_]+`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var dash struct {
			UID    string
			Panels []struct {
				Title   string
				Targets []struct{ Expr, RawSQL string }
			}
		}
		require.NoError(t, json.Unmarshal(b, &dash), f)
		require.NotEmpty(t, dash.Panels, f)
		for _, p := range dash.Panels {
			require.NotEmpty(t, p.Targets, "%s: panel %q", f, p.Title)
			for _, tg := range p.Targets {
				for _, m := range name.FindAllString(tg.Expr, -1) {
					base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
					assert.True(t, exported[base], "%s: panel %q plots %s, which no service exports", filepath.Base(f), p.Title, m)
				}
			}
		}
	}
}

func TestPrometheusScrapesEveryAdminPort(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "deploy", "prometheus", "prometheus.yml"))
	require.NoError(t, err)
	for _, target := range []string{"edge:8081", "enricher:8082", "sink:8083"} {
		assert.Contains(t, string(b), target)
	}
}

func exportedMetrics(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	def := regexp.MustCompile(`Name:\s+"(pixelpipe_[a-z_]+)"`)
	for _, dir := range []string{"services", "pkg"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range def.FindAllStringSubmatch(string(b), -1) {
				out[m[1]] = true
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.NotEmpty(t, out)
	return out
}
