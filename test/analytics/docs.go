package analytics

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

// DocsApplication is the application the documented queries filter on; the
// tests put their own in its place.
const DocsApplication = "'a1s2d3'"

// queryBlock is a `<!-- query: NAME -->` marker followed by a sql block.
var queryBlock = regexp.MustCompile("(?s)<!-- query: ([a-z0-9_]+) -->\\s*```sql\\n(.*?)```")

// DocQueries reads the named queries of docs/analytics.md.
func DocQueries() (map[string]string, error) {
	path := filepath.Join(testenv.Root(), "docs", "analytics.md")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the documented queries: %w", err)
	}
	queries := map[string]string{}
	for _, m := range queryBlock.FindAllStringSubmatch(string(b), -1) {
		name, sql := m[1], strings.TrimSpace(m[2])
		if _, dup := queries[name]; dup {
			return nil, fmt.Errorf("%s: query %s is documented twice", path, name)
		}
		if strings.Count(sql, DocsApplication) != 1 {
			return nil, fmt.Errorf("%s: query %s must filter on application = %s exactly once", path, name, DocsApplication)
		}
		queries[name] = strings.TrimSuffix(sql, ";")
	}
	return queries, nil
}

// ForApplication points a documented query at application app.
func ForApplication(query, app string) string {
	return strings.Replace(query, DocsApplication, "'"+app+"'", 1)
}
