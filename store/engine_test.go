package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

// The in-package tests cannot import store/duckdb (it imports store), so
// they register the same engine directly.
func init() {
	RegisterEngine(func(dsn string, init func(driver.ExecerContext) error) (driver.Connector, error) {
		return duckdb.NewConnector(dsn, init)
	})
}

func TestOpenWithoutEngine(t *testing.T) {
	saved := registeredEngine()
	RegisterEngine(nil)
	defer RegisterEngine(saved)
	if _, err := Open(context.Background(), t.TempDir(), OpenOptions{}); !errors.Is(err, ErrNoEngine) {
		t.Fatalf("Open without an engine: %v, want ErrNoEngine", err)
	}
}
