// Package deploy checks the deployment files a user runs without Go: the
// docker-compose stack and the Helm chart.
package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := testenv.Root()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("pixelpipe"))
	require.NoError(t, err)
	project, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "docker-compose.yml does not load as a compose project")
	return project
}

func TestComposeRunsTheWholeStack(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"kafka", "kafka-topics", "clickhouse", "migrate", "edge", "enricher", "sink"} {
		_, err := p.GetService(name)
		assert.NoError(t, err, "service %s", name)
	}
}

func TestComposeBuildsEachServiceFromItsFolder(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"migrate", "edge", "enricher", "sink"} {
		s, err := p.GetService(name)
		require.NoError(t, err)
		require.NotNil(t, s.Build, "%s is built from the repository", name)
		arg := s.Build.Args["SERVICE"]
		require.NotNil(t, arg, "%s passes SERVICE to the Dockerfile", name)
		assert.Equal(t, name, *arg)
		assert.DirExists(t, filepath.Join(testenv.Root(), "services", *arg))
		assert.FileExists(t, filepath.Join(s.Build.Context, "Dockerfile"))
	}
}

func TestComposePublishesTheContractPortsOnLoopback(t *testing.T) {
	p := loadCompose(t)
	published := map[string]string{}
	for _, s := range p.Services {
		for _, port := range s.Ports {
			published[port.Published] = s.Name
			assert.Equal(t, "127.0.0.1", port.HostIP, "%s publishes %s beyond loopback", s.Name, port.Published)
		}
	}
	for port, service := range map[string]string{"8080": "edge", "9000": "clickhouse", "8123": "clickhouse"} {
		assert.Equal(t, service, published[port], "port %s", port)
	}
}

func TestComposeStartsThingsInOrder(t *testing.T) {
	p := loadCompose(t)
	for service, deps := range map[string]map[string]string{
		"kafka-topics": {"kafka": types.ServiceConditionHealthy},
		"migrate":      {"clickhouse": types.ServiceConditionHealthy},
		"edge":         {"kafka-topics": types.ServiceConditionCompletedSuccessfully},
		"enricher":     {"kafka-topics": types.ServiceConditionCompletedSuccessfully},
		"sink": {
			"kafka-topics": types.ServiceConditionCompletedSuccessfully,
			"migrate":      types.ServiceConditionCompletedSuccessfully,
		},
	} {
		s, err := p.GetService(service)
		require.NoError(t, err)
		for dep, condition := range deps {
			got, ok := s.DependsOn[dep]
			if assert.True(t, ok, "%s waits for %s", service, dep) {
				assert.Equal(t, condition, got.Condition, "%s waits for %s", service, dep)
			}
		}
	}
	for _, name := range []string{"kafka", "clickhouse"} {
		s, err := p.GetService(name)
		require.NoError(t, err)
		assert.NotNil(t, s.HealthCheck, "%s has a healthcheck", name)
	}
}

func TestComposeCreatesEveryTopic(t *testing.T) {
	p := loadCompose(t)
	topics, err := p.GetService("kafka-topics")
	require.NoError(t, err)
	script := strings.Join(topics.Command, " ")
	for _, topic := range []string{"pixel.raw", "pixel.events", "pixel.dlq", "pixel.dedup"} {
		assert.Contains(t, script, topic)
	}
	assert.Contains(t, script, "cleanup.policy=compact", "the dedup changelog is compacted")
}

func TestComposeKeepsTheEdgeSpoolOnAVolume(t *testing.T) {
	p := loadCompose(t)
	edge, err := p.GetService("edge")
	require.NoError(t, err)
	require.Len(t, edge.Volumes, 1)
	assert.Equal(t, "volume", edge.Volumes[0].Type)
	assert.Equal(t, edge.Environment["EDGE_SPOOL_DIR"], &edge.Volumes[0].Target)
}

func TestDockerfileRunsAsNonRoot(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "Dockerfile"))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^USER nonroot`, string(b))
	assert.Regexp(t, `(?m)^FROM .*distroless`, string(b))
}
