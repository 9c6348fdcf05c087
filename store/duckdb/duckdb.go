// Package duckdb links the embedded DuckDB engine (github.com/duckdb/duckdb-go/v2)
// into a program and registers it with package store, so that store.Open
// and store.Compact work. Import it for its side effect:
//
//	import _ "github.com/callscope/callscope/store/duckdb"
package duckdb

import (
	"database/sql/driver"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/callscope/callscope/store"
)

func init() { store.RegisterEngine(Connector) }

// Connector returns a DuckDB connector for dsn that runs init on every new
// connection.
func Connector(dsn string, init func(driver.ExecerContext) error) (driver.Connector, error) {
	return duckdb.NewConnector(dsn, init)
}
