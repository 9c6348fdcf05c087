package store

import (
	"database/sql/driver"
	"errors"
	"sync"
)

// ConnectorFunc opens the embedded SQL engine behind Open and Compact: a
// connector for dsn whose every new connection runs init first.
type ConnectorFunc func(dsn string, init func(driver.ExecerContext) error) (driver.Connector, error)

// ErrNoEngine is returned by Open and Compact when no engine is linked.
var ErrNoEngine = errors.New(`store: no SQL engine linked into this program: import _ "github.com/callscope/callscope/store/duckdb"`)

var (
	engineMu sync.Mutex
	engine   ConnectorFunc
)

// RegisterEngine makes an engine available to Open and Compact. The
// store/duckdb package registers DuckDB when it is imported, as
// database/sql drivers do: programs that only write Parquet (analyze,
// ingest) leave it out and do not carry DuckDB's ~50 MB of startup memory.
func RegisterEngine(f ConnectorFunc) {
	engineMu.Lock()
	defer engineMu.Unlock()
	engine = f
}

func registeredEngine() ConnectorFunc {
	engineMu.Lock()
	defer engineMu.Unlock()
	return engine
}
