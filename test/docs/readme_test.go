// Package docs keeps the README honest: its configuration tables must list
// exactly the flags each service has, with their environment variables and
// defaults.
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

var services = map[string]string{"edge": "EDGE", "enricher": "ENRICHER", "sink": "SINK", "migrate": "MIGRATE"}

type setting struct{ env, def string }

// flagsOf builds the service and reads its -h output.
func flagsOf(t *testing.T, bin, prefix string) map[string]setting {
	t.Helper()
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	flags := map[string]setting{}
	lines := strings.Split(string(out), "\n")
	head := regexp.MustCompile(`^  -(\S+)`)
	def := regexp.MustCompile(`\(default "?(.*?)"?\)$`)
	for i, line := range lines {
		m := head.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := setting{env: prefix + "_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))}
		// The description is on the next line(s) up to the next flag.
		for j := i + 1; j < len(lines) && !head.MatchString(lines[j]); j++ {
			if d := def.FindStringSubmatch(strings.TrimSpace(lines[j])); d != nil {
				s.def = d[1]
			}
		}
		flags[m[1]] = s
	}
	require.NotEmpty(t, flags, "no flags parsed from %s -h:\n%s", bin, out)
	return flags
}

// readmeTable returns the rows of the README table under "### <service>".
func readmeTable(t *testing.T, readme, service string) map[string]setting {
	t.Helper()
	start := strings.Index(readme, "\n### "+service+"\n")
	require.GreaterOrEqual(t, start, 0, "README has no configuration section for %s", service)
	section := readme[start+len(service)+6:]
	if end := strings.Index(section, "\n#"); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("^\\| `-(\\S+)` \\| `(\\S+)` \\|\\s*`?([^|`]*?)`?\\s*\\|")
	rows := map[string]setting{}
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows[m[1]] = setting{env: m[2], def: strings.TrimSpace(m[3])}
		}
	}
	return rows
}

func TestREADMEConfigurationMatchesTheFlags(t *testing.T) {
	root := testenv.Root()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./services/...")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the services: %s", out)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)

	for service, prefix := range services {
		t.Run(service, func(t *testing.T) {
			flags := flagsOf(t, filepath.Join(bin, service), prefix)
			documented := readmeTable(t, string(readme), service)
			assert.Equal(t, flags, documented, "the README table of %s (flag → env, default) differs from `%s -h`", service, service)
		})
	}
}
