// Package schemas embeds the ClickHouse migrations; the Kafka message
// schemas are documented beside them in kafka/.
package schemas

import "embed"

// ClickHouse holds the versioned migrations, applied in order by the
// migrate command (golang-migrate file naming: NNNNNN_name.up.sql).
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS

// ClickHouseDir is the folder of ClickHouse inside the embedded FS.
const ClickHouseDir = "clickhouse"
